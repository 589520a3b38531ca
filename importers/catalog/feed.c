/*
 * feed.c - XML product catalogues into the graph: Google Merchant Center feeds (RSS 2.0 and
 * Atom with the g: namespace) and BMEcat (1.2 and 2005), both read with libxml2's streaming
 * reader (xmlTextReader) fed from pt__reader, so .gz files work and only one record (an item,
 * a product, a catalogue group) is ever expanded into a small tree at a time.
 *
 * Safety: the reader runs with XML_PARSE_NONET and without XML_PARSE_NOENT, XML_PARSE_DTDLOAD
 * or XML_PARSE_HUGE, so no DTD or external entity is fetched and libxml2's size limits hold.
 * Text is collected from text and CDATA nodes only; references to entities declared in a
 * DOCTYPE are dropped, never expanded (which also rules out "billion laughs" blow-ups).
 *
 * Mapping (docs/IMPORT-CATALOG.md has the tables): an item is base+"item/"+ID typed pt:Item
 * with pt:title, pt:description, pt:price (xsd:decimal) and schema:priceCurrency; its brand is
 * pt:brand -> base+"brand/"+slug (pt:Brand, rdfs:label); its categories are pt:inCategory ->
 * pt:Category nodes (product_type paths become a chain base+"cat/"+slug/slug/... linked by
 * pt:broader; google_product_category ids link to the taxonomy concepts of taxonomy.c); colours,
 * sizes, BMEcat features and keywords become pt:hasTag -> tag nodes (pt:Tag, rdfs:label
 * "name: value"), so that the walk engine can use them; item_group_id becomes
 * schema:isVariantOf -> base+"group/"+ID (schema:ProductGroup).
 *
 * BMEcat catalogue groups are base+"cat/"+GROUP_ID; their PARENT_ID links are resolved at the
 * end of the file. A parent that is not in the file is an orphan (logged, counted; "0" and ""
 * mean "root"); a link that would close a cycle is dropped (logged, counted), so the hierarchy
 * handed to closure is always a forest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>

#include "catalog/catalog.h"
#include "graph/graph.h"
#include "io/reader.h"

/* ==== types ================================================================================ */

#define G_NS "http://base.google.com/ns/1.0"
#define PT_SCHEMA_PRICE_CURRENCY PT_SCHEMA_NS "priceCurrency"

enum { FD_SNIFF = 0, FD_MERCHANT, FD_BMECAT };

/* Report progress after every this many input bytes. */
#define FD_PROGRESS_STEP ((uint64_t)8 << 20)

/* A BMEcat catalogue group, kept until the end of the file to link parents. */
typedef struct fd_group {
    const char *id, *parent; /* in the job's arena; parent may be "" */
    uint64_t line;
    pt_node_id node;
    uint32_t linked; /* index + 1 of the parent actually linked, 0 none */
} fd_group;

/* The vocabulary this importer uses, interned on first use (fd_voc) so that a file that uses
 * no price or no brand leaves no unused predicate nodes in the graph. */
enum {
    V_P_TYPE,
    V_P_LABEL,
    V_P_TITLE,
    V_P_DESC,
    V_P_PRICE,
    V_P_CURRENCY,
    V_P_BRAND,
    V_P_INCAT,
    V_P_BROADER,
    V_P_HASTAG,
    V_P_VARIANT,
    V_P_URL,
    V_P_IMAGE,
    V_P_GTIN,
    V_P_MPN,
    V_P_CONDITION,
    V_P_AVAIL,
    V_P_GROUPID,
    V_P_PREFLABEL,
    V_P_NOTATION,
    V_C_ITEM,
    V_C_CAT,
    V_C_BRAND,
    V_C_TAG,
    V_C_GROUP,
    V_DT_DECIMAL,
    V_COUNT_
};

static const char *const voc_iri[V_COUNT_] = {
    [V_P_TYPE] = PT_RDF_TYPE,
    [V_P_LABEL] = PT_RDFS_LABEL,
    [V_P_TITLE] = PT_TITLE,
    [V_P_DESC] = PT_DESCRIPTION,
    [V_P_PRICE] = PT_PRICE,
    [V_P_CURRENCY] = PT_SCHEMA_PRICE_CURRENCY,
    [V_P_BRAND] = PT_BRAND_P,
    [V_P_INCAT] = PT_IN_CATEGORY,
    [V_P_BROADER] = PT_BROADER,
    [V_P_HASTAG] = PT_HAS_TAG,
    [V_P_VARIANT] = PT_SCHEMA_NS "isVariantOf",
    [V_P_URL] = PT_SCHEMA_NS "url",
    [V_P_IMAGE] = PT_SCHEMA_NS "image",
    [V_P_GTIN] = PT_SCHEMA_NS "gtin",
    [V_P_MPN] = PT_SCHEMA_NS "mpn",
    [V_P_CONDITION] = PT_SCHEMA_NS "itemCondition",
    [V_P_AVAIL] = PT_SCHEMA_NS "availability",
    [V_P_GROUPID] = PT_SCHEMA_NS "productGroupID",
    [V_P_PREFLABEL] = PT_SKOS_PREFLABEL,
    [V_P_NOTATION] = PT_SKOS_NOTATION,
    [V_C_ITEM] = PT_ITEM,
    [V_C_CAT] = PT_CATEGORY,
    [V_C_BRAND] = PT_BRAND,
    [V_C_TAG] = PT_TAG,
    [V_C_GROUP] = PT_SCHEMA_NS "ProductGroup",
    [V_DT_DECIMAL] = PT_XSD_DECIMAL,
};

/* One import in progress. */
typedef struct fd_job {
    pt_ctx *ctx;
    pt_builder *b;
    const char *path;
    pt__reader *r;
    xmlTextReaderPtr xr;
    int fmt;
    int code;      /* first failure of ours (message on the ctx), or PT_OK */
    int xml_error; /* libxml2 reported an error: errmsg and err_line */
    char errmsg[512];
    char generic[256]; /* libxml2's context-free messages ("encoder error"), caught not printed */
    size_t generic_len;
    long err_line;
    const char *base;
    pt__cat_buf iri, txt, lbl;
    pt__arena arena;
    char lang[16];     /* BMEcat HEADER/CATALOG/LANGUAGE as BCP 47, or "" */
    char currency[16]; /* BMEcat HEADER/CATALOG/CURRENCY, or "" */
    fd_group *groups;
    size_t n_groups, groups_cap;
    pt__cat_map group_ids;
    uint64_t n_read, n_imported, n_skipped, n_orphans, n_cycles;
    uint64_t next_progress, total;
    pt_import_stats *st;
    pt_node_id voc[V_COUNT_]; /* PT_NONE until first use */
} fd_job;

