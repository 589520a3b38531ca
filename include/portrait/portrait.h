/*
 * portrait.h - the umbrella header of libportrait.
 *
 * Portrait builds e-commerce user profiles on a knowledge graph. Read the headers in this
 * order: pt_error.h (codes), pt_ctx.h (the context), pt_graph.h (the graph and its builder),
 * pt_import.h (RDF and event files in, RDF out), pt_store.h (the durable store), pt_vocab.h
 * (vocabulary IRIs).
 */
#ifndef PORTRAIT_H
#define PORTRAIT_H

#include "pt_error.h"
#include "pt_ctx.h"
#include "pt_graph.h"
#include "pt_import.h"
#include "pt_store.h"
#include "pt_vocab.h"
#include "pt_walk.h"
#include "pt_profile.h"
#include "pt_eval.h"
#include "pt_nlp.h"
#include "pt_tag.h"
#include "pt_query.h"
#include "pt_live.h"
#include "pt_vec.h"
#include "pt_cnn.h"
#include "pt_seq.h"

#endif /* PORTRAIT_H */
