/*
 * cli_util.c - the plumbing every `portrait` subcommand shares: option parsing, the store path,
 * exit codes, progress on a terminal, JSON strings and the display forms of ids (the JSON and
 * display helpers forward to tools/common/render.c, which the HTTP service shares).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/render.h"

/* Take positional argument `s`, or say that the command takes none (returns -1). */
static int add_pos(const cli_cmd *cmd, cli_args *a, char *s) {
    if (!cmd->args) {
        fprintf(stderr,
                "portrait %s: unexpected argument '%s' (this command takes options only; see "
                "'portrait %s --help')\n",
                cmd->name, s, cmd->name);
        return -1;
    }
    a->pos[a->n_pos++] = s;
    return 0;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a) {
    memset(a, 0, sizeof *a);
    a->cmd = cmd->name;
    a->argc = argc;
    a->argv = argv;
    a->names = calloc((size_t)argc + 1, sizeof(char *));
    a->values = calloc((size_t)argc + 1, sizeof(char *));
    a->pos = calloc((size_t)argc + 1, sizeof(char *));
    if (a->names == NULL || a->values == NULL || a->pos == NULL) {
        fprintf(stderr, "portrait: out of memory\n");
        exit(EXIT_STORE);
    }
    for (int i = 0; i < argc; i++) {
        char *s = argv[i];
        if (strcmp(s, "--") == 0) { /* the rest are positional, even "--x" */
            for (i++; i < argc; i++) {
                if (add_pos(cmd, a, argv[i]) != 0) {
                    return EXIT_USAGE;
                }
            }
            break;
        }
        if (strncmp(s, "--", 2) != 0) {
            if (add_pos(cmd, a, s) != 0) {
                return EXIT_USAGE;
            }
            continue;
        }
        char name[64];
        const char *eq = strchr(s + 2, '=');
        size_t nl = eq != NULL ? (size_t)(eq - s - 2) : strlen(s + 2);
        if (nl >= sizeof name) {
            nl = sizeof name - 1;
        }
        memcpy(name, s + 2, nl);
        name[nl] = '\0';
        int found = 0, takes = 0;
        for (const char *const *o = cmd->opts; o != NULL && *o != NULL; o++) {
            size_t ol = strcspn(*o, "=");
            if (ol == nl && strncmp(*o, name, nl) == 0) {
                found = 1;
                takes = (*o)[ol] == '=';
                break;
            }
        }
        if (!found && strcmp(name, "store") == 0) {
            found = 1;
            takes = 1;
        }
        if (!found) {
            fprintf(stderr, "portrait %s: unknown option --%s (see 'portrait %s --help')\n",
                    cmd->name, name, cmd->name);
            return EXIT_USAGE;
        }
        const char *val = "";
        if (takes) {
            if (eq != NULL) {
                val = eq + 1;
            } else if (i + 1 < argc) {
                val = argv[++i];
            } else {
                fprintf(stderr, "portrait %s: option --%s needs a value\n", cmd->name, name);
                return EXIT_USAGE;
            }
        } else if (eq != NULL) {
            fprintf(stderr, "portrait %s: option --%s takes no value\n", cmd->name, name);
            return EXIT_USAGE;
        }
        a->names[a->n_opts] = strdup(name);
        a->values[a->n_opts++] = val;
    }
    return 0;
}

void cli_args_free(cli_args *a) {
    for (int i = 0; i < a->n_opts; i++) {
        free((void *)a->names[i]);
    }
    free(a->names);
    free(a->values);
    free(a->pos);
}

const char *cli_opt(const cli_args *a, const char *name) {
    const char *v = NULL;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->names[i], name) == 0) {
            v = a->values[i]; /* the last one wins */
        }
    }
    return v;
}

int cli_flag(const cli_args *a, const char *name) {
    return cli_opt(a, name) != NULL;
}

