/*
 * cmd_serve.c - `portrait serve`: run the HTTP service of tools/httpd/ on a store until SIGINT
 * or SIGTERM. This file only reads the options and the token file; the service itself is
 * tools/httpd/server.c, and docs/API.md documents the endpoints.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "httpd.h"

/* Read the bearer token from `path`: the first line, without its line end and surrounding
 * blanks; at least 16 bytes of printable ASCII. Returns a malloc'd string, or NULL after
 * printing the reason. */
static char *read_token(cli_args *a, const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        cli_err(a, "--token-file: cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char buf[1024];
    char *line = fgets(buf, sizeof buf, f);
    fclose(f);
    if (line == NULL) {
        cli_err(a, "--token-file: %s is empty", path);
        return NULL;
    }
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
                     buf[n - 1] == '\t')) {
        buf[--n] = '\0';
    }
    char *s = buf;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (strlen(s) < 16) {
        cli_err(a, "--token-file: the token in %s is shorter than 16 characters", path);
        return NULL;
    }
    for (const char *p = s; *p; p++) {
        if (*p < 0x21 || *p > 0x7E) {
            cli_err(a, "--token-file: the token must be printable ASCII without spaces");
            return NULL;
        }
    }
    return strdup(s);
}

/* Run `portrait serve`. */
static int run_serve(cli_args *a) {
    httpd_opts o;
    httpd_opts_default(&o);
    long port, threads, max_body, max_k, timeout, cache_ms;
    if (cli_int(a, "port", 8080, 0, 65535, &port) != 0 ||
        cli_int(a, "threads", 2, 1, 256, &threads) != 0 ||
        cli_int(a, "max-body", 1 << 20, 64, 1L << 30, &max_body) != 0 ||
        cli_int(a, "max-k", 100, 1, 10000, &max_k) != 0 ||
        cli_int(a, "timeout", 30, 1, 3600, &timeout) != 0 ||
        cli_int(a, "cache-ms", 1000, 0, 3600000, &cache_ms) != 0) {
        return EXIT_USAGE;
    }
    o.store = cli_store_path(a);
    o.port = (int)port;
    o.threads = (int)threads;
    o.max_body = (size_t)max_body;
    o.max_k = (uint32_t)max_k;
    o.timeout = (unsigned)timeout;
    o.cache_ms = (unsigned)cache_ms;
    o.read_only = cli_flag(a, "read-only");
    o.seq_model = cli_opt(a, "seq-model");
    o.sentiment_model = cli_opt(a, "sentiment-model");
    const char *bind = cli_opt(a, "bind");
    if (bind != NULL) {
        o.bind = bind;
    }
    char *token = NULL;
    const char *tf = cli_opt(a, "token-file");
    if (tf != NULL) {
        token = read_token(a, tf);
        if (token == NULL) {
            return EXIT_INPUT;
        }
        o.token = token;
    }
    /* Block the stop signals before the service's threads start, so that they all inherit the
     * mask and sigwait() below is the one place the signals arrive. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    httpd *h = NULL;
    char err[1024];
    int rc = httpd_start(&o, &h, err, sizeof err);
    free(token);
    if (rc != 0) {
        cli_err(a, "%s", err);
        return rc == 1 ? EXIT_USAGE : rc == 2 ? EXIT_INPUT : EXIT_STORE;
    }
    fprintf(stderr, "portrait serve: listening on http://%s%s%s:%d/ (store %s, %ld threads%s%s)\n",
            strchr(o.bind, ':') ? "[" : "", o.bind, strchr(o.bind, ':') ? "]" : "",
            httpd_port(h), o.store, threads, tf != NULL ? ", token required for writes" : "",
            o.read_only ? ", read-only" : "");
    fflush(stderr);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "portrait serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    httpd_stop(h);
    return EXIT_OK_;
}

static const char *const serve_opts[] = {"bind=",    "port=",  "threads=",  "token-file=",
                                         "max-body=", "max-k=", "timeout=", "read-only",
                                         "cache-ms=", "seq-model=", "sentiment-model=",
                                         NULL};

const cli_cmd cmd_serve = {
    "serve",
    "the HTTP service: profiles, recommendations, events (docs/API.md)",
    "usage: portrait serve [--store PATH] [--bind 127.0.0.1] [--port 8080] [--threads N]\n"
    "                      [--token-file F] [--max-body BYTES] [--max-k N] [--timeout S]\n"
    "                      [--read-only] [--cache-ms MS] [--seq-model FILE]\n"
    "                      [--sentiment-model FILE]\n"
    "\n"
    "Serve the store over HTTP with JSON: GET /v1/users/{id}/profile,\n"
    "/v1/users/{id}/recommendations, /v1/explain (JSON or SVG), /v1/nodes/{id}/neighborhood,\n"
    "/v1/health, /metrics (Prometheus) and a page for people at /; POST /v1/events (durable,\n"
    "seen by the next request), POST /v1/sparql, DELETE /v1/users/{id}. docs/API.md and\n"
    "docs/openapi.yaml describe every endpoint. Stops on SIGINT or SIGTERM.\n"
    "\n"
    "  --bind ADDR       address to listen on (default 127.0.0.1); a non-loopback address\n"
    "                    needs --token-file\n"
    "  --port N          port (default 8080; 0 = any free port, printed on stderr)\n"
    "  --threads N       worker threads (default 2)\n"
    "  --token-file F    POST and DELETE need 'Authorization: Bearer <first line of F>'\n"
    "  --max-body BYTES  largest request body (default 1048576)\n"
    "  --max-k N         largest k of a recommendation request (default 100)\n"
    "  --timeout S       seconds an idle connection is kept (default 30)\n"
    "  --read-only       open the store read-only: writes answer 503\n"
    "  --cache-ms MS     reuse a recommendation response for up to MS ms (default 1000;\n"
    "                    0 = off); a user's own events and any erasure drop it at once\n"
    "  --seq-model FILE  a model from 'portrait seq train': requests may then ask for\n"
    "                    model=seq or model=hybrid (the sequence CNN blended with the walks)\n"
    "  --sentiment-model FILE  a model from 'portrait text train' (sentiment): a posted\n"
    "                    review gets its sentiment, and its user likes or dislikes the item's\n"
    "                    tags, before the 201; reviews the store holds unscored are scored at\n"
    "                    start\n"
    "\n"
    "Exit codes: 0 stopped by a signal, 1 usage (bad option, non-loopback without a token),\n"
    "2 unreadable token file, sequence or sentiment model, 4 store or system error (no store, port in\n"
    "use).\n",
    serve_opts,
    run_serve,
    0, /* options only */
};
