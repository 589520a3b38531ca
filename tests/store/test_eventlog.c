/*
 * test_eventlog.c - tests of real-time events (pt_live.h): the request parser, durable appends
 * with group commit, replay at open, compaction, read-only and full-disk failures, erasure of a
 * user down to the bytes of the store's files, and the promise that a live event gives the same
 * graph as the same row imported from a JSON-lines file.
 *
 * Stores are made in a fresh temporary directory per test (mkdtemp) and removed afterwards.
 */
#include "pt_test.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "graph/graph.h"
#include "store/store_int.h"

/* ---- helpers -------------------------------------------------------------------------------- */

/* A fresh temporary directory; the store goes in DIR/s.db. */
typedef struct tmp {
    char dir[256];
    char store[300];
} tmp;

static void tmp_make(tmp *t) {
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/pt_evlog_XXXXXX", base != NULL ? base : "/tmp");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->store, sizeof t->store, "%s/s.db", t->dir);
}

static void tmp_remove(tmp *t) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

/* Parse `body` (must succeed) and append its events; returns the append's code. */
static int add(pt_store *s, pt_ctx *ctx, const char *body, uint64_t *first) {
    pt_event_batch *b = NULL;
    int rc = pt_events_parse(ctx, body, strlen(body), 0, &b);
    if (rc != PT_OK) {
        fprintf(stderr, "parse: %s\n", pt_ctx_errmsg(ctx));
    }
    assert_int_equal(rc, PT_OK);
    size_t n = pt_event_batch_count(b);
    pt_live_event *ev = calloc(n, sizeof *ev);
    for (size_t i = 0; i < n; i++) {
        ev[i] = *pt_event_batch_get(b, i);
    }
    rc = pt_store_append_events(s, ev, n, first);
    free(ev);
    pt_event_batch_free(b);
    return rc;
}

/* 1 when the graph has the edge base/user/U -pred-> base/item/I (pred a full IRI). */
static int has_edge(const pt_graph *g, const char *u, const char *pred, const char *i) {
    char us[256], is[256];
    snprintf(us, sizeof us, "urn:portrait:user/%s", u);
    snprintf(is, sizeof is, "urn:portrait:item/%s", i);
    pt_node_id a = pt_graph_lookup(g, us, strlen(us), PT_TERM_IRI);
    pt_node_id b = pt_graph_lookup(g, is, strlen(is), PT_TERM_IRI);
    pt_node_id p = pt_graph_lookup(g, pred, strlen(pred), PT_TERM_IRI);
    pt_edge e;
    return a != PT_NONE && b != PT_NONE && p != PT_NONE && pt_graph_edge_find(g, a, p, b, &e);
}

/* Every statement of `g` as sorted text lines: edges with weight and time, literals with
 * datatype and language, and each node's class. Two graphs are the same when these are. */
