/*
 * test_catalog.c - tests of the catalogue importers (importers/catalog/): the Google product
 * taxonomy (taxonomy.c) and XML feeds (feed.c: Merchant Center RSS/Atom, BMEcat 1.2/2005),
 * on fixtures in tests/data/catalog/, checked through the public graph API, plus the real
 * files in ../shared/data when they are present (skipped with a message otherwise).
 *
 * Fixtures: taxonomy.en-US.txt (a chain, a child before its parent, an orphan attached to its
 * grandparent, a root orphan), taxonomy.zh-CN.txt (BOM, CRLF, the same ids with zh labels),
 * taxonomy-gz.en-US.txt.gz, noid.txt and badsep.txt (errors with file:line),
 * merchant-rss.xml (variants, an item without id, a bad price, CDATA), merchant-atom.xml,
 * bmecat12.xml (a cycle and an orphan among the groups), bmecat2005.xml (two prices, an
 * unnamed product), malformed.xml, xxe.xml and xxe-param.xml (external entities that must not
 * be loaded; secret.txt is what they point at).
 */
/* clang-format off: cmocka 1.1 needs these four headers first, in this order */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_test.h"
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portrait/portrait.h"
#include "core/core.h"
#include "graph/graph.h"

#define CAT PT_TEST_DATA "/catalog/"
#define GPT "https://w3id.org/portrait/gpt/"
#define BASE "https://shop.example/"
#define PREFLABEL "http://www.w3.org/2004/02/skos/core#prefLabel"
#define GPT_TAX PT_SHARED_DATA "/ontology/google-product-taxonomy/"
#define FEEDS PT_SHARED_DATA "/xml-feeds/"

/* ---- helpers -------------------------------------------------------------------------------- */

/* One file to import: a taxonomy (format "taxonomy", `opt` = language) or a feed (`opt` =
 * format name or NULL). */
typedef struct job {
    const char *path;
    const char *format;
    const char *opt;
} job;

/*
 * Import the files of `jobs` (until one with path NULL) into one builder and finish it. Returns
 * the first failing code; on PT_OK *g is the checked graph, otherwise NULL.
 */
static int import(pt_ctx *ctx, const job *jobs, pt_graph **g, pt_import_stats *st) {
    pt_builder *b = NULL;
    *g = NULL;
    memset(st, 0, sizeof *st);
    assert_int_equal(pt_builder_new(ctx, NULL, &b), PT_OK);
    pt_builder_set_base(b, BASE);
    for (const job *j = jobs; j->path != NULL; j++) {
        int rc = strcmp(j->format, "taxonomy") == 0 ? pt_import_taxonomy(b, j->path, j->opt, st)
                                                    : pt_import_feed(b, j->path, j->opt, NULL, st);
        if (rc != PT_OK) {
            pt_builder_free(b);
            return rc;
        }
    }
    assert_int_equal(pt_builder_finish(b, g), PT_OK);
    assert_int_equal(pt__graph_check(*g), PT_OK);
    return PT_OK;
}

/* Import one file; fail the test unless it loads. */
static pt_graph *load1(pt_ctx *ctx, const char *path, const char *format, const char *opt,
                       pt_import_stats *st) {
    job jobs[2] = {{path, format, opt}, {NULL, NULL, NULL}};
    pt_graph *g = NULL;
    int rc = import(ctx, jobs, &g, st);
    if (rc != PT_OK) {
        fail_msg("%s: %s", path, pt_ctx_errmsg(ctx));
    }
    return g;
}

/* Node of IRI `iri`; fails the test when absent. */
static pt_node_id node(const pt_graph *g, const char *iri) {
    pt_node_id v = pt_graph_lookup(g, iri, strlen(iri), PT_TERM_IRI);
    if (v == PT_NONE) {
        fail_msg("no node <%s>", iri);
    }
    return v;
}

