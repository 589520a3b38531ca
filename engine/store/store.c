/*
 * store.c - the durable store: a directory with a SQLite manifest (manifest.db) that names the
 * current graph segment, the segments themselves (graph-<generation>.ptg, see segment.c), and a
 * lock file.
 *
 * Opening reads the manifest, maps the segment it names and checks the segment's header; a
 * writer first takes the lock and removes the leftovers of a crashed commit. Committing writes a
 * new segment under a temporary name, fsyncs it, renames it into place, fsyncs the directory,
 * then switches the manifest in one SQLite transaction, and only then deletes the old segment:
 * a crash at any point leaves the old graph or the new one (docs/STORE.md explains why).
 *
 * Locking: a writer (any open without PT_STORE_READONLY) holds an exclusive flock on PATH/lock
 * for as long as the store is open, so two imports never interleave; a second writer waits up
 * to PORTRAIT_LOCK_TIMEOUT seconds (10 by default) and then fails with a message naming the
 * holder's pid. Readers take no lock: they never change a file, SQLite keeps the manifest read
 * consistent, and a segment that a writer deletes after a reader mapped it stays mapped.
 *
 * Sections: helpers / manifest / lock and strays / API.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/segment.h"
#include "store/store_int.h"

#define MANIFEST_FORMAT 1   /* meta.format_version this build writes and the newest it reads */
#define LOCK_TIMEOUT_S 10.0 /* default wait for another writer's lock */
#define OPEN_RETRIES 4      /* manifest re-reads when a segment vanishes under a reader */

/* --- helpers -------------------------------------------------------------------------------- */

/* Format "<dir>/<name>" into `buf` of `cap` bytes. Returns PT_OK or PT_ELIMIT when too long. */
static int join(pt_ctx *ctx, char *buf, size_t cap, const char *dir, const char *name) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        return pt__error(ctx, PT_ELIMIT, "store path too long: %s/%s", dir, name);
    }
    return PT_OK;
}

/* Format the file name of generation `gen`'s segment ("graph-12.ptg") into `buf`. */
static void seg_name(char *buf, size_t cap, uint64_t gen) {
    snprintf(buf, cap, "graph-%" PRIu64 ".ptg", gen);
}

/* Return the Portrait code for a failed file operation with errno `err`: a full, read-only or
 * forbidden disk is PT_EFULL, anything else PT_EIO. */
static int io_code(int err) {
    return err == ENOSPC || err == EDQUOT || err == EROFS || err == EACCES || err == EPERM ||
                   err == EFBIG
               ? PT_EFULL
               : PT_EIO;
}

/* fsync the directory `dir`, so that a rename or unlink in it is durable. Returns 0 or errno. */
static int sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    int err = fsync(fd) != 0 ? errno : 0;
    close(fd);
    /* Some filesystems refuse fsync on directories; that is not a failure to write. */
    return err == EINVAL || err == EBADF ? 0 : err;
}

