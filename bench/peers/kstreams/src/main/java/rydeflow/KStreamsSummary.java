/*
 * KStreamsSummary - the Kafka Streams peer of `make bench`: the workshop's
 * per-unicorn, per-minute summary written the way a Kafka Streams user writes
 * it (this is what ksqlDB runs underneath):
 *
 *   JSON values (Jackson, into a POJO), event time from StatusTime,
 *   TimeWindows of 1 minute with GRACE seconds of grace, sum/min/max per Name
 *   (the record key), suppressed until the window closes, JSON out,
 *   processing.guarantee=exactly_once_v2, commit.interval.ms as rydeflow's,
 *   the default RocksDB state store, one stream thread per core.
 *
 * It reads INPUT from the beginning and stops once its group's committed
 * offsets (committed with its output transactions) reach the input's end.
 * Prints "seconds=S windows=N" on stdout: S from the JVM's start to that
 * moment, the way the bench times rydeflow's whole process.
 *
 * usage: java rydeflow.KStreamsSummary BROKERS INPUT OUTPUT APP_ID COMMIT_MS GRACE_S STATE_DIR
 */
package rydeflow;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;

public final class KStreamsSummary {
    /** One telemetry report; only the fields the summary uses. */
    public static final class Event {
        public String Name;
        public String StatusTime;
        public double Distance;
        public long MagicPoints;
        public long HealthPoints;
    }

    /** The running summary of one unicorn's minute. */
    static final class Agg {
        double distance;
        long minMagic, maxMagic, minHealth, maxHealth;

        static Agg of(Event e) {
            Agg a = new Agg();
            a.distance = e.Distance;
            a.minMagic = a.maxMagic = e.MagicPoints;
            a.minHealth = a.maxHealth = e.HealthPoints;
            return a;
        }

        static Agg merge(Agg a, Agg b) {
            Agg r = new Agg();
            r.distance = a.distance + b.distance;
            r.minMagic = Math.min(a.minMagic, b.minMagic);
            r.maxMagic = Math.max(a.maxMagic, b.maxMagic);
            r.minHealth = Math.min(a.minHealth, b.minHealth);
            r.maxHealth = Math.max(a.maxHealth, b.maxHealth);
            return r;
        }
    }

    static final ObjectMapper JSON =
        new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    static final Serde<Event> EVENT = Serdes.serdeFrom(
        (Serializer<Event>) (topic, e) -> {
            try { return JSON.writeValueAsBytes(e); } catch (Exception x) { throw new RuntimeException(x); }
        },
        (Deserializer<Event>) (topic, b) -> {
            try { return b == null ? null : JSON.readValue(b, Event.class); }
            catch (Exception x) { throw new RuntimeException(x); }
        });

    static final Serde<Agg> AGG = Serdes.serdeFrom(
        (Serializer<Agg>) (topic, a) -> ByteBuffer.allocate(40).putDouble(a.distance).putLong(a.minMagic)
            .putLong(a.maxMagic).putLong(a.minHealth).putLong(a.maxHealth).array(),
        (Deserializer<Agg>) (topic, b) -> {
            if (b == null) return null;
            ByteBuffer bb = ByteBuffer.wrap(b);
            Agg a = new Agg();
            a.distance = bb.getDouble(); a.minMagic = bb.getLong(); a.maxMagic = bb.getLong();
            a.minHealth = bb.getLong(); a.maxHealth = bb.getLong();
            return a;
        });

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    /** Event time: StatusTime ("YYYY-MM-DD HH:MM:SS.mmm", UTC). */
    public static final class StatusTimeExtractor implements TimestampExtractor {
        @Override
        public long extract(ConsumerRecord<Object, Object> r, long partitionTime) {
            Event e = (Event) r.value();
            if (e == null || e.StatusTime == null) return -1; // dropped, as Kafka Streams does
            return LocalDateTime.parse(e.StatusTime, TIME).toInstant(ZoneOffset.UTC).toEpochMilli();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: KStreamsSummary BROKERS INPUT OUTPUT APP_ID COMMIT_MS GRACE_S STATE_DIR");
            System.exit(2);
        }
        String brokers = args[0], input = args[1], output = args[2], app = args[3];
        long commitMs = Long.parseLong(args[4]), graceS = Long.parseLong(args[5]);

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Runtime.getRuntime().availableProcessors());
        p.put(StreamsConfig.STATE_DIR_CONFIG, args[6]);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

        AtomicLong windows = new AtomicLong();
        StreamsBuilder b = new StreamsBuilder();
        b.stream(input, Consumed.with(Serdes.String(), EVENT).withTimestampExtractor(new StatusTimeExtractor()))
            .mapValues(Agg::of)
            .groupByKey(Grouped.with(Serdes.String(), AGG))
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofSeconds(graceS)))
            .reduce(Agg::merge, Materialized.with(Serdes.String(), AGG))
            .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
            .toStream()
            .map((w, a) -> {
                windows.incrementAndGet();
                String start = TIME.format(LocalDateTime.ofInstant(Instant.ofEpochMilli(w.window().start()),
                                                                   ZoneOffset.UTC));
                String v = "{\"Name\":" + quote(w.key()) + ",\"StatusTime\":\"" + start + "\",\"Distance\":"
                    + a.distance + ",\"MinMagicPoints\":" + a.minMagic + ",\"MaxMagicPoints\":" + a.maxMagic
                    + ",\"MinHealthPoints\":" + a.minHealth + ",\"MaxHealthPoints\":" + a.maxHealth + "}";
                return KeyValue.pair(w.key(), v);
            })
            .to(output, Produced.with(Serdes.String(), Serdes.String()));

        KafkaStreams streams = new KafkaStreams(b.build(), p);
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        try (Admin admin = Admin.create(ap)) {
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            int parts = admin.describeTopics(java.util.List.of(input)).allTopicNames().get()
                .get(input).partitions().size();
            for (int i = 0; i < parts; i++) ask.put(new TopicPartition(input, i), OffsetSpec.latest());
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(ask).all().get().forEach((tp, r) -> end.put(tp, r.offset()));

            streams.start();
            long deadline = System.currentTimeMillis() + 3_600_000;
            for (;;) {
                if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                    System.err.println("kstreams: stopped in state " + streams.state());
                    System.exit(1);
                }
                Map<TopicPartition, OffsetAndMetadata> done =
                    admin.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get();
                boolean all = true;
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    OffsetAndMetadata c = done.get(e.getKey());
                    if (c == null || c.offset() < e.getValue()) { all = false; break; }
                }
                if (all) break;
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("kstreams: input not consumed within an hour");
                    System.exit(1);
                }
                Thread.sleep(50);
            }
        }
        double s = (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1000.0;
        System.out.printf("seconds=%.3f windows=%d%n", s, windows.get());
        System.out.flush();
        streams.close(Duration.ofSeconds(10));
        System.exit(0);
    }

    static String quote(String s) {
        try { return JSON.writeValueAsString(s); } catch (Exception x) { throw new RuntimeException(x); }
    }
}
