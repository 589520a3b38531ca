/*
 * cmd_text.c - `portrait text`: the NLP module on the command line. Verbs:
 *   train     fit a sentiment or category classifier on a CSV or JSON-lines file
 *   eval      accuracy, macro-F1 and the confusion matrix of a model on labelled rows
 *   predict   one text per stdin line in, one JSON object per line out
 *   tokenize  one text per stdin line in, its tokens separated by spaces out
 *   keywords  one document per stdin line in, its top keywords as JSON out
 * The reference split (rows whose 0-based data-row index is a multiple of N are test) is
 * `--split-every N`: train skips those rows, eval uses only them. The library does the work
 * (include/portrait/pt_nlp.h); this file parses options and prints.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Every option of every verb (cli_parse checks names, the verbs check what they use). */
static const char *const text_opts[] = {
    "task=", "data=", "text-col=", "label-col=", "model=", "split-every=", "hash-bits=",
    "word-ngrams=", "char-ngrams=", "min-df=", "epochs=", "lr=", "l2=", "batch=", "seed=",
    "stem", "stopwords=", "keep-punct", "raw", "format=", "augment=", "synonyms=", "wordnet=",
    "top=", "method=", "verbose", "limit=", "threads=", "no-refit", NULL};

/* Print a library failure and return the matching exit code. */
static int fail(const cli_args *a, pt_ctx *ctx, int rc) {
    cli_err(a, "%s", pt_ctx_errmsg(ctx));
    return cli_exit_for(rc, 0);
}

/* Write the library's log lines (info and above) to stderr when --verbose. */
static void log_stderr(void *ud, pt_log_level level, const char *msg) {
    (void)ud;
    if (level >= PT_LOG_INFO) {
        fprintf(stderr, "portrait text: %s\n", msg);
    }
}

/* Read a whole line from `f` into a growing buffer; returns its length or -1 at EOF. The
 * newline (and a CR before it) is removed. */
static long read_line(FILE *f, char **buf, size_t *cap) {
    size_t len = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (len + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 4096;
            char *nb = realloc(*buf, nc);
            if (nb == NULL) {
                fprintf(stderr, "portrait text: out of memory\n");
                exit(EXIT_STORE);
            }
            *buf = nb;
            *cap = nc;
        }
        (*buf)[len++] = (char)c;
    }
    if (c == EOF && len == 0) {
        return -1;
    }
    if (*buf == NULL) {
        *buf = malloc(1);
        *cap = 1;
        if (*buf == NULL) {
            exit(EXIT_STORE);
        }
    }
    if (len > 0 && (*buf)[len - 1] == '\r') {
        len--;
    }
    (*buf)[len] = '\0';
    return (long)len;
}

/* Tokenizer options from --stem, --keep-punct and --raw. */
static void tok_opts(const cli_args *a, pt_tokenizer_opts *o) {
    pt_tokenizer_opts_init(o);
    o->stem = cli_flag(a, "stem");
    o->keep_punct = cli_flag(a, "keep-punct");
    o->raw_typed = cli_flag(a, "raw");
}

/* Load the --data file with --text-col (default review) and --label-col (default label). */
static int load_data(const cli_args *a, pt_ctx *ctx, int need_label, pt_text_dataset **d) {
    const char *data = cli_opt(a, "data");
    if (data == NULL) {
        cli_err(a, "--data is required");
        return EXIT_USAGE;
    }
    const char *tc = cli_opt(a, "text-col") ? cli_opt(a, "text-col") : "review";
    const char *lc = cli_opt(a, "label-col") ? cli_opt(a, "label-col") : "label";
    int rc = pt_text_dataset_load(ctx, data, tc, need_label ? lc : NULL, d);
    if (rc != PT_OK) {
        return fail(a, ctx, rc);
    }
    return 0;
}

/* Select rows: with --split-every N, test rows are those whose index is a multiple of N;
 * `want_test` picks them, else the others. --limit keeps the first rows selected. Returns the
 * count written into texts/labels (arrays of the data set's size). */
static size_t select_rows(const pt_text_dataset *d, long every, int want_test, long limit,
                          const char **texts, const char **labels) {
    size_t n = pt_text_dataset_size(d), k = 0;
    for (size_t i = 0; i < n; i++) {
        int is_test = every > 0 && i % (size_t)every == 0;
        if (every > 0 && is_test != want_test) {
            continue;
        }
        if (limit > 0 && k >= (size_t)limit) {
            break;
        }
        texts[k] = pt_text_dataset_text(d, i);
        labels[k] = pt_text_dataset_label(d, i);
        k++;
    }
    return k;
}

