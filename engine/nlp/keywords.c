/*
 * keywords.c - keyword tags for items: the top words (and two-word phrases) of each document
 * of a set, weighted by TF-IDF over the set, by TextRank, or by both.
 *
 * Candidates are the tokenizer's WORD and IDEO tokens that are not stop words, at least two
 * letters (Latin) or two characters (CJK) long. TF-IDF is (1 + ln tf) * (ln((1 + N) / (1 + df))
 * + 1) with df counted over the documents given. TextRank (Mihalcea and Tarau, EMNLP 2004)
 * runs weighted PageRank (d = 0.85, 30 iterations) on the graph whose nodes are a document's
 * candidate words and whose edges join words that occur within `window` tokens of each other,
 * weighted by how often they do. A phrase is two adjacent candidates; it competes only when it
 * occurs in at least two documents or twice in its own, and it is kept only when it scores
 * higher than both of its words, which are then dropped (so "battery life" replaces "battery"
 * and "life" only when the pair carries more weight than either word alone).
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlp/nlp.h"

struct pt_keyword_set {
    pt_ctx *ctx;
    pt__arena arena;
    pt_keyword **kw; /* per document */
    size_t *n_kw;
    size_t n_docs;
};

/* One candidate of a document while scoring. */
typedef struct cand {
    uint32_t id;    /* term id in the string table */
    uint32_t tf;
    uint32_t a, b;  /* word ids of a phrase's parts; a == UINT32_MAX for a single word */
    double tfidf, tr, score;
} cand;

/* Set the default options. */
void pt_keywords_opts_init(pt_keywords_opts *o) {
    o->method = PT_KEYWORDS_BOTH;
    o->top_k = 10;
    o->window = 4;
    o->phrases = 1;
}

/* Count the code points of a UTF-8 string. */
static size_t n_chars(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return n;
}

/* Is token t a keyword candidate? */
static int is_cand(const pt_tokenizer *tk, const pt_token *t) {
    if (t->kind != PT_TOKEN_WORD && t->kind != PT_TOKEN_IDEO) {
        return 0;
    }
    if (n_chars(t->text, t->len) < 2) {
        return 0;
    }
    return !pt__tokenizer_is_stop(tk, t->text, t->len);
}

/* Order candidates by score, descending, then by id for a stable result. */
static int cmp_cand(const void *x, const void *y) {
    const cand *a = x, *b = y;
    if (a->score != b->score) {
        return a->score < b->score ? 1 : -1;
    }
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Order candidates by term id. */
static int cmp_id(const void *x, const void *y) {
    const cand *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The per-document term sequence: term ids of candidates with their token positions, plus the
 * phrases. Stored as flat arrays over all documents. */
typedef struct seqs {
    uint32_t *term; /* word id, or phrase id */
    uint32_t *pos;  /* token position; phrases carry the position of their first word */
    uint32_t *pa, *pb; /* phrase parts, UINT32_MAX for words */
    uint64_t *off;  /* n_docs + 1 */
    size_t n, cap;
} seqs;

/* Append one term occurrence. */
static int seq_push(pt_ctx *ctx, seqs *s, uint32_t term, uint32_t pos, uint32_t a, uint32_t b) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint32_t *t = pt__realloc(ctx, s->term, cap * sizeof *t);
        if (t == NULL) {
            return PT_ENOMEM;
        }
        s->term = t;
        uint32_t *p = pt__realloc(ctx, s->pos, cap * sizeof *p);
        if (p == NULL) {
            return PT_ENOMEM;
        }
        s->pos = p;
        uint32_t *x = pt__realloc(ctx, s->pa, cap * sizeof *x);
        if (x == NULL) {
            return PT_ENOMEM;
        }
        s->pa = x;
        uint32_t *y = pt__realloc(ctx, s->pb, cap * sizeof *y);
        if (y == NULL) {
            return PT_ENOMEM;
        }
        s->pb = y;
        s->cap = cap;
    }
    s->term[s->n] = term;
    s->pos[s->n] = pos;
    s->pa[s->n] = a;
    s->pb[s->n] = b;
    s->n++;
    return PT_OK;
}

