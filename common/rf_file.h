/* rf_file.h - reading a whole file (a query, a script) into memory. */
#ifndef RF_FILE_H
#define RF_FILE_H

#include <stddef.h>

/* The contents of path ("-" = standard input), NUL-terminated, malloc'd
 * (the caller frees). NULL with "cannot open PATH: reason" or "out of
 * memory" in err. */
char *rf_read_file(const char *path, char *err, size_t errlen);

#endif
