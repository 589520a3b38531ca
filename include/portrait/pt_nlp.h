/*
 * pt_nlp.h - text processing for profiles: tokenization, text classification (sentiment and
 * category), keyword tags and data augmentation.
 *
 * The NLP module is a standalone library inside libportrait: nothing here refers to the graph.
 * An adapter attaches its results (labels, scores, keywords) to graph nodes. The pipeline:
 *
 *   text -> pt_tokenizer (ICU NFKC, word break with CJK dictionary, typed tokens <url> <num>
 *           <price>, emoji, lower case, optional Snowball stemming and stop words)
 *        -> hashed word and character n-grams, TF-IDF (sublinear tf, idf, L2-normalised rows)
 *        -> pt_textclf (multinomial logistic regression) | pt_keywords_extract (TF-IDF, TextRank)
 *
 * Threads: every object here belongs to one thread at a time (each holds scratch buffers). Load
 * or make one per thread, with one ctx per thread.
 */
#ifndef PT_NLP_H
#define PT_NLP_H

#include <stddef.h>
#include <stdint.h>

#include "pt_ctx.h"
#include "pt_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- tokenizer ----------------------------------------------------------------------------- */

/** What a token is. Numbers, prices and URLs are replaced by their type tag ("<num>"). */
typedef enum pt_token_kind {
    PT_TOKEN_WORD = 0,  /* letters (Latin, Cyrillic, ...), lower-cased when asked */
    PT_TOKEN_IDEO = 1,  /* a CJK word from the dictionary segmentation (or kana) */
    PT_TOKEN_NUM = 2,   /* "<num>" */
    PT_TOKEN_PRICE = 3, /* "<price>": a number with a currency sign before it, or 元/块 after */
    PT_TOKEN_URL = 4,   /* "<url>" */
    PT_TOKEN_EMOJI = 5, /* the emoji itself, ZWJ sequences kept whole */
    PT_TOKEN_PUNCT = 6  /* punctuation and symbols, only with keep_punct */
} pt_token_kind;

/** One token. `text` is NUL-terminated UTF-8 of `len` bytes. */
typedef struct pt_token {
    const char *text;
    uint32_t len;
    uint32_t kind; /* a pt_token_kind */
} pt_token;

/** Tokenizer options; pt_tokenizer_opts_init() sets the defaults given in brackets. */
typedef struct pt_tokenizer_opts {
    int lowercase;  /* [1] case-fold (NFKC_Casefold instead of NFKC) */
    int stem;       /* [0] Snowball English stemming of Latin words */
    int stopwords;  /* [0] drop stop words (the built-in list plus loaded files) */
    int keep_punct; /* [0] keep punctuation and symbols as PT_TOKEN_PUNCT */
    int raw_typed;  /* [0] keep the text of numbers, prices and URLs instead of their tag */
} pt_tokenizer_opts;

typedef struct pt_tokenizer pt_tokenizer;

/** Set `o` to the defaults. */
PT_API void pt_tokenizer_opts_init(pt_tokenizer_opts *o);

/**
 * Make a tokenizer. `opts` may be NULL for the defaults.
 * @return PT_OK, PT_ENOMEM, or PT_EUNSUPPORTED when ICU or the stemmer cannot be opened.
 * Lifetime: free with pt_tokenizer_free(). Threads: one thread at a time.
 */
PT_API int pt_tokenizer_new(pt_ctx *ctx, const pt_tokenizer_opts *opts, pt_tokenizer **out);

/** Free a tokenizer; NULL is a no-op. */
PT_API void pt_tokenizer_free(pt_tokenizer *tk);

/**
 * Add the stop words of a file (one per line, UTF-8, '#' starts a comment line) to the set.
 * The words are normalised like text, so "The" in the file matches "the" in text.
 * @return PT_OK, PT_EIO, PT_EPARSE (invalid UTF-8, with the line) or PT_ENOMEM.
 */
PT_API int pt_tokenizer_load_stopwords(pt_tokenizer *tk, const char *path);

/**
 * Tokenize `len` bytes of UTF-8 `text` (NUL bytes allowed, no terminator needed).
 * @param[out] toks  the tokens; *n may be 0 (empty or all-space text)
 * @return PT_OK, PT_EPARSE (invalid UTF-8; the message gives the byte offset), PT_ELIMIT
 *         (text over 256 MiB), PT_ENOMEM.
 * Lifetime: *toks and their text are owned by `tk`, valid until the next call on `tk`.
 */
