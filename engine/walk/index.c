/*
 * index.c - the recommender's index: a typed, compact copy of the behaviour and meta-path part
 * of the graph, built once by pt_recommender_new() and read by every query.
 *
 * Users, items and features (tags, categories, brands) get dense local ids. Every (user, item)
 * pair with behaviour becomes one aggregated edge: the sum over its behaviour edges of the
 * action weight, times (rating / rating_center)^rating_power for rated and reviewed edges; the
 * strongest predicate is kept so explanations can name a real edge. Rows in both directions
 * carry alias tables (Vose's O(n) construction of Walker's alias method) over w^alpha, and a
 * per-row importance factor sum((w / row sum)^alpha) that turns alpha-sampled visits back into
 * unbiased P3alpha terms. The index is built with pt_graph_edges(), so edges appended after
 * load (the delta) are included.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "walk/walk.h"

enum { K_NONE = 0, K_USER = 1, K_ITEM = 2, K_FEAT = 3 };

/* One raw behaviour edge of a user while its row is aggregated. */
typedef struct raw_ui {
    uint32_t item;
    float w;
    float best;
    pt_node_id pred;
    int64_t time;
} raw_ui;

/* Order raw behaviour edges by item, then by predicate id (so merging is deterministic). */
static int cmp_raw(const void *a, const void *b) {
    const raw_ui *x = a, *y = b;
    if (x->item != y->item) {
        return x->item < y->item ? -1 : 1;
    }
    return x->pred < y->pred ? -1 : x->pred > y->pred;
}

/* Weight of one behaviour edge of role `role` with stored weight `w` under parameters `p`:
 * the action weight, scaled by the rating for rated/reviewed edges when rating_center > 0.
 * Ratings at or below zero count as a hundredth of the centre. */
double pt__walk_edge_weight(const pt_walk_params *p, pt_role role, double w) {
    double aw = p->action_weight[role];
    if ((role == PT_ROLE_RATED || role == PT_ROLE_REVIEWED) && p->rating_center > 0.0) {
        double x = w > 0.0 ? w / p->rating_center : 0.01;
        aw *= pow(x, p->rating_power);
    }
    return aw;
}

/* Fill the alias entries `out[0..n)` for destinations `dst` with weights `w` raised to
 * `alpha` (Vose 1991), and pa[j] = (w_j / sum w)^alpha. `qv`, `sm`, `lg` are scratch of n
 * entries. Returns the importance
 * factor sum((w_j / sum w)^alpha), 1 for an empty row. */
float pt__walk_alias(const uint32_t *dst, const float *w, uint32_t n, double alpha,
                     pt__alias *out, float *pa, double *qv, uint32_t *sm, uint32_t *lg) {
    if (n == 0) {
        return 1.0f;
    }
    double tot = 0.0, tot_a = 0.0;
    for (uint32_t j = 0; j < n; j++) {
        tot += w[j];
    }
    /* One pow per entry: x_j = (w_j / tot)^alpha is the P3alpha term, w_j^alpha = x_j tot^alpha
     * is proportional to it (the alias table only needs proportions), and c = sum x_j. */
    double c = 0.0;
    for (uint32_t j = 0; j < n; j++) {
        double x = alpha == 1.0 ? w[j] / tot : pow(w[j] / tot, alpha);
        pa[j] = (float)x;
        qv[j] = x;
        tot_a += x;
        c += x;
    }
    if (alpha == 1.0) {
        c = 1.0;
    }
    uint32_t ns = 0, nl = 0;
    for (uint32_t j = 0; j < n; j++) {
        qv[j] = qv[j] * (double)n / tot_a;
        out[j].a = dst[j];
        out[j].b = dst[j];
        out[j].p = 1.0f;
        if (qv[j] < 1.0) {
            sm[ns++] = j;
        } else {
            lg[nl++] = j;
        }
    }
    while (ns > 0 && nl > 0) {
        uint32_t s = sm[--ns], l = lg[nl - 1];
        out[s].p = (float)qv[s];
        out[s].b = dst[l];
        qv[l] -= 1.0 - qv[s];
        if (qv[l] < 1.0) {
            nl--;
            sm[ns++] = l;
        }
    }
    /* Entries left in either stack keep p = 1 (rounding leftovers). */
    return (float)c;
}

