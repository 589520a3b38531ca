/*
 * tokenize.c - the first stage of the text pipeline: UTF-8 in, typed tokens out.
 *
 * A text is validated as UTF-8, converted to UTF-16 and normalised with ICU (NFKC, or
 * NFKC_Casefold when lower-casing, so full-width "ＡＢＣ１２" becomes "abc12"). ICU's word break
 * iterator then cuts it; for Han and kana runs it uses its dictionary-based segmentation, so
 * Chinese comes out as words. Each segment's rule status says what it is: numbers become
 * "<num>" (or "<price>" next to a currency sign or 元/块), URLs (found before the break iterator
 * could cut them apart) become "<url>", emoji are kept whole, letters become words (optionally
 * Snowball-stemmed), spaces are dropped and other symbols are kept only on request. Stop words
 * come from a small built-in list plus any files loaded.
 *
 * The tokenizer also keeps the normalised text as code points, whitespace folded, for the
 * character n-grams of features.c. All buffers are reused from call to call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "nlp/nlp.h"

/* Texts longer than this are refused: ICU counts in int32_t and NFKC may expand text. */
#define MAX_TEXT ((size_t)256 << 20)

/* A small default stop-word list of our own: English function words and Chinese particles and
 * pronouns. Negations (not, 不, 没) are deliberately absent: they carry sentiment. */
static const char *const default_stop[] = {
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for",
    "with", "from", "about", "as", "into", "than", "then", "so", "is", "are", "was", "were",
    "be", "been", "being", "am", "it", "its", "this", "that", "these", "those", "i", "me", "my",
    "we", "our", "you", "your", "he", "him", "his", "she", "her", "they", "them", "their",
    "what", "which", "who", "whom", "do", "does", "did", "have", "has", "had", "will", "would",
    "can", "could", "should", "there", "here", "all", "also", "just", "very", "too", "s", "t",
    "的", "了", "是", "在", "和", "也", "就", "都", "而", "及", "与", "着", "或", "这", "那",
    "这个", "那个", "我", "你", "他", "她", "它", "我们", "你们", "他们", "啊", "吧", "呢",
    "吗", "呀", "哦", "嗯", "之", "其", "把", "被", "让", "给", "对", "从", "向", "又", "还",
    "就是", "一个", "有", "个", "说", "要", "去", "会", "地", "得", "么", "啦", "嘛", "哈"};

/* A token while it is being built: its text is at `off` in the output buffer. */
typedef struct tok_rec {
    size_t off;
    uint32_t len;
    uint32_t kind;
} tok_rec;

struct pt_tokenizer {
    pt_ctx *ctx;
    pt_tokenizer_opts opts;
    const UNormalizer2 *norm;
    UBreakIterator *bi;
    struct sb_stemmer *stemmer;
    /* stop words: open addressing over strings in the arena */
    pt__arena arena;
    const char **stop;
    uint32_t *stop_len;
    size_t stop_cap, n_stop;
    /* per-run buffers */
    UChar *u16;
    size_t u16_cap;
    UChar *nrm;
    size_t nrm_cap;
    char *out;
    size_t out_cap, out_len;
    tok_rec *recs;
    size_t recs_cap, n_recs;
    pt_token *toks;
    size_t toks_cap;
    uint32_t *cps;
    size_t cps_cap, n_cps;
    int stop_borrowed; /* a clone: stop, stop_len belong to the tokenizer it was made from */
};

/* --- stop-word set ------------------------------------------------------------------------- */

/* Find the slot of `s` in the stop-word table: its slot if present, else the empty slot where
 * it would go. The table is never full (load factor <= 1/2). */
static size_t stop_slot(const pt_tokenizer *tk, const char *s, size_t len) {
    size_t mask = tk->stop_cap - 1;
    size_t i = (size_t)pt__hash(s, len, 7) & mask;
    while (tk->stop[i] != NULL) {
        if (tk->stop_len[i] == len && memcmp(tk->stop[i], s, len) == 0) {
            return i;
        }
        i = (i + 1) & mask;
    }
    return i;
}

