/*
 * pt_vec.h - dense float32 vectors on graph nodes (embeddings).
 *
 * A node may carry one vector per predicate: pt:imageEmbedding on an item (from the CNN),
 * pt:sequenceEmbedding on a user (from the sequence model), or any predicate a caller names. A
 * vector is a value, not a set: setting it again replaces it. Vectors live beside the graph's
 * edges and literals, are persisted by the store in the graph segment, and are exported to RDF
 * as literals of datatype pt:f32vector (base64 of the little-endian floats); every importer that
 * goes through a pt_builder turns such a literal back into a vector (one that does not decode
 * stays an ordinary literal).
 *
 * Threads. Set and remove take the graph's write lock; get, count and vector_at take its read
 * lock themselves, so a vector copied out is never half old, half new. Because the lock is
 * writer-preferring and not recursive, do not call these while your thread holds
 * pt_graph_rdlock() (another thread's pending append would deadlock both). Between two calls
 * the vectors may change: walk with pt_graph_vector_at(), then get each vector, and treat a
 * get that returns 0 as "removed meanwhile".
 *
 * Lifetime. Vectors belong to the graph and follow it through pt_graph_compact(), a builder
 * seeded with the graph (pt_builder_new(ctx, g, &b)), pt_store_commit() and reopen. A graph
 * opened from a store reads them from the mapped segment until the first set or remove, which
 * copies them into memory (O(number of floats), once).
 */
#ifndef PT_VEC_H
#define PT_VEC_H

#include "pt_graph.h"
#include "pt_vocab.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PT_IMAGE_EMBEDDING PT_NS "imageEmbedding"
#define PT_SEQUENCE_EMBEDDING PT_NS "sequenceEmbedding"
#define PT_SIMILAR_TO PT_NS "similarTo"
#define PT_PREDICTED_CATEGORY PT_NS "predictedCategory"
#define PT_F32VECTOR PT_NS "f32vector"

/** Largest dimension a vector may have. */
#define PT_VEC_MAX_DIM 65536u

/**
 * Set (or replace) the vector of `node` under predicate `pred`. Takes the graph's write lock,
 * like the other appends. The floats are copied. Replacing with the same dimension overwrites
 * in place; any dimension may replace any other.
 * @return PT_OK; PT_EINVAL (ids out of range, dim 0 or over PT_VEC_MAX_DIM, `v` NULL, a
 *         non-finite value: the message names the index); PT_ENOMEM (the vectors are as they
 *         were); PT_ELIMIT (more than 2^32 - 16 vectors). On failure the old vector stays.
 */
PT_API int pt_graph_set_vector(pt_graph *g, pt_node_id node, pt_node_id pred, const float *v,
                               uint32_t dim);

/**
 * Copy the vector of (`node`, `pred`) into `out` (capacity `cap` floats; may be NULL with cap 0
 * to ask the dimension). Safe beside appends from other threads: takes the read lock, so the
 * copy is one whole vector. O(1) expected (a hash on (pred, node), built on the first call).
 * @return the vector's dimension (which may exceed `cap`: then only `cap` floats are copied), or
 *         0 when the node has no such vector (ids out of range included).
 */
PT_API uint32_t pt_graph_get_vector(const pt_graph *g, pt_node_id node, pt_node_id pred,
                                    float *out, uint32_t cap);

/**
 * Remove the vector of (`node`, `pred`); `pred` PT_NONE removes every vector of the node (one
 * pass over all vectors). Takes the write lock.
 * @return the number of vectors removed; 0 also when out of memory (possible only on the first
 *         change to vectors read from a store: the ctx message says so).
 */
PT_API uint64_t pt_graph_remove_vector(pt_graph *g, pt_node_id node, pt_node_id pred);

/** Number of vectors under `pred` (PT_NONE: all). Takes the read lock. */
PT_API uint64_t pt_graph_vector_count(const pt_graph *g, pt_node_id pred);

/**
 * The i-th vector under `pred` (PT_NONE: all, ordered by predicate id and then node), 0 <= i <
 * pt_graph_vector_count(g, pred), in node order: its node, predicate and dimension. For walking
 * all embeddings of a kind (kNN). Takes the read lock. O(log n) per call once the order exists;
 * the first call after sets that broke (pred, node) order sorts an index (O(n log n)), so sets
 * made in node order keep walks cheap. The out-params are PT_NONE/0 on failure.
 * @return PT_OK, PT_EINVAL (i out of range; no message, as readers share the graph's ctx) or
 *         PT_ENOMEM (the order index could not be allocated).
 */
PT_API int pt_graph_vector_at(const pt_graph *g, pt_node_id pred, uint64_t i, pt_node_id *node,
                              pt_node_id *pred_out, uint32_t *dim);

#ifdef __cplusplus
}
#endif
#endif /* PT_VEC_H */
