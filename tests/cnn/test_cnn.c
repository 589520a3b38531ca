/*
 * test_cnn.c - the CNN module: every layer's backward pass against central finite differences
 * (analytic gradients of a random linear functional of the output, loss accumulated in double),
 * the optimisers, the network and its model file (round trip, corrupt, truncated, foreign), the
 * IDX reader's errors, and Fashion-MNIST smoke tests that skip when the Debian dataset is absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "pt_test.h"
#include "cnn/cnn.h"

/* ======================================================================= gradient check == */

/* Fill a tensor with values in [-1, 1) spaced so that no two are within 2*eps of each other
 * (max pooling and ReLU are then differentiable at every sample). */
static void fill_distinct(pt__tensor *t, pt__rng *rng) {
    size_t n = pt__tensor_size(t);
    uint32_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++) {
        perm[i] = (uint32_t)i;
    }
    pt__rng_shuffle(rng, perm, n);
    for (size_t i = 0; i < n; i++) {
        t->data[i] = -1.0f + 2.0f * ((float)perm[i] + 0.5f) / (float)n;
    }
    free(perm);
}

/* L = sum_i y_i * r_i, in double, after a forward of l on x (dropout re-seeded each time so
 * the mask is the same). */
static double lin_loss(pt_ctx *ctx, pt__layer *l, const pt__tensor *x, const float *r, int train) {
    pt__rng rng;
    pt__rng_seed(&rng, 7);
    const pt__tensor *y;
    assert_int_equal(pt__layer_forward(ctx, l, x, train, &rng, &y), PT_OK);
    double s = 0.0;
    for (size_t i = 0; i < pt__tensor_size(y); i++) {
        s += (double)y->data[i] * r[i];
    }
    return s;
}

/* Is `num` close to `ana` (finite differences in float are good to ~1e-3 here)? */
static void assert_close(double num, double ana, const char *what, size_t i) {
    double tol = 5e-3 + 2e-2 * fmax(fabs(num), fabs(ana));
    if (fabs(num - ana) > tol) {
        fail_msg("%s[%zu]: numeric %.6f analytic %.6f", what, i, num, ana);
    }
}

/* Check d L / d x and d L / d every parameter in reg of layer l on input x. */
static void grad_check(pt_ctx *ctx, pt__layer *l, pt__params *reg, pt__tensor *x, int train) {
    const float eps = 2e-3f;
    pt__rng rng;
    pt__rng_seed(&rng, 99);
    const pt__tensor *y;
    pt__rng drop;
    pt__rng_seed(&drop, 7);
    assert_int_equal(pt__layer_forward(ctx, l, x, train, &drop, &y), PT_OK);
    size_t ny = pt__tensor_size(y);
    pt__tensor dy = {0};
    assert_int_equal(pt__tensor_reshape(ctx, &dy, y->n, y->c, y->h, y->w), PT_OK);
    for (size_t i = 0; i < ny; i++) {
        dy.data[i] = 2.0f * pt__rng_uniform(&rng) - 1.0f;
    }
    pt__params_zero_grad(reg);
    const pt__tensor *dx;
    assert_int_equal(pt__layer_backward(ctx, l, &dy, 1, &dx), PT_OK);
    size_t nx = pt__tensor_size(x);
    float *ana = malloc(nx * sizeof *ana);
    memcpy(ana, dx->data, nx * sizeof *ana);
    for (size_t i = 0; i < nx; i++) {
        float keep = x->data[i];
        x->data[i] = keep + eps;
        double lp = lin_loss(ctx, l, x, dy.data, train);
        x->data[i] = keep - eps;
        double lm = lin_loss(ctx, l, x, dy.data, train);
        x->data[i] = keep;
        assert_close((lp - lm) / (2.0 * eps), ana[i], "dx", i);
    }
    free(ana);
    for (size_t k = 0; k < reg->n; k++) {
        pt__param *p = reg->items[k];
        if (!p->trainable) {
            continue;
        }
        for (size_t i = 0; i < p->n; i++) {
            float keep = p->w[i];
            p->w[i] = keep + eps;
            double lp = lin_loss(ctx, l, x, dy.data, train);
            p->w[i] = keep - eps;
            double lm = lin_loss(ctx, l, x, dy.data, train);
            p->w[i] = keep;
            assert_close((lp - lm) / (2.0 * eps), p->g[i], p->name, i);
        }
    }
    pt__tensor_free(ctx, &dy);
}

/* Make an n x c x h x w input of distinct values. */
static void make_input(pt_ctx *ctx, pt__tensor *x, uint32_t n, uint32_t c, uint32_t h, uint32_t w,
                       uint64_t seed) {
    pt__rng rng;
    pt__rng_seed(&rng, seed);
    assert_int_equal(pt__tensor_reshape(ctx, x, n, c, h, w), PT_OK);
    fill_distinct(x, &rng);
}

static void test_conv2d_gradients(void **state) {
    pt_ctx *ctx = *state;
    /* plain, padded, and the Caser shapes (horizontal h x d, vertical L x 1) */
    const uint32_t cfg[][8] = {
        /* cin cout kh kw ph pw  h  w */
        {2, 3, 3, 3, 0, 0, 5, 6},
        {2, 2, 3, 2, 1, 1, 4, 4},
        {1, 2, 2, 4, 0, 0, 5, 4}, /* horizontal filter over L=5, d=4 */
        {1, 2, 5, 1, 0, 0, 5, 4}, /* vertical filter */
        {3, 2, 1, 3, 0, 1, 1, 6}, /* 1-D conv over a length-6 sequence with 3 channels */
        {1, 2, 3, 3, 1, 1, 3, 18}, /* output 18 wide: im2col's memcpy path (ow >= 16) */
        {2, 3, 3, 4, 1, 0, 4, 4},  /* full width with padding over h: the transposed path */
    };
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        const uint32_t *c = cfg[t];
        pt__params reg;
        pt__params_init(&reg, ctx);
        pt__rng rng;
        pt__rng_seed(&rng, t);
        pt__layer *l;
        assert_int_equal(pt__conv2d_new(ctx, &reg, &rng, c[0], c[1], c[2], c[3], c[4], c[5], &l),
                         PT_OK);
        for (uint32_t i = 0; i < c[1]; i++) {
            reg.items[1]->w[i] = 0.1f * (float)i; /* non-zero bias */
        }
        pt__tensor x = {0};
        make_input(ctx, &x, 2, c[0], c[6], c[7], 10 + t);
        grad_check(ctx, l, &reg, &x, 1);
        pt__tensor_free(ctx, &x);
        pt__layer_free(ctx, l);
        pt__params_free(&reg);
    }
}

static void test_conv2d_matches_direct_convolution(void **state) {
    pt_ctx *ctx = *state;
    /* a padded 3x3 kernel (im2col) and a full-width kernel (kw == w: the transposed path) */
    const uint32_t cfg[][4] = {{3, 3, 1, 1}, {3, 5, 1, 0}, {2, 5, 0, 0}};
    for (size_t t = 0; t < 3; t++) {
        const int KH = (int)cfg[t][0], KW = (int)cfg[t][1], PH = (int)cfg[t][2], PW = (int)cfg[t][3];
        pt__params reg;
        pt__params_init(&reg, ctx);
        pt__rng rng;
        pt__rng_seed(&rng, 3);
        pt__layer *l;
        assert_int_equal(pt__conv2d_new(ctx, &reg, &rng, 2, 3, (uint32_t)KH, (uint32_t)KW,
                                        (uint32_t)PH, (uint32_t)PW, &l),
                         PT_OK);
        for (int co = 0; co < 3; co++) {
            l->bias->w[co] = 0.25f * (float)co;
        }
        pt__tensor x = {0};
        make_input(ctx, &x, 2, 2, 4, 5, 4);
        const pt__tensor *y;
        assert_int_equal(pt__layer_forward(ctx, l, &x, 0, NULL, &y), PT_OK);
        int OH = 4 + 2 * PH - KH + 1, OW = 5 + 2 * PW - KW + 1;
        assert_int_equal(y->h, OH);
        assert_int_equal(y->w, OW);
        for (int b = 0; b < 2; b++) {
            for (int co = 0; co < 3; co++) {
                for (int oy = 0; oy < OH; oy++) {
                    for (int ox = 0; ox < OW; ox++) {
                        double sum = l->bias->w[co];
                        for (int ci = 0; ci < 2; ci++) {
                            for (int i = 0; i < KH; i++) {
                                for (int j = 0; j < KW; j++) {
                                    int iy = oy + i - PH, ix = ox + j - PW;
                                    if (iy < 0 || iy >= 4 || ix < 0 || ix >= 5) {
                                        continue;
                                    }
                                    sum += (double)l->wt->w[((co * 2 + ci) * KH + i) * KW + j] *
                                           x.data[((b * 2 + ci) * 4 + iy) * 5 + ix];
                                }
                            }
                        }
                        float got = y->data[((b * 3 + co) * OH + oy) * OW + ox];
                        assert_true(fabs(got - sum) < 1e-5);
                    }
                }
            }
        }
        pt__tensor_free(ctx, &x);
        pt__layer_free(ctx, l);
        pt__params_free(&reg);
    }
}

