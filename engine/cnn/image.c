/*
 * image.c - images for the CNN: the IDX reader (Fashion-MNIST; gzip read through zlib), PNG
 * (libpng's simplified API) and JPEG (libjpeg-turbo) decoding, bilinear resizing, conversion to
 * normalised floats, and the training augmentations (shift, flip, random erasing). cnn.c builds
 * its batches from these; nothing here knows about networks.
 */
#include <errno.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>
#include <zlib.h>

#include "cnn/cnn.h"

/* ======================================================================= data sets ====== */

int pt__cnn_data_new(pt_ctx *ctx, uint32_t n, uint32_t c, uint32_t h, uint32_t w, int labelled,
                     pt_cnn_data **out) {
    *out = NULL;
    pt_cnn_data *d = pt__calloc(ctx, 1, sizeof *d);
    if (d == NULL) {
        return pt__error(ctx, PT_ENOMEM, "image set");
    }
    d->ctx = ctx;
    d->n = n;
    d->c = c;
    d->h = h;
    d->w = w;
    size_t bytes = (size_t)n * c * h * w;
    d->pix = pt__malloc(ctx, bytes ? bytes : 1);
    if (labelled) {
        d->labels = pt__calloc(ctx, n ? n : 1, 1);
    }
    if (d->pix == NULL || (labelled && d->labels == NULL)) {
        pt_cnn_data_free(d);
        return pt__error(ctx, PT_ENOMEM, "image set of %u images", n);
    }
    *out = d;
    return PT_OK;
}

void pt_cnn_data_free(pt_cnn_data *d) {
    if (d == NULL) {
        return;
    }
    pt__free(d->ctx, d->pix);
    pt__free(d->ctx, d->labels);
    pt__free(d->ctx, d);
}

size_t pt_cnn_data_count(const pt_cnn_data *d) {
    return d->n;
}

void pt_cnn_data_shape(const pt_cnn_data *d, uint32_t *c, uint32_t *h, uint32_t *w) {
    *c = d->c;
    *h = d->h;
    *w = d->w;
}

int pt_cnn_data_label(const pt_cnn_data *d, size_t i) {
    return d->labels != NULL && i < d->n ? d->labels[i] : -1;
}

int pt_cnn_data_subset(pt_ctx *ctx, const pt_cnn_data *d, const size_t *idx, size_t n,
                       pt_cnn_data **out) {
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= d->n) {
            return pt__error(ctx, PT_EINVAL, "image index %zu out of range (%u images)", idx[i],
                             d->n);
        }
    }
    int rc = pt__cnn_data_new(ctx, (uint32_t)n, d->c, d->h, d->w, d->labels != NULL, out);
    if (rc != PT_OK) {
        return rc;
    }
    size_t sz = (size_t)d->c * d->h * d->w;
    for (size_t i = 0; i < n; i++) {
        memcpy((*out)->pix + i * sz, d->pix + idx[i] * sz, sz);
        if (d->labels != NULL) {
            (*out)->labels[i] = d->labels[idx[i]];
        }
    }
    return PT_OK;
}

/* ======================================================================= IDX ============ */

/* Read exactly n bytes from gz; 0 on a short read. */
static int gz_exact(gzFile gz, void *buf, size_t n) {
    uint8_t *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int got = gzread(gz, p, chunk);
        if (got <= 0) {
            return 0;
        }
        p += got;
        n -= (size_t)got;
    }
    return 1;
}

/* Open an IDX file and read its header: the magic must be 0x000008<ndim> (unsigned bytes) with
 * ndim = want_dims; dims[] gets the sizes (big-endian on disk). */
