/*
 * tag.c - the thin adapter between the text library (engine/nlp, which knows nothing of graphs)
 * and the graph: keyword tags for items and sentiment for reviews, written as edges into a
 * builder seeded with the store's graph, so `portrait tag` commits them like an import.
 *
 * Items: the documents are each item's titles, descriptions and the texts of the review events
 * about it; keywords (TF-IDF + TextRank over the item set) become `item pt:hasTag tag` edges
 * weighted by the keyword's weight. A keyword first matches an existing Tag or Category node by
 * its label (rdfs:label / skos:prefLabel, case-folded); otherwise a Tag node base+"tag/"+slug is
 * made. Reviews (with a sentiment model): each event's text gets a score in [-1, 1], kept as the
 * event's pt:sentiment literal and as a `user pt:reviewSentiment item` edge weighted by it; the
 * scores summed over each reviewed item's tags give `user pt:likes tag` / `pt:dislikes` edges.
 * Edges fold by (s, p, o) and literals are sets, so running it twice changes nothing.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "portrait/pt_nlp.h"
#include "portrait/pt_tag.h"

/* A growable text buffer. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

/* Append text and a separator; 0 on out-of-memory. */
static int sb_add(pt_ctx *ctx, sbuf *b, const char *t) {
    size_t l = strlen(t);
    if (pt__grow(ctx, (void **)&b->s, &b->cap, b->n + l + 3, 1) != PT_OK) {
        return 0;
    }
    memcpy(b->s + b->n, t, l);
    b->n += l;
    memcpy(b->s + b->n, " \n", 2);
    b->n += 2;
    b->s[b->n] = '\0';
    return 1;
}

/* Look up an IRI of the graph (PT_NONE when absent). */
static pt_node_id look(const pt_graph *g, const char *iri) {
    return pt_graph_lookup(g, iri, strlen(iri), PT_TERM_IRI);
}

/* A label -> node table of existing tags and categories (linear probing on a string hash). */
typedef struct labels {
    char **key;
    pt_node_id *node;
    size_t cap;
} labels;

/* Case-fold ASCII in place (keywords come case-folded from the tokenizer). */
static void fold(char *s) {
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            *s = (char)(*s - 'A' + 'a');
        }
    }
}

/* Add label `text` for `node` (first one wins). */
static int labels_put(pt_ctx *ctx, labels *t, const char *text, pt_node_id node) {
    char *k = pt__strdup(ctx, text);
    if (k == NULL) {
        return PT_ENOMEM;
    }
    fold(k);
    size_t i = pt__hash(k, strlen(k), 3) & (t->cap - 1);
    while (t->key[i] != NULL) {
        if (strcmp(t->key[i], k) == 0) {
            pt__free(ctx, k);
            return PT_OK;
        }
        i = (i + 1) & (t->cap - 1);
    }
    t->key[i] = k;
    t->node[i] = node;
    return PT_OK;
}

/* The node whose label is `text`, or PT_NONE. */
static pt_node_id labels_get(const labels *t, const char *text) {
    size_t i = pt__hash(text, strlen(text), 3) & (t->cap - 1);
    while (t->key[i] != NULL) {
        if (strcmp(t->key[i], text) == 0) {
            return t->node[i];
        }
        i = (i + 1) & (t->cap - 1);
    }
    return PT_NONE;
}

/* Make a slug of a keyword for a new tag IRI: ASCII letters and digits kept, other ASCII as
 * '-', UTF-8 bytes percent-encoded. */
static void slug(const char *kw, char *out, size_t cap) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)kw; *p && o + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')) {
            out[o++] = (char)*p;
        } else if (*p < 0x80) {
            out[o++] = '-';
        } else {
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
        }
    }
    out[o] = '\0';
}

void pt_tag_opts_init(pt_tag_opts *o) {
    memset(o, 0, sizeof *o);
    o->top_k = 5;
    o->min_weight = 0.2;
}

/* One review to score: its event node, user, item, text, and the result. */
typedef struct review {
    pt_node_id v, user, item;
    const char *text;
    double score;
    int rc;
} review;