/* Add `s` to the stop-word set, growing the table when half full. Returns PT_OK or
 * PT_ENOMEM. */
static int stop_add(pt_tokenizer *tk, const char *s, size_t len) {
    if (len == 0) {
        return PT_OK;
    }
    if ((tk->n_stop + 1) * 2 > tk->stop_cap) {
        size_t cap = tk->stop_cap ? tk->stop_cap * 2 : 256;
        const char **ns = pt__calloc(tk->ctx, cap, sizeof *ns);
        uint32_t *nl = pt__calloc(tk->ctx, cap, sizeof *nl);
        if (ns == NULL || nl == NULL) {
            pt__free(tk->ctx, ns);
            pt__free(tk->ctx, nl);
            return pt__error(tk->ctx, PT_ENOMEM, "stop words: out of memory");
        }
        const char **os = tk->stop;
        uint32_t *ol = tk->stop_len;
        size_t ocap = tk->stop_cap;
        tk->stop = ns;
        tk->stop_len = nl;
        tk->stop_cap = cap;
        for (size_t i = 0; i < ocap; i++) {
            if (os[i] != NULL) {
                size_t j = stop_slot(tk, os[i], ol[i]);
                tk->stop[j] = os[i];
                tk->stop_len[j] = ol[i];
            }
        }
        pt__free(tk->ctx, os);
        pt__free(tk->ctx, ol);
    }
    size_t i = stop_slot(tk, s, len);
    if (tk->stop[i] != NULL) {
        return PT_OK;
    }
    char *copy = pt__arena_strndup(&tk->arena, s, len);
    if (copy == NULL) {
        return pt__error(tk->ctx, PT_ENOMEM, "stop words: out of memory");
    }
    tk->stop[i] = copy;
    tk->stop_len[i] = (uint32_t)len;
    tk->n_stop++;
    return PT_OK;
}

/* Is `text` a stop word? */
int pt__tokenizer_is_stop(const pt_tokenizer *tk, const char *text, size_t len) {
    if (tk->stop_cap == 0) {
        return 0;
    }
    return tk->stop[stop_slot(tk, text, len)] != NULL;
}

/* --- buffers ------------------------------------------------------------------------------- */

/* Make room for `need` more bytes in the output buffer. */
static int out_reserve(pt_tokenizer *tk, size_t need) {
    return pt__grow(tk->ctx, (void **)&tk->out, &tk->out_cap, tk->out_len + need, 1);
}

/* Append a token record for the `len` bytes just written at `off`. */
static int push_rec(pt_tokenizer *tk, size_t off, size_t len, pt_token_kind kind) {
    int rc = pt__grow(tk->ctx, (void **)&tk->recs, &tk->recs_cap, tk->n_recs + 1,
                      sizeof *tk->recs);
    if (rc != PT_OK) {
        return rc;
    }
    tk->recs[tk->n_recs++] = (tok_rec){off, (uint32_t)len, (uint32_t)kind};
    return PT_OK;
}

/* Emit a token whose text is the literal `s` (a type tag such as "<num>"). */
static int emit_lit(pt_tokenizer *tk, pt_token_kind kind, const char *s) {
    size_t n = strlen(s);
    int rc = out_reserve(tk, n + 1);
    if (rc != PT_OK) {
        return rc;
    }
    size_t off = tk->out_len;
    memcpy(tk->out + off, s, n + 1);
    tk->out_len += n + 1;
    return push_rec(tk, off, n, kind);
}

/* Write the UTF-16 run s[0..n) as UTF-8 at the end of the output buffer (NUL-terminated, not
 * yet committed: out_len is unchanged). Sets *off and *len. */
static int write_u8(pt_tokenizer *tk, const UChar *s, int32_t n, size_t *off, size_t *len) {
    int rc = out_reserve(tk, (size_t)n * 3 + 1);
    if (rc != PT_OK) {
        return rc;
    }
    UErrorCode st = U_ZERO_ERROR;
    int32_t w = 0;
    u_strToUTF8(tk->out + tk->out_len, (int32_t)(tk->out_cap - tk->out_len), &w, s, n, &st);
    if (U_FAILURE(st)) {
        return pt__error(tk->ctx, PT_EINTERNAL, "tokenizer: UTF-16 to UTF-8: %s",
                         u_errorName(st));
    }
    *off = tk->out_len;
    *len = (size_t)w;
    tk->out[*off + *len] = '\0';
    return PT_OK;
}