/* Return 1 when `name` is "graph-<digits>.ptg" followed by `suffix` ("" or ".tmp"). */
static int is_segment_name(const char *name, const char *suffix) {
    if (strncmp(name, "graph-", 6) != 0) {
        return 0;
    }
    const char *p = name + 6;
    if (*p < '0' || *p > '9') {
        return 0;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    return strncmp(p, ".ptg", 4) == 0 && strcmp(p + 4, suffix) == 0;
}

/* --- manifest ------------------------------------------------------------------------------- */

/* The manifest's schema. `events` is the log that real-time imports append to. */
static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS segments(generation INTEGER PRIMARY KEY, file TEXT NOT NULL,"
    " bytes INTEGER NOT NULL, crc INTEGER NOT NULL, created INTEGER NOT NULL, note TEXT);"
    "CREATE TABLE IF NOT EXISTS history(id INTEGER PRIMARY KEY, generation INTEGER NOT NULL,"
    " time INTEGER NOT NULL, action TEXT NOT NULL, note TEXT, nodes INTEGER, edges INTEGER,"
    " literals INTEGER, bytes INTEGER);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, user TEXT, item TEXT,"
    " action TEXT, time INTEGER, value REAL, text TEXT, received INTEGER);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('format_version', '1');"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('application', 'portrait');"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('created', strftime('%s', 'now'));";

/* SQLite reports a refused write as SQLITE_IOERR_WRITE and does not always keep the errno
 * (a failed write is followed by the rollback's own calls). Work out the likely cause: a file
 * system with no room left (statvfs on the store's directory), or a file size limit
 * (RLIMIT_FSIZE, which makes write(2) fail with EFBIG). Returns that errno, or 0. */
static int write_failure_cause(const char *dir) {
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < 64 * 1024) {
        return ENOSPC;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        return EFBIG;
    }
    return 0;
}

/* Turn a SQLite failure into a Portrait error naming the manifest: a file that is not a
 * database is PT_ESTORE, a full or read-only disk PT_EFULL, memory PT_ENOMEM, the rest
 * PT_EIO. `what` says what was being done. */
int pt__store_db_error(pt_store *s, int src, const char *what) {
    int code = PT_EIO;
    switch (src & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
        code = PT_ESTORE;
        break;
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        code = PT_EFULL;
        break;
    case SQLITE_NOMEM:
        code = PT_ENOMEM;
        break;
    case SQLITE_IOERR: {
        /* A write refused by the system for lack of room (ENOSPC on some paths, EFBIG past a
         * file size limit, a quota, a read-only remount) is a full disk, not a broken one. */
        int err = s->db != NULL ? sqlite3_system_errno(s->db) : 0;
        if (err == 0 && s->db != NULL && sqlite3_extended_errcode(s->db) == SQLITE_IOERR_WRITE) {
            err = write_failure_cause(s->path);
        }
        if (err == ENOSPC || err == EDQUOT || err == EFBIG || err == EROFS) {
            const char *msg = sqlite3_errmsg(s->db);
            return pt__error(s->ctx, PT_EFULL, "%s/manifest.db: %s: %s (%s)", s->path, what, msg,
                             strerror(err));
        }
        break;
    }
    default:
        break;
    }
    const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(src);
    return pt__error(s->ctx, code, "%s/manifest.db: %s: %s", s->path, what, msg);
}

/* Run the SQL script `sql` on the manifest. Returns PT_OK or a db_error. */
int pt__store_db_exec(pt_store *s, const char *sql, const char *what) {
    int src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return src == SQLITE_OK ? PT_OK : pt__store_db_error(s, src, what);
}

/* Reopen the manifest `file` as immutable. SQLite cannot read a WAL database whose -shm file
 * is absent and cannot be created (a read-only directory after the last writer closed it);
 * then nobody is writing it through this directory's -shm either, and reading it as immutable
 * (no locks, no -shm) is the only way in. Returns PT_OK or a db_error. */
static int reopen_immutable(pt_store *s, const char *file) {
    char uri[4096 * 3 + 32];
    size_t k = (size_t)snprintf(uri, sizeof uri, "file:");
    for (const char *p = file; *p != '\0' && k + 4 < sizeof uri - 16; p++) {
        unsigned char c = (unsigned char)*p;
        /* Percent-encode what a URI reserves ('?', '#', '%') and anything not printable. */
        if (c == '?' || c == '#' || c == '%' || c <= ' ' || c >= 0x7f) {
            k += (size_t)snprintf(uri + k, sizeof uri - k, "%%%02X", c);
        } else {
            uri[k++] = (char)c;
        }
    }
    snprintf(uri + k, sizeof uri - k, "?immutable=1");
    sqlite3_close(s->db);
    s->db = NULL;
    int src = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    return src == SQLITE_OK ? PT_OK : pt__store_db_error(s, src, "cannot open read-only");
}

/* Open the manifest of the store, creating it (and its schema) when `create`. Sets WAL mode
 * and full synchronous commits for a writer, and a busy timeout for everybody. Then checks
 * that it is a Portrait manifest of a format this build reads. */
static int db_open(pt_store *s, int create) {
    char file[4096];
    int rc = PT_OK;
    PT_TRY(join(s->ctx, file, sizeof file, s->path, "manifest.db"));
    int flags = s->readonly ? SQLITE_OPEN_READONLY
                            : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    int src = sqlite3_open_v2(file, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = pt__store_db_error(s, src, "cannot open");
        goto done;
    }
    sqlite3_busy_timeout(s->db, (int)(LOCK_TIMEOUT_S * 1000));
    if (s->readonly && sqlite3_exec(s->db, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL,
                                    NULL) == SQLITE_CANTOPEN) {
        PT_TRY(reopen_immutable(s, file));
    }
    if (!s->readonly) {
        PT_TRY(pt__store_db_exec(s, "PRAGMA journal_mode=WAL", "cannot set WAL mode"));
        PT_TRY(pt__store_db_exec(s, "PRAGMA synchronous=FULL", "cannot set synchronous mode"));
        if (create) {
            PT_TRY(pt__store_db_exec(s, "BEGIN IMMEDIATE", "cannot start the schema transaction"));
            src = sqlite3_exec(s->db, SCHEMA, NULL, NULL, NULL);
            if (src != SQLITE_OK) {
                rc = pt__store_db_error(s, src, "cannot create the schema");
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                goto done;
            }
            PT_TRY(pt__store_db_exec(s, "COMMIT", "cannot commit the schema"));
        }
    }
    sqlite3_stmt *st = NULL;
    src = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'format_version'", -1, &st,
                             NULL);
    if (src != SQLITE_OK) {
        const char *msg = sqlite3_errmsg(s->db);
        if (strstr(msg, "no such table") != NULL) {
            rc = pt__error(s->ctx, PT_ESTORE, "%s: not a Portrait manifest (no meta table)", file);
        } else {
            rc = pt__store_db_error(s, src, "cannot read the format version");
        }
        goto done;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        long long v = sqlite3_column_int64(st, 0);
        if (v > MANIFEST_FORMAT) {
            rc = pt__error(s->ctx, PT_ESTORE,
                           "%s: manifest format version %lld is newer than this build reads "
                           "(%d); upgrade Portrait",
                           file, v, MANIFEST_FORMAT);
        } else if (v < 1) {
            rc = pt__error(s->ctx, PT_ESTORE, "%s: manifest format version '%s' is not valid", file,
                           (const char *)sqlite3_column_text(st, 0));
        }
    } else if (src == SQLITE_DONE) {
        rc = pt__error(s->ctx, PT_ESTORE, "%s: not a Portrait manifest (no format_version)", file);
    } else {
        rc = pt__store_db_error(s, src, "cannot read the format version");
    }
    sqlite3_finalize(st);
done:
    return rc;
}