static char *dump(const pt_graph *g) {
    size_t cap = 1 << 16, len = 0, n_lines = 0, cap_lines = 256;
    char *buf = malloc(cap);
    char **line = malloc(cap_lines * sizeof *line);
    for (uint32_t v = 0; v < pt_graph_node_count(g); v++) {
        char tmpl[2048];
        pt_edge_iter it;
        pt_edge e;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        int k;
        while (pt_graph_edge_next(&it, &e)) {
            k = snprintf(tmpl, sizeof tmpl, "E %s %s %s %g %lld", pt_graph_node_str(g, v),
                         pt_graph_node_str(g, e.pred), pt_graph_node_str(g, e.dst),
                         (double)e.weight, (long long)e.time);
            if (n_lines == cap_lines) {
                cap_lines *= 2;
                line = realloc(line, cap_lines * sizeof *line);
            }
            line[n_lines++] = strdup(tmpl);
        }
        for (uint64_t i = 0; i < pt_graph_literal_count_of(g, v); i++) {
            pt_literal l;
            assert_int_equal(pt_graph_literal(g, v, i, &l), PT_OK);
            k = snprintf(tmpl, sizeof tmpl, "L %s %s \"%s\" %s @%s", pt_graph_node_str(g, v),
                         pt_graph_node_str(g, l.pred), l.lex,
                         l.datatype == PT_NONE ? "-" : pt_graph_node_str(g, l.datatype), l.lang);
            if (n_lines == cap_lines) {
                cap_lines *= 2;
                line = realloc(line, cap_lines * sizeof *line);
            }
            line[n_lines++] = strdup(tmpl);
        }
        if (pt_graph_node_class(g, v) != PT_CLASS_OTHER) {
            k = snprintf(tmpl, sizeof tmpl, "C %s %s", pt_graph_node_str(g, v),
                         pt_class_name(pt_graph_node_class(g, v)));
            if (n_lines == cap_lines) {
                cap_lines *= 2;
                line = realloc(line, cap_lines * sizeof *line);
            }
            line[n_lines++] = strdup(tmpl);
        }
        (void)k;
    }
    for (size_t i = 1; i < n_lines; i++) { /* insertion sort: small graphs */
        char *x = line[i];
        size_t j = i;
        while (j > 0 && strcmp(line[j - 1], x) > 0) {
            line[j] = line[j - 1];
            j--;
        }
        line[j] = x;
    }
    for (size_t i = 0; i < n_lines; i++) {
        size_t m = strlen(line[i]);
        while (len + m + 2 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        memcpy(buf + len, line[i], m);
        buf[len + m] = '\n';
        len += m + 1;
        free(line[i]);
    }
    buf[len] = '\0';
    free(line);
    return buf;
}

/* ---- parsing ------------------------------------------------------------------------------- */

static void test_parse_object_array_and_ndjson(void **state) {
    pt_ctx *ctx = *state;
    pt_event_batch *b = NULL;
    const char *one = "{\"user\":\"u1\",\"item\":42,\"action\":\"buy\",\"time\":\"2024-01-02\","
                      "\"value\":19.5,\"text\":\"ok \\u00e9\"}";
    assert_int_equal(pt_events_parse(ctx, one, strlen(one), 10, &b), PT_OK);
    assert_int_equal(pt_event_batch_count(b), 1);
    const pt_live_event *e = pt_event_batch_get(b, 0);
    assert_string_equal(e->user, "u1");
    assert_string_equal(e->item, "42");
    assert_string_equal(e->action, "buy");
    assert_int_equal(e->time, 1704153600);
    assert_true(e->has_value);
    assert_true(e->value == 19.5);
    assert_string_equal(e->text, "ok \xc3\xa9");
    assert_null(pt_event_batch_get(b, 1));
    pt_event_batch_free(b);

    const char *arr = "[ {\"user\":\"a\",\"item\":\"x\"}, {\"user\":\"b\",\"item\":\"y\","
                      "\"time\":1700000000} ]";
    assert_int_equal(pt_events_parse(ctx, arr, strlen(arr), 0, &b), PT_OK);
    assert_int_equal(pt_event_batch_count(b), 2);
    assert_int_equal(pt_event_batch_get(b, 0)->time, PT_TIME_UNKNOWN);
    assert_null(pt_event_batch_get(b, 0)->action);
    assert_int_equal(pt_event_batch_get(b, 1)->time, 1700000000);
    pt_event_batch_free(b);

    const char *nd = "{\"user\":\"a\",\"item\":\"x\"}\r\n\n{\"user\":\"b\",\"item\":\"y\","
                     "\"action\":null,\"value\":null,\"text\":null,\"time\":null}\n";
    assert_int_equal(pt_events_parse(ctx, nd, strlen(nd), 0, &b), PT_OK);
    assert_int_equal(pt_event_batch_count(b), 2);
    assert_false(pt_event_batch_get(b, 1)->has_value);
    assert_null(pt_event_batch_get(b, 1)->text);
    pt_event_batch_free(b);
}

/* Parse `body` expecting failure `code` with `msg` in the message. */
static void parse_fails(pt_ctx *ctx, const char *body, size_t len, size_t max, int code,
                        const char *msg) {
    pt_event_batch *b = (pt_event_batch *)1;
    int rc = pt_events_parse(ctx, body, len, max, &b);
    if (rc != code || strstr(pt_ctx_errmsg(ctx), msg) == NULL) {
        fprintf(stderr, "body %.60s: got %s '%s', expected %s '%s'\n", body, pt_err_name(rc),
                pt_ctx_errmsg(ctx), pt_err_name(code), msg);
    }
    assert_int_equal(rc, code);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), msg));
    assert_null(b);
}

