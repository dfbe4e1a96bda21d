package ai.infer4j.server;

import ai.infer4j.engine.Engine;
import ai.infer4j.engine.config.EngineOptions;
import ai.infer4j.engine.handler.Handlers;
import ai.infer4j.engine.optimize.VariantInfo;
import ai.infer4j.monitor.LiveMonitor;
import ai.infer4j.monitor.Monitor;
import ai.infer4j.server.concurrent.DeferredTask;
import ai.infer4j.server.config.ServerConfig;
import ai.infer4j.server.http.AuthHandler;
import ai.infer4j.server.http.HttpListener;
import ai.infer4j.server.http.Exchange;
import ai.infer4j.server.http.RouteHandler;
import ai.infer4j.server.http.Routes;
import ai.infer4j.server.inference.InferenceRoutes;
import ai.infer4j.server.inference.InferenceService;
import ai.infer4j.server.inference.OpenInferenceGrpc;
import ai.infer4j.server.management.ManagementRoutes;
import ai.infer4j.server.registry.ModelRegistry;
import ai.infer4j.server.metrics.ServerMetrics;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The infer4j server: inference API, management API and Prometheus metrics over one engine.
 * Start with {@link #start}; {@link #close()} drains in-flight requests and shuts down in reverse order.
 *
 * <pre>
 * try (InferenceServer s = InferenceServer.start(ServerConfig.defaults())) {
 *     s.awaitShutdown();
 * }
 * </pre>
 */
public final class InferenceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InferenceServer.class);

    /** When the KServe v2 gRPC listener and the Prometheus metrics listener start. */
    public enum Listeners {
        /** With the others: every listener is up when {@link #start} returns. */
        AT_START,
        /**
         * After the inference listener's first answer, or {@link #LATE_LISTENERS_DELAY} after it binds, whichever comes
         * first (a new server's first request then does not share the cores with starting them: gRPC brings up its own
         * shaded copy of Netty). Their ports are held from {@link #start} on by bound sockets that do not listen, so a
         * port in use still fails the start, and a client that connects before they start is refused at once (gRPC:
         * {@code UNAVAILABLE}, which a client may retry; a missed scrape), never accepted and left unanswered.
         */
        LATE
    }

    /** With {@link Listeners#LATE}: the longest the gRPC and metrics listeners wait for the first answer. */
    static final Duration LATE_LISTENERS_DELAY = Duration.ofSeconds(1);

    private final ServerConfig config;
    /** Handler calls that run at once, and that may wait for a thread (beyond: 503). */
    private static final int HANDLER_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors()), HANDLER_QUEUE = 1024;

    private final Handlers handlers;
    private final Engine engine;
    private final ServerMetrics metrics;
    private final LiveMonitor monitor;
    private final ModelRegistry registry;
    private final InferenceService service;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ExecutorService managementExecutor;
    private final List<String> failedModels = new ArrayList<>();
    private HttpListener inference;
    private HttpListener management;
    private HTTPServer metricsServer;
    private Server grpc;
    /** Sockets holding the gRPC and metrics ports until those listeners start ({@link Listeners#LATE}), else null. */
    private Socket grpcHeld, metricsHeld;
    private int grpcPort = -1, metricsPort = -1;
    /** The gRPC and metrics listeners were started, or tried (guarded by this). */
    private boolean grpcAndMetricsStarted;
    /** Starts the late listeners a delay after bind ({@link #LATE_LISTENERS_DELAY}), or sooner: the first answer, or {@link #close}. */
    private final DeferredTask late;
    /** The bearer token, for the late listeners (set before {@link #late} starts). */
    private byte[] lateToken;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean closed;
    private volatile int abandoned;

    private InferenceServer(ServerConfig config, Duration lateDelay) {
        this.config = config;
        this.late = new DeferredTask("infer4j-late-listeners", lateDelay, () -> startLate(lateToken));
        EngineOptions opts = EngineOptions.defaults().withIntraOpThreads(config.workers().intraOpThreads());
        if (config.models().cacheDir() != null) opts = opts.withCacheDir(config.models().cacheDir());
        this.metrics = new ServerMetrics();
        this.handlers = config.models().pluginsDir() == null ? Handlers.none()
                : Handlers.load(config.models().pluginsDir(), HANDLER_THREADS, HANDLER_QUEUE, metrics.handlerListener());
        this.engine = Engine.create(opts, handlers);
        this.registry = new ModelRegistry(engine, metrics, config.limits().drainTimeout());
        this.monitor = Monitor.startLive(config.capture(), Clock.systemUTC());
        metrics.trackCapture(monitor);
        this.service = new InferenceService(engine, registry, config.limits().responseTimeout(), metrics, monitor.writer());
        this.boss = new MultiThreadIoEventLoopGroup(1, named("infer4j-accept"), NioIoHandler.newFactory());
        this.io = new MultiThreadIoEventLoopGroup(Math.max(Math.max(2, Runtime.getRuntime().availableProcessors()), config.workers().perModel()), named("infer4j-io"),
                NioIoHandler.newFactory());
        this.managementExecutor = Executors.newSingleThreadExecutor(named("infer4j-management"));
    }

    /** Loads the configured models (a model that fails is logged and skipped), then binds all listeners. */
    public static InferenceServer start(ServerConfig config) throws IOException, InterruptedException {
        return start(config, Listeners.AT_START);
    }

    /**
     * Loads the configured models (a model that fails is logged and skipped), then binds the inference and management
     * listeners, and the gRPC and metrics listeners as {@code listeners} says.
     */
    public static InferenceServer start(ServerConfig config, Listeners listeners) throws IOException, InterruptedException {
        return start(config, listeners, LATE_LISTENERS_DELAY);
    }

    /** {@link #start(ServerConfig, Listeners)} with another longest wait for the late listeners (tests). */
    static InferenceServer start(ServerConfig config, Listeners listeners, Duration lateDelay) throws IOException, InterruptedException {
        InferenceServer s = new InferenceServer(config, lateDelay);
        try {
            s.loadModels();
            s.bind(listeners);
            return s;
        } catch (IOException | InterruptedException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void loadModels() {
        for (Map.Entry<String, String> e : config.models().load().entrySet()) {
            long t0 = System.nanoTime();
            try {
                String ref = e.getValue();
                if (config.models().store() != null && !Engine.BUILTIN_MODELS.contains(ref) && !Path.of(ref).isAbsolute()
                        && Files.exists(config.models().store().resolve(ref)))
                    ref = config.models().store().resolve(ref).toString();
                registry.register(ref, e.getKey(), config.workers().perModel(), config.workers().batch(), config.limits().responseTimeout());
                log.info("model {} ready in {} ms", e.getKey(), (System.nanoTime() - t0) / 1_000_000);
                if (config.precision().equals("int8")) preferInt8(e.getKey(), ref);
            } catch (RuntimeException ex) {
                failedModels.add(e.getKey()); // logged by the registry; other models still load
            }
        }
    }

    /**
     * Loads {@code NAME-int8.mar} (from the model store, or beside the model's own file) as a second version of
     * {@code name} and makes it the default, but only when its manifest says INT8 and its parity gate passed;
     * otherwise the FP32 model keeps serving and the log says why.
     */
    private void preferInt8(String name, String ref) {
        List<Path> candidates = new ArrayList<>();
        if (config.models().store() != null) candidates.add(config.models().store().resolve(name + "-int8.mar"));
        Path own = Path.of(ref).toAbsolutePath().getParent();
        if (!Engine.BUILTIN_MODELS.contains(ref) && own != null) candidates.add(own.resolve(name + "-int8.mar"));
        for (Path c : candidates) {
            if (!Files.exists(c)) continue;
            var variant = engine.load(c.toString());
            var info = VariantInfo.of(variant.manifest());
            if (!info.precision().equals("int8") || !info.usable()) {
                log.warn("{} is not a gate-passed INT8 variant (precision {}, gate passed {}); serving {} in fp32", c,
                        info.precision(), info.gatePassed(), name);
                if (variant.backbone() != registry.resolve(name, null).model().backbone()) engine.release(variant.backbone(), config.limits().drainTimeout());
                return;
            }
            var served = registry.register(c.toString(), name, config.workers().perModel(), config.workers().batch(), config.limits().responseTimeout());
            registry.setDefault(name, served.model().version());
            log.info("precision int8: {} now answers with version {} from {}", name, served.model().version(), c);
            return;
        }
        log.warn("precision int8: no {}-int8.mar for {} (make one with: infer4j optimize --model {} --precision int8 --eval DATA --out "
                + "MODEL_STORE/{}-int8.mar); serving fp32", name, name, ref, name);
    }

    private void bind(Listeners listeners) throws IOException, InterruptedException {
        var downloads = engine.options().cacheDir().resolve("downloads");
        Routes inferenceRoutes = InferenceRoutes.table(service);
        Routes managementRoutes = ManagementRoutes.table(registry, config, downloads, managementExecutor);
        byte[] token = config.security().authTokenFile() == null ? null : AuthHandler.readToken(config.security().authTokenFile());
        inference = HttpListener.bind("inference", config.listeners().inference(), boss, io, config.limits().maxRequestSizeBytes(), config.limits().idleTimeout(), token,
                () -> new RouteHandler(inferenceRoutes, service));
        metrics.startJvmMetrics(); // not while the models load (CPU-bound start); registered 1 s later or at the first scrape
        management = HttpListener.bind("management", config.listeners().management(), boss, io, 1 << 20, config.limits().idleTimeout(), token,
                () -> new RouteHandler(managementRoutes, Exchange.Finisher.NONE));
        if (listeners == Listeners.AT_START) {
            startGrpcAndMetrics(token);
        } else {
            if (config.listeners().grpc() != null) {
                grpcHeld = hold(config.listeners().grpc());
                grpcPort = grpcHeld.getLocalPort();
            }
            metricsHeld = hold(config.listeners().metrics());
            metricsPort = metricsHeld.getLocalPort();
            lateToken = token;
            service.afterFirstAnswer(late::now);
            late.start();
        }
        log.info("inference API  http://{}:{}", inference.address().getHostString(), inference.port());
        log.info("management API http://{}:{}", management.address().getHostString(), management.port());
        log.info("models: {}{}", registry.names(), token == null ? "" : " (bearer token required)");
        if (!config.listeners().management().getHostString().matches("127\\.0\\.0\\.1|localhost|::1") && token == null)
            log.warn("management API is bound to {} without auth_token_file: anyone who can reach it can load models",
                    config.listeners().management().getHostString());
    }

    private synchronized void startGrpcAndMetrics(byte[] token) throws IOException {
        grpcAndMetricsStarted = true;
        notifyAll(); // awaitLateListeners, once this method has returned
        startGrpc(token);
        startMetrics();
    }

    private void startGrpc(byte[] token) throws IOException {
        if (config.listeners().grpc() == null) return;
        InetSocketAddress g = config.listeners().grpc();
        var b = NettyServerBuilder.forAddress(new InetSocketAddress(g.getHostString(), g.getPort() == 0 && grpcPort > 0 ? grpcPort : g.getPort()))
                .directExecutor() // like the HTTP path: parse and queue on the I/O thread, answer from the batch worker
                .maxInboundMessageSize(config.limits().maxRequestSizeBytes())
                .addService(new OpenInferenceGrpc(service));
        if (token != null) b.intercept(OpenInferenceGrpc.bearer(token));
        grpc = b.build().start();
        grpcPort = grpc.getPort();
        log.info("KServe v2 gRPC {}:{}", g.getHostString(), grpcPort);
    }

    private void startMetrics() throws IOException {
        InetSocketAddress m = config.listeners().metrics();
        metricsServer = HTTPServer.builder().hostname(m.getHostString()).port(m.getPort() == 0 && metricsPort > 0 ? metricsPort : m.getPort())
                .registry(metrics.exportedRegistry()).buildAndStart();
        metricsPort = metricsServer.getPort();
        log.info("metrics        http://{}:{}/metrics", m.getHostString(), metricsPort);
    }

    /**
     * The gRPC and metrics listeners of {@link Listeners#LATE}: each port's holding socket is closed just before its
     * listener binds it. Nothing starts once {@link #close} has begun. A listener that cannot bind now (another process
     * took its port in that moment) is logged; the server goes on serving HTTP.
     */
    private synchronized void startLate(byte[] token) {
        if (closed || grpcAndMetricsStarted) return;
        grpcAndMetricsStarted = true;
        notifyAll(); // awaitLateListeners, once this method has returned
        try {
            closeQuietly(grpcHeld);
            startGrpc(token);
        } catch (IOException | RuntimeException e) {
            log.error("could not start the KServe v2 gRPC listener on {}: {}; serving without it", config.listeners().grpc(), e.toString());
        }
        try {
            closeQuietly(metricsHeld);
            startMetrics();
        } catch (IOException | RuntimeException e) {
            log.error("could not start the metrics listener on {}: {}; serving without it", config.listeners().metrics(), e.toString());
        }
    }

    /** A bound TCP socket that does not listen: it holds {@code address}'s port (other binds fail) and refuses connections. */
    private static Socket hold(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address);
            return s;
        } catch (IOException e) {
            s.close();
            var b = new BindException("cannot bind " + address.getHostString() + ":" + address.getPort() + ": " + e.getMessage());
            b.initCause(e);
            throw b;
        }
    }

    private static void closeQuietly(Socket s) {
        if (s == null) return;
        try {
            s.close();
        } catch (IOException e) {
            log.debug("closing a held port: {}", e.toString());
        }
    }

    public int inferencePort() {
        return inference.port();
    }

    public int managementPort() {
        return management.port();
    }

    /**
     * The KServe v2 gRPC port, or -1 when {@code grpc_address} is off. With {@link Listeners#LATE} the listener may
     * not be up yet (see {@link #awaitLateListeners}).
     */
    public synchronized int grpcPort() {
        return grpcPort;
    }

    /** The metrics port. With {@link Listeners#LATE} the listener may not be up yet (see {@link #awaitLateListeners}). */
    public synchronized int metricsPort() {
        return metricsPort;
    }

    /** Starts the gRPC and metrics listeners now if they are still to start ({@link Listeners#LATE}), and waits for them. */
    public void awaitLateListeners() {
        late.now();
        synchronized (this) { // startLate holds this lock while it starts them
            while (!closed && !grpcAndMetricsStarted) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Admitted requests that were still unanswered when the drain timeout ran out at shutdown (should be 0). */
    public int abandonedAtShutdown() {
        return abandoned;
    }

    /** Requests admitted and not yet answered. */
    public int inFlight() {
        return service.inFlight();
    }

    public ModelRegistry registry() {
        return registry;
    }

    /** Configured models that failed to load at start-up. */
    public List<String> failedModels() {
        return List.copyOf(failedModels);
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    /**
     * Graceful stop: refuse new requests, wait (up to the drain timeout) for admitted ones, stop the
     * schedulers, the listeners and the metrics endpoint, close the models. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        notifyAll(); // awaitLateListeners
        late.now();
        closeQuietly(grpcHeld); // no-ops once the late listeners started
        closeQuietly(metricsHeld);
        service.startDraining();
        if (inference != null) inference.close();
        if (grpc != null) grpc.shutdown(); // no new calls; admitted ones finish below
        long until = System.nanoTime() + config.limits().drainTimeout().toNanos();
        while (service.inFlight() > 0 && System.nanoTime() < until) {
            try {
                Thread.sleep(5); // polling a counter during shutdown only
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        abandoned = service.inFlight();
        if (abandoned > 0) log.warn("shutdown: {} admitted requests still in flight after {}; they get 503", abandoned, config.limits().drainTimeout());
        if (grpc != null) grpc.shutdownNow();
        registry.close();
        monitor.close(); // after the schedulers drained: every answered request's event is written
        if (management != null) management.close();
        if (metricsServer != null) metricsServer.stop();
        managementExecutor.shutdownNow();
        engine.close();
        handlers.close();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("server stopped");
        stopped.countDown();
    }

    private static ThreadFactory named(String prefix) {
        var n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.getAndIncrement());
            t.setDaemon(!prefix.equals("infer4j-io"));
            return t;
        };
    }
}
