/*
 * exact.c - the deterministic scorers: P3alpha / RP3beta computed exactly, personalised
 * PageRank by forward push, for graphs (or users) small enough to afford them, and as the
 * ground truth the sampled walks are checked against.
 *
 * P3alpha (Cooper et al., WWW 2014) scores item i for user u by the three-step walk
 * u -> q -> v -> i with each transition probability raised to alpha; RP3beta (Paudel et al.,
 * ACM TiiS 2017) divides by the item's popularity^beta (done by the caller). Here the first
 * step is the query distribution (action-, rating- and recency-weighted, see recommend.c) and
 * the middle step is the meta-path kernel of the walk: co-behaviour through a user with
 * probability ~ w_cobehaviour, or through a tag, category (possibly one level up) or brand. The
 * computation aggregates at the intermediate nodes first (sum over q, then over v), so it costs
 * sum_q deg(q) + sum_{v reached} deg(v) edge reads, not the product.
 *
 * Explanations: with `record`, every intermediate node keeps its three largest incoming terms
 * (query item, aux node, mass); recommend.c multiplies them by the last transition to get the
 * largest terms of an item's score - these are the real terms of the sum, not a re-derivation.
 *
 * Personalised PageRank uses the forward push of Andersen, Chung and Lang (FOCS 2006) over the
 * user-item-feature graph, with residual threshold eps per unit of out-degree.
 *
 * EASE^R (last section) is not a walk but the closed-form item-item model the walks are
 * compared with and blended with (method hybrid): its weight matrix is built once, through
 * OpenBLAS and LAPACK, and a query sums the rows of the user's items.
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "walk/walk.h"

/* Offer the term (q, aux, x) to intermediate m's best three. */
static void top3_offer(pt__top3 *t, uint32_t q, uint32_t aux, double x) {
    float fx = (float)x;
    if (fx <= t->x[2]) {
        return;
    }
    int j = 2;
    while (j > 0 && fx > t->x[j - 1]) {
        t->x[j] = t->x[j - 1];
        t->q[j] = t->q[j - 1];
        t->aux[j] = t->aux[j - 1];
        j--;
    }
    t->x[j] = fx;
    t->q[j] = q;
    t->aux[j] = aux;
}

/* Add mass x to intermediate slot m (users, then features, then parents going up), tracking
 * touched slots and, when recording, the best terms. */
static inline void mid_add(pt_rec_scratch *s, uint32_t m, double x, uint32_t q, uint32_t aux,
                           int record) {
    if (!(x > 0.0)) {
        return;
    }
    if (s->mid[m] == 0.0) {
        s->mid_touched[s->n_mid++] = m;
        if (record) {
            memset(&s->top3[m], 0, sizeof s->top3[m]);
        }
    }
    s->mid[m] += x;
    if (record) {
        top3_offer(&s->top3[m], q, aux, x);
    }
}

/* The hop-type probabilities of item `q` under the recommender's meta-path weights: only hops
 * the item has count; pi[PT__HOP_CB..BRAND]. Returns 0 when the item has no hop. */
static int hop_probs(const pt_recommender *r, uint32_t q, double *pi) {
    const pt__irow *ir = &r->irow[q];
    memset(pi, 0, sizeof(double) * 4);
    pi[PT__HOP_CB] = ir->end > ir->off ? r->hop_w[PT__HOP_CB] : 0.0;
    if (r->has_meta) {
        pi[PT__HOP_TAG] = ir->n_tag > 0 ? r->hop_w[PT__HOP_TAG] : 0.0;
        pi[PT__HOP_CAT] = ir->n_cat > 0 ? r->hop_w[PT__HOP_CAT] : 0.0;
        pi[PT__HOP_BRAND] = ir->n_brand > 0 ? r->hop_w[PT__HOP_BRAND] : 0.0;
    } else if (pi[PT__HOP_CB] > 0.0) {
        pi[PT__HOP_CB] = 1.0;
        return 1;
    }
    double tot = pi[0] + pi[1] + pi[2] + pi[3];
    if (!(tot > 0.0)) {
        return 0;
    }
    for (int h = 0; h < 4; h++) {
        pi[h] /= tot;
    }
    return 1;
}

