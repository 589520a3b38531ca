/*
 * catalog.h - what the two catalogue importers share: a growable string buffer that mints IRIs
 * (percent-encoded ids, readable slugs), a string -> index map, and the IRIs of the Google
 * product taxonomy. taxonomy.c defines these helpers; feed.c uses them. Folder-private.
 *
 * IRI scheme (docs/IMPORT-CATALOG.md):
 *   Google taxonomy concept ID           https://w3id.org/portrait/gpt/ID
 *   google_product_category given a path https://w3id.org/portrait/gpt/path/SLUG/SLUG/...
 *   items                                 BASE item/ID      (ID percent-encoded)
 *   product_type categories               BASE cat/SLUG/SLUG/...
 *   BMEcat catalogue groups               BASE cat/ID       (ID percent-encoded)
 *   brands                                BASE brand/SLUG
 *   tags (features, colours, keywords)    BASE tag/NAME/SLUG
 *   variant groups (item_group_id)        BASE group/ID
 */
#ifndef PT_CATALOG_H
#define PT_CATALOG_H

#include "core/core.h"

/* Namespace of the Google product taxonomy concepts: the same id in every language file is the
 * same node, so en-US and zh-CN labels meet on one concept. */
#define PT_GPT_NS "https://w3id.org/portrait/gpt/"

#define PT_SKOS_CONCEPT PT_SKOS_NS "Concept"
#define PT_SKOS_PREFLABEL PT_SKOS_NS "prefLabel"
#define PT_SKOS_NOTATION PT_SKOS_NS "notation"

/* A growable NUL-terminated string. Failures are sticky (`oom`), like the arena's. */
typedef struct pt__cat_buf {
    pt_ctx *ctx;
    char *s;
    size_t len, cap;
    int oom;
} pt__cat_buf;

/* Empty the buffer (keeps its memory). */
void pt__cat_buf_reset(pt__cat_buf *b);
/* Append `n` bytes of `s` as they are. */
void pt__cat_buf_put(pt__cat_buf *b, const char *s, size_t n);
/* Append `s` percent-encoded for an IRI path segment: ASCII letters, digits and "-._~" and
 * bytes >= 0x80 (the input is valid UTF-8: IRI ucschar) stay, every other byte becomes %XX.
 * Distinct inputs give distinct outputs, so ids never collide. */
void pt__cat_buf_pct(pt__cat_buf *b, const char *s, size_t n);
/* Append a readable slug of `s`: ASCII letters lower-cased, digits and bytes >= 0x80 kept, runs
 * of anything else become one '-', no '-' at either end ("Apparel & Accessories" ->
 * "apparel-accessories"). A text with nothing left (",,") falls back to pt__cat_buf_pct(). */
void pt__cat_buf_slug(pt__cat_buf *b, const char *s, size_t n);
/* Release the memory. */
void pt__cat_buf_free(pt__cat_buf *b);

/* A map from byte strings to uint32 values: open addressing, keys copied into an arena. */
typedef struct pt__cat_map {
    pt__arena arena;
    struct pt__cat_slot *slots;
    size_t mask, used;
    int oom;
} pt__cat_map;

void pt__cat_map_init(pt__cat_map *m, pt_ctx *ctx);
/* Value of key `k`, or UINT32_MAX when absent. */
uint32_t pt__cat_map_get(const pt__cat_map *m, const char *k, size_t n);
/* Insert (k, v) unless k is present. Returns 1 inserted, 0 present, -1 out of memory. */
int pt__cat_map_put(pt__cat_map *m, const char *k, size_t n, uint32_t v);
void pt__cat_map_free(pt__cat_map *m);

/* Trim ASCII white space at both ends of (*s, *n). */
void pt__cat_trim(const char **s, size_t *n);

/* Guess a language tag from a taxonomy file name: "taxonomy-with-ids.zh-CN.txt" -> "zh",
 * "...en-US..." -> "en". Writes "" when the name says nothing. */
void pt__cat_lang_from_name(const char *path, char *out, size_t cap);

/* True when `s` is a well-formed language tag (letters, then '-' and letters/digits). */
int pt__cat_lang_ok(const char *s);

/* Defined in importers/rdf/ntriples.c. */
int pt__rdf_utf8_valid(const char *s, size_t len);

#endif /* PT_CATALOG_H */
