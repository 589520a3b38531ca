/*
 * pt_seq.h - next-item recommendation from behaviour sequences: a Caser-style convolutional
 * sequence model (Tang and Wang, "Personalized Top-N Sequential Recommendation via
 * Convolutional Sequence Embedding", WSDM 2018), and its blend with the walks of pt_walk.h.
 *
 * A user's sequence is the user's behaviour items (viewed, clicked, carted, purchased, rated,
 * reviewed) in time order, one entry per item at its latest time (as pt_eval.h counts an
 * interaction). The model reads the embeddings of the last L items as an L x d image: n_h
 * horizontal filters of each height 1..L (h x d, ReLU, max over time) and n_v vertical filters
 * (L x 1), concatenated, dropout, a dense layer to d with ReLU, concatenated with a user
 * embedding (2d), and scored against an output embedding and a bias per item. It is trained
 * for next-item prediction: each position t of a sequence is a target given the L items before
 * it, with `neg` negatives drawn uniformly from the items the user never had, under sigmoid
 * binary cross-entropy and Adam. Sequence augmentation (crop, mask, reorder) is applied to the
 * input windows when asked. docs/SEQ.md describes the model, the defaults and the measurements.
 *
 * Determinism: training depends only on the graph, the parameters and the seed, when the
 * thread count (`threads`) is fixed. Threads: one thread at a time per model.
 *
 * A model names its items and users by their IRIs, so it can be used with any graph that has
 * them (the store it was trained on, later generations of that store, a training graph of an
 * evaluation); pt_seq_bind() maps the names to the node ids of a graph.
 */
#ifndef PT_SEQ_H
#define PT_SEQ_H

#include "pt_eval.h"
#include "pt_graph.h"
#include "pt_walk.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_seq_model pt_seq_model;

/** Sequence augmentation operators (bit flags of pt_seq_params.augment). */
enum {
    PT_SEQ_AUG_CROP = 1,    /**< keep a random contiguous part of the window, pad the rest */
    PT_SEQ_AUG_MASK = 2,    /**< replace each item by the mask item with probability aug_rate */
    PT_SEQ_AUG_REORDER = 4, /**< shuffle a random contiguous part of the window */
};

/**
 * Parameters of a model and of its training. pt_seq_params_default() fills the defaults;
 * start from them and change fields (fields may be added at the end in later versions).
 */
typedef struct pt_seq_params {
    uint32_t L;         /**< items read before each target; default 5 */
    uint32_t dim;       /**< embedding dimension d; default 50 */
    uint32_t n_h;       /**< horizontal filters per height 1..L; default 16 */
    uint32_t n_v;       /**< vertical filters; default 4 */
    double dropout;     /**< dropout rate on the concatenated conv features; default 0.5 */
    uint32_t epochs;    /**< passes over the training positions; default 20 */
    uint32_t batch;     /**< positions per Adam step; default 256 */
    double lr;          /**< Adam learning rate; default 1e-3 */
    double l2;          /**< L2 penalty on the parameters touched by a step; default 1e-6 */
    uint32_t neg;       /**< negatives per target; default 3 */
    uint32_t augment;   /**< PT_SEQ_AUG_* flags; default 0 (off) */
    double aug_prob;    /**< probability that a window is augmented (one operator, drawn among
                             the enabled ones); default 0.5 */
    double aug_rate;    /**< mask: share of masked items; crop and reorder: share of the window
                             kept / shuffled (at least one item); default 0.4 */
    uint64_t seed;      /**< initialisation, shuffling, negatives, dropout, augmentation; 42 */
    int threads;        /**< OpenBLAS threads while training and scoring; default 1 */
    int weighted;       /**< weight each target by its action (and rating) as the walks weigh
                             a behaviour edge (pt_walk_params action_weight, rating_center,
                             rating_power), normalised to mean 1; default 0 */
} pt_seq_params;

/** Fill `p` with the defaults. */
PT_API void pt_seq_params_default(pt_seq_params *p);

/**
 * Parse a comma-separated list of augmentation operators ("crop,mask,reorder", "none", "all")
 * into PT_SEQ_AUG_* flags. @return PT_OK or PT_EINVAL (the message names the bad word).
 */
PT_API int pt_seq_augment_parse(pt_ctx *ctx, const char *list, uint32_t *flags);

