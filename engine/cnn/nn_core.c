/*
 * nn_core.c - the pieces of the layer library that are not layers: the seeded RNG, tensor
 * buffers, the parameter/gradient registry, the SGD and Adam optimisers, the losses, and the
 * OpenBLAS wrapper. The layers (layers.c) and the sequential network (net.c) sit on top.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cnn/nn.h"

/* ======================================================================= RNG ============ */

/* splitmix64 (Steele, Lea, Flood 2014): expands the user's seed into xoshiro's state. */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seed the generator; the same seed always gives the same stream. */
void pt__rng_seed(pt__rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix64(&x);
    }
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits (xoshiro256**). */
uint64_t pt__rng_next(pt__rng *r) {
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

/* Uniform in [0, 1) from the top 24 bits, exact in float. */
float pt__rng_uniform(pt__rng *r) {
    return (float)(pt__rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform integer in [0, n) by Lemire's multiply-shift (bias below 2^-32, fine here). */
uint32_t pt__rng_below(pt__rng *r, uint32_t n) {
    return (uint32_t)(((pt__rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Standard normal by Box-Muller; one of the pair is dropped for simplicity. */
float pt__rng_normal(pt__rng *r) {
    double u1 = ((double)(pt__rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(pt__rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* Fisher-Yates (Knuth vol. 2, algorithm P). */
void pt__rng_shuffle(pt__rng *r, uint32_t *idx, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = pt__rng_below(r, (uint32_t)i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* ======================================================================= tensors ======== */

/* Reshape t, growing its buffer (by at least 1.5x, so alternating batch sizes settle). */
int pt__tensor_reshape(pt_ctx *ctx, pt__tensor *t, uint32_t n, uint32_t c, uint32_t h, uint32_t w) {
    size_t need = (size_t)n * c * h * w;
    if (need > t->cap) {
        size_t cap = t->cap + t->cap / 2;
        if (cap < need) {
            cap = need;
        }
        float *d = pt__malloc(ctx, cap * sizeof(float));
        if (d == NULL) {
            return pt__error(ctx, PT_ENOMEM, "tensor of %zu floats", cap);
        }
        pt__free(ctx, t->data);
        t->data = d;
        t->cap = cap;
    }
    t->n = n;
    t->c = c;
    t->h = h;
    t->w = w;
    return PT_OK;
}

/* Free the buffer; the struct is left empty and reusable. */
void pt__tensor_free(pt_ctx *ctx, pt__tensor *t) {
    pt__free(ctx, t->data);
    memset(t, 0, sizeof *t);
}

/* ======================================================================= registry ======= */

void pt__params_init(pt__params *reg, pt_ctx *ctx) {
    memset(reg, 0, sizeof *reg);
    reg->ctx = ctx;
}

/* Free one parameter and everything it owns. */
static void param_free(pt_ctx *ctx, pt__param *p) {
    if (p == NULL) {
        return;
    }
    pt__free(ctx, p->w);
    pt__free(ctx, p->g);
    pt__free(ctx, p->m);
    pt__free(ctx, p->v);
    pt__free(ctx, p->touched);
    pt__free(ctx, p->mark);
    pt__free(ctx, p);
}

void pt__params_free(pt__params *reg) {
    for (size_t i = 0; i < reg->n; i++) {
        param_free(reg->ctx, reg->items[i]);
    }
    pt__free(reg->ctx, reg->items);
    reg->items = NULL;
    reg->n = reg->cap = 0;
}

/* Create a zeroed rows x cols parameter in reg. */
int pt__params_add(pt__params *reg, const char *name, uint32_t rows, uint32_t cols, int trainable,
                   pt__param **out) {
    pt_ctx *ctx = reg->ctx;
    *out = NULL;
    size_t n = (size_t)rows * cols;
    if (pt__grow(ctx, (void **)&reg->items, &reg->cap, reg->n + 1, sizeof *reg->items) != PT_OK) {
        return PT_ENOMEM;
    }
    pt__param *p = pt__calloc(ctx, 1, sizeof *p);
    if (p == NULL) {
        return pt__error(ctx, PT_ENOMEM, "parameter %s", name);
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    p->n = n;
    p->rows = rows;
    p->cols = cols;
    p->trainable = trainable;
    p->decay = trainable ? 1.0f : 0.0f;
    p->w = pt__calloc(ctx, n ? n : 1, sizeof(float));
    if (trainable) {
        p->g = pt__calloc(ctx, n ? n : 1, sizeof(float));
    }
    if (p->w == NULL || (trainable && p->g == NULL)) {
        param_free(ctx, p);
        return pt__error(ctx, PT_ENOMEM, "parameter %s of %zu floats", name, n);
    }
    reg->items[reg->n++] = p;
    *out = p;
    return PT_OK;
}

void pt__params_zero_grad(pt__params *reg) {
    for (size_t i = 0; i < reg->n; i++) {
        pt__param *p = reg->items[i];
        if (p->g == NULL) {
            continue;
        }
        if (p->sparse) {
            for (uint32_t k = 0; k < p->n_touched; k++) {
                uint32_t r = p->touched[k];
                memset(p->g + (size_t)r * p->cols, 0, p->cols * sizeof(float));
                p->mark[r] = 0;
            }
            p->n_touched = 0;
        } else {
            memset(p->g, 0, p->n * sizeof(float));
        }
    }
}

size_t pt__params_count(const pt__params *reg) {
    size_t n = 0;
    for (size_t i = 0; i < reg->n; i++) {
        n += reg->items[i]->n;
    }
    return n;
}

/* Mark row touched (the arrays were sized to rows when the parameter was made sparse). */
float *pt__param_row_grad(pt__param *p, uint32_t row) {
    if (!p->mark[row]) {
        p->mark[row] = 1;
        p->touched[p->n_touched++] = row;
    }
    return p->g + (size_t)row * p->cols;
}

/* ======================================================================= optimisers ===== */

void pt__optim_sgd(pt__optim *o, float lr, float momentum) {
    memset(o, 0, sizeof *o);
    o->kind = PT__OPT_SGD;
    o->lr = lr;
    o->momentum = momentum;
}

void pt__optim_adam(pt__optim *o, float lr) {
    memset(o, 0, sizeof *o);
    o->kind = PT__OPT_ADAM;
    o->lr = lr;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
}

/* Step `len` values w (gradient g, state m, v) with the optimiser's rule. bc1/bc2 are Adam's
 * bias corrections 1 - beta^t; wd is the decoupled weight decay for this parameter. */
PT__SIMD static void step_span(const pt__optim *o, float *w, const float *g, float *m, float *v, size_t len,
                      float bc1, float bc2, float wd) {
    float lr = o->lr;
    if (o->kind == PT__OPT_ADAM) {
        float b1 = o->beta1, b2 = o->beta2, eps = o->eps;
        float a = lr / bc1, s2 = 1.0f / bc2;
        for (size_t i = 0; i < len; i++) {
            float gi = g[i];
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            w[i] -= a * m[i] / (sqrtf(v[i] * s2) + eps) + lr * wd * w[i];
        }
    } else if (o->momentum != 0.0f) {
        float mu = o->momentum;
        for (size_t i = 0; i < len; i++) {
            m[i] = mu * m[i] + g[i];
            w[i] -= lr * (m[i] + wd * w[i]);
        }
    } else {
        for (size_t i = 0; i < len; i++) {
            w[i] -= lr * (g[i] + wd * w[i]);
        }
    }
}

int pt__optim_begin(pt_ctx *ctx, pt__optim *o, pt__params *reg, float *bc1, float *bc2) {
    o->t++;
    *bc1 = *bc2 = 1.0f;
    if (o->kind == PT__OPT_ADAM) {
        *bc1 = 1.0f - powf(o->beta1, (float)o->t);
        *bc2 = 1.0f - powf(o->beta2, (float)o->t);
    }
    int need_m = o->kind == PT__OPT_ADAM || o->momentum != 0.0f;
    int need_v = o->kind == PT__OPT_ADAM;
    for (size_t i = 0; i < reg->n; i++) {
        pt__param *p = reg->items[i];
        if (!p->trainable) {
            continue;
        }
        if (need_m && p->m == NULL) {
            p->m = pt__calloc(ctx, p->n ? p->n : 1, sizeof(float));
            if (p->m == NULL) {
                return pt__error(ctx, PT_ENOMEM, "optimiser state for %s", p->name);
            }
        }
        if (need_v && p->v == NULL) {
            p->v = pt__calloc(ctx, p->n ? p->n : 1, sizeof(float));
            if (p->v == NULL) {
                return pt__error(ctx, PT_ENOMEM, "optimiser state for %s", p->name);
            }
        }
    }
    return PT_OK;
}

void pt__optim_step_range(const pt__optim *o, pt__param *p, size_t lo, size_t hi, float bc1,
                          float bc2) {
    if (!p->trainable || hi <= lo) {
        return;
    }
    step_span(o, p->w + lo, p->g + lo, p->m ? p->m + lo : NULL, p->v ? p->v + lo : NULL, hi - lo,
              bc1, bc2, o->weight_decay * p->decay);
}

int pt__optim_step(pt_ctx *ctx, pt__optim *o, pt__params *reg) {
    float bc1, bc2;
    int rc = pt__optim_begin(ctx, o, reg, &bc1, &bc2);
    if (rc != PT_OK) {
        return rc;
    }
    for (size_t i = 0; i < reg->n; i++) {
        pt__param *p = reg->items[i];
        if (!p->trainable) {
            continue;
        }
        if (p->sparse) {
            float wd = o->weight_decay * p->decay;
            for (uint32_t k = 0; k < p->n_touched; k++) {
                size_t off = (size_t)p->touched[k] * p->cols;
                step_span(o, p->w + off, p->g + off, p->m ? p->m + off : NULL,
                          p->v ? p->v + off : NULL, p->cols, bc1, bc2, wd);
            }
        } else {
            pt__optim_step_range(o, p, 0, p->n, bc1, bc2);
        }
    }
    return PT_OK;
}

/* ======================================================================= losses ========= */

void pt__softmax_rows(const float *logits, size_t n, size_t k, float *probs) {
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * k;
        float *p = probs + i * k;
        float mx = z[0];
        for (size_t j = 1; j < k; j++) {
            mx = z[j] > mx ? z[j] : mx;
        }
        float s = 0.0f;
        for (size_t j = 0; j < k; j++) {
            p[j] = expf(z[j] - mx);
            s += p[j];
        }
        float inv = 1.0f / s;
        for (size_t j = 0; j < k; j++) {
            p[j] *= inv;
        }
    }
}

int pt__softmax_xent(pt_ctx *ctx, const pt__tensor *logits, const uint8_t *labels,
                     pt__tensor *dlogits, double *loss_sum, uint64_t *n_correct) {
    return pt__softmax_xent_part(ctx, logits, labels, logits->n, dlogits, loss_sum, n_correct);
}

int pt__softmax_xent_part(pt_ctx *ctx, const pt__tensor *logits, const uint8_t *labels,
                          size_t batch_n, pt__tensor *dlogits, double *loss_sum,
                          uint64_t *n_correct) {
    size_t n = logits->n, k = (size_t)logits->c * logits->h * logits->w;
    if (dlogits != NULL &&
        pt__tensor_reshape(ctx, dlogits, logits->n, logits->c, logits->h, logits->w) != PT_OK) {
        return PT_ENOMEM;
    }
    double loss = 0.0;
    uint64_t hits = 0;
    float inv_n = 1.0f / (float)batch_n;
    for (size_t i = 0; i < n; i++) {
        const float *z = logits->data + i * k;
        if (labels[i] >= k) {
            return pt__error(ctx, PT_EINVAL, "label %u out of range (%zu classes)", labels[i], k);
        }
        size_t best = 0;
        float mx = z[0];
        for (size_t j = 1; j < k; j++) {
            if (z[j] > mx) {
                mx = z[j];
                best = j;
            }
        }
        double s = 0.0;
        for (size_t j = 0; j < k; j++) {
            s += exp((double)(z[j] - mx));
        }
        double li = log(s) - (double)(z[labels[i]] - mx);
        if (!isfinite(li) || !isfinite(mx)) {
            return pt__error(ctx, PT_ELIMIT, "loss is not finite (row %zu)", i);
        }
        loss += li;
        hits += best == labels[i];
        if (dlogits != NULL) {
            float *d = dlogits->data + i * k;
            float is = (float)(1.0 / s);
            for (size_t j = 0; j < k; j++) {
                d[j] = expf(z[j] - mx) * is * inv_n;
            }
            d[labels[i]] -= inv_n;
        }
    }
    if (loss_sum != NULL) {
        *loss_sum += loss;
    }
    if (n_correct != NULL) {
        *n_correct += hits;
    }
    return PT_OK;
}

/* BCE with logits: loss = max(z,0) - z*t + log(1 + exp(-|z|)), stable for any z. */
double pt__sigmoid_bce(const float *logits, const float *targets, size_t n, float *dlogits,
                       float scale) {
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        float z = logits[i], t = targets[i];
        loss += (double)(z > 0 ? z : 0) - (double)z * t + log1p(exp(-fabs((double)z)));
        if (dlogits != NULL) {
            float s = z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
            dlogits[i] = (s - t) * scale;
        }
    }
    return loss;
}

/* ======================================================================= BLAS =========== */

int pt__nn_set_threads(int n) {
    if (n <= 0) {
        n = openblas_get_num_procs();
    }
    openblas_set_num_threads(n);
    return openblas_get_num_threads();
}

int pt__nn_get_threads(void) {
    return openblas_get_num_threads();
}

void pt__sgemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
               size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta,
                c, (blasint)ldc);
}
