/*
 * pt_walk.h - recommendations by random walks over the graph, with the paths that produced them.
 *
 * A pt_recommender is built once over a finished graph (it indexes the behaviour edges and the
 * item-side meta-path edges with cumulative weights) and answers many queries, from many threads
 * (one pt_rec_scratch per thread). Methods:
 *   PT_REC_PIXIE  Pixie-style walks with restart from the user's items, weighted by action and
 *                 recency, early stopping, multi-hit boosting, popularity penalty (degree^beta);
 *   PT_REC_P3     exact P3alpha scores (user -> item -> user -> item, transitions ^ alpha);
 *   PT_REC_RP3B   exact RP3beta (P3alpha divided by item popularity ^ beta);
 *   PT_REC_PPR    personalised PageRank on the user-item(-tag/category/brand) graph;
 *   PT_REC_POP    most popular items (the cold-start fallback, and a baseline).
 * Every recommended item can carry the top paths (user ... item) that contributed to its score,
 * recorded while the walk ran (faithful, not matched afterwards).
 */
#ifndef PT_WALK_H
#define PT_WALK_H

#include "pt_graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_recommender pt_recommender;
typedef struct pt_rec_scratch pt_rec_scratch;

typedef enum pt_rec_method {
    PT_REC_PIXIE = 0,
    PT_REC_P3,
    PT_REC_RP3B,
    PT_REC_PPR,
    PT_REC_POP,
} pt_rec_method;

/** Parameters of a recommender; pt_walk_params_default() fills sensible values. */
typedef struct pt_walk_params {
    pt_rec_method method;
    uint64_t steps;           /**< walk step budget per query (Pixie, PPR sampling); 100000 */
    double restart;           /**< restart probability per step (Pixie, PPR) */
    double alpha;             /**< P3alpha/RP3beta exponent on transition probabilities */
    double beta;              /**< popularity penalty: score / degree^beta */
    double action_weight[PT_ROLE_COUNT_]; /**< weight of each behaviour role (view < purchase) */
    double rating_center;     /**< ratings above it weigh more, below less; 0 = ignore ratings */
    double half_life_days;    /**< recency half-life of the query items; 0 = no decay */
    double w_cobehaviour;     /**< meta-path weights: user-item-user-item ... */
    double w_tag;             /**< ... user-item-tag-item */
    double w_category;        /**< ... user-item-category-item (and up the hierarchy) */
    double w_brand;           /**< ... user-item-brand-item */
    uint32_t n_p, n_v;        /**< early stop: n_p items visited n_v times */
    uint64_t seed;            /**< walks are deterministic for a given seed */
    int threads;              /**< for batch queries; 0 = all cores */
} pt_walk_params;

/** Fill `p` with the defaults. */
PT_API void pt_walk_params_default(pt_walk_params *p);

/** Options of one query. */
typedef struct pt_rec_query {
    pt_node_id user;
    uint32_t k;                     /**< how many items */
    int include_seen;               /**< keep items the user already interacted with */
    const pt_node_id *exclude;      /**< items never to return */
    size_t n_exclude;
    pt_node_id category;            /**< only items in this category or below; PT_NONE = any */
    uint32_t max_per_category;      /**< diversity: at most this many per category; 0 = off */
    int explain;                    /**< record up to 3 paths per item */
    int64_t now;                    /**< reference time for recency; PT_TIME_UNKNOWN = latest */
} pt_rec_query;

/** One path: nodes[0] is the user, nodes[n_nodes-1] the item; preds[i] joins nodes[i] and
 *  nodes[i+1] (dirs[i] = 0 when the edge runs nodes[i] -> nodes[i+1], 1 when reversed). */
typedef struct pt_rec_path {
    pt_node_id nodes[8];
    pt_node_id preds[7];
    uint8_t dirs[7];
    uint32_t n_nodes;
    double share; /**< this path's share of the item's score, 0..1 */
} pt_rec_path;

/** One recommended item. */
typedef struct pt_rec_item {
    pt_node_id item;
    double score;
    pt_rec_path paths[3];
    uint32_t n_paths;
} pt_rec_item;

/** Result flags. */
enum {
    PT_REC_PERSONAL = 0,  /**< from the user's own behaviour */
    PT_REC_POPULAR = 1,   /**< unknown or eventless user: popular (in context) items */
};

/**
 * Build a recommender over `g` (borrowed: it must outlive the recommender and not be appended
 * to meanwhile). @return PT_OK, PT_EINVAL (bad parameters, message names the field), PT_ENOMEM.
 */
PT_API int pt_recommender_new(pt_ctx *ctx, const pt_graph *g, const pt_walk_params *p,
                              pt_recommender **out);
PT_API void pt_recommender_free(pt_recommender *r);

/** Per-thread scratch space for queries (reused across queries: no allocation per query). */
PT_API int pt_rec_scratch_new(pt_recommender *r, pt_rec_scratch **out);
PT_API void pt_rec_scratch_free(pt_rec_scratch *s);

/**
 * Recommend up to q->k items for q->user into `out` (capacity q->k); *n_out gets the count and
 * *flags PT_REC_PERSONAL or PT_REC_POPULAR.
 * @return PT_OK, PT_EINVAL (k == 0), PT_ENOMEM.
 */
PT_API int pt_recommend(pt_recommender *r, pt_rec_scratch *s, const pt_rec_query *q,
                        pt_rec_item *out, size_t *n_out, int *flags);

#ifdef __cplusplus
}
#endif
#endif /* PT_WALK_H */
