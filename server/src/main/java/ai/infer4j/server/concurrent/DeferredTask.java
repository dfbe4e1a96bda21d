package ai.infer4j.server.concurrent;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Work done once, later, on a daemon thread of its own: a delay after {@link #start()}, or as soon as {@link #now()}
 * is called, whichever comes first. A start uses it for work that should not compete with the models' loading and a
 * new server's first requests (the late gRPC and metrics listeners, the JVM metrics) but must still be done soon, or
 * at once when something asks for it.
 */
public final class DeferredTask {
    private final CountDownLatch now = new CountDownLatch(1);
    private final Thread thread;

    public DeferredTask(String threadName, Duration delay, Runnable task) {
        thread = new Thread(() -> {
            try {
                now.await(delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // do it at once
            }
            task.run();
        }, threadName);
        thread.setDaemon(true);
    }

    /** Starts the thread, and so the delay (the first call only). */
    public synchronized void start() {
        if (thread.getState() == Thread.State.NEW) thread.start();
    }

    /** Ends the delay: the task runs as soon as the thread is started (at once if it is). */
    public void now() {
        now.countDown();
    }

    /** Runs the task now unless it has run, and waits until it has (not from the task itself). */
    public void runNowAndWait() {
        if (thread.getState() == Thread.State.TERMINATED) return;
        now();
        start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
