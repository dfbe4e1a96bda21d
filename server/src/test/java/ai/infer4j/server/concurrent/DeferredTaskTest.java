package ai.infer4j.server.concurrent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeferredTaskTest {
    @Test
    void runsOnceAfterTheDelay() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch ran = new CountDownLatch(1);
        DeferredTask task = new DeferredTask("test-deferred", Duration.ofMillis(50), () -> {
            runs.incrementAndGet();
            ran.countDown();
        });
        assertFalse(ran.await(100, TimeUnit.MILLISECONDS), "nothing runs before start");
        long t0 = System.nanoTime();
        task.start();
        task.start();
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - t0 >= 45_000_000L, "not before the delay");
        task.runNowAndWait();
        task.now();
        assertEquals(1, runs.get());
    }

    @Test
    void nowEndsTheDelayEvenBeforeStart() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        DeferredTask task = new DeferredTask("test-deferred", Duration.ofHours(1), ran::countDown);
        task.now();
        assertFalse(ran.await(50, TimeUnit.MILLISECONDS), "nothing runs before start");
        task.start();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "runs at once when started");
    }

    @Test
    void runNowAndWaitReturnsWhenTheTaskIsDone() {
        AtomicInteger runs = new AtomicInteger();
        DeferredTask task = new DeferredTask("test-deferred", Duration.ofHours(1), () -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            runs.incrementAndGet();
        });
        task.runNowAndWait();
        assertEquals(1, runs.get(), "started, run and finished without start()");
        task.runNowAndWait();
        assertEquals(1, runs.get());
    }
}
