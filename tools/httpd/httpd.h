/*
 * httpd.h - Portrait's HTTP service (`portrait serve`): a libmicrohttpd thread pool in front of
 * one store, answering profiles, recommendations, explanations, neighbourhoods and SPARQL, and
 * taking behaviour events and erasures. The service uses only the public API
 * (include/portrait/); docs/API.md and docs/openapi.yaml describe the endpoints.
 */
#ifndef PT_HTTPD_H
#define PT_HTTPD_H

#include <stddef.h>
#include <stdint.h>

typedef struct httpd httpd;

/* How to run the service; httpd_opts_default() fills the defaults. */
typedef struct httpd_opts {
    const char *store;   /* store directory (must exist) */
    const char *bind;    /* address to listen on: IPv4 or IPv6 literal, or "localhost";
                            default "127.0.0.1" */
    int port;            /* default 8080; 0 = any free port (see httpd_port) */
    int threads;         /* worker threads of the pool; default 2 */
    const char *token;   /* bearer token that POST and DELETE need; NULL = none (only allowed
                            on a loopback address) */
    size_t max_body;     /* largest request body in bytes; default 1 MiB */
    uint32_t max_k;      /* largest k of a recommendation request; default 100 */
    unsigned timeout;    /* seconds a connection may stay idle; default 30 */
    int read_only;       /* open the store read-only: writes answer 503 */
    const char *seq_model; /* a sequence model from `portrait seq train` (pt_seq.h) for
                              model=seq and model=hybrid; NULL = walks only */
    const char *sentiment_model; /* a sentiment model from `portrait text train`: posted
                                    reviews get their sentiment and the users' likes/dislikes
                                    of the item's tags before the 201 (pt_tag_new_reviews);
                                    NULL = reviews are stored unscored */
    unsigned cache_ms;   /* recommendation responses are reused for up to this many ms unless
                            the user posted events or a user was erased; 0 = off; default 1000 */
    int log;             /* print one line per start/stop to stderr; default 1 */
} httpd_opts;

/* Fill `o` with the defaults. */
void httpd_opts_default(httpd_opts *o);

/* Open the store, build the recommenders and start listening. On failure writes the reason
 * to err (cap bytes) and returns 1 (bad options: non-loopback without a token, bad address),
 * 2 (an unreadable or foreign --seq-model or --sentiment-model file), 4 (store or system error: no store, port in
 * use). Returns 0 with *out set on success. */
int httpd_start(const httpd_opts *o, httpd **out, char *err, size_t cap);

/* The port the service listens on (the one the system chose when o->port was 0). */
int httpd_port(const httpd *h);

/* Stop listening, finish the requests in flight, close the store and free everything
 * (NULL is a no-op). */
void httpd_stop(httpd *h);

#endif /* PT_HTTPD_H */