/* ==== helpers ============================================================================== */

/* Intern an IRI given as a NUL-terminated string. */
static pt_node_id iri_node(fd_job *J, const char *s) {
    return pt_builder_intern(J->b, s, strlen(s), PT_TERM_IRI);
}

/* Node of vocabulary term `k`, interned the first time; PT_NONE after an allocation failure
 * (the builder's sticky error makes pt_builder_finish report it). */
static pt_node_id fd_voc(fd_job *J, int k) {
    if (J->voc[k] == PT_NONE) {
        J->voc[k] = iri_node(J, voc_iri[k]);
    }
    return J->voc[k];
}

/* Record our own failure (first one wins). Returns the recorded code. */
static int fd_fail(fd_job *J, int code, const char *what) {
    if (J->code == PT_OK) {
        J->code = pt__error(J->ctx, code, "%s: %s", J->path, what);
    }
    return J->code;
}

/* Local name equality for libxml2 strings. */
static int is(const xmlChar *a, const char *b) {
    return a != NULL && strcmp((const char *)a, b) == 0;
}

/* Namespace URI of an element node, or NULL. */
static const char *ns_of(const xmlNode *n) {
    return n->ns != NULL && n->ns->href != NULL ? (const char *)n->ns->href : NULL;
}

/* Append the text of `n` (text and CDATA descendants; entity references dropped) to `out`. */
static void text_of(const xmlNode *n, pt__cat_buf *out, int depth) {
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content != NULL) {
                pt__cat_buf_put(out, (const char *)c->content, strlen((const char *)c->content));
            }
        } else if (c->type == XML_ELEMENT_NODE && depth < 8) {
            text_of(c, out, depth + 1);
        }
    }
}

/* The trimmed text of element `n` in J->txt; returns its length (0 when empty). */
static size_t text(fd_job *J, const xmlNode *n) {
    pt__cat_buf_reset(&J->txt);
    text_of(n, &J->txt, 0);
    if (J->txt.oom || J->txt.s == NULL) {
        return 0;
    }
    const char *s = J->txt.s;
    size_t len = J->txt.len;
    pt__cat_trim(&s, &len);
    memmove(J->txt.s, s, len);
    J->txt.s[len] = '\0';
    J->txt.len = len;
    return len;
}

