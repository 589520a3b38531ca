/*
 * fuzz_tokenize.c - libFuzzer harness for the NLP tokenizer (engine/nlp/tokenize.c) and the
 * feature hasher behind it, also built as a corpus-replay program with
 * tests/fuzz/replay_main.c.
 *
 * The input is arbitrary bytes taken as one text. The first byte selects tokenizer options
 * (lower-case, stemming, stop words, punctuation, raw typed tokens), so one corpus covers them
 * all; the rest is the text. Tokenizing may fail only with PT_EPARSE (invalid UTF-8) and then
 * must return no tokens; on success every token must be non-empty, valid UTF-8 of the length
 * it claims, NUL-terminated, and of a known kind. The same text is then hashed into features
 * and run through keyword extraction and augmentation, which must agree with the tokenizer on
 * success or failure. Anything else aborts. Tokenizers are made once per option set
 * (LLVMFuzzerInitialize) and the ctx lives for the whole run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/nlp.h"
#include "portrait/portrait.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pt_ctx *g_ctx;
static pt_tokenizer *g_tk[32];
static pt__featbuf g_fb;

/* Free everything at exit so LeakSanitizer sees a clean process. */
static void cleanup(void) {
    for (int i = 0; i < 32; i++) {
        pt_tokenizer_free(g_tk[i]);
    }
    pt__featbuf_free(g_ctx, &g_fb);
    pt_ctx_free(g_ctx);
}

/* Make the ctx and one tokenizer per option combination. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (pt_ctx_new(&g_ctx) != PT_OK) {
        abort();
    }
    for (int i = 0; i < 32; i++) {
        pt_tokenizer_opts o;
        pt_tokenizer_opts_init(&o);
        o.lowercase = !(i & 1);
        o.stem = (i >> 1) & 1;
        o.stopwords = (i >> 2) & 1;
        o.keep_punct = (i >> 3) & 1;
        o.raw_typed = (i >> 4) & 1;
        if (pt_tokenizer_new(g_ctx, &o, &g_tk[i]) != PT_OK) {
            fprintf(stderr, "fuzz_tokenize: %s\n", pt_ctx_errmsg(g_ctx));
            abort();
        }
    }
    atexit(cleanup);
    return 0;
}

/* Check one input (see the file comment). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (g_ctx == NULL) {
        LLVMFuzzerInitialize(NULL, NULL);
    }
    if (size == 0) {
        return 0;
    }
    pt_tokenizer *tk = g_tk[data[0] & 31];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const pt_token *t = NULL;
    size_t n = 0;
    int rc = pt_tokenizer_run(tk, text, len, &t, &n);
    int valid = pt__utf8_check(text, len) == len;
    if (rc != PT_OK) {
        if (rc != PT_EPARSE || n != 0 || valid) {
            abort();
        }
    } else {
        if (!valid) {
            abort();
        }
        for (size_t i = 0; i < n; i++) {
            if (t[i].len == 0 || t[i].kind > PT_TOKEN_PUNCT || t[i].text[t[i].len] != '\0' ||
                strlen(t[i].text) > t[i].len ||
                pt__utf8_check(t[i].text, t[i].len) != t[i].len) {
                abort();
            }
        }
    }
    pt__featcfg cfg = {12, 2, 1, 3};
    int rc2 = pt__features(tk, &cfg, text, len, &g_fb);
    if ((rc2 == PT_OK) != (rc == PT_OK)) {
        abort();
    }
    for (size_t i = 1; rc2 == PT_OK && i < g_fb.n; i++) {
        if (g_fb.bucket[i] <= g_fb.bucket[i - 1] || g_fb.bucket[i] >= 4096) {
            abort();
        }
    }
    /* keywords and augmentation need a NUL-terminated text */
    char *s = malloc(len + 1);
    if (s == NULL) {
        return 0;
    }
    memcpy(s, text, len);
    s[len] = '\0';
    size_t sl = strlen(s);
    int ok_prefix = pt__utf8_check(s, sl) == sl;
    const char *docs[2] = {s, "good phone"};
    pt_keyword_set *ks = NULL;
    int rc3 = pt_keywords_extract(tk, docs, 2, NULL, &ks);
    if ((rc3 == PT_OK) != ok_prefix) {
        abort();
    }
    pt_keyword_set_free(ks);
    char *aug = NULL;
    uint64_t rng = size;
    int rc4 = pt_augment_text(tk, NULL, NULL, s, sl, &rng, &aug);
    if ((rc4 == PT_OK) != ok_prefix || (aug != NULL && pt__utf8_check(aug, strlen(aug)) !=
                                                           strlen(aug))) {
        abort();
    }
    pt_augment_str_free(g_ctx, aug);
    free(s);
    return 0;
}
