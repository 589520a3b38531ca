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