/** What one epoch of training did; given to the progress callback. */
typedef struct pt_seq_epoch {
    uint32_t epoch;     /**< 1-based */
    uint32_t epochs;    /**< how many in all */
    double loss;        /**< mean binary cross-entropy per scored item (targets and negatives) */
    uint64_t positions; /**< training positions seen */
    double seconds;     /**< wall time of the epoch */
} pt_seq_epoch;

/** Called after each epoch. */
typedef void (*pt_seq_epoch_fn)(void *ud, const pt_seq_epoch *e);

/**
 * Train a model on the behaviour sequences of `g` (borrowed only during the call). Items are
 * the nodes of class Item and every target of a behaviour edge; users are the sources of
 * behaviour edges. `fn` (may be NULL) is called after each epoch.
 * @return PT_OK; PT_EINVAL (bad parameters, the message names the field; no user with two
 *         behaviour items to learn from); PT_EINTERNAL (the loss became NaN or infinite: the
 *         message names the epoch and step); PT_ENOMEM.
 */
PT_API int pt_seq_train(pt_ctx *ctx, const pt_graph *g, const pt_seq_params *p, pt_seq_epoch_fn fn,
                        void *ud, pt_seq_model **out);

/** Free a model (NULL is a no-op). */
PT_API void pt_seq_model_free(pt_seq_model *m);

/**
 * Write the model to `path`: a versioned little-endian file with a CRC-32 over its bytes
 * (docs/SEQ.md gives the layout). Written to a temporary file and renamed over `path`.
 * @return PT_OK, PT_EIO (cannot write; the message names the file), PT_ENOMEM.
 */
PT_API int pt_seq_save(pt_ctx *ctx, const pt_seq_model *m, const char *path);

/**
 * Read a model written by pt_seq_save().
 * @return PT_OK; PT_EIO (cannot read); PT_EPARSE (not a sequence model, a version this build
 *         does not read, truncated, checksum mismatch, or inconsistent sizes: the message names
 *         the file and the reason); PT_ENOMEM.
 */
PT_API int pt_seq_load(pt_ctx *ctx, const char *path, pt_seq_model **out);

/** The parameters the model was trained with. Lifetime: owned by `m`. */
PT_API const pt_seq_params *pt_seq_model_params(const pt_seq_model *m);

/** Number of items and of users the model knows. */
PT_API uint32_t pt_seq_model_item_count(const pt_seq_model *m);
PT_API uint32_t pt_seq_model_user_count(const pt_seq_model *m);

/** Weight of the sequence scores in a hybrid (0..1), as chosen at training time (default
 *  0.5 until set), and setting it. */
PT_API double pt_seq_model_blend(const pt_seq_model *m);
PT_API void pt_seq_model_set_blend(pt_seq_model *m, double blend);

/** Dimension of a user vector: 2 * dim (the sequence part z and the user embedding). */
PT_API uint32_t pt_seq_user_dim(const pt_seq_model *m);

/**
 * Map the model's items and users to the node ids of `g` (borrowed: it must outlive the use of
 * the model with it, and not be appended to meanwhile). Names `g` lacks are simply absent
 * (their items are never recommended; a user unknown to the model gets the mean user
 * embedding). Call it before the functions below; binding another graph replaces this one.
 * Threads: a model keeps the state of its layers between calls, so one thread at a time
 * uses it (pt_seq_user_vector() and pt_seq_recommend() included); load one model per thread
 * to score in parallel.
 * @return PT_OK or PT_ENOMEM. `n_items_found` (may be NULL) gets the items found in `g`.
 */
PT_API int pt_seq_bind(pt_ctx *ctx, pt_seq_model *m, const pt_graph *g, uint32_t *n_items_found);

/**
 * The user's vector [z; P_u] (pt_seq_user_dim() floats into `out`) from the user's last L
 * items in the bound graph. An item's score is out . Q_i + b_i.
 * @return PT_OK, PT_EINVAL (not bound, `user` out of range), PT_ENOMEM.
 */
PT_API int pt_seq_user_vector(pt_ctx *ctx, pt_seq_model *m, pt_node_id user, float *out);

