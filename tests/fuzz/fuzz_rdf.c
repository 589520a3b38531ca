/*
 * fuzz_rdf.c - the one libFuzzer harness of the RDF importers, built once per syntax with
 * PT_FUZZ_FORMAT ("ntriples", "turtle", "rdfxml"); tests/CMakeLists.txt also links it with
 * replay_main.c so that every CI run replays the saved corpus.
 *
 * Each input is written to a private temporary file in /dev/shm or /tmp (the importers read
 * files, through pt__reader, so the gzip path is fuzzed too when an input starts with the gzip
 * magic) and imported into a fresh builder. On success the builder is finished and the graph
 * checked with pt__graph_check(); on failure the builder is freed. Either way nothing stays
 * allocated, so LeakSanitizer sees every leak, and a failure must carry a documented code.
 *
 * A graph that loaded is also exported as N-Triples (and, for Turtle input, as Turtle) and
 * read back: the exporter must write what the importers accept, with the same counts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portrait/portrait.h"
#include "graph/graph.h"

#ifndef PT_FUZZ_FORMAT
#define PT_FUZZ_FORMAT "ntriples"
#endif

#include "fuzz_util.h"

/* Import one input; abort on an undocumented result or a broken graph. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    if (fuzz_ctx == NULL) {
        LLVMFuzzerInitialize(NULL, NULL);
    }
    if (write_input(data, size) != 0) {
        return 0;
    }
    if (pt_builder_new(fuzz_ctx, NULL, &b) != PT_OK) {
        return 0;
    }
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    int rc = pt_import_rdf(b, fuzz_path, PT_FUZZ_FORMAT, "http://fuzz.example/", &st);
    if (rc != PT_OK) {
        pt_builder_free(b);
        if (rc != PT_EPARSE && rc != PT_EIO && rc != PT_ELIMIT && rc != PT_ENOMEM) {
            fprintf(stderr, "unexpected code %d: %s\n", rc, pt_ctx_errmsg(fuzz_ctx));
            abort();
        }
        if (rc == PT_EPARSE && strstr(pt_ctx_errmsg(fuzz_ctx), fuzz_path) == NULL) {
            fprintf(stderr, "parse error without the file name: %s\n", pt_ctx_errmsg(fuzz_ctx));
            abort();
        }
        return 0;
    }
    if (st.rows_read != st.rows_imported) {
        abort();
    }
    rc = pt_builder_finish(b, &g);
    if (rc != PT_OK) {
        return 0; /* the builder is freed by finish */
    }
    if (pt__graph_check(g) != PT_OK) {
        fprintf(stderr, "graph check failed: %s\n", pt_ctx_errmsg(fuzz_ctx));
        abort();
    }
    check_export(g, "ntriples");
    if (strcmp(PT_FUZZ_FORMAT, "turtle") == 0) {
        check_export(g, "turtle");
    }
    pt_graph_free(g);
    return 0;
}
