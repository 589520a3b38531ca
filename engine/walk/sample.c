/*
 * sample.c - Pixie-style random walks with restart, run by a batch of interleaved walkers.
 *
 * The walk (Eksombatchai et al., "Pixie", WWW 2018) starts at one of the user's items q and
 * repeats item hops: from an item it picks a meta-path by weight (co-behaviour item -> user ->
 * item, or item -> tag/category/brand -> item, or item -> category -> parent -> item of a
 * sibling category), reaches an item and counts a visit; then it goes back to q with
 * probability `restart`, else continues from the item it reached. Co-behaviour steps follow
 * the alias tables of the index (probability ~ w^alpha) and multiply the walker's importance
 * weight by the row's factor, so that with restart = 1 and multi_hit = 0 the expected visit
 * weight of an item is exactly its P3alpha score (see exact.c; the walk test checks this).
 *
 * Speed comes from interleaving (Sun et al., "ThunderRW", VLDB 2021): each step is split into
 * stages that touch one memory location each (row header, then alias entry); a walker issues
 * __builtin_prefetch for the location of its next stage and yields to the next of WALKERS
 * walkers, so by the time it runs again the line is in cache and a thread keeps WALKERS cache
 * misses in flight instead of one.
 *
 * Importance weights apply to the first item hop of a walk only: deeper hops of a continued
 * walk are plain probabilities (an alpha-powered kernel is not stochastic, and its powers
 * would let a few deep visits through popular nodes dominate), and keep the first hop's
 * weight.
 *
 * Multi-hit boosting (Pixie): with multi_hit, each query item q gets its own share of the
 * budget and visit weights V_q; an item's score is (sum_q sqrt(w_q * V_q))^2, which favours
 * items reached from several query items. Early stopping: the walk ends once n_p items have
 * n_v visits each.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "walk/walk.h"

/* Walkers in flight per thread by default (r->walkers): enough outstanding misses to cover
 * memory latency, few enough that their states stay in L1. */
#define WALKERS 32

/* Stages of a walker: the memory each one reads was prefetched by the stage before. */
enum {
    S_ITEM = 0, /* at item `cur`: read its header, choose a hop, prefetch the entry */
    S_IEDGE,    /* read the item -> user alias entry */
    S_USER,     /* at user `cur`: read its header, prefetch the entry */
    S_UEDGE,    /* read the user -> item alias entry: an item visit */
    S_IFEAT,    /* read the item -> feature entry */
    S_FEAT,     /* at feature `cur`: go up to the parent, or prefetch an item entry */
    S_FEDGE,    /* read the feature -> item entry: an item visit */
    S_UP,       /* at parent category `cur`: prefetch an entry of its sub-item list */
    S_SUBEDGE,  /* read the sub-item entry: an item visit */
    S_VISIT,    /* count the visit of item `cur` (its score and counter were prefetched) */
};

/* One walker's state. */
typedef struct walker {
    uint64_t rng;
    uint32_t cur;              /* the node the stage works on (local id of its kind) */
    uint32_t k;                /* the entry index the next stage reads */
    uint32_t q;                /* the query item of the current walk */
    uint32_t last;             /* log index of the walk's last recorded hit, PT__NOIDX */
    uint32_t mid[2];           /* the nodes of the current item hop so far */
    uint8_t nmid, mkind;
    uint8_t nvia; /* nodes between q and the current item on the walk's path */
    uint8_t stage;
    uint8_t hop;   /* PT__HOP_* of the current item hop */
    uint8_t depth; /* item hops since the restart */
    double imp;    /* importance weight of the current walk */
} walker;

/* The state shared by the walkers of one run. */
typedef struct run {
    pt_rec_scratch *s;
    const pt_recommender *r;
    double *acc;        /* visit weights: s->score (linear) or s->vq (multi-hit) */
    uint32_t *acc_list; /* its touched list */
    uint32_t *acc_n;
    const pt__alias *qalias; /* linear mode: alias table of the query distribution */
    uint32_t n_q;
    uint32_t fixed_q; /* multi-hit: the one query item, else PT__NOIDX */
    uint64_t steps, budget;
    uint64_t segs;        /* walks started */
    uint32_t n_high;      /* items with n_v visits */
    uint64_t restart_thr; /* restart when 32 random bits fall below it: restart * 2^32 */
    uint32_t restart_thr16; /* the same for 16 bits (the co-behaviour walker): restart * 2^16 */
    int stop;
    int record;
} run;

