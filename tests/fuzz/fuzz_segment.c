/*
 * fuzz_segment.c - libFuzzer harness for graph segment files (engine/store/segment.c), also
 * built as a corpus-replay program with tests/fuzz/replay_main.c.
 *
 * The input is a whole segment file. Before it is used, every section CRC whose table entry
 * lies inside the input, and then the header CRC, are recomputed: a mutation would otherwise
 * almost always stop at a checksum, while the structural checks behind them are what needs
 * fuzzing (checksum mismatches are covered by tests/store/test_store.c). LLVMFuzzerInitialize
 * makes an empty store in a temporary directory; each input is written there as graph-1.ptg
 * and recorded as the current segment with its size and header CRC (pt__store_set_current),
 * so the manifest never stands between the fuzzer and the segment code. The store is then
 * opened read-only. Open may fail only with PT_ESTORE; on success pt_store_verify may fail only
 * with PT_ESTORE, and once it passes, pt__graph_check must accept the graph and the read API must
 * work on every node (a sample of them on large inputs). Anything else aborts. Nothing stays
 * allocated between inputs except the ctx; the directory is removed at exit.
 *
 * Run with a larger -max_len than the default: a small segment is 22 pages of 4 KiB, e.g.
 *   fuzz_segment -max_len=131072 tests/fuzz/corpus/segment
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph/graph.h"
#include "portrait/portrait.h"
#include "store/segment.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pt_ctx *g_ctx;
static char g_dir[256];
static char g_seg[300];

/* Remove the temporary store at exit: the files a store holds, then the directory. */
static void cleanup(void) {
    static const char *const names[] = {"graph-1.ptg", "manifest.db", "manifest.db-wal",
                                        "manifest.db-shm", "lock"};
    char path[400];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", g_dir, names[i]);
        unlink(path);
    }
    rmdir(g_dir);
    pt_ctx_free(g_ctx);
}

/* Make the ctx and an empty store in a fresh temporary directory. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/pt_fuzz_segment_XXXXXX", tmp != NULL ? tmp : "/tmp");
    pt_store *s = NULL;
    if (pt_ctx_new(&g_ctx) != PT_OK || mkdtemp(g_dir) == NULL ||
        pt_store_open(g_ctx, g_dir, PT_STORE_CREATE, &s) != PT_OK) {
        fprintf(stderr, "fuzz_segment: cannot make a store in %s: %s\n", g_dir,
                g_ctx != NULL ? pt_ctx_errmsg(g_ctx) : "no ctx");
        abort();
    }
    pt_store_close(s);
    snprintf(g_seg, sizeof g_seg, "%s/graph-1.ptg", g_dir);
    atexit(cleanup);
    return 0;
}

/* Recompute the CRC of every section whose table entry points inside the `size` bytes of
 * `img`, then the header's own CRC (the layout is in docs/STORE.md). */
static void reseal(uint8_t *img, size_t size) {
    if (size < PT__SEG_PAGE) {
        return;
    }
    for (int id = 1; id <= PT__SEC_COUNT; id++) {
        size_t e = 128 + (size_t)(id - 1) * 32;
        uint64_t off, len;
        memcpy(&off, img + e + 8, 8);
        memcpy(&len, img + e + 16, 8);
        if (off <= size && len <= size - off) {
            uint32_t crc = pt__crc32(0, img + off, (size_t)len);
            memcpy(img + e + 24, &crc, 4);
        }
    }
    uint32_t crc = pt__crc32(0, img, PT__SEG_PAGE - 4);
    memcpy(img + PT__SEG_PAGE - 4, &crc, 4);
}

/* Write the input, resealed, as the store's segment; returns 0, or -1 when it cannot. */
static int install(const uint8_t *data, size_t size) {
    uint8_t *img = malloc(size > 0 ? size : 1);
    if (img == NULL) {
        return -1;
    }
    memcpy(img, data, size);
    reseal(img, size);
    FILE *f = fopen(g_seg, "wb");
    size_t n = f != NULL && size > 0 ? fwrite(img, 1, size, f) : 0;
    free(img);
    if (f == NULL || fclose(f) != 0 || n != size) {
        return -1;
    }
    return pt__store_set_current(g_ctx, g_dir, 1) == PT_OK ? 0 : -1;
}

