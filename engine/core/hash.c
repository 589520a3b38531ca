/*
 * hash.c - the string hash behind term interning, and the checksum behind store segments.
 *
 * pt__hash folds 16 bytes per step through a 64x64->128-bit multiply, xoring the two halves
 * (the "multiply-fold" mixer that wyhash and others use): one multiply per 16 bytes, good
 * avalanche, no tables. IRIs share long prefixes, so every byte must count; the length is mixed
 * in so that prefixes of one another differ.
 */
#include <string.h>
#include <zlib.h>

#include "core/core.h"

#define K1 0x9E3779B97F4A7C15ull /* 2^64 / golden ratio */
#define K2 0xD6E8FEB86659FD93ull /* odd constants with well-spread bits */
#define K3 0xA0761D6478BD642Full

/* Multiply a by b as 128-bit and fold the halves together. */
static inline uint64_t fold(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Read 8 little-endian bytes (unaligned). */
static inline uint64_t rd64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Read the 1..7 bytes at p as a little-endian number. */
static inline uint64_t rd_tail(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    memcpy(&v, p, n);
    return v;
}

uint64_t pt__hash(const void *data, size_t len, uint64_t seed) {
    const uint8_t *p = data;
    uint64_t h = seed ^ fold(seed ^ K1, (uint64_t)len ^ K2);
    size_t n = len;
    while (n >= 16) {
        h = fold(rd64(p) ^ K1, rd64(p + 8) ^ h ^ K3);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        a = rd64(p);
        b = rd_tail(p + 8, n - 8);
    } else if (n > 0) {
        a = rd_tail(p, n);
    }
    h = fold(a ^ K1 ^ h, b ^ K2 ^ (uint64_t)len);
    return fold(h ^ K3, h ^ K1);
}

uint32_t pt__crc32(uint32_t crc, const void *data, size_t len) {
    const Bytef *p = data;
    uLong c = crc;
    while (len > 0) {
        uInt chunk = len > (size_t)1 << 30 ? (uInt)1 << 30 : (uInt)len;
        c = crc32(c, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (uint32_t)c;
}
