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

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness state, made once: the ctx and the temporary files. */
static pt_ctx *fuzz_ctx;
static char fuzz_path[64];
static char fuzz_out[64];

/* Remove the temporary files when the process ends. */
static void remove_temp(void) {
    if (fuzz_path[0] != '\0') {
        unlink(fuzz_path);
    }
    if (fuzz_out[0] != '\0') {
        unlink(fuzz_out);
    }
}

/* Make the ctx and the temporary files once per process. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (pt_ctx_new(&fuzz_ctx) != PT_OK) {
        abort();
    }
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_path, sizeof fuzz_path, "%s/pt_fuzz_feed_%ld_XXXXXX", dir, (long)getpid());
    snprintf(fuzz_out, sizeof fuzz_out, "%s/pt_fuzz_fout_%ld_XXXXXX", dir, (long)getpid());
    int fd = mkstemp(fuzz_path), fd2 = mkstemp(fuzz_out);
    if (fd < 0 || fd2 < 0) {
        abort();
    }
    close(fd);
    close(fd2);
    atexit(remove_temp);
    return 0;
}

/* Write `size` bytes to the temporary input file; 0 on success. */
static int write_input(const uint8_t *data, size_t size) {
    FILE *f = fopen(fuzz_path, "wb");
    if (f == NULL) {
        return -1;
    }
    size_t n = size > 0 ? fwrite(data, 1, size, f) : 0;
    int rc = fclose(f);
    return n == size && rc == 0 ? 0 : -1;
}

/* Export `g` as N-Triples, read it back and abort unless the counts are the same. */
static void check_export(const pt_graph *g) {
    pt_builder *b = NULL;
    pt_graph *g2 = NULL;
    if (pt_export_rdf(fuzz_ctx, g, "ntriples", fuzz_out) != PT_OK) {
        fprintf(stderr, "export failed: %s\n", pt_ctx_errmsg(fuzz_ctx));
        abort();
    }
    if (pt_builder_new(fuzz_ctx, NULL, &b) != PT_OK) {
        return;
    }
    int rc = pt_import_rdf(b, fuzz_out, "ntriples", NULL, NULL);
    if (rc != PT_OK) {
        pt_builder_free(b);
        if (rc == PT_ENOMEM) {
            return;
        }
        fprintf(stderr, "export does not read back: %s\n", pt_ctx_errmsg(fuzz_ctx));
        abort();
    }
    if (pt_builder_finish(b, &g2) != PT_OK) {
        return;
    }
    if (pt_graph_node_count(g2) != pt_graph_node_count(g) ||
        pt_graph_edge_count(g2) != pt_graph_edge_count(g) ||
        pt_graph_literal_count(g2) != pt_graph_literal_count(g)) {
        fprintf(stderr,
                "round trip changed the counts: nodes %u/%u edges %llu/%llu "
                "literals %llu/%llu\n",
                pt_graph_node_count(g), pt_graph_node_count(g2),
                (unsigned long long)pt_graph_edge_count(g),
                (unsigned long long)pt_graph_edge_count(g2),
                (unsigned long long)pt_graph_literal_count(g),
                (unsigned long long)pt_graph_literal_count(g2));
        abort();
    }
    pt_graph_free(g2);
}

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
    check_export(g);
    pt_graph_free(g);
    return 0;
}
