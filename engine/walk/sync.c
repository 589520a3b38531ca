/*
 * sync.c - keeping a recommender current with the edges appended to its graph (real-time
 * events) without rebuilding it.
 *
 * The graph keeps a change journal of every appended or updated edge (graph.h). A sync reads
 * the journal from where the recommender left it, collects the (user, item) pairs whose
 * behaviour changed, re-aggregates each pair from the graph exactly as the index build does
 * (action weights, rating, strongest predicate, latest time), and writes it into both of its
 * rows. A row that must grow moves to the end of its arrays with twice its length as room, so
 * an insertion costs O(row) and the arrays never hold more garbage than live entries plus room.
 * Alias tables and importance factors are rebuilt for the touched rows only; popularity
 * penalties and the popularity order change for the touched items alone. New users and items
 * take the next local ids. The cost is the length of the touched rows, not the size of the
 * graph.
 *
 * What waits for a rebuild (pt_recommender_new): tags, categories and brands of items appended
 * after the build, and the fitted item-item models (the EASE^R matrix, the ItemKNN neighbour
 * lists: new items have no row in them). When the
 * journal has dropped entries this recommender had not read (it fell more than an eighth of the
 * graph behind), sync rebuilds the index from the graph.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "walk/walk.h"

enum { K_NONE = 0, K_USER = 1, K_ITEM = 2, K_FEAT = 3 };

/* One changed (user node, item node) pair and its re-aggregated value. */
typedef struct pair {
    pt_node_id v, o;
    float w, best;
    pt_node_id pred;
    int64_t time;
} pair;