/* True when edge (s, p, o) exists, all given as IRIs. */
static int has_edge(const pt_graph *g, const char *s, const char *p, const char *o) {
    pt_node_id sv = pt_graph_lookup(g, s, strlen(s), PT_TERM_IRI);
    pt_node_id pv = pt_graph_lookup(g, p, strlen(p), PT_TERM_IRI);
    pt_node_id ov = pt_graph_lookup(g, o, strlen(o), PT_TERM_IRI);
    pt_edge e;
    return sv != PT_NONE && pv != PT_NONE && ov != PT_NONE && pt_graph_edge_find(g, sv, pv, ov, &e);
}

/* Number of out-edges of `s` with predicate `p`. */
static int n_out(const pt_graph *g, const char *s, const char *p) {
    pt_node_id pv = pt_graph_lookup(g, p, strlen(p), PT_TERM_IRI);
    pt_edge_iter it;
    pt_edge e;
    int n = 0;
    if (pv == PT_NONE) {
        return 0;
    }
    pt_graph_edges(g, node(g, s), 0, pv, &it);
    while (pt_graph_edge_next(&it, &e)) {
        n++;
    }
    return n;
}

/* Literal of `s` for `p` in language `lang` (NULL any), or NULL. */
static const char *lit(const pt_graph *g, const char *s, const char *p, const char *lang) {
    pt_node_id pv = pt_graph_lookup(g, p, strlen(p), PT_TERM_IRI);
    return pv == PT_NONE ? NULL : pt_graph_literal_get(g, node(g, s), pv, lang);
}

/* Number of nodes of class `c` whose IRI starts with `prefix`. */
static uint32_t count_class(const pt_graph *g, pt_class c, const char *prefix) {
    uint32_t n = 0;
    for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
        if (pt_graph_node_class(g, v) == c &&
            strncmp(pt_graph_node_str(g, v), prefix, strlen(prefix)) == 0) {
            n++;
        }
    }
    return n;
}

/* True when the shared data file exists; prints a skip message otherwise. */
static int shared(const char *path) {
    if (access(path, R_OK) != 0) {
        print_message("skipped: %s is not present\n", path);
        return 0;
    }
    return 1;
}

/* ---- taxonomy ---------------------------------------------------------------------------------
 */

static void test_taxonomy_concepts_chain_and_orphans(void **state) {
    pt_import_stats st;
    pt_graph *g = load1(*state, CAT "taxonomy.en-US.txt", "taxonomy", NULL, &st);
    assert_int_equal(st.rows_read, 8);
    assert_int_equal(st.rows_imported, 8);
    assert_int_equal(st.n_orphans, 2); /* 11 attached to 10; 20 has no ancestor at all */
    assert_int_equal(pt_graph_node_class(g, node(g, GPT "3")), PT_CLASS_CATEGORY);
    assert_true(has_edge(g, GPT "3", PT_SKOS_BROADER, GPT "2"));
    assert_true(has_edge(g, GPT "2", PT_SKOS_BROADER, GPT "1"));
    assert_true(has_edge(g, GPT "5", PT_SKOS_BROADER, GPT "4"));   /* child before its parent */
    assert_true(has_edge(g, GPT "11", PT_SKOS_BROADER, GPT "10")); /* orphan: grandparent */
    assert_int_equal(n_out(g, GPT "20", PT_SKOS_BROADER), 0);
    assert_int_equal(n_out(g, GPT "1", PT_SKOS_BROADER), 0);
    assert_true(has_edge(g, GPT "3", PT_RDF_TYPE, PT_SKOS_NS "Concept"));
    assert_string_equal(lit(g, GPT "3", PREFLABEL, "en"), "Bird Supplies");
    assert_string_equal(lit(g, GPT "11", PREFLABEL, "en"), "Headphones");
    assert_string_equal(lit(g, GPT "11", PT_SKOS_NS "notation", NULL), "11");
    /* skos:broader has the broader role: the lead's closure sees the hierarchy */
    assert_int_equal(pt_graph_pred_role(g, node(g, PT_SKOS_BROADER)), PT_ROLE_BROADER);
    pt_graph_free(g);
}

