/*
 * http_parse.h - the HTTP service's own parsers of untrusted bytes: the request target (path
 * segments and query parameters, percent-decoded), route matching, the small value syntaxes
 * of parameters (whole numbers, booleans) and the flat JSON object of POST /v1/sparql. They
 * do no I/O and allocate nothing, so tests/fuzz/fuzz_http.c drives them directly.
 */
#ifndef PT_HTTP_PARSE_H
#define PT_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Limits of a request target. Longer or larger targets are refused with 414/400. */
#define HP_TARGET_MAX 8192 /* bytes of the decoded target (path and query together) */
#define HP_MAX_SEGMENTS 8
#define HP_MAX_PARAMS 16

typedef struct hp_param {
    const char *key; /* decoded, NUL-terminated, inside hp_target.buf */
    const char *val; /* decoded ("" for "?flag"), NUL-terminated, inside hp_target.buf */
} hp_param;

/* A parsed request target: "/v1/users/42/profile?k=5" -> segments v1, users, 42, profile and
 * the parameter k=5. Every string points into `buf`. */
typedef struct hp_target {
    char buf[HP_TARGET_MAX];
    const char *seg[HP_MAX_SEGMENTS];
    int n_seg;
    hp_param params[HP_MAX_PARAMS];
    int n_params;
} hp_target;

/* Parse the raw request target `uri` (`len` bytes, as sent on the request line). The path
 * must start with '/'; segments are split on '/' before percent-decoding (so an id may hold an
 * encoded "%2F"); empty segments (a trailing '/') are dropped. Query parameters are split on
 * '&', then '=', and decoded with '+' as a space. Decoded bytes must not be NUL or control
 * characters other than tab, and must be valid UTF-8. A parameter may appear once.
 * Returns 0, or -1 with *why set to a static reason ("bad percent-escape", ...) and *field to
 * the offending parameter name (inside t->buf) or NULL. */
int hp_parse_target(const char *uri, size_t len, hp_target *t, const char **why,
                    const char **field);

/* The value of parameter `key`, or NULL when absent. */
const char *hp_param_get(const hp_target *t, const char *key);

/* The first parameter not named in the NULL-terminated list `allowed`, or NULL. */
const char *hp_param_unknown(const hp_target *t, const char *const *allowed);

/* The routes of the service. */
typedef enum hp_route {
    HP_R_NONE = 0,       /* no such path: 404 */
    HP_R_PAGE,           /* GET / */
    HP_R_HEALTH,         /* GET /v1/health */
    HP_R_METRICS,        /* GET /metrics */
    HP_R_PROFILE,        /* GET /v1/users/{id}/profile */
    HP_R_RECS,           /* GET /v1/users/{id}/recommendations */
    HP_R_USER,           /* DELETE /v1/users/{id} */
    HP_R_EXPLAIN,        /* GET /v1/explain */
    HP_R_NEIGHBORHOOD,   /* GET /v1/nodes/{id}/neighborhood */
    HP_R_EVENTS,         /* POST /v1/events */
    HP_R_SPARQL,         /* POST /v1/sparql */
    HP_R_COUNT_
} hp_route;

/* Name of a route for metrics labels ("profile", "recommendations", ...). Static. */
const char *hp_route_name(hp_route r);

/* Match the path of `t` against the routes. Returns the route (and sets *id to the path's id
 * segment, or NULL when the route has none); HP_R_NONE when no route has this path. When the
 * path exists but not for `method`, returns the route with *allowed set to the methods it has
 * ("GET", "POST", "DELETE") and *method_ok 0; otherwise *method_ok 1. HEAD counts as GET. */
hp_route hp_match(const hp_target *t, const char *method, const char **id, int *method_ok,
                  const char **allowed);

/* Parse a whole number in [lo, hi] (decimal digits only, no sign, no spaces).
 * Returns 0, or -1 when malformed or out of range. */
int hp_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* Parse a boolean: "1", "true", "yes", "" (a bare "?explain") are 1; "0", "false", "no" are
 * 0. Returns 0, or -1 otherwise. */
int hp_parse_bool(const char *s, int *out);

/* One string field of a flat JSON object. */
typedef struct hp_jfield {
    const char *name;  /* field name to accept */
    char *val;         /* out: decoded value, NUL-terminated, in the caller's buffer */
    size_t len;        /* out: its length */
    int present;       /* out: 1 when the object had it */
} hp_jfield;

/* Parse `body` (`len` bytes) as one JSON object whose members are all strings, named among
 * `fields` (n of them). Values are decoded (every JSON escape, surrogate pairs to UTF-8) into
 * `buf` (cap bytes) and pointed to by fields[i].val. Returns 0; or -1 with *why set to a
 * static reason and *at to the byte offset of the error, and *bad_field to the unknown,
 * duplicate or non-string member's name (copied into `buf`) when the error is about a member. */
int hp_json_strings(const char *body, size_t len, hp_jfield *fields, size_t n, char *buf,
                    size_t cap, const char **why, size_t *at, const char **bad_field);

/* Compare two byte strings in time that depends only on their lengths, not their contents.
 * Returns 1 when equal. */
int hp_secure_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif /* PT_HTTP_PARSE_H */
