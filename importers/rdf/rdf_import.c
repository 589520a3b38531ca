/*
 * rdf_import.c - the RDF front door: pt_import_rdf() picks a parser for the syntax and streams
 * its triples into a builder; pt_rdf_format_guess() names the syntax from a file name.
 *
 * Every syntax is read through pt__reader, so any file may be gzip-compressed:
 *   - N-Triples and N-Quads go to Portrait's own parser (ntriples.c), the fast path for bulk
 *     data;
 *   - Turtle and TriG go to serd (libserd 0.30), fed from the reader by a source function. serd
 *     hands back prefixed names and relative IRIs as written, so this file keeps a SerdEnv with
 *     the @prefix and @base declarations and expands every term before interning it;
 *   - RDF/XML and RDF/JSON go to raptor2, fed line by line with raptor_parser_parse_chunk().
 *     Its statements are shared, so only what the builder interns is kept.
 * A triple whose object is an IRI or blank node becomes an edge (weight 1, time unknown); one
 * whose object is a literal becomes a literal property with its datatype node and language.
 * What serd and raptor hand over is checked before it is interned, so that the graph holds
 * only what every export can write: valid UTF-8, no NUL, absolute IRIs, well-formed language
 * tags.
 *
 * Blank nodes are scoped to the file: every label gets the prefix "f<N>_", where N is the
 * builder's triple count when the import starts, so `_:b1` in two files (or two imports of one
 * file) are two nodes, and the same input always yields the same labels.
 *
 * Errors from the parsers are turned into "file:line: reason" (serd adds the column:
 * "file:line:col: reason") with PT_EPARSE on the ctx; the caller then discards the builder.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <raptor2.h>
#include <serd/serd.h>

#include "core/core.h"
#include "graph/graph.h"
#include "io/reader.h"

/* Defined in ntriples.c (the importers/rdf module has no private header yet). */
int pt__ntriples_parse(pt_ctx *ctx, pt_builder *b, pt__reader *r, int quads,
                       const char *blank_prefix, pt_import_stats *st);
int pt__rdf_utf8_valid(const char *s, size_t len);

/* ==== types ================================================================================ */

/* Bytes read from the reader at a time for serd's source function. */
#define RDF_CHUNK ((size_t)1 << 20)

/* Report progress after every this many input bytes. */
#define RDF_PROGRESS_STEP ((uint64_t)8 << 20)

/* The syntaxes, in the order of the names pt_rdf_format_guess() returns. */
typedef enum rdf_syntax {
    RDF_NTRIPLES,
    RDF_NQUADS,
    RDF_TURTLE,
    RDF_TRIG,
    RDF_RDFXML,
    RDF_RDFJSON,
    RDF_UNKNOWN
} rdf_syntax;

static const char *const syntax_names[] = {"ntriples", "nquads", "turtle",
                                           "trig",     "rdfxml", "rdfjson"};

/* One import in progress: what the serd and raptor callbacks need. */
typedef struct rdf_job {
    pt_ctx *ctx;
    pt_builder *b;
    pt__reader *r;
    const char *path;
    char blank_prefix[32];
    size_t blank_prefix_len;
    char *base;           /* absolute base IRI (allocated) */
    uint64_t n_triples;   /* triples added */
    int code;             /* PT_OK, or the first failure (message already on the ctx) */
    int parse_error;      /* a parser reported an error: its message is in errmsg */
    char errmsg[512];
    long err_line, err_col;
    uint64_t next_progress;
    uint64_t total;       /* file size for progress, 0 when unknown */
    char *tmp;            /* scratch for expanded names and prefixed blank labels */
    size_t tmp_cap;
    /* serd's input: the source function serves bytes from here */
    char *in;
    size_t in_len, in_pos;
    uint64_t line, col;   /* position of the last byte served (for our own errors) */
    SerdEnv *env;
    raptor_parser *rp;
} rdf_job;

/* ==== shared helpers ======================================================================= */


/* Map a syntax name ("turtle") to its enum; RDF_UNKNOWN when it is none of ours. */
static rdf_syntax syntax_of(const char *name) {
    for (int i = 0; i < RDF_UNKNOWN; i++) {
        if (strcasecmp(name, syntax_names[i]) == 0) {
            return (rdf_syntax)i;
        }
    }
    return RDF_UNKNOWN;
}

