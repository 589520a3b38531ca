/*
 * pt_import.h - reading RDF and behaviour-event files into a builder, and writing RDF out.
 *
 * Importers stream: nothing is held beyond what the builder interns. They never touch a store;
 * the caller commits the finished graph (pt_store.h), so a file that fails half-way leaves the
 * store exactly as it was. Failures name the place: "data/shop.nt:1042: expected '.' ..." in
 * pt_ctx_errmsg().
 *
 * RDF syntaxes: N-Triples and N-Quads (Portrait's own streaming parser), Turtle and TriG (serd),
 * RDF/XML and RDF/JSON (raptor2). Any of them may be gzip-compressed (".gz").
 * Event files: CSV, TSV and JSON-lines with a column/field map (see pt_event_opts).
 * Catalogues: the Google product taxonomy, Merchant Center feeds and BMEcat (pt_import_taxonomy,
 * pt_import_feed; docs/IMPORT-CATALOG.md).
 */
#ifndef PT_IMPORT_H
#define PT_IMPORT_H

#include "pt_graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Why a row was skipped (non-strict event imports). */
typedef enum pt_skip_reason {
    PT_SKIP_MALFORMED = 0, /**< unbalanced quotes, invalid JSON, wrong column count */
    PT_SKIP_MISSING,       /**< a mapped field (user, item) is absent or empty */
    PT_SKIP_BAD_VALUE,     /**< value is not a number */
    PT_SKIP_BAD_TIME,      /**< time is neither unix seconds nor ISO-8601 */
    PT_SKIP_BAD_ACTION,    /**< action names no known behaviour */
    PT_SKIP_ENCODING,      /**< invalid UTF-8 (without --encoding latin1) */
    PT_SKIP_COUNT_
} pt_skip_reason;

/** Counters filled by the importers; zero it before the first call, it accumulates. */
typedef struct pt_import_stats {
    uint64_t rows_read;     /**< data rows (events) or triples (RDF) read */
    uint64_t rows_imported; /**< rows that became edges or literals */
    uint64_t rows_skipped;  /**< rows skipped, by reason below */
    uint64_t skipped_by[PT_SKIP_COUNT_];
    uint64_t bytes;         /**< input bytes consumed (uncompressed) */
    char first_skip[256];   /**< "file:line: reason" of the first skipped row, or "" */
    uint64_t n_orphans;     /**< taxonomy/BMEcat: categories whose parent is missing, attached
                                 to their nearest existing ancestor (or left roots) */
    uint64_t n_cycles;      /**< BMEcat: parent links dropped because they closed a cycle */
} pt_import_stats;

/** Name of a skip reason ("malformed row"). Lifetime: static. */
PT_API const char *pt_skip_reason_name(pt_skip_reason r);

/**
 * Guess the RDF syntax from a file name (".nt", ".nq", ".ttl", ".trig", ".rdf", ".owl",
 * ".xml", ".json", ".rj", optionally followed by ".gz"). Returns "ntriples", "nquads",
 * "turtle", "trig", "rdfxml", "rdfjson", or NULL when the name says nothing.
 */
PT_API const char *pt_rdf_format_guess(const char *path);

/**
 * Stream an RDF file into `b`. `format` is one of the names above, or NULL to guess from the
 * name. `base_iri` resolves relative IRIs (NULL: the file's own URI). Turtle prefixes are
 * recorded on the builder. N-Quads/TriG graph names are ignored (Portrait has one graph).
 * @return PT_OK; PT_EIO (cannot read); PT_EPARSE (malformed, message has file:line);
 *         PT_EINVAL (unknown format); PT_ENOMEM.
 */
PT_API int pt_import_rdf(pt_builder *b, const char *path, const char *format,
                         const char *base_iri, pt_import_stats *st);

/** Options of pt_import_events(); zero-initialise, then set what you need. */
typedef struct pt_event_opts {
    /** Field map: "user=userId,item=asin,value=overall,time=unixReviewTime,text=reviewText".
     *  Keys: user, item (required), action, value, time, text. Values are column names (CSV
     *  with a header, JSON fields, dotted paths into nested JSON objects) or 1-based column
     *  numbers for files without a header ("user=1,item=2,value=3,time=4"). */
    const char *map;
    /** Fixed action when the map has no action column: viewed, clicked, carted, purchased,
     *  rated, reviewed (or a full predicate IRI). Default "rated" if a value is mapped, else
     *  "viewed". */
    const char *action;
    /** Base IRI for local ids: users become base+"user/"+id, items base+"item/"+id. Default:
     *  the builder's base, else "urn:portrait:". */
    const char *base;
    /** "utf-8" (default) or "latin1" (converted to UTF-8). */
    const char *encoding;
    /** "csv", "tsv" or "jsonl"; NULL guesses from the name (.csv, .tsv/.tab/.data, .json/.jsonl/
     *  .ndjson, optionally .gz). */
    const char *format;
    /** Field delimiter for csv/tsv; 0 = ',' for csv and '\t' for tsv. */
    char delimiter;
    /** Header row: 0 (the zero default) = decide from the map (names: yes, numbers: no),
     *  1 = yes, -1 = no. */
    int header;
    /** Fail on the first bad row (PT_EPARSE) instead of skipping and counting it. */
    int strict;
} pt_event_opts;

