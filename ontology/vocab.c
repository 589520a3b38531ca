/*
 * vocab.c - Portrait's vocabulary (ontology/portrait.ttl) as tables, and the resolution of node
 * classes and predicate roles at graph build time.
 *
 * Data written in schema.org, GoodRelations or SKOS works without conversion because the tables
 * map those terms onto Portrait's; a shop's own terms map through rdfs:subClassOf /
 * rdfs:subPropertyOf (or owl:equivalent*) statements found anywhere in the imported data, in
 * whichever file, since resolution runs over all triples at once when the graph is finished.
 */
#include <string.h>
#include <strings.h>

#include "ontology/vocab.h"

/* One row: an IRI and the class or role it denotes. The rows mirror portrait.ttl; the vocabulary
 * test parses the .ttl and checks that both say the same. */
typedef struct vocab_row {
    const char *iri;
    int is_class; /* 1: `value` is a pt_class; 0: a pt_role */
    int value;
} vocab_row;

static const vocab_row rows[] = {
    /* classes */
    {PT_USER, 1, PT_CLASS_USER},
    {PT_ITEM, 1, PT_CLASS_ITEM},
    {PT_SCHEMA_NS "Product", 1, PT_CLASS_ITEM},
    {PT_SCHEMA_NS "IndividualProduct", 1, PT_CLASS_ITEM},
    {PT_SCHEMA_NS "ProductModel", 1, PT_CLASS_ITEM},
    {PT_SCHEMA_NS "SomeProducts", 1, PT_CLASS_ITEM},
    {PT_GR_NS "ProductOrService", 1, PT_CLASS_ITEM},
    {PT_GR_NS "ProductOrServiceModel", 1, PT_CLASS_ITEM},
    {PT_GR_NS "SomeItems", 1, PT_CLASS_ITEM},
    {PT_GR_NS "Individual", 1, PT_CLASS_ITEM},
    {PT_TAG, 1, PT_CLASS_TAG},
    {PT_CATEGORY, 1, PT_CLASS_CATEGORY},
    {PT_SKOS_NS "Concept", 1, PT_CLASS_CATEGORY},
    {PT_SCHEMA_NS "CategoryCode", 1, PT_CLASS_CATEGORY},
    {PT_BRAND, 1, PT_CLASS_BRAND},
    {PT_SCHEMA_NS "Brand", 1, PT_CLASS_BRAND},
    {PT_GR_NS "Brand", 1, PT_CLASS_BRAND},
    {PT_EVENT, 1, PT_CLASS_EVENT},
    /* roles */
    {PT_VIEWED, 0, PT_ROLE_VIEWED},
    {PT_CLICKED, 0, PT_ROLE_CLICKED},
    {PT_CARTED, 0, PT_ROLE_CARTED},
    {PT_PURCHASED, 0, PT_ROLE_PURCHASED},
    {PT_RATED, 0, PT_ROLE_RATED},
    {PT_REVIEWED, 0, PT_ROLE_REVIEWED},
    {PT_HAS_TAG, 0, PT_ROLE_HAS_TAG},
    {PT_IN_CATEGORY, 0, PT_ROLE_IN_CATEGORY},
    {PT_SCHEMA_NS "category", 0, PT_ROLE_IN_CATEGORY},
    {PT_BRAND_P, 0, PT_ROLE_BRAND},
    {PT_SCHEMA_NS "brand", 0, PT_ROLE_BRAND},
    {PT_GR_NS "hasBrand", 0, PT_ROLE_BRAND},
    {PT_BROADER, 0, PT_ROLE_BROADER},
    {PT_SKOS_BROADER, 0, PT_ROLE_BROADER},
    {PT_RDF_TYPE, 0, PT_ROLE_TYPE},
};
#define N_ROWS (sizeof rows / sizeof rows[0])

pt_role pt__vocab_iri_role(const char *iri) {
    for (size_t i = 0; i < N_ROWS; i++) {
        if (!rows[i].is_class && strcmp(rows[i].iri, iri) == 0) {
            return (pt_role)rows[i].value;
        }
    }
    return PT_ROLE_NONE;
}

pt_class pt__vocab_iri_class(const char *iri) {
    for (size_t i = 0; i < N_ROWS; i++) {
        if (rows[i].is_class && strcmp(rows[i].iri, iri) == 0) {
            return (pt_class)rows[i].value;
        }
    }
    return PT_CLASS_OTHER;
}

