/*
 * cmd_graph.c - the subcommands that read the graph as it is: `stats` (counts by class and
 * predicate, degree summary), `neighborhood` (the nodes and edges within N hops of a node),
 * `export` (the graph as N-Triples or Turtle) and `verify` (every checksum of the store).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

/* --- stats --------------------------------------------------------------------------------- */

/* A predicate and how many triples use it. */
typedef struct pred_count {
    pt_node_id pred;
    uint64_t n;
    int literal;
} pred_count;

/* Order predicate counts by count, descending, then by id. */
static int cmp_pred_count(const void *a, const void *b) {
    const pred_count *x = a, *y = b;
    if (x->n != y->n) {
        return x->n < y->n ? 1 : -1;
    }
    return x->pred < y->pred ? -1 : x->pred > y->pred;
}

/* Order 64-bit unsigned values ascending. */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Degree summary of one class. */
typedef struct deg_summary {
    uint64_t n, sum, max, median, p90;
} deg_summary;

/* Summarise the degrees `d` (n values, sorted in place). */
static deg_summary summarise(uint64_t *d, uint64_t n) {
    deg_summary s = {n, 0, 0, 0, 0};
    if (n == 0) {
        return s;
    }
    qsort(d, n, sizeof *d, cmp_u64);
    for (uint64_t i = 0; i < n; i++) {
        s.sum += d[i];
    }
    s.max = d[n - 1];
    s.median = d[n / 2];
    s.p90 = d[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
    return s;
}

/* Run `portrait stats`. */
static int run_stats(cli_args *a) {
    const char *fmt = cli_opt(a, "format");
    if (fmt != NULL && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
        cli_err(a, "--format: '%s' is not text or json", fmt);
        return EXIT_USAGE;
    }
    int json = fmt != NULL && strcmp(fmt, "json") == 0;
    long top;
    if (cli_int(a, "top", 20, 1, 1000000, &top) != 0) {
        return EXIT_USAGE;
    }
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    const pt_graph *g = pt_store_graph(st);
    uint32_t n = pt_graph_node_count(g);
    uint64_t by_class[PT_CLASS_COUNT_] = {0};
    uint64_t *edge_n = calloc((size_t)n + 1, sizeof *edge_n);
    uint64_t *lit_n = calloc((size_t)n + 1, sizeof *lit_n);
    uint64_t *deg[PT_CLASS_COUNT_][2];
    uint64_t fill[PT_CLASS_COUNT_] = {0};
    for (int c = 0; c < PT_CLASS_COUNT_; c++) {
        deg[c][0] = deg[c][1] = NULL;
    }
    for (uint32_t v = 0; v < n; v++) {
        by_class[pt_graph_node_class(g, v)]++;
    }
    for (int c = 0; c < PT_CLASS_COUNT_; c++) {
        deg[c][0] = malloc((by_class[c] + 1) * sizeof(uint64_t));
        deg[c][1] = malloc((by_class[c] + 1) * sizeof(uint64_t));
    }
    pt_edge_iter it;
    pt_edge e;
    pt_literal lit;
    for (uint32_t v = 0; v < n; v++) {
        uint64_t od = 0;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            edge_n[e.pred]++;
            od++;
        }
        uint64_t nl = pt_graph_literal_count_of(g, v);
        for (uint64_t i = 0; i < nl; i++) {
            if (pt_graph_literal(g, v, i, &lit) == PT_OK) {
                lit_n[lit.pred]++;
            }
        }
        pt_class c = pt_graph_node_class(g, v);
        deg[c][0][fill[c]] = od;
        deg[c][1][fill[c]++] = pt_graph_in_degree(g, v);
    }
    size_t n_pc = 0;
    pred_count *pc = malloc(((size_t)n + 1) * 2 * sizeof *pc);
    for (uint32_t v = 0; v < n; v++) {
        if (edge_n[v] > 0) {
            pc[n_pc++] = (pred_count){v, edge_n[v], 0};
        }
        if (lit_n[v] > 0) {
            pc[n_pc++] = (pred_count){v, lit_n[v], 1};
        }
    }
    qsort(pc, n_pc, sizeof *pc, cmp_pred_count);
    deg_summary ds[PT_CLASS_COUNT_][2];
    for (int c = 0; c < PT_CLASS_COUNT_; c++) {
        ds[c][0] = summarise(deg[c][0], by_class[c]);
        ds[c][1] = summarise(deg[c][1], by_class[c]);
    }
    char b1[32], b2[32], b3[32], name[1024];
    if (json) {
        printf("{\"store\":");
        cli_json_str(stdout, pt_store_path(st));
        printf(",\"generation\":%llu,\"nodes\":%u,\"edges\":%llu,\"literals\":%llu,\"classes\":{",
               (unsigned long long)pt_store_generation(st), n,
               (unsigned long long)pt_graph_edge_count(g),
               (unsigned long long)pt_graph_literal_count(g));
        for (int c = 0; c < PT_CLASS_COUNT_; c++) {
            printf("%s\"%s\":%llu", c ? "," : "", pt_class_name((pt_class)c),
                   (unsigned long long)by_class[c]);
        }
        printf("},\"predicates\":[");
        for (size_t i = 0; i < n_pc && i < (size_t)top; i++) {
            printf("%s{\"predicate\":", i ? "," : "");
            cli_json_str(stdout, cli_compact_iri(g, pt_graph_node_str(g, pc[i].pred), name,
                                                 sizeof name));
            printf(",\"kind\":\"%s\",\"role\":\"%s\",\"count\":%llu}",
                   pc[i].literal ? "literal" : "edge",
                   pt_role_name(pt_graph_pred_role(g, pc[i].pred)), (unsigned long long)pc[i].n);
        }
        printf("],\"degrees\":{");
        int first = 1;
        for (int c = 0; c < PT_CLASS_COUNT_; c++) {
            if (by_class[c] == 0) {
                continue;
            }
            printf("%s\"%s\":{", first ? "" : ",", pt_class_name((pt_class)c));
            for (int d = 0; d < 2; d++) {
                printf("%s\"%s\":{\"mean\":%.2f,\"median\":%llu,\"p90\":%llu,\"max\":%llu}",
                       d ? "," : "", d ? "in" : "out",
                       (double)ds[c][d].sum / (double)ds[c][d].n,
                       (unsigned long long)ds[c][d].median, (unsigned long long)ds[c][d].p90,
                       (unsigned long long)ds[c][d].max);
            }
            printf("}");
            first = 0;
        }
        printf("}}\n");
    } else {
        printf("store        %s (generation %llu)\n", pt_store_path(st),
               (unsigned long long)pt_store_generation(st));
        printf("nodes        %s\n", cli_num(n, b1, sizeof b1));
        printf("edges        %s\n", cli_num(pt_graph_edge_count(g), b1, sizeof b1));
        printf("literals     %s\n", cli_num(pt_graph_literal_count(g), b1, sizeof b1));
        printf("\nnodes by class\n");
        for (int c = 1; c <= PT_CLASS_COUNT_; c++) {
            int cc = c % PT_CLASS_COUNT_; /* Other last */
            printf("  %-10s %12s\n", pt_class_name((pt_class)cc),
                   cli_num(by_class[cc], b1, sizeof b1));
        }
        printf("\ntriples by predicate (top %ld of %zu)\n", top, n_pc);
        for (size_t i = 0; i < n_pc && i < (size_t)top; i++) {
            pt_role r = pt_graph_pred_role(g, pc[i].pred);
            printf("  %-40s %12s  %s%s%s\n",
                   cli_compact_iri(g, pt_graph_node_str(g, pc[i].pred), name, sizeof name),
                   cli_num(pc[i].n, b1, sizeof b1), pc[i].literal ? "literal" : "edge",
                   r != PT_ROLE_NONE ? ", role " : "", r != PT_ROLE_NONE ? pt_role_name(r) : "");
        }
        printf("\ndegrees by class (edges out / in: mean, median, p90, max)\n");
        for (int c = 1; c <= PT_CLASS_COUNT_; c++) {
            int cc = c % PT_CLASS_COUNT_;
            if (by_class[cc] == 0) {
                continue;
            }
            printf("  %-10s out %7.2f %6s %6s %8s   in %7.2f %6llu %6llu %8llu\n",
                   pt_class_name((pt_class)cc), (double)ds[cc][0].sum / (double)ds[cc][0].n,
                   cli_num(ds[cc][0].median, b1, sizeof b1), cli_num(ds[cc][0].p90, b2, sizeof b2),
                   cli_num(ds[cc][0].max, b3, sizeof b3),
                   (double)ds[cc][1].sum / (double)ds[cc][1].n,
                   (unsigned long long)ds[cc][1].median, (unsigned long long)ds[cc][1].p90,
                   (unsigned long long)ds[cc][1].max);
        }
    }
    for (int c = 0; c < PT_CLASS_COUNT_; c++) {
        free(deg[c][0]);
        free(deg[c][1]);
    }
    free(pc);
    free(edge_n);
    free(lit_n);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return EXIT_OK_;
}