static void test_taxonomy_en_and_zh_labels_meet_on_one_concept(void **state) {
    job jobs[] = {{CAT "taxonomy.en-US.txt", "taxonomy", NULL},
                  {CAT "taxonomy.zh-CN.txt", "taxonomy", NULL},
                  {NULL, NULL, NULL}};
    pt_graph *g;
    pt_import_stats st;
    assert_int_equal(import(*state, jobs, &g, &st), PT_OK);
    assert_string_equal(lit(g, GPT "3", PREFLABEL, "en"), "Bird Supplies");
    assert_string_equal(lit(g, GPT "3", PREFLABEL, "zh"), "鸟类用品");
    assert_string_equal(lit(g, GPT "10", PREFLABEL, "zh"), "电子产品");
    assert_int_equal(count_class(g, PT_CLASS_CATEGORY, GPT), 8); /* no duplicates */
    assert_int_equal(n_out(g, GPT "3", PT_SKOS_BROADER), 1);     /* same parent twice */
    pt_graph_free(g);
}

static void test_taxonomy_lang_option_and_gzip(void **state) {
    pt_import_stats st;
    pt_graph *g = load1(*state, CAT "taxonomy-gz.en-US.txt.gz", "taxonomy", "en-GB", &st);
    assert_int_equal(st.rows_imported, 8);
    assert_string_equal(lit(g, GPT "1", PREFLABEL, "en-GB"), "Animals & Pet Supplies");
    pt_graph_free(g);
    pt_builder *b;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    assert_int_equal(pt_import_taxonomy(b, CAT "taxonomy.en-US.txt", "e n", NULL), PT_EINVAL);
    pt_builder_free(b);
}

static void test_taxonomy_line_without_id_fails_with_file_and_line(void **state) {
    pt_builder *b;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    assert_int_equal(pt_import_taxonomy(b, CAT "noid.txt", "en", NULL), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(*state), "noid.txt:3: "));
    assert_non_null(strstr(pt_ctx_errmsg(*state), "no numeric id"));
    pt_builder_free(b);
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    assert_int_equal(pt_import_taxonomy(b, CAT "badsep.txt", "en", NULL), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(*state), "badsep.txt:2: "));
    pt_builder_free(b);
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    assert_int_equal(pt_import_taxonomy(b, CAT "absent.txt", "en", NULL), PT_EIO);
    pt_builder_free(b);
}

/* ---- Merchant Center --------------------------------------------------------------------------
 */

