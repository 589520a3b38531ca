/*
 * pt_eval.h - offline evaluation of the recommenders: train/test splits of the behaviour
 * events, the ranking metrics, and the runs that tie them together.
 *
 * An interaction is one (user, item) pair with at least one behaviour edge (viewed, clicked,
 * carted, purchased, rated, reviewed); repeated or multi-action pairs count once, at their
 * latest time. A pt_split labels every interaction train or test, by one of three protocols:
 *   leave-last-out  each user with at least `min_interactions` interactions gives its latest
 *                   one to test (ties in time are broken by a hash of the user and item ids,
 *                   since a graph keeps no file order; see docs/EVAL.md);
 *   random          each such user gives round(frac * n) interactions, drawn with a seeded
 *                   generator, to test;
 *   files           the rows of a train and a test CSV (`user,item,timestamp`, original ids).
 * pt_split_train_graph() copies the graph with only the training behaviour edges, and
 * pt_eval_run() builds a recommender over that copy (pt_walk.h), asks it for the top K of every
 * test user with the training items excluded, and scores the lists with RecBole's metrics:
 * Hit, NDCG, Recall, MRR, Precision, ItemCoverage, GiniIndex and TailPercentage.
 * pt_eval_tune() picks walk parameters on a validation split carved from the training part
 * only, so the test interactions never influence a chosen parameter.
 */
#ifndef PT_EVAL_H
#define PT_EVAL_H

#include "pt_graph.h"
#include "pt_walk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- splits ---------------------------------------------------------------------------------- */

typedef struct pt_split pt_split;

/** How a split was made. */
typedef enum pt_split_kind {
    PT_SPLIT_LEAVE_LAST = 0, /**< latest interaction of each user to test */
    PT_SPLIT_RANDOM,         /**< round(frac * n) random interactions of each user to test */
    PT_SPLIT_FILES,          /**< given as train and test files */
} pt_split_kind;

/** Which part of a split an interaction belongs to. */
enum { PT_PART_TRAIN = 0, PT_PART_TEST = 1 };

/** Options of a computed split; pt_split_opts_default() fills them. */
typedef struct pt_split_opts {
    pt_split_kind kind;        /**< PT_SPLIT_LEAVE_LAST (default) or PT_SPLIT_RANDOM */
    double test_frac;          /**< random: share of each user's interactions for test; 0.2 */
    uint64_t seed;             /**< random: the draw is a function of the seed and the ids; 42 */
    uint32_t min_interactions; /**< users with fewer interactions stay whole in training; 5 */
} pt_split_opts;

/** One interaction of a split. */
typedef struct pt_interaction {
    pt_node_id user;
    pt_node_id item;
    int64_t time; /**< latest time of the pair, or PT_TIME_UNKNOWN */
    int part;     /**< PT_PART_TRAIN or PT_PART_TEST */
} pt_interaction;

/** What reading split files found; zeroed by pt_split_from_files(). */
typedef struct pt_split_file_stats {
    uint64_t rows;            /**< data rows read (both files) */
    uint64_t rows_used;       /**< rows that became interactions */
    uint64_t unknown_users;   /**< rows whose user is not a User node of the graph */
    uint64_t unknown_items;   /**< rows whose item is not an Item node of the graph */
    uint64_t malformed;       /**< rows without two fields, or with a bad timestamp */
    uint64_t duplicates;      /**< repeated (user, item) rows; the latest was kept */
    uint64_t not_in_graph;    /**< used rows whose pair has no behaviour edge in the graph */
    char first_problem[256];  /**< "file:line: reason" of the first skipped row, or "" */
} pt_split_file_stats;

/** Fill `o` with the defaults (leave-last-out, 0.2, seed 42, 5 interactions). */
PT_API void pt_split_opts_default(pt_split_opts *o);

/**
 * Parse a split name into `o` (other fields keep their values): "leave-last-out" (also
 * "loo", "last"), "random" (frac 0.2) or "random:F" with 0 < F < 1.
 * @return PT_OK or PT_EINVAL (message names the bad part).
 */
