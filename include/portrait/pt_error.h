/*
 * pt_error.h - Portrait's error codes.
 *
 * Every fallible function in Portrait returns an int: PT_OK (0) or one of the negative PT_E*
 * codes below. The human-readable detail of the last failure (which file and line, which field,
 * why) is kept on the context and read with pt_ctx_errmsg().
 *
 * The codes are the rows of one X-macro so that the enum, pt_strerror() and pt_err_name() can
 * never disagree (the libuv way). New codes are appended; existing values never change.
 */
#ifndef PT_ERROR_H
#define PT_ERROR_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define PT_API __declspec(dllexport)
#elif defined(__GNUC__)
#define PT_API __attribute__((visibility("default")))
#else
#define PT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define PT_ERROR_MAP(X)                                                                            \
    X(OK, 0, "success")                                                                            \
    X(ENOMEM, -1, "out of memory")                                                                 \
    X(EINVAL, -2, "invalid argument")                                                              \
    X(EPARSE, -3, "malformed input")                                                               \
    X(ENOTFOUND, -4, "not found")                                                                  \
    X(EIO, -5, "input/output error")                                                               \
    X(ESTORE, -6, "store is corrupt or of an unknown format")                                      \
    X(EFULL, -7, "no space left or store is read-only")                                            \
    X(ELIMIT, -8, "limit exceeded")                                                                \
    X(EUNSUPPORTED, -9, "unsupported")                                                             \
    X(EINTERNAL, -10, "internal error")

/** Error codes; PT_OK is 0, failures are negative. */
typedef enum pt_error {
#define PT_ERROR_ENUM_(name, value, msg) PT_##name = (value),
    PT_ERROR_MAP(PT_ERROR_ENUM_)
#undef PT_ERROR_ENUM_
} pt_error;

/**
 * Return a static English sentence for `code`, or "unknown error" for a value not in the map.
 * Lifetime: static. Threads: safe.
 */
PT_API const char *pt_strerror(int code);

/**
 * Return the symbolic name of `code` ("PT_ENOMEM"), or "PT_UNKNOWN".
 * Lifetime: static. Threads: safe.
 */
PT_API const char *pt_err_name(int code);

#ifdef __cplusplus
}
#endif
#endif /* PT_ERROR_H */
