/*
 * nn.h - the internal neural-network layer library (issue 6): float32 NCHW tensors, layers with
 * forward and backward passes, a parameter/gradient registry, SGD with momentum and Adam, losses,
 * a seeded RNG, and a sequential network with a versioned, checksummed model file.
 *
 * Not installed. The image CNN (engine/cnn/cnn.c, public face include/portrait/pt_cnn.h) and the
 * behaviour-sequence CNN build on it; include it as "cnn/nn.h".
 *
 * How to use a layer (every layer works the same way):
 *
 *     pt__params reg;  pt__params_init(&reg);
 *     pt__rng rng;     pt__rng_seed(&rng, 42);
 *     pt__layer *conv; pt__conv2d_new(ctx, &reg, &rng, cin, cout, kh, kw, ph, pw, &conv);
 *     const pt__tensor *y;
 *     pt__layer_forward(ctx, conv, x, 1, &rng, &y);        // x stays valid and unchanged
 *     ... loss gives dy (same shape as y) ...
 *     const pt__tensor *dx;
 *     pt__layer_backward(ctx, conv, dy, 1, &dx);           // accumulates conv's param grads
 *     pt__optim_step(ctx, &opt, &reg);                     // steps every registered param
 *     pt__params_zero_grad(&reg);
 *
 * Shapes. A tensor is n x c x h x w, row-major (NCHW). A dense layer reads its input as
 * n x (c*h*w) and writes n x out x 1 x 1. A Caser horizontal filter of height hgt over the L x d
 * embedding "image" of a sequence is conv2d(cin 1, kh hgt, kw d) on an n x 1 x L x d tensor
 * (output n x F x (L-hgt+1) x 1, then pt__maxpool_new(ctx, 0, 1) = global max over h); a vertical
 * filter is conv2d(cin 1, kh L, kw 1) (output n x F x 1 x d). A 1-D convolution over a sequence
 * with d channels is conv2d with kh = 1 on an n x d x 1 x L tensor.
 *
 * Ownership. A layer owns its output y and input gradient dx (valid until the next forward or
 * backward of that layer, or pt__layer_free). It borrows x from forward to backward: do not free
 * or change x in between. Parameters are owned by the registry they were created in; free the
 * registry (pt__params_free) after the layers that use it. Parameter gradients ACCUMULATE (+=)
 * across backward calls until pt__params_zero_grad, so a parameter may be shared.
 *
 * Threads. GEMMs run on OpenBLAS with pt__nn_set_threads threads; element-wise loops run on the
 * calling thread. One network per thread (layers keep per-call state). Training on all cores is
 * data-parallel instead (pt__dp below, parallel.c): replicas on worker threads, 1-thread GEMMs.
 */
