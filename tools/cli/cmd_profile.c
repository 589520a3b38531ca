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
#include "common/render.h"

/* Profiles print through tools/common/render.c, which the HTTP service shares. */
#define print_profile render_profile_json

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
        float vec[1024];
        render_embedding emb;
        int has = rc == PT_OK && render_stored_embedding(g, u, vec, 1024, &emb);
        if (rc == PT_OK) {
            rc = print_profile(stdout, g, p, has ? &emb : NULL, r, sc, (uint32_t)recs);
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
    "  likes/dislikes  tags of the items the user's reviews praised or panned (after\n"
    "              'portrait tag --model' or a review posted to 'serve --sentiment-model');\n"
    "  embedding   the user's pt:sequenceEmbedding vector, when 'seq train' stored one;\n"
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
    0, /* options only */
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
        float vec[1024];
        render_embedding emb;
        int has = render_stored_embedding(b->g, b->users[i], vec, 1024, &emb);
        if (mem == NULL || pt_profile_build(ctx, b->g, b->users[i], b->o, &p) != PT_OK ||
            print_profile(mem, b->g, p, has ? &emb : NULL, b->r, sc, b->recs) != PT_OK) {
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
    0, /* options only */
};
