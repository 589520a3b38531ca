/*
 * test_graph.c - the graph core: interning, the builder's sort and fold, CSR in both directions
 * checked against a brute-force model, literals, classes and roles through the vocabulary and a
 * shop's own mapping, event nodes, id resolution, appends with compaction, readers beside a
 * writer, and the out-of-memory paths; vectors on nodes (pt_vec.h) against a model, beside a
 * writer, through compaction and out of memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_test.h"
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph/graph.h"

/* Intern an IRI in a builder. */
static pt_node_id iri(pt_builder *b, const char *s) {
    return pt_builder_intern(b, s, strlen(s), PT_TERM_IRI);
}

/* Look up an IRI in a graph. */
static pt_node_id look(const pt_graph *g, const char *s) {
    return pt_graph_lookup(g, s, strlen(s), PT_TERM_IRI);
}

static void test_two_triples_make_two_out_edges(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id u = iri(b, "http://x/u"), p = iri(b, PT_PURCHASED), i1 = iri(b, "http://x/i1"),
               i2 = iri(b, "http://x/i2");
    assert_int_equal(iri(b, "http://x/u"), u);
    assert_int_not_equal(pt_builder_intern(b, "http://x/u", 10, PT_TERM_BLANK), u);
    pt_builder_add_edge(b, u, p, i2, 1.0f, 100);
    pt_builder_add_edge(b, u, p, i1, 1.0f, 50);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt__graph_check(g), PT_OK);
    assert_int_equal(pt_graph_node_count(g), 5);
    assert_int_equal(pt_graph_edge_count(g), 2);
    assert_int_equal(pt_graph_out_degree(g, u), 2);
    assert_int_equal(pt_graph_in_degree(g, i1), 1);
    assert_string_equal(pt_graph_node_str(g, i1), "http://x/i1");
    assert_int_equal(pt_graph_node_kind(g, 4), PT_TERM_BLANK);
    pt_edge_iter it;
    pt_edge e;
    pt_graph_edges(g, u, 0, PT_NONE, &it);
    assert_true(pt_graph_edge_next(&it, &e));
    assert_int_equal(e.dst, i1); /* rows are sorted by (pred, dst) */
    assert_int_equal(e.time, 50);
    assert_true(pt_graph_edge_next(&it, &e));
    assert_int_equal(e.dst, i2);
    assert_false(pt_graph_edge_next(&it, &e));
    assert_int_equal(pt_graph_node_class(g, u), PT_CLASS_USER);
    assert_int_equal(pt_graph_node_class(g, i1), PT_CLASS_ITEM);
    assert_int_equal(pt_graph_pred_role(g, p), PT_ROLE_PURCHASED);
    assert_int_equal(look(g, "http://x/nothere"), PT_NONE);
    pt_graph_free(g);
}

static void test_repeated_edges_fold_keeping_the_latest(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id u = iri(b, "http://x/u"), p = iri(b, PT_RATED), i = iri(b, "http://x/i");
    pt_builder_add_edge(b, u, p, i, 2.0f, 300);
    pt_builder_add_edge(b, u, p, i, 5.0f, 100);
    pt_builder_add_edge(b, u, p, i, 4.0f, 300); /* same time: the later call wins */
    pt_builder_add_edge(b, u, p, i, 1.0f, 200);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_edge e;
    assert_int_equal(pt_graph_edge_count(g), 1);
    assert_true(pt_graph_edge_find(g, u, p, i, &e));
    assert_int_equal(e.time, 300);
    assert_true(e.weight == 4.0f);
    pt_graph_free(g);
}

/* A brute-force model edge for the random test. */
typedef struct medge {
    uint32_t s, p, o;
    int64_t t;
    float w;
} medge;

static int cmp_medge(const void *a, const void *b) {
    const medge *x = a, *y = b;
    if (x->s != y->s) {
        return x->s < y->s ? -1 : 1;
    }
    if (x->p != y->p) {
        return x->p < y->p ? -1 : 1;
    }
    return x->o < y->o ? -1 : x->o > y->o;
}

