/*
 * test_store.c - the durable store: round trips of every node, edge, literal, prefix and the
 * base through commit and reopen; the commit protocol (old segment removed, strays of a crash
 * removed, failures leave the disk as it was); corruption of every section, of the header, of
 * the manifest, truncation and foreign files, each reported as PT_ESTORE naming file and
 * section; read-only stores; the writer lock; and OOM loops on open and commit. Vectors on
 * nodes: bit-exact round trips through mapped, modified and emptied graphs, version-1
 * segments still opening, and corrupt vector records.
 *
 * Every test works in its own temporary directory, removed in the teardown. With the
 * environment variable PT_SEGMENT_SEED_DIR set, the round-trip test also copies its segments
 * there (that is how tests/fuzz/corpus/segment/ was seeded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* cmocka 1.1 needs the four headers above first */

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portrait/portrait.h"

#include "graph/graph.h"
#include "store/segment.h"

/* Per-test state: a ctx and a scratch directory. */
typedef struct fixture {
    pt_ctx *ctx;
    char dir[256];   /* scratch directory */
    char store[300]; /* dir + "/db", the store path used by most tests */
} fixture;

/* --- helpers -------------------------------------------------------------------------------- */

/* nftw callback removing one entry. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

/* Make a ctx and a fresh scratch directory. */
static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/pt_store_XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL || pt_ctx_new(&fx->ctx) != PT_OK) {
        return -1;
    }
    snprintf(fx->store, sizeof fx->store, "%s/db", fx->dir);
    *state = fx;
    return 0;
}

/* Remove the scratch directory and free the ctx. */
static int teardown(void **state) {
    fixture *fx = *state;
    nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    pt_ctx_free(fx->ctx);
    free(fx);
    unsetenv("PORTRAIT_LOCK_TIMEOUT");
    return 0;
}

/* Read the whole file `path` into a malloc'ed buffer; `*len` receives its size. */
static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Write `len` bytes to `path`, replacing it. */
static void spit(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Return 1 when `path` exists. */
static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Format "<store>/<name>" into a static buffer (one at a time). */
static const char *in_store(const fixture *fx, const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", fx->store, name);
    return buf;
}

/* Assert that the last error message on `ctx` contains `needle`. */
static void msg_has(pt_ctx *ctx, const char *needle) {
    const char *m = pt_ctx_errmsg(ctx);
    if (strstr(m, needle) == NULL) {
        print_error("message \"%s\" lacks \"%s\"\n", m, needle);
        fail();
    }
}

/* Intern an IRI with the builder. */
static pt_node_id iri(pt_builder *b, const char *s) {
    return pt_builder_intern(b, s, strlen(s), PT_TERM_IRI);
}

/* Build a small graph exercising every section: IRIs and a blank node, classes and roles,
 * weighted and timed edges, literals with language tags and datatypes, prefixes and a base.
 * `variant` changes a few triples, so two variants are different graphs. */
static pt_graph *make_graph(pt_ctx *ctx, int variant) {
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_builder_set_base(b, "https://shop.example/");
    pt_builder_add_prefix(b, "pt", PT_NS);
    pt_builder_add_prefix(b, "schema", PT_SCHEMA_NS);
    pt_node_id type = iri(b, PT_RDF_TYPE), label = iri(b, PT_RDFS_LABEL);
    pt_node_id user = iri(b, PT_USER), item = iri(b, PT_ITEM);
    pt_node_id bought = iri(b, PT_NS "purchased"), viewed = iri(b, PT_NS "viewed");
    pt_node_id xint = iri(b, PT_XSD_INTEGER);
    pt_node_id u[3], it[4];
    char buf[64];
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "https://shop.example/user/%d", i + 1);
        u[i] = iri(b, buf);
        pt_builder_add_edge(b, u[i], type, user, 1.0f, PT_TIME_UNKNOWN);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(buf, sizeof buf, "https://shop.example/item/%d", i + 1);
        it[i] = iri(b, buf);
        pt_builder_add_edge(b, it[i], type, item, 1.0f, PT_TIME_UNKNOWN);
        snprintf(buf, sizeof buf, "Item %d", i + 1);
        pt_builder_add_literal(b, it[i], label, buf, strlen(buf), PT_NONE, "en", 2);
    }
    pt_builder_add_literal(b, it[0], label, "手机", strlen("手机"), PT_NONE, "zh", 2);
    pt_builder_add_literal(b, it[1], iri(b, PT_SCHEMA_NS "price"), "42", 2, xint, NULL, 0);
    pt_builder_add_edge(b, u[0], bought, it[0], 2.5f, 1700000000);
    pt_builder_add_edge(b, u[0], viewed, it[1], 1.0f, 1700000100);
    pt_builder_add_edge(b, u[1], viewed, it[0], 0.5f, 1700000200);
    pt_builder_add_edge(b, u[2], bought, it[3], 4.0f, 1700000300);
    pt_node_id blank = pt_builder_intern(b, "b0", 2, PT_TERM_BLANK);
    pt_builder_add_edge(b, blank, viewed, it[2], 1.0f, PT_TIME_UNKNOWN);
    pt_builder_add_literal(b, blank, label, "anonymous", 9, PT_NONE, NULL, 0);
    if (variant == 2) {
        pt_node_id u4 = iri(b, "https://shop.example/user/4");
        pt_builder_add_edge(b, u4, bought, it[2], 3.0f, 1700000400);
        pt_builder_add_literal(b, u4, label, "Vierte", 6, PT_NONE, "de", 2);
    }
    pt_node_id img = iri(b, PT_IMAGE_EMBEDDING), seq = iri(b, PT_SEQUENCE_EMBEDDING);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt__graph_check(g), PT_OK);
    if (variant == 2) {
        /* Vectors set out of (pred, node) order, with values whose bits must survive. */
        for (int i = 3; i >= 0; i--) {
            float v[5] = {-0.0f, 1e-45f /* denormal */, 3.4028235e38f, 1.0f / 3.0f, (float)i};
            assert_int_equal(pt_graph_set_vector(g, it[i], img, v, 5), PT_OK);
        }
        float s8[8] = {0.1f, -0.2f, 0.3f, -0.4f, 0.5f, -0.6f, 0.7f, -0.8f};
        assert_int_equal(pt_graph_set_vector(g, u[1], seq, s8, 8), PT_OK);
        assert_int_equal(pt_graph_set_vector(g, u[0], seq, s8 + 1, 7), PT_OK);
    }
    return g;
}

