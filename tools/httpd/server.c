/*
 * server.c - the HTTP service behind `portrait serve`: libmicrohttpd (one listening socket, a
 * pool of worker threads with epoll), request bookkeeping, authentication and limits, the
 * endpoint handlers, and the Prometheus metrics.
 *
 * Concurrency. The store's graph may grow while requests read it (events are appended by
 * pt_store_append_events), and a user's erasure replaces it. Three locks keep that safe:
 *   store_lock  readers: every request; writer: DELETE (pt_store_erase_user replaces the graph
 *               and the recommenders are rebuilt on the new one);
 *   rec_lock    readers: requests that query a recommender; writer: pt_recommender_sync after
 *               an append (the recommender is not safe to query while it syncs);
 *   the graph's own rwlock (pt_graph_rdlock) around every read of the graph; appends take its
 *               write side inside the library.
 * Order: store_lock, then rec_lock, then the graph lock; the graph lock is never held while
 * calling the library functions that take it themselves (append, sync), because it prefers
 * writers and is not recursive.
 * Each worker thread has its own pt_ctx (error messages), a pt_rec_scratch per model, a
 * breadth-first buffer for neighbourhoods and a memfd for SPARQL results, made on its first
 * request and kept until the service stops.
 * Event batches are not appended by the workers: h_events suspends the connection and queues
 * the batch for the writer threads (WRITERS), which append, sync and resume it, so a batch
 * waiting for its fsync never holds a worker, and batches in flight share commits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/render.h"
#include "http_parse.h"
#include "httpd.h"
#include "portrait/portrait.h"
#include "portrait/pt_live.h"

/* The page of GET /, embedded at build time from tools/httpd/page.html (embed.cmake). */
extern const unsigned char httpd_page[];
extern const size_t httpd_page_len;

/* --- types --------------------------------------------------------------------------------- */

/* The recommenders the service builds (one: the walks of pt_walk.h with their defaults). */
enum { M_WALK = 0, M_COUNT };

/* The models a request may ask for: the walks, the behaviour-sequence CNN of --seq-model
 * (pt_seq.h), or their blend, as `portrait recommend --model` names them. */
enum { MODEL_WALK = 0, MODEL_SEQ, MODEL_HYBRID, MODEL_COUNT };
static const char *const model_names[MODEL_COUNT] = {"walk", "seq", "hybrid"};

/* Status codes counted in the metrics (the last slot counts any other). */
static const int status_codes[] = {200, 201, 400, 401, 403, 404, 405, 413, 414, 415, 500, 503};
#define N_STATUS (sizeof status_codes / sizeof status_codes[0] + 1)

/* Upper bounds (seconds) of the latency histogram's buckets; +Inf is implicit. */
static const double lat_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                    0.05,   0.1,   0.2,   0.5,   1.0,  5.0};
#define N_BUCKETS (sizeof lat_bounds / sizeof lat_bounds[0] + 1)

/* Per-thread state of a worker (see the file comment). */
typedef struct worker {
    struct worker *next;
    pt_ctx *ctx;
    pt_rec_scratch *sc[M_COUNT];
    uint64_t gen;            /* the recommender generation sc[] belong to */
    int32_t *hop;            /* neighbourhood: hop of each node, -1 = not reached */
    pt_node_id *queue;
    size_t node_cap;
    pt_rec_item *items;      /* recommendation results */
    size_t items_cap;
    int memfd;               /* SPARQL output */
    pt_seq_model *seq;       /* this thread's copy of the sequence model (one thread at a time
                                may use a model), bound to graph seq_g as it was with seq_nodes
                                nodes and seq_edges edges (appends only grow them) */
    const pt_graph *seq_g;
    uint32_t seq_nodes;
    uint64_t seq_edges;
} worker;

/* The recommendation cache: rendered responses in CACHE_SETS sets of CACHE_WAYS slots, each
 * tagged with what it depended on (see cache_get). A key lives in the set its hash picks and
 * replaces the set's oldest slot (direct mapping made about a fifth of 943 users evict each
 * other for good). 64 stripes of locks over the sets; a slot's body is replaced whole. */
#define CACHE_SETS 4096
#define CACHE_WAYS 4
#define CACHE_STRIPES 64
#define USER_VER_SLOTS 65536
/* Threads that append event batches. A batch waits for its commit's fsync in one of them (no
 * CPU), and batches in flight together share one fsync (group commit), so there are more of
 * them than cores; the pool's workers stay free for reads meanwhile. */
#define WRITERS 16
typedef struct ev_job ev_job;
typedef struct cache_slot {
    uint64_t hash;      /* fnv1a(key) */
    char key[160];
    char *body;
    size_t len;
    double made;        /* monotonic seconds */
    uint64_t epoch;     /* h->epoch when computed */
    uint32_t user_ver;  /* the user's version when computed */
} cache_slot;

struct httpd {
    httpd_opts o;
    char *token;
    size_t token_len;
    char bind[64];
    struct MHD_Daemon *d;
    int port;
    pt_ctx *ctx;             /* the store's and the recommenders' ctx */
    pt_store *st;
    pthread_rwlock_t store_lock, rec_lock;
    pt_recommender *rec[M_COUNT];
    uint64_t rec_gen;        /* bumped whenever the recommenders are rebuilt */
    char *seq_path;          /* --seq-model, or NULL */
    pt_textclf *sentiment;   /* --sentiment-model, or NULL; used under store_lock exclusively */
    pt_ctx *tag_ctx;         /* its context (messages of the tagging writer) */
    pt_node_id tag_next;     /* nodes below this were looked at for new reviews */
    _Atomic uint64_t reviews_scored;
    pthread_mutex_t sync_mu; /* see sync_models */
    /* writer threads of POST /v1/events (h_events): a queue of jobs */
    pthread_mutex_t wq_mu;
    pthread_cond_t wq_cv;
    ev_job *wq_head, *wq_tail;
    int wq_stop;
    pthread_t writers[WRITERS];
    int n_writers;
    _Atomic uint64_t appended;
    uint64_t synced;
    _Atomic uint64_t syncs;
    pthread_key_t wkey;
    pthread_mutex_t wmu;     /* guards the worker list */
    worker *workers;
    double started;
    /* metrics */
    _Atomic uint64_t requests[HP_R_COUNT_][N_STATUS];
    _Atomic uint64_t lat_bucket[HP_R_COUNT_][N_BUCKETS];
    _Atomic uint64_t lat_sum_us[HP_R_COUNT_];
    _Atomic uint64_t events_ingested, event_batches, sync_failures;
    _Atomic uint64_t cache_hits, cache_misses;
    /* cache (o.cache_ms > 0) */
    cache_slot *cache;
    pthread_mutex_t cache_mu[CACHE_STRIPES];
    _Atomic uint64_t epoch;                     /* bumped by erasures: every entry goes */
    _Atomic uint32_t user_ver[USER_VER_SLOTS]; /* bumped by a user's events (hashed by node) */
};

/* An event batch handed to the writer threads (see h_events): the connection is suspended
 * meanwhile, and resumed with the outcome filled in. */
struct ev_job {
    struct ev_job *next;
    struct req *r;
    struct MHD_Connection *c;
    pt_event_batch *b;
    pt_live_event *ev;
    size_t n;
    int rc;            /* outcome of the append */
    uint64_t first;
    char msg[512];
};

/* One request (MHD's con_cls), made when its URI arrives and freed when it completes. */
typedef struct req {
    httpd *h;
    char *uri;
    double t0;
    hp_route route;
    int status;
    int started;
    int too_large;
    char *body;
    size_t body_len, body_cap;
    ev_job *job;       /* an event batch being written, or done */
    int job_done;
} req;

/* --- small helpers ------------------------------------------------------------------------- */

/* Monotonic seconds. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The worker state of the calling thread, made on first use; NULL when out of memory. */
static worker *worker_get(httpd *h) {
    worker *w = pthread_getspecific(h->wkey);
    if (w != NULL) {
        return w;
    }
    w = calloc(1, sizeof *w);
    if (w == NULL) {
        return NULL;
    }
    w->memfd = -1;
    if (pt_ctx_new(&w->ctx) != PT_OK) {
        free(w);
        return NULL;
    }
    pthread_mutex_lock(&h->wmu);
    w->next = h->workers;
    h->workers = w;
    pthread_mutex_unlock(&h->wmu);
    pthread_setspecific(h->wkey, w);
    return w;
}

/* Free the scratches of a worker (the recommenders are about to be replaced). */
static void worker_drop_scratch(worker *w) {
    for (int m = 0; m < M_COUNT; m++) {
        pt_rec_scratch_free(w->sc[m]);
        w->sc[m] = NULL;
    }
}

/* Free a worker. */
static void worker_free(worker *w) {
    worker_drop_scratch(w);
    free(w->hop);
    free(w->queue);
    free(w->items);
    if (w->memfd >= 0) {
        close(w->memfd);
    }
    pt_seq_model_free(w->seq);
    pt_ctx_free(w->ctx);
    free(w);
}

/* The scratch of model m for this worker, made for the current recommenders when needed.
 * Caller holds rec_lock (read). NULL when the model is absent or out of memory. */
static pt_rec_scratch *worker_scratch(httpd *h, worker *w, int m) {
    if (w->gen != h->rec_gen) {
        worker_drop_scratch(w);
        w->gen = h->rec_gen;
    }
    if (w->sc[m] == NULL && h->rec[m] != NULL) {
        if (pt_rec_scratch_new(h->rec[m], &w->sc[m]) != PT_OK) {
            w->sc[m] = NULL;
        }
    }
    return w->sc[m];
}

/* Room for n recommendation results in the worker. Returns 0 or -1. */
static int worker_items(worker *w, size_t n) {
    if (n <= w->items_cap) {
        return 0;
    }
    pt_rec_item *it = realloc(w->items, n * sizeof *it);
    if (it == NULL) {
        return -1;
    }
    w->items = it;
    w->items_cap = n;
    return 0;
}

/* --- responses ----------------------------------------------------------------------------- */

