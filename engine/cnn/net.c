/*
 * net.c - a sequential network over the layer library (nn.h): built from an architecture string
 * ("conv32k3 relu pool2 ... dense10"), run forward and backward as one unit, saved to and loaded
 * from a versioned, CRC-checked model file. The image CNN (cnn.c) is its user.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnn/nn.h"

/* ======================================================================= building ======= */

/* Append layer l to net (takes ownership on success). */
static int net_push(pt_ctx *ctx, pt__net *net, pt__layer *l) {
    pt__layer **ls = pt__realloc(ctx, net->layers, (net->n_layers + 1) * sizeof *ls);
    if (ls == NULL) {
        pt__layer_free(ctx, l);
        return pt__error(ctx, PT_ENOMEM, "network layers");
    }
    net->layers = ls;
    net->layers[net->n_layers++] = l;
    return PT_OK;
}

/* Parse "<a>" or "<a>x<b>" starting at s into *a, *b (b = a when no x); returns the end or NULL. */
static const char *parse_pair(const char *s, uint32_t *a, uint32_t *b) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || errno != 0 || v > 65535) {
        return NULL;
    }
    *a = *b = (uint32_t)v;
    if (*end == 'x') {
        const char *s2 = end + 1;
        v = strtoul(s2, &end, 10);
        if (end == s2 || v > 65535) {
            return NULL;
        }
        *b = (uint32_t)v;
    }
    return end;
}

/* Build one layer from token tok for the current shape (c, h, w); updates the shape. */
static int build_token(pt_ctx *ctx, pt__net *net, const char *tok, pt__rng *rng, uint32_t *c,
                       uint32_t *h, uint32_t *w, uint64_t *budget) {
    pt__layer *l = NULL;
    int rc;
    const char *e = NULL;
    uint64_t need = 0; /* floats of parameters this token will allocate */
    if (strncmp(tok, "conv", 4) == 0) {
        char *end;
        unsigned long ch = strtoul(tok + 4, &end, 10);
        uint32_t kh, kw, ph = 0, pw = 0;
        if (end == tok + 4 || *end != 'k' || ch == 0 || ch > 65535 ||
            (e = parse_pair(end + 1, &kh, &kw)) == NULL ||
            (*e == 'p' && (e = parse_pair(e + 1, &ph, &pw)) == NULL) || *e != '\0') {
            return pt__error(ctx, PT_EINVAL, "architecture: bad token '%s' (conv<C>k<K>[p<P>])",
                             tok);
        }
        need = (uint64_t)ch * *c * kh * kw + ch;
        if (need > *budget) {
            return pt__error(ctx, PT_ELIMIT, "architecture: '%s' has too many parameters", tok);
        }
        rc = pt__conv2d_new(ctx, &net->params, rng, *c, (uint32_t)ch, kh, kw, ph, pw, &l);
    } else if (strncmp(tok, "dense", 5) == 0) {
        char *end;
        unsigned long nf = strtoul(tok + 5, &end, 10);
        if (end == tok + 5 || *end != '\0' || nf == 0 || nf > (1u << 24)) {
            return pt__error(ctx, PT_EINVAL, "architecture: bad token '%s' (dense<N>)", tok);
        }
        uint64_t in_f = (uint64_t)*c * *h * *w;
        need = in_f * nf + nf;
        if (in_f > (1u << 24) || need > *budget) {
            return pt__error(ctx, PT_ELIMIT, "architecture: '%s' has too many parameters", tok);
        }
        net->embed_layer = net->n_layers;
        rc = pt__dense_new(ctx, &net->params, rng, (uint32_t)in_f, (uint32_t)nf, &l);
    } else if (strcmp(tok, "relu") == 0) {
        rc = pt__relu_new(ctx, &l);
    } else if (strcmp(tok, "tanh") == 0) {
        rc = pt__tanh_new(ctx, &l);
    } else if (strcmp(tok, "bn") == 0) {
        need = 4 * (uint64_t)*c;
        if (need > *budget) {
            return pt__error(ctx, PT_ELIMIT, "architecture: '%s' has too many parameters", tok);
        }
        rc = pt__batchnorm_new(ctx, &net->params, *c, &l);
    } else if (strcmp(tok, "gmax") == 0) {
        rc = pt__maxpool_new(ctx, 0, 0, &l);
    } else if (strcmp(tok, "gavg") == 0) {
        rc = pt__avgpool_new(ctx, 0, 0, &l);
    } else if (strncmp(tok, "avg", 3) == 0) {
        uint32_t ph, pw;
        if ((e = parse_pair(tok + 3, &ph, &pw)) == NULL || *e != '\0' || ph == 0 || pw == 0) {
            return pt__error(ctx, PT_EINVAL, "architecture: bad token '%s' (avg<K>)", tok);
        }
        rc = pt__avgpool_new(ctx, ph, pw, &l);
    } else if (strncmp(tok, "pool", 4) == 0) {
        uint32_t ph, pw;
        if ((e = parse_pair(tok + 4, &ph, &pw)) == NULL || *e != '\0' || ph == 0 || pw == 0) {
            return pt__error(ctx, PT_EINVAL, "architecture: bad token '%s' (pool<K>)", tok);
        }
        rc = pt__maxpool_new(ctx, ph, pw, &l);
    } else if (strncmp(tok, "drop", 4) == 0) {
        char *end;
        double p = strtod(tok + 4, &end);
        if (end == tok + 4 || *end != '\0') {
            return pt__error(ctx, PT_EINVAL, "architecture: bad token '%s' (drop<P>)", tok);
        }
        rc = pt__dropout_new(ctx, (float)p, &l);
    } else {
        return pt__error(ctx, PT_EINVAL, "architecture: unknown layer '%s'", tok);
    }
    if (rc != PT_OK) {
        return pt__error_prefix(ctx, "architecture token '%s'", tok);
    }
    rc = pt__layer_out_shape(ctx, l, *c, *h, *w, c, h, w);
    if (rc != PT_OK) {
        pt__layer_free(ctx, l);
        return pt__error_prefix(ctx, "architecture token '%s'", tok);
    }
    *budget -= need;
    return net_push(ctx, net, l);
}

