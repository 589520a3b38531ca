/*
 * bench_vec.c - what vectors on nodes (pt_vec.h) cost: set, replace, get, walk, and the store
 * round trip (commit, open, first lookup, walk through the mapping, verify, first change).
 *
 * Builds a graph of N item nodes and two predicates, sets one vector of DIM floats per node
 * under pt:imageEmbedding in node order, then times each step below on it. A tenth of the nodes
 * also get a pt:sequenceEmbedding in random order, which is what makes the next walk sort its
 * index. The store part commits to a fresh temporary store and opens it again in the same
 * process (warm page cache). Times are CPU time of the process (commit: wall time). Uses only
 * the public API (include/portrait/).
 *
 * Usage: bench_vec [--n N] [--dim DIM] [--seed S]      (defaults 1000000, 64, 1)
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portrait/portrait.h"

/* Seconds of this process's CPU time: the machine is shared, so wall time would mostly
 * measure the other processes (commit, which waits for fsync, is timed in wall seconds). */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Monotonic wall seconds. */
static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Print `what` with the ctx's message and exit 1. */
static void die(pt_ctx *ctx, const char *what, int rc) {
    fprintf(stderr, "bench_vec: %s: %s (%s)\n", what, pt_ctx_errmsg(ctx), pt_err_name(rc));
    exit(1);
}

