/*
 * graph.h - the layout of pt_graph and pt_builder, for the engine modules that read the arrays
 * directly (walks, the store's segment writer, the vocabulary resolver). Not installed.
 *
 * Strings. Every node string lives in one pool as a kind byte ('I' IRI, 'B' blank) followed by
 * the NUL-terminated text; node_off[v] points at the kind byte. Literal lexical forms live in the
 * same pool with no kind byte. Nodes interned after load (v >= n_pool_nodes) keep their string
 * (kind byte first) in the graph's arena, reached through extra_str[v - n_pool_nodes].
 *
 * Edges. CSR out-adjacency: out_off[n_csr_nodes + 1], and per edge out_dst, out_pred, weight,
 * time (edge id = position in the out arrays). CSR in-adjacency: in_off, in_src, in_pred; the
 * weight of an in-edge is found through pt__graph_edge_id() (binary search in the source row).
 * Rows are sorted by (pred, neighbour). Edges appended after load sit in the delta arrays d_*,
 * chained per node (d_out_head/d_in_head hold index + 1 of the newest entry, 0 = none).
 *
 * Literals. CSR by subject: lit_off[n_csr_nodes + 1], lit_pred, lit_str (pool offset), lit_dt
 * (datatype node or PT_NONE), lit_lang (index into langs[], 0 = no language). Appended literals
 * are chained like delta edges.
 *
 * Vectors. Float32 vectors keyed by (node, pred) live in a separate struct pt__vecs (vector.c),
 * NULL until the first one is set or mapped; see the comment at the top of vector.c.
 *
 * Ownership. Arrays either point into a mapped segment (map_base != NULL; the mapping is
 * MAP_PRIVATE and writable, so in-place updates of weight/time/hash never reach the file) or
 * were allocated by the builder/compaction; `owned` bits say which to free.
 */
#ifndef PT_GRAPH_INT_H
#define PT_GRAPH_INT_H

#include <pthread.h>

#include "core/core.h"

/* Hash slot: high 32 bits = fingerprint (high half of the 64-bit hash), low 32 = id + 1. */
typedef uint64_t pt__slot;

/* Bits of pt_graph.owned: which arrays must be freed with pt__big_free. */
enum {
    PT__OWN_POOL = 1u << 0,
    PT__OWN_NODES = 1u << 1, /* node_off */
    PT__OWN_CLASS = 1u << 2, /* node_class, node_role */
    PT__OWN_HASH = 1u << 3,
    PT__OWN_OUT = 1u << 4, /* out_off, out_dst, out_pred, weight, time */
    PT__OWN_IN = 1u << 5,  /* in_off, in_src, in_pred */
    PT__OWN_LIT = 1u << 6, /* lit_* */
};

struct pt_graph {
    pt_ctx *ctx;
    unsigned owned;
    void *map_base; /* mapped segment, or NULL */
    size_t map_len;
    pt__arena arena; /* appended strings, langs, prefixes, base */
    pthread_rwlock_t *lock; /* separate, so compaction can swap the rest of the struct */
    pthread_mutex_t *closure_lock; /* guards the lazily built hierarchy closure */
    struct pt__closure *closure;   /* NULL until first asked for, or after a hierarchy edge */

    /* nodes */
    uint32_t n_nodes;      /* all nodes, appended ones included */
    uint32_t n_pool_nodes; /* nodes whose string is in pool */
    uint32_t node_cap;     /* capacity of node_class/node_role/d_*_head */
    const char *pool;
    uint64_t pool_len;
    const uint64_t *node_off; /* [n_pool_nodes] */
    char **extra_str;         /* [n_nodes - n_pool_nodes], kind byte first */
    size_t extra_cap;
    uint8_t *node_class; /* [node_cap] pt_class */
    uint8_t *node_role;  /* [node_cap] pt_role */

    /* IRI -> id: open addressing, linear probing, power-of-two size */
    pt__slot *hash;
    uint64_t hash_mask;
    uint64_t hash_used;

