/*
 * pt_graph.h - Portrait's in-memory property graph.
 *
 * Every IRI and blank node is a node with a dense id 0..n-1; predicates are nodes too, so a
 * predicate id is the node id of its IRI. A triple whose object is a node is an edge carrying a
 * weight and a timestamp; a triple whose object is a literal is a literal property of its
 * subject. Edges are kept as CSR adjacency in both directions, rows sorted by (predicate,
 * neighbour), so "all purchases of user u" is one contiguous slice.
 *
 * Graphs are made by a pt_builder (bulk, from importers), or opened from a store (pt_store.h).
 * A finished graph may be read from many threads at once. Edges and nodes can be appended
 * later (real-time events) with pt_graph_add_edge(); those appends take the graph's write lock,
 * and readers that must not race with them bracket their reads with pt_graph_rdlock() /
 * pt_graph_unlock(). Appends sit in a delta that every read function sees; the delta is merged
 * into the CSR arrays when it grows past an eighth of the graph.
 *
 * Node classes and predicate roles come from Portrait's vocabulary (pt_vocab.h) and the
 * rdfs:subClassOf / rdfs:subPropertyOf statements found in the data, whatever file they came
 * from: `shop:bought rdfs:subPropertyOf pt:purchased` makes every shop:bought edge a purchase.
 */
#ifndef PT_GRAPH_H
#define PT_GRAPH_H

#include "pt_ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_graph pt_graph;
typedef struct pt_builder pt_builder;

/** Dense node id. */
typedef uint32_t pt_node_id;

/** "No node": an absent datatype, a wildcard predicate in iterators. */
#define PT_NONE ((pt_node_id)0xFFFFFFFFu)

/** Timestamp value for "unknown time" (seconds since the Unix epoch otherwise). */
#define PT_TIME_UNKNOWN INT64_MIN

/** What a node's term is. */
typedef enum pt_term_kind { PT_TERM_IRI = 0, PT_TERM_BLANK = 1 } pt_term_kind;

/**
 * The class of a node, resolved through rdf:type and the subclass closure. A node typed with
 * several Portrait classes gets the first in this order: User, Item, Event, Category, Brand, Tag.
 */
typedef enum pt_class {
    PT_CLASS_OTHER = 0,
    PT_CLASS_USER,
    PT_CLASS_ITEM,
    PT_CLASS_TAG,
    PT_CLASS_CATEGORY,
    PT_CLASS_BRAND,
    PT_CLASS_EVENT,
    PT_CLASS_COUNT_
} pt_class;

/** The role a predicate plays, resolved through the subproperty closure. */
typedef enum pt_role {
    PT_ROLE_NONE = 0,
    PT_ROLE_VIEWED,
    PT_ROLE_CLICKED,
    PT_ROLE_CARTED,
    PT_ROLE_PURCHASED,
    PT_ROLE_RATED,
    PT_ROLE_REVIEWED,
    PT_ROLE_HAS_TAG,
    PT_ROLE_IN_CATEGORY,
    PT_ROLE_BRAND,
    PT_ROLE_BROADER,  /**< category -> parent (skos:broader, rdfs:subClassOf between categories) */
    PT_ROLE_TYPE,     /**< rdf:type */
    PT_ROLE_COUNT_
} pt_role;

/** True when `role` is a behaviour (user -> item) role. */
#define PT_ROLE_IS_BEHAVIOUR(r) ((r) >= PT_ROLE_VIEWED && (r) <= PT_ROLE_REVIEWED)

/** One edge as returned by the iterators. */
typedef struct pt_edge {
    pt_node_id src;
    pt_node_id pred;
    pt_node_id dst;
    float weight;  /**< 1 for a plain triple; the rating or value for an event */
    int64_t time;  /**< seconds since the epoch, or PT_TIME_UNKNOWN */
} pt_edge;