/* --- train --------------------------------------------------------------------------------- */

/* Append `n_aug` augmented copies of every row to the training arrays (which are grown). The
 * copies are allocated by the library and listed in *owned for freeing; *groups gets each
 * row's source row, so that validation never sees a copy of a row trained on. */
static int augment_rows(const cli_args *a, pt_ctx *ctx, long n_aug, const char ***texts,
                        const char ***labels, size_t *n, char ***owned, size_t *n_owned,
                        uint64_t **groups) {
    pt_synonyms *syn = NULL;
    int rc = PT_OK;
    if (cli_opt(a, "wordnet") != NULL) {
        rc = pt_synonyms_load_wordnet(ctx, cli_opt(a, "wordnet"), &syn);
    } else if (cli_opt(a, "synonyms") != NULL) {
        rc = pt_synonyms_load_groups(ctx, cli_opt(a, "synonyms"), &syn);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_tokenizer_opts to;
    pt_tokenizer_opts_init(&to);
    to.keep_punct = 1;
    to.raw_typed = 1;
    pt_tokenizer *tk = NULL;
    rc = pt_tokenizer_new(ctx, &to, &tk);
    if (rc != PT_OK) {
        pt_synonyms_free(syn);
        return rc;
    }
    size_t n0 = *n, total = n0 * (size_t)(n_aug + 1);
    const char **t = realloc(*texts, total * sizeof *t);
    const char **l = t != NULL ? realloc(*labels, total * sizeof *l) : NULL;
    char **own = calloc(n0 * (size_t)n_aug + 1, sizeof *own);
    uint64_t *grp = malloc((total + 1) * sizeof *grp);
    if (t == NULL || l == NULL || own == NULL || grp == NULL) {
        fprintf(stderr, "portrait text: out of memory\n");
        exit(EXIT_STORE);
    }
    *texts = t;
    *labels = l;
    pt_augment_opts ao;
    pt_augment_opts_init(&ao);
    uint64_t rng = 12345;
    size_t k = n0;
    for (size_t i = 0; i < n0; i++) {
        grp[i] = i;
    }
    for (size_t i = 0; i < n0 && rc == PT_OK; i++) {
        for (long r = 0; r < n_aug; r++) {
            char *s = NULL;
            rc = pt_augment_text(tk, syn, &ao, t[i], strlen(t[i]), &rng, &s);
            if (rc != PT_OK) {
                break;
            }
            own[k - n0] = s;
            t[k] = s;
            l[k] = l[i];
            grp[k] = i;
            k++;
        }
    }
    *n = k;
    *owned = own;
    *n_owned = k - n0;
    *groups = grp;
    pt_tokenizer_free(tk);
    pt_synonyms_free(syn);
    return rc;
}

/* Run `portrait text train`. */
static int run_train(cli_args *a) {
    pt_textclf_opts o;
    pt_textclf_opts_init(&o);
    const char *task = cli_opt(a, "task") ? cli_opt(a, "task") : "sentiment";
    if (strcmp(task, "sentiment") == 0) {
        o.task = PT_TEXT_SENTIMENT;
    } else if (strcmp(task, "category") == 0) {
        o.task = PT_TEXT_CATEGORY;
    } else {
        cli_err(a, "--task: '%s' is not sentiment or category", task);
        return EXIT_USAGE;
    }
    const char *model = cli_opt(a, "model");
    if (model == NULL) {
        cli_err(a, "--model is required");
        return EXIT_USAGE;
    }
    long every, bits, wng, mindf, epochs, batch, seed, n_aug, limit, threads;
    if (cli_int(a, "split-every", 0, 0, 1000000, &every) || cli_int(a, "hash-bits", 22, 20, 22,
        &bits) || cli_int(a, "word-ngrams", o.task == PT_TEXT_SENTIMENT ? 0 : 2, 0, 3, &wng) || cli_int(a, "min-df", 2, 1, 1000000,
        &mindf) || cli_int(a, "epochs", 12, 1, 1000, &epochs) || cli_int(a, "batch", 1, 1,
        100000, &batch) || cli_int(a, "seed", 42, 1, 0x7fffffff, &seed) ||
        cli_int(a, "augment", 0, 0, 50, &n_aug) || cli_int(a, "threads", 0, 0, 16, &threads) ||
        cli_int(a, "limit", 0, 0, 1L << 40, &limit) ||
        cli_double(a, "lr", 1e-6, 100, &o.learning_rate) || cli_double(a, "l2", 0, 10, &o.l2)) {
        return EXIT_USAGE;
    }
    const char *cg = cli_opt(a, "char-ngrams");
    if (cg != NULL) {
        int lo = 0, hi = 0;
        if (strcmp(cg, "0") == 0 || strcmp(cg, "none") == 0) {
            o.char_max = 0;
        } else if (sscanf(cg, "%d-%d", &lo, &hi) == 2 && lo >= 1 && hi >= lo && hi <= 5) {
            o.char_min = lo;
            o.char_max = hi;
        } else {
            cli_err(a, "--char-ngrams: '%s' is not MIN-MAX (1..5) or 0", cg);
            return EXIT_USAGE;
        }
    }
    o.hash_bits = (int)bits;
    o.word_ngrams = (int)wng;
    o.min_df = (int)mindf;
    o.max_epochs = (int)epochs;
    o.batch = (int)batch;
    o.seed = (uint64_t)seed;
    o.verbose = cli_flag(a, "verbose");
    o.threads = (int)threads;
    o.refit = !cli_flag(a, "no-refit");
    tok_opts(a, &o.tok);
    pt_ctx *ctx = NULL;
    if (pt_ctx_new(&ctx) != PT_OK) {
        fprintf(stderr, "portrait text: out of memory\n");
        return EXIT_STORE;
    }
    if (o.verbose) {
        pt_ctx_set_log(ctx, log_stderr, NULL);
    }
    pt_text_dataset *d = NULL;
    int ex = load_data(a, ctx, 1, &d);
    if (ex != 0) {
        pt_ctx_free(ctx);
        return ex;
    }
    size_t n = pt_text_dataset_size(d);
    const char **texts = malloc((n + 1) * sizeof *texts);
    const char **labels = malloc((n + 1) * sizeof *labels);
    if (texts == NULL || labels == NULL) {
        fprintf(stderr, "portrait text: out of memory\n");
        exit(EXIT_STORE);
    }
    size_t k = select_rows(d, every, 0, limit, texts, labels);
    /* rows without a label cannot teach anything: skip them with a count */
    size_t w = 0, skipped = 0;
    for (size_t i = 0; i < k; i++) {
        if (labels[i][0] == '\0') {
            skipped++;
            continue;
        }
        texts[w] = texts[i];
        labels[w++] = labels[i];
    }
    if (skipped > 0) {
        cli_err(a, "warning: %zu rows without a label skipped", skipped);
    }
    char **owned = NULL;
    size_t n_owned = 0;
    int rc = PT_OK;
    double t0 = cli_now();
    uint64_t *groups = NULL;
    if (n_aug > 0) {
        rc = augment_rows(a, ctx, n_aug, &texts, &labels, &w, &owned, &n_owned, &groups);
        o.groups = groups;
    }
    pt_textclf *m = NULL;
    if (rc == PT_OK) {
        rc = pt_textclf_train(ctx, &o, texts, labels, w, &m);
    }
    double t1 = cli_now();
    if (rc == PT_OK) {
        rc = pt_textclf_save(m, model);
    }
    if (rc == PT_OK) {
        const char *fmt = cli_opt(a, "format");
        if (fmt != NULL && strcmp(fmt, "json") == 0) {
            printf("{\"model\":");
            cli_json_str(stdout, model);
            printf(",\"rows\":%zu,\"labels\":%zu,\"seconds\":%.3f}\n", w,
                   pt_textclf_n_labels(m), t1 - t0);
        } else {
            printf("trained %s on %zu rows (%zu labels) in %.2f s -> %s\n", task, w,
                   pt_textclf_n_labels(m), t1 - t0, model);
        }
    } else {
        ex = fail(a, ctx, rc);
    }
    for (size_t i = 0; i < n_owned; i++) {
        pt_augment_str_free(ctx, owned[i]);
    }
    free(owned);
    free(groups);
    pt_textclf_free(m);
    free(texts);
    free(labels);
    pt_text_dataset_free(d);
    pt_ctx_free(ctx);
    return ex;
}

/* --- eval ---------------------------------------------------------------------------------- */

/* Run `portrait text eval`. */
static int run_eval(cli_args *a) {
    const char *model = cli_opt(a, "model");
    const char *fmt = cli_opt(a, "format");
    long every, limit;
    if (model == NULL) {
        cli_err(a, "--model is required");
        return EXIT_USAGE;
    }
    if (fmt != NULL && strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0) {
        cli_err(a, "--format: '%s' is not text or json", fmt);
        return EXIT_USAGE;
    }
    if (cli_int(a, "split-every", 0, 0, 1000000, &every) ||
        cli_int(a, "limit", 0, 0, 1L << 40, &limit)) {
        return EXIT_USAGE;
    }
    pt_ctx *ctx = NULL;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return EXIT_STORE;
    }
    pt_textclf *m = NULL;
    pt_text_dataset *d = NULL;
    pt_text_eval *e = NULL;
    int ex = 0;
    int rc = pt_textclf_load(ctx, model, &m);
    if (rc != PT_OK) {
        ex = fail(a, ctx, rc);
        pt_ctx_free(ctx);
        return ex;
    }
    ex = load_data(a, ctx, 1, &d);
    if (ex != 0) {
        pt_textclf_free(m);
        pt_ctx_free(ctx);
        return ex;
    }
    size_t n = pt_text_dataset_size(d);
    const char **texts = malloc((n + 1) * sizeof *texts);
    const char **labels = malloc((n + 1) * sizeof *labels);
    if (texts == NULL || labels == NULL) {
        exit(EXIT_STORE);
    }
    size_t k = select_rows(d, every, 1, limit, texts, labels);
    rc = pt_textclf_eval(m, texts, labels, k, &e);
    if (rc != PT_OK) {
        ex = fail(a, ctx, rc);
    } else if (fmt != NULL && strcmp(fmt, "json") == 0) {
        size_t nl = e->n_labels;
        printf("{\"rows\":%zu,\"accuracy\":%.4f,\"macro_f1\":%.4f,\"seconds\":%.3f,\"labels\":[",
               e->n, e->accuracy, e->macro_f1, e->seconds);
        for (size_t c = 0; c < nl; c++) {
            printf("%s{\"label\":", c ? "," : "");
            cli_json_str(stdout, pt_textclf_label(m, c));
            printf(",\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f}", e->precision[c],
                   e->recall[c], e->f1[c]);
        }
        printf("],\"confusion\":[");
        for (size_t r = 0; r < nl; r++) {
            printf("%s[", r ? "," : "");
            for (size_t c = 0; c < nl; c++) {
                printf("%s%llu", c ? "," : "", (unsigned long long)e->confusion[r * nl + c]);
            }
            printf("]");
        }
        printf("]}\n");
    } else {
        size_t nl = e->n_labels;
        printf("rows       %zu\naccuracy   %.4f\nmacro-F1   %.4f\n\n", e->n, e->accuracy,
               e->macro_f1);
        printf("%-16s %9s %9s %9s\n", "label", "precision", "recall", "F1");
        for (size_t c = 0; c < nl; c++) {
            printf("%-16s %9.4f %9.4f %9.4f\n", pt_textclf_label(m, c), e->precision[c],
                   e->recall[c], e->f1[c]);
        }
        printf("\nconfusion (rows: true, columns: predicted)\n%-16s", "");
        for (size_t c = 0; c < nl; c++) {
            printf(" %8.8s", pt_textclf_label(m, c));
        }
        printf("\n");
        for (size_t r = 0; r < nl; r++) {
            printf("%-16s", pt_textclf_label(m, r));
            for (size_t c = 0; c < nl; c++) {
                printf(" %8llu", (unsigned long long)e->confusion[r * nl + c]);
            }
            printf("\n");
        }
    }
    pt_text_eval_free(e);
    free(texts);
    free(labels);
    pt_text_dataset_free(d);
    pt_textclf_free(m);
    pt_ctx_free(ctx);
    return ex;
}