static const char *const stats_opts[] = {"format=", "top=", NULL};

const cli_cmd cmd_stats = {
    "stats",
    "counts by class and predicate, and a degree summary",
    "usage: portrait stats [--format text|json] [--top N]\n"
    "\n"
    "Print the store's node, edge and literal counts, nodes by class (User, Item, Category,\n"
    "Brand, Tag, Event, Other), triples by predicate with their roles (the top N, default 20),\n"
    "and out/in degree summaries by class.\n",
    stats_opts,
    run_stats,
    0, /* options only */
};

/* --- neighborhood -------------------------------------------------------------------------- */

/* Print one node of the neighbourhood as JSON. */
static void json_node(const pt_graph *g, pt_node_id v, long hop, int first) {
    char name[2048];
    printf("%s{\"id\":", first ? "" : ",");
    cli_json_str(stdout, cli_node_name(g, v, name, sizeof name));
    printf(",\"iri\":");
    cli_json_str(stdout, pt_graph_node_str(g, v));
    printf(",\"class\":\"%s\",\"hop\":%ld", pt_class_name(pt_graph_node_class(g, v)), hop);
    pt_node_id label = pt_graph_lookup(g, PT_RDFS_LABEL, strlen(PT_RDFS_LABEL), PT_TERM_IRI);
    pt_node_id title = pt_graph_lookup(g, PT_TITLE, strlen(PT_TITLE), PT_TERM_IRI);
    const char *l = title != PT_NONE ? pt_graph_literal_get(g, v, title, "en") : NULL;
    if (l == NULL && label != PT_NONE) {
        l = pt_graph_literal_get(g, v, label, "en");
    }
    if (l != NULL) {
        printf(",\"label\":");
        cli_json_str(stdout, l);
    }
    printf("}");
}

