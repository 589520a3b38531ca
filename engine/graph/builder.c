/*
 * builder.c - bulk construction of a pt_graph, the step between the importers and everything
 * that reads the graph.
 *
 * Importers intern terms (one hash probe per term) and push raw triples into parallel arrays.
 * pt_builder_finish() then: resolves predicate roles, turns pt:Event nodes into user-item edges,
 * resolves node classes (ontology/vocab.c), sorts the edges by (s, p, o) with three stable
 * counting-sort passes, folds duplicates, lays out the out- and in-CSR, and sorts and dedupes the
 * literal properties. Everything is O(n + m) but the per-row literal sort.
 *
 * Memory is the budget here (<= 200 bytes per triple at peak): raw edges cost 24 bytes, raw
 * literals 32; the big arrays come from pt__big_alloc (huge pages, mremap growth).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph/graph.h"
#include "ontology/vocab.h"

struct pt_builder {
    pt_ctx *ctx;
    int oom; /* sticky: set on the first failed allocation */

    /* strings: kind byte + text + NUL for nodes; text + NUL for literals */
    char *pool;
    size_t pool_len, pool_cap;

    /* nodes */
    uint64_t *node_off;
    size_t node_cap;
    uint32_t n_nodes;
    pt__slot *hash;
    uint64_t hash_mask, hash_used;

    /* raw edges */
    uint32_t *e_s, *e_p, *e_o;
    float *e_w;
    int64_t *e_t;
    size_t n_e, e_cap;

    /* raw literals */
    uint32_t *l_s, *l_p, *l_dt;
    uint64_t *l_str, *l_h;
    uint16_t *l_lang;
    size_t n_l, l_cap;

    /* language tags; langs[0] = "" */
    char **langs;
    size_t n_langs, langs_cap;

    /* metadata */
    char **pfx_name, **pfx_iri;
    size_t n_pfx, pfx_cap;
    char *base;

    /* vectors copied from the graph the builder was seeded with (ids are kept), and those read
     * from pt:f32vector literals; NULL when none */
    struct pt__vecs *vecs;
    uint32_t f32_id1;  /* id + 1 of the node pt:f32vector, 0 until interned */
    float *vbuf;       /* decoding buffer for pt:f32vector literals */
    size_t vbuf_cap;
};

/* --- strings and interning ----------------------------------------------------------------- */

uint64_t pt__term_hash(const char *str, size_t len, pt_term_kind kind) {
    return pt__hash(str, len, kind == PT_TERM_BLANK ? 0x5bd1e995u : 0x27d4eb2fu);
}

/* Append `len` bytes plus a NUL (and a kind byte first when kind >= 0) to the pool; returns the
 * offset of the first byte written, or UINT64_MAX on failure (sticky oom). */
static uint64_t pool_put(pt_builder *b, int kind, const char *s, size_t len) {
    size_t need = b->pool_len + len + 2;
    if (need > b->pool_cap) {
        size_t cap = b->pool_cap < ((size_t)1 << 20) ? ((size_t)1 << 20) : b->pool_cap;
        while (cap < need) {
            cap *= 2;
        }
        char *p = pt__big_realloc(b->ctx, b->pool, cap);
        if (p == NULL) {
            b->oom = 1;
            return UINT64_MAX;
        }
        b->pool = p;
        b->pool_cap = cap;
    }
    uint64_t at = b->pool_len;
    char *d = b->pool + at;
    if (kind >= 0) {
        *d++ = kind == PT_TERM_BLANK ? 'B' : 'I';
    }
    memcpy(d, s, len);
    d[len] = '\0';
    b->pool_len = (size_t)(d + len + 1 - b->pool);
    return at;
}

/* Double the hash table and reinsert every node. */
static int rehash(pt_builder *b) {
    uint64_t size = b->hash_mask == 0 ? 1024 : (b->hash_mask + 1) * 2;
    pt__slot *h = pt__big_alloc(b->ctx, size * sizeof *h);
    if (h == NULL) {
        b->oom = 1;
        return PT_ENOMEM;
    }
    memset(h, 0, size * sizeof *h);
    uint64_t mask = size - 1;
    for (uint32_t v = 0; v < b->n_nodes; v++) {
        const char *raw = b->pool + b->node_off[v];
        uint64_t hv = pt__term_hash(raw + 1, strlen(raw + 1),
                                    raw[0] == 'B' ? PT_TERM_BLANK : PT_TERM_IRI);
        uint64_t i = hv & mask;
        while (h[i] != 0) {
            i = (i + 1) & mask;
        }
        h[i] = (hv >> 32 << 32) | ((uint64_t)v + 1);
    }
    pt__big_free(b->ctx, b->hash);
    b->hash = h;
    b->hash_mask = mask;
    return PT_OK;
}

