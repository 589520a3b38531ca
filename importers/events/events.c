/*
 * events.c - the behaviour-event importer: CSV, TSV and JSON-lines files of user actions
 * (views, clicks, carts, purchases, ratings, reviews) streamed into a pt_builder.
 *
 * Pipeline. importers/io/reader.c hands out physical lines. This file strips a UTF-8 byte-order
 * mark and the "\r" of CRLF, converts Latin-1 when asked, joins the lines of a quoted CSV field
 * that spans line breaks, checks the UTF-8, then either splits a CSV record (RFC 4180 quoting) or
 * parses a JSON object with a small strict parser of its own. The fields named by the map
 * (opts->map) are picked out, and each row becomes typed nodes (pt:User, pt:Item) and one
 * weighted, timestamped edge user -action-> item, plus a pt:Event node when the row has text.
 * Rows that cannot be used are counted per reason in pt_import_stats, or stop the import with
 * PT_EPARSE under opts->strict. The format is described for users in docs/IMPORT-EVENTS.md.
 *
 * Memory. Every buffer belongs to the import and is reused from row to row, so once the buffers
 * have grown to the longest row, a row costs no allocation here (the builder interns what it
 * keeps). A picked field is a span pointing into the line or into a scratch buffer, valid until
 * the next row.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "graph/graph.h"
#include "io/reader.h"
#include "events/events_int.h"


/* ==== types ================================================================================ */

/* The fields a map can name, in the order of field_names. */
enum { F_USER, F_ITEM, F_ACTION, F_VALUE, F_TIME, F_TEXT, F_COUNT };

static const char *const field_names[F_COUNT] = {"user", "item", "action", "value", "time", "text"};

/* What a picked field holds. CSV fields are always K_TEXT; JSON gives the rest. */
enum { K_ABSENT = 0, K_TEXT, K_NUMBER, K_BOOL, K_NULL, K_COMPOUND };

/* Input formats; TSV is CSV with a tab delimiter. */
enum { FMT_UNKNOWN = 0, FMT_CSV, FMT_JSONL };

/* The six behaviours of pt_vocab.h (shared with live events through events_int.h). */
enum {
    ACT_VIEWED = PT__ACT_VIEWED,
    ACT_CLICKED = PT__ACT_CLICKED,
    ACT_CARTED = PT__ACT_CARTED,
    ACT_PURCHASED = PT__ACT_PURCHASED,
    ACT_RATED = PT__ACT_RATED,
    ACT_REVIEWED = PT__ACT_REVIEWED,
    ACT_COUNT = PT__ACT_COUNT
};

const char *const pt__ev_action_names[PT__ACT_COUNT] = {"viewed",    "clicked", "carted",
                                                        "purchased", "rated",   "reviewed"};
const char *const pt__ev_action_iris[PT__ACT_COUNT] = {PT_VIEWED,    PT_CLICKED, PT_CARTED,
                                                       PT_PURCHASED, PT_RATED,   PT_REVIEWED};
#define action_names pt__ev_action_names

/* Every spelling accepted for an action, case-insensitively. */
static const struct {
    const char *word;
    int act;
} action_words[] = {
    {"viewed", ACT_VIEWED},        {"view", ACT_VIEWED},
    {"clicked", ACT_CLICKED},      {"click", ACT_CLICKED},
    {"carted", ACT_CARTED},        {"cart", ACT_CARTED},
    {"add_to_cart", ACT_CARTED},   {"purchased", ACT_PURCHASED},
    {"purchase", ACT_PURCHASED},   {"buy", ACT_PURCHASED},
    {"rated", ACT_RATED},          {"rating", ACT_RATED},
    {"reviewed", ACT_REVIEWED},    {"review", ACT_REVIEWED},
};

/* How many skipped rows are logged one by one before the import goes quiet. */
#define WARN_ROWS 5

/* Longest CSV record (all its physical lines), the same as the reader's default line limit. */
#define MAX_RECORD ((size_t)64 << 20)

/* Progress is reported each time this many more input bytes have been read. */
#define PROGRESS_STEP ((uint64_t)4 << 20)

/* JSON nesting deeper than this is rejected, which bounds the parser's recursion. */
#define MAX_DEPTH 64

/* A growable byte buffer, reused from row to row. */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

/* A borrowed piece of text; p is NULL when absent. */
typedef struct span {
    const char *p;
    size_t len;
} span;

/* The state of one pt_import_events() call. */
typedef struct imp {
    pt_builder *b;
    pt_ctx *ctx;
    pt__reader *rd;
    const char *path;
    pt_import_stats *st;
    int strict, latin1, fmt, header;
    char delim;

    /* the map: name[f] is a column name or JSON path (p NULL when unmapped); colno[f] is the
     * 1-based column number when the map gave digits, else 0; col[f] the resolved column */
    buf mapbuf;
    span name[F_COUNT];
    long colno[F_COUNT];
    size_t col[F_COUNT];
    size_t n_cols;  /* columns every CSV record must have, 0 until known */
    int cols_ready; /* CSV columns resolved (after the header or the first record) */

    /* the current row */
    uint64_t line; /* 1-based line where the row starts */
    span val[F_COUNT];
    int kind[F_COUNT];

    /* the action when the map has no action column */
    int fixed_act;         /* ACT_* or -1 for an IRI */
    pt_node_id fixed_pred; /* its predicate node */
    span fixed_name;       /* its name in event IRIs */

    /* the mapping into statements: base IRI, vocabulary ids (shared with live events) */
    pt__ev_emitter em;
    int em_ready;

    /* scratch, all reused */
    buf rec;  /* a CSV record spanning several physical lines */
    int in_rec;
    int qstate;      /* quote state of the CSV scanner at the end of rec */
    uint64_t rec_line;
    buf conv;        /* a Latin-1 line converted to UTF-8 */
    buf fld;         /* unquoted CSV fields, unescaped JSON strings */
    buf path_buf;    /* the JSON key path being parsed */
    span *cols;      /* fields of the current CSV record */
    size_t cols_cap, n_fields;
    uint8_t *seen;   /* bit per node id: rdf:type already added by this import */
    size_t seen_cap; /* bytes */

    unsigned n_warned;
    uint64_t next_progress;
} imp;

/* ==== small helpers ======================================================================== */

/* Make room for `need` bytes in `b`. Returns PT_OK or PT_ENOMEM (b unchanged). */
static int reserve(pt_ctx *ctx, buf *b, size_t need) {
    if (need <= b->cap) {
        return PT_OK;
    }
    void *p = b->p;
    int rc = pt__grow(ctx, &p, &b->cap, need, 1);
    b->p = p;
    return rc;
}

/* Append n bytes to `b`, whose capacity the caller has reserved. */
static void put(buf *b, const char *s, size_t n) {
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Free the storage of `b` and empty it. */
static void buf_free(pt_ctx *ctx, buf *b) {
    pt__free(ctx, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Return `s` without leading and trailing blanks (space, tab, CR, LF). */
static span trim(span s) {
    while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n')) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' ||
                         s.p[s.len - 1] == '\r' || s.p[s.len - 1] == '\n')) {
        s.len--;
    }
    return s;
}

/*
 * True when byte `c` may not appear raw in an IRI (RFC 3987 excludes them; so does the
 * N-Triples IRIREF production): controls, space, DEL and <>"{}|\^`. Minted ids percent-encode
 * these. Bytes of multi-byte UTF-8 characters are allowed.
 */
static int iri_bad(unsigned char c) {
    switch (c) {
    case '<':
    case '>':
    case '"':
    case '{':
    case '}':
    case '|':
    case '\\':
    case '^':
    case '`':
        return 1;
    default:
        return c <= 0x20 || c == 0x7F;
    }
}

/* Lower-case an ASCII letter; other bytes pass through. */
static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* True when s[0..n) equals the NUL-terminated `word`, ignoring ASCII case. */
static int equals_nocase(const char *s, size_t n, const char *word) {
    size_t k = 0;
    for (; k < n; k++) {
        if (word[k] == '\0' || lower((unsigned char)s[k]) != lower((unsigned char)word[k])) {
            return 0;
        }
    }
    return word[k] == '\0';
}

/* True when the NUL-terminated `s` ends with `suffix`, ignoring ASCII case. */
static int ends_with(const char *s, size_t n, const char *suffix) {
    size_t m = strlen(suffix);
    return n >= m && equals_nocase(s + n - m, m, suffix);
}

/*
 * Check that s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF, per RFC 3629's table of well-formed byte sequences). Returns n when it is, else the
 * offset of the first bad byte. ASCII is skipped eight bytes at a time.
 */
static size_t utf8_check(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) {
                lo = 0xA0;
            } else if (c == 0xED) {
                hi = 0x9F;
            }
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) {
                lo = 0x90;
            } else if (c == 0xF4) {
                hi = 0x8F;
            }
        } else {
            return i;
        }
        if (i + need >= n) {
            return i;
        }
        if (s[i + 1] < lo || s[i + 1] > hi) {
            return i;
        }
        for (size_t k = 2; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return i;
            }
        }
        i += need + 1;
    }
    return n;
}

