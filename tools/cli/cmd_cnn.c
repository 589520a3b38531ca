/*
 * cmd_cnn.c - `portrait cnn`: image CNNs (pt_cnn.h) on the command line. Verbs:
 *   train  train a classifier on IDX images and labels, one line per epoch on stderr
 *   eval   accuracy and per-class accuracy of a model on labelled IDX images
 *   embed  attach embeddings, predicted categories and similarTo edges to items in the store
 * The library does the work; this file parses options, reads the item map and prints.
 * docs/CNN.md describes the architectures, the model file and the map format.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char *const cnn_opts[] = {
    "train-images=", "train-labels=", "test-images=", "test-labels=", "arch=",  "epochs=",
    "batch=",        "threads=",      "seed=",        "augment",      "model=", "limit=",
    "lr=",           "classes=",      "images=",      "labels=",      "format=", "map=",
    "k=",            "min-prob=",     "top=",         "invert",       NULL};

/* Fashion-MNIST's class names, in label order (Xiao, Rasul, Vollgraf 2017). */
static const char *const FASHION[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/* Require option `name`; prints the usage error and returns NULL when absent. */
static const char *need(const cli_args *a, const char *name) {
    const char *v = cli_opt(a, name);
    if (v == NULL || *v == '\0') {
        cli_err(a, "--%s is required (see 'portrait cnn --help')", name);
        return NULL;
    }
    return v;
}

/* Print one epoch line to stderr. */
static void on_epoch(void *ud, const pt_cnn_epoch *e) {
    (void)ud;
    fprintf(stderr, "epoch %u/%u  loss %.4f  accuracy %.4f", e->epoch, e->epochs, e->loss,
            e->accuracy);
    if (e->test_accuracy >= 0) {
        fprintf(stderr, "  test %.4f", e->test_accuracy);
    }
    fprintf(stderr, "  %.1f s  %.0f images/s  (%.1f s cpu)\n", e->seconds, e->images_per_s,
            e->cpu_seconds);
}

/* --classes: "fashion-mnist", "digits", or a comma list; default fashion-mnist for 10 classes
 * read from a path containing "fashion", else the label numbers. Fills names[] (pointers into
 * `buf` or static strings) and *n. */
static int class_names(const cli_args *a, const char *images, const char **names, uint32_t *n,
                       char *buf, size_t cap) {
    const char *c = cli_opt(a, "classes");
    *n = 0;
    if (c == NULL) {
        c = strstr(images, "fashion") != NULL ? "fashion-mnist" : "digits";
    }
    if (strcmp(c, "digits") == 0) {
        return 0;
    }
    if (strcmp(c, "fashion-mnist") == 0) {
        for (uint32_t i = 0; i < 10; i++) {
            names[i] = FASHION[i];
        }
        *n = 10;
        return 0;
    }
    if (strlen(c) >= cap) {
        cli_err(a, "--classes: list too long");
        return -1;
    }
    strcpy(buf, c);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        if (*n == 256) {
            cli_err(a, "--classes: more than 256 names");
            return -1;
        }
        names[(*n)++] = t;
    }
    if (*n == 0) {
        cli_err(a, "--classes: empty list");
        return -1;
    }
    return 0;
}

