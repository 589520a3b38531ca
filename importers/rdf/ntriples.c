/*
 * ntriples.c - Portrait's own streaming N-Triples and N-Quads parser.
 *
 * rdf_import.c opens the file (plain or gzip) and hands the reader to pt__ntriples_parse(),
 * which pulls big raw chunks with pt__reader_read(), cuts each chunk after its last end of line
 * and parses the complete lines in place. Terms are interned straight from the chunk with
 * pt_builder_intern(); only an IRI or literal that holds a backslash escape is decoded, into a
 * scratch buffer that is reused for the whole file, and only blank node labels are copied (to
 * put the per-file prefix in front of them). Nothing is allocated per triple. IRIs and strings
 * are scanned sixteen bytes at a time (SSE2), and three small caches (last subject, predicates,
 * object IRIs) spare the builder's hash table the terms that repeat line after line.
 *
 * The grammar is the one of RDF 1.1 N-Triples and N-Quads (W3C Recommendations, 25 February
 * 2014), in full: IRIREF with \u and \U escapes, BLANK_NODE_LABEL with its Unicode ranges,
 * STRING_LITERAL_QUOTE with every ECHAR and UCHAR, "^^" datatypes, LANGTAG, comments, blank
 * lines and any mix of "\n", "\r\n" and "\r" as line ends. N-Quads graph labels are checked and
 * then dropped, since Portrait keeps one graph. The input must be valid UTF-8. Deliberate
 * deviations: a UTF-8 byte order mark at the very start is skipped, white space is accepted
 * between a string and its "^^" or "@", and a NUL character (raw or escaped as \u0000) is
 * refused, because the graph stores NUL-terminated strings.
 *
 * A failure sets "file:line: reason" on the ctx and returns PT_EPARSE; whatever was added to
 * the builder before it stays there, and the caller discards the builder.
 */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/core.h"
#include "io/reader.h"

/* ==== types and constants ================================================================== */

/* Bytes asked from the reader per refill. Big chunks keep the per-chunk work (the search for
 * the last line end, the move of the partial line to the front) negligible. */
#define NT_CHUNK ((size_t)4 << 20)

/* The longest line accepted; the chunk buffer doubles up to this for long literals. */
#define NT_MAX_LINE ((size_t)256 << 20)

/* Report progress after every this many input bytes. */
#define NT_PROGRESS_STEP ((uint64_t)8 << 20)

/* Zeroed bytes kept after the chunk buffer, so that the 16-byte scans of scan_iri() and
 * scan_str() may look past the last line end without leaving the allocation. */
#define NT_SLACK 64

/* Entries of the predicate and object caches, and the longest string an entry keeps. */
#define NT_PRED_CACHE 64
#define NT_OBJ_CACHE 256
#define NT_CACHE_STR 120

/* Character classes of ASCII bytes (bytes >= 0x80 belong to none: they go to the UTF-8
 * checker). One table lookup per byte is what keeps the scanning loops tight. */
enum {
    CL_IRI = 1 << 0,   /* allowed unescaped in IRIREF: 0x21-0x7F except <>"{}|^`\ */
    CL_STR = 1 << 1,   /* allowed unescaped in STRING_LITERAL_QUOTE: all but NUL " \ LF CR */
    CL_PN = 1 << 2,    /* PN_CHARS: letters, digits, '_', ':', '-' (blank label body) */
    CL_PN0 = 1 << 3,   /* PN_CHARS_U or digit: letters, digits, '_', ':' (label start) */
    CL_ALPHA = 1 << 4, /* [A-Za-z] */
    CL_ALNUM = 1 << 5, /* [A-Za-z0-9] */
    CL_WS = 1 << 6,    /* space and tab, the only whitespace inside a line */
    CL_EOL = 1 << 7,   /* "\n" and "\r" */
};

/* A growable byte buffer for decoded escapes and prefixed blank node labels. */
typedef struct nt_buf {
    char *p;
    size_t len, cap;
} nt_buf;

/* One remembered term -> node id mapping (see intern_cached()). */
typedef struct nt_cache {
    uint32_t len;      /* length of s; 0 with id PT_NONE means empty */
    pt_node_id id;
    uint8_t kind;
    char s[NT_CACHE_STR];
} nt_cache;

/* A parsed term: its text (in the chunk or in a scratch buffer) and length. */
typedef struct nt_term {
    const char *s;
    size_t len;
} nt_term;