pt_node_id pt_builder_intern(pt_builder *b, const char *str, size_t len, pt_term_kind kind) {
    if (b->oom) {
        return PT_NONE;
    }
    if ((b->hash_used + 1) * 2 > b->hash_mask + 1 && rehash(b) != PT_OK) {
        return PT_NONE;
    }
    uint64_t hv = pt__term_hash(str, len, kind);
    uint64_t fp = hv >> 32 << 32;
    uint64_t i = hv & b->hash_mask;
    char kb = kind == PT_TERM_BLANK ? 'B' : 'I';
    for (;;) {
        pt__slot s = b->hash[i];
        if (s == 0) {
            break;
        }
        if ((s & 0xFFFFFFFF00000000ull) == fp) {
            uint32_t id = (uint32_t)(s & 0xFFFFFFFFu) - 1;
            const char *raw = b->pool + b->node_off[id];
            if (raw[0] == kb && memcmp(raw + 1, str, len) == 0 && raw[1 + len] == '\0') {
                return id;
            }
        }
        i = (i + 1) & b->hash_mask;
    }
    if (b->n_nodes >= 0xFFFFFFFEu) {
        b->oom = 2; /* too many nodes: reported as PT_ELIMIT */
        return PT_NONE;
    }
    if (b->n_nodes == b->node_cap) {
        size_t cap = b->node_cap == 0 ? 4096 : b->node_cap * 2;
        uint64_t *no = pt__big_realloc(b->ctx, b->node_off, cap * sizeof *no);
        if (no == NULL) {
            b->oom = 1;
            return PT_NONE;
        }
        b->node_off = no;
        b->node_cap = cap;
    }
    uint64_t off = pool_put(b, kind, str, len);
    if (off == UINT64_MAX) {
        return PT_NONE;
    }
    uint32_t id = b->n_nodes++;
    b->node_off[id] = off;
    b->hash[i] = fp | ((uint64_t)id + 1);
    b->hash_used++;
    if (kind == PT_TERM_IRI && len == sizeof PT_F32VECTOR - 1 &&
        memcmp(str, PT_F32VECTOR, len) == 0) {
        b->f32_id1 = id + 1;
    }
    return id;
}

/* Find an IRI without adding it (used by the vocabulary resolver). */
static pt_node_id builder_lookup(void *ud, const char *iri) {
    pt_builder *b = ud;
    size_t len = strlen(iri);
    if (b->hash_mask == 0) {
        return PT_NONE;
    }
    uint64_t hv = pt__term_hash(iri, len, PT_TERM_IRI);
    uint64_t fp = hv >> 32 << 32;
    for (uint64_t i = hv & b->hash_mask;; i = (i + 1) & b->hash_mask) {
        pt__slot s = b->hash[i];
        if (s == 0) {
            return PT_NONE;
        }
        if ((s & 0xFFFFFFFF00000000ull) == fp) {
            uint32_t id = (uint32_t)(s & 0xFFFFFFFFu) - 1;
            const char *raw = b->pool + b->node_off[id];
            if (raw[0] == 'I' && strcmp(raw + 1, iri) == 0) {
                return id;
            }
        }
    }
}

/* --- raw triples --------------------------------------------------------------------------- */

/* Grow the raw edge arrays to hold one more; 0 on failure (sticky oom). */
static int edges_reserve(pt_builder *b) {
    if (b->n_e < b->e_cap) {
        return 1;
    }
    size_t cap = b->e_cap == 0 ? 65536 : b->e_cap * 2;
    uint32_t *s = pt__big_realloc(b->ctx, b->e_s, cap * 4);
    if (s != NULL) {
        b->e_s = s;
    }
    uint32_t *p = s ? pt__big_realloc(b->ctx, b->e_p, cap * 4) : NULL;
    if (p != NULL) {
        b->e_p = p;
    }
    uint32_t *o = p ? pt__big_realloc(b->ctx, b->e_o, cap * 4) : NULL;
    if (o != NULL) {
        b->e_o = o;
    }
    float *w = o ? pt__big_realloc(b->ctx, b->e_w, cap * 4) : NULL;
    if (w != NULL) {
        b->e_w = w;
    }
    int64_t *t = w ? pt__big_realloc(b->ctx, b->e_t, cap * 8) : NULL;
    if (t == NULL) {
        b->oom = 1;
        return 0;
    }
    b->e_t = t;
    b->e_cap = cap;
    return 1;
}

void pt_builder_add_edge(pt_builder *b, pt_node_id s, pt_node_id p, pt_node_id o, float weight,
                         int64_t time) {
    if (b->oom || s >= b->n_nodes || p >= b->n_nodes || o >= b->n_nodes || !edges_reserve(b)) {
        if (!b->oom && (s >= b->n_nodes || p >= b->n_nodes || o >= b->n_nodes)) {
            b->oom = 3; /* a caller bug: reported as PT_EINVAL */
        }
        return;
    }
    size_t k = b->n_e++;
    b->e_s[k] = s;
    b->e_p[k] = p;
    b->e_o[k] = o;
    b->e_w[k] = weight;
    b->e_t[k] = time;
}

