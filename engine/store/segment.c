/*
 * segment.c - graph segment files: writing a pt_graph to one, mapping one back as a pt_graph,
 * and verifying every byte of one.
 *
 * The store (store.c) calls these three. A segment is the graph's arrays written as they are
 * in memory (little-endian), each in its own 4 KiB-aligned section behind a 4 KiB header page
 * that lists the sections with their CRC-32 (docs/STORE.md has the byte layout). Opening maps
 * the file MAP_PRIVATE and points the graph's arrays into the mapping, so a graph of any size
 * opens in a few page faults; only the header is checked then. pt__segment_verify reads every
 * section, checks its CRC and the structural facts that readers rely on.
 *
 * Format version 2 added the vectors of pt_vec.h as two sections after the 21 of version 1
 * (vec_table, vec_data) and their count in a header word version 1 kept zero; version-1 files
 * are still read (the section count follows the version). Vector records are read in place
 * (engine/graph/vector.c bounds-checks each as it reads it), so open checks only their sizes and
 * the first and last record; verify checks them all.
 *
 * Sections: file layout (header fields, section table) / writing / reading the header /
 * mapping / verifying.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/segment.h"

/* --- file layout ---------------------------------------------------------------------------- */

/* Byte offsets of the header fields; docs/STORE.md documents each one. */
#define H_MAGIC 0      /* char[8] "PTGRAPH\0" */
#define H_VERSION 8    /* u32 format version */
#define H_ENDIAN 12    /* u32 PT__SEG_ENDIAN */
#define H_HDR_SIZE 16  /* u32 header size, 4096 */
#define H_N_SECT 20    /* u32 number of sections */
#define H_GEN 24       /* u64 generation */
#define H_FILE_LEN 32  /* u64 file length */
#define H_N_NODES 40   /* u32 nodes */
#define H_N_LANGS 44   /* u32 language tags, the empty one included */
#define H_N_EDGES 48   /* u64 edges */
#define H_N_LITS 56    /* u64 literals */
#define H_POOL_LEN 64  /* u64 string pool bytes */
#define H_SLOTS 72     /* u64 hash slots (0: no hash, rebuild at open) */
#define H_HASH_USED 80 /* u64 occupied hash slots */
#define H_N_PREFIX 88  /* u64 prefixes */
#define H_ID_TYPE 96   /* u32 node id of rdf:type, or PT_NONE */
#define H_FLAGS 100    /* u32 flags, 0 (a reader refuses unknown flags) */
#define H_PROBE 104    /* u64 pt__term_hash of PROBE_IRI when the hash was written */
#define H_CREATED 112  /* i64 unix time of writing */
#define H_N_VECS 120   /* u64 vectors (version 2; reserved, zero, in version 1) */
#define H_TABLE 128    /* section table, one entry of ENTRY bytes per section */
#define H_CRC 4092     /* u32 CRC-32 of bytes 0..4091 */
#define ENTRY 32       /* u32 id, u32 element size, u64 offset, u64 length, u32 crc, u32 0 */

/* The string whose hash is recorded in the header: when this build's pt__term_hash gives a
 * different value, the persisted hash table is useless and open rebuilds it. */
#define PROBE_IRI "https://w3id.org/portrait/ns#User"

/* Staging buffer of the writer; arrays at least half this size bypass it. */
#define WBUF_SIZE ((size_t)1 << 20)

/* Name and element size of each section, indexed by id. */
static const struct {
    const char *name;
    uint32_t elem;
} SECS[PT__SEC_COUNT + 1] = {
    [0] = {"?", 1},
    [PT__SEC_POOL] = {"pool", 1},
    [PT__SEC_NODE_OFF] = {"node_off", 8},
    [PT__SEC_NODE_CLASS] = {"node_class", 1},
    [PT__SEC_NODE_ROLE] = {"node_role", 1},
    [PT__SEC_HASH] = {"hash", 8},
    [PT__SEC_OUT_OFF] = {"out_off", 8},
    [PT__SEC_OUT_DST] = {"out_dst", 4},
    [PT__SEC_OUT_PRED] = {"out_pred", 4},
    [PT__SEC_WEIGHT] = {"weight", 4},
    [PT__SEC_TIME] = {"time", 8},
    [PT__SEC_IN_OFF] = {"in_off", 8},
    [PT__SEC_IN_SRC] = {"in_src", 4},
    [PT__SEC_IN_PRED] = {"in_pred", 4},
    [PT__SEC_LIT_OFF] = {"lit_off", 8},
    [PT__SEC_LIT_PRED] = {"lit_pred", 4},
    [PT__SEC_LIT_STR] = {"lit_str", 8},
    [PT__SEC_LIT_DT] = {"lit_dt", 4},
    [PT__SEC_LIT_LANG] = {"lit_lang", 2},
    [PT__SEC_LANGS] = {"langs", 1},
    [PT__SEC_BASE] = {"base", 1},
    [PT__SEC_PREFIXES] = {"prefixes", 1},
    [PT__SEC_VEC_TABLE] = {"vec_table", (uint32_t)sizeof(pt__vrec)},
    [PT__SEC_VEC_DATA] = {"vec_data", 4},
};

/* One section as the header describes it. */
typedef struct sect {
    uint64_t off, len;
    uint32_t crc;
} sect;

/* The decoded header of a segment. */
typedef struct hdr {
    uint32_t version, n_nodes, n_langs, id_type, flags;
    int n_sect; /* sections in the file: PT__SEC_COUNT_V1 or PT__SEC_COUNT */
    uint64_t generation, file_len, n_edges, n_lits, pool_len, slots, hash_used, n_prefixes;
    uint64_t probe;
    uint64_t n_vecs, n_floats; /* version 2; 0 in version 1 */
    uint32_t crc;
    sect sec[PT__SEC_COUNT + 1];
} hdr;

const char *pt__segment_section_name(int id) {
    return id >= 1 && id <= PT__SEC_COUNT ? SECS[id].name : "?";
}

/* Return 1 on a little-endian host. Segments hold host-layout arrays, and the format is
 * little-endian, so a big-endian host can neither write nor map them. */
static int host_is_le(void) {
    const uint32_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Read a u32 or u64 at byte `at` of `p` (host order, which is little-endian here). */
static uint32_t get32(const uint8_t *p, size_t at) {
    uint32_t v;
    memcpy(&v, p + at, 4);
    return v;
}
static uint64_t get64(const uint8_t *p, size_t at) {
    uint64_t v;
    memcpy(&v, p + at, 8);
    return v;
}

/* Store a u32 or u64 at byte `at` of `p`. */
static void put32(uint8_t *p, size_t at, uint32_t v) {
    memcpy(p + at, &v, 4);
}
static void put64(uint8_t *p, size_t at, uint64_t v) {
    memcpy(p + at, &v, 8);
}

/* Map an errno value of a failed write to a Portrait code: a full or unwritable disk is
 * PT_EFULL (the caller can do something about it), anything else PT_EIO. */
static int write_errcode(int err) {
    switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EROFS:
    case EACCES:
    case EPERM:
    case EFBIG:
        return PT_EFULL;
    default:
        return PT_EIO;
    }
}

/* --- writing -------------------------------------------------------------------------------- */

