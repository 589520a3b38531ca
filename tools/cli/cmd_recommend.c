/*
 * cmd_recommend.c - `portrait recommend` (items for one user or a file of users, as TSV or
 * JSON, with the paths that produced them) and `portrait explain` (the best paths between one
 * user and one item, as JSON, Graphviz DOT, or SVG drawn with Graphviz's libgvc).
 *
 * Both open the store read-only, build a recommender over its graph (pt_walk.h) and print.
 * Ids are printed as they were given at import (pt_graph_display_id); predicates as prefixed
 * names. See docs/WALKS.md for what the scores and paths mean.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/render.h"

/* --- shared -------------------------------------------------------------------------------- */

/* Fill `p` from the options shared by both commands; prints the error and returns an exit
 * code, or 0. */
static int walk_params(cli_args *a, pt_walk_params *p) {
    pt_walk_params_default(p);
    const char *m = cli_opt(a, "method");
    if (m != NULL && pt_rec_method_parse(m, &p->method) != PT_OK) {
        cli_err(a, "--method: '%s' is not pixie, p3, rp3b, ppr, pop, ease or hybrid", m);
        return EXIT_USAGE;
    }
    long steps, threads;
    if (cli_int(a, "steps", (long)p->steps, 1, 1L << 40, &steps) != 0 ||
        cli_int(a, "threads", 0, 0, 1024, &threads) != 0) {
        return EXIT_USAGE;
    }
    p->steps = (uint64_t)steps;
    p->threads = (int)threads;
    const char *seed = cli_opt(a, "seed");
    if (seed != NULL) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(seed, &end, 10);
        if (*seed == '\0' || *end != '\0' || errno != 0) {
            cli_err(a, "--seed: '%s' is not a whole number", seed);
            return EXIT_USAGE;
        }
        p->seed = (uint64_t)v;
    }
    return 0;
}

/* Titles, ids and paths are printed by the helpers in cli_util.c, shared with `profile`. */
#define node_title cli_node_title
#define json_path(g, p) cli_json_path(stdout, (g), (p))

/* Print the display id of node v as a JSON string. */
static void json_id(const pt_graph *g, pt_node_id v) {
    char buf[1024];
    pt_graph_display_id(g, v, buf, sizeof buf);
    cli_json_str(stdout, buf);
}

/* --- recommend ----------------------------------------------------------------------------- */

/* Read the ids of `file` (one per line; blank lines and '#' comments skipped) into *ids.
 * Returns the count, or -1 when the file cannot be read. */
static long read_ids(const char *file, char ***ids) {
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, n = 0, room = 0;
    ssize_t len;
    *ids = NULL;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                           line[len - 1] == '\t')) {
            line[--len] = '\0';
        }
        char *s = line;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '\0' || *s == '#') {
            continue;
        }
        if (n == room) {
            room = room ? room * 2 : 256;
            char **nn = realloc(*ids, room * sizeof *nn);
            if (nn == NULL) {
                break;
            }
            *ids = nn;
        }
        (*ids)[n++] = strdup(s);
    }
    int err = ferror(f);
    free(line);
    fclose(f);
    return err ? -1 : (long)n;
}

/* Resolve --exclude (a file of ids, or a comma-separated list) into *ex; unknown ids are
 * reported on stderr and skipped. Returns 0 or an exit code. */
static int parse_exclude(cli_args *a, const pt_graph *g, pt_node_id **ex, size_t *n_ex) {
    const char *spec = cli_opt(a, "exclude");
    char **ids = NULL;
    long n = 0;
    *ex = NULL;
    *n_ex = 0;
    if (spec == NULL) {
        return 0;
    }
    FILE *probe = strchr(spec, ',') == NULL ? fopen(spec, "r") : NULL;
    if (probe != NULL) {
        fclose(probe);
        n = read_ids(spec, &ids);
        if (n < 0) {
            cli_err(a, "--exclude: cannot read %s", spec);
            return EXIT_INPUT;
        }
    } else {
        char *copy = strdup(spec), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
            char **nn = realloc(ids, (size_t)(n + 1) * sizeof *nn);
            if (nn == NULL) {
                break;
            }
            ids = nn;
            ids[n++] = strdup(t);
        }
        free(copy);
    }
    *ex = calloc((size_t)n + 1, sizeof **ex);
    for (long i = 0; i < n; i++) {
        pt_node_id v = pt_graph_resolve(g, ids[i], PT_CLASS_ITEM);
        if (v == PT_NONE) {
            cli_err(a, "--exclude: no item '%s' in the store (ignored)", ids[i]);
        } else {
            (*ex)[(*n_ex)++] = v;
        }
        free(ids[i]);
    }
    free(ids);
    return 0;
}