static int cmp_pair(const void *a, const void *b) {
    const pair *x = a, *y = b;
    if (x->v != y->v) {
        return x->v < y->v ? -1 : 1;
    }
    return x->o < y->o ? -1 : x->o > y->o;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Grow the array *p of `old_n` elements to `new_n` (zero-filled). PT_OK or PT_ENOMEM. */
static int grow(pt_ctx *ctx, void *pp, size_t old_n, size_t new_n, size_t elem) {
    void **p = pp;
    void *q = pt__realloc(ctx, *p, (new_n > 0 ? new_n : 1) * elem);
    if (q == NULL) {
        return PT_ENOMEM;
    }
    if (new_n > old_n) {
        memset((char *)q + old_n * elem, 0, (new_n - old_n) * elem);
    }
    *p = q;
    return PT_OK;
}

/* Room for `n` graph nodes in loc / kind. */
static int reserve_nodes(pt_recommender *r, uint32_t n) {
    uint32_t cap = r->node_cap != 0 ? r->node_cap : r->n_nodes;
    if (n > cap) {
        uint32_t nc = cap * 2 > n ? cap * 2 : n;
        if (grow(r->ctx, &r->loc, cap, nc, sizeof *r->loc) != PT_OK ||
            grow(r->ctx, &r->kind, cap, nc, sizeof *r->kind) != PT_OK) {
            return PT_ENOMEM;
        }
        for (uint32_t v = cap; v < nc; v++) {
            r->loc[v] = PT__NOIDX;
        }
        r->node_cap = nc;
    }
    for (uint32_t v = r->n_nodes; v < n; v++) {
        r->loc[v] = PT__NOIDX;
        r->kind[v] = K_NONE;
    }
    if (n > r->n_nodes) {
        r->n_nodes = n;
    }
    return PT_OK;
}

/* A new user for graph node v: the next local id, an empty row. */
static int add_user(pt_recommender *r, pt_node_id v, uint32_t *out) {
    uint32_t cap = r->user_cap != 0 ? r->user_cap : r->n_users;
    if (r->n_users + 1 > cap) {
        uint32_t nc = cap < 64 ? 128 : cap * 2;
        if (grow(r->ctx, &r->user_node, cap, nc, sizeof *r->user_node) != PT_OK ||
            grow(r->ctx, &r->urow, (size_t)cap + 1, (size_t)nc + 1, sizeof *r->urow) != PT_OK ||
            grow(r->ctx, &r->user_last, cap, nc, sizeof *r->user_last) != PT_OK) {
            return PT_ENOMEM;
        }
        r->user_cap = nc;
        r->scratch_gen++;
    }
    uint32_t u = r->n_users++;
    r->user_node[u] = v;
    r->urow[u] = (pt__urow){(uint32_t)r->u_len, (uint32_t)r->u_len, 1.0f, 0};
    r->urow[u + 1] = (pt__urow){(uint32_t)r->u_len, (uint32_t)r->u_len, 1.0f, 0};
    r->user_last[u] = PT_TIME_UNKNOWN;
    r->kind[v] = K_USER;
    r->loc[v] = u;
    *out = u;
    return PT_OK;
}

/* A new item for graph node o: the next local id, no users, no features, last in popularity. */
static int add_item(pt_recommender *r, pt_node_id o, uint32_t *out) {
    uint32_t cap = r->item_cap != 0 ? r->item_cap : r->n_items;
    if (r->n_items + 1 > cap) {
        uint32_t nc = cap < 64 ? 128 : cap * 2;
        if (grow(r->ctx, &r->item_node, cap, nc, sizeof *r->item_node) != PT_OK ||
            grow(r->ctx, &r->irow, (size_t)cap + 1, (size_t)nc + 1, sizeof *r->irow) != PT_OK ||
            grow(r->ctx, &r->pop_pen, cap, nc, sizeof *r->pop_pen) != PT_OK ||
            grow(r->ctx, &r->pop_order, cap, nc, sizeof *r->pop_order) != PT_OK ||
            grow(r->ctx, &r->pop_pos, cap, nc, sizeof *r->pop_pos) != PT_OK) {
            return PT_ENOMEM;
        }
        r->item_cap = nc;
        r->scratch_gen++;
    }
    uint32_t i = r->n_items++;
    r->item_node[i] = o;
    pt__irow empty = {(uint32_t)r->i_len, (uint32_t)r->i_len, 1.0f, 0, 0, 0, 0, 0};
    r->irow[i] = empty;
    r->irow[i + 1] = empty;
    r->pop_pen[i] = 1.0;
    r->pop_order[i] = i;
    r->pop_pos[i] = i;
    r->kind[o] = K_ITEM;
    r->loc[o] = i;
    *out = i;
    return PT_OK;
}

/* Grow the parallel arrays arr[0..n_arr) (element sizes elem[]) of capacity *cap (0: `built`,
 * their length as built) so that `need` more entries fit after the first `len`. */
static int reserve_rows(pt_ctx *ctx, void **const *arr, const size_t *elem, int n_arr,
                        uint64_t *cap, uint64_t built, uint64_t len, uint64_t need) {
    uint64_t old = *cap != 0 ? *cap : built;
    if (len + need <= old) {
        return PT_OK;
    }
    uint64_t nc = old * 2 > len + need ? old * 2 : len + need;
    nc = nc < 1024 ? 1024 : nc;
    if (nc >= 0xFFFFFFF0u) {
        return PT_ENOMEM;
    }
    for (int i = 0; i < n_arr; i++) {
        if (grow(ctx, arr[i], old, nc, elem[i]) != PT_OK) {
            return PT_ENOMEM;
        }
    }
    *cap = nc;
    return PT_OK;
}

/* Room for `need` more entries at the end of the u_* arrays. */
static int reserve_u(pt_recommender *r, uint64_t need) {
    void **const arr[] = {(void **)&r->u_item, (void **)&r->u_w,     (void **)&r->u_time,
                          (void **)&r->u_pred, (void **)&r->u_alias, (void **)&r->u_pa};
    const size_t elem[] = {sizeof *r->u_item, sizeof *r->u_w,     sizeof *r->u_time,
                           sizeof *r->u_pred, sizeof *r->u_alias, sizeof *r->u_pa};
    return reserve_rows(r->ctx, arr, elem, 6, &r->u_cap, r->n_ui, r->u_len, need);
}

/* Room for `need` more entries at the end of the i_* arrays. */
static int reserve_i(pt_recommender *r, uint64_t need) {
    void **const arr[] = {(void **)&r->i_user, (void **)&r->i_w, (void **)&r->i_alias,
                          (void **)&r->i_pa, (void **)&r->i_upa};
    const size_t elem[] = {sizeof *r->i_user, sizeof *r->i_w, sizeof *r->i_alias,
                           sizeof *r->i_pa, sizeof *r->i_upa};
    return reserve_rows(r->ctx, arr, elem, 5, &r->i_cap, r->n_ui, r->i_len, need);
}

/* Write pair (u, it) with value p into user u's row: update, insert (moving the row to the end
 * of the arrays when it has no room) or, when the weight fell to zero, remove. *delta gets +1
 * for an insertion, -1 for a removal. */
static int user_put(pt_recommender *r, uint32_t u, uint32_t it, const pair *p, int *delta) {
    pt__urow *ur = &r->urow[u];
    uint32_t pos = pt__walk_lower(r->u_item, ur->off, ur->end, it);
    int found = pos < ur->end && r->u_item[pos] == it;
    *delta = 0;
    if (found && !(p->w > 0.0f)) {
        size_t n = ur->end - pos - 1;
        memmove(r->u_item + pos, r->u_item + pos + 1, n * sizeof *r->u_item);
        memmove(r->u_w + pos, r->u_w + pos + 1, n * sizeof *r->u_w);
        memmove(r->u_time + pos, r->u_time + pos + 1, n * sizeof *r->u_time);
        memmove(r->u_pred + pos, r->u_pred + pos + 1, n * sizeof *r->u_pred);
        ur->end--;
        *delta = -1;
        return PT_OK;
    }
    if (!found) {
        if (!(p->w > 0.0f)) {
            return PT_OK;
        }
        uint32_t len = ur->end - ur->off;
        if (len == ur->cap) {
            uint32_t nc = len < 2 ? 4 : 2 * len;
            if (reserve_u(r, nc) != PT_OK) {
                return PT_ENOMEM;
            }
            ur = &r->urow[u];
            uint32_t to = (uint32_t)r->u_len;
            memcpy(r->u_item + to, r->u_item + ur->off, len * sizeof *r->u_item);
            memcpy(r->u_w + to, r->u_w + ur->off, len * sizeof *r->u_w);
            memcpy(r->u_time + to, r->u_time + ur->off, len * sizeof *r->u_time);
            memcpy(r->u_pred + to, r->u_pred + ur->off, len * sizeof *r->u_pred);
            pos = to + (pos - ur->off);
            ur->off = to;
            ur->end = to + len;
            ur->cap = nc;
            r->u_len += nc;
        }
        size_t n = ur->end - pos;
        memmove(r->u_item + pos + 1, r->u_item + pos, n * sizeof *r->u_item);
        memmove(r->u_w + pos + 1, r->u_w + pos, n * sizeof *r->u_w);
        memmove(r->u_time + pos + 1, r->u_time + pos, n * sizeof *r->u_time);
        memmove(r->u_pred + pos + 1, r->u_pred + pos, n * sizeof *r->u_pred);
        ur->end++;
        r->u_item[pos] = it;
        *delta = 1;
    }
    r->u_w[pos] = p->w;
    r->u_time[pos] = p->time;
    r->u_pred[pos] = p->pred;
    if (p->time != PT_TIME_UNKNOWN &&
        (r->user_last[u] == PT_TIME_UNKNOWN || p->time > r->user_last[u])) {
        r->user_last[u] = p->time;
    }
    return PT_OK;
}

/* The same for the item's row (users of the item, sorted by user). */
static int item_put(pt_recommender *r, uint32_t it, uint32_t u, float w) {
    pt__irow *ir = &r->irow[it];
    uint32_t pos = pt__walk_lower(r->i_user, ir->off, ir->end, u);
    int found = pos < ir->end && r->i_user[pos] == u;
    if (found && !(w > 0.0f)) {
        size_t n = ir->end - pos - 1;
        memmove(r->i_user + pos, r->i_user + pos + 1, n * sizeof *r->i_user);
        memmove(r->i_w + pos, r->i_w + pos + 1, n * sizeof *r->i_w);
        memmove(r->i_upa + pos, r->i_upa + pos + 1, n * sizeof *r->i_upa);
        ir->end--;
        return PT_OK;
    }
    if (!found) {
        if (!(w > 0.0f)) {
            return PT_OK;
        }
        uint32_t len = ir->end - ir->off;
        if (len == ir->cap) {
            uint32_t nc = len < 2 ? 4 : 2 * len;
            if (reserve_i(r, nc) != PT_OK) {
                return PT_ENOMEM;
            }
            ir = &r->irow[it];
            uint32_t to = (uint32_t)r->i_len;
            memcpy(r->i_user + to, r->i_user + ir->off, len * sizeof *r->i_user);
            memcpy(r->i_w + to, r->i_w + ir->off, len * sizeof *r->i_w);
            memcpy(r->i_upa + to, r->i_upa + ir->off, len * sizeof *r->i_upa);
            pos = to + (pos - ir->off);
            ir->off = to;
            ir->end = to + len;
            ir->cap = nc;
            r->i_len += nc;
        }
        size_t n = ir->end - pos;
        memmove(r->i_user + pos + 1, r->i_user + pos, n * sizeof *r->i_user);
        memmove(r->i_w + pos + 1, r->i_w + pos, n * sizeof *r->i_w);
        memmove(r->i_upa + pos + 1, r->i_upa + pos, n * sizeof *r->i_upa);
        ir->end++;
        r->i_user[pos] = u;
        r->i_upa[pos] = 0.0f; /* set with the user's row, which this pair touched too */
    }
    r->i_w[pos] = w;
    return PT_OK;
}

/* 1 when item a ranks before item b in the popularity order (more users, then lower id). */
static int pop_before(const pt_recommender *r, uint32_t a, uint32_t b) {
    uint32_t da = r->irow[a].end - r->irow[a].off, db = r->irow[b].end - r->irow[b].off;
    return da != db ? da > db : a < b;
}

/* Move item `it` towards its place in the popularity order after its degree changed, past
 * neighbours that rank after (before) it. Returns 1 when it moved. With several changed items
 * the caller repeats until none moves: each pass is an insertion step against a background
 * that is sorted except for the other changed items. */
static int pop_fix(pt_recommender *r, uint32_t it) {
    uint32_t j = r->pop_pos[it], j0 = j;
    while (j > 0 && pop_before(r, it, r->pop_order[j - 1])) {
        uint32_t o = r->pop_order[j - 1];
        r->pop_order[j] = o;
        r->pop_pos[o] = j;
        j--;
    }
    while (j + 1 < r->n_items && pop_before(r, r->pop_order[j + 1], it)) {
        uint32_t o = r->pop_order[j + 1];
        r->pop_order[j] = o;
        r->pop_pos[o] = j;
        j++;
    }
    r->pop_order[j] = it;
    r->pop_pos[it] = j;
    return j != j0;
}

/* Rebuild the index of `r` from its graph (the journal lost entries `r` had not read). */
static int rebuild(pt_recommender *r) {
    pt_recommender t;
    memset(&t, 0, sizeof t);
    t.ctx = r->ctx;
    t.g = r->g;
    t.p = r->p;
    int rc = pt__walk_index_build(&t);
    if (rc == PT_OK && (t.p.method == PT_REC_EASE || t.p.method == PT_REC_HYBRID)) {
        rc = pt__walk_ease_build(&t);
    }
    if (rc == PT_OK && (t.p.method == PT_REC_ITEMKNN ||
                        (t.p.method == PT_REC_HYBRID && t.p.knn_blend > 0.0))) {
        rc = pt__walk_knn_build(&t);
    }
    if (rc != PT_OK) {
        pt__walk_index_free(&t);
        return rc;
    }
    int walkers = r->walkers;
    uint32_t gen = r->scratch_gen;
    pt__walk_index_free(r);
    *r = t;
    r->walkers = walkers;
    r->scratch_gen = gen + 1;
    r->broken = 0;
    return PT_OK;
}

/* Re-aggregate the pairs p[0..n) of one user node from its edges, as build_users does. */
static void aggregate(const pt_recommender *r, pair *p, size_t n) {
    const pt_graph *g = r->g;
    for (size_t j = 0; j < n; j++) {
        p[j].w = 0.0f;
        p[j].best = -1.0f;
        p[j].pred = PT_NONE;
        p[j].time = PT_TIME_UNKNOWN;
    }
    pt_edge_iter it;
    pt_edge e;
    pt_graph_edges(g, p[0].v, 0, PT_NONE, &it);
    while (pt_graph_edge_next(&it, &e)) {
        pt_role role = pt_graph_pred_role(g, e.pred);
        if (!PT_ROLE_IS_BEHAVIOUR(role)) {
            continue;
        }
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (p[mid].o < e.dst) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo == n || p[lo].o != e.dst) {
            continue;
        }
        pair *q = &p[lo];
        float w = (float)pt__walk_edge_weight(&r->p, role, e.weight);
        q->w += w;
        if (w > q->best || (w == q->best && e.pred < q->pred)) {
            q->best = w;
            q->pred = e.pred;
        }
        if (q->time == PT_TIME_UNKNOWN || (e.time != PT_TIME_UNKNOWN && e.time > q->time)) {
            q->time = e.time;
        }
    }
}

