/*
 * bench_recommend.c - the recommender's quality, latency and convergence studies.
 *
 *   bench_recommend tune  [--split A|B] [--method M] [--alpha X] ... : MovieLens-100k, a
 *       validation split carved from the *training* rows of splits/ml-100k/<split>_train.csv
 *       only (A: each user with >= 5 interactions loses the latest; B: 20% per such user drawn
 *       with a fixed seed), NDCG@10, HR@10, Recall@20, Cov@10 of pt_recommend on it. With
 *       --test, the real test rows instead (only to report the final defaults, never to tune).
 *   bench_recommend latency [--nt FILE | --ml u.data] [--users N] [--steps N] [--method M]:
 *       one user's recommend + explain in-process, p50 / p99 over N users, the share of
 *       recommended items with a path of <= 3 hops, and a --users batch of every user on
 *       the recommender's threads.
 *   bench_recommend converge [--ml u.data] : Pixie walk estimate (restart 1, no multi-hit)
 *       against exact RP3beta, overlap@10 and Spearman rank correlation of the top 100, by
 *       step budget.
 *   bench_recommend sync [--ml u.data | --nt FILE] [--events N] [--method M] : single events
 *       appended one at a time, each followed by pt_recommender_sync and one recommend +
 *       explain for its user; p50 / p99 against a full rebuild.
 *
 * Uses only the public API (it is a tool, like the CLI).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portrait/portrait.h"

#define ML_DIR "../shared/data"

/* Monotonic seconds. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the calling thread (the machine is shared: wall time also counts the time
 * other processes hold the core). */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Value of option `name` in argv, or NULL. */
static const char *opt(int argc, char **argv, const char *name) {
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return NULL;
}

/* Double option with default. */
static double optd(int argc, char **argv, const char *name, double def) {
    const char *v = opt(argc, argv, name);
    return v != NULL ? atof(v) : def;
}

