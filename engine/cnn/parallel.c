/*
 * parallel.c - data-parallel training steps for a sequential network (nn.h, pt__dp).
 *
 * A batch is cut into shards of PT__DP_SHARD images. Every shard runs forward and backward on
 * its own replica of the network (the same architecture, reading the master's weights in
 * place), on one of T worker threads with single-threaded SGEMMs: everything, not only the
 * GEMMs, runs on all cores, and the shards' activations are small enough to stay in cache. Two places need the whole batch:
 *   - batch norm: each shard's per-channel partial sums are added in shard order, then every
 *     shard normalises with the batch's mean and variance (one batch norm over the batch, as
 *     in the single-network path), in two barrier-separated phases forward and one backward;
 *   - the parameter gradients: each replica accumulates its shard's part, and the workers add
 *     the replicas' gradients into the master's in shard order, each worker a slice of every
 *     parameter.
 * The shards, their order and every sum's order depend on the batch size only, never on the
 * thread count, so training gives the same model with 1, 2 or 8 threads (bit for bit).
 * Dropout draws from one generator per shard, seeded from the caller's per-step seed.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "cnn/nn.h"

typedef struct dp_worker {
    pthread_t tid;
    struct pt__dp *dp;
    uint32_t id;
    pt_ctx ctx;   /* the caller's ctx copied: its allocator, this worker's own error message */
    int rc;
    float *stats; /* 2 x max_c: a batch-norm layer's mean and 1/std */
    double *tot;  /* 2 x max_c: the batch's totals */
} dp_worker;

struct pt__dp {
    pt__net *master;
    pt__net **rep; /* max_shards replicas; rep[0] is the master */
    uint32_t max_shards, n_workers, max_c;
    dp_worker *wk;
    int started;   /* worker threads created (besides the caller's) */
    int running;   /* all of them created and past the gate */
    int barrier_made, blas_set, sync_made;
    pthread_barrier_t bar;
    pthread_mutex_t mu; /* the gate: threads wait for all to be created, or to quit */
    pthread_cond_t cv;
    int gate, quit;
    int blas_threads; /* OpenBLAS threads before pt__dp_new (restored by pt__dp_free) */
    size_t *hw;       /* per layer: h*w of its input (batch norm's count per image) */
    double *part;     /* per layer x 2 x shard x channel: partial sums */
    /* the current step */
    const pt__optim *opt; /* step the parameters after the reduction (NULL: leave gradients) */
    float bc1, bc2;
    uint32_t n, n_shards;
    const uint8_t *labels;
    pt__tensor *view;       /* per shard: its rows of the batch (borrowed data) */
    const pt__tensor **cur; /* per shard: the activation or gradient in flight */
    pt__tensor *dz;         /* per shard: dlogits */
    pt__rng *rng;           /* per shard: dropout */
    double *loss;
    uint64_t *hits;
    int *loss_rc;
};

static void dp_sync(pt__dp *dp) {
    if (dp->n_workers > 1) {
        pthread_barrier_wait(&dp->bar);
    }
}

/* Partial sums of layer L, slot 0 or 1, shard s. */
static double *part_at(pt__dp *dp, size_t layer, int slot, uint32_t s) {
    return dp->part + (((layer * 2 + (size_t)slot) * dp->max_shards) + s) * dp->max_c;
}

/* The batch's totals of a slot: sum over the shards in shard order. */
static void part_total(pt__dp *dp, size_t layer, int slot, uint32_t C, double *tot) {
    for (uint32_t c = 0; c < C; c++) {
        tot[c] = 0.0;
    }
    for (uint32_t s = 0; s < dp->n_shards; s++) {
        const double *p = part_at(dp, layer, slot, s);
        for (uint32_t c = 0; c < C; c++) {
            tot[c] += p[c];
        }
    }
}

