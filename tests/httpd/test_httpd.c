/*
 * test_httpd.c - the HTTP service of `portrait serve` (tools/httpd/), in-process: a store is
 * built from a small generated shop in a temporary directory, the service is started on an
 * ephemeral loopback port, and a tiny socket client sends raw HTTP/1.1 requests. Every
 * endpoint is called, with every error path the API documents (docs/API.md): 400 with the
 * reason and field, 401/403 on writes, 404, 405 with Allow, 413, 415, and 503 from a read-only
 * store while reads keep working. The event endpoints are tested when the build has the event
 * log (GET /v1/health says "events": true).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pt_test.h"
#include "httpd.h"
#include "http_parse.h"

#define TOKEN "test-token-0123456789abcdef"
#define BASE "https://shop.example/"

/* --- fixture ------------------------------------------------------------------------------- */

static char dir[256];
static char store_path[300];
static char seq_path[300];

/* Build the store: 3 categories, 30 items (titled, in categories), 20 users who each bought or
 * viewed a handful of items of "their" category, deterministic. */
static int make_store(void) {
    pt_ctx *ctx = NULL;
    pt_store *st = NULL;
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    char iri[256], lit[64];
    snprintf(dir, sizeof dir, "/tmp/pt_httpd_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(store_path, sizeof store_path, "%s/store", dir);
    if (pt_ctx_new(&ctx) != PT_OK || pt_builder_new(ctx, NULL, &b) != PT_OK) {
        return -1;
    }
    pt_builder_set_base(b, BASE);
#define I(s) pt_builder_intern(b, (s), strlen(s), PT_TERM_IRI)
    pt_node_id type = I(PT_RDF_TYPE), user_c = I(PT_USER), item_c = I(PT_ITEM),
               cat_c = I(PT_CATEGORY), in_cat = I(PT_IN_CATEGORY), title = I(PT_TITLE),
               bought = I(PT_PURCHASED), viewed = I(PT_VIEWED);
    pt_node_id cats[3], items[30];
    for (int c = 0; c < 3; c++) {
        snprintf(iri, sizeof iri, BASE "cat/c%d", c);
        cats[c] = I(iri);
        pt_builder_add_edge(b, cats[c], type, cat_c, 1.0f, PT_TIME_UNKNOWN);
    }
    for (int i = 0; i < 30; i++) {
        snprintf(iri, sizeof iri, BASE "item/i%d", i);
        items[i] = I(iri);
        pt_builder_add_edge(b, items[i], type, item_c, 1.0f, PT_TIME_UNKNOWN);
        pt_builder_add_edge(b, items[i], in_cat, cats[i % 3], 1.0f, PT_TIME_UNKNOWN);
        snprintf(lit, sizeof lit, "Thing number %d", i);
        pt_builder_add_literal(b, items[i], title, lit, strlen(lit), PT_NONE, "en", 2);
    }
    for (int u = 0; u < 20; u++) {
        snprintf(iri, sizeof iri, BASE "user/u%d", u);
        pt_node_id v = I(iri);
        pt_builder_add_edge(b, v, type, user_c, 1.0f, PT_TIME_UNKNOWN);
        for (int k = 0; k < 5; k++) {
            int it = (u % 3) + 3 * ((u + k * 7) % 10);
            pt_builder_add_edge(b, v, k % 2 ? viewed : bought, items[it], 1.0f,
                                1700000000 + u * 1000 + k * 10);
        }
    }
#undef I
    int rc = pt_builder_finish(b, &g);
    if (rc == PT_OK) {
        /* A small sequence model for model=seq|hybrid (pt_seq.h), saved beside the store. */
        pt_seq_params sp;
        pt_seq_params_default(&sp);
        sp.L = 2;
        sp.dim = 8;
        sp.n_h = 2;
        sp.n_v = 1;
        sp.epochs = 2;
        pt_seq_model *sm = NULL;
        snprintf(seq_path, sizeof seq_path, "%s/seq.model", dir);
        rc = pt_seq_train(ctx, g, &sp, NULL, NULL, &sm);
        if (rc == PT_OK) {
            rc = pt_seq_save(ctx, sm, seq_path);
        }
        pt_seq_model_free(sm);
    }
    if (rc == PT_OK) {
        rc = pt_store_open(ctx, store_path, PT_STORE_CREATE, &st);
    }
    if (rc == PT_OK) {
        rc = pt_store_commit(st, g, "test_httpd fixture");
        if (rc != PT_OK) {
            pt_graph_free(g);
        }
    }
    pt_store_close(st);
    pt_ctx_free(ctx);
    return rc == PT_OK ? 0 : -1;
}

/* The options of a quiet service on the fixture store, on a free port. */
static void fixture_opts(httpd_opts *o) {
    httpd_opts_default(o);
    o->store = store_path;
    o->port = 0;
    o->threads = 2;
    o->max_body = 4096;
    o->max_k = 50;
    o->log = 0;
}

/* Start a service on the fixture store (with the sequence model when `seq`); NULL on
 * failure. */
static httpd *start_with(int read_only, const char *token, int seq) {
    httpd_opts o;
    fixture_opts(&o);
    o.token = token;
    o.read_only = read_only;
    o.seq_model = seq ? seq_path : NULL;
    httpd *h = NULL;
    char err[512];
    if (httpd_start(&o, &h, err, sizeof err) != 0) {
        fprintf(stderr, "httpd_start: %s\n", err);
        return NULL;
    }
    return h;
}

/* Start a service without the sequence model. */
static httpd *start(int read_only, const char *token) {
    return start_with(read_only, token, 0);
}

static httpd *srv; /* the writable service of the group */

static int group_up(void **state) {
    (void)state;
    if (make_store() != 0) {
        return -1;
    }
    srv = start(0, TOKEN);
    return srv != NULL ? 0 : -1;
}

static int group_down(void **state) {
    (void)state;
    httpd_stop(srv);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* --- a tiny client ------------------------------------------------------------------------- */

typedef struct resp {
    int status;
    char head[4096];
    char *body; /* NUL-terminated */
    size_t len;
} resp;

/* Send `raw` (a whole request) to the service on `port` and read the response until the
 * server closes (requests say "Connection: close"). Returns 0 or -1. */
static int send_raw(int port, const char *raw, size_t raw_len, resp *r) {
    memset(r, 0, sizeof *r);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    size_t off = 0;
    while (off < raw_len) {
        ssize_t k = send(fd, raw + off, raw_len - off, MSG_NOSIGNAL);
        if (k <= 0) {
            break; /* the server may answer (413) and close before reading everything */
        }
        off += (size_t)k;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t k = recv(fd, buf + n, cap - n - 1, 0);
        if (k <= 0) {
            break;
        }
        n += (size_t)k;
    }
    close(fd);
    buf[n] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (sep == NULL || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        free(buf);
        return -1;
    }
    size_t hl = (size_t)(sep - buf);
    if (hl >= sizeof r->head) {
        hl = sizeof r->head - 1;
    }
    memcpy(r->head, buf, hl);
    r->head[hl] = '\0';
    r->len = n - (size_t)(sep + 4 - buf);
    r->body = malloc(r->len + 1);
    memcpy(r->body, sep + 4, r->len);
    r->body[r->len] = '\0';
    free(buf);
    return 0;
}

/* Send METHOD target with optional extra headers and body to service h; returns 0 or -1
 * (no cmocka assertion, so client threads may call it). */
static int req_rc(httpd *h, const char *method, const char *target, const char *headers,
                  const char *body, resp *r) {
    size_t bl = body != NULL ? strlen(body) : 0;
    size_t cap = strlen(target) + bl + (headers ? strlen(headers) : 0) + 256;
    char *raw = malloc(cap);
    int n = snprintf(raw, cap, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s",
                     method, target, headers != NULL ? headers : "");
    if (body != NULL) {
        n += snprintf(raw + n, cap - (size_t)n, "Content-Length: %zu\r\n\r\n%s", bl, body);
    } else {
        n += snprintf(raw + n, cap - (size_t)n, "\r\n");
    }
    int rc = send_raw(httpd_port(h), raw, (size_t)n, r);
    free(raw);
    return rc;
}

/* req_rc() that must succeed. */
static void req(httpd *h, const char *method, const char *target, const char *headers,
                const char *body, resp *r) {
    assert_int_equal(req_rc(h, method, target, headers, body, r), 0);
}

static void resp_free(resp *r) {
    free(r->body);
    r->body = NULL;
}

/* Assert an error response: status, the JSON error code, and (when given) the field. */
static void assert_error(const resp *r, int status, const char *code, const char *field) {
    char want[128];
    if (r->status != status || (field != NULL && strstr(r->body, field) == NULL)) {
        fprintf(stderr, "expected %d %s %s, got %d: %s\n", status, code, field ? field : "-",
                r->status, r->body);
    }
    assert_int_equal(r->status, status);
    snprintf(want, sizeof want, "\"code\":\"%s\"", code);
    assert_non_null(strstr(r->body, want));
    assert_non_null(strstr(r->body, "\"message\":\""));
    if (field != NULL) {
        snprintf(want, sizeof want, "\"field\":\"%s\"", field);
        assert_non_null(strstr(r->body, want));
    }
}

static int live(void) {
    resp r;
    req(srv, "GET", "/v1/health", NULL, NULL, &r);
    int on = strstr(r.body, "\"events\":true") != NULL;
    resp_free(&r);
    return on;
}

/* --- parsers ------------------------------------------------------------------------------- */

static void test_target_parsing(void **state) {
    (void)state;
    hp_target *t = malloc(sizeof *t);
    const char *why, *field;
    const char *u = "/v1/users/https%3A%2F%2Fx.org%2Fu%201/profile?k=5&explain&x=a+b%21";
    assert_int_equal(hp_parse_target(u, strlen(u), t, &why, &field), 0);
    assert_int_equal(t->n_seg, 4);
    assert_string_equal(t->seg[2], "https://x.org/u 1");
    assert_string_equal(hp_param_get(t, "k"), "5");
    assert_string_equal(hp_param_get(t, "explain"), "");
    assert_string_equal(hp_param_get(t, "x"), "a b!");
    const char *bad[] = {"/a%2", "/a%zz", "/a%00", "v1", "/a?k=1&k=2", "/a?=1", "/a%C3%28",
                         "/a#frag", "/a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hp_parse_target(bad[i], strlen(bad[i]), t, &why, &field), -1);
        assert_non_null(why);
    }
    const char *id, *allow;
    int ok;
    const char *p = "/v1/users/42";
    assert_int_equal(hp_parse_target(p, strlen(p), t, &why, &field), 0);
    assert_int_equal(hp_match(t, "DELETE", &id, &ok, &allow), HP_R_USER);
    assert_int_equal(ok, 1);
    assert_string_equal(id, "42");
    assert_int_equal(hp_match(t, "GET", &id, &ok, &allow), HP_R_USER);
    assert_int_equal(ok, 0);
    assert_string_equal(allow, "DELETE");
    uint64_t v;
    assert_int_equal(hp_parse_uint("12", 1, 50, &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(hp_parse_uint("0", 1, 50, &v), -1);
    assert_int_equal(hp_parse_uint("-1", 0, 50, &v), -1);
    assert_int_equal(hp_parse_uint("99999999999999999999999", 0, UINT64_MAX, &v), -1);
    assert_int_equal(hp_secure_equal("abc", 3, "abc", 3), 1);
    assert_int_equal(hp_secure_equal("abc", 3, "abd", 3), 0);
    assert_int_equal(hp_secure_equal("abc", 3, "abcd", 4), 0);
    free(t);
}

static void test_json_strings(void **state) {
    (void)state;
    char buf[256];
    const char *why, *bf;
    size_t at;
    hp_jfield f[2] = {{"query", NULL, 0, 0}, {"format", NULL, 0, 0}};
    const char *ok = " {\"query\": \"a\\u00e9\\n\\ud83d\\ude00\", \"format\":\"tsv\"} ";
    assert_int_equal(hp_json_strings(ok, strlen(ok), f, 2, buf, sizeof buf, &why, &at, &bf), 0);
    assert_string_equal(f[0].val, "a\xc3\xa9\n\xf0\x9f\x98\x80");
    assert_string_equal(f[1].val, "tsv");
    const char *unk = "{\"query\":\"x\",\"limit\":\"3\"}";
    assert_int_equal(hp_json_strings(unk, strlen(unk), f, 2, buf, sizeof buf, &why, &at, &bf), -1);
    assert_string_equal(bf, "limit");
    const char *bads[] = {"", "[]", "{\"query\":1}", "{\"query\":\"x\"", "{\"query\":\"\\ud800\"}",
                          "{\"query\":\"x\"} x", "{\"query\":\"x\",\"query\":\"y\"}",
                          "{\"query\":\"\x01\"}", "{query:\"x\"}"};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        assert_int_equal(
            hp_json_strings(bads[i], strlen(bads[i]), f, 2, buf, sizeof buf, &why, &at, &bf), -1);
        assert_non_null(why);
    }
}

/* --- read endpoints ------------------------------------------------------------------------ */

static void test_health_metrics_page(void **state) {
    (void)state;
    resp r;
    req(srv, "GET", "/v1/health", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"ok\""));
    assert_non_null(strstr(r.head, "application/json"));
    resp_free(&r);
    req(srv, "GET", "/", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "text/html"));
    assert_non_null(strstr(r.body, "<title>Portrait</title>"));
    resp_free(&r);
    req(srv, "GET", "/metrics", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "portrait_http_requests_total{route=\"health\",code=\"200\"}"));
    assert_non_null(strstr(r.body, "portrait_http_request_duration_seconds_bucket{route=\"page\""));
    assert_non_null(strstr(r.body, "portrait_graph_nodes "));
    assert_non_null(strstr(r.body, "portrait_graph_edges "));
    assert_non_null(strstr(r.body, "portrait_events_ingested_total "));
    resp_free(&r);
}

