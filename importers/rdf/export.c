/*
 * export.c - pt_export_rdf(): write a graph back out as N-Triples or Turtle.
 *
 * It reads the graph only through the public API (pt_graph_edges, pt_graph_literal,
 * pt_graph_node_str/kind, the prefixes), so it sees appended edges too and works the same on a
 * graph fresh from a builder or opened from a store. Output goes through one 1 MiB buffer and
 * write(2); the first failed write ends the export with PT_EIO.
 *
 * N-Triples: every edge, node by node, then every literal property. Strings are escaped the
 * canonical way (RDF 1.2 N-Triples, section "Canonical N-Triples"): \b \t \n \f \r \" \\ as
 * ECHAR and the other control characters as \u00XX; IRIs escape what IRIREF forbids as \u00XX.
 *
 * Turtle: @prefix lines for the graph's prefixes (plus rdf, rdfs, xsd, owl, skos, schema, gr and
 * pt where the graph does not use those names or namespaces), then one block per subject with
 * ';' between predicates and ',' between objects of one predicate. An IRI is written as a
 * prefixed name when a prefix matches and the rest is a valid PN_LOCAL (else as <IRI>),
 * rdf:type as `a`, and
 * xsd:integer / decimal / double / boolean literals as bare numbers or true/false when their
 * lexical form is the canonical one, which Turtle's short syntax reads back unchanged (else
 * "lex"^^datatype).
 *
 * Blank node labels are written as they are when they are valid in both syntaxes; any other
 * label (from pt_graph_intern or RDF/JSON) is written as "hx_" followed by its bytes in hex.
 *
 * Vectors (pt_vec.h) come last, one statement each in (pred, node) order, as literals of
 * datatype pt:f32vector: the base64 (RFC 4648, padded) of the floats in little-endian byte
 * order. The builder turns such literals back into vectors, so an export imports back bit-exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/core.h"
#include "graph/graph.h"

/* Defined in ntriples.c (the importers/rdf module has no private header yet). */
int pt__rdf_blank_ok(const char *label);

/* ==== output buffer ======================================================================== */

#define EX_BUF_SIZE ((size_t)1 << 20)

/* Buffered output to a file descriptor; `err` keeps the first errno. */
typedef struct ex_out {
    pt_ctx *ctx;
    int fd;
    char *buf;
    size_t len;
    int err;
} ex_out;

/* Write the buffered bytes; on failure remember errno and drop what is buffered. */
static void out_flush(ex_out *w) {
    size_t off = 0;
    while (off < w->len && w->err == 0) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0) {
            if (errno != EINTR) {
                w->err = errno;
            }
            continue;
        }
        off += (size_t)n;
    }
    w->len = 0;
}

/* Append `n` bytes. */
static void out_put(ex_out *w, const char *s, size_t n) {
    while (n > 0) {
        if (w->len == EX_BUF_SIZE) {
            out_flush(w);
        }
        size_t k = EX_BUF_SIZE - w->len < n ? EX_BUF_SIZE - w->len : n;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
    }
}

/* Append one byte. */
static void out_ch(ex_out *w, char c) {
    if (w->len == EX_BUF_SIZE) {
        out_flush(w);
    }
    w->buf[w->len++] = c;
}

/* Append a NUL-terminated string. */
static void out_str(ex_out *w, const char *s) {
    out_put(w, s, strlen(s));
}

/* Append "\u00XX" for byte `c`. */
static void out_uchar(ex_out *w, unsigned c) {
    static const char hex[] = "0123456789ABCDEF";
    char e[6] = {'\\', 'u', '0', '0', hex[(c >> 4) & 15], hex[c & 15]};
    out_put(w, e, sizeof e);
}

/* True when `c` is an ASCII letter or digit. */
static int is_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ==== terms ================================================================================ */

/* Write IRI `s` as <...>, escaping the characters IRIREF forbids (controls, space, <>"{}|^`\)
 * as \u00XX so that the text reads back to the same IRI. */
static void out_iri(ex_out *w, const char *s) {
    out_ch(w, '<');
    const char *run = s;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || strchr("<>\"{}|^`\\", c) != NULL) {
            out_put(w, run, (size_t)(s - run));
            out_uchar(w, c);
            run = s + 1;
        }
    }
    out_put(w, run, (size_t)(s - run));
    out_ch(w, '>');
}

