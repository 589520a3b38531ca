/*
 * cmd_seq.c - `portrait seq`: the behaviour-sequence model (pt_seq.h) on the command line.
 * Verbs:
 *   train  train a Caser-style sequence CNN on the store's behaviour sequences, choose the
 *          hybrid blend on a leave-last-out validation split, write the model file, and store
 *          every user's sequence embedding on the user node (pt:sequenceEmbedding)
 *   info   what a model file holds
 * Recommendations with a model are `portrait recommend --model seq|hybrid --seq-model FILE`;
 * evaluation is `portrait eval --model seq|hybrid`. The library does the work; this file parses
 * options and prints. docs/SEQ.md describes the model.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Every option of every verb. */
static const char *const seq_opts[] = {
    "model=", "L=",       "dim=",   "epochs=", "neg=",     "augment=", "seed=",
    "n-h=",   "n-v=",     "dropout=", "lr=",   "batch=",   "threads=", "blend=",
    "no-vectors", "weighted", NULL};

/*
 * Fill `p` from the options shared by `seq train` and `eval --model seq|hybrid`: --L, --dim,
 * --epochs, --neg, --augment, --seed, --n-h, --n-v, --dropout, --lr, --batch, --threads,
 * --weighted. Prints the error and returns EXIT_USAGE, or 0.
 */
