/*
 * test_nlp.c - unit tests of the NLP module (engine/nlp/): tokenization of known Chinese and
 * English sentences, typed tokens, stop words and stemming, TF-IDF weights against a corpus
 * computed by hand, the classifier (a separable toy set, the gradient against finite
 * differences, an exact save/load round trip), and the failure paths: empty text, invalid
 * UTF-8, a 10 MB line, an unknown label at evaluation, corrupt model files, data-file parsing
 * and out-of-memory at every allocation of a small training run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlp/nlp.h"
#include "portrait/portrait.h"

/* Tokenize `text` with `tk` and join the tokens with '|' into buf. */
static const char *joined(pt_tokenizer *tk, const char *text, char *buf, size_t cap) {
    const pt_token *t;
    size_t n;
    assert_int_equal(pt_tokenizer_run(tk, text, strlen(text), &t, &n), PT_OK);
    size_t p = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        p += (size_t)snprintf(buf + p, cap - p, "%s%s", i ? "|" : "", t[i].text);
        assert_true(p < cap);
    }
    return buf;
}

/* Does the '|'-joined token list hold `word` as a whole token? */
static int has_token(const char *list, const char *word) {
    size_t wl = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p++) {
        if ((p == list || p[-1] == '|') && (p[wl] == '\0' || p[wl] == '|')) {
            return 1;
        }
    }
    return 0;
}

/* --- tokenizer ----------------------------------------------------------------------------- */

/* ICU's dictionary segmentation cuts known Chinese sentences into their words. */
static void test_segment_chinese(void **state) {
    pt_tokenizer *tk = NULL;
    char buf[1024];
    assert_int_equal(pt_tokenizer_new(*state, NULL, &tk), PT_OK);
    const char *s = joined(tk, "这个手机的电池续航很好，屏幕也不错！", buf, sizeof buf);
    assert_true(has_token(s, "手机"));
    assert_true(has_token(s, "电池"));
    assert_true(has_token(s, "屏幕"));
    assert_true(has_token(s, "不错"));
    assert_false(has_token(s, "，")); /* punctuation is dropped by default */
    s = joined(tk, "今天天气不错，我们去公园散步吧。", buf, sizeof buf);
    assert_true(has_token(s, "天气"));
    assert_true(has_token(s, "公园"));
    assert_true(has_token(s, "散步"));
    /* full-width letters and digits are normalised (NFKC) and case-folded */
    s = joined(tk, "ＡＢＣ手机１２３", buf, sizeof buf);
    assert_true(has_token(s, "abc"));
    assert_true(has_token(s, "<num>"));
    pt_tokenizer_free(tk);
}

/* English: case folding, typed tokens for numbers, prices and URLs, emoji kept whole. */
static void test_segment_english_typed_tokens(void **state) {
    pt_tokenizer *tk = NULL;
    char buf[1024];
    assert_int_equal(pt_tokenizer_new(*state, NULL, &tk), PT_OK);
    assert_string_equal(joined(tk, "Hello, World! It's 3.5 stars for $19.99 at "
                                   "https://shop.example.com/a?b=1. \xF0\x9F\x98\x80",
                               buf, sizeof buf),
                        "hello|world|it's|<num>|stars|for|<price>|at|<url>|\xF0\x9F\x98\x80");
    assert_string_equal(joined(tk, "价格100元，www.example.cn 很好", buf, sizeof buf),
                        "价格|<price>|<url>|很好");
    pt_tokenizer_free(tk);
    pt_tokenizer_opts o;
    pt_tokenizer_opts_init(&o);
    o.raw_typed = 1;
    o.keep_punct = 1;
    assert_int_equal(pt_tokenizer_new(*state, &o, &tk), PT_OK);
    assert_string_equal(joined(tk, "Only $5! 价格100元", buf, sizeof buf),
                        "only|$5|!|价格|100元");
    pt_tokenizer_free(tk);
}

