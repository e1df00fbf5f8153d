/* main.c - `consumer`: tail a Kafka topic, like the workshop's ./consumer. */
#include <stddef.h>
#include <stdio.h>

#include "consumer.h"
#include "format.h"
#include "rf_kafka.h"
#include "rf_log.h"
#include "rf_opts.h"
#include "rf_signal.h"

#define O(f) offsetof(struct consumer_config, f)

static const struct rf_opt options[] = {
    RF_OPTS_KAFKA_CLIENT(struct consumer_config),
    {"topic", 't', RF_OPT_STRING, "wildrydes", O(topic), "NAME", "topic to read"},
    {"group", 'G', RF_OPT_STRING, NULL, O(group), "GROUP",
     "join consumer group GROUP and commit offsets (default: no group, read every partition)"},
    {"from", 'o', RF_OPT_STRING, "beginning", O(from), "WHERE",
     "start at beginning, end, an OFFSET, -N (N before the end), or a TIME ('YYYY-MM-DD HH:MM:SS', @EPOCH_MS)"},
    {"count", 'c', RF_OPT_INT, "0", O(count), "N", "exit after N records (0 = no limit)", 0, 1e18},
    {"follow", 'f', RF_OPT_FLAG, NULL, O(follow), NULL, "keep waiting for new records at the end (like tail -f)"},
    {"format", 'F', RF_OPT_STRING, "json", O(format), "FMT", "output format", 0, 0, "json|table|csv"},
    {"show", 0, RF_OPT_STRING, NULL, O(show), "FIELDS",
     "also print record metadata: comma list of key,partition,offset,timestamp,topic,headers, or all"},
    {"where", 'w', RF_OPT_STRING, NULL, O(where), "EXPR",
     "print only records for which the SQL expression is TRUE, e.g. \"HealthPoints < 100 AND Name LIKE 'S%'\""},
    {NULL, 0, 0, NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct rf_cmd command = {
    .program = "consumer",
    .summary = "Print the records of a Kafka topic, one JSON value per line by default.",
    .opts = options,
    .epilog = "Without --follow the consumer exits at the end of every partition.\n"
              "Examples:\n"
              "  consumer --follow --from end                  # watch the fleet live\n"
              "  consumer -t wildrydes-summary -F table         # the per-minute summaries as a table\n"
              "  consumer --from '2026-11-22 07:00:00' -c 10   # ten records from a point in time\n"
              "  consumer --show key,partition,offset -c 3\n"
              "  consumer --where \"HealthPoints < 100\" --follow   # unicorns in trouble\n"
              "--where uses rydeflow's SQL expressions (docs/sql.md); on topics wildrydes and\n"
              "wildrydes-summary column names and types are checked, elsewhere any JSON field may be named.\n"
              "Exit status: 0 on success, 1 on failure, 2 for a bad command line.\n",
};

int main(int argc, char **argv)
{
    struct consumer_config cfg = {0};
    int first;
    int early = rf_opts_main(&command, &cfg, argc, argv, &first);
    if (early >= 0)
        return early;

    const char *bad = NULL;
    char err[512];
    long long offset, time_ms;
    unsigned show;
    if (consumer_parse_from(cfg.from, &offset, &time_ms) < 0)
        bad = "--from: expected beginning, end, an offset, -N or a time like '2026-11-22 07:00:00'";
    else if (cfg.group && (time_ms >= 0 || offset >= 0 || offset <= -1000))
        bad = "--from OFFSET/-N/TIME needs no --group (a group resumes from its committed offsets)";
    else if (fmt_parse_show(cfg.show, &show) < 0)
        bad = "--show: expected a comma list of key, partition, offset, timestamp, topic, headers, or all";
    else if (rf_kafka_validate_props(&cfg.props, err, sizeof err) < 0)
        bad = err;
    if (bad) {
        rf_opts_fail(&command, "%s", bad);
        rf_opts_free(&command, &cfg);
        return 2;
    }
    if (cfg.where) {
        struct sql_error serr;
        cfg.schema = sql_schema_for_topic(cfg.topic);
        cfg.filter = sql_where_compile(cfg.where, cfg.schema, &serr);
        if (!cfg.filter) {
            char msg[1024];
            sql_error_format(cfg.where, &serr, msg, sizeof msg);
            fprintf(stderr, "consumer: --where: %s\n", msg);
            rf_opts_free(&command, &cfg);
            return 2;
        }
        if (sql_expr_ncolumns(cfg.filter) > CONSUMER_WHERE_MAX_COLUMNS) {
            fprintf(stderr, "consumer: --where: names %d columns; at most %d are supported\n",
                    sql_expr_ncolumns(cfg.filter), CONSUMER_WHERE_MAX_COLUMNS);
            sql_expr_free(cfg.filter);
            rf_opts_free(&command, &cfg);
            return 2;
        }
    }
    rf_signal_install();
    int rc = consumer_run(&cfg);
    sql_expr_free(cfg.filter);
    rf_opts_free(&command, &cfg);
    return rc;
}
