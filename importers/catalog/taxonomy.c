/*
 * taxonomy.c - the Google product taxonomy ("ID - A > B > C" per line) as SKOS concepts, and
 * the small helpers both catalogue importers share (catalog.h).
 *
 * Each data line becomes the node <https://w3id.org/portrait/gpt/ID>, typed skos:Concept and
 * pt:Category, with skos:prefLabel "C"@lang (the last path element), skos:notation "ID" and
 * skos:broader to the concept of its parent path ("A > B"), looked up by full path within the
 * same file. The IRI depends on the id only, so the en-US and zh-CN files describe the same
 * concepts and add their labels to them; the Merchant feed importer (feed.c) links items to
 * the same IRIs through g:google_product_category.
 *
 * Parents are resolved after the whole file is read (a child may come before its parent). A
 * path whose parent is missing (Google's zh-CN file has 8) is an orphan: it is attached to its
 * nearest existing ancestor, the longest prefix of its path present in the file, or left a root
 * when none is; every orphan is counted in pt_import_stats.n_orphans and logged as a warning
 * with file:line. Parents are strictly shorter paths, so one file cannot make a cycle.
 *
 * A taxonomy is reference data: a line that is not "ID - PATH" (no id, no " - ", an empty path
 * element, invalid UTF-8) or an id given twice fails the import with PT_EPARSE and
 * "file:line: reason"; there is no skipping mode. Lines starting with '#' and blank lines are
 * ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "graph/graph.h"
#include "io/reader.h"

/* ==== shared helpers (catalog.h) ========================================================== */

/* Make room for `extra` more bytes plus the NUL; sets the sticky flag on failure. */
static int buf_room(pt__cat_buf *b, size_t extra) {
    if (b->oom) {
        return -1;
    }
    if (b->len + extra + 1 <= b->cap) {
        return 0;
    }
    size_t cap = b->cap < 128 ? 128 : b->cap;
    while (cap < b->len + extra + 1) {
        cap *= 2;
    }
    char *p = pt__realloc(b->ctx, b->s, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->s = p;
    b->cap = cap;
    return 0;
}

void pt__cat_buf_reset(pt__cat_buf *b) {
    b->len = 0;
    if (b->s != NULL) {
        b->s[0] = '\0';
    }
}

void pt__cat_buf_put(pt__cat_buf *b, const char *s, size_t n) {
    if (buf_room(b, n) != 0) {
        return;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* True for the bytes an IRI path segment keeps as they are (RFC 3987 iunreserved; bytes of
 * non-ASCII UTF-8 sequences count as ucschar). */
static int iunreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c >= 0x80;
}

void pt__cat_buf_pct(pt__cat_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    if (buf_room(b, 3 * n) != 0) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (iunreserved(c)) {
            b->s[b->len++] = (char)c;
        } else {
            b->s[b->len++] = '%';
            b->s[b->len++] = hex[c >> 4];
            b->s[b->len++] = hex[c & 15];
        }
    }
    b->s[b->len] = '\0';
}

void pt__cat_buf_slug(pt__cat_buf *b, const char *s, size_t n) {
    if (buf_room(b, n) != 0) {
        return;
    }
    size_t start = b->len;
    int dash = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c - 'A' + 'a');
            keep = 1;
        }
        if (keep) {
            if (dash && b->len > start) {
                b->s[b->len++] = '-';
            }
            dash = 0;
            b->s[b->len++] = (char)c;
        } else {
            dash = 1;
        }
    }
    b->s[b->len] = '\0';
    if (b->len == start) {
        pt__cat_buf_pct(b, n > 0 ? s : "_", n > 0 ? n : 1);
    }
}