/* Index of language tag `lang` in the builder's table, adding it; 0 for none. */
static uint16_t lang_index(pt_builder *b, const char *lang, size_t len) {
    if (lang == NULL || len == 0) {
        return 0;
    }
    for (size_t i = 1; i < b->n_langs; i++) {
        if (strncasecmp(b->langs[i], lang, len) == 0 && b->langs[i][len] == '\0') {
            return (uint16_t)i;
        }
    }
    if (b->n_langs >= 65535) {
        return 0;
    }
    if (pt__grow(b->ctx, (void **)&b->langs, &b->langs_cap, b->n_langs + 1, sizeof(char *)) !=
        PT_OK) {
        b->oom = 1;
        return 0;
    }
    char *copy = pt__strndup(b->ctx, lang, len);
    if (copy == NULL) {
        b->oom = 1;
        return 0;
    }
    /* Language tags compare case-insensitively (BCP 47); keep them lower case. */
    for (char *c = copy; *c; c++) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char)(*c - 'A' + 'a');
        }
    }
    b->langs[b->n_langs] = copy;
    return (uint16_t)b->n_langs++;
}

/* Grow the raw literal arrays to hold one more; 0 on failure. */
static int lits_reserve(pt_builder *b) {
    if (b->n_l < b->l_cap) {
        return 1;
    }
    size_t cap = b->l_cap == 0 ? 16384 : b->l_cap * 2;
    void *arrs[6] = {b->l_s, b->l_p, b->l_dt, b->l_str, b->l_h, b->l_lang};
    size_t sizes[6] = {4, 4, 4, 8, 8, 2};
    for (int i = 0; i < 6; i++) {
        void *n = pt__big_realloc(b->ctx, arrs[i], cap * sizes[i]);
        if (n == NULL) {
            b->oom = 1;
            /* keep whatever grew; the old capacity still holds for all */
            b->l_s = arrs[0], b->l_p = arrs[1], b->l_dt = arrs[2];
            b->l_str = arrs[3], b->l_h = arrs[4], b->l_lang = arrs[5];
            return 0;
        }
        arrs[i] = n;
    }
    b->l_s = arrs[0], b->l_p = arrs[1], b->l_dt = arrs[2];
    b->l_str = arrs[3], b->l_h = arrs[4], b->l_lang = arrs[5];
    b->l_cap = cap;
    return 1;
}

void pt_builder_add_literal(pt_builder *b, pt_node_id s, pt_node_id p, const char *lex,
                            size_t lex_len, pt_node_id datatype, const char *lang,
                            size_t lang_len) {
    if (b->oom) {
        return;
    }
    if (s >= b->n_nodes || p >= b->n_nodes || (datatype != PT_NONE && datatype >= b->n_nodes)) {
        b->oom = 3;
        return;
    }
    if (datatype != PT_NONE && datatype + 1 == b->f32_id1 && (lang == NULL || lang_len == 0)) {
        /* A vector (pt_vec.h): one value per (s, p), the last one wins. Text that does not
         * decode stays an ordinary literal. */
        uint32_t dim = pt__f32vector_decode(b->ctx, lex, lex_len, &b->vbuf, &b->vbuf_cap);
        if (dim > 0) {
            if (pt__vecs_set(b->ctx, &b->vecs, s, p, b->vbuf, dim) != PT_OK) {
                b->oom = 1;
            }
            return;
        }
    }
    uint16_t li = lang_index(b, lang, lang != NULL ? lang_len : 0);
    if (b->oom || !lits_reserve(b)) {
        return;
    }
    uint64_t off = pool_put(b, -1, lex, lex_len);
    if (off == UINT64_MAX) {
        return;
    }
    size_t k = b->n_l++;
    b->l_s[k] = s;
    b->l_p[k] = p;
    b->l_dt[k] = datatype;
    b->l_str[k] = off;
    b->l_h[k] = pt__hash(lex, lex_len, 7);
    b->l_lang[k] = li;
}

void pt_builder_add_prefix(pt_builder *b, const char *name, const char *iri) {
    if (b->oom) {
        return;
    }
    for (size_t i = 0; i < b->n_pfx; i++) {
        if (strcmp(b->pfx_name[i], name) == 0) {
            char *c = pt__strdup(b->ctx, iri);
            if (c == NULL) {
                b->oom = 1;
                return;
            }
            pt__free(b->ctx, b->pfx_iri[i]);
            b->pfx_iri[i] = c;
            return;
        }
    }
    size_t cap = b->pfx_cap;
    if (pt__grow(b->ctx, (void **)&b->pfx_name, &cap, b->n_pfx + 1, sizeof(char *)) != PT_OK ||
        pt__grow(b->ctx, (void **)&b->pfx_iri, &b->pfx_cap, b->n_pfx + 1, sizeof(char *)) !=
            PT_OK) {
        b->oom = 1;
        return;
    }
    b->pfx_cap = cap < b->pfx_cap ? cap : b->pfx_cap;
    char *n = pt__strdup(b->ctx, name), *v = pt__strdup(b->ctx, iri);
    if (n == NULL || v == NULL) {
        pt__free(b->ctx, n);
        pt__free(b->ctx, v);
        b->oom = 1;
        return;
    }
    b->pfx_name[b->n_pfx] = n;
    b->pfx_iri[b->n_pfx++] = v;
}

