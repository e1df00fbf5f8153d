/* query.c - /api/query: bin/sql in a child process (see server_int.h). The
 * child's output is read on the event loop, bounded in rows and time. */
#include "server_int.h"

#include "rf_json.h"
#include "rf_log.h"
#include "rf_time.h"
#include "sql.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct sql_schema *any_topic(const char *name)
{
    return name ? sql_schema_for_topic(name) : NULL;
}

void query_done(struct conn *c)
{
    if (c->child_out) {
        event_free(c->child_out);
        c->child_out = NULL;
    }
    if (c->child_timer) {
        event_free(c->child_timer);
        c->child_timer = NULL;
    }
    if (c->child > 0) {
        kill(c->child, SIGKILL);
        waitpid(c->child, NULL, 0);
        c->child = 0;
        c->srv->queries--;
    }
    if (c->child_fd >= 0)
        close(c->child_fd);
    c->child_fd = -1;
    /* stderr was written to a pipe read at the end (small) */
    char errtext[2048] = "";
    if (c->child_errfd >= 0) {
        ssize_t n = read(c->child_errfd, errtext, sizeof errtext - 1);
        errtext[n > 0 ? n : 0] = '\0';
        close(c->child_errfd);
        c->child_errfd = -1;
    }
    struct evbuffer *body = evbuffer_new();
    size_t outlen = evbuffer_get_length(c->qout);
    if (c->timed_out || (outlen == 0 && errtext[0])) {
        const char *msg = c->timed_out ? "the query ran out of time" : errtext;
        if (!c->timed_out && strncmp(msg, "sql: ", 5) == 0)
            msg += 5;
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        fputs("{\"error\":", f);
        rf_json_write_string(f, msg, strlen(msg));
        fputc('}', f);
        fclose(f);
        evbuffer_add(body, buf, size);
        free(buf);
    } else {
        /* bin/sql -F json prints one object per line: make them an array */
        evbuffer_add_printf(body, "{\"rows\":[");
        size_t n;
        char *line;
        int first = 1;
        while ((line = evbuffer_readln(c->qout, &n, EVBUFFER_EOL_LF))) {
            if (n) {
                evbuffer_add_printf(body, "%s", first ? "" : ",");
                evbuffer_add(body, line, n);
                first = 0;
            }
            free(line);
        }
        evbuffer_add_printf(body, "],\"truncated\":%s,\"ms\":%lld}", c->truncated ? "true" : "false",
                            (long long)(rf_time_now_ms() - c->started_ms));
    }
    size_t blen = evbuffer_get_length(body);
    char *flat = malloc(blen ? blen : 1);
    if (flat) {
        evbuffer_remove(body, flat, blen);
        respond(c, 200, "application/json", flat, blen);
        free(flat);
    }
    evbuffer_free(body);
    evbuffer_free(c->qout);
    c->qout = NULL;
    bufferevent_enable(c->bev, EV_WRITE);
}

static void query_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct conn *c = arg;
    int n = evbuffer_read(c->qout, fd, 65536);
    if (n > 0) {
        /* count rows; beyond the limit, stop */
        struct evbuffer_ptr p = evbuffer_search(c->qout, "\n", 1, NULL);
        long long lines = 0;
        while (p.pos >= 0) {
            lines++;
            evbuffer_ptr_set(c->qout, &p, 1, EVBUFFER_PTR_ADD);
            p = evbuffer_search(c->qout, "\n", 1, &p);
        }
        if (lines > c->srv->cfg->max_rows) {
            c->truncated = 1;
            /* keep max_rows lines */
            struct evbuffer_ptr q = evbuffer_search(c->qout, "\n", 1, NULL);
            for (long long i = 1; i < c->srv->cfg->max_rows && q.pos >= 0; i++) {
                evbuffer_ptr_set(c->qout, &q, 1, EVBUFFER_PTR_ADD);
                q = evbuffer_search(c->qout, "\n", 1, &q);
            }
            if (q.pos >= 0) {
                size_t keep = (size_t)q.pos + 1;
                struct evbuffer *t = evbuffer_new();
                evbuffer_remove_buffer(c->qout, t, keep);
                evbuffer_free(c->qout);
                c->qout = t;
            }
            query_done(c);
        }
        return;
    }
    query_done(c); /* EOF or error */
}

static void query_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct conn *c = arg;
    c->timed_out = 1;
    query_done(c);
}

void query_run(struct conn *c, const struct request *r)
{
    struct server *s = c->srv;
    if (!s->cfg->archive) {
        respond_error(c, 404, "no archive: start the dashboard with --archive");
        return;
    }
    char q[4096];
    if (http_param(r, "q", q, sizeof q) < 0 || !q[0]) {
        respond_error(c, 400, "give the query as ?q=");
        return;
    }
    /* Check it here: errors with line and column, and FROM must name a topic
     * directory under the archive root, nothing else. */
    struct sql_error err;
    struct sql_query *compiled = sql_query_compile(q, any_topic, &err);
    if (!compiled) {
        char msg[2048];
        sql_error_format(q, &err, msg, sizeof msg);
        respond_error(c, 200, msg);
        return;
    }
    const char *src = sql_query_source(compiled);
    int safe = src && src[0] != '.' && strspn(src, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                                           strlen(src);
    sql_query_free(compiled);
    if (!safe) {
        respond_error(c, 200, "FROM must name a topic of the archive (letters, digits, '.', '_', '-')");
        return;
    }
    if (s->queries >= s->cfg->max_queries) { /* each is a process: a flood must not fork without end */
        respond_error(c, 429, "too many queries running at once (--max-queries): try again in a moment");
        return;
    }
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        respond_error(c, 500, "cannot run the query");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errp[1], 2);
        /* nothing else of the server's (client sockets, Kafka, the
         * listener) reaches the query: close-on-exec is set where we open
         * descriptors, and this closes what libraries opened */
        close_range(3, ~0U, 0);
        execl(s->cfg->sql_bin, "sql", "--archive", s->cfg->archive, "-F", "json", "--threads", "2", q, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        close(out[0]);
        close(errp[0]);
        respond_error(c, 500, "cannot run the query");
        return;
    }
    c->child = pid;
    s->queries++;
    c->child_fd = out[0];
    c->child_errfd = errp[0];
    c->qout = evbuffer_new();
    c->started_ms = rf_time_now_ms();
    c->child_out = event_new(s->base, out[0], EV_READ | EV_PERSIST, query_readable, c);
    c->child_timer = evtimer_new(s->base, query_timeout, c);
    struct timeval tv = {c->srv->cfg->query_ms / 1000, (c->srv->cfg->query_ms % 1000) * 1000};
    event_add(c->child_out, NULL);
    event_add(c->child_timer, &tv);
}