/* Emit a word: written as UTF-8, stemmed when asked (Latin ASCII words only), dropped when it is
 * a stop word and stop words are on. */
static int emit_word(pt_tokenizer *tk, pt_token_kind kind, const UChar *s, int32_t n) {
    size_t off, len;
    int rc = write_u8(tk, s, n, &off, &len);
    if (rc != PT_OK) {
        return rc;
    }
    char *w = tk->out + off;
    if (tk->opts.stopwords && pt__tokenizer_is_stop(tk, w, len)) {
        return PT_OK;
    }
    if (tk->stemmer != NULL && kind == PT_TOKEN_WORD) {
        int ascii = 1;
        for (size_t i = 0; i < len && ascii; i++) {
            ascii = (unsigned char)w[i] < 0x80;
        }
        if (ascii) {
            const sb_symbol *st = sb_stemmer_stem(tk->stemmer, (const sb_symbol *)w, (int)len);
            if (st != NULL) {
                size_t sl = (size_t)sb_stemmer_length(tk->stemmer);
                if (sl <= len) { /* stems never grow; keep the word if one did */
                    memcpy(w, st, sl);
                    w[sl] = '\0';
                    len = sl;
                }
            }
        }
    }
    tk->out_len = off + len + 1;
    return push_rec(tk, off, len, kind);
}

/* --- recognisers --------------------------------------------------------------------------- */

/* Does s[i..n) start with the ASCII string `p` (ASCII case-insensitive)? */
static int starts_with(const UChar *s, int32_t i, int32_t n, const char *p) {
    for (; *p != '\0'; p++, i++) {
        if (i >= n) {
            return 0;
        }
        UChar c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (UChar)(c + 32);
        }
        if (c != (UChar)*p) {
            return 0;
        }
    }
    return 1;
}

/* If a URL starts at s[i] (http://, https:// or www. after a non-alphanumeric), return the
 * offset where it ends: at whitespace, a CJK character, quotes or closing brackets; else -1. */
static int32_t url_end(const UChar *s, int32_t i, int32_t n) {
    if (i > 0 && (u_isalnum(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '/')) {
        return -1;
    }
    int32_t j;
    if (starts_with(s, i, n, "https://")) {
        j = i + 8;
    } else if (starts_with(s, i, n, "http://")) {
        j = i + 7;
    } else if (starts_with(s, i, n, "www.")) {
        j = i + 4;
    } else {
        return -1;
    }
    int32_t start = j;
    while (j < n) {
        UChar c = s[j];
        if (c <= ' ' || c >= 0x2E80 || c == '"' || c == '\'' || c == '<' || c == '>' ||
            c == ')' || c == ']' || c == '}' || u_isUWhiteSpace(c)) {
            break;
        }
        j++;
    }
    /* trailing sentence punctuation is not part of the URL */
    while (j > start && (s[j - 1] == '.' || s[j - 1] == ',' || s[j - 1] == '!' ||
                         s[j - 1] == '?' || s[j - 1] == ';' || s[j - 1] == ':')) {
        j--;
    }
    return j > start ? j : -1;
}

/* Is the segment s[0..n) an emoji (its first code point is pictographic, not a digit, '#' or
 * '*' which also carry the Emoji property)? */
static int is_emoji(const UChar *s, int32_t n) {
    UChar32 c;
    int32_t i = 0;
    U16_NEXT(s, i, n, c);
    if (c < 0x80) {
        return 0;
    }
    return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) ||
           u_hasBinaryProperty(c, UCHAR_EMOJI_PRESENTATION) ||
           u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR);
}