/* The current segment as the manifest records it. */
typedef struct cur_row {
    int present; /* 0: the store has no segment yet */
    uint64_t generation, bytes;
    uint32_t crc;
    char file[64];
} cur_row;

/* Read the newest row of `segments` into `*row`. The file name must be the one the generation
 * implies: a manifest never sends us to a path outside the store. */
static int db_current(pt_store *s, cur_row *row) {
    sqlite3_stmt *st = NULL;
    int rc = PT_OK;
    memset(row, 0, sizeof *row);
    int src = sqlite3_prepare_v2(s->db,
                                 "SELECT generation, file, bytes, crc FROM segments"
                                 " ORDER BY generation DESC LIMIT 1",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) {
        return pt__store_db_error(s, src, "cannot read the segments table");
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        sqlite3_int64 gen = sqlite3_column_int64(st, 0);
        const char *file = (const char *)sqlite3_column_text(st, 1);
        row->present = 1;
        row->generation = (uint64_t)gen;
        row->bytes = (uint64_t)sqlite3_column_int64(st, 2);
        row->crc = (uint32_t)sqlite3_column_int64(st, 3);
        seg_name(row->file, sizeof row->file, row->generation);
        if (gen < 1 || file == NULL || strcmp(file, row->file) != 0) {
            rc = pt__error(s->ctx, PT_ESTORE,
                           "%s/manifest.db: segment of generation %lld is named '%s', "
                           "expected '%s'",
                           s->path, (long long)gen, file != NULL ? file : "(null)", row->file);
        }
    } else if (src != SQLITE_DONE) {
        rc = pt__store_db_error(s, src, "cannot read the segments table");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Bind the values of one commit and step a prepared statement; returns the SQLite code. */
static int step_with(sqlite3_stmt *st, const sqlite3_int64 *ints, int n_ints, const char *text,
                     int text_at) {
    for (int i = 0; i < n_ints; i++) {
        sqlite3_bind_int64(st, i + 1, ints[i]);
    }
    if (text_at > 0) {
        sqlite3_bind_text(st, text_at, text, -1, SQLITE_TRANSIENT);
    }
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? SQLITE_OK : src;
}

/* In one transaction, make `file` (generation `gen`, `bytes`, header `crc`) the current
 * segment and log the commit in history; with `fold` >= 0, also record that the segment holds
 * the event log up to sequence number `fold` and delete those log rows (pt_store_compact), so
 * that a crash leaves either the old segment with the log to replay or the new one with the
 * log folded, never a segment that would get events twice. On failure the transaction is
 * rolled back and the manifest is as before. */
static int db_switch(pt_store *s, const pt_graph *g, uint64_t gen, const char *file, uint64_t bytes,
                     uint32_t crc, const char *note, int64_t fold) {
    sqlite3_stmt *st = NULL;
    int rc = PT_OK;
    sqlite3_int64 now = (sqlite3_int64)time(NULL);
    PT_TRY(pt__store_db_exec(s, "BEGIN IMMEDIATE", "cannot start the commit transaction"));
    int src = sqlite3_exec(s->db, "DELETE FROM segments", NULL, NULL, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_prepare_v2(s->db,
                                 "INSERT INTO segments(generation, bytes, crc, created, file,"
                                 " note) VALUES(?, ?, ?, ?, ?, ?)",
                                 -1, &st, NULL);
    }
    if (src == SQLITE_OK) {
        sqlite3_bind_text(st, 5, file, -1, SQLITE_TRANSIENT);
        const sqlite3_int64 v[] = {(sqlite3_int64)gen, (sqlite3_int64)bytes, crc, now};
        src = step_with(st, v, 4, note, note != NULL ? 6 : 0);
    }
    if (src == SQLITE_OK) {
        src = sqlite3_prepare_v2(s->db,
                                 "INSERT INTO history(generation, time, nodes, edges, literals,"
                                 " bytes, action, note) VALUES(?, ?, ?, ?, ?, ?, 'commit', ?)",
                                 -1, &st, NULL);
    }
    if (src == SQLITE_OK) {
        const sqlite3_int64 v[] = {(sqlite3_int64)gen,
                                   now,
                                   g->n_nodes,
                                   (sqlite3_int64)pt_graph_edge_count(g),
                                   (sqlite3_int64)pt_graph_literal_count(g),
                                   (sqlite3_int64)bytes};
        src = step_with(st, v, 6, note, note != NULL ? 7 : 0);
    }
    if (src == SQLITE_OK && fold >= 0) {
        src = sqlite3_prepare_v2(s->db,
                                 "INSERT OR REPLACE INTO meta(key, value)"
                                 " VALUES('log_folded', CAST(? AS TEXT))",
                                 -1, &st, NULL);
        if (src == SQLITE_OK) {
            const sqlite3_int64 v[] = {fold};
            src = step_with(st, v, 1, NULL, 0);
        }
        if (src == SQLITE_OK) {
            src = sqlite3_prepare_v2(s->db, "DELETE FROM events WHERE id <= ?", -1, &st, NULL);
        }
        if (src == SQLITE_OK) {
            const sqlite3_int64 v[] = {fold};
            src = step_with(st, v, 1, NULL, 0);
        }
    }
    if (src == SQLITE_OK) {
        src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    }
    if (src != SQLITE_OK) {
        rc = pt__store_db_error(s, src, "cannot record the new segment");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
done:
    return rc;
}

/* --- lock and strays ------------------------------------------------------------------------ */

/* Seconds to wait for another writer: PORTRAIT_LOCK_TIMEOUT when set to a number, else 10. */
static double lock_timeout(void) {
    const char *e = getenv("PORTRAIT_LOCK_TIMEOUT");
    if (e != NULL && *e != '\0') {
        char *end = NULL;
        double t = strtod(e, &end);
        if (end != e && t >= 0) {
            return t;
        }
    }
    return LOCK_TIMEOUT_S;
}

/* Take the writer's lock: an exclusive flock on PATH/lock, waiting up to lock_timeout(), then
 * record our pid in the file for the next waiter's message. When the lock file cannot be
 * created because the directory is not writable, the store becomes read-only instead (reads
 * work, commits fail with PT_EFULL). */
static int take_lock(pt_store *s) {
    char file[4096];
    int rc = join(s->ctx, file, sizeof file, s->path, "lock");
    if (rc != PT_OK) {
        return rc;
    }
    int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno;
        if (err == EACCES || err == EROFS || err == EPERM) {
            s->readonly = 1;
            snprintf(s->ro_reason, sizeof s->ro_reason, "cannot write in %.100s: %s", s->path,
                     strerror(err));
            return PT_OK;
        }
        return pt__error(s->ctx, PT_EIO, "%s: cannot open: %s", file, strerror(err));
    }
    double limit = pt__now() + lock_timeout();
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err == EINTR) {
            continue;
        }
        if (err != EWOULDBLOCK) {
            close(fd);
            return pt__error(s->ctx, PT_EIO, "%s: cannot lock: %s", file, strerror(err));
        }
        if (pt__now() >= limit) {
            char pid[32] = "";
            ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
            pid[k > 0 ? k : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            close(fd);
            return pt__error(s->ctx, PT_EIO,
                             "store %s is open for writing by another process%s%s%s (an "
                             "import?); gave up after %.0f s",
                             s->path, pid[0] != '\0' ? " (pid " : "", pid,
                             pid[0] != '\0' ? ")" : "", lock_timeout());
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* The pid is only for messages; a lock file we cannot write is still a lock. */
        pt__log(s->ctx, PT_LOG_DEBUG, "%s: cannot record the pid", file);
    }
    s->lock_fd = fd;
    return PT_OK;
}

/* Delete segment and temporary files that the manifest does not name: leftovers of a commit
 * that crashed before or after switching the manifest. Only names of our own patterns are
 * touched; anything else in the directory is left alone. Called with the writer's lock. */
static void remove_strays(pt_store *s, const char *current) {
    DIR *d = opendir(s->path);
    int removed = 0;
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int stray = is_segment_name(e->d_name, ".tmp") ||
                    (is_segment_name(e->d_name, "") && strcmp(e->d_name, current) != 0);
        if (!stray) {
            continue;
        }
        char file[4096];
        if (join(s->ctx, file, sizeof file, s->path, e->d_name) == PT_OK && unlink(file) == 0) {
            pt__log(s->ctx, PT_LOG_INFO, "%s: removed stray %s (left by an interrupted commit)",
                    s->path, e->d_name);
            removed++;
        }
    }
    closedir(d);
    if (removed > 0) {
        sync_dir(s->path);
    }
}

/* Open and map the segment that the manifest names, re-reading the manifest when the file has
 * vanished (a writer in another process committed and deleted it after we read the row).
 * Leaves an empty graph when the store has no segment. */
static int load_current(pt_store *s) {
    int rc = PT_OK;
    cur_row row;
    for (int attempt = 0;; attempt++) {
        PT_TRY(db_current(s, &row));
        if (!row.present) {
            PT_TRY(pt__graph_shell(s->ctx, &s->graph));
            s->generation = 0;
            break;
        }
        if (!s->readonly && s->lock_fd >= 0) {
            remove_strays(s, row.file);
        }
        char file[4096];
        PT_TRY(join(s->ctx, file, sizeof file, s->path, row.file));
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (err == ENOENT && attempt + 1 < OPEN_RETRIES) {
                continue;
            }
            rc = err == ENOENT
                     ? pt__error(s->ctx, PT_ESTORE,
                                 "%s: the manifest names this segment but it is "
                                 "missing",
                                 file)
                     : pt__error(s->ctx, PT_EIO, "%s: cannot open: %s", file, strerror(err));
            goto done;
        }
        pt__seg_info info;
        rc = pt__segment_map(s->ctx, fd, file, &s->graph, &info);
        close(fd);
        if (rc != PT_OK) {
            goto done;
        }
        if (info.generation != row.generation || info.file_len != row.bytes ||
            info.header_crc != row.crc) {
            rc = pt__error(s->ctx, PT_ESTORE,
                           "%s: header (generation %" PRIu64 ", %" PRIu64 " bytes, crc 0x%08x) "
                           "does not match the manifest (generation %" PRIu64 ", %" PRIu64
                           " bytes, crc 0x%08x): the file was replaced, section 'header'",
                           file, info.generation, info.file_len, info.header_crc, row.generation,
                           row.bytes, row.crc);
            pt_graph_free(s->graph);
            s->graph = NULL;
            goto done;
        }
        s->generation = row.generation;
        s->seg_bytes = row.bytes;
        s->seg_crc = row.crc;
        break;
    }
done:
    if (rc == PT_ENOMEM && pt_ctx_errcode(s->ctx) != PT_ENOMEM) {
        pt__error(s->ctx, PT_ENOMEM, "%s: out of memory opening the store", s->path);
    }
    return rc;
}