static void test_profile(void **state) {
    (void)state;
    resp r;
    req(srv, "GET", "/v1/users/u1/profile", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"user\":\"u1\""));
    assert_non_null(strstr(r.body, "\"interests\""));
    assert_non_null(strstr(r.body, "\"recommendations\""));
    resp_free(&r);
    /* The same user by full IRI, percent-encoded into one path segment. */
    req(srv, "GET", "/v1/users/https%3A%2F%2Fshop.example%2Fuser%2Fu1/profile?recs=0", NULL, NULL,
        &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "\"recommendations\""));
    resp_free(&r);
    req(srv, "GET", "/v1/users/nobody/profile", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
    req(srv, "GET", "/v1/users/i3/profile", NULL, NULL, &r); /* an item is not a user */
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
    req(srv, "GET", "/v1/users/u1/profile?recs=x", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "recs");
    resp_free(&r);
}

static void test_recommendations(void **state) {
    (void)state;
    resp r;
    req(srv, "GET", "/v1/users/u2/recommendations?k=3&explain=true", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"rank\":3"));
    assert_null(strstr(r.body, "\"rank\":4"));
    assert_non_null(strstr(r.body, "\"paths\":[{"));
    assert_non_null(strstr(r.body, "\"title\":\"Thing number"));
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?k=3&category=c2&exclude=i5,zzz", NULL, NULL,
        &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "\"item\":\"i5\""));
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?k=51", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "k");
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?k=0", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "k");
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?kk=3", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "kk");
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?k=3&k=4", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "k");
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?model=seq", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "model");
    assert_non_null(strstr(r.body, "'seq'"));
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?explain=maybe", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "explain");
    resp_free(&r);
    req(srv, "GET", "/v1/users/u2/recommendations?category=nocat", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "category");
    resp_free(&r);
    req(srv, "GET", "/v1/users/ghost/recommendations", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
}