/* Everything the parser needs while it runs over one file. */
typedef struct nt_parser {
    pt_ctx *ctx;
    pt_builder *b;
    pt__reader *r;
    int quads;           /* accept an optional graph label before the '.' */
    uint64_t line;       /* 1-based line of the statement being parsed */
    uint64_t n_triples;  /* triples added */
    int pending_cr;      /* the previous chunk ended with "\r": skip a leading "\n" */
    const char *reason;  /* why the last helper failed (static string) */
    int code;            /* PT_EPARSE or PT_ENOMEM when a helper failed */
    nt_buf iri;          /* decoded IRIs with escapes */
    nt_buf lex;          /* decoded literal lexical forms */
    nt_buf blank;        /* the per-file prefix followed by the current label */
    nt_buf blank2;       /* a second label buffer: subject and object may both be blank */
    size_t prefix_len;   /* length of the prefix at the start of blank and blank2 */
    uint8_t cls[256];    /* character classes, filled by make_classes() */
    nt_cache subject;    /* the last subject: files are mostly grouped by subject */
    nt_cache pred[NT_PRED_CACHE]; /* predicates and datatypes, direct-mapped */
    nt_cache obj[NT_OBJ_CACHE];   /* IRI objects (classes, actions, a user's items) */
} nt_parser;

/* ==== helpers ============================================================================== */

/* Fill the character class table. Called once per file: 256 stores are nothing next to the
 * parse, and it keeps the library free of mutable globals. */
static void make_classes(uint8_t *cls) {
    memset(cls, 0, 256);
    for (int c = 0x21; c <= 0x7F; c++) {
        cls[c] |= CL_IRI;
    }
    for (const char *s = "<>\"{}|^`\\"; *s != '\0'; s++) {
        cls[(unsigned char)*s] &= (uint8_t)~CL_IRI;
    }
    for (int c = 1; c < 0x80; c++) {
        if (c != '"' && c != '\\' && c != '\n' && c != '\r') {
            cls[c] |= CL_STR;
        }
    }
    for (int c = 'a'; c <= 'z'; c++) {
        cls[c] |= CL_PN | CL_PN0 | CL_ALPHA | CL_ALNUM;
        cls[c - 'a' + 'A'] |= CL_PN | CL_PN0 | CL_ALPHA | CL_ALNUM;
    }
    for (int c = '0'; c <= '9'; c++) {
        cls[c] |= CL_PN | CL_PN0 | CL_ALNUM;
    }
    cls['_'] |= CL_PN | CL_PN0;
    cls[':'] |= CL_PN | CL_PN0;
    cls['-'] |= CL_PN;
    cls[' '] |= CL_WS;
    cls['\t'] |= CL_WS;
    cls['\n'] |= CL_EOL;
    cls['\r'] |= CL_EOL;
}

/* Return the length (2-4) of the well-formed UTF-8 sequence at `q`, whose first byte is >= 0x80,
 * or 0 when it is malformed: a stray continuation byte, an overlong form, a surrogate, a code
 * point above U+10FFFF or a truncated sequence (Unicode 15, table 3-7). Reads stop at the first
 * byte that does not fit, so a line end after `q` bounds the reads. */