/* --- API ------------------------------------------------------------------------------------ */

int pt_store_open(pt_ctx *ctx, const char *path, int flags, pt_store **out) {
    int rc = PT_OK;
    pt_store *s = NULL;
    struct stat st;

    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return pt__error(ctx, PT_EINVAL, "pt_store_open: empty path");
    }
    int creating = 0;
    if (stat(path, &st) != 0) {
        int err = errno;
        if (err != ENOENT) {
            return pt__error(ctx, PT_EIO, "store %s: %s", path, strerror(err));
        }
        if (!(flags & PT_STORE_CREATE) || (flags & PT_STORE_READONLY)) {
            return pt__error(ctx, PT_ENOTFOUND, "store %s does not exist", path);
        }
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            err = errno;
            return pt__error(ctx, io_code(err), "store %s: cannot create the directory: %s", path,
                             strerror(err));
        }
        creating = 1;
    } else if (!S_ISDIR(st.st_mode)) {
        return pt__error(ctx, PT_ESTORE,
                         "%s is not a store directory (a store is a directory "
                         "holding manifest.db)",
                         path);
    }

    s = pt__calloc(ctx, 1, sizeof *s);
    if (s == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory opening store %s", path);
        goto done;
    }
    s->ctx = ctx;
    s->lock_fd = -1;
    PT_TRY(pt__log_init(s));
    s->path = pt__strdup(ctx, path);
    if (s->path == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory opening store %s", path);
        goto done;
    }
    if (flags & PT_STORE_READONLY) {
        s->readonly = 1;
        snprintf(s->ro_reason, sizeof s->ro_reason, "opened with PT_STORE_READONLY");
    } else {
        PT_TRY(take_lock(s));
    }

    char file[4096];
    PT_TRY(join(ctx, file, sizeof file, path, "manifest.db"));
    int have_manifest = access(file, F_OK) == 0;
    if (!have_manifest) {
        if (!(flags & PT_STORE_CREATE) && !creating) {
            rc = pt__error(ctx, PT_ENOTFOUND, "%s is not a Portrait store (no manifest.db)", path);
            goto done;
        }
        if (s->readonly) {
            rc = pt__error(ctx, PT_ENOTFOUND, "%s has no manifest.db and is read-only (%s)", path,
                           s->ro_reason);
            goto done;
        }
    }
    PT_TRY(db_open(s, !have_manifest));
    PT_TRY(load_current(s));
    PT_TRY(pt__log_open(s));
    *out = s;
    s = NULL;