/** One literal property as returned by pt_graph_literal(). All strings owned by the graph. */
typedef struct pt_literal {
    pt_node_id pred;
    const char *lex;      /**< lexical form, NUL-terminated UTF-8 */
    pt_node_id datatype;  /**< node id of the datatype IRI, or PT_NONE */
    const char *lang;     /**< language tag, or "" */
} pt_literal;

/** Edge iterator state; stack-allocate it and treat the fields as private. */
typedef struct pt_edge_iter {
    const pt_graph *g;
    pt_node_id node, pred;
    int dir;              /* 0 out, 1 in */
    uint64_t pos, end;    /* position in the CSR slice */
    uint64_t delta;       /* next delta entry + 1, or 0 */
} pt_edge_iter;

/* --- building ---------------------------------------------------------------------------- */

/**
 * Create a builder. With `base` non-NULL, the builder starts as a copy of that graph (same
 * node ids), so an import adds to what a store holds; `base` itself is not changed.
 * @return PT_OK or PT_ENOMEM.
 */
PT_API int pt_builder_new(pt_ctx *ctx, const pt_graph *base, pt_builder **out);

/** Free a builder that was not finished (or NULL). */
PT_API void pt_builder_free(pt_builder *b);

/**
 * Intern a term and return its node id (the same id for the same string and kind).
 * `str` need not be NUL-terminated; IRIs are given without angle brackets, blank nodes without
 * "_:". Errors are sticky: after an allocation failure the call returns PT_NONE and
 * pt_builder_finish() reports PT_ENOMEM.
 */
PT_API pt_node_id pt_builder_intern(pt_builder *b, const char *str, size_t len, pt_term_kind kind);

/**
 * Add an edge (a triple whose object is a node). Adding the same (s, p, o) twice keeps one edge:
 * the one with the later time (on a tie, the later call), which is how repeated events of one
 * kind on one item fold into a single weighted, timestamped edge.
 */
PT_API void pt_builder_add_edge(pt_builder *b, pt_node_id s, pt_node_id p, pt_node_id o,
                                float weight, int64_t time);

/**
 * Add a literal property. `lang` may be NULL or ""; `datatype` may be PT_NONE. Literal triples
 * are kept as a set: an identical (s, p, literal) added twice is stored once.
 */
PT_API void pt_builder_add_literal(pt_builder *b, pt_node_id s, pt_node_id p, const char *lex,
                                   size_t lex_len, pt_node_id datatype, const char *lang,
                                   size_t lang_len);

/** Record a namespace prefix ("schema" -> "https://schema.org/"); later ones win. */
PT_API void pt_builder_add_prefix(pt_builder *b, const char *name, const char *iri);

/** Set the base IRI used to mint and shorten local ids (e.g. "https://shop.example/"). */
PT_API void pt_builder_set_base(pt_builder *b, const char *iri);

/** Number of triples (edges and literals) added so far, duplicates included. */
PT_API uint64_t pt_builder_triple_count(const pt_builder *b);

/**
 * Build the graph: dedupe, sort, CSR in both directions, classes, roles and event edges.
 * Frees the builder whatever the outcome.
 * @param[out] out  the finished graph, or NULL on failure
 * @return PT_OK, PT_ENOMEM, or PT_ELIMIT (more than 2^32-2 nodes).
 */
PT_API int pt_builder_finish(pt_builder *b, pt_graph **out);

/** Free a graph (NULL is a no-op). */
PT_API void pt_graph_free(pt_graph *g);

/* --- terms ---------------------------------------------------------------------------------- */

/** Number of nodes. Threads: safe. */
PT_API uint32_t pt_graph_node_count(const pt_graph *g);
/** Number of edges. */
PT_API uint64_t pt_graph_edge_count(const pt_graph *g);
/** Number of literal properties. */
PT_API uint64_t pt_graph_literal_count(const pt_graph *g);

/**
 * Return the string of node `id` (IRI without brackets, or blank label without "_:"), or NULL
 * if `id` is out of range. Lifetime: owned by `g`, valid until pt_graph_free(g).
 */
PT_API const char *pt_graph_node_str(const pt_graph *g, pt_node_id id);