/* Print the result of one user: TSV lines, or one JSON object (one line per user in a
 * batch). `typed` is the id as given on the command line or in the file. */
static void print_result(const pt_graph *g, const char *typed, pt_node_id user, int json,
                         const pt_walk_params *p, const pt_rec_item *items, size_t n, int flags,
                         int explain, const char *model) {
    char ubuf[1024], ibuf[1024];
    if (user != PT_NONE) {
        pt_graph_display_id(g, user, ubuf, sizeof ubuf);
    } else {
        snprintf(ubuf, sizeof ubuf, "%s", typed);
    }
    if (!json) {
        for (size_t j = 0; j < n; j++) {
            pt_graph_display_id(g, items[j].item, ibuf, sizeof ibuf);
            printf("%s\t%s\t%zu\t%.6g\n", ubuf, ibuf, j + 1, items[j].score);
        }
        return;
    }
    printf("{\"user\":");
    cli_json_str(stdout, ubuf);
    printf(",\"method\":\"%s\",", pt_rec_method_name(p->method));
    if (model != NULL) {
        printf("\"model\":\"%s\",", model);
    }
    printf("\"popular\":%s,\"items\":[", flags == PT_REC_POPULAR ? "true" : "false");
    for (size_t j = 0; j < n; j++) {
        printf("%s{\"item\":", j ? "," : "");
        json_id(g, items[j].item);
        printf(",\"rank\":%zu,\"score\":%.6g", j + 1, items[j].score);
        const char *t = node_title(g, items[j].item);
        if (t != NULL) {
            printf(",\"title\":");
            cli_json_str(stdout, t);
        }
        if (items[j].popular) {
            printf(",\"popular\":true");
        }
        if (explain) {
            printf(",\"paths\":[");
            for (uint32_t k = 0; k < items[j].n_paths; k++) {
                if (k) {
                    printf(",");
                }
                json_path(g, &items[j].paths[k]);
            }
            printf("]");
        }
        printf("}");
    }
    printf("]}\n");
}

