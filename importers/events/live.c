/*
 * live.c - real-time behaviour events: parse a request body into events (pt_events_parse),
 * check and canonicalise an event for the store's log (pt__live_check), and apply a logged
 * event to a finished graph through its append API (pt__live_apply).
 *
 * Where it sits. The HTTP service and `portrait events add` parse bodies here; the store's event
 * log (engine/store/eventlog.c) checks each event before writing it, and applies it after the
 * commit, and again on replay at open. The mapping into statements is the importer's own
 * (pt__ev_emit in events.c, shared through events_int.h), so a live event and the same row in
 * a JSON-lines file give the same graph.
 *
 * The parser is strict where the importer is forgiving: a request is all or nothing. Bodies are
 * one JSON object, an array of objects, or NDJSON (objects one after another, one per line).
 * Every field is known (user, item, action, time, value, text) and typed; anything else is an
 * error whose message names the event (1-based) and the field, or the line for bad JSON.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events/events_int.h"

/* ==== the batch ============================================================================= */

struct pt_event_batch {
    pt_ctx *ctx;
    pt_live_event *ev;
    size_t n, cap;
    char *strings; /* every string of every event, NUL-terminated, unescaped */
    size_t str_len, str_cap;
};

size_t pt_event_batch_count(const pt_event_batch *b) {
    return b != NULL ? b->n : 0;
}

const pt_live_event *pt_event_batch_get(const pt_event_batch *b, size_t i) {
    return b != NULL && i < b->n ? &b->ev[i] : NULL;
}

void pt_event_batch_free(pt_event_batch *b) {
    if (b == NULL) {
        return;
    }
    pt__free(b->ctx, b->ev);
    pt__free(b->ctx, b->strings);
    pt__free(b->ctx, b);
}

/* ==== parsing =============================================================================== */

/* The fields of an event object, in the order of the messages' list. */
enum { F_USER, F_ITEM, F_ACTION, F_TIME, F_VALUE, F_TEXT, F_COUNT };
static const char *const field_names[F_COUNT] = {"user", "item", "action", "time", "value", "text"};

/* JSON value kinds as the parser sees them. */
enum { J_STRING, J_NUMBER, J_BOOL, J_NULL, J_NESTED };

/* The state of one pt_events_parse() call. */
typedef struct lp {
    pt_ctx *ctx;
    pt__jscan sc;
    pt_event_batch *b;
    size_t max_events;
    char *scratch; /* keys are unescaped here (as long as the body) */
} lp;

/* The 1-based line of byte offset `at` in the body. */
static unsigned long line_of(const lp *p, size_t at) {
    unsigned long line = 1;
    for (size_t k = 0; k < at && k < p->sc.n; k++) {
        line += p->sc.s[k] == '\n';
    }
    return line;
}

/* The 1-based column of byte offset `at` on its line. */
static unsigned long column_of(const lp *p, size_t at) {
    size_t k = at;
    while (k > 0 && p->sc.s[k - 1] != '\n') {
        k--;
    }
    return (unsigned long)(at - k + 1);
}

/* Fail with PT_EPARSE "line L: invalid JSON at column C: <scanner's reason>". */
static int syntax(lp *p) {
    size_t at = p->sc.i < p->sc.n ? p->sc.i : p->sc.n;
    return pt__error(p->ctx, PT_EPARSE, "line %lu: invalid JSON at column %lu: %s", line_of(p, at),
                     column_of(p, at), p->sc.err != NULL ? p->sc.err : "unexpected input");
}

