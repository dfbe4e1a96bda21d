/** Small concurrency helpers of the server (a leaf package: it depends on no other infer4j package). */
package ai.infer4j.server.concurrent;
