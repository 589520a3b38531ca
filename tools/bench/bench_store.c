/*
 * bench_store.c - how fast a stored graph opens and answers `stats`.
 *
 * Imports an RDF file (pt_import_rdf), commits the graph to a store (a fresh temporary one
 * unless a path is given), then, in a child process per run so that nothing of the import is
 * mapped or cached in the measuring process, times: opening the store read-only; the `stats`
 * pass (node counts by class, and every node's out-degree: count, maximum, mean, nodes without
 * out-edges); a scan of every out-edge counting edges by predicate; and pt_store_verify. Prints
 * the segment's size. Uses only the public API (include/portrait/).
 *
 * Usage: bench_store FILE [--store DIR] [--runs N] [--cold] [--keep]
 *   --cold   drop the segment from the page cache before each run (posix_fadvise DONTNEED)
 *   --keep   keep the temporary store
 * Example: portrait-gen --triples 1000000 --out /tmp/s1m.nt && bench_store /tmp/s1m.nt
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "portrait/portrait.h"

/* Monotonic seconds. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Print `what` with the ctx's message and exit 1. */
static void die(pt_ctx *ctx, const char *what, int rc) {
    fprintf(stderr, "bench_store: %s: %s (%s)\n", what, pt_ctx_errmsg(ctx), pt_err_name(rc));
    exit(1);
}

/* Evict the segment file `path` from the page cache, so the next open reads from disk. */
static void drop_cache(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        fdatasync(fd);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

/* One measured run, meant to execute in a fresh child process: open, stats, predicate scan,
 * verify; prints one line. Returns 0 or 1 on failure. */
static int run_once(const char *store, int run) {
    pt_ctx *ctx = NULL;
    pt_store *s = NULL;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return 1;
    }
    double t0 = now();
    int rc = pt_store_open(ctx, store, PT_STORE_READONLY, &s);
    if (rc != PT_OK) {
        die(ctx, "open", rc);
    }
    double t1 = now();

    /* stats: counts by class, out-degree summary */
    const pt_graph *g = pt_store_graph(s);
    uint32_t n = pt_graph_node_count(g);
    uint64_t by_class[PT_CLASS_COUNT_] = {0};
    uint64_t max_deg = 0, sum_deg = 0, sinks = 0;
    for (pt_node_id v = 0; v < n; v++) {
        by_class[pt_graph_node_class(g, v)]++;
        uint64_t d = pt_graph_out_degree(g, v);
        sum_deg += d;
        max_deg = d > max_deg ? d : max_deg;
        sinks += d == 0;
    }
    double t2 = now();

    /* predicate counts: every out-edge */
    uint64_t *by_pred = calloc(n > 0 ? n : 1, sizeof *by_pred);
    uint64_t by_role[PT_ROLE_COUNT_] = {0};
    for (pt_node_id v = 0; v < n; v++) {
        pt_edge_iter it;
        pt_edge e;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            by_pred[e.pred]++;
        }
    }
    uint64_t n_preds = 0;
    for (pt_node_id p = 0; p < n; p++) {
        if (by_pred[p] > 0) {
            n_preds++;
            by_role[pt_graph_pred_role(g, p)] += by_pred[p];
        }
    }
    double t3 = now();
    rc = pt_store_verify(s);
    if (rc != PT_OK) {
        die(ctx, "verify", rc);
    }
    double t4 = now();

    printf("run %d: open %.4f s, stats %.4f s (open+stats %.4f s), predicate scan %.4f s, "
           "verify %.4f s\n",
           run, t1 - t0, t2 - t1, t2 - t0, t3 - t2, t4 - t3);
    if (run == 1) {
        printf("  nodes %" PRIu32 ":", n);
        for (int c = 0; c < PT_CLASS_COUNT_; c++) {
            printf(" %s %" PRIu64, pt_class_name((pt_class)c), by_class[c]);
        }
        printf("\n  out-degree: max %" PRIu64 ", mean %.2f, nodes without out-edges %" PRIu64
               "\n  edges by role (%" PRIu64 " predicates):",
               max_deg, n > 0 ? (double)sum_deg / n : 0.0, sinks, n_preds);
        for (int r = 0; r < PT_ROLE_COUNT_; r++) {
            if (by_role[r] > 0) {
                printf(" %s %" PRIu64, pt_role_name((pt_role)r), by_role[r]);
            }
        }
        printf("\n");
    }
    fflush(stdout);
    free(by_pred);
    pt_store_close(s);
    pt_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv) {
    const char *input = NULL, *store_arg = NULL;
    int runs = 3, cold = 0, keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store_arg = argv[++i];
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--cold") == 0) {
            cold = 1;
        } else if (strcmp(argv[i], "--keep") == 0) {
            keep = 1;
        } else if (argv[i][0] != '-' && input == NULL) {
            input = argv[i];
        } else {
            input = NULL;
            break;
        }
    }
    if (input == NULL) {
        fprintf(stderr, "usage: bench_store FILE [--store DIR] [--runs N] [--cold] [--keep]\n");
        return 2;
    }

    char tmpdir[] = "/tmp/pt_bench_store_XXXXXX";
    char store[4096];
    if (store_arg != NULL) {
        snprintf(store, sizeof store, "%s", store_arg);
    } else {
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        snprintf(store, sizeof store, "%s/db", tmpdir);
    }

    pt_ctx *ctx = NULL;
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    pt_store *s = NULL;
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    if (pt_ctx_new(&ctx) != PT_OK) {
        return 1;
    }
    double t0 = now();
    int rc = pt_builder_new(ctx, NULL, &b);
    if (rc == PT_OK) {
        rc = pt_import_rdf(b, input, NULL, NULL, &st);
    }
    if (rc != PT_OK) {
        die(ctx, "import", rc);
    }
    rc = pt_builder_finish(b, &g);
    if (rc != PT_OK) {
        die(ctx, "build", rc);
    }
    double t1 = now();
    printf("import+build: %" PRIu64 " triples in %.2f s -> %" PRIu32 " nodes, %" PRIu64
           " edges, %" PRIu64 " literals\n",
           st.rows_read, t1 - t0, pt_graph_node_count(g), pt_graph_edge_count(g),
           pt_graph_literal_count(g));
    rc = pt_store_open(ctx, store, PT_STORE_CREATE, &s);
    if (rc != PT_OK) {
        die(ctx, "open for commit", rc);
    }
    rc = pt_store_commit(s, g, "bench_store");
    if (rc != PT_OK) {
        die(ctx, "commit", rc);
    }
    double t2 = now();
    char seg[4200];
    snprintf(seg, sizeof seg, "%s/graph-%" PRIu64 ".ptg", store, pt_store_generation(s));
    pt_store_close(s);
    pt_ctx_free(ctx);
    struct stat sst;
    if (stat(seg, &sst) != 0) {
        fprintf(stderr, "bench_store: %s: %s\n", seg, strerror(errno));
        return 1;
    }
    printf("commit: %.2f s, segment %s: %.1f MB\n", t2 - t1, seg,
           (double)sst.st_size / (1024.0 * 1024.0));
    fflush(stdout);

    int bad = 0;
    for (int r = 1; r <= runs; r++) {
        if (cold) {
            drop_cache(seg);
        }
        pid_t pid = fork();
        if (pid == 0) {
            _exit(run_once(store, r));
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            bad = 1;
        }
    }
    if (store_arg == NULL && !keep) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_store: could not remove %s\n", tmpdir);
        }
    } else if (store_arg == NULL) {
        printf("store kept at %s\n", store);
    }
    return bad;
}