done:
    pt_store_close(s);
    return rc;
}

void pt_store_close(pt_store *s) {
    if (s == NULL) {
        return;
    }
    pt__log_close(s);
    pt_graph_free(s->graph);
    if (s->db != NULL) {
        sqlite3_close(s->db);
    }
    if (s->lock_fd >= 0) {
        close(s->lock_fd); /* releases the flock */
    }
    pt__free(s->ctx, s->path);
    pt__free(s->ctx, s);
}

pt_graph *pt_store_graph(pt_store *s) {
    return s->graph;
}

uint64_t pt_store_generation(const pt_store *s) {
    return s->generation;
}

const char *pt_store_path(const pt_store *s) {
    return s->path;
}

/* Write `g` to the temporary file `tmp`, fsync it and close it. On failure the temporary file
 * is removed. Fills `*info`. */
static int write_temp(pt_store *s, pt_graph *g, const char *tmp, uint64_t gen, pt__seg_info *info) {
    int rc = PT_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno;
        return pt__error(s->ctx, io_code(err), "%s: cannot create: %s", tmp, strerror(err));
    }
    rc = pt__segment_write(s->ctx, g, fd, tmp, gen, info);
    if (rc == PT_OK && fsync(fd) != 0) {
        int err = errno;
        rc = pt__error(s->ctx, io_code(err), "%s: fsync failed: %s", tmp, strerror(err));
    }
    if (close(fd) != 0 && rc == PT_OK) {
        int err = errno;
        rc = pt__error(s->ctx, io_code(err), "%s: close failed: %s", tmp, strerror(err));
    }
    if (rc != PT_OK) {
        unlink(tmp);
    }
    return rc;
}