/* Stemming and stop words: the built-in list, then a file (normalised like text). */
static void test_stem_and_stopwords(void **state) {
    pt_tokenizer_opts o;
    pt_tokenizer *tk = NULL;
    char buf[1024];
    pt_tokenizer_opts_init(&o);
    o.stem = 1;
    o.stopwords = 1;
    assert_int_equal(pt_tokenizer_new(*state, &o, &tk), PT_OK);
    assert_string_equal(joined(tk, "The running dogs of the phone", buf, sizeof buf),
                        "run|dog|phone");
    assert_int_equal(pt_tokenizer_load_stopwords(tk, PT_TEST_DATA "/nlp/stopwords.txt"), PT_OK);
    assert_string_equal(joined(tk, "The running dogs of the phone", buf, sizeof buf),
                        "run|dog");
    assert_int_equal(pt_tokenizer_load_stopwords(tk, PT_TEST_DATA "/nlp/none.txt"), PT_EIO);
    pt_tokenizer_free(tk);
}

/* Empty and all-space texts give no tokens; invalid UTF-8 is a clear error. */
static void test_empty_and_invalid_utf8(void **state) {
    pt_tokenizer *tk = NULL;
    const pt_token *t;
    size_t n = 99;
    assert_int_equal(pt_tokenizer_new(*state, NULL, &tk), PT_OK);
    assert_int_equal(pt_tokenizer_run(tk, "", 0, &t, &n), PT_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pt_tokenizer_run(tk, " \t\n ", 4, &t, &n), PT_OK);
    assert_int_equal(n, 0);
    static const char *const bad[] = {"ok \xFF", "\xC0\xAF", "\xED\xA0\x80", "ab\xE4\xBD",
                                      "\xF4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pt_tokenizer_run(tk, bad[i], strlen(bad[i]), &t, &n), PT_EPARSE);
        assert_int_equal(n, 0);
        assert_non_null(strstr(pt_ctx_errmsg(*state), "invalid UTF-8 at byte"));
    }
    /* NUL bytes inside the text are allowed */
    assert_int_equal(pt_tokenizer_run(tk, "a\0b", 3, &t, &n), PT_OK);
    pt_tokenizer_free(tk);
}

/* A 10 MB line is tokenized (no recursion or quadratic path blows up). */
static void test_ten_megabyte_line(void **state) {
    size_t len = 10u << 20;
    static const char unit[] = "质量很好 good 123 "; /* 24 bytes */
    char *s = malloc(len + 1);
    assert_non_null(s);
    size_t ul = strlen(unit);
    for (size_t i = 0; i < len; i++) {
        s[i] = unit[i % ul];
    }
    len -= len % ul; /* end on a whole character */
    s[len] = '\0';
    pt_tokenizer *tk = NULL;
    const pt_token *t;
    size_t n = 0;
    assert_int_equal(pt_tokenizer_new(*state, NULL, &tk), PT_OK);
    assert_int_equal(pt_tokenizer_run(tk, s, len, &t, &n), PT_OK);
    assert_true(n >= 3 * (len / ul));
    assert_string_equal(t[0].text, "质量");
    assert_string_equal(t[2].text, "good");
    assert_int_equal(t[3].kind, PT_TOKEN_NUM);
    pt_tokenizer_free(tk);
    free(s);
}

/* --- TF-IDF -------------------------------------------------------------------------------- */

/* Order floats ascending. */
static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* The weights of a three-document corpus, computed by hand:
 *   docs "a b", "a c", "a b b"; df a=3 b=2 c=1; idf = ln((1+3)/(1+df)) + 1
 *   idf a = 1, b = 1.287682, c = 1.693147
 *   doc 3: a = 1, b = (1 + ln 2) * 1.287682 = 2.180232; norm 2.398622 -> 0.416906, 0.908953
 *   doc 1: a = 1, b = 1.287682; norm 1.630381 -> 0.613354, 0.789803
 *   doc 2: a = 1, c = 1.693147; norm 1.966399 -> 0.508544, 0.861037 */
