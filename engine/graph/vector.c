/*
 * vector.c - float32 vectors on graph nodes (pt_vec.h): one per (node, predicate), replaced on
 * set, persisted by the store in the segment's vec_table and vec_data sections.
 *
 * Layout. A graph's vectors are one struct pt__vecs (NULL until the first vector): an array of
 * records (pt__vrec: node, pred, dim, offset) and one array of floats that the records point
 * into. An open-addressing table (linear probing, load <= 1/2) maps (pred, node) to a record,
 * so get, set and remove cost O(1) expected. Records are appended in the order vectors are
 * first set and removal moves the last record into the hole. Walking a kind in node order
 * (pt_graph_vector_at) goes through a sorted view: the records themselves while they happen to
 * be in (pred, node) order (after a load, a copy, or sets made in that order, the usual case),
 * else an index array sorted once, lazily, after the last change. Replacing a vector of the
 * same dimension overwrites its floats in place; another dimension, or a removal, leaves dead
 * floats behind, and the float array is rewritten compactly when it must grow while half of
 * it is dead. Floats of one batch of sets are contiguous; after a load or compaction every
 * kind's vectors are contiguous in node order.
 *
 * Sharing. A builder seeded with a graph (and so pt_graph_compact) takes a reference to the
 * graph's set instead of copying it, when the set is in memory and of the same ctx; the first
 * change through either holder copies it for that holder (copy on write), and the set is freed
 * with its last holder. The count is atomic; a shared set is never changed.
 *
 * Segments. A graph opened from a segment points `rec` and `data` into the mapping (sorted by
 * (pred, node), written that way): opening costs nothing per vector. The hash and the sorted
 * view are built on first use. The first set or remove copies records and floats into owned
 * memory (copy on first modification, no overlay). Records read from a mapping are not trusted:
 * each is bounds-checked when read (pt_store_verify checks them all), so a corrupt unverified
 * segment gives missing vectors, never a read outside the data.
 *
 * Locking. Set and remove take the graph's write lock; get, count and vector_at take the read
 * lock, so they must not be called by a thread already holding pt_graph_rdlock() (the lock
 * prefers writers and is not recursive). Readers may build the hash or the sorted view lazily:
 * that happens under the set's own mutex and is published through an atomic flag.
 */
/* qsort_r: _GNU_SOURCE comes from the build */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

struct pt__vecs {
    pt_ctx *ctx;
    atomic_uint refs;  /* graphs and builders holding this set; shared sets are never changed */
    pt__vrec *rec;     /* [n_rec], owned (rec_cap) or in the mapping */
    uint64_t n_rec;
    size_t rec_cap;
    float *data;       /* [n_data], owned (data_cap) or in the mapping */
    uint64_t n_data;   /* floats in use, dead ones included */
    size_t data_cap;
    uint64_t n_dead;   /* floats no record points at */
    int mapped;        /* rec and data are in a segment mapping: read-only */
    uint32_t n_nodes;  /* mapped: node count of the segment, for the bounds checks */
    int sorted;        /* rec itself is in (pred, node) order */
    pthread_mutex_t lazy; /* serialises readers building the hash or the sorted view */
    atomic_int hash_ok;   /* slot[] is valid for rec[] */
    atomic_int order_ok;  /* order[] is valid (unused while `sorted`) */
    uint32_t *slot;       /* record index + 1, 0 = empty */
    uint64_t slot_mask;
    uint32_t *order;      /* record indices in (pred, node) order */
    size_t order_cap;
};

#define NO_REC UINT64_MAX
#define MAX_RECS 0xFFFFFFF0u /* record indices + 1 fit the u32 slots */

static uint64_t key_of(uint32_t pred, uint32_t node) {
    return (uint64_t)pred << 32 | node;
}

static uint64_t rkey(const pt__vrec *r) {
    return key_of(r->pred, r->node);
}

/* 64-bit finaliser (from MurmurHash3's fmix64): spreads dense ids over the table. */
static uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

/* Whether record `r` may be read: a dimension in range and floats inside the data; for a
 * mapping also node and predicate ids that the segment has. */