/* First element child of `n` named `name` (any namespace), or NULL. */
static xmlNode *kid(const xmlNode *n, const char *name) {
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && is(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

/* Mint base + `kind` + `id` (percent-encoded when `pct`, else as a slug) and intern it. */
static pt_node_id mint(fd_job *J, const char *kind, const char *id, size_t n, int pct) {
    pt__cat_buf_reset(&J->iri);
    pt__cat_buf_put(&J->iri, J->base, strlen(J->base));
    pt__cat_buf_put(&J->iri, kind, strlen(kind));
    if (pct) {
        pt__cat_buf_pct(&J->iri, id, n);
    } else {
        pt__cat_buf_slug(&J->iri, id, n);
    }
    if (J->iri.oom) {
        return PT_NONE;
    }
    return pt_builder_intern(J->b, J->iri.s, J->iri.len, PT_TERM_IRI);
}

/* Add a plain literal for vocabulary predicate `p` (V_*), with language `lang` (may be ""). */
static void lit(fd_job *J, pt_node_id s, int p, const char *v, size_t n, const char *lang) {
    if (s == PT_NONE || n == 0) {
        return; /* and the predicate is not interned for nothing */
    }
    pt_builder_add_literal(J->b, s, fd_voc(J, p), v, n, PT_NONE, lang,
                           lang != NULL ? strlen(lang) : 0);
}

/* Add an edge for vocabulary predicate `p` (V_*), weight 1 and unknown time. Nothing (not even
 * the predicate node) is added when either end is PT_NONE. */
static void edge(fd_job *J, pt_node_id s, int p, pt_node_id o) {
    if (s != PT_NONE && o != PT_NONE) {
        pt_builder_add_edge(J->b, s, fd_voc(J, p), o, 1.0f, PT_TIME_UNKNOWN);
    }
}

/* Link item `item` to brand `name`: base+"brand/"+slug, typed pt:Brand, labelled. */
static void brand(fd_job *J, pt_node_id item, const char *name, size_t n) {
    pt_node_id br = mint(J, "brand/", name, n, 0);
    edge(J, item, V_P_BRAND, br);
    edge(J, br, V_P_TYPE, fd_voc(J, V_C_BRAND));
    lit(J, br, V_P_LABEL, name, n, NULL);
}

/* Link item to the tag base+"tag/"+slug(kind)+"/"+slug(value), labelled "kind: value". */
static void tag(fd_job *J, pt_node_id item, const char *kind, const char *value, size_t n) {
    pt__cat_buf_reset(&J->lbl);
    pt__cat_buf_put(&J->lbl, kind, strlen(kind));
    pt__cat_buf_put(&J->lbl, ": ", 2);
    pt__cat_buf_put(&J->lbl, value, n);
    pt__cat_buf_reset(&J->iri);
    pt__cat_buf_put(&J->iri, J->base, strlen(J->base));
    pt__cat_buf_put(&J->iri, "tag/", 4);
    pt__cat_buf_slug(&J->iri, kind, strlen(kind));
    pt__cat_buf_put(&J->iri, "/", 1);
    pt__cat_buf_slug(&J->iri, value, n);
    if (J->iri.oom || J->lbl.oom) {
        return;
    }
    pt_node_id t = pt_builder_intern(J->b, J->iri.s, J->iri.len, PT_TERM_IRI);
    edge(J, item, V_P_HASTAG, t);
    edge(J, t, V_P_TYPE, fd_voc(J, V_C_TAG));
    lit(J, t, V_P_LABEL, J->lbl.s, J->lbl.len, NULL);
}

/* True when s[0..n) is an xsd:decimal lexical form: [+-]? digits ('.' digits?)? or '.' digits. */
static int decimal_ok(const char *s, size_t n) {
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    return i == n && digits > 0;
}

/* Add pt:price (xsd:decimal) and, when given, schema:priceCurrency to `item`. A value that is
 * no decimal is logged and left out. */
static void price(fd_job *J, pt_node_id item, const char *amount, size_t an, const char *cur,
                  size_t cn, long line) {
    pt__cat_trim(&amount, &an);
    pt__cat_trim(&cur, &cn);
    if (!decimal_ok(amount, an)) {
        pt__log(J->ctx, PT_LOG_WARN, "%s:%ld: price '%.*s' is not a decimal; left out", J->path,
                line, (int)(an > 64 ? 64 : an), amount);
        return;
    }
    pt_builder_add_literal(J->b, item, fd_voc(J, V_P_PRICE), amount, an, fd_voc(J, V_DT_DECIMAL),
                           NULL, 0);
    if (cn > 0) {
        lit(J, item, V_P_CURRENCY, cur, cn, NULL);
    }
}

/* Note a record without an id: counted as skipped (PT_SKIP_MISSING) and logged. */
static void no_id(fd_job *J, const xmlNode *n, const char *what) {
    long line = (long)xmlGetLineNo(n);
    J->n_skipped++;
    pt__log(J->ctx, PT_LOG_WARN, "%s:%ld: %s without an id (skipped)", J->path, line, what);
    if (J->st != NULL) {
        J->st->skipped_by[PT_SKIP_MISSING]++;
        if (J->st->first_skip[0] == '\0') {
            snprintf(J->st->first_skip, sizeof J->st->first_skip, "%s:%ld: %s without an id",
                     J->path, line, what);
        }
    }
}

/* ==== Google Merchant Center ================================================================ */

/*
 * Link `item` to the category chain of `path` ("A > B > C"): the nodes `prefix`+slug(A),
 * prefix+slug(A)/slug(B), ... typed pt:Category, labelled with their last element (skos:
 * prefLabel for Google's own paths, rdfs:label otherwise), each pt:broader its parent.
 */
static void category_path(fd_job *J, pt_node_id item, const char *prefix, int google,
                          const char *path, size_t n) {
    pt__cat_buf chain = {J->ctx, NULL, 0, 0, 0};
    pt_node_id parent = PT_NONE, node = PT_NONE;
    pt__cat_buf_put(&chain, prefix, strlen(prefix));
    for (size_t a = 0; a <= n;) {
        size_t z = a;
        while (z < n && path[z] != '>') {
            z++;
        }
        const char *e = path + a;
        size_t en = z - a;
        a = z + 1;
        pt__cat_trim(&e, &en);
        if (en == 0) {
            continue;
        }
        if (parent != PT_NONE) {
            pt__cat_buf_put(&chain, "/", 1);
        }
        pt__cat_buf_slug(&chain, e, en);
        if (chain.oom) {
            break;
        }
        node = pt_builder_intern(J->b, chain.s, chain.len, PT_TERM_IRI);
        edge(J, node, V_P_TYPE, fd_voc(J, V_C_CAT));
        lit(J, node, google ? V_P_PREFLABEL : V_P_LABEL, e, en, NULL);
        edge(J, node, V_P_BROADER, parent);
        parent = node;
    }
    edge(J, item, V_P_INCAT, node);
    pt__cat_buf_free(&chain);
}

/* Import one RSS <item> or Atom <entry> (expanded subtree `n`). */
static void merchant_item(fd_job *J, const xmlNode *n) {
    pt_node_id item = PT_NONE;
    J->n_read++;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && is(c->name, "id") && ns_of(c) != NULL &&
            strcmp(ns_of(c), G_NS) == 0) {
            size_t len = text(J, c);
            if (len > 0) {
                item = mint(J, "item/", J->txt.s, len, 1);
            }
            break;
        }
    }
    if (item == PT_NONE) {
        no_id(J, n, "feed item");
        return;
    }
    J->n_imported++;
    edge(J, item, V_P_TYPE, fd_voc(J, V_C_ITEM));
    int have_title = 0, have_desc = 0, have_price = 0;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        const char *name = (const char *)c->name;
        const char *ns = ns_of(c);
        int g = ns != NULL && strcmp(ns, G_NS) == 0;
        if (strcmp(name, "link") == 0 && !g) {
            xmlChar *href = xmlGetProp(c, (const xmlChar *)"href"); /* Atom */
            if (href != NULL) {
                lit(J, item, V_P_URL, (const char *)href, strlen((const char *)href), NULL);
                xmlFree(href);
                continue;
            }
        }
        size_t len = text(J, c);
        const char *v = J->txt.s;
        if (len == 0) {
            continue;
        }
        if (strcmp(name, "title") == 0 && !have_title) {
            lit(J, item, V_P_TITLE, v, len, NULL);
            have_title = 1;
        } else if ((strcmp(name, "description") == 0 || strcmp(name, "summary") == 0 ||
                    strcmp(name, "content") == 0) &&
                   !have_desc) {
            lit(J, item, V_P_DESC, v, len, NULL);
            have_desc = 1;
        } else if (strcmp(name, "link") == 0) {
            lit(J, item, V_P_URL, v, len, NULL);
        } else if (!g) {
            continue; /* other RSS/Atom elements (guid, pubDate, ...) */
        } else if (strcmp(name, "price") == 0 && !have_price) {
            size_t k = 0;
            while (k < len && v[k] != ' ') {
                k++;
            }
            price(J, item, v, k, v + k, len - k, (long)xmlGetLineNo(c));
            have_price = 1;
        } else if (strcmp(name, "brand") == 0) {
            brand(J, item, v, len);
        } else if (strcmp(name, "gtin") == 0) {
            lit(J, item, V_P_GTIN, v, len, NULL);
        } else if (strcmp(name, "mpn") == 0) {
            lit(J, item, V_P_MPN, v, len, NULL);
        } else if (strcmp(name, "condition") == 0) {
            lit(J, item, V_P_CONDITION, v, len, NULL);
        } else if (strcmp(name, "availability") == 0) {
            lit(J, item, V_P_AVAIL, v, len, NULL);
        } else if (strcmp(name, "image_link") == 0) {
            lit(J, item, V_P_IMAGE, v, len, NULL);
        } else if (strcmp(name, "link") == 0) {
            lit(J, item, V_P_URL, v, len, NULL);
        } else if (strcmp(name, "google_product_category") == 0) {
            size_t d = 0;
            while (d < len && v[d] >= '0' && v[d] <= '9') {
                d++;
            }
            if (d == len && d <= 18) {
                pt__cat_buf_reset(&J->iri);
                pt__cat_buf_put(&J->iri, PT_GPT_NS, strlen(PT_GPT_NS));
                pt__cat_buf_put(&J->iri, v, len);
                pt_node_id cat = J->iri.oom
                                     ? PT_NONE
                                     : pt_builder_intern(J->b, J->iri.s, J->iri.len, PT_TERM_IRI);
                edge(J, item, V_P_INCAT, cat);
                edge(J, cat, V_P_TYPE, fd_voc(J, V_C_CAT));
            } else {
                category_path(J, item, PT_GPT_NS "path/", 1, v, len);
            }
        } else if (strcmp(name, "product_type") == 0) {
            pt__cat_buf pre = {J->ctx, NULL, 0, 0, 0};
            pt__cat_buf_put(&pre, J->base, strlen(J->base));
            pt__cat_buf_put(&pre, "cat/", 4);
            if (!pre.oom) {
                category_path(J, item, pre.s, 0, v, len); /* v stays valid: J->txt is not used */
            }
            pt__cat_buf_free(&pre);
        } else if (strcmp(name, "item_group_id") == 0) {
            pt_node_id grp = mint(J, "group/", v, len, 1);
            edge(J, item, V_P_VARIANT, grp);
            edge(J, grp, V_P_TYPE, fd_voc(J, V_C_GROUP));
            lit(J, grp, V_P_GROUPID, v, len, NULL);
        } else if (strcmp(name, "color") == 0 || strcmp(name, "size") == 0 ||
                   strcmp(name, "material") == 0 || strcmp(name, "pattern") == 0 ||
                   strcmp(name, "gender") == 0 || strcmp(name, "age_group") == 0 ||
                   strncmp(name, "custom_label_", 13) == 0) {
            tag(J, item, name, v, len);
        } else if (strcmp(name, "title") == 0 && !have_title) {
            lit(J, item, V_P_TITLE, v, len, NULL);
            have_title = 1;
        }
    }
}