static void test_parse_errors_name_event_and_field(void **state) {
    pt_ctx *ctx = *state;
#define F(body, code, msg) parse_fails(ctx, body, strlen(body), 0, code, msg)
    F("{\"user\":\"u\",\"item\":\"i\",\"color\":\"red\"}", PT_EPARSE,
      "event 1: field 'color': unknown field");
    F("[{\"user\":\"u\",\"item\":\"i\"},{\"user\":\"u\"}]", PT_EPARSE,
      "event 2: field 'item': is required");
    F("{\"user\":true,\"item\":\"i\"}", PT_EPARSE, "event 1: field 'user': must be a string");
    F("{\"user\":\"u\",\"item\":\"i\",\"value\":\"5\"}", PT_EPARSE,
      "event 1: field 'value': must be a number");
    F("{\"user\":\"u\",\"item\":\"i\",\"value\":1e999}", PT_EPARSE,
      "event 1: field 'value': out of range");
    F("{\"user\":\"u\",\"item\":\"i\",\"time\":\"yesterday\"}", PT_EPARSE,
      "event 1: field 'time': not a unix time");
    F("{\"user\":\"u\",\"item\":\"i\",\"action\":\"jump\"}", PT_EPARSE,
      "event 1: field 'action': unknown action 'jump'");
    F("{\"user\":\"u\",\"item\":\"i\",\"text\":{\"a\":1}}", PT_EPARSE,
      "event 1: field 'text': objects and arrays are not allowed");
    F("{\"user\":\"u\",\"user\":\"v\",\"item\":\"i\"}", PT_EPARSE,
      "event 1: field 'user': given twice");
    F("{\"user\":\"\\u0000\",\"item\":\"i\"}", PT_EPARSE, "field 'user': contains a NUL");
    F("{\"user\":\"  \",\"item\":\"i\"}", PT_EPARSE, "field 'user': is empty");
    F("[[{\"user\":\"u\",\"item\":\"i\"}]]", PT_EPARSE, "line 1: invalid JSON at column 2");
    F("{\"user\":\"u\",\"item\":\"i\"} {\"user\":\"u\",\"item\":\"i\"}", PT_EPARSE,
      "one object per line");
    F("{\"user\":\"u\",\n\"item\":\"i\"\n", PT_EPARSE, "line 3: invalid JSON");
    F("", PT_EPARSE, "no events");
    F("[]", PT_EPARSE, "no events");
    F("42", PT_EPARSE, "expected an event object");
    F("{\"user\":\"\\ud800\",\"item\":\"i\"}", PT_EPARSE, "surrogate");
#undef F
    parse_fails(ctx, "{\"user\":\"\xff\",\"item\":\"i\"}", 23, 0, PT_EPARSE,
                "line 1: invalid UTF-8 at byte 10");
    const char *three = "{\"user\":\"a\",\"item\":\"x\"}\n{\"user\":\"a\",\"item\":\"x\"}\n"
                        "{\"user\":\"a\",\"item\":\"x\"}\n";
    parse_fails(ctx, three, strlen(three), 2, PT_ELIMIT, "more than 2 events");
    pt_event_batch *b = NULL;
    assert_int_equal(pt_events_parse(ctx, three, strlen(three), 3, &b), PT_OK);
    pt_event_batch_free(b);
}

/* Out of memory at every allocation of a parse: PT_ENOMEM each time, nothing leaked (ASan). */
static void test_parse_out_of_memory(void **state) {
    pt_ctx *ctx = *state;
    const char *body = "[{\"user\":\"a\",\"item\":\"x\",\"text\":\"t\"},"
                       "{\"user\":\"b\",\"item\":\"y\"},{\"user\":\"c\",\"item\":\"z\"}]";
    for (uint64_t n = 1;; n++) {
        pt_event_batch *b = NULL;
        pt__ctx_fail_after(ctx, n);
        int rc = pt_events_parse(ctx, body, strlen(body), 0, &b);
        pt__ctx_fail_after(ctx, 0);
        if (rc == PT_OK) {
            assert_int_equal(pt_event_batch_count(b), 3);
            pt_event_batch_free(b);
            break;
        }
        assert_int_equal(rc, PT_ENOMEM);
        assert_null(b);
        assert_true(n < 100);
    }
}

/* ---- appends, replay, compaction ------------------------------------------------------------- */