static void test_sequence_models(void **state) {
    (void)state;
    httpd *h = start_with(1, NULL, 1); /* read-only: the group's service holds the writer lock */
    assert_non_null(h);
    resp r;
    req(h, "GET", "/v1/health", NULL, NULL, &r);
    assert_non_null(strstr(r.body, "\"models\":[\"walk\",\"seq\",\"hybrid\"]"));
    resp_free(&r);
    req(h, "GET", "/v1/users/u4/recommendations?k=3&model=seq", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"model\":\"seq\""));
    assert_non_null(strstr(r.body, "\"rank\":3"));
    resp_free(&r);
    req(h, "GET", "/v1/users/u4/recommendations?k=3&model=hybrid", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"model\":\"hybrid\""));
    resp_free(&r);
    /* The profile's embedding comes from the model, from u4's latest items. */
    req(h, "GET", "/v1/users/u4/profile?recs=0", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"embedding\":{\"predicate\":\"pt:sequenceEmbedding\","
                                   "\"source\":\"sequence model\",\"dim\":"));
    resp_free(&r);
    /* Without the model and without a stored vector, there is none. */
    req(srv, "GET", "/v1/users/u4/profile?recs=0", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "\"embedding\""));
    resp_free(&r);
    req(h, "GET", "/v1/users/u4/recommendations?k=3&model=seq&explain=1", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "explain");
    resp_free(&r);
    req(h, "GET", "/v1/users/u4/recommendations?model=ease", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "model");
    assert_non_null(strstr(r.body, "'ease'"));
    resp_free(&r);
    httpd_stop(h);
    /* A file that is not a model fails the start. */
    httpd_opts o;
    httpd_opts_default(&o);
    o.store = store_path;
    o.port = 0;
    o.log = 0;
    o.read_only = 1;
    o.seq_model = store_path; /* a directory */
    char err[512];
    h = NULL;
    assert_int_equal(httpd_start(&o, &h, err, sizeof err), 2);
    assert_null(h);
    assert_non_null(strstr(err, "--seq-model"));
}