void pt__cat_buf_free(pt__cat_buf *b) {
    pt__free(b->ctx, b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* One slot of pt__cat_map: the key (in the arena) and its value; key NULL = empty. */
struct pt__cat_slot {
    const char *key;
    size_t len;
    uint64_t hash;
    uint32_t value;
};

void pt__cat_map_init(pt__cat_map *m, pt_ctx *ctx) {
    memset(m, 0, sizeof *m);
    pt__arena_init(&m->arena, ctx, (size_t)64 << 10);
}

uint32_t pt__cat_map_get(const pt__cat_map *m, const char *k, size_t n) {
    if (m->slots == NULL) {
        return UINT32_MAX;
    }
    uint64_t h = pt__hash(k, n, 0x9e3779b9u);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const struct pt__cat_slot *s = &m->slots[i];
        if (s->key == NULL) {
            return UINT32_MAX;
        }
        if (s->hash == h && s->len == n && memcmp(s->key, k, n) == 0) {
            return s->value;
        }
    }
}

/* Double the table (or make the first one, 64 slots). Returns 0 or -1 (out of memory). */
static int map_grow(pt__cat_map *m) {
    size_t n = m->slots == NULL ? 64 : (m->mask + 1) * 2;
    struct pt__cat_slot *t = pt__calloc(m->arena.ctx, n, sizeof *t);
    if (t == NULL) {
        return -1;
    }
    if (m->slots != NULL) {
        for (size_t i = 0; i <= m->mask; i++) {
            if (m->slots[i].key != NULL) {
                size_t j = m->slots[i].hash & (n - 1);
                while (t[j].key != NULL) {
                    j = (j + 1) & (n - 1);
                }
                t[j] = m->slots[i];
            }
        }
        pt__free(m->arena.ctx, m->slots);
    }
    m->slots = t;
    m->mask = n - 1;
    return 0;
}

int pt__cat_map_put(pt__cat_map *m, const char *k, size_t n, uint32_t v) {
    if (m->oom) {
        return -1;
    }
    /* keep the load under 1/2 so probes stay short */
    if ((m->slots == NULL || (m->used + 1) * 2 > m->mask + 1) && map_grow(m) != 0) {
        m->oom = 1;
        return -1;
    }
    uint64_t h = pt__hash(k, n, 0x9e3779b9u);
    size_t i = h & m->mask;
    for (; m->slots[i].key != NULL; i = (i + 1) & m->mask) {
        const struct pt__cat_slot *s = &m->slots[i];
        if (s->hash == h && s->len == n && memcmp(s->key, k, n) == 0) {
            return 0;
        }
    }
    char *copy = pt__arena_strndup(&m->arena, k, n);
    if (copy == NULL) {
        m->oom = 1;
        return -1;
    }
    m->slots[i].key = copy;
    m->slots[i].len = n;
    m->slots[i].hash = h;
    m->slots[i].value = v;
    m->used++;
    return 1;
}

void pt__cat_map_free(pt__cat_map *m) {
    pt__free(m->arena.ctx, m->slots);
    pt__arena_free(&m->arena);
    m->slots = NULL;
}

void pt__cat_trim(const char **s, size_t *n) {
    while (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t' || (*s)[0] == '\r' || (*s)[0] == '\n')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
                      (*s)[*n - 1] == '\n')) {
        (*n)--;
    }
}

void pt__cat_lang_from_name(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    out[0] = '\0';
    /* Google names its files "taxonomy-with-ids.<ll>-<CC>.txt": look for ".ll-" or ".ll." or
     * ".ll_" with two lower-case letters. */
    for (const char *p = base; *p != '\0'; p++) {
        if (p[0] == '.' && p[1] >= 'a' && p[1] <= 'z' && p[2] >= 'a' && p[2] <= 'z' &&
            (p[3] == '-' || p[3] == '_') && cap >= 3) {
            out[0] = p[1];
            out[1] = p[2];
            out[2] = '\0';
            return;
        }
    }
}