PT_API int pt_split_opts_parse(pt_ctx *ctx, const char *spec, pt_split_opts *o);

/**
 * Collect the interactions of `g` and split them by `o`.
 * @return PT_OK, PT_EINVAL (bad options; no behaviour edges in `g`), PT_ENOMEM.
 */
PT_API int pt_split_new(pt_ctx *ctx, const pt_graph *g, const pt_split_opts *o, pt_split **out);

/**
 * Read a split from `train_path` and `test_path`: CSV with a header naming the columns `user`,
 * `item` and optionally `timestamp` (any order; other columns are ignored). Ids are resolved
 * with pt_graph_resolve() and the User / Item class hints; rows whose user or item is not in
 * the graph are skipped and counted in `st` (which may be NULL), never fatal. A pair listed
 * twice keeps its latest row; a pair in both files counts as test.
 * @return PT_OK, PT_EIO (cannot read), PT_EPARSE (no header with user and item), PT_EINVAL
 *         (no usable row at all), PT_ENOMEM.
 */
PT_API int pt_split_from_files(pt_ctx *ctx, const pt_graph *g, const char *train_path,
                               const char *test_path, pt_split_file_stats *st, pt_split **out);

/**
 * Carve a validation split out of the training part of `s`: the training interactions of `s`
 * are split again by `o` (test interactions of `s` are left out entirely), so tuning on the
 * result never sees the test part. `g` is the graph `s` was made from.
 * @return PT_OK, PT_EINVAL, PT_ENOMEM.
 */
PT_API int pt_split_carve(pt_ctx *ctx, const pt_graph *g, const pt_split *s,
                          const pt_split_opts *o, pt_split **out);

/** Free a split (NULL is a no-op). */
PT_API void pt_split_free(pt_split *s);

/** Number of interactions in part `part` (PT_PART_TRAIN or PT_PART_TEST), or in both (-1). */
PT_API uint64_t pt_split_count(const pt_split *s, int part);

/** Number of users with at least one interaction in the split, and of users with a test one. */
PT_API uint32_t pt_split_user_count(const pt_split *s);
PT_API uint32_t pt_split_test_user_count(const pt_split *s);

/** The i-th interaction (sorted by user, then item node id). @return PT_OK or PT_EINVAL. */
PT_API int pt_split_get(const pt_split *s, uint64_t i, pt_interaction *out);

/** Find (user, item); returns PT_PART_TRAIN or PT_PART_TEST, or -1 when not in the split. */
PT_API int pt_split_part_of(const pt_split *s, pt_node_id user, pt_node_id item);

/** How the split was made. Lifetime: owned by `s`. */
PT_API const pt_split_opts *pt_split_options(const pt_split *s);

/**
 * Build the training graph: every node of `g` (same ids), every literal, every non-behaviour
 * edge, prefixes and base, but only those behaviour edges whose (user, item) pair is a training
 * interaction of `s`. Event nodes (pt:user / pt:item) of other pairs lose their edges and
 * literals too, or the builder would derive the held-out behaviour edge from them again.
 * @return PT_OK, PT_ENOMEM, PT_EINTERNAL (node ids changed).
 */
PT_API int pt_split_train_graph(pt_ctx *ctx, const pt_graph *g, const pt_split *s,
                                pt_graph **out);

/* --- metrics --------------------------------------------------------------------------------- */

/** Largest number of cut-offs per run. */
#define PT_EVAL_MAX_KS 8

/** The metrics at one cut-off K, averaged over the users scored (RecBole's definitions). */
typedef struct pt_metrics {
    uint32_t k;
    double hit;             /**< share of users with a test item in their top K */
    double ndcg;            /**< DCG@K / ideal DCG over min(#test, K), binary relevance */
    double recall;          /**< hits in top K / #test items of the user */
    double mrr;             /**< 1 / rank of the first hit in the top K, 0 without one */
    double precision;       /**< hits in top K / K */
    double item_coverage;   /**< distinct items in all top-K lists / all items */
    double gini;            /**< Gini index of how often each item is recommended */
    double tail_percentage; /**< share of the top K (per K slots) that are long-tail items */
} pt_metrics;