    /* edges in CSR */
    uint32_t n_csr_nodes;
    uint64_t n_csr_edges;
    const uint64_t *out_off;
    const uint32_t *out_dst;
    const uint32_t *out_pred;
    float *weight;
    int64_t *time;
    const uint64_t *in_off;
    const uint32_t *in_src;
    const uint32_t *in_pred;

    /* literals in CSR */
    uint64_t n_csr_lits;
    const uint64_t *lit_off;
    const uint32_t *lit_pred;
    const uint64_t *lit_str;
    const uint32_t *lit_dt;
    const uint16_t *lit_lang;
    char **langs; /* langs[0] = "" */
    uint16_t n_langs;
    size_t langs_cap;

    /* delta edges (appended after load) */
    uint64_t n_delta;
    size_t delta_cap;
    uint32_t *d_src, *d_pred, *d_dst;
    float *d_weight;
    int64_t *d_time;
    uint32_t *d_next_out, *d_next_in; /* index + 1 of the older entry in the same chain */
    uint32_t *d_out_head, *d_in_head; /* [node_cap] */

    /* change journal: (src, pred, dst) of every pt_graph_add_edge call that added or updated an
     * edge, for consumers that follow appends incrementally (pt_recommender_sync). Entry k has
     * sequence number j_base + k; when it grows past max(65536, CSR edges / 8) its older half is
     * dropped, and a consumer that fell behind j_base rebuilds from the graph. */
    uint64_t j_base, j_n;
    size_t j_cap;
    uint32_t *j_src, *j_pred, *j_dst;

    /* delta literals */
    uint64_t n_dlit;
    size_t dlit_cap;
    uint32_t *dl_node, *dl_pred, *dl_dt, *dl_next;
    uint16_t *dl_lang;
    const char **dl_str;
    uint32_t *dl_head; /* [node_cap] */

    /* metadata */
    char *base;
    size_t n_prefixes;
    char **prefix_name, **prefix_iri;

    /* well-known ids, PT_NONE when absent */
    pt_node_id id_type;

    /* vectors (vector.c), NULL when the graph has none */
    struct pt__vecs *vecs;
};

/* String of node v with its kind byte first (never NULL for v < n_nodes). */
static inline const char *pt__node_raw(const pt_graph *g, pt_node_id v) {
    return v < g->n_pool_nodes ? g->pool + g->node_off[v] : g->extra_str[v - g->n_pool_nodes];
}

/* Edge id of CSR edge (s, p, o), or UINT64_MAX. Binary search in row s. */
uint64_t pt__graph_edge_id(const pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o);

/* First CSR position in row v (out: dir 0, in: dir 1) whose predicate is `p`, and the end of
 * that predicate's run: the slice [*lo, *hi). Without `p` (PT_NONE) the whole row. */
void pt__graph_slice(const pt_graph *g, pt_node_id v, int dir, pt_node_id p, uint64_t *lo,
                     uint64_t *hi);

/* Verify the invariants: offsets monotone, off[n] == m, ids in range, rows sorted and unique,
 * in-CSR the transpose of out-CSR, hash finds every node. PT_OK or PT_EINTERNAL with a message. */
int pt__graph_check(const pt_graph *g);

/* The ctx a builder was made with (importers allocate and report through it). */
pt_ctx *pt__builder_ctx(const pt_builder *b);

/* The builder's base IRI, or NULL when none was set. */
const char *pt__builder_base(const pt_builder *b);

/* True when an edge with predicate `p` changes the hierarchy closure. */
int pt__closure_affected(const pt_graph *g, pt_node_id p);

/* Free the hierarchy closure (ontology/closure.c); NULL is a no-op. */
void pt__closure_free(pt_ctx *ctx, struct pt__closure *c);

/* Free every array and string of `g` but not the struct and its lock (free and compaction). */
void pt__graph_release(pt_graph *g);

/* Allocate an empty graph shell with ctx, lock and arena ready (all counts 0). */
int pt__graph_shell(pt_ctx *ctx, pt_graph **out);

