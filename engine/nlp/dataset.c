/*
 * dataset.c - labelled text in: CSV with a header row (RFC 4180: quoted fields, doubled quotes,
 * newlines inside quotes) or JSON lines (one flat object per line; string, number, boolean
 * values; nested values skipped). Only the text and label columns are kept, one entry per data
 * row in file order, so that the reference split rule ("data-row index multiple of 5 is test")
 * selects the same rows as everyone else's tools.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/nlp.h"

struct pt_text_dataset {
    pt_ctx *ctx;
    pt__arena arena;
    char **texts;
    char **labels;
    size_t n, cap;
};

/* A growable byte string used while parsing a field. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

/* Append one byte. */
static int sb_put(pt_ctx *ctx, sbuf *s, char c) {
    if (s->len + 1 >= s->cap) {
        int rc = pt__grow(ctx, (void **)&s->p, &s->cap, s->len + 2, 1);
        if (rc != PT_OK) {
            return rc;
        }
    }
    s->p[s->len++] = c;
    s->p[s->len] = '\0';
    return PT_OK;
}

/* Add a row (copies of text and label into the arena). */
static int add_row(pt_text_dataset *d, const char *text, size_t tl, const char *label,
                   size_t ll) {
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        char **t = pt__realloc(d->ctx, d->texts, cap * sizeof *t);
        if (t == NULL) {
            return pt__error(d->ctx, PT_ENOMEM, "data: out of memory");
        }
        d->texts = t;
        char **l = pt__realloc(d->ctx, d->labels, cap * sizeof *l);
        if (l == NULL) {
            return pt__error(d->ctx, PT_ENOMEM, "data: out of memory");
        }
        d->labels = l;
        d->cap = cap;
    }
    d->texts[d->n] = pt__arena_strndup(&d->arena, text != NULL ? text : "", tl);
    d->labels[d->n] = pt__arena_strndup(&d->arena, label != NULL ? label : "", ll);
    if (d->texts[d->n] == NULL || d->labels[d->n] == NULL) {
        return pt__error(d->ctx, PT_ENOMEM, "data: out of memory");
    }
    d->n++;
    return PT_OK;
}

/* --- CSV ----------------------------------------------------------------------------------- */

/* Read one CSV record from `f` into `fields` (each a NUL-terminated string in `buf`, offsets in
 * `off`). Returns 1 for a record, 0 at end of file, or a negative error. *line counts lines. */
static int csv_record(pt_ctx *ctx, FILE *f, sbuf *buf, size_t **off, size_t *off_cap,
                      size_t *n_fields, size_t *line) {
    int c = getc(f);
    if (c == EOF) {
        return 0;
    }
    buf->len = 0;
    *n_fields = 0;
    size_t start_line = *line;
    int rc;
    for (;;) {
        /* one field */
        if (*n_fields + 1 > *off_cap) {
            rc = pt__grow(ctx, (void **)off, off_cap, *n_fields + 1, sizeof **off);
            if (rc != PT_OK) {
                return rc;
            }
        }
        (*off)[(*n_fields)++] = buf->len;
        if (c == '"') {
            for (;;) {
                c = getc(f);
                if (c == EOF) {
                    return pt__error(ctx, PT_EPARSE, "line %zu: unterminated quoted field",
                                     start_line);
                }
                if (c == '"') {
                    c = getc(f);
                    if (c != '"') {
                        break;
                    }
                }
                if (c == '\n') {
                    (*line)++;
                }
                if ((rc = sb_put(ctx, buf, (char)c)) != PT_OK) {
                    return rc;
                }
            }
            /* after the closing quote: tolerate stray characters up to the separator */
            while (c != ',' && c != '\n' && c != EOF) {
                if (c != '\r' && (rc = sb_put(ctx, buf, (char)c)) != PT_OK) {
                    return rc;
                }
                c = getc(f);
            }
        } else {
            while (c != ',' && c != '\n' && c != EOF) {
                if (c != '\r' && (rc = sb_put(ctx, buf, (char)c)) != PT_OK) {
                    return rc;
                }
                c = getc(f);
            }
        }
        if ((rc = sb_put(ctx, buf, '\0')) != PT_OK) {
            return rc;
        }
        if (c == ',') {
            c = getc(f);
            continue;
        }
        (*line)++;
        return 1;
    }
}