/* Assert that `b` holds exactly the vectors of `a`, bit for bit, in the same walk order. */
static void same_vectors(const pt_graph *a, const pt_graph *b) {
    uint64_t n = pt_graph_vector_count(a, PT_NONE);
    assert_int_equal(pt_graph_vector_count(b, PT_NONE), n);
    for (uint64_t i = 0; i < n; i++) {
        pt_node_id na, pa, nb, pb;
        uint32_t da, db;
        assert_int_equal(pt_graph_vector_at(a, PT_NONE, i, &na, &pa, &da), PT_OK);
        assert_int_equal(pt_graph_vector_at(b, PT_NONE, i, &nb, &pb, &db), PT_OK);
        assert_int_equal(na, nb);
        assert_int_equal(pa, pb);
        assert_int_equal(da, db);
        float *va = malloc(da * sizeof(float)), *vb = malloc(db * sizeof(float));
        assert_int_equal(pt_graph_get_vector(a, na, pa, va, da), da);
        assert_int_equal(pt_graph_get_vector(b, nb, pb, vb, db), db);
        assert_memory_equal(va, vb, da * sizeof(float));
        free(va);
        free(vb);
    }
}

/* Assert that two edges from iterators are the same edge. */
static void same_edge(const pt_edge *x, const pt_edge *y) {
    assert_int_equal(x->src, y->src);
    assert_int_equal(x->pred, y->pred);
    assert_int_equal(x->dst, y->dst);
    assert_true(x->weight == y->weight);
    assert_true(x->time == y->time);
}

/* Assert that `b` holds exactly what `a` holds: every node's string, kind, class and role,
 * every out- and in-edge with weight and time, every literal, the prefixes and the base, and
 * that every node string looks up to its id in `b`. */
static void same_graph(const pt_graph *a, const pt_graph *b) {
    assert_int_equal(pt_graph_node_count(a), pt_graph_node_count(b));
    assert_int_equal(pt_graph_edge_count(a), pt_graph_edge_count(b));
    assert_int_equal(pt_graph_literal_count(a), pt_graph_literal_count(b));
    for (pt_node_id v = 0; v < pt_graph_node_count(a); v++) {
        const char *s = pt_graph_node_str(a, v);
        assert_string_equal(s, pt_graph_node_str(b, v));
        assert_int_equal(pt_graph_node_kind(a, v), pt_graph_node_kind(b, v));
        assert_int_equal(pt_graph_node_class(a, v), pt_graph_node_class(b, v));
        assert_int_equal(pt_graph_pred_role(a, v), pt_graph_pred_role(b, v));
        assert_int_equal(pt_graph_lookup(b, s, strlen(s), pt_graph_node_kind(a, v)), v);
        for (int dir = 0; dir < 2; dir++) {
            pt_edge_iter ia, ib;
            pt_edge ea, eb;
            pt_graph_edges(a, v, dir, PT_NONE, &ia);
            pt_graph_edges(b, v, dir, PT_NONE, &ib);
            while (pt_graph_edge_next(&ia, &ea)) {
                assert_true(pt_graph_edge_next(&ib, &eb));
                same_edge(&ea, &eb);
            }
            assert_false(pt_graph_edge_next(&ib, &eb));
        }
        uint64_t nl = pt_graph_literal_count_of(a, v);
        assert_int_equal(nl, pt_graph_literal_count_of(b, v));
        for (uint64_t i = 0; i < nl; i++) {
            pt_literal la, lb;
            assert_int_equal(pt_graph_literal(a, v, i, &la), PT_OK);
            assert_int_equal(pt_graph_literal(b, v, i, &lb), PT_OK);
            assert_int_equal(la.pred, lb.pred);
            assert_string_equal(la.lex, lb.lex);
            assert_int_equal(la.datatype, lb.datatype);
            assert_string_equal(la.lang, lb.lang);
        }
    }
    assert_string_equal(pt_graph_base(a), pt_graph_base(b));
    assert_int_equal(pt_graph_prefix_count(a), pt_graph_prefix_count(b));
    for (size_t i = 0; i < pt_graph_prefix_count(a); i++) {
        const char *na, *ia, *nb, *ib;
        assert_int_equal(pt_graph_prefix(a, i, &na, &ia), PT_OK);
        assert_int_equal(pt_graph_prefix(b, i, &nb, &ib), PT_OK);
        assert_string_equal(na, nb);
        assert_string_equal(ia, ib);
    }
    same_vectors(a, b);
}

/* Open the fixture's store with `flags`, asserting success. */
static pt_store *open_ok(fixture *fx, int flags) {
    pt_store *s = NULL;
    int rc = pt_store_open(fx->ctx, fx->store, flags, &s);
    if (rc != PT_OK) {
        print_error("open: %s\n", pt_ctx_errmsg(fx->ctx));
    }
    assert_int_equal(rc, PT_OK);
    return s;
}

