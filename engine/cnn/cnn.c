/*
 * cnn.c - the image CNN behind pt_cnn.h: named architectures, training with Adam and a per-epoch
 * report (NaN stops it), evaluation, prediction of class probabilities and embeddings, the model
 * file (the network's file plus class names and normalisation as metadata), blocked-SGEMM
 * k-nearest neighbours, and attaching the results to catalogue items in the graph.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cnn/cnn.h"
#include "portrait/pt_vec.h"

/* ======================================================================= architectures == */

/* Named architectures; "%u" is the class count. `small` is fixed by issue 6 (the PyTorch
 * comparison uses it), `seed` is the reference text's network, `best` ours (docs/CNN.md). */
static const struct {
    const char *name;
    const char *arch;
    int cosine; /* learning rate decayed from lr to 0 along a half cosine over the run */
} ARCHS[] = {
    {"small", "conv32k3 relu pool2 conv64k3 relu pool2 dense128 relu dense%u", 0},
    {"seed",
     "conv64k3 relu pool2 conv128k3 relu pool2 dense512 relu dense256 relu dense128 relu dense%u",
     0},
    {"best", "conv32k3p1 bn relu pool2 conv64k3 bn relu pool2 dense128 bn relu drop0.3 dense%u", 1},
};

/* Expand a named architecture (or copy a literal one) into buf; *cosine: its schedule. */
static int arch_string(pt_ctx *ctx, const char *name, uint32_t n_classes, char *buf, size_t cap,
                       int *cosine) {
    *cosine = 0;
    if (name == NULL) {
        name = "best";
    }
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++) {
        if (strcmp(name, ARCHS[i].name) == 0) {
            snprintf(buf, cap, ARCHS[i].arch, n_classes);
            *cosine = ARCHS[i].cosine;
            return PT_OK;
        }
    }
    if (strlen(name) >= cap) {
        return pt__error(ctx, PT_EINVAL, "architecture string too long");
    }
    snprintf(buf, cap, "%s", name);
    return PT_OK;
}

/* ======================================================================= model ========== */

void pt_cnn_free(pt_cnn *m) {
    if (m == NULL) {
        return;
    }
    pt_ctx *ctx = m->ctx;
    pt__net_free(ctx, m->net);
    for (uint32_t i = 0; m->class_names != NULL && i < m->n_classes; i++) {
        pt__free(ctx, m->class_names[i]);
    }
    pt__free(ctx, m->class_names);
    pt__tensor_free(ctx, &m->batch);
    pt__free(ctx, m);
}

/* A model shell with n class names (copied from names, or "0".."n-1"). */
static int model_new(pt_ctx *ctx, uint32_t n, const char *const *names, pt_cnn **out) {
    *out = NULL;
    pt_cnn *m = pt__calloc(ctx, 1, sizeof *m);
    if (m == NULL) {
        return pt__error(ctx, PT_ENOMEM, "model");
    }
    m->ctx = ctx;
    m->n_classes = n;
    m->class_names = pt__calloc(ctx, n ? n : 1, sizeof *m->class_names);
    if (m->class_names == NULL) {
        pt_cnn_free(m);
        return pt__error(ctx, PT_ENOMEM, "model");
    }
    for (uint32_t i = 0; i < n; i++) {
        char num[16];
        snprintf(num, sizeof num, "%u", i);
        const char *s = names != NULL ? names[i] : num;
        if (strchr(s, ',') != NULL || strchr(s, '\n') != NULL || *s == '\0') {
            pt_cnn_free(m);
            return pt__error(ctx, PT_EINVAL, "class name '%s': empty or contains ',' or a newline",
                             s);
        }
        m->class_names[i] = pt__strdup(ctx, s);
        if (m->class_names[i] == NULL) {
            pt_cnn_free(m);
            return pt__error(ctx, PT_ENOMEM, "model");
        }
    }
    m->mean = 0.0f;
    m->std = 1.0f;
    *out = m;
    return PT_OK;
}

const char *pt_cnn_arch(const pt_cnn *m) {
    return m->net->arch;
}

uint32_t pt_cnn_class_count(const pt_cnn *m) {
    return m->n_classes;
}

const char *pt_cnn_class_name(const pt_cnn *m, uint32_t i) {
    return i < m->n_classes ? m->class_names[i] : NULL;
}

uint32_t pt_cnn_embed_dim(const pt_cnn *m) {
    const pt__net *net = m->net;
    return net->layers[net->embed_layer]->in_f;
}