/* Order items by number of users, descending, then by local id. `ud` is the irow table. */
static int cmp_pop(const void *a, const void *b, void *ud) {
    const pt__irow *ir = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint32_t dx = ir[x].end - ir[x].off, dy = ir[y].end - ir[y].off;
    if (dx != dy) {
        return dx > dy ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

/* Allocate `n` (at least 1) elements of `size` bytes on r's ctx; sets *fail on failure. */
static void *arr(pt_recommender *r, size_t n, size_t size, int *fail) {
    void *p = pt__calloc(r->ctx, n == 0 ? 1 : n, size);
    if (p == NULL) {
        *fail = 1;
    }
    return p;
}

/* Map a meta-path role to a feature kind, or -1. */
static int feat_kind(pt_role role) {
    switch (role) {
    case PT_ROLE_HAS_TAG:
        return PT__F_TAG;
    case PT_ROLE_IN_CATEGORY:
        return PT__F_CAT;
    case PT_ROLE_BRAND:
        return PT__F_BRAND;
    default:
        return -1;
    }
}

/* Pass 1: give every node its kind from its class, then from the roles of the edges around it
 * (behaviour edges make users and items; hasTag/inCategory/brand make items and features;
 * broader makes categories). Counts raw behaviour edges into *n_raw and the largest user row
 * into *max_row. */
static void classify(pt_recommender *r, uint8_t *fkind, uint64_t *n_raw, uint32_t *max_row) {
    const pt_graph *g = r->g;
    uint32_t n = r->n_nodes;
    for (uint32_t v = 0; v < n; v++) {
        pt_class c = pt_graph_node_class(g, v);
        if (c == PT_CLASS_USER) {
            r->kind[v] = K_USER;
        } else if (c == PT_CLASS_ITEM) {
            r->kind[v] = K_ITEM;
        } else if (c == PT_CLASS_TAG || c == PT_CLASS_CATEGORY || c == PT_CLASS_BRAND) {
            r->kind[v] = K_FEAT;
            fkind[v] = c == PT_CLASS_TAG        ? PT__F_TAG
                       : c == PT_CLASS_CATEGORY ? PT__F_CAT
                                                : PT__F_BRAND;
        }
    }
    *n_raw = 0;
    *max_row = 0;
    for (uint32_t v = 0; v < n; v++) {
        pt_edge_iter it;
        pt_edge e;
        uint32_t row = 0;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (e.dst >= n) {
                continue;
            }
            pt_role role = pt_graph_pred_role(g, e.pred);
            int fk = feat_kind(role);
            if (PT_ROLE_IS_BEHAVIOUR(role)) {
                if (r->kind[v] == K_NONE) {
                    r->kind[v] = K_USER;
                }
                if (r->kind[e.dst] == K_NONE) {
                    r->kind[e.dst] = K_ITEM;
                }
                if (r->kind[v] == K_USER && r->kind[e.dst] == K_ITEM) {
                    row++;
                }
            } else if (fk >= 0) {
                if (r->kind[v] == K_NONE) {
                    r->kind[v] = K_ITEM;
                }
                if (r->kind[e.dst] == K_NONE) {
                    r->kind[e.dst] = K_FEAT;
                    fkind[e.dst] = (uint8_t)fk;
                }
            } else if (role == PT_ROLE_BROADER) {
                for (int s = 0; s < 2; s++) {
                    pt_node_id x = s == 0 ? v : e.dst;
                    if (r->kind[x] == K_NONE) {
                        r->kind[x] = K_FEAT;
                        fkind[x] = PT__F_CAT;
                    }
                }
            }
        }
        *n_raw += row;
        if (row > *max_row) {
            *max_row = row;
        }
    }
}

/* Pass 2: aggregate each user's behaviour edges into its row (sorted by item) and fill
 * u_item, u_w, u_time, u_pred, urow offsets and user_last. `tmp` holds max_row raw edges. */
static void build_users(pt_recommender *r, raw_ui *tmp) {
    const pt_graph *g = r->g;
    uint64_t pos = 0;
    for (uint32_t u = 0; u < r->n_users; u++) {
        pt_node_id v = r->user_node[u];
        uint32_t n_row = 0;
        pt_edge_iter it;
        pt_edge e;
        r->urow[u].off = (uint32_t)pos;
        r->user_last[u] = PT_TIME_UNKNOWN;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            pt_role role = pt_graph_pred_role(g, e.pred);
            if (!PT_ROLE_IS_BEHAVIOUR(role) || e.dst >= r->n_nodes || r->kind[e.dst] != K_ITEM) {
                continue;
            }
            double w = pt__walk_edge_weight(&r->p, role, e.weight);
            tmp[n_row++] = (raw_ui){r->loc[e.dst], (float)w, (float)w, e.pred, e.time};
        }
        qsort(tmp, n_row, sizeof *tmp, cmp_raw);
        for (uint32_t j = 0; j < n_row;) {
            raw_ui m = tmp[j];
            uint32_t k = j + 1;
            for (; k < n_row && tmp[k].item == m.item; k++) {
                m.w += tmp[k].w;
                if (tmp[k].best > m.best) {
                    m.best = tmp[k].best;
                    m.pred = tmp[k].pred;
                }
                if (m.time == PT_TIME_UNKNOWN ||
                    (tmp[k].time != PT_TIME_UNKNOWN && tmp[k].time > m.time)) {
                    m.time = tmp[k].time;
                }
            }
            j = k;
            if (!(m.w > 0.0f)) {
                continue;
            }
            r->u_item[pos] = m.item;
            r->u_w[pos] = m.w;
            r->u_time[pos] = m.time;
            r->u_pred[pos] = m.pred;
            if (m.time != PT_TIME_UNKNOWN &&
                (r->user_last[u] == PT_TIME_UNKNOWN || m.time > r->user_last[u])) {
                r->user_last[u] = m.time;
            }
            pos++;
        }
    }
    r->urow[r->n_users].off = (uint32_t)pos;
    for (uint32_t u = 0; u <= r->n_users; u++) {
        r->urow[u].end = u < r->n_users ? r->urow[u + 1].off : (uint32_t)pos;
        r->urow[u].cap = r->urow[u].end - r->urow[u].off;
    }
    r->n_ui = pos;
    r->u_len = pos;
}

