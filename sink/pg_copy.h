/* pg_copy.h - summaries as PostgreSQL COPY data (sink/pg.c sends it).
 *
 * Two encodings of the same rows, in the column order
 * (name, status_time, distance, min_magic_points, max_magic_points,
 *  min_health_points, max_health_points):
 *  - binary (COPY ... (FORMAT binary)): nothing for the server to parse;
 *    needs the table's exact types (text, timestamptz, float8, four int4);
 *  - text: what any compatible column type accepts; the database then
 *    judges each value (and says which one it rejects).
 * A record is encoded unless skip[i] is set (skip is read before the
 * record, so a caller's other threads may own the records it skips). */
#ifndef PG_COPY_H
#define PG_COPY_H

#include "backend.h"

#include <stddef.h>

/* A growing output buffer, kept between batches. Free data with free(). */
struct pg_buf {
    char *data;
    size_t len, cap;
};

/* Records [from, to) not skipped, in the binary format (header, rows,
 * trailer) into out (replacing what it held). 1 when encoded, 0 when an
 * integer does not fit int4 (the text format must carry the batch), -1 out
 * of memory. */
int pg_copy_binary(struct pg_buf *out, const struct summary *s, const unsigned char *skip, int from, int to);

/* The same rows as COPY text (tab-separated, the name escaped, the time
 * with "+00"): 0, or -1 out of memory. */
int pg_copy_text(struct pg_buf *out, const struct summary *s, const unsigned char *skip, int from, int to);

#endif
