/*
 * append.c - growing a finished graph without a rebuild: new nodes, new or updated edges and new
 * literals (real-time events), and the compaction that folds them into the CSR arrays.
 *
 * Appended edges live in a delta: parallel arrays chained per node, newest first, so the read
 * functions in graph.c see them at the cost of a short chain walk. When the delta passes an
 * eighth of the CSR edges (at least 64k), pt_graph_compact rebuilds the CSR through a builder
 * seeded with the graph: O(n + m), amortised O(1) per appended edge.
 *
 * Every function here takes the graph's write lock; readers beside them hold the read lock.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "graph/graph.h"
#include "ontology/vocab.h"

void pt_graph_rdlock(const pt_graph *g) {
    pthread_rwlock_rdlock(g->lock);
}

void pt_graph_unlock(const pt_graph *g) {
    pthread_rwlock_unlock(g->lock);
}

/* Make the per-node arrays (class, role, delta heads) owned and able to hold `need` nodes. */
static int reserve_nodes(pt_graph *g, uint32_t need) {
    if (need <= g->node_cap && (g->owned & PT__OWN_CLASS) && g->d_out_head != NULL) {
        return PT_OK;
    }
    size_t cap = g->node_cap < 1024 ? 1024 : g->node_cap;
    while (cap < need) {
        cap *= 2;
    }
    pt_ctx *ctx = g->ctx;
    uint8_t *cls = pt__big_alloc(ctx, cap), *role = pt__big_alloc(ctx, cap);
    uint32_t *oh = pt__calloc(ctx, cap, 4), *ih = pt__calloc(ctx, cap, 4),
             *lh = pt__calloc(ctx, cap, 4);
    if (cls == NULL || role == NULL || oh == NULL || ih == NULL || lh == NULL) {
        pt__big_free(ctx, cls);
        pt__big_free(ctx, role);
        pt__free(ctx, oh);
        pt__free(ctx, ih);
        pt__free(ctx, lh);
        return PT_ENOMEM;
    }
    memset(cls, 0, cap);
    memset(role, 0, cap);
    if (g->n_nodes > 0) { /* a new store's empty graph has no arrays yet */
        memcpy(cls, g->node_class, g->n_nodes);
        memcpy(role, g->node_role, g->n_nodes);
    }
    if (g->d_out_head != NULL) {
        memcpy(oh, g->d_out_head, (size_t)g->n_nodes * 4);
        memcpy(ih, g->d_in_head, (size_t)g->n_nodes * 4);
        memcpy(lh, g->dl_head, (size_t)g->n_nodes * 4);
    }
    if (g->owned & PT__OWN_CLASS) {
        pt__big_free(ctx, g->node_class);
        pt__big_free(ctx, g->node_role);
    }
    pt__free(ctx, g->d_out_head);
    pt__free(ctx, g->d_in_head);
    pt__free(ctx, g->dl_head);
    g->node_class = cls;
    g->node_role = role;
    g->d_out_head = oh;
    g->d_in_head = ih;
    g->dl_head = lh;
    g->owned |= PT__OWN_CLASS;
    g->node_cap = (uint32_t)cap;
    return PT_OK;
}

/* Insert node `id` (== g->n_nodes, not yet counted) with hash `hv`, first growing the table
 * (owned) to twice its size when it would pass half load. */
static int hash_insert(pt_graph *g, uint64_t hv, uint32_t id) {
    if (g->hash == NULL || (g->hash_used + 1) * 2 > g->hash_mask + 1) {
        int rc = pt__graph_rehash(g, (g->hash_mask + 1) * 2);
        if (rc != PT_OK) {
            return rc;
        }
    }
    uint64_t i = hv & g->hash_mask;
    while (g->hash[i] != 0) {
        i = (i + 1) & g->hash_mask;
    }
    g->hash[i] = (hv >> 32 << 32) | ((uint64_t)id + 1);
    g->hash_used++;
    return PT_OK;
}