void pt_builder_set_base(pt_builder *b, const char *iri) {
    if (b->oom) {
        return;
    }
    char *c = pt__strdup(b->ctx, iri);
    if (c == NULL) {
        b->oom = 1;
        return;
    }
    pt__free(b->ctx, b->base);
    b->base = c;
}

pt_ctx *pt__builder_ctx(const pt_builder *b) {
    return b->ctx;
}

const char *pt__builder_base(const pt_builder *b) {
    return b->base;
}

uint64_t pt_builder_triple_count(const pt_builder *b) {
    return (uint64_t)b->n_e + b->n_l;
}

/* --- life cycle ---------------------------------------------------------------------------- */

/* Copy every node, edge, literal, vector and the metadata of `g` into the empty builder `b`,
 * keeping node ids: nodes are interned in id order, so node v of g is node v of b. */
static int copy_graph(pt_builder *b, const pt_graph *g) {
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        const char *raw = pt__node_raw(g, v);
        pt_builder_intern(b, raw + 1, strlen(raw + 1), raw[0] == 'B' ? PT_TERM_BLANK
                                                                     : PT_TERM_IRI);
    }
    /* Vectors first: pt:f32vector literals appended to g since (pt_graph_add_literal) become
     * vectors below and replace these. */
    if (!b->oom && pt__vecs_copy(b->ctx, g->vecs, &b->vecs) != PT_OK) {
        b->oom = 1;
    }
    pt_edge e;
    pt_edge_iter it;
    pt_literal lit;
    for (uint32_t v = 0; v < g->n_nodes && !b->oom; v++) {
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            pt_builder_add_edge(b, e.src, e.pred, e.dst, e.weight, e.time);
        }
        uint64_t nl = pt_graph_literal_count_of(g, v);
        for (uint64_t i = 0; i < nl; i++) {
            pt_graph_literal(g, v, i, &lit);
            pt_builder_add_literal(b, v, lit.pred, lit.lex, strlen(lit.lex), lit.datatype,
                                   lit.lang, strlen(lit.lang));
        }
    }
    for (size_t i = 0; i < g->n_prefixes; i++) {
        pt_builder_add_prefix(b, g->prefix_name[i], g->prefix_iri[i]);
    }
    if (g->base != NULL && g->base[0] != '\0') {
        pt_builder_set_base(b, g->base);
    }
    return b->oom ? PT_ENOMEM : PT_OK;
}

int pt_builder_new(pt_ctx *ctx, const pt_graph *base, pt_builder **out) {
    *out = NULL;
    pt_builder *b = pt__calloc(ctx, 1, sizeof *b);
    if (b == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory creating a builder");
    }
    b->ctx = ctx;
    b->langs = pt__malloc(ctx, 8 * sizeof(char *));
    b->langs_cap = 8;
    if (b->langs == NULL || (b->langs[0] = pt__strdup(ctx, "")) == NULL) {
        pt_builder_free(b);
        return pt__error(ctx, PT_ENOMEM, "out of memory creating a builder");
    }
    b->n_langs = 1;
    if (rehash(b) != PT_OK) {
        pt_builder_free(b);
        return pt__error(ctx, PT_ENOMEM, "out of memory creating a builder");
    }
    if (base != NULL && copy_graph(b, base) != PT_OK) {
        pt_builder_free(b);
        return pt__error(ctx, PT_ENOMEM, "out of memory copying the graph into a builder");
    }
    *out = b;
    return PT_OK;
}

/* Free the raw arrays (not the pool, node offsets and hash, which finish hands over). */
static void free_raw(pt_builder *b) {
    pt__big_free(b->ctx, b->e_s);
    pt__big_free(b->ctx, b->e_p);
    pt__big_free(b->ctx, b->e_o);
    pt__big_free(b->ctx, b->e_w);
    pt__big_free(b->ctx, b->e_t);
    b->e_s = b->e_p = b->e_o = NULL;
    b->e_w = NULL;
    b->e_t = NULL;
    pt__big_free(b->ctx, b->l_s);
    pt__big_free(b->ctx, b->l_p);
    pt__big_free(b->ctx, b->l_dt);
    pt__big_free(b->ctx, b->l_str);
    pt__big_free(b->ctx, b->l_h);
    pt__big_free(b->ctx, b->l_lang);
    b->l_s = b->l_p = b->l_dt = NULL;
    b->l_str = b->l_h = NULL;
    b->l_lang = NULL;
}