static size_t utf8_len(const unsigned char *q) {
    unsigned c = q[0];
    if (c < 0xC2) {
        return 0;
    }
    if (c < 0xE0) {
        return (q[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (q[1] < lo || q[1] > hi || (q[2] & 0xC0) != 0x80) {
            return 0;
        }
        return 3;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (q[1] < lo || q[1] > hi || (q[2] & 0xC0) != 0x80 || (q[3] & 0xC0) != 0x80) {
            return 0;
        }
        return 4;
    }
    return 0;
}

/* Decode the well-formed UTF-8 sequence of `n` bytes at `q` (as measured by utf8_len). */
static uint32_t utf8_decode(const unsigned char *q, size_t n) {
    if (n == 2) {
        return ((uint32_t)(q[0] & 0x1F) << 6) | (q[1] & 0x3F);
    }
    if (n == 3) {
        return ((uint32_t)(q[0] & 0x0F) << 12) | ((uint32_t)(q[1] & 0x3F) << 6) | (q[2] & 0x3F);
    }
    return ((uint32_t)(q[0] & 0x07) << 18) | ((uint32_t)(q[1] & 0x3F) << 12) |
           ((uint32_t)(q[2] & 0x3F) << 6) | (q[3] & 0x3F);
}

/* Write code point `cp` (valid, not a surrogate) as UTF-8 into `out`; return the byte count. */
static size_t utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* True when `cp` is in PN_CHARS_BASE beyond ASCII (N-Triples production [157s]). */
static int pn_base(uint32_t cp) {
    return (cp >= 0xC0 && cp <= 0xD6) || (cp >= 0xD8 && cp <= 0xF6) ||
           (cp >= 0xF8 && cp <= 0x2FF) || (cp >= 0x370 && cp <= 0x37D) ||
           (cp >= 0x37F && cp <= 0x1FFF) || (cp >= 0x200C && cp <= 0x200D) ||
           (cp >= 0x2070 && cp <= 0x218F) || (cp >= 0x2C00 && cp <= 0x2FEF) ||
           (cp >= 0x3001 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFDCF) ||
           (cp >= 0xFDF0 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0xEFFFF);
}

/* True when `cp` (non-ASCII) is in PN_CHARS: PN_CHARS_BASE plus U+00B7, U+0300-U+036F and
 * U+203F-U+2040 (production [160s]). */
static int pn_more(uint32_t cp) {
    return pn_base(cp) || cp == 0xB7 || (cp >= 0x300 && cp <= 0x36F) ||
           (cp >= 0x203F && cp <= 0x2040);
}

/* Value of hex digit `c`, or -1. */
static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Record a failure reason for the statement loop and return NULL, so helpers can end with
 * `return fail(P, "...")`. */
static const char *fail(nt_parser *P, const char *reason) {
    P->reason = reason;
    P->code = PT_EPARSE;
    return NULL;
}

/* Make room for `extra` more bytes in `b`. Returns 0, or -1 (and records PT_ENOMEM). */
static int buf_room(nt_parser *P, nt_buf *b, size_t extra) {
    if (b->len + extra <= b->cap) {
        return 0;
    }
    size_t cap = b->cap < 256 ? 256 : b->cap;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    char *np = pt__realloc(P->ctx, b->p, cap);
    if (np == NULL) {
        P->reason = "out of memory";
        P->code = PT_ENOMEM;
        return -1;
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

/* Skip spaces and tabs. */
static const char *skip_ws(const nt_parser *P, const char *p) {
    while (P->cls[(unsigned char)*p] & CL_WS) {
        p++;
    }
    return p;
}

/* Decode the UCHAR at `p` ("\u" + 4 hex digits or "\U" + 8) into `out` as UTF-8, append it to
 * `b`, and return the position after it; NULL on a malformed escape, a surrogate, a code point
 * above U+10FFFF, or U+0000 (refused: strings are NUL-terminated in the graph). */
static const char *decode_uchar(nt_parser *P, const char *p, nt_buf *b) {
    int n = p[1] == 'u' ? 4 : 8;
    uint32_t cp = 0;
    for (int i = 0; i < n; i++) {
        int v = hexval((unsigned char)p[2 + i]);
        if (v < 0) {
            return fail(P, n == 4 ? "invalid \\u escape" : "invalid \\U escape");
        }
        cp = (cp << 4) | (uint32_t)v;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return fail(P, n == 4 ? "invalid \\u escape" : "invalid \\U escape");
    }
    if (buf_room(P, b, 4) != 0) {
        return NULL;
    }
    b->len += utf8_encode(cp, b->p + b->len);
    return p + 2 + n;
}

/* True when the IRI `s` (length `len`) starts with a scheme ("http:"): N-Triples IRIs must be
 * absolute (RDF 1.1 N-Triples, section 2.2). */
static int has_scheme(const nt_parser *P, const char *s, size_t len) {
    if (len > 6 && memcmp(s, "http", 4) == 0 && (s[4] == ':' || (s[4] == 's' && s[5] == ':'))) {
        return 1; /* the common case, without the loop */
    }
    if (len == 0 || !(P->cls[(unsigned char)s[0]] & CL_ALPHA)) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':') {
            return 1;
        }
        if (!(P->cls[c] & CL_ALNUM) && c != '+' && c != '-' && c != '.') {
            return 0;
        }
    }
    return 0;
}

/* Return the first byte at or after `q` that may not appear unescaped in an IRIREF: one of
 * <>"{}|^`\, a control or space (the line end among them), or a byte >= 0x80 (to be checked
 * as UTF-8). With SSE2 (every x86-64) sixteen bytes are tested at once; the line end before
 * the buffer's zeroed slack bounds the scan either way. */
static const unsigned char *scan_iri(const nt_parser *P, const unsigned char *q) {
#if defined(__SSE2__)
    const __m128i lim = _mm_set1_epi8(0x21);
    (void)P;
    for (;;) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
        /* A signed compare catches both the bytes below 0x21 and those >= 0x80. */
        __m128i m = _mm_cmplt_epi8(x, lim);
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('<')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('>')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('{')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('}')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('|')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('^')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('`')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
        int mask = _mm_movemask_epi8(m);
        if (mask != 0) {
            return q + __builtin_ctz((unsigned)mask);
        }
        q += 16;
    }
#else
    while (P->cls[*q] & CL_IRI) {
        q++;
    }
    return q;
#endif
}

/* Return the first byte at or after `q` that may not appear unescaped in a string literal:
 * '"', a backslash, a line end, NUL, or a byte >= 0x80 (to be checked as UTF-8). */
static const unsigned char *scan_str(const nt_parser *P, const unsigned char *q) {
#if defined(__SSE2__)
    (void)P;
    for (;;) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i m = _mm_cmplt_epi8(x, _mm_set1_epi8(1)); /* NUL and bytes >= 0x80 */
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\r')));
        int mask = _mm_movemask_epi8(m);
        if (mask != 0) {
            return q + __builtin_ctz((unsigned)mask);
        }
        q += 16;
    }
#else
    while (P->cls[*q] & CL_STR) {
        q++;
    }
    return q;
#endif
}

