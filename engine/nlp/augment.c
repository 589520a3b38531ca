/*
 * augment.c - more training text from little: EDA (Wei and Zou, "Easy Data Augmentation
 * Techniques for Boosting Performance on Text Classification Tasks", EMNLP 2019) with synonym
 * replacement, random insertion of a synonym, random swap and random deletion, plus character
 * noise for Chinese (an ideograph dropped or doubled), which mimics typos and the run-together
 * writing of reviews.
 *
 * Synonyms come from WordNet's database files for English (data.noun, data.verb, data.adj,
 * data.adv of Debian's wordnet-base, read as text: each synset line lists its words after the
 * offset, lexicographer file, synset type and a two-digit hex word count) or from a user file
 * of synonym groups, one group per line, for Chinese. Words map to the groups that hold them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp/nlp.h"

struct pt_synonyms {
    pt_ctx *ctx;
    pt__strtab words;
    uint32_t *gw;      /* words of all groups, group after group */
    uint64_t *goff;    /* group g holds gw[goff[g]..goff[g+1]) */
    size_t n_groups, gw_n, gw_cap, goff_cap;
    uint32_t *wg;      /* groups of each word: wg[woff[w]..woff[w+1]) */
    uint64_t *woff;
    size_t n_with;     /* words with at least one synonym */
};

/* Set the default options. */
void pt_augment_opts_init(pt_augment_opts *o) {
    o->p_synonym = 0.1;
    o->p_insert = 0.1;
    o->p_swap = 0.1;
    o->p_delete = 0.1;
    o->p_char = 0.05;
}

/* Make an empty synonym set. */
static pt_synonyms *syn_new(pt_ctx *ctx) {
    pt_synonyms *s = pt__calloc(ctx, 1, sizeof *s);
    if (s == NULL) {
        pt__error(ctx, PT_ENOMEM, "synonyms: out of memory");
        return NULL;
    }
    s->ctx = ctx;
    pt__strtab_init(&s->words, ctx);
    return s;
}

/* Free synonyms. */
void pt_synonyms_free(pt_synonyms *s) {
    if (s == NULL) {
        return;
    }
    pt_ctx *ctx = s->ctx;
    pt__strtab_free(&s->words);
    pt__free(ctx, s->gw);
    pt__free(ctx, s->goff);
    pt__free(ctx, s->wg);
    pt__free(ctx, s->woff);
    pt__free(ctx, s);
}

/* Number of words that have a synonym. */
size_t pt_synonyms_size(const pt_synonyms *s) {
    return s != NULL ? s->n_with : 0;
}

/* Add word w[0..len) to the group being built. */
static int group_word(pt_synonyms *s, const char *w, size_t len) {
    long id = pt__strtab_id(&s->words, w, len, 1);
    if (id < 0) {
        return PT_ENOMEM;
    }
    for (uint64_t i = s->goff[s->n_groups]; i < s->gw_n; i++) {
        if (s->gw[i] == (uint32_t)id) {
            return PT_OK; /* already in this group */
        }
    }
    int rc = pt__grow(s->ctx, (void **)&s->gw, &s->gw_cap, s->gw_n + 1, sizeof *s->gw);
    if (rc != PT_OK) {
        return rc;
    }
    s->gw[s->gw_n++] = (uint32_t)id;
    return PT_OK;
}

/* Start a group (call before its words). */
static int group_begin(pt_synonyms *s) {
    int rc = pt__grow(s->ctx, (void **)&s->goff, &s->goff_cap, s->n_groups + 2,
                      sizeof *s->goff);
    if (rc == PT_OK) {
        s->goff[s->n_groups] = s->gw_n;
    }
    return rc;
}

/* Close a group: keep it when it has two words or more. */
static void group_end(pt_synonyms *s) {
    if (s->gw_n - s->goff[s->n_groups] >= 2) {
        s->n_groups++;
    } else {
        s->gw_n = s->goff[s->n_groups];
    }
    s->goff[s->n_groups] = s->gw_n;
}

