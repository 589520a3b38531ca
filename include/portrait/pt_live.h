/*
 * pt_live.h - real-time behaviour events: parse, log durably, apply to the graph; fold the log
 * into a snapshot; erase a user.
 *
 * A live event is the same record an event file row is (pt_import_events): user, item, action,
 * optional time, value and text. pt_store_append_events() writes a batch to the store's event log
 * (the `events` table of manifest.db, SQLite WAL, synchronous=FULL), and on PT_OK the batch is
 * durable (fsynced) and already applied to pt_store_graph() as appends, so the next reader sees
 * it. Concurrent callers share commits (group commit). pt_store_open() replays the log entries
 * that the current snapshot does not hold yet; pt_store_compact() folds them into a new
 * snapshot atomically. See docs/STORE.md ("The event log").
 */
#ifndef PT_LIVE_H
#define PT_LIVE_H

#include "pt_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One behaviour event. Strings are borrowed for the call that takes the event. */
typedef struct pt_live_event {
    const char *user;   /**< local id (minted as base + "user/" + id, the base being the graph's,
                             else "urn:portrait:", as at import), or an IRI: in <angle brackets>,
                             or absolute with "://" or the "urn:" scheme ("sku:42" is local) */
    const char *item;   /**< likewise */
    const char *action; /**< viewed, clicked, carted, purchased, rated, reviewed or an IRI;
                             NULL: "rated" when has_value, else "viewed" (as the importer) */
    int64_t time;       /**< seconds since the epoch; PT_TIME_UNKNOWN: the time received */
    double value;       /**< weight (rating, price, count) when has_value */
    int has_value;
    const char *text;   /**< review text, or NULL */
} pt_live_event;

/** A parsed request body: events whose strings live in the batch. */
typedef struct pt_event_batch pt_event_batch;

/**
 * Parse a request body: one JSON object, a JSON array of objects, or NDJSON (one object per
 * line). Fields: user, item (required, strings or numbers), action, time (unix seconds or
 * ISO-8601), value (number), text (string); null means absent for the optional ones. Unknown
 * fields, a field given twice, wrong types, invalid UTF-8, "\u0000", an unknown action word,
 * an empty id, an empty body or array, more than `max_events` events (0: no limit), or nesting
 * are errors: the whole body is refused. `body` need not be NUL-terminated.
 * @param[out] out  the batch, or NULL on failure
 * @return PT_OK; PT_EPARSE (message "event N: field 'F': reason", N counted from 1, or
 *         "line L: invalid JSON at column C: reason"); PT_ELIMIT (more than max_events);
 *         PT_ENOMEM. Threads: any, one ctx per thread.
 */
PT_API int pt_events_parse(pt_ctx *ctx, const char *body, size_t len, size_t max_events,
                           pt_event_batch **out);
/** Number of events in the batch. */
PT_API size_t pt_event_batch_count(const pt_event_batch *b);
/** Event i (borrowed; valid until pt_event_batch_free()). */
PT_API const pt_live_event *pt_event_batch_get(const pt_event_batch *b, size_t i);
/** Free a batch (NULL is a no-op). */
PT_API void pt_event_batch_free(pt_event_batch *b);

/**
 * Append `n` events durably, then apply them to pt_store_graph(s). Thread-safe: any number of
 * threads may call it at once; their batches are committed together (one fsync per group).
 * All or nothing: a bad event (unknown action word, value not finite, empty id) fails the whole
 * call with PT_EINVAL naming the event ("event N: field 'F': ...", N counted from 1) before
 * anything is written. An event without a time gets the time it is received. Messages go to the
 * ctx the store was opened with; with several threads calling at once, a message may be
 * replaced by another thread's before it is read (the code returned is always the caller's).
 * @param[out] first_seq  log sequence number of the first event (may be NULL); the batch has
 *                        first_seq .. first_seq + n - 1
 * @return PT_OK (durable and visible); PT_EINVAL; PT_EFULL (disk full, read-only store or
 *         filesystem: nothing written, nothing applied); PT_EIO; PT_ENOMEM.
 */
PT_API int pt_store_append_events(pt_store *s, const pt_live_event *ev, size_t n,
                                  uint64_t *first_seq);

/** Events in the log that the current snapshot does not hold (0 after pt_store_compact()). */
PT_API uint64_t pt_store_log_pending(const pt_store *s);

/** Highest log sequence number ever acknowledged (0 for none). */
PT_API uint64_t pt_store_log_last(const pt_store *s);

/**
 * Fold the log into a new snapshot: commit the graph with the applied events (pt_store_commit)
 * and mark the log as held by that generation, in one manifest transaction. A crash at any
 * point leaves a store that opens with every acknowledged event exactly once. The graph object
 * stays the same (pt_store_graph() is unchanged). @return as pt_store_commit().
 */
PT_API int pt_store_compact(pt_store *s, const char *note);

/** What pt_store_erase_user() removed. */
typedef struct pt_erase_stats {
    uint64_t events; /**< log entries deleted */
    uint64_t edges;  /**< graph edges removed (behaviour, event nodes, derived likes/dislikes) */
    uint64_t nodes;  /**< nodes removed (the user, its pt:Event nodes) */
} pt_erase_stats;

/**
 * Erase a user: its log entries, its edges and literals, its pt:Event nodes and every value
 * derived from them, then write a new snapshot without them, checkpoint and vacuum the manifest
 * and delete the old segment files, so no byte of the user's id or events remains in the store's
 * files. `user` is resolved like an event's user (local id or IRI), else by pt_graph_resolve().
 * The new snapshot folds the whole log, so every log row is deleted (st->events counts the
 * user's). History notes quoting the id become "[erased]". Replaces the store's graph:
 * pt_store_graph() returns a new object afterwards (anything built on the old graph, like a
 * pt_recommender, must be rebuilt). Appends and commits wait while it runs; reads of the old
 * graph must be finished before it returns. @return PT_OK; PT_ENOTFOUND (no such user);
 * PT_EFULL; PT_EIO; PT_ENOMEM.
 */
PT_API int pt_store_erase_user(pt_store *s, const char *user, pt_erase_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* PT_LIVE_H */