/* Load a CSV file. */
static int load_csv(pt_text_dataset *d, FILE *f, const char *path, const char *text_col,
                    const char *label_col) {
    pt_ctx *ctx = d->ctx;
    sbuf buf = {NULL, 0, 0};
    size_t *off = NULL, off_cap = 0, nf = 0, line = 1;
    long ti = -1, li = -1;
    int rc = csv_record(ctx, f, &buf, &off, &off_cap, &nf, &line);
    if (rc <= 0) {
        rc = rc == 0 ? pt__error(ctx, PT_EPARSE, "%s: empty file", path)
                     : pt__error_prefix(ctx, "%s", path);
        goto done;
    }
    for (size_t i = 0; i < nf; i++) {
        const char *name = buf.p + off[i];
        if (i == 0 && (unsigned char)name[0] == 0xEF && (unsigned char)name[1] == 0xBB &&
            (unsigned char)name[2] == 0xBF) {
            name += 3; /* UTF-8 byte-order mark */
        }
        if (strcmp(name, text_col) == 0) {
            ti = (long)i;
        }
        if (label_col != NULL && strcmp(name, label_col) == 0) {
            li = (long)i;
        }
    }
    if (ti < 0 || (label_col != NULL && li < 0)) {
        rc = pt__error(ctx, PT_ENOTFOUND, "%s: no column '%s' in the header",
                       path, ti < 0 ? text_col : label_col);
        goto done;
    }
    for (;;) {
        rc = csv_record(ctx, f, &buf, &off, &off_cap, &nf, &line);
        if (rc < 0) {
            pt__error_prefix(ctx, "%s", path);
            goto done;
        }
        if (rc == 0) {
            rc = PT_OK;
            break;
        }
        if (nf == 1 && buf.p[off[0]] == '\0') {
            continue; /* a blank line is not a row */
        }
        const char *t = (size_t)ti < nf ? buf.p + off[ti] : "";
        const char *l = li >= 0 && (size_t)li < nf ? buf.p + off[li] : "";
        rc = add_row(d, t, strlen(t), l, strlen(l));
        if (rc != PT_OK) {
            goto done;
        }
    }
done:
    pt__free(ctx, buf.p);
    pt__free(ctx, off);
    return rc;
}

/* --- JSON lines ---------------------------------------------------------------------------- */

/* Skip spaces. */
static const char *ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
    }
    return p;
}