static void test_dense_gradients(void **state) {
    pt_ctx *ctx = *state;
    pt__params reg;
    pt__params_init(&reg, ctx);
    pt__rng rng;
    pt__rng_seed(&rng, 5);
    pt__layer *l;
    assert_int_equal(pt__dense_new(ctx, &reg, &rng, 12, 4, &l), PT_OK);
    pt__tensor x = {0};
    make_input(ctx, &x, 3, 3, 2, 2, 6); /* read as 3 x 12 */
    grad_check(ctx, l, &reg, &x, 1);
    pt__tensor_free(ctx, &x);
    pt__layer_free(ctx, l);
    pt__params_free(&reg);
}

static void test_activation_pool_dropout_gradients(void **state) {
    pt_ctx *ctx = *state;
    pt__params reg;
    pt__params_init(&reg, ctx);
    pt__layer *ls[9];
    assert_int_equal(pt__relu_new(ctx, &ls[0]), PT_OK);
    assert_int_equal(pt__tanh_new(ctx, &ls[1]), PT_OK);
    assert_int_equal(pt__maxpool_new(ctx, 2, 2, &ls[2]), PT_OK);
    assert_int_equal(pt__maxpool_new(ctx, 0, 1, &ls[3]), PT_OK); /* global max over h */
    assert_int_equal(pt__maxpool_new(ctx, 3, 2, &ls[4]), PT_OK); /* floor: 7x5 -> 2x2 */
    assert_int_equal(pt__dropout_new(ctx, 0.4f, &ls[5]), PT_OK);
    assert_int_equal(pt__avgpool_new(ctx, 2, 2, &ls[6]), PT_OK);
    assert_int_equal(pt__avgpool_new(ctx, 0, 0, &ls[7]), PT_OK); /* global average */
    assert_int_equal(pt__avgpool_new(ctx, 3, 2, &ls[8]), PT_OK);
    for (int i = 0; i < 9; i++) {
        pt__tensor x = {0};
        make_input(ctx, &x, 2, 3, 7, 5, 20 + i);
        grad_check(ctx, ls[i], &reg, &x, 1);
        pt__tensor_free(ctx, &x);
        pt__layer_free(ctx, ls[i]);
    }
    /* 2x2 windows tiling even inputs: the vectorised path (8 windows a row and an overlapping
     * last vector: 10 wide) and the scalar one (3 wide) */
    const uint32_t hw[][2] = {{6, 20}, {4, 6}};
    for (int i = 0; i < 2; i++) {
        pt__layer *l;
        assert_int_equal(pt__maxpool_new(ctx, 2, 2, &l), PT_OK);
        pt__tensor x = {0};
        make_input(ctx, &x, 2, 3, hw[i][0], hw[i][1], 40 + i);
        grad_check(ctx, l, &reg, &x, 1);
        /* ties: the gradient goes to the first cell of the window holding the max */
        memset(x.data, 0, pt__tensor_size(&x) * sizeof(float));
        const pt__tensor *y, *dx;
        assert_int_equal(pt__layer_forward(ctx, l, &x, 1, NULL, &y), PT_OK);
        pt__tensor dy = {0};
        assert_int_equal(pt__tensor_reshape(ctx, &dy, y->n, y->c, y->h, y->w), PT_OK);
        for (size_t k = 0; k < pt__tensor_size(&dy); k++) {
            dy.data[k] = 1.0f + (float)k;
        }
        assert_int_equal(pt__layer_backward(ctx, l, &dy, 1, &dx), PT_OK);
        uint32_t W = hw[i][1];
        for (size_t k = 0; k < pt__tensor_size(dx); k++) {
            size_t plane = k / (hw[i][0] * W), r = (k % (hw[i][0] * W)) / W, c = k % W;
            float want = r % 2 == 0 && c % 2 == 0
                             ? dy.data[plane * y->h * y->w + (r / 2) * y->w + c / 2]
                             : 0.0f;
            assert_true(dx->data[k] == want);
        }
        pt__tensor_free(ctx, &dy);
        pt__tensor_free(ctx, &x);
        pt__layer_free(ctx, l);
    }
    pt__params_free(&reg);
}

static void test_maxpool_global_shape(void **state) {
    pt_ctx *ctx = *state;
    pt__layer *l;
    assert_int_equal(pt__maxpool_new(ctx, 0, 1, &l), PT_OK);
    pt__tensor x = {0};
    make_input(ctx, &x, 2, 3, 6, 1, 1);
    const pt__tensor *y;
    assert_int_equal(pt__layer_forward(ctx, l, &x, 0, NULL, &y), PT_OK);
    assert_int_equal(y->h, 1);
    assert_int_equal(y->w, 1);
    for (uint32_t p = 0; p < 6; p++) {
        float mx = -INFINITY;
        for (int k = 0; k < 6; k++) {
            mx = fmaxf(mx, x.data[p * 6 + k]);
        }
        assert_true(y->data[p] == mx);
    }
    pt__tensor_free(ctx, &x);
    pt__layer_free(ctx, l);
}

static void test_dropout_eval_is_identity_and_rate(void **state) {
    pt_ctx *ctx = *state;
    pt__layer *l;
    assert_int_equal(pt__dropout_new(ctx, 0.25f, &l), PT_OK);
    pt__tensor x = {0};
    assert_int_equal(pt__tensor_reshape(ctx, &x, 1, 1, 100, 100), PT_OK);
    for (size_t i = 0; i < 10000; i++) {
        x.data[i] = 1.0f;
    }
    const pt__tensor *y;
    assert_int_equal(pt__layer_forward(ctx, l, &x, 0, NULL, &y), PT_OK);
    assert_ptr_equal(y, &x);
    pt__rng rng;
    pt__rng_seed(&rng, 1);
    assert_int_equal(pt__layer_forward(ctx, l, &x, 1, &rng, &y), PT_OK);
    size_t zeros = 0;
    for (size_t i = 0; i < 10000; i++) {
        zeros += y->data[i] == 0.0f;
    }
    assert_true(zeros > 2300 && zeros < 2700);
    assert_int_equal(pt__dropout_new(ctx, 1.0f, &(pt__layer *){NULL}), PT_EINVAL);
    pt__tensor_free(ctx, &x);
    pt__layer_free(ctx, l);
}

static void test_batchnorm_gradients(void **state) {
    pt_ctx *ctx = *state;
    for (int train = 1; train >= 0; train--) {
        for (int dense = 0; dense < 2; dense++) {
            pt__params reg;
            pt__params_init(&reg, ctx);
            pt__layer *l;
            assert_int_equal(pt__batchnorm_new(ctx, &reg, 3, &l), PT_OK);
            for (int c = 0; c < 3; c++) {
                l->gamma->w[c] = 0.5f + 0.3f * (float)c;
                l->beta->w[c] = -0.2f * (float)c;
                l->run_mean->w[c] = 0.1f * (float)c;
                l->run_var->w[c] = 0.5f + (float)c;
            }
            pt__tensor x = {0};
            if (dense) {
                make_input(ctx, &x, 5, 3, 1, 1, 30);
            } else {
                make_input(ctx, &x, 2, 3, 3, 2, 31);
            }
            grad_check(ctx, l, &reg, &x, train);
            pt__tensor_free(ctx, &x);
            pt__layer_free(ctx, l);
            pt__params_free(&reg);
        }
    }
}

