/*
 * fuzz_http.c - libFuzzer harness for the HTTP service's own parsers (tools/httpd/
 * http_parse.c): the request target (percent-decoding, path segments, query parameters),
 * route matching, parameter values and the flat JSON object of POST /v1/sparql. Also built as
 * a corpus-replay program with tests/fuzz/replay_main.c.
 *
 * The first input byte selects the parser (mod 3), the rest is its input:
 *   0  request target: on success every segment and parameter must be NUL-terminated valid
 *      text inside the target's buffer, no key twice, and routing must give a route whose
 *      id (when it has one) is one of the segments;
 *   1  JSON object with the fields "query" and "format": on success each present value must
 *      have the length it claims; on failure the error offset must lie within the input;
 *   2  whole numbers and booleans, which must round-trip through printf.
 * The parsers allocate nothing, so there is nothing to free. Anything inconsistent aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/httpd/http_parse.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

static hp_target g_t;
static char g_buf[1 << 16];

/* 1 when p points into the target's buffer. */
static int in_buf(const char *p) {
    return p >= g_t.buf && p < g_t.buf + sizeof g_t.buf;
}

/* Mode 0: the request target and routing. */
static void fuzz_target(const char *s, size_t n) {
    const char *why = NULL, *field = NULL;
    if (hp_parse_target(s, n, &g_t, &why, &field) != 0) {
        if (why == NULL || (field != NULL && !in_buf(field))) {
            abort();
        }
        return;
    }
    for (int i = 0; i < g_t.n_seg; i++) {
        if (!in_buf(g_t.seg[i]) || strlen(g_t.seg[i]) == 0 ||
            !utf8_valid((const unsigned char *)g_t.seg[i], strlen(g_t.seg[i]))) {
            abort();
        }
    }
    for (int i = 0; i < g_t.n_params; i++) {
        if (!in_buf(g_t.params[i].key) || !in_buf(g_t.params[i].val)) {
            abort();
        }
        for (int j = 0; j < i; j++) {
            if (strcmp(g_t.params[i].key, g_t.params[j].key) == 0) {
                abort();
            }
        }
        if (hp_param_get(&g_t, g_t.params[i].key) != g_t.params[i].val) {
            abort();
        }
    }
    static const char *const methods[] = {"GET", "POST", "DELETE", "PUT", "HEAD"};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        const char *id = NULL, *allow = NULL;
        int ok = -1;
        hp_route r = hp_match(&g_t, methods[m], &id, &ok, &allow);
        if ((unsigned)r >= HP_R_COUNT_ || (ok != 0 && ok != 1) || allow == NULL) {
            abort();
        }
        if (id != NULL) {
            int found = 0;
            for (int i = 0; i < g_t.n_seg; i++) {
                found |= g_t.seg[i] == id;
            }
            if (!found) {
                abort();
            }
        }
        (void)hp_route_name(r);
    }
}

/* Mode 1: the flat JSON object. */
static void fuzz_json(const char *s, size_t n) {
    hp_jfield f[2] = {{"query", NULL, 0, 0}, {"format", NULL, 0, 0}};
    const char *why = NULL, *bad = NULL;
    size_t at = 0;
    size_t cap = n + 64 < sizeof g_buf ? n + 64 : sizeof g_buf;
    if (hp_json_strings(s, n, f, 2, g_buf, cap, &why, &at, &bad) != 0) {
        if (why == NULL || at > n) {
            abort();
        }
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (f[i].present && (f[i].val == NULL || strlen(f[i].val) != f[i].len)) {
            abort();
        }
    }
}

/* Mode 2: numbers and booleans. */
static void fuzz_values(const char *s, size_t n) {
    char v[64];
    if (n >= sizeof v) {
        n = sizeof v - 1;
    }
    memcpy(v, s, n);
    v[n] = '\0';
    uint64_t x = 0;
    if (hp_parse_uint(v, 0, UINT64_MAX, &x) == 0) {
        char back[32];
        snprintf(back, sizeof back, "%llu", (unsigned long long)x);
        /* Leading zeros are accepted, so compare the value, not the text. */
        uint64_t y = 0;
        if (hp_parse_uint(back, 0, UINT64_MAX, &y) != 0 || x != y) {
            abort();
        }
    }
    int b = -1;
    if (hp_parse_bool(v, &b) == 0 && b != 0 && b != 1) {
        abort();
    }
    (void)hp_secure_equal(v, n, v, n / 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0:
        fuzz_target(s, n);
        break;
    case 1:
        fuzz_json(s, n);
        break;
    default:
        fuzz_values(s, n);
        break;
    }
    return 0;
}
