/*
 * test_walk.c - tests of the walk engine (engine/walk/, pt_walk.h): walk statistics against
 * exact transition probabilities (chi-square), P3alpha / RP3beta against hand-computed values,
 * explanation paths checked edge by edge, bad input, determinism, the category filter and the
 * diversity cap, batches on threads against serial runs, and allocation failures.
 */
/* cmocka 1.1 needs the four headers before it, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_test.h"
/* clang-format on */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portrait/portrait.h"
#include "walk/walk.h"

/* --- fixtures ------------------------------------------------------------------------------ */

/* Intern "https://t.example/<kind>/<n>" in `b`. */
static pt_node_id node(pt_builder *b, const char *kind, int n) {
    char buf[96];
    int l = snprintf(buf, sizeof buf, "https://t.example/%s/%d", kind, n);
    return pt_builder_intern(b, buf, (size_t)l, PT_TERM_IRI);
}

/* Intern a vocabulary IRI. */
static pt_node_id iri(pt_builder *b, const char *s) {
    return pt_builder_intern(b, s, strlen(s), PT_TERM_IRI);
}

/* Look up "https://t.example/<kind>/<n>" in a finished graph. */
static pt_node_id find(const pt_graph *g, const char *kind, int n) {
    char buf[96];
    int l = snprintf(buf, sizeof buf, "https://t.example/%s/%d", kind, n);
    return pt_graph_lookup(g, buf, (size_t)l, PT_TERM_IRI);
}

/* The hand-computable graph: u1 rated {a=1, b=2}, u2 {a=1, c=3}, u3 {b=2, c=3, d=4}, every
 * rating 5 (with rating_center 0 the weights are the action weight alone). */
static pt_graph *tiny_graph(pt_ctx *ctx) {
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id rated = iri(b, PT_RATED);
    int rows[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 3}, {3, 2}, {3, 3}, {3, 4}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pt_builder_add_edge(b, node(b, "user", rows[i][0]), rated, node(b, "item", rows[i][1]),
                            5.0f, 1000 + (int64_t)i);
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    return g;
}

/* Deterministic generator for fixtures. */
static uint32_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* A small shop: 40 users, 80 items, 6 tags, categories 2 top > 3 leaves each, 4 brands;
 * every item has one leaf, one brand and 1-2 tags; users view, purchase and rate items of
 * their favourite leaf mostly. */
static pt_graph *shop_graph(pt_ctx *ctx) {
    pt_builder *b;
    pt_graph *g;
    uint64_t s = 7;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id type = iri(b, PT_RDF_TYPE), cls_user = iri(b, PT_USER), cls_item = iri(b, PT_ITEM);
    pt_node_id viewed = iri(b, PT_VIEWED), bought = iri(b, PT_PURCHASED), rated = iri(b, PT_RATED);
    pt_node_id has_tag = iri(b, PT_HAS_TAG), in_cat = iri(b, PT_IN_CATEGORY);
    pt_node_id brand = iri(b, PT_BRAND_P), broader = iri(b, PT_SKOS_BROADER);
    pt_node_id cls_cat = iri(b, PT_CATEGORY);
    for (int c = 1; c <= 8; c++) {
        pt_builder_add_edge(b, node(b, "cat", c), type, cls_cat, 1.0f, PT_TIME_UNKNOWN);
    }
    for (int c = 3; c <= 8; c++) { /* leaves 3..5 under 1, 6..8 under 2 */
        pt_builder_add_edge(b, node(b, "cat", c), broader, node(b, "cat", c <= 5 ? 1 : 2), 1.0f,
                            PT_TIME_UNKNOWN);
    }
    for (int i = 1; i <= 80; i++) {
        pt_node_id it = node(b, "item", i);
        pt_builder_add_edge(b, it, type, cls_item, 1.0f, PT_TIME_UNKNOWN);
        pt_builder_add_edge(b, it, in_cat, node(b, "cat", 3 + (i % 6)), 1.0f, PT_TIME_UNKNOWN);
        pt_builder_add_edge(b, it, brand, node(b, "brand", 1 + (i % 4)), 1.0f, PT_TIME_UNKNOWN);
        pt_builder_add_edge(b, it, has_tag, node(b, "tag", 1 + (i % 6)), 1.0f, PT_TIME_UNKNOWN);
        if (i % 3 == 0) {
            pt_builder_add_edge(b, it, has_tag, node(b, "tag", 1 + ((i / 3) % 6)), 1.0f,
                                PT_TIME_UNKNOWN);
        }
    }
    for (int u = 1; u <= 40; u++) {
        pt_node_id un = node(b, "user", u);
        pt_builder_add_edge(b, un, type, cls_user, 1.0f, PT_TIME_UNKNOWN);
        int fav = u % 6, n_ev = 2 + (int)(lcg(&s) % 12);
        for (int e = 0; e < n_ev; e++) {
            int i =
                (lcg(&s) % 4 != 0) ? 1 + fav + 6 * (int)(lcg(&s) % 13) : 1 + (int)(lcg(&s) % 80);
            if (i > 80) {
                i = 80;
            }
            int64_t t = 1700000000 + (int64_t)u * 1000 + e * 60;
            uint32_t a = lcg(&s) % 10;
            pt_node_id p = a < 6 ? viewed : a < 8 ? bought : rated;
            pt_builder_add_edge(b, un, p, node(b, "item", i),
                                p == rated ? 1.0f + lcg(&s) % 5 : 1.0f, t);
        }
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    return g;
}

/* --- walk statistics ----------------------------------------------------------------------- */

/* A walk from one query item with restart 1 is a sequence of independent item -> user ->
 * item hops: the visit counts must follow the exact two-step probabilities. Chi-square test
 * with a fixed seed at the 0.1% level. */
static void walk_visits_match(pt_ctx *ctx, int meta) {
    pt_graph *g = shop_graph(ctx);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_PIXIE;
    p.restart = 1.0;
    p.multi_hit = 0;
    p.n_p = 0;
    p.alpha = 1.0;
    if (!meta) {
        p.w_tag = p.w_category = p.w_brand = 0.0;
    }
    pt_recommender *r;
    pt_rec_scratch *s, *se;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
    assert_int_equal(r->has_meta, meta); /* meta 0: the co-behaviour walker (walk_cb) */
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &se), PT_OK);
    uint32_t q = r->loc[find(g, "item", 7)];
    s->qi[0] = se->qi[0] = q;
    s->qw[0] = se->qw[0] = 1.0;
    s->n_q = se->n_q = 1;
    uint64_t steps = 400000;
    assert_int_equal(pt__walk_sample(s, steps, 99, 0), PT_OK);
    assert_int_equal(pt__walk_exact_mid(se, 0, p.category_up, 0), PT_OK);
    pt__walk_exact_items(se);
    double n_vis = 0.0, chi2 = 0.0, tot_p = 0.0;
    int df = -1;
    for (uint32_t i = 0; i < r->n_items; i++) {
        n_vis += s->count[i];
        tot_p += se->score[i];
    }
    assert_true(fabs(tot_p - 1.0) < 1e-5);
    for (uint32_t i = 0; i < r->n_items; i++) {
        double e = se->score[i] * n_vis;
        if (se->score[i] > 0.0) {
            chi2 += (s->count[i] - e) * (s->count[i] - e) / e;
            df++;
        } else {
            assert_int_equal(s->count[i], 0); /* never visits an impossible item */
        }
    }
    /* Critical value of chi-square at p = 0.001: df + 3.1 sqrt(2 df) + 5 is above it for
     * the df of interest (Wilson-Hilferty). */
    double crit = df + 3.1 * sqrt(2.0 * df) + 5.0;
    print_message("chi2 %.1f df %d crit %.1f\n", chi2, df, crit);
    assert_true(df >= 5);
    assert_true(chi2 < crit);
    pt_rec_scratch_free(s);
    pt_rec_scratch_free(se);
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* With meta-paths (the staged walker) and without (the lockstep co-behaviour walker). */
static void test_walk_visits_match_exact_probabilities(void **state) {
    walk_visits_match(*state, 1);
    walk_visits_match(*state, 0);
}

