/*
 * sparql.c - SPARQL over the in-memory graph. rasqal parses and evaluates the query; this file
 * is the triples source it asks for matches of each triple pattern, answered from the graph's
 * CSR rows, and the writer that hands the results to rasqal's and raptor's serializers.
 *
 * Pipeline: pt_sparql_run makes a rasqal world, installs our triples-source factory (after
 * rasqal_world_open, which installs the default raptor-backed one), prepares the query
 * (syntax errors are caught by the log handler with their line and column), executes it and
 * writes the results. Nothing is copied out of the graph: a pattern is answered by the cheapest
 * index (a subject's out-row, the predicate slice of it, an object's in-row, or a scan of all
 * rows), and graph terms become rasqal literals only when rasqal binds them, through a
 * per-node cache of shared (reference-counted) literals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rasqal.h>

#include "core/core.h"
#include "portrait/pt_query.h"

/* --- types -------------------------------------------------------------------------------- */

#define XSD_STRING "http://www.w3.org/2001/XMLSchema#string"

/* State of one pt_sparql_run call; the factory's user data. */
typedef struct sq_run {
    pt_ctx *ctx;
    const pt_graph *g;
    rasqal_world *rw;
    raptor_world *raw;
    uint32_t n_nodes;
    rasqal_literal **node_lit; /* [n_nodes] cached literal of each node, NULL until needed */
    int oom;                   /* sticky: an allocation in a callback failed */
    int n_errors;              /* messages of level >= error seen by the log handler */
    char errmsg[512];          /* the first such message, with its position */
} sq_run;

/* What the rasqal triples source keeps (rasqal allocates it: user_data_size). */
typedef struct sq_source {
    sq_run *run;
} sq_source;

/* One position of a triple pattern, resolved against the graph. */
enum { T_FREE = 0, T_NODE, T_LIT, T_ABSENT };
typedef struct sq_term {
    int kind;             /* T_FREE: an unbound variable; T_ABSENT: a constant not in g */
    pt_node_id id;        /* T_NODE */
    const char *lex;      /* T_LIT: lexical form */
    const char *lang;     /* T_LIT: language or NULL */
    const char *dt;       /* T_LIT: datatype IRI or NULL (xsd:string counts as NULL) */
    rasqal_variable *var; /* T_FREE: the variable, to spot ?x p ?x */
} sq_term;

/* An iteration over the triples that match one pattern. */
typedef struct sq_match {
    sq_run *run;
    sq_term s, p, o;
    int by_object; /* 1: walk the in-row of o.id; 0: subjects v in [v, v_end) */
    int single;    /* s, p, o all bound nodes: one edge lookup, at most one match */
    pt_node_id v, v_end;
    int phase; /* 0: start of row v, 1: edges, 2: literals, 3: row done */
    pt_edge_iter it;
    uint64_t li, ln;
    int end;
    /* the current triple */
    pt_node_id cs, cp, co;
    int c_lit; /* the object is literal property clit */
    pt_literal clit;
} sq_match;

/* --- terms ------------------------------------------------------------------------------- */

/* Copy `s` with malloc: rasqal frees the strings it is given with free(). NULL on OOM. */
static unsigned char *raw_dup(const char *s) {
    size_t n = strlen(s);
    unsigned char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n + 1);
    }
    return d;
}

/* Return a new reference to the rasqal literal of node `v` (an IRI or blank node), made once
 * and cached per node. NULL (and run->oom) on failure. */
static rasqal_literal *node_literal(sq_run *run, pt_node_id v) {
    if (run->node_lit[v] == NULL) {
        const char *str = pt_graph_node_str(run->g, v);
        rasqal_literal *l = NULL;
        if (pt_graph_node_kind(run->g, v) == PT_TERM_BLANK) {
            unsigned char *b = raw_dup(str);
            if (b != NULL) {
                l = rasqal_new_simple_literal(run->rw, RASQAL_LITERAL_BLANK, b);
            }
        } else {
            raptor_uri *u = raptor_new_uri(run->raw, (const unsigned char *)str);
            if (u != NULL) {
                l = rasqal_new_uri_literal(run->rw, u);
            }
        }
        if (l == NULL) {
            run->oom = 1;
            return NULL;
        }
        run->node_lit[v] = l;
    }
    return rasqal_new_literal_from_literal(run->node_lit[v]);
}