/* ==== terms ================================================================================ */

/* Slow path of parse_iri for an IRI holding escapes: decode from `s` (the '<') into P->iri.
 * Returns the position after '>' or NULL. */
static const char *parse_iri_escaped(nt_parser *P, const char *s, nt_term *t) {
    nt_buf *b = &P->iri;
    const unsigned char *q = (const unsigned char *)s + 1;
    b->len = 0;
    for (;;) {
        const unsigned char *run = q;
        q = scan_iri(P, q);
        if (*q >= 0x80) {
            size_t n = utf8_len(q);
            if (n == 0) {
                return fail(P, "invalid UTF-8");
            }
            q += n;
        }
        if (q > run) {
            if (buf_room(P, b, (size_t)(q - run)) != 0) {
                return NULL;
            }
            memcpy(b->p + b->len, run, (size_t)(q - run));
            b->len += (size_t)(q - run);
            continue;
        }
        if (*q == '>') {
            break;
        }
        if (*q == '\\') {
            if (q[1] != 'u' && q[1] != 'U') {
                return fail(P, "invalid escape in IRI (only \\u and \\U are allowed)");
            }
            q = (const unsigned char *)decode_uchar(P, (const char *)q, b);
            if (q == NULL) {
                return NULL;
            }
            continue;
        }
        if (P->cls[*q] & CL_EOL) {
            return fail(P, "unterminated IRI");
        }
        return fail(P, "invalid character in IRI");
    }
    t->s = b->p;
    t->len = b->len;
    if (!has_scheme(P, t->s, t->len)) {
        return fail(P, "relative IRI (N-Triples IRIs must be absolute)");
    }
    return (const char *)q + 1;
}

/* Parse the IRIREF at `s` (which points at '<'). Without escapes the term points into the
 * chunk; with escapes it is decoded into P->iri. Returns the position after '>' or NULL. */
static const char *parse_iri(nt_parser *P, const char *s, nt_term *t) {
    const unsigned char *q = (const unsigned char *)s + 1;
    for (;;) {
        q = scan_iri(P, q);
        if (*q == '>') {
            break;
        }
        if (*q >= 0x80) {
            size_t n = utf8_len(q);
            if (n == 0) {
                return fail(P, "invalid UTF-8");
            }
            q += n;
            continue;
        }
        if (*q == '\\') {
            return parse_iri_escaped(P, s, t);
        }
        if (P->cls[*q] & CL_EOL) {
            return fail(P, "unterminated IRI");
        }
        return fail(P, "invalid character in IRI");
    }
    t->s = s + 1;
    t->len = (size_t)((const char *)q - t->s);
    if (!has_scheme(P, t->s, t->len)) {
        return fail(P, "relative IRI (N-Triples IRIs must be absolute)");
    }
    return (const char *)q + 1;
}

/* Parse the BLANK_NODE_LABEL at `s` ("_:label") into `b` after the per-file prefix. The label
 * may contain '.' but not end with one: a final '.' ends the statement instead. Returns the
 * position after the label or NULL. */
static const char *parse_blank(nt_parser *P, const char *s, nt_buf *b, nt_term *t) {
    if (s[1] != ':') {
        return fail(P, "expected ':' after '_' in blank node");
    }
    const unsigned char *start = (const unsigned char *)s + 2, *q = start;
    const unsigned char *last = NULL; /* end of the last PN_CHARS (not '.') */
    for (;;) {
        unsigned char c = *q;
        if (c < 0x80) {
            uint8_t want = q == start ? CL_PN0 : CL_PN;
            if (P->cls[c] & want) {
                q++;
                last = q;
                continue;
            }
            if (c == '.' && q != start) {
                q++;
                continue;
            }
            break;
        }
        size_t n = utf8_len(q);
        if (n == 0) {
            return fail(P, "invalid UTF-8");
        }
        uint32_t cp = utf8_decode(q, n);
        if (!(q == start ? pn_base(cp) : pn_more(cp))) {
            break;
        }
        q += n;
        last = q;
    }
    if (last == NULL) {
        return fail(P, "empty or invalid blank node label");
    }
    size_t len = (size_t)(last - start);
    b->len = P->prefix_len;
    if (buf_room(P, b, len) != 0) {
        return NULL;
    }
    memcpy(b->p + b->len, start, len);
    b->len += len;
    t->s = b->p;
    t->len = b->len;
    return (const char *)last;
}

/* Slow path of parse_string for a literal holding escapes: decode from `s` (the opening '"')
 * into P->lex. Returns the position after the closing '"' or NULL. */
