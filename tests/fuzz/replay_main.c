/*
 * replay_main.c - turns a libFuzzer harness into an ordinary program that feeds it every file
 * of a corpus directory (or the files named on the command line), so every CI run replays every
 * input ever saved, with gcc as well as clang. Exit 0 when all inputs ran (a crash or a
 * sanitizer report ends the process non-zero).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Read the whole file `path` and run the harness on it; returns 0, or 1 if unreadable. */
static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = (buf != NULL && n > 0) ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

/* Replay every regular file of `dir` (not recursive); returns the number of failures. */
static int run_dir(const char *dir, int *count) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return run_file(dir) == 0 ? (++*count, 0) : 1;
    }
    int bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            bad += run_file(path);
            ++*count;
        }
    }
    closedir(d);
    return bad;
}

int main(int argc, char **argv) {
    int count = 0, bad = 0;
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        bad += run_dir(argv[i], &count);
    }
    printf("%d passed, %d failed\n", count - bad, bad);
    return bad == 0 ? 0 : 1;
}
