/*
 * fuzz_cnn.c - libFuzzer harness for the CNN's file readers (engine/cnn/image.c, net.c), built
 * per format with PT_FUZZ_FORMAT: "idx" feeds the input as an IDX image file to
 * pt_cnn_data_load_idx; "cnnmodel" feeds it as a model file to pt_cnn_load, after rewriting its
 * trailing CRC-32 so that mutations reach the header and parameter parsing (a CRC mismatch is
 * covered by tests/cnn/test_cnn.c). Also built as a corpus-replay program with
 * tests/fuzz/replay_main.c.
 *
 * A reader may fail only with PT_EPARSE (or PT_ENOMEM, or PT_ELIMIT for a forged architecture
 * larger than the file); on success the result must be consistent (image count and shape within
 * the input's size; a model's class count equal to its output width). Anything else aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)check_export; /* fuzz_util.h's round-trip helper: no graph here */
    int model = strcmp(PT_FUZZ_FORMAT, "cnnmodel") == 0;
    if (model && size >= 8) {
        uint8_t *copy = malloc(size);
        if (copy == NULL) {
            return 0;
        }
        memcpy(copy, data, size);
        uint32_t crc = (uint32_t)crc32(0L, copy, (uInt)(size - 4));
        memcpy(copy + size - 4, &crc, 4);
        int w = write_input(copy, size);
        free(copy);
        if (w != 0) {
            abort();
        }
    } else if (write_input(data, size) != 0) {
        abort();
    }
    int rc;
    if (model) {
        pt_cnn *m = NULL;
        rc = pt_cnn_load(fuzz_ctx, fuzz_path, &m);
        if (rc == PT_OK) {
            uint32_t c, h, w;
            pt_cnn_input_shape(m, &c, &h, &w);
            if (pt_cnn_class_count(m) == 0 || c == 0 || h == 0 || w == 0 ||
                pt_cnn_class_name(m, pt_cnn_class_count(m) - 1) == NULL) {
                abort();
            }
            pt_cnn_free(m);
        } else if (m != NULL) {
            abort();
        }
    } else {
        pt_cnn_data *d = NULL;
        rc = pt_cnn_data_load_idx(fuzz_ctx, fuzz_path, NULL, 0, &d);
        if (rc == PT_OK) {
            uint32_t c, h, w;
            pt_cnn_data_shape(d, &c, &h, &w);
            if (c != 1 || (uint64_t)pt_cnn_data_count(d) * h * w > (uint64_t)size * 1100 + 16) {
                abort(); /* more pixels than even a gzip bomb of this size could hold */
            }
            pt_cnn_data_free(d);
        } else if (d != NULL) {
            abort();
        }
    }
    if (rc != PT_OK && rc != PT_EPARSE && rc != PT_ENOMEM && rc != PT_ELIMIT) {
        fprintf(stderr, "unexpected %s: %s\n", pt_err_name(rc), pt_ctx_errmsg(fuzz_ctx));
        abort();
    }
    return 0;
}