#ifndef PT_CNN_NN_H
#define PT_CNN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* The element-wise loops are written with explicit 8-lane reductions and no contractions
 * (-std=c11: no FMA), so an AVX2 build of them gives the same floats as the SSE2 baseline, only
 * faster: PT__SIMD marks the hot ones for a second, AVX2 copy chosen at load time (GCC's
 * target_clones). Off under the sanitizers: ifunc resolvers run before ASan and TSan are set
 * up (under TSan the resolver's instrumented entry crashed every program at load). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && \
    !defined(PT_NO_SIMD_CLONES)
#define PT__SIMD __attribute__((target_clones("avx2", "default")))
#else
#define PT__SIMD
#endif

/* --- RNG: xoshiro256** seeded by splitmix64 (Vigna, "Scrambled linear PRNGs", 2018) ------- */
typedef struct pt__rng {
    uint64_t s[4];
} pt__rng;

void pt__rng_seed(pt__rng *r, uint64_t seed);
uint64_t pt__rng_next(pt__rng *r);
/* Uniform in [0, 1). */
float pt__rng_uniform(pt__rng *r);
/* Uniform integer in [0, n); n > 0. */
uint32_t pt__rng_below(pt__rng *r, uint32_t n);
/* Standard normal (Box-Muller). */
float pt__rng_normal(pt__rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void pt__rng_shuffle(pt__rng *r, uint32_t *idx, size_t n);

/* --- tensors ------------------------------------------------------------------------------- */
typedef struct pt__tensor {
    float *data; /* n*c*h*w floats, NCHW; owned by whoever owns the tensor struct */
    uint32_t n, c, h, w;
    size_t cap; /* floats allocated; reshape reuses the buffer when it fits */
} pt__tensor;

/* Set the shape, growing the buffer when needed (contents are then undefined). PT_ENOMEM. */
int pt__tensor_reshape(pt_ctx *ctx, pt__tensor *t, uint32_t n, uint32_t c, uint32_t h, uint32_t w);
/* Free the buffer and zero the struct. */
void pt__tensor_free(pt_ctx *ctx, pt__tensor *t);
static inline size_t pt__tensor_size(const pt__tensor *t) {
    return (size_t)t->n * t->c * t->h * t->w;
}

/* --- parameters and the registry ----------------------------------------------------------- */
typedef struct pt__param {
    char name[32];  /* "conv0.w", "bn2.mean": for model files and messages */
    float *w;       /* values, n floats */
    float *g;       /* gradient, n floats; NULL for buffers */
    float *m, *v;   /* optimiser state (momentum / Adam moments), allocated on first step */
    size_t n;
    uint32_t rows, cols; /* the parameter as a rows x cols matrix (a bias is 1 x n) */
    int trainable;  /* 0: a buffer (batch-norm running statistics): saved, never stepped */
    float decay;    /* weight-decay multiplier: 1 for weights, 0 for biases and BN */
    /* Sparse gradients (embedding tables): only the rows in touched[] carry a gradient; the
     * optimiser steps and zero_grad clears only those rows. */
    int sparse;
    uint32_t *touched;
    uint32_t n_touched;
    uint8_t *mark; /* mark[row] = 1 when row is in touched[] */
} pt__param;

typedef struct pt__params {
    pt_ctx *ctx;
    pt__param **items;
    size_t n, cap;
} pt__params;

void pt__params_init(pt__params *reg, pt_ctx *ctx);
/* Free every parameter in the registry. */
void pt__params_free(pt__params *reg);
/* Create a parameter of rows x cols floats (zeroed) in reg; trainable ones get a gradient.
 * *out is owned by reg. */
int pt__params_add(pt__params *reg, const char *name, uint32_t rows, uint32_t cols, int trainable,
                   pt__param **out);
/* Zero every gradient (only the touched rows of sparse parameters). */
void pt__params_zero_grad(pt__params *reg);
/* Total floats in the registry (trainable and buffers). */
size_t pt__params_count(const pt__params *reg);
/* The gradient row `row` of a sparse parameter, marked touched (for code that accumulates into
 * an embedding table by hand, e.g. a sampled output layer). */
float *pt__param_row_grad(pt__param *p, uint32_t row);

/* --- optimisers ---------------------------------------------------------------------------- */
enum { PT__OPT_SGD = 0, PT__OPT_ADAM = 1 };

typedef struct pt__optim {
    int kind;
    float lr;
    float momentum;     /* SGD; 0 = plain SGD */
    float beta1, beta2; /* Adam (Kingma & Ba 2015), defaults 0.9, 0.999 */
    float eps;          /* Adam, default 1e-8 */
    float weight_decay; /* decoupled (AdamW, Loshchilov & Hutter 2019) times each param's decay */
    uint64_t t;         /* steps taken */
} pt__optim;

void pt__optim_sgd(pt__optim *o, float lr, float momentum);
void pt__optim_adam(pt__optim *o, float lr);
/* One step on every trainable parameter in reg from its accumulated gradient. Sparse
 * parameters step only their touched rows (lazy Adam). Does not zero the gradients. */
int pt__optim_step(pt_ctx *ctx, pt__optim *o, pt__params *reg);
/* pt__optim_step in pieces, for threads that each step a slice of the parameters: _begin counts
 * the step, allocates the optimiser state and gives the bias corrections; _step_range steps
 * values [lo, hi) of one dense parameter. */
int pt__optim_begin(pt_ctx *ctx, pt__optim *o, pt__params *reg, float *bc1, float *bc2);
void pt__optim_step_range(const pt__optim *o, pt__param *p, size_t lo, size_t hi, float bc1,
                          float bc2);

/* --- layers -------------------------------------------------------------------------------- */
typedef enum pt__layer_kind {
    PT__L_CONV2D,
    PT__L_DENSE,
    PT__L_RELU,
    PT__L_TANH,
    PT__L_MAXPOOL,
    PT__L_DROPOUT,
    PT__L_BATCHNORM,
    PT__L_EMBEDDING,
    PT__L_AVGPOOL,
} pt__layer_kind;

typedef struct pt__layer {
    pt__layer_kind kind;
    /* configuration */
    uint32_t cin, cout, kh, kw, ph, pw; /* conv: channels, kernel, zero padding (stride 1) */
    uint32_t in_f, out_f;               /* dense: features */
    uint32_t pool_h, pool_w;            /* max/avg pool: window = stride; 0 = the whole axis */
    float p;                            /* dropout rate */
    float bn_momentum, bn_eps;          /* batch norm: running-stat momentum (0.1), eps (1e-5) */
    uint32_t n_rows, dim;               /* embedding: table rows x dim */
    /* parameters (owned by the registry) */
    pt__param *wt, *bias;   /* conv: cout x cin*kh*kw; dense: out x in; embedding: wt only */
    pt__param *gamma, *beta, *run_mean, *run_var; /* batch norm */
    /* per-call state */
    const pt__tensor *x;    /* borrowed input */
    pt__tensor y, dx;       /* owned output and input gradient */
    pt__tensor cols, dcols; /* conv: im2col buffers (K x n*oh*ow) */
    pt__tensor tmp;         /* conv: GEMM output before the NCHW scatter; bn: x-hat */
    uint32_t *arg;          /* maxpool: argmax index per output; embedding: the ids */
    size_t arg_cap;
    uint8_t *mask;          /* dropout: kept units */
    size_t mask_cap;
    float *stat;            /* batch norm: per-channel mean and inverse std of the last batch */
    int train;              /* the last forward was in training mode */
} pt__layer;

/* Conv2d, stride 1, zero padding (ph, pw); weights He-normal (He et al. 2015), bias 0.
 * Input n x cin x h x w -> n x cout x (h+2ph-kh+1) x (w+2pw-kw+1). im2col + one SGEMM per batch. */
int pt__conv2d_new(pt_ctx *ctx, pt__params *reg, pt__rng *rng, uint32_t cin, uint32_t cout,
                   uint32_t kh, uint32_t kw, uint32_t ph, uint32_t pw, pt__layer **out);
/* Dense: y = x W^T + b; input read as n x in_f. He-normal weights. */
int pt__dense_new(pt_ctx *ctx, pt__params *reg, pt__rng *rng, uint32_t in_f, uint32_t out_f,
                  pt__layer **out);
int pt__relu_new(pt_ctx *ctx, pt__layer **out);
int pt__tanh_new(pt_ctx *ctx, pt__layer **out);
/* Max pooling with window = stride = (ph, pw), floor division; ph or pw 0 pools the whole axis
 * (pt__maxpool_new(ctx, 0, 1) is a global max over h, (0, 0) over h and w). */
int pt__maxpool_new(pt_ctx *ctx, uint32_t ph, uint32_t pw, pt__layer **out);
/* Average pooling, the same windows as pt__maxpool_new ((0, 0): global average pooling). */
int pt__avgpool_new(pt_ctx *ctx, uint32_t ph, uint32_t pw, pt__layer **out);
/* Inverted dropout with rate p in [0, 1): identity when not training. */
int pt__dropout_new(pt_ctx *ctx, float p, pt__layer **out);
/* Batch normalisation (Ioffe & Szegedy 2015) per channel over n, h, w (after a dense layer the
 * channels are its features). Training uses batch statistics and updates the running ones;
 * evaluation uses the running ones. */
int pt__batchnorm_new(pt_ctx *ctx, pt__params *reg, uint32_t channels, pt__layer **out);
/* Embedding table n_rows x dim, N(0, 0.1^2) init; a sparse parameter. */
int pt__embedding_new(pt_ctx *ctx, pt__params *reg, pt__rng *rng, uint32_t n_rows, uint32_t dim,
                      pt__layer **out);
void pt__layer_free(pt_ctx *ctx, pt__layer *l);

/* Batch norm split over shards of a batch (data-parallel training, parallel.c): every shard
 * computes its per-channel partial sums, the caller adds them in shard order, and each shard
 * normalises with the whole batch's statistics, so the result is one batch norm over the batch.
 * sum/sq/sb/sg hold one double per channel; m is the batch's count per channel (n*h*w). */
void pt__bn_shard_sum(const pt__tensor *x, double *sum);
void pt__bn_shard_sumsq(const pt__tensor *x, const float *mean, double *sq);
/* Running statistics from the batch's mean and sums of squared deviations over m values. */
void pt__bn_update_running(pt__layer *l, const float *mean, const double *s2, size_t m);
/* Forward of one shard with the batch's mean and 1/std per channel; *y is l->y afterwards. */
int pt__bn_shard_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, const float *mean,
                         const float *inv, int train);
void pt__bn_shard_grad_sums(const pt__layer *l, const pt__tensor *dy, double *sb, double *sg);
/* dx of one shard (into l->dx) from the batch's sums; adds no parameter gradient. */
int pt__bn_shard_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, const double *sb,
                          const double *sg, size_t m);