static const char *parse_string_escaped(nt_parser *P, const char *s, nt_term *t) {
    nt_buf *b = &P->lex;
    const unsigned char *q = (const unsigned char *)s + 1;
    b->len = 0;
    for (;;) {
        const unsigned char *run = q;
        q = scan_str(P, q);
        if (*q >= 0x80) {
            size_t n = utf8_len(q);
            if (n == 0) {
                return fail(P, "invalid UTF-8");
            }
            q += n;
        }
        if (q > run) {
            if (buf_room(P, b, (size_t)(q - run)) != 0) {
                return NULL;
            }
            memcpy(b->p + b->len, run, (size_t)(q - run));
            b->len += (size_t)(q - run);
            continue;
        }
        if (*q == '"') {
            break;
        }
        if (*q == '\\') {
            char c;
            switch (q[1]) {
            case 't':
                c = '\t';
                break;
            case 'b':
                c = '\b';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 'f':
                c = '\f';
                break;
            case '"':
                c = '"';
                break;
            case '\'': c = '\''; break;
            case '\\':
                c = '\\';
                break;
            case 'u':
            case 'U':
                q = (const unsigned char *)decode_uchar(P, (const char *)q, b);
                if (q == NULL) {
                    return NULL;
                }
                continue;
            default:
                return fail(P, "invalid escape in string literal");
            }
            if (buf_room(P, b, 1) != 0) {
                return NULL;
            }
            b->p[b->len++] = c;
            q += 2;
            continue;
        }
        if (P->cls[*q] & CL_EOL) {
            return fail(P, "unterminated string literal");
        }
        return fail(P, "NUL character in string literal");
    }
    t->s = b->p;
    t->len = b->len;
    return (const char *)q + 1;
}

/* Parse the STRING_LITERAL_QUOTE at `s` (which points at '"'). Without escapes the lexical
 * form points into the chunk. Returns the position after the closing '"' or NULL. */
static const char *parse_string(nt_parser *P, const char *s, nt_term *t) {
    const unsigned char *q = (const unsigned char *)s + 1;
    for (;;) {
        q = scan_str(P, q);
        if (*q == '"') {
            break;
        }
        if (*q >= 0x80) {
            size_t n = utf8_len(q);
            if (n == 0) {
                return fail(P, "invalid UTF-8");
            }
            q += n;
            continue;
        }
        if (*q == '\\') {
            return parse_string_escaped(P, s, t);
        }
        if (P->cls[*q] & CL_EOL) {
            return fail(P, "unterminated string literal");
        }
        return fail(P, "NUL character in string literal");
    }
    t->s = s + 1;
    t->len = (size_t)((const char *)q - t->s);
    return (const char *)q + 1;
}

/* Parse the LANGTAG at `s` (which points at '@'): [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*. Returns the
 * position after it or NULL. */
static const char *parse_lang(nt_parser *P, const char *s, nt_term *t) {
    const char *q = s + 1;
    if (!(P->cls[(unsigned char)*q] & CL_ALPHA)) {
        return fail(P, "invalid language tag");
    }
    while (P->cls[(unsigned char)*q] & CL_ALPHA) {
        q++;
    }
    while (*q == '-') {
        if (!(P->cls[(unsigned char)q[1]] & CL_ALNUM)) {
            return fail(P, "invalid language tag");
        }
        q++;
        while (P->cls[(unsigned char)*q] & CL_ALNUM) {
            q++;
        }
    }
    t->s = s + 1;
    t->len = (size_t)(q - t->s);
    return q;
}

/* Skip a comment from `p` (at '#') to the line end, checking that it is valid UTF-8. Returns
 * the position of the line end or NULL. */
static const char *skip_comment(nt_parser *P, const char *p) {
    const unsigned char *q = (const unsigned char *)p + 1;
    for (;;) {
        while (*q < 0x80 && !(P->cls[*q] & CL_EOL)) {
            q++;
        }
        if (*q < 0x80) {
            return (const char *)q;
        }
        size_t n = utf8_len(q);
        if (n == 0) {
            return fail(P, "invalid UTF-8");
        }
        q += n;
    }
}

/* ==== statements =========================================================================== */

/* Intern `t` as a node of kind `kind`; PT_NONE (with PT_ENOMEM recorded) on allocation failure. */
static pt_node_id intern(nt_parser *P, const nt_term *t, pt_term_kind kind) {
    pt_node_id id = pt_builder_intern(P->b, t->s, t->len, kind);
    if (id == PT_NONE) {
        P->reason = "out of memory";
        P->code = PT_ENOMEM;
    }
    return id;
}

/* Intern `t` through cache entry `e`: when `e` holds the same text and kind, its id is reused
 * without hashing; otherwise the term is interned and remembered (if short enough). Node ids
 * are stable in a builder, so a remembered id stays right for the whole file. */
