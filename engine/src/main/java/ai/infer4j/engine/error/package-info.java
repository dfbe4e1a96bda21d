/**
 * Every failure infer4j reports to a caller: the sealed {@link ai.infer4j.engine.error.InferenceException} and its
 * subclasses, each carrying the HTTP status a server answers with (4xx: the caller can fix it; 5xx: we can).
 * A leaf package: it depends on nothing else in infer4j, so every other package may use it.
 *
 * <pre>
 * if (text.isBlank()) throw new BadInputException("'text' is empty; send at least one character"); // 400
 * try { ... } catch (InferenceException e) { respond(e.status(), e.type(), e.getMessage()); }
 * </pre>
 */
package ai.infer4j.engine.error;
