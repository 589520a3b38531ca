/*
 * eventlog.c - the store's durable event log: real-time events appended with group commit,
 * replayed at open, folded into a snapshot by compaction, and erased per user.
 *
 * The log is the `events` table of manifest.db (SQLite, WAL, synchronous=FULL): one row per
 * event, its INTEGER PRIMARY KEY the event's sequence number. meta.log_folded says up to which
 * sequence number the current segment already holds the events; the rows above it are the
 * log proper and are applied again at open.
 *
 * Group commit. pt_store_append_events() checks its batch (nothing is written when one event is
 * bad), queues it, and waits. Whoever finds the writer slot free becomes the leader: it takes
 * every queued batch, writes them all in one transaction (one WAL fsync), applies them to the
 * graph in sequence order, and only then wakes their callers. Batches that arrive meanwhile
 * queue for the next leader. So N concurrent single-event callers cost about one fsync per
 * group, not per event (the technique of Helland et al., "Group Commit Timers and High-Volume
 * Transaction Systems", 1987; SQLite itself does no grouping).
 *
 * Exactly once. A batch is acknowledged only after its transaction committed, so every
 * acknowledged event is in the log. Replay applies the rows above the fold marker; compaction
 * writes the segment and moves the marker in the same manifest transaction that switches the
 * segment (store.c, db_switch), so a crash leaves the old segment plus the log, or the new
 * segment with the marker moved. Applying an event twice would not change the graph anyway:
 * edges keep the latest (time, call), literals and types are sets.
 *
 * Sections: writer slot / append / replay / erase / API.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portrait/pt_vec.h"
#include "store/store_int.h"

/* One caller's batch in the group-commit queue; lives on the caller's stack. */
struct pt__log_req {
    const pt__live_norm *ev;
    size_t n;
    uint64_t first_seq; /* set by the leader */
    int rc;             /* set by the leader */
    int done;
    struct pt__log_req *next;
};

/* --- writer slot ---------------------------------------------------------------------------- */

int pt__log_init(pt_store *s) {
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        return pt__error(s->ctx, PT_ENOMEM, "cannot create the store's mutex");
    }
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return pt__error(s->ctx, PT_ENOMEM, "cannot create the store's condition variable");
    }
    s->sync_ready = 1;
    return PT_OK;
}

void pt__log_acquire(pt_store *s) {
    pthread_mutex_lock(&s->mu);
    while (s->busy) {
        pthread_cond_wait(&s->cv, &s->mu);
    }
    s->busy = 1;
    pthread_mutex_unlock(&s->mu);
}

void pt__log_release(pt_store *s) {
    pthread_mutex_lock(&s->mu);
    s->busy = 0;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void pt__log_graph_changed(pt_store *s) {
    if (s->em_graph != NULL) {
        pt__ev_emitter_free(&s->em);
        s->em_graph = NULL;
    }
}

/* Make sure the emitter applies to the store's current graph. Slot holder only. */
static int emitter_ready(pt_store *s) {
    if (s->em_graph == s->graph) {
        return PT_OK;
    }
    pt__log_graph_changed(s);
    if (pt__live_emitter_init(&s->em, s->ctx, s->graph) != PT_OK) {
        return pt__error(s->ctx, PT_ENOMEM, "store %s: out of memory applying events", s->path);
    }
    s->em_graph = s->graph;
    return PT_OK;
}

void pt__log_close(pt_store *s) {
    if (s->ins != NULL) {
        sqlite3_finalize(s->ins);
        s->ins = NULL;
    }
    pt__log_graph_changed(s);
    if (s->sync_ready) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        s->sync_ready = 0;
    }
}

void pt__store_log_stats(pt_store *s, uint64_t *commits, uint64_t *events) {
    pthread_mutex_lock(&s->mu);
    *commits = s->n_commits;
    *events = s->n_events;
    pthread_mutex_unlock(&s->mu);
}

/* --- append --------------------------------------------------------------------------------- */

