/*
 * graph.c - reading a finished pt_graph: terms, lookups, id resolution for people, edge and
 * literal iteration over the CSR arrays plus the appended delta, and freeing.
 *
 * Everything here is read-only and safe from many threads while no append runs (appends are in
 * append.c and take the write lock).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "graph/graph.h"

/* --- shell and free ------------------------------------------------------------------------ */

int pt__graph_shell(pt_ctx *ctx, pt_graph **out) {
    *out = NULL;
    pt_graph *g = pt__calloc(ctx, 1, sizeof *g);
    if (g == NULL) {
        return PT_ENOMEM;
    }
    g->ctx = ctx;
    pt__arena_init(&g->arena, ctx, 64 * 1024);
    /* Writers first: real-time appends must not starve behind a stream of readers (glibc's
     * default prefers readers). */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    g->lock = pt__malloc(ctx, sizeof *g->lock);
    g->closure_lock = pt__malloc(ctx, sizeof *g->closure_lock);
    int lrc = g->lock != NULL ? pthread_rwlock_init(g->lock, &attr) : -1;
    pthread_rwlockattr_destroy(&attr);
    if (lrc == 0 && (g->closure_lock == NULL ||
                     pthread_mutex_init(g->closure_lock, NULL) != 0)) {
        pthread_rwlock_destroy(g->lock);
        lrc = -1;
    }
    if (lrc != 0) {
        pt__free(ctx, g->closure_lock);
        pt__free(ctx, g->lock);
        pt__free(ctx, g);
        return PT_ENOMEM;
    }
    g->id_type = PT_NONE;
    *out = g;
    return PT_OK;
}

void pt__graph_release(pt_graph *g) {
    pt_ctx *ctx = g->ctx;
    if (g->owned & PT__OWN_POOL) {
        pt__big_free(ctx, (void *)g->pool);
    }
    if (g->owned & PT__OWN_NODES) {
        pt__big_free(ctx, (void *)g->node_off);
    }
    if (g->owned & PT__OWN_CLASS) {
        pt__big_free(ctx, g->node_class);
        pt__big_free(ctx, g->node_role);
    }
    if (g->owned & PT__OWN_HASH) {
        pt__big_free(ctx, g->hash);
    }
    if (g->owned & PT__OWN_OUT) {
        pt__big_free(ctx, (void *)g->out_off);
        pt__big_free(ctx, (void *)g->out_dst);
        pt__big_free(ctx, (void *)g->out_pred);
        pt__big_free(ctx, g->weight);
        pt__big_free(ctx, g->time);
    }
    if (g->owned & PT__OWN_IN) {
        pt__big_free(ctx, (void *)g->in_off);
        pt__big_free(ctx, (void *)g->in_src);
        pt__big_free(ctx, (void *)g->in_pred);
    }
    if (g->owned & PT__OWN_LIT) {
        pt__big_free(ctx, (void *)g->lit_off);
        pt__big_free(ctx, (void *)g->lit_pred);
        pt__big_free(ctx, (void *)g->lit_str);
        pt__big_free(ctx, (void *)g->lit_dt);
        pt__big_free(ctx, (void *)g->lit_lang);
    }
    pt__free(ctx, g->extra_str);
    pt__free(ctx, g->d_src);
    pt__free(ctx, g->j_src);
    pt__free(ctx, g->j_pred);
    pt__free(ctx, g->j_dst);
    pt__free(ctx, g->d_pred);
    pt__free(ctx, g->d_dst);
    pt__free(ctx, g->d_weight);
    pt__free(ctx, g->d_time);
    pt__free(ctx, g->d_next_out);
    pt__free(ctx, g->d_next_in);
    pt__free(ctx, g->d_out_head);
    pt__free(ctx, g->d_in_head);
    pt__free(ctx, g->dl_node);
    pt__free(ctx, g->dl_pred);
    pt__free(ctx, g->dl_dt);
    pt__free(ctx, g->dl_next);
    pt__free(ctx, g->dl_lang);
    pt__free(ctx, (void *)g->dl_str);
    pt__free(ctx, g->dl_head);
    if (g->map_base != NULL) {
        munmap(g->map_base, g->map_len);
    }
    pt__closure_free(ctx, g->closure);
    g->closure = NULL;
    pt__vecs_free(g->vecs);
    g->vecs = NULL;
    pt__arena_free(&g->arena);
}