static void test_csr_matches_a_brute_force_model(void **state) {
    enum { N = 600, M = 20000, P = 7 };
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    char name[64];
    for (int v = 0; v < N; v++) {
        snprintf(name, sizeof name, "http://x/n%d", v);
        assert_int_equal(iri(b, name), (pt_node_id)v);
    }
    medge *m = malloc(M * sizeof *m);
    uint64_t seed = 42;
    for (int k = 0; k < M; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(seed >> 33);
        m[k].s = r % 50 == 0 ? 0 : r % N; /* node 0 is a hub */
        m[k].p = (r >> 10) % P;
        m[k].o = (r >> 3) % 40;           /* few objects: many duplicates */
        m[k].t = (int64_t)((r >> 7) % 1000);
        m[k].w = (float)(k % 5);
        pt_builder_add_edge(b, m[k].s, m[k].p, m[k].o, m[k].w, m[k].t);
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt__graph_check(g), PT_OK);
    /* Model: sort stably by (s, p, o) (qsort is not stable, so order by index too). */
    for (int k = 0; k < M; k++) {
        m[k].w = (float)k; /* reuse as the index */
    }
    qsort(m, M, sizeof *m, cmp_medge);
    int distinct = 0;
    for (int k = 0; k < M; k++) {
        if (k > 0 && cmp_medge(&m[k], &m[k - 1]) == 0) {
            continue;
        }
        distinct++;
        /* the expected survivor: max time, then max index */
        int best = k;
        for (int j = k + 1; j < M && cmp_medge(&m[j], &m[k]) == 0; j++) {
            if (m[j].t > m[best].t || (m[j].t == m[best].t && m[j].w > m[best].w)) {
                best = j;
            }
        }
        pt_edge e;
        assert_true(pt_graph_edge_find(g, m[k].s, m[k].p, m[k].o, &e));
        assert_int_equal(e.time, m[best].t);
        assert_true(e.weight == (float)((int)m[best].w % 5));
    }
    assert_int_equal(pt_graph_edge_count(g), distinct);
    /* In-edges: the same set seen from the object side, in (pred, src) order. */
    uint64_t in_total = 0;
    for (uint32_t v = 0; v < N; v++) {
        pt_edge_iter it;
        pt_edge e, prev = {0, 0, 0, 0, 0};
        int first = 1;
        pt_graph_edges(g, v, 1, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            assert_int_equal(e.dst, v);
            pt_edge f;
            assert_true(pt_graph_edge_find(g, e.src, e.pred, v, &f));
            assert_int_equal(f.time, e.time);
            if (!first) {
                assert_true(prev.pred < e.pred || (prev.pred == e.pred && prev.src < e.src));
            }
            prev = e;
            first = 0;
            in_total++;
        }
    }
    assert_int_equal(in_total, distinct);
    /* A predicate slice holds exactly that predicate's edges. */
    pt_edge_iter it;
    pt_edge e;
    uint64_t n3 = 0, n3_model = 0;
    pt_graph_edges(g, 0, 0, 3, &it);
    while (pt_graph_edge_next(&it, &e)) {
        assert_int_equal(e.pred, 3);
        n3++;
    }
    for (int k = 0; k < M; k++) {
        if (m[k].s == 0 && m[k].p == 3 && (k == 0 || cmp_medge(&m[k], &m[k - 1]) != 0)) {
            n3_model++;
        }
    }
    assert_int_equal(n3, n3_model);
    free(m);
    pt_graph_free(g);
}

static void test_literals_are_a_set_with_languages(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id i = iri(b, "http://x/i"), t = iri(b, PT_TITLE), pr = iri(b, PT_PRICE),
               dec = iri(b, PT_XSD_DECIMAL);
    pt_builder_add_literal(b, i, t, "Wireless headphones", 19, PT_NONE, "en", 2);
    pt_builder_add_literal(b, i, t, "无线耳机", strlen("无线耳机"), PT_NONE, "ZH", 2);
    pt_builder_add_literal(b, i, t, "Wireless headphones", 19, PT_NONE, "EN", 2); /* repeat */
    pt_builder_add_literal(b, i, t, "Wireless headphones", 19, PT_NONE, NULL, 0);  /* differs */
    pt_builder_add_literal(b, i, pr, "19.90", 5, dec, NULL, 0);
    pt_builder_add_literal(b, i, pr, "19.90", 5, dec, NULL, 0);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt__graph_check(g), PT_OK);
    assert_int_equal(pt_graph_literal_count(g), 4);
    assert_int_equal(pt_graph_literal_count_of(g, i), 4);
    assert_string_equal(pt_graph_literal_get(g, i, t, "zh"), "无线耳机");
    assert_string_equal(pt_graph_literal_get(g, i, t, "en"), "Wireless headphones");
    assert_string_equal(pt_graph_literal_get(g, i, pr, NULL), "19.90");
    pt_literal lit;
    int seen_dt = 0;
    for (uint64_t k = 0; k < 4; k++) {
        assert_int_equal(pt_graph_literal(g, i, k, &lit), PT_OK);
        if (lit.pred == pr) {
            assert_int_equal(lit.datatype, dec);
            seen_dt = 1;
        }
    }
    assert_true(seen_dt);
    assert_int_equal(pt_graph_literal(g, i, 4, &lit), PT_ENOTFOUND);
    pt_graph_free(g);
}

static void test_classes_and_roles_follow_the_vocabulary_and_shop_mappings(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id type = iri(b, PT_RDF_TYPE), sub = iri(b, PT_RDFS_SUBCLASSOF),
               subp = iri(b, PT_RDFS_SUBPROPERTYOF);
    pt_node_id c1 = iri(b, "http://shop/c1"), p1 = iri(b, "http://shop/p1"),
               bought = iri(b, "http://shop/bought"), cust = iri(b, "http://shop/Customer"),
               vip = iri(b, "http://shop/VIP"), prod = iri(b, PT_SCHEMA_NS "Product"),
               cat = iri(b, "http://shop/cat/shoes"), brand = iri(b, "http://shop/brand/acme"),
               sbrand = iri(b, PT_SCHEMA_NS "brand"), scat = iri(b, PT_SCHEMA_NS "category"),
               lone = iri(b, "http://shop/lone");
    /* Data first, the mapping after: order must not matter. */
    pt_builder_add_edge(b, c1, type, vip, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, p1, type, prod, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, c1, bought, p1, 1, 10);
    pt_builder_add_edge(b, p1, sbrand, brand, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, p1, scat, cat, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, vip, sub, cust, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, cust, sub, iri(b, PT_USER), 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, bought, subp, iri(b, PT_PURCHASED), 1, PT_TIME_UNKNOWN);
    /* A cycle in the mapping must not loop. */
    pt_builder_add_edge(b, cust, sub, vip, 1, PT_TIME_UNKNOWN);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt_graph_node_class(g, c1), PT_CLASS_USER);
    assert_int_equal(pt_graph_node_class(g, p1), PT_CLASS_ITEM);
    assert_int_equal(pt_graph_node_class(g, cat), PT_CLASS_CATEGORY);
    assert_int_equal(pt_graph_node_class(g, brand), PT_CLASS_BRAND);
    assert_int_equal(pt_graph_node_class(g, lone), PT_CLASS_OTHER);
    assert_int_equal(pt_graph_pred_role(g, bought), PT_ROLE_PURCHASED);
    assert_int_equal(pt_graph_pred_role(g, sbrand), PT_ROLE_BRAND);
    assert_int_equal(pt_graph_pred_role(g, scat), PT_ROLE_IN_CATEGORY);
    assert_int_equal(pt_graph_pred_role(g, type), PT_ROLE_TYPE);
    pt_graph_free(g);
}

