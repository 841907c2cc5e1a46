/*
 * cli-util.c: option parsing and error reporting shared by every command,
 * so all of them answer --help, unknown options and missing arguments the
 * same way: one line on stderr and exit 2.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rsgate/config.h"
#include "rsgate/util.h"

#include "rsgate.h"

void
cli_print_help(const struct cmd_entry *self, FILE *f)
{
	fprintf(f, "usage: rsgate %s %s\n\n%s\n", self->name, self->usage,
	    self->summary);
	if (self->help != NULL && *self->help != '\0')
		fprintf(f, "\n%s", self->help);
	fprintf(f, "\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

static void
cli_vmsg(const struct cmd_entry *self, const char *fmt, va_list ap)
{
	fprintf(stderr, "rsgate %s: ", self->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int
cli_usage_error(const struct cmd_entry *self, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(self, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int
cli_fail(const struct cmd_entry *self, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(self, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int
cli_getopt(const struct cmd_entry *self, int argc, char **argv,
    const char *shortopts, const struct option *longopts, int *exitp)
{
	char opts[128];
	int c, idx = 0;

	/* ":" first: report missing arguments as ':' rather than '?'. */
	if (snprintf(opts, sizeof(opts), ":h%s", shortopts) >= (int)sizeof(opts))
		return -2;
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, opts, longopts, &idx);
		if (c == 'h' || (c == 0 && longopts != NULL &&
		    strcmp(longopts[idx].name, "help") == 0)) {
			cli_print_help(self, stdout);
			*exitp = EXIT_OK;
			return -2;
		}
		if (c == '?') {
			if (optopt != 0)
				*exitp = cli_usage_error(self,
				    "unknown option '-%c'", optopt);
			else
				*exitp = cli_usage_error(self,
				    "unknown option '%s'", argv[optind - 1]);
			return -2;
		}
		if (c == ':') {
			*exitp = cli_usage_error(self, "option '%s' needs a value",
			    argv[optind - 1]);
			return -2;
		}
		return c;
	}
}

const char *
cli_option_or_config(const char *value, const char *config_key)
{
	if (value != NULL)
		return value;
	if (config_key == NULL || cli_config == NULL)
		return NULL;
	return config_get_string(cli_config, config_key);
}