/* The writer: a staging buffer in front of the file, the running CRC of the open section, and
 * the section table being filled. */
typedef struct writer {
    pt_ctx *ctx;
    int fd;
    const char *name;
    uint64_t pos; /* bytes handed to put() so far, i.e. the file offset of the next byte */
    uint8_t *buf; /* WBUF_SIZE bytes */
    size_t used;  /* bytes waiting in buf */
    uint32_t crc; /* CRC of the open section so far */
    int cur;      /* id of the open section, or 0 */
    sect sec[PT__SEC_COUNT + 1];
    uint64_t total; /* expected file size, for progress reports */
    uint64_t next_report;
} writer;

/* Write `len` bytes at the file's current position, retrying short writes and EINTR.
 * Returns PT_OK, or PT_EFULL / PT_EIO with the reason in the message. */
static int raw_write(writer *w, const void *data, size_t len) {
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t k = write(w->fd, p, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            return pt__error(w->ctx, write_errcode(err), "%s: write failed: %s", w->name,
                             strerror(err));
        }
        if (k == 0) {
            return pt__error(w->ctx, PT_EIO, "%s: write made no progress", w->name);
        }
        p += k;
        len -= (size_t)k;
    }
    return PT_OK;
}

/* Send the staging buffer to the file. Returns PT_OK or the error of raw_write. */
static int flush(writer *w) {
    int rc = PT_OK;
    if (w->used > 0) {
        rc = raw_write(w, w->buf, w->used);
        w->used = 0;
    }
    return rc;
}

/* Append `len` bytes to the file, through the staging buffer when small and directly when
 * large, adding them to the open section's CRC. Returns PT_OK or a write error. */
static int put(writer *w, const void *data, size_t len) {
    int rc = PT_OK;
    if (len == 0) {
        return PT_OK;
    }
    if (w->cur != 0) {
        w->crc = pt__crc32(w->crc, data, len);
    }
    w->pos += len;
    if (len >= WBUF_SIZE / 2) {
        PT_TRY(flush(w));
        PT_TRY(raw_write(w, data, len));
    } else {
        if (w->used + len > WBUF_SIZE) {
            PT_TRY(flush(w));
        }
        memcpy(w->buf + w->used, data, len);
        w->used += len;
    }
    if (w->pos >= w->next_report) {
        pt__progress(w->ctx, "write", w->pos, w->total);
        w->next_report = w->pos + ((uint64_t)64 << 20);
    }
done:
    return rc;
}

/* Append zero bytes up to the next multiple of PT__SEG_PAGE (outside any section's CRC). */
static int pad(writer *w) {
    static const uint8_t zeros[PT__SEG_PAGE];
    size_t n = (size_t)((PT__SEG_PAGE - w->pos % PT__SEG_PAGE) % PT__SEG_PAGE);
    int cur = w->cur;
    w->cur = 0;
    int rc = put(w, zeros, n);
    w->cur = cur;
    return rc;
}

/* Start section `id` on the next page boundary. */
static int begin(writer *w, int id) {
    int rc = pad(w);
    w->cur = id;
    w->crc = 0;
    w->sec[id].off = w->pos;
    return rc;
}

/* Close the open section, recording its length and CRC. */
static void end(writer *w) {
    w->sec[w->cur].len = w->pos - w->sec[w->cur].off;
    w->sec[w->cur].crc = w->crc;
    w->cur = 0;
}

/* Append a NUL-terminated string with its NUL; NULL counts as "". */
static int put_str(writer *w, const char *s) {
    return put(w, s != NULL ? s : "", s != NULL ? strlen(s) + 1 : 1);
}

/* Append an offset array of `n_total` + 1 entries when the graph holds `n_have` + 1 of them in
 * `arr` (or none when `arr` is NULL): rows past the graph's CSR nodes are empty, so the missing
 * entries repeat the last offset. */
static int put_offsets(writer *w, const uint64_t *arr, uint32_t n_have, uint32_t n_total) {
    int rc = PT_OK;
    uint64_t have = arr != NULL ? (uint64_t)n_have + 1 : 0;
    uint64_t last = have > 0 ? arr[have - 1] : 0;
    PT_TRY(put(w, arr, (size_t)have * 8));
    for (uint64_t i = have; i < (uint64_t)n_total + 1; i++) {
        PT_TRY(put(w, &last, 8));
    }
done:
    return rc;
}

/* Merge appended edges and literals into the CSR arrays, so that what the segment holds is
 * the whole graph. Returns PT_OK, the error of pt_graph_compact, or PT_EINTERNAL when the
 * compaction left something behind. */
static int settle(pt_ctx *ctx, pt_graph *g, const char *name) {
    if (g->n_delta == 0 && g->n_dlit == 0) {
        return PT_OK;
    }
    int rc = pt_graph_compact(g);
    if (rc != PT_OK) {
        return rc;
    }
    if (g->n_delta != 0 || g->n_dlit != 0) {
        return pt__error(ctx, PT_EINTERNAL,
                         "%s: graph still has %llu appended edges and %llu literals after "
                         "compaction",
                         name, (unsigned long long)g->n_delta, (unsigned long long)g->n_dlit);
    }
    return PT_OK;
}

/* Write every section of `g` in file order (the header page is written last by the caller).
 * Nodes appended after load have their strings in extra_str; they are written after the pool's
 * bytes, and their node_off entries point there. */