static int rec_ok(const struct pt__vecs *vs, const pt__vrec *r) {
    return r->dim >= 1 && r->dim <= PT_VEC_MAX_DIM && r->off <= vs->n_data &&
           r->dim <= vs->n_data - r->off &&
           (!vs->mapped || (r->node < vs->n_nodes && r->pred < vs->n_nodes));
}

static int new_set(pt_ctx *ctx, struct pt__vecs **out) {
    struct pt__vecs *vs = pt__calloc(ctx, 1, sizeof *vs);
    if (vs == NULL) {
        return PT_ENOMEM;
    }
    if (pthread_mutex_init(&vs->lazy, NULL) != 0) {
        pt__free(ctx, vs);
        return PT_ENOMEM;
    }
    vs->ctx = ctx;
    vs->sorted = 1;
    atomic_init(&vs->refs, 1);
    atomic_init(&vs->hash_ok, 0);
    atomic_init(&vs->order_ok, 0);
    *out = vs;
    return PT_OK;
}

void pt__vecs_free(struct pt__vecs *vs) {
    if (vs == NULL || atomic_fetch_sub(&vs->refs, 1) > 1) {
        return;
    }
    if (!vs->mapped) {
        pt__big_free(vs->ctx, vs->rec);
        pt__big_free(vs->ctx, vs->data);
    }
    pt__big_free(vs->ctx, vs->slot);
    pt__big_free(vs->ctx, vs->order);
    pthread_mutex_destroy(&vs->lazy);
    pt__free(vs->ctx, vs);
}

int pt__vecs_attach(pt_ctx *ctx, const pt__vrec *rec, uint64_t n_rec, const float *data,
                    uint64_t n_data, uint32_t n_nodes, struct pt__vecs **out) {
    *out = NULL;
    if (n_rec == 0) {
        return PT_OK;
    }
    struct pt__vecs *vs;
    if (new_set(ctx, &vs) != PT_OK) {
        return PT_ENOMEM;
    }
    vs->rec = (pt__vrec *)rec; /* never written while mapped */
    vs->n_rec = n_rec > MAX_RECS ? MAX_RECS : n_rec;
    vs->data = (float *)data;
    vs->n_data = n_data;
    vs->mapped = 1;
    vs->n_nodes = n_nodes;
    *out = vs;
    return PT_OK;
}

uint64_t pt__vecs_count(const struct pt__vecs *vs) {
    return vs != NULL ? vs->n_rec : 0;
}

size_t pt__vecs_memory(const struct pt__vecs *vs) {
    if (vs == NULL) {
        return 0;
    }
    size_t n = sizeof *vs;
    n += (vs->mapped ? vs->n_rec : vs->rec_cap) * sizeof(pt__vrec);
    n += (vs->mapped ? vs->n_data : vs->data_cap) * sizeof(float);
    n += vs->slot != NULL ? (size_t)(vs->slot_mask + 1) * 4 : 0;
    n += vs->order_cap * 4;
    return n;
}

/* --- the hash -------------------------------------------------------------------------------- */

/* Replace the hash with one of at least `min_slots` slots over every readable record.
 * PT_OK or PT_ENOMEM (the old table, if any, stays). */
static int build_hash(struct pt__vecs *vs, uint64_t min_slots) {
    uint64_t size = 16;
    while (size < min_slots) {
        size *= 2;
    }
    uint32_t *s = pt__big_alloc(vs->ctx, (size_t)size * 4);
    if (s == NULL) {
        return PT_ENOMEM;
    }
    memset(s, 0, (size_t)size * 4);
    for (uint64_t k = 0; k < vs->n_rec; k++) {
        if (!rec_ok(vs, &vs->rec[k])) {
            continue;
        }
        uint64_t i = mix(rkey(&vs->rec[k])) & (size - 1);
        while (s[i] != 0) {
            i = (i + 1) & (size - 1);
        }
        s[i] = (uint32_t)k + 1;
    }
    pt__big_free(vs->ctx, vs->slot);
    vs->slot = s;
    vs->slot_mask = size - 1;
    return PT_OK;
}

/* Make sure the hash exists; readers may call this under the read lock. PT_OK or PT_ENOMEM
 * (lookups then fall back to searching the records). */