/* --- predict, tokenize, keywords ----------------------------------------------------------- */

/* Run `portrait text predict`: one JSON object per input line. A line that fails (invalid
 * UTF-8) gets {"error": ...} and the exit code becomes EXIT_INPUT. */
static int run_predict(cli_args *a) {
    const char *model = cli_opt(a, "model");
    if (model == NULL) {
        cli_err(a, "--model is required");
        return EXIT_USAGE;
    }
    pt_ctx *ctx = NULL;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return EXIT_STORE;
    }
    pt_textclf *m = NULL;
    int rc = pt_textclf_load(ctx, model, &m);
    if (rc != PT_OK) {
        int ex = fail(a, ctx, rc);
        pt_ctx_free(ctx);
        return ex;
    }
    char *buf = NULL;
    size_t cap = 0;
    long len;
    int ex = 0;
    while ((len = read_line(stdin, &buf, &cap)) >= 0) {
        pt_text_prediction p;
        rc = pt_textclf_predict(m, buf, (size_t)len, &p);
        if (rc != PT_OK) {
            printf("{\"error\":");
            cli_json_str(stdout, pt_ctx_errmsg(ctx));
            printf("}\n");
            ex = EXIT_INPUT;
            continue;
        }
        printf("{\"label\":");
        cli_json_str(stdout, pt_textclf_label(m, p.label));
        printf(",\"score\":%.4f,\"prob\":%.4f}\n", p.score, p.prob);
    }
    free(buf);
    pt_textclf_free(m);
    pt_ctx_free(ctx);
    return ex;
}