/* Record failure `code` with a formatted message unless one is already recorded; returns the
 * recorded code. Callbacks use it to stop the parse with the first reason. */
static int job_fail(rdf_job *J, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int job_fail(rdf_job *J, int code, const char *fmt, ...) {
    if (J->code != PT_OK) {
        return J->code;
    }
    char msg[PT_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    J->code = pt__error(J->ctx, code, "%s", msg);
    return J->code;
}

/* Make `J->tmp` hold at least `n` bytes. Returns 0, or -1 after recording PT_ENOMEM. */
static int tmp_room(rdf_job *J, size_t n) {
    if (n <= J->tmp_cap) {
        return 0;
    }
    size_t cap = J->tmp_cap < 256 ? 256 : J->tmp_cap;
    while (cap < n) {
        cap *= 2;
    }
    char *p = pt__realloc(J->ctx, J->tmp, cap);
    if (p == NULL) {
        job_fail(J, PT_ENOMEM, "%s: out of memory", J->path);
        return -1;
    }
    J->tmp = p;
    J->tmp_cap = cap;
    return 0;
}

/* True when IRI `s` (length `len`) starts with a scheme (RFC 3986, section 3.1:
 * ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"), i.e. is absolute. */
static int scheme_ok(const char *s, size_t len) {
    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (c == ':') {
            return 1;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.')) {
            return 0;
        }
    }
    return 0;
}

/* Intern `s` (length `len`) as a node of kind `kind`. Blank labels get the file's prefix.
 * Returns PT_NONE after recording the failure: out of memory; a NUL character, which the
 * graph cannot store (its strings are NUL-terminated); or an IRI that is still relative after
 * resolution (serd leaves "h)ttp://a" as it is, for instance), which no export could write as
 * N-Triples. */
static pt_node_id job_intern(rdf_job *J, const char *s, size_t len, pt_term_kind kind,
                             int add_prefix) {
    if (memchr(s, '\0', len) != NULL) {
        job_fail(J, PT_EPARSE, "%s:%llu: NUL character in a term is not supported", J->path,
                 (unsigned long long)J->line);
        return PT_NONE;
    }
    if (!pt__rdf_utf8_valid(s, len)) {
        job_fail(J, PT_EPARSE, "%s:%llu: invalid UTF-8 in a term", J->path,
                 (unsigned long long)J->line);
        return PT_NONE;
    }
    if (kind == PT_TERM_IRI && !scheme_ok(s, len)) {
        job_fail(J, PT_EPARSE, "%s:%llu: relative IRI <%.*s> cannot be resolved", J->path,
                 (unsigned long long)J->line, (int)(len > 200 ? 200 : len), s);
        return PT_NONE;
    }
    if (add_prefix) {
        if (tmp_room(J, J->blank_prefix_len + len) != 0) {
            return PT_NONE;
        }
        memcpy(J->tmp, J->blank_prefix, J->blank_prefix_len);
        memcpy(J->tmp + J->blank_prefix_len, s, len);
        s = J->tmp;
        len += J->blank_prefix_len;
    }
    pt_node_id id = pt_builder_intern(J->b, s, len, kind);
    if (id == PT_NONE) {
        job_fail(J, PT_ENOMEM, "%s: out of memory", J->path);
    }
    return id;
}

/* Add one triple; `lex` NULL means the object is the node `o`, else a literal with `dt`
 * (PT_NONE for none) and `lang` (may be NULL). Returns PT_OK or the recorded failure. */
static int job_add(rdf_job *J, pt_node_id s, pt_node_id p, pt_node_id o, const char *lex,
                   size_t lex_len, pt_node_id dt, const char *lang, size_t lang_len) {
    if (lex != NULL) {
        if (memchr(lex, '\0', lex_len) != NULL) {
            return job_fail(J, PT_EPARSE, "%s:%llu: NUL character in a literal is not supported",
                            J->path, (unsigned long long)J->line);
        }
        if (!pt__rdf_utf8_valid(lex, lex_len)) {
            return job_fail(J, PT_EPARSE, "%s:%llu: invalid UTF-8 in a literal", J->path,
                            (unsigned long long)J->line);
        }
        pt_builder_add_literal(J->b, s, p, lex, lex_len, dt, lang, lang_len);
    } else {
        pt_builder_add_edge(J->b, s, p, o, 1.0f, PT_TIME_UNKNOWN);
    }
    J->n_triples++;
    return PT_OK;
}

/* Keep only the first line of a parser's message (YAJL adds the offending text and a caret
 * on further lines) and drop trailing white space and a final period, so that it reads well
 * after "file:line: ". */
static void tidy_message(char *msg) {
    size_t n = strcspn(msg, "\r\n");
    while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\t' || msg[n - 1] == '.')) {
        n--;
    }
    msg[n] = '\0';
}

