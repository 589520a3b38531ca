/*
 * test_eval.c - the evaluation module: metrics against rankings computed by hand, the
 * leave-last-out and random splits on toy graphs, the training graph, split files (with ids the
 * graph does not know), bad input, out-of-memory paths, and, when ../shared/data is present,
 * the reference MostPopular row of MovieLens-100k.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_test.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portrait/portrait.h"
#include "eval/eval.h"
#include "graph/graph.h"

#define BASE "https://t.example/"

/* Assert that two doubles agree to 1e-9. */
static void near(double got, double want) {
    if (fabs(got - want) > 1e-9) {
        fail_msg("got %.12f, want %.12f", got, want);
    }
}

/* Intern BASE + kind + "/" + id. */
static pt_node_id node(pt_builder *b, const char *kind, const char *id) {
    char buf[256];
    int n = snprintf(buf, sizeof buf, BASE "%s/%s", kind, id);
    return pt_builder_intern(b, buf, (size_t)n, PT_TERM_IRI);
}

/* Intern a full IRI. */
static pt_node_id iri(pt_builder *b, const char *s) {
    return pt_builder_intern(b, s, strlen(s), PT_TERM_IRI);
}

/* Look up BASE + kind + "/" + id in a finished graph. */
static pt_node_id find(const pt_graph *g, const char *kind, const char *id) {
    char buf[256];
    int n = snprintf(buf, sizeof buf, BASE "%s/%s", kind, id);
    return pt_graph_lookup(g, buf, (size_t)n, PT_TERM_IRI);
}

/* Add "user rated item at time" to `b`. */
static void rate(pt_builder *b, const char *u, const char *i, int64_t t) {
    pt_builder_add_edge(b, node(b, "user", u), iri(b, PT_RATED), node(b, "item", i), 4.0f, t);
}

/* --- metrics ------------------------------------------------------------------------------ */

/*
 * Three users over six items (4 and 5 are long-tail), cut-offs 1 and 3:
 *   A ranked [0 1 2], test {1}:       hit at rank 2
 *   B ranked [3 4 5], test {3, 5}:    hits at ranks 1 and 3
 *   C ranked [0 1] (short), test {2 3 4 5}: no hit
 * At K = 3: Hit 2/3; NDCG (1/log2 3 + (1 + 1/2) / (1 + 1/log2 3)) / 3; Recall (1 + 1 + 0) / 3;
 * MRR (1/2 + 1) / 3; Precision (1/3 + 2/3 + 0) / 3; all six items covered; item counts
 * {2 2 1 1 1 1} give Gini ((-5 -3 -1 +1) * 1 + (3 + 5) * 2) / (6 * 8) = 1/6; tail (2/3) / 3.
 * At K = 1: only B hits (NDCG 1, Recall 1/2, MRR 1, Precision 1); items 0 and 3 covered;
 * counts {0 0 0 0 1 2}: Gini (3 + 10) / (6 * 3).
 */
static void test_metrics_match_hand_computed_ranking(void **state) {
    pt_metric_acc *a;
    uint32_t ks[2] = {1, 3};
    uint8_t tail[6] = {0, 0, 0, 0, 1, 1};
    assert_int_equal(pt_metric_acc_new(*state, 6, ks, 2, tail, &a), PT_OK);
    uint32_t ra[] = {0, 1, 2}, ta[] = {1};
    uint32_t rb[] = {3, 4, 5}, tb[] = {5, 3};
    uint32_t rc_[] = {0, 1}, tc[] = {2, 3, 4, 5};
    assert_int_equal(pt_metric_acc_add(a, ra, 3, ta, 1), PT_OK);
    assert_int_equal(pt_metric_acc_add(a, rb, 3, tb, 2), PT_OK);
    assert_int_equal(pt_metric_acc_add(a, rc_, 2, tc, 4), PT_OK);
    pt_metrics m[2];
    pt_metric_acc_result(a, m);
    double l3 = 1.0 / log2(3.0);

    assert_int_equal(m[1].k, 3);
    near(m[1].hit, 2.0 / 3.0);
    near(m[1].ndcg, (l3 + 1.5 / (1.0 + l3)) / 3.0);
    near(m[1].recall, 2.0 / 3.0);
    near(m[1].mrr, 0.5);
    near(m[1].precision, 1.0 / 3.0);
    near(m[1].item_coverage, 1.0);
    near(m[1].gini, 1.0 / 6.0);
    near(m[1].tail_percentage, 2.0 / 9.0);

    assert_int_equal(m[0].k, 1);
    near(m[0].hit, 1.0 / 3.0);
    near(m[0].ndcg, 1.0 / 3.0);
    near(m[0].recall, 1.0 / 6.0);
    near(m[0].mrr, 1.0 / 3.0);
    near(m[0].precision, 1.0 / 3.0);
    near(m[0].item_coverage, 2.0 / 6.0);
    near(m[0].gini, 13.0 / 18.0);
    near(m[0].tail_percentage, 0.0);
    pt_metric_acc_free(a);
}

