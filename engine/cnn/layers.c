/*
 * layers.c - the layers of the network library (nn.h): conv2d (im2col + one OpenBLAS SGEMM per
 * batch), dense, ReLU, tanh, max pooling (incl. global over an axis), inverted dropout, batch
 * normalisation and an embedding table with sparse gradients, each with its forward and backward
 * pass. The sequential network (net.c) and the sequence model drive them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cnn/nn.h"

/* ======================================================================= helpers ======== */

/* Allocate a zeroed layer of `kind`. */
static int layer_alloc(pt_ctx *ctx, pt__layer_kind kind, pt__layer **out) {
    *out = pt__calloc(ctx, 1, sizeof **out);
    if (*out == NULL) {
        return pt__error(ctx, PT_ENOMEM, "layer");
    }
    (*out)->kind = kind;
    return PT_OK;
}

/* Make sure l->arg holds n entries. */
static int ensure_arg(pt_ctx *ctx, pt__layer *l, size_t n) {
    if (n <= l->arg_cap) {
        return PT_OK;
    }
    uint32_t *a = pt__realloc(ctx, l->arg, n * sizeof *a);
    if (a == NULL) {
        return pt__error(ctx, PT_ENOMEM, "layer index buffer");
    }
    l->arg = a;
    l->arg_cap = n;
    return PT_OK;
}

/* Eight floats as one GCC vector (two SSE registers in the baseline build, one AVX register in
 * the PT__SIMD copy): unaligned loads and stores through memcpy. */
typedef float pt__v8 __attribute__((vector_size(32)));
typedef int32_t pt__v8i __attribute__((vector_size(32)));
/* The helpers are static and always inlined, so the psABI note about passing AVX-sized vectors
 * without AVX does not concern any interface. */
#pragma GCC diagnostic ignored "-Wpsabi"