/* Write the lexical form `s` between double quotes with canonical escapes. */
static void out_string(ex_out *w, const char *s) {
    out_ch(w, '"');
    const char *run = s;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F) {
            continue;
        }
        out_put(w, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '\b':
            out_put(w, "\\b", 2);
            break;
        case '\t':
            out_put(w, "\\t", 2);
            break;
        case '\n':
            out_put(w, "\\n", 2);
            break;
        case '\f':
            out_put(w, "\\f", 2);
            break;
        case '\r':
            out_put(w, "\\r", 2);
            break;
        case '"':
            out_put(w, "\\\"", 2);
            break;
        case '\\':
            out_put(w, "\\\\", 2);
            break;
        default:
            out_uchar(w, c);
        }
    }
    out_put(w, run, (size_t)(s - run));
    out_ch(w, '"');
}

/* Write blank node `label` as "_:label", or "_:hx_<hex bytes>" when the label is not valid. */
static void out_blank(ex_out *w, const char *label) {
    static const char hex[] = "0123456789abcdef";
    out_put(w, "_:", 2);
    if (pt__rdf_blank_ok(label)) {
        out_str(w, label);
        return;
    }
    out_put(w, "hx_", 3);
    for (const unsigned char *q = (const unsigned char *)label; *q != '\0'; q++) {
        out_ch(w, hex[*q >> 4]);
        out_ch(w, hex[*q & 15]);
    }
}

/* Write node `v` in N-Triples form. */
static void out_node_nt(ex_out *w, const pt_graph *g, pt_node_id v) {
    const char *s = pt_graph_node_str(g, v);
    if (pt_graph_node_kind(g, v) == PT_TERM_BLANK) {
        out_blank(w, s);
    } else {
        out_iri(w, s != NULL ? s : "");
    }
}

/* ==== N-Triples ============================================================================ */

/* Write "@" and language tag `lang`. The importers only let well-formed tags in, but a
 * literal appended through the API may hold anything: characters a LANGTAG cannot hold become
 * '-' (and a tag without a letter to start with gets an "x" in front), so the output always
 * parses. */
static void out_lang(ex_out *w, const char *lang) {
    out_ch(w, '@');
    if (!((lang[0] >= 'a' && lang[0] <= 'z') || (lang[0] >= 'A' && lang[0] <= 'Z'))) {
        out_ch(w, 'x');
        if (lang[0] != '-') {
            out_ch(w, '-');
        }
    }
    int dash = 0;
    for (const char *p = lang; *p != '\0'; p++) {
        if (is_alnum((unsigned char)*p)) {
            out_ch(w, *p);
            dash = 0;
        } else if (!dash && p[1] != '\0') {
            out_ch(w, '-');
            dash = 1;
        }
    }
    if (dash) {
        out_ch(w, 'x');
    }
}

/* Write literal `lit` in N-Triples form ("lex", "lex"@lang or "lex"^^<dt>). */
static void out_literal_nt(ex_out *w, const pt_graph *g, const pt_literal *lit) {
    out_string(w, lit->lex);
    if (lit->lang != NULL && lit->lang[0] != '\0') {
        out_lang(w, lit->lang);
    } else if (lit->datatype != PT_NONE) {
        out_put(w, "^^", 2);
        out_node_nt(w, g, lit->datatype);
    }
}

/* Write every edge and then every literal property of `g` as N-Triples, reporting progress
 * as nodes visited (each node is visited twice). */
static void write_ntriples(ex_out *w, const pt_graph *g) {
    uint32_t n = pt_graph_node_count(g);
    pt_edge_iter it;
    pt_edge e;
    pt_literal lit;
    for (pt_node_id v = 0; v < n && w->err == 0; v++) {
        if ((v & 0xFFFF) == 0) {
            pt__progress(w->ctx, "write", v, 2 * (uint64_t)n);
        }
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            out_node_nt(w, g, e.src);
            out_ch(w, ' ');
            out_node_nt(w, g, e.pred);
            out_ch(w, ' ');
            out_node_nt(w, g, e.dst);
            out_put(w, " .\n", 3);
        }
    }
    for (pt_node_id v = 0; v < n && w->err == 0; v++) {
        if ((v & 0xFFFF) == 0) {
            pt__progress(w->ctx, "write", (uint64_t)n + v, 2 * (uint64_t)n);
        }
        uint64_t nl = pt_graph_literal_count_of(g, v);
        for (uint64_t i = 0; i < nl; i++) {
            if (pt_graph_literal(g, v, i, &lit) != PT_OK) {
                continue;
            }
            out_node_nt(w, g, v);
            out_ch(w, ' ');
            out_node_nt(w, g, lit.pred);
            out_ch(w, ' ');
            out_literal_nt(w, g, &lit);
            out_put(w, " .\n", 3);
        }
    }
}

