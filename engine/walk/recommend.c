/*
 * recommend.c - the public recommender API (pt_walk.h): parameters, the recommender and its
 * per-thread scratch, one query from the user's items to the ranked, filtered top k with
 * explanations, batches on threads, and pt_rec_explain with its breadth-first fallback.
 *
 * A query: (1) the query distribution - the user's items weighted by the aggregated action and
 * rating weight of the index, times 0.5^(age / half-life) and the recent_boost for the latest
 * item, normalised and raised to alpha; (2) scores from the method (sample.c or exact.c);
 * (3) the popularity penalty; (4) filters (seen, excluded, category subtree); (5) the top k,
 * ties by node id, with the diversity cap; (6) popular items to fill what is left; (7) paths.
 * Everything a query touches is cleared through touched lists, so a warm scratch costs
 * O(work), not O(items), per query.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk/walk.h"

/* --- parameters ---------------------------------------------------------------------------- */

void pt_walk_params_default(pt_walk_params *p) {
    memset(p, 0, sizeof *p);
    p->method = PT_REC_RP3B;
    p->steps = 100000;
    p->restart = 0.7;
    p->alpha = 0.7;
    p->beta = 0.6;
    p->action_weight[PT_ROLE_VIEWED] = 1.0;
    p->action_weight[PT_ROLE_CLICKED] = 2.0;
    p->action_weight[PT_ROLE_CARTED] = 4.0;
    p->action_weight[PT_ROLE_PURCHASED] = 8.0;
    p->action_weight[PT_ROLE_RATED] = 6.0;
    p->action_weight[PT_ROLE_REVIEWED] = 8.0;
    p->rating_center = 0.0;
    p->half_life_days = 0.0;
    p->w_cobehaviour = 1.0;
    p->w_tag = 0.1;
    p->w_category = 0.1;
    p->w_brand = 0.1;
    p->n_p = 0;
    p->n_v = 4;
    p->seed = 42;
    p->threads = 0;
    p->category_up = 0.2;
    p->multi_hit = 0;
    p->rating_power = 1.0;
    p->recent_boost = 1.0;
    p->half_life_events = 2.0;
    p->recency_floor = 0.0;
    p->min_visits = 2;
    p->lambda = 200.0;
    p->blend = 0.5;
    p->knn = 100;
    p->knn_blend = 0.0;
    p->shrink = 10.0;
}

/* Method names, indexed by pt_rec_method. */
static const char *const method_names[] = {"pixie", "p3",     "rp3b",   "ppr",
                                            "pop",   "ease",   "hybrid", "itemknn"};

const char *pt_rec_method_name(pt_rec_method m) {
    return (unsigned)m < sizeof method_names / sizeof method_names[0] ? method_names[m] : "?";
}

int pt_rec_method_parse(const char *name, pt_rec_method *out) {
    for (size_t i = 0; name != NULL && i < sizeof method_names / sizeof method_names[0]; i++) {
        if (strcmp(name, method_names[i]) == 0) {
            *out = (pt_rec_method)i;
            return PT_OK;
        }
    }
    return PT_EINVAL;
}

