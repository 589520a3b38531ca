/*
 * cmd_tag.c - `portrait tag`: keyword tags for every item and, with a sentiment model, scores
 * for every review and the likes / dislikes they imply (pt_tag.h), committed to the store like
 * an import: all or nothing, and idempotent.
 */
#include <string.h>

#include "cli.h"

/* Run `portrait tag`. */
static int run_tag(cli_args *a) {
    long top;
    if (cli_int(a, "top", 5, 1, 50, &top) != 0) {
        return EXIT_USAGE;
    }
    pt_ctx *ctx;
    pt_store *st;
    int ex = cli_open_store(a, 1, &ctx, &st);
    if (ex != 0) {
        return ex;
    }
    double t0 = cli_now();
    pt_textclf *model = NULL;
    pt_builder *b = NULL;
    pt_graph *g = NULL;
    pt_tag_stats ts;
    int rc = PT_OK, is_store = 0;
    const char *mpath = cli_opt(a, "model");
    if (mpath != NULL) {
        rc = pt_textclf_load(ctx, mpath, &model);
        if (rc == PT_OK && pt_textclf_task(model) != PT_TEXT_SENTIMENT) {
            cli_err(a, "%s is not a sentiment model", mpath);
            pt_textclf_free(model);
            pt_store_close(st);
            pt_ctx_free(ctx);
            return EXIT_INPUT;
        }
    }
    pt_tag_opts o;
    pt_tag_opts_init(&o);
    o.top_k = (uint32_t)top;
    if (rc == PT_OK) {
        rc = pt_builder_new(ctx, pt_store_graph(st), &b);
    }
    if (rc == PT_OK) {
        rc = pt_tag_graph(ctx, pt_store_graph(st), model, &o, b, &ts);
    }
    if (rc == PT_OK) {
        rc = pt_builder_finish(b, &g);
        b = NULL;
    }
    if (rc == PT_OK) {
        rc = pt_store_commit(st, g, "tag");
        is_store = rc != PT_OK;
        if (rc != PT_OK) {
            pt_graph_free(g);
        }
    }
    cli_progress_done();
    if (rc != PT_OK) {
        cli_err(a, "%s", pt_ctx_errmsg(ctx));
    } else {
        char sec[32];
        printf("tagged in %s: %llu item tags (%llu matched existing tags or categories, %llu new "
               "tags), %llu reviews scored, %llu likes/dislikes\n",
               cli_seconds(cli_now() - t0, sec, sizeof sec), (unsigned long long)ts.item_tags,
               (unsigned long long)ts.matched, (unsigned long long)ts.new_tags,
               (unsigned long long)ts.reviews, (unsigned long long)ts.opinions);
    }
    pt_builder_free(b);
    pt_textclf_free(model);
    pt_store_close(st);
    pt_ctx_free(ctx);
    return cli_exit_for(rc, is_store);
}

static const char *const tag_opts[] = {"model=", "top=", NULL};

const cli_cmd cmd_tag = {
    "tag",
    "keyword tags for items and sentiment for reviews, into the store",
    "usage: portrait tag [--model SENTIMENT.model] [--top N]\n"
    "\n"
    "Give every item keyword tags from its titles, descriptions and reviews (TF-IDF and\n"
    "TextRank; a keyword that is the label of an existing tag or category links to it, else a\n"
    "new Tag node is made): item pt:hasTag tag, weighted. With --model (a sentiment model from\n"
    "'portrait text train --task sentiment'), score every review in [-1, 1]: the event gets\n"
    "pt:sentiment, the user a pt:reviewSentiment edge to the item, and pt:likes / pt:dislikes\n"
    "edges to the item's tags. Committed like an import; running it twice changes nothing.\n"
    "\n"
    "  --top N   keywords per item considered (default 5)\n",
    tag_opts,
    run_tag,
    0, /* options only */
};