/* The sampled estimate with restart 1 and no multi-hit converges to the exact RP3beta scores
 * (importance weights make it unbiased for alpha != 1 too). */
static void test_walk_estimate_converges_to_rp3b(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.alpha = 0.7;
    p.beta = 0.4;
    p.method = PT_REC_RP3B;
    pt_recommender *re, *rw;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &re), PT_OK);
    p.method = PT_REC_PIXIE;
    p.restart = 1.0;
    p.multi_hit = 0;
    p.n_p = 0;
    p.steps = 2000000;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &rw), PT_OK);
    pt_rec_scratch *se, *sw;
    assert_int_equal(pt_rec_scratch_new(re, &se), PT_OK);
    assert_int_equal(pt_rec_scratch_new(rw, &sw), PT_OK);
    pt_rec_query q;
    pt_rec_query_init(&q, find(g, "user", 5), 5);
    pt_rec_item ex[5], wk[5];
    size_t ne, nw;
    int fl;
    assert_int_equal(pt_recommend(re, se, &q, ex, &ne, &fl), PT_OK);
    assert_int_equal(pt_recommend(rw, sw, &q, wk, &nw, &fl), PT_OK);
    assert_int_equal(ne, 5);
    assert_int_equal(nw, 5);
    for (size_t i = 0; i < 5; i++) {
        /* the walk's score of the exact list's item i, within 5% */
        int found = 0;
        for (size_t j = 0; j < 5; j++) {
            if (wk[j].item == ex[i].item) {
                assert_true(fabs(wk[j].score - ex[i].score) <= 0.05 * ex[i].score);
                found = 1;
            }
        }
        if (i < 3) {
            assert_true(found);
        }
    }
    pt_rec_scratch_free(se);
    pt_rec_scratch_free(sw);
    pt_recommender_free(re);
    pt_recommender_free(rw);
    pt_graph_free(g);
}

/* --- exact scores -------------------------------------------------------------------------- */

/* Recommend for u1 of the tiny graph with `method`, `alpha`, `beta`; expect c then d with the
 * given scores. */
static void expect_cd(pt_ctx *ctx, pt_rec_method method, double alpha, double beta, double sc,
                      double sd) {
    pt_graph *g = tiny_graph(ctx);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = method;
    p.alpha = alpha;
    p.beta = beta;
    p.rating_center = 0.0;
    p.half_life_events = 0.0;
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_rec_query q;
    pt_rec_query_init(&q, find(g, "user", 1), 10);
    pt_rec_item out[10];
    size_t n;
    int flags;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(flags, PT_REC_PERSONAL);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].item, find(g, "item", 3));
    assert_int_equal(out[1].item, find(g, "item", 4));
    assert_true(fabs(out[0].score - sc) < 1e-6);
    assert_true(fabs(out[1].score - sd) < 1e-6);
    assert_int_equal(out[0].popular, 0);
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* P3 (alpha 1): query a, b at 1/2; a -> {u1, u2}, b -> {u1, u3} at 1/2; u2 -> c at 1/2;
 * u3 -> c, d at 1/3: c = 1/8 + 1/12 = 5/24, d = 1/12. RP3beta (beta 0.5) divides c by
 * sqrt(2) (two users) and d by 1. With alpha 0.5 every probability is square-rooted:
 * mid u2 = u3 = 1/2, c = 0.5 sqrt(1/2) + 0.5 sqrt(1/3), d = 0.5 sqrt(1/3). */
static void test_p3_rp3b_match_hand_computed_values(void **state) {
    pt_ctx *ctx = *state;
    expect_cd(ctx, PT_REC_P3, 1.0, 0.5, 5.0 / 24.0, 1.0 / 12.0);
    expect_cd(ctx, PT_REC_RP3B, 1.0, 0.5, 5.0 / 24.0 / sqrt(2.0), 1.0 / 12.0);
    expect_cd(ctx, PT_REC_P3, 0.5, 0.0, 0.5 * sqrt(0.5) + 0.5 * sqrt(1.0 / 3.0),
              0.5 * sqrt(1.0 / 3.0));
    expect_cd(ctx, PT_REC_RP3B, 0.5, 1.0, (0.5 * sqrt(0.5) + 0.5 * sqrt(1.0 / 3.0)) / 2.0,
              0.5 * sqrt(1.0 / 3.0));
}