/* Write code point `cp` (at most U+10FFFF) as UTF-8 at `o`; returns the bytes written. */
static size_t utf8_put(char *o, unsigned long cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Parse a number as event files write it: optional sign, digits with optional thousands
 * separators ("1,234": groups of exactly three after the first comma, as in Amazon's `vote`),
 * an optional fraction and exponent. Blanks around it are ignored; "inf", "nan" and hex are not
 * numbers. Avoids strtod so the C library's locale cannot change the decimal point.
 * Returns 1 and *out on success, 0 when `s` is not a number.
 */
static int parse_number(span s, double *out) {
    s = trim(s);
    size_t i = 0, n = s.len;
    const char *p = s.p;
    int neg = 0;
    if (i < n && (p[i] == '+' || p[i] == '-')) {
        neg = p[i] == '-';
        i++;
    }
    uint64_t mant = 0;
    int sig = 0, any = 0;
    long exp10 = 0;
    size_t run = 0;
    int grouped = 0;
    for (; i < n; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9') {
            any = 1;
            run++;
            if (sig < 19) {
                if (mant != 0 || c != '0') {
                    mant = mant * 10 + (uint64_t)(c - '0');
                    sig++;
                }
            } else {
                exp10++;
            }
        } else if (c == ',') {
            if (run == 0 || (grouped ? run != 3 : run > 3)) {
                return 0;
            }
            grouped = 1;
            run = 0;
        } else {
            break;
        }
    }
    if (grouped && run != 3) {
        return 0;
    }
    if (i < n && p[i] == '.') {
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            any = 1;
            if (sig < 19) {
                if (mant != 0 || p[i] != '0') {
                    mant = mant * 10 + (uint64_t)(p[i] - '0');
                    sig++;
                }
                exp10--;
            }
        }
    }
    if (!any) {
        return 0;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (p[i] == '+' || p[i] == '-')) {
            eneg = p[i] == '-';
            i++;
        }
        if (i == n || p[i] < '0' || p[i] > '9') {
            return 0;
        }
        long e = 0;
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            if (e < 100000) {
                e = e * 10 + (p[i] - '0');
            }
        }
        exp10 += eneg ? -e : e;
    }
    if (i != n) {
        return 0;
    }
    double v = (double)mant;
    if (mant != 0 && exp10 != 0) {
        /* Dividing by an exact power of ten keeps "4.5" and "0.1" exactly as strtod reads them
         * (10^k is exact in a double up to k = 22). */
        v = exp10 > 0 ? v * pow(10.0, (double)exp10) : v / pow(10.0, (double)-exp10);
    }
    *out = neg ? -v : v;
    return 1;
}

/*
 * Write the xsd:decimal lexical form of a value into `out` (cap >= 64): the source text itself
 * without blanks and thousands separators when it already is a decimal ("5.0", "-3"),
 * otherwise `v` printed with six decimals, trailing zeros trimmed.
 */
static size_t decimal_text(span src, double v, char *out, size_t cap) {
    src = trim(src);
    size_t n = 0, digits = 0, dots = 0;
    int ok = src.len > 0 && src.len < cap;
    for (size_t k = 0; ok && k < src.len; k++) {
        char c = src.p[k];
        if (c >= '0' && c <= '9') {
            digits++;
            out[n++] = c;
        } else if (c == '.' && dots == 0) {
            dots++;
            out[n++] = c;
        } else if ((c == '-' || c == '+') && k == 0) {
            out[n++] = c;
        } else if (c != ',') {
            ok = 0;
        }
    }
    if (ok && digits > 0) {
        out[n] = '\0';
        return n;
    }
    int m = snprintf(out, cap, "%.6f", v);
    if (m < 0 || (size_t)m >= cap) {
        m = snprintf(out, cap, "%.1f", 0.0);
    }
    n = (size_t)m;
    while (n > 2 && out[n - 1] == '0' && out[n - 2] != '.') {
        n--;
    }
    out[n] = '\0';
    return n;
}

/* ==== reporting ============================================================================ */

/*
 * Report a row that cannot be imported. Under strict mode this fails the import with PT_EPARSE
 * and "file:line: reason"; otherwise it counts the row under `why`, keeps the first reason in
 * st->first_skip, logs the first few as warnings and returns PT_OK so the import goes on.
 */
static int bad_row(imp *im, pt_skip_reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad_row(imp *im, pt_skip_reason why, const char *fmt, ...) {
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long long line = (unsigned long long)im->line;
    if (im->strict) {
        return pt__error(im->ctx, PT_EPARSE, "%s:%llu: %s", im->path, line, msg);
    }
    pt_import_stats *st = im->st;
    st->rows_skipped++;
    st->skipped_by[why]++;
    if (st->first_skip[0] == '\0') {
        size_t cap = sizeof st->first_skip;
        int m = snprintf(st->first_skip, cap, "%s:%llu: %s", im->path, line, msg);
        if (m >= (int)cap) {
            memcpy(st->first_skip + cap - 4, "...", 4); /* mark the cut */
        }
    }
    if (im->n_warned < WARN_ROWS) {
        im->n_warned++;
        pt__log(im->ctx, PT_LOG_WARN, "%s:%llu: %s (row skipped)", im->path, line, msg);
    }
    return PT_OK;
}

/* Length to show of a quoted value in a message, and whether "..." must follow it. */
#define SHOW_MAX 40
#define SHOW(s)                                                                                    \
    (int)((s).len > SHOW_MAX ? SHOW_MAX : (s).len), (s).p, ((s).len > SHOW_MAX ? "..." : "")

/* ==== options, map, vocabulary ============================================================= */

/* Return the index of field `key` (F_*), or -1 when it names none. */
static int field_index(span key) {
    for (int f = 0; f < F_COUNT; f++) {
        if (strlen(field_names[f]) == key.len && memcmp(field_names[f], key.p, key.len) == 0) {
            return f;
        }
    }
    return -1;
}

/*
 * Parse opts->map ("user=userId,item=asin,...") into im->name / im->colno. The map is copied,
 * so the spans stay valid for the whole import. Values made only of digits are column numbers
 * (for CSV; JSON keys are always names). Returns PT_OK, PT_EINVAL with a message naming the
 * field, or PT_ENOMEM.
 */
static int parse_map(imp *im, const char *map) {
    if (map == NULL || map[0] == '\0') {
        return pt__error(im->ctx, PT_EINVAL,
                         "events map: empty; give at least user=...,item=... "
                         "(names from the header or JSON, or 1-based column numbers)");
    }
    size_t n = strlen(map);
    if (reserve(im->ctx, &im->mapbuf, n + 1) != PT_OK) {
        return pt__error(im->ctx, PT_ENOMEM, "events map: out of memory");
    }
    memcpy(im->mapbuf.p, map, n + 1);
    const char *s = im->mapbuf.p;
    size_t i = 0;
    while (i <= n) {
        size_t end = i;
        while (end < n && s[end] != ',') {
            end++;
        }
        span item = trim((span){s + i, end - i});
        if (item.len > 0) {
            const char *eq = memchr(item.p, '=', item.len);
            if (eq == NULL) {
                return pt__error(im->ctx, PT_EINVAL,
                                 "events map: '%.*s' is not key=column (keys: user, item, action, "
                                 "value, time, text)",
                                 (int)item.len, item.p);
            }
            span key = trim((span){item.p, (size_t)(eq - item.p)});
            span val = trim((span){eq + 1, item.len - (size_t)(eq - item.p) - 1});
            int f = field_index(key);
            if (f < 0) {
                return pt__error(im->ctx, PT_EINVAL,
                                 "events map: unknown field '%.*s' (keys: user, item, action, "
                                 "value, time, text)",
                                 (int)key.len, key.p);
            }
            if (im->name[f].p != NULL) {
                return pt__error(im->ctx, PT_EINVAL, "events map: field '%s' given twice",
                                 field_names[f]);
            }
            if (val.len == 0) {
                return pt__error(im->ctx, PT_EINVAL, "events map: field '%s' has no column",
                                 field_names[f]);
            }
            size_t d = 0;
            while (d < val.len && val.p[d] >= '0' && val.p[d] <= '9') {
                d++;
            }
            if (d == val.len) {
                long no = 0;
                for (size_t k = 0; k < d && no < 100000000; k++) {
                    no = no * 10 + (val.p[k] - '0');
                }
                if (no == 0) {
                    return pt__error(im->ctx, PT_EINVAL,
                                     "events map: field '%s': column numbers start at 1",
                                     field_names[f]);
                }
                im->colno[f] = no;
            }
            im->name[f] = val;
        }
        i = end + 1;
    }
    for (int f = F_USER; f <= F_ITEM; f++) {
        if (im->name[f].p == NULL) {
            return pt__error(im->ctx, PT_EINVAL, "events map: field '%s' is required",
                             field_names[f]);
        }
    }
    return PT_OK;
}

/* True when the map names at least one field by name (not by column number). */
static int map_has_names(const imp *im) {
    for (int f = 0; f < F_COUNT; f++) {
        if (im->name[f].p != NULL && im->colno[f] == 0) {
            return 1;
        }
    }
    return 0;
}

/* Return the ACT_* for a spelling of an action ("buy", "Rated"), or -1. */
static int action_lookup(span s) {
    for (size_t k = 0; k < sizeof action_words / sizeof action_words[0]; k++) {
        if (equals_nocase(s.p, s.len, action_words[k].word)) {
            return action_words[k].act;
        }
    }
    return -1;
}

/*
 * True when `s` looks like an absolute IRI: a scheme (letter, then letters, digits, "+-."),
 * a colon, something after it, and no byte that an IRI may not hold.
 */
static int is_iri(span s) {
    if (s.len < 3 || !((s.p[0] >= 'a' && s.p[0] <= 'z') || (s.p[0] >= 'A' && s.p[0] <= 'Z'))) {
        return 0;
    }
    size_t k = 1;
    while (k < s.len && s.p[k] != ':') {
        char c = s.p[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.')) {
            return 0;
        }
        k++;
    }
    if (k + 1 >= s.len) {
        return 0;
    }
    for (size_t j = 0; j < s.len; j++) {
        if (iri_bad((unsigned char)s.p[j])) {
            return 0;
        }
    }
    return 1;
}

/* Strip one pair of angle brackets around an IRI ("<http://...>"). */
static span unbracket(span s) {
    if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>') {
        s.p++;
        s.len -= 2;
    }
    return s;
}