static void test_tfidf_hand_computed(void **state) {
    static const char *const docs[] = {"a b", "a c", "a b b"};
    static const float want[3][2] = {{0.613354f, 0.789803f}, {0.508544f, 0.861037f},
                                     {0.416906f, 0.908953f}};
    pt_textclf_opts o;
    pt_textclf_opts_init(&o);
    o.word_ngrams = 1;
    o.char_max = 0;
    o.min_df = 1;
    o.hash_bits = 20;
    pt__csr X;
    float *idf = NULL;
    size_t nf = 0;
    assert_int_equal(pt__textclf_tfidf(*state, &o, docs, 3, &X, &idf, &nf), PT_OK);
    assert_int_equal(nf, 3);
    float got_idf[3] = {idf[0], idf[1], idf[2]};
    qsort(got_idf, 3, sizeof(float), cmp_float);
    assert_float_equal(got_idf[0], 1.0, 1e-5);
    assert_float_equal(got_idf[1], 1.287682, 1e-5);
    assert_float_equal(got_idf[2], 1.693147, 1e-5);
    for (size_t r = 0; r < 3; r++) {
        assert_int_equal(X.off[r + 1] - X.off[r], 2);
        float v[2] = {X.val[X.off[r]], X.val[X.off[r] + 1]};
        qsort(v, 2, sizeof(float), cmp_float);
        assert_float_equal(v[0], want[r][0], 1e-5);
        assert_float_equal(v[1], want[r][1], 1e-5);
    }
    pt__csr_free(*state, &X);
    pt__free(*state, idf);
    /* min_df 2 drops "c" (and doc 2 keeps only "a", normalised to 1) */
    o.min_df = 2;
    assert_int_equal(pt__textclf_tfidf(*state, &o, docs, 3, &X, &idf, &nf), PT_OK);
    assert_int_equal(nf, 2);
    assert_int_equal(X.off[2] - X.off[1], 1);
    assert_float_equal(X.val[X.off[1]], 1.0, 1e-6);
    pt__csr_free(*state, &X);
    pt__free(*state, idf);
}

/* --- classifier ---------------------------------------------------------------------------- */

/* A separable toy set: 40 short texts, positive words or negative words. */
static void toy_set(const char **texts, const char **labels, size_t n) {
    static const char *const pos[] = {"good great phone", "great battery good", "love it good",
                                      "很好 great", "good value great"};
    static const char *const neg[] = {"bad awful phone", "awful battery bad", "hate it bad",
                                      "很差 awful", "bad value awful"};
    for (size_t i = 0; i < n; i++) {
        texts[i] = i % 2 ? pos[(i / 2) % 5] : neg[(i / 2) % 5];
        labels[i] = i % 2 ? "pos" : "neg";
    }
}

/* Train the toy classifier. */
static pt_textclf *train_toy(pt_ctx *ctx) {
    const char *texts[40], *labels[40];
    toy_set(texts, labels, 40);
    pt_textclf_opts o;
    pt_textclf_opts_init(&o);
    o.hash_bits = 16;
    o.min_df = 1;
    o.threads = 1;
    pt_textclf *m = NULL;
    assert_int_equal(pt_textclf_train(ctx, &o, texts, labels, 40, &m), PT_OK);
    return m;
}

/* The classifier learns a separable set perfectly, with a sentiment score of the right sign. */
static void test_classifier_learns_separable_set(void **state) {
    pt_textclf *m = train_toy(*state);
    const char *texts[40], *labels[40];
    toy_set(texts, labels, 40);
    pt_text_eval *e = NULL;
    assert_int_equal(pt_textclf_eval(m, texts, labels, 40, &e), PT_OK);
    assert_float_equal(e->accuracy, 1.0, 1e-12);
    assert_float_equal(e->macro_f1, 1.0, 1e-12);
    assert_int_equal(e->confusion[0], 20);
    pt_text_eval_free(e);
    pt_text_prediction p;
    assert_int_equal(pt_textclf_predict(m, "a great good phone", 18, &p), PT_OK);
    assert_string_equal(pt_textclf_label(m, p.label), "pos");
    assert_true(p.score > 0 && p.score <= 1);
    assert_int_equal(pt_textclf_predict(m, "awful, bad", 10, &p), PT_OK);
    assert_true(p.score < 0 && p.score >= -1);
    /* empty text: the bias alone, probabilities still sum to one */
    assert_int_equal(pt_textclf_predict(m, "", 0, &p), PT_OK);
    assert_float_equal(p.probs[0] + p.probs[1], 1.0, 1e-9);
    /* invalid UTF-8 */
    assert_int_equal(pt_textclf_predict(m, "\xFF\xFE", 2, &p), PT_EPARSE);
    pt_textclf_free(m);
}

