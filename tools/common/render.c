/*
 * render.c - output shared by the `portrait` command (tools/cli/) and the HTTP service
 * (tools/httpd/): JSON strings and ids, explanation paths, profiles as JSON, and explanation
 * paths as Graphviz DOT and SVG. The code moved here from cli_util.c, cmd_profile.c and
 * cmd_recommend.c so that both programs print the same bytes for the same thing.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gvc.h>

#include "render.h"

/* --- JSON pieces --------------------------------------------------------------------------- */

void render_json_str(FILE *f, const char *s) {
    fputc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        /* the longest run that needs no escape goes out in one write */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p != '"' && *p != '\\') {
            p++;
        }
        if (p > run) {
            fwrite(run, 1, (size_t)(p - run), f);
        }
        switch (*p) {
        case '\0':
            fputc('"', f);
            return;
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            fprintf(f, "\\u%04x", *p);
        }
        p++;
    }
}

/* Prefixes every display knows, after the graph's own. */
static const char *const known_prefixes[][2] = {
    {"pt", PT_NS},     {"rdf", PT_RDF_NS},   {"rdfs", PT_RDFS_NS},       {"xsd", PT_XSD_NS},
    {"skos", PT_SKOS_NS}, {"owl", PT_OWL_NS}, {"schema", PT_SCHEMA_NS}, {"gr", PT_GR_NS}};

const char *render_compact_iri(const pt_graph *g, const char *iri, char *buf, size_t cap) {
    size_t best = 0;
    const char *bname = NULL;
    for (size_t i = 0; i < pt_graph_prefix_count(g); i++) {
        const char *name, *pi;
        pt_graph_prefix(g, i, &name, &pi);
        size_t l = strlen(pi);
        if (l > best && strncmp(iri, pi, l) == 0 && iri[l] != '\0' && !strpbrk(iri + l, "/#?")) {
            best = l;
            bname = name;
        }
    }
    for (size_t i = 0; i < sizeof known_prefixes / sizeof known_prefixes[0]; i++) {
        size_t l = strlen(known_prefixes[i][1]);
        if (l > best && strncmp(iri, known_prefixes[i][1], l) == 0 && iri[l] != '\0' &&
            !strpbrk(iri + l, "/#?")) {
            best = l;
            bname = known_prefixes[i][0];
        }
    }
    /* "name:rest" or the IRI, cut to cap - 1 bytes like snprintf (no printf here: this runs
     * for every edge of every explanation path) */
    size_t o = 0;
    const char *parts[3] = {bname != NULL ? bname : "", bname != NULL ? ":" : "",
                            bname != NULL ? iri + best : iri};
    for (int i = 0; i < 3 && cap > 0; i++) {
        size_t l = strlen(parts[i]);
        l = l < cap - 1 - o ? l : cap - 1 - o;
        memcpy(buf + o, parts[i], l);
        o += l;
    }
    if (cap > 0) {
        buf[o] = '\0';
    }
    return buf;
}

const char *render_node_title(const pt_graph *g, pt_node_id v) {
    pt_node_id title = pt_graph_lookup(g, PT_TITLE, strlen(PT_TITLE), PT_TERM_IRI);
    pt_node_id label = pt_graph_lookup(g, PT_RDFS_LABEL, strlen(PT_RDFS_LABEL), PT_TERM_IRI);
    const char *t = title != PT_NONE ? pt_graph_literal_get(g, v, title, "en") : NULL;
    if (t == NULL && label != PT_NONE) {
        t = pt_graph_literal_get(g, v, label, "en");
    }
    return t;
}

void render_json_id(FILE *f, const pt_graph *g, pt_node_id v) {
    char buf[1024];
    pt_graph_display_id(g, v, buf, sizeof buf);
    render_json_str(f, buf);
}

/* render_compact_iri for the predicates of explanation paths, which are nearly always the
 * same few: the last answer per thread is kept, keyed by graph, prefix count and the IRI
 * itself (so a graph freed and another made at the same address still compares the text). */
static const char *compact_pred(const pt_graph *g, const char *iri, char *buf, size_t cap) {
    static _Thread_local const pt_graph *m_g;
    static _Thread_local size_t m_np;
    static _Thread_local char m_iri[512], m_out[512];
    size_t np = pt_graph_prefix_count(g);
    if (m_g == g && m_np == np && strcmp(m_iri, iri) == 0) {
        size_t l = strlen(m_out);
        l = l < cap ? l : cap - 1; /* cap >= 1: callers pass a buffer */
        memcpy(buf, m_out, l);
        buf[l] = '\0';
        return buf;
    }
    render_compact_iri(g, iri, buf, cap);
    if (strlen(iri) < sizeof m_iri && strlen(buf) < sizeof m_out) {
        m_g = g;
        m_np = np;
        strcpy(m_iri, iri);
        strcpy(m_out, buf);
    }
    return buf;
}