/* Run `portrait recommend`. */
static int run_recommend(cli_args *a) {
    const char *user = cli_opt(a, "user"), *users = cli_opt(a, "users");
    if (user == NULL && users == NULL && a->n_pos == 1) {
        user = a->pos[0];
    }
    if ((user == NULL) == (users == NULL) || (user != NULL && *user == '\0') ||
        (users != NULL && *users == '\0')) {
        cli_err(a, "give exactly one of --user ID and --users FILE");
        return EXIT_USAGE;
    }
    long k, cap;
    if (cli_int(a, "k", 10, 1, 100000, &k) != 0 ||
        cli_int(a, "max-per-category", 0, 0, 100000, &cap) != 0) {
        return EXIT_USAGE;
    }
    const char *fmt = cli_opt(a, "format");
    if (fmt != NULL && strcmp(fmt, "tsv") != 0 && strcmp(fmt, "json") != 0) {
        cli_err(a, "--format: '%s' is not tsv or json", fmt);
        return EXIT_USAGE;
    }
    int json = fmt != NULL && strcmp(fmt, "json") == 0;
    int explain = cli_flag(a, "explain");
    if (explain && !json) {
        cli_err(a, "note: --explain paths are printed with --format json only");
    }
    pt_walk_params p;
    int ex = walk_params(a, &p);
    if (ex != 0) {
        return ex;
    }
    /* --model seq|hybrid: the sequence model of --seq-model (pt_seq.h), alone or blended with
     * the walk of --method; walk (the default) is the walks alone. */
    const char *model = cli_opt(a, "model"), *seq_path = cli_opt(a, "seq-model");
    if (model != NULL && strcmp(model, "walk") != 0 && strcmp(model, "seq") != 0 &&
        strcmp(model, "hybrid") != 0) {
        cli_err(a, "--model: '%s' is not walk, seq or hybrid", model);
        return EXIT_USAGE;
    }
    int use_seq = model != NULL && strcmp(model, "walk") != 0;
    if (use_seq && (seq_path == NULL || *seq_path == '\0')) {
        cli_err(a, "--model %s needs --seq-model FILE (a model from 'portrait seq train')", model);
        return EXIT_USAGE;
    }
    if (use_seq && explain) {
        cli_err(a, "note: --explain paths come from the walks; --model %s items carry none", model);
    }
    char **ids = NULL;
    long n_ids = 1;
    if (users != NULL) {
        n_ids = read_ids(users, &ids);
        if (n_ids < 0) {
            cli_err(a, "--users: cannot read %s: %s", users, strerror(errno));
            return EXIT_INPUT;
        }
    }
    pt_ctx *ctx;
    pt_store *st;
    ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        for (long i = 0; ids != NULL && i < n_ids; i++) {
            free(ids[i]);
        }
        free(ids);
        return ex;
    }
    const pt_graph *g = pt_store_graph(st);
    pt_recommender *r = NULL;
    pt_seq_model *sm = NULL;
    pt_rec_scratch *scr = NULL;
    pt_rec_query *qs = NULL;
    pt_rec_item *out = NULL;
    size_t *n_out = NULL;
    int *flags = NULL;
    pt_node_id *excl = NULL;
    size_t n_excl = 0;
    pt_node_id cat = PT_NONE;
    int rc = EXIT_OK_;
    const char *cs = cli_opt(a, "category");
    if (cs != NULL) {
        cat = pt_graph_resolve(g, cs, PT_CLASS_CATEGORY);
        if (cat == PT_NONE) {
            cli_err(a, "--category: no category '%s' in the store", cs);
            rc = EXIT_NOTFOUND;
            goto done;
        }
    }
    if ((rc = parse_exclude(a, g, &excl, &n_excl)) != 0) {
        goto done;
    }
    if (use_seq) {
        int src = pt_seq_load(ctx, seq_path, &sm);
        if (src == PT_OK) {
            src = pt_seq_bind(ctx, sm, g, NULL);
        }
        if (src != PT_OK) {
            cli_err(a, "--seq-model: %s", pt_ctx_errmsg(ctx));
            rc = src == PT_ENOMEM ? EXIT_STORE : EXIT_INPUT;
            goto done;
        }
    }
    int lrc = pt_recommender_new(ctx, g, &p, &r);
    if (lrc == PT_OK && use_seq) {
        lrc = pt_rec_scratch_new(r, &scr);
    }
    if (lrc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        rc = cli_exit_for(lrc, 0);
        goto done;
    }
    qs = calloc((size_t)n_ids + 1, sizeof *qs);
    out = calloc((size_t)n_ids * (size_t)k + 1, sizeof *out);
    n_out = calloc((size_t)n_ids + 1, sizeof *n_out);
    flags = calloc((size_t)n_ids + 1, sizeof *flags);
    if (qs == NULL || out == NULL || n_out == NULL || flags == NULL) {
        cli_err(a, "out of memory");
        rc = EXIT_STORE;
        goto done;
    }
    long n_unknown = 0;
    for (long i = 0; i < n_ids; i++) {
        const char *id = users != NULL ? ids[i] : user;
        pt_node_id v = pt_graph_resolve(g, id, PT_CLASS_USER);
        if (v == PT_NONE || pt_graph_node_class(g, v) == PT_CLASS_ITEM) {
            v = PT_NONE;
            if (n_unknown++ < 5) {
                cli_err(a, "note: user '%s' is not in the store: popular items", id);
            }
        } else if (pt_recommender_user_items(r, v) == 0) {
            cli_err(a, "note: user '%s' has no behaviour: popular items", id);
        }
        pt_rec_query_init(&qs[i], v, (uint32_t)k);
        qs[i].exclude = excl;
        qs[i].n_exclude = n_excl;
        qs[i].category = cat;
        qs[i].max_per_category = (uint32_t)cap;
        qs[i].include_seen = cli_flag(a, "include-seen");
        qs[i].explain = explain && json;
    }
    if (n_unknown > 5) {
        cli_err(a, "note: %ld users in all are not in the store", n_unknown);
    }
    if (use_seq) {
        int hybrid = strcmp(model, "hybrid") == 0;
        for (long i = 0; i < n_ids && lrc == PT_OK; i++) {
            lrc = pt_seq_recommend(ctx, sm, hybrid ? r : NULL, scr, -1.0, &qs[i],
                                   out + (size_t)i * (size_t)k, &n_out[i], &flags[i]);
        }
    } else {
        lrc = pt_recommend_many(r, qs, (size_t)n_ids, out, (size_t)k, n_out, flags);
    }
    if (lrc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        rc = cli_exit_for(lrc, 0);
        goto done;
    }
    for (long i = 0; i < n_ids; i++) {
        print_result(g, users != NULL ? ids[i] : user, qs[i].user, json, &p,
                     out + (size_t)i * (size_t)k, n_out[i], flags[i], explain && !use_seq,
                     use_seq ? model : NULL);
    }
    if (fflush(stdout) != 0) {
        cli_err(a, "cannot write the output");
        rc = EXIT_STORE;
    }