/* One worker's share of a step: shards id, id + T, ... */
static void dp_work(dp_worker *w) {
    pt__dp *dp = w->dp;
    pt_ctx *ctx = &w->ctx;
    pt__net *m = dp->master;
    uint32_t S = dp->n_shards, T = dp->n_workers, id = w->id;
    size_t nl = m->n_layers;
    int rc = PT_OK;
    for (uint32_t s = id; s < S; s += T) {
        dp->cur[s] = &dp->view[s];
    }
    /* forward */
    for (size_t L = 0; L < nl; L++) {
        pt__layer *ml = m->layers[L];
        if (ml->kind == PT__L_BATCHNORM) {
            uint32_t C = ml->cin;
            size_t M = (size_t)dp->n * dp->hw[L];
            float *mean = w->stats, *inv = w->stats + dp->max_c;
            for (uint32_t s = id; s < S && rc == PT_OK; s += T) {
                pt__bn_shard_sum(dp->cur[s], part_at(dp, L, 0, s));
            }
            dp_sync(dp);
            part_total(dp, L, 0, C, w->tot);
            for (uint32_t c = 0; c < C; c++) {
                mean[c] = (float)(w->tot[c] / (double)M);
            }
            for (uint32_t s = id; s < S && rc == PT_OK; s += T) {
                pt__bn_shard_sumsq(dp->cur[s], mean, part_at(dp, L, 1, s));
            }
            dp_sync(dp);
            part_total(dp, L, 1, C, w->tot);
            for (uint32_t c = 0; c < C; c++) {
                inv[c] = (float)(1.0 / sqrt(w->tot[c] / (double)M + ml->bn_eps));
            }
            if (id == 0) {
                pt__bn_update_running(ml, mean, w->tot, M);
            }
            for (uint32_t s = id; s < S && rc == PT_OK; s += T) {
                pt__layer *rl = dp->rep[s]->layers[L];
                rc = pt__bn_shard_forward(ctx, rl, dp->cur[s], mean, inv, 1);
                dp->cur[s] = &rl->y;
            }
        } else {
            for (uint32_t s = id; s < S && rc == PT_OK; s += T) {
                rc = pt__layer_forward(ctx, dp->rep[s]->layers[L], dp->cur[s], 1, &dp->rng[s],
                                       &dp->cur[s]);
            }
        }
    }
    /* loss */
    for (uint32_t s = id; s < S; s += T) {
        dp->loss[s] = 0.0;
        dp->hits[s] = 0;
        dp->loss_rc[s] = rc != PT_OK ? rc
                                     : pt__softmax_xent_part(ctx, dp->cur[s],
                                                             dp->labels + (size_t)s * PT__DP_SHARD,
                                                             dp->n, &dp->dz[s], &dp->loss[s],
                                                             &dp->hits[s]);
    }
    dp_sync(dp);
    int failed = 0;
    for (uint32_t s = 0; s < S; s++) {
        failed |= dp->loss_rc[s] != PT_OK;
    }
    if (failed) {
        w->rc = rc;
        return; /* every worker sees the same flags and leaves here: no barrier is left waiting */
    }
    /* backward */
    for (uint32_t s = id; s < S; s += T) {
        dp->cur[s] = &dp->dz[s];
    }
    for (size_t L = nl; L-- > 0;) {
        pt__layer *ml = m->layers[L];
        if (ml->kind == PT__L_BATCHNORM) {
            uint32_t C = ml->cin;
            size_t M = (size_t)dp->n * dp->hw[L];
            for (uint32_t s = id; s < S && rc == PT_OK; s += T) {
                pt__bn_shard_grad_sums(dp->rep[s]->layers[L], dp->cur[s], part_at(dp, L, 0, s),
                                       part_at(dp, L, 1, s));
            }
            dp_sync(dp);
            double *tb = w->tot, *tg = w->tot + dp->max_c;
            part_total(dp, L, 0, C, tb);
            part_total(dp, L, 1, C, tg);
            if (id == 0) {
                for (uint32_t c = 0; c < C; c++) {
                    ml->beta->g[c] += (float)tb[c];
                    ml->gamma->g[c] += (float)tg[c];
                }
            }
            for (uint32_t s = id; s < S && rc == PT_OK && L > 0; s += T) {
                pt__layer *rl = dp->rep[s]->layers[L];
                rc = pt__bn_shard_backward(ctx, rl, dp->cur[s], tb, tg, M);
                dp->cur[s] = &rl->dx;
            }
        } else {
            for (uint32_t s = id; s < S && rc == PT_OK; s += T) {
                rc = pt__layer_backward(ctx, dp->rep[s]->layers[L], dp->cur[s], L > 0,
                                        &dp->cur[s]);
            }
        }
    }
    dp_sync(dp);
    /* gradients: master += replicas 1..S-1 in shard order, this worker's slice of each */
    for (size_t i = 0; i < m->params.n; i++) {
        pt__param *p = m->params.items[i];
        if (p->g == NULL) {
            continue;
        }
        size_t lo = p->n * id / T, hi = p->n * (id + 1) / T;
        for (uint32_t s = 1; s < S; s++) {
            float *restrict g = dp->rep[s]->params.items[i]->g;
            float *restrict to = p->g;
            for (size_t k = lo; k < hi; k++) {
                to[k] += g[k];
                g[k] = 0.0f;
            }
        }
        if (dp->opt != NULL) {
            /* the optimiser on this slice, then its gradient cleared for the next step */
            pt__optim_step_range(dp->opt, p, lo, hi, dp->bc1, dp->bc2);
            memset(p->g + lo, 0, (hi - lo) * sizeof(float));
        }
    }
    w->rc = rc;
}

