/*
 * pt_ctx.h - the context object.
 *
 * A pt_ctx owns what would otherwise be global: the allocator hooks, the log callback and the
 * last error message. Every constructor in Portrait takes a ctx first. A ctx is used by one
 * thread at a time; give each thread its own (they are cheap). Objects made with one ctx may be
 * read from other threads where their documentation says so (a finished pt_graph may).
 */
#ifndef PT_CTX_H
#define PT_CTX_H

#include "pt_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pt_ctx pt_ctx;

/** Allocator hooks; all three must be given together. Used by every allocation of the ctx. */
typedef struct pt_allocator {
    void *(*malloc_fn)(void *ud, size_t size);
    void *(*realloc_fn)(void *ud, void *ptr, size_t size);
    void (*free_fn)(void *ud, void *ptr);
    void *ud; /**< passed back to every hook */
} pt_allocator;

/** Log levels for the log callback. */
typedef enum pt_log_level { PT_LOG_DEBUG, PT_LOG_INFO, PT_LOG_WARN, PT_LOG_ERROR } pt_log_level;

/** Log callback; `msg` is borrowed for the duration of the call. */
typedef void (*pt_log_fn)(void *ud, pt_log_level level, const char *msg);

/**
 * Create a context with the C library's allocator and no log callback.
 * @param[out] out  the new context, or NULL on failure
 * @return PT_OK or PT_ENOMEM.
 */
PT_API int pt_ctx_new(pt_ctx **out);

/**
 * Create a context whose allocations all go through `alloc` (copied; may be NULL for libc).
 * @return PT_OK, PT_EINVAL (incomplete hooks) or PT_ENOMEM.
 */
PT_API int pt_ctx_new_with(const pt_allocator *alloc, pt_ctx **out);

/** Free a context. Objects made with it must be freed first. NULL is a no-op. */
PT_API void pt_ctx_free(pt_ctx *ctx);

/**
 * Return the message of the last failure on `ctx` ("file.nt:12: expected '.' after object"),
 * or "" when there was none.
 * Lifetime: owned by `ctx`, valid until the next call that takes `ctx`. Copy it to keep it.
 */
PT_API const char *pt_ctx_errmsg(const pt_ctx *ctx);

/** Return the code of the last failure on `ctx`, or PT_OK. */
PT_API int pt_ctx_errcode(const pt_ctx *ctx);

/** Forget the last failure. */
PT_API void pt_ctx_clear_error(pt_ctx *ctx);

/** Set the log callback (NULL to silence). Warnings such as skipped rows are sent here. */
PT_API void pt_ctx_set_log(pt_ctx *ctx, pt_log_fn fn, void *ud);

/**
 * Progress callback for long work: `done` of `total` units (total 0 = unknown), `what` names the
 * phase ("parse", "build", "write"). Called at most a few times a second.
 */
typedef void (*pt_progress_fn)(void *ud, const char *what, uint64_t done, uint64_t total);

/** Set the progress callback (NULL for none). */
PT_API void pt_ctx_set_progress(pt_ctx *ctx, pt_progress_fn fn, void *ud);

/** Return the library version string, e.g. "0.1.0". Lifetime: static. */
PT_API const char *pt_version(void);

#ifdef __cplusplus
}
#endif
#endif /* PT_CTX_H */
