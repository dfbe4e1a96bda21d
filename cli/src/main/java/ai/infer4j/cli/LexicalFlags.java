package ai.infer4j.cli;

import ai.infer4j.engine.error.BadInputException;
import picocli.CommandLine.Option;

/**
 * The lexical layer's flags that {@code train} and {@code finetune} share ({@code @Mixin}): a softmax regression on the
 * text's word and character n-grams whose logits are added to the head's, its weight picked by cross-validation.
 */
final class LexicalFlags {
    @Option(names = "--lexical", description = "intent with --cv: add class scores from the text's words and character n-grams "
            + "(TF-IDF softmax regression) to the classifier's logits; the folds pick their weight (0, 0.25, 0.5, 1; 0 = left out)")
    boolean lexical;

    @Option(names = "--lexical-features", description = "with --lexical: keep the K most class-dependent features "
            + "(chi-squared; default 0: every feature in 2 or more training texts)", defaultValue = "0")
    int features;

    /** The feature count to train a lexical layer with (0: all), or null without {@code --lexical}; checks the pair. */
    Integer featuresOrNull() {
        if (features < 0) throw new BadInputException("--lexical-features must be >= 0 (0: all), got " + features);
        if (features > 0 && !lexical) throw new BadInputException("--lexical-features needs --lexical");
        return lexical ? features : null;
    }
}
