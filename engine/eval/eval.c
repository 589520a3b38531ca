/*
 * eval.c - offline evaluation: splits of the behaviour events into train and test, the training
 * graph, RecBole's ranking metrics, threaded runs over every test user, and grid tuning on a
 * validation split carved from the training part.
 *
 * Where it sits: after import (the store's graph holds every event as a user -action-> item
 * edge) and beside the walk engine (pt_walk.h), which it drives exactly as a caller would:
 * pt_recommender_new() over the training graph, one pt_rec_scratch per thread, pt_recommend()
 * with include_seen = 0. The built-in MostPopular scorer (PT_EVAL_MOSTPOP) reproduces the
 * reference baseline of ../shared/data/REFERENCE.md and needs no recommender.
 *
 * The protocols and formulas are documented for users in docs/EVAL.md; the metric definitions
 * follow RecBole's recbole.evaluator.metrics (Hit, NDCG, Recall, MRR, Precision, ItemCoverage,
 * GiniIndex, TailPercentage).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval/eval.h"

/* ==== types ================================================================================= */

struct pt_split {
    pt_ctx *ctx;
    pt_split_opts opts;
    uint64_t n;         /* interactions */
    pt_node_id *user;   /* [n] sorted by (user, item) */
    pt_node_id *item;   /* [n] */
    int64_t *time;      /* [n] */
    uint8_t *part;      /* [n] PT_PART_TRAIN / PT_PART_TEST */
    uint32_t n_users;
    pt_node_id *uid;    /* [n_users] ascending */
    uint64_t *uoff;     /* [n_users + 1] first row of each user */
    uint64_t n_test;
    uint32_t n_test_users;
};

struct pt_metric_acc {
    pt_ctx *ctx;
    uint32_t n_items;
    size_t n_ks;
    uint32_t ks[PT_EVAL_MAX_KS];
    uint32_t max_k;
    uint8_t *tail;      /* [n_items] */
    uint64_t *count;    /* [n_ks * n_items] times each item appears in a top K */
    double *disc;       /* [max_k] 1 / log2(rank + 1), rank 1-based */
    uint32_t *rel;      /* sorted copy of the current user's relevant items */
    uint64_t *sorted;   /* [n_items] scratch for the Gini index */
    size_t rel_cap;
    uint64_t n_users;
    double hit[PT_EVAL_MAX_KS], ndcg[PT_EVAL_MAX_KS], recall[PT_EVAL_MAX_KS];
    double mrr[PT_EVAL_MAX_KS], precision[PT_EVAL_MAX_KS], tailp[PT_EVAL_MAX_KS];
};

/* One raw interaction while a split is assembled. */
typedef struct row {
    pt_node_id user, item;
    int64_t time;
    uint8_t part;
} row;

/* ==== small helpers ======================================================================== */

int pt__eval_idcmp(const char *a, const char *b) {
    const char *x = a, *y = b;
    int digits = *x != '\0' && *y != '\0';
    for (const char *p = x; digits && *p; p++) {
        digits = isdigit((unsigned char)*p) != 0;
    }
    for (const char *p = y; digits && *p; p++) {
        digits = isdigit((unsigned char)*p) != 0;
    }
    if (digits) {
        /* Numeric order without overflow: skip leading zeros, then longer is larger. */
        while (*x == '0' && x[1] != '\0') {
            x++;
        }
        while (*y == '0' && y[1] != '\0') {
            y++;
        }
        size_t lx = strlen(x), ly = strlen(y);
        if (lx != ly) {
            return lx < ly ? -1 : 1;
        }
        int c = strcmp(x, y);
        if (c != 0) {
            return c;
        }
    }
    return strcmp(a, b);
}

uint64_t pt__eval_tie_hash(const pt_graph *g, pt_node_id user, pt_node_id item) {
    const char *u = pt_graph_node_str(g, user), *i = pt_graph_node_str(g, item);
    uint64_t h = pt__hash(u != NULL ? u : "", u != NULL ? strlen(u) : 0, 0x7e57ab1e5eedULL);
    return pt__hash(i != NULL ? i : "", i != NULL ? strlen(i) : 0, h);
}

/* One step of splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): advances `*s` and returns 64 well-mixed bits. */
static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Return a uniform integer in [0, bound) (bound >= 1) by rejection, so no value is favoured
 * by the modulo. */
static uint64_t uniform(uint64_t *s, uint64_t bound) {
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t x = splitmix(s);
        if (x >= threshold) {
            return x % bound;
        }
    }
}

/* Order rows by (user, item), then latest time first, so the first row of a pair is the one
 * to keep. */
static int cmp_row(const void *a, const void *b) {
    const row *x = a, *y = b;
    if (x->user != y->user) {
        return x->user < y->user ? -1 : 1;
    }
    if (x->item != y->item) {
        return x->item < y->item ? -1 : 1;
    }
    if (x->time != y->time) {
        return x->time > y->time ? -1 : 1;
    }
    return (int)y->part - (int)x->part;
}

/* Order 32-bit unsigned values ascending. */
static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Order 64-bit unsigned values ascending. */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Append a row to the growing array `*rows`; returns PT_OK or PT_ENOMEM. */
static int push_row(pt_ctx *ctx, row **rows, size_t *n, size_t *cap, row r) {
    if (*n == *cap && pt__grow(ctx, (void **)rows, cap, *n + 1, sizeof **rows) != PT_OK) {
        return PT_ENOMEM;
    }
    (*rows)[(*n)++] = r;
    return PT_OK;
}

/* ==== splits: assembly ===================================================================== */

void pt_split_opts_default(pt_split_opts *o) {
    o->kind = PT_SPLIT_LEAVE_LAST;
    o->test_frac = 0.2;
    o->seed = 42;
    o->min_interactions = 5;
}

int pt_split_opts_parse(pt_ctx *ctx, const char *spec, pt_split_opts *o) {
    if (spec == NULL || *spec == '\0') {
        return pt__error(ctx, PT_EINVAL, "split: empty name (leave-last-out or random:F)");
    }
    if (strcmp(spec, "leave-last-out") == 0 || strcmp(spec, "loo") == 0 ||
        strcmp(spec, "last") == 0) {
        o->kind = PT_SPLIT_LEAVE_LAST;
        return PT_OK;
    }
    if (strncmp(spec, "random", 6) == 0 && (spec[6] == '\0' || spec[6] == ':')) {
        double f = 0.2;
        if (spec[6] == ':') {
            char *end;
            errno = 0;
            f = strtod(spec + 7, &end);
            if (end == spec + 7 || *end != '\0' || errno != 0 || !(f > 0.0 && f < 1.0)) {
                return pt__error(ctx, PT_EINVAL,
                                 "split '%s': the test share must be a number in (0, 1)", spec);
            }
        }
        o->kind = PT_SPLIT_RANDOM;
        o->test_frac = f;
        return PT_OK;
    }
    return pt__error(ctx, PT_EINVAL,
                     "unknown split '%s' (leave-last-out, random or random:F)", spec);
}

/* Allocate an empty split for `ctx`. */
static pt_split *split_alloc(pt_ctx *ctx) {
    pt_split *s = pt__calloc(ctx, 1, sizeof *s);
    if (s != NULL) {
        s->ctx = ctx;
        pt_split_opts_default(&s->opts);
    }
    return s;
}

void pt_split_free(pt_split *s) {
    if (s == NULL) {
        return;
    }
    pt__free(s->ctx, s->user);
    pt__free(s->ctx, s->item);
    pt__free(s->ctx, s->time);
    pt__free(s->ctx, s->part);
    pt__free(s->ctx, s->uid);
    pt__free(s->ctx, s->uoff);
    pt__free(s->ctx, s);
}

/* Recount the test rows and test users of `s` after its parts changed. */
static void recount(pt_split *s) {
    s->n_test = 0;
    s->n_test_users = 0;
    for (uint32_t u = 0; u < s->n_users; u++) {
        uint64_t t = 0;
        for (uint64_t k = s->uoff[u]; k < s->uoff[u + 1]; k++) {
            t += s->part[k] == PT_PART_TEST;
        }
        s->n_test += t;
        s->n_test_users += t > 0;
    }
}

/*
 * Sort `rows`, fold repeated pairs into one row (the latest time; test wins over train, which
 * only happens for files), and move the result into the arrays of `s`. `*dups` (may be NULL)
 * counts the rows folded away. Returns PT_OK or PT_ENOMEM.
 */