/* Return a new rasqal literal for literal property `lit`. NULL (and run->oom) on failure. */
static rasqal_literal *prop_literal(sq_run *run, const pt_literal *lit) {
    unsigned char *lex = raw_dup(lit->lex);
    char *lang = NULL;
    raptor_uri *dt = NULL;
    if (lex == NULL) {
        goto fail;
    }
    if (lit->lang != NULL && lit->lang[0] != '\0') {
        lang = (char *)raw_dup(lit->lang);
        if (lang == NULL) {
            goto fail;
        }
    } else if (lit->datatype != PT_NONE) {
        dt = raptor_new_uri(run->raw,
                            (const unsigned char *)pt_graph_node_str(run->g, lit->datatype));
        if (dt == NULL) {
            goto fail;
        }
    }
    /* Takes ownership of lex, lang and dt, also when it fails. */
    rasqal_literal *l = rasqal_new_string_literal(run->rw, lex, lang, dt, NULL);
    if (l == NULL) {
        run->oom = 1;
    }
    return l;
fail:
    free(lex);
    free(lang);
    run->oom = 1;
    return NULL;
}

/* Resolve pattern position `l` (a constant or a variable, bound or not) into `t`. Variables
 * bound by earlier patterns count as their value. */
static void resolve(sq_run *run, rasqal_literal *l, sq_term *t) {
    memset(t, 0, sizeof *t);
    t->kind = T_FREE;
    if (l == NULL) {
        return;
    }
    if (l->type == RASQAL_LITERAL_VARIABLE) {
        rasqal_variable *var = l->value.variable;
        if (var->value == NULL) {
            t->var = var;
            return;
        }
        l = var->value;
    }
    switch (l->type) {
    case RASQAL_LITERAL_URI: {
        size_t len = 0;
        const unsigned char *s = raptor_uri_as_counted_string(l->value.uri, &len);
        t->id = pt_graph_lookup(run->g, (const char *)s, len, PT_TERM_IRI);
        t->kind = t->id == PT_NONE ? T_ABSENT : T_NODE;
        return;
    }
    case RASQAL_LITERAL_BLANK:
        t->id = pt_graph_lookup(run->g, (const char *)l->string, strlen((const char *)l->string),
                                PT_TERM_BLANK);
        t->kind = t->id == PT_NONE ? T_ABSENT : T_NODE;
        return;
    default:
        if (l->string == NULL) {
            t->kind = T_ABSENT;
            return;
        }
        t->kind = T_LIT;
        t->lex = (const char *)l->string;
        t->lang = l->language != NULL && l->language[0] != '\0' ? l->language : NULL;
        t->dt = l->datatype != NULL ? (const char *)raptor_uri_as_string(l->datatype) : NULL;
        if (t->dt != NULL && strcmp(t->dt, XSD_STRING) == 0) {
            t->dt = NULL;
        }
        return;
    }
}

/* True when literal property `lit` is the RDF term `t` (lexical form, datatype and language
 * equal; language tags compare case-insensitively; xsd:string equals no datatype). */
static int literal_is(const sq_run *run, const pt_literal *lit, const sq_term *t) {
    if (strcmp(lit->lex, t->lex) != 0) {
        return 0;
    }
    int has_lang = lit->lang != NULL && lit->lang[0] != '\0';
    if (has_lang || t->lang != NULL) {
        return has_lang && t->lang != NULL && strcasecmp(lit->lang, t->lang) == 0;
    }
    const char *dt = lit->datatype != PT_NONE ? pt_graph_node_str(run->g, lit->datatype) : NULL;
    if (dt != NULL && strcmp(dt, XSD_STRING) == 0) {
        dt = NULL;
    }
    if (dt == NULL || t->dt == NULL) {
        return dt == t->dt;
    }
    return strcmp(dt, t->dt) == 0;
}

/* --- matching ------------------------------------------------------------------------------ */

/* True when the current triple agrees with a repeated variable (?x p ?x and the like). */
static int repeats_agree(const sq_match *m) {
    if (m->s.var != NULL && m->s.var == m->o.var && (m->c_lit || m->cs != m->co)) {
        return 0;
    }
    if (m->s.var != NULL && m->s.var == m->p.var && m->cs != m->cp) {
        return 0;
    }
    if (m->p.var != NULL && m->p.var == m->o.var && (m->c_lit || m->cp != m->co)) {
        return 0;
    }
    return 1;
}

