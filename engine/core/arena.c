/*
 * arena.c - bump allocation for write-once data (SQLite's lookaside idea with its sticky
 * mallocFailed flag), and the large-array allocator that backs the graph's CSR arrays.
 *
 * Large arrays are mmap'ed and advised for transparent huge pages: on this kind of machine the
 * first touch of a fresh 4 KiB page costs ~10 us, so a 100 MB array touched page by page costs a
 * second, while 2 MiB pages cut the faults 512-fold. glibc's realloc would copy; mremap moves.
 */
#include <string.h>
#include <sys/mman.h>

#include "core/core.h"

struct pt__arena_block {
    pt__arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    /* data follows, max_align_t aligned */
};

#define BLOCK_HDR ((sizeof(pt__arena_block) + 15) & ~(size_t)15)

void pt__arena_init(pt__arena *a, pt_ctx *ctx, size_t block_size) {
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    a->block_size = block_size != 0 ? block_size : (size_t)1 << 20;
}

void *pt__arena_alloc(pt__arena *a, size_t size, size_t align) {
    if (a->oom) {
        return NULL;
    }
    if (align == 0) {
        align = 1;
    }
    pt__arena_block *b = a->head;
    if (b != NULL) {
        size_t at = (b->used + align - 1) & ~(align - 1);
        if (at + size <= b->size) {
            b->used = at + size;
            a->used_bytes += size;
            return (char *)b + BLOCK_HDR + at;
        }
    }
    size_t want = size + align > a->block_size ? size + align : a->block_size;
    pt__arena_block *nb = pt__malloc(a->ctx, BLOCK_HDR + want);
    if (nb == NULL) {
        a->oom = 1;
        return NULL;
    }
    nb->size = want;
    nb->used = 0;
    if (b != NULL && want > a->block_size) {
        /* An oversize block goes behind the head, so the head keeps its free space. */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        a->head = nb;
    }
    size_t at = 0;
    nb->used = size;
    a->used_bytes += size;
    return (char *)nb + BLOCK_HDR + at;
}

char *pt__arena_strndup(pt__arena *a, const char *s, size_t n) {
    char *d = pt__arena_alloc(a, n + 1, 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void pt__arena_free(pt__arena *a) {
    pt__arena_block *b = a->head;
    while (b != NULL) {
        pt__arena_block *next = b->next;
        pt__free(a->ctx, b);
        b = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

/* --- large arrays ------------------------------------------------------------------------- */

#define BIG_MIN ((size_t)4 << 20) /* below this, the ctx allocator */
#define BIG_HDR ((size_t)64)      /* header: size and kind, keeps 64-byte alignment */

/* The header in front of every big allocation. */
typedef struct big_hdr {
    size_t size;   /* bytes usable after the header */
    int mapped;    /* 1 when mmap'ed */
} big_hdr;

void *pt__big_alloc(pt_ctx *ctx, size_t size) {
    if (size > SIZE_MAX - BIG_HDR - 4096) {
        return NULL;
    }
    if (size < BIG_MIN) {
        char *p = pt__malloc(ctx, BIG_HDR + size);
        if (p == NULL) {
            return NULL;
        }
        ((big_hdr *)p)->size = size;
        ((big_hdr *)p)->mapped = 0;
        return p + BIG_HDR;
    }
    if (ctx != NULL && ctx->fail_after != 0 && ++ctx->n_allocs >= ctx->fail_after) {
        return NULL;
    }
    size_t len = (BIG_HDR + size + 4095) & ~(size_t)4095;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    ((big_hdr *)p)->size = size;
    ((big_hdr *)p)->mapped = 1;
    return p + BIG_HDR;
}

void *pt__big_realloc(pt_ctx *ctx, void *ptr, size_t size) {
    if (ptr == NULL) {
        return pt__big_alloc(ctx, size);
    }
    big_hdr *h = (big_hdr *)((char *)ptr - BIG_HDR);
    if (h->mapped) {
        if (size > SIZE_MAX - BIG_HDR - 4096) {
            return NULL;
        }
        size_t old = (BIG_HDR + h->size + 4095) & ~(size_t)4095;
        size_t len = (BIG_HDR + size + 4095) & ~(size_t)4095;
        if (ctx != NULL && ctx->fail_after != 0 && ++ctx->n_allocs >= ctx->fail_after) {
            return NULL;
        }
        char *p = mremap(h, old, len, MREMAP_MAYMOVE);
        if (p == MAP_FAILED) {
            return NULL;
        }
#ifdef MADV_HUGEPAGE
        madvise(p, len, MADV_HUGEPAGE);
#endif
        ((big_hdr *)p)->size = size;
        return p + BIG_HDR;
    }
    if (size >= BIG_MIN) {
        void *n = pt__big_alloc(ctx, size);
        if (n == NULL) {
            return NULL;
        }
        memcpy(n, ptr, h->size < size ? h->size : size);
        pt__big_free(ctx, ptr);
        return n;
    }
    char *p = pt__realloc(ctx, h, BIG_HDR + size);
    if (p == NULL) {
        return NULL;
    }
    ((big_hdr *)p)->size = size;
    return p + BIG_HDR;
}

void pt__big_free(pt_ctx *ctx, void *ptr) {
    if (ptr == NULL) {
        return;
    }
    big_hdr *h = (big_hdr *)((char *)ptr - BIG_HDR);
    if (h->mapped) {
        munmap(h, (BIG_HDR + h->size + 4095) & ~(size_t)4095);
    } else {
        pt__free(ctx, h);
    }
}
