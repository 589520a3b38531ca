/*
 * cmd_eval.c - `portrait eval`: offline evaluation of the recommenders on the store's events.
 *
 * Splits the interactions (leave-last-out by time, random per user, or the rows of given split
 * files), optionally tunes the walk parameters on a validation split carved from the training
 * part, runs one recommender over the training graph for every test user and prints RecBole's
 * metrics as a table or JSON. The library does the work (include/portrait/pt_eval.h); this file
 * parses options and prints. docs/EVAL.md describes the protocols and the metrics.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Print one tuning point on stderr (the validation NDCG at the first cut-off). */
static void tune_report(void *ud, const char *point, const pt_eval_result *r) {
    const cli_args *a = ud;
    fprintf(stderr, "portrait %s: tune  %-48s NDCG@%u %.4f  Hit@%u %.4f\n", a->cmd, point,
            r->m[0].k, r->m[0].ndcg, r->m[0].k, r->m[0].hit);
}

/* Warn about the rows of split files that could not be used. */
static void report_file_stats(const cli_args *a, const pt_split_file_stats *fs) {
    uint64_t skipped = fs->unknown_users + fs->unknown_items + fs->malformed;
    if (skipped > 0) {
        cli_err(a, "warning: %llu of %llu split-file rows skipped (%llu unknown users, %llu "
                   "unknown items, %llu malformed); first: %s",
                (unsigned long long)skipped, (unsigned long long)fs->rows,
                (unsigned long long)fs->unknown_users, (unsigned long long)fs->unknown_items,
                (unsigned long long)fs->malformed, fs->first_problem);
    }
    if (fs->duplicates > 0) {
        cli_err(a, "warning: %llu repeated (user, item) rows in the split files: the latest "
                   "was kept",
                (unsigned long long)fs->duplicates);
    }
    if (fs->not_in_graph > 0) {
        cli_err(a, "warning: %llu split-file pairs have no behaviour edge in the store",
                (unsigned long long)fs->not_in_graph);
    }
}

/* The split as one short phrase ("leave-last-out", "random:0.2 seed 42", "files"). */
static const char *split_phrase(const pt_split_opts *o, char *buf, size_t cap) {
    switch (o->kind) {
    case PT_SPLIT_LEAVE_LAST:
        snprintf(buf, cap, "leave-last-out (users with >= %u interactions)",
                 o->min_interactions);
        break;
    case PT_SPLIT_RANDOM:
        snprintf(buf, cap, "random:%g seed %llu (users with >= %u interactions)", o->test_frac,
                 (unsigned long long)o->seed, o->min_interactions);
        break;
    default:
        snprintf(buf, cap, "files");
        break;
    }
    return buf;
}

/* Write the split as PREFIX_train.csv and PREFIX_test.csv (user,item,timestamp with the ids
 * shown to users), the format --split-files reads. Returns 0, or -1 after printing the error. */
static int save_split(const cli_args *a, const pt_graph *g, const pt_split *s, const char *pfx) {
    char path[2][4096];
    FILE *f[2];
    snprintf(path[0], sizeof path[0], "%s_train.csv", pfx);
    snprintf(path[1], sizeof path[1], "%s_test.csv", pfx);
    for (int i = 0; i < 2; i++) {
        f[i] = fopen(path[i], "w");
        if (f[i] == NULL) {
            cli_err(a, "--save-split: cannot write %s", path[i]);
            if (i == 1) {
                fclose(f[0]);
            }
            return -1;
        }
        fprintf(f[i], "user,item,timestamp\n");
    }
    char u[1024], it[1024];
    uint64_t n = pt_split_count(s, -1);
    for (uint64_t k = 0; k < n; k++) {
        pt_interaction x;
        if (pt_split_get(s, k, &x) != PT_OK) {
            continue;
        }
        pt_graph_display_id(g, x.user, u, sizeof u);
        pt_graph_display_id(g, x.item, it, sizeof it);
        FILE *o = f[x.part == PT_PART_TEST];
        if (x.time == PT_TIME_UNKNOWN) {
            fprintf(o, "%s,%s,\n", u, it);
        } else {
            fprintf(o, "%s,%s,%lld\n", u, it, (long long)x.time);
        }
    }
    int bad = 0;
    for (int i = 0; i < 2; i++) {
        bad |= ferror(f[i]) != 0;
        bad |= fclose(f[i]) != 0;
    }
    if (bad) {
        cli_err(a, "--save-split: error writing %s", path[0]);
        return -1;
    }
    return 0;
}