/* Build the hash of a graph whose node strings are in place (used by the store when a segment
 * lacks one, and by the builder). */
int pt__graph_build_hash(pt_graph *g);

/* Rebuild the hash (owned) with at least `min_slots` slots over the graph's n_nodes nodes. */
int pt__graph_rehash(pt_graph *g, uint64_t min_slots);

/* Hash a node string together with its kind. */
uint64_t pt__term_hash(const char *str, size_t len, pt_term_kind kind);

/* --- vectors (vector.c) ------------------------------------------------------------------ */

/* One vector record: in memory and, byte for byte, one entry of the segment's vec_table
 * section (24 bytes, little-endian). `off` counts floats from the start of the data. */
typedef struct pt__vrec {
    uint32_t node, pred, dim, zero;
    uint64_t off;
} pt__vrec;

/* Make `*out` a vector set reading records and floats in place from a mapped segment
 * (read-only; copied on the first modification). `rec` must be sorted by (pred, node);
 * each record is bounds-checked against `n_data` and `n_nodes` when read. PT_OK or PT_ENOMEM. */
int pt__vecs_attach(pt_ctx *ctx, const pt__vrec *rec, uint64_t n_rec, const float *data,
                    uint64_t n_data, uint32_t n_nodes, struct pt__vecs **out);

/* Give `*out` the vectors of `src` (NULL when it has none): a shared reference when `src` is
 * in memory and of `ctx` (O(1); copied on the first change through either holder), else a new,
 * compact, owned copy. For the builder seeded with a graph (compaction keeps vectors this way).
 * Takes no graph lock: the caller holds one or owns the graph. PT_OK or PT_ENOMEM. */
int pt__vecs_copy(pt_ctx *ctx, const struct pt__vecs *src, struct pt__vecs **out);

/* Set (or replace) the vector of (node, pred) in `*vsp`, making the set when NULL; the caller
 * checked ids, dimension and values and holds the write lock (or owns the set, as a builder
 * does). PT_OK, PT_ENOMEM (nothing changed) or PT_ELIMIT (with a message). */
int pt__vecs_set(pt_ctx *ctx, struct pt__vecs **vsp, uint32_t node, uint32_t pred,
                 const float *v, uint32_t dim);

/* Encode `n` floats as the lexical form of a pt:f32vector literal (base64 with padding of the
 * little-endian bytes) into `out`, which has room for pt__f32vector_len(n) bytes plus a NUL.
 * Returns the length written (without the NUL). */
size_t pt__f32vector_encode(const float *v, uint32_t n, char *out);
#define pt__f32vector_len(n) (((size_t)(n) * 4 + 2) / 3 * 4)

/* Decode the lexical form of a pt:f32vector literal (base64 with padding of little-endian
 * float32s) into `*out` (grown with pt__realloc, capacity `*cap` floats). Returns the
 * dimension, or 0 when the text is not such a vector (bad base64, a length that is not a
 * multiple of 4 bytes, no floats, more than PT_VEC_MAX_DIM, a non-finite value). */
uint32_t pt__f32vector_decode(pt_ctx *ctx, const char *lex, size_t len, float **out,
                              size_t *cap);

/* Drop a reference to a vector set, freeing it with the last one; NULL is a no-op. */
void pt__vecs_free(struct pt__vecs *vs);

/* Number of vectors in `vs` (NULL: 0). */
uint64_t pt__vecs_count(const struct pt__vecs *vs);

/* The i-th record in (pred, node) order and its floats, or NULL when the sorted view cannot be
 * built (out of memory) or the record points outside the data (corrupt unverified segment).
 * No graph lock taken: the caller holds one. */
const pt__vrec *pt__vecs_sorted(const struct pt__vecs *vs, uint64_t i, const float **data);

/* Bytes the vector set holds or maps. */
size_t pt__vecs_memory(const struct pt__vecs *vs);

#endif /* PT_GRAPH_INT_H */