/* Fail with PT_EPARSE "event N: field 'F': reason". */
static int field_error(lp *p, size_t idx, const char *field, size_t flen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int field_error(lp *p, size_t idx, const char *field, size_t flen, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int shown = flen > 40 ? 40 : (int)flen;
    return pt__error(p->ctx, PT_EPARSE, "event %zu: field '%.*s%s': %s", idx + 1, shown, field,
                     flen > 40 ? "..." : "", msg);
}

/* Copy s[0..n) with a NUL into the batch's string buffer (sized for the whole body). */
static const char *keep(lp *p, const char *s, size_t n) {
    pt_event_batch *b = p->b;
    char *o = b->strings + b->str_len;
    memmove(o, s, n);
    o[n] = '\0';
    b->str_len += n + 1;
    return o;
}

/* Make room for one more event. Returns PT_OK, PT_ELIMIT or PT_ENOMEM. */
static int grow_events(lp *p) {
    pt_event_batch *b = p->b;
    if (p->max_events > 0 && b->n >= p->max_events) {
        return pt__error(p->ctx, PT_ELIMIT, "more than %zu events in one request",
                         p->max_events);
    }
    if (b->n == b->cap) {
        void *a = b->ev;
        if (pt__grow(p->ctx, &a, &b->cap, b->n + 1, sizeof *b->ev) != PT_OK) {
            return pt__error(p->ctx, PT_ENOMEM, "out of memory parsing events");
        }
        b->ev = a;
    }
    return PT_OK;
}

/* The field a key names (F_*), or -1. */
static int field_of(const char *k, size_t n) {
    for (int f = 0; f < F_COUNT; f++) {
        if (strlen(field_names[f]) == n && memcmp(field_names[f], k, n) == 0) {
            return f;
        }
    }
    return -1;
}

/* Name the JSON kind for messages. */
static const char *kind_name(int kind) {
    switch (kind) {
    case J_STRING:
        return "a string";
    case J_NUMBER:
        return "a number";
    case J_BOOL:
        return "a boolean";
    case J_NULL:
        return "null";
    default:
        return "an object or array";
    }
}

/* True when s[0..n) has only blanks. */
static int blank(const char *s, size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r' && s[k] != '\n') {
            return 0;
        }
    }
    return 1;
}

/*
 * Read one scalar value at the scan's position: a string is unescaped into the batch's string
 * buffer, a number's text is copied there; *kind says which. Objects and arrays are refused
 * here (nesting is an error) without parsing them. Returns 0, or -1 with sc.err set.
 */
static int scalar(lp *p, int *kind, const char **str, size_t *len) {
    pt__jscan *sc = &p->sc;
    *str = NULL;
    *len = 0;
    if (sc->i >= sc->n) {
        sc->err = "value expected";
        return -1;
    }
    char c = sc->s[sc->i];
    if (c == '"') {
        pt_event_batch *b = p->b;
        char *o = b->strings + b->str_len;
        if (pt__json_string(sc, o, len) < 0) {
            return -1;
        }
        o[*len] = '\0';
        b->str_len += *len + 1;
        *str = o;
        *kind = J_STRING;
        return 0;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char *num;
        if (pt__json_number(sc, &num, len) < 0) {
            return -1;
        }
        *str = keep(p, num, *len);
        *kind = J_NUMBER;
        return 0;
    }
    if (c == '{' || c == '[') {
        *kind = J_NESTED;
        return 0;
    }
    static const struct {
        const char *word;
        size_t len;
        int kind;
    } words[] = {{"true", 4, J_BOOL}, {"false", 5, J_BOOL}, {"null", 4, J_NULL}};
    for (size_t k = 0; k < 3; k++) {
        if (sc->n - sc->i >= words[k].len &&
            memcmp(sc->s + sc->i, words[k].word, words[k].len) == 0) {
            sc->i += words[k].len;
            *kind = words[k].kind;
            return 0;
        }
    }
    sc->err = "value expected";
    return -1;
}