int cli_seq_params(cli_args *a, pt_seq_params *p) {
    pt_seq_params_default(p);
    long L, dim, epochs, neg, nh, nv, batch, threads, seed;
    if (cli_int(a, "L", p->L, 1, 64, &L) != 0 || cli_int(a, "dim", p->dim, 1, 4096, &dim) != 0 ||
        cli_int(a, "epochs", p->epochs, 0, 100000, &epochs) != 0 ||
        cli_int(a, "neg", p->neg, 1, 1000, &neg) != 0 ||
        cli_int(a, "n-h", p->n_h, 0, 4096, &nh) != 0 ||
        cli_int(a, "n-v", p->n_v, 0, 4096, &nv) != 0 ||
        cli_int(a, "batch", p->batch, 1, 65536, &batch) != 0 ||
        cli_int(a, "threads", p->threads, 0, 1024, &threads) != 0 ||
        cli_int(a, "seed", (long)p->seed, 0, 0x7fffffffL, &seed) != 0 ||
        cli_double(a, "dropout", 0.0, 0.99, &p->dropout) != 0 ||
        cli_double(a, "lr", 1e-6, 1.0, &p->lr) != 0) {
        return EXIT_USAGE;
    }
    if (nh == 0 && nv == 0) {
        cli_err(a, "--n-h and --n-v: at least one kind of filter is needed");
        return EXIT_USAGE;
    }
    p->L = (uint32_t)L;
    p->dim = (uint32_t)dim;
    p->epochs = (uint32_t)epochs;
    p->neg = (uint32_t)neg;
    p->n_h = (uint32_t)nh;
    p->n_v = (uint32_t)nv;
    p->batch = (uint32_t)batch;
    p->threads = (int)threads;
    p->seed = (uint64_t)seed;
    p->weighted = cli_flag(a, "weighted");
    const char *aug = cli_opt(a, "augment");
    if (aug != NULL) {
        pt_ctx *ctx = NULL;
        if (pt_ctx_new(&ctx) != PT_OK) {
            cli_err(a, "out of memory");
            return EXIT_STORE;
        }
        int rc = pt_seq_augment_parse(ctx, aug, &p->augment);
        if (rc != PT_OK) {
            cli_err(a, "--augment: %s", pt_ctx_errmsg(ctx));
        }
        pt_ctx_free(ctx);
        if (rc != PT_OK) {
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* Print one epoch: "epoch 3/20  loss 0.4123  2.1 s". */
static void epoch_line(void *ud, const pt_seq_epoch *e) {
    (void)ud;
    char sec[32];
    cli_progress_done();
    printf("epoch %u/%u  loss %.4f  %s\n", e->epoch, e->epochs, e->loss,
           cli_seconds(e->seconds, sec, sizeof sec));
    fflush(stdout);
}

/* The augmentation flags as words ("crop,mask" or "none"). */
static const char *augment_words(uint32_t f, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s%s%s", f & PT_SEQ_AUG_CROP ? "crop," : "",
             f & PT_SEQ_AUG_MASK ? "mask," : "", f & PT_SEQ_AUG_REORDER ? "reorder," : "",
             f == 0 ? "none" : "");
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == ',') {
        buf[n - 1] = '\0';
    }
    return buf;
}

/* `portrait seq train`. */
static int run_train(cli_args *a) {
    const char *out = cli_opt(a, "model");
    if (out == NULL || *out == '\0') {
        cli_err(a, "train: --model OUT is required");
        return EXIT_USAGE;
    }
    pt_seq_params p;
    int ex = cli_seq_params(a, &p);
    if (ex != 0) {
        return ex;
    }
    double blend = -1.0; /* auto */
    const char *bs = cli_opt(a, "blend");
    if (bs != NULL && strcmp(bs, "auto") != 0 && cli_double(a, "blend", 0.0, 1.0, &blend) != 0) {
        return EXIT_USAGE;
    }
    int vectors = !cli_flag(a, "no-vectors");
    pt_ctx *ctx;
    pt_store *st;
    /* Train on a read-only view (no writer lock held for minutes); the vectors are written
     * afterwards through a second, writing open of the store. */
    ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    cli_progress(ctx);
    pt_graph *g = pt_store_graph(st);
    pt_seq_model *m = NULL;
    pt_split *val = NULL;
    pt_seq_eval_info info;
    memset(&info, 0, sizeof info);
    int rc = PT_OK, is_store = 0;
    double t0 = cli_now();
    char b1[32], b2[32], b3[32];
    if (blend < 0.0) {
        /* Validation: each user's latest interaction, with a model and the walks trained on
         * the rest; the final model is then trained on everything. */
        pt_split_opts so;
        pt_split_opts_default(&so);
        pt_eval_opts eo;
        pt_eval_opts_default(&eo);
        pt_walk_params wp;
        pt_walk_params_default(&wp);
        wp.threads = 1;
        rc = pt_split_new(ctx, g, &so, &val);
        if (rc == PT_OK && pt_split_test_user_count(val) == 0) {
            cli_err(a, "note: no user has %u interactions to validate the blend on; blend 0.5",
                    so.min_interactions);
            blend = 0.5;
        } else if (rc == PT_OK) {
            printf("choosing the hybrid blend on a leave-last-out validation split (%u users)\n",
                   pt_split_test_user_count(val));
            rc = pt_seq_choose_blend(ctx, g, val, &p, &wp, &eo, epoch_line, NULL, &info);
            if (rc == PT_OK) {
                blend = info.blend;
                cli_progress_done();
                printf("blend: NDCG@%u walk %.4f, seq %.4f, best %.4f at seq weight %.1f\n",
                       eo.ks[0], info.val_ndcg[0], info.val_ndcg[10],
                       info.val_ndcg[(int)lround(blend * 10)], blend);
            }
        }
    }
    if (rc == PT_OK) {
        rc = pt_seq_train(ctx, g, &p, epoch_line, NULL, &m);
    }
    if (rc == PT_OK) {
        pt_seq_model_set_blend(m, blend);
        rc = pt_seq_save(ctx, m, out);
    }
    uint64_t n_vec = 0;
    pt_ctx *wctx = NULL;
    pt_store *wst = NULL;
    pt_store_close(st);
    st = NULL;
    if (rc == PT_OK && vectors) {
        cli_progress_done();
        ex = cli_open_store(a, 1, &wctx, &wst);
        if (ex != 0) {
            pt_seq_model_free(m);
            pt_split_free(val);
            pt_ctx_free(ctx);
            return ex;
        }
        pt_graph *wg = pt_store_graph(wst);
        rc = pt_seq_bind(ctx, m, wg, NULL);
        if (rc == PT_OK) {
            rc = pt_seq_store_user_vectors(ctx, m, wg, &n_vec);
        }
        if (rc == PT_OK) {
            rc = pt_store_commit(wst, wg, "seq train");
            is_store = rc != PT_OK;
            if (rc != PT_OK) {
                cli_err(a, "%s", pt_ctx_errmsg(wctx));
            }
        }
    }
    cli_progress_done();
    if (rc != PT_OK) {
        if (!is_store) {
            cli_err(a, "%s", pt_ctx_errmsg(ctx));
        }
    } else {
        char aug[64];
        printf("trained in %s: %s users, %s items, L %u, dim %u, %u epochs, augment %s, "
               "blend %.1f\n",
               cli_seconds(cli_now() - t0, b1, sizeof b1),
               cli_num(pt_seq_model_user_count(m), b2, sizeof b2),
               cli_num(pt_seq_model_item_count(m), b3, sizeof b3), p.L, p.dim, p.epochs,
               augment_words(p.augment, aug, sizeof aug), pt_seq_model_blend(m));
        printf("model written to %s", out);
        if (vectors) {
            printf("; %llu user vectors (%u floats) stored as pt:sequenceEmbedding",
                   (unsigned long long)n_vec, pt_seq_user_dim(m));
        }
        printf("\n");
    }
    pt_split_free(val);
    pt_seq_model_free(m);
    pt_store_close(wst);
    pt_ctx_free(wctx);
    pt_ctx_free(ctx);
    return rc == PT_EINVAL ? EXIT_INPUT : cli_exit_for(rc, is_store);
}

/* `portrait seq info`. */
static int run_info(cli_args *a) {
    const char *path = cli_opt(a, "model");
    if (path == NULL || *path == '\0') {
        cli_err(a, "info: --model FILE is required");
        return EXIT_USAGE;
    }
    pt_ctx *ctx = NULL;
    if (pt_ctx_new(&ctx) != PT_OK) {
        cli_err(a, "out of memory");
        return EXIT_STORE;
    }
    pt_seq_model *m = NULL;
    int rc = pt_seq_load(ctx, path, &m);
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        pt_ctx_free(ctx);
        return rc == PT_EIO ? EXIT_NOTFOUND : EXIT_INPUT;
    }
    const pt_seq_params *p = pt_seq_model_params(m);
    char aug[64];
    printf("sequence model %s\n", path);
    printf("items %u, users %u, user vector %u floats\n", pt_seq_model_item_count(m),
           pt_seq_model_user_count(m), pt_seq_user_dim(m));
    printf("L %u, dim %u, n_h %u, n_v %u, dropout %g\n", p->L, p->dim, p->n_h, p->n_v,
           p->dropout);
    printf("trained %u epochs, batch %u, lr %g, l2 %g, neg %u, augment %s, seed %llu\n",
           p->epochs, p->batch, p->lr, p->l2, p->neg, augment_words(p->augment, aug, sizeof aug),
           (unsigned long long)p->seed);
    printf("hybrid blend %.2f (weight of the sequence scores)\n", pt_seq_model_blend(m));
    pt_seq_model_free(m);
    pt_ctx_free(ctx);
    return EXIT_OK_;
}