/* Print the result as JSON on stdout. */
static void print_json(const char *split, const char *train_file, const char *test_file,
                       const pt_split_file_stats *fs, int method, const pt_walk_params *p,
                       const char *tuned, double val_ndcg, uint32_t folds,
                       const pt_eval_result *r, const char *model, const pt_seq_params *sp,
                       const pt_seq_eval_info *si) {
    printf("{\"split\":{\"protocol\":");
    cli_json_str(stdout, split);
    if (train_file != NULL) {
        printf(",\"train_file\":");
        cli_json_str(stdout, train_file);
        printf(",\"test_file\":");
        cli_json_str(stdout, test_file);
        printf(",\"rows\":%llu,\"unknown_users\":%llu,\"unknown_items\":%llu,"
               "\"malformed\":%llu,\"duplicates\":%llu,\"not_in_graph\":%llu",
               (unsigned long long)fs->rows, (unsigned long long)fs->unknown_users,
               (unsigned long long)fs->unknown_items, (unsigned long long)fs->malformed,
               (unsigned long long)fs->duplicates, (unsigned long long)fs->not_in_graph);
    }
    printf(",\"train\":%llu,\"test\":%llu,\"test_users\":%u},", (unsigned long long)r->n_train,
           (unsigned long long)r->n_test, r->n_users);
    printf("\"method\":\"%s\"", pt_eval_method_name(method));
    if (sp != NULL) {
        printf(",\"model\":\"%s\",\"seq\":{\"L\":%u,\"dim\":%u,\"n_h\":%u,\"n_v\":%u,"
               "\"epochs\":%u,\"neg\":%u,\"augment\":%u,\"dropout\":%g,\"lr\":%g,"
               "\"seed\":%llu,\"blend\":%g,\"train_seconds\":%.3f,\"final_loss\":%.6f}",
               model, sp->L, sp->dim, sp->n_h, sp->n_v, sp->epochs, sp->neg, sp->augment,
               sp->dropout, sp->lr, (unsigned long long)sp->seed, si->blend, si->train_seconds,
               si->final_loss);
    }
    if (method != PT_EVAL_MOSTPOP) {
        printf(",\"params\":{\"steps\":%llu,\"restart\":%g,\"alpha\":%g,\"beta\":%g,"
               "\"half_life_days\":%g,\"half_life_events\":%g,\"recency_floor\":%g,"
               "\"recent_boost\":%g,\"rating_center\":%g,\"rating_power\":%g,"
               "\"w_cobehaviour\":%g,\"w_tag\":%g,\"w_category\":%g,\"w_brand\":%g,"
               "\"category_up\":%g,\"multi_hit\":%d,\"seed\":%llu}",
               (unsigned long long)p->steps, p->restart, p->alpha, p->beta, p->half_life_days,
               p->half_life_events, p->recency_floor, p->recent_boost, p->rating_center,
               p->rating_power, p->w_cobehaviour, p->w_tag, p->w_category, p->w_brand,
               p->category_up, p->multi_hit, (unsigned long long)p->seed);
    }
    if (tuned != NULL) {
        printf(",\"tuned\":");
        cli_json_str(stdout, tuned);
        printf(",\"val_folds\":%u,\"val_ndcg\":%.6f", folds, val_ndcg);
    }
    printf(",\"items\":%u,\"fallback_users\":%u,\"short_lists\":%u,\"metrics\":{", r->n_items,
           r->n_fallback, r->n_short);
    for (size_t j = 0; j < r->n_ks; j++) {
        const pt_metrics *m = &r->m[j];
        printf("%s\"Hit@%u\":%.6f,\"NDCG@%u\":%.6f,\"Recall@%u\":%.6f,\"MRR@%u\":%.6f,"
               "\"Precision@%u\":%.6f,\"ItemCoverage@%u\":%.6f,\"GiniIndex@%u\":%.6f,"
               "\"TailPercentage@%u\":%.6f",
               j ? "," : "", m->k, m->hit, m->k, m->ndcg, m->k, m->recall, m->k, m->mrr, m->k,
               m->precision, m->k, m->item_coverage, m->k, m->gini, m->k, m->tail_percentage);
    }
    printf("},\"seconds\":{\"build\":%.3f,\"queries\":%.3f}}\n", r->build_seconds,
           r->query_seconds);
}

