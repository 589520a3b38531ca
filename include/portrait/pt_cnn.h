/*
 * pt_cnn.h - image CNNs on OpenBLAS (issue 6, image side): load labelled images (IDX files such
 * as Fashion-MNIST, or PNG/JPEG product photos resized and normalised), train a convolutional
 * classifier, evaluate it, and attach to catalogue items their penultimate-layer embedding,
 * predicted categories with confidence, and k-nearest-neighbour pt:similarTo edges, so items
 * with no interactions yet get neighbours and a category.
 *
 * The network library itself is internal (engine/cnn/nn.h); this header is what the command
 * and other programs use. docs/CNN.md describes the architectures and the model file.
 */
#ifndef PT_CNN_H
#define PT_CNN_H

#include "pt_graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= data =========== */

/** A set of images (8-bit, c x h x w each) with optional class labels. Opaque. */
typedef struct pt_cnn_data pt_cnn_data;

/**
 * Read an IDX image file (magic 0x00000803, n x h x w unsigned bytes; gzip-compressed files are
 * read transparently) and, when `labels_path` is not NULL, its IDX label file (0x00000801).
 * @param[in] limit  read at most this many images (0: all)
 * @return PT_OK; PT_ENOTFOUND / PT_EIO (cannot open or read); PT_EPARSE (wrong magic, truncated
 *         file, implausible dimensions, label count != image count; the message names the file
 *         and the reason); PT_ENOMEM.
 * Lifetime: *out is owned by the caller; free it with pt_cnn_data_free.
 */
PT_API int pt_cnn_data_load_idx(pt_ctx *ctx, const char *images_path, const char *labels_path,
                                size_t limit, pt_cnn_data **out);

/**
 * Read PNG or JPEG files (recognised by their first bytes), convert them to `channels` (1 grey or
 * 3 RGB), resize them to h x w (bilinear), unlabelled. With `invert_light`, an image whose border
 * is light (a product photo on white) is inverted, to look like Fashion-MNIST (light object on
 * black).
 * @return PT_OK; PT_ENOTFOUND / PT_EIO; PT_EPARSE (not a PNG/JPEG, corrupt: names the file);
 *         PT_EINVAL (channels not 1 or 3, zero size); PT_ENOMEM.
 */
PT_API int pt_cnn_data_load_images(pt_ctx *ctx, const char *const *paths, size_t n,
                                   uint32_t channels, uint32_t h, uint32_t w, int invert_light,
                                   pt_cnn_data **out);

/** Free a data set; NULL is a no-op. */
PT_API void pt_cnn_data_free(pt_cnn_data *d);
/** Number of images. */
PT_API size_t pt_cnn_data_count(const pt_cnn_data *d);
/** Image shape (channels, height, width). */
PT_API void pt_cnn_data_shape(const pt_cnn_data *d, uint32_t *c, uint32_t *h, uint32_t *w);
/** Label of image i, or -1 when the set is unlabelled or i is out of range. */
PT_API int pt_cnn_data_label(const pt_cnn_data *d, size_t i);
/**
 * A new data set made of the images idx[0..n) of `d` (labels included), for picking items.
 * @return PT_OK, PT_EINVAL (an index out of range), PT_ENOMEM.
 */
PT_API int pt_cnn_data_subset(pt_ctx *ctx, const pt_cnn_data *d, const size_t *idx, size_t n,
                              pt_cnn_data **out);

/* ======================================================================= models ========= */

/** A trained image classifier. Opaque; one thread at a time. */
typedef struct pt_cnn pt_cnn;

/** One epoch's figures, passed to the training callback. */
typedef struct pt_cnn_epoch {
    uint32_t epoch;      /* 1-based */
    uint32_t epochs;
    double loss;         /* mean training cross-entropy */
    double accuracy;     /* training accuracy in [0, 1] (on augmented images when augmenting) */
    double seconds;      /* wall time of the epoch */
    double cpu_seconds;  /* CPU time of the process during the epoch (all threads) */
    double images_per_s; /* training images per second */
    double test_accuracy; /* on opts.test, or -1 */
} pt_cnn_epoch;

typedef struct pt_cnn_train_opts {
    /** "best" (default when NULL), "small", "seed", or an architecture string (docs/CNN.md). */
    const char *arch;
    uint32_t epochs;      /* default 10 */
    uint32_t batch;       /* default 64 */
    int threads;          /* OpenBLAS threads; <= 0: the number of cores */
    uint64_t seed;        /* weights, shuffling, augmentation, dropout */
    int augment;          /* random shift, horizontal flip, random erasing */
    float lr;             /* 0: the architecture's default (Adam 1e-3) */
    const char *const *class_names; /* n_classes names, or NULL for "0".."9" */
    uint32_t n_classes;   /* 0: 1 + the largest label */
    const pt_cnn_data *test; /* optional: accuracy after every epoch */
    void (*on_epoch)(void *ud, const pt_cnn_epoch *e);
    void *ud;
} pt_cnn_train_opts;

/** Defaults: best arch, 10 epochs, batch 64, all cores, seed 1, no augmentation. */
PT_API void pt_cnn_train_opts_init(pt_cnn_train_opts *o);