int pt__vocab_class_rank(pt_class c) {
    switch (c) {
    case PT_CLASS_USER:
        return 0;
    case PT_CLASS_ITEM:
        return 1;
    case PT_CLASS_EVENT:
        return 2;
    case PT_CLASS_CATEGORY:
        return 3;
    case PT_CLASS_BRAND:
        return 4;
    case PT_CLASS_TAG:
        return 5;
    default:
        return 6;
    }
}

/* Collect the (sub, super) pairs of the edges whose predicate is `p1` or `p2` (equivalence:
 * both directions) into a growable pair list. */
typedef struct pairs {
    uint32_t *a, *b;
    size_t n, cap;
} pairs;

/* Append (x, y) to the pair list; PT_ENOMEM on failure. */
static int pair_add(pt_ctx *ctx, pairs *ps, uint32_t x, uint32_t y) {
    size_t cap = ps->cap;
    if (pt__grow(ctx, (void **)&ps->a, &cap, ps->n + 1, 4) != PT_OK ||
        pt__grow(ctx, (void **)&ps->b, &ps->cap, ps->n + 1, 4) != PT_OK) {
        return PT_ENOMEM;
    }
    ps->cap = cap < ps->cap ? cap : ps->cap;
    ps->a[ps->n] = x;
    ps->b[ps->n++] = y;
    return PT_OK;
}

/* Gather the pairs of sub-relation `sub` and equivalence `eq` from the edges. */
static int gather(pt_ctx *ctx, const pt__edge_view *e, pt_node_id sub, pt_node_id eq,
                  pairs *ps) {
    if (sub == PT_NONE && eq == PT_NONE) {
        return PT_OK;
    }
    for (uint64_t k = 0; k < e->n; k++) {
        uint32_t p = e->p[k];
        if (p == sub || p == eq) {
            if (pair_add(ctx, ps, e->s[k], e->o[k]) != PT_OK ||
                (p == eq && pair_add(ctx, ps, e->o[k], e->s[k]) != PT_OK)) {
                return PT_ENOMEM;
            }
        }
    }
    return PT_OK;
}

/* Propagate values down the pairs (sub inherits super's value when it has none) until nothing
 * changes; cycles stop because a pass without change ends the loop. */
static void propagate(const pairs *ps, uint8_t *val) {
    for (int pass = 0; pass < 64; pass++) {
        int changed = 0;
        for (size_t i = 0; i < ps->n; i++) {
            if (val[ps->a[i]] == 0 && val[ps->b[i]] != 0) {
                val[ps->a[i]] = val[ps->b[i]];
                changed = 1;
            }
        }
        if (!changed) {
            break;
        }
    }
}

int pt__vocab_roles(pt_ctx *ctx, uint32_t n_nodes, pt__lookup_fn lookup, void *ud,
                    const pt__edge_view *e, uint8_t *role) {
    (void)n_nodes;
    for (size_t i = 0; i < N_ROWS; i++) {
        if (!rows[i].is_class) {
            pt_node_id v = lookup(ud, rows[i].iri);
            if (v != PT_NONE) {
                role[v] = (uint8_t)rows[i].value;
            }
        }
    }
    pairs ps = {0};
    int rc = gather(ctx, e, lookup(ud, PT_RDFS_SUBPROPERTYOF), lookup(ud, PT_OWL_EQUIVALENTPROPERTY),
                    &ps);
    if (rc == PT_OK) {
        propagate(&ps, role);
    }
    pt__free(ctx, ps.a);
    pt__free(ctx, ps.b);
    return rc;
}

