/*
 * cmd_import.c - `portrait import`: RDF and behaviour-event files into the store, all or
 * nothing. Every file goes into one builder seeded with the store's graph; only when all parse
 * is the new graph committed (durably), so a bad file leaves the store exactly as it was.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const char *const import_opts[] = {"format=",    "base=",   "map=",    "action=",
                                          "encoding=",  "delimiter=", "header", "no-header",
                                          "strict",     "quiet",   "lang=",   NULL};

/* True when `path` (or `format`) names an event file rather than RDF. */
static int is_event_file(const char *path, const char *format) {
    static const char *const ext[] = {".csv", ".tsv", ".tab", ".data", ".jsonl", ".ndjson",
                                      ".json"};
    if (format != NULL) {
        return strcmp(format, "csv") == 0 || strcmp(format, "tsv") == 0 ||
               strcmp(format, "jsonl") == 0;
    }
    char name[4096];
    snprintf(name, sizeof name, "%s", path);
    size_t n = strlen(name);
    if (n > 3 && strcmp(name + n - 3, ".gz") == 0) {
        name[n - 3] = '\0';
        n -= 3;
    }
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t l = strlen(ext[i]);
        if (n > l && strcasecmp(name + n - l, ext[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Errors the CLI itself detects, reported as library codes so one path prints them. */
static int missing_map(cli_args *a, const char *path) {
    cli_err(a, "%s: an event file needs --map (e.g. --map user=userId,item=itemId)", path);
    return PT_EINVAL;
}

static int unknown_format(cli_args *a, const char *path) {
    cli_err(a, "%s: cannot tell the format from the name: give --format (ntriples, nquads, "
               "turtle, trig, rdfxml, rdfjson, csv, tsv, jsonl)",
            path);
    return PT_EINVAL;
}

/* --- catalogues (docs/IMPORT-CATALOG.md) ------------------------------------------------- */

/* "taxonomy", "merchant" or "bmecat" when --format names one, or when a .txt/.xml file (maybe
 * .gz) reads like one (pt_catalog_format_sniff); NULL for every other file. */
static const char *catalog_format(const char *path, const char *format) {
    if (format != NULL) {
        return strcmp(format, "taxonomy") == 0 || strcmp(format, "merchant") == 0 ||
                       strcmp(format, "bmecat") == 0
                   ? format
                   : NULL;
    }
    size_t n = strlen(path);
    if (n > 3 && strcasecmp(path + n - 3, ".gz") == 0) {
        n -= 3;
    }
    if (n > 4 && (strncasecmp(path + n - 4, ".txt", 4) == 0 ||
                  strncasecmp(path + n - 4, ".xml", 4) == 0)) {
        return pt_catalog_format_sniff(NULL, path);
    }
    return NULL;
}

/* Import a taxonomy or feed (`fmt` from catalog_format) and print its summary. */
static int import_catalog(cli_args *a, pt_builder *b, const char *path, const char *fmt,
                          const char *base, pt_import_stats *st) {
    char buf[5][32];
    int rc = strcmp(fmt, "taxonomy") == 0 ? pt_import_taxonomy(b, path, cli_opt(a, "lang"), st)
                                          : pt_import_feed(b, path, fmt, base, st);
    if (rc == PT_OK && !cli_flag(a, "quiet")) {
        fprintf(stderr, "%s: %s %s records read, %s imported, %s skipped, %s orphans, %s cycles\n",
                path, fmt, cli_num(st->rows_read, buf[0], 32),
                cli_num(st->rows_imported, buf[1], 32), cli_num(st->rows_skipped, buf[2], 32),
                cli_num(st->n_orphans, buf[3], 32), cli_num(st->n_cycles, buf[4], 32));
    }
    return rc;
}

/* Import one file into `b`; prints its summary. Returns a library code. */
static int import_one(cli_args *a, pt_builder *b, const char *path,
                      const char *base, pt_import_stats *st) {
    const char *format = cli_opt(a, "format");
    const char *map = cli_opt(a, "map");
    char buf[3][32];
    const char *cat = map == NULL ? catalog_format(path, format) : NULL;
    if (cat != NULL) {
        return import_catalog(a, b, path, cat, base, st);
    }
    if (map != NULL || is_event_file(path, format)) {
        if (map == NULL) {
            return missing_map(a, path);
        }
        pt_event_opts o;
        memset(&o, 0, sizeof o);
        o.map = map;
        o.action = cli_opt(a, "action");
        o.base = base;
        o.encoding = cli_opt(a, "encoding");
        o.format = format;
        const char *d = cli_opt(a, "delimiter");
        o.delimiter = d == NULL ? 0 : strcmp(d, "\\t") == 0 || strcmp(d, "tab") == 0 ? '\t' : d[0];
        o.header = cli_flag(a, "header") ? 1 : cli_flag(a, "no-header") ? -1 : 0;
        o.strict = cli_flag(a, "strict");
        int rc = pt_import_events(b, path, &o, st);
        if (rc != PT_OK) {
            return rc;
        }
        if (!cli_flag(a, "quiet")) {
            cli_progress_done();
            fprintf(stderr, "%s: %s rows read, %s imported, %s skipped", path,
                    cli_num(st->rows_read, buf[0], 32), cli_num(st->rows_imported, buf[1], 32),
                    cli_num(st->rows_skipped, buf[2], 32));
            if (st->rows_skipped > 0) {
                fputs(" (", stderr);
                int first = 1;
                for (int r = 0; r < PT_SKIP_COUNT_; r++) {
                    if (st->skipped_by[r] > 0) {
                        fprintf(stderr, "%s%llu %s", first ? "" : ", ",
                                (unsigned long long)st->skipped_by[r],
                                pt_skip_reason_name((pt_skip_reason)r));
                        first = 0;
                    }
                }
                fprintf(stderr, "; first: %s)", st->first_skip);
            }
            fputc('\n', stderr);
        }
        return PT_OK;
    }
    if (format == NULL && pt_rdf_format_guess(path) == NULL) {
        return unknown_format(a, path);
    }
    int rc = pt_import_rdf(b, path, format, NULL, st);
    if (rc == PT_OK && !cli_flag(a, "quiet")) {
        cli_progress_done();
        fprintf(stderr, "%s: %s triples\n", path, cli_num(st->rows_read, buf[0], 32));
    }
    return rc;
}

/* Run `portrait import`. */
static int run_import(cli_args *a) {
    if (a->n_pos == 0) {
        cli_err(a, "no file given (see 'portrait import --help')");
        return EXIT_USAGE;
    }
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 1, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    double t0 = cli_now();
    pt_graph *old = pt_store_graph(st);
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    int rc = pt_builder_new(ctx, old, &b);
    uint64_t total_rows = 0;
    int any_events = 0;
    const char *base = cli_opt(a, "base");
    if (rc == PT_OK) {
        if (base != NULL) {
            pt_builder_set_base(b, base);
        } else if (pt_graph_base(old)[0] != '\0') {
            base = pt_graph_base(old);
        } else {
            /* Local ids from event files need some base; remember it for lookups. */
            for (int i = 0; i < a->n_pos; i++) {
                const char *cf = catalog_format(a->pos[i], cli_opt(a, "format"));
                if (cli_opt(a, "map") != NULL || is_event_file(a->pos[i], cli_opt(a, "format")) ||
                    (cf != NULL && strcmp(cf, "taxonomy") != 0)) {
                    base = "urn:portrait:";
                    pt_builder_set_base(b, base);
                    break;
                }
            }
        }
    }
    for (int i = 0; rc == PT_OK && i < a->n_pos; i++) {
        pt_import_stats s;
        memset(&s, 0, sizeof s);
        any_events |= cli_opt(a, "map") != NULL || is_event_file(a->pos[i], cli_opt(a, "format"));
        rc = import_one(a, b, a->pos[i], base, &s);
        total_rows += s.rows_read;
        if (rc != PT_OK) {
            if (pt_ctx_errmsg(ctx)[0] != '\0') { /* the CLI's own errors are printed already */
                cli_err(a, "%s", pt_ctx_errmsg(ctx));
            }
            pt_builder_free(b);
            b = NULL;
        }
    }
    if (rc == PT_OK) {
        rc = pt_builder_finish(b, &g);
        b = NULL;
        if (rc != PT_OK) {
            cli_err(a, "%s", pt_ctx_errmsg(ctx));
        }
    }
    int is_store = 0;
    if (rc == PT_OK) {
        char note[256];
        snprintf(note, sizeof note, "import of %d file(s), %llu rows", a->n_pos,
                 (unsigned long long)total_rows);
        rc = pt_store_commit(st, g, note);
        if (rc != PT_OK) {
            cli_err(a, "%s", pt_ctx_errmsg(ctx));
            pt_graph_free(g);
            is_store = 1;
        }
    }
    cli_progress_done();
    if (rc == PT_OK && !cli_flag(a, "quiet")) {
        pt_graph *ng = pt_store_graph(st);
        char n1[32], n2[32], n3[32], n4[32], sec[32];
        printf("imported %s %s from %d file%s in %s; the store at %s now holds %s nodes, "
               "%s edges, %s literals (generation %llu)\n",
               cli_num(total_rows, n1, sizeof n1), any_events ? "rows" : "triples", a->n_pos, a->n_pos == 1 ? "" : "s",
               cli_seconds(cli_now() - t0, sec, sizeof sec), pt_store_path(st),
               cli_num(pt_graph_node_count(ng), n2, sizeof n2),
               cli_num(pt_graph_edge_count(ng), n3, sizeof n3),
               cli_num(pt_graph_literal_count(ng), n4, sizeof n4),
               (unsigned long long)pt_store_generation(st));
    }
    if (rc != PT_OK) {
        fprintf(stderr, "portrait import: nothing was imported; the store is unchanged\n");
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    return cli_exit_for(rc, is_store);
}

const cli_cmd cmd_import = {
    "import",
    "import RDF or behaviour-event files into the store (all or nothing)",
    "usage: portrait import [options] FILE...\n"
    "\n"
    "Import RDF (N-Triples, N-Quads, Turtle, TriG, RDF/XML, RDF/JSON) or behaviour events\n"
    "(CSV, TSV, JSON-lines, with --map) into the store, and product catalogues: Google\n"
    "product taxonomies, Merchant Center feeds and BMEcat. Any file may be gzip-compressed.\n"
    "All files are imported, or none: a file that fails leaves the store as it was.\n"
    "\n"
    "Options:\n"
    "  --format F       ntriples|nquads|turtle|trig|rdfxml|rdfjson|csv|tsv|jsonl|\n"
    "                   taxonomy|merchant|bmecat (default: from the file name; .txt and .xml\n"
    "                   files are sniffed for a Google taxonomy, Merchant feed or BMEcat)\n"
    "  --lang L         language of taxonomy labels (default: from the file name, zh-CN -> zh)\n"
    "  --base IRI       base IRI for local ids: users become IRI/user/ID, items IRI/item/ID;\n"
    "                   the store remembers it, so 'portrait ... --node 42' finds them\n"
    "  --map MAP        event fields: user=F,item=F[,action=F][,value=F][,time=F][,text=F];\n"
    "                   F is a column name, a JSON field (dotted path), or a 1-based column\n"
    "                   number for files without a header\n"
    "  --action A       fixed action: viewed|clicked|carted|purchased|rated|reviewed\n"
    "                   (default: rated when a value is mapped, else viewed)\n"
    "  --encoding E     utf-8 (default) or latin1\n"
    "  --delimiter C    field delimiter (default ',' for csv, TAB for tsv; 'tab' for TAB)\n"
    "  --header         the first row names the columns (default: when the map uses names)\n"
    "  --no-header      the file has no header row\n"
    "  --strict         fail on the first bad row (default: skip, count and report it)\n"
    "  --quiet          no summary\n"
    "\n"
    "Examples:\n"
    "  portrait import shop.ttl\n"
    "  portrait import --base https://movielens.org/ --map user=1,item=2,value=3,time=4 \\\n"
    "      --action rated u.data\n"
    "  portrait import --map user=reviewerID,item=asin,value=overall,time=unixReviewTime,"
    "text=reviewText All_Beauty_5.json.gz\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 2 bad input (file:line and reason on stderr), 4 store error.\n",
    import_opts,
    run_import,
    1, /* takes positional arguments (checked by the command) */
};