/**
 * Train a classifier on labelled images, with Adam and a per-epoch callback.
 * @return PT_OK; PT_EINVAL (unlabelled data, unknown architecture, images too small for it);
 *         PT_ELIMIT when the loss becomes NaN or infinite (the message names the epoch and step;
 *         training stops); PT_ENOMEM.
 * Lifetime: *out is owned by the caller (pt_cnn_free).
 */
PT_API int pt_cnn_train(pt_ctx *ctx, const pt_cnn_data *train, const pt_cnn_train_opts *o,
                        pt_cnn **out);

PT_API void pt_cnn_free(pt_cnn *m);

/** Save to a model file (versioned, CRC-checked). PT_EIO on a write failure. */
PT_API int pt_cnn_save(pt_ctx *ctx, const pt_cnn *m, const char *path);

/**
 * Load a model file.
 * @return PT_OK; PT_ENOTFOUND / PT_EIO; PT_EPARSE for a corrupt, truncated, foreign or newer file
 *         (the message says which).
 */
PT_API int pt_cnn_load(pt_ctx *ctx, const char *path, pt_cnn **out);

/** The architecture string. Lifetime: owned by m. */
PT_API const char *pt_cnn_arch(const pt_cnn *m);
PT_API uint32_t pt_cnn_class_count(const pt_cnn *m);
/** Class name i. Lifetime: owned by m. */
PT_API const char *pt_cnn_class_name(const pt_cnn *m, uint32_t i);
/** Dimension of the embedding (the input of the last dense layer). */
PT_API uint32_t pt_cnn_embed_dim(const pt_cnn *m);
/** Input shape the model expects. */
PT_API void pt_cnn_input_shape(const pt_cnn *m, uint32_t *c, uint32_t *h, uint32_t *w);
/** Set the OpenBLAS thread count for this process (<= 0: cores); returns the count. */
PT_API int pt_cnn_set_threads(int threads);

typedef struct pt_cnn_eval_result {
    size_t n;                /* images */
    size_t correct;
    double accuracy;
    uint32_t n_classes;
    size_t class_n[256];     /* images per true class */
    size_t class_correct[256];
    double seconds;
    double images_per_s;
} pt_cnn_eval_result;

/**
 * Accuracy and per-class accuracy on labelled images.
 * @return PT_OK; PT_EINVAL (unlabelled, a label >= classes, an image shape the model does not
 *         take: the message gives both shapes); PT_ENOMEM.
 */
PT_API int pt_cnn_eval(pt_ctx *ctx, pt_cnn *m, const pt_cnn_data *d, pt_cnn_eval_result *res);

/**
 * Run the model on every image: `probs` (n x classes, may be NULL) gets the class
 * probabilities, `emb` (n x embed_dim, may be NULL) the embeddings.
 * @return PT_OK, PT_EINVAL (shape mismatch), PT_ENOMEM.
 */
PT_API int pt_cnn_predict(pt_ctx *ctx, pt_cnn *m, const pt_cnn_data *d, float *probs, float *emb);

/* ======================================================================= neighbours ===== */

/**
 * The k nearest neighbours by cosine similarity of each of the n rows of `emb` (n x dim),
 * excluding the row itself: blocked SGEMM of normalised rows, a k-heap per row.
 * idx[i*k + j] / sim[i*k + j] are row i's j-th neighbour, best first (equal similarities: the
 * lower row index first, so the result is the same for any thread count); when n - 1 < k the
 * rest is filled with UINT32_MAX / 0. Zero rows have similarity 0 to everything.
 * @return PT_OK, PT_EINVAL (k 0), PT_ENOMEM.
 */
PT_API int pt_cnn_knn(pt_ctx *ctx, const float *emb, size_t n, uint32_t dim, uint32_t k,
                      uint32_t *idx, float *sim);

/* ======================================================================= the graph ====== */

typedef struct pt_cnn_attach_stats {
    size_t items;        /* items given embeddings */
    size_t new_items;    /* of which had no node yet (created, typed pt:Item) */
    size_t category_edges;
    size_t similar_edges;
} pt_cnn_attach_stats;

/**
 * Attach CNN outputs to items of `g`: for item i (IRI item_iris[i], created when absent) the
 * embedding emb[i] as its pt:imageEmbedding vector; pt:predictedCategory edges (weight =
 * probability) to the category nodes <PT_NS "category/" + class name> (labelled with the class
 * name) for the top `n_cats` classes with probability >= min_prob; and pt:similarTo edges
 * (weight = cosine) to its `k` nearest items among these n. An edge that exists already is
 * updated, not doubled, and labels and types are added only to nodes created here, so running
 * it twice gives the same graph. (The graph has no edge removal: a neighbour or category from an
 * earlier run with another model stays.)
 * @param[in] probs n x pt_cnn_class_count(m)   @param[in] emb n x pt_cnn_embed_dim(m)
 * @return PT_OK, PT_EINVAL, PT_ENOMEM. On failure the graph may hold part of the changes: call it
 *         on a graph you commit only on success (the store's graph until pt_store_commit).
 */
PT_API int pt_cnn_attach(pt_ctx *ctx, const pt_cnn *m, pt_graph *g, const char *const *item_iris,
                         size_t n, const float *probs, const float *emb, uint32_t k,
                         uint32_t n_cats, float min_prob, pt_cnn_attach_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* PT_CNN_H */
