/*
 * cmd_profile.c - `portrait profile` (one user's profile as JSON or Turtle) and `portrait
 * profiles --all` (every user's, as JSON lines, in parallel). A profile is pt_profile.h's query
 * plus the user's top recommendations with their paths (pt_walk.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Print a time as an ISO-8601 JSON string, or null. */
static void json_time(FILE *f, int64_t t) {
    if (t == PT_TIME_UNKNOWN) {
        fputs("null", f);
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[40];
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "\"%s\"", buf);
}

/* Print the profile `p` (and recommendations from `r`, when given) as one JSON object. */
static int print_profile(FILE *f, const pt_graph *g, const pt_profile *p, pt_recommender *r,
                         pt_rec_scratch *sc, uint32_t n_recs) {
    fprintf(f, "{\"user\":");
    cli_json_id(f, g, p->user);
    fprintf(f, ",\"iri\":");
    cli_json_str(f, pt_graph_node_str(g, p->user));
    fprintf(f, ",\"cold_start\":%s", p->cold_start ? "true" : "false");
    fprintf(f, ",\"behaviour\":{\"events\":%llu,\"by_action\":{",
            (unsigned long long)p->n_events);
    int first = 1;
    for (int role = PT_ROLE_VIEWED; role <= PT_ROLE_REVIEWED; role++) {
        if (p->count_by_role[role] > 0) {
            fprintf(f, "%s\"%s\":%llu", first ? "" : ",", pt_role_name((pt_role)role),
                    (unsigned long long)p->count_by_role[role]);
            first = 0;
        }
    }
    fprintf(f, "},\"first_seen\":");
    json_time(f, p->first_seen);
    fprintf(f, ",\"last_seen\":");
    json_time(f, p->last_seen);
    fprintf(f, ",\"rfm\":{\"recency_days\":");
    if (p->recency_days >= 0) {
        fprintf(f, "%.2f", p->recency_days);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\"frequency\":%llu,\"monetary\":%.2f},\"active_hours_utc\":[",
            (unsigned long long)p->frequency, p->monetary);
    for (int h = 0; h < 24; h++) {
        fprintf(f, "%s%u", h ? "," : "", p->active_hours[h]);
    }
    fprintf(f, "]},\"interests\":{");
    static const pt_class order[] = {PT_CLASS_CATEGORY, PT_CLASS_TAG, PT_CLASS_BRAND};
    static const char *const names[] = {"categories", "tags", "brands"};
    for (int c = 0; c < 3; c++) {
        fprintf(f, "%s\"%s\":[", c ? "," : "", names[c]);
        int n = 0;
        for (size_t i = 0; i < p->n_interests; i++) {
            const pt_profile_interest *pi = &p->interests[i];
            if (pi->cls != order[c]) {
                continue;
            }
            fprintf(f, "%s{\"id\":", n++ ? "," : "");
            cli_json_id(f, g, pi->node);
            const char *t = cli_node_title(g, pi->node);
            if (t != NULL) {
                fprintf(f, ",\"label\":");
                cli_json_str(f, t);
            }
            fprintf(f, ",\"weight\":%.4f", pi->weight);
            if (pi->inherited) {
                fprintf(f, ",\"via\":\"%s\"",
                        pi->inherited == 1 ? "sub-categories" : "popularity");
            }
            fprintf(f, ",\"evidence\":[");
            for (uint32_t k = 0; k < pi->n_evidence; k++) {
                if (k) {
                    fputc(',', f);
                }
                cli_json_id(f, g, pi->evidence[k]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "]");
    }
    fprintf(f, "}");
    /* Sentiment per tag, when `portrait tag --model` has scored the user's reviews. */
    static const char *const opinion[2][2] = {{PT_NS "likes", "likes"},
                                              {PT_NS "dislikes", "dislikes"}};
    for (int k = 0; k < 2; k++) {
        pt_node_id pred = pt_graph_lookup(g, opinion[k][0], strlen(opinion[k][0]), PT_TERM_IRI);
        if (pred == PT_NONE) {
            continue;
        }
        pt_edge_iter it;
        pt_edge e;
        int n = 0;
        pt_graph_edges(g, p->user, 0, pred, &it);
        while (pt_graph_edge_next(&it, &e)) {
            fprintf(f, n++ ? "," : ",\"%s\":[", opinion[k][1]);
            fprintf(f, "{\"id\":");
            cli_json_id(f, g, e.dst);
            const char *t = cli_node_title(g, e.dst);
            if (t != NULL) {
                fprintf(f, ",\"label\":");
                cli_json_str(f, t);
            }
            fprintf(f, ",\"weight\":%.4f}", (double)e.weight);
        }
        if (n > 0) {
            fputc(']', f);
        }
    }
    fprintf(f, ",\"similar_users\":[");
    for (size_t i = 0; i < p->n_similar; i++) {
        fprintf(f, "%s{\"user\":", i ? "," : "");
        cli_json_id(f, g, p->similar[i].user);
        fprintf(f, ",\"score\":%.4f,\"shared_items\":%u}", p->similar[i].score,
                p->similar[i].shared);
    }
    fprintf(f, "]");
    int rc = PT_OK;
    if (r != NULL && n_recs > 0) {
        pt_rec_query q;
        pt_rec_query_init(&q, p->user, n_recs);
        q.explain = 1;
        pt_rec_item *items = calloc(n_recs, sizeof *items);
        size_t n = 0;
        int flags = 0;
        rc = items == NULL ? PT_ENOMEM : pt_recommend(r, sc, &q, items, &n, &flags);
        fprintf(f, ",\"recommendations\":[");
        for (size_t i = 0; rc == PT_OK && i < n; i++) {
            fprintf(f, "%s{\"item\":", i ? "," : "");
            cli_json_id(f, g, items[i].item);
            const char *t = cli_node_title(g, items[i].item);
            if (t != NULL) {
                fprintf(f, ",\"title\":");
                cli_json_str(f, t);
            }
            fprintf(f, ",\"score\":%.6g,\"paths\":[", items[i].score);
            for (uint32_t k = 0; k < items[i].n_paths; k++) {
                if (k) {
                    fputc(',', f);
                }
                cli_json_path(f, g, &items[i].paths[k]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "]");
        if (flags == PT_REC_POPULAR) {
            fprintf(f, ",\"recommendations_popular\":true");
        }
        free(items);
    }
    fprintf(f, "}\n");
    return rc;
}

/* Read the profile options shared by both commands; prints errors, returns 0 or an exit code. */
static int profile_opts(cli_args *a, pt_profile_opts *o, long *recs) {
    long top, similar;
    pt_profile_opts_default(o);
    if (cli_int(a, "top", 10, 1, 1000, &top) != 0 ||
        cli_int(a, "similar", 5, 0, 1000, &similar) != 0 ||
        cli_int(a, "recs", 5, 0, 1000, recs) != 0) {
        return EXIT_USAGE;
    }
    const char *hl = cli_opt(a, "half-life");
    if (hl != NULL) {
        char *end;
        o->half_life_days = strtod(hl, &end);
        if (*hl == '\0' || *end != '\0' || o->half_life_days < 0) {
            cli_err(a, "--half-life: '%s' is not a number of days >= 0", hl);
            return EXIT_USAGE;
        }
    }
    o->top = (uint32_t)top;
    o->n_similar = (uint32_t)similar;
    return 0;
}

/* Run `portrait profile`. */
static int run_profile(cli_args *a) {
    const char *user = cli_opt(a, "user");
    const char *fmt = cli_opt(a, "format");
    if (user == NULL || *user == '\0') {
        cli_err(a, "--user ID is required");
        return EXIT_USAGE;
    }
    if (fmt != NULL && strcmp(fmt, "json") != 0 && strcmp(fmt, "turtle") != 0) {
        cli_err(a, "--format: '%s' is not json or turtle", fmt);
        return EXIT_USAGE;
    }
    pt_profile_opts o;
    long recs;
    int ex = profile_opts(a, &o, &recs);
    if (ex != 0) {
        return ex;
    }
    pt_ctx *ctx;
    pt_store *st;
    if ((ex = cli_open_store(a, 0, &ctx, &st)) != 0) {
        return ex;
    }
    const pt_graph *g = pt_store_graph(st);
    pt_profile *p = NULL;
    pt_recommender *r = NULL;
    pt_rec_scratch *sc = NULL;
    pt_node_id u = pt_graph_resolve(g, user, PT_CLASS_USER);
    if (u == PT_NONE || pt_graph_node_class(g, u) != PT_CLASS_USER) {
        cli_err(a, "no user '%s' in the store", user);
        ex = EXIT_NOTFOUND;
        goto done;
    }
    o.now = pt_graph_latest_time(g);
    int rc = pt_profile_build(ctx, g, u, &o, &p);
    if (rc == PT_OK && fmt != NULL && strcmp(fmt, "turtle") == 0) {
        rc = pt_profile_write_turtle(ctx, g, p, "-");
    } else if (rc == PT_OK) {
        pt_walk_params wp;
        pt_walk_params_default(&wp);
        if (recs > 0 && (rc = pt_recommender_new(ctx, g, &wp, &r)) == PT_OK) {
            rc = pt_rec_scratch_new(r, &sc);
        }
        if (rc == PT_OK) {
            rc = print_profile(stdout, g, p, r, sc, (uint32_t)recs);
        }
    }
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        ex = cli_exit_for(rc, 0);
    }
done:
    pt_rec_scratch_free(sc);
    pt_recommender_free(r);
    pt_profile_free(ctx, p);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return ex;
}

static const char *const profile_opts_list[] = {"user=", "format=", "top=", "similar=", "recs=",
                                                "half-life=", NULL};

const cli_cmd cmd_profile = {
    "profile",
    "a user's profile: interests, behaviour, RFM, similar users, recommendations",
    "usage: portrait profile --user ID [--format json|turtle] [--top N] [--similar N]\n"
    "                        [--recs N] [--half-life DAYS]\n"
    "\n"
    "Build the profile of a user from the graph as it is now (appended events count at once):\n"
    "  interests   categories (widened up the hierarchy with damping), tags and brands of\n"
    "              the items the user interacted with, weighted by action (view 1, click 2,\n"
    "              cart 3, purchase 5, rating/review 4 scaled by the rating) and time decay,\n"
    "              normalised per kind, each with the items that are its evidence;\n"
    "  behaviour   events by action, first and last seen, RFM (recency in days, frequency =\n"
    "              purchases, monetary = sum of purchased items' pt:price), active hours (UTC);\n"
    "  similar     users sharing the most items (popular items count less);\n"
    "  recommendations with their explanation paths (JSON only).\n"
    "A user with at most one event is a cold start (\"cold_start\": true): interests come\n"
    "from that event's categories and the most popular categories.\n"
    "Turtle output goes through Redland's serializer, in Portrait's vocabulary.\n"
    "\n"
    "  --top N         interests kept per kind (default 10)\n"
    "  --similar N     similar users (default 5)\n"
    "  --recs N        recommendations (default 5; 0 for none)\n"
    "  --half-life D   time decay half-life in days (default 90; 0 = none)\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 3 unknown user, 4 store error.\n",
    profile_opts_list,
    run_profile,
};

/* --- profiles --all ------------------------------------------------------------------------ */

/* Work shared by the threads of `profiles --all`. */
typedef struct batch {
    const pt_graph *g;
    pt_recommender *r;
    const pt_profile_opts *o;
    uint32_t recs;
    pt_node_id *users;
    size_t n_users;
    char **out;        /* one JSON line per user, in user order */
    size_t next;       /* next user to take */
    pthread_mutex_t mu;
    int failed;
} batch;

/* Thread body: take users one by one, write each profile line into memory. */
static void *batch_main(void *arg) {
    batch *b = arg;
    pt_ctx *ctx = NULL;
    pt_rec_scratch *sc = NULL;
    if (pt_ctx_new(&ctx) != PT_OK || (b->r != NULL && pt_rec_scratch_new(b->r, &sc) != PT_OK)) {
        b->failed = 1;
        pt_ctx_free(ctx);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&b->mu);
        size_t i = b->next++;
        pthread_mutex_unlock(&b->mu);
        if (i >= b->n_users || b->failed) {
            break;
        }
        pt_profile *p = NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        if (mem == NULL || pt_profile_build(ctx, b->g, b->users[i], b->o, &p) != PT_OK ||
            print_profile(mem, b->g, p, b->r, sc, b->recs) != PT_OK) {
            b->failed = 1;
        }
        if (mem != NULL) {
            fclose(mem);
        }
        b->out[i] = buf;
        pt_profile_free(ctx, p);
    }
    pt_rec_scratch_free(sc);
    pt_ctx_free(ctx);
    return NULL;
}

/* Run `portrait profiles --all`. */
static int run_profiles(cli_args *a) {
    const char *out = cli_opt(a, "out");
    if (!cli_flag(a, "all") || out == NULL) {
        cli_err(a, "give --all and --out FILE.jsonl");
        return EXIT_USAGE;
    }
    pt_profile_opts o;
    long recs, threads;
    int ex = profile_opts(a, &o, &recs);
    if (ex != 0 || cli_int(a, "threads", 2, 1, 64, &threads) != 0) {
        return ex != 0 ? ex : EXIT_USAGE;
    }
    pt_ctx *ctx;
    pt_store *st;
    if ((ex = cli_open_store(a, 0, &ctx, &st)) != 0) {
        return ex;
    }
    double t0 = cli_now();
    const pt_graph *g = pt_store_graph(st);
    o.now = pt_graph_latest_time(g);
    batch b;
    memset(&b, 0, sizeof b);
    b.g = g;
    b.o = &o;
    b.recs = (uint32_t)recs;
    pthread_mutex_init(&b.mu, NULL);
    uint32_t n = pt_graph_node_count(g);
    b.users = malloc(((size_t)n + 1) * sizeof *b.users);
    for (pt_node_id v = 0; b.users != NULL && v < n; v++) {
        if (pt_graph_node_class(g, v) == PT_CLASS_USER) {
            b.users[b.n_users++] = v;
        }
    }
    b.out = calloc(b.n_users + 1, sizeof *b.out);
    int rc = b.users == NULL || b.out == NULL ? PT_ENOMEM : PT_OK;
    pt_walk_params wp;
    pt_walk_params_default(&wp);
    if (rc == PT_OK && recs > 0) {
        rc = pt_recommender_new(ctx, g, &wp, &b.r);
    }
    FILE *f = rc == PT_OK ? fopen(out, "w") : NULL;
    if (rc == PT_OK && f == NULL) {
        cli_err(a, "cannot write %s", out);
        ex = EXIT_INPUT;
    } else if (rc == PT_OK) {
        pthread_t th[64];
        for (long t = 0; t < threads; t++) {
            pthread_create(&th[t], NULL, batch_main, &b);
        }
        /* Progress on a terminal: the share of users taken, a few times a second. */
        if (isatty(2)) {
            for (;;) {
                pthread_mutex_lock(&b.mu);
                size_t done = b.next < b.n_users ? b.next : b.n_users;
                pthread_mutex_unlock(&b.mu);
                fprintf(stderr, "\r\033[Kprofiles %zu/%zu", done, b.n_users);
                if (done >= b.n_users) {
                    break;
                }
                struct timespec ts = {0, 200000000};
                nanosleep(&ts, NULL);
            }
            fprintf(stderr, "\r\033[K");
        }
        for (long t = 0; t < threads; t++) {
            pthread_join(th[t], NULL);
        }
        for (size_t i = 0; i < b.n_users && !b.failed; i++) {
            fputs(b.out[i], f);
        }
        if (fclose(f) != 0 || b.failed) {
            cli_err(a, "writing %s failed", out);
            ex = EXIT_STORE;
        } else {
            char sec[32];
            fprintf(stderr, "portrait profiles: %zu profiles written to %s in %s\n", b.n_users,
                    out, cli_seconds(cli_now() - t0, sec, sizeof sec));
        }
    } else {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        ex = cli_exit_for(rc, 0);
    }
    for (size_t i = 0; b.out != NULL && i < b.n_users; i++) {
        free(b.out[i]);
    }
    free(b.out);
    free(b.users);
    pt_recommender_free(b.r);
    pthread_mutex_destroy(&b.mu);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return ex;
}

static const char *const profiles_opts_list[] = {"all", "out=", "threads=", "top=", "similar=",
                                                 "recs=", "half-life=", NULL};

const cli_cmd cmd_profiles = {
    "profiles",
    "every user's profile as JSON lines, in parallel",
    "usage: portrait profiles --all --out FILE.jsonl [--threads N] [--top N] [--similar N]\n"
    "                         [--recs N] [--half-life DAYS]\n"
    "\n"
    "Write one JSON profile (as 'portrait profile' prints it) per line for every user, in\n"
    "node order, computed on N threads (default 2).\n",
    profiles_opts_list,
    run_profiles,
};