void pt_graph_free(pt_graph *g) {
    if (g == NULL) {
        return;
    }
    pt__graph_release(g);
    pthread_rwlock_destroy(g->lock);
    pthread_mutex_destroy(g->closure_lock);
    pt__free(g->ctx, g->lock);
    pt__free(g->ctx, g->closure_lock);
    pt__free(g->ctx, g);
}

/* --- terms --------------------------------------------------------------------------------- */

uint32_t pt_graph_node_count(const pt_graph *g) {
    return g->n_nodes;
}

uint64_t pt_graph_edge_count(const pt_graph *g) {
    return g->n_csr_edges + g->n_delta;
}

uint64_t pt_graph_literal_count(const pt_graph *g) {
    return g->n_csr_lits + g->n_dlit;
}

const char *pt_graph_node_str(const pt_graph *g, pt_node_id id) {
    return id < g->n_nodes ? pt__node_raw(g, id) + 1 : NULL;
}

pt_term_kind pt_graph_node_kind(const pt_graph *g, pt_node_id id) {
    return id < g->n_nodes && pt__node_raw(g, id)[0] == 'B' ? PT_TERM_BLANK : PT_TERM_IRI;
}

pt_class pt_graph_node_class(const pt_graph *g, pt_node_id id) {
    return id < g->n_nodes ? (pt_class)g->node_class[id] : PT_CLASS_OTHER;
}

pt_role pt_graph_pred_role(const pt_graph *g, pt_node_id pred) {
    return pred < g->n_nodes ? (pt_role)g->node_role[pred] : PT_ROLE_NONE;
}

pt_node_id pt_graph_lookup(const pt_graph *g, const char *str, size_t len, pt_term_kind kind) {
    if (g->hash == NULL || g->hash_mask == 0) {
        return PT_NONE;
    }
    uint64_t hv = pt__term_hash(str, len, kind);
    uint64_t fp = hv >> 32 << 32;
    char kb = kind == PT_TERM_BLANK ? 'B' : 'I';
    /* At most one lap: a table read from an unverified file may have no empty slot. */
    for (uint64_t i = hv & g->hash_mask, n = 0; n <= g->hash_mask;
         i = (i + 1) & g->hash_mask, n++) {
        pt__slot s = g->hash[i];
        if (s == 0) {
            return PT_NONE;
        }
        if ((s & 0xFFFFFFFF00000000ull) == fp) {
            uint32_t id = (uint32_t)(s & 0xFFFFFFFFu) - 1;
            if (id < g->n_nodes) {
                const char *raw = pt__node_raw(g, id);
                if (raw[0] == kb && memcmp(raw + 1, str, len) == 0 && raw[1 + len] == '\0') {
                    return id;
                }
            }
        }
    }
    return PT_NONE;
}

/* Local-id path segments, tried in this order after the bare base (the hint's goes first). */
static const char *const local_dirs[] = {"user/", "item/", "cat/", "brand/", "tag/", "event/"};
static const pt_class local_class[] = {PT_CLASS_USER,  PT_CLASS_ITEM, PT_CLASS_CATEGORY,
                                       PT_CLASS_BRAND, PT_CLASS_TAG,  PT_CLASS_EVENT};
#define N_LOCAL_DIRS (sizeof local_dirs / sizeof local_dirs[0])

/* Look up base + dir + id; PT_NONE when absent or too long. A graph without a base IRI uses the
 * importers' default, "urn:portrait:", as they do when minting (and live events too). */
static pt_node_id try_local(const pt_graph *g, const char *dir, const char *id) {
    char buf[2048];
    const char *base = g->base != NULL && g->base[0] != '\0' ? g->base : "urn:portrait:";
    int n = snprintf(buf, sizeof buf, "%s%s%s", base, dir, id);
    if (n < 0 || (size_t)n >= sizeof buf) {
        return PT_NONE;
    }
    return pt_graph_lookup(g, buf, (size_t)n, PT_TERM_IRI);
}

