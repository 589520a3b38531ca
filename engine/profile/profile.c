/*
 * profile.c - a user's profile (pt_profile.h) as a query over the user's neighbourhood: the
 * user's behaviour edges, the items' tags, categories (widened up the hierarchy closure) and
 * brands, prices for RFM, and the users who share items. Reads the graph through the public
 * API only, so appended events count at once; called by `portrait profile` and `profiles`.
 *
 * Per call the work is proportional to the user's edges, their items' edges and the in-rows of
 * those items; small open-addressing maps keyed by node id keep it independent of graph size.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <raptor2.h>

#include "core/core.h"
#include "graph/graph.h"

/* --- a small map from node id to an accumulator -------------------------------------------- */

/* One accumulator: a weight, the part that came directly (not widened), and the top evidence. */
typedef struct acc {
    uint32_t key; /* node id + 1; 0 = empty */
    double w, direct;
    uint32_t ev[3];
    double evw[3];
} acc;

typedef struct amap {
    acc *a;
    size_t cap, n; /* cap is a power of two */
} amap;

/* Find or insert `key`; NULL when out of memory. */
static acc *amap_get(pt_ctx *ctx, amap *m, uint32_t key) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap == 0 ? 64 : m->cap * 2;
        acc *na = pt__calloc(ctx, cap, sizeof *na);
        if (na == NULL) {
            return NULL;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->a[i].key != 0) {
                size_t j = (m->a[i].key * 2654435761u) & (cap - 1);
                while (na[j].key != 0) {
                    j = (j + 1) & (cap - 1);
                }
                na[j] = m->a[i];
            }
        }
        pt__free(ctx, m->a);
        m->a = na;
        m->cap = cap;
    }
    size_t j = ((key + 1) * 2654435761u) & (m->cap - 1);
    while (m->a[j].key != 0 && m->a[j].key != key + 1) {
        j = (j + 1) & (m->cap - 1);
    }
    if (m->a[j].key == 0) {
        memset(&m->a[j], 0, sizeof m->a[j]);
        m->a[j].key = key + 1;
        m->n++;
    }
    return &m->a[j];
}

/* Add contribution `w` of evidence item `item` to `e`, keeping the three largest. */
static void add_evidence(acc *e, uint32_t item, double w) {
    for (int k = 0; k < 3; k++) {
        if (e->evw[k] > 0 && e->ev[k] == item) {
            e->evw[k] += w;
            goto sort;
        }
    }
    if (w > e->evw[2]) {
        e->ev[2] = item;
        e->evw[2] = w;
    }
sort:
    for (int k = 2; k > 0 && e->evw[k] > e->evw[k - 1]; k--) {
        uint32_t ti = e->ev[k];
        double tw = e->evw[k];
        e->ev[k] = e->ev[k - 1];
        e->evw[k] = e->evw[k - 1];
        e->ev[k - 1] = ti;
        e->evw[k - 1] = tw;
    }
}

/* --- options ------------------------------------------------------------------------------- */

void pt_profile_opts_default(pt_profile_opts *o) {
    memset(o, 0, sizeof *o);
    o->top = 10;
    o->n_similar = 5;
    o->half_life_days = 90;
    o->damping = 0.5;
    o->now = PT_TIME_UNKNOWN;
    o->action_weight[PT_ROLE_VIEWED] = 1;
    o->action_weight[PT_ROLE_CLICKED] = 2;
    o->action_weight[PT_ROLE_CARTED] = 3;
    o->action_weight[PT_ROLE_PURCHASED] = 5;
    o->action_weight[PT_ROLE_RATED] = 4;
    o->action_weight[PT_ROLE_REVIEWED] = 4;
}

void pt_profile_free(pt_ctx *ctx, pt_profile *p) {
    if (p != NULL) {
        pt__free(ctx, p->interests);
        pt__free(ctx, p->similar);
        pt__free(ctx, p);
    }
}

