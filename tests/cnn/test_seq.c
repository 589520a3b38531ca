/*
 * test_seq.c - the behaviour-sequence model (engine/cnn/seq.c, pt_seq.h): sequence extraction
 * and ordering, negative sampling, the augmentation operators, a gradient check of the whole
 * Caser forward/backward against finite differences, learning a deterministic next item,
 * exact save/load round trips and corrupt files, determinism, user vectors on the graph,
 * recommendations (seq and hybrid) and the evaluation protocol on a small synthetic shop.
 */
#include "pt_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnn/nn.h"
#include "cnn/seq_int.h"

/* --- fixtures ------------------------------------------------------------------------------- */

/* Intern "https://t.example/<kind>/<n>". */
static pt_node_id node(pt_builder *b, const char *kind, int n) {
    char buf[96];
    int l = snprintf(buf, sizeof buf, "https://t.example/%s/%d", kind, n);
    return pt_builder_intern(b, buf, (size_t)l, PT_TERM_IRI);
}

static pt_node_id iri(pt_builder *b, const char *s) {
    return pt_builder_intern(b, s, strlen(s), PT_TERM_IRI);
}

/*
 * A synthetic shop where the next item is a function of the last one: n_users users, each
 * walking the cycle 0 -> 1 -> ... -> n_items-1 -> 0 from a start of its own, len purchases
 * one second apart; every item is typed pt:Item, every user pt:User.
 */
static pt_graph *cycle_shop(pt_ctx *ctx, int n_users, int n_items, int len) {
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id type = iri(b, PT_RDF_TYPE), user_c = iri(b, PT_USER), item_c = iri(b, PT_ITEM);
    pt_node_id bought = iri(b, PT_PURCHASED);
    for (int i = 0; i < n_items; i++) {
        pt_builder_add_edge(b, node(b, "item", i), type, item_c, 1.0f, PT_TIME_UNKNOWN);
    }
    for (int u = 0; u < n_users; u++) {
        pt_node_id un = node(b, "user", u);
        pt_builder_add_edge(b, un, type, user_c, 1.0f, PT_TIME_UNKNOWN);
        int start = (u * 7) % n_items;
        for (int t = 0; t < len; t++) {
            pt_builder_add_edge(b, un, bought, node(b, "item", (start + t) % n_items), 1.0f,
                                1700000000 + 1000 * u + t);
        }
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    return g;
}

/* Small, fast parameters for the synthetic tests. */
static void tiny_params(pt_seq_params *p) {
    pt_seq_params_default(p);
    p->L = 3;
    p->dim = 16;
    p->n_h = 4;
    p->n_v = 2;
    p->dropout = 0.1;
    p->epochs = 40;
    p->batch = 32;
    p->lr = 5e-3;
    p->neg = 3;
    p->seed = 7;
}

/* --- sequences ------------------------------------------------------------------------------- */

/* A hand-made graph: the sequences follow time, fold repeated items at their latest time,
 * ignore non-behaviour edges, and include typed items without behaviour. */
static void test_extract_orders_by_time(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id type = iri(b, PT_RDF_TYPE), item_c = iri(b, PT_ITEM);
    pt_node_id viewed = iri(b, PT_VIEWED), bought = iri(b, PT_PURCHASED);
    pt_node_id in_cat = iri(b, PT_IN_CATEGORY);
    pt_node_id u1 = node(b, "user", 1), u2 = node(b, "user", 2);
    pt_node_id i1 = node(b, "item", 1), i2 = node(b, "item", 2), i3 = node(b, "item", 3);
    pt_node_id i4 = node(b, "item", 4), cat = node(b, "cat", 1);
    pt_builder_add_edge(b, i4, type, item_c, 1.0f, PT_TIME_UNKNOWN); /* item, no behaviour */
    pt_builder_add_edge(b, i1, in_cat, cat, 1.0f, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, u1, bought, i3, 1.0f, 300);
    pt_builder_add_edge(b, u1, viewed, i1, 1.0f, 100);
    pt_builder_add_edge(b, u1, viewed, i2, 1.0f, 200);
    pt_builder_add_edge(b, u1, bought, i1, 1.0f, 400); /* i1 again, later: moves to the end */
    pt_builder_add_edge(b, u2, viewed, i2, 1.0f, 50);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);

    pt_walk_params wp;
    pt_walk_params_default(&wp);
    pt__seqs s;
    assert_int_equal(pt__seq_extract(ctx, g, &wp, &s), PT_OK);
    assert_int_equal(s.n_items, 4); /* i1..i3 by behaviour, i4 by class; not the category */
    assert_int_equal(s.n_users, 2);
    uint32_t r1 = pt__seqs_user_row(&s, pt_graph_lookup(g, "https://t.example/user/1", 24,
                                                        PT_TERM_IRI));
    assert_int_not_equal(r1, UINT32_MAX);
    assert_int_equal(s.off[r1 + 1] - s.off[r1], 3);
    const char *want[] = {"https://t.example/item/2", "https://t.example/item/3",
                          "https://t.example/item/1"};
    for (int j = 0; j < 3; j++) {
        pt_node_id v = s.item_node[s.item[s.off[r1] + (uint64_t)j]];
        assert_string_equal(pt_graph_node_str(g, v), want[j]);
    }
    /* times ascending, the folded i1 at 400 with the purchase weight (8 > view 1) */
    assert_int_equal(s.time[s.off[r1]], 200);
    assert_int_equal(s.time[s.off[r1] + 2], 400);
    assert_true(s.weight[s.off[r1] + 2] == 8.0f);
    assert_true(s.weight[s.off[r1]] == 1.0f);
    /* sorted copy is sorted */
    for (uint64_t t = s.off[r1] + 1; t < s.off[r1 + 1]; t++) {
        assert_true(s.sorted[t - 1] < s.sorted[t]);
    }
    /* windows: padding first */
    uint32_t win[4];
    pt__seq_window(&s, r1, s.off[r1] + 2, 4, win);
    assert_int_equal(win[0], s.n_items);
    assert_int_equal(win[1], s.n_items);
    assert_int_equal(win[2], s.item[s.off[r1]]);
    assert_int_equal(win[3], s.item[s.off[r1] + 1]);
    pt__seqs_free(ctx, &s);
    pt_graph_free(g);
}