/* Parse option `name` as a time (unix seconds or ISO-8601, e.g. 2026-03-01) into *out;
 * leaves *out alone when absent. Prints the error and returns -1 when malformed. */
static int parse_when(const cli_args *a, const char *name, int64_t *out) {
    const char *v = cli_opt(a, name);
    if (v == NULL) {
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char *end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == NULL || *end != '\0') {
        memset(&tm, 0, sizeof tm);
        end = strptime(v, "%Y-%m-%d", &tm);
    }
    if (end != NULL && *end == '\0') {
        *out = (int64_t)timegm(&tm);
        return 0;
    }
    char *e2;
    long long x = strtoll(v, &e2, 10);
    if (*v != '\0' && *e2 == '\0') {
        *out = x;
        return 0;
    }
    cli_err(a, "--%s: '%s' is neither unix seconds nor a date like 2026-03-01", name, v);
    return -1;
}

/* Run `portrait neighborhood`. */
static int run_neighborhood(cli_args *a) {
    const char *node = cli_opt(a, "node");
    if (node == NULL && a->n_pos == 1) {
        node = a->pos[0];
    }
    if (node == NULL || *node == '\0') {
        cli_err(a, "--node ID is required");
        return EXIT_USAGE;
    }
    long hops, limit;
    if (cli_int(a, "hops", 1, 1, 10, &hops) != 0 ||
        cli_int(a, "limit", 1000, 1, 100000000, &limit) != 0) {
        return EXIT_USAGE;
    }
    const char *fmt = cli_opt(a, "format");
    if (fmt != NULL && strcmp(fmt, "json") != 0 && strcmp(fmt, "tsv") != 0) {
        cli_err(a, "--format: '%s' is not json or tsv", fmt);
        return EXIT_USAGE;
    }
    const char *dir = cli_opt(a, "direction");
    if (dir != NULL && strcmp(dir, "out") != 0 && strcmp(dir, "in") != 0 &&
        strcmp(dir, "both") != 0) {
        cli_err(a, "--direction: '%s' is not out, in or both", dir);
        return EXIT_USAGE;
    }
    /* Filters: the class of the nodes reached, the edge weight, the edge time window. */
    int want_class = -1;
    const char *cls = cli_opt(a, "class");
    if (cls != NULL) {
        for (int c = 0; c < PT_CLASS_COUNT_; c++) {
            if (strcasecmp(cls, pt_class_name((pt_class)c)) == 0) {
                want_class = c;
            }
        }
        if (want_class < 0) {
            cli_err(a, "--class: '%s' is not User, Item, Tag, Category, Brand, Event or Other",
                    cls);
            return EXIT_USAGE;
        }
    }
    double min_weight = -HUGE_VAL;
    const char *mw = cli_opt(a, "min-weight");
    if (mw != NULL) {
        char *end;
        min_weight = strtod(mw, &end);
        if (*mw == '\0' || *end != '\0') {
            cli_err(a, "--min-weight: '%s' is not a number", mw);
            return EXIT_USAGE;
        }
    }
    int64_t since = INT64_MIN, until = INT64_MAX;
    if (parse_when(a, "since", &since) != 0 || parse_when(a, "until", &until) != 0) {
        return EXIT_USAGE;
    }
    int timed = cli_opt(a, "since") != NULL || cli_opt(a, "until") != NULL;
    int use_out = dir == NULL || strcmp(dir, "in") != 0;
    int use_in = dir == NULL || strcmp(dir, "out") != 0;
    int json = fmt == NULL || strcmp(fmt, "json") == 0;
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    const pt_graph *g = pt_store_graph(st);
    int rc = EXIT_OK_;
    pt_node_id *preds = NULL;
    size_t n_preds = 0;
    uint32_t n = pt_graph_node_count(g);
    long *hop = NULL;
    pt_node_id *queue = NULL;
    pt_node_id start = pt_graph_resolve(g, node, PT_CLASS_OTHER);
    if (start == PT_NONE) {
        cli_err(a, "no node '%s' in the store", node);
        rc = EXIT_NOTFOUND;
        goto done;
    }
    const char *plist = cli_opt(a, "predicates");
    if (plist != NULL) {
        char *copy = strdup(plist), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            if (cli_resolve_predicates(g, tok, &preds, &n_preds) == 0) {
                cli_err(a, "--predicates: no predicate '%s' in the store", tok);
                free(copy);
                rc = EXIT_NOTFOUND;
                goto done;
            }
        }
        free(copy);
    }
    hop = malloc(((size_t)n + 1) * sizeof *hop);
    queue = malloc(((size_t)n + 1) * sizeof *queue);
    if (hop == NULL || queue == NULL) {
        cli_err(a, "out of memory");
        rc = EXIT_STORE;
        goto done;
    }
    for (uint32_t v = 0; v < n; v++) {
        hop[v] = -1;
    }
    /* Breadth-first over out- and in-edges, the predicate filter applied to every step. Edges are
     * printed when first crossed from a node at hop h < hops. */
    size_t qh = 0, qt = 0;
    hop[start] = 0;
    queue[qt++] = start;
    long n_nodes_out = 1, n_edges_out = 0;
    int truncated = 0;
    char s1[2048], s2[2048], s3[2048];
    if (json) {
        printf("{\"node\":");
        cli_json_str(stdout, cli_node_name(g, start, s1, sizeof s1));
        printf(",\"hops\":%ld,\"edges\":[", hops);
    }
    while (qh < qt) {
        pt_node_id v = queue[qh++];
        if (hop[v] >= hops) {
            continue;
        }
        for (int d = 0; d < 2; d++) {
            if ((d == 0 && !use_out) || (d == 1 && !use_in)) {
                continue;
            }
            size_t np = n_preds > 0 ? n_preds : 1;
            for (size_t pi = 0; pi < np; pi++) {
                pt_edge_iter it;
                pt_edge e;
                pt_graph_edges(g, v, d, n_preds > 0 ? preds[pi] : PT_NONE, &it);
                while (pt_graph_edge_next(&it, &e)) {
                    pt_node_id w = d == 0 ? e.dst : e.src;
                    if ((double)e.weight < min_weight ||
                        (timed && (e.time == PT_TIME_UNKNOWN || e.time < since ||
                                   e.time > until))) {
                        continue;
                    }
                    /* An edge between two nodes of the same hop is seen from both ends: print it
                     * from its source only. */
                    if (hop[w] >= 0 && hop[w] < hop[v]) {
                        continue;
                    }
                    if (hop[w] == hop[v] && d == 1) {
                        continue;
                    }
                    if (hop[w] < 0) {
                        if (n_nodes_out >= limit) {
                            truncated = 1;
                            continue;
                        }
                        hop[w] = hop[v] + 1;
                        queue[qt++] = w;
                        n_nodes_out++;
                    }
                    /* The class filter picks what is shown; the walk goes through all. */
                    if (want_class >= 0 && (int)pt_graph_node_class(g, w) != want_class) {
                        continue;
                    }
                    cli_node_name(g, e.src, s1, sizeof s1);
                    cli_compact_iri(g, pt_graph_node_str(g, e.pred), s2, sizeof s2);
                    cli_node_name(g, e.dst, s3, sizeof s3);
                    char tbuf[40] = "";
                    if (e.time != PT_TIME_UNKNOWN) {
                        time_t t = (time_t)e.time;
                        struct tm tm;
                        gmtime_r(&t, &tm);
                        strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%SZ", &tm);
                    }
                    if (json) {
                        printf("%s{\"hop\":%ld,\"src\":", n_edges_out ? "," : "", hop[v] + 1);
                        cli_json_str(stdout, s1);
                        printf(",\"pred\":");
                        cli_json_str(stdout, s2);
                        printf(",\"dst\":");
                        cli_json_str(stdout, s3);
                        printf(",\"weight\":%g", (double)e.weight);
                        if (tbuf[0]) {
                            printf(",\"time\":\"%s\"", tbuf);
                        }
                        printf("}");
                    } else {
                        printf("%ld\t%s\t%s\t%s\t%g\t%s\n", hop[v] + 1, s1, s2, s3,
                               (double)e.weight, tbuf);
                    }
                    n_edges_out++;
                }
            }
        }
    }
    if (json) {
        printf("],\"nodes\":[");
        for (size_t i = 0; i < qt; i++) {
            json_node(g, queue[i], hop[queue[i]], i == 0);
        }
        printf("],\"truncated\":%s}\n", truncated ? "true" : "false");
    }
    if (truncated) {
        fprintf(stderr, "portrait neighborhood: stopped at --limit %ld nodes\n", limit);
    }