/* Sum of the behaviour weights of item q's row (for raw, alpha = 1, transitions). */
static double item_sum(const pt_recommender *r, uint32_t q) {
    double tot = 0.0;
    for (uint32_t k = r->irow[q].off; k < r->irow[q].end; k++) {
        tot += r->i_w[k];
    }
    return tot;
}

int pt__walk_exact_mid(pt_rec_scratch *s, int raw, double up, int record) {
    const pt_recommender *r = s->r;
    uint32_t nu = r->n_users, nf = r->n_feats;
    uint64_t ops = 0;
    if (record && s->top3 == NULL) {
        /* sized like s->mid: for the users the recommender has room for (sync may add some) */
        size_t cap_u = r->user_cap > nu ? r->user_cap : nu;
        s->top3 = pt__calloc(s->ctx, cap_u + 2 * (size_t)nf + 1, sizeof *s->top3);
        if (s->top3 == NULL) {
            return PT_ENOMEM;
        }
    }
    /* Step 2: query items to intermediates. */
    for (uint32_t j = 0; j < s->n_q; j++) {
        uint32_t q = s->qi[j];
        double sq = s->qw[j], pi[4];
        if (!hop_probs(r, q, pi)) {
            continue;
        }
        const pt__irow *ir = &r->irow[q];
        if (pi[PT__HOP_CB] > 0.0) {
            /* mid_add inlined with the arrays in locals (the compiler cannot tell that the
             * stores into mid do not move s's pointers): the hot loop of a query's step 2. */
            double m = sq * pi[PT__HOP_CB];
            double inv = raw ? 1.0 / item_sum(r, q) : 0.0;
            const uint32_t *restrict iu = r->i_user;
            const float *restrict tp = raw ? r->i_w : r->i_pa;
            double f = raw ? m * inv : m;
            double *restrict mid = s->mid;
            uint32_t *restrict mt = s->mid_touched;
            pt__top3 *restrict t3 = s->top3;
            uint32_t nm = s->n_mid;
            for (uint32_t k = ir->off; k < ir->end; k++) {
                double x = raw ? m * (tp[k] * inv) : f * tp[k];
                uint32_t v = iu[k];
                if (!(x > 0.0)) {
                    continue;
                }
                if (mid[v] == 0.0) {
                    mt[nm++] = v;
                    if (record) {
                        memset(&t3[v], 0, sizeof t3[v]);
                    }
                }
                mid[v] += x;
                if (record && (float)x > t3[v].x[2]) { /* top3_offer's own first test, inline */
                    top3_offer(&t3[v], q, PT__NOIDX, x);
                }
            }
            s->n_mid = nm;
            ops += ir->end - ir->off;
        }
        uint32_t fo = ir->f_off;
        uint32_t cnt[3] = {ir->n_tag, ir->n_cat, ir->n_brand};
        for (int kd = 0; kd < 3; kd++) {
            double pk = pi[PT__HOP_TAG + kd];
            for (uint32_t k = fo; k < fo + cnt[kd] && pk > 0.0; k++) {
                uint32_t f = r->if_feat[k];
                double m = sq * pk / cnt[kd];
                uint32_t par = r->frow[f].parent;
                if (kd == PT__F_CAT && up > 0.0 && par != PT__NOIDX) {
                    mid_add(s, nu + nf + par, m * up, q, f, record);
                    m *= 1.0 - up;
                }
                mid_add(s, nu + f, m, q, PT__NOIDX, record);
            }
            fo += cnt[kd];
        }
    }
    s->stats.ops += ops;
    return PT_OK;
}

/* Step 3: intermediates to items. When the user rows to read outweigh the item count
 * (MovieLens: ~100k row entries against 1,682 items) the sums go into the dense score array
 * without the first-touch test in the inner loop, and the touched list is one scan over the
 * items afterwards; the sums are added in the same order either way, so the bits agree. */