static inline pt__v8 v8_load(const float *p) {
    pt__v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void v8_store(float *p, pt__v8 v) {
    memcpy(p, &v, sizeof v);
}

static inline pt__v8 v8_set1(float x) {
    pt__v8 v = {x, x, x, x, x, x, x, x};
    return v;
}

/* Lanes added in a fixed order. */
static inline float v8_sum(pt__v8 v) {
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

/* He-normal init (He et al. 2015): N(0, 2 / fan_in), good for ReLU networks. */
static void he_init(pt__rng *rng, float *w, size_t n, size_t fan_in) {
    float sd = sqrtf(2.0f / (float)(fan_in ? fan_in : 1));
    for (size_t i = 0; i < n; i++) {
        w[i] = sd * pt__rng_normal(rng);
    }
}

/* A unique-enough parameter name: kind, registry position, suffix. */
static void param_name(char *buf, size_t cap, const char *kind, const pt__params *reg,
                       const char *suffix) {
    snprintf(buf, cap, "%s%zu.%s", kind, reg->n, suffix);
}

/* ======================================================================= constructors === */

int pt__conv2d_new(pt_ctx *ctx, pt__params *reg, pt__rng *rng, uint32_t cin, uint32_t cout,
                   uint32_t kh, uint32_t kw, uint32_t ph, uint32_t pw, pt__layer **out) {
    char name[32];
    int rc;
    *out = NULL;
    if (cin == 0 || cout == 0 || kh == 0 || kw == 0) {
        return pt__error(ctx, PT_EINVAL, "conv2d: channels and kernel must be positive");
    }
    pt__layer *l;
    if ((rc = layer_alloc(ctx, PT__L_CONV2D, &l)) != PT_OK) {
        return rc;
    }
    l->cin = cin;
    l->cout = cout;
    l->kh = kh;
    l->kw = kw;
    l->ph = ph;
    l->pw = pw;
    uint32_t k = cin * kh * kw;
    param_name(name, sizeof name, "conv", reg, "w");
    rc = pt__params_add(reg, name, cout, k, 1, &l->wt);
    if (rc == PT_OK) {
        param_name(name, sizeof name, "conv", reg, "b");
        rc = pt__params_add(reg, name, 1, cout, 1, &l->bias);
    }
    if (rc != PT_OK) {
        pt__layer_free(ctx, l);
        return rc;
    }
    l->bias->decay = 0.0f;
    he_init(rng, l->wt->w, l->wt->n, k);
    *out = l;
    return PT_OK;
}

int pt__dense_new(pt_ctx *ctx, pt__params *reg, pt__rng *rng, uint32_t in_f, uint32_t out_f,
                  pt__layer **out) {
    char name[32];
    int rc;
    *out = NULL;
    if (in_f == 0 || out_f == 0) {
        return pt__error(ctx, PT_EINVAL, "dense: features must be positive");
    }
    pt__layer *l;
    if ((rc = layer_alloc(ctx, PT__L_DENSE, &l)) != PT_OK) {
        return rc;
    }
    l->in_f = in_f;
    l->out_f = out_f;
    param_name(name, sizeof name, "dense", reg, "w");
    rc = pt__params_add(reg, name, out_f, in_f, 1, &l->wt);
    if (rc == PT_OK) {
        param_name(name, sizeof name, "dense", reg, "b");
        rc = pt__params_add(reg, name, 1, out_f, 1, &l->bias);
    }
    if (rc != PT_OK) {
        pt__layer_free(ctx, l);
        return rc;
    }
    l->bias->decay = 0.0f;
    he_init(rng, l->wt->w, l->wt->n, in_f);
    *out = l;
    return PT_OK;
}

int pt__relu_new(pt_ctx *ctx, pt__layer **out) {
    return layer_alloc(ctx, PT__L_RELU, out);
}

int pt__tanh_new(pt_ctx *ctx, pt__layer **out) {
    return layer_alloc(ctx, PT__L_TANH, out);
}

int pt__maxpool_new(pt_ctx *ctx, uint32_t ph, uint32_t pw, pt__layer **out) {
    int rc = layer_alloc(ctx, PT__L_MAXPOOL, out);
    if (rc == PT_OK) {
        (*out)->pool_h = ph;
        (*out)->pool_w = pw;
    }
    return rc;
}

int pt__avgpool_new(pt_ctx *ctx, uint32_t ph, uint32_t pw, pt__layer **out) {
    int rc = layer_alloc(ctx, PT__L_AVGPOOL, out);
    if (rc == PT_OK) {
        (*out)->pool_h = ph;
        (*out)->pool_w = pw;
    }
    return rc;
}

int pt__dropout_new(pt_ctx *ctx, float p, pt__layer **out) {
    *out = NULL;
    if (!(p >= 0.0f && p < 1.0f)) {
        return pt__error(ctx, PT_EINVAL, "dropout: rate %g not in [0, 1)", (double)p);
    }
    int rc = layer_alloc(ctx, PT__L_DROPOUT, out);
    if (rc == PT_OK) {
        (*out)->p = p;
    }
    return rc;
}

int pt__batchnorm_new(pt_ctx *ctx, pt__params *reg, uint32_t channels, pt__layer **out) {
    char name[32];
    int rc;
    *out = NULL;
    if (channels == 0) {
        return pt__error(ctx, PT_EINVAL, "batchnorm: no channels");
    }
    pt__layer *l;
    if ((rc = layer_alloc(ctx, PT__L_BATCHNORM, &l)) != PT_OK) {
        return rc;
    }
    l->cin = l->cout = channels;
    l->bn_momentum = 0.1f;
    l->bn_eps = 1e-5f;
    size_t base = reg->n;
    snprintf(name, sizeof name, "bn%zu.gamma", base);
    rc = pt__params_add(reg, name, 1, channels, 1, &l->gamma);
    if (rc == PT_OK) {
        snprintf(name, sizeof name, "bn%zu.beta", base);
        rc = pt__params_add(reg, name, 1, channels, 1, &l->beta);
    }
    if (rc == PT_OK) {
        snprintf(name, sizeof name, "bn%zu.mean", base);
        rc = pt__params_add(reg, name, 1, channels, 0, &l->run_mean);
    }
    if (rc == PT_OK) {
        snprintf(name, sizeof name, "bn%zu.var", base);
        rc = pt__params_add(reg, name, 1, channels, 0, &l->run_var);
    }
    if (rc == PT_OK) {
        l->stat = pt__calloc(ctx, 2 * (size_t)channels, sizeof(float));
        if (l->stat == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "batchnorm statistics");
        }
    }
    if (rc != PT_OK) {
        pt__layer_free(ctx, l);
        return rc;
    }
    l->gamma->decay = l->beta->decay = 0.0f;
    for (uint32_t c = 0; c < channels; c++) {
        l->gamma->w[c] = 1.0f;
        l->run_var->w[c] = 1.0f;
    }
    *out = l;
    return PT_OK;
}

int pt__embedding_new(pt_ctx *ctx, pt__params *reg, pt__rng *rng, uint32_t n_rows, uint32_t dim,
                      pt__layer **out) {
    char name[32];
    int rc;
    *out = NULL;
    if (n_rows == 0 || dim == 0) {
        return pt__error(ctx, PT_EINVAL, "embedding: rows and dim must be positive");
    }
    pt__layer *l;
    if ((rc = layer_alloc(ctx, PT__L_EMBEDDING, &l)) != PT_OK) {
        return rc;
    }
    l->n_rows = n_rows;
    l->dim = dim;
    param_name(name, sizeof name, "emb", reg, "w");
    rc = pt__params_add(reg, name, n_rows, dim, 1, &l->wt);
    if (rc != PT_OK) {
        pt__layer_free(ctx, l);
        return rc;
    }
    pt__param *p = l->wt;
    p->sparse = 1;
    p->decay = 0.0f;
    p->touched = pt__malloc(ctx, (size_t)n_rows * sizeof *p->touched);
    p->mark = pt__calloc(ctx, n_rows, 1);
    if (p->touched == NULL || p->mark == NULL) {
        pt__layer_free(ctx, l);
        return pt__error(ctx, PT_ENOMEM, "embedding table of %u rows", n_rows);
    }
    for (size_t i = 0; i < p->n; i++) {
        p->w[i] = 0.1f * pt__rng_normal(rng);
    }
    *out = l;
    return PT_OK;
}

void pt__layer_free(pt_ctx *ctx, pt__layer *l) {
    if (l == NULL) {
        return;
    }
    pt__tensor_free(ctx, &l->y);
    pt__tensor_free(ctx, &l->dx);
    pt__tensor_free(ctx, &l->cols);
    pt__tensor_free(ctx, &l->dcols);
    pt__tensor_free(ctx, &l->tmp);
    pt__free(ctx, l->arg);
    pt__free(ctx, l->mask);
    pt__free(ctx, l->stat);
    pt__free(ctx, l);
}

/* ======================================================================= shapes ========= */

static const char *kind_name(pt__layer_kind k) {
    static const char *const names[] = {"conv2d",  "dense",   "relu",      "tanh",
                                        "maxpool", "dropout", "batchnorm", "embedding",
                                        "avgpool"};
    return names[k];
}

int pt__layer_out_shape(pt_ctx *ctx, const pt__layer *l, uint32_t c, uint32_t h, uint32_t w,
                        uint32_t *oc, uint32_t *oh, uint32_t *ow) {
    *oc = c;
    *oh = h;
    *ow = w;
    switch (l->kind) {
    case PT__L_CONV2D:
        if (c != l->cin) {
            return pt__error(ctx, PT_EINVAL, "conv2d: input has %u channels, layer expects %u", c,
                             l->cin);
        }
        if (h + 2 * l->ph < l->kh || w + 2 * l->pw < l->kw) {
            return pt__error(ctx, PT_EINVAL, "conv2d: input %ux%u smaller than kernel %ux%u", h, w,
                             l->kh, l->kw);
        }
        *oc = l->cout;
        *oh = h + 2 * l->ph - l->kh + 1;
        *ow = w + 2 * l->pw - l->kw + 1;
        return PT_OK;
    case PT__L_DENSE:
        if ((uint64_t)c * h * w != l->in_f) {
            return pt__error(ctx, PT_EINVAL, "dense: input has %llu features, layer expects %u",
                             (unsigned long long)c * h * w, l->in_f);
        }
        *oc = l->out_f;
        *oh = *ow = 1;
        return PT_OK;
    case PT__L_MAXPOOL:
    case PT__L_AVGPOOL: {
        uint32_t ph = l->pool_h ? l->pool_h : h, pw = l->pool_w ? l->pool_w : w;
        if (ph == 0 || pw == 0 || h / ph == 0 || w / pw == 0) {
            return pt__error(ctx, PT_EINVAL, "%s: input %ux%u smaller than window %ux%u",
                             kind_name(l->kind), h, w, ph, pw);
        }
        *oh = h / ph;
        *ow = w / pw;
        return PT_OK;
    }
    case PT__L_BATCHNORM:
        if (c != l->cin) {
            return pt__error(ctx, PT_EINVAL, "batchnorm: input has %u channels, layer has %u", c,
                             l->cin);
        }
        return PT_OK;
    case PT__L_EMBEDDING:
        return pt__error(ctx, PT_EINVAL, "embedding: use pt__embedding_forward");
    default:
        return PT_OK;
    }
}

/* ======================================================================= conv2d ========= */

/* im2col over the whole batch (loop distribution off: GCC would turn the short copy loops of
 * the narrow path back into memcpy calls): cols is K x (n*oh*ow), K = cin*kh*kw, row k = (ci, i, j). Each
 * output row is a run of contiguous input pixels, so the inner loop is a memcpy. */
#if defined(__GNUC__) && !defined(__clang__)
#define PT__NO_MEMCPY_IDIOM __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define PT__NO_MEMCPY_IDIOM
#endif
PT__SIMD PT__NO_MEMCPY_IDIOM static void im2col(const pt__layer *l, const pt__tensor *x, uint32_t oh, uint32_t ow, float *cols) {
    uint32_t n = x->n, H = x->h, W = x->w;
    size_t P = (size_t)oh * ow, NP = (size_t)n * P;
    for (uint32_t ci = 0; ci < l->cin; ci++) {
        for (uint32_t i = 0; i < l->kh; i++) {
            for (uint32_t j = 0; j < l->kw; j++) {
                float *row = cols + (((size_t)ci * l->kh + i) * l->kw + j) * NP;
                /* ox range with 0 <= ox + j - pw < W */
                uint32_t lo = l->pw > j ? l->pw - j : 0;
                int64_t hi64 = (int64_t)W + l->pw - j;
                uint32_t hi = hi64 < (int64_t)ow ? (uint32_t)(hi64 > 0 ? hi64 : 0) : ow;
                if (lo > hi) {
                    lo = hi;
                }
                if (ow < 16) {
                    /* narrow outputs (Caser's horizontal filters have ow == 1): plain stores
                     * beat a memcpy call per row of one or a few floats */
                    for (uint32_t b = 0; b < n; b++) {
                        const float *plane = x->data + ((size_t)b * l->cin + ci) * H * W;
                        float *dst = row + (size_t)b * P;
                        for (uint32_t oy = 0; oy < oh; oy++) {
                            int64_t iy = (int64_t)oy + i - l->ph;
                            float *d = dst + (size_t)oy * ow;
                            if (iy < 0 || iy >= H) {
                                for (uint32_t ox = 0; ox < ow; ox++) {
                                    d[ox] = 0.0f;
                                }
                                continue;
                            }
                            const float *src = plane + (size_t)iy * W + j - l->pw;
                            for (uint32_t ox = 0; ox < lo; ox++) {
                                d[ox] = 0.0f;
                            }
                            for (uint32_t ox = lo; ox < hi; ox++) {
                                d[ox] = src[ox];
                            }
                            for (uint32_t ox = hi; ox < ow; ox++) {
                                d[ox] = 0.0f;
                            }
                        }
                    }
                    continue;
                }
                for (uint32_t b = 0; b < n; b++) {
                    const float *plane = x->data + ((size_t)b * l->cin + ci) * H * W;
                    for (uint32_t oy = 0; oy < oh; oy++) {
                        float *dst = row + (size_t)b * P + (size_t)oy * ow;
                        int64_t iy = (int64_t)oy + i - l->ph;
                        if (iy < 0 || iy >= H) {
                            memset(dst, 0, ow * sizeof(float));
                            continue;
                        }
                        if (lo > 0) {
                            memset(dst, 0, lo * sizeof(float));
                        }
                        const float *src = plane + (size_t)iy * W + (lo + j - l->pw);
                        memcpy(dst + lo, src, (hi - lo) * sizeof(float));
                        if (hi < ow) {
                            memset(dst + hi, 0, (ow - hi) * sizeof(float));
                        }
                    }
                }
            }
        }
    }
}

/* col2im: the adjoint of im2col, accumulating dcols into dx (zeroed by the caller). */
PT__SIMD static void col2im(const pt__layer *l, const float *dcols, uint32_t oh, uint32_t ow,
                   pt__tensor *dx) {
    uint32_t n = dx->n, H = dx->h, W = dx->w;
    size_t P = (size_t)oh * ow, NP = (size_t)n * P;
    for (uint32_t ci = 0; ci < l->cin; ci++) {
        for (uint32_t i = 0; i < l->kh; i++) {
            for (uint32_t j = 0; j < l->kw; j++) {
                const float *row = dcols + (((size_t)ci * l->kh + i) * l->kw + j) * NP;
                uint32_t lo = l->pw > j ? l->pw - j : 0;
                int64_t hi64 = (int64_t)W + l->pw - j;
                uint32_t hi = hi64 < (int64_t)ow ? (uint32_t)(hi64 > 0 ? hi64 : 0) : ow;
                if (lo > hi) {
                    lo = hi;
                }
                for (uint32_t b = 0; b < n; b++) {
                    float *plane = dx->data + ((size_t)b * l->cin + ci) * H * W;
                    for (uint32_t oy = 0; oy < oh; oy++) {
                        int64_t iy = (int64_t)oy + i - l->ph;
                        if (iy < 0 || iy >= H) {
                            continue;
                        }
                        const float *restrict src = row + (size_t)b * P + (size_t)oy * ow + lo;
                        float *restrict dst = plane + (size_t)iy * W + (lo + j - l->pw);
                        for (uint32_t ox = 0; ox < hi - lo; ox++) {
                            dst[ox] += src[ox];
                        }
                    }
                }
            }
        }
    }
}

/* Forward: cols = im2col(x); tmp = W cols (cout x n*P); y[b, co] = tmp[co, b*P..] + bias. */
/* ---- full-width kernels (kw == w, pw == 0, so ow == 1: Caser's horizontal filters) ----------
 * Here the column of output position (b, oy) is, per input channel, kh*w CONSECUTIVE input
 * floats, so the transposed layout colsT (n*oh x K) fills each row with one memcpy per channel,
 * and the GEMMs are taken transposed: yT = colsT W^T, dW += dyT^T colsT, dcolsT = dyT W. */

/* Is this a full-width convolution for an input of width w? */
static int full_width(const pt__layer *l, uint32_t w) {
    return l->kw == w && l->pw == 0;
}

/* Fill row (b, oy) of colsT: for each channel, rows oy-ph .. oy-ph+kh of the plane (zero
 * outside). */
static void im2row_full(const pt__layer *l, const pt__tensor *x, uint32_t oh, float *colsT) {
    uint32_t H = x->h, W = x->w, kh = l->kh;
    size_t K = (size_t)l->cin * kh * W;
    for (uint32_t b = 0; b < x->n; b++) {
        for (uint32_t oy = 0; oy < oh; oy++) {
            float *row = colsT + ((size_t)b * oh + oy) * K;
            int64_t y0 = (int64_t)oy - l->ph;
            for (uint32_t ci = 0; ci < l->cin; ci++) {
                const float *plane = x->data + ((size_t)b * l->cin + ci) * H * W;
                float *dst = row + (size_t)ci * kh * W;
                int64_t lo = y0 < 0 ? -y0 : 0, hi = y0 + kh > H ? (int64_t)H - y0 : kh;
                if (lo > 0) {
                    memset(dst, 0, (size_t)lo * W * sizeof(float));
                }
                if (hi > lo) {
                    memcpy(dst + (size_t)lo * W, plane + (size_t)(y0 + lo) * W,
                           (size_t)(hi - lo) * W * sizeof(float));
                }
                if (hi < kh) {
                    memset(dst + (size_t)(hi > lo ? hi : lo) * W, 0,
                           (size_t)(kh - (hi > lo ? hi : lo)) * W * sizeof(float));
                }
            }
        }
    }
}

/* The adjoint of im2row_full: add each row of dcolsT back into dx (zeroed by the caller). */
static void row2im_full(const pt__layer *l, const float *dcolsT, uint32_t oh, pt__tensor *dx) {
    uint32_t H = dx->h, W = dx->w, kh = l->kh;
    size_t K = (size_t)l->cin * kh * W;
    for (uint32_t b = 0; b < dx->n; b++) {
        for (uint32_t oy = 0; oy < oh; oy++) {
            const float *row = dcolsT + ((size_t)b * oh + oy) * K;
            int64_t y0 = (int64_t)oy - l->ph;
            for (uint32_t ci = 0; ci < l->cin; ci++) {
                float *plane = dx->data + ((size_t)b * l->cin + ci) * H * W;
                int64_t lo = y0 < 0 ? -y0 : 0, hi = y0 + kh > H ? (int64_t)H - y0 : kh;
                if (hi <= lo) {
                    continue;
                }
                const float *restrict src = row + (size_t)ci * kh * W + (size_t)lo * W;
                float *restrict dst = plane + (size_t)(y0 + lo) * W;
                size_t len = (size_t)(hi - lo) * W;
                for (size_t t = 0; t < len; t++) {
                    dst[t] += src[t];
                }
            }
        }
    }
}

/* Forward of a full-width conv: colsT, tmp = colsT W^T (n*oh x cout), y[b, co, oy] = tmp + b. */
static int conv_forward_full(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, uint32_t oh) {
    uint32_t n = x->n;
    size_t NP = (size_t)n * oh, K = (size_t)l->cin * l->kh * l->kw;
    if (pt__tensor_reshape(ctx, &l->cols, 1, 1, (uint32_t)NP, (uint32_t)K) != PT_OK ||
        pt__tensor_reshape(ctx, &l->tmp, 1, 1, (uint32_t)NP, l->cout) != PT_OK ||
        pt__tensor_reshape(ctx, &l->y, n, l->cout, oh, 1) != PT_OK) {
        return PT_ENOMEM;
    }
    im2row_full(l, x, oh, l->cols.data);
    pt__sgemm(0, 1, NP, l->cout, K, 1.0f, l->cols.data, K, l->wt->w, K, 0.0f, l->tmp.data,
              l->cout);
    for (uint32_t b = 0; b < n; b++) {
        for (uint32_t oy = 0; oy < oh; oy++) {
            const float *t = l->tmp.data + ((size_t)b * oh + oy) * l->cout;
            for (uint32_t co = 0; co < l->cout; co++) {
                l->y.data[((size_t)b * l->cout + co) * oh + oy] = t[co] + l->bias->w[co];
            }
        }
    }
    return PT_OK;
}

/* Backward of a full-width conv (see above). */
static int conv_backward_full(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx) {
    uint32_t n = dy->n, oh = dy->h;
    size_t NP = (size_t)n * oh, K = (size_t)l->cin * l->kh * l->kw;
    float *dT = l->tmp.data; /* n*oh x cout */
    for (uint32_t b = 0; b < n; b++) {
        for (uint32_t oy = 0; oy < oh; oy++) {
            float *t = dT + ((size_t)b * oh + oy) * l->cout;
            for (uint32_t co = 0; co < l->cout; co++) {
                t[co] = dy->data[((size_t)b * l->cout + co) * oh + oy];
                l->bias->g[co] += t[co];
            }
        }
    }
    pt__sgemm(1, 0, l->cout, K, NP, 1.0f, dT, l->cout, l->cols.data, K, 1.0f, l->wt->g, K);
    if (!want_dx) {
        return PT_OK;
    }
    const pt__tensor *x = l->x;
    if (pt__tensor_reshape(ctx, &l->dcols, 1, 1, (uint32_t)NP, (uint32_t)K) != PT_OK ||
        pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK) {
        return PT_ENOMEM;
    }
    pt__sgemm(0, 0, NP, K, l->cout, 1.0f, dT, l->cout, l->wt->w, K, 0.0f, l->dcols.data, K);
    memset(l->dx.data, 0, pt__tensor_size(&l->dx) * sizeof(float));
    row2im_full(l, l->dcols.data, oh, &l->dx);
    return PT_OK;
}

/* ---- one input channel (a first layer on grey images): direct convolution ------------------
 * With cin 1 the GEMM's inner dimension is only kh*kw (9), too short for a GEMM to pay for the
 * im2col copy (kh*kw copies of the input) and the scatter of its output: instead each image is
 * copied once into a zero-padded plane (kept in cols for the backward pass), and every output
 * plane is kh*kw vectorised multiply-adds of shifted rows of it. */
static int direct_conv(const pt__layer *l, uint32_t w) {
    return l->cin == 1 && l->kh > 1 && l->kw > 1 && l->kh * l->kw <= 49 && !full_width(l, w);
}

/* Forward of a 1-channel conv: cols holds the n padded planes (H+2ph) x (W+2pw). */
PT__SIMD static int conv_forward_direct(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, uint32_t oh,
                               uint32_t ow) {
    uint32_t n = x->n, H = x->h, W = x->w, kh = l->kh, kw = l->kw, cout = l->cout;
    size_t PH = (size_t)H + 2 * l->ph, PW = (size_t)W + 2 * l->pw, P = (size_t)oh * ow;
    if (pt__tensor_reshape(ctx, &l->cols, n, 1, (uint32_t)PH, (uint32_t)PW) != PT_OK ||
        pt__tensor_reshape(ctx, &l->y, n, cout, oh, ow) != PT_OK) {
        return PT_ENOMEM;
    }
    for (uint32_t b = 0; b < n; b++) {
        float *pad = l->cols.data + (size_t)b * PH * PW;
        memset(pad, 0, PH * PW * sizeof(float));
        for (uint32_t iy = 0; iy < H; iy++) {
            memcpy(pad + (iy + l->ph) * PW + l->pw, x->data + ((size_t)b * H + iy) * W,
                   W * sizeof(float));
        }
        for (uint32_t co = 0; co < cout; co++) {
            float *restrict out = l->y.data + ((size_t)b * cout + co) * P;
            const float *wt = l->wt->w + (size_t)co * kh * kw;
            float bias = l->bias->w[co];
            for (size_t p = 0; p < P; p++) {
                out[p] = bias;
            }
            if (kh == 3 && kw == 3 && ow >= 8) {
                /* the common 3x3: all nine taps per 8 outputs, one store; the last vector of a
                 * row overlaps the previous one (the same values again) instead of a tail */
                pt__v8 w0 = v8_set1(wt[0]), w1 = v8_set1(wt[1]), w2 = v8_set1(wt[2]);
                pt__v8 w3 = v8_set1(wt[3]), w4 = v8_set1(wt[4]), w5 = v8_set1(wt[5]);
                pt__v8 w6 = v8_set1(wt[6]), w7 = v8_set1(wt[7]), w8 = v8_set1(wt[8]);
                pt__v8 bv = v8_set1(bias);
                for (uint32_t oy = 0; oy < oh; oy++) {
                    float *o = out + (size_t)oy * ow;
                    const float *r0 = pad + oy * PW, *r1 = r0 + PW, *r2 = r1 + PW;
                    for (uint32_t ox = 0; ox < ow; ox += 8) {
                        if (ox + 8 > ow) {
                            ox = ow - 8;
                        }
                        pt__v8 v = bv + w0 * v8_load(r0 + ox) + w1 * v8_load(r0 + ox + 1) +
                                   w2 * v8_load(r0 + ox + 2) + w3 * v8_load(r1 + ox) +
                                   w4 * v8_load(r1 + ox + 1) + w5 * v8_load(r1 + ox + 2) +
                                   w6 * v8_load(r2 + ox) + w7 * v8_load(r2 + ox + 1) +
                                   w8 * v8_load(r2 + ox + 2);
                        v8_store(o + ox, v);
                    }
                }
                continue;
            }
            for (uint32_t oy = 0; oy < oh; oy++) {
                float *restrict o = out + (size_t)oy * ow;
                for (uint32_t i = 0; i < kh; i++) {
                    for (uint32_t j = 0; j < kw; j++) {
                        const float *restrict r = pad + (oy + i) * PW + j;
                        float wv = wt[i * kw + j];
                        for (uint32_t ox = 0; ox < ow; ox++) {
                            o[ox] += wv * r[ox];
                        }
                    }
                }
            }
        }
    }
    return PT_OK;
}

/* Backward of a 1-channel conv: db += sum dy, dW[i, j] += sum dy * shifted padded input, and
 * dx = the crop of the padded plane that every output adds w * dy back into. */
PT__SIMD static int conv_backward_direct(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx) {
    const pt__tensor *x = l->x;
    uint32_t n = dy->n, oh = dy->h, ow = dy->w, H = x->h, W = x->w, kh = l->kh, kw = l->kw;
    uint32_t cout = l->cout;
    size_t PH = (size_t)H + 2 * l->ph, PW = (size_t)W + 2 * l->pw, P = (size_t)oh * ow;
    float *dpad = NULL;
    if (want_dx) {
        if (pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK ||
            pt__tensor_reshape(ctx, &l->dcols, 1, 1, (uint32_t)PH, (uint32_t)PW) != PT_OK) {
            return PT_ENOMEM;
        }
        dpad = l->dcols.data;
    }
    for (uint32_t b = 0; b < n; b++) {
        const float *pad = l->cols.data + (size_t)b * PH * PW;
        if (dpad != NULL) {
            memset(dpad, 0, PH * PW * sizeof(float));
        }
        for (uint32_t co = 0; co < cout; co++) {
            const float *restrict g = dy->data + ((size_t)b * cout + co) * P;
            float *wg = l->wt->g + (size_t)co * kh * kw;
            const float *wt = l->wt->w + (size_t)co * kh * kw;
            float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            size_t p = 0;
            for (; p + 8 <= P; p += 8) {
                for (int q = 0; q < 8; q++) {
                    part[q] += g[p + q];
                }
            }
            float bs = 0.0f;
            for (; p < P; p++) {
                bs += g[p];
            }
            for (int q = 0; q < 8; q++) {
                bs += part[q];
            }
            l->bias->g[co] += bs;
            int fast = kh == 3 && kw == 3 && ow >= 8;
            if (fast) {
                /* nine independent 8-lane accumulators, one per tap (a single one would make
                 * every multiply-add wait for the previous); a row's last, partial vector is
                 * the row's last 8 values with the ones already counted masked to 0 */
                pt__v8 a0 = v8_set1(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
                       a7 = a0, a8 = a0;
                uint32_t rem = ow % 8;
                pt__v8 tail_mask;
                for (int q = 0; q < 8; q++) {
                    tail_mask[q] = q >= 8 - (int)rem ? 1.0f : 0.0f;
                }
                for (uint32_t oy = 0; oy < oh; oy++) {
                    const float *r0 = pad + oy * PW, *r1 = r0 + PW, *r2 = r1 + PW;
                    const float *d = g + (size_t)oy * ow;
                    for (uint32_t ox = 0; ox < ow; ox += 8) {
                        pt__v8 dv;
                        if (ox + 8 > ow) {
                            ox = ow - 8;
                            dv = v8_load(d + ox) * tail_mask;
                        } else {
                            dv = v8_load(d + ox);
                        }
                        a0 += dv * v8_load(r0 + ox);
                        a1 += dv * v8_load(r0 + ox + 1);
                        a2 += dv * v8_load(r0 + ox + 2);
                        a3 += dv * v8_load(r1 + ox);
                        a4 += dv * v8_load(r1 + ox + 1);
                        a5 += dv * v8_load(r1 + ox + 2);
                        a6 += dv * v8_load(r2 + ox);
                        a7 += dv * v8_load(r2 + ox + 1);
                        a8 += dv * v8_load(r2 + ox + 2);
                    }
                }
                wg[0] += v8_sum(a0);
                wg[1] += v8_sum(a1);
                wg[2] += v8_sum(a2);
                wg[3] += v8_sum(a3);
                wg[4] += v8_sum(a4);
                wg[5] += v8_sum(a5);
                wg[6] += v8_sum(a6);
                wg[7] += v8_sum(a7);
                wg[8] += v8_sum(a8);
            }
            for (uint32_t i = 0; i < kh && !fast; i++) {
                for (uint32_t j = 0; j < kw; j++) {
                    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, tail = 0.0f;
                    for (uint32_t oy = 0; oy < oh; oy++) {
                        const float *restrict r = pad + (oy + i) * PW + j;
                        const float *restrict d = g + (size_t)oy * ow;
                        uint32_t ox = 0;
                        for (; ox + 8 <= ow; ox += 8) {
                            for (int q = 0; q < 8; q++) {
                                acc[q] += d[ox + q] * r[ox + q];
                            }
                        }
                        for (; ox < ow; ox++) {
                            tail += d[ox] * r[ox];
                        }
                    }
                    for (int q = 0; q < 8; q++) {
                        tail += acc[q];
                    }
                    wg[i * kw + j] += tail;
                }
            }
            if (dpad != NULL) {
                for (uint32_t oy = 0; oy < oh; oy++) {
                    const float *restrict d = g + (size_t)oy * ow;
                    for (uint32_t i = 0; i < kh; i++) {
                        for (uint32_t j = 0; j < kw; j++) {
                            float *restrict r = dpad + (oy + i) * PW + j;
                            float wv = wt[i * kw + j];
                            for (uint32_t ox = 0; ox < ow; ox++) {
                                r[ox] += wv * d[ox];
                            }
                        }
                    }
                }
            }
        }
        if (dpad != NULL) {
            for (uint32_t iy = 0; iy < H; iy++) {
                memcpy(l->dx.data + ((size_t)b * H + iy) * W, dpad + (iy + l->ph) * PW + l->pw,
                       W * sizeof(float));
            }
        }
    }
    return PT_OK;
}

static int conv_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, uint32_t oh, uint32_t ow) {
    if (full_width(l, x->w)) {
        return conv_forward_full(ctx, l, x, oh);
    }
    if (direct_conv(l, x->w)) {
        return conv_forward_direct(ctx, l, x, oh, ow);
    }
    uint32_t n = x->n;
    size_t P = (size_t)oh * ow, NP = (size_t)n * P, K = (size_t)l->cin * l->kh * l->kw;
    if (pt__tensor_reshape(ctx, &l->cols, 1, 1, (uint32_t)K, (uint32_t)NP) != PT_OK ||
        pt__tensor_reshape(ctx, &l->tmp, 1, 1, l->cout, (uint32_t)NP) != PT_OK ||
        pt__tensor_reshape(ctx, &l->y, n, l->cout, oh, ow) != PT_OK) {
        return PT_ENOMEM;
    }
    im2col(l, x, oh, ow, l->cols.data);
    /* y[s] (cout x P, NCHW) = bias + W cols[:, s*P ..]: one GEMM per image straight into the
     * output, no scatter of a cout x n*P product and no separate zeroing of it */
    for (uint32_t s = 0; s < n; s++) {
        float *ys = l->y.data + (size_t)s * l->cout * P;
        for (uint32_t co = 0; co < l->cout; co++) {
            float b = l->bias->w[co];
            float *restrict dst = ys + (size_t)co * P;
            for (size_t p = 0; p < P; p++) {
                dst[p] = b;
            }
        }
        pt__sgemm(0, 0, l->cout, P, K, 1.0f, l->wt->w, K, l->cols.data + (size_t)s * P, NP, 1.0f,
                  ys, P);
    }
    return PT_OK;
}

/* Backward: dtmp gathered from dy; db += row sums; dW += dtmp cols^T; dcols = W^T dtmp;
 * dx = col2im(dcols). */
static int conv_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx) {
    if (full_width(l, l->x->w)) {
        return conv_backward_full(ctx, l, dy, want_dx);
    }
    if (direct_conv(l, l->x->w)) {
        return conv_backward_direct(ctx, l, dy, want_dx);
    }
    uint32_t n = dy->n, oh = dy->h, ow = dy->w;
    size_t P = (size_t)oh * ow, NP = (size_t)n * P, K = (size_t)l->cin * l->kh * l->kw;
    float *dtmp = l->tmp.data; /* the forward's tmp is no longer needed */
    for (uint32_t co = 0; co < l->cout; co++) {
        double sum = 0.0;
        for (uint32_t s = 0; s < n; s++) {
            const float *restrict src = dy->data + ((size_t)s * l->cout + co) * P;
            float *restrict dst = dtmp + co * NP + (size_t)s * P;
            float part[8] = {0, 0, 0, 0, 0, 0, 0, 0}; /* 8 lanes: a vectorisable reduction */
            memcpy(dst, src, P * sizeof(float));
            size_t p = 0;
            for (; p + 8 <= P; p += 8) {
                for (int q = 0; q < 8; q++) {
                    part[q] += src[p + q];
                }
            }
            for (; p < P; p++) {
                part[0] += src[p];
            }
            for (int q = 0; q < 8; q++) {
                sum += part[q];
            }
        }
        l->bias->g[co] += (float)sum;
    }
    pt__sgemm(0, 1, l->cout, K, NP, 1.0f, dtmp, NP, l->cols.data, NP, 1.0f, l->wt->g, K);
    if (!want_dx) {
        return PT_OK;
    }
    const pt__tensor *x = l->x;
    if (pt__tensor_reshape(ctx, &l->dcols, 1, 1, (uint32_t)K, (uint32_t)NP) != PT_OK ||
        pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK) {
        return PT_ENOMEM;
    }
    pt__sgemm(1, 0, K, NP, l->cout, 1.0f, l->wt->w, K, dtmp, NP, 0.0f, l->dcols.data, NP);
    memset(l->dx.data, 0, pt__tensor_size(&l->dx) * sizeof(float));
    col2im(l, l->dcols.data, oh, ow, &l->dx);
    return PT_OK;
}