/* Intern with the write lock already held. */
static pt_node_id intern_locked(pt_graph *g, const char *str, size_t len, pt_term_kind kind) {
    pt_node_id v = pt_graph_lookup(g, str, len, kind);
    if (v != PT_NONE) {
        return v;
    }
    if (g->n_nodes >= 0xFFFFFFFEu || reserve_nodes(g, g->n_nodes + 1) != PT_OK ||
        pt__grow(g->ctx, (void **)&g->extra_str, &g->extra_cap,
                 (size_t)(g->n_nodes - g->n_pool_nodes) + 1, sizeof(char *)) != PT_OK) {
        return PT_NONE;
    }
    char *s = pt__arena_alloc(&g->arena, len + 2, 1);
    if (s == NULL) {
        return PT_NONE;
    }
    s[0] = kind == PT_TERM_BLANK ? 'B' : 'I';
    memcpy(s + 1, str, len);
    s[len + 1] = '\0';
    uint32_t id = g->n_nodes;
    g->extra_str[id - g->n_pool_nodes] = s;
    if (hash_insert(g, pt__term_hash(str, len, kind), id) != PT_OK) {
        return PT_NONE;
    }
    g->node_class[id] = PT_CLASS_OTHER;
    g->node_role[id] = kind == PT_TERM_IRI ? (uint8_t)pt__vocab_iri_role(s + 1) : 0;
    g->d_out_head[id] = g->d_in_head[id] = g->dl_head[id] = 0;
    g->n_nodes = id + 1;
    return id;
}

pt_node_id pt_graph_intern(pt_graph *g, const char *str, size_t len, pt_term_kind kind) {
    pthread_rwlock_wrlock(g->lock);
    pt_node_id v = intern_locked(g, str, len, kind);
    pthread_rwlock_unlock(g->lock);
    return v;
}

/* The class that rdf:type `c` gives: Portrait's table, else up rdfs:subClassOf edges. */
static pt_class class_of_class(const pt_graph *g, pt_node_id c) {
    pt_node_id sub = pt_graph_lookup(g, PT_RDFS_SUBCLASSOF, strlen(PT_RDFS_SUBCLASSOF),
                                     PT_TERM_IRI);
    pt_node_id cur = c;
    for (int depth = 0; depth < 32 && cur != PT_NONE; depth++) {
        if (pt_graph_node_kind(g, cur) == PT_TERM_IRI) {
            pt_class k = pt__vocab_iri_class(pt_graph_node_str(g, cur));
            if (k != PT_CLASS_OTHER) {
                return k;
            }
        }
        if (sub == PT_NONE) {
            break;
        }
        pt_edge_iter it;
        pt_edge e;
        pt_graph_edges(g, cur, 0, sub, &it);
        cur = pt_graph_edge_next(&it, &e) ? e.dst : PT_NONE;
    }
    return PT_CLASS_OTHER;
}

/* Give `v` class `k` when it outranks the one it has. */
static void promote(pt_graph *g, pt_node_id v, pt_class k) {
    if (k != PT_CLASS_OTHER &&
        pt__vocab_class_rank(k) < pt__vocab_class_rank((pt_class)g->node_class[v])) {
        g->node_class[v] = (uint8_t)k;
    }
}

/* Update the classes of s and o for a new edge s -p-> o, as the builder would. */
static void classify(pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o) {
    pt_role r = (pt_role)g->node_role[p];
    if (r == PT_ROLE_TYPE) {
        promote(g, s, class_of_class(g, o));
    } else if (PT_ROLE_IS_BEHAVIOUR(r)) {
        if (g->node_class[s] == PT_CLASS_OTHER) {
            g->node_class[s] = PT_CLASS_USER;
        }
        if (g->node_class[o] == PT_CLASS_OTHER) {
            g->node_class[o] = PT_CLASS_ITEM;
        }
    } else if (r == PT_ROLE_IN_CATEGORY || r == PT_ROLE_BROADER) {
        if (g->node_class[o] == PT_CLASS_OTHER) {
            g->node_class[o] = PT_CLASS_CATEGORY;
        }
        if (r == PT_ROLE_BROADER && g->node_class[s] == PT_CLASS_OTHER) {
            g->node_class[s] = PT_CLASS_CATEGORY;
        }
    } else if (r == PT_ROLE_BRAND && g->node_class[o] == PT_CLASS_OTHER) {
        g->node_class[o] = PT_CLASS_BRAND;
    } else if (r == PT_ROLE_HAS_TAG && g->node_class[o] == PT_CLASS_OTHER) {
        g->node_class[o] = PT_CLASS_TAG;
    }
}