/* NDCG's ideal DCG runs over min(#test, K): two test items both ranked first at K = 1 give 1. */
static void test_ndcg_ideal_is_over_min_of_test_and_k(void **state) {
    pt_metric_acc *a;
    uint32_t ks[2] = {1, 2};
    assert_int_equal(pt_metric_acc_new(*state, 4, ks, 2, NULL, &a), PT_OK);
    uint32_t r[] = {2, 0}, t[] = {0, 2, 3};
    assert_int_equal(pt_metric_acc_add(a, r, 2, t, 3), PT_OK);
    pt_metrics m[2];
    pt_metric_acc_result(a, m);
    near(m[0].ndcg, 1.0);
    near(m[1].ndcg, 1.0);         /* both places hit; ideal over min(3, 2) = 2 places */
    near(m[1].recall, 2.0 / 3.0); /* hits / #test */
    pt_metric_acc_free(a);
}

/* Tail items as RecBole picks them: the floor(n * ratio) least popular (ties by index), or
 * with ratio > 1 the items with at most that many training interactions. */
static void test_tail_items_follow_recbole(void **state) {
    uint64_t count[6] = {5, 0, 3, 3, 1, 9};
    uint8_t t[6];
    assert_int_equal(pt_eval_tail_items(*state, count, 6, 0.5, t), PT_OK);
    uint8_t want_half[6] = {0, 1, 1, 0, 1, 0};
    assert_memory_equal(t, want_half, 6);
    assert_int_equal(pt_eval_tail_items(*state, count, 6, 0.8, t), PT_OK); /* floor 4.8 = 4 */
    uint8_t want_80[6] = {0, 1, 1, 1, 1, 0};
    assert_memory_equal(t, want_80, 6);
    assert_int_equal(pt_eval_tail_items(*state, count, 6, 2.0, t), PT_OK);
    uint8_t want_le2[6] = {0, 1, 0, 0, 1, 0};
    assert_memory_equal(t, want_le2, 6);
    assert_int_equal(pt_eval_tail_items(*state, count, 6, 0.01, t), PT_OK); /* at least one */
    uint8_t want_one[6] = {0, 1, 0, 0, 0, 0};
    assert_memory_equal(t, want_one, 6);
    assert_int_equal(pt_eval_tail_items(*state, count, 6, 0.0, t), PT_EINVAL);
}

/* --- splits --------------------------------------------------------------------------------- */

/*
 * u1: six items at times 10..60 (i6 latest), and a purchase of i1 at time 70 on top of its
 *     rating, so i1 becomes the latest interaction (pairs count once, at their latest time);
 * u2: three items (fewer than 5: stays whole in training);
 * u3: five items, i3 and i4 both at the latest time 50 (a tie);
 * plus a tag edge on i1, which the training graph must keep.
 */
static pt_graph *toy_graph(pt_ctx *ctx) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_builder_set_base(b, BASE);
    for (int i = 1; i <= 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "i%d", i);
        rate(b, "u1", id, 10 * i);
    }
    pt_builder_add_edge(b, node(b, "user", "u1"), iri(b, PT_PURCHASED), node(b, "item", "i1"),
                        1.0f, 70);
    rate(b, "u2", "i1", 5);
    rate(b, "u2", "i2", 6);
    rate(b, "u2", "i3", 7);
    rate(b, "u3", "i1", 10);
    rate(b, "u3", "i2", 20);
    rate(b, "u3", "i5", 30);
    rate(b, "u3", "i3", 50);
    rate(b, "u3", "i4", 50);
    pt_builder_add_edge(b, node(b, "item", "i1"), iri(b, PT_HAS_TAG), node(b, "tag", "red"), 1.0f,
                        PT_TIME_UNKNOWN);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    return g;
}

