/*
 * test_events.c - tests of the behaviour-event importer (importers/events/events.c): CSV, TSV
 * and JSON-lines fixtures in tests/data/events/, checked through the public graph API, plus the
 * real MovieLens and Amazon files from ../shared/data when they are present.
 *
 * The fixtures are tiny and each one exercises a family of cases: quoted.csv (BOM, CRLF,
 * quotes, embedded delimiters and line breaks), ratings.tsv (header-less, by column number),
 * reviews.jsonl (nested objects, escapes, surrogate pairs, missing fields), latin1.csv,
 * actions.csv (every action spelling), skips.csv (every skip reason), times.csv, badjson.jsonl
 * and unbalanced.csv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portrait/portrait.h"
#include "core/core.h"
#include "graph/graph.h"

#define EV PT_TEST_DATA "/events/"

/* ---- helpers -------------------------------------------------------------------------------- */

/* Options with the map `map`, header decided from the map, everything else default. */
static pt_event_opts opts_map(const char *map) {
    pt_event_opts o;
    memset(&o, 0, sizeof o);
    o.map = map;
    o.header = 0;
    return o;
}

/*
 * Import `path` into a new builder and finish it. Returns the import's code; on PT_OK *g is the
 * checked graph (pt__graph_check), otherwise *g is NULL and the builder is freed.
 */
static int import(pt_ctx *ctx, const char *path, const pt_event_opts *o, pt_graph **g,
                  pt_import_stats *st) {
    pt_builder *b = NULL;
    *g = NULL;
    memset(st, 0, sizeof *st);
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    int rc = pt_import_events(b, path, o, st);
    if (rc != PT_OK) {
        pt_builder_free(b);
        return rc;
    }
    assert_int_equal(pt_builder_finish(b, g), PT_OK);
    assert_int_equal(pt__graph_check(*g), PT_OK);
    return PT_OK;
}

/* Node id of the IRI `iri`, or PT_NONE. */
static pt_node_id node(const pt_graph *g, const char *iri) {
    return pt_graph_lookup(g, iri, strlen(iri), PT_TERM_IRI);
}

/* Find the edge (s, p, o) given as IRIs; returns 1 and fills *e when it exists. */
static int edge(const pt_graph *g, const char *s, const char *p, const char *o, pt_edge *e) {
    pt_node_id a = node(g, s), b = node(g, p), c = node(g, o);
    if (a == PT_NONE || b == PT_NONE || c == PT_NONE) {
        return 0;
    }
    return pt_graph_edge_find(g, a, b, c, e);
}

/* The first literal of subject IRI `s` for predicate IRI `p`, or NULL. */
static const char *literal(const pt_graph *g, const char *s, const char *p) {
    pt_node_id a = node(g, s), b = node(g, p);
    if (a == PT_NONE || b == PT_NONE) {
        return NULL;
    }
    return pt_graph_literal_get(g, a, b, NULL);
}

/* Number of nodes of class `c`. */
static uint32_t count_class(const pt_graph *g, pt_class c) {
    uint32_t n = 0;
    for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
        n += pt_graph_node_class(g, v) == c;
    }
    return n;
}

/* Number of edges whose predicate has role `r`. */
static uint64_t count_role(const pt_graph *g, pt_role r) {
    uint64_t n = 0;
    for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
        pt_edge_iter it;
        pt_edge e;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            n += pt_graph_pred_role(g, e.pred) == r;
        }
    }
    return n;
}

/* True when the file exists, else print why the test is skipped. */
static int have(const char *path) {
    if (access(path, R_OK) == 0) {
        return 1;
    }
    print_message("skipped: %s not found (shared data absent)\n", path);
    return 0;
}

/* ---- names ---------------------------------------------------------------------------------- */