/* Pass 3: transpose the user rows into item rows (users of each item, sorted by user). */
static void build_items(pt_recommender *r, uint32_t *fill) {
    memset(fill, 0, ((size_t)r->n_items + 1) * sizeof *fill);
    for (uint64_t k = 0; k < r->n_ui; k++) {
        fill[r->u_item[k] + 1]++;
    }
    for (uint32_t i = 0; i < r->n_items; i++) {
        fill[i + 1] += fill[i];
    }
    for (uint32_t i = 0; i <= r->n_items; i++) {
        r->irow[i].off = fill[i];
        r->irow[i].end = i < r->n_items ? fill[i + 1] : fill[i];
        r->irow[i].cap = r->irow[i].end - r->irow[i].off;
    }
    r->i_len = r->n_ui;
    for (uint32_t u = 0; u < r->n_users; u++) {
        for (uint32_t k = r->urow[u].off; k < r->urow[u].end; k++) {
            uint32_t it = r->u_item[k];
            uint32_t at = fill[it]++;
            r->i_user[at] = u;
            r->i_w[at] = r->u_w[k];
        }
    }
}

/* Pass 4: item features (tags, categories, brands in that order per item, each capped at the
 * header's counter width), the feature -> items rows, parents, children and the sub-item lists
 * of categories (own items plus the items of the direct children). Returns PT_OK or
 * PT_ENOMEM. */