/**
 * Stream a CSV/TSV/JSON-lines event file into `b`. Each row becomes an edge user -action->
 * item with weight = value (1 when unmapped) and the row's time; users are typed pt:User and
 * items pt:Item; a row with text also becomes a pt:Event node holding the text.
 * @return PT_OK (possibly with skipped rows counted in `st`), PT_EIO, PT_EINVAL (bad map or
 *         options, message names the field), PT_EPARSE (strict mode: file:line and reason),
 *         PT_ENOMEM.
 */
PT_API int pt_import_events(pt_builder *b, const char *path, const pt_event_opts *opts,
                            pt_import_stats *st);

/**
 * Stream a Google product taxonomy file ("ID - A > B > C" per line, '#' comments; plain or .gz)
 * into `b` as SKOS concepts. Line "ID - A > B > C" becomes the node
 * <https://w3id.org/portrait/gpt/ID>, typed skos:Concept and pt:Category, with
 * skos:prefLabel "C"@lang, skos:notation "ID" and skos:broader to the concept of "A > B" in the
 * same file. The same id in two language files is the same node, so importing en-US and zh-CN
 * gives each concept an @en and a @zh label. A path whose parent is missing is attached to its
 * nearest existing ancestor (the longest prefix present), counted in st->n_orphans and logged
 * (PT_LOG_WARN, "file:line: ..."). There is no skipping: the first bad line fails the import.
 * @param[in] b     builder (not finished)
 * @param[in] path  file name, "-" for standard input; borrowed for the call only
 * @param[in] lang  language tag of the labels ("en", "zh"); NULL guesses it from the file name
 *                  ("taxonomy-with-ids.zh-CN.txt" -> "zh"), "" means untagged labels
 * @param[in,out] st  counters (may be NULL): rows_read = data lines, rows_imported = concepts
 * @return PT_OK; PT_EIO (cannot read); PT_EPARSE (a line without an id, a malformed line, a
 *         duplicate id, invalid UTF-8: message "file:line: reason"); PT_EINVAL (bad `lang`);
 *         PT_ELIMIT (a line over the reader's limit); PT_ENOMEM. On failure the builder may
 *         hold part of the file: discard it.
 */
PT_API int pt_import_taxonomy(pt_builder *b, const char *path, const char *lang,
                              pt_import_stats *st);

/**
 * Stream an XML product catalogue into `b` with libxml2's reader (one record in memory at a
 * time; plain or .gz). Network access, DTD loading and entity substitution are off, so a
 * DOCTYPE's external entities are never fetched.
 *  - "merchant": a Google Merchant Center feed, RSS 2.0 (rss/channel/item) or Atom (feed/entry),
 *    fields in the namespace http://base.google.com/ns/1.0 (g:id, g:price "12.99 USD",
 *    g:brand, g:google_product_category, g:product_type, g:item_group_id, g:color, ...).
 *  - "bmecat": BMEcat 1.2 (ARTICLE, ARTICLE_TO_CATALOGGROUP_MAP) or 2005 (PRODUCT,
 *    PRODUCT_TO_CATALOGGROUP_MAP), with CATALOG_GROUP_SYSTEM groups and their PARENT_ID.
 * Items become base+"item/"+ID (pt:Item, pt:title, pt:description, pt:price as xsd:decimal
 * and schema:priceCurrency), brands base+"brand/"+slug (pt:Brand), categories base+"cat/"+...
 * (pt:Category, pt:broader), features and colours pt:hasTag tags, variants schema:isVariantOf;
 * google_product_category ids link to the taxonomy concepts of pt_import_taxonomy(). A
 * catalogue-group parent that would close a cycle is dropped and counted in st->n_cycles; a
 * missing parent is counted in st->n_orphans. Both are logged. docs/IMPORT-CATALOG.md has the
 * full mapping.
 * @param[in] b       builder (not finished)
 * @param[in] path    file name, "-" for standard input; borrowed for the call only
 * @param[in] format  "merchant", "bmecat", or NULL to decide from the root element
 * @param[in] base    base IRI of minted ids; NULL: the builder's base, else "urn:portrait:"
 * @param[in,out] st  counters (may be NULL): rows_read = records (items, groups, group maps),
 *                    rows_imported = records that became triples, rows_skipped = records
 *                    without an id (reason PT_SKIP_MISSING, first one in first_skip)
 * @return PT_OK; PT_EIO; PT_EPARSE (not well-formed XML: "file:line: reason" from libxml2; or a
 *         root element that is not the given format, or neither when sniffing); PT_EINVAL
 *         (unknown `format`); PT_ELIMIT; PT_ENOMEM. On failure discard the builder.
 */
PT_API int pt_import_feed(pt_builder *b, const char *path, const char *format, const char *base,
                          pt_import_stats *st);

/**
 * Tell a catalogue file from its first bytes: "taxonomy" (first data line "ID - ..."),
 * "merchant" (root rss or feed declaring the g: namespace) or "bmecat" (root BMECAT); NULL
 * when it is none of them, cannot be read, or is standard input ("-"). Reads at most 64 KiB
 * (through gzip if needed). `ctx` may be NULL (plain malloc, no message). Lifetime of the
 * result: static.
 */
PT_API const char *pt_catalog_format_sniff(pt_ctx *ctx, const char *path);

/**
 * Write every triple of `g` (edges, then literal properties) as "ntriples" or "turtle" to
 * `path` ("-" or NULL for standard output). Turtle groups by subject and uses the graph's
 * prefixes.
 * @return PT_OK, PT_EIO, PT_EINVAL (unknown format).
 */
PT_API int pt_export_rdf(pt_ctx *ctx, const pt_graph *g, const char *format, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* PT_IMPORT_H */