/* Check and store field `f` of event `idx`, whose value is of `kind` with text s[0..n). */
static int set_field(lp *p, size_t idx, pt_live_event *ev, int f, int kind, const char *s,
                     size_t n) {
    const char *name = field_names[f];
    size_t nlen = strlen(name);
    if (kind == J_NESTED) {
        return field_error(p, idx, name, nlen, "objects and arrays are not allowed here");
    }
    if ((kind == J_STRING) && memchr(s, '\0', n) != NULL) {
        return field_error(p, idx, name, nlen, "contains a NUL character (\\u0000)");
    }
    switch (f) {
    case F_USER:
    case F_ITEM:
        if (kind != J_STRING && kind != J_NUMBER) {
            return field_error(p, idx, name, nlen, "must be a string or a number, not %s",
                               kind_name(kind));
        }
        if (blank(s, n)) {
            return field_error(p, idx, name, nlen, "is empty");
        }
        if (f == F_USER) {
            ev->user = s;
        } else {
            ev->item = s;
        }
        return PT_OK;
    case F_ACTION:
        if (kind == J_NULL) {
            return PT_OK;
        }
        if (kind != J_STRING) {
            return field_error(p, idx, name, nlen, "must be a string, not %s", kind_name(kind));
        }
        ev->action = s;
        return PT_OK;
    case F_TIME:
        if (kind == J_NULL) {
            return PT_OK;
        }
        if ((kind != J_STRING && kind != J_NUMBER) || !pt__parse_time(s, n, &ev->time)) {
            return field_error(p, idx, name, nlen,
                               "not a unix time (seconds) or ISO-8601 date ('%.*s%s')",
                               n > 40 ? 40 : (int)n, s != NULL ? s : "", n > 40 ? "..." : "");
        }
        return PT_OK;
    case F_VALUE:
        if (kind == J_NULL) {
            return PT_OK;
        }
        if (kind != J_NUMBER) {
            return field_error(p, idx, name, nlen, "must be a number, not %s", kind_name(kind));
        }
        if (!pt__ev_parse_number(s, n, &ev->value) || !(fabs(ev->value) <= FLT_MAX)) {
            return field_error(p, idx, name, nlen, "out of range ('%.*s%s')",
                               n > 40 ? 40 : (int)n, s, n > 40 ? "..." : "");
        }
        ev->has_value = 1;
        return PT_OK;
    default: /* F_TEXT */
        if (kind == J_NULL) {
            return PT_OK;
        }
        if (kind != J_STRING) {
            return field_error(p, idx, name, nlen, "must be a string, not %s", kind_name(kind));
        }
        ev->text = blank(s, n) ? NULL : s;
        return PT_OK;
    }
}

/* Parse one event object at the scan's position ('{') as event number `idx`. */
static int parse_object(lp *p, size_t idx) {
    pt__jscan *sc = &p->sc;
    int rc = grow_events(p);
    if (rc != PT_OK) {
        return rc;
    }
    pt_live_event *ev = &p->b->ev[idx];
    memset(ev, 0, sizeof *ev);
    ev->time = PT_TIME_UNKNOWN;
    int seen[F_COUNT] = {0};
    sc->i++;
    pt__json_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == '}') {
        sc->i++;
    } else {
        for (;;) {
            pt__json_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] != '"') {
                sc->err = "expected a string key";
                return syntax(p);
            }
            size_t klen = 0;
            if (pt__json_string(sc, p->scratch, &klen) < 0) {
                return syntax(p);
            }
            int f = field_of(p->scratch, klen);
            if (f < 0) {
                return field_error(p, idx, p->scratch, klen,
                                   "unknown field (expected user, item, action, time, value, "
                                   "text)");
            }
            if (seen[f]) {
                return field_error(p, idx, field_names[f], strlen(field_names[f]),
                                   "given twice");
            }
            seen[f] = 1;
            pt__json_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] != ':') {
                sc->err = "expected ':' after a key";
                return syntax(p);
            }
            sc->i++;
            pt__json_ws(sc);
            int kind;
            const char *s;
            size_t n;
            if (scalar(p, &kind, &s, &n) < 0) {
                return syntax(p);
            }
            rc = set_field(p, idx, ev, f, kind, s, n);
            if (rc != PT_OK) {
                return rc;
            }
            pt__json_ws(sc);
            if (sc->i < sc->n && sc->s[sc->i] == ',') {
                sc->i++;
                continue;
            }
            if (sc->i < sc->n && sc->s[sc->i] == '}') {
                sc->i++;
                break;
            }
            sc->err = "expected ',' or '}' in an object";
            return syntax(p);
        }
    }
    for (int f = F_USER; f <= F_ITEM; f++) {
        if (!seen[f]) {
            return field_error(p, idx, field_names[f], 4, "is required");
        }
    }
    /* The action word is checked now, so that a bad request fails before the store. */
    char msg[256];
    pt__live_norm norm;
    if (pt__live_check(ev, idx, 0, &norm, msg, sizeof msg) != PT_OK) {
        return pt__error(p->ctx, PT_EPARSE, "%s", msg);
    }
    p->b->n++;
    return PT_OK;
}