/* Create the store and commit graph variant `variant` as its first generation. */
static void commit_variant(fixture *fx, int variant) {
    pt_store *s = open_ok(fx, PT_STORE_CREATE);
    pt_graph *g = make_graph(fx->ctx, variant);
    assert_int_equal(pt_store_commit(s, g, "test"), PT_OK);
    pt_store_close(s);
}

/* Open the store expecting failure with `code` and a message containing `needle`. */
static void open_fails(fixture *fx, int flags, int code, const char *needle) {
    pt_store *s = NULL;
    int rc = pt_store_open(fx->ctx, fx->store, flags, &s);
    if (rc != code) {
        print_error("open gave %s (%s), expected %s\n", pt_err_name(rc), pt_ctx_errmsg(fx->ctx),
                    pt_err_name(code));
    }
    assert_int_equal(rc, code);
    assert_null(s);
    msg_has(fx->ctx, needle);
}

/* Run `sql` on the store's manifest directly (to damage it). */
static void manifest_exec(fixture *fx, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(in_store(fx, "manifest.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Return the integer result of `sql` on the manifest. */
static long long manifest_int(fixture *fx, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(in_store(fx, "manifest.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Read a u32/u64 of a segment image. */
static uint32_t rd32(const uint8_t *p, size_t at) {
    uint32_t v;
    memcpy(&v, p + at, 4);
    return v;
}
static uint64_t rd64(const uint8_t *p, size_t at) {
    uint64_t v;
    memcpy(&v, p + at, 8);
    return v;
}

/* Recompute the header CRC of a segment image after editing its header. */
static void reseal(uint8_t *p) {
    uint32_t crc = pt__crc32(0, p, 4092);
    memcpy(p + 4092, &crc, 4);
}

/* Recompute every section's CRC, then the header's, after editing section bodies. */
static void reseal_all(uint8_t *p, size_t len) {
    for (int id = 1; id <= PT__SEC_COUNT; id++) {
        size_t e = 128 + (size_t)(id - 1) * 32;
        uint64_t off = rd64(p, e + 8), slen = rd64(p, e + 16);
        assert_true(off <= len && slen <= len - off);
        uint32_t crc = pt__crc32(0, p + off, (size_t)slen);
        memcpy(p + e + 24, &crc, 4);
    }
    reseal(p);
}

/* Count the entries of directory `dir` whose name starts with "graph-". */
static int count_segments(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n += strncmp(e->d_name, "graph-", 6) == 0;
    }
    closedir(d);
    return n;
}

/* Copy every segment file of the store to $PT_SEGMENT_SEED_DIR/<prefix>-<name>, when set. */
static void export_seeds(fixture *fx, const char *prefix) {
    const char *to = getenv("PT_SEGMENT_SEED_DIR");
    if (to == NULL) {
        return;
    }
    size_t len;
    uint8_t *data = slurp(in_store(fx, "graph-1.ptg"), &len);
    char path[512];
    snprintf(path, sizeof path, "%s/%s-graph-1.ptg", to, prefix);
    spit(path, data, len);
    free(data);
}

/* --- tests ---------------------------------------------------------------------------------- */

/* A new store holds an empty graph of generation 0; it reopens without CREATE; a missing store
 * without CREATE is PT_ENOTFOUND. */
static void test_create_gives_empty_store(void **state) {
    fixture *fx = *state;
    open_fails(fx, 0, PT_ENOTFOUND, "does not exist");
    open_fails(fx, PT_STORE_CREATE | PT_STORE_READONLY, PT_ENOTFOUND, "does not exist");
    pt_store *s = open_ok(fx, PT_STORE_CREATE);
    assert_int_equal(pt_store_generation(s), 0);
    assert_int_equal(pt_graph_node_count(pt_store_graph(s)), 0);
    assert_string_equal(pt_store_path(s), fx->store);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    assert_true(exists(in_store(fx, "manifest.db")));
    s = open_ok(fx, 0);
    assert_int_equal(pt_store_generation(s), 0);
    pt_store_close(s);
    assert_int_equal(manifest_int(fx, "SELECT count(*) FROM events"), 0);
    assert_int_equal(manifest_int(fx, "SELECT value FROM meta WHERE key='format_version'"), 1);
}

/* An empty graph commits and reopens as an empty graph. */
static void test_empty_graph_round_trip(void **state) {
    fixture *fx = *state;
    pt_store *s = open_ok(fx, PT_STORE_CREATE);
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    assert_int_equal(pt_builder_new(fx->ctx, NULL, &b), PT_OK);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt_store_commit(s, g, "empty"), PT_OK);
    pt_store_close(s);
    export_seeds(fx, "empty");
    s = open_ok(fx, 0);
    assert_int_equal(pt_store_generation(s), 1);
    assert_int_equal(pt_graph_node_count(pt_store_graph(s)), 0);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
}

/* Everything survives commit, close and reopen, and the reopened graph is mapped. */
static void test_round_trip_keeps_everything(void **state) {
    fixture *fx = *state;
    pt_store *s = open_ok(fx, PT_STORE_CREATE);
    pt_graph *g = make_graph(fx->ctx, 1);
    assert_int_equal(pt_store_commit(s, g, "import test"), PT_OK);
    assert_ptr_equal(pt_store_graph(s), g);
    assert_int_equal(pt_store_generation(s), 1);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    export_seeds(fx, "small");

    pt_graph *ref = make_graph(fx->ctx, 1);
    s = open_ok(fx, PT_STORE_READONLY);
    pt_graph *h = pt_store_graph(s);
    assert_non_null(h->map_base);
    assert_int_equal(pt_store_generation(s), 1);
    same_graph(ref, h);
    assert_int_equal(pt__graph_check(h), PT_OK);
    assert_int_equal(pt_store_verify(s), PT_OK);
    assert_string_equal(pt_graph_literal_get(h, pt_graph_resolve(h, "1", PT_CLASS_ITEM),
                                             pt_graph_resolve(h, "rdfs:label", PT_CLASS_OTHER),
                                             "zh"),
                        "手机");
    pt_store_close(s);
    pt_graph_free(ref);
    assert_int_equal(manifest_int(fx, "SELECT count(*) FROM history WHERE note='import test'"), 1);
}

/* A second commit replaces the first: the old segment file is deleted, the generation grows,
 * and a reopen sees the second graph. */
static void test_second_commit_removes_old_segment(void **state) {
    fixture *fx = *state;
    pt_store *s = open_ok(fx, PT_STORE_CREATE);
    assert_int_equal(pt_store_commit(s, make_graph(fx->ctx, 1), "one"), PT_OK);
    assert_true(exists(in_store(fx, "graph-1.ptg")));
    assert_int_equal(pt_store_commit(s, make_graph(fx->ctx, 2), "two"), PT_OK);
    assert_false(exists(in_store(fx, "graph-1.ptg")));
    assert_true(exists(in_store(fx, "graph-2.ptg")));
    assert_int_equal(count_segments(fx->store), 1);
    assert_int_equal(pt_store_generation(s), 2);
    pt_store_close(s);
    s = open_ok(fx, 0);
    pt_graph *ref = make_graph(fx->ctx, 2);
    same_graph(ref, pt_store_graph(s));
    pt_graph_free(ref);
    pt_store_close(s);
    assert_int_equal(manifest_int(fx, "SELECT count(*) FROM history"), 2);
    assert_int_equal(manifest_int(fx, "SELECT count(*) FROM segments"), 1);
}

/* The store's own mapped graph, grown by appends (a new node, a new edge, an updated weight in
 * the private mapping, a literal), commits and reopens with the appends; the old file never saw
 * the in-place update. Also a graph with appended nodes but no appended edges. */
static void test_commit_after_appends(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 1);
    pt_store *s = open_ok(fx, 0);
    pt_graph *g = pt_store_graph(s);
    pt_node_id u1 = pt_graph_resolve(g, "1", PT_CLASS_USER);
    pt_node_id i1 = pt_graph_resolve(g, "1", PT_CLASS_ITEM);
    pt_node_id bought = pt_graph_resolve(g, "pt:purchased", PT_CLASS_OTHER);
    pt_node_id label = pt_graph_resolve(g, "rdfs:label", PT_CLASS_OTHER);
    assert_true(u1 != PT_NONE && i1 != PT_NONE && bought != PT_NONE && label != PT_NONE);
    const char *nu = "https://shop.example/user/99";
    pt_node_id u99 = pt_graph_intern(g, nu, strlen(nu), PT_TERM_IRI);
    assert_int_equal(pt_graph_add_edge(g, u99, bought, i1, 7.0f, 1800000000), PT_OK);
    assert_int_equal(pt_graph_add_edge(g, u1, bought, i1, 9.0f, 1800000001), PT_OK);
    assert_int_equal(pt_graph_add_literal(g, u99, label, "new", 3, PT_NONE, "fr"), PT_OK);
    uint64_t n_nodes = pt_graph_node_count(g), n_edges = pt_graph_edge_count(g);
    assert_int_equal(pt_store_commit(s, g, "appends"), PT_OK);
    assert_ptr_equal(pt_store_graph(s), g);
    pt_store_close(s);

    s = open_ok(fx, 0);
    g = pt_store_graph(s);
    assert_int_equal(pt_graph_node_count(g), n_nodes);
    assert_int_equal(pt_graph_edge_count(g), n_edges);
    pt_node_id v = pt_graph_lookup(g, nu, strlen(nu), PT_TERM_IRI);
    assert_true(v != PT_NONE);
    pt_edge e;
    assert_true(pt_graph_edge_find(g, v, bought, i1, &e));
    assert_true(e.weight == 7.0f);
    assert_true(pt_graph_edge_find(g, u1, bought, i1, &e));
    assert_true(e.weight == 9.0f && e.time == 1800000001);
    assert_string_equal(pt_graph_literal_get(g, v, label, "fr"), "new");
    assert_int_equal(pt__graph_check(g), PT_OK);
    assert_int_equal(pt_store_verify(s), PT_OK);

    /* Interned nodes only: written from extra_str without a compaction. */
    const char *lonely = "https://shop.example/tag/lonely";
    pt_node_id t = pt_graph_intern(g, lonely, strlen(lonely), PT_TERM_IRI);
    pt_node_id bl = pt_graph_intern(g, "fresh", 5, PT_TERM_BLANK);
    assert_true(t != PT_NONE && bl != PT_NONE);
    assert_true(g->n_nodes > g->n_pool_nodes);
    assert_int_equal(pt_store_commit(s, g, "nodes"), PT_OK);
    pt_store_close(s);
    s = open_ok(fx, 0);
    g = pt_store_graph(s);
    assert_int_equal(pt_graph_lookup(g, lonely, strlen(lonely), PT_TERM_IRI), t);
    assert_int_equal(pt_graph_lookup(g, "fresh", 5, PT_TERM_BLANK), bl);
    assert_int_equal(pt_graph_node_kind(g, bl), PT_TERM_BLANK);
    assert_int_equal(pt_graph_out_degree(g, t), 0);
    assert_int_equal(pt__graph_check(g), PT_OK);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
}

/* A byte flipped in the middle of any section is caught: by open when it breaks a fact open
 * checks, else by pt_store_verify; either way PT_ESTORE naming the file and the section. */
static void test_corrupt_section_is_reported(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 2);
    char seg[512];
    snprintf(seg, sizeof seg, "%s", in_store(fx, "graph-1.ptg"));
    size_t len;
    uint8_t *orig = slurp(seg, &len);
    uint8_t *img = malloc(len);
    for (int id = 1; id <= PT__SEC_COUNT; id++) {
        size_t e = 128 + (size_t)(id - 1) * 32;
        uint64_t off = rd64(orig, e + 8), slen = rd64(orig, e + 16);
        assert_int_equal(rd32(orig, e), (uint32_t)id);
        assert_true(slen > 0); /* the graph fills every section */
        memcpy(img, orig, len);
        img[off + slen / 2] ^= 0x01;
        spit(seg, img, len);
        char want[64];
        snprintf(want, sizeof want, "section '%s'", pt__segment_section_name(id));
        pt_store *s = NULL;
        int rc = pt_store_open(fx->ctx, fx->store, PT_STORE_READONLY, &s);
        if (rc == PT_OK) {
            rc = pt_store_verify(s);
            pt_store_close(s);
        }
        if (rc != PT_ESTORE || strstr(pt_ctx_errmsg(fx->ctx), want) == NULL ||
            strstr(pt_ctx_errmsg(fx->ctx), "graph-1.ptg") == NULL) {
            print_error("section %s: %s: %s\n", pt__segment_section_name(id), pt_err_name(rc),
                        pt_ctx_errmsg(fx->ctx));
            fail();
        }
    }
    spit(seg, orig, len);
    pt_store *s = open_ok(fx, 0);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    free(img);
    free(orig);
}

/* Damage to the header, the file's length, or its identity is caught at open. */
static void test_bad_header_fails_open(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 1);
    char seg[512];
    snprintf(seg, sizeof seg, "%s", in_store(fx, "graph-1.ptg"));
    size_t len;
    uint8_t *orig = slurp(seg, &len);
    uint8_t *img = malloc(len);

    /* A flipped count: the header checksum. */
    memcpy(img, orig, len);
    img[40] ^= 0x04;
    spit(seg, img, len);
    open_fails(fx, 0, PT_ESTORE, "header checksum mismatch");
    msg_has(fx->ctx, "graph-1.ptg");

    /* A newer format version, properly sealed. */
    memcpy(img, orig, len);
    img[8] = PT__SEG_VERSION + 1;
    reseal(img);
    spit(seg, img, len);
    open_fails(fx, 0, PT_ESTORE, "is newer");

    /* Wrong magic; a foreign file. */
    memcpy(img, orig, len);
    memcpy(img, "GARBAGE!", 8);
    spit(seg, img, len);
    open_fails(fx, 0, PT_ESTORE, "bad magic");
    spit(seg, "hello, world\n", 13);
    open_fails(fx, 0, PT_ESTORE, "bad magic");

    /* Truncated: in a section, and inside the header. */
    spit(seg, orig, len - 4096);
    open_fails(fx, 0, PT_ESTORE, "truncated");
    msg_has(fx->ctx, "section '");
    spit(seg, orig, 100);
    open_fails(fx, 0, PT_ESTORE, "truncated");

    /* Sealed headers whose counts disagree with the sections. */
    memcpy(img, orig, len);
    uint64_t edges = rd64(orig, 48) + 1;
    memcpy(img + 48, &edges, 8);
    reseal(img);
    spit(seg, img, len);
    open_fails(fx, 0, PT_ESTORE, "section 'out_dst'");
    memcpy(img, orig, len);
    uint64_t out_off = rd64(orig, 128 + (PT__SEC_OUT_OFF - 1) * 32 + 8);
    uint32_t n = rd32(orig, 40);
    uint64_t bogus = 12345;
    memcpy(img + out_off + (uint64_t)n * 8, &bogus, 8);
    spit(seg, img, len);
    open_fails(fx, 0, PT_ESTORE, "section 'out_off'");

    /* A valid segment, but not the one the manifest recorded. */
    pt_graph *other = make_graph(fx->ctx, 2);
    char dir2[512];
    snprintf(dir2, sizeof dir2, "%s/other", fx->dir);
    pt_store *s2 = NULL;
    assert_int_equal(pt_store_open(fx->ctx, dir2, PT_STORE_CREATE, &s2), PT_OK);
    assert_int_equal(pt_store_commit(s2, other, NULL), PT_OK);
    pt_store_close(s2);
    char seg2[600];
    snprintf(seg2, sizeof seg2, "%s/graph-1.ptg", dir2);
    size_t len2;
    uint8_t *img2 = slurp(seg2, &len2);
    spit(seg, img2, len2);
    open_fails(fx, 0, PT_ESTORE, "does not match the manifest");
    free(img2);

    spit(seg, orig, len);
    pt_store_close(open_ok(fx, 0));
    free(img);
    free(orig);
}

/* A manifest that is not SQLite, not Portrait's, newer than this build, names a file it must
 * not, or names a missing segment, is PT_ESTORE. */
static void test_bad_manifest_fails_open(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 1);
    manifest_exec(fx, "UPDATE meta SET value='99' WHERE key='format_version'");
    open_fails(fx, 0, PT_ESTORE, "manifest format version 99 is newer");
    manifest_exec(fx, "UPDATE meta SET value='1' WHERE key='format_version'");
    manifest_exec(fx, "UPDATE segments SET file='../../etc/passwd'");
    open_fails(fx, 0, PT_ESTORE, "expected 'graph-1.ptg'");
    manifest_exec(fx, "UPDATE segments SET file='graph-1.ptg'");
    pt_store_close(open_ok(fx, 0));

    char seg[512];
    snprintf(seg, sizeof seg, "%s", in_store(fx, "graph-1.ptg"));
    size_t len;
    uint8_t *orig = slurp(seg, &len);
    unlink(seg);
    open_fails(fx, PT_STORE_READONLY, PT_ESTORE, "missing");
    spit(seg, orig, len);
    free(orig);

    manifest_exec(fx, "DROP TABLE meta");
    open_fails(fx, 0, PT_ESTORE, "not a Portrait manifest");
    unlink(in_store(fx, "manifest.db-wal"));
    unlink(in_store(fx, "manifest.db-shm"));
    spit(in_store(fx, "manifest.db"), "this is not a database, it is a text file\n", 42);
    open_fails(fx, 0, PT_ESTORE, "manifest.db");

    /* A plain file where the store directory should be. */
    char file[512];
    snprintf(file, sizeof file, "%s/plain", fx->dir);
    spit(file, "x", 1);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(fx->ctx, file, PT_STORE_CREATE, &s), PT_ESTORE);
    msg_has(fx->ctx, "not a store directory");
}