static void test_batchnorm_normalises(void **state) {
    pt_ctx *ctx = *state;
    pt__params reg;
    pt__params_init(&reg, ctx);
    pt__layer *l;
    assert_int_equal(pt__batchnorm_new(ctx, &reg, 2, &l), PT_OK);
    pt__tensor x = {0};
    make_input(ctx, &x, 4, 2, 3, 3, 8);
    for (size_t i = 0; i < pt__tensor_size(&x); i++) {
        x.data[i] = 5.0f + 3.0f * x.data[i];
    }
    const pt__tensor *y;
    assert_int_equal(pt__layer_forward(ctx, l, &x, 1, NULL, &y), PT_OK);
    for (uint32_t c = 0; c < 2; c++) {
        double s = 0, s2 = 0;
        for (uint32_t b = 0; b < 4; b++) {
            for (int k = 0; k < 9; k++) {
                double v = y->data[(b * 2 + c) * 9 + k];
                s += v;
                s2 += v * v;
            }
        }
        assert_true(fabs(s / 36) < 1e-5);
        assert_true(fabs(s2 / 36 - 1.0) < 1e-3);
        assert_true(l->run_mean->w[c] > 0.4f); /* moved 10% towards ~5 */
    }
    pt__tensor_free(ctx, &x);
    pt__layer_free(ctx, l);
    pt__params_free(&reg);
}

static void test_embedding_sparse_gradients(void **state) {
    pt_ctx *ctx = *state;
    pt__params reg;
    pt__params_init(&reg, ctx);
    pt__rng rng;
    pt__rng_seed(&rng, 2);
    pt__layer *l;
    assert_int_equal(pt__embedding_new(ctx, &reg, &rng, 10, 4, &l), PT_OK);
    const uint32_t ids[6] = {3, 7, 3, 0, 9, 3};
    const pt__tensor *y;
    assert_int_equal(pt__embedding_forward(ctx, l, ids, 2, 3, &y), PT_OK);
    assert_int_equal(y->h, 3);
    assert_int_equal(y->w, 4);
    assert_true(y->data[4] == l->wt->w[7 * 4]);
    pt__tensor dy = {0};
    assert_int_equal(pt__tensor_reshape(ctx, &dy, 2, 1, 3, 4), PT_OK);
    for (size_t i = 0; i < 24; i++) {
        dy.data[i] = (float)i;
    }
    pt__params_zero_grad(&reg);
    assert_int_equal(pt__embedding_backward(ctx, l, &dy), PT_OK);
    /* row 3 appears at positions 0, 2, 5: its gradient is the sum of those dy rows */
    for (int k = 0; k < 4; k++) {
        assert_true(l->wt->g[3 * 4 + k] == (float)(0 + k) + (float)(8 + k) + (float)(20 + k));
    }
    assert_int_equal(l->wt->n_touched, 4);
    assert_true(l->wt->g[1 * 4] == 0.0f);
    /* numeric check: L = sum y*dy is linear in the table, so d L / d w[row] = accumulated dy */
    for (size_t i = 0; i < l->wt->n; i++) {
        float keep = l->wt->w[i];
        l->wt->w[i] = keep + 0.5f;
        assert_int_equal(pt__embedding_forward(ctx, l, ids, 2, 3, &y), PT_OK);
        double lp = 0;
        for (size_t j = 0; j < 24; j++) {
            lp += (double)y->data[j] * dy.data[j];
        }
        l->wt->w[i] = keep;
        assert_int_equal(pt__embedding_forward(ctx, l, ids, 2, 3, &y), PT_OK);
        double l0 = 0;
        for (size_t j = 0; j < 24; j++) {
            l0 += (double)y->data[j] * dy.data[j];
        }
        assert_close((lp - l0) / 0.5, l->wt->g[i], "emb", i);
    }
    /* lazy Adam steps only touched rows; zero_grad clears them */
    float untouched = l->wt->w[1 * 4];
    pt__optim o;
    pt__optim_adam(&o, 0.1f);
    assert_int_equal(pt__optim_step(ctx, &o, &reg), PT_OK);
    assert_true(l->wt->w[1 * 4] == untouched);
    pt__params_zero_grad(&reg);
    assert_int_equal(l->wt->n_touched, 0);
    assert_true(l->wt->g[3 * 4] == 0.0f);
    const uint32_t bad = 10;
    assert_int_equal(pt__embedding_forward(ctx, l, &bad, 1, 1, &y), PT_EINVAL);
    pt__tensor_free(ctx, &dy);
    pt__layer_free(ctx, l);
    pt__params_free(&reg);
}

static void test_softmax_xent_gradient(void **state) {
    pt_ctx *ctx = *state;
    pt__tensor z = {0}, dz = {0};
    make_input(ctx, &z, 4, 5, 1, 1, 9);
    const uint8_t labels[4] = {0, 4, 2, 2};
    double loss = 0;
    uint64_t hits = 0;
    assert_int_equal(pt__softmax_xent(ctx, &z, labels, &dz, &loss, &hits), PT_OK);
    for (size_t i = 0; i < 20; i++) {
        float keep = z.data[i];
        double lp = 0, lm = 0;
        z.data[i] = keep + 1e-2f;
        assert_int_equal(pt__softmax_xent(ctx, &z, labels, NULL, &lp, NULL), PT_OK);
        z.data[i] = keep - 1e-2f;
        assert_int_equal(pt__softmax_xent(ctx, &z, labels, NULL, &lm, NULL), PT_OK);
        z.data[i] = keep;
        assert_close((lp - lm) / 4 / 2e-2, dz.data[i], "dlogits", i);
    }
    const uint8_t bad[4] = {0, 5, 0, 0};
    assert_int_equal(pt__softmax_xent(ctx, &z, bad, NULL, NULL, NULL), PT_EINVAL);
    z.data[3] = NAN;
    assert_int_equal(pt__softmax_xent(ctx, &z, labels, NULL, NULL, NULL), PT_ELIMIT);
    /* sigmoid BCE */
    float lg[3] = {-30.0f, 0.3f, 40.0f}, tg[3] = {0.0f, 1.0f, 1.0f}, d[3];
    double l = pt__sigmoid_bce(lg, tg, 3, d, 1.0f);
    assert_true(isfinite(l) && fabs(l - log1p(exp(-0.3))) < 1e-4);
    assert_true(fabs(d[1] - (1.0 / (1.0 + exp(-0.3)) - 1.0)) < 1e-6);
    pt__tensor_free(ctx, &z);
    pt__tensor_free(ctx, &dz);
}