/* ======================================================================= dense ========== */

static int dense_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x) {
    uint32_t n = x->n;
    if (pt__tensor_reshape(ctx, &l->y, n, l->out_f, 1, 1) != PT_OK) {
        return PT_ENOMEM;
    }
    for (uint32_t s = 0; s < n; s++) {
        memcpy(l->y.data + (size_t)s * l->out_f, l->bias->w, l->out_f * sizeof(float));
    }
    pt__sgemm(0, 1, n, l->out_f, l->in_f, 1.0f, x->data, l->in_f, l->wt->w, l->in_f, 1.0f,
              l->y.data, l->out_f);
    return PT_OK;
}

static int dense_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx) {
    const pt__tensor *x = l->x;
    uint32_t n = dy->n;
    pt__sgemm(1, 0, l->out_f, l->in_f, n, 1.0f, dy->data, l->out_f, x->data, l->in_f, 1.0f,
              l->wt->g, l->in_f);
    for (uint32_t s = 0; s < n; s++) {
        const float *d = dy->data + (size_t)s * l->out_f;
        for (uint32_t o = 0; o < l->out_f; o++) {
            l->bias->g[o] += d[o];
        }
    }
    if (!want_dx) {
        return PT_OK;
    }
    if (pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK) {
        return PT_ENOMEM;
    }
    pt__sgemm(0, 0, n, l->in_f, l->out_f, 1.0f, dy->data, l->out_f, l->wt->w, l->in_f, 0.0f,
              l->dx.data, l->in_f);
    return PT_OK;
}