/* Build the word -> groups index by counting sort. */
static int index_words(pt_synonyms *s) {
    size_t nw = s->words.n;
    s->woff = pt__calloc(s->ctx, nw + 2, sizeof *s->woff);
    s->wg = pt__malloc(s->ctx, (s->gw_n + 1) * sizeof *s->wg);
    if (s->woff == NULL || s->wg == NULL) {
        return pt__error(s->ctx, PT_ENOMEM, "synonyms: out of memory");
    }
    for (size_t i = 0; i < s->gw_n; i++) {
        s->woff[s->gw[i] + 2]++;
    }
    for (size_t w = 0; w < nw; w++) {
        s->woff[w + 2] += s->woff[w + 1];
    }
    for (size_t g = 0; g < s->n_groups; g++) {
        for (uint64_t i = s->goff[g]; i < s->goff[g + 1]; i++) {
            s->wg[s->woff[s->gw[i] + 1]++] = (uint32_t)g;
        }
    }
    s->n_with = 0;
    for (size_t w = 0; w < nw; w++) {
        s->n_with += s->woff[w + 1] > s->woff[w];
    }
    return PT_OK;
}

/* Parse one line of a WordNet data file into a group. Returns PT_OK (also for lines that are
 * not synsets, such as the licence header, which starts with spaces). */
static int wordnet_line(pt_synonyms *s, char *line) {
    if (line[0] < '0' || line[0] > '9') {
        return PT_OK;
    }
    char *save = NULL;
    char *tok = strtok_r(line, " ", &save); /* offset */
    tok = tok ? strtok_r(NULL, " ", &save) : NULL; /* lex_filenum */
    tok = tok ? strtok_r(NULL, " ", &save) : NULL; /* ss_type */
    tok = tok ? strtok_r(NULL, " ", &save) : NULL; /* w_cnt, hex */
    if (tok == NULL) {
        return PT_OK;
    }
    long cnt = strtol(tok, NULL, 16);
    int rc = group_begin(s);
    for (long i = 0; i < cnt && rc == PT_OK; i++) {
        char *w = strtok_r(NULL, " ", &save);
        char *lex = w ? strtok_r(NULL, " ", &save) : NULL;
        if (lex == NULL) {
            break;
        }
        size_t len = strcspn(w, "("); /* adjective markers: "big(a)" */
        for (size_t k = 0; k < len; k++) {
            if (w[k] == '_') {
                w[k] = ' ';
            } else if (w[k] >= 'A' && w[k] <= 'Z') {
                w[k] = (char)(w[k] + 32);
            }
        }
        rc = group_word(s, w, len);
    }
    if (rc == PT_OK) {
        group_end(s);
    }
    return rc;
}

/* Read `path` line by line (lines up to 64 KiB; longer ones are cut) and hand each to fn. */
static int each_line(pt_synonyms *s, const char *path, int (*fn)(pt_synonyms *, char *, size_t),
                     int *opened) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *opened = 0;
        return PT_OK;
    }
    *opened = 1;
    char *line = pt__malloc(s->ctx, 65536);
    if (line == NULL) {
        fclose(f);
        return pt__error(s->ctx, PT_ENOMEM, "synonyms: out of memory");
    }
    int rc = PT_OK;
    size_t lineno = 0;
    while (rc == PT_OK && fgets(line, 65536, f) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        rc = fn(s, line, lineno);
    }
    if (rc == PT_OK && ferror(f)) {
        rc = pt__error(s->ctx, PT_EIO, "synonyms: read error on %s", path);
    } else if (rc != PT_OK && rc != PT_ENOMEM) {
        pt__error_prefix(s->ctx, "%s", path);
    }
    pt__free(s->ctx, line);
    fclose(f);
    return rc;
}

/* each_line adapter for WordNet files. */
static int wn_fn(pt_synonyms *s, char *line, size_t lineno) {
    (void)lineno;
    return wordnet_line(s, line);
}