/* A whole network (conv, bn, relu, pool, dropout, dense) through the loss, checked end to end. */
static void test_network_gradients_and_training(void **state) {
    pt_ctx *ctx = *state;
    pt__net *net;
    assert_int_equal(pt__net_new(ctx, "conv3k3p1 bn relu avg2 conv4k2 tanh dense6 bn relu dense3",
                                 2, 6, 6, 1, &net),
                     PT_OK);
    pt__tensor x = {0}, dz = {0};
    make_input(ctx, &x, 4, 2, 6, 6, 40);
    const uint8_t labels[4] = {0, 1, 2, 1};
    const pt__tensor *z;
    assert_int_equal(pt__net_forward(ctx, net, &x, 1, NULL, &z), PT_OK);
    assert_int_equal(pt__softmax_xent(ctx, z, labels, &dz, NULL, NULL), PT_OK);
    pt__params_zero_grad(&net->params);
    assert_int_equal(pt__net_backward(ctx, net, &dz), PT_OK);
    for (size_t k = 0; k < net->params.n; k++) {
        pt__param *p = net->params.items[k];
        if (!p->trainable) {
            continue;
        }
        for (size_t i = 0; i < p->n; i += 3) {
            float keep = p->w[i];
            double lp = 0, lm = 0;
            p->w[i] = keep + 1e-2f;
            assert_int_equal(pt__net_forward(ctx, net, &x, 1, NULL, &z), PT_OK);
            assert_int_equal(pt__softmax_xent(ctx, z, labels, NULL, &lp, NULL), PT_OK);
            p->w[i] = keep - 1e-2f;
            assert_int_equal(pt__net_forward(ctx, net, &x, 1, NULL, &z), PT_OK);
            assert_int_equal(pt__softmax_xent(ctx, z, labels, NULL, &lm, NULL), PT_OK);
            p->w[i] = keep;
            assert_close((lp - lm) / 4 / 2e-2, p->g[i], p->name, i);
        }
    }
    /* Adam and SGD with momentum both drive the loss of this tiny batch down (a fresh network
     * each: optimiser state is per parameter) */
    for (int kind = 0; kind < 2; kind++) {
        pt__net_free(ctx, net);
        assert_int_equal(pt__net_new(ctx, "conv3k3p1 bn relu pool2 conv4k2 tanh dense6 bn relu dense3",
                                     2, 6, 6, 2 + (uint64_t)kind, &net),
                         PT_OK);
        pt__optim o;
        if (kind) {
            pt__optim_adam(&o, 1e-2f);
        } else {
            pt__optim_sgd(&o, 5e-2f, 0.9f);
        }
        double first = -1, last = 0;
        for (int step = 0; step < 60; step++) {
            double loss = 0;
            assert_int_equal(pt__net_forward(ctx, net, &x, 1, NULL, &z), PT_OK);
            assert_int_equal(pt__softmax_xent(ctx, z, labels, &dz, &loss, NULL), PT_OK);
            pt__params_zero_grad(&net->params);
            assert_int_equal(pt__net_backward(ctx, net, &dz), PT_OK);
            assert_int_equal(pt__optim_step(ctx, &o, &net->params), PT_OK);
            if (first < 0) {
                first = loss;
            }
            last = loss;
        }
        print_message("optimiser %d: loss %.4f -> %.4f\n", kind, first, last);
        assert_true(last < 0.5 * first);
    }
    pt__tensor_free(ctx, &x);
    pt__tensor_free(ctx, &dz);
    pt__net_free(ctx, net);
}

static void test_architecture_errors(void **state) {
    pt_ctx *ctx = *state;
    pt__net *net;
    assert_int_equal(pt__net_new(ctx, "conv32k3 relu blorp dense10", 1, 28, 28, 1, &net),
                     PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "blorp"));
    assert_null(net);
    assert_int_equal(pt__net_new(ctx, "conv8k30 dense10", 1, 28, 28, 1, &net), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "smaller than kernel"));
    assert_int_equal(pt__net_new(ctx, "conv8k3 relu", 1, 28, 28, 1, &net), PT_EINVAL);
    assert_int_equal(pt__net_new(ctx, "dense10", 1, 28, 28, 1, &net), PT_OK);
    pt__tensor x = {0};
    make_input(ctx, &x, 1, 3, 28, 28, 1);
    const pt__tensor *z;
    assert_int_equal(pt__net_forward(ctx, net, &x, 0, NULL, &z), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "expects 1x28x28"));
    pt__tensor_free(ctx, &x);
    pt__net_free(ctx, net);
}

/* Write `n` bytes to a temporary path built from `name`. */
static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Read a whole file into a malloc'd buffer. */
static uint8_t *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void test_model_file_round_trip_and_corruption(void **state) {
    pt_ctx *ctx = *state;
    char path[200], bad[256];
    snprintf(path, sizeof path, "%s/test_cnn_model_%d.bin", P_tmpdir, (int)getpid());
    snprintf(bad, sizeof bad, "%s.bad", path);
    pt__net *net, *back;
    assert_int_equal(pt__net_new(ctx, "conv4k3 bn relu pool2 dense5 relu dense3", 1, 8, 8, 3, &net),
                     PT_OK);
    net->layers[1]->run_mean->w[2] = 0.75f; /* buffers are saved too */
    assert_int_equal(pt__net_save(ctx, net, "classes=a,b,c\n", path), PT_OK);
    char *meta = NULL;
    assert_int_equal(pt__net_load(ctx, path, &back, &meta), PT_OK);
    assert_string_equal(meta, "classes=a,b,c\n");
    assert_string_equal(back->arch, net->arch);
    assert_int_equal(back->params.n, net->params.n);
    for (size_t k = 0; k < net->params.n; k++) {
        assert_memory_equal(back->params.items[k]->w, net->params.items[k]->w,
                            net->params.items[k]->n * sizeof(float));
    }
    pt__free(ctx, meta);
    pt__net_free(ctx, back);

    size_t n;
    uint8_t *b = read_all(path, &n);
    /* one flipped bit in the weights: CRC */
    b[n / 2] ^= 0x10;
    write_file(bad, b, n);
    assert_int_equal(pt__net_load(ctx, bad, &back, NULL), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "CRC"));
    assert_null(back);
    b[n / 2] ^= 0x10;
    /* truncated at every length class */
    const size_t cuts[] = {0, 5, 8, 11, 20, n / 3, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(bad, b, cuts[i]);
        assert_int_equal(pt__net_load(ctx, bad, &back, NULL), PT_EPARSE);
    }
    /* foreign file */
    write_file(bad, "P5\n28 28\n255\n", 13);
    assert_int_equal(pt__net_load(ctx, bad, &back, NULL), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "not a Portrait CNN model"));
    /* future version */
    b[8] = 9;
    write_file(bad, b, n);
    assert_int_equal(pt__net_load(ctx, bad, &back, NULL), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "version 9"));
    assert_int_equal(pt__net_load(ctx, "/nonexistent/x.model", &back, NULL), PT_ENOTFOUND);
    free(b);
    remove(bad);
    remove(path);
    pt__net_free(ctx, net);
}

/* ======================================================================= IDX and images = */

/* Write an IDX file: magic 0x000008<nd>, dims, then `body` bytes; gzip when `gz`. */
static void write_idx(const char *path, int nd, const uint32_t *dims, const uint8_t *body,
                      size_t n, int gz) {
    uint8_t head[16] = {0, 0, 8, (uint8_t)nd};
    for (int i = 0; i < nd; i++) {
        head[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        head[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        head[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        head[7 + 4 * i] = (uint8_t)dims[i];
    }
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        gzwrite(f, head, (unsigned)(4 + 4 * nd));
        if (n) {
            gzwrite(f, body, (unsigned)n);
        }
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(head, 1, (size_t)(4 + 4 * nd), f);
        fwrite(body, 1, n, f);
        fclose(f);
    }
}

/* A toy two-class image set: class 0 has a bright horizontal bar, class 1 a vertical one, at a
 * random place, with noise. */
static void toy_images(uint8_t *pix, uint8_t *lab, uint32_t n, uint32_t h, uint32_t w,
                       uint64_t seed) {
    pt__rng r;
    pt__rng_seed(&r, seed);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *p = pix + (size_t)i * h * w;
        for (uint32_t k = 0; k < h * w; k++) {
            p[k] = (uint8_t)pt__rng_below(&r, 60);
        }
        lab[i] = (uint8_t)(i % 2);
        uint32_t at = 1 + pt__rng_below(&r, (lab[i] ? w : h) - 2);
        for (uint32_t t = 0; t < (lab[i] ? h : w); t++) {
            if (lab[i]) {
                p[t * w + at] = 250;
            } else {
                p[at * w + t] = 250;
            }
        }
    }
}

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/test_cnn_%d_%s", P_tmpdir, (int)getpid(), name);
}