/* The analytic gradient of the objective matches central finite differences. */
static void test_gradient_matches_finite_differences(void **state) {
    (void)state;
    enum { N = 4, F = 5, K = 3 };
    uint64_t off[N + 1] = {0, 2, 5, 6, 8};
    uint32_t col[8] = {0, 3, 1, 2, 4, 0, 2, 3};
    float val[8] = {0.6f, 0.8f, 0.5f, 0.5f, 0.7071f, 1.0f, 0.3f, 0.9539f};
    uint32_t y[N] = {0, 2, 1, 2};
    pt__csr X = {N, off, col, val};
    float W[F * K], b[K];
    uint64_t rng = 7;
    for (size_t i = 0; i < F * K; i++) {
        W[i] = (float)(pt__rng_unit(&rng) - 0.5);
    }
    for (size_t c = 0; c < K; c++) {
        b[c] = (float)(pt__rng_unit(&rng) - 0.5);
    }
    double gW[F * K], gb[K];
    const double l2 = 0.1;
    pt__softmax_objective(&X, y, NULL, N, F, K, W, b, l2, gW, gb);
    const float h = 1e-2f;
    for (size_t i = 0; i < F * K; i++) {
        float keep = W[i];
        W[i] = keep + h;
        double up = pt__softmax_objective(&X, y, NULL, N, F, K, W, b, l2, NULL, NULL);
        W[i] = keep - h;
        double down = pt__softmax_objective(&X, y, NULL, N, F, K, W, b, l2, NULL, NULL);
        W[i] = keep;
        double fd = (up - down) / (2.0 * (double)h);
        assert_float_equal(gW[i], fd, 1e-4);
    }
    for (size_t c = 0; c < K; c++) {
        float keep = b[c];
        b[c] = keep + h;
        double up = pt__softmax_objective(&X, y, NULL, N, F, K, W, b, l2, NULL, NULL);
        b[c] = keep - h;
        double down = pt__softmax_objective(&X, y, NULL, N, F, K, W, b, l2, NULL, NULL);
        b[c] = keep;
        assert_float_equal(gb[c], (up - down) / (2.0 * (double)h), 1e-4);
    }
}

/* A temporary file name under the build directory. */
static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/test_nlp_%ld_%s", PT_BUILD_DIR, (long)getpid(), name);
}

/* Save then load gives the same labels and bit-identical probabilities. */
static void test_save_load_round_trip_is_exact(void **state) {
    pt_textclf *m = train_toy(*state);
    char path[512];
    tmp_path(path, sizeof path, "model.ptm");
    assert_int_equal(pt_textclf_save(m, path), PT_OK);
    pt_textclf *m2 = NULL;
    assert_int_equal(pt_textclf_load(*state, path, &m2), PT_OK);
    assert_int_equal(pt_textclf_n_labels(m2), 2);
    assert_string_equal(pt_textclf_label(m2, 0), "neg");
    assert_string_equal(pt_textclf_label(m2, 1), "pos");
    assert_int_equal(pt_textclf_task(m2), PT_TEXT_SENTIMENT);
    static const char *const probe[] = {"great phone", "bad", "", "未知的词 unknown", "很好"};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        pt_text_prediction a, b;
        assert_int_equal(pt_textclf_predict(m, probe[i], strlen(probe[i]), &a), PT_OK);
        double pa[2] = {a.probs[0], a.probs[1]};
        assert_int_equal(pt_textclf_predict(m2, probe[i], strlen(probe[i]), &b), PT_OK);
        assert_memory_equal(pa, b.probs, sizeof pa);
        assert_true(a.score == b.score);
    }
    pt_textclf_free(m2);
    pt_textclf_free(m);
    remove(path);
}