/* ==== vectors ============================================================================== */


struct ttl;
static void out_node_ttl(struct ttl *T, pt_node_id v);

/* Write every vector of `g` as a pt:f32vector literal statement: N-Triples when `T` is NULL,
 * else Turtle through `T`. Returns PT_OK or PT_ENOMEM. */
static int write_vectors(ex_out *w, pt_ctx *ctx, const pt_graph *g, struct ttl *T) {
    uint64_t n = pt_graph_vector_count(g, PT_NONE);
    float *buf = NULL;
    char *txt = NULL; /* the literal's text, pt__f32vector_len(cap) + 1 bytes */
    uint32_t cap = 0;
    for (uint64_t i = 0; i < n && w->err == 0; i++) {
        pt_node_id node, pred;
        uint32_t dim;
        if (pt_graph_vector_at(g, PT_NONE, i, &node, &pred, &dim) != PT_OK || dim == 0) {
            continue;
        }
        if (dim > cap) {
            float *nb = pt__realloc(ctx, buf, (size_t)dim * sizeof *nb);
            char *nt = nb != NULL ? pt__realloc(ctx, txt, pt__f32vector_len(dim) + 1) : NULL;
            if (nt == NULL) {
                pt__free(ctx, nb != NULL ? nb : buf);
                pt__free(ctx, txt);
                return pt__error(ctx, PT_ENOMEM, "out of memory exporting vectors");
            }
            buf = nb;
            txt = nt;
            cap = dim;
        }
        dim = pt_graph_get_vector(g, node, pred, buf, cap);
        if (dim == 0 || dim > cap) {
            continue; /* changed by another thread meanwhile */
        }
        if (T == NULL) {
            out_node_nt(w, g, node);
            out_ch(w, ' ');
            out_node_nt(w, g, pred);
        } else {
            out_node_ttl(T, node);
            out_ch(w, ' ');
            out_node_ttl(T, pred);
        }
        out_put(w, " \"", 2);
        out_put(w, txt, pt__f32vector_encode(buf, dim, txt));
        out_put(w, "\"^^", 3);
        out_iri(w, PT_F32VECTOR);
        out_put(w, " .\n", 3);
    }
    pt__free(ctx, buf);
    pt__free(ctx, txt);
    return PT_OK;
}

/* ==== Turtle =============================================================================== */

/* Room for the well-known prefixes write_turtle() adds to the graph's own. */
#define EX_KNOWN_PREFIXES 8

/* Turtle writer state: the graph's usable prefixes and, per node, which prefix shortens it. */
typedef struct ttl {
    ex_out *w;
    const pt_graph *g;
    size_t n_pfx;
    const char **pfx_name, **pfx_iri;
    size_t *pfx_len;
    int32_t *short_of; /* per node: prefix index, -1 none, -2 not yet computed */
    pt_node_id rdf_type;
    pt_node_id xsd_integer, xsd_decimal, xsd_double, xsd_boolean;
} ttl;

/* True when `s` is a PN_PREFIX we can write: an ASCII letter, then letters, digits, '_', '-'
 * and '.', not ending in '.'; the empty prefix is valid too. */
static int prefix_ok(const char *s) {
    if (s[0] == '\0') {
        return 1;
    }
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        return 0;
    }
    size_t i = 1;
    for (; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
            return 0;
        }
    }
    return s[i - 1] != '.';
}

/* True when hex digit. */
static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* True when `s` is a PN_LOCAL we can write without escapes (Turtle production [168s], ASCII
 * part): letters, digits, '_', ':' and %XX anywhere, '-' and '.' after the first character,
 * and no final '.'. The empty local name is valid ("schema:"). */
static int local_ok(const char *s) {
    size_t i = 0;
    for (; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_alnum(c) || c == '_' || c == ':') {
            continue;
        }
        if ((c == '-' || c == '.') && i > 0) {
            continue;
        }
        if (c == '%' && is_hex((unsigned char)s[i + 1]) && is_hex((unsigned char)s[i + 2])) {
            i += 2;
            continue;
        }
        return 0;
    }
    return i == 0 || s[i - 1] != '.';
}