static int build_features(pt_recommender *r, const uint8_t *fkind) {
    const pt_graph *g = r->g;
    int fail = 0;
    uint32_t caps[PT__F_KINDS] = {65535u, 255u, 255u};
    /* Count. */
    uint64_t n_if = 0;
    for (int pass = 0; pass < 2; pass++) {
        n_if = 0;
        for (uint32_t i = 0; i < r->n_items; i++) {
            uint32_t cnt[PT__F_KINDS] = {0, 0, 0};
            pt_edge_iter it;
            pt_edge e;
            if (pass == 1) {
                r->irow[i].f_off = (uint32_t)n_if;
            }
            /* Three sweeps keep the per-item order tags, categories, brands. */
            for (int kd = 0; kd < PT__F_KINDS; kd++) {
                pt_graph_edges(g, r->item_node[i], 0, PT_NONE, &it);
                while (pt_graph_edge_next(&it, &e)) {
                    int fk = feat_kind(pt_graph_pred_role(g, e.pred));
                    if (fk != kd || e.dst >= r->n_nodes || r->kind[e.dst] != K_FEAT ||
                        cnt[kd] >= caps[kd]) {
                        continue;
                    }
                    if (pass == 1) {
                        r->if_feat[n_if] = r->loc[e.dst];
                        r->if_pred[n_if] = e.pred;
                    }
                    cnt[kd]++;
                    n_if++;
                }
            }
            if (pass == 1) {
                r->irow[i].n_tag = (uint16_t)cnt[PT__F_TAG];
                r->irow[i].n_cat = (uint8_t)cnt[PT__F_CAT];
                r->irow[i].n_brand = (uint8_t)cnt[PT__F_BRAND];
            }
        }
        if (pass == 0) {
            r->if_feat = arr(r, n_if, sizeof *r->if_feat, &fail);
            r->if_pred = arr(r, n_if, sizeof *r->if_pred, &fail);
            if (fail) {
                return PT_ENOMEM;
            }
        }
    }
    r->irow[r->n_items].f_off = (uint32_t)n_if;
    r->n_if = n_if;
    /* Feature -> items. */
    uint32_t nf = r->n_feats;
    uint32_t *fill = arr(r, (size_t)nf + 1, sizeof *fill, &fail);
    r->fi_item = arr(r, n_if, sizeof *r->fi_item, &fail);
    r->parent_pred = arr(r, nf, sizeof *r->parent_pred, &fail);
    r->ch_off = arr(r, (size_t)nf + 1, sizeof *r->ch_off, &fail);
    if (fail) {
        pt__free(r->ctx, fill);
        return PT_ENOMEM;
    }
    for (uint64_t k = 0; k < n_if; k++) {
        fill[r->if_feat[k] + 1]++;
    }
    for (uint32_t f = 0; f < nf; f++) {
        fill[f + 1] += fill[f];
    }
    for (uint32_t f = 0; f <= nf; f++) {
        r->frow[f].off = fill[f];
    }
    for (uint32_t i = 0; i < r->n_items; i++) {
        uint32_t end = r->irow[i].f_off + r->irow[i].n_tag + r->irow[i].n_cat + r->irow[i].n_brand;
        for (uint32_t k = r->irow[i].f_off; k < end; k++) {
            r->fi_item[fill[r->if_feat[k]]++] = i;
        }
    }
    /* Parents (the first broader edge to a category) and children. */
    for (uint32_t f = 0; f < nf; f++) {
        pt_edge_iter it;
        pt_edge e;
        r->frow[f].kind = fkind[r->feat_node[f]];
        r->frow[f].parent = PT__NOIDX;
        r->parent_pred[f] = PT_NONE;
        pt_graph_edges(g, r->feat_node[f], 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (pt_graph_pred_role(g, e.pred) == PT_ROLE_BROADER && e.dst < r->n_nodes &&
                r->kind[e.dst] == K_FEAT && e.dst != r->feat_node[f]) {
                r->frow[f].parent = r->loc[e.dst];
                r->parent_pred[f] = e.pred;
                break;
            }
        }
    }
    memset(fill, 0, ((size_t)nf + 1) * sizeof *fill);
    for (uint32_t f = 0; f < nf; f++) {
        if (r->frow[f].parent != PT__NOIDX) {
            fill[r->frow[f].parent + 1]++;
        }
    }
    for (uint32_t f = 0; f < nf; f++) {
        fill[f + 1] += fill[f];
    }
    memcpy(r->ch_off, fill, ((size_t)nf + 1) * sizeof *fill);
    r->children = arr(r, fill[nf], sizeof *r->children, &fail);
    if (fail) {
        pt__free(r->ctx, fill);
        return PT_ENOMEM;
    }
    for (uint32_t f = 0; f < nf; f++) {
        if (r->frow[f].parent != PT__NOIDX) {
            r->children[fill[r->frow[f].parent]++] = f;
        }
    }
    /* Sub-item lists: own items, then the items of each child. */
    uint64_t n_sub = 0;
    for (uint32_t f = 0; f < nf; f++) {
        if (r->ch_off[f + 1] == r->ch_off[f]) {
            continue;
        }
        n_sub += r->frow[f + 1].off - r->frow[f].off;
        for (uint32_t c = r->ch_off[f]; c < r->ch_off[f + 1]; c++) {
            uint32_t ch = r->children[c];
            n_sub += r->frow[ch + 1].off - r->frow[ch].off;
        }
    }
    r->sub_item = arr(r, n_sub, sizeof *r->sub_item, &fail);
    if (fail) {
        pt__free(r->ctx, fill);
        return PT_ENOMEM;
    }
    uint64_t pos = 0;
    for (uint32_t f = 0; f < nf; f++) {
        r->frow[f].sub_off = (uint32_t)pos;
        if (r->ch_off[f + 1] == r->ch_off[f]) {
            continue;
        }
        for (uint32_t k = r->frow[f].off; k < r->frow[f + 1].off; k++) {
            r->sub_item[pos++] = r->fi_item[k];
        }
        for (uint32_t c = r->ch_off[f]; c < r->ch_off[f + 1]; c++) {
            uint32_t ch = r->children[c];
            for (uint32_t k = r->frow[ch].off; k < r->frow[ch + 1].off; k++) {
                r->sub_item[pos++] = r->fi_item[k];
            }
        }
    }
    r->frow[nf].sub_off = (uint32_t)pos;
    r->frow[nf].parent = PT__NOIDX;
    pt__free(r->ctx, fill);
    return PT_OK;
}

