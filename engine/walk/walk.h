/*
 * walk.h - the recommender's internal layout, shared by the files of engine/walk/ and by the
 * walk tests. Not installed.
 *
 * A pt_recommender is a compact, typed copy of the part of the graph that recommendations walk
 * on, in "local" ids: users 0..n_users-1, items 0..n_items-1 and features (tags, categories,
 * brands) 0..n_feats-1, each with a table back to graph node ids. Every (user, item) pair with
 * at least one behaviour edge becomes one aggregated edge whose weight folds the action weights,
 * the rating and the strongest predicate (kept for explanations). Both directions are stored as
 * CSR with, per edge, an alias entry (Walker's alias method, Vose's construction) so a weighted
 * step is one uniform draw and one memory read.
 *
 * Files: index.c builds and frees the index; sample.c runs the batched, prefetching walkers;
 * exact.c computes P3alpha / RP3beta exactly, personalised PageRank by forward push, the
 * popularity ranking and the EASE^R item-item model (BLAS / LAPACK); recommend.c is the public API (queries, filters, top-k, explanations,
 * batches on threads).
 */
#ifndef PT_WALK_INT_H
#define PT_WALK_INT_H

#include "core/core.h"
#include "graph/graph.h"

#define PT__NOIDX 0xFFFFFFFFu
#define PT__MAX_WALKERS 64
#define PT__MAX_VIA                                                                                \
    5 /* nodes between the query item and the item in a recorded path (8 in all                    \
         with the user, the query item and the item: pt_rec_path's capacity) */

/* Kinds of a feature, and of one meta-path hop. */
enum { PT__F_TAG = 0, PT__F_CAT = 1, PT__F_BRAND = 2, PT__F_KINDS = 3 };
enum { PT__HOP_CB = 0, PT__HOP_TAG, PT__HOP_CAT, PT__HOP_BRAND, PT__HOP_UP, PT__HOPS };

/* One alias-table entry of a CSR row: draw k uniformly in the row, then take `a` with
 * probability `p`, else `b`. Both candidates sit in the entry, so a step reads one entry. */
typedef struct pt__alias {
    uint32_t a, b;
    float p;
} pt__alias;

/* Row header of a user: its row u_*[off, end) with room up to off + cap (rows that grow by
 * pt_recommender_sync move to the end of the arrays with room to spare), and the importance
 * factor of its alpha-transformed transitions (sum over the row of (w / row sum)^alpha; 1 when
 * alpha = 1). */
typedef struct pt__urow {
    uint32_t off, end;
    float c;
    uint32_t cap;
} pt__urow;

/* Row header of an item: its row i_*[off, end) with room up to off + cap, importance factor,
 * offset of its features in if_* and how many tags, categories and brands it has (in that
 * order in if_*). 24 bytes, so a walker's prefetch of one header brings everything a step from
 * the item needs. */
typedef struct pt__irow {
    uint32_t off, end;
    float c;
    uint32_t f_off;
    uint16_t n_tag;
    uint8_t n_cat;
    uint8_t n_brand;
    uint32_t cap;
} pt__irow;

/* Row header of a feature: its items (fi_*), the items of its children categories and its own
 * (sub_*, categories only) and its parent category (feature index, or PT__NOIDX). */
typedef struct pt__frow {
    uint32_t off;
    uint32_t sub_off;
    uint32_t parent;
    uint32_t kind;
} pt__frow;

struct pt_recommender {
    pt_ctx *ctx;
    const pt_graph *g;
    pt_walk_params p;
    double hop_w[PT__HOPS]; /* meta-path weights, PT__HOP_UP unused (category_up decides) */
    int has_meta;           /* some item has features and some feature weight is > 0 */
    int walkers;            /* walkers in flight per thread (1..PT__MAX_WALKERS); benchmarks
                               set 1 to measure the walk without interleaving */

    uint32_t n_nodes; /* graph nodes when built */
    uint32_t *loc;    /* [n_nodes] local index of a user, item or feature node, or PT__NOIDX */
    uint8_t *kind;    /* [n_nodes] 0 none, 1 user, 2 item, 3 feature */