static pt_node_id intern_cached(nt_parser *P, nt_cache *e, const nt_term *t, pt_term_kind kind) {
    if (e->len == t->len && e->kind == (uint8_t)kind && e->id != PT_NONE &&
        memcmp(e->s, t->s, t->len) == 0) {
        return e->id;
    }
    pt_node_id id = intern(P, t, kind);
    if (id != PT_NONE && t->len <= sizeof e->s) {
        memcpy(e->s, t->s, t->len);
        e->len = (uint32_t)t->len;
        e->kind = (uint8_t)kind;
        e->id = id;
    }
    return id;
}

/* The predicate cache entry for IRI `t`: a cheap mix of its length and last two bytes, which
 * is where the IRIs of one vocabulary differ. */
static nt_cache *pred_slot(nt_parser *P, const nt_term *t) {
    size_t h = t->len;
    if (t->len >= 2) {
        h = h * 31 + (unsigned char)t->s[t->len - 1] * 7 + (unsigned char)t->s[t->len - 2];
    }
    return &P->pred[h % NT_PRED_CACHE];
}

/* The object cache entry for IRI `t`: like pred_slot(), with one more byte mixed in because
 * object IRIs of one kind ("item/123") share more of their ends. */
static nt_cache *obj_slot(nt_parser *P, const nt_term *t) {
    size_t h = t->len;
    if (t->len >= 3) {
        h = h * 31 + (unsigned char)t->s[t->len - 1] * 7 + (unsigned char)t->s[t->len - 2] * 3 +
            (unsigned char)t->s[t->len - 3] * 131;
    }
    return &P->obj[h % NT_OBJ_CACHE];
}

/* Parse one statement starting at `p` (a subject) and add it to the builder. Returns the
 * position of the line end that follows it, or NULL with P->reason set. */
static const char *parse_statement(nt_parser *P, const char *p) {
    nt_term t, lex, lang;
    pt_node_id s, pred, o = PT_NONE, dt = PT_NONE;
    int literal = 0;

    if (*p == '<') {
        p = parse_iri(P, p, &t);
        if (p == NULL || (s = intern_cached(P, &P->subject, &t, PT_TERM_IRI)) == PT_NONE) {
            return NULL;
        }
    } else if (*p == '_') {
        p = parse_blank(P, p, &P->blank, &t);
        if (p == NULL || (s = intern_cached(P, &P->subject, &t, PT_TERM_BLANK)) == PT_NONE) {
            return NULL;
        }
    } else {
        return fail(P, "expected subject (IRI or blank node)");
    }

    p = skip_ws(P, p);
    if (*p != '<') {
        return fail(P, "expected predicate IRI");
    }
    p = parse_iri(P, p, &t);
    if (p == NULL || (pred = intern_cached(P, pred_slot(P, &t), &t, PT_TERM_IRI)) == PT_NONE) {
        return NULL;
    }

    p = skip_ws(P, p);
    lang.s = NULL;
    lang.len = 0;
    if (*p == '<') {
        p = parse_iri(P, p, &t);
        if (p == NULL || (o = intern_cached(P, obj_slot(P, &t), &t, PT_TERM_IRI)) == PT_NONE) {
            return NULL;
        }
    } else if (*p == '_') {
        p = parse_blank(P, p, &P->blank2, &t);
        if (p == NULL || (o = intern(P, &t, PT_TERM_BLANK)) == PT_NONE) {
            return NULL;
        }
    } else if (*p == '"') {
        literal = 1;
        p = parse_string(P, p, &lex);
        if (p == NULL) {
            return NULL;
        }
        /* The grammar allows white space between the string and its "^^" or language tag. */
        p = skip_ws(P, p);
        if (p[0] == '^') {
            if (p[1] != '^') {
                return fail(P, "expected '^^<datatype IRI>' after literal");
            }
            p = skip_ws(P, p + 2);
            if (*p != '<') {
                return fail(P, "expected '^^<datatype IRI>' after literal");
            }
            p = parse_iri(P, p, &t);
            if (p == NULL ||
                (dt = intern_cached(P, pred_slot(P, &t), &t, PT_TERM_IRI)) == PT_NONE) {
                return NULL;
            }
        } else if (p[0] == '@') {
            p = parse_lang(P, p, &lang);
            if (p == NULL) {
                return NULL;
            }
        }
    } else {
        return fail(P, "expected object (IRI, blank node or literal)");
    }

    p = skip_ws(P, p);
    if (P->quads && (*p == '<' || *p == '_')) {
        /* The graph label is checked, then dropped: Portrait keeps one graph. */
        p = *p == '<' ? parse_iri(P, p, &t) : parse_blank(P, p, &P->iri, &t);
        if (p == NULL) {
            return NULL;
        }
        p = skip_ws(P, p);
    }
    if (*p != '.') {
        return fail(P, P->quads ? "expected graph label or '.' at end of quad"
                                : "expected '.' at end of triple");
    }
    p = skip_ws(P, p + 1);
    if (*p == '#') {
        p = skip_comment(P, p);
        if (p == NULL) {
            return NULL;
        }
    }
    if (!(P->cls[(unsigned char)*p] & CL_EOL)) {
        return fail(P, "unexpected text after '.'");
    }

    if (literal) {
        pt_builder_add_literal(P->b, s, pred, lex.s, lex.len, dt, lang.s, lang.len);
    } else {
        pt_builder_add_edge(P->b, s, pred, o, 1.0f, PT_TIME_UNKNOWN);
    }
    P->n_triples++;
    return p;
}