/* xorshift64* (Vigna 2016): a fast generator whose high bits are good enough for sampling. */
static inline uint64_t rnd(uint64_t *st) {
    uint64_t x = *st;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *st = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* splitmix64 finaliser: spreads a seed so neighbouring seeds give unrelated streams. */
static uint64_t mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z != 0 ? z : 0x1234567ULL;
}

/* Uniform integer in [0, n) from the high 32 bits of `x` (Lemire's multiply-shift). */
static inline uint32_t below(uint64_t x, uint32_t n) {
    return (uint32_t)(((x >> 32) * (uint64_t)n) >> 32);
}

/* Uniform float in [0, 1) from the low 24 bits of `x` (independent of below()'s bits). */
static inline float coin(uint64_t x) {
    return (float)(x & 0xFFFFFFu) * (1.0f / 16777216.0f);
}

/* Uniform double in [0, 1). */
static inline double unif(uint64_t *st) {
    return (double)(rnd(st) >> 11) * 0x1p-53;
}

/* Choose a query item for a new walk: the fixed one (multi-hit), or one drawn by weight from
 * the query alias table (one draw, one read). */
static inline uint32_t pick_q(run *rn, walker *w) {
    if (rn->fixed_q != PT__NOIDX) {
        return rn->fixed_q;
    }
    uint64_t x = rnd(&w->rng);
    const pt__alias *e = &rn->qalias[below(x, rn->n_q)];
    return coin(x) < e->p ? e->a : e->b;
}

/* Fill the alias table of the query distribution s->qi / s->qw (Vose's method; s->qcum,
 * s->tq and s->cand serve as scratch, none of them in use while a linear run samples). */
static void query_alias(pt_rec_scratch *s) {
    uint32_t n = s->n_q, ns = 0, nl = 0;
    double tot = 0.0, *qv = s->qcum;
    uint32_t *sm = s->tq, *lg = s->cand;
    for (uint32_t j = 0; j < n; j++) {
        tot += s->qw[j];
    }
    for (uint32_t j = 0; j < n; j++) {
        qv[j] = s->qw[j] * (double)n / tot;
        s->qalias[j] = (pt__alias){s->qi[j], s->qi[j], 1.0f};
        if (qv[j] < 1.0) {
            sm[ns++] = j;
        } else {
            lg[nl++] = j;
        }
    }
    while (ns > 0 && nl > 0) {
        uint32_t a = sm[--ns], l = lg[nl - 1];
        s->qalias[a].p = (float)qv[a];
        s->qalias[a].b = s->qi[l];
        qv[l] -= 1.0 - qv[a];
        if (qv[l] < 1.0) {
            nl--;
            sm[ns++] = l;
        }
    }
}

/* Start a new walk for `w` from a query item; the next stage reads the item's header. */
static void restart(run *rn, walker *w) {
    w->q = pick_q(rn, w);
    w->cur = w->q;
    w->depth = 0;
    w->nvia = 0;
    w->nmid = 0;
    w->last = PT__NOIDX;
    w->imp = 1.0;
    w->stage = S_ITEM;
    rn->segs++;
    __builtin_prefetch(&rn->r->irow[w->cur]);
}

/* Append node `x` of kind `kind` to the walker's current item hop. */
static inline void push_via(walker *w, uint32_t x, uint8_t kind) {
    w->mid[w->nmid++] = x;
    w->mkind = kind;
}

/* Append the hit of item `it` reached from query item q over the hop mid[0..nmid) of kind
 * `kind`, after the walk's previous hit `prev` (PT__NOIDX at the walk's first hop) whose path
 * had nvia0 nodes between q and its item. Returns its log index, or PT__NOIDX when the path is
 * too long to explain or the log is full (it was reserved by pt__walk_sample, so a full log
 * means the reservation failed). */
