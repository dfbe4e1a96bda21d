/**
 * The {@code infer4j} command line (picocli): {@link ai.infer4j.cli.Main} with one subcommand class per job
 * ({@code serve}, {@code predict}, {@code train}, {@code eval}, {@code archive}, {@code optimize}, {@code bench},
 * {@code tune}, {@code batch}, {@code monitor}, {@code selftest}). The only module that prints. Flags that several
 * commands share are mixins: {@code EngineFlags} (threads, max length, device, cache) and {@code BatchFlags}
 * (workers and batching; their values become the {@code config.properties} keys they stand for).
 *
 * <pre>
 * int exit = Main.run("predict", "--json", "book a flight to rome");  // 0 ok, 1 usage/internal, 2 bad input or model
 * </pre>
 * A new command: a {@code @Command} class implementing {@code Callable<Integer>}, listed in {@code Main}'s
 * {@code subcommands}; reuse a mixin with {@code @Mixin EngineFlags engine;}.
 */
package ai.infer4j.cli;
