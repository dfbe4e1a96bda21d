package ai.infer4j.engine;

import ai.infer4j.engine.batch.BatchListener;
import ai.infer4j.engine.batch.BatchPolicy;
import ai.infer4j.engine.error.BadInputException;
import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.task.Answer;
import ai.infer4j.engine.task.Request;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The one asynchronous entry answers like the synchronous two steps, for every task. */
class SubmitTest {
    private static final Duration T = Duration.ofSeconds(30);
    private final Engine engine = TestEngine.get();

    @Test
    void submittedClassificationEqualsSynchronousRun() {
        Model intent = engine.load("intent");
        Request r = Request.of("I lost my credit card", "what's the weather in paris");
        List<Answer> async = engine.submit(intent, r, T).join();
        List<Answer> sync = intent.run(r);
        assertThat(async).hasSize(2);
        for (int i = 0; i < 2; i++) {
            var a = (Answer.Classified) async.get(i);
            var s = (Answer.Classified) sync.get(i);
            assertThat(a.prediction().label()).isEqualTo(s.prediction().label());
            assertThat(a.prediction().score()).isCloseTo(s.prediction().score(), within(1e-4));
        }
    }

    @Test
    void submittedPairsAndEmbeddingsEqualSynchronousRun() {
        Model dup = engine.load("duplicate"), embed = engine.load("embed");
        var pair = new PairInput(Map.of("title", "canon pixma ip4500 printer"), Map.of("title", "pixma ip4500 canon"));
        var async = (Answer.Matched) engine.predict(dup, new Request.Pairs(List.of(pair)), T).get(0);
        assertThat(async.score().score()).isCloseTo(dup.scorePairs(List.of(pair)).get(0).score(), within(1e-4));
        var e = (Answer.Embedded) engine.predict(embed, Request.of("hello world"), T).get(0);
        float[] direct = embed.embed(List.of("hello world"))[0];
        for (int i = 0; i < direct.length; i++) assertThat(e.vector()[i]).isCloseTo(direct[i], within(1e-4f));
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsQueued() {
        Model intent = engine.load("intent");
        assertThatThrownBy(() -> engine.submit(intent, Request.of("fine", " "), T))
                .isInstanceOf(BadInputException.class).hasMessageContaining("input 1");
        assertThatThrownBy(() -> engine.submit(intent, new Request.Pairs(List.of(PairInput.ofTexts("a", "b"))), T))
                .isInstanceOf(BadInputException.class).hasMessageContaining("pair model");
        assertThatThrownBy(() -> engine.submit(engine.load("duplicate"), Request.of("no pair here"), T))
                .isInstanceOf(BadInputException.class).hasMessageContaining("text_pair");
    }

    @Test
    void modelsOnOneBackboneShareOneSchedulerWhoseFirstSettingsStayInForce() {
        Model intent = engine.load("intent"), dup = engine.load("duplicate");
        var running = engine.scheduler(intent.backbone());
        var other = new BatchPolicy(running.policy().maxBatchSize() + 1, running.policy().maxBatchTokens(), running.policy().maxDelay(),
                running.policy().queueCapacity());
        assertThat(engine.batching(dup.backbone(), other, 1, BatchListener.NONE)).isSameAs(running);
        assertThat(running.policy()).isNotEqualTo(other);
        assertThat(other.describe()).contains("batch_size " + other.maxBatchSize());
    }
}