/* ======================================================================= pooling ======== */

/* Max over non-overlapping ph x pw windows; arg keeps the winner's offset in its plane. */
PT__SIMD static int pool_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, uint32_t oh, uint32_t ow) {
    uint32_t H = x->h, W = x->w;
    uint32_t ph = l->pool_h ? l->pool_h : H, pw = l->pool_w ? l->pool_w : W;
    if (pt__tensor_reshape(ctx, &l->y, x->n, x->c, oh, ow) != PT_OK ||
        ensure_arg(ctx, l, pt__tensor_size(&l->y)) != PT_OK) {
        return PT_ENOMEM;
    }
    size_t planes = (size_t)x->n * x->c;
    if (ph == 2 && pw == 2 && H % 2 == 0 && W % 2 == 0) {
        /* 2x2 windows tiling the input: the max only (vectorised); the backward pass finds the
         * winner again from x and y (the first of a, b, c, d equal to the max) */
        for (size_t pl = 0; pl < planes; pl++) {
            const float *src = x->data + pl * H * W;
            float *restrict dst = l->y.data + pl * oh * ow;
            for (uint32_t oy = 0; oy < oh; oy++) {
                const float *restrict r0 = src + (size_t)(2 * oy) * W, *restrict r1 = r0 + W;
                float *restrict o = dst + (size_t)oy * ow;
                for (uint32_t ox = 0; ox < ow; ox++) {
                    float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
                    float m1 = b > a ? b : a, m2 = d > c ? d : c;
                    o[ox] = m2 > m1 ? m2 : m1;
                }
            }
        }
        return PT_OK;
    }
    if (ph == 2 && pw == 2) {
        /* the common case, branch-free: the winner of each 2x2 window and its offset */
        for (size_t pl = 0; pl < planes; pl++) {
            const float *src = x->data + pl * H * W;
            float *restrict dst = l->y.data + pl * oh * ow;
            uint32_t *restrict arg = l->arg + pl * oh * ow;
            for (uint32_t oy = 0; oy < oh; oy++) {
                const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
                for (uint32_t ox = 0; ox < ow; ox++) {
                    uint32_t x0 = 2 * ox;
                    float a = r0[x0], b = r0[x0 + 1], c = r1[x0], d = r1[x0 + 1];
                    uint32_t ia = 2 * oy * W + x0, ib = ia + 1, ic = ia + W, id = ic + 1;
                    float m1 = b > a ? b : a, m2 = d > c ? d : c;
                    uint32_t i1 = b > a ? ib : ia, i2 = d > c ? id : ic;
                    dst[oy * ow + ox] = m2 > m1 ? m2 : m1;
                    arg[oy * ow + ox] = m2 > m1 ? i2 : i1;
                }
            }
        }
        return PT_OK;
    }
    for (size_t pl = 0; pl < planes; pl++) {
        const float *src = x->data + pl * H * W;
        float *dst = l->y.data + pl * oh * ow;
        uint32_t *arg = l->arg + pl * oh * ow;
        for (uint32_t oy = 0; oy < oh; oy++) {
            for (uint32_t ox = 0; ox < ow; ox++) {
                uint32_t best = oy * ph * W + ox * pw;
                float bv = src[best];
                for (uint32_t i = 0; i < ph; i++) {
                    const float *r = src + (size_t)(oy * ph + i) * W + ox * pw;
                    for (uint32_t j = 0; j < pw; j++) {
                        if (r[j] > bv) {
                            bv = r[j];
                            best = (oy * ph + i) * W + ox * pw + j;
                        }
                    }
                }
                dst[oy * ow + ox] = bv;
                arg[oy * ow + ox] = best;
            }
        }
    }
    return PT_OK;
}

