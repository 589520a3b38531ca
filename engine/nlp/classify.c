/*
 * classify.c - the text classifier: multinomial logistic regression (softmax) over hashed
 * TF-IDF features, with training, evaluation, prediction and a checksummed model file.
 *
 * Training: every text is tokenized and hashed (features.c); buckets seen in fewer than min_df
 * training texts are dropped and the rest renumbered densely, so the weight matrix has one row
 * per kept bucket rather than 2^22. Weights are TF-IDF as in scikit-learn's TfidfVectorizer
 * with sublinear_tf and smooth_idf: (1 + ln tf) * (ln((1 + n) / (1 + df)) + 1), rows scaled to
 * unit L2 norm. The objective is the mean cross-entropy plus l2/2 |W|^2, minimised by
 * mini-batch AdaGrad (Duchi, Hazan and Singer, JMLR 2011), whose per-coordinate steps suit
 * sparse text features. A share of the training rows (never the test rows: the caller passes
 * only training rows) is held out to stop early; the model is then refitted on all rows for the
 * best number of epochs.
 *
 * Model file (native little-endian; the header says so):
 *   "PTTXTCLF" u32 version=1 u32 0x01020304
 *   u32 task hash_bits word_ngrams char_min char_max min_df lowercase stem stopwords
 *       keep_punct raw_typed k; u64 n_feat n_train
 *   k x (u32 len, bytes) labels; u32 bucket[n_feat] ascending; f32 idf[n_feat];
 *   f32 W[n_feat * k]; f32 b[k]; u32 CRC-32 of every byte before it.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlp/nlp.h"

#define MODEL_MAGIC "PTTXTCLF"
#define MODEL_VERSION 1u
#define ENDIAN_MARK 0x01020304u

struct pt_textclf {
    pt_ctx *ctx;
    int task;
    pt__featcfg fc;
    pt_tokenizer_opts tok;
    int min_df;
    size_t k;
    char **labels;
    size_t n_feat;
    uint64_t n_train;
    uint32_t *fbucket; /* kept buckets, ascending */
    float *idf;
    float *W; /* n_feat x k */
    float *b;
    int32_t *map; /* 2^hash_bits: bucket -> row of W, or -1 */
    long pos, neg; /* sentiment label indices, -1 when unknown */
    pt_tokenizer *tk;
    pt__featbuf fb;
    double *probs;
    const pt_textclf *shared; /* a clone's model (weights borrowed), NULL for a model */
};

/* --- options and labels -------------------------------------------------------------------- */

/* Set the default training options. */
void pt_textclf_opts_init(pt_textclf_opts *o) {
    memset(o, 0, sizeof *o);
    o->task = PT_TEXT_SENTIMENT;
    o->hash_bits = 22;
    o->word_ngrams = 2;
    o->char_min = 1;
    o->char_max = 3;
    o->min_df = 2;
    o->l2 = 1e-6;
    o->learning_rate = 0.3;
    o->batch = 1;
    o->max_epochs = 12;
    o->patience = 1;
    o->val_frac = 0.1;
    o->refit = 1;
    o->seed = 42;
    pt_tokenizer_opts_init(&o->tok);
}

/* Compare two C strings through pointers, for qsort and bsearch. */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Find the sentiment polarity labels among the model's labels: "1"/"pos"/"positive" and
 * "0"/"-1"/"neg"/"negative"; with two labels and no match, the first sorted is negative. */
static void find_polarity(pt_textclf *m) {
    static const char *const pos[] = {"1", "+1", "pos", "positive", "p", "good"};
    static const char *const neg[] = {"0", "-1", "neg", "negative", "n", "bad"};
    m->pos = m->neg = -1;
    for (size_t i = 0; i < m->k; i++) {
        for (size_t j = 0; j < sizeof pos / sizeof pos[0]; j++) {
            if (strcmp(m->labels[i], pos[j]) == 0) {
                m->pos = (long)i;
            }
            if (strcmp(m->labels[i], neg[j]) == 0) {
                m->neg = (long)i;
            }
        }
    }
    if ((m->pos < 0 || m->neg < 0) && m->k == 2) {
        m->neg = 0;
        m->pos = 1;
    }
}

/* Allocate the parts every model needs beyond its arrays: the bucket map, the tokenizer and
 * the probability scratch. */
static int finish_model(pt_textclf *m) {
    size_t nb = (size_t)1 << m->fc.hash_bits;
    m->map = pt__big_alloc(m->ctx, nb * sizeof *m->map);
    m->probs = pt__calloc(m->ctx, m->k, sizeof *m->probs);
    if (m->map == NULL || m->probs == NULL) {
        return pt__error(m->ctx, PT_ENOMEM, "classifier: out of memory");
    }
    memset(m->map, 0xFF, nb * sizeof *m->map);
    for (size_t j = 0; j < m->n_feat; j++) {
        m->map[m->fbucket[j]] = (int32_t)j;
    }
    find_polarity(m);
    return pt_tokenizer_new(m->ctx, &m->tok, &m->tk);
}

/* A predictor for another thread: the model's weights, labels and tables shared read-only;
 * its own tokenizer, feature buffer and probabilities, allocated on `ctx`. */
int pt_textclf_clone(const pt_textclf *m, pt_ctx *ctx, pt_textclf **out) {
    *out = NULL;
    pt_textclf *c = pt__calloc(ctx, 1, sizeof *c);
    if (c == NULL) {
        return pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
    }
    *c = *m;
    c->ctx = ctx;
    c->shared = m;
    c->tk = NULL;
    memset(&c->fb, 0, sizeof c->fb);
    c->probs = pt__calloc(ctx, m->k > 0 ? m->k : 1, sizeof *c->probs);
    int rc = c->probs == NULL ? pt__error(ctx, PT_ENOMEM, "classifier: out of memory")
                              : pt_tokenizer_new(ctx, &c->tok, &c->tk);
    if (rc != PT_OK) {
        pt_textclf_free(c);
        return rc;
    }
    *out = c;
    return PT_OK;
}

/* Free a model (or a clone: only what it owns). */
void pt_textclf_free(pt_textclf *m) {
    if (m == NULL) {
        return;
    }
    pt_ctx *ctx = m->ctx;
    if (m->shared != NULL) {
        pt__free(ctx, m->probs);
        pt__featbuf_free(ctx, &m->fb);
        pt_tokenizer_free(m->tk);
        pt__free(ctx, m);
        return;
    }
    for (size_t i = 0; m->labels != NULL && i < m->k; i++) {
        pt__free(ctx, m->labels[i]);
    }
    pt__free(ctx, m->labels);
    pt__free(ctx, m->fbucket);
    pt__free(ctx, m->idf);
    pt__big_free(ctx, m->W);
    pt__free(ctx, m->b);
    pt__big_free(ctx, m->map);
    pt__free(ctx, m->probs);
    pt__featbuf_free(ctx, &m->fb);
    pt_tokenizer_free(m->tk);
    pt__free(ctx, m);
}