int pt__cat_lang_ok(const char *s) {
    size_t run = 0;
    int first = 1;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
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

/* ==== the taxonomy importer ================================================================= */

/* One concept read from the file. Its path ("A > B > C", normalised: elements trimmed, joined
 * by " > ") lives in the job's arena. */
typedef struct tx_entry {
    const char *path;
    size_t path_len;
    uint32_t n_elems;
    uint64_t line;
    pt_node_id node;
} tx_entry;

/* One import in progress. */
typedef struct tx_job {
    pt_ctx *ctx;
    pt_builder *b;
    const char *path;
    char lang[32];
    size_t lang_len;
    pt__arena arena;
    tx_entry *entries;
    size_t n_entries, entries_cap;
    pt__cat_map by_path; /* normalised path -> entry index */
    pt__cat_map by_id;   /* id -> entry index */
    pt__cat_buf iri;
    pt__cat_buf norm;
    pt_node_id p_type, p_label, p_notation, p_broader, c_concept, c_category;
} tx_job;

/* Intern the well-known predicates and classes once, at the first data line (skos:broader
 * waits for the first parent link), so that no vocabulary node is left unused. */
static void tx_vocab(tx_job *J) {
    J->p_type = pt_builder_intern(J->b, PT_RDF_TYPE, strlen(PT_RDF_TYPE), PT_TERM_IRI);
    J->p_label = pt_builder_intern(J->b, PT_SKOS_PREFLABEL, strlen(PT_SKOS_PREFLABEL), PT_TERM_IRI);
    J->p_notation =
        pt_builder_intern(J->b, PT_SKOS_NOTATION, strlen(PT_SKOS_NOTATION), PT_TERM_IRI);
    J->c_concept = pt_builder_intern(J->b, PT_SKOS_CONCEPT, strlen(PT_SKOS_CONCEPT), PT_TERM_IRI);
    J->c_category = pt_builder_intern(J->b, PT_CATEGORY, strlen(PT_CATEGORY), PT_TERM_IRI);
}

/* Fail with PT_EPARSE "file:line: reason". */
static int tx_bad(tx_job *J, uint64_t line, const char *why) {
    return pt__error(J->ctx, PT_EPARSE, "%s:%llu: %s", J->path, (unsigned long long)line, why);
}

/*
 * Parse one data line "ID - A > B > C" (trailing "\r" and blanks already trimmed) and record its
 * concept: the node with its types, label and notation. The parent link waits for the end of
 * the file. Returns PT_OK, PT_EPARSE or PT_ENOMEM.
 */
static int tx_line(tx_job *J, const char *s, size_t n, uint64_t line) {
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    if (i == 0) {
        return tx_bad(J, line, "expected 'ID - Category > Path': the line has no numeric id");
    }
    if (i > 18) {
        return tx_bad(J, line, "category id longer than 18 digits");
    }
    size_t id_len = i;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    if (i >= n || s[i] != '-' || i == id_len) {
        return tx_bad(J, line, "expected ' - ' after the category id");
    }
    i++;
    if (i >= n || (s[i] != ' ' && s[i] != '\t')) {
        return tx_bad(J, line, "expected ' - ' after the category id");
    }
    const char *p = s + i;
    size_t pn = n - i;
    pt__cat_trim(&p, &pn);
    if (pn == 0) {
        return tx_bad(J, line, "the category path is empty");
    }
    if (!pt__rdf_utf8_valid(p, pn) || memchr(p, '\0', pn) != NULL) {
        return tx_bad(J, line, "invalid UTF-8 (or a NUL byte) in the category path");
    }
    /* Normalise the path: split on '>', trim, rejoin with " > ". */
    pt__cat_buf_reset(&J->norm);
    uint32_t n_elems = 0;
    const char *last = NULL;
    size_t last_len = 0;
    for (size_t a = 0; a <= pn;) {
        size_t z = a;
        while (z < pn && p[z] != '>') {
            z++;
        }
        const char *e = p + a;
        size_t en = z - a;
        pt__cat_trim(&e, &en);
        if (en == 0) {
            return tx_bad(J, line, "empty element in the category path");
        }
        if (n_elems > 0) {
            pt__cat_buf_put(&J->norm, " > ", 3);
        }
        pt__cat_buf_put(&J->norm, e, en);
        last = e;
        last_len = en;
        n_elems++;
        a = z + 1;
    }
    if (J->norm.oom) {
        return pt__error(J->ctx, PT_ENOMEM, "%s: out of memory", J->path);
    }
    uint32_t dup = pt__cat_map_get(&J->by_id, s, id_len);
    if (dup != UINT32_MAX) {
        char msg[96];
        snprintf(msg, sizeof msg, "category id %.*s is already given on line %llu", (int)id_len, s,
                 (unsigned long long)J->entries[dup].line);
        return tx_bad(J, line, msg);
    }
    if (pt__grow(J->ctx, (void **)&J->entries, &J->entries_cap, J->n_entries + 1,
                 sizeof *J->entries) != PT_OK) {
        return pt__error(J->ctx, PT_ENOMEM, "%s: out of memory", J->path);
    }
    tx_entry *e = &J->entries[J->n_entries];
    e->path = pt__arena_strndup(&J->arena, J->norm.s, J->norm.len);
    e->path_len = J->norm.len;
    e->n_elems = n_elems;
    e->line = line;
    pt__cat_buf_reset(&J->iri);
    pt__cat_buf_put(&J->iri, PT_GPT_NS, strlen(PT_GPT_NS));
    pt__cat_buf_put(&J->iri, s, id_len);
    if (e->path == NULL || J->iri.oom ||
        pt__cat_map_put(&J->by_id, s, id_len, (uint32_t)J->n_entries) < 0 ||
        pt__cat_map_put(&J->by_path, e->path, e->path_len, (uint32_t)J->n_entries) < 0) {
        return pt__error(J->ctx, PT_ENOMEM, "%s: out of memory", J->path);
    }
    e->node = pt_builder_intern(J->b, J->iri.s, J->iri.len, PT_TERM_IRI);
    if (e->node == PT_NONE) {
        return pt__error(J->ctx, PT_ENOMEM, "%s: out of memory", J->path);
    }
    J->n_entries++;
    pt_builder_add_edge(J->b, e->node, J->p_type, J->c_concept, 1.0f, PT_TIME_UNKNOWN);
    pt_builder_add_edge(J->b, e->node, J->p_type, J->c_category, 1.0f, PT_TIME_UNKNOWN);
    pt_builder_add_literal(J->b, e->node, J->p_label, last, last_len, PT_NONE, J->lang,
                           J->lang_len);
    pt_builder_add_literal(J->b, e->node, J->p_notation, s, id_len, PT_NONE, NULL, 0);
    return PT_OK;
}

/*
 * Link every concept to its parent: the concept whose path is this path without its last
 * element, or, for an orphan, the longest prefix that exists. Orphans are counted and logged.
 * Returns the number of orphans.
 */
static uint64_t tx_link(tx_job *J) {
    uint64_t orphans = 0;
    for (size_t k = 0; k < J->n_entries; k++) {
        const tx_entry *e = &J->entries[k];
        if (e->n_elems < 2) {
            continue;
        }
        /* prefix lengths: end of each " > " separator, from the last one back */
        size_t len = e->path_len;
        uint32_t up = 0;
        uint32_t parent = UINT32_MAX;
        while (parent == UINT32_MAX) {
            size_t cut = len;
            while (cut >= 3 && memcmp(e->path + cut - 3, " > ", 3) != 0) {
                cut--;
            }
            if (cut < 3) {
                break;
            }
            len = cut - 3;
            up++;
            parent = pt__cat_map_get(&J->by_path, e->path, len);
        }
        if (parent != UINT32_MAX) {
            if (J->p_broader == PT_NONE) {
                J->p_broader =
                    pt_builder_intern(J->b, PT_SKOS_BROADER, strlen(PT_SKOS_BROADER), PT_TERM_IRI);
            }
            pt_builder_add_edge(J->b, e->node, J->p_broader, J->entries[parent].node, 1.0f,
                                PT_TIME_UNKNOWN);
        }
        if (up > 1 || parent == UINT32_MAX) {
            orphans++;
            if (parent != UINT32_MAX) {
                pt__log(J->ctx, PT_LOG_WARN,
                        "%s:%llu: parent of '%s' is missing; attached to '%s' (line %llu)", J->path,
                        (unsigned long long)e->line, e->path, J->entries[parent].path,
                        (unsigned long long)J->entries[parent].line);
            } else {
                pt__log(J->ctx, PT_LOG_WARN,
                        "%s:%llu: no ancestor of '%s' is in the file; it stays a root", J->path,
                        (unsigned long long)e->line, e->path);
            }
        }
    }
    return orphans;
}

int pt_import_taxonomy(pt_builder *b, const char *path, const char *lang, pt_import_stats *st) {
    tx_job J;
    pt__reader *r = NULL;
    int rc = PT_OK;
    uint64_t n_read = 0;

    if (b == NULL) {
        return PT_EINVAL;
    }
    memset(&J, 0, sizeof J);
    J.ctx = pt__builder_ctx(b);
    J.b = b;
    if (path == NULL) {
        return pt__error(J.ctx, PT_EINVAL, "pt_import_taxonomy: path is NULL");
    }
    J.path = path;
    if (lang != NULL) {
        if (lang[0] != '\0' && (strlen(lang) >= sizeof J.lang || !pt__cat_lang_ok(lang))) {
            return pt__error(J.ctx, PT_EINVAL, "%s: invalid language tag '%s'", path, lang);
        }
        snprintf(J.lang, sizeof J.lang, "%s", lang);
    } else {
        pt__cat_lang_from_name(path, J.lang, sizeof J.lang);
    }
    J.lang_len = strlen(J.lang);
    pt__arena_init(&J.arena, J.ctx, (size_t)256 << 10);
    pt__cat_map_init(&J.by_path, J.ctx);
    pt__cat_map_init(&J.by_id, J.ctx);
    J.iri.ctx = J.norm.ctx = J.ctx;
    J.p_broader = PT_NONE;
    PT_TRY(pt__reader_open(J.ctx, path, &r));
    for (;;) {
        const char *s;
        size_t n;
        int got = pt__reader_line(r, &s, &n);
        if (got < 0) {
            rc = got;
            goto done;
        }
        if (got == 0) {
            break;
        }
        uint64_t line = pt__reader_lineno(r);
        if (line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3; /* UTF-8 byte order mark */
            n -= 3;
        }
        pt__cat_trim(&s, &n);
        if (n == 0 || s[0] == '#') {
            continue;
        }
        if (n_read++ == 0) {
            tx_vocab(&J); /* not before: an empty file leaves no unused vocabulary nodes */
        }
        PT_TRY(tx_line(&J, s, n, line));
    }
    uint64_t orphans = tx_link(&J);
    if (orphans > 0) {
        pt__log(J.ctx, PT_LOG_WARN, "%s: %llu categories attached to a farther ancestor", path,
                (unsigned long long)orphans);
    }
    if (st != NULL) {
        st->rows_read += n_read;
        st->rows_imported += J.n_entries;
        st->n_orphans += orphans;
    }
    pt__progress(J.ctx, "parse", pt__reader_bytes(r), pt__reader_file_size(r));
done:
    if (st != NULL && r != NULL) {
        st->bytes += pt__reader_bytes(r);
    }
    pt__reader_close(r);
    pt__cat_map_free(&J.by_path);
    pt__cat_map_free(&J.by_id);
    pt__arena_free(&J.arena);
    pt__cat_buf_free(&J.iri);
    pt__cat_buf_free(&J.norm);
    pt__free(J.ctx, J.entries);
    return rc;
}