/* Report progress when another step of input has been read. */
static void job_progress(rdf_job *J) {
    uint64_t done = pt__reader_bytes(J->r);
    if (done >= J->next_progress) {
        pt__progress(J->ctx, "parse", done, done <= J->total ? J->total : 0);
        J->next_progress = done + RDF_PROGRESS_STEP;
    }
}

/* Build "file://" + the absolute, percent-encoded path of `path` (RFC 8089), the base IRI of a
 * file read without one. Standard input ("-") gets "file:///dev/stdin". Returns an allocated
 * string or NULL (out of memory). */
static char *file_iri(pt_ctx *ctx, const char *path) {
    char abs[PATH_MAX];
    const char *p = abs;
    if (strcmp(path, "-") == 0) {
        p = "/dev/stdin";
    } else if (realpath(path, abs) == NULL) {
        p = path; /* cannot happen for a file the reader opened; keep it as given */
    }
    size_t n = strlen(p);
    char *out = pt__malloc(ctx, 8 + 3 * n + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t k = (size_t)sprintf(out, "file://%s", p[0] == '/' ? "" : "/");
    for (const unsigned char *q = (const unsigned char *)p; *q != '\0'; q++) {
        unsigned c = *q;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/!$&'()*+,;=:@", (int)c) != NULL) {
            out[k++] = (char)c;
        } else {
            k += (size_t)sprintf(out + k, "%%%02X", c);
        }
    }
    out[k] = '\0';
    return out;
}

/* ==== Turtle and TriG through serd ========================================================= */

/* serd's source function: serve up to `size * nmemb` bytes (serd asks for one page) from our
 * buffer, refilled from the reader. Counting line ends in what is served gives the position
 * used in our own messages (an undefined prefix, which serd 0.30 does not report itself). */
static size_t sd_read(void *buf, size_t size, size_t nmemb, void *stream) {
    rdf_job *J = stream;
    size_t want = size * nmemb;
    if (J->code != PT_OK) {
        return 0;
    }
    if (J->in_pos == J->in_len) {
        long n = pt__reader_read(J->r, J->in, RDF_CHUNK);
        if (n < 0) {
            J->code = (int)n; /* the reader set the message */
            return 0;
        }
        J->in_len = (size_t)n;
        J->in_pos = 0;
        job_progress(J);
        if (n == 0) {
            return 0;
        }
    }
    size_t n = J->in_len - J->in_pos < want ? J->in_len - J->in_pos : want;
    const char *src = J->in + J->in_pos;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '\n') {
            J->line++;
            J->col = 0;
        } else {
            J->col++;
        }
    }
    memcpy(buf, src, n);
    J->in_pos += n;
    return n;
}

/* serd's stream error function: non-zero once reading failed. */
static int sd_stream_error(void *stream) {
    const rdf_job *J = stream;
    return J->code != PT_OK;
}

/* serd's error sink: keep the first error as "line:col: message" for the ctx. */
static SerdStatus sd_error(void *handle, const SerdError *e) {
    rdf_job *J = handle;
    if (J->parse_error) {
        return SERD_SUCCESS;
    }
    va_list ap;
    va_copy(ap, *e->args);
    vsnprintf(J->errmsg, sizeof J->errmsg, e->fmt, ap);
    va_end(ap);
    tidy_message(J->errmsg);
    J->err_line = (long)e->line;
    J->err_col = (long)e->col;
    J->parse_error = 1;
    return SERD_SUCCESS;
}

