package ai.infer4j.engine;

import ai.infer4j.engine.backbone.Backbone;
import ai.infer4j.engine.backbone.BackboneFiles;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.tokenize.TextTokenizer;
import ai.infer4j.engine.tokenize.Tokens;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizationTest {
    private final Backbone backbone = TestEngine.get().backbone(BackboneFiles.builtin(TestEngine.options().cacheDir()));
    private final TextTokenizer tok = backbone.tokenizer();

    @Test
    void shortQueryIsNotPaddedTo128() {
        Tokens t = tok.encode(TextInput.of("hello world"));
        // [CLS] hello world [SEP]
        assertThat(t.ids()).containsExactly(101, 7592, 2088, 102);
        assertThat(t.truncated()).isFalse();
        assertThat(t.unknownCount()).isZero();
    }

    @Test
    void longInputIsTruncatedAtMaxLengthAndReported() {
        Tokens t = tok.encode(TextInput.of("word ".repeat(500)));
        assertThat(t.length()).isEqualTo(128);
        assertThat(t.truncated()).isTrue();
        assertThat(t.ids()[0]).isEqualTo(101);
        assertThat(t.ids()[127]).isEqualTo(102);
    }

    @Test
    void longInputIsRefusedWith422WhenTruncationIsOff() {
        try (TextTokenizer strict = TextTokenizer.load(backbone.files().tokenizer(), 16, 1000, false)) {
            assertThatThrownBy(() -> strict.encode(TextInput.of("word ".repeat(40))))
                    .isInstanceOfSatisfying(BadInputException.class, e -> {
                        assertThat(e.status()).isEqualTo(422);
                        assertThat(e.getMessage()).contains("42 tokens").contains("at most 16");
                    });
        }
    }

    @Test
    void pairGetsSegmentIds() {
        Tokens t = tok.encode(new TextInput("a b", "c"));
        assertThat(t.ids()).hasSize(6);
        assertThat(t.typeIds()).containsExactly(0, 0, 0, 0, 1, 1);
    }

    @Test
    void countsUnknownTokens() {
        assertThat(tok.encode(TextInput.of("hello \u2603\u2603 world \uD83D\uDE00")).unknownCount()).isGreaterThan(0);
    }

    @Test
    void refusesMissingEmptyAndHugeText() {
        assertThatThrownBy(() -> tok.encode(TextInput.of(null))).isInstanceOf(BadInputException.class).hasMessageContaining("missing 'text'");
        assertThatThrownBy(() -> tok.encode(TextInput.of("  \n\t"))).isInstanceOf(BadInputException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> tok.encode(TextInput.of("x".repeat(20_001))))
                .isInstanceOfSatisfying(BadInputException.class, e -> assertThat(e.status()).isEqualTo(422));
    }

    @Test
    void batchIsPaddedToItsLongestSequenceOnly() {
        var f = backbone.forward(List.of(tok.encode(TextInput.of("hi")), tok.encode(TextInput.of("a somewhat longer query here"))));
        assertThat(f.paddedLength()).isEqualTo(7);
        assertThat(f.vectors()).hasNumberOfRows(2);
        assertThat(f.paddingRatio()).isCloseTo(4.0 / 14, org.assertj.core.data.Offset.offset(1e-9));
    }
}