/* Load WordNet synsets from the data files in `dir`. */
int pt_synonyms_load_wordnet(pt_ctx *ctx, const char *dir, pt_synonyms **out) {
    static const char *const files[] = {"data.noun", "data.verb", "data.adj", "data.adv"};
    *out = NULL;
    pt_synonyms *s = syn_new(ctx);
    if (s == NULL) {
        return PT_ENOMEM;
    }
    int rc = group_begin(s), any = 0;
    char path[4096];
    for (size_t i = 0; i < 4 && rc == PT_OK; i++) {
        int opened = 0;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        rc = each_line(s, path, wn_fn, &opened);
        any |= opened;
    }
    if (rc == PT_OK && !any) {
        rc = pt__error(ctx, PT_EIO, "synonyms: no WordNet data file (data.noun, ...) in %s",
                       dir);
    }
    if (rc == PT_OK) {
        rc = index_words(s);
    }
    if (rc != PT_OK) {
        pt_synonyms_free(s);
        return rc;
    }
    *out = s;
    return PT_OK;
}

/* each_line adapter for group files: words separated by spaces or tabs. */
static int group_fn(pt_synonyms *s, char *line, size_t lineno) {
    size_t len = strlen(line);
    if (pt__utf8_check(line, len) != len) {
        return pt__error(s->ctx, PT_EPARSE, "line %zu: invalid UTF-8", lineno);
    }
    int rc = group_begin(s);
    char *save = NULL;
    int first = 1;
    for (char *w = strtok_r(line, " \t", &save); w != NULL && rc == PT_OK;
         w = strtok_r(NULL, " \t", &save)) {
        size_t wl = strlen(w);
        if (first && wl > 0 && (w[wl - 1] == '=' || w[wl - 1] == '#' || w[wl - 1] == '@')) {
            first = 0;
            continue; /* a Cilin code such as "Aa01A01=" */
        }
        first = 0;
        rc = group_word(s, w, wl);
    }
    if (rc == PT_OK) {
        group_end(s);
    }
    return rc;
}

/* Load synonym groups from a file. */
int pt_synonyms_load_groups(pt_ctx *ctx, const char *path, pt_synonyms **out) {
    *out = NULL;
    pt_synonyms *s = syn_new(ctx);
    if (s == NULL) {
        return PT_ENOMEM;
    }
    int opened = 0;
    int rc = group_begin(s);
    if (rc == PT_OK) {
        rc = each_line(s, path, group_fn, &opened);
    }
    if (rc == PT_OK && !opened) {
        rc = pt__error(ctx, PT_EIO, "synonyms: cannot open %s", path);
    }
    if (rc == PT_OK) {
        rc = index_words(s);
    }
    if (rc != PT_OK) {
        pt_synonyms_free(s);
        return rc;
    }
    *out = s;
    return PT_OK;
}

/* A random synonym of w[0..len) other than itself, or NULL. */
static const char *synonym_of(const pt_synonyms *s, const char *w, size_t len, uint64_t *rng) {
    if (s == NULL) {
        return NULL;
    }
    long id = pt__strtab_id((pt__strtab *)&s->words, w, len, 0);
    if (id < 0 || s->woff[id + 1] == s->woff[id]) {
        return NULL;
    }
    uint64_t ng = s->woff[id + 1] - s->woff[id];
    uint32_t g = s->wg[s->woff[id] + pt__rng_next(rng) % ng];
    uint64_t nw = s->goff[g + 1] - s->goff[g];
    for (int tries = 0; tries < 4; tries++) {
        uint32_t other = s->gw[s->goff[g] + pt__rng_next(rng) % nw];
        if (other != (uint32_t)id) {
            return s->words.str[other];
        }
    }
    return NULL;
}

/* Free an augmented string. */
void pt_augment_str_free(pt_ctx *ctx, char *s) {
    pt__free(ctx, s);
}

/* Number of operations for a share p of n words: at least one when p > 0. */
static size_t n_ops(double p, size_t n) {
    if (p <= 0 || n == 0) {
        return 0;
    }
    size_t k = (size_t)(p * (double)n);
    return k > 0 ? k : 1;
}