/* serd's base sink: "@base <iri>" changes the base for what follows. */
static SerdStatus sd_base(void *handle, const SerdNode *uri) {
    rdf_job *J = handle;
    return serd_env_set_base_uri(J->env, uri);
}

/* Copy the absolute form of URI node `n` into J->tmp (NUL-terminated): as is when it has a
 * scheme, else resolved against the current base. Returns the length, or -1 on failure. */
static long sd_absolute(rdf_job *J, const SerdNode *n) {
    SerdNode abs = SERD_NODE_NULL;
    const uint8_t *s = n->buf;
    size_t len = n->n_bytes;
    if (!serd_uri_string_has_scheme(n->buf)) {
        SerdURI base;
        serd_env_get_base_uri(J->env, &base);
        abs = serd_node_new_uri_from_node(n, &base, NULL);
        if (abs.buf == NULL) {
            job_fail(J, PT_ENOMEM, "%s: out of memory", J->path);
            return -1;
        }
        s = abs.buf;
        len = abs.n_bytes;
    }
    if (tmp_room(J, len + 1) != 0) {
        serd_node_free(&abs);
        return -1;
    }
    memcpy(J->tmp, s, len);
    J->tmp[len] = '\0';
    serd_node_free(&abs);
    return (long)len;
}

/* serd's prefix sink: record "@prefix name: <iri>" in the env (to expand names) and on the
 * builder (to shorten them again on export). */
static SerdStatus sd_prefix(void *handle, const SerdNode *name, const SerdNode *uri) {
    rdf_job *J = handle;
    if (serd_env_set_prefix(J->env, name, uri) != SERD_SUCCESS) {
        job_fail(J, PT_EPARSE, "%s:%llu: invalid @prefix declaration", J->path,
                 (unsigned long long)J->line);
        return SERD_ERR_BAD_ARG;
    }
    char *n = pt__strndup(J->ctx, (const char *)name->buf, name->n_bytes);
    if (n == NULL || sd_absolute(J, uri) < 0) {
        pt__free(J->ctx, n);
        job_fail(J, PT_ENOMEM, "%s: out of memory", J->path);
        return SERD_ERR_UNKNOWN;
    }
    pt_builder_add_prefix(J->b, n, J->tmp);
    pt__free(J->ctx, n);
    return SERD_SUCCESS;
}

/* Intern serd node `n` (an IRI, prefixed name or blank node); PT_NONE after a failure. */
static pt_node_id sd_node(rdf_job *J, const SerdNode *n) {
    if (n->type == SERD_BLANK) {
        /* serd already put the file's prefix in front (serd_reader_add_blank_prefix). */
        return job_intern(J, (const char *)n->buf, n->n_bytes, PT_TERM_BLANK, 0);
    }
    if (n->type == SERD_CURIE) {
        SerdChunk pre, suf;
        if (serd_env_expand(J->env, n, &pre, &suf) != SERD_SUCCESS) {
            job_fail(J, PT_EPARSE, "%s:%llu: undefined prefix in '%.*s'", J->path,
                     (unsigned long long)J->line, (int)(n->n_bytes > 200 ? 200 : n->n_bytes),
                     (const char *)n->buf);
            return PT_NONE;
        }
        if (tmp_room(J, pre.len + suf.len) != 0) {
            return PT_NONE;
        }
        memcpy(J->tmp, pre.buf, pre.len);
        memcpy(J->tmp + pre.len, suf.buf, suf.len);
        return job_intern(J, J->tmp, pre.len + suf.len, PT_TERM_IRI, 0);
    }
    if (n->type == SERD_URI) {
        if (serd_uri_string_has_scheme(n->buf)) {
            return job_intern(J, (const char *)n->buf, n->n_bytes, PT_TERM_IRI, 0);
        }
        long len = sd_absolute(J, n);
        return len < 0 ? PT_NONE : job_intern(J, J->tmp, (size_t)len, PT_TERM_IRI, 0);
    }
    job_fail(J, PT_EPARSE, "%s:%llu: unexpected term", J->path, (unsigned long long)J->line);
    return PT_NONE;
}

/* serd's statement sink: intern the terms and add the triple; the graph name of TriG is
 * dropped. A non-success status stops serd. */
