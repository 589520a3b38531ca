/*
 * vocab.h - Portrait's vocabulary as tables, and the resolver that gives every node a class and
 * every predicate a role at graph build time. The tables mirror ontology/portrait.ttl (a test
 * checks that they agree). Not installed.
 */
#ifndef PT_VOCAB_INT_H
#define PT_VOCAB_INT_H

#include "core/core.h"

/* Look up an IRI among the graph's nodes without adding it: the id or PT_NONE. */
typedef pt_node_id (*pt__lookup_fn)(void *ud, const char *iri);

/* The edges the resolver reads: n triples as parallel arrays (unsorted, duplicates allowed). */
typedef struct pt__edge_view {
    uint64_t n;
    const uint32_t *s, *p, *o;
} pt__edge_view;

/* Fill role[p] for every predicate node: Portrait's own predicates and the mapped ones
 * (schema:brand, skos:broader, ...), then every predicate declared rdfs:subPropertyOf (or
 * owl:equivalentProperty) of one with a role, transitively, cycles tolerated. `role` has
 * n_nodes entries, zeroed by the caller. */
int pt__vocab_roles(pt_ctx *ctx, uint32_t n_nodes, pt__lookup_fn lookup, void *ud,
                    const pt__edge_view *e, uint8_t *role);

/* Fill cls[v] for every node: from rdf:type through rdfs:subClassOf/owl:equivalentClass to a
 * Portrait class; untyped nodes get a class from the roles of the edges they sit on (subject of
 * a behaviour edge: User; its object: Item; object of inCategory or either end of broader:
 * Category; object of brand: Brand; object of hasTag: Tag). `cls` has n_nodes entries, zeroed. */
int pt__vocab_classes(pt_ctx *ctx, uint32_t n_nodes, pt__lookup_fn lookup, void *ud,
                      const pt__edge_view *e, const uint8_t *role, uint8_t *cls);

/* The role Portrait's tables give the IRI itself (no closure), or PT_ROLE_NONE. */
pt_role pt__vocab_iri_role(const char *iri);

/* The class Portrait's tables give the class IRI itself (no closure), or PT_CLASS_OTHER. */
pt_class pt__vocab_iri_class(const char *iri);

/* Priority of a class when a node has several (lower wins): User, Item, Event, Category,
 * Brand, Tag, Other. */
int pt__vocab_class_rank(pt_class c);

/* The role a Portrait action name or IRI denotes ("purchase", "purchased", PT_PURCHASED):
 * PT_ROLE_NONE when it is none. */
pt_role pt__vocab_action_role(const char *name);

/* The Portrait predicate IRI of a behaviour role (PT_VIEWED ...), or NULL. */
const char *pt__vocab_role_iri(pt_role r);

/* Row i of the vocabulary table: 1 and its fields, or 0 past the end (for the test that checks
 * the table against portrait.ttl). */
int pt__vocab_row(size_t i, const char **iri, int *is_class, int *value);

#endif /* PT_VOCAB_INT_H */
