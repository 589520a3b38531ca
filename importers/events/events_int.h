/*
 * events_int.h - what the event importer (events.c) shares with the live-event path (live.c)
 * and the store's event log (engine/store/eventlog.c). Not installed.
 *
 * Three things are shared so that an event file row and a live event can never disagree:
 *   - the rules for fields: action spellings, IRI tests, numbers, UTF-8;
 *   - the JSON scanner's string and number readers (strict RFC 8259 grammar);
 *   - the mapping of one event into graph statements (pt__ev_emit), written against a small
 *     "sink" so that the importer feeds a pt_builder and the live path the graph's append API
 *     (pt_graph_intern, pt_graph_add_edge, pt_graph_add_literal) with the same statements.
 */
#ifndef PT_EVENTS_INT_H
#define PT_EVENTS_INT_H

#include "core/core.h"
#include "graph/graph.h"
#include "portrait/pt_live.h"

/* ==== fields ================================================================================ */

/* The six behaviours of pt_vocab.h, in the order of the tables below. */
enum { PT__ACT_VIEWED, PT__ACT_CLICKED, PT__ACT_CARTED, PT__ACT_PURCHASED, PT__ACT_RATED,
       PT__ACT_REVIEWED, PT__ACT_COUNT };

/* Canonical action words ("purchased") and their predicate IRIs, indexed by PT__ACT_*. */
extern const char *const pt__ev_action_names[PT__ACT_COUNT];
extern const char *const pt__ev_action_iris[PT__ACT_COUNT];

/* Return the PT__ACT_* of a spelling of an action ("buy", "Rated"), or -1. */
int pt__ev_action_lookup(const char *s, size_t n);

/* True when s[0..n) looks like an absolute IRI (scheme, colon, something after it, and no byte
 * an IRI may not hold). */
int pt__ev_is_iri(const char *s, size_t n);

/* The local name of a predicate IRI (after the last '#', '/' or ':'; "action" when none), as
 * event IRIs use it. */
void pt__ev_local_name(const char *iri, size_t n, const char **out, size_t *out_len);

/* Check that s[0..n) is well-formed UTF-8; returns n, or the offset of the first bad byte. */
size_t pt__ev_utf8_check(const unsigned char *s, size_t n);

/* Parse a number as event files write it (see events.c); returns 1 and *out, or 0. */
int pt__ev_parse_number(const char *s, size_t n, double *out);

/* ==== JSON scanning ========================================================================= */

/* A JSON scan over s[0..n), at position i. On failure `err` holds a static reason and i the
 * offending position; `encoding` is set when the failure is a lone surrogate. */
typedef struct pt__jscan {
    const char *s;
    size_t n, i;
    const char *err;
    int encoding;
} pt__jscan;

/* Skip JSON whitespace. */
void pt__json_ws(pt__jscan *p);

/* Parse the string at s[i] (an opening quote), unescaping it into `out`, which must have room
 * for as many bytes as remain in the input (a string never grows when unescaped). Returns 0
 * with the unescaped length in *len (not NUL-terminated; may hold NUL bytes from "\u0000"),
 * or -1 (p->err). */
int pt__json_string(pt__jscan *p, char *out, size_t *len);

/* Parse a number by the JSON grammar at s[i]; returns 0 and its raw text, or -1. */
int pt__json_number(pt__jscan *p, const char **num, size_t *len);

/* ==== mapping an event into graph statements ================================================ */

/* Where statements go: a builder (the importer) or a finished graph (live events). Each
 * function returns PT_NONE / a PT_ code; `type` adds rdf:type `cls` to `v` (the importer adds
 * it once per import, the graph sink relies on edge deduplication). */
typedef struct pt__ev_sink {
    void *obj;
    pt_node_id (*intern)(void *obj, const char *s, size_t n);
    int (*edge)(void *obj, pt_node_id s, pt_node_id p, pt_node_id o, float w, int64_t t);
    int (*literal)(void *obj, pt_node_id s, pt_node_id p, const char *lex, size_t n,
                   pt_node_id dt);
    int (*type)(void *obj, pt_node_id v, pt_node_id p_type, pt_node_id cls);
} pt__ev_sink;