static void test_idx_reader_and_errors(void **state) {
    pt_ctx *ctx = *state;
    char im[200], lb[200];
    tmp_path(im, sizeof im, "img.idx.gz");
    tmp_path(lb, sizeof lb, "lab.idx");
    uint8_t pix[6 * 5 * 4], lab[6];
    toy_images(pix, lab, 6, 5, 4, 1);
    const uint32_t d3[3] = {6, 5, 4}, d1[1] = {6};
    write_idx(im, 3, d3, pix, sizeof pix, 1);
    write_idx(lb, 1, d1, lab, sizeof lab, 0);
    pt_cnn_data *d;
    assert_int_equal(pt_cnn_data_load_idx(ctx, im, lb, 0, &d), PT_OK);
    uint32_t c, h, w;
    pt_cnn_data_shape(d, &c, &h, &w);
    assert_int_equal(pt_cnn_data_count(d), 6);
    assert_int_equal(c, 1);
    assert_int_equal(h, 5);
    assert_int_equal(w, 4);
    assert_int_equal(pt_cnn_data_label(d, 3), lab[3]);
    pt_cnn_data_free(d);
    assert_int_equal(pt_cnn_data_load_idx(ctx, im, lb, 2, &d), PT_OK); /* --limit */
    assert_int_equal(pt_cnn_data_count(d), 2);
    pt_cnn_data_free(d);
    /* labels that do not match the images */
    const uint32_t d5[1] = {5};
    write_idx(lb, 1, d5, lab, 5, 0);
    assert_int_equal(pt_cnn_data_load_idx(ctx, im, lb, 0, &d), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "5 labels but"));
    assert_null(d);
    /* labels file given as images: wrong magic */
    assert_int_equal(pt_cnn_data_load_idx(ctx, lb, NULL, 0, &d), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "not an IDX image file"));
    /* truncated body and truncated header */
    write_idx(im, 3, d3, pix, sizeof pix - 7, 1);
    assert_int_equal(pt_cnn_data_load_idx(ctx, im, NULL, 0, &d), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "truncated"));
    write_file(im, "\0\0\x08\x03\0\0", 6);
    assert_int_equal(pt_cnn_data_load_idx(ctx, im, NULL, 0, &d), PT_EPARSE);
    /* trailing bytes: not what the header says */
    write_idx(im, 3, d3, pix, sizeof pix, 0);
    FILE *f = fopen(im, "ab");
    fputc(1, f);
    fclose(f);
    assert_int_equal(pt_cnn_data_load_idx(ctx, im, NULL, 0, &d), PT_EPARSE);
    /* absurd dimensions */
    const uint32_t huge[3] = {1, 100000, 100000};
    write_idx(im, 3, huge, pix, 10, 0);
    assert_int_equal(pt_cnn_data_load_idx(ctx, im, NULL, 0, &d), PT_EPARSE);
    assert_int_equal(pt_cnn_data_load_idx(ctx, "/nonexistent/x.idx", NULL, 0, &d), PT_ENOTFOUND);
    remove(im);
    remove(lb);
}

static void test_png_and_jpeg_are_read_and_resized(void **state) {
    pt_ctx *ctx = *state;
    char pp[200], jp[200], bad[200];
    tmp_path(pp, sizeof pp, "a.png");
    tmp_path(jp, sizeof jp, "b.jpg");
    tmp_path(bad, sizeof bad, "c.png");
    /* 40x20 RGB: left half black, right half white */
    uint8_t rgb[20 * 40 * 3];
    for (int y = 0; y < 20; y++) {
        for (int x = 0; x < 40; x++) {
            memset(rgb + (y * 40 + x) * 3, x < 20 ? 0 : 255, 3);
        }
    }
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = 40;
    pi.height = 20;
    pi.format = PNG_FORMAT_RGB;
    assert_true(png_image_write_to_file(&pi, pp, 0, rgb, 0, NULL));
    struct jpeg_compress_struct cj;
    struct jpeg_error_mgr je;
    cj.err = jpeg_std_error(&je);
    jpeg_create_compress(&cj);
    FILE *f = fopen(jp, "wb");
    jpeg_stdio_dest(&cj, f);
    cj.image_width = 40;
    cj.image_height = 20;
    cj.input_components = 3;
    cj.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cj);
    jpeg_set_quality(&cj, 95, TRUE);
    jpeg_start_compress(&cj, TRUE);
    while (cj.next_scanline < 20) {
        JSAMPROW row = rgb + cj.next_scanline * 40 * 3;
        jpeg_write_scanlines(&cj, &row, 1);
    }
    jpeg_finish_compress(&cj);
    jpeg_destroy_compress(&cj);
    fclose(f);
    const char *paths[2] = {pp, jp};
    pt_cnn_data *d;
    assert_int_equal(pt_cnn_data_load_images(ctx, paths, 2, 1, 8, 8, 0, &d), PT_OK);
    assert_int_equal(pt_cnn_data_count(d), 2);
    for (int i = 0; i < 2; i++) {
        const uint8_t *p = d->pix + i * 64;
        assert_true(p[3 * 8 + 0] < 20);   /* left stays dark */
        assert_true(p[3 * 8 + 7] > 235);  /* right stays light */
    }
    pt_cnn_data_free(d);
    /* light border: inverted with invert_light */
    assert_int_equal(pt_cnn_data_load_images(ctx, paths, 1, 3, 4, 4, 1, &d), PT_OK);
    uint32_t c, h, w;
    pt_cnn_data_shape(d, &c, &h, &w);
    assert_int_equal(c, 3);
    pt_cnn_data_free(d);
    /* not an image, a truncated PNG, a wrong channel count */
    write_file(bad, "hello world, not a picture", 26);
    const char *badp[1] = {bad};
    assert_int_equal(pt_cnn_data_load_images(ctx, badp, 1, 1, 8, 8, 0, &d), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "not a PNG or JPEG"));
    size_t n;
    uint8_t *b = read_all(pp, &n);
    write_file(bad, b, n / 2);
    assert_int_equal(pt_cnn_data_load_images(ctx, badp, 1, 1, 8, 8, 0, &d), PT_EPARSE);
    free(b);
    b = read_all(jp, &n);
    write_file(bad, b, 40);
    assert_int_equal(pt_cnn_data_load_images(ctx, badp, 1, 1, 8, 8, 0, &d), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "JPEG"));
    free(b);
    assert_int_equal(pt_cnn_data_load_images(ctx, paths, 2, 2, 8, 8, 0, &d), PT_EINVAL);
    remove(pp);
    remove(jp);
    remove(bad);
}

static void test_augmentation_keeps_shape_and_changes_pixels(void **state) {
    (void)state;
    uint8_t img[16 * 16];
    for (int i = 0; i < 256; i++) {
        img[i] = (uint8_t)i;
    }
    float plain[256], aug[256];
    pt__rng r;
    pt__rng_seed(&r, 3);
    pt__image_to_float(img, 1, 16, 16, 0.5f, 0.25f, 0, &r, plain);
    assert_true(fabsf(plain[0] - (0.0f - 0.5f) / 0.25f) < 1e-5f);
    int changed = 0;
    for (int t = 0; t < 20; t++) {
        pt__image_to_float(img, 1, 16, 16, 0.5f, 0.25f, PT__AUG_SHIFT | PT__AUG_FLIP | PT__AUG_ERASE,
                           &r, aug);
        changed += memcmp(plain, aug, sizeof aug) != 0;
        for (int i = 0; i < 256; i++) {
            assert_true(isfinite(aug[i]));
        }
    }
    assert_true(changed >= 15);
    /* flip only: exactly mirrored rows or the identity */
    pt__image_to_float(img, 1, 16, 16, 0.5f, 0.25f, PT__AUG_FLIP, &r, aug);
    assert_true(aug[0] == plain[0] || aug[0] == plain[15]);
}

/* ======================================================================= models ========= */

/* A labelled toy set of n 10x10 images. */
static pt_cnn_data *toy_set(pt_ctx *ctx, uint32_t n, uint64_t seed) {
    pt_cnn_data *d;
    assert_int_equal(pt__cnn_data_new(ctx, n, 1, 10, 10, 1, &d), PT_OK);
    toy_images(d->pix, d->labels, n, 10, 10, seed);
    return d;
}