/* The output shape for an input c x h x w (n unchanged); PT_EINVAL with a message when the
 * input does not fit the layer (too small for the kernel, wrong channel count). */
int pt__layer_out_shape(pt_ctx *ctx, const pt__layer *l, uint32_t c, uint32_t h, uint32_t w,
                        uint32_t *oc, uint32_t *oh, uint32_t *ow);
/* Forward. `train` selects batch-norm statistics and dropout; rng is used by dropout only (may
 * be NULL otherwise). *y is owned by the layer. Not for embeddings. */
int pt__layer_forward(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, int train, pt__rng *rng,
                      const pt__tensor **y);
/* Backward from dy (the shape of the last output): accumulates the layer's parameter gradients
 * and, when want_dx, sets *dx (owned by the layer) to the gradient with respect to x. */
int pt__layer_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy, int want_dx,
                       const pt__tensor **dx);
/* Embedding forward: ids is n x len row ids (< n_rows, copied); *y is n x 1 x len x dim. */
int pt__embedding_forward(pt_ctx *ctx, pt__layer *l, const uint32_t *ids, uint32_t n, uint32_t len,
                          const pt__tensor **y);
/* Embedding backward: accumulates dy rows into the touched rows of the table's gradient. */
int pt__embedding_backward(pt_ctx *ctx, pt__layer *l, const pt__tensor *dy);