/* Return the index of the prefix that shortens IRI node `v` (the longest namespace whose rest
 * is a valid local name), or -1. Cached per node. */
static int32_t short_prefix(ttl *T, pt_node_id v) {
    if (T->short_of != NULL && T->short_of[v] != -2) {
        return T->short_of[v];
    }
    const char *s = pt_graph_node_str(T->g, v);
    int32_t best = -1;
    for (size_t i = 0; i < T->n_pfx; i++) {
        size_t k = T->pfx_len[i];
        if ((best < 0 || k > T->pfx_len[best]) && strncmp(s, T->pfx_iri[i], k) == 0 &&
            local_ok(s + k)) {
            best = (int32_t)i;
        }
    }
    if (T->short_of != NULL) {
        T->short_of[v] = best;
    }
    return best;
}

/* Write node `v` as a Turtle term: prefixed name, <IRI> or _:label. */
static void out_node_ttl(struct ttl *T, pt_node_id v) {
    if (pt_graph_node_kind(T->g, v) == PT_TERM_BLANK) {
        out_blank(T->w, pt_graph_node_str(T->g, v));
        return;
    }
    int32_t p = short_prefix(T, v);
    if (p < 0) {
        out_iri(T->w, pt_graph_node_str(T->g, v));
        return;
    }
    out_str(T->w, T->pfx_name[p]);
    out_ch(T->w, ':');
    out_str(T->w, pt_graph_node_str(T->g, v) + T->pfx_len[p]);
}

/* Match an unsigned canonical integer at `*s`: "0" or a digit string without a leading zero.
 * Advances `*s` and returns 1 when one is there. */
static int canon_uint(const char **s) {
    const char *p = *s;
    if (*p == '0') {
        *s = p + 1;
        return 1;
    }
    if (*p < '1' || *p > '9') {
        return 0;
    }
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    *s = p;
    return 1;
}

/* Match the fraction digits of a canonical decimal or double mantissa at `*s`: "0", or digits
 * whose last one is not '0'. Advances `*s` and returns 1 when they are there. */
static int canon_frac(const char **s) {
    const char *p = *s;
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    if (p == *s || (p[-1] == '0' && p - *s > 1)) {
        return 0;
    }
    *s = p;
    return 1;
}

/* True when `lex` is the canonical form (XML Schema 1.1 Part 2, sections 3.3.3, 3.3.13 and
 * 3.3.5) of an xsd:integer (kind 0), xsd:decimal (1) or xsd:double (2), which is also what
 * Turtle's bare INTEGER, DECIMAL and DOUBLE productions read back unchanged: "42", "-1.5",
 * "1.0E3". Non-canonical forms ("042", "+5", "19.90", "1e3", "INF") are written quoted. */
static int number_ok(const char *lex, int kind) {
    const char *s = lex;
    int neg = *s == '-';
    if (neg) {
        s++;
    }
    const char *int_start = s;
    if (!canon_uint(&s)) {
        return 0;
    }
    if (kind == 0) {
        return *s == '\0' && !(neg && *int_start == '0');
    }
    if (*s++ != '.') {
        return 0;
    }
    const char *frac_start = s;
    if (!canon_frac(&s)) {
        return 0;
    }
    int zero = *int_start == '0' && *frac_start == '0' && s - frac_start == 1;
    if (kind == 1) {
        return *s == '\0' && !(neg && zero);
    }
    /* double: one digit before the point, not 0 unless the whole value is 0.0E0 */
    if (frac_start - int_start != 2 || (*int_start == '0' && !zero) || *s++ != 'E') {
        return 0;
    }
    int exp_neg = *s == '-';
    if (exp_neg) {
        s++;
    }
    const char *exp_start = s;
    if (!canon_uint(&s) || *s != '\0' || (exp_neg && *exp_start == '0')) {
        return 0;
    }
    return !zero || *exp_start == '0'; /* zero is "0.0E0" only */
}

