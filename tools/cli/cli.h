/*
 * cli.h - what the `portrait` command's subcommands share: option parsing, the store, output
 * helpers and exit codes. The command uses only the public API (include/portrait/).
 */
#ifndef PT_CLI_H
#define PT_CLI_H

#include <stdio.h>

#include "portrait/portrait.h"

/* Documented exit codes (portrait(1), docs/CLI.md). */
enum {
    EXIT_OK_ = 0,
    EXIT_USAGE = 1,
    EXIT_INPUT = 2,
    EXIT_NOTFOUND = 3,
    EXIT_STORE = 4,
};

/* A parsed command line: `--name value` / `--flag` options and positional arguments. */
typedef struct cli_args {
    int argc;
    char **argv;
    const char *cmd;
    /* options are looked up by name; each spec lists "name" (flag) or "name=" (takes a value) */
    const char **names;
    const char **values; /* NULL: absent; "" for a present flag */
    int n_opts;
    char **pos;
    int n_pos;
} cli_args;

/* One subcommand. */
typedef struct cli_cmd {
    const char *name;
    const char *summary;
    const char *usage;    /* full help text */
    const char *const *opts; /* accepted options, NULL-terminated: "hops=", "strict" */
    int (*run)(cli_args *a);
    int args;             /* 1: takes positional arguments (the command checks them); 0: a
                             positional argument is a usage error ("eval bogus", or a value
                             given to a flag: "--tune 5") */
} cli_cmd;

/* Parse argv against `cmd->opts` into `a`; prints the error and returns EXIT_USAGE on unknown
 * options, missing values, or positional arguments to a command without `args`. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a);
void cli_args_free(cli_args *a);

/* Option value or NULL; flag presence. */
const char *cli_opt(const cli_args *a, const char *name);
int cli_flag(const cli_args *a, const char *name);

/* Parse an integer option within [lo, hi] (default `def` when absent); on error prints
 * "portrait CMD: --name: reason" and returns -1 (the caller exits with EXIT_USAGE). */
int cli_int(const cli_args *a, const char *name, long def, long lo, long hi, long *out);

/* Parse a number option within [lo, hi] into *out, left untouched when the option is absent;
 * on a bad value prints "portrait CMD: --name: 'V' is not a number in [lo, hi]" and returns
 * -1 (the caller exits with EXIT_USAGE). */
int cli_double(const cli_args *a, const char *name, double lo, double hi, double *out);

/* Print "portrait CMD: msg" to stderr. */
void cli_err(const cli_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Map a library code to an exit code; `is_store` says the failure came from the store. */
int cli_exit_for(int rc, int is_store);

/* The store path: --store, else $PORTRAIT_STORE, else ./portrait.db. */
const char *cli_store_path(const cli_args *a);

/* Open the store for reading (must exist) or writing (created when absent). Prints the error
 * and returns an exit code, or 0 with *ctx and *st set. */
int cli_open_store(cli_args *a, int write, pt_ctx **ctx, pt_store **st);

/* Install a progress printer on stderr when it is a terminal. */
void cli_progress(pt_ctx *ctx);
/* Clear the progress line (before printing a summary). */
void cli_progress_done(void);
/* Install a log printer (warnings to stderr). */
void cli_log(pt_ctx *ctx);

/* Write a JSON string (with quotes) to `f`. */
void cli_json_str(FILE *f, const char *s);

/* The short form of an IRI for display: a prefixed name when a prefix fits, else <IRI>-less
 * full IRI; writes into buf. */
const char *cli_compact_iri(const pt_graph *g, const char *iri, char *buf, size_t cap);

/* Display form of a node (local id, prefixed name, _:b, or IRI). */
const char *cli_node_name(const pt_graph *g, pt_node_id v, char *buf, size_t cap);

/* Resolve a predicate as typed: a role name ("purchased"), prefixed name, or IRI. Appends the
 * matching predicate ids (a role name matches every predicate with that role) to *ids. Returns
 * the number found. */
size_t cli_resolve_predicates(const pt_graph *g, const char *spec, pt_node_id **ids, size_t *n);

/* The title of node v for display: pt:title, else rdfs:label, English preferred; or NULL. */
const char *cli_node_title(const pt_graph *g, pt_node_id v);

/* The display id of node v as a JSON string. */
void cli_json_id(FILE *f, const pt_graph *g, pt_node_id v);

/* One explanation path as a JSON object: share, hops, nodes (id, class, title) and edges
 * (predicate as a prefixed name, "forward" when the edge runs along the path). */
void cli_json_path(FILE *f, const pt_graph *g, const pt_rec_path *p);

/* Format seconds as "1.23 s" / "45 ms". */
const char *cli_seconds(double s, char *buf, size_t cap);
double cli_now(void);

/* Thousands separators: 1234567 -> "1,234,567". */
const char *cli_num(uint64_t v, char *buf, size_t cap);

/* The sequence-model options (--L, --dim, --epochs, --neg, --augment, --seed, ...) shared by
 * `seq train` and `eval --model seq|hybrid` (cmd_seq.c); 0 or an exit code after the error. */
int cli_seq_params(cli_args *a, pt_seq_params *p);
extern const cli_cmd cmd_seq;

/* Subcommands. */
extern const cli_cmd cmd_profile, cmd_profiles, cmd_tag;
extern const cli_cmd cmd_import, cmd_stats, cmd_neighborhood, cmd_export, cmd_verify;
extern const cli_cmd cmd_eval;
extern const cli_cmd cmd_recommend, cmd_explain;
extern const cli_cmd cmd_text;
extern const cli_cmd cmd_sparql;
extern const cli_cmd cmd_cnn;
extern const cli_cmd cmd_serve;
extern const cli_cmd cmd_events, cmd_compact, cmd_erase;

#endif /* PT_CLI_H */