static int epochs_seen;
static void count_epoch(void *ud, const pt_cnn_epoch *e) {
    (void)ud;
    assert_true(e->loss > 0 && e->seconds >= 0 && e->accuracy >= 0 && e->accuracy <= 1);
    epochs_seen++;
}

static void test_train_eval_save_load_predict(void **state) {
    pt_ctx *ctx = *state;
    pt_cnn_data *train = toy_set(ctx, 240, 1), *test = toy_set(ctx, 100, 2);
    pt_cnn_train_opts o;
    pt_cnn_train_opts_init(&o);
    o.arch = "conv8k3p1 bn relu pool2 conv8k3 relu gmax dense16 relu drop0.1 dense2";
    o.epochs = 6;
    o.batch = 16;
    o.threads = 1;
    o.augment = 1;
    o.lr = 5e-3f;
    const char *names[2] = {"horizontal", "vertical"};
    o.class_names = names;
    o.n_classes = 2;
    o.test = test;
    o.on_epoch = count_epoch;
    epochs_seen = 0;
    pt_cnn *m;
    assert_int_equal(pt_cnn_train(ctx, train, &o, &m), PT_OK);
    assert_int_equal(epochs_seen, 6);
    pt_cnn_eval_result r;
    assert_int_equal(pt_cnn_eval(ctx, m, test, &r), PT_OK);
    assert_true(r.accuracy > 0.9);
    assert_int_equal(r.class_n[0] + r.class_n[1], 100);
    assert_int_equal(pt_cnn_embed_dim(m), 16); /* the input of the last dense layer */
    char path[200];
    tmp_path(path, sizeof path, "toy.model");
    assert_int_equal(pt_cnn_save(ctx, m, path), PT_OK);
    pt_cnn *back;
    assert_int_equal(pt_cnn_load(ctx, path, &back), PT_OK);
    assert_string_equal(pt_cnn_class_name(back, 1), "vertical");
    assert_string_equal(pt_cnn_arch(back), o.arch);
    float p1[200], p2[200], e1[1600], e2[1600];
    assert_int_equal(pt_cnn_predict(ctx, m, test, p1, e1), PT_OK);
    assert_int_equal(pt_cnn_predict(ctx, back, test, p2, e2), PT_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    assert_memory_equal(e1, e2, sizeof e1);
    for (int i = 0; i < 100; i++) {
        assert_true(fabsf(p1[2 * i] + p1[2 * i + 1] - 1.0f) < 1e-5f);
    }
    /* a wrong-sized image set is refused with both shapes named */
    pt_cnn_data *other;
    assert_int_equal(pt__cnn_data_new(ctx, 3, 1, 12, 12, 1, &other), PT_OK);
    memset(other->pix, 0, 3 * 144);
    assert_int_equal(pt_cnn_eval(ctx, back, other, &r), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "12x12"));
    pt_cnn_data_free(other);
    /* an unlabelled set cannot be evaluated or trained on */
    assert_int_equal(pt__cnn_data_new(ctx, 3, 1, 10, 10, 0, &other), PT_OK);
    memset(other->pix, 0, 300);
    assert_int_equal(pt_cnn_eval(ctx, back, other, &r), PT_EINVAL);
    pt_cnn *none;
    assert_int_equal(pt_cnn_train(ctx, other, &o, &none), PT_EINVAL);
    assert_null(none);
    pt_cnn_data_free(other);
    /* the bare network file (no class names) is not an image classifier */
    pt__net *net;
    assert_int_equal(pt__net_new(ctx, "dense2", 1, 10, 10, 1, &net), PT_OK);
    assert_int_equal(pt__net_save(ctx, net, NULL, path), PT_OK);
    pt__net_free(ctx, net);
    pt_cnn *x;
    assert_int_equal(pt_cnn_load(ctx, path, &x), PT_EPARSE);
    remove(path);
    pt_cnn_free(m);
    pt_cnn_free(back);
    pt_cnn_data_free(train);
    pt_cnn_data_free(test);
}

static void test_nan_in_training_is_reported_with_the_step(void **state) {
    pt_ctx *ctx = *state;
    pt_cnn_data *train = toy_set(ctx, 64, 3);
    pt_cnn_train_opts o;
    pt_cnn_train_opts_init(&o);
    o.arch = "dense16 relu dense2";
    o.epochs = 3;
    o.batch = 8;
    o.threads = 1;
    o.lr = 1e30f;
    pt_cnn *m = (pt_cnn *)&o; /* must be reset to NULL */
    assert_int_equal(pt_cnn_train(ctx, train, &o, &m), PT_ELIMIT);
    assert_null(m);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "NaN or infinite at epoch"));
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "step"));
    pt_cnn_data_free(train);
}

/* Gradients of every parameter of net after one data-parallel step (threads workers) on x. */
static float *dp_grads(pt_ctx *ctx, pt__net *net, const pt__tensor *x, const uint8_t *lab,
                       int threads, double *loss) {
    pt__dp *dp;
    assert_int_equal(pt__dp_new(ctx, net, x->n, threads, &dp), PT_OK);
    assert_int_equal(pt__dp_workers(dp), (uint32_t)(threads < 3 ? threads : 3));
    pt__params_zero_grad(&net->params);
    *loss = 0;
    assert_int_equal(pt__dp_step(ctx, dp, x, lab, 99, loss, NULL), PT_OK);
    pt__dp_free(ctx, dp);
    size_t total = 0;
    for (size_t i = 0; i < net->params.n; i++) {
        total += net->params.items[i]->g ? net->params.items[i]->n : 0;
    }
    float *g = malloc(total * sizeof *g), *at = g;
    for (size_t i = 0; i < net->params.n; i++) {
        const pt__param *p = net->params.items[i];
        if (p->g != NULL) {
            memcpy(at, p->g, p->n * sizeof *at);
            at += p->n;
        }
    }
    return g;
}

/* Data-parallel training: 40 images = shards of 16, 16 and 8. The gradients are bit-for-bit the
 * same for 1, 2 and 3 worker threads (dropout included), and those of a net without dropout
 * match the single-network path (whole-batch forward, loss, backward) to float rounding; whole
 * training runs give byte-identical model files for 1 and 2 threads. */
