/*
 * seq.c - the behaviour-sequence model of pt_seq.h: Caser (Tang and Wang, WSDM 2018) on the
 * CNN layer library of engine/cnn/nn.h, trained for next-item prediction with negative
 * sampling, and its use for recommendations (alone or blended with the walks) and evaluation.
 *
 * Pipeline position: reads a finished graph (public API) and, for the hybrid and the
 * evaluation, the walk engine and the evaluation module through their public headers
 * (pt_walk.h, pt_eval.h). Called by `portrait seq`, `portrait recommend --model` and
 * `portrait eval --model`. docs/SEQ.md explains the model and its measurements.
 *
 * Sections: sequences; sampling and augmentation; the model (layers, forward, backward);
 * training; model file; binding and scoring (user vectors, recommendations, the hybrid);
 * evaluation (pt_seq_eval, the blend on validation); entry points for the tests.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn/nn.h"
#include "cnn/seq_int.h"
#include "eval/eval.h"

/* ==== sequences ============================================================================ */

/* One behaviour entry while extracting: item index, latest time, weight, tie hash. */
typedef struct entry {
    uint32_t item;
    float weight;
    int64_t time;
    uint64_t tie;
} entry;

/* Order entries by item, so one user's repeated items fold together. */
static int cmp_entry_item(const void *a, const void *b) {
    const entry *x = a, *y = b;
    return x->item < y->item ? -1 : x->item > y->item;
}

/* Order entries by time ascending; among equal times the largest tie hash first, so the
 * smallest hash is the latest, as leave-last-out picks it (docs/EVAL.md, "Ties"). Unknown
 * times (INT64_MIN) come first. */
static int cmp_entry_time(const void *a, const void *b) {
    const entry *x = a, *y = b;
    if (x->time != y->time) {
        return x->time < y->time ? -1 : 1;
    }
    if (x->tie != y->tie) {
        return x->tie > y->tie ? -1 : 1;
    }
    return x->item < y->item ? -1 : x->item > y->item;
}

/* Order uint32 values ascending (qsort). */
static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * The weight of one behaviour edge as the walk engine weighs it (engine/walk/index.c): the
 * action weight of its role, times (rating / rating_center)^rating_power for rated and reviewed
 * edges when rating_center > 0. With `p` NULL every edge weighs 1.
 */
static float edge_weight(const pt_walk_params *p, pt_role role, float w) {
    if (p == NULL) {
        return 1.0f;
    }
    double aw = p->action_weight[role];
    if ((role == PT_ROLE_RATED || role == PT_ROLE_REVIEWED) && p->rating_center > 0.0) {
        double x = w > 0.0f ? w / p->rating_center : 0.01;
        aw *= pow(x, p->rating_power);
    }
    return (float)aw;
}

void pt__seqs_free(pt_ctx *ctx, pt__seqs *s) {
    if (s == NULL) {
        return;
    }
    pt__free(ctx, s->item_node);
    pt__free(ctx, s->node_item);
    pt__free(ctx, s->user_node);
    pt__free(ctx, s->off);
    pt__free(ctx, s->item);
    pt__free(ctx, s->weight);
    pt__free(ctx, s->time);
    pt__free(ctx, s->sorted);
    memset(s, 0, sizeof *s);
}

int pt__seq_extract(pt_ctx *ctx, const pt_graph *g, const pt_walk_params *p, pt__seqs *out) {
    int rc = PT_OK;
    uint8_t *role = NULL;
    entry *ent = NULL;
    size_t ent_cap = 0;
    memset(out, 0, sizeof *out);
    uint32_t n = pt_graph_node_count(g);
    out->n_nodes = n;
    role = pt__calloc(ctx, (size_t)n + 1, 1);
    out->node_item = pt__malloc(ctx, ((size_t)n + 1) * sizeof *out->node_item);
    out->off = pt__malloc(ctx, ((size_t)n + 2) * sizeof *out->off);
    out->user_node = pt__malloc(ctx, ((size_t)n + 1) * sizeof *out->user_node);
    if (role == NULL || out->node_item == NULL || out->off == NULL || out->user_node == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory extracting sequences");
        goto done;
    }
    /* Pass 1: the role of every predicate node that appears, the items and the entry count. */
    for (uint32_t v = 0; v < n; v++) {
        out->node_item[v] = pt_graph_node_class(g, v) == PT_CLASS_ITEM ? 0 : UINT32_MAX;
    }
    uint64_t n_entries = 0;
    pt_edge_iter it;
    pt_edge e;
    for (uint32_t v = 0; v < n; v++) {
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (role[e.pred] == 0) {
                pt_role r = pt_graph_pred_role(g, e.pred);
                role[e.pred] = (uint8_t)(PT_ROLE_IS_BEHAVIOUR(r) ? r : 255);
            }
            if (role[e.pred] != 255 && e.dst < n) {
                out->node_item[e.dst] = 0;
                n_entries++;
            }
        }
    }
    for (uint32_t v = 0; v < n; v++) {
        if (out->node_item[v] == 0) {
            out->n_items++;
        }
    }
    out->item_node = pt__malloc(ctx, ((size_t)out->n_items + 1) * sizeof *out->item_node);
    out->item = pt__malloc(ctx, (n_entries + 1) * sizeof *out->item);
    out->weight = pt__malloc(ctx, (n_entries + 1) * sizeof *out->weight);
    out->time = pt__malloc(ctx, (n_entries + 1) * sizeof *out->time);
    out->sorted = pt__malloc(ctx, (n_entries + 1) * sizeof *out->sorted);
    if (out->item_node == NULL || out->item == NULL || out->weight == NULL || out->time == NULL ||
        out->sorted == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory extracting sequences");
        goto done;
    }
    uint32_t next = 0;
    for (uint32_t v = 0; v < n; v++) {
        if (out->node_item[v] == 0) {
            out->item_node[next] = v;
            out->node_item[v] = next++;
        }
    }
    /* Pass 2: each user's entries, folded per item (latest time, largest weight), sorted. */
    uint64_t pos = 0;
    for (uint32_t v = 0; v < n; v++) {
        size_t m = 0;
        pt_graph_edges(g, v, 0, PT_NONE, &it);
        while (pt_graph_edge_next(&it, &e)) {
            if (role[e.pred] == 255 || role[e.pred] == 0 || e.dst >= n) {
                continue;
            }
            if (m == ent_cap) {
                rc = pt__grow(ctx, (void **)&ent, &ent_cap, m + 1, sizeof *ent);
                if (rc != PT_OK) {
                    rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory extracting sequences");
                    goto done;
                }
            }
            ent[m].item = out->node_item[e.dst];
            ent[m].time = e.time;
            ent[m].weight = edge_weight(p, (pt_role)role[e.pred], e.weight);
            ent[m].tie = 0;
            m++;
        }
        if (m == 0) {
            continue;
        }
        qsort(ent, m, sizeof *ent, cmp_entry_item);
        size_t k = 0;
        for (size_t j = 0; j < m; j++) {
            if (k > 0 && ent[k - 1].item == ent[j].item) {
                if (ent[j].time > ent[k - 1].time) {
                    ent[k - 1].time = ent[j].time;
                }
                if (ent[j].weight > ent[k - 1].weight) {
                    ent[k - 1].weight = ent[j].weight;
                }
            } else {
                ent[k++] = ent[j];
            }
        }
        for (size_t j = 0; j < k; j++) {
            ent[j].tie = pt__eval_tie_hash(g, v, out->item_node[ent[j].item]);
        }
        qsort(ent, k, sizeof *ent, cmp_entry_time);
        out->user_node[out->n_users] = v;
        out->off[out->n_users] = pos;
        out->n_users++;
        for (size_t j = 0; j < k; j++) {
            out->item[pos + j] = ent[j].item;
            out->weight[pos + j] = ent[j].weight;
            out->time[pos + j] = ent[j].time;
            out->sorted[pos + j] = ent[j].item;
        }
        qsort(out->sorted + pos, k, sizeof *out->sorted, cmp_u32);
        pos += k;
    }
    out->off[out->n_users] = pos;
done:
    pt__free(ctx, role);
    pt__free(ctx, ent);
    if (rc != PT_OK) {
        pt__seqs_free(ctx, out);
    }
    return rc;
}

uint32_t pt__seqs_user_row(const pt__seqs *s, pt_node_id user) {
    uint32_t lo = 0, hi = s->n_users;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->user_node[mid] < user) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < s->n_users && s->user_node[lo] == user ? lo : UINT32_MAX;
}

void pt__seq_window(const pt__seqs *s, uint32_t u, uint64_t t, uint32_t L, uint32_t *win) {
    uint64_t start = s->off[u];
    for (uint32_t j = 0; j < L; j++) {
        /* position of win[j] is t - L + j */
        uint64_t back = (uint64_t)L - j;
        win[j] = t >= start + back ? s->item[t - back] : s->n_items;
    }
}

/* ==== sampling and augmentation ============================================================ */

uint64_t pt__seq_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t pt__seq_below(uint64_t *state, uint32_t n) {
    return (uint32_t)(((pt__seq_rand(state) >> 32) * (uint64_t)n) >> 32);
}

/* 1 when `x` is in the sorted array `a` of `n` entries. */
static int in_sorted(const uint32_t *a, size_t n, uint32_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && a[lo] == x;
}

uint32_t pt__seq_negative(const uint32_t *seen, size_t n_seen, uint32_t n_items, uint64_t *rng) {
    if (n_items == 0 || n_seen >= n_items) {
        return UINT32_MAX;
    }
    for (int tries = 0; tries < 32; tries++) {
        uint32_t c = pt__seq_below(rng, n_items);
        if (!in_sorted(seen, n_seen, c)) {
            return c;
        }
    }
    /* Dense user: the r-th unseen item, r uniform, found by walking the gaps of `seen`. */
    uint32_t r = pt__seq_below(rng, n_items - (uint32_t)n_seen);
    uint32_t prev = 0;
    for (size_t j = 0; j <= n_seen; j++) {
        uint32_t end = j < n_seen ? seen[j] : n_items;
        uint32_t gap = end - prev;
        if (r < gap) {
            return prev + r;
        }
        r -= gap;
        prev = end + 1;
    }
    return UINT32_MAX;
}