static void test_merchant_rss_items_variants_and_categories(void **state) {
    job jobs[] = {{CAT "taxonomy.en-US.txt", "taxonomy", NULL},
                  {CAT "merchant-rss.xml", "feed", NULL}, /* sniffed */
                  {NULL, NULL, NULL}};
    pt_graph *g;
    pt_import_stats st;
    assert_int_equal(import(*state, jobs, &g, &st), PT_OK);
    const char *red = BASE "item/SKU-1%2Fred", *blue = BASE "item/SKU-1%2Fblue";
    assert_int_equal(pt_graph_node_class(g, node(g, red)), PT_CLASS_ITEM);
    assert_string_equal(lit(g, red, PT_TITLE, NULL), "Parrot perch, red");
    assert_string_equal(lit(g, red, PT_DESCRIPTION, NULL), "A <b>wooden</b> perch.");
    assert_string_equal(lit(g, red, PT_PRICE, NULL), "12.99");
    assert_string_equal(lit(g, red, PT_SCHEMA_NS "priceCurrency", NULL), "USD");
    assert_string_equal(lit(g, red, PT_SCHEMA_NS "url", NULL),
                        "https://shop.example/p/1?c=red&s=m");
    assert_string_equal(lit(g, blue, PT_TITLE, NULL), "Parrot perch, blue"); /* g:title */
    /* the price is an xsd:decimal */
    pt_literal l;
    pt_node_id r = node(g, red);
    int found = 0;
    for (uint64_t i = 0; i < pt_graph_literal_count_of(g, r); i++) {
        assert_int_equal(pt_graph_literal(g, r, i, &l), PT_OK);
        if (l.pred == node(g, PT_PRICE)) {
            assert_int_equal(l.datatype, node(g, PT_XSD_DECIMAL));
            found = 1;
        }
    }
    assert_true(found);
    /* brand, variants, tags */
    assert_true(has_edge(g, red, PT_BRAND_P, BASE "brand/acme-pets"));
    assert_true(has_edge(g, blue, PT_BRAND_P, BASE "brand/acme-pets"));
    assert_int_equal(pt_graph_node_class(g, node(g, BASE "brand/acme-pets")), PT_CLASS_BRAND);
    assert_true(has_edge(g, red, PT_SCHEMA_NS "isVariantOf", BASE "group/SKU-1"));
    assert_true(has_edge(g, blue, PT_SCHEMA_NS "isVariantOf", BASE "group/SKU-1"));
    assert_true(has_edge(g, red, PT_HAS_TAG, BASE "tag/color/red"));
    assert_int_equal(pt_graph_node_class(g, node(g, BASE "tag/color/red")), PT_CLASS_TAG);
    /* google_product_category by id meets the taxonomy concept; product_type is a chain */
    assert_true(has_edge(g, red, PT_IN_CATEGORY, GPT "3"));
    assert_string_equal(lit(g, GPT "3", PREFLABEL, "en"), "Bird Supplies");
    assert_true(has_edge(g, red, PT_IN_CATEGORY, BASE "cat/pets/birds/perches"));
    assert_true(has_edge(g, BASE "cat/pets/birds/perches", PT_BROADER, BASE "cat/pets/birds"));
    assert_true(has_edge(g, BASE "cat/pets/birds", PT_BROADER, BASE "cat/pets"));
    assert_true(has_edge(g, blue, PT_IN_CATEGORY, GPT "path/animals-pet-supplies/pet-supplies"));
    /* the item without an id is skipped and counted; the bad price is left out */
    assert_int_equal(st.rows_skipped, 1);
    assert_int_equal(st.skipped_by[PT_SKIP_MISSING], 1);
    assert_non_null(strstr(st.first_skip, "merchant-rss.xml:"));
    assert_null(lit(g, BASE "item/SKU-2", PT_PRICE, NULL));
    assert_int_equal(count_class(g, PT_CLASS_ITEM, BASE), 3);
    pt_graph_free(g);
}

static void test_merchant_atom_feed(void **state) {
    pt_import_stats st;
    pt_graph *g = load1(*state, CAT "merchant-atom.xml", "feed", "merchant", &st);
    const char *it = BASE "item/A-100";
    assert_int_equal(pt_graph_node_class(g, node(g, it)), PT_CLASS_ITEM);
    assert_string_equal(lit(g, it, PT_TITLE, NULL), "Bird cage");
    assert_string_equal(lit(g, it, PT_DESCRIPTION, NULL), "A roomy cage.");
    assert_string_equal(lit(g, it, PT_SCHEMA_NS "url", NULL), "https://shop.example/p/a100");
    assert_string_equal(lit(g, it, PT_PRICE, NULL), "49.90");
    assert_true(has_edge(g, it, PT_IN_CATEGORY, GPT "2"));
    assert_int_equal(st.rows_read, 1);
    pt_graph_free(g);
}