void pt__walk_exact_items(pt_rec_scratch *s) {
    const pt_recommender *r = s->r;
    uint32_t nu = r->n_users, nf = r->n_feats;
    uint64_t ops = 0, len = 0;
    for (uint32_t j = 0; j < s->n_mid && s->n_touched == 0; j++) {
        uint32_t m = s->mid_touched[j];
        len += m < nu ? r->urow[m].end - r->urow[m].off : 0;
    }
    int dense = s->n_touched == 0 && len >= 2 * (uint64_t)r->n_items;
    double *restrict score = s->score;
    for (uint32_t j = 0; j < s->n_mid; j++) {
        uint32_t m = s->mid_touched[j];
        double x = s->mid[m];
        if (!(x > 0.0)) {
            continue;
        }
        if (m < nu) {
            /* The hot loop of rp3b (about a third of a served recommendation), with the arrays
             * in locals so the compiler need not reload them after each store. */
            const pt__urow *ur = &r->urow[m];
            const uint32_t *restrict dst = r->u_item;
            const float *restrict pa = r->u_pa;
            if (dense) {
                for (uint32_t k = ur->off; k < ur->end; k++) {
                    score[dst[k]] += x * pa[k]; /* >= 0: adding a zero changes nothing */
                }
            } else {
                uint32_t *restrict touched = s->touched;
                uint32_t nt = s->n_touched;
                for (uint32_t k = ur->off; k < ur->end; k++) {
                    double y = x * pa[k];
                    uint32_t it = dst[k];
                    if (y > 0.0) {
                        if (score[it] == 0.0) {
                            touched[nt++] = it;
                        }
                        score[it] += y;
                    }
                }
                s->n_touched = nt;
            }
            ops += ur->end - ur->off;
            continue;
        }
        /* a feature's items, or (past the features) a parent category's sub-items */
        const pt__frow *fr = m < nu + nf ? &r->frow[m - nu] : &r->frow[m - nu - nf];
        uint32_t lo = m < nu + nf ? fr->off : fr->sub_off;
        uint32_t hi = m < nu + nf ? fr[1].off : fr[1].sub_off;
        const uint32_t *items = m < nu + nf ? r->fi_item : r->sub_item;
        for (uint32_t k = lo; k < hi; k++) {
            if (dense) {
                score[items[k]] += x / (hi - lo);
            } else {
                pt__walk_add(s, items[k], x / (hi - lo));
            }
        }
        ops += hi - lo;
    }
    if (dense) {
        uint32_t nt = 0;
        for (uint32_t it = 0; it < r->n_items; it++) {
            if (score[it] > 0.0) {
                s->touched[nt++] = it;
            }
        }
        s->n_touched = nt;
    }
    s->stats.ops += ops;
}

/* --- personalised PageRank ----------------------------------------------------------------- */

/* Put node x (in the user | item | feature index space) on the push queue if its residual is
 * above the threshold and it is not queued yet; note it as touched. */
static inline void ppr_touch(pt_rec_scratch *s, uint32_t x, uint32_t total, uint32_t *tail,
                             double thr) {
    if (!(s->ppr_flag[x] & 2)) {
        s->ppr_flag[x] |= 2;
        s->ppr_list[s->n_ppr_list++] = x;
    }
    if (!(s->ppr_flag[x] & 1) && s->ppr_r[x] >= thr) {
        s->ppr_flag[x] |= 1;
        s->ppr_queue[*tail] = x;
        *tail = *tail + 1 == total + 1 ? 0 : *tail + 1;
    }
}

/* Out-degree used for the push threshold of node x. */
static uint32_t ppr_deg(const pt_recommender *r, uint32_t x) {
    uint32_t nu = r->n_users, ni = r->n_items;
    if (x < nu) {
        return r->urow[x].end - r->urow[x].off;
    }
    if (x < nu + ni) {
        const pt__irow *ir = &r->irow[x - nu];
        return ir->end - ir->off + ir->n_tag + ir->n_cat + ir->n_brand;
    }
    uint32_t f = x - nu - ni;
    return r->frow[f + 1].off - r->frow[f].off + r->ch_off[f + 1] - r->ch_off[f] +
           (r->frow[f].parent != PT__NOIDX);
}

