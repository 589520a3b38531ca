/*
 * cmd_live.c - `portrait events add`, `portrait compact` and `portrait erase`: the real-time
 * event log from the command line (pt_live.h).
 *
 * `events add` reads NDJSON (one event object per line) from a file or standard input, or a
 * JSON array or object, and appends the events durably in batches: it prints `ack FIRST COUNT`
 * after each batch is committed and applied, and flushes, so a caller that sees the line knows
 * the events survive a crash. Standard input is read line by line and a batch is cut as soon as
 * no more input is waiting (or at --batch events), so a slow producer gets its acks at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Input read from a descriptor in large blocks, handed out a line at a time. */
typedef struct lines {
    int fd;
    char *buf;
    size_t len, pos, cap;
    int eof;
    unsigned long lineno; /* of the last line handed out */
} lines;

/* Read more input into `in` (blocking). Returns 1 when something was read, 0 at end, -1 on
 * error (errno). */
static int fill(lines *in) {
    if (in->pos > 0) {
        memmove(in->buf, in->buf + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->pos = 0;
    }
    if (in->len == in->cap) {
        size_t cap = in->cap == 0 ? 65536 : in->cap * 2;
        char *p = realloc(in->buf, cap);
        if (p == NULL) {
            errno = ENOMEM;
            return -1;
        }
        in->buf = p;
        in->cap = cap;
    }
    for (;;) {
        ssize_t k = read(in->fd, in->buf + in->len, in->cap - in->len);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            return -1;
        }
        if (k == 0) {
            in->eof = 1;
            return 0;
        }
        in->len += (size_t)k;
        return 1;
    }
}

/* True when input is waiting on the descriptor right now. */
static int ready(const lines *in) {
    struct pollfd p = {in->fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

/*
 * Hand out the next line (without its newline) in *s, *n. With `block` 0, returns 0 instead of
 * waiting when no whole line is buffered and no input is waiting. Returns 1 with a line, 0 when
 * there is none (end of input, or nothing ready), -1 on a read error.
 */
static int next_line(lines *in, int block, const char **s, size_t *n) {
    for (;;) {
        char *nl = memchr(in->buf + in->pos, '\n', in->len - in->pos);
        if (nl != NULL) {
            *s = in->buf + in->pos;
            *n = (size_t)(nl - *s);
            in->pos += *n + 1;
            in->lineno++;
            return 1;
        }
        if (in->eof) {
            if (in->pos < in->len) {
                *s = in->buf + in->pos;
                *n = in->len - in->pos;
                in->pos = in->len;
                in->lineno++;
                return 1;
            }
            return 0;
        }
        if (!block && !ready(in)) {
            return 0;
        }
        if (fill(in) < 0) {
            return -1;
        }
    }
}

/* The events of one batch: parsed lines kept until the batch is appended. */
typedef struct pending {
    pt_event_batch **parsed;
    pt_live_event *ev;
    size_t n_parsed, n_ev, cap_parsed, cap_ev;
} pending;

/* Free the parsed lines of a batch and empty it. */
static void pending_clear(pending *p) {
    for (size_t i = 0; i < p->n_parsed; i++) {
        pt_event_batch_free(p->parsed[i]);
    }
    p->n_parsed = p->n_ev = 0;
}

/* Add the events of `b` (taking ownership) to the batch. Returns 0, or -1 out of memory. */
static int pending_add(pending *p, pt_event_batch *b) {
    size_t k = pt_event_batch_count(b);
    if (p->n_parsed == p->cap_parsed) {
        size_t cap = p->cap_parsed == 0 ? 64 : p->cap_parsed * 2;
        void *q = realloc(p->parsed, cap * sizeof *p->parsed);
        if (q == NULL) {
            return -1;
        }
        p->parsed = q;
        p->cap_parsed = cap;
    }
    if (p->n_ev + k > p->cap_ev) {
        size_t cap = p->cap_ev == 0 ? 256 : p->cap_ev;
        while (cap < p->n_ev + k) {
            cap *= 2;
        }
        void *q = realloc(p->ev, cap * sizeof *p->ev);
        if (q == NULL) {
            return -1;
        }
        p->ev = q;
        p->cap_ev = cap;
    }
    p->parsed[p->n_parsed++] = b;
    for (size_t i = 0; i < k; i++) {
        p->ev[p->n_ev++] = *pt_event_batch_get(b, i);
    }
    return 0;
}

/* Append the batch durably and print its ack. Returns an exit code (0 on success). */
static int flush_batch(cli_args *a, pt_ctx *ctx, pt_store *st, pending *p, uint64_t *total) {
    if (p->n_ev == 0) {
        return 0;
    }
    uint64_t first = 0;
    int rc = pt_store_append_events(st, p->ev, p->n_ev, &first);
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        pending_clear(p);
        return cli_exit_for(rc, rc != PT_EINVAL);
    }
    printf("ack %llu %zu\n", (unsigned long long)first, p->n_ev);
    fflush(stdout);
    *total += p->n_ev;
    pending_clear(p);
    return 0;
}

/* Append a whole body (a JSON array or object, or NDJSON read at once) in batches of `batch`. */
static int add_body(cli_args *a, pt_ctx *ctx, pt_store *st, const char *body, size_t len,
                    long batch, uint64_t *total) {
    pt_event_batch *b = NULL;
    int rc = pt_events_parse(ctx, body, len, 0, &b);
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
        return cli_exit_for(rc, 0);
    }
    size_t n = pt_event_batch_count(b);
    pt_live_event *ev = malloc((n > 0 ? n : 1) * sizeof *ev);
    if (ev == NULL) {
        pt_event_batch_free(b);
        cli_err(a, "out of memory");
        return EXIT_STORE;
    }
    for (size_t i = 0; i < n; i++) {
        ev[i] = *pt_event_batch_get(b, i);
    }
    int ex = 0;
    for (size_t i = 0; i < n && ex == 0; i += (size_t)batch) {
        size_t k = n - i < (size_t)batch ? n - i : (size_t)batch;
        uint64_t first = 0;
        rc = pt_store_append_events(st, ev + i, k, &first);
        if (rc != PT_OK) {
            cli_err(a, "%s", pt_ctx_errmsg(ctx));
            ex = cli_exit_for(rc, rc != PT_EINVAL);
            break;
        }
        printf("ack %llu %zu\n", (unsigned long long)first, k);
        fflush(stdout);
        *total += k;
    }
    free(ev);
    pt_event_batch_free(b);
    return ex;
}

