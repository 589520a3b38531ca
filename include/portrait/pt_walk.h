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
 * recorded while the walk ran (faithful, not matched afterwards); for the exact methods the
 * paths are the largest terms of the sum. docs/WALKS.md explains the model and the defaults.
 *
 * Determinism: a query's result depends only on the recommender's parameters, the graph and
 * (seed, user), never on the thread that ran it or on the other queries of a batch.
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
    /* --- added after the first contract (append only) --- */
    PT_REC_EASE,   /**< EASE^R (Steck, WWW 2019): closed-form item-item model over the binary
                        user-item matrix X, B = I - P diag(1/diag P), P = (X'X + lambda I)^-1;
                        score of item j = sum over the user's items i of B_ij. Built once in
                        pt_recommender_new (PT_ELIMIT above 20,000 items). */
    PT_REC_HYBRID, /**< blend of z-normalised EASE^R scores (weight `blend`), z-normalised
                        ItemKNN scores (weight `knn_blend`, default 0) and z-normalised
                        RP3beta scores (1 - blend - knn_blend), all with the same
                        recency-weighted query items */
    PT_REC_ITEMKNN, /**< item-based k-nearest neighbours: cosine similarity of the items'
                         user sets with shrinkage, sim(i, j) = |U_i & U_j| / (sqrt(|U_i| |U_j|)
                         + shrink); each item j keeps its `knn` most similar items i (the
                         item-item matrix's columns cut to knn, ties by index); score of
                         item j = sum over the user's items i in j's list (recency-weighted)
                         of sim(i, j),
                         times the popularity penalty when beta > 0. Built once in
                         pt_recommender_new (PT_ELIMIT above 20,000 items). */
} pt_rec_method;

/**
 * Parameters of a recommender; pt_walk_params_default() fills the defaults (tuned on a
 * validation split of MovieLens-100k training data, see docs/WALKS.md). Start from the
 * defaults and change fields: fields may be added at the end in later versions.
 */
typedef struct pt_walk_params {
    pt_rec_method method;     /**< default PT_REC_RP3B */
    uint64_t steps;           /**< walk step budget per query (Pixie); 1/steps is the PPR push
                                   threshold; default 100000 */
    double restart;           /**< Pixie: probability of going back to the query item after
                                   each item reached (1 = every walk is user-item-x-item);
                                   PPR: teleport probability per step */
    double alpha;             /**< P3alpha/RP3beta exponent on transition probabilities */
    double beta;              /**< popularity penalty: score / max(1, users of item)^beta
                                   (RP3beta, Pixie, PPR; P3 ignores it) */
    double action_weight[PT_ROLE_COUNT_]; /**< weight of each behaviour role (view < purchase);
                                   roles that are not behaviours are ignored */
    double rating_center;     /**< rated/reviewed edges: weight * (rating / center)^rating_power,
                                   so ratings above it weigh more; 0 = ignore ratings */
    double half_life_days;    /**< recency half-life of the query items; 0 = no decay */
    double w_cobehaviour;     /**< meta-path weights: user-item-user-item ... */
    double w_tag;             /**< ... user-item-tag-item */
    double w_category;        /**< ... user-item-category-item (and up the hierarchy) */
    double w_brand;           /**< ... user-item-brand-item */
    uint32_t n_p, n_v;        /**< early stop: n_p items visited n_v times; n_p 0 = off */
    uint64_t seed;            /**< walks are deterministic for a given seed */
    int threads;              /**< for batch queries; 0 = all cores */
    /* --- added after the first contract (append only) --- */
    double category_up;       /**< share of category hops that go up one level (parent, then
                                   any item of its children); 0 = stay in the category */
    int multi_hit;            /**< Pixie multi-hit boosting: score = (sum_q sqrt(V_q))^2 over
                                   query items q; 0 = plain visit counts (an unbiased
                                   estimate of the exact P3alpha/RP3beta scores) */
    double rating_power;      /**< exponent on rating / rating_center (default 1) */
    double recent_boost;      /**< extra weight of the user's most recent item, as a factor
                                   on its query weight (1 = none) */
    double half_life_events;  /**< recency half-life counted in the user's own events: an item
                                   with n items after it weighs 0.5^(n / this); 0 = off */
    double recency_floor;     /**< the share of an item's weight that no recency decay takes
                                   away: weight * (floor + (1 - floor) * decay), 0..1 */
    uint32_t min_visits;      /**< Pixie: items the walks visited fewer times are not ranked
                                   (their counts are noise that the popularity penalty would
                                   magnify); 0 or 1 = rank every visited item */
    double lambda;            /**< EASE^R / hybrid: L2 regularisation added to the diagonal of
                                   X'X (default 200) */
    double blend;             /**< hybrid: weight of the EASE^R part, 0..1 (default 0.5) */
    uint32_t knn;             /**< itemknn: neighbours kept per item (default 100) */
    double shrink;            /**< itemknn: shrinkage of the cosine similarity (default 10) */
    double knn_blend;         /**< hybrid: weight of the ItemKNN part (knn, shrink), 0..1 with
                                   blend + knn_blend <= 1 (default 0: EASE^R and RP3beta
                                   only) */
} pt_walk_params;

