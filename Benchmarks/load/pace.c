/* pace: an open-loop HTTP/1.1 load generator for the latency figures of Benchmarks/load/run.py.
 *
 * wrk paces only with whole-millisecond timers, so paced connections fire together in bursts;
 * pace sends requests evenly spaced at RATE per second (one every 1/RATE s, to nanosecond
 * precision via a timerfd) over CONNECTIONS keep-alive connections, and measures each latency
 * from the moment the request was due (as wrk2 does), so a server that falls behind is charged
 * for the wait. Prints one JSON line: sent, answered, non-2xx, errors, p50/p90/p99/max in µs.
 *
 * Usage: pace HOST PORT RATE SECONDS CONNECTIONS REQUEST_FILE
 * REQUEST_FILE holds the raw request bytes (with CRLFs), sent as they are.
 */
#define _GNU_SOURCE
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
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int busy;          /* a request is outstanding */
    uint64_t due;      /* when the outstanding request was due, ns */
    char buf[65536];
    size_t len;
} conn;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Length of a complete response at the start of buf (headers and Content-Length body), else 0. */
static size_t complete(const char *buf, size_t len, int *status) {
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = (size_t)(end - buf) + 4, body = 0;
    const char *cl = memmem(buf, head, "ontent-Length:", 14);
    if (!cl) cl = memmem(buf, head, "ontent-length:", 14);
    if (cl) body = strtoul(cl + 14, NULL, 10);
    if (len < head + body) return 0;
    *status = atoi(buf + 9);
    return head + body;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: pace HOST PORT RATE SECONDS CONNECTIONS REQUEST_FILE\n");
        return 64;
    }
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    int n = atoi(argv[5]);
    FILE *f = fopen(argv[6], "rb");
    if (!f) { perror(argv[6]); return 65; }
    static char request[65536];
    size_t request_len = fread(request, 1, sizeof request, f);
    fclose(f);

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    int ep = epoll_create1(0);
    conn *conns = calloc((size_t)n, sizeof(conn));
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 1; }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        conns[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, timer, &tev);

    uint64_t interval = (uint64_t)(1e9 / rate), start = now_ns() + 10000000ull;
    uint64_t stop = start + (uint64_t)(seconds * 1e9), next = start;
    size_t capacity = (size_t)(rate * seconds) + 16, answered = 0, sent = 0, bad = 0, errors = 0;
    uint64_t *latencies = malloc(capacity * sizeof(uint64_t));
    uint64_t *backlog = malloc(capacity * sizeof(uint64_t));   /* due times waiting for a free connection */
    size_t backlog_head = 0, backlog_tail = 0;
    int cursor = 0;

    for (;;) {
        uint64_t t = now_ns();
        while (next <= t && next < stop) { backlog[backlog_tail++] = next; next += interval; }
        /* Send every due request that has a free connection, oldest first. */
        while (backlog_head < backlog_tail) {
            int found = -1;
            for (int k = 0; k < n; k++) {
                int i = (cursor + k) % n;
                if (!conns[i].busy) { found = i; break; }
            }
            if (found < 0) break;
            cursor = (found + 1) % n;
            conn *c = &conns[found];
            if (write(c->fd, request, request_len) != (ssize_t)request_len) { errors++; }
            c->busy = 1;
            c->due = backlog[backlog_head++];
            sent++;
        }
        int outstanding = 0;
        for (int i = 0; i < n; i++) outstanding += conns[i].busy;
        if (next >= stop && backlog_head == backlog_tail && outstanding == 0) break;
        if (now_ns() > stop + 5000000000ull) break; /* give up on answers 5 s after the end */
        if (next < stop) {
            struct itimerspec when = {.it_value = {.tv_sec = (time_t)(next / 1000000000ull), .tv_nsec = (long)(next % 1000000000ull)}};
            timerfd_settime(timer, TFD_TIMER_ABSTIME, &when, NULL);
        }
        struct epoll_event events[256];
        int ready = epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < ready; e++) {
            uint32_t i = events[e].data.u32;
            if (i == UINT32_MAX) { uint64_t x; ssize_t r = read(timer, &x, sizeof x); (void)r; continue; }
            conn *c = &conns[i];
            ssize_t got = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
            if (got <= 0) { if (got < 0 && errno == EAGAIN) continue; fprintf(stderr, "connection closed\n"); return 1; }
            c->len += (size_t)got;
            int status = 0;
            size_t used;
            while (c->busy && (used = complete(c->buf, c->len, &status)) > 0) {
                latencies[answered++] = now_ns() - c->due;
                if (status < 200 || status > 299) bad++;
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                c->busy = 0;
            }
        }
    }
    qsort(latencies, answered, sizeof(uint64_t), cmp);
#define PCT(p) (answered ? latencies[(size_t)((answered - 1) * (p))] / 1000 : 0)
    printf("{\"sent\": %zu, \"answered\": %zu, \"non_2xx\": %zu, \"errors\": %zu, \"rate\": %.0f, "
           "\"p50_us\": %llu, \"p90_us\": %llu, \"p99_us\": %llu, \"max_us\": %llu}\n",
           sent, answered, bad, errors, answered / seconds, (unsigned long long)PCT(0.50), (unsigned long long)PCT(0.90),
           (unsigned long long)PCT(0.99), (unsigned long long)(answered ? latencies[answered - 1] / 1000 : 0));
    return 0;
}