static void test_explain(void **state) {
    (void)state;
    resp r;
    /* The first recommendation of u2, then its explanation in JSON and SVG. */
    req(srv, "GET", "/v1/users/u2/recommendations?k=1", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    char *p = strstr(r.body, "\"item\":\"");
    assert_non_null(p);
    char item[64];
    assert_int_equal(sscanf(p + 8, "%63[^\"]", item), 1);
    resp_free(&r);
    char target[256];
    snprintf(target, sizeof target, "/v1/explain?user=u2&item=%s", item);
    req(srv, "GET", target, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"reached\":true"));
    assert_non_null(strstr(r.body, "\"edges\":[{\"predicate\""));
    resp_free(&r);
    snprintf(target, sizeof target, "/v1/explain?user=u2&item=%s&format=svg", item);
    req(srv, "GET", target, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "image/svg+xml"));
    assert_non_null(strstr(r.body, "<svg"));
    assert_non_null(strstr(r.body, "class=\"edge\""));
    resp_free(&r);
    req(srv, "GET", "/v1/explain?user=u2&item=nothing", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "item");
    resp_free(&r);
    req(srv, "GET", "/v1/explain?user=nobody&item=i1", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "user");
    resp_free(&r);
    req(srv, "GET", "/v1/explain?item=i1", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "user");
    resp_free(&r);
    req(srv, "GET", "/v1/explain?user=u2&item=i1&format=png", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "format");
    resp_free(&r);
}

