/*
 * cnn.h - what the image CNN's files share (folder-private): the data set's layout, the model
 * struct, and the image helpers in image.c that cnn.c uses for batches and augmentation.
 */
#ifndef PT_CNN_INT_H
#define PT_CNN_INT_H

#include "cnn/nn.h"
#include "portrait/pt_cnn.h"

/* Images as 8-bit pixels, n x c x h x w, with optional labels. */
struct pt_cnn_data {
    pt_ctx *ctx;
    uint32_t n, c, h, w;
    uint8_t *pix;    /* n*c*h*w bytes */
    uint8_t *labels; /* n labels, or NULL */
};

/* A trained model: the network, the class names and the input normalisation. */
struct pt_cnn {
    pt_ctx *ctx;
    pt__net *net;
    uint32_t n_classes;
    char **class_names; /* n_classes owned strings */
    float mean, std;    /* x = (pixel / 255 - mean) / std */
    pt__tensor batch;   /* reusable input batch */
};

/* Allocate an empty data set of n images of c x h x w (labels when `labelled`). */
int pt__cnn_data_new(pt_ctx *ctx, uint32_t n, uint32_t c, uint32_t h, uint32_t w, int labelled,
                     pt_cnn_data **out);

/* Decode a PNG or JPEG file into 8-bit pixels with `channels` (1 or 3) channels, channel-major
 * (c x h x w), resized to h x w. */
int pt__image_read(pt_ctx *ctx, const char *path, uint32_t channels, uint32_t h, uint32_t w,
                   uint8_t *out);

/* Augmentation flags for pt__image_to_float. */
enum { PT__AUG_SHIFT = 1, PT__AUG_FLIP = 2, PT__AUG_ERASE = 4 };

/* Convert one 8-bit image (c x h x w) to normalised floats, applying the augmentations in
 * `flags` with rng: a random shift of up to 2 pixels each way (zero fill, a crop of the image
 * padded by 2), a horizontal flip with probability 1/2, and random erasing (Zhong et al. 2017)
 * with probability 1/2 of a rectangle of 2-20% of the area filled with 0 (the mean). */
void pt__image_to_float(const uint8_t *src, uint32_t c, uint32_t h, uint32_t w, float mean,
                        float std, int flags, pt__rng *rng, float *dst);

#endif /* PT_CNN_INT_H */