/* ==== BMEcat ================================================================================ */

/* ISO 639-2 codes BMEcat uses ("deu") mapped to the BCP 47 form RDF prefers ("de"); other
 * well-formed codes are kept as they are, malformed ones dropped. */
static void bme_lang(const char *code, char *out, size_t cap) {
    static const char *const map[][2] = {{"deu", "de"}, {"ger", "de"}, {"eng", "en"}, {"fra", "fr"},
                                         {"fre", "fr"}, {"ita", "it"}, {"spa", "es"}, {"nld", "nl"},
                                         {"dut", "nl"}, {"pol", "pl"}, {"zho", "zh"}, {"chi", "zh"},
                                         {"ces", "cs"}, {"dan", "da"}, {"swe", "sv"}};
    out[0] = '\0';
    if (code == NULL) {
        return;
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcasecmp(code, map[i][0]) == 0) {
            snprintf(out, cap, "%s", map[i][1]);
            return;
        }
    }
    if (strlen(code) < cap && pt__cat_lang_ok(code)) {
        snprintf(out, cap, "%s", code);
    }
}

/* Language of element `n`: its lang attribute, else the catalogue's. */
static void lang_of(fd_job *J, const xmlNode *n, char *out, size_t cap) {
    xmlChar *a = xmlGetProp(n, (const xmlChar *)"lang");
    if (a != NULL) {
        bme_lang((const char *)a, out, cap);
        xmlFree(a);
        return;
    }
    snprintf(out, cap, "%s", J->lang);
}

/* Read LANGUAGE and CURRENCY from the HEADER's CATALOG. */
static void bme_header(fd_job *J, const xmlNode *n) {
    const xmlNode *cat = kid(n, "CATALOG");
    if (cat == NULL) {
        return;
    }
    const xmlNode *l = kid(cat, "LANGUAGE");
    if (l != NULL && text(J, l) > 0) {
        bme_lang(J->txt.s, J->lang, sizeof J->lang);
    }
    const xmlNode *c = kid(cat, "CURRENCY");
    if (c != NULL && text(J, c) > 0 && J->txt.len < sizeof J->currency) {
        snprintf(J->currency, sizeof J->currency, "%s", J->txt.s);
    }
}

/* Import one CATALOG_STRUCTURE: the group node now, its parent link at the end. */
static void bme_group(fd_job *J, const xmlNode *n) {
    char lang[16];
    J->n_read++;
    const xmlNode *idn = kid(n, "GROUP_ID");
    if (idn == NULL || text(J, idn) == 0) {
        no_id(J, n, "catalogue group");
        return;
    }
    const char *id = pt__arena_strndup(&J->arena, J->txt.s, J->txt.len);
    const xmlNode *pn = kid(n, "PARENT_ID");
    size_t plen = pn != NULL ? text(J, pn) : 0;
    const char *parent = pt__arena_strndup(&J->arena, plen > 0 ? J->txt.s : "", plen);
    if (id == NULL || parent == NULL ||
        pt__grow(J->ctx, (void **)&J->groups, &J->groups_cap, J->n_groups + 1, sizeof *J->groups) !=
            PT_OK) {
        fd_fail(J, PT_ENOMEM, "out of memory");
        return;
    }
    int fresh = pt__cat_map_put(&J->group_ids, id, strlen(id), (uint32_t)J->n_groups);
    if (fresh < 0) {
        fd_fail(J, PT_ENOMEM, "out of memory");
        return;
    }
    pt_node_id g = mint(J, "cat/", id, strlen(id), 1);
    J->n_imported++;
    edge(J, g, V_P_TYPE, fd_voc(J, V_C_CAT));
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (is(c->name, "GROUP_NAME") || is(c->name, "GROUP_DESCRIPTION")) {
            lang_of(J, c, lang, sizeof lang);
            size_t len = text(J, c);
            if (len > 0) {
                lit(J, g, is(c->name, "GROUP_NAME") ? V_P_LABEL : V_P_DESC, J->txt.s, len, lang);
            }
        }
    }
    if (fresh == 0) {
        pt__log(J->ctx, PT_LOG_WARN, "%s:%ld: catalogue group '%s' given twice; first parent kept",
                J->path, (long)xmlGetLineNo(n), id);
        return;
    }
    fd_group *gr = &J->groups[J->n_groups++];
    gr->id = id;
    gr->parent = parent;
    gr->line = (uint64_t)xmlGetLineNo(n);
    gr->node = g;
    gr->linked = 0;
}