static void test_neighborhood(void **state) {
    (void)state;
    resp r;
    req(srv, "GET", "/v1/nodes/i0/neighborhood?hops=1", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"node\":\"i0\""));
    assert_non_null(strstr(r.body, "\"pred\":\"pt:inCategory\""));
    assert_non_null(strstr(r.body, "\"truncated\":false"));
    resp_free(&r);
    req(srv, "GET", "/v1/nodes/u0/neighborhood?hops=2&predicates=purchased&limit=3", NULL, NULL,
        &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "pt:viewed"));
    assert_non_null(strstr(r.body, "\"truncated\":true"));
    resp_free(&r);
    req(srv, "GET", "/v1/nodes/nowhere/neighborhood", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
    req(srv, "GET", "/v1/nodes/i0/neighborhood?hops=9", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", "hops");
    resp_free(&r);
    req(srv, "GET", "/v1/nodes/i0/neighborhood?predicates=pt:nothing", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "predicates");
    resp_free(&r);
}

static void test_sparql(void **state) {
    (void)state;
    resp r;
    const char *q = "{\"query\":\"SELECT (COUNT(*) AS ?n) WHERE { ?u a <" PT_USER "> }\"}";
    req(srv, "POST", "/v1/sparql", "Content-Type: application/json\r\n", q, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"20\""));
    resp_free(&r);
    req(srv, "POST", "/v1/sparql?format=tsv", "Content-Type: application/sparql-query\r\n",
        "ASK { ?s ?p ?o }", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "true"));
    resp_free(&r);
    req(srv, "POST", "/v1/sparql", "Content-Type: application/json\r\n", "{\"query\": \"x\"", &r);
    assert_error(&r, 400, "bad_request", NULL);
    assert_non_null(strstr(r.body, "malformed JSON at byte"));
    resp_free(&r);
    req(srv, "POST", "/v1/sparql", "Content-Type: application/json\r\n",
        "{\"query\":\"ASK {}\",\"timeout\":\"1\"}", &r);
    assert_error(&r, 400, "bad_request", "timeout");
    resp_free(&r);
    req(srv, "POST", "/v1/sparql", "Content-Type: application/json\r\n",
        "{\"query\":\"SELEKT nothing\"}", &r);
    assert_error(&r, 400, "bad_request", "query");
    resp_free(&r);
    req(srv, "POST", "/v1/sparql", "Content-Type: text/plain\r\n", "ASK {}", &r);
    assert_error(&r, 415, "unsupported_media_type", NULL);
    resp_free(&r);
}