/** Fill `p` with the defaults. */
PT_API void pt_walk_params_default(pt_walk_params *p);

/** Name of a method ("pixie", "p3", "rp3b", "ppr", "pop", "ease", "hybrid"). Lifetime: static. */
PT_API const char *pt_rec_method_name(pt_rec_method m);

/** Parse a method name as pt_rec_method_name() writes it. @return PT_OK or PT_EINVAL. */
PT_API int pt_rec_method_parse(const char *name, pt_rec_method *out);

/** Options of one query. Initialise with pt_rec_query_init(): a zeroed struct has
 *  category 0, which names node 0, not "any" (pt_recommend rejects a category that is not a
 *  category node with PT_EINVAL). */
typedef struct pt_rec_query {
    pt_node_id user;
    uint32_t k;                     /**< how many items */
    int include_seen;               /**< keep items the user already interacted with */
    const pt_node_id *exclude;      /**< items never to return */
    size_t n_exclude;
    pt_node_id category;            /**< only items in this category or below; PT_NONE = any */
    uint32_t max_per_category;      /**< diversity: at most this many per category; 0 = off */
    int explain;                    /**< record up to 3 paths per item */
    int64_t now;                    /**< reference time for recency; PT_TIME_UNKNOWN or 0 = the
                                         user's latest event */
} pt_rec_query;

/** Set `q` to: `user`, `k`, nothing excluded, any category, no cap, no explanation, now =
 *  the user's latest event. */
PT_API void pt_rec_query_init(pt_rec_query *q, pt_node_id user, uint32_t k);

/** One path: nodes[0] is the user, nodes[n_nodes-1] the item; preds[i] joins nodes[i] and
 *  nodes[i+1] (dirs[i] = 0 when the edge runs nodes[i] -> nodes[i+1], 1 when reversed). */
typedef struct pt_rec_path {
    pt_node_id nodes[8];
    pt_node_id preds[7];
    uint8_t dirs[7];
    uint32_t n_nodes;
    double share; /**< this path's share of the item's score, 0..1 (0 for a path found by
                       the breadth-first fallback of pt_rec_explain) */
} pt_rec_path;

/** One recommended item. */
typedef struct pt_rec_item {
    pt_node_id item;
    double score;
    pt_rec_path paths[3];
    uint32_t n_paths;
    int popular; /**< 1 when the item comes from the popularity fallback (unknown user, or too
                      few personal candidates to fill k) */
} pt_rec_item;

/** What the last query of a scratch did (for benchmarks and --explain output). */
typedef struct pt_rec_stats {
    uint64_t steps;       /**< edge traversals of the walks (0 for exact methods) */
    uint64_t ops;         /**< edges touched by exact propagation or push */
    uint64_t candidates;  /**< items with a non-zero score */
    uint32_t query_items; /**< the user's items the query started from */
    int early_stopped;    /**< the walk met the n_p/n_v stop before its budget */
} pt_rec_stats;

/** Result flags. */
enum {
    PT_REC_PERSONAL = 0,  /**< from the user's own behaviour */
    PT_REC_POPULAR = 1,   /**< unknown or eventless user: popular (in context) items */
};

/**
 * Build a recommender over `g` (borrowed: it must outlive the recommender and not be appended
 * to meanwhile; `p` is copied, NULL means the defaults). Users are nodes of class User or with
 * behaviour edges; items are nodes of class Item or reached by behaviour edges or having
 * tags, categories or brands. @return PT_OK, PT_EINVAL (bad parameters, message names the
 * field), PT_ENOMEM.
 * Threads: the recommender is read-only after this call; share it between threads.
 */