/* Compact with the write lock held: rebuild through a builder seeded with the graph, then move
 * the new arrays into `g` (the struct and its lock stay). */
static int compact_locked(pt_graph *g) {
    pt_builder *b = NULL;
    pt_graph *ng = NULL;
    int rc = pt_builder_new(g->ctx, g, &b);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_builder_finish(b, &ng);
    if (rc != PT_OK) {
        return rc;
    }
    /* Classes given by appends may rest on data the builder also sees; keep the stronger. */
    for (uint32_t v = 0; v < ng->n_nodes; v++) {
        promote(ng, v, (pt_class)g->node_class[v]);
    }
    /* The change journal outlives compaction: its consumers keep their place in it. */
    uint64_t j_base = g->j_base, j_n = g->j_n;
    size_t j_cap = g->j_cap;
    uint32_t *j_src = g->j_src, *j_pred = g->j_pred, *j_dst = g->j_dst;
    g->j_src = g->j_pred = g->j_dst = NULL;
    pt__graph_release(g);
    /* Everything but the two lock pointers: readers read g->lock without holding anything
     * (to take it), so it must never change, not even for a moment. */
    _Static_assert(offsetof(pt_graph, lock) < offsetof(pt_graph, closure_lock) &&
                       offsetof(pt_graph, closure_lock) < offsetof(pt_graph, closure),
                   "the lock pointers sit together before `closure`");
    size_t at = offsetof(pt_graph, lock), past = offsetof(pt_graph, closure);
    memcpy(g, ng, at);
    memcpy((char *)g + past, (char *)ng + past, sizeof *g - past);
    g->j_base = j_base;
    g->j_n = j_n;
    g->j_cap = j_cap;
    g->j_src = j_src;
    g->j_pred = j_pred;
    g->j_dst = j_dst;
    pthread_rwlock_destroy(ng->lock);
    pthread_mutex_destroy(ng->closure_lock);
    pt__free(ng->ctx, ng->lock);
    pt__free(ng->ctx, ng->closure_lock);
    pt__free(ng->ctx, ng);
    return PT_OK;
}

int pt_graph_compact(pt_graph *g) {
    pthread_rwlock_wrlock(g->lock);
    int rc = g->n_delta == 0 && g->n_dlit == 0 && g->n_nodes == g->n_csr_nodes
                 ? PT_OK
                 : compact_locked(g);
    pthread_rwlock_unlock(g->lock);
    return rc;
}

uint64_t pt_graph_delta_count(const pt_graph *g) {
    return g->n_delta;
}

/* Grow the delta edge arrays to hold one more. */
static int reserve_delta(pt_graph *g) {
    if (g->n_delta < g->delta_cap) {
        return PT_OK;
    }
    size_t cap = g->delta_cap == 0 ? 1024 : g->delta_cap * 2;
    pt_ctx *ctx = g->ctx;
    void *p;
#define GROW_(field, elem)                                                                         \
    if ((p = pt__realloc(ctx, g->field, cap * (elem))) == NULL) {                                  \
        return PT_ENOMEM;                                                                          \
    }                                                                                              \
    g->field = p;
    GROW_(d_src, 4)
    GROW_(d_pred, 4)
    GROW_(d_dst, 4)
    GROW_(d_weight, 4)
    GROW_(d_time, 8)
    GROW_(d_next_out, 4)
    GROW_(d_next_in, 4)
#undef GROW_
    g->delta_cap = cap;
    return PT_OK;
}

