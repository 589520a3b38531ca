/*
 * pt_profile.h - a user's profile (用户画像) as a query over the user's neighbourhood.
 *
 * Interests: the tags, categories and brands of the items the user interacted with, each
 * weighted by the action (view < click < cart < purchase; ratings scale it) and by time decay,
 * categories widened up the hierarchy (pt_graph_ancestors) with damping, each with the items
 * that are its evidence. Behaviour: counts per action, first and last seen, RFM (recency in
 * days, frequency = purchases, monetary = the prices of purchased items), active hours (UTC).
 * Similar users: the users who share the most (weighted, popularity-damped) items. A user with
 * at most one behaviour event is a cold start: the profile is filled from the categories of
 * what little there is and the most popular categories, and marked as such.
 * Profiles are computed from the graph on demand, so appended events show at once.
 */
#ifndef PT_PROFILE_H
#define PT_PROFILE_H

#include "pt_graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options; pt_profile_opts_default() fills them. */
typedef struct pt_profile_opts {
    uint32_t top;            /**< interests per class kept (default 10) */
    uint32_t n_similar;      /**< similar users (default 5) */
    double half_life_days;   /**< time decay of events (default 90; 0 = none) */
    double damping;          /**< weight passed to each level up the hierarchy (default 0.5) */
    int64_t now;             /**< reference time for decay and recency; PT_TIME_UNKNOWN = the
                                  user's own latest event (pass pt_graph_latest_time(g) for the
                                  data's "now") */
    double action_weight[PT_ROLE_COUNT_]; /**< by behaviour role */
} pt_profile_opts;

PT_API void pt_profile_opts_default(pt_profile_opts *o);

/** One interest: a tag, category or brand with its weight and evidence. */
typedef struct pt_profile_interest {
    pt_node_id node;
    pt_class cls;           /**< PT_CLASS_TAG, PT_CLASS_CATEGORY or PT_CLASS_BRAND */
    double weight;          /**< normalised: the strongest interest of its class is 1 */
    int inherited;          /**< 1 when (mostly) widened from sub-categories */
    pt_node_id evidence[3]; /**< the items that contributed most */
    uint32_t n_evidence;
} pt_profile_interest;

/** A similar user. */
typedef struct pt_profile_similar {
    pt_node_id user;
    double score;           /**< shared items, each weighted 1/log2(2 + its user count) */
    uint32_t shared;        /**< items in common */
} pt_profile_similar;

/** A built profile; every array is owned by it. */
typedef struct pt_profile {
    pt_node_id user;
    int cold_start;                     /**< at most one behaviour event */
    uint64_t count_by_role[PT_ROLE_COUNT_];
    uint64_t n_events;
    int64_t first_seen, last_seen;      /**< PT_TIME_UNKNOWN when no event has a time */
    double recency_days;                /**< now - last_seen, in days; -1 when unknown */
    uint64_t frequency;                 /**< purchases */
    double monetary;                    /**< sum of pt:price (or schema:price) of purchases */
    uint32_t active_hours[24];          /**< events per UTC hour */
    pt_profile_interest *interests;     /**< tags, then categories, then brands; by weight */
    size_t n_interests;
    pt_profile_similar *similar;
    size_t n_similar;
} pt_profile;

/**
 * Build the profile of `user` over `g` (borrowed).
 * @return PT_OK; PT_ENOTFOUND when `user` is not a node of class User; PT_ENOMEM.
 */
PT_API int pt_profile_build(pt_ctx *ctx, const pt_graph *g, pt_node_id user,
                            const pt_profile_opts *o, pt_profile **out);

/** Free a profile (NULL is a no-op). */
PT_API void pt_profile_free(pt_ctx *ctx, pt_profile *p);

/**
 * Write the profile as Turtle in Portrait's vocabulary through Redland's serializer (raptor2)
 * to `path` ("-" = standard output): the user with pt:interest nodes (pt:about, pt:weight,
 * pt:evidence), behaviour counts and RFM literals, pt:similarTo links, and the user's
 * pt:sequenceEmbedding as a pt:f32vector literal when the node has one (pt_vec.h; read with
 * pt_graph_get_vector(), which takes the graph's read lock: do not hold it when calling).
 * @return PT_OK, PT_EIO, PT_ENOMEM.
 */
PT_API int pt_profile_write_turtle(pt_ctx *ctx, const pt_graph *g, const pt_profile *p,
                                   const char *path);

#ifdef __cplusplus
}
#endif
#endif /* PT_PROFILE_H */