/* Check every field of `p`; on failure the ctx message names the field. */
static int check_params(pt_ctx *ctx, const pt_walk_params *p) {
    if ((unsigned)p->method > PT_REC_ITEMKNN) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: method %d is unknown", p->method);
    }
    if (p->steps == 0 || p->steps > (UINT64_C(1) << 40)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: steps must be in 1..2^40");
    }
    if (!(p->restart > 0.0 && p->restart <= 1.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: restart must be in (0, 1]");
    }
    if (!(p->alpha > 0.0 && p->alpha <= 8.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: alpha must be in (0, 8]");
    }
    if (!(p->beta >= 0.0 && p->beta <= 4.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: beta must be in [0, 4]");
    }
    double any = 0.0;
    for (int r = PT_ROLE_VIEWED; r <= PT_ROLE_REVIEWED; r++) {
        if (!(p->action_weight[r] >= 0.0) || isinf(p->action_weight[r])) {
            return pt__error(ctx, PT_EINVAL, "pt_recommender_new: action_weight[%s] must be >= 0",
                             pt_role_name((pt_role)r));
        }
        any += p->action_weight[r];
    }
    if (!(any > 0.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: every action_weight is 0");
    }
    if (!(p->rating_center >= 0.0) || !(p->rating_power >= 0.0 && p->rating_power <= 16.0)) {
        return pt__error(ctx, PT_EINVAL,
                         "pt_recommender_new: rating_center must be >= 0, rating_power in [0, 16]");
    }
    if (!(p->half_life_days >= 0.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: half_life_days must be >= 0");
    }
    if (!(p->w_cobehaviour >= 0.0 && p->w_tag >= 0.0 && p->w_category >= 0.0 &&
          p->w_brand >= 0.0) ||
        !(p->w_cobehaviour + p->w_tag + p->w_category + p->w_brand > 0.0)) {
        return pt__error(ctx, PT_EINVAL,
                         "pt_recommender_new: meta-path weights (w_cobehaviour, w_tag, "
                         "w_category, w_brand) must be >= 0 and not all 0");
    }
    if (!(p->category_up >= 0.0 && p->category_up <= 1.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: category_up must be in [0, 1]");
    }
    if (p->n_p > 0 && p->n_v == 0) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: n_v must be >= 1 when n_p > 0");
    }
    if (p->threads < 0 || p->threads > 1024) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: threads must be in 0..1024");
    }
    if (!(p->recency_floor >= 0.0 && p->recency_floor <= 1.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: recency_floor must be in [0, 1]");
    }
    if (!(p->half_life_events >= 0.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: half_life_events must be >= 0");
    }
    if (!(p->recent_boost > 0.0) || isinf(p->recent_boost)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: recent_boost must be > 0");
    }
    if (!(p->lambda >= 0.0) || isinf(p->lambda)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: lambda must be >= 0 and finite");
    }
    if (!(p->blend >= 0.0 && p->blend <= 1.0)) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: blend must be in [0, 1]");
    }
    if (!(p->knn_blend >= 0.0 && p->knn_blend <= 1.0 && p->blend + p->knn_blend <= 1.0 + 1e-9)) {
        return pt__error(ctx, PT_EINVAL,
                         "pt_recommender_new: knn_blend must be in [0, 1] with blend + knn_blend "
                         "<= 1");
    }
    if ((p->method == PT_REC_ITEMKNN || (p->method == PT_REC_HYBRID && p->knn_blend > 0.0)) &&
        (p->knn == 0 || !(p->shrink >= 0.0) || isinf(p->shrink))) {
        return pt__error(ctx, PT_EINVAL,
                         "pt_recommender_new: itemknn needs knn >= 1 and a finite shrink >= 0");
    }
    return PT_OK;
}

/* --- recommender and scratch --------------------------------------------------------------- */

int pt_recommender_new(pt_ctx *ctx, const pt_graph *g, const pt_walk_params *p,
                       pt_recommender **out) {
    pt_walk_params def;
    *out = NULL;
    if (g == NULL) {
        return pt__error(ctx, PT_EINVAL, "pt_recommender_new: graph is NULL");
    }
    if (p == NULL) {
        pt_walk_params_default(&def);
        p = &def;
    }
    int rc = check_params(ctx, p);
    if (rc != PT_OK) {
        return rc;
    }
    pt_recommender *r = pt__calloc(ctx, 1, sizeof *r);
    if (r == NULL) {
        return pt__error(ctx, PT_ENOMEM, "pt_recommender_new: out of memory");
    }
    r->ctx = ctx;
    r->g = g;
    r->p = *p;
    rc = pt__walk_index_build(r);
    if (rc != PT_OK) {
        pt_recommender_free(r);
        return rc == PT_ENOMEM ? pt__error(ctx, rc, "pt_recommender_new: out of memory") : rc;
    }
    if (p->method == PT_REC_EASE || p->method == PT_REC_HYBRID) {
        rc = pt__walk_ease_build(r); /* sets the message */
        if (rc != PT_OK) {
            pt_recommender_free(r);
            return rc;
        }
    }
    if (p->method == PT_REC_ITEMKNN || (p->method == PT_REC_HYBRID && p->knn_blend > 0.0)) {
        rc = pt__walk_knn_build(r); /* sets the message */
        if (rc != PT_OK) {
            pt_recommender_free(r);
            return rc;
        }
    }
    *out = r;
    return PT_OK;
}

void pt_recommender_free(pt_recommender *r) {
    if (r == NULL) {
        return;
    }
    pt__walk_index_free(r);
    pt__free(r->ctx, r);
}

const pt_walk_params *pt_recommender_params(const pt_recommender *r) {
    return &r->p;
}

/* Local user index of graph node `v`, or PT__NOIDX. */
static uint32_t user_of(const pt_recommender *r, pt_node_id v) {
    return v < r->n_nodes && r->kind[v] == 1 ? r->loc[v] : PT__NOIDX;
}

/* Local item index of graph node `v`, or PT__NOIDX. */
static uint32_t item_of(const pt_recommender *r, pt_node_id v) {
    return v < r->n_nodes && r->kind[v] == 2 ? r->loc[v] : PT__NOIDX;
}

uint32_t pt_recommender_user_items(const pt_recommender *r, pt_node_id user) {
    uint32_t u = user_of(r, user);
    return u == PT__NOIDX ? 0 : r->urow[u].end - r->urow[u].off;
}

int pt_recommender_is_item(const pt_recommender *r, pt_node_id node) {
    return item_of(r, node) != PT__NOIDX;
}

/* Extra per-item arrays of a scratch that recommend.c alone uses. */
typedef struct extra {
    uint32_t *xstamp; /* == cur_stamp: excluded by the query */
    uint32_t *oslot;  /* output slot of an item while explaining, PT__NOIDX otherwise */
    uint32_t gen;     /* r->scratch_gen the arrays were sized for */
} extra;

/* Free every per-query array of `s` (not `s`). */
static void scratch_release(pt_rec_scratch *s) {
    pt_ctx *ctx = s->ctx;
    pt__walk_lane_free(s);
    extra *x = (extra *)(s + 1);
    void *arrays[] = {s->score,    s->vq,          s->count,     s->stamp, x->xstamp, x->oslot,
                      s->touched,  s->tq,          s->cand,      s->qi,    s->qw,     s->qcum,
                      s->mid,      s->mid_touched, s->cat_count, s->ppr_p, s->ppr_r,  s->ppr_queue,
                      s->ppr_list, s->ppr_flag,    s->top3,      s->hits,  s->qalias, s->ease_s,
                      s->rp3_s,    s->wpath, s->slot_n, s->knn_s};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        pt__free(ctx, arrays[i]);
    }
    pt_rec_scratch_free(s->lane);
    pt_recommender *r = s->r;
    pt_ctx *keep_ctx = s->ctx;
    int no_threads = s->no_threads;
    memset(s, 0, sizeof *s + sizeof(extra));
    s->r = r;
    s->ctx = keep_ctx;
    s->no_threads = no_threads;
}

/* Size the per-query arrays of `s` for the recommender's current users, items and features
 * (with the room pt_recommender_sync keeps). PT_OK or PT_ENOMEM (then `s` holds no arrays). */
static int scratch_alloc(pt_rec_scratch *s) {
    pt_recommender *r = s->r;
    pt_ctx *ctx = s->ctx;
    size_t nu = r->user_cap > r->n_users ? r->user_cap : r->n_users;
    size_t ni = (r->item_cap > r->n_items ? r->item_cap : r->n_items) + (size_t)1;
    size_t nm = nu + 2 * (size_t)r->n_feats + 1;
    size_t nall = nu + ni + r->n_feats + 1;
    extra *x = (extra *)(s + 1);
    s->score = pt__calloc(ctx, ni, sizeof *s->score);
    s->vq = pt__calloc(ctx, ni, sizeof *s->vq);
    s->count = pt__calloc(ctx, ni, sizeof *s->count);
    s->stamp = pt__calloc(ctx, ni, sizeof *s->stamp);
    x->xstamp = pt__calloc(ctx, ni, sizeof *x->xstamp);
    x->oslot = pt__malloc(ctx, ni * sizeof *x->oslot);
    s->touched = pt__malloc(ctx, ni * sizeof *s->touched);
    s->tq = pt__malloc(ctx, ni * sizeof *s->tq);
    s->cand = pt__malloc(ctx, ni * sizeof *s->cand);
    s->qi = pt__malloc(ctx, ni * sizeof *s->qi);
    s->qw = pt__malloc(ctx, ni * sizeof *s->qw);
    s->qcum = pt__malloc(ctx, ni * sizeof *s->qcum);
    s->qalias = pt__malloc(ctx, ni * sizeof *s->qalias);
    s->mid = pt__calloc(ctx, nm, sizeof *s->mid);
    s->mid_touched = pt__malloc(ctx, nm * sizeof *s->mid_touched);
    s->cat_count = pt__calloc(ctx, (size_t)r->n_feats + 1, sizeof *s->cat_count);
    s->ppr_p = pt__calloc(ctx, nall, sizeof *s->ppr_p);
    s->ppr_r = pt__calloc(ctx, nall, sizeof *s->ppr_r);
    s->ppr_queue = pt__malloc(ctx, nall * sizeof *s->ppr_queue);
    s->ppr_list = pt__malloc(ctx, nall * sizeof *s->ppr_list);
    s->ppr_flag = pt__calloc(ctx, nall, 1);
    int fail = s->score == NULL || s->vq == NULL || s->count == NULL || s->stamp == NULL ||
               x->xstamp == NULL || x->oslot == NULL || s->touched == NULL || s->tq == NULL ||
               s->cand == NULL || s->qi == NULL || s->qw == NULL || s->qcum == NULL ||
               s->qalias == NULL || s->mid == NULL || s->mid_touched == NULL ||
               s->cat_count == NULL || s->ppr_p == NULL || s->ppr_r == NULL ||
               s->ppr_queue == NULL || s->ppr_list == NULL || s->ppr_flag == NULL;
    if (!fail && r->ease_b != NULL) {
        s->ease_s = pt__calloc(ctx, ni, sizeof *s->ease_s);
        s->rp3_s = pt__calloc(ctx, ni, sizeof *s->rp3_s);
        fail = s->ease_s == NULL || s->rp3_s == NULL;
        if (!fail && r->knn_off != NULL) {
            s->knn_s = pt__calloc(ctx, ni, sizeof *s->knn_s);
            fail = s->knn_s == NULL;
        }
    }
    if (fail) {
        scratch_release(s);
        return PT_ENOMEM;
    }
    for (size_t i = 0; i < ni; i++) {
        x->oslot[i] = PT__NOIDX;
    }
    s->query_user = PT__NOIDX;
    s->cur_stamp = 0;
    x->gen = r->scratch_gen;
    return PT_OK;
}

/* Re-size `s` when pt_recommender_sync grew the recommender since `s` was sized. */
static int scratch_fit(pt_rec_scratch *s) {
    extra *x = (extra *)(s + 1);
    if (x->gen == s->r->scratch_gen && s->score != NULL) {
        return PT_OK;
    }
    scratch_release(s);
    return scratch_alloc(s);
}

int pt_rec_scratch_new(pt_recommender *r, pt_rec_scratch **out) {
    pt_ctx *ctx = r->ctx;
    *out = NULL;
    pt_rec_scratch *s = pt__calloc(ctx, 1, sizeof *s + sizeof(extra));
    if (s == NULL) {
        return pt__error(ctx, PT_ENOMEM, "pt_rec_scratch_new: out of memory");
    }
    s->r = r;
    s->ctx = ctx;
    if (scratch_alloc(s) != PT_OK) {
        pt__free(ctx, s);
        return pt__error(ctx, PT_ENOMEM, "pt_rec_scratch_new: out of memory");
    }
    *out = s;
    return PT_OK;
}

void pt_rec_scratch_free(pt_rec_scratch *s) {
    if (s == NULL) {
        return;
    }
    pt_ctx *ctx = s->ctx;
    scratch_release(s);
    pt__free(ctx, s);
}

void pt_rec_scratch_stats(const pt_rec_scratch *s, pt_rec_stats *out) {
    *out = s->stats;
}

void pt_rec_query_init(pt_rec_query *q, pt_node_id user, uint32_t k) {
    memset(q, 0, sizeof *q);
    q->user = user;
    q->k = k;
    q->category = PT_NONE;
    q->now = PT_TIME_UNKNOWN;
}

/* --- one query: scoring -------------------------------------------------------------------- */

/* Order query items by weight, descending, then by item. */
static int cmp_qw(const void *a, const void *b, void *ud) {
    const pt_rec_scratch *s = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (s->qcum[x] != s->qcum[y]) {
        return s->qcum[x] > s->qcum[y] ? -1 : 1;
    }
    return s->qi[x] < s->qi[y] ? -1 : s->qi[x] > s->qi[y];
}

/* Order doubles descending. */
static int cmp_desc(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* Number of entries of the descending array t[0..n) greater than x. */
static uint32_t n_greater(const double *t, uint32_t n, double x) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t[mid] > x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Fill s->qi / s->qw with user u's items and their query weights: the index weight, times
 * the recency decay relative to `now` (the user's latest event when 0 or unknown), the decay
 * by the number of the user's later items, and recent_boost for the latest items; normalised
 * to sum 1, then raised to `alpha`, sorted by weight. Also stamps the user's items as seen. */
static void query_items(pt_rec_scratch *s, uint32_t u, int64_t now, double alpha) {
    const pt_recommender *r = s->r;
    uint32_t lo = r->urow[u].off, hi = r->urow[u].end, n = hi - lo;
    int64_t ref = (now == 0 || now == PT_TIME_UNKNOWN) ? r->user_last[u] : now;
    double hl = r->p.half_life_days * 86400.0, tot = 0.0, hle = r->p.half_life_events;
    double *times = s->ppr_r; /* zero at rest, room for every item */
    double floor_ = r->p.recency_floor;
    if (hle > 0.0) {
        for (uint32_t j = 0; j < n; j++) {
            int64_t t = r->u_time[lo + j];
            times[j] = t == PT_TIME_UNKNOWN ? -1e300 : (double)t;
        }
        qsort(times, n, sizeof *times, cmp_desc);
    }
    for (uint32_t j = 0; j < n; j++) {
        uint32_t k = lo + j;
        double w = r->u_w[k];
        int64_t t = r->u_time[k];
        double decay = 1.0;
        if (hl > 0.0 && t != PT_TIME_UNKNOWN && ref != PT_TIME_UNKNOWN && t < ref) {
            decay *= exp2(-(double)(ref - t) / hl);
        }
        if (hle > 0.0 && t != PT_TIME_UNKNOWN) {
            decay *= exp2(-(double)n_greater(times, n, (double)t) / hle);
        }
        w *= floor_ + (1.0 - floor_) * decay;
        if (r->p.recent_boost != 1.0 && t != PT_TIME_UNKNOWN && t == r->user_last[u]) {
            w *= r->p.recent_boost;
        }
        s->qi[j] = r->u_item[k];
        s->qcum[j] = w;
        tot += w;
        s->stamp[r->u_item[k]] = s->cur_stamp;
    }
    if (hle > 0.0) {
        memset(times, 0, n * sizeof *times);
    }
    /* Sort through an index permutation kept in s->cand, then write back in order. */
    for (uint32_t j = 0; j < n; j++) {
        s->cand[j] = j;
    }
    qsort_r(s->cand, n, sizeof *s->cand, cmp_qw, s);
    for (uint32_t j = 0; j < n; j++) {
        double w = tot > 0.0 ? s->qcum[s->cand[j]] / tot : 1.0 / n;
        s->qw[j] = alpha == 1.0 ? w : pow(w, alpha);
        s->tq[j] = s->qi[s->cand[j]];
    }
    memcpy(s->qi, s->tq, n * sizeof *s->qi);
    s->n_q = n;
    s->n_tq = 0;
}

/* Seed of a query: the recommender's seed mixed with the user's node id, so results do not
 * depend on which thread ran the query or in which order. */
static uint64_t query_seed(const pt_recommender *r, pt_node_id user) {
    uint64_t z = r->p.seed ^ ((uint64_t)user * 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 31)) * 0xD6E8FEB86659FD93ULL;
    return z ^ (z >> 32);
}

/* Hybrid: s->score holds the RP3beta part (unpenalised, from the exact sums). Penalise it by
 * popularity, move it to the dense s->rp3_s, add the EASE^R part to s->ease_s, standardise each
 * part over the items the user has not seen (z-scores: the two parts live on unrelated
 * scales), and set every item's score to blend * z_ease + (1 - blend) * z_rp3, shifted so the
 * lowest is just above 0 (ranking is unchanged by the shift; every item is a candidate). */
static void hybrid_blend(pt_rec_scratch *s) {
    const pt_recommender *r = s->r;
    uint32_t n = r->n_items;
    for (uint32_t j = 0; j < s->n_touched; j++) {
        uint32_t it = s->touched[j];
        s->rp3_s[it] = s->score[it] * (r->p.beta > 0.0 ? r->pop_pen[it] : 1.0);
        s->score[it] = 0.0;
    }
    s->n_touched = 0;
    pt__walk_ease_scores(s);
    int parts = 2;
    if (s->knn_s != NULL && r->p.knn_blend > 0.0) {
        pt__walk_knn_dense(s, s->knn_s);
        parts = 3;
    }
    const double *part[3] = {s->ease_s, s->rp3_s, s->knn_s};
    for (int k = 0; k < parts; k++) {
        double sum = 0.0, sq = 0.0, cnt = 0.0;
        for (uint32_t i = 0; i < n; i++) {
            if (s->stamp[i] != s->cur_stamp) {
                sum += part[k][i];
                sq += part[k][i] * part[k][i];
                cnt += 1.0;
            }
        }
        double mean = cnt > 0.0 ? sum / cnt : 0.0;
        double var = cnt > 0.0 ? sq / cnt - mean * mean : 0.0;
        s->z_mean[k] = mean;
        s->z_inv[k] = var > 1e-300 ? 1.0 / sqrt(var) : 0.0;
    }
    double we = r->p.blend * s->z_inv[0];
    double wr = (1.0 - r->p.blend - (parts == 3 ? r->p.knn_blend : 0.0)) * s->z_inv[1];
    double wk = parts == 3 ? r->p.knn_blend * s->z_inv[2] : 0.0;
    double lo = INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        double c = we * (s->ease_s[i] - s->z_mean[0]) + wr * (s->rp3_s[i] - s->z_mean[1]);
        if (parts == 3) {
            c += wk * (s->knn_s[i] - s->z_mean[2]);
        }
        s->vq[i] = c; /* vq is free outside Pixie */
        lo = c < lo ? c : lo;
    }
    for (uint32_t i = 0; i < n; i++) {
        /* Shifted by the minimum, plus a margin so the lowest item stays a candidate. */
        pt__walk_add(s, i, s->vq[i] - lo + 1e-9);
        s->vq[i] = 0.0;
    }
}

/* Score the items for user u with method `m` into s->score (popularity penalty applied).
 * Returns PT_OK or PT_ENOMEM. */
static int score_user(pt_rec_scratch *s, uint32_t u, pt_node_id user, int64_t now, int explain) {
    const pt_recommender *r = s->r;
    pt_rec_method m = r->p.method;
    int rc = PT_OK;
    query_items(s, u, now,
                m == PT_REC_PPR || m == PT_REC_EASE || m == PT_REC_ITEMKNN ? 1.0 : r->p.alpha);
    s->query_user = u;
    s->stats.query_items = s->n_q;
    switch (m) {
    case PT_REC_PIXIE:
        rc = pt__walk_sample(s, r->p.steps, query_seed(r, user), explain);
        break;
    case PT_REC_P3:
    case PT_REC_RP3B:
        rc = pt__walk_exact_mid(s, 0, r->has_meta ? r->p.category_up : 0.0, explain);
        if (rc == PT_OK) {
            pt__walk_exact_items(s);
        }
        break;
    case PT_REC_PPR:
        rc = pt__walk_ppr(s, r->p.restart, 1.0 / (double)r->p.steps);
        if (rc == PT_OK && explain) {
            rc = pt__walk_exact_mid(s, 1, 0.0, 1);
        }
        break;
    case PT_REC_EASE:
        pt__walk_ease_scores(s);
        for (uint32_t i = 0; i < r->n_items; i++) {
            pt__walk_add(s, i, s->ease_s[i]);
        }
        break;
    case PT_REC_HYBRID:
        rc = pt__walk_exact_mid(s, 0, r->has_meta ? r->p.category_up : 0.0, explain);
        if (rc == PT_OK) {
            pt__walk_exact_items(s);
            hybrid_blend(s);
        }
        break;
    case PT_REC_ITEMKNN:
        pt__walk_knn_scores(s);
        break;
    case PT_REC_POP:
    default:
        break;
    }
    if (m == PT_REC_PIXIE && r->p.min_visits > 1) {
        /* Items seen once or twice have noisy counts, and the popularity penalty multiplies
         * the noise of exactly those (rare) items: leave them out. */
        for (uint32_t j = 0; j < s->n_touched; j++) {
            uint32_t it = s->touched[j];
            if (s->count[it] < r->p.min_visits) {
                s->score[it] = -0.0;
            }
        }
    }
    if (m != PT_REC_P3 && m != PT_REC_EASE && m != PT_REC_HYBRID && r->p.beta > 0.0) {
        for (uint32_t j = 0; j < s->n_touched; j++) {
            uint32_t it = s->touched[j];
            s->score[it] *= r->pop_pen[it];
        }
    }
    s->stats.candidates = s->n_touched;
    return rc;
}

/* Clear everything a query left in the scratch. */
static void clear_query(pt_rec_scratch *s) {
    for (uint32_t j = 0; j < s->n_touched; j++) {
        uint32_t it = s->touched[j];
        s->score[it] = 0.0;
        s->count[it] = 0;
    }
    s->n_touched = 0;
    for (uint32_t j = 0; j < s->n_tq; j++) {
        s->vq[s->tq[j]] = 0.0;
        s->count[s->tq[j]] = 0;
    }
    s->n_tq = 0;
    for (uint32_t j = 0; j < s->n_mid; j++) {
        s->mid[s->mid_touched[j]] = 0.0;
    }
    s->n_mid = 0;
    s->n_hits = 0;
    if (s->lane != NULL) {
        s->lane->n_hits = 0;
    }
    s->n_q = 0;
    s->query_user = PT__NOIDX;
    if (s->ease_s != NULL) {
        memset(s->ease_s, 0, (size_t)s->r->n_items * sizeof *s->ease_s);
        memset(s->rp3_s, 0, (size_t)s->r->n_items * sizeof *s->rp3_s);
        if (s->knn_s != NULL) {
            memset(s->knn_s, 0, (size_t)s->r->n_items * sizeof *s->knn_s);
        }
    }
}

/* --- one query: filters and ranking -------------------------------------------------------- */

/* True when item `it` is in category feature `cat` or below it (up to 64 levels). */
static int in_category(const pt_recommender *r, uint32_t it, uint32_t cat) {
    const pt__irow *ir = &r->irow[it];
    uint32_t o = ir->f_off + ir->n_tag;
    for (uint32_t k = o; k < o + ir->n_cat; k++) {
        uint32_t c = r->if_feat[k];
        for (int d = 0; d < 64 && c != PT__NOIDX; d++) {
            if (c == cat) {
                return 1;
            }
            c = r->frow[c].parent;
        }
    }
    return 0;
}

/* The category an item counts against for the diversity cap: its first category, or
 * PT__NOIDX (uncapped) when it has none. */
static uint32_t cap_category(const pt_recommender *r, uint32_t it) {
    const pt__irow *ir = &r->irow[it];
    return ir->n_cat > 0 ? r->if_feat[ir->f_off + ir->n_tag] : PT__NOIDX;
}

/* Order candidate items by score, descending, then by id (= node order). */
static int cmp_cand(const void *a, const void *b, void *ud) {
    const double *score = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (score[x] != score[y]) {
        return score[x] > score[y] ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

/* True when candidate x ranks before y. */
static inline int before(const double *score, uint32_t x, uint32_t y) {
    return score[x] > score[y] || (score[x] == score[y] && x < y);
}

/* Sift c[j] down the min-heap c[0..m) (the worst item by `before` at the root). */
static void sift_worst(uint32_t *c, size_t m, size_t j, const double *score) {
    for (;;) {
        size_t l = 2 * j + 1, w = j;
        if (l < m && before(score, c[w], c[l])) {
            w = l;
        }
        if (l + 1 < m && before(score, c[w], c[l + 1])) {
            w = l + 1;
        }
        if (w == j) {
            return;
        }
        uint32_t t = c[j];
        c[j] = c[w];
        c[w] = t;
        j = w;
    }
}

/* Move the best `m` of the n candidates to the front, sorted (a bounded heap, then a sort). */
static void top_m(uint32_t *c, size_t n, size_t m, const double *score) {
    if (m >= n || n <= 64) {
        qsort_r(c, n, sizeof *c, cmp_cand, (void *)score);
        return;
    }
    /* Min-heap (worst at the root) of the best m so far, in c[0..m). */
    for (size_t i = m / 2; i-- > 0;) {
        sift_worst(c, m, i, score);
    }
    for (size_t i = m; i < n; i++) {
        if (!before(score, c[i], c[0])) {
            continue;
        }
        uint32_t t = c[0];
        c[0] = c[i];
        c[i] = t;
        sift_worst(c, m, 0, score);
    }
    qsort_r(c, m, sizeof *c, cmp_cand, (void *)score);
}

/* True when item `it` may be returned for the query (not seen unless allowed, not excluded,
 * in the category). `cat` is the category's feature index or PT__NOIDX. */
static int allowed(const pt_rec_scratch *s, const pt_rec_query *q, uint32_t it, uint32_t cat) {
    const extra *x = (const extra *)(s + 1);
    if (!q->include_seen && s->stamp[it] == s->cur_stamp) {
        return 0;
    }
    if (x->xstamp[it] == s->cur_stamp) {
        return 0;
    }
    return cat == PT__NOIDX || in_category(s->r, it, cat);
}

/* Try to append item `it` to the output under the diversity cap; returns 1 when taken. */
static int take(pt_rec_scratch *s, const pt_rec_query *q, uint32_t it, double score, int popular,
                pt_rec_item *out, size_t *n) {
    if (q->max_per_category > 0) {
        uint32_t c = cap_category(s->r, it);
        if (c != PT__NOIDX) {
            if (s->cat_count[c] >= q->max_per_category) {
                return 0;
            }
            s->cat_count[c]++;
        }
    }
    pt_rec_item *o = &out[(*n)++];
    memset(o, 0, sizeof *o);
    o->item = s->r->item_node[it];
    o->score = score;
    o->popular = popular;
    return 1;
}

/* --- explanations -------------------------------------------------------------------------- */

/* Kinds of path positions. */
enum { P_USER = 'U', P_ITEM = 'I', P_FEAT = 'F' };

/* Position of feature f in item it's feature list, or PT__NOIDX. */
static uint32_t item_feat_pos(const pt_recommender *r, uint32_t it, uint32_t f) {
    const pt__irow *ir = &r->irow[it];
    uint32_t end = ir->f_off + ir->n_tag + ir->n_cat + ir->n_brand;
    for (uint32_t k = ir->f_off; k < end; k++) {
        if (r->if_feat[k] == f) {
            return k;
        }
    }
    return PT__NOIDX;
}

/* Find the predicate and direction of the index edge between (ka, a) and (kb, b); returns 0
 * when there is none. */
static int pair_edge(const pt_recommender *r, int ka, uint32_t a, int kb, uint32_t b,
                     pt_node_id *pred, uint8_t *dir) {
    uint32_t k;
    if (ka == P_USER && kb == P_ITEM && (k = pt__walk_user_find(r, a, b)) != PT__NOIDX) {
        *pred = r->u_pred[k];
        *dir = 0;
        return 1;
    }
    if (ka == P_ITEM && kb == P_USER && (k = pt__walk_user_find(r, b, a)) != PT__NOIDX) {
        *pred = r->u_pred[k];
        *dir = 1;
        return 1;
    }
    if (ka == P_ITEM && kb == P_FEAT && (k = item_feat_pos(r, a, b)) != PT__NOIDX) {
        *pred = r->if_pred[k];
        *dir = 0;
        return 1;
    }
    if (ka == P_FEAT && kb == P_ITEM && (k = item_feat_pos(r, b, a)) != PT__NOIDX) {
        *pred = r->if_pred[k];
        *dir = 1;
        return 1;
    }
    if (ka == P_FEAT && kb == P_FEAT) {
        if (r->frow[a].parent == b) {
            *pred = r->parent_pred[a];
            *dir = 0;
            return 1;
        }
        if (r->frow[b].parent == a) {
            *pred = r->parent_pred[b];
            *dir = 1;
            return 1;
        }
    }
    return 0;
}

/* Node id of local (kind, x). */
static pt_node_id node_of(const pt_recommender *r, int kind, uint32_t x) {
    return kind == P_USER ? r->user_node[x] : kind == P_ITEM ? r->item_node[x] : r->feat_node[x];
}

/* Turn a local path (kinds[i], xs[i]) of n positions into `out`, resolving every edge. Where
 * a category is followed by an item that is not directly in it (a category-up hop reached the
 * item through a child category), the item's child category of it is inserted. Returns 1,
 * or 0 when an edge is missing or the path would exceed 8 nodes (never for paths of at most
 * 7 positions that the walk or the sums produced). */
static int make_path(const pt_recommender *r, const int *kinds, const uint32_t *xs, uint32_t n,
                     double share, pt_rec_path *out) {
    int kk[8];
    uint32_t xx[8], m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && kinds[i] == P_ITEM && kinds[i - 1] == P_FEAT &&
            item_feat_pos(r, xs[i], xs[i - 1]) == PT__NOIDX) {
            const pt__irow *ir = &r->irow[xs[i]];
            uint32_t o = ir->f_off + ir->n_tag, child = PT__NOIDX;
            for (uint32_t k = o; k < o + ir->n_cat; k++) {
                if (r->frow[r->if_feat[k]].parent == xs[i - 1]) {
                    child = r->if_feat[k];
                    break;
                }
            }
            if (child == PT__NOIDX || m >= 8) {
                return 0;
            }
            kk[m] = P_FEAT;
            xx[m++] = child;
        }
        if (m >= 8) {
            return 0;
        }
        kk[m] = kinds[i];
        xx[m++] = xs[i];
    }
    if (m < 2) {
        return 0;
    }
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < m; i++) {
        out->nodes[i] = node_of(r, kk[i], xx[i]);
        if (i + 1 < m &&
            !pair_edge(r, kk[i], xx[i], kk[i + 1], xx[i + 1], &out->preds[i], &out->dirs[i])) {
            return 0;
        }
    }
    out->n_nodes = m;
    out->share = share;
    return 1;
}

/* A candidate term of an item's score: where it came from and how much. */
typedef struct term {
    double x;
    int kinds[8];
    uint32_t xs[8];
    uint32_t n;
} term;

/* Keep `t` among the best three terms in `best` (n_best of them). */
static void keep_term(term *best, uint32_t *n_best, const term *t) {
    uint32_t j = *n_best < 3 ? (*n_best)++ : 3;
    if (j == 3) {
        if (t->x <= best[2].x) {
            return;
        }
        j = 2;
    }
    while (j > 0 && t->x > best[j - 1].x) {
        best[j] = best[j - 1];
        j--;
    }
    best[j] = *t;
}

/* Paths of item `it` for user u from the exact terms (s->top3 at the intermediates): each
 * term is (top-3 entry of an intermediate m adjacent to `it`) x (transition m -> it). `total`
 * is the item's unpenalised score; `ppr` uses PageRank's transition from a category and
 * scales by restart (1 - restart)^3. Returns the number of paths. */
static uint32_t exact_paths(pt_rec_scratch *s, uint32_t u, uint32_t it, double total, int ppr,
                            pt_rec_path *paths) {
    const pt_recommender *r = s->r;
    uint32_t nu = r->n_users, nf = r->n_feats, n_best = 0;
    term best[3], t;
    const pt__irow *ir = &r->irow[it];
    double sc = ppr ? r->p.restart * pow(1.0 - r->p.restart, 3) : 1.0;
    if (!(total > 0.0) || s->top3 == NULL) {
        return 0;
    }
    for (uint32_t k = ir->off; k < ir->end; k++) {
        uint32_t v = r->i_user[k];
        if (s->mid[v] == 0.0) {
            continue;
        }
        /* Every transition below is a probability (<= 1), so no term through v exceeds
         * x[0] * sc; once three terms are kept, a v whose best cannot beat the third is
         * skipped before its row is searched (the same terms win, only fewer are tried). */
        if (n_best == 3 && (double)s->top3[v].x[0] * sc <= best[2].x) {
            continue;
        }
        double tr;
        if (ppr && v == s->query_user) {
            /* PageRank's walk leaves the querying user by its query weights. */
            double tot = 0.0, w = 0.0;
            for (uint32_t j = 0; j < s->n_q; j++) {
                tot += s->qw[j];
                w += s->qi[j] == it ? s->qw[j] : 0.0;
            }
            tr = tot > 0.0 ? w / tot : 0.0;
        } else if (ppr) {
            uint32_t pos = pt__walk_user_find(r, v, it);
            double rs = 0.0;
            for (uint32_t j = r->urow[v].off; j < r->urow[v].end; j++) {
                rs += r->u_w[j];
            }
            tr = r->u_w[pos] / rs;
        } else {
            tr = r->i_upa[k]; /* = u_pa at it's place in v's row */
        }
        for (int j = 0; j < 3 && s->top3[v].x[j] > 0.0f; j++) {
            t.x = s->top3[v].x[j] * tr * sc;
            if (n_best == 3 && t.x <= best[2].x) {
                break; /* keep_term would refuse it, and v's later terms are smaller */
            }
            t.n = 4;
            t.kinds[0] = P_USER, t.xs[0] = u;
            t.kinds[1] = P_ITEM, t.xs[1] = s->top3[v].q[j];
            t.kinds[2] = P_USER, t.xs[2] = v;
            t.kinds[3] = P_ITEM, t.xs[3] = it;
            keep_term(best, &n_best, &t);
        }
    }
    uint32_t end = ir->f_off + ir->n_tag + ir->n_cat + ir->n_brand;
    for (uint32_t k = ir->f_off; k < end; k++) {
        uint32_t f = r->if_feat[k];
        const pt__frow *fr = &r->frow[f];
        double tr = 1.0 / (fr[1].off - fr->off);
        if (ppr) {
            uint32_t n_c = r->ch_off[f + 1] - r->ch_off[f] + (fr->parent != PT__NOIDX);
            tr *= n_c == 0 ? 1.0 : 1.0 - r->p.category_up;
        }
        /* Direct: q -> f -> it. */
        for (int j = 0; j < 3 && s->mid[nu + f] != 0.0 && s->top3[nu + f].x[j] > 0.0f; j++) {
            t.x = s->top3[nu + f].x[j] * tr * sc;
            t.n = 4;
            t.kinds[0] = P_USER, t.xs[0] = u;
            t.kinds[1] = P_ITEM, t.xs[1] = s->top3[nu + f].q[j];
            t.kinds[2] = P_FEAT, t.xs[2] = f;
            t.kinds[3] = P_ITEM, t.xs[3] = it;
            keep_term(best, &n_best, &t);
        }
        if (ppr || k < ir->f_off + ir->n_tag || k >= ir->f_off + ir->n_tag + ir->n_cat) {
            continue;
        }
        /* Up: q -> c1 -> p -> (it's category c) -> it, for p = f itself or f's parent. */
        uint32_t ps[2] = {f, fr->parent};
        for (int pj = 0; pj < 2; pj++) {
            uint32_t p = ps[pj];
            if (p == PT__NOIDX || s->mid[nu + nf + p] == 0.0) {
                continue;
            }
            const pt__frow *pr = &r->frow[p];
            double tu = 1.0 / (pr[1].sub_off - pr->sub_off);
            for (int j = 0; j < 3 && s->top3[nu + nf + p].x[j] > 0.0f; j++) {
                t.x = s->top3[nu + nf + p].x[j] * tu;
                t.n = 5;
                t.kinds[0] = P_USER, t.xs[0] = u;
                t.kinds[1] = P_ITEM, t.xs[1] = s->top3[nu + nf + p].q[j];
                t.kinds[2] = P_FEAT, t.xs[2] = s->top3[nu + nf + p].aux[j];
                t.kinds[3] = P_FEAT, t.xs[3] = p;
                t.kinds[4] = P_ITEM, t.xs[4] = it;
                keep_term(best, &n_best, &t);
            }
        }
    }
    /* The push estimate of PageRank is a lower bound (residuals below the threshold stay
     * unspread): should the largest terms exceed it, scale their shares to sum to 1. */
    double sum = 0.0, norm = total;
    for (uint32_t j = 0; j < n_best; j++) {
        sum += best[j].x;
    }
    if (sum > norm) {
        norm = sum;
    }
    uint32_t n = 0;
    for (uint32_t j = 0; j < n_best; j++) {
        double share = best[j].x / norm;
        n += (uint32_t)make_path(r, best[j].kinds, best[j].xs, best[j].n, share > 1.0 ? 1.0 : share,
                                 &paths[n]);
    }
    return n;
}

/* Order of two paths of one item: by query item, length, then node by node. */
static int cmp_path(const pt__wpath *x, const pt__wpath *y) {
    if (x->q != y->q) {
        return x->q < y->q ? -1 : 1;
    }
    if (x->nvia != y->nvia) {
        return x->nvia < y->nvia ? -1 : 1;
    }
    for (int j = 0; j < x->nvia; j++) {
        if (x->via[j] != y->via[j]) {
            return x->via[j] < y->via[j] ? -1 : 1;
        }
        if (x->vk[j] != y->vk[j]) {
            return x->vk[j] < y->vk[j] ? -1 : 1;
        }
    }
    return 0;
}

/* Hash of output slot `slot` and path x (FNV-1a over the ids). */
static uint32_t path_hash(uint32_t slot, const pt__wpath *x) {
    uint64_t h = 0xcbf29ce484222325ULL;
    h = (h ^ slot) * 0x100000001b3ULL;
    h = (h ^ x->q) * 0x100000001b3ULL;
    for (int j = 0; j < x->nvia; j++) {
        h = (h ^ (x->via[j] * 4u + (uint32_t)(x->vk[j] & 3))) * 0x100000001b3ULL;
    }
    return (uint32_t)(h ^ (h >> 32));
}

/* Explain walk results. The hits of the n output items (their slots set in oslot) are read
 * from the hit logs of both walk lanes in walk order; up to WALK_SAMPLE of them get their
 * whole path rebuilt and counted per distinct (slot, path) in a hash table, and each slot
 * keeps its three most frequent paths (ties by path order). A path's share estimates (its
 * hits / all visits of the item): its share of the item's sampled hits, times the item's
 * recorded hits (every hit of the logs, sampled or not) over all its visits (the rest went by
 * paths too long to record). */
#define WALK_SAMPLE 2048u
#define WALK_TAB 4096u /* hash slots, a power of two >= 2 x WALK_SAMPLE */
static void walk_paths(pt_rec_scratch *s, uint32_t u, pt_rec_item *out, size_t n) {
    const pt_recommender *r = s->r;
    extra *x = (extra *)(s + 1);
    size_t room = r->n_items + 1 < WALK_SAMPLE ? r->n_items + 1 : WALK_SAMPLE, nh = 0;
    if (s->wpath == NULL) {
        /* the sampled paths, then the hash table (representative and count per slot), the
         * occupied slots in insertion order, and the same grouped by output slot */
        s->wpath = pt__malloc(s->ctx, WALK_SAMPLE * sizeof *s->wpath +
                                          (2 * WALK_TAB + 2 * WALK_SAMPLE) * sizeof(uint32_t));
        s->wpath_cap = s->wpath != NULL ? WALK_SAMPLE : 0;
        if (s->wpath != NULL) {
            memset(s->wpath + WALK_SAMPLE, 0xFF, WALK_TAB * sizeof(uint32_t));
        }
    }
    if (s->slot_n == NULL) {
        s->slot_n = pt__malloc(s->ctx, 3 * ((size_t)r->n_items + 1) * sizeof *s->slot_n);
    }
    if (s->wpath == NULL || s->slot_n == NULL || n > r->n_items + 1) {
        return; /* no memory for explanations: the items stay without paths */
    }
    uint32_t *tab_rep = (uint32_t *)(s->wpath + WALK_SAMPLE), *tab_cnt = tab_rep + WALK_TAB;
    uint32_t *dist = tab_cnt + WALK_TAB, *by_slot = dist + WALK_SAMPLE;
    uint32_t *n_log = s->slot_n, *n_smp = s->slot_n + n, *n_dist = s->slot_n + 2 * n;
    for (size_t j = 0; j < n; j++) {
        uint32_t it = item_of(r, out[j].item);
        n_log[j] = n_smp[j] = n_dist[j] = 0;
        if (!out[j].popular && it != PT__NOIDX) {
            x->oslot[it] = (uint32_t)j;
        }
    }
    /* Sample and count: dist[0..nd) lists the occupied hash slots in insertion order. */
    const pt__hit *logs[2] = {s->hits, s->lane != NULL ? s->lane->hits : NULL};
    size_t n_logs[2] = {s->n_hits, s->lane != NULL ? s->lane->n_hits : 0}, nd = 0;
    for (int l = 0; l < 2; l++) {
        for (size_t h = 0; h < n_logs[l]; h++) {
            uint32_t slot = x->oslot[logs[l][h].item];
            if (slot == PT__NOIDX) {
                continue;
            }
            n_log[slot]++;
            if (nh >= room) {
                continue;
            }
            pt__wpath *w = &s->wpath[nh];
            pt__walk_hit_path(logs[l], (uint32_t)h, w);
            n_smp[slot]++;
            uint32_t k = path_hash(slot, w) & (WALK_TAB - 1);
            for (;;) {
                uint32_t rep = tab_rep[k];
                if (rep == PT__NOIDX) {
                    tab_rep[k] = (uint32_t)nh;
                    tab_cnt[k] = 1;
                    dist[nd++] = k;
                    n_dist[slot]++;
                    break;
                }
                const pt__wpath *y = &s->wpath[rep];
                if (x->oslot[y->item] == slot && cmp_path(y, w) == 0) {
                    tab_cnt[k]++;
                    break;
                }
                k = (k + 1) & (WALK_TAB - 1);
            }
            nh++;
        }
    }
    /* Group the distinct paths by slot (counting sort into by_slot), then take each slot's
     * best: most hits first, ties by path order (keep six in case a path cannot be resolved). */
    uint32_t acc = 0;
    for (size_t j = 0; j < n; j++) {
        uint32_t c = n_dist[j];
        n_dist[j] = acc;
        acc += c;
    }
    for (size_t d = 0; d < nd; d++) {
        uint32_t slot = x->oslot[s->wpath[tab_rep[dist[d]]].item];
        by_slot[n_dist[slot]++] = dist[d];
    }
    enum { KEEP = 6 };
    size_t lo = 0;
    for (size_t slot = 0; slot < n; slot++) {
        size_t hi = n_dist[slot]; /* after the fill: the end of this slot's run */
        uint32_t best_k[KEEP];
        size_t n_best = 0;
        for (size_t e = lo; e < hi; e++) {
            uint32_t k = by_slot[e], c = tab_cnt[k];
            const pt__wpath *w = &s->wpath[tab_rep[k]];
            size_t j = n_best < KEEP ? n_best++ : KEEP;
            while (j > 0) {
                uint32_t kb = best_k[j - 1];
                if (tab_cnt[kb] > c ||
                    (tab_cnt[kb] == c && cmp_path(&s->wpath[tab_rep[kb]], w) < 0)) {
                    break;
                }
                if (j < KEEP) {
                    best_k[j] = kb;
                }
                j--;
            }
            if (j < KEEP) {
                best_k[j] = k;
            }
        }
        lo = hi;
        if (n_best == 0) {
            continue;
        }
        pt_rec_item *o = &out[slot];
        uint32_t item = s->wpath[tab_rep[best_k[0]]].item;
        double all = (double)(s->count[item] ? s->count[item] : 1);
        double per_hit = (double)n_log[slot] / ((double)n_smp[slot] * all);
        for (size_t b = 0; b < n_best && o->n_paths < 3; b++) {
            const pt__wpath *h = &s->wpath[tab_rep[best_k[b]]];
            int kinds[8];
            uint32_t xs[8], np = 0;
            kinds[np] = P_USER, xs[np++] = u;
            kinds[np] = P_ITEM, xs[np++] = h->q;
            for (int v = 0; v < h->nvia; v++) {
                kinds[np] = h->vk[v] == 'u' ? P_USER : h->vk[v] == 'i' ? P_ITEM : P_FEAT;
                xs[np++] = h->via[v];
            }
            kinds[np] = P_ITEM, xs[np++] = h->item;
            double share = (double)tab_cnt[best_k[b]] * per_hit;
            o->n_paths += (uint32_t)make_path(r, kinds, xs, np, share > 1.0 ? 1.0 : share,
                                              &o->paths[o->n_paths]);
        }
    }
    for (size_t d = 0; d < nd; d++) {
        tab_rep[dist[d]] = PT__NOIDX;
    }
    for (size_t j = 0; j < n; j++) {
        uint32_t it = item_of(r, out[j].item);
        if (it != PT__NOIDX) {
            x->oslot[it] = PT__NOIDX;
        }
    }
}

/* A user other than `u` who has both items q and it (the witness of an EASE^R term: the
 * weight B_q,it comes from the co-occurrence of q and it in X'X), the one with the strongest
 * edge to `it`, ties by the lowest index; PT__NOIDX when none. */
static uint32_t co_user(const pt_recommender *r, uint32_t u, uint32_t q, uint32_t it) {
    uint32_t best = PT__NOIDX;
    float bw = 0.0f;
    for (uint32_t k = r->irow[q].off; k < r->irow[q].end; k++) {
        uint32_t v = r->i_user[k];
        uint32_t pos = v == u ? PT__NOIDX : pt__walk_user_find(r, v, it);
        if (pos != PT__NOIDX && (best == PT__NOIDX || r->u_w[pos] > bw)) {
            best = v;
            bw = r->u_w[pos];
        }
    }
    return best;
}

/* The coefficient of item model `r` for query item q and item it: EASE^R's B_q,it, or the
 * ItemKNN similarity; 0 for items newer than the fit. */
static double model_term(const pt_recommender *r, uint32_t q, uint32_t it, int knn) {
    if (knn) {
        return pt__walk_knn_sim(r, q, it);
    }
    if (q >= r->ease_n || it >= r->ease_n) {
        return 0.0; /* an item synced in after the fit: no EASE^R term */
    }
    return r->ease_b[(size_t)q * r->ease_n + it];
}

/* Paths of item `it` for user u from an item model's score = sum over query items q of
 * x_uq C_q,it (x_uq the query weight, C = EASE^R's B or the ItemKNN similarity): the largest
 * positive terms, each shown as user -> q -> v -> it through a witness v who has both q and it
 * (co_user; a term without a witness - possible, since EASE's inverse spreads weight beyond
 * co-occurrence - is skipped for the next one). share = term / sum of the positive terms, times
 * `scale` (the EASE part's share of a hybrid score). Returns the number of paths (at most 3). */
static uint32_t ease_paths(pt_rec_scratch *s, uint32_t u, uint32_t it, double scale, int knn,
                           pt_rec_path *paths) {
    const pt_recommender *r = s->r;
    enum { TRY = 8 };
    double tx[TRY], pos_sum = 0.0;
    uint32_t tq[TRY], nt = 0, n = 0;
    for (uint32_t j = 0; j < s->n_q; j++) {
        uint32_t q = s->qi[j];
        double x = s->qw[j] * model_term(r, q, it, knn);
        if (!(x > 0.0)) {
            continue;
        }
        pos_sum += x;
        uint32_t k = nt < TRY ? nt++ : TRY;
        if (k == TRY) {
            if (x <= tx[TRY - 1] || (x == tx[TRY - 1] && q > tq[TRY - 1])) {
                continue;
            }
            k = TRY - 1;
        }
        while (k > 0 && (x > tx[k - 1] || (x == tx[k - 1] && q < tq[k - 1]))) {
            tx[k] = tx[k - 1];
            tq[k] = tq[k - 1];
            k--;
        }
        tx[k] = x;
        tq[k] = q;
    }
    for (uint32_t k = 0; k < nt && n < 3; k++) {
        uint32_t v = co_user(r, u, tq[k], it);
        if (v == PT__NOIDX) {
            continue;
        }
        int kinds[4] = {P_USER, P_ITEM, P_USER, P_ITEM};
        uint32_t xs[4] = {u, tq[k], v, it};
        double share = scale * tx[k] / pos_sum;
        n += (uint32_t)make_path(r, kinds, xs, 4, share > 1.0 ? 1.0 : share, &paths[n]);
    }
    return n;
}

/* Merge the n paths of `src` into the best three of `dst` (*n_dst of them), by share,
 * descending; equal shares keep their arrival order. */
static void merge_paths(pt_rec_path *dst, uint32_t *n_dst, const pt_rec_path *src, uint32_t n) {
    for (uint32_t j = 0; j < n; j++) {
        uint32_t k = *n_dst < 3 ? (*n_dst)++ : 3;
        if (k == 3) {
            if (src[j].share <= dst[2].share) {
                continue;
            }
            k = 2;
        }
        while (k > 0 && src[j].share > dst[k - 1].share) {
            dst[k] = dst[k - 1];
            k--;
        }
        dst[k] = src[j];
    }
}

/* Fill the paths of the output items after scoring. */
static void explain_items(pt_rec_scratch *s, uint32_t u, pt_rec_item *out, size_t n) {
    const pt_recommender *r = s->r;
    pt_rec_method m = r->p.method;
    if (m == PT_REC_PIXIE) {
        walk_paths(s, u, out, n);
        return;
    }
    if (m == PT_REC_POP) {
        return;
    }
    for (size_t j = 0; j < n; j++) {
        uint32_t it = item_of(r, out[j].item);
        if (out[j].popular || it == PT__NOIDX) {
            continue;
        }
        if (m == PT_REC_EASE || m == PT_REC_ITEMKNN) {
            out[j].n_paths = ease_paths(s, u, it, 1.0, m == PT_REC_ITEMKNN, out[j].paths);
            continue;
        }
        if (m == PT_REC_HYBRID) {
            /* Each part's share of the item's blended evidence: its weighted, unshifted
             * z-term (the mean shift is the same for every item and explains no ranking). */
            double ce = r->p.blend * s->z_inv[0] * s->ease_s[it];
            int with_knn = s->knn_s != NULL && r->p.knn_blend > 0.0;
            double kb = with_knn ? r->p.knn_blend : 0.0;
            double cr = (1.0 - r->p.blend - kb) * s->z_inv[1] * s->rp3_s[it];
            double ck = with_knn ? kb * s->z_inv[2] * s->knn_s[it] : 0.0;
            ce = ce > 0.0 ? ce : 0.0;
            cr = cr > 0.0 ? cr : 0.0;
            ck = ck > 0.0 ? ck : 0.0;
            pt_rec_path pe[3], pr[3], pk[3];
            uint32_t ne = 0, nr = 0, nk = 0;
            double all = ce + cr + ck;
            if (all > 0.0) {
                ne = ce > 0.0 ? ease_paths(s, u, it, ce / all, 0, pe) : 0;
                nk = ck > 0.0 ? ease_paths(s, u, it, ck / all, 1, pk) : 0;
                double pen = r->p.beta > 0.0 ? r->pop_pen[it] : 1.0;
                nr = cr > 0.0 ? exact_paths(s, u, it, s->rp3_s[it] / pen, 0, pr) : 0;
                for (uint32_t k = 0; k < nr; k++) {
                    pr[k].share *= cr / all;
                }
            }
            out[j].n_paths = 0;
            merge_paths(out[j].paths, &out[j].n_paths, pe, ne);
            merge_paths(out[j].paths, &out[j].n_paths, pr, nr);
            merge_paths(out[j].paths, &out[j].n_paths, pk, nk);
            continue;
        }
        double total = s->score[it];
        if (m != PT_REC_P3 && r->p.beta > 0.0) {
            total /= r->pop_pen[it];
        }
        out[j].n_paths = exact_paths(s, u, it, total, m == PT_REC_PPR, out[j].paths);
    }
}

/* --- the query ----------------------------------------------------------------------------- */

int pt_recommend(pt_recommender *r, pt_rec_scratch *s, const pt_rec_query *q, pt_rec_item *out,
                 size_t *n_out, int *flags) {
    if (n_out != NULL) {
        *n_out = 0;
    }
    if (flags != NULL) {
        *flags = PT_REC_PERSONAL;
    }
    if (r == NULL || s == NULL || q == NULL || out == NULL || n_out == NULL || s->r != r) {
        return r != NULL ? pt__error(r->ctx, PT_EINVAL,
                                     "pt_recommend: NULL argument or a "
                                     "scratch of another recommender")
                         : PT_EINVAL;
    }
    if (r->broken) {
        return pt__error(r->ctx, PT_ENOMEM,
                         "pt_recommend: the recommender is incomplete after a failed sync");
    }
    if (scratch_fit(s) != PT_OK) {
        return pt__error(r->ctx, PT_ENOMEM, "pt_recommend: out of memory");
    }
    if (q->k == 0) {
        return pt__error(r->ctx, PT_EINVAL, "pt_recommend: k must be at least 1");
    }
    uint32_t cat = PT__NOIDX;
    if (q->category != PT_NONE) {
        if (q->category >= r->n_nodes || r->kind[q->category] != 3 ||
            r->frow[r->loc[q->category]].kind != PT__F_CAT) {
            return pt__error(r->ctx, PT_EINVAL,
                             "pt_recommend: category (node %u) is not a category; use PT_NONE "
                             "for any (pt_rec_query_init sets it)",
                             q->category);
        }
        cat = r->loc[q->category];
    }
    memset(&s->stats, 0, sizeof s->stats);
    extra *x = (extra *)(s + 1);
    if (++s->cur_stamp == 0) {
        /* Wrapped: clear the stamps once every 2^32 queries. */
        memset(s->stamp, 0, ((size_t)r->n_items + 1) * sizeof *s->stamp);
        memset(x->xstamp, 0, ((size_t)r->n_items + 1) * sizeof *x->xstamp);
        s->cur_stamp = 1;
    }
    for (size_t j = 0; j < q->n_exclude; j++) {
        uint32_t it = item_of(r, q->exclude[j]);
        if (it != PT__NOIDX) {
            x->xstamp[it] = s->cur_stamp;
        }
    }
    uint32_t u = user_of(r, q->user);
    int personal = u != PT__NOIDX && r->urow[u].end > r->urow[u].off;
    int rc = PT_OK;
    size_t n = 0;
    if (personal && r->p.method != PT_REC_POP) {
        rc = score_user(s, u, q->user, q->now, q->explain);
        if (rc != PT_OK) {
            clear_query(s);
            return pt__error(r->ctx, rc, "pt_recommend: out of memory");
        }
        s->n_cand = 0;
        for (uint32_t j = 0; j < s->n_touched; j++) {
            uint32_t it = s->touched[j];
            if (s->score[it] > 0.0 && allowed(s, q, it, cat)) {
                s->cand[s->n_cand++] = it;
            }
        }
        size_t m = q->max_per_category > 0 ? (size_t)q->k * 4 : q->k;
        for (;;) {
            top_m(s->cand, s->n_cand, m, s->score);
            size_t lim = m < s->n_cand ? m : s->n_cand;
            n = 0;
            for (size_t j = 0; j < lim && n < q->k; j++) {
                take(s, q, s->cand[j], s->score[s->cand[j]], 0, out, &n);
            }
            if (q->max_per_category > 0) {
                for (size_t j = 0; j < n; j++) {
                    uint32_t c = cap_category(r, item_of(r, out[j].item));
                    if (c != PT__NOIDX) {
                        s->cat_count[c] = 0;
                    }
                }
            }
            if (n >= q->k || lim >= s->n_cand) {
                break;
            }
            m = s->n_cand; /* the cap skipped too many: rank every candidate */
        }
        if (q->max_per_category > 0) {
            for (size_t j = 0; j < n; j++) {
                uint32_t c = cap_category(r, item_of(r, out[j].item));
                if (c != PT__NOIDX) {
                    s->cat_count[c]++;
                }
            }
        }
    } else if (u != PT__NOIDX) {
        /* Known user, popularity method or no behaviour: still never return seen items. */
        for (uint32_t k = r->urow[u].off; k < r->urow[u].end; k++) {
            s->stamp[r->u_item[k]] = s->cur_stamp;
        }
    }
    /* Popular items fill the rest (everything for unknown users and the pop method). Every
     * personal candidate still has its score > 0 in s->score, so none comes back twice. */
    double top_pop = r->n_items > 0
                         ? (double)(r->irow[r->pop_order[0]].end - r->irow[r->pop_order[0]].off)
                         : 1.0;
    for (uint32_t j = 0; j < r->n_items && n < q->k; j++) {
        uint32_t it = r->pop_order[j];
        if (!allowed(s, q, it, cat)) {
            continue;
        }
        if (s->score[it] > 0.0) {
            continue; /* a personal candidate: taken above, or left out by the cap */
        }
        double deg = (double)(r->irow[it].end - r->irow[it].off);
        take(s, q, it, top_pop > 0.0 ? deg / top_pop : 0.0, personal && r->p.method != PT_REC_POP,
             out, &n);
    }
    if (q->max_per_category > 0) {
        for (size_t j = 0; j < n; j++) {
            uint32_t c = cap_category(r, item_of(r, out[j].item));
            if (c != PT__NOIDX) {
                s->cat_count[c] = 0;
            }
        }
    }
    if (!personal || r->p.method == PT_REC_POP) {
        for (size_t j = 0; j < n; j++) {
            out[j].popular = !personal;
        }
    }
    if (q->explain && personal) {
        explain_items(s, u, out, n);
    }
    *n_out = n;
    if (flags != NULL) {
        *flags = personal ? PT_REC_PERSONAL : PT_REC_POPULAR;
    }
    clear_query(s);
    return rc;
}

/* --- batches on threads -------------------------------------------------------------------- */

/* Shared state of a batch. */
typedef struct batch {
    pt_recommender *r;
    const pt_rec_query *qs;
    size_t n, stride;
    pt_rec_item *out;
    size_t *n_out;
    int *flags;
    size_t next; /* next query to take (under lock) */
    int *rcs;
    pthread_mutex_t lock;
} batch;

/* Thread body: take queries one chunk at a time with a private scratch. */
static void *batch_worker(void *arg) {
    batch *b = arg;
    pt_rec_scratch *s = NULL;
    if (pt_rec_scratch_new(b->r, &s) != PT_OK) {
        return NULL; /* the queries this thread would have run stay unclaimed, see below */
    }
    s->no_threads = 1; /* a query's walk lanes run one after the other here */
    for (;;) {
        pthread_mutex_lock(&b->lock);
        size_t lo = b->next, hi = lo + 8 < b->n ? lo + 8 : b->n;
        b->next = hi;
        pthread_mutex_unlock(&b->lock);
        if (lo >= b->n) {
            break;
        }
        for (size_t i = lo; i < hi; i++) {
            b->rcs[i] = pt_recommend(b->r, s, &b->qs[i], b->out + i * b->stride, &b->n_out[i],
                                     &b->flags[i]);
        }
    }
    pt_rec_scratch_free(s);
    return NULL;
}

int pt_recommend_many(pt_recommender *r, const pt_rec_query *qs, size_t n, pt_rec_item *out,
                      size_t stride, size_t *n_out, int *flags) {
    if (r == NULL || (n > 0 && (qs == NULL || out == NULL || n_out == NULL || flags == NULL))) {
        return r != NULL ? pt__error(r->ctx, PT_EINVAL, "pt_recommend_many: NULL argument")
                         : PT_EINVAL;
    }
    /* Check here, on the calling thread, what pt_recommend would reject, so worker threads
     * never write the shared ctx's error message at the same time. */
    for (size_t i = 0; i < n; i++) {
        pt_node_id c = qs[i].category;
        if (qs[i].k == 0 || qs[i].k > stride) {
            return pt__error(r->ctx, PT_EINVAL,
                             "pt_recommend_many: query %zu has k %u (must be 1..stride %zu)", i,
                             qs[i].k, stride);
        }
        if (c != PT_NONE &&
            (c >= r->n_nodes || r->kind[c] != 3 || r->frow[r->loc[c]].kind != PT__F_CAT)) {
            return pt__error(r->ctx, PT_EINVAL,
                             "pt_recommend_many: query %zu: category (node %u) is not a category",
                             i, c);
        }
    }
    int nt = r->p.threads;
    if (nt <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nt = c > 0 ? (int)c : 1;
    }
    if ((size_t)nt > (n + 7) / 8) {
        nt = (int)((n + 7) / 8);
    }
    batch b = {r, qs, n, stride, out, n_out, flags, 0, NULL, PTHREAD_MUTEX_INITIALIZER};
    b.rcs = pt__malloc(r->ctx, (n + 1) * sizeof *b.rcs);
    pthread_t *th = pt__malloc(r->ctx, ((size_t)nt + 1) * sizeof *th);
    if (b.rcs == NULL || th == NULL) {
        pt__free(r->ctx, b.rcs);
        pt__free(r->ctx, th);
        return pt__error(r->ctx, PT_ENOMEM, "pt_recommend_many: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        b.rcs[i] = PT_ENOMEM; /* a query no thread ran (its scratch failed) reports ENOMEM */
    }
    int started = 0;
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&th[t], NULL, batch_worker, &b) == 0) {
            started++;
        } else {
            break;
        }
    }
    batch_worker(&b); /* the calling thread works too */
    for (int t = 1; t <= started; t++) {
        pthread_join(th[t], NULL);
    }
    /* Queries stay unclaimed (PT_ENOMEM) only when every thread failed to get a scratch;
     * a failing thread otherwise just leaves its share to the others. */
    int rc = PT_OK;
    for (size_t i = 0; i < n && rc == PT_OK; i++) {
        rc = b.rcs[i];
    }
    pt__free(r->ctx, b.rcs);
    pt__free(r->ctx, th);
    pthread_mutex_destroy(&b.lock);
    if (rc != PT_OK && pt_ctx_errcode(r->ctx) != rc) {
        pt__error(r->ctx, rc, "pt_recommend_many: a query failed: %s", pt_strerror(rc));
    }
    return rc;
}