/* Print the result as a table on stdout. */
static void print_table(const char *split, const char *train_file, const char *test_file,
                        int method, const pt_walk_params *p, const char *tuned,
                        double val_ndcg, uint32_t folds, const pt_eval_result *r, const char *model, const pt_seq_params *sp,
                        const pt_seq_eval_info *si) {
    char b1[32], b2[32], b3[32], b4[32];
    printf("split      %s\n", split);
    if (train_file != NULL) {
        printf("files      %s, %s\n", train_file, test_file);
    }
    printf("rows       %s train, %s test; %s test users, %s items\n",
           cli_num(r->n_train, b1, sizeof b1), cli_num(r->n_test, b2, sizeof b2),
           cli_num(r->n_users, b3, sizeof b3), cli_num(r->n_items, b4, sizeof b4));
    if (sp != NULL) {
        printf("model      %s: Caser L %u, dim %u, n_h %u, n_v %u, %u epochs, neg %u, augment "
               "%s%s%s%s, seed %llu; trained in %s\n",
               model, sp->L, sp->dim, sp->n_h, sp->n_v, sp->epochs, sp->neg,
               sp->augment == 0 ? "none" : "", sp->augment & PT_SEQ_AUG_CROP ? " crop" : "",
               sp->augment & PT_SEQ_AUG_MASK ? " mask" : "",
               sp->augment & PT_SEQ_AUG_REORDER ? " reorder" : "", (unsigned long long)sp->seed,
               cli_seconds(si->train_seconds, b1, sizeof b1));
        if (strcmp(model, "hybrid") == 0) {
            printf("blend      %.1f x seq + %.1f x walk (z-scores; chosen on the validation "
                   "split: NDCG@%u walk %.4f, seq %.4f)\n",
                   si->blend, 1.0 - si->blend, r->m[0].k, si->val_ndcg[0], si->val_ndcg[10]);
        }
    }
    int seq_only = sp != NULL && strcmp(model, "seq") == 0;
    printf("method     %s",
           seq_only ? "none (the sequence model alone)" : pt_eval_method_name(method));
    if (method != PT_EVAL_MOSTPOP && !seq_only) {
        printf(" (steps %llu, restart %g, alpha %g, beta %g, half-life %g d, seed %llu)",
               (unsigned long long)p->steps, p->restart, p->alpha, p->beta, p->half_life_days,
               (unsigned long long)p->seed);
    }
    printf("\n");
    if (tuned != NULL) {
        printf("tuned      %s (on the validation split%s: NDCG@%u %.4f%s)\n", tuned,
               folds > 1 ? "s" : "", r->m[0].k, val_ndcg, folds > 1 ? ", mean of the folds" : "");
    }
    if (r->n_fallback > 0 || r->n_short > 0) {
        printf("notes      %u users got popular items, %u lists shorter than K\n", r->n_fallback,
               r->n_short);
    }
    printf("time       build %s, queries %s\n\n", cli_seconds(r->build_seconds, b1, sizeof b1),
           cli_seconds(r->query_seconds, b2, sizeof b2));
    printf("%-15s", "metric");
    for (size_t j = 0; j < r->n_ks; j++) {
        char h[16];
        snprintf(h, sizeof h, "@%u", r->m[j].k);
        printf(" %9s", h);
    }
    printf("\n");
    static const char *const names[] = {"Hit",          "NDCG",      "Recall",
                                        "MRR",          "Precision", "ItemCoverage",
                                        "GiniIndex",    "TailPercentage"};
    for (int row = 0; row < 8; row++) {
        printf("%-15s", names[row]);
        for (size_t j = 0; j < r->n_ks; j++) {
            const pt_metrics *m = &r->m[j];
            double v[8] = {m->hit,       m->ndcg,          m->recall, m->mrr,
                           m->precision, m->item_coverage, m->gini,   m->tail_percentage};
            printf(" %9.4f", v[row]);
        }
        printf("\n");
    }
}