static int idx_open(pt_ctx *ctx, const char *path, int want_dims, gzFile *out, uint32_t *dims) {
    *out = NULL;
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) {
        return pt__error(ctx, errno == ENOENT ? PT_ENOTFOUND : PT_EIO, "%s: %s", path,
                         strerror(errno));
    }
    fclose(probe);
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL) {
        return pt__error(ctx, PT_EIO, "%s: cannot open", path);
    }
    uint8_t h[4];
    if (!gz_exact(gz, h, 4)) {
        gzclose(gz);
        return pt__error(ctx, PT_EPARSE, "%s: truncated IDX file (no header)", path);
    }
    if (h[0] != 0 || h[1] != 0 || h[2] != 0x08 || h[3] != want_dims) {
        gzclose(gz);
        return pt__error(ctx, PT_EPARSE,
                         "%s: not an IDX %s file (magic %02x%02x%02x%02x, expected 000008%02x)",
                         path, want_dims == 1 ? "label" : "image", h[0], h[1], h[2], h[3],
                         want_dims);
    }
    for (int i = 0; i < want_dims; i++) {
        uint8_t b[4];
        if (!gz_exact(gz, b, 4)) {
            gzclose(gz);
            return pt__error(ctx, PT_EPARSE, "%s: truncated IDX header", path);
        }
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    }
    *out = gz;
    return PT_OK;
}

int pt_cnn_data_load_idx(pt_ctx *ctx, const char *images_path, const char *labels_path,
                         size_t limit, pt_cnn_data **out) {
    gzFile gi = NULL, gl = NULL;
    pt_cnn_data *d = NULL;
    uint32_t dims[3] = {0, 0, 0}, ldims[1] = {0};
    int rc = PT_OK;
    *out = NULL;
    PT_TRY(idx_open(ctx, images_path, 3, &gi, dims));
    if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || dims[1] > 4096 || dims[2] > 4096 ||
        (uint64_t)dims[0] * dims[1] * dims[2] > ((uint64_t)1 << 34)) {
        rc = pt__error(ctx, PT_EPARSE, "%s: implausible image dimensions %u x %u x %u",
                       images_path, dims[0], dims[1], dims[2]);
        goto done;
    }
    if (labels_path != NULL) {
        PT_TRY(idx_open(ctx, labels_path, 1, &gl, ldims));
        if (ldims[0] != dims[0]) {
            rc = pt__error(ctx, PT_EPARSE, "%s has %u labels but %s has %u images", labels_path,
                           ldims[0], images_path, dims[0]);
            goto done;
        }
    }
    uint32_t n = dims[0];
    if (limit > 0 && limit < n) {
        n = (uint32_t)limit;
    }
    PT_TRY(pt__cnn_data_new(ctx, n, 1, dims[1], dims[2], labels_path != NULL, &d));
    size_t bytes = (size_t)n * dims[1] * dims[2];
    if (!gz_exact(gi, d->pix, bytes)) {
        rc = pt__error(ctx, PT_EPARSE, "%s: truncated IDX file (header says %u images of %ux%u)",
                       images_path, dims[0], dims[1], dims[2]);
        goto done;
    }
    if (gl != NULL) {
        if (!gz_exact(gl, d->labels, n)) {
            rc = pt__error(ctx, PT_EPARSE, "%s: truncated IDX file (header says %u labels)",
                           labels_path, ldims[0]);
            goto done;
        }
    }
    /* A whole-file read must end exactly at the end: a longer file is not what it claims. */
    if (n == dims[0]) {
        uint8_t extra;
        if (gzread(gi, &extra, 1) > 0) {
            rc = pt__error(ctx, PT_EPARSE, "%s: bytes after the %u images the header declares",
                           images_path, dims[0]);
            goto done;
        }
        if (gl != NULL && gzread(gl, &extra, 1) > 0) {
            rc = pt__error(ctx, PT_EPARSE, "%s: bytes after the %u labels the header declares",
                           labels_path, ldims[0]);
            goto done;
        }
    }
done:
    if (gi != NULL) {
        gzclose(gi);
    }
    if (gl != NULL) {
        gzclose(gl);
    }
    if (rc != PT_OK) {
        pt_cnn_data_free(d);
        return rc;
    }
    *out = d;
    return PT_OK;
}

/* ======================================================================= PNG / JPEG ===== */

/* libjpeg reports errors through a callback that must not return: jump back to the caller. */
typedef struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jerr;

static void jpeg_fail(j_common_ptr cinfo) {
    jerr *e = (jerr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jb, 1);
}