/* Run `portrait text tokenize`: tokens of each stdin line, separated by spaces. */
static int run_tokenize(cli_args *a) {
    pt_tokenizer_opts o;
    tok_opts(a, &o);
    o.stopwords = cli_opt(a, "stopwords") != NULL;
    pt_ctx *ctx = NULL;
    pt_tokenizer *tk = NULL;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return EXIT_STORE;
    }
    int rc = pt_tokenizer_new(ctx, &o, &tk);
    const char *sw = cli_opt(a, "stopwords");
    if (rc == PT_OK && sw != NULL && strcmp(sw, "default") != 0) {
        rc = pt_tokenizer_load_stopwords(tk, sw);
    }
    if (rc != PT_OK) {
        int ex = fail(a, ctx, rc);
        pt_tokenizer_free(tk);
        pt_ctx_free(ctx);
        return ex;
    }
    char *buf = NULL;
    size_t cap = 0;
    long len;
    int ex = 0;
    while ((len = read_line(stdin, &buf, &cap)) >= 0) {
        const pt_token *t;
        size_t n;
        rc = pt_tokenizer_run(tk, buf, (size_t)len, &t, &n);
        if (rc != PT_OK) {
            cli_err(a, "%s", pt_ctx_errmsg(ctx));
            printf("\n");
            ex = EXIT_INPUT;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            fputs(i ? " " : "", stdout);
            fwrite(t[i].text, 1, t[i].len, stdout);
        }
        putchar('\n');
    }
    free(buf);
    pt_tokenizer_free(tk);
    pt_ctx_free(ctx);
    return ex;
}