void render_json_g6(FILE *f, double x) {
    char num[40];
    strfromd(num, sizeof num, "%.6g", x); /* printf's %.6g without printf's parsing */
    fputs(num, f);
}

void render_json_path(FILE *f, const pt_graph *g, const pt_rec_path *p) {
    char buf[1024];
    /* Called ~30 times per recommendation answer: constant text goes out with fputs, numbers
     * without printf. */
    fputs("{\"share\":", f);
    render_json_g6(f, p->share);
    fputs(",\"hops\":", f);
    char hops[16];
    int hl = 0;
    for (uint32_t h = p->n_nodes - 1;; h /= 10) {
        hops[sizeof hops - 1 - hl++] = (char)('0' + h % 10);
        if (h < 10) {
            break;
        }
    }
    fwrite(hops + sizeof hops - hl, 1, (size_t)hl, f);
    fputs(",\"nodes\":[", f);
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        fputs(i ? ",{\"id\":" : "{\"id\":", f);
        render_json_id(f, g, p->nodes[i]);
        fputs(",\"class\":\"", f);
        fputs(pt_class_name(pt_graph_node_class(g, p->nodes[i])), f);
        fputc('"', f);
        const char *t = render_node_title(g, p->nodes[i]);
        if (t != NULL) {
            fputs(",\"title\":", f);
            render_json_str(f, t);
        }
        fputc('}', f);
    }
    fputs("],\"edges\":[", f);
    for (uint32_t i = 0; i + 1 < p->n_nodes; i++) {
        fputs(i ? ",{\"predicate\":" : "{\"predicate\":", f);
        render_json_str(f, compact_pred(g, pt_graph_node_str(g, p->preds[i]), buf, sizeof buf));
        fputs(p->dirs[i] ? ",\"direction\":\"backward\"}" : ",\"direction\":\"forward\"}", f);
    }
    fputs("]}", f);
}

/* --- profiles ------------------------------------------------------------------------------ */

/* Print a time as an ISO-8601 JSON string, or null. */
static void json_time(FILE *f, int64_t t) {
    if (t == PT_TIME_UNKNOWN) {
        fputs("null", f);
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[40];
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "\"%s\"", buf);
}

int render_stored_embedding(const pt_graph *g, pt_node_id user, float *buf, uint32_t cap,
                            render_embedding *out) {
    pt_graph_rdlock(g);
    pt_node_id pred = pt_graph_lookup(g, PT_SEQUENCE_EMBEDDING, strlen(PT_SEQUENCE_EMBEDDING),
                                      PT_TERM_IRI);
    pt_graph_unlock(g);
    uint32_t dim = pred != PT_NONE ? pt_graph_get_vector(g, user, pred, buf, cap) : 0;
    if (dim == 0 || dim > cap) {
        return 0;
    }
    *out = (render_embedding){PT_SEQUENCE_EMBEDDING, "stored", buf, dim};
    return 1;
}