uint32_t pt__seq_augment(uint32_t *win, uint32_t L, uint32_t pad, uint32_t flags, double rate,
                         uint64_t *rng) {
    uint32_t ops[3], n_ops = 0;
    for (uint32_t f = PT_SEQ_AUG_CROP; f <= PT_SEQ_AUG_REORDER; f <<= 1) {
        if (flags & f) {
            ops[n_ops++] = f;
        }
    }
    uint32_t first = 0; /* the real items are win[first..L) */
    while (first < L && win[first] == pad) {
        first++;
    }
    uint32_t n = L - first;
    if (n_ops == 0 || n < 2) {
        return 0;
    }
    uint32_t op = ops[pt__seq_below(rng, n_ops)];
    if (op == PT_SEQ_AUG_CROP) {
        uint32_t keep = n - (uint32_t)floor(rate * n);
        keep = keep < 1 ? 1 : keep > n ? n : keep;
        uint32_t s = first + pt__seq_below(rng, n - keep + 1);
        uint32_t tmp[64];
        uint32_t k = keep < 64 ? keep : 64;
        memcpy(tmp, win + s, k * sizeof *tmp);
        for (uint32_t j = 0; j < L - k; j++) {
            win[j] = pad;
        }
        memcpy(win + L - k, tmp, k * sizeof *tmp);
    } else if (op == PT_SEQ_AUG_MASK) {
        for (uint32_t j = first; j < L; j++) {
            if ((double)(pt__seq_rand(rng) >> 11) * 0x1.0p-53 < rate) {
                win[j] = pad;
            }
        }
    } else {
        uint32_t len = (uint32_t)ceil(rate * n);
        len = len < 2 ? 2 : len > n ? n : len;
        uint32_t s = first + pt__seq_below(rng, n - len + 1);
        for (uint32_t j = len - 1; j > 0; j--) {
            uint32_t r = pt__seq_below(rng, j + 1);
            uint32_t t = win[s + j];
            win[s + j] = win[s + r];
            win[s + r] = t;
        }
    }
    return op;
}

/* ==== the model ============================================================================ */

#define SEQ_MAX_L 64u
#define SEQ_MAGIC "PTSEQMDL"
#define SEQ_VERSION 1u
#define BLEND_STEPS 11

/*
 * A Caser model: its parameters (in the registry `reg`, owned by the layers' tables and the
 * layers themselves), the names of its items and users, and the buffers of one batch. The
 * layers keep per-call state, so a model serves one thread at a time.
 */
struct pt_seq_model {
    pt_ctx *ctx;
    pt_seq_params p;
    double blend;
    uint32_t n_items, n_users;
    /* names: kind byte (pt_term_kind) + text + NUL, items then users, in one pool */
    char *names;
    size_t names_len;
    uint64_t *name_off; /* [n_items + n_users] */
    /* network */
    pt__params reg;
    pt__layer *emb_in;   /* (n_items + 1) x d: input item embeddings; row n_items pads/masks */
    pt__layer *emb_user; /* n_users x d */
    pt__layer *emb_out;  /* n_items x 2d: output item embeddings Q */
    pt__layer *emb_bias; /* n_items x 1: item biases b */
    pt__layer *conv_h[SEQ_MAX_L], *relu_h[SEQ_MAX_L], *pool_h[SEQ_MAX_L];
    pt__layer *conv_v, *drop, *fc1, *relu_fc;
    uint32_t feat;       /* n_v * d + n_h * L */
    /* batch buffers */
    pt__tensor cat, dcat, dz, dpu, dX, dq, dbias, dh, dv;
    float *xu;           /* [batch x 2d] the user vectors [z; P_u] */
    size_t xu_cap;
    uint32_t *ids;       /* [batch x k] candidate rows of a training batch */
    float *logit;        /* [2 x batch x k] their logits and logit gradients */
    size_t ids_cap;
    /* binding to a graph */
    const pt_graph *bound;
    pt__seqs bs;         /* the bound graph's sequences */
    uint32_t *bitem;     /* [bs.n_items] model item of each bound-graph item, or UINT32_MAX */
    pt_node_id *item_node; /* [n_items] node of each model item in the bound graph, or PT_NONE */
    uint32_t *node_user; /* [bs.n_users] model user of each bound-graph user row, or UINT32_MAX */
    float *mean_user;    /* [d] mean user embedding, for users the model does not know */
};

void pt_seq_params_default(pt_seq_params *p) {
    memset(p, 0, sizeof *p);
    p->L = 5;
    p->dim = 50;
    p->n_h = 16;
    p->n_v = 4;
    p->dropout = 0.5;
    p->epochs = 20;
    p->batch = 256;
    p->lr = 1e-3;
    p->l2 = 1e-6;
    p->neg = 3;
    p->augment = 0;
    p->aug_prob = 0.5;
    p->aug_rate = 0.4;
    p->seed = 42;
    p->threads = 1;
    p->weighted = 0;
}

int pt_seq_augment_parse(pt_ctx *ctx, const char *list, uint32_t *flags) {
    *flags = 0;
    if (list == NULL) {
        return PT_OK;
    }
    const char *s = list;
    while (*s != '\0') {
        const char *e = strchr(s, ',');
        size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
        if (n == 4 && strncmp(s, "crop", 4) == 0) {
            *flags |= PT_SEQ_AUG_CROP;
        } else if (n == 4 && strncmp(s, "mask", 4) == 0) {
            *flags |= PT_SEQ_AUG_MASK;
        } else if (n == 7 && strncmp(s, "reorder", 7) == 0) {
            *flags |= PT_SEQ_AUG_REORDER;
        } else if (n == 3 && strncmp(s, "all", 3) == 0) {
            *flags |= PT_SEQ_AUG_CROP | PT_SEQ_AUG_MASK | PT_SEQ_AUG_REORDER;
        } else if (n == 4 && strncmp(s, "none", 4) == 0) {
            /* nothing */
        } else {
            return pt__error(ctx, PT_EINVAL,
                             "augmentation: '%.*s' is not crop, mask, reorder, all or none",
                             (int)(n > 64 ? 64 : n), s);
        }
        s += n;
        if (*s == ',') {
            s++;
        }
    }
    return PT_OK;
}

/* Check the parameters; PT_EINVAL names the field. */
static int check_params(pt_ctx *ctx, const pt_seq_params *p) {
    const char *bad = NULL;
    if (p->L < 1 || p->L > SEQ_MAX_L) {
        bad = "L must be in 1..64";
    } else if (p->dim < 1 || p->dim > 4096) {
        bad = "dim must be in 1..4096";
    } else if (p->n_h > 4096 || p->n_v > 4096 || p->n_h + p->n_v == 0) {
        bad = "n_h and n_v must be <= 4096, not both 0";
    } else if (!(p->dropout >= 0.0 && p->dropout < 1.0)) {
        bad = "dropout must be in [0, 1)";
    } else if (p->epochs > 100000) {
        bad = "epochs must be <= 100000";
    } else if (p->batch < 1 || p->batch > 65536) {
        bad = "batch must be in 1..65536";
    } else if (!(p->lr > 0.0 && p->lr < 10.0)) {
        bad = "lr must be in (0, 10)";
    } else if (!(p->l2 >= 0.0 && p->l2 < 1.0)) {
        bad = "l2 must be in [0, 1)";
    } else if (p->neg < 1 || p->neg > 1000) {
        bad = "neg must be in 1..1000";
    } else if (p->augment & ~(uint32_t)(PT_SEQ_AUG_CROP | PT_SEQ_AUG_MASK | PT_SEQ_AUG_REORDER)) {
        bad = "augment has unknown flags";
    } else if (!(p->aug_prob >= 0.0 && p->aug_prob <= 1.0) ||
               !(p->aug_rate >= 0.0 && p->aug_rate <= 1.0)) {
        bad = "aug_prob and aug_rate must be in [0, 1]";
    } else if (p->threads < 0 || p->threads > 1024) {
        bad = "threads must be in 0..1024";
    }
    return bad != NULL ? pt__error(ctx, PT_EINVAL, "seq: %s", bad) : PT_OK;
}

/* Free the binding of `m` (the model stays usable after a new pt_seq_bind). */
static void unbind(pt_seq_model *m) {
    pt__seqs_free(m->ctx, &m->bs);
    pt__free(m->ctx, m->bitem);
    pt__free(m->ctx, m->item_node);
    pt__free(m->ctx, m->node_user);
    pt__free(m->ctx, m->mean_user);
    m->bitem = NULL;
    m->item_node = NULL;
    m->node_user = NULL;
    m->mean_user = NULL;
    m->bound = NULL;
}

void pt_seq_model_free(pt_seq_model *m) {
    if (m == NULL) {
        return;
    }
    pt_ctx *ctx = m->ctx;
    unbind(m);
    pt__layer *ls[] = {m->emb_in, m->emb_user, m->emb_out, m->emb_bias,
                       m->conv_v, m->drop,     m->fc1,     m->relu_fc};
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++) {
        pt__layer_free(ctx, ls[i]);
    }
    for (uint32_t h = 0; h < SEQ_MAX_L; h++) {
        pt__layer_free(ctx, m->conv_h[h]);
        pt__layer_free(ctx, m->relu_h[h]);
        pt__layer_free(ctx, m->pool_h[h]);
    }
    pt__tensor *ts[] = {&m->cat, &m->dcat, &m->dz, &m->dpu, &m->dX,
                        &m->dq,  &m->dbias, &m->dh, &m->dv};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        pt__tensor_free(ctx, ts[i]);
    }
    pt__free(ctx, m->xu);
    pt__free(ctx, m->ids);
    pt__free(ctx, m->logit);
    pt__params_free(&m->reg);
    pt__free(ctx, m->names);
    pt__free(ctx, m->name_off);
    pt__free(ctx, m);
}

/*
 * Make the layers of a model for n_items items and n_users users with parameters `p`, weights
 * drawn from p->seed: every embedding N(0, 0.1^2) (the library's default), item biases 0,
 * convolutions and the dense layer He-normal. Returns PT_OK or PT_ENOMEM.
 */
static int model_new(pt_ctx *ctx, const pt_seq_params *p, uint32_t n_items, uint32_t n_users,
                     pt_seq_model **out) {
    int rc = PT_OK;
    pt_seq_model *m = pt__calloc(ctx, 1, sizeof *m);
    *out = NULL;
    if (m == NULL) {
        return pt__error(ctx, PT_ENOMEM, "seq: out of memory for the model");
    }
    m->ctx = ctx;
    m->p = *p;
    m->blend = 0.5;
    m->n_items = n_items;
    m->n_users = n_users;
    pt__params_init(&m->reg, ctx);
    pt__rng rng;
    pt__rng_seed(&rng, p->seed);
    uint32_t d = p->dim, L = p->L;
    PT_TRY(pt__embedding_new(ctx, &m->reg, &rng, n_items + 1, d, &m->emb_in));
    PT_TRY(pt__embedding_new(ctx, &m->reg, &rng, n_users > 0 ? n_users : 1, d, &m->emb_user));
    PT_TRY(pt__embedding_new(ctx, &m->reg, &rng, n_items > 0 ? n_items : 1, 2 * d, &m->emb_out));
    PT_TRY(pt__embedding_new(ctx, &m->reg, &rng, n_items > 0 ? n_items : 1, 1, &m->emb_bias));
    memset(m->emb_bias->wt->w, 0, m->emb_bias->wt->n * sizeof(float));
    m->emb_bias->wt->decay = 0.0f;
    if (p->n_h > 0) {
        for (uint32_t h = 1; h <= L; h++) {
            PT_TRY(pt__conv2d_new(ctx, &m->reg, &rng, 1, p->n_h, h, d, 0, 0, &m->conv_h[h - 1]));
            PT_TRY(pt__relu_new(ctx, &m->relu_h[h - 1]));
            PT_TRY(pt__maxpool_new(ctx, 0, 1, &m->pool_h[h - 1]));
        }
    }
    if (p->n_v > 0) {
        PT_TRY(pt__conv2d_new(ctx, &m->reg, &rng, 1, p->n_v, L, 1, 0, 0, &m->conv_v));
    }
    m->feat = p->n_v * d + p->n_h * L;
    PT_TRY(pt__dropout_new(ctx, (float)p->dropout, &m->drop));
    PT_TRY(pt__dense_new(ctx, &m->reg, &rng, m->feat, d, &m->fc1));
    PT_TRY(pt__relu_new(ctx, &m->relu_fc));
    *out = m;
    m = NULL;
done:
    if (rc == PT_ENOMEM && pt_ctx_errcode(ctx) != PT_ENOMEM) {
        pt__error(ctx, PT_ENOMEM, "seq: out of memory for the model");
    }
    pt_seq_model_free(m);
    return rc;
}