void pt_cnn_input_shape(const pt_cnn *m, uint32_t *c, uint32_t *h, uint32_t *w) {
    *c = m->net->in_c;
    *h = m->net->in_h;
    *w = m->net->in_w;
}

int pt_cnn_set_threads(int threads) {
    return pt__nn_set_threads(threads);
}

/* ======================================================================= batches ======== */

/* Fill m->batch with images idx[0..n) of d, normalised, augmented with `flags`. */
static int make_batch(pt_ctx *ctx, pt_cnn *m, const pt_cnn_data *d, const uint32_t *idx,
                      uint32_t n, int flags, pt__rng *rng) {
    if (pt__tensor_reshape(ctx, &m->batch, n, d->c, d->h, d->w) != PT_OK) {
        return PT_ENOMEM;
    }
    size_t sz = (size_t)d->c * d->h * d->w;
    for (uint32_t i = 0; i < n; i++) {
        pt__image_to_float(d->pix + (size_t)idx[i] * sz, d->c, d->h, d->w, m->mean, m->std, flags,
                           rng, m->batch.data + (size_t)i * sz);
    }
    return PT_OK;
}

/* Check that d's images fit m. */
static int check_shape(pt_ctx *ctx, const pt_cnn *m, const pt_cnn_data *d) {
    const pt__net *net = m->net;
    if (d->c != net->in_c || d->h != net->in_h || d->w != net->in_w) {
        return pt__error(ctx, PT_EINVAL,
                         "images are %ux%u with %u channel(s), the model takes %ux%u with %u", d->h,
                         d->w, d->c, net->in_h, net->in_w, net->in_c);
    }
    return PT_OK;
}

/* ======================================================================= training ======= */