/* --- building ------------------------------------------------------------------------------ */

/* The user's own latest behaviour time: the fallback "now" when the caller gives none (the
 * data's now, pt_graph_latest_time(), is O(m) and belongs to the caller, once per batch). */
static int64_t latest_time(const pt_graph *g, pt_node_id user) {
    int64_t t = PT_TIME_UNKNOWN;
    pt_edge_iter it;
    pt_edge e;
    pt_graph_edges(g, user, 0, PT_NONE, &it);
    while (pt_graph_edge_next(&it, &e)) {
        if (PT_ROLE_IS_BEHAVIOUR(pt_graph_pred_role(g, e.pred)) && e.time > t) {
            t = e.time;
        }
    }
    return t;
}

/* The price of an item: pt:price, else schema:price; NAN when absent or not a number. */
static double price_of(const pt_graph *g, pt_node_id item, pt_node_id p1, pt_node_id p2) {
    const char *s = p1 != PT_NONE ? pt_graph_literal_get(g, item, p1, NULL) : NULL;
    if (s == NULL && p2 != PT_NONE) {
        s = pt_graph_literal_get(g, item, p2, NULL);
    }
    if (s == NULL) {
        return NAN;
    }
    char *end;
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}

/* Order interests by class, then weight descending, then id. */
static int cmp_interest(const void *a, const void *b) {
    const pt_profile_interest *x = a, *y = b;
    if (x->cls != y->cls) {
        return x->cls < y->cls ? -1 : 1;
    }
    if (x->weight != y->weight) {
        return x->weight > y->weight ? -1 : 1;
    }
    return x->node < y->node ? -1 : x->node > y->node;
}

/* Order similar users by score descending, then id. */
static int cmp_similar(const void *a, const void *b) {
    const pt_profile_similar *x = a, *y = b;
    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }
    return x->user < y->user ? -1 : x->user > y->user;
}

/* Credit weight `w` from item `item` to interest node `node` (direct when `direct`). */
static int credit(pt_ctx *ctx, amap *m, pt_node_id node, pt_node_id item, double w, int direct) {
    acc *e = amap_get(ctx, m, node);
    if (e == NULL) {
        return PT_ENOMEM;
    }
    e->w += w;
    if (direct) {
        e->direct += w;
    }
    add_evidence(e, item, w);
    return PT_OK;
}

/* Credit one item's weight to its tags, brands and categories (and their ancestors). */
static int credit_item(pt_ctx *ctx, const pt_graph *g, const pt_profile_opts *o, amap *m,
                       pt_node_id item, double a) {
    pt_edge_iter it;
    pt_edge e;
    pt_node_id anc[32];
    pt_graph_edges(g, item, 0, PT_NONE, &it);
    while (pt_graph_edge_next(&it, &e)) {
        pt_role r = pt_graph_pred_role(g, e.pred);
        if (r != PT_ROLE_HAS_TAG && r != PT_ROLE_BRAND && r != PT_ROLE_IN_CATEGORY) {
            continue;
        }
        if (credit(ctx, m, e.dst, item, a, 1) != PT_OK) {
            return PT_ENOMEM;
        }
        if (r == PT_ROLE_IN_CATEGORY) {
            size_t n = pt_graph_ancestors(g, e.dst, anc, 32);
            double w = a;
            for (size_t k = 0; k < n && k < 32; k++) {
                w *= o->damping;
                if (credit(ctx, m, anc[k], item, w, 0) != PT_OK) {
                    return PT_ENOMEM;
                }
            }
        }
    }
    return PT_OK;
}

