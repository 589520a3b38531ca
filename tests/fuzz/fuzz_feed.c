/*
 * fuzz_feed.c - the one libFuzzer harness of the catalogue importers, built per format with
 * PT_FUZZ_FORMAT: "merchant" and "bmecat" (pt_import_feed, libxml2's streaming reader) and
 * "taxonomy" (pt_import_taxonomy); tests/CMakeLists.txt also links it with replay_main.c so
 * every CI run replays tests/fuzz/corpus/<format>/.
 *
 * Each input is written to a private temporary file (the importers read files through
 * pt__reader, so an input starting with the gzip magic fuzzes the gzip path too) and imported
 * into a fresh builder. A failure must carry a documented code, and a parse error must name the
 * file; on success the graph is finished and checked with pt__graph_check() and exported as
 * N-Triples, which must read back with the same counts (the minted IRIs and literals must be
 * writable). Nothing stays allocated, so LeakSanitizer sees every leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph/graph.h"
#include "portrait/portrait.h"

#ifndef PT_FUZZ_FORMAT
#define PT_FUZZ_FORMAT "merchant"
#endif

#include "fuzz_util.h"

/* Import one input; abort on an undocumented result or a broken graph. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    if (fuzz_ctx == NULL) {
        LLVMFuzzerInitialize(NULL, NULL);
    }
    if (write_input(data, size) != 0 || pt_builder_new(fuzz_ctx, NULL, &b) != PT_OK) {
        return 0;
    }
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    int rc = strcmp(PT_FUZZ_FORMAT, "taxonomy") == 0
                 ? pt_import_taxonomy(b, fuzz_path, "en", &st)
                 : pt_import_feed(b, fuzz_path, PT_FUZZ_FORMAT, "http://fuzz.example/", &st);
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
    if (st.rows_read != st.rows_imported + st.rows_skipped) {
        abort();
    }
    if (pt_builder_finish(b, &g) != PT_OK) {
        return 0; /* the builder is freed by finish */
    }
    if (pt__graph_check(g) != PT_OK) {
        fprintf(stderr, "graph check failed: %s\n", pt_ctx_errmsg(fuzz_ctx));
        abort();
    }
    check_export(g, "ntriples");
    pt_graph_free(g);
    return 0;
}
