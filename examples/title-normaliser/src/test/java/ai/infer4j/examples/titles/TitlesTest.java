package ai.infer4j.examples.titles;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TitlesTest {
    private final Titles titles = new Titles(Titles.DEFAULT_ALIASES);

    @Test
    void splitsANumberFromItsUnitAndSpellsTheUnitOneWay() {
        assertThat(titles.title("Apple iPod Nano 8GB Black")).isEqualTo("apple ipod nano 8 gb black");
        assertThat(titles.title("seagate 1.5 terabytes usb drive")).isEqualTo("seagate 1.5 tb usb drive");
        assertThat(titles.title("lenovo backpack - 15.4\" notebook")).isEqualTo("lenovo backpack - 15.4 inch notebook");
        assertThat(titles.title("energizer max aaa 6pk")).isEqualTo("energizer max aaa 6 pack");
        assertThat(titles.title("10-ft hdmi cable 2.4ghz")).isEqualTo("10 ft hdmi cable 2.4 ghz");
    }

    @Test
    void leavesModelNumbersAndOtherWordsAlone() {
        assertThat(titles.title("canon e92bp-6r 3-in-1 w500")).isEqualTo("canon e92bp-6r 3-in-1 w500");
        assertThat(titles.title("windows xp 2 in 1 kit")).isEqualTo("windows xp 2 in 1 kit");
    }

    @Test
    void dropsTrademarkMarksAndExtraSpaces() {
        assertThat(titles.title("Microsoft ( R ) Office™  2007")).isEqualTo("microsoft office 2007");
    }

    @Test
    void replacesBrandAliasesByOneName() {
        assertThat(titles.title("hewlett-packard laserjet p1006")).isEqualTo("hp laserjet p1006");
        assertThat(titles.brand("Intuit Inc.")).isEqualTo("intuit");
        assertThat(titles.brand("microsoft corporation")).isEqualTo("microsoft");
        assertThat(titles.brand("adobe systems inc")).isEqualTo("adobe");
        assertThat(titles.brand("inc")).isEqualTo("inc"); // never empties a field
    }

    @Test
    void addsAliasesFromTheArchiveOptions() {
        Titles t = new Titles(Map.of("da-lite screen company", "da-lite"));
        assertThat(t.brand("Da-Lite Screen Company")).isEqualTo("da-lite");
        assertThat(Titles.parseAliases("a=b; c d = e")).containsEntry("a", "b").containsEntry("c d", "e");
        assertThatThrownBy(() -> Titles.parseAliases("oops")).hasMessageContaining("alias=brand");
    }

    @Test
    void isIdempotent() {
        for (String s : new String[] {"Apple iPod 8GB", "hewlett packard 24\" lcd 2.4 ghz", "punch ! software home design 6pk"})
            assertThat(titles.title(titles.title(s))).isEqualTo(titles.title(s));
    }
}