/* Run `portrait eval`. */
static int run_eval(cli_args *a) {
    const char *fmt = cli_opt(a, "format");
    if (fmt != NULL && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
        cli_err(a, "--format: '%s' is not text or json", fmt);
        return EXIT_USAGE;
    }
    int json = fmt != NULL && strcmp(fmt, "json") == 0;
    pt_ctx *pctx = NULL;
    if (pt_ctx_new(&pctx) != PT_OK) {
        cli_err(a, "out of memory");
        return EXIT_STORE;
    }
    /* Options first, so a usage error never opens the store. */
    pt_split_opts so, vo;
    pt_eval_opts eo;
    pt_walk_params wp;
    pt_split_opts_default(&so);
    pt_eval_opts_default(&eo);
    pt_eval_params_default(&wp);
    int ex = EXIT_USAGE;
    long seed, min_n, threads, steps;
    const char *method_name = cli_opt(a, "method");
    int method = pt_eval_method_parse(method_name != NULL ? method_name : "mostpop");
    const char *split = cli_opt(a, "split");
    const char *files = cli_opt(a, "split-files");
    const char *ks = cli_opt(a, "k");
    char *train_file = NULL, *test_file = NULL;
    if (method == -2) {
        cli_err(a, "--method: '%s' is not pixie, p3, rp3b, ppr, pop, ease, hybrid, itemknn or mostpop",
                method_name);
        goto done;
    }
    /* --model seq|hybrid: the sequence model (pt_seq.h), alone or blended with the walk of
     * --method (rp3b when none is named). */
    const char *model = cli_opt(a, "model");
    pt_seq_params sp;
    pt_seq_eval_info si;
    memset(&si, 0, sizeof si);
    int seq_mode = -1;
    if (model != NULL && strcmp(model, "walk") != 0) {
        if (strcmp(model, "seq") == 0) {
            seq_mode = PT_SEQ_EVAL_SEQ;
        } else if (strcmp(model, "hybrid") == 0) {
            seq_mode = PT_SEQ_EVAL_HYBRID;
        } else {
            cli_err(a, "--model: '%s' is not walk, seq or hybrid", model);
            goto done;
        }
        if (cli_seq_params(a, &sp) != 0) {
            goto done;
        }
        if (method_name == NULL) {
            method = PT_REC_RP3B;
        } else if (method == PT_EVAL_MOSTPOP) {
            cli_err(a, "--model %s: blend with a walk method, not mostpop", model);
            goto done;
        }
    }
    eo.method = method;
    if (split != NULL && pt_split_opts_parse(pctx, split, &so) != PT_OK) {
        cli_err(a, "--split: %s", pt_ctx_errmsg(pctx));
        goto done;
    }
    if (ks != NULL && pt_eval_parse_ks(pctx, ks, &eo) != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(pctx));
        goto done;
    }
    if (cli_int(a, "seed", 42, 0, 0x7fffffffL, &seed) != 0 ||
        cli_int(a, "min-interactions", 5, 1, 1000000, &min_n) != 0 ||
        cli_int(a, "threads", 2, 1, 64, &threads) != 0 ||
        cli_int(a, "steps", (long)wp.steps, 1, 1000000000L, &steps) != 0 ||
        cli_double(a, "alpha", 0.0, 10.0, &wp.alpha) != 0 ||
        cli_double(a, "beta", 0.0, 10.0, &wp.beta) != 0 ||
        cli_double(a, "restart", 0.0, 1.0, &wp.restart) != 0 ||
        cli_double(a, "half-life", 0.0, 1e6, &wp.half_life_days) != 0 ||
        cli_double(a, "tail-ratio", 1e-9, 1e12, &eo.tail_ratio) != 0) {
        goto done;
    }
    const char *params = cli_opt(a, "params");
    if (params != NULL && pt_eval_set_params(pctx, params, &wp) != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(pctx));
        goto done;
    }
    so.seed = (uint64_t)seed;
    so.min_interactions = (uint32_t)min_n;
    eo.threads = (int)threads;
    wp.seed = (uint64_t)seed;
    wp.steps = (uint64_t)steps;
    wp.threads = (int)threads;
    if (method != PT_EVAL_MOSTPOP) {
        wp.method = (pt_rec_method)method;
    }
    if (files != NULL) {
        const char *comma = strchr(files, ',');
        if (comma == NULL || comma == files || comma[1] == '\0' || strchr(comma + 1, ',')) {
            cli_err(a, "--split-files: give TRAIN.csv,TEST.csv");
            goto done;
        }
        train_file = strndup(files, (size_t)(comma - files));
        test_file = strdup(comma + 1);
    }
    /* The validation split: --val-split, else the protocol of --split (leave-last-out for
     * split files unless --split names the protocol they were made with). */
    vo = so;
    vo.seed = so.seed + 1;
    const char *val = cli_opt(a, "val-split");
    if (val != NULL && pt_split_opts_parse(pctx, val, &vo) != PT_OK) {
        cli_err(a, "--val-split: %s", pt_ctx_errmsg(pctx));
        goto done;
    }
    int tune = cli_flag(a, "tune") || cli_opt(a, "grid") != NULL;
    uint32_t folds = 1;
    const char *vf = cli_opt(a, "val-folds");
    if (vf != NULL) {
        char *end;
        unsigned long x = strtoul(vf, &end, 10);
        if (*vf == '\0' || *end != '\0' || x < 1 || x > PT_EVAL_MAX_FOLDS) {
            cli_err(a, "--val-folds: expected 1..%d, got '%s'", PT_EVAL_MAX_FOLDS, vf);
            goto done;
        }
        folds = (uint32_t)x;
    }
    if (tune && method == PT_EVAL_MOSTPOP) {
        cli_err(a, "--tune: mostpop has no parameters to tune");
        goto done;
    }
    if (method != PT_EVAL_MOSTPOP && !pt_eval_have_walk()) {
        cli_err(a, "--method %s: this build has no walk engine (engine/walk/); only mostpop "
                   "is available",
                pt_eval_method_name(method));
        ex = EXIT_INPUT;
        goto done;
    }

    pt_ctx *ctx;
    pt_store *st;
    ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        goto done;
    }
    const pt_graph *g = pt_store_graph(st);
    pt_split *s = NULL;
    pt_split_file_stats fs;
    memset(&fs, 0, sizeof fs);
    char phrase[256], tuned[512];
    int rc;
    if (train_file != NULL) {
        rc = pt_split_from_files(ctx, g, train_file, test_file, &fs, &s);
        if (rc == PT_OK || fs.rows > 0) {
            report_file_stats(a, &fs);
        }
        snprintf(phrase, sizeof phrase, "files");
    } else {
        rc = pt_split_new(ctx, g, &so, &s);
        split_phrase(&so, phrase, sizeof phrase);
    }
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        ex = cli_exit_for(rc, 0);
        goto close;
    }
    const char *save = cli_opt(a, "save-split");
    if (save != NULL && save_split(a, g, s, save) != 0) {
        ex = EXIT_INPUT;
        goto close;
    }
    const char *tuned_p = NULL;
    double val_ndcg = 0.0;
    if (tune) {
        rc = pt_eval_tune_folds(ctx, g, s, &vo, folds, cli_opt(a, "grid"), &eo, &wp, tuned,
                                sizeof tuned, &val_ndcg, tune_report, a);
        if (rc != PT_OK) {
            cli_err(a, "%s", pt_ctx_errmsg(ctx));
            ex = cli_exit_for(rc, 0);
            goto close;
        }
        tuned_p = tuned;
    }
    pt_eval_result r;
    if (seq_mode >= 0) {
        wp.method = (pt_rec_method)method;
        rc = pt_seq_eval(ctx, g, s, (pt_seq_eval_mode)seq_mode, &sp, &wp, &eo, &vo, NULL, NULL,
                         &r, &si);
    } else {
        rc = pt_eval_run(ctx, g, s, &wp, &eo, &r);
    }
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        ex = cli_exit_for(rc, 0);
        goto close;
    }
    if (json) {
        print_json(phrase, train_file, test_file, &fs, method, &wp, tuned_p, val_ndcg, folds, &r,
                   model,
                   seq_mode >= 0 ? &sp : NULL, &si);
    } else {
        print_table(phrase, train_file, test_file, method, &wp, tuned_p, val_ndcg, folds, &r,
                    model,
                    seq_mode >= 0 ? &sp : NULL, &si);
    }
    ex = EXIT_OK_;