static int put_sections(writer *w, const pt_graph *g) {
    int rc = PT_OK;
    uint32_t n = g->n_nodes;
    uint32_t n_extra = n - g->n_pool_nodes;
    uint64_t edges = g->n_csr_edges, lits = g->n_csr_lits;

    PT_TRY(begin(w, PT__SEC_POOL));
    PT_TRY(put(w, g->pool, (size_t)g->pool_len));
    for (uint32_t i = 0; i < n_extra; i++) {
        PT_TRY(put_str(w, g->extra_str[i]));
    }
    end(w);

    PT_TRY(begin(w, PT__SEC_NODE_OFF));
    PT_TRY(put(w, g->node_off, (size_t)g->n_pool_nodes * 8));
    uint64_t at = g->pool_len;
    for (uint32_t i = 0; i < n_extra; i++) {
        PT_TRY(put(w, &at, 8));
        at += strlen(g->extra_str[i]) + 1;
    }
    end(w);

    PT_TRY(begin(w, PT__SEC_NODE_CLASS));
    PT_TRY(put(w, g->node_class, n));
    end(w);
    PT_TRY(begin(w, PT__SEC_NODE_ROLE));
    PT_TRY(put(w, g->node_role, n));
    end(w);
    PT_TRY(begin(w, PT__SEC_HASH));
    if (g->hash != NULL) {
        PT_TRY(put(w, g->hash, (size_t)(g->hash_mask + 1) * sizeof(pt__slot)));
    }
    end(w);

    PT_TRY(begin(w, PT__SEC_OUT_OFF));
    PT_TRY(put_offsets(w, g->out_off, g->n_csr_nodes, n));
    end(w);
    PT_TRY(begin(w, PT__SEC_OUT_DST));
    PT_TRY(put(w, g->out_dst, (size_t)edges * 4));
    end(w);
    PT_TRY(begin(w, PT__SEC_OUT_PRED));
    PT_TRY(put(w, g->out_pred, (size_t)edges * 4));
    end(w);
    PT_TRY(begin(w, PT__SEC_WEIGHT));
    PT_TRY(put(w, g->weight, (size_t)edges * 4));
    end(w);
    PT_TRY(begin(w, PT__SEC_TIME));
    PT_TRY(put(w, g->time, (size_t)edges * 8));
    end(w);
    PT_TRY(begin(w, PT__SEC_IN_OFF));
    PT_TRY(put_offsets(w, g->in_off, g->n_csr_nodes, n));
    end(w);
    PT_TRY(begin(w, PT__SEC_IN_SRC));
    PT_TRY(put(w, g->in_src, (size_t)edges * 4));
    end(w);
    PT_TRY(begin(w, PT__SEC_IN_PRED));
    PT_TRY(put(w, g->in_pred, (size_t)edges * 4));
    end(w);

    PT_TRY(begin(w, PT__SEC_LIT_OFF));
    PT_TRY(put_offsets(w, g->lit_off, g->n_csr_nodes, n));
    end(w);
    PT_TRY(begin(w, PT__SEC_LIT_PRED));
    PT_TRY(put(w, g->lit_pred, (size_t)lits * 4));
    end(w);
    PT_TRY(begin(w, PT__SEC_LIT_STR));
    PT_TRY(put(w, g->lit_str, (size_t)lits * 8));
    end(w);
    PT_TRY(begin(w, PT__SEC_LIT_DT));
    PT_TRY(put(w, g->lit_dt, (size_t)lits * 4));
    end(w);
    PT_TRY(begin(w, PT__SEC_LIT_LANG));
    PT_TRY(put(w, g->lit_lang, (size_t)lits * 2));
    end(w);

    /* langs[0] is always "", present in the file even when the graph has no table yet. */
    PT_TRY(begin(w, PT__SEC_LANGS));
    PT_TRY(put_str(w, ""));
    for (uint32_t i = 1; i < g->n_langs; i++) {
        PT_TRY(put_str(w, g->langs[i]));
    }
    end(w);
    PT_TRY(begin(w, PT__SEC_BASE));
    if (g->base != NULL && g->base[0] != '\0') {
        PT_TRY(put_str(w, g->base));
    }
    end(w);
    PT_TRY(begin(w, PT__SEC_PREFIXES));
    for (size_t i = 0; i < g->n_prefixes; i++) {
        PT_TRY(put_str(w, g->prefix_name[i]));
        PT_TRY(put_str(w, g->prefix_iri[i]));
    }
    end(w);

    /* Vectors in (pred, node) order, their floats packed in the same order, so each kind's
     * vectors are contiguous in the file and in the mapping. */
    uint64_t n_vecs = pt__vecs_count(g->vecs), at_float = 0;
    PT_TRY(begin(w, PT__SEC_VEC_TABLE));
    for (uint64_t i = 0; i < n_vecs; i++) {
        const float *data;
        const pt__vrec *r = pt__vecs_sorted(g->vecs, i, &data);
        if (r == NULL) {
            rc = pt__error(w->ctx, PT_ENOMEM,
                           "%s: cannot list vector %llu (out of memory, or a corrupt segment "
                           "was opened without verification)",
                           w->name, (unsigned long long)i);
            goto done;
        }
        pt__vrec out = {r->node, r->pred, r->dim, 0, at_float};
        PT_TRY(put(w, &out, sizeof out));
        at_float += r->dim;
    }
    end(w);
    PT_TRY(begin(w, PT__SEC_VEC_DATA));
    for (uint64_t i = 0; i < n_vecs; i++) {
        const float *data;
        const pt__vrec *r = pt__vecs_sorted(g->vecs, i, &data);
        PT_TRY(put(w, data, (size_t)r->dim * sizeof(float)));
    }
    end(w);
    PT_TRY(pad(w));
    PT_TRY(flush(w));
done:
    return rc;
}

/* Fill the header page `page` for graph `g` from the writer's section table. */
static void fill_header(uint8_t *page, const writer *w, const pt_graph *g, uint64_t generation) {
    memset(page, 0, PT__SEG_PAGE);
    memcpy(page + H_MAGIC, PT__SEG_MAGIC, 8);
    put32(page, H_VERSION, PT__SEG_VERSION);
    put32(page, H_ENDIAN, PT__SEG_ENDIAN);
    put32(page, H_HDR_SIZE, PT__SEG_PAGE);
    put32(page, H_N_SECT, PT__SEC_COUNT);
    put64(page, H_GEN, generation);
    put64(page, H_FILE_LEN, w->pos);
    put32(page, H_N_NODES, g->n_nodes);
    put32(page, H_N_LANGS, g->n_langs > 0 ? g->n_langs : 1);
    put64(page, H_N_EDGES, g->n_csr_edges);
    put64(page, H_N_LITS, g->n_csr_lits);
    put64(page, H_POOL_LEN, w->sec[PT__SEC_POOL].len);
    put64(page, H_SLOTS, g->hash != NULL ? g->hash_mask + 1 : 0);
    put64(page, H_HASH_USED, g->hash != NULL ? g->hash_used : 0);
    put64(page, H_N_PREFIX, g->n_prefixes);
    put32(page, H_ID_TYPE, g->id_type);
    put32(page, H_FLAGS, 0);
    put64(page, H_PROBE, pt__term_hash(PROBE_IRI, strlen(PROBE_IRI), PT_TERM_IRI));
    put64(page, H_CREATED, (uint64_t)(int64_t)time(NULL));
    put64(page, H_N_VECS, pt__vecs_count(g->vecs));
    for (int id = 1; id <= PT__SEC_COUNT; id++) {
        size_t e = H_TABLE + (size_t)(id - 1) * ENTRY;
        put32(page, e, (uint32_t)id);
        put32(page, e + 4, SECS[id].elem);
        put64(page, e + 8, w->sec[id].off);
        put64(page, e + 16, w->sec[id].len);
        put32(page, e + 24, w->sec[id].crc);
    }
    put32(page, H_CRC, pt__crc32(0, page, H_CRC));
}

/* Bytes the segment of `g` will take, roughly (for progress reports only). */
static uint64_t estimate(const pt_graph *g) {
    return g->pool_len + (uint64_t)g->n_nodes * 34 + (uint64_t)g->n_csr_edges * 32 +
           (uint64_t)g->n_csr_lits * 26 + (g->hash != NULL ? (g->hash_mask + 1) * 8 : 0) +
           pt__vecs_memory(g->vecs);
}

