/*
 * http_parse.c - parsers of the bytes a client sends to `portrait serve`: the request target
 * (percent-decoding, path segments, query parameters), route matching, parameter values and
 * the flat JSON object of POST /v1/sparql. Everything here is bounded by the caller's buffers
 * and reports a reason instead of guessing; tests/fuzz/fuzz_http.c runs it on random input.
 */
#include <string.h>

#include "http_parse.h"

/* --- helpers ------------------------------------------------------------------------------- */

/* Value of hex digit c, or -1. */
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

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF), else 0.
 * (RFC 3629, section 4.) */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + need >= n) {
            return 0;
        }
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* Percent-decode in[0..n) to out (room for n + 1 bytes), '+' as space when `plus`. Rejects
 * bad escapes, NUL and control bytes (tab allowed) and invalid UTF-8. Returns the decoded
 * length, or -1 with *why set. */
static long pct_decode(const char *in, size_t n, char *out, int plus, const char **why) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int h = -1;
            if (i + 2 < n) {
                int a = hexval((unsigned char)in[i + 1]), b = hexval((unsigned char)in[i + 2]);
                h = a < 0 || b < 0 ? -1 : a * 16 + b;
            }
            if (h < 0) {
                *why = "bad percent-escape";
                return -1;
            }
            c = (unsigned char)h;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            *why = "control character or NUL";
            return -1;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (!utf8_valid((const unsigned char *)out, o)) {
        *why = "invalid UTF-8";
        return -1;
    }
    return (long)o;
}

/* --- request target ------------------------------------------------------------------------ */

int hp_parse_target(const char *uri, size_t len, hp_target *t, const char **why,
                    const char **field) {
    t->n_seg = 0;
    t->n_params = 0;
    *field = NULL;
    if (len == 0 || uri[0] != '/') {
        *why = "the target must start with '/'";
        return -1;
    }
    if (len >= HP_TARGET_MAX / 2) {
        *why = "the target is too long";
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)uri[i];
        if (c <= 0x20 || c >= 0x7F) {
            *why = "raw control, space or non-ASCII byte in the target";
            return -1;
        }
    }
    const char *q = memchr(uri, '?', len);
    size_t plen = q != NULL ? (size_t)(q - uri) : len;
    const char *frag = memchr(uri, '#', len);
    if (frag != NULL) {
        *why = "a fragment ('#') in the target";
        return -1;
    }
    /* Each decoded string is at most as long as its raw text; with the NULs that fits twice
     * the raw length, checked above. */
    size_t o = 0;
    size_t i = 1;
    while (i <= plen) {
        size_t j = i;
        while (j < plen && uri[j] != '/') {
            j++;
        }
        if (j > i) {
            if (t->n_seg == HP_MAX_SEGMENTS) {
                *why = "too many path segments";
                return -1;
            }
            long n = pct_decode(uri + i, j - i, t->buf + o, 0, why);
            if (n < 0) {
                return -1;
            }
            t->seg[t->n_seg++] = t->buf + o;
            o += (size_t)n + 1;
        }
        i = j + 1;
    }
    if (q == NULL) {
        return 0;
    }
    const char *s = q + 1, *end = uri + len;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *pe = amp != NULL ? amp : end;
        if (pe == s) {
            s = pe + 1;
            continue;
        }
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        const char *ke = eq != NULL ? eq : pe;
        if (t->n_params == HP_MAX_PARAMS) {
            *why = "too many query parameters";
            return -1;
        }
        if (ke == s) {
            *why = "a query parameter without a name";
            return -1;
        }
        char *key = t->buf + o;
        long kn = pct_decode(s, (size_t)(ke - s), key, 1, why);
        if (kn < 0) {
            return -1;
        }
        o += (size_t)kn + 1;
        char *val = t->buf + o;
        long vn = 0;
        if (eq != NULL) {
            vn = pct_decode(eq + 1, (size_t)(pe - eq - 1), val, 1, why);
            if (vn < 0) {
                *field = key;
                return -1;
            }
        } else {
            val[0] = '\0';
        }
        o += (size_t)vn + 1;
        for (int k = 0; k < t->n_params; k++) {
            if (strcmp(t->params[k].key, key) == 0) {
                *why = "parameter given twice";
                *field = key;
                return -1;
            }
        }
        t->params[t->n_params].key = key;
        t->params[t->n_params].val = val;
        t->n_params++;
        s = pe + 1;
    }
    return 0;
}

const char *hp_param_get(const hp_target *t, const char *key) {
    for (int i = 0; i < t->n_params; i++) {
        if (strcmp(t->params[i].key, key) == 0) {
            return t->params[i].val;
        }
    }
    return NULL;
}