static void test_malformed_xml_fails_with_file_and_line(void **state) {
    pt_builder *b;
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    assert_int_equal(pt_import_feed(b, CAT "malformed.xml", NULL, BASE, NULL), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(*state), "malformed.xml:5: "));
    pt_builder_free(b);
    /* a BMEcat file given as a Merchant feed, and an unknown format */
    assert_int_equal(pt_builder_new(*state, NULL, &b), PT_OK);
    assert_int_equal(pt_import_feed(b, CAT "bmecat12.xml", "merchant", BASE, NULL), PT_EPARSE);
    assert_non_null(strstr(pt_ctx_errmsg(*state), "bmecat12.xml:3: root element <BMECAT>"));
    assert_int_equal(pt_import_feed(b, CAT "bmecat12.xml", "csv", BASE, NULL), PT_EINVAL);
    pt_builder_free(b);
}

static void test_external_entities_are_not_loaded(void **state) {
    /* xxe.xml references an external general entity, xxe-param.xml an external parameter
     * entity; both name secret.txt, whose text must not reach the graph (and, checked by hand
     * with strace, the file is never opened). */
    static const char *const files[][2] = {{CAT "xxe.xml", BASE "item/XXE-1"},
                                           {CAT "xxe-param.xml", BASE "item/XXE-2"}};
    for (size_t f = 0; f < 2; f++) {
        pt_import_stats st;
        pt_graph *g = load1(*state, files[f][0], "feed", NULL, &st);
        assert_int_equal(pt_graph_node_class(g, node(g, files[f][1])), PT_CLASS_ITEM);
        for (pt_node_id v = 0; v < pt_graph_node_count(g); v++) {
            pt_literal l;
            for (uint64_t i = 0; i < pt_graph_literal_count_of(g, v); i++) {
                assert_int_equal(pt_graph_literal(g, v, i, &l), PT_OK);
                assert_null(strstr(l.lex, "TOPSECRET"));
            }
        }
        pt_graph_free(g);
    }
}

/* ---- BMEcat -----------------------------------------------------------------------------------
 */

static void test_bmecat12_articles_groups_cycle_and_orphan(void **state) {
    pt_import_stats st;
    pt_graph *g = load1(*state, CAT "bmecat12.xml", "feed", "bmecat", &st);
    const char *it = BASE "item/D-42";
    assert_int_equal(pt_graph_node_class(g, node(g, it)), PT_CLASS_ITEM);
    assert_string_equal(lit(g, it, PT_TITLE, "en"), "Cordless drill 18 V"); /* LANGUAGE eng */
    assert_string_equal(lit(g, it, PT_DESCRIPTION, "en"), "Two batteries included.");
    assert_string_equal(lit(g, it, PT_PRICE, NULL), "99.50"); /* net_customer wins */
    assert_string_equal(lit(g, it, PT_SCHEMA_NS "priceCurrency", NULL), "EUR"); /* header */
    assert_string_equal(lit(g, it, PT_SCHEMA_NS "gtin", NULL), "4006381333931");
    assert_true(has_edge(g, it, PT_BRAND_P, BASE "brand/bohrwerk-gmbh"));
    assert_true(has_edge(g, it, PT_HAS_TAG, BASE "tag/voltage/18-v"));
    assert_string_equal(lit(g, BASE "tag/voltage/18-v", PT_RDFS_LABEL, NULL), "Voltage: 18 V");
    assert_true(has_edge(g, it, PT_HAS_TAG, BASE "tag/keyword/drill"));
    assert_true(has_edge(g, it, PT_IN_CATEGORY, BASE "cat/drills"));
    assert_true(has_edge(g, BASE "cat/drills", PT_BROADER, BASE "cat/tools"));
    assert_true(has_edge(g, BASE "cat/tools", PT_BROADER, BASE "cat/root"));
    assert_int_equal(n_out(g, BASE "cat/root", PT_BROADER), 0);
    assert_string_equal(lit(g, BASE "cat/tools", PT_RDFS_LABEL, NULL), "Tools");
    /* loop-a -> loop-b is linked first; loop-b -> loop-a would close the cycle */
    assert_int_equal(st.n_cycles, 1);
    assert_true(has_edge(g, BASE "cat/loop-a", PT_BROADER, BASE "cat/loop-b"));
    assert_int_equal(n_out(g, BASE "cat/loop-b", PT_BROADER), 0);
    assert_int_equal(st.n_orphans, 1); /* "lost" names a parent that is not there */
    assert_int_equal(count_class(g, PT_CLASS_CATEGORY, BASE "cat/"), 6);
    pt_graph_free(g);
}