PT_API int pt_tokenizer_run(pt_tokenizer *tk, const char *text, size_t len,
                            const pt_token **toks, size_t *n);

/* --- labelled text data -------------------------------------------------------------------- */

typedef struct pt_text_dataset pt_text_dataset;

/**
 * Read a CSV file with a header row (RFC 4180 quoting, fields may hold newlines) or, when the
 * name ends in .jsonl or .json, one JSON object per line; take the columns (keys) `text_col`
 * and `label_col`. Every data row is kept, in file order, so that row i of the result is data
 * row i of the file (the reference split rule counts rows). A missing field reads as "".
 * `label_col` may be NULL (texts only).
 * @return PT_OK, PT_EIO, PT_ENOTFOUND (no such column), PT_EPARSE (bad quoting or JSON, with
 *         the line), PT_ENOMEM.
 */
PT_API int pt_text_dataset_load(pt_ctx *ctx, const char *path, const char *text_col,
                                const char *label_col, pt_text_dataset **out);
/** Free a data set; NULL is a no-op. */
PT_API void pt_text_dataset_free(pt_text_dataset *d);
/** Number of data rows. */
PT_API size_t pt_text_dataset_size(const pt_text_dataset *d);
/** Text and label of row i ("" when absent). Lifetime: owned by `d`. */
PT_API const char *pt_text_dataset_text(const pt_text_dataset *d, size_t i);
PT_API const char *pt_text_dataset_label(const pt_text_dataset *d, size_t i);
/** The arrays behind the rows (n = pt_text_dataset_size). Lifetime: owned by `d`. */
PT_API const char *const *pt_text_dataset_texts(const pt_text_dataset *d);
PT_API const char *const *pt_text_dataset_labels(const pt_text_dataset *d);

/* --- classifier ---------------------------------------------------------------------------- */

/** What a model is for: sentiment adds a score P(positive) - P(negative). */
typedef enum pt_text_task { PT_TEXT_SENTIMENT = 0, PT_TEXT_CATEGORY = 1 } pt_text_task;

/** Training options; pt_textclf_opts_init() sets the defaults in brackets. */
typedef struct pt_textclf_opts {
    int task;            /* [PT_TEXT_SENTIMENT] a pt_text_task */
    int hash_bits;       /* [22] feature buckets 2^hash_bits, 20..22 */
    int word_ngrams;     /* [2] word n-grams 1..word_ngrams (0: none) */
    int char_min;        /* [1] character n-grams char_min..char_max (char_max 0: none) */
    int char_max;        /* [3] */
    int min_df;          /* [2] drop features in fewer training documents */
    double l2;           /* [1e-6] L2 penalty per example (objective: mean loss + l2/2 |W|^2) */
    double learning_rate; /* [0.3] AdaGrad step */
    int batch;           /* [1] mini-batch size (1: plain AdaGrad, the fastest) */
    int max_epochs;      /* [12] */
    int patience;        /* [1] stop after this many epochs without validation gain */
    double val_frac;     /* [0.1] share of the training rows held out for early stopping */
    int refit;           /* [1] after early stopping, retrain on all rows for the best count */
    uint64_t seed;       /* [42] */
    const uint64_t *groups; /* [NULL] optional, one per text: texts with the same value (a row
                               and its augmented copies) fall on the same side of the
                               validation split; borrowed for the duration of the call */
    int threads;         /* [0] featurization threads; 0: the online CPUs, at most 4. Each
                            thread gets its own ctx with the caller's allocator hooks */
    int verbose;         /* [0] log each epoch through the ctx log at PT_LOG_INFO */
    pt_tokenizer_opts tok; /* tokenizer options stored in the model */
} pt_textclf_opts;

typedef struct pt_textclf pt_textclf;

/** Set `o` to the defaults. */
PT_API void pt_textclf_opts_init(pt_textclf_opts *o);

/**
 * Train a classifier on `n` texts and their labels (any strings; empty labels are an error).
 * @return PT_OK, PT_EINVAL (bad options, fewer than 2 classes, an empty label), PT_EPARSE
 *         (a text that is not UTF-8, with its row), PT_ENOMEM.
 * Lifetime: free with pt_textclf_free().
 */