/* Parse the whole body: an object, an array of objects, or objects one per line. */
static int parse_body(lp *p) {
    pt__jscan *sc = &p->sc;
    pt__json_ws(sc);
    if (sc->i >= sc->n) {
        return pt__error(p->ctx, PT_EPARSE, "line %lu: no events (the body is empty)",
                         line_of(p, sc->i));
    }
    int rc;
    if (sc->s[sc->i] == '[') {
        sc->i++;
        pt__json_ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == ']') {
            sc->i++;
        } else {
            for (;;) {
                pt__json_ws(sc);
                if (sc->i >= sc->n || sc->s[sc->i] != '{') {
                    sc->err = sc->i < sc->n && sc->s[sc->i] == '['
                                  ? "nested arrays are not allowed: expected an event object"
                                  : "expected an event object";
                    return syntax(p);
                }
                if ((rc = parse_object(p, p->b->n)) != PT_OK) {
                    return rc;
                }
                pt__json_ws(sc);
                if (sc->i < sc->n && sc->s[sc->i] == ',') {
                    sc->i++;
                    continue;
                }
                if (sc->i < sc->n && sc->s[sc->i] == ']') {
                    sc->i++;
                    break;
                }
                sc->err = "expected ',' or ']' in an array";
                return syntax(p);
            }
        }
        pt__json_ws(sc);
        if (sc->i < sc->n) {
            sc->err = "text after the array";
            return syntax(p);
        }
    } else {
        for (;;) {
            if (sc->s[sc->i] != '{') {
                sc->err = "expected an event object, an array of them, or one object per line";
                return syntax(p);
            }
            if ((rc = parse_object(p, p->b->n)) != PT_OK) {
                return rc;
            }
            size_t end = sc->i;
            pt__json_ws(sc);
            if (sc->i >= sc->n) {
                break;
            }
            if (memchr(sc->s + end, '\n', sc->i - end) == NULL) {
                sc->err = "text after the object (NDJSON needs one object per line)";
                sc->i = end;
                return syntax(p);
            }
        }
    }
    if (p->b->n == 0) {
        return pt__error(p->ctx, PT_EPARSE, "line 1: no events (an empty array)");
    }
    return PT_OK;
}

int pt_events_parse(pt_ctx *ctx, const char *body, size_t len, size_t max_events,
                    pt_event_batch **out) {
    *out = NULL;
    if (body == NULL && len > 0) {
        return pt__error(ctx, PT_EINVAL, "pt_events_parse: body is NULL");
    }
    if (len > ((size_t)1 << 40)) {
        return pt__error(ctx, PT_ELIMIT, "pt_events_parse: body too large");
    }
    lp p;
    memset(&p, 0, sizeof p);
    p.ctx = ctx;
    p.sc.s = body != NULL ? body : "";
    p.sc.n = len;
    p.max_events = max_events;
    size_t at = pt__ev_utf8_check((const unsigned char *)p.sc.s, len);
    if (at != len) {
        return pt__error(ctx, PT_EPARSE, "line %lu: invalid UTF-8 at byte %zu", line_of(&p, at),
                         at + 1);
    }
    int rc = PT_OK;
    p.b = pt__calloc(ctx, 1, sizeof *p.b);
    if (p.b != NULL) {
        p.b->ctx = ctx;
        /* Strings never grow when unescaped and each costs at least its two quotes, which leave
         * room for its NUL; a number's copy is at most as long as its text plus the NUL. */
        p.b->str_cap = 2 * len + 16;
        p.b->strings = pt__malloc(ctx, p.b->str_cap);
        p.scratch = pt__malloc(ctx, len + 1);
    }
    if (p.b == NULL || p.b->strings == NULL || p.scratch == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory parsing events");
    } else {
        rc = parse_body(&p);
    }
    pt__free(ctx, p.scratch);
    if (rc != PT_OK) {
        pt_event_batch_free(p.b);
        return rc;
    }
    *out = p.b;
    return PT_OK;
}

/* ==== checking and applying ================================================================= */

/* Trim blanks around s[0..*n), moving *s. */
static void trim(const char **s, size_t *n) {
    while (*n > 0 && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
                      (*s)[*n - 1] == '\n')) {
        (*n)--;
    }
}