/* Cold start: add the most popular categories (by items in them) with small weights. */
static int credit_popular(pt_ctx *ctx, const pt_graph *g, amap *m) {
    pt_node_id best[5] = {PT_NONE, PT_NONE, PT_NONE, PT_NONE, PT_NONE};
    uint64_t bn[5] = {0};
    for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
        if (pt_graph_node_class(g, v) != PT_CLASS_CATEGORY) {
            continue;
        }
        uint64_t n = pt_graph_in_degree(g, v);
        for (int k = 0; k < 5; k++) {
            if (n > bn[k]) {
                for (int j = 4; j > k; j--) {
                    best[j] = best[j - 1];
                    bn[j] = bn[j - 1];
                }
                best[k] = v;
                bn[k] = n;
                break;
            }
        }
    }
    for (int k = 0; k < 5 && best[k] != PT_NONE; k++) {
        acc *e = amap_get(ctx, m, best[k]);
        if (e == NULL) {
            return PT_ENOMEM;
        }
        e->w += 0.5 * (double)bn[k] / (double)bn[0];
    }
    return PT_OK;
}

/* Fill p->similar from the users who share items with p->user. */
static int find_similar(pt_ctx *ctx, const pt_graph *g, const pt_profile_opts *o, pt_profile *p,
                        const amap *items) {
    amap users = {0};
    int rc = PT_OK;
    for (size_t i = 0; i < items->cap && rc == PT_OK; i++) {
        if (items->a[i].key == 0) {
            continue;
        }
        pt_node_id item = items->a[i].key - 1;
        uint64_t deg = pt_graph_in_degree(g, item);
        double w = 1.0 / log2(2.0 + (double)deg);
        pt_edge_iter it;
        pt_node_id src, pred;
        pt_graph_edges(g, item, 1, PT_NONE, &it);
        while (pt_graph_edge_next_nbr(&it, &src, &pred)) {
            if (src == p->user || !PT_ROLE_IS_BEHAVIOUR(pt_graph_pred_role(g, pred))) {
                continue;
            }
            acc *a = amap_get(ctx, &users, src);
            if (a == NULL) {
                rc = PT_ENOMEM;
                break;
            }
            /* several actions of one user on one item count once: ev[0] holds item + 1 */
            if (a->ev[0] == item + 1) {
                continue;
            }
            a->ev[0] = item + 1;
            a->w += w;
            a->direct += 1;
        }
    }
    if (rc == PT_OK && users.n > 0) {
        p->similar = pt__malloc(ctx, users.n * sizeof *p->similar);
        if (p->similar == NULL) {
            rc = PT_ENOMEM;
        } else {
            for (size_t i = 0; i < users.cap; i++) {
                if (users.a[i].key != 0) {
                    p->similar[p->n_similar++] = (pt_profile_similar){
                        users.a[i].key - 1, users.a[i].w, (uint32_t)users.a[i].direct};
                }
            }
            qsort(p->similar, p->n_similar, sizeof *p->similar, cmp_similar);
            if (p->n_similar > o->n_similar) {
                p->n_similar = o->n_similar;
            }
        }
    }
    pt__free(ctx, users.a);
    return rc;
}