/* --- the objective ------------------------------------------------------------------------- */

/* Scores z = b + x W for row r of X, then softmax in place; returns ln p[y] when y < k. Row j
 * of W starts at W + j * stride (the trainer interleaves weights with AdaGrad sums). */
static double softmax_row(const pt__csr *X, size_t r, size_t k, const float *W, size_t stride,
                          const float *b, double *z, size_t y) {
    for (size_t c = 0; c < k; c++) {
        z[c] = b[c];
    }
    for (uint64_t e = X->off[r]; e < X->off[r + 1]; e++) {
        const float *w = W + (size_t)X->col[e] * stride;
        double v = X->val[e];
        for (size_t c = 0; c < k; c++) {
            z[c] += v * w[c];
        }
    }
    double mx = z[0];
    for (size_t c = 1; c < k; c++) {
        mx = z[c] > mx ? z[c] : mx;
    }
    double s = 0;
    for (size_t c = 0; c < k; c++) {
        z[c] = exp(z[c] - mx);
        s += z[c];
    }
    for (size_t c = 0; c < k; c++) {
        z[c] /= s;
    }
    return y < k ? log(z[y] > 1e-300 ? z[y] : 1e-300) : 0.0;
}

/* The full objective and its gradient (declared in nlp.h). */
double pt__softmax_objective(const pt__csr *X, const uint32_t *y, const size_t *rows, size_t n,
                             size_t n_feat, size_t k, const float *W, const float *b, double l2,
                             double *gW, double *gb) {
    double z[256];
    double loss = 0;
    if (k > 256 || n == 0) {
        return NAN;
    }
    if (gW != NULL) {
        memset(gW, 0, n_feat * k * sizeof *gW);
    }
    if (gb != NULL) {
        memset(gb, 0, k * sizeof *gb);
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = rows != NULL ? rows[i] : i;
        loss -= softmax_row(X, r, k, W, k, b, z, y[r]);
        z[y[r]] -= 1.0; /* d loss / d z = p - onehot(y) */
        for (uint64_t e = X->off[r]; gW != NULL && e < X->off[r + 1]; e++) {
            double *g = gW + (size_t)X->col[e] * k;
            for (size_t c = 0; c < k; c++) {
                g[c] += X->val[e] * z[c] / (double)n;
            }
        }
        for (size_t c = 0; gb != NULL && c < k; c++) {
            gb[c] += z[c] / (double)n;
        }
    }
    loss /= (double)n;
    double sq = 0;
    for (size_t j = 0; j < n_feat * k; j++) {
        sq += (double)W[j] * W[j];
        if (gW != NULL) {
            gW[j] += l2 * W[j];
        }
    }
    return loss + 0.5 * l2 * sq;
}

/* --- training ------------------------------------------------------------------------------ */

/* The training state: data, split and AdaGrad accumulators. */
typedef struct trainer {
    pt_ctx *ctx;
    const pt_textclf_opts *o;
    pt__csr X;
    uint32_t *y;
    size_t n, k, n_feat;
    size_t *fit, n_fit; /* rows trained on */
    size_t *val, n_val; /* rows held out */
    float *P;    /* n_feat rows of 2k floats: k weights, then their k AdaGrad sums */
    float *b, *Gb;
    float *gbuf; /* batch gradient, n_feat x k (batches of more than one row) */
    uint32_t *touched;
    uint8_t *mark;
    uint64_t rng;
} trainer;