/* Open the gate the new threads wait at; `quit` sends them home. */
static void gate_open(pt__dp *dp, int quit) {
    pthread_mutex_lock(&dp->mu);
    dp->quit = quit;
    dp->gate = 1;
    pthread_cond_broadcast(&dp->cv);
    pthread_mutex_unlock(&dp->mu);
}

static void *dp_thread(void *arg) {
    dp_worker *w = arg;
    pt__dp *dp = w->dp;
    pthread_mutex_lock(&dp->mu);
    while (!dp->gate) {
        pthread_cond_wait(&dp->cv, &dp->mu);
    }
    int quit = dp->quit;
    pthread_mutex_unlock(&dp->mu);
    if (quit) {
        return NULL;
    }
    for (;;) {
        pthread_barrier_wait(&dp->bar);
        if (dp->quit) {
            break;
        }
        dp_work(w);
        pthread_barrier_wait(&dp->bar);
    }
    return NULL;
}

int pt__dp_new(pt_ctx *ctx, pt__net *net, uint32_t max_batch, int threads, pt__dp **out) {
    int rc = PT_OK;
    *out = NULL;
    if (max_batch == 0) {
        return pt__error(ctx, PT_EINVAL, "data-parallel training: empty batch");
    }
    pt__dp *dp = pt__calloc(ctx, 1, sizeof *dp);
    if (dp == NULL) {
        return pt__error(ctx, PT_ENOMEM, "data-parallel training");
    }
    uint32_t S = (max_batch + PT__DP_SHARD - 1) / PT__DP_SHARD;
    uint32_t T = threads > 0 ? (uint32_t)threads : 1;
    if (T > S) {
        T = S;
    }
    dp->master = net;
    dp->max_shards = S;
    dp->n_workers = T;
    dp->blas_threads = pt__nn_get_threads();
    size_t nl = net->n_layers;
    /* input shapes of the layers: batch norm's per-image count, the widest batch norm */
    dp->hw = pt__calloc(ctx, nl + 1, sizeof *dp->hw);
    if (dp->hw == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "data-parallel training");
        goto done;
    }
    {
        uint32_t c = net->in_c, h = net->in_h, w = net->in_w;
        for (size_t L = 0; L < nl; L++) {
            dp->hw[L] = (size_t)h * w;
            if (net->layers[L]->kind == PT__L_BATCHNORM && net->layers[L]->cin > dp->max_c) {
                dp->max_c = net->layers[L]->cin;
            }
            PT_TRY(pt__layer_out_shape(ctx, net->layers[L], c, h, w, &c, &h, &w));
        }
    }
    if (dp->max_c == 0) {
        dp->max_c = 1;
    }
    dp->rep = pt__calloc(ctx, S, sizeof *dp->rep);
    dp->wk = pt__calloc(ctx, T, sizeof *dp->wk);
    dp->part = pt__calloc(ctx, (nl ? nl : 1) * 2 * S * dp->max_c, sizeof *dp->part);
    dp->view = pt__calloc(ctx, S, sizeof *dp->view);
    dp->cur = pt__calloc(ctx, S, sizeof *dp->cur);
    dp->dz = pt__calloc(ctx, S, sizeof *dp->dz);
    dp->rng = pt__calloc(ctx, S, sizeof *dp->rng);
    dp->loss = pt__calloc(ctx, S, sizeof *dp->loss);
    dp->hits = pt__calloc(ctx, S, sizeof *dp->hits);
    dp->loss_rc = pt__calloc(ctx, S, sizeof *dp->loss_rc);
    if (dp->rep == NULL || dp->wk == NULL || dp->part == NULL || dp->view == NULL ||
        dp->cur == NULL || dp->dz == NULL || dp->rng == NULL || dp->loss == NULL ||
        dp->hits == NULL || dp->loss_rc == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "data-parallel training");
        goto done;
    }
    dp->rep[0] = net;
    for (uint32_t s = 1; s < S; s++) {
        PT_TRY(pt__net_new(ctx, net->arch, net->in_c, net->in_h, net->in_w, 0, &dp->rep[s]));
        /* the replica reads the master's weights in place (only the master's optimiser writes
         * them, between steps); its gradients and batch-norm buffers are its own */
        for (size_t i = 0; i < net->params.n; i++) {
            pt__param *p = dp->rep[s]->params.items[i];
            if (p->trainable) {
                pt__free(ctx, p->w);
                p->w = net->params.items[i]->w;
            }
        }
    }
    for (uint32_t t = 0; t < T; t++) {
        dp_worker *w = &dp->wk[t];
        w->dp = dp;
        w->id = t;
        w->ctx = *ctx;
        w->ctx.fail_after = 0;
        w->stats = pt__malloc(ctx, 2 * (size_t)dp->max_c * sizeof *w->stats);
        w->tot = pt__malloc(ctx, 2 * (size_t)dp->max_c * sizeof *w->tot);
        if (w->stats == NULL || w->tot == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "data-parallel training");
            goto done;
        }
    }
    pthread_mutex_init(&dp->mu, NULL);
    pthread_cond_init(&dp->cv, NULL);
    dp->sync_made = 1;
    if (T > 1) {
        if (pthread_barrier_init(&dp->bar, NULL, T) != 0) {
            rc = pt__error(ctx, PT_ENOMEM, "data-parallel training: barrier");
            goto done;
        }
        dp->barrier_made = 1;
        for (uint32_t t = 1; t < T; t++) {
            if (pthread_create(&dp->wk[t].tid, NULL, dp_thread, &dp->wk[t]) != 0) {
                rc = pt__error(ctx, PT_ENOMEM, "data-parallel training: cannot start a thread");
                goto done;
            }
            dp->started++;
        }
        gate_open(dp, 0);
        dp->running = 1;
    }
    pt__nn_set_threads(1); /* each worker's GEMMs on its own core */
    dp->blas_set = 1;