static void test_routing_errors(void **state) {
    (void)state;
    resp r;
    req(srv, "GET", "/v2/nothing", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", NULL);
    resp_free(&r);
    req(srv, "DELETE", "/v1/health", NULL, NULL, &r);
    assert_error(&r, 405, "method_not_allowed", NULL);
    assert_non_null(strstr(r.head, "Allow: GET"));
    resp_free(&r);
    req(srv, "GET", "/v1/events", NULL, NULL, &r);
    assert_error(&r, 405, "method_not_allowed", NULL);
    assert_non_null(strstr(r.head, "Allow: POST"));
    resp_free(&r);
    req(srv, "GET", "/v1/users/%ZZ/profile", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", NULL);
    assert_non_null(strstr(r.body, "percent-escape"));
    resp_free(&r);
    req(srv, "GET", "/v1/users/a%00b/profile", NULL, NULL, &r);
    assert_error(&r, 400, "bad_request", NULL);
    resp_free(&r);
    req(srv, "GET", "/v1/users/..%2F..%2Fetc%2Fpasswd/profile", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
}

/* --- writes -------------------------------------------------------------------------------- */

static void test_auth_and_limits(void **state) {
    (void)state;
    resp r;
    const char *ev = "{\"user\":\"u1\",\"item\":\"i2\",\"action\":\"viewed\"}";
    req(srv, "POST", "/v1/events", "Content-Type: application/json\r\n", ev, &r);
    assert_error(&r, 401, "unauthorized", NULL);
    assert_non_null(strstr(r.head, "WWW-Authenticate: Bearer"));
    resp_free(&r);
    req(srv, "POST", "/v1/events", "Authorization: Bearer wrong-token-0123456789abc\r\n", ev, &r);
    assert_error(&r, 403, "forbidden", NULL);
    resp_free(&r);
    req(srv, "DELETE", "/v1/users/u1", "Authorization: Basic dTpw\r\n", NULL, &r);
    assert_error(&r, 401, "unauthorized", NULL);
    resp_free(&r);
    /* Larger than --max-body (4096 here): refused from Content-Length, before the body. */
    char *big = malloc(10001);
    memset(big, ' ', 10000);
    big[0] = '[';
    big[9999] = ']';
    big[10000] = '\0';
    req(srv, "POST", "/v1/events", "Authorization: Bearer " TOKEN "\r\n", big, &r);
    assert_error(&r, 413, "payload_too_large", NULL);
    resp_free(&r);
    /* The same without Content-Length (chunked): counted while it arrives. */
    char *raw = malloc(12000);
    int n = snprintf(raw, 12000,
                     "POST /v1/sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                     "application/sparql-query\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n"
                     "0\r\n\r\n",
                     10000, big);
    assert_int_equal(send_raw(httpd_port(srv), raw, (size_t)n, &r), 0);
    assert_error(&r, 413, "payload_too_large", NULL);
    resp_free(&r);
    free(raw);
    free(big);
}

static void test_events(void **state) {
    (void)state;
    if (!live()) {
        skip();
    }
    resp r;
    const char *auth = "Authorization: Bearer " TOKEN "\r\nContent-Type: application/json\r\n";
    /* A new user, known only from this event, is known to the next request. */
    req(srv, "POST", "/v1/events", auth,
        "[{\"user\":\"newbie\",\"item\":\"i4\",\"action\":\"purchased\",\"time\":1700100000},"
        "{\"user\":\"newbie\",\"item\":\"i7\",\"action\":\"viewed\",\"time\":1700100060}]",
        &r);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"accepted\":2"));
    resp_free(&r);
    req(srv, "GET", "/v1/users/newbie/profile", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"purchased\":1"));
    resp_free(&r);
    req(srv, "GET", "/v1/users/newbie/recommendations?k=3", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "\"item\":\"i4\""));
    resp_free(&r);
    /* Malformed bodies: 400 naming the reason; the store is unchanged. */
    req(srv, "POST", "/v1/events", auth, "{\"user\":\"x\",\"item\":", &r);
    assert_error(&r, 400, "bad_request", NULL);
    resp_free(&r);
    req(srv, "POST", "/v1/events", auth, "{\"user\":\"x\",\"item\":\"i1\",\"colour\":\"red\"}",
        &r);
    assert_error(&r, 400, "bad_request", NULL);
    assert_non_null(strstr(r.body, "colour"));
    resp_free(&r);
    req(srv, "POST", "/v1/events", auth, "{\"user\":\"x\",\"item\":\"i1\",\"action\":\"stole\"}",
        &r);
    assert_error(&r, 400, "bad_request", NULL);
    resp_free(&r);
    req(srv, "GET", "/v1/users/x/profile", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
    req(srv, "GET", "/metrics", NULL, NULL, &r);
    assert_non_null(strstr(r.body, "portrait_events_ingested_total 2"));
    resp_free(&r);
}

/* The value of metric `name` in a /metrics text, or -1. */
static long metric(const char *text, const char *name) {
    const char *p = text;
    size_t n = strlen(name);
    while ((p = strstr(p, name)) != NULL) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ') {
            return atol(p + n + 1);
        }
        p += n;
    }
    return -1;
}