/* Move to the next triple that matches the pattern, or set m->end. */
static void advance(sq_match *m) {
    const pt_graph *g = m->run->g;
    pt_node_id pf = m->p.kind == T_NODE ? m->p.id : PT_NONE;
    if (m->single) {
        m->end = 1;
        return;
    }
    if (m->by_object) {
        pt_node_id nbr, pred;
        while (pt_graph_edge_next_nbr(&m->it, &nbr, &pred)) {
            m->cs = nbr;
            m->cp = pred;
            m->co = m->o.id;
            m->c_lit = 0;
            if (repeats_agree(m)) {
                return;
            }
        }
        m->end = 1;
        return;
    }
    while (m->v < m->v_end) {
        switch (m->phase) {
        case 0:
            if (m->o.kind == T_LIT) {
                m->phase = 2;
                m->li = 0;
                m->ln = pt_graph_literal_count_of(g, m->v);
            } else {
                pt_graph_edges(g, m->v, 0, pf, &m->it);
                m->phase = 1;
            }
            break;
        case 1: {
            pt_node_id nbr, pred;
            while (pt_graph_edge_next_nbr(&m->it, &nbr, &pred)) {
                if (m->o.kind == T_NODE && nbr != m->o.id) {
                    continue;
                }
                m->cs = m->v;
                m->cp = pred;
                m->co = nbr;
                m->c_lit = 0;
                if (repeats_agree(m)) {
                    return;
                }
            }
            if (m->o.kind == T_NODE) {
                m->phase = 3;
            } else {
                m->phase = 2;
                m->li = 0;
                m->ln = pt_graph_literal_count_of(g, m->v);
            }
            break;
        }
        case 2:
            while (m->li < m->ln) {
                pt_literal lit;
                if (pt_graph_literal(g, m->v, m->li++, &lit) != PT_OK) {
                    continue;
                }
                if (pf != PT_NONE && lit.pred != pf) {
                    continue;
                }
                if (m->o.kind == T_LIT && !literal_is(m->run, &lit, &m->o)) {
                    continue;
                }
                m->cs = m->v;
                m->cp = lit.pred;
                m->c_lit = 1;
                m->clit = lit;
                if (repeats_agree(m)) {
                    return;
                }
            }
            m->phase = 3;
            break;
        default:
            m->v++;
            m->phase = 0;
            break;
        }
    }
    m->end = 1;
}

/* rasqal: bind the current triple's parts named in `parts` to `bindings`; returns the parts
 * bound, 0 on failure. */
static rasqal_triple_parts match_bind(rasqal_triples_match *rtm, void *user_data,
                                      rasqal_variable *bindings[4], rasqal_triple_parts parts) {
    sq_match *m = user_data;
    (void)rtm;
    if (m == NULL || m->end) {
        return RASQAL_TRIPLE_NONE;
    }
    if ((parts & RASQAL_TRIPLE_SUBJECT) && bindings[0] != NULL) {
        rasqal_literal *l = node_literal(m->run, m->cs);
        if (l == NULL) {
            return RASQAL_TRIPLE_NONE;
        }
        rasqal_variable_set_value(bindings[0], l);
    }
    if ((parts & RASQAL_TRIPLE_PREDICATE) && bindings[1] != NULL) {
        rasqal_literal *l = node_literal(m->run, m->cp);
        if (l == NULL) {
            return RASQAL_TRIPLE_NONE;
        }
        rasqal_variable_set_value(bindings[1], l);
    }
    if ((parts & RASQAL_TRIPLE_OBJECT) && bindings[2] != NULL) {
        rasqal_literal *l = m->c_lit ? prop_literal(m->run, &m->clit) : node_literal(m->run, m->co);
        if (l == NULL) {
            return RASQAL_TRIPLE_NONE;
        }
        rasqal_variable_set_value(bindings[2], l);
    }
    return parts;
}

/* rasqal: step to the next match. */
static void match_next(rasqal_triples_match *rtm, void *user_data) {
    (void)rtm;
    if (user_data != NULL) {
        advance(user_data);
    }
}

/* rasqal: non-zero at the end of the matches. */
static int match_is_end(rasqal_triples_match *rtm, void *user_data) {
    sq_match *m = user_data;
    (void)rtm;
    return m == NULL || m->end || m->run->oom;
}