/* --- explain one (user, item) -------------------------------------------------------------- */

/* Breadth-first search over the index graph (users, items, features; behaviour, meta-path and
 * broader edges both ways) from user u to item `it`, at most `max_hops` hops and `limit`
 * nodes. Up to `cap` shortest paths (through different last intermediates) go to `paths`.
 * Returns the number found, or -1 on ENOMEM. */
static int bfs_paths(pt_rec_scratch *s, uint32_t u, uint32_t it, int max_hops, uint32_t limit,
                     pt_rec_path *paths, size_t cap) {
    const pt_recommender *r = s->r;
    uint32_t nu = r->n_users, ni = r->n_items, nf = r->n_feats;
    uint32_t total = nu + ni + nf;
    uint32_t *par = pt__malloc(s->ctx, ((size_t)total + 1) * sizeof *par);
    uint8_t *dist = pt__malloc(s->ctx, (size_t)total + 1);
    uint32_t *queue = pt__malloc(s->ctx, ((size_t)total + 1) * sizeof *queue);
    int found = 0;
    if (par == NULL || dist == NULL || queue == NULL) {
        pt__free(s->ctx, par);
        pt__free(s->ctx, dist);
        pt__free(s->ctx, queue);
        return -1;
    }
    memset(dist, 0xFF, total);
    uint32_t head = 0, tail = 0, target = nu + it;
    dist[u] = 0;
    par[u] = PT__NOIDX;
    queue[tail++] = u;
    while (head < tail && dist[target] == 0xFF && tail < limit) {
        uint32_t x = queue[head++];
        if (dist[x] >= max_hops) {
            continue;
        }
#define VISIT(y)                                                                                   \
    do {                                                                                           \
        uint32_t y_ = (y);                                                                         \
        if (dist[y_] == 0xFF) {                                                                    \
            dist[y_] = (uint8_t)(dist[x] + 1);                                                     \
            par[y_] = x;                                                                           \
            queue[tail++] = y_;                                                                    \
        }                                                                                          \
    } while (0)
        if (x < nu) {
            for (uint32_t k = r->urow[x].off; k < r->urow[x].end; k++) {
                VISIT(nu + r->u_item[k]);
            }
        } else if (x < nu + ni) {
            const pt__irow *ir = &r->irow[x - nu];
            for (uint32_t k = ir->off; k < ir->end; k++) {
                VISIT(r->i_user[k]);
            }
            uint32_t end = ir->f_off + ir->n_tag + ir->n_cat + ir->n_brand;
            for (uint32_t k = ir->f_off; k < end; k++) {
                VISIT(nu + ni + r->if_feat[k]);
            }
        } else {
            uint32_t f = x - nu - ni;
            for (uint32_t k = r->frow[f].off; k < r->frow[f + 1].off; k++) {
                VISIT(nu + r->fi_item[k]);
            }
            if (r->frow[f].parent != PT__NOIDX) {
                VISIT(nu + ni + r->frow[f].parent);
            }
            for (uint32_t c = r->ch_off[f]; c < r->ch_off[f + 1]; c++) {
                VISIT(nu + ni + r->children[c]);
            }
        }
#undef VISIT
    }
    if (dist[target] != 0xFF) {
        /* Distinct last intermediates y with dist[y] == dist[target] - 1 give distinct paths;
         * the BFS parent of the target comes first. */
        uint32_t lasts[8], n_last = 0;
        lasts[n_last++] = par[target];
        for (uint32_t h = 0; h < tail && n_last < cap && n_last < 8; h++) {
            uint32_t y = queue[h];
            if (y == par[target] || dist[y] + 1 != dist[target]) {
                continue;
            }
            int kx = y < nu ? P_USER : y < nu + ni ? P_ITEM : P_FEAT;
            uint32_t lx = y < nu ? y : y < nu + ni ? y - nu : y - nu - ni;
            pt_node_id pd;
            uint8_t dd;
            if (pair_edge(r, kx, lx, P_ITEM, it, &pd, &dd)) {
                lasts[n_last++] = y;
            }
        }
        for (uint32_t l = 0; l < n_last && (size_t)found < cap; l++) {
            uint32_t chain[16], nc = 0;
            chain[nc++] = target;
            for (uint32_t y = lasts[l]; y != PT__NOIDX && nc < 16; y = par[y]) {
                chain[nc++] = y;
            }
            if (nc > 8) {
                continue;
            }
            int kinds[8];
            uint32_t xs[8];
            for (uint32_t j = 0; j < nc; j++) {
                uint32_t y = chain[nc - 1 - j];
                kinds[j] = y < nu ? P_USER : y < nu + ni ? P_ITEM : P_FEAT;
                xs[j] = y < nu ? y : y < nu + ni ? y - nu : y - nu - ni;
            }
            found += make_path(r, kinds, xs, nc, 0.0, &paths[found]);
        }
    }
    pt__free(s->ctx, par);
    pt__free(s->ctx, dist);
    pt__free(s->ctx, queue);
    return found;
}

