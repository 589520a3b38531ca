/*
 * seq_int.h - the parts of the sequence model (seq.c) that its tests reach beyond the public
 * pt_seq.h: the behaviour sequences extracted from a graph, the negative sampler, the
 * augmentation operators, and the forward/backward pass of one batch (for gradient checks).
 * Folder-private: included by engine/cnn/seq.c and tests/cnn/test_seq.c only.
 */
#ifndef PT_SEQ_INT_H
#define PT_SEQ_INT_H

#include "core/core.h"
#include "portrait/pt_seq.h"

/* The behaviour sequences of a graph. Items are indexed 0..n_items-1 in node order; index
 * n_items is the padding / mask item of the model's input embedding. */
typedef struct pt__seqs {
    uint32_t n_nodes;
    uint32_t n_items;
    pt_node_id *item_node; /* [n_items] node of each item index */
    uint32_t *node_item;   /* [n_nodes] item index of each node, UINT32_MAX for non-items */
    uint32_t n_users;
    pt_node_id *user_node; /* [n_users] node of each user row, ascending */
    uint64_t *off;         /* [n_users + 1] first entry of each user */
    uint32_t *item;        /* [off[n_users]] item indices, oldest first */
    float *weight;         /* [..] action (and rating) weight of each entry, as the walks do */
    int64_t *time;         /* [..] the entry's (latest) time */
    uint32_t *sorted;      /* [..] each user's item indices sorted ascending (for sampling) */
} pt__seqs;

/*
 * Extract the sequences of `g`: for every user (a source of behaviour edges), its behaviour
 * items once each at their latest time, ordered by time, ties broken like leave-last-out
 * (pt__eval_tie_hash: the smallest hash is the latest). `p` gives the action weights of
 * pt_walk_params (may be NULL: all 1). Returns PT_OK or PT_ENOMEM.
 */
int pt__seq_extract(pt_ctx *ctx, const pt_graph *g, const pt_walk_params *p, pt__seqs *out);
void pt__seqs_free(pt_ctx *ctx, pt__seqs *s);

/* The user row of node `user`, or UINT32_MAX. */
uint32_t pt__seqs_user_row(const pt__seqs *s, pt_node_id user);

/* splitmix64 (Steele, Lea, Flood, OOPSLA 2014): the generator behind every draw here. */
uint64_t pt__seq_rand(uint64_t *state);
/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift; bias below 2^-32 for our n). */
uint32_t pt__seq_below(uint64_t *state, uint32_t n);

/*
 * Draw one negative item for a user whose items are `seen` (n_seen, sorted ascending) among
 * items 0..n_items-1: uniform over the items not in `seen` (so never the target, which is one
 * of them). Rejection sampling for 32 tries, then a scan from a random start, so a user who has
 * almost every item still gets an exact draw from the rest. Returns UINT32_MAX when the user
 * has every item (then there is no negative to draw).
 */
uint32_t pt__seq_negative(const uint32_t *seen, size_t n_seen, uint32_t n_items, uint64_t *rng);

/*
 * Augment one input window in place: `win` holds L item indices, oldest first, with the
 * padding item `pad` on the left where the user has fewer than L earlier items. One operator
 * is drawn uniformly among those in `flags` (PT_SEQ_AUG_*): crop keeps a random contiguous
 * run of max(1, n - floor(rate * n)) of the n real items (right-aligned, padding before it);
 * mask replaces each real item by `pad` with probability `rate`; reorder shuffles a random
 * contiguous run of max(2, ceil(rate * n)) real items. Windows with fewer than 2 real items
 * are left alone. Returns the operator applied (one flag) or 0.
 */
uint32_t pt__seq_augment(uint32_t *win, uint32_t L, uint32_t pad, uint32_t flags, double rate,
                         uint64_t *rng);

/* Fill `win` (L entries) with the L items before position t of user row u (padding first). */
void pt__seq_window(const pt__seqs *s, uint32_t u, uint64_t t, uint32_t L, uint32_t *win);

/* --- the network, for gradient checks --------------------------------------------------- */
struct pt__params;

/* A fresh model for n_items items and n_users users (weights from p->seed). */
int pt__seq_model_new(pt_ctx *ctx, const pt_seq_params *p, uint32_t n_items, uint32_t n_users,
                      pt_seq_model **out);
/* The model's parameter registry (engine/cnn/nn.h), for reading values and gradients. */
struct pt__params *pt__seq_model_registry(pt_seq_model *m);
/*
 * Zero the gradients, then run forward and backward on one batch in evaluation mode (no
 * dropout): n windows `win` (n x L), model users `users`, candidates `cand` (n x k, the
 * target first, UINT32_MAX = none), row weights `wt` (NULL = 1). *loss gets the summed
 * cross-entropy; the gradients (of the mean over rows of the weighted sums) are left in the
 * registry.
 */
int pt__seq_batch_loss(pt_seq_model *m, const uint32_t *win, const uint32_t *users,
                       const uint32_t *cand, uint32_t n, uint32_t k, const float *wt,
                       double *loss);

#endif /* PT_SEQ_INT_H */