/* CPU seconds of the process (all threads): on a shared machine the honest cost of an epoch. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void pt_cnn_train_opts_init(pt_cnn_train_opts *o) {
    memset(o, 0, sizeof *o);
    o->arch = "best";
    o->epochs = 10;
    o->batch = 64;
    o->seed = 1;
}

int pt_cnn_train(pt_ctx *ctx, const pt_cnn_data *train, const pt_cnn_train_opts *o,
                 pt_cnn **out) {
    pt_cnn *m = NULL;
    uint32_t *order = NULL;
    pt__dp *dp = NULL;
    int rc = PT_OK;
    char arch[512];
    *out = NULL;
    if (train->labels == NULL || train->n == 0) {
        return pt__error(ctx, PT_EINVAL, "training needs labelled images");
    }
    uint32_t n_classes = o->n_classes;
    if (n_classes == 0) {
        for (uint32_t i = 0; i < train->n; i++) {
            n_classes = train->labels[i] + 1u > n_classes ? train->labels[i] + 1u : n_classes;
        }
    }
    for (uint32_t i = 0; i < train->n; i++) {
        if (train->labels[i] >= n_classes) {
            return pt__error(ctx, PT_EINVAL, "image %u has label %u but there are %u classes", i,
                             train->labels[i], n_classes);
        }
    }
    uint32_t batch = o->batch ? o->batch : 64, epochs = o->epochs ? o->epochs : 10;
    int threads = pt__nn_set_threads(o->threads);
    int cosine;
    PT_TRY(arch_string(ctx, o->arch, n_classes, arch, sizeof arch, &cosine));
    PT_TRY(model_new(ctx, n_classes, o->class_names, &m));
    PT_TRY(pt__net_new(ctx, arch, train->c, train->h, train->w, o->seed, &m->net));
    if (m->net->out_dim != n_classes) {
        rc = pt__error(ctx, PT_EINVAL, "architecture ends in %u outputs but there are %u classes",
                       m->net->out_dim, n_classes);
        goto done;
    }
    /* normalisation from the training pixels */
    {
        size_t total = (size_t)train->n * train->c * train->h * train->w;
        double s = 0, s2 = 0;
        for (size_t i = 0; i < total; i++) {
            double v = train->pix[i] / 255.0;
            s += v;
            s2 += v * v;
        }
        double mu = s / (double)total, var = s2 / (double)total - mu * mu;
        m->mean = (float)mu;
        m->std = (float)(var > 1e-12 ? sqrt(var) : 1.0);
    }
    order = pt__malloc(ctx, (size_t)train->n * sizeof *order);
    if (order == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "training order");
        goto done;
    }
    for (uint32_t i = 0; i < train->n; i++) {
        order[i] = i;
    }
    pt__optim opt;
    float lr0 = o->lr > 0 ? o->lr : 1e-3f;
    pt__optim_adam(&opt, lr0);
    uint64_t steps_per_epoch = (train->n + batch - 1) / batch, run_step = 0;
    double total_steps = (double)steps_per_epoch * epochs;
    pt__rng rng;
    pt__rng_seed(&rng, o->seed ^ 0x5eedULL);
    int flags = o->augment ? (PT__AUG_SHIFT | PT__AUG_FLIP | PT__AUG_ERASE) : 0;
    /* data-parallel steps: every loop on all the threads (parallel.c) */
    PT_TRY(pt__dp_new(ctx, m->net, batch, threads, &dp));
    uint8_t *lab = pt__malloc(ctx, batch);
    if (lab == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "labels");
        goto done;
    }
    for (uint32_t ep = 1; ep <= epochs && rc == PT_OK; ep++) {
        double t0 = pt__now(), c0 = cpu_now(), loss = 0;
        uint64_t hits = 0;
        pt__rng_shuffle(&rng, order, train->n);
        uint64_t step = 0;
        for (uint32_t b0 = 0; b0 < train->n; b0 += batch, step++) {
            uint32_t nb = train->n - b0 < batch ? train->n - b0 : batch;
            for (uint32_t i = 0; i < nb; i++) {
                lab[i] = train->labels[order[b0 + i]];
            }
            rc = make_batch(ctx, m, train, order + b0, nb, flags, &rng);
            if (rc == PT_OK) {
                if (cosine) {
                    opt.lr = (float)(lr0 * 0.5 *
                                     (1.0 + cos(3.141592653589793 * (double)run_step / total_steps)));
                }
                rc = pt__dp_train_step(ctx, dp, &m->batch, lab, pt__rng_next(&rng), &opt, &loss,
                                       &hits);
                if (rc == PT_ELIMIT) {
                    rc = pt__error(ctx, PT_ELIMIT,
                                   "training diverged: the loss is NaN or infinite at epoch %u, "
                                   "step %llu (try a lower learning rate)",
                                   ep, (unsigned long long)step + 1);
                }
            }
            run_step++;
            if (rc != PT_OK) {
                break;
            }
        }
        if (rc != PT_OK) {
            break;
        }
        pt_cnn_epoch e;
        memset(&e, 0, sizeof e);
        e.epoch = ep;
        e.epochs = epochs;
        e.seconds = pt__now() - t0;
        e.cpu_seconds = cpu_now() - c0;
        e.loss = loss / train->n;
        e.accuracy = (double)hits / train->n;
        e.images_per_s = e.seconds > 0 ? train->n / e.seconds : 0;
        e.test_accuracy = -1;
        if (o->test != NULL) {
            pt_cnn_eval_result r;
            pt__nn_set_threads(threads); /* inference: GEMMs on all the threads again */
            rc = pt_cnn_eval(ctx, m, o->test, &r);
            pt__nn_set_threads(1);
            if (rc != PT_OK) {
                break;
            }
            e.test_accuracy = r.accuracy;
        }
        if (o->on_epoch != NULL) {
            o->on_epoch(o->ud, &e);
        }
    }
    pt__free(ctx, lab);
done:
    pt__dp_free(ctx, dp);
    pt__free(ctx, order);
    if (rc != PT_OK) {
        pt_cnn_free(m);
        return rc;
    }
    *out = m;
    return PT_OK;
}

/* ======================================================================= inference ====== */

/* Run the images of `d` through the net in batches of 256 (inference mode) and hand each
 * batch's logits to `take` (images b0 .. b0 + nb - 1). The shape is checked by the caller. */
typedef void (*batch_fn)(void *ud, const pt_cnn *m, uint32_t b0, uint32_t nb, const float *z);

static int forward_batches(pt_ctx *ctx, pt_cnn *m, const pt_cnn_data *d, batch_fn take,
                           void *ud) {
    const uint32_t B = 256;
    uint32_t idx[256];
    for (uint32_t b0 = 0; b0 < d->n; b0 += B) {
        uint32_t nb = d->n - b0 < B ? d->n - b0 : B;
        for (uint32_t i = 0; i < nb; i++) {
            idx[i] = b0 + i;
        }
        const pt__tensor *z;
        int rc;
        if ((rc = make_batch(ctx, m, d, idx, nb, 0, NULL)) != PT_OK ||
            (rc = pt__net_forward(ctx, m->net, &m->batch, 0, NULL, &z)) != PT_OK) {
            return rc;
        }
        take(ud, m, b0, nb, z->data);
    }
    return PT_OK;
}

/* pt_cnn_predict's outputs. */
typedef struct predict_out {
    float *probs, *emb;
} predict_out;