/* Record (s, p, o) in the change journal, dropping its older half when it is full. */
static int journal(pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o) {
    uint64_t limit = g->n_csr_edges / 8 > 65536 ? g->n_csr_edges / 8 : 65536;
    if (g->j_n >= limit) {
        uint64_t drop = g->j_n / 2, keep = g->j_n - drop;
        memmove(g->j_src, g->j_src + drop, keep * 4);
        memmove(g->j_pred, g->j_pred + drop, keep * 4);
        memmove(g->j_dst, g->j_dst + drop, keep * 4);
        g->j_base += drop;
        g->j_n = keep;
    }
    if (g->j_n == g->j_cap) {
        size_t cap = g->j_cap == 0 ? 1024 : g->j_cap * 2;
        void *a;
        if ((a = pt__realloc(g->ctx, g->j_src, cap * 4)) == NULL) {
            return PT_ENOMEM;
        }
        g->j_src = a;
        if ((a = pt__realloc(g->ctx, g->j_pred, cap * 4)) == NULL) {
            return PT_ENOMEM;
        }
        g->j_pred = a;
        if ((a = pt__realloc(g->ctx, g->j_dst, cap * 4)) == NULL) {
            return PT_ENOMEM;
        }
        g->j_dst = a;
        g->j_cap = cap;
    }
    g->j_src[g->j_n] = s;
    g->j_pred[g->j_n] = p;
    g->j_dst[g->j_n] = o;
    g->j_n++;
    return PT_OK;
}

int pt_graph_add_edge(pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o, float weight,
                      int64_t time) {
    int rc = PT_OK;
    pthread_rwlock_wrlock(g->lock);
    if (s >= g->n_nodes || p >= g->n_nodes || o >= g->n_nodes) {
        rc = pt__error(g->ctx, PT_EINVAL, "pt_graph_add_edge: node id out of range");
        goto done;
    }
    /* An existing edge is updated in place when this one is as late or later. */
    uint64_t id = pt__graph_edge_id(g, s, p, o);
    if (id != UINT64_MAX) {
        if (time >= g->time[id]) {
            g->weight[id] = weight;
            g->time[id] = time;
            rc = journal(g, s, p, o);
        }
        goto done;
    }
    PT_TRY(reserve_nodes(g, g->n_nodes));
    for (uint32_t k = g->d_out_head[s]; k != 0; k = g->d_next_out[k - 1]) {
        if (g->d_pred[k - 1] == p && g->d_dst[k - 1] == o) {
            if (time >= g->d_time[k - 1]) {
                g->d_weight[k - 1] = weight;
                g->d_time[k - 1] = time;
                rc = journal(g, s, p, o);
            }
            goto done;
        }
    }
    if (g->n_delta >= 0xFFFFFFF0u) {
        PT_TRY(compact_locked(g));
        PT_TRY(reserve_nodes(g, g->n_nodes));
    }
    PT_TRY(reserve_delta(g));
    PT_TRY(journal(g, s, p, o));
    uint64_t k = g->n_delta++;
    g->d_src[k] = s;
    g->d_pred[k] = p;
    g->d_dst[k] = o;
    g->d_weight[k] = weight;
    g->d_time[k] = time;
    g->d_next_out[k] = g->d_out_head[s];
    g->d_next_in[k] = g->d_in_head[o];
    g->d_out_head[s] = (uint32_t)k + 1;
    g->d_in_head[o] = (uint32_t)k + 1;
    classify(g, s, p, o);
    if (pt__closure_affected(g, p)) {
        pthread_mutex_lock(g->closure_lock);
        pt__closure_free(g->ctx, g->closure); /* rebuilt on the next question */
        g->closure = NULL;
        pthread_mutex_unlock(g->closure_lock);
    }
    uint64_t limit = g->n_csr_edges / 8 > 65536 ? g->n_csr_edges / 8 : 65536;
    if (g->n_delta > limit) {
        rc = compact_locked(g);
    }
done:
    pthread_rwlock_unlock(g->lock);
    return rc;
}