/* --- explanations -------------------------------------------------------------------------- */

/* Check one path edge by edge: it starts at `user`, ends at `item`, every consecutive pair is
 * joined by an edge with that predicate in that direction, and the share is in [0, 1]. */
static void check_path(const pt_graph *g, const pt_rec_path *p, pt_node_id user, pt_node_id item) {
    pt_edge e;
    assert_true(p->n_nodes >= 3 && p->n_nodes <= 8);
    assert_int_equal(p->nodes[0], user);
    assert_int_equal(p->nodes[p->n_nodes - 1], item);
    assert_true(p->share >= 0.0 && p->share <= 1.0 + 1e-9);
    for (uint32_t i = 0; i + 1 < p->n_nodes; i++) {
        pt_node_id a = p->nodes[i], b = p->nodes[i + 1];
        if (p->dirs[i] == 0) {
            assert_true(pt_graph_edge_find(g, a, p->preds[i], b, &e));
        } else {
            assert_int_equal(p->dirs[i], 1);
            assert_true(pt_graph_edge_find(g, b, p->preds[i], a, &e));
        }
    }
}

/* Pixie without meta-paths (the co-behaviour walker) and with long walks (restart 0.3, so
 * paths of 3 and 5 nodes between the query item and the item appear): every path is real,
 * edge by edge, its shares sum to at most 1, and a two-lane batch equals single queries,
 * paths and shares included. */
static void test_cobehaviour_walk_paths(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_PIXIE;
    p.steps = 30000; /* two lanes */
    p.restart = 0.3;
    p.min_visits = 1;
    p.threads = 2;
    p.w_tag = p.w_category = p.w_brand = 0.0;
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
    assert_int_equal(r->has_meta, 0);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    enum { NQ = 40, K = 10 };
    pt_rec_query qs[NQ];
    pt_rec_item out[NQ * K], one[K];
    size_t n_out[NQ], n;
    int flags[NQ], fl;
    for (int u = 0; u < NQ; u++) {
        pt_rec_query_init(&qs[u], find(g, "user", u + 1), K);
        qs[u].explain = 1;
    }
    assert_int_equal(pt_recommend_many(r, qs, NQ, out, K, n_out, flags), PT_OK);
    size_t n_items = 0, n_pathed = 0, n_long = 0;
    for (int u = 0; u < NQ; u++) {
        assert_int_equal(pt_recommend(r, s, &qs[u], one, &n, &fl), PT_OK);
        assert_int_equal(n, n_out[u]);
        for (size_t j = 0; j < n; j++) {
            const pt_rec_item *b = &out[u * K + j];
            assert_int_equal(one[j].item, b->item);
            assert_true(one[j].score == b->score);
            assert_int_equal(one[j].n_paths, b->n_paths);
            double sum = 0.0;
            for (uint32_t k = 0; k < one[j].n_paths; k++) {
                assert_true(one[j].paths[k].share == b->paths[k].share);
                assert_int_equal(one[j].paths[k].n_nodes, b->paths[k].n_nodes);
                check_path(g, &one[j].paths[k], qs[u].user, one[j].item);
                sum += one[j].paths[k].share;
                n_long += one[j].paths[k].n_nodes > 4;
            }
            assert_true(sum <= 1.0 + 1e-6);
            n_items += !one[j].popular;
            n_pathed += one[j].n_paths > 0;
        }
    }
    print_message("co-behaviour walks: %zu personal items, %zu with paths, %zu longer paths\n",
                  n_items, n_pathed, n_long);
    assert_true(n_items > 0);
    assert_true(n_pathed * 100 >= n_items * 95);
    assert_true(n_long > 0);
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* Every method's explanations are real edges of the graph, for every user. */
static void test_explanation_paths_are_real_edges(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_rec_method methods[] = {PT_REC_PIXIE, PT_REC_P3,   PT_REC_RP3B,
                               PT_REC_PPR,   PT_REC_EASE, PT_REC_HYBRID};
    for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
        pt_walk_params p;
        pt_walk_params_default(&p);
        p.method = methods[mi];
        p.steps = 20000;
        p.w_tag = p.w_category = p.w_brand = 0.3;
        p.category_up = 0.3;
        pt_recommender *r;
        pt_rec_scratch *s;
        assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
        assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
        size_t n_items = 0, n_pathed = 0, n_up = 0;
        for (int u = 1; u <= 40; u++) {
            pt_rec_query q;
            pt_rec_query_init(&q, find(g, "user", u), 10);
            q.explain = 1;
            pt_rec_item out[10];
            size_t n;
            int flags;
            assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
            for (size_t j = 0; j < n; j++) {
                double sum = 0.0;
                n_items += !out[j].popular;
                n_pathed += out[j].n_paths > 0;
                for (uint32_t k = 0; k < out[j].n_paths; k++) {
                    check_path(g, &out[j].paths[k], q.user, out[j].item);
                    sum += out[j].paths[k].share;
                    n_up += out[j].paths[k].n_nodes == 6;
                }
                assert_true(sum <= 1.0 + 1e-6);
                if (!out[j].popular && methods[mi] != PT_REC_PIXIE &&
                    methods[mi] != PT_REC_EASE) {
                    assert_true(out[j].n_paths > 0);
                }
            }
        }
        print_message("method %s: %zu personal items, %zu with paths\n",
                      pt_rec_method_name(methods[mi]), n_items, n_pathed);
        assert_true(n_pathed * 100 >= n_items * 95);
        if (methods[mi] != PT_REC_PPR && methods[mi] != PT_REC_EASE) {
            assert_true(n_up > 0); /* category-up paths appear and pass the edge check */
        }
        /* pt_rec_explain for a pair far apart falls back to a breadth-first path. */
        pt_rec_path paths[3];
        size_t np;
        double score;
        assert_int_equal(pt_rec_explain(r, s, find(g, "user", 1), find(g, "item", 80),
                                        PT_TIME_UNKNOWN, paths, 3, &np, &score),
                         PT_OK);
        assert_true(np > 0);
        for (size_t k = 0; k < np; k++) {
            check_path(g, &paths[k], find(g, "user", 1), find(g, "item", 80));
        }
        pt_rec_scratch_free(s);
        pt_recommender_free(r);
    }
    pt_graph_free(g);
}