/* A clone on another ctx predicts exactly what the model does, on another thread too. */
typedef struct clone_job {
    pt_textclf *m;
    double score[5];
} clone_job;
static const char *const clone_probe[] = {"great phone", "bad", "", "未知的词 unknown", "很好"};
static void *clone_thread(void *arg) {
    clone_job *j = arg;
    for (size_t i = 0; i < 5; i++) {
        pt_text_prediction p;
        j->score[i] = pt_textclf_predict(j->m, clone_probe[i], strlen(clone_probe[i]), &p) ==
                              PT_OK
                          ? p.score
                          : NAN;
    }
    return NULL;
}
static void test_clone_predicts_the_same(void **state) {
    pt_textclf *m = train_toy(*state);
    pt_ctx *c2;
    assert_int_equal(pt_ctx_new(&c2), PT_OK);
    clone_job j = {NULL, {0}};
    assert_int_equal(pt_textclf_clone(m, c2, &j.m), PT_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, clone_thread, &j), 0);
    pthread_join(t, NULL);
    for (size_t i = 0; i < 5; i++) {
        pt_text_prediction p;
        assert_int_equal(pt_textclf_predict(m, clone_probe[i], strlen(clone_probe[i]), &p), PT_OK);
        assert_true(p.score == j.score[i]);
    }
    pt_textclf_free(j.m);
    pt_ctx_free(c2);
    pt_textclf_free(m);
}

/* An unknown label at evaluation is a clear error naming the label and the row. */
static void test_unknown_label_at_eval(void **state) {
    pt_textclf *m = train_toy(*state);
    const char *texts[2] = {"good", "bad"};
    const char *labels[2] = {"pos", "maybe"};
    pt_text_eval *e = (pt_text_eval *)1;
    assert_int_equal(pt_textclf_eval(m, texts, labels, 2, &e), PT_EINVAL);
    assert_null(e);
    assert_non_null(strstr(pt_ctx_errmsg(*state), "'maybe'"));
    assert_non_null(strstr(pt_ctx_errmsg(*state), "row 1"));
    pt_textclf_free(m);
}

/* Write `n` bytes to `path`. */
static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Corrupt, truncated, foreign and missing model files fail with clear errors. */
static void test_corrupt_model_files(void **state) {
    pt_textclf *m = train_toy(*state);
    char path[512];
    tmp_path(path, sizeof path, "bad.ptm");
    assert_int_equal(pt_textclf_save(m, path), PT_OK);
    pt_textclf_free(m);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 100 && n < sizeof buf);
    pt_textclf *m2 = (pt_textclf *)1;
    /* one flipped bit in the middle */
    buf[n / 2] ^= 0x10;
    write_file(path, buf, n);
    assert_int_equal(pt_textclf_load(*state, path, &m2), PT_EPARSE);
    assert_null(m2);
    assert_non_null(strstr(pt_ctx_errmsg(*state), "checksum"));
    buf[n / 2] ^= 0x10;
    /* every truncation */
    for (size_t cut = 0; cut < n; cut += 1 + cut / 3) {
        write_file(path, buf, cut);
        assert_int_equal(pt_textclf_load(*state, path, &m2), PT_EPARSE);
        assert_null(m2);
    }
    /* not a model at all */
    write_file(path, "cat,label,review\n", 17);
    assert_int_equal(pt_textclf_load(*state, path, &m2), PT_EPARSE);
    memset(buf, 'x', 200);
    write_file(path, buf, 200);
    assert_int_equal(pt_textclf_load(*state, path, &m2), PT_EPARSE);
    remove(path);
    assert_int_equal(pt_textclf_load(*state, path, &m2), PT_EIO);
}

/* --- data files, keywords, augmentation ---------------------------------------------------- */

/* CSV (quotes, doubled quotes, newlines in fields, an empty field) and JSON lines (escapes,
 * surrogate pairs, numbers as labels, nested values skipped, blank lines, a missing label). */