void pt_builder_free(pt_builder *b) {
    if (b == NULL) {
        return;
    }
    free_raw(b);
    pt__big_free(b->ctx, b->pool);
    pt__big_free(b->ctx, b->node_off);
    pt__big_free(b->ctx, b->hash);
    for (size_t i = 0; i < b->n_langs; i++) {
        pt__free(b->ctx, b->langs[i]);
    }
    pt__free(b->ctx, b->langs);
    for (size_t i = 0; i < b->n_pfx; i++) {
        pt__free(b->ctx, b->pfx_name[i]);
        pt__free(b->ctx, b->pfx_iri[i]);
    }
    pt__free(b->ctx, b->pfx_name);
    pt__free(b->ctx, b->pfx_iri);
    pt__free(b->ctx, b->base);
    pt__vecs_free(b->vecs);
    pt__free(b->ctx, b->vbuf);
    pt__free(b->ctx, b);
}

/* --- finish: events ------------------------------------------------------------------------ */

/* Parse a literal as a float weight; returns 1 on success. */
static int parse_weight(const char *s, float *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s) {
        return 0;
    }
    while (*end == ' ') {
        end++;
    }
    if (*end != '\0') {
        return 0;
    }
    *out = (float)v;
    return 1;
}

/* Turn every pt:Event node that has pt:user, pt:item and a behaviour pt:action into the edge
 * user -action-> item, weighted by pt:rating or pt:value (else 1) and timed by pt:time. */
static int derive_event_edges(pt_builder *b, const uint8_t *role) {
    pt_node_id p_user = builder_lookup(b, PT_EV_USER), p_item = builder_lookup(b, PT_EV_ITEM),
               p_action = builder_lookup(b, PT_EV_ACTION);
    if (p_user == PT_NONE || p_item == PT_NONE || p_action == PT_NONE) {
        return PT_OK;
    }
    pt_node_id p_time = builder_lookup(b, PT_EV_TIME), p_rating = builder_lookup(b, PT_EV_RATING),
               p_value = builder_lookup(b, PT_EV_VALUE);
    /* Slots per node: user, item, action (id + 1, 0 = none). Only event subjects are touched,
     * but the arrays are sized by node count: calloc keeps untouched pages free. */
    uint32_t n = b->n_nodes;
    uint32_t *ev = pt__calloc(b->ctx, (size_t)n * 3, sizeof(uint32_t));
    if (ev == NULL) {
        return PT_ENOMEM;
    }
    size_t n_events = 0;
    for (size_t k = 0; k < b->n_e; k++) {
        uint32_t p = b->e_p[k], s = b->e_s[k];
        int slot = p == p_user ? 0 : p == p_item ? 1 : p == p_action ? 2 : -1;
        if (slot >= 0) {
            if (slot == 0 && ev[(size_t)s * 3] == 0) {
                n_events++;
            }
            ev[(size_t)s * 3 + slot] = b->e_o[k] + 1;
        }
    }
    if (n_events == 0) {
        pt__free(b->ctx, ev);
        return PT_OK;
    }
    /* Times and weights from literals, kept in small side tables keyed by event slot. */
    int64_t *tm = pt__malloc(b->ctx, (size_t)n * sizeof *tm);
    float *wt = pt__malloc(b->ctx, (size_t)n * sizeof *wt);
    uint8_t *fl = pt__calloc(b->ctx, (size_t)n, 1); /* bit 0: has time, bit 1: has weight */
    if (tm == NULL || wt == NULL || fl == NULL) {
        pt__free(b->ctx, ev);
        pt__free(b->ctx, tm);
        pt__free(b->ctx, wt);
        pt__free(b->ctx, fl);
        return PT_ENOMEM;
    }
    for (size_t k = 0; k < b->n_l; k++) {
        uint32_t s = b->l_s[k], p = b->l_p[k];
        if (ev[(size_t)s * 3] == 0) {
            continue;
        }
        const char *lex = b->pool + b->l_str[k];
        if (p == p_time) {
            int64_t t;
            if (pt__parse_time(lex, strlen(lex), &t)) {
                tm[s] = t;
                fl[s] |= 1;
            }
        } else if (p == p_rating || p == p_value) {
            float w;
            if (parse_weight(lex, &w)) {
                wt[s] = w;
                fl[s] |= 2;
            }
        }
    }
    for (uint32_t s = 0; s < n; s++) {
        uint32_t u = ev[(size_t)s * 3], it = ev[(size_t)s * 3 + 1], ac = ev[(size_t)s * 3 + 2];
        if (u == 0 || it == 0 || ac == 0 || !PT_ROLE_IS_BEHAVIOUR(role[ac - 1])) {
            continue;
        }
        float w = (fl[s] & 2) ? wt[s] : 1.0f;
        int64_t t = (fl[s] & 1) ? tm[s] : PT_TIME_UNKNOWN;
        pt_builder_add_edge(b, u - 1, ac - 1, it - 1, w, t);
    }
    pt__free(b->ctx, ev);
    pt__free(b->ctx, tm);
    pt__free(b->ctx, wt);
    pt__free(b->ctx, fl);
    return b->oom ? PT_ENOMEM : PT_OK;
}