/* --- bad input and fallbacks --------------------------------------------------------------- */

/* An unknown user gets popular items with the flag; k = 0 and a non-category are EINVAL. */
static void test_unknown_user_is_popular_and_bad_input_fails(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, NULL, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_rec_query q;
    pt_rec_item out[5];
    size_t n;
    int flags;
    pt_rec_query_init(&q, PT_NONE, 5);
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(flags, PT_REC_POPULAR);
    assert_int_equal(n, 5);
    for (size_t j = 0; j < n; j++) {
        assert_int_equal(out[j].popular, 1);
        assert_true(j == 0 || out[j - 1].score >= out[j].score);
    }
    /* A node that is an item, not a user, is unknown as a user. */
    pt_rec_query_init(&q, find(g, "item", 3), 5);
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(flags, PT_REC_POPULAR);
    pt_rec_query_init(&q, find(g, "user", 1), 0);
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_EINVAL);
    assert_int_equal(n, 0);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "k must be"));
    pt_rec_query_init(&q, find(g, "user", 1), 5);
    q.category = find(g, "brand", 1);
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_EINVAL);
    /* Bad parameters name the field. */
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.restart = 0.0;
    pt_recommender *bad;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &bad), PT_EINVAL);
    assert_null(bad);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "restart"));
    pt_rec_method m;
    assert_int_equal(pt_rec_method_parse("rp3b", &m), PT_OK);
    assert_int_equal(m, PT_REC_RP3B);
    assert_int_equal(pt_rec_method_parse("nope", &m), PT_EINVAL);
    assert_string_equal(pt_rec_method_name(PT_REC_PIXIE), "pixie");
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* A user with one event gets personal results, filled with flagged popular items when the
 * walk reaches too few; seen items never come back unless asked; excluded ones never. */
static void test_sparse_user_seen_and_excluded(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = tiny_graph(ctx);
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, NULL, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_rec_query q;
    pt_rec_item out[4];
    size_t n;
    int flags;
    pt_rec_query_init(&q, find(g, "user", 1), 4);
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(flags, PT_REC_PERSONAL);
    assert_int_equal(n, 2); /* c, d: a and b are seen */
    q.include_seen = 1;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(n, 4);
    pt_node_id ex[1] = {find(g, "item", 3)};
    q.include_seen = 0;
    q.exclude = ex;
    q.n_exclude = 1;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].item, find(g, "item", 4));
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* --- determinism, filters, threads --------------------------------------------------------- */

/* Run the Pixie recommender with `seed` for user u and copy the result. */
static size_t run_pixie(pt_ctx *ctx, const pt_graph *g, uint64_t seed, pt_node_id u,
                        pt_rec_item *out) {
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_PIXIE;
    p.seed = seed;
    p.steps = 5000;
    p.multi_hit = 1;
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_rec_query q;
    pt_rec_query_init(&q, u, 10);
    size_t n;
    int flags;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    return n;
}

/* The same seed gives the same items and scores; another seed other scores. */
static void test_walks_are_deterministic_for_a_seed(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_rec_item a[10], b[10], c[10];
    pt_node_id u = find(g, "user", 9);
    size_t na = run_pixie(ctx, g, 1, u, a), nb = run_pixie(ctx, g, 1, u, b);
    size_t nc = run_pixie(ctx, g, 2, u, c);
    assert_int_equal(na, nb);
    int differ = nc != na;
    for (size_t j = 0; j < na; j++) {
        assert_int_equal(a[j].item, b[j].item);
        assert_true(a[j].score == b[j].score);
        differ |= j < nc && c[j].score != a[j].score;
    }
    assert_true(differ);
    pt_graph_free(g);
}

/* The category filter keeps items of the category subtree only; the cap limits items per
 * (leaf) category. */