PT_API int pt_textclf_train(pt_ctx *ctx, const pt_textclf_opts *opts, const char *const *texts,
                            const char *const *labels, size_t n, pt_textclf **out);

/** Free a model; NULL is a no-op. */
PT_API void pt_textclf_free(pt_textclf *m);

/**
 * Write the model to `path`: a versioned binary file with a CRC-32 over its contents. The file
 * is written to "path.tmp" and renamed into place.
 * @return PT_OK or PT_EIO.
 */
PT_API int pt_textclf_save(const pt_textclf *m, const char *path);

/**
 * Read a model written by pt_textclf_save.
 * @return PT_OK, PT_EIO, PT_EPARSE (not a model, truncated, bad checksum, unknown version),
 *         PT_ENOMEM.
 */
PT_API int pt_textclf_load(pt_ctx *ctx, const char *path, pt_textclf **out);

/** The task, the number of labels and label i (sorted by byte order). Lifetime: owned by m. */
PT_API int pt_textclf_task(const pt_textclf *m);
PT_API size_t pt_textclf_n_labels(const pt_textclf *m);
PT_API const char *pt_textclf_label(const pt_textclf *m, size_t i);
/** Index of `label`, or -1 when the model does not know it. */
PT_API long pt_textclf_label_index(const pt_textclf *m, const char *label);

/** One prediction. */
typedef struct pt_text_prediction {
    size_t label;        /* index of the most probable label */
    double prob;         /* its probability */
    double score;        /* sentiment: P(pos) - P(neg) in [-1, 1]; category: prob */
    const double *probs; /* pt_textclf_n_labels() probabilities; owned by the model, valid
                            until the next call on it */
} pt_text_prediction;

/**
 * Classify `len` bytes of UTF-8 text. Empty text gets the prior of the bias terms.
 * @return PT_OK, PT_EPARSE (invalid UTF-8), PT_ELIMIT, PT_ENOMEM.
 */
PT_API int pt_textclf_predict(pt_textclf *m, const char *text, size_t len,
                              pt_text_prediction *out);

/**
 * A predictor of `m` for another thread: it shares m's weights (read-only) and has its own
 * tokenizer and buffers on `ctx` (one ctx per thread). pt_textclf_predict() on the clone gives
 * the same results as on `m`. Free clones (pt_textclf_free) before `m`; do not save or train
 * them. @return PT_OK, PT_ENOMEM, PT_EUNSUPPORTED (ICU unavailable).
 */
PT_API int pt_textclf_clone(const pt_textclf *m, pt_ctx *ctx, pt_textclf **out);

/** Evaluation figures. */
typedef struct pt_text_eval {
    size_t n;             /* rows evaluated */
    size_t n_labels;
    double accuracy;
    double macro_f1;
    double *precision;    /* n_labels each */
    double *recall;
    double *f1;
    uint64_t *confusion;  /* n_labels x n_labels, row = true label, column = predicted */
    double seconds;       /* prediction time */
} pt_text_eval;

/**
 * Predict every row and compare with its label.
 * @return PT_OK, PT_EINVAL (a label the model does not know: the message names it and its
 *         row), PT_EPARSE (invalid UTF-8, with the row), PT_ENOMEM.
 * Lifetime: free *out with pt_text_eval_free().
 */
PT_API int pt_textclf_eval(pt_textclf *m, const char *const *texts, const char *const *labels,
                           size_t n, pt_text_eval **out);
/** Free evaluation figures; NULL is a no-op. */
PT_API void pt_text_eval_free(pt_text_eval *e);

/* --- keywords ------------------------------------------------------------------------------ */

/** Keyword methods. */
typedef enum pt_keyword_method {
    PT_KEYWORDS_TFIDF = 0,    /* tf (sublinear) x idf over the document set */
    PT_KEYWORDS_TEXTRANK = 1, /* PageRank on the word co-occurrence graph of the document */
    PT_KEYWORDS_BOTH = 2      /* the mean of the two, each scaled to a maximum of 1 */
} pt_keyword_method;

/** Keyword options; pt_keywords_opts_init() sets the defaults in brackets. */
typedef struct pt_keywords_opts {
    int method;   /* [PT_KEYWORDS_BOTH] */
    int top_k;    /* [10] keywords per document */
    int window;   /* [4] TextRank co-occurrence window (words) */
    int phrases;  /* [1] consider two-word phrases; a phrase replaces its words when it scores
                     higher than both */
} pt_keywords_opts;