int pt_recommender_sync(pt_recommender *r) {
    if (r == NULL) {
        return PT_EINVAL;
    }
    const pt_graph *g = r->g;
    pt_ctx *ctx = r->ctx;
    int rc = PT_OK;
    pair *pairs = NULL;
    uint32_t *items = NULL, *users = NULL;
    double *qv = NULL;
    uint32_t *sm = NULL, *lg = NULL;

    pt_graph_rdlock(g);
    uint64_t end = g->j_base + g->j_n;
    if (r->j_seen == end) {
        pt_graph_unlock(g);
        return PT_OK;
    }
    if (r->j_seen < g->j_base || r->broken) {
        rc = rebuild(r);
        pt_graph_unlock(g);
        return rc == PT_ENOMEM ? pt__error(ctx, rc, "pt_recommender_sync: out of memory") : rc;
    }
    /* The changed behaviour pairs, once each, grouped by user node. */
    size_t n = 0;
    uint64_t from = r->j_seen - g->j_base;
    pairs = pt__malloc(ctx, (size_t)(g->j_n - from) * sizeof *pairs + 1);
    if (pairs == NULL) {
        rc = PT_ENOMEM;
        goto done;
    }
    for (uint64_t k = from; k < g->j_n; k++) {
        if (PT_ROLE_IS_BEHAVIOUR(pt_graph_pred_role(g, g->j_pred[k]))) {
            pairs[n].v = g->j_src[k];
            pairs[n].o = g->j_dst[k];
            n++;
        }
    }
    qsort(pairs, n, sizeof *pairs, cmp_pair);
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        if (m == 0 || pairs[j].v != pairs[m - 1].v || pairs[j].o != pairs[m - 1].o) {
            pairs[m++] = pairs[j];
        }
    }
    n = m;
    PT_TRY(reserve_nodes(r, pt_graph_node_count(g)));
    if (r->pop_pos == NULL && r->n_items > 0) {
        uint32_t cap = r->item_cap != 0 ? r->item_cap : r->n_items;
        r->pop_pos = pt__malloc(ctx, (size_t)cap * sizeof *r->pop_pos);
        if (r->pop_pos == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        for (uint32_t j = 0; j < r->n_items; j++) {
            r->pop_pos[r->pop_order[j]] = j;
        }
    }
    items = pt__malloc(ctx, (n + 1) * sizeof *items);
    users = pt__malloc(ctx, (n + 1) * sizeof *users);
    if (items == NULL || users == NULL) {
        rc = PT_ENOMEM;
        goto done;
    }
    size_t n_items = 0, n_users = 0;
    for (size_t j = 0; j < n;) {
        size_t k = j + 1;
        while (k < n && pairs[k].v == pairs[j].v) {
            k++;
        }
        aggregate(r, pairs + j, k - j);
        pt_node_id v = pairs[j].v;
        uint32_t u = r->kind[v] == K_USER ? r->loc[v] : PT__NOIDX;
        if (r->kind[v] == K_NONE) {
            pt_class c = pt_graph_node_class(g, v);
            if (c != PT_CLASS_ITEM && c != PT_CLASS_TAG && c != PT_CLASS_CATEGORY &&
                c != PT_CLASS_BRAND) {
                PT_TRY(add_user(r, v, &u));
            }
        }
        for (size_t q = j; q < k && u != PT__NOIDX; q++) {
            pt_node_id o = pairs[q].o;
            uint32_t it = r->kind[o] == K_ITEM ? r->loc[o] : PT__NOIDX;
            if (r->kind[o] == K_NONE && pairs[q].w > 0.0f) {
                pt_class c = pt_graph_node_class(g, o);
                if (c != PT_CLASS_USER && c != PT_CLASS_TAG && c != PT_CLASS_CATEGORY &&
                    c != PT_CLASS_BRAND) {
                    PT_TRY(add_item(r, o, &it));
                }
            }
            if (it == PT__NOIDX) {
                continue;
            }
            int delta;
            PT_TRY(user_put(r, u, it, &pairs[q], &delta));
            PT_TRY(item_put(r, it, u, pairs[q].w));
            r->n_ui = (uint64_t)((int64_t)r->n_ui + delta);
            items[n_items++] = it;
        }
        if (u != PT__NOIDX) {
            users[n_users++] = u;
        }
        j = k;
    }
    /* Alias tables and importance factors of the touched rows; popularity of the items. */
    qsort(items, n_items, sizeof *items, cmp_u32);
    m = 0;
    for (size_t j = 0; j < n_items; j++) {
        if (m == 0 || items[j] != items[m - 1]) {
            items[m++] = items[j];
        }
    }
    n_items = m;
    uint32_t longest = 0;
    for (size_t j = 0; j < n_users; j++) {
        uint32_t len = r->urow[users[j]].end - r->urow[users[j]].off;
        longest = len > longest ? len : longest;
    }
    for (size_t j = 0; j < n_items; j++) {
        uint32_t len = r->irow[items[j]].end - r->irow[items[j]].off;
        longest = len > longest ? len : longest;
    }
    qv = pt__malloc(ctx, ((size_t)longest + 1) * sizeof *qv);
    sm = pt__malloc(ctx, ((size_t)longest + 1) * sizeof *sm);
    lg = pt__malloc(ctx, ((size_t)longest + 1) * sizeof *lg);
    if (qv == NULL || sm == NULL || lg == NULL) {
        rc = PT_ENOMEM;
        goto done;
    }
    double alpha = r->p.alpha;
    for (size_t j = 0; j < n_users; j++) {
        pt__urow *ur = &r->urow[users[j]];
        ur->c = pt__walk_alias(r->u_item + ur->off, r->u_w + ur->off, ur->end - ur->off, alpha,
                               r->u_alias + ur->off, r->u_pa + ur->off, qv, sm, lg);
        pt__walk_upa_fill(r, users[j]);
    }
    for (size_t j = 0; j < n_items; j++) {
        uint32_t it = items[j];
        pt__irow *ir = &r->irow[it];
        uint32_t d = ir->end - ir->off;
        ir->c = pt__walk_alias(r->i_user + ir->off, r->i_w + ir->off, d, alpha,
                               r->i_alias + ir->off, r->i_pa + ir->off, qv, sm, lg);
        r->pop_pen[it] = pow(d > 1 ? (double)d : 1.0, -r->p.beta);
    }
    for (int moved = 1; moved;) {
        moved = 0;
        for (size_t j = 0; j < n_items; j++) {
            moved |= pop_fix(r, items[j]);
        }
    }
    r->j_seen = end;
done:
    if (rc != PT_OK) {
        r->broken = 1; /* rows may be half-written: the next sync rebuilds */
    }
    pt_graph_unlock(g);
    pt__free(ctx, pairs);
    pt__free(ctx, items);
    pt__free(ctx, users);
    pt__free(ctx, qv);
    pt__free(ctx, sm);
    pt__free(ctx, lg);
    return rc == PT_ENOMEM ? pt__error(ctx, rc, "pt_recommender_sync: out of memory") : rc;
}
