/*
 * cmd_sparql.c - `portrait sparql`: run a SPARQL 1.1 SELECT, ASK or CONSTRUCT query over
 * the store's graph through pt_sparql_run (rasqal evaluates, the graph answers the triple
 * patterns) and print the results as SPARQL JSON, TSV or Turtle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Read all of `path` into a NUL-terminated malloc'd string; NULL (and a message) on failure. */
static char *read_file(cli_args *a, const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cli_err(a, "cannot open '%s'", path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            break;
        }
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    if (f != stdin) {
        fclose(f);
    }
    if (buf == NULL || bad) {
        cli_err(a, "cannot read '%s'", path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* Run `portrait sparql`. */
static int run_sparql(cli_args *a) {
    const char *fmt = cli_opt(a, "format");
    const char *file = cli_opt(a, "file");
    if (fmt == NULL) {
        fmt = "json";
    }
    if (strcmp(fmt, "json") != 0 && strcmp(fmt, "tsv") != 0 && strcmp(fmt, "turtle") != 0) {
        cli_err(a, "--format: '%s' is not json, tsv or turtle", fmt);
        return EXIT_USAGE;
    }
    if ((file == NULL) == (a->n_pos != 1)) {
        cli_err(a, "give one QUERY or --file F (see portrait sparql --help)");
        return EXIT_USAGE;
    }
    char *text = NULL;
    if (file != NULL) {
        text = read_file(a, file);
        if (text == NULL) {
            return EXIT_INPUT;
        }
    }
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        free(text);
        return ex;
    }
    const char *out = cli_opt(a, "out");
    int rc = pt_sparql_run(ctx, pt_store_graph(st), text != NULL ? text : a->pos[0], fmt,
                           out != NULL ? out : "-");
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    free(text);
    return rc == PT_OK ? EXIT_OK_ : cli_exit_for(rc, 0);
}

static const char *const sparql_opts[] = {"format=", "file=", "out=", NULL};

const cli_cmd cmd_sparql = {
    "sparql",
    "run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT) over the graph",
    "usage: portrait sparql QUERY | --file F [--format json|tsv|turtle] [--out FILE]\n"
    "\n"
    "Evaluate a SPARQL 1.1 query with rasqal, the store's graph as the dataset. IRIs and\n"
    "blank nodes are the graph's nodes; literals are the nodes' literal properties (a pattern\n"
    "with a literal object matches them); edge weights and times are not RDF triples.\n"
    "FROM clauses are ignored: the graph is always the default graph.\n"
    "\n"
    "  --file F     read the query from F ('-' = standard input) instead of QUERY\n"
    "  --format X   json (SPARQL results JSON, default), tsv, or turtle; CONSTRUCT writes\n"
    "               RDF: turtle as Turtle, tsv as N-Triples, json as RDF/JSON. ASK as tsv\n"
    "               prints true or false. DESCRIBE is not supported (rasqal cannot run it).\n"
    "  --out FILE   write to FILE instead of standard output\n"
    "\n"
    "Example:\n"
    "  portrait sparql 'SELECT ?i WHERE { ?u <http://ex.org/purchased> ?i } LIMIT 5'\n"
    "\n"
    "Exit codes: 0 ok (an empty result too), 1 usage, 2 syntax error (the position rasqal\n"
    "reports), DESCRIBE, or unreadable query file, 4 store error.\n",
    sparql_opts,
    run_sparql,
    1, /* takes positional arguments (checked by the command) */
};