/* Make room for the user vectors of a batch of n. */
static int xu_reserve(pt_seq_model *m, uint32_t n) {
    size_t need = (size_t)n * 2 * m->p.dim;
    if (need <= m->xu_cap) {
        return PT_OK;
    }
    float *x = pt__realloc(m->ctx, m->xu, need * sizeof *x);
    if (x == NULL) {
        return pt__error(m->ctx, PT_ENOMEM, "seq: out of memory for a batch");
    }
    m->xu = x;
    m->xu_cap = need;
    return PT_OK;
}

/*
 * Forward a batch of n windows `win` (n x L item indices, padding n_items) for model users
 * `users` (n entries; UINT32_MAX = unknown user: the mean user embedding `mean_user`, which
 * must then be given) into m->xu (n x 2d: [z; P_u]). `train` enables dropout (rng).
 */
static int forward_users(pt_seq_model *m, const uint32_t *win, const uint32_t *users, uint32_t n,
                         int train, pt__rng *rng, const float *mean_user) {
    pt_ctx *ctx = m->ctx;
    int rc = PT_OK;
    uint32_t d = m->p.dim, L = m->p.L;
    const pt__tensor *X, *y, *z, *pu;
    PT_TRY(xu_reserve(m, n));
    PT_TRY(pt__embedding_forward(ctx, m->emb_in, win, n, L, &X));
    PT_TRY(pt__tensor_reshape(ctx, &m->cat, n, m->feat, 1, 1));
    /* cat row b: [vertical (n_v x d) ; horizontal h=1..L (n_h each)] */
    if (m->p.n_v > 0) {
        PT_TRY(pt__layer_forward(ctx, m->conv_v, X, train, rng, &y));
        for (uint32_t b = 0; b < n; b++) {
            memcpy(m->cat.data + (size_t)b * m->feat, y->data + (size_t)b * m->p.n_v * d,
                   (size_t)m->p.n_v * d * sizeof(float));
        }
    }
    for (uint32_t h = 0; h < L && m->p.n_h > 0; h++) {
        const pt__tensor *a, *r, *mx;
        PT_TRY(pt__layer_forward(ctx, m->conv_h[h], X, train, rng, &a));
        PT_TRY(pt__layer_forward(ctx, m->relu_h[h], a, train, rng, &r));
        PT_TRY(pt__layer_forward(ctx, m->pool_h[h], r, train, rng, &mx));
        size_t at = (size_t)m->p.n_v * d + (size_t)h * m->p.n_h;
        for (uint32_t b = 0; b < n; b++) {
            memcpy(m->cat.data + (size_t)b * m->feat + at, mx->data + (size_t)b * m->p.n_h,
                   (size_t)m->p.n_h * sizeof(float));
        }
    }
    const pt__tensor *dr, *f;
    PT_TRY(pt__layer_forward(ctx, m->drop, &m->cat, train, rng, &dr));
    PT_TRY(pt__layer_forward(ctx, m->fc1, dr, train, rng, &f));
    PT_TRY(pt__layer_forward(ctx, m->relu_fc, f, train, rng, &z));
    /* The user embeddings go through the layer when every user is known (so a backward pass
     * can follow); a batch with unknown users (scoring only) reads the table directly. */
    uint32_t known = 1;
    for (uint32_t b = 0; b < n; b++) {
        known &= users[b] != UINT32_MAX;
    }
    const float *utab = m->emb_user->wt->w;
    pu = NULL;
    if (known) {
        PT_TRY(pt__embedding_forward(ctx, m->emb_user, users, n, 1, &pu));
    } else if (train) {
        rc = pt__error(ctx, PT_EINTERNAL, "seq: an unknown user in a training batch");
        goto done;
    }
    for (uint32_t b = 0; b < n; b++) {
        float *x = m->xu + (size_t)b * 2 * d;
        memcpy(x, z->data + (size_t)b * d, d * sizeof(float));
        const float *u = pu != NULL ? pu->data + (size_t)b * d
                         : users[b] != UINT32_MAX ? utab + (size_t)users[b] * d
                                                  : mean_user;
        memcpy(x + d, u, d * sizeof(float));
    }
done:
    return rc;
}

/*
 * One training step's loss and gradients for a batch: windows `win` (n x L), users `users`,
 * candidate items `cand` (n x k: the target first, then negatives; UINT32_MAX = no negative
 * there, skipped) and per-row weights `wt` (may be NULL: 1). The loss is the mean over rows of
 * the weighted sum of the sigmoid cross-entropies of the row's candidates; the gradients are
 * accumulated into the registry (call pt__params_zero_grad before). *loss gets the summed
 * unweighted cross-entropy, *n_scored the candidates scored.
 */
static int batch_grad(pt_seq_model *m, const uint32_t *win, const uint32_t *users,
                      const uint32_t *cand, uint32_t n, uint32_t k, const float *wt, int train,
                      pt__rng *rng, double *loss, uint64_t *n_scored) {
    pt_ctx *ctx = m->ctx;
    int rc = PT_OK;
    uint32_t d = m->p.dim, d2 = 2 * d, L = m->p.L;
    const pt__tensor *q, *bias, *dx;
    PT_TRY(forward_users(m, win, users, n, train, rng, NULL));
    /* Gather the candidates' output embeddings and biases (absent negatives read row 0 and are
     * masked out below). The buffers live in the model and grow to the largest batch. */
    size_t need = (size_t)n * k;
    if (need > m->ids_cap) {
        uint32_t *ni = pt__realloc(ctx, m->ids, need * sizeof *ni);
        if (ni != NULL) {
            m->ids = ni;
        }
        float *nl = ni != NULL ? pt__realloc(ctx, m->logit, need * 2 * sizeof *nl) : NULL;
        if (nl == NULL) {
            return pt__error(ctx, PT_ENOMEM, "seq: out of memory for a batch");
        }
        m->logit = nl;
        m->ids_cap = need;
    }
    uint32_t *ids = m->ids;
    float *logit = m->logit;
    float *dlogit = logit + (size_t)n * k;
    for (size_t i = 0; i < (size_t)n * k; i++) {
        ids[i] = cand[i] == UINT32_MAX ? 0 : cand[i];
    }
    rc = pt__embedding_forward(ctx, m->emb_out, ids, n, k, &q);
    if (rc == PT_OK) {
        rc = pt__embedding_forward(ctx, m->emb_bias, ids, n, k, &bias);
    }
    if (rc != PT_OK) {
        goto done;
    }
    double sum = 0.0;
    uint64_t scored = 0;
    float inv_n = 1.0f / (float)n;
    for (uint32_t b = 0; b < n; b++) {
        const float *x = m->xu + (size_t)b * d2;
        for (uint32_t j = 0; j < k; j++) {
            size_t at = (size_t)b * k + j;
            const float *qj = q->data + at * d2;
            float s = bias->data[at];
            for (uint32_t c = 0; c < d2; c++) {
                s += qj[c] * x[c];
            }
            logit[at] = s;
            if (cand[at] == UINT32_MAX) {
                dlogit[at] = 0.0f;
                continue;
            }
            float target = j == 0 ? 1.0f : 0.0f;
            float w = wt != NULL ? wt[b] : 1.0f;
            sum += pt__sigmoid_bce(&logit[at], &target, 1, &dlogit[at], w * inv_n);
            scored++;
        }
    }
    *loss = sum;
    *n_scored = scored;
    /* Backward: d logit -> dQ rows, d bias, d x = sum_j dlogit_j Q_j. */
    rc = pt__tensor_reshape(ctx, &m->dq, n, 1, k, d2);
    if (rc == PT_OK) {
        rc = pt__tensor_reshape(ctx, &m->dbias, n, 1, k, 1);
    }
    if (rc == PT_OK) {
        rc = pt__tensor_reshape(ctx, &m->dz, n, d, 1, 1);
    }
    if (rc == PT_OK) {
        rc = pt__tensor_reshape(ctx, &m->dpu, n, 1, 1, d);
    }
    if (rc != PT_OK) {
        goto done;
    }
    for (uint32_t b = 0; b < n; b++) {
        const float *x = m->xu + (size_t)b * d2;
        float *dzb = m->dz.data + (size_t)b * d, *dpb = m->dpu.data + (size_t)b * d;
        memset(dzb, 0, d * sizeof(float));
        memset(dpb, 0, d * sizeof(float));
        for (uint32_t j = 0; j < k; j++) {
            size_t at = (size_t)b * k + j;
            float g = dlogit[at];
            const float *qj = q->data + at * d2;
            float *dqj = m->dq.data + at * d2;
            m->dbias.data[at] = g;
            for (uint32_t c = 0; c < d2; c++) {
                dqj[c] = g * x[c];
            }
            for (uint32_t c = 0; c < d; c++) {
                dzb[c] += g * qj[c];
                dpb[c] += g * qj[d + c];
            }
        }
    }
    rc = pt__embedding_backward(ctx, m->emb_out, &m->dq);
    if (rc == PT_OK) {
        rc = pt__embedding_backward(ctx, m->emb_bias, &m->dbias);
    }
    if (rc == PT_OK) {
        rc = pt__embedding_backward(ctx, m->emb_user, &m->dpu);
    }
    if (rc != PT_OK) {
        goto done;
    }
    /* z = relu(fc1(dropout(cat))) */
    rc = pt__layer_backward(ctx, m->relu_fc, &m->dz, 1, &dx);
    if (rc == PT_OK) {
        rc = pt__layer_backward(ctx, m->fc1, dx, 1, &dx);
    }
    if (rc == PT_OK) {
        rc = pt__layer_backward(ctx, m->drop, dx, 1, &dx);
    }
    if (rc != PT_OK) {
        goto done;
    }
    /* dx is n x feat (dense input gradient, shaped like cat): split it. */
    const float *dcat = dx->data;
    rc = pt__tensor_reshape(ctx, &m->dX, n, 1, L, d);
    if (rc != PT_OK) {
        goto done;
    }
    memset(m->dX.data, 0, pt__tensor_size(&m->dX) * sizeof(float));
    if (m->p.n_v > 0) {
        rc = pt__tensor_reshape(ctx, &m->dv, n, m->p.n_v, 1, d);
        if (rc != PT_OK) {
            goto done;
        }
        for (uint32_t b = 0; b < n; b++) {
            memcpy(m->dv.data + (size_t)b * m->p.n_v * d, dcat + (size_t)b * m->feat,
                   (size_t)m->p.n_v * d * sizeof(float));
        }
        const pt__tensor *dxv;
        rc = pt__layer_backward(ctx, m->conv_v, &m->dv, 1, &dxv);
        if (rc != PT_OK) {
            goto done;
        }
        for (size_t i = 0; i < pt__tensor_size(&m->dX); i++) {
            m->dX.data[i] += dxv->data[i];
        }
    }
    for (uint32_t h = 0; h < L && m->p.n_h > 0; h++) {
        rc = pt__tensor_reshape(ctx, &m->dh, n, m->p.n_h, 1, 1);
        if (rc != PT_OK) {
            goto done;
        }
        size_t at = (size_t)m->p.n_v * d + (size_t)h * m->p.n_h;
        for (uint32_t b = 0; b < n; b++) {
            memcpy(m->dh.data + (size_t)b * m->p.n_h, dcat + (size_t)b * m->feat + at,
                   (size_t)m->p.n_h * sizeof(float));
        }
        const pt__tensor *g1, *g2, *g3;
        rc = pt__layer_backward(ctx, m->pool_h[h], &m->dh, 1, &g1);
        if (rc == PT_OK) {
            rc = pt__layer_backward(ctx, m->relu_h[h], g1, 1, &g2);
        }
        if (rc == PT_OK) {
            rc = pt__layer_backward(ctx, m->conv_h[h], g2, 1, &g3);
        }
        if (rc != PT_OK) {
            goto done;
        }
        for (size_t i = 0; i < pt__tensor_size(&m->dX); i++) {
            m->dX.data[i] += g3->data[i];
        }
    }
    rc = pt__embedding_backward(ctx, m->emb_in, &m->dX);
done:
    return rc;
}