static int split_fill(pt_split *s, row *rows, size_t n, uint64_t *dups) {
    pt_ctx *ctx = s->ctx;
    qsort(rows, n, sizeof *rows, cmp_row);
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (m > 0 && rows[m - 1].user == rows[k].user && rows[m - 1].item == rows[k].item) {
            if (rows[k].part == PT_PART_TEST) {
                rows[m - 1].part = PT_PART_TEST;
            }
            if (dups != NULL) {
                (*dups)++;
            }
            continue;
        }
        rows[m++] = rows[k];
    }
    uint32_t nu = 0;
    for (size_t k = 0; k < m; k++) {
        nu += k == 0 || rows[k].user != rows[k - 1].user;
    }
    size_t cap = m > 0 ? m : 1;
    s->user = pt__malloc(ctx, cap * sizeof *s->user);
    s->item = pt__malloc(ctx, cap * sizeof *s->item);
    s->time = pt__malloc(ctx, cap * sizeof *s->time);
    s->part = pt__malloc(ctx, cap);
    s->uid = pt__malloc(ctx, ((size_t)nu + 1) * sizeof *s->uid);
    s->uoff = pt__malloc(ctx, ((size_t)nu + 1) * sizeof *s->uoff);
    if (s->user == NULL || s->item == NULL || s->time == NULL || s->part == NULL ||
        s->uid == NULL || s->uoff == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory building a split");
    }
    s->n = m;
    s->n_users = 0;
    for (size_t k = 0; k < m; k++) {
        if (k == 0 || rows[k].user != rows[k - 1].user) {
            s->uid[s->n_users] = rows[k].user;
            s->uoff[s->n_users++] = k;
        }
        s->user[k] = rows[k].user;
        s->item[k] = rows[k].item;
        s->time[k] = rows[k].time;
        s->part[k] = rows[k].part;
    }
    s->uoff[s->n_users] = m;
    recount(s);
    return PT_OK;
}

/*
 * Collect every behaviour edge of `g` as a row (user = source, item = target, all train) into
 * `*out` (`*n` rows, caller frees). Returns PT_OK or PT_ENOMEM.
 */
static int collect(pt_ctx *ctx, const pt_graph *g, row **out, size_t *n) {
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    uint32_t nn = pt_graph_node_count(g);
    pt_edge_iter it;
    pt_edge e;
    for (uint32_t v = 0; v < nn; v++) {
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (!PT_ROLE_IS_BEHAVIOUR(pt_graph_pred_role(g, e.pred))) {
                continue;
            }
            row r = {e.src, e.dst, e.time, PT_PART_TRAIN};
            if (push_row(ctx, out, n, &cap, r) != PT_OK) {
                pt__free(ctx, *out);
                *out = NULL;
                return pt__error(ctx, PT_ENOMEM, "out of memory collecting interactions");
            }
        }
    }
    return PT_OK;
}

/* ==== splits: protocols ==================================================================== */

/* Leave-last-out: in every user with at least o->min_interactions rows, the latest row goes to
 * test; among rows of equal time the one with the smallest pt__eval_tie_hash(). */
static void assign_last(pt_split *s, const pt_graph *g, const pt_split_opts *o) {
    for (uint32_t u = 0; u < s->n_users; u++) {
        uint64_t lo = s->uoff[u], hi = s->uoff[u + 1];
        if (hi - lo < o->min_interactions || hi == lo) {
            continue;
        }
        uint64_t best = lo;
        uint64_t best_h = pt__eval_tie_hash(g, s->user[lo], s->item[lo]);
        for (uint64_t k = lo + 1; k < hi; k++) {
            if (s->time[k] < s->time[best]) {
                continue;
            }
            uint64_t h = pt__eval_tie_hash(g, s->user[k], s->item[k]);
            if (s->time[k] > s->time[best] || h < best_h) {
                best = k;
                best_h = h;
            }
        }
        s->part[best] = PT_PART_TEST;
    }
}

/* A row of the split and its item's IRI, for putting a user's rows in IRI order. */
typedef struct by_str {
    uint64_t row;
    const char *str;
} by_str;

/* Order rows by their item's string (byte order), so a user's draw does not depend on ids. */
static int cmp_by_str(const void *a, const void *b) {
    const by_str *x = a, *y = b;
    return strcmp(x->str, y->str);
}

/*
 * Random: every user with at least o->min_interactions rows gives m = round(frac * n) of them
 * (round half to even, as Python and numpy round; at most n - 1) to test. The rows are put in
 * the byte order of their item strings and m of them drawn by a partial Fisher-Yates shuffle
 * with splitmix64 seeded by the user's string and o->seed: the draw depends on the data and the
 * seed only, not on node ids or import order.
 */
static int assign_random(pt_split *s, const pt_graph *g, const pt_split_opts *o) {
    uint64_t max_n = 0;
    for (uint32_t u = 0; u < s->n_users; u++) {
        uint64_t c = s->uoff[u + 1] - s->uoff[u];
        max_n = c > max_n ? c : max_n;
    }
    by_str *tmp = pt__malloc(s->ctx, (size_t)(max_n > 0 ? max_n : 1) * sizeof *tmp);
    if (tmp == NULL) {
        return pt__error(s->ctx, PT_ENOMEM, "out of memory drawing a random split");
    }
    for (uint32_t u = 0; u < s->n_users; u++) {
        uint64_t lo = s->uoff[u], n = s->uoff[u + 1] - lo;
        if (n < o->min_interactions || n < 2) {
            continue;
        }
        uint64_t m = (uint64_t)nearbyint(o->test_frac * (double)n);
        if (m > n - 1) {
            m = n - 1;
        }
        if (m == 0) {
            continue;
        }
        for (uint64_t j = 0; j < n; j++) {
            const char *str = pt_graph_node_str(g, s->item[lo + j]);
            tmp[j].row = lo + j;
            tmp[j].str = str != NULL ? str : "";
        }
        qsort(tmp, n, sizeof *tmp, cmp_by_str);
        const char *us = pt_graph_node_str(g, s->uid[u]);
        uint64_t state = pt__hash(us != NULL ? us : "", us != NULL ? strlen(us) : 0, o->seed);
        for (uint64_t j = 0; j < m; j++) {
            uint64_t r = j + uniform(&state, n - j);
            by_str t = tmp[j];
            tmp[j] = tmp[r];
            tmp[r] = t;
            s->part[tmp[j].row] = PT_PART_TEST;
        }
    }
    pt__free(s->ctx, tmp);
    return PT_OK;
}

/* Check the options of a computed split. */
static int check_opts(pt_ctx *ctx, const pt_split_opts *o) {
    if (o->kind != PT_SPLIT_LEAVE_LAST && o->kind != PT_SPLIT_RANDOM) {
        return pt__error(ctx, PT_EINVAL, "split: kind must be leave-last-out or random");
    }
    if (o->kind == PT_SPLIT_RANDOM && !(o->test_frac > 0.0 && o->test_frac < 1.0)) {
        return pt__error(ctx, PT_EINVAL, "split: test share %g is not in (0, 1)", o->test_frac);
    }
    return PT_OK;
}

/* Apply the protocol `o` to the (all-train) split `s`. */
static int assign(pt_split *s, const pt_graph *g, const pt_split_opts *o) {
    s->opts = *o;
    if (o->kind == PT_SPLIT_LEAVE_LAST) {
        assign_last(s, g, o);
    } else {
        int rc = assign_random(s, g, o);
        if (rc != PT_OK) {
            return rc;
        }
    }
    recount(s);
    return PT_OK;
}

int pt_split_new(pt_ctx *ctx, const pt_graph *g, const pt_split_opts *o, pt_split **out) {
    row *rows = NULL;
    size_t n = 0;
    pt_split *s = NULL;
    int rc = PT_OK;
    *out = NULL;
    PT_TRY(check_opts(ctx, o));
    PT_TRY(collect(ctx, g, &rows, &n));
    if (n == 0) {
        rc = pt__error(ctx, PT_EINVAL, "split: the graph has no behaviour edges (user -> item)");
        goto done;
    }
    s = split_alloc(ctx);
    if (s == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory building a split");
        goto done;
    }
    PT_TRY(split_fill(s, rows, n, NULL));
    PT_TRY(assign(s, g, o));
    *out = s;
    s = NULL;
done:
    pt__free(ctx, rows);
    pt_split_free(s);
    return rc;
}

int pt_split_carve(pt_ctx *ctx, const pt_graph *g, const pt_split *s, const pt_split_opts *o,
                   pt_split **out) {
    row *rows = NULL;
    size_t n = 0, cap = 0;
    pt_split *v = NULL;
    int rc = PT_OK;
    *out = NULL;
    PT_TRY(check_opts(ctx, o));
    for (uint64_t k = 0; k < s->n; k++) {
        if (s->part[k] != PT_PART_TRAIN) {
            continue;
        }
        row r = {s->user[k], s->item[k], s->time[k], PT_PART_TRAIN};
        if (push_row(ctx, &rows, &n, &cap, r) != PT_OK) {
            rc = pt__error(ctx, PT_ENOMEM, "out of memory carving a validation split");
            goto done;
        }
    }
    if (n == 0) {
        rc = pt__error(ctx, PT_EINVAL, "validation split: the training part is empty");
        goto done;
    }
    v = split_alloc(ctx);
    if (v == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory carving a validation split");
        goto done;
    }
    PT_TRY(split_fill(v, rows, n, NULL));
    PT_TRY(assign(v, g, o));
    *out = v;
    v = NULL;
done:
    pt__free(ctx, rows);
    pt_split_free(v);
    return rc;
}

/* ==== splits: files ======================================================================== */

