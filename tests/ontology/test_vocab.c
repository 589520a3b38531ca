/*
 * test_vocab.c - the vocabulary: the engine's tables (ontology/vocab.c) and ontology/portrait.ttl
 * say the same thing, and data in schema.org / GoodRelations / SKOS, or in a shop's own terms
 * mapped by statements, gets Portrait's classes and roles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_test.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "graph/graph.h"
#include "ontology/vocab.h"

#define TTL PT_TEST_DATA "/../../ontology/portrait.ttl"

/* Load portrait.ttl into a graph. */
static pt_graph *load_ttl(pt_ctx *ctx) {
    pt_builder *b;
    pt_graph *g;
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    int rc = pt_import_rdf(b, TTL, NULL, NULL, &st);
    if (rc != PT_OK) {
        fail_msg("portrait.ttl: %s", pt_ctx_errmsg(ctx));
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    return g;
}

/* The pt: term X maps to through `pred` (rdfs:subClassOf or rdfs:subPropertyOf), or NULL. */
static const char *mapped_to(const pt_graph *g, pt_node_id x, const char *pred) {
    pt_node_id p = pt_graph_lookup(g, pred, strlen(pred), PT_TERM_IRI);
    pt_edge_iter it;
    pt_edge e;
    pt_graph_edges(g, x, 0, p, &it);
    while (pt_graph_edge_next(&it, &e)) {
        const char *s = pt_graph_node_str(g, e.dst);
        if (strncmp(s, PT_NS, strlen(PT_NS)) == 0) {
            return s;
        }
    }
    return NULL;
}

static void test_every_table_row_is_in_the_ttl(void **state) {
    pt_graph *g = load_ttl(*state);
    const char *iri;
    int is_class, value;
    for (size_t i = 0; pt__vocab_row(i, &iri, &is_class, &value); i++) {
        pt_node_id v = pt_graph_lookup(g, iri, strlen(iri), PT_TERM_IRI);
        if (strcmp(iri, PT_RDF_TYPE) == 0) {
            continue; /* rdf:type is RDF's, not ours to declare */
        }
        if (v == PT_NONE) {
            fail_msg("%s is in the table but not in portrait.ttl", iri);
        }
        if (strncmp(iri, PT_NS, strlen(PT_NS)) == 0) {
            assert_true(pt_graph_out_degree(g, v) > 0); /* declared there */
            continue;
        }
        const char *to = mapped_to(g, v, is_class ? PT_RDFS_SUBCLASSOF : PT_RDFS_SUBPROPERTYOF);
        if (to == NULL) {
            fail_msg("%s has no mapping to a pt: term in portrait.ttl", iri);
        }
        if (is_class) {
            assert_int_equal(pt__vocab_iri_class(to), value);
        } else {
            assert_int_equal(pt__vocab_iri_role(to), value);
        }
    }
    pt_graph_free(g);
}

static void test_every_ttl_mapping_is_in_the_table(void **state) {
    pt_graph *g = load_ttl(*state);
    int checked = 0;
    for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
        const char *s = pt_graph_node_str(g, v);
        if (strncmp(s, PT_NS, strlen(PT_NS)) == 0) {
            continue;
        }
        const char *c = mapped_to(g, v, PT_RDFS_SUBCLASSOF);
        if (c != NULL) {
            assert_int_equal(pt__vocab_iri_class(s), pt__vocab_iri_class(c));
            checked++;
        }
        const char *p = mapped_to(g, v, PT_RDFS_SUBPROPERTYOF);
        if (p != NULL) {
            assert_int_equal(pt__vocab_iri_role(s), pt__vocab_iri_role(p));
            checked++;
        }
    }
    assert_true(checked >= 16);
    pt_graph_free(g);
}

/* Import a Turtle text through a temporary file into a fresh graph. */
static pt_graph *from_ttl(pt_ctx *ctx, const char *text) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/pt_vocab_%d.ttl", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    pt_builder *b;
    pt_graph *g;
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    if (pt_import_rdf(b, path, "turtle", NULL, &st) != PT_OK) {
        fail_msg("%s", pt_ctx_errmsg(ctx));
    }
    assert_int_equal(pt_builder_finish(b, &g), PT_OK);
    remove(path);
    return g;
}

static void test_schema_org_and_goodrelations_data_work_without_conversion(void **state) {
    pt_graph *g = from_ttl(*state,
        "@prefix schema: <https://schema.org/> .\n"
        "@prefix gr: <http://purl.org/goodrelations/v1#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix ex: <http://ex/> .\n"
        "ex:p1 a schema:Product ; schema:brand ex:acme ; schema:category ex:shoes .\n"
        "ex:p2 a gr:ProductOrService ; gr:hasBrand ex:acme .\n"
        "ex:shoes skos:broader ex:fashion .\n"
        "ex:acme a schema:Brand .\n");
    assert_int_equal(pt_graph_node_class(g, pt_graph_resolve(g, "http://ex/p1", 0)),
                     PT_CLASS_ITEM);
    assert_int_equal(pt_graph_node_class(g, pt_graph_resolve(g, "http://ex/p2", 0)),
                     PT_CLASS_ITEM);
    assert_int_equal(pt_graph_node_class(g, pt_graph_resolve(g, "http://ex/acme", 0)),
                     PT_CLASS_BRAND);
    assert_int_equal(pt_graph_node_class(g, pt_graph_resolve(g, "http://ex/shoes", 0)),
                     PT_CLASS_CATEGORY);
    assert_int_equal(pt_graph_node_class(g, pt_graph_resolve(g, "http://ex/fashion", 0)),
                     PT_CLASS_CATEGORY);
    assert_int_equal(pt_graph_pred_role(g, pt_graph_resolve(g, "skos:broader", 0)),
                     PT_ROLE_BROADER);
    pt_graph_free(g);
}

