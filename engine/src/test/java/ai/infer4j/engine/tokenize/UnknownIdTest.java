package ai.infer4j.engine.tokenize;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The unknown token's id, read from tokenizer.json without building a tree of it. */
class UnknownIdTest {
    @TempDir
    Path dir;

    private long unknownId(String json) throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, json);
        return TextTokenizer.readUnknownId(f);
    }

    @Test
    void findsTheUnknownTokenInTheVocabulary() throws IOException {
        assertThat(unknownId("""
                {"added_tokens": [{"id": 0, "content": "[PAD]"}], "normalizer": {"type": "BertNormalizer"},
                 "model": {"type": "WordPiece", "unk_token": "<oov>", "vocab": {"[PAD]": 0, "<oov>": 7, "a": 8}}}""")).isEqualTo(7);
    }

    @Test
    void readsAVocabularyThatComesBeforeUnkToken() throws IOException {
        assertThat(unknownId("{\"model\": {\"vocab\": {\"a\": 1, \"<unk>\": 3}, \"nested\": {\"x\": [1, 2]}, \"unk_token\": \"<unk>\"}}")).isEqualTo(3);
    }

    @Test
    void defaultsToBracketUnkAndMinusOneWhenAbsent() throws IOException {
        assertThat(unknownId("{\"model\": {\"unk_token\": null, \"vocab\": {\"[UNK]\": 100}}}")).isEqualTo(100);
        assertThat(unknownId("{\"model\": {\"vocab\": {\"[UNK]\": 5}}}")).isEqualTo(5);
        assertThat(unknownId("{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"<unk>\", 0.0]]}}")).isEqualTo(-1);
        assertThat(unknownId("{\"model\": {\"unk_token\": \"[UNK]\", \"vocab\": {\"a\": 1}}}")).isEqualTo(-1);
        assertThat(unknownId("{\"version\": \"1.0\"}")).isEqualTo(-1);
    }
}