    /* users: aggregated behaviour rows, sorted by item */
    uint32_t n_users;
    pt_node_id *user_node;
    pt__urow *urow; /* [n_users + 1] */
    uint32_t *u_item;
    float *u_w;         /* combined weight (actions, rating) */
    int64_t *u_time;    /* latest time of the pair, PT_TIME_UNKNOWN */
    pt_node_id *u_pred; /* the strongest predicate of the pair */
    pt__alias *u_alias; /* step user -> item, probability ~ w^alpha */
    float *u_pa;        /* (w / row sum)^alpha: the exact P3alpha transition term */
    int64_t *user_last; /* [n_users] latest known event time, PT_TIME_UNKNOWN */

    /* items: transposed rows (users of the item, sorted by user) and features */
    uint32_t n_items;
    pt_node_id *item_node;
    pt__irow *irow; /* [n_items + 1] */
    uint32_t *i_user;
    float *i_w;
    pt__alias *i_alias;  /* step item -> user */
    float *i_pa;         /* (w / row sum)^alpha */
    float *i_upa;        /* the other direction at the same entry: user i_user[k]'s u_pa of
                            this item, so explanations need not search the user's row */
    uint32_t *if_feat;   /* features of items: tags, then categories, then brands */
    pt_node_id *if_pred; /* the predicate of each */
    double *pop_pen;     /* [n_items] max(1, users)^-beta */
    uint32_t *pop_order; /* items by number of users, descending, then by id */

    /* features */
    uint32_t n_feats;
    pt_node_id *feat_node;
    pt__frow *frow; /* [n_feats + 1] */
    uint32_t *fi_item;
    uint32_t *sub_item;
    pt_node_id *parent_pred; /* [n_feats] predicate of the broader edge, PT_NONE */
    uint32_t *children;      /* category children, CSR by ch_off */
    uint32_t *ch_off;        /* [n_feats + 1] */
    uint64_t n_ui;           /* aggregated user-item edges */
    uint64_t u_len, i_len;   /* used length of the u_* and i_* arrays (rows and their room) */
    uint64_t u_cap, i_cap;   /* allocated length of the u_* and i_* arrays; 0 = as built */
    uint32_t user_cap, item_cap; /* allocated rows of the per-user and per-item arrays; 0 = as
                                    built (n_users + 1, n_items + 1) */
    uint32_t ease_n;         /* items when ease_b was fitted (later items have no EASE row) */
    /* ItemKNN: the neighbours of item i are knn_nbr[knn_off[i] .. knn_off[i + 1]) with their
     * similarities knn_sim, most similar first; items >= knn_n came after the fit */
    uint32_t *knn_off, *knn_nbr;
    float *knn_sim;
    uint32_t knn_n;
    uint64_t j_seen;         /* graph change-journal position taken in (pt_recommender_sync) */
    uint32_t scratch_gen;    /* bumped whenever per-user/item/feature arrays grow */
    uint32_t *pop_pos;       /* [n_items] position in pop_order, made by the first sync */
    uint32_t node_cap;       /* allocated entries of loc and kind; 0 = n_nodes as built */
    int broken;              /* a sync failed half-way: queries fail until a sync rebuilds */
    double *ease_b;          /* [n_items * n_items] EASE^R weights, row i = query item i, or
                                NULL (methods other than ease / hybrid) */
    uint64_t n_if;           /* item-feature edges */
};

/* A walk hit kept for explanations, 24 bytes in the walk's hit log: the item reached, the
 * query item the walk started from, and the last item hop only, linked to the hit that ended
 * the walk's previous hop (whose path is this one's prefix). A hop is mid[0..nmid) of kind
 * `kind`: one user ('u'), or a feature and maybe its parent category ('f'). nvia counts the
 * nodes between q and item on the whole path (recorded only up to PT__MAX_VIA). */
typedef struct pt__hit {
    uint32_t item, q;
    uint32_t prev; /* log index of the walk's previous hit, PT__NOIDX for its first item hop */
    uint32_t mid[2];
    uint8_t nmid, kind, nvia;
} pt__hit;

/* A hit's whole path, rebuilt from the log by pt__walk_hit_path: the nodes between q and item
 * in walk order (local ids; vk[j] says whether via[j] is a user 'u', an item 'i' or a feature
 * 'f'). */