PT__SIMD static int pool_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy) {
    const pt__tensor *x = l->x;
    if (pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK) {
        return PT_ENOMEM;
    }
    size_t planes = (size_t)x->n * x->c, in_p = (size_t)x->h * x->w, out_p = (size_t)dy->h * dy->w;
    if (l->pool_h == 2 && l->pool_w == 2 && x->h % 2 == 0 && x->w % 2 == 0) {
        /* windows tile the input exactly: write every dx value once, no memset or scatter; the
         * winner is the first of a, b, c, d equal to the window's max (as the forward chose) */
        uint32_t W = x->w, ow = dy->w;
        for (size_t pl = 0; pl < planes; pl++) {
            float *restrict d = l->dx.data + pl * in_p;
            const float *restrict g = dy->data + pl * out_p;
            const float *restrict ym = l->y.data + pl * out_p;
            const float *restrict xs = x->data + pl * in_p;
            for (uint32_t oy = 0; oy < dy->h; oy++) {
                const float *r0 = xs + (size_t)2 * oy * W, *r1 = r0 + W;
                float *restrict d0 = d + (size_t)2 * oy * W, *restrict d1 = d0 + W;
                const float *gr = g + (size_t)oy * ow, *yr = ym + (size_t)oy * ow;
                if (ow >= 8) {
                    /* 8 windows at a time: split even and odd columns, pick, interleave back;
                     * the last vector overlaps the previous (writing the same values again) */
                    const pt__v8i EV = {0, 2, 4, 6, 8, 10, 12, 14}, OD = {1, 3, 5, 7, 9, 11, 13, 15};
                    const pt__v8i LO = {0, 8, 1, 9, 2, 10, 3, 11}, HI = {4, 12, 5, 13, 6, 14, 7, 15};
                    for (uint32_t ox = 0; ox < ow; ox += 8) {
                        if (ox + 8 > ow) {
                            ox = ow - 8;
                        }
                        pt__v8 p0 = v8_load(r0 + 2 * ox), p1 = v8_load(r0 + 2 * ox + 8);
                        pt__v8 q0 = v8_load(r1 + 2 * ox), q1 = v8_load(r1 + 2 * ox + 8);
                        pt__v8 a = __builtin_shuffle(p0, p1, EV), b = __builtin_shuffle(p0, p1, OD);
                        pt__v8 c = __builtin_shuffle(q0, q1, EV); /* the odd one wins otherwise */
                        pt__v8 m = v8_load(yr + ox);
                        pt__v8i v = (pt__v8i)v8_load(gr + ox);
                        pt__v8i ea = a == m, eb = (b == m) & ~ea, ec = (c == m) & ~ea & ~eb;
                        pt__v8i ed = ~(ea | eb | ec);
                        pt__v8 da = (pt__v8)(ea & v), db = (pt__v8)(eb & v);
                        pt__v8 dc = (pt__v8)(ec & v), dd = (pt__v8)(ed & v);
                        v8_store(d0 + 2 * ox, __builtin_shuffle(da, db, LO));
                        v8_store(d0 + 2 * ox + 8, __builtin_shuffle(da, db, HI));
                        v8_store(d1 + 2 * ox, __builtin_shuffle(dc, dd, LO));
                        v8_store(d1 + 2 * ox + 8, __builtin_shuffle(dc, dd, HI));
                    }
                    continue;
                }
                for (uint32_t ox = 0; ox < ow; ox++) {
                    float v = gr[ox], m = yr[ox];
                    int ea = r0[2 * ox] == m, eb = !ea && r0[2 * ox + 1] == m;
                    int ec = !ea && !eb && r1[2 * ox] == m;
                    int ed = !ea && !eb && !ec;
                    d0[2 * ox] = ea ? v : 0.0f;
                    d0[2 * ox + 1] = eb ? v : 0.0f;
                    d1[2 * ox] = ec ? v : 0.0f;
                    d1[2 * ox + 1] = ed ? v : 0.0f;
                }
            }
        }
        return PT_OK;
    }
    memset(l->dx.data, 0, pt__tensor_size(&l->dx) * sizeof(float));
    for (size_t pl = 0; pl < planes; pl++) {
        float *d = l->dx.data + pl * in_p;
        const float *g = dy->data + pl * out_p;
        const uint32_t *arg = l->arg + pl * out_p;
        for (size_t k = 0; k < out_p; k++) {
            d[arg[k]] += g[k];
        }
    }
    return PT_OK;
}