int pt__walk_ppr(pt_rec_scratch *s, double restart, double eps) {
    const pt_recommender *r = s->r;
    uint32_t nu = r->n_users, ni = r->n_items, nf = r->n_feats;
    uint32_t total = nu + ni + nf, head = 0, tail = 0;
    uint64_t ops = 0;
    double up = r->p.category_up;
    if (s->query_user == PT__NOIDX || s->n_q == 0) {
        return PT_OK;
    }
    s->n_ppr_list = 0;
    uint32_t src = s->query_user;
    s->ppr_r[src] = 1.0;
    ppr_touch(s, src, total, &tail, 0.0);
    double qtot = 0.0;
    for (uint32_t j = 0; j < s->n_q; j++) {
        qtot += s->qw[j];
    }
    while (head != tail) {
        uint32_t x = s->ppr_queue[head];
        head = head + 1 == total + 1 ? 0 : head + 1;
        s->ppr_flag[x] &= (uint8_t)~1u;
        double rx = s->ppr_r[x];
        uint32_t deg = ppr_deg(r, x);
        if (rx < eps * (deg > 0 ? deg : 1) && x != src) {
            continue;
        }
        s->ppr_p[x] += restart * rx;
        s->ppr_r[x] = 0.0;
        double m = (1.0 - restart) * rx;
        ops += deg;
#define PUSH(y, amount)                                                                            \
    do {                                                                                           \
        uint32_t y_ = (y);                                                                         \
        s->ppr_r[y_] += (amount);                                                                  \
        ppr_touch(s, y_, total, &tail, eps *(ppr_deg(r, y_) > 0 ? ppr_deg(r, y_) : 1));            \
    } while (0)
        if (x == src) {
            /* The querying user spreads by its query weights (recency, actions, rating). */
            for (uint32_t j = 0; j < s->n_q; j++) {
                PUSH(nu + s->qi[j], m * s->qw[j] / qtot);
            }
        } else if (x < nu) {
            const pt__urow *ur = &r->urow[x];
            double tot = 0.0;
            for (uint32_t k = ur->off; k < ur->end; k++) {
                tot += r->u_w[k];
            }
            for (uint32_t k = ur->off; k < ur->end; k++) {
                PUSH(nu + r->u_item[k], m * r->u_w[k] / tot);
            }
        } else if (x < nu + ni) {
            uint32_t it = x - nu;
            double pi[4];
            if (!hop_probs(r, it, pi)) {
                continue;
            }
            const pt__irow *ir = &r->irow[it];
            if (pi[PT__HOP_CB] > 0.0) {
                double tot = 0.0;
                for (uint32_t k = ir->off; k < ir->end; k++) {
                    tot += r->i_w[k];
                }
                for (uint32_t k = ir->off; k < ir->end; k++) {
                    PUSH(r->i_user[k], m * pi[PT__HOP_CB] * r->i_w[k] / tot);
                }
            }
            uint32_t fo = ir->f_off;
            uint32_t cnt[3] = {ir->n_tag, ir->n_cat, ir->n_brand};
            for (int kd = 0; kd < 3; kd++) {
                for (uint32_t k = fo; k < fo + cnt[kd] && pi[PT__HOP_TAG + kd] > 0.0; k++) {
                    PUSH(nu + ni + r->if_feat[k], m * pi[PT__HOP_TAG + kd] / cnt[kd]);
                }
                fo += cnt[kd];
            }
        } else {
            uint32_t f = x - nu - ni;
            const pt__frow *fr = &r->frow[f];
            uint32_t n_it = fr[1].off - fr->off;
            uint32_t n_c = r->ch_off[f + 1] - r->ch_off[f] + (fr->parent != PT__NOIDX);
            double to_c = n_c == 0 ? 0.0 : n_it == 0 ? 1.0 : up;
            for (uint32_t k = fr->off; k < fr[1].off; k++) {
                PUSH(nu + r->fi_item[k], m * (1.0 - to_c) / n_it);
            }
            if (to_c > 0.0) {
                for (uint32_t c = r->ch_off[f]; c < r->ch_off[f + 1]; c++) {
                    PUSH(nu + ni + r->children[c], m * to_c / n_c);
                }
                if (fr->parent != PT__NOIDX) {
                    PUSH(nu + ni + fr->parent, m * to_c / n_c);
                }
            }
        }
#undef PUSH
    }
    for (uint32_t j = 0; j < s->n_ppr_list; j++) {
        uint32_t x = s->ppr_list[j];
        if (x >= nu && x < nu + ni) {
            pt__walk_add(s, x - nu, s->ppr_p[x]);
        }
        s->ppr_p[x] = 0.0;
        s->ppr_r[x] = 0.0;
        s->ppr_flag[x] = 0;
    }
    s->n_ppr_list = 0;
    s->stats.ops += ops;
    return PT_OK;
}

