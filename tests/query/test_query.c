/*
 * test_query.c - SPARQL through rasqal over the in-memory graph: joins, FILTER on literals,
 * OPTIONAL, language tags, ASK, CONSTRUCT, syntax errors with their position, and one SELECT
 * compared with rasqal's own roqet over an N-Triples export (skipped without roqet).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* cmocka 1.1 needs the four headers above first */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h" /* engine-internal: pt__ctx_fail_after */
#include "portrait/portrait.h"

#define EX "http://ex.org/"
#define XSD_INT "http://www.w3.org/2001/XMLSchema#integer"
#define LABEL "http://www.w3.org/2000/01/rdf-schema#label"

/* The fixture: two users, three items, two categories, labels in two languages, prices. */
typedef struct fx {
    pt_ctx *ctx;
    pt_graph *g;
    char dir[64];
} fx;

/* Intern an IRI. */
static pt_node_id iri(pt_builder *b, const char *s) {
    return pt_builder_intern(b, s, strlen(s), PT_TERM_IRI);
}

/* Add a literal property with an optional datatype and language. */
static void lit(pt_builder *b, pt_node_id s, pt_node_id p, const char *lex, pt_node_id dt,
                const char *lang) {
    pt_builder_add_literal(b, s, p, lex, strlen(lex), dt, lang, lang != NULL ? strlen(lang) : 0);
}

static int setup(void **state) {
    static fx f;
    memset(&f, 0, sizeof f);
    if (pt_ctx_new(&f.ctx) != PT_OK) {
        return -1;
    }
    pt_builder *b;
    if (pt_builder_new(f.ctx, NULL, &b) != PT_OK) {
        return -1;
    }
    pt_node_id bought = iri(b, EX "purchased"), incat = iri(b, EX "inCategory"),
               price = iri(b, EX "price"), label = iri(b, LABEL), xint = iri(b, XSD_INT);
    pt_node_id u1 = iri(b, EX "u1"), u2 = iri(b, EX "u2"), i1 = iri(b, EX "i1"),
               i2 = iri(b, EX "i2"), i3 = iri(b, EX "i3"), c1 = iri(b, EX "c1"),
               c2 = iri(b, EX "c2");
    pt_builder_add_edge(b, u1, bought, i1, 1, 1700000000);
    pt_builder_add_edge(b, u1, bought, i2, 1, 1700000100);
    pt_builder_add_edge(b, u2, bought, i1, 1, 1700000200);
    pt_builder_add_edge(b, u2, bought, i3, 2, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, i1, incat, c1, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, i2, incat, c2, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, i3, incat, c1, 1, PT_TIME_UNKNOWN);
    lit(b, i1, label, "Red shoe", PT_NONE, "en");
    lit(b, i1, label, "Roter Schuh", PT_NONE, "de");
    lit(b, i2, label, "Blue hat", PT_NONE, "en");
    lit(b, i1, price, "30", xint, NULL);
    lit(b, i2, price, "12", xint, NULL);
    lit(b, u1, iri(b, EX "name"), "Ann", PT_NONE, NULL);
    if (pt_builder_finish(b, &f.g) != PT_OK) {
        return -1;
    }
    snprintf(f.dir, sizeof f.dir, "/tmp/pt_test_query_XXXXXX");
    if (mkdtemp(f.dir) == NULL) {
        return -1;
    }
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    pt_graph_free(f->g);
    pt_ctx_free(f->ctx);
    return 0;
}

/* Read a whole file into a static buffer. */
static const char *slurp(const char *path) {
    static char buf[65536];
    FILE *fp = fopen(path, "rb");
    size_t n = 0;
    if (fp != NULL) {
        n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
    }
    buf[n] = '\0';
    return buf;
}

/* Run `q` in `format` into a file of the fixture's directory; return pt_sparql_run's code and
 * the output through *out. */
static int run(fx *f, const char *q, const char *format, const char **out) {
    char path[128];
    snprintf(path, sizeof path, "%s/out", f->dir);
    int rc = pt_sparql_run(f->ctx, f->g, q, format, path);
    *out = slurp(path);
    return rc;
}

static void test_select_join_lists_items_with_categories(void **state) {
    const char *out;
    assert_int_equal(run(*state,
                         "SELECT ?i ?c WHERE { <" EX "u1> <" EX "purchased> ?i . ?i <" EX
                         "inCategory> ?c } ORDER BY ?i",
                         "tsv", &out),
                     PT_OK);
    assert_string_equal(out, "?i\t?c\n<" EX "i1>\t<" EX "c1>\n<" EX "i2>\t<" EX "c2>\n");
}