static void test_event_nodes_become_weighted_timed_edges(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id ev = pt_builder_intern(b, "e1", 2, PT_TERM_BLANK), ev2 = iri(b, "http://x/e2");
    pt_node_id u = iri(b, "http://x/u"), i = iri(b, "http://x/i"), rated = iri(b, PT_RATED),
               view = iri(b, PT_VIEWED);
    pt_builder_add_edge(b, ev, iri(b, PT_EV_USER), u, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, ev, iri(b, PT_EV_ITEM), i, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, ev, iri(b, PT_EV_ACTION), rated, 1, PT_TIME_UNKNOWN);
    pt_builder_add_literal(b, ev, iri(b, PT_EV_TIME), "2026-03-01T12:34:56Z", 20,
                           iri(b, PT_XSD_DATETIME), NULL, 0);
    pt_builder_add_literal(b, ev, iri(b, PT_EV_RATING), "4", 1, iri(b, PT_XSD_INTEGER), NULL, 0);
    /* an event without time or rating: weight 1, time unknown */
    pt_builder_add_edge(b, ev2, iri(b, PT_EV_USER), u, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, ev2, iri(b, PT_EV_ITEM), i, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, ev2, iri(b, PT_EV_ACTION), view, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, ev2, iri(b, PT_RDF_TYPE), iri(b, PT_EVENT), 1, PT_TIME_UNKNOWN);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_edge e;
    assert_true(pt_graph_edge_find(g, u, rated, i, &e));
    assert_true(e.weight == 4.0f);
    assert_int_equal(e.time, 1772368496);
    assert_true(pt_graph_edge_find(g, u, view, i, &e));
    assert_true(e.weight == 1.0f);
    assert_true(e.time == PT_TIME_UNKNOWN);
    assert_int_equal(pt_graph_node_class(g, u), PT_CLASS_USER);
    assert_int_equal(pt_graph_node_class(g, ev2), PT_CLASS_EVENT);
    pt_graph_free(g);
}

static void test_ids_resolve_as_people_type_them(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_builder_set_base(b, "https://shop.example/");
    pt_builder_add_prefix(b, "shop", "https://shop.example/");
    pt_node_id u = iri(b, "https://shop.example/user/42"),
               i = iri(b, "https://shop.example/item/42"),
               o = iri(b, "https://other.example/x"), bn = pt_builder_intern(b, "b7", 2,
                                                                             PT_TERM_BLANK);
    pt_node_id p = iri(b, PT_PURCHASED);
    pt_builder_add_edge(b, u, p, i, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, bn, p, o, 1, PT_TIME_UNKNOWN);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt_graph_resolve(g, "42", PT_CLASS_USER), u);
    assert_int_equal(pt_graph_resolve(g, "42", PT_CLASS_ITEM), i);
    assert_int_equal(pt_graph_resolve(g, "42", PT_CLASS_OTHER), u);
    assert_int_equal(pt_graph_resolve(g, "shop:item/42", PT_CLASS_OTHER), i);
    assert_int_equal(pt_graph_resolve(g, "<https://other.example/x>", PT_CLASS_OTHER), o);
    assert_int_equal(pt_graph_resolve(g, "https://other.example/x", PT_CLASS_OTHER), o);
    assert_int_equal(pt_graph_resolve(g, "_:b7", PT_CLASS_OTHER), bn);
    assert_int_equal(pt_graph_resolve(g, "pt:purchased", PT_CLASS_OTHER), p);
    assert_int_equal(pt_graph_resolve(g, "43", PT_CLASS_USER), PT_NONE);
    assert_int_equal(pt_graph_resolve(g, "", PT_CLASS_USER), PT_NONE);
    char buf[64];
    pt_graph_display_id(g, u, buf, sizeof buf);
    assert_string_equal(buf, "42");
    pt_graph_display_id(g, o, buf, sizeof buf);
    assert_string_equal(buf, "https://other.example/x");
    pt_graph_display_id(g, bn, buf, sizeof buf);
    assert_string_equal(buf, "_:b7");
    assert_string_equal(pt_graph_base(g), "https://shop.example/");
    const char *name, *piri;
    assert_int_equal(pt_graph_prefix_count(g), 1);
    assert_int_equal(pt_graph_prefix(g, 0, &name, &piri), PT_OK);
    assert_string_equal(name, "shop");
    pt_graph_free(g);
}

/* The title predicate, interned on demand. */
static pt_node_id iri_lookup_or(pt_graph *g) {
    return pt_graph_intern(g, PT_TITLE, strlen(PT_TITLE), PT_TERM_IRI);
}