/* True when flag `name` is present. */
static int flag(int argc, char **argv, const char *name) {
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Apply the parameter options of the command line to `p`. */
static void params_from_args(int argc, char **argv, pt_walk_params *p) {
    const char *m = opt(argc, argv, "--method");
    if (m != NULL && pt_rec_method_parse(m, &p->method) != PT_OK) {
        fprintf(stderr, "bad --method %s\n", m);
        exit(1);
    }
    p->steps = (uint64_t)optd(argc, argv, "--steps", (double)p->steps);
    p->alpha = optd(argc, argv, "--alpha", p->alpha);
    p->beta = optd(argc, argv, "--beta", p->beta);
    p->restart = optd(argc, argv, "--restart", p->restart);
    p->rating_center = optd(argc, argv, "--rating-center", p->rating_center);
    p->rating_power = optd(argc, argv, "--rating-power", p->rating_power);
    p->half_life_days = optd(argc, argv, "--half-life", p->half_life_days);
    p->recent_boost = optd(argc, argv, "--recent-boost", p->recent_boost);
    p->half_life_events = optd(argc, argv, "--half-life-events", p->half_life_events);
    p->recency_floor = optd(argc, argv, "--floor", p->recency_floor);
    p->min_visits = (uint32_t)optd(argc, argv, "--min-visits", p->min_visits);
    p->multi_hit = (int)optd(argc, argv, "--multi-hit", p->multi_hit);
    p->n_p = (uint32_t)optd(argc, argv, "--np", p->n_p);
    p->n_v = (uint32_t)optd(argc, argv, "--nv", p->n_v);
    p->threads = (int)optd(argc, argv, "--threads", p->threads);
    p->w_tag = optd(argc, argv, "--w-tag", p->w_tag);
    p->w_category = optd(argc, argv, "--w-category", p->w_category);
    p->w_brand = optd(argc, argv, "--w-brand", p->w_brand);
    p->category_up = optd(argc, argv, "--category-up", p->category_up);
    p->seed = (uint64_t)optd(argc, argv, "--seed", (double)p->seed);
}

/* --- MovieLens ------------------------------------------------------------------------------ */

/* One interaction. */
typedef struct ev {
    int user, item, rating;
    long time;
    int order;
} ev;

/* Rating of (user, item) from u.data, by a dense table. */
static int rating_tab[944][1683];

/* Load u.data ratings into rating_tab; returns the number read. */
static int load_ratings(const char *path) {
    FILE *f = fopen(path, "r");
    int u, i, r, n = 0;
    long t;
    if (f == NULL) {
        return 0;
    }
    while (fscanf(f, "%d %d %d %ld", &u, &i, &r, &t) == 4) {
        if (u > 0 && u < 944 && i > 0 && i < 1683) {
            rating_tab[u][i] = r;
            n++;
        }
    }
    fclose(f);
    return n;
}

/* Load a split CSV (user,item,timestamp with a header) into *out; returns the count. */
static size_t load_split(const char *path, ev **out) {
    FILE *f = fopen(path, "r");
    char line[256];
    size_t n = 0, cap = 1024;
    ev *e = malloc(cap * sizeof *e);
    if (f == NULL || e == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    while (fgets(line, sizeof line, f) != NULL) {
        int u, i;
        long t;
        if (sscanf(line, "%d,%d,%ld", &u, &i, &t) != 3) {
            continue;
        }
        if (n == cap) {
            cap *= 2;
            e = realloc(e, cap * sizeof *e);
        }
        e[n] = (ev){u, i, (u < 944 && i < 1683) ? rating_tab[u][i] : 0, t, (int)n};
        n++;
    }
    fclose(f);
    *out = e;
    return n;
}

/* Order interactions by user, then time, then file order. */
static int cmp_ev(const void *a, const void *b) {
    const ev *x = a, *y = b;
    if (x->user != y->user) {
        return x->user - y->user;
    }
    if (x->time != y->time) {
        return x->time < y->time ? -1 : 1;
    }
    return x->order - y->order;
}

/* With --genres FILE (u.item): item -pt:hasTag-> genre edges are added to the graphs. */
static const char *genres_path;

/* Add the 19 genre flags of u.item as tags of the items (Latin-1 titles are skipped: the
 * flags are the last 19 '|' fields). */
static void add_genres(pt_builder *b) {
    FILE *f = fopen(genres_path, "r");
    char line[2048], buf[96];
    if (f == NULL) {
        fprintf(stderr, "cannot read %s\n", genres_path);
        exit(2);
    }
    pt_node_id tag = pt_builder_intern(b, PT_HAS_TAG, strlen(PT_HAS_TAG), PT_TERM_IRI);
    while (fgets(line, sizeof line, f) != NULL) {
        int id = atoi(line);
        char *flags[32];
        int nf = 0;
        for (char *p = line; *p != '\0' && nf < 32; p++) {
            if (*p == '|') {
                flags[nf++] = p + 1;
            }
        }
        if (id <= 0 || nf < 19) {
            continue;
        }
        int l = snprintf(buf, sizeof buf, "https://movielens.org/item/%d", id);
        pt_node_id it = pt_builder_intern(b, buf, (size_t)l, PT_TERM_IRI);
        for (int g = 0; g < 19; g++) {
            if (flags[nf - 19 + g][0] == '1') {
                l = snprintf(buf, sizeof buf, "https://movielens.org/genre/%d", g);
                pt_builder_add_edge(b, it, tag, pt_builder_intern(b, buf, (size_t)l, PT_TERM_IRI),
                                    1.0f, PT_TIME_UNKNOWN);
            }
        }
    }
    fclose(f);
}

/* Build a graph of the interactions e[0..n) (skipping those with skip[j]) as
 * user -pt:rated-> item edges weighted by rating, timed. */
static pt_graph *build_ml(pt_ctx *ctx, const ev *e, size_t n, const char *skip) {
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    char buf[128];
    if (pt_builder_new(ctx, NULL, &b) != PT_OK) {
        exit(3);
    }
    pt_builder_set_base(b, "https://movielens.org/");
    pt_node_id pr = pt_builder_intern(b, PT_RATED, strlen(PT_RATED), PT_TERM_IRI);
    for (size_t j = 0; j < n; j++) {
        if (skip != NULL && skip[j]) {
            continue;
        }
        int l = snprintf(buf, sizeof buf, "https://movielens.org/user/%d", e[j].user);
        pt_node_id u = pt_builder_intern(b, buf, (size_t)l, PT_TERM_IRI);
        l = snprintf(buf, sizeof buf, "https://movielens.org/item/%d", e[j].item);
        pt_node_id it = pt_builder_intern(b, buf, (size_t)l, PT_TERM_IRI);
        pt_builder_add_edge(b, u, pr, it, (float)(e[j].rating > 0 ? e[j].rating : 3),
                            (int64_t)e[j].time);
    }
    if (genres_path != NULL) {
        add_genres(b);
    }
    if (pt_builder_finish(b, &g) != PT_OK) {
        fprintf(stderr, "build: %s\n", pt_ctx_errmsg(ctx));
        exit(3);
    }
    return g;
}

/* Small deterministic generator for the B-style validation draw. */
static uint64_t rng_state = 0x853C49E6748FEA9BULL;

/* Next 32 random bits (a 64-bit LCG's high half): the validation draw of protocol B. */
static uint32_t rng32(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* Run `tune`: evaluate the parameters on the validation (or test) split. */
static int run_tune(int argc, char **argv) {
    const char *split = opt(argc, argv, "--split");
    const char *dir = opt(argc, argv, "--data");
    char path[512];
    if (split == NULL) {
        split = "A";
    }
    if (dir == NULL) {
        dir = ML_DIR;
    }
    snprintf(path, sizeof path, "%s/ml-100k/u.data", dir);
    if (load_ratings(path) == 0) {
        fprintf(stderr, "cannot read %s (skipped)\n", path);
        return 0;
    }
    int use_test = flag(argc, argv, "--test");
    ev *tr, *te = NULL;
    snprintf(path, sizeof path, "%s/splits/ml-100k/%s_train.csv", dir, split);
    size_t n = load_split(path, &tr), n_te = 0;
    qsort(tr, n, sizeof *tr, cmp_ev);
    char *held = calloc(n + 1, 1);
    if (use_test) {
        snprintf(path, sizeof path, "%s/splits/ml-100k/%s_test.csv", dir, split);
        n_te = load_split(path, &te);
    } else {
        /* Carve validation rows out of the training rows only. */
        te = malloc((n + 1) * sizeof *te);
        for (size_t a = 0; a < n;) {
            size_t b = a;
            while (b < n && tr[b].user == tr[a].user) {
                b++;
            }
            size_t cnt = b - a;
            if (cnt >= 5) {
                if (split[0] == 'A') {
                    held[b - 1] = 1;
                    te[n_te++] = tr[b - 1];
                } else {
                    size_t want = (size_t)floor(0.2 * (double)cnt + 0.5), got = 0;
                    while (got < want) {
                        size_t j = a + rng32() % cnt;
                        if (!held[j]) {
                            held[j] = 1;
                            te[n_te++] = tr[j];
                            got++;
                        }
                    }
                }
            }
            a = b;
        }
    }
    pt_ctx *ctx;
    pt_ctx_new(&ctx);
    pt_graph *g = build_ml(ctx, tr, n, held);
    pt_walk_params p;
    pt_walk_params_default(&p);
    params_from_args(argc, argv, &p);
    pt_recommender *r;
    double t0 = now_s();
    if (pt_recommender_new(ctx, g, &p, &r) != PT_OK) {
        fprintf(stderr, "recommender: %s\n", pt_ctx_errmsg(ctx));
        return 3;
    }
    double t_build = now_s() - t0;
    /* Test items per user. */
    qsort(te, n_te, sizeof *te, cmp_ev);
    int K = 20;
    size_t n_users = 0;
    pt_rec_query *qs = calloc(n_te + 1, sizeof *qs);
    size_t *first = calloc(n_te + 2, sizeof *first);
    char buf[128];
    for (size_t a = 0; a < n_te;) {
        size_t b = a;
        while (b < n_te && te[b].user == te[a].user) {
            b++;
        }
        snprintf(buf, sizeof buf, "https://movielens.org/user/%d", te[a].user);
        pt_node_id u = pt_graph_lookup(g, buf, strlen(buf), PT_TERM_IRI);
        pt_rec_query_init(&qs[n_users], u, (uint32_t)K);
        first[n_users++] = a;
        a = b;
    }
    first[n_users] = n_te;
    pt_rec_item *out = calloc(n_users * (size_t)K + 1, sizeof *out);
    size_t *n_out = calloc(n_users + 1, sizeof *n_out);
    int *flags = calloc(n_users + 1, sizeof *flags);
    t0 = now_s();
    int rc = pt_recommend_many(r, qs, n_users, out, (size_t)K, n_out, flags);
    double t_run = now_s() - t0;
    if (rc != PT_OK) {
        fprintf(stderr, "recommend: %s\n", pt_ctx_errmsg(ctx));
        return 3;
    }
    double ndcg10 = 0, ndcg20 = 0, hr10 = 0, rec20 = 0;
    char *cov = calloc(pt_graph_node_count(g) + 1, 1);
    size_t n_cov = 0;
    for (size_t q = 0; q < n_users; q++) {
        size_t a = first[q], b = first[q + 1];
        double dcg10 = 0, dcg20 = 0, idcg10 = 0, idcg20 = 0;
        int hits10 = 0, hits20 = 0;
        for (size_t j = 0; j < n_out[q]; j++) {
            pt_node_id it = out[q * K + j].item;
            pt_graph_display_id(g, it, buf, sizeof buf);
            int id = atoi(buf);
            if (j < 10 && !cov[it]) {
                cov[it] = 1;
                n_cov++;
            }
            for (size_t t = a; t < b; t++) {
                if (te[t].item == id) {
                    if (j < 10) {
                        dcg10 += 1.0 / log2((double)j + 2.0);
                        hits10++;
                    }
                    dcg20 += 1.0 / log2((double)j + 2.0);
                    hits20++;
                    break;
                }
            }
        }
        for (size_t j = 0; j < b - a && j < 20; j++) {
            if (j < 10) {
                idcg10 += 1.0 / log2((double)j + 2.0);
            }
            idcg20 += 1.0 / log2((double)j + 2.0);
        }
        ndcg10 += dcg10 / idcg10;
        ndcg20 += dcg20 / idcg20;
        hr10 += hits10 > 0;
        rec20 += (double)hits20 / (double)(b - a);
    }
    double nu = (double)n_users;
    printf("split %s%s method %s alpha %.2f beta %.2f restart %.2f rc %.1f rp %.1f hl %.0f "
           "hle %.0f fl %.2f boost %.1f mh %d steps %llu | NDCG@10 %.4f HR@10 %.4f Recall@20 %.4f "
           "NDCG@20 %.4f "
           "Cov@10 %.4f | users %zu build %.3fs run %.3fs\n",
           split, use_test ? "-test" : "-val", pt_rec_method_name(p.method), p.alpha, p.beta,
           p.restart, p.rating_center, p.rating_power, p.half_life_days, p.half_life_events,
           p.recency_floor, p.recent_boost, p.multi_hit, (unsigned long long)p.steps, ndcg10 / nu,
           hr10 / nu, rec20 / nu, ndcg20 / nu, (double)n_cov / 1682.0, n_users, t_build, t_run);
    free(cov);
    free(out);
    free(n_out);
    free(flags);
    free(qs);
    free(first);
    free(tr);
    free(te);
    free(held);
    pt_recommender_free(r);
    pt_graph_free(g);
    pt_ctx_free(ctx);
    return 0;
}

/* --- latency --------------------------------------------------------------------------------- */

/* Load the graph for latency / convergence: --nt FILE (RDF) or --ml u.data. */
static pt_graph *load_graph(pt_ctx *ctx, int argc, char **argv) {
    const char *nt = opt(argc, argv, "--nt");
    if (nt != NULL) {
        pt_builder *b;
        pt_graph *g;
        pt_import_stats st;
        memset(&st, 0, sizeof st);
        double t0 = now_s();
        if (pt_builder_new(ctx, NULL, &b) != PT_OK) {
            exit(3);
        }
        pt_builder_set_base(b, "https://shop.example/");
        if (pt_import_rdf(b, nt, NULL, NULL, &st) != PT_OK || pt_builder_finish(b, &g) != PT_OK) {
            fprintf(stderr, "load %s: %s\n", nt, pt_ctx_errmsg(ctx));
            exit(3);
        }
        fprintf(stderr, "loaded %s: %u nodes, %llu edges in %.1f s\n", nt, pt_graph_node_count(g),
                (unsigned long long)pt_graph_edge_count(g), now_s() - t0);
        return g;
    }
    const char *ml = opt(argc, argv, "--ml");
    char path[512];
    if (ml == NULL) {
        snprintf(path, sizeof path, "%s/ml-100k/u.data", ML_DIR);
        ml = path;
    }
    FILE *f = fopen(ml, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot read %s\n", ml);
        exit(2);
    }
    size_t n = 0, cap = 1 << 17;
    ev *e = malloc(cap * sizeof *e);
    int u, i, rt;
    long t;
    while (fscanf(f, "%d %d %d %ld", &u, &i, &rt, &t) == 4) {
        if (n == cap) {
            cap *= 2;
            e = realloc(e, cap * sizeof *e);
        }
        e[n] = (ev){u, i, rt, t, (int)n};
        n++;
    }
    fclose(f);
    pt_graph *g = build_ml(ctx, e, n, NULL);
    free(e);
    return g;
}

/* Order doubles ascending. */
static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Run `latency`. */
static int run_latency(int argc, char **argv) {
    pt_ctx *ctx;
    pt_ctx_new(&ctx);
    pt_graph *g = load_graph(ctx, argc, argv);
    pt_walk_params p;
    pt_walk_params_default(&p);
    p.method = PT_REC_PIXIE;
    params_from_args(argc, argv, &p);
    pt_recommender *r;
    double t0 = now_s();
    if (pt_recommender_new(ctx, g, &p, &r) != PT_OK) {
        fprintf(stderr, "recommender: %s\n", pt_ctx_errmsg(ctx));
        return 3;
    }
    printf("index built in %.3f s\n", now_s() - t0);
    pt_rec_scratch *s;
    pt_rec_scratch_new(r, &s);
    uint32_t n = pt_graph_node_count(g);
    size_t max_users = (size_t)optd(argc, argv, "--users", 1000);
    pt_node_id *users = malloc((size_t)n * sizeof *users);
    size_t n_users = 0;
    for (pt_node_id v = 0; v < n; v++) {
        if (pt_recommender_user_items(r, v) > 0) {
            users[n_users++] = v;
        }
    }
    size_t m = n_users < max_users ? n_users : max_users;
    double *lat = malloc((m + 1) * sizeof *lat), *cpu = malloc((m + 1) * sizeof *cpu);
    pt_rec_item out[10];
    size_t n_items = 0, n_short = 0, n_pathed = 0;
    uint64_t steps = 0;
    /* Spread the measured users over the whole id range (every (n_users/m)-th). */
    for (size_t j = 0; j < m; j++) {
        pt_rec_query q;
        pt_rec_query_init(&q, users[j * n_users / m], 10);
        q.explain = !flag(argc, argv, "--no-explain");
        size_t no;
        int fl;
        double a = now_s(), c = cpu_s();
        pt_recommend(r, s, &q, out, &no, &fl);
        lat[j] = now_s() - a;
        cpu[j] = cpu_s() - c;
        pt_rec_stats st;
        pt_rec_scratch_stats(s, &st);
        steps += st.steps;
        for (size_t k = 0; k < no; k++) {
            if (out[k].popular) {
                continue;
            }
            n_items++;
            n_pathed += out[k].n_paths > 0;
            for (uint32_t pi = 0; pi < out[k].n_paths; pi++) {
                if (out[k].paths[pi].n_nodes <= 4) {
                    n_short++;
                    break;
                }
            }
        }
    }
    qsort(lat, m, sizeof *lat, cmp_d);
    qsort(cpu, m, sizeof *cpu, cmp_d);
    printf("method %s steps %llu: recommend+explain k=10 over %zu users: p50 %.3f ms, p90 %.3f "
           "ms, p99 %.3f ms, max %.3f ms; mean walk steps %.0f\n",
           pt_rec_method_name(p.method), (unsigned long long)p.steps, m, lat[m / 2] * 1e3,
           lat[(m * 9) / 10] * 1e3, lat[(m * 99) / 100 < m ? (m * 99) / 100 : m - 1] * 1e3,
           lat[m - 1] * 1e3, (double)steps / (double)m);
    printf("  the same in thread CPU time: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           cpu[m / 2] * 1e3, cpu[(m * 9) / 10] * 1e3,
           cpu[(m * 99) / 100 < m ? (m * 99) / 100 : m - 1] * 1e3, cpu[m - 1] * 1e3);
    printf("personal items %zu: with a path %.2f%%, with a path of <= 3 hops %.2f%%\n", n_items,
           100.0 * (double)n_pathed / (double)(n_items ? n_items : 1),
           100.0 * (double)n_short / (double)(n_items ? n_items : 1));
    if (flag(argc, argv, "--no-batch")) {
        n_users = 0;
    }
    /* Batch: every user, k = 10, no explanation, on the recommender's threads. */
    pt_rec_query *qs = calloc(n_users + 1, sizeof *qs);
    for (size_t j = 0; j < n_users; j++) {
        pt_rec_query_init(&qs[j], users[j], 10);
    }
    pt_rec_item *bout = calloc(n_users * 10 + 1, sizeof *bout);
    size_t *bn = calloc(n_users + 1, sizeof *bn);
    int *bf = calloc(n_users + 1, sizeof *bf);
    t0 = now_s();
    int rc = pt_recommend_many(r, qs, n_users, bout, 10, bn, bf);
    printf("batch: %zu users on %d threads in %.3f s (rc %d)\n", n_users, p.threads, now_s() - t0,
           rc);
    free(qs);
    free(bout);
    free(bn);
    free(bf);
    free(lat);
    free(cpu);
    free(users);
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
    pt_ctx_free(ctx);
    return 0;
}

/* --- convergence ----------------------------------------------------------------------------- */

/* Run `converge`: sampled walks against exact RP3beta for the first N users. */
static int run_converge(int argc, char **argv) {
    pt_ctx *ctx;
    pt_ctx_new(&ctx);
    pt_graph *g = load_graph(ctx, argc, argv);
    pt_walk_params pe, pw;
    pt_walk_params_default(&pe);
    params_from_args(argc, argv, &pe);
    pe.method = PT_REC_RP3B;
    pt_recommender *re, *rw;
    if (pt_recommender_new(ctx, g, &pe, &re) != PT_OK) {
        fprintf(stderr, "%s\n", pt_ctx_errmsg(ctx));
        return 3;
    }
    pt_rec_scratch *se, *sw;
    pt_rec_scratch_new(re, &se);
    uint32_t n = pt_graph_node_count(g);
    size_t max_users = (size_t)optd(argc, argv, "--users", 200);
    const uint64_t budgets[] = {1000, 10000, 100000, 1000000};
    enum { TOP = 100 };
    pt_rec_item *ex = malloc(TOP * sizeof *ex), *wk = malloc(TOP * sizeof *wk);
    for (size_t bi = 0; bi < sizeof budgets / sizeof budgets[0]; bi++) {
        pw = pe;
        pw.method = PT_REC_PIXIE;
        pw.restart = 1.0;
        pw.multi_hit = 0;
        pw.n_p = 0;
        pw.steps = budgets[bi];
        pt_recommender_new(ctx, g, &pw, &rw);
        pt_rec_scratch_new(rw, &sw);
        double ov = 0, rho = 0, t_w = 0;
        size_t users = 0;
        for (pt_node_id v = 0; v < n && users < max_users; v++) {
            if (pt_recommender_user_items(re, v) == 0) {
                continue;
            }
            pt_rec_query q;
            pt_rec_query_init(&q, v, TOP);
            size_t ne, nw;
            int fl;
            pt_recommend(re, se, &q, ex, &ne, &fl);
            double a = now_s();
            pt_recommend(rw, sw, &q, wk, &nw, &fl);
            t_w += now_s() - a;
            /* overlap@10 */
            int o = 0;
            for (size_t i = 0; i < 10 && i < ne; i++) {
                for (size_t j = 0; j < 10 && j < nw; j++) {
                    o += ex[i].item == wk[j].item;
                }
            }
            ov += o / 10.0;
            /* Spearman over the exact top 100: rank in the walk list (missing = TOP). */
            double d2 = 0;
            for (size_t i = 0; i < ne; i++) {
                size_t rk = TOP;
                for (size_t j = 0; j < nw; j++) {
                    if (wk[j].item == ex[i].item) {
                        rk = j;
                        break;
                    }
                }
                d2 += ((double)rk - (double)i) * ((double)rk - (double)i);
            }
            double nn = (double)ne;
            rho += ne > 1 ? 1.0 - 6.0 * d2 / (nn * (nn * nn - 1.0)) : 1.0;
            users++;
        }
        printf("steps %8llu: overlap@10 %.3f, Spearman(top %d) %.3f, %.3f ms per walk query "
               "(%zu users)\n",
               (unsigned long long)budgets[bi], ov / (double)users, TOP, rho / (double)users,
               t_w / (double)users * 1e3, users);
        pt_rec_scratch_free(sw);
        pt_recommender_free(rw);
    }
    free(ex);
    free(wk);
    pt_rec_scratch_free(se);
    pt_recommender_free(re);
    pt_graph_free(g);
    pt_ctx_free(ctx);
    return 0;
}

/* --- sync ------------------------------------------------------------------------------------ */

/* Real-time updates: --events N single events (a random existing user views a random existing
 * item, and every tenth event comes from a new user on a new item) appended to the graph one
 * at a time, each followed by pt_recommender_sync and one recommend + explain for that user;
 * p50 / p99 of the sync alone and of sync + query, against the time of a full rebuild
 * (pt_recommender_new) of the same recommender. */
static int run_sync(int argc, char **argv) {
    pt_ctx *ctx;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return 3;
    }
    pt_graph *g = load_graph(ctx, argc, argv);
    const char *ne = opt(argc, argv, "--events");
    int n_ev = ne != NULL ? atoi(ne) : 2000;
    pt_walk_params p;
    pt_walk_params_default(&p);
    const char *m = opt(argc, argv, "--method");
    if (m != NULL && pt_rec_method_parse(m, &p.method) != PT_OK) {
        fprintf(stderr, "unknown method %s\n", m);
        return 1;
    }
    pt_recommender *r;
    double t0 = now_s();
    if (pt_recommender_new(ctx, g, &p, &r) != PT_OK) {
        fprintf(stderr, "%s\n", pt_ctx_errmsg(ctx));
        return 3;
    }
    double t_build = now_s() - t0;
    pt_rec_scratch *s;
    if (pt_rec_scratch_new(r, &s) != PT_OK) {
        return 3;
    }
    uint32_t n_nodes = pt_graph_node_count(g);
    pt_node_id *users = malloc(n_nodes * sizeof *users), *items = malloc(n_nodes * sizeof *items);
    size_t nu = 0, ni = 0;
    for (pt_node_id v = 0; v < n_nodes; v++) {
        if (pt_recommender_user_items(r, v) > 0) {
            users[nu++] = v;
        } else if (pt_recommender_is_item(r, v)) {
            items[ni++] = v;
        }
    }
    pt_node_id viewed = pt_graph_intern(g, PT_VIEWED, strlen(PT_VIEWED), PT_TERM_IRI);
    double *t_sync = malloc((size_t)n_ev * sizeof *t_sync), *t_all = malloc((size_t)n_ev * sizeof *t_all);
    uint64_t rng = 12345;
    pt_rec_item out[10];
    for (int e = 0; e < n_ev; e++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        pt_node_id u, it;
        if (e % 10 == 9) {
            char buf[96];
            int l = snprintf(buf, sizeof buf, "https://bench.example/user/new%d", e);
            u = pt_graph_intern(g, buf, (size_t)l, PT_TERM_IRI);
            l = snprintf(buf, sizeof buf, "https://bench.example/item/new%d", e);
            it = pt_graph_intern(g, buf, (size_t)l, PT_TERM_IRI);
        } else {
            u = users[(rng >> 33) % nu];
            it = items[(rng >> 13) % ni];
        }
        double a = now_s();
        pt_graph_add_edge(g, u, viewed, it, 1.0f, 2000000000 + e);
        double b = now_s();
        if (pt_recommender_sync(r) != PT_OK) {
            fprintf(stderr, "sync: %s\n", pt_ctx_errmsg(ctx));
            return 3;
        }
        double c = now_s();
        pt_rec_query q;
        pt_rec_query_init(&q, u, 10);
        q.explain = 1;
        size_t n;
        int flags;
        if (pt_recommend(r, s, &q, out, &n, &flags) != PT_OK) {
            fprintf(stderr, "recommend: %s\n", pt_ctx_errmsg(ctx));
            return 3;
        }
        t_sync[e] = c - b;
        t_all[e] = now_s() - a;
    }
    qsort(t_sync, (size_t)n_ev, sizeof *t_sync, cmp_d);
    qsort(t_all, (size_t)n_ev, sizeof *t_all, cmp_d);
    printf("method %s: full build %.1f ms; %d single events: sync p50 %.1f us p99 %.1f us; "
           "append + sync + recommend/explain p50 %.3f ms p99 %.3f ms\n",
           pt_rec_method_name(p.method), t_build * 1e3, n_ev, t_sync[n_ev / 2] * 1e6,
           t_sync[n_ev * 99 / 100] * 1e6, t_all[n_ev / 2] * 1e3, t_all[n_ev * 99 / 100] * 1e3);
    free(t_sync);
    free(t_all);
    free(users);
    free(items);
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_graph_free(g);
    pt_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_recommend tune|latency|converge|sync [options]\n");
        return 1;
    }
    genres_path = opt(argc, argv, "--genres");
    if (strcmp(argv[1], "tune") == 0) {
        return run_tune(argc, argv);
    }
    if (strcmp(argv[1], "latency") == 0) {
        return run_latency(argc, argv);
    }
    if (strcmp(argv[1], "converge") == 0) {
        return run_converge(argc, argv);
    }
    if (strcmp(argv[1], "sync") == 0) {
        return run_sync(argc, argv);
    }
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 1;
}