static void test_append_is_visible_and_replayed(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    assert_int_equal(pt_store_log_last(s), 0);
    uint64_t first = 0;
    assert_int_equal(add(s, ctx,
                         "{\"user\":\"u1\",\"item\":\"i1\",\"action\":\"purchased\",\"time\":5}\n"
                         "{\"user\":\"u2\",\"item\":\"i1\",\"action\":\"rated\",\"value\":4,"
                         "\"text\":\"fine\",\"time\":6}",
                         &first),
                     PT_OK);
    assert_int_equal(first, 1);
    assert_true(has_edge(pt_store_graph(s), "u1", PT_PURCHASED, "i1"));
    assert_true(has_edge(pt_store_graph(s), "u2", PT_RATED, "i1"));
    assert_int_equal(pt_store_log_last(s), 2);
    assert_int_equal(pt_store_log_pending(s), 2);

    /* All or nothing: the third event is bad, nothing of the batch is written. */
    pt_live_event ev[3] = {{"u3", "i3", NULL, 7, 0, 0, NULL},
                           {"u3", "i4", "viewed", 7, 0, 0, NULL},
                           {"u3", "", "viewed", 7, 0, 0, NULL}};
    assert_int_equal(pt_store_append_events(s, ev, 3, &first), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "event 3: field 'item': is empty"));
    ev[2].item = "i5";
    ev[2].has_value = 1;
    ev[2].value = 1.0 / 0.0;
    assert_int_equal(pt_store_append_events(s, ev, 3, &first), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "event 3: field 'value'"));
    ev[2].action = "dance";
    ev[2].has_value = 0;
    assert_int_equal(pt_store_append_events(s, ev, 3, &first), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "event 3: field 'action': unknown action"));
    assert_int_equal(pt_store_log_last(s), 2);
    assert_false(has_edge(pt_store_graph(s), "u3", PT_VIEWED, "i3"));
    ev[2].action = "<https://shop.example/wished>";
    assert_int_equal(pt_store_append_events(s, ev, 3, &first), PT_OK);
    assert_int_equal(first, 3);
    assert_true(has_edge(pt_store_graph(s), "u3", "https://shop.example/wished", "i5"));
    assert_true(has_edge(pt_store_graph(s), "u3", PT_VIEWED, "i3"));
    char *before = dump(pt_store_graph(s));
    pt_store_close(s);

    /* Reopen: the log replays onto the (empty) snapshot: the same graph. */
    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    assert_int_equal(pt_store_log_last(s), 5);
    assert_int_equal(pt_store_log_pending(s), 5);
    char *after = dump(pt_store_graph(s));
    assert_string_equal(before, after);
    free(after);

    /* Compaction folds the log: nothing pending, same graph object, same content. */
    pt_graph *g = pt_store_graph(s);
    assert_int_equal(pt_store_compact(s, "test compaction"), PT_OK);
    assert_ptr_equal(pt_store_graph(s), g);
    assert_int_equal(pt_store_log_pending(s), 0);
    assert_int_equal(pt_store_generation(s), 1);
    assert_int_equal(pt_store_verify(s), PT_OK);
    assert_int_equal(add(s, ctx, "{\"user\":\"u9\",\"item\":\"i9\",\"time\":9}", &first), PT_OK);
    assert_int_equal(first, 6);
    assert_int_equal(pt_store_log_pending(s), 1);
    free(before);
    before = dump(pt_store_graph(s));
    pt_store_close(s);

    /* Reopen read-only: snapshot plus one replayed event; the sequence goes on from 6. */
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_READONLY, &s), PT_OK);
    assert_int_equal(pt_store_log_last(s), 6);
    assert_int_equal(pt_store_log_pending(s), 1);
    after = dump(pt_store_graph(s));
    assert_string_equal(before, after);
    assert_int_equal(pt_store_verify(s), PT_OK);
    pt_store_close(s);
    free(before);
    free(after);

    /* Compact twice, then append: sequence numbers never go back. */
    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    assert_int_equal(pt_store_compact(s, NULL), PT_OK);
    pt_store_close(s);
    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    assert_int_equal(pt_store_log_last(s), 6);
    assert_int_equal(add(s, ctx, "{\"user\":\"u9\",\"item\":\"i10\",\"time\":10}", &first),
                     PT_OK);
    assert_int_equal(first, 7);
    pt_store_close(s);
    tmp_remove(&t);
}