static inline uint32_t record_hit(pt_rec_scratch *s, uint32_t it, uint32_t q, uint32_t prev,
                                  uint32_t nvia0, const uint32_t *mid, uint32_t nmid,
                                  uint8_t kind) {
    uint32_t nvia = prev == PT__NOIDX ? nmid : nvia0 + 1 + nmid;
    if (nvia > PT__MAX_VIA || s->n_hits >= s->hits_cap) {
        return PT__NOIDX;
    }
    pt__hit *h = &s->hits[s->n_hits];
    h->item = it;
    h->q = q;
    h->prev = prev;
    h->mid[0] = mid[0];
    h->mid[1] = nmid > 1 ? mid[1] : PT__NOIDX;
    h->nmid = (uint8_t)nmid;
    h->kind = kind;
    h->nvia = (uint8_t)nvia;
    return (uint32_t)s->n_hits++;
}

void pt__walk_hit_path(const pt__hit *log, uint32_t h, pt__wpath *out) {
    const pt__hit *x = &log[h];
    uint32_t chain[PT__MAX_VIA], n = 0;
    out->item = x->item;
    out->q = x->q;
    out->nvia = x->nvia;
    for (uint32_t c = h; c != PT__NOIDX && n < PT__MAX_VIA; c = log[c].prev) {
        chain[n++] = c;
    }
    uint32_t j = 0;
    while (n > 0) {
        const pt__hit *y = &log[chain[--n]];
        for (uint32_t m = 0; m < y->nmid && j < PT__MAX_VIA; m++) {
            out->vk[j] = y->kind;
            out->via[j++] = y->mid[m];
        }
        if (n > 0 && j < PT__MAX_VIA) {
            out->vk[j] = 'i';
            out->via[j++] = y->item;
        }
    }
}

/* Count a visit of item `it` by walker `w`, record it for explanations, then restart or
 * continue from `it` (the random bits for that are in w->k, see to_visit). */
static void visit(run *rn, walker *w, uint32_t it) {
    pt_rec_scratch *s = rn->s;
    if (rn->acc[it] == 0.0) {
        rn->acc_list[(*rn->acc_n)++] = it;
    }
    rn->acc[it] += w->imp;
    uint32_t c = ++s->count[it];
    if (c == rn->r->p.n_v && rn->r->p.n_p > 0 && ++rn->n_high >= rn->r->p.n_p) {
        rn->stop = 1;
        s->stats.early_stopped = 1;
    }
    uint32_t nvia = w->depth == 0 ? w->nmid : w->nvia + 1u + w->nmid;
    if (rn->record && (w->depth == 0 || w->last != PT__NOIDX)) {
        w->last = record_hit(s, it, w->q, w->depth == 0 ? PT__NOIDX : w->last, w->nvia, w->mid,
                             w->nmid, w->mkind);
    } else {
        w->last = PT__NOIDX;
    }
    if ((uint64_t)w->k < rn->restart_thr || w->depth >= 63) {
        restart(rn, w);
        return;
    }
    w->depth++;
    w->nvia = (uint8_t)(nvia < 255 ? nvia : 255);
    w->nmid = 0;
    w->cur = it;
    w->stage = S_ITEM;
    __builtin_prefetch(&rn->r->irow[it]);
}

/* Walker `w` reached item `it`: prefetch what counting the visit and the next hop touch, and
 * count it at its next turn; `bits` are 32 fresh random bits for the restart decision. */
static inline void to_visit(run *rn, walker *w, uint32_t it, uint32_t bits) {
    w->cur = it;
    w->k = bits; /* decides the restart at the visit */
    w->stage = S_VISIT;
    __builtin_prefetch(&rn->acc[it], 1);
    __builtin_prefetch(&rn->s->count[it], 1);
    __builtin_prefetch(&rn->r->irow[it]);
}

/* Stage S_ITEM: choose the next hop from item w->cur by the meta-path weights of the hops the
 * item has, and prefetch the entry to read. A dead end (no hop) restarts the walk. */