/* Bind one event to the INSERT and run it. Returns the SQLite code. */
static int insert_row(sqlite3_stmt *st, uint64_t seq, const pt__live_norm *e, int64_t received) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    sqlite3_bind_text(st, 2, e->user, (int)e->user_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->item, (int)e->item_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e->action, (int)e->action_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, e->time);
    if (e->has_value) {
        sqlite3_bind_double(st, 6, e->value);
    } else {
        sqlite3_bind_null(st, 6);
    }
    if (e->text != NULL) {
        sqlite3_bind_text(st, 7, e->text, (int)e->text_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 7);
    }
    sqlite3_bind_int64(st, 8, received);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return src == SQLITE_DONE ? SQLITE_OK : src;
}

/*
 * The leader's work: write every batch of `group` in one transaction (sequence numbers from
 * log_last + 1 in queue order), then apply them to the graph in the same order. Returns PT_OK,
 * or the failure that every batch of the group shares; on a failed commit nothing is applied
 * and log_last is unchanged. Slot holder only.
 */
static int commit_group(pt_store *s, struct pt__log_req *group) {
    int rc = PT_OK;
    if (s->readonly) {
        return pt__error(s->ctx, PT_EFULL, "store %s is read-only (%s): events not written",
                         s->path, s->ro_reason);
    }
    if (s->ins == NULL) {
        int src = sqlite3_prepare_v2(s->db,
                                     "INSERT INTO events(id, user, item, action, time, value,"
                                     " text, received) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                                     -1, &s->ins, NULL);
        if (src != SQLITE_OK) {
            return pt__store_db_error(s, src, "cannot prepare the event log");
        }
    }
    int64_t received = (int64_t)time(NULL);
    uint64_t seq = s->log_last + 1;
    PT_TRY(pt__store_db_exec(s, "BEGIN IMMEDIATE", "cannot start the event transaction"));
    int src = SQLITE_OK;
    for (struct pt__log_req *r = group; r != NULL && src == SQLITE_OK; r = r->next) {
        r->first_seq = seq;
        for (size_t i = 0; i < r->n && src == SQLITE_OK; i++) {
            src = insert_row(s->ins, seq++, &r->ev[i], received);
        }
    }
    if (src == SQLITE_OK) {
        src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    }
    if (src != SQLITE_OK) {
        rc = pt__store_db_error(s, src, "cannot append events to the log");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        if (rc == PT_EFULL) {
            pt__error_prefix(s->ctx, "events not written (nothing applied)");
        }
        return rc;
    }
    /* Durable now. Apply in sequence order, as replay would. */
    uint64_t n = seq - (s->log_last + 1);
    pthread_mutex_lock(&s->mu);
    s->log_last = seq - 1;
    s->n_commits++;
    s->n_events += n;
    pthread_mutex_unlock(&s->mu);
    rc = emitter_ready(s);
    for (struct pt__log_req *r = group; r != NULL && rc == PT_OK; r = r->next) {
        for (size_t i = 0; i < r->n && rc == PT_OK; i++) {
            rc = pt__live_apply(&s->em, &r->ev[i]);
        }
    }
    if (rc != PT_OK) {
        s->apply_failed = 1;
        rc = pt__error(s->ctx, PT_ENOMEM,
                       "store %s: events up to %" PRIu64 " are logged but could not all be "
                       "applied (out of memory); they appear when the store is opened again",
                       s->path, s->log_last);
    }
done:
    return rc;
}

int pt_store_append_events(pt_store *s, const pt_live_event *ev, size_t n, uint64_t *first_seq) {
    if (first_seq != NULL) {
        *first_seq = 0;
    }
    if (s == NULL || (ev == NULL && n > 0)) {
        return PT_EINVAL;
    }
    if (n == 0) {
        return PT_OK;
    }
    pt_ctx *ctx = s->ctx;
    pt__live_norm *norm = pt__malloc(ctx, n * sizeof *norm);
    if (norm == NULL) {
        pthread_mutex_lock(&s->mu);
        int rc = pt__error(ctx, PT_ENOMEM, "out of memory appending %zu events", n);
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    /* Check the whole batch first: nothing is written when one event is bad. */
    int64_t now = (int64_t)time(NULL);
    char msg[320];
    for (size_t i = 0; i < n; i++) {
        if (pt__live_check(&ev[i], i, now, &norm[i], msg, sizeof msg) != PT_OK) {
            pt__free(ctx, norm);
            pthread_mutex_lock(&s->mu);
            int rc = pt__error(ctx, PT_EINVAL, "%s", msg);
            pthread_mutex_unlock(&s->mu);
            return rc;
        }
    }
    struct pt__log_req req = {norm, n, 0, PT_OK, 0, NULL};
    pthread_mutex_lock(&s->mu);
    if (s->q_tail != NULL) {
        s->q_tail->next = &req;
    } else {
        s->q_head = &req;
    }
    s->q_tail = &req;
    while (!req.done) {
        if (s->busy) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        /* Lead: take every queued batch (ours among them) and commit them as one group. */
        s->busy = 1;
        struct pt__log_req *group = s->q_head;
        s->q_head = s->q_tail = NULL;
        pthread_mutex_unlock(&s->mu);
        int rc = commit_group(s, group);
        pthread_mutex_lock(&s->mu);
        for (struct pt__log_req *r = group; r != NULL;) {
            struct pt__log_req *next = r->next;
            r->rc = rc;
            r->done = 1;
            r = next;
        }
        s->busy = 0;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    pt__free(ctx, norm);
    if (req.rc == PT_OK && first_seq != NULL) {
        *first_seq = req.first_seq;
    }
    return req.rc;
}

/* --- replay --------------------------------------------------------------------------------- */

/* Read meta.log_folded (0 when absent: a store from before the event log). */
static int read_folded(pt_store *s, uint64_t *out) {
    sqlite3_stmt *st = NULL;
    *out = 0;
    int src = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'log_folded'", -1,
                                 &st, NULL);
    if (src != SQLITE_OK) {
        return pt__store_db_error(s, src, "cannot read the event log's fold marker");
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64(st, 0);
        *out = v > 0 ? (uint64_t)v : 0;
        src = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? PT_OK
                              : pt__store_db_error(s, src, "cannot read the event log's fold marker");
}

/* Fill a pt_live_event from the current row of a SELECT over events (columns id, user, item,
 * action, time, value, text). Strings are borrowed from the statement until the next step. */
static void row_event(sqlite3_stmt *st, pt_live_event *e) {
    memset(e, 0, sizeof *e);
    e->user = (const char *)sqlite3_column_text(st, 1);
    e->item = (const char *)sqlite3_column_text(st, 2);
    e->action = (const char *)sqlite3_column_text(st, 3);
    e->time = sqlite3_column_type(st, 4) == SQLITE_NULL ? PT_TIME_UNKNOWN
                                                        : sqlite3_column_int64(st, 4);
    if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
        e->value = sqlite3_column_double(st, 5);
        e->has_value = 1;
    }
    e->text = (const char *)sqlite3_column_text(st, 6);
}

int pt__log_open(pt_store *s) {
    int rc = PT_OK;
    sqlite3_stmt *st = NULL;
    uint64_t folded = 0, last = 0, applied = 0;
    PT_TRY(read_folded(s, &folded));
    int src = sqlite3_prepare_v2(s->db,
                                 "SELECT id, user, item, action, time, value, text FROM events"
                                 " WHERE id > ? ORDER BY id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = pt__store_db_error(s, src, "cannot read the event log");
        goto done;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)folded);
    last = folded;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        pt_live_event e;
        pt__live_norm norm;
        char msg[320];
        row_event(st, &e);
        if (pt__live_check(&e, 0, e.time == PT_TIME_UNKNOWN ? 0 : e.time, &norm, msg,
                           sizeof msg) != PT_OK) {
            rc = pt__error(s->ctx, PT_ESTORE,
                           "%s/manifest.db: event log entry %" PRIu64 " is not a valid event "
                           "(%s)",
                           s->path, seq, strchr(msg, ':') != NULL ? strchr(msg, ':') + 2 : msg);
            goto done;
        }
        if (applied == 0) {
            PT_TRY(emitter_ready(s));
        }
        if (pt__live_apply(&s->em, &norm) != PT_OK) {
            rc = pt__error(s->ctx, PT_ENOMEM, "%s: out of memory replaying the event log",
                           s->path);
            goto done;
        }
        applied++;
        last = seq;
    }
    if (src != SQLITE_DONE) {
        rc = pt__store_db_error(s, src, "cannot read the event log");
        goto done;
    }
    s->log_folded = folded;
    s->log_last = last;
    if (applied > 0) {
        pt__log(s->ctx, PT_LOG_INFO,
                "%s: replayed %" PRIu64 " logged events (%" PRIu64 "..%" PRIu64 ")", s->path,
                applied, folded + 1, last);
    }
done:
    sqlite3_finalize(st);
    return rc;
}