/* `portrait cnn train`. */
static int run_train(cli_args *a) {
    const char *ti = need(a, "train-images"), *tl = ti ? need(a, "train-labels") : NULL;
    const char *out = tl ? need(a, "model") : NULL;
    if (out == NULL) {
        return EXIT_USAGE;
    }
    long epochs, batch, threads, seed, limit;
    double lr = 0;
    if (cli_int(a, "epochs", 10, 1, 1000, &epochs) != 0 ||
        cli_int(a, "batch", 64, 1, 65536, &batch) != 0 ||
        cli_int(a, "threads", 0, 0, 1024, &threads) != 0 ||
        cli_int(a, "seed", 1, 0, 0x7fffffffL, &seed) != 0 ||
        cli_int(a, "limit", 0, 0, 0x7fffffffL, &limit) != 0 ||
        cli_double(a, "lr", 1e-7, 1e30, &lr) != 0) {
        return EXIT_USAGE;
    }
    const char *xi = cli_opt(a, "test-images"), *xl = cli_opt(a, "test-labels");
    if ((xi == NULL) != (xl == NULL)) {
        cli_err(a, "--test-images and --test-labels go together");
        return EXIT_USAGE;
    }
    const char *names[256];
    char buf[4096];
    uint32_t n_names;
    if (class_names(a, ti, names, &n_names, buf, sizeof buf) != 0) {
        return EXIT_USAGE;
    }
    pt_ctx *ctx;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return EXIT_STORE;
    }
    pt_cnn_data *train = NULL, *test = NULL;
    pt_cnn *m = NULL;
    int rc = pt_cnn_data_load_idx(ctx, ti, tl, (size_t)limit, &train);
    if (rc == PT_OK && xi != NULL) {
        rc = pt_cnn_data_load_idx(ctx, xi, xl, 0, &test);
    }
    if (rc == PT_OK) {
        pt_cnn_train_opts o;
        pt_cnn_train_opts_init(&o);
        const char *arch = cli_opt(a, "arch");
        o.arch = arch != NULL ? arch : "best";
        o.epochs = (uint32_t)epochs;
        o.batch = (uint32_t)batch;
        o.threads = (int)threads;
        o.seed = (uint64_t)seed;
        o.augment = cli_flag(a, "augment");
        o.lr = (float)lr;
        o.class_names = n_names ? names : NULL;
        o.n_classes = n_names;
        o.test = test;
        o.on_epoch = on_epoch;
        int nt = pt_cnn_set_threads((int)threads);
        uint32_t c, h, w;
        pt_cnn_data_shape(train, &c, &h, &w);
        fprintf(stderr, "training '%s' on %zu images %ux%ux%u, %u epochs, batch %u, %d threads%s\n",
                o.arch, pt_cnn_data_count(train), c, h, w, o.epochs, o.batch, nt,
                o.augment ? ", augmented" : "");
        rc = pt_cnn_train(ctx, train, &o, &m);
    }
    if (rc == PT_OK) {
        rc = pt_cnn_save(ctx, m, out);
    }
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    } else {
        printf("model written to %s (%s)\n", out, pt_cnn_arch(m));
    }
    pt_cnn_free(m);
    pt_cnn_data_free(train);
    pt_cnn_data_free(test);
    pt_ctx_free(ctx);
    return cli_exit_for(rc, 0);
}

/* `portrait cnn eval`. */
static int run_eval(cli_args *a) {
    const char *mp = need(a, "model"), *im = mp ? need(a, "images") : NULL;
    const char *lb = im ? need(a, "labels") : NULL;
    if (lb == NULL) {
        return EXIT_USAGE;
    }
    long threads, limit;
    if (cli_int(a, "threads", 0, 0, 1024, &threads) != 0 ||
        cli_int(a, "limit", 0, 0, 0x7fffffffL, &limit) != 0) {
        return EXIT_USAGE;
    }
    const char *fmt = cli_opt(a, "format");
    if (fmt != NULL && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
        cli_err(a, "--format: '%s' is not text or json", fmt);
        return EXIT_USAGE;
    }
    int json = fmt != NULL && strcmp(fmt, "json") == 0;
    pt_ctx *ctx;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return EXIT_STORE;
    }
    pt_cnn_set_threads((int)threads);
    pt_cnn *m = NULL;
    pt_cnn_data *d = NULL;
    pt_cnn_eval_result r;
    int rc = pt_cnn_load(ctx, mp, &m);
    if (rc == PT_OK) {
        rc = pt_cnn_data_load_idx(ctx, im, lb, (size_t)limit, &d);
    }
    if (rc == PT_OK) {
        rc = pt_cnn_eval(ctx, m, d, &r);
    }
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    } else if (json) {
        printf("{\"model\": ");
        cli_json_str(stdout, mp);
        printf(", \"arch\": ");
        cli_json_str(stdout, pt_cnn_arch(m));
        printf(", \"images\": %zu, \"correct\": %zu, \"accuracy\": %.4f, \"images_per_s\": %.0f, "
               "\"classes\": [",
               r.n, r.correct, r.accuracy, r.images_per_s);
        for (uint32_t c = 0; c < r.n_classes; c++) {
            printf("%s{\"class\": ", c ? ", " : "");
            cli_json_str(stdout, pt_cnn_class_name(m, c));
            printf(", \"images\": %zu, \"correct\": %zu, \"accuracy\": %.4f}", r.class_n[c],
                   r.class_correct[c], r.class_n[c] ? (double)r.class_correct[c] / r.class_n[c] : 0.0);
        }
        printf("]}\n");
    } else {
        printf("accuracy %.4f (%zu of %zu images), %.0f images/s\n", r.accuracy, r.correct, r.n,
               r.images_per_s);
        for (uint32_t c = 0; c < r.n_classes; c++) {
            printf("  %-14s %.4f  (%zu of %zu)\n", pt_cnn_class_name(m, c),
                   r.class_n[c] ? (double)r.class_correct[c] / r.class_n[c] : 0.0,
                   r.class_correct[c], r.class_n[c]);
        }
    }
    pt_cnn_free(m);
    pt_cnn_data_free(d);
    pt_ctx_free(ctx);
    return cli_exit_for(rc, 0);
}

