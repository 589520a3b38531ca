/*
 * store_int.h - the store's private state, shared by store.c (manifest, segments, commits) and
 * eventlog.c (the durable event log: group commit, replay, compaction, erasure). Not installed.
 *
 * Concurrency. Every change to the manifest or the graph goes through one "writer slot":
 * `busy` under `mu`. The group commit's leader, pt_store_commit (and so pt_store_compact) and
 * pt_store_erase_user each take the slot with pt__log_acquire() and give it back with
 * pt__log_release(); waiting appenders queue their batches meanwhile, and the next leader
 * commits all of them in one transaction. The SQLite connection (opened NOMUTEX) is only ever
 * used by the slot's holder, or during open and close.
 */
#ifndef PT_STORE_INT_H
#define PT_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "core/core.h"
#include "events/events_int.h"
#include "graph/graph.h"

struct pt__log_req; /* one caller's batch waiting in the group-commit queue (eventlog.c) */

struct pt_store {
    pt_ctx *ctx;
    char *path;          /* the directory */
    int readonly;        /* PT_STORE_READONLY, or a directory we may not write */
    char ro_reason[160]; /* why the store is read-only, for commit's message */
    int lock_fd;         /* PATH/lock with the exclusive flock held, or -1 */
    sqlite3 *db;
    pt_graph *graph;
    uint64_t generation; /* 0: no segment yet */
    uint64_t seg_bytes;  /* the current segment's size and header CRC, as the manifest says */
    uint32_t seg_crc;

    /* the event log (eventlog.c) */
    pthread_mutex_t mu;  /* guards the fields below down to n_commits */
    pthread_cond_t cv;   /* signalled when the slot frees or a group is done */
    int sync_ready;      /* mu and cv are initialised */
    int busy;            /* the writer slot is taken */
    struct pt__log_req *q_head, *q_tail; /* batches waiting for the next group commit */
    uint64_t log_last;   /* highest acknowledged sequence number */
    uint64_t log_folded; /* events up to this one are held by the current snapshot */
    uint64_t n_commits;  /* group commits (each one fsync of the WAL) since open */
    uint64_t n_events;   /* events appended since open */
    int apply_failed;    /* an event was logged but not applied (out of memory): the graph
                          * lacks it, so it must not be folded; reopening replays it */
    /* slot holder only: */
    sqlite3_stmt *ins;   /* the prepared INSERT into events */
    pt__ev_emitter em;   /* applies events to `em_graph` */
    pt_graph *em_graph;  /* the graph `em` was made for, or NULL */
};

/* Turn a SQLite failure into a Portrait error naming the manifest (store.c). */
int pt__store_db_error(pt_store *s, int src, const char *what);

/* Run the SQL script `sql` on the manifest. Returns PT_OK or a pt__store_db_error. */
int pt__store_db_exec(pt_store *s, const char *sql, const char *what);

/* Commit `g` as the new snapshot (store.c; the caller holds the writer slot). With `fold` >= 0
 * the same manifest transaction records that the snapshot holds the log up to `fold` and
 * deletes those log rows; with -1 the fold marker is left as it is. */
int pt__store_commit_locked(pt_store *s, pt_graph *g, const char *note, int64_t fold);

/* Initialise the log's mutex and condition variable. Returns PT_OK or PT_ENOMEM. */
int pt__log_init(pt_store *s);

/* Read the fold marker and replay the log entries the snapshot does not hold into s->graph
 * (called by pt_store_open after the segment is mapped). Returns PT_OK, PT_ESTORE (a log row
 * that cannot be an event), PT_EIO or PT_ENOMEM. */
int pt__log_open(pt_store *s);

/* Release what the log holds (statement, emitter, mutex); called by pt_store_close. */
void pt__log_close(pt_store *s);

/* Take and give back the writer slot (see above). */
void pt__log_acquire(pt_store *s);
void pt__log_release(pt_store *s);

/* The graph changed object (a commit of another graph, an erasure): forget the emitter. */
void pt__log_graph_changed(pt_store *s);

/* Group commits (fsyncs) and events since open, for benchmarks. */
void pt__store_log_stats(pt_store *s, uint64_t *commits, uint64_t *events);

#endif /* PT_STORE_INT_H */