/* The local name of a predicate IRI (after the last '#', '/' or ':'), for event IRIs. */
static span local_name(span iri) {
    size_t k = iri.len;
    while (k > 0 && iri.p[k - 1] != '#' && iri.p[k - 1] != '/' && iri.p[k - 1] != ':') {
        k--;
    }
    if (k == iri.len) {
        return (span){"action", 6};
    }
    return (span){iri.p + k, iri.len - k};
}

/* The field rules above, for live events (events_int.h). */
size_t pt__ev_utf8_check(const unsigned char *s, size_t n) {
    return utf8_check(s, n);
}

int pt__ev_parse_number(const char *s, size_t n, double *out) {
    return parse_number((span){s, n}, out);
}

int pt__ev_action_lookup(const char *s, size_t n) {
    return action_lookup((span){s, n});
}

int pt__ev_is_iri(const char *s, size_t n) {
    return is_iri((span){s, n});
}

void pt__ev_local_name(const char *iri, size_t n, const char **out, size_t *out_len) {
    span l = local_name((span){iri, n});
    *out = l.p;
    *out_len = l.len;
}

/*
 * Work out the fixed action (opts->action, else "rated" when a value is mapped, else "viewed");
 * the emitter has interned the vocabulary. Returns PT_OK, PT_EINVAL for an unknown action, or
 * PT_ENOMEM.
 */
static int setup_vocab(imp *im, const char *action) {
    span a = {action, action != NULL ? strlen(action) : 0};
    a = trim(a);
    if (a.len == 0) {
        a.p = im->name[F_VALUE].p != NULL ? "rated" : "viewed";
        a.len = strlen(a.p);
    }
    im->fixed_act = action_lookup(a);
    if (im->fixed_act >= 0) {
        im->fixed_pred = im->em.act_pred[im->fixed_act];
        im->fixed_name = (span){action_names[im->fixed_act], strlen(action_names[im->fixed_act])};
        return PT_OK;
    }
    span iri = unbracket(a);
    if (!is_iri(iri)) {
        return pt__error(im->ctx, PT_EINVAL,
                         "events action '%.*s': expected viewed, clicked, carted, purchased, "
                         "rated, reviewed or a full predicate IRI",
                         (int)a.len, a.p);
    }
    im->fixed_pred = pt_builder_intern(im->b, iri.p, iri.len, PT_TERM_IRI);
    if (im->fixed_pred == PT_NONE) {
        return pt__error(im->ctx, PT_ENOMEM, "%s: out of memory", im->path);
    }
    /* `action` outlives the import (it is the caller's option), so the span may borrow it. */
    im->fixed_name = local_name(iri);
    return PT_OK;
}

/*
 * Decide the input format from opts->format or the file name: "csv", "tsv" or "jsonl", by
 * extension (.csv; .tsv, .tab, .data; .json, .jsonl, .ndjson; each optionally .gz). Leaves
 * FMT_UNKNOWN when neither says, so the first line decides (see sniff()). Returns PT_OK or
 * PT_EINVAL for an unknown format name.
 */
static int choose_format(imp *im, const char *format, char delim) {
    char d = 0;
    if (format != NULL && format[0] != '\0') {
        size_t n = strlen(format);
        if (equals_nocase(format, n, "csv")) {
            im->fmt = FMT_CSV;
            d = ',';
        } else if (equals_nocase(format, n, "tsv")) {
            im->fmt = FMT_CSV;
            d = '\t';
        } else if (equals_nocase(format, n, "jsonl") || equals_nocase(format, n, "json") ||
                   equals_nocase(format, n, "ndjson")) {
            im->fmt = FMT_JSONL;
        } else {
            return pt__error(im->ctx, PT_EINVAL, "events format '%s': expected csv, tsv or jsonl",
                             format);
        }
    } else {
        size_t n = strlen(im->path);
        if (ends_with(im->path, n, ".gz")) {
            n -= 3;
        }
        if (ends_with(im->path, n, ".csv")) {
            im->fmt = FMT_CSV;
            d = ',';
        } else if (ends_with(im->path, n, ".tsv") || ends_with(im->path, n, ".tab") ||
                   ends_with(im->path, n, ".data")) {
            im->fmt = FMT_CSV;
            d = '\t';
        } else if (ends_with(im->path, n, ".json") || ends_with(im->path, n, ".jsonl") ||
                   ends_with(im->path, n, ".ndjson")) {
            im->fmt = FMT_JSONL;
        }
    }
    im->delim = delim != 0 ? delim : d;
    if (im->fmt == FMT_CSV && (im->delim == '"' || im->delim == '\n' || im->delim == '\r')) {
        return pt__error(im->ctx, PT_EINVAL, "events delimiter: cannot be a quote or line break");
    }
    return PT_OK;
}

/*
 * Decide the format from the first non-blank line when choose_format() could not: an object
 * means JSON-lines, a tab means TSV, anything else CSV.
 */
static void sniff(imp *im, const char *s, size_t n) {
    span t = trim((span){s, n});
    if (t.len > 0 && t.p[0] == '{') {
        im->fmt = FMT_JSONL;
    } else {
        im->fmt = FMT_CSV;
        if (im->delim == 0) {
            im->delim = memchr(s, '\t', n) != NULL ? '\t' : ',';
        }
    }
}

/* ==== rows into the graph ================================================================== */

/*
 * Append id `s` to em->iri at *len, percent-encoding the bytes an IRI may not hold (space,
 * controls, <>"{}|\^`). The caller reserved 3 * n bytes.
 */