typedef struct pt_metric_acc pt_metric_acc;

/**
 * Start accumulating metrics over item indices 0..n_items-1 at the cut-offs `ks` (1..n_ks,
 * n_ks <= PT_EVAL_MAX_KS, each K >= 1). `tail` (n_items flags, may be NULL: no tail items)
 * marks the long-tail items; it is copied.
 * @return PT_OK, PT_EINVAL (k == 0, no cut-offs, too many), PT_ENOMEM.
 */
PT_API int pt_metric_acc_new(pt_ctx *ctx, uint32_t n_items, const uint32_t *ks, size_t n_ks,
                             const uint8_t *tail, pt_metric_acc **out);
PT_API void pt_metric_acc_free(pt_metric_acc *a);

/**
 * Add one user: `ranked` holds the recommended item indices, best first (n_ranked may be
 * shorter than the largest K: missing places count as misses); `relevant` the user's test items
 * (n_relevant >= 1, no duplicates). @return PT_OK or PT_EINVAL (index out of range).
 */
PT_API int pt_metric_acc_add(pt_metric_acc *a, const uint32_t *ranked, size_t n_ranked,
                             const uint32_t *relevant, size_t n_relevant);

/** Write the averages so far into out[0..n_ks); all zero before the first user. */
PT_API void pt_metric_acc_result(pt_metric_acc *a, pt_metrics *out);

/**
 * Mark the long-tail items as RecBole does: sort items by training count `count` ascending
 * (ties by index), and flag the first max(1, floor(n_items * ratio)) when 0 < ratio <= 1,
 * or every item whose count is <= ratio when ratio > 1. ratio 0.8 flags every item outside
 * the top 20% by popularity. @return PT_OK, PT_EINVAL (ratio <= 0), PT_ENOMEM.
 */
PT_API int pt_eval_tail_items(pt_ctx *ctx, const uint64_t *count, uint32_t n_items, double ratio,
                              uint8_t *tail);

/* --- runs ------------------------------------------------------------------------------------ */

/** Built-in scorer of the reference MostPopular baseline (no pt_recommender involved). */
#define PT_EVAL_MOSTPOP (-1)

/** Options of a run; pt_eval_opts_default() fills them. */
typedef struct pt_eval_opts {
    uint32_t ks[PT_EVAL_MAX_KS]; /**< cut-offs; {10, 20} */
    size_t n_ks;
    int threads;       /**< query threads, each with its own pt_rec_scratch; 2 */
    double tail_ratio; /**< see pt_eval_tail_items(); 0.8 = outside the top 20% */
    int method;        /**< a pt_rec_method, or PT_EVAL_MOSTPOP */
} pt_eval_opts;

/** What a run measured. */
typedef struct pt_eval_result {
    uint32_t n_users;      /**< test users scored */
    uint32_t n_items;      /**< items ranked over (Item nodes and every item of the split) */
    uint64_t n_train, n_test;
    uint32_t n_fallback;   /**< users answered with popular items (PT_REC_POPULAR) */
    uint32_t n_short;      /**< users given fewer than max K items */
    uint64_t n_foreign;    /**< recommended nodes that are not items (dropped) */
    size_t n_ks;
    pt_metrics m[PT_EVAL_MAX_KS];
    double build_seconds;  /**< training graph and recommender */
    double query_seconds;  /**< all queries, wall clock */
} pt_eval_result;

/** Fill `o` with the defaults. */
PT_API void pt_eval_opts_default(pt_eval_opts *o);

/**
 * Fill `p` with pt_walk_params_default() when the walk engine is built into the library, else
 * with zeros, method PT_REC_POP and 2 threads (so a program that only evaluates the built-in
 * baseline links without the walk engine).
 */
PT_API void pt_eval_params_default(pt_walk_params *p);

/** True (1) when the walk engine is built in and pt_eval_run() can use pt_recommend(). */
PT_API int pt_eval_have_walk(void);