/* Shuffle a[0..n) (Fisher-Yates). */
static void shuffle(size_t *a, size_t n, uint64_t *rng) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(pt__rng_next(rng) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Zero the weights and accumulators for a fresh fit. */
static void reset_weights(trainer *t) {
    memset(t->P, 0, t->n_feat * 2 * t->k * sizeof *t->P);
    memset(t->b, 0, t->k * sizeof *t->b);
    memset(t->Gb, 0, t->k * sizeof *t->Gb);
}

/* One epoch of mini-batch AdaGrad over the fit rows (shuffled). The L2 term is applied to the
 * rows a batch touches, the usual lazy form for sparse data. With batches of one row the update
 * is applied while the row is read: weights and their AdaGrad sums share a cache line, which
 * is what makes an epoch fast (the feature rows are hashed, so every access is random). */
static void epoch(trainer *t) {
    size_t k = t->k, st = 2 * k;
    double z[256];
    double gb[256];
    const float lr = (float)t->o->learning_rate, eps = 1e-6f, l2 = (float)t->o->l2;
    size_t bs = (size_t)t->o->batch;
    shuffle(t->fit, t->n_fit, &t->rng);
    for (size_t s = 0; s < t->n_fit; s += bs) {
        size_t e_end = s + bs < t->n_fit ? s + bs : t->n_fit;
        size_t n_touched = 0;
        memset(gb, 0, k * sizeof *gb);
        for (size_t i = s; i < e_end; i++) {
            size_t r = t->fit[i];
            if (i + 1 < t->n_fit) {
                /* the next row's weights are random accesses: start fetching them now */
                size_t r1 = t->fit[i + 1];
                for (uint64_t e = t->X.off[r1]; e < t->X.off[r1 + 1]; e++) {
                    __builtin_prefetch(t->P + (size_t)t->X.col[e] * st, 1);
                }
            }
            softmax_row(&t->X, r, k, t->P, st, t->b, z, k);
            z[t->y[r]] -= 1.0;
            for (size_t c = 0; c < k; c++) {
                gb[c] += z[c];
            }
            for (uint64_t e = t->X.off[r]; e < t->X.off[r + 1]; e++) {
                uint32_t j = t->X.col[e];
                float v = t->X.val[e];
                if (bs == 1) {
                    float *w = t->P + (size_t)j * st;
                    for (size_t c = 0; c < k; c++) {
                        float gr = v * (float)z[c] + l2 * w[c];
                        w[k + c] += gr * gr;
                        w[c] -= lr * gr / (sqrtf(w[k + c]) + eps);
                    }
                    continue;
                }
                float *g = t->gbuf + (size_t)j * k;
                if (!t->mark[j]) {
                    t->mark[j] = 1;
                    t->touched[n_touched++] = j;
                }
                for (size_t c = 0; c < k; c++) {
                    g[c] += (float)(v * z[c]);
                }
            }
        }
        float inv = 1.0f / (float)(e_end - s);
        for (size_t q = 0; q < n_touched; q++) {
            uint32_t j = t->touched[q];
            float *g = t->gbuf + (size_t)j * k;
            float *w = t->P + (size_t)j * st;
            for (size_t c = 0; c < k; c++) {
                float gr = g[c] * inv + l2 * w[c];
                w[k + c] += gr * gr;
                w[c] -= lr * gr / (sqrtf(w[k + c]) + eps);
                g[c] = 0;
            }
            t->mark[j] = 0;
        }
        for (size_t c = 0; c < k; c++) {
            float gr = (float)gb[c] * inv;
            t->Gb[c] += gr * gr;
            t->b[c] -= lr * gr / (sqrtf(t->Gb[c]) + eps);
        }
    }
}

/* Accuracy and mean log-loss on the held-out rows. */
static void validate(const trainer *t, double *acc, double *loss) {
    double z[256];
    size_t ok = 0;
    double ll = 0;
    for (size_t i = 0; i < t->n_val; i++) {
        size_t r = t->val[i];
        ll -= softmax_row(&t->X, r, t->k, t->P, 2 * t->k, t->b, z, t->y[r]);
        size_t best = 0;
        for (size_t c = 1; c < t->k; c++) {
            best = z[c] > z[best] ? c : best;
        }
        ok += best == t->y[r];
    }
    *acc = t->n_val ? (double)ok / (double)t->n_val : 0;
    *loss = t->n_val ? ll / (double)t->n_val : 0;
}

/* One featurization worker: a contiguous range of texts, its own ctx (one ctx per thread),
 * tokenizer and output arrays (buckets, and counts stored as floats). */
typedef struct fworker {
    pt_ctx *main_ctx, *ctx;
    const pt_textclf *m;
    const char *const *texts;
    size_t lo, hi;
    uint32_t *col;
    float *val;
    uint64_t *off; /* hi - lo + 1 row ends, relative */
    size_t used, cap;
    int rc;
    char err[PT_ERRMSG_CAP];
    pthread_t tid;
} fworker;

/* Hash the worker's texts into its arrays; records the result in w->rc and w->err. */
static void *featurize_range(void *arg) {
    fworker *w = arg;
    pt_tokenizer *tk = NULL;
    pt__featbuf fb;
    memset(&fb, 0, sizeof fb);
    int rc = PT_OK;
    if (w->ctx != w->main_ctx) {
        rc = pt_ctx_new_with(&w->main_ctx->alloc, &w->ctx);
        if (rc != PT_OK) {
            w->ctx = NULL;
            w->rc = rc;
            snprintf(w->err, sizeof w->err, "classifier: out of memory");
            return NULL;
        }
    }
    pt_ctx *ctx = w->ctx;
    rc = pt_tokenizer_new(ctx, &w->m->tok, &tk);
    w->off = rc == PT_OK ? pt__malloc(ctx, (w->hi - w->lo + 1) * sizeof *w->off) : NULL;
    if (rc == PT_OK && w->off == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
    }
    if (w->off != NULL) {
        w->off[0] = 0;
    }
    for (size_t i = w->lo; i < w->hi && rc == PT_OK; i++) {
        const char *s = w->texts[i] != NULL ? w->texts[i] : "";
        rc = pt__features(tk, &w->m->fc, s, strlen(s), &fb);
        if (rc != PT_OK) {
            pt__error_prefix(ctx, "training text %zu", i);
            break;
        }
        if (w->used + fb.n > w->cap) {
            size_t ncap = w->cap ? w->cap : 1 << 18;
            while (ncap < w->used + fb.n) {
                ncap *= 2;
            }
            uint32_t *c = pt__big_realloc(ctx, w->col, ncap * sizeof *c);
            if (c != NULL) {
                w->col = c;
            }
            float *v = c != NULL ? pt__big_realloc(ctx, w->val, ncap * sizeof *v) : NULL;
            if (v == NULL) {
                rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
                break;
            }
            w->val = v;
            w->cap = ncap;
        }
        memcpy(w->col + w->used, fb.bucket, fb.n * sizeof(uint32_t));
        for (size_t e = 0; e < fb.n; e++) {
            w->val[w->used + e] = (float)fb.count[e];
        }
        w->used += fb.n;
        w->off[i - w->lo + 1] = w->used;
        if (w->ctx == w->main_ctx && ((i - w->lo) & 1023) == 0) {
            pt__progress(ctx, "featurize", i - w->lo, w->hi - w->lo);
        }
    }
    if (rc != PT_OK) {
        snprintf(w->err, sizeof w->err, "%s", pt_ctx_errmsg(ctx));
    }
    w->rc = rc;
    pt__featbuf_free(ctx, &fb);
    pt_tokenizer_free(tk);
    return NULL;
}

/* Free a worker's arrays and, for helper threads, its ctx. */
static void fworker_free(fworker *w) {
    if (w->ctx == NULL) {
        return;
    }
    pt__big_free(w->ctx, w->col);
    pt__big_free(w->ctx, w->val);
    pt__free(w->ctx, w->off);
    if (w->ctx != w->main_ctx) {
        pt_ctx_free(w->ctx);
    }
    w->ctx = NULL;
}

/* How many featurization threads: the option, or the online CPUs (at most 4) when it is 0. */
static int n_threads(int opt, size_t n) {
    long t = opt > 0 ? opt : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1) {
        t = 1;
    }
    if (t > 16) {
        t = 16;
    }
    if (opt <= 0 && t > 4) {
        t = 4;
    }
    if ((size_t)t * 256 > n) { /* small sets are not worth a thread */
        t = (long)(n / 256) > 0 ? (long)(n / 256) : 1;
    }
    return (int)t;
}

/* Build the TF-IDF matrix from the texts: hash every text (in `threads` workers), count
 * document frequencies, keep buckets with df >= min_df, then weight and normalise each row in
 * place. Fills the model's fbucket and idf and the trainer's X. */
