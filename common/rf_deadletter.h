/* rf_deadletter.h - the one shape of a dead letter, shared by every program.
 *
 * A record that cannot be processed (it does not decode, a query fails on
 * it, a store rejects its data) is written to the dead-letter topic as one
 * JSON object, and the program goes on (docs/operations.md, "What happens
 * to bad data"):
 *
 *   {"program":"processor","stage":"query","name":"summary",
 *    "error":"cannot CAST 'abc' to INT","topic":"wildrydes","partition":0,
 *    "offset":17,"payload":"{...}"}
 *
 * The object is valid JSON and valid UTF-8 whatever the bytes involved: the
 * payload goes in "payload" (a JSON string) when it is valid UTF-8 and in
 * "payload_base64" (RFC 4648 base64 of the exact bytes) otherwise; the other
 * texts (error, name, topic) have any invalid UTF-8 sequence replaced by
 * U+FFFD. A payload longer than RF_DEADLETTER_MAX_PAYLOAD bytes is cut
 * there (at a character boundary) and "payload_bytes" gives its whole
 * length, with "payload_truncated":true: a dead letter must fit where the
 * record did not (Kafka's message size limit), and the whole record is
 * still in its topic at the offset given.
 * "name" is the query or destination and is left out when NULL;
 * "topic", "partition" and "offset" are left out when topic is NULL (a line
 * of an input file: then "input" and "line" say where it came from). */
#ifndef RF_DEADLETTER_H
#define RF_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>

#define RF_DEADLETTER_MAX_PAYLOAD 131072 /* escaped, at most 6x: well under Kafka's 1 MB */

struct rf_deadletter {
    const char *program; /* "producer", "processor", "sink" */
    const char *stage;   /* "decode", "query", "destination" */
    const char *name;    /* the query (stream) or destination; NULL: none */
    const char *error;   /* why */
    const char *topic;   /* the source record's topic, or NULL */
    int32_t partition;
    int64_t offset;
    const char *input;   /* topic NULL: the input file ("-": stdin), and the line */
    int64_t line;
    const char *payload; /* the record's bytes, borrowed */
    size_t len;
};

/* The dead letter as JSON (no newline), NUL-terminated, in a new buffer the
 * caller frees; *len is its length. NULL only when out of memory. */
char *rf_deadletter_encode(const struct rf_deadletter *d, size_t *len);

#endif