static void at_item(run *rn, walker *w) {
    const pt_recommender *r = rn->r;
    const pt__irow *ir = &r->irow[w->cur];
    uint32_t n_u = ir->end - ir->off;
    uint64_t x = rnd(&w->rng);
    int hop = PT__HOP_CB;
    if (r->has_meta) {
        double hw[4] = {n_u > 0 ? r->hop_w[PT__HOP_CB] : 0.0,
                        ir->n_tag > 0 ? r->hop_w[PT__HOP_TAG] : 0.0,
                        ir->n_cat > 0 ? r->hop_w[PT__HOP_CAT] : 0.0,
                        ir->n_brand > 0 ? r->hop_w[PT__HOP_BRAND] : 0.0};
        double tot = hw[0] + hw[1] + hw[2] + hw[3];
        if (!(tot > 0.0)) {
            rn->steps++;
            restart(rn, w);
            return;
        }
        double y = unif(&w->rng) * tot;
        hop = 0;
        while (hop < 3 && y >= hw[hop]) {
            y -= hw[hop];
            hop++;
        }
        if (hw[hop] == 0.0) {
            hop = PT__HOP_CB; /* rounding at the top end: fall back to a hop that exists */
            while (hw[hop] == 0.0) {
                hop++;
            }
        }
    } else if (n_u == 0) {
        rn->steps++;
        restart(rn, w);
        return;
    }
    w->hop = (uint8_t)hop;
    if (hop == PT__HOP_CB) {
        w->k = ir->off + below(x, n_u);
        if (w->depth == 0) {
            w->imp *= ir->c; /* see the note on importance weights in the file header */
        }
        w->stage = S_IEDGE;
        __builtin_prefetch(&r->i_alias[w->k]);
        return;
    }
    uint32_t base = ir->f_off, n = ir->n_tag;
    if (hop == PT__HOP_CAT) {
        base += ir->n_tag;
        n = ir->n_cat;
    } else if (hop == PT__HOP_BRAND) {
        base += ir->n_tag + ir->n_cat;
        n = ir->n_brand;
    }
    w->k = base + below(x, n);
    w->stage = S_IFEAT;
    __builtin_prefetch(&r->if_feat[w->k]);
}

/* Run one stage of walker `w`. */
static void step(run *rn, walker *w) {
    const pt_recommender *r = rn->r;
    switch (w->stage) {
    case S_ITEM:
        at_item(rn, w);
        break;
    case S_IEDGE: {
        const pt__alias *e = &r->i_alias[w->k];
        uint32_t v = coin(rnd(&w->rng)) < e->p ? e->a : e->b;
        rn->steps++;
        push_via(w, v, 'u');
        w->cur = v;
        w->stage = S_USER;
        __builtin_prefetch(&r->urow[v]);
        break;
    }
    case S_USER: {
        const pt__urow *ur = &r->urow[w->cur];
        w->k = ur->off + below(rnd(&w->rng), ur->end - ur->off);
        if (w->depth == 0) {
            w->imp *= ur->c;
        }
        w->stage = S_UEDGE;
        __builtin_prefetch(&r->u_alias[w->k]);
        break;
    }
    case S_UEDGE: {
        const pt__alias *e = &r->u_alias[w->k];
        uint64_t x = rnd(&w->rng);
        uint32_t it = coin(x) < e->p ? e->a : e->b;
        rn->steps++;
        to_visit(rn, w, it, (uint32_t)(x >> 32));
        break;
    }
    case S_IFEAT: {
        uint32_t f = r->if_feat[w->k];
        rn->steps++;
        push_via(w, f, 'f');
        w->cur = f;
        w->stage = S_FEAT;
        __builtin_prefetch(&r->frow[f]);
        break;
    }
    case S_FEAT: {
        const pt__frow *fr = &r->frow[w->cur];
        uint64_t x = rnd(&w->rng);
        if (w->hop == PT__HOP_CAT && fr->parent != PT__NOIDX && coin(x) < r->p.category_up) {
            rn->steps++;
            push_via(w, fr->parent, 'f');
            w->cur = fr->parent;
            w->stage = S_UP;
            __builtin_prefetch(&r->frow[fr->parent]);
            break;
        }
        uint32_t n = fr[1].off - fr->off;
        w->k = fr->off + below(x, n); /* n >= 1: the item we came from is in the row */
        w->stage = S_FEDGE;
        __builtin_prefetch(&r->fi_item[w->k]);
        break;
    }
    case S_FEDGE:
        rn->steps++;
        to_visit(rn, w, r->fi_item[w->k], (uint32_t)(rnd(&w->rng) >> 32));
        break;
    case S_UP: {
        const pt__frow *fr = &r->frow[w->cur];
        w->k = fr->sub_off + below(rnd(&w->rng), fr[1].sub_off - fr->sub_off);
        w->stage = S_SUBEDGE;
        __builtin_prefetch(&r->sub_item[w->k]);
        break;
    }
    case S_SUBEDGE:
        rn->steps += 2; /* parent -> child category -> item */
        to_visit(rn, w, r->sub_item[w->k], (uint32_t)(rnd(&w->rng) >> 32));
        break;
    case S_VISIT:
        /* The next item's header was prefetched with the visit counters (or it is a query
         * item, hot in cache): choose its hop in the same turn. */
        visit(rn, w, w->cur);
        if (w->stage == S_ITEM) {
            at_item(rn, w);
        }
        break;
    default:
        restart(rn, w);
        break;
    }
}