/* --- EASE^R -------------------------------------------------------------------------------- */

/*
 * EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the item-item
 * weights B minimising ||X - XB||^2 + lambda ||B||^2 subject to diag(B) = 0 have the closed form
 * B = I - P diag(1 / diag P) with P = (X'X + lambda I)^-1, that is B_ij = -P_ij / P_jj for
 * i != j and B_ii = 0. X is the binary user-item matrix of the index (a pair counts once,
 * whatever its actions or rating). The Gram matrix is accumulated from blocks of users as dense
 * column-major blocks with BLAS dsyrk (so memory is one block plus the n x n matrix, not the
 * dense X), then inverted by Cholesky with LAPACK dpotrf / dpotri.
 */

/* LAPACK's Fortran entry points (OpenBLAS exports them; LP64: 32-bit int). The trailing size_t
 * is the hidden length of the character argument of gfortran's calling convention. */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
                    size_t uplo_len);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info,
                    size_t uplo_len);

/* Users per dense block of X in the Gram accumulation. */
#define EASE_BLOCK 256u

int pt__walk_ease_build(pt_recommender *r) {
    pt_ctx *ctx = r->ctx;
    uint32_t n = r->n_items;
    if (n > PT__EASE_MAX_ITEMS) {
        return pt__error(ctx, PT_ELIMIT,
                         "pt_recommender_new: ease needs a dense %u x %u item matrix; at most "
                         "%u items are supported (use rp3b)",
                         n, n, PT__EASE_MAX_ITEMS);
    }
    size_t nn = (size_t)n * n;
    double *p = pt__calloc(ctx, nn > 0 ? nn : 1, sizeof *p);
    double *xb = pt__calloc(ctx, (size_t)EASE_BLOCK * (n > 0 ? n : 1), sizeof *xb);
    if (p == NULL || xb == NULL) {
        pt__free(ctx, p);
        pt__free(ctx, xb);
        return pt__error(ctx, PT_ENOMEM, "pt_recommender_new: out of memory (ease, %u items)", n);
    }
    /* Upper triangle (column-major) of X'X, one block of users at a time. */
    for (uint32_t u0 = 0; u0 < r->n_users && n > 0; u0 += EASE_BLOCK) {
        uint32_t kb = r->n_users - u0 < EASE_BLOCK ? r->n_users - u0 : EASE_BLOCK;
        for (uint32_t b = 0; b < kb; b++) {
            const pt__urow *ur = &r->urow[u0 + b];
            for (uint32_t k = ur->off; k < ur->end; k++) {
                xb[(size_t)r->u_item[k] * kb + b] = 1.0;
            }
        }
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)n, (int)kb, 1.0, xb, (int)kb, 1.0,
                    p, (int)n);
        for (uint32_t b = 0; b < kb; b++) {
            const pt__urow *ur = &r->urow[u0 + b];
            for (uint32_t k = ur->off; k < ur->end; k++) {
                xb[(size_t)r->u_item[k] * kb + b] = 0.0;
            }
        }
    }
    pt__free(ctx, xb);
    for (uint32_t i = 0; i < n; i++) {
        p[(size_t)i * n + i] += r->p.lambda;
    }
    int ni = (int)n, info = 0;
    if (n > 0) {
        dpotrf_("U", &ni, p, &ni, &info, 1);
        if (info == 0) {
            dpotri_("U", &ni, p, &ni, &info, 1);
        }
    }
    if (info != 0) {
        pt__free(ctx, p);
        return pt__error(ctx, PT_EINVAL,
                         "pt_recommender_new: ease: X'X + lambda I is not positive definite "
                         "(LAPACK info %d); raise lambda above 0",
                         info);
    }
    /* The upper triangle holds P (column-major: P_ij, i <= j, at i + j n). Mirror it, then turn
     * P into B in place, row i = query item i: B_ij = -P_ij / P_jj, B_ii = 0. */
    for (uint32_t j = 0; j < n; j++) {
        for (uint32_t i = 0; i < j; i++) {
            p[(size_t)i * n + j] = p[(size_t)j * n + i];
        }
    }
    double *inv = pt__malloc(ctx, (n > 0 ? n : 1) * sizeof *inv);
    if (inv == NULL) {
        pt__free(ctx, p);
        return pt__error(ctx, PT_ENOMEM, "pt_recommender_new: out of memory (ease)");
    }
    for (uint32_t j = 0; j < n; j++) {
        inv[j] = -1.0 / p[(size_t)j * n + j];
    }
    for (uint32_t i = 0; i < n; i++) {
        double *row = &p[(size_t)i * n];
        for (uint32_t j = 0; j < n; j++) {
            row[j] *= inv[j];
        }
        row[i] = 0.0;
    }
    pt__free(ctx, inv);
    r->ease_b = p;
    r->ease_n = n;
    return PT_OK;
}

