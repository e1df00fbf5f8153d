/* wsload.c - in `make bench`: N WebSocket clients in one process (epoll)
 * follow a live-map server (the dashboard or its Node peer) and measure the
 * delay from each unicorn report's production to its arrival.
 *
 *   wsload HOST:PORT PATH N SECONDS WARMUP [SAMPLE [deflate]]
 *
 * Every report a client is brought for the first time, by a delta or a
 * snapshot, is one update: a unicorn's "at":<ms> newer than the last this
 * connection saw for that "name" (a snapshot re-sent to a client that fell
 * behind brings nothing new for the unicorns that did not move). Its delay
 * is the wall clock at the read that completed it minus that Kafka
 * timestamp, into a histogram of 1 ms buckets. Frames are scanned as they stream in, never buffered whole,
 * and pings are answered, so the clients cost as little as they can on a
 * machine they share with the server: the same clients measure both
 * servers. One connection in SAMPLE (default 1: all) is measured; the others
 * read every byte and answer pings but skip what their frames say. With
 * "deflate" the clients offer permessage-deflate, and the measured ones
 * inflate what comes compressed. Prints, for the SECONDS after WARMUP,
 * {"open":N,"closed":N,"sampled":N,"updates":N,"bytes":N,"hist":{ms:n}}
 * (updates and hist of the measured connections; bytes of all). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define HIST_MAX 60000

struct client {
    int fd;
    int sampled;         /* measured: its frames are scanned (and inflated) */
    int rsv1;            /* the current frame is compressed */
    z_stream *z;         /* inflater, for a measured connection that negotiated deflate */
    int upgraded;        /* the 101 was read */
    char head[4096];     /* the HTTP answer, until its blank line */
    size_t headlen;
    uint8_t fh[14];      /* a frame's header, as it arrives */
    size_t fhlen, fhneed;
    uint64_t left;       /* payload bytes of the current frame still to come */
    int opcode;
    uint8_t ping[125];   /* a ping's payload, echoed in the pong */
    size_t pinglen;
    int match;           /* how much of "at": matched */
    int digits;          /* reading the number after "at": */
    int64_t num;
    int nmatch;          /* how much of "name":" matched */
    int inname, escaped; /* reading a name (and its last byte was a backslash) */
    uint64_t name;       /* the current name's hash */
    struct seen *seen;   /* name hash -> newest "at" seen (measured connections) */
};

#define SEEN_SLOTS 8192 /* per measured connection: fleets up to ~4,000 (the bench has 1,000) */
struct seen {
    uint64_t name;
    int64_t at;
};

static long long hist[HIST_MAX + 1];
static long long updates, nbytes;
static int measuring;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void record(struct client *c, int64_t at, int64_t now)
{
    size_t j = c->name & (SEEN_SLOTS - 1);
    while (c->seen[j].name && c->seen[j].name != c->name)
        j = (j + 1) & (SEEN_SLOTS - 1);
    if (c->seen[j].name && c->seen[j].at >= at)
        return; /* already brought */
    c->seen[j].name = c->name;
    c->seen[j].at = at;
    if (!measuring)
        return;
    int64_t d = now - at;
    hist[d < 0 ? 0 : d > HIST_MAX ? HIST_MAX : d]++;
    updates++;
}

/* Scan text payload bytes for "name":"<name>" and "at":<digits>. */
static void scan(struct client *c, const uint8_t *p, size_t n, int64_t now)
{
    static const char pat[] = "\"at\":", npat[] = "\"name\":\"";
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        if (c->inname) {
            if (!c->escaped && b == '"') {
                c->inname = 0;
                c->name |= 1; /* never 0: 0 marks an empty slot */
                continue;
            }
            c->escaped = !c->escaped && b == '\\';
            c->name = (c->name ^ b) * 1099511628211ULL;
            continue;
        }
        if (c->digits) {
            if (b >= '0' && b <= '9') {
                c->num = c->num * 10 + (b - '0');
                continue;
            }
            record(c, c->num, now);
            c->digits = 0;
        }
        if (b == (uint8_t)npat[c->nmatch]) {
            if (++c->nmatch == 8) {
                c->nmatch = 0;
                c->inname = 1;
                c->escaped = 0;
                c->name = 14695981039346656037ULL;
            }
        } else {
            c->nmatch = b == '"';
        }
        if (b == (uint8_t)pat[c->match]) {
            if (++c->match == 5) {
                c->match = 0;
                c->digits = 1;
                c->num = 0;
            }
        } else {
            c->match = b == '"';
        }
    }
}