/* --- losses -------------------------------------------------------------------------------- */
/* Mean softmax cross-entropy over the n rows of logits (n x k, any c*h*w = k). labels[i] < k.
 * Writes dlogits (reshaped like logits; may be NULL) = (softmax - onehot) / n, adds the summed
 * (not mean) loss to *loss_sum and the argmax hits to *n_correct (either may be NULL). Returns
 * PT_EINVAL on a label out of range, PT_ELIMIT when a loss is not finite. */
int pt__softmax_xent(pt_ctx *ctx, const pt__tensor *logits, const uint8_t *labels,
                     pt__tensor *dlogits, double *loss_sum, uint64_t *n_correct);
/* The same for a shard of a batch of batch_n rows: dlogits = (softmax - onehot) / batch_n. */
int pt__softmax_xent_part(pt_ctx *ctx, const pt__tensor *logits, const uint8_t *labels,
                          size_t batch_n, pt__tensor *dlogits, double *loss_sum,
                          uint64_t *n_correct);
/* Softmax of each row of logits into probs (n x k floats). */
void pt__softmax_rows(const float *logits, size_t n, size_t k, float *probs);
/* Binary cross-entropy on sigmoid(logits) against targets in [0,1], n values: returns the summed
 * loss; dlogits (may be NULL) = (sigmoid - target) * scale. Numerically stable. */
double pt__sigmoid_bce(const float *logits, const float *targets, size_t n, float *dlogits,
                       float scale);

/* --- BLAS ---------------------------------------------------------------------------------- */
/* Set the OpenBLAS thread count (<= 0: the number of cores). Returns the count in effect. */
int pt__nn_set_threads(int n);
/* The OpenBLAS thread count in effect (what the data-parallel paths use as their worker count). */
int pt__nn_get_threads(void);
/* C (m x n) = alpha * op(A) op(B) + beta * C, row-major, float32; ta/tb transpose. */
void pt__sgemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
               size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

/* --- sequential network and model file ----------------------------------------------------- */
/* An architecture is a string of space-separated layer tokens, e.g. the small net:
 *   "conv32k3 relu pool2 conv64k3 relu pool2 dense128 relu dense10"
 * tokens: conv<C>k<K>[p<P>] (KxK, padding P), conv<C>k<KH>x<KW>[p<PH>x<PW>], dense<N>, relu,
 * tanh, pool<K> (KxK), pool<KH>x<KW>, gmax (global max over h and w), avg<K> / avg<KH>x<KW>,
 * gavg (global average), drop<P> (e.g. drop0.25),
 * bn (batch norm over the previous output's channels). */