static void take_predict(void *ud, const pt_cnn *m, uint32_t b0, uint32_t nb, const float *z) {
    predict_out *o = ud;
    uint32_t k = m->n_classes, dim = pt_cnn_embed_dim(m);
    if (o->probs != NULL) {
        pt__softmax_rows(z, nb, k, o->probs + (size_t)b0 * k);
    }
    if (o->emb != NULL) {
        memcpy(o->emb + (size_t)b0 * dim, m->net->embed_out->data,
               (size_t)nb * dim * sizeof(float));
    }
}

int pt_cnn_predict(pt_ctx *ctx, pt_cnn *m, const pt_cnn_data *d, float *probs, float *emb) {
    int rc = check_shape(ctx, m, d);
    if (rc != PT_OK) {
        return rc;
    }
    predict_out o = {probs, emb};
    return forward_batches(ctx, m, d, take_predict, &o);
}

/* pt_cnn_eval's counts: the arg-max of each image's logits against its label. */
typedef struct eval_acc {
    const pt_cnn_data *d;
    pt_cnn_eval_result *res;
} eval_acc;

static void take_eval(void *ud, const pt_cnn *m, uint32_t b0, uint32_t nb, const float *z) {
    eval_acc *e = ud;
    uint32_t k = m->n_classes;
    for (uint32_t i = 0; i < nb; i++) {
        const float *row = z + (size_t)i * k;
        uint32_t best = 0;
        for (uint32_t j = 1; j < k; j++) {
            best = row[j] > row[best] ? j : best;
        }
        uint8_t t = e->d->labels[b0 + i];
        e->res->class_n[t]++;
        if (best == t) {
            e->res->class_correct[t]++;
            e->res->correct++;
        }
    }
}

int pt_cnn_eval(pt_ctx *ctx, pt_cnn *m, const pt_cnn_data *d, pt_cnn_eval_result *res) {
    memset(res, 0, sizeof *res);
    if (d->labels == NULL) {
        return pt__error(ctx, PT_EINVAL, "evaluation needs labelled images");
    }
    int rc = check_shape(ctx, m, d);
    if (rc != PT_OK) {
        return rc;
    }
    uint32_t k = m->n_classes;
    for (uint32_t i = 0; i < d->n; i++) {
        if (d->labels[i] >= k) {
            return pt__error(ctx, PT_EINVAL, "image %u has label %u but the model has %u classes",
                             i, d->labels[i], k);
        }
    }
    double t0 = pt__now();
    eval_acc e = {d, res};
    if ((rc = forward_batches(ctx, m, d, take_eval, &e)) != PT_OK) {
        return rc;
    }
    res->n = d->n;
    res->n_classes = k;
    res->accuracy = d->n ? (double)res->correct / d->n : 0.0;
    res->seconds = pt__now() - t0;
    res->images_per_s = res->seconds > 0 ? d->n / res->seconds : 0;
    return PT_OK;
}

/* ======================================================================= files ========== */

int pt_cnn_save(pt_ctx *ctx, const pt_cnn *m, const char *path) {
    size_t cap = 64;
    for (uint32_t i = 0; i < m->n_classes; i++) {
        cap += strlen(m->class_names[i]) + 1;
    }
    char *meta = pt__malloc(ctx, cap);
    if (meta == NULL) {
        return pt__error(ctx, PT_ENOMEM, "model metadata");
    }
    size_t len = (size_t)snprintf(meta, cap, "norm=%.9g %.9g\nclasses=", (double)m->mean,
                                  (double)m->std);
    for (uint32_t i = 0; i < m->n_classes; i++) {
        len += (size_t)snprintf(meta + len, cap - len, "%s%s", i ? "," : "", m->class_names[i]);
    }
    snprintf(meta + len, cap - len, "\n");
    int rc = pt__net_save(ctx, m->net, meta, path);
    pt__free(ctx, meta);
    return rc;
}

