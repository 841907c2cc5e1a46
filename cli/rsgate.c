/*
 * rsgate.c: main() of the `rsgate` command line. Finds the command named by
 * the first one or two arguments in cmd_table, loads the optional config
 * (-c FILE, or $RSGATE_CONFIG), and runs the command. Global options come
 * before the command: -c FILE, -t (check the config and exit), -T (print the
 * effective config, secrets redacted), -v (verbose logging), --help,
 * --version.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/config.h"
#include "rsgate/util.h"

#include "rsgate.h"

struct config *cli_config;

extern const struct config_table cli_config_table;

static void
usage_all(FILE *f)
{
	const struct cmd_entry *const *e;

	fprintf(f,
	    "usage: rsgate [-c FILE] [-t | -T] [-v] COMMAND [OPTIONS]\n"
	    "       rsgate --help | --version | COMMAND --help\n"
	    "\n"
	    "Secure remote maintenance of medical devices (JESRA TR-0034,\n"
	    "ISO/TR 11633). Commands:\n\n");
	for (e = cmd_table; *e != NULL; e++)
		fprintf(f, "  %-18s %s\n", (*e)->name, (*e)->summary);
	fprintf(f,
	    "\n"
	    "Global options:\n"
	    "  -c FILE    read defaults from this rsgate config file\n"
	    "             (also $RSGATE_CONFIG; keys: `rsgate config doc`)\n"
	    "  -t         check the config file and exit (0 when valid)\n"
	    "  -T         print the effective config, secrets redacted\n"
	    "  -v         log more (repeat for debug)\n"
	    "\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

/* Find the command for argv[0] (and argv[1]); *used = words consumed. */
static const struct cmd_entry *
find_command(int argc, char **argv, int *used)
{
	const struct cmd_entry *const *e;
	size_t n0;

	if (argc < 1)
		return NULL;
	n0 = strlen(argv[0]);
	for (e = cmd_table; *e != NULL; e++) {
		const char *name = (*e)->name;
		if (strcmp(name, argv[0]) == 0) {
			*used = 1;
			return *e;
		}
		if (argc >= 2 && strncmp(name, argv[0], n0) == 0 &&
		    name[n0] == ' ' && strcmp(name + n0 + 1, argv[1]) == 0) {
			*used = 2;
			return *e;
		}
	}
	return NULL;
}

/* Is word a command group ("pki")? Then list its commands. */
static int
group_help(const char *word, FILE *f)
{
	const struct cmd_entry *const *e;
	size_t n = strlen(word);
	int found = 0;

	for (e = cmd_table; *e != NULL; e++) {
		if (strncmp((*e)->name, word, n) == 0 && (*e)->name[n] == ' ') {
			if (!found)
				fprintf(f, "usage: rsgate %s COMMAND [OPTIONS]\n\n",
				    word);
			fprintf(f, "  %-18s %s\n", (*e)->name, (*e)->summary);
			found = 1;
		}
	}
	return found;
}

static int
load_config(const char *path, int check, int dump)
{
	struct rsg_buf *out = NULL;
	char err[512];
	int r;

	if ((r = config_new(&cli_config_table, &cli_config)) != 0) {
		fprintf(stderr, "rsgate: %s\n", rsg_strerror(r));
		return EXIT_FAIL;
	}
	if (path == NULL) {
		if (check || dump) {
			fprintf(stderr, "rsgate: -t and -T need a config "
			    "file (-c FILE or $RSGATE_CONFIG)\n");
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if (config_load_file(cli_config, path, err, sizeof(err)) != 0 ||
	    config_validate(cli_config, err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate: %s\n", err);
		return EXIT_FAIL;
	}
	if (check)
		printf("%s: configuration is valid\n", path);
	if (dump) {
		if ((out = buf_new(0)) == NULL ||
		    config_dump(cli_config, out) != 0) {
			buf_free(out);
			fprintf(stderr, "rsgate: cannot print config\n");
			return EXIT_FAIL;
		}
		fwrite(buf_ptr(out), 1, buf_len(out), stdout);
		buf_free(out);
	}
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *cmd;
	const char *config_path = getenv("RSGATE_CONFIG");
	int i, used = 0, check = 0, dump = 0, verbose = 0, asked, r;
	enum log_level level;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage_all(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("rsgate %s\n", RSGATE_VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "-c") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "rsgate: -c needs a file\n");
				return EXIT_USAGE;
			}
			config_path = argv[i];
		} else if (strcmp(argv[i], "-t") == 0)
			check = 1;
		else if (strcmp(argv[i], "-T") == 0)
			dump = 1;
		else if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "-vv") == 0)
			verbose += 2;
		else {
			fprintf(stderr, "rsgate: unknown option '%s'; try "
			    "'rsgate --help'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (config_path != NULL && *config_path == '\0')
		config_path = NULL;
	if ((r = load_config(config_path, check, dump)) != EXIT_OK)
		goto out;
	level = verbose >= 2 ? LOG_LEVEL_DEBUG :
	    verbose == 1 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN;
	/* The table already checked log_level, so parsing cannot fail. */
	if (verbose == 0 && cli_config != NULL &&
	    log_level_parse(config_get_string(cli_config, "log_level"),
	    &level) != 0)
		level = LOG_LEVEL_WARN;
	log_init("rsgate", level);
	if (check || dump) {
		r = EXIT_OK;
		goto out;
	}
	if (i >= argc) {
		usage_all(stderr);
		r = EXIT_USAGE;
		goto out;
	}
	if ((cmd = find_command(argc - i, argv + i, &used)) == NULL) {
		/* "rsgate pki --help" asked for the list: stdout, exit 0. */
		asked = i + 1 < argc && (strcmp(argv[i + 1], "--help") == 0 ||
		    strcmp(argv[i + 1], "-h") == 0);
		if (group_help(argv[i], asked ? stdout : stderr)) {
			if (i + 1 < argc && !asked)
				fprintf(stderr, "\nrsgate: unknown command "
				    "'%s %s'\n", argv[i], argv[i + 1]);
			r = asked ? EXIT_OK : EXIT_USAGE;
			goto out;
		}
		fprintf(stderr, "rsgate: unknown command '%s'; try "
		    "'rsgate --help'\n", argv[i]);
		r = EXIT_USAGE;
		goto out;
	}
	/* The command sees its full name as argv[0]. */
	argv[i + used - 1] = (char *)(uintptr_t)cmd->name;
	r = cmd->exec(cmd, argc - i - used + 1, argv + i + used - 1);
 out:
	config_free(cli_config);
	return r;
}