/* One line of the item map: an item id and an image (file name or IDX index). */
typedef struct map_row {
    char *item;
    char *image;
} map_row;

/* Read the map file: one "ITEM<TAB or space>IMAGE" pair per line, '#' comments and blank lines
 * skipped. Prints "FILE:LINE: reason" and returns -1 on a malformed line. */
static int read_map(const cli_args *a, const char *path, map_row **rows, size_t *n) {
    FILE *f = fopen(path, "r");
    *rows = NULL;
    *n = 0;
    if (f == NULL) {
        cli_err(a, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? -3 : -2;
    }
    char line[4096];
    size_t cap = 0, lineno = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            cli_err(a, "%s:%zu: line too long", path, lineno);
            fclose(f);
            return -1;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        char *p = line;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0' || *p == '#') {
            continue;
        }
        char *sep = p + strcspn(p, " \t,");
        if (*sep == '\0') {
            cli_err(a, "%s:%zu: expected 'ITEM IMAGE', got '%s'", path, lineno, p);
            fclose(f);
            return -1;
        }
        *sep = '\0';
        char *img = sep + 1;
        while (*img == ' ' || *img == '\t' || *img == ',') {
            img++;
        }
        if (*img == '\0') {
            cli_err(a, "%s:%zu: no image after item '%s'", path, lineno, p);
            fclose(f);
            return -1;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            map_row *nr = realloc(*rows, cap * sizeof *nr);
            if (nr == NULL) {
                fclose(f);
                return -2;
            }
            *rows = nr;
        }
        (*rows)[*n].item = strdup(p);
        (*rows)[*n].image = strdup(img);
        (*n)++;
    }
    fclose(f);
    if (*n == 0) {
        cli_err(a, "%s: no items in the map", path);
        return -1;
    }
    return 0;
}

