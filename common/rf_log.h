/* rf_log.h - levelled logging to standard error, shared by every rydeflow program.
 *
 * One line per message: "<program>: <level>: <text>". The level threshold is
 * process-wide (set once from --log-level); messages below it cost one compare.
 * Thread-safe: each message is written with a single fprintf. Never fails. */
#ifndef RF_LOG_H
#define RF_LOG_H

enum rf_log_level { RF_LOG_DEBUG = 0, RF_LOG_INFO, RF_LOG_WARN, RF_LOG_ERROR };

/* Set the program name printed before each message (borrowed; must outlive use). */
void rf_log_init(const char *program);
/* Set the threshold. Returns 0, or -1 if name is not debug|info|warn|error. */
int rf_log_set_level_name(const char *name);
void rf_log_set_level(enum rf_log_level level);
enum rf_log_level rf_log_get_level(void);
const char *rf_log_program(void);

void rf_log(enum rf_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define rf_debug(...) rf_log(RF_LOG_DEBUG, __VA_ARGS__)
#define rf_info(...) rf_log(RF_LOG_INFO, __VA_ARGS__)
#define rf_warn(...) rf_log(RF_LOG_WARN, __VA_ARGS__)
#define rf_error(...) rf_log(RF_LOG_ERROR, __VA_ARGS__)

#endif
