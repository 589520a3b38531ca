/*
 * fuzz_live.c - libFuzzer harness for the live-event request parser (pt_events_parse in
 * importers/events/live.c), and a corpus-replay program with tests/fuzz/replay_main.c.
 *
 * Input layout: the first byte is the event limit (0 = none), the rest is the request body.
 * On success every event must satisfy what the store relies on (user and item present, the
 * batch's strings valid UTF-8 and accepted by pt__live_check), and applying the events to an
 * empty graph through the append API must keep the graph's invariants (pt__graph_check). On
 * failure the code must be PT_EPARSE or PT_ELIMIT and nothing may stay allocated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portrait/portrait.h"
#include "events/events_int.h"
#include "graph/graph.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pt_ctx *g_ctx;

/* Make the ctx once. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (pt_ctx_new(&g_ctx) != PT_OK) {
        abort();
    }
    return 0;
}

/* Abort unless s is a NUL-terminated, valid UTF-8 string. */
static void check_str(const char *s) {
    if (s != NULL && pt__ev_utf8_check((const unsigned char *)s, strlen(s)) != strlen(s)) {
        abort();
    }
}

/* Parse one body; check the batch, or the failure; apply the events to an empty graph. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    size_t max = data[0];
    pt_event_batch *b = NULL;
    int rc = pt_events_parse(g_ctx, (const char *)data + 1, size - 1, max, &b);
    if (rc != PT_OK) {
        if (b != NULL || (rc != PT_EPARSE && rc != PT_ELIMIT)) {
            abort();
        }
        if (strncmp(pt_ctx_errmsg(g_ctx), "line ", 5) != 0 &&
            strncmp(pt_ctx_errmsg(g_ctx), "event ", 6) != 0 &&
            strncmp(pt_ctx_errmsg(g_ctx), "more than", 9) != 0) {
            abort();
        }
        return 0;
    }
    size_t n = pt_event_batch_count(b);
    if (n == 0 || (max > 0 && n > max) || pt_event_batch_get(b, n) != NULL) {
        abort();
    }
    pt_builder *bu = NULL;
    pt_graph *g = NULL;
    if (pt_builder_new(g_ctx, NULL, &bu) != PT_OK || pt_builder_finish(bu, &g) != PT_OK) {
        abort();
    }
    pt__ev_emitter em;
    if (pt__live_emitter_init(&em, g_ctx, g) != PT_OK) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        const pt_live_event *e = pt_event_batch_get(b, i);
        if (e->user == NULL || e->item == NULL) {
            abort();
        }
        check_str(e->user);
        check_str(e->item);
        check_str(e->action);
        check_str(e->text);
        pt__live_norm norm;
        char msg[320];
        if (pt__live_check(e, i, 1700000000, &norm, msg, sizeof msg) != PT_OK) {
            abort();
        }
        if (pt__live_apply(&em, &norm) != PT_OK) {
            abort();
        }
    }
    if (pt__graph_check(g) != PT_OK || pt_graph_compact(g) != PT_OK ||
        pt__graph_check(g) != PT_OK) {
        abort();
    }
    pt__ev_emitter_free(&em);
    pt_graph_free(g);
    pt_event_batch_free(b);
    return 0;
}