/* Is the segment s[0..n) a single currency sign ($, ¥, €, £, ...)? */
static int is_currency(const UChar *s, int32_t n) {
    UChar32 c;
    int32_t i = 0;
    U16_NEXT(s, i, n, c);
    return i == n && u_charType(c) == U_CURRENCY_SYMBOL;
}

/* Is the segment only white space? */
static int is_space(const UChar *s, int32_t n) {
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U16_NEXT(s, i, n, c);
        if (!u_isUWhiteSpace(c) && c != 0 && !(u_charType(c) == U_CONTROL_CHAR) &&
            c != 0x200B && c != 0xFEFF) {
            return 0;
        }
    }
    return 1;
}

/* --- API ----------------------------------------------------------------------------------- */

/* Set the default options. */
void pt_tokenizer_opts_init(pt_tokenizer_opts *o) {
    memset(o, 0, sizeof *o);
    o->lowercase = 1;
}

/* The ctx of a tokenizer. */
pt_ctx *pt__tokenizer_ctx(const pt_tokenizer *tk) {
    return tk->ctx;
}

/* Make a tokenizer: ICU normaliser and word break iterator, stemmer, built-in stop words. */
int pt_tokenizer_new(pt_ctx *ctx, const pt_tokenizer_opts *opts, pt_tokenizer **out) {
    *out = NULL;
    pt_tokenizer *tk = pt__calloc(ctx, 1, sizeof *tk);
    if (tk == NULL) {
        return pt__error(ctx, PT_ENOMEM, "tokenizer: out of memory");
    }
    tk->ctx = ctx;
    if (opts != NULL) {
        tk->opts = *opts;
    } else {
        pt_tokenizer_opts_init(&tk->opts);
    }
    pt__arena_init(&tk->arena, ctx, 16384);
    UErrorCode st = U_ZERO_ERROR;
    tk->norm = tk->opts.lowercase ? unorm2_getNFKCCasefoldInstance(&st)
                                  : unorm2_getNFKCInstance(&st);
    if (U_FAILURE(st)) {
        pt_tokenizer_free(tk);
        return pt__error(ctx, PT_EUNSUPPORTED, "tokenizer: ICU NFKC: %s", u_errorName(st));
    }
    tk->bi = ubrk_open(UBRK_WORD, "zh", NULL, 0, &st);
    if (U_FAILURE(st)) {
        pt_tokenizer_free(tk);
        return pt__error(ctx, PT_EUNSUPPORTED, "tokenizer: ICU word break: %s",
                         u_errorName(st));
    }
    if (tk->opts.stem) {
        tk->stemmer = sb_stemmer_new("english", "UTF_8");
        if (tk->stemmer == NULL) {
            pt_tokenizer_free(tk);
            return pt__error(ctx, PT_EUNSUPPORTED, "tokenizer: no Snowball English stemmer");
        }
    }
    for (size_t i = 0; i < sizeof default_stop / sizeof default_stop[0]; i++) {
        if (stop_add(tk, default_stop[i], strlen(default_stop[i])) != PT_OK) {
            pt_tokenizer_free(tk);
            return PT_ENOMEM;
        }
    }
    *out = tk;
    return PT_OK;
}

/* Free a tokenizer and its buffers. */
int pt__tokenizer_clone(const pt_tokenizer *tk, pt_ctx *ctx, pt_tokenizer **out) {
    int rc = pt_tokenizer_new(ctx, &tk->opts, out);
    if (rc != PT_OK) {
        return rc;
    }
    pt_tokenizer *c = *out;
    pt__free(ctx, c->stop); /* its own default list: the original's (with any loaded) instead */
    pt__free(ctx, c->stop_len);
    c->stop = tk->stop;
    c->stop_len = tk->stop_len;
    c->stop_cap = tk->stop_cap;
    c->n_stop = tk->n_stop;
    c->stop_borrowed = 1;
    return PT_OK;
}

