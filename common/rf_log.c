/* rf_log.c - levelled logging to standard error (see rf_log.h). */
#include "rf_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *log_program = "rydeflow";
static enum rf_log_level log_level = RF_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warning", "error"};

void rf_log_init(const char *program) { log_program = program; }
void rf_log_set_level(enum rf_log_level level) { log_level = level; }
enum rf_log_level rf_log_get_level(void) { return log_level; }
const char *rf_log_program(void) { return log_program; }

int rf_log_set_level_name(const char *name)
{
    static const char *const accepted[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, accepted[i]) == 0) {
            log_level = (enum rf_log_level)i;
            return 0;
        }
    }
    return -1;
}

void rf_log(enum rf_log_level level, const char *fmt, ...)
{
    if (level < log_level)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* One fprintf per line so concurrent threads never interleave mid-line. */
    fprintf(stderr, "%s: %s: %s\n", log_program, level_names[level], buf);
}