/* Run `portrait text keywords`: every stdin line is a document; prints one JSON array of
 * {"keyword","weight"} per document. */
static int run_keywords(cli_args *a) {
    pt_keywords_opts ko;
    pt_keywords_opts_init(&ko);
    long top;
    if (cli_int(a, "top", 10, 1, 1000, &top)) {
        return EXIT_USAGE;
    }
    ko.top_k = (int)top;
    const char *meth = cli_opt(a, "method");
    if (meth != NULL) {
        if (strcmp(meth, "tfidf") == 0) {
            ko.method = PT_KEYWORDS_TFIDF;
        } else if (strcmp(meth, "textrank") == 0) {
            ko.method = PT_KEYWORDS_TEXTRANK;
        } else if (strcmp(meth, "both") == 0) {
            ko.method = PT_KEYWORDS_BOTH;
        } else {
            cli_err(a, "--method: '%s' is not tfidf, textrank or both", meth);
            return EXIT_USAGE;
        }
    }
    pt_tokenizer_opts o;
    tok_opts(a, &o);
    o.stopwords = 1;
    pt_ctx *ctx = NULL;
    pt_tokenizer *tk = NULL;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return EXIT_STORE;
    }
    int rc = pt_tokenizer_new(ctx, &o, &tk);
    if (rc == PT_OK && cli_opt(a, "stopwords") != NULL) {
        rc = pt_tokenizer_load_stopwords(tk, cli_opt(a, "stopwords"));
    }
    char **docs = NULL;
    size_t n = 0, cap_docs = 0;
    char *buf = NULL;
    size_t cap = 0;
    long len;
    while (rc == PT_OK && (len = read_line(stdin, &buf, &cap)) >= 0) {
        if (n == cap_docs) {
            cap_docs = cap_docs ? cap_docs * 2 : 64;
            docs = realloc(docs, cap_docs * sizeof *docs);
            if (docs == NULL) {
                exit(EXIT_STORE);
            }
        }
        docs[n++] = strdup(buf);
    }
    pt_keyword_set *ks = NULL;
    if (rc == PT_OK) {
        rc = pt_keywords_extract(tk, (const char *const *)docs, n, &ko, &ks);
    }
    int ex = 0;
    if (rc != PT_OK) {
        ex = fail(a, ctx, rc);
    } else {
        for (size_t i = 0; i < n; i++) {
            const pt_keyword *kw;
            size_t nk;
            pt_keyword_set_doc(ks, i, &kw, &nk);
            printf("[");
            for (size_t j = 0; j < nk; j++) {
                printf("%s{\"keyword\":", j ? "," : "");
                cli_json_str(stdout, kw[j].text);
                printf(",\"weight\":%.4f}", kw[j].weight);
            }
            printf("]\n");
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(docs[i]);
    }
    free(docs);
    free(buf);
    pt_keyword_set_free(ks);
    pt_tokenizer_free(tk);
    pt_ctx_free(ctx);
    return ex;
}