/* ==== training ============================================================================= */

/* Copy the names of the model's items and users (kind byte + string + NUL) into one pool. */
static int copy_names(pt_ctx *ctx, pt_seq_model *m, const pt_graph *g, const pt__seqs *s) {
    size_t total = 0, n = (size_t)m->n_items + m->n_users;
    for (size_t i = 0; i < n; i++) {
        pt_node_id v = i < m->n_items ? s->item_node[i] : s->user_node[i - m->n_items];
        total += strlen(pt_graph_node_str(g, v)) + 2;
    }
    m->names = pt__malloc(ctx, total + 1);
    m->name_off = pt__malloc(ctx, (n + 1) * sizeof *m->name_off);
    if (m->names == NULL || m->name_off == NULL) {
        return pt__error(ctx, PT_ENOMEM, "seq: out of memory for the model's names");
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        pt_node_id v = i < m->n_items ? s->item_node[i] : s->user_node[i - m->n_items];
        const char *str = pt_graph_node_str(g, v);
        size_t len = strlen(str);
        m->name_off[i] = at;
        m->names[at] = (char)pt_graph_node_kind(g, v);
        memcpy(m->names + at + 1, str, len + 1);
        at += len + 2;
    }
    m->name_off[n] = at;
    m->names_len = at;
    return PT_OK;
}

/* The training positions: entry t of user row u is a target when the user has an item before
 * it. Fills pos_t / pos_u (allocated here) and returns their count in *n_pos. */
static int positions(pt_ctx *ctx, const pt__seqs *s, uint64_t **pos_t, uint32_t **pos_u,
                     uint32_t *n_pos) {
    uint64_t n = 0;
    for (uint32_t u = 0; u < s->n_users; u++) {
        uint64_t len = s->off[u + 1] - s->off[u];
        n += len > 0 ? len - 1 : 0;
    }
    if (n >= UINT32_MAX) {
        return pt__error(ctx, PT_ELIMIT, "seq: more than 2^32 training positions");
    }
    *pos_t = pt__malloc(ctx, (n + 1) * sizeof **pos_t);
    *pos_u = pt__malloc(ctx, (n + 1) * sizeof **pos_u);
    if (*pos_t == NULL || *pos_u == NULL) {
        return pt__error(ctx, PT_ENOMEM, "seq: out of memory for training positions");
    }
    uint64_t k = 0;
    for (uint32_t u = 0; u < s->n_users; u++) {
        for (uint64_t t = s->off[u] + 1; t < s->off[u + 1]; t++) {
            (*pos_t)[k] = t;
            (*pos_u)[k] = u;
            k++;
        }
    }
    *n_pos = (uint32_t)n;
    return PT_OK;
}

int pt_seq_train(pt_ctx *ctx, const pt_graph *g, const pt_seq_params *p, pt_seq_epoch_fn fn,
                 void *ud, pt_seq_model **out) {
    pt__seqs s;
    pt_seq_model *m = NULL;
    uint64_t *pos_t = NULL;
    uint32_t *pos_u = NULL, *perm = NULL, *win = NULL, *users = NULL, *cand = NULL;
    float *wt = NULL;
    uint32_t n_pos = 0;
    int rc = PT_OK;
    memset(&s, 0, sizeof s);
    *out = NULL;
    PT_TRY(check_params(ctx, p));
    pt__nn_set_threads(p->threads);
    pt_walk_params wp;
    pt_walk_params_default(&wp);
    PT_TRY(pt__seq_extract(ctx, g, &wp, &s));
    PT_TRY(positions(ctx, &s, &pos_t, &pos_u, &n_pos));
    if (n_pos == 0) {
        rc = pt__error(ctx, PT_EINVAL,
                       "seq: no user has two behaviour items, so there is nothing to learn from");
        goto done;
    }
    PT_TRY(model_new(ctx, p, s.n_items, s.n_users, &m));
    PT_TRY(copy_names(ctx, m, g, &s));
    uint32_t B = p->batch, L = p->L, k = 1 + p->neg;
    perm = pt__malloc(ctx, (size_t)n_pos * sizeof *perm);
    win = pt__malloc(ctx, (size_t)B * L * sizeof *win);
    users = pt__malloc(ctx, (size_t)B * sizeof *users);
    cand = pt__malloc(ctx, (size_t)B * k * sizeof *cand);
    wt = pt__malloc(ctx, (size_t)B * sizeof *wt);
    if (perm == NULL || win == NULL || users == NULL || cand == NULL || wt == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory for training");
        goto done;
    }
    double wsum = 0.0;
    for (uint32_t i = 0; i < n_pos; i++) {
        perm[i] = i;
        wsum += s.weight[pos_t[i]];
    }
    float wnorm = wsum > 0.0 ? (float)((double)n_pos / wsum) : 1.0f;
    pt__optim opt;
    pt__optim_adam(&opt, (float)p->lr);
    opt.weight_decay = (float)p->l2;
    pt__rng rng;
    pt__rng_seed(&rng, p->seed ^ 0x5e95eedull);
    uint64_t draw = p->seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t ep = 1; ep <= p->epochs; ep++) {
        double t0 = pt__now(), loss_sum = 0.0;
        uint64_t scored_sum = 0;
        pt__rng_shuffle(&rng, perm, n_pos);
        for (uint32_t at = 0; at < n_pos; at += B) {
            uint32_t n = n_pos - at < B ? n_pos - at : B;
            for (uint32_t b = 0; b < n; b++) {
                uint32_t i = perm[at + b];
                uint32_t u = pos_u[i];
                uint64_t t = pos_t[i];
                uint32_t *w = win + (size_t)b * L;
                pt__seq_window(&s, u, t, L, w);
                if (p->augment != 0 && p->aug_prob > 0.0 &&
                    (double)(pt__seq_rand(&draw) >> 11) * 0x1.0p-53 < p->aug_prob) {
                    pt__seq_augment(w, L, s.n_items, p->augment, p->aug_rate, &draw);
                }
                users[b] = u;
                cand[(size_t)b * k] = s.item[t];
                const uint32_t *seen = s.sorted + s.off[u];
                size_t n_seen = (size_t)(s.off[u + 1] - s.off[u]);
                for (uint32_t j = 1; j < k; j++) {
                    cand[(size_t)b * k + j] = pt__seq_negative(seen, n_seen, s.n_items, &draw);
                }
                wt[b] = p->weighted ? s.weight[t] * wnorm : 1.0f;
            }
            double loss = 0.0;
            uint64_t scored = 0;
            pt__params_zero_grad(&m->reg);
            PT_TRY(batch_grad(m, win, users, cand, n, k, wt, 1, &rng, &loss, &scored));
            if (!isfinite(loss)) {
                rc = pt__error(ctx, PT_EINTERNAL,
                               "seq: the loss is not finite at epoch %u, step %u (lower the "
                               "learning rate)",
                               ep, at / B + 1);
                goto done;
            }
            PT_TRY(pt__optim_step(ctx, &opt, &m->reg));
            loss_sum += loss;
            scored_sum += scored;
        }
        if (fn != NULL) {
            pt_seq_epoch e;
            e.epoch = ep;
            e.epochs = p->epochs;
            e.loss = scored_sum > 0 ? loss_sum / (double)scored_sum : 0.0;
            e.positions = n_pos;
            e.seconds = pt__now() - t0;
            fn(ud, &e);
        }
        pt__progress(ctx, "seq train", ep, p->epochs);
    }
    *out = m;
    m = NULL;
done:
    pt_seq_model_free(m);
    pt__seqs_free(ctx, &s);
    pt__free(ctx, pos_t);
    pt__free(ctx, pos_u);
    pt__free(ctx, perm);
    pt__free(ctx, win);
    pt__free(ctx, users);
    pt__free(ctx, cand);
    pt__free(ctx, wt);
    return rc;
}

const pt_seq_params *pt_seq_model_params(const pt_seq_model *m) {
    return &m->p;
}

uint32_t pt_seq_model_item_count(const pt_seq_model *m) {
    return m->n_items;
}

uint32_t pt_seq_model_user_count(const pt_seq_model *m) {
    return m->n_users;
}

double pt_seq_model_blend(const pt_seq_model *m) {
    return m->blend;
}

void pt_seq_model_set_blend(pt_seq_model *m, double blend) {
    m->blend = blend < 0.0 ? 0.0 : blend > 1.0 ? 1.0 : blend;
}

uint32_t pt_seq_user_dim(const pt_seq_model *m) {
    return 2 * m->p.dim;
}

/* ==== model file =========================================================================== */