pt_node_id pt_graph_resolve(const pt_graph *g, const char *id, pt_class hint) {
    size_t len = strlen(id);
    if (len == 0) {
        return PT_NONE;
    }
    if (id[0] == '<' && id[len - 1] == '>') {
        return pt_graph_lookup(g, id + 1, len - 2, PT_TERM_IRI);
    }
    if (len > 2 && id[0] == '_' && id[1] == ':') {
        return pt_graph_lookup(g, id + 2, len - 2, PT_TERM_BLANK);
    }
    pt_node_id v;
    if (strstr(id, "://") != NULL || strncmp(id, "urn:", 4) == 0) {
        v = pt_graph_lookup(g, id, len, PT_TERM_IRI);
        if (v != PT_NONE) {
            return v;
        }
    }
    /* Local ids minted with the base: the hinted class first, then the bare base, then the
     * rest. */
    {
        for (size_t i = 0; i < N_LOCAL_DIRS; i++) {
            if (local_class[i] == hint && (v = try_local(g, local_dirs[i], id)) != PT_NONE) {
                return v;
            }
        }
        if ((v = try_local(g, "", id)) != PT_NONE) {
            return v;
        }
        for (size_t i = 0; i < N_LOCAL_DIRS; i++) {
            if (local_class[i] != hint && (v = try_local(g, local_dirs[i], id)) != PT_NONE) {
                return v;
            }
        }
    }
    /* Prefixed name. */
    const char *colon = strchr(id, ':');
    if (colon != NULL) {
        size_t pl = (size_t)(colon - id);
        for (size_t i = g->n_prefixes; i-- > 0;) {
            if (strlen(g->prefix_name[i]) == pl && strncmp(g->prefix_name[i], id, pl) == 0) {
                char buf[2048];
                int n = snprintf(buf, sizeof buf, "%s%s", g->prefix_iri[i], colon + 1);
                if (n > 0 && (size_t)n < sizeof buf) {
                    return pt_graph_lookup(g, buf, (size_t)n, PT_TERM_IRI);
                }
            }
        }
        /* The vocabulary prefixes everybody knows, even when a file did not declare them. */
        static const char *const known[][2] = {
            {"pt", PT_NS},           {"rdf", PT_RDF_NS},   {"rdfs", PT_RDFS_NS},
            {"xsd", PT_XSD_NS},      {"skos", PT_SKOS_NS}, {"owl", PT_OWL_NS},
            {"schema", PT_SCHEMA_NS}, {"gr", PT_GR_NS}};
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            if (strlen(known[i][0]) == pl && strncmp(known[i][0], id, pl) == 0) {
                char buf[2048];
                int n = snprintf(buf, sizeof buf, "%s%s", known[i][1], colon + 1);
                if (n > 0 && (size_t)n < sizeof buf) {
                    return pt_graph_lookup(g, buf, (size_t)n, PT_TERM_IRI);
                }
            }
        }
    }
    return pt_graph_lookup(g, id, len, PT_TERM_IRI);
}

/* snprintf(buf, cap, "%s%s", a, b) without printf (display ids are printed for every node of
 * every explanation path): the full length, with at most cap - 1 bytes and a NUL written. */
static size_t cat2(char *buf, size_t cap, const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (cap > 0) {
        size_t ca = la < cap - 1 ? la : cap - 1;
        size_t cb = lb < cap - 1 - ca ? lb : cap - 1 - ca;
        memcpy(buf, a, ca);
        memcpy(buf + ca, b, cb);
        buf[ca + cb] = '\0';
    }
    return la + lb;
}

size_t pt_graph_display_id(const pt_graph *g, pt_node_id id, char *buf, size_t cap) {
    if (id >= g->n_nodes) {
        return cat2(buf, cap, "?", "");
    }
    const char *raw = pt__node_raw(g, id);
    if (raw[0] == 'B') {
        return cat2(buf, cap, "_:", raw + 1);
    }
    const char *s = raw + 1;
    size_t bl = g->base != NULL ? strlen(g->base) : 0;
    if (bl > 0 && strncmp(s, g->base, bl) == 0 && s[bl] != '\0') {
        const char *rest = s + bl;
        /* Only users and items shed their folder: those are the ids event files use; the rest
         * keep it ("cat/12"), so no two nodes display alike. */
        for (size_t i = 0; i < 2; i++) {
            size_t dl = strlen(local_dirs[i]);
            if (strncmp(rest, local_dirs[i], dl) == 0 && rest[dl] != '\0') {
                return cat2(buf, cap, rest + dl, "");
            }
        }
        return cat2(buf, cap, rest, "");
    }
    return cat2(buf, cap, s, "");
}