static void test_appends_are_seen_and_compact_into_csr(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id u = iri(b, "http://x/u"), p = iri(b, PT_PURCHASED), i = iri(b, "http://x/i");
    pt_builder_add_edge(b, u, p, i, 1, 10);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    /* update in place */
    assert_int_equal(pt_graph_add_edge(g, u, p, i, 3, 20), PT_OK);
    pt_edge e;
    assert_true(pt_graph_edge_find(g, u, p, i, &e));
    assert_int_equal(e.time, 20);
    assert_int_equal(pt_graph_delta_count(g), 0);
    /* new nodes and edges */
    pt_node_id u2 = pt_graph_intern(g, "http://x/u2", 11, PT_TERM_IRI);
    assert_int_equal(u2, 3);
    assert_int_equal(pt_graph_intern(g, "http://x/u2", 11, PT_TERM_IRI), u2);
    assert_int_equal(pt_graph_add_edge(g, u2, p, i, 1, 30), PT_OK);
    assert_int_equal(pt_graph_add_edge(g, u2, p, i, 2, 25), PT_OK); /* older: ignored */
    assert_int_equal(pt_graph_delta_count(g), 1);
    assert_true(pt_graph_edge_find(g, u2, p, i, &e));
    assert_true(e.weight == 1.0f);
    assert_int_equal(pt_graph_in_degree(g, i), 2);
    assert_int_equal(pt_graph_node_class(g, u2), PT_CLASS_USER);
    assert_int_equal(pt_graph_add_literal(g, u2, iri_lookup_or(g), "x", 1, PT_NONE, "en"),
                     PT_OK);
    assert_int_equal(pt_graph_literal_count_of(g, u2), 1);
    assert_int_equal(pt_graph_add_edge(g, u2, p, 999, 1, 1), PT_EINVAL);
    /* many appends: compaction happens on its own, everything stays visible */
    char name[64];
    for (int k = 0; k < 70000; k++) {
        snprintf(name, sizeof name, "http://x/item%d", k % 9000);
        pt_node_id it = pt_graph_intern(g, name, strlen(name), PT_TERM_IRI);
        assert_int_not_equal(it, PT_NONE);
        snprintf(name, sizeof name, "http://x/user%d", k % 3000);
        pt_node_id us = pt_graph_intern(g, name, strlen(name), PT_TERM_IRI);
        assert_int_equal(pt_graph_add_edge(g, us, p, it, 1, k), PT_OK);
    }
    assert_int_equal(pt__graph_check(g), PT_OK);
    assert_int_equal(pt_graph_compact(g), PT_OK);
    assert_int_equal(pt_graph_delta_count(g), 0);
    assert_int_equal(pt__graph_check(g), PT_OK);
    assert_true(pt_graph_edge_find(g, u2, p, i, &e));
    assert_int_equal(pt_graph_literal_count_of(g, u2), 1);
    pt_node_id u5 = pt_graph_resolve(g, "http://x/user5", PT_CLASS_OTHER);
    assert_int_equal(pt_graph_node_class(g, u5), PT_CLASS_USER);
    /* user5 bought items 5, 3005, 6005 (k = 5 + 3000j, item k % 9000) */
    assert_int_equal(pt_graph_out_degree(g, u5), 3);
    pt_graph_free(g);
}

static void test_builder_from_a_graph_keeps_ids(void **state) {
    pt_builder *b;
    pt_graph *g, *g2;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id u = iri(b, "http://x/u"), p = iri(b, PT_PURCHASED), i = iri(b, "http://x/i");
    pt_builder_add_edge(b, u, p, i, 2, 10);
    pt_builder_add_literal(b, i, iri(b, PT_TITLE), "T", 1, PT_NONE, "en", 2);
    pt_builder_set_base(b, "http://x/");
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt_builder_new(*state, g, &b), PT_OK);
    assert_int_equal(iri(b, "http://x/i"), i);
    pt_node_id j = iri(b, "http://x/j");
    pt_builder_add_edge(b, u, p, j, 1, 11);
    assert_int_equal(pt_builder_finish(b, &g2), PT_OK);
    assert_int_equal(pt_graph_edge_count(g2), 2);
    assert_int_equal(pt_graph_literal_count(g2), 1);
    assert_string_equal(pt_graph_base(g2), "http://x/");
    pt_edge e;
    assert_true(pt_graph_edge_find(g2, u, p, i, &e));
    assert_true(e.weight == 2.0f);
    pt_graph_free(g);
    pt_graph_free(g2);
}

/* Build a small graph with events and literals; returns the finish/new code. */
static int build_small(pt_ctx *ctx) {
    pt_builder *b;
    pt_graph *g;
    int rc = pt_builder_new(ctx, NULL, &b);
    if (rc != PT_OK) {
        return rc;
    }
    char name[64];
    pt_node_id p = iri(b, PT_PURCHASED), t = iri(b, PT_TITLE);
    for (int k = 0; k < 300; k++) {
        snprintf(name, sizeof name, "http://x/u%d", k % 17);
        pt_node_id u = iri(b, name);
        snprintf(name, sizeof name, "http://x/i%d", k % 23);
        pt_node_id i = iri(b, name);
        pt_builder_add_edge(b, u, p, i, 1, k);
        pt_builder_add_literal(b, i, t, name, strlen(name), PT_NONE, "en", 2);
    }
    pt_builder_add_prefix(b, "x", "http://x/");
    rc = pt_builder_finish(b, &g);
    if (rc == PT_OK) {
        rc = pt__graph_check(g);
        pt_graph_free(g);
    }
    return rc;
}

static void test_out_of_memory_anywhere_fails_cleanly(void **state) {
    pt_ctx *ctx = *state;
    int rc;
    uint64_t n = 1;
    for (;; n++) {
        pt__ctx_fail_after(ctx, n);
        rc = build_small(ctx);
        if (rc == PT_OK) {
            break;
        }
        assert_int_equal(rc, PT_ENOMEM);
        assert_true(n < 100000);
    }
    pt__ctx_fail_after(ctx, 0);
    assert_true(n > 10); /* the loop really went through failures */
}