/* rasqal: free the iteration. */
static void match_finish(rasqal_triples_match *rtm, void *user_data) {
    sq_match *m = user_data;
    (void)rtm;
    if (m != NULL) {
        pt__free(m->run->ctx, m);
    }
}

/* rasqal: start matching pattern `t` (its variables bound so far count as constants). Picks
 * the index: all three bound nodes: one edge lookup; a bound subject's out-row (narrowed to the
 * predicate slice when the predicate is bound); else a bound node object's in-row; else every
 * row. Returns 0. On OOM the match is empty (user_data NULL) and run->oom is set, because
 * rasqal 0.9.33 leaks and then crashes when this callback reports a failure. */
static int source_init_match(rasqal_triples_match *rtm, rasqal_triples_source *rts, void *user_data,
                             rasqal_triple_meta *meta, rasqal_triple *t) {
    sq_source *src = user_data;
    sq_run *run = src->run;
    (void)rts;
    rtm->bind_match = match_bind;
    rtm->next_match = match_next;
    rtm->is_end = match_is_end;
    rtm->finish = match_finish;
    rtm->user_data = NULL;
    /* rasqal binds through meta->bindings: name each position's variable, as its own sources
     * do; bind_match then sets the ones in `parts` (those this pattern binds first). */
    meta->bindings[0] = rasqal_literal_as_variable(t->subject);
    meta->bindings[1] = rasqal_literal_as_variable(t->predicate);
    meta->bindings[2] = rasqal_literal_as_variable(t->object);
    meta->bindings[3] = NULL;
    sq_match *m = run->oom ? NULL : pt__calloc(run->ctx, 1, sizeof *m);
    if (m == NULL) {
        run->oom = 1;
        return 0;
    }
    m->run = run;
    rtm->user_data = m;

    resolve(run, t->subject, &m->s);
    resolve(run, t->predicate, &m->p);
    resolve(run, t->object, &m->o);
    if (m->s.kind == T_ABSENT || m->p.kind == T_ABSENT || m->o.kind == T_ABSENT ||
        m->s.kind == T_LIT || m->p.kind == T_LIT) {
        m->end = 1;
        return 0;
    }
    pt_node_id pf = m->p.kind == T_NODE ? m->p.id : PT_NONE;
    if (m->s.kind == T_NODE && m->p.kind == T_NODE && m->o.kind == T_NODE) {
        /* A binary search in the predicate slice of the subject's row. */
        pt_edge e;
        m->single = 1;
        m->cs = m->s.id;
        m->cp = m->p.id;
        m->co = m->o.id;
        m->end = !pt_graph_edge_find(run->g, m->s.id, m->p.id, m->o.id, &e);
        return 0;
    }
    if (m->s.kind == T_NODE) {
        m->v = m->s.id;
        m->v_end = m->s.id + 1;
    } else if (m->o.kind == T_NODE) {
        m->by_object = 1;
        pt_graph_edges(run->g, m->o.id, 1, pf, &m->it);
    } else {
        m->v = 0;
        m->v_end = run->n_nodes;
    }
    advance(m);
    return 0;
}

/* rasqal: non-zero when the fully bound triple `t` is in the graph. */
static int source_triple_present(rasqal_triples_source *rts, void *user_data, rasqal_triple *t) {
    sq_source *src = user_data;
    sq_run *run = src->run;
    sq_term s, p, o;
    (void)rts;
    resolve(run, t->subject, &s);
    resolve(run, t->predicate, &p);
    resolve(run, t->object, &o);
    if (s.kind != T_NODE || p.kind != T_NODE) {
        return 0;
    }
    if (o.kind == T_NODE) {
        pt_edge e;
        return pt_graph_edge_find(run->g, s.id, p.id, o.id, &e);
    }
    if (o.kind != T_LIT) {
        return 0;
    }
    uint64_t n = pt_graph_literal_count_of(run->g, s.id);
    for (uint64_t i = 0; i < n; i++) {
        pt_literal lit;
        if (pt_graph_literal(run->g, s.id, i, &lit) == PT_OK && lit.pred == p.id &&
            literal_is(run, &lit, &o)) {
            return 1;
        }
    }
    return 0;
}

/* rasqal: the source owns nothing of its own (the run does). */
static void source_free(void *user_data) {
    (void)user_data;
}