/** Return the term kind of node `id`. */
PT_API pt_term_kind pt_graph_node_kind(const pt_graph *g, pt_node_id id);

/** Return the class of node `id` (PT_CLASS_OTHER when untyped or out of range). */
PT_API pt_class pt_graph_node_class(const pt_graph *g, pt_node_id id);

/** Return the role of predicate `pred` (PT_ROLE_NONE when it has none). */
PT_API pt_role pt_graph_pred_role(const pt_graph *g, pt_node_id pred);

/** Return the node id of IRI (or blank label) `str`, or PT_NONE when absent. */
PT_API pt_node_id pt_graph_lookup(const pt_graph *g, const char *str, size_t len,
                                  pt_term_kind kind);

/**
 * Resolve an id as a user would type it: `<IRI>`, a full IRI, a prefixed name (`schema:Product`,
 * with the graph's prefixes), `_:label`, or a local id minted at import with the base IRI
 * (`42` tries base+"42", then base+"user/42", base+"item/42", base+"cat/42", ...; `hint`
 * says which class to try first, PT_CLASS_OTHER for none).
 * @return the node id, or PT_NONE.
 */
PT_API pt_node_id pt_graph_resolve(const pt_graph *g, const char *id, pt_class hint);

/**
 * Write the shortest user-facing form of node `id` into `buf` (local id when the IRI starts
 * with base+"user/", base+"item/" ... or with the base; else the full IRI). Returns the length
 * that the full form needs, like snprintf.
 */
PT_API size_t pt_graph_display_id(const pt_graph *g, pt_node_id id, char *buf, size_t cap);

/** Base IRI ("" if none). Lifetime: owned by `g`. */
PT_API const char *pt_graph_base(const pt_graph *g);

/** Number of prefixes, and the i-th one; NULLs when out of range. Lifetime: owned by `g`. */
PT_API size_t pt_graph_prefix_count(const pt_graph *g);
PT_API int pt_graph_prefix(const pt_graph *g, size_t i, const char **name, const char **iri);

/** Name of a class or role for display ("User", "purchased"). Lifetime: static. */
PT_API const char *pt_class_name(pt_class c);
PT_API const char *pt_role_name(pt_role r);

/* --- edges and literals --------------------------------------------------------------------- */

/** Out- and in-degree of `v` (all predicates). */
PT_API uint64_t pt_graph_out_degree(const pt_graph *g, pt_node_id v);
PT_API uint64_t pt_graph_in_degree(const pt_graph *g, pt_node_id v);

/**
 * Start iterating the out-edges (`dir` 0) or in-edges (`dir` 1) of `v`, restricted to `pred`
 * (PT_NONE for every predicate). CSR edges come first, sorted by (pred, neighbour), then
 * appended ones in arrival order. The iterator is valid while no append happens.
 */
PT_API void pt_graph_edges(const pt_graph *g, pt_node_id v, int dir, pt_node_id pred,
                           pt_edge_iter *it);

/** Fetch the next edge into `*e`; returns 1, or 0 at the end. For in-edges, e->src is the
 *  neighbour and e->dst is `v`. */
PT_API int pt_graph_edge_next(pt_edge_iter *it, pt_edge *e);

/** Like pt_graph_edge_next() but only the neighbour (the far end) and the predicate: for
 *  in-edges it skips the lookup of weight and time, several times faster. Returns 1 or 0. */
PT_API int pt_graph_edge_next_nbr(pt_edge_iter *it, pt_node_id *nbr, pt_node_id *pred);

/** Find edge (s, p, o); returns 1 and fills `*e` when present, else 0. */
PT_API int pt_graph_edge_find(const pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o,
                              pt_edge *e);

/** Number of literal properties of `v`, and the i-th (sorted by predicate). */
PT_API uint64_t pt_graph_literal_count_of(const pt_graph *g, pt_node_id v);
PT_API int pt_graph_literal(const pt_graph *g, pt_node_id v, uint64_t i, pt_literal *out);