int pt__segment_write(pt_ctx *ctx, pt_graph *g, int fd, const char *name, uint64_t generation,
                      pt__seg_info *info) {
    int rc = PT_OK;
    int locked = 0;
    uint8_t *page = NULL;
    writer w;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    w.fd = fd;
    w.name = name;

    if (!host_is_le()) {
        return pt__error(ctx, PT_EUNSUPPORTED,
                         "%s: segments are little-endian and this host is big-endian", name);
    }
    /* Appends may race with us: compact, then hold the read lock while writing, and compact
     * again when an append slipped in between (settle takes the write lock, so never while we
     * hold the read lock). */
    for (int tries = 0;; tries++) {
        PT_TRY(settle(ctx, g, name));
        pt_graph_rdlock(g);
        locked = 1;
        if (g->n_delta == 0 && g->n_dlit == 0) {
            break;
        }
        pt_graph_unlock(g);
        locked = 0;
        if (tries == 8) {
            rc = pt__error(ctx, PT_EIO,
                           "%s: appends kept arriving while the graph was being "
                           "compacted for the commit; try again",
                           name);
            goto done;
        }
    }
    w.buf = pt__malloc(ctx, WBUF_SIZE);
    page = pt__calloc(ctx, 1, PT__SEG_PAGE);
    if (w.buf == NULL || page == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "%s: out of memory for the write buffer", name);
        goto done;
    }
    w.total = estimate(g);
    w.next_report = (uint64_t)64 << 20;
    /* The header page is written as zeros first and for real once the section table is known. */
    PT_TRY(put(&w, page, PT__SEG_PAGE));
    PT_TRY(put_sections(&w, g));
    fill_header(page, &w, g, generation);
    for (size_t done_bytes = 0; done_bytes < PT__SEG_PAGE;) {
        ssize_t k = pwrite(fd, page + done_bytes, PT__SEG_PAGE - done_bytes, (off_t)done_bytes);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            int err = k < 0 ? errno : EIO;
            rc = pt__error(ctx, write_errcode(err), "%s: writing the header failed: %s", name,
                           strerror(err));
            goto done;
        }
        done_bytes += (size_t)k;
    }
    pt__progress(ctx, "write", w.pos, w.pos);
    if (info != NULL) {
        info->generation = generation;
        info->file_len = w.pos;
        info->header_crc = get32(page, H_CRC);
    }
done:
    if (locked) {
        pt_graph_unlock(g);
    }
    pt__free(ctx, w.buf);
    pt__free(ctx, page);
    return rc;
}

/* --- reading the header --------------------------------------------------------------------- */

/* Return the first section that ends past `size` bytes (for "truncated" messages), or 0. */
static int first_past(const hdr *h, uint64_t size) {
    for (int id = 1; id <= h->n_sect; id++) {
        if (h->sec[id].off > size || h->sec[id].len > size - h->sec[id].off) {
            return id;
        }
    }
    return 0;
}

/* Decode and check the header page `p` of a file of `size` bytes (size >= PT__SEG_PAGE): magic,
 * byte order, version, the header's own CRC, then the section table (ids in order, element
 * sizes, 4 KiB alignment, no overlap, inside the file) and the file length. Returns PT_OK or
 * PT_ESTORE naming the file and, where one is at fault, the section. */
static int read_header(pt_ctx *ctx, const char *name, const uint8_t *p, uint64_t size, hdr *h) {
    memset(h, 0, sizeof *h);
    if (memcmp(p + H_MAGIC, PT__SEG_MAGIC, 8) != 0) {
        return pt__error(ctx, PT_ESTORE, "%s: not a Portrait graph segment (bad magic)", name);
    }
    uint32_t endian = get32(p, H_ENDIAN);
    h->version = get32(p, H_VERSION);
    if (endian != PT__SEG_ENDIAN) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: byte-order marker is 0x%08x, expected 0x%08x (written on a "
                         "big-endian host, or corrupt header)",
                         name, endian, PT__SEG_ENDIAN);
    }
    if (h->version > PT__SEG_VERSION) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: segment format version %u is newer than this build reads (%u); "
                         "upgrade Portrait",
                         name, h->version, PT__SEG_VERSION);
    }
    if (h->version < 1) {
        return pt__error(ctx, PT_ESTORE, "%s: segment format version %u is not valid", name,
                         h->version);
    }
    h->n_sect = h->version == 1 ? PT__SEC_COUNT_V1 : PT__SEC_COUNT;
    h->crc = get32(p, H_CRC);
    uint32_t crc = pt__crc32(0, p, H_CRC);
    if (crc != h->crc) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: header checksum mismatch (stored 0x%08x, computed 0x%08x), "
                         "section 'header'",
                         name, h->crc, crc);
    }
    if (get32(p, H_HDR_SIZE) != PT__SEG_PAGE || get32(p, H_N_SECT) != (uint32_t)h->n_sect) {
        return pt__error(ctx, PT_ESTORE, "%s: header size %u or section count %u unexpected", name,
                         get32(p, H_HDR_SIZE), get32(p, H_N_SECT));
    }
    h->flags = get32(p, H_FLAGS);
    if (h->flags != 0) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: unknown header flags 0x%x (written by a newer "
                         "Portrait?)",
                         name, h->flags);
    }
    h->generation = get64(p, H_GEN);
    h->file_len = get64(p, H_FILE_LEN);
    h->n_nodes = get32(p, H_N_NODES);
    h->n_langs = get32(p, H_N_LANGS);
    h->n_edges = get64(p, H_N_EDGES);
    h->n_lits = get64(p, H_N_LITS);
    h->pool_len = get64(p, H_POOL_LEN);
    h->slots = get64(p, H_SLOTS);
    h->hash_used = get64(p, H_HASH_USED);
    h->n_prefixes = get64(p, H_N_PREFIX);
    h->id_type = get32(p, H_ID_TYPE);
    h->probe = get64(p, H_PROBE);
    h->n_vecs = h->version >= 2 ? get64(p, H_N_VECS) : 0;

    uint64_t prev_end = PT__SEG_PAGE;
    for (int id = 1; id <= h->n_sect; id++) {
        size_t e = H_TABLE + (size_t)(id - 1) * ENTRY;
        sect *s = &h->sec[id];
        s->off = get64(p, e + 8);
        s->len = get64(p, e + 16);
        s->crc = get32(p, e + 24);
        if (get32(p, e) != (uint32_t)id || get32(p, e + 4) != SECS[id].elem) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: section table entry %d has id %u and element size %u, "
                             "section '%s'",
                             name, id, get32(p, e), get32(p, e + 4), SECS[id].name);
        }
        if (s->off % PT__SEG_PAGE != 0 || s->off < prev_end || s->len % SECS[id].elem != 0) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: misplaced section (offset %llu, length %llu), section '%s'", name,
                             (unsigned long long)s->off, (unsigned long long)s->len, SECS[id].name);
        }
        if (s->off > h->file_len || s->len > h->file_len - s->off) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: section ends past the file length %llu recorded in the "
                             "header, section '%s'",
                             name, (unsigned long long)h->file_len, SECS[id].name);
        }
        prev_end = s->off + s->len;
    }
    h->n_floats = h->n_sect >= PT__SEC_VEC_DATA ? h->sec[PT__SEC_VEC_DATA].len / 4 : 0;
    if (h->file_len % PT__SEG_PAGE != 0) {
        return pt__error(ctx, PT_ESTORE, "%s: file length %llu is not a multiple of %u", name,
                         (unsigned long long)h->file_len, PT__SEG_PAGE);
    }
    if (size < h->file_len) {
        int id = first_past(h, size);
        return pt__error(ctx, PT_ESTORE,
                         "%s: truncated: %llu of %llu bytes present, section '%s' is cut off", name,
                         (unsigned long long)size, (unsigned long long)h->file_len,
                         SECS[id != 0 ? id : h->n_sect].name);
    }
    if (size > h->file_len) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: %llu bytes of trailing garbage after the last "
                         "section",
                         name, (unsigned long long)(size - h->file_len));
    }
    return PT_OK;
}