void pt__walk_ease_scores(pt_rec_scratch *s) {
    const pt_recommender *r = s->r;
    uint32_t n = r->ease_n; /* items synced in later have no EASE row or column: score 0 */
    /* Scaled so the heaviest query item has x = 1: a user without recency or action
     * differences gets the binary x_u of EASE^R, and the scores of the paper. */
    double top = 0.0;
    for (uint32_t j = 0; j < s->n_q; j++) {
        top = s->qw[j] > top ? s->qw[j] : top;
    }
    double scale = top > 0.0 ? 1.0 / top : 0.0;
    for (uint32_t j = 0; j < s->n_q; j++) {
        if (s->qi[j] >= n) {
            continue;
        }
        const double *row = &r->ease_b[(size_t)s->qi[j] * n];
        double *acc = s->ease_s, x = s->qw[j] * scale;
        for (uint32_t i = 0; i < n; i++) {
            acc[i] += x * row[i];
        }
    }
    s->stats.ops += (uint64_t)s->n_q * n;
}

/* --- ItemKNN --------------------------------------------------------------------------------- */

/* One candidate neighbour while an item's list is chosen. */
typedef struct knn_cand {
    uint32_t j;
    float sim;
} knn_cand;

/* Most similar first, then by item id. */
static int cmp_knn(const void *a, const void *b) {
    const knn_cand *x = a, *y = b;
    if (x->sim != y->sim) {
        return x->sim > y->sim ? -1 : 1;
    }
    return x->j < y->j ? -1 : x->j > y->j;
}

