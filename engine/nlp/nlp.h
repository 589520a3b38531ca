/*
 * nlp.h - what the NLP module's files share: the tokenizer's normalised text (for character
 * n-grams), the feature hasher, the classifier's objective (for the gradient test) and a small
 * random generator. Not installed; it includes no graph header.
 */
#ifndef PT_NLP_INT_H
#define PT_NLP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "portrait/pt_nlp.h"

/* The ctx a tokenizer was made with. */
pt_ctx *pt__tokenizer_ctx(const pt_tokenizer *tk);

/* The normalised text of the last pt_tokenizer_run as code points, whitespace runs folded into
 * one space. Borrowed, valid until the next run. */
const uint32_t *pt__tokenizer_cps(const pt_tokenizer *tk, size_t *n);

/* Normalise `text` and fill the code points (as pt_tokenizer_run does) without segmenting it.
 * Returns PT_OK or the errors of pt_tokenizer_run. */
int pt__tokenizer_normalize(pt_tokenizer *tk, const char *text, size_t len);

/* A tokenizer with tk's options and (shared, read-only) stop words, on `ctx`, for another
 * thread; free it before `tk`, and load no stop words into either meanwhile. */
int pt__tokenizer_clone(const pt_tokenizer *tk, pt_ctx *ctx, pt_tokenizer **out);
/* Is `text` (len bytes) a stop word of `tk`? */
int pt__tokenizer_is_stop(const pt_tokenizer *tk, const char *text, size_t len);

/* Validate UTF-8; returns the offset of the first bad byte, or len when all is well. */
size_t pt__utf8_check(const char *s, size_t len);

/* Feature extraction settings, stored in a model. */
typedef struct pt__featcfg {
    int hash_bits;
    int word_ngrams;
    int char_min, char_max;
} pt__featcfg;

/* Hashed features of one text: sorted unique buckets and their counts, in scratch owned by the
 * caller (grown through ctx). Returns PT_OK or an error from the tokenizer. */
typedef struct pt__featbuf {
    uint32_t *raw;     /* scratch: one bucket per occurrence */
    size_t raw_cap;
    uint32_t *bucket;  /* unique buckets, ascending */
    uint32_t *count;
    size_t n, cap;
} pt__featbuf;
int pt__features(pt_tokenizer *tk, const pt__featcfg *cfg, const char *text, size_t len,
                 pt__featbuf *fb);
void pt__featbuf_free(pt_ctx *ctx, pt__featbuf *fb);

/* A sparse data matrix in CSR form: row i holds col[off[i]..off[i+1]) with values val. */
typedef struct pt__csr {
    size_t n_rows;
    uint64_t *off;
    uint32_t *col;
    float *val;
} pt__csr;

/* Build the TF-IDF matrix of `texts` exactly as pt_textclf_train does (one thread), for tests:
 * *X (free with pt__csr_free) and *idf (n_feat values, free with pt__free). */
int pt__textclf_tfidf(pt_ctx *ctx, const pt_textclf_opts *o, const char *const *texts,
                      size_t n, pt__csr *X, float **idf, size_t *n_feat);
void pt__csr_free(pt_ctx *ctx, pt__csr *X);

/* The softmax regression objective on rows `rows[0..n)` of X (all rows when rows is NULL):
 * mean cross-entropy + l2/2 |W|^2. W is n_feat x k row-major, b has k entries. Writes the
 * gradient into gW (n_feat x k) and gb when they are not NULL. Returns the objective. */
double pt__softmax_objective(const pt__csr *X, const uint32_t *y, const size_t *rows, size_t n,
                             size_t n_feat, size_t k, const float *W, const float *b, double l2,
                             double *gW, double *gb);

/* A string interning table: each distinct byte string gets a dense id 0, 1, 2, ... Strings
 * are copied into the table's arena and stay NUL-terminated. */
typedef struct pt__strtab {
    pt_ctx *ctx;
    pt__arena arena;
    uint32_t *slots; /* id + 1, 0 = empty */
    size_t cap;
    const char **str; /* id -> string */
    uint32_t *len;
    size_t n, str_cap;
} pt__strtab;
void pt__strtab_init(pt__strtab *t, pt_ctx *ctx);
void pt__strtab_free(pt__strtab *t);
/* The id of s[0..len), added when absent (add != 0): returns the id, -1 when absent and not
 * added, or -2 on out-of-memory (the ctx message is set). */
long pt__strtab_id(pt__strtab *t, const char *s, size_t len, int add);

/* xorshift64* (Vigna 2016): a fast generator good enough for shuffles and augmentation. */
static inline uint64_t pt__rng_next(uint64_t *s) {
    uint64_t x = *s != 0 ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* A uniform double in [0, 1). */
static inline double pt__rng_unit(uint64_t *s) {
    return (double)(pt__rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

#endif /* PT_NLP_INT_H */