const char *pt_graph_base(const pt_graph *g) {
    return g->base != NULL ? g->base : "";
}

size_t pt_graph_prefix_count(const pt_graph *g) {
    return g->n_prefixes;
}

int pt_graph_prefix(const pt_graph *g, size_t i, const char **name, const char **iri) {
    if (i >= g->n_prefixes) {
        *name = *iri = NULL;
        return PT_ENOTFOUND;
    }
    *name = g->prefix_name[i];
    *iri = g->prefix_iri[i];
    return PT_OK;
}

const char *pt_class_name(pt_class c) {
    static const char *const names[] = {"Other", "User", "Item", "Tag", "Category", "Brand",
                                        "Event"};
    return (unsigned)c < PT_CLASS_COUNT_ ? names[c] : "?";
}

const char *pt_role_name(pt_role r) {
    static const char *const names[] = {"none",      "viewed", "clicked",  "carted",
                                        "purchased", "rated",  "reviewed", "hasTag",
                                        "inCategory", "brand", "broader",  "type"};
    return (unsigned)r < PT_ROLE_COUNT_ ? names[r] : "?";
}

/* --- edges --------------------------------------------------------------------------------- */

void pt__graph_slice(const pt_graph *g, pt_node_id v, int dir, pt_node_id p, uint64_t *lo,
                     uint64_t *hi) {
    if (v >= g->n_csr_nodes) {
        *lo = *hi = 0;
        return;
    }
    const uint64_t *off = dir == 0 ? g->out_off : g->in_off;
    const uint32_t *pred = dir == 0 ? g->out_pred : g->in_pred;
    uint64_t a = off[v], b = off[v + 1];
    if (p == PT_NONE) {
        *lo = a;
        *hi = b;
        return;
    }
    /* lower bound of p, then upper bound */
    uint64_t l = a, r = b;
    while (l < r) {
        uint64_t m = l + (r - l) / 2;
        if (pred[m] < p) {
            l = m + 1;
        } else {
            r = m;
        }
    }
    *lo = l;
    r = b;
    while (l < r) {
        uint64_t m = l + (r - l) / 2;
        if (pred[m] <= p) {
            l = m + 1;
        } else {
            r = m;
        }
    }
    *hi = l;
}

uint64_t pt__graph_edge_id(const pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o) {
    uint64_t lo, hi;
    pt__graph_slice(g, s, 0, p, &lo, &hi);
    while (lo < hi) {
        uint64_t m = lo + (hi - lo) / 2;
        if (g->out_dst[m] < o) {
            lo = m + 1;
        } else {
            hi = m;
        }
    }
    uint64_t end = s < g->n_csr_nodes ? g->out_off[s + 1] : 0;
    if (lo < end && g->out_pred[lo] == p && g->out_dst[lo] == o) {
        return lo;
    }
    return UINT64_MAX;
}

uint64_t pt_graph_out_degree(const pt_graph *g, pt_node_id v) {
    uint64_t d = v < g->n_csr_nodes ? g->out_off[v + 1] - g->out_off[v] : 0;
    if (g->d_out_head != NULL && v < g->n_nodes) {
        for (uint32_t k = g->d_out_head[v]; k != 0; k = g->d_next_out[k - 1]) {
            d++;
        }
    }
    return d;
}

uint64_t pt_graph_in_degree(const pt_graph *g, pt_node_id v) {
    uint64_t d = v < g->n_csr_nodes ? g->in_off[v + 1] - g->in_off[v] : 0;
    if (g->d_in_head != NULL && v < g->n_nodes) {
        for (uint32_t k = g->d_in_head[v]; k != 0; k = g->d_next_in[k - 1]) {
            d++;
        }
    }
    return d;
}

void pt_graph_edges(const pt_graph *g, pt_node_id v, int dir, pt_node_id pred,
                    pt_edge_iter *it) {
    it->g = g;
    it->node = v;
    it->pred = pred;
    it->dir = dir;
    pt__graph_slice(g, v, dir, pred, &it->pos, &it->end);
    const uint32_t *heads = dir == 0 ? g->d_out_head : g->d_in_head;
    it->delta = heads != NULL && v < g->n_nodes ? heads[v] : 0;
}