/* Split one CSV line in place into at most `cap` fields (double quotes strip, "" is a quote);
 * returns the number of fields. The line must be NUL-terminated without its newline. */
static size_t csv_fields(char *line, char **f, size_t cap) {
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *start = p, *w = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') {
                    break;
                }
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p != '\0' && *p != ',') {
                p++;
            }
        } else {
            while (*p != '\0' && *p != ',') {
                p++;
            }
            w = p;
        }
        int more = *p == ',';
        *w = '\0';
        if (n < cap) {
            f[n] = start;
        }
        n++;
        if (!more) {
            break;
        }
        p++;
    }
    return n < cap ? n : cap;
}

/* Trim spaces and a trailing CR off `s` in place; returns the trimmed start. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                     s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

/* Note the first problem of a file read as "path:line: reason". */
static void note(pt_split_file_stats *st, const char *path, uint64_t line, const char *why,
                 const char *id) {
    if (st->first_problem[0] == '\0') {
        snprintf(st->first_problem, sizeof st->first_problem, "%s:%llu: %s '%s'", path,
                 (unsigned long long)line, why, id);
    }
}

/* Find the column whose header is one of `names` (case-insensitive); -1 when absent. */
static int find_col(char **f, size_t n, const char *const *names) {
    for (size_t i = 0; i < n; i++) {
        for (const char *const *nm = names; *nm != NULL; nm++) {
            if (strcasecmp(trim(f[i]), *nm) == 0) {
                return (int)i;
            }
        }
    }
    return -1;
}

/*
 * Read one split file into `rows` with part `part`: resolve the ids against `g` and count what
 * does not resolve in `st`. Returns PT_OK, PT_EIO, PT_EPARSE (header) or PT_ENOMEM.
 */
static int read_split_file(pt_ctx *ctx, const pt_graph *g, const char *path, int part, row **rows,
                           size_t *n, size_t *cap, pt_split_file_stats *st) {
    static const char *const user_names[] = {"user", "user_id", "userid", "reviewerid", NULL};
    static const char *const item_names[] = {"item", "item_id", "itemid", "asin", NULL};
    static const char *const time_names[] = {"timestamp", "time", "unixreviewtime", NULL};
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return pt__error(ctx, PT_EIO, "%s: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t line_cap = 0;
    char *fld[64];
    int cu = -1, ci = -1, ct = -1, rc = PT_OK;
    uint64_t lineno = 0;
    while (getline(&line, &line_cap, f) >= 0) {
        lineno++;
        char *l = trim(line);
        if (*l == '\0') {
            continue;
        }
        size_t nf = csv_fields(l, fld, 64);
        if (cu < 0) {
            cu = find_col(fld, nf, user_names);
            ci = find_col(fld, nf, item_names);
            ct = find_col(fld, nf, time_names);
            if (cu < 0 || ci < 0) {
                rc = pt__error(ctx, PT_EPARSE, "%s:%llu: the header must name the columns "
                                               "user and item (and optionally timestamp)",
                               path, (unsigned long long)lineno);
                goto done;
            }
            continue;
        }
        st->rows++;
        if ((size_t)cu >= nf || (size_t)ci >= nf) {
            st->malformed++;
            note(st, path, lineno, "too few fields in row", l);
            continue;
        }
        char *uid = trim(fld[cu]), *iid = trim(fld[ci]);
        int64_t t = PT_TIME_UNKNOWN;
        if (ct >= 0 && (size_t)ct < nf) {
            char *ts = trim(fld[ct]);
            if (*ts != '\0' && !pt__parse_time(ts, strlen(ts), &t)) {
                st->malformed++;
                note(st, path, lineno, "bad timestamp", ts);
                continue;
            }
        }
        pt_node_id u = *uid != '\0' ? pt_graph_resolve(g, uid, PT_CLASS_USER) : PT_NONE;
        if (u == PT_NONE || pt_graph_node_class(g, u) != PT_CLASS_USER) {
            st->unknown_users++;
            note(st, path, lineno, "unknown user", uid);
            continue;
        }
        pt_node_id i = *iid != '\0' ? pt_graph_resolve(g, iid, PT_CLASS_ITEM) : PT_NONE;
        if (i == PT_NONE || pt_graph_node_class(g, i) != PT_CLASS_ITEM) {
            st->unknown_items++;
            note(st, path, lineno, "unknown item", iid);
            continue;
        }
        row r = {u, i, t, (uint8_t)part};
        if (push_row(ctx, rows, n, cap, r) != PT_OK) {
            rc = pt__error(ctx, PT_ENOMEM, "out of memory reading %s", path);
            goto done;
        }
        st->rows_used++;
    }
    if (ferror(f)) {
        rc = pt__error(ctx, PT_EIO, "%s: read error", path);
    } else if (cu < 0) {
        rc = pt__error(ctx, PT_EPARSE, "%s: empty file (no header)", path);
    }
done:
    free(line);
    fclose(f);
    return rc;
}

int pt_split_from_files(pt_ctx *ctx, const pt_graph *g, const char *train_path,
                        const char *test_path, pt_split_file_stats *st, pt_split **out) {
    pt_split_file_stats local;
    row *rows = NULL, *have = NULL;
    size_t n = 0, cap = 0, n_have = 0;
    pt_split *s = NULL;
    int rc = PT_OK;
    *out = NULL;
    if (st == NULL) {
        st = &local;
    }
    memset(st, 0, sizeof *st);
    if (train_path == NULL || test_path == NULL) {
        return pt__error(ctx, PT_EINVAL, "split files: both a train and a test file are needed");
    }
    PT_TRY(read_split_file(ctx, g, train_path, PT_PART_TRAIN, &rows, &n, &cap, st));
    PT_TRY(read_split_file(ctx, g, test_path, PT_PART_TEST, &rows, &n, &cap, st));
    if (n == 0) {
        rc = pt__error(ctx, PT_EINVAL, "split files: no row names a user and an item of the "
                                       "graph (%s)", st->first_problem);
        goto done;
    }
    s = split_alloc(ctx);
    if (s == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory building a split");
        goto done;
    }
    PT_TRY(split_fill(s, rows, n, &st->duplicates));
    s->opts.kind = PT_SPLIT_FILES;
    /* Count the pairs the graph has no behaviour edge for: their training rows cannot reach
     * the training graph (which is made of the graph's own edges). */
    PT_TRY(collect(ctx, g, &have, &n_have));
    qsort(have, n_have, sizeof *have, cmp_row);
    for (uint64_t k = 0; k < s->n; k++) {
        row key = {s->user[k], s->item[k], INT64_MAX, 0};
        size_t lo = 0, hi = n_have;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_row(&have[mid], &key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo >= n_have || have[lo].user != key.user || have[lo].item != key.item) {
            st->not_in_graph++;
        }
    }
    *out = s;
    s = NULL;
done:
    pt__free(ctx, rows);
    pt__free(ctx, have);
    pt_split_free(s);
    return rc;
}

/* ==== splits: queries ====================================================================== */

uint64_t pt_split_count(const pt_split *s, int part) {
    if (part == PT_PART_TEST) {
        return s->n_test;
    }
    if (part == PT_PART_TRAIN) {
        return s->n - s->n_test;
    }
    return s->n;
}

uint32_t pt_split_user_count(const pt_split *s) {
    return s->n_users;
}

uint32_t pt_split_test_user_count(const pt_split *s) {
    return s->n_test_users;
}

int pt_split_get(const pt_split *s, uint64_t i, pt_interaction *out) {
    if (i >= s->n) {
        return pt__error(s->ctx, PT_EINVAL, "split: interaction %llu out of range",
                         (unsigned long long)i);
    }
    out->user = s->user[i];
    out->item = s->item[i];
    out->time = s->time[i];
    out->part = s->part[i];
    return PT_OK;
}

const pt_split_opts *pt_split_options(const pt_split *s) {
    return &s->opts;
}

void pt__split_rows(const pt_split *s, pt_node_id user, uint64_t *lo, uint64_t *hi) {
    uint32_t a = 0, b = s->n_users;
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (s->uid[mid] < user) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    if (a < s->n_users && s->uid[a] == user) {
        *lo = s->uoff[a];
        *hi = s->uoff[a + 1];
    } else {
        *lo = *hi = 0;
    }
}

int pt_split_part_of(const pt_split *s, pt_node_id user, pt_node_id item) {
    uint64_t lo, end;
    pt__split_rows(s, user, &lo, &end);
    uint64_t hi = end;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s->item[mid] < item) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < end && s->item[lo] == item ? s->part[lo] : -1;
}

/* ==== training graph ======================================================================= */

/*
 * If `v` is an event node (it has pt:user and pt:item edges), set *u and *i and return 1;
 * else return 0.
 */