/* Queue `buf` (len bytes, malloc'd; taken over, even on failure) as the response. */
static enum MHD_Result respond(struct MHD_Connection *c, req *r, int status, const char *ctype,
                               char *buf, size_t len, const char *allow) {
    struct MHD_Response *resp =
        buf != NULL ? MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE)
                    : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (allow != NULL) {
        MHD_add_response_header(resp, "Allow", allow);
    }
    if (status == 401) {
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"portrait\"");
    }
    if (r->route == HP_R_PAGE && status == 200) {
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; script-src 'unsafe-inline'; style-src "
                                "'unsafe-inline'; img-src 'self' data:");
    }
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Queue a JSON error {"error": {"code", "message", "field"?}}. */
static enum MHD_Result respond_error(struct MHD_Connection *c, req *r, int status,
                                     const char *field, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static enum MHD_Result respond_error(struct MHD_Connection *c, req *r, int status,
                                     const char *field, const char *allow, const char *fmt, ...) {
    const char *code = "internal";
    switch (status) {
    case 400:
        code = "bad_request";
        break;
    case 401:
        code = "unauthorized";
        break;
    case 403:
        code = "forbidden";
        break;
    case 404:
        code = "not_found";
        break;
    case 405:
        code = "method_not_allowed";
        break;
    case 413:
        code = "payload_too_large";
        break;
    case 414:
        code = "uri_too_long";
        break;
    case 415:
        code = "unsupported_media_type";
        break;
    case 503:
        code = "unavailable";
        break;
    default:
        break;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return MHD_NO;
    }
    fprintf(f, "{\"error\":{\"code\":\"%s\",\"message\":", code);
    render_json_str(f, msg);
    if (field != NULL) {
        fprintf(f, ",\"field\":");
        render_json_str(f, field);
    }
    fprintf(f, "}}\n");
    fclose(f);
    return respond(c, r, status, "application/json", buf, len, allow);
}

/* Close the memstream `f` (glibc may move the buffer at fclose, so *buf is read after it)
 * and queue its text as the response. */
static enum MHD_Result respond_stream(struct MHD_Connection *c, req *r, int status, FILE *f,
                                      char **buf, size_t *len, const char *ctype) {
    if (fclose(f) != 0 || *buf == NULL) {
        free(*buf);
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    return respond(c, r, status, ctype, *buf, *len, NULL);
}

/* Finish a response written into an open_memstream. */
#define STREAM_DONE(c, r, status, f, buf, len, ctype)                                              \
    respond_stream((c), (r), (status), (f), &(buf), &(len), (ctype))

/* --- ids ----------------------------------------------------------------------------------- */

/* Resolve a user id as the CLI does; PT_NONE unless it names a user (a node of class User, or
 * one with behaviour in the walk model). Caller holds the locks. */
static pt_node_id find_user(httpd *h, const pt_graph *g, const char *id) {
    pt_node_id v = pt_graph_resolve(g, id, PT_CLASS_USER);
    if (v == PT_NONE) {
        return PT_NONE;
    }
    if (pt_graph_node_class(g, v) == PT_CLASS_USER) {
        return v;
    }
    if (h->rec[M_WALK] != NULL && pt_recommender_user_items(h->rec[M_WALK], v) > 0) {
        return v;
    }
    return PT_NONE;
}

/* Resolve an item id; PT_NONE unless the walk model knows it as an item. */
static pt_node_id find_item(httpd *h, const pt_graph *g, const char *id) {
    pt_node_id v = pt_graph_resolve(g, id, PT_CLASS_ITEM);
    if (v == PT_NONE || h->rec[M_WALK] == NULL || !pt_recommender_is_item(h->rec[M_WALK], v)) {
        return PT_NONE;
    }
    return v;
}

/* Display name of a node: the local id for the store's own IRIs, else a prefixed name (as
 * `portrait neighborhood` prints it). */
static const char *node_name(const pt_graph *g, pt_node_id v, char *buf, size_t cap) {
    const char *s = pt_graph_node_str(g, v);
    const char *base = pt_graph_base(g);
    if (s != NULL && pt_graph_node_kind(g, v) == PT_TERM_IRI &&
        (base[0] == '\0' || strncmp(s, base, strlen(base)) != 0)) {
        return render_compact_iri(g, s, buf, cap);
    }
    pt_graph_display_id(g, v, buf, cap);
    return buf;
}

/* Parse ?model= into *m (MODEL_*). Returns 0, or -1 when the value names no model this
 * service has (the caller answers 400 naming the value). */
static int parse_model(httpd *h, const char *s, int *m) {
    if (s == NULL || *s == '\0' || strcmp(s, "walk") == 0) {
        *m = MODEL_WALK;
        return 0;
    }
    if (h->seq_path != NULL && strcmp(s, "seq") == 0) {
        *m = MODEL_SEQ;
        return 0;
    }
    if (h->seq_path != NULL && strcmp(s, "hybrid") == 0) {
        *m = MODEL_HYBRID;
        return 0;
    }
    return -1;
}

/* The models available, as "walk, seq, hybrid". */
static const char *models_available(httpd *h) {
    return h->seq_path != NULL ? "walk, seq, hybrid" : "walk (seq and hybrid need --seq-model)";
}

/* This worker's sequence model, loaded on first use and bound to the current graph whenever
 * the data changed since. Caller holds the read locks (the graph's included). NULL with the
 * reason in the worker's ctx on failure. */
static pt_seq_model *worker_seq(httpd *h, worker *w, const pt_graph *g) {
    if (w->seq == NULL) {
        if (pt_seq_load(w->ctx, h->seq_path, &w->seq) != PT_OK) {
            w->seq = NULL;
            return NULL;
        }
        w->seq_g = NULL;
    }
    /* Under the graph's read lock the graph cannot change, and appends only add nodes and
     * edges, so (graph, nodes, edges) names exactly what the binding saw. */
    uint32_t nodes = pt_graph_node_count(g);
    uint64_t edges = pt_graph_edge_count(g);
    if (w->seq_g != g || w->seq_nodes != nodes || w->seq_edges != edges) {
        if (pt_seq_bind(w->ctx, w->seq, g, NULL) != PT_OK) {
            w->seq_g = NULL;
            return NULL;
        }
        w->seq_g = g;
        w->seq_nodes = nodes;
        w->seq_edges = edges;
    }
    return w->seq;
}

/* --- the recommendation cache ------------------------------------------------------------- */

/* FNV-1a over a NUL-terminated key (Fowler, Noll, Vo). */
static uint64_t fnv1a(const char *s) {
    uint64_t x = 1469598103934665603ull;
    for (; *s; s++) {
        x = (x ^ (unsigned char)*s) * 1099511628211ull;
    }
    return x;
}

/* The version slot of user node u. Distinct users may share a slot; that only invalidates
 * more than needed. */
static _Atomic uint32_t *user_ver(httpd *h, pt_node_id u) {
    return &h->user_ver[(u * 2654435761u) % USER_VER_SLOTS];
}

/* A copy of the cached response for `key` (malloc'd, *len bytes), or NULL. An entry counts
 * only while (1) no erasure happened since it was made (epoch), (2) the user has posted no
 * event since (user_ver, bumped before the POST is acknowledged, so a user's own events show
 * at once), and (3) it is younger than o.cache_ms: other users' events change a user's scores
 * only through co-behaviour, and that staleness is bounded by this age. */
static char *cache_get(httpd *h, const char *key, pt_node_id u, size_t *len) {
    if (h->cache == NULL) {
        return NULL;
    }
    uint64_t hv = fnv1a(key);
    cache_slot *set = &h->cache[(hv % CACHE_SETS) * CACHE_WAYS];
    pthread_mutex_t *mu = &h->cache_mu[hv % CACHE_SETS % CACHE_STRIPES];
    char *out = NULL;
    pthread_mutex_lock(mu);
    for (int i = 0; i < CACHE_WAYS; i++) {
        const cache_slot *sl = &set[i];
        if (sl->body != NULL && sl->hash == hv && strcmp(sl->key, key) == 0) {
            if (sl->epoch == atomic_load(&h->epoch) &&
                sl->user_ver == atomic_load(user_ver(h, u)) &&
                now_s() - sl->made <= (double)h->o.cache_ms * 1e-3) {
                out = malloc(sl->len + 1);
                if (out != NULL) {
                    memcpy(out, sl->body, sl->len);
                    *len = sl->len;
                }
            }
            break;
        }
    }
    pthread_mutex_unlock(mu);
    atomic_fetch_add(out != NULL ? &h->cache_hits : &h->cache_misses, 1);
    return out;
}

/* Store a copy of a response computed under (epoch, uv), both read before computing it: in
 * the slot that holds the key already, else an empty one, else the set's oldest. */
static void cache_put(httpd *h, const char *key, const char *body, size_t len, uint64_t epoch,
                      uint32_t uv) {
    if (h->cache == NULL || strlen(key) >= sizeof h->cache[0].key) {
        return;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return;
    }
    memcpy(copy, body, len);
    uint64_t hv = fnv1a(key);
    cache_slot *set = &h->cache[(hv % CACHE_SETS) * CACHE_WAYS];
    pthread_mutex_t *mu = &h->cache_mu[hv % CACHE_SETS % CACHE_STRIPES];
    pthread_mutex_lock(mu);
    cache_slot *sl = NULL;
    for (int i = 0; i < CACHE_WAYS && sl == NULL; i++) {
        if (set[i].body != NULL && set[i].hash == hv && strcmp(set[i].key, key) == 0) {
            sl = &set[i];
        }
    }
    for (int i = 0; i < CACHE_WAYS && sl == NULL; i++) {
        if (set[i].body == NULL) {
            sl = &set[i];
        }
    }
    if (sl == NULL) {
        sl = &set[0];
        for (int i = 1; i < CACHE_WAYS; i++) {
            sl = set[i].made < sl->made ? &set[i] : sl;
        }
    }
    char *old = sl->body;
    sl->hash = hv;
    snprintf(sl->key, sizeof sl->key, "%s", key);
    sl->body = copy;
    sl->len = len;
    sl->made = now_s();
    sl->epoch = epoch;
    sl->user_ver = uv;
    pthread_mutex_unlock(mu);
    free(old);
}

/* --- read endpoints ------------------------------------------------------------------------ */

/* Take the read locks of a request that reads the graph and the recommenders. */
static pt_graph *read_begin(httpd *h) {
    pthread_rwlock_rdlock(&h->store_lock);
    pthread_rwlock_rdlock(&h->rec_lock);
    pt_graph *g = pt_store_graph(h->st);
    pt_graph_rdlock(g);
    return g;
}

/* Release what read_begin took. */
static void read_end(httpd *h, pt_graph *g) {
    pt_graph_unlock(g);
    pthread_rwlock_unlock(&h->rec_lock);
    pthread_rwlock_unlock(&h->store_lock);
}

/* GET /v1/users/{id}/profile[?recs=N] */
static enum MHD_Result h_profile(struct MHD_Connection *c, req *r, worker *w,
                                 const hp_target *t, const char *id) {
    static const char *const allowed[] = {"recs", NULL};
    httpd *h = r->h;
    const char *bad = hp_param_unknown(t, allowed);
    if (bad != NULL) {
        return respond_error(c, r, 400, bad, NULL, "unknown parameter '%s'", bad);
    }
    uint64_t recs = 5;
    const char *rs = hp_param_get(t, "recs");
    if (rs != NULL && hp_parse_uint(rs, 0, h->o.max_k, &recs) != 0) {
        return respond_error(c, r, 400, "recs", NULL, "recs: '%s' is not a whole number 0..%u",
                             rs, h->o.max_k);
    }
    pt_graph *g = read_begin(h);
    pt_node_id u = find_user(h, g, id);
    if (u == PT_NONE) {
        read_end(h, g);
        return respond_error(c, r, 404, "id", NULL, "no user '%s' in the store", id);
    }
    /* The embedding: with --seq-model computed from the user's latest items (so a posted
     * event shows), else the vector the node holds. pt_graph_get_vector takes the graph's read
     * lock itself, so that one lock is let go meanwhile; the store lock still held keeps `u`
     * (an erasure would renumber the graph). */
    float vec[1024];
    render_embedding emb;
    int has_emb = 0;
    pt_seq_model *sm = h->seq_path != NULL ? worker_seq(h, w, g) : NULL;
    if (sm != NULL) {
        has_emb = pt_seq_user_dim(sm) <= 1024 && pt_seq_user_vector(w->ctx, sm, u, vec) == PT_OK;
        emb = (render_embedding){PT_SEQUENCE_EMBEDDING, "sequence model", vec,
                                 pt_seq_user_dim(sm)};
    } else if (h->seq_path == NULL) {
        pt_graph_unlock(g);
        has_emb = render_stored_embedding(g, u, vec, 1024, &emb);
        pt_graph_rdlock(g);
    }
    pt_profile_opts o;
    pt_profile_opts_default(&o);
    o.now = pt_graph_latest_time(g);
    pt_profile *p = NULL;
    int rc = pt_profile_build(w->ctx, g, u, &o, &p);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = NULL;
    if (rc == PT_OK && (f = open_memstream(&buf, &len)) == NULL) {
        rc = PT_ENOMEM;
    }
    if (rc == PT_OK) {
        pt_rec_scratch *sc = worker_scratch(h, w, M_WALK);
        rc = render_profile_json(f, g, p, has_emb ? &emb : NULL,
                                 sc != NULL ? h->rec[M_WALK] : NULL, sc, (uint32_t)recs);
    }
    pt_profile_free(w->ctx, p);
    read_end(h, g);
    if (rc != PT_OK) {
        if (f != NULL) {
            fclose(f);
            free(buf);
        }
        return respond_error(c, r, rc == PT_ENOTFOUND ? 404 : 500, NULL, NULL, "%s",
                             pt_ctx_errmsg(w->ctx));
    }
    return STREAM_DONE(c, r, 200, f, buf, len, "application/json");
}

/* GET /v1/users/{id}/recommendations?k=&explain=&category=&exclude=&model=&include_seen= */
static enum MHD_Result h_recs(struct MHD_Connection *c, req *r, worker *w, const hp_target *t,
                              const char *id) {
    static const char *const allowed[] = {"k",     "explain", "category", "exclude",
                                          "model", "include_seen", NULL};
    httpd *h = r->h;
    const char *bad = hp_param_unknown(t, allowed);
    if (bad != NULL) {
        return respond_error(c, r, 400, bad, NULL, "unknown parameter '%s'", bad);
    }
    uint64_t k = 10;
    const char *ks = hp_param_get(t, "k");
    if (ks != NULL && hp_parse_uint(ks, 1, h->o.max_k, &k) != 0) {
        return respond_error(c, r, 400, "k", NULL, "k: '%s' is not a whole number 1..%u", ks,
                             h->o.max_k);
    }
    int explain = 0, seen = 0;
    const char *es = hp_param_get(t, "explain"), *ss = hp_param_get(t, "include_seen");
    if (es != NULL && hp_parse_bool(es, &explain) != 0) {
        return respond_error(c, r, 400, "explain", NULL, "explain: '%s' is not true or false", es);
    }
    if (ss != NULL && hp_parse_bool(ss, &seen) != 0) {
        return respond_error(c, r, 400, "include_seen", NULL,
                             "include_seen: '%s' is not true or false", ss);
    }
    const char *exs = hp_param_get(t, "exclude");
    pt_node_id excl[256];
    size_t n_excl = 0;
    int m;
    const char *ms = hp_param_get(t, "model");
    if (parse_model(h, ms, &m) != 0) {
        return respond_error(c, r, 400, "model", NULL,
                             "model: '%s' is not available here (available: %s)", ms,
                             models_available(h));
    }
    if (explain && m != MODEL_WALK) {
        return respond_error(c, r, 400, "explain", NULL,
                             "explanation paths come from the walks: use model=walk");
    }
    pt_graph *g = read_begin(h);
    pt_node_id u = find_user(h, g, id);
    if (u == PT_NONE) {
        read_end(h, g);
        return respond_error(c, r, 404, "id", NULL, "no user '%s' in the store", id);
    }
    pt_node_id cat = PT_NONE;
    const char *cs = hp_param_get(t, "category");
    if (cs != NULL) {
        cat = pt_graph_resolve(g, cs, PT_CLASS_CATEGORY);
        if (cat == PT_NONE || pt_graph_node_class(g, cat) != PT_CLASS_CATEGORY) {
            read_end(h, g);
            return respond_error(c, r, 404, "category", NULL, "no category '%s' in the store",
                                 cs);
        }
    }
    if (exs != NULL) {
        /* Comma-separated item ids; ids the store does not know cannot be recommended anyway,
         * so they are skipped. */
        const char *s = exs;
        while (*s) {
            const char *e = strchr(s, ',');
            size_t l = e != NULL ? (size_t)(e - s) : strlen(s);
            char one[1024];
            if (n_excl == sizeof excl / sizeof excl[0]) {
                read_end(h, g);
                return respond_error(c, r, 400, "exclude", NULL, "exclude: more than %zu ids",
                                     sizeof excl / sizeof excl[0]);
            }
            if (l > 0 && l < sizeof one) {
                memcpy(one, s, l);
                one[l] = '\0';
                pt_node_id v = pt_graph_resolve(g, one, PT_CLASS_ITEM);
                if (v != PT_NONE) {
                    excl[n_excl++] = v;
                }
            }
            s += l;
            if (*s == ',') {
                s++;
            }
        }
    }
    /* The cache key: every value the answer depends on, after validation. The versions are
     * read under the locks, before computing (see cache_get). */
    char key[160];
    int kl = snprintf(key, sizeof key, "r|%u|%d|%llu|%d|%d|%u|%s", u, m, (unsigned long long)k,
                      explain, seen, cat, exs != NULL ? exs : "");
    int cacheable = h->cache != NULL && kl > 0 && (size_t)kl < sizeof key;
    uint64_t epoch = atomic_load(&h->epoch);
    uint32_t uv = atomic_load(user_ver(h, u));
    if (cacheable) {
        size_t clen = 0;
        char *hit = cache_get(h, key, u, &clen);
        if (hit != NULL) {
            read_end(h, g);
            return respond(c, r, 200, "application/json", hit, clen, NULL);
        }
    }
    pt_rec_scratch *sc = worker_scratch(h, w, M_WALK);
    if (sc == NULL || worker_items(w, (size_t)k) != 0) {
        read_end(h, g);
        return respond_error(c, r, 503, NULL, NULL, "no recommender (out of memory)");
    }
    pt_seq_model *sm = NULL;
    if (m != MODEL_WALK && (sm = worker_seq(h, w, g)) == NULL) {
        read_end(h, g);
        return respond_error(c, r, 500, NULL, NULL, "the sequence model: %s",
                             pt_ctx_errmsg(w->ctx));
    }
    pt_rec_query q;
    pt_rec_query_init(&q, u, (uint32_t)k);
    q.explain = explain;
    q.include_seen = seen;
    q.category = cat;
    q.exclude = excl;
    q.n_exclude = n_excl;
    size_t n = 0;
    int flags = 0;
    int rc = m == MODEL_WALK ? pt_recommend(h->rec[M_WALK], sc, &q, w->items, &n, &flags)
                             : pt_seq_recommend(w->ctx, sm, m == MODEL_HYBRID ? h->rec[M_WALK] : NULL,
                                                sc, -1.0, &q, w->items, &n, &flags);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = rc == PT_OK ? open_memstream(&buf, &len) : NULL;
    if (rc == PT_OK && f == NULL) {
        rc = PT_ENOMEM;
    }
    if (rc == PT_OK) {
        /* One thread writes this stream: no stdio locking per character (about a tenth of an
         * answer's CPU went to locked fputc and printf before). */
        __fsetlocking(f, FSETLOCKING_BYCALLER);
        const pt_walk_params *p = pt_recommender_params(h->rec[M_WALK]);
        fputs("{\"user\":", f);
        render_json_id(f, g, u);
        fprintf(f, ",\"model\":\"%s\",\"method\":\"%s\",\"popular\":%s,\"items\":[",
                model_names[m], m == MODEL_SEQ ? "seq" : pt_rec_method_name(p->method),
                flags == PT_REC_POPULAR ? "true" : "false");
        for (size_t j = 0; j < n; j++) {
            const pt_rec_item *it = &w->items[j];
            fputs(j ? ",{\"item\":" : "{\"item\":", f);
            render_json_id(f, g, it->item);
            fprintf(f, ",\"rank\":%zu,\"score\":", j + 1);
            render_json_g6(f, it->score);
            const char *ti = render_node_title(g, it->item);
            if (ti != NULL) {
                fputs(",\"title\":", f);
                render_json_str(f, ti);
            }
            if (it->popular) {
                fputs(",\"popular\":true", f);
            }
            if (explain) {
                fputs(",\"paths\":[", f);
                for (uint32_t pi = 0; pi < it->n_paths; pi++) {
                    if (pi) {
                        fputc(',', f);
                    }
                    render_json_path(f, g, &it->paths[pi]);
                }
                fputc(']', f);
            }
            fputc('}', f);
        }
        fprintf(f, "]}\n");
    }
    read_end(h, g);
    if (rc != PT_OK) {
        if (f != NULL) {
            fclose(f);
            free(buf);
        }
        return respond_error(c, r, rc == PT_EINVAL ? 400 : 500, NULL, NULL,
                             "recommendation failed: %s", pt_strerror(rc));
    }
    if (fclose(f) != 0 || buf == NULL) {
        free(buf);
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    if (cacheable) {
        cache_put(h, key, buf, len, epoch, uv);
    }
    return respond(c, r, 200, "application/json", buf, len, NULL);
}

/* GET /v1/explain?user=&item=[&format=json|svg][&model=] */
static enum MHD_Result h_explain(struct MHD_Connection *c, req *r, worker *w,
                                 const hp_target *t) {
    static const char *const allowed[] = {"user", "item", "format", "model", NULL};
    httpd *h = r->h;
    const char *bad = hp_param_unknown(t, allowed);
    if (bad != NULL) {
        return respond_error(c, r, 400, bad, NULL, "unknown parameter '%s'", bad);
    }
    const char *us = hp_param_get(t, "user"), *is = hp_param_get(t, "item");
    const char *fmt = hp_param_get(t, "format");
    if (us == NULL || *us == '\0') {
        return respond_error(c, r, 400, "user", NULL, "user is required");
    }
    if (is == NULL || *is == '\0') {
        return respond_error(c, r, 400, "item", NULL, "item is required");
    }
    if (fmt == NULL || *fmt == '\0') {
        fmt = "json";
    }
    int svg = strcmp(fmt, "svg") == 0;
    if (!svg && strcmp(fmt, "json") != 0) {
        return respond_error(c, r, 400, "format", NULL, "format: '%s' is not json or svg", fmt);
    }
    int m;
    const char *ms = hp_param_get(t, "model");
    if (parse_model(h, ms, &m) != 0 || m != MODEL_WALK) {
        return respond_error(c, r, 400, "model", NULL,
                             "model: '%s': explanation paths come from the walks (model=walk)",
                             ms);
    }
    m = M_WALK;
    pt_graph *g = read_begin(h);
    pt_node_id u = find_user(h, g, us);
    if (u == PT_NONE) {
        read_end(h, g);
        return respond_error(c, r, 404, "user", NULL, "no user '%s' in the store", us);
    }
    pt_node_id it = find_item(h, g, is);
    if (it == PT_NONE) {
        read_end(h, g);
        return respond_error(c, r, 404, "item", NULL, "no item '%s' in the store", is);
    }
    pt_rec_scratch *sc = worker_scratch(h, w, m);
    if (sc == NULL) {
        read_end(h, g);
        return respond_error(c, r, 503, NULL, NULL, "no recommender (out of memory)");
    }
    pt_rec_path paths[3];
    size_t n = 0;
    double score = 0.0;
    int rc = pt_rec_explain(h->rec[m], sc, u, it, PT_TIME_UNKNOWN, paths, 3, &n, &score);
    char *buf = NULL, *dot = NULL;
    size_t len = 0;
    FILE *f = NULL;
    if (rc == PT_OK && svg) {
        dot = render_paths_dot(g, u, it, paths, n);
        rc = dot == NULL ? PT_ENOMEM : PT_OK;
    } else if (rc == PT_OK) {
        f = open_memstream(&buf, &len);
        if (f == NULL) {
            rc = PT_ENOMEM;
        } else {
            const pt_walk_params *p = pt_recommender_params(h->rec[m]);
            fprintf(f, "{\"user\":");
            render_json_id(f, g, u);
            fprintf(f, ",\"item\":");
            render_json_id(f, g, it);
            const char *ti = render_node_title(g, it);
            if (ti != NULL) {
                fprintf(f, ",\"title\":");
                render_json_str(f, ti);
            }
            fprintf(f, ",\"model\":\"walk\",\"method\":\"%s\",\"score\":%.6g,\"reached\":%s,"
                       "\"paths\":[",
                    pt_rec_method_name(p->method), score,
                    score > 0.0 ? "true" : "false");
            for (size_t j = 0; j < n; j++) {
                if (j) {
                    fputc(',', f);
                }
                render_json_path(f, g, &paths[j]);
            }
            fprintf(f, "]}\n");
        }
    }
    read_end(h, g);
    if (rc != PT_OK) {
        return respond_error(c, r, rc == PT_EINVAL ? 404 : 500, NULL, NULL, "explain failed: %s",
                             pt_strerror(rc));
    }
    if (!svg) {
        return STREAM_DONE(c, r, 200, f, buf, len, "application/json");
    }
    /* Graphviz runs outside the locks: it only reads the DOT text. */
    char *out = NULL;
    size_t out_len = 0;
    int grc = render_svg(dot, &out, &out_len);
    free(dot);
    if (grc != 0) {
        return respond_error(c, r, 500, NULL, NULL, "graphviz could not draw the paths");
    }
    return respond(c, r, 200, "image/svg+xml", out, out_len, NULL);
}

/* Edges one neighbourhood answer lists at most (then "truncated": true): the answer is built
 * under the graph's read lock, which writers wait for. */
#define MAX_NB_EDGES 20000

/* GET /v1/nodes/{id}/neighborhood?hops=&predicates=&limit= : the nodes and edges within `hops`
 * of the node, breadth-first over out- and in-edges (the shape `portrait neighborhood`
 * prints), at most `limit` nodes and MAX_NB_EDGES edges. */
static enum MHD_Result h_neighborhood(struct MHD_Connection *c, req *r, worker *w,
                                      const hp_target *t, const char *id) {
    static const char *const allowed[] = {"hops", "predicates", "limit", NULL};
    httpd *h = r->h;
    const char *bad = hp_param_unknown(t, allowed);
    if (bad != NULL) {
        return respond_error(c, r, 400, bad, NULL, "unknown parameter '%s'", bad);
    }
    uint64_t hops = 1, limit = 1000;
    const char *hs = hp_param_get(t, "hops"), *ls = hp_param_get(t, "limit");
    if (hs != NULL && hp_parse_uint(hs, 1, 4, &hops) != 0) {
        return respond_error(c, r, 400, "hops", NULL, "hops: '%s' is not a whole number 1..4", hs);
    }
    if (ls != NULL && hp_parse_uint(ls, 1, 10000, &limit) != 0) {
        return respond_error(c, r, 400, "limit", NULL,
                             "limit: '%s' is not a whole number 1..10000", ls);
    }
    pt_graph *g = read_begin(h);
    pt_node_id start = pt_graph_resolve(g, id, PT_CLASS_OTHER);
    if (start == PT_NONE) {
        read_end(h, g);
        return respond_error(c, r, 404, "id", NULL, "no node '%s' in the store", id);
    }
    pt_node_id preds[64];
    size_t n_preds = 0;
    const char *ps = hp_param_get(t, "predicates");
    while (ps != NULL && *ps) {
        const char *e = strchr(ps, ',');
        size_t l = e != NULL ? (size_t)(e - ps) : strlen(ps);
        char one[512];
        if (l == 0 || l >= sizeof one) {
            read_end(h, g);
            return respond_error(c, r, 400, "predicates", NULL,
                                 "predicates: an empty or over-long name");
        }
        memcpy(one, ps, l);
        one[l] = '\0';
        size_t found = 0;
        for (int role = 1; role < PT_ROLE_COUNT_ && found == 0; role++) {
            if (strcmp(one, pt_role_name((pt_role)role)) == 0) {
                found = (size_t)-1; /* a role name: every predicate with that role */
                uint32_t nn = pt_graph_node_count(g);
                for (pt_node_id v = 0; v < nn; v++) {
                    if (pt_graph_pred_role(g, v) == (pt_role)role &&
                        n_preds < sizeof preds / sizeof preds[0]) {
                        preds[n_preds++] = v;
                    }
                }
            }
        }
        if (found == 0) {
            pt_node_id v = pt_graph_resolve(g, one, PT_CLASS_OTHER);
            if (v == PT_NONE || n_preds == sizeof preds / sizeof preds[0]) {
                read_end(h, g);
                return respond_error(c, r, 404, "predicates", NULL,
                                     "no predicate '%s' in the store", one);
            }
            preds[n_preds++] = v;
        } else if (n_preds == 0) {
            read_end(h, g);
            return respond_error(c, r, 404, "predicates", NULL,
                                 "no predicate with role '%s' in the store", one);
        }
        ps += l;
        if (*ps == ',') {
            ps++;
        }
    }
    uint32_t n_nodes = pt_graph_node_count(g);
    if (w->node_cap < n_nodes) {
        size_t cap = (size_t)n_nodes + n_nodes / 4 + 1024;
        int32_t *hop = realloc(w->hop, cap * sizeof *hop);
        if (hop != NULL) {
            w->hop = hop;
        }
        pt_node_id *q = realloc(w->queue, cap * sizeof *q);
        if (q != NULL) {
            w->queue = q;
        }
        if (hop == NULL || q == NULL) {
            read_end(h, g);
            return respond_error(c, r, 503, NULL, NULL, "out of memory");
        }
        for (size_t i = w->node_cap; i < cap; i++) {
            hop[i] = -1;
        }
        w->node_cap = cap;
    }
    int32_t *hop = w->hop;
    pt_node_id *queue = w->queue;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        read_end(h, g);
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    char s1[2048], s2[2048], s3[2048];
    size_t qh = 0, qt = 0;
    hop[start] = 0;
    queue[qt++] = start;
    uint64_t n_edges = 0;
    int truncated = 0;
    fprintf(f, "{\"node\":");
    render_json_str(f, node_name(g, start, s1, sizeof s1));
    fprintf(f, ",\"hops\":%llu,\"edges\":[", (unsigned long long)hops);
    while (qh < qt) {
        pt_node_id v = queue[qh++];
        if (hop[v] >= (int32_t)hops) {
            continue;
        }
        for (int d = 0; d < 2; d++) {
            size_t np = n_preds > 0 ? n_preds : 1;
            for (size_t pi = 0; pi < np; pi++) {
                pt_edge_iter it;
                pt_edge e;
                pt_graph_edges(g, v, d, n_preds > 0 ? preds[pi] : PT_NONE, &it);
                while (pt_graph_edge_next(&it, &e)) {
                    pt_node_id x = d == 0 ? e.dst : e.src;
                    /* An edge between two nodes of one hop is listed from its source only. */
                    if ((hop[x] >= 0 && hop[x] < hop[v]) || (hop[x] == hop[v] && d == 1)) {
                        continue;
                    }
                    if (n_edges >= MAX_NB_EDGES) {
                        truncated = 1;
                        break;
                    }
                    if (hop[x] < 0) {
                        if (qt >= limit) {
                            truncated = 1;
                            continue;
                        }
                        hop[x] = hop[v] + 1;
                        queue[qt++] = x;
                    }
                    fprintf(f, "%s{\"hop\":%d,\"src\":", n_edges ? "," : "", hop[v] + 1);
                    render_json_str(f, node_name(g, e.src, s1, sizeof s1));
                    fprintf(f, ",\"pred\":");
                    render_json_str(f, render_compact_iri(g, pt_graph_node_str(g, e.pred), s2,
                                                          sizeof s2));
                    fprintf(f, ",\"dst\":");
                    render_json_str(f, node_name(g, e.dst, s3, sizeof s3));
                    fprintf(f, ",\"weight\":%g", (double)e.weight);
                    if (e.time != PT_TIME_UNKNOWN) {
                        time_t tt = (time_t)e.time;
                        struct tm tm;
                        char tb[40];
                        gmtime_r(&tt, &tm);
                        strftime(tb, sizeof tb, "%Y-%m-%dT%H:%M:%SZ", &tm);
                        fprintf(f, ",\"time\":\"%s\"", tb);
                    }
                    fputc('}', f);
                    n_edges++;
                }
            }
        }
    }
    fprintf(f, "],\"nodes\":[");
    for (size_t i = 0; i < qt; i++) {
        pt_node_id v = queue[i];
        fprintf(f, "%s{\"id\":", i ? "," : "");
        render_json_str(f, node_name(g, v, s1, sizeof s1));
        fprintf(f, ",\"iri\":");
        render_json_str(f, pt_graph_node_str(g, v));
        fprintf(f, ",\"class\":\"%s\",\"hop\":%d", pt_class_name(pt_graph_node_class(g, v)),
                hop[v]);
        const char *ti = render_node_title(g, v);
        if (ti != NULL) {
            fprintf(f, ",\"label\":");
            render_json_str(f, ti);
        }
        fputc('}', f);
    }
    fprintf(f, "],\"truncated\":%s}\n", truncated ? "true" : "false");
    for (size_t i = 0; i < qt; i++) {
        hop[queue[i]] = -1; /* leave the buffer clean for the next request */
    }
    read_end(h, g);
    return STREAM_DONE(c, r, 200, f, buf, len, "application/json");
}

/* POST /v1/sparql: the query as the body (Content-Type application/sparql-query) or as JSON
 * {"query": "...", "format": "json|tsv|turtle"}; ?format= for the raw form. */
static enum MHD_Result h_sparql(struct MHD_Connection *c, req *r, worker *w,
                                const hp_target *t) {
    static const char *const allowed[] = {"format", NULL};
    httpd *h = r->h;
    const char *bad = hp_param_unknown(t, allowed);
    if (bad != NULL) {
        return respond_error(c, r, 400, bad, NULL, "unknown parameter '%s'", bad);
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *query = NULL, *fmt = hp_param_get(t, "format");
    char *jbuf = NULL;
    if (ct != NULL && strncmp(ct, "application/json", 16) == 0) {
        hp_jfield fields[2] = {{"query", NULL, 0, 0}, {"format", NULL, 0, 0}};
        const char *why = NULL, *bf = NULL;
        size_t at = 0;
        jbuf = malloc(r->body_len + 64);
        if (jbuf == NULL) {
            return respond_error(c, r, 503, NULL, NULL, "out of memory");
        }
        if (hp_json_strings(r->body, r->body_len, fields, 2, jbuf, r->body_len + 64, &why, &at,
                            &bf) != 0) {
            enum MHD_Result ret =
                respond_error(c, r, 400, bf, NULL, "malformed JSON at byte %zu: %s%s%s%s", at,
                              why, bf ? " '" : "", bf ? bf : "", bf ? "'" : "");
            free(jbuf);
            return ret;
        }
        if (!fields[0].present || fields[0].len == 0) {
            free(jbuf);
            return respond_error(c, r, 400, "query", NULL, "query is required");
        }
        query = fields[0].val;
        if (fields[1].present) {
            if (fmt != NULL) {
                free(jbuf);
                return respond_error(c, r, 400, "format", NULL,
                                     "format given both in the URL and the body");
            }
            fmt = fields[1].val;
        }
    } else if (ct != NULL && strncmp(ct, "application/sparql-query", 24) == 0) {
        if (r->body_len == 0 || memchr(r->body, '\0', r->body_len) != NULL) {
            return respond_error(c, r, 400, "query", NULL, "empty query or a NUL byte in it");
        }
        query = r->body; /* NUL-terminated by the body reader */
    } else {
        return respond_error(c, r, 415, NULL, NULL,
                             "send the query as application/sparql-query or as JSON "
                             "{\"query\": ...} with application/json");
    }
    if (fmt == NULL || *fmt == '\0') {
        fmt = "json";
    }
    const char *ctype = strcmp(fmt, "json") == 0    ? "application/json"
                        : strcmp(fmt, "tsv") == 0    ? "text/tab-separated-values; charset=utf-8"
                        : strcmp(fmt, "turtle") == 0 ? "text/turtle; charset=utf-8"
                                                     : NULL;
    if (ctype == NULL) {
        free(jbuf);
        return respond_error(c, r, 400, "format", NULL, "format: '%s' is not json, tsv or turtle",
                             fmt);
    }
    /* Results go to the worker's memory file (never a path a request names). */
    if (w->memfd < 0) {
        w->memfd = memfd_create("portrait-sparql", MFD_CLOEXEC);
    }
    if (w->memfd < 0 || ftruncate(w->memfd, 0) != 0) {
        free(jbuf);
        return respond_error(c, r, 503, NULL, NULL, "cannot make a result buffer: %s",
                             strerror(errno));
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", w->memfd);
    pthread_rwlock_rdlock(&h->store_lock);
    pt_graph *g = pt_store_graph(h->st);
    pt_graph_rdlock(g);
    int rc = pt_sparql_run(w->ctx, g, query, fmt, path);
    pt_graph_unlock(g);
    pthread_rwlock_unlock(&h->store_lock);
    free(jbuf);
    if (rc != PT_OK) {
        int status = rc == PT_EPARSE || rc == PT_EINVAL || rc == PT_EUNSUPPORTED ? 400 : 500;
        return respond_error(c, r, status, "query", NULL, "%s", pt_ctx_errmsg(w->ctx));
    }
    off_t size = lseek(w->memfd, 0, SEEK_END);
    char *out = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (out == NULL) {
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    size_t got = 0;
    while (got < (size_t)size) {
        ssize_t k = pread(w->memfd, out + got, (size_t)size - got, (off_t)got);
        if (k <= 0) {
            break;
        }
        got += (size_t)k;
    }
    return respond(c, r, 200, ctype, out, got, NULL);
}

/* GET /v1/health */
static enum MHD_Result h_health(struct MHD_Connection *c, req *r) {
    httpd *h = r->h;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    pthread_rwlock_rdlock(&h->store_lock);
    pt_graph *g = pt_store_graph(h->st);
    pt_graph_rdlock(g);
    fprintf(f, "{\"status\":\"ok\",\"version\":\"%s\",\"generation\":%llu,\"nodes\":%u,"
               "\"edges\":%llu,\"read_only\":%s,\"uptime_s\":%.0f,\"models\":[",
            pt_version(), (unsigned long long)pt_store_generation(h->st), pt_graph_node_count(g),
            (unsigned long long)pt_graph_edge_count(g), h->o.read_only ? "true" : "false",
            now_s() - h->started);
    fprintf(f, "%s]", h->seq_path != NULL ? "\"walk\",\"seq\",\"hybrid\"" : "\"walk\"");
#ifdef PT_HTTPD_LIVE
    fprintf(f, ",\"events\":true,\"log_pending\":%llu,\"log_last\":%llu",
            (unsigned long long)pt_store_log_pending(h->st),
            (unsigned long long)pt_store_log_last(h->st));
#else
    fprintf(f, ",\"events\":false");
#endif
    fprintf(f, "}\n");
    pt_graph_unlock(g);
    pthread_rwlock_unlock(&h->store_lock);
    return STREAM_DONE(c, r, 200, f, buf, len, "application/json");
}

/* GET /metrics: Prometheus text format 0.0.4. */
static enum MHD_Result h_metrics(struct MHD_Connection *c, req *r) {
    httpd *h = r->h;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    fprintf(f, "# HELP portrait_http_requests_total HTTP requests by route and status.\n"
               "# TYPE portrait_http_requests_total counter\n");
    for (int rt = 0; rt < HP_R_COUNT_; rt++) {
        for (size_t s = 0; s < N_STATUS; s++) {
            uint64_t v = atomic_load(&h->requests[rt][s]);
            if (v == 0) {
                continue;
            }
            char code[8];
            if (s + 1 < N_STATUS) {
                snprintf(code, sizeof code, "%d", status_codes[s]);
            } else {
                snprintf(code, sizeof code, "other");
            }
            fprintf(f, "portrait_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n",
                    hp_route_name((hp_route)rt), code, (unsigned long long)v);
        }
    }
    fprintf(f, "# HELP portrait_http_request_duration_seconds Time from the request line to the "
               "response, by route.\n"
               "# TYPE portrait_http_request_duration_seconds histogram\n");
    for (int rt = 0; rt < HP_R_COUNT_; rt++) {
        uint64_t total = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            total += atomic_load(&h->lat_bucket[rt][b]);
        }
        if (total == 0) {
            continue;
        }
        const char *name = hp_route_name((hp_route)rt);
        uint64_t cum = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cum += atomic_load(&h->lat_bucket[rt][b]);
            if (b + 1 < N_BUCKETS) {
                fprintf(f, "portrait_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                           "%llu\n",
                        name, lat_bounds[b], (unsigned long long)cum);
            } else {
                fprintf(f, "portrait_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"}"
                           " %llu\n",
                        name, (unsigned long long)cum);
            }
        }
        fprintf(f, "portrait_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
                (double)atomic_load(&h->lat_sum_us[rt]) * 1e-6);
        fprintf(f, "portrait_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name,
                (unsigned long long)cum);
    }
    pthread_rwlock_rdlock(&h->store_lock);
    pt_graph *g = pt_store_graph(h->st);
    pt_graph_rdlock(g);
    uint32_t nodes = pt_graph_node_count(g);
    uint64_t edges = pt_graph_edge_count(g), gen = pt_store_generation(h->st);
    pt_graph_unlock(g);
    pthread_rwlock_unlock(&h->store_lock);
    fprintf(f,
            "# HELP portrait_events_ingested_total Behaviour events acknowledged by POST "
            "/v1/events.\n# TYPE portrait_events_ingested_total counter\n"
            "portrait_events_ingested_total %llu\n"
            "# HELP portrait_event_batches_total Acknowledged POST /v1/events requests.\n"
            "# TYPE portrait_event_batches_total counter\nportrait_event_batches_total %llu\n"
            "# HELP portrait_recommender_sync_failures_total Recommender syncs that failed.\n"
            "# TYPE portrait_recommender_sync_failures_total counter\n"
            "portrait_recommender_sync_failures_total %llu\n"
            "# HELP portrait_recommender_syncs_total Recommender syncs (concurrent event "
            "requests share one).\n# TYPE portrait_recommender_syncs_total counter\n"
            "portrait_recommender_syncs_total %llu\n"
            "# HELP portrait_reviews_scored_total Reviews given a sentiment by "
            "--sentiment-model.\n# TYPE portrait_reviews_scored_total counter\n"
            "portrait_reviews_scored_total %llu\n"
            "# HELP portrait_rec_cache_hits_total Recommendation requests answered from the "
            "cache.\n# TYPE portrait_rec_cache_hits_total counter\nportrait_rec_cache_hits_total "
            "%llu\n"
            "# HELP portrait_rec_cache_misses_total Recommendation requests computed.\n"
            "# TYPE portrait_rec_cache_misses_total counter\nportrait_rec_cache_misses_total "
            "%llu\n"
            "# HELP portrait_graph_nodes Nodes in the store's graph.\n"
            "# TYPE portrait_graph_nodes gauge\nportrait_graph_nodes %u\n"
            "# HELP portrait_graph_edges Edges in the store's graph.\n"
            "# TYPE portrait_graph_edges gauge\nportrait_graph_edges %llu\n"
            "# HELP portrait_store_generation Generation of the store's snapshot.\n"
            "# TYPE portrait_store_generation gauge\nportrait_store_generation %llu\n",
            (unsigned long long)atomic_load(&h->events_ingested),
            (unsigned long long)atomic_load(&h->event_batches),
            (unsigned long long)atomic_load(&h->sync_failures),
            (unsigned long long)atomic_load(&h->syncs),
            (unsigned long long)atomic_load(&h->reviews_scored),
            (unsigned long long)atomic_load(&h->cache_hits),
            (unsigned long long)atomic_load(&h->cache_misses), nodes,
            (unsigned long long)edges, (unsigned long long)gen);
    return STREAM_DONE(c, r, 200, f, buf, len, "text/plain; version=0.0.4; charset=utf-8");
}

/* --- write endpoints ----------------------------------------------------------------------- */

/* Build the recommenders over the store's current graph (the old ones must be freed, and the
 * workers' scratches dropped, by the caller). Logs and leaves a model absent on failure. */
static int build_models(httpd *h) {
    pt_graph *g = pt_store_graph(h->st);
    for (int m = 0; m < M_COUNT; m++) {
        pt_walk_params p;
        pt_walk_params_default(&p);
        p.threads = 1;
        int rc = pt_recommender_new(h->ctx, g, &p, &h->rec[m]);
        if (rc != PT_OK) {
            h->rec[m] = NULL;
            if (h->o.log) {
                fprintf(stderr, "portrait serve: model %s not available: %s\n", model_names[m],
                        pt_ctx_errmsg(h->ctx));
            }
            if (m == M_WALK) {
                return rc;
            }
        }
    }
    h->rec_gen++;
    return PT_OK;
}

/* Drop every worker's scratches and free the recommenders. Caller holds store_lock (write). */
static void free_models(httpd *h) {
    pthread_mutex_lock(&h->wmu);
    for (worker *w = h->workers; w != NULL; w = w->next) {
        worker_drop_scratch(w);
    }
    pthread_mutex_unlock(&h->wmu);
    for (int m = 0; m < M_COUNT; m++) {
        pt_recommender_free(h->rec[m]);
        h->rec[m] = NULL;
    }
}

#ifdef PT_HTTPD_LIVE
static void run_job(httpd *h, ev_job *job);
static enum MHD_Result events_done(struct MHD_Connection *c, req *r);

/* HTTP status for a failed write: 503 when the store cannot take writes now (read-only, full
 * disk, I/O error), 400 for bad input, 500 otherwise. */
static int write_status(int rc) {
    switch (rc) {
    case PT_EINVAL:
    case PT_EPARSE:
        return 400;
    case PT_ELIMIT:
        return 413;
    case PT_ENOTFOUND:
        return 404;
    case PT_EFULL:
    case PT_EIO:
    case PT_ENOMEM:
        return 503;
    default:
        return 500;
    }
}

/* Bring the recommenders up to date with appended events. Caller holds store_lock (read). */
/* Concurrent posts share syncs: each append takes a ticket (`appended` after it), and a sync
 * records the last ticket issued before it began (`synced`), since it covers every append
 * that finished by then. A post whose ticket a sync already covers returns at once; the
 * others wait on sync_mu, and the first of them syncs for all. */
static void sync_models(httpd *h) {
    uint64_t ticket = atomic_fetch_add(&h->appended, 1) + 1;
    pthread_mutex_lock(&h->sync_mu);
    if (h->synced < ticket) {
        h->synced = atomic_load(&h->appended);
        pthread_rwlock_wrlock(&h->rec_lock);
        for (int m = 0; m < M_COUNT; m++) {
            if (h->rec[m] != NULL && pt_recommender_sync(h->rec[m]) != PT_OK) {
                atomic_fetch_add(&h->sync_failures, 1);
            }
        }
        pthread_rwlock_unlock(&h->rec_lock);
        atomic_fetch_add(&h->syncs, 1);
    }
    pthread_mutex_unlock(&h->sync_mu);
}

/* POST /v1/events: parse (pt_events_parse), append durably (pt_store_append_events, group
 * commit), sync the recommenders, answer 201 with the log sequence numbers. */
static enum MHD_Result h_events(struct MHD_Connection *c, req *r, worker *w,
                                const hp_target *t) {
    httpd *h = r->h;
    if (t->n_params > 0) {
        return respond_error(c, r, 400, t->params[0].key, NULL, "unknown parameter '%s'",
                             t->params[0].key);
    }
    pt_event_batch *b = NULL;
    size_t max_events = h->o.max_body / 16 + 1;
    int rc = pt_events_parse(w->ctx, r->body != NULL ? r->body : "", r->body_len, max_events, &b);
    if (rc != PT_OK) {
        return respond_error(c, r, rc == PT_ELIMIT ? 413 : rc == PT_ENOMEM ? 503 : 400, NULL,
                             NULL, "%s", pt_ctx_errmsg(w->ctx));
    }
    size_t n = pt_event_batch_count(b);
    if (n == 0) {
        pt_event_batch_free(b);
        return respond_error(c, r, 400, NULL, NULL, "the body holds no event");
    }
    pt_live_event *ev = malloc(n * sizeof *ev);
    if (ev == NULL) {
        pt_event_batch_free(b);
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        ev[i] = *pt_event_batch_get(b, i);
    }
    ev_job *job = calloc(1, sizeof *job);
    if (job == NULL) {
        free(ev);
        pt_event_batch_free(b);
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    job->r = r;
    job->c = c;
    job->b = b;
    job->ev = ev;
    job->n = n;
    if (h->n_writers == 0) {
        run_job(h, job); /* no writer threads (read-only store): in this worker */
        r->job = job;
        r->job_done = 1;
        return events_done(c, r);
    }
    /* Suspend first, then queue: a writer may resume the connection as soon as it sees the
     * job. The queue refuses jobs once the service is stopping (then: 503). */
    MHD_suspend_connection(c);
    pthread_mutex_lock(&h->wq_mu);
    int stopping = h->wq_stop;
    if (!stopping) {
        if (h->wq_tail != NULL) {
            h->wq_tail->next = job;
        } else {
            h->wq_head = job;
        }
        h->wq_tail = job;
        r->job = job;
        pthread_cond_signal(&h->wq_cv);
    }
    pthread_mutex_unlock(&h->wq_mu);
    if (stopping) {
        MHD_resume_connection(c);
        free(job);
        free(ev);
        pt_event_batch_free(b);
        return respond_error(c, r, 503, NULL, NULL, "the service is stopping");
    }
    return MHD_YES;
}

/* Append one job's events durably, sync the recommenders, and mark the posting users'
 * cached answers stale, all before the acknowledgement. Runs in a writer thread. */
/* Score the reviews applied since the last call (--sentiment-model). Appends are kept out
 * (store_lock exclusively), so no event is half-applied while the new nodes are scanned;
 * readers wait only for the appends themselves. */
static void tag_reviews(httpd *h) {
    pthread_rwlock_wrlock(&h->store_lock);
    pt_tag_stats ts;
    pt_node_id next;
    if (pt_tag_new_reviews(h->tag_ctx, pt_store_graph(h->st), h->sentiment, h->tag_next, &next,
                           &ts) == PT_OK) {
        h->tag_next = next;
        atomic_fetch_add(&h->reviews_scored, ts.reviews);
    }
    pthread_rwlock_unlock(&h->store_lock);
}

static void run_job(httpd *h, ev_job *job) {
    pthread_rwlock_rdlock(&h->store_lock);
    job->rc = pt_store_append_events(h->st, job->ev, job->n, &job->first);
    if (job->rc != PT_OK) {
        snprintf(job->msg, sizeof job->msg, "%s", pt_ctx_errmsg(h->ctx));
    } else {
        sync_models(h);
        pt_graph *g = pt_store_graph(h->st);
        pt_graph_rdlock(g);
        for (size_t i = 0; i < job->n; i++) {
            pt_node_id u = pt_graph_resolve(g, job->ev[i].user, PT_CLASS_USER);
            if (u != PT_NONE) {
                atomic_fetch_add(user_ver(h, u), 1);
            }
        }
        pt_graph_unlock(g);
    }
    pthread_rwlock_unlock(&h->store_lock);
    int texts = 0;
    for (size_t i = 0; i < job->n && h->sentiment != NULL; i++) {
        texts |= job->ev[i].text != NULL;
    }
    if (job->rc == PT_OK && texts) {
        tag_reviews(h); /* before the 201: a review's opinions show with its acknowledgement */
    }
    free(job->ev);
    job->ev = NULL;
    pt_event_batch_free(job->b);
    job->b = NULL;
}

/* A writer thread: take jobs until the service stops and the queue is empty; resume each
 * job's connection when it is done (MHD then calls on_request, which answers). */
static void *writer_main(void *arg) {
    httpd *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->wq_mu);
        while (h->wq_head == NULL && !h->wq_stop) {
            pthread_cond_wait(&h->wq_cv, &h->wq_mu);
        }
        ev_job *job = h->wq_head;
        if (job == NULL) {
            pthread_mutex_unlock(&h->wq_mu);
            return NULL; /* stopping, nothing left */
        }
        h->wq_head = job->next;
        if (h->wq_head == NULL) {
            h->wq_tail = NULL;
        }
        pthread_mutex_unlock(&h->wq_mu);
        run_job(h, job);
        job->r->job_done = 1;
        MHD_resume_connection(job->c);
    }
}

/* Answer a finished event job (on_request after the resume). */
static enum MHD_Result events_done(struct MHD_Connection *c, req *r) {
    httpd *h = r->h;
    ev_job *job = r->job;
    r->job = NULL;
    int rc = job->rc;
    size_t n = job->n;
    uint64_t first = job->first;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", job->msg);
    free(job);
    if (rc != PT_OK) {
        return respond_error(c, r, write_status(rc), NULL, NULL, "events not stored: %s", msg);
    }
    atomic_fetch_add(&h->events_ingested, n);
    atomic_fetch_add(&h->event_batches, 1);
    char *out = malloc(128);
    if (out == NULL) {
        return MHD_NO;
    }
    int l = snprintf(out, 128, "{\"accepted\":%zu,\"first_seq\":%llu,\"last_seq\":%llu}\n", n,
                     (unsigned long long)first, (unsigned long long)(first + n - 1));
    return respond(c, r, 201, "application/json", out, (size_t)l, NULL);
}

/* DELETE /v1/users/{id}: erase the user (pt_store_erase_user), then rebuild the recommenders
 * on the new graph. Every other request waits meanwhile. */
static enum MHD_Result h_erase(struct MHD_Connection *c, req *r, const hp_target *t,
                               const char *id) {
    httpd *h = r->h;
    if (t->n_params > 0) {
        return respond_error(c, r, 400, t->params[0].key, NULL, "unknown parameter '%s'",
                             t->params[0].key);
    }
    pthread_rwlock_wrlock(&h->store_lock);
    pt_graph *g = pt_store_graph(h->st);
    pt_node_id u = find_user(h, g, id);
    if (u == PT_NONE) {
        pthread_rwlock_unlock(&h->store_lock);
        return respond_error(c, r, 404, "id", NULL, "no user '%s' in the store", id);
    }
    if (h->o.read_only) {
        /* Known before touching anything: the recommenders stay as they are. */
        pthread_rwlock_unlock(&h->store_lock);
        return respond_error(c, r, 503, NULL, NULL,
                             "user not erased: the store is open read-only (--read-only)");
    }
    char *iri = strdup(pt_graph_node_str(g, u));
    if (iri == NULL) {
        pthread_rwlock_unlock(&h->store_lock);
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    pt_erase_stats es;
    memset(&es, 0, sizeof es);
    free_models(h);
    atomic_fetch_add(&h->epoch, 1); /* no cached answer may mention the user any more */
    int rc = pt_store_erase_user(h->st, iri, &es);
    char msg[512] = "";
    if (rc != PT_OK) {
        snprintf(msg, sizeof msg, "%s", pt_ctx_errmsg(h->ctx));
    }
    int brc = build_models(h);
    /* A new graph object, numbered afresh: everything in it was looked at before. */
    h->tag_next = pt_graph_node_count(pt_store_graph(h->st));
    pthread_rwlock_unlock(&h->store_lock);
    free(iri);
    if (rc != PT_OK) {
        return respond_error(c, r, write_status(rc), NULL, NULL, "user not erased: %s", msg);
    }
    if (brc != PT_OK) {
        return respond_error(c, r, 503, NULL, NULL,
                             "user erased, but the recommender could not be rebuilt");
    }
    char *out = malloc(1200);
    if (out == NULL) {
        return MHD_NO;
    }
    FILE *f = fmemopen(out, 1200, "w");
    if (f == NULL) {
        free(out);
        return MHD_NO;
    }
    fprintf(f, "{\"erased\":");
    render_json_str(f, id);
    fprintf(f, ",\"events\":%llu,\"edges\":%llu,\"nodes\":%llu}\n",
            (unsigned long long)es.events, (unsigned long long)es.edges,
            (unsigned long long)es.nodes);
    long l = ftell(f);
    fclose(f);
    return respond(c, r, 200, "application/json", out, l > 0 ? (size_t)l : 0, NULL);
}
#endif /* PT_HTTPD_LIVE */

/* --- MHD callbacks ------------------------------------------------------------------------- */

/* MHD_OPTION_URI_LOG_CALLBACK: the raw request target arrives before anything else; make the
 * request's state around it. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)c;
    req *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    r->h = cls;
    r->t0 = now_s();
    r->uri = strdup(uri != NULL ? uri : "");
    return r;
}

/* MHD_OPTION_NOTIFY_COMPLETED: count the request in the metrics and free its state. */
static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe) {
    (void)c;
    (void)toe;
    httpd *h = cls;
    req *r = *con_cls;
    if (r == NULL) {
        return;
    }
    if (r->status != 0) {
        size_t s = N_STATUS - 1;
        for (size_t i = 0; i + 1 < N_STATUS; i++) {
            if (status_codes[i] == r->status) {
                s = i;
            }
        }
        double dt = now_s() - r->t0;
        size_t b = 0;
        while (b + 1 < N_BUCKETS && dt > lat_bounds[b]) {
            b++;
        }
        atomic_fetch_add(&h->requests[r->route][s], 1);
        atomic_fetch_add(&h->lat_bucket[r->route][b], 1);
        atomic_fetch_add(&h->lat_sum_us[r->route], (uint64_t)(dt * 1e6));
    }
    if (r->job != NULL && r->job_done) {
        free(r->job); /* finished, never answered (the connection went away) */
    }
    free(r->uri);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* Check the bearer token of a write. Returns 0 when allowed, else the status (401, 403). */
static int check_auth(httpd *h, struct MHD_Connection *c) {
    if (h->token == NULL) {
        return 0;
    }
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (a == NULL || strncmp(a, "Bearer ", 7) != 0) {
        return 401;
    }
    a += 7;
    return hp_secure_equal(a, strlen(a), h->token, h->token_len) ? 0 : 403;
}

/* The access handler: parse and route on the first call, collect the body of a POST (within
 * the limit), then run the endpoint. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)url;
    (void)version;
    httpd *h = cls;
    req *r = *con_cls;
    if (r == NULL) {
        return MHD_NO; /* out of memory in on_uri: drop the connection */
    }
    hp_target *t = NULL;
    const char *why = NULL, *field = NULL, *id = NULL, *allow = NULL;
    int method_ok = 0;
    if (!r->started) {
        r->started = 1;
        /* Parse just to route and to refuse early (auth, size); parsed again below. */
        t = malloc(sizeof *t);
        if (t == NULL) {
            return MHD_NO;
        }
        if (hp_parse_target(r->uri, strlen(r->uri), t, &why, &field) != 0) {
            int status = strcmp(why, "the target is too long") == 0 ? 414 : 400;
            enum MHD_Result ret = respond_error(c, r, status, field, NULL,
                                                "bad request target: %s", why);
            free(t); /* field points into t */
            return ret;
        }
        r->route = hp_match(t, method, &id, &method_ok, &allow);
        free(t);
        if (r->route == HP_R_NONE) {
            return respond_error(c, r, 404, NULL, NULL, "no such endpoint");
        }
        if (!method_ok) {
            return respond_error(c, r, 405, NULL, allow, "%s is not allowed here (allowed: %s)",
                                 method, allow);
        }
        if (r->route == HP_R_EVENTS || r->route == HP_R_USER) {
            int a = check_auth(h, c);
            if (a == 401) {
                return respond_error(c, r, 401, NULL, NULL,
                                     "this endpoint needs 'Authorization: Bearer <token>'");
            }
            if (a == 403) {
                return respond_error(c, r, 403, NULL, NULL, "the bearer token is not valid");
            }
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        uint64_t clen = 0;
        if (cl != NULL && (hp_parse_uint(cl, 0, UINT64_MAX / 2, &clen) != 0 ||
                           clen > h->o.max_body)) {
            r->too_large = 1;
            return respond_error(c, r, 413, NULL, NULL, "the body is larger than %zu bytes",
                                 h->o.max_body);
        }
        return MHD_YES;
    }
    if (r->status != 0) {
        *upload_data_size = 0; /* already answered (an early refusal): drop the body */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!r->too_large) {
            size_t need = r->body_len + *upload_data_size;
            if (need > h->o.max_body) {
                r->too_large = 1;
            } else {
                if (need + 1 > r->body_cap) {
                    size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
                    while (cap < need + 1) {
                        cap *= 2;
                    }
                    char *nb = realloc(r->body, cap);
                    if (nb == NULL) {
                        return MHD_NO;
                    }
                    r->body = nb;
                    r->body_cap = cap;
                }
                memcpy(r->body + r->body_len, upload_data, *upload_data_size);
                r->body_len = need;
                r->body[need] = '\0';
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_large) {
        return respond_error(c, r, 413, NULL, NULL, "the body is larger than %zu bytes",
                             h->o.max_body);
    }
#ifdef PT_HTTPD_LIVE
    if (r->job != NULL) {
        /* Called again after the writer resumed the connection (or spuriously before). */
        return r->job_done ? events_done(c, r) : MHD_YES;
    }
#endif
    worker *w = worker_get(h);
    t = malloc(sizeof *t);
    if (w == NULL || t == NULL) {
        free(t);
        return respond_error(c, r, 503, NULL, NULL, "out of memory");
    }
    hp_parse_target(r->uri, strlen(r->uri), t, &why, &field);
    hp_match(t, method, &id, &method_ok, &allow);
    enum MHD_Result ret;
    switch (r->route) {
    case HP_R_PAGE:
        /* The page reads its own parameters (?user=) in the browser. */
        {
            char *page = malloc(httpd_page_len + 1);
            if (page == NULL) {
                ret = respond_error(c, r, 503, NULL, NULL, "out of memory");
                break;
            }
            memcpy(page, httpd_page, httpd_page_len);
            ret = respond(c, r, 200, "text/html; charset=utf-8", page, httpd_page_len, NULL);
        }
        break;
    case HP_R_HEALTH:
        ret = h_health(c, r);
        break;
    case HP_R_METRICS:
        ret = h_metrics(c, r);
        break;
    case HP_R_PROFILE:
        ret = h_profile(c, r, w, t, id);
        break;
    case HP_R_RECS:
        ret = h_recs(c, r, w, t, id);
        break;
    case HP_R_EXPLAIN:
        ret = h_explain(c, r, w, t);
        break;
    case HP_R_NEIGHBORHOOD:
        ret = h_neighborhood(c, r, w, t, id);
        break;
    case HP_R_SPARQL:
        ret = h_sparql(c, r, w, t);
        break;
#ifdef PT_HTTPD_LIVE
    case HP_R_EVENTS:
        ret = h_events(c, r, w, t);
        break;
    case HP_R_USER:
        ret = h_erase(c, r, t, id);
        break;
#endif
    default:
        ret = respond_error(c, r, 503, NULL, NULL,
                            "this build has no event log (pt_live.h is not linked)");
        break;
    }
    free(t);
    return ret;
}

/* --- start and stop ------------------------------------------------------------------------ */

void httpd_opts_default(httpd_opts *o) {
    memset(o, 0, sizeof *o);
    o->bind = "127.0.0.1";
    o->port = 8080;
    o->threads = 2;
    o->max_body = 1 << 20;
    o->max_k = 100;
    o->timeout = 30;
    o->cache_ms = 1000;
    o->log = 1;
}

int httpd_port(const httpd *h) {
    return h->port;
}

/* Free everything of h that exists (the daemon is stopped first). */
static void teardown(httpd *h) {
    /* Writers first: they finish every queued batch and resume its connection, and no batch
     * is queued after wq_stop, so no connection is left suspended when the daemon stops. */
    pthread_mutex_lock(&h->wq_mu);
    h->wq_stop = 1;
    pthread_cond_broadcast(&h->wq_cv);
    pthread_mutex_unlock(&h->wq_mu);
    for (int i = 0; i < h->n_writers; i++) {
        pthread_join(h->writers[i], NULL);
    }
    if (h->d != NULL) {
        MHD_stop_daemon(h->d);
    }
    free_models(h);
    worker *w = h->workers;
    while (w != NULL) {
        worker *next = w->next;
        worker_free(w);
        w = next;
    }
    pt_store_close(h->st);
    pt_ctx_free(h->ctx);
    pthread_key_delete(h->wkey);
    pthread_mutex_destroy(&h->wmu);
    pthread_mutex_destroy(&h->sync_mu);
    pthread_mutex_destroy(&h->wq_mu);
    pthread_cond_destroy(&h->wq_cv);
    pthread_rwlock_destroy(&h->store_lock);
    pthread_rwlock_destroy(&h->rec_lock);
    if (h->cache != NULL) {
        for (size_t i = 0; i < (size_t)CACHE_SETS * CACHE_WAYS; i++) {
            free(h->cache[i].body);
        }
        free(h->cache);
        for (int i = 0; i < CACHE_STRIPES; i++) {
            pthread_mutex_destroy(&h->cache_mu[i]);
        }
    }
    free(h->token);
    free(h->seq_path);
    pt_textclf_free(h->sentiment);
    pt_ctx_free(h->tag_ctx);
    free(h);
}

int httpd_start(const httpd_opts *o, httpd **out, char *err, size_t cap) {
    *out = NULL;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t slen;
    int loopback = 0, v6 = 0;
    const char *bind = o->bind != NULL ? o->bind : "127.0.0.1";
    if (strcmp(bind, "localhost") == 0) {
        bind = "127.0.0.1";
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)o->port);
        slen = sizeof *s4;
        loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, bind, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)o->port);
        slen = sizeof *s6;
        loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
        v6 = 1;
    } else {
        snprintf(err, cap, "--bind: '%s' is not an IPv4 or IPv6 address", bind);
        return 1;
    }
    if (!loopback && (o->token == NULL || *o->token == '\0')) {
        snprintf(err, cap,
                 "refusing to listen on %s (not loopback) without --token-file: writes would be "
                 "open to the network",
                 bind);
        return 1;
    }
    if (o->port < 0 || o->port > 65535 || o->threads < 1 || o->threads > 256 ||
        o->max_body < 64 || o->max_k < 1) {
        snprintf(err, cap, "bad options: port 0..65535, threads 1..256, max-body >= 64, max-k >= 1");
        return 1;
    }
    httpd *h = calloc(1, sizeof *h);
    if (h == NULL) {
        snprintf(err, cap, "out of memory");
        return 4;
    }
    h->o = *o;
    snprintf(h->bind, sizeof h->bind, "%s", bind);
    h->o.bind = h->bind;
    h->o.store = NULL;
    h->o.token = NULL;
    h->o.seq_model = NULL;
    h->o.sentiment_model = NULL;
    pthread_rwlock_init(&h->store_lock, NULL);
    pthread_rwlock_init(&h->rec_lock, NULL);
    pthread_mutex_init(&h->wmu, NULL);
    pthread_mutex_init(&h->sync_mu, NULL);
    pthread_mutex_init(&h->wq_mu, NULL);
    pthread_cond_init(&h->wq_cv, NULL);
    pthread_key_create(&h->wkey, NULL);
    h->started = now_s();
    if (o->cache_ms > 0) {
        h->cache = calloc((size_t)CACHE_SETS * CACHE_WAYS, sizeof *h->cache);
        for (int i = 0; h->cache != NULL && i < CACHE_STRIPES; i++) {
            pthread_mutex_init(&h->cache_mu[i], NULL);
        }
    }
    if (o->token != NULL && *o->token != '\0') {
        h->token = strdup(o->token);
        h->token_len = strlen(o->token);
    }
    int rc = pt_ctx_new(&h->ctx);
    if (rc == PT_OK) {
        rc = pt_store_open(h->ctx, o->store, o->read_only ? PT_STORE_READONLY : 0, &h->st);
        if (rc != PT_OK) {
            if (rc == PT_ENOTFOUND) {
                snprintf(err, cap, "no store at %s (create one with 'portrait import')", o->store);
            } else {
                snprintf(err, cap, "%s", pt_ctx_errmsg(h->ctx));
            }
            teardown(h);
            return 4;
        }
    }
    if (rc == PT_OK) {
        rc = build_models(h);
    }
    if (rc == PT_OK && o->seq_model != NULL) {
        /* Load and bind once now, so a bad file fails the start rather than requests. */
        pt_seq_model *sm = NULL;
        rc = pt_seq_load(h->ctx, o->seq_model, &sm);
        if (rc == PT_OK) {
            rc = pt_seq_bind(h->ctx, sm, pt_store_graph(h->st), NULL);
        }
        pt_seq_model_free(sm);
        if (rc != PT_OK) {
            snprintf(err, cap, "--seq-model: %s", pt_ctx_errmsg(h->ctx));
            teardown(h);
            return rc == PT_ENOMEM ? 4 : 2;
        }
        h->seq_path = strdup(o->seq_model);
    }
    if (rc == PT_OK && o->sentiment_model != NULL) {
        /* Reviews the store holds unscored (from the log replayed just now, or never tagged)
         * are scored before the first request; later ones as they arrive (tag_reviews). */
        rc = pt_ctx_new(&h->tag_ctx);
        if (rc == PT_OK && pt_textclf_load(h->tag_ctx, o->sentiment_model, &h->sentiment) != PT_OK) {
            snprintf(err, cap, "--sentiment-model: %s", pt_ctx_errmsg(h->tag_ctx));
            teardown(h);
            return 2;
        }
        if (rc == PT_OK && pt_textclf_task(h->sentiment) != PT_TEXT_SENTIMENT) {
            snprintf(err, cap, "--sentiment-model: %s is a category model, not a sentiment one",
                     o->sentiment_model);
            teardown(h);
            return 2;
        }
        pt_tag_stats ts;
        if (rc == PT_OK && !o->read_only) {
            rc = pt_tag_new_reviews(h->tag_ctx, pt_store_graph(h->st), h->sentiment, 0,
                                    &h->tag_next, &ts);
            if (rc != PT_OK) {
                snprintf(err, cap, "scoring the stored reviews: %s", pt_ctx_errmsg(h->tag_ctx));
                teardown(h);
                return 4;
            }
            atomic_fetch_add(&h->reviews_scored, ts.reviews);
            if (rc == PT_OK && o->log && ts.reviews > 0) {
                fprintf(stderr, "portrait serve: scored %llu reviews the store held unscored\n",
                        (unsigned long long)ts.reviews);
            }
        }
    }
    if (rc != PT_OK) {
        snprintf(err, cap, "%s", h->ctx != NULL ? pt_ctx_errmsg(h->ctx) : "out of memory");
        teardown(h);
        return 4;
    }
#ifdef PT_HTTPD_LIVE
    /* The writer threads start before the daemon, so every request sees the final count. A
     * read-only store gets none: its writes fail at once, in the worker (h_events). */
    for (int i = 0; i < WRITERS && !o->read_only; i++) {
        if (pthread_create(&h->writers[h->n_writers], NULL, writer_main, h) == 0) {
            h->n_writers++;
        }
    }
#endif
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
    if (v6) {
        flags |= MHD_USE_IPv6;
    }
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,                   /* handler */
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,          /* address */
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,     /* workers */
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout,   /* idle */
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,           /* fds */
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,     /* headers */
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,       /* restarts */
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,                /* state */
                            MHD_OPTION_NOTIFY_COMPLETED, on_done, h,               /* metrics */
                            MHD_OPTION_END);
    (void)slen;
    if (h->d == NULL) {
        snprintf(err, cap, "cannot listen on %s port %d (in use, or not allowed)", bind, o->port);
        teardown(h);
        return 4;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di != NULL ? (int)di->port : o->port;
    *out = h;
    return 0;
}

void httpd_stop(httpd *h) {
    if (h != NULL) {
        teardown(h);
    }
}
