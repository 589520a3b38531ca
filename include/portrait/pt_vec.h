/*
 * pt_vec.h - dense float32 vectors on graph nodes (embeddings).
 *
 * A node may carry one vector per predicate: pt:imageEmbedding on an item (from the CNN),
 * pt:sequenceEmbedding on a user (from the sequence model), or any predicate a caller names. A
 * vector is a value, not a set: setting it again replaces it. Vectors live beside the graph's
 * edges and literals, are persisted by the store in the graph segment, and are exported to RDF
 * as literals of datatype pt:f32vector (base64 of the little-endian floats).
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
 * like the other appends. The floats are copied.
 * @return PT_OK; PT_EINVAL (ids out of range, dim 0 or over PT_VEC_MAX_DIM, a non-finite value:
 *         the message names the index); PT_ENOMEM.
 */
PT_API int pt_graph_set_vector(pt_graph *g, pt_node_id node, pt_node_id pred, const float *v,
                               uint32_t dim);

/**
 * Copy the vector of (`node`, `pred`) into `out` (capacity `cap` floats; may be NULL with cap 0
 * to ask the dimension). Safe beside appends from other threads.
 * @return the vector's dimension (which may exceed `cap`: then only `cap` floats are copied), or
 *         0 when the node has no such vector.
 */
PT_API uint32_t pt_graph_get_vector(const pt_graph *g, pt_node_id node, pt_node_id pred,
                                    float *out, uint32_t cap);

/**
 * Remove the vector of (`node`, `pred`); `pred` PT_NONE removes every vector of the node.
 * @return the number of vectors removed.
 */
PT_API uint64_t pt_graph_remove_vector(pt_graph *g, pt_node_id node, pt_node_id pred);

/** Number of vectors under `pred` (PT_NONE: all). */
PT_API uint64_t pt_graph_vector_count(const pt_graph *g, pt_node_id pred);

/**
 * The i-th vector under `pred` (PT_NONE: all), 0 <= i < pt_graph_vector_count(g, pred), in
 * node order: its node, predicate and dimension. For walking all embeddings of a kind (kNN).
 * @return PT_OK or PT_EINVAL (i out of range).
 */
PT_API int pt_graph_vector_at(const pt_graph *g, pt_node_id pred, uint64_t i, pt_node_id *node,
                              pt_node_id *pred_out, uint32_t *dim);

#ifdef __cplusplus
}
#endif
#endif /* PT_VEC_H */