static int event_pair(const pt_graph *g, pt_node_id v, pt_node_id p_user, pt_node_id p_item,
                      pt_node_id *u, pt_node_id *i) {
    pt_edge_iter it;
    pt_edge e;
    *u = *i = PT_NONE;
    if (p_user == PT_NONE || p_item == PT_NONE) {
        return 0;
    }
    pt_graph_edges(g, v, 0, p_user, &it);
    if (pt_graph_edge_next(&it, &e)) {
        *u = e.dst;
    }
    pt_graph_edges(g, v, 0, p_item, &it);
    if (pt_graph_edge_next(&it, &e)) {
        *i = e.dst;
    }
    return *u != PT_NONE && *i != PT_NONE;
}

int pt_split_train_graph(pt_ctx *ctx, const pt_graph *g, const pt_split *s, pt_graph **out) {
    pt_builder *b = NULL;
    int rc = PT_OK;
    *out = NULL;
    PT_TRY(pt_builder_new(ctx, NULL, &b));
    uint32_t n = pt_graph_node_count(g);
    for (uint32_t v = 0; v < n; v++) {
        const char *str = pt_graph_node_str(g, v);
        pt_node_id w = pt_builder_intern(b, str, strlen(str), pt_graph_node_kind(g, v));
        if (w != v) {
            if (w == PT_NONE) {
                rc = pt__error(ctx, PT_ENOMEM, "out of memory copying the graph");
            } else {
                rc = pt__error(ctx, PT_EINTERNAL, "training graph: node %u became %u", v, w);
            }
            goto done;
        }
    }
    size_t np = pt_graph_prefix_count(g);
    for (size_t i = 0; i < np; i++) {
        const char *name, *iri;
        if (pt_graph_prefix(g, i, &name, &iri) == PT_OK && name != NULL && iri != NULL) {
            pt_builder_add_prefix(b, name, iri);
        }
    }
    const char *base = pt_graph_base(g);
    if (base != NULL && base[0] != '\0') {
        pt_builder_set_base(b, base);
    }
    pt_node_id p_user = pt_graph_lookup(g, PT_EV_USER, strlen(PT_EV_USER), PT_TERM_IRI);
    pt_node_id p_item = pt_graph_lookup(g, PT_EV_ITEM, strlen(PT_EV_ITEM), PT_TERM_IRI);
    pt_edge_iter it;
    pt_edge e;
    pt_literal lit;
    for (uint32_t v = 0; v < n; v++) {
        pt_node_id eu, ei;
        if (event_pair(g, v, p_user, p_item, &eu, &ei) &&
            pt_split_part_of(s, eu, ei) != PT_PART_TRAIN) {
            continue; /* a held-out event: no edges, no text */
        }
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (PT_ROLE_IS_BEHAVIOUR(pt_graph_pred_role(g, e.pred)) &&
                pt_split_part_of(s, e.src, e.dst) != PT_PART_TRAIN) {
                continue;
            }
            pt_builder_add_edge(b, e.src, e.pred, e.dst, e.weight, e.time);
        }
        uint64_t nl = pt_graph_literal_count_of(g, v);
        for (uint64_t k = 0; k < nl; k++) {
            if (pt_graph_literal(g, v, k, &lit) != PT_OK) {
                continue;
            }
            pt_builder_add_literal(b, v, lit.pred, lit.lex, strlen(lit.lex), lit.datatype,
                                   lit.lang, lit.lang != NULL ? strlen(lit.lang) : 0);
        }
    }
    rc = pt_builder_finish(b, out);
    b = NULL;
done:
    pt_builder_free(b);
    return rc;
}

/* ==== metrics ============================================================================== */

int pt_metric_acc_new(pt_ctx *ctx, uint32_t n_items, const uint32_t *ks, size_t n_ks,
                      const uint8_t *tail, pt_metric_acc **out) {
    *out = NULL;
    if (n_ks == 0 || n_ks > PT_EVAL_MAX_KS) {
        return pt__error(ctx, PT_EINVAL, "metrics: between 1 and %d cut-offs are needed",
                         PT_EVAL_MAX_KS);
    }
    uint32_t max_k = 0;
    for (size_t j = 0; j < n_ks; j++) {
        if (ks[j] == 0) {
            return pt__error(ctx, PT_EINVAL, "metrics: a cut-off K must be at least 1");
        }
        max_k = ks[j] > max_k ? ks[j] : max_k;
    }
    pt_metric_acc *a = pt__calloc(ctx, 1, sizeof *a);
    if (a == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory for metrics");
    }
    a->ctx = ctx;
    a->n_items = n_items;
    a->n_ks = n_ks;
    a->max_k = max_k;
    memcpy(a->ks, ks, n_ks * sizeof *ks);
    a->tail = pt__calloc(ctx, (size_t)n_items + 1, 1);
    a->count = pt__calloc(ctx, n_ks * ((size_t)n_items + 1), sizeof *a->count);
    a->disc = pt__malloc(ctx, (size_t)max_k * sizeof *a->disc);
    a->sorted = pt__malloc(ctx, ((size_t)n_items + 1) * sizeof *a->sorted);
    if (a->tail == NULL || a->count == NULL || a->disc == NULL || a->sorted == NULL) {
        pt_metric_acc_free(a);
        return pt__error(ctx, PT_ENOMEM, "out of memory for metrics");
    }
    if (tail != NULL && n_items > 0) {
        memcpy(a->tail, tail, n_items);
    }
    for (uint32_t r = 0; r < max_k; r++) {
        a->disc[r] = 1.0 / log2((double)r + 2.0);
    }
    *out = a;
    return PT_OK;
}

void pt_metric_acc_free(pt_metric_acc *a) {
    if (a == NULL) {
        return;
    }
    pt__free(a->ctx, a->tail);
    pt__free(a->ctx, a->count);
    pt__free(a->ctx, a->disc);
    pt__free(a->ctx, a->rel);
    pt__free(a->ctx, a->sorted);
    pt__free(a->ctx, a);
}

int pt_metric_acc_add(pt_metric_acc *a, const uint32_t *ranked, size_t n_ranked,
                      const uint32_t *relevant, size_t n_relevant) {
    if (n_relevant == 0) {
        return pt__error(a->ctx, PT_EINVAL, "metrics: a user needs at least one test item");
    }
    for (size_t j = 0; j < n_ranked; j++) {
        if (ranked[j] >= a->n_items) {
            return pt__error(a->ctx, PT_EINVAL, "metrics: item index %u out of range",
                             ranked[j]);
        }
    }
    if (n_relevant > a->rel_cap &&
        pt__grow(a->ctx, (void **)&a->rel, &a->rel_cap, n_relevant, sizeof *a->rel) != PT_OK) {
        return pt__error(a->ctx, PT_ENOMEM, "out of memory for metrics");
    }
    memcpy(a->rel, relevant, n_relevant * sizeof *relevant);
    qsort(a->rel, n_relevant, sizeof *a->rel, cmp_u32);
    for (size_t j = 0; j < a->n_ks; j++) {
        uint32_t k = a->ks[j];
        size_t n = n_ranked < k ? n_ranked : k;
        uint64_t hits = 0, tails = 0, first = 0;
        double dcg = 0.0, idcg = 0.0;
        for (size_t r = 0; r < n; r++) {
            uint32_t it = ranked[r];
            a->count[j * ((size_t)a->n_items + 1) + it]++;
            tails += a->tail[it] != 0;
            if (bsearch(&it, a->rel, n_relevant, sizeof *a->rel, cmp_u32) != NULL) {
                hits++;
                dcg += a->disc[r];
                if (first == 0) {
                    first = r + 1;
                }
            }
        }
        size_t ideal = n_relevant < k ? n_relevant : k;
        for (size_t r = 0; r < ideal; r++) {
            idcg += a->disc[r];
        }
        a->hit[j] += hits > 0;
        a->ndcg[j] += dcg / idcg;
        a->recall[j] += (double)hits / (double)n_relevant;
        a->mrr[j] += first > 0 ? 1.0 / (double)first : 0.0;
        a->precision[j] += (double)hits / (double)k;
        a->tailp[j] += (double)tails / (double)k;
    }
    a->n_users++;
    return PT_OK;
}

/* Gini index of the counts c[0..n): sorted ascending, sum((2i - n - 1) c_i) / (n sum c), i from
 * 1 (RecBole's GiniIndex, with items never recommended counting 0). Sorts `c` in place. */
static double gini(uint64_t *c, uint32_t n) {
    if (n == 0) {
        return 0.0;
    }
    qsort(c, n, sizeof *c, cmp_u64);
    double num = 0.0, total = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        num += (2.0 * ((double)i + 1.0) - (double)n - 1.0) * (double)c[i];
        total += (double)c[i];
    }
    return total > 0.0 ? num / ((double)n * total) : 0.0;
}

void pt_metric_acc_result(pt_metric_acc *a, pt_metrics *out) {
    double nu = (double)a->n_users;
    for (size_t j = 0; j < a->n_ks; j++) {
        pt_metrics *m = &out[j];
        memset(m, 0, sizeof *m);
        m->k = a->ks[j];
        if (a->n_users == 0) {
            continue;
        }
        m->hit = a->hit[j] / nu;
        m->ndcg = a->ndcg[j] / nu;
        m->recall = a->recall[j] / nu;
        m->mrr = a->mrr[j] / nu;
        m->precision = a->precision[j] / nu;
        m->tail_percentage = a->tailp[j] / nu;
        const uint64_t *c = a->count + j * ((size_t)a->n_items + 1);
        uint64_t covered = 0;
        for (uint32_t i = 0; i < a->n_items; i++) {
            covered += c[i] > 0;
        }
        m->item_coverage = a->n_items > 0 ? (double)covered / (double)a->n_items : 0.0;
        memcpy(a->sorted, c, (size_t)a->n_items * sizeof *a->sorted);
        m->gini = gini(a->sorted, a->n_items);
    }
}