static void test_skip_reason_names(void **state) {
    (void)state;
    assert_string_equal(pt_skip_reason_name(PT_SKIP_MALFORMED), "malformed row");
    assert_string_equal(pt_skip_reason_name(PT_SKIP_MISSING), "missing user or item");
    assert_string_equal(pt_skip_reason_name(PT_SKIP_BAD_VALUE), "value not a number");
    assert_string_equal(pt_skip_reason_name(PT_SKIP_BAD_TIME), "bad time");
    assert_string_equal(pt_skip_reason_name(PT_SKIP_BAD_ACTION), "unknown action");
    assert_string_equal(pt_skip_reason_name(PT_SKIP_ENCODING), "invalid UTF-8");
    assert_string_equal(pt_skip_reason_name(PT_SKIP_COUNT_), "unknown reason");
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static void test_csv_quotes_crlf_bom_and_event_nodes(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    pt_event_opts o = opts_map("user=userId,item=itemId,value=rating,time=ts,text=review");
    assert_int_equal(import(*state, EV "quoted.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, 5);
    assert_int_equal(st.rows_imported, 5);
    assert_int_equal(st.rows_skipped, 0);
    assert_string_equal(st.first_skip, "");
    assert_true(st.bytes > 200);

    /* BOM stripped from the first header name, CRLF stripped, ISO time, default action rated */
    assert_true(edge(g, "urn:portrait:user/u1", PT_RATED, "urn:portrait:item/i1", &e));
    assert_true(e.weight == 4.5f);
    assert_int_equal(e.time, 1577934245);
    assert_int_equal(pt_graph_node_class(g, node(g, "urn:portrait:user/u1")), PT_CLASS_USER);
    assert_int_equal(pt_graph_node_class(g, node(g, "urn:portrait:item/i1")), PT_CLASS_ITEM);

    /* the event node of a row with text */
    const char *ev = "urn:portrait:event/u1/i1/rated";
    assert_int_equal(pt_graph_node_class(g, node(g, ev)), PT_CLASS_EVENT);
    assert_string_equal(literal(g, ev, PT_EV_TEXT), "Great, really \"great\" stuff");
    assert_string_equal(literal(g, ev, PT_EV_RATING), "4.5");
    assert_string_equal(literal(g, ev, PT_EV_TIME), "2020-01-02T03:04:05Z");
    assert_true(edge(g, ev, PT_EV_USER, "urn:portrait:user/u1", &e));
    assert_true(edge(g, ev, PT_EV_ITEM, "urn:portrait:item/i1", &e));
    assert_true(edge(g, ev, PT_EV_ACTION, PT_RATED, &e));
    pt_literal lit;
    pt_node_id evn = node(g, ev);
    int found_dt = 0;
    for (uint64_t k = 0; k < pt_graph_literal_count_of(g, evn); k++) {
        lit.pred = PT_NONE;
        (void)pt_graph_literal(g, evn, k, &lit);
        if (lit.pred == node(g, PT_EV_RATING)) {
            found_dt = lit.datatype == node(g, PT_XSD_DECIMAL);
        }
    }
    assert_true(found_dt);

    /* a delimiter inside quotes, a line break inside quotes (CRLF becomes LF) */
    assert_true(edge(g, "urn:portrait:user/u2", PT_RATED, "urn:portrait:item/i,2", &e));
    assert_int_equal(e.time, 1577836800);
    assert_string_equal(literal(g, "urn:portrait:event/u2/i,2/rated", PT_EV_TEXT),
                        "line one\nline two");

    /* a quoted id with a space is percent-encoded; no text, no event */
    assert_true(edge(g, "urn:portrait:user/u%203", PT_RATED, "urn:portrait:item/i1", &e));
    assert_int_equal(e.time, 1577836800);
    assert_true(e.weight == 5.0f);
    assert_int_equal(node(g, "urn:portrait:event/u%203/i1/rated"), PT_NONE);

    /* unquoted text; then a last line without a newline and an id with <> */
    assert_string_equal(literal(g, "urn:portrait:event/u4/i3/rated", PT_EV_TEXT), "plain text");
    assert_true(edge(g, "urn:portrait:user/u5", PT_RATED, "urn:portrait:item/i%3C4%3E", &e));

    assert_int_equal(count_class(g, PT_CLASS_USER), 5);
    assert_int_equal(count_class(g, PT_CLASS_ITEM), 4);
    assert_int_equal(count_class(g, PT_CLASS_EVENT), 4);
    assert_int_equal(count_role(g, PT_ROLE_RATED), 5);
    pt_graph_free(g);
}

static void test_tsv_without_header_by_column_numbers(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    pt_event_opts o = opts_map("user=1,item=2,value=3,time=4");
    o.base = "https://movielens.org/";
    o.action = "rated";
    assert_int_equal(import(*state, EV "ratings.tsv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, 5);
    assert_int_equal(st.rows_imported, 5);
    /* the repeated (196, 242) keeps the later rating */
    assert_true(edge(g, "https://movielens.org/user/196", PT_RATED,
                     "https://movielens.org/item/242", &e));
    assert_true(e.weight == 5.0f);
    assert_int_equal(e.time, 881250999);
    assert_int_equal(count_role(g, PT_ROLE_RATED), 4);
    assert_int_equal(count_class(g, PT_CLASS_USER), 4);
    assert_int_equal(count_class(g, PT_CLASS_ITEM), 4);
    /* the base is recorded on the builder, so local ids resolve */
    assert_string_equal(pt_graph_base(g), "https://movielens.org/");
    assert_int_equal(pt_graph_resolve(g, "196", PT_CLASS_USER),
                     node(g, "https://movielens.org/user/196"));
    pt_graph_free(g);
}

static void test_base_gets_a_separator_and_fixed_actions(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    pt_event_opts o = opts_map("user=1,item=2");
    o.base = "https://shop.example";
    o.format = "tsv";
    assert_int_equal(import(*state, EV "ratings.tsv", &o, &g, &st), PT_OK);
    /* no value mapped: default action viewed, weight 1, time unknown */
    assert_true(edge(g, "https://shop.example/user/22", PT_VIEWED,
                     "https://shop.example/item/377", &e));
    assert_true(e.weight == 1.0f);
    assert_true(e.time == PT_TIME_UNKNOWN);
    pt_graph_free(g);

    o.action = "buy";
    assert_int_equal(import(*state, EV "ratings.tsv", &o, &g, &st), PT_OK);
    assert_true(edge(g, "https://shop.example/user/22", PT_PURCHASED,
                     "https://shop.example/item/377", &e));
    assert_int_equal(count_role(g, PT_ROLE_PURCHASED), 4);
    pt_graph_free(g);

    o.action = "https://schema.org/BuyAction";
    assert_int_equal(import(*state, EV "ratings.tsv", &o, &g, &st), PT_OK);
    assert_true(edge(g, "https://shop.example/user/22", "https://schema.org/BuyAction",
                     "https://shop.example/item/377", &e));
    pt_graph_free(g);

    o.action = "teleport";
    assert_int_equal(import(*state, EV "ratings.tsv", &o, &g, &st), PT_EINVAL);
    assert_non_null(strstr(pt_ctx_errmsg(*state), "teleport"));
}

static void test_action_column_with_every_name(void **state) {
    static const char *const expect[] = {
        PT_VIEWED,    PT_VIEWED,    PT_CLICKED, PT_CLICKED,  PT_CARTED,
        PT_CARTED,    PT_CARTED,    PT_PURCHASED, PT_PURCHASED, PT_PURCHASED,
        PT_RATED,     PT_RATED,     PT_REVIEWED, PT_REVIEWED,
        "https://schema.org/BuyAction", "http://example.org/wished",
    };
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    char item[64];
    pt_event_opts o = opts_map("user=user,item=item,action=action");
    assert_int_equal(import(*state, EV "actions.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, 19);
    assert_int_equal(st.rows_imported, 17);
    assert_int_equal(st.skipped_by[PT_SKIP_BAD_ACTION], 2);
    for (size_t k = 0; k < sizeof expect / sizeof expect[0]; k++) {
        snprintf(item, sizeof item, "urn:portrait:item/x%zu", k + 1);
        assert_true(edge(g, "urn:portrait:user/a", expect[k], item, &e));
    }
    assert_true(edge(g, "urn:portrait:user/a", PT_VIEWED, "urn:portrait:item/x19", &e));
    assert_int_equal(node(g, "urn:portrait:item/x17"), PT_NONE);
    assert_string_equal(st.first_skip, EV "actions.csv:18: field 'action': unknown action "
                                          "'teleport' (expected viewed, clicked, carted, "
                                          "purchased, rated, reviewed or an IRI)");
    assert_int_equal(count_role(g, PT_ROLE_VIEWED), 3);
    assert_int_equal(count_role(g, PT_ROLE_CARTED), 3);
    assert_int_equal(count_role(g, PT_ROLE_REVIEWED), 2);
    pt_graph_free(g);
}

static void test_every_skip_reason_counted(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    pt_event_opts o = opts_map("user=user,item=item,value=value,time=time,action=action");
    assert_int_equal(import(*state, EV "skips.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, 11);
    assert_int_equal(st.rows_imported, 3);
    assert_int_equal(st.rows_skipped, 8);
    assert_int_equal(st.skipped_by[PT_SKIP_MALFORMED], 2);
    assert_int_equal(st.skipped_by[PT_SKIP_MISSING], 2);
    assert_int_equal(st.skipped_by[PT_SKIP_BAD_VALUE], 1);
    assert_int_equal(st.skipped_by[PT_SKIP_BAD_TIME], 1);
    assert_int_equal(st.skipped_by[PT_SKIP_BAD_ACTION], 1);
    assert_int_equal(st.skipped_by[PT_SKIP_ENCODING], 1);
    assert_string_equal(st.first_skip, EV "skips.csv:3: field 'time': not a unix time or "
                                          "ISO-8601 date ('abc')");
    /* a quoted value with a thousands separator; empty value and time count as unmapped */
    assert_true(edge(g, "urn:portrait:user/u1", PT_VIEWED, "urn:portrait:item/i9", &e));
    assert_true(e.weight == 1234.0f);
    assert_true(edge(g, "urn:portrait:user/u1", PT_VIEWED, "urn:portrait:item/i10", &e));
    assert_true(e.weight == 1.0f);
    assert_true(e.time == PT_TIME_UNKNOWN);
    pt_graph_free(g);

    /* the stats accumulate over two imports into one builder */
    pt_builder *b;
    memset(&st, 0, sizeof st);
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    assert_int_equal(pt_import_events(b, EV "skips.csv", &o, &st), PT_OK);
    assert_int_equal(pt_import_events(b, EV "skips.csv", &o, &st), PT_OK);
    assert_int_equal(st.rows_read, 22);
    assert_int_equal(st.rows_skipped, 16);
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    pt_graph_free(g);
}

static void test_strict_mode_messages(void **state) {
    pt_ctx *ctx = *state;
    pt_graph *g;
    pt_import_stats st;
    pt_event_opts o = opts_map("user=user,item=item,value=value,time=time,action=action");
    o.strict = 1;
    assert_int_equal(import(ctx, EV "skips.csv", &o, &g, &st), PT_EPARSE);
    assert_string_equal(pt_ctx_errmsg(ctx), EV "skips.csv:3: field 'time': not a unix time or "
                                               "ISO-8601 date ('abc')");

    pt_event_opts j = opts_map("user=reviewerID,item=asin,value=overall,time=unixReviewTime");
    j.strict = 1;
    assert_int_equal(import(ctx, EV "reviews.jsonl", &j, &g, &st), PT_EPARSE);
    assert_string_equal(pt_ctx_errmsg(ctx), EV "reviews.jsonl:3: field 'item' is missing or empty");

    pt_event_opts k = opts_map("user=user,item=item");
    k.strict = 1;
    assert_int_equal(import(ctx, EV "badjson.jsonl", &k, &g, &st), PT_EPARSE);
    assert_string_equal(pt_ctx_errmsg(ctx),
                        EV "badjson.jsonl:2: invalid JSON at column 9: expected a string key");

    pt_event_opts l = opts_map("user=user,item=item,action=action");
    l.strict = 1;
    assert_int_equal(import(ctx, EV "latin1.csv", &l, &g, &st), PT_EPARSE);
    assert_string_equal(pt_ctx_errmsg(ctx),
                        EV "latin1.csv:2: invalid UTF-8 at byte 4 (is the file Latin-1? use "
                           "encoding latin1)");

    pt_event_opts u = opts_map("user=user,item=item");
    u.strict = 1;
    assert_int_equal(import(ctx, EV "unbalanced.csv", &u, &g, &st), PT_EPARSE);
    assert_string_equal(pt_ctx_errmsg(ctx),
                        EV "unbalanced.csv:3: unbalanced quote: the quoted field runs to the end "
                           "of the file");

    pt_event_opts a = opts_map("user=user,item=item,action=action");
    a.strict = 1;
    assert_int_equal(import(ctx, EV "actions.csv", &a, &g, &st), PT_EPARSE);
    assert_string_equal(pt_ctx_errmsg(ctx),
                        EV "actions.csv:18: field 'action': unknown action 'teleport' (expected "
                           "viewed, clicked, carted, purchased, rated, reviewed or an IRI)");
}

static void test_unbalanced_quote_is_one_malformed_row(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_event_opts o = opts_map("user=user,item=item");
    assert_int_equal(import(*state, EV "unbalanced.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, 2);
    assert_int_equal(st.rows_imported, 1);
    assert_int_equal(st.skipped_by[PT_SKIP_MALFORMED], 1);
    pt_graph_free(g);
}

static void test_latin1_is_converted(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    pt_event_opts o = opts_map("user=user,item=item,action=action");
    assert_int_equal(import(*state, EV "latin1.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_imported, 0);
    assert_int_equal(st.skipped_by[PT_SKIP_ENCODING], 2);
    pt_graph_free(g);

    o.encoding = "latin1";
    assert_int_equal(import(*state, EV "latin1.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_imported, 2);
    assert_true(edge(g, "urn:portrait:user/jos\xc3\xa9", PT_VIEWED,
                     "urn:portrait:item/caf\xc3\xa9", &e));
    assert_true(edge(g, "urn:portrait:user/m\xc3\xbcller", PT_PURCHASED,
                     "urn:portrait:item/cr\xc3\xa8me", &e));
    pt_graph_free(g);
}

static void test_times_unix_and_iso(void **state) {
    static const struct {
        const char *item;
        int64_t t;
    } want[] = {{"a", 0},          {"b", 86400},      {"c", 1582977600},
                {"d", 1582957800}, {"e", 1582977600}, {"f", -86400}};
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    char iri[64];
    pt_event_opts o = opts_map("user=user,item=item,time=time");
    assert_int_equal(import(*state, EV "times.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_imported, 6);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        snprintf(iri, sizeof iri, "urn:portrait:item/%s", want[k].item);
        assert_true(edge(g, "urn:portrait:user/u", PT_VIEWED, iri, &e));
        assert_int_equal(e.time, want[k].t);
    }
    pt_graph_free(g);
}

/* ---- JSON-lines ----------------------------------------------------------------------------- */

static void test_jsonl_nested_escapes_and_skips(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    pt_event_opts o =
        opts_map("user=reviewerID,item=asin,value=overall,time=unixReviewTime,text=reviewText");
    assert_int_equal(import(*state, EV "reviews.jsonl", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, 11);
    assert_int_equal(st.rows_imported, 5);
    assert_int_equal(st.skipped_by[PT_SKIP_MISSING], 1);
    assert_int_equal(st.skipped_by[PT_SKIP_BAD_VALUE], 1);
    assert_int_equal(st.skipped_by[PT_SKIP_BAD_TIME], 1);
    assert_int_equal(st.skipped_by[PT_SKIP_MALFORMED], 2);
    assert_int_equal(st.skipped_by[PT_SKIP_ENCODING], 1);
    assert_string_equal(st.first_skip, EV "reviews.jsonl:3: field 'item' is missing or empty");

    assert_true(edge(g, "urn:portrait:user/A1", PT_RATED, "urn:portrait:item/B1", &e));
    assert_true(e.weight == 5.0f);
    assert_int_equal(e.time, 1472688000);
    assert_string_equal(literal(g, "urn:portrait:event/A1/B1/rated", PT_EV_TEXT),
                        "Caf\xc3\xa9 \xf0\x9f\x98\x80 \"ok\"\n\t/");
    assert_string_equal(literal(g, "urn:portrait:event/A1/B1/rated", PT_EV_RATING), "5.0");

    /* numbers given as strings; an ISO time with an offset; no text, no event */
    assert_true(edge(g, "urn:portrait:user/A2", PT_RATED, "urn:portrait:item/B1", &e));
    assert_true(e.weight == 4.0f);
    assert_int_equal(e.time, 1472680800);
    assert_int_equal(node(g, "urn:portrait:event/A2/B1/rated"), PT_NONE);

    /* raw UTF-8 text passes through */
    assert_string_equal(literal(g, "urn:portrait:event/A6/B2/rated", PT_EV_TEXT),
                        "raw UTF-8: \xe4\xb8\xad\xe6\x96\x87 \xe2\x9c\x93");
    /* null value: weight 1; empty text: no event */
    assert_true(edge(g, "urn:portrait:user/A8", PT_RATED, "urn:portrait:item/B3", &e));
    assert_true(e.weight == 1.0f);
    assert_int_equal(node(g, "urn:portrait:event/A8/B3/rated"), PT_NONE);
    /* a numeric id */
    assert_true(edge(g, "urn:portrait:user/12345", PT_RATED, "urn:portrait:item/B3", &e));
    assert_int_equal(count_class(g, PT_CLASS_EVENT), 2);
    pt_graph_free(g);
}

static void test_jsonl_dotted_path_and_vote(void **state) {
    pt_graph *g;
    pt_import_stats st;
    pt_edge e;
    pt_event_opts o = opts_map("user=reviewerID,item=style.Format:,value=vote");
    o.action = "clicked";
    assert_int_equal(import(*state, EV "reviews.jsonl", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_imported, 1);
    assert_true(edge(g, "urn:portrait:user/A1", PT_CLICKED, "urn:portrait:item/Paperback", &e));
    assert_true(e.weight == 1234.0f);
    pt_graph_free(g);

    /* a path that names an object is not an id */
    o = opts_map("user=reviewerID,item=style.Size:");
    assert_int_equal(import(*state, EV "reviews.jsonl", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_imported, 0);
    assert_int_equal(st.skipped_by[PT_SKIP_MALFORMED], 3);
    pt_graph_free(g);
}

/* ---- options and map errors ----------------------------------------------------------------- */

/* Import `path` with `o` and expect PT_EINVAL whose message contains `needle`. */
static void expect_einval(pt_ctx *ctx, const char *path, pt_event_opts o, const char *needle) {
    pt_graph *g;
    pt_import_stats st;
    assert_int_equal(import(ctx, path, &o, &g, &st), PT_EINVAL);
    if (strstr(pt_ctx_errmsg(ctx), needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", pt_ctx_errmsg(ctx), needle);
    }
}

static void test_map_and_option_errors(void **state) {
    pt_ctx *ctx = *state;
    pt_event_opts o;
    expect_einval(ctx, EV "ratings.tsv", opts_map("user=1,item=2,colour=3"),
                  "unknown field 'colour'");
    expect_einval(ctx, EV "ratings.tsv", opts_map("item=2"), "field 'user' is required");
    expect_einval(ctx, EV "ratings.tsv", opts_map("user=1,item"), "'item' is not key=column");
    expect_einval(ctx, EV "ratings.tsv", opts_map("user=1,item=0"), "start at 1");
    expect_einval(ctx, EV "ratings.tsv", opts_map("user=1,user=2,item=3"), "given twice");
    expect_einval(ctx, EV "ratings.tsv", opts_map(""), "empty");
    expect_einval(ctx, EV "ratings.tsv", opts_map("user=1,item=7"),
                  "field 'item': column 7, but the first row has 4 columns");
    expect_einval(ctx, EV "quoted.csv", opts_map("user=userId,item=nope"),
                  "field 'item': no column 'nope' in the header (columns: userId, itemId, "
                  "rating, ts, review)");
    o = opts_map("user=userId,item=itemId");
    o.header = -1;
    expect_einval(ctx, EV "quoted.csv", o, "field 'user': 'userId' is a column name");
    o = opts_map("user=1,item=2");
    o.encoding = "ebcdic";
    expect_einval(ctx, EV "ratings.tsv", o, "encoding 'ebcdic'");
    o = opts_map("user=1,item=2");
    o.format = "xlsx";
    expect_einval(ctx, EV "ratings.tsv", o, "format 'xlsx'");
    o = opts_map(NULL);
    expect_einval(ctx, EV "ratings.tsv", o, "map");

    /* header names match case-insensitively as a fallback */
    pt_graph *g;
    pt_import_stats st;
    o = opts_map("user=USERID,item=itemid");
    assert_int_equal(import(ctx, EV "quoted.csv", &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_imported, 5);
    pt_graph_free(g);

    /* a missing file */
    o = opts_map("user=1,item=2");
    assert_int_equal(import(ctx, EV "no-such-file.tsv", &o, &g, &st), PT_EIO);
}

/* ---- long rows, many lines, logging, memory ------------------------------------------------- */

/* Write `data` to a file in the build directory and return its path (static buffer). */
static const char *write_tmp(const char *name, const char *data, size_t len) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", PT_BUILD_DIR, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static void test_long_row_and_field_over_many_lines(void **state) {
    size_t big = (size_t)3 << 20;
    char *data = malloc(big + 256);
    assert_non_null(data);
    /* a 3 MiB text field on one line, then a quoted field over 5000 lines */
    size_t n = (size_t)sprintf(data, "user,item,text\nu1,i1,");
    memset(data + n, 'x', big);
    n += big;
    n += (size_t)sprintf(data + n, "\nu2,i2,\"");
    const char *path = write_tmp("events_long.csv", data, n);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    for (int k = 0; k < 5000; k++) {
        fprintf(f, "line %d\r\n", k);
    }
    fprintf(f, "end\"\nu3,i3,short\n");
    fclose(f);
    free(data);

    pt_graph *g;
    pt_import_stats st;
    pt_event_opts o = opts_map("user=user,item=item,text=text");
    assert_int_equal(import(*state, path, &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, 3);
    assert_int_equal(st.rows_imported, 3);
    const char *t = literal(g, "urn:portrait:event/u1/i1/viewed", PT_EV_TEXT);
    assert_non_null(t);
    assert_int_equal(strlen(t), big);
    t = literal(g, "urn:portrait:event/u2/i2/viewed", PT_EV_TEXT);
    assert_non_null(t);
    assert_true(strncmp(t, "line 0\nline 1\n", 14) == 0);
    assert_non_null(strstr(t, "line 4999\nend"));
    assert_string_equal(literal(g, "urn:portrait:event/u3/i3/viewed", PT_EV_TEXT), "short");
    pt_graph_free(g);
    unlink(path);
}

/* Count warnings sent to the log callback. */
static void count_log(void *ud, pt_log_level level, const char *msg) {
    (void)msg;
    if (level == PT_LOG_WARN) {
        (*(int *)ud)++;
    }
}

static void test_warnings_are_limited(void **state) {
    pt_ctx *ctx = *state;
    int warned = 0;
    pt_ctx_set_log(ctx, count_log, &warned);
    char data[8192];
    size_t n = (size_t)sprintf(data, "user,item,value\n");
    for (int k = 0; k < 100; k++) {
        n += (size_t)sprintf(data + n, "u%d,i%d,notanumber\n", k, k);
    }
    const char *path = write_tmp("events_warn.csv", data, n);
    pt_graph *g;
    pt_import_stats st;
    pt_event_opts o = opts_map("user=user,item=item,value=value");
    assert_int_equal(import(ctx, path, &o, &g, &st), PT_OK);
    assert_int_equal(st.skipped_by[PT_SKIP_BAD_VALUE], 100);
    assert_true(warned >= 5 && warned <= 6);
    pt_graph_free(g);
    pt_ctx_set_log(ctx, NULL, NULL);
    unlink(path);
}

/*
 * Every allocation of an import, in turn, fails: the import (or the finish) must return
 * PT_ENOMEM and leak nothing (ASan checks), until the run that needs no failure succeeds. Fault
 * injection is armed after pt_builder_new(), so this tests the importer and the builder's
 * sticky failure, not the builder's constructor.
 */
static void test_out_of_memory_everywhere(void **state) {
    pt_ctx *ctx = *state;
    static const char *const files[] = {EV "quoted.csv", EV "reviews.jsonl"};
    static const char *const maps[] = {
        "user=userId,item=itemId,value=rating,time=ts,text=review",
        "user=reviewerID,item=asin,value=overall,time=unixReviewTime,text=reviewText"};
    for (int f = 0; f < 2; f++) {
        pt_event_opts o = opts_map(maps[f]);
        for (uint64_t n = 1;; n++) {
            pt_builder *b = NULL;
            pt_graph *g = NULL;
            pt_import_stats st;
            memset(&st, 0, sizeof st);
            assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
            pt__ctx_fail_after(ctx, n);
            int rc = pt_import_events(b, files[f], &o, &st);
            if (rc == PT_OK) {
                rc = pt_builder_finish(b, &g);
            } else {
                pt_builder_free(b);
            }
            pt__ctx_fail_after(ctx, 0);
            if (rc == PT_OK) {
                assert_int_equal(pt__graph_check(g), PT_OK);
                pt_graph_free(g);
                break;
            }
            assert_int_equal(rc, PT_ENOMEM);
            assert_null(g);
            assert_true(n < 100000);
        }
    }
}

/* ---- real data ------------------------------------------------------------------------------ */

static void test_ml100k(void **state) {
    const char *path = PT_SHARED_DATA "/ml-100k/u.data";
    if (!have(path)) {
        skip();
    }
    pt_graph *g;
    pt_import_stats st;
    pt_event_opts o = opts_map("user=1,item=2,value=3,time=4");
    o.base = "https://movielens.org/";
    double t0 = pt__now();
    assert_int_equal(import(*state, path, &o, &g, &st), PT_OK);
    print_message("ml-100k: import + finish in %.3f s\n", pt__now() - t0);
    assert_int_equal(st.rows_read, 100000);
    assert_int_equal(st.rows_imported, 100000);
    assert_int_equal(st.rows_skipped, 0);
    assert_int_equal(count_class(g, PT_CLASS_USER), 943);
    assert_int_equal(count_class(g, PT_CLASS_ITEM), 1682);
    assert_int_equal(count_role(g, PT_ROLE_RATED), 100000);
    assert_int_equal(pt_graph_edge_count(g), 100000 + 943 + 1682);
    /* first line of u.data: 196 242 3 881250949 */
    pt_edge e;
    assert_true(edge(g, "https://movielens.org/user/196", PT_RATED,
                     "https://movielens.org/item/242", &e));
    assert_true(e.weight == 3.0f);
    assert_int_equal(e.time, 881250949);
    pt_graph_free(g);
}

/*
 * Import an Amazon 5-core review file and compare with counts measured independently:
 *   /usr/bin/python3 -c 'import gzip,json,sys; rows=[json.loads(l) for l in
 *     gzip.open(sys.argv[1],"rt") if l.strip()]; ev=[r for r in rows
 *     if r.get("reviewText","").strip(" \t\r\n")]; k=lambda r:(r["reviewerID"],r["asin"]);
 *     print(len(rows), len({r["reviewerID"] for r in rows}), len({r["asin"] for r in rows}),
 *     len({k(r) for r in rows}), len({k(r) for r in ev}),
 *     len({k(r)+(r["reviewText"],) for r in ev}) + len({k(r)+(r["unixReviewTime"],) for r in ev})
 *     + len({k(r)+(repr(r["overall"]),) for r in ev}))' FILE
 * which prints rows, users, items, (user, item) pairs, event nodes and event literals.
 * Edges = pairs + users + items + 4 per event (type, user, item, action).
 */
static void check_amazon(pt_ctx *ctx, const char *path, uint64_t rows, uint32_t users,
                         uint32_t items, uint64_t pairs, uint32_t events, uint64_t literals) {
    if (!have(path)) {
        skip();
    }
    pt_graph *g;
    pt_import_stats st;
    pt_event_opts o =
        opts_map("user=reviewerID,item=asin,value=overall,time=unixReviewTime,text=reviewText");
    assert_int_equal(import(ctx, path, &o, &g, &st), PT_OK);
    assert_int_equal(st.rows_read, rows);
    assert_int_equal(st.rows_imported, rows);
    assert_int_equal(count_class(g, PT_CLASS_USER), users);
    assert_int_equal(count_class(g, PT_CLASS_ITEM), items);
    assert_int_equal(count_class(g, PT_CLASS_EVENT), events);
    assert_int_equal(count_role(g, PT_ROLE_RATED), pairs);
    assert_int_equal(pt_graph_edge_count(g), pairs + users + items + 4 * (uint64_t)events);
    assert_int_equal(pt_graph_literal_count(g), literals);
    pt_graph_free(g);
}

static void test_amazon_all_beauty(void **state) {
    check_amazon(*state, PT_SHARED_DATA "/amazon-all-beauty/All_Beauty_5.json.gz", 5269, 991, 85,
                 4092, 4088, 12476);
}

static void test_amazon_gift_cards(void **state) {
    check_amazon(*state, PT_SHARED_DATA "/amazon-gift-cards/Gift_Cards_5.json.gz", 2972, 458, 148,
                 2965, 2959, 8887);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ctx_up, ctx_down)
    const struct CMUnitTest tests[] = {
        T(test_skip_reason_names),
        T(test_csv_quotes_crlf_bom_and_event_nodes),
        T(test_tsv_without_header_by_column_numbers),
        T(test_base_gets_a_separator_and_fixed_actions),
        T(test_action_column_with_every_name),
        T(test_every_skip_reason_counted),
        T(test_strict_mode_messages),
        T(test_unbalanced_quote_is_one_malformed_row),
        T(test_latin1_is_converted),
        T(test_times_unix_and_iso),
        T(test_jsonl_nested_escapes_and_skips),
        T(test_jsonl_dotted_path_and_vote),
        T(test_map_and_option_errors),
        T(test_long_row_and_field_over_many_lines),
        T(test_warnings_are_limited),
        T(test_out_of_memory_everywhere),
        T(test_ml100k),
        T(test_amazon_all_beauty),
        T(test_amazon_gift_cards),
    };
#undef T
    return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