/* Ties in time are ordered so the leave-last-out test item (smallest tie hash) comes last. */
static void test_extract_breaks_ties_like_leave_last_out(void **state) {
    pt_ctx *ctx = *state;
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id rated = iri(b, PT_RATED), u = node(b, "user", 1);
    for (int i = 0; i < 6; i++) {
        pt_builder_add_edge(b, u, rated, node(b, "item", i), 4.0f, 1000); /* all tied */
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt__seqs s;
    assert_int_equal(pt__seq_extract(ctx, g, NULL, &s), PT_OK);
    pt_split_opts so;
    pt_split_opts_default(&so);
    pt_split *sp = NULL;
    assert_int_equal(pt_split_new(ctx, g, &so, &sp), PT_OK);
    pt_interaction x;
    pt_node_id test_item = PT_NONE;
    for (uint64_t k = 0; k < pt_split_count(sp, -1); k++) {
        assert_int_equal(pt_split_get(sp, k, &x), PT_OK);
        if (x.part == PT_PART_TEST) {
            test_item = x.item;
        }
    }
    assert_int_not_equal(test_item, PT_NONE);
    assert_int_equal(s.item_node[s.item[s.off[1] - 1]], test_item);
    pt_split_free(sp);
    pt__seqs_free(ctx, &s);
    pt_graph_free(g);
}

/* --- sampling and augmentation ---------------------------------------------------------------- */

/* Negatives are never seen items (the target is one of them), cover every unseen item, and a
 * user with every item gets none. */
static void test_negative_never_seen(void **state) {
    (void)state;
    uint64_t rng = 11;
    const uint32_t seen[] = {0, 3, 4, 9, 15, 16, 17, 18};
    size_t n_seen = sizeof seen / sizeof seen[0];
    uint32_t hits[20] = {0};
    for (int i = 0; i < 20000; i++) {
        uint32_t c = pt__seq_negative(seen, n_seen, 20, &rng);
        assert_true(c < 20);
        for (size_t j = 0; j < n_seen; j++) {
            assert_int_not_equal(c, seen[j]);
        }
        hits[c]++;
    }
    /* 12 unseen items, ~1667 each: every one drawn, none far off uniform */
    for (uint32_t c = 0; c < 20; c++) {
        int is_seen = 0;
        for (size_t j = 0; j < n_seen; j++) {
            is_seen |= seen[j] == c;
        }
        if (!is_seen) {
            assert_true(hits[c] > 1400 && hits[c] < 1950);
        }
    }
    /* dense user: one unseen item left, found by the scan after rejections */
    uint32_t dense[99];
    for (uint32_t i = 0, k = 0; i < 100; i++) {
        if (i != 57) {
            dense[k++] = i;
        }
    }
    for (int i = 0; i < 50; i++) {
        assert_int_equal(pt__seq_negative(dense, 99, 100, &rng), 57);
    }
    uint32_t all[5] = {0, 1, 2, 3, 4};
    assert_int_equal(pt__seq_negative(all, 5, 5, &rng), UINT32_MAX);
}

/* Count how often value v occurs in a[0..n). */
static int count_of(const uint32_t *a, uint32_t n, uint32_t v) {
    int c = 0;
    for (uint32_t i = 0; i < n; i++) {
        c += a[i] == v;
    }
    return c;
}

/* Crop keeps a contiguous run right-aligned; mask only pads; reorder permutes a run. */
static void test_augment_operators(void **state) {
    (void)state;
    const uint32_t PAD = 100, L = 8;
    const uint32_t orig[8] = {PAD, PAD, 10, 11, 12, 13, 14, 15};
    uint64_t rng = 5;
    int seen_ops[8] = {0};
    for (int trial = 0; trial < 300; trial++) {
        uint32_t w[8];
        memcpy(w, orig, sizeof w);
        uint32_t op = pt__seq_augment(w, L, PAD, PT_SEQ_AUG_CROP, 0.5, &rng);
        assert_int_equal(op, PT_SEQ_AUG_CROP);
        /* 6 real items, floor(0.5 * 6) = 3 dropped: 3 kept, contiguous, at the right */
        assert_int_equal(count_of(w, L, PAD), 5);
        uint32_t first = w[5];
        assert_true(first >= 10 && first <= 13);
        assert_int_equal(w[6], first + 1);
        assert_int_equal(w[7], first + 2);

        memcpy(w, orig, sizeof w);
        op = pt__seq_augment(w, L, PAD, PT_SEQ_AUG_MASK, 0.5, &rng);
        assert_int_equal(op, PT_SEQ_AUG_MASK);
        for (uint32_t j = 0; j < L; j++) {
            assert_true(w[j] == orig[j] || w[j] == PAD);
        }

        memcpy(w, orig, sizeof w);
        op = pt__seq_augment(w, L, PAD, PT_SEQ_AUG_REORDER, 0.5, &rng);
        assert_int_equal(op, PT_SEQ_AUG_REORDER);
        assert_int_equal(w[0], PAD);
        assert_int_equal(w[1], PAD);
        for (uint32_t v = 10; v <= 15; v++) {
            assert_int_equal(count_of(w, L, v), 1); /* a permutation of the real items */
        }
        /* only a run of ceil(0.5 * 6) = 3 moved: at most 3 positions differ, contiguous */
        int lo = -1, hi = -1;
        for (uint32_t j = 0; j < L; j++) {
            if (w[j] != orig[j]) {
                lo = lo < 0 ? (int)j : lo;
                hi = (int)j;
            }
        }
        assert_true(hi - lo < 3);

        memcpy(w, orig, sizeof w);
        op = pt__seq_augment(w, L, PAD, PT_SEQ_AUG_CROP | PT_SEQ_AUG_MASK | PT_SEQ_AUG_REORDER,
                             0.5, &rng);
        seen_ops[op]++;
    }
    assert_true(seen_ops[PT_SEQ_AUG_CROP] > 50 && seen_ops[PT_SEQ_AUG_MASK] > 50 &&
                seen_ops[PT_SEQ_AUG_REORDER] > 50);
    /* a window with one real item is left alone */
    uint32_t w1[3] = {PAD, PAD, 7};
    assert_int_equal(pt__seq_augment(w1, 3, PAD, PT_SEQ_AUG_CROP, 0.5, &rng), 0);
    assert_int_equal(w1[2], 7);
    uint32_t flags = 0;
    assert_int_equal(pt_seq_augment_parse(NULL, "crop,reorder", &flags), PT_OK);
    assert_int_equal(flags, PT_SEQ_AUG_CROP | PT_SEQ_AUG_REORDER);
    pt_ctx *ctx = *state;
    assert_int_equal(pt_seq_augment_parse(ctx, "crop,shuffle", &flags), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "shuffle"));
}

