/*
 * FlinkSummary - the Flink SQL peer of `make bench`: the workshop's
 * per-unicorn, per-minute summary as a Flink SQL user writes it, run on
 * Flink's embedded cluster in this JVM:
 *
 *   a Kafka table (JSON) with a WATERMARK of GRACE seconds on StatusTime,
 *   read from the earliest offset to the offsets at start (bounded mode);
 *   TUMBLE of 1 minute, sum/min/max per Name; a Kafka sink with
 *   delivery-guarantee exactly-once (transactions committed on checkpoints,
 *   every COMMIT_MS, as rydeflow commits); the default state backend
 *   (hashmap: heap), parallelism PARALLELISM.
 *
 * The job ends when its bounded input is read and its last checkpoint has
 * committed the output. At the end of a bounded input Flink sends the
 * largest watermark and so also emits the windows still open; the bench
 * compares only windows every system closed.
 * Prints "seconds=S" on stdout: S from the JVM's start to the job's end.
 *
 * usage: java rydeflow.FlinkSummary BROKERS INPUT OUTPUT GROUP COMMIT_MS GRACE_S PARALLELISM
 */
package rydeflow;

import java.lang.management.ManagementFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

public final class FlinkSummary {
    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: FlinkSummary BROKERS INPUT OUTPUT GROUP COMMIT_MS GRACE_S PARALLELISM");
            System.exit(2);
        }
        String brokers = args[0], input = args[1], output = args[2], group = args[3];
        long commitMs = Long.parseLong(args[4]), graceS = Long.parseLong(args[5]);
        int parallelism = Integer.parseInt(args[6]);

        Configuration conf = new Configuration();
        conf.setString("execution.checkpointing.interval", commitMs + " ms");
        conf.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        conf.setString("state.backend.type", "hashmap");
        conf.setString("parallelism.default", Integer.toString(parallelism));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        StreamTableEnvironment t = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());

        t.executeSql("CREATE TABLE wildrydes (\n"
            + "  Name STRING, StatusTime STRING, Distance DOUBLE, MagicPoints BIGINT, HealthPoints BIGINT,\n"
            + "  ts AS TO_TIMESTAMP(StatusTime, 'yyyy-MM-dd HH:mm:ss.SSS'),\n"
            + "  WATERMARK FOR ts AS ts - INTERVAL '" + graceS + "' SECOND\n"
            + ") WITH (\n"
            + "  'connector' = 'kafka', 'topic' = '" + input + "',\n"
            + "  'properties.bootstrap.servers' = '" + brokers + "',\n"
            + "  'properties.group.id' = '" + group + "',\n"
            + "  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',\n"
            + "  'format' = 'json', 'json.ignore-parse-errors' = 'true')");
        t.executeSql("CREATE TABLE summary (\n"
            + "  Name STRING, StatusTime STRING, Distance DOUBLE, MinMagicPoints BIGINT, MaxMagicPoints BIGINT,\n"
            + "  MinHealthPoints BIGINT, MaxHealthPoints BIGINT\n"
            + ") WITH (\n"
            + "  'connector' = 'kafka', 'topic' = '" + output + "',\n"
            + "  'properties.bootstrap.servers' = '" + brokers + "',\n"
            + "  'properties.transaction.timeout.ms' = '600000',\n"
            + "  'sink.delivery-guarantee' = 'exactly-once',\n"
            + "  'sink.transactional-id-prefix' = '" + group + "',\n"
            + "  'format' = 'json')");
        t.executeSql("INSERT INTO summary\n"
            + "SELECT Name, DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss.SSS'), SUM(Distance),\n"
            + "       MIN(MagicPoints), MAX(MagicPoints), MIN(HealthPoints), MAX(HealthPoints)\n"
            + "FROM TABLE(TUMBLE(TABLE wildrydes, DESCRIPTOR(ts), INTERVAL '1' MINUTE))\n"
            + "GROUP BY Name, window_start, window_end").await();

        double s = (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1000.0;
        System.out.printf("seconds=%.3f%n", s);
        System.out.flush();
        System.exit(0);
    }
}