static void test_category_filter_and_diversity_cap(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, NULL, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_node_id in_cat = pt_graph_lookup(g, PT_IN_CATEGORY, strlen(PT_IN_CATEGORY), PT_TERM_IRI);
    pt_node_id top = find(g, "cat", 2);
    pt_rec_item out[12];
    size_t n;
    int flags;
    for (int u = 1; u <= 40; u++) {
        pt_rec_query q;
        pt_rec_query_init(&q, find(g, "user", u), 12);
        q.category = top;
        assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
        assert_int_equal(n, 12); /* popular items of the subtree fill it up */
        for (size_t j = 0; j < n; j++) {
            int ok = 0;
            for (int c = 6; c <= 8; c++) {
                pt_edge e;
                ok |= pt_graph_edge_find(g, out[j].item, in_cat, find(g, "cat", c), &e);
            }
            assert_true(ok);
        }
        pt_rec_query_init(&q, find(g, "user", u), 12);
        q.max_per_category = 2;
        assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
        assert_int_equal(n, 12); /* six leaves, two each */
        for (int c = 3; c <= 8; c++) {
            int cnt = 0;
            for (size_t j = 0; j < n; j++) {
                pt_edge e;
                cnt += pt_graph_edge_find(g, out[j].item, in_cat, find(g, "cat", c), &e);
            }
            assert_true(cnt <= 2);
        }
    }
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* A batch on two threads (each with its own scratch) equals serial runs, for every method. */
static void test_threads_match_serial(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    for (int m = PT_REC_PIXIE; m <= PT_REC_POP; m++) {
        pt_walk_params p;
        pt_walk_params_default(&p);
        p.method = (pt_rec_method)m;
        p.threads = 2;
        p.steps = 3000;
        p.multi_hit = m == PT_REC_PIXIE;
        pt_recommender *r;
        pt_rec_scratch *s;
        assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
        assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
        enum { NQ = 41, K = 8 };
        pt_rec_query qs[NQ];
        pt_rec_item out[NQ * K], one[K];
        size_t n_out[NQ], n;
        int flags[NQ], fl;
        for (int u = 0; u < NQ; u++) {
            pt_rec_query_init(&qs[u], u == 0 ? PT_NONE : find(g, "user", u), K);
            qs[u].explain = u % 2;
        }
        assert_int_equal(pt_recommend_many(r, qs, NQ, out, K, n_out, flags), PT_OK);
        for (int u = 0; u < NQ; u++) {
            assert_int_equal(pt_recommend(r, s, &qs[u], one, &n, &fl), PT_OK);
            assert_int_equal(n, n_out[u]);
            assert_int_equal(fl, flags[u]);
            for (size_t j = 0; j < n; j++) {
                assert_int_equal(one[j].item, out[u * K + j].item);
                assert_true(one[j].score == out[u * K + j].score);
                assert_int_equal(one[j].n_paths, out[u * K + j].n_paths);
            }
        }
        pt_rec_scratch_free(s);
        pt_recommender_free(r);
    }
    pt_graph_free(g);
}

/* Recency: with a short half-life the user's latest item dominates the query. */
static void test_recency_weights_the_latest_items(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id viewed = iri(b, PT_VIEWED);
    /* u1 viewed item 1 long ago and item 2 now; u2 viewed 1 and 3; u3 viewed 2 and 4. */
    pt_builder_add_edge(b, node(b, "user", 1), viewed, node(b, "item", 1), 1.0f, 1000);
    pt_builder_add_edge(b, node(b, "user", 1), viewed, node(b, "item", 2), 1.0f, 1000 + 86400 * 60);
    pt_builder_add_edge(b, node(b, "user", 2), viewed, node(b, "item", 1), 1.0f, 1000);
    pt_builder_add_edge(b, node(b, "user", 2), viewed, node(b, "item", 3), 1.0f, 1000);
    pt_builder_add_edge(b, node(b, "user", 3), viewed, node(b, "item", 2), 1.0f, 1000);
    pt_builder_add_edge(b, node(b, "user", 3), viewed, node(b, "item", 4), 1.0f, 1000);
    pt_builder_add_edge(b, node(b, "user", 4), viewed, node(b, "item", 3), 1.0f, 1000);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.half_life_days = 7.0;
    p.half_life_events = 0.0;
    p.beta = 0.0;
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_rec_query q;
    pt_rec_query_init(&q, find(g, "user", 1), 2);
    pt_rec_item out[2];
    size_t n;
    int flags;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].item, find(g, "item", 4)); /* through the recent item 2 */
    assert_int_equal(out[1].item, find(g, "item", 3));
    assert_true(out[0].score > 20.0 * out[1].score); /* 2^(-60/7) ^ alpha 0.7 */
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* Building a recommender and a scratch under allocation failures: every failure is
 * PT_ENOMEM, nothing leaks (the sanitizer build checks), and eventually it succeeds. */
static void test_allocation_failures(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    for (uint64_t nth = 1;; nth++) {
        pt_recommender *r = NULL;
        pt_rec_scratch *s = NULL;
        pt__ctx_fail_after(ctx, nth);
        int rc = pt_recommender_new(ctx, g, NULL, &r);
        if (rc == PT_OK) {
            rc = pt_rec_scratch_new(r, &s);
        }
        pt__ctx_fail_after(ctx, 0);
        if (rc == PT_OK) {
            pt_rec_scratch_free(s);
            pt_recommender_free(r);
            assert_true(nth > 10);
            break;
        }
        assert_int_equal(rc, PT_ENOMEM);
        pt_recommender_free(r);
        assert_true(nth < 1000);
    }
    pt_graph_free(g);
}

/* The index includes edges appended after load (the delta). */
static void test_index_sees_appended_edges(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = tiny_graph(ctx);
    pt_node_id rated = pt_graph_lookup(g, PT_RATED, strlen(PT_RATED), PT_TERM_IRI);
    assert_int_equal(
        pt_graph_add_edge(g, find(g, "user", 1), rated, find(g, "item", 4), 5.0f, 5000), PT_OK);
    pt_recommender *r;
    assert_int_equal(pt_recommender_new(ctx, g, NULL, &r), PT_OK);
    assert_int_equal(pt_recommender_user_items(r, find(g, "user", 1)), 3);
    assert_true(pt_recommender_is_item(r, find(g, "item", 4)));
    assert_false(pt_recommender_is_item(r, find(g, "user", 4 - 3)));
    pt_recommender_free(r);
    pt_graph_free(g);
}

/* Top-10 of every user (and of two unknown users) from `a` and `b` agree: the same items in
 * the same order, or, where they differ, scores equal to 1e-9 (a tie broken by local ids). */
static void expect_same_recs(const pt_graph *g, pt_recommender *a, pt_recommender *b) {
    pt_rec_scratch *sa, *sb;
    assert_int_equal(pt_rec_scratch_new(a, &sa), PT_OK);
    assert_int_equal(pt_rec_scratch_new(b, &sb), PT_OK);
    pt_rec_item ra[10], rb[10];
    for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
        pt_rec_query q;
        pt_rec_query_init(&q, v, 10);
        q.explain = 1;
        size_t na, nb;
        int fa, fb;
        assert_int_equal(pt_recommend(a, sa, &q, ra, &na, &fa), PT_OK);
        assert_int_equal(pt_recommend(b, sb, &q, rb, &nb, &fb), PT_OK);
        assert_int_equal(na, nb);
        assert_int_equal(fa, fb);
        assert_int_equal(pt_recommender_user_items(a, v), pt_recommender_user_items(b, v));
        for (size_t j = 0; j < na; j++) {
            if (ra[j].item != rb[j].item) {
                assert_true(fabs(ra[j].score - rb[j].score) < 1e-9);
            } else {
                /* the same explanation terms (their order may differ only between ties) */
                assert_int_equal(ra[j].n_paths, rb[j].n_paths);
                for (uint32_t pi = 0; pi < ra[j].n_paths; pi++) {
                    assert_true(fabs(ra[j].paths[pi].share - rb[j].paths[pi].share) < 1e-6);
                }
            }
            assert_true(fabs(ra[j].score - rb[j].score) <= 1e-9 * (1.0 + fabs(ra[j].score)));
        }
    }
    pt_rec_scratch_free(sa);
    pt_rec_scratch_free(sb);
}

/* Every entry of every item row carries its user's transition to the item (i_upa, what the
 * explanations read instead of searching the user's row). */