/* --- API ------------------------------------------------------------------------------------ */

uint64_t pt_store_log_pending(const pt_store *s) {
    pt_store *m = (pt_store *)s;
    pthread_mutex_lock(&m->mu);
    uint64_t v = s->log_last - s->log_folded;
    pthread_mutex_unlock(&m->mu);
    return v;
}

uint64_t pt_store_log_last(const pt_store *s) {
    pt_store *m = (pt_store *)s;
    pthread_mutex_lock(&m->mu);
    uint64_t v = s->log_last;
    pthread_mutex_unlock(&m->mu);
    return v;
}

int pt_store_compact(pt_store *s, const char *note) {
    pt__log_acquire(s);
    int rc = pt__store_commit_locked(s, s->graph, note != NULL ? note : "compact",
                                     (int64_t)s->log_last);
    pt__log_release(s);
    return rc;
}

/* --- erase ---------------------------------------------------------------------------------- */

/* Copy the vectors (embeddings) of `g` to `ng` through the node map, leaving out those of
 * skipped nodes (a user's sequence embedding is derived from its events). */
static int copy_vectors(pt_store *s, const pt_graph *g, const uint8_t *skip,
                        const pt_node_id *map, pt_graph *ng) {
    uint64_t nv = pt_graph_vector_count(g, PT_NONE);
    float *buf = NULL;
    uint32_t cap = 0;
    int rc = PT_OK;
    for (uint64_t i = 0; i < nv && rc == PT_OK; i++) {
        pt_node_id node, pred;
        uint32_t dim;
        if (pt_graph_vector_at(g, PT_NONE, i, &node, &pred, &dim) != PT_OK || skip[node] ||
            skip[pred]) {
            continue;
        }
        if (dim > cap) {
            float *nb = pt__realloc(s->ctx, buf, (size_t)dim * sizeof *buf);
            if (nb == NULL) {
                rc = pt__error(s->ctx, PT_ENOMEM, "out of memory erasing a user");
                break;
            }
            buf = nb;
            cap = dim;
        }
        dim = pt_graph_get_vector(g, node, pred, buf, cap);
        rc = pt_graph_set_vector(ng, map[node], map[pred], buf, dim);
    }
    pt__free(s->ctx, buf);
    return rc;
}