/* Report that section `id` disagrees with the header's counts. Returns PT_ESTORE. */
static int bad_len(pt_ctx *ctx, const char *name, int id, uint64_t len, const char *what,
                   uint64_t count) {
    return pt__error(ctx, PT_ESTORE,
                     "%s: section '%s' has %llu bytes, which does not fit %s = %llu", name,
                     SECS[id].name, (unsigned long long)len, what, (unsigned long long)count);
}

/* Check that section `id` holds exactly `count` elements. */
static int want_count(pt_ctx *ctx, const char *name, const hdr *h, int id, const char *what,
                      uint64_t count) {
    if (h->sec[id].len / SECS[id].elem != count) {
        return bad_len(ctx, name, id, h->sec[id].len, what, count);
    }
    return PT_OK;
}

/* Check that the section lengths agree with the header's counts, and the counts with each
 * other. Cheap: no section body is read. Returns PT_OK or PT_ESTORE naming the section. */
static int check_counts(pt_ctx *ctx, const char *name, const hdr *h) {
    int rc = PT_OK;
    uint64_t n = h->n_nodes;
    if (h->n_nodes == PT_NONE) {
        return pt__error(ctx, PT_ESTORE, "%s: node count %u is out of range", name, h->n_nodes);
    }
    PT_TRY(want_count(ctx, name, h, PT__SEC_POOL, "pool_len", h->pool_len));
    PT_TRY(want_count(ctx, name, h, PT__SEC_NODE_OFF, "n_nodes", n));
    PT_TRY(want_count(ctx, name, h, PT__SEC_NODE_CLASS, "n_nodes", n));
    PT_TRY(want_count(ctx, name, h, PT__SEC_NODE_ROLE, "n_nodes", n));
    PT_TRY(want_count(ctx, name, h, PT__SEC_HASH, "hash slots", h->slots));
    PT_TRY(want_count(ctx, name, h, PT__SEC_OUT_OFF, "n_nodes + 1", n + 1));
    PT_TRY(want_count(ctx, name, h, PT__SEC_OUT_DST, "n_edges", h->n_edges));
    PT_TRY(want_count(ctx, name, h, PT__SEC_OUT_PRED, "n_edges", h->n_edges));
    PT_TRY(want_count(ctx, name, h, PT__SEC_WEIGHT, "n_edges", h->n_edges));
    PT_TRY(want_count(ctx, name, h, PT__SEC_TIME, "n_edges", h->n_edges));
    PT_TRY(want_count(ctx, name, h, PT__SEC_IN_OFF, "n_nodes + 1", n + 1));
    PT_TRY(want_count(ctx, name, h, PT__SEC_IN_SRC, "n_edges", h->n_edges));
    PT_TRY(want_count(ctx, name, h, PT__SEC_IN_PRED, "n_edges", h->n_edges));
    PT_TRY(want_count(ctx, name, h, PT__SEC_LIT_OFF, "n_nodes + 1", n + 1));
    PT_TRY(want_count(ctx, name, h, PT__SEC_LIT_PRED, "n_lits", h->n_lits));
    PT_TRY(want_count(ctx, name, h, PT__SEC_LIT_STR, "n_lits", h->n_lits));
    PT_TRY(want_count(ctx, name, h, PT__SEC_LIT_DT, "n_lits", h->n_lits));
    PT_TRY(want_count(ctx, name, h, PT__SEC_LIT_LANG, "n_lits", h->n_lits));
    if (h->n_sect >= PT__SEC_VEC_DATA) {
        PT_TRY(want_count(ctx, name, h, PT__SEC_VEC_TABLE, "n_vectors", h->n_vecs));
        uint64_t floats = h->n_floats;
        if ((h->n_vecs == 0) != (floats == 0) || floats / PT_VEC_MAX_DIM > h->n_vecs) {
            return bad_len(ctx, name, PT__SEC_VEC_DATA, h->sec[PT__SEC_VEC_DATA].len,
                           "n_vectors", h->n_vecs);
        }
    }
    if (n > 0 && h->pool_len < 2 * n) {
        /* Every node string takes at least its kind byte and its NUL. */
        return bad_len(ctx, name, PT__SEC_POOL, h->pool_len, "2 x n_nodes", 2 * n);
    }
    if (h->slots != 0 &&
        ((h->slots & (h->slots - 1)) != 0 || h->hash_used != n || h->hash_used >= h->slots)) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: hash of %llu slots cannot hold %llu of %u nodes with an empty "
                         "slot, section 'hash'",
                         name, (unsigned long long)h->slots, (unsigned long long)h->hash_used,
                         h->n_nodes);
    }
    if (h->n_langs < 1 || h->n_langs > 0xFFFF) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: language count %u is out of range, section "
                         "'langs'",
                         name, h->n_langs);
    }
    if (h->id_type != PT_NONE && h->id_type >= h->n_nodes) {
        return pt__error(ctx, PT_ESTORE, "%s: rdf:type id %u is not a node", name, h->id_type);
    }
done:
    return rc;
}

/* Split `len` bytes at `p` into exactly `count` NUL-terminated strings, storing a pointer to
 * each in `out` (when non-NULL). Returns 1 when the bytes are exactly that many strings. */
static int split_strings(const char *p, uint64_t len, uint64_t count, const char **out) {
    uint64_t k = 0, start = 0;
    if (len > 0 && p[len - 1] != '\0') {
        return 0;
    }
    for (uint64_t i = 0; i < len; i++) {
        if (p[i] == '\0') {
            if (k == count) {
                return 0;
            }
            if (out != NULL) {
                out[k] = p + start;
            }
            k++;
            start = i + 1;
        }
    }
    return k == count;
}

/* Check the few body bytes that open relies on without reading whole sections: the pool ends
 * in a NUL, every offset array starts at 0 and ends at its count, the string sections split
 * into the announced number of strings. Touches a handful of pages. */