/* `portrait cnn embed`. */
static int run_embed(cli_args *a) {
    const char *mp = need(a, "model"), *im = mp ? need(a, "images") : NULL;
    const char *map = im ? need(a, "map") : NULL;
    if (map == NULL) {
        return EXIT_USAGE;
    }
    long k, top, threads;
    double min_prob = 0.2;
    if (cli_int(a, "k", 10, 0, 1000, &k) != 0 || cli_int(a, "top", 1, 1, 16, &top) != 0 ||
        cli_int(a, "threads", 0, 0, 1024, &threads) != 0 ||
        cli_double(a, "min-prob", 0.0, 1.0, &min_prob) != 0) {
        return EXIT_USAGE;
    }
    map_row *rows = NULL;
    size_t n = 0;
    int mr = read_map(a, map, &rows, &n);
    if (mr != 0) {
        free(rows);
        return mr == -1 ? EXIT_INPUT : mr == -3 ? EXIT_NOTFOUND : EXIT_STORE;
    }
    pt_ctx *ctx = NULL, *sctx = NULL; /* the model's and data's ctx; the store's */
    pt_store *st = NULL;
    pt_cnn *m = NULL;
    pt_cnn_data *all = NULL, *d = NULL;
    float *probs = NULL, *emb = NULL;
    char **iris = calloc(n, sizeof *iris);
    const char **paths = calloc(n, sizeof *paths);
    size_t *idx = calloc(n, sizeof *idx);
    int rc = PT_OK, ex = 0, is_store = 0;
    double t0 = cli_now();
    if (pt_ctx_new(&ctx) != PT_OK || iris == NULL || paths == NULL || idx == NULL) {
        ex = EXIT_STORE;
        goto out;
    }
    pt_cnn_set_threads((int)threads);
    rc = pt_cnn_load(ctx, mp, &m);
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        ex = cli_exit_for(rc, 0);
        goto out;
    }
    uint32_t c, h, w;
    pt_cnn_input_shape(m, &c, &h, &w);
    struct stat sb;
    if (stat(im, &sb) != 0) {
        cli_err(a, "%s: %s", im, strerror(errno));
        ex = errno == ENOENT ? EXIT_NOTFOUND : EXIT_INPUT;
        goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        /* image files named in the map, relative to the directory */
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(im) + strlen(rows[i].image) + 2;
            char *p = malloc(len);
            if (p == NULL) {
                ex = EXIT_STORE;
                goto out;
            }
            snprintf(p, len, "%s/%s", im, rows[i].image);
            paths[i] = p;
        }
        rc = pt_cnn_data_load_images(ctx, paths, n, c, h, w, cli_flag(a, "invert"), &d);
    } else {
        /* an IDX file: the map gives image indices */
        for (size_t i = 0; i < n; i++) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(rows[i].image, &end, 10);
            if (*end != '\0' || errno != 0 || rows[i].image[0] == '-') {
                cli_err(a, "%s: item '%s': image '%s' is not an index into the IDX file %s", map,
                        rows[i].item, rows[i].image, im);
                ex = EXIT_INPUT;
                goto out;
            }
            idx[i] = (size_t)v;
        }
        rc = pt_cnn_data_load_idx(ctx, im, NULL, 0, &all);
        if (rc == PT_OK) {
            rc = pt_cnn_data_subset(ctx, all, idx, n, &d);
        }
    }
    if (rc == PT_OK) {
        probs = malloc(n * pt_cnn_class_count(m) * sizeof *probs);
        emb = malloc(n * pt_cnn_embed_dim(m) * sizeof *emb);
        if (probs == NULL || emb == NULL) {
            ex = EXIT_STORE;
            goto out;
        }
        rc = pt_cnn_predict(ctx, m, d, probs, emb);
    }
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        ex = cli_exit_for(rc, 0);
        goto out;
    }
    ex = cli_open_store(a, 1, &sctx, &st);
    if (ex != 0) {
        goto out;
    }
    pt_graph *g = pt_store_graph(st);
    const char *base = pt_graph_base(g);
    for (size_t i = 0; i < n; i++) {
        pt_node_id v = pt_graph_resolve(g, rows[i].item, PT_CLASS_ITEM);
        const char *iri = v != PT_NONE ? pt_graph_node_str(g, v) : NULL;
        if (iri != NULL && pt_graph_node_kind(g, v) == PT_TERM_IRI) {
            iris[i] = strdup(iri);
        } else if (strstr(rows[i].item, "://") != NULL || strncmp(rows[i].item, "urn:", 4) == 0) {
            iris[i] = strdup(rows[i].item);
        } else {
            const char *b = base != NULL && *base ? base : "https://w3id.org/portrait/item/";
            size_t len = strlen(b) + strlen(rows[i].item) + 8;
            iris[i] = malloc(len);
            if (iris[i] != NULL) {
                snprintf(iris[i], len, "%s%s%s", b, base != NULL && *base ? "item/" : "",
                         rows[i].item);
            }
        }
        if (iris[i] == NULL) {
            ex = EXIT_STORE;
            goto out;
        }
    }
    pt_cnn_attach_stats as;
    rc = pt_cnn_attach(sctx, m, g, (const char *const *)iris, n, probs, emb, (uint32_t)k,
                       (uint32_t)top, (float)min_prob, &as);
    if (rc == PT_OK) {
        rc = pt_store_commit(st, g, "cnn embed");
        is_store = rc != PT_OK;
    }
    cli_progress_done();
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(sctx));
        ex = cli_exit_for(rc, is_store);
        goto out;
    }
    char sec[32];
    printf("embedded %zu items in %s (%zu new): %u-dim image embeddings, %zu predictedCategory "
           "edges, %zu similarTo edges\n",
           as.items, cli_seconds(cli_now() - t0, sec, sizeof sec), as.new_items,
           pt_cnn_embed_dim(m), as.category_edges, as.similar_edges);
    uint32_t nc = pt_cnn_class_count(m);
    size_t show = n < 5 ? n : 5;
    for (size_t i = 0; i < show; i++) {
        const float *p = probs + i * nc;
        uint32_t best = 0;
        for (uint32_t j = 1; j < nc; j++) {
            best = p[j] > p[best] ? j : best;
        }
        printf("  %-12s %-14s %.2f\n", rows[i].item, pt_cnn_class_name(m, best), (double)p[best]);
    }
    if (n > show) {
        printf("  ... %zu more\n", n - show);
    }