/* A time left out is the time the event was received. */
static void test_unknown_time_is_received_time(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    int64_t t0 = (int64_t)time(NULL);
    assert_int_equal(add(s, ctx, "{\"user\":\"u\",\"item\":\"i\"}", NULL), PT_OK);
    const pt_graph *g = pt_store_graph(s);
    pt_node_id u = pt_graph_resolve(g, "u", PT_CLASS_USER);
    assert_int_not_equal(u, PT_NONE);
    pt_edge_iter it;
    pt_edge e;
    pt_node_id viewed = pt_graph_lookup(g, PT_VIEWED, strlen(PT_VIEWED), PT_TERM_IRI);
    pt_graph_edges(g, u, 0, viewed, &it);
    assert_true(pt_graph_edge_next(&it, &e));
    assert_true(e.time >= t0 && e.time <= t0 + 5);
    pt_store_close(s);
    tmp_remove(&t);
}

/* ---- group commit ---------------------------------------------------------------------------- */

typedef struct worker {
    pt_store *s;
    int id, n;
    int failures;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    for (int k = 0; k < w->n; k++) {
        char u[32], i[32];
        snprintf(u, sizeof u, "t%d", w->id);
        snprintf(i, sizeof i, "i%d_%d", w->id, k);
        pt_live_event e = {u, i, "clicked", 1000 + k, 0, 0, NULL};
        uint64_t first = 0;
        if (pt_store_append_events(w->s, &e, 1, &first) != PT_OK || first == 0) {
            w->failures++;
        }
    }
    return NULL;
}

static void test_group_commit_from_threads(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    enum { THREADS = 8, EACH = 60 };
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int k = 0; k < THREADS; k++) {
        w[k] = (worker){s, k, EACH, 0};
        assert_int_equal(pthread_create(&th[k], NULL, work, &w[k]), 0);
    }
    for (int k = 0; k < THREADS; k++) {
        pthread_join(th[k], NULL);
        assert_int_equal(w[k].failures, 0);
    }
    assert_int_equal(pt_store_log_last(s), THREADS * EACH);
    uint64_t commits, events;
    pt__store_log_stats(s, &commits, &events);
    assert_int_equal(events, THREADS * EACH);
    assert_true(commits <= events);
    fprintf(stderr, "group commit: %llu events in %llu commits\n", (unsigned long long)events,
            (unsigned long long)commits);
    for (int k = 0; k < THREADS; k++) {
        for (int j = 0; j < EACH; j++) {
            char u[32], i[32];
            snprintf(u, sizeof u, "t%d", k);
            snprintf(i, sizeof i, "i%d_%d", k, j);
            assert_true(has_edge(pt_store_graph(s), u, PT_CLICKED, i));
        }
    }
    char *before = dump(pt_store_graph(s));
    pt_store_close(s);
    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    char *after = dump(pt_store_graph(s));
    assert_string_equal(before, after);
    free(before);
    free(after);
    pt_store_close(s);
    tmp_remove(&t);
}

/* ---- the same graph as the importer ---------------------------------------------------------- */

static const char SAME_ROWS[] =
    "{\"user\":\"alice\",\"item\":\"B001\",\"action\":\"viewed\",\"time\":1700000000}\n"
    "{\"user\":\"alice\",\"item\":\"B001\",\"action\":\"purchased\",\"time\":1700000100,"
    "\"value\":19.99}\n"
    "{\"user\":\"bob\",\"item\":\"B001\",\"action\":\"rated\",\"value\":4,\"time\":"
    "\"2024-01-02T03:04:05Z\",\"text\":\"Solid, would buy again\"}\n"
    "{\"user\":\"bob\",\"item\":\"B002\",\"action\":\"reviewed\",\"value\":2.5,\"time\":1700000300,"
    "\"text\":\"Meh \\u2014 \\\"fine\\\"\"}\n"
    "{\"user\":\"carol x\",\"item\":\"B<3>\",\"action\":\"https://shop.example/wished\","
    "\"time\":1700000400,\"text\":\"for later\"}\n"
    "{\"user\":\"alice\",\"item\":\"B001\",\"action\":\"viewed\",\"time\":1600000000}\n"
    "{\"user\":\"dave\",\"item\":\"B003\",\"action\":\"carted\",\"value\":3,\"time\":1700000500}\n";

