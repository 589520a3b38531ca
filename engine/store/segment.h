/*
 * segment.h - graph segment files, for the store (store.c), its tests and the fuzz harness.
 * Not installed.
 *
 * A segment is one immutable file holding every array of a struct pt_graph, laid out so that a
 * graph opens by mapping the file and pointing its arrays into the mapping: a 4 KiB header page
 * (magic, format version, counts, a table of sections with their CRC-32, and a CRC of the header
 * itself), then one section per array, each starting on a 4 KiB boundary. docs/STORE.md gives
 * the format byte by byte; the constants below are the ones it documents.
 *
 * Three operations: write a graph to an open file descriptor (pt__segment_write), map a file
 * into a new graph after the cheap checks (pt__segment_map), and check every byte of a file
 * (pt__segment_verify). Every error message starts with the segment's display name.
 */
#ifndef PT_SEGMENT_H
#define PT_SEGMENT_H

#include "graph/graph.h"

#define PT__SEG_MAGIC "PTGRAPH"    /* 7 characters and the NUL: 8 bytes */
#define PT__SEG_VERSION 2u         /* the format this build writes and the newest it reads; it
                                    * also reads version 1 (no vector sections) */
#define PT__SEG_PAGE 4096u         /* header size and section alignment */
#define PT__SEG_ENDIAN 0x0A0B0C0Du /* stored as 0D 0C 0B 0A by a little-endian writer */

/* Section ids, in file order. The id is stored in the section table; never renumber. */
enum pt__sec {
    PT__SEC_POOL = 1,
    PT__SEC_NODE_OFF,
    PT__SEC_NODE_CLASS,
    PT__SEC_NODE_ROLE,
    PT__SEC_HASH,
    PT__SEC_OUT_OFF,
    PT__SEC_OUT_DST,
    PT__SEC_OUT_PRED,
    PT__SEC_WEIGHT,
    PT__SEC_TIME,
    PT__SEC_IN_OFF,
    PT__SEC_IN_SRC,
    PT__SEC_IN_PRED,
    PT__SEC_LIT_OFF,
    PT__SEC_LIT_PRED,
    PT__SEC_LIT_STR,
    PT__SEC_LIT_DT,
    PT__SEC_LIT_LANG,
    PT__SEC_LANGS,
    PT__SEC_BASE,
    PT__SEC_PREFIXES,
    PT__SEC_COUNT_V1 = PT__SEC_PREFIXES, /* sections of a version-1 segment */
    PT__SEC_VEC_TABLE,                   /* version 2: pt__vrec records, by (pred, node) */
    PT__SEC_VEC_DATA,                    /* version 2: their floats, packed in record order */
    PT__SEC_COUNT = PT__SEC_VEC_DATA     /* sections of the version this build writes */
};

/* What a segment's header says about the file, as far as the store needs it. */
typedef struct pt__seg_info {
    uint64_t generation; /* generation written in the header */
    uint64_t file_len;   /* bytes, a multiple of PT__SEG_PAGE */
    uint32_t header_crc; /* CRC-32 of the header page; the manifest records it */
} pt__seg_info;

/* Return the name of section `id` ("out_dst"), or "?" for an id outside 1..PT__SEC_COUNT. */
const char *pt__segment_section_name(int id);

/* Write `g` as a segment of generation `generation` to `fd`, an empty file open for writing,
 * in large buffered writes; `name` is used in messages. A graph with appended edges or
 * literals is compacted first (pt_graph_compact); appended nodes are written into the pool.
 * The file is not fsynced: the caller does that. Fills `*info` on success.
 * Returns PT_OK, PT_EFULL (ENOSPC, EDQUOT, EROFS, EACCES, EPERM), PT_EIO, PT_ENOMEM, or
 * PT_EUNSUPPORTED on a big-endian host. */
int pt__segment_write(pt_ctx *ctx, pt_graph *g, int fd, const char *name, uint64_t generation,
                      pt__seg_info *info);

/* Map the segment open on `fd` (the descriptor may be closed afterwards) and make a graph
 * whose arrays point into the mapping. Checks the header, its checksum, the section table and
 * that every section's length agrees with the counts; does not read the sections' bodies
 * (beyond the ends of the offset arrays and the first and last vector record), so it costs a
 * few page faults whatever the graph's size. Vectors are read in place (struct pt__vecs). Returns PT_OK with `*out` set,
 * PT_ESTORE with "<name>: <what>, section '<section>'" in the message, PT_EIO or PT_ENOMEM. */
int pt__segment_map(pt_ctx *ctx, int fd, const char *name, pt_graph **out, pt__seg_info *info);

/* Read the whole segment open on `fd`: the checks of pt__segment_map, the CRC of every section,
 * zero padding, and the structural facts that reading functions rely on (offsets monotone and
 * ending at the counts, node and literal ids in range, strings inside the pool, the hash's
 * slots in range with at least one empty; every vector record's ids, dimension and offset,
 * records sorted and floats packed and finite). Sorting and the in/out transpose are left to
 * pt__graph_check(). Fills `*info` when non-NULL. Returns PT_OK, PT_ESTORE or PT_EIO. */
int pt__segment_verify(pt_ctx *ctx, int fd, const char *name, pt__seg_info *info);

/* Make graph-<generation>.ptg, which must already be in the store directory `dir`, the current
 * segment in that store's manifest, recording its size and header checksum as found, without
 * validating it (so that tests and the fuzz harness can install damaged files). The manifest
 * must exist. Defined in store.c. Returns PT_OK, PT_EIO or PT_ESTORE. */
int pt__store_set_current(pt_ctx *ctx, const char *dir, uint64_t generation);

#endif /* PT_SEGMENT_H */