static void test_leave_last_out_takes_latest_and_spares_small_users(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = toy_graph(ctx);
    pt_split_opts o;
    pt_split_opts_default(&o);
    pt_split *s;
    assert_int_equal(pt_split_new(ctx, g, &o, &s), PT_OK);
    assert_int_equal(pt_split_count(s, -1), 6 + 3 + 5);
    assert_int_equal(pt_split_count(s, PT_PART_TEST), 2);
    assert_int_equal(pt_split_user_count(s), 3);
    assert_int_equal(pt_split_test_user_count(s), 2);
    pt_node_id u1 = find(g, "user", "u1"), u2 = find(g, "user", "u2"), u3 = find(g, "user", "u3");
    /* u1: i1 was purchased at 70, after the rating of i6 at 60. */
    assert_int_equal(pt_split_part_of(s, u1, find(g, "item", "i1")), PT_PART_TEST);
    assert_int_equal(pt_split_part_of(s, u1, find(g, "item", "i6")), PT_PART_TRAIN);
    for (int i = 1; i <= 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "i%d", i);
        assert_int_equal(pt_split_part_of(s, u2, find(g, "item", id)), PT_PART_TRAIN);
    }
    assert_int_equal(pt_split_part_of(s, u2, find(g, "item", "i6")), -1);
    /* u3: the tie between i3 and i4 goes to the one with the smaller tie hash. */
    pt_node_id i3 = find(g, "item", "i3"), i4 = find(g, "item", "i4");
    pt_node_id want = pt__eval_tie_hash(g, u3, i3) < pt__eval_tie_hash(g, u3, i4) ? i3 : i4;
    pt_node_id other = want == i3 ? i4 : i3;
    assert_int_equal(pt_split_part_of(s, u3, want), PT_PART_TEST);
    assert_int_equal(pt_split_part_of(s, u3, other), PT_PART_TRAIN);
    assert_int_equal(pt_split_part_of(s, u3, find(g, "item", "i5")), PT_PART_TRAIN);

    /* A higher threshold keeps everyone whole. */
    pt_split *s6;
    o.min_interactions = 7;
    assert_int_equal(pt_split_new(ctx, g, &o, &s6), PT_OK);
    assert_int_equal(pt_split_count(s6, PT_PART_TEST), 0);
    pt_split_free(s6);
    pt_split_free(s);
    pt_graph_free(g);
}

static void test_train_graph_drops_only_test_behaviour(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = toy_graph(ctx);
    pt_split_opts o;
    pt_split_opts_default(&o);
    pt_split *s;
    pt_graph *t;
    assert_int_equal(pt_split_new(ctx, g, &o, &s), PT_OK);
    assert_int_equal(pt_split_train_graph(ctx, g, s, &t), PT_OK);
    assert_int_equal(pt__graph_check(t), PT_OK);
    assert_int_equal(pt_graph_node_count(t), pt_graph_node_count(g));
    for (uint32_t v = 0; v < pt_graph_node_count(g); v++) {
        assert_string_equal(pt_graph_node_str(t, v), pt_graph_node_str(g, v));
    }
    pt_node_id u1 = find(g, "user", "u1"), i1 = find(g, "item", "i1"), i6 = find(g, "item", "i6");
    pt_node_id rated = pt_graph_lookup(g, PT_RATED, strlen(PT_RATED), PT_TERM_IRI);
    pt_node_id bought = pt_graph_lookup(g, PT_PURCHASED, strlen(PT_PURCHASED), PT_TERM_IRI);
    pt_node_id tag = pt_graph_lookup(g, PT_HAS_TAG, strlen(PT_HAS_TAG), PT_TERM_IRI);
    pt_edge e;
    /* (u1, i1) is a test pair: both of its behaviour edges go. */
    assert_false(pt_graph_edge_find(t, u1, rated, i1, &e));
    assert_false(pt_graph_edge_find(t, u1, bought, i1, &e));
    assert_true(pt_graph_edge_find(t, u1, rated, i6, &e));
    assert_int_equal(e.time, 60);
    assert_true(pt_graph_edge_find(t, i1, tag, find(g, "tag", "red"), &e));
    assert_int_equal(pt_graph_edge_count(t), pt_graph_edge_count(g) - 3);
    assert_string_equal(pt_graph_base(t), BASE);
    pt_graph_free(t);
    pt_split_free(s);
    pt_graph_free(g);
}

/* An event node (pt:user, pt:item, pt:action) of a held-out pair must not bring the behaviour
 * edge back when the training graph is built. */