/* --- the network ------------------------------------------------------------------------------ */

/* The analytic gradient of every parameter of the full Caser forward/backward (embeddings,
 * horizontal and vertical convolutions, max over time, dense, user embeddings, output
 * embeddings and biases) against central differences on a tiny instance. */
static void test_gradient_check(void **state) {
    pt_ctx *ctx = *state;
    pt_seq_params p;
    pt_seq_params_default(&p);
    p.L = 3;
    p.dim = 4;
    p.n_h = 2;
    p.n_v = 2;
    p.dropout = 0.0;
    p.seed = 3;
    pt_seq_model *m = NULL;
    assert_int_equal(pt__seq_model_new(ctx, &p, 6, 2, &m), PT_OK);
    pt__params *reg = pt__seq_model_registry(m);
    /* scale the weights up a little so every unit is active somewhere and values are O(1) */
    for (size_t i = 0; i < reg->n; i++) {
        for (size_t j = 0; j < reg->items[i]->n; j++) {
            reg->items[i]->w[j] *= 3.0f;
        }
    }
    const uint32_t win[] = {0, 1, 2, 6, 3, 4, 5, 5, 1}; /* 6 = padding */
    const uint32_t users[] = {0, 1, 1};
    const uint32_t cand[] = {3, 4, 5, 0, 2, UINT32_MAX, 2, 0, 1};
    const float wt[] = {1.0f, 0.5f, 2.0f};
    double loss = 0.0;
    assert_int_equal(pt__seq_batch_loss(m, win, users, cand, 3, 3, wt, &loss), PT_OK);
    assert_true(isfinite(loss) && loss > 0.0);
    /* copy the analytic gradients (the next calls overwrite them) */
    size_t total = pt__params_count(reg);
    float *ana = malloc(total * sizeof *ana);
    size_t at = 0;
    for (size_t i = 0; i < reg->n; i++) {
        memcpy(ana + at, reg->items[i]->g, reg->items[i]->n * sizeof(float));
        at += reg->items[i]->n;
    }
    /* objective = mean over rows of weighted losses = sum_b wt_b * loss_b / n: recompute it
     * from pt__seq_batch_loss's pieces by weighting the rows separately */
    int bad = 0, checked = 0;
    at = 0;
    const float eps = 1e-2f;
    for (size_t i = 0; i < reg->n; i++) {
        pt__param *q = reg->items[i];
        for (size_t j = 0; j < q->n; j++) {
            float keep = q->w[j];
            double lp = 0.0, lm = 0.0, obj_p = 0.0, obj_m = 0.0;
            for (int sign = 0; sign < 2; sign++) {
                q->w[j] = keep + (sign ? -eps : eps);
                double obj = 0.0;
                for (uint32_t b = 0; b < 3; b++) {
                    double lb = 0.0;
                    assert_int_equal(pt__seq_batch_loss(m, win + b * 3, users + b, cand + b * 3,
                                                        1, 3, NULL, &lb),
                                     PT_OK);
                    obj += wt[b] * lb / 3.0;
                }
                if (sign) {
                    obj_m = obj;
                } else {
                    obj_p = obj;
                }
            }
            (void)lp;
            (void)lm;
            q->w[j] = keep;
            double num = (obj_p - obj_m) / (2.0 * eps);
            double a = ana[at + j];
            checked++;
            if (fabs(num - a) > 2e-3 + 2e-2 * (fabs(num) + fabs(a))) {
                if (bad < 10) {
                    print_message("grad %s[%zu]: analytic %.6f numeric %.6f\n", q->name, j, a,
                                  num);
                }
                bad++;
            }
        }
        at += q->n;
    }
    free(ana);
    /* a max or ReLU kink inside +-eps may flip one value; anything more is a bug */
    assert_true(checked > 200);
    assert_true(bad <= 2);
    pt_seq_model_free(m);
}