/* rasqal (factory v2): initialise a triples source over the run's graph, ignoring any data
 * graphs named by the query (FROM): the dataset is the graph. Returns 0. */
static int factory_init_source(rasqal_query *query, void *factory_user_data, void *user_data,
                               rasqal_triples_source *rts, rasqal_triples_error_handler handler) {
    sq_source *src = user_data;
    (void)query;
    (void)handler;
    src->run = factory_user_data;
    rts->version = 1;
    rts->init_triples_match = source_init_match;
    rts->triple_present = source_triple_present;
    rts->free_triples_source = source_free;
    return 0;
}

/* rasqal: fill in our factory (user_data was set by rasqal_set_triples_source_factory). */
static int factory_register(rasqal_triples_source_factory *f) {
    f->version = 2;
    f->user_data_size = sizeof(sq_source);
    f->new_triples_source = NULL;
    f->init_triples_source = factory_init_source;
    return 0;
}

/* raptor/rasqal log handler: keep the first error with its position. */
static void log_handler(void *user_data, raptor_log_message *msg) {
    sq_run *run = user_data;
    if (msg->level < RAPTOR_LOG_LEVEL_ERROR) {
        return;
    }
    if (run->n_errors++ > 0) {
        return;
    }
    const char *text = msg->text != NULL ? msg->text : "error";
    if (msg->locator != NULL && msg->locator->line > 0) {
        if (msg->locator->column >= 0) {
            snprintf(run->errmsg, sizeof run->errmsg, "line %d, column %d: %s", msg->locator->line,
                     msg->locator->column, text);
        } else {
            snprintf(run->errmsg, sizeof run->errmsg, "line %d: %s", msg->locator->line, text);
        }
    } else {
        snprintf(run->errmsg, sizeof run->errmsg, "%s", text);
    }
}

/* --- writing ------------------------------------------------------------------------------- */

/* Write a CONSTRUCT/DESCRIBE result through raptor serializer `name`. Returns PT_OK or a code. */
static int write_graph(sq_run *run, rasqal_query_results *res, const char *name,
                       raptor_iostream *io) {
    raptor_serializer *ser = raptor_new_serializer(run->raw, name);
    if (ser == NULL) {
        return pt__error(run->ctx, PT_EINVAL, "sparql: no serializer '%s'", name);
    }
    int rc = PT_OK;
    if (raptor_serializer_start_to_iostream(ser, NULL, io) != 0) {
        rc = pt__error(run->ctx, PT_EIO, "sparql: cannot start the %s serializer", name);
        goto done;
    }
    for (;;) {
        raptor_statement *st = rasqal_query_results_get_triple(res);
        if (st == NULL) {
            break;
        }
        if (raptor_serializer_serialize_statement(ser, st) != 0) {
            rc = pt__error(run->ctx, PT_EIO, "sparql: cannot write a triple");
            goto done;
        }
        if (rasqal_query_results_next_triple(res) != 0) {
            break;
        }
    }
    raptor_serializer_serialize_end(ser);
done:
    raptor_free_serializer(ser);
    return rc;
}

/* --- API ----------------------------------------------------------------------------------- */