/* Pass 5: alias tables and importance factors of both directions, popularity penalties and
 * the popularity order. Returns PT_OK or PT_ENOMEM. */
static int build_alias_pop(pt_recommender *r, uint32_t max_row) {
    int fail = 0;
    uint32_t max_i = 0;
    for (uint32_t i = 0; i < r->n_items; i++) {
        uint32_t d = r->irow[i].end - r->irow[i].off;
        max_i = d > max_i ? d : max_i;
    }
    uint32_t m = max_row > max_i ? max_row : max_i;
    double *qv = arr(r, m, sizeof *qv, &fail);
    uint32_t *sm = arr(r, m, sizeof *sm, &fail);
    uint32_t *lg = arr(r, m, sizeof *lg, &fail);
    if (fail) {
        pt__free(r->ctx, qv);
        pt__free(r->ctx, sm);
        pt__free(r->ctx, lg);
        return PT_ENOMEM;
    }
    double alpha = r->p.alpha;
    for (uint32_t u = 0; u < r->n_users; u++) {
        uint32_t o = r->urow[u].off, n = r->urow[u].end - o;
        r->urow[u].c = pt__walk_alias(r->u_item + o, r->u_w + o, n, alpha, r->u_alias + o, r->u_pa + o,
                                   qv, sm, lg);
    }
    r->urow[r->n_users].c = 1.0f;
    for (uint32_t i = 0; i < r->n_items; i++) {
        uint32_t o = r->irow[i].off, n = r->irow[i].end - o;
        r->irow[i].c = pt__walk_alias(r->i_user + o, r->i_w + o, n, alpha, r->i_alias + o, r->i_pa + o,
                                   qv, sm, lg);
        r->pop_pen[i] = pow(n > 1 ? (double)n : 1.0, -r->p.beta);
        r->pop_order[i] = i;
    }
    r->irow[r->n_items].c = 1.0f;
    for (uint32_t u = 0; u < r->n_users; u++) {
        pt__walk_upa_fill(r, u);
    }
    qsort_r(r->pop_order, r->n_items, sizeof *r->pop_order, cmp_pop, r->irow);
    pt__free(r->ctx, qv);
    pt__free(r->ctx, sm);
    pt__free(r->ctx, lg);
    return PT_OK;
}