static void put_id(pt__ev_emitter *em, size_t *len, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    char *o = em->iri + *len;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (iri_bad(c)) {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    *len = (size_t)(o - em->iri);
}

/* Make room for `need` bytes in em->iri. Returns PT_OK or PT_ENOMEM. */
static int iri_reserve(pt__ev_emitter *em, size_t need) {
    if (need <= em->iri_cap) {
        return PT_OK;
    }
    void *p = em->iri;
    int rc = pt__grow(em->ctx, &p, &em->iri_cap, need, 1);
    em->iri = p;
    return rc;
}

size_t pt__ev_mint_iri(pt__ev_emitter *em, const char *kind, const char *id, size_t n) {
    size_t klen = strlen(kind), len = 0;
    if (iri_reserve(em, em->base_len + klen + 3 * n + 1) != PT_OK) {
        return 0;
    }
    memcpy(em->iri, em->base, em->base_len);
    memcpy(em->iri + em->base_len, kind, klen);
    len = em->base_len + klen;
    put_id(em, &len, id, n);
    em->iri[len] = '\0';
    return len;
}

/*
 * Mint and intern base + `kind` + id (kind is "user/" or "item/"), or the id itself when it is
 * an IRI (`is_iri_id`; live events only). Returns the node, or PT_NONE when memory ran out.
 */
static pt_node_id mint(pt__ev_emitter *em, const char *kind, const char *id, size_t n,
                       int is_iri_id) {
    if (is_iri_id) {
        return em->sink.intern(em->sink.obj, id, n);
    }
    size_t len = pt__ev_mint_iri(em, kind, id, n);
    return len == 0 ? PT_NONE : em->sink.intern(em->sink.obj, em->iri, len);
}

/* Mint and intern the event node base + "event/" + user + "/" + item + "/" + action. */
static pt_node_id mint_event(pt__ev_emitter *em, const pt__ev_row *r) {
    size_t need = em->base_len + 8 + 3 * (r->user_len + r->item_len + r->aname_len) + 1;
    if (iri_reserve(em, need) != PT_OK) {
        return PT_NONE;
    }
    size_t len = em->base_len;
    memcpy(em->iri, em->base, em->base_len);
    memcpy(em->iri + len, "event/", 6);
    len += 6;
    put_id(em, &len, r->user, r->user_len);
    em->iri[len++] = '/';
    put_id(em, &len, r->item, r->item_len);
    em->iri[len++] = '/';
    put_id(em, &len, r->aname, r->aname_len);
    return em->sink.intern(em->sink.obj, em->iri, len);
}

/* Intern a NUL-terminated vocabulary IRI through the sink. */
static pt_node_id vocab(pt__ev_emitter *em, const char *iri) {
    return em->sink.intern(em->sink.obj, iri, strlen(iri));
}

int pt__ev_emitter_init(pt__ev_emitter *em, pt_ctx *ctx, const pt__ev_sink *sink,
                        const char *base) {
    memset(em, 0, sizeof *em);
    em->ctx = ctx;
    em->sink = *sink;
    if (base == NULL || base[0] == '\0') {
        base = "urn:portrait:";
    }
    size_t blen = strlen(base);
    em->base = pt__malloc(ctx, blen + 2);
    if (em->base == NULL) {
        return PT_ENOMEM;
    }
    memcpy(em->base, base, blen);
    char last = base[blen - 1];
    if (last != '/' && last != '#' && last != ':') {
        em->base[blen++] = '/';
    }
    em->base[blen] = '\0';
    em->base_len = blen;
    /* The order of interning fixes the vocabulary's node ids in a new graph; keep it. */
    em->p_type = vocab(em, PT_RDF_TYPE);
    em->c_user = vocab(em, PT_USER);
    em->c_item = vocab(em, PT_ITEM);
    em->c_event = vocab(em, PT_EVENT);
    em->p_ev_user = vocab(em, PT_EV_USER);
    em->p_ev_item = vocab(em, PT_EV_ITEM);
    em->p_ev_action = vocab(em, PT_EV_ACTION);
    em->p_ev_time = vocab(em, PT_EV_TIME);
    em->p_ev_rating = vocab(em, PT_EV_RATING);
    em->p_ev_value = vocab(em, PT_EV_VALUE);
    em->p_ev_text = vocab(em, PT_EV_TEXT);
    em->dt_datetime = vocab(em, PT_XSD_DATETIME);
    em->dt_decimal = vocab(em, PT_XSD_DECIMAL);
    int failed = em->p_type == PT_NONE || em->c_user == PT_NONE || em->c_item == PT_NONE ||
                 em->c_event == PT_NONE || em->p_ev_user == PT_NONE ||
                 em->p_ev_item == PT_NONE || em->p_ev_action == PT_NONE ||
                 em->p_ev_time == PT_NONE || em->p_ev_rating == PT_NONE ||
                 em->p_ev_value == PT_NONE || em->p_ev_text == PT_NONE ||
                 em->dt_datetime == PT_NONE || em->dt_decimal == PT_NONE;
    for (int a = 0; a < PT__ACT_COUNT; a++) {
        em->act_pred[a] = vocab(em, pt__ev_action_iris[a]);
        failed |= em->act_pred[a] == PT_NONE;
    }
    if (failed) {
        pt__ev_emitter_free(em);
        return PT_ENOMEM;
    }
    return PT_OK;
}

void pt__ev_emitter_free(pt__ev_emitter *em) {
    pt__free(em->ctx, em->base);
    pt__free(em->ctx, em->iri);
    em->base = em->iri = NULL;
    em->base_len = em->iri_cap = 0;
}

/*
 * The mapping of one event (docs/IMPORT-EVENTS.md): user and item typed pt:User and pt:Item,
 * the edge user -pred-> item with the value as weight (1 without one) and the time; with text,
 * a pt:Event node base/event/<user>/<item>/<action> linked to user, item and predicate, with
 * its time (xsd:dateTime), rating (rated, reviewed) or value (other actions) as xsd:decimal,
 * and the text. Returns PT_OK or PT_ENOMEM.
 */
int pt__ev_emit(pt__ev_emitter *em, const pt__ev_row *r) {
    const pt__ev_sink *k = &em->sink;
    pt_node_id u = mint(em, "user/", r->user, r->user_len, r->user_iri);
    pt_node_id i = mint(em, "item/", r->item, r->item_len, r->item_iri);
    if (u == PT_NONE || i == PT_NONE || k->type(k->obj, u, em->p_type, em->c_user) != PT_OK ||
        k->type(k->obj, i, em->p_type, em->c_item) != PT_OK) {
        return PT_ENOMEM;
    }
    float w = r->has_value ? (float)r->value : 1.0f;
    int rc = k->edge(k->obj, u, r->pred, i, w, r->time);
    if (rc != PT_OK || r->text == NULL) {
        return rc;
    }
    pt_node_id e = mint_event(em, r);
    if (e == PT_NONE || k->type(k->obj, e, em->p_type, em->c_event) != PT_OK) {
        return PT_ENOMEM;
    }
    if (k->edge(k->obj, e, em->p_ev_user, u, 1.0f, r->time) != PT_OK ||
        k->edge(k->obj, e, em->p_ev_item, i, 1.0f, r->time) != PT_OK ||
        k->edge(k->obj, e, em->p_ev_action, r->pred, 1.0f, r->time) != PT_OK) {
        return PT_ENOMEM;
    }
    char lex[64];
    if (r->time != PT_TIME_UNKNOWN) {
        pt__format_time(r->time, lex, sizeof lex);
        if (k->literal(k->obj, e, em->p_ev_time, lex, strlen(lex), em->dt_datetime) != PT_OK) {
            return PT_ENOMEM;
        }
    }
    if (r->has_value) {
        size_t n = decimal_text((span){r->vtext, r->vtext != NULL ? r->vtext_len : 0}, r->value,
                                lex, sizeof lex);
        pt_node_id p = r->act == ACT_RATED || r->act == ACT_REVIEWED ? em->p_ev_rating
                                                                     : em->p_ev_value;
        if (k->literal(k->obj, e, p, lex, n, em->dt_decimal) != PT_OK) {
            return PT_ENOMEM;
        }
    }
    return k->literal(k->obj, e, em->p_ev_text, r->text, r->text_len, PT_NONE);
}

/* --- the importer's sink: a pt_builder ------------------------------------------------------ */

/* Intern an IRI into the import's builder. */
static pt_node_id b_intern(void *obj, const char *s, size_t n) {
    return pt_builder_intern(((imp *)obj)->b, s, n, PT_TERM_IRI);
}

/* Add an edge to the builder (its errors are sticky and reported by pt_builder_finish). */
static int b_edge(void *obj, pt_node_id s, pt_node_id p, pt_node_id o, float w, int64_t t) {
    pt_builder_add_edge(((imp *)obj)->b, s, p, o, w, t);
    return PT_OK;
}

/* Add a plain or typed literal to the builder. */
static int b_literal(void *obj, pt_node_id s, pt_node_id p, const char *lex, size_t n,
                     pt_node_id dt) {
    pt_builder_add_literal(((imp *)obj)->b, s, p, lex, n, dt, NULL, 0);
    return PT_OK;
}

/*
 * Give node `v` the class `cls` unless this import already did: a bit per node id remembers it,
 * so a user with a thousand events gets one rdf:type edge, not a thousand. Returns PT_OK or
 * PT_ENOMEM.
 */
static int type_once(void *obj, pt_node_id v, pt_node_id p_type, pt_node_id cls) {
    imp *im = obj;
    size_t byte = (size_t)(v >> 3);
    if (byte >= im->seen_cap) {
        size_t old = im->seen_cap;
        void *p = im->seen;
        if (pt__grow(im->ctx, &p, &im->seen_cap, byte + 1, 1) != PT_OK) {
            return PT_ENOMEM;
        }
        im->seen = p;
        memset(im->seen + old, 0, im->seen_cap - old);
    }
    uint8_t bit = (uint8_t)(1u << (v & 7));
    if ((im->seen[byte] & bit) == 0) {
        im->seen[byte] |= bit;
        pt_builder_add_edge(im->b, v, p_type, cls, 1.0f, PT_TIME_UNKNOWN);
    }
    return PT_OK;
}

/* Fail the import for lack of memory, naming the row. */
static int oom(imp *im) {
    return pt__error(im->ctx, PT_ENOMEM, "%s:%llu: out of memory", im->path,
                     (unsigned long long)im->line);
}

/*
 * Turn the picked fields of the current row (im->val, im->kind) into graph statements, or
 * report why the row cannot be used (bad_row). Checks run in field order: user, item, action,
 * value, time, text. An absent, empty or null value or time counts as unmapped for this row
 * (weight 1, unknown time). Returns PT_OK (imported or skipped) or an error code.
 */
static int emit_row(imp *im) {
    span id[2];
    for (int f = F_USER; f <= F_ITEM; f++) {
        if (im->kind[f] == K_COMPOUND) {
            return bad_row(im, PT_SKIP_MALFORMED, "field '%s' is an object or array",
                           field_names[f]);
        }
        id[f] = im->kind[f] == K_NULL ? (span){NULL, 0} : trim(im->val[f]);
        if (id[f].len == 0) {
            return bad_row(im, PT_SKIP_MISSING, "field '%s' is missing or empty", field_names[f]);
        }
    }

    int act = im->fixed_act;
    pt_node_id pred = im->fixed_pred;
    span aname = im->fixed_name;
    if (im->name[F_ACTION].p != NULL) {
        int k = im->kind[F_ACTION];
        span a = k == K_TEXT || k == K_NUMBER || k == K_BOOL ? trim(im->val[F_ACTION])
                                                             : (span){NULL, 0};
        if (a.len == 0) {
            return bad_row(im, PT_SKIP_BAD_ACTION, "field 'action' is missing or empty");
        }
        act = action_lookup(a);
        if (act >= 0) {
            pred = im->em.act_pred[act];
            aname = (span){action_names[act], strlen(action_names[act])};
        } else if (is_iri(unbracket(a))) {
            span iri = unbracket(a);
            pred = pt_builder_intern(im->b, iri.p, iri.len, PT_TERM_IRI);
            if (pred == PT_NONE) {
                return oom(im);
            }
            aname = local_name(iri);
        } else {
            return bad_row(im, PT_SKIP_BAD_ACTION,
                           "field 'action': unknown action '%.*s%s' (expected viewed, clicked, "
                           "carted, purchased, rated, reviewed or an IRI)",
                           SHOW(a));
        }
    }

    double value = 1.0;
    int has_value = 0;
    span vtext = {NULL, 0};
    if (im->name[F_VALUE].p != NULL && im->kind[F_VALUE] != K_NULL) {
        vtext = trim(im->val[F_VALUE]);
        if (im->kind[F_VALUE] == K_COMPOUND) {
            return bad_row(im, PT_SKIP_BAD_VALUE, "field 'value': not a number (object or array)");
        }
        if (vtext.len > 0) {
            if (im->kind[F_VALUE] == K_BOOL || !parse_number(vtext, &value)) {
                return bad_row(im, PT_SKIP_BAD_VALUE, "field 'value': not a number ('%.*s%s')",
                               SHOW(vtext));
            }
            if (!(fabs(value) <= FLT_MAX)) {
                return bad_row(im, PT_SKIP_BAD_VALUE, "field 'value': out of range ('%.*s%s')",
                               SHOW(vtext));
            }
            has_value = 1;
        }
    }

    int64_t t = PT_TIME_UNKNOWN;
    if (im->name[F_TIME].p != NULL && im->kind[F_TIME] != K_NULL) {
        span tt = trim(im->val[F_TIME]);
        if (im->kind[F_TIME] == K_COMPOUND) {
            return bad_row(im, PT_SKIP_BAD_TIME,
                           "field 'time': not a unix time or ISO-8601 date (object or array)");
        }
        if (tt.len > 0 && (im->kind[F_TIME] == K_BOOL || !pt__parse_time(tt.p, tt.len, &t))) {
            return bad_row(im, PT_SKIP_BAD_TIME,
                           "field 'time': not a unix time or ISO-8601 date ('%.*s%s')", SHOW(tt));
        }
    }

    span text = {NULL, 0};
    if (im->name[F_TEXT].p != NULL) {
        if (im->kind[F_TEXT] == K_COMPOUND) {
            return bad_row(im, PT_SKIP_MALFORMED, "field 'text' is an object or array");
        }
        if (im->kind[F_TEXT] != K_NULL && trim(im->val[F_TEXT]).len > 0) {
            text = im->val[F_TEXT];
        }
    }

    pt__ev_row r = {.user = id[F_USER].p,
                    .user_len = id[F_USER].len,
                    .item = id[F_ITEM].p,
                    .item_len = id[F_ITEM].len,
                    .act = act,
                    .pred = pred,
                    .aname = aname.p,
                    .aname_len = aname.len,
                    .value = value,
                    .has_value = has_value,
                    .vtext = vtext.p,
                    .vtext_len = vtext.len,
                    .time = t,
                    .text = text.p,
                    .text_len = text.len};
    if (pt__ev_emit(&im->em, &r) != PT_OK) {
        return oom(im);
    }
    im->st->rows_imported++;
    return PT_OK;
}

/* ==== CSV / TSV ============================================================================ */

/* States of the CSV quote scanner. */
enum { Q_START, Q_PLAIN, Q_QUOTED, Q_QUOTE_SEEN };

/*
 * Run the quote scanner over s[0..n) from state `q` and return the state at the end. Only
 * Q_QUOTED at the end of a physical line means the record goes on (a newline inside quotes).
 * A quote inside an unquoted field is an ordinary character, as most writers produce it.
 */
static int csv_scan(int q, const char *s, size_t n, char delim) {
    size_t i = 0;
    while (i < n) {
        if (q == Q_QUOTED) {
            const char *e = memchr(s + i, '"', n - i);
            if (e == NULL) {
                return Q_QUOTED;
            }
            i = (size_t)(e - s) + 1;
            q = Q_QUOTE_SEEN;
            continue;
        }
        char c = s[i++];
        if (q == Q_QUOTE_SEEN) {
            q = c == '"' ? Q_QUOTED : c == delim ? Q_START : Q_PLAIN;
        } else if (q == Q_START) {
            q = c == '"' ? Q_QUOTED : c == delim ? Q_START : Q_PLAIN;
        } else if (c == delim) {
            q = Q_START;
        }
    }
    return q;
}

/*
 * Split the complete record s[0..n) into im->cols. Unquoted fields point into `s`; quoted ones
 * are copied into im->fld with doubled quotes undone (fld is reserved to n bytes first, so the
 * spans stay put). Returns PT_OK and *bad = 0; *bad = the 1-based column of a quoted field
 * followed by something other than a delimiter (or never closed); or PT_ENOMEM.
 */
static int csv_split(imp *im, const char *s, size_t n, size_t *bad) {
    *bad = 0;
    im->n_fields = 0;
    if (reserve(im->ctx, &im->fld, n + 1) != PT_OK) {
        return PT_ENOMEM;
    }
    im->fld.len = 0;
    size_t i = 0;
    for (;;) {
        if (im->n_fields == im->cols_cap) {
            void *p = im->cols;
            if (pt__grow(im->ctx, &p, &im->cols_cap, im->n_fields + 1, sizeof(span)) != PT_OK) {
                return PT_ENOMEM;
            }
            im->cols = p;
        }
        span *c = &im->cols[im->n_fields++];
        if (i < n && s[i] == '"') {
            char *start = im->fld.p + im->fld.len, *o = start;
            i++;
            for (;;) {
                const char *q = memchr(s + i, '"', n - i);
                if (q == NULL) {
                    *bad = im->n_fields;
                    return PT_OK;
                }
                size_t k = (size_t)(q - s);
                memcpy(o, s + i, k - i);
                o += k - i;
                i = k + 1;
                if (i < n && s[i] == '"') {
                    *o++ = '"';
                    i++;
                    continue;
                }
                break;
            }
            c->p = start;
            c->len = (size_t)(o - start);
            im->fld.len += c->len;
            if (i == n) {
                return PT_OK;
            }
            if (s[i] != im->delim) {
                *bad = im->n_fields;
                return PT_OK;
            }
            i++;
        } else {
            const char *e = i < n ? memchr(s + i, im->delim, n - i) : NULL;
            size_t end = e != NULL ? (size_t)(e - s) : n;
            c->p = s + i;
            c->len = end - i;
            if (e == NULL) {
                return PT_OK;
            }
            i = end + 1;
        }
    }
}

/*
 * Resolve the map against the header fields in im->cols (have_header) or the column count of
 * the first record: names become column indexes, numbers are checked against the count.
 * Returns PT_OK or PT_EINVAL with a message naming the field.
 */
static int resolve_columns(imp *im, int have_header) {
    im->n_cols = im->n_fields;
    for (int f = 0; f < F_COUNT; f++) {
        span want = im->name[f];
        if (want.p == NULL) {
            continue;
        }
        if (im->colno[f] > 0) {
            if ((size_t)im->colno[f] > im->n_cols) {
                return pt__error(im->ctx, PT_EINVAL,
                                 "%s: field '%s': column %ld, but the %s has %zu column%s",
                                 im->path, field_names[f], im->colno[f],
                                 have_header ? "header" : "first row", im->n_cols,
                                 im->n_cols == 1 ? "" : "s");
            }
            im->col[f] = (size_t)im->colno[f] - 1;
            continue;
        }
        if (!have_header) {
            return pt__error(im->ctx, PT_EINVAL,
                             "%s: field '%s': '%.*s' is a column name, but the file is read "
                             "without a header row; use a column number or a header",
                             im->path, field_names[f], (int)want.len, want.p);
        }
        size_t found = SIZE_MAX;
        for (size_t k = 0; k < im->n_fields && found == SIZE_MAX; k++) {
            span h = im->cols[k];
            if (h.len == want.len && memcmp(h.p, want.p, want.len) == 0) {
                found = k;
            }
        }
        for (size_t k = 0; k < im->n_fields && found == SIZE_MAX; k++) {
            span h = trim(im->cols[k]);
            if (h.len == want.len) {
                size_t j = 0;
                while (j < h.len &&
                       lower((unsigned char)h.p[j]) == lower((unsigned char)want.p[j])) {
                    j++;
                }
                if (j == h.len) {
                    found = k;
                }
            }
        }
        if (found == SIZE_MAX) {
            char list[200];
            size_t len = 0;
            list[0] = '\0';
            for (size_t k = 0; k < im->n_fields && len + 8 < sizeof list; k++) {
                span h = im->cols[k];
                int m = snprintf(list + len, sizeof list - len, "%s%.*s", k > 0 ? ", " : "",
                                 (int)(h.len > 40 ? 40 : h.len), h.p);
                if (m < 0) {
                    break;
                }
                len += (size_t)m;
                if (len >= sizeof list) {
                    len = sizeof list - 1;
                }
            }
            return pt__error(im->ctx, PT_EINVAL,
                             "%s: field '%s': no column '%.*s' in the header (columns: %s)",
                             im->path, field_names[f], (int)want.len, want.p, list);
        }
        im->col[f] = found;
    }
    im->cols_ready = 1;
    return PT_OK;
}

/*
 * Handle one complete CSV record s[0..n) that started on line `line`: the header row, or a
 * data row checked for encoding and column count and then emitted. Returns PT_OK (imported or
 * skipped) or an error code.
 */
static int csv_record(imp *im, const char *s, size_t n, uint64_t line) {
    size_t bad;
    im->line = line;
    if (im->header && !im->cols_ready) {
        if (csv_split(im, s, n, &bad) != PT_OK) {
            return oom(im);
        }
        if (bad != 0) {
            return pt__error(im->ctx, PT_EPARSE, "%s:%llu: header row: bad quoting in column %zu",
                             im->path, (unsigned long long)line, bad);
        }
        return resolve_columns(im, 1);
    }
    im->st->rows_read++;
    if (!im->latin1) {
        size_t at = utf8_check((const unsigned char *)s, n);
        if (at != n) {
            return bad_row(im, PT_SKIP_ENCODING,
                           "invalid UTF-8 at byte %zu (is the file Latin-1? use encoding latin1)",
                           at + 1);
        }
    }
    if (csv_split(im, s, n, &bad) != PT_OK) {
        return oom(im);
    }
    if (bad != 0) {
        return bad_row(im, PT_SKIP_MALFORMED,
                       "column %zu: a closing quote must end the field (or double it: \"\")", bad);
    }
    if (!im->cols_ready) {
        int rc = resolve_columns(im, 0);
        if (rc != PT_OK) {
            return rc;
        }
    }
    if (im->n_fields != im->n_cols) {
        return bad_row(im, PT_SKIP_MALFORMED, "expected %zu columns, found %zu", im->n_cols,
                       im->n_fields);
    }
    for (int f = 0; f < F_COUNT; f++) {
        if (im->name[f].p != NULL) {
            im->val[f] = im->cols[im->col[f]];
            im->kind[f] = K_TEXT;
        }
    }
    return emit_row(im);
}

/*
 * Take one physical CSV line (without its line break) numbered `line`. A line that leaves a
 * quoted field open starts (or continues) a record in im->rec, joined with "\n"; the record is
 * handled once its quotes close. Blank lines between records are ignored. Returns PT_OK or an
 * error code.
 */
static int csv_line(imp *im, const char *s, size_t n, uint64_t line) {
    if (!im->in_rec) {
        if (n == 0) {
            return PT_OK;
        }
        if (memchr(s, '"', n) == NULL) {
            return csv_record(im, s, n, line);
        }
        int q = csv_scan(Q_START, s, n, im->delim);
        if (q != Q_QUOTED) {
            return csv_record(im, s, n, line);
        }
        if (reserve(im->ctx, &im->rec, n + 1) != PT_OK) {
            return oom(im);
        }
        im->rec.len = 0;
        put(&im->rec, s, n);
        put(&im->rec, "\n", 1);
        im->in_rec = 1;
        im->rec_line = line;
        im->qstate = q;
        return PT_OK;
    }
    if (im->rec.len + n + 1 > MAX_RECORD) {
        return pt__error(im->ctx, PT_ELIMIT,
                         "%s:%llu: quoted field longer than %zu bytes (unbalanced quote?)",
                         im->path, (unsigned long long)im->rec_line, MAX_RECORD);
    }
    if (reserve(im->ctx, &im->rec, im->rec.len + n + 1) != PT_OK) {
        im->line = im->rec_line;
        return oom(im);
    }
    put(&im->rec, s, n);
    im->qstate = csv_scan(im->qstate, s, n, im->delim);
    if (im->qstate == Q_QUOTED) {
        put(&im->rec, "\n", 1);
        return PT_OK;
    }
    im->in_rec = 0;
    return csv_record(im, im->rec.p, im->rec.len, im->rec_line);
}

/* ==== JSON-lines =========================================================================== */

/* A JSON parse in progress over one line: the shared scanner and the import it picks for. */
typedef struct jp {
    pt__jscan sc;
    imp *im;
} jp;

void pt__json_ws(pt__jscan *p) {
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            break;
        }
        p->i++;
    }
}