static SerdStatus sd_statement(void *handle, SerdStatementFlags flags, const SerdNode *graph,
                               const SerdNode *subject, const SerdNode *predicate,
                               const SerdNode *object, const SerdNode *datatype,
                               const SerdNode *lang) {
    rdf_job *J = handle;
    pt_node_id s, p, o = PT_NONE, dt = PT_NONE;
    (void)flags;
    (void)graph;
    if ((s = sd_node(J, subject)) == PT_NONE || (p = sd_node(J, predicate)) == PT_NONE) {
        return SERD_ERR_UNKNOWN;
    }
    if (object->type == SERD_LITERAL) {
        if (datatype != NULL && datatype->type != SERD_NOTHING &&
            (dt = sd_node(J, datatype)) == PT_NONE) {
            return SERD_ERR_UNKNOWN;
        }
        const char *lg = lang != NULL && lang->buf != NULL ? (const char *)lang->buf : NULL;
        size_t lg_len = lg != NULL ? lang->n_bytes : 0;
        if (job_add(J, s, p, PT_NONE, (const char *)object->buf, object->n_bytes, dt, lg,
                    lg_len) != PT_OK) {
            return SERD_ERR_UNKNOWN;
        }
        return SERD_SUCCESS;
    }
    if ((o = sd_node(J, object)) == PT_NONE ||
        job_add(J, s, p, o, NULL, 0, PT_NONE, NULL, 0) != PT_OK) {
        return SERD_ERR_UNKNOWN;
    }
    return SERD_SUCCESS;
}

/* Parse Turtle (trig == 0) or TriG from J->r with serd, in strict mode: the first error ends
 * the import. serd pulls `page` bytes per call of sd_read(); with page 1 the line count kept
 * there is exact for our own checks (serd reports its own errors with line and column). */
static int run_serd(rdf_job *J, int trig, size_t page) {
    int rc = PT_OK;
    SerdReader *reader = NULL;
    SerdNode base = serd_node_from_string(SERD_URI, (const uint8_t *)J->base);

    J->in = pt__malloc(J->ctx, RDF_CHUNK);
    J->env = serd_env_new(&base);
    if (J->in == NULL || J->env == NULL) {
        rc = pt__error(J->ctx, PT_ENOMEM, "%s: out of memory", J->path);
        goto done;
    }
    reader = serd_reader_new(trig ? SERD_TRIG : SERD_TURTLE, J, NULL, sd_base, sd_prefix,
                             sd_statement, NULL);
    if (reader == NULL) {
        rc = pt__error(J->ctx, PT_ENOMEM, "%s: out of memory", J->path);
        goto done;
    }
    serd_reader_set_strict(reader, true);
    serd_reader_set_error_sink(reader, sd_error, J);
    serd_reader_add_blank_prefix(reader, (const uint8_t *)J->blank_prefix);
    J->line = 1;
    SerdStatus st = serd_reader_read_source(reader, sd_read, sd_stream_error, J,
                                            (const uint8_t *)J->path, page);
    if (J->code != PT_OK) {
        rc = J->code; /* ours: out of memory, undefined prefix, read error */
    } else if (J->parse_error) {
        rc = pt__error(J->ctx, PT_EPARSE, "%s:%ld:%ld: %s", J->path, J->err_line, J->err_col,
                       J->errmsg);
    } else if (st != SERD_SUCCESS && st != SERD_FAILURE) {
        rc = pt__error(J->ctx, PT_EPARSE, "%s:%llu: %s", J->path, (unsigned long long)J->line,
                       (const char *)serd_strerror(st));
    }
done:
    serd_reader_free(reader);
    serd_env_free(J->env);
    J->env = NULL;
    pt__free(J->ctx, J->in);
    J->in = NULL;
    J->in_len = J->in_pos = 0;
    return rc;
}

/* Parse Turtle or TriG. serd reads 4 KiB pages (a page of one byte costs a call per byte:
 * 40% slower on the 1M-triple shop). When one of our own checks fails (undefined prefix,
 * invalid UTF-8, relative IRI), the line counted by pages is only near the fault, so the file
 * is parsed again up to the fault with one-byte pages into a scratch builder, which names the
 * exact line; errors are rare, so the second pass costs nothing in the common case. */