static void test_cache_and_freshness(void **state) {
    (void)state;
    if (!live()) {
        skip();
    }
    resp r;
    req(srv, "GET", "/metrics", NULL, NULL, &r);
    long hits0 = metric(r.body, "portrait_rec_cache_hits_total");
    resp_free(&r);
    req(srv, "GET", "/v1/users/u7/recommendations?k=5", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    char *p = strstr(r.body, "\"item\":\"");
    assert_non_null(p);
    char item[64], want[96];
    assert_int_equal(sscanf(p + 8, "%63[^\"]", item), 1);
    char *first = strdup(r.body);
    resp_free(&r);
    req(srv, "GET", "/v1/users/u7/recommendations?k=5", NULL, NULL, &r);
    assert_string_equal(r.body, first);
    resp_free(&r);
    req(srv, "GET", "/metrics", NULL, NULL, &r);
    assert_int_equal(metric(r.body, "portrait_rec_cache_hits_total"), hits0 + 1);
    resp_free(&r);
    /* u7 buys its top item: the next request must not offer it again (seen items are left
     * out), cache or not. */
    char ev[200];
    snprintf(ev, sizeof ev, "{\"user\":\"u7\",\"item\":\"%s\",\"action\":\"purchased\"}", item);
    req(srv, "POST", "/v1/events",
        "Authorization: Bearer " TOKEN "\r\nContent-Type: application/json\r\n", ev, &r);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    req(srv, "GET", "/v1/users/u7/recommendations?k=5", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    snprintf(want, sizeof want, "\"item\":\"%s\"", item);
    assert_null(strstr(r.body, want));
    resp_free(&r);
    free(first);
}

/* Many distinct answers stay cached together: 500 keys (20 users x k 1..25) asked twice
 * are all hits the second time. With a direct-mapped table about one key in nine evicted
 * another for good; the sets of four hold them. The service has its own long cache age, so
 * a slow (sanitised) run cannot expire entries between the rounds. */
static void test_cache_holds_many_keys(void **state) {
    (void)state;
    if (!live()) {
        skip();
    }
    httpd_opts o;
    fixture_opts(&o);
    o.read_only = 1;
    o.cache_ms = 600000;
    httpd *h = NULL;
    char err[512];
    assert_int_equal(httpd_start(&o, &h, err, sizeof err), 0);
    resp r;
    long hits[2] = {0, 0};
    for (int round = 0; round < 2; round++) {
        req(h, "GET", "/metrics", NULL, NULL, &r);
        long h0 = metric(r.body, "portrait_rec_cache_hits_total");
        resp_free(&r);
        for (int u = 0; u < 20; u++) {
            for (int k = 1; k <= 25; k++) {
                char target[96];
                snprintf(target, sizeof target, "/v1/users/u%d/recommendations?k=%d", u, k);
                req(h, "GET", target, NULL, NULL, &r);
                assert_int_equal(r.status, 200);
                resp_free(&r);
            }
        }
        req(h, "GET", "/metrics", NULL, NULL, &r);
        hits[round] = metric(r.body, "portrait_rec_cache_hits_total") - h0;
        resp_free(&r);
    }
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 500);
    httpd_stop(h);
}

/* One client thread of test_concurrent_requests: `n` requests of a kind chosen by the thread's
 * number (events, recommendations with paths, profiles, pictures, neighbourhoods); counts the
 * answers whose status was not the expected one. */
typedef struct load_arg {
    int id, n, bad;
} load_arg;

static void *load_main(void *p) {
    load_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        char target[160], body[200];
        resp r;
        int want = 200, rc;
        int kind = (a->id + i) % 5;
        if (kind == 0) {
            snprintf(body, sizeof body,
                     "{\"user\":\"load%d_%d\",\"item\":\"i%d\",\"action\":\"viewed\"}", a->id, i,
                     i % 30);
            rc = req_rc(srv, "POST", "/v1/events",
                        "Authorization: Bearer " TOKEN "\r\nContent-Type: application/json\r\n",
                        body, &r);
            want = 201;
        } else if (kind == 1) {
            snprintf(target, sizeof target, "/v1/users/u%d/recommendations?k=5&explain=1",
                     (a->id * 7 + i) % 20);
            rc = req_rc(srv, "GET", target, NULL, NULL, &r);
        } else if (kind == 2) {
            snprintf(target, sizeof target, "/v1/users/u%d/profile", (a->id + i) % 20);
            rc = req_rc(srv, "GET", target, NULL, NULL, &r);
        } else if (kind == 3) {
            snprintf(target, sizeof target, "/v1/explain?user=u%d&item=i%d&format=svg",
                     (a->id + i) % 20, (i * 3) % 30);
            rc = req_rc(srv, "GET", target, NULL, NULL, &r);
        } else {
            snprintf(target, sizeof target, "/v1/nodes/i%d/neighborhood?hops=2", i % 30);
            rc = req_rc(srv, "GET", target, NULL, NULL, &r);
        }
        if (rc != 0) {
            a->bad++;
            continue;
        }
        if (r.status != want && !(kind == 1 && r.status == 404) && !(kind == 2 && r.status == 404)) {
            fprintf(stderr, "load %d/%d: %d %s\n", a->id, kind, r.status, r.body);
            a->bad++;
        }
        resp_free(&r);
    }
    return NULL;
}

/* Writers and readers at once (the service has 2 workers; 6 clients keep both busy): every
 * answer as expected, and afterwards every posted user is known. */