int pt_cnn_load(pt_ctx *ctx, const char *path, pt_cnn **out) {
    pt__net *net = NULL;
    char *meta = NULL;
    char **names = NULL;
    pt_cnn *m = NULL;
    int rc;
    *out = NULL;
    PT_TRY(pt__net_load(ctx, path, &net, &meta));
    float mean, sd;
    char *norm = strstr(meta, "norm="), *cls = strstr(meta, "classes=");
    if (norm == NULL || cls == NULL || sscanf(norm + 5, "%f %f", &mean, &sd) != 2 ||
        !(sd > 0) || !isfinite(mean)) {
        rc = pt__error(ctx, PT_EPARSE, "%s: not an image-classifier model (no norm= / classes=)",
                       path);
        goto done;
    }
    cls += 8;
    char *nl = strchr(cls, '\n');
    if (nl != NULL) {
        *nl = '\0';
    }
    uint32_t n = 1;
    for (char *p = cls; *p; p++) {
        n += *p == ',';
    }
    if (n != net->out_dim || n > 256) {
        rc = pt__error(ctx, PT_EPARSE, "%s: %u class names for %u outputs", path, n, net->out_dim);
        goto done;
    }
    names = pt__calloc(ctx, n, sizeof *names);
    if (names == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "model");
        goto done;
    }
    char *save = NULL;
    uint32_t i = 0;
    for (char *t = strtok_r(cls, ",", &save); t != NULL && i < n; t = strtok_r(NULL, ",", &save)) {
        names[i++] = t;
    }
    if (i != n) {
        rc = pt__error(ctx, PT_EPARSE, "%s: empty class name", path);
        goto done;
    }
    PT_TRY(model_new(ctx, n, (const char *const *)names, &m));
    m->net = net;
    net = NULL;
    m->mean = mean;
    m->std = sd;
done:
    pt__free(ctx, names);
    pt__free(ctx, meta);
    pt__net_free(ctx, net);
    if (rc != PT_OK) {
        pt_cnn_free(m);
        return rc;
    }
    *out = m;
    return PT_OK;
}

/* ======================================================================= kNN ============ */

/* The neighbour order: higher similarity first, then the lower row index, a total order, so
 * the k best of a row do not depend on the order in which candidates are offered (threads,
 * blocks). worse(a, b): a ranks after b. */
static inline int worse(float sa, uint32_t ja, float sb, uint32_t jb) {
    return sa < sb || (sa == sb && ja > jb);
}

/* Put (s, j) at the root of the heap hs/hi of n entries (the worst at the root) and sift it
 * down to its place. */
static inline void sift_down(float *hs, uint32_t *hi, uint32_t n, float s, uint32_t j) {
    uint32_t c = 0;
    for (;;) {
        uint32_t l = 2 * c + 1, r = l + 1, m = c;
        float ms = s;
        uint32_t mj = j;
        if (l < n && worse(hs[l], hi[l], ms, mj)) {
            m = l;
            ms = hs[l];
            mj = hi[l];
        }
        if (r < n && worse(hs[r], hi[r], ms, mj)) {
            m = r;
        }
        if (m == c) {
            break;
        }
        hs[c] = hs[m];
        hi[c] = hi[m];
        c = m;
    }
    hs[c] = s;
    hi[c] = j;
}

/* Offer (s, j) to a row's heap of capacity k holding *cnt entries (heap[0] is the worst kept). */
static inline void heap_offer(float *hs, uint32_t *hi, uint32_t k, uint32_t *cnt, float s,
                              uint32_t j) {
    if (*cnt < k) {
        uint32_t c = (*cnt)++;
        while (c > 0) {
            uint32_t p = (c - 1) / 2;
            if (!worse(s, j, hs[p], hi[p])) {
                break;
            }
            hs[c] = hs[p];
            hi[c] = hi[p];
            c = p;
        }
        hs[c] = s;
        hi[c] = j;
        return;
    }
    if (worse(hs[0], hi[0], s, j)) {
        sift_down(hs, hi, k, s, j);
    }
}

/* One kNN worker: its own heaps for every row (the first worker's are the output arrays), its
 * own 1024 x 1024 block of similarities, and block pairs taken from a shared counter. */
typedef struct knn_worker {
    pthread_t tid;
    const float *x; /* n x dim unit rows */
    size_t n;
    uint32_t dim, k;
    float *sim;     /* n x k heaps */
    uint32_t *idx;
    uint32_t *cnt;  /* entries per heap */
    float *thr;     /* admission threshold per row: the heap root, -inf until full */
    float *s;       /* BR x BC block */
    size_t *next;   /* shared: the next block pair to take */
    pthread_mutex_t *mu;
} knn_worker;

enum { KNN_B = 1024 }; /* row and column block: S is 4 MiB */

/* Offer (v, j) to row i of w's heaps and refresh the row's threshold. */
static inline void knn_offer(knn_worker *w, size_t i, float v, uint32_t j) {
    uint32_t k = w->k;
    heap_offer(w->sim + i * k, w->idx + i * k, k, &w->cnt[i], v, j);
    w->thr[i] = w->cnt[i] < k ? -INFINITY : w->sim[i * k];
}