int render_profile_json(FILE *f, const pt_graph *g, const pt_profile *p,
                        const render_embedding *emb, pt_recommender *r, pt_rec_scratch *sc,
                        uint32_t n_recs) {
    fprintf(f, "{\"user\":");
    render_json_id(f, g, p->user);
    fprintf(f, ",\"iri\":");
    render_json_str(f, pt_graph_node_str(g, p->user));
    fprintf(f, ",\"cold_start\":%s", p->cold_start ? "true" : "false");
    fprintf(f, ",\"behaviour\":{\"events\":%llu,\"by_action\":{",
            (unsigned long long)p->n_events);
    int first = 1;
    for (int role = PT_ROLE_VIEWED; role <= PT_ROLE_REVIEWED; role++) {
        if (p->count_by_role[role] > 0) {
            fprintf(f, "%s\"%s\":%llu", first ? "" : ",", pt_role_name((pt_role)role),
                    (unsigned long long)p->count_by_role[role]);
            first = 0;
        }
    }
    fprintf(f, "},\"first_seen\":");
    json_time(f, p->first_seen);
    fprintf(f, ",\"last_seen\":");
    json_time(f, p->last_seen);
    fprintf(f, ",\"rfm\":{\"recency_days\":");
    if (p->recency_days >= 0) {
        fprintf(f, "%.2f", p->recency_days);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\"frequency\":%llu,\"monetary\":%.2f},\"active_hours_utc\":[",
            (unsigned long long)p->frequency, p->monetary);
    for (int h = 0; h < 24; h++) {
        fprintf(f, "%s%u", h ? "," : "", p->active_hours[h]);
    }
    fprintf(f, "]},\"interests\":{");
    static const pt_class order[] = {PT_CLASS_CATEGORY, PT_CLASS_TAG, PT_CLASS_BRAND};
    static const char *const names[] = {"categories", "tags", "brands"};
    for (int c = 0; c < 3; c++) {
        fprintf(f, "%s\"%s\":[", c ? "," : "", names[c]);
        int n = 0;
        for (size_t i = 0; i < p->n_interests; i++) {
            const pt_profile_interest *pi = &p->interests[i];
            if (pi->cls != order[c]) {
                continue;
            }
            fprintf(f, "%s{\"id\":", n++ ? "," : "");
            render_json_id(f, g, pi->node);
            const char *t = render_node_title(g, pi->node);
            if (t != NULL) {
                fprintf(f, ",\"label\":");
                render_json_str(f, t);
            }
            fprintf(f, ",\"weight\":%.4f", pi->weight);
            if (pi->inherited) {
                fprintf(f, ",\"via\":\"%s\"",
                        pi->inherited == 1 ? "sub-categories" : "popularity");
            }
            fprintf(f, ",\"evidence\":[");
            for (uint32_t k = 0; k < pi->n_evidence; k++) {
                if (k) {
                    fputc(',', f);
                }
                render_json_id(f, g, pi->evidence[k]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "]");
    }
    fprintf(f, "}");
    /* Sentiment per tag, when `portrait tag --model` has scored the user's reviews. */
    static const char *const opinion[2][2] = {{PT_NS "likes", "likes"},
                                              {PT_NS "dislikes", "dislikes"}};
    for (int k = 0; k < 2; k++) {
        pt_node_id pred = pt_graph_lookup(g, opinion[k][0], strlen(opinion[k][0]), PT_TERM_IRI);
        if (pred == PT_NONE) {
            continue;
        }
        pt_edge_iter it;
        pt_edge e;
        int n = 0;
        pt_graph_edges(g, p->user, 0, pred, &it);
        while (pt_graph_edge_next(&it, &e)) {
            fprintf(f, n++ ? "," : ",\"%s\":[", opinion[k][1]);
            fprintf(f, "{\"id\":");
            render_json_id(f, g, e.dst);
            const char *t = render_node_title(g, e.dst);
            if (t != NULL) {
                fprintf(f, ",\"label\":");
                render_json_str(f, t);
            }
            fprintf(f, ",\"weight\":%.4f}", (double)e.weight);
        }
        if (n > 0) {
            fputc(']', f);
        }
    }
    fprintf(f, ",\"similar_users\":[");
    for (size_t i = 0; i < p->n_similar; i++) {
        fprintf(f, "%s{\"user\":", i ? "," : "");
        render_json_id(f, g, p->similar[i].user);
        fprintf(f, ",\"score\":%.4f,\"shared_items\":%u}", p->similar[i].score,
                p->similar[i].shared);
    }
    fprintf(f, "]");
    if (emb != NULL && emb->dim > 0) {
        char buf[256];
        fputs(",\"embedding\":{\"predicate\":", f);
        render_json_str(f, render_compact_iri(g, emb->predicate, buf, sizeof buf));
        fprintf(f, ",\"source\":\"%s\",\"dim\":%u,\"values\":[", emb->source, emb->dim);
        for (uint32_t i = 0; i < emb->dim; i++) {
            fprintf(f, "%s%.6g", i ? "," : "", (double)emb->v[i]);
        }
        fputs("]}", f);
    }
    int rc = PT_OK;
    if (r != NULL && n_recs > 0) {
        pt_rec_query q;
        pt_rec_query_init(&q, p->user, n_recs);
        q.explain = 1;
        pt_rec_item *items = calloc(n_recs, sizeof *items);
        size_t n = 0;
        int flags = 0;
        rc = items == NULL ? PT_ENOMEM : pt_recommend(r, sc, &q, items, &n, &flags);
        fprintf(f, ",\"recommendations\":[");
        for (size_t i = 0; rc == PT_OK && i < n; i++) {
            fprintf(f, "%s{\"item\":", i ? "," : "");
            render_json_id(f, g, items[i].item);
            const char *t = render_node_title(g, items[i].item);
            if (t != NULL) {
                fprintf(f, ",\"title\":");
                render_json_str(f, t);
            }
            fprintf(f, ",\"score\":%.6g,\"paths\":[", items[i].score);
            for (uint32_t k = 0; k < items[i].n_paths; k++) {
                if (k) {
                    fputc(',', f);
                }
                render_json_path(f, g, &items[i].paths[k]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "]");
        if (flags == PT_REC_POPULAR) {
            fprintf(f, ",\"recommendations_popular\":true");
        }
        free(items);
    }
    fprintf(f, "}\n");
    return rc;
}

/* --- explanation pictures ------------------------------------------------------------------ */

/* A growing string; `oom` is set on the first failed allocation and never cleared. */
typedef struct sbuf {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

/* Append printf-formatted text to `b`, growing it to twice what is needed when it does not fit. */
static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    while (!b->oom) {
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            return;
        }
        if (b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap + (size_t)n + 1) * 2;
        char *nb = realloc(b->buf, nc);
        if (nb == NULL) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = nc;
    }
}

/* Append `s` escaped for a DOT double-quoted string. */
static void sb_dot_str(sbuf *b, const char *s) {
    sb_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            sb_printf(b, "\\%c", *s);
        } else if (*s == '\n') {
            sb_printf(b, "\\n");
        } else {
            sb_printf(b, "%c", *s);
        }
    }
    sb_printf(b, "\"");
}

char *render_paths_dot(const pt_graph *g, pt_node_id user, pt_node_id item,
                       const pt_rec_path *paths, size_t n) {
    char name[1024], pred[1024], label[2048];
    sbuf b = {NULL, 0, 0, 0};
    pt_node_id seen[64];
    size_t n_seen = 0;
    sb_printf(&b, "digraph explain {\n  rankdir=LR;\n  node [shape=box, style=rounded, "
                  "fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (size_t p = 0; p < n; p++) {
        for (uint32_t i = 0; i < paths[p].n_nodes; i++) {
            pt_node_id v = paths[p].nodes[i];
            int dup = 0;
            for (size_t s = 0; s < n_seen && !dup; s++) {
                dup = seen[s] == v;
            }
            if (dup || n_seen == 64) {
                continue;
            }
            seen[n_seen++] = v;
            pt_graph_display_id(g, v, name, sizeof name);
            const char *t = render_node_title(g, v);
            snprintf(label, sizeof label, "%s\n%s%s%.60s", name,
                     pt_class_name(pt_graph_node_class(g, v)), t != NULL ? ": " : "",
                     t != NULL ? t : "");
            sb_printf(&b, "  n%u [label=", v);
            sb_dot_str(&b, label);
            if (v == user || v == item) {
                sb_printf(&b, ", style=\"rounded,bold\"");
            }
            sb_printf(&b, "];\n");
        }
    }
    for (size_t p = 0; p < n; p++) {
        const pt_rec_path *pa = &paths[p];
        double w = 1.0 + 4.0 * pa->share;
        for (uint32_t i = 0; i + 1 < pa->n_nodes; i++) {
            pt_node_id s = pa->dirs[i] ? pa->nodes[i + 1] : pa->nodes[i];
            pt_node_id d = pa->dirs[i] ? pa->nodes[i] : pa->nodes[i + 1];
            render_compact_iri(g, pt_graph_node_str(g, pa->preds[i]), pred, sizeof pred);
            snprintf(label, sizeof label, "%s (path %zu, %.0f%%)", pred, p + 1, 100.0 * pa->share);
            sb_printf(&b, "  n%u -> n%u [label=", s, d);
            sb_dot_str(&b, label);
            sb_printf(&b, ", penwidth=%.2f];\n", w);
        }
    }
    sb_printf(&b, "}\n");
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

/* Graphviz's layout and render code keeps global state (the cgraph string dictionary, plugin
 * tables), so every use goes through this lock. One context serves the whole process: making
 * one per picture reloads the plugins and fontconfig every time, and some of what that loads
 * is never given back, which a long-running service would accumulate. */
static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx;

int render_svg(const char *dot, char **svg, size_t *len) {
    *svg = NULL;
    *len = 0;
    pthread_mutex_lock(&gv_lock);
    if (gv_ctx == NULL) {
        gv_ctx = gvContext();
    }
    GVC_t *gvc = gv_ctx;
    Agraph_t *gr = gvc != NULL ? agmemread(dot) : NULL;
    char *data = NULL;
    unsigned int n = 0;
    int rc = 0;
    if (gr == NULL || gvLayout(gvc, gr, "dot") != 0) {
        rc = -1;
    } else {
        if (gvRenderData(gvc, gr, "svg", &data, &n) != 0 || data == NULL) {
            rc = -1;
        } else {
            *svg = malloc((size_t)n + 1);
            if (*svg == NULL) {
                rc = -1;
            } else {
                memcpy(*svg, data, n);
                (*svg)[n] = '\0';
                *len = n;
            }
            gvFreeRenderData(data);
        }
        gvFreeLayout(gvc, gr);
    }
    if (gr != NULL) {
        agclose(gr);
    }
    pthread_mutex_unlock(&gv_lock);
    return rc;
}