static void test_bmecat2005_products_and_prices(void **state) {
    pt_import_stats st;
    pt_graph *g = load1(*state, CAT "bmecat2005.xml", "feed", NULL, &st);
    const char *it = BASE "item/4000350062";
    assert_int_equal(pt_graph_node_class(g, node(g, it)), PT_CLASS_ITEM);
    assert_string_equal(lit(g, it, PT_TITLE, "de"), "Schutzbrille klar"); /* lang="deu" */
    assert_string_equal(lit(g, it, PT_PRICE, NULL), "15.60");
    assert_string_equal(lit(g, it, PT_SCHEMA_NS "priceCurrency", NULL), "CHF");
    assert_true(has_edge(g, it, PT_BRAND_P, BASE "brand/honeywell"));
    assert_true(has_edge(g, it, PT_HAS_TAG, BASE "tag/gewicht/28-g"));
    assert_true(has_edge(g, it, PT_IN_CATEGORY, BASE "cat/Schutzbrillen"));
    assert_true(has_edge(g, BASE "cat/Schutzbrillen", PT_BROADER, BASE "cat/AS")); /* later */
    assert_int_equal(st.rows_skipped, 1); /* the product without SUPPLIER_PID */
    assert_int_equal(st.n_orphans, 0);
    pt_graph_free(g);
}

static void test_sniffing(void **state) {
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "taxonomy.en-US.txt"), "taxonomy");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "taxonomy.zh-CN.txt"), "taxonomy");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "taxonomy-gz.en-US.txt.gz"),
                        "taxonomy");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "merchant-rss.xml"), "merchant");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "merchant-atom.xml"), "merchant");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "xxe.xml"), "merchant");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "bmecat12.xml"), "bmecat");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "bmecat2005.xml"), "bmecat");
    assert_string_equal(pt_catalog_format_sniff(*state, CAT "noid.txt"), "taxonomy");
    assert_null(pt_catalog_format_sniff(*state, CAT "secret.txt"));
    assert_null(pt_catalog_format_sniff(*state, CAT "absent.xml"));
    assert_null(pt_catalog_format_sniff(NULL, PT_TEST_DATA "/../../ontology/portrait.ttl"));
}

/* Allocation failures anywhere in an import give PT_ENOMEM and leak nothing. */
static void test_out_of_memory(void **state) {
    static const char *const files[][2] = {{CAT "taxonomy.en-US.txt", "taxonomy"},
                                           {CAT "bmecat12.xml", "bmecat"},
                                           {CAT "merchant-rss.xml", "merchant"}};
    for (size_t f = 0; f < 3; f++) {
        for (uint64_t n = 1;; n++) {
            pt_builder *b = NULL;
            pt_graph *g = NULL;
            pt__ctx_fail_after(*state, n);
            int rc = pt_builder_new(*state, NULL, &b);
            if (rc == PT_OK) {
                rc = strcmp(files[f][1], "taxonomy") == 0
                         ? pt_import_taxonomy(b, files[f][0], "en", NULL)
                         : pt_import_feed(b, files[f][0], files[f][1], BASE, NULL);
                if (rc == PT_OK) {
                    rc = pt_builder_finish(b, &g);
                } else {
                    pt_builder_free(b);
                }
            }
            pt__ctx_fail_after(*state, 0);
            if (rc == PT_OK) {
                pt_graph_free(g);
                break;
            }
            assert_int_equal(rc, PT_ENOMEM);
            assert_true(n < 100000);
        }
    }
}