/* Record a parse failure `err` and return -1. */
static int jfail(pt__jscan *p, const char *err) {
    p->err = err;
    return -1;
}

/* Skip JSON whitespace of the import's scan. */
static void jws(jp *p) {
    pt__json_ws(&p->sc);
}

/* Read four hex digits at s[i]; returns the value, or -1. */
static long hex4(const char *s, size_t n, size_t i) {
    if (i + 4 > n) {
        return -1;
    }
    long v = 0;
    for (size_t k = i; k < i + 4; k++) {
        char c = s[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/*
 * Parse the string at s[i] (an opening quote) and unescape it into `start` (a string never
 * grows when unescaped: "\uXXXX" is 6 bytes for at most 3, a surrogate pair 12 for 4).
 * Returns 0 and *len, or -1.
 */
int pt__json_string(pt__jscan *p, char *start, size_t *len) {
    char *o = start;
    const char *s = p->s;
    size_t i = p->i + 1, n = p->n;
    for (;;) {
        if (i >= n) {
            p->i = i;
            return jfail(p, "unterminated string");
        }
        /* Copy the run of plain bytes up to the next quote, backslash or control at once. */
        size_t run = i;
        while (run < n && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\') {
            run++;
        }
        if (run > i) {
            memcpy(o, s + i, run - i);
            o += run - i;
            i = run;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            break;
        }
        if (c < 0x20) {
            p->i = i;
            return jfail(p, "control character in a string (escape it)");
        }
        if (i + 1 >= n) {
            p->i = i;
            return jfail(p, "unterminated string");
        }
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            *o++ = e;
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            long cp = hex4(s, n, i);
            if (cp < 0) {
                p->i = i;
                return jfail(p, "\\u needs four hex digits");
            }
            i += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                p->i = i - 6;
                p->encoding = 1;
                return jfail(p, "lone low surrogate in a \\u escape");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = i + 1 < n && s[i] == '\\' && s[i + 1] == 'u' ? hex4(s, n, i + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    p->i = i - 6;
                    p->encoding = 1;
                    return jfail(p, "high surrogate not followed by a low surrogate");
                }
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += utf8_put(o, (unsigned long)cp);
            break;
        }
        default:
            p->i = i - 2;
            return jfail(p, "unknown escape in a string");
        }
    }
    p->i = i + 1;
    *len = (size_t)(o - start);
    return 0;
}

int pt__json_number(pt__jscan *p, const char **num, size_t *num_len) {
    const char *s = p->s;
    size_t i = p->i, n = p->n, start = i;
    if (i < n && s[i] == '-') {
        i++;
    }
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    } else {
        return jfail(p, "invalid number");
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') {
            p->i = i;
            return jfail(p, "digits expected after '.'");
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (i >= n || s[i] < '0' || s[i] > '9') {
            p->i = i;
            return jfail(p, "digits expected in the exponent");
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }
    *num = s + start;
    *num_len = i - start;
    p->i = i;
    return 0;
}

/* Unescape the string at the scan's position into the import's im->fld, which the row reserved
 * to the line's length. Returns 0 and *out, or -1. */
static int jstring(jp *p, span *out) {
    buf *f = &p->im->fld;
    size_t n = 0;
    if (pt__json_string(&p->sc, f->p + f->len, &n) < 0) {
        return -1;
    }
    out->p = f->p + f->len;
    out->len = n;
    f->len += n;
    return 0;
}

/* Read a number at the scan's position into *out. */
static int jnumber(jp *p, span *out) {
    return pt__json_number(&p->sc, &out->p, &out->len);
}

static int jobject(jp *p, int depth, int track);
static int jarray(jp *p, int depth);

/*
 * Parse any JSON value at s[i] (whitespace already skipped). `track` says whether object keys
 * below extend the key path (true from the top object down through objects, false inside
 * arrays). Returns 0 with *kind and *out (the text of strings, numbers and booleans), or -1.
 */
static int jvalue(jp *p, int depth, int track, int *kind, span *out) {
    if (p->sc.i >= p->sc.n) {
        return jfail(&p->sc, "value expected");
    }
    char c = p->sc.s[p->sc.i];
    out->p = NULL;
    out->len = 0;
    if (c == '"') {
        *kind = K_TEXT;
        return jstring(p, out);
    }
    if (c == '{') {
        *kind = K_COMPOUND;
        return jobject(p, depth + 1, track);
    }
    if (c == '[') {
        *kind = K_COMPOUND;
        return jarray(p, depth + 1);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        *kind = K_NUMBER;
        return jnumber(p, out);
    }
    static const struct {
        const char *word;
        size_t len;
        int kind;
    } words[] = {{"true", 4, K_BOOL}, {"false", 5, K_BOOL}, {"null", 4, K_NULL}};
    for (size_t k = 0; k < 3; k++) {
        if (p->sc.n - p->sc.i >= words[k].len && memcmp(p->sc.s + p->sc.i, words[k].word, words[k].len) == 0) {
            out->p = p->sc.s + p->sc.i;
            out->len = words[k].len;
            *kind = words[k].kind;
            p->sc.i += words[k].len;
            return 0;
        }
    }
    return jfail(&p->sc, "value expected");
}

/*
 * Parse an array at s[i] ('['). Values inside arrays are never picked, so paths are not
 * tracked. Returns 0 or -1.
 */
static int jarray(jp *p, int depth) {
    if (depth > MAX_DEPTH) {
        return jfail(&p->sc, "nested too deeply");
    }
    p->sc.i++;
    jws(p);
    if (p->sc.i < p->sc.n && p->sc.s[p->sc.i] == ']') {
        p->sc.i++;
        return 0;
    }
    for (;;) {
        int kind;
        span v;
        jws(p);
        if (jvalue(p, depth, 0, &kind, &v) < 0) {
            return -1;
        }
        jws(p);
        if (p->sc.i < p->sc.n && p->sc.s[p->sc.i] == ',') {
            p->sc.i++;
            continue;
        }
        if (p->sc.i < p->sc.n && p->sc.s[p->sc.i] == ']') {
            p->sc.i++;
            return 0;
        }
        return jfail(&p->sc, "expected ',' or ']' in an array");
    }
}

/*
 * Parse an object at s[i] ('{'). With `track`, each key extends im->path_buf ("style" then
 * "style.Format:"), and a value whose full path equals a mapped name is picked into im->val
 * (the last one wins for a repeated key). Keys are unescaped into im->fld and given back
 * afterwards. Returns 0 or -1.
 */
static int jobject(jp *p, int depth, int track) {
    imp *im = p->im;
    if (depth > MAX_DEPTH) {
        return jfail(&p->sc, "nested too deeply");
    }
    p->sc.i++;
    jws(p);
    if (p->sc.i < p->sc.n && p->sc.s[p->sc.i] == '}') {
        p->sc.i++;
        return 0;
    }
    for (;;) {
        jws(p);
        if (p->sc.i >= p->sc.n || p->sc.s[p->sc.i] != '"') {
            return jfail(&p->sc, "expected a string key");
        }
        size_t fld_mark = im->fld.len, path_mark = im->path_buf.len;
        span key;
        if (jstring(p, &key) < 0) {
            return -1;
        }
        int pick = -1;
        if (track) {
            if (depth > 1) {
                im->path_buf.p[im->path_buf.len++] = '.';
            }
            put(&im->path_buf, key.p, key.len);
            for (int f = 0; f < F_COUNT; f++) {
                span nm = im->name[f];
                if (nm.p != NULL && nm.len == im->path_buf.len &&
                    memcmp(nm.p, im->path_buf.p, nm.len) == 0) {
                    pick = f;
                }
            }
        }
        im->fld.len = fld_mark;
        jws(p);
        if (p->sc.i >= p->sc.n || p->sc.s[p->sc.i] != ':') {
            return jfail(&p->sc, "expected ':' after a key");
        }
        p->sc.i++;
        jws(p);
        int kind;
        span v;
        if (jvalue(p, depth, track, &kind, &v) < 0) {
            return -1;
        }
        if (pick >= 0) {
            im->val[pick] = v;
            im->kind[pick] = kind;
        }
        im->path_buf.len = path_mark;
        jws(p);
        if (p->sc.i < p->sc.n && p->sc.s[p->sc.i] == ',') {
            p->sc.i++;
            continue;
        }
        if (p->sc.i < p->sc.n && p->sc.s[p->sc.i] == '}') {
            p->sc.i++;
            return 0;
        }
        return jfail(&p->sc, "expected ',' or '}' in an object");
    }
}

/*
 * Handle one JSON-lines line s[0..n) (not blank): check the encoding, parse the object, pick
 * the mapped fields and emit the row. Returns PT_OK (imported or skipped) or an error code.
 */
static int json_line(imp *im, const char *s, size_t n) {
    im->st->rows_read++;
    if (!im->latin1) {
        size_t at = utf8_check((const unsigned char *)s, n);
        if (at != n) {
            return bad_row(im, PT_SKIP_ENCODING,
                           "invalid UTF-8 at byte %zu (is the file Latin-1? use encoding latin1)",
                           at + 1);
        }
    }
    if (reserve(im->ctx, &im->fld, n + 1) != PT_OK ||
        reserve(im->ctx, &im->path_buf, n + 1) != PT_OK) {
        return oom(im);
    }
    im->fld.len = 0;
    im->path_buf.len = 0;
    for (int f = 0; f < F_COUNT; f++) {
        im->val[f] = (span){NULL, 0};
        im->kind[f] = K_ABSENT;
    }
    jp p = {{s, n, 0, NULL, 0}, im};
    jws(&p);
    if (p.sc.i >= n || p.sc.s[p.sc.i] != '{') {
        return bad_row(im, PT_SKIP_MALFORMED, "invalid JSON at column %zu: expected an object",
                       p.sc.i + 1);
    }
    if (jobject(&p, 1, 1) == 0) {
        jws(&p);
        if (p.sc.i != n) {
            p.sc.err = "text after the object";
        }
    }
    if (p.sc.err != NULL) {
        return bad_row(im, p.sc.encoding ? PT_SKIP_ENCODING : PT_SKIP_MALFORMED,
                       "invalid JSON at column %zu: %s", p.sc.i + 1, p.sc.err);
    }
    return emit_row(im);
}

/* ==== driver =============================================================================== */

/*
 * Convert the Latin-1 line s[0..n) to UTF-8 in im->conv (each byte >= 0x80 becomes two bytes).
 * Returns PT_OK or PT_ENOMEM.
 */
static int latin1_line(imp *im, const char *s, size_t n) {
    if (reserve(im->ctx, &im->conv, 2 * n + 1) != PT_OK) {
        return PT_ENOMEM;
    }
    char *o = im->conv.p;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c < 0x80) {
            *o++ = (char)c;
        } else {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    im->conv.len = (size_t)(o - im->conv.p);
    return PT_OK;
}

/* Tell the progress callback how far the import is, every PROGRESS_STEP bytes. */
static void progress(imp *im, int last) {
    uint64_t done = pt__reader_bytes(im->rd);
    if (last || done >= im->next_progress) {
        im->next_progress = done + PROGRESS_STEP;
        uint64_t total = pt__reader_file_size(im->rd);
        /* A gzip file's size is smaller than what it holds: report the total as unknown once
         * the uncompressed count passes it. */
        pt__progress(im->ctx, "events", done, done > total ? 0 : total);
    }
}

/*
 * Read the file line by line and feed the CSV or JSON path. Returns PT_OK or the first error.
 */
static int run(imp *im) {
    const char *s;
    size_t n;
    int rc;
    uint64_t count = 0;
    while ((rc = pt__reader_line(im->rd, &s, &n)) > 0) {
        uint64_t line = pt__reader_lineno(im->rd);
        if (line == 1 && !im->latin1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        if (im->latin1) {
            if (latin1_line(im, s, n) != PT_OK) {
                im->line = line;
                return oom(im);
            }
            s = im->conv.p;
            n = im->conv.len;
        }
        if (n > 0 && s[n - 1] == '\r') {
            n--;
        }
        if (im->fmt == FMT_UNKNOWN) {
            if (trim((span){s, n}).len == 0) {
                continue;
            }
            sniff(im, s, n);
        }
        if (im->fmt == FMT_JSONL) {
            if (trim((span){s, n}).len == 0) {
                continue;
            }
            im->line = line;
            rc = json_line(im, s, n);
        } else {
            rc = csv_line(im, s, n, line);
        }
        if (rc != PT_OK) {
            return rc;
        }
        if ((++count & 1023) == 0) {
            progress(im, 0);
        }
    }
    if (rc < 0) {
        return rc;
    }
    if (im->in_rec) {
        im->in_rec = 0;
        im->line = im->rec_line;
        if (im->header && !im->cols_ready) {
            return pt__error(im->ctx, PT_EPARSE, "%s:%llu: header row: unbalanced quote",
                             im->path, (unsigned long long)im->rec_line);
        }
        im->st->rows_read++;
        rc = bad_row(im, PT_SKIP_MALFORMED, "unbalanced quote: the quoted field runs to the "
                                            "end of the file");
        if (rc != PT_OK) {
            return rc;
        }
    }
    progress(im, 1);
    return PT_OK;
}

/*
 * Check the options and prepare the import: map, format, encoding, header mode, base IRI and
 * vocabulary. Returns PT_OK, PT_EINVAL (message names the option or field) or PT_ENOMEM.
 */
static int setup(imp *im, const pt_event_opts *opts) {
    int rc = parse_map(im, opts->map);
    if (rc != PT_OK) {
        return rc;
    }
    rc = choose_format(im, opts->format, opts->delimiter);
    if (rc != PT_OK) {
        return rc;
    }
    const char *enc = opts->encoding;
    if (enc != NULL && enc[0] != '\0') {
        size_t n = strlen(enc);
        if (equals_nocase(enc, n, "latin1") || equals_nocase(enc, n, "latin-1") ||
            equals_nocase(enc, n, "iso-8859-1") || equals_nocase(enc, n, "iso8859-1")) {
            im->latin1 = 1;
        } else if (!equals_nocase(enc, n, "utf-8") && !equals_nocase(enc, n, "utf8")) {
            return pt__error(im->ctx, PT_EINVAL, "events encoding '%s': expected utf-8 or latin1",
                             enc);
        }
    }
    im->header = opts->header == 0 ? map_has_names(im) : opts->header > 0;
    im->strict = opts->strict;

    /* The emitter owns the base IRI for minted ids and interns the vocabulary. */
    const pt__ev_sink sink = {im, b_intern, b_edge, b_literal, type_once};
    if (pt__ev_emitter_init(&im->em, im->ctx, &sink, opts->base) != PT_OK) {
        return pt__error(im->ctx, PT_ENOMEM, "%s: out of memory", im->path);
    }
    im->em_ready = 1;
    if (opts->base != NULL && opts->base[0] != '\0') {
        /* Local ids ("42") resolve against the builder's base: keep them consistent. */
        pt_builder_set_base(im->b, im->em.base);
    }
    return setup_vocab(im, opts->action);
}

/* ==== API ================================================================================== */

/*
 * Import the event file `path` into `b` (contract in pt_import.h). Options are checked before
 * the file is opened; every buffer is freed on every path out, and `st` (or a local one when
 * NULL) receives the counts and the bytes read even when the import fails half-way.
 */
int pt_import_events(pt_builder *b, const char *path, const pt_event_opts *opts,
                     pt_import_stats *st) {
    if (b == NULL) {
        return PT_EINVAL;
    }
    pt_ctx *ctx = pt__builder_ctx(b);
    if (path == NULL || opts == NULL) {
        return pt__error(ctx, PT_EINVAL, "pt_import_events: %s is NULL",
                         path == NULL ? "path" : "opts");
    }
    pt_import_stats local;
    if (st == NULL) {
        memset(&local, 0, sizeof local);
        st = &local;
    }
    imp im;
    memset(&im, 0, sizeof im);
    im.b = b;
    im.ctx = ctx;
    im.path = path;
    im.st = st;
    int rc = setup(&im, opts);
    if (rc == PT_OK) {
        rc = pt__reader_open(ctx, path, &im.rd);
    }
    if (rc == PT_OK) {
        rc = run(&im);
        st->bytes += pt__reader_bytes(im.rd);
    }
    if (rc == PT_OK && st->rows_skipped > 0 && im.n_warned >= WARN_ROWS) {
        pt__log(ctx, PT_LOG_WARN, "%s: %llu rows skipped in all (first: %s)", path,
                (unsigned long long)st->rows_skipped, st->first_skip);
    }
    pt__reader_close(im.rd);
    buf_free(ctx, &im.mapbuf);
    if (im.em_ready) {
        pt__ev_emitter_free(&im.em);
    }
    buf_free(ctx, &im.rec);
    buf_free(ctx, &im.conv);
    buf_free(ctx, &im.fld);
    buf_free(ctx, &im.path_buf);
    pt__free(ctx, im.cols);
    pt__free(ctx, im.seen);
    return rc;
}

/* Name a skip reason for messages and `portrait import` summaries; static strings. */
const char *pt_skip_reason_name(pt_skip_reason r) {
    switch (r) {
    case PT_SKIP_MALFORMED:
        return "malformed row";
    case PT_SKIP_MISSING:
        return "missing user or item";
    case PT_SKIP_BAD_VALUE:
        return "value not a number";
    case PT_SKIP_BAD_TIME:
        return "bad time";
    case PT_SKIP_BAD_ACTION:
        return "unknown action";
    case PT_SKIP_ENCODING:
        return "invalid UTF-8";
    default:
        return "unknown reason";
    }
}
