/*
 * Kafka Streams' own windowed aggregation, as the oracle the windowing engine is tested against
 * (test/oracle/kafka-streams/window-engine.test.ts). Tributary's windows follow Kafka Streams'
 * semantics, and where a written description and Kafka Streams disagree, Kafka Streams is right
 * (issue 3, the windowing engine), so the test asks Kafka Streams.
 *
 * Protocol: one JSON case per stdin line,
 *   {"id", "spec": <the replay command's spec>, "emit": E, "records": [{"key","ts","value"}]}
 * with E one of onWindowClose (EmitStrategy.onWindowClose(): each window once, after it closes),
 * onWindowUpdate (the KTable's changelog: every update, tombstones for sessions that go) or
 * suppress (onWindowUpdate then suppress(untilWindowCloses)), and one JSON answer per case,
 *   {"id", "steps": [[result...] per input record], "dropped": [dropped-records-total's growth per input record]}
 * with results as the replay command prints them ({"key","windowStart","windowEnd","values"},
 * "values": null for a tombstone). Each case runs in a fresh TopologyTestDriver (one partition, so
 * one stream time) with Kafka Streams' default stores (RocksDB: onWindowClose needs its
 * time-ordered stores; the in-memory ones expire a window before it is emitted) and the record
 * cache off, so every update is forwarded. Values are numbers: count, sum, min, max and avg of the
 * value itself.
 *
 * Run from source against the jars test/oracle/kafka-streams/pom.xml resolves:
 *   java -cp '.local/kafka-streams-oracle/libs/*' test/oracle/kafka-streams/WindowOracle.java
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.DoubleSerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;

public final class WindowOracle {
  /** count, sum, min and max of the values so far: every aggregation a case asks for derives from them. */
  record Agg(long count, double sum, double min, double max) {
    static Agg empty() { return new Agg(0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY); }
    Agg add(double v) { return new Agg(count + 1, sum + v, Math.min(min, v), Math.max(max, v)); }
    Agg merge(Agg o) { return new Agg(count + o.count, sum + o.sum, Math.min(min, o.min), Math.max(max, o.max)); }
  }

  static final Serde<Agg> AGG = Serdes.serdeFrom(
      (topic, a) -> a == null ? null
          : ByteBuffer.allocate(32).putLong(a.count).putDouble(a.sum).putDouble(a.min).putDouble(a.max).array(),
      (topic, b) -> {
        if (b == null) return null;
        ByteBuffer in = ByteBuffer.wrap(b);
        return new Agg(in.getLong(), in.getDouble(), in.getDouble(), in.getDouble());
      });

  static final ObjectMapper JSON = new ObjectMapper();

  /** Answers each case line of stdin on its own stdout line, flushed, so one JVM serves a whole test run. */
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) continue;
      System.out.println(JSON.writeValueAsString(runCase(JSON.readTree(line))));
      System.out.flush();
    }
  }

  static Duration ms(JsonNode node, String field) { return Duration.ofMillis(node.get(field).asLong()); }

  static ObjectNode runCase(JsonNode c) throws Exception {
    JsonNode window = c.get("spec").get("window");
    JsonNode aggregations = c.get("spec").get("aggregations");
    List<ObjectNode> emitted = new ArrayList<>();

    StreamsBuilder builder = new StreamsBuilder();
    KGroupedStream<String, Double> grouped =
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.Double())).groupByKey();
    String emit = c.get("emit").asText();
    EmitStrategy strategy = switch (emit) {
      case "onWindowClose" -> EmitStrategy.onWindowClose();
      case "onWindowUpdate", "suppress" -> EmitStrategy.onWindowUpdate();
      default -> throw new IllegalArgumentException("emit " + emit);
    };
    KTable<Windowed<String>, Agg> table = switch (window.get("type").asText()) {
      case "tumbling" -> grouped.windowedBy(TimeWindows.ofSizeAndGrace(ms(window, "sizeMs"), ms(window, "graceMs")))
          .emitStrategy(strategy)
          .aggregate(Agg::empty, (k, v, a) -> a.add(v), stored(c));
      case "hopping" -> grouped.windowedBy(TimeWindows.ofSizeAndGrace(ms(window, "sizeMs"), ms(window, "graceMs"))
              .advanceBy(ms(window, "advanceMs")))
          .emitStrategy(strategy)
          .aggregate(Agg::empty, (k, v, a) -> a.add(v), stored(c));
      case "sliding" -> grouped.windowedBy(
              SlidingWindows.ofTimeDifferenceAndGrace(ms(window, "timeDifferenceMs"), ms(window, "graceMs")))
          .emitStrategy(strategy)
          .aggregate(Agg::empty, (k, v, a) -> a.add(v), stored(c));
      case "session" -> grouped.windowedBy(
              SessionWindows.ofInactivityGapAndGrace(ms(window, "gapMs"), ms(window, "graceMs")))
          .emitStrategy(strategy)
          .aggregate(Agg::empty, (k, v, a) -> a.add(v), (k, a, b) -> a.merge(b), stored(c));
      default -> throw new IllegalArgumentException("window type " + window.get("type"));
    };
    if (emit.equals("suppress")) table = table.suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()));
    table.toStream().foreach((key, agg) -> emitted.add(result(key, agg, aggregations)));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "window-oracle");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    Path stateDir = Files.createTempDirectory("window-oracle");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());

    ArrayNode steps = JSON.createArrayNode();
    ArrayNode drops = JSON.createArrayNode();
    long droppedSoFar = 0;
    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
      TestInputTopic<String, Double> input =
          driver.createInputTopic("in", new StringSerializer(), new DoubleSerializer());
      for (JsonNode r : c.get("records")) {
        // onWindowClose looks for closed windows at most once a wall-clock second: let one pass.
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        input.pipeInput(r.get("key").asText(), r.get("value").asDouble(), r.get("ts").asLong());
        ArrayNode step = steps.addArray();
        emitted.forEach(step::add);
        emitted.clear();
        long dropped = droppedRecords(driver);
        drops.add(dropped - droppedSoFar);
        droppedSoFar = dropped;
      }
    } finally {
      try (Stream<Path> paths = Files.walk(stateDir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
    ObjectNode out = JSON.createObjectNode();
    out.set("id", c.get("id"));
    out.set("steps", steps);
    out.set("dropped", drops);
    return out;
  }

  /** The task's dropped-records-total: Kafka Streams counts a late record there once per window it missed. */
  static long droppedRecords(TopologyTestDriver driver) {
    double total = 0;
    for (var metric : driver.metrics().entrySet()) {
      if (metric.getKey().name().equals("dropped-records-total")) {
        total += ((Number) metric.getValue().metricValue()).doubleValue();
      }
    }
    return (long) total;
  }

  /** The store's serdes, and its retention when the case gives one (retentionMs). */
  static <S extends StateStore> Materialized<String, Agg, S> stored(JsonNode c) {
    Materialized<String, Agg, S> m = Materialized.with(Serdes.String(), AGG);
    return c.has("retentionMs") ? m.withRetention(ms(c, "retentionMs")) : m;
  }

  static ObjectNode result(Windowed<String> key, Agg agg, JsonNode aggregations) {
    ObjectNode r = JSON.createObjectNode();
    r.put("key", key.key());
    r.put("windowStart", key.window().start());
    r.put("windowEnd", key.window().end());
    if (agg == null) {
      r.putNull("values");
      return r;
    }
    ObjectNode values = r.putObject("values");
    for (Map.Entry<String, JsonNode> a : (Iterable<Map.Entry<String, JsonNode>>) aggregations::fields) {
      switch (a.getValue().get("fn").asText()) {
        case "count" -> values.put(a.getKey(), agg.count);
        case "sum" -> values.put(a.getKey(), agg.sum);
        case "min" -> values.put(a.getKey(), agg.min);
        case "max" -> values.put(a.getKey(), agg.max);
        case "avg" -> values.put(a.getKey(), agg.sum / agg.count);
        default -> throw new IllegalArgumentException("aggregation " + a.getValue());
      }
    }
    return r;
  }
}
