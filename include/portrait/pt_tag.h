/*
 * pt_tag.h - text results attached to the graph: keyword tags for items and review sentiment,
 * the thin adapter between pt_nlp.h (which knows nothing of graphs) and pt_graph.h.
 */
#ifndef PT_TAG_H
#define PT_TAG_H

#include "pt_graph.h"
#include "pt_nlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options; pt_tag_opts_init() fills them. */
typedef struct pt_tag_opts {
    uint32_t top_k;    /**< keywords per item considered (default 5) */
    double min_weight; /**< keywords below this weight (the best is 1) are dropped (0.2) */
} pt_tag_opts;

PT_API void pt_tag_opts_init(pt_tag_opts *o);

/** What pt_tag_graph() added. */
typedef struct pt_tag_stats {
    uint64_t item_tags; /**< item pt:hasTag edges */
    uint64_t matched;   /**< of them, to an existing Tag or Category (by label) */
    uint64_t new_tags;  /**< new Tag nodes */
    uint64_t reviews;   /**< reviews scored */
    uint64_t opinions;  /**< user pt:likes / pt:dislikes tag edges */
    uint64_t failed;    /**< reviews that could not be scored (invalid UTF-8) */
} pt_tag_stats;

/**
 * Tag every item of `g` with the keywords of its titles, descriptions and reviews (existing
 * Tag/Category nodes matched by label first, else new Tag nodes base+"tag/kw-"+slug), and, when
 * `sentiment` is given (a sentiment model from pt_textclf_load), score every review: the event
 * gets pt:sentiment, the user a pt:reviewSentiment edge to the item weighted by the score in
 * [-1, 1], and pt:likes / pt:dislikes edges to the item's tags weighted by |score|. Everything is
 * added to `b`, which the caller seeded with `g` (pt_builder_new(ctx, g, &b)) and commits; edges
 * fold and literals are sets, so tagging twice changes nothing.
 * @return PT_OK, PT_ENOMEM, PT_EUNSUPPORTED (ICU unavailable).
 */
PT_API int pt_tag_graph(pt_ctx *ctx, const pt_graph *g, pt_textclf *sentiment,
                        const pt_tag_opts *o, pt_builder *b, pt_tag_stats *st);

/**
 * Score the reviews that arrived since `from` while `g` is served (real-time events): every
 * review event node (pt:text, pt:user, pt:item) with id >= `from` and no pt:sentiment yet gets,
 * as appends to `g` (pt_graph_add_edge / pt_graph_add_literal), what pt_tag_graph() would give
 * it: the pt:sentiment literal, a `user pt:reviewSentiment item` edge weighted by the score, and
 * pt:likes / pt:dislikes edges to the item's current pt:hasTag tags weighted by |score|. Item
 * keyword tags are not recomputed (they need the whole corpus: `portrait tag`). Node ids only
 * grow, so passing back *next on the following call scores each new review once; a review that
 * lands on an existing event node (the same user, item and action again) keeps the first one's
 * sentiment until `portrait tag` runs.
 *
 * The caller keeps other appends out of `g` meanwhile (an event applied half-way could be
 * missed); readers may run: it reads under pt_graph_rdlock() and appends outside it.
 * @param sentiment  a sentiment model (pt_textclf_load); NULL scores nothing
 * @param[out] next  the node count scanned up to, on PT_OK
 * @param[out] st    reviews scored, opinions written, failed
 * @return PT_OK or PT_ENOMEM. Threads: one call at a time per graph.
 */
PT_API int pt_tag_new_reviews(pt_ctx *ctx, pt_graph *g, pt_textclf *sentiment, pt_node_id from,
                              pt_node_id *next, pt_tag_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* PT_TAG_H */