/* Item order of the tail rule: count ascending, then index. */
typedef struct cnt_idx {
    uint64_t count;
    uint32_t idx;
} cnt_idx;

/* Order cnt_idx by count, then index, ascending. */
static int cmp_cnt_idx(const void *a, const void *b) {
    const cnt_idx *x = a, *y = b;
    if (x->count != y->count) {
        return x->count < y->count ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int pt_eval_tail_items(pt_ctx *ctx, const uint64_t *count, uint32_t n_items, double ratio,
                       uint8_t *tail) {
    if (!(ratio > 0.0)) {
        return pt__error(ctx, PT_EINVAL, "tail ratio must be > 0 (got %g)", ratio);
    }
    memset(tail, 0, n_items);
    if (n_items == 0) {
        return PT_OK;
    }
    if (ratio > 1.0) {
        for (uint32_t i = 0; i < n_items; i++) {
            tail[i] = (double)count[i] <= ratio;
        }
        return PT_OK;
    }
    cnt_idx *o = pt__malloc(ctx, (size_t)n_items * sizeof *o);
    if (o == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory marking tail items");
    }
    for (uint32_t i = 0; i < n_items; i++) {
        o[i].count = count[i];
        o[i].idx = i;
    }
    qsort(o, n_items, sizeof *o, cmp_cnt_idx);
    uint64_t cut = (uint64_t)floor((double)n_items * ratio);
    cut = cut < 1 ? 1 : cut > n_items ? n_items : cut;
    for (uint64_t i = 0; i < cut; i++) {
        tail[o[i].idx] = 1;
    }
    pt__free(ctx, o);
    return PT_OK;
}

/* ==== runs ================================================================================= */

void pt_eval_opts_default(pt_eval_opts *o) {
    memset(o, 0, sizeof *o);
    o->ks[0] = 10;
    o->ks[1] = 20;
    o->n_ks = 2;
    o->threads = 2;
    o->tail_ratio = 0.8;
    o->method = PT_EVAL_MOSTPOP;
}

int pt_eval_have_walk(void) {
#ifdef PT_HAVE_WALK
    return 1;
#else
    return 0;
#endif
}

void pt_eval_params_default(pt_walk_params *p) {
#ifdef PT_HAVE_WALK
    pt_walk_params_default(p);
#else
    memset(p, 0, sizeof *p);
    p->method = PT_REC_POP;
    p->threads = 2;
#endif
}

int pt_eval_parse_ks(pt_ctx *ctx, const char *list, pt_eval_opts *o) {
    if (list == NULL || *list == '\0') {
        return pt__error(ctx, PT_EINVAL, "--k: empty list (e.g. 10,20)");
    }
    size_t n = 0;
    const char *p = list;
    while (*p != '\0') {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno != 0 || (*end != ',' && *end != '\0')) {
            return pt__error(ctx, PT_EINVAL, "--k '%s': not a list of integers", list);
        }
        if (v <= 0 || v > 100000) {
            return pt__error(ctx, PT_EINVAL, "--k '%s': each K must be in 1..100000", list);
        }
        if (n == PT_EVAL_MAX_KS) {
            return pt__error(ctx, PT_EINVAL, "--k '%s': at most %d cut-offs", list,
                             PT_EVAL_MAX_KS);
        }
        o->ks[n++] = (uint32_t)v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0') {
            return pt__error(ctx, PT_EINVAL, "--k '%s': trailing comma", list);
        }
    }
    o->n_ks = n;
    return PT_OK;
}

const char *pt_eval_method_name(int method) {
    if (method == PT_EVAL_MOSTPOP) {
        return "mostpop";
    }
    if (method >= 0 && method <= (int)PT_REC_ITEMKNN) {
        return pt_rec_method_name((pt_rec_method)method);
    }
    return "?";
}

int pt_eval_method_parse(const char *name) {
    if (name == NULL) {
        return -2;
    }
    if (strcmp(name, "mostpop") == 0 || strcmp(name, "MostPopular") == 0) {
        return PT_EVAL_MOSTPOP;
    }
    for (int m = 0; m <= (int)PT_REC_ITEMKNN; m++) {
        if (strcmp(name, pt_rec_method_name((pt_rec_method)m)) == 0) {
            return m;
        }
    }
    if (strcmp(name, "rp3beta") == 0) {
        return PT_REC_RP3B;
    }
    if (strcmp(name, "p3alpha") == 0) {
        return PT_REC_P3;
    }
    return -2;
}

/*
 * Everything a run needs besides the recommender: the item universe and its indices, training
 * popularity, the test users and their relevant items, and the result lists.
 */
typedef struct run_state {
    pt_ctx *ctx;
    const pt_graph *g;
    const pt_split *s;
    uint32_t n_nodes;
    uint32_t *idx;         /* [n_nodes] item index, UINT32_MAX for non-items */
    pt_node_id *items;     /* [n_items] node of each index */
    uint32_t n_items;
    uint64_t *pop;         /* [n_items] training interactions */
    uint32_t *pop_order;   /* [n_items] indices by popularity desc, then id order */
    uint32_t n_test_users;
    pt_node_id *tusers;    /* [n_test_users] */
    uint32_t max_k;
    uint32_t *ranked;      /* [n_test_users * max_k] */
    uint32_t *n_ranked;    /* [n_test_users] */
    uint8_t *fallback;     /* [n_test_users] */
    uint64_t foreign;
    /* threads */
    pthread_mutex_t mu;
    uint32_t next;
    int rc;
    char err[256];
#ifdef PT_HAVE_WALK
    pt_recommender *rec;
#endif
    int method;
} run_state;

/* An item's id as shown to users, for ordering (see pt__eval_idcmp). */
typedef struct id_str {
    uint32_t idx;
    uint64_t pop;
    char *id;
} id_str;