/*
 * Layout (little-endian, docs/SEQ.md): "PTSEQMDL", u32 version (1), u32 0;
 * u32 L, dim, n_h, n_v, epochs, batch, neg, augment; f64 dropout, lr, l2, aug_prob, aug_rate;
 * u64 seed; i32 threads, weighted; f64 blend; u32 n_items, n_users; u64 names_len, the names
 * (kind byte, text, NUL; items then users); u32 n_params, then per parameter u32 name length,
 * name, u32 rows, u32 cols, rows * cols f32; finally u32 CRC-32 (zlib) of every byte before it.
 */

/* A growing output buffer; `oom` is sticky. */
typedef struct wbuf {
    pt_ctx *ctx;
    unsigned char *p;
    size_t len, cap;
    int oom;
} wbuf;

/* Append n bytes. */
static void put(wbuf *w, const void *data, size_t n) {
    if (w->oom) {
        return;
    }
    if (w->len + n > w->cap) {
        size_t nc = (w->len + n) * 2;
        unsigned char *np = pt__realloc(w->ctx, w->p, nc);
        if (np == NULL) {
            w->oom = 1;
            return;
        }
        w->p = np;
        w->cap = nc;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

/* Append a u32, a u64 or an f64 in host order (little-endian on every supported host). */
static void put32(wbuf *w, uint32_t v) {
    put(w, &v, 4);
}
static void put64(wbuf *w, uint64_t v) {
    put(w, &v, 8);
}
static void putf64(wbuf *w, double v) {
    put(w, &v, 8);
}

int pt_seq_save(pt_ctx *ctx, const pt_seq_model *m, const char *path) {
    wbuf w = {ctx, NULL, 0, 0, 0};
    const pt_seq_params *p = &m->p;
    put(&w, SEQ_MAGIC, 8);
    put32(&w, SEQ_VERSION);
    put32(&w, 0);
    uint32_t u32s[] = {p->L, p->dim, p->n_h, p->n_v, p->epochs, p->batch, p->neg, p->augment};
    for (size_t i = 0; i < sizeof u32s / sizeof u32s[0]; i++) {
        put32(&w, u32s[i]);
    }
    double f64s[] = {p->dropout, p->lr, p->l2, p->aug_prob, p->aug_rate};
    for (size_t i = 0; i < sizeof f64s / sizeof f64s[0]; i++) {
        putf64(&w, f64s[i]);
    }
    put64(&w, p->seed);
    put32(&w, (uint32_t)p->threads);
    put32(&w, (uint32_t)p->weighted);
    putf64(&w, m->blend);
    put32(&w, m->n_items);
    put32(&w, m->n_users);
    put64(&w, m->names_len);
    put(&w, m->names, m->names_len);
    put32(&w, (uint32_t)m->reg.n);
    for (size_t i = 0; i < m->reg.n; i++) {
        const pt__param *q = m->reg.items[i];
        uint32_t nl = (uint32_t)strlen(q->name);
        put32(&w, nl);
        put(&w, q->name, nl);
        put32(&w, q->rows);
        put32(&w, q->cols);
        put(&w, q->w, q->n * sizeof(float));
    }
    put32(&w, pt__crc32(0, w.p, w.len));
    if (w.oom) {
        pt__free(ctx, w.p);
        return pt__error(ctx, PT_ENOMEM, "seq: out of memory writing %s", path);
    }
    char *tmp = pt__malloc(ctx, strlen(path) + 8);
    if (tmp == NULL) {
        pt__free(ctx, w.p);
        return pt__error(ctx, PT_ENOMEM, "seq: out of memory writing %s", path);
    }
    sprintf(tmp, "%s.tmp", path);
    int rc = PT_OK;
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        rc = pt__error(ctx, PT_EIO, "seq: cannot write %s", tmp);
    } else {
        int bad = fwrite(w.p, 1, w.len, f) != w.len;
        bad |= fclose(f) != 0;
        if (bad || rename(tmp, path) != 0) {
            remove(tmp);
            rc = pt__error(ctx, PT_EIO, "seq: cannot write %s", path);
        }
    }
    pt__free(ctx, tmp);
    pt__free(ctx, w.p);
    return rc;
}

/* A reader over the bytes of a model file; `bad` is sticky (truncated). */
typedef struct rbuf {
    const unsigned char *p;
    size_t len, at;
    int bad;
} rbuf;

/* Copy n bytes out, or mark the reader bad. */
static void get(rbuf *r, void *out, size_t n) {
    if (r->bad || r->len - r->at < n) {
        r->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p + r->at, n);
    r->at += n;
}

/* Read a u32, a u64 or an f64 (0 and `bad` set when the bytes run out). */
static uint32_t get32(rbuf *r) {
    uint32_t v;
    get(r, &v, 4);
    return v;
}
static uint64_t get64(rbuf *r) {
    uint64_t v;
    get(r, &v, 8);
    return v;
}
static double getf64(rbuf *r) {
    double v;
    get(r, &v, 8);
    return v;
}

/* Read a whole file into *buf (pt__malloc); PT_EIO names it. */
static int slurp(pt_ctx *ctx, const char *path, unsigned char **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    *buf = NULL;
    *len = 0;
    if (f == NULL) {
        return pt__error(ctx, PT_EIO, "seq: cannot read %s", path);
    }
    size_t cap = 0;
    int rc = PT_OK;
    for (;;) {
        if (*len == cap) {
            size_t nc = cap ? cap * 2 : 1 << 16;
            unsigned char *nb = pt__realloc(ctx, *buf, nc);
            if (nb == NULL) {
                rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory reading %s", path);
                break;
            }
            *buf = nb;
            cap = nc;
        }
        size_t got = fread(*buf + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = pt__error(ctx, PT_EIO, "seq: cannot read %s", path);
            }
            break;
        }
    }
    fclose(f);
    if (rc != PT_OK) {
        pt__free(ctx, *buf);
        *buf = NULL;
    }
    return rc;
}

int pt_seq_load(pt_ctx *ctx, const char *path, pt_seq_model **out) {
    unsigned char *buf = NULL;
    size_t len = 0;
    pt_seq_model *m = NULL;
    int rc = PT_OK;
    *out = NULL;
    PT_TRY(slurp(ctx, path, &buf, &len));
    if (len < 16 || memcmp(buf, SEQ_MAGIC, 8) != 0) {
        rc = pt__error(ctx, PT_EPARSE, "seq: %s is not a sequence model (no %s header)", path,
                       SEQ_MAGIC);
        goto done;
    }
    uint32_t version;
    memcpy(&version, buf + 8, 4);
    if (version != SEQ_VERSION) {
        rc = pt__error(ctx, PT_EPARSE, "seq: %s has model version %u; this build reads %u", path,
                       version, SEQ_VERSION);
        goto done;
    }
    uint32_t crc;
    memcpy(&crc, buf + len - 4, 4);
    if (pt__crc32(0, buf, len - 4) != crc) {
        rc = pt__error(ctx, PT_EPARSE, "seq: %s is corrupt or truncated (checksum mismatch)",
                       path);
        goto done;
    }
    rbuf r = {buf, len - 4, 16, 0};
    pt_seq_params p;
    pt_seq_params_default(&p);
    p.L = get32(&r);
    p.dim = get32(&r);
    p.n_h = get32(&r);
    p.n_v = get32(&r);
    p.epochs = get32(&r);
    p.batch = get32(&r);
    p.neg = get32(&r);
    p.augment = get32(&r);
    p.dropout = getf64(&r);
    p.lr = getf64(&r);
    p.l2 = getf64(&r);
    p.aug_prob = getf64(&r);
    p.aug_rate = getf64(&r);
    p.seed = get64(&r);
    p.threads = (int)get32(&r);
    p.weighted = (int)get32(&r);
    double blend = getf64(&r);
    uint32_t n_items = get32(&r), n_users = get32(&r);
    uint64_t names_len = get64(&r);
    if (r.bad || check_params(ctx, &p) != PT_OK || !(blend >= 0.0 && blend <= 1.0) ||
        names_len > r.len - r.at || n_items > names_len || n_users > names_len) {
        rc = pt__error(ctx, PT_EPARSE, "seq: %s has an invalid header", path);
        goto done;
    }
    PT_TRY(model_new(ctx, &p, n_items, n_users, &m));
    m->blend = blend;
    size_t n_names = (size_t)n_items + n_users;
    m->names = pt__malloc(ctx, names_len + 1);
    m->name_off = pt__malloc(ctx, (n_names + 1) * sizeof *m->name_off);
    if (m->names == NULL || m->name_off == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory reading %s", path);
        goto done;
    }
    get(&r, m->names, names_len);
    m->names_len = names_len;
    size_t at = 0;
    for (size_t i = 0; i < n_names; i++) {
        const char *z = at + 1 < names_len ? memchr(m->names + at + 1, '\0', names_len - at - 1)
                                          : NULL;
        if (z == NULL || (unsigned char)m->names[at] > PT_TERM_BLANK) {
            rc = pt__error(ctx, PT_EPARSE, "seq: %s has a malformed name table (entry %zu)",
                           path, i);
            goto done;
        }
        m->name_off[i] = at;
        at = (size_t)(z - m->names) + 1;
    }
    m->name_off[n_names] = at;
    if (at != names_len) {
        rc = pt__error(ctx, PT_EPARSE, "seq: %s has a malformed name table (extra bytes)", path);
        goto done;
    }
    uint32_t n_params = get32(&r);
    if (r.bad || n_params != m->reg.n) {
        rc = pt__error(ctx, PT_EPARSE, "seq: %s has %u parameters; the model needs %zu", path,
                       n_params, m->reg.n);
        goto done;
    }
    for (size_t i = 0; i < m->reg.n; i++) {
        pt__param *q = m->reg.items[i];
        char name[64];
        uint32_t nl = get32(&r);
        if (nl >= sizeof name) {
            r.bad = 1;
            break;
        }
        get(&r, name, nl);
        name[nl] = '\0';
        uint32_t rows = get32(&r), cols = get32(&r);
        if (r.bad || strcmp(name, q->name) != 0 || rows != q->rows || cols != q->cols) {
            rc = pt__error(ctx, PT_EPARSE,
                           "seq: %s: parameter %zu is %s %ux%u; the model needs %s %ux%u", path,
                           i, name, rows, cols, q->name, q->rows, q->cols);
            goto done;
        }
        get(&r, q->w, q->n * sizeof(float));
        for (size_t j = 0; j < q->n && !r.bad; j++) {
            if (!isfinite(q->w[j])) {
                rc = pt__error(ctx, PT_EPARSE, "seq: %s: parameter %s has a non-finite value",
                               path, q->name);
                goto done;
            }
        }
    }
    if (r.bad || r.at != r.len) {
        rc = pt__error(ctx, PT_EPARSE, "seq: %s is truncated or has trailing bytes", path);
        goto done;
    }
    *out = m;
    m = NULL;
done:
    pt_seq_model_free(m);
    pt__free(ctx, buf);
    return rc;
}