int pt_store_commit(pt_store *s, pt_graph *g, const char *note) {
    if (g == NULL) {
        return pt__error(s->ctx, PT_EINVAL, "pt_store_commit: graph is NULL");
    }
    /* Appends wait while the snapshot is written. Committing the store's own graph folds the
     * log (every acknowledged event is applied to it); another graph leaves the marker, and
     * the log replays onto it at the next open (replay is idempotent: see eventlog.c). */
    pt__log_acquire(s);
    int64_t fold = g == s->graph ? (int64_t)s->log_last : -1;
    int rc = pt__store_commit_locked(s, g, note, fold);
    pt__log_release(s);
    return rc;
}

int pt__store_commit_locked(pt_store *s, pt_graph *g, const char *note, int64_t fold) {
    int rc = PT_OK;
    if (fold >= 0 && s->apply_failed && g == s->graph) {
        return pt__error(s->ctx, PT_ENOMEM,
                         "store %s: some logged events are missing from the graph (out of "
                         "memory when they were applied); close and reopen the store, which "
                         "replays them, before committing",
                         s->path);
    }
    char tmp[4096], file[4096], old[4096], name[64];
    pt_ctx *ctx = s->ctx;

    if (g == NULL) {
        return pt__error(ctx, PT_EINVAL, "pt_store_commit: graph is NULL");
    }
    if (s->readonly) {
        return pt__error(ctx, PT_EFULL, "store %s is read-only (%s)", s->path, s->ro_reason);
    }
    uint64_t gen = s->generation + 1;
    seg_name(name, sizeof name, gen);
    PT_TRY(join(ctx, file, sizeof file, s->path, name));
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", file);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        return pt__error(ctx, PT_ELIMIT, "store path too long: %s", file);
    }
    old[0] = '\0';
    if (s->generation > 0) {
        char oname[64];
        seg_name(oname, sizeof oname, s->generation);
        PT_TRY(join(ctx, old, sizeof old, s->path, oname));
    }

    /* 1. The new segment, durable under its final name before anything points at it. */
    pt__seg_info info;
    PT_TRY(write_temp(s, g, tmp, gen, &info));
    if (rename(tmp, file) != 0) {
        int err = errno;
        unlink(tmp);
        return pt__error(ctx, io_code(err), "%s: cannot rename into place: %s", tmp, strerror(err));
    }
    int err = sync_dir(s->path);
    if (err != 0) {
        unlink(file);
        return pt__error(ctx, io_code(err), "store %s: fsync of the directory failed: %s", s->path,
                         strerror(err));
    }
    /* 2. The switch: one SQLite transaction (WAL, synchronous=FULL). */
    rc = db_switch(s, g, gen, name, info.file_len, info.header_crc, note, fold);
    if (rc != PT_OK) {
        unlink(file);
        sync_dir(s->path);
        return rc;
    }
    /* 3. The old segment is garbage now; if this fails, the next writer's open removes it. */
    if (old[0] != '\0' && unlink(old) == 0) {
        sync_dir(s->path);
    }
    if (s->graph != g) {
        pt_graph_free(s->graph);
        pt__log_graph_changed(s);
    }
    s->graph = g;
    if (fold >= 0) {
        pthread_mutex_lock(&s->mu);
        s->log_folded = (uint64_t)fold;
        pthread_mutex_unlock(&s->mu);
    }
    s->generation = gen;
    s->seg_bytes = info.file_len;
    s->seg_crc = info.header_crc;