static void send_pong(struct client *c)
{
    uint8_t f[2 + 4 + 125];
    f[0] = 0x8a; /* FIN, pong */
    f[1] = (uint8_t)(0x80 | c->pinglen); /* masked, with a key of zeros: the payload is as is */
    memset(f + 2, 0, 4);
    memcpy(f + 6, c->ping, c->pinglen);
    if (write(c->fd, f, 6 + c->pinglen) < 0) {
        /* the server will close us for not answering: counted then */
    }
}

/* A compressed payload's bytes: inflated as they come, the output scanned. */
static void inflate_scan(struct client *c, const uint8_t *p, size_t n, int64_t now)
{
    static uint8_t out[1 << 16];
    c->z->next_in = (Bytef *)p;
    c->z->avail_in = (uInt)n;
    do {
        c->z->next_out = out;
        c->z->avail_out = sizeof out;
        int rc = inflate(c->z, Z_SYNC_FLUSH);
        scan(c, out, sizeof out - c->z->avail_out, now);
        if (rc != Z_OK)
            break;
    } while (c->z->avail_in > 0 || c->z->avail_out == 0);
}

/* Frames: header bytes, then payload streamed to scan (text) or kept (ping). */
static int feed(struct client *c, const uint8_t *p, size_t n, int64_t now)
{
    while (n > 0) {
        if (c->left == 0 && c->fhneed == 0) { /* a new frame */
            c->fhlen = 0;
            c->fhneed = 2;
        }
        if (c->fhneed) {
            while (n > 0 && c->fhlen < c->fhneed) {
                c->fh[c->fhlen++] = *p++;
                n--;
                if (c->fhlen == 2) {
                    int l7 = c->fh[1] & 0x7f;
                    c->fhneed = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (c->fh[1] & 0x80 ? 4 : 0);
                }
            }
            if (c->fhlen < c->fhneed)
                return 0;
            int l7 = c->fh[1] & 0x7f;
            uint64_t len = (uint64_t)l7;
            if (l7 == 126)
                len = (uint64_t)c->fh[2] << 8 | c->fh[3];
            else if (l7 == 127) {
                len = 0;
                for (int i = 0; i < 8; i++)
                    len = len << 8 | c->fh[2 + i];
            }
            c->opcode = c->fh[0] & 0x0f;
            if (c->opcode != 0)
                c->rsv1 = (c->fh[0] & 0x40) != 0; /* a message's first frame says */
            c->fhneed = 0;
            c->left = len;
            c->pinglen = 0;
            c->match = c->nmatch = 0;
            c->digits = c->inname = 0;
            if (c->opcode == 8)
                return -1; /* close */
            if (len == 0) {
                if (c->opcode == 9)
                    send_pong(c);
                continue;
            }
        }
        size_t k = n < c->left ? n : (size_t)c->left;
        if ((c->opcode == 1 || c->opcode == 0) && c->sampled) {
            if (c->rsv1 && c->z)
                inflate_scan(c, p, k, now);
            else if (!c->rsv1)
                scan(c, p, k, now);
        }
        else if (c->opcode == 9 && c->pinglen + k <= sizeof c->ping) {
            memcpy(c->ping + c->pinglen, p, k);
            c->pinglen += k;
        }
        p += k;
        n -= k;
        c->left -= k;
        if (c->left == 0) {
            if (c->rsv1 && c->z && c->sampled && (c->fh[0] & 0x80) && c->opcode != 9) {
                static const uint8_t tail[4] = {0, 0, 0xff, 0xff}; /* removed by the sender (RFC 7692) */
                inflate_scan(c, tail, sizeof tail, now);
                inflateReset(c->z); /* the server takes no context over */
            }
            if (c->digits) { /* a number at the very end of a frame */
                record(c, c->num, now);
                c->digits = 0;
            }
            if (c->opcode == 9)
                send_pong(c);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: wsload HOST:PORT PATH N SECONDS WARMUP [SAMPLE [deflate]]\n");
        return 2;
    }
    int sample = argc > 6 ? atoi(argv[6]) : 1, deflate = argc > 7 && strcmp(argv[7], "deflate") == 0;
    if (sample < 1)
        sample = 1;
    char host[256];
    snprintf(host, sizeof host, "%s", argv[1]);
    char *colon = strrchr(host, ':');
    if (!colon)
        return 2;
    *colon = '\0';
    int port = atoi(colon + 1), n = atoi(argv[3]);
    double secs = atof(argv[4]), warm = atof(argv[5]);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sin.sin_addr);
    int ep = epoll_create1(0);
    struct client *cs = calloc((size_t)n, sizeof *cs);
    char req[512];
    int reqlen = snprintf(req, sizeof req,
                          "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                          argv[2], argv[1],
                          deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
    int open_ = 0, closed = 0, sampled = 0;
    for (int i = 0; i < n; i++) {
        struct client *c = &cs[i];
        c->sampled = i % sample == 0;
        sampled += c->sampled;
        if (c->sampled && !(c->seen = calloc(SEEN_SLOTS, sizeof *c->seen)))
            return 1;
        if (deflate && c->sampled) {
            c->z = calloc(1, sizeof *c->z);
            if (!c->z || inflateInit2(c->z, -15) != Z_OK)
                return 1;
        }
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
            write(c->fd, req, (size_t)reqlen) != reqlen) {
            perror("wsload: connect");
            return 1;
        }
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        if (i % 50 == 49)
            usleep(20000); /* 50 at a time: a server's accept backlog is not the limit */
    }
    int64_t start = now_ms(), t_measure = start + (int64_t)(warm * 1000), t_end = t_measure + (int64_t)(secs * 1000);
    static uint8_t buf[1 << 18];
    struct epoll_event evs[256];
    for (;;) {
        int64_t now = now_ms();
        if (!measuring && now >= t_measure)
            measuring = 1;
        if (now >= t_end)
            break;
        int k = epoll_wait(ep, evs, 256, 50);
        now = now_ms();
        for (int e = 0; e < k; e++) {
            struct client *c = evs[e].data.ptr;
            for (;;) {
                ssize_t r = read(c->fd, buf, sizeof buf);
                if (r < 0 && errno == EAGAIN)
                    break;
                int dead = r <= 0;
                const uint8_t *p = buf;
                size_t len = r > 0 ? (size_t)r : 0;
                if (measuring)
                    nbytes += (long long)len;
                if (!dead && !c->upgraded) {
                    size_t take = len < sizeof c->head - 1 - c->headlen ? len : sizeof c->head - 1 - c->headlen;
                    memcpy(c->head + c->headlen, p, take);
                    c->headlen += take;
                    c->head[c->headlen] = '\0';
                    char *end = strstr(c->head, "\r\n\r\n");
                    if (!end) {
                        dead = c->headlen == sizeof c->head - 1;
                        p += len, len = 0;
                    } else if (strncmp(c->head, "HTTP/1.1 101", 12) != 0) {
                        dead = 1;
                    } else {
                        size_t used = (size_t)(end + 4 - c->head) - (c->headlen - take);
                        c->upgraded = 1;
                        open_++;
                        p += used;
                        len -= used;
                    }
                }
                if (!dead && c->upgraded && len && feed(c, p, len, now) < 0)
                    dead = 1;
                if (dead) {
                    if (c->upgraded && measuring)
                        closed++;
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    c->fd = -1;
                    break;
                }
            }
        }
    }
    printf("{\"open\":%d,\"closed\":%d,\"sampled\":%d,\"updates\":%lld,\"bytes\":%lld,\"hist\":{", open_, closed,
           sampled, updates, nbytes);
    for (int i = 0, first = 1; i <= HIST_MAX; i++)
        if (hist[i]) {
            printf("%s\"%d\":%lld", first ? "" : ",", i, hist[i]);
            first = 0;
        }
    printf("}}\n");
    return 0;
}