static void expect_upa_matches(const pt_recommender *r) {
    for (uint32_t it = 0; it < r->n_items; it++) {
        for (uint32_t k = r->irow[it].off; k < r->irow[it].end; k++) {
            uint32_t pos = pt__walk_user_find(r, r->i_user[k], it);
            assert_int_not_equal(pos, PT__NOIDX);
            assert_true(r->i_upa[k] == r->u_pa[pos]);
        }
    }
}

/* pt_recommender_sync after appends (new pairs, updated pairs, a new user, new items, a rating
 * that lowers a pair's weight) gives the same recommendations as a recommender built afresh
 * on the grown graph, for the exact methods and popularity; Pixie, PPR and the hybrid (whose
 * EASE^R part keeps its fit) give personal results of real items on the grown index. A journal that dropped entries makes sync rebuild, with the same result. */
static void test_sync_matches_fresh_build(void **state) {
    pt_ctx *ctx = *state;
    pt_rec_method methods[] = {PT_REC_RP3B, PT_REC_P3,  PT_REC_POP,
                               PT_REC_PIXIE, PT_REC_PPR, PT_REC_HYBRID, PT_REC_ITEMKNN};
    for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
        pt_graph *g = shop_graph(ctx);
        pt_walk_params p;
        pt_walk_params_default(&p);
        p.method = methods[mi];
        pt_recommender *live;
        assert_int_equal(pt_recommender_new(ctx, g, &p, &live), PT_OK);
        pt_rec_scratch *warm; /* a scratch made before the growth must re-size itself */
        assert_int_equal(pt_rec_scratch_new(live, &warm), PT_OK);
        pt_node_id viewed = pt_graph_lookup(g, PT_VIEWED, strlen(PT_VIEWED), PT_TERM_IRI);
        pt_node_id rated = pt_graph_lookup(g, PT_RATED, strlen(PT_RATED), PT_TERM_IRI);
        uint64_t s = 99;
        pt_node_id last_user = PT_NONE; /* a user with a positive appended pair */
        for (int round = 0; round < 3; round++) {
            for (int e = 0; e < 60; e++) {
                char buf[96];
                int u = 1 + (int)(lcg(&s) % 45), i = 1 + (int)(lcg(&s) % 95);
                int l = snprintf(buf, sizeof buf, "https://t.example/user/%d", u);
                pt_node_id un = pt_graph_intern(g, buf, (size_t)l, PT_TERM_IRI);
                l = snprintf(buf, sizeof buf, "https://t.example/item/%d", i);
                pt_node_id in = pt_graph_intern(g, buf, (size_t)l, PT_TERM_IRI);
                assert_true(un != PT_NONE && in != PT_NONE);
                pt_node_id pr = lcg(&s) % 2 ? viewed : rated;
                float w = pr == rated ? (float)(lcg(&s) % 6) : 1.0f; /* rating 0 lowers */
                assert_int_equal(pt_graph_add_edge(g, un, pr, in, w, 1800000000 + round * 100 + e),
                                 PT_OK);
                if (pr == viewed) {
                    last_user = un;
                }
            }
            assert_int_equal(pt_recommender_sync(live), PT_OK);
            assert_int_equal(pt_recommender_sync(live), PT_OK); /* nothing new: no change */
            expect_upa_matches(live);
            pt_recommender *fresh;
            assert_int_equal(pt_recommender_new(ctx, g, &p, &fresh), PT_OK);
            pt_rec_method mt = methods[mi];
            if (mt == PT_REC_RP3B || mt == PT_REC_P3 || mt == PT_REC_POP) {
                expect_same_recs(g, live, fresh);
            } else {
                pt_rec_item out[10];
                size_t n;
                int flags;
                pt_rec_query q;
                pt_rec_query_init(&q, last_user, 10);
                q.explain = 1; /* sampled, pushed or refitted: check validity, not equality */
                assert_int_equal(pt_recommend(live, warm, &q, out, &n, &flags), PT_OK);
                assert_int_equal(flags, PT_REC_PERSONAL);
                assert_true(n > 0);
                for (size_t j = 0; j < n; j++) {
                    assert_true(pt_recommender_is_item(fresh, out[j].item));
                }
            }
            pt_recommender_free(fresh);
        }
        pt_rec_scratch_free(warm);
        pt_recommender_free(live);
        pt_graph_free(g);
    }

    /* More appends than the journal keeps (65,536): sync rebuilds from the graph. */
    pt_graph *g = tiny_graph(ctx);
    pt_recommender *live, *fresh;
    assert_int_equal(pt_recommender_new(ctx, g, NULL, &live), PT_OK);
    pt_node_id viewed = pt_graph_intern(g, PT_VIEWED, strlen(PT_VIEWED), PT_TERM_IRI);
    for (int e = 0; e < 70000; e++) {
        char buf[96];
        int l = snprintf(buf, sizeof buf, "https://t.example/item/%d", 10 + e % 700);
        pt_node_id in = pt_graph_intern(g, buf, (size_t)l, PT_TERM_IRI);
        l = snprintf(buf, sizeof buf, "https://t.example/user/%d", 10 + e / 700);
        pt_node_id un = pt_graph_intern(g, buf, (size_t)l, PT_TERM_IRI);
        assert_int_equal(pt_graph_add_edge(g, un, viewed, in, 1.0f, 5000 + e), PT_OK);
    }
    assert_int_equal(pt_recommender_sync(live), PT_OK);
    assert_int_equal(pt_recommender_new(ctx, g, NULL, &fresh), PT_OK);
    expect_upa_matches(live);
    expect_upa_matches(fresh);
    expect_same_recs(g, live, fresh);
    pt_recommender_free(fresh);
    pt_recommender_free(live);
    pt_graph_free(g);
}

/* ItemKNN on the tiny graph, shrink 0, no recency, no penalty: u1 has {a, b}; sim(a, c) =
 * sim(b, c) = 1 / sqrt(2 * 2) = 0.5 (one common user each), sim(b, d) = 1 / sqrt(2 * 1), so
 * score(c) = 0.5 * 0.5 + 0.5 * 0.5 = 0.5 and score(d) = 0.5 / sqrt(2); each item carries a
 * path user -> query item -> witness user -> item. */