static uint64_t rnd_state;
static uint64_t rnd(void) {
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* nftw callback removing one entry. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

/* Walk every vector under `pred` and copy each; returns the sum of the first floats (so the
 * work is not optimised away) and stores the count in `*n`. */
static double walk(const pt_graph *g, pt_node_id pred, float *buf, uint32_t cap, uint64_t *n) {
    double sum = 0;
    *n = pt_graph_vector_count(g, pred);
    for (uint64_t i = 0; i < *n; i++) {
        pt_node_id node, p;
        uint32_t dim;
        if (pt_graph_vector_at(g, pred, i, &node, &p, &dim) == PT_OK &&
            pt_graph_get_vector(g, node, p, buf, cap) > 0) {
            sum += buf[0];
        }
    }
    return sum;
}

int main(int argc, char **argv) {
    uint32_t n = 1000000, dim = 64;
    rnd_state = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            n = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--dim") == 0 && i + 1 < argc) {
            dim = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            rnd_state = strtoull(argv[++i], NULL, 10) | 1;
        } else {
            fprintf(stderr, "usage: bench_vec [--n N] [--dim DIM] [--seed S]\n");
            return 1;
        }
    }
    if (n == 0 || dim == 0 || dim > PT_VEC_MAX_DIM) {
        fprintf(stderr, "bench_vec: bad --n or --dim\n");
        return 1;
    }
    pt_ctx *ctx = NULL;
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    int rc;
    if ((rc = pt_ctx_new(&ctx)) != PT_OK || (rc = pt_builder_new(ctx, NULL, &b)) != PT_OK) {
        die(ctx, "setup", rc);
    }
    char name[64];
    for (uint32_t v = 0; v < n; v++) {
        int len = snprintf(name, sizeof name, "https://shop.example/item/%u", v);
        pt_builder_intern(b, name, (size_t)len, PT_TERM_IRI);
    }
    pt_node_id img = pt_builder_intern(b, PT_IMAGE_EMBEDDING, strlen(PT_IMAGE_EMBEDDING),
                                       PT_TERM_IRI);
    pt_node_id seq = pt_builder_intern(b, PT_SEQUENCE_EMBEDDING, strlen(PT_SEQUENCE_EMBEDDING),
                                       PT_TERM_IRI);
    if ((rc = pt_builder_finish(b, &g)) != PT_OK) {
        die(ctx, "build", rc);
    }
    float *v = malloc((size_t)dim * sizeof *v), *buf = malloc((size_t)dim * sizeof *buf);
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    if (v == NULL || buf == NULL || perm == NULL) {
        fprintf(stderr, "bench_vec: out of memory\n");
        return 1;
    }
    for (uint32_t i = 0; i < dim; i++) {
        v[i] = (float)i / (float)dim;
    }
    for (uint32_t i = 0; i < n; i++) {
        perm[i] = i;
    }
    for (uint32_t i = n; i-- > 1;) {
        uint32_t j = (uint32_t)(rnd() % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    printf("bench_vec: %u vectors of %u floats (%.1f MB of floats)\n", n, dim,
           (double)n * dim * 4 / 1e6);

    double t0 = now();
    for (uint32_t u = 0; u < n; u++) {
        v[0] = (float)u;
        if ((rc = pt_graph_set_vector(g, u, img, v, dim)) != PT_OK) {
            die(ctx, "set", rc);
        }
    }
    double t_set = now() - t0;
    t0 = now();
    for (uint32_t u = 0; u < n; u++) {
        v[0] = (float)u + 0.5f;
        pt_graph_set_vector(g, u, img, v, dim);
    }
    double t_replace = now() - t0;
    t0 = now();
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += pt_graph_get_vector(g, perm[i], img, buf, dim) > 0 ? buf[0] : 0;
    }
    double t_get = now() - t0;
    uint64_t count;
    t0 = now();
    sum += walk(g, img, buf, dim, &count);
    double t_walk = now() - t0;
    uint32_t n_seq = n / 10 > 0 ? n / 10 : 1;
    t0 = now();
    for (uint32_t i = 0; i < n_seq; i++) {
        pt_graph_set_vector(g, perm[i], seq, v, dim);
    }
    double t_set_random = now() - t0;
    uint64_t count2;
    t0 = now();
    sum += walk(g, img, buf, dim, &count2);
    double t_walk_sort = now() - t0;
    pt_graph_mem mem;
    pt_graph_memory_detail(g, &mem);
    printf("set (new, node order)     %8.0f ns/vector\n", t_set / n * 1e9);
    printf("replace (same dim)        %8.0f ns/vector\n", t_replace / n * 1e9);
    printf("get (random order)        %8.0f ns/vector\n", t_get / n * 1e9);
    printf("walk kind (at + get)      %8.0f ns/vector (%llu vectors)\n", t_walk / n * 1e9,
           (unsigned long long)count);
    printf("set (new, random order)   %8.0f ns/vector (%u vectors, 2nd predicate)\n",
           t_set_random / n_seq * 1e9, n_seq);
    printf("walk after that (sorts)   %8.0f ns/vector (%.3f s in all)\n", t_walk_sort / n * 1e9,
           t_walk_sort);
    printf("memory: %.1f bytes/vector beyond its %u floats\n",
           (double)mem.vectors / (double)(n + n_seq) - 4.0 * dim, dim);

    /* Store round trip. */
    char dir[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/pt_bench_vec_XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/db", dir);
    pt_store *s = NULL;
    if ((rc = pt_store_open(ctx, path, PT_STORE_CREATE, &s)) != PT_OK) {
        die(ctx, "create store", rc);
    }
    t0 = wall();
    if ((rc = pt_store_commit(s, g, "bench_vec")) != PT_OK) {
        die(ctx, "commit", rc);
    }
    double t_commit = wall() - t0;
    pt_store_close(s); /* frees g */
    t0 = now();
    if ((rc = pt_store_open(ctx, path, 0, &s)) != PT_OK) {
        die(ctx, "open", rc);
    }
    double t_open = now() - t0;
    g = pt_store_graph(s);
    t0 = now();
    sum += pt_graph_get_vector(g, perm[0], img, buf, dim) > 0 ? buf[0] : 0;
    double t_first_get = now() - t0;
    t0 = now();
    for (uint32_t i = 0; i < n; i++) {
        sum += pt_graph_get_vector(g, perm[i], img, buf, dim) > 0 ? buf[0] : 0;
    }
    double t_get_mapped = now() - t0;
    t0 = now();
    sum += walk(g, img, buf, dim, &count);
    double t_walk_mapped = now() - t0;
    t0 = now();
    if ((rc = pt_store_verify(s)) != PT_OK) {
        die(ctx, "verify", rc);
    }
    double t_verify = now() - t0;
    t0 = now();
    pt_graph_set_vector(g, 0, img, v, dim);
    double t_first_change = now() - t0;
    pt_store_close(s);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("commit (write + fsync)    %8.3f s wall; the rest is CPU time\n", t_commit);
    printf("open                      %8.4f s\n", t_open);
    printf("first get (builds hash)   %8.4f s\n", t_first_get);
    printf("get from mapping (random) %8.0f ns/vector\n", t_get_mapped / n * 1e9);
    printf("walk from mapping         %8.0f ns/vector\n", t_walk_mapped / n * 1e9);
    printf("verify                    %8.3f s\n", t_verify);
    printf("first change (copies)     %8.3f s\n", t_first_change);
    printf("(checksum %g)\n", sum);
    free(v);
    free(buf);
    free(perm);
    pt_ctx_free(ctx);
    return 0;
}