/* Parameter registry of two models is identical, value for value. */
static int same_params(pt_seq_model *a, pt_seq_model *b) {
    pt__params *ra = pt__seq_model_registry(a), *rb = pt__seq_model_registry(b);
    if (ra->n != rb->n) {
        return 0;
    }
    for (size_t i = 0; i < ra->n; i++) {
        if (ra->items[i]->n != rb->items[i]->n ||
            memcmp(ra->items[i]->w, rb->items[i]->w, ra->items[i]->n * sizeof(float)) != 0) {
            return 0;
        }
    }
    return 1;
}

/* The model learns a deterministic next item: hit@1 on the item after each sequence. */
static void test_learns_deterministic_next_item(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 40, 20, 10);
    pt_seq_params p;
    tiny_params(&p);
    pt_seq_model *m = NULL;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_OK);
    uint32_t found = 0;
    assert_int_equal(pt_seq_bind(ctx, m, g, &found), PT_OK);
    assert_int_equal(found, 20);
    int hits = 0;
    for (int u = 0; u < 40; u++) {
        char buf[64];
        snprintf(buf, sizeof buf, "https://t.example/user/%d", u);
        pt_rec_query q;
        pt_rec_query_init(&q, pt_graph_lookup(g, buf, strlen(buf), PT_TERM_IRI), 1);
        pt_rec_item it;
        size_t n = 0;
        int flags = -1;
        assert_int_equal(pt_seq_recommend(ctx, m, NULL, NULL, -1.0, &q, &it, &n, &flags), PT_OK);
        assert_int_equal(n, 1);
        assert_int_equal(flags, PT_REC_PERSONAL);
        snprintf(buf, sizeof buf, "https://t.example/item/%d", ((u * 7) % 20 + 10) % 20);
        hits += strcmp(pt_graph_node_str(g, it.item), buf) == 0;
    }
    print_message("hit@1 on the deterministic next item: %d / 40\n", hits);
    assert_true(hits >= 36);
    pt_seq_model_free(m);
    pt_graph_free(g);
}