static void test_itemknn_matches_hand_computed_values(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = tiny_graph(ctx);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_ITEMKNN;
    p.shrink = 0.0;
    p.beta = 0.0;
    p.half_life_events = 0.0;
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_rec_query q;
    pt_rec_query_init(&q, find(g, "user", 1), 5);
    q.explain = 1;
    pt_rec_item out[5];
    size_t n;
    int flags;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(flags, PT_REC_PERSONAL);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].item, find(g, "item", 3));
    assert_float_equal(out[0].score, 0.5, 1e-6);
    assert_int_equal(out[1].item, find(g, "item", 4));
    assert_float_equal(out[1].score, 0.5 / sqrt(2.0), 1e-6);
    for (size_t j = 0; j < n; j++) {
        assert_true(out[j].n_paths >= 1);
        check_path(g, &out[j].paths[0], find(g, "user", 1), out[j].item);
    }
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    p.knn = 0;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_EINVAL);
    pt_graph_free(g);
}

/* A graph without behaviour or items still gives a recommender; queries return nothing, and
 * pt_rec_explain rejects nodes that are not users or items. */
static void test_empty_graph(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id label = iri(b, PT_RDFS_LABEL);
    pt_builder_add_literal(b, node(b, "thing", 1), label, "x", 1, PT_NONE, NULL, 0);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    for (int m = PT_REC_PIXIE; m <= PT_REC_POP; m++) {
        pt_walk_params p;
        pt_walk_params_default(&p);
        p.method = (pt_rec_method)m;
        pt_recommender *r;
        pt_rec_scratch *s;
        assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
        assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
        pt_rec_query q;
        pt_rec_query_init(&q, find(g, "thing", 1), 5);
        pt_rec_item out[5];
        size_t n;
        int flags;
        assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
        assert_int_equal(n, 0);
        assert_int_equal(flags, PT_REC_POPULAR);
        pt_rec_path paths[3];
        double score;
        assert_int_equal(pt_rec_explain(r, s, find(g, "thing", 1), find(g, "thing", 1),
                                        PT_TIME_UNKNOWN, paths, 3, &n, &score),
                         PT_EINVAL);
        pt_rec_scratch_free(s);
        pt_recommender_free(r);
    }
    pt_graph_free(g);
}

/* --- EASE^R and the hybrid ----------------------------------------------------------------- */

/* Three users, three items: u1 {a, b}, u2 {b, c}, u3 {a, b, c}. With lambda 2, X'X + 2I =
 * [[4,2,1],[2,5,2],[1,2,4]], determinant 51, so P = (1/51) [[16,-6,-1],[-6,15,-6],[-1,-6,16]]
 * and B_ij = -P_ij / P_jj: B_ab = 6/15, B_ac = 1/16, B_ba = 6/16, B_bc = 6/16, B_ca = 1/16,
 * B_cb = 6/15. User u1 (x = (1, 1, 0)) scores a = B_ba = 0.375, b = B_ab = 0.4,
 * c = B_ac + B_bc = 7/16. */
static void test_ease_matches_hand_computed_values(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id rated = iri(b, PT_RATED);
    int rows[][2] = {{1, 1}, {1, 2}, {2, 2}, {2, 3}, {3, 1}, {3, 2}, {3, 3}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pt_builder_add_edge(b, node(b, "user", rows[i][0]), rated, node(b, "item", rows[i][1]),
                            (float)(1 + i % 5), 1000 + (int64_t)i);
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_EASE;
    p.lambda = 2.0;
    p.half_life_events = 0.0; /* no recency: the binary x_u of the paper */
    pt_recommender *r;
    pt_rec_scratch *s;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_rec_query q;
    pt_rec_query_init(&q, find(g, "user", 1), 3);
    q.include_seen = 1;
    q.explain = 1;
    pt_rec_item out[3];
    size_t n;
    int flags;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(flags, PT_REC_PERSONAL);
    pt_node_id want[3] = {find(g, "item", 3), find(g, "item", 2), find(g, "item", 1)};
    double score[3] = {7.0 / 16.0, 6.0 / 15.0, 6.0 / 16.0};
    for (int j = 0; j < 3; j++) {
        assert_int_equal(out[j].item, want[j]);
        assert_true(fabs(out[j].score - score[j]) < 1e-9);
        assert_false(out[j].popular);
    }
    /* c's terms: b -> c 6/16 and a -> c 1/16, shares 6/7 and 1/7, through a user who has
     * both: u2 for b and c (u3 too; equal weights, the lower index wins), u3 for a and c. */
    assert_int_equal(out[0].n_paths, 2);
    assert_int_equal(out[0].paths[0].nodes[1], find(g, "item", 2));
    assert_int_equal(out[0].paths[0].nodes[2], find(g, "user", 2));
    assert_int_equal(out[0].paths[1].nodes[1], find(g, "item", 1));
    assert_int_equal(out[0].paths[1].nodes[2], find(g, "user", 3));
    assert_true(fabs(out[0].paths[0].share - 6.0 / 7.0) < 1e-9);
    assert_true(fabs(out[0].paths[1].share - 1.0 / 7.0) < 1e-9);
    for (uint32_t k = 0; k < out[0].n_paths; k++) {
        check_path(g, &out[0].paths[k], q.user, out[0].item);
    }
    /* Without include_seen, u1 gets c from the model; nothing else is unseen. */
    q.include_seen = 0;
    assert_int_equal(pt_recommend(r, s, &q, out, &n, &flags), PT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].item, find(g, "item", 3));
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    /* Bad parameters are named. */
    p.lambda = -1.0;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "lambda"));
    p.lambda = 2.0;
    p.method = PT_REC_HYBRID;
    p.blend = 1.5;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "blend"));
    assert_string_equal(pt_rec_method_name(PT_REC_EASE), "ease");
    pt_rec_method m;
    assert_int_equal(pt_rec_method_parse("hybrid", &m), PT_OK);
    assert_int_equal(m, PT_REC_HYBRID);
    pt_graph_free(g);
}

