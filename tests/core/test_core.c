/*
 * test_core.c - the core module: error tables, allocation hooks and fault injection, the arena,
 * hashing, time parsing and formatting, and the line reader over plain and gzip files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/core.h"
#include "io/reader.h"

static void test_error_tables_agree(void **state) {
    (void)state;
    assert_string_equal(pt_err_name(PT_ENOMEM), "PT_ENOMEM");
    assert_string_equal(pt_strerror(PT_EPARSE), "malformed input");
    assert_string_equal(pt_err_name(12345), "PT_UNKNOWN");
    assert_string_equal(pt_strerror(PT_OK), "success");
}

static void test_error_message_is_kept_and_prefixed(void **state) {
    (void)state;
    pt_ctx *ctx;
    assert_int_equal(pt_ctx_new(&ctx), PT_OK);
    assert_string_equal(pt_ctx_errmsg(ctx), "");
    assert_int_equal(pt__error(ctx, PT_EPARSE, "line %d: bad", 7), PT_EPARSE);
    assert_string_equal(pt_ctx_errmsg(ctx), "line 7: bad");
    pt__error_prefix(ctx, "f.nt");
    assert_string_equal(pt_ctx_errmsg(ctx), "f.nt: line 7: bad");
    assert_int_equal(pt_ctx_errcode(ctx), PT_EPARSE);
    pt_ctx_clear_error(ctx);
    assert_int_equal(pt_ctx_errcode(ctx), PT_OK);
    pt_ctx_free(ctx);
}

static int n_hook_calls;
static void *count_malloc(void *ud, size_t n) {
    (void)ud;
    n_hook_calls++;
    return malloc(n);
}
static void *count_realloc(void *ud, void *p, size_t n) {
    (void)ud;
    n_hook_calls++;
    return realloc(p, n);
}
static void count_free(void *ud, void *p) {
    (void)ud;
    free(p);
}

static void test_allocator_hooks_are_used(void **state) {
    (void)state;
    pt_allocator a = {count_malloc, count_realloc, count_free, NULL};
    pt_ctx *ctx;
    n_hook_calls = 0;
    assert_int_equal(pt_ctx_new_with(&a, &ctx), PT_OK);
    void *p = pt__malloc(ctx, 10);
    assert_non_null(p);
    p = pt__realloc(ctx, p, 20);
    pt__free(ctx, p);
    assert_int_equal(n_hook_calls, 3);
    pt_ctx_free(ctx);
    pt_allocator bad = {count_malloc, NULL, count_free, NULL};
    assert_int_equal(pt_ctx_new_with(&bad, &ctx), PT_EINVAL);
    assert_null(ctx);
}

static void test_fault_injection_fails_the_nth_allocation(void **state) {
    (void)state;
    pt_ctx *ctx;
    assert_int_equal(pt_ctx_new(&ctx), PT_OK);
    pt__ctx_fail_after(ctx, 3);
    void *a = pt__malloc(ctx, 8), *b = pt__malloc(ctx, 8), *c = pt__malloc(ctx, 8);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    pt__free(ctx, a);
    pt__free(ctx, b);
    pt__ctx_fail_after(ctx, 0);
    pt_ctx_free(ctx);
}

static void test_arena_aligns_and_marks_oom(void **state) {
    (void)state;
    pt_ctx *ctx;
    assert_int_equal(pt_ctx_new(&ctx), PT_OK);
    pt__arena a;
    pt__arena_init(&a, ctx, 256);
    for (int i = 0; i < 100; i++) {
        uint64_t *p = pt__arena_alloc(&a, 24, 8);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        *p = (uint64_t)i;
    }
    char *big = pt__arena_alloc(&a, 10000, 1); /* oversize: own block */
    assert_non_null(big);
    memset(big, 1, 10000);
    assert_string_equal(pt__arena_strndup(&a, "hello world", 5), "hello");
    pt__ctx_fail_after(ctx, 1);
    assert_null(pt__arena_alloc(&a, 100000, 1));
    assert_true(a.oom);
    pt__ctx_fail_after(ctx, 0);
    assert_null(pt__arena_alloc(&a, 1, 1)); /* sticky */
    pt__arena_free(&a);
    pt_ctx_free(ctx);
}