static int import_serd(rdf_job *J, int trig) {
    int rc = run_serd(J, trig, 4096);
    if (rc != PT_EPARSE || J->parse_error || strcmp(J->path, "-") == 0) {
        return rc;
    }
    pt_builder *scratch = NULL, *keep = J->b;
    pt__reader *r = NULL;
    if (pt_builder_new(J->ctx, NULL, &scratch) != PT_OK ||
        pt__reader_open(J->ctx, J->path, &r) != PT_OK) {
        pt_builder_free(scratch);
        return pt__error(J->ctx, PT_EPARSE, "%s: malformed input (and the second pass that "
                                            "locates it failed)", J->path);
    }
    pt__reader *first = J->r;
    J->r = r;
    J->b = scratch;
    J->code = PT_OK;
    J->n_triples = 0;
    rc = run_serd(J, trig, 1);
    J->b = keep;
    J->r = first;
    pt__reader_close(r);
    pt_builder_free(scratch);
    return rc == PT_OK ? pt__error(J->ctx, PT_EPARSE, "%s: malformed input", J->path) : rc;
}

/* ==== RDF/XML and RDF/JSON through raptor2 ================================================= */

/* raptor's log handler: keep the first error with its line; pass warnings to the ctx log. */
static void rp_log(void *user_data, raptor_log_message *m) {
    rdf_job *J = user_data;
    if (m->level < RAPTOR_LOG_LEVEL_ERROR) {
        if (m->level == RAPTOR_LOG_LEVEL_WARN) {
            pt__log(J->ctx, PT_LOG_WARN, "%s:%d: %s", J->path,
                    m->locator != NULL ? m->locator->line : 0, m->text);
        }
        return;
    }
    if (J->parse_error) {
        return;
    }
    snprintf(J->errmsg, sizeof J->errmsg, "%s", m->text != NULL ? m->text : "parse error");
    tidy_message(J->errmsg);
    J->err_line = m->locator != NULL ? m->locator->line : -1;
    J->err_col = m->locator != NULL ? m->locator->column : -1;
    J->parse_error = 1;
}

/* Intern raptor term `t` as a node; PT_NONE after a failure (or for a literal). */
static pt_node_id rp_node(rdf_job *J, const raptor_term *t) {
    if (t->type == RAPTOR_TERM_TYPE_URI) {
        size_t len = 0;
        const unsigned char *s = raptor_uri_as_counted_string(t->value.uri, &len);
        return job_intern(J, (const char *)s, len, PT_TERM_IRI, 0);
    }
    if (t->type == RAPTOR_TERM_TYPE_BLANK) {
        return job_intern(J, (const char *)t->value.blank.string, t->value.blank.string_len,
                          PT_TERM_BLANK, 1);
    }
    job_fail(J, PT_EPARSE, "%s: unexpected term type in a statement", J->path);
    return PT_NONE;
}

/* True when `s` (length `len`) is a well-formed LANGTAG: [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*, the
 * form RDF 1.1 requires (BCP 47 syntax, section 2.1, without the registry checks). serd checks
 * this itself; raptor passes any xml:lang value through. */
static int lang_ok(const unsigned char *s, size_t len) {
    size_t i = 0, run = 0;
    int first = 1;
    for (; i < len; i++) {
        unsigned char c = s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alpha || (!first && c >= '0' && c <= '9')) {
            run++;
        } else if (c == '-' && run > 0) {
            run = 0;
            first = 0;
        } else {
            return 0;
        }
    }
    return run > 0;
}

/* raptor's statement handler: intern what we keep (the statement is shared) and add the
 * triple. On failure, stop the parser. */