PT_API int pt_recommender_new(pt_ctx *ctx, const pt_graph *g, const pt_walk_params *p,
                              pt_recommender **out);
/** Free a recommender (NULL is a no-op). Free its scratches first. */
PT_API void pt_recommender_free(pt_recommender *r);

/**
 * Bring `r` up to date with the edges appended to its graph since it was built or last synced
 * (real-time events: new users, new items, new behaviour edges), in time proportional to the new
 * edges, not by a rebuild. Takes the graph's read lock. Not concurrent with queries on `r`: the
 * caller serialises (for example a rwlock where queries are readers and sync is the writer).
 * Exact models fitted at build time (EASE^R) keep their item-item matrix; a user's new items
 * count at once in every method. Features of items appended later and the EASE^R matrix wait
 * for a rebuild; a recommender that fell further behind than the graph's change journal keeps
 * (an eighth of the graph) is rebuilt from the graph. See docs/WALKS.md ("Real-time updates").
 * @return PT_OK, or PT_ENOMEM: then queries on `r` fail with PT_ENOMEM until a later sync
 *         succeeds (it rebuilds).
 */
PT_API int pt_recommender_sync(pt_recommender *r);

/** The parameters in force (borrowed, owned by `r`). */
PT_API const pt_walk_params *pt_recommender_params(const pt_recommender *r);

/** How many behaviour items user node `user` has (0 for an unknown user or none). */
PT_API uint32_t pt_recommender_user_items(const pt_recommender *r, pt_node_id user);

/** 1 when `node` is an item of the recommender, 0 otherwise. */
PT_API int pt_recommender_is_item(const pt_recommender *r, pt_node_id node);

/**
 * Per-thread scratch space for queries (reused across queries: no allocation per query once
 * warm). A scratch is used by one thread at a time; its ctx is the recommender's, so a thread
 * that wants its own error messages keeps them from the return code. @return PT_OK, PT_ENOMEM.
 */
PT_API int pt_rec_scratch_new(pt_recommender *r, pt_rec_scratch **out);
/** Free a scratch (NULL is a no-op). */
PT_API void pt_rec_scratch_free(pt_rec_scratch *s);
/** Statistics of the scratch's last query. */
PT_API void pt_rec_scratch_stats(const pt_rec_scratch *s, pt_rec_stats *out);

/**
 * Recommend up to q->k items for q->user into `out` (capacity q->k); *n_out gets the count and
 * *flags PT_REC_PERSONAL or PT_REC_POPULAR. An unknown user (PT_NONE, or a node that is not a
 * user) or one without behaviour gets popular items (in the category when one is given) and
 * PT_REC_POPULAR; that is not an error. Items are ordered by score, ties by node id.
 * @return PT_OK, PT_EINVAL (k == 0, a category that is not a category, NULL pointers),
 *         PT_ENOMEM.
 */
PT_API int pt_recommend(pt_recommender *r, pt_rec_scratch *s, const pt_rec_query *q,
                        pt_rec_item *out, size_t *n_out, int *flags);

/**
 * Run `n` queries on the recommender's `threads` (0 = all cores), each thread with its own
 * scratch; results are the same as n calls of pt_recommend(). Query i writes its items to
 * out + i * stride (stride >= qs[i].k), its count to n_out[i] and its flags to flags[i].
 * @return PT_OK, or the first failure (PT_EINVAL, PT_ENOMEM) in query order.
 */
PT_API int pt_recommend_many(pt_recommender *r, const pt_rec_query *qs, size_t n,
                             pt_rec_item *out, size_t stride, size_t *n_out, int *flags);

/**
 * The best paths between `user` and `item` under the recommender's method: the paths that the
 * walk used most (Pixie) or the largest terms of the sum (P3, RP3beta, PPR), up to `cap`, with
 * their shares; when the item got no score, a breadth-first search over behaviour and meta-path
 * edges (at most 6 hops) supplies the shortest paths with share 0. *score gets the item's score
 * (0 when not reached). `now` as in pt_rec_query (0 = the user's latest event).
 * @return PT_OK (possibly *n_out == 0 when no path exists), PT_EINVAL (user or item unknown),
 *         PT_ENOMEM.
 */
PT_API int pt_rec_explain(pt_recommender *r, pt_rec_scratch *s, pt_node_id user, pt_node_id item,
                          int64_t now, pt_rec_path *paths, size_t cap, size_t *n_out,
                          double *score);

#ifdef __cplusplus
}
#endif
#endif /* PT_WALK_H */