/* Run `portrait seq VERB`. */
static int run_seq(cli_args *a) {
    if (a->n_pos != 1) {
        cli_err(a, "give one verb: train or info (see 'portrait seq --help')");
        return EXIT_USAGE;
    }
    if (strcmp(a->pos[0], "train") == 0) {
        return run_train(a);
    }
    if (strcmp(a->pos[0], "info") == 0) {
        return run_info(a);
    }
    cli_err(a, "'%s' is not a verb of seq: train or info", a->pos[0]);
    return EXIT_USAGE;
}

const cli_cmd cmd_seq = {
    "seq",
    "behaviour-sequence CNN (Caser) for next-item recommendation",
    "usage: portrait seq train --model OUT [--L 5] [--dim 50] [--epochs N] [--neg N]\n"
    "                          [--augment crop,mask,reorder] [--seed S] [--blend auto|W]\n"
    "                          [--n-h 16] [--n-v 4] [--dropout 0.5] [--lr 0.001]\n"
    "                          [--batch 256] [--threads 1] [--weighted] [--no-vectors]\n"
    "       portrait seq info --model FILE\n"
    "\n"
    "train: learn a Caser-style convolutional sequence model (Tang & Wang, WSDM 2018) from\n"
    "every user's behaviour items in time order: the embeddings of the last L items pass\n"
    "horizontal filters of heights 1..L and vertical L x 1 filters, a dense layer, and meet a\n"
    "user embedding; trained for next-item prediction against --neg sampled negatives\n"
    "(sigmoid cross-entropy, Adam). Prints one line per epoch. --blend auto (default) first\n"
    "trains on all but each user's latest interaction and picks the weight of the hybrid\n"
    "(recommend --model hybrid) on those held-out items; a number sets it. The model file is\n"
    "versioned and checksummed; each user's vector (2 x dim floats) is stored on the user\n"
    "node as pt:sequenceEmbedding (not with --no-vectors) in one commit after training (the\n"
    "store is read, not locked, while the model trains).\n"
    "\n"
    "  --L N            items read before each target (default 5)\n"
    "  --dim N          embedding size (default 50)\n"
    "  --epochs N       passes over the data (default 20)\n"
    "  --neg N          negatives per target, never items the user had (default 3)\n"
    "  --augment LIST   sequence augmentation: crop, mask, reorder (comma-separated), all\n"
    "  --seed S         initialisation, shuffling, negatives, dropout (default 42)\n"
    "  --threads N      OpenBLAS threads (default 1; results are reproducible per count)\n"
    "  --weighted       weigh targets by action (purchase > view) as the walks do\n"
    "\n"
    "info: the model's sizes, training parameters and blend.\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 2 nothing to learn from or a corrupt model file, 3 model file\n"
    "not found (info), 4 store or system error.\n",
    seq_opts,
    run_seq,
    1, /* takes positional arguments (checked by the command) */
};
