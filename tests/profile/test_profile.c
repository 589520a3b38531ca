/*
 * test_profile.c - profiles as queries: interests weighted by action and widened up the
 * category hierarchy with their evidence, behaviour counts and RFM, similar users, cold start,
 * unknown users, appended events seen at once, and the Turtle output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "portrait/portrait.h"

/* The fixture graph: a two-level category tree, three items, three users. */
typedef struct fx {
    pt_ctx *ctx;
    pt_graph *g;
    pt_node_id alice, bob, carol, phones, audio, electronics, i1, i2, i3, tag_w, acme;
} fx;

/* Intern an IRI. */
static pt_node_id iri(pt_builder *b, const char *s) {
    return pt_builder_intern(b, s, strlen(s), PT_TERM_IRI);
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
    pt_node_id type = iri(b, PT_RDF_TYPE), broader = iri(b, PT_SKOS_BROADER),
               incat = iri(b, PT_IN_CATEGORY), tag = iri(b, PT_HAS_TAG),
               brand = iri(b, PT_BRAND_P), price = iri(b, PT_PRICE),
               bought = iri(b, PT_PURCHASED), viewed = iri(b, PT_VIEWED),
               user = iri(b, PT_USER), dec = iri(b, PT_XSD_DECIMAL);
    f.alice = iri(b, "http://s/user/alice");
    f.bob = iri(b, "http://s/user/bob");
    f.carol = iri(b, "http://s/user/carol");
    f.phones = iri(b, "http://s/cat/phones");
    f.audio = iri(b, "http://s/cat/audio");
    f.electronics = iri(b, "http://s/cat/electronics");
    f.i1 = iri(b, "http://s/item/1");
    f.i2 = iri(b, "http://s/item/2");
    f.i3 = iri(b, "http://s/item/3");
    f.tag_w = iri(b, "http://s/tag/wireless");
    f.acme = iri(b, "http://s/brand/acme");
    pt_builder_add_edge(b, f.phones, broader, f.electronics, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, f.audio, broader, f.electronics, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, f.i1, incat, f.phones, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, f.i2, incat, f.audio, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, f.i3, incat, f.audio, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, f.i2, tag, f.tag_w, 1, PT_TIME_UNKNOWN);
    pt_builder_add_edge(b, f.i2, brand, f.acme, 1, PT_TIME_UNKNOWN);
    pt_builder_add_literal(b, f.i1, price, "100.50", 6, dec, NULL, 0);
    pt_builder_add_literal(b, f.i2, price, "20", 2, dec, NULL, 0);
    /* alice: bought i1 and i2 (at hours 10 and 22), viewed i3 */
    pt_builder_add_edge(b, f.alice, bought, f.i1, 1, 86400 * 100 + 3600 * 10);
    pt_builder_add_edge(b, f.alice, bought, f.i2, 1, 86400 * 101 + 3600 * 22);
    pt_builder_add_edge(b, f.alice, viewed, f.i3, 1, 86400 * 101 + 3600 * 22 + 60);
    /* bob shares i2 and i3 with alice; carol only viewed i1 once (cold start) */
    pt_builder_add_edge(b, f.bob, bought, f.i2, 1, 86400 * 90);
    pt_builder_add_edge(b, f.bob, viewed, f.i3, 1, 86400 * 90);
    pt_builder_add_edge(b, f.carol, viewed, f.i1, 1, 86400 * 95);
    pt_builder_add_edge(b, f.carol, type, user, 1, PT_TIME_UNKNOWN);
    if (pt_builder_finish(b, &f.g) != PT_OK) {
        return -1;
    }
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    pt_graph_free(f->g);
    pt_ctx_free(f->ctx);
    return 0;
}

/* The interest of `p` about `node`, or NULL. */
static const pt_profile_interest *interest(const pt_profile *p, pt_node_id node) {
    for (size_t i = 0; i < p->n_interests; i++) {
        if (p->interests[i].node == node) {
            return &p->interests[i];
        }
    }
    return NULL;
}