/**
 * Recommend q->k items for q->user from the bound graph (include_seen, exclude, category and
 * max_per_category are honoured as pt_recommend() does; explain is ignored). With `walk`
 * non-NULL (a recommender over the same graph, with its scratch `s`), the score is the hybrid
 * blend * z(seq) + (1 - blend) * z(walk): each method's scores z-normalised over the user's
 * candidate items (items the walk did not reach score 0 before normalising). `blend` < 0 uses
 * the model's. A user without behaviour items gets the walk's answer (hybrid) or the items
 * with the largest bias (seq), flagged PT_REC_POPULAR.
 * @return PT_OK, PT_EINVAL (not bound, k == 0), PT_ENOMEM, or what pt_recommend() returned.
 */
PT_API int pt_seq_recommend(pt_ctx *ctx, pt_seq_model *m, pt_recommender *walk,
                            pt_rec_scratch *s, double blend, const pt_rec_query *q,
                            pt_rec_item *out, size_t *n_out, int *flags);

/**
 * Store every known user's vector (pt_seq_user_vector()) on the user node of `g` under
 * pt:sequenceEmbedding (pt_vec.h), replacing older ones. `m` must be bound to `g`.
 * @return PT_OK, PT_EINVAL, PT_ENOMEM. `n_users` (may be NULL) gets the vectors written.
 */
PT_API int pt_seq_store_user_vectors(pt_ctx *ctx, pt_seq_model *m, pt_graph *g,
                                     uint64_t *n_users);

/** Which scores pt_seq_eval() ranks by. */
typedef enum pt_seq_eval_mode {
    PT_SEQ_EVAL_SEQ = 0, /**< the sequence model alone */
    PT_SEQ_EVAL_HYBRID,  /**< blend of the sequence model and the walks */
} pt_seq_eval_mode;

/** What pt_seq_eval() chose and spent, beside the metrics. */
typedef struct pt_seq_eval_info {
    double blend;              /**< hybrid: weight chosen on validation (else 1) */
    double val_ndcg[11];       /**< hybrid: validation NDCG at the first K for blend 0, 0.1 .. 1 */
    double train_seconds;      /**< training of the sequence model(s) */
    double final_loss;         /**< mean loss of the last epoch of the final model */
} pt_seq_eval_info;

/**
 * Evaluate the sequence model (or the hybrid) on split `s` of `g` with the protocol of
 * pt_eval_run(): train on the training graph of `s` only (pt_split_train_graph()), rank all
 * items for every test user with the user's training items excluded, score with RecBole's
 * metrics at o->ks. The walk part of a hybrid uses `wp` (method and parameters) over the same
 * training graph. The blend weight is chosen among 0, 0.1, .., 1 by NDCG at the first cut-off
 * on a validation split carved from the training part by `val` (pt_split_carve()), with a
 * sequence model and a walk recommender trained on the validation split's training part;
 * ties keep the smaller weight. The test part is never seen before the final scoring.
 * `fn` (may be NULL) reports training epochs.
 * @return PT_OK, PT_EINVAL (no test user, bad options), what pt_seq_train(), pt_recommend()
 *         or pt_split_train_graph() returned.
 */
PT_API int pt_seq_eval(pt_ctx *ctx, const pt_graph *g, const pt_split *s, pt_seq_eval_mode mode,
                       const pt_seq_params *sp, const pt_walk_params *wp, const pt_eval_opts *o,
                       const pt_split_opts *val, pt_seq_epoch_fn fn, void *ud,
                       pt_eval_result *out, pt_seq_eval_info *info);

/**
 * Choose the hybrid's blend weight on a validation split `val` of `g` (for example the
 * leave-last-out split of everything a model will be trained on): train a sequence model on
 * the training part of `val`, build a walk recommender with `wp` over the same part, and score
 * its test users for blend 0, 0.1, .., 1 (NDCG at the first cut-off of `o`; ties keep the
 * smaller weight). info->blend and info->val_ndcg get the result.
 * @return PT_OK, or what pt_seq_eval() returns.
 */
PT_API int pt_seq_choose_blend(pt_ctx *ctx, const pt_graph *g, const pt_split *val,
                               const pt_seq_params *sp, const pt_walk_params *wp,
                               const pt_eval_opts *o, pt_seq_epoch_fn fn, void *ud,
                               pt_seq_eval_info *info);

#ifdef __cplusplus
}
#endif
#endif /* PT_SEQ_H */
