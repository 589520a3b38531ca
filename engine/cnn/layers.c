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
PT__NO_MEMCPY_IDIOM static void im2col(const pt__layer *l, const pt__tensor *x, uint32_t oh, uint32_t ow, float *cols) {
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
static void col2im(const pt__layer *l, const float *dcols, uint32_t oh, uint32_t ow,
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

static int conv_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, uint32_t oh, uint32_t ow) {
    if (full_width(l, x->w)) {
        return conv_forward_full(ctx, l, x, oh);
    }
    uint32_t n = x->n;
    size_t P = (size_t)oh * ow, NP = (size_t)n * P, K = (size_t)l->cin * l->kh * l->kw;
    if (pt__tensor_reshape(ctx, &l->cols, 1, 1, (uint32_t)K, (uint32_t)NP) != PT_OK ||
        pt__tensor_reshape(ctx, &l->tmp, 1, 1, l->cout, (uint32_t)NP) != PT_OK ||
        pt__tensor_reshape(ctx, &l->y, n, l->cout, oh, ow) != PT_OK) {
        return PT_ENOMEM;
    }
    im2col(l, x, oh, ow, l->cols.data);
    pt__sgemm(0, 0, l->cout, NP, K, 1.0f, l->wt->w, K, l->cols.data, NP, 0.0f, l->tmp.data, NP);
    for (uint32_t co = 0; co < l->cout; co++) {
        float b = l->bias->w[co];
        const float *src = l->tmp.data + co * NP;
        for (uint32_t s = 0; s < n; s++) {
            float *restrict dst = l->y.data + ((size_t)s * l->cout + co) * P;
            const float *restrict sp = src + (size_t)s * P;
            for (size_t p = 0; p < P; p++) {
                dst[p] = sp[p] + b;
            }
        }
    }
    return PT_OK;
}

/* Backward: dtmp gathered from dy; db += row sums; dW += dtmp cols^T; dcols = W^T dtmp;
 * dx = col2im(dcols). */
static int conv_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx) {
    if (full_width(l, l->x->w)) {
        return conv_backward_full(ctx, l, dy, want_dx);
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
static int pool_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, uint32_t oh, uint32_t ow) {
    uint32_t H = x->h, W = x->w;
    uint32_t ph = l->pool_h ? l->pool_h : H, pw = l->pool_w ? l->pool_w : W;
    if (pt__tensor_reshape(ctx, &l->y, x->n, x->c, oh, ow) != PT_OK ||
        ensure_arg(ctx, l, pt__tensor_size(&l->y)) != PT_OK) {
        return PT_ENOMEM;
    }
    size_t planes = (size_t)x->n * x->c;
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

static int pool_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy) {
    const pt__tensor *x = l->x;
    if (pt__tensor_reshape(ctx, &l->dx, x->n, x->c, x->h, x->w) != PT_OK) {
        return PT_ENOMEM;
    }
    size_t planes = (size_t)x->n * x->c, in_p = (size_t)x->h * x->w, out_p = (size_t)dy->h * dy->w;
    if (l->pool_h == 2 && l->pool_w == 2 && x->h % 2 == 0 && x->w % 2 == 0) {
        /* windows tile the input exactly: write every dx value once, no memset or scatter */
        uint32_t W = x->w, ow = dy->w;
        for (size_t pl = 0; pl < planes; pl++) {
            float *restrict d = l->dx.data + pl * in_p;
            const float *restrict g = dy->data + pl * out_p;
            const uint32_t *restrict arg = l->arg + pl * out_p;
            for (uint32_t oy = 0; oy < dy->h; oy++) {
                for (uint32_t ox = 0; ox < ow; ox++) {
                    uint32_t k = oy * ow + ox, base = 2 * oy * W + 2 * ox, a = arg[k];
                    float v = g[k];
                    d[base] = a == base ? v : 0.0f;
                    d[base + 1] = a == base + 1 ? v : 0.0f;
                    d[base + W] = a == base + W ? v : 0.0f;
                    d[base + W + 1] = a == base + W + 1 ? v : 0.0f;
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
static double lane_sum(const float *restrict p, size_t n) {
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
static double lane_sumsq(const float *restrict p, size_t n, float mu) {
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
static double lane_dot(const float *restrict a, const float *restrict b, size_t n) {
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

/* Training: normalise with the batch's per-channel mean and biased variance, keep x-hat in tmp
 * and (mean, 1/std) in stat, move the running statistics (unbiased variance, as PyTorch).
 * Evaluation: use the running statistics. */
static int bn_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, int train) {
    uint32_t n = x->n, C = x->c;
    size_t P = (size_t)x->h * x->w, M = (size_t)n * P;
    if (pt__tensor_reshape(ctx, &l->y, n, C, x->h, x->w) != PT_OK ||
        pt__tensor_reshape(ctx, &l->tmp, n, C, x->h, x->w) != PT_OK) {
        return PT_ENOMEM;
    }
    for (uint32_t c = 0; c < C; c++) {
        float mean, inv;
        if (train) {
            double s = 0.0, s2 = 0.0;
            for (uint32_t b = 0; b < n; b++) {
                s += lane_sum(x->data + ((size_t)b * C + c) * P, P);
            }
            double mu = s / (double)M;
            for (uint32_t b = 0; b < n; b++) {
                s2 += lane_sumsq(x->data + ((size_t)b * C + c) * P, P, (float)mu);
            }
            double var = s2 / (double)M;
            mean = (float)mu;
            inv = (float)(1.0 / sqrt(var + l->bn_eps));
            float mo = l->bn_momentum;
            double unb = M > 1 ? s2 / (double)(M - 1) : var;
            l->run_mean->w[c] = (1.0f - mo) * l->run_mean->w[c] + mo * mean;
            l->run_var->w[c] = (1.0f - mo) * l->run_var->w[c] + mo * (float)unb;
        } else {
            mean = l->run_mean->w[c];
            inv = 1.0f / sqrtf(l->run_var->w[c] + l->bn_eps);
        }
        l->stat[2 * c] = mean;
        l->stat[2 * c + 1] = inv;
        float g = l->gamma->w[c], be = l->beta->w[c];
        for (uint32_t b = 0; b < n; b++) {
            size_t off = ((size_t)b * C + c) * P;
            const float *restrict p = x->data + off;
            float *restrict xh = l->tmp.data + off, *restrict y = l->y.data + off;
            for (size_t k = 0; k < P; k++) {
                xh[k] = (p[k] - mean) * inv;
                y[k] = g * xh[k] + be;
            }
        }
    }
    return PT_OK;
}

/* dbeta = sum dy, dgamma = sum dy*xhat; training: dx = g*inv/M * (M dy - dbeta - xhat dgamma);
 * evaluation (fixed statistics): dx = g*inv*dy. */
static int bn_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx) {
    uint32_t n = dy->n, C = dy->c;
    size_t P = (size_t)dy->h * dy->w, M = (size_t)n * P;
    if (want_dx && pt__tensor_reshape(ctx, &l->dx, n, C, dy->h, dy->w) != PT_OK) {
        return PT_ENOMEM;
    }
    for (uint32_t c = 0; c < C; c++) {
        double sb = 0.0, sg = 0.0;
        for (uint32_t b = 0; b < n; b++) {
            size_t off = ((size_t)b * C + c) * P;
            sb += lane_sum(dy->data + off, P);
            sg += lane_dot(dy->data + off, l->tmp.data + off, P);
        }
        l->beta->g[c] += (float)sb;
        l->gamma->g[c] += (float)sg;
        if (!want_dx) {
            continue;
        }
        float g = l->gamma->w[c], inv = l->stat[2 * c + 1];
        if (l->train) {
            float a = g * inv / (float)M, fb = (float)sb, fg = (float)sg, fm = (float)M;
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

/* ======================================================================= dispatch ======= */

int pt__layer_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, int train, pt__rng *rng,
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

int pt__layer_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx,
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
