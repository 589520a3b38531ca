/*
 * bench_cnn.c - the CNN's throughput targets (issue 6): training and inference images/s of the
 * `--arch small` network on Fashion-MNIST (batch 64, Adam, the same work as
 * bench_cnn_torch.py), and the kNN of 70,000 x 128 embeddings with blocked SGEMM.
 *
 * usage: bench_cnn [--data DIR] [--n N] [--threads T] [--epochs E] [--knn N] [--dim D] [--k K]
 *   defaults: /usr/share/datasets/fashion-mnist, 6400 training images, all cores, 1 epoch,
 *   70000 x 128, k 10. --n 0 skips the CNN, --knn 0 skips the kNN.
 * Prints lines like bench_cnn_torch.py's: "portrait train_images_per_s 1234.5 (...)".
 * Uses only the public API (pt_cnn.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portrait/portrait.h"

/* Wall seconds. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU seconds of the process. */
static double cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double last_loss;
static void on_epoch(void *ud, const pt_cnn_epoch *e) {
    (void)ud;
    last_loss = e->loss;
}

int main(int argc, char **argv) {
    const char *dir = "/usr/share/datasets/fashion-mnist";
    long n = 6400, threads = 0, epochs = 1, knn = 70000, dim = 128, k = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--data") == 0) {
            dir = argv[i + 1];
        } else if (strcmp(argv[i], "--n") == 0) {
            n = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--epochs") == 0) {
            epochs = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--knn") == 0) {
            knn = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--dim") == 0) {
            dim = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--k") == 0) {
            k = atol(argv[i + 1]);
        } else {
            fprintf(stderr, "bench_cnn: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    pt_ctx *ctx;
    if (pt_ctx_new(&ctx) != PT_OK) {
        return 1;
    }
    int nt = pt_cnn_set_threads((int)threads);
    int rc = PT_OK;
    if (n > 0) {
        char ti[1024], tl[1024], xi[1024], xl[1024];
        snprintf(ti, sizeof ti, "%s/train-images-idx3-ubyte.gz", dir);
        snprintf(tl, sizeof tl, "%s/train-labels-idx1-ubyte.gz", dir);
        snprintf(xi, sizeof xi, "%s/t10k-images-idx3-ubyte.gz", dir);
        snprintf(xl, sizeof xl, "%s/t10k-labels-idx1-ubyte.gz", dir);
        pt_cnn_data *train = NULL, *test = NULL;
        pt_cnn *m = NULL;
        rc = pt_cnn_data_load_idx(ctx, ti, tl, (size_t)n, &train);
        if (rc == PT_OK) {
            rc = pt_cnn_data_load_idx(ctx, xi, xl, 0, &test);
        }
        if (rc == PT_OK) {
            pt_cnn_train_opts o;
            pt_cnn_train_opts_init(&o);
            o.arch = "small";
            o.epochs = (uint32_t)epochs;
            o.batch = 64;
            o.threads = (int)threads;
            o.on_epoch = on_epoch;
            double t0 = now(), c0 = cpu();
            rc = pt_cnn_train(ctx, train, &o, &m);
            double dt = now() - t0, dc = cpu() - c0;
            if (rc == PT_OK) {
                printf("portrait train_images_per_s %.1f (%ld images, %d threads, loss %.4f, "
                       "%.1f s wall, %.1f s cpu)\n",
                       (double)n * epochs / dt, n * epochs, nt, last_loss, dt, dc);
            }
        }
        if (rc == PT_OK) {
            pt_cnn_eval_result r;
            double c0 = cpu();
            rc = pt_cnn_eval(ctx, m, test, &r);
            if (rc == PT_OK) {
                printf("portrait infer_images_per_s %.1f (%zu images, %d threads, batch 256, "
                       "accuracy %.4f, %.1f s cpu)\n",
                       r.images_per_s, r.n, nt, r.accuracy, cpu() - c0);
            }
        }
        pt_cnn_free(m);
        pt_cnn_data_free(train);
        pt_cnn_data_free(test);
    }
    if (rc == PT_OK && knn > 0) {
        size_t rows = (size_t)knn;
        float *x = malloc(rows * (size_t)dim * sizeof *x), *sim = malloc(rows * k * sizeof *sim);
        uint32_t *idx = malloc(rows * k * sizeof *idx);
        if (x == NULL || sim == NULL || idx == NULL) {
            fprintf(stderr, "bench_cnn: out of memory\n");
            return 1;
        }
        /* clustered random embeddings (ReLU outputs are non-negative): 100 centres + noise */
        uint64_t s = 42;
        for (size_t i = 0; i < rows * (size_t)dim; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            float u = (float)(s >> 40) / 16777216.0f;
            size_t centre = (i / (size_t)dim) % 100, t = i % (size_t)dim;
            x[i] = fmaxf(0.0f, (float)((centre * 31 + t * 17) % 13) / 13.0f + 0.5f * (u - 0.5f));
        }
        double t0 = now(), c0 = cpu();
        rc = pt_cnn_knn(ctx, x, rows, (uint32_t)dim, (uint32_t)k, idx, sim);
        double dt = now() - t0, dc = cpu() - c0;
        if (rc == PT_OK) {
            printf("portrait knn_seconds %.2f (%zu x %ld, k %ld, %d threads, %.1f s cpu)\n", dt,
                   rows, dim, k, nt, dc);
        }
        free(x);
        free(sim);
        free(idx);
    }
    if (rc != PT_OK) {
        fprintf(stderr, "bench_cnn: %s\n", pt_ctx_errmsg(ctx));
    }
    pt_ctx_free(ctx);
    return rc == PT_OK ? 0 : 1;
}