int cli_int(const cli_args *a, const char *name, long def, long lo, long hi, long *out) {
    const char *v = cli_opt(a, name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno != 0) {
        cli_err(a, "--%s: '%s' is not a whole number", name, v);
        return -1;
    }
    if (x < lo || x > hi) {
        cli_err(a, "--%s: %ld is out of range [%ld, %ld]", name, x, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int cli_double(const cli_args *a, const char *name, double lo, double hi, double *out) {
    const char *v = cli_opt(a, name);
    if (v == NULL) {
        return 0;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(x) || x < lo || x > hi) {
        cli_err(a, "--%s: '%s' is not a number in [%g, %g]", name, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

void cli_err(const cli_args *a, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "portrait %s: ", a->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for(int rc, int is_store) {
    switch (rc) {
    case PT_OK:
        return EXIT_OK_;
    case PT_ENOTFOUND:
        return is_store ? EXIT_STORE : EXIT_NOTFOUND;
    case PT_EPARSE:
    case PT_EINVAL:
    case PT_ELIMIT:
    case PT_EUNSUPPORTED:
        return EXIT_INPUT;
    case PT_EIO:
        return is_store ? EXIT_STORE : EXIT_INPUT;
    default:
        return EXIT_STORE;
    }
}

const char *cli_store_path(const cli_args *a) {
    const char *p = cli_opt(a, "store");
    if (p == NULL || *p == '\0') {
        p = getenv("PORTRAIT_STORE");
    }
    return p != NULL && *p != '\0' ? p : "./portrait.db";
}

int cli_open_store(cli_args *a, int write, pt_ctx **ctx, pt_store **st) {
    *st = NULL;
    if (pt_ctx_new(ctx) != PT_OK) {
        fprintf(stderr, "portrait: out of memory\n");
        return EXIT_STORE;
    }
    cli_log(*ctx);
    cli_progress(*ctx);
    const char *path = cli_store_path(a);
    int rc = pt_store_open(*ctx, path, write ? PT_STORE_CREATE : PT_STORE_READONLY, st);
    if (rc != PT_OK) {
        if (rc == PT_ENOTFOUND) {
            cli_err(a, "no store at %s (create one with 'portrait import')", path);
        } else {
            cli_err(a, "%s", pt_ctx_errmsg(*ctx));
        }
        pt_ctx_free(*ctx);
        *ctx = NULL;
        return EXIT_STORE;
    }
    return 0;
}

/* State of the terminal progress line. */
static double progress_last;
static int progress_shown;

/* Print "\r<what> 45%" at most five times a second; clear it when done. */
static void progress_print(void *ud, const char *what, uint64_t done, uint64_t total) {
    (void)ud;
    double now = cli_now();
    if (now - progress_last < 0.2 && !(total != 0 && done >= total)) {
        return;
    }
    progress_last = now;
    if (total != 0) {
        fprintf(stderr, "\r\033[K%s %3.0f%%", what, 100.0 * (double)done / (double)total);
    } else {
        fprintf(stderr, "\r\033[K%s %llu", what, (unsigned long long)done);
    }
    progress_shown = 1;
    fflush(stderr);
}

/* Clear the progress line at exit so the summary starts on a clean line. */
static void progress_clear(void) {
    if (progress_shown) {
        fprintf(stderr, "\r\033[K");
    }
}

void cli_progress_done(void) {
    progress_clear();
    progress_shown = 0;
}

void cli_progress(pt_ctx *ctx) {
    if (isatty(2)) {
        pt_ctx_set_progress(ctx, progress_print, NULL);
        atexit(progress_clear);
    }
}

/* Log warnings and errors on stderr. */
static void log_print(void *ud, pt_log_level level, const char *msg) {
    (void)ud;
    if (level >= PT_LOG_WARN) {
        progress_clear();
        progress_shown = 0;
        fprintf(stderr, "portrait: %s: %s\n", level == PT_LOG_WARN ? "warning" : "error", msg);
    }
}

void cli_log(pt_ctx *ctx) {
    pt_ctx_set_log(ctx, log_print, NULL);
}

void cli_json_str(FILE *f, const char *s) {
    render_json_str(f, s);
}

const char *cli_compact_iri(const pt_graph *g, const char *iri, char *buf, size_t cap) {
    return render_compact_iri(g, iri, buf, cap);
}

const char *cli_node_name(const pt_graph *g, pt_node_id v, char *buf, size_t cap) {
    const char *s = pt_graph_node_str(g, v);
    const char *base = pt_graph_base(g);
    if (s != NULL && pt_graph_node_kind(g, v) == PT_TERM_IRI &&
        (base[0] == '\0' || strncmp(s, base, strlen(base)) != 0)) {
        return cli_compact_iri(g, s, buf, cap);
    }
    pt_graph_display_id(g, v, buf, cap);
    return buf;
}

size_t cli_resolve_predicates(const pt_graph *g, const char *spec, pt_node_id **ids, size_t *n) {
    size_t found = 0;
    for (int r = 1; r < PT_ROLE_COUNT_; r++) {
        if (strcmp(spec, pt_role_name((pt_role)r)) == 0) {
            for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
                if (pt_graph_pred_role(g, v) == (pt_role)r) {
                    pt_node_id *nn = realloc(*ids, (*n + 1) * sizeof **ids);
                    if (nn == NULL) {
                        return found;
                    }
                    *ids = nn;
                    (*ids)[(*n)++] = v;
                    found++;
                }
            }
            return found;
        }
    }
    pt_node_id v = pt_graph_resolve(g, spec, PT_CLASS_OTHER);
    if (v != PT_NONE) {
        pt_node_id *nn = realloc(*ids, (*n + 1) * sizeof **ids);
        if (nn != NULL) {
            *ids = nn;
            (*ids)[(*n)++] = v;
            found = 1;
        }
    }
    return found;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *cli_seconds(double s, char *buf, size_t cap) {
    if (s < 1.0) {
        snprintf(buf, cap, "%.0f ms", s * 1000.0);
    } else {
        snprintf(buf, cap, "%.2f s", s);
    }
    return buf;
}

const char *cli_num(uint64_t v, char *buf, size_t cap) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            buf[o++] = ',';
        }
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *cli_node_title(const pt_graph *g, pt_node_id v) {
    return render_node_title(g, v);
}

void cli_json_id(FILE *f, const pt_graph *g, pt_node_id v) {
    render_json_id(f, g, v);
}

void cli_json_path(FILE *f, const pt_graph *g, const pt_rec_path *p) {
    render_json_path(f, g, p);
}