int pt_sparql_run(pt_ctx *ctx, const pt_graph *g, const char *query, const char *format,
                  const char *out_path) {
    sq_run run;
    rasqal_query *q = NULL;
    rasqal_query_results *res = NULL;
    raptor_iostream *io = NULL;
    int rc = PT_OK;

    memset(&run, 0, sizeof run);
    run.ctx = ctx;
    run.g = g;
    if (g == NULL || query == NULL) {
        return pt__error(ctx, PT_EINVAL, "sparql: graph or query is NULL");
    }
    if (format == NULL) {
        format = "json";
    }
    if (strcmp(format, "json") != 0 && strcmp(format, "tsv") != 0 &&
        strcmp(format, "turtle") != 0) {
        return pt__error(ctx, PT_EINVAL, "sparql: format '%s' is not json, tsv or turtle", format);
    }
    run.n_nodes = pt_graph_node_count(g);
    run.node_lit = pt__calloc(ctx, run.n_nodes + 1u, sizeof *run.node_lit);
    if (run.node_lit == NULL) {
        return pt__error(ctx, PT_ENOMEM, "sparql: out of memory");
    }
    run.rw = rasqal_new_world();
    if (run.rw == NULL || rasqal_world_open(run.rw) != 0) {
        rc = pt__error(ctx, PT_ENOMEM, "sparql: cannot make a rasqal world");
        goto done;
    }
    run.raw = rasqal_world_get_raptor(run.rw);
    rasqal_world_set_log_handler(run.rw, &run, log_handler);
    /* After rasqal_world_open, which installs the default (raptor-parsing) factory. */
    if (rasqal_set_triples_source_factory(run.rw, factory_register, &run) != 0) {
        rc = pt__error(ctx, PT_EINTERNAL, "sparql: cannot install the triples source");
        goto done;
    }
    q = rasqal_new_query(run.rw, "sparql", NULL);
    if (q == NULL) {
        rc = pt__error(ctx, PT_EINTERNAL, "sparql: no SPARQL parser in rasqal");
        goto done;
    }
    if (rasqal_query_prepare(q, (const unsigned char *)query, NULL) != 0) {
        rc = pt__error(ctx, PT_EPARSE, "SPARQL syntax error at %s",
                       run.n_errors > 0 ? run.errmsg : "an unknown position");
        goto done;
    }
    if (rasqal_query_get_verb(q) == RASQAL_QUERY_VERB_DESCRIBE) {
        /* rasqal 0.9.33 parses DESCRIBE but cannot execute it (roqet fails the same way). */
        rc = pt__error(ctx, PT_EUNSUPPORTED,
                       "sparql: DESCRIBE is not supported by rasqal; "
                       "use CONSTRUCT { <x> ?p ?o } WHERE { <x> ?p ?o }");
        goto done;
    }
    res = rasqal_query_execute(q);
    if (res == NULL || run.oom) {
        rc = run.oom ? pt__error(ctx, PT_ENOMEM, "sparql: out of memory")
                     : pt__error(ctx, PT_EINTERNAL, "sparql: execution failed: %s",
                                 run.n_errors > 0 ? run.errmsg : "unknown reason");
        goto done;
    }
    if (out_path == NULL || strcmp(out_path, "-") == 0) {
        io = raptor_new_iostream_to_file_handle(run.raw, stdout);
    } else {
        io = raptor_new_iostream_to_filename(run.raw, out_path);
    }
    if (io == NULL) {
        rc = pt__error(ctx, PT_EIO, "sparql: cannot open '%s' for writing",
                       out_path != NULL ? out_path : "-");
        goto done;
    }
    if (rasqal_query_results_is_graph(res)) {
        const char *ser = strcmp(format, "turtle") == 0 ? "turtle"
                          : strcmp(format, "tsv") == 0  ? "ntriples"
                                                        : "json";
        rc = write_graph(&run, res, ser, io);
    } else if (rasqal_query_results_is_boolean(res) && strcmp(format, "tsv") == 0) {
        /* rasqal's TSV writer only knows bindings; ASK as TSV is one word. */
        const char *word = rasqal_query_results_get_boolean(res) > 0 ? "true\n" : "false\n";
        if (raptor_iostream_string_write(word, io) != 0) {
            rc = pt__error(ctx, PT_EIO, "sparql: cannot write the result");
        }
    } else if (rasqal_query_results_write(io, res, format, NULL, NULL, NULL) != 0) {
        rc = pt__error(ctx, run.oom ? PT_ENOMEM : PT_EIO, "sparql: cannot write %s results%s%s",
                       format, run.n_errors > 0 ? ": " : "", run.n_errors > 0 ? run.errmsg : "");
    }
    if (rc == PT_OK && run.oom) {
        rc = pt__error(ctx, PT_ENOMEM, "sparql: out of memory");
    }
done:
    if (io != NULL) {
        raptor_free_iostream(io);
    }
    if (res != NULL) {
        rasqal_free_query_results(res);
    }
    if (q != NULL) {
        rasqal_free_query(q);
    }
    for (uint32_t v = 0; v < run.n_nodes; v++) {
        if (run.node_lit[v] != NULL) {
            rasqal_free_literal(run.node_lit[v]);
        }
    }
    pt__free(ctx, run.node_lit);
    if (run.rw != NULL) {
        rasqal_free_world(run.rw);
    }
    if (out_path == NULL || strcmp(out_path, "-") == 0) {
        fflush(stdout);
    }
    return rc;
}