/* Parse the complete lines in [p, end); end[-1] is a line end. Returns PT_OK or the code of
 * the failure, with the ctx message set to "file:line: reason". */
static int parse_lines(nt_parser *P, const char *p, const char *end) {
    if (P->pending_cr && p < end && *p == '\n') {
        p++; /* the "\n" of a "\r\n" split across two chunks: already counted */
    }
    P->pending_cr = 0;
    while (p < end) {
        p = skip_ws(P, p);
        if (*p == '#') {
            p = skip_comment(P, p);
            if (p == NULL) {
                break;
            }
        } else if (!(P->cls[(unsigned char)*p] & CL_EOL)) {
            p = parse_statement(P, p);
            if (p == NULL) {
                break;
            }
        }
        /* At a line end: "\n", "\r\n" or a lone "\r" each end one line. */
        if (*p == '\r') {
            p++;
            if (p == end) {
                P->pending_cr = 1;
            } else if (*p == '\n') {
                p++;
            }
        } else {
            p++;
        }
        P->line++;
    }
    if (p == NULL) {
        if (P->code == PT_ENOMEM) {
            return pt__error(P->ctx, PT_ENOMEM, "%s:%llu: out of memory",
                             pt__reader_path(P->r), (unsigned long long)P->line);
        }
        return pt__error(P->ctx, PT_EPARSE, "%s:%llu: %s", pt__reader_path(P->r),
                         (unsigned long long)P->line, P->reason);
    }
    return PT_OK;
}

/* Find where the complete lines of buf[0..len) end: just after the last "\n", or the last "\r"
 * when there is no "\n" (old Mac line ends). Returns 0 when there is no line end at all. */
static size_t lines_end(const char *buf, size_t len) {
    const char *q = memrchr(buf, '\n', len);
    if (q == NULL) {
        q = memrchr(buf, '\r', len);
    }
    return q == NULL ? 0 : (size_t)(q - buf) + 1;
}

/* Read the whole input chunk by chunk and parse it. The buffer holds one byte more than its
 * capacity, so that a last line without a line end can be given one, and NT_SLACK bytes after
 * that, zeroed after each read, for the vector scans. A small file gets a small buffer (the
 * fuzzer and the tests read many of them); a big one reads NT_CHUNK bytes at a time. */