/* Dispatch on the verb. */
static int run_text(cli_args *a) {
    if (a->n_pos < 1) {
        cli_err(a, "a verb is required: train, eval, predict, tokenize or keywords");
        return EXIT_USAGE;
    }
    const char *verb = a->pos[0];
    if (strcmp(verb, "train") == 0) {
        return run_train(a);
    }
    if (strcmp(verb, "eval") == 0) {
        return run_eval(a);
    }
    if (strcmp(verb, "predict") == 0) {
        return run_predict(a);
    }
    if (strcmp(verb, "tokenize") == 0) {
        return run_tokenize(a);
    }
    if (strcmp(verb, "keywords") == 0) {
        return run_keywords(a);
    }
    cli_err(a, "unknown verb '%s' (train, eval, predict, tokenize, keywords)", verb);
    return EXIT_USAGE;
}

const cli_cmd cmd_text = {
    "text",
    "text classifiers (sentiment, category), tokens and keywords",
    "usage: portrait text train --data F.csv|F.jsonl --model OUT [--task sentiment|category]\n"
    "                          [--text-col C] [--label-col L] [--split-every N] [--limit N]\n"
    "                          [--hash-bits 20..22] [--word-ngrams 0..3] [--char-ngrams 1-3|0]\n"
    "                          [--min-df N] [--epochs N] [--lr X] [--l2 X] [--batch N]\n"
    "                          [--seed N] [--stem] [--augment N [--wordnet DIR|--synonyms F]]\n"
    "                          [--threads N] [--no-refit]\n"
    "                          [--verbose] [--format text|json]\n"
    "       portrait text eval --model M --data F [--text-col C] [--label-col L]\n"
    "                          [--split-every N] [--format text|json]\n"
    "       portrait text predict --model M          < one text per line\n"
    "       portrait text tokenize [--stem] [--keep-punct] [--raw] [--stopwords F|default]\n"
    "       portrait text keywords [--top N] [--method tfidf|textrank|both] [--stopwords F]\n"
    "\n"
    "train fits multinomial logistic regression on hashed word and character n-gram TF-IDF\n"
    "features and writes a checksummed model file. Word n-grams default to 0 (characters\n"
    "1-3 only) for sentiment, where words add nothing measurable and cost half the time, and\n"
    "to 2 for category (docs/NLP.md has the numbers). The default columns are 'review' and\n"
    "'label'. --split-every N applies the reference split: rows whose 0-based data-row index is\n"
    "a multiple of N are test rows; train leaves them out and eval uses only them.\n"
    "--augment N adds N EDA variants of every training row (synonyms from WordNet data files\n"
    "or a synonym-group file, swaps, insertions, deletions, CJK character noise).\n"
    "predict prints {\"label\":...,\"score\":...,\"prob\":...} per line; for sentiment models the\n"
    "score is P(positive) - P(negative) in [-1, 1]. tokenize prints the tokens (<num>, <price>,\n"
    "<url> tags unless --raw). keywords reads one document per line and prints, per line, a\n"
    "JSON array of its top keywords (idf from all the lines read).\n",
    text_opts,
    run_text,
    1, /* takes positional arguments (checked by the command) */
};