int pt__walk_index_build(pt_recommender *r) {
    int fail = 0, rc = PT_OK;
    r->j_seen = r->g->j_base + r->g->j_n;
    uint8_t *fkind = NULL;
    raw_ui *tmp = NULL;
    uint32_t *fill = NULL;
    r->n_nodes = pt_graph_node_count(r->g);
    uint32_t n = r->n_nodes;
    r->loc = arr(r, n, sizeof *r->loc, &fail);
    r->kind = arr(r, n, sizeof *r->kind, &fail);
    fkind = arr(r, n, 1, &fail);
    if (fail) {
        rc = PT_ENOMEM;
        goto done;
    }
    uint64_t n_raw;
    uint32_t max_row;
    classify(r, fkind, &n_raw, &max_row);
    for (uint32_t v = 0; v < n; v++) {
        uint32_t *cnt = r->kind[v] == K_USER   ? &r->n_users
                        : r->kind[v] == K_ITEM ? &r->n_items
                        : r->kind[v] == K_FEAT ? &r->n_feats
                                               : NULL;
        r->loc[v] = cnt != NULL ? (*cnt)++ : PT__NOIDX;
    }
    if (n_raw >= 0xFFFFFFF0u) {
        rc = pt__error(r->ctx, PT_ELIMIT, "pt_recommender_new: more than 2^32 behaviour edges");
        goto done;
    }
    r->user_node = arr(r, r->n_users, sizeof *r->user_node, &fail);
    r->item_node = arr(r, r->n_items, sizeof *r->item_node, &fail);
    r->feat_node = arr(r, r->n_feats, sizeof *r->feat_node, &fail);
    r->urow = arr(r, (size_t)r->n_users + 1, sizeof *r->urow, &fail);
    r->user_last = arr(r, r->n_users, sizeof *r->user_last, &fail);
    r->u_item = arr(r, n_raw, sizeof *r->u_item, &fail);
    r->u_w = arr(r, n_raw, sizeof *r->u_w, &fail);
    r->u_time = arr(r, n_raw, sizeof *r->u_time, &fail);
    r->u_pred = arr(r, n_raw, sizeof *r->u_pred, &fail);
    r->irow = arr(r, (size_t)r->n_items + 1, sizeof *r->irow, &fail);
    r->frow = arr(r, (size_t)r->n_feats + 1, sizeof *r->frow, &fail);
    tmp = arr(r, max_row, sizeof *tmp, &fail);
    if (fail) {
        rc = PT_ENOMEM;
        goto done;
    }
    for (uint32_t v = 0; v < n; v++) {
        if (r->kind[v] == K_USER) {
            r->user_node[r->loc[v]] = v;
        } else if (r->kind[v] == K_ITEM) {
            r->item_node[r->loc[v]] = v;
        } else if (r->kind[v] == K_FEAT) {
            r->feat_node[r->loc[v]] = v;
        }
    }
    build_users(r, tmp);
    r->u_alias = arr(r, r->n_ui, sizeof *r->u_alias, &fail);
    r->i_user = arr(r, r->n_ui, sizeof *r->i_user, &fail);
    r->i_w = arr(r, r->n_ui, sizeof *r->i_w, &fail);
    r->i_alias = arr(r, r->n_ui, sizeof *r->i_alias, &fail);
    r->u_pa = arr(r, r->n_ui, sizeof *r->u_pa, &fail);
    r->i_pa = arr(r, r->n_ui, sizeof *r->i_pa, &fail);
    r->i_upa = arr(r, r->n_ui, sizeof *r->i_upa, &fail);
    r->pop_pen = arr(r, r->n_items, sizeof *r->pop_pen, &fail);
    r->pop_order = arr(r, r->n_items, sizeof *r->pop_order, &fail);
    fill = arr(r, (size_t)r->n_items + 1, sizeof *fill, &fail);
    if (fail) {
        rc = PT_ENOMEM;
        goto done;
    }
    build_items(r, fill);
    PT_TRY(build_features(r, fkind));
    PT_TRY(build_alias_pop(r, max_row));
    r->hop_w[PT__HOP_CB] = r->p.w_cobehaviour;
    r->hop_w[PT__HOP_TAG] = r->p.w_tag;
    r->hop_w[PT__HOP_CAT] = r->p.w_category;
    r->hop_w[PT__HOP_BRAND] = r->p.w_brand;
    r->hop_w[PT__HOP_UP] = 0.0;
    r->walkers = 32;
    r->has_meta = r->n_if > 0 && (r->p.w_tag > 0.0 || r->p.w_category > 0.0 || r->p.w_brand > 0.0);
done:
    pt__free(r->ctx, fkind);
    pt__free(r->ctx, tmp);
    pt__free(r->ctx, fill);
    return rc;
}