/* Order by popularity descending, then by id (numeric when both numeric), then by index. */
static int cmp_pop_id(const void *a, const void *b) {
    const id_str *x = a, *y = b;
    if (x->pop != y->pop) {
        return x->pop > y->pop ? -1 : 1;
    }
    int c = pt__eval_idcmp(x->id, y->id);
    if (c != 0) {
        return c;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Free what prepare() allocated. */
static void run_free(run_state *st) {
    pt__free(st->ctx, st->idx);
    pt__free(st->ctx, st->items);
    pt__free(st->ctx, st->pop);
    pt__free(st->ctx, st->pop_order);
    pt__free(st->ctx, st->tusers);
    pt__free(st->ctx, st->ranked);
    pt__free(st->ctx, st->n_ranked);
    pt__free(st->ctx, st->fallback);
}

/*
 * Fill the item universe (Item nodes of g, and every item of the split, in node order), the
 * training popularity, the MostPopular order and the test users. Returns PT_OK or PT_ENOMEM.
 */
static int prepare(run_state *st, uint32_t max_k) {
    pt_ctx *ctx = st->ctx;
    const pt_graph *g = st->g;
    const pt_split *s = st->s;
    id_str *ids = NULL;
    int rc = PT_OK;
    st->n_nodes = pt_graph_node_count(g);
    st->max_k = max_k;
    st->idx = pt__malloc(ctx, ((size_t)st->n_nodes + 1) * sizeof *st->idx);
    if (st->idx == NULL) {
        return pt__error(ctx, PT_ENOMEM, "out of memory preparing the evaluation");
    }
    for (uint32_t v = 0; v < st->n_nodes; v++) {
        st->idx[v] = UINT32_MAX;
    }
    for (uint32_t v = 0; v < st->n_nodes; v++) {
        if (pt_graph_node_class(g, v) == PT_CLASS_ITEM) {
            st->idx[v] = 0;
        }
    }
    for (uint64_t k = 0; k < s->n; k++) {
        if (s->item[k] < st->n_nodes) {
            st->idx[s->item[k]] = 0;
        }
    }
    for (uint32_t v = 0; v < st->n_nodes; v++) {
        if (st->idx[v] == 0) {
            st->n_items++;
        }
    }
    size_t ni = (size_t)st->n_items + 1;
    st->items = pt__malloc(ctx, ni * sizeof *st->items);
    st->pop = pt__calloc(ctx, ni, sizeof *st->pop);
    st->pop_order = pt__malloc(ctx, ni * sizeof *st->pop_order);
    ids = pt__calloc(ctx, ni, sizeof *ids);
    if (st->items == NULL || st->pop == NULL || st->pop_order == NULL || ids == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory preparing the evaluation");
        goto done;
    }
    uint32_t next = 0;
    for (uint32_t v = 0; v < st->n_nodes; v++) {
        if (st->idx[v] == 0) {
            st->items[next] = v;
            st->idx[v] = next++;
        }
    }
    for (uint64_t k = 0; k < s->n; k++) {
        if (s->part[k] == PT_PART_TRAIN) {
            st->pop[st->idx[s->item[k]]]++;
        }
    }
    char buf[512];
    for (uint32_t i = 0; i < st->n_items; i++) {
        size_t need = pt_graph_display_id(g, st->items[i], buf, sizeof buf);
        ids[i].idx = i;
        ids[i].pop = st->pop[i];
        ids[i].id = pt__malloc(ctx, need + 1);
        if (ids[i].id == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "out of memory preparing the evaluation");
            goto done;
        }
        pt_graph_display_id(g, st->items[i], ids[i].id, need + 1);
    }
    qsort(ids, st->n_items, sizeof *ids, cmp_pop_id);
    for (uint32_t i = 0; i < st->n_items; i++) {
        st->pop_order[i] = ids[i].idx;
    }
    st->n_test_users = s->n_test_users;
    size_t nt = (size_t)st->n_test_users + 1;
    st->tusers = pt__malloc(ctx, nt * sizeof *st->tusers);
    st->ranked = pt__malloc(ctx, nt * max_k * sizeof *st->ranked);
    st->n_ranked = pt__calloc(ctx, nt, sizeof *st->n_ranked);
    st->fallback = pt__calloc(ctx, nt, 1);
    if (st->tusers == NULL || st->ranked == NULL || st->n_ranked == NULL ||
        st->fallback == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory preparing the evaluation");
        goto done;
    }
    uint32_t t = 0;
    for (uint32_t u = 0; u < s->n_users; u++) {
        for (uint64_t k = s->uoff[u]; k < s->uoff[u + 1]; k++) {
            if (s->part[k] == PT_PART_TEST) {
                st->tusers[t++] = s->uid[u];
                break;
            }
        }
    }
done:
    if (ids != NULL) {
        for (uint32_t i = 0; i < st->n_items; i++) {
            pt__free(ctx, ids[i].id);
        }
        pt__free(ctx, ids);
    }
    return rc;
}

/* True when `item` is a training item of `user` in the split. */
static int is_train(const pt_split *s, pt_node_id user, pt_node_id item) {
    return pt_split_part_of(s, user, item) == PT_PART_TRAIN;
}

/* MostPopular for test user t: the most popular items that are not its training items. */
static void rank_mostpop(run_state *st, uint32_t t) {
    pt_node_id u = st->tusers[t];
    uint32_t *out = st->ranked + (size_t)t * st->max_k;
    uint32_t n = 0;
    for (uint32_t j = 0; j < st->n_items && n < st->max_k; j++) {
        uint32_t i = st->pop_order[j];
        if (!is_train(st->s, u, st->items[i])) {
            out[n++] = i;
        }
    }
    st->n_ranked[t] = n;
}

/* Record the first failure of a worker (under the mutex). */
static void fail(run_state *st, int rc, const char *msg) {
    pthread_mutex_lock(&st->mu);
    if (st->rc == PT_OK) {
        st->rc = rc;
        snprintf(st->err, sizeof st->err, "%s", msg);
    }
    pthread_mutex_unlock(&st->mu);
}

/* Take the next test user to rank, or UINT32_MAX when all are taken or a worker failed. */
static uint32_t take(run_state *st) {
    pthread_mutex_lock(&st->mu);
    uint32_t t = st->rc == PT_OK && st->next < st->n_test_users ? st->next++ : UINT32_MAX;
    pthread_mutex_unlock(&st->mu);
    return t;
}

/* Arguments of one worker thread. */
typedef struct worker {
    run_state *st;
#ifdef PT_HAVE_WALK
    pt_rec_scratch *scratch;
    pt_rec_item *buf;
#endif
    uint64_t foreign;
} worker;

#ifdef PT_HAVE_WALK
/* Ask the recommender for test user t and keep the item indices (no duplicates, no non-items). */
static int rank_walk(run_state *st, worker *w, uint32_t t) {
    pt_rec_query q;
    pt_rec_query_init(&q, st->tusers[t], st->max_k);
    q.include_seen = 0;
    size_t n_out = 0;
    int flags = PT_REC_PERSONAL;
    int rc = pt_recommend(st->rec, w->scratch, &q, w->buf, &n_out, &flags);
    if (rc != PT_OK) {
        return rc;
    }
    uint32_t *out = st->ranked + (size_t)t * st->max_k;
    uint32_t n = 0;
    for (size_t j = 0; j < n_out && n < st->max_k; j++) {
        pt_node_id v = w->buf[j].item;
        uint32_t i = v < st->n_nodes ? st->idx[v] : UINT32_MAX;
        int dup = 0;
        for (uint32_t r = 0; r < n && !dup; r++) {
            dup = out[r] == i;
        }
        if (i == UINT32_MAX || dup) {
            w->foreign++;
            continue;
        }
        out[n++] = i;
    }
    st->n_ranked[t] = n;
    st->fallback[t] = flags == PT_REC_POPULAR;
    return PT_OK;
}
#endif

/* Worker thread: rank test users until none are left. */
static void *work(void *arg) {
    worker *w = arg;
    run_state *st = w->st;
    for (uint32_t t = take(st); t != UINT32_MAX; t = take(st)) {
        if (st->method == PT_EVAL_MOSTPOP) {
            rank_mostpop(st, t);
            continue;
        }
#ifdef PT_HAVE_WALK
        int rc = rank_walk(st, w, t);
        if (rc != PT_OK) {
            fail(st, rc, "pt_recommend failed");
        }
#else
        fail(st, PT_EUNSUPPORTED, "the walk engine is not built in");
#endif
    }
    return NULL;
}

/* Check run options: cut-offs, threads, tail ratio, method. */
static int check_run_opts(pt_ctx *ctx, const pt_eval_opts *o, const pt_walk_params *p) {
    if (o->n_ks == 0 || o->n_ks > PT_EVAL_MAX_KS) {
        return pt__error(ctx, PT_EINVAL, "eval: between 1 and %d cut-offs are needed",
                         PT_EVAL_MAX_KS);
    }
    for (size_t j = 0; j < o->n_ks; j++) {
        if (o->ks[j] == 0) {
            return pt__error(ctx, PT_EINVAL, "eval: a cut-off K must be at least 1");
        }
    }
    if (!(o->tail_ratio > 0.0)) {
        return pt__error(ctx, PT_EINVAL, "eval: the tail ratio must be > 0");
    }
    if (o->method != PT_EVAL_MOSTPOP && (o->method < 0 || o->method > (int)PT_REC_ITEMKNN)) {
        return pt__error(ctx, PT_EINVAL, "eval: unknown method %d", o->method);
    }
    if (o->method != PT_EVAL_MOSTPOP && p == NULL) {
        return pt__error(ctx, PT_EINVAL, "eval: walk parameters are needed for %s",
                         pt_eval_method_name(o->method));
    }
#ifndef PT_HAVE_WALK
    if (o->method != PT_EVAL_MOSTPOP) {
        return pt__error(ctx, PT_EUNSUPPORTED,
                         "eval: method %s needs the walk engine (engine/walk/), which is not "
                         "built into this library; use mostpop",
                         pt_eval_method_name(o->method));
    }
#endif
    return PT_OK;
}

/*
 * Run the queries of split `s` (made from `g`) with the recommender over `train` (NULL for
 * MostPopular), score them, and fill `out` (build_seconds is left to the caller).
 */
static int run_on(pt_ctx *ctx, const pt_graph *g, const pt_graph *train, const pt_split *s,
                  const pt_walk_params *p, const pt_eval_opts *o, pt_eval_result *out) {
    run_state st;
    pt_metric_acc *acc = NULL;
    uint8_t *tail = NULL;
    worker ws[64];
    pthread_t th[64];
    int n_threads = o->threads < 1 ? 1 : o->threads > 64 ? 64 : o->threads;
    int started = 0, rc = PT_OK;
    memset(&st, 0, sizeof st);
    memset(ws, 0, sizeof ws);
    st.ctx = ctx;
    st.g = g;
    st.s = s;
    st.method = o->method;
    pthread_mutex_init(&st.mu, NULL);
    uint32_t max_k = 0;
    for (size_t j = 0; j < o->n_ks; j++) {
        max_k = o->ks[j] > max_k ? o->ks[j] : max_k;
    }
    if (s->n_test_users == 0) {
        rc = pt__error(ctx, PT_EINVAL, "eval: the split has no test user");
        goto done;
    }
    PT_TRY(prepare(&st, max_k));
    double t0 = pt__now();
    if (o->method != PT_EVAL_MOSTPOP) {
#ifdef PT_HAVE_WALK
        pt_walk_params wp = *p;
        wp.method = (pt_rec_method)o->method;
        PT_TRY(pt_recommender_new(ctx, train, &wp, &st.rec));
        for (int i = 0; i < n_threads; i++) {
            ws[i].buf = pt__malloc(ctx, (size_t)max_k * sizeof *ws[i].buf);
            if (ws[i].buf == NULL) {
                rc = pt__error(ctx, PT_ENOMEM, "out of memory for query results");
                goto done;
            }
            PT_TRY(pt_rec_scratch_new(st.rec, &ws[i].scratch));
        }
#else
        (void)train;
        (void)p;
#endif
    }
    double t1 = pt__now();
    out->build_seconds += t1 - t0;
    for (int i = 0; i < n_threads; i++) {
        ws[i].st = &st;
        if (pthread_create(&th[i], NULL, work, &ws[i]) != 0) {
            fail(&st, PT_ENOMEM, "cannot start a thread");
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        st.foreign += ws[i].foreign;
    }
    out->query_seconds = pt__now() - t1;
    if (st.rc != PT_OK) {
        rc = st.rc;
        if (pt_ctx_errcode(ctx) != rc) {
            pt__error(ctx, rc, "eval: %s", st.err);
        }
        goto done;
    }
    /* Score sequentially in user order, so the sums (and the printed digits) do not depend on
     * how the threads interleaved. */
    tail = pt__malloc(ctx, (size_t)st.n_items + 1);
    if (tail == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory for metrics");
        goto done;
    }
    PT_TRY(pt_eval_tail_items(ctx, st.pop, st.n_items, o->tail_ratio, tail));
    PT_TRY(pt_metric_acc_new(ctx, st.n_items, o->ks, o->n_ks, tail, &acc));
    uint32_t rel_cap = 0;
    uint32_t *rel = NULL;
    for (uint32_t t = 0; t < st.n_test_users && rc == PT_OK; t++) {
        uint64_t lo, hi;
        pt__split_rows(s, st.tusers[t], &lo, &hi);
        if (hi - lo > rel_cap) {
            uint32_t *nr = pt__realloc(ctx, rel, (size_t)(hi - lo) * sizeof *rel);
            if (nr == NULL) {
                rc = pt__error(ctx, PT_ENOMEM, "out of memory for metrics");
                break;
            }
            rel = nr;
            rel_cap = (uint32_t)(hi - lo);
        }
        size_t nrel = 0;
        for (uint64_t k = lo; k < hi; k++) {
            if (s->part[k] == PT_PART_TEST) {
                rel[nrel++] = st.idx[s->item[k]];
            }
        }
        rc = pt_metric_acc_add(acc, st.ranked + (size_t)t * max_k, st.n_ranked[t], rel, nrel);
        out->n_short += st.n_ranked[t] < max_k;
        out->n_fallback += st.fallback[t];
    }
    pt__free(ctx, rel);
    if (rc != PT_OK) {
        goto done;
    }
    pt_metric_acc_result(acc, out->m);
    out->n_ks = o->n_ks;
    out->n_users = st.n_test_users;
    out->n_items = st.n_items;
    out->n_train = pt_split_count(s, PT_PART_TRAIN);
    out->n_test = pt_split_count(s, PT_PART_TEST);
    out->n_foreign = st.foreign;
done:
#ifdef PT_HAVE_WALK
    for (int i = 0; i < n_threads; i++) {
        pt_rec_scratch_free(ws[i].scratch);
        pt__free(ctx, ws[i].buf);
    }
    pt_recommender_free(st.rec);
#endif
    pt_metric_acc_free(acc);
    pt__free(ctx, tail);
    run_free(&st);
    pthread_mutex_destroy(&st.mu);
    return rc;
}

int pt_eval_run(pt_ctx *ctx, const pt_graph *g, const pt_split *s, const pt_walk_params *p,
                const pt_eval_opts *o, pt_eval_result *out) {
    pt_graph *train = NULL;
    int rc = PT_OK;
    memset(out, 0, sizeof *out);
    PT_TRY(check_run_opts(ctx, o, p));
    double t0 = pt__now();
    if (o->method != PT_EVAL_MOSTPOP) {
        PT_TRY(pt_split_train_graph(ctx, g, s, &train));
    }
    out->build_seconds = pt__now() - t0;
    rc = run_on(ctx, g, train, s, p, o, out);
done:
    pt_graph_free(train);
    return rc;
}

/* ==== tuning =============================================================================== */

/* Most values of one grid dimension, and most dimensions. */
#define GRID_MAX_VALUES 16
#define GRID_MAX_DIMS 8
#define GRID_MAX_POINTS 4096

/* One dimension of a grid: a parameter and its values. */
typedef struct grid_dim {
    char name[32];
    double v[GRID_MAX_VALUES];
    size_t n;
} grid_dim;

/* Set parameter `name` of `p` to `v`; returns PT_OK or PT_EINVAL for an unknown name. */
static int set_param(pt_walk_params *p, const char *name, double v) {
    if (strcmp(name, "restart") == 0) {
        p->restart = v;
    } else if (strcmp(name, "alpha") == 0) {
        p->alpha = v;
    } else if (strcmp(name, "beta") == 0) {
        p->beta = v;
    } else if (strcmp(name, "steps") == 0) {
        p->steps = v < 1.0 ? 1 : (uint64_t)v;
    } else if (strcmp(name, "half_life") == 0) {
        p->half_life_days = v;
    } else if (strcmp(name, "rating_center") == 0) {
        p->rating_center = v;
    } else if (strcmp(name, "w_cobehaviour") == 0) {
        p->w_cobehaviour = v;
    } else if (strcmp(name, "w_tag") == 0) {
        p->w_tag = v;
    } else if (strcmp(name, "w_category") == 0) {
        p->w_category = v;
    } else if (strcmp(name, "w_brand") == 0) {
        p->w_brand = v;
    } else if (strcmp(name, "category_up") == 0) {
        p->category_up = v;
    } else if (strcmp(name, "multi_hit") == 0) {
        p->multi_hit = v != 0.0;
    } else if (strcmp(name, "rating_power") == 0) {
        p->rating_power = v;
    } else if (strcmp(name, "recent_boost") == 0) {
        p->recent_boost = v;
    } else if (strcmp(name, "half_life_events") == 0) {
        p->half_life_events = v;
    } else if (strcmp(name, "recency_floor") == 0) {
        p->recency_floor = v;
    } else if (strcmp(name, "lambda") == 0) {
        p->lambda = v;
    } else if (strcmp(name, "blend") == 0) {
        p->blend = v;
    } else if (strcmp(name, "knn_blend") == 0) {
        p->knn_blend = v;
    } else if (strcmp(name, "knn") == 0) {
        p->knn = v >= 1.0 && v <= 1e6 ? (uint32_t)v : 0; /* 0: pt_recommender_new says why */
    } else if (strcmp(name, "shrink") == 0) {
        p->shrink = v;
    } else if (strncmp(name, "w.", 2) == 0) {
        for (int r = PT_ROLE_VIEWED; r <= PT_ROLE_REVIEWED; r++) {
            if (strcmp(name + 2, pt_role_name((pt_role)r)) == 0) {
                p->action_weight[r] = v;
                return PT_OK;
            }
        }
        return PT_EINVAL;
    } else {
        return PT_EINVAL;
    }
    return PT_OK;
}

/* The default grid of each method (docs/EVAL.md lists them). */
static const char *default_grid(int method) {
    switch (method) {
    case PT_REC_PIXIE:
        return "restart=0.5,0.7;beta=0,0.3,0.6;half_life_events=0,2";
    case PT_REC_P3:
        return "alpha=0.5,0.7,0.9,1.1;half_life_events=0,2";
    case PT_REC_RP3B:
        return "alpha=0.5,0.7,0.9;beta=0.3,0.45,0.6,0.75;half_life_events=0,2";
    case PT_REC_PPR:
        return "restart=0.15,0.3,0.5;beta=0,0.3,0.6;half_life_events=0,2";
    case PT_REC_EASE:
        return "lambda=50,100,200,400,800;half_life_events=0,1,2,4;recency_floor=0,0.3";
    case PT_REC_HYBRID:
        return "lambda=100,200,500,1000;blend=0.3,0.5,0.7,0.85;half_life_events=0,2;"
               "beta=0.3,0.6";
    case PT_REC_ITEMKNN:
        return "knn=20,50,100,200;shrink=0,10,50;half_life_events=0,1,2;beta=0,0.3";
    default:
        return "";
    }
}

/* Parse "name=v,v;name=v" into dims; returns PT_OK or PT_EINVAL with a message. */
static int parse_grid(pt_ctx *ctx, const char *spec, grid_dim *dims, size_t *n_dims) {
    pt_walk_params probe;
    memset(&probe, 0, sizeof probe);
    *n_dims = 0;
    const char *p = spec;
    while (*p != '\0') {
        const char *end = strchr(p, ';');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char part[512];
        if (len >= sizeof part) {
            return pt__error(ctx, PT_EINVAL, "--grid: a dimension is too long");
        }
        memcpy(part, p, len);
        part[len] = '\0';
        p += len + (end != NULL);
        if (len == 0) {
            continue;
        }
        char *eq = strchr(part, '=');
        if (eq == NULL || eq == part || eq - part >= 32) {
            return pt__error(ctx, PT_EINVAL, "--grid: '%s' is not name=v1,v2,...", part);
        }
        if (*n_dims == GRID_MAX_DIMS) {
            return pt__error(ctx, PT_EINVAL, "--grid: at most %d parameters", GRID_MAX_DIMS);
        }
        grid_dim *d = &dims[(*n_dims)++];
        *eq = '\0';
        memcpy(d->name, part, (size_t)(eq - part) + 1);
        if (set_param(&probe, d->name, 0.0) != PT_OK) {
            return pt__error(ctx, PT_EINVAL,
                             "--grid: unknown parameter '%s' (restart, alpha, beta, steps, "
                             "half_life, half_life_events, recency_floor, recent_boost, "
                             "rating_center, rating_power, w_cobehaviour, w_tag, w_category, "
                             "w_brand, category_up, multi_hit, lambda, blend, knn, shrink, w.<action>)",
                             d->name);
        }
        d->n = 0;
        char *q = eq + 1;
        while (*q != '\0') {
            char *e;
            errno = 0;
            double v = strtod(q, &e);
            if (e == q || errno != 0 || (*e != ',' && *e != '\0') || !isfinite(v) || v < 0) {
                return pt__error(ctx, PT_EINVAL, "--grid: bad value list for '%s'", d->name);
            }
            if (d->n == GRID_MAX_VALUES) {
                return pt__error(ctx, PT_EINVAL, "--grid: at most %d values for '%s'",
                                 GRID_MAX_VALUES, d->name);
            }
            d->v[d->n++] = v;
            q = *e == ',' ? e + 1 : e;
        }
        if (d->n == 0) {
            return pt__error(ctx, PT_EINVAL, "--grid: no values for '%s'", d->name);
        }
    }
    return PT_OK;
}

int pt_eval_set_params(pt_ctx *ctx, const char *spec, pt_walk_params *p) {
    grid_dim dims[GRID_MAX_DIMS];
    size_t n_dims = 0;
    int rc = parse_grid(ctx, spec != NULL ? spec : "", dims, &n_dims);
    if (rc != PT_OK) {
        return rc;
    }
    for (size_t d = 0; d < n_dims; d++) {
        if (dims[d].n != 1) {
            return pt__error(ctx, PT_EINVAL, "--params: '%s' needs exactly one value",
                             dims[d].name);
        }
    }
    for (size_t d = 0; d < n_dims; d++) {
        set_param(p, dims[d].name, dims[d].v[0]);
    }
    return PT_OK;
}

/* Validation fold f (0-based) of split s: random splits draw with seed + f; leave-last-out
 * fold f first drops each user's f latest training interactions (carving leave-last-out f
 * times and keeping the training part), then holds out the next latest, so every fold
 * predicts a later interaction from the earlier ones only. */
static int carve_fold(pt_ctx *ctx, const pt_graph *g, const pt_split *s, const pt_split_opts *val,
                      uint32_t f, pt_split **out) {
    pt_split_opts o = *val;
    *out = NULL;
    if (o.kind == PT_SPLIT_RANDOM) {
        o.seed += f;
        return pt_split_carve(ctx, g, s, &o, out);
    }
    pt_split *cur = NULL;
    int rc = pt_split_carve(ctx, g, s, &o, &cur);
    for (uint32_t j = 0; j < f && rc == PT_OK; j++) {
        pt_split *next = NULL;
        rc = pt_split_carve(ctx, g, cur, &o, &next);
        pt_split_free(cur);
        cur = next;
    }
    if (rc != PT_OK) {
        pt_split_free(cur);
        return rc;
    }
    *out = cur;
    return PT_OK;
}

int pt_eval_tune(pt_ctx *ctx, const pt_graph *g, const pt_split *s, const pt_split_opts *val,
                 const char *grid, const pt_eval_opts *o, pt_walk_params *p, char *best_point,
                 size_t best_cap, pt_tune_fn fn, void *ud) {
    return pt_eval_tune_folds(ctx, g, s, val, 1, grid, o, p, best_point, best_cap, NULL, fn, ud);
}

int pt_eval_tune_folds(pt_ctx *ctx, const pt_graph *g, const pt_split *s,
                       const pt_split_opts *val, uint32_t n_folds, const char *grid,
                       const pt_eval_opts *o, pt_walk_params *p, char *best_point,
                       size_t best_cap, double *best_val, pt_tune_fn fn, void *ud) {
    grid_dim dims[GRID_MAX_DIMS];
    size_t n_dims = 0;
    pt_split *v[PT_EVAL_MAX_FOLDS] = {NULL};
    pt_graph *train[PT_EVAL_MAX_FOLDS] = {NULL};
    int rc = PT_OK;
    if (best_point != NULL && best_cap > 0) {
        best_point[0] = '\0';
    }
    if (best_val != NULL) {
        *best_val = 0.0;
    }
    if (n_folds < 1 || n_folds > PT_EVAL_MAX_FOLDS) {
        return pt__error(ctx, PT_EINVAL, "validation folds must be 1..%d, not %u",
                         PT_EVAL_MAX_FOLDS, n_folds);
    }
    PT_TRY(check_run_opts(ctx, o, p));
    if (grid == NULL || *grid == '\0') {
        grid = default_grid(o->method);
    }
    PT_TRY(parse_grid(ctx, grid, dims, &n_dims));
    uint64_t n_points = 1;
    for (size_t d = 0; d < n_dims; d++) {
        n_points *= dims[d].n;
        if (n_points > GRID_MAX_POINTS) {
            rc = pt__error(ctx, PT_EINVAL, "--grid: more than %d points", GRID_MAX_POINTS);
            goto done;
        }
    }
    double t0 = pt__now();
    for (uint32_t f = 0; f < n_folds; f++) {
        PT_TRY(carve_fold(ctx, g, s, val, f, &v[f]));
        if (o->method != PT_EVAL_MOSTPOP) {
            PT_TRY(pt_split_train_graph(ctx, g, v[f], &train[f]));
        }
    }
    double build = pt__now() - t0;
    pt_walk_params best = *p;
    double best_ndcg = -1.0;
    char text[512];
    for (uint64_t pt = 0; pt < n_points; pt++) {
        pt_walk_params cur = *p;
        uint64_t rest = pt;
        size_t len = 0;
        text[0] = '\0';
        for (size_t d = 0; d < n_dims; d++) {
            /* The last dimension varies fastest. */
            uint64_t stride = 1;
            for (size_t e = d + 1; e < n_dims; e++) {
                stride *= dims[e].n;
            }
            size_t vi = (size_t)((rest / stride) % dims[d].n);
            set_param(&cur, dims[d].name, dims[d].v[vi]);
            if (len < sizeof text) {
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%s=%g",
                                        d > 0 ? " " : "", dims[d].name, dims[d].v[vi]);
            }
        }
        if (n_dims == 0) {
            snprintf(text, sizeof text, "(defaults)");
        }
        /* The point's result: every metric averaged over the folds. */
        pt_eval_result r;
        memset(&r, 0, sizeof r);
        for (uint32_t f = 0; f < n_folds; f++) {
            pt_eval_result rf;
            memset(&rf, 0, sizeof rf);
            PT_TRY(run_on(ctx, g, train[f], v[f], &cur, o, &rf));
            if (f == 0) {
                r = rf;
                continue;
            }
            r.n_users += rf.n_users;
            r.n_fallback += rf.n_fallback;
            r.n_short += rf.n_short;
            r.n_foreign += rf.n_foreign;
            r.query_seconds += rf.query_seconds;
            for (size_t k = 0; k < r.n_ks; k++) {
                pt_metrics *a = &r.m[k];
                const pt_metrics *b = &rf.m[k];
                a->hit += b->hit;
                a->ndcg += b->ndcg;
                a->recall += b->recall;
                a->mrr += b->mrr;
                a->precision += b->precision;
                a->item_coverage += b->item_coverage;
                a->gini += b->gini;
                a->tail_percentage += b->tail_percentage;
            }
        }
        for (size_t k = 0; k < r.n_ks && n_folds > 1; k++) {
            pt_metrics *a = &r.m[k];
            double inv = 1.0 / (double)n_folds;
            a->hit *= inv;
            a->ndcg *= inv;
            a->recall *= inv;
            a->mrr *= inv;
            a->precision *= inv;
            a->item_coverage *= inv;
            a->gini *= inv;
            a->tail_percentage *= inv;
        }
        r.build_seconds = build;
        if (fn != NULL) {
            fn(ud, text, &r);
        }
        if (r.m[0].ndcg > best_ndcg) {
            best_ndcg = r.m[0].ndcg;
            best = cur;
            if (best_point != NULL && best_cap > 0) {
                snprintf(best_point, best_cap, "%s", text);
            }
        }
    }
    *p = best;
    if (best_val != NULL) {
        *best_val = best_ndcg;
    }
done:
    for (uint32_t f = 0; f < PT_EVAL_MAX_FOLDS; f++) {
        pt_graph_free(train[f]);
        pt_split_free(v[f]);
    }
    return rc;
}
