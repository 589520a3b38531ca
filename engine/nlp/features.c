/*
 * features.c - the second stage of the text pipeline: a text's hashed n-gram counts.
 *
 * Word n-grams (1..word_ngrams over the tokenizer's tokens) and character n-grams
 * (char_min..char_max over the normalised text, whitespace folded) are hashed into 2^hash_bits
 * buckets: the "hashing trick" of Weinberger et al. (ICML 2009), which needs no vocabulary at
 * prediction time. Each n-gram family has its own hash seed so that the word "好" and the
 * character "好" land in different buckets. The result is a sorted list of unique buckets and
 * their counts; classify.c turns the counts into TF-IDF weights.
 */
#include <stdlib.h>
#include <string.h>

#include "nlp/nlp.h"

/* Hash seeds of the n-gram families. */
enum { SEED_WORD = 0x51, SEED_WORD2 = 0x52, SEED_WORD3 = 0x53, SEED_CHAR = 0x60 };

/* Append one bucket to the raw list, growing it. */
static int push(pt_ctx *ctx, pt__featbuf *fb, size_t *n, uint32_t b) {
    if (*n == fb->raw_cap) {
        int rc = pt__grow(ctx, (void **)&fb->raw, &fb->raw_cap, *n + 1, sizeof *fb->raw);
        if (rc != PT_OK) {
            return rc;
        }
    }
    fb->raw[(*n)++] = b;
    return PT_OK;
}

/* Sort `a[0..n)` ascending: an LSD radix sort on 32-bit keys (four 8-bit passes) for long
 * inputs, insertion sort for short ones; `tmp` holds n elements. */
static void sort_u32(uint32_t *a, uint32_t *tmp, size_t n) {
    if (n < 64) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    for (int sh = 0; sh < 32; sh += 8) {
        size_t cnt[257];
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++) {
            cnt[((a[i] >> sh) & 0xFF) + 1]++;
        }
        for (size_t k = 0; k < 256; k++) {
            cnt[k + 1] += cnt[k];
        }
        for (size_t i = 0; i < n; i++) {
            tmp[cnt[(a[i] >> sh) & 0xFF]++] = a[i];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

/* Compute the hashed n-gram counts of `text` into `fb` (see the file comment). */
int pt__features(pt_tokenizer *tk, const pt__featcfg *cfg, const char *text, size_t len,
                 pt__featbuf *fb) {
    pt_ctx *ctx = pt__tokenizer_ctx(tk);
    const pt_token *toks;
    size_t n_toks;
    fb->n = 0;
    int rc;
    if (cfg->word_ngrams > 0) {
        rc = pt_tokenizer_run(tk, text, len, &toks, &n_toks);
    } else {
        toks = NULL; /* character n-grams only: no segmentation needed */
        n_toks = 0;
        rc = pt__tokenizer_normalize(tk, text, len);
    }
    if (rc != PT_OK) {
        return rc;
    }
    uint64_t mask = ((uint64_t)1 << cfg->hash_bits) - 1;
    size_t n = 0;
    uint64_t prev1 = 0, prev2 = 0;
    for (size_t i = 0; i < n_toks && cfg->word_ngrams > 0; i++) {
        uint64_t h = pt__hash(toks[i].text, toks[i].len, SEED_WORD);
        rc = push(ctx, fb, &n, (uint32_t)(h & mask));
        if (rc == PT_OK && cfg->word_ngrams >= 2 && i >= 1) {
            uint64_t pair[2] = {prev1, h};
            rc = push(ctx, fb, &n, (uint32_t)(pt__hash(pair, sizeof pair, SEED_WORD2) & mask));
        }
        if (rc == PT_OK && cfg->word_ngrams >= 3 && i >= 2) {
            uint64_t tri[3] = {prev2, prev1, h};
            rc = push(ctx, fb, &n, (uint32_t)(pt__hash(tri, sizeof tri, SEED_WORD3) & mask));
        }
        if (rc != PT_OK) {
            return rc;
        }
        prev2 = prev1;
        prev1 = h;
    }
    if (cfg->char_max > 0) {
        size_t n_cps;
        const uint32_t *cps = pt__tokenizer_cps(tk, &n_cps);
        for (int k = cfg->char_min; k <= cfg->char_max; k++) {
            for (size_t i = 0; i + (size_t)k <= n_cps; i++) {
                if (k > 1 && (cps[i] == ' ' || cps[i + (size_t)k - 1] == ' ')) {
                    continue; /* n-grams that start or end at a space add little */
                }
                if (k == 1 && cps[i] == ' ') {
                    continue;
                }
                uint64_t h = pt__hash(cps + i, (size_t)k * sizeof *cps, SEED_CHAR + (uint64_t)k);
                rc = push(ctx, fb, &n, (uint32_t)(h & mask));
                if (rc != PT_OK) {
                    return rc;
                }
            }
        }
    }
    if (n == 0) {
        return PT_OK;
    }
    if (fb->cap < n * 2) {
        /* bucket/count double as the radix sort's scratch, so they need n each */
        size_t cap = n * 2;
        uint32_t *b = pt__realloc(ctx, fb->bucket, cap * sizeof *b);
        if (b == NULL) {
            return pt__error(ctx, PT_ENOMEM, "features: out of memory");
        }
        fb->bucket = b;
        uint32_t *c = pt__realloc(ctx, fb->count, cap * sizeof *c);
        if (c == NULL) {
            return pt__error(ctx, PT_ENOMEM, "features: out of memory");
        }
        fb->count = c;
        fb->cap = cap;
    }
    sort_u32(fb->raw, fb->bucket, n);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u > 0 && fb->bucket[u - 1] == fb->raw[i]) {
            fb->count[u - 1]++;
        } else {
            fb->bucket[u] = fb->raw[i];
            fb->count[u] = 1;
            u++;
        }
    }
    fb->n = u;
    return PT_OK;
}

/* Free the buffers of a feature scratch (not the struct itself). */
void pt__featbuf_free(pt_ctx *ctx, pt__featbuf *fb) {
    pt__free(ctx, fb->raw);
    pt__free(ctx, fb->bucket);
    pt__free(ctx, fb->count);
    memset(fb, 0, sizeof *fb);
}