static void test_train_graph_drops_held_out_event_nodes(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b;
    pt_graph *g, *t;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    for (int i = 1; i <= 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "i%d", i);
        rate(b, "u", id, i);
    }
    pt_node_id ev = pt_builder_intern(b, "ev5", 3, PT_TERM_BLANK);
    pt_builder_add_edge(b, ev, iri(b, PT_EV_USER), node(b, "user", "u"), 1, 5);
    pt_builder_add_edge(b, ev, iri(b, PT_EV_ITEM), node(b, "item", "i5"), 1, 5);
    pt_builder_add_edge(b, ev, iri(b, PT_EV_ACTION), iri(b, PT_RATED), 1, 5);
    pt_builder_add_literal(b, ev, iri(b, PT_EV_TEXT), "great", 5, PT_NONE, NULL, 0);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_split_opts o;
    pt_split_opts_default(&o);
    pt_split *s;
    assert_int_equal(pt_split_new(ctx, g, &o, &s), PT_OK);
    pt_node_id u = find(g, "user", "u"), i5 = find(g, "item", "i5");
    assert_int_equal(pt_split_part_of(s, u, i5), PT_PART_TEST);
    assert_int_equal(pt_split_train_graph(ctx, g, s, &t), PT_OK);
    pt_node_id rated = pt_graph_lookup(g, PT_RATED, strlen(PT_RATED), PT_TERM_IRI);
    pt_edge e;
    assert_false(pt_graph_edge_find(t, u, rated, i5, &e));
    assert_true(pt_graph_edge_find(t, u, rated, find(g, "item", "i4"), &e));
    pt_node_id tev = pt_graph_lookup(t, "ev5", 3, PT_TERM_BLANK);
    assert_int_equal(pt_graph_out_degree(t, tev), 0);
    assert_int_equal(pt_graph_literal_count_of(t, tev), 0);
    pt_graph_free(t);
    pt_split_free(s);
    pt_graph_free(g);
}