/* Reviews shared by the scoring threads; each takes the next unscored one. */
typedef struct scoring {
    const pt_textclf *model;
    review *rv;
    size_t n;
    atomic_size_t next;
    pt_ctx *main_ctx; /* the caller's, for progress; used by the calling thread only */
} scoring;

/* Score reviews until none is left, with predictor `m` (a clone, or the model itself on the
 * calling thread, which also reports progress). */
static void score_loop(scoring *sc, pt_textclf *m, int report) {
    for (;;) {
        size_t j = atomic_fetch_add(&sc->next, 1);
        if (j >= sc->n) {
            break;
        }
        pt_text_prediction pr;
        review *r = &sc->rv[j];
        r->rc = pt_textclf_predict(m, r->text, strlen(r->text), &pr);
        r->score = r->rc == PT_OK ? pr.score : 0.0;
        if (report && (j & 1023) == 0) {
            pt__progress(sc->main_ctx, "reviews", j, sc->n);
        }
    }
}

/* A helper thread's work: its own ctx and predictor. */
static void *score_thread(void *arg) {
    scoring *sc = arg;
    pt_ctx *ctx = NULL;
    pt_textclf *m = NULL;
    if (pt_ctx_new(&ctx) == PT_OK && pt_textclf_clone(sc->model, ctx, &m) == PT_OK) {
        score_loop(sc, m, 0);
    }
    pt_textclf_free(m);
    pt_ctx_free(ctx);
    return NULL;
}

/* Score every review with `model` on up to 4 threads (the online CPUs), the calling thread one
 * of them. A helper thread that cannot start leaves its share to the others. PT_OK. */
static int score_reviews(pt_ctx *ctx, pt_textclf *model, review *rv, size_t n) {
    scoring sc;
    sc.model = model;
    sc.rv = rv;
    sc.n = n;
    atomic_init(&sc.next, 0);
    sc.main_ctx = ctx;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
    if (n < 512) {
        nt = 1;
    }
    pthread_t tid[4];
    int started[4] = {0, 0, 0, 0};
    for (int t = 1; t < nt; t++) {
        started[t] = pthread_create(&tid[t], NULL, score_thread, &sc) == 0;
    }
    score_loop(&sc, model, 1);
    for (int t = 1; t < nt; t++) {
        if (started[t]) {
            pthread_join(tid[t], NULL);
        }
    }
    pt__progress(ctx, "reviews", n, n);
    return PT_OK;
}