static int run(nt_parser *P) {
    uint64_t total = pt__reader_file_size(P->r);
    size_t cap = total + 1 < NT_CHUNK ? (size_t)total + 1 : NT_CHUNK, len = 0;
    uint64_t next_progress = NT_PROGRESS_STEP;
    if (cap < 4096) {
        cap = 4096;
    }
    char *buf = pt__malloc(P->ctx, cap + 1 + NT_SLACK);
    int rc = PT_OK, eof = 0, first = 1;

    if (buf == NULL) {
        return pt__error(P->ctx, PT_ENOMEM, "%s: out of memory", pt__reader_path(P->r));
    }
    while (!eof) {
        if (len == cap) {
            if (cap >= NT_MAX_LINE) {
                rc = pt__error(P->ctx, PT_ELIMIT, "%s:%llu: line longer than %zu bytes",
                               pt__reader_path(P->r), (unsigned long long)P->line, cap);
                goto done;
            }
            char *nb = pt__realloc(P->ctx, buf, cap * 2 + 1 + NT_SLACK);
            if (nb == NULL) {
                rc = pt__error(P->ctx, PT_ENOMEM, "%s: out of memory", pt__reader_path(P->r));
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        long n = pt__reader_read(P->r, buf + len, cap - len);
        if (n < 0) {
            rc = (int)n;
            goto done;
        }
        size_t old = len, start = 0, stop;
        len += (size_t)n;
        if (n == 0) {
            eof = 1;
            buf[len++] = '\n'; /* a line end for a last line that lacks one */
        }
        memset(buf + len, 0, NT_SLACK); /* defined bytes for the scans to look at */
        if (eof) {
            stop = len;
        } else {
            stop = lines_end(buf + old, len - old);
            if (stop == 0) {
                continue; /* no line end in the new bytes: read more */
            }
            stop += old;
        }
        if (first && stop >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
            start = 3; /* a UTF-8 byte order mark */
        }
        first = 0;
        PT_TRY(parse_lines(P, buf + start, buf + stop));
        memmove(buf, buf + stop, len - stop);
        len -= stop;
        if (pt__reader_bytes(P->r) >= next_progress) {
            uint64_t done_bytes = pt__reader_bytes(P->r);
            pt__progress(P->ctx, "parse", done_bytes, done_bytes <= total ? total : 0);
            next_progress = done_bytes + NT_PROGRESS_STEP;
        }
    }
done:
    pt__free(P->ctx, buf);
    return rc;
}

/* ==== entry point ========================================================================== */

/*
 * Return 1 when `s` (length `len`) is well-formed UTF-8, else 0. rdf_import.c checks the terms
 * serd and raptor hand over with it: serd 0.30 lets some malformed sequences through in IRIs
 * even in strict mode, and the graph (and every export) must hold valid UTF-8 only.
 */
int pt__rdf_utf8_valid(const char *s, size_t len) {
    const unsigned char *q = (const unsigned char *)s, *end = q + len;
    while (q < end) {
        if (*q < 0x80) {
            q++;
            continue;
        }
        /* utf8_len() may look at up to three more bytes: check a copy near the end. */
        unsigned char tail[4] = {0, 0, 0, 0};
        const unsigned char *p = q;
        if (end - q < 4) {
            memcpy(tail, q, (size_t)(end - q));
            p = tail;
        }
        size_t n = utf8_len(p);
        if (n == 0 || n > (size_t)(end - q)) {
            return 0;
        }
        q += n;
    }
    return 1;
}

/*
 * Return 1 when `label` (NUL-terminated, without "_:") is a BLANK_NODE_LABEL that both
 * N-Triples and Turtle accept: PN_CHARS_U without ':' or a digit first, then PN_CHARS or '.',
 * not ending in '.'. export.c writes other labels in a hex form.
 */
int pt__rdf_blank_ok(const char *label) {
    const unsigned char *q = (const unsigned char *)label;
    int first = 1, last_dot = 0;
    if (*q == '\0') {
        return 0;
    }
    while (*q != '\0') {
        uint32_t cp = *q;
        size_t n = 1;
        if (cp >= 0x80) {
            n = utf8_len(q);
            if (n == 0) {
                return 0;
            }
            cp = utf8_decode(q, n);
        }
        int ok;
        if (cp < 0x80) {
            int alnum = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                        (cp >= '0' && cp <= '9') || cp == '_';
            ok = alnum || (!first && (cp == '-' || cp == '.'));
        } else {
            ok = first ? pn_base(cp) : pn_more(cp);
        }
        if (!ok) {
            return 0;
        }
        last_dot = cp == '.';
        first = 0;
        q += n;
    }
    return !last_dot;
}

/*
 * Parse the N-Triples (quads == 0) or N-Quads (quads != 0) input of reader `r` into builder `b`.
 * Blank node labels are interned as `blank_prefix` followed by the label, which scopes them to
 * this file. Adds the number of triples to st->rows_read and st->rows_imported when `st` is not
 * NULL. Returns PT_OK, PT_EPARSE ("file:line: reason" on the ctx), PT_EIO, PT_ELIMIT or
 * PT_ENOMEM.
 */
int pt__ntriples_parse(pt_ctx *ctx, pt_builder *b, pt__reader *r, int quads,
                       const char *blank_prefix, pt_import_stats *st) {
    int rc = PT_OK;
    /* On the heap: with its caches the parser state is about 42 KiB, too much for the stack of
     * a small thread. */
    nt_parser *P = pt__calloc(ctx, 1, sizeof *P);

    if (P == NULL) {
        return pt__error(ctx, PT_ENOMEM, "%s: out of memory", pt__reader_path(r));
    }
    P->ctx = ctx;
    P->b = b;
    P->r = r;
    P->quads = quads;
    P->line = 1;
    make_classes(P->cls);
    P->subject.id = PT_NONE;
    for (size_t i = 0; i < NT_PRED_CACHE; i++) {
        P->pred[i].id = PT_NONE;
    }
    for (size_t i = 0; i < NT_OBJ_CACHE; i++) {
        P->obj[i].id = PT_NONE;
    }
    P->prefix_len = strlen(blank_prefix);
    if (buf_room(P, &P->blank, P->prefix_len) != 0 ||
        buf_room(P, &P->blank2, P->prefix_len) != 0) {
        rc = pt__error(ctx, PT_ENOMEM, "%s: out of memory", pt__reader_path(r));
        goto done;
    }
    memcpy(P->blank.p, blank_prefix, P->prefix_len);
    memcpy(P->blank2.p, blank_prefix, P->prefix_len);
    rc = run(P);
done:
    if (st != NULL) {
        st->rows_read += P->n_triples;
        st->rows_imported += P->n_triples;
    }
    pt__free(ctx, P->iri.p);
    pt__free(ctx, P->lex.p);
    pt__free(ctx, P->blank.p);
    pt__free(ctx, P->blank2.p);
    pt__free(ctx, P);
    return rc;
}