/* ==== binding and scoring ================================================================== */

int pt_seq_bind(pt_ctx *ctx, pt_seq_model *m, const pt_graph *g, uint32_t *n_items_found) {
    int rc = PT_OK;
    unbind(m);
    if (n_items_found != NULL) {
        *n_items_found = 0;
    }
    PT_TRY(pt__seq_extract(ctx, g, NULL, &m->bs));
    uint32_t d = m->p.dim;
    m->bitem = pt__malloc(ctx, ((size_t)m->bs.n_items + 1) * sizeof *m->bitem);
    m->item_node = pt__malloc(ctx, ((size_t)m->n_items + 1) * sizeof *m->item_node);
    m->node_user = pt__malloc(ctx, ((size_t)m->bs.n_users + 1) * sizeof *m->node_user);
    m->mean_user = pt__calloc(ctx, d, sizeof *m->mean_user);
    if (m->bitem == NULL || m->item_node == NULL || m->node_user == NULL ||
        m->mean_user == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory binding the model");
        goto done;
    }
    for (uint32_t i = 0; i < m->bs.n_items; i++) {
        m->bitem[i] = UINT32_MAX;
    }
    for (uint32_t u = 0; u < m->bs.n_users; u++) {
        m->node_user[u] = UINT32_MAX;
    }
    uint32_t found = 0;
    for (uint32_t i = 0; i < m->n_items + m->n_users; i++) {
        const char *nm = m->names + m->name_off[i];
        pt_node_id v = pt_graph_lookup(g, nm + 1, strlen(nm + 1), (pt_term_kind)nm[0]);
        if (i < m->n_items) {
            m->item_node[i] = v;
            uint32_t bi = v != PT_NONE ? m->bs.node_item[v] : UINT32_MAX;
            if (bi != UINT32_MAX) {
                m->bitem[bi] = i;
            }
            found += v != PT_NONE;
        } else if (v != PT_NONE) {
            uint32_t row = pt__seqs_user_row(&m->bs, v);
            if (row != UINT32_MAX) {
                m->node_user[row] = i - m->n_items;
            }
        }
    }
    const float *ut = m->emb_user->wt->w;
    for (uint32_t u = 0; u < m->n_users; u++) {
        for (uint32_t c = 0; c < d; c++) {
            m->mean_user[c] += ut[(size_t)u * d + c] / (float)m->n_users;
        }
    }
    m->bound = g;
    if (n_items_found != NULL) {
        *n_items_found = found;
    }
done:
    if (rc != PT_OK) {
        unbind(m);
    }
    return rc;
}

/* The model window of bound-graph user row `row` (UINT32_MAX: no behaviour, all padding):
 * the user's last L items, mapped to model items (items the model lacks become padding). */
static void bound_window(const pt_seq_model *m, uint32_t row, uint32_t *win) {
    uint32_t L = m->p.L;
    if (row == UINT32_MAX) {
        for (uint32_t j = 0; j < L; j++) {
            win[j] = m->n_items;
        }
        return;
    }
    pt__seq_window(&m->bs, row, m->bs.off[row + 1], L, win);
    for (uint32_t j = 0; j < L; j++) {
        win[j] = win[j] < m->bs.n_items && m->bitem[win[j]] != UINT32_MAX ? m->bitem[win[j]]
                                                                          : m->n_items;
    }
}

/*
 * Score every model item for n bound-graph user rows `rows` (UINT32_MAX allowed) into
 * S (n x n_items): S = XU Q^T + b, XU the users' vectors (also left in m->xu).
 */
static int score_rows(pt_seq_model *m, const uint32_t *rows, uint32_t n, float *S) {
    pt_ctx *ctx = m->ctx;
    int rc = PT_OK;
    uint32_t L = m->p.L, d2 = 2 * m->p.dim;
    uint32_t *win = pt__malloc(ctx, ((size_t)n * L + 1) * sizeof *win);
    uint32_t *users = pt__malloc(ctx, ((size_t)n + 1) * sizeof *users);
    if (win == NULL || users == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory scoring");
        goto done;
    }
    for (uint32_t b = 0; b < n; b++) {
        bound_window(m, rows[b], win + (size_t)b * L);
        users[b] = rows[b] != UINT32_MAX ? m->node_user[rows[b]] : UINT32_MAX;
    }
    PT_TRY(forward_users(m, win, users, n, 0, NULL, m->mean_user));
    if (S != NULL && m->n_items > 0) {
        const float *bias = m->emb_bias->wt->w;
        for (uint32_t b = 0; b < n; b++) {
            memcpy(S + (size_t)b * m->n_items, bias, m->n_items * sizeof(float));
        }
        pt__sgemm(0, 1, n, m->n_items, d2, 1.0f, m->xu, d2, m->emb_out->wt->w, d2, 1.0f, S,
                  m->n_items);
    }
done:
    pt__free(ctx, win);
    pt__free(ctx, users);
    return rc;
}

int pt_seq_user_vector(pt_ctx *ctx, pt_seq_model *m, pt_node_id user, float *out) {
    if (m->bound == NULL) {
        return pt__error(ctx, PT_EINVAL, "seq: the model is not bound to a graph");
    }
    if (user >= m->bs.n_nodes) {
        return pt__error(ctx, PT_EINVAL, "seq: node %u is out of range", user);
    }
    uint32_t row = pt__seqs_user_row(&m->bs, user);
    int rc = score_rows(m, &row, 1, NULL);
    if (rc == PT_OK) {
        memcpy(out, m->xu, 2 * m->p.dim * sizeof(float));
    }
    return rc;
}

int pt_seq_store_user_vectors(pt_ctx *ctx, pt_seq_model *m, pt_graph *g, uint64_t *n_users) {
    int rc = PT_OK;
    if (n_users != NULL) {
        *n_users = 0;
    }
    if (m->bound != g) {
        return pt__error(ctx, PT_EINVAL, "seq: the model is not bound to this graph");
    }
    pt_node_id pred = pt_graph_intern(g, PT_SEQUENCE_EMBEDDING, strlen(PT_SEQUENCE_EMBEDDING),
                                      PT_TERM_IRI);
    if (pred == PT_NONE) {
        return pt__error(ctx, PT_ENOMEM, "seq: out of memory storing user vectors");
    }
    uint32_t d2 = 2 * m->p.dim, B = 256;
    uint32_t rows[256];
    uint64_t written = 0;
    for (uint32_t at = 0; at < m->bs.n_users; at += B) {
        uint32_t n = 0;
        for (uint32_t u = at; u < m->bs.n_users && u < at + B; u++) {
            rows[n++] = u;
        }
        PT_TRY(score_rows(m, rows, n, NULL));
        for (uint32_t b = 0; b < n; b++) {
            if (m->node_user[rows[b]] == UINT32_MAX) {
                continue; /* a user the model never saw: no learned vector to store */
            }
            PT_TRY(pt_graph_set_vector(g, m->bs.user_node[rows[b]], pred, m->xu + (size_t)b * d2,
                                       d2));
            written++;
        }
    }
    if (n_users != NULL) {
        *n_users = written;
    }
done:
    return rc;
}

/* A scored candidate for ranking. */
typedef struct cand_score {
    pt_node_id node;
    uint32_t idx;
    double s;
} cand_score;

/* Best first; ties by node id. */
static int cmp_cand(const void *a, const void *b) {
    const cand_score *x = a, *y = b;
    if (x->s != y->s) {
        return x->s > y->s ? -1 : 1;
    }
    return x->node < y->node ? -1 : x->node > y->node;
}

/* z-normalise v[0..n) in place (a constant vector becomes all zeros). */
static void znorm(double *v, size_t n) {
    if (n == 0) {
        return;
    }
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++) {
        mean += v[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        var += (v[i] - mean) * (v[i] - mean);
    }
    double sd = sqrt(var / (double)n);
    for (size_t i = 0; i < n; i++) {
        v[i] = sd > 0.0 ? (v[i] - mean) / sd : 0.0;
    }
}

/* 1 when item node `v` lies in category `cat` or below it (an inCategory edge to it). */
static int in_category(const pt_graph *g, pt_node_id v, pt_node_id cat) {
    pt_edge_iter it;
    pt_edge e;
    pt_graph_edges(g, v, 0, PT_NONE, &it);
    while (pt_graph_edge_next(&it, &e)) {
        if (pt_graph_pred_role(g, e.pred) == PT_ROLE_IN_CATEGORY && pt_graph_is_a(g, e.dst, cat)) {
            return 1;
        }
    }
    return 0;
}

/* The first category of item node `v`, or PT_NONE. */
static pt_node_id first_category(const pt_graph *g, pt_node_id v) {
    pt_edge_iter it;
    pt_edge e;
    pt_graph_edges(g, v, 0, PT_NONE, &it);
    while (pt_graph_edge_next(&it, &e)) {
        if (pt_graph_pred_role(g, e.pred) == PT_ROLE_IN_CATEGORY) {
            return e.dst;
        }
    }
    return PT_NONE;
}

/* 1 when `v` is one of a[0..n) (a linear scan: exclusion lists are short). */
static int listed(const pt_node_id *a, size_t n, pt_node_id v) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] == v) {
            return 1;
        }
    }
    return 0;
}