int pt_tag_graph(pt_ctx *ctx, const pt_graph *g, pt_textclf *sentiment, const pt_tag_opts *o,
                 pt_builder *b, pt_tag_stats *st) {
    pt_tag_opts def;
    if (o == NULL) {
        pt_tag_opts_init(&def);
        o = &def;
    }
    memset(st, 0, sizeof *st);
    uint32_t n = pt_graph_node_count(g);
    pt_node_id p_title = look(g, PT_TITLE), p_desc = look(g, PT_DESCRIPTION),
               p_text = look(g, PT_EV_TEXT), p_item = look(g, PT_EV_ITEM),
               p_user = look(g, PT_EV_USER), p_label = look(g, PT_RDFS_LABEL),
               p_pref = look(g, PT_SKOS_NS "prefLabel");
    pt_tokenizer *tk = NULL;
    pt_keyword_set *ks = NULL;
    pt_node_id *items = NULL;
    char **docs = NULL;
    labels lt = {0};
    size_t n_items = 0;
    int rc = PT_OK;
    pt_tokenizer_opts to;
    pt_tokenizer_opts_init(&to);
    to.stopwords = 1;
    PT_TRY(pt_tokenizer_new(ctx, &to, &tk));
    items = pt__malloc(ctx, ((size_t)n + 1) * sizeof *items);
    docs = pt__calloc(ctx, (size_t)n + 1, sizeof *docs);
    lt.cap = 1024;
    while (lt.cap < (size_t)n * 2 + 2) {
        lt.cap *= 2;
    }
    lt.key = pt__calloc(ctx, lt.cap, sizeof *lt.key);
    lt.node = pt__malloc(ctx, lt.cap * sizeof *lt.node);
    if (items == NULL || docs == NULL || lt.key == NULL || lt.node == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory tagging");
        goto done;
    }
    /* Labels of existing tags and categories, and each item's document. */
    sbuf *bufs = NULL;
    for (pt_node_id v = 0; v < n; v++) {
        pt_class c = pt_graph_node_class(g, v);
        if (c == PT_CLASS_TAG || c == PT_CLASS_CATEGORY) {
            uint64_t nl = pt_graph_literal_count_of(g, v);
            pt_literal lit;
            for (uint64_t i = 0; i < nl; i++) {
                if (pt_graph_literal(g, v, i, &lit) == PT_OK &&
                    (lit.pred == p_label || lit.pred == p_pref)) {
                    PT_TRY(labels_put(ctx, &lt, lit.lex, v));
                }
            }
        } else if (c == PT_CLASS_ITEM) {
            items[n_items++] = v;
        }
    }
    bufs = pt__calloc(ctx, n_items + 1, sizeof *bufs);
    if (bufs == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "out of memory tagging");
        goto done;
    }
    /* index of each item in items[] through a dense map (node -> index + 1) */
    uint32_t *pos = pt__calloc(ctx, (size_t)n + 1, sizeof *pos);
    if (pos == NULL) {
        pt__free(ctx, bufs);
        rc = pt__error(ctx, PT_ENOMEM, "out of memory tagging");
        goto done;
    }
    for (size_t i = 0; i < n_items; i++) {
        pos[items[i]] = (uint32_t)i + 1;
        pt_literal lit;
        uint64_t nl = pt_graph_literal_count_of(g, items[i]);
        for (uint64_t k = 0; k < nl; k++) {
            if (pt_graph_literal(g, items[i], k, &lit) == PT_OK &&
                (lit.pred == p_title || lit.pred == p_desc) && !sb_add(ctx, &bufs[i], lit.lex)) {
                rc = PT_ENOMEM;
            }
        }
    }
    /* Review texts: events with pt:item and pt:text. */
    for (pt_node_id v = 0; rc == PT_OK && p_text != PT_NONE && p_item != PT_NONE && v < n; v++) {
        const char *text = pt_graph_literal_get(g, v, p_text, NULL);
        if (text == NULL) {
            continue;
        }
        pt_edge_iter it;
        pt_node_id item, pred;
        pt_graph_edges(g, v, 0, p_item, &it);
        if (pt_graph_edge_next_nbr(&it, &item, &pred) && pos[item] != 0 &&
            !sb_add(ctx, &bufs[pos[item] - 1], text)) {
            rc = PT_ENOMEM;
        }
    }
    for (size_t i = 0; i < n_items; i++) {
        docs[i] = bufs[i].s != NULL ? bufs[i].s : (char *)"";
    }
    pt_keywords_opts ko;
    pt_keywords_opts_init(&ko);
    ko.top_k = (int)o->top_k;
    if (rc == PT_OK) {
        pt__progress(ctx, "keywords", 0, n_items);
        rc = pt_keywords_extract(tk, (const char *const *)docs, n_items, &ko, &ks);
    }
    /* Item tags. */
    const char *base = pt_graph_base(g);
    pt_node_id has_tag = pt_builder_intern(b, PT_HAS_TAG, strlen(PT_HAS_TAG), PT_TERM_IRI),
               type = pt_builder_intern(b, PT_RDF_TYPE, strlen(PT_RDF_TYPE), PT_TERM_IRI),
               tag_cls = pt_builder_intern(b, PT_TAG, strlen(PT_TAG), PT_TERM_IRI),
               label = pt_builder_intern(b, PT_RDFS_LABEL, strlen(PT_RDFS_LABEL), PT_TERM_IRI);
    /* The tags given to item i this run: kt[kt_off[i] .. kt_off[i + 1]), for the opinions. */
    size_t *kt_off = pt__calloc(ctx, n_items + 1, sizeof *kt_off);
    pt_node_id *kt = pt__malloc(ctx, (n_items * o->top_k + 1) * sizeof *kt);
    if (kt_off == NULL || kt == NULL) {
        rc = PT_ENOMEM;
    }
    for (size_t i = 0; rc == PT_OK && i < n_items; i++) {
        const pt_keyword *kw;
        size_t nk;
        kt_off[i + 1] = kt_off[i];
        pt_keyword_set_doc(ks, i, &kw, &nk);
        for (size_t k = 0; k < nk; k++) {
            if (kw[k].weight < o->min_weight) {
                continue;
            }
            pt_node_id t = labels_get(&lt, kw[k].text);
            if (t == PT_NONE) {
                char iri[1024], sl[700];
                slug(kw[k].text, sl, sizeof sl);
                snprintf(iri, sizeof iri, "%s%stag/kw-%s", base,
                         base[0] != '\0' ? "" : "urn:portrait:", sl);
                t = pt_builder_intern(b, iri, strlen(iri), PT_TERM_IRI);
                pt_builder_add_edge(b, t, type, tag_cls, 1.0f, PT_TIME_UNKNOWN);
                pt_builder_add_literal(b, t, label, kw[k].text, strlen(kw[k].text), PT_NONE,
                                       NULL, 0);
                st->new_tags++;
            } else {
                st->matched++;
            }
            pt_builder_add_edge(b, items[i], has_tag, t, (float)kw[k].weight, PT_TIME_UNKNOWN);
            st->item_tags++;
            if (kt_off[i + 1] < (i + 1) * o->top_k) {
                kt[kt_off[i + 1]++] = t;
            }
        }
        pt__progress(ctx, "keywords", i + 1, n_items);
    }
    /* Review sentiment, and likes / dislikes of the reviewed items' tags. */
    if (rc == PT_OK && sentiment != NULL && p_text != PT_NONE && p_user != PT_NONE) {
        pt_node_id p_sent = pt_builder_intern(b, PT_NS "sentiment", strlen(PT_NS "sentiment"),
                                              PT_TERM_IRI),
                   p_rs = pt_builder_intern(b, PT_NS "reviewSentiment",
                                            strlen(PT_NS "reviewSentiment"), PT_TERM_IRI),
                   p_likes = pt_builder_intern(b, PT_NS "likes", strlen(PT_NS "likes"),
                                               PT_TERM_IRI),
                   p_dislikes = pt_builder_intern(b, PT_NS "dislikes",
                                                  strlen(PT_NS "dislikes"), PT_TERM_IRI),
                   dec = pt_builder_intern(b, PT_XSD_DECIMAL, strlen(PT_XSD_DECIMAL),
                                           PT_TERM_IRI);
        pt_node_id g_has_tag = look(g, PT_HAS_TAG);
        /* The reviews: event nodes with a text, a user and an item. */
        review *rv = NULL;
        size_t n_rv = 0, rv_cap = 0;
        for (pt_node_id v = 0; rc == PT_OK && v < n; v++) {
            const char *text = pt_graph_literal_get(g, v, p_text, NULL);
            if (text == NULL) {
                continue;
            }
            pt_edge_iter it;
            pt_node_id user = PT_NONE, item = PT_NONE, pred;
            pt_graph_edges(g, v, 0, p_user, &it);
            if (!pt_graph_edge_next_nbr(&it, &user, &pred)) {
                continue;
            }
            pt_graph_edges(g, v, 0, p_item, &it);
            if (!pt_graph_edge_next_nbr(&it, &item, &pred)) {
                continue;
            }
            if (pt__grow(ctx, (void **)&rv, &rv_cap, n_rv + 1, sizeof *rv) != PT_OK) {
                rc = PT_ENOMEM;
                break;
            }
            rv[n_rv++] = (review){v, user, item, text, 0.0, PT_OK};
        }
        if (rc == PT_OK) {
            rc = score_reviews(ctx, sentiment, rv, n_rv);
        }
        for (size_t j = 0; rc == PT_OK && j < n_rv; j++) {
            pt_node_id v = rv[j].v, user = rv[j].user, item = rv[j].item;
            pt_edge_iter it;
            pt_node_id pred;
            if (rv[j].rc != PT_OK) {
                st->failed++;
                continue;
            }
            double score = rv[j].score;
            char num[32];
            snprintf(num, sizeof num, "%.4f", score);
            pt_builder_add_literal(b, v, p_sent, num, strlen(num), dec, NULL, 0);
            pt_builder_add_edge(b, user, p_rs, item, (float)score, PT_TIME_UNKNOWN);
            st->reviews++;
            /* the item's tags as they were, plus the keyword tags just found (the same set
             * on every run, so the edges are too) */
            pt_node_id op = score >= 0 ? p_likes : p_dislikes, tag;
            float ow = (float)fabs(score);
            if (pos[item] != 0) {
                size_t i = pos[item] - 1;
                for (size_t k = kt_off[i]; k < kt_off[i + 1]; k++) {
                    pt_builder_add_edge(b, user, op, kt[k], ow, PT_TIME_UNKNOWN);
                    st->opinions++;
                }
            }
            pt_graph_edges(g, item, 0, g_has_tag, &it);
            while (g_has_tag != PT_NONE && pt_graph_edge_next_nbr(&it, &tag, &pred)) {
                if (pt_graph_node_str(g, tag) != NULL &&
                    strstr(pt_graph_node_str(g, tag), "tag/kw-") != NULL) {
                    continue; /* a keyword tag of an earlier run: counted above */
                }
                pt_builder_add_edge(b, user, op, tag, ow, PT_TIME_UNKNOWN);
                st->opinions++;
            }
        }
        pt__free(ctx, rv);
    }
    pt__free(ctx, pos);
    pt__free(ctx, kt);
    pt__free(ctx, kt_off);
    for (size_t i = 0; i < n_items; i++) {
        pt__free(ctx, bufs[i].s);
    }
    pt__free(ctx, bufs);
