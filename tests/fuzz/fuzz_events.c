/*
 * fuzz_events.c - libFuzzer harness for the behaviour-event importer (importers/events/events.c),
 * built once per format with PT_FUZZ_FORMAT "csv" or "jsonl" (tests/CMakeLists.txt), and as a
 * corpus-replay program with tests/fuzz/replay_main.c.
 *
 * Input layout: the first byte picks option variants, the rest is the file.
 *   bit 0  strict mode
 *   bit 1  csv: header row with names (else header-less, by column numbers);
 *          jsonl: dotted paths into nested objects (else top-level keys)
 *   bit 2  encoding latin1
 *   bit 3  csv: tab delimiter
 *   bit 4  fixed action "purchased" (else an action field is mapped)
 *   bit 5  base IRI given (https://shop.example/ without a trailing slash)
 * The file is written to a temporary path and imported; on success the builder is finished and
 * pt__graph_check() must accept the graph. Any unexpected result code aborts. Nothing stays
 * allocated between inputs except the ctx made in LLVMFuzzerInitialize.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portrait/portrait.h"
#include "graph/graph.h"

#ifndef PT_FUZZ_FORMAT
#define PT_FUZZ_FORMAT "csv"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pt_ctx *g_ctx;
static char g_path[256];

/* Make the ctx once, and choose a temporary file name private to this process. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (pt_ctx_new(&g_ctx) != PT_OK) {
        abort();
    }
    const char *dir = getenv("TMPDIR");
    snprintf(g_path, sizeof g_path, "%s/pt_fuzz_events_%ld.%s", dir != NULL ? dir : "/tmp",
             (long)getpid(), PT_FUZZ_FORMAT);
    return 0;
}

/* Write `data` to the temporary file; returns 0, or -1 when it cannot. */
static int write_file(const uint8_t *data, size_t size) {
    FILE *f = fopen(g_path, "wb");
    if (f == NULL) {
        return -1;
    }
    size_t n = size > 0 ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || n != size) {
        return -1;
    }
    return 0;
}

/* Import one input with the options its first byte selects; abort on anything unexpected. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    unsigned sel = data[0];
    if (write_file(data + 1, size - 1) != 0) {
        return 0;
    }
    int jsonl = strcmp(PT_FUZZ_FORMAT, "jsonl") == 0;
    int fixed = (sel & 16) != 0;
    pt_event_opts o;
    memset(&o, 0, sizeof o);
    o.format = PT_FUZZ_FORMAT;
    o.strict = (sel & 1) != 0;
    o.encoding = (sel & 4) != 0 ? "latin1" : NULL;
    o.delimiter = !jsonl && (sel & 8) != 0 ? '\t' : 0;
    o.action = fixed ? "purchased" : NULL;
    o.base = (sel & 32) != 0 ? "https://shop.example" : NULL;
    if (jsonl) {
        o.header = -1;
        if (sel & 2) {
            o.map = fixed ? "user=u.id,item=i.id,value=i.v,time=t,text=r.text"
                          : "user=u.id,item=i.id,action=a,value=i.v,time=t,text=r.text";
        } else {
            o.map = fixed ? "user=u,item=i,value=v,time=t,text=x"
                          : "user=u,item=i,action=a,value=v,time=t,text=x";
        }
    } else if (sel & 2) {
        o.header = 1;
        o.map = fixed ? "user=u,item=i,value=v,time=t,text=x"
                      : "user=u,item=i,action=a,value=v,time=t,text=x";
    } else {
        o.header = 0;
        o.map = fixed ? "user=1,item=2,value=4,time=5,text=6"
                      : "user=1,item=2,action=3,value=4,time=5,text=6";
    }

    pt_builder *b = NULL;
    if (pt_builder_new(g_ctx, NULL, &b) != PT_OK) {
        abort();
    }
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    int rc = pt_import_events(b, g_path, &o, &st);
    if (rc == PT_OK) {
        if (st.rows_imported + st.rows_skipped != st.rows_read) {
            abort();
        }
        pt_graph *g = NULL;
        if (pt_builder_finish(b, &g) != PT_OK || pt__graph_check(g) != PT_OK) {
            abort();
        }
        pt_graph_free(g);
    } else {
        /* Strict mode fails with PT_EPARSE; a header without the mapped names or a column number
         * past the first row's width is PT_EINVAL; a runaway quoted field is PT_ELIMIT. */
        if (rc != PT_EPARSE && rc != PT_EINVAL && rc != PT_ELIMIT) {
            abort();
        }
        if (rc == PT_EPARSE && !o.strict && strstr(pt_ctx_errmsg(g_ctx), "header") == NULL) {
            abort();
        }
        pt_builder_free(b);
    }
    unlink(g_path);
    return 0;
}