/* A crash between writing the new segment and switching the manifest leaves graph-2.ptg (and
 * maybe temporary files): the next writer opens the old graph and removes them; a reader
 * leaves them alone; unrelated files are never touched. */
static void test_crash_leftovers_are_removed(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 1);
    /* A real, complete generation-2 segment, as a crashed commit would leave it. */
    char dir2[512];
    snprintf(dir2, sizeof dir2, "%s/other", fx->dir);
    pt_store *s2 = NULL;
    assert_int_equal(pt_store_open(fx->ctx, dir2, PT_STORE_CREATE, &s2), PT_OK);
    assert_int_equal(pt_store_commit(s2, make_graph(fx->ctx, 1), NULL), PT_OK);
    assert_int_equal(pt_store_commit(s2, make_graph(fx->ctx, 2), NULL), PT_OK);
    pt_store_close(s2);
    char from[600];
    snprintf(from, sizeof from, "%s/graph-2.ptg", dir2);
    size_t len;
    uint8_t *img = slurp(from, &len);
    spit(in_store(fx, "graph-2.ptg"), img, len);
    spit(in_store(fx, "graph-3.ptg.tmp"), img, len / 2);
    spit(in_store(fx, "graph-2.ptg.tmp"), "", 0);
    spit(in_store(fx, "notes.txt"), "keep me", 7);
    free(img);

    pt_store *s = open_ok(fx, PT_STORE_READONLY);
    assert_int_equal(pt_store_generation(s), 1);
    pt_store_close(s);
    assert_true(exists(in_store(fx, "graph-2.ptg")));

    s = open_ok(fx, 0);
    assert_int_equal(pt_store_generation(s), 1);
    pt_graph *ref = make_graph(fx->ctx, 1);
    same_graph(ref, pt_store_graph(s));
    pt_graph_free(ref);
    assert_false(exists(in_store(fx, "graph-2.ptg")));
    assert_false(exists(in_store(fx, "graph-3.ptg.tmp")));
    assert_false(exists(in_store(fx, "graph-2.ptg.tmp")));
    assert_true(exists(in_store(fx, "graph-1.ptg")));
    assert_true(exists(in_store(fx, "notes.txt")));
    /* The interrupted generation is simply written again. */
    assert_int_equal(pt_store_commit(s, make_graph(fx->ctx, 2), "retry"), PT_OK);
    assert_int_equal(pt_store_generation(s), 2);
    pt_store_close(s);
    assert_int_equal(count_segments(fx->store), 1);
}