/*
 * Copy `g` into a new graph without the nodes marked in `skip` (their edges in and out and
 * their literals go with them): a fresh builder, every other node interned in id order, then
 * its out-edges and literals. Counts the edges left out into st->edges. The graph has no node
 * deletion; a rebuild is what guarantees that no string of a skipped node reaches the new
 * segment's pool.
 */
static int copy_without(pt_store *s, const pt_graph *g, const uint8_t *skip, pt_graph **out,
                        pt_erase_stats *st) {
    pt_ctx *ctx = s->ctx;
    pt_builder *b = NULL;
    uint32_t n = pt_graph_node_count(g);
    int rc = PT_OK;
    pt_node_id *map = pt__malloc(ctx, ((size_t)n + 1) * sizeof *map);
    *out = NULL;
    if (map == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory erasing a user");
    }
    PT_TRY(pt_builder_new(ctx, NULL, &b));
    const char *base = pt_graph_base(g);
    if (base != NULL && base[0] != '\0') {
        pt_builder_set_base(b, base);
    }
    for (size_t i = 0; i < pt_graph_prefix_count(g); i++) {
        const char *name, *iri;
        if (pt_graph_prefix(g, i, &name, &iri) == PT_OK && name != NULL && iri != NULL) {
            pt_builder_add_prefix(b, name, iri);
        }
    }
    for (uint32_t v = 0; v < n; v++) {
        map[v] = PT_NONE;
        if (!skip[v]) {
            const char *str = pt_graph_node_str(g, v);
            map[v] = pt_builder_intern(b, str, strlen(str), pt_graph_node_kind(g, v));
        }
    }
    for (uint32_t v = 0; v < n; v++) {
        pt_edge_iter it;
        pt_edge e;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (skip[v] || skip[e.dst] || skip[e.pred]) {
                st->edges++;
                continue;
            }
            pt_builder_add_edge(b, map[v], map[e.pred], map[e.dst], e.weight, e.time);
        }
        if (skip[v]) {
            continue;
        }
        uint64_t nl = pt_graph_literal_count_of(g, v);
        for (uint64_t i = 0; i < nl; i++) {
            pt_literal l;
            if (pt_graph_literal(g, v, i, &l) != PT_OK || skip[l.pred] ||
                (l.datatype != PT_NONE && skip[l.datatype])) {
                continue;
            }
            pt_builder_add_literal(b, map[v], map[l.pred], l.lex, strlen(l.lex),
                                   l.datatype == PT_NONE ? PT_NONE : map[l.datatype], l.lang,
                                   l.lang != NULL ? strlen(l.lang) : 0);
        }
    }
    rc = pt_builder_finish(b, out);
    b = NULL;
    if (rc == PT_OK) {
        rc = copy_vectors(s, g, skip, map, *out);
        if (rc != PT_OK) {
            pt_graph_free(*out);
            *out = NULL;
        }
    }
