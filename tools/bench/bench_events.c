/*
 * bench_events.c - durable ingest of real-time events (pt_store_append_events): batched
 * appends from one thread, and single-event appends from many threads sharing group commits.
 *
 * Cases: one thread appending batches of 100 and of 1000; four threads appending batches of 100
 * at once (as concurrent batched requests do); single-event appends from 1, 8 and 16 threads.
 * For each case it prints events per second, group commits (one WAL fsync each) per second,
 * events per commit, and the latency of one call (median, 99th percentile). Every event is
 * durable when its call returns (SQLite WAL, synchronous=FULL). The store is a fresh temporary
 * directory unless --store is given; it is compacted and removed at the end.
 *
 * Usage: bench_events [--store DIR] [--seconds S] [--threads LIST]
 *   --seconds S     time per case (default 3)
 *   --threads LIST  thread counts for the single-event cases (default 1,8,16)
 * The commit counter is the library's internal pt__store_log_stats (this program links the
 * static library); everything else is the public API.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portrait/portrait.h"

/* Internal (engine/store/store_int.h): group commits and events since the store was opened. */
void pt__store_log_stats(pt_store *s, uint64_t *commits, uint64_t *events);

/* Monotonic seconds. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One thread's share of a case. */
typedef struct job {
    pt_store *s;
    int id;
    size_t batch;
    double until;
    uint64_t events, calls;
    double *lat; /* per call, seconds */
    size_t n_lat, cap_lat;
    int failed;
} job;

/* Fill `ev` with `n` events for thread `id`, call number `k` (random users and items). */
static void make_events(pt_live_event *ev, char (*user)[24], char (*item)[24], size_t n, int id,
                        uint64_t k, unsigned *seed) {
    for (size_t i = 0; i < n; i++) {
        snprintf(user[i], sizeof user[i], "u%d", rand_r(seed) % 10000);
        snprintf(item[i], sizeof item[i], "i%d", rand_r(seed) % 5000);
        ev[i] = (pt_live_event){user[i], item[i], (i & 3) == 0 ? "purchased" : "viewed",
                                1700000000 + (int64_t)(k * 1000 + i) + id, 0, 0, NULL};
    }
}

/* Append batches until the deadline, recording each call's latency. */
static void *run_job(void *arg) {
    job *j = arg;
    pt_live_event *ev = malloc(j->batch * sizeof *ev);
    char(*user)[24] = malloc(j->batch * sizeof *user);
    char(*item)[24] = malloc(j->batch * sizeof *item);
    unsigned seed = 1234u + (unsigned)j->id;
    for (uint64_t k = 0; now() < j->until; k++) {
        make_events(ev, user, item, j->batch, j->id, k, &seed);
        double t0 = now();
        if (pt_store_append_events(j->s, ev, j->batch, NULL) != PT_OK) {
            j->failed = 1;
            break;
        }
        double dt = now() - t0;
        if (j->n_lat == j->cap_lat) {
            j->cap_lat = j->cap_lat == 0 ? 4096 : j->cap_lat * 2;
            j->lat = realloc(j->lat, j->cap_lat * sizeof *j->lat);
        }
        j->lat[j->n_lat++] = dt;
        j->events += j->batch;
        j->calls++;
    }
    free(ev);
    free(user);
    free(item);
    return NULL;
}