void pt__walk_index_free(pt_recommender *r) {
    pt_ctx *ctx = r->ctx;
    void *arrays[] = {r->loc,       r->kind,    r->user_node, r->urow,        r->u_item,
                      r->u_w,       r->u_time,  r->u_pred,    r->u_alias,     r->user_last,
                      r->item_node, r->irow,    r->i_user,    r->i_w,         r->i_alias,
                      r->if_feat,   r->if_pred, r->pop_pen,   r->pop_order,   r->feat_node,
                      r->frow,      r->fi_item, r->sub_item,  r->parent_pred, r->children,
                      r->ch_off,    r->u_pa,    r->i_pa,      r->ease_b,      r->pop_pos,
                      r->knn_off,   r->knn_nbr, r->knn_sim,   r->i_upa};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        pt__free(ctx, arrays[i]);
    }
}

void pt__walk_upa_fill(pt_recommender *r, uint32_t u) {
    for (uint32_t p = r->urow[u].off; p < r->urow[u].end; p++) {
        const pt__irow *ir = &r->irow[r->u_item[p]];
        uint32_t lo = pt__walk_lower(r->i_user, ir->off, ir->end, u);
        if (lo < ir->end && r->i_user[lo] == u) {
            r->i_upa[lo] = r->u_pa[p];
        }
    }
}

uint32_t pt__walk_user_find(const pt_recommender *r, uint32_t u, uint32_t it) {
    uint32_t lo = pt__walk_lower(r->u_item, r->urow[u].off, r->urow[u].end, it);
    return lo < r->urow[u].end && r->u_item[lo] == it ? lo : PT__NOIDX;
}

uint32_t pt__walk_parent(const pt_recommender *r, uint32_t f) {
    return f < r->n_feats ? r->frow[f].parent : PT__NOIDX;
}