/* A read-only store reads but refuses commits with PT_EFULL; the caller keeps the graph. With
 * a directory the process may not write (not testable as root), the same happens without the
 * flag. */
static void test_readonly_store_refuses_commit(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 1);
    pt_store *s = open_ok(fx, PT_STORE_READONLY);
    assert_true(pt_graph_node_count(pt_store_graph(s)) > 0);
    pt_graph *g = make_graph(fx->ctx, 2);
    assert_int_equal(pt_store_commit(s, g, NULL), PT_EFULL);
    msg_has(fx->ctx, "read-only");
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    if (geteuid() != 0) {
        assert_int_equal(chmod(fx->store, 0555), 0);
        s = open_ok(fx, 0);
        assert_true(pt_graph_node_count(pt_store_graph(s)) > 0);
        assert_int_equal(pt_store_commit(s, g, NULL), PT_EFULL);
        msg_has(fx->ctx, "read-only");
        pt_store_close(s);
        assert_int_equal(chmod(fx->store, 0755), 0);
    }
    pt_graph_free(g);
    s = open_ok(fx, 0);
    assert_int_equal(pt_store_generation(s), 1);
    pt_store_close(s);
}

/* A second writer waits for the first and gives up with a message naming the holder; readers
 * are never blocked; after the first closes, the second gets in. */