done:
    for (long i = 0; ids != NULL && i < n_ids; i++) {
        free(ids[i]);
    }
    free(ids);
    free(qs);
    free(out);
    free(n_out);
    free(flags);
    free(excl);
    pt_rec_scratch_free(scr);
    pt_seq_model_free(sm);
    pt_recommender_free(r);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return rc;
}

static const char *const rec_opts[] = {"user=",
                                       "users=",
                                       "k=",
                                       "format=",
                                       "method=",
                                       "steps=",
                                       "seed=",
                                       "include-seen",
                                       "exclude=",
                                       "category=",
                                       "explain",
                                       "threads=",
                                       "max-per-category=",
                                       "model=",
                                       "seq-model=",
                                       NULL};

const cli_cmd cmd_recommend = {
    "recommend",
    "recommend items for a user or a file of users",
    "usage: portrait recommend --user ID | --users FILE [--k N] [--format tsv|json]\n"
    "                          [--method pixie|p3|rp3b|ppr|pop|ease|hybrid|itemknn] [--steps N]\n"
    "                          [--seed S]\n"
    "                          [--include-seen] [--exclude FILE|ID,ID...] [--category C]\n"
    "                          [--max-per-category N] [--explain] [--threads N]\n"
    "                          [--model walk|seq|hybrid --seq-model FILE]\n"
    "\n"
    "Rank items for a user by random walks over the behaviour graph and the item-side\n"
    "meta-paths (tags, categories, brands). TSV (default) prints 'user item rank score'\n"
    "lines with ids as given at import; JSON prints one object per user with each item's\n"
    "score and title, and with --explain up to 3 paths per item (nodes, predicates,\n"
    "direction, share of the score). Items the user already has are left out unless\n"
    "--include-seen. A user not in the store, or without behaviour, gets popular items\n"
    "(\"popular\": true in JSON, a note on stderr); that is not an error.\n"
    "\n"
    "  --user ID            the user: local id, IRI or prefixed name\n"
    "  --users FILE         one user id per line ('#' comments); all users run in parallel\n"
    "  --k N                how many items (default 10)\n"
    "  --method M           pixie (sampled walks), p3, rp3b (exact, the default), ppr, pop,\n"
    "                       ease (EASE^R item-item model), hybrid (EASE^R + RP3beta)\n"
    "  --steps N            walk budget per user (default 100000)\n"
    "  --seed S             walks are deterministic for a seed (default 42)\n"
    "  --exclude X          never return these items (a file of ids or id,id,...)\n"
    "  --category C         only items in category C or below it\n"
    "  --max-per-category N at most N items per category\n"
    "  --threads N          threads for --users (default: all cores)\n"
    "  --model M            walk (the walks of --method, default), seq (the behaviour-\n"
    "                       sequence CNN of --seq-model, from 'portrait seq train'), or\n"
    "                       hybrid (z-scores of both, blended with the model's weight)\n"
    "  --seq-model FILE     the sequence model for --model seq|hybrid\n"
    "\n"
    "Exit codes: 0 ok, 1 usage (k < 1, bad method, --model seq without --seq-model...),\n"
    "2 unreadable users file or a corrupt or foreign --seq-model file, 3 unknown category,\n"
    "4 store error.\n",
    rec_opts,
    run_recommend,
    1, /* takes positional arguments (checked by the command) */
};

/* --- explain ------------------------------------------------------------------------------- */

/* Render DOT text as SVG (tools/common/render.c) to stdout; returns 0 or an exit code. */
static int print_svg(cli_args *a, const char *dot) {
    char *svg = NULL;
    size_t n = 0;
    if (render_svg(dot, &svg, &n) != 0) {
        cli_err(a, "graphviz could not lay out or render the paths");
        return EXIT_STORE;
    }
    fwrite(svg, 1, n, stdout);
    free(svg);
    return EXIT_OK_;
}

