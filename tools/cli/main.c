/*
 * main.c - the `portrait` command: global options, the subcommand table, help and version.
 * Each subcommand lives in its own cmd_*.c and uses only the public API, like SQLite's shell and
 * LMDB's mdb_* tools.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Every subcommand, in the order `portrait --help` lists them. */
static const cli_cmd *const commands[] = {
    &cmd_import,    &cmd_stats,   &cmd_neighborhood, &cmd_export, &cmd_verify,
    &cmd_recommend, &cmd_explain, &cmd_profile,      &cmd_profiles, &cmd_eval,
    &cmd_text,      &cmd_tag,
    &cmd_sparql,    &cmd_cnn,     &cmd_seq,
    &cmd_serve,
    &cmd_events,    &cmd_compact, &cmd_erase,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Print the top-level help to `f`. */
static void usage(FILE *f) {
    fprintf(f,
            "usage: portrait [--store PATH] COMMAND [options]\n"
            "\n"
            "Portrait builds e-commerce user profiles on a knowledge graph.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(f, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
    }
    fprintf(f,
            "\n"
            "Global options:\n"
            "  --store PATH   the store (default $PORTRAIT_STORE, else ./portrait.db)\n"
            "  --help         this text; 'portrait COMMAND --help' for a command\n"
            "  --version      print the version\n"
            "\n"
            "Ids on the command line are IRIs (<...> or full), prefixed names (schema:Product),\n"
            "blank nodes (_:b1), or the local ids used at import (42, B00123).\n"
            "\n"
            "Exit codes: 0 ok, 1 usage, 2 bad input, 3 not found, 4 store or system error.\n");
}

int main(int argc, char **argv) {
    const char *store = NULL;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return EXIT_OK_;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("portrait %s\n", pt_version());
            return EXIT_OK_;
        }
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc) {
            store = argv[++i];
        } else if (strncmp(argv[i], "--store=", 8) == 0) {
            store = argv[i] + 8;
        } else {
            fprintf(stderr, "portrait: unknown option %s (see 'portrait --help')\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        if (i + 1 < argc) {
            name = argv[i + 1];
            for (size_t k = 0; k < N_COMMANDS; k++) {
                if (strcmp(commands[k]->name, name) == 0) {
                    fputs(commands[k]->usage, stdout);
                    return EXIT_OK_;
                }
            }
            fprintf(stderr, "portrait: no command '%s'\n", name);
            return EXIT_USAGE;
        }
        usage(stdout);
        return EXIT_OK_;
    }
    for (size_t k = 0; k < N_COMMANDS; k++) {
        const cli_cmd *c = commands[k];
        if (strcmp(c->name, name) != 0) {
            continue;
        }
        for (int j = i + 1; j < argc; j++) {
            if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
                fputs(c->usage, stdout);
                return EXIT_OK_;
            }
        }
        cli_args a;
        int rc = cli_parse(c, argc - i - 1, argv + i + 1, &a);
        if (rc == 0) {
            if (store != NULL && cli_opt(&a, "store") == NULL) {
                setenv("PORTRAIT_STORE", store, 1);
            }
            rc = c->run(&a);
        }
        cli_args_free(&a);
        return rc;
    }
    fprintf(stderr, "portrait: no command '%s' (see 'portrait --help')\n", name);
    return EXIT_USAGE;
}