/* Build a net whose parameters total at most `budget` floats (PT_ELIMIT otherwise, before
 * anything big is allocated): the model reader passes the file's size, so a forged
 * architecture cannot make it allocate more than the file could fill. */
static int net_new_limited(pt_ctx *ctx, const char *arch, uint32_t in_c, uint32_t in_h,
                           uint32_t in_w, uint64_t seed, uint64_t budget, pt__net **out) {
    int rc = PT_OK;
    char *copy = NULL;
    *out = NULL;
    pt__net *net = pt__calloc(ctx, 1, sizeof *net);
    if (net == NULL) {
        return pt__error(ctx, PT_ENOMEM, "network");
    }
    pt__params_init(&net->params, ctx);
    net->in_c = in_c;
    net->in_h = in_h;
    net->in_w = in_w;
    net->embed_layer = (size_t)-1;
    net->arch = pt__strdup(ctx, arch);
    copy = pt__strdup(ctx, arch);
    if (net->arch == NULL || copy == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "network");
        goto done;
    }
    pt__rng rng;
    pt__rng_seed(&rng, seed);
    uint32_t c = in_c, h = in_h, w = in_w;
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t\n-", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\n-", &save)) {
        PT_TRY(build_token(ctx, net, tok, &rng, &c, &h, &w, &budget));
    }
    if (net->n_layers == 0 || net->layers[net->n_layers - 1]->kind != PT__L_DENSE) {
        rc = pt__error(ctx, PT_EINVAL, "architecture '%s': must end with a dense layer", arch);
        goto done;
    }
    net->out_dim = c;
done:
    pt__free(ctx, copy);
    if (rc != PT_OK) {
        pt__net_free(ctx, net);
        return rc;
    }
    *out = net;
    return PT_OK;
}

int pt__net_new(pt_ctx *ctx, const char *arch, uint32_t in_c, uint32_t in_h, uint32_t in_w,
                uint64_t seed, pt__net **out) {
    return net_new_limited(ctx, arch, in_c, in_h, in_w, seed, (uint64_t)1 << 30, out);
}

void pt__net_free(pt_ctx *ctx, pt__net *net) {
    if (net == NULL) {
        return;
    }
    for (size_t i = 0; i < net->n_layers; i++) {
        pt__layer_free(ctx, net->layers[i]);
    }
    pt__free(ctx, net->layers);
    pt__params_free(&net->params);
    pt__free(ctx, net->arch);
    pt__free(ctx, net);
}

/* ======================================================================= running ======== */

int pt__net_forward(pt_ctx *ctx, pt__net *net, const pt__tensor *x, int train, pt__rng *rng,
                    const pt__tensor **logits) {
    *logits = NULL;
    if (x->c != net->in_c || x->h != net->in_h || x->w != net->in_w) {
        return pt__error(ctx, PT_EINVAL, "input is %ux%ux%u, the network expects %ux%ux%u", x->c,
                         x->h, x->w, net->in_c, net->in_h, net->in_w);
    }
    const pt__tensor *cur = x;
    for (size_t i = 0; i < net->n_layers; i++) {
        if (i == net->embed_layer) {
            net->embed_out = cur;
        }
        int rc = pt__layer_forward(ctx, net->layers[i], cur, train, rng, &cur);
        if (rc != PT_OK) {
            return rc;
        }
    }
    *logits = cur;
    return PT_OK;
}