/* Upper-triangle blocks only: S = X_I X_J^T feeds row I's heaps by rows and row J's heaps by
 * columns (cosine is symmetric), halving the GEMM work. Most similarities are below both rows'
 * thresholds, so each run of 16 is first tested branch-free (vectorised) and only a run with a
 * candidate (>= a threshold: a tie may still win on the index) goes through the heaps. */
static void *knn_run(void *arg) {
    knn_worker *w = arg;
    size_t n = w->n, nb = (n + KNN_B - 1) / KNN_B, total = nb * (nb + 1) / 2;
    uint32_t dim = w->dim;
    float *thr = w->thr;
    for (;;) {
        pthread_mutex_lock(w->mu);
        size_t pair = (*w->next)++;
        pthread_mutex_unlock(w->mu);
        if (pair >= total) {
            break;
        }
        /* pair -> (bi, bj), bj >= bi, row-major over the upper triangle */
        size_t bi = 0, row_len = nb;
        while (pair >= row_len) {
            pair -= row_len;
            bi++;
            row_len--;
        }
        size_t i0 = bi * KNN_B, j0 = (bi + pair) * KNN_B;
        size_t ni = n - i0 < KNN_B ? n - i0 : KNN_B, nj = n - j0 < KNN_B ? n - j0 : KNN_B;
        pt__sgemm(0, 1, ni, nj, dim, 1.0f, w->x + i0 * dim, dim, w->x + j0 * dim, dim, 0.0f,
                  w->s, nj);
        const float *tj = thr + j0;
        for (size_t a = 0; a < ni; a++) {
            size_t i = i0 + a;
            const float *row = w->s + a * nj;
            size_t b = j0 > i ? 0 : i - j0 + 1; /* only j > i */
            while (b < nj) {
                size_t e = nj - b < 16 ? nj : b + 16;
                int hit = 0;
                if (e - b == 16) {
                    float ti = thr[i];
                    for (size_t t = 0; t < 16; t++) {
                        hit |= (row[b + t] >= ti) | (row[b + t] >= tj[b + t]);
                    }
                } else {
                    hit = 1;
                }
                for (size_t t = b; hit && t < e; t++) {
                    float v = row[t];
                    size_t j = j0 + t;
                    if (v >= thr[i]) {
                        knn_offer(w, i, v, (uint32_t)j);
                    }
                    if (v >= thr[j]) {
                        knn_offer(w, j, v, (uint32_t)i);
                    }
                }
                b = e;
            }
        }
    }
    return NULL;
}