/* Average over ph x pw windows (floor; cells outside every window get no gradient). */
static int avg_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, uint32_t oh, uint32_t ow) {
    uint32_t H = x->h, W = x->w;
    uint32_t ph = l->pool_h ? l->pool_h : H, pw = l->pool_w ? l->pool_w : W;
    if (pt__tensor_reshape(ctx, &l->y, x->n, x->c, oh, ow) != PT_OK) {
        return PT_ENOMEM;
    }
    float inv = 1.0f / (float)(ph * pw);
    size_t planes = (size_t)x->n * x->c;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *src = x->data + pl * H * W;
        float *dst = l->y.data + pl * oh * ow;
        for (uint32_t oy = 0; oy < oh; oy++) {
            for (uint32_t ox = 0; ox < ow; ox++) {
                float s = 0.0f;
                for (uint32_t i = 0; i < ph; i++) {
                    const float *r = src + (size_t)(oy * ph + i) * W + ox * pw;
                    for (uint32_t j = 0; j < pw; j++) {
                        s += r[j];
                    }
                }
                dst[oy * ow + ox] = s * inv;
            }
        }
    }
    return PT_OK;
}

/* Each window's gradient spread evenly over its cells. */
static int avg_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy) {
    const pt__tensor *x = l->x;
    uint32_t H = x->h, W = x->w, oh = dy->h, ow = dy->w;
    uint32_t ph = l->pool_h ? l->pool_h : H, pw = l->pool_w ? l->pool_w : W;
    if (pt__tensor_reshape(ctx, &l->dx, x->n, x->c, H, W) != PT_OK) {
        return PT_ENOMEM;
    }
    memset(l->dx.data, 0, pt__tensor_size(&l->dx) * sizeof(float));
    float inv = 1.0f / (float)(ph * pw);
    size_t planes = (size_t)x->n * x->c;
    for (size_t pl = 0; pl < planes; pl++) {
        float *d = l->dx.data + pl * H * W;
        const float *g = dy->data + pl * oh * ow;
        for (uint32_t oy = 0; oy < oh; oy++) {
            for (uint32_t ox = 0; ox < ow; ox++) {
                float v = g[oy * ow + ox] * inv;
                for (uint32_t i = 0; i < ph; i++) {
                    float *r = d + (size_t)(oy * ph + i) * W + ox * pw;
                    for (uint32_t j = 0; j < pw; j++) {
                        r[j] += v;
                    }
                }
            }
        }
    }
    return PT_OK;
}

