/*
 * closure.c - the hierarchy closure: for every node, its ancestors through the category
 * hierarchy (predicates with the broader role: pt:broader, skos:broader, their subproperties)
 * and the class hierarchy (rdfs:subClassOf; owl:equivalentClass counts both ways).
 * rdfs:subPropertyOf is closed where it matters, in the predicate roles (vocab.c).
 *
 * Materialised lazily, on the first question after a graph is built, opened or given a new
 * hierarchy edge (append.c drops it then), so opening a store stays O(1). Building is one
 * breadth-first walk upwards per node that has a parent: O(sum of closure sizes). Cycles cannot
 * make it loop (each walk marks what it saw); a node that reaches itself is counted and
 * reported once through the log.
 */
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

struct pt__closure {
    uint32_t n;       /* nodes with at least one ancestor */
    uint32_t *nodes;  /* [n] ascending */
    uint64_t *off;    /* [n + 1] into anc */
    uint32_t *anc;    /* ancestors, nearest first */
    size_t n_cycles;  /* nodes that are their own ancestor */
};

void pt__closure_free(pt_ctx *ctx, struct pt__closure *c) {
    if (c != NULL) {
        pt__free(ctx, c->nodes);
        pt__free(ctx, c->off);
        pt__free(ctx, c->anc);
        pt__free(ctx, c);
    }
}

/* The predicates of the hierarchy: every node with the broader role, and rdfs:subClassOf and
 * owl:equivalentClass when present. Returns the count written to `out` (cap 64). */
static size_t hierarchy_preds(const pt_graph *g, pt_node_id *out, pt_node_id *equiv) {
    size_t n = 0;
    for (uint32_t v = 0; v < g->n_nodes && n < 62; v++) {
        if (g->node_role[v] == PT_ROLE_BROADER) {
            out[n++] = v;
        }
    }
    pt_node_id sub = pt_graph_lookup(g, PT_RDFS_SUBCLASSOF, strlen(PT_RDFS_SUBCLASSOF),
                                     PT_TERM_IRI);
    if (sub != PT_NONE) {
        out[n++] = sub;
    }
    *equiv = pt_graph_lookup(g, PT_OWL_EQUIVALENTCLASS, strlen(PT_OWL_EQUIVALENTCLASS),
                             PT_TERM_IRI);
    if (*equiv != PT_NONE) {
        out[n++] = *equiv;
    }
    return n;
}

int pt__closure_affected(const pt_graph *g, pt_node_id p) {
    if (p >= g->n_nodes) {
        return 0;
    }
    if (g->node_role[p] == PT_ROLE_BROADER) {
        return 1;
    }
    const char *s = pt_graph_node_str(g, p);
    return strcmp(s, PT_RDFS_SUBCLASSOF) == 0 || strcmp(s, PT_OWL_EQUIVALENTCLASS) == 0;
}

/* A growable array of uint32. */
typedef struct u32vec {
    uint32_t *v;
    size_t n, cap;
} u32vec;

/* Append x; PT_ENOMEM on failure. */
static int push(pt_ctx *ctx, u32vec *a, uint32_t x) {
    if (a->n == a->cap && pt__grow(ctx, (void **)&a->v, &a->cap, a->n + 1, 4) != PT_OK) {
        return PT_ENOMEM;
    }
    a->v[a->n++] = x;
    return PT_OK;
}

/* Append the parents of v (through the hierarchy predicates; equivalence both ways) to q. */
static int parents(const pt_graph *g, pt_node_id v, const pt_node_id *preds, size_t n_preds,
                   pt_node_id equiv, u32vec *q) {
    pt_edge_iter it;
    pt_edge e;
    for (size_t i = 0; i < n_preds; i++) {
        pt_graph_edges(g, v, 0, preds[i], &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (push(g->ctx, q, e.dst) != PT_OK) {
                return PT_ENOMEM;
            }
        }
    }
    if (equiv != PT_NONE) {
        pt_graph_edges(g, v, 1, equiv, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (push(g->ctx, q, e.src) != PT_OK) {
                return PT_ENOMEM;
            }
        }
    }
    return PT_OK;
}