/* Training is a function of the seed: the same seed gives the same weights, another seed
 * other weights. */
static void test_training_is_deterministic(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 12, 10, 6);
    pt_seq_params p;
    tiny_params(&p);
    p.epochs = 3;
    p.augment = PT_SEQ_AUG_CROP | PT_SEQ_AUG_MASK | PT_SEQ_AUG_REORDER;
    pt_seq_model *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &a), PT_OK);
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &b), PT_OK);
    p.seed = 8;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &c), PT_OK);
    assert_true(same_params(a, b));
    assert_false(same_params(a, c));
    pt_seq_model_free(a);
    pt_seq_model_free(b);
    pt_seq_model_free(c);
    pt_graph_free(g);
}

/* Save and load give the same model bit for bit (and the same scores); a corrupt, truncated
 * or foreign file is a clear PT_EPARSE. */
static void test_save_load_round_trip(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 12, 10, 6);
    pt_seq_params p;
    tiny_params(&p);
    p.epochs = 2;
    pt_seq_model *m = NULL, *l = NULL;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_OK);
    pt_seq_model_set_blend(m, 0.3);
    char path[] = "/tmp/test_seq_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(pt_seq_save(ctx, m, path), PT_OK);
    assert_int_equal(pt_seq_load(ctx, path, &l), PT_OK);
    assert_true(same_params(m, l));
    assert_true(pt_seq_model_blend(l) == 0.3);
    assert_int_equal(pt_seq_model_item_count(l), 10);
    assert_int_equal(pt_seq_model_user_count(l), 12);
    assert_int_equal(memcmp(pt_seq_model_params(m), pt_seq_model_params(l), sizeof p), 0);
    assert_int_equal(pt_seq_bind(ctx, m, g, NULL), PT_OK);
    assert_int_equal(pt_seq_bind(ctx, l, g, NULL), PT_OK);
    float va[32], vb[32];
    pt_node_id u3 = pt_graph_lookup(g, "https://t.example/user/3", 24, PT_TERM_IRI);
    assert_int_equal(pt_seq_user_vector(ctx, m, u3, va), PT_OK);
    assert_int_equal(pt_seq_user_vector(ctx, l, u3, vb), PT_OK);
    assert_int_equal(memcmp(va, vb, 2 * p.dim * sizeof(float)), 0);
    pt_seq_model_free(l);
    l = NULL;

    /* flip one byte in the middle: checksum mismatch */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, size / 2, SEEK_SET);
    fputc(ch ^ 0x40, f);
    fclose(f);
    assert_int_equal(pt_seq_load(ctx, path, &l), PT_EPARSE);
    assert_null(l);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "checksum"));
    /* truncated */
    assert_int_equal(pt_seq_save(ctx, m, path), PT_OK);
    assert_int_equal(truncate(path, size - 100), 0);
    assert_int_equal(pt_seq_load(ctx, path, &l), PT_EPARSE);
    /* foreign */
    f = fopen(path, "wb");
    fputs("user,item,timestamp\n1,2,3\n", f);
    fclose(f);
    assert_int_equal(pt_seq_load(ctx, path, &l), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "not a sequence model"));
    remove(path);
    assert_int_equal(pt_seq_load(ctx, path, &l), PT_EIO);
    pt_seq_model_free(m);
    pt_graph_free(g);
}

