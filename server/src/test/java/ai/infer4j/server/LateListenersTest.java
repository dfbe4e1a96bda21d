package ai.infer4j.server;

import ai.infer4j.server.grpc.v2.GRPCInferenceServiceGrpc;
import ai.infer4j.server.grpc.v2.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link InferenceServer.Listeners#LATE}: gRPC and metrics listeners start after the first answer, their ports held till then. */
class LateListenersTest {
    private static final Duration NEVER = Duration.ofHours(1);

    @Test
    void heldPortsRefuseUntilTheFirstAnswerThenServe() throws Exception {
        try (InferenceServer s = InferenceServer.start(TestServers.config(Map.of()), InferenceServer.Listeners.LATE, NEVER)) {
            // held: nobody else can bind them, and a client is refused at once (not accepted and left waiting)
            for (int port : new int[] {s.grpcPort(), s.metricsPort()}) {
                assertThat(port).isPositive();
                assertThatThrownBy(() -> connect(port)).isInstanceOf(ConnectException.class);
                assertThatThrownBy(() -> bind(port)).isInstanceOf(BindException.class);
            }
            assertThat(TestServers.post(s.inferencePort(), "/predictions/intent", "{\"text\":\"I lost my card\"}").statusCode()).isEqualTo(200);
            s.awaitLateListeners();
            assertThat(TestServers.get(s.metricsPort(), "/metrics").body()).contains("infer4j_requests");
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", s.grpcPort()).usePlaintext().build();
            try {
                assertThat(GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void theFirstAnswerStartsThemWithoutBeingAsked() throws Exception {
        try (InferenceServer s = InferenceServer.start(TestServers.config(Map.of()), InferenceServer.Listeners.LATE, NEVER)) {
            assertThat(TestServers.post(s.inferencePort(), "/predictions/intent", "{\"text\":\"hello\"}").statusCode()).isEqualTo(200);
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!accepts(s.metricsPort()) && System.nanoTime() < until) Thread.sleep(10);
            assertThat(TestServers.get(s.metricsPort(), "/metrics").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void closeBeforeTheyStartFreesTheirPorts() throws Exception {
        int grpc, metrics;
        try (InferenceServer s = InferenceServer.start(TestServers.config(Map.of()), InferenceServer.Listeners.LATE, NEVER)) {
            grpc = s.grpcPort();
            metrics = s.metricsPort();
        }
        bind(grpc);
        bind(metrics);
    }

    @Test
    void aPortInUseStillFailsTheStart() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            var config = TestServers.config(Map.of("metrics_address", "127.0.0.1:" + taken.getLocalPort()));
            assertThatThrownBy(() -> InferenceServer.start(config, InferenceServer.Listeners.LATE, NEVER))
                    .isInstanceOf(BindException.class).hasMessageContaining(":" + taken.getLocalPort());
        }
    }

    private static void connect(int port) throws IOException {
        try (Socket c = new Socket()) {
            c.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        }
    }

    private static boolean accepts(int port) {
        try {
            connect(port);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void bind(int port) throws IOException {
        try (ServerSocket ss = new ServerSocket()) {
            ss.bind(new InetSocketAddress("127.0.0.1", port));
        }
    }
}