/* Import the features of one ARTICLE_FEATURES / PRODUCT_FEATURES block as tags. */
static void bme_features(fd_job *J, pt_node_id item, const xmlNode *n) {
    for (const xmlNode *f = n->children; f != NULL; f = f->next) {
        if (f->type != XML_ELEMENT_NODE || !is(f->name, "FEATURE")) {
            continue;
        }
        const xmlNode *fn = kid(f, "FNAME");
        if (fn == NULL || text(J, fn) == 0) {
            continue;
        }
        pt__cat_buf name = {J->ctx, NULL, 0, 0, 0}, unit = {J->ctx, NULL, 0, 0, 0};
        pt__cat_buf val = {J->ctx, NULL, 0, 0, 0};
        pt__cat_buf_put(&name, J->txt.s, J->txt.len);
        const xmlNode *fu = kid(f, "FUNIT");
        if (fu != NULL && text(J, fu) > 0) {
            pt__cat_buf_put(&unit, J->txt.s, J->txt.len);
        }
        for (const xmlNode *v = f->children; v != NULL; v = v->next) {
            if (v->type != XML_ELEMENT_NODE || !is(v->name, "FVALUE") || text(J, v) == 0) {
                continue;
            }
            pt__cat_buf_reset(&val);
            pt__cat_buf_put(&val, J->txt.s, J->txt.len);
            if (unit.len > 0) {
                pt__cat_buf_put(&val, " ", 1);
                pt__cat_buf_put(&val, unit.s, unit.len);
            }
            if (!name.oom && !val.oom) {
                tag(J, item, name.s, val.s, val.len);
            }
        }
        pt__cat_buf_free(&name);
        pt__cat_buf_free(&unit);
        pt__cat_buf_free(&val);
    }
}

/* Import the DETAILS block of an article/product. */
static void bme_details(fd_job *J, pt_node_id item, const xmlNode *n) {
    char lang[16];
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        const char *name = (const char *)c->name;
        size_t len = text(J, c);
        if (len == 0) {
            continue;
        }
        if (strcmp(name, "DESCRIPTION_SHORT") == 0 || strcmp(name, "DESCRIPTION_LONG") == 0) {
            pt__cat_buf v = {J->ctx, NULL, 0, 0, 0};
            pt__cat_buf_put(&v, J->txt.s, len);
            lang_of(J, c, lang, sizeof lang);
            if (!v.oom) {
                lit(J, item, name[12] == 'S' ? V_P_TITLE : V_P_DESC, v.s, v.len, lang);
            }
            pt__cat_buf_free(&v);
        } else if (strcmp(name, "MANUFACTURER_NAME") == 0) {
            pt__cat_buf v = {J->ctx, NULL, 0, 0, 0};
            pt__cat_buf_put(&v, J->txt.s, len);
            if (!v.oom) {
                brand(J, item, v.s, v.len);
            }
            pt__cat_buf_free(&v);
        } else if (strcmp(name, "EAN") == 0 || strcmp(name, "INTERNATIONAL_PID") == 0) {
            lit(J, item, V_P_GTIN, J->txt.s, len, NULL);
        } else if (strcmp(name, "MANUFACTURER_AID") == 0 || strcmp(name, "MANUFACTURER_PID") == 0) {
            lit(J, item, V_P_MPN, J->txt.s, len, NULL);
        } else if (strcmp(name, "KEYWORD") == 0) {
            pt__cat_buf v = {J->ctx, NULL, 0, 0, 0};
            pt__cat_buf_put(&v, J->txt.s, len);
            if (!v.oom) {
                tag(J, item, "keyword", v.s, v.len);
            }
            pt__cat_buf_free(&v);
        }
    }
}

/* Pick the price of an article/product: the first "net_customer" price, else the first one;
 * add it with its currency (PRICE_CURRENCY, else the catalogue's). */
static void bme_price(fd_job *J, pt_node_id item, const xmlNode *n) {
    const xmlNode *best = NULL;
    for (const xmlNode *d = n->children; d != NULL; d = d->next) {
        if (d->type != XML_ELEMENT_NODE ||
            !(is(d->name, "ARTICLE_PRICE_DETAILS") || is(d->name, "PRODUCT_PRICE_DETAILS"))) {
            continue;
        }
        for (const xmlNode *p = d->children; p != NULL; p = p->next) {
            if (p->type != XML_ELEMENT_NODE ||
                !(is(p->name, "ARTICLE_PRICE") || is(p->name, "PRODUCT_PRICE")) ||
                kid(p, "PRICE_AMOUNT") == NULL) {
                continue;
            }
            xmlChar *t = xmlGetProp(p, (const xmlChar *)"price_type");
            int net = is(t, "net_customer");
            xmlFree(t);
            if (best == NULL) {
                best = p;
            }
            if (net) {
                best = p;
                goto found;
            }
        }
    }
found:
    if (best == NULL) {
        return;
    }
    pt__cat_buf amount = {J->ctx, NULL, 0, 0, 0};
    size_t an = text(J, kid(best, "PRICE_AMOUNT"));
    pt__cat_buf_put(&amount, an > 0 ? J->txt.s : "", an);
    const xmlNode *cn = kid(best, "PRICE_CURRENCY");
    size_t cl = cn != NULL ? text(J, cn) : 0;
    const char *cur = cl > 0 ? J->txt.s : J->currency;
    if (!amount.oom && an > 0) {
        price(J, item, amount.s, an, cur, strlen(cur), (long)xmlGetLineNo(best));
    }
    pt__cat_buf_free(&amount);
}

