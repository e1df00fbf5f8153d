/* rf_signal.c - SIGINT/SIGTERM handling (see rf_signal.h). */
#include "rf_signal.h"

#include "rf_time.h"

#include <string.h>

static volatile sig_atomic_t run_flag = 1;
static volatile sig_atomic_t caught_sig = 0;

static void on_stop_signal(int sig)
{
    if (!run_flag) {
        /* Second signal: the user insists; let the default action happen. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    caught_sig = sig;
    run_flag = 0;
}

void rf_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int rf_running(void) { return run_flag; }
int rf_signal_caught(void) { return caught_sig; }
void rf_signal_stop(void) { run_flag = 0; }

int rf_shutdown_overdue(long long grace_ms)
{
    static int64_t stop_ms; /* when a caller first saw the stop */
    if (run_flag)
        return 0;
    int64_t now = rf_time_now_ms();
    if (!stop_ms)
        stop_ms = now;
    return now - stop_ms > grace_ms;
}