typedef struct pt__wpath {
    uint32_t item, q;
    uint32_t via[PT__MAX_VIA];
    uint8_t nvia;
    uint8_t vk[PT__MAX_VIA];
} pt__wpath;

/* The best three (query item, aux) terms that reached one intermediate node (exact methods). */
typedef struct pt__top3 {
    uint32_t q[3], aux[3];
    float x[3];
} pt__top3;

struct pt_rec_scratch {
    pt_recommender *r;
    pt_ctx *ctx;
    /* per item */
    double *score;   /* accumulated score of the query */
    double *vq;      /* per-query-item visits (multi-hit) */
    uint32_t *count; /* visit counts (early stop) */
    uint32_t *stamp; /* == cur_stamp: the user's own item */
    uint32_t cur_stamp;
    uint32_t *touched, n_touched; /* items with score != 0 */
    uint32_t *tq, n_tq;           /* items with vq != 0 */
    /* per intermediate: users, then features (direct), then parent categories (up) */
    double *mid;
    uint32_t *mid_touched, n_mid;
    pt__top3 *top3; /* explain only, allocated on first use */
    /* query items */
    uint32_t *qi;
    double *qw;
    double *qcum;      /* scratch of query weights (sorting, alias construction) */
    pt__alias *qalias; /* alias table for drawing a query item */
    uint32_t n_q;
    /* explain hits of walks: the log of this lane (the second lane's is in lane->hits), and
     * the paths of the hits explain_items samples (allocated on first use) */
    pt__hit *hits;
    size_t n_hits, hits_cap;
    pt__wpath *wpath;
    size_t wpath_cap;
    uint32_t *slot_n; /* [2 * (n_items + 1)]: recorded and sampled hits per output slot */
    /* PPR push over users, items, features in one index space */
    double *ppr_p, *ppr_r;
    uint32_t *ppr_queue, *ppr_list, n_ppr_list;
    uint8_t *ppr_flag;   /* 1 in the queue, 2 touched */
    uint32_t query_user; /* local id of the querying user, PT__NOIDX */
    /* candidates */
    uint32_t *cand;
    size_t n_cand;
    uint32_t *cat_count; /* [n_feats] diversity counts */
    /* EASE^R / hybrid: dense per-item scores of the EASE part and of the RP3beta part, and
     * the blend's standardisation (mean, 1/std of each part over the unseen items) */
    double *ease_s, *rp3_s;
    double *knn_s; /* hybrid with knn_blend > 0: the dense ItemKNN part */
    double z_mean[3], z_inv[3];
    /* statistics of the last query */
    pt_rec_stats stats;
    /* Pixie's second lane of walks (half the budget, its own seed), made on first use; run on
     * a thread of its own unless no_threads (batch workers, which are threads already) */
    struct pt_rec_scratch *lane;
    int no_threads;
    void *lane_job; /* sample.c's state of the second lane's thread, made on first use */
};

/* --- index.c ------------------------------------------------------------------------------- */
/* Build the index of `r` (fields ctx, g and p set) from its graph. PT_OK or PT_ENOMEM. */
int pt__walk_index_build(pt_recommender *r);
/* Free every array of the index (not `r`). */
void pt__walk_index_free(pt_recommender *r);
/* Weight of one behaviour edge of role `role` with stored weight `w`: the action weight,
 * scaled by the rating for rated/reviewed edges (see docs/WALKS.md). */
double pt__walk_edge_weight(const pt_walk_params *p, pt_role role, double w);
/* Alias entries out[0..n) over w^alpha for destinations dst, pa[j] = (w_j / sum w)^alpha;
 * qv, sm, lg: scratch of n entries. Returns the row's importance factor (1 when empty). */
float pt__walk_alias(const uint32_t *dst, const float *w, uint32_t n, double alpha,
                     pt__alias *out, float *pa, double *qv, uint32_t *sm, uint32_t *lg);
/* ItemKNN (exact.c): build the neighbour lists (PT_OK, PT_ENOMEM, PT_ELIMIT with a message);
 * add sum_q qw_q sim(q, j) to the scores; the similarity of q and it (0 when not neighbours). */
