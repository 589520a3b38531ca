/*
 * reader.h - buffered input for the importers: plain or gzip-compressed files (zlib detects the
 * format), or standard input for "-", read as lines or as raw chunks.
 *
 * Lines are returned in place, in the reader's buffer, without the trailing "\n" (a "\r" before
 * it is kept: CSV needs to see it). A line is borrowed: valid until the next call. Lines longer
 * than the limit (default 64 MiB) fail with PT_ELIMIT naming file:line.
 */
#ifndef PT_READER_H
#define PT_READER_H

#include "core/core.h"

typedef struct pt__reader pt__reader;

/* Open `path` ("-" = stdin). PT_EIO with "path: reason" when it cannot be opened. */
int pt__reader_open(pt_ctx *ctx, const char *path, pt__reader **out);

/* Next line: 1 and (*line, *len); 0 at end of input; negative code on error (message set). */
int pt__reader_line(pt__reader *r, const char **line, size_t *len);

/* Next raw chunk of at most `cap` bytes into `buf`: bytes read (0 at end) or a negative code.
 * Do not mix with pt__reader_line on one reader. */
long pt__reader_read(pt__reader *r, void *buf, size_t cap);

/* 1-based number of the line last returned (0 before the first). */
uint64_t pt__reader_lineno(const pt__reader *r);

/* Uncompressed bytes consumed so far. */
uint64_t pt__reader_bytes(const pt__reader *r);

/* Compressed size of the file (for progress), or 0 when unknown (stdin). */
uint64_t pt__reader_file_size(const pt__reader *r);

/* The path given to open. */
const char *pt__reader_path(const pt__reader *r);

/* Set the longest accepted line (bytes). */
void pt__reader_set_limit(pt__reader *r, size_t max_line);

/* Close (NULL is a no-op). */
void pt__reader_close(pt__reader *r);

#endif /* PT_READER_H */
