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
 *
 * Opening costs a few page faults whatever the graph's size: the segment's header and section
 * table are checked, the section bodies only by pt_store_verify(). A writer (no
 * PT_STORE_READONLY) holds an exclusive lock on PATH/lock until pt_store_close(); a second
 * writer waits up to PORTRAIT_LOCK_TIMEOUT seconds (default 10) and then fails with PT_EIO.
 * Readers never wait. A writer also deletes segment files that the manifest does not name
 * (leftovers of an interrupted commit). A store in a directory the process may not write opens
 * read-only even without PT_STORE_READONLY.
 * @param[in]  flags  PT_STORE_CREATE, PT_STORE_READONLY, or 0
 * @param[out] out    the store, or NULL on failure
 * @return PT_OK; PT_ENOTFOUND (absent, no CREATE); PT_ESTORE (not a store, corrupt, checksum
 *         mismatch, or a format version this build does not read: the message names the file
 *         and the section); PT_EIO (including another writer's lock); PT_ENOMEM;
 *         PT_EUNSUPPORTED (big-endian host).
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
 * `g` may be pt_store_graph(s) itself, to persist appends made to it. Appended edges and
 * literals are merged first (pt_graph_compact), which may take time and memory.
 * `note` (may be NULL) is recorded in the manifest's history ("import shop.nt").
 * @return PT_OK, PT_EIO, PT_EFULL (disk full, quota, read-only filesystem or store, no
 *         permission: the message says which), PT_ENOMEM, PT_EINVAL (`g` NULL).
 */
PT_API int pt_store_commit(pt_store *s, pt_graph *g, const char *note);

/** Generation number of the current graph (0 for an empty store). */
PT_API uint64_t pt_store_generation(const pt_store *s);

/** The store's directory path. Lifetime: owned by `s`. */
PT_API const char *pt_store_path(const pt_store *s);

/**
 * Verify every checksum of the current segment (open checks the header and the section
 * table; this reads every byte of the file on disk), the structural facts readers rely on
 * (offsets, ids and string offsets in range), then the graph's invariants (pt_graph check:
 * sorted rows, in-edges the transpose of out-edges, every node found by its string).
 * O(file size + edges); about 0.3 s for 1M triples. An empty store verifies trivially.
 * @return PT_OK; PT_ESTORE with the file and section named in the message; PT_EIO.
 */
PT_API int pt_store_verify(pt_store *s);

#ifdef __cplusplus
}
#endif
#endif /* PT_STORE_H */