static void test_concurrent_requests(void **state) {
    (void)state;
    if (!live()) {
        skip();
    }
    pthread_t th[6];
    load_arg args[6];
    for (int t = 0; t < 6; t++) {
        args[t].id = t;
        args[t].n = 25;
        args[t].bad = 0;
        assert_int_equal(pthread_create(&th[t], NULL, load_main, &args[t]), 0);
    }
    int bad = 0;
    for (int t = 0; t < 6; t++) {
        pthread_join(th[t], NULL);
        bad += args[t].bad;
    }
    assert_int_equal(bad, 0);
    resp r;
    for (int t = 0; t < 6; t++) {
        for (int i = 0; i < 25; i++) {
            if ((t + i) % 5 != 0) {
                continue;
            }
            char target[96];
            snprintf(target, sizeof target, "/v1/users/load%d_%d/profile?recs=0", t, i);
            req(srv, "GET", target, NULL, NULL, &r);
            assert_int_equal(r.status, 200);
            resp_free(&r);
        }
    }
}

static void test_read_only_store(void **state) {
    (void)state;
    httpd *ro = start(1, NULL);
    assert_non_null(ro);
    resp r;
    req(ro, "GET", "/v1/users/u1/profile", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    if (live()) {
        req(ro, "POST", "/v1/events", "Content-Type: application/json\r\n",
            "{\"user\":\"u1\",\"item\":\"i9\",\"action\":\"viewed\"}", &r);
        assert_error(&r, 503, "unavailable", NULL);
        resp_free(&r);
        req(ro, "DELETE", "/v1/users/u3", NULL, NULL, &r);
        assert_error(&r, 503, "unavailable", NULL);
        resp_free(&r);
        req(ro, "GET", "/v1/users/u3/recommendations?k=2", NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        resp_free(&r);
    }
    httpd_stop(ro);
}

/* A store that cannot grow (the file-size limit stands in for a full disk: every write past
 * it fails): writes answer 503 with a reason, reads keep working, and once the limit goes the
 * same write succeeds and the store verifies. */
static void test_full_disk(void **state) {
    (void)state;
    if (!live()) {
        skip();
    }
    resp r;
    const char *auth = "Authorization: Bearer " TOKEN "\r\nContent-Type: application/json\r\n";
    const char *ev = "{\"user\":\"u9\",\"item\":\"i11\",\"action\":\"carted\"}";
    struct rlimit old, tiny;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);
    tiny = old;
    tiny.rlim_cur = 1;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &tiny), 0);
    req(srv, "POST", "/v1/events", auth, ev, &r);
    int status = r.status;
    char *body = strdup(r.body);
    resp_free(&r);
    req(srv, "GET", "/v1/users/u9/profile?recs=2", NULL, NULL, &r);
    int read_status = r.status;
    resp_free(&r);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    if (status != 503) {
        fprintf(stderr, "full disk: %d %s\n", status, body);
    }
    assert_int_equal(status, 503);
    assert_non_null(strstr(body, "\"code\":\"unavailable\""));
    free(body);
    assert_int_equal(read_status, 200);
    req(srv, "POST", "/v1/events", auth, ev, &r);
    assert_int_equal(r.status, 201);
    resp_free(&r);
}

static void test_erase(void **state) {
    (void)state;
    if (!live()) {
        skip();
    }
    resp r;
    req(srv, "DELETE", "/v1/users/u5", "Authorization: Bearer " TOKEN "\r\n", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"erased\":\"u5\""));
    resp_free(&r);
    req(srv, "GET", "/v1/users/u5/profile", NULL, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
    req(srv, "DELETE", "/v1/users/u5", "Authorization: Bearer " TOKEN "\r\n", NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    resp_free(&r);
    /* Recommendations work on the rebuilt recommender. */
    req(srv, "GET", "/v1/users/u6/recommendations?k=2&explain=1", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

static void test_bind_refused_without_token(void **state) {
    (void)state;
    httpd_opts o;
    httpd_opts_default(&o);
    o.store = store_path;
    o.bind = "0.0.0.0";
    o.port = 0;
    o.log = 0;
    httpd *h = NULL;
    char err[512];
    assert_int_equal(httpd_start(&o, &h, err, sizeof err), 1);
    assert_null(h);
    assert_non_null(strstr(err, "token"));
    o.bind = "not-an-address";
    assert_int_equal(httpd_start(&o, &h, err, sizeof err), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_parsing),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_health_metrics_page),
        cmocka_unit_test(test_profile),
        cmocka_unit_test(test_recommendations),
        cmocka_unit_test(test_sequence_models),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_neighborhood),
        cmocka_unit_test(test_sparql),
        cmocka_unit_test(test_routing_errors),
        cmocka_unit_test(test_auth_and_limits),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_cache_and_freshness),
        cmocka_unit_test(test_cache_holds_many_keys),
        cmocka_unit_test(test_concurrent_requests),
        cmocka_unit_test(test_read_only_store),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_erase),
        cmocka_unit_test(test_bind_refused_without_token),
    };
    return cmocka_run_group_tests_name("httpd", tests, group_up, group_down);
}