/** First literal of `v` for predicate `pred`, preferring language `lang` (NULL: any). */
PT_API const char *pt_graph_literal_get(const pt_graph *g, pt_node_id v, pt_node_id pred,
                                        const char *lang);

/** The latest edge time in the graph (the "now" of offline data), or PT_TIME_UNKNOWN. O(m). */
PT_API int64_t pt_graph_latest_time(const pt_graph *g);

/* --- hierarchy ---------------------------------------------------------------------------- */

/**
 * The ancestors of `v` in the hierarchy closure: up category edges (pt:broader, skos:broader
 * and their subproperties) and class edges (rdfs:subClassOf; owl:equivalentClass both ways),
 * transitively, nearest first, `v` itself excluded. Writes up to `cap` ids into `out` (may be
 * NULL) and returns how many there are in all (0 also when out of memory).
 * The closure is built on the first call after the graph is built, opened, or given a new
 * hierarchy edge (appends keep it current that way). Cycles are tolerated: every ancestor is
 * listed once and the cycle is logged. Threads: safe.
 */
PT_API size_t pt_graph_ancestors(const pt_graph *g, pt_node_id v, pt_node_id *out, size_t cap);

/** 1 when `ancestor` is `v` or one of its ancestors (see pt_graph_ancestors), else 0. */
PT_API int pt_graph_is_a(const pt_graph *g, pt_node_id v, pt_node_id ancestor);

/** Number of nodes that are their own ancestor (hierarchy cycles). */
PT_API size_t pt_graph_hierarchy_cycles(const pt_graph *g);

/* --- appends after load --------------------------------------------------------------------- */

/** Intern a node after load (returns an existing id when present); PT_NONE on ENOMEM. */
PT_API pt_node_id pt_graph_intern(pt_graph *g, const char *str, size_t len, pt_term_kind kind);

/**
 * Append (or update, if (s, p, o) exists with an earlier time) an edge after load. Takes the
 * write lock. Type edges (rdf:type) update the node class; a class given to a new node is seen
 * by the next read.
 * @return PT_OK or PT_ENOMEM.
 */
PT_API int pt_graph_add_edge(pt_graph *g, pt_node_id s, pt_node_id p, pt_node_id o, float weight,
                             int64_t time);

/** Append a literal property after load. @return PT_OK or PT_ENOMEM. */
PT_API int pt_graph_add_literal(pt_graph *g, pt_node_id s, pt_node_id p, const char *lex,
                                size_t lex_len, pt_node_id datatype, const char *lang);

/** Number of appended edges not yet merged into CSR. */
PT_API uint64_t pt_graph_delta_count(const pt_graph *g);

/** Merge appended edges into the CSR arrays now. Takes the write lock. */
PT_API int pt_graph_compact(pt_graph *g);

/** Shared lock for readers that run beside appends. */
PT_API void pt_graph_rdlock(const pt_graph *g);
PT_API void pt_graph_unlock(const pt_graph *g);

/* --- statistics ----------------------------------------------------------------------------- */

/** Bytes the graph holds in memory (or maps), strings included, and the strings alone. */
PT_API size_t pt_graph_memory(const pt_graph *g, size_t *string_bytes);

/** Where the bytes of pt_graph_memory() go. */
typedef struct pt_graph_mem {
    size_t adjacency;  /**< out- and in-CSR, offsets, weights, times, and the delta */
    size_t literals;   /**< literal property records (their text counts under strings) */
    size_t dictionary; /**< node string offsets, the IRI hash, classes and roles */
    size_t strings;    /**< IRIs, blank labels, literal text */
    size_t vectors;    /**< node vectors (pt_vec.h): records, floats, their index */
} pt_graph_mem;

/** Fill `out` with the breakdown of the graph's memory. */
PT_API void pt_graph_memory_detail(const pt_graph *g, pt_graph_mem *out);

#ifdef __cplusplus
}
#endif
#endif /* PT_GRAPH_H */