int pt__walk_knn_build(pt_recommender *r);
void pt__walk_knn_scores(pt_rec_scratch *s);
/* The same into the dense out[] (every item; the caller clears it). */
void pt__walk_knn_dense(const pt_rec_scratch *s, double *out);
double pt__walk_knn_sim(const pt_recommender *r, uint32_t q, uint32_t it);
/* Position of item `it` in user `u`'s row, or PT__NOIDX. */
uint32_t pt__walk_user_find(const pt_recommender *r, uint32_t u, uint32_t it);
/* First position in the sorted a[lo, hi) whose value is >= x (hi when none). */
static inline uint32_t pt__walk_lower(const uint32_t *a, uint32_t lo, uint32_t hi, uint32_t x) {
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}
/* Copy user u's transition terms (u_pa) into the i_upa entries of the items' rows; after the
 * user's row or its u_pa changed. O(row x log(item row)). */
void pt__walk_upa_fill(pt_recommender *r, uint32_t u);
/* Parent category of feature f or PT__NOIDX. */
uint32_t pt__walk_parent(const pt_recommender *r, uint32_t f);

/* --- sync.c ------------------------------------------------------------------------------- */
/* pt_recommender_sync is public (pt_walk.h); sync.c also owns the rebuild it falls back to. */

/* --- sample.c ------------------------------------------------------------------------------ */
/* Sample walks from the query items s->qi/s->qw (s->n_q of them) with the recommender's
 * parameters, `steps` edge traversals in all, seeded by `seed`; item scores go to s->score /
 * s->touched, with multi-hit boosting when r->p.multi_hit. With `record`, hits whose path
 * has at most PT__MAX_VIA intermediate nodes are appended to s->hits. Returns PT_OK or PT_ENOMEM.
 */
int pt__walk_sample(pt_rec_scratch *s, uint64_t steps, uint64_t seed, int record);
/* Join a second-lane thread that may still be finishing and free its state (scratch release). */
void pt__walk_lane_free(pt_rec_scratch *s);
/* The whole path of hit h of the log `log` (following the prev links). */
void pt__walk_hit_path(const pt__hit *log, uint32_t h, pt__wpath *out);

/* --- exact.c ------------------------------------------------------------------------------- */
/* Exact one-hop scores (P3alpha over the query distribution, with the meta-path kernel), in
 * two steps. _mid spreads the query weights s->qw to the intermediate nodes (s->mid): with
 * the index's (w / row sum)^alpha, or the raw w / row sum when `raw`; `up` is the
 * category-up share; with `record`, s->top3 gets the best terms per intermediate. _items then
 * spreads the intermediates to the items (alpha transitions) into s->score. */
int pt__walk_exact_mid(pt_rec_scratch *s, int raw, double up, int record);
void pt__walk_exact_items(pt_rec_scratch *s);
/* EASE^R: build r->ease_b from the index (binary X). PT_OK, PT_ENOMEM, PT_ELIMIT (more than
 * PT__EASE_MAX_ITEMS items), PT_EINVAL (the Gram matrix is not positive definite). The message
 * is set on r->ctx. */
#define PT__EASE_MAX_ITEMS 20000u
int pt__walk_ease_build(pt_recommender *r);
/* EASE^R scores x_u B of the query vector x_u = the query weights s->qw of the items s->qi
 * (uniform - plain EASE^R - when the recency and action weights are all equal; recency-weighted
 * otherwise) into the dense s->ease_s (every item, seen ones included); the caller reads it,
 * clear_query clears it. */
void pt__walk_ease_scores(pt_rec_scratch *s);
/* Personalised PageRank by forward push from the query distribution; item masses into
 * s->score. Threshold eps per unit of degree. */
int pt__walk_ppr(pt_rec_scratch *s, double restart, double eps);
/* Add `x` (> 0) to item `it`'s score, tracking touched items. */
static inline void pt__walk_add(pt_rec_scratch *s, uint32_t it, double x) {
    if (!(x > 0.0)) {
        return;
    }
    if (s->score[it] == 0.0) {
        s->touched[s->n_touched++] = it;
    }
    s->score[it] += x;
}

#endif /* PT_WALK_INT_H */