static int ensure_hash(const struct pt__vecs *cvs) {
    struct pt__vecs *vs = (struct pt__vecs *)cvs;
    if (atomic_load_explicit(&vs->hash_ok, memory_order_acquire)) {
        return PT_OK;
    }
    int rc = PT_OK;
    pthread_mutex_lock(&vs->lazy);
    if (!atomic_load_explicit(&vs->hash_ok, memory_order_relaxed)) {
        rc = build_hash(vs, vs->n_rec * 2 + 2);
        if (rc == PT_OK) {
            atomic_store_explicit(&vs->hash_ok, 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&vs->lazy);
    return rc;
}

/* Slot position holding record `k`, found by probing for its key (the hash is valid). */
static uint64_t slot_of(const struct pt__vecs *vs, uint64_t k) {
    uint64_t i = mix(rkey(&vs->rec[k])) & vs->slot_mask;
    while (vs->slot[i] != (uint32_t)k + 1) {
        i = (i + 1) & vs->slot_mask;
    }
    return i;
}

/* Empty slot position `i`, shifting later entries of the probe run back (no tombstones). */
static void slot_delete(struct pt__vecs *vs, uint64_t i) {
    uint64_t mask = vs->slot_mask;
    for (uint64_t j = (i + 1) & mask; vs->slot[j] != 0; j = (j + 1) & mask) {
        uint64_t h = mix(rkey(&vs->rec[vs->slot[j] - 1])) & mask;
        /* The entry at j may move to i unless its home h lies cyclically in (i, j]. */
        int stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
        if (!stays) {
            vs->slot[i] = vs->slot[j];
            i = j;
        }
    }
    vs->slot[i] = 0;
}

/* Record index of (pred, node), or NO_REC. Uses the hash when it exists, else a binary search
 * of sorted records, else a scan (only after an allocation failure). */
static uint64_t find(const struct pt__vecs *vs, uint32_t pred, uint32_t node) {
    uint64_t key = key_of(pred, node);
    if (atomic_load_explicit(&((struct pt__vecs *)vs)->hash_ok, memory_order_acquire)) {
        for (uint64_t i = mix(key) & vs->slot_mask; vs->slot[i] != 0;
             i = (i + 1) & vs->slot_mask) {
            uint64_t k = vs->slot[i] - 1;
            if (rkey(&vs->rec[k]) == key) {
                return k;
            }
        }
        return NO_REC;
    }
    if (vs->sorted) {
        uint64_t lo = 0, hi = vs->n_rec;
        while (lo < hi) {
            uint64_t m = lo + (hi - lo) / 2;
            if (rkey(&vs->rec[m]) < key) {
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        return lo < vs->n_rec && rkey(&vs->rec[lo]) == key && rec_ok(vs, &vs->rec[lo]) ? lo
                                                                                       : NO_REC;
    }
    for (uint64_t k = 0; k < vs->n_rec; k++) {
        if (rkey(&vs->rec[k]) == key && rec_ok(vs, &vs->rec[k])) {
            return k;
        }
    }
    return NO_REC;
}

/* --- the sorted view ------------------------------------------------------------------------- */

static int cmp_idx(const void *a, const void *b, void *ud) {
    const pt__vrec *rec = ud;
    uint64_t x = rkey(&rec[*(const uint32_t *)a]), y = rkey(&rec[*(const uint32_t *)b]);
    return x < y ? -1 : x > y;
}

/* Make sure the (pred, node) view exists; readers may call this under the read lock.
 * PT_OK or PT_ENOMEM. */
static int ensure_order(const struct pt__vecs *cvs) {
    struct pt__vecs *vs = (struct pt__vecs *)cvs;
    if (vs->sorted || atomic_load_explicit(&vs->order_ok, memory_order_acquire)) {
        return PT_OK;
    }
    int rc = PT_OK;
    pthread_mutex_lock(&vs->lazy);
    if (!atomic_load_explicit(&vs->order_ok, memory_order_relaxed)) {
        if (vs->order_cap < vs->n_rec) {
            size_t cap = vs->n_rec + vs->n_rec / 4 + 16;
            uint32_t *o = pt__big_alloc(vs->ctx, cap * 4);
            if (o == NULL) {
                rc = PT_ENOMEM;
                goto done;
            }
            pt__big_free(vs->ctx, vs->order);
            vs->order = o;
            vs->order_cap = cap;
        }
        for (uint64_t k = 0; k < vs->n_rec; k++) {
            vs->order[k] = (uint32_t)k;
        }
        qsort_r(vs->order, vs->n_rec, 4, cmp_idx, vs->rec);
        atomic_store_explicit(&vs->order_ok, 1, memory_order_release);
    }
done:
    pthread_mutex_unlock(&vs->lazy);
    return rc;
}

/* The i-th record of the sorted view (ensure_order succeeded). */
static const pt__vrec *at(const struct pt__vecs *vs, uint64_t i) {
    return vs->sorted ? &vs->rec[i] : &vs->rec[vs->order[i]];
}

/* The range [*lo, *hi) of the sorted view holding predicate `pred` (PT_NONE: everything). */
static void pred_range(const struct pt__vecs *vs, uint32_t pred, uint64_t *lo, uint64_t *hi) {
    if (pred == PT_NONE) {
        *lo = 0;
        *hi = vs->n_rec;
        return;
    }
    uint64_t l = 0, r = vs->n_rec;
    while (l < r) {
        uint64_t m = l + (r - l) / 2;
        if (at(vs, m)->pred < pred) {
            l = m + 1;
        } else {
            r = m;
        }
    }
    *lo = l;
    r = vs->n_rec;
    while (l < r) {
        uint64_t m = l + (r - l) / 2;
        if (at(vs, m)->pred <= pred) {
            l = m + 1;
        } else {
            r = m;
        }
    }
    *hi = l;
}

const pt__vrec *pt__vecs_sorted(const struct pt__vecs *vs, uint64_t i, const float **data) {
    if (vs == NULL || i >= vs->n_rec || ensure_order(vs) != PT_OK) {
        return NULL;
    }
    const pt__vrec *r = at(vs, i);
    if (!rec_ok(vs, r)) {
        return NULL;
    }
    *data = vs->data + r->off;
    return r;
}

/* --- copies and growth (write lock held, or a set nobody else sees) ------------------------ */

/* Fill the empty owned set `dst` with the readable vectors of `src`, floats packed in record
 * order: in (pred, node) order when `view` (the sorted view must exist), else in stored order.
 * PT_OK or PT_ENOMEM (dst unchanged). */
static int fill_packed(struct pt__vecs *dst, const struct pt__vecs *src, int view) {
    uint64_t n = 0, floats = 0;
    for (uint64_t i = 0; i < src->n_rec; i++) {
        const pt__vrec *r = view ? at(src, i) : &src->rec[i];
        if (rec_ok(src, r)) {
            n++;
            floats += r->dim;
        }
    }
    size_t rec_cap = n + 16, data_cap = floats + 1024;
    pt__vrec *rec = pt__big_alloc(dst->ctx, rec_cap * sizeof *rec);
    float *data = pt__big_alloc(dst->ctx, data_cap * sizeof *data);
    if (rec == NULL || data == NULL) {
        pt__big_free(dst->ctx, rec);
        pt__big_free(dst->ctx, data);
        return PT_ENOMEM;
    }
    uint64_t k = 0, off = 0;
    int sorted = 1;
    for (uint64_t i = 0; i < src->n_rec; i++) {
        const pt__vrec *r = view ? at(src, i) : &src->rec[i];
        if (rec_ok(src, r)) {
            rec[k] = (pt__vrec){r->node, r->pred, r->dim, 0, off};
            memcpy(data + off, src->data + r->off, (size_t)r->dim * sizeof(float));
            sorted &= k == 0 || rkey(&rec[k - 1]) < rkey(&rec[k]);
            off += r->dim;
            k++;
        }
    }
    if (!dst->mapped) {
        pt__big_free(dst->ctx, dst->rec);
        pt__big_free(dst->ctx, dst->data);
    }
    dst->rec = rec;
    dst->rec_cap = rec_cap;
    dst->n_rec = n;
    dst->data = data;
    dst->data_cap = data_cap;
    dst->n_data = floats;
    dst->n_dead = 0;
    dst->mapped = 0;
    dst->sorted = sorted;
    atomic_store(&dst->hash_ok, 0);
    atomic_store(&dst->order_ok, 0);
    return PT_OK;
}

int pt__vecs_copy(pt_ctx *ctx, const struct pt__vecs *src, struct pt__vecs **out) {
    *out = NULL;
    if (src == NULL || src->n_rec == 0) {
        return PT_OK;
    }
    if (!src->mapped && src->ctx == ctx) {
        /* Share: O(1), and whoever changes it first makes a private copy (make_private). A
         * mapped set dies with its mapping, and one of another ctx with that ctx: copy those. */
        atomic_fetch_add(&((struct pt__vecs *)src)->refs, 1);
        *out = (struct pt__vecs *)src;
        return PT_OK;
    }
    struct pt__vecs *vs;
    if (ensure_order(src) != PT_OK || new_set(ctx, &vs) != PT_OK) {
        return PT_ENOMEM;
    }
    if (fill_packed(vs, src, 1) != PT_OK) {
        pt__vecs_free(vs);
        return PT_ENOMEM;
    }
    *out = vs;
    return PT_OK;
}

/* Make `*vsp` a set this graph alone owns in memory, before changing it. A mapped set (never
 * shared) becomes owned in place (copy on first modification): the readable records in stored
 * order, which the writer made (pred, node) order, so record indices change only when a
 * corrupt record is dropped; the hash and the view are rebuilt on next use. A set shared with
 * another graph or builder is left to them and replaced by a private copy. PT_OK/PT_ENOMEM. */
static int make_private(pt_ctx *ctx, struct pt__vecs **vsp) {
    struct pt__vecs *vs = *vsp;
    if (vs->mapped) {
        return fill_packed(vs, vs, 0);
    }
    if (atomic_load(&vs->refs) == 1) {
        return PT_OK;
    }
    struct pt__vecs *nv;
    if (new_set(ctx, &nv) != PT_OK) {
        return PT_ENOMEM;
    }
    if (fill_packed(nv, vs, 0) != PT_OK) {
        pt__vecs_free(nv);
        return PT_ENOMEM;
    }
    *vsp = nv;
    pt__vecs_free(vs); /* drops our reference only, unless the others let go meanwhile */
    return PT_OK;
}

/* Make room for `dim` more floats, first rewriting the data compactly (in record order) when
 * half of it is dead. PT_OK or PT_ENOMEM (nothing changed). */
static int reserve_data(struct pt__vecs *vs, uint32_t dim) {
    if (vs->n_data + dim <= vs->data_cap) {
        return PT_OK;
    }
    if (vs->n_dead > 0 && vs->n_dead >= vs->n_data / 2) {
        uint64_t live = vs->n_data - vs->n_dead;
        size_t cap = (size_t)(live + dim) * 2 + 1024;
        float *d = pt__big_alloc(vs->ctx, cap * sizeof *d);
        if (d == NULL) {
            return PT_ENOMEM;
        }
        uint64_t off = 0;
        for (uint64_t k = 0; k < vs->n_rec; k++) {
            pt__vrec *r = &vs->rec[k];
            memcpy(d + off, vs->data + r->off, (size_t)r->dim * sizeof *d);
            r->off = off;
            off += r->dim;
        }
        pt__big_free(vs->ctx, vs->data);
        vs->data = d;
        vs->data_cap = cap;
        vs->n_data = off;
        vs->n_dead = 0;
        return PT_OK;
    }
    size_t cap = vs->data_cap < 1024 ? 1024 : vs->data_cap * 2;
    while (cap < vs->n_data + dim) {
        cap *= 2;
    }
    float *d = pt__big_realloc(vs->ctx, vs->data, cap * sizeof *d);
    if (d == NULL) {
        return PT_ENOMEM;
    }
    vs->data = d;
    vs->data_cap = cap;
    return PT_OK;
}

/* --- public API ------------------------------------------------------------------------------ */

int pt__vecs_set(pt_ctx *ctx, struct pt__vecs **vsp, uint32_t node, uint32_t pred,
                 const float *v, uint32_t dim) {
    if (*vsp == NULL && new_set(ctx, vsp) != PT_OK) {
        return PT_ENOMEM;
    }
    if (make_private(ctx, vsp) != PT_OK) {
        return PT_ENOMEM;
    }
    struct pt__vecs *vs = *vsp;
    (void)ensure_hash(vs); /* on failure find() scans */
    uint64_t k = find(vs, pred, node);
    if (k != NO_REC && vs->rec[k].dim == dim) {
        memcpy(vs->data + vs->rec[k].off, v, (size_t)dim * sizeof *v);
        return PT_OK;
    }
    if (reserve_data(vs, dim) != PT_OK) {
        return PT_ENOMEM;
    }
    uint64_t off = vs->n_data;
    if (k != NO_REC) {
        memcpy(vs->data + off, v, (size_t)dim * sizeof *v);
        vs->n_data += dim;
        vs->n_dead += vs->rec[k].dim;
        vs->rec[k].dim = dim;
        vs->rec[k].off = off;
        return PT_OK;
    }
    /* A new record: every allocation first, so a failure changes nothing. */
    if (vs->n_rec >= MAX_RECS) {
        return pt__error(ctx, PT_ELIMIT, "pt_graph_set_vector: more than %u vectors", MAX_RECS);
    }
    if (vs->n_rec == vs->rec_cap) {
        size_t cap = vs->rec_cap < 64 ? 64 : vs->rec_cap * 2;
        pt__vrec *r = pt__big_realloc(ctx, vs->rec, cap * sizeof *r);
        if (r == NULL) {
            return PT_ENOMEM;
        }
        vs->rec = r;
        vs->rec_cap = cap;
    }
    int hashed = atomic_load(&vs->hash_ok);
    if (hashed && (vs->n_rec + 1) * 2 > vs->slot_mask + 1 &&
        build_hash(vs, (vs->slot_mask + 1) * 2) != PT_OK) {
        return PT_ENOMEM;
    }
    uint64_t key = key_of(pred, node);
    uint64_t n = vs->n_rec;
    int in_order = n == 0 || rkey(&vs->rec[n - 1]) < key;
    int view_ok = atomic_load(&vs->order_ok);
    if (!vs->sorted && view_ok) {
        /* Keep the view when the new key sorts last and there is room. */
        view_ok = n < vs->order_cap && rkey(&vs->rec[vs->order[n - 1]]) < key;
    }
    memcpy(vs->data + off, v, (size_t)dim * sizeof *v);
    vs->n_data += dim;
    vs->rec[n] = (pt__vrec){node, pred, dim, 0, off};
    vs->n_rec = n + 1;
    if (hashed) {
        uint64_t i = mix(key) & vs->slot_mask;
        while (vs->slot[i] != 0) {
            i = (i + 1) & vs->slot_mask;
        }
        vs->slot[i] = (uint32_t)n + 1;
    }
    if (vs->sorted && !in_order) {
        vs->sorted = 0;
        view_ok = 0;
    }
    if (!vs->sorted && view_ok) {
        vs->order[n] = (uint32_t)n;
    }
    atomic_store(&vs->order_ok, view_ok);
    return PT_OK;
}

int pt_graph_set_vector(pt_graph *g, pt_node_id node, pt_node_id pred, const float *v,
                        uint32_t dim) {
    int rc = PT_OK;
    pthread_rwlock_wrlock(g->lock);
    if (node >= g->n_nodes || pred >= g->n_nodes) {
        rc = pt__error(g->ctx, PT_EINVAL,
                       "pt_graph_set_vector: %s id %u is not a node (the graph has %u)",
                       node >= g->n_nodes ? "node" : "predicate", node >= g->n_nodes ? node : pred,
                       g->n_nodes);
        goto done;
    }
    if (dim == 0 || dim > PT_VEC_MAX_DIM || v == NULL) {
        rc = pt__error(g->ctx, PT_EINVAL,
                       "pt_graph_set_vector: dimension %u is not in 1..%u (or no values)", dim,
                       PT_VEC_MAX_DIM);
        goto done;
    }
    for (uint32_t i = 0; i < dim; i++) {
        if (!isfinite(v[i])) {
            rc = pt__error(g->ctx, PT_EINVAL,
                           "pt_graph_set_vector: value %u of %u is not finite (%s)", i, dim,
                           isnan(v[i]) ? "NaN" : "infinity");
            goto done;
        }
    }
    rc = pt__vecs_set(g->ctx, &g->vecs, node, pred, v, dim);
    if (rc == PT_ENOMEM) {
        rc = pt__error(g->ctx, PT_ENOMEM, "pt_graph_set_vector: out of memory");
    }
done:
    pthread_rwlock_unlock(g->lock);
    return rc;
}

uint32_t pt_graph_get_vector(const pt_graph *g, pt_node_id node, pt_node_id pred, float *out,
                             uint32_t cap) {
    uint32_t dim = 0;
    pthread_rwlock_rdlock(g->lock);
    const struct pt__vecs *vs = g->vecs;
    if (vs != NULL && vs->n_rec > 0) {
        (void)ensure_hash(vs); /* on failure find() searches */
        uint64_t k = find(vs, pred, node);
        if (k != NO_REC && rec_ok(vs, &vs->rec[k])) {
            const pt__vrec *r = &vs->rec[k];
            dim = r->dim;
            if (out != NULL && cap > 0) {
                memcpy(out, vs->data + r->off, (size_t)(cap < dim ? cap : dim) * sizeof *out);
            }
        }
    }
    pthread_rwlock_unlock(g->lock);
    return dim;
}

/* Remove record `k` (owned set): free its slot, move the last record into its place. */
static void remove_at(struct pt__vecs *vs, uint64_t k) {
    uint64_t last = vs->n_rec - 1;
    int hashed = atomic_load(&vs->hash_ok);
    if (hashed) {
        slot_delete(vs, slot_of(vs, k));
        if (k != last) {
            vs->slot[slot_of(vs, last)] = (uint32_t)k + 1;
        }
    }
    vs->n_dead += vs->rec[k].dim;
    if (k != last) {
        vs->rec[k] = vs->rec[last];
        vs->sorted = 0;
    }
    vs->n_rec = last;
    if (last == 0) {
        vs->sorted = 1;
        vs->n_data = vs->n_dead = 0;
    }
    atomic_store(&vs->order_ok, 0);
}

uint64_t pt_graph_remove_vector(pt_graph *g, pt_node_id node, pt_node_id pred) {
    uint64_t removed = 0;
    pthread_rwlock_wrlock(g->lock);
    struct pt__vecs *vs = g->vecs;
    if (vs == NULL || vs->n_rec == 0) {
        goto done;
    }
    if (pred != PT_NONE) {
        (void)ensure_hash(vs);
        if (find(vs, pred, node) == NO_REC) {
            goto done;
        }
        if (make_private(g->ctx, &g->vecs) != PT_OK) {
            pt__error(g->ctx, PT_ENOMEM, "pt_graph_remove_vector: out of memory");
            goto done;
        }
        vs = g->vecs;
        (void)ensure_hash(vs);
        uint64_t k = find(vs, pred, node);
        if (k != NO_REC) {
            remove_at(vs, k);
            removed = 1;
        }
        goto done;
    }
    /* Every vector of the node: one pass over the records (O(number of vectors)). */
    int any = 0;
    for (uint64_t k = 0; k < vs->n_rec && !any; k++) {
        any = vs->rec[k].node == node && rec_ok(vs, &vs->rec[k]);
    }
    if (!any) {
        goto done;
    }
    if (make_private(g->ctx, &g->vecs) != PT_OK) {
        pt__error(g->ctx, PT_ENOMEM, "pt_graph_remove_vector: out of memory");
        goto done;
    }
    vs = g->vecs;
    (void)ensure_hash(vs);
    for (uint64_t k = vs->n_rec; k-- > 0;) {
        if (vs->rec[k].node == node) {
            remove_at(vs, k); /* moves the last record, already seen, into k */
            removed++;
        }
    }
done:
    pthread_rwlock_unlock(g->lock);
    return removed;
}

uint64_t pt_graph_vector_count(const pt_graph *g, pt_node_id pred) {
    uint64_t n = 0;
    pthread_rwlock_rdlock(g->lock);
    const struct pt__vecs *vs = g->vecs;
    if (vs != NULL) {
        if (pred == PT_NONE) {
            n = vs->n_rec;
        } else if (ensure_order(vs) == PT_OK) {
            uint64_t lo, hi;
            pred_range(vs, pred, &lo, &hi);
            n = hi - lo;
        } else {
            for (uint64_t k = 0; k < vs->n_rec; k++) {
                n += vs->rec[k].pred == pred;
            }
        }
    }
    pthread_rwlock_unlock(g->lock);
    return n;
}

int pt_graph_vector_at(const pt_graph *g, pt_node_id pred, uint64_t i, pt_node_id *node,
                       pt_node_id *pred_out, uint32_t *dim) {
    int rc = PT_EINVAL;
    *node = *pred_out = PT_NONE;
    *dim = 0;
    pthread_rwlock_rdlock(g->lock);
    const struct pt__vecs *vs = g->vecs;
    if (vs == NULL) {
        goto done;
    }
    if (ensure_order(vs) != PT_OK) {
        rc = PT_ENOMEM;
        goto done;
    }
    uint64_t lo, hi;
    pred_range(vs, pred, &lo, &hi);
    if (i < hi - lo) {
        const pt__vrec *r = at(vs, lo + i);
        *node = r->node;
        *pred_out = r->pred;
        *dim = rec_ok(vs, r) ? r->dim : 0;
        rc = PT_OK;
    }
done:
    pthread_rwlock_unlock(g->lock);
    return rc;
}

/* --- pt:f32vector literals ------------------------------------------------------------------- */

size_t pt__f32vector_encode(const float *v, uint32_t n, char *out) {
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int have = 0; /* bytes in acc */
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int k = 0; k < 4; k++) {
            acc = acc << 8 | ((u >> (8 * k)) & 0xFFu);
            if (++have == 3) {
                out[o++] = digits[(acc >> 18) & 63];
                out[o++] = digits[(acc >> 12) & 63];
                out[o++] = digits[(acc >> 6) & 63];
                out[o++] = digits[acc & 63];
                acc = 0;
                have = 0;
            }
        }
    }
    if (have > 0) {
        acc <<= 8 * (3 - have);
        out[o++] = digits[(acc >> 18) & 63];
        out[o++] = digits[(acc >> 12) & 63];
        out[o++] = have == 2 ? digits[(acc >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* Value of base64 digit `c`, or -1. */
static int b64_val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

uint32_t pt__f32vector_decode(pt_ctx *ctx, const char *lex, size_t len, float **out,
                              size_t *cap) {
    /* Whole groups of 4 digits, '=' padding only at the very end. */
    if (len == 0 || len % 4 != 0) {
        return 0;
    }
    size_t pad = lex[len - 1] == '=' ? (lex[len - 2] == '=' ? 2 : 1) : 0;
    size_t bytes = len / 4 * 3 - pad;
    if (bytes % 4 != 0 || bytes / 4 > PT_VEC_MAX_DIM) {
        return 0;
    }
    uint32_t dim = (uint32_t)(bytes / 4);
    if (*cap < dim) {
        float *f = pt__realloc(ctx, *out, (size_t)dim * sizeof *f);
        if (f == NULL) {
            return 0;
        }
        *out = f;
        *cap = dim;
    }
    uint32_t word = 0;
    size_t nb = 0;
    for (size_t i = 0; i < len; i += 4) {
        int d[4];
        for (int k = 0; k < 4; k++) {
            d[k] = i + (size_t)k >= len - pad ? 0 : b64_val((unsigned char)lex[i + (size_t)k]);
            if (d[k] < 0) {
                return 0;
            }
        }
        uint32_t group = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 | (uint32_t)d[2] << 6 |
                         (uint32_t)d[3];
        for (int k = 0; k < 3 && nb < bytes; k++, nb++) {
            word |= ((group >> (16 - 8 * k)) & 0xFFu) << (8 * (nb % 4));
            if (nb % 4 == 3) {
                float f;
                memcpy(&f, &word, 4); /* word holds the bytes as a little-endian u32 */
                if (!isfinite(f)) {
                    return 0;
                }
                (*out)[nb / 4] = f;
                word = 0;
            }
        }
    }
    return dim;
}