/* Import one ARTICLE (1.2) or PRODUCT (2005). */
static void bme_item(fd_job *J, const xmlNode *n) {
    J->n_read++;
    const xmlNode *idn = kid(n, "SUPPLIER_PID");
    if (idn == NULL) {
        idn = kid(n, "SUPPLIER_AID");
    }
    if (idn == NULL || text(J, idn) == 0) {
        no_id(J, n, is(n->name, "ARTICLE") ? "article" : "product");
        return;
    }
    pt_node_id item = mint(J, "item/", J->txt.s, J->txt.len, 1);
    if (item == PT_NONE) {
        fd_fail(J, PT_ENOMEM, "out of memory");
        return;
    }
    J->n_imported++;
    edge(J, item, V_P_TYPE, fd_voc(J, V_C_ITEM));
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (is(c->name, "ARTICLE_DETAILS") || is(c->name, "PRODUCT_DETAILS")) {
            bme_details(J, item, c);
        } else if (is(c->name, "ARTICLE_FEATURES") || is(c->name, "PRODUCT_FEATURES")) {
            bme_features(J, item, c);
        } else if (is(c->name, "ARTICLE_TO_CATALOGGROUP_MAP") ||
                   is(c->name, "PRODUCT_TO_CATALOGGROUP_MAP")) {
            const xmlNode *gid = kid(c, "CATALOG_GROUP_ID");
            if (gid != NULL && text(J, gid) > 0) {
                pt_node_id g = mint(J, "cat/", J->txt.s, J->txt.len, 1);
                edge(J, item, V_P_INCAT, g);
                edge(J, g, V_P_TYPE, fd_voc(J, V_C_CAT));
            }
        }
    }
    bme_price(J, item, n);
}

/* Import one ARTICLE_TO_CATALOGGROUP_MAP / PRODUCT_TO_CATALOGGROUP_MAP at catalogue level. */
static void bme_map(fd_job *J, const xmlNode *n) {
    J->n_read++;
    const xmlNode *in = kid(n, "PROD_ID");
    if (in == NULL) {
        in = kid(n, "ART_ID");
    }
    const xmlNode *gn = kid(n, "CATALOG_GROUP_ID");
    if (in == NULL || gn == NULL || text(J, gn) == 0) {
        no_id(J, n, "catalogue group map");
        return;
    }
    pt__cat_buf_reset(&J->lbl); /* keep the group id while J->txt takes the item id */
    pt__cat_buf_put(&J->lbl, J->txt.s, J->txt.len);
    if (text(J, in) == 0 || J->lbl.oom) {
        no_id(J, n, "catalogue group map");
        return;
    }
    pt_node_id item = mint(J, "item/", J->txt.s, J->txt.len, 1);
    pt_node_id g = mint(J, "cat/", J->lbl.s, J->lbl.len, 1);
    edge(J, item, V_P_INCAT, g);
    edge(J, g, V_P_TYPE, fd_voc(J, V_C_CAT));
    J->n_imported++;
}

/*
 * Link each catalogue group to its parent, in file order. A parent id that names no group is an
 * orphan (the group stays a root); a link that would make the group its own ancestor, found by
 * following the links made so far from the parent, is dropped as a cycle. Both are logged.
 */
static void bme_link(fd_job *J) {
    for (size_t k = 0; k < J->n_groups; k++) {
        fd_group *g = &J->groups[k];
        if (g->parent[0] == '\0' || strcmp(g->parent, "0") == 0) {
            continue;
        }
        uint32_t p = pt__cat_map_get(&J->group_ids, g->parent, strlen(g->parent));
        if (p == UINT32_MAX) {
            J->n_orphans++;
            pt__log(J->ctx, PT_LOG_WARN,
                    "%s:%llu: parent '%s' of catalogue group '%s' is not in the file", J->path,
                    (unsigned long long)g->line, g->parent, g->id);
            continue;
        }
        /* Walk up from p through the links made so far; reaching k means a cycle. The walk is
         * at most n_groups steps because the linked part is a forest. */
        uint32_t v = p;
        size_t steps = 0;
        while (v != k && J->groups[v].linked != 0 && steps++ <= J->n_groups) {
            v = J->groups[v].linked - 1;
        }
        if (v == k) {
            J->n_cycles++;
            pt__log(J->ctx, PT_LOG_WARN,
                    "%s:%llu: parent '%s' of catalogue group '%s' would close a cycle; link "
                    "dropped",
                    J->path, (unsigned long long)g->line, g->parent, g->id);
            continue;
        }
        g->linked = p + 1;
        edge(J, g->node, V_P_BROADER, J->groups[p].node);
    }
}

/* ==== the reader loop ======================================================================= */

/* libxml2's input callback: serve bytes from the pt__reader. */
static int fd_read(void *ud, char *buf, int len) {
    fd_job *J = ud;
    long n = pt__reader_read(J->r, buf, (size_t)len);
    if (n < 0) {
        J->code = (int)n; /* the reader set the message */
        return -1;
    }
    uint64_t done = pt__reader_bytes(J->r);
    if (done >= J->next_progress) {
        pt__progress(J->ctx, "parse", done, done <= J->total ? J->total : 0);
        J->next_progress = done + FD_PROGRESS_STEP;
    }
    return (int)n;
}

/* libxml2's close callback: the reader is closed by pt_import_feed. */
static int fd_close(void *ud) {
    (void)ud;
    return 0;
}

/* libxml2's error handler: keep the first error (not warnings) with its line. */
static void fd_xml_error(void *ud, xmlErrorPtr e) {
    fd_job *J = ud;
    if (J->xml_error || e == NULL || e->level < XML_ERR_ERROR) {
        return;
    }
    snprintf(J->errmsg, sizeof J->errmsg, "%s", e->message != NULL ? e->message : "XML error");
    size_t n = strcspn(J->errmsg, "\r\n");
    J->errmsg[n] = '\0';
    J->err_line = e->line;
    J->xml_error = 1;
}

