/*
 * pt_store.h - the durable store.
 *
 * A store is a directory (default ./portrait.db): a SQLite database `manifest.db` that names
 * the current graph segment and keeps the event log, and checksummed binary segment files
 * (`graph-<generation>.ptg`) that open by mmap. A commit writes a new segment, fsyncs it and the
 * directory, then switches the manifest in one SQLite transaction: a crash at any point leaves
 * either the old or the new graph, never a mix. See docs/STORE.md for the format.
 */
#ifndef PT_STORE_H
#define PT_STORE_H

#include "pt_graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_store pt_store;

/** Flags of pt_store_open(). */
enum {
    PT_STORE_CREATE = 1,   /**< create the store when absent */
    PT_STORE_READONLY = 2, /**< never write (commits fail with PT_EFULL) */
};

/**
 * Open (or create) the store at `path`, then map its current graph.
 * @return PT_OK; PT_ENOTFOUND (absent, no CREATE); PT_ESTORE (corrupt, checksum mismatch, or
 *         a format version this build does not read: the message says which); PT_EIO.
 */
PT_API int pt_store_open(pt_ctx *ctx, const char *path, int flags, pt_store **out);

/** Close the store and free its graph (NULL is a no-op). */
PT_API void pt_store_close(pt_store *s);

/**
 * The store's current graph (an empty graph for a new store).
 * Lifetime: owned by `s`, valid until the next pt_store_commit() or pt_store_close().
 */
PT_API pt_graph *pt_store_graph(pt_store *s);

/**
 * Make `g` the store's graph, durably: on PT_OK it is on disk (fsynced) and `s` owns `g`; the
 * previous graph is freed. On failure nothing changed on disk and the caller still owns `g`.
 * `note` is recorded in the manifest's history ("import shop.nt").
 * @return PT_OK, PT_EIO, PT_EFULL (disk full or read-only), PT_ENOMEM.
 */
PT_API int pt_store_commit(pt_store *s, pt_graph *g, const char *note);

/** Generation number of the current graph (0 for an empty store). */
PT_API uint64_t pt_store_generation(const pt_store *s);

/** The store's directory path. Lifetime: owned by `s`. */
PT_API const char *pt_store_path(const pt_store *s);

/**
 * Verify every checksum of the current segment (open checks the header and the section
 * table; this reads every byte).
 * @return PT_OK or PT_ESTORE with the section named in the message.
 */
PT_API int pt_store_verify(pt_store *s);

#ifdef __cplusplus
}
#endif
#endif /* PT_STORE_H */