/* Append the UTF-8 encoding of code point `cp` to `s`. */
static int put_utf8(pt_ctx *ctx, sbuf *s, unsigned cp) {
    char b[4];
    int n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    for (int i = 0; i < n; i++) {
        int rc = sb_put(ctx, s, b[i]);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

/* Read four hex digits; returns -1 when they are not hex. */
static long hex4(const char *p, const char *e) {
    if (e - p < 4) {
        return -1;
    }
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* Parse a JSON string at p (on the opening quote) into `out` (cleared first); returns the
 * position after it or NULL on a syntax error. */
static const char *json_string(pt_ctx *ctx, const char *p, const char *e, sbuf *out) {
    out->len = 0;
    if (sb_put(ctx, out, '\0') != PT_OK) {
        return NULL;
    }
    out->len = 0;
    p++;
    while (p < e && *p != '"') {
        if (*p == '\\') {
            p++;
            if (p >= e) {
                return NULL;
            }
            char c = *p++;
            const char *map = c == '\0' ? NULL : strchr("\"\"\\\\//b\bf\fn\nr\rt\t", c);
            if (c == 'u') {
                long cp = hex4(p, e);
                if (cp < 0) {
                    return NULL;
                }
                p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    long lo = hex4(p + 2, e);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    cp = 0xFFFD; /* a lone surrogate */
                }
                if (put_utf8(ctx, out, (unsigned)cp) != PT_OK) {
                    return NULL;
                }
            } else if (map != NULL && ((map - "\"\"\\\\//b\bf\fn\nr\rt\t") % 2) == 0) {
                if (sb_put(ctx, out, map[1]) != PT_OK) {
                    return NULL;
                }
            } else {
                return NULL;
            }
        } else if (sb_put(ctx, out, *p++) != PT_OK) {
            return NULL;
        }
    }
    return p < e ? p + 1 : NULL;
}

/* Skip any JSON value at p; returns the position after it or NULL. Nesting is bounded. */
static const char *json_skip(pt_ctx *ctx, const char *p, const char *e, sbuf *tmp, int depth) {
    p = ws(p, e);
    if (p >= e || depth > 64) {
        return NULL;
    }
    if (*p == '"') {
        return json_string(ctx, p, e, tmp);
    }
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1, e);
        if (p < e && *p == close) {
            return p + 1;
        }
        for (;;) {
            if (close == '}') {
                p = ws(p, e);
                if (p >= e || *p != '"' || (p = json_string(ctx, p, e, tmp)) == NULL) {
                    return NULL;
                }
                p = ws(p, e);
                if (p >= e || *p != ':') {
                    return NULL;
                }
                p++;
            }
            p = json_skip(ctx, p, e, tmp, depth + 1);
            if (p == NULL) {
                return NULL;
            }
            p = ws(p, e);
            if (p < e && *p == ',') {
                p++;
                continue;
            }
            return p < e && *p == close ? p + 1 : NULL;
        }
    }
    const char *s = p;
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
           *p != '\r' && *p != '\n') {
        p++;
    }
    return p > s ? p : NULL;
}

/* Parse one JSON object line, copying the values of the text and label keys. A number or
 * literal value is kept as its text. */