/* `portrait events add [FILE|-] [--batch N]`. */
static int events_add(cli_args *a, const char *file) {
    long batch;
    if (cli_int(a, "batch", 1000, 1, 1000000, &batch) != 0) {
        return EXIT_USAGE;
    }
    lines in = {0};
    in.fd = 0;
    if (file != NULL && strcmp(file, "-") != 0) {
        FILE *f = fopen(file, "rb");
        if (f == NULL) {
            cli_err(a, "%s: %s", file, strerror(errno));
            return EXIT_INPUT;
        }
        in.fd = dup(fileno(f));
        fclose(f);
    }
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 1, &ctx, &st);
    if (ex != 0) {
        if (in.fd != 0) {
            close(in.fd);
        }
        return ex;
    }
    uint64_t total = 0;
    pending p = {0};
    const char *s;
    size_t n;
    /* Look at the first non-blank byte: an array (or a file) is read whole, else line by line. */
    int whole = file != NULL && strcmp(file, "-") != 0;
    for (;;) {
        while (in.pos < in.len && strchr(" \t\r\n", in.buf[in.pos]) != NULL) {
            in.pos++;
        }
        if (in.pos < in.len || in.eof) {
            break;
        }
        if (fill(&in) < 0) {
            cli_err(a, "read error: %s", strerror(errno));
            ex = EXIT_INPUT;
            goto done;
        }
    }
    if (whole || (in.pos < in.len && in.buf[in.pos] == '[')) {
        while (!in.eof) {
            if (fill(&in) < 0) {
                cli_err(a, "read error: %s", strerror(errno));
                ex = EXIT_INPUT;
                goto done;
            }
        }
        ex = add_body(a, ctx, st, in.buf + in.pos, in.len - in.pos, batch, &total);
        goto done;
    }
    for (;;) {
        /* Block for the first line of a batch, then take what is already waiting. */
        int got = next_line(&in, p.n_ev == 0, &s, &n);
        if (got < 0) {
            cli_err(a, "read error: %s", strerror(errno));
            ex = EXIT_INPUT;
            break;
        }
        if (got == 0) {
            ex = flush_batch(a, ctx, st, &p, &total);
            if (ex != 0 || in.eof) {
                break;
            }
            continue;
        }
        size_t k = 0;
        while (k < n && strchr(" \t\r", s[k]) != NULL) {
            k++;
        }
        if (k == n) {
            continue;
        }
        pt_event_batch *b = NULL;
        int rc = pt_events_parse(ctx, s, n, 0, &b);
        if (rc != PT_OK) {
            /* The parser counts lines within the one line it was given: say the input's. */
            const char *m = pt_ctx_errmsg(ctx);
            if (strncmp(m, "line 1: ", 8) == 0) {
                m += 8;
            }
            cli_err(a, "line %lu: %s", in.lineno, m);
            ex = cli_exit_for(rc, 0);
            break;
        }
        if (pending_add(&p, b) != 0) {
            pt_event_batch_free(b);
            cli_err(a, "out of memory");
            ex = EXIT_STORE;
            break;
        }
        if (p.n_ev >= (size_t)batch) {
            ex = flush_batch(a, ctx, st, &p, &total);
            if (ex != 0) {
                break;
            }
        }
    }