/* --- finish: sorting ----------------------------------------------------------------------- */

/* Stable counting sort of the index sequence `in` (length m) by key[in[k]] in [0, n), into
 * `out`. `cnt` has n + 1 entries of scratch. */
static void csort(const uint32_t *in, uint32_t *out, uint64_t m, const uint32_t *key, uint32_t n,
                  uint64_t *cnt) {
    memset(cnt, 0, ((size_t)n + 1) * sizeof *cnt);
    for (uint64_t k = 0; k < m; k++) {
        cnt[key[in[k]] + 1]++;
    }
    for (uint32_t v = 0; v < n; v++) {
        cnt[v + 1] += cnt[v];
    }
    for (uint64_t k = 0; k < m; k++) {
        out[cnt[key[in[k]]]++] = in[k];
    }
}

/* Order of literal indices within one (s, p) run: by hash, datatype, lang, then index. */
static int lit_cmp(const void *a, const void *b, void *ud) {
    const pt_builder *bl = ud;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (bl->l_h[x] != bl->l_h[y]) {
        return bl->l_h[x] < bl->l_h[y] ? -1 : 1;
    }
    if (bl->l_dt[x] != bl->l_dt[y]) {
        return bl->l_dt[x] < bl->l_dt[y] ? -1 : 1;
    }
    if (bl->l_lang[x] != bl->l_lang[y]) {
        return bl->l_lang[x] < bl->l_lang[y] ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

/* True when raw literals x and y are the same literal. */
static int lit_same(const pt_builder *b, uint32_t x, uint32_t y) {
    return b->l_h[x] == b->l_h[y] && b->l_dt[x] == b->l_dt[y] && b->l_lang[x] == b->l_lang[y] &&
           strcmp(b->pool + b->l_str[x], b->pool + b->l_str[y]) == 0;
}

/* Allocate `n` elements of `size` bytes with pt__big_alloc; sets *fail on failure. */
static void *big(pt_ctx *ctx, size_t n, size_t size, int *fail) {
    void *p = pt__big_alloc(ctx, (n == 0 ? 1 : n) * size);
    if (p == NULL) {
        *fail = 1;
    }
    return p;
}

/* Sort and dedupe the raw edges and lay out out- and in-CSR into `g`. */
static int build_edges(pt_builder *b, pt_graph *g) {
    pt_ctx *ctx = b->ctx;
    uint64_t m = b->n_e;
    uint32_t n = b->n_nodes;
    int fail = 0;
    uint32_t *A = big(ctx, m, 4, &fail), *B = big(ctx, m, 4, &fail);
    uint64_t *cnt = big(ctx, (size_t)n + 1, 8, &fail);
    if (fail) {
        pt__big_free(ctx, A);
        pt__big_free(ctx, B);
        pt__big_free(ctx, cnt);
        return PT_ENOMEM;
    }
    for (uint64_t k = 0; k < m; k++) {
        B[k] = (uint32_t)k;
    }
    /* LSD: by o, then p, then s; each pass stable, so the result is (s, p, o, index) order. */
    csort(B, A, m, b->e_o, n, cnt);
    csort(A, B, m, b->e_p, n, cnt);
    csort(B, A, m, b->e_s, n, cnt);
    pt__progress(ctx, "build", 1, 3);

    /* Fold duplicates: within a run of equal (s, p, o) keep the latest time, ties the later. */
    uint64_t w = 0;
    for (uint64_t k = 0; k < m; k++) {
        uint32_t x = A[k];
        if (w > 0) {
            uint32_t y = A[w - 1];
            if (b->e_s[x] == b->e_s[y] && b->e_p[x] == b->e_p[y] && b->e_o[x] == b->e_o[y]) {
                if (b->e_t[x] >= b->e_t[y]) {
                    A[w - 1] = x;
                }
                continue;
            }
        }
        A[w++] = x;
    }
    uint64_t me = w;
    uint64_t *out_off = big(ctx, (size_t)n + 1, 8, &fail);
    uint32_t *out_dst = big(ctx, me, 4, &fail), *out_pred = big(ctx, me, 4, &fail);
    float *weight = big(ctx, me, 4, &fail);
    int64_t *time = big(ctx, me, 8, &fail);
    uint64_t *in_off = big(ctx, (size_t)n + 1, 8, &fail);
    uint32_t *in_src = big(ctx, me, 4, &fail), *in_pred = big(ctx, me, 4, &fail);
    g->out_off = out_off, g->out_dst = out_dst, g->out_pred = out_pred;
    g->weight = weight, g->time = time;
    g->in_off = in_off, g->in_src = in_src, g->in_pred = in_pred;
    g->owned |= PT__OWN_OUT | PT__OWN_IN;
    if (fail) {
        pt__big_free(ctx, A);
        pt__big_free(ctx, B);
        pt__big_free(ctx, cnt);
        return PT_ENOMEM;
    }
    memset(out_off, 0, ((size_t)n + 1) * 8);
    for (uint64_t k = 0; k < me; k++) {
        uint32_t x = A[k];
        out_off[b->e_s[x] + 1]++;
        out_dst[k] = b->e_o[x];
        out_pred[k] = b->e_p[x];
        weight[k] = b->e_w[x];
        time[k] = b->e_t[x];
    }
    for (uint32_t v = 0; v < n; v++) {
        out_off[v + 1] += out_off[v];
    }
    /* In-CSR: edge ids in (s, p, o) order, stably by p then by o: (o, p, s) order. Reuse the
     * raw s array for the source of each edge id. */
    uint32_t *src_of = b->e_s; /* overwritten: raw subjects are no longer needed */
    for (uint32_t v = 0; v < n; v++) {
        for (uint64_t k = out_off[v]; k < out_off[v + 1]; k++) {
            src_of[k] = v;
        }
    }
    for (uint64_t k = 0; k < me; k++) {
        A[k] = (uint32_t)k;
    }
    csort(A, B, me, out_pred, n, cnt);
    csort(B, A, me, out_dst, n, cnt);
    memset(in_off, 0, ((size_t)n + 1) * 8);
    for (uint64_t k = 0; k < me; k++) {
        uint32_t e = A[k];
        in_off[out_dst[e] + 1]++;
        in_src[k] = src_of[e];
        in_pred[k] = out_pred[e];
    }
    for (uint32_t v = 0; v < n; v++) {
        in_off[v + 1] += in_off[v];
    }
    g->n_csr_edges = me;
    pt__big_free(ctx, A);
    pt__big_free(ctx, B);
    pt__big_free(ctx, cnt);
    pt__progress(ctx, "build", 2, 3);
    return PT_OK;
}

/* Sort and dedupe the raw literals into the literal CSR of `g`. */
static int build_literals(pt_builder *b, pt_graph *g) {
    pt_ctx *ctx = b->ctx;
    uint64_t m = b->n_l;
    uint32_t n = b->n_nodes;
    int fail = 0;
    uint32_t *A = big(ctx, m, 4, &fail), *B = big(ctx, m, 4, &fail);
    uint64_t *cnt = big(ctx, (size_t)n + 1, 8, &fail);
    uint64_t *off = big(ctx, (size_t)n + 1, 8, &fail);
    g->lit_off = off;
    g->owned |= PT__OWN_LIT;
    if (fail) {
        pt__big_free(ctx, A);
        pt__big_free(ctx, B);
        pt__big_free(ctx, cnt);
        return PT_ENOMEM;
    }
    for (uint64_t k = 0; k < m; k++) {
        B[k] = (uint32_t)k;
    }
    csort(B, A, m, b->l_p, n, cnt);
    csort(A, B, m, b->l_s, n, cnt);
    /* Within each (s, p) run: sort by (hash, dt, lang, index) and drop repeats. */
    uint64_t w = 0;
    for (uint64_t k = 0; k < m;) {
        uint64_t e = k + 1;
        while (e < m && b->l_s[B[e]] == b->l_s[B[k]] && b->l_p[B[e]] == b->l_p[B[k]]) {
            e++;
        }
        if (e - k > 1) {
            qsort_r(B + k, e - k, sizeof *B, lit_cmp, b);
        }
        for (uint64_t i = k; i < e; i++) {
            if (i > k && lit_same(b, B[i], B[w - 1])) {
                continue;
            }
            B[w++] = B[i];
        }
        k = e;
    }
    uint32_t *pred = big(ctx, w, 4, &fail), *dt = big(ctx, w, 4, &fail);
    uint64_t *str = big(ctx, w, 8, &fail);
    uint16_t *lang = big(ctx, w, 2, &fail);
    g->lit_pred = pred, g->lit_dt = dt, g->lit_str = str, g->lit_lang = lang;
    if (!fail) {
        memset(off, 0, ((size_t)n + 1) * 8);
        for (uint64_t k = 0; k < w; k++) {
            uint32_t x = B[k];
            off[b->l_s[x] + 1]++;
            pred[k] = b->l_p[x];
            dt[k] = b->l_dt[x];
            str[k] = b->l_str[x];
            lang[k] = b->l_lang[x];
        }
        for (uint32_t v = 0; v < n; v++) {
            off[v + 1] += off[v];
        }
        g->n_csr_lits = w;
    }
    pt__big_free(ctx, A);
    pt__big_free(ctx, B);
    pt__big_free(ctx, cnt);
    return fail ? PT_ENOMEM : PT_OK;
}

/* Move the metadata (langs, prefixes, base) from the builder into the graph's arena. */
static int move_meta(pt_builder *b, pt_graph *g) {
    g->langs = pt__arena_alloc(&g->arena, b->n_langs * sizeof(char *), sizeof(char *));
    g->prefix_name = pt__arena_alloc(&g->arena, (b->n_pfx + 1) * sizeof(char *), sizeof(char *));
    g->prefix_iri = pt__arena_alloc(&g->arena, (b->n_pfx + 1) * sizeof(char *), sizeof(char *));
    if (g->langs == NULL || g->prefix_name == NULL || g->prefix_iri == NULL) {
        return PT_ENOMEM;
    }
    for (size_t i = 0; i < b->n_langs; i++) {
        g->langs[i] = pt__arena_strndup(&g->arena, b->langs[i], strlen(b->langs[i]));
    }
    g->n_langs = (uint16_t)b->n_langs;
    g->langs_cap = b->n_langs;
    for (size_t i = 0; i < b->n_pfx; i++) {
        g->prefix_name[i] = pt__arena_strndup(&g->arena, b->pfx_name[i], strlen(b->pfx_name[i]));
        g->prefix_iri[i] = pt__arena_strndup(&g->arena, b->pfx_iri[i], strlen(b->pfx_iri[i]));
    }
    g->n_prefixes = b->n_pfx;
    const char *base = b->base != NULL ? b->base : "";
    g->base = pt__arena_strndup(&g->arena, base, strlen(base));
    return g->arena.oom ? PT_ENOMEM : PT_OK;
}

int pt_builder_finish(pt_builder *b, pt_graph **out) {
    pt_ctx *ctx = b->ctx;
    pt_graph *g = NULL;
    uint8_t *role = NULL, *cls = NULL;
    int rc = PT_OK;
    *out = NULL;
    if (b->oom) {
        rc = b->oom == 2   ? pt__error(ctx, PT_ELIMIT, "more than 2^32-2 nodes")
             : b->oom == 3 ? pt__error(ctx, PT_EINVAL, "builder: a node id out of range")
                           : pt__error(ctx, PT_ENOMEM, "out of memory while building the graph");
        goto done;
    }
    uint32_t n = b->n_nodes;
    role = pt__big_alloc(ctx, (size_t)n + 1);
    cls = pt__big_alloc(ctx, (size_t)n + 1);
    if (role == NULL || cls == NULL) {
        rc = PT_ENOMEM;
        goto done;
    }
    memset(role, 0, (size_t)n + 1);
    memset(cls, 0, (size_t)n + 1);
    pt__edge_view ev = {b->n_e, b->e_s, b->e_p, b->e_o};
    PT_TRY(pt__vocab_roles(ctx, n, builder_lookup, b, &ev, role));
    PT_TRY(derive_event_edges(b, role));
    ev = (pt__edge_view){b->n_e, b->e_s, b->e_p, b->e_o};
    PT_TRY(pt__vocab_classes(ctx, n, builder_lookup, b, &ev, role, cls));

    PT_TRY(pt__graph_shell(ctx, &g));
    g->n_nodes = g->n_pool_nodes = g->n_csr_nodes = n;
    g->node_cap = n;
    g->node_class = cls;
    g->node_role = role;
    cls = role = NULL;
    g->owned |= PT__OWN_CLASS;
    PT_TRY(build_literals(b, g));
    PT_TRY(build_edges(b, g));
    PT_TRY(move_meta(b, g));
    /* Hand over the pool, node offsets and hash. */
    g->pool = b->pool;
    g->pool_len = b->pool_len;
    g->node_off = b->node_off;
    g->hash = b->hash;
    g->hash_mask = b->hash_mask;
    g->hash_used = b->hash_used;
    g->owned |= PT__OWN_POOL | PT__OWN_NODES | PT__OWN_HASH;
    b->pool = NULL;
    b->node_off = NULL;
    b->hash = NULL;
    g->id_type = pt_graph_lookup(g, PT_RDF_TYPE, strlen(PT_RDF_TYPE), PT_TERM_IRI);
    g->vecs = b->vecs;
    b->vecs = NULL;
    pt__progress(ctx, "build", 3, 3);
    *out = g;
    g = NULL;
done:
    if (rc == PT_ENOMEM && pt_ctx_errcode(ctx) != PT_ENOMEM) {
        pt__error(ctx, PT_ENOMEM, "out of memory while building the graph");
    }
    pt__big_free(ctx, role);
    pt__big_free(ctx, cls);
    pt_graph_free(g);
    pt_builder_free(b);
    return rc;
}