static void test_second_writer_times_out(void **state) {
    fixture *fx = *state;
    setenv("PORTRAIT_LOCK_TIMEOUT", "0.2", 1);
    pt_store *a = open_ok(fx, PT_STORE_CREATE);
    pt_store *b = NULL;
    assert_int_equal(pt_store_open(fx->ctx, fx->store, 0, &b), PT_EIO);
    assert_null(b);
    msg_has(fx->ctx, "open for writing by another process");
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    msg_has(fx->ctx, pid);
    pt_store *r = open_ok(fx, PT_STORE_READONLY);
    assert_int_equal(pt_store_commit(a, make_graph(fx->ctx, 1), NULL), PT_OK);
    pt_store_close(r);
    pt_store_close(a);
    b = open_ok(fx, 0);
    assert_int_equal(pt_store_generation(b), 1);
    pt_store_close(b);
}

/* Every allocation of an open can fail: each failure is PT_ENOMEM and leaks nothing. */
static void test_open_survives_oom(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 2);
    int failures = 0;
    for (uint64_t n = 1;; n++) {
        pt_store *s = NULL;
        pt__ctx_fail_after(fx->ctx, n);
        int rc = pt_store_open(fx->ctx, fx->store, 0, &s);
        pt__ctx_fail_after(fx->ctx, 0);
        if (rc == PT_OK) {
            assert_true(pt_graph_node_count(pt_store_graph(s)) > 0);
            pt_store_close(s);
            break;
        }
        assert_int_equal(rc, PT_ENOMEM);
        assert_null(s);
        failures++;
        assert_true(n < 1000);
    }
    assert_true(failures > 0);
}