static int build_matrix(pt_textclf *m, trainer *t, const char *const *texts, size_t n,
                        int threads) {
    pt_ctx *ctx = m->ctx;
    int rc = PT_OK;
    size_t nb = (size_t)1 << m->fc.hash_bits;
    uint32_t *df = NULL;
    fworker wk[16];
    int nt = n_threads(threads, n);
    memset(wk, 0, sizeof wk);
    for (int i = 0; i < nt; i++) {
        wk[i].main_ctx = ctx;
        wk[i].ctx = i == 0 ? ctx : NULL;
        wk[i].m = m;
        wk[i].texts = texts;
        wk[i].lo = n * (size_t)i / (size_t)nt;
        wk[i].hi = n * (size_t)(i + 1) / (size_t)nt;
    }
    int started[16] = {0};
    for (int i = 1; i < nt; i++) {
        started[i] = pthread_create(&wk[i].tid, NULL, featurize_range, &wk[i]) == 0;
        if (!started[i]) {
            featurize_range(&wk[i]); /* no thread: do the work here */
        }
    }
    featurize_range(&wk[0]);
    for (int i = 1; i < nt; i++) {
        if (started[i]) {
            pthread_join(wk[i].tid, NULL);
        }
    }
    size_t used = 0;
    for (int i = 0; i < nt; i++) {
        if (wk[i].rc != PT_OK && rc == PT_OK) {
            rc = pt__error(ctx, wk[i].rc, "%s", wk[i].err);
        }
        used += wk[i].used;
    }
    t->X.n_rows = n;
    if (rc == PT_OK) {
        t->X.off = pt__malloc(ctx, (n + 1) * sizeof *t->X.off);
        t->X.col = pt__big_alloc(ctx, (used + 1) * sizeof *t->X.col);
        t->X.val = pt__big_alloc(ctx, (used + 1) * sizeof *t->X.val);
        if (t->X.off == NULL || t->X.col == NULL || t->X.val == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
        }
    }
    if (rc == PT_OK) {
        size_t at = 0;
        t->X.off[0] = 0;
        for (int i = 0; i < nt; i++) {
            memcpy(t->X.col + at, wk[i].col, wk[i].used * sizeof *t->X.col);
            memcpy(t->X.val + at, wk[i].val, wk[i].used * sizeof *t->X.val);
            for (size_t r = wk[i].lo; r < wk[i].hi; r++) {
                t->X.off[r + 1] = at + wk[i].off[r - wk[i].lo + 1];
            }
            at += wk[i].used;
        }
    }
    for (int i = 0; i < nt; i++) {
        fworker_free(&wk[i]);
    }
    if (rc != PT_OK) {
        return rc;
    }
    df = pt__big_alloc(ctx, nb * sizeof *df);
    if (df == NULL) {
        return pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
    }
    memset(df, 0, nb * sizeof *df);
    /* the buckets are hashed, so every access misses the cache: prefetch well ahead */
    for (size_t e = 0; e < used; e++) {
        if (e + 32 < used) {
            __builtin_prefetch(&df[t->X.col[e + 32]], 1);
        }
        df[t->X.col[e]]++;
    }
    size_t n_feat = 0;
    for (size_t j = 0; j < nb; j++) {
        n_feat += df[j] >= (uint32_t)m->min_df;
    }
    m->n_feat = n_feat;
    m->fbucket = pt__malloc(ctx, (n_feat + 1) * sizeof *m->fbucket);
    m->idf = pt__malloc(ctx, (n_feat + 1) * sizeof *m->idf);
    if (m->fbucket == NULL || m->idf == NULL) {
        pt__big_free(ctx, df);
        return pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
    }
    size_t q = 0;
    for (size_t j = 0; j < nb; j++) {
        if (df[j] >= (uint32_t)m->min_df) {
            m->fbucket[q] = (uint32_t)j;
            m->idf[q] = (float)(log((1.0 + (double)n) / (1.0 + df[j])) + 1.0);
            df[j] = (uint32_t)q; /* df now maps bucket -> feature */
            q++;
        } else {
            df[j] = UINT32_MAX;
        }
    }
    /* renumber and weight in place, dropping rare buckets */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        size_t row_start = w;
        double sq = 0;
        for (uint64_t e = t->X.off[i]; e < t->X.off[i + 1]; e++) {
            if (e + 32 < t->X.off[n]) {
                __builtin_prefetch(&df[t->X.col[e + 32]], 0);
            }
            uint32_t f = df[t->X.col[e]];
            if (f == UINT32_MAX) {
                continue;
            }
            float tf = t->X.val[e];
            double v = (tf == 1.0f ? 1.0 : 1.0 + log((double)tf)) * m->idf[f];
            t->X.col[w] = f;
            t->X.val[w] = (float)v;
            sq += v * v;
            w++;
        }
        double inv = sq > 0 ? 1.0 / sqrt(sq) : 0;
        for (size_t e = row_start; e < w; e++) {
            t->X.val[e] = (float)(t->X.val[e] * inv);
        }
        t->X.off[i] = row_start;
    }
    t->X.off[n] = w;
    pt__big_free(ctx, df);
    return PT_OK;
}

/* The TF-IDF matrix of `texts` as training would build it (declared in nlp.h, for tests). */
int pt__textclf_tfidf(pt_ctx *ctx, const pt_textclf_opts *o, const char *const *texts,
                      size_t n, pt__csr *X, float **idf, size_t *n_feat) {
    pt_textclf m;
    trainer t;
    memset(&m, 0, sizeof m);
    memset(&t, 0, sizeof t);
    memset(X, 0, sizeof *X);
    *idf = NULL;
    *n_feat = 0;
    m.ctx = ctx;
    m.fc = (pt__featcfg){o->hash_bits, o->word_ngrams, o->char_min, o->char_max};
    m.tok = o->tok;
    m.min_df = o->min_df;
    int rc = build_matrix(&m, &t, texts, n, 1);
    pt__free(ctx, m.fbucket);
    if (rc != PT_OK) {
        pt__free(ctx, m.idf);
        pt__free(ctx, t.X.off);
        pt__big_free(ctx, t.X.col);
        pt__big_free(ctx, t.X.val);
        return rc;
    }
    *X = t.X;
    *idf = m.idf;
    *n_feat = m.n_feat;
    return PT_OK;
}

/* Free a matrix made by pt__textclf_tfidf. */
void pt__csr_free(pt_ctx *ctx, pt__csr *X) {
    pt__free(ctx, X->off);
    pt__big_free(ctx, X->col);
    pt__big_free(ctx, X->val);
    memset(X, 0, sizeof *X);
}