static int check_ends(pt_ctx *ctx, const char *name, const uint8_t *base, const hdr *h) {
    static const int offs[] = {PT__SEC_OUT_OFF, PT__SEC_IN_OFF, PT__SEC_LIT_OFF};
    const char *pool = (const char *)base + h->sec[PT__SEC_POOL].off;
    if (h->pool_len > 0 && pool[h->pool_len - 1] != '\0') {
        return pt__error(ctx, PT_ESTORE, "%s: string pool does not end in NUL, section 'pool'",
                         name);
    }
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        const uint8_t *o = base + h->sec[offs[i]].off;
        uint64_t first = get64(o, 0), last = get64(o, (size_t)h->n_nodes * 8);
        uint64_t want = offs[i] == PT__SEC_LIT_OFF ? h->n_lits : h->n_edges;
        if (first != 0 || last != want) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: offsets run from %llu to %llu instead of 0 to %llu, "
                             "section '%s'",
                             name, (unsigned long long)first, (unsigned long long)last,
                             (unsigned long long)want, SECS[offs[i]].name);
        }
    }
    const char *langs = (const char *)base + h->sec[PT__SEC_LANGS].off;
    if (!split_strings(langs, h->sec[PT__SEC_LANGS].len, h->n_langs, NULL) || langs[0] != '\0') {
        return pt__error(ctx, PT_ESTORE,
                         "%s: expected %u NUL-terminated language tags, the first empty, "
                         "section 'langs'",
                         name, h->n_langs);
    }
    const char *b = (const char *)base + h->sec[PT__SEC_BASE].off;
    uint64_t blen = h->sec[PT__SEC_BASE].len;
    if (blen > 0 && !split_strings(b, blen, 1, NULL)) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: base IRI is not one NUL-terminated string, "
                         "section 'base'",
                         name);
    }
    const char *px = (const char *)base + h->sec[PT__SEC_PREFIXES].off;
    if (h->n_prefixes > h->sec[PT__SEC_PREFIXES].len / 2 ||
        !split_strings(px, h->sec[PT__SEC_PREFIXES].len, 2 * h->n_prefixes, NULL)) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: expected %llu prefix name/IRI pairs, section 'prefixes'", name,
                         (unsigned long long)h->n_prefixes);
    }
    if (h->n_vecs > 0) {
        /* The first and last records: in range, the data starting at 0 and ending at the
         * section's end. The rest are bounds-checked as they are read (and all by verify). */
        const pt__vrec *rec = (const pt__vrec *)(base + h->sec[PT__SEC_VEC_TABLE].off);
        const pt__vrec *ends[2] = {&rec[0], &rec[h->n_vecs - 1]};
        for (int i = 0; i < 2; i++) {
            const pt__vrec *r = ends[i];
            if (r->node >= h->n_nodes || r->pred >= h->n_nodes || r->dim == 0 ||
                r->dim > PT_VEC_MAX_DIM || r->off > h->n_floats ||
                r->dim > h->n_floats - r->off || (i == 0 && r->off != 0) ||
                (i == 1 && r->off + r->dim != h->n_floats)) {
                return pt__error(ctx, PT_ESTORE,
                                 "%s: %s vector record (node %u, predicate %u, dimension %u, "
                                 "offset %llu) does not fit %u nodes and %llu floats, section "
                                 "'vec_table'",
                                 name, i == 0 ? "first" : "last", r->node, r->pred, r->dim,
                                 (unsigned long long)r->off, h->n_nodes,
                                 (unsigned long long)h->n_floats);
            }
        }
    }
    return PT_OK;
}

/* Read the first page of `fd` and check it as a header, after checking the file's size.
 * `size` receives the file size. Returns PT_OK, PT_ESTORE or PT_EIO. */
static int load_header(pt_ctx *ctx, int fd, const char *name, hdr *h, uint64_t *size) {
    struct stat st;
    uint8_t page[PT__SEG_PAGE];
    if (!host_is_le()) {
        return pt__error(ctx, PT_EUNSUPPORTED,
                         "%s: segments are little-endian and this host is big-endian", name);
    }
    if (fstat(fd, &st) != 0) {
        return pt__error(ctx, PT_EIO, "%s: cannot stat: %s", name, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return pt__error(ctx, PT_ESTORE, "%s: not a regular file", name);
    }
    *size = (uint64_t)st.st_size;
    size_t want = *size < PT__SEG_PAGE ? (size_t)*size : PT__SEG_PAGE;
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(fd, page + got, want - got, (off_t)got);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return pt__error(ctx, PT_EIO, "%s: cannot read the header: %s", name,
                             k < 0 ? strerror(errno) : "unexpected end of file");
        }
        got += (size_t)k;
    }
    if (got >= 8 && memcmp(page, PT__SEG_MAGIC, 8) != 0) {
        return pt__error(ctx, PT_ESTORE, "%s: not a Portrait graph segment (bad magic)", name);
    }
    if (got < PT__SEG_PAGE) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: truncated: %llu bytes, less than the %u-byte header, section "
                         "'header'",
                         name, (unsigned long long)*size, PT__SEG_PAGE);
    }
    return read_header(ctx, name, page, *size, h);
}

/* --- mapping -------------------------------------------------------------------------------- */

static int check_nodes(pt_ctx *ctx, const char *name, const uint8_t *base, const hdr *h);

/* Point the arrays of the empty shell `g` into the mapping at `base`, described by `h`.
 * Allocates only the language table. Returns PT_OK or PT_ENOMEM. */
static int attach(pt_ctx *ctx, pt_graph *g, uint8_t *base, const hdr *h) {
#define AT(id) ((void *)(base + h->sec[id].off))
    g->n_nodes = h->n_nodes;
    g->n_pool_nodes = h->n_nodes;
    g->node_cap = h->n_nodes;
    g->pool = AT(PT__SEC_POOL);
    g->pool_len = h->pool_len;
    g->node_off = AT(PT__SEC_NODE_OFF);
    g->node_class = AT(PT__SEC_NODE_CLASS);
    g->node_role = AT(PT__SEC_NODE_ROLE);
    if (h->slots != 0) {
        g->hash = AT(PT__SEC_HASH);
        g->hash_mask = h->slots - 1;
        g->hash_used = h->hash_used;
    }
    g->n_csr_nodes = h->n_nodes;
    g->n_csr_edges = h->n_edges;
    g->out_off = AT(PT__SEC_OUT_OFF);
    g->out_dst = AT(PT__SEC_OUT_DST);
    g->out_pred = AT(PT__SEC_OUT_PRED);
    g->weight = AT(PT__SEC_WEIGHT);
    g->time = AT(PT__SEC_TIME);
    g->in_off = AT(PT__SEC_IN_OFF);
    g->in_src = AT(PT__SEC_IN_SRC);
    g->in_pred = AT(PT__SEC_IN_PRED);
    g->n_csr_lits = h->n_lits;
    g->lit_off = AT(PT__SEC_LIT_OFF);
    g->lit_pred = AT(PT__SEC_LIT_PRED);
    g->lit_str = AT(PT__SEC_LIT_STR);
    g->lit_dt = AT(PT__SEC_LIT_DT);
    g->lit_lang = AT(PT__SEC_LIT_LANG);
    g->id_type = h->id_type;

    /* Small tables: pointers into the mapping, the pointer arrays in the graph's arena. */
    char **langs = pt__arena_alloc(&g->arena, (size_t)h->n_langs * sizeof(char *), sizeof(char *));
    char **names =
        pt__arena_alloc(&g->arena, (size_t)(h->n_prefixes + 1) * sizeof(char *), sizeof(char *));
    char **iris =
        pt__arena_alloc(&g->arena, (size_t)(h->n_prefixes + 1) * sizeof(char *), sizeof(char *));
    const char **pairs = pt__malloc(ctx, (size_t)(2 * h->n_prefixes + 1) * sizeof(char *));
    if (langs == NULL || names == NULL || iris == NULL || pairs == NULL) {
        pt__free(ctx, pairs);
        return pt__error(ctx, PT_ENOMEM, "out of memory mapping a segment");
    }
    split_strings(AT(PT__SEC_LANGS), h->sec[PT__SEC_LANGS].len, h->n_langs, (const char **)langs);
    g->langs = langs;
    g->n_langs = (uint16_t)h->n_langs;
    g->langs_cap = h->n_langs;
    split_strings(AT(PT__SEC_PREFIXES), h->sec[PT__SEC_PREFIXES].len, 2 * h->n_prefixes, pairs);
    for (uint64_t i = 0; i < h->n_prefixes; i++) {
        names[i] = (char *)pairs[2 * i];
        iris[i] = (char *)pairs[2 * i + 1];
    }
    pt__free(ctx, pairs);
    g->prefix_name = names;
    g->prefix_iri = iris;
    g->n_prefixes = (size_t)h->n_prefixes;
    g->base = h->sec[PT__SEC_BASE].len > 0 ? (char *)AT(PT__SEC_BASE) : NULL;
    if (h->n_vecs > 0 && pt__vecs_attach(ctx, AT(PT__SEC_VEC_TABLE), h->n_vecs,
                                         AT(PT__SEC_VEC_DATA), h->n_floats, h->n_nodes,
                                         &g->vecs) != PT_OK) {
        return pt__error(ctx, PT_ENOMEM, "out of memory mapping a segment");
    }
#undef AT
    return PT_OK;
}