/** One keyword of a document. */
typedef struct pt_keyword {
    const char *text; /* UTF-8; a phrase joins its words with a space (Latin) or nothing (CJK) */
    double weight;    /* > 0, the best keyword of a document has weight 1 */
} pt_keyword;

typedef struct pt_keyword_set pt_keyword_set;

/** Set `o` to the defaults. */
PT_API void pt_keywords_opts_init(pt_keywords_opts *o);

/**
 * Top keywords of each of `n_docs` documents, with idf taken from the set itself. Words are
 * the tokenizer's WORD and IDEO tokens; stop words and one-letter Latin words never qualify, so
 * make `tk` with stopwords on (the built-in list is used even when no file is loaded).
 * @return PT_OK, PT_EINVAL, PT_EPARSE (invalid UTF-8, with the document), PT_ENOMEM.
 * Lifetime: free *out with pt_keyword_set_free().
 */
PT_API int pt_keywords_extract(pt_tokenizer *tk, const char *const *docs, size_t n_docs,
                               const pt_keywords_opts *opts, pt_keyword_set **out);
/** The keywords of document i, best first; *n may be 0. Lifetime: owned by the set. */
PT_API void pt_keyword_set_doc(const pt_keyword_set *s, size_t i, const pt_keyword **kws,
                               size_t *n);
/** Free a keyword set; NULL is a no-op. */
PT_API void pt_keyword_set_free(pt_keyword_set *s);

/* --- augmentation -------------------------------------------------------------------------- */

typedef struct pt_synonyms pt_synonyms;

/**
 * Load English synonyms from the WordNet database files data.noun, data.verb, data.adj and
 * data.adv in `dir` (Debian wordnet-base: /usr/share/wordnet). Each synset's words become one
 * group. @return PT_OK, PT_EIO (no data file readable), PT_ENOMEM.
 */
PT_API int pt_synonyms_load_wordnet(pt_ctx *ctx, const char *dir, pt_synonyms **out);
/**
 * Load synonym groups from a text file: one group per line, words separated by spaces or tabs.
 * A first field ending in '=', '#' or '@' (the Cilin code form "Aa01A01= ...") is skipped.
 * @return PT_OK, PT_EIO, PT_EPARSE (invalid UTF-8, with the line), PT_ENOMEM.
 */
PT_API int pt_synonyms_load_groups(pt_ctx *ctx, const char *path, pt_synonyms **out);
/** Free synonyms; NULL is a no-op. */
PT_API void pt_synonyms_free(pt_synonyms *s);
/** Number of words that have at least one synonym. */
PT_API size_t pt_synonyms_size(const pt_synonyms *s);

/** Augmentation options (EDA, Wei and Zou 2019); pt_augment_opts_init() sets the defaults. */
typedef struct pt_augment_opts {
    double p_synonym; /* [0.1] share of words replaced by a synonym */
    double p_insert;  /* [0.1] share of words: insert a synonym of a random word */
    double p_swap;    /* [0.1] share of words: swap two random words */
    double p_delete;  /* [0.1] each word deleted with this probability */
    double p_char;    /* [0.05] CJK character noise: each ideograph dropped or doubled */
} pt_augment_opts;

/** Set `o` to the defaults. */
PT_API void pt_augment_opts_init(pt_augment_opts *o);

/**
 * Make one augmented variant of `text`: tokenize with `tk`, apply the EDA operations (synonyms
 * from `syn`, which may be NULL), then character noise on CJK words, and join the words (a
 * space between Latin words, nothing between CJK ones). `*rng` is the random state (any
 * non-zero value to start) and is advanced.
 * @return PT_OK, PT_EPARSE, PT_ENOMEM.
 * Lifetime: *out is allocated through the tokenizer's ctx; release it with
 * pt_augment_str_free() on that ctx (the tokenizer may be gone by then).
 */
PT_API int pt_augment_text(pt_tokenizer *tk, const pt_synonyms *syn, const pt_augment_opts *o,
                           const char *text, size_t len, uint64_t *rng, char **out);
/** Free a string returned by pt_augment_text; NULL is a no-op. */
PT_API void pt_augment_str_free(pt_ctx *ctx, char *s);

#ifdef __cplusplus
}
#endif
#endif /* PT_NLP_H */