done:
    free(hop);
    free(queue);
    free(preds);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return rc;
}

static const char *const nb_opts[] = {"node=",      "hops=",       "predicates=", "limit=",
                                      "format=",    "direction=",  "class=",      "min-weight=",
                                      "since=",     "until=",      NULL};

const cli_cmd cmd_neighborhood = {
    "neighborhood",
    "the nodes and edges within N hops of a node",
    "usage: portrait neighborhood --node ID [--hops N] [--predicates P,...] [--limit N]\n"
    "                             [--direction out|in|both] [--class C] [--min-weight W]\n"
    "                             [--since T] [--until T] [--format json|tsv]\n"
    "\n"
    "Walk out from a node, breadth first, along out- and in-edges, and print each edge\n"
    "crossed with the hop at which it was reached. JSON (default) also lists the nodes with\n"
    "their class and label; TSV prints 'hop src predicate dst weight time' lines.\n"
    "\n"
    "  --node ID        the start: IRI, prefixed name, _:blank or local id\n"
    "  --hops N         how far (1..10, default 1)\n"
    "  --predicates P   only these predicates: IRIs, prefixed names, or role names\n"
    "                   (purchased, rated, hasTag, inCategory, brand, broader, type, ...)\n"
    "  --limit N        at most N nodes (default 1000)\n"
    "  --direction D    out, in, or both (default)\n"
    "  --class C        only show edges that reach a node of this class (User, Item, Tag,\n"
    "                   Category, Brand, Event, Other); the walk still goes through all\n"
    "  --min-weight W   only edges of weight >= W (a rating, a count)\n"
    "  --since T, --until T  only edges timed in [T, T'] (unix seconds or 2026-03-01)\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 3 unknown node or predicate, 4 store error.\n",
    nb_opts,
    run_neighborhood,
    1, /* takes positional arguments (checked by the command) */
};