int pt_graph_edge_next(pt_edge_iter *it, pt_edge *e) {
    const pt_graph *g = it->g;
    if (it->pos < it->end) {
        uint64_t k = it->pos++;
        if (it->dir == 0) {
            e->src = it->node;
            e->pred = g->out_pred[k];
            e->dst = g->out_dst[k];
            e->weight = g->weight[k];
            e->time = g->time[k];
        } else {
            e->src = g->in_src[k];
            e->pred = g->in_pred[k];
            e->dst = it->node;
            uint64_t id = pt__graph_edge_id(g, e->src, e->pred, e->dst);
            e->weight = id != UINT64_MAX ? g->weight[id] : 1.0f;
            e->time = id != UINT64_MAX ? g->time[id] : PT_TIME_UNKNOWN;
        }
        return 1;
    }
    while (it->delta != 0) {
        uint64_t k = it->delta - 1;
        it->delta = it->dir == 0 ? g->d_next_out[k] : g->d_next_in[k];
        if (it->pred != PT_NONE && g->d_pred[k] != it->pred) {
            continue;
        }
        e->src = g->d_src[k];
        e->pred = g->d_pred[k];
        e->dst = g->d_dst[k];
        e->weight = g->d_weight[k];
        e->time = g->d_time[k];
        return 1;
    }
    return 0;
}

int pt_graph_edge_next_nbr(pt_edge_iter *it, pt_node_id *nbr, pt_node_id *pred) {
    const pt_graph *g = it->g;
    if (it->pos < it->end) {
        uint64_t k = it->pos++;
        *nbr = it->dir == 0 ? g->out_dst[k] : g->in_src[k];
        *pred = it->dir == 0 ? g->out_pred[k] : g->in_pred[k];
        return 1;
    }
    while (it->delta != 0) {
        uint64_t k = it->delta - 1;
        it->delta = it->dir == 0 ? g->d_next_out[k] : g->d_next_in[k];
        if (it->pred != PT_NONE && g->d_pred[k] != it->pred) {
            continue;
        }
        *nbr = it->dir == 0 ? g->d_dst[k] : g->d_src[k];
        *pred = g->d_pred[k];
        return 1;
    }
    return 0;
}

int pt_graph_edge_find(const pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o, pt_edge *e) {
    if (s >= g->n_nodes) {
        return 0;
    }
    uint64_t id = pt__graph_edge_id(g, s, p, o);
    if (id != UINT64_MAX) {
        *e = (pt_edge){s, p, o, g->weight[id], g->time[id]};
        return 1;
    }
    if (g->d_out_head != NULL) {
        for (uint32_t k = g->d_out_head[s]; k != 0; k = g->d_next_out[k - 1]) {
            if (g->d_pred[k - 1] == p && g->d_dst[k - 1] == o) {
                *e = (pt_edge){s, p, o, g->d_weight[k - 1], g->d_time[k - 1]};
                return 1;
            }
        }
    }
    return 0;
}

int64_t pt_graph_latest_time(const pt_graph *g) {
    int64_t t = PT_TIME_UNKNOWN;
    for (uint64_t k = 0; k < g->n_csr_edges; k++) {
        t = g->time[k] > t ? g->time[k] : t;
    }
    for (uint64_t k = 0; k < g->n_delta; k++) {
        t = g->d_time[k] > t ? g->d_time[k] : t;
    }
    return t;
}

/* --- literals ------------------------------------------------------------------------------ */

uint64_t pt_graph_literal_count_of(const pt_graph *g, pt_node_id v) {
    uint64_t n = v < g->n_csr_nodes ? g->lit_off[v + 1] - g->lit_off[v] : 0;
    if (g->dl_head != NULL && v < g->n_nodes) {
        for (uint32_t k = g->dl_head[v]; k != 0; k = g->dl_next[k - 1]) {
            n++;
        }
    }
    return n;
}