/* Reader thread: iterate all edges under the read lock until told to stop. */
static _Atomic int stop_readers;
static void *reader_main(void *arg) {
    pt_graph *g = arg;
    uint64_t loops = 0;
    while (!stop_readers) {
        pt_graph_rdlock(g);
        uint64_t m = 0;
        for (uint32_t v = 0; v < pt_graph_node_count(g); v++) {
            pt_edge_iter it;
            pt_edge e;
            pt_graph_edges(g, v, 0, PT_NONE, &it);
            while (pt_graph_edge_next(&it, &e)) {
                m++;
            }
        }
        if (m != pt_graph_edge_count(g)) {
            pt_graph_unlock(g);
            return (void *)1;
        }
        pt_graph_unlock(g);
        loops++;
    }
    return loops > 0 ? NULL : (void *)2;
}

static void test_readers_beside_a_writer_see_consistent_graphs(void **state) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    pt_node_id p = iri(b, PT_PURCHASED);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pthread_t th[2];
    stop_readers = 0;
    for (int t = 0; t < 2; t++) {
        assert_int_equal(pthread_create(&th[t], NULL, reader_main, g), 0);
    }
    char name[64];
    for (int k = 0; k < 150000; k++) {
        snprintf(name, sizeof name, "http://x/u%d", k % 5000);
        pt_node_id u = pt_graph_intern(g, name, strlen(name), PT_TERM_IRI);
        snprintf(name, sizeof name, "http://x/i%d", k % 7919);
        pt_node_id i = pt_graph_intern(g, name, strlen(name), PT_TERM_IRI);
        assert_int_equal(pt_graph_add_edge(g, u, p, i, 1, k), PT_OK);
    }
    stop_readers = 1;
    for (int t = 0; t < 2; t++) {
        void *ret;
        pthread_join(th[t], &ret);
        assert_null(ret);
    }
    assert_int_equal(pt__graph_check(g), PT_OK);
    pt_graph_free(g);
}

/* --- vectors (pt_vec.h) --------------------------------------------------------------------- */

/* A graph of `n` nodes http://x/n<k> (ids 0..n-1) and two predicates, ids n and n + 1. */
static pt_graph *vec_graph(pt_ctx *ctx, uint32_t n) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    char name[64];
    for (uint32_t k = 0; k < n; k++) {
        snprintf(name, sizeof name, "http://x/n%u", k);
        assert_int_equal(iri(b, name), k);
    }
    assert_int_equal(iri(b, PT_IMAGE_EMBEDDING), n);
    assert_int_equal(iri(b, PT_SEQUENCE_EMBEDDING), n + 1);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    return g;
}

/* Fill v[0..dim) from a seed so that every (seed, i) gives a distinct exact float. */
static void vec_fill(float *v, uint32_t dim, uint32_t seed) {
    for (uint32_t i = 0; i < dim; i++) {
        v[i] = (float)seed + (float)i / 1024.0f;
    }
}

/* Assert that (node, pred) holds exactly the vector vec_fill(dim, seed). */
static void vec_expect(const pt_graph *g, pt_node_id node, pt_node_id pred, uint32_t dim,
                       uint32_t seed) {
    float want[64], got[64];
    assert_true(dim <= 64);
    vec_fill(want, dim, seed);
    memset(got, 0xAB, sizeof got);
    assert_int_equal(pt_graph_get_vector(g, node, pred, got, 64), dim);
    assert_memory_equal(got, want, dim * sizeof(float));
}

static void test_vectors_set_replace_get_remove(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = vec_graph(ctx, 10);
    pt_node_id img = 10, seq = 11;
    float v[64];
    assert_int_equal(pt_graph_vector_count(g, PT_NONE), 0);
    assert_int_equal(pt_graph_get_vector(g, 3, img, NULL, 0), 0);
    /* Set out of node order; the walk comes back in node order. */
    static const uint32_t order[] = {7, 2, 9, 0, 5};
    for (size_t k = 0; k < 5; k++) {
        vec_fill(v, 8, order[k]);
        assert_int_equal(pt_graph_set_vector(g, order[k], img, v, 8), PT_OK);
    }
    vec_fill(v, 4, 100);
    assert_int_equal(pt_graph_set_vector(g, 2, seq, v, 4), PT_OK);
    assert_int_equal(pt_graph_vector_count(g, PT_NONE), 6);
    assert_int_equal(pt_graph_vector_count(g, img), 5);
    assert_int_equal(pt_graph_vector_count(g, seq), 1);
    assert_int_equal(pt_graph_vector_count(g, 3), 0);
    pt_node_id node, pred, last = 0;
    uint32_t dim;
    for (uint64_t i = 0; i < 5; i++) {
        assert_int_equal(pt_graph_vector_at(g, img, i, &node, &pred, &dim), PT_OK);
        assert_int_equal(pred, img);
        assert_int_equal(dim, 8);
        assert_true(i == 0 || node > last);
        last = node;
        vec_expect(g, node, img, 8, node);
    }
    assert_int_equal(pt_graph_vector_at(g, img, 5, &node, &pred, &dim), PT_EINVAL);
    assert_int_equal(node, PT_NONE);
    assert_int_equal(pt_graph_vector_at(g, seq, 0, &node, &pred, &dim), PT_OK);
    assert_int_equal(node, 2);
    assert_int_equal(dim, 4);
    /* Asking the dimension; a short buffer gets a prefix. */
    assert_int_equal(pt_graph_get_vector(g, 7, img, NULL, 0), 8);
    float two[2] = {0, 0};
    assert_int_equal(pt_graph_get_vector(g, 7, img, two, 2), 8);
    assert_true(two[0] == 7.0f && two[1] == 7.0f + 1.0f / 1024.0f);
    /* Replace: same dimension in place, then another dimension. */
    vec_fill(v, 8, 70);
    assert_int_equal(pt_graph_set_vector(g, 7, img, v, 8), PT_OK);
    vec_expect(g, 7, img, 8, 70);
    vec_fill(v, 33, 71);
    assert_int_equal(pt_graph_set_vector(g, 7, img, v, 33), PT_OK);
    vec_expect(g, 7, img, 33, 71);
    assert_int_equal(pt_graph_vector_count(g, img), 5);
    /* Remove one, then every vector of a node. */
    assert_int_equal(pt_graph_remove_vector(g, 9, img), 1);
    assert_int_equal(pt_graph_remove_vector(g, 9, img), 0);
    assert_int_equal(pt_graph_get_vector(g, 9, img, NULL, 0), 0);
    vec_fill(v, 8, 200);
    assert_int_equal(pt_graph_set_vector(g, 2, img, v, 8), PT_OK);
    assert_int_equal(pt_graph_remove_vector(g, 2, PT_NONE), 2);
    assert_int_equal(pt_graph_vector_count(g, PT_NONE), 3);
    assert_int_equal(pt_graph_vector_count(g, seq), 0);
    vec_expect(g, 0, img, 8, 0);
    vec_expect(g, 5, img, 8, 5);
    vec_expect(g, 7, img, 33, 71);
    pt_graph_mem mem;
    pt_graph_memory_detail(g, &mem);
    assert_true(mem.vectors >= 3 * 8 * sizeof(float));
    pt_graph_free(g);
}