done:
    if (rc != PT_OK) {
        pt__dp_free(ctx, dp);
        return rc;
    }
    *out = dp;
    return PT_OK;
}

void pt__dp_free(pt_ctx *ctx, pt__dp *dp) {
    if (dp == NULL) {
        return;
    }
    if (dp->started > 0) {
        if (dp->running) {
            dp->quit = 1;
            pthread_barrier_wait(&dp->bar); /* the threads wait at the start barrier */
        } else {
            gate_open(dp, 1); /* not all threads started: the started ones leave at the gate */
        }
        for (uint32_t t = 1; t <= (uint32_t)dp->started; t++) {
            pthread_join(dp->wk[t].tid, NULL);
        }
    }
    if (dp->barrier_made) {
        pthread_barrier_destroy(&dp->bar);
    }
    if (dp->sync_made) {
        pthread_mutex_destroy(&dp->mu);
        pthread_cond_destroy(&dp->cv);
    }
    if (dp->blas_set) {
        pt__nn_set_threads(dp->blas_threads);
    }
    for (uint32_t s = 1; dp->rep != NULL && s < dp->max_shards; s++) {
        for (size_t i = 0; dp->rep[s] != NULL && i < dp->rep[s]->params.n; i++) {
            pt__param *p = dp->rep[s]->params.items[i];
            if (p->trainable) {
                p->w = NULL; /* borrowed from the master */
            }
        }
        pt__net_free(ctx, dp->rep[s]);
    }
    for (uint32_t s = 0; dp->dz != NULL && s < dp->max_shards; s++) {
        pt__tensor_free(ctx, &dp->dz[s]);
    }
    for (uint32_t t = 0; dp->wk != NULL && t < dp->n_workers; t++) {
        pt__free(ctx, dp->wk[t].stats);
        pt__free(ctx, dp->wk[t].tot);
    }
    pt__free(ctx, dp->rep);
    pt__free(ctx, dp->wk);
    pt__free(ctx, dp->hw);
    pt__free(ctx, dp->part);
    pt__free(ctx, dp->view);
    pt__free(ctx, dp->cur);
    pt__free(ctx, dp->dz);
    pt__free(ctx, dp->rng);
    pt__free(ctx, dp->loss);
    pt__free(ctx, dp->hits);
    pt__free(ctx, dp->loss_rc);
    pt__free(ctx, dp);
}