/* Silence libjpeg's warnings (corrupt-data warnings still decode). */
static void jpeg_quiet(j_common_ptr cinfo, int level) {
    (void)cinfo;
    (void)level;
}

/* Decode a JPEG into interleaved 8-bit pixels with `ch` channels (1 grey, 3 RGB). *pix is
 * pt__malloc'd. Kept out of line so the setjmp's volatile rules stay local. */
static int decode_jpeg(pt_ctx *ctx, const char *path, FILE *f, int ch, uint8_t **pix,
                       uint32_t *w, uint32_t *h) {
    struct jpeg_decompress_struct ci;
    jerr e;
    uint8_t *volatile buf = NULL;
    *pix = NULL;
    ci.err = jpeg_std_error(&e.mgr);
    e.mgr.error_exit = jpeg_fail;
    e.mgr.emit_message = jpeg_quiet;
    if (setjmp(e.jb)) {
        jpeg_destroy_decompress(&ci);
        pt__free(ctx, buf);
        return pt__error(ctx, PT_EPARSE, "%s: corrupt JPEG: %s", path, e.msg);
    }
    jpeg_create_decompress(&ci);
    jpeg_stdio_src(&ci, f);
    jpeg_read_header(&ci, TRUE);
    ci.out_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&ci);
    if (ci.output_width == 0 || ci.output_height == 0 || ci.output_width > 16384 ||
        ci.output_height > 16384 || (int)ci.output_components != ch) {
        jpeg_destroy_decompress(&ci);
        return pt__error(ctx, PT_EPARSE, "%s: unsupported JPEG (%ux%u, %d components)", path,
                         ci.output_width, ci.output_height, ci.output_components);
    }
    size_t stride = (size_t)ci.output_width * ch;
    buf = pt__malloc(ctx, stride * ci.output_height);
    if (buf == NULL) {
        jpeg_destroy_decompress(&ci);
        return pt__error(ctx, PT_ENOMEM, "%s: image buffer", path);
    }
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW row = buf + stride * ci.output_scanline;
        jpeg_read_scanlines(&ci, &row, 1);
    }
    jpeg_finish_decompress(&ci);
    *w = ci.output_width;
    *h = ci.output_height;
    jpeg_destroy_decompress(&ci);
    *pix = buf;
    return PT_OK;
}

/* Decode a PNG with libpng's simplified API; transparency is composited on white. */
static int decode_png(pt_ctx *ctx, const char *path, int ch, uint8_t **pix, uint32_t *w,
                      uint32_t *h) {
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    *pix = NULL;
    if (!png_image_begin_read_from_file(&im, path)) {
        int rc = pt__error(ctx, PT_EPARSE, "%s: corrupt PNG: %s", path, im.message);
        png_image_free(&im);
        return rc;
    }
    if (im.width == 0 || im.height == 0 || im.width > 16384 || im.height > 16384) {
        png_image_free(&im);
        return pt__error(ctx, PT_EPARSE, "%s: unsupported PNG size %ux%u", path, im.width,
                         im.height);
    }
    im.format = ch == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    uint8_t *buf = pt__malloc(ctx, PNG_IMAGE_SIZE(im));
    if (buf == NULL) {
        png_image_free(&im);
        return pt__error(ctx, PT_ENOMEM, "%s: image buffer", path);
    }
    png_color white = {255, 255, 255};
    if (!png_image_finish_read(&im, &white, buf, 0, NULL)) {
        int rc = pt__error(ctx, PT_EPARSE, "%s: corrupt PNG: %s", path, im.message);
        pt__free(ctx, buf);
        png_image_free(&im);
        return rc;
    }
    *w = im.width;
    *h = im.height;
    *pix = buf;
    return PT_OK;
}

/* Bilinear resize of interleaved src (sw x sh x ch) into channel-major dst (ch x dh x dw), with
 * pixel centres aligned (as OpenCV's INTER_LINEAR). When shrinking by more than 2x, each output
 * pixel first averages the source box it covers, so small images do not alias. */