/* Build the closure of g. */
static int build(const pt_graph *g, struct pt__closure **out) {
    pt_ctx *ctx = g->ctx;
    pt_node_id preds[64], equiv;
    size_t n_preds = hierarchy_preds(g, preds, &equiv);
    struct pt__closure *c = pt__calloc(ctx, 1, sizeof *c);
    uint32_t *stamp = pt__calloc(ctx, (size_t)g->n_nodes + 1, 4);
    u32vec nodes = {0}, anc = {0}, q = {0};
    uint64_t *off = NULL;
    size_t off_cap = 0;
    int rc = c == NULL || stamp == NULL ? PT_ENOMEM : PT_OK;
    for (uint32_t v = 0; rc == PT_OK && n_preds > 0 && v < g->n_nodes; v++) {
        q.n = 0;
        if ((rc = parents(g, v, preds, n_preds, equiv, &q)) != PT_OK || q.n == 0) {
            continue;
        }
        /* Breadth first upwards; stamp v + 1 marks what this walk has seen. */
        size_t start = anc.n, head = 0;
        int cycle = 0;
        stamp[v] = v + 1;
        while (head < q.n && rc == PT_OK) {
            uint32_t w = q.v[head++];
            if (w == v) {
                cycle = 1;
                continue;
            }
            if (stamp[w] == v + 1) {
                continue;
            }
            stamp[w] = v + 1;
            if ((rc = push(ctx, &anc, w)) == PT_OK) {
                rc = parents(g, w, preds, n_preds, equiv, &q);
            }
        }
        if (rc != PT_OK || anc.n == start) {
            continue;
        }
        /* An owl:equivalentClass pair reaches itself by definition: not a cycle to report. */
        if (cycle && equiv != PT_NONE) {
            pt_edge_iter it;
            pt_edge e;
            pt_graph_edges(g, v, 0, equiv, &it);
            int has_eq = pt_graph_edge_next(&it, &e);
            pt_graph_edges(g, v, 1, equiv, &it);
            has_eq |= pt_graph_edge_next(&it, &e);
            cycle = !has_eq;
        }
        if (cycle && c->n_cycles++ == 0) {
            pt__log(ctx, PT_LOG_WARN, "hierarchy cycle through %s (cycles are kept, not walked "
                                      "twice)", pt_graph_node_str(g, v));
        }
        if ((rc = push(ctx, &nodes, v)) != PT_OK ||
            pt__grow(ctx, (void **)&off, &off_cap, nodes.n + 1, 8) != PT_OK) {
            rc = PT_ENOMEM;
            break;
        }
        off[nodes.n - 1] = start;
        off[nodes.n] = anc.n;
    }
    pt__free(ctx, stamp);
    pt__free(ctx, q.v);
    if (rc != PT_OK) {
        pt__free(ctx, nodes.v);
        pt__free(ctx, anc.v);
        pt__free(ctx, off);
        pt__free(ctx, c);
        return rc;
    }
    c->n = (uint32_t)nodes.n;
    c->nodes = nodes.v;
    c->anc = anc.v;
    c->off = off;
    *out = c;
    return PT_OK;
}

/* The closure of g, built on first use under the closure mutex; NULL when out of memory. */
static const struct pt__closure *closure_of(const pt_graph *g) {
    pt_graph *mg = (pt_graph *)g; /* the closure is a cache: logically const */
    pthread_mutex_lock(mg->closure_lock);
    if (mg->closure == NULL) {
        struct pt__closure *c = NULL;
        if (build(g, &c) == PT_OK) {
            mg->closure = c;
        }
    }
    const struct pt__closure *c = mg->closure;
    pthread_mutex_unlock(mg->closure_lock);
    return c;
}

/* Index of v among the closure's nodes, or -1. */
static long find(const struct pt__closure *c, pt_node_id v) {
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (c->nodes[m] < v) {
            lo = m + 1;
        } else {
            hi = m;
        }
    }
    return lo < c->n && c->nodes[lo] == v ? (long)lo : -1;
}

size_t pt_graph_ancestors(const pt_graph *g, pt_node_id v, pt_node_id *out, size_t cap) {
    const struct pt__closure *c = closure_of(g);
    long i = c != NULL ? find(c, v) : -1;
    if (i < 0) {
        return 0;
    }
    size_t n = (size_t)(c->off[i + 1] - c->off[i]);
    if (out != NULL) {
        memcpy(out, c->anc + c->off[i], (n < cap ? n : cap) * sizeof *out);
    }
    return n;
}

int pt_graph_is_a(const pt_graph *g, pt_node_id v, pt_node_id ancestor) {
    if (v == ancestor) {
        return 1;
    }
    const struct pt__closure *c = closure_of(g);
    long i = c != NULL ? find(c, v) : -1;
    for (uint64_t k = i >= 0 ? c->off[i] : 0; i >= 0 && k < c->off[i + 1]; k++) {
        if (c->anc[k] == ancestor) {
            return 1;
        }
    }
    return 0;
}

size_t pt_graph_hierarchy_cycles(const pt_graph *g) {
    const struct pt__closure *c = closure_of(g);
    return c != NULL ? c->n_cycles : 0;
}