/**
 * Parse a comma-separated list of cut-offs ("10,20") into o->ks.
 * @return PT_OK or PT_EINVAL (a K <= 0, not a number, more than PT_EVAL_MAX_KS).
 */
PT_API int pt_eval_parse_ks(pt_ctx *ctx, const char *list, pt_eval_opts *o);

/**
 * Evaluate: build the training graph of `s` over `g`, a recommender with `p` over it (unless
 * o->method is PT_EVAL_MOSTPOP; p->method is overridden by o->method otherwise), recommend
 * max K items to every test user with include_seen = 0, and score. `p` may be NULL for
 * PT_EVAL_MOSTPOP.
 * @return PT_OK, PT_EINVAL (bad options, no test user), PT_EUNSUPPORTED (the walk engine is not
 *         built in), PT_ENOMEM, or what pt_recommender_new() / pt_recommend() returned.
 */
PT_API int pt_eval_run(pt_ctx *ctx, const pt_graph *g, const pt_split *s, const pt_walk_params *p,
                       const pt_eval_opts *o, pt_eval_result *out);

/**
 * Set walk parameters by name: "half_life_events=0;recent_boost=1" (the names of
 * pt_eval_tune()'s grid, one value each). @return PT_OK or PT_EINVAL (message names the part).
 */
PT_API int pt_eval_set_params(pt_ctx *ctx, const char *spec, pt_walk_params *p);

/** Called by pt_eval_tune() after each grid point with its parameters and validation result. */
typedef void (*pt_tune_fn)(void *ud, const char *point, const pt_eval_result *r);

/**
 * Tune `p` (in: the base parameters; out: the best found) on a validation split carved from
 * the training part of `s` by `val` (pt_split_carve()), over the grid `grid`:
 * "restart=0.3,0.5;beta=0,0.25;half_life=0,90;w.purchased=1,3" (names: restart, alpha, beta,
 * steps, half_life, half_life_events, recency_floor, recent_boost, rating_center, rating_power,
 * w_cobehaviour, w_tag, w_category, w_brand, category_up, multi_hit, and w.<role> for an
 * action weight). NULL or "" uses a default grid for p->method. The best point maximises
 * NDCG at the first cut-off of `o`; ties keep the earlier point. `best_point` (may be NULL)
 * receives its text.
 * @return PT_OK, PT_EINVAL (bad grid, message names it; more than 4096 points), what
 *         pt_eval_run() returns.
 */
PT_API int pt_eval_tune(pt_ctx *ctx, const pt_graph *g, const pt_split *s,
                        const pt_split_opts *val, const char *grid, const pt_eval_opts *o,
                        pt_walk_params *p, char *best_point, size_t best_cap, pt_tune_fn fn,
                        void *ud);

/** Most validation folds pt_eval_tune_folds() takes. */
#define PT_EVAL_MAX_FOLDS 8

/**
 * pt_eval_tune() over `n_folds` (1..PT_EVAL_MAX_FOLDS) validation splits carved from the
 * training part of `s`, every metric averaged over them, so that a small validation set does
 * not pick by noise. Fold f of a random `val` draws with seed val->seed + f; fold f of
 * leave-last-out first drops each user's f latest training interactions, then holds out the
 * next latest (every fold predicts a later interaction from earlier ones). n_folds 1 is
 * pt_eval_tune(). `best_val` (may be NULL) receives the best point's mean validation NDCG at
 * the first cut-off. @return as pt_eval_tune(); PT_EINVAL for a bad n_folds.
 */
PT_API int pt_eval_tune_folds(pt_ctx *ctx, const pt_graph *g, const pt_split *s,
                              const pt_split_opts *val, uint32_t n_folds, const char *grid,
                              const pt_eval_opts *o, pt_walk_params *p, char *best_point,
                              size_t best_cap, double *best_val, pt_tune_fn fn, void *ud);

/** Name of a method as the CLI spells it ("pixie", "p3", "rp3b", "ppr", "pop", "mostpop"). */
PT_API const char *pt_eval_method_name(int method);

/** Parse a method name; returns the method, or -2 when unknown. */
PT_API int pt_eval_method_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* PT_EVAL_H */