int pt__walk_knn_build(pt_recommender *r) {
    pt_ctx *ctx = r->ctx;
    uint32_t n = r->n_items, k = r->p.knn;
    if (n > PT__EASE_MAX_ITEMS) {
        return pt__error(ctx, PT_ELIMIT,
                         "pt_recommender_new: itemknn keeps dense co-occurrence counts; at most "
                         "%u items are supported (use rp3b)",
                         PT__EASE_MAX_ITEMS);
    }
    uint32_t *co = pt__calloc(ctx, (size_t)n + 1, sizeof *co);
    uint32_t *touched = pt__malloc(ctx, ((size_t)n + 1) * sizeof *touched);
    knn_cand *cand = pt__malloc(ctx, ((size_t)n + 1) * sizeof *cand);
    r->knn_off = pt__malloc(ctx, ((size_t)n + 1) * sizeof *r->knn_off);
    uint64_t cap = (uint64_t)n * (k < n ? k : n) + 1;
    r->knn_nbr = pt__malloc(ctx, cap * sizeof *r->knn_nbr);
    r->knn_sim = pt__malloc(ctx, cap * sizeof *r->knn_sim);
    if (co == NULL || touched == NULL || cand == NULL || r->knn_off == NULL ||
        r->knn_nbr == NULL || r->knn_sim == NULL) {
        pt__free(ctx, co);
        pt__free(ctx, touched);
        pt__free(ctx, cand);
        return pt__error(ctx, PT_ENOMEM, "pt_recommender_new: out of memory (itemknn)");
    }
    uint64_t pos = 0;
    for (uint32_t q = 0; q < n; q++) {
        r->knn_off[q] = (uint32_t)pos;
        const pt__irow *iq = &r->irow[q];
        uint32_t nt = 0;
        for (uint32_t a = iq->off; a < iq->end; a++) {
            const pt__urow *ur = &r->urow[r->i_user[a]];
            for (uint32_t b = ur->off; b < ur->end; b++) {
                uint32_t j = r->u_item[b];
                if (j != q && co[j]++ == 0) {
                    touched[nt++] = j;
                }
            }
        }
        double dq = (double)(iq->end - iq->off);
        for (uint32_t t = 0; t < nt; t++) {
            uint32_t j = touched[t];
            double dj = (double)(r->irow[j].end - r->irow[j].off);
            cand[t].j = j;
            cand[t].sim = (float)((double)co[j] / (sqrt(dq * dj) + r->p.shrink));
            co[j] = 0;
        }
        qsort(cand, nt, sizeof *cand, cmp_knn);
        for (uint32_t t = 0; t < nt && t < k; t++) {
            r->knn_nbr[pos] = cand[t].j;
            r->knn_sim[pos] = cand[t].sim;
            pos++;
        }
    }
    r->knn_off[n] = (uint32_t)pos;
    r->knn_n = n;
    /* The lists above are by target item: j's k most similar items i. A user's score of j
     * sums sim(i, j) over her items i in j's list (the neighbourhood is the target's, as in
     * the usual item-item formulation, score = x_u W with W's columns cut to k). Scoring
     * walks from the user's items, so turn the lists around: i's entries are the targets j
     * whose lists hold i. */
    uint32_t *deg = co; /* all zero again */
    for (uint64_t e = 0; e < pos; e++) {
        deg[r->knn_nbr[e]]++;
    }
    uint32_t *t_nbr = pt__malloc(ctx, (pos + 1) * sizeof *t_nbr);
    float *t_sim = pt__malloc(ctx, (pos + 1) * sizeof *t_sim);
    if (t_nbr == NULL || t_sim == NULL) {
        pt__free(ctx, t_nbr);
        pt__free(ctx, t_sim);
        pt__free(ctx, co);
        pt__free(ctx, touched);
        pt__free(ctx, cand);
        return pt__error(ctx, PT_ENOMEM, "pt_recommender_new: out of memory (itemknn)");
    }
    uint32_t *fill = touched; /* next free entry of each source row */
    uint32_t acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        fill[i] = acc;
        acc += deg[i];
    }
    for (uint32_t j = 0; j < n; j++) {
        for (uint32_t e = r->knn_off[j]; e < r->knn_off[j + 1]; e++) {
            uint32_t i = r->knn_nbr[e];
            t_nbr[fill[i]] = j;
            t_sim[fill[i]++] = r->knn_sim[e];
        }
    }
    acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        r->knn_off[i] = acc;
        acc += deg[i];
    }
    r->knn_off[n] = acc;
    pt__free(ctx, r->knn_nbr);
    pt__free(ctx, r->knn_sim);
    r->knn_nbr = t_nbr;
    r->knn_sim = t_sim;
    pt__free(ctx, co);
    pt__free(ctx, touched);
    pt__free(ctx, cand);
    return PT_OK;
}

void pt__walk_knn_scores(pt_rec_scratch *s) {
    const pt_recommender *r = s->r;
    for (uint32_t j = 0; j < s->n_q; j++) {
        uint32_t q = s->qi[j];
        if (q >= r->knn_n) {
            continue; /* an item synced in after the fit */
        }
        double x = s->qw[j];
        for (uint32_t e = r->knn_off[q]; e < r->knn_off[q + 1]; e++) {
            pt__walk_add(s, r->knn_nbr[e], x * r->knn_sim[e]);
        }
        s->stats.ops += r->knn_off[q + 1] - r->knn_off[q];
    }
}

void pt__walk_knn_dense(const pt_rec_scratch *s, double *out) {
    const pt_recommender *r = s->r;
    for (uint32_t j = 0; j < s->n_q; j++) {
        uint32_t q = s->qi[j];
        if (q >= r->knn_n) {
            continue;
        }
        double x = s->qw[j];
        for (uint32_t e = r->knn_off[q]; e < r->knn_off[q + 1]; e++) {
            out[r->knn_nbr[e]] += x * r->knn_sim[e];
        }
    }
}

double pt__walk_knn_sim(const pt_recommender *r, uint32_t q, uint32_t it) {
    if (q >= r->knn_n) {
        return 0.0;
    }
    for (uint32_t e = r->knn_off[q]; e < r->knn_off[q + 1]; e++) {
        if (r->knn_nbr[e] == it) {
            return r->knn_sim[e];
        }
    }
    return 0.0;
}
