package ai.infer4j.bench.load;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A fake network peer: a one-thread HTTP server on loopback that answers at once, except that the first request
 * arriving after {@code stallAfterMillis} holds the only worker for {@code stallMillis} (a GC pause, a stuck
 * forward pass), so everything behind it queues.
 */
final class StallingServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "stalling-server-worker"));
    private final AtomicBoolean stalled = new AtomicBoolean();
    private volatile long stallAtNanos = Long.MAX_VALUE;

    StallingServer(long stallMillis) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.createContext("/predictions/fake", ex -> {
            ex.getRequestBody().readAllBytes();
            if (System.nanoTime() >= stallAtNanos && stalled.compareAndSet(false, true)) pause(stallMillis);
            byte[] body = "{\"label\":\"x\"}".getBytes();
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.setExecutor(worker);
        server.start();
    }

    /** Arms one stall for the first request {@code afterMillis} from now. */
    void stallAfter(long afterMillis) {
        stalled.set(false);
        stallAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(afterMillis);
    }

    private static void pause(long millis) {
        try {
            // the peer's misbehaviour under test, not a wait for the test's own sake
            new CountDownLatch(1).await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/predictions/fake");
    }

    @Override
    public void close() {
        server.stop(0);
        worker.shutdownNow();
    }
}