static void test_live_equals_import(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    /* The importer's graph. */
    char file[400];
    snprintf(file, sizeof file, "%s/rows.jsonl", t.dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs(SAME_ROWS, f);
    fclose(f);
    pt_builder *b = NULL;
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_event_opts o;
    memset(&o, 0, sizeof o);
    o.map = "user=user,item=item,action=action,value=value,time=time,text=text";
    o.strict = 1;
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(pt_import_events(b, file, &o, &st), PT_OK);
    pt_graph *imported = NULL;
    assert_int_equal(pt_builder_finish(b, &imported), PT_OK);

    /* The live graph: the same rows, posted in two requests, then also after a reopen. */
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    const char *cut = strstr(SAME_ROWS, "{\"user\":\"carol");
    char first_half[2048];
    memcpy(first_half, SAME_ROWS, (size_t)(cut - SAME_ROWS));
    first_half[cut - SAME_ROWS] = '\0';
    assert_int_equal(add(s, ctx, first_half, NULL), PT_OK);
    assert_int_equal(add(s, ctx, cut, NULL), PT_OK);
    char *a = dump(imported), *l = dump(pt_store_graph(s));
    if (strcmp(a, l) != 0) {
        fprintf(stderr, "imported:\n%s\nlive:\n%s\n", a, l);
    }
    assert_string_equal(a, l);
    free(l);
    pt_store_close(s);
    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    l = dump(pt_store_graph(s));
    assert_string_equal(a, l);
    free(l);
    assert_int_equal(pt_store_compact(s, NULL), PT_OK);
    pt_store_close(s);
    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    l = dump(pt_store_graph(s));
    assert_string_equal(a, l);
    free(l);
    free(a);
    pt_store_close(s);
    pt_graph_free(imported);
    tmp_remove(&t);
}

/* Appended events count in the next profile, without any rebuild. */
static void test_profile_sees_appends_at_once(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    assert_int_equal(add(s, ctx,
                         "{\"user\":\"p\",\"item\":\"a\",\"action\":\"purchased\",\"time\":100}",
                         NULL),
                     PT_OK);
    pt_profile_opts po;
    pt_profile_opts_default(&po);
    pt_profile *p = NULL;
    pt_node_id u = pt_graph_resolve(pt_store_graph(s), "p", PT_CLASS_USER);
    assert_int_not_equal(u, PT_NONE);
    assert_int_equal(pt_profile_build(ctx, pt_store_graph(s), u, &po, &p), PT_OK);
    assert_int_equal(p->n_events, 1);
    assert_int_equal(p->frequency, 1);
    pt_profile_free(ctx, p);
    assert_int_equal(add(s, ctx,
                         "{\"user\":\"p\",\"item\":\"b\",\"action\":\"purchased\",\"time\":200}\n"
                         "{\"user\":\"p\",\"item\":\"c\",\"action\":\"viewed\",\"time\":300}",
                         NULL),
                     PT_OK);
    assert_int_equal(pt_profile_build(ctx, pt_store_graph(s), u, &po, &p), PT_OK);
    assert_int_equal(p->n_events, 3);
    assert_int_equal(p->frequency, 2);
    assert_int_equal(p->last_seen, 300);
    pt_profile_free(ctx, p);
    pt_store_close(s);
    tmp_remove(&t);
}

/* ---- failures: read-only store, full disk ------------------------------------------------------ */

static void test_readonly_store_refuses_appends(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    assert_int_equal(add(s, ctx, "{\"user\":\"u\",\"item\":\"i\",\"time\":1}", NULL), PT_OK);
    pt_store_close(s);
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_READONLY, &s), PT_OK);
    uint64_t edges = pt_graph_edge_count(pt_store_graph(s));
    pt_live_event e = {"u2", "i2", NULL, 2, 0, 0, NULL};
    uint64_t first = 99;
    assert_int_equal(pt_store_append_events(s, &e, 1, &first), PT_EFULL);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "read-only"));
    assert_int_equal(first, 0);
    assert_int_equal(pt_graph_edge_count(pt_store_graph(s)), edges);
    assert_true(has_edge(pt_store_graph(s), "u", PT_VIEWED, "i"));
    assert_int_equal(pt_store_compact(s, NULL), PT_EFULL);
    assert_int_equal(pt_store_erase_user(s, "u", NULL), PT_EFULL);
    assert_int_equal(pt_store_log_last(s), 1);
    pt_store_close(s);
    tmp_remove(&t);
}