static void test_interests_behaviour_and_rfm(void **state) {
    fx *f = *state;
    pt_profile_opts o;
    pt_profile_opts_default(&o);
    o.half_life_days = 0; /* no decay: weights are the action weights */
    pt_profile *p;
    assert_int_equal(pt_profile_build(f->ctx, f->g, f->alice, &o, &p), PT_OK);
    assert_false(p->cold_start);
    assert_int_equal(p->n_events, 3);
    assert_int_equal(p->count_by_role[PT_ROLE_PURCHASED], 2);
    assert_int_equal(p->count_by_role[PT_ROLE_VIEWED], 1);
    assert_int_equal(p->frequency, 2);
    assert_true(p->monetary > 120.49 && p->monetary < 120.51);
    assert_int_equal(p->first_seen, 86400 * 100 + 3600 * 10);
    assert_int_equal(p->active_hours[10], 1);
    assert_int_equal(p->active_hours[22], 2);
    /* audio: purchase 5 + view 1 = 6; phones: 5; electronics widened: 0.5 * (6 + 5) = 5.5 */
    const pt_profile_interest *audio = interest(p, f->audio), *phones = interest(p, f->phones),
                              *el = interest(p, f->electronics);
    assert_non_null(audio);
    assert_non_null(phones);
    assert_non_null(el);
    assert_true(audio->weight == 1.0);
    assert_true(phones->weight > 5.0 / 6 - 1e-9 && phones->weight < 5.0 / 6 + 1e-9);
    assert_true(el->weight > 5.5 / 6 - 1e-9 && el->weight < 5.5 / 6 + 1e-9);
    assert_int_equal(el->inherited, 1);
    assert_int_equal(audio->inherited, 0);
    assert_int_equal(audio->evidence[0], f->i2); /* the purchase outweighs the view */
    assert_int_equal(audio->n_evidence, 2);
    assert_non_null(interest(p, f->tag_w));
    assert_non_null(interest(p, f->acme));
    /* bob shares two items, carol one */
    assert_true(p->n_similar >= 2);
    assert_int_equal(p->similar[0].user, f->bob);
    assert_int_equal(p->similar[0].shared, 2);
    pt_profile_free(f->ctx, p);
}

static void test_cold_start_and_unknown_users(void **state) {
    fx *f = *state;
    pt_profile *p;
    assert_int_equal(pt_profile_build(f->ctx, f->g, f->carol, NULL, &p), PT_OK);
    assert_true(p->cold_start);
    assert_non_null(interest(p, f->phones));
    pt_profile_free(f->ctx, p);
    assert_int_equal(pt_profile_build(f->ctx, f->g, f->i1, NULL, &p), PT_ENOTFOUND);
    assert_null(p);
    assert_int_equal(pt_profile_build(f->ctx, f->g, 999999, NULL, &p), PT_ENOTFOUND);
}

static void test_appended_events_show_at_once(void **state) {
    fx *f = *state;
    pt_profile *p;
    pt_node_id bought = pt_graph_resolve(f->g, "pt:purchased", PT_CLASS_OTHER);
    assert_int_equal(pt_graph_add_edge(f->g, f->carol, bought, f->i2, 1, 86400 * 96), PT_OK);
    assert_int_equal(pt_profile_build(f->ctx, f->g, f->carol, NULL, &p), PT_OK);
    assert_false(p->cold_start);
    assert_int_equal(p->count_by_role[PT_ROLE_PURCHASED], 1);
    assert_non_null(interest(p, f->tag_w));
    pt_profile_free(f->ctx, p);
}

static void test_turtle_output_parses_back(void **state) {
    fx *f = *state;
    pt_profile *p;
    char path[64];
    snprintf(path, sizeof path, "/tmp/pt_profile_%d.ttl", (int)getpid());
    assert_int_equal(pt_profile_build(f->ctx, f->g, f->alice, NULL, &p), PT_OK);
    assert_int_equal(pt_profile_write_turtle(f->ctx, f->g, p, path), PT_OK);
    pt_builder *b;
    pt_graph *tg;
    pt_import_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(pt_builder_new(f->ctx, NULL, &b), PT_OK);
    assert_int_equal(pt_import_rdf(b, path, "turtle", NULL, &st), PT_OK);
    assert_int_equal(pt_builder_finish(b, &tg), PT_OK);
    pt_node_id u = pt_graph_resolve(tg, "http://s/user/alice", PT_CLASS_OTHER);
    pt_node_id has = pt_graph_resolve(tg, "pt:interest", PT_CLASS_OTHER);
    assert_int_not_equal(u, PT_NONE);
    pt_edge_iter it;
    pt_edge e;
    size_t n = 0;
    pt_graph_edges(tg, u, 0, has, &it);
    while (pt_graph_edge_next(&it, &e)) {
        n++;
    }
    assert_int_equal(n, p->n_interests);
    pt_graph_free(tg);
    pt_profile_free(f->ctx, p);
    remove(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interests_behaviour_and_rfm),
        cmocka_unit_test(test_cold_start_and_unknown_users),
        cmocka_unit_test(test_turtle_output_parses_back),
        cmocka_unit_test(test_appended_events_show_at_once),
    };
    return cmocka_run_group_tests_name("profile", tests, setup, teardown);
}