void pt_tokenizer_free(pt_tokenizer *tk) {
    if (tk == NULL) {
        return;
    }
    pt_ctx *ctx = tk->ctx;
    if (tk->bi != NULL) {
        ubrk_close(tk->bi);
    }
    if (tk->stemmer != NULL) {
        sb_stemmer_delete(tk->stemmer);
    }
    pt__arena_free(&tk->arena);
    if (!tk->stop_borrowed) {
        pt__free(ctx, tk->stop);
        pt__free(ctx, tk->stop_len);
    }
    pt__free(ctx, tk->u16);
    pt__free(ctx, tk->nrm);
    pt__free(ctx, tk->out);
    pt__free(ctx, tk->recs);
    pt__free(ctx, tk->toks);
    pt__free(ctx, tk->cps);
    pt__free(ctx, tk);
}

/* Validate UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). Returns the offset of
 * the first invalid byte, or len. */
size_t pt__utf8_check(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            min = 0x10000;
        } else {
            return i;
        }
        if (len - i <= need) {
            return i;
        }
        unsigned cp = c & (0x3Fu >> need);
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return i;
        }
        i += need + 1;
    }
    return len;
}

/* Validate and normalise `text` into tk->nrm; sets *n_out to its length in UTF-16 units. */
static int normalise(pt_tokenizer *tk, const char *text, size_t len, int32_t *n_out) {
    pt_ctx *ctx = tk->ctx;
    if (len > MAX_TEXT) {
        return pt__error(ctx, PT_ELIMIT, "tokenizer: text of %zu bytes is over the limit of "
                                         "%zu", len, MAX_TEXT);
    }
    size_t bad = pt__utf8_check(text, len);
    if (bad != len) {
        return pt__error(ctx, PT_EPARSE, "tokenizer: invalid UTF-8 at byte %zu", bad);
    }
    int rc = pt__grow(ctx, (void **)&tk->u16, &tk->u16_cap, len + 1, sizeof(UChar));
    if (rc != PT_OK) {
        return rc;
    }
    UErrorCode st = U_ZERO_ERROR;
    int32_t n16 = 0;
    u_strFromUTF8(tk->u16, (int32_t)tk->u16_cap, &n16, text, (int32_t)len, &st);
    if (U_FAILURE(st)) {
        return pt__error(ctx, PT_EPARSE, "tokenizer: UTF-8 conversion: %s", u_errorName(st));
    }
    size_t want = (size_t)n16 + (size_t)n16 / 4 + 16;
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = pt__grow(ctx, (void **)&tk->nrm, &tk->nrm_cap, want, sizeof(UChar));
        if (rc != PT_OK) {
            return rc;
        }
        st = U_ZERO_ERROR;
        int32_t nn = unorm2_normalize(tk->norm, tk->u16, n16, tk->nrm,
                                      (int32_t)(tk->nrm_cap > INT32_MAX ? INT32_MAX
                                                                         : tk->nrm_cap),
                                      &st);
        if (st == U_BUFFER_OVERFLOW_ERROR) {
            want = (size_t)nn + 1;
            continue;
        }
        if (U_FAILURE(st)) {
            return pt__error(ctx, PT_EPARSE, "tokenizer: NFKC: %s", u_errorName(st));
        }
        *n_out = nn;
        return PT_OK;
    }
    return pt__error(ctx, PT_EINTERNAL, "tokenizer: NFKC output does not fit");
}

/* Fill tk->cps with the code points of the normalised text, whitespace runs folded into one
 * space and trimmed at both ends. */
static int fill_cps(pt_tokenizer *tk, int32_t n) {
    int rc = pt__grow(tk->ctx, (void **)&tk->cps, &tk->cps_cap, (size_t)n + 1, sizeof(uint32_t));
    if (rc != PT_OK) {
        return rc;
    }
    size_t k = 0;
    int space = 0;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U16_NEXT(tk->nrm, i, n, c);
        if (u_isUWhiteSpace(c) || c < 0x20) {
            space = 1;
            continue;
        }
        if (space && k > 0) {
            tk->cps[k++] = ' ';
        }
        space = 0;
        tk->cps[k++] = (uint32_t)c;
    }
    tk->n_cps = k;
    return PT_OK;
}

/* The code points of the last run. */
const uint32_t *pt__tokenizer_cps(const pt_tokenizer *tk, size_t *n) {
    *n = tk->n_cps;
    return tk->cps;
}