/* User vectors go onto the user nodes under pt:sequenceEmbedding, 2d floats each. */
static void test_user_vectors_on_graph(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 8, 10, 5);
    pt_seq_params p;
    tiny_params(&p);
    p.epochs = 2;
    pt_seq_model *m = NULL;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_OK);
    assert_int_equal(pt_seq_bind(ctx, m, g, NULL), PT_OK);
    uint64_t n = 0;
    assert_int_equal(pt_seq_store_user_vectors(ctx, m, g, &n), PT_OK);
    assert_int_equal(n, 8);
    pt_node_id pred = pt_graph_lookup(g, PT_SEQUENCE_EMBEDDING, strlen(PT_SEQUENCE_EMBEDDING),
                                      PT_TERM_IRI);
    assert_int_not_equal(pred, PT_NONE);
    assert_int_equal(pt_graph_vector_count(g, pred), 8);
    pt_node_id u5 = pt_graph_lookup(g, "https://t.example/user/5", 24, PT_TERM_IRI);
    float got[64], want[64];
    assert_int_equal(pt_graph_get_vector(g, u5, pred, got, 64), 2 * p.dim);
    assert_int_equal(pt_seq_user_vector(ctx, m, u5, want), PT_OK);
    /* the stored vectors were computed in a batch: the GEMM may round differently */
    for (uint32_t c = 0; c < 2 * p.dim; c++) {
        assert_true(fabsf(got[c] - want[c]) <= 1e-5f * (1.0f + fabsf(want[c])));
    }
    pt_seq_model_free(m);
    pt_graph_free(g);
}

/* Bad parameters and a graph without sequences are clear errors. */
static void test_bad_input(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 4, 5, 1); /* one item per user: nothing to learn */
    pt_seq_params p;
    tiny_params(&p);
    pt_seq_model *m = NULL;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_EINVAL);
    assert_null(m);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "nothing to learn"));
    pt_graph_free(g);
    g = cycle_shop(ctx, 4, 5, 3);
    p.L = 0;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "L must"));
    tiny_params(&p);
    p.dropout = 1.0;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "dropout"));
    tiny_params(&p);
    p.epochs = 1;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_OK);
    pt_rec_query q;
    pt_rec_query_init(&q, 0, 3);
    pt_rec_item out[3];
    size_t n;
    int flags;
    assert_int_equal(pt_seq_recommend(ctx, m, NULL, NULL, -1.0, &q, out, &n, &flags), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "not bound"));
    pt_seq_model_free(m);
    pt_graph_free(g);
}