int pt_seq_recommend(pt_ctx *ctx, pt_seq_model *m, pt_recommender *walk, pt_rec_scratch *s,
                     double blend, const pt_rec_query *q, pt_rec_item *out, size_t *n_out,
                     int *flags) {
    int rc = PT_OK;
    float *S = NULL;
    cand_score *cs = NULL;
    double *zs = NULL, *zw = NULL;
    pt_rec_item *wbuf_items = NULL;
    pt_node_id *cats = NULL;
    uint32_t *cat_n = NULL;
    *n_out = 0;
    *flags = PT_REC_PERSONAL;
    if (m->bound == NULL) {
        return pt__error(ctx, PT_EINVAL, "seq: the model is not bound to a graph");
    }
    if (q == NULL || out == NULL || q->k == 0) {
        return pt__error(ctx, PT_EINVAL, "seq: k must be at least 1");
    }
    const pt_graph *g = m->bound;
    if (blend < 0.0) {
        blend = m->blend;
    }
    uint32_t row = q->user < m->bs.n_nodes ? pt__seqs_user_row(&m->bs, q->user) : UINT32_MAX;
    if (row == UINT32_MAX && walk != NULL) {
        return pt_recommend(walk, s, q, out, n_out, flags);
    }
    S = pt__malloc(ctx, ((size_t)m->n_items + 1) * sizeof *S);
    cs = pt__malloc(ctx, ((size_t)m->n_items + 1) * sizeof *cs);
    zs = pt__malloc(ctx, ((size_t)m->n_items + 1) * sizeof *zs);
    zw = pt__calloc(ctx, (size_t)m->n_items + 1, sizeof *zw);
    if (S == NULL || cs == NULL || zs == NULL || zw == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory recommending");
        goto done;
    }
    PT_TRY(score_rows(m, &row, 1, S));
    /* Candidates: items of the model present in the graph, not seen (unless asked), not
     * excluded, in the category. */
    size_t n = 0;
    const uint32_t *seen = row != UINT32_MAX ? m->bs.sorted + m->bs.off[row] : NULL;
    size_t n_seen = row != UINT32_MAX ? (size_t)(m->bs.off[row + 1] - m->bs.off[row]) : 0;
    for (uint32_t i = 0; i < m->n_items; i++) {
        pt_node_id v = m->item_node[i];
        if (v == PT_NONE) {
            continue;
        }
        if (!q->include_seen && seen != NULL && in_sorted(seen, n_seen, m->bs.node_item[v])) {
            continue;
        }
        if (q->n_exclude > 0 && listed(q->exclude, q->n_exclude, v)) {
            continue;
        }
        if (q->category != PT_NONE && !in_category(g, v, q->category)) {
            continue;
        }
        cs[n].node = v;
        cs[n].idx = i;
        zs[n] = row != UINT32_MAX ? S[i] : m->emb_bias->wt->w[i];
        n++;
    }
    if (row == UINT32_MAX) {
        *flags = PT_REC_POPULAR;
    }
    if (walk != NULL) {
        /* The walk's scores over every candidate it reaches; the rest stay 0. */
        pt_rec_query wq = *q;
        wq.k = m->n_items > 0 ? m->n_items : 1;
        wq.explain = 0;
        wq.max_per_category = 0;
        size_t wn = 0;
        int wflags = 0;
        wbuf_items = pt__malloc(ctx, (size_t)wq.k * sizeof *wbuf_items);
        if (wbuf_items == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory recommending");
            goto done;
        }
        PT_TRY(pt_recommend(walk, s, &wq, wbuf_items, &wn, &wflags));
        for (size_t j = 0; j < wn; j++) {
            pt_node_id v = wbuf_items[j].item;
            if (wbuf_items[j].popular || v >= m->bs.n_nodes) {
                continue;
            }
            /* find the candidate of v: candidates are in model-item order, look up by idx */
            uint32_t bi = m->bs.node_item[v];
            uint32_t mi = bi != UINT32_MAX ? m->bitem[bi] : UINT32_MAX;
            if (mi == UINT32_MAX) {
                continue;
            }
            zw[mi] = wbuf_items[j].score;
        }
        double *tmp = pt__malloc(ctx, (n + 1) * sizeof *tmp);
        if (tmp == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory recommending");
            goto done;
        }
        for (size_t j = 0; j < n; j++) {
            tmp[j] = zw[cs[j].idx];
        }
        znorm(zs, n);
        znorm(tmp, n);
        for (size_t j = 0; j < n; j++) {
            zs[j] = blend * zs[j] + (1.0 - blend) * tmp[j];
        }
        pt__free(ctx, tmp);
    }
    for (size_t j = 0; j < n; j++) {
        cs[j].s = zs[j];
    }
    qsort(cs, n, sizeof *cs, cmp_cand);
    size_t taken = 0;
    if (q->max_per_category > 0) {
        cats = pt__malloc(ctx, ((size_t)q->k + 1) * sizeof *cats);
        cat_n = pt__calloc(ctx, (size_t)q->k + 1, sizeof *cat_n);
        if (cats == NULL || cat_n == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "seq: out of memory recommending");
            goto done;
        }
    }
    size_t n_cats = 0;
    for (size_t j = 0; j < n && taken < q->k; j++) {
        if (q->max_per_category > 0) {
            pt_node_id c = first_category(g, cs[j].node);
            size_t ci = 0;
            while (ci < n_cats && cats[ci] != c) {
                ci++;
            }
            if (ci == n_cats) {
                cats[n_cats] = c;
                cat_n[n_cats++] = 0;
            }
            if (c != PT_NONE && cat_n[ci] >= q->max_per_category) {
                continue;
            }
            cat_n[ci]++;
        }
        memset(&out[taken], 0, sizeof out[taken]);
        out[taken].item = cs[j].node;
        out[taken].score = cs[j].s;
        out[taken].popular = row == UINT32_MAX;
        taken++;
    }
    *n_out = taken;
done:
    pt__free(ctx, S);
    pt__free(ctx, cs);
    pt__free(ctx, zs);
    pt__free(ctx, zw);
    pt__free(ctx, wbuf_items);
    pt__free(ctx, cats);
    pt__free(ctx, cat_n);
    return rc;
}

/* ==== evaluation =========================================================================== */

/* The item universe of an evaluation, as pt_eval_run() makes it: Item nodes of g and every
 * item of the split, in node order. */
typedef struct universe {
    uint32_t n_nodes, n_items;
    uint32_t *idx;       /* [n_nodes] item index, UINT32_MAX for non-items */
    pt_node_id *items;   /* [n_items] */
    uint64_t *pop;       /* [n_items] training interactions */
    uint8_t *tail;       /* [n_items] */
} universe;

/* Free what universe_make() allocated. */
static void universe_free(pt_ctx *ctx, universe *u) {
    pt__free(ctx, u->idx);
    pt__free(ctx, u->items);
    pt__free(ctx, u->pop);
    pt__free(ctx, u->tail);
    memset(u, 0, sizeof *u);
}

/* Fill `u` for split `s` of `g` (tail items by `o->tail_ratio`). PT_OK or PT_ENOMEM. */
static int universe_make(pt_ctx *ctx, const pt_graph *g, const pt_split *s,
                         const pt_eval_opts *o, universe *u) {
    int rc = PT_OK;
    memset(u, 0, sizeof *u);
    u->n_nodes = pt_graph_node_count(g);
    u->idx = pt__malloc(ctx, ((size_t)u->n_nodes + 1) * sizeof *u->idx);
    if (u->idx == NULL) {
        return pt__error(ctx, PT_ENOMEM, "seq eval: out of memory");
    }
    for (uint32_t v = 0; v < u->n_nodes; v++) {
        u->idx[v] = pt_graph_node_class(g, v) == PT_CLASS_ITEM ? 0 : UINT32_MAX;
    }
    uint64_t n = pt_split_count(s, -1);
    pt_interaction x;
    for (uint64_t k = 0; k < n; k++) {
        if (pt_split_get(s, k, &x) == PT_OK && x.item < u->n_nodes) {
            u->idx[x.item] = 0;
        }
    }
    for (uint32_t v = 0; v < u->n_nodes; v++) {
        u->n_items += u->idx[v] == 0;
    }
    u->items = pt__malloc(ctx, ((size_t)u->n_items + 1) * sizeof *u->items);
    u->pop = pt__calloc(ctx, (size_t)u->n_items + 1, sizeof *u->pop);
    u->tail = pt__malloc(ctx, (size_t)u->n_items + 1);
    if (u->items == NULL || u->pop == NULL || u->tail == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "seq eval: out of memory");
        goto done;
    }
    uint32_t next = 0;
    for (uint32_t v = 0; v < u->n_nodes; v++) {
        if (u->idx[v] == 0) {
            u->items[next] = v;
            u->idx[v] = next++;
        }
    }
    for (uint64_t k = 0; k < n; k++) {
        if (pt_split_get(s, k, &x) == PT_OK && x.part == PT_PART_TRAIN) {
            u->pop[u->idx[x.item]]++;
        }
    }
    PT_TRY(pt_eval_tail_items(ctx, u->pop, u->n_items, o->tail_ratio, u->tail));
done:
    if (rc != PT_OK) {
        universe_free(ctx, u);
    }
    return rc;
}

/* Passes epochs on to the caller's callback and keeps the last loss. */
typedef struct last_loss {
    pt_seq_epoch_fn fn;
    void *ud;
    double loss;
} last_loss;

static void keep_loss(void *ud, const pt_seq_epoch *e) {
    last_loss *ll = ud;
    ll->loss = e->loss;
    if (ll->fn != NULL) {
        ll->fn(ll->ud, e);
    }
}

/*
 * Train on the training part of `s` and score its test users once per blend weight in
 * blends[0..n_blends) (1 = the sequence model alone; with n_blends > 0 and mode hybrid a walk
 * recommender with `wp` is built over the same training graph). res[b] gets the metrics of
 * blends[b]. *train_s and *loss report the training.
 */