/* Every allocation of a commit can fail: each failure is PT_ENOMEM, the caller keeps its graph
 * and the disk is as before (same generation, no leftovers). */
static void test_commit_survives_oom(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 1);
    pt_store *s = open_ok(fx, 0);
    for (uint64_t n = 1;; n++) {
        pt_graph *g = make_graph(fx->ctx, 2);
        pt__ctx_fail_after(fx->ctx, n);
        int rc = pt_store_commit(s, g, "oom");
        pt__ctx_fail_after(fx->ctx, 0);
        if (rc == PT_OK) {
            assert_int_equal(pt_store_generation(s), 2);
            break;
        }
        assert_int_equal(rc, PT_ENOMEM);
        assert_int_equal(pt_store_generation(s), 1);
        assert_int_equal(count_segments(fx->store), 1);
        pt_graph_free(g);
        assert_true(n < 1000);
    }
    pt_store_close(s);
}

/* Vectors survive commit and reopen bit for bit; the reopened ones are read from the mapping;
 * replacing, removing and adding on the mapped graph, then committing, keeps exactly the
 * result; so does removing them all. */
static void test_vectors_round_trip_bit_exact(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 2);
    export_seeds(fx, "vectors");
    pt_graph *ref = make_graph(fx->ctx, 2);
    pt_store *s = open_ok(fx, 0);
    pt_graph *g = pt_store_graph(s);
    assert_non_null(g->map_base);
    same_graph(ref, g);
    assert_int_equal(pt_store_verify(s), PT_OK);
    uint8_t *lo = g->map_base, *hi = lo + g->map_len;
    float probe[5];
    pt_node_id img = pt_graph_resolve(g, "pt:imageEmbedding", PT_CLASS_OTHER);
    pt_node_id seq = pt_graph_resolve(g, "pt:sequenceEmbedding", PT_CLASS_OTHER);
    pt_node_id i2 = pt_graph_resolve(g, "2", PT_CLASS_ITEM), i3 = pt_graph_resolve(g, "3", PT_CLASS_ITEM);
    pt_node_id u1 = pt_graph_resolve(g, "1", PT_CLASS_USER), u3 = pt_graph_resolve(g, "3", PT_CLASS_USER);
    assert_int_equal(pt_graph_get_vector(g, i2, img, probe, 5), 5);
    assert_true(signbit(probe[0]) && probe[0] == 0.0f);
    assert_true(pt_graph_memory(g, NULL) > 0);
    pt_graph_mem mem;
    pt_graph_memory_detail(g, &mem);
    assert_true(mem.vectors >= 6 * sizeof(pt__vrec));
    (void)lo;
    (void)hi;

    /* Change the mapped graph in both graphs alike, commit, reopen. */
    float nv[3] = {1.5f, -2.5f, 1e-40f};
    for (int k = 0; k < 2; k++) {
        pt_graph *x = k == 0 ? g : ref;
        assert_int_equal(pt_graph_set_vector(x, i3, img, nv, 3), PT_OK); /* other dim */
        assert_int_equal(pt_graph_remove_vector(x, i2, img), 1);
        assert_int_equal(pt_graph_set_vector(x, u3, seq, nv, 2), PT_OK); /* new */
        assert_int_equal(pt_graph_remove_vector(x, u1, PT_NONE), 1);
    }
    same_vectors(ref, g);
    assert_int_equal(pt_store_commit(s, g, "vectors"), PT_OK);
    pt_store_close(s);
    s = open_ok(fx, 0);
    g = pt_store_graph(s);
    same_graph(ref, g);
    assert_int_equal(pt_graph_vector_count(g, img), 3);
    assert_int_equal(pt_graph_vector_count(g, seq), 2);
    assert_int_equal(pt_store_verify(s), PT_OK);

    /* Remove everything: the next segment has empty vector sections. */
    uint64_t n = pt_graph_vector_count(g, PT_NONE);
    for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
        n -= pt_graph_remove_vector(g, v, PT_NONE);
    }
    assert_int_equal(n, 0);
    assert_int_equal(pt_store_commit(s, g, "no vectors"), PT_OK);
    pt_store_close(s);
    s = open_ok(fx, 0);
    assert_int_equal(pt_graph_vector_count(pt_store_graph(s), PT_NONE), 0);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    pt_graph_free(ref);
}

/* A version-1 segment (21 sections, no vectors) still opens and verifies; the next commit
 * writes version 2. */
