/**
 * File helpers the engine's packages share. {@link ai.infer4j.engine.io.AtomicFiles} writes a file so a reader never
 * sees half of it (sibling temp file, then an atomic rename). A leaf package.
 *
 * <pre>
 * AtomicFiles.write(cacheDir.resolve("vectors.bin"), out -&gt; out.write(bytes));
 * </pre>
 */
package ai.infer4j.engine.io;