static void test_dataset_csv_and_jsonl(void **state) {
    pt_text_dataset *d = NULL;
    assert_int_equal(pt_text_dataset_load(*state, PT_TEST_DATA "/nlp/reviews.csv", "review",
                                          "label", &d), PT_OK);
    assert_int_equal(pt_text_dataset_size(d), 4);
    assert_string_equal(pt_text_dataset_text(d, 0), "Great phone, the battery lasts \"forever\"");
    assert_string_equal(pt_text_dataset_text(d, 1), "Terrible screen,\nbroke after 2 days");
    assert_string_equal(pt_text_dataset_label(d, 2), "1");
    assert_string_equal(pt_text_dataset_text(d, 3), "");
    pt_text_dataset_free(d);
    assert_int_equal(pt_text_dataset_load(*state, PT_TEST_DATA "/nlp/reviews.csv", "body",
                                          "label", &d), PT_ENOTFOUND);
    assert_int_equal(pt_text_dataset_load(*state, PT_TEST_DATA "/nlp/reviews.jsonl", "review",
                                          "label", &d), PT_OK);
    assert_int_equal(pt_text_dataset_size(d), 3);
    assert_string_equal(pt_text_dataset_text(d, 0), "Great phone \xE2\x80\x94 five stars");
    assert_string_equal(pt_text_dataset_label(d, 0), "1");
    assert_string_equal(pt_text_dataset_text(d, 1), "质量很差\xF0\x9F\x98\xA1");
    assert_string_equal(pt_text_dataset_label(d, 1), "0");
    assert_string_equal(pt_text_dataset_label(d, 2), "");
    pt_text_dataset_free(d);
}

/* Keywords: the distinctive words of each document come first. */
static void test_keywords(void **state) {
    static const char *const docs[] = {
        "battery life is great, the battery lasts two days, battery life matters",
        "the screen is bright and the screen is sharp",
        "这款手机的电池续航很好，电池容量大，充电也快",
        "",
    };
    pt_tokenizer_opts o;
    pt_tokenizer_opts_init(&o);
    o.stopwords = 1;
    pt_tokenizer *tk = NULL;
    assert_int_equal(pt_tokenizer_new(*state, &o, &tk), PT_OK);
    pt_keywords_opts ko;
    pt_keywords_opts_init(&ko);
    ko.top_k = 3;
    pt_keyword_set *ks = NULL;
    assert_int_equal(pt_keywords_extract(tk, docs, 4, &ko, &ks), PT_OK);
    const pt_keyword *kw;
    size_t n;
    pt_keyword_set_doc(ks, 0, &kw, &n);
    assert_true(n >= 1 && n <= 3);
    assert_non_null(strstr(kw[0].text, "battery"));
    assert_float_equal(kw[0].weight, 1.0, 1e-12);
    pt_keyword_set_doc(ks, 1, &kw, &n);
    assert_string_equal(kw[0].text, "screen");
    pt_keyword_set_doc(ks, 2, &kw, &n);
    assert_true(n >= 1);
    assert_non_null(strstr(kw[0].text, "电池"));
    pt_keyword_set_doc(ks, 3, &kw, &n);
    assert_int_equal(n, 0);
    pt_keyword_set_free(ks);
    /* TF-IDF alone and TextRank alone also work */
    ko.method = PT_KEYWORDS_TEXTRANK;
    assert_int_equal(pt_keywords_extract(tk, docs, 4, &ko, &ks), PT_OK);
    pt_keyword_set_free(ks);
    ko.method = PT_KEYWORDS_TFIDF;
    assert_int_equal(pt_keywords_extract(tk, docs, 4, &ko, &ks), PT_OK);
    pt_keyword_set_free(ks);
    pt_tokenizer_free(tk);
}

/* A phrase of a Chinese and a Latin word keeps a space between them ("设计 durable", not
 * "设计durable"); two Chinese words join without one. */
static void test_keyword_phrases_mixed_scripts(void **state) {
    static const char *const docs[] = {
        "设计durable的车架。设计durable。", "设计durable的帐篷", "durable好用", "设计好看",
        "电池容量大的电池容量", "电池容量不错", "电池好", "容量小",
    };
    pt_tokenizer_opts o;
    pt_tokenizer_opts_init(&o);
    o.stopwords = 1;
    pt_tokenizer *tk = NULL;
    assert_int_equal(pt_tokenizer_new(*state, &o, &tk), PT_OK);
    pt_keywords_opts ko;
    pt_keywords_opts_init(&ko);
    ko.top_k = 3;
    pt_keyword_set *ks = NULL;
    assert_int_equal(pt_keywords_extract(tk, docs, 8, &ko, &ks), PT_OK);
    const pt_keyword *kw;
    size_t n;
    pt_keyword_set_doc(ks, 0, &kw, &n);
    assert_true(n >= 1);
    assert_string_equal(kw[0].text, "设计 durable");
    pt_keyword_set_doc(ks, 4, &kw, &n);
    assert_true(n >= 1);
    assert_string_equal(kw[0].text, "电池容量");
    pt_keyword_set_free(ks);
    pt_tokenizer_free(tk);
}

