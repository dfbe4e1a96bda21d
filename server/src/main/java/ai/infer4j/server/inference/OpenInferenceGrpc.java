package ai.infer4j.server.inference;

import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.InferenceException;
import ai.infer4j.engine.Model;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;
import ai.infer4j.server.grpc.v2.GRPCInferenceServiceGrpc;
import ai.infer4j.server.grpc.v2.InferTensorContents;
import ai.infer4j.server.grpc.v2.ModelInferRequest;
import ai.infer4j.server.grpc.v2.ModelInferResponse;
import ai.infer4j.server.grpc.v2.ModelMetadataRequest;
import ai.infer4j.server.grpc.v2.ModelMetadataResponse;
import ai.infer4j.server.grpc.v2.ModelReadyRequest;
import ai.infer4j.server.grpc.v2.ModelReadyResponse;
import ai.infer4j.server.grpc.v2.ServerLiveRequest;
import ai.infer4j.server.grpc.v2.ServerLiveResponse;
import ai.infer4j.server.grpc.v2.ServerMetadataRequest;
import ai.infer4j.server.grpc.v2.ServerMetadataResponse;
import ai.infer4j.server.grpc.v2.ServerReadyRequest;
import ai.infer4j.server.grpc.v2.ServerReadyResponse;
import ai.infer4j.server.http.HttpSupport;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * KServe Open Inference Protocol v2 over gRPC ({@code inference.GRPCInferenceService}): the same model metadata and
 * the same predict path as the REST routes ({@link OpenInferenceV2}, {@link InferenceService#admit}). Inputs: BYTES
 * tensor {@code text} (else the first) and {@code text_pair} for pair models, as {@code contents.bytes_contents} or
 * {@code raw_input_contents} (Triton clients); the answer uses the same form the request did.
 * Failures map to gRPC status codes: 400 → INVALID_ARGUMENT, 404 → NOT_FOUND, 503 → UNAVAILABLE, 504 → DEADLINE_EXCEEDED.
 */
public final class OpenInferenceGrpc extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    private final InferenceService svc;

    public OpenInferenceGrpc(InferenceService svc) {
        this.svc = svc;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        reply(out, ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        reply(out, ServerReadyResponse.newBuilder().setReady(!svc.draining() && !svc.registry.names().isEmpty()).build());
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        try {
            svc.registry.resolve(request.getName(), version(request.getVersion()));
            reply(out, ModelReadyResponse.newBuilder().setReady(!svc.draining()).build());
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        reply(out, ServerMetadataResponse.newBuilder().setName("infer4j").setVersion(OpenInferenceV2.SERVER_VERSION).build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        try {
            Model m = svc.registry.resolve(request.getName(), version(request.getVersion())).model();
            var b = ModelMetadataResponse.newBuilder().setName(request.getName()).addVersions(m.version()).setPlatform(OpenInferenceV2.PLATFORM);
            for (var t : OpenInferenceV2.inputs(m)) b.addInputs(tensor(t));
            for (var t : OpenInferenceV2.outputs(m)) b.addOutputs(tensor(t));
            reply(out, b.build());
        } catch (RuntimeException e) {
            out.onError(status(e));
        }
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        long start = System.nanoTime();
        String name = request.getModelName();
        String[] version = {version(request.getModelVersion())};
        try {
            boolean raw = request.getRawInputContentsCount() > 0;
            Request r = texts(request, raw);
            var admitted = svc.admit(name, version[0], r, start);
            version[0] = admitted.version();
            admitted.answers().whenComplete((answers, err) -> {
                if (err != null) {
                    finish(name, version[0], start, HttpSupport.unwrap(err), out);
                    return;
                }
                ModelInferResponse resp;
                try {
                    resp = response(request, admitted.version(), answers, raw);
                } catch (RuntimeException e) {
                    finish(name, version[0], start, e, out);
                    return;
                }
                svc.metrics.request(name, admitted.version(), 200, System.nanoTime() - start);
                reply(out, resp);
            });
        } catch (RuntimeException e) {
            finish(name, version[0], start, e, out);
        }
    }

    private void finish(String name, String version, long start, Throwable e, StreamObserver<?> out) {
        int code = e instanceof InferenceException ie ? ie.status() : 500;
        if (!name.isEmpty()) svc.metrics.request(name, version == null ? "" : version, code, System.nanoTime() - start);
        out.onError(status(e));
    }

    /** The texts of the {@code text} tensor (else the first), paired with {@code text_pair} when present. */
    private static Request texts(ModelInferRequest request, boolean raw) {
        if (request.getInputsCount() == 0)
            throw new BadInputException("ModelInfer needs an input tensor: name \"text\", datatype BYTES, one element per text");
        int text = 0, pair = -1;
        for (int i = 0; i < request.getInputsCount(); i++) {
            if (request.getInputs(i).getName().equals("text")) text = i;
            if (request.getInputs(i).getName().equals("text_pair")) pair = i;
        }
        if (raw && request.getRawInputContentsCount() != request.getInputsCount())
            throw new BadInputException("raw_input_contents has " + request.getRawInputContentsCount() + " entries for "
                    + request.getInputsCount() + " input tensors; send one per input");
        List<String> texts = strings(request, text, raw), pairs = pair < 0 ? null : strings(request, pair, raw);
        if (texts.isEmpty()) throw new BadInputException("input tensor '" + request.getInputs(text).getName() + "' has no elements");
        if (texts.size() > InferenceService.MAX_INPUTS_PER_REQUEST)
            throw new BadInputException("too many inputs: " + texts.size() + "; at most " + InferenceService.MAX_INPUTS_PER_REQUEST + " per request");
        if (pairs != null && pairs.size() != texts.size())
            throw new BadInputException("input tensors 'text' and 'text_pair' differ in length: " + texts.size() + " vs " + pairs.size());
        List<TextInput> inputs = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) inputs.add(new TextInput(texts.get(i), pairs == null ? null : pairs.get(i)));
        return Request.ofInputs(inputs);
    }

    private static List<String> strings(ModelInferRequest request, int index, boolean raw) {
        var t = request.getInputs(index);
        if (!t.getDatatype().equals("BYTES"))
            throw new BadInputException("input tensor '" + t.getName() + "' datatype must be BYTES, got '" + t.getDatatype() + "'");
        List<String> out = new ArrayList<>();
        if (!raw) {
            for (ByteString b : t.getContents().getBytesContentsList()) out.add(utf8(b.toByteArray(), t.getName()));
            return out;
        }
        ByteBuffer buf = request.getRawInputContents(index).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (buf.remaining() < 4) throw new BadInputException("raw BYTES of '" + t.getName() + "' end inside a length prefix");
            int n = buf.getInt();
            if (n < 0 || n > buf.remaining()) throw new BadInputException("raw BYTES of '" + t.getName() + "' have an element longer than the rest (" + n + " bytes)");
            byte[] b = new byte[n];
            buf.get(b);
            out.add(utf8(b, t.getName()));
        }
        return out;
    }

    private static String utf8(byte[] b, String tensor) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException("an element of input tensor '" + tensor + "' is not valid UTF-8");
        }
    }

    private static ModelInferResponse response(ModelInferRequest request, String version, List<Answer> answers, boolean raw) {
        var b = ModelInferResponse.newBuilder().setModelName(request.getModelName()).setModelVersion(version).setId(request.getId());
        int n = answers.size();
        if (answers.get(0) instanceof Answer.Embedded first) {
            int dim = first.vector().length;
            float[] all = new float[n * dim];
            for (int i = 0; i < n; i++) System.arraycopy(answers.get(i).vector(), 0, all, i * dim, dim);
            var t = ModelInferResponse.InferOutputTensor.newBuilder().setName("embedding").setDatatype("FP32").addShape(n).addShape(dim);
            fp32(b, t, all, raw);
            return b.build();
        }
        List<String> labels = new ArrayList<>(n);
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            Answer a = answers.get(i);
            var p = CaptureHook.prediction(a);
            labels.add(p.label());
            scores[i] = (float) (a instanceof Answer.Matched m ? m.score().score() : p.score());
        }
        var label = ModelInferResponse.InferOutputTensor.newBuilder().setName("label").setDatatype("BYTES").addShape(n);
        if (raw) {
            var bytes = ByteString.newOutput();
            for (String l : labels) {
                byte[] s = l.getBytes(StandardCharsets.UTF_8);
                bytes.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(s.length).array(), 0, 4);
                bytes.write(s, 0, s.length);
            }
            b.addOutputs(label).addRawOutputContents(bytes.toByteString());
        } else {
            var c = InferTensorContents.newBuilder();
            for (String l : labels) c.addBytesContents(ByteString.copyFromUtf8(l));
            b.addOutputs(label.setContents(c));
        }
        fp32(b, ModelInferResponse.InferOutputTensor.newBuilder().setName("score").setDatatype("FP32").addShape(n), scores, raw);
        return b.build();
    }

    private static void fp32(ModelInferResponse.Builder b, ModelInferResponse.InferOutputTensor.Builder t, float[] values, boolean raw) {
        if (raw) {
            ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) buf.putFloat(v);
            b.addOutputs(t).addRawOutputContents(ByteString.copyFrom(buf.array()));
        } else {
            var c = InferTensorContents.newBuilder();
            for (float v : values) c.addFp32Contents(v);
            b.addOutputs(t.setContents(c));
        }
    }

    private static ModelMetadataResponse.TensorMetadata tensor(OpenInferenceV2.Tensor t) {
        var b = ModelMetadataResponse.TensorMetadata.newBuilder().setName(t.name()).setDatatype(t.datatype());
        for (long d : t.shape()) b.addShape(d);
        return b.build();
    }

    private static String version(String v) {
        return v == null || v.isEmpty() ? null : v;
    }

    /**
     * Requires {@code authorization: Bearer <token>} on every call but the server health checks (as on the HTTP
     * listeners); a missing or wrong token is UNAUTHENTICATED.
     */
    public static io.grpc.ServerInterceptor bearer(byte[] token) {
        io.grpc.Metadata.Key<String> auth = io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER);
        return new io.grpc.ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers,
                                                                      io.grpc.ServerCallHandler<Q, R> next) {
                String method = call.getMethodDescriptor().getBareMethodName();
                String given = headers.get(auth);
                boolean health = "ServerLive".equals(method) || "ServerReady".equals(method);
                boolean ok = given != null && given.startsWith("Bearer ")
                        && MessageDigest.isEqual(token, given.substring(7).trim().getBytes(StandardCharsets.UTF_8));
                if (health || ok) return next.startCall(call, headers);
                call.close(Status.UNAUTHENTICATED.withDescription("send metadata 'authorization: Bearer <token>'"), new io.grpc.Metadata());
                return new io.grpc.ServerCall.Listener<>() { };
            }
        };
    }

    private static <T> void reply(StreamObserver<T> out, T value) {
        out.onNext(value);
        out.onCompleted();
    }

    /** The gRPC status for a failure: typed failures by their HTTP status, anything else INTERNAL (logged, with an incident id). */
    static StatusRuntimeException status(Throwable t) {
        Throwable e = HttpSupport.unwrap(t);
        if (!(e instanceof InferenceException ie)) {
            HttpSupport.error(e, "gRPC ModelInfer").release(); // logs it with an incident id
            return Status.INTERNAL.withDescription("internal error; the server log has details").asRuntimeException();
        }
        if (ie.status() >= 500 && ie.status() != 503) HttpSupport.error(ie, "gRPC ModelInfer").release(); // logs it (e.g. a handler's incident)
        Status s = switch (ie.status()) {
            case 400, 413, 422 -> Status.INVALID_ARGUMENT;
            case 404 -> Status.NOT_FOUND;
            case 409 -> Status.ALREADY_EXISTS;
            case 503 -> Status.UNAVAILABLE;
            case 504 -> Status.DEADLINE_EXCEEDED;
            default -> Status.INTERNAL;
        };
        return s.withDescription(ie.getMessage()).asRuntimeException();
    }
}
