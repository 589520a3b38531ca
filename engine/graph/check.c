/*
 * check.c - pt__graph_check: the invariants every graph must keep, for tests, fuzz targets and
 * `portrait verify`. O(n + m log d); never called on a hot path.
 */
#include <string.h>

#include "graph/graph.h"

/* Check one CSR direction: offsets monotone from 0 to m, ids in range, rows sorted by
 * (pred, neighbour) without repeats. */
static int check_csr(const pt_graph *g, const uint64_t *off, const uint32_t *nb,
                     const uint32_t *pred, const char *what) {
    uint32_t n = g->n_csr_nodes;
    if (n == 0) {
        return PT_OK;
    }
    if (off[0] != 0 || off[n] != g->n_csr_edges) {
        return pt__error(g->ctx, PT_EINTERNAL, "%s: offsets do not span the edges", what);
    }
    for (uint32_t v = 0; v < n; v++) {
        if (off[v] > off[v + 1]) {
            return pt__error(g->ctx, PT_EINTERNAL, "%s: offsets decrease at node %u", what, v);
        }
        for (uint64_t k = off[v]; k < off[v + 1]; k++) {
            if (nb[k] >= g->n_nodes || pred[k] >= g->n_nodes) {
                return pt__error(g->ctx, PT_EINTERNAL, "%s: id out of range at edge %llu", what,
                                 (unsigned long long)k);
            }
            if (k > off[v] && (pred[k - 1] > pred[k] ||
                               (pred[k - 1] == pred[k] && nb[k - 1] >= nb[k]))) {
                return pt__error(g->ctx, PT_EINTERNAL, "%s: row %u not sorted or repeats", what,
                                 v);
            }
        }
    }
    return PT_OK;
}

int pt__graph_check(const pt_graph *g) {
    int rc;
    if (g->n_pool_nodes > g->n_nodes || g->n_csr_nodes > g->n_nodes) {
        return pt__error(g->ctx, PT_EINTERNAL, "node counts inconsistent");
    }
    for (uint32_t v = 0; v < g->n_pool_nodes; v++) {
        if (g->node_off[v] >= g->pool_len) {
            return pt__error(g->ctx, PT_EINTERNAL, "node %u: string outside the pool", v);
        }
        char k = g->pool[g->node_off[v]];
        if (k != 'I' && k != 'B') {
            return pt__error(g->ctx, PT_EINTERNAL, "node %u: bad kind byte", v);
        }
    }
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        if (g->node_class[v] >= PT_CLASS_COUNT_ || g->node_role[v] >= PT_ROLE_COUNT_) {
            return pt__error(g->ctx, PT_EINTERNAL, "node %u: class or role out of range", v);
        }
        const char *raw = pt__node_raw(g, v);
        pt_node_id back = pt_graph_lookup(g, raw + 1, strlen(raw + 1),
                                          raw[0] == 'B' ? PT_TERM_BLANK : PT_TERM_IRI);
        if (back != v) {
            return pt__error(g->ctx, PT_EINTERNAL, "node %u: hash lookup finds %u", v, back);
        }
    }
    if ((rc = check_csr(g, g->out_off, g->out_dst, g->out_pred, "out-CSR")) != PT_OK ||
        (rc = check_csr(g, g->in_off, g->in_src, g->in_pred, "in-CSR")) != PT_OK) {
        return rc;
    }
    /* The in-CSR must be the transpose of the out-CSR: every in-edge exists as an out-edge
     * (counts are equal, and out rows have no repeats, so this is a bijection). */
    for (uint32_t v = 0; v < g->n_csr_nodes; v++) {
        for (uint64_t k = g->in_off[v]; k < g->in_off[v + 1]; k++) {
            if (pt__graph_edge_id(g, g->in_src[k], g->in_pred[k], v) == UINT64_MAX) {
                return pt__error(g->ctx, PT_EINTERNAL, "in-edge %llu has no out-edge",
                                 (unsigned long long)k);
            }
        }
    }
    if (g->n_csr_nodes > 0) {
        if (g->lit_off[0] != 0 || g->lit_off[g->n_csr_nodes] != g->n_csr_lits) {
            return pt__error(g->ctx, PT_EINTERNAL, "literal offsets do not span the literals");
        }
        for (uint32_t v = 0; v < g->n_csr_nodes; v++) {
            if (g->lit_off[v] > g->lit_off[v + 1]) {
                return pt__error(g->ctx, PT_EINTERNAL, "literal offsets decrease at %u", v);
            }
        }
        for (uint64_t k = 0; k < g->n_csr_lits; k++) {
            if (g->lit_pred[k] >= g->n_nodes || g->lit_str[k] >= g->pool_len ||
                (g->lit_dt[k] != PT_NONE && g->lit_dt[k] >= g->n_nodes) ||
                g->lit_lang[k] >= g->n_langs) {
                return pt__error(g->ctx, PT_EINTERNAL, "literal %llu out of range",
                                 (unsigned long long)k);
            }
        }
    }
    if (g->pool_len > 0 && g->pool[g->pool_len - 1] != '\0') {
        return pt__error(g->ctx, PT_EINTERNAL, "pool does not end with NUL");
    }
    return PT_OK;
}