static void resize_to_planes(const uint8_t *src, uint32_t sw, uint32_t sh, int ch, uint8_t *dst,
                             uint32_t dw, uint32_t dh) {
    double sx = (double)sw / dw, sy = (double)sh / dh;
    for (int c = 0; c < ch; c++) {
        for (uint32_t y = 0; y < dh; y++) {
            for (uint32_t x = 0; x < dw; x++) {
                double v;
                if (sx > 2.0 || sy > 2.0) {
                    uint32_t x0 = (uint32_t)(x * sx), x1 = (uint32_t)((x + 1) * sx);
                    uint32_t y0 = (uint32_t)(y * sy), y1 = (uint32_t)((y + 1) * sy);
                    x1 = x1 > x0 ? (x1 < sw ? x1 : sw) : x0 + 1;
                    y1 = y1 > y0 ? (y1 < sh ? y1 : sh) : y0 + 1;
                    double s = 0;
                    for (uint32_t yy = y0; yy < y1; yy++) {
                        for (uint32_t xx = x0; xx < x1; xx++) {
                            s += src[((size_t)yy * sw + xx) * ch + c];
                        }
                    }
                    v = s / ((double)(x1 - x0) * (y1 - y0));
                } else {
                    double fx = (x + 0.5) * sx - 0.5, fy = (y + 0.5) * sy - 0.5;
                    fx = fx < 0 ? 0 : fx;
                    fy = fy < 0 ? 0 : fy;
                    uint32_t ix = (uint32_t)fx, iy = (uint32_t)fy;
                    uint32_t ix1 = ix + 1 < sw ? ix + 1 : sw - 1, iy1 = iy + 1 < sh ? iy + 1 : sh - 1;
                    if (ix >= sw) {
                        ix = sw - 1;
                    }
                    if (iy >= sh) {
                        iy = sh - 1;
                    }
                    double ax = fx - ix, ay = fy - iy;
                    double p00 = src[((size_t)iy * sw + ix) * ch + c];
                    double p01 = src[((size_t)iy * sw + ix1) * ch + c];
                    double p10 = src[((size_t)iy1 * sw + ix) * ch + c];
                    double p11 = src[((size_t)iy1 * sw + ix1) * ch + c];
                    v = (1 - ay) * ((1 - ax) * p00 + ax * p01) + ay * ((1 - ax) * p10 + ax * p11);
                }
                dst[((size_t)c * dh + y) * dw + x] = (uint8_t)(v + 0.5);
            }
        }
    }
}

int pt__image_read(pt_ctx *ctx, const char *path, uint32_t channels, uint32_t h, uint32_t w,
                   uint8_t *out) {
    if ((channels != 1 && channels != 3) || h == 0 || w == 0) {
        return pt__error(ctx, PT_EINVAL, "%s: images must have 1 or 3 channels and a size", path);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return pt__error(ctx, errno == ENOENT ? PT_ENOTFOUND : PT_EIO, "%s: %s", path,
                         strerror(errno));
    }
    uint8_t sig[8] = {0};
    size_t got = fread(sig, 1, 8, f);
    rewind(f);
    uint8_t *pix = NULL;
    uint32_t sw = 0, sh = 0;
    int rc;
    if (got == 8 && png_sig_cmp(sig, 0, 8) == 0) {
        fclose(f);
        f = NULL;
        rc = decode_png(ctx, path, (int)channels, &pix, &sw, &sh);
    } else if (got >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF) {
        rc = decode_jpeg(ctx, path, f, (int)channels, &pix, &sw, &sh);
    } else {
        rc = pt__error(ctx, PT_EPARSE, "%s: not a PNG or JPEG file", path);
    }
    if (f != NULL) {
        fclose(f);
    }
    if (rc != PT_OK) {
        return rc;
    }
    resize_to_planes(pix, sw, sh, (int)channels, out, w, h);
    pt__free(ctx, pix);
    return PT_OK;
}

/* Invert img (c x h x w) when its one-pixel border averages light (> 127): product photos are
 * dark objects on white, Fashion-MNIST light objects on black. */