done:
    return rc;
}

int pt_store_verify(pt_store *s) {
    char file[4096], name[64];
    int rc = PT_OK;
    pt_ctx *ctx = s->ctx;
    if (s->generation == 0) {
        return PT_OK;
    }
    seg_name(name, sizeof name, s->generation);
    PT_TRY(join(ctx, file, sizeof file, s->path, name));
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return pt__error(ctx, err == ENOENT ? PT_ESTORE : PT_EIO, "%s: cannot open: %s", file,
                         strerror(err));
    }
    pt__seg_info info;
    rc = pt__segment_verify(ctx, fd, file, &info);
    close(fd);
    if (rc != PT_OK) {
        goto done;
    }
    if (info.file_len != s->seg_bytes || info.header_crc != s->seg_crc ||
        info.generation != s->generation) {
        rc = pt__error(ctx, PT_ESTORE,
                       "%s: the file no longer matches the manifest, section "
                       "'header'",
                       file);
        goto done;
    }
    if (pt__graph_check(s->graph) != PT_OK) {
        rc = pt__error_prefix(ctx, "%s: graph invariants violated", file);
        if (s->graph->map_base != NULL) {
            /* The graph came straight from this segment: the file is what is wrong. */
            ctx->errcode = rc = PT_ESTORE;
        }
    }