int pt__segment_map(pt_ctx *ctx, int fd, const char *name, pt_graph **out, pt__seg_info *info) {
    int rc = PT_OK;
    hdr h;
    uint64_t size = 0;
    uint8_t *base = NULL;
    pt_graph *g = NULL;

    *out = NULL;
    PT_TRY(load_header(ctx, fd, name, &h, &size));
    PT_TRY(check_counts(ctx, name, &h));
    if (size > SIZE_MAX) {
        rc = pt__error(ctx, PT_ELIMIT, "%s: too large to map on this host", name);
        goto done;
    }
    /* Private and writable: the graph updates weights, times and the hash in place after
     * appends, and those writes must never reach the file. */
    void *m = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        int err = errno;
        rc = pt__error(ctx, err == ENOMEM ? PT_ENOMEM : PT_EIO, "%s: cannot map: %s", name,
                       strerror(err));
        goto done;
    }
    base = m;
    PT_TRY(check_ends(ctx, name, base, &h));
    PT_TRY(pt__graph_shell(ctx, &g));
    g->map_base = base;
    g->map_len = (size_t)size;
    base = NULL; /* the graph owns the mapping from here on */
    PT_TRY(attach(ctx, g, g->map_base, &h));
    uint64_t probe = pt__term_hash(PROBE_IRI, strlen(PROBE_IRI), PT_TERM_IRI);
    if (g->n_nodes > 0 && (h.slots == 0 || h.probe != probe)) {
        /* No hash in the file, or one made by a different hash function: build one, after
         * making sure that every node string it will read is inside the pool. */
        PT_TRY(check_nodes(ctx, name, g->map_base, &h));
        g->hash = NULL;
        g->hash_mask = 0;
        g->hash_used = 0;
        PT_TRY(pt__graph_build_hash(g));
    }
    if (info != NULL) {
        info->generation = h.generation;
        info->file_len = h.file_len;
        info->header_crc = h.crc;
    }
    *out = g;
    g = NULL;
done:
    if (base != NULL) {
        munmap(base, (size_t)size);
    }
    pt_graph_free(g);
    return rc;
}

/* --- verifying ------------------------------------------------------------------------------ */

/* Check that the offset array of section `id` (n + 1 entries) never decreases and stays within
 * `m`. The ends were checked by check_ends. */
static int check_offsets(pt_ctx *ctx, const char *name, const uint8_t *base, const hdr *h, int id) {
    const uint64_t *o = (const uint64_t *)(base + h->sec[id].off);
    uint64_t m = id == PT__SEC_LIT_OFF ? h->n_lits : h->n_edges;
    for (uint64_t v = 0; v < h->n_nodes; v++) {
        if (o[v] > o[v + 1] || o[v + 1] > m) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: offsets of node %llu decrease or pass %llu, section '%s'", name,
                             (unsigned long long)v, (unsigned long long)m, SECS[id].name);
        }
    }
    return PT_OK;
}

/* Check that every id in the u32 section `id` is a node (or PT_NONE where `none_ok`). */
static int check_ids(pt_ctx *ctx, const char *name, const uint8_t *base, const hdr *h, int id,
                     int none_ok) {
    const uint32_t *a = (const uint32_t *)(base + h->sec[id].off);
    uint64_t count = h->sec[id].len / 4;
    for (uint64_t i = 0; i < count; i++) {
        if (a[i] >= h->n_nodes && !(none_ok && a[i] == PT_NONE)) {
            return pt__error(ctx, PT_ESTORE, "%s: entry %llu is %u, not a node id, section '%s'",
                             name, (unsigned long long)i, a[i], SECS[id].name);
        }
    }
    return PT_OK;
}

/* Check that every node's string starts inside the pool with a kind byte ('I' or 'B'), and
 * that classes and roles are in range. The pool ends in NUL (check_ends), so a string that
 * starts inside it ends inside it. O(n); open runs it only before rebuilding the hash. */
static int check_nodes(pt_ctx *ctx, const char *name, const uint8_t *base, const hdr *h) {
    const char *pool = (const char *)(base + h->sec[PT__SEC_POOL].off);
    const uint64_t *node_off = (const uint64_t *)(base + h->sec[PT__SEC_NODE_OFF].off);
    const uint8_t *cls = base + h->sec[PT__SEC_NODE_CLASS].off;
    const uint8_t *role = base + h->sec[PT__SEC_NODE_ROLE].off;
    for (uint32_t v = 0; v < h->n_nodes; v++) {
        if (h->pool_len < 2 || node_off[v] > h->pool_len - 2 ||
            (pool[node_off[v]] != 'I' && pool[node_off[v]] != 'B')) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: node %u has no string in the pool, section "
                             "'node_off'",
                             name, v);
        }
        if (cls[v] >= PT_CLASS_COUNT_ || role[v] >= PT_ROLE_COUNT_) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: node %u has class %u and role %u, section "
                             "'%s'",
                             name, v, cls[v], role[v],
                             cls[v] >= PT_CLASS_COUNT_ ? "node_class" : "node_role");
        }
    }
    return PT_OK;
}

/* Check every vector record: ids are nodes, the dimension in 1..PT_VEC_MAX_DIM, the reserved
 * word zero, records strictly increasing by (pred, node), floats packed in record order (each
 * offset the sum of the dimensions before it, the last ending at the data's end), and every
 * float finite. */