out:
    for (size_t i = 0; i < n; i++) {
        free(rows[i].item);
        free(rows[i].image);
        if (iris != NULL) {
            free(iris[i]);
        }
        if (paths != NULL) {
            free((void *)paths[i]);
        }
    }
    free(rows);
    free(iris);
    free(paths);
    free(idx);
    free(probs);
    free(emb);
    pt_cnn_data_free(all);
    pt_cnn_data_free(d);
    pt_cnn_free(m);
    pt_ctx_free(ctx);
    pt_store_close(st);
    pt_ctx_free(sctx);
    return ex;
}

/* Dispatch on the verb. */
static int run_cnn(cli_args *a) {
    if (a->n_pos < 1) {
        cli_err(a, "expected a verb: train, eval or embed (see 'portrait cnn --help')");
        return EXIT_USAGE;
    }
    if (a->n_pos > 1) {
        cli_err(a, "unexpected argument '%s'", a->pos[1]);
        return EXIT_USAGE;
    }
    const char *verb = a->pos[0];
    if (strcmp(verb, "train") == 0) {
        return run_train(a);
    }
    if (strcmp(verb, "eval") == 0) {
        return run_eval(a);
    }
    if (strcmp(verb, "embed") == 0) {
        return run_embed(a);
    }
    cli_err(a, "unknown verb '%s': expected train, eval or embed", verb);
    return EXIT_USAGE;
}

const cli_cmd cmd_cnn = {
    "cnn",
    "image CNNs: train, evaluate, embed product images into the graph",
    "usage: portrait cnn train --train-images F --train-labels F --model OUT [--arch A]\n"
    "                          [--epochs N] [--batch B] [--threads T] [--seed S] [--augment]\n"
    "                          [--limit N] [--lr X] [--classes LIST]\n"
    "                          [--test-images F --test-labels F]\n"
    "       portrait cnn eval --model M --images F --labels F [--format text|json]\n"
    "       portrait cnn embed --model M --images DIR|IDX --map F [--k 10] [--top 1]\n"
    "                          [--min-prob 0.2] [--invert] [--store PATH]\n"
    "\n"
    "train: a convolutional classifier on IDX images (Fashion-MNIST: Debian dataset-fashion-mnist,\n"
    "/usr/share/datasets/fashion-mnist; .gz read directly), Adam, one line per epoch on stderr\n"
    "(loss, accuracy, seconds, images/s); a NaN or infinite loss stops training (exit 2).\n"
    "  --arch A     best (default: batch norm + dropout, cosine learning-rate decay), small\n"
    "               (conv 3x3 32 - ReLU - pool 2 - conv 3x3 64 - ReLU - pool 2 - dense 128 - ReLU -\n"
    "               dense 10), seed (conv 64 - pool - conv 128 - pool - dense 512, 256, 128), or a\n"
    "               layer string (docs/CNN.md)\n"
    "  --epochs N   default 10; --batch B default 64; --threads T threads (default: cores; training\n"
    "               is data-parallel over shards of 16 images: the same model for any T)\n"
    "  --augment    random shift (2 px), horizontal flip and random erasing\n"
    "  --limit N    use only the first N training images\n"
    "  --classes L  class names: fashion-mnist, digits or a comma list (default: fashion-mnist\n"
    "               when the path contains 'fashion', else the label numbers)\n"
    "eval: accuracy and per-class accuracy.\n"
    "embed: for each line 'ITEM IMAGE' of the map (IMAGE a file under DIR, PNG or JPEG, or an\n"
    "index into an IDX file), store on the item its penultimate-layer embedding\n"
    "(pt:imageEmbedding), pt:predictedCategory edges (weight = probability) to the class\n"
    "categories for the --top classes with probability >= --min-prob, and pt:similarTo edges to\n"
    "its --k most similar mapped items (cosine). Unknown items are created. Running it twice\n"
    "changes nothing. --invert turns light-background photos into light-on-dark images.\n",
    cnn_opts,
    run_cnn,
    1, /* takes positional arguments (checked by the command) */
};
