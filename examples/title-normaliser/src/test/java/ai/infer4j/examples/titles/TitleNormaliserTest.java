package ai.infer4j.examples.titles;

import ai.infer4j.engine.input.PairInput;
import ai.infer4j.engine.input.TextInput;
import ai.infer4j.engine.handler.Handler;
import ai.infer4j.engine.task.Request;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TitleNormaliserTest {
    private final TitleNormaliser handler = new TitleNormaliser();
    private final Handler.Context context = new Handler.Context("dup-titles", "1", "pair", List.of("different", "duplicate"), Map.of());

    @Test
    void isFoundByServiceLoaderUnderItsName() {
        assertThat(ServiceLoader.load(Handler.class).stream().map(p -> p.get().name())).contains("title-normaliser");
    }

    @Test
    void normalisesTitleAndBrandFieldsOfBothRecordsAndKeepsTheOthers() {
        var pair = new PairInput(Map.of("title", "Apple iPod Nano 8GB", "manufacturer", "Apple Computer", "price", "149.00"),
                Map.of("title", "apple ipod nano 8 gb silver", "modelno", "MB598LL/A"));
        var out = (Request.Pairs) handler.before(new Request.Pairs(List.of(pair)), context);
        assertThat(out.pairs().get(0).left()).containsEntry("title", "apple ipod nano 8 gb").containsEntry("manufacturer", "apple")
                .containsEntry("price", "149.00");
        assertThat(out.pairs().get(0).right()).containsEntry("title", "apple ipod nano 8 gb silver").containsEntry("modelno", "MB598LL/A");
    }

    @Test
    void normalisesTextPairsToo() {
        var out = (Request.Texts) handler.before(new Request.Texts(List.of(new TextInput("WD 2TB drive", "western digital 2 tb drive")), false), context);
        assertThat(out.inputs().get(0)).isEqualTo(new TextInput("wd 2 tb drive", "wd 2 tb drive"));
    }

    @Test
    void takesAliasesAndFieldsFromTheArchive() {
        var ctx = new Handler.Context("m", "1", "pair", List.of(), Map.of("aliases", "da-lite screen company=da-lite", "fields", "brand"));
        var pair = new PairInput(Map.of("title", "Screen 100IN", "brand", "Da-Lite Screen Company"), Map.of("title", "x"));
        var out = (Request.Pairs) handler.before(new Request.Pairs(List.of(pair)), ctx);
        assertThat(out.pairs().get(0).left()).containsEntry("brand", "da-lite").containsEntry("title", "Screen 100IN");
    }

    @Test
    void refusesBadOptionsAtRegistration() {
        var ctx = new Handler.Context("m", "1", "pair", List.of(), Map.of("aliases", "no equals sign"));
        assertThatThrownBy(() -> handler.validate(ctx)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alias=brand");
    }
}