/* EASE^R refuses more than 20,000 items with PT_ELIMIT and a message. */
static void test_ease_refuses_too_many_items(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b;
    pt_graph *g;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id rated = iri(b, PT_RATED), u = node(b, "user", 1);
    for (int i = 0; i < 20001; i++) {
        pt_builder_add_edge(b, u, rated, node(b, "item", i), 5.0f, 1000 + i);
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_EASE;
    pt_recommender *r = NULL;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r), PT_ELIMIT);
    assert_null(r);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "20000"));
    pt_graph_free(g);
}

/* The hybrid is deterministic: two recommenders built alike give the same items and scores,
 * whatever query came before, and a threaded batch gives what serial queries give. */
/* The hybrid's ItemKNN part: with all the weight on it (blend 0, knn_blend 1; alpha 1 so the
 * query weights are ItemKNN's, beta 0 so neither side is penalised) the hybrid ranks the items
 * ItemKNN scores exactly as ItemKNN does; a three-part blend explains with real edges and
 * shares summing to at most 1; bad weights are refused. */
static void test_hybrid_with_itemknn_part(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.alpha = 1.0;
    p.beta = 0.0;
    p.knn = 5;
    p.shrink = 2.0;
    p.method = PT_REC_ITEMKNN;
    pt_recommender *rk, *rh, *rx;
    pt_rec_scratch *sk, *sh, *sx;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &rk), PT_OK);
    p.method = PT_REC_HYBRID;
    p.blend = 0.0;
    p.knn_blend = 1.0;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &rh), PT_OK);
    p.blend = 0.3;
    p.knn_blend = 0.4;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &rx), PT_OK);
    assert_int_equal(pt_rec_scratch_new(rk, &sk), PT_OK);
    assert_int_equal(pt_rec_scratch_new(rh, &sh), PT_OK);
    assert_int_equal(pt_rec_scratch_new(rx, &sx), PT_OK);
    size_t compared = 0;
    for (int u = 1; u <= 40; u++) {
        pt_rec_query q;
        pt_rec_query_init(&q, find(g, "user", u), 10);
        q.explain = 1;
        pt_rec_item a[10], b[10], c[10];
        size_t na, nb, nc;
        int fl;
        assert_int_equal(pt_recommend(rk, sk, &q, a, &na, &fl), PT_OK);
        assert_int_equal(pt_recommend(rh, sh, &q, b, &nb, &fl), PT_OK);
        assert_int_equal(pt_recommend(rx, sx, &q, c, &nc, &fl), PT_OK);
        for (size_t j = 0; j < na && j < nb && !a[j].popular; j++) {
            /* equal ItemKNN scores may tie; compare where the next score is strictly lower */
            if (j + 1 < na && !a[j + 1].popular && a[j + 1].score == a[j].score) {
                break;
            }
            assert_int_equal(a[j].item, b[j].item);
            compared++;
        }
        for (size_t j = 0; j < nc; j++) {
            double sum = 0.0;
            for (uint32_t k = 0; k < c[j].n_paths; k++) {
                check_path(g, &c[j].paths[k], q.user, c[j].item);
                sum += c[j].paths[k].share;
            }
            assert_true(sum <= 1.0 + 1e-6);
        }
    }
    assert_true(compared >= 40);
    p.blend = 0.7;
    p.knn_blend = 0.5;
    pt_recommender *bad;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &bad), PT_EINVAL);
    pt_rec_scratch_free(sk);
    pt_rec_scratch_free(sh);
    pt_rec_scratch_free(sx);
    pt_recommender_free(rk);
    pt_recommender_free(rh);
    pt_recommender_free(rx);
    pt_graph_free(g);
}

static void test_hybrid_is_deterministic(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = shop_graph(ctx);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_HYBRID;
    p.lambda = 50.0;
    p.blend = 0.6;
    p.threads = 2;
    pt_recommender *r1, *r2;
    pt_rec_scratch *s1, *s2;
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r1), PT_OK);
    assert_int_equal(pt_recommender_new(ctx, g, &p, &r2), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r1, &s1), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r2, &s2), PT_OK);
    enum { NU = 40, K = 10 };
    pt_rec_query qs[NU];
    pt_rec_item many[NU * K];
    size_t n_many[NU];
    int f_many[NU];
    for (int u = 1; u <= NU; u++) {
        pt_rec_query_init(&qs[u - 1], find(g, "user", u), K);
    }
    assert_int_equal(pt_recommend_many(r1, qs, NU, many, K, n_many, f_many), PT_OK);
    for (int u = 0; u < NU; u++) {
        pt_rec_item a[K], b2[K];
        size_t na, nb;
        int fa, fb;
        assert_int_equal(pt_recommend(r1, s1, &qs[u], a, &na, &fa), PT_OK);
        assert_int_equal(pt_recommend(r2, s2, &qs[(u + 7) % NU], b2, &nb, &fb), PT_OK);
        assert_int_equal(pt_recommend(r2, s2, &qs[u], b2, &nb, &fb), PT_OK);
        assert_int_equal(na, nb);
        assert_int_equal(na, n_many[u]);
        for (size_t j = 0; j < na; j++) {
            assert_int_equal(a[j].item, b2[j].item);
            assert_true(a[j].score == b2[j].score);
            assert_true(a[j].score > 0.0);
            assert_int_equal(a[j].item, many[(size_t)u * K + j].item);
            assert_true(a[j].score == many[(size_t)u * K + j].score);
        }
    }
    pt_rec_scratch_free(s1);
    pt_rec_scratch_free(s2);
    pt_recommender_free(r1);
    pt_recommender_free(r2);
    pt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walk_visits_match_exact_probabilities, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_walk_estimate_converges_to_rp3b, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_p3_rp3b_match_hand_computed_values, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_explanation_paths_are_real_edges, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_cobehaviour_walk_paths, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_unknown_user_is_popular_and_bad_input_fails, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_sparse_user_seen_and_excluded, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_walks_are_deterministic_for_a_seed, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_category_filter_and_diversity_cap, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_threads_match_serial, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_recency_weights_the_latest_items, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_allocation_failures, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_index_sees_appended_edges, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_sync_matches_fresh_build, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_itemknn_matches_hand_computed_values, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_empty_graph, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_ease_matches_hand_computed_values, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_ease_refuses_too_many_items, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_hybrid_is_deterministic, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_hybrid_with_itemknn_part, ctx_up, ctx_down),
    };
    return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