static void test_big_alloc_grows_and_keeps_data(void **state) {
    (void)state;
    pt_ctx *ctx;
    assert_int_equal(pt_ctx_new(&ctx), PT_OK);
    uint32_t *p = pt__big_alloc(ctx, 1000 * 4);
    for (uint32_t i = 0; i < 1000; i++) {
        p[i] = i;
    }
    p = pt__big_realloc(ctx, p, (size_t)3 << 22); /* crosses into mmap */
    assert_non_null(p);
    for (uint32_t i = 0; i < 1000; i++) {
        assert_int_equal(p[i], i);
    }
    p[(3 << 20) - 1] = 7;
    p = pt__big_realloc(ctx, p, (size_t)6 << 22); /* mremap */
    assert_int_equal(p[999], 999);
    assert_int_equal(p[(3 << 20) - 1], 7);
    pt__big_free(ctx, p);
    pt_ctx_free(ctx);
}

static void test_hash_differs_on_small_changes(void **state) {
    (void)state;
    const char *a = "https://shop.example/user/1", *b = "https://shop.example/user/2";
    assert_int_not_equal(pt__hash(a, strlen(a), 0), pt__hash(b, strlen(b), 0));
    assert_int_equal(pt__hash(a, strlen(a), 0), pt__hash(a, strlen(a), 0));
    assert_int_not_equal(pt__hash(a, strlen(a), 0), pt__hash(a, strlen(a), 1));
    assert_int_not_equal(pt__hash("ab", 2, 0), pt__hash("ab\0", 3, 0));
    assert_int_not_equal(pt__hash("", 0, 0), pt__hash("a", 1, 0));
    /* Every length from 0 to 40 hashes differently from its one-shorter prefix. */
    char buf[41];
    memset(buf, 'x', sizeof buf);
    for (size_t n = 1; n <= 40; n++) {
        assert_int_not_equal(pt__hash(buf, n, 0), pt__hash(buf, n - 1, 0));
    }
    /* crc32 of "123456789" is the standard check value. */
    assert_int_equal(pt__crc32(0, "123456789", 9), 0xCBF43926u);
}

static void test_time_parses_unix_and_iso(void **state) {
    (void)state;
    int64_t t;
    assert_true(pt__parse_time("881250949", 9, &t));
    assert_int_equal(t, 881250949);
    assert_true(pt__parse_time("1970-01-01", 10, &t));
    assert_int_equal(t, 0);
    const char *s = "2026-03-01T12:34:56Z";
    assert_true(pt__parse_time(s, strlen(s), &t));
    assert_int_equal(t, 1772368496);
    s = "2026-03-01T20:34:56+08:00";
    assert_true(pt__parse_time(s, strlen(s), &t));
    assert_int_equal(t, 1772368496);
    s = "2026-03-01 12:34:56.789";
    assert_true(pt__parse_time(s, strlen(s), &t));
    assert_int_equal(t, 1772368496);
    s = "1969-12-31T23:59:59Z";
    assert_true(pt__parse_time(s, strlen(s), &t));
    assert_int_equal(t, -1);
    char buf[40];
    pt__format_time(1772368496, buf, sizeof buf);
    assert_string_equal(buf, "2026-03-01T12:34:56Z");
    pt__format_time(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
    const char *bad[] = {"", "abc", "2026-13-01", "2026-03-01T", "12.5", "2026-03-01T1:00",
                         "2026-03-01Tx", "1e9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(pt__parse_time(bad[i], strlen(bad[i]), &t));
    }
}

/* Write `text` to `path`, gzip-compressed when gz is set. */
static void write_file(const char *path, const char *text, int gz) {
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        gzwrite(f, text, (unsigned)strlen(text));
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
    }
}