/* Cut the normalised text into typed tokens (see the file comment). */
static int segment(pt_tokenizer *tk, int32_t n) {
    const UChar *s = tk->nrm;
    UErrorCode st = U_ZERO_ERROR;
    int rc = PT_OK;
    ubrk_setText(tk->bi, s, n, &st);
    if (U_FAILURE(st)) {
        return pt__error(tk->ctx, PT_EINTERNAL, "tokenizer: ICU setText: %s", u_errorName(st));
    }
    int32_t start = ubrk_first(tk->bi);
    int currency = 0; /* the previous segment was a currency sign */
    size_t currency_rec = 0;
    int32_t currency_at = 0;
    int32_t end;
    while (start < n && (end = ubrk_next(tk->bi)) != UBRK_DONE) {
        int32_t ue = url_end(s, start, n);
        if (ue > 0) {
            rc = tk->opts.raw_typed ? emit_word(tk, PT_TOKEN_URL, s + start, ue - start)
                                    : emit_lit(tk, PT_TOKEN_URL, "<url>");
            if (rc != PT_OK) {
                return rc;
            }
            currency = 0;
            if (end < ue) {
                end = ubrk_following(tk->bi, ue - 1);
                if (end == UBRK_DONE) {
                    break;
                }
            }
            start = ue < end ? ue : end;
            if (start == end) {
                continue;
            }
            /* the rest of the segment after the URL is handled below as punctuation/none */
        }
        int32_t status = ubrk_getRuleStatus(tk->bi);
        const UChar *seg = s + start;
        int32_t sl = end - start;
        if (status >= UBRK_WORD_NUMBER && status < UBRK_WORD_NUMBER_LIMIT) {
            int price = currency;
            if (price && tk->opts.keep_punct) {
                tk->n_recs = currency_rec; /* the sign becomes part of the price */
            }
            int32_t after = end;
            if (!price && after < n && (s[after] == 0x5143 || s[after] == 0x5757)) {
                int32_t next = ubrk_following(tk->bi, after);
                if (next == after + 1) { /* "元" or "块" alone, not the start of a word */
                    price = 1;
                    end = next;
                } else {
                    ubrk_isBoundary(tk->bi, after); /* back to where we were */
                }
            }
            if (tk->opts.raw_typed) {
                /* the raw text of a price keeps its sign or its 元/块 */
                int32_t from = currency ? currency_at : start;
                rc = emit_word(tk, price ? PT_TOKEN_PRICE : PT_TOKEN_NUM, s + from, end - from);
            } else {
                rc = emit_lit(tk, price ? PT_TOKEN_PRICE : PT_TOKEN_NUM,
                              price ? "<price>" : "<num>");
            }
            currency = 0;
        } else if (status >= UBRK_WORD_LETTER && status < UBRK_WORD_LETTER_LIMIT) {
            rc = emit_word(tk, PT_TOKEN_WORD, seg, sl);
            currency = 0;
        } else if (status >= UBRK_WORD_KANA && status < UBRK_WORD_IDEO_LIMIT) {
            rc = emit_word(tk, PT_TOKEN_IDEO, seg, sl);
            currency = 0;
        } else if (is_space(seg, sl)) {
            /* spaces end nothing: "$ 5" is still a price */
        } else if (is_currency(seg, sl)) {
            currency = 1;
            currency_rec = tk->n_recs;
            currency_at = start;
            if (tk->opts.keep_punct) {
                size_t off, len;
                rc = write_u8(tk, seg, sl, &off, &len);
                if (rc == PT_OK) {
                    tk->out_len = off + len + 1;
                    rc = push_rec(tk, off, len, PT_TOKEN_PUNCT);
                }
            }
        } else if (is_emoji(seg, sl)) {
            size_t off, len;
            rc = write_u8(tk, seg, sl, &off, &len);
            if (rc == PT_OK) {
                tk->out_len = off + len + 1;
                rc = push_rec(tk, off, len, PT_TOKEN_EMOJI);
            }
            currency = 0;
        } else {
            if (tk->opts.keep_punct) {
                size_t off, len;
                rc = write_u8(tk, seg, sl, &off, &len);
                if (rc == PT_OK) {
                    tk->out_len = off + len + 1;
                    rc = push_rec(tk, off, len, PT_TOKEN_PUNCT);
                }
            }
            currency = 0;
        }
        if (rc != PT_OK) {
            return rc;
        }
        start = end;
    }
    return PT_OK;
}