const char *hp_param_unknown(const hp_target *t, const char *const *allowed) {
    for (int i = 0; i < t->n_params; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a != NULL && !ok; a++) {
            ok = strcmp(*a, t->params[i].key) == 0;
        }
        if (!ok) {
            return t->params[i].key;
        }
    }
    return NULL;
}

/* --- routes -------------------------------------------------------------------------------- */

const char *hp_route_name(hp_route r) {
    static const char *const names[HP_R_COUNT_] = {
        "none",    "page",    "health", "metrics", "profile", "recommendations",
        "user",    "explain", "neighborhood", "events", "sparql"};
    return (unsigned)r < HP_R_COUNT_ ? names[r] : "none";
}

/* 1 when segment i of t equals s. */
static int seg_is(const hp_target *t, int i, const char *s) {
    return i < t->n_seg && strcmp(t->seg[i], s) == 0;
}

hp_route hp_match(const hp_target *t, const char *method, const char **id, int *method_ok,
                  const char **allowed) {
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;
    int del = strcmp(method, "DELETE") == 0;
    hp_route r = HP_R_NONE;
    *id = NULL;
    *allowed = "GET";
    if (t->n_seg == 0) {
        r = HP_R_PAGE;
    } else if (t->n_seg == 1 && seg_is(t, 0, "metrics")) {
        r = HP_R_METRICS;
    } else if (seg_is(t, 0, "v1")) {
        if (t->n_seg == 2 && seg_is(t, 1, "health")) {
            r = HP_R_HEALTH;
        } else if (t->n_seg == 2 && seg_is(t, 1, "explain")) {
            r = HP_R_EXPLAIN;
        } else if (t->n_seg == 2 && seg_is(t, 1, "events")) {
            r = HP_R_EVENTS;
            *allowed = "POST";
        } else if (t->n_seg == 2 && seg_is(t, 1, "sparql")) {
            r = HP_R_SPARQL;
            *allowed = "POST";
        } else if (t->n_seg == 3 && seg_is(t, 1, "users")) {
            r = HP_R_USER;
            *allowed = "DELETE";
        } else if (t->n_seg == 4 && seg_is(t, 1, "users") && seg_is(t, 3, "profile")) {
            r = HP_R_PROFILE;
        } else if (t->n_seg == 4 && seg_is(t, 1, "users") && seg_is(t, 3, "recommendations")) {
            r = HP_R_RECS;
        } else if (t->n_seg == 4 && seg_is(t, 1, "nodes") && seg_is(t, 3, "neighborhood")) {
            r = HP_R_NEIGHBORHOOD;
        }
        if (r == HP_R_USER || r == HP_R_PROFILE || r == HP_R_RECS || r == HP_R_NEIGHBORHOOD) {
            *id = t->seg[2];
        }
    }
    if (r == HP_R_NONE) {
        *method_ok = 1;
        return r;
    }
    *method_ok = strcmp(*allowed, "GET") == 0 ? get : strcmp(*allowed, "POST") == 0 ? post : del;
    return r;
}

/* --- values -------------------------------------------------------------------------------- */

int hp_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
    uint64_t v = 0;
    if (*s == '\0') {
        return -1;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) {
            return -1;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

int hp_parse_bool(const char *s, int *out) {
    if (*s == '\0' || strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
        *out = 1;
        return 0;
    }
    if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0 || strcmp(s, "no") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

int hp_secure_equal(const char *a, size_t alen, const char *b, size_t blen) {
    /* Walk the longer length so the time does not depend on where the strings differ; a
     * length difference is folded into the result. */
    size_t n = alen > blen ? alen : blen;
    unsigned char d = (unsigned char)(alen != blen);
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        unsigned char y = i < blen ? (unsigned char)b[i] : 0;
        d |= (unsigned char)(x ^ y);
    }
    return d == 0;
}

/* --- flat JSON objects --------------------------------------------------------------------- */

/* A JSON reader over body[0..len). */
typedef struct jr {
    const char *s;
    size_t len, pos;
    const char *why;
} jr;

/* Skip JSON whitespace (RFC 8259: space, tab, LF, CR). */
static void j_ws(jr *r) {
    while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
                               r->s[r->pos] == '\n' || r->s[r->pos] == '\r')) {
        r->pos++;
    }
}

/* Read four hex digits at the reader's position into *cp. Returns 0 or -1. */
static int j_hex4(jr *r, uint32_t *cp) {
    if (r->len - r->pos < 4) {
        return -1;
    }
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval((unsigned char)r->s[r->pos + (size_t)k]);
        if (h < 0) {
            return -1;
        }
        v = v * 16 + (uint32_t)h;
    }
    r->pos += 4;
    *cp = v;
    return 0;
}

/* Read a JSON string (the reader is on its opening quote) into out[*o..cap), NUL-terminated;
 * *o advances past the NUL. Returns the start of the decoded text, or NULL with r->why. */