/* --- export -------------------------------------------------------------------------------- */

/* Run `portrait export`. */
static int run_export(cli_args *a) {
    const char *fmt = cli_opt(a, "format");
    if (fmt == NULL) {
        fmt = "ntriples";
    }
    if (strcmp(fmt, "ntriples") != 0 && strcmp(fmt, "turtle") != 0) {
        cli_err(a, "--format: '%s' is not ntriples or turtle", fmt);
        return EXIT_USAGE;
    }
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    const char *out = cli_opt(a, "out");
    int rc = pt_export_rdf(ctx, pt_store_graph(st), fmt, out != NULL ? out : "-");
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    return rc == PT_OK ? EXIT_OK_ : cli_exit_for(rc, 0);
}

static const char *const export_opts[] = {"format=", "out=", NULL};

const cli_cmd cmd_export = {
    "export",
    "write the graph as N-Triples or Turtle",
    "usage: portrait export [--format ntriples|turtle] [--out FILE]\n"
    "\n"
    "Write every triple of the store (edges, then literal properties) to FILE or standard\n"
    "output. Importing the export gives the same graph.\n",
    export_opts,
    run_export,
    0, /* options only */
};

/* --- verify -------------------------------------------------------------------------------- */

/* Run `portrait verify`. */
static int run_verify(cli_args *a) {
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    int rc = pt_store_verify(st);
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    } else {
        printf("%s: ok (generation %llu)\n", pt_store_path(st),
               (unsigned long long)pt_store_generation(st));
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    return rc == PT_OK ? EXIT_OK_ : EXIT_STORE;
}

static const char *const verify_opts[] = {NULL};

const cli_cmd cmd_verify = {
    "verify",
    "check every checksum of the store",
    "usage: portrait verify\n"
    "\n"
    "Read the whole current segment of the store and check every section's checksum.\n"
    "Exit 0 when sound, 4 with the damaged section named otherwise.\n",
    verify_opts,
    run_verify,
    0, /* options only */
};
