/*
 * time.c - timestamps: event files give unix seconds or ISO-8601 dates; Portrait keeps seconds
 * since the epoch (int64, UTC). Calendar arithmetic uses the proleptic Gregorian days-from-civil
 * conversion (as in Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms"), written
 * here from the published derivation.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

/* Days since 1970-01-01 of the date y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The date of day `z` since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Read exactly `n` digits at s[*i] into *v; returns 1 on success. */
static int digits(const char *s, size_t len, size_t *i, int n, int *v) {
    int x = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9') {
            return 0;
        }
        x = x * 10 + (s[(*i)++] - '0');
    }
    *v = x;
    return 1;
}

int pt__parse_time(const char *s, size_t len, int64_t *out) {
    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    /* Unix seconds: an optional sign and up to 18 digits, nothing else. */
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    size_t nd = 0;
    while (i + nd < len && s[i + nd] >= '0' && s[i + nd] <= '9') {
        nd++;
    }
    if (nd > 0 && i + nd == len) {
        if (nd > 18) {
            return 0;
        }
        int64_t v = 0;
        for (size_t k = i; k < len; k++) {
            v = v * 10 + (s[k] - '0');
        }
        *out = neg ? -v : v;
        return 1;
    }
    /* ISO-8601: YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|(+|-)hh[:]mm] */
    int y, mo, d, h = 0, mi = 0, se = 0;
    i = 0;
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &mo) ||
        i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &d)) {
        return 0;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31) {
        return 0;
    }
    int64_t offset = 0;
    if (i < len && (s[i] == 'T' || s[i] == ' ')) {
        i++;
        if (!digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' ||
            !digits(s, len, &i, 2, &mi)) {
            return 0;
        }
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &se)) {
                return 0;
            }
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t f = i;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    i++;
                }
                if (i == f) {
                    return 0;
                }
            }
        }
        if (h > 24 || mi > 59 || se > 60) {
            return 0;
        }
        if (i < len && s[i] == 'Z') {
            i++;
        } else if (i < len && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
            if (!digits(s, len, &i, 2, &oh)) {
                return 0;
            }
            if (i < len && s[i] == ':') {
                i++;
            }
            if (i < len && !digits(s, len, &i, 2, &om)) {
                return 0;
            }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (i != len) {
        return 0;
    }
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
    return 1;
}

void pt__format_time(int64_t t, char *buf, size_t cap) {
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}