static char *j_string(jr *r, char *out, size_t *o, size_t cap) {
    char *start = out + *o;
    size_t w = *o;
    r->pos++; /* the quote */
    for (;;) {
        if (r->pos >= r->len) {
            r->why = "unterminated string";
            return NULL;
        }
        unsigned char c = (unsigned char)r->s[r->pos];
        if (w + 5 >= cap) {
            r->why = "string too long";
            return NULL;
        }
        if (c == '"') {
            r->pos++;
            break;
        }
        if (c < 0x20) {
            r->why = "control character in a string";
            return NULL;
        }
        if (c != '\\') {
            out[w++] = (char)c;
            r->pos++;
            continue;
        }
        r->pos++;
        if (r->pos >= r->len) {
            r->why = "unterminated escape";
            return NULL;
        }
        c = (unsigned char)r->s[r->pos++];
        uint32_t cp;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            out[w++] = (char)c;
            continue;
        case 'b':
            out[w++] = '\b';
            continue;
        case 'f':
            out[w++] = '\f';
            continue;
        case 'n':
            out[w++] = '\n';
            continue;
        case 'r':
            out[w++] = '\r';
            continue;
        case 't':
            out[w++] = '\t';
            continue;
        case 'u':
            if (j_hex4(r, &cp) != 0) {
                r->why = "bad \\u escape";
                return NULL;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (r->len - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u') {
                    r->why = "lone surrogate";
                    return NULL;
                }
                r->pos += 2;
                if (j_hex4(r, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    r->why = "lone surrogate";
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                r->why = "lone surrogate";
                return NULL;
            }
            if (cp == 0) {
                r->why = "NUL in a string";
                return NULL;
            }
            if (cp < 0x80) {
                out[w++] = (char)cp;
            } else if (cp < 0x800) {
                out[w++] = (char)(0xC0 | (cp >> 6));
                out[w++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[w++] = (char)(0xE0 | (cp >> 12));
                out[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[w++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[w++] = (char)(0xF0 | (cp >> 18));
                out[w++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[w++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[w++] = (char)(0x80 | (cp & 0x3F));
            }
            continue;
        default:
            r->why = "unknown escape";
            return NULL;
        }
    }
    out[w] = '\0';
    if (!utf8_valid((const unsigned char *)start, (size_t)(out + w - start))) {
        r->why = "invalid UTF-8 in a string";
        return NULL;
    }
    *o = w + 1;
    return start;
}

int hp_json_strings(const char *body, size_t len, hp_jfield *fields, size_t n, char *buf,
                    size_t cap, const char **why, size_t *at, const char **bad_field) {
    jr r = {body, len, 0, NULL};
    size_t o = 0;
    *bad_field = NULL;
    for (size_t i = 0; i < n; i++) {
        fields[i].val = NULL;
        fields[i].len = 0;
        fields[i].present = 0;
    }
    j_ws(&r);
    if (r.pos >= len || body[r.pos] != '{') {
        r.why = len == 0 ? "empty body" : "expected a JSON object";
        goto fail;
    }
    r.pos++;
    j_ws(&r);
    if (r.pos < len && body[r.pos] == '}') {
        r.pos++;
    } else {
        for (;;) {
            j_ws(&r);
            if (r.pos >= len || body[r.pos] != '"') {
                r.why = "expected a member name";
                goto fail;
            }
            char *name = j_string(&r, buf, &o, cap);
            if (name == NULL) {
                goto fail;
            }
            j_ws(&r);
            if (r.pos >= len || body[r.pos] != ':') {
                r.why = "expected ':'";
                goto fail;
            }
            r.pos++;
            j_ws(&r);
            hp_jfield *f = NULL;
            for (size_t i = 0; i < n && f == NULL; i++) {
                if (strcmp(fields[i].name, name) == 0) {
                    f = &fields[i];
                }
            }
            if (f == NULL) {
                r.why = "unknown field";
                *bad_field = name;
                goto fail;
            }
            if (f->present) {
                r.why = "field given twice";
                *bad_field = name;
                goto fail;
            }
            if (r.pos >= len || body[r.pos] != '"') {
                r.why = "the value must be a string";
                *bad_field = name;
                goto fail;
            }
            size_t before = o;
            f->val = j_string(&r, buf, &o, cap);
            if (f->val == NULL) {
                goto fail;
            }
            f->len = o - before - 1;
            f->present = 1;
            j_ws(&r);
            if (r.pos < len && body[r.pos] == ',') {
                r.pos++;
                continue;
            }
            if (r.pos < len && body[r.pos] == '}') {
                r.pos++;
                break;
            }
            r.why = "expected ',' or '}'";
            goto fail;
        }
    }
    j_ws(&r);
    if (r.pos != len) {
        r.why = "text after the object";
        goto fail;
    }
    return 0;
fail:
    *why = r.why;
    *at = r.pos;
    return -1;
}