static int check_vectors(pt_ctx *ctx, const char *name, const uint8_t *base, const hdr *h) {
    const pt__vrec *rec = (const pt__vrec *)(base + h->sec[PT__SEC_VEC_TABLE].off);
    uint64_t at = 0;
    for (uint64_t i = 0; i < h->n_vecs; i++) {
        const pt__vrec *r = &rec[i];
        const char *why = NULL;
        if (r->node >= h->n_nodes || r->pred >= h->n_nodes) {
            why = "an id that is not a node";
        } else if (r->dim == 0 || r->dim > PT_VEC_MAX_DIM) {
            why = "a dimension out of range";
        } else if (r->zero != 0) {
            why = "a non-zero reserved word";
        } else if (r->off != at || r->dim > h->n_floats - at) {
            why = "an offset that does not follow the previous vector";
        } else if (i > 0 && (rec[i - 1].pred > r->pred ||
                             (rec[i - 1].pred == r->pred && rec[i - 1].node >= r->node))) {
            why = "a (predicate, node) not after the previous record's";
        }
        if (why != NULL) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: vector record %llu (node %u, predicate %u, dimension %u, "
                             "offset %llu) has %s, section 'vec_table'",
                             name, (unsigned long long)i, r->node, r->pred, r->dim,
                             (unsigned long long)r->off, why);
        }
        at += r->dim;
    }
    if (at != h->n_floats) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: vector records cover %llu of %llu floats, section 'vec_data'", name,
                         (unsigned long long)at, (unsigned long long)h->n_floats);
    }
    const float *data = (const float *)(base + h->sec[PT__SEC_VEC_DATA].off);
    for (uint64_t i = 0; i < h->n_floats; i++) {
        if (!isfinite(data[i])) {
            return pt__error(ctx, PT_ESTORE, "%s: float %llu is not finite, section 'vec_data'",
                             name, (unsigned long long)i);
        }
    }
    return PT_OK;
}

/* Check the bodies that readers trust without looking: node strings and classes
 * (check_nodes), hash slots in range and counted right, offsets, ids, literal strings and
 * language indices in range. */
static int check_bodies(pt_ctx *ctx, const char *name, const uint8_t *base, const hdr *h) {
    int rc = PT_OK;
    PT_TRY(check_nodes(ctx, name, base, h));
    const pt__slot *hash = (const pt__slot *)(base + h->sec[PT__SEC_HASH].off);
    uint64_t used = 0;
    for (uint64_t i = 0; i < h->slots; i++) {
        uint32_t id1 = (uint32_t)hash[i];
        if (hash[i] != 0) {
            /* Lookups stop only at a zero slot, so every non-zero slot counts as used. */
            if (id1 == 0 || id1 > h->n_nodes) {
                return pt__error(ctx, PT_ESTORE,
                                 "%s: slot %llu is neither empty nor one of the "
                                 "%u nodes, section 'hash'",
                                 name, (unsigned long long)i, h->n_nodes);
            }
            used++;
        }
    }
    if (used != h->hash_used) {
        return pt__error(ctx, PT_ESTORE,
                         "%s: %llu slots in use, header says %llu, section "
                         "'hash'",
                         name, (unsigned long long)used, (unsigned long long)h->hash_used);
    }
    PT_TRY(check_offsets(ctx, name, base, h, PT__SEC_OUT_OFF));
    PT_TRY(check_offsets(ctx, name, base, h, PT__SEC_IN_OFF));
    PT_TRY(check_offsets(ctx, name, base, h, PT__SEC_LIT_OFF));
    PT_TRY(check_ids(ctx, name, base, h, PT__SEC_OUT_DST, 0));
    PT_TRY(check_ids(ctx, name, base, h, PT__SEC_OUT_PRED, 0));
    PT_TRY(check_ids(ctx, name, base, h, PT__SEC_IN_SRC, 0));
    PT_TRY(check_ids(ctx, name, base, h, PT__SEC_IN_PRED, 0));
    PT_TRY(check_ids(ctx, name, base, h, PT__SEC_LIT_PRED, 0));
    PT_TRY(check_ids(ctx, name, base, h, PT__SEC_LIT_DT, 1));
    const uint64_t *lit_str = (const uint64_t *)(base + h->sec[PT__SEC_LIT_STR].off);
    const uint16_t *lit_lang = (const uint16_t *)(base + h->sec[PT__SEC_LIT_LANG].off);
    for (uint64_t i = 0; i < h->n_lits; i++) {
        if (lit_str[i] >= h->pool_len) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: literal %llu starts outside the pool, section "
                             "'lit_str'",
                             name, (unsigned long long)i);
        }
        if (lit_lang[i] >= h->n_langs) {
            return pt__error(ctx, PT_ESTORE,
                             "%s: literal %llu has language %u of %u, section "
                             "'lit_lang'",
                             name, (unsigned long long)i, lit_lang[i], h->n_langs);
        }
    }
    PT_TRY(check_vectors(ctx, name, base, h));
done:
    return rc;
}

/* Check that the bytes [from, to) of `base` are zero (padding between sections). */
static int zero_gap(const uint8_t *base, uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; i++) {
        if (base[i] != 0) {
            return 0;
        }
    }
    return 1;
}

int pt__segment_verify(pt_ctx *ctx, int fd, const char *name, pt__seg_info *info) {
    int rc = PT_OK;
    hdr h;
    uint64_t size = 0;
    void *m = MAP_FAILED;

    PT_TRY(load_header(ctx, fd, name, &h, &size));
    PT_TRY(check_counts(ctx, name, &h));
    if (size > SIZE_MAX) {
        rc = pt__error(ctx, PT_ELIMIT, "%s: too large to map on this host", name);
        goto done;
    }
    m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        rc = pt__error(ctx, PT_EIO, "%s: cannot map: %s", name, strerror(errno));
        goto done;
    }
    const uint8_t *base = m;
#ifdef MADV_SEQUENTIAL
    madvise(m, (size_t)size, MADV_SEQUENTIAL);
#endif
    int reserved = 0;
    for (int id = 1; id <= h.n_sect; id++) {
        reserved |= get32(base, H_TABLE + (size_t)(id - 1) * ENTRY + 28) != 0;
    }
    if (reserved || !zero_gap(base, h.version >= 2 ? H_N_VECS + 8 : H_CREATED + 8, H_TABLE) ||
        !zero_gap(base, H_TABLE + (uint64_t)h.n_sect * ENTRY, H_CRC)) {
        rc = pt__error(ctx, PT_ESTORE,
                       "%s: reserved header bytes are not zero, section "
                       "'header'",
                       name);
        goto done;
    }
    uint64_t prev_end = PT__SEG_PAGE;
    for (int id = 1; id <= h.n_sect; id++) {
        const sect *s = &h.sec[id];
        if (!zero_gap(base, prev_end, s->off)) {
            rc = pt__error(ctx, PT_ESTORE,
                           "%s: padding before the section is not zero, "
                           "section '%s'",
                           name, SECS[id].name);
            goto done;
        }
        uint32_t crc = pt__crc32(0, base + s->off, (size_t)s->len);
        if (crc != s->crc) {
            rc = pt__error(ctx, PT_ESTORE,
                           "%s: checksum mismatch (stored 0x%08x, computed 0x%08x), "
                           "section '%s'",
                           name, s->crc, crc, SECS[id].name);
            goto done;
        }
        prev_end = s->off + s->len;
    }
    if (!zero_gap(base, prev_end, size)) {
        rc = pt__error(ctx, PT_ESTORE, "%s: padding after the last section is not zero", name);
        goto done;
    }
    PT_TRY(check_ends(ctx, name, base, &h));
    PT_TRY(check_bodies(ctx, name, base, &h));
    if (info != NULL) {
        info->generation = h.generation;
        info->file_len = h.file_len;
        info->header_crc = h.crc;
    }
done:
    if (m != MAP_FAILED) {
        munmap(m, (size_t)size);
    }
    return rc;
}
