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

#include "pt_test.h"
#include "cnn/nn.h"

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
    pt__params reg;
    pt__params_init(&reg, ctx);
    pt__rng rng;
    pt__rng_seed(&rng, 3);
    pt__layer *l;
    assert_int_equal(pt__conv2d_new(ctx, &reg, &rng, 2, 3, 3, 3, 1, 1, &l), PT_OK);
    pt__tensor x = {0};
    make_input(ctx, &x, 2, 2, 4, 5, 4);
    const pt__tensor *y;
    assert_int_equal(pt__layer_forward(ctx, l, &x, 0, NULL, &y), PT_OK);
    assert_int_equal(y->h, 4);
    assert_int_equal(y->w, 5);
    for (uint32_t b = 0; b < 2; b++) {
        for (uint32_t co = 0; co < 3; co++) {
            for (int oy = 0; oy < 4; oy++) {
                for (int ox = 0; ox < 5; ox++) {
                    double s = l->bias->w[co];
                    for (uint32_t ci = 0; ci < 2; ci++) {
                        for (int i = 0; i < 3; i++) {
                            for (int j = 0; j < 3; j++) {
                                int iy = oy + i - 1, ix = ox + j - 1;
                                if (iy < 0 || iy >= 4 || ix < 0 || ix >= 5) {
                                    continue;
                                }
                                s += (double)l->wt->w[((co * 2 + ci) * 3 + i) * 3 + j] *
                                     x.data[((b * 2 + ci) * 4 + iy) * 5 + ix];
                            }
                        }
                    }
                    float got = y->data[((b * 3 + co) * 4 + oy) * 5 + ox];
                    assert_true(fabs(got - s) < 1e-5);
                }
            }
        }
    }
    pt__tensor_free(ctx, &x);
    pt__layer_free(ctx, l);
    pt__params_free(&reg);
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
    pt__layer *ls[6];
    assert_int_equal(pt__relu_new(ctx, &ls[0]), PT_OK);
    assert_int_equal(pt__tanh_new(ctx, &ls[1]), PT_OK);
    assert_int_equal(pt__maxpool_new(ctx, 2, 2, &ls[2]), PT_OK);
    assert_int_equal(pt__maxpool_new(ctx, 0, 1, &ls[3]), PT_OK); /* global max over h */
    assert_int_equal(pt__maxpool_new(ctx, 3, 2, &ls[4]), PT_OK); /* floor: 7x5 -> 2x2 */
    assert_int_equal(pt__dropout_new(ctx, 0.4f, &ls[5]), PT_OK);
    for (int i = 0; i < 6; i++) {
        pt__tensor x = {0};
        make_input(ctx, &x, 2, 3, 7, 5, 20 + i);
        grad_check(ctx, ls[i], &reg, &x, 1);
        pt__tensor_free(ctx, &x);
        pt__layer_free(ctx, ls[i]);
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
    assert_int_equal(pt__net_new(ctx, "conv3k3p1 bn relu pool2 conv4k2 tanh dense6 bn relu dense3",
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
    };
    return cmocka_run_group_tests_name("cnn", tests, NULL, NULL);
}
