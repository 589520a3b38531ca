/*
 * pt_test.h - what the cmocka test programs share: the cmocka includes in the order cmocka 1.1
 * needs, and the setup/teardown pair that gives each test a fresh pt_ctx in *state.
 */
#ifndef PT_TEST_H
#define PT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "portrait/portrait.h"

/* Setup: a new ctx in *state. */
static inline int ctx_up(void **state) {
    pt_ctx *ctx = NULL;
    int rc = pt_ctx_new(&ctx);
    *state = ctx;
    return rc == PT_OK ? 0 : -1;
}

/* Teardown: free the ctx of the test. */
static inline int ctx_down(void **state) {
    pt_ctx_free(*state);
    return 0;
}

#endif /* PT_TEST_H */