typedef struct pt__net {
    char *arch;                  /* owned copy of the architecture string */
    uint32_t in_c, in_h, in_w;   /* input shape */
    uint32_t out_dim;            /* features of the last layer */
    pt__layer **layers;
    size_t n_layers;
    size_t embed_layer;          /* index of the layer whose output is the embedding */
    pt__params params;
    const pt__tensor *embed_out; /* after forward: the embedding layer's output */
} pt__net;

/* Build a network for inputs in_c x in_h x in_w from `arch`, weights drawn from `seed`. Parse or
 * shape errors: PT_EINVAL naming the token. The embedding is the input of the last dense layer
 * (the penultimate activation). */
int pt__net_new(pt_ctx *ctx, const char *arch, uint32_t in_c, uint32_t in_h, uint32_t in_w,
                uint64_t seed, pt__net **out);
void pt__net_free(pt_ctx *ctx, pt__net *net);
/* Forward a batch x (n x in_c x in_h x in_w); *logits owned by the net. */
int pt__net_forward(pt_ctx *ctx, pt__net *net, const pt__tensor *x, int train, pt__rng *rng,
                    const pt__tensor **logits);
/* Backward from dlogits through every layer (no input gradient for the first). */
int pt__net_backward(pt_ctx *ctx, pt__net *net, const pt__tensor *dlogits);

/* --- data-parallel training (parallel.c) --------------------------------------------------- */
/* A batch is cut into shards of PT__DP_SHARD images, each run forward and backward on its own
 * replica of the net by one of `threads` workers (single-threaded SGEMMs); batch norm uses the
 * whole batch's statistics and the gradients are added in shard order, so the result does not
 * depend on the thread count. While a pt__dp exists OpenBLAS runs 1 thread (pt__dp_free restores
 * the count). The net must outlive the pt__dp; train only through pt__dp_step meanwhile. */
#define PT__DP_SHARD 16u
typedef struct pt__dp pt__dp;
/* For batches of up to max_batch images of `net`; threads <= 0 means 1. */
int pt__dp_new(pt_ctx *ctx, pt__net *net, uint32_t max_batch, int threads, pt__dp **out);
void pt__dp_free(pt_ctx *ctx, pt__dp *dp);
/* Worker threads in use (the caller's included). */
uint32_t pt__dp_workers(const pt__dp *dp);
/* One step on batch x with labels: forward in training mode, mean softmax cross-entropy over
 * the batch, backward; net's gradients then hold the batch's gradient (added to what they held),
 * as pt__net_forward + pt__softmax_xent + pt__net_backward would give. `seed` seeds the shards'
 * dropout. Adds the summed loss and the hits to *loss_sum, *n_correct (may be NULL). PT_ELIMIT
 * when a loss is not finite. */
int pt__dp_step(pt_ctx *ctx, pt__dp *dp, const pt__tensor *x, const uint8_t *labels,
                uint64_t seed, double *loss_sum, uint64_t *n_correct);
/* The same, then the optimiser step on the net's parameters and their gradients zeroed, both
 * split over the workers (as pt__optim_step + pt__params_zero_grad, the same floats). No step
 * when the loss is not finite. */
int pt__dp_train_step(pt_ctx *ctx, pt__dp *dp, const pt__tensor *x, const uint8_t *labels,
                      uint64_t seed, pt__optim *opt, double *loss_sum, uint64_t *n_correct);

/* Model file: "PTCNNMDL" magic, u32 version, u32 header length, a header of key=value lines
 * (arch, input shape, `meta`), every parameter (name, count, floats, little-endian), and a
 * trailing CRC-32 of all preceding bytes. Reading checks magic, version, CRC, and that every
 * parameter matches the architecture: PT_EPARSE with a message naming the file and the reason. */
#define PT__NN_MODEL_VERSION 1u
/* Save net and a caller's metadata string (key=value lines, no NUL; may be NULL). */
int pt__net_save(pt_ctx *ctx, const pt__net *net, const char *meta, const char *path);
/* Load; *meta (may be NULL to ignore) receives an owned copy of the metadata (pt__free). */
int pt__net_load(pt_ctx *ctx, const char *path, pt__net **out, char **meta);

#endif /* PT_CNN_NN_H */