/* Abort with the ctx's message when `rc` is not one of the two codes allowed at this point. */
static void expect(int rc, int ok1, int ok2, const char *what) {
    if (rc != ok1 && rc != ok2) {
        fprintf(stderr, "fuzz_segment: %s gave %s: %s\n", what, pt_err_name(rc),
                pt_ctx_errmsg(g_ctx));
        abort();
    }
}

/* Read node `v` through the public API: its string back through lookup, its display form, its
 * edges both ways (each found again by pt_graph_edge_find), and its literals. */
static void read_node(const pt_graph *g, pt_node_id v) {
    const char *s = pt_graph_node_str(g, v);
    pt_term_kind kind = pt_graph_node_kind(g, v);
    if (s == NULL || pt_graph_lookup(g, s, strlen(s), kind) != v) {
        fprintf(stderr, "fuzz_segment: node %u does not look up to itself\n", v);
        abort();
    }
    char buf[64];
    (void)pt_graph_display_id(g, v, buf, sizeof buf);
    (void)pt_graph_node_class(g, v);
    (void)pt_graph_pred_role(g, v);
    for (int dir = 0; dir < 2; dir++) {
        pt_edge_iter it;
        pt_edge e, f;
        pt_graph_edges(g, v, dir, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (!pt_graph_edge_find(g, e.src, e.pred, e.dst, &f)) {
                fprintf(stderr, "fuzz_segment: edge %u %u %u not found\n", e.src, e.pred, e.dst);
                abort();
            }
        }
    }
    pt_literal lit;
    uint64_t n = pt_graph_literal_count_of(g, v);
    for (uint64_t i = 0; i < n; i++) {
        if (pt_graph_literal(g, v, i, &lit) != PT_OK) {
            abort();
        }
        (void)strlen(lit.lex);
        (void)strlen(lit.lang);
    }
}

/* Walk every vector (pt_vec.h) and copy it. Before verification records may be anything: the
 * reads must merely stay in bounds (ASan); after it, `strict` demands that every walked vector
 * reads back with the dimension the walk gave. */
static void read_vectors(const pt_graph *g, int strict) {
    static float buf[PT_VEC_MAX_DIM];
    uint64_t n = pt_graph_vector_count(g, PT_NONE);
    for (uint64_t i = 0; i < n && i < 4096; i++) {
        pt_node_id node, pred;
        uint32_t dim;
        int rc = pt_graph_vector_at(g, PT_NONE, i, &node, &pred, &dim);
        if (rc != PT_OK && strict) {
            fprintf(stderr, "fuzz_segment: vector %llu: %s\n", (unsigned long long)i,
                    pt_err_name(rc));
            abort();
        }
        if (rc == PT_OK && pt_graph_get_vector(g, node, pred, buf, PT_VEC_MAX_DIM) != dim &&
            strict) {
            fprintf(stderr, "fuzz_segment: vector %llu (node %u) does not read back\n",
                    (unsigned long long)i, node);
            abort();
        }
    }
}

/* Open the input as a store's segment, verify it, and read it when it verifies. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pt_store *s = NULL;
    if (install(data, size) != 0) {
        return 0;
    }
    int rc = pt_store_open(g_ctx, g_dir, PT_STORE_READONLY, &s);
    expect(rc, PT_OK, PT_ESTORE, "open");
    if (rc != PT_OK) {
        return 0;
    }
    read_vectors(pt_store_graph(s), 0);
    rc = pt_store_verify(s);
    expect(rc, PT_OK, PT_ESTORE, "verify");
    if (rc == PT_OK) {
        const pt_graph *g = pt_store_graph(s);
        expect(pt__graph_check(g), PT_OK, PT_OK, "pt__graph_check after verify");
        uint32_t n = pt_graph_node_count(g);
        uint32_t step = n > 4096 ? n / 4096 : 1;
        for (uint32_t v = 0; v < n; v += step) {
            read_node(g, v);
        }
        (void)pt_graph_resolve(g, "1", PT_CLASS_USER);
        (void)pt_graph_resolve(g, "pt:User", PT_CLASS_OTHER);
        (void)pt_graph_base(g);
        for (size_t i = 0; i < pt_graph_prefix_count(g); i++) {
            const char *name, *iri;
            expect(pt_graph_prefix(g, i, &name, &iri), PT_OK, PT_OK, "prefix");
        }
        read_vectors(g, 1);
    }
    pt_store_close(s);
    return 0;
}