/* Run `portrait explain`. */
static int run_explain(cli_args *a) {
    const char *user = cli_opt(a, "user"), *item = cli_opt(a, "item");
    if (user == NULL || item == NULL || *user == '\0' || *item == '\0') {
        cli_err(a, "--user ID and --item ID are required");
        return EXIT_USAGE;
    }
    const char *fmt = cli_opt(a, "format");
    if (fmt == NULL) {
        fmt = "json";
    }
    if (strcmp(fmt, "json") != 0 && strcmp(fmt, "dot") != 0 && strcmp(fmt, "svg") != 0) {
        cli_err(a, "--format: '%s' is not json, dot or svg", fmt);
        return EXIT_USAGE;
    }
    pt_walk_params p;
    int ex = walk_params(a, &p);
    if (ex != 0) {
        return ex;
    }
    pt_ctx *ctx;
    pt_store *st;
    ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    const pt_graph *g = pt_store_graph(st);
    pt_recommender *r = NULL;
    pt_rec_scratch *s = NULL;
    int rc = EXIT_OK_;
    pt_node_id u = pt_graph_resolve(g, user, PT_CLASS_USER);
    pt_node_id it = pt_graph_resolve(g, item, PT_CLASS_ITEM);
    if (u == PT_NONE) {
        cli_err(a, "no user '%s' in the store", user);
        rc = EXIT_NOTFOUND;
        goto done;
    }
    if (it == PT_NONE) {
        cli_err(a, "no item '%s' in the store", item);
        rc = EXIT_NOTFOUND;
        goto done;
    }
    int lrc = pt_recommender_new(ctx, g, &p, &r);
    if (lrc == PT_OK) {
        lrc = pt_rec_scratch_new(r, &s);
    }
    if (lrc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        rc = cli_exit_for(lrc, 0);
        goto done;
    }
    if (pt_recommender_user_items(r, u) == 0) {
        cli_err(a, "'%s' is not a user with behaviour in the store", user);
        rc = EXIT_NOTFOUND;
        goto done;
    }
    if (!pt_recommender_is_item(r, it)) {
        cli_err(a, "'%s' is not an item in the store", item);
        rc = EXIT_NOTFOUND;
        goto done;
    }
    pt_rec_path paths[3];
    size_t n = 0;
    double score = 0.0;
    lrc = pt_rec_explain(r, s, u, it, PT_TIME_UNKNOWN, paths, 3, &n, &score);
    if (lrc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        rc = cli_exit_for(lrc, 0);
        goto done;
    }
    if (n == 0) {
        cli_err(a, "note: no path of at most 6 hops joins them");
    }
    if (strcmp(fmt, "json") == 0) {
        printf("{\"user\":");
        json_id(g, u);
        printf(",\"item\":");
        json_id(g, it);
        const char *t = node_title(g, it);
        if (t != NULL) {
            printf(",\"title\":");
            cli_json_str(stdout, t);
        }
        printf(",\"method\":\"%s\",\"score\":%.6g,\"reached\":%s,\"paths\":[",
               pt_rec_method_name(p.method), score, score > 0.0 ? "true" : "false");
        for (size_t j = 0; j < n; j++) {
            if (j) {
                printf(",");
            }
            json_path(g, &paths[j]);
        }
        printf("]}\n");
    } else {
        char *dot = render_paths_dot(g, u, it, paths, n);
        if (dot == NULL) {
            cli_err(a, "out of memory");
            rc = EXIT_STORE;
        } else if (strcmp(fmt, "dot") == 0) {
            fputs(dot, stdout);
        } else {
            rc = print_svg(a, dot);
        }
        free(dot);
    }
done:
    pt_rec_scratch_free(s);
    pt_recommender_free(r);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return rc;
}

static const char *const explain_opts[] = {
    "user=", "item=", "format=", "method=", "steps=", "seed=", "threads=", NULL};

const cli_cmd cmd_explain = {
    "explain",
    "the best paths between a user and an item",
    "usage: portrait explain --user U --item I [--format json|dot|svg] [--method M]\n"
    "                        [--steps N] [--seed S]\n"
    "\n"
    "Show why item I is (or would be) recommended to user U: the paths from the user to\n"
    "the item that contributed most to its score under the method (the walk's most used\n"
    "paths for pixie, the largest terms of the sum for p3, rp3b and ppr), with each path's\n"
    "share of the score. When the item got no score, the shortest paths (at most 6 hops)\n"
    "are shown with share 0. JSON (default), Graphviz DOT, or SVG drawn with Graphviz.\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 3 unknown user or item, 4 store error.\n",
    explain_opts,
    run_explain,
    0, /* options only */
};
