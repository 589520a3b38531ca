/*
 * ctx.c - the context object: allocation through the ctx's hooks (with fault injection for
 * tests), the last-error message buffer, logging and progress callbacks, and the error-code
 * tables generated from PT_ERROR_MAP.
 *
 * Everything else in the library reaches the outside world (memory, messages) through here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

#ifndef PT_VERSION_STRING
#define PT_VERSION_STRING "0.0.0"
#endif

/* The libc allocator behind a ctx created without hooks. */
static void *libc_malloc(void *ud, size_t size) {
    (void)ud;
    return malloc(size);
}
static void *libc_realloc(void *ud, void *ptr, size_t size) {
    (void)ud;
    return realloc(ptr, size);
}
static void libc_free(void *ud, void *ptr) {
    (void)ud;
    free(ptr);
}

int pt_ctx_new(pt_ctx **out) {
    return pt_ctx_new_with(NULL, out);
}

int pt_ctx_new_with(const pt_allocator *alloc, pt_ctx **out) {
    pt_allocator a = {libc_malloc, libc_realloc, libc_free, NULL};
    *out = NULL;
    if (alloc != NULL) {
        if (alloc->malloc_fn == NULL || alloc->realloc_fn == NULL || alloc->free_fn == NULL) {
            return PT_EINVAL;
        }
        a = *alloc;
    }
    pt_ctx *ctx = a.malloc_fn(a.ud, sizeof *ctx);
    if (ctx == NULL) {
        return PT_ENOMEM;
    }
    memset(ctx, 0, sizeof *ctx);
    ctx->alloc = a;
    *out = ctx;
    return PT_OK;
}

void pt_ctx_free(pt_ctx *ctx) {
    if (ctx != NULL) {
        ctx->alloc.free_fn(ctx->alloc.ud, ctx);
    }
}

const char *pt_ctx_errmsg(const pt_ctx *ctx) {
    return ctx != NULL ? ctx->errmsg : "no context";
}

int pt_ctx_errcode(const pt_ctx *ctx) {
    return ctx != NULL ? ctx->errcode : PT_EINVAL;
}

void pt_ctx_clear_error(pt_ctx *ctx) {
    ctx->errcode = PT_OK;
    ctx->errmsg[0] = '\0';
}

void pt_ctx_set_log(pt_ctx *ctx, pt_log_fn fn, void *ud) {
    ctx->log_fn = fn;
    ctx->log_ud = ud;
}

void pt_ctx_set_progress(pt_ctx *ctx, pt_progress_fn fn, void *ud) {
    ctx->progress_fn = fn;
    ctx->progress_ud = ud;
}

const char *pt_version(void) {
    return PT_VERSION_STRING;
}

void pt__ctx_fail_after(pt_ctx *ctx, uint64_t n) {
    ctx->fail_after = n;
    ctx->n_allocs = 0;
}

/* Count an allocation and say whether fault injection wants it to fail. */
static int should_fail(pt_ctx *ctx) {
    if (ctx == NULL || ctx->fail_after == 0) {
        return 0;
    }
    return ++ctx->n_allocs >= ctx->fail_after;
}

void *pt__malloc(pt_ctx *ctx, size_t size) {
    if (ctx == NULL) {
        return malloc(size);
    }
    if (should_fail(ctx)) {
        return NULL;
    }
    return ctx->alloc.malloc_fn(ctx->alloc.ud, size == 0 ? 1 : size);
}

void *pt__calloc(pt_ctx *ctx, size_t n, size_t size) {
    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }
    void *p = pt__malloc(ctx, n * size);
    if (p != NULL) {
        memset(p, 0, n * size);
    }
    return p;
}

void *pt__realloc(pt_ctx *ctx, void *ptr, size_t size) {
    if (ctx == NULL) {
        return realloc(ptr, size);
    }
    if (should_fail(ctx)) {
        return NULL;
    }
    return ctx->alloc.realloc_fn(ctx->alloc.ud, ptr, size == 0 ? 1 : size);
}

void pt__free(pt_ctx *ctx, void *ptr) {
    if (ptr == NULL) {
        return;
    }
    if (ctx == NULL) {
        free(ptr);
        return;
    }
    ctx->alloc.free_fn(ctx->alloc.ud, ptr);
}

char *pt__strndup(pt_ctx *ctx, const char *s, size_t n) {
    char *d = pt__malloc(ctx, n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *pt__strdup(pt_ctx *ctx, const char *s) {
    return pt__strndup(ctx, s, strlen(s));
}

int pt__grow(pt_ctx *ctx, void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) {
        return PT_OK;
    }
    size_t n = *cap < 16 ? 16 : *cap;
    while (n < need) {
        n *= 2;
    }
    if (n > SIZE_MAX / elem) {
        return PT_ENOMEM;
    }
    void *p = pt__realloc(ctx, *arr, n * elem);
    if (p == NULL) {
        return PT_ENOMEM;
    }
    *arr = p;
    *cap = n;
    return PT_OK;
}

int pt__error(pt_ctx *ctx, int code, const char *fmt, ...) {
    if (ctx == NULL) {
        return code;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    ctx->errcode = code;
    return code;
}

int pt__error_prefix(pt_ctx *ctx, const char *fmt, ...) {
    char prefix[512], old[PT_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, ctx->errmsg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof ctx->errmsg - 3) {
        n = sizeof ctx->errmsg - 3;
    }
    memcpy(ctx->errmsg, prefix, n);
    memcpy(ctx->errmsg + n, ": ", 2);
    size_t rest = sizeof ctx->errmsg - n - 3;
    size_t m = strnlen(old, rest);
    memcpy(ctx->errmsg + n + 2, old, m);
    ctx->errmsg[n + 2 + m] = '\0';
    return ctx->errcode;
}

void pt__log(pt_ctx *ctx, pt_log_level level, const char *fmt, ...) {
    if (ctx == NULL || ctx->log_fn == NULL) {
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->log_fn(ctx->log_ud, level, msg);
}

void pt__progress(pt_ctx *ctx, const char *what, uint64_t done, uint64_t total) {
    if (ctx != NULL && ctx->progress_fn != NULL) {
        ctx->progress_fn(ctx->progress_ud, what, done, total);
    }
}

double pt__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The tables behind pt_strerror and pt_err_name, generated from PT_ERROR_MAP. */
const char *pt_strerror(int code) {
    switch (code) {
#define PT_STR_(name, value, msg)                                                                  \
    case value:                                                                                    \
        return msg;
        PT_ERROR_MAP(PT_STR_)
#undef PT_STR_
    default:
        return "unknown error";
    }
}

const char *pt_err_name(int code) {
    switch (code) {
#define PT_NAME_(name, value, msg)                                                                 \
    case value:                                                                                    \
        return "PT_" #name;
        PT_ERROR_MAP(PT_NAME_)
#undef PT_NAME_
    default:
        return "PT_UNKNOWN";
    }
}