/* Users u0..u9 with 4, 5, 7, 8, 12, 13, 20, 22, 37, 3 items. */
static pt_graph *many_users(pt_ctx *ctx) {
    static const int sizes[10] = {4, 5, 7, 8, 12, 13, 20, 22, 37, 3};
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    for (int u = 0; u < 10; u++) {
        for (int i = 0; i < sizes[u]; i++) {
            char uid[16], iid[16];
            snprintf(uid, sizeof uid, "u%d", u);
            snprintf(iid, sizeof iid, "i%d", (i * 7 + u) % 40);
            rate(b, uid, iid, 1000 + i);
        }
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    return g;
}

/* Test rows of user `u` in split `s` of graph `g`. */
static int test_rows_of(const pt_graph *g, const pt_split *s, int u) {
    char uid[16];
    snprintf(uid, sizeof uid, "u%d", u);
    pt_node_id un = find(g, "user", uid);
    int n = 0;
    for (uint64_t k = 0; k < pt_split_count(s, -1); k++) {
        pt_interaction x;
        assert_int_equal(pt_split_get(s, k, &x), PT_OK);
        n += x.user == un && x.part == PT_PART_TEST;
    }
    return n;
}

static void test_random_split_is_deterministic_with_rounded_sizes(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = many_users(ctx);
    pt_split_opts o;
    pt_split_opts_default(&o);
    assert_int_equal(pt_split_opts_parse(ctx, "random:0.2", &o), PT_OK);
    o.seed = 7;
    pt_split *a, *b, *c;
    assert_int_equal(pt_split_new(ctx, g, &o, &a), PT_OK);
    assert_int_equal(pt_split_new(ctx, g, &o, &b), PT_OK);
    o.seed = 8;
    assert_int_equal(pt_split_new(ctx, g, &o, &c), PT_OK);
    /* round(0.2 n): 4 -> whole (< 5), 5 -> 1, 7 -> 1, 8 -> 2, 12 -> 2, 13 -> 3, 20 -> 4,
     * 22 -> 4, 37 -> 7, 3 -> whole. */
    static const int want[10] = {0, 1, 1, 2, 2, 3, 4, 4, 7, 0};
    for (int u = 0; u < 10; u++) {
        assert_int_equal(test_rows_of(g, a, u), want[u]);
        assert_int_equal(test_rows_of(g, c, u), want[u]);
    }
    assert_int_equal(pt_split_count(a, PT_PART_TEST), 24);
    int differ = 0;
    for (uint64_t k = 0; k < pt_split_count(a, -1); k++) {
        pt_interaction x, y, z;
        pt_split_get(a, k, &x);
        pt_split_get(b, k, &y);
        pt_split_get(c, k, &z);
        assert_int_equal(x.user, y.user);
        assert_int_equal(x.item, y.item);
        assert_int_equal(x.part, y.part); /* same seed, same draw */
        differ += x.part != z.part;
    }
    assert_true(differ > 0); /* another seed, another draw */
    pt_split_free(a);
    pt_split_free(b);
    pt_split_free(c);
    pt_graph_free(g);
}

/* Round half to even, as Python and numpy do: 0.1 * 5 = 0.5 -> 0, 0.1 * 15 = 1.5 -> 2. */
static void test_random_split_rounds_half_to_even(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    for (int i = 0; i < 15; i++) {
        char iid[16];
        snprintf(iid, sizeof iid, "i%d", i);
        rate(b, "big", iid, i);
        if (i < 5) {
            rate(b, "small", iid, i);
        }
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_split_opts o;
    pt_split_opts_default(&o);
    assert_int_equal(pt_split_opts_parse(ctx, "random:0.1", &o), PT_OK);
    pt_split *s;
    assert_int_equal(pt_split_new(ctx, g, &o, &s), PT_OK);
    assert_int_equal(pt_split_count(s, PT_PART_TEST), 2); /* 0 for small, 2 for big */
    assert_int_equal(pt_split_test_user_count(s), 1);
    pt_split_free(s);
    pt_graph_free(g);
}

static void test_validation_carve_never_sees_test(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = many_users(ctx);
    pt_split_opts o, v;
    pt_split_opts_default(&o);
    pt_split_opts_default(&v);
    pt_split *s, *c;
    assert_int_equal(pt_split_new(ctx, g, &o, &s), PT_OK);
    assert_int_equal(pt_split_carve(ctx, g, s, &v, &c), PT_OK);
    assert_int_equal(pt_split_count(c, -1), pt_split_count(s, PT_PART_TRAIN));
    for (uint64_t k = 0; k < pt_split_count(s, -1); k++) {
        pt_interaction x;
        pt_split_get(s, k, &x);
        int p = pt_split_part_of(c, x.user, x.item);
        if (x.part == PT_PART_TEST) {
            assert_int_equal(p, -1);
        } else {
            assert_true(p == PT_PART_TRAIN || p == PT_PART_TEST);
        }
    }
    /* Users with >= 5 training interactions lose one more. */
    assert_int_equal(pt_split_count(c, PT_PART_TEST), 7);
    pt_split_free(c);
    pt_split_free(s);
    pt_graph_free(g);
}

/* Tuning callback: keep the NDCG at the first cut-off of the last point. */
static void keep_ndcg(void *ud, const char *point, const pt_eval_result *r) {
    (void)point;
    *(double *)ud = r->m[0].ndcg;
}

/* Validation folds: with leave-last-out, fold 1 is the carve of the carve's training part, so
 * the 2-fold mean equals the mean of tuning on s (fold 0) and on carve(s) (whose validation
 * carve is fold 1); bad fold counts are rejected. */
static void test_validation_folds_average_the_folds(void **state) {
    pt_ctx *ctx = *state;
    if (!pt_eval_have_walk()) {
        skip();
    }
    pt_graph *g = many_users(ctx);
    pt_split_opts o;
    pt_split_opts_default(&o);
    pt_split *s, *c;
    assert_int_equal(pt_split_new(ctx, g, &o, &s), PT_OK);
    assert_int_equal(pt_split_carve(ctx, g, s, &o, &c), PT_OK);
    pt_eval_opts eo;
    pt_eval_opts_default(&eo);
    eo.method = PT_REC_RP3B;
    eo.threads = 1;
    eo.ks[0] = 10;
    eo.n_ks = 1;
    pt_walk_params p;
    double f0 = -1, f1 = -1, both = -1, best = -1;
    char point[128];
    pt_eval_params_default(&p);
    assert_int_equal(pt_eval_tune(ctx, g, s, &o, "beta=0.3", &eo, &p, point, sizeof point,
                                  keep_ndcg, &f0),
                     PT_OK);
    pt_eval_params_default(&p);
    assert_int_equal(pt_eval_tune(ctx, g, c, &o, "beta=0.3", &eo, &p, point, sizeof point,
                                  keep_ndcg, &f1),
                     PT_OK);
    pt_eval_params_default(&p);
    assert_int_equal(pt_eval_tune_folds(ctx, g, s, &o, 2, "beta=0.3", &eo, &p, point,
                                        sizeof point, &best, keep_ndcg, &both),
                     PT_OK);
    assert_true(f0 >= 0.0 && f1 >= 0.0);
    near(both, 0.5 * (f0 + f1));
    near(best, both);
    assert_string_equal(point, "beta=0.3");
    assert_int_equal(pt_eval_tune_folds(ctx, g, s, &o, 0, "beta=0.3", &eo, &p, NULL, 0, NULL,
                                        NULL, NULL),
                     PT_EINVAL);
    assert_int_equal(pt_eval_tune_folds(ctx, g, s, &o, PT_EVAL_MAX_FOLDS + 1, "beta=0.3", &eo,
                                        &p, NULL, 0, NULL, NULL, NULL),
                     PT_EINVAL);
    pt_split_free(c);
    pt_split_free(s);
    pt_graph_free(g);
}

/* --- split files ---------------------------------------------------------------------------- */

/* Write `text` to a fresh temporary file; returns its path (static buffer per slot). */
static const char *temp_file(int slot, const char *text) {
    static char paths[4][64];
    snprintf(paths[slot], sizeof paths[slot], "/tmp/pt_test_eval_%d_%d.csv", (int)getpid(),
             slot);
    FILE *f = fopen(paths[slot], "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return paths[slot];
}

static void test_split_files_count_unknown_ids_and_keep_going(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = toy_graph(ctx);
    const char *tr = temp_file(0, "user,item,timestamp\n"
                                  "u1,i2,20\nu1,i3,30\nu1,i4,40\nu1,i5,50\n"
                                  "nobody,i1,10\n"   /* unknown user */
                                  "u1,nothing,10\n"  /* unknown item */
                                  "u1\n"             /* malformed */
                                  "u1,i2,21\n"       /* duplicate: the later row stays */
                                  "u2,i1,5\r\n");
    const char *te = temp_file(1, "timestamp,item,user\n60,i6,u1\n50,i4,u3\n");
    pt_split_file_stats st;
    pt_split *s;
    assert_int_equal(pt_split_from_files(ctx, g, tr, te, &st, &s), PT_OK);
    assert_int_equal(st.rows, 11);
    assert_int_equal(st.unknown_users, 1);
    assert_int_equal(st.unknown_items, 1);
    assert_int_equal(st.malformed, 1);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.rows_used, 8);
    assert_int_equal(st.not_in_graph, 0);
    assert_non_null(strstr(st.first_problem, "unknown user 'nobody'"));
    assert_int_equal(pt_split_count(s, PT_PART_TRAIN), 5);
    assert_int_equal(pt_split_count(s, PT_PART_TEST), 2);
    assert_int_equal(pt_split_options(s)->kind, PT_SPLIT_FILES);
    pt_node_id u1 = find(g, "user", "u1");
    assert_int_equal(pt_split_part_of(s, u1, find(g, "item", "i6")), PT_PART_TEST);
    assert_int_equal(pt_split_part_of(s, u1, find(g, "item", "i1")), -1);
    pt_interaction x;
    for (uint64_t k = 0; k < pt_split_count(s, -1); k++) {
        pt_split_get(s, k, &x);
        if (x.user == u1 && x.item == find(g, "item", "i2")) {
            assert_int_equal(x.time, 21);
        }
    }

    /* MostPopular over the file split: u1 and u3 are scored. */
    pt_eval_opts eo;
    pt_eval_opts_default(&eo);
    pt_eval_result r;
    assert_int_equal(pt_eval_run(ctx, g, s, NULL, &eo, &r), PT_OK);
    assert_int_equal(r.n_users, 2);
    assert_int_equal(r.n_items, 6);
    pt_split_free(s);

    /* No usable row at all, a header without the columns, a missing file. */
    const char *bad = temp_file(2, "user,item\nghost,i1\n");
    assert_int_equal(pt_split_from_files(ctx, g, bad, bad, &st, &s), PT_EINVAL);
    assert_null(s);
    assert_int_equal(st.unknown_users, 2);
    const char *nohdr = temp_file(3, "a,b,c\nu1,i1,3\n");
    assert_int_equal(pt_split_from_files(ctx, g, nohdr, te, &st, &s), PT_EPARSE);
    assert_int_equal(pt_split_from_files(ctx, g, "/nonexistent/x.csv", te, &st, &s), PT_EIO);
    for (int i = 0; i < 4; i++) {
        char p[64];
        snprintf(p, sizeof p, "/tmp/pt_test_eval_%d_%d.csv", (int)getpid(), i);
        unlink(p);
    }
    pt_graph_free(g);
}

/* --- bad input ------------------------------------------------------------------------------ */

static void test_bad_input_is_rejected(void **state) {
    pt_ctx *ctx = *state;
    pt_eval_opts o;
    pt_eval_opts_default(&o);
    assert_int_equal(pt_eval_parse_ks(ctx, "0", &o), PT_EINVAL);
    assert_int_equal(pt_eval_parse_ks(ctx, "-5", &o), PT_EINVAL);
    assert_int_equal(pt_eval_parse_ks(ctx, "10,,20", &o), PT_EINVAL);
    assert_int_equal(pt_eval_parse_ks(ctx, "10,", &o), PT_EINVAL);
    assert_int_equal(pt_eval_parse_ks(ctx, "ten", &o), PT_EINVAL);
    assert_int_equal(pt_eval_parse_ks(ctx, "1,2,3,4,5,6,7,8,9", &o), PT_EINVAL);
    assert_int_equal(pt_eval_parse_ks(ctx, "5,50", &o), PT_OK);
    assert_int_equal(o.n_ks, 2);
    assert_int_equal(o.ks[1], 50);

    pt_metric_acc *a;
    uint32_t k0[1] = {0};
    assert_int_equal(pt_metric_acc_new(ctx, 5, k0, 1, NULL, &a), PT_EINVAL);
    assert_null(a);
    assert_int_equal(pt_metric_acc_new(ctx, 5, k0, 0, NULL, &a), PT_EINVAL);
    uint32_t k3[1] = {3};
    assert_int_equal(pt_metric_acc_new(ctx, 5, k3, 1, NULL, &a), PT_OK);
    uint32_t r[] = {9}, t[] = {1};
    assert_int_equal(pt_metric_acc_add(a, r, 1, t, 1), PT_EINVAL); /* index out of range */
    assert_int_equal(pt_metric_acc_add(a, t, 1, t, 0), PT_EINVAL); /* no test item */
    pt_metric_acc_free(a);

    pt_split_opts so;
    pt_split_opts_default(&so);
    assert_int_equal(pt_split_opts_parse(ctx, "temporal", &so), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "unknown split 'temporal'"));
    assert_int_equal(pt_split_opts_parse(ctx, "random:1.5", &so), PT_EINVAL);
    assert_int_equal(pt_split_opts_parse(ctx, "random:x", &so), PT_EINVAL);
    assert_int_equal(pt_split_opts_parse(ctx, "", &so), PT_EINVAL);
    assert_int_equal(pt_split_opts_parse(ctx, "random", &so), PT_OK);
    assert_int_equal(so.kind, PT_SPLIT_RANDOM);
    assert_int_equal(pt_split_opts_parse(ctx, "leave-last-out", &so), PT_OK);
    assert_int_equal(so.kind, PT_SPLIT_LEAVE_LAST);

    /* K = 0 in a run, and a graph without behaviour. */
    pt_graph *g = toy_graph(ctx);
    pt_split *s;
    assert_int_equal(pt_split_new(ctx, g, &so, &s), PT_OK);
    pt_eval_result res;
    o.ks[0] = 0;
    assert_int_equal(pt_eval_run(ctx, g, s, NULL, &o, &res), PT_EINVAL);
    pt_eval_opts_default(&o);
    o.method = 42;
    assert_int_equal(pt_eval_run(ctx, g, s, NULL, &o, &res), PT_EINVAL);
    pt_split_free(s);
    pt_graph_free(g);
    pt_builder *b;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_builder_add_edge(b, iri(b, "http://x/a"), iri(b, PT_HAS_TAG), iri(b, "http://x/t"), 1,
                        PT_TIME_UNKNOWN);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    assert_int_equal(pt_split_new(ctx, g, &so, &s), PT_EINVAL);
    assert_null(s);
    pt_graph_free(g);

    assert_int_equal(pt_eval_method_parse("rp3b"), PT_REC_RP3B);
    assert_int_equal(pt_eval_method_parse("mostpop"), PT_EVAL_MOSTPOP);
    assert_int_equal(pt_eval_method_parse("bogus"), -2);
}

/* --- runs ----------------------------------------------------------------------------------- */

/* The id order that breaks popularity ties: numeric for numbers, bytes otherwise. */
static void test_id_order_is_numeric_for_numbers(void **state) {
    (void)state;
    assert_true(pt__eval_idcmp("9", "10") < 0);
    assert_true(pt__eval_idcmp("10", "9") > 0);
    assert_true(pt__eval_idcmp("007", "7") != 0);
    assert_true(pt__eval_idcmp("B00A", "B00B") < 0);
    assert_true(pt__eval_idcmp("0123", "B0") < 0);
    assert_int_equal(pt__eval_idcmp("42", "42"), 0);
}

/* MostPopular on the toy leave-last-out split, checked by hand. u1 (test i1; trained on i2..i6)
 * has one candidate, i1: a hit at rank 1. u3 trains on i1, i2, i5 and one of i3 / i4; its
 * candidates are i6 (1 training user) and the held-out one: i3 has 2 training users (u1, u2),
 * and i4 has 1 (u1) but wins the tie with i6 by id order. Either way a hit at rank 1. */
static void test_mostpop_run_on_toy(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = toy_graph(ctx);
    pt_split_opts o;
    pt_split_opts_default(&o);
    pt_split *s;
    assert_int_equal(pt_split_new(ctx, g, &o, &s), PT_OK);
    pt_eval_opts eo;
    pt_eval_opts_default(&eo);
    eo.ks[0] = 1;
    eo.ks[1] = 5;
    pt_eval_result r;
    assert_int_equal(pt_eval_run(ctx, g, s, NULL, &eo, &r), PT_OK);
    assert_int_equal(r.n_users, 2);
    assert_int_equal(r.n_items, 6);
    assert_int_equal(r.n_train, 12);
    assert_int_equal(r.n_test, 2);
    near(r.m[0].hit, 1.0);
    near(r.m[0].ndcg, 1.0);
    near(r.m[1].mrr, 1.0);
    near(r.m[1].precision, 1.0 / 5.0); /* one hit in five places */
    near(r.m[1].item_coverage, 3.0 / 6.0); /* i1, i6 and the held-out one of i3 / i4 */
    assert_int_equal(r.n_short, 2); /* only 1 and 2 candidates left, K = 5 */
    pt_split_free(s);
    pt_graph_free(g);
}

/* Every allocation failure of a split, a training graph and a run is reported as PT_ENOMEM and
 * leaks nothing. */
static void test_out_of_memory_fails_cleanly(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = toy_graph(ctx);
    uint64_t n;
    for (n = 1;; n++) {
        pt_split_opts o;
        pt_split_opts_default(&o);
        pt_split *s = NULL;
        pt_graph *t = NULL;
        pt_eval_opts eo;
        pt_eval_opts_default(&eo);
        pt_eval_result r;
        pt__ctx_fail_after(ctx, n);
        int rc = pt_split_new(ctx, g, &o, &s);
        if (rc == PT_OK) {
            rc = pt_split_train_graph(ctx, g, s, &t);
        }
        if (rc == PT_OK) {
            rc = pt_eval_run(ctx, g, s, NULL, &eo, &r);
        }
        pt__ctx_fail_after(ctx, 0);
        pt_graph_free(t);
        pt_split_free(s);
        if (rc == PT_OK) {
            break;
        }
        assert_int_equal(rc, PT_ENOMEM);
        assert_true(n < 100000);
    }
    assert_true(n > 10);
    pt_graph_free(g);
}

/* --- the reference row ---------------------------------------------------------------------- */

/* MostPopular on the reference split files of MovieLens-100k must give REFERENCE.md's row
 * (protocols A and B) to four decimals. Skipped without ../shared/data. */
static void test_mostpop_reproduces_reference_on_ml100k(void **state) {
    pt_ctx *ctx = *state;
    const char *data = PT_SHARED_DATA "/ml-100k/u.data";
    if (access(data, R_OK) != 0) {
        skip();
    }
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_event_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.map = "user=1,item=2,value=3,time=4";
    eo.action = "rated";
    eo.base = "https://movielens.org/";
    pt_import_stats ist;
    memset(&ist, 0, sizeof ist);
    assert_int_equal(pt_import_events(b, data, &eo, &ist), PT_OK);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    static const struct {
        const char *proto;
        double hr10, ndcg10, recall20, ndcg20, cov10;
    } ref[2] = {{"A", 0.0859, 0.0449, 0.1262, 0.0550, 0.0541},
                {"B", 0.7741, 0.2215, 0.1698, 0.2145, 0.0303}};
    for (int p = 0; p < 2; p++) {
        char tr[512], te[512];
        snprintf(tr, sizeof tr, PT_SHARED_DATA "/splits/ml-100k/%s_train.csv", ref[p].proto);
        snprintf(te, sizeof te, PT_SHARED_DATA "/splits/ml-100k/%s_test.csv", ref[p].proto);
        pt_split *s;
        pt_split_file_stats st;
        assert_int_equal(pt_split_from_files(ctx, g, tr, te, &st, &s), PT_OK);
        assert_int_equal(st.unknown_users + st.unknown_items + st.malformed, 0);
        pt_eval_opts o;
        pt_eval_opts_default(&o);
        pt_eval_result r;
        assert_int_equal(pt_eval_run(ctx, g, s, NULL, &o, &r), PT_OK);
        assert_int_equal(r.n_users, 943);
        assert_int_equal(r.n_items, 1682);
        assert_true(fabs(r.m[0].hit - ref[p].hr10) < 5e-5);
        assert_true(fabs(r.m[0].ndcg - ref[p].ndcg10) < 5e-5);
        assert_true(fabs(r.m[1].recall - ref[p].recall20) < 5e-5);
        assert_true(fabs(r.m[1].ndcg - ref[p].ndcg20) < 5e-5);
        assert_true(fabs(r.m[0].item_coverage - ref[p].cov10) < 5e-5);
        pt_split_free(s);
    }
    pt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metrics_match_hand_computed_ranking, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_ndcg_ideal_is_over_min_of_test_and_k, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_tail_items_follow_recbole, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_leave_last_out_takes_latest_and_spares_small_users,
                                        ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_train_graph_drops_only_test_behaviour, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_train_graph_drops_held_out_event_nodes, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_random_split_is_deterministic_with_rounded_sizes,
                                        ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_random_split_rounds_half_to_even, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_validation_carve_never_sees_test, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_validation_folds_average_the_folds, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_split_files_count_unknown_ids_and_keep_going, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_bad_input_is_rejected, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_id_order_is_numeric_for_numbers, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_mostpop_run_on_toy, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_out_of_memory_fails_cleanly, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_mostpop_reproduces_reference_on_ml100k, ctx_up,
                                        ctx_down),
    };
    return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