static int json_line(pt_text_dataset *d, const char *p, const char *e, const char *text_col,
                     const char *label_col, sbuf *key, sbuf *val, sbuf *tv, sbuf *lv,
                     size_t lineno) {
    pt_ctx *ctx = d->ctx;
    tv->len = lv->len = 0;
    p = ws(p, e);
    if (p >= e || *p != '{') {
        return pt__error(ctx, PT_EPARSE, "line %zu: not a JSON object", lineno);
    }
    p = ws(p + 1, e);
    if (p < e && *p == '}') {
        return add_row(d, "", 0, "", 0);
    }
    for (;;) {
        p = ws(p, e);
        if (p >= e || *p != '"' || (p = json_string(ctx, p, e, key)) == NULL) {
            return pt__error(ctx, PT_EPARSE, "line %zu: bad key", lineno);
        }
        p = ws(p, e);
        if (p >= e || *p != ':') {
            return pt__error(ctx, PT_EPARSE, "line %zu: ':' expected", lineno);
        }
        p = ws(p + 1, e);
        int is_t = strcmp(key->p, text_col) == 0;
        int is_l = label_col != NULL && strcmp(key->p, label_col) == 0;
        sbuf *dst = is_t ? tv : is_l ? lv : NULL;
        if (p < e && *p == '"') {
            p = json_string(ctx, p, e, dst != NULL ? dst : val);
        } else {
            const char *s = p;
            p = json_skip(ctx, p, e, val, 0);
            if (p != NULL && dst != NULL && *s != '{' && *s != '[' && strncmp(s, "null", 4)) {
                dst->len = 0;
                for (const char *q = s; q < p; q++) {
                    if (sb_put(ctx, dst, *q) != PT_OK) {
                        return PT_ENOMEM;
                    }
                }
            }
        }
        if (p == NULL) {
            return pt__error(ctx, PT_EPARSE, "line %zu: bad value for key '%.64s'", lineno,
                             key->p);
        }
        p = ws(p, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        if (p < e && *p == '}') {
            break;
        }
        return pt__error(ctx, PT_EPARSE, "line %zu: ',' or '}' expected", lineno);
    }
    return add_row(d, tv->p, tv->len, lv->p, lv->len);
}

/* Load a JSON-lines file. */
static int load_jsonl(pt_text_dataset *d, FILE *f, const char *text_col, const char *label_col) {
    pt_ctx *ctx = d->ctx;
    sbuf line = {NULL, 0, 0}, key = {NULL, 0, 0}, val = {NULL, 0, 0};
    sbuf tv = {NULL, 0, 0}, lv = {NULL, 0, 0};
    size_t lineno = 0;
    int rc = PT_OK;
    int c = 0;
    while (c != EOF && rc == PT_OK) {
        line.len = 0;
        while ((c = getc(f)) != EOF && c != '\n') {
            if ((rc = sb_put(ctx, &line, (char)c)) != PT_OK) {
                break;
            }
        }
        lineno++;
        if (rc != PT_OK) {
            break;
        }
        const char *s = ws(line.p != NULL ? line.p : "", line.p != NULL ? line.p + line.len
                                                                       : "");
        if (line.p == NULL || s == line.p + line.len) {
            continue;
        }
        rc = json_line(d, line.p, line.p + line.len, text_col, label_col, &key, &val, &tv,
                       &lv, lineno);
    }
    pt__free(ctx, line.p);
    pt__free(ctx, key.p);
    pt__free(ctx, val.p);
    pt__free(ctx, tv.p);
    pt__free(ctx, lv.p);
    return rc;
}

/* --- API ----------------------------------------------------------------------------------- */

/* Does `s` end with `suffix`? */
static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Load a data set (CSV or JSON lines by file name). */
int pt_text_dataset_load(pt_ctx *ctx, const char *path, const char *text_col,
                         const char *label_col, pt_text_dataset **out) {
    *out = NULL;
    if (path == NULL || text_col == NULL) {
        return pt__error(ctx, PT_EINVAL, "data: path and text column are required");
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return pt__error(ctx, PT_EIO, "data: cannot open %s", path);
    }
    pt_text_dataset *d = pt__calloc(ctx, 1, sizeof *d);
    if (d == NULL) {
        fclose(f);
        return pt__error(ctx, PT_ENOMEM, "data: out of memory");
    }
    d->ctx = ctx;
    pt__arena_init(&d->arena, ctx, 1 << 20);
    int rc;
    if (ends_with(path, ".jsonl") || ends_with(path, ".json") || ends_with(path, ".ndjson")) {
        rc = load_jsonl(d, f, text_col, label_col);
        if (rc != PT_OK) {
            pt__error_prefix(ctx, "%s", path);
        }
    } else {
        rc = load_csv(d, f, path, text_col, label_col);
    }
    if (rc == PT_OK && ferror(f)) {
        rc = pt__error(ctx, PT_EIO, "data: read error on %s", path);
    }
    fclose(f);
    if (rc != PT_OK) {
        pt_text_dataset_free(d);
        return rc;
    }
    *out = d;
    return PT_OK;
}

/* Free a data set. */
void pt_text_dataset_free(pt_text_dataset *d) {
    if (d == NULL) {
        return;
    }
    pt__arena_free(&d->arena);
    pt__free(d->ctx, d->texts);
    pt__free(d->ctx, d->labels);
    pt__free(d->ctx, d);
}

/* Number of rows. */
size_t pt_text_dataset_size(const pt_text_dataset *d) {
    return d->n;
}

/* Text of row i. */
const char *pt_text_dataset_text(const pt_text_dataset *d, size_t i) {
    return i < d->n ? d->texts[i] : "";
}

/* Label of row i. */
const char *pt_text_dataset_label(const pt_text_dataset *d, size_t i) {
    return i < d->n ? d->labels[i] : "";
}

/* The texts array. */
const char *const *pt_text_dataset_texts(const pt_text_dataset *d) {
    return (const char *const *)d->texts;
}

/* The labels array. */
const char *const *pt_text_dataset_labels(const pt_text_dataset *d) {
    return (const char *const *)d->labels;
}