static void test_vectors_reject_bad_input(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = vec_graph(ctx, 4);
    float v[4] = {1, 2, 3, 4};
    assert_int_equal(pt_graph_set_vector(g, 4 + 2, 4, v, 4), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "node id 6"));
    assert_int_equal(pt_graph_set_vector(g, 0, 99, v, 4), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "predicate id 99"));
    assert_int_equal(pt_graph_set_vector(g, 0, 4, v, 0), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "dimension 0"));
    assert_int_equal(pt_graph_set_vector(g, 0, 4, v, PT_VEC_MAX_DIM + 1), PT_EINVAL);
    v[2] = NAN;
    assert_int_equal(pt_graph_set_vector(g, 0, 4, v, 4), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "value 2 of 4 is not finite (NaN)"));
    v[2] = 3;
    v[3] = -INFINITY;
    assert_int_equal(pt_graph_set_vector(g, 0, 4, v, 4), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "value 3 of 4 is not finite (infinity)"));
    assert_int_equal(pt_graph_vector_count(g, PT_NONE), 0);
    /* A rejected replacement keeps the old vector. */
    v[3] = 4;
    assert_int_equal(pt_graph_set_vector(g, 0, 4, v, 4), PT_OK);
    float w[4] = {9, 9, NAN, 9};
    assert_int_equal(pt_graph_set_vector(g, 0, 4, w, 4), PT_EINVAL);
    float got[4];
    assert_int_equal(pt_graph_get_vector(g, 0, 4, got, 4), 4);
    assert_memory_equal(got, v, sizeof v);
    assert_int_equal(pt_graph_get_vector(g, 1000, 4, got, 4), 0);
    assert_int_equal(pt_graph_remove_vector(g, 1000, PT_NONE), 0);
    pt_graph_free(g);
}

/* Random sets, replacements and removals checked against a dense model after every step,
 * then the walk order checked; enough churn to rewrite the float array and regrow the hash. */
static void test_vectors_match_a_model(void **state) {
    pt_ctx *ctx = *state;
    enum { N = 600, STEPS = 20000 };
    pt_graph *g = vec_graph(ctx, N);
    uint32_t *mdim = calloc(2 * N, 4), *mseed = calloc(2 * N, 4);
    assert_non_null(mdim);
    assert_non_null(mseed);
    uint64_t rnd = 88172645463325252ull;
    float v[64];
    for (uint32_t step = 0; step < STEPS; step++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        uint32_t node = (uint32_t)(rnd % N), kind = (uint32_t)(rnd >> 20) % 2;
        uint32_t op = (uint32_t)(rnd >> 32) % 10, dim = 1 + (uint32_t)(rnd >> 40) % 64;
        pt_node_id pred = N + kind;
        if (op < 7) {
            vec_fill(v, dim, step);
            assert_int_equal(pt_graph_set_vector(g, node, pred, v, dim), PT_OK);
            mdim[2 * node + kind] = dim;
            mseed[2 * node + kind] = step;
        } else if (op < 9) {
            assert_int_equal(pt_graph_remove_vector(g, node, pred), mdim[2 * node + kind] != 0);
            mdim[2 * node + kind] = 0;
        } else {
            uint64_t had = (mdim[2 * node] != 0) + (mdim[2 * node + 1] != 0);
            assert_int_equal(pt_graph_remove_vector(g, node, PT_NONE), had);
            mdim[2 * node] = mdim[2 * node + 1] = 0;
        }
        uint32_t probe = (uint32_t)(rnd >> 48) % N;
        for (uint32_t k = 0; k < 2; k++) {
            if (mdim[2 * probe + k] != 0) {
                vec_expect(g, probe, N + k, mdim[2 * probe + k], mseed[2 * probe + k]);
            } else {
                assert_int_equal(pt_graph_get_vector(g, probe, N + k, NULL, 0), 0);
            }
        }
        if (step % 5000 == 4999) {
            for (uint32_t k = 0; k < 2; k++) {
                uint64_t i = 0;
                for (uint32_t u = 0; u < N; u++) {
                    if (mdim[2 * u + k] == 0) {
                        continue;
                    }
                    pt_node_id node_at, pred_at;
                    uint32_t dim_at;
                    assert_int_equal(pt_graph_vector_at(g, N + k, i++, &node_at, &pred_at,
                                                        &dim_at),
                                     PT_OK);
                    assert_int_equal(node_at, u);
                    assert_int_equal(dim_at, mdim[2 * u + k]);
                    vec_expect(g, u, N + k, mdim[2 * u + k], mseed[2 * u + k]);
                }
                assert_int_equal(pt_graph_vector_count(g, N + k), i);
            }
        }
    }
    free(mdim);
    free(mseed);
    pt_graph_free(g);
}

