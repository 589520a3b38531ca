/*
 * pt_query.h - SPARQL 1.1 queries over a finished graph. The query is parsed and evaluated by
 * rasqal; Portrait answers its triple patterns straight from the graph's CSR rows (no copy into
 * a librdf model or a rasqal dataset). Part of the public API; included by portrait.h.
 *
 * The RDF view of a graph: IRIs and blank nodes are graph nodes, every edge (s, p, o) is a
 * triple, and every literal property of a node is a triple whose object is the literal (lexical
 * form, datatype, language). Edge weights and times are not part of the RDF view.
 */
#ifndef PT_QUERY_H
#define PT_QUERY_H

#include "pt_graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Run the SPARQL query `query` (SELECT, ASK or CONSTRUCT) against `g` and write the
 * results to `out_path` ("-" or NULL = standard output).
 *
 * Formats: "json" (SPARQL 1.1 Query Results JSON), "tsv" (SPARQL 1.1 TSV) and "turtle" for
 * SELECT and ASK (rasqal's result writers; ASK as "tsv" is the line "true" or "false"); for
 * CONSTRUCT the graph is written through a raptor serializer: "turtle" as Turtle, "tsv" as
 * N-Triples, "json" as RDF/JSON. NULL means "json".
 *
 * @param[in] ctx       context: error message, allocator
 * @param[in] g         a finished graph; only read, so other threads may read it meanwhile
 * @param[in] query     the query text, NUL-terminated UTF-8
 * @param[in] format    "json", "tsv" or "turtle" (NULL = "json")
 * @param[in] out_path  output file, "-" or NULL for stdout
 * @return PT_OK; PT_EPARSE on a syntax error (the message names the line, and the column
 *         when rasqal reports one);
 *         PT_EINVAL on a bad argument or unknown format; PT_EIO when the output cannot be
 *         opened or written; PT_ENOMEM; PT_EUNSUPPORTED for DESCRIBE (rasqal 0.9.33 cannot
 *         execute it); PT_EINTERNAL when rasqal fails to execute the query.
 *         An empty result is PT_OK.
 * Lifetime: nothing returned is retained; every rasqal and raptor object lives only for the
 * call. Threads: safe with one ctx per thread (each call makes its own rasqal world).
 */
PT_API int pt_sparql_run(pt_ctx *ctx, const pt_graph *g, const char *query, const char *format,
                         const char *out_path);

#ifdef __cplusplus
}
#endif

#endif /* PT_QUERY_H */