static void invert_if_light(uint8_t *img, uint32_t c, uint32_t h, uint32_t w) {
    double s = 0;
    size_t cnt = 0;
    for (uint32_t k = 0; k < c; k++) {
        const uint8_t *p = img + (size_t)k * h * w;
        for (uint32_t x = 0; x < w; x++) {
            s += p[x] + p[(size_t)(h - 1) * w + x];
            cnt += 2;
        }
        for (uint32_t y = 0; y < h; y++) {
            s += p[(size_t)y * w] + p[(size_t)y * w + w - 1];
            cnt += 2;
        }
    }
    if (s / (double)cnt > 127.0) {
        for (size_t i = 0; i < (size_t)c * h * w; i++) {
            img[i] = (uint8_t)(255 - img[i]);
        }
    }
}

int pt_cnn_data_load_images(pt_ctx *ctx, const char *const *paths, size_t n, uint32_t channels,
                            uint32_t h, uint32_t w, int invert_light, pt_cnn_data **out) {
    *out = NULL;
    if ((channels != 1 && channels != 3) || h == 0 || w == 0 || h > 4096 || w > 4096) {
        return pt__error(ctx, PT_EINVAL, "images: channels must be 1 or 3 and sizes 1..4096");
    }
    if (n > UINT32_MAX) {
        return pt__error(ctx, PT_ELIMIT, "images: too many files");
    }
    pt_cnn_data *d;
    int rc = pt__cnn_data_new(ctx, (uint32_t)n, channels, h, w, 0, &d);
    if (rc != PT_OK) {
        return rc;
    }
    size_t sz = (size_t)channels * h * w;
    for (size_t i = 0; i < n; i++) {
        rc = pt__image_read(ctx, paths[i], channels, h, w, d->pix + i * sz);
        if (rc != PT_OK) {
            pt_cnn_data_free(d);
            return rc;
        }
        if (invert_light) {
            invert_if_light(d->pix + i * sz, channels, h, w);
        }
    }
    *out = d;
    return PT_OK;
}

/* ======================================================================= to float ======= */

void pt__image_to_float(const uint8_t *src, uint32_t c, uint32_t h, uint32_t w, float mean,
                        float std, int flags, pt__rng *rng, float *dst) {
    int dx = 0, dy = 0, flip = 0;
    if (flags & PT__AUG_SHIFT) {
        dx = (int)pt__rng_below(rng, 5) - 2;
        dy = (int)pt__rng_below(rng, 5) - 2;
    }
    if (flags & PT__AUG_FLIP) {
        flip = (int)(pt__rng_next(rng) >> 63);
    }
    float scale = 1.0f / (255.0f * std), off = -mean / std;
    for (uint32_t k = 0; k < c; k++) {
        const uint8_t *p = src + (size_t)k * h * w;
        float *q = dst + (size_t)k * h * w;
        for (uint32_t y = 0; y < h; y++) {
            int sy = (int)y - dy;
            for (uint32_t x = 0; x < w; x++) {
                int xx = flip ? (int)(w - 1 - x) : (int)x;
                int sx = xx - dx;
                float v = 0.0f;
                if (sy >= 0 && sy < (int)h && sx >= 0 && sx < (int)w) {
                    v = p[(size_t)sy * w + sx];
                }
                q[(size_t)y * w + x] = v * scale + off;
            }
        }
    }
    if ((flags & PT__AUG_ERASE) && (pt__rng_next(rng) >> 63)) {
        float area = (0.02f + 0.18f * pt__rng_uniform(rng)) * (float)(h * w);
        float ratio = 0.3f + 3.0f * pt__rng_uniform(rng);
        uint32_t eh = (uint32_t)(sqrtf(area * ratio) + 0.5f), ew = (uint32_t)(sqrtf(area / ratio) + 0.5f);
        if (eh >= 1 && ew >= 1 && eh < h && ew < w) {
            uint32_t y0 = pt__rng_below(rng, h - eh + 1), x0 = pt__rng_below(rng, w - ew + 1);
            for (uint32_t k = 0; k < c; k++) {
                for (uint32_t y = y0; y < y0 + eh; y++) {
                    memset(dst + ((size_t)k * h + y) * w + x0, 0, ew * sizeof(float));
                }
            }
        }
    }
}