/* Write literal `lit` in Turtle form, bare when a number or boolean reads back the same. */
static void out_literal_ttl(ttl *T, const pt_literal *lit) {
    if (lit->lang != NULL && lit->lang[0] != '\0') {
        out_string(T->w, lit->lex);
        out_lang(T->w, lit->lang);
        return;
    }
    pt_node_id dt = lit->datatype;
    if (dt != PT_NONE) {
        int bare = (dt == T->xsd_integer && number_ok(lit->lex, 0)) ||
                   (dt == T->xsd_decimal && number_ok(lit->lex, 1)) ||
                   (dt == T->xsd_double && number_ok(lit->lex, 2)) ||
                   (dt == T->xsd_boolean &&
                    (strcmp(lit->lex, "true") == 0 || strcmp(lit->lex, "false") == 0));
        if (bare) {
            out_str(T->w, lit->lex);
            return;
        }
    }
    out_string(T->w, lit->lex);
    if (dt != PT_NONE) {
        out_put(T->w, "^^", 2);
        out_node_ttl(T, dt);
    }
}

/* Write the predicate `p` of a Turtle block ("a" for rdf:type). */
static void out_pred_ttl(ttl *T, pt_node_id p) {
    if (p == T->rdf_type) {
        out_ch(T->w, 'a');
    } else {
        out_node_ttl(T, p);
    }
}

/* Write the block of subject `v` (its edges, then its literals) if it has any triple. */
static void write_subject(ttl *T, pt_node_id v) {
    pt_edge_iter it;
    pt_edge e;
    pt_literal lit;
    pt_node_id last = PT_NONE;
    int any = 0;
    ex_out *w = T->w;

    pt_graph_edges(T->g, v, 0, PT_NONE, &it);
    while (pt_graph_edge_next(&it, &e)) {
        if (any && e.pred == last) {
            out_put(w, " , ", 3);
        } else {
            if (any) {
                out_put(w, " ;\n    ", 7);
            } else {
                out_node_ttl(T, v);
                out_ch(w, ' ');
                any = 1;
            }
            out_pred_ttl(T, e.pred);
            out_ch(w, ' ');
        }
        out_node_ttl(T, e.dst);
        last = e.pred;
    }
    uint64_t nl = pt_graph_literal_count_of(T->g, v);
    for (uint64_t i = 0; i < nl; i++) {
        if (pt_graph_literal(T->g, v, i, &lit) != PT_OK) {
            continue;
        }
        if (any && lit.pred == last) {
            out_put(w, " , ", 3);
        } else {
            if (any) {
                out_put(w, " ;\n    ", 7);
            } else {
                out_node_ttl(T, v);
                out_ch(w, ' ');
                any = 1;
            }
            out_pred_ttl(T, lit.pred);
            out_ch(w, ' ');
        }
        out_literal_ttl(T, &lit);
        last = lit.pred;
    }
    if (any) {
        out_put(w, " .\n", 3);
    }
}