/* ======================================================================= batch norm ===== */

/* Sums over one plane in 8 float lanes (a reduction the vectoriser can do without -ffast-math),
 * returned in double; planes are at most a few thousand values, so float lanes lose nothing
 * that matters and the per-channel totals are accumulated in double by the callers. */
static inline __attribute__((always_inline)) double lane_sum(const float *restrict p, size_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        for (int q = 0; q < 8; q++) {
            acc[q] += p[k + q];
        }
    }
    double s = 0.0;
    for (; k < n; k++) {
        s += p[k];
    }
    for (int q = 0; q < 8; q++) {
        s += acc[q];
    }
    return s;
}

/* Sum of (p - mu)^2 over a plane, 8 lanes. */
static inline __attribute__((always_inline)) double lane_sumsq(const float *restrict p, size_t n, float mu) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        for (int q = 0; q < 8; q++) {
            float d = p[k + q] - mu;
            acc[q] += d * d;
        }
    }
    double s = 0.0;
    for (; k < n; k++) {
        double d = (double)p[k] - mu;
        s += d * d;
    }
    for (int q = 0; q < 8; q++) {
        s += acc[q];
    }
    return s;
}

/* Dot product of two planes, 8 lanes. */
static inline __attribute__((always_inline)) double lane_dot(const float *restrict a, const float *restrict b, size_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        for (int q = 0; q < 8; q++) {
            acc[q] += a[k + q] * b[k + q];
        }
    }
    double s = 0.0;
    for (; k < n; k++) {
        s += (double)a[k] * b[k];
    }
    for (int q = 0; q < 8; q++) {
        s += acc[q];
    }
    return s;
}

/* Per-channel sums of x over its samples and planes (one shard's part of the batch mean). */
PT__SIMD void pt__bn_shard_sum(const pt__tensor *x, double *sum) {
    uint32_t n = x->n, C = x->c;
    size_t P = (size_t)x->h * x->w;
    for (uint32_t c = 0; c < C; c++) {
        double s = 0.0;
        for (uint32_t b = 0; b < n; b++) {
            s += lane_sum(x->data + ((size_t)b * C + c) * P, P);
        }
        sum[c] = s;
    }
}

/* Per-channel sums of (x - mean)^2 (one shard's part of the batch variance). */
PT__SIMD void pt__bn_shard_sumsq(const pt__tensor *x, const float *mean, double *sq) {
    uint32_t n = x->n, C = x->c;
    size_t P = (size_t)x->h * x->w;
    for (uint32_t c = 0; c < C; c++) {
        double s2 = 0.0;
        for (uint32_t b = 0; b < n; b++) {
            s2 += lane_sumsq(x->data + ((size_t)b * C + c) * P, P, mean[c]);
        }
        sq[c] = s2;
    }
}

/* Move the running statistics towards a batch's mean and variance (sum of squared deviations
 * s2 over m values; the unbiased variance, as PyTorch). */
void pt__bn_update_running(pt__layer *l, const float *mean, const double *s2, size_t m) {
    float mo = l->bn_momentum;
    for (uint32_t c = 0; c < l->cin; c++) {
        double unb = m > 1 ? s2[c] / (double)(m - 1) : s2[c] / (double)(m ? m : 1);
        l->run_mean->w[c] = (1.0f - mo) * l->run_mean->w[c] + mo * mean[c];
        l->run_var->w[c] = (1.0f - mo) * l->run_var->w[c] + mo * (float)unb;
    }
}

/* y = gamma * (x - mean) * inv + beta with the given per-channel statistics; x-hat kept in tmp
 * and (mean, inv) in stat for the backward pass. */
PT__SIMD int pt__bn_shard_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, const float *mean,
                         const float *inv, int train) {
    uint32_t n = x->n, C = x->c;
    size_t P = (size_t)x->h * x->w;
    if (pt__tensor_reshape(ctx, &l->y, n, C, x->h, x->w) != PT_OK ||
        pt__tensor_reshape(ctx, &l->tmp, n, C, x->h, x->w) != PT_OK) {
        return PT_ENOMEM;
    }
    l->x = x;
    l->train = train;
    for (uint32_t c = 0; c < C; c++) {
        float mu = mean[c], iv = inv[c];
        l->stat[2 * c] = mu;
        l->stat[2 * c + 1] = iv;
        float g = l->gamma->w[c], be = l->beta->w[c];
        for (uint32_t b = 0; b < n; b++) {
            size_t off = ((size_t)b * C + c) * P;
            const float *restrict p = x->data + off;
            float *restrict xh = l->tmp.data + off, *restrict y = l->y.data + off;
            for (size_t k = 0; k < P; k++) {
                xh[k] = (p[k] - mu) * iv;
                y[k] = g * xh[k] + be;
            }
        }
    }
    return PT_OK;
}

/* Training: normalise with the batch's per-channel mean and biased variance, keep x-hat in tmp
 * and (mean, 1/std) in stat, move the running statistics (unbiased variance, as PyTorch).
 * Evaluation: use the running statistics. */
static int bn_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, int train) {
    uint32_t C = x->c;
    size_t M = (size_t)x->n * x->h * x->w;
    float *mean = pt__malloc(ctx, 2 * (size_t)C * sizeof(float));
    double *acc = pt__malloc(ctx, (size_t)C * sizeof(double));
    int rc = PT_OK;
    if (mean == NULL || acc == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "batchnorm statistics");
        goto done;
    }
    float *inv = mean + C;
    if (train) {
        pt__bn_shard_sum(x, acc);
        for (uint32_t c = 0; c < C; c++) {
            mean[c] = (float)(acc[c] / (double)M);
        }
        pt__bn_shard_sumsq(x, mean, acc);
        for (uint32_t c = 0; c < C; c++) {
            inv[c] = (float)(1.0 / sqrt(acc[c] / (double)M + l->bn_eps));
        }
        pt__bn_update_running(l, mean, acc, M);
    } else {
        for (uint32_t c = 0; c < C; c++) {
            mean[c] = l->run_mean->w[c];
            inv[c] = 1.0f / sqrtf(l->run_var->w[c] + l->bn_eps);
        }
    }
    rc = pt__bn_shard_forward(ctx, l, x, mean, inv, train);
done:
    pt__free(ctx, mean);
    pt__free(ctx, acc);
    return rc;
}

/* Per-channel sums of dy and of dy * x-hat over one shard (the batch's dbeta and dgamma). */
PT__SIMD void pt__bn_shard_grad_sums(const pt__layer *l, const pt__tensor *dy, double *sb, double *sg) {
    uint32_t n = dy->n, C = dy->c;
    size_t P = (size_t)dy->h * dy->w;
    for (uint32_t c = 0; c < C; c++) {
        double b0 = 0.0, g0 = 0.0;
        for (uint32_t b = 0; b < n; b++) {
            size_t off = ((size_t)b * C + c) * P;
            b0 += lane_sum(dy->data + off, P);
            g0 += lane_dot(dy->data + off, l->tmp.data + off, P);
        }
        sb[c] = b0;
        sg[c] = g0;
    }
}

/* dx from the whole batch's sums sb, sg over m values: training dx = g*inv/m * (m dy - dbeta -
 * xhat dgamma); evaluation (fixed statistics) dx = g*inv*dy. */
PT__SIMD int pt__bn_shard_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, const double *sb,
                          const double *sg, size_t m) {
    uint32_t n = dy->n, C = dy->c;
    size_t P = (size_t)dy->h * dy->w;
    if (pt__tensor_reshape(ctx, &l->dx, n, C, dy->h, dy->w) != PT_OK) {
        return PT_ENOMEM;
    }
    for (uint32_t c = 0; c < C; c++) {
        float g = l->gamma->w[c], inv = l->stat[2 * c + 1];
        if (l->train) {
            float a = g * inv / (float)m, fb = (float)sb[c], fg = (float)sg[c], fm = (float)m;
            for (uint32_t b = 0; b < n; b++) {
                size_t off = ((size_t)b * C + c) * P;
                const float *restrict d = dy->data + off, *restrict xh = l->tmp.data + off;
                float *restrict o = l->dx.data + off;
                for (size_t k = 0; k < P; k++) {
                    o[k] = a * (fm * d[k] - fb - xh[k] * fg);
                }
            }
        } else {
            for (uint32_t b = 0; b < n; b++) {
                size_t off = ((size_t)b * C + c) * P;
                for (size_t k = 0; k < P; k++) {
                    l->dx.data[off + k] = g * inv * dy->data[off + k];
                }
            }
        }
    }
    return PT_OK;
}