/* Tokenize a text: normalise, segment, and publish the tokens. */
int pt_tokenizer_run(pt_tokenizer *tk, const char *text, size_t len, const pt_token **toks,
                     size_t *n) {
    *toks = NULL;
    *n = 0;
    tk->out_len = 0;
    tk->n_recs = 0;
    tk->n_cps = 0;
    if (text == NULL && len > 0) {
        return pt__error(tk->ctx, PT_EINVAL, "tokenizer: text is NULL");
    }
    if (len == 0) {
        return PT_OK;
    }
    int32_t nn = 0;
    int rc = normalise(tk, text, len, &nn);
    if (rc == PT_OK) {
        rc = fill_cps(tk, nn);
    }
    if (rc == PT_OK) {
        rc = segment(tk, nn);
    }
    if (rc == PT_OK) {
        rc = pt__grow(tk->ctx, (void **)&tk->toks, &tk->toks_cap, tk->n_recs + 1,
                      sizeof *tk->toks);
    }
    if (rc != PT_OK) {
        tk->n_recs = 0;
        tk->n_cps = 0;
        return rc;
    }
    for (size_t i = 0; i < tk->n_recs; i++) {
        tk->toks[i].text = tk->out + tk->recs[i].off;
        tk->toks[i].len = tk->recs[i].len;
        tk->toks[i].kind = tk->recs[i].kind;
    }
    *toks = tk->toks;
    *n = tk->n_recs;
    return PT_OK;
}

/* Normalise a text and fill the code points for character n-grams, without segmenting it (the
 * features of a model without word n-grams need nothing more). */
int pt__tokenizer_normalize(pt_tokenizer *tk, const char *text, size_t len) {
    tk->out_len = 0;
    tk->n_recs = 0;
    tk->n_cps = 0;
    if (len == 0) {
        return PT_OK;
    }
    if (text == NULL) {
        return pt__error(tk->ctx, PT_EINVAL, "tokenizer: text is NULL");
    }
    int32_t nn = 0;
    int rc = normalise(tk, text, len, &nn);
    if (rc == PT_OK) {
        rc = fill_cps(tk, nn);
    }
    if (rc != PT_OK) {
        tk->n_cps = 0;
    }
    return rc;
}

/* Load stop words from a file, one per line, each normalised like text. */
int pt_tokenizer_load_stopwords(pt_tokenizer *tk, const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return pt__error(tk->ctx, PT_EIO, "stop words: cannot open %s", path);
    }
    char line[1024];
    size_t lineno = 0;
    int rc = PT_OK;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        size_t l = strcspn(line, "\r\n");
        line[l] = '\0';
        while (l > 0 && (line[l - 1] == ' ' || line[l - 1] == '\t')) {
            line[--l] = '\0';
        }
        char *w = line;
        while (*w == ' ' || *w == '\t') {
            w++;
        }
        if (*w == '\0' || *w == '#') {
            continue;
        }
        int32_t nn = 0;
        rc = normalise(tk, w, strlen(w), &nn);
        if (rc != PT_OK) {
            pt__error_prefix(tk->ctx, "%s:%zu", path, lineno);
            break;
        }
        size_t off, len;
        tk->out_len = 0;
        rc = write_u8(tk, tk->nrm, nn, &off, &len);
        if (rc == PT_OK) {
            rc = stop_add(tk, tk->out + off, len);
        }
        if (rc != PT_OK) {
            break;
        }
    }
    if (rc == PT_OK && ferror(f)) {
        rc = pt__error(tk->ctx, PT_EIO, "stop words: read error on %s", path);
    }
    fclose(f);
    tk->out_len = 0;
    return rc;
}