/* Run r->walkers interleaved walkers until the run's budget is spent or it stops early.
 * Walker j of the run is seeded from (seed, j), so the run is deterministic. */
static void walk_batch(run *rn, uint64_t seed) {
    walker ws[PT__MAX_WALKERS];
    int nw = rn->r->walkers;
    for (int j = 0; j < nw; j++) {
        ws[j].rng = mix(seed ^ mix((uint64_t)j + 1));
        restart(rn, &ws[j]);
    }
    while (rn->steps < rn->budget && !rn->stop) {
        for (int j = 0; j < nw; j++) {
            step(rn, &ws[j]);
        }
    }
}

/* The co-behaviour walker: for a recommender without meta-paths (no item features, or all
 * their weights 0) every item hop is item -> user -> item, so the walkers of a run move in
 * lockstep through the same five stages, each a plain loop over the walkers: read the item's
 * header and draw an entry of its row (prefetching it), take the entry's user (prefetching its
 * header), draw an entry of the user's row, take the entry's item (prefetching its counters),
 * count the visit. No stage dispatch per walker, so no mispredicted indirect jumps, and two
 * random numbers per hop instead of four: x1 gives the row position (high 32 bits) and the
 * alias coin (low 24) of the item -> user step, x2 the same for user -> item, and bits 24..31
 * of both make the 16-bit restart decision (probability floor(restart * 2^16) / 2^16).
 * Every visit costs two steps, as in walk_batch; the visit weights, importance weights and
 * recorded paths mean exactly what they mean there. */