/* Check the training options. */
static int check_opts(pt_ctx *ctx, const pt_textclf_opts *o) {
    if (o->task != PT_TEXT_SENTIMENT && o->task != PT_TEXT_CATEGORY) {
        return pt__error(ctx, PT_EINVAL, "classifier: unknown task %d", o->task);
    }
    if (o->hash_bits < 10 || o->hash_bits > 24) {
        return pt__error(ctx, PT_EINVAL, "classifier: hash_bits %d is not in 10..24",
                         o->hash_bits);
    }
    if (o->word_ngrams < 0 || o->word_ngrams > 3 || o->char_max < 0 || o->char_max > 5 ||
        (o->char_max > 0 && (o->char_min < 1 || o->char_min > o->char_max)) ||
        (o->word_ngrams == 0 && o->char_max == 0)) {
        return pt__error(ctx, PT_EINVAL, "classifier: bad n-gram ranges (words 1..%d, chars "
                                         "%d..%d)", o->word_ngrams, o->char_min, o->char_max);
    }
    if (o->min_df < 1 || o->batch < 1 || o->max_epochs < 1 || o->patience < 1 ||
        !(o->learning_rate > 0) || !(o->l2 >= 0) || !(o->val_frac >= 0 && o->val_frac < 0.9)) {
        return pt__error(ctx, PT_EINVAL, "classifier: bad optimiser options");
    }
    return PT_OK;
}

/* Train a classifier (see the file comment). */
int pt_textclf_train(pt_ctx *ctx, const pt_textclf_opts *opts, const char *const *texts,
                     const char *const *labels, size_t n, pt_textclf **out) {
    pt_textclf_opts dflt;
    trainer t;
    pt_textclf *m = NULL;
    const char **uniq = NULL;
    float *bestW = NULL, *bestb = NULL;
    int rc = PT_OK;

    *out = NULL;
    memset(&t, 0, sizeof t);
    if (opts == NULL) {
        pt_textclf_opts_init(&dflt);
        opts = &dflt;
    }
    PT_TRY(check_opts(ctx, opts));
    if (texts == NULL || labels == NULL || n < 2) {
        return pt__error(ctx, PT_EINVAL, "classifier: need at least two labelled texts");
    }
    /* labels: sorted unique */
    uniq = pt__malloc(ctx, n * sizeof *uniq);
    t.y = pt__malloc(ctx, n * sizeof *t.y);
    m = pt__calloc(ctx, 1, sizeof *m);
    if (uniq == NULL || t.y == NULL || m == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
        goto done;
    }
    m->ctx = ctx;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] == NULL || labels[i][0] == '\0') {
            rc = pt__error(ctx, PT_EINVAL, "classifier: training row %zu has an empty label", i);
            goto done;
        }
        uniq[i] = labels[i];
    }
    qsort(uniq, n, sizeof *uniq, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || strcmp(uniq[k - 1], uniq[i]) != 0) {
            uniq[k++] = uniq[i];
        }
    }
    if (k < 2 || k > 256) {
        rc = pt__error(ctx, PT_EINVAL, "classifier: %zu distinct labels (need 2..256)", k);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const char **hit = bsearch(&labels[i], uniq, k, sizeof *uniq, cmp_str);
        t.y[i] = (uint32_t)(hit - uniq);
    }
    m->k = k;
    m->labels = pt__calloc(ctx, k, sizeof *m->labels);
    if (m->labels == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
        goto done;
    }
    for (size_t c = 0; c < k; c++) {
        m->labels[c] = pt__strdup(ctx, uniq[c]);
        if (m->labels[c] == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
            goto done;
        }
    }
    m->task = opts->task;
    m->fc = (pt__featcfg){opts->hash_bits, opts->word_ngrams, opts->char_min, opts->char_max};
    m->tok = opts->tok;
    m->min_df = opts->min_df;
    m->n_train = n;
    double t0 = pt__now();
    PT_TRY(build_matrix(m, &t, texts, n, opts->threads));
    double t1 = pt__now();
    pt__log(ctx, PT_LOG_INFO, "classifier: %zu texts, %zu features, %llu non-zeros in %.2f s", n,
            m->n_feat, (unsigned long long)t.X.off[n], t1 - t0);

    /* split off the validation rows */
    t.ctx = ctx;
    t.o = opts;
    t.n = n;
    t.k = k;
    t.n_feat = m->n_feat;
    t.rng = opts->seed ? opts->seed : 42;
    t.fit = pt__malloc(ctx, n * sizeof *t.fit);
    t.val = pt__malloc(ctx, n * sizeof *t.val);
    size_t wk = (m->n_feat + 1) * k;
    t.P = pt__big_alloc(ctx, 2 * wk * sizeof *t.P);
    t.gbuf = opts->batch > 1 ? pt__big_alloc(ctx, wk * sizeof *t.gbuf) : NULL;
    t.b = pt__calloc(ctx, k, sizeof *t.b);
    t.Gb = pt__calloc(ctx, k, sizeof *t.Gb);
    t.touched = pt__malloc(ctx, (m->n_feat + 1) * sizeof *t.touched);
    t.mark = pt__calloc(ctx, m->n_feat + 1, 1);
    bestW = pt__big_alloc(ctx, 2 * wk * sizeof *bestW);
    bestb = pt__calloc(ctx, k, sizeof *bestb);
    if (t.fit == NULL || t.val == NULL || t.P == NULL || (t.gbuf == NULL && opts->batch > 1) ||
        t.b == NULL || t.Gb == NULL || t.touched == NULL || t.mark == NULL || bestW == NULL ||
        bestb == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
        goto done;
    }
    if (t.gbuf != NULL) {
        memset(t.gbuf, 0, wk * sizeof *t.gbuf);
    }
    for (size_t i = 0; i < n; i++) {
        t.fit[i] = i;
    }
    shuffle(t.fit, n, &t.rng);
    if (opts->groups == NULL) {
        t.n_val = n < 20 ? 0 : (size_t)(opts->val_frac * (double)n);
        memcpy(t.val, t.fit, t.n_val * sizeof *t.val);
        memmove(t.fit, t.fit + t.n_val, (n - t.n_val) * sizeof *t.fit);
        t.n_fit = n - t.n_val;
    } else {
        /* whole groups (a row and its augmented copies) go to one side, chosen by a hash of
         * the group id, so no copy of a validation row is trained on */
        size_t nf = 0, nv = 0;
        uint64_t cut = (uint64_t)(opts->val_frac * 1000000.0);
        for (size_t i = 0; i < n; i++) {
            size_t r = t.fit[i];
            uint64_t g = opts->groups[r];
            if (n >= 20 && pt__hash(&g, sizeof g, opts->seed) % 1000000u < cut) {
                t.val[nv++] = r;
            } else {
                t.fit[nf++] = r;
            }
        }
        t.n_val = nv;
        t.n_fit = nf;
    }

    reset_weights(&t);
    int best_epoch = opts->max_epochs;
    if (t.n_val > 0) {
        double best_acc = -1, best_loss = INFINITY;
        int since = 0;
        best_epoch = 0;
        for (int ep = 1; ep <= opts->max_epochs; ep++) {
            epoch(&t);
            double acc, loss;
            validate(&t, &acc, &loss);
            if (opts->verbose) {
                pt__log(ctx, PT_LOG_INFO, "classifier: epoch %d validation accuracy %.4f "
                        "log-loss %.4f", ep, acc, loss);
            }
            if (acc > best_acc || (acc == best_acc && loss < best_loss)) {
                best_acc = acc;
                best_loss = loss;
                best_epoch = ep;
                since = 0;
                memcpy(bestW, t.P, 2 * wk * sizeof *bestW);
                memcpy(bestb, t.b, k * sizeof *bestb);
            } else if (++since >= opts->patience) {
                break;
            }
        }
        if (opts->refit) {
            for (size_t i = 0; i < n; i++) {
                t.fit[i] = i;
            }
            t.n_fit = n;
            reset_weights(&t);
            for (int ep = 1; ep <= best_epoch; ep++) {
                epoch(&t);
            }
        } else {
            memcpy(t.P, bestW, 2 * wk * sizeof *bestW);
            memcpy(t.b, bestb, k * sizeof *bestb);
        }
    } else {
        for (int ep = 1; ep <= opts->max_epochs; ep++) {
            epoch(&t);
        }
    }
    pt__log(ctx, PT_LOG_INFO, "classifier: trained %d epochs in %.2f s", best_epoch,
            pt__now() - t1);
    m->W = pt__big_alloc(ctx, wk * sizeof *m->W);
    if (m->W == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
        goto done;
    }
    for (size_t j = 0; j < m->n_feat; j++) {
        memcpy(m->W + j * k, t.P + j * 2 * k, k * sizeof *m->W);
    }
    m->b = pt__malloc(ctx, k * sizeof *m->b);
    if (m->b == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "classifier: out of memory");
        goto done;
    }
    memcpy(m->b, t.b, k * sizeof *m->b);
    PT_TRY(finish_model(m));
    *out = m;
    m = NULL;