/*
 * A full disk, for real: in a child process, RLIMIT_FSIZE caps every file the process writes a
 * little above the WAL's present size (with SIGXFSZ ignored, write(2) fails with EFBIG, the
 * kernel's own refusal, as ENOSPC would on a full file system). A large batch must then fail
 * with PT_EFULL and leave the graph as it was; reads go on; a small batch that fits still goes
 * through; and the store reopens with only the acknowledged events and verifies.
 */
static void test_full_disk_fails_cleanly(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    assert_int_equal(add(s, ctx, "{\"user\":\"u\",\"item\":\"i\",\"time\":1}", NULL), PT_OK);
    assert_int_equal(pt_store_compact(s, NULL), PT_OK);
    pt_store_close(s);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pt_ctx *c = NULL;
        pt_store *cs = NULL;
        if (pt_ctx_new(&c) != PT_OK || pt_store_open(c, t.store, 0, &cs) != PT_OK) {
            _exit(10);
        }
        signal(SIGXFSZ, SIG_IGN);
        char wal[400];
        snprintf(wal, sizeof wal, "%s/manifest.db-wal", t.store);
        struct stat sb;
        off_t have = stat(wal, &sb) == 0 ? sb.st_size : 0;
        struct rlimit rl = {(rlim_t)(have + 64 * 1024), (rlim_t)(have + 64 * 1024)};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
            _exit(11);
        }
        enum { N = 2000 };
        static pt_live_event ev[N];
        static char text[N][300], item[N][16];
        for (int k = 0; k < N; k++) {
            snprintf(item[k], sizeof item[k], "big%d", k);
            memset(text[k], 'x', sizeof text[k] - 1);
            text[k][sizeof text[k] - 1] = '\0';
            ev[k] = (pt_live_event){"v", item[k], "reviewed", 5, 3, 1, text[k]};
        }
        uint64_t edges = pt_graph_edge_count(pt_store_graph(cs));
        int rc = pt_store_append_events(cs, ev, N, NULL);
        if (rc != PT_EFULL) {
            fprintf(stderr, "child: got %s: %s\n", pt_err_name(rc), pt_ctx_errmsg(c));
            _exit(12);
        }
        fprintf(stderr, "full disk: %s\n", pt_ctx_errmsg(c));
        if (pt_graph_edge_count(pt_store_graph(cs)) != edges) {
            _exit(13);
        }
        pt_node_id u = pt_graph_resolve(pt_store_graph(cs), "u", PT_CLASS_USER);
        if (u == PT_NONE || pt_store_log_last(cs) != 1) {
            _exit(14);
        }
        pt_live_event small = {"w", "small", "viewed", 6, 0, 0, NULL};
        uint64_t first = 0;
        rc = pt_store_append_events(cs, &small, 1, &first);
        if (rc != PT_OK || first != 2) {
            fprintf(stderr, "child: small append: %s: %s\n", pt_err_name(rc), pt_ctx_errmsg(c));
            _exit(15);
        }
        pt_store_close(cs);
        pt_ctx_free(c);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    assert_int_equal(pt_store_log_last(s), 2);
    assert_true(has_edge(pt_store_graph(s), "w", PT_VIEWED, "small"));
    assert_false(has_edge(pt_store_graph(s), "v", PT_REVIEWED, "big0"));
    assert_int_equal(pt_store_verify(s), PT_OK);
    assert_int_equal(pt_store_compact(s, NULL), PT_OK);
    pt_store_close(s);
    tmp_remove(&t);
}

/* ---- erasure ------------------------------------------------------------------------------- */

/* 1 when any file in `dir` holds the bytes of `needle`. */
static int any_file_holds(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int found = 0;
    size_t nl = strlen(needle);
    while ((e = readdir(d)) != NULL && !found) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            continue;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc((size_t)n + 1);
        size_t got = fread(buf, 1, (size_t)n, f);
        fclose(f);
        for (size_t k = 0; k + nl <= got && !found; k++) {
            if (memcmp(buf + k, needle, nl) == 0) {
                found = 1;
                fprintf(stderr, "'%s' found in %s at %zu\n", needle, e->d_name, k);
            }
        }
        free(buf);
    }
    closedir(d);
    return found;
}

