/* control.h - the dev broker's fault-injection commands.
 *
 * One command per line, answered with one line: "ok ..." or "error: ...".
 *   down BROKER                  take a broker down (connections refused/closed)
 *   up BROKER                    bring it back
 *   rtt BROKER MS                add MS of round-trip delay to every response
 *   error API ERR [COUNT]        fail the next COUNT (default 1) requests of API
 *                                (name like Produce, Fetch, Metadata, or number)
 *                                with ERR (name like NOT_LEADER_FOR_PARTITION,
 *                                REQUEST_TIMED_OUT, or number)
 *   clear-errors                 drop every pushed error
 *   leader TOPIC PARTITION BROKER   move a partition's leader
 *   topic NAME PARTITIONS [REPLICAS] create a topic
 *   help                         list the commands
 * Broker ids are 1..N. */
#ifndef CONTROL_H
#define CONTROL_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>

/* Execute one command line on the mock cluster. Writes the one-line answer
 * (no newline) into reply. Returns 0 on success, -1 on a bad command or a
 * failure (reply says why). Blank lines and '#' comments answer "ok". */
int control_execute(rd_kafka_mock_cluster_t *mc, int broker_count, const char *line, char *reply, size_t replylen);

/* Parse "NAME:PARTITIONS" (from --topic). Returns 0 or -1. */
int control_parse_topic_spec(const char *spec, char *name, size_t namelen, int *partitions);

#endif