/* Recommendations exclude seen items, honour --exclude, and the hybrid blends with the
 * walks; a user unknown to the graph gets the popular fallback. */
static void test_recommend_seq_and_hybrid(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 30, 15, 8);
    pt_seq_params p;
    tiny_params(&p);
    p.epochs = 20;
    pt_seq_model *m = NULL;
    pt_recommender *r = NULL;
    pt_rec_scratch *s = NULL;
    assert_int_equal(pt_seq_train(ctx, g, &p, NULL, NULL, &m), PT_OK);
    assert_int_equal(pt_seq_bind(ctx, m, g, NULL), PT_OK);
    assert_int_equal(pt_recommender_new(ctx, g, NULL, &r), PT_OK);
    assert_int_equal(pt_rec_scratch_new(r, &s), PT_OK);
    pt_node_id u = pt_graph_lookup(g, "https://t.example/user/2", 24, PT_TERM_IRI);
    pt_node_id nxt = pt_graph_lookup(g, "https://t.example/item/7", 24, PT_TERM_IRI);
    /* user 2 starts at 14: 14,0,1,..,6, so item 7 is next */
    pt_rec_item out[15];
    size_t n = 0;
    int flags = -1;
    for (int mode = 0; mode < 2; mode++) {
        pt_rec_query q;
        pt_rec_query_init(&q, u, 15);
        assert_int_equal(pt_seq_recommend(ctx, m, mode ? r : NULL, mode ? s : NULL, 0.5, &q, out,
                                          &n, &flags),
                         PT_OK);
        assert_int_equal(n, 7); /* 15 items, 8 seen */
        for (size_t j = 0; j < n; j++) {
            pt_edge e;
            pt_node_id bought = pt_graph_lookup(g, PT_PURCHASED, strlen(PT_PURCHASED),
                                                PT_TERM_IRI);
            assert_false(pt_graph_edge_find(g, u, bought, out[j].item, &e));
            assert_true(j == 0 || out[j - 1].score >= out[j].score);
        }
        if (mode == 0) {
            assert_int_equal(out[0].item, nxt);
        }
        q.exclude = &nxt;
        q.n_exclude = 1;
        assert_int_equal(pt_seq_recommend(ctx, m, mode ? r : NULL, mode ? s : NULL, 0.5, &q, out,
                                          &n, &flags),
                         PT_OK);
        assert_int_equal(n, 6);
        for (size_t j = 0; j < n; j++) {
            assert_int_not_equal(out[j].item, nxt);
        }
    }
    /* an item node that is not a user: no behaviour, popular */
    pt_rec_query q;
    pt_rec_query_init(&q, nxt, 3);
    assert_int_equal(pt_seq_recommend(ctx, m, NULL, NULL, 0.5, &q, out, &n, &flags), PT_OK);
    assert_int_equal(flags, PT_REC_POPULAR);
    assert_int_equal(n, 3);
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_seq_model_free(m);
    pt_graph_free(g);
}

/* pt_seq_eval on leave-last-out: the model finds the held-out next item, and the hybrid's
 * blend is chosen on validation (never 0 here, where the sequence signal is perfect). */