static void test_select_by_object_walks_the_in_row(void **state) {
    const char *out;
    assert_int_equal(
        run(*state, "SELECT ?u WHERE { ?u <" EX "purchased> <" EX "i1> } ORDER BY ?u", "tsv", &out),
        PT_OK);
    assert_string_equal(out, "?u\n<" EX "u1>\n<" EX "u2>\n");
}

static void test_filter_on_a_typed_literal(void **state) {
    const char *out;
    assert_int_equal(
        run(*state, "SELECT ?i ?p WHERE { ?i <" EX "price> ?p FILTER(?p > 20) }", "tsv", &out),
        PT_OK);
    assert_string_equal(out, "?i\t?p\n<" EX "i1>\t30\n");
}

static void test_optional_leaves_missing_price_unbound(void **state) {
    const char *out;
    assert_int_equal(run(*state,
                         "SELECT ?i ?p WHERE { <" EX "u2> <" EX "purchased> ?i OPTIONAL { ?i <" EX
                         "price> ?p } } ORDER BY ?i",
                         "tsv", &out),
                     PT_OK);
    assert_string_equal(out, "?i\t?p\n<" EX "i1>\t30\n<" EX "i3>\t\n");
}

static void test_language_tagged_literal_matches_only_its_language(void **state) {
    const char *out;
    assert_int_equal(
        run(*state, "SELECT ?i WHERE { ?i <" LABEL "> \"Roter Schuh\"@de }", "tsv", &out), PT_OK);
    assert_string_equal(out, "?i\n<" EX "i1>\n");
    assert_int_equal(
        run(*state, "SELECT ?i WHERE { ?i <" LABEL "> \"Roter Schuh\"@en }", "tsv", &out), PT_OK);
    /* rasqal's TSV writer prints no header for an empty result (roqet does the same). */
    assert_string_equal(out, "\n");
    assert_int_equal(run(*state,
                         "SELECT ?l WHERE { <" EX "i1> <" LABEL "> ?l FILTER(lang(?l) = \"en\") }",
                         "tsv", &out),
                     PT_OK);
    assert_string_equal(out, "?l\n\"Red shoe\"@en\n");
}

static void test_plain_literal_object_matches(void **state) {
    const char *out;
    assert_int_equal(run(*state, "SELECT ?s ?p WHERE { ?s ?p \"Ann\" }", "tsv", &out), PT_OK);
    assert_string_equal(out, "?s\t?p\n<" EX "u1>\t<" EX "name>\n");
}

static void test_ask_true_and_false(void **state) {
    const char *out;
    assert_int_equal(run(*state, "ASK { <" EX "u2> <" EX "purchased> <" EX "i3> }", "json", &out),
                     PT_OK);
    assert_non_null(strstr(out, "true"));
    assert_int_equal(run(*state, "ASK { <" EX "u1> <" EX "purchased> <" EX "i3> }", "tsv", &out),
                     PT_OK);
    assert_string_equal(out, "false\n");
    assert_int_equal(run(*state, "ASK { <" EX "nobody> ?p ?o }", "tsv", &out), PT_OK);
    assert_string_equal(out, "false\n");
}

static void test_construct_writes_triples(void **state) {
    const char *out;
    assert_int_equal(run(*state,
                         "CONSTRUCT { ?i <" EX "boughtBy> ?u } WHERE { ?u <" EX
                         "purchased> ?i . ?i <" EX "inCategory> <" EX "c2> }",
                         "tsv", &out),
                     PT_OK);
    assert_string_equal(out, "<" EX "i2> <" EX "boughtBy> <" EX "u1> .\n");
    assert_int_equal(run(*state, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "turtle", &out),
                     PT_OK);
    assert_non_null(strstr(out, "\"Roter Schuh\"@de"));
}

static void test_group_by_counts_co_purchases(void **state) {
    const char *out;
    assert_int_equal(run(*state,
                         "SELECT ?c (COUNT(?u) AS ?n) WHERE { ?u <" EX "purchased> ?i . ?i <" EX
                         "inCategory> ?c } GROUP BY ?c ORDER BY DESC(?n)",
                         "tsv", &out),
                     PT_OK);
    assert_string_equal(out, "?c\t?n\n<" EX "c1>\t3\n<" EX "c2>\t1\n");
}

