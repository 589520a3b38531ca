/*
 * eval.h - what engine modules and the tests may use of the evaluation module beyond the public
 * pt_eval.h: the id order used to break popularity ties, and the split's per-user rows.
 * Not installed.
 */
#ifndef PT_EVAL_INT_H
#define PT_EVAL_INT_H

#include "core/core.h"
#include "portrait/pt_eval.h"

/*
 * Compare two local ids the way the reference scripts index items (np.unique over the id
 * column): numerically when both are all digits, by bytes otherwise. Returns <0, 0 or >0.
 */
int pt__eval_idcmp(const char *a, const char *b);

/* Hash that breaks leave-last-out ties between interactions of equal time: a function of the
 * user's and the item's strings only, so it does not depend on node ids or import order. */
uint64_t pt__eval_tie_hash(const pt_graph *g, pt_node_id user, pt_node_id item);

/* Rows [*lo, *hi) of `user` in the split's arrays (sorted by item node id); empty when the
 * user has no interaction. */
void pt__split_rows(const pt_split *s, pt_node_id user, uint64_t *lo, uint64_t *hi);

#endif /* PT_EVAL_INT_H */