/* Make one augmented variant of a text (see pt_nlp.h). */
int pt_augment_text(pt_tokenizer *tk, const pt_synonyms *syn, const pt_augment_opts *o,
                    const char *text, size_t len, uint64_t *rng, char **out) {
    pt_ctx *ctx = pt__tokenizer_ctx(tk);
    pt_augment_opts dflt;
    *out = NULL;
    if (o == NULL) {
        pt_augment_opts_init(&dflt);
        o = &dflt;
    }
    const pt_token *t;
    size_t n;
    int rc = pt_tokenizer_run(tk, text, len, &t, &n);
    if (rc != PT_OK) {
        return rc;
    }
    /* words as (pointer, length, cjk) triples; room for the insertions */
    size_t cap = n * 2 + 4;
    const char **w = pt__malloc(ctx, cap * sizeof *w);
    size_t *wl = pt__malloc(ctx, cap * sizeof *wl);
    if (w == NULL || wl == NULL) {
        pt__free(ctx, w);
        pt__free(ctx, wl);
        return pt__error(ctx, PT_ENOMEM, "augment: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        w[i] = t[i].text;
        wl[i] = t[i].len;
    }
    /* synonym replacement */
    for (size_t k = n_ops(o->p_synonym, n); k > 0 && syn != NULL; k--) {
        size_t i = (size_t)(pt__rng_next(rng) % n);
        const char *r = synonym_of(syn, w[i], wl[i], rng);
        if (r != NULL) {
            w[i] = r;
            wl[i] = strlen(r);
        }
    }
    /* random insertion of a synonym of a random word */
    for (size_t k = n_ops(o->p_insert, n); k > 0 && syn != NULL && n > 0 && n + 1 < cap; k--) {
        size_t i = (size_t)(pt__rng_next(rng) % n);
        const char *r = synonym_of(syn, w[i], wl[i], rng);
        if (r == NULL) {
            continue;
        }
        size_t at = (size_t)(pt__rng_next(rng) % (n + 1));
        memmove(w + at + 1, w + at, (n - at) * sizeof *w);
        memmove(wl + at + 1, wl + at, (n - at) * sizeof *wl);
        w[at] = r;
        wl[at] = strlen(r);
        n++;
    }
    /* random swap */
    for (size_t k = n_ops(o->p_swap, n); k > 0 && n >= 2; k--) {
        size_t i = (size_t)(pt__rng_next(rng) % n), j = (size_t)(pt__rng_next(rng) % n);
        const char *tw = w[i];
        size_t tl = wl[i];
        w[i] = w[j];
        wl[i] = wl[j];
        w[j] = tw;
        wl[j] = tl;
    }
    /* random deletion, keeping at least one word */
    if (o->p_delete > 0 && n > 1) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (pt__rng_unit(rng) >= o->p_delete) {
                w[m] = w[i];
                wl[m++] = wl[i];
            }
        }
        if (m == 0) {
            size_t i = (size_t)(pt__rng_next(rng) % n);
            w[0] = w[i];
            wl[0] = wl[i];
            m = 1;
        }
        n = m;
    }
    /* join, with character noise inside CJK words (3-byte UTF-8 ideographs) */
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        total += wl[i] * 2 + 1;
    }
    char *s = pt__malloc(ctx, total);
    if (s == NULL) {
        pt__free(ctx, w);
        pt__free(ctx, wl);
        return pt__error(ctx, PT_ENOMEM, "augment: out of memory");
    }
    size_t p = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *x = (const unsigned char *)w[i];
        if (i > 0 && p > 0 && (unsigned char)s[p - 1] < 0x80 && x[0] < 0x80 &&
            s[p - 1] != ' ') {
            s[p++] = ' ';
        }
        for (size_t k = 0; k < wl[i];) {
            size_t cl = x[k] < 0x80 ? 1 : x[k] < 0xE0 ? 2 : x[k] < 0xF0 ? 3 : 4;
            if (k + cl > wl[i]) {
                cl = wl[i] - k;
            }
            int cjk = cl == 3 && x[k] >= 0xE4 && x[k] <= 0xE9;
            double u = cjk && o->p_char > 0 ? pt__rng_unit(rng) : 1.0;
            if (u < o->p_char / 2 && wl[i] > cl) {
                k += cl; /* drop */
                continue;
            }
            memcpy(s + p, x + k, cl);
            p += cl;
            if (u < o->p_char) {
                memcpy(s + p, x + k, cl); /* double */
                p += cl;
            }
            k += cl;
        }
    }
    s[p] = '\0';
    pt__free(ctx, w);
    pt__free(ctx, wl);
    *out = s;
    return PT_OK;
}
