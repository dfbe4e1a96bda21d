package ai.infer4j.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FloatVectorTest {

    private static final float[] TRICKY = {0f, -0f, 0.1f, -1.0E-10f, 1.0E7f, 123456.79f, Float.MIN_VALUE, Float.MAX_VALUE,
            -Float.MIN_NORMAL, 0.33333334f, 1f, -2.5f};

    @Test
    void writesTheSameTextAsOneNodePerFloatAndReadsBackBitForBit() throws Exception {
        float[] random = new float[384];
        Random rnd = new Random(7);
        for (int i = 0; i < random.length; i++) random[i] = (float) rnd.nextGaussian() / 20;
        for (float[] v : new float[][] {TRICKY, random, {}}) {
            ObjectNode fast = HttpSupport.JSON.createObjectNode();
            fast.set("embedding", HttpSupport.floats(v));
            ObjectNode nodes = HttpSupport.JSON.createObjectNode();
            ArrayNode arr = nodes.putArray("embedding");
            for (float f : v) arr.add(f);
            String text = HttpSupport.JSON.writeValueAsString(fast);
            assertEquals(HttpSupport.JSON.writeValueAsString(nodes), text);
            JsonNode back = HttpSupport.JSON.readTree(text).get("embedding");
            assertEquals(v.length, back.size());
            for (int i = 0; i < v.length; i++)
                assertEquals(Float.floatToIntBits(v[i]), Float.floatToIntBits(back.get(i).floatValue()), "element " + i);
        }
    }

    @Test
    void vectorsSitInArraysWithTheirSeparators() throws Exception {
        ArrayNode list = HttpSupport.JSON.createArrayNode();
        list.add(HttpSupport.floats(new float[] {1f, 2f}));
        list.add(HttpSupport.floats(new float[] {-0.5f}));
        list.addObject().put("n", 3);
        assertEquals("[[1.0,2.0],[-0.5],{\"n\":3}]", HttpSupport.JSON.writeValueAsString(list));
    }
}
