/*
 * strtab.c - string interning for the NLP module: keywords give each word a dense id for the
 * document-frequency and co-occurrence tables, and synonyms map words to their groups. Open
 * addressing with linear probing over id+1 slots, grown at half load; strings live in an
 * arena and are never freed one by one.
 */
#include <string.h>

#include "nlp/nlp.h"

/* Start an empty table. */
void pt__strtab_init(pt__strtab *t, pt_ctx *ctx) {
    memset(t, 0, sizeof *t);
    t->ctx = ctx;
    pt__arena_init(&t->arena, ctx, 65536);
}

/* Free the table and its strings. */
void pt__strtab_free(pt__strtab *t) {
    pt__arena_free(&t->arena);
    pt__free(t->ctx, t->slots);
    pt__free(t->ctx, t->str);
    pt__free(t->ctx, t->len);
    memset(t, 0, sizeof *t);
}

/* Rebuild the slot array at twice the size. */
static int rehash(pt__strtab *t) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    uint32_t *slots = pt__calloc(t->ctx, cap, sizeof *slots);
    if (slots == NULL) {
        return PT_ENOMEM;
    }
    for (size_t id = 0; id < t->n; id++) {
        size_t i = (size_t)pt__hash(t->str[id], t->len[id], 3) & (cap - 1);
        while (slots[i] != 0) {
            i = (i + 1) & (cap - 1);
        }
        slots[i] = (uint32_t)id + 1;
    }
    pt__free(t->ctx, t->slots);
    t->slots = slots;
    t->cap = cap;
    return PT_OK;
}

/* Look up, and optionally add, a string (see nlp.h). */
long pt__strtab_id(pt__strtab *t, const char *s, size_t len, int add) {
    if ((t->n + 1) * 2 > t->cap) {
        if (!add && t->cap > 0) {
            /* lookups never need room */
        } else if (rehash(t) != PT_OK) {
            pt__error(t->ctx, PT_ENOMEM, "strings: out of memory");
            return -2;
        }
    }
    if (t->cap == 0) {
        return -1;
    }
    size_t i = (size_t)pt__hash(s, len, 3) & (t->cap - 1);
    while (t->slots[i] != 0) {
        uint32_t id = t->slots[i] - 1;
        if (t->len[id] == len && memcmp(t->str[id], s, len) == 0) {
            return (long)id;
        }
        i = (i + 1) & (t->cap - 1);
    }
    if (!add) {
        return -1;
    }
    size_t old_cap = t->str_cap;
    if (pt__grow(t->ctx, (void **)&t->str, &t->str_cap, t->n + 1, sizeof *t->str) != PT_OK) {
        return -2;
    }
    if (t->str_cap != old_cap || t->len == NULL) {
        /* the lengths array follows the strings array's capacity */
        uint32_t *nl = pt__realloc(t->ctx, t->len, t->str_cap * sizeof *nl);
        if (nl == NULL) {
            t->str_cap = old_cap; /* str grew, len did not: keep the smaller bound */
            pt__error(t->ctx, PT_ENOMEM, "strings: out of memory");
            return -2;
        }
        t->len = nl;
    }
    char *copy = pt__arena_strndup(&t->arena, s, len);
    if (copy == NULL) {
        pt__error(t->ctx, PT_ENOMEM, "strings: out of memory");
        return -2;
    }
    t->str[t->n] = copy;
    t->len[t->n] = (uint32_t)len;
    t->slots[i] = (uint32_t)t->n + 1;
    return (long)t->n++;
}