done:
    pt__free(ctx, uniq);
    pt__free(ctx, t.y);
    pt__free(ctx, t.X.off);
    pt__big_free(ctx, t.X.col);
    pt__big_free(ctx, t.X.val);
    pt__free(ctx, t.fit);
    pt__free(ctx, t.val);
    pt__big_free(ctx, t.P);
    pt__big_free(ctx, t.gbuf);
    pt__free(ctx, t.b);
    pt__free(ctx, t.Gb);
    pt__free(ctx, t.touched);
    pt__free(ctx, t.mark);
    pt__big_free(ctx, bestW);
    pt__free(ctx, bestb);
    pt_textclf_free(m);
    return rc;
}

/* --- prediction and evaluation ------------------------------------------------------------- */

/* The task of a model. */
int pt_textclf_task(const pt_textclf *m) {
    return m->task;
}

/* The number of labels. */
size_t pt_textclf_n_labels(const pt_textclf *m) {
    return m->k;
}

/* Label i, or NULL when out of range. */
const char *pt_textclf_label(const pt_textclf *m, size_t i) {
    return i < m->k ? m->labels[i] : NULL;
}

/* The index of a label, or -1. */
long pt_textclf_label_index(const pt_textclf *m, const char *label) {
    for (size_t i = 0; label != NULL && i < m->k; i++) {
        if (strcmp(m->labels[i], label) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* Predict one text: hash, weight, score, softmax. */
int pt_textclf_predict(pt_textclf *m, const char *text, size_t len, pt_text_prediction *out) {
    memset(out, 0, sizeof *out);
    int rc = pt__features(m->tk, &m->fc, text, len, &m->fb);
    if (rc != PT_OK) {
        return rc;
    }
    size_t k = m->k;
    double *z = m->probs;
    for (size_t c = 0; c < k; c++) {
        z[c] = 0;
    }
    double sq = 0;
    for (size_t e = 0; e < m->fb.n; e++) {
        int32_t f = m->map[m->fb.bucket[e]];
        if (f < 0) {
            continue;
        }
        double v = (1.0 + log((double)m->fb.count[e])) * m->idf[f];
        sq += v * v;
        const float *w = m->W + (size_t)f * k;
        for (size_t c = 0; c < k; c++) {
            z[c] += v * w[c];
        }
    }
    double inv = sq > 0 ? 1.0 / sqrt(sq) : 0;
    double mx = -INFINITY;
    for (size_t c = 0; c < k; c++) {
        z[c] = z[c] * inv + m->b[c];
        mx = z[c] > mx ? z[c] : mx;
    }
    double s = 0;
    for (size_t c = 0; c < k; c++) {
        z[c] = exp(z[c] - mx);
        s += z[c];
    }
    size_t best = 0;
    for (size_t c = 0; c < k; c++) {
        z[c] /= s;
        best = z[c] > z[best] ? c : best;
    }
    out->label = best;
    out->prob = z[best];
    out->probs = z;
    if (m->task == PT_TEXT_SENTIMENT && m->pos >= 0 && m->neg >= 0) {
        out->score = z[m->pos] - z[m->neg];
    } else {
        out->score = z[best];
    }
    return PT_OK;
}

/* Free evaluation figures. */
void pt_text_eval_free(pt_text_eval *e) {
    if (e == NULL) {
        return;
    }
    pt__free(NULL, e->precision);
    pt__free(NULL, e->recall);
    pt__free(NULL, e->f1);
    pt__free(NULL, e->confusion);
    pt__free(NULL, e);
}

/* Evaluate on labelled rows: accuracy, per-class precision/recall/F1, macro-F1, confusion. */
int pt_textclf_eval(pt_textclf *m, const char *const *texts, const char *const *labels,
                    size_t n, pt_text_eval **out) {
    *out = NULL;
    size_t k = m->k;
    pt_text_eval *e = pt__calloc(NULL, 1, sizeof *e); /* freed without a ctx */
    if (e == NULL) {
        return pt__error(m->ctx, PT_ENOMEM, "eval: out of memory");
    }
    e->n_labels = k;
    e->precision = pt__calloc(NULL, k, sizeof(double));
    e->recall = pt__calloc(NULL, k, sizeof(double));
    e->f1 = pt__calloc(NULL, k, sizeof(double));
    e->confusion = pt__calloc(NULL, k * k, sizeof(uint64_t));
    if (e->precision == NULL || e->recall == NULL || e->f1 == NULL || e->confusion == NULL) {
        pt_text_eval_free(e);
        return pt__error(m->ctx, PT_ENOMEM, "eval: out of memory");
    }
    double t0 = pt__now();
    for (size_t i = 0; i < n; i++) {
        long y = pt_textclf_label_index(m, labels[i]);
        if (y < 0) {
            pt_text_eval_free(e);
            return pt__error(m->ctx, PT_EINVAL, "eval: row %zu has the label '%.64s', which "
                             "the model does not know", i, labels[i] ? labels[i] : "(null)");
        }
        pt_text_prediction p;
        const char *s = texts[i] != NULL ? texts[i] : "";
        int rc = pt_textclf_predict(m, s, strlen(s), &p);
        if (rc != PT_OK) {
            pt_text_eval_free(e);
            return pt__error_prefix(m->ctx, "eval: row %zu", i);
        }
        e->confusion[(size_t)y * k + p.label]++;
    }
    e->seconds = pt__now() - t0;
    e->n = n;
    uint64_t ok = 0;
    double f1sum = 0;
    for (size_t c = 0; c < k; c++) {
        uint64_t tp = e->confusion[c * k + c], row = 0, col = 0;
        for (size_t d = 0; d < k; d++) {
            row += e->confusion[c * k + d];
            col += e->confusion[d * k + c];
        }
        ok += tp;
        e->precision[c] = col ? (double)tp / (double)col : 0;
        e->recall[c] = row ? (double)tp / (double)row : 0;
        double ps = e->precision[c] + e->recall[c];
        e->f1[c] = ps > 0 ? 2 * e->precision[c] * e->recall[c] / ps : 0;
        f1sum += e->f1[c];
    }
    e->accuracy = n ? (double)ok / (double)n : 0;
    e->macro_f1 = f1sum / (double)k;
    *out = e;
    return PT_OK;
}

/* --- model file ---------------------------------------------------------------------------- */

/* A write buffer: bytes appended in memory, CRC computed at the end. */
typedef struct wbuf {
    pt_ctx *ctx;
    unsigned char *p;
    size_t len, cap;
    int oom;
} wbuf;

/* Append n bytes to the buffer; remembers a failure. */
static void put(wbuf *w, const void *d, size_t n) {
    if (w->oom) {
        return;
    }
    if (pt__grow(w->ctx, (void **)&w->p, &w->cap, w->len + n, 1) != PT_OK) {
        w->oom = 1;
        return;
    }
    memcpy(w->p + w->len, d, n);
    w->len += n;
}

/* Append a u32. */
static void put32(wbuf *w, uint32_t v) {
    put(w, &v, sizeof v);
}

/* Save a model (see the file comment for the layout). */
int pt_textclf_save(const pt_textclf *m, const char *path) {
    pt_ctx *ctx = m->ctx;
    wbuf w = {ctx, NULL, 0, 0, 0};
    put(&w, MODEL_MAGIC, 8);
    put32(&w, MODEL_VERSION);
    put32(&w, ENDIAN_MARK);
    uint32_t hdr[12] = {(uint32_t)m->task, (uint32_t)m->fc.hash_bits,
                        (uint32_t)m->fc.word_ngrams, (uint32_t)m->fc.char_min,
                        (uint32_t)m->fc.char_max, (uint32_t)m->min_df,
                        (uint32_t)m->tok.lowercase, (uint32_t)m->tok.stem,
                        (uint32_t)m->tok.stopwords, (uint32_t)m->tok.keep_punct,
                        (uint32_t)m->tok.raw_typed, (uint32_t)m->k};
    put(&w, hdr, sizeof hdr);
    uint64_t nf = m->n_feat, nt = m->n_train;
    put(&w, &nf, sizeof nf);
    put(&w, &nt, sizeof nt);
    for (size_t c = 0; c < m->k; c++) {
        uint32_t l = (uint32_t)strlen(m->labels[c]);
        put32(&w, l);
        put(&w, m->labels[c], l);
    }
    put(&w, m->fbucket, m->n_feat * sizeof *m->fbucket);
    put(&w, m->idf, m->n_feat * sizeof *m->idf);
    put(&w, m->W, m->n_feat * m->k * sizeof *m->W);
    put(&w, m->b, m->k * sizeof *m->b);
    if (w.oom) {
        pt__free(ctx, w.p);
        return pt__error(ctx, PT_ENOMEM, "model: out of memory");
    }
    put32(&w, pt__crc32(0, w.p, w.len));
    if (w.oom) {
        pt__free(ctx, w.p);
        return pt__error(ctx, PT_ENOMEM, "model: out of memory");
    }
    size_t pl = strlen(path);
    char *tmp = pt__malloc(ctx, pl + 5);
    if (tmp == NULL) {
        pt__free(ctx, w.p);
        return pt__error(ctx, PT_ENOMEM, "model: out of memory");
    }
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    int rc = PT_OK;
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        rc = pt__error(ctx, PT_EIO, "model: cannot create %s", tmp);
    } else {
        size_t wr = fwrite(w.p, 1, w.len, f);
        int cl = fclose(f);
        if (wr != w.len || cl != 0) {
            rc = pt__error(ctx, PT_EIO, "model: write error on %s", tmp);
            remove(tmp);
        } else if (rename(tmp, path) != 0) {
            rc = pt__error(ctx, PT_EIO, "model: cannot rename %s to %s", tmp, path);
            remove(tmp);
        }
    }
    pt__free(ctx, tmp);
    pt__free(ctx, w.p);
    return rc;
}

/* A read cursor over the file's bytes. */
typedef struct rbuf {
    const unsigned char *p;
    size_t len, pos;
} rbuf;

/* Take n bytes; returns NULL when the file is too short. */
static const void *take(rbuf *r, size_t n) {
    if (n > r->len - r->pos) {
        return NULL;
    }
    const void *p = r->p + r->pos;
    r->pos += n;
    return p;
}

/* Copy `n` bytes into freshly allocated memory from the cursor, or NULL (short file or OOM;
 * *short_file tells which). */
static void *take_copy(pt_ctx *ctx, rbuf *r, size_t n, int *short_file, int big) {
    const void *s = take(r, n);
    if (s == NULL) {
        *short_file = 1;
        return NULL;
    }
    void *d = big ? pt__big_alloc(ctx, n + 1) : pt__malloc(ctx, n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

/* Parse the bytes of a model file into `m`; the CRC has been checked. */
static int parse_model(pt_textclf *m, rbuf *r, const char *path) {
    pt_ctx *ctx = m->ctx;
    const unsigned char *p = take(r, 16);
    if (memcmp(p, MODEL_MAGIC, 8) != 0) {
        return pt__error(ctx, PT_EPARSE, "model: %s is not a Portrait text model", path);
    }
    uint32_t ver, mark;
    memcpy(&ver, p + 8, 4);
    memcpy(&mark, p + 12, 4);
    if (mark != ENDIAN_MARK) {
        return pt__error(ctx, PT_EPARSE, "model: %s was written on a machine of the other "
                                         "byte order", path);
    }
    if (ver != MODEL_VERSION) {
        return pt__error(ctx, PT_EPARSE, "model: %s has version %u; this build reads %u", path,
                         ver, MODEL_VERSION);
    }
    uint32_t hdr[12];
    uint64_t nf, nt;
    const void *h = take(r, sizeof hdr + 16);
    if (h == NULL) {
        return pt__error(ctx, PT_EPARSE, "model: %s is truncated", path);
    }
    memcpy(hdr, h, sizeof hdr);
    memcpy(&nf, (const char *)h + sizeof hdr, 8);
    memcpy(&nt, (const char *)h + sizeof hdr + 8, 8);
    m->task = (int)hdr[0];
    m->fc = (pt__featcfg){(int)hdr[1], (int)hdr[2], (int)hdr[3], (int)hdr[4]};
    m->min_df = (int)hdr[5];
    m->tok.lowercase = hdr[6] != 0;
    m->tok.stem = hdr[7] != 0;
    m->tok.stopwords = hdr[8] != 0;
    m->tok.keep_punct = hdr[9] != 0;
    m->tok.raw_typed = hdr[10] != 0;
    m->k = hdr[11];
    m->n_train = nt;
    if (m->task < 0 || m->task > 1 || hdr[1] < 10 || hdr[1] > 24 || hdr[2] > 3 || hdr[4] > 5 ||
        hdr[3] > hdr[4] || m->k < 2 || m->k > 256 || nf > ((uint64_t)1 << hdr[1])) {
        return pt__error(ctx, PT_EPARSE, "model: %s has an impossible header", path);
    }
    m->n_feat = (size_t)nf;
    m->labels = pt__calloc(ctx, m->k, sizeof *m->labels);
    if (m->labels == NULL) {
        return pt__error(ctx, PT_ENOMEM, "model: out of memory");
    }
    int short_file = 0;
    for (size_t c = 0; c < m->k; c++) {
        const void *lp = take(r, 4);
        uint32_t l;
        if (lp == NULL) {
            return pt__error(ctx, PT_EPARSE, "model: %s is truncated", path);
        }
        memcpy(&l, lp, 4);
        m->labels[c] = take_copy(ctx, r, l, &short_file, 0);
        if (m->labels[c] == NULL) {
            return short_file ? pt__error(ctx, PT_EPARSE, "model: %s is truncated", path)
                              : pt__error(ctx, PT_ENOMEM, "model: out of memory");
        }
        m->labels[c][l] = '\0';
    }
    if (nf > r->len / 8 + 1) {
        return pt__error(ctx, PT_EPARSE, "model: %s is truncated", path);
    }
    m->fbucket = take_copy(ctx, r, m->n_feat * 4, &short_file, 0);
    m->idf = m->fbucket ? take_copy(ctx, r, m->n_feat * 4, &short_file, 0) : NULL;
    m->W = m->idf ? take_copy(ctx, r, m->n_feat * m->k * 4, &short_file, 1) : NULL;
    m->b = m->W ? take_copy(ctx, r, m->k * 4, &short_file, 0) : NULL;
    if (m->b == NULL) {
        return short_file ? pt__error(ctx, PT_EPARSE, "model: %s is truncated", path)
                          : pt__error(ctx, PT_ENOMEM, "model: out of memory");
    }
    if (r->pos != r->len) {
        return pt__error(ctx, PT_EPARSE, "model: %s has %zu stray bytes", path,
                         r->len - r->pos);
    }
    for (size_t j = 0; j < m->n_feat; j++) {
        if (m->fbucket[j] >> m->fc.hash_bits != 0 || (j > 0 && m->fbucket[j] <= m->fbucket[j - 1])
            || !isfinite(m->idf[j])) {
            return pt__error(ctx, PT_EPARSE, "model: %s has a bad feature table", path);
        }
    }
    for (size_t j = 0; j < m->n_feat * m->k; j++) {
        if (!isfinite(m->W[j])) {
            return pt__error(ctx, PT_EPARSE, "model: %s has non-finite weights", path);
        }
    }
    return PT_OK;
}

/* Load a model file: read it whole, check size and CRC, then parse. */
int pt_textclf_load(pt_ctx *ctx, const char *path, pt_textclf **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return pt__error(ctx, PT_EIO, "model: cannot open %s", path);
    }
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = PT_OK;
    for (;;) {
        if (pt__grow(ctx, (void **)&buf, &cap, len + 65536, 1) != PT_OK) {
            rc = PT_ENOMEM;
            break;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    if (rc == PT_OK && ferror(f)) {
        rc = pt__error(ctx, PT_EIO, "model: read error on %s", path);
    }
    fclose(f);
    if (rc != PT_OK) {
        pt__free(ctx, buf);
        return rc;
    }
    if (len < 16 + 48 + 16 + 4) {
        pt__free(ctx, buf);
        return pt__error(ctx, PT_EPARSE, "model: %s is too short to be a model (%zu bytes)",
                         path, len);
    }
    uint32_t crc;
    memcpy(&crc, buf + len - 4, 4);
    if (memcmp(buf, MODEL_MAGIC, 8) != 0) {
        pt__free(ctx, buf);
        return pt__error(ctx, PT_EPARSE, "model: %s is not a Portrait text model", path);
    }
    if (pt__crc32(0, buf, len - 4) != crc) {
        pt__free(ctx, buf);
        return pt__error(ctx, PT_EPARSE, "model: %s fails its checksum (corrupt or truncated)",
                         path);
    }
    pt_textclf *m = pt__calloc(ctx, 1, sizeof *m);
    if (m == NULL) {
        pt__free(ctx, buf);
        return pt__error(ctx, PT_ENOMEM, "model: out of memory");
    }
    m->ctx = ctx;
    rbuf r = {buf, len - 4, 0};
    rc = parse_model(m, &r, path);
    pt__free(ctx, buf);
    if (rc == PT_OK) {
        rc = finish_model(m);
    }
    if (rc != PT_OK) {
        pt_textclf_free(m);
        return rc;
    }
    *out = m;
    return PT_OK;
}