static void walk_cb(run *rn, uint64_t seed) {
    const pt_recommender *r = rn->r;
    const pt__irow *irow = r->irow;
    const pt__urow *urow = r->urow;
    const pt__alias *ia = r->i_alias, *ua = r->u_alias;
    pt_rec_scratch *s = rn->s;
    double *acc = rn->acc;
    uint32_t *count = s->count;
    int nw = r->walkers;
    uint64_t x1[PT__MAX_WALKERS], x2[PT__MAX_WALKERS];
    double imp[PT__MAX_WALKERS];
    uint32_t cur[PT__MAX_WALKERS], k[PT__MAX_WALKERS], q[PT__MAX_WALKERS];
    uint32_t v[PT__MAX_WALKERS], last[PT__MAX_WALKERS];
    uint8_t depth[PT__MAX_WALKERS], nvia[PT__MAX_WALKERS];
    walker w0; /* pick_q's view of a walker: only its generator */
    uint64_t rng[PT__MAX_WALKERS];
    for (int j = 0; j < nw; j++) {
        w0.rng = mix(seed ^ mix((uint64_t)j + 1));
        q[j] = cur[j] = pick_q(rn, &w0);
        rng[j] = w0.rng;
        depth[j] = 0;
        nvia[j] = 0;
        last[j] = PT__NOIDX;
        imp[j] = 1.0;
        rn->segs++;
    }
    const uint32_t thr = rn->restart_thr16, n_v = r->p.n_v, n_p = r->p.n_p;
    while (rn->steps < rn->budget && !rn->stop) {
        uint64_t dead = 0; /* walkers at an item without users (cannot happen from a user's
                              items, but sync'd rows are checked rather than trusted) */
        for (int j = 0; j < nw; j++) {
            const pt__irow *ir = &irow[cur[j]];
            uint32_t n = ir->end - ir->off;
            uint64_t x = rnd(&rng[j]);
            if (__builtin_expect(n == 0, 0)) {
                dead |= 1ull << j;
                k[j] = 0;
                continue;
            }
            x1[j] = x;
            k[j] = ir->off + below(x, n);
            if (depth[j] == 0) {
                imp[j] *= ir->c;
            }
            __builtin_prefetch(&ia[k[j]]);
        }
        for (int j = 0; j < nw; j++) {
            if (__builtin_expect((dead >> j) & 1, 0)) {
                continue;
            }
            const pt__alias *e = &ia[k[j]];
            v[j] = coin(x1[j]) < e->p ? e->a : e->b;
            __builtin_prefetch(&urow[v[j]]);
        }
        for (int j = 0; j < nw; j++) {
            if (__builtin_expect((dead >> j) & 1, 0)) {
                continue;
            }
            const pt__urow *ur = &urow[v[j]];
            uint64_t x = rnd(&rng[j]);
            x2[j] = x;
            k[j] = ur->off + below(x, ur->end - ur->off);
            if (depth[j] == 0) {
                imp[j] *= ur->c;
            }
            __builtin_prefetch(&ua[k[j]]);
        }
        for (int j = 0; j < nw; j++) {
            if (__builtin_expect((dead >> j) & 1, 0)) {
                continue;
            }
            const pt__alias *e = &ua[k[j]];
            uint32_t it = coin(x2[j]) < e->p ? e->a : e->b;
            k[j] = it;
            __builtin_prefetch(&acc[it], 1);
            __builtin_prefetch(&count[it], 1);
            __builtin_prefetch(&irow[it]);
        }
        for (int j = 0; j < nw; j++) {
            if (__builtin_expect((dead >> j) & 1, 0)) {
                rn->steps++;
            } else {
                uint32_t it = k[j];
                rn->steps += 2;
                if (acc[it] == 0.0) {
                    rn->acc_list[(*rn->acc_n)++] = it;
                }
                acc[it] += imp[j];
                uint32_t c = ++count[it];
                if (c == n_v && n_p > 0 && ++rn->n_high >= n_p) {
                    rn->stop = 1;
                    s->stats.early_stopped = 1;
                }
                if (rn->record && (depth[j] == 0 || last[j] != PT__NOIDX)) {
                    last[j] = record_hit(s, it, q[j], depth[j] == 0 ? PT__NOIDX : last[j],
                                         nvia[j], &v[j], 1, 'u');
                } else {
                    last[j] = PT__NOIDX;
                }
                uint32_t bits = (uint32_t)((x1[j] >> 24) & 0xFF) << 8 |
                                (uint32_t)((x2[j] >> 24) & 0xFF);
                if (bits >= thr && depth[j] < 63) {
                    nvia[j] = depth[j] == 0 ? 1 : (uint8_t)(nvia[j] < 250 ? nvia[j] + 2 : 252);
                    depth[j]++;
                    cur[j] = it;
                    continue;
                }
            }
            w0.rng = rng[j];
            q[j] = cur[j] = pick_q(rn, &w0);
            rng[j] = w0.rng;
            depth[j] = 0;
            nvia[j] = 0;
            last[j] = PT__NOIDX;
            imp[j] = 1.0;
            rn->segs++;
        }
    }
}

/* Run the walkers of `rn` from `seed`: the co-behaviour walker when every hop is one. */
static void walk_run(run *rn, uint64_t seed) {
    if (rn->r->has_meta) {
        walk_batch(rn, seed);
    } else {
        walk_cb(rn, seed);
    }
}

/* Make room in s's hit log for the visits of a `steps` budget (each visit costs at least two
 * steps; up to 2^20 hits, later ones are not recorded). PT_OK or PT_ENOMEM. */
static int reserve_hits(pt_rec_scratch *s, uint64_t steps) {
    uint64_t need = steps / 2 + 4 * PT__MAX_WALKERS;
    if (need > (1u << 20)) {
        need = 1u << 20;
    }
    if (need <= s->hits_cap) {
        return PT_OK;
    }
    pt__hit *nh = pt__realloc(s->ctx, s->hits, (size_t)need * sizeof *nh);
    if (nh == NULL) {
        return PT_ENOMEM;
    }
    s->hits = nh;
    s->hits_cap = (size_t)need;
    return PT_OK;
}