static int run_split(pt_ctx *ctx, const pt_graph *g, const pt_split *s, pt_seq_eval_mode mode,
                     const pt_seq_params *sp, const pt_walk_params *wp, const pt_eval_opts *o,
                     const double *blends, size_t n_blends, pt_seq_epoch_fn fn, void *ud,
                     pt_eval_result *res, double *train_s, double *loss) {
    int rc = PT_OK;
    pt_graph *train = NULL;
    pt_seq_model *m = NULL;
    pt_recommender *rec = NULL;
    pt_rec_scratch *scr = NULL;
    pt_metric_acc *acc[BLEND_STEPS] = {NULL};
    universe u;
    float *S = NULL;
    double *zs = NULL, *zw = NULL, *mix = NULL;
    cand_score *cs = NULL, *work = NULL;
    pt_rec_item *wbuf_items = NULL;
    uint32_t *ranked = NULL, *rel = NULL;
    size_t rel_cap = 0;
    memset(&u, 0, sizeof u);
    last_loss ll = {fn, ud, 0.0};
    uint32_t max_k = 0;
    for (size_t j = 0; j < o->n_ks; j++) {
        max_k = o->ks[j] > max_k ? o->ks[j] : max_k;
    }
    for (size_t b = 0; b < n_blends; b++) {
        memset(&res[b], 0, sizeof res[b]);
    }
    if (pt_split_test_user_count(s) == 0) {
        return pt__error(ctx, PT_EINVAL, "seq eval: the split has no test user");
    }
    double t0 = pt__now();
    PT_TRY(pt_split_train_graph(ctx, g, s, &train));
    double t1 = pt__now();
    PT_TRY(pt_seq_train(ctx, train, sp, keep_loss, &ll, &m));
    *train_s = pt__now() - t1;
    PT_TRY(pt_seq_bind(ctx, m, train, NULL));
    int hybrid = mode == PT_SEQ_EVAL_HYBRID;
    if (hybrid) {
        PT_TRY(pt_recommender_new(ctx, train, wp, &rec));
        PT_TRY(pt_rec_scratch_new(rec, &scr));
    }
    double t2 = pt__now();
    PT_TRY(universe_make(ctx, g, s, o, &u));
    for (size_t b = 0; b < n_blends; b++) {
        PT_TRY(pt_metric_acc_new(ctx, u.n_items, o->ks, o->n_ks, u.tail, &acc[b]));
        res[b].build_seconds = t1 - t0 + (t2 - t1);
    }
    S = pt__malloc(ctx, ((size_t)m->n_items + 1) * sizeof *S);
    zs = pt__malloc(ctx, ((size_t)u.n_items + 1) * sizeof *zs);
    zw = pt__malloc(ctx, ((size_t)u.n_items + 1) * sizeof *zw);
    mix = pt__malloc(ctx, ((size_t)u.n_items + 1) * sizeof *mix);
    cs = pt__malloc(ctx, ((size_t)u.n_items + 1) * sizeof *cs);
    work = pt__malloc(ctx, ((size_t)u.n_items + 1) * sizeof *work);
    ranked = pt__malloc(ctx, ((size_t)max_k + 1) * sizeof *ranked);
    wbuf_items = hybrid ? pt__malloc(ctx, ((size_t)u.n_items + 1) * sizeof *wbuf_items) : NULL;
    if (S == NULL || zs == NULL || zw == NULL || mix == NULL || cs == NULL || work == NULL ||
        ranked == NULL ||
        (hybrid && wbuf_items == NULL)) {
        rc = pt__error(ctx, PT_ENOMEM, "seq eval: out of memory");
        goto done;
    }
    /* Test users in node order, as pt_eval_run() takes them. */
    uint64_t n_rows = pt_split_count(s, -1);
    uint32_t n_test_users = 0, n_short = 0;
    pt_interaction x;
    for (uint64_t k = 0; k < n_rows;) {
        if (pt_split_get(s, k, &x) != PT_OK) {
            break;
        }
        pt_node_id user = x.user;
        uint64_t lo = k, hi = k;
        int has_test = 0;
        while (hi < n_rows && pt_split_get(s, hi, &x) == PT_OK && x.user == user) {
            has_test |= x.part == PT_PART_TEST;
            hi++;
        }
        k = hi;
        if (!has_test) {
            continue;
        }
        n_test_users++;
        /* Relevant items and candidates (every universe item but the training ones). */
        size_t nrel = 0;
        if (hi - lo > rel_cap) {
            uint32_t *nr = pt__realloc(ctx, rel, (size_t)(hi - lo) * sizeof *rel);
            if (nr == NULL) {
                rc = pt__error(ctx, PT_ENOMEM, "seq eval: out of memory");
                goto done;
            }
            rel = nr;
            rel_cap = (size_t)(hi - lo);
        }
        for (uint64_t r = lo; r < hi; r++) {
            pt_split_get(s, r, &x);
            if (x.part == PT_PART_TEST) {
                rel[nrel++] = u.idx[x.item];
            }
        }
        uint32_t row = pt__seqs_user_row(&m->bs, user);
        PT_TRY(score_rows(m, &row, 1, S));
        size_t n = 0;
        double smin = INFINITY;
        for (uint32_t i = 0; i < u.n_items; i++) {
            pt_node_id v = u.items[i];
            if (pt_split_part_of(s, user, v) == PT_PART_TRAIN) {
                continue;
            }
            uint32_t bi = v < m->bs.n_nodes ? m->bs.node_item[v] : UINT32_MAX;
            uint32_t mi = bi != UINT32_MAX ? m->bitem[bi] : UINT32_MAX;
            cs[n].node = v;
            cs[n].idx = i;
            zs[n] = mi != UINT32_MAX ? S[mi] : NAN;
            if (mi != UINT32_MAX && zs[n] < smin) {
                smin = zs[n];
            }
            zw[n] = 0.0;
            n++;
        }
        for (size_t j = 0; j < n; j++) {
            if (isnan(zs[j])) {
                zs[j] = isfinite(smin) ? smin : 0.0; /* items the model never saw */
            }
        }
        if (hybrid) {
            pt_rec_query wq;
            pt_rec_query_init(&wq, user, u.n_items > 0 ? u.n_items : 1);
            wq.include_seen = 0;
            size_t wn = 0;
            int wflags = 0;
            PT_TRY(pt_recommend(rec, scr, &wq, wbuf_items, &wn, &wflags));
            /* candidate position by universe index: reuse mix as a map */
            for (size_t j = 0; j < n; j++) {
                mix[cs[j].idx] = (double)j;
            }
            for (size_t j = 0; j < wn; j++) {
                pt_node_id v = wbuf_items[j].item;
                if (wbuf_items[j].popular || v >= u.n_nodes || u.idx[v] == UINT32_MAX ||
                    pt_split_part_of(s, user, v) == PT_PART_TRAIN) {
                    continue;
                }
                zw[(size_t)mix[u.idx[v]]] = wbuf_items[j].score;
            }
            znorm(zs, n);
            znorm(zw, n);
        }
        for (size_t b = 0; b < n_blends; b++) {
            double w = hybrid ? blends[b] : 1.0;
            for (size_t j = 0; j < n; j++) {
                work[j] = cs[j];
                work[j].s = w * zs[j] + (1.0 - w) * zw[j];
            }
            qsort(work, n, sizeof *work, cmp_cand);
            uint32_t nr = 0;
            for (size_t j = 0; j < n && nr < max_k; j++) {
                ranked[nr++] = work[j].idx;
            }
            n_short += b == 0 && nr < max_k;
            PT_TRY(pt_metric_acc_add(acc[b], ranked, nr, rel, nrel));
        }
    }
    double q_s = pt__now() - t2;
    for (size_t b = 0; b < n_blends; b++) {
        pt_metric_acc_result(acc[b], res[b].m);
        res[b].n_ks = o->n_ks;
        res[b].n_users = n_test_users;
        res[b].n_items = u.n_items;
        res[b].n_train = pt_split_count(s, PT_PART_TRAIN);
        res[b].n_test = pt_split_count(s, PT_PART_TEST);
        res[b].n_short = n_short;
        res[b].query_seconds = q_s;
    }
    *loss = ll.loss;
done:
    for (size_t b = 0; b < BLEND_STEPS; b++) {
        pt_metric_acc_free(acc[b]);
    }
    universe_free(ctx, &u);
    pt_rec_scratch_free(scr);
    pt_recommender_free(rec);
    pt_seq_model_free(m);
    pt_graph_free(train);
    pt__free(ctx, S);
    pt__free(ctx, zs);
    pt__free(ctx, zw);
    pt__free(ctx, mix);
    pt__free(ctx, cs);
    pt__free(ctx, work);
    pt__free(ctx, ranked);
    pt__free(ctx, rel);
    pt__free(ctx, wbuf_items);
    return rc;
}

/* See pt_seq_choose_blend(); adds its training time to info->train_seconds. */
static int choose_blend(pt_ctx *ctx, const pt_graph *g, const pt_split *vs,
                        const pt_seq_params *sp, const pt_walk_params *wp, const pt_eval_opts *o,
                        pt_seq_epoch_fn fn, void *ud, pt_seq_eval_info *info) {
    pt_eval_result vr[BLEND_STEPS];
    double blends[BLEND_STEPS], tr_s = 0.0, loss = 0.0;
    for (int b = 0; b < BLEND_STEPS; b++) {
        blends[b] = b / (double)(BLEND_STEPS - 1);
    }
    int rc = run_split(ctx, g, vs, PT_SEQ_EVAL_HYBRID, sp, wp, o, blends, BLEND_STEPS, fn, ud,
                       vr, &tr_s, &loss);
    if (rc != PT_OK) {
        return rc;
    }
    info->train_seconds += tr_s;
    int best = 0;
    for (int b = 0; b < BLEND_STEPS; b++) {
        info->val_ndcg[b] = vr[b].m[0].ndcg;
        if (vr[b].m[0].ndcg > vr[best].m[0].ndcg) {
            best = b;
        }
    }
    info->blend = blends[best];
    return PT_OK;
}

int pt_seq_choose_blend(pt_ctx *ctx, const pt_graph *g, const pt_split *val,
                        const pt_seq_params *sp, const pt_walk_params *wp, const pt_eval_opts *o,
                        pt_seq_epoch_fn fn, void *ud, pt_seq_eval_info *info) {
    memset(info, 0, sizeof *info);
    info->blend = 1.0;
    if (wp == NULL || o == NULL || o->n_ks == 0 || o->ks[0] == 0) {
        return pt__error(ctx, PT_EINVAL, "seq: choosing a blend needs walk parameters and a K");
    }
    int rc = check_params(ctx, sp);
    return rc != PT_OK ? rc : choose_blend(ctx, g, val, sp, wp, o, fn, ud, info);
}

int pt_seq_eval(pt_ctx *ctx, const pt_graph *g, const pt_split *s, pt_seq_eval_mode mode,
                const pt_seq_params *sp, const pt_walk_params *wp, const pt_eval_opts *o,
                const pt_split_opts *val, pt_seq_epoch_fn fn, void *ud, pt_eval_result *out,
                pt_seq_eval_info *info) {
    int rc = PT_OK;
    pt_split *vs = NULL;
    double tr_s = 0.0, loss = 0.0;
    memset(out, 0, sizeof *out);
    memset(info, 0, sizeof *info);
    info->blend = 1.0;
    if (o->n_ks == 0 || o->n_ks > PT_EVAL_MAX_KS) {
        return pt__error(ctx, PT_EINVAL, "seq eval: between 1 and %d cut-offs are needed",
                         PT_EVAL_MAX_KS);
    }
    for (size_t j = 0; j < o->n_ks; j++) {
        if (o->ks[j] == 0) {
            return pt__error(ctx, PT_EINVAL, "seq eval: a cut-off K must be at least 1");
        }
    }
    if (mode == PT_SEQ_EVAL_HYBRID && (wp == NULL || val == NULL)) {
        return pt__error(ctx, PT_EINVAL, "seq eval: the hybrid needs walk parameters and a "
                                         "validation protocol");
    }
    PT_TRY(check_params(ctx, sp));
    if (mode == PT_SEQ_EVAL_HYBRID) {
        /* Choose the blend on validation carved from the training part only. */
        PT_TRY(pt_split_carve(ctx, g, s, val, &vs));
        PT_TRY(choose_blend(ctx, g, vs, sp, wp, o, fn, ud, info));
    }
    double w = info->blend;
    PT_TRY(run_split(ctx, g, s, mode, sp, wp, o, &w, 1, fn, ud, out, &tr_s, &loss));
    info->train_seconds += tr_s;
    info->final_loss = loss;
done:
    pt_split_free(vs);
    return rc;
}

/* ==== for the tests ======================================================================== */

int pt__seq_model_new(pt_ctx *ctx, const pt_seq_params *p, uint32_t n_items, uint32_t n_users,
                      pt_seq_model **out) {
    int rc = check_params(ctx, p);
    return rc != PT_OK ? rc : model_new(ctx, p, n_items, n_users, out);
}

pt__params *pt__seq_model_registry(pt_seq_model *m) {
    return &m->reg;
}

int pt__seq_batch_loss(pt_seq_model *m, const uint32_t *win, const uint32_t *users,
                       const uint32_t *cand, uint32_t n, uint32_t k, const float *wt,
                       double *loss) {
    uint64_t scored = 0;
    pt__params_zero_grad(&m->reg);
    return batch_grad(m, win, users, cand, n, k, wt, 0, NULL, loss, &scored);
}