static void test_data_parallel_matches_single_net_and_threads(void **state) {
    pt_ctx *ctx = *state;
    const char *archs[2] = {"conv4k3p1 bn relu pool2 conv6k3 bn relu pool2 dense8 bn relu dense3",
                            "conv4k3p1 bn relu pool2 conv6k3 relu pool2 dense8 relu drop0.3 dense3"};
    pt__tensor x = {0};
    make_input(ctx, &x, 40, 1, 16, 16, 5);
    uint8_t lab[40];
    for (int i = 0; i < 40; i++) {
        lab[i] = (uint8_t)(i * 7 % 3);
    }
    for (int a = 0; a < 2; a++) {
        pt__net *net;
        assert_int_equal(pt__net_new(ctx, archs[a], 1, 16, 16, 3, &net), PT_OK);
        size_t total = 0;
        for (size_t i = 0; i < net->params.n; i++) {
            total += net->params.items[i]->g ? net->params.items[i]->n : 0;
        }
        double l1, l2, l3;
        float *g1 = dp_grads(ctx, net, &x, lab, 1, &l1);
        float *g2 = dp_grads(ctx, net, &x, lab, 2, &l2);
        float *g3 = dp_grads(ctx, net, &x, lab, 3, &l3);
        assert_true(l1 == l2 && l1 == l3);
        assert_memory_equal(g1, g2, total * sizeof *g1);
        assert_memory_equal(g1, g3, total * sizeof *g1);
        if (a == 0) {
            /* the single-network path on the whole batch */
            pt__params_zero_grad(&net->params);
            const pt__tensor *z;
            pt__tensor dz = {0};
            double loss = 0;
            assert_int_equal(pt__net_forward(ctx, net, &x, 1, NULL, &z), PT_OK);
            assert_int_equal(pt__softmax_xent(ctx, z, lab, &dz, &loss, NULL), PT_OK);
            assert_int_equal(pt__net_backward(ctx, net, &dz), PT_OK);
            assert_true(fabs(loss - l1) < 1e-4 * fabs(loss));
            const float *at = g1;
            for (size_t i = 0; i < net->params.n; i++) {
                const pt__param *p = net->params.items[i];
                for (size_t k = 0; p->g != NULL && k < p->n; k++, at++) {
                    if (fabsf(p->g[k] - *at) > 1e-5f + 1e-3f * fabsf(p->g[k])) {
                        fail_msg("%s[%zu]: single net %g, data-parallel %g", p->name, k,
                                 (double)p->g[k], (double)*at);
                    }
                }
            }
            pt__tensor_free(ctx, &dz);
        }
        free(g1);
        free(g2);
        free(g3);
        pt__net_free(ctx, net);
    }
    /* the optimiser inside the step (sliced over 2 workers) = the step, then pt__optim_step */
    for (int twice = 0; twice < 2; twice++) {
        pt__net *a, *b;
        assert_int_equal(pt__net_new(ctx, archs[0], 1, 16, 16, 4, &a), PT_OK);
        assert_int_equal(pt__net_new(ctx, archs[0], 1, 16, 16, 4, &b), PT_OK);
        pt__optim oa, ob;
        pt__optim_adam(&oa, 1e-2f);
        pt__optim_adam(&ob, 1e-2f);
        pt__dp *da, *db;
        assert_int_equal(pt__dp_new(ctx, a, 40, 2, &da), PT_OK);
        assert_int_equal(pt__dp_new(ctx, b, 40, 1, &db), PT_OK);
        for (int step = 0; step < 3; step++) {
            assert_int_equal(pt__dp_train_step(ctx, da, &x, lab, 7, &oa, NULL, NULL), PT_OK);
            assert_int_equal(pt__dp_step(ctx, db, &x, lab, 7, NULL, NULL), PT_OK);
            assert_int_equal(pt__optim_step(ctx, &ob, &b->params), PT_OK);
            pt__params_zero_grad(&b->params);
        }
        for (size_t i = 0; i < a->params.n; i++) {
            assert_memory_equal(a->params.items[i]->w, b->params.items[i]->w,
                                a->params.items[i]->n * sizeof(float));
            if (a->params.items[i]->g != NULL) {
                for (size_t k = 0; k < a->params.items[i]->n; k++) {
                    assert_true(a->params.items[i]->g[k] == 0.0f);
                }
            }
        }
        pt__dp_free(ctx, da);
        pt__dp_free(ctx, db);
        pt__net_free(ctx, a);
        pt__net_free(ctx, b);
    }
    pt__tensor_free(ctx, &x);
    /* whole trainings, 1 and 2 threads: the same model file */
    pt_cnn_data *train = toy_set(ctx, 100, 8);
    char path[2][64];
    for (int t = 0; t < 2; t++) {
        pt_cnn_train_opts o;
        pt_cnn_train_opts_init(&o);
        o.arch = "conv4k3p1 bn relu pool2 dense8 bn relu drop0.2 dense2";
        o.epochs = 2;
        o.batch = 40;
        o.threads = t + 1;
        pt_cnn *m;
        assert_int_equal(pt_cnn_train(ctx, train, &o, &m), PT_OK);
        snprintf(path[t], sizeof path[t], "/tmp/pt_test_cnn_dp_%d_%d.model", (int)getpid(), t);
        assert_int_equal(pt_cnn_save(ctx, m, path[t]), PT_OK);
        pt_cnn_free(m);
    }
    FILE *f0 = fopen(path[0], "rb"), *f1 = fopen(path[1], "rb");
    assert_non_null(f0);
    assert_non_null(f1);
    int c0, c1;
    size_t bytes = 0;
    do {
        c0 = fgetc(f0);
        c1 = fgetc(f1);
        assert_int_equal(c0, c1);
        bytes++;
    } while (c0 != EOF);
    assert_true(bytes > 100);
    fclose(f0);
    fclose(f1);
    remove(path[0]);
    remove(path[1]);
    pt_cnn_data_free(train);
}

static void test_knn_matches_brute_force(void **state) {
    pt_ctx *ctx = *state;
    const size_t n = 1500; /* more than one 1024-row block */
    const uint32_t dim = 12, k = 5;
    float *x = malloc(n * dim * sizeof *x), *sim = malloc(n * k * sizeof *sim);
    uint32_t *idx = malloc(n * k * sizeof *idx);
    pt__rng r;
    pt__rng_seed(&r, 4);
    for (size_t i = 0; i < n * dim; i++) {
        x[i] = pt__rng_normal(&r);
    }
    memset(x + 7 * dim, 0, dim * sizeof *x); /* a zero row */
    assert_int_equal(pt_cnn_knn(ctx, x, n, dim, k, idx, sim), PT_OK);
    for (size_t i = 0; i < n; i += 37) {
        /* brute force: the k-th best cosine */
        double best[5] = {-2, -2, -2, -2, -2};
        for (size_t j = 0; j < n; j++) {
            if (j == i) {
                continue;
            }
            double d = 0, ni = 0, nj = 0;
            for (uint32_t t = 0; t < dim; t++) {
                d += (double)x[i * dim + t] * x[j * dim + t];
                ni += (double)x[i * dim + t] * x[i * dim + t];
                nj += (double)x[j * dim + t] * x[j * dim + t];
            }
            double c = ni > 0 && nj > 0 ? d / sqrt(ni * nj) : 0;
            for (int q = 0; q < 5; q++) {
                if (c > best[q]) {
                    memmove(best + q + 1, best + q, (4 - q) * sizeof *best);
                    best[q] = c;
                    break;
                }
            }
        }
        for (uint32_t q = 0; q < k; q++) {
            assert_true(fabs(sim[i * k + q] - best[q]) < 1e-4);
            assert_true(idx[i * k + q] != i && idx[i * k + q] < n);
        }
    }
    /* fewer rows than k: padded */
    assert_int_equal(pt_cnn_knn(ctx, x, 3, dim, k, idx, sim), PT_OK);
    assert_true(idx[1] != UINT32_MAX && idx[2] == UINT32_MAX && sim[3] == 0.0f);
    assert_int_equal(pt_cnn_knn(ctx, x, 3, dim, 0, idx, sim), PT_EINVAL);
    free(x);
    free(sim);
    free(idx);
}

/* Ties, blocks and threads: rows of 0/1 entries with 1 or 4 ones have unit-normalised entries
 * 1 or 0.5, so every cosine (0, 0.25, 0.5, 1) is exact in float whatever the summation order,
 * and most rows tie with many others. The neighbours must be exactly the brute-force ones in
 * the documented order (higher cosine, then lower index), whatever the thread count. */