int pt_rec_explain(pt_recommender *r, pt_rec_scratch *s, pt_node_id user, pt_node_id item,
                   int64_t now, pt_rec_path *paths, size_t cap, size_t *n_out, double *score) {
    if (n_out != NULL) {
        *n_out = 0;
    }
    if (score != NULL) {
        *score = 0.0;
    }
    if (r == NULL || s == NULL || paths == NULL || n_out == NULL || s->r != r) {
        return r != NULL ? pt__error(r->ctx, PT_EINVAL, "pt_rec_explain: NULL argument")
                         : PT_EINVAL;
    }
    if (r->broken) {
        return pt__error(r->ctx, PT_ENOMEM,
                         "pt_rec_explain: the recommender is incomplete after a failed sync");
    }
    if (scratch_fit(s) != PT_OK) {
        return pt__error(r->ctx, PT_ENOMEM, "pt_rec_explain: out of memory");
    }
    uint32_t u = user_of(r, user), it = item_of(r, item);
    if (u == PT__NOIDX) {
        return pt__error(r->ctx, PT_EINVAL, "pt_rec_explain: node %u is not a user", user);
    }
    if (it == PT__NOIDX) {
        return pt__error(r->ctx, PT_EINVAL, "pt_rec_explain: node %u is not an item", item);
    }
    if (cap > 3) {
        cap = 3;
    }
    memset(&s->stats, 0, sizeof s->stats);
    if (++s->cur_stamp == 0) {
        memset(s->stamp, 0, ((size_t)r->n_items + 1) * sizeof *s->stamp);
        s->cur_stamp = 1;
    }
    size_t n = 0;
    if (r->urow[u].end > r->urow[u].off && r->p.method != PT_REC_POP) {
        int rc = score_user(s, u, user, now, 1);
        if (rc != PT_OK) {
            clear_query(s);
            return pt__error(r->ctx, rc, "pt_rec_explain: out of memory");
        }
        pt_rec_item one;
        memset(&one, 0, sizeof one);
        one.item = item;
        one.score = s->score[it];
        if (one.score > 0.0) {
            explain_items(s, u, &one, 1);
        }
        if (score != NULL) {
            *score = one.score;
        }
        for (uint32_t j = 0; j < one.n_paths && n < cap; j++) {
            paths[n++] = one.paths[j];
        }
        clear_query(s);
    }
    if (n == 0 && cap > 0) {
        int f = bfs_paths(s, u, it, 6, 4000000u, paths, cap);
        if (f < 0) {
            return pt__error(r->ctx, PT_ENOMEM, "pt_rec_explain: out of memory");
        }
        n = (size_t)f;
    }
    *n_out = n;
    return PT_OK;
}