/* Run one case: `threads` threads appending batches of `batch` for `seconds`. */
static void bench_case(pt_ctx *ctx, pt_store *s, int threads, size_t batch, double seconds) {
    pthread_t th[64];
    job jobs[64];
    uint64_t c0, e0, c1, e1;
    pt__store_log_stats(s, &c0, &e0);
    double t0 = now();
    for (int k = 0; k < threads; k++) {
        jobs[k] = (job){s, k, batch, t0 + seconds, 0, 0, NULL, 0, 0, 0};
        pthread_create(&th[k], NULL, run_job, &jobs[k]);
    }
    uint64_t events = 0;
    size_t n_lat = 0;
    for (int k = 0; k < threads; k++) {
        pthread_join(th[k], NULL);
        if (jobs[k].failed) {
            fprintf(stderr, "bench_events: append failed: %s\n", pt_ctx_errmsg(ctx));
            exit(1);
        }
        events += jobs[k].events;
        n_lat += jobs[k].n_lat;
    }
    double dt = now() - t0;
    pt__store_log_stats(s, &c1, &e1);
    double *lat = malloc((n_lat > 0 ? n_lat : 1) * sizeof *lat);
    size_t m = 0;
    for (int k = 0; k < threads; k++) {
        memcpy(lat + m, jobs[k].lat, jobs[k].n_lat * sizeof *lat);
        m += jobs[k].n_lat;
        free(jobs[k].lat);
    }
    qsort(lat, n_lat, sizeof *lat, cmp_double);
    double p50 = n_lat > 0 ? lat[n_lat / 2] : 0, p99 = n_lat > 0 ? lat[(n_lat * 99) / 100] : 0;
    free(lat);
    uint64_t commits = c1 - c0;
    printf("%-7d %-6zu %12.0f %12.0f %10.1f %9.2f %9.2f\n", threads, batch, (double)events / dt,
           (double)commits / dt, commits > 0 ? (double)(e1 - e0) / (double)commits : 0.0,
           p50 * 1e3, p99 * 1e3);
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *store = NULL;
    double seconds = 3.0;
    int threads[16] = {1, 8, 16};
    int n_threads = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store = argv[++i];
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            n_threads = 0;
            for (char *p = strtok(argv[++i], ","); p != NULL && n_threads < 16;
                 p = strtok(NULL, ",")) {
                int t = atoi(p);
                threads[n_threads++] = t < 1 ? 1 : t > 64 ? 64 : t;
            }
        } else {
            fprintf(stderr, "usage: bench_events [--store DIR] [--seconds S] [--threads LIST]\n");
            return 1;
        }
    }
    char tmp[256] = "";
    if (store == NULL) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/pt_bench_events_XXXXXX", base != NULL ? base : "/tmp");
        if (mkdtemp(tmp) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        strcat(tmp, "/s.db");
        store = tmp;
    }
    pt_ctx *ctx = NULL;
    pt_store *s = NULL;
    if (pt_ctx_new(&ctx) != PT_OK || pt_store_open(ctx, store, PT_STORE_CREATE, &s) != PT_OK) {
        fprintf(stderr, "bench_events: %s\n", ctx != NULL ? pt_ctx_errmsg(ctx) : "no memory");
        return 1;
    }
    printf("store %s, %.0f s per case; every call durable (WAL, synchronous=FULL)\n", store,
           seconds);
    printf("%-7s %-6s %12s %12s %10s %9s %9s\n", "threads", "batch", "events/s", "fsyncs/s",
           "ev/commit", "p50 ms", "p99 ms");
    bench_case(ctx, s, 1, 100, seconds);
    bench_case(ctx, s, 1, 1000, seconds);
    bench_case(ctx, s, 4, 100, seconds); /* batched requests arriving together share commits */
    for (int k = 0; k < n_threads; k++) {
        bench_case(ctx, s, threads[k], 1, seconds);
    }
    double t0 = now();
    uint64_t pending = pt_store_log_pending(s);
    if (pt_store_compact(s, "bench") != PT_OK) {
        fprintf(stderr, "bench_events: compact: %s\n", pt_ctx_errmsg(ctx));
        return 1;
    }
    printf("compact: %" PRIu64 " events folded in %.2f s\n", pending, now() - t0);
    pt_store_close(s);
    t0 = now();
    if (pt_store_open(ctx, store, 0, &s) != PT_OK) {
        fprintf(stderr, "bench_events: reopen: %s\n", pt_ctx_errmsg(ctx));
        return 1;
    }
    printf("reopen after compact: %.3f s, %" PRIu64 " edges\n", now() - t0,
           pt_graph_edge_count(pt_store_graph(s)));
    pt_store_close(s);
    pt_ctx_free(ctx);
    if (tmp[0] != '\0') {
        char cmd[400];
        *strrchr(tmp, '/') = '\0';
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_events: could not remove %s\n", tmp);
        }
    }
    return 0;
}
