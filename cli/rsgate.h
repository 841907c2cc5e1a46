/*
 * rsgate.h: the command line's shared pieces. Each command lives in its own
 * cmd-<group>-<verb>.c (after tmux's cmd-*.c) and exports one cmd_entry;
 * cmd-table.c lists them all. main() in rsgate.c finds the entry and calls
 * it; the command parses its own options with cli_getopt().
 *
 * Exit codes, the same for every command:
 *   0  success
 *   1  the operation failed or what was checked is bad (e.g. a tampered log)
 *   2  usage error: unknown command or option, missing or bad argument
 */
#ifndef RSGATE_CLI_H
#define RSGATE_CLI_H

#include <getopt.h>
#include <stdio.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct config;

struct cmd_entry {
	const char *name;	/* "pki init": group and verb */
	const char *usage;	/* options and arguments after the name */
	const char *summary;	/* one line for `rsgate --help` */
	const char *help;	/* the option list shown by --help */
	/* argv[0] is the full command name; returns an exit code. */
	int (*exec)(const struct cmd_entry *self, int argc, char **argv);
};

/* Every command, in the order `rsgate --help` lists them. NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];

/* The loaded rsgate config (-c FILE or $RSGATE_CONFIG), or NULL. */
extern struct config *cli_config;

/*
 * getopt_long over argv with --help handled for the command: returns the
 * option character, -1 at the end, or -2 after it printed a one-line usage
 * error ("rsgate pki issue: unknown option '--x'") or the help text; the
 * caller then returns *exitp.
 */
int cli_getopt(const struct cmd_entry *self, int argc, char **argv,
    const char *shortopts, const struct option *longopts, int *exitp);
/* Print "rsgate CMD: message" to stderr and return EXIT_USAGE. */
int cli_usage_error(const struct cmd_entry *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "rsgate CMD: message" to stderr and return EXIT_FAIL. */
int cli_fail(const struct cmd_entry *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print the full help of one command to f. */
void cli_print_help(const struct cmd_entry *self, FILE *f);
/*
 * The value of an option: the command-line value if given, else the value of
 * rsgate config key config_key (NULL: none), else NULL. The caller reports a
 * missing required option (cli_usage_error, exit 2).
 */
const char *cli_option_or_config(const char *value, const char *config_key);

#endif
