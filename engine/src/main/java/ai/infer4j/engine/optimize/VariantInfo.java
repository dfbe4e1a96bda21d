package ai.infer4j.engine.optimize;

import ai.infer4j.engine.archive.Manifest;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What an archive's manifest says about its precision and parity gate, for a server that picks a
 * variant ({@code serve --precision int8} should use an INT8 archive only when {@link #usable()}).
 *
 * @param precision   {@code fp32} or {@code int8}; {@code fp32} for archives that {@code optimize} did not write
 * @param optimized   written by {@code infer4j optimize}
 * @param gateChecked the parity gate ran (an evaluation set was given)
 * @param gatePassed  the parity gate ran and passed
 */
public record VariantInfo(String precision, boolean optimized, boolean gateChecked, boolean gatePassed) {

    public static VariantInfo of(Manifest m) {
        if (m == null) return new VariantInfo("fp32", false, false, false);
        JsonNode p = m.extra().get(Optimizer.PRECISION);
        JsonNode parity = m.extra().get(Optimizer.PARITY);
        boolean checked = parity != null && parity.has("passed");
        return new VariantInfo(p == null ? "fp32" : p.asText(), m.extra().containsKey(Optimizer.OPTIMIZATION), checked,
                checked && parity.get("passed").asBoolean());
    }

    /** FP32 archives are always usable; optimized variants only when their gate passed. */
    public boolean usable() {
        return !optimized || gatePassed;
    }
}