static void rp_statement(void *user_data, raptor_statement *st) {
    rdf_job *J = user_data;
    pt_node_id s, p, o = PT_NONE, dt = PT_NONE;
    if (J->code != PT_OK) {
        return;
    }
    if ((s = rp_node(J, st->subject)) == PT_NONE || (p = rp_node(J, st->predicate)) == PT_NONE) {
        goto stop;
    }
    if (st->object->type == RAPTOR_TERM_TYPE_LITERAL) {
        const raptor_term_literal_value *lit = &st->object->value.literal;
        if (lit->language != NULL && lit->language_len > 0 &&
            !lang_ok(lit->language, lit->language_len)) {
            job_fail(J, PT_EPARSE, "%s:%llu: invalid language tag '%.*s'", J->path,
                     (unsigned long long)J->line, (int)lit->language_len,
                     (const char *)lit->language);
            goto stop;
        }
        if (lit->datatype != NULL) {
            size_t len = 0;
            const unsigned char *d = raptor_uri_as_counted_string(lit->datatype, &len);
            if ((dt = job_intern(J, (const char *)d, len, PT_TERM_IRI, 0)) == PT_NONE) {
                goto stop;
            }
        }
        if (job_add(J, s, p, PT_NONE, lit->string != NULL ? (const char *)lit->string : "",
                    lit->string_len, dt, (const char *)lit->language, lit->language_len) !=
            PT_OK) {
            goto stop;
        }
        return;
    }
    if ((o = rp_node(J, st->object)) == PT_NONE ||
        job_add(J, s, p, o, NULL, 0, PT_NONE, NULL, 0) != PT_OK) {
        goto stop;
    }
    return;
stop:
    raptor_parser_parse_abort(J->rp);
}

/* Turn raptor's first error into the ctx message: "file:line: message", with raptor's line when
 * it knows one and otherwise the line that was being fed (libxml2 gives raptor no position in
 * push mode). Returns PT_EPARSE. */
static int rp_error(rdf_job *J, uint64_t fed_line) {
    if (!J->parse_error) {
        snprintf(J->errmsg, sizeof J->errmsg, "syntax error");
        J->err_line = -1;
    }
    long line = J->err_line > 0 ? J->err_line : (long)fed_line;
    if (line > 0) {
        return pt__error(J->ctx, PT_EPARSE, "%s:%ld: %s", J->path, line, J->errmsg);
    }
    return pt__error(J->ctx, PT_EPARSE, "%s: %s", J->path, J->errmsg);
}

/* Parse RDF/XML or RDF/JSON (`name` is raptor's parser name) from J->r with raptor2. Network
 * and file access from inside the document (external entities, GRDDL) are switched off. The
 * input is fed line by line, so that an error can be placed on its line even when raptor does
 * not say where it is; these syntaxes are not the bulk path, and the cost is small. */
static int import_raptor(rdf_job *J, const char *name) {
    int rc = PT_OK;
    raptor_uri *base = NULL;
    raptor_world *world = raptor_new_world();

    if (world == NULL) {
        return pt__error(J->ctx, PT_ENOMEM, "%s: out of memory", J->path);
    }
    raptor_world_set_log_handler(world, J, rp_log);
    if (raptor_world_open(world) != 0) {
        rc = pt__error(J->ctx, PT_ENOMEM, "%s: cannot start raptor", J->path);
        goto done;
    }
    J->rp = raptor_new_parser(world, name);
    base = raptor_new_uri(world, (const unsigned char *)J->base);
    if (J->rp == NULL || base == NULL) {
        rc = pt__error(J->ctx, PT_ENOMEM, "%s: cannot start the %s parser", J->path, name);
        goto done;
    }
    raptor_parser_set_option(J->rp, RAPTOR_OPTION_NO_NET, NULL, 1);
    raptor_parser_set_option(J->rp, RAPTOR_OPTION_NO_FILE, NULL, 1);
    raptor_parser_set_option(J->rp, RAPTOR_OPTION_LOAD_EXTERNAL_ENTITIES, NULL, 0);
    raptor_parser_set_statement_handler(J->rp, J, rp_statement);
    if (raptor_parser_parse_start(J->rp, base) != 0) {
        rc = J->parse_error ? rp_error(J, 0)
                            : pt__error(J->ctx, PT_EINTERNAL, "%s: raptor did not start", J->path);
        goto done;
    }
    for (;;) {
        const char *line;
        size_t len;
        int got = pt__reader_line(J->r, &line, &len);
        if (got < 0) {
            rc = got;
            goto done;
        }
        J->line = pt__reader_lineno(J->r);
        int bad = got == 0 ? raptor_parser_parse_chunk(J->rp, NULL, 0, 1)
                           : raptor_parser_parse_chunk(J->rp, (const unsigned char *)line, len, 0)
                                 || raptor_parser_parse_chunk(J->rp,
                                                              (const unsigned char *)"\n", 1, 0);
        job_progress(J);
        if (J->code != PT_OK) {
            rc = J->code;
            goto done;
        }
        if (J->parse_error || bad != 0) {
            rc = rp_error(J, J->line);
            goto done;
        }
        if (got == 0) {
            break;
        }
    }
done:
    if (base != NULL) {
        raptor_free_uri(base);
    }
    if (J->rp != NULL) {
        raptor_free_parser(J->rp);
        J->rp = NULL;
    }
    raptor_free_world(world);
    return rc;
}