/* Fold the per-query-item visit weights of a multi-hit run into s->score as
 * sqrt(w_q * V_q / walks) (squared at the end), and clear them. */
static void fold_multi(pt_rec_scratch *s, double wq, uint64_t segs) {
    double scale = segs > 0 ? wq / (double)segs : 0.0;
    for (uint32_t j = 0; j < s->n_tq; j++) {
        uint32_t it = s->tq[j];
        double x = sqrt(s->vq[it] * scale);
        if (x > 0.0) {
            pt__walk_add(s, it, x);
        } else {
            s->count[it] = 0; /* never reaches the touched list, so clear it here */
        }
        s->vq[it] = 0.0;
    }
    s->n_tq = 0;
}

/* Budgets from this size up are walked in two lanes: two independent runs of half the budget
 * each, seeded (seed) and (seed ^ LANE_SEED), whose visits add up. On two cores the second lane
 * runs on a thread of its own, halving a query's wall time, unless the query's thread finishes
 * its own lane before that thread has started (a busy machine): then it walks the second lane
 * itself (lane_job). A batch worker (already one thread of many) or a failed thread start runs
 * both lanes in turn. Who walks a lane never changes its result. The split does not depend on the
 * machine, so a seed gives the same results everywhere. Early stopping (n_p) needs one run's
 * counts, so it keeps one lane. */
#define LANE_MIN_STEPS 20000u
#define LANE_SEED 0x6C616E6532ULL

/* The second lane of a query: its run and seed, who takes it (claimed: 0 free, 1 taken,
 * changed atomically) and the thread started for it. Whichever of the query's thread (after
 * its own lane) and the started thread claims the lane first walks it, so a query never waits
 * for a thread that has not been scheduled yet; the result is the same either way. A thread
 * that lost the claim exits at once and is joined at the next query (or scratch release),
 * before the job is reused. Lives in the scratch (s->lane_job). */
typedef struct lane_job {
    run r2;
    uint64_t seed;
    int claimed;
    int pending; /* a thread was started and not joined yet */
    pthread_t tid;
} lane_job;