int pt_profile_build(pt_ctx *ctx, const pt_graph *g, pt_node_id user, const pt_profile_opts *o,
                     pt_profile **out) {
    pt_profile_opts def;
    if (o == NULL) {
        pt_profile_opts_default(&def);
        o = &def;
    }
    *out = NULL;
    if (user >= pt_graph_node_count(g) || pt_graph_node_class(g, user) != PT_CLASS_USER) {
        return pt__error(ctx, PT_ENOTFOUND, "pt_profile_build: node %u is not a user", user);
    }
    pt_profile *p = pt__calloc(ctx, 1, sizeof *p);
    amap items = {0}, interests = {0};
    int rc = PT_OK;
    if (p == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory building a profile");
    }
    p->user = user;
    p->first_seen = p->last_seen = PT_TIME_UNKNOWN;
    p->recency_days = -1;
    int64_t now = o->now != PT_TIME_UNKNOWN ? o->now : latest_time(g, user);
    pt_node_id price1 = pt_graph_lookup(g, PT_PRICE, strlen(PT_PRICE), PT_TERM_IRI);
    pt_node_id price2 = pt_graph_lookup(g, PT_SCHEMA_NS "price", strlen(PT_SCHEMA_NS "price"),
                                        PT_TERM_IRI);
    /* 1. Behaviour: counts, times, RFM, and each item's weight. */
    pt_edge_iter it;
    pt_edge e;
    pt_graph_edges(g, user, 0, PT_NONE, &it);
    while (pt_graph_edge_next(&it, &e)) {
        pt_role r = pt_graph_pred_role(g, e.pred);
        if (!PT_ROLE_IS_BEHAVIOUR(r)) {
            continue;
        }
        p->count_by_role[r]++;
        p->n_events++;
        double a = o->action_weight[r];
        if (r == PT_ROLE_RATED || r == PT_ROLE_REVIEWED) {
            a *= e.weight > 0 ? (e.weight / 3.0 > 0.1 ? e.weight / 3.0 : 0.1) : 1.0;
        }
        if (e.time != PT_TIME_UNKNOWN) {
            if (p->first_seen == PT_TIME_UNKNOWN || e.time < p->first_seen) {
                p->first_seen = e.time;
            }
            if (p->last_seen == PT_TIME_UNKNOWN || e.time > p->last_seen) {
                p->last_seen = e.time;
            }
            int64_t h = (e.time % 86400 + 86400) % 86400 / 3600;
            p->active_hours[h]++;
            if (o->half_life_days > 0 && now != PT_TIME_UNKNOWN && now > e.time) {
                a *= pow(0.5, (double)(now - e.time) / 86400.0 / o->half_life_days);
            }
        }
        if (r == PT_ROLE_PURCHASED) {
            p->frequency++;
            double pr = price_of(g, e.dst, price1, price2);
            if (!isnan(pr)) {
                p->monetary += pr;
            }
        }
        acc *ia = amap_get(ctx, &items, e.dst);
        if (ia == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        ia->w += a;
    }
    if (p->last_seen != PT_TIME_UNKNOWN && now != PT_TIME_UNKNOWN) {
        p->recency_days = (double)(now - p->last_seen) / 86400.0;
    }
    p->cold_start = p->n_events <= 1;
    /* 2. Interests: each item's weight to its tags, brands, categories and their ancestors. */
    for (size_t i = 0; i < items.cap; i++) {
        if (items.a[i].key != 0 &&
            (rc = credit_item(ctx, g, o, &interests, items.a[i].key - 1, items.a[i].w)) !=
                PT_OK) {
            goto done;
        }
    }
    if (p->cold_start && (rc = credit_popular(ctx, g, &interests)) != PT_OK) {
        goto done;
    }
    /* 3. Keep the top N per class, normalised to the class maximum. */
    p->interests = pt__malloc(ctx, (interests.n + 1) * sizeof *p->interests);
    if (p->interests == NULL) {
        rc = PT_ENOMEM;
        goto done;
    }
    double max_w[PT_CLASS_COUNT_] = {0};
    for (size_t i = 0; i < interests.cap; i++) {
        acc *a = &interests.a[i];
        if (a->key == 0) {
            continue;
        }
        pt_class c = pt_graph_node_class(g, a->key - 1);
        if (c != PT_CLASS_TAG && c != PT_CLASS_CATEGORY && c != PT_CLASS_BRAND) {
            continue;
        }
        pt_profile_interest *pi = &p->interests[p->n_interests++];
        pi->node = a->key - 1;
        pi->cls = c;
        pi->weight = a->w;
        pi->inherited = a->direct > 0 ? (a->direct * 2 < a->w) : (a->evw[0] > 0 ? 1 : 2);
        pi->n_evidence = 0;
        for (int k = 0; k < 3 && a->evw[k] > 0; k++) {
            pi->evidence[pi->n_evidence++] = a->ev[k];
        }
        if (a->w > max_w[c]) {
            max_w[c] = a->w;
        }
    }
    for (size_t i = 0; i < p->n_interests; i++) {
        p->interests[i].weight /= max_w[p->interests[i].cls];
    }
    qsort(p->interests, p->n_interests, sizeof *p->interests, cmp_interest);
    size_t w = 0;
    for (size_t i = 0, run = 0; i < p->n_interests; i++) {
        run = i > 0 && p->interests[i].cls == p->interests[i - 1].cls ? run + 1 : 0;
        if (run < o->top) {
            p->interests[w++] = p->interests[i];
        }
    }
    p->n_interests = w;
    /* 4. Similar users. */
    rc = find_similar(ctx, g, o, p, &items);
done:
    pt__free(ctx, items.a);
    pt__free(ctx, interests.a);
    if (rc != PT_OK) {
        pt_profile_free(ctx, p);
        return pt__error(ctx, rc, "out of memory building a profile");
    }
    *out = p;
    return PT_OK;
}

/* --- Turtle through raptor's serializer ---------------------------------------------------- */

/* Serialize one statement (subject, predicate IRI, object term); takes the object term. */
static void emit(raptor_serializer *ser, raptor_term *s, raptor_world *w, const char *pred,
                 raptor_term *o) {
    raptor_term *p = raptor_new_term_from_uri_string(w, (const unsigned char *)pred);
    raptor_statement st;
    raptor_statement_init(&st, w);
    st.subject = s;
    st.predicate = p;
    st.object = o;
    raptor_serializer_serialize_statement(ser, &st);
    raptor_free_term(p);
    raptor_free_term(o);
}

/* A typed literal term. */
static raptor_term *lit(raptor_world *w, const char *text, const char *dt) {
    raptor_uri *u = dt != NULL ? raptor_new_uri(w, (const unsigned char *)dt) : NULL;
    raptor_term *t = raptor_new_term_from_literal(w, (const unsigned char *)text, u, NULL);
    if (u != NULL) {
        raptor_free_uri(u);
    }
    return t;
}

/* A node's term (IRI or blank). */
static raptor_term *node_term(raptor_world *w, const pt_graph *g, pt_node_id v) {
    const char *s = pt_graph_node_str(g, v);
    return pt_graph_node_kind(g, v) == PT_TERM_BLANK
               ? raptor_new_term_from_blank(w, (const unsigned char *)s)
               : raptor_new_term_from_uri_string(w, (const unsigned char *)s);
}

int pt_profile_write_turtle(pt_ctx *ctx, const pt_graph *g, const pt_profile *p,
                            const char *path) {
    raptor_world *w = raptor_new_world();
    if (w == NULL || raptor_world_open(w) != 0) {
        raptor_free_world(w);
        return pt__error(ctx, PT_ENOMEM, "cannot start raptor");
    }
    raptor_serializer *ser = raptor_new_serializer(w, "turtle");
    FILE *f = path == NULL || strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (ser == NULL || f == NULL) {
        if (ser != NULL) {
            raptor_free_serializer(ser);
        }
        raptor_free_world(w);
        return pt__error(ctx, f == NULL ? PT_EIO : PT_ENOMEM, "cannot write %s",
                         path != NULL ? path : "-");
    }
    static const char *const ns[][2] = {{"pt", PT_NS}, {"xsd", PT_XSD_NS}};
    for (size_t i = 0; i < 2; i++) {
        raptor_uri *u = raptor_new_uri(w, (const unsigned char *)ns[i][1]);
        raptor_serializer_set_namespace(ser, u, (const unsigned char *)ns[i][0]);
        raptor_free_uri(u);
    }
    const char *base = pt_graph_base(g);
    if (base[0] != '\0') {
        raptor_uri *u = raptor_new_uri(w, (const unsigned char *)base);
        raptor_serializer_set_namespace(ser, u, (const unsigned char *)"shop");
        raptor_free_uri(u);
    }
    raptor_serializer_start_to_file_handle(ser, NULL, f);
    raptor_term *u = node_term(w, g, p->user);
    char buf[64];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->n_events);
    emit(ser, u, w, PT_NS "eventCount", lit(w, buf, PT_XSD_INTEGER));
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->frequency);
    emit(ser, u, w, PT_NS "frequency", lit(w, buf, PT_XSD_INTEGER));
    snprintf(buf, sizeof buf, "%.2f", p->monetary);
    emit(ser, u, w, PT_NS "monetary", lit(w, buf, PT_XSD_DECIMAL));
    if (p->recency_days >= 0) {
        snprintf(buf, sizeof buf, "%.2f", p->recency_days);
        emit(ser, u, w, PT_NS "recencyDays", lit(w, buf, PT_XSD_DECIMAL));
    }
    if (p->first_seen != PT_TIME_UNKNOWN) {
        pt__format_time(p->first_seen, buf, sizeof buf);
        emit(ser, u, w, PT_NS "firstSeen", lit(w, buf, PT_XSD_DATETIME));
        pt__format_time(p->last_seen, buf, sizeof buf);
        emit(ser, u, w, PT_NS "lastSeen", lit(w, buf, PT_XSD_DATETIME));
    }
    emit(ser, u, w, PT_NS "coldStart",
         lit(w, p->cold_start ? "true" : "false", PT_XSD_NS "boolean"));
    for (size_t i = 0; i < p->n_interests; i++) {
        const pt_profile_interest *pi = &p->interests[i];
        snprintf(buf, sizeof buf, "interest%zu", i);
        raptor_term *b = raptor_new_term_from_blank(w, (const unsigned char *)buf);
        emit(ser, u, w, PT_NS "interest", raptor_term_copy(b));
        emit(ser, b, w, PT_NS "about", node_term(w, g, pi->node));
        snprintf(buf, sizeof buf, "%.4f", pi->weight);
        emit(ser, b, w, PT_NS "weight", lit(w, buf, PT_XSD_DECIMAL));
        if (pi->inherited) {
            emit(ser, b, w, PT_NS "inherited", lit(w, "true", PT_XSD_NS "boolean"));
        }
        for (uint32_t k = 0; k < pi->n_evidence; k++) {
            emit(ser, b, w, PT_NS "evidence", node_term(w, g, pi->evidence[k]));
        }
        raptor_free_term(b);
    }
    for (size_t i = 0; i < p->n_similar; i++) {
        emit(ser, u, w, PT_NS "similarTo", node_term(w, g, p->similar[i].user));
    }
    /* The user's embedding, as `portrait export` writes vectors (pt:f32vector). */
    pt_node_id ep = pt_graph_lookup(g, PT_SEQUENCE_EMBEDDING, strlen(PT_SEQUENCE_EMBEDDING),
                                    PT_TERM_IRI);
    uint32_t dim = ep != PT_NONE ? pt_graph_get_vector(g, p->user, ep, NULL, 0) : 0;
    float *vec = dim > 0 ? pt__malloc(ctx, (size_t)dim * sizeof *vec) : NULL;
    char *txt = vec != NULL ? pt__malloc(ctx, pt__f32vector_len(dim) + 1) : NULL;
    if (txt != NULL && pt_graph_get_vector(g, p->user, ep, vec, dim) == dim) {
        pt__f32vector_encode(vec, dim, txt);
        emit(ser, u, w, PT_SEQUENCE_EMBEDDING, lit(w, txt, PT_F32VECTOR));
    }
    pt__free(ctx, vec);
    pt__free(ctx, txt);
    raptor_free_term(u);
    raptor_serializer_serialize_end(ser);
    raptor_free_serializer(ser);
    int bad = fflush(f) != 0;
    if (f != stdout) {
        bad |= fclose(f) != 0;
    }
    raptor_free_world(w);
    return bad ? pt__error(ctx, PT_EIO, "write error on %s", path) : PT_OK;
}