/* ---- the real files ---------------------------------------------------------------------------
 */

static void test_real_google_taxonomies(void **state) {
    const char *zh = GPT_TAX "taxonomy-with-ids.zh-CN.2012-01-13.txt";
    const char *en = GPT_TAX "taxonomy-with-ids.en-US.txt";
    if (!shared(zh) || !shared(en)) {
        return;
    }
    pt_import_stats st;
    pt_graph *g = load1(*state, zh, "taxonomy", NULL, &st);
    assert_int_equal(st.n_orphans, 8);
    assert_int_equal(st.rows_imported, 4586);
    pt_graph_free(g);
    g = load1(*state, en, "taxonomy", NULL, &st);
    assert_int_equal(st.rows_imported, 5595);
    assert_int_equal(st.n_orphans, 0);
    assert_int_equal(count_class(g, PT_CLASS_CATEGORY, GPT), 5595);
    assert_string_equal(lit(g, GPT "1", PREFLABEL, "en"), "Animals & Pet Supplies");
    pt_graph_free(g);
}

static void test_real_bmecat_and_merchant(void **state) {
    const char *bme = FEEDS "bmecat/bmecat2005_nordwest_angebot_des_monats_2021.xml";
    const char *bme12 = FEEDS "bmecat/bmecat12_new_catalog.golden.xml";
    const char *gm = FEEDS "google-merchant/celebird-rss2-variants-apparel-example.xml";
    if (!shared(bme) || !shared(bme12) || !shared(gm)) {
        return;
    }
    pt_import_stats st;
    pt_graph *g = load1(*state, bme, "feed", NULL, &st);
    assert_int_equal(count_class(g, PT_CLASS_ITEM, BASE "item/"), 30);
    assert_int_equal(count_class(g, PT_CLASS_CATEGORY, BASE "cat/"), 70);
    assert_int_equal(st.n_orphans, 0);
    assert_int_equal(st.n_cycles, 0);
    assert_int_equal(st.rows_skipped, 0);
    assert_string_equal(lit(g, BASE "item/4000350062", PT_PRICE, NULL), "61.60");
    pt_graph_free(g);
    g = load1(*state, bme12, "feed", NULL, &st);
    assert_int_equal(count_class(g, PT_CLASS_ITEM, BASE "item/"), 1);
    pt_graph_free(g);
    g = load1(*state, gm, "feed", NULL, &st);
    assert_int_equal(count_class(g, PT_CLASS_ITEM, BASE "item/"), 2);
    pt_node_id grp = node(g, BASE "group/dz1");
    pt_node_id p = node(g, PT_SCHEMA_NS "isVariantOf");
    pt_edge_iter it;
    pt_edge e;
    int n = 0;
    pt_graph_edges(g, grp, 1, p, &it);
    while (pt_graph_edge_next(&it, &e)) {
        assert_int_equal(pt_graph_node_class(g, e.src), PT_CLASS_ITEM);
        n++;
    }
    assert_int_equal(n, 2);
    pt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_taxonomy_concepts_chain_and_orphans, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_taxonomy_en_and_zh_labels_meet_on_one_concept, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_taxonomy_lang_option_and_gzip, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_taxonomy_line_without_id_fails_with_file_and_line,
                                        ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_merchant_rss_items_variants_and_categories, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_merchant_atom_feed, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_malformed_xml_fails_with_file_and_line, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_external_entities_are_not_loaded, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_bmecat12_articles_groups_cycle_and_orphan, ctx_up,
                                        ctx_down),
        cmocka_unit_test_setup_teardown(test_bmecat2005_products_and_prices, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_sniffing, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_out_of_memory, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_real_google_taxonomies, ctx_up, ctx_down),
        cmocka_unit_test_setup_teardown(test_real_bmecat_and_merchant, ctx_up, ctx_down),
    };
    return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
