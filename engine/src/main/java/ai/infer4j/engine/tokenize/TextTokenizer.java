package ai.infer4j.engine.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.error.ModelLoadException;
import ai.infer4j.engine.input.TextInput;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Hugging Face {@code tokenizer.json} with padding switched off (the engine pads per batch)
 * and truncation at {@code maxLength}. Validates input text and reports truncation.
 * Safe for concurrent callers.
 */
public final class TextTokenizer implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();

    private final HuggingFaceTokenizer hf;
    private final int maxLength;
    private final int maxChars;
    private final boolean truncate;
    private final long unknownId;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TextTokenizer(HuggingFaceTokenizer hf, int maxLength, int maxChars, boolean truncate, long unknownId) {
        this.hf = hf;
        this.maxLength = maxLength;
        this.maxChars = maxChars;
        this.truncate = truncate;
        this.unknownId = unknownId;
    }

    /**
     * Loads {@code tokenizer.json}.
     *
     * @param maxLength tokens per sequence including special tokens
     * @param maxChars  longest accepted text in characters
     * @param truncate  cut long input (reported in {@link Tokens#truncated()}) or refuse it with 422
     */
    public static TextTokenizer load(Path tokenizerJson, int maxLength, int maxChars, boolean truncate) {
        if (!Files.isRegularFile(tokenizerJson))
            throw new ModelLoadException("tokenizer file not found: " + tokenizerJson);
        try {
            // Padding off: the tokenizer.json of the embedded model pads everything to 128 tokens,
            // which costs ~5x on short queries. We pad per batch instead.
            // Truncation stays off in the native tokenizer so that we can see the true length.
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true",
                            "maxLength", Integer.toString(Integer.MAX_VALUE / 2)));
            return new TextTokenizer(hf, maxLength, maxChars, truncate, readUnknownId(tokenizerJson));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /**
     * The id of the model's unknown token ({@code model.unk_token} looked up in {@code model.vocab}), or -1. Read with a
     * streaming parser that stops at that entry (near the start of a BERT vocabulary): a tree of the whole file (~30k
     * vocabulary entries) took 0.2-0.35 s of a cold start and most of the JIT's start-up work.
     */
    static long readUnknownId(Path tokenizerJson) throws IOException {
        try (JsonParser p = JSON.createParser(tokenizerJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) return -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("model") && value == JsonToken.START_OBJECT) return unknownIdInModel(p);
                p.skipChildren();
            }
            return -1;
        }
    }

    /** Inside {@code "model": {...}}: {@code unk_token} (default {@code [UNK]}) and its id in {@code vocab}, in either order. */
    private static long unknownIdInModel(JsonParser p) throws IOException {
        String unk = null;
        Map<String, Long> vocabSeen = null; // only when the vocabulary comes before unk_token
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("unk_token")) {
                unk = value == JsonToken.VALUE_STRING ? p.getText() : "[UNK]";
                if (vocabSeen != null) return vocabSeen.getOrDefault(unk, -1L);
            } else if (field.equals("vocab") && value == JsonToken.START_OBJECT) {
                if (unk != null) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        boolean hit = p.currentName().equals(unk);
                        JsonToken v = p.nextToken();
                        if (hit) return v.isNumeric() ? p.getLongValue() : -1;
                        p.skipChildren();
                    }
                    return -1;
                }
                vocabSeen = new HashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String token = p.currentName();
                    if (p.nextToken().isNumeric()) vocabSeen.put(token, p.getLongValue());
                    else p.skipChildren();
                }
            } else {
                p.skipChildren();
            }
        }
        return vocabSeen == null ? -1 : vocabSeen.getOrDefault(unk == null ? "[UNK]" : unk, -1L);
    }

    public int maxLength() {
        return maxLength;
    }

    /** Tokenizes one input; throws {@link BadInputException} for missing, empty or over-long text. */
    public Tokens encode(TextInput input) {
        validate(input.text(), "text");
        if (input.textPair() != null) validate(input.textPair(), "text_pair");
        Encoding e = input.isPair() ? hf.encode(input.text(), input.textPair()) : hf.encode(input.text());
        long[] ids = e.getIds();
        long[] types = e.getTypeIds();
        long content = 0;
        for (long special : e.getSpecialTokenMask()) if (special == 0) content++;
        if (content == 0)
            throw new BadInputException("text has no content after normalisation (only control or invisible characters?)");
        boolean truncated = ids.length > maxLength;
        if (truncated) {
            if (!truncate)
                throw BadInputException.tooLong("input is " + ids.length + " tokens; the model accepts at most "
                        + maxLength + " (shorten the text or enable truncation)");
            long[][] cut = truncate(ids, types);
            ids = cut[0];
            types = cut[1];
        }
        int unknown = 0;
        for (long id : ids) if (id == unknownId) unknown++;
        return new Tokens(ids, types, truncated, unknown);
    }

    /** Tokenizes each input in order; a bad input is named by its index ({@code "input 3: ..."}) when there are several. */
    public List<Tokens> encodeAll(List<TextInput> inputs) {
        List<Tokens> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            try {
                out.add(encode(inputs.get(i)));
            } catch (BadInputException e) {
                throw inputs.size() == 1 ? e : e.withPrefix("input " + i + ": ");
            }
        }
        return out;
    }

    /**
     * Keeps the first {@code maxLength - 1} tokens and the final special token, so the sequence still
     * ends in {@code [SEP]} (or {@code </s>}). For pairs this trims from the end (the second text first).
     */
    private long[][] truncate(long[] ids, long[] types) {
        long[] i2 = new long[maxLength];
        long[] t2 = new long[maxLength];
        System.arraycopy(ids, 0, i2, 0, maxLength - 1);
        System.arraycopy(types, 0, t2, 0, maxLength - 1);
        i2[maxLength - 1] = ids[ids.length - 1];
        t2[maxLength - 1] = types[types.length - 1];
        return new long[][] {i2, t2};
    }

    private void validate(String text, String field) {
        if (text == null) throw new BadInputException("missing '" + field + "'");
        if (text.isBlank()) throw new BadInputException("'" + field + "' is empty");
        if (text.length() > maxChars)
            throw BadInputException.tooLong("'" + field + "' is " + text.length() + " characters; the limit is " + maxChars);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) throw new BadInputException("'" + field + "' contains invalid Unicode (an unpaired surrogate at " + i + ")");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) hf.close();
    }
}