int pt_graph_literal(const pt_graph *g, pt_node_id v, uint64_t i, pt_literal *out) {
    uint64_t n = v < g->n_csr_nodes ? g->lit_off[v + 1] - g->lit_off[v] : 0;
    if (i < n) {
        uint64_t k = g->lit_off[v] + i;
        out->pred = g->lit_pred[k];
        out->lex = g->pool + g->lit_str[k];
        out->datatype = g->lit_dt[k];
        out->lang = g->lit_lang[k] < g->n_langs ? g->langs[g->lit_lang[k]] : "";
        return PT_OK;
    }
    i -= n;
    if (g->dl_head != NULL && v < g->n_nodes) {
        /* The chain runs newest first; count from its end so indices follow arrival order. */
        uint64_t total = 0;
        for (uint32_t k = g->dl_head[v]; k != 0; k = g->dl_next[k - 1]) {
            total++;
        }
        if (i < total) {
            uint64_t skip = total - 1 - i;
            uint32_t k = g->dl_head[v];
            while (skip-- > 0) {
                k = g->dl_next[k - 1];
            }
            out->pred = g->dl_pred[k - 1];
            out->lex = g->dl_str[k - 1];
            out->datatype = g->dl_dt[k - 1];
            out->lang = g->langs[g->dl_lang[k - 1]];
            return PT_OK;
        }
    }
    return PT_ENOTFOUND;
}

const char *pt_graph_literal_get(const pt_graph *g, pt_node_id v, pt_node_id pred,
                                 const char *lang) {
    const char *any = NULL;
    uint64_t n = pt_graph_literal_count_of(g, v);
    pt_literal lit;
    for (uint64_t i = 0; i < n; i++) {
        if (pt_graph_literal(g, v, i, &lit) != PT_OK || lit.pred != pred) {
            continue;
        }
        if (lang == NULL || strcmp(lit.lang, lang) == 0) {
            return lit.lex;
        }
        if (any == NULL) {
            any = lit.lex;
        }
    }
    return any;
}

/* --- statistics ---------------------------------------------------------------------------- */

void pt_graph_memory_detail(const pt_graph *g, pt_graph_mem *out) {
    size_t n = g->n_nodes, m = g->n_csr_edges, l = g->n_csr_lits, rows = g->n_csr_nodes + 1;
    out->strings = g->pool_len + g->arena.used_bytes;
    out->adjacency = rows * 8 * 2 + m * (4 + 4 + 4 + 8) + m * (4 + 4) +
                     g->n_delta * (4 * 3 + 4 + 8 + 8);
    out->literals = rows * 8 + l * (4 + 8 + 4 + 2) + g->n_dlit * 30;
    out->dictionary = (size_t)g->n_pool_nodes * 8 + n * 2 +
                      (size_t)(g->hash_mask + 1) * sizeof(pt__slot);
    out->vectors = pt__vecs_memory(g->vecs);
}

size_t pt_graph_memory(const pt_graph *g, size_t *string_bytes) {
    pt_graph_mem d;
    pt_graph_memory_detail(g, &d);
    if (string_bytes != NULL) {
        *string_bytes = d.strings;
    }
    return d.adjacency + d.literals + d.dictionary + d.strings + d.vectors;
}

int pt__graph_rehash(pt_graph *g, uint64_t min_slots) {
    uint64_t size = 1024;
    while (size < min_slots) {
        size *= 2;
    }
    pt__slot *h = pt__big_alloc(g->ctx, size * sizeof *h);
    if (h == NULL) {
        return PT_ENOMEM;
    }
    memset(h, 0, size * sizeof *h);
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        const char *raw = pt__node_raw(g, v);
        uint64_t x = pt__term_hash(raw + 1, strlen(raw + 1),
                                   raw[0] == 'B' ? PT_TERM_BLANK : PT_TERM_IRI);
        uint64_t i = x & (size - 1);
        while (h[i] != 0) {
            i = (i + 1) & (size - 1);
        }
        h[i] = (x >> 32 << 32) | ((uint64_t)v + 1);
    }
    if (g->owned & PT__OWN_HASH) {
        pt__big_free(g->ctx, g->hash);
    }
    g->hash = h;
    g->hash_mask = size - 1;
    g->hash_used = g->n_nodes;
    g->owned |= PT__OWN_HASH;
    return PT_OK;
}

int pt__graph_build_hash(pt_graph *g) {
    return pt__graph_rehash(g, (uint64_t)g->n_nodes * 2 + 2);
}