/* Write "event N: field 'F': ..." into msg and return PT_EINVAL. */
static int check_fail(char *msg, size_t cap, size_t idx, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int check_fail(char *msg, size_t cap, size_t idx, const char *field, const char *fmt, ...) {
    int k = snprintf(msg, cap, "event %zu: field '%s': ", idx + 1, field);
    if (k > 0 && (size_t)k < cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + k, cap - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return PT_EINVAL;
}

int pt__live_check(const pt_live_event *ev, size_t idx, int64_t now, pt__live_norm *out,
                   char *msg, size_t cap) {
    memset(out, 0, sizeof *out);
    const char *ids[2] = {ev->user, ev->item};
    const char *names[2] = {"user", "item"};
    for (int k = 0; k < 2; k++) {
        const char *s = ids[k];
        if (s == NULL) {
            return check_fail(msg, cap, idx, names[k], "is required");
        }
        size_t n = strlen(s);
        if (pt__ev_utf8_check((const unsigned char *)s, n) != n) {
            return check_fail(msg, cap, idx, names[k], "invalid UTF-8");
        }
        trim(&s, &n);
        if (n == 0) {
            return check_fail(msg, cap, idx, names[k], "is empty");
        }
        if (k == 0) {
            out->user = s;
            out->user_len = n;
        } else {
            out->item = s;
            out->item_len = n;
        }
    }
    const char *a = ev->action;
    size_t an = a != NULL ? strlen(a) : 0;
    if (a != NULL) {
        trim(&a, &an);
    }
    if (an == 0) {
        /* As the importer: "rated" when there is a value, else "viewed". */
        a = pt__ev_action_names[ev->has_value ? PT__ACT_RATED : PT__ACT_VIEWED];
        an = strlen(a);
    }
    int act = pt__ev_action_lookup(a, an);
    if (act >= 0) {
        out->action = pt__ev_action_names[act];
        out->action_len = strlen(out->action);
    } else {
        const char *iri = a;
        size_t in = an;
        if (in >= 2 && iri[0] == '<' && iri[in - 1] == '>') {
            iri++;
            in -= 2;
        }
        if (!pt__ev_is_iri(iri, in) ||
            pt__ev_utf8_check((const unsigned char *)iri, in) != in) {
            return check_fail(msg, cap, idx, "action",
                              "unknown action '%.*s%s' (expected viewed, clicked, carted, "
                              "purchased, rated, reviewed or an IRI)",
                              an > 40 ? 40 : (int)an, a, an > 40 ? "..." : "");
        }
        out->action = iri;
        out->action_len = in;
    }
    if (ev->has_value) {
        if (!(fabs(ev->value) <= FLT_MAX)) {
            return check_fail(msg, cap, idx, "value", "not a finite number in float range");
        }
        out->value = ev->value;
        out->has_value = 1;
    }
    out->time = ev->time == PT_TIME_UNKNOWN ? now : ev->time;
    if (ev->text != NULL) {
        size_t n = strlen(ev->text);
        if (pt__ev_utf8_check((const unsigned char *)ev->text, n) != n) {
            return check_fail(msg, cap, idx, "text", "invalid UTF-8");
        }
        if (!blank(ev->text, n)) {
            out->text = ev->text;
            out->text_len = n;
        }
    }
    return PT_OK;
}

/* --- the graph sink: the append API of a finished graph ------------------------------------- */

static pt_node_id g_intern(void *obj, const char *s, size_t n) {
    return pt_graph_intern(obj, s, n, PT_TERM_IRI);
}

static int g_edge(void *obj, pt_node_id s, pt_node_id p, pt_node_id o, float w, int64_t t) {
    return pt_graph_add_edge(obj, s, p, o, w, t);
}

static int g_literal(void *obj, pt_node_id s, pt_node_id p, const char *lex, size_t n,
                     pt_node_id dt) {
    return pt_graph_add_literal(obj, s, p, lex, n, dt, NULL);
}

/* rdf:type edges dedupe in the graph (same (s, p, o), same unknown time): adding one again
 * changes nothing, as the importer's once-per-import bit does. */
static int g_type(void *obj, pt_node_id v, pt_node_id p_type, pt_node_id cls) {
    pt_edge e;
    if (pt_graph_edge_find(obj, v, p_type, cls, &e)) {
        return PT_OK;
    }
    return pt_graph_add_edge(obj, v, p_type, cls, 1.0f, PT_TIME_UNKNOWN);
}

int pt__live_emitter_init(pt__ev_emitter *em, pt_ctx *ctx, pt_graph *g) {
    const pt__ev_sink sink = {g, g_intern, g_edge, g_literal, g_type};
    const char *base = pt_graph_base(g);
    return pt__ev_emitter_init(em, ctx, &sink, base != NULL && base[0] != '\0' ? base : NULL);
}

/* True when an id is an IRI that passes unchanged: in angle brackets, or absolute with "://"
 * or the "urn:" scheme. A bare "sku:42" stays a local id (minted under the base), as at import.
 * On success *s and *n are the IRI without brackets. */
static int id_is_iri(const char **s, size_t *n) {
    if (*n >= 2 && (*s)[0] == '<' && (*s)[*n - 1] == '>') {
        if (pt__ev_is_iri(*s + 1, *n - 2)) {
            (*s)++;
            *n -= 2;
            return 1;
        }
        return 0;
    }
    if (!pt__ev_is_iri(*s, *n)) {
        return 0;
    }
    const char *colon = memchr(*s, ':', *n);
    size_t k = (size_t)(colon - *s);
    return (k + 2 < *n && colon[1] == '/' && colon[2] == '/') ||
           (k == 3 && (memcmp(*s, "urn", 3) == 0 || memcmp(*s, "URN", 3) == 0));
}

/* Write the shortest decimal text of `v` that reads back as `v` into buf (cap >= 32); returns
 * its length, or 0 when it needs an exponent (the literal then gets six decimals). */
static size_t shortest_decimal(double v, char *buf, size_t cap) {
    for (int prec = 1; prec <= 17; prec++) {
        int m = snprintf(buf, cap, "%.*g", prec, v);
        if (m <= 0 || (size_t)m >= cap) {
            return 0;
        }
        double back;
        if (pt__ev_parse_number(buf, (size_t)m, &back) && back == v) {
            return memchr(buf, 'e', (size_t)m) != NULL ? 0 : (size_t)m;
        }
    }
    return 0;
}

int pt__live_apply(pt__ev_emitter *em, const pt__live_norm *ev) {
    pt__ev_row r;
    memset(&r, 0, sizeof r);
    r.user = ev->user;
    r.user_len = ev->user_len;
    r.user_iri = id_is_iri(&r.user, &r.user_len);
    r.item = ev->item;
    r.item_len = ev->item_len;
    r.item_iri = id_is_iri(&r.item, &r.item_len);
    r.act = pt__ev_action_lookup(ev->action, ev->action_len);
    if (r.act >= 0) {
        r.pred = em->act_pred[r.act];
        r.aname = pt__ev_action_names[r.act];
        r.aname_len = strlen(r.aname);
    } else {
        r.pred = em->sink.intern(em->sink.obj, ev->action, ev->action_len);
        if (r.pred == PT_NONE) {
            return PT_ENOMEM;
        }
        pt__ev_local_name(ev->action, ev->action_len, &r.aname, &r.aname_len);
    }
    char vbuf[64];
    r.value = ev->value;
    r.has_value = ev->has_value;
    if (ev->has_value) {
        r.vtext_len = shortest_decimal(ev->value, vbuf, sizeof vbuf);
        r.vtext = r.vtext_len > 0 ? vbuf : NULL;
    }
    r.time = ev->time;
    r.text = ev->text;
    r.text_len = ev->text_len;
    return pt__ev_emit(em, &r);
}

int pt__live_user_iri(pt__ev_emitter *em, const char *id, size_t n, const char **iri,
                      size_t *len) {
    trim(&id, &n);
    if (id_is_iri(&id, &n)) {
        *iri = id;
        *len = n;
        return PT_OK;
    }
    *len = pt__ev_mint_iri(em, "user/", id, n);
    *iri = em->iri;
    return *len > 0 ? PT_OK : PT_ENOMEM;
}