static void test_eval_protocol(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 40, 20, 10);
    pt_split_opts so;
    pt_split_opts_default(&so);
    pt_split *s = NULL;
    assert_int_equal(pt_split_new(ctx, g, &so, &s), PT_OK);
    assert_int_equal(pt_split_test_user_count(s), 40);
    pt_seq_params p;
    tiny_params(&p);
    pt_eval_opts o;
    pt_eval_opts_default(&o);
    pt_walk_params wp;
    pt_walk_params_default(&wp);
    pt_eval_result r;
    pt_seq_eval_info info;
    assert_int_equal(pt_seq_eval(ctx, g, s, PT_SEQ_EVAL_SEQ, &p, NULL, &o, NULL, NULL, NULL, &r,
                                 &info),
                     PT_OK);
    assert_int_equal(r.n_users, 40);
    assert_int_equal(r.n_items, 20);
    print_message("seq: Hit@10 %.3f NDCG@10 %.3f\n", r.m[0].hit, r.m[0].ndcg);
    assert_true(r.m[0].ndcg > 0.8);
    pt_split_opts vo = so;
    assert_int_equal(pt_seq_eval(ctx, g, s, PT_SEQ_EVAL_HYBRID, &p, &wp, &o, &vo, NULL, NULL, &r,
                                 &info),
                     PT_OK);
    print_message("hybrid: blend %.1f NDCG@10 %.3f\n", info.blend, r.m[0].ndcg);
    /* the chosen blend is the first best point of the validation curve */
    int best = 0;
    for (int b = 0; b < 11; b++) {
        best = info.val_ndcg[b] > info.val_ndcg[best] ? b : best;
    }
    assert_true(fabs(info.blend - best / 10.0) < 1e-9);
    assert_true(info.blend >= 0.0 && info.blend <= 1.0);
    assert_true(r.m[0].ndcg > 0.8);
    pt_split_free(s);
    pt_graph_free(g);
}

/* Every allocation failure in training, saving, loading, binding and recommending is a clean
 * PT_ENOMEM with nothing leaked (LeakSanitizer checks under ASan), until the call succeeds. */
static void test_out_of_memory(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g = cycle_shop(ctx, 6, 8, 4);
    pt_seq_params p;
    tiny_params(&p);
    p.epochs = 1;
    p.batch = 8;
    pt_seq_model *m = NULL;
    int rc = PT_ENOMEM, n = 0;
    for (n = 1; n < 5000 && rc != PT_OK; n++) {
        pt__ctx_fail_after(ctx, (uint64_t)n);
        rc = pt_seq_train(ctx, g, &p, NULL, NULL, &m);
        pt__ctx_fail_after(ctx, 0);
        if (rc != PT_OK) {
            assert_int_equal(rc, PT_ENOMEM);
            assert_null(m);
        }
    }
    assert_int_equal(rc, PT_OK);
    print_message("training succeeded from allocation %d on\n", n - 1);
    char path[] = "/tmp/test_seq_oom_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(pt_seq_save(ctx, m, path), PT_OK);
    pt_seq_model *l = NULL;
    rc = PT_ENOMEM;
    for (n = 1; n < 5000 && rc != PT_OK; n++) {
        pt__ctx_fail_after(ctx, (uint64_t)n);
        rc = pt_seq_load(ctx, path, &l);
        pt__ctx_fail_after(ctx, 0);
        if (rc != PT_OK) {
            assert_int_equal(rc, PT_ENOMEM);
            assert_null(l);
        }
    }
    assert_int_equal(rc, PT_OK);
    remove(path);
    rc = PT_ENOMEM;
    pt_node_id u = pt_graph_lookup(g, "https://t.example/user/1", 24, PT_TERM_IRI);
    for (n = 1; n < 5000 && rc != PT_OK; n++) {
        pt__ctx_fail_after(ctx, (uint64_t)n);
        rc = pt_seq_bind(ctx, l, g, NULL);
        if (rc == PT_OK) {
            pt_rec_query q;
            pt_rec_query_init(&q, u, 3);
            pt_rec_item out[3];
            size_t n_out;
            int flags;
            rc = pt_seq_recommend(ctx, l, NULL, NULL, -1.0, &q, out, &n_out, &flags);
        }
        pt__ctx_fail_after(ctx, 0);
        if (rc != PT_OK) {
            assert_int_equal(rc, PT_ENOMEM);
        }
    }
    assert_int_equal(rc, PT_OK);
    pt_seq_model_free(l);
    pt_seq_model_free(m);
    pt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_extract_orders_by_time, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_extract_breaks_ties_like_leave_last_out, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_negative_never_seen, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_augment_operators, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_gradient_check, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_learns_deterministic_next_item, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_training_is_deterministic, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_save_load_round_trip, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_user_vectors_on_graph, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_bad_input, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_recommend_seq_and_hybrid, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_eval_protocol, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_out_of_memory, ctx_up, ctx_down),
    };
    return cmocka_run_group_tests_name("seq", tests, NULL, NULL);
}