/* Write `g` as Turtle. Returns PT_OK or PT_ENOMEM (the prefix tables). */
static int write_turtle(ex_out *w, pt_ctx *ctx, const pt_graph *g) {
    ttl T;
    int rc = PT_OK;
    size_t np = pt_graph_prefix_count(g);
    uint32_t n = pt_graph_node_count(g);

    memset(&T, 0, sizeof T);
    T.w = w;
    T.g = g;
    T.pfx_name = pt__calloc(ctx, np + EX_KNOWN_PREFIXES, sizeof *T.pfx_name);
    T.pfx_iri = pt__calloc(ctx, np + EX_KNOWN_PREFIXES, sizeof *T.pfx_iri);
    T.pfx_len = pt__calloc(ctx, np + EX_KNOWN_PREFIXES, sizeof *T.pfx_len);
    T.short_of = n > 0 ? pt__malloc(ctx, (size_t)n * sizeof *T.short_of) : NULL;
    if (T.pfx_name == NULL || T.pfx_iri == NULL || T.pfx_len == NULL ||
        (n > 0 && T.short_of == NULL)) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory exporting Turtle");
        goto done;
    }
    for (uint32_t v = 0; v < n; v++) {
        T.short_of[v] = -2;
    }
    /* Later prefixes win (pt_builder_add_prefix), so keep only the last of each name. */
    for (size_t i = 0; i < np; i++) {
        const char *name, *iri;
        if (pt_graph_prefix(g, i, &name, &iri) != PT_OK || name == NULL || iri == NULL ||
            !prefix_ok(name)) {
            continue;
        }
        size_t j = 0;
        while (j < T.n_pfx && strcmp(T.pfx_name[j], name) != 0) {
            j++;
        }
        T.pfx_name[j] = name;
        T.pfx_iri[j] = iri;
        T.pfx_len[j] = strlen(iri);
        if (j == T.n_pfx) {
            T.n_pfx++;
        }
    }
    /* Well-known namespaces the graph did not name, so that a graph read from N-Triples still
     * comes out readable. A name or namespace the graph already uses is left alone. */
    static const char *const known[][2] = {
        {"rdf", PT_RDF_NS},   {"rdfs", PT_RDFS_NS},     {"xsd", PT_XSD_NS},
        {"owl", PT_OWL_NS},   {"skos", PT_SKOS_NS},     {"schema", PT_SCHEMA_NS},
        {"gr", PT_GR_NS},     {"pt", PT_NS},
    };
    size_t n_graph = T.n_pfx;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        int clash = 0;
        for (size_t i = 0; i < n_graph && !clash; i++) {
            clash = strcmp(T.pfx_name[i], known[k][0]) == 0 ||
                    strcmp(T.pfx_iri[i], known[k][1]) == 0;
        }
        if (!clash) {
            T.pfx_name[T.n_pfx] = known[k][0];
            T.pfx_iri[T.n_pfx] = known[k][1];
            T.pfx_len[T.n_pfx] = strlen(known[k][1]);
            T.n_pfx++;
        }
    }
    for (size_t i = 0; i < T.n_pfx; i++) {
        out_put(w, "@prefix ", 8);
        out_str(w, T.pfx_name[i]);
        out_put(w, ": ", 2);
        out_iri(w, T.pfx_iri[i]);
        out_put(w, " .\n", 3);
    }
    if (T.n_pfx > 0) {
        out_ch(w, '\n');
    }
    T.rdf_type = pt_graph_lookup(g, PT_RDF_TYPE, strlen(PT_RDF_TYPE), PT_TERM_IRI);
    T.xsd_integer = pt_graph_lookup(g, PT_XSD_INTEGER, strlen(PT_XSD_INTEGER), PT_TERM_IRI);
    T.xsd_decimal = pt_graph_lookup(g, PT_XSD_DECIMAL, strlen(PT_XSD_DECIMAL), PT_TERM_IRI);
    T.xsd_double = pt_graph_lookup(g, PT_XSD_DOUBLE, strlen(PT_XSD_DOUBLE), PT_TERM_IRI);
    T.xsd_boolean = pt_graph_lookup(g, PT_XSD_NS "boolean", strlen(PT_XSD_NS "boolean"),
                                    PT_TERM_IRI);
    for (pt_node_id v = 0; v < n && w->err == 0; v++) {
        if ((v & 0xFFFF) == 0) {
            pt__progress(ctx, "write", v, n);
        }
        write_subject(&T, v);
    }
    rc = write_vectors(w, ctx, g, &T);
done:
    pt__free(ctx, T.pfx_name);
    pt__free(ctx, T.pfx_iri);
    pt__free(ctx, T.pfx_len);
    pt__free(ctx, T.short_of);
    return rc;
}

/* ==== API ================================================================================== */

int pt_export_rdf(pt_ctx *ctx, const pt_graph *g, const char *format, const char *path) {
    ex_out w;
    int rc = PT_OK, turtle;

    if (g == NULL || format == NULL) {
        return pt__error(ctx, PT_EINVAL, "pt_export_rdf: graph or format is NULL");
    }
    if (strcasecmp(format, "ntriples") == 0) {
        turtle = 0;
    } else if (strcasecmp(format, "turtle") == 0) {
        turtle = 1;
    } else {
        return pt__error(ctx, PT_EINVAL, "unknown export format '%s' (ntriples, turtle)", format);
    }
    int to_stdout = path == NULL || strcmp(path, "-") == 0;
    const char *name = to_stdout ? "<stdout>" : path;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.fd = to_stdout ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w.fd < 0) {
        return pt__error(ctx, PT_EIO, "%s: %s", name, strerror(errno));
    }
    w.buf = pt__malloc(ctx, EX_BUF_SIZE);
    if (w.buf == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory exporting to %s", name);
        goto done;
    }
    if (turtle) {
        rc = write_turtle(&w, ctx, g);
    } else {
        write_ntriples(&w, g);
        rc = write_vectors(&w, ctx, g, NULL);
    }
    out_flush(&w);
done:
    if (!to_stdout && close(w.fd) != 0 && w.err == 0) {
        w.err = errno;
    }
    if (rc == PT_OK && w.err != 0) {
        rc = pt__error(ctx, PT_EIO, "%s: write failed: %s", name, strerror(w.err));
    }
    pt__free(ctx, w.buf);
    return rc;
}