static void test_erase_leaves_no_byte(void **state) {
    pt_ctx *ctx = *state;
    tmp t;
    tmp_make(&t);
    pt_store *s = NULL;
    assert_int_equal(pt_store_open(ctx, t.store, PT_STORE_CREATE, &s), PT_OK);
    /* A snapshot that names the user in its note, events folded into it, and events still in
     * the log; another user shares the item. */
    assert_int_equal(add(s, ctx,
                         "{\"user\":\"zq-erase-me-7731\",\"item\":\"shared\",\"action\":\"rated\","
                         "\"value\":5,\"text\":\"Periwinkle marmalade sonata\",\"time\":10}\n"
                         "{\"user\":\"keep-1\",\"item\":\"shared\",\"action\":\"purchased\","
                         "\"time\":11,\"text\":\"kept review\"}\n",
                         NULL),
                     PT_OK);
    assert_int_equal(pt_store_compact(s, "events for zq-erase-me-7731 folded"), PT_OK);
    assert_int_equal(add(s, ctx,
                         "{\"user\":\"zq-erase-me-7731\",\"item\":\"solo\",\"action\":\"viewed\","
                         "\"time\":12}\n"
                         "{\"user\":\"zq-erase-me-7731\",\"item\":\"shared\",\"action\":"
                         "\"reviewed\",\"value\":1,\"time\":13,\"text\":\"Periwinkle again\"}\n",
                         NULL),
                     PT_OK);
    /* Derived edges out of the user (profiles write pt:likes) go too. */
    pt_graph *g = pt_store_graph(s);
    pt_node_id u = pt_graph_resolve(g, "zq-erase-me-7731", PT_CLASS_USER);
    pt_node_id likes = pt_graph_intern(g, PT_NS "likes", strlen(PT_NS "likes"), PT_TERM_IRI);
    pt_node_id shared = pt_graph_resolve(g, "shared", PT_CLASS_ITEM);
    assert_int_equal(pt_graph_add_edge(g, u, likes, shared, 0.9f, 13), PT_OK);
    assert_true(any_file_holds(t.store, "zq-erase-me-7731"));

    pt_erase_stats es;
    assert_int_equal(pt_store_erase_user(s, "zq-erase-me-7731", &es), PT_OK);
    assert_int_equal(es.events, 2);
    assert_int_equal(es.nodes, 3); /* the user and two review nodes */
    assert_true(es.edges >= 9);
    g = pt_store_graph(s);
    assert_int_equal(pt_graph_resolve(g, "zq-erase-me-7731", PT_CLASS_USER), PT_NONE);
    assert_true(has_edge(g, "keep-1", PT_PURCHASED, "shared"));
    assert_int_equal(pt_store_verify(s), PT_OK);
    assert_int_equal(pt_store_log_pending(s), 0);
    assert_int_equal(pt_store_erase_user(s, "zq-erase-me-7731", NULL), PT_ENOTFOUND);
    /* The store goes on: appends and sequence numbers continue. */
    uint64_t first = 0;
    assert_int_equal(add(s, ctx, "{\"user\":\"keep-2\",\"item\":\"solo\",\"time\":14}", &first),
                     PT_OK);
    assert_int_equal(first, 5);
    pt_store_close(s);

    assert_false(any_file_holds(t.store, "zq-erase-me-7731"));
    assert_false(any_file_holds(t.store, "Periwinkle"));
    assert_true(any_file_holds(t.store, "keep-1"));

    assert_int_equal(pt_store_open(ctx, t.store, 0, &s), PT_OK);
    assert_int_equal(pt_store_verify(s), PT_OK);
    assert_true(has_edge(pt_store_graph(s), "keep-2", PT_VIEWED, "solo"));
    assert_int_equal(pt_graph_resolve(pt_store_graph(s), "zq-erase-me-7731", PT_CLASS_USER),
                     PT_NONE);
    pt_store_close(s);
    tmp_remove(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_object_array_and_ndjson, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_parse_errors_name_event_and_field, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_parse_out_of_memory, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_append_is_visible_and_replayed, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_unknown_time_is_received_time, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_group_commit_from_threads, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_live_equals_import, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_profile_sees_appends_at_once, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_readonly_store_refuses_appends, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_full_disk_fails_cleanly, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_erase_leaves_no_byte, ctx_up, ctx_down),
    };
    return cmocka_run_group_tests_name("eventlog", tests, NULL, NULL);
}
