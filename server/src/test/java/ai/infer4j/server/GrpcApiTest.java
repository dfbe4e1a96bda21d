package ai.infer4j.server;

import ai.infer4j.server.grpc.v2.GRPCInferenceServiceGrpc;
import ai.infer4j.server.grpc.v2.InferTensorContents;
import ai.infer4j.server.grpc.v2.ModelInferRequest;
import ai.infer4j.server.grpc.v2.ModelInferResponse;
import ai.infer4j.server.grpc.v2.ModelMetadataRequest;
import ai.infer4j.server.grpc.v2.ModelReadyRequest;
import ai.infer4j.server.grpc.v2.ServerLiveRequest;
import ai.infer4j.server.grpc.v2.ServerMetadataRequest;
import ai.infer4j.server.grpc.v2.ServerReadyRequest;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The KServe v2 gRPC service driven by a stub generated from the protocol's proto, as Triton/KServe clients do. */
class GrpcApiTest {
    private static InferenceServer server;
    private static ManagedChannel channel;
    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(Map.of("load_models", "intent=intent,embed=embed"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub call() {
        return stub.withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static ModelInferRequest.InferInputTensor.Builder texts(String name, String... texts) {
        var c = InferTensorContents.newBuilder();
        for (String t : texts) c.addBytesContents(ByteString.copyFromUtf8(t));
        return ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("BYTES").addShape(texts.length).setContents(c);
    }

    @Test
    void healthAndMetadata() {
        assertThat(call().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(call().serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        assertThat(call().serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName()).isEqualTo("infer4j");
        assertThat(call().modelReady(ModelReadyRequest.newBuilder().setName("intent").build()).getReady()).isTrue();
        var meta = call().modelMetadata(ModelMetadataRequest.newBuilder().setName("intent").build());
        assertThat(meta.getVersionsList()).containsExactly("1");
        assertThat(meta.getInputs(0).getName()).isEqualTo("text");
        assertThat(meta.getInputs(0).getDatatype()).isEqualTo("BYTES");
        assertThat(meta.getOutputsList()).extracting(t -> t.getName()).containsExactly("label", "score");
        var embed = call().modelMetadata(ModelMetadataRequest.newBuilder().setName("embed").setVersion("1").build());
        assertThat(embed.getOutputs(0).getShapeList()).hasSize(2);
        assertThatThrownBy(() -> call().modelMetadata(ModelMetadataRequest.newBuilder().setName("nope").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void inferWithTypedContents() throws Exception {
        double before = TestServers.metric(server, "infer4j_requests_total{model=\"intent\",status=\"200\"");
        ModelInferResponse r = call().modelInfer(ModelInferRequest.newBuilder().setModelName("intent").setId("r7")
                .addInputs(texts("text", "I lost my credit card, what do I do", "what is my account balance")).build());
        assertThat(r.getId()).isEqualTo("r7");
        assertThat(r.getModelVersion()).isEqualTo("1");
        assertThat(r.getOutputs(0).getName()).isEqualTo("label");
        assertThat(r.getOutputs(0).getContents().getBytesContentsList()).extracting(ByteString::toStringUtf8)
                .containsExactly("report_lost_card", "balance");
        assertThat(r.getOutputs(1).getContents().getFp32ContentsList()).hasSize(2).allSatisfy(s -> assertThat(s).isBetween(0f, 1f));
        assertThat(TestServers.metric(server, "infer4j_requests_total{model=\"intent\",status=\"200\"")).isEqualTo(before + 1);
    }

    @Test
    void inferWithRawContentsAsTritonClientsSendIt() {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (String t : List.of("book a flight to rome", "what time is it")) {
            byte[] b = t.getBytes(StandardCharsets.UTF_8);
            raw.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            raw.writeBytes(b);
        }
        ModelInferResponse r = call().modelInfer(ModelInferRequest.newBuilder().setModelName("intent").setModelVersion("1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(2))
                .addRawInputContents(ByteString.copyFrom(raw.toByteArray())).build());
        assertThat(r.getRawOutputContentsCount()).isEqualTo(2);
        ByteBuffer labels = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (labels.hasRemaining()) {
            byte[] b = new byte[labels.getInt()];
            labels.get(b);
            out.add(new String(b, StandardCharsets.UTF_8));
        }
        assertThat(out).first().isEqualTo("book_flight");
        assertThat(r.getRawOutputContents(1).size()).isEqualTo(2 * 4);
    }

    @Test
    void embeddingsComeAsAnFp32Matrix() {
        ModelInferResponse r = call().modelInfer(ModelInferRequest.newBuilder().setModelName("embed")
                .addInputs(texts("text", "What is Deep Learning?", "pancakes")).build());
        var t = r.getOutputs(0);
        assertThat(t.getName()).isEqualTo("embedding");
        assertThat(t.getShape(0)).isEqualTo(2);
        int dim = (int) t.getShape(1);
        List<Float> v = t.getContents().getFp32ContentsList();
        assertThat(v).hasSize(2 * dim);
        double norm = 0;
        for (int i = 0; i < dim; i++) norm += v.get(i) * v.get(i);
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, offset(1e-3));
    }

    @Test
    void badRequestsGetTheirStatusCodes() {
        record Case(ModelInferRequest request, Status.Code code, String says) { }
        List<Case> cases = List.of(
                new Case(ModelInferRequest.newBuilder().setModelName("nope").addInputs(texts("text", "hi")).build(), Status.Code.NOT_FOUND, "not registered"),
                new Case(ModelInferRequest.newBuilder().setModelName("intent").setModelVersion("9").addInputs(texts("text", "hi")).build(), Status.Code.NOT_FOUND, "no version"),
                new Case(ModelInferRequest.newBuilder().setModelName("intent").build(), Status.Code.INVALID_ARGUMENT, "input tensor"),
                new Case(ModelInferRequest.newBuilder().setModelName("intent").addInputs(texts("text")).build(), Status.Code.INVALID_ARGUMENT, "no elements"),
                new Case(ModelInferRequest.newBuilder().setModelName("intent").addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("text").setDatatype("FP32").setContents(InferTensorContents.newBuilder().addFp32Contents(1f))).build(), Status.Code.INVALID_ARGUMENT, "BYTES"),
                new Case(ModelInferRequest.newBuilder().setModelName("intent").addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("text").setDatatype("BYTES")).addRawInputContents(ByteString.copyFrom(new byte[] {9, 0, 0, 0, 'a'})).build(), Status.Code.INVALID_ARGUMENT, "longer"));
        for (Case c : cases) {
            assertThatThrownBy(() -> call().modelInfer(c.request())).as(c.says())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(c.code());
                        assertThat(e.getStatus().getDescription()).contains(c.says());
                    });
        }
        assertThat(call().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    }
}