int pt_cnn_knn(pt_ctx *ctx, const float *emb, size_t n, uint32_t dim, uint32_t k, uint32_t *idx,
               float *sim) {
    if (k == 0 || dim == 0) {
        return pt__error(ctx, PT_EINVAL, "knn: k and dim must be positive");
    }
    if (n > UINT32_MAX - 1) {
        return pt__error(ctx, PT_ELIMIT, "knn: too many rows");
    }
    /* Workers: the configured thread count, each with single-threaded SGEMMs, so one worker's
     * heap scan overlaps the other's GEMM. No more workers than block pairs. */
    size_t nb = (n + KNN_B - 1) / KNN_B, pairs = nb * (nb + 1) / 2;
    int blas_threads = pt__nn_get_threads();
    size_t nw = blas_threads > 0 ? (size_t)blas_threads : 1;
    if (nw > pairs) {
        nw = pairs > 0 ? pairs : 1;
    }
    if (nw > 64) {
        nw = 64;
    }
    knn_worker wk[64];
    memset(wk, 0, sizeof wk);
    size_t next = 0;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    int rc = PT_OK;
    float *x = pt__malloc(ctx, n * dim * sizeof(float) + 1);
    if (x == NULL) {
        return pt__error(ctx, PT_ENOMEM, "knn of %zu rows", n);
    }
    for (size_t w = 0; w < nw; w++) {
        knn_worker *q = &wk[w];
        q->x = x;
        q->n = n;
        q->dim = dim;
        q->k = k;
        q->next = &next;
        q->mu = &mu;
        q->sim = w == 0 ? sim : pt__malloc(ctx, n * k * sizeof(float) + 1);
        q->idx = w == 0 ? idx : pt__malloc(ctx, n * k * sizeof(uint32_t) + 1);
        q->cnt = pt__calloc(ctx, n + 1, sizeof(uint32_t));
        q->thr = pt__malloc(ctx, (n + 1) * sizeof(float));
        q->s = pt__malloc(ctx, (size_t)KNN_B * KNN_B * sizeof(float));
        if (q->sim == NULL || q->idx == NULL || q->cnt == NULL || q->thr == NULL || q->s == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "knn of %zu rows", n);
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            q->thr[i] = -INFINITY;
        }
    }
    /* unit rows: the dot product is the cosine */
    for (size_t i = 0; i < n; i++) {
        const float *r = emb + i * dim;
        double nn = 0;
        for (uint32_t t = 0; t < dim; t++) {
            nn += (double)r[t] * r[t];
        }
        float inv = nn > 0 ? (float)(1.0 / sqrt(nn)) : 0.0f;
        for (uint32_t t = 0; t < dim; t++) {
            x[i * dim + t] = r[t] * inv;
        }
    }
    if (nw > 1) {
        pt__nn_set_threads(1);
    }
    size_t started = 1;
    for (; started < nw; started++) {
        if (pthread_create(&wk[started].tid, NULL, knn_run, &wk[started]) != 0) {
            break; /* fewer workers: the shared counter hands their blocks to the others */
        }
    }
    knn_run(&wk[0]);
    for (size_t w = 1; w < started; w++) {
        pthread_join(wk[w].tid, NULL);
    }
    if (nw > 1) {
        pt__nn_set_threads(blas_threads);
    }
    /* merge the other workers' heaps into the first's (the total order makes the result
     * independent of which worker saw which candidate) */
    for (size_t w = 1; w < started; w++) {
        for (size_t i = 0; i < n; i++) {
            for (uint32_t t = 0; t < wk[w].cnt[i]; t++) {
                heap_offer(sim + i * k, idx + i * k, k, &wk[0].cnt[i], wk[w].sim[i * k + t],
                           wk[w].idx[i * k + t]);
            }
        }
    }
    /* heaps to best-first lists */
    for (size_t i = 0; i < n; i++) {
        float *hs = sim + i * k;
        uint32_t *hi = idx + i * k;
        uint32_t c = wk[0].cnt[i];
        while (c > 1) {
            /* pop the worst to the end */
            float ws = hs[0];
            uint32_t wi = hi[0];
            c--;
            float ls = hs[c];
            uint32_t li = hi[c];
            hs[c] = ws;
            hi[c] = wi;
            sift_down(hs, hi, c, ls, li);
        }
        for (uint32_t t = wk[0].cnt[i]; t < k; t++) {
            hs[t] = 0.0f;
            hi[t] = UINT32_MAX;
        }
    }
done:
    for (size_t w = 0; w < nw; w++) {
        if (w > 0) {
            pt__free(ctx, wk[w].sim);
            pt__free(ctx, wk[w].idx);
        }
        pt__free(ctx, wk[w].cnt);
        pt__free(ctx, wk[w].thr);
        pt__free(ctx, wk[w].s);
    }
    pt__free(ctx, x);
    return rc;
}

/* ======================================================================= graph ========== */

/* Intern an IRI; *created says it was new. PT_NONE on ENOMEM. */
static pt_node_id intern_iri(pt_graph *g, const char *iri, int *created) {
    size_t len = strlen(iri);
    pt_node_id id = pt_graph_lookup(g, iri, len, PT_TERM_IRI);
    *created = id == PT_NONE;
    return id != PT_NONE ? id : pt_graph_intern(g, iri, len, PT_TERM_IRI);
}