done:
    for (size_t i = 0; lt.key != NULL && i < lt.cap; i++) {
        pt__free(ctx, lt.key[i]);
    }
    pt__free(ctx, lt.key);
    pt__free(ctx, lt.node);
    pt__free(ctx, docs);
    pt__free(ctx, items);
    pt_keyword_set_free(ks);
    pt_tokenizer_free(tk);
    return rc;
}

/* --- reviews that arrive while the graph is served ------------------------------------------ */

/* What pt_tag_new_reviews keeps beside each review: its copy of the text and the item's tags
 * as they were. */
typedef struct live_extra {
    char *text;
    pt_node_id *tags;
    size_t n_tags;
} live_extra;

int pt_tag_new_reviews(pt_ctx *ctx, pt_graph *g, pt_textclf *sentiment, pt_node_id from,
                       pt_node_id *next, pt_tag_stats *st) {
    memset(st, 0, sizeof *st);
    int rc = PT_OK;
    review *rv = NULL;
    live_extra *ex = NULL;
    size_t n = 0, cap = 0, ex_cap = 0;
    /* 1. Under the read lock: the new review events without a sentiment, with copies of what
     * step 3 needs (the appends there take the write lock, and may move literals). */
    pt_graph_rdlock(g);
    uint32_t end = pt_graph_node_count(g);
    pt_node_id p_text = look(g, PT_EV_TEXT), p_item = look(g, PT_EV_ITEM),
               p_user = look(g, PT_EV_USER), p_sent = look(g, PT_NS "sentiment"),
               p_has_tag = look(g, PT_HAS_TAG);
    for (pt_node_id v = from; sentiment != NULL && p_text != PT_NONE && v < end; v++) {
        const char *text = pt_graph_literal_get(g, v, p_text, NULL);
        if (text == NULL || (p_sent != PT_NONE && pt_graph_literal_get(g, v, p_sent, NULL))) {
            continue;
        }
        pt_edge_iter it;
        pt_node_id user = PT_NONE, item = PT_NONE, pred, tag;
        pt_graph_edges(g, v, 0, p_user, &it);
        if (p_user == PT_NONE || !pt_graph_edge_next_nbr(&it, &user, &pred)) {
            continue;
        }
        pt_graph_edges(g, v, 0, p_item, &it);
        if (p_item == PT_NONE || !pt_graph_edge_next_nbr(&it, &item, &pred)) {
            continue;
        }
        if (pt__grow(ctx, (void **)&rv, &cap, n + 1, sizeof *rv) != PT_OK ||
            pt__grow(ctx, (void **)&ex, &ex_cap, n + 1, sizeof *ex) != PT_OK) {
            rc = PT_ENOMEM;
            break;
        }
        live_extra *x = &ex[n];
        memset(x, 0, sizeof *x);
        x->text = pt__strdup(ctx, text);
        rv[n++] = (review){v, user, item, x->text, 0.0, PT_OK};
        rc = x->text != NULL ? PT_OK : PT_ENOMEM;
        size_t tcap = 0;
        pt_graph_edges(g, item, 0, p_has_tag, &it);
        while (rc == PT_OK && p_has_tag != PT_NONE && pt_graph_edge_next_nbr(&it, &tag, &pred)) {
            rc = pt__grow(ctx, (void **)&x->tags, &tcap, x->n_tags + 1, sizeof *x->tags);
            if (rc == PT_OK) {
                x->tags[x->n_tags++] = tag;
            }
        }
        if (rc != PT_OK) {
            break;
        }
    }
    pt_graph_unlock(g);
    /* 2. Scores, outside the lock. */
    if (rc == PT_OK && n > 0) {
        rc = score_reviews(ctx, sentiment, rv, n);
    }
    /* 3. The results, appended as `portrait tag` writes them. */
    if (rc == PT_OK && n > 0) {
        pt_node_id s_sent = pt_graph_intern(g, PT_NS "sentiment", strlen(PT_NS "sentiment"),
                                            PT_TERM_IRI),
                   s_rs = pt_graph_intern(g, PT_NS "reviewSentiment",
                                          strlen(PT_NS "reviewSentiment"), PT_TERM_IRI),
                   s_likes = pt_graph_intern(g, PT_NS "likes", strlen(PT_NS "likes"),
                                             PT_TERM_IRI),
                   s_dislikes = pt_graph_intern(g, PT_NS "dislikes", strlen(PT_NS "dislikes"),
                                                PT_TERM_IRI),
                   dec = pt_graph_intern(g, PT_XSD_DECIMAL, strlen(PT_XSD_DECIMAL), PT_TERM_IRI);
        if (s_sent == PT_NONE || s_rs == PT_NONE || s_likes == PT_NONE ||
            s_dislikes == PT_NONE || dec == PT_NONE) {
            rc = PT_ENOMEM;
        }
        for (size_t j = 0; rc == PT_OK && j < n; j++) {
            const review *r = &rv[j];
            if (r->rc != PT_OK) {
                st->failed++;
                continue;
            }
            char num[32];
            snprintf(num, sizeof num, "%.4f", r->score);
            rc = pt_graph_add_literal(g, r->v, s_sent, num, strlen(num), dec, NULL);
            if (rc == PT_OK) {
                rc = pt_graph_add_edge(g, r->user, s_rs, r->item, (float)r->score,
                                       PT_TIME_UNKNOWN);
            }
            st->reviews++;
            pt_node_id op = r->score >= 0 ? s_likes : s_dislikes;
            for (size_t k = 0; rc == PT_OK && k < ex[j].n_tags; k++) {
                rc = pt_graph_add_edge(g, r->user, op, ex[j].tags[k], (float)fabs(r->score),
                                       PT_TIME_UNKNOWN);
                st->opinions++;
            }
        }
    }
    for (size_t j = 0; j < n; j++) {
        pt__free(ctx, ex[j].text);
        pt__free(ctx, ex[j].tags);
    }
    pt__free(ctx, ex);
    pt__free(ctx, rv);
    if (rc == PT_OK) {
        *next = end;
    }
    return rc == PT_ENOMEM ? pt__error(ctx, rc, "out of memory tagging new reviews") : rc;
}