/* TextRank over the words of one document (cands c[0..n), sorted by id, words only), filling
 * c[i].tr; occurrences from seq s[lo..hi). The graph is kept as a list of co-occurrence pairs
 * (a repeated pair is a heavier edge), so memory grows with the text, not with n^2. */
static int textrank(pt_ctx *ctx, cand *c, size_t n, const seqs *s, uint64_t lo, uint64_t hi,
                    int window) {
    if (n == 0) {
        return PT_OK;
    }
    size_t n_edges = 0, cap = (size_t)(hi - lo) * (size_t)window + 1;
    uint32_t *ea = pt__malloc(ctx, cap * sizeof *ea);
    uint32_t *eb = pt__malloc(ctx, cap * sizeof *eb);
    double *deg = pt__calloc(ctx, n, sizeof *deg);
    double *r = pt__malloc(ctx, n * sizeof *r);
    double *r2 = pt__malloc(ctx, n * sizeof *r2);
    if (ea == NULL || eb == NULL || deg == NULL || r == NULL || r2 == NULL) {
        pt__free(ctx, ea);
        pt__free(ctx, eb);
        pt__free(ctx, deg);
        pt__free(ctx, r);
        pt__free(ctx, r2);
        return pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
    }
    for (uint64_t i = lo; i < hi; i++) {
        if (s->pa[i] != UINT32_MAX) {
            continue;
        }
        cand key = {s->term[i], 0, 0, 0, 0, 0, 0};
        cand *ci = bsearch(&key, c, n, sizeof *c, cmp_id);
        for (uint64_t j = i + 1; ci != NULL && j < hi && s->pos[j] < s->pos[i] + (uint32_t)window;
             j++) {
            if (s->pa[j] != UINT32_MAX || s->term[j] == s->term[i] || n_edges == cap) {
                continue;
            }
            cand key2 = {s->term[j], 0, 0, 0, 0, 0, 0};
            cand *cj = bsearch(&key2, c, n, sizeof *c, cmp_id);
            if (cj == NULL) {
                continue;
            }
            ea[n_edges] = (uint32_t)(ci - c);
            eb[n_edges++] = (uint32_t)(cj - c);
            deg[ci - c] += 1;
            deg[cj - c] += 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        r[i] = 1.0 / (double)n;
    }
    for (int it = 0; it < 30; it++) {
        for (size_t i = 0; i < n; i++) {
            r2[i] = 0.15 / (double)n;
        }
        for (size_t e = 0; e < n_edges; e++) {
            r2[eb[e]] += 0.85 * r[ea[e]] / deg[ea[e]];
            r2[ea[e]] += 0.85 * r[eb[e]] / deg[eb[e]];
        }
        for (size_t i = 0; i < n; i++) {
            /* an isolated word keeps its share rather than leaking it */
            r[i] = deg[i] > 0 ? r2[i] : r2[i] + 0.85 * r[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        c[i].tr = r[i];
    }
    pt__free(ctx, ea);
    pt__free(ctx, eb);
    pt__free(ctx, deg);
    pt__free(ctx, r);
    pt__free(ctx, r2);
    return PT_OK;
}

/* Is the last byte of a string ASCII (to join phrase words with a space unless both sides are
 * CJK: "设计" + "durable" is "设计 durable", "自行" + "车" is "自行车")? */
static int latin_end(const char *s, size_t len) {
    return len > 0 && (unsigned char)s[len - 1] < 0x80;
}

/* Extract keywords (see the file comment). */
/* Pre-tokenised documents: for each document its candidate tokens in order as records of
 * (u32 token position, u32 length, the bytes), and a record of length 0 where a token that is
 * not a candidate breaks the run of adjacent candidates (phrases never span it). Made by worker
 * threads so that ICU's segmentation, the bulk of the work, runs on every core; the interning
 * that follows reads them in document order, so the result is the serial one. */
typedef struct pretok {
    char *buf;
    size_t len, cap;
    size_t *doc_off; /* [n_docs + 1] */
} pretok;

typedef struct tok_job {
    const pt_tokenizer *tk;
    const char *const *docs;
    size_t lo, hi;
    pretok out;
    size_t bad_doc; /* first document that failed, or SIZE_MAX */
    int rc;
} tok_job;

/* Append one record. */
static int rec_put(pt_ctx *ctx, pretok *p, uint32_t pos, const char *text, uint32_t len) {
    if (pt__grow(ctx, (void **)&p->buf, &p->cap, p->len + 8 + len, 1) != PT_OK) {
        return PT_ENOMEM;
    }
    memcpy(p->buf + p->len, &pos, 4);
    memcpy(p->buf + p->len + 4, &len, 4);
    memcpy(p->buf + p->len + 8, text, len);
    p->len += 8 + len;
    return PT_OK;
}

/* Tokenise documents [lo, hi) with tokenizer `tk` into j->out (doc_off relative to lo); the
 * records are allocated on the caller's ctx, which the library's allocation hooks allow from
 * any thread (as pt_recommend_many's scratches do). */
static int pretokenize(const pt_tokenizer *orig, pt_tokenizer *tk, tok_job *j) {
    pt_ctx *ctx = pt__tokenizer_ctx(orig);
    j->out.doc_off = pt__malloc(ctx, (j->hi - j->lo + 1) * sizeof *j->out.doc_off);
    if (j->out.doc_off == NULL) {
        return PT_ENOMEM;
    }
    for (size_t d = j->lo; d < j->hi; d++) {
        j->out.doc_off[d - j->lo] = j->out.len;
        const pt_token *t;
        size_t nt;
        const char *doc = j->docs[d] != NULL ? j->docs[d] : "";
        int rc = pt_tokenizer_run(tk, doc, strlen(doc), &t, &nt);
        if (rc != PT_OK) {
            j->bad_doc = d;
            return rc;
        }
        int brk = 0;
        for (size_t i = 0; i < nt; i++) {
            if (!is_cand(orig, &t[i])) {
                brk = 1;
                continue;
            }
            if (brk && rec_put(ctx, &j->out, 0, "", 0) != PT_OK) {
                return PT_ENOMEM;
            }
            brk = 0;
            if (rec_put(ctx, &j->out, (uint32_t)i, t[i].text, (uint32_t)t[i].len) != PT_OK) {
                return PT_ENOMEM;
            }
        }
    }
    j->out.doc_off[j->hi - j->lo] = j->out.len;
    return PT_OK;
}

/* Thread body: its own ctx (for the tokenizer's messages) and a clone of the tokenizer. */
static void *tok_worker(void *arg) {
    tok_job *j = arg;
    pt_ctx *ctx = NULL;
    pt_tokenizer *tk = NULL;
    j->rc = pt_ctx_new(&ctx);
    if (j->rc == PT_OK) {
        j->rc = pt__tokenizer_clone(j->tk, ctx, &tk);
    }
    if (j->rc == PT_OK) {
        j->rc = pretokenize(j->tk, tk, j);
    }
    pt_tokenizer_free(tk);
    pt_ctx_free(ctx);
    return NULL;
}

/* Tokenise all documents on up to 4 threads (the calling thread's tokenizer `tk` takes the
 * first share): jobs[0..*n_jobs) cover the documents in order. PT_OK, or the first failure
 * (the message names the document). */
static int pretokenize_all(pt_tokenizer *tk, const char *const *docs, size_t n_docs,
                           tok_job *jobs, int *n_jobs) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
    if (n_docs < 64) {
        nt = 1;
    }
    pthread_t tid[4];
    int started[4] = {0, 0, 0, 0};
    for (int t = 0; t < nt; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].tk = tk;
        jobs[t].docs = docs;
        jobs[t].lo = n_docs * (size_t)t / (size_t)nt;
        jobs[t].hi = n_docs * (size_t)(t + 1) / (size_t)nt;
        jobs[t].bad_doc = SIZE_MAX;
    }
    for (int t = 1; t < nt; t++) {
        started[t] = pthread_create(&tid[t], NULL, tok_worker, &jobs[t]) == 0;
    }
    jobs[0].rc = pretokenize(tk, tk, &jobs[0]);
    for (int t = 1; t < nt; t++) {
        if (started[t]) {
            pthread_join(tid[t], NULL);
        } else {
            jobs[t].rc = pretokenize(tk, tk, &jobs[t]); /* no thread: do its share here */
        }
    }
    *n_jobs = nt;
    pt_ctx *ctx = pt__tokenizer_ctx(tk);
    for (int t = 0; t < nt; t++) {
        if (jobs[t].rc != PT_OK) {
            if (t == 0 && jobs[t].rc != PT_ENOMEM) { /* the tokenizer's message is on ctx */
                pt__error_prefix(ctx, "keywords: document %zu", jobs[t].bad_doc);
                return jobs[t].rc;
            }
            if (jobs[t].rc == PT_ENOMEM) {
                return pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
            }
            return pt__error(ctx, jobs[t].rc, "keywords: document %zu: invalid text",
                             jobs[t].bad_doc);
        }
    }
    return PT_OK;
}

int pt_keywords_extract(pt_tokenizer *tk, const char *const *docs, size_t n_docs,
                        const pt_keywords_opts *opts, pt_keyword_set **out) {
    pt_ctx *ctx = pt__tokenizer_ctx(tk);
    pt_keywords_opts dflt;
    pt__strtab terms;
    seqs s;
    uint32_t *df = NULL;
    cand *c = NULL;
    size_t c_cap = 0;
    char *join = NULL;
    size_t join_cap = 0;
    pt_keyword_set *ks = NULL;
    tok_job jobs[4];
    int n_jobs = 0;
    int rc = PT_OK;

    *out = NULL;
    memset(jobs, 0, sizeof jobs);
    if (opts == NULL) {
        pt_keywords_opts_init(&dflt);
        opts = &dflt;
    }
    if (opts->top_k < 1 || opts->window < 2 || opts->method < 0 || opts->method > 2 ||
        (docs == NULL && n_docs > 0)) {
        return pt__error(ctx, PT_EINVAL, "keywords: bad options");
    }
    pt__strtab_init(&terms, ctx);
    memset(&s, 0, sizeof s);
    ks = pt__calloc(ctx, 1, sizeof *ks);
    if (ks == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
        goto done;
    }
    ks->ctx = ctx;
    pt__arena_init(&ks->arena, ctx, 65536);
    s.off = pt__malloc(ctx, (n_docs + 1) * sizeof *s.off);
    if (s.off == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
        goto done;
    }
    ks->n_docs = n_docs;
    ks->kw = pt__calloc(ctx, n_docs + 1, sizeof *ks->kw);
    ks->n_kw = pt__calloc(ctx, n_docs + 1, sizeof *ks->n_kw);
    if (ks->kw == NULL || ks->n_kw == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
        goto done;
    }
    /* pass 1: term sequences and document frequencies (tokenised on every core first) */
    PT_TRY(pretokenize_all(tk, docs, n_docs, jobs, &n_jobs));
    s.off[0] = 0;
    for (int jb = 0; jb < n_jobs; jb++)
    for (size_t d = jobs[jb].lo; d < jobs[jb].hi; d++) {
        const char *rec = jobs[jb].out.buf + jobs[jb].out.doc_off[d - jobs[jb].lo];
        const char *rec_end = jobs[jb].out.buf + jobs[jb].out.doc_off[d - jobs[jb].lo + 1];
        long prev = -1;
        while (rec < rec_end) {
            pt_token tok;
            uint32_t pos, len;
            memcpy(&pos, rec, 4);
            memcpy(&len, rec + 4, 4);
            tok.text = rec + 8;
            tok.len = len;
            rec += 8 + len;
            if (len == 0) {
                prev = -1; /* a token that is not a candidate stood here */
                continue;
            }
            size_t i = pos;
            long id = pt__strtab_id(&terms, tok.text, tok.len, 1);
            if (id < 0) {
                rc = PT_ENOMEM;
                goto done;
            }
            PT_TRY(seq_push(ctx, &s, (uint32_t)id, (uint32_t)i, UINT32_MAX, UINT32_MAX));
            if (opts->phrases && prev >= 0) {
                size_t la = terms.len[prev], lb = tok.len;
                PT_TRY(pt__grow(ctx, (void **)&join, &join_cap, la + lb + 2, 1));
                memcpy(join, terms.str[prev], la);
                size_t jl = la;
                if (latin_end(terms.str[prev], la) || (unsigned char)tok.text[0] < 0x80) {
                    join[jl++] = ' ';
                }
                memcpy(join + jl, tok.text, lb);
                jl += lb;
                long pid = pt__strtab_id(&terms, join, jl, 1);
                if (pid < 0) {
                    rc = PT_ENOMEM;
                    goto done;
                }
                PT_TRY(seq_push(ctx, &s, (uint32_t)pid, (uint32_t)i - 1, (uint32_t)prev,
                                (uint32_t)id));
            }
            prev = id;
        }
        s.off[d + 1] = s.n;
    }
    /* document frequency: each term counted once per document, via the last document seen */
    {
        uint32_t *last = pt__calloc(ctx, terms.n + 1, sizeof *last);
        df = pt__calloc(ctx, terms.n + 1, sizeof *df);
        if (last == NULL || df == NULL) {
            pt__free(ctx, last);
            rc = pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
            goto done;
        }
        for (size_t d = 0; d < n_docs; d++) {
            for (uint64_t i = s.off[d]; i < s.off[d + 1]; i++) {
                if (last[s.term[i]] != (uint32_t)d + 1) {
                    last[s.term[i]] = (uint32_t)d + 1;
                    df[s.term[i]]++;
                }
            }
        }
        pt__free(ctx, last);
    }
    /* pass 2: score each document */
    double N = (double)n_docs;
    for (size_t d = 0; d < n_docs; d++) {
        uint64_t lo = s.off[d], hi = s.off[d + 1];
        size_t nc = 0;
        PT_TRY(pt__grow(ctx, (void **)&c, &c_cap, (size_t)(hi - lo) + 1, sizeof *c));
        for (uint64_t i = lo; i < hi; i++) {
            c[nc++] = (cand){s.term[i], 1, s.pa[i], s.pb[i], 0, 0, 0};
        }
        qsort(c, nc, sizeof *c, cmp_id);
        size_t u = 0;
        for (size_t i = 0; i < nc; i++) {
            if (u > 0 && c[u - 1].id == c[i].id) {
                c[u - 1].tf++;
            } else {
                c[u++] = c[i];
            }
        }
        nc = u;
        /* drop phrases that do not recur; the words stay sorted by id */
        size_t nw = 0;
        for (size_t i = 0; i < nc; i++) {
            if (c[i].a == UINT32_MAX) {
                nw++;
            }
        }
        /* move words to the front (stable, ids stay sorted), phrases after */
        cand *tmp = pt__malloc(ctx, (nc + 1) * sizeof *tmp);
        if (tmp == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
            goto done;
        }
        size_t wi = 0, pi = nw;
        for (size_t i = 0; i < nc; i++) {
            if (c[i].a == UINT32_MAX) {
                tmp[wi++] = c[i];
            } else if (df[c[i].id] >= 2 || c[i].tf >= 2) {
                tmp[pi++] = c[i];
            }
        }
        memcpy(c, tmp, pi * sizeof *c);
        pt__free(ctx, tmp);
        nc = pi;
        for (size_t i = 0; i < nc; i++) {
            double idf = log((1.0 + N) / (1.0 + df[c[i].id])) + 1.0;
            c[i].tfidf = (1.0 + log((double)c[i].tf)) * idf;
        }
        if (opts->method != PT_KEYWORDS_TFIDF) {
            PT_TRY(textrank(ctx, c, nw, &s, lo, hi, opts->window));
            for (size_t i = nw; i < nc; i++) {
                cand ka = {c[i].a, 0, 0, 0, 0, 0, 0}, kb = {c[i].b, 0, 0, 0, 0, 0, 0};
                cand *x = bsearch(&ka, c, nw, sizeof *c, cmp_id);
                cand *y = bsearch(&kb, c, nw, sizeof *c, cmp_id);
                c[i].tr = ((x ? x->tr : 0) + (y ? y->tr : 0)) / 2;
            }
        }
        double mt = 0, mr = 0;
        for (size_t i = 0; i < nc; i++) {
            mt = c[i].tfidf > mt ? c[i].tfidf : mt;
            mr = c[i].tr > mr ? c[i].tr : mr;
        }
        for (size_t i = 0; i < nc; i++) {
            double a = mt > 0 ? c[i].tfidf / mt : 0, b = mr > 0 ? c[i].tr / mr : 0;
            c[i].score = opts->method == PT_KEYWORDS_TFIDF      ? a
                         : opts->method == PT_KEYWORDS_TEXTRANK ? b
                                                                 : (a + b) / 2;
        }
        /* a phrase must beat both of its words */
        size_t keep = nw;
        for (size_t i = nw; i < nc; i++) {
            cand ka = {c[i].a, 0, 0, 0, 0, 0, 0}, kb = {c[i].b, 0, 0, 0, 0, 0, 0};
            cand *x = bsearch(&ka, c, nw, sizeof *c, cmp_id);
            cand *y = bsearch(&kb, c, nw, sizeof *c, cmp_id);
            if ((x == NULL || c[i].score > x->score) && (y == NULL || c[i].score > y->score)) {
                if (x != NULL) {
                    x->score = -1; /* replaced by the phrase */
                }
                if (y != NULL) {
                    y->score = -1;
                }
                c[keep++] = c[i];
            }
        }
        nc = keep;
        qsort(c, nc, sizeof *c, cmp_cand);
        size_t nk = 0;
        while (nk < nc && nk < (size_t)opts->top_k && c[nk].score > 0) {
            nk++;
        }
        ks->kw[d] = pt__arena_alloc(&ks->arena, (nk + 1) * sizeof(pt_keyword), 8);
        if (ks->kw[d] == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
            goto done;
        }
        double top = nk > 0 ? c[0].score : 1;
        for (size_t i = 0; i < nk; i++) {
            ks->kw[d][i].text = pt__arena_strndup(&ks->arena, terms.str[c[i].id],
                                                  terms.len[c[i].id]);
            ks->kw[d][i].weight = c[i].score / top;
            if (ks->kw[d][i].text == NULL) {
                rc = pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
                goto done;
            }
        }
        ks->n_kw[d] = nk;
    }
    *out = ks;
    ks = NULL;
done:
    if (rc == PT_ENOMEM && pt_ctx_errcode(ctx) != PT_ENOMEM) {
        pt__error(ctx, PT_ENOMEM, "keywords: out of memory");
    }
    pt__strtab_free(&terms);
    pt__free(ctx, s.term);
    pt__free(ctx, s.pos);
    pt__free(ctx, s.pa);
    pt__free(ctx, s.pb);
    pt__free(ctx, s.off);
    pt__free(ctx, df);
    pt__free(ctx, c);
    pt__free(ctx, join);
    for (int t = 0; t < 4; t++) {
        pt__free(ctx, jobs[t].out.buf);
        pt__free(ctx, jobs[t].out.doc_off);
    }
    pt_keyword_set_free(ks);
    return rc;
}

/* The keywords of document i. */
void pt_keyword_set_doc(const pt_keyword_set *s, size_t i, const pt_keyword **kws, size_t *n) {
    if (s == NULL || i >= s->n_docs) {
        *kws = NULL;
        *n = 0;
        return;
    }
    *kws = s->kw[i];
    *n = s->n_kw[i];
}

/* Free a keyword set. */
void pt_keyword_set_free(pt_keyword_set *s) {
    if (s == NULL) {
        return;
    }
    pt__arena_free(&s->arena);
    pt__free(s->ctx, s->kw);
    pt__free(s->ctx, s->n_kw);
    pt__free(s->ctx, s);
}
