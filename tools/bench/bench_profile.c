/*
 * bench_profile.c - profile latency in-process: builds the profile of every user of a store
 * (interests, behaviour, RFM, similar users; no recommendations) one by one and prints p50,
 * p90, p99 and the total. Target (profiles issue): p50 <= 1 ms on MovieLens-100k-sized data.
 *
 * usage: bench_profile STORE
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "portrait/portrait.h"

/* Monotonic seconds. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Order doubles ascending. */
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    pt_ctx *ctx;
    pt_store *st;
    if (argc != 2 || pt_ctx_new(&ctx) != PT_OK ||
        pt_store_open(ctx, argv[1], PT_STORE_READONLY, &st) != PT_OK) {
        fprintf(stderr, "usage: bench_profile STORE\n");
        return 1;
    }
    const pt_graph *g = pt_store_graph(st);
    pt_profile_opts o;
    pt_profile_opts_default(&o);
    o.now = pt_graph_latest_time(g);
    uint32_t n = pt_graph_node_count(g);
    double *lat = malloc(((size_t)n + 1) * sizeof *lat);
    size_t k = 0;
    double t0 = now();
    for (pt_node_id v = 0; v < n; v++) {
        if (pt_graph_node_class(g, v) != PT_CLASS_USER) {
            continue;
        }
        pt_profile *p;
        double a = now();
        if (pt_profile_build(ctx, g, v, &o, &p) != PT_OK) {
            fprintf(stderr, "%s\n", pt_ctx_errmsg(ctx));
            return 1;
        }
        lat[k++] = now() - a;
        pt_profile_free(ctx, p);
    }
    double total = now() - t0;
    qsort(lat, k, sizeof *lat, cmp);
    printf("| users | p50 (ms) | p90 (ms) | p99 (ms) | all users, one thread (s) |\n");
    printf("|---|---|---|---|---|\n");
    printf("| %zu | %.3f | %.3f | %.3f | %.2f |\n", k, lat[k / 2] * 1e3, lat[k * 9 / 10] * 1e3,
           lat[k * 99 / 100] * 1e3, total);
    free(lat);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return 0;
}