/* dbeta = sum dy, dgamma = sum dy*xhat, then dx (pt__bn_shard_backward). */
static int bn_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx) {
    uint32_t C = dy->c;
    double *acc = pt__malloc(ctx, 2 * (size_t)C * sizeof(double));
    if (acc == NULL) {
        return pt__error(ctx, PT_ENOMEM, "batchnorm gradient sums");
    }
    pt__bn_shard_grad_sums(l, dy, acc, acc + C);
    for (uint32_t c = 0; c < C; c++) {
        l->beta->g[c] += (float)acc[c];
        l->gamma->g[c] += (float)acc[C + c];
    }
    int rc = PT_OK;
    if (want_dx) {
        rc = pt__bn_shard_backward(ctx, l, dy, acc, acc + C, (size_t)dy->n * dy->h * dy->w);
    }
    pt__free(ctx, acc);
    return rc;
}

/* ======================================================================= dispatch ======= */

PT__SIMD int pt__layer_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, int train, pt__rng *rng,
                      const pt__tensor **y) {
    uint32_t oc, oh, ow;
    int rc = pt__layer_out_shape(ctx, l, x->c, x->h, x->w, &oc, &oh, &ow);
    *y = NULL;
    if (rc != PT_OK) {
        return rc;
    }
    if (x->n == 0) {
        return pt__error(ctx, PT_EINVAL, "%s: empty batch", kind_name(l->kind));
    }
    l->x = x;
    l->train = train;
    size_t sz = pt__tensor_size(x);
    switch (l->kind) {
    case PT__L_CONV2D:
        rc = conv_forward(ctx, l, x, oh, ow);
        break;
    case PT__L_DENSE:
        rc = dense_forward(ctx, l, x);
        break;
    case PT__L_RELU:
    case PT__L_TANH:
        if (pt__tensor_reshape(ctx, &l->y, x->n, x->c, x->h, x->w) != PT_OK) {
            return PT_ENOMEM;
        }
        {
            /* restrict locals: the compiler may not otherwise assume y and x are distinct */
            const float *restrict xs = x->data;
            float *restrict ys = l->y.data;
            if (l->kind == PT__L_RELU) {
                for (size_t i = 0; i < sz; i++) {
                    float v = xs[i];
                    ys[i] = v > 0.0f ? v : 0.0f;
                }
            } else {
                for (size_t i = 0; i < sz; i++) {
                    ys[i] = tanhf(xs[i]);
                }
            }
        }
        break;
    case PT__L_MAXPOOL:
        rc = pool_forward(ctx, l, x, oh, ow);
        break;
    case PT__L_AVGPOOL:
        rc = avg_forward(ctx, l, x, oh, ow);
        break;
    case PT__L_DROPOUT:
        if (!train || l->p == 0.0f) {
            *y = x; /* identity: pass the input through */
            return PT_OK;
        }
        if (sz > l->mask_cap) {
            uint8_t *m = pt__realloc(ctx, l->mask, sz);
            if (m == NULL) {
                return pt__error(ctx, PT_ENOMEM, "dropout mask");
            }
            l->mask = m;
            l->mask_cap = sz;
        }
        if (rng == NULL) {
            return pt__error(ctx, PT_EINVAL, "dropout: training needs an rng");
        }
        if (pt__tensor_reshape(ctx, &l->y, x->n, x->c, x->h, x->w) != PT_OK) {
            return PT_ENOMEM;
        }
        {
            float scale = 1.0f / (1.0f - l->p);
            uint32_t thr = (uint32_t)(l->p * 4294967296.0);
            for (size_t i = 0; i < sz; i++) {
                l->mask[i] = (uint32_t)(pt__rng_next(rng) >> 32) >= thr;
                l->y.data[i] = l->mask[i] ? x->data[i] * scale : 0.0f;
            }
        }
        break;
    case PT__L_BATCHNORM:
        rc = bn_forward(ctx, l, x, train);
        break;
    default:
        return pt__error(ctx, PT_EINVAL, "%s: no tensor forward", kind_name(l->kind));
    }
    if (rc == PT_OK) {
        *y = &l->y;
    }
    return rc;
}

PT__SIMD int pt__layer_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx,
                       const pt__tensor **dx) {
    int rc = PT_OK;
    if (dx != NULL) {
        *dx = NULL;
    }
    if (l->x == NULL) {
        return pt__error(ctx, PT_EINVAL, "%s: backward before forward", kind_name(l->kind));
    }
    const pt__tensor *x = l->x;
    size_t sz = pt__tensor_size(x);
    switch (l->kind) {
    case PT__L_CONV2D:
        rc = conv_backward(ctx, l, dy, want_dx);
        break;
    case PT__L_DENSE:
        rc = dense_backward(ctx, l, dy, want_dx);
        break;
    case PT__L_RELU:
    case PT__L_TANH:
        if (!want_dx) {
            break;
        }
        if (pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK) {
            return PT_ENOMEM;
        }
        {
            const float *restrict ys = l->y.data, *restrict ds = dy->data;
            float *restrict out = l->dx.data;
            if (l->kind == PT__L_RELU) {
                for (size_t i = 0; i < sz; i++) {
                    float d = ds[i]; /* loaded unconditionally, so the loop vectorises */
                    out[i] = ys[i] > 0.0f ? d : 0.0f;
                }
            } else {
                for (size_t i = 0; i < sz; i++) {
                    out[i] = ds[i] * (1.0f - ys[i] * ys[i]);
                }
            }
        }
        break;
    case PT__L_MAXPOOL:
        if (want_dx) {
            rc = pool_backward(ctx, l, dy);
        }
        break;
    case PT__L_AVGPOOL:
        if (want_dx) {
            rc = avg_backward(ctx, l, dy);
        }
        break;
    case PT__L_DROPOUT:
        if (!l->train || l->p == 0.0f) {
            if (dx != NULL) {
                *dx = dy;
            }
            return PT_OK;
        }
        if (!want_dx) {
            break;
        }
        if (pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK) {
            return PT_ENOMEM;
        }
        {
            float scale = 1.0f / (1.0f - l->p);
            for (size_t i = 0; i < sz; i++) {
                l->dx.data[i] = l->mask[i] ? dy->data[i] * scale : 0.0f;
            }
        }
        break;
    case PT__L_BATCHNORM:
        rc = bn_backward(ctx, l, dy, want_dx);
        break;
    default:
        return pt__error(ctx, PT_EINVAL, "%s: no tensor backward", kind_name(l->kind));
    }
    if (rc == PT_OK && want_dx && dx != NULL) {
        *dx = &l->dx;
    }
    return rc;
}

/* ======================================================================= embedding ====== */

int pt__embedding_forward(pt_ctx *ctx, pt__layer *l, const uint32_t *ids, uint32_t n, uint32_t len,
                          const pt__tensor **y) {
    *y = NULL;
    size_t m = (size_t)n * len;
    if (ensure_arg(ctx, l, m) != PT_OK ||
        pt__tensor_reshape(ctx, &l->y, n, 1, len, l->dim) != PT_OK) {
        return PT_ENOMEM;
    }
    for (size_t i = 0; i < m; i++) {
        if (ids[i] >= l->n_rows) {
            return pt__error(ctx, PT_EINVAL, "embedding: id %u out of range (%u rows)", ids[i],
                             l->n_rows);
        }
        l->arg[i] = ids[i];
        memcpy(l->y.data + i * l->dim, l->wt->w + (size_t)ids[i] * l->dim,
               l->dim * sizeof(float));
    }
    l->x = &l->y; /* marks "forward done" for symmetry with the other layers */
    *y = &l->y;
    return PT_OK;
}

int pt__embedding_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy) {
    size_t m = (size_t)dy->n * dy->h;
    if (dy->w != l->dim || dy->c != 1) {
        return pt__error(ctx, PT_EINVAL, "embedding: gradient shape does not match the forward");
    }
    for (size_t i = 0; i < m; i++) {
        float *g = pt__param_row_grad(l->wt, l->arg[i]);
        const float *d = dy->data + i * l->dim;
        for (uint32_t k = 0; k < l->dim; k++) {
            g[k] += d[k];
        }
    }
    return PT_OK;
}