close:
    pt_split_free(s);
    pt_store_close(st);
    pt_ctx_free(ctx);
done:
    free(train_file);
    free(test_file);
    pt_ctx_free(pctx);
    return ex;
}

static const char *const eval_opts[] = {
    "split=",   "split-files=", "val-split=", "val-folds=", "seed=",    "min-interactions=", "method=",
    "k=",       "steps=",       "alpha=",     "beta=",    "restart=",          "half-life=",
    "tune",     "grid=",        "threads=",   "tail-ratio=", "format=",        "save-split=",
    "params=",  "model=",       "L=",         "dim=",     "epochs=",           "neg=",
    "augment=", "n-h=",         "n-v=",       "dropout=", "lr=",               "batch=",
    "weighted", NULL};

const cli_cmd cmd_eval = {
    "eval",
    "offline evaluation of the recommenders (splits, RecBole metrics, tuning)",
    "usage: portrait eval [--split leave-last-out|random[:F]] [--split-files TRAIN,TEST]\n"
    "                     [--method pixie|p3|rp3b|ppr|pop|ease|hybrid|itemknn|mostpop] [--k 10,20]\n"
    "                     [--steps N] [--alpha A] [--beta B] [--restart R] [--half-life D]\n"
    "                     [--seed S] [--params SPEC] [--tune] [--grid SPEC]\n"
    "                     [--val-split SPLIT] [--val-folds N]\n"
    "                     [--min-interactions N] [--threads N] [--tail-ratio R]\n"
    "                     [--save-split PREFIX] [--format text|json]\n"
    "                     [--model walk|seq|hybrid] [--L 5] [--dim 50] [--epochs N]\n"
    "                     [--neg N] [--augment crop,mask,reorder]\n"
    "\n"
    "Split the store's interactions (one per user and item, at its latest time) into train and\n"
    "test, build the training graph (every node, literal and non-behaviour edge; only the\n"
    "training behaviour edges), recommend the top max-K items to every test user with the\n"
    "training items excluded, ranking over all items, and print Hit, NDCG, Recall, MRR,\n"
    "Precision, ItemCoverage, GiniIndex and TailPercentage at each K (RecBole's definitions).\n"
    "\n"
    "  --split leave-last-out   each user with >= 5 interactions gives its latest one to test\n"
    "                           (ties in time: a hash of the user and item ids; default)\n"
    "  --split random[:F]       each such user gives round(F * n) random ones (F 0.2), drawn\n"
    "                           with --seed\n"
    "  --split-files TRAIN,TEST the rows of two CSV files (user,item,timestamp with the ids\n"
    "                           used at import); unknown ids are counted and skipped\n"
    "  --method M               mostpop (built-in MostPopular baseline, default), or a walk\n"
    "                           method: pixie, p3, rp3b, ppr, pop, ease, hybrid, itemknn\n"
    "  --k LIST                 cut-offs (default 10,20)\n"
    "  --steps, --alpha, --beta, --restart, --half-life (days), --seed\n"
    "                           walk parameters (pt_walk_params); --seed also seeds the split\n"
    "  --params SPEC            any other walk parameter, 'half_life_events=0;recent_boost=1'\n"
    "                           (the names of --grid, one value each)\n"
    "  --tune                   pick the parameters on a validation split carved from the\n"
    "                           training part (never the test part), maximising NDCG at the\n"
    "                           first K; --grid 'restart=0.3,0.5;beta=0,0.25;w.purchased=1,3'\n"
    "                           sets the grid (names: restart alpha beta steps half_life\n"
    "                           half_life_events recency_floor recent_boost rating_center\n"
    "                           rating_power w_cobehaviour w_tag w_category w_brand\n"
    "                           category_up multi_hit w.<action>)\n"
    "  --val-split SPLIT        protocol of the validation split (default: that of --split;\n"
    "                           leave-last-out with --split-files)\n"
    "  --val-folds N            tune on N validation folds, averaged (1..8; docs/EVAL.md)\n"
    "  --min-interactions N     users with fewer stay whole in training (default 5)\n"
    "  --tail-ratio R           long-tail items for TailPercentage: the floor(R * items) least\n"
    "                           popular in training (R <= 1; default 0.8, i.e. outside the top\n"
    "                           20%), or those with at most R training interactions (R > 1)\n"
    "  --threads N              query threads (default 2)\n"
    "  --save-split PREFIX      also write the split as PREFIX_train.csv and PREFIX_test.csv\n"
    "                           (user,item,timestamp), the format of --split-files\n"
    "  --model seq|hybrid       rank by the behaviour-sequence CNN (portrait seq) trained on\n"
    "                           the training part only, alone or blended with the walks of\n"
    "                           --method (default rp3b); the blend is chosen on the\n"
    "                           validation split. --L, --dim, --epochs, --neg, --augment,\n"
    "                           --n-h, --n-v, --dropout, --lr, --batch, --weighted as for\n"
    "                           'portrait seq train' (--threads sets its BLAS threads too)\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 2 bad split files or an unavailable method, 4 store error.\n",
    eval_opts,
    run_eval,
    0, /* options only */
};
