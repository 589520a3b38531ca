/*
 * render.h - output that the `portrait` command and the HTTP service (tools/httpd/) share:
 * JSON strings and display ids, explanation paths and whole profiles as JSON, and explanation
 * paths drawn as Graphviz DOT and SVG (libgvc). Like the programs, it uses only the public API.
 */
#ifndef PT_RENDER_H
#define PT_RENDER_H

#include <stdio.h>

#include "portrait/portrait.h"

/* Write x as printf's "%.6g" would, to `f`. */
void render_json_g6(FILE *f, double x);

/* Write `s` as a JSON string (with quotes) to `f`. */
void render_json_str(FILE *f, const char *s);

/* The short form of an IRI: a prefixed name when a prefix of the graph (or a well-known one)
 * fits, else the full IRI. Writes into buf and returns it. */
const char *render_compact_iri(const pt_graph *g, const char *iri, char *buf, size_t cap);

/* The title of node v: pt:title, else rdfs:label, English preferred; or NULL. Borrowed from g. */
const char *render_node_title(const pt_graph *g, pt_node_id v);

/* The display id of node v (pt_graph_display_id) as a JSON string. */
void render_json_id(FILE *f, const pt_graph *g, pt_node_id v);

/* One explanation path as a JSON object: share, hops, nodes (id, class, title) and edges
 * (predicate as a prefixed name, "forward" when the edge runs along the path). */
void render_json_path(FILE *f, const pt_graph *g, const pt_rec_path *p);

/* The user's embedding for a profile: `dim` floats of the vector under `predicate` (an IRI),
 * and where they come from ("stored": the node's vector, pt_vec.h; "sequence model": computed
 * now from the user's latest items). */
typedef struct render_embedding {
    const char *predicate;
    const char *source;
    const float *v;
    uint32_t dim;
} render_embedding;

/* Fill `out` with the vector `user` holds under pt:sequenceEmbedding (what `portrait seq train`
 * stores), copied into buf (cap floats). pt_graph_get_vector() takes the graph's read lock:
 * call it without holding one. Returns 1 when there is one (of at most cap floats), else 0. */
int render_stored_embedding(const pt_graph *g, pt_node_id user, float *buf, uint32_t cap,
                            render_embedding *out);

/* A profile as one JSON object and a newline (the shape `portrait profile` prints); with `emb`
 * (may be NULL) its "embedding"; with `r` and n_recs > 0, also the user's top n_recs
 * recommendations with their paths, computed with scratch `sc`. Returns PT_OK or
 * pt_recommend()'s error. */
int render_profile_json(FILE *f, const pt_graph *g, const pt_profile *p,
                        const render_embedding *emb, pt_recommender *r, pt_rec_scratch *sc,
                        uint32_t n_recs);

/* The DOT text of explanation paths: one box per distinct node (id, class, title), one edge
 * per path step in the edge's real direction, labelled with the predicate and the path's
 * share, thicker for larger shares; user and item in bold. Returns malloc'd text (the caller
 * frees it) or NULL when out of memory. */
char *render_paths_dot(const pt_graph *g, pt_node_id user, pt_node_id item,
                       const pt_rec_path *paths, size_t n);

/* Lay out DOT text with Graphviz's dot and render it as SVG into a malloc'd buffer (*svg, the
 * caller frees it; *len bytes). Graphviz keeps global state, so calls are serialised on one
 * mutex here and any thread may call it. Returns 0, or -1 when Graphviz fails (*svg NULL). */
int render_svg(const char *dot, char **svg, size_t *len);

#endif /* PT_RENDER_H */