/* ==== API ================================================================================== */

const char *pt_rdf_format_guess(const char *path) {
    static const struct {
        const char *ext;
        rdf_syntax syntax;
    } exts[] = {{".nt", RDF_NTRIPLES}, {".nq", RDF_NQUADS},   {".ttl", RDF_TURTLE},
                {".trig", RDF_TRIG},   {".rdf", RDF_RDFXML},  {".owl", RDF_RDFXML},
                {".xml", RDF_RDFXML},  {".json", RDF_RDFJSON}, {".rj", RDF_RDFJSON}};
    if (path == NULL) {
        return NULL;
    }
    size_t n = strlen(path);
    if (n > 3 && strcasecmp(path + n - 3, ".gz") == 0) {
        n -= 3;
    }
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t k = strlen(exts[i].ext);
        if (n > k && strncasecmp(path + n - k, exts[i].ext, k) == 0) {
            return syntax_names[exts[i].syntax];
        }
    }
    return NULL;
}

int pt_import_rdf(pt_builder *b, const char *path, const char *format, const char *base_iri,
                  pt_import_stats *st) {
    rdf_job J;
    int rc = PT_OK;

    if (b == NULL) {
        return PT_EINVAL;
    }
    memset(&J, 0, sizeof J);
    J.ctx = pt__builder_ctx(b);
    J.b = b;
    if (path == NULL) {
        return pt__error(J.ctx, PT_EINVAL, "pt_import_rdf: path is NULL");
    }
    J.path = path;
    if (format == NULL && (format = pt_rdf_format_guess(path)) == NULL) {
        return pt__error(J.ctx, PT_EINVAL,
                         "%s: cannot tell the RDF syntax from the file name; give a format",
                         path);
    }
    rdf_syntax syn = syntax_of(format);
    if (syn == RDF_UNKNOWN) {
        return pt__error(J.ctx, PT_EINVAL,
                         "unknown RDF format '%s' (ntriples, nquads, turtle, trig, rdfxml, "
                         "rdfjson)",
                         format);
    }
    snprintf(J.blank_prefix, sizeof J.blank_prefix, "f%llu_",
             (unsigned long long)pt_builder_triple_count(b));
    J.blank_prefix_len = strlen(J.blank_prefix);
    J.next_progress = RDF_PROGRESS_STEP;
    PT_TRY(pt__reader_open(J.ctx, path, &J.r));
    J.total = pt__reader_file_size(J.r);
    if (syn == RDF_NTRIPLES || syn == RDF_NQUADS) {
        rc = pt__ntriples_parse(J.ctx, b, J.r, syn == RDF_NQUADS, J.blank_prefix, st);
        goto done;
    }
    J.base = base_iri != NULL ? pt__strdup(J.ctx, base_iri) : file_iri(J.ctx, path);
    if (J.base == NULL) {
        rc = pt__error(J.ctx, PT_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (syn == RDF_TURTLE || syn == RDF_TRIG) {
        rc = import_serd(&J, syn == RDF_TRIG);
    } else {
        rc = import_raptor(&J, syn == RDF_RDFXML ? "rdfxml" : "json");
    }
    if (st != NULL) {
        st->rows_read += J.n_triples;
        st->rows_imported += J.n_triples;
    }
done:
    if (st != NULL && J.r != NULL) {
        st->bytes += pt__reader_bytes(J.r);
    }
    if (rc == PT_OK && J.r != NULL) {
        uint64_t done_bytes = pt__reader_bytes(J.r);
        pt__progress(J.ctx, "parse", done_bytes, done_bytes <= J.total ? J.total : 0);
    }
    pt__reader_close(J.r);
    pt__free(J.ctx, J.base);
    pt__free(J.ctx, J.tmp);
    return rc;
}