static void test_version1_segment_still_opens(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 1);
    char seg[512];
    snprintf(seg, sizeof seg, "%s", in_store(fx, "graph-1.ptg"));
    size_t len;
    uint8_t *img = slurp(seg, &len);
    assert_int_equal(rd32(img, 8), 2);
    assert_int_equal(rd32(img, 20), PT__SEC_COUNT);
    /* Empty vector sections sit at the end of the file: dropping their entries is all it
     * takes to make this a version-1 file. */
    assert_int_equal(rd64(img, 128 + (PT__SEC_VEC_DATA - 1) * 32 + 8), len);
    uint32_t v1 = 1, n1 = PT__SEC_COUNT_V1;
    memcpy(img + 8, &v1, 4);
    memcpy(img + 20, &n1, 4);
    memset(img + 120, 0, 8);
    memset(img + 128 + PT__SEC_COUNT_V1 * 32, 0, (PT__SEC_COUNT - PT__SEC_COUNT_V1) * 32);
    reseal(img);
    spit(seg, img, len);
    assert_int_equal(pt__store_set_current(fx->ctx, fx->store, 1), PT_OK);
    pt_store *s = open_ok(fx, 0);
    pt_graph *ref = make_graph(fx->ctx, 1);
    same_graph(ref, pt_store_graph(s));
    assert_int_equal(pt_store_verify(s), PT_OK);
    float v[2] = {1, 2};
    assert_int_equal(pt_graph_set_vector(pt_store_graph(s), 0, 1, v, 2), PT_OK);
    assert_int_equal(pt_store_commit(s, pt_store_graph(s), "upgrade"), PT_OK);
    pt_store_close(s);
    free(img);
    img = slurp(in_store(fx, "graph-2.ptg"), &len);
    assert_int_equal(rd32(img, 8), 2);
    s = open_ok(fx, 0);
    assert_int_equal(pt_graph_get_vector(pt_store_graph(s), 0, 1, NULL, 0), 2);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    pt_graph_free(ref);
    free(img);
}

/* Vector records with valid checksums but bad contents: open rejects a bad first or last
 * record or a count that does not fit; verify rejects any bad record or float; a bad record in
 * the middle reads as no vector, never outside the data. */
static void test_corrupt_vectors_are_reported(void **state) {
    fixture *fx = *state;
    commit_variant(fx, 2);
    char seg[512];
    snprintf(seg, sizeof seg, "%s", in_store(fx, "graph-1.ptg"));
    size_t len;
    uint8_t *orig = slurp(seg, &len);
    uint8_t *img = malloc(len);
    size_t te = 128 + (PT__SEC_VEC_TABLE - 1) * 32, de = 128 + (PT__SEC_VEC_DATA - 1) * 32;
    uint64_t table = rd64(orig, te + 8), data = rd64(orig, de + 8);
    uint64_t n = rd64(orig, 120);
    assert_int_equal(n, 6);
    assert_int_equal(rd64(orig, te + 16), n * sizeof(pt__vrec));
    struct {
        size_t at;     /* byte to change, from the start of the file */
        uint32_t val;  /* u32 written there */
        int at_open;   /* open fails (else verify) */
        const char *want;
    } cases[] = {
        {table + 8, 0, 1, "section 'vec_table'"},                       /* first dim 0 */
        {table + 16, 4, 1, "section 'vec_table'"},                      /* first offset */
        {table + 5 * 24 + 0, 100000, 1, "section 'vec_table'"},         /* last node */
        {table + 2 * 24 + 8, 0, 0, "section 'vec_table'"},              /* middle dim 0 */
        {table + 2 * 24 + 8, 999999, 0, "section 'vec_table'"},         /* middle dim huge */
        {table + 2 * 24 + 16, 1u << 30, 0, "section 'vec_table'"},      /* middle offset */
        {table + 2 * 24 + 12, 1, 0, "section 'vec_table'"},             /* reserved word */
        {table + 1 * 24 + 0, 0, 0, "section 'vec_table'"},              /* order broken */
        {data + 8, 0x7FC00000u, 0, "section 'vec_data'"},               /* NaN */
        {120, 7, 1, "section 'vec_table'"},                             /* header count */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(img, orig, len);
        memcpy(img + cases[c].at, &cases[c].val, 4);
        reseal_all(img, len);
        spit(seg, img, len);
        assert_int_equal(pt__store_set_current(fx->ctx, fx->store, 1), PT_OK);
        pt_store *s = NULL;
        int rc = pt_store_open(fx->ctx, fx->store, 0, &s);
        if (cases[c].at_open) {
            if (rc != PT_ESTORE) {
                print_error("case %zu: open gave %s\n", c, pt_err_name(rc));
            }
            assert_int_equal(rc, PT_ESTORE);
        } else {
            if (rc != PT_OK) {
                print_error("case %zu: open: %s\n", c, pt_ctx_errmsg(fx->ctx));
            }
            assert_int_equal(rc, PT_OK);
            /* Reads stay inside the data whatever the record says. */
            pt_graph *g = pt_store_graph(s);
            float buf[8];
            uint64_t k = pt_graph_vector_count(g, PT_NONE);
            for (uint64_t i = 0; i < k; i++) {
                pt_node_id node, pred;
                uint32_t dim;
                if (pt_graph_vector_at(g, PT_NONE, i, &node, &pred, &dim) == PT_OK) {
                    uint32_t got = pt_graph_get_vector(g, node, pred, buf, 8);
                    assert_true(got <= PT_VEC_MAX_DIM);
                }
            }
            rc = pt_store_verify(s);
            pt_store_close(s);
            assert_int_equal(rc, PT_ESTORE);
        }
        msg_has(fx->ctx, cases[c].want);
        msg_has(fx->ctx, "graph-1.ptg");
    }
    memcpy(img, orig, len);
    spit(seg, orig, len);
    assert_int_equal(pt__store_set_current(fx->ctx, fx->store, 1), PT_OK);
    pt_store *s = open_ok(fx, 0);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    free(img);
    free(orig);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_gives_empty_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_graph_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_keeps_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_commit_removes_old_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_after_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_section_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_header_fails_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_manifest_fails_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_leftovers_are_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_store_refuses_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_writer_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_survives_oom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_survives_oom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vectors_round_trip_bit_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version1_segment_still_opens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_vectors_are_reported, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