/* libxml2's generic error handler, installed for the duration of an import: some errors (input
 * encoding, I/O) bypass the structured handler and would otherwise be printed to stderr. Keep
 * the first line of text (libxml2 sends it in pieces) for fd_parse_error(). */
static void fd_generic_error(void *ud, const char *fmt, ...) {
    fd_job *J = ud;
    if (J->generic_len + 1 >= sizeof J->generic || memchr(J->generic, '\n', J->generic_len)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(J->generic + J->generic_len, sizeof J->generic - J->generic_len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        J->generic_len += (size_t)n < sizeof J->generic - J->generic_len
                              ? (size_t)n
                              : sizeof J->generic - J->generic_len - 1;
    }
}

/* Turn the recorded XML error into the ctx message; returns PT_EPARSE. */
static int fd_parse_error(fd_job *J) {
    if (!J->xml_error) {
        J->generic[strcspn(J->generic, "\r\n")] = '\0';
        return pt__error(J->ctx, PT_EPARSE, "%s:%d: %s", J->path,
                         xmlTextReaderGetParserLineNumber(J->xr),
                         J->generic[0] != '\0' ? J->generic : "malformed XML");
    }
    return pt__error(J->ctx, PT_EPARSE, "%s:%ld: %s", J->path, J->err_line, J->errmsg);
}

/* Check the root element against the format (deciding it when sniffing). Returns PT_OK or
 * PT_EPARSE. */
static int fd_root(fd_job *J, const xmlChar *name) {
    int want = is(name, "rss") || is(name, "feed") ? FD_MERCHANT
               : is(name, "BMECAT")                ? FD_BMECAT
                                                   : FD_SNIFF;
    if (want == FD_SNIFF || (J->fmt != FD_SNIFF && J->fmt != want)) {
        const char *exp = J->fmt == FD_MERCHANT ? "rss or feed (a Merchant Center feed)"
                          : J->fmt == FD_BMECAT ? "BMECAT"
                                                : "rss, feed or BMECAT";
        xmlNodePtr at = xmlTextReaderCurrentNode(J->xr);
        return pt__error(J->ctx, PT_EPARSE, "%s:%ld: root element <%s> is not %s", J->path,
                         at != NULL ? (long)xmlGetLineNo(at) : 1L, (const char *)name, exp);
    }
    J->fmt = want;
    return PT_OK;
}

/* Which record, if any, the element at the reader's position starts (1 item, 2 group, 3 map,
 * 4 header), for the file's format. */
static int fd_record(const fd_job *J, const xmlChar *name, int depth) {
    if (depth == 0) {
        return 0;
    }
    if (J->fmt == FD_MERCHANT) {
        return is(name, "item") || is(name, "entry") ? 1 : 0;
    }
    if (is(name, "ARTICLE") || is(name, "PRODUCT")) {
        return 1;
    }
    if (is(name, "CATALOG_STRUCTURE")) {
        return 2;
    }
    if (is(name, "ARTICLE_TO_CATALOGGROUP_MAP") || is(name, "PRODUCT_TO_CATALOGGROUP_MAP")) {
        return 3;
    }
    return is(name, "HEADER") && depth == 1 ? 4 : 0;
}

/* Read the whole document. Returns PT_OK or the failure (message on the ctx). */
static int fd_run(fd_job *J) {
    int ret = xmlTextReaderRead(J->xr);
    int seen_root = 0;
    while (ret == 1) {
        if (J->code != PT_OK) {
            return J->code;
        }
        if (xmlTextReaderNodeType(J->xr) != XML_READER_TYPE_ELEMENT) {
            ret = xmlTextReaderRead(J->xr);
            continue;
        }
        const xmlChar *name = xmlTextReaderConstLocalName(J->xr);
        int depth = xmlTextReaderDepth(J->xr);
        if (!seen_root) {
            int rc = fd_root(J, name);
            if (rc != PT_OK) {
                return rc;
            }
            seen_root = 1;
        }
        int kind = fd_record(J, name, depth);
        if (kind == 0) {
            ret = xmlTextReaderRead(J->xr);
            continue;
        }
        xmlNodePtr n = xmlTextReaderExpand(J->xr);
        if (n == NULL) {
            ret = -1;
            break;
        }
        if (kind == 1 && J->fmt == FD_MERCHANT) {
            merchant_item(J, n);
        } else if (kind == 1) {
            bme_item(J, n);
        } else if (kind == 2) {
            bme_group(J, n);
        } else if (kind == 3) {
            bme_map(J, n);
        } else {
            bme_header(J, n);
        }
        if (J->iri.oom || J->txt.oom || J->lbl.oom) {
            return fd_fail(J, PT_ENOMEM, "out of memory");
        }
        ret = xmlTextReaderNext(J->xr);
    }
    if (J->code != PT_OK) {
        return J->code;
    }
    if (ret < 0 || J->xml_error) {
        return fd_parse_error(J);
    }
    if (!seen_root) {
        return pt__error(J->ctx, PT_EPARSE, "%s:1: no root element", J->path);
    }
    return PT_OK;
}

/* ==== API ================================================================================== */

int pt_import_feed(pt_builder *b, const char *path, const char *format, const char *base,
                   pt_import_stats *st) {
    fd_job J;
    int rc = PT_OK;
    xmlGenericErrorFunc old_generic = NULL;
    void *old_generic_ctx = NULL;
    int swapped = 0;

    if (b == NULL) {
        return PT_EINVAL;
    }
    memset(&J, 0, sizeof J);
    J.ctx = pt__builder_ctx(b);
    J.b = b;
    J.st = st;
    if (path == NULL) {
        return pt__error(J.ctx, PT_EINVAL, "pt_import_feed: path is NULL");
    }
    J.path = path;
    if (format == NULL) {
        J.fmt = FD_SNIFF;
    } else if (strcmp(format, "merchant") == 0) {
        J.fmt = FD_MERCHANT;
    } else if (strcmp(format, "bmecat") == 0) {
        J.fmt = FD_BMECAT;
    } else {
        return pt__error(J.ctx, PT_EINVAL, "unknown feed format '%s' (merchant, bmecat)", format);
    }
    J.base = base != NULL ? base : pt__builder_base(b);
    if (J.base == NULL || J.base[0] == '\0') {
        J.base = "urn:portrait:";
    }
    J.iri.ctx = J.txt.ctx = J.lbl.ctx = J.ctx;
    pt__arena_init(&J.arena, J.ctx, (size_t)64 << 10);
    pt__cat_map_init(&J.group_ids, J.ctx);
    J.next_progress = FD_PROGRESS_STEP;
    PT_TRY(pt__reader_open(J.ctx, path, &J.r));
    J.total = pt__reader_file_size(J.r);
    for (int k = 0; k < V_COUNT_; k++) {
        J.voc[k] = PT_NONE;
    }
    /* libxml2 keeps the generic handler per thread: swap ours in, restore it at the end. */
    old_generic = xmlGenericError;
    old_generic_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(&J, fd_generic_error);
    swapped = 1;
    /* No XML_PARSE_NOENT, XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR or XML_PARSE_HUGE: DTDs and
     * external entities are never loaded, and libxml2's limits on depth and sizes apply. */
    J.xr = xmlReaderForIO(fd_read, fd_close, &J, path, NULL,
                          XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOWARNING);
    if (J.xr == NULL) {
        rc = J.code != PT_OK ? J.code : pt__error(J.ctx, PT_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    xmlTextReaderSetStructuredErrorHandler(J.xr, fd_xml_error, &J);
    PT_TRY(fd_run(&J));
    if (J.fmt == FD_BMECAT) {
        bme_link(&J);
    }
    if (J.n_orphans + J.n_cycles > 0) {
        pt__log(J.ctx, PT_LOG_WARN,
                "%s: %llu catalogue groups without their parent, %llu "
                "parent links dropped as cycles",
                path, (unsigned long long)J.n_orphans, (unsigned long long)J.n_cycles);
    }
    if (st != NULL) {
        st->rows_read += J.n_read;
        st->rows_imported += J.n_imported;
        st->rows_skipped += J.n_skipped;
        st->n_orphans += J.n_orphans;
        st->n_cycles += J.n_cycles;
    }
done:
    if (st != NULL && J.r != NULL) {
        st->bytes += pt__reader_bytes(J.r);
    }
    if (J.xr != NULL) {
        xmlFreeTextReader(J.xr);
    }
    if (swapped) {
        xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
    }
    pt__reader_close(J.r);
    pt__cat_buf_free(&J.iri);
    pt__cat_buf_free(&J.txt);
    pt__cat_buf_free(&J.lbl);
    pt__cat_map_free(&J.group_ids);
    pt__arena_free(&J.arena);
    pt__free(J.ctx, J.groups);
    return rc;
}

/* Skip XML prolog items (declaration, comments, DOCTYPE, processing instructions, white
 * space) in s[0..n) and return the offset of the root element's '<', or n. */
static size_t root_offset(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (s[i] != '<') {
            i++;
            continue;
        }
        if (i + 1 < n && (s[i + 1] == '?' || s[i + 1] == '!')) {
            const char *end = NULL;
            if (i + 3 < n && s[i + 1] == '!' && s[i + 2] == '-' && s[i + 3] == '-') {
                end = memmem(s + i, n - i, "-->", 3);
            } else if (s[i + 1] == '!') {
                /* DOCTYPE, possibly with an internal subset in [...] */
                const char *lb = memchr(s + i, '[', n - i), *gt = memchr(s + i, '>', n - i);
                if (lb != NULL && gt != NULL && lb < gt) {
                    end = memmem(lb, n - (size_t)(lb - s), "]", 1);
                    end = end != NULL ? memchr(end, '>', n - (size_t)(end - s)) : NULL;
                } else {
                    end = gt;
                }
            } else {
                end = memmem(s + i, n - i, "?>", 2);
            }
            if (end == NULL) {
                return n;
            }
            i = (size_t)(end - s) + 1;
            continue;
        }
        return i;
    }
    return n;
}

const char *pt_catalog_format_sniff(pt_ctx *ctx, const char *path) {
    pt__reader *r = NULL;
    const char *fmt = NULL;
    size_t cap = (size_t)64 << 10, n = 0;
    char *buf;

    if (path == NULL || strcmp(path, "-") == 0 || (buf = pt__malloc(ctx, cap + 1)) == NULL) {
        return NULL; /* standard input cannot be read twice */
    }
    if (pt__reader_open(ctx, path, &r) != PT_OK) {
        pt__free(ctx, buf);
        return NULL;
    }
    while (n < cap) {
        long got = pt__reader_read(r, buf + n, cap - n);
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
    }
    pt__reader_close(r);
    buf[n] = '\0';
    /* a taxonomy: the first line that is neither blank nor a '#' comment is "DIGITS - " */
    size_t i = 0;
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        i = 3;
    }
    while (i < n) {
        size_t e = i;
        while (e < n && buf[e] != '\n') {
            e++;
        }
        size_t k = i;
        while (k < e && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\r')) {
            k++;
        }
        if (k == e || buf[k] == '#') {
            i = e + 1;
            continue;
        }
        size_t d = k;
        while (d < e && buf[d] >= '0' && buf[d] <= '9') {
            d++;
        }
        if (d > k && d + 3 <= e && memcmp(buf + d, " - ", 3) == 0) {
            fmt = "taxonomy";
        }
        break;
    }
    if (fmt == NULL) {
        size_t at = root_offset(buf, n);
        const char *s = buf + at + 1;
        if (at < n) {
            size_t len = strcspn(s, " \t\r\n/>");
            const char *colon = memchr(s, ':', len);
            if (colon != NULL) { /* prefixed root: compare the local name */
                len -= (size_t)(colon + 1 - s);
                s = colon + 1;
            }
            if (((len == 3 && memcmp(s, "rss", 3) == 0) ||
                 (len == 4 && memcmp(s, "feed", 4) == 0)) &&
                strstr(buf, G_NS) != NULL) {
                fmt = "merchant";
            } else if (len == 6 && memcmp(s, "BMECAT", 6) == 0) {
                fmt = "bmecat";
            }
        }
    }
    pt__free(ctx, buf);
    return fmt;
}