static void test_knn_ties_and_threads_match_brute_force(void **state) {
    pt_ctx *ctx = *state;
    const size_t n = 2300; /* three 1024-row blocks: row and column heaps across blocks */
    const uint32_t dim = 8, k = 6;
    float *x = calloc(n * dim, sizeof *x), *sim = malloc(n * k * sizeof *sim);
    uint32_t *idx = malloc(n * k * sizeof *idx);
    float *want_s = malloc(n * k * sizeof *want_s);
    uint32_t *want_i = malloc(n * k * sizeof *want_i);
    pt__rng r;
    pt__rng_seed(&r, 11);
    for (size_t i = 0; i < n; i++) {
        uint32_t ones = pt__rng_below(&r, 2) ? 4 : 1;
        for (uint32_t q = 0; q < ones; q++) {
            x[i * dim + (i * 3 + q * (1 + i % 2)) % dim] = 1.0f; /* distinct positions */
        }
    }
    /* brute force with exact cosines: dot / (norm_i * norm_j), norms 1 or 2 */
    for (size_t i = 0; i < n; i++) {
        for (uint32_t q = 0; q < k; q++) {
            want_s[i * k + q] = -2.0f;
            want_i[i * k + q] = UINT32_MAX;
        }
        for (size_t j = 0; j < n; j++) {
            if (j == i) {
                continue;
            }
            float d = 0, ni = 0, nj = 0;
            for (uint32_t t = 0; t < dim; t++) {
                d += x[i * dim + t] * x[j * dim + t];
                ni += x[i * dim + t];
                nj += x[j * dim + t];
            }
            float c = d / (sqrtf(ni) * sqrtf(nj));
            /* insert (c, j) into the sorted list: higher c first; j ascends, so a tie goes after */
            for (uint32_t q = 0; q < k; q++) {
                if (c > want_s[i * k + q]) {
                    memmove(want_s + i * k + q + 1, want_s + i * k + q, (k - 1 - q) * sizeof(float));
                    memmove(want_i + i * k + q + 1, want_i + i * k + q,
                            (k - 1 - q) * sizeof(uint32_t));
                    want_s[i * k + q] = c;
                    want_i[i * k + q] = (uint32_t)j;
                    break;
                }
            }
        }
    }
    int before = pt_cnn_set_threads(1);
    for (int threads = 1; threads <= 3; threads++) {
        pt_cnn_set_threads(threads);
        memset(idx, 0xab, n * k * sizeof *idx);
        assert_int_equal(pt_cnn_knn(ctx, x, n, dim, k, idx, sim), PT_OK);
        for (size_t i = 0; i < n * k; i++) {
            if (idx[i] != want_i[i] || sim[i] != want_s[i]) {
                fail_msg("threads %d row %zu rank %zu: got %u (%g), brute force %u (%g)", threads,
                         i / k, i % k, idx[i], (double)sim[i], want_i[i], (double)want_s[i]);
            }
        }
    }
    pt_cnn_set_threads(before);
    free(x);
    free(sim);
    free(idx);
    free(want_s);
    free(want_i);
}

static void test_attach_is_idempotent(void **state) {
    pt_ctx *ctx = *state;
    pt_cnn_data *train = toy_set(ctx, 40, 5);
    pt_cnn_train_opts o;
    pt_cnn_train_opts_init(&o);
    o.arch = "conv4k3 relu pool2 dense6 relu dense2";
    o.epochs = 1;
    o.threads = 1;
    const char *names[2] = {"Horizontal bar", "vertical"};
    o.class_names = names;
    o.n_classes = 2;
    pt_cnn *m;
    assert_int_equal(pt_cnn_train(ctx, train, &o, &m), PT_OK);
    float probs[8 * 2], emb[8 * 6];
    pt_cnn_data *few;
    const size_t pick[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(pt_cnn_data_subset(ctx, train, pick, 8, &few), PT_OK);
    assert_int_equal(pt_cnn_predict(ctx, m, few, probs, emb), PT_OK);
    pt_builder *b;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_node_id it = pt_builder_intern(b, "http://shop/item/1", 18, PT_TERM_IRI);
    pt_node_id ty = pt_builder_intern(b, PT_RDF_TYPE, strlen(PT_RDF_TYPE), PT_TERM_IRI);
    pt_node_id cl = pt_builder_intern(b, PT_ITEM, strlen(PT_ITEM), PT_TERM_IRI);
    pt_builder_add_edge(b, it, ty, cl, 1.0f, 0);
    pt_graph *g;
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    const char *iris[8] = {"http://shop/item/1", "http://shop/item/2", "http://shop/item/3",
                           "http://shop/item/4", "http://shop/item/5", "http://shop/item/6",
                           "http://shop/item/7", "http://shop/item/8"};
    pt_cnn_attach_stats st;
    assert_int_equal(pt_cnn_attach(ctx, m, g, iris, 8, probs, emb, 3, 1, 0.0f, &st), PT_OK);
    assert_int_equal(st.items, 8);
    assert_int_equal(st.new_items, 7);
    assert_int_equal(st.category_edges, 8);
    assert_int_equal(st.similar_edges, 24);
    assert_int_equal(pt_graph_compact(g), PT_OK);
    uint64_t edges = pt_graph_edge_count(g);
    uint64_t lits = pt_graph_literal_count(g);
    assert_int_equal(pt_cnn_attach(ctx, m, g, iris, 8, probs, emb, 3, 1, 0.0f, &st), PT_OK);
    assert_int_equal(st.new_items, 0);
    assert_int_equal(pt_graph_compact(g), PT_OK);
    assert_int_equal(pt_graph_edge_count(g), edges);
    assert_int_equal(pt_graph_literal_count(g), lits);
    /* the vector and the category edge of item 1 */
    pt_node_id v = pt_graph_lookup(g, iris[0], strlen(iris[0]), PT_TERM_IRI);
    pt_node_id pe = pt_graph_lookup(g, PT_IMAGE_EMBEDDING, strlen(PT_IMAGE_EMBEDDING), PT_TERM_IRI);
    float got[6];
    assert_int_equal(pt_graph_get_vector(g, v, pe, got, 6), 6);
    assert_memory_equal(got, emb, sizeof got);
    const char *cat = "https://w3id.org/portrait/ns#category/Horizontal%20bar";
    assert_true(pt_graph_lookup(g, cat, strlen(cat), PT_TERM_IRI) != PT_NONE);
    pt_graph_free(g);
    pt_cnn_data_free(few);
    pt_cnn_data_free(train);
    pt_cnn_free(m);
}

/* ======================================================================= Fashion-MNIST == */

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

static void test_fashion_mnist_smoke(void **state) {
    pt_ctx *ctx = *state;
    FILE *f = fopen(FASHION_DIR "/t10k-images-idx3-ubyte.gz", "rb");
    if (f == NULL) {
        skip(); /* Debian dataset-fashion-mnist not installed */
    }
    fclose(f);
    pt_cnn_data *d;
    assert_int_equal(pt_cnn_data_load_idx(ctx, FASHION_DIR "/t10k-images-idx3-ubyte.gz",
                                          FASHION_DIR "/t10k-labels-idx1-ubyte.gz", 300, &d),
                     PT_OK);
    uint32_t c, h, w;
    pt_cnn_data_shape(d, &c, &h, &w);
    assert_int_equal(h, 28);
    assert_int_equal(w, 28);
    int seen[10] = {0};
    for (size_t i = 0; i < 300; i++) {
        int l = pt_cnn_data_label(d, i);
        assert_true(l >= 0 && l < 10);
        seen[l] = 1;
    }
    for (int l = 0; l < 10; l++) {
        assert_true(seen[l]);
    }
    /* one epoch of the small net on 300 images learns something (> chance) */
    pt_cnn_train_opts o;
    pt_cnn_train_opts_init(&o);
    o.arch = "small";
    o.epochs = 2;
    o.threads = 1;
    pt_cnn *m;
    assert_int_equal(pt_cnn_train(ctx, d, &o, &m), PT_OK);
    pt_cnn_eval_result r;
    assert_int_equal(pt_cnn_eval(ctx, m, d, &r), PT_OK);
    assert_true(r.accuracy > 0.4);
    assert_int_equal(pt_cnn_embed_dim(m), 128);
    pt_cnn_free(m);
    pt_cnn_data_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conv2d_gradients, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_conv2d_matches_direct_convolution, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_dense_gradients, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_activation_pool_dropout_gradients, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_maxpool_global_shape, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_dropout_eval_is_identity_and_rate, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_batchnorm_gradients, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_batchnorm_normalises, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_embedding_sparse_gradients, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_softmax_xent_gradient, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_network_gradients_and_training, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_architecture_errors, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_model_file_round_trip_and_corruption, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_idx_reader_and_errors, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_png_and_jpeg_are_read_and_resized, ctx_up, ctx_down),
        cmocka_unit_test(test_augmentation_keeps_shape_and_changes_pixels),
        cmocka_unit_test_setup_teardown(test_train_eval_save_load_predict, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_nan_in_training_is_reported_with_the_step, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_data_parallel_matches_single_net_and_threads, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_knn_matches_brute_force, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_knn_ties_and_threads_match_brute_force, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_attach_is_idempotent, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_fashion_mnist_smoke, ctx_up, ctx_down),
    };
    return cmocka_run_group_tests_name("cnn", tests, NULL, NULL);
}
