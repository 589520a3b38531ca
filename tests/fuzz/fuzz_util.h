/*
 * fuzz_util.h - what the file-based fuzz harnesses share: one ctx per process, two temporary
 * files (the input, and an output for round trips) on tmpfs when there is one, removed at exit,
 * and LLVMFuzzerInitialize making them. Include it once, in a harness's .c file, after defining
 * PT_FUZZ_FORMAT (used in the temporary names). check_export() is the round-trip check the
 * importer harnesses run on every graph they load.
 */
#ifndef PT_FUZZ_UTIL_H
#define PT_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "portrait/portrait.h"

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
    /* tmpfs when there is one: rewriting a file on ext4 for every input costs more than the
     * import itself. */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_path, sizeof fuzz_path, "%s/pt_fuzz_%s_%ld_XXXXXX", dir, PT_FUZZ_FORMAT,
             (long)getpid());
    snprintf(fuzz_out, sizeof fuzz_out, "%s/pt_fuzz_out_%ld_XXXXXX", dir, (long)getpid());
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

/* Export `g` as `format`, import the output again and abort unless it loads with the same
 * numbers of nodes, edges and literals. */
static void check_export(const pt_graph *g, const char *format) {
    pt_builder *b = NULL;
    pt_graph *g2 = NULL;
    if (pt_export_rdf(fuzz_ctx, g, format, fuzz_out) != PT_OK) {
        fprintf(stderr, "export failed: %s\n", pt_ctx_errmsg(fuzz_ctx));
        abort();
    }
    if (pt_builder_new(fuzz_ctx, NULL, &b) != PT_OK) {
        return;
    }
    int rc = pt_import_rdf(b, fuzz_out, format, "http://fuzz.example/", NULL);
    if (rc != PT_OK) {
        pt_builder_free(b);
        if (rc == PT_ENOMEM) {
            return;
        }
        fprintf(stderr, "%s export does not read back: %s\n", format, pt_ctx_errmsg(fuzz_ctx));
        abort();
    }
    if (pt_builder_finish(b, &g2) != PT_OK) {
        return;
    }
    if (pt_graph_node_count(g2) != pt_graph_node_count(g) ||
        pt_graph_edge_count(g2) != pt_graph_edge_count(g) ||
        pt_graph_literal_count(g2) != pt_graph_literal_count(g)) {
        fprintf(stderr, "%s round trip changed the counts: nodes %u/%u edges %llu/%llu "
                "literals %llu/%llu\n", format, pt_graph_node_count(g), pt_graph_node_count(g2),
                (unsigned long long)pt_graph_edge_count(g),
                (unsigned long long)pt_graph_edge_count(g2),
                (unsigned long long)pt_graph_literal_count(g),
                (unsigned long long)pt_graph_literal_count(g2));
        abort();
    }
    pt_graph_free(g2);
}

#endif /* PT_FUZZ_UTIL_H */
