/*
 * reader.c - buffered input over zlib's gz* functions, which read gzip files and pass plain
 * files through unchanged, so every importer takes ".gz" for free.
 *
 * The buffer starts at 1 MiB and doubles for longer lines up to the limit. Lines are handed out
 * in place (no copy); the unread rest of the buffer moves to the front before each refill.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/reader.h"

struct pt__reader {
    pt_ctx *ctx;
    gzFile gz;
    char *path;
    char *buf;
    size_t cap, start, end; /* unread bytes are buf[start..end) */
    size_t max_line;
    int eof;
    uint64_t lineno;
    uint64_t bytes;
    uint64_t file_size;
};

int pt__reader_open(pt_ctx *ctx, const char *path, pt__reader **out) {
    *out = NULL;
    pt__reader *r = pt__calloc(ctx, 1, sizeof *r);
    if (r == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory opening %s", path);
    }
    r->ctx = ctx;
    r->max_line = (size_t)64 << 20;
    r->path = pt__strdup(ctx, path);
    r->cap = (size_t)1 << 20;
    r->buf = pt__malloc(ctx, r->cap + 1);
    if (r->path == NULL || r->buf == NULL) {
        pt__reader_close(r);
        return pt__error(ctx, PT_ENOMEM, "out of memory opening %s", path);
    }
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        pt__reader_close(r);
        return pt__error(ctx, PT_EIO, "%s: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            pt__reader_close(r);
            return pt__error(ctx, PT_EIO, "%s: is a directory", path);
        }
        if (S_ISREG(st.st_mode)) {
            r->file_size = (uint64_t)st.st_size;
        }
    }
    r->gz = gzdopen(fd, "rb");
    if (r->gz == NULL) {
        close(fd);
        pt__reader_close(r);
        return pt__error(ctx, PT_ENOMEM, "%s: cannot start decompression", path);
    }
    gzbuffer(r->gz, 256 * 1024);
    *out = r;
    return PT_OK;
}

/* Read up to `cap` (<= 1 GiB) bytes through zlib into `buf`, counting them; at the end of input
 * set eof. Returns the bytes read, 0 at the end, or PT_EIO with the reason. */
static long gz_read(pt__reader *r, void *buf, size_t cap) {
    int n = gzread(r->gz, buf, (unsigned)cap);
    if (n < 0) {
        int zerr;
        const char *msg = gzerror(r->gz, &zerr);
        return pt__error(r->ctx, PT_EIO, "%s: read error: %s", r->path,
                         zerr == Z_ERRNO ? strerror(errno) : msg);
    }
    if (n == 0) {
        int zerr;
        gzerror(r->gz, &zerr);
        if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
            return pt__error(r->ctx, PT_EIO, "%s: corrupt compressed data", r->path);
        }
        r->eof = 1;
    }
    r->bytes += (uint64_t)n;
    return n;
}

/* Refill: move unread bytes to the front, grow when the buffer is full, read more.
 * Returns bytes added (0 at EOF) or a negative code. */
static long refill(pt__reader *r) {
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap) {
        if (r->cap >= r->max_line) {
            return pt__error(r->ctx, PT_ELIMIT, "%s:%llu: line longer than %zu bytes", r->path,
                             (unsigned long long)r->lineno + 1, r->max_line);
        }
        size_t ncap = r->cap * 2 > r->max_line ? r->max_line : r->cap * 2;
        char *nb = pt__realloc(r->ctx, r->buf, ncap + 1);
        if (nb == NULL) {
            return pt__error(r->ctx, PT_ENOMEM, "%s: out of memory", r->path);
        }
        r->buf = nb;
        r->cap = ncap;
    }
    size_t want = r->cap - r->end;
    if (want > (size_t)1 << 30) {
        want = (size_t)1 << 30;
    }
    long n = gz_read(r, r->buf + r->end, want);
    if (n < 0) {
        return n;
    }
    r->end += (size_t)n;
    return n;
}

int pt__reader_line(pt__reader *r, const char **line, size_t *len) {
    for (;;) {
        char *p = r->start < r->end ? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
        if (p != NULL) {
            *line = r->buf + r->start;
            *len = (size_t)(p - *line);
            *p = '\0';
            r->start = (size_t)(p - r->buf) + 1;
            r->lineno++;
            return 1;
        }
        if (r->eof) {
            if (r->start < r->end) {
                *line = r->buf + r->start;
                *len = r->end - r->start;
                r->buf[r->end] = '\0';
                r->start = r->end;
                r->lineno++;
                return 1;
            }
            return 0;
        }
        long n = refill(r);
        if (n < 0) {
            return (int)n;
        }
    }
}

long pt__reader_read(pt__reader *r, void *buf, size_t cap) {
    /* Serve what a line read left over first, then read straight through. */
    if (r->start < r->end) {
        size_t n = r->end - r->start < cap ? r->end - r->start : cap;
        memcpy(buf, r->buf + r->start, n);
        r->start += n;
        return (long)n;
    }
    if (r->eof || cap == 0) {
        return 0;
    }
    if (cap > (size_t)1 << 30) {
        cap = (size_t)1 << 30;
    }
    return gz_read(r, buf, cap);
}

uint64_t pt__reader_lineno(const pt__reader *r) {
    return r->lineno;
}

uint64_t pt__reader_bytes(const pt__reader *r) {
    return r->bytes;
}

uint64_t pt__reader_file_size(const pt__reader *r) {
    return r->file_size;
}

const char *pt__reader_path(const pt__reader *r) {
    return r->path;
}

void pt__reader_set_limit(pt__reader *r, size_t max_line) {
    r->max_line = max_line < 1024 ? 1024 : max_line;
}

void pt__reader_close(pt__reader *r) {
    if (r == NULL) {
        return;
    }
    if (r->gz != NULL) {
        gzclose(r->gz);
    }
    pt__free(r->ctx, r->buf);
    pt__free(r->ctx, r->path);
    pt__free(r->ctx, r);
}