int pt_cnn_attach(pt_ctx *ctx, const pt_cnn *m, pt_graph *g, const char *const *item_iris,
                  size_t n, const float *probs, const float *emb, uint32_t k, uint32_t n_cats,
                  float min_prob, pt_cnn_attach_stats *stats) {
    uint32_t *nbr = NULL, *cat_ids = NULL;
    float *nsim = NULL;
    pt_node_id *items = NULL;
    int rc = PT_OK, created;
    uint32_t dim = pt_cnn_embed_dim(m), nc = m->n_classes;
    memset(stats, 0, sizeof *stats);
    int64_t now = (int64_t)time(NULL);
    pt_node_id p_emb = pt_graph_intern(g, PT_IMAGE_EMBEDDING, strlen(PT_IMAGE_EMBEDDING),
                                       PT_TERM_IRI);
    pt_node_id p_sim = pt_graph_intern(g, PT_SIMILAR_TO, strlen(PT_SIMILAR_TO), PT_TERM_IRI);
    pt_node_id p_cat = pt_graph_intern(g, PT_PREDICTED_CATEGORY, strlen(PT_PREDICTED_CATEGORY),
                                       PT_TERM_IRI);
    pt_node_id p_type = pt_graph_intern(g, PT_RDF_TYPE, strlen(PT_RDF_TYPE), PT_TERM_IRI);
    pt_node_id p_label = pt_graph_intern(g, PT_RDFS_LABEL, strlen(PT_RDFS_LABEL), PT_TERM_IRI);
    pt_node_id c_product = pt_graph_intern(g, PT_ITEM, strlen(PT_ITEM),
                                           PT_TERM_IRI);
    pt_node_id c_category = pt_graph_intern(g, PT_CATEGORY, strlen(PT_CATEGORY), PT_TERM_IRI);
    if (p_emb == PT_NONE || p_sim == PT_NONE || p_cat == PT_NONE || p_type == PT_NONE ||
        p_label == PT_NONE || c_product == PT_NONE || c_category == PT_NONE) {
        return pt__error(ctx, PT_ENOMEM, "attach: vocabulary");
    }
    items = pt__malloc(ctx, (n ? n : 1) * sizeof *items);
    cat_ids = pt__malloc(ctx, (nc ? nc : 1) * sizeof *cat_ids);
    if (items == NULL || cat_ids == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "attach");
        goto done;
    }
    /* category nodes, labelled when new */
    for (uint32_t c = 0; c < nc; c++) {
        char iri[512];
        char slug[256];
        size_t sl = 0;
        for (const char *p = m->class_names[c]; *p && sl + 4 < sizeof slug; p++) {
            unsigned char ch = (unsigned char)*p;
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '_' || ch == '.') {
                slug[sl++] = (char)ch;
            } else {
                sl += (size_t)snprintf(slug + sl, sizeof slug - sl, "%%%02X", ch);
            }
        }
        slug[sl] = '\0';
        snprintf(iri, sizeof iri, "%scategory/%s", PT_NS, slug);
        pt_node_id id = intern_iri(g, iri, &created);
        if (id == PT_NONE) {
            rc = pt__error(ctx, PT_ENOMEM, "attach: category");
            goto done;
        }
        if (created) {
            PT_TRY(pt_graph_add_edge(g, id, p_type, c_category, 1.0f, now));
            const char *lab = m->class_names[c];
            PT_TRY(pt_graph_add_literal(g, id, p_label, lab, strlen(lab), PT_NONE, NULL));
        }
        cat_ids[c] = id;
    }
    for (size_t i = 0; i < n; i++) {
        pt_node_id id = intern_iri(g, item_iris[i], &created);
        if (id == PT_NONE) {
            rc = pt__error(ctx, PT_ENOMEM, "attach: item");
            goto done;
        }
        if (created) {
            PT_TRY(pt_graph_add_edge(g, id, p_type, c_product, 1.0f, now));
            stats->new_items++;
        }
        items[i] = id;
        PT_TRY(pt_graph_set_vector(g, id, p_emb, emb + i * dim, dim));
        stats->items++;
        /* top n_cats classes with probability >= min_prob */
        const float *pr = probs + i * nc;
        uint32_t taken[16];
        uint32_t nt = 0;
        for (uint32_t r = 0; r < n_cats && r < 16; r++) {
            int best = -1;
            for (uint32_t c = 0; c < nc; c++) {
                int used = 0;
                for (uint32_t t = 0; t < nt; t++) {
                    used |= taken[t] == c;
                }
                if (!used && (best < 0 || pr[c] > pr[best])) {
                    best = (int)c;
                }
            }
            if (best < 0 || pr[best] < min_prob) {
                break;
            }
            taken[nt++] = (uint32_t)best;
            PT_TRY(pt_graph_add_edge(g, id, p_cat, cat_ids[best], pr[best], now));
            stats->category_edges++;
        }
    }
    if (k > 0 && n > 1) {
        nbr = pt__malloc(ctx, n * k * sizeof *nbr);
        nsim = pt__malloc(ctx, n * k * sizeof *nsim);
        if (nbr == NULL || nsim == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "attach: neighbours");
            goto done;
        }
        PT_TRY(pt_cnn_knn(ctx, emb, n, dim, k, nbr, nsim));
        for (size_t i = 0; i < n; i++) {
            for (uint32_t t = 0; t < k; t++) {
                uint32_t j = nbr[i * k + t];
                if (j == UINT32_MAX || items[j] == items[i]) {
                    continue;
                }
                PT_TRY(pt_graph_add_edge(g, items[i], p_sim, items[j], nsim[i * k + t], now));
                stats->similar_edges++;
            }
        }
    }
done:
    pt__free(ctx, items);
    pt__free(ctx, cat_ids);
    pt__free(ctx, nbr);
    pt__free(ctx, nsim);
    return rc;
}
