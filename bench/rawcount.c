/* rawcount.c - the peer for `consumer` in `make bench`: a minimal librdkafka
 * consumer that reads every partition of a topic from the beginning to the
 * end and only counts messages. Nothing rydeflow adds (formatting, output,
 * offsets) is done here, so it is the ceiling a consumer can reach. It uses
 * the same fetch settings as rydeflow's consumers (rf_kafka.c), so the
 * comparison measures rydeflow's own work, not a configuration difference.
 *
 * usage: rawcount BROKERS TOPIC   -> prints "<messages> <bytes> <seconds>" */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rawcount BROKERS TOPIC\n");
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) ||
        rd_kafka_conf_set(conf, "group.id", "rawcount", err, sizeof err) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err) ||
        rd_kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, sizeof err) ||
        rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "262144", err, sizeof err)) {
        fprintf(stderr, "rawcount: %s\n", err);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "rawcount: %s\n", err);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);
    const struct rd_kafka_metadata *md;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "rawcount: no metadata for %s\n", argv[2]);
        return 1;
    }
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(l, argv[2], p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    double t0 = now();
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    long long n = 0, bytes = 0;
    int eofs = 0;
    while (eofs < parts) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            eofs++;
        else if (!m->err) {
            n++;
            bytes += (long long)m->len;
        }
        rd_kafka_message_destroy(m);
    }
    printf("%lld %lld %.3f\n", n, bytes, now() - t0);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}
