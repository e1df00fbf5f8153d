/* rf_signal.h - the process-wide "keep running" flag, cleared by SIGINT/SIGTERM.
 *
 * Programs poll rf_running() in their main loop, then drain, flush, commit and
 * exit 0. A second signal while draining restores the default action, so a
 * stuck shutdown can still be interrupted. SIGPIPE is ignored (broken pipes to
 * `head` surface as EPIPE from write instead of killing the process). */
#ifndef RF_SIGNAL_H
#define RF_SIGNAL_H

#include <signal.h>

/* Install the handlers. Call once from main(). */
void rf_signal_install(void);
/* 1 until SIGINT or SIGTERM arrives, then 0. Async-signal-safe read. */
int rf_running(void);
/* The signal that stopped us (0 if none). */
int rf_signal_caught(void);
/* Ask the main loop to stop as if a signal had arrived (e.g. --count reached). */
void rf_signal_stop(void);
/* 1 once a stop was asked for more than grace_ms ago (the time is taken
 * when a caller first sees the stop), else 0. Every wait for an absent
 * Kafka or store measures against this one clock, so a whole shutdown is
 * bounded by the longest grace, not by the sum of them. */
int rf_shutdown_overdue(long long grace_ms);

#endif