done:
    pt_builder_free(b);
    pt__free(ctx, map);
    return rc;
}

/* Replace `what` by "[erased]" in every history and segment note (a note may quote an id). */
static int scrub_notes(pt_store *s, const char *what, size_t len) {
    static const char *const sql[] = {
        "UPDATE history SET note = replace(note, ?1, '[erased]') WHERE instr(note, ?1) > 0",
        "UPDATE segments SET note = replace(note, ?1, '[erased]') WHERE instr(note, ?1) > 0",
    };
    for (size_t k = 0; k < 2; k++) {
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(s->db, sql[k], -1, &st, NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_text(st, 1, what, (int)len, SQLITE_TRANSIENT);
            src = sqlite3_step(st);
            src = src == SQLITE_DONE ? SQLITE_OK : src;
        }
        sqlite3_finalize(st);
        if (src != SQLITE_OK) {
            return pt__store_db_error(s, src, "cannot scrub the history");
        }
    }
    return PT_OK;
}

/* Count the log rows whose user stands for `iri` (as a local id or as an IRI). */
static int count_user_rows(pt_store *s, const char *iri, size_t len, uint64_t *count) {
    sqlite3_stmt *st = NULL;
    int rc = PT_OK;
    *count = 0;
    int src = sqlite3_prepare_v2(s->db, "SELECT user FROM events", -1, &st, NULL);
    if (src != SQLITE_OK) {
        return pt__store_db_error(s, src, "cannot read the event log");
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *u = (const char *)sqlite3_column_text(st, 0);
        const char *ui;
        size_t ul;
        if (u == NULL) {
            continue;
        }
        if (pt__live_user_iri(&s->em, u, strlen(u), &ui, &ul) != PT_OK) {
            rc = pt__error(s->ctx, PT_ENOMEM, "out of memory erasing a user");
            break;
        }
        *count += ul == len && memcmp(ui, iri, len) == 0;
    }
    if (rc == PT_OK && src != SQLITE_DONE) {
        rc = pt__store_db_error(s, src, "cannot read the event log");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The erasure itself, with the writer slot held. */
static int erase_locked(pt_store *s, const char *user, pt_erase_stats *st) {
    pt_ctx *ctx = s->ctx;
    int rc = PT_OK;
    char *iri = NULL;
    uint8_t *skip = NULL;
    pt_graph *ng = NULL;
    if (s->readonly) {
        return pt__error(ctx, PT_EFULL, "store %s is read-only (%s): nothing erased", s->path,
                         s->ro_reason);
    }
    PT_TRY(emitter_ready(s));
    const char *ui;
    size_t ul;
    if (pt__live_user_iri(&s->em, user, strlen(user), &ui, &ul) != PT_OK ||
        (iri = pt__malloc(ctx, ul + 1)) == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory erasing a user");
        goto done;
    }
    memcpy(iri, ui, ul);
    iri[ul] = '\0';
    pt_graph *g = s->graph;
    pt_node_id u = pt_graph_lookup(g, iri, ul, PT_TERM_IRI);
    if (u == PT_NONE) {
        /* An id minted by an import with another base, or a prefixed name. */
        pt_node_id r = pt_graph_resolve(g, user, PT_CLASS_USER);
        if (r != PT_NONE && pt_graph_node_class(g, r) == PT_CLASS_USER) {
            u = r;
        }
    }
    PT_TRY(count_user_rows(s, iri, ul, &st->events));
    if (u == PT_NONE && st->events == 0) {
        rc = pt__error(ctx, PT_ENOTFOUND, "store %s has no user '%s'", s->path, user);
        goto done;
    }
    uint32_t n = pt_graph_node_count(g);
    skip = pt__calloc(ctx, (size_t)n + 1, 1);
    if (skip == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory erasing a user");
        goto done;
    }
    if (u != PT_NONE) {
        skip[u] = 1;
        st->nodes++;
        /* Its pt:Event nodes: every node with an ev:user edge to it. */
        pt_edge_iter it;
        pt_edge e;
        pt_graph_edges(g, u, 1, s->em.p_ev_user, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (!skip[e.src]) {
                skip[e.src] = 1;
                st->nodes++;
            }
        }
    }
    PT_TRY(copy_without(s, g, skip, &ng, st));
    /* Zero what SQLite frees from here on; VACUUM below rewrites the rest. */
    PT_TRY(pt__store_db_exec(s, "PRAGMA secure_delete=ON", "cannot enable secure delete"));
    /* The new snapshot holds the whole log (folded up to log_last, all rows deleted). */
    rc = pt__store_commit_locked(s, ng, "erase a user", (int64_t)s->log_last);
    if (rc != PT_OK) {
        pt_graph_free(ng);
        goto done;
    }
    ng = NULL;
    PT_TRY(scrub_notes(s, user, strlen(user)));
    PT_TRY(scrub_notes(s, iri, ul));
    PT_TRY(pt__store_db_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", "cannot checkpoint"));
    PT_TRY(pt__store_db_exec(s, "VACUUM", "cannot vacuum the manifest"));
    PT_TRY(pt__store_db_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", "cannot checkpoint"));
    pt__store_db_exec(s, "PRAGMA secure_delete=OFF", "cannot disable secure delete");
done:
    pt__free(ctx, skip);
    pt__free(ctx, iri);
    return rc;
}

int pt_store_erase_user(pt_store *s, const char *user, pt_erase_stats *st) {
    pt_erase_stats local;
    if (st == NULL) {
        st = &local;
    }
    memset(st, 0, sizeof *st);
    if (user == NULL || user[0] == '\0') {
        return pt__error(s->ctx, PT_EINVAL, "pt_store_erase_user: empty user id");
    }
    pt__log_acquire(s);
    int rc = erase_locked(s, user, st);
    pt__log_release(s);
    return rc;
}