static void test_reader_reads_lines_plain_and_gzip(void **state) {
    (void)state;
    pt_ctx *ctx;
    assert_int_equal(pt_ctx_new(&ctx), PT_OK);
    const char *text = "first\nsecond\r\n\nlast without newline";
    char path[64];
    for (int gz = 0; gz < 2; gz++) {
        snprintf(path, sizeof path, "/tmp/pt_test_reader_%d%s", (int)getpid(), gz ? ".gz" : "");
        write_file(path, text, gz);
        pt__reader *r;
        assert_int_equal(pt__reader_open(ctx, path, &r), PT_OK);
        const char *line;
        size_t len;
        assert_int_equal(pt__reader_line(r, &line, &len), 1);
        assert_string_equal(line, "first");
        assert_int_equal(pt__reader_line(r, &line, &len), 1);
        assert_int_equal(len, 7);
        assert_memory_equal(line, "second\r", 7);
        assert_int_equal(pt__reader_line(r, &line, &len), 1);
        assert_int_equal(len, 0);
        assert_int_equal(pt__reader_line(r, &line, &len), 1);
        assert_string_equal(line, "last without newline");
        assert_int_equal(pt__reader_lineno(r), 4);
        assert_int_equal(pt__reader_line(r, &line, &len), 0);
        assert_int_equal(pt__reader_bytes(r), strlen(text));
        pt__reader_close(r);
        remove(path);
    }
    pt__reader *r;
    assert_int_equal(pt__reader_open(ctx, "/nonexistent/x.nt", &r), PT_EIO);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), "/nonexistent/x.nt"));
    pt_ctx_free(ctx);
}

static void test_reader_limits_line_length(void **state) {
    (void)state;
    pt_ctx *ctx;
    assert_int_equal(pt_ctx_new(&ctx), PT_OK);
    char path[64];
    snprintf(path, sizeof path, "/tmp/pt_test_long_%d", (int)getpid());
    size_t n = (size_t)3 << 20;
    char *text = malloc(n + 16);
    memcpy(text, "short\n", 6);
    memset(text + 6, 'a', n);
    text[6 + n] = '\0';
    write_file(path, text, 0);
    pt__reader *r;
    const char *line;
    size_t len;
    /* Within the limit the buffer grows and the long line comes back whole. */
    assert_int_equal(pt__reader_open(ctx, path, &r), PT_OK);
    assert_int_equal(pt__reader_line(r, &line, &len), 1);
    assert_int_equal(pt__reader_line(r, &line, &len), 1);
    assert_int_equal(len, n);
    pt__reader_close(r);
    /* Past it: PT_ELIMIT naming the file and the line. */
    assert_int_equal(pt__reader_open(ctx, path, &r), PT_OK);
    pt__reader_set_limit(r, (size_t)2 << 20);
    assert_int_equal(pt__reader_line(r, &line, &len), 1);
    assert_int_equal(pt__reader_line(r, &line, &len), PT_ELIMIT);
    char want[128];
    snprintf(want, sizeof want, "%s:2: line longer than", path);
    assert_non_null(strstr(pt_ctx_errmsg(ctx), want));
    pt__reader_close(r);
    remove(path);
    free(text);
    pt_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_tables_agree),
        cmocka_unit_test(test_error_message_is_kept_and_prefixed),
        cmocka_unit_test(test_allocator_hooks_are_used),
        cmocka_unit_test(test_fault_injection_fails_the_nth_allocation),
        cmocka_unit_test(test_arena_aligns_and_marks_oom),
        cmocka_unit_test(test_big_alloc_grows_and_keeps_data),
        cmocka_unit_test(test_hash_differs_on_small_changes),
        cmocka_unit_test(test_time_parses_unix_and_iso),
        cmocka_unit_test(test_reader_reads_lines_plain_and_gzip),
        cmocka_unit_test(test_reader_limits_line_length),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