int pt__net_backward(pt_ctx *ctx, pt__net *net, const pt__tensor *dlogits) {
    const pt__tensor *d = dlogits;
    for (size_t i = net->n_layers; i-- > 0;) {
        int rc = pt__layer_backward(ctx, net->layers[i], d, i > 0, &d);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

/* ======================================================================= model file ===== */

static const char MAGIC[8] = {'P', 'T', 'C', 'N', 'N', 'M', 'D', 'L'};

/* Write n bytes or record a failure in *ok. */
static void put(FILE *f, const void *p, size_t n, uint32_t *crc, int *ok) {
    if (*ok && fwrite(p, 1, n, f) != n) {
        *ok = 0;
    }
    *crc = pt__crc32(*crc, p, n);
}

int pt__net_save(pt_ctx *ctx, const pt__net *net, const char *meta, const char *path) {
    char head[1024];
    int hl = snprintf(head, sizeof head, "arch=%s\ninput=%u %u %u\n", net->arch, net->in_c,
                      net->in_h, net->in_w);
    if (hl < 0 || (size_t)hl >= sizeof head) {
        return pt__error(ctx, PT_EINVAL, "%s: architecture string too long", path);
    }
    size_t ml = meta ? strlen(meta) : 0;
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return pt__error(ctx, PT_EIO, "%s: %s", path, strerror(errno));
    }
    uint32_t crc = 0, u;
    int ok = 1;
    put(f, MAGIC, 8, &crc, &ok);
    u = PT__NN_MODEL_VERSION;
    put(f, &u, 4, &crc, &ok);
    u = (uint32_t)((size_t)hl + ml);
    put(f, &u, 4, &crc, &ok);
    put(f, head, (size_t)hl, &crc, &ok);
    if (ml) {
        put(f, meta, ml, &crc, &ok);
    }
    u = (uint32_t)net->params.n;
    put(f, &u, 4, &crc, &ok);
    for (size_t i = 0; i < net->params.n; i++) {
        const pt__param *p = net->params.items[i];
        uint8_t nl = (uint8_t)strlen(p->name);
        uint64_t cnt = p->n;
        put(f, &nl, 1, &crc, &ok);
        put(f, p->name, nl, &crc, &ok);
        put(f, &cnt, 8, &crc, &ok);
        put(f, p->w, p->n * sizeof(float), &crc, &ok);
    }
    uint32_t final = crc;
    put(f, &final, 4, &crc, &ok);
    if (fclose(f) != 0) {
        ok = 0;
    }
    if (!ok) {
        return pt__error(ctx, PT_EIO, "%s: write failed: %s", path, strerror(errno));
    }
    return PT_OK;
}

/* A bounded reader over the file's bytes. */
typedef struct rd {
    const uint8_t *p, *end;
} rd;

static int take(rd *r, void *dst, size_t n) {
    if ((size_t)(r->end - r->p) < n) {
        return 0;
    }
    memcpy(dst, r->p, n);
    r->p += n;
    return 1;
}

/* Read the whole file into *buf (owned by the caller) and its size into *len. */
static int slurp(pt_ctx *ctx, const char *path, uint8_t **buf, size_t *len) {
    *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return pt__error(ctx, errno == ENOENT ? PT_ENOTFOUND : PT_EIO, "%s: %s", path,
                         strerror(errno));
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = pt__malloc(ctx, cap);
    while (b != NULL) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            break;
        }
        if (cap > ((size_t)1 << 32)) {
            fclose(f);
            pt__free(ctx, b);
            return pt__error(ctx, PT_ELIMIT, "%s: model file larger than 4 GiB", path);
        }
        uint8_t *nb = pt__realloc(ctx, b, cap * 2);
        if (nb == NULL) {
            pt__free(ctx, b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (b == NULL) {
        return pt__error(ctx, PT_ENOMEM, "%s: reading the model", path);
    }
    if (err) {
        pt__free(ctx, b);
        return pt__error(ctx, PT_EIO, "%s: read error", path);
    }
    *buf = b;
    *len = n;
    return PT_OK;
}

int pt__net_load(pt_ctx *ctx, const char *path, pt__net **out, char **meta) {
    uint8_t *buf = NULL;
    size_t len = 0;
    char *head = NULL;
    pt__net *net = NULL;
    int rc;
    *out = NULL;
    if (meta != NULL) {
        *meta = NULL;
    }
    if ((rc = slurp(ctx, path, &buf, &len)) != PT_OK) {
        return rc;
    }
    if (len < 8 || memcmp(buf, MAGIC, 8) != 0) {
        rc = pt__error(ctx, PT_EPARSE, "%s: not a Portrait CNN model file (bad magic)", path);
        goto done;
    }
    rd r = {buf + 8, buf + len};
    uint32_t version, hl, np;
    if (!take(&r, &version, 4)) {
        rc = pt__error(ctx, PT_EPARSE, "%s: truncated model file (no version)", path);
        goto done;
    }
    if (version != PT__NN_MODEL_VERSION) {
        rc = pt__error(ctx, PT_EPARSE, "%s: model file version %u, this build reads version %u",
                       path, version, PT__NN_MODEL_VERSION);
        goto done;
    }
    if (len < 8 + 4 + 4 + 4 + 4) {
        rc = pt__error(ctx, PT_EPARSE, "%s: truncated model file (%zu bytes)", path, len);
        goto done;
    }
    uint32_t stored;
    memcpy(&stored, buf + len - 4, 4);
    if (pt__crc32(0, buf, len - 4) != stored) {
        rc = pt__error(ctx, PT_EPARSE, "%s: model file is corrupt or truncated (CRC mismatch)",
                       path);
        goto done;
    }
    r.end = buf + len - 4;
    if (!take(&r, &hl, 4) || (size_t)(r.end - r.p) < hl) {
        rc = pt__error(ctx, PT_EPARSE, "%s: truncated header", path);
        goto done;
    }
    head = pt__strndup(ctx, (const char *)r.p, hl);
    if (head == NULL) {
        rc = pt__error(ctx, PT_ENOMEM, "model header");
        goto done;
    }
    r.p += hl;
    /* header: arch=...\ninput=C H W\n then the caller's lines */
    char *arch = strstr(head, "arch=");
    char *inp = strstr(head, "\ninput=");
    unsigned c, h, w;
    if (arch != head || inp == NULL || sscanf(inp + 7, "%u %u %u", &c, &h, &w) != 3 || c == 0 ||
        h == 0 || w == 0 || c > 64 || h > 4096 || w > 4096) {
        rc = pt__error(ctx, PT_EPARSE, "%s: header lacks arch= or input= lines", path);
        goto done;
    }
    *inp = '\0';
    char *rest = strchr(inp + 1, '\n');
    rc = net_new_limited(ctx, arch + 5, c, h, w, 0, len / sizeof(float), &net);
    if (rc != PT_OK) {
        pt__error_prefix(ctx, "%s", path);
        rc = PT_EPARSE;
        goto done;
    }
    if (!take(&r, &np, 4) || np != net->params.n) {
        rc = pt__error(ctx, PT_EPARSE, "%s: parameter count does not match the architecture",
                       path);
        goto done;
    }
    for (uint32_t i = 0; i < np; i++) {
        pt__param *p = net->params.items[i];
        uint8_t nl;
        char name[256];
        uint64_t cnt;
        if (!take(&r, &nl, 1) || !take(&r, name, nl) || !take(&r, &cnt, 8)) {
            rc = pt__error(ctx, PT_EPARSE, "%s: truncated parameter %u", path, i);
            goto done;
        }
        name[nl] = '\0';
        if (strcmp(name, p->name) != 0 || cnt != p->n) {
            rc = pt__error(ctx, PT_EPARSE,
                           "%s: parameter %u is %s[%llu], the architecture wants %s[%zu]", path, i,
                           name, (unsigned long long)cnt, p->name, p->n);
            goto done;
        }
        if (!take(&r, p->w, p->n * sizeof(float))) {
            rc = pt__error(ctx, PT_EPARSE, "%s: truncated values of %s", path, name);
            goto done;
        }
    }
    if (r.p != r.end) {
        rc = pt__error(ctx, PT_EPARSE, "%s: %zu unexpected bytes after the parameters", path,
                       (size_t)(r.end - r.p));
        goto done;
    }
    if (meta != NULL) {
        *meta = pt__strdup(ctx, rest ? rest + 1 : "");
        if (*meta == NULL) {
            rc = pt__error(ctx, PT_ENOMEM, "model metadata");
            goto done;
        }
    }
done:
    pt__free(ctx, buf);
    pt__free(ctx, head);
    if (rc != PT_OK) {
        pt__net_free(ctx, net);
        return rc;
    }
    *out = net;
    return PT_OK;
}