int pt_graph_add_literal(pt_graph *g, pt_node_id s, pt_node_id p, const char *lex,
                         size_t lex_len, pt_node_id datatype, const char *lang) {
    int rc = PT_OK;
    pthread_rwlock_wrlock(g->lock);
    if (s >= g->n_nodes || p >= g->n_nodes || (datatype != PT_NONE && datatype >= g->n_nodes)) {
        rc = pt__error(g->ctx, PT_EINVAL, "pt_graph_add_literal: node id out of range");
        goto done;
    }
    PT_TRY(reserve_nodes(g, g->n_nodes));
    if (g->n_langs == 0) {
        /* A new store's empty graph has no language table yet; langs[0] is always "". */
        char **nl = pt__arena_alloc(&g->arena, sizeof(char *), sizeof(char *));
        char *none = pt__arena_strndup(&g->arena, "", 0);
        if (nl == NULL || none == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        nl[0] = none;
        g->langs = nl;
        g->n_langs = 1;
    }
    uint16_t li = 0;
    if (lang != NULL && lang[0] != '\0') {
        while (li < g->n_langs && strcasecmp(g->langs[li], lang) != 0) {
            li++;
        }
        if (li == g->n_langs) {
            /* langs[] may live in the arena or a mapping: copy it into a grown arena array */
            char **nl = pt__arena_alloc(&g->arena, ((size_t)g->n_langs + 1) * sizeof(char *),
                                        sizeof(char *));
            char *copy = pt__arena_strndup(&g->arena, lang, strlen(lang));
            if (nl == NULL || copy == NULL || g->n_langs == 65535) {
                rc = PT_ENOMEM;
                goto done;
            }
            for (char *c = copy; *c; c++) {
                if (*c >= 'A' && *c <= 'Z') {
                    *c = (char)(*c - 'A' + 'a');
                }
            }
            memcpy(nl, g->langs, (size_t)g->n_langs * sizeof(char *));
            nl[g->n_langs] = copy;
            g->langs = nl;
            li = g->n_langs++;
        }
    }
    /* Literal properties are a set: an identical one is already there. */
    pt_literal lit;
    uint64_t n = pt_graph_literal_count_of(g, s);
    for (uint64_t i = 0; i < n; i++) {
        if (pt_graph_literal(g, s, i, &lit) == PT_OK && lit.pred == p &&
            lit.datatype == datatype && strcmp(lit.lang, g->langs[li]) == 0 &&
            strlen(lit.lex) == lex_len && memcmp(lit.lex, lex, lex_len) == 0) {
            goto done;
        }
    }
    if (g->n_dlit == g->dlit_cap) {
        size_t cap = g->dlit_cap == 0 ? 256 : g->dlit_cap * 2;
        void *a = pt__realloc(g->ctx, g->dl_node, cap * 4);
        if (a == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        g->dl_node = a;
        if ((a = pt__realloc(g->ctx, g->dl_pred, cap * 4)) == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        g->dl_pred = a;
        if ((a = pt__realloc(g->ctx, g->dl_dt, cap * 4)) == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        g->dl_dt = a;
        if ((a = pt__realloc(g->ctx, g->dl_next, cap * 4)) == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        g->dl_next = a;
        if ((a = pt__realloc(g->ctx, g->dl_lang, cap * 2)) == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        g->dl_lang = a;
        if ((a = pt__realloc(g->ctx, (void *)g->dl_str, cap * sizeof(char *))) == NULL) {
            rc = PT_ENOMEM;
            goto done;
        }
        g->dl_str = a;
        g->dlit_cap = cap;
    }
    char *copy = pt__arena_strndup(&g->arena, lex, lex_len);
    if (copy == NULL) {
        rc = PT_ENOMEM;
        goto done;
    }
    uint64_t k = g->n_dlit++;
    g->dl_node[k] = s;
    g->dl_pred[k] = p;
    g->dl_dt[k] = datatype;
    g->dl_lang[k] = li;
    g->dl_str[k] = copy;
    g->dl_next[k] = g->dl_head[s];
    g->dl_head[s] = (uint32_t)k + 1;
done:
    pthread_rwlock_unlock(g->lock);
    return rc;
}