/* Compaction rebuilds the graph through a builder: vectors stay, as they do in a builder
 * seeded with the graph. */
static void test_vectors_survive_compaction_and_builder_copies(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = vec_graph(ctx, 50);
    float v[64];
    for (uint32_t u = 0; u < 50; u += 3) {
        vec_fill(v, 16, u);
        assert_int_equal(pt_graph_set_vector(g, u, 50, v, 16), PT_OK);
    }
    pt_node_id p = pt_graph_intern(g, PT_PURCHASED, strlen(PT_PURCHASED), PT_TERM_IRI);
    assert_int_equal(pt_graph_add_edge(g, 1, p, 2, 1, 5), PT_OK);
    assert_int_equal(pt_graph_compact(g), PT_OK);
    assert_int_equal(pt_graph_delta_count(g), 0);
    assert_int_equal(pt_graph_vector_count(g, 50), 17);
    for (uint32_t u = 0; u < 50; u += 3) {
        vec_expect(g, u, 50, 16, u);
    }
    pt_builder *b;
    pt_graph *h;
    assert_int_equal(pt_builder_new(ctx, g, &b), PT_OK);
    assert_int_equal(pt_builder_finish(b, &h), PT_OK);
    /* The two graphs share the vectors until one changes them: a change is seen by its own
     * graph only, whichever goes first. */
    vec_fill(v, 16, 1000);
    assert_int_equal(pt_graph_set_vector(g, 0, 50, v, 16), PT_OK);
    assert_int_equal(pt_graph_remove_vector(g, 3, 50), 1);
    vec_expect(g, 0, 50, 16, 1000);
    vec_expect(h, 0, 50, 16, 0);
    vec_expect(h, 3, 50, 16, 3);
    vec_fill(v, 16, 2000);
    assert_int_equal(pt_graph_set_vector(h, 6, 50, v, 16), PT_OK);
    vec_expect(g, 6, 50, 16, 6);
    vec_expect(h, 6, 50, 16, 2000);
    assert_int_equal(pt_builder_new(ctx, h, &b), PT_OK); /* shared again, then dropped */
    pt_builder_free(b);
    assert_int_equal(pt_graph_remove_vector(h, 9, PT_NONE), 1);
    vec_expect(g, 9, 50, 16, 9);
    pt_graph_free(g);
    assert_int_equal(pt_graph_vector_count(h, PT_NONE), 16);
    for (uint32_t u = 12; u < 50; u += 3) {
        vec_expect(h, u, 50, 16, u);
    }
    vec_expect(h, 0, 50, 16, 0);
    pt_graph_free(h);
}

/* Export as N-Triples and as Turtle, import back: every vector bit for bit (through
 * pt:f32vector literals), and a pt:f32vector literal that does not decode stays a literal. */
static void test_vectors_export_and_import_back_exactly(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = vec_graph(ctx, 30);
    float v[64];
    for (uint32_t u = 0; u < 30; u++) {
        uint32_t dim = 1 + u % 7; /* every remainder of 4 * dim mod 3: all padding cases */
        vec_fill(v, dim, u);
        v[0] = u == 5 ? -0.0f : u == 6 ? 1e-45f : u == 7 ? -3.4028235e38f : v[0];
        assert_int_equal(pt_graph_set_vector(g, u, 30 + u % 2, v, dim), PT_OK);
    }
    static const char *const formats[] = {"ntriples", "turtle"};
    char path[256];
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "/tmp/pt_vec_export_%d.%s", (int)getpid(), formats[f]);
        assert_int_equal(pt_export_rdf(ctx, g, formats[f], path), PT_OK);
        FILE *fp = fopen(path, "a");
        assert_non_null(fp);
        fprintf(fp, "<http://x/n1> <http://x/bad> \"AAA*\"^^<%s> .\n", PT_F32VECTOR);
        fclose(fp);
        pt_builder *b;
        pt_graph *h;
        pt_import_stats st;
        assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
        if (pt_import_rdf(b, path, formats[f], NULL, &st) != PT_OK) {
            fail_msg("%s: %s", path, pt_ctx_errmsg(ctx));
        }
        assert_int_equal(pt_builder_finish(b, &h), PT_OK);
        remove(path);
        assert_int_equal(pt_graph_vector_count(h, PT_NONE), 30);
        for (uint32_t u = 0; u < 30; u++) {
            char name[64];
            snprintf(name, sizeof name, "http://x/n%u", u);
            pt_node_id hu = look(h, name);
            pt_node_id hp = look(h, u % 2 ? PT_SEQUENCE_EMBEDDING : PT_IMAGE_EMBEDDING);
            float a[64], c[64];
            uint32_t dim = pt_graph_get_vector(g, u, 30 + u % 2, a, 64);
            assert_int_equal(pt_graph_get_vector(h, hu, hp, c, 64), dim);
            assert_memory_equal(a, c, dim * sizeof(float));
        }
        assert_string_equal(pt_graph_literal_get(h, look(h, "http://x/n1"), look(h, "http://x/bad"),
                                                 NULL),
                            "AAA*");
        pt_graph_free(h);
    }
    pt_graph_free(g);
    /* The text itself: base64 of the little-endian floats (1, -2, 0.5 is 00 00 80 3F,
     * 00 00 00 C0, 00 00 00 3F), as any other tool computes it. */
    g = vec_graph(ctx, 1);
    float w[3] = {1.0f, -2.0f, 0.5f};
    assert_int_equal(pt_graph_set_vector(g, 0, 1, w, 3), PT_OK);
    snprintf(path, sizeof path, "/tmp/pt_vec_export_%d.nt", (int)getpid());
    assert_int_equal(pt_export_rdf(ctx, g, "ntriples", path), PT_OK);
    char text[4096] = "";
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    text[fread(text, 1, sizeof text - 1, fp)] = '\0';
    fclose(fp);
    remove(path);
    assert_non_null(strstr(text, "<http://x/n0> <" PT_IMAGE_EMBEDDING
                                 "> \"AACAPwAAAMAAAAA/\"^^<" PT_F32VECTOR "> .\n"));
    pt_graph_free(g);
}