/* Augmentation with a Chinese synonym file: valid UTF-8, deterministic for a seed. */
static void test_augment(void **state) {
    pt_synonyms *syn = NULL;
    assert_int_equal(pt_synonyms_load_groups(*state, PT_TEST_DATA "/nlp/synonyms_zh.txt", &syn),
                     PT_OK);
    assert_int_equal(pt_synonyms_size(syn), 8);
    pt_tokenizer_opts o;
    pt_tokenizer_opts_init(&o);
    o.keep_punct = 1;
    o.raw_typed = 1;
    pt_tokenizer *tk = NULL;
    assert_int_equal(pt_tokenizer_new(*state, &o, &tk), PT_OK);
    pt_augment_opts ao;
    pt_augment_opts_init(&ao);
    ao.p_synonym = 0.5;
    const char *text = "质量很好，物流也很好，good value";
    char *a = NULL, *b = NULL;
    uint64_t r1 = 99, r2 = 99;
    assert_int_equal(pt_augment_text(tk, syn, &ao, text, strlen(text), &r1, &a), PT_OK);
    assert_int_equal(pt_augment_text(tk, syn, &ao, text, strlen(text), &r2, &b), PT_OK);
    assert_string_equal(a, b);
    assert_true(strlen(a) > 0);
    assert_int_equal(pt__utf8_check(a, strlen(a)), strlen(a));
    pt_augment_str_free(*state, a);
    pt_augment_str_free(*state, b);
    assert_int_equal(pt_augment_text(tk, NULL, NULL, "", 0, &r1, &a), PT_OK);
    assert_string_equal(a, "");
    pt_augment_str_free(*state, a);
    pt_tokenizer_free(tk);
    pt_synonyms_free(syn);
    assert_int_equal(pt_synonyms_load_groups(*state, PT_TEST_DATA "/nlp/none.txt", &syn),
                     PT_EIO);
}

/* Every allocation of a small training run may fail: each time the result is PT_ENOMEM and
 * nothing leaks (LeakSanitizer checks under ASan), until the run succeeds. */
static void test_train_out_of_memory(void **state) {
    pt_ctx *ctx = *state;
    const char *texts[40], *labels[40];
    toy_set(texts, labels, 40);
    pt_textclf_opts o;
    pt_textclf_opts_init(&o);
    o.hash_bits = 12;
    o.min_df = 1;
    o.threads = 1;
    o.max_epochs = 2;
    int ok = 0;
    for (uint64_t n = 1; n < 5000 && !ok; n++) {
        pt_textclf *m = NULL;
        pt__ctx_fail_after(ctx, n);
        int rc = pt_textclf_train(ctx, &o, texts, labels, 40, &m);
        pt__ctx_fail_after(ctx, 0);
        if (rc == PT_OK) {
            ok = 1;
            pt_textclf_free(m);
        } else {
            assert_int_equal(rc, PT_ENOMEM);
            assert_null(m);
        }
    }
    assert_true(ok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_segment_chinese, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_segment_english_typed_tokens, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_stem_and_stopwords, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_empty_and_invalid_utf8, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_ten_megabyte_line, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_tfidf_hand_computed, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_classifier_learns_separable_set, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_gradient_matches_finite_differences, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_save_load_round_trip_is_exact, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_clone_predicts_the_same, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_unknown_label_at_eval, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_corrupt_model_files, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_dataset_csv_and_jsonl, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_keywords, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_keyword_phrases_mixed_scripts, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_augment, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_train_out_of_memory, ctx_up, ctx_down),
    };
    return cmocka_run_group_tests_name("nlp", tests, NULL, NULL);
}