static void test_syntax_error_reports_line(void **state) {
    fx *f = *state;
    const char *out;
    assert_int_equal(run(f, "SELECT ?x\nWHERE { ?x ?y }", "json", &out), PT_EPARSE);
    const char *msg = pt_ctx_errmsg(f->ctx);
    assert_non_null(strstr(msg, "syntax error"));
    assert_non_null(strstr(msg, "line 2"));
}

static void test_bad_format_and_describe_are_refused(void **state) {
    fx *f = *state;
    assert_int_equal(pt_sparql_run(f->ctx, f->g, "ASK {}", "xml", "-"), PT_EINVAL);
    assert_int_equal(pt_sparql_run(f->ctx, f->g, "DESCRIBE <" EX "i1>", "json", "-"),
                     PT_EUNSUPPORTED);
}

static void test_allocation_failures_give_enomem(void **state) {
    fx *f = *state;
    const char *q = "SELECT ?i ?c WHERE { ?u <" EX "purchased> ?i . ?i <" EX "inCategory> ?c }";
    char path[128];
    snprintf(path, sizeof path, "%s/oom", f->dir);
    int rc = PT_ENOMEM;
    for (uint64_t n = 1; n < 200 && rc != PT_OK; n++) {
        pt__ctx_fail_after(f->ctx, n);
        rc = pt_sparql_run(f->ctx, f->g, q, "tsv", path);
        assert_true(rc == PT_OK || rc == PT_ENOMEM);
    }
    pt__ctx_fail_after(f->ctx, 0);
    assert_int_equal(rc, PT_OK);
    assert_string_equal(slurp(path), "?i\t?c\n<" EX "i1>\t<" EX "c1>\n<" EX "i2>\t<" EX "c2>\n<" EX
                                     "i1>\t<" EX "c1>\n<" EX "i3>\t<" EX "c1>\n");
}

/* Sort the lines of file `in` into `out` with sort(1) in the C locale. */
static int sort_file(const char *in, const char *out) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "LC_ALL=C sort '%s' > '%s'", in, out);
    return system(cmd);
}

static void test_select_equals_roqet_over_export(void **state) {
    fx *f = *state;
    if (system("command -v roqet > /dev/null 2>&1") != 0) {
        skip();
    }
    const char *q = "SELECT ?u ?i ?c ?l WHERE { ?u <" EX "purchased> ?i . ?i <" EX
                    "inCategory> ?c OPTIONAL { ?i <" LABEL "> ?l } }";
    char nt[128], a[128], b[128], as[128], bs[128], cmd[1024];
    snprintf(nt, sizeof nt, "%s/x.nt", f->dir);
    snprintf(a, sizeof a, "%s/a.tsv", f->dir);
    snprintf(b, sizeof b, "%s/b.tsv", f->dir);
    snprintf(as, sizeof as, "%s/a.sorted", f->dir);
    snprintf(bs, sizeof bs, "%s/b.sorted", f->dir);
    assert_int_equal(pt_export_rdf(f->ctx, f->g, "ntriples", nt), PT_OK);
    assert_int_equal(pt_sparql_run(f->ctx, f->g, q, "tsv", a), PT_OK);
    snprintf(cmd, sizeof cmd, "roqet -q -i sparql -D '%s' -r tsv -e '%s' > '%s' 2>/dev/null", nt, q,
             b);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sort_file(a, as), 0);
    assert_int_equal(sort_file(b, bs), 0);
    char *sa = strdup(slurp(as));
    assert_non_null(sa);
    assert_string_equal(sa, slurp(bs));
    assert_non_null(strstr(sa, "Roter Schuh"));
    free(sa);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_join_lists_items_with_categories),
        cmocka_unit_test(test_select_by_object_walks_the_in_row),
        cmocka_unit_test(test_filter_on_a_typed_literal),
        cmocka_unit_test(test_optional_leaves_missing_price_unbound),
        cmocka_unit_test(test_language_tagged_literal_matches_only_its_language),
        cmocka_unit_test(test_plain_literal_object_matches),
        cmocka_unit_test(test_ask_true_and_false),
        cmocka_unit_test(test_construct_writes_triples),
        cmocka_unit_test(test_group_by_counts_co_purchases),
        cmocka_unit_test(test_syntax_error_reports_line),
        cmocka_unit_test(test_bad_format_and_describe_are_refused),
        cmocka_unit_test(test_allocation_failures_give_enomem),
        cmocka_unit_test(test_select_equals_roqet_over_export),
    };
    return cmocka_run_group_tests_name("query", tests, setup, teardown);
}