/* Every allocation of a set may fail: PT_ENOMEM, and the vectors stay as they were. */
static void test_vectors_survive_out_of_memory(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = vec_graph(ctx, 300);
    float v[64];
    uint32_t failures = 0;
    for (uint32_t u = 0; u < 300; u++) {
        vec_fill(v, 40, u);
        for (uint64_t n = 1;; n++) {
            pt__ctx_fail_after(ctx, n);
            int rc = pt_graph_set_vector(g, u, 300 + u % 2, v, 40);
            pt__ctx_fail_after(ctx, 0);
            if (rc == PT_OK) {
                break;
            }
            assert_int_equal(rc, PT_ENOMEM);
            failures++;
            assert_int_equal(pt_graph_get_vector(g, u, 300 + u % 2, NULL, 0), 0);
            assert_int_equal(pt_graph_vector_count(g, PT_NONE), u);
        }
    }
    assert_true(failures > 5);
    for (uint32_t u = 0; u < 300; u++) {
        vec_expect(g, u, 300 + u % 2, 40, u);
    }
    /* The builder copy fails cleanly too. */
    for (uint64_t n = 1;; n++) {
        pt_builder *b = NULL;
        pt_graph *h = NULL;
        pt__ctx_fail_after(ctx, n);
        int rc = pt_builder_new(ctx, g, &b);
        if (rc == PT_OK) {
            rc = pt_builder_finish(b, &h);
        }
        pt__ctx_fail_after(ctx, 0);
        if (rc == PT_OK) {
            assert_int_equal(pt_graph_vector_count(h, PT_NONE), 300);
            pt_graph_free(h);
            break;
        }
        assert_int_equal(rc, PT_ENOMEM);
        assert_true(n < 100000);
    }
    pt_graph_free(g);
}

/* Readers copy vectors while a writer replaces them: every copy is one whole vector (all its
 * floats carry the same stamp), never a mix of two. */
static _Atomic int stop_vec_readers;
static void *vec_reader_main(void *arg) {
    pt_graph *g = arg;
    float got[256];
    uint64_t loops = 0;
    while (!stop_vec_readers) {
        for (uint32_t u = 0; u < 20; u++) {
            uint32_t dim = pt_graph_get_vector(g, u, 20, got, 256);
            for (uint32_t i = 1; i < dim && i < 256; i++) {
                if (got[i] != got[0]) {
                    return (void *)1;
                }
            }
        }
        /* The last entry by index: the writer may remove vectors between the two calls, so
         * the index may be gone (PT_EINVAL); when it is there it is whole. */
        pt_node_id node, pred;
        uint32_t dim;
        uint64_t n = pt_graph_vector_count(g, 20);
        int rc = n > 0 ? pt_graph_vector_at(g, 20, n - 1, &node, &pred, &dim) : PT_OK;
        if (rc != PT_OK && rc != PT_EINVAL) {
            return (void *)3;
        }
        if (n > 0 && rc == PT_OK && (pred != 20 || node >= 20 || dim > 256)) {
            return (void *)4;
        }
        loops++;
    }
    return loops > 0 ? NULL : (void *)2;
}

static void test_vector_readers_beside_a_writer_never_tear(void **state) {
    pt_graph *g = vec_graph(*state, 20);
    pthread_t th[2];
    stop_vec_readers = 0;
    for (int t = 0; t < 2; t++) {
        assert_int_equal(pthread_create(&th[t], NULL, vec_reader_main, g), 0);
    }
    float v[256];
    for (uint32_t k = 0; k < 40000; k++) {
        uint32_t dim = 1 + k % 256;
        for (uint32_t i = 0; i < dim; i++) {
            v[i] = (float)k;
        }
        if (k % 7 == 0) {
            pt_graph_remove_vector(g, k % 20, 20);
        } else {
            assert_int_equal(pt_graph_set_vector(g, k % 20, 20, v, dim), PT_OK);
        }
    }
    stop_vec_readers = 1;
    for (int t = 0; t < 2; t++) {
        void *ret;
        pthread_join(th[t], &ret);
        assert_null(ret);
    }
    pt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_triples_make_two_out_edges, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_repeated_edges_fold_keeping_the_latest, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_csr_matches_a_brute_force_model, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_literals_are_a_set_with_languages, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(
            test_classes_and_roles_follow_the_vocabulary_and_shop_mappings, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_event_nodes_become_weighted_timed_edges, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_ids_resolve_as_people_type_them, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_appends_are_seen_and_compact_into_csr, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_builder_from_a_graph_keeps_ids, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_out_of_memory_anywhere_fails_cleanly, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_readers_beside_a_writer_see_consistent_graphs,
                                        ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_vectors_set_replace_get_remove, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_vectors_reject_bad_input, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_vectors_match_a_model, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_vectors_survive_compaction_and_builder_copies,
                                        ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_vectors_survive_out_of_memory, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_vectors_export_and_import_back_exactly, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_vector_readers_beside_a_writer_never_tear, ctx_up,
                                        ctx_down),
    };
    return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