done:
    pending_clear(&p);
    free(p.parsed);
    free(p.ev);
    free(in.buf);
    if (in.fd != 0) {
        close(in.fd);
    }
    if (ex == 0) {
        fprintf(stderr, "portrait events add: %llu events appended (log at %llu, %llu pending)\n",
                (unsigned long long)total, (unsigned long long)pt_store_log_last(st),
                (unsigned long long)pt_store_log_pending(st));
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    return ex;
}

/* `portrait events status`: the log's counters. */
static int events_status(cli_args *a) {
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 0, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    printf("generation %llu, log at %llu, %llu pending\n",
           (unsigned long long)pt_store_generation(st), (unsigned long long)pt_store_log_last(st),
           (unsigned long long)pt_store_log_pending(st));
    pt_store_close(st);
    pt_ctx_free(ctx);
    return EXIT_OK_;
}

static int run_events(cli_args *a) {
    if (a->n_pos < 1) {
        cli_err(a, "expected 'add' or 'status' (see 'portrait events --help')");
        return EXIT_USAGE;
    }
    if (strcmp(a->pos[0], "add") == 0) {
        if (a->n_pos > 2) {
            cli_err(a, "add takes one input (FILE or -)");
            return EXIT_USAGE;
        }
        return events_add(a, a->n_pos == 2 ? a->pos[1] : NULL);
    }
    if (strcmp(a->pos[0], "status") == 0) {
        return events_status(a);
    }
    cli_err(a, "unknown subcommand '%s' (expected add or status)", a->pos[0]);
    return EXIT_USAGE;
}

static const char *const events_opts[] = {"batch=", NULL};

const cli_cmd cmd_events = {
    "events",
    "append real-time events to the store's durable log",
    "usage: portrait events add [FILE|-] [--batch N]\n"
    "       portrait events status\n"
    "\n"
    "add: read events, one JSON object per line (NDJSON), or a JSON array or object, from\n"
    "FILE or standard input, and append them to the store's event log. Fields: user, item\n"
    "(required), action (viewed, clicked, carted, purchased, rated, reviewed or an IRI), time\n"
    "(unix seconds or ISO-8601; default now), value, text. After each batch is durable\n"
    "(committed and fsynced) and applied to the graph it prints 'ack FIRST_SEQ COUNT'.\n"
    "Standard input is read line by line: a batch closes at N events (default 1000) or when no\n"
    "more input is waiting. A bad line stops the command; earlier batches stay.\n"
    "\n"
    "status: print the generation, the last sequence number and the events not yet folded\n"
    "into the snapshot ('portrait compact' folds them).\n",
    events_opts,
    run_events,
    1, /* takes positional arguments (checked by the command) */
};

/* `portrait compact`. */
static int run_compact(cli_args *a) {
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 1, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    uint64_t pending_n = pt_store_log_pending(st);
    int rc = pt_store_compact(st, "compact");
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    } else {
        printf("compacted %llu logged events into generation %llu\n",
               (unsigned long long)pending_n, (unsigned long long)pt_store_generation(st));
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    return cli_exit_for(rc, 1);
}

static const char *const compact_opts[] = {NULL};

const cli_cmd cmd_compact = {
    "compact",
    "fold the event log into a new snapshot",
    "usage: portrait compact\n"
    "\n"
    "Write the graph with every logged event as a new snapshot and mark the log as folded, in\n"
    "one manifest transaction: a crash at any point leaves every acknowledged event exactly\n"
    "once. The store then opens without replaying anything.\n",
    compact_opts,
    run_compact,
    0, /* options only */
};

/* `portrait erase --user ID`. */
static int run_erase(cli_args *a) {
    const char *user = cli_opt(a, "user");
    if (user == NULL || user[0] == '\0') {
        cli_err(a, "--user ID is required");
        return EXIT_USAGE;
    }
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 1, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    pt_erase_stats es;
    int rc = pt_store_erase_user(st, user, &es);
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    } else {
        printf("erased user %s: %llu logged events, %llu edges, %llu nodes (generation %llu)\n",
               user, (unsigned long long)es.events, (unsigned long long)es.edges,
               (unsigned long long)es.nodes, (unsigned long long)pt_store_generation(st));
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    return cli_exit_for(rc, 0);
}

static const char *const erase_opts[] = {"user=", NULL};

const cli_cmd cmd_erase = {
    "erase",
    "erase a user and everything derived from it",
    "usage: portrait erase --user ID\n"
    "\n"
    "Remove the user's logged events, edges, literals and review (pt:Event) nodes, write a new\n"
    "snapshot without them, delete the old one and vacuum the manifest, so that no byte of the\n"
    "user's id or events is left in the store's files. Prints what was removed.\n",
    erase_opts,
    run_erase,
    0, /* options only */
};