static void test_a_shop_vocabulary_maps_by_statements_in_any_order(void **state) {
    pt_graph *g = from_ttl(*state,
        "@prefix shop: <http://shop/> .\n"
        "@prefix pt: <https://w3id.org/portrait/ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "shop:alice a shop:Customer ; shop:bought shop:sku1 .\n"
        "shop:bought rdfs:subPropertyOf pt:purchased .\n"
        "shop:Customer rdfs:subClassOf pt:User .\n");
    pt_node_id alice = pt_graph_resolve(g, "http://shop/alice", 0);
    assert_int_equal(pt_graph_node_class(g, alice), PT_CLASS_USER);
    assert_int_equal(pt_graph_node_class(g, pt_graph_resolve(g, "http://shop/sku1", 0)),
                     PT_CLASS_ITEM);
    assert_int_equal(pt_graph_pred_role(g, pt_graph_resolve(g, "http://shop/bought", 0)),
                     PT_ROLE_PURCHASED);
    pt_graph_free(g);
}

static void test_hierarchy_closure_is_transitive_current_and_survives_cycles(void **state) {
    pt_graph *g = from_ttl(*state,
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix ex: <http://ex/> .\n"
        "ex:headphones skos:broader ex:audio . ex:audio skos:broader ex:electronics .\n"
        "ex:Sneaker rdfs:subClassOf ex:Shoe . ex:Shoe rdfs:subClassOf ex:Apparel .\n"
        "ex:Apparel owl:equivalentClass ex:Clothing .\n"
        "ex:a skos:broader ex:b . ex:b skos:broader ex:c . ex:c skos:broader ex:a .\n");
    pt_node_id hp = pt_graph_resolve(g, "http://ex/headphones", 0),
               audio = pt_graph_resolve(g, "http://ex/audio", 0),
               el = pt_graph_resolve(g, "http://ex/electronics", 0),
               sn = pt_graph_resolve(g, "http://ex/Sneaker", 0),
               cl = pt_graph_resolve(g, "http://ex/Clothing", 0),
               a = pt_graph_resolve(g, "http://ex/a", 0);
    pt_node_id out[8];
    assert_int_equal(pt_graph_ancestors(g, hp, out, 8), 2);
    assert_int_equal(out[0], audio); /* nearest first */
    assert_int_equal(out[1], el);
    assert_int_equal(pt_graph_ancestors(g, el, out, 8), 0);
    assert_true(pt_graph_is_a(g, hp, el));
    assert_false(pt_graph_is_a(g, el, hp));
    assert_true(pt_graph_is_a(g, sn, cl)); /* through equivalentClass */
    assert_int_equal(pt_graph_ancestors(g, a, out, 8), 2); /* b and c, once each */
    assert_int_equal(pt_graph_hierarchy_cycles(g), 3);
    /* kept current: a new broader edge shows in the next answer */
    pt_node_id shop = pt_graph_intern(g, "http://ex/shop", 14, PT_TERM_IRI);
    pt_node_id broader = pt_graph_resolve(g, "skos:broader", 0);
    assert_int_equal(pt_graph_add_edge(g, el, broader, shop, 1, PT_TIME_UNKNOWN), PT_OK);
    assert_int_equal(pt_graph_ancestors(g, hp, out, 8), 3);
    assert_int_equal(out[2], shop);
    pt_graph_free(g);
}

static void test_action_names(void **state) {
    (void)state;
    assert_int_equal(pt__vocab_action_role("purchase"), PT_ROLE_PURCHASED);
    assert_int_equal(pt__vocab_action_role("Add_To_Cart"), PT_ROLE_CARTED);
    assert_int_equal(pt__vocab_action_role(PT_REVIEWED), PT_ROLE_REVIEWED);
    assert_int_equal(pt__vocab_action_role("hasTag"), PT_ROLE_NONE);
    assert_int_equal(pt__vocab_action_role("dance"), PT_ROLE_NONE);
    assert_string_equal(pt__vocab_role_iri(PT_ROLE_CLICKED), PT_CLICKED);
    assert_null(pt__vocab_role_iri(PT_ROLE_BRAND));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_table_row_is_in_the_ttl, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_every_ttl_mapping_is_in_the_table, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(
            test_schema_org_and_goodrelations_data_work_without_conversion, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_a_shop_vocabulary_maps_by_statements_in_any_order,
                                        ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(
            test_hierarchy_closure_is_transitive_current_and_survives_cycles, ctx_up, ctx_down),
        cmocka_unit_test(test_action_names),
    };
    return cmocka_run_group_tests_name("vocab", tests, NULL, NULL);
}