/* Try to take the lane: 1 when this caller got it. */
static int lane_claim(lane_job *j) {
    int expect = 0;
    return __atomic_compare_exchange_n(&j->claimed, &expect, 1, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* Thread body: walk the second lane unless the query's thread took it. */
static void *lane_thread(void *arg) {
    lane_job *j = arg;
    if (lane_claim(j)) {
        walk_run(&j->r2, j->seed);
    }
    return NULL;
}

/* Join the thread of the last second lane if it has not been joined. */
static void lane_reap(lane_job *j) {
    if (j != NULL && j->pending) {
        pthread_join(j->tid, NULL);
        j->pending = 0;
    }
}

void pt__walk_lane_free(pt_rec_scratch *s) {
    lane_job *j = s->lane_job;
    lane_reap(j);
    pt__free(s->ctx, j);
    s->lane_job = NULL;
}

/* Walk `steps` in two lanes into rn (the first lane's run, set up by the caller) and fold the
 * second lane's visits, counts and recorded hits into it. PT_OK or PT_ENOMEM. */
static int two_lanes(run *rn, uint64_t seed, uint64_t steps) {
    pt_rec_scratch *s = rn->s;
    if (s->lane == NULL) {
        if (pt_rec_scratch_new((pt_recommender *)rn->r, &s->lane) != PT_OK) {
            return PT_ENOMEM;
        }
        s->lane->no_threads = 1;
    }
    pt_rec_scratch *l = s->lane;
    l->n_hits = 0;
    if (rn->record && reserve_hits(l, steps / 2) != PT_OK) {
        return PT_ENOMEM;
    }
    lane_job *job = s->lane_job;
    lane_reap(job);
    if (job == NULL) {
        job = pt__calloc(s->ctx, 1, sizeof *job);
        if (job == NULL) {
            return PT_ENOMEM;
        }
        s->lane_job = job;
    }
    job->r2 = *rn;
    job->r2.s = l;
    job->r2.acc = l->score;
    job->r2.acc_list = l->touched;
    job->r2.acc_n = &l->n_touched;
    job->r2.budget = steps / 2;
    job->seed = mix(seed ^ LANE_SEED);
    job->claimed = 0;
    job->pending = 0;
    rn->budget = steps - steps / 2;
    if (!s->no_threads && rn->r->p.threads != 1) {
        job->pending = pthread_create(&job->tid, NULL, lane_thread, job) == 0;
    }
    walk_run(rn, mix(seed));
    if (lane_claim(job)) {
        walk_run(&job->r2, job->seed); /* no thread, or it has not started yet: walk it here */
    } else {
        pthread_join(job->tid, NULL); /* the thread is walking it: wait */
        job->pending = 0;
    }
    run r2 = job->r2;
    /* Fold lane 2 into lane 1: visit weights and counts add, hits follow lane 1's. */
    for (uint32_t j = 0; j < l->n_touched; j++) {
        uint32_t it = l->touched[j];
        if (s->score[it] == 0.0) {
            s->touched[s->n_touched++] = it;
        }
        s->score[it] += l->score[it];
        s->count[it] += l->count[it];
        l->score[it] = 0.0;
        l->count[it] = 0;
    }
    l->n_touched = 0;
    /* The second lane's hits stay in its own log (l->hits), which explanations read after
     * the first lane's. */
    rn->steps += r2.steps;
    rn->segs += r2.segs;
    rn->budget = steps;
    return PT_OK;
}

int pt__walk_sample(pt_rec_scratch *s, uint64_t steps, uint64_t seed, int record) {
    const pt_recommender *r = s->r;
    run rn;
    memset(&rn, 0, sizeof rn);
    rn.s = s;
    rn.r = r;
    rn.record = record;
    rn.n_q = s->n_q;
    rn.restart_thr = (uint64_t)(r->p.restart * 4294967296.0);
    rn.restart_thr16 = (uint32_t)(r->p.restart * 65536.0);
    if (s->lane != NULL) {
        s->lane->n_hits = 0;
    }
    if (s->n_q == 0) {
        return PT_OK;
    }
    if (record && reserve_hits(s, steps) != PT_OK) {
        return PT_ENOMEM;
    }
    double tot = 0.0;
    for (uint32_t j = 0; j < s->n_q; j++) {
        tot += s->qw[j];
    }
    if (!r->p.multi_hit) {
        /* One run: walks start at q drawn by weight; the visit weight estimates
         * sum_q w_q P(q -> item) with importance factor tot. */
        query_alias(s);
        rn.qalias = s->qalias;
        rn.fixed_q = PT__NOIDX;
        rn.acc = s->score;
        rn.acc_list = s->touched;
        rn.acc_n = &s->n_touched;
        rn.budget = steps;
        if (steps >= LANE_MIN_STEPS && r->p.n_p == 0) {
            int rc = two_lanes(&rn, seed, steps);
            if (rc != PT_OK) {
                return rc;
            }
        } else {
            walk_run(&rn, mix(seed));
        }
        double scale = rn.segs > 0 ? tot / (double)rn.segs : 0.0;
        for (uint32_t j = 0; j < s->n_touched; j++) {
            s->score[s->touched[j]] *= scale;
        }
        s->stats.steps = rn.steps;
        return PT_OK;
    }
    /* Multi-hit: each query item q, heaviest first (s->qi is sorted so by the caller), walks
     * its share of the budget (at least one batch's worth) into its own visit weights. */
    uint64_t used = 0;
    for (uint32_t j = 0; j < s->n_q && !rn.stop && used < steps; j++) {
        uint64_t share = (uint64_t)((double)steps * s->qw[j] / tot);
        if (share < 4 * WALKERS) {
            share = 4 * WALKERS;
        }
        rn.fixed_q = s->qi[j];
        rn.acc = s->vq;
        rn.acc_list = s->tq;
        rn.acc_n = &s->n_tq;
        rn.steps = 0;
        rn.segs = 0;
        rn.budget = share;
        walk_run(&rn, mix(seed ^ mix((uint64_t)s->qi[j] + 0x51ED270B27ULL)));
        used += rn.steps;
        fold_multi(s, s->qw[j], rn.segs);
    }
    for (uint32_t j = 0; j < s->n_touched; j++) {
        uint32_t it = s->touched[j];
        s->score[it] *= s->score[it];
    }
    s->stats.steps = used;
    return PT_OK;
}