int pt__vocab_classes(pt_ctx *ctx, uint32_t n_nodes, pt__lookup_fn lookup, void *ud,
                      const pt__edge_view *e, const uint8_t *role, uint8_t *cls) {
    /* cc[c]: the Portrait class that typing a node with class c gives. */
    uint8_t *cc = pt__calloc(ctx, (size_t)n_nodes + 1, 1);
    if (cc == NULL) {
        return PT_ENOMEM;
    }
    for (size_t i = 0; i < N_ROWS; i++) {
        if (rows[i].is_class) {
            pt_node_id v = lookup(ud, rows[i].iri);
            if (v != PT_NONE) {
                cc[v] = (uint8_t)rows[i].value;
            }
        }
    }
    pairs ps = {0};
    int rc = gather(ctx, e, lookup(ud, PT_RDFS_SUBCLASSOF), lookup(ud, PT_OWL_EQUIVALENTCLASS),
                    &ps);
    if (rc != PT_OK) {
        goto done;
    }
    propagate(&ps, cc);
    /* Typed nodes first. */
    for (uint64_t k = 0; k < e->n; k++) {
        if (role[e->p[k]] == PT_ROLE_TYPE) {
            uint32_t s = e->s[k];
            pt_class c = (pt_class)cc[e->o[k]];
            if (c != PT_CLASS_OTHER &&
                pt__vocab_class_rank(c) < pt__vocab_class_rank((pt_class)cls[s])) {
                cls[s] = (uint8_t)c;
            }
        }
    }
    /* Untyped nodes take a class from the roles of the edges they sit on (like rdfs:domain and
     * rdfs:range would), without overriding a type. */
    for (uint64_t k = 0; k < e->n; k++) {
        pt_role r = (pt_role)role[e->p[k]];
        uint32_t s = e->s[k], o = e->o[k];
        if (PT_ROLE_IS_BEHAVIOUR(r)) {
            if (cls[s] == PT_CLASS_OTHER) {
                cls[s] = PT_CLASS_USER;
            }
            if (cls[o] == PT_CLASS_OTHER) {
                cls[o] = PT_CLASS_ITEM;
            }
        } else if (r == PT_ROLE_IN_CATEGORY || r == PT_ROLE_BROADER) {
            if (cls[o] == PT_CLASS_OTHER) {
                cls[o] = PT_CLASS_CATEGORY;
            }
            if (r == PT_ROLE_BROADER && cls[s] == PT_CLASS_OTHER) {
                cls[s] = PT_CLASS_CATEGORY;
            }
        } else if (r == PT_ROLE_BRAND && cls[o] == PT_CLASS_OTHER) {
            cls[o] = PT_CLASS_BRAND;
        } else if (r == PT_ROLE_HAS_TAG && cls[o] == PT_CLASS_OTHER) {
            cls[o] = PT_CLASS_TAG;
        }
    }
done:
    pt__free(ctx, ps.a);
    pt__free(ctx, ps.b);
    pt__free(ctx, cc);
    return rc;
}

pt_role pt__vocab_action_role(const char *name) {
    static const struct {
        const char *name;
        pt_role role;
    } names[] = {
        {"view", PT_ROLE_VIEWED},         {"viewed", PT_ROLE_VIEWED},
        {"click", PT_ROLE_CLICKED},       {"clicked", PT_ROLE_CLICKED},
        {"cart", PT_ROLE_CARTED},         {"carted", PT_ROLE_CARTED},
        {"add_to_cart", PT_ROLE_CARTED},  {"addtocart", PT_ROLE_CARTED},
        {"purchase", PT_ROLE_PURCHASED},  {"purchased", PT_ROLE_PURCHASED},
        {"buy", PT_ROLE_PURCHASED},       {"bought", PT_ROLE_PURCHASED},
        {"rate", PT_ROLE_RATED},          {"rated", PT_ROLE_RATED},
        {"rating", PT_ROLE_RATED},        {"review", PT_ROLE_REVIEWED},
        {"reviewed", PT_ROLE_REVIEWED},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(names[i].name, name) == 0) {
            return names[i].role;
        }
    }
    pt_role r = pt__vocab_iri_role(name);
    return PT_ROLE_IS_BEHAVIOUR(r) ? r : PT_ROLE_NONE;
}

const char *pt__vocab_role_iri(pt_role r) {
    switch (r) {
    case PT_ROLE_VIEWED:
        return PT_VIEWED;
    case PT_ROLE_CLICKED:
        return PT_CLICKED;
    case PT_ROLE_CARTED:
        return PT_CARTED;
    case PT_ROLE_PURCHASED:
        return PT_PURCHASED;
    case PT_ROLE_RATED:
        return PT_RATED;
    case PT_ROLE_REVIEWED:
        return PT_REVIEWED;
    default:
        return NULL;
    }
}

int pt__vocab_row(size_t i, const char **iri, int *is_class, int *value) {
    if (i >= N_ROWS) {
        return 0;
    }
    *iri = rows[i].iri;
    *is_class = rows[i].is_class;
    *value = rows[i].value;
    return 1;
}