done:
    return rc;
}

/* --- for tests and fuzzing ------------------------------------------------------------------ */

int pt__store_set_current(pt_ctx *ctx, const char *dir, uint64_t generation) {
    char name[64], file[4096], db_path[4096];
    int rc = PT_OK;
    seg_name(name, sizeof name, generation);
    PT_TRY(join(ctx, file, sizeof file, dir, name));
    PT_TRY(join(ctx, db_path, sizeof db_path, dir, "manifest.db"));
    /* Record the file as found: its size and the CRC field of its header, if it has one. */
    uint32_t crc = 0;
    struct stat st;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = pt__error(ctx, PT_EIO, "%s: %s", file, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        goto done;
    }
    if (st.st_size >= PT__SEG_PAGE && pread(fd, &crc, 4, PT__SEG_PAGE - 4) != 4) {
        crc = 0;
    }
    close(fd);
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    int src = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (src == SQLITE_OK) {
        /* Speed over durability: this serves tests and fuzzing, thousands of times a run. */
        src = sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN; DELETE FROM segments", NULL, NULL,
                           NULL);
    }
    if (src == SQLITE_OK) {
        src = sqlite3_prepare_v2(db,
                                 "INSERT INTO segments(generation, file, bytes, crc, created)"
                                 " VALUES(?, ?, ?, ?, 0)",
                                 -1, &ins, NULL);
    }
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)generation);
        sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)st.st_size);
        sqlite3_bind_int64(ins, 4, crc);
        src = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_finalize(ins);
    }
    if (src == SQLITE_OK) {
        src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (src != SQLITE_OK) {
        rc = pt__error(ctx, PT_EIO, "%s: cannot record %s: %s", db_path, name,
                       db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(src));
    }
    sqlite3_close(db);
done:
    return rc;
}