uint32_t pt__dp_workers(const pt__dp *dp) {
    return dp->n_workers;
}

int pt__dp_step(pt_ctx *ctx, pt__dp *dp, const pt__tensor *x, const uint8_t *labels,
                uint64_t seed, double *loss_sum, uint64_t *n_correct) {
    return pt__dp_train_step(ctx, dp, x, labels, seed, NULL, loss_sum, n_correct);
}

int pt__dp_train_step(pt_ctx *ctx, pt__dp *dp, const pt__tensor *x, const uint8_t *labels,
                      uint64_t seed, pt__optim *opt, double *loss_sum, uint64_t *n_correct) {
    pt__net *m = dp->master;
    dp->opt = opt;
    if (opt != NULL) {
        for (size_t i = 0; i < m->params.n; i++) {
            if (m->params.items[i]->sparse) {
                return pt__error(ctx, PT_EINVAL, "data-parallel step: sparse parameter %s",
                                 m->params.items[i]->name);
            }
        }
        /* counts the step before knowing the loss is finite: a failed step ends training */
        int rc = pt__optim_begin(ctx, opt, &m->params, &dp->bc1, &dp->bc2);
        if (rc != PT_OK) {
            return rc;
        }
    }
    if (x->n == 0 || x->n > dp->max_shards * PT__DP_SHARD) {
        return pt__error(ctx, PT_EINVAL, "data-parallel step: batch of %u images (at most %u)",
                         x->n, dp->max_shards * PT__DP_SHARD);
    }
    if (x->c != m->in_c || x->h != m->in_h || x->w != m->in_w) {
        return pt__error(ctx, PT_EINVAL, "input is %ux%ux%u, the network expects %ux%ux%u", x->c,
                         x->h, x->w, m->in_c, m->in_h, m->in_w);
    }
    uint32_t S = (x->n + PT__DP_SHARD - 1) / PT__DP_SHARD;
    size_t img = (size_t)x->c * x->h * x->w;
    dp->n = x->n;
    dp->n_shards = S;
    dp->labels = labels;
    for (uint32_t s = 0; s < S; s++) {
        uint32_t s0 = s * PT__DP_SHARD, ns = x->n - s0 < PT__DP_SHARD ? x->n - s0 : PT__DP_SHARD;
        pt__tensor *v = &dp->view[s];
        v->data = x->data + (size_t)s0 * img;
        v->n = ns;
        v->c = x->c;
        v->h = x->h;
        v->w = x->w;
        v->cap = 0;
        pt__rng_seed(&dp->rng[s], seed + 0x9e3779b97f4a7c15ULL * (s + 1));
    }
    for (uint32_t t = 0; t < dp->n_workers; t++) {
        dp->wk[t].rc = PT_OK;
        dp->wk[t].ctx.errcode = PT_OK;
        dp->wk[t].ctx.errmsg[0] = '\0';
    }
    dp_sync(dp); /* start */
    dp_work(&dp->wk[0]);
    dp_sync(dp); /* end */
    for (uint32_t t = 0; t < dp->n_workers; t++) {
        if (dp->wk[t].rc != PT_OK) {
            return pt__error(ctx, dp->wk[t].rc, "%s", dp->wk[t].ctx.errmsg);
        }
    }
    for (uint32_t s = 0; s < S; s++) {
        if (dp->loss_rc[s] != PT_OK) {
            /* the worker's message, e.g. "loss is not finite (row 3)", with the batch's row */
            return pt__error(ctx, dp->loss_rc[s], "shard %u of the batch: %s", s,
                             dp->wk[s % dp->n_workers].ctx.errmsg);
        }
    }
    double loss = 0.0;
    uint64_t hits = 0;
    for (uint32_t s = 0; s < S; s++) {
        loss += dp->loss[s];
        hits += dp->hits[s];
    }
    if (loss_sum != NULL) {
        *loss_sum += loss;
    }
    if (n_correct != NULL) {
        *n_correct += hits;
    }
    return PT_OK;
}
