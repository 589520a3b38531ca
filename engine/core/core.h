/*
 * core.h - what every engine module shares: the context's internals, allocation through the
 * context's hooks, error reporting, the bump arena, and string hashing.
 *
 * Not installed. Modules include it as "core/core.h".
 */
#ifndef PT_CORE_H
#define PT_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "portrait/portrait.h"

#define PT_ERRMSG_CAP 1024

struct pt_ctx {
    pt_allocator alloc;
    pt_log_fn log_fn;
    void *log_ud;
    pt_progress_fn progress_fn;
    void *progress_ud;
    int errcode;
    char errmsg[PT_ERRMSG_CAP];
    /* fault injection for tests: when fail_after > 0, the fail_after-th allocation fails */
    uint64_t n_allocs;
    uint64_t fail_after;
};

/* Allocation through the ctx hooks. A NULL ctx uses libc (for code that has none at hand). */
void *pt__malloc(pt_ctx *ctx, size_t size);
void *pt__calloc(pt_ctx *ctx, size_t n, size_t size);
void *pt__realloc(pt_ctx *ctx, void *ptr, size_t size);
void pt__free(pt_ctx *ctx, void *ptr);
char *pt__strdup(pt_ctx *ctx, const char *s);
char *pt__strndup(pt_ctx *ctx, const char *s, size_t n);

/* Grow `*arr` (elements of `elem` bytes, capacity `*cap`) to hold at least `need`; doubles. */
int pt__grow(pt_ctx *ctx, void **arr, size_t *cap, size_t need, size_t elem);

/* Format the ctx message and return `code`, so `return pt__error(ctx, PT_EPARSE, ...)`. */
int pt__error(pt_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the current message with "prefix: " (keeps the code). Returns the code. */
int pt__error_prefix(pt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pt__log(pt_ctx *ctx, pt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pt__progress(pt_ctx *ctx, const char *what, uint64_t done, uint64_t total);

/* Make the n-th allocation from now fail (0 disables). Tests use this for OOM loops. */
void pt__ctx_fail_after(pt_ctx *ctx, uint64_t n);

#define PT_TRY(expr)                                                                               \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc != PT_OK) {                                                                         \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* --- arena: bump allocation from chained blocks, freed whole, sticky OOM ------------------- */
typedef struct pt__arena_block pt__arena_block;
typedef struct pt__arena {
    pt_ctx *ctx;
    pt__arena_block *head; /* newest block first */
    size_t block_size;     /* default 1 MiB; oversize requests get their own block */
    size_t used_bytes;     /* bytes handed out */
    int oom;               /* set on first failure, never cleared */
} pt__arena;

void pt__arena_init(pt__arena *a, pt_ctx *ctx, size_t block_size);
void *pt__arena_alloc(pt__arena *a, size_t size, size_t align);
char *pt__arena_strndup(pt__arena *a, const char *s, size_t n);
void pt__arena_free(pt__arena *a);

/* --- hashing ------------------------------------------------------------------------------- */
/* 64-bit hash of a byte string; fast on short and long keys, seeded by `seed`. */
uint64_t pt__hash(const void *data, size_t len, uint64_t seed);

/* CRC-32C is not in zlib; segments use zlib's crc32 (IEEE) through this wrapper. */
uint32_t pt__crc32(uint32_t crc, const void *data, size_t len);

/* Large arrays: mmap-backed with transparent huge pages when big, malloc otherwise. They go
 * through the ctx's fault injection like every allocation. */
void *pt__big_alloc(pt_ctx *ctx, size_t size);
void *pt__big_realloc(pt_ctx *ctx, void *p, size_t size);
void pt__big_free(pt_ctx *ctx, void *p);

/* --- time ---------------------------------------------------------------------------------- */
/* Parse unix seconds ("1577836800", "1.5e9" rejected) or ISO-8601 ("2026-03-01",
 * "2026-03-01T12:34:56Z", "...+08:00", fractional seconds ignored). Returns 1 on success. */
int pt__parse_time(const char *s, size_t len, int64_t *out);
/* Format `t` as "2026-03-01T12:34:56Z" into buf (at least 32 bytes). */
void pt__format_time(int64_t t, char *buf, size_t cap);
/* Monotonic seconds, for progress and benchmarks. */
double pt__now(void);

#endif /* PT_CORE_H */