/* One event, validated, ready to be mapped. */
typedef struct pt__ev_row {
    const char *user, *item; /* ids as given, trimmed; or IRIs when *_iri */
    size_t user_len, item_len;
    int user_iri, item_iri;  /* 1: the id is an IRI and is interned unchanged */
    int act;                 /* PT__ACT_* or -1 for an IRI predicate */
    pt_node_id pred;         /* the behaviour predicate's node */
    const char *aname;       /* the action's name in event IRIs ("purchased", local name) */
    size_t aname_len;
    double value;
    int has_value;
    const char *vtext; /* the value's source text (for the literal's lexical form), or NULL */
    size_t vtext_len;
    int64_t time;
    const char *text; /* review text, or NULL */
    size_t text_len;
} pt__ev_row;

/* The mapping's state: the sink, the base IRI and the vocabulary's node ids. */
typedef struct pt__ev_emitter {
    pt_ctx *ctx;
    pt__ev_sink sink;
    char *base; /* NUL-terminated, always ending in '/', '#' or ':' */
    size_t base_len;
    char *iri; /* scratch for minted IRIs */
    size_t iri_cap;
    pt_node_id p_type, c_user, c_item, c_event;
    pt_node_id p_ev_user, p_ev_item, p_ev_action, p_ev_time, p_ev_rating, p_ev_value, p_ev_text;
    pt_node_id dt_datetime, dt_decimal;
    pt_node_id act_pred[PT__ACT_COUNT];
} pt__ev_emitter;

/* Prepare `em`: copy the base (NULL or "" means "urn:portrait:"; a '/' is added unless it ends
 * in '/', '#' or ':') and intern the vocabulary through the sink. Returns PT_OK or PT_ENOMEM
 * (em is then freed). */
int pt__ev_emitter_init(pt__ev_emitter *em, pt_ctx *ctx, const pt__ev_sink *sink,
                        const char *base);

/* Write base + kind + id (percent-encoding what an IRI may not hold) into em->iri, NUL-terminated;
 * returns its length, or 0 when memory ran out. */
size_t pt__ev_mint_iri(pt__ev_emitter *em, const char *kind, const char *id, size_t n);

/* Map one event: typed user and item nodes, the behaviour edge user -pred-> item (weight value
 * or 1, the time), and when it has text a pt:Event node with its edges and literals. Returns
 * PT_OK or PT_ENOMEM. */
int pt__ev_emit(pt__ev_emitter *em, const pt__ev_row *r);

/* Free the emitter's buffers (the struct itself is the caller's). */
void pt__ev_emitter_free(pt__ev_emitter *em);

/* ==== live events (live.c) ================================================================== */

/* A live event checked and canonicalised for the log: action resolved to its canonical word or
 * an IRI without brackets, time resolved (never PT_TIME_UNKNOWN). */
typedef struct pt__live_norm {
    const char *user, *item, *action, *text; /* user/item/text as given; action canonical */
    size_t user_len, item_len, action_len, text_len;
    int64_t time;
    double value;
    int has_value;
} pt__live_norm;

/* Check event `ev` (index `idx`, 0-based; messages say "event idx+1") and canonicalise it into
 * *out (strings borrowed from `ev` or static). `now` replaces an unknown time. Returns PT_OK, or
 * PT_EINVAL with the reason written into msg[0..cap). No allocation, no ctx: safe from any
 * thread. */
int pt__live_check(const pt_live_event *ev, size_t idx, int64_t now, pt__live_norm *out,
                   char *msg, size_t cap);

/* Apply one canonical event to `g` with the importer's mapping, using `em` (made by
 * pt__live_emitter_init for `g`). Returns PT_OK or PT_ENOMEM. */
int pt__live_apply(pt__ev_emitter *em, const pt__live_norm *ev);

/* The IRI a live event's user id `id` stands for (an IRI in brackets or absolute passes
 * unchanged, a local id is minted as base + "user/" + id), in em->iri or borrowed from `id`.
 * Returns PT_OK with *iri and *len, or PT_ENOMEM. */
int pt__live_user_iri(pt__ev_emitter *em, const char *id, size_t n, const char **iri,
                      size_t *len);

/* Prepare an emitter whose sink is the append API of `g`, with g's base IRI. */
int pt__live_emitter_init(pt__ev_emitter *em, pt_ctx *ctx, pt_graph *g);

#endif /* PT_EVENTS_INT_H */
