/*
 * cmd-audit-export.c: `rsgate audit export` writes a log for SIEMs (R40):
 * JSON lines or RFC 5424 syslog lines on stdout, from a sequence number on.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rsgate/audit.h"

#include "rsgate.h"

static int
export_write(const char *line, size_t len, void *arg)
{
	FILE *f = arg;

	if (fwrite(line, 1, len, f) != len)
		return RSG_ERR_IO;
	return 0;
}

static int
cmd_audit_export_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_export_opts o;
	const char *db = NULL, *format = "jsonl";
	char host[256];
	int c, r, ex = EXIT_OK;

	memset(&o, 0, sizeof(o));
	while ((c = cli_getopt(self, argc, argv, "d:f:s:", longopts,
	    &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			db = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 's':
			if (parse_u64(optarg, 0, INT64_MAX, &o.since) != 0)
				return cli_usage_error(self, "--since needs a "
				    "sequence number, not '%s'", optarg);
			break;
		default:
			return cli_usage_error(self, "unexpected option");
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if ((db = cli_option_or_config(db, "audit_db")) == NULL)
		return cli_usage_error(self, "--db FILE is required");
	if (strcmp(format, "jsonl") == 0)
		o.format = AUDIT_EXPORT_JSONL;
	else if (strcmp(format, "syslog") == 0)
		o.format = AUDIT_EXPORT_SYSLOG;
	else
		return cli_usage_error(self, "--format must be jsonl or "
		    "syslog");
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		o.hostname = host;
	}
	r = audit_export(db, &o, export_write, stdout);
	if (r == 0 && fflush(stdout) != 0)
		r = RSG_ERR_IO;
	if (r == RSG_ERR_NOT_FOUND)
		return cli_fail(self, "%s: no audit log there", db);
	if (r != 0)
		return cli_fail(self, "cannot export %s: %s", db,
		    rsg_strerror(r));
	return EXIT_OK;
}

const struct cmd_entry cmd_audit_export_entry = {
	"audit export", "--db FILE [--format jsonl|syslog] [--since SEQ]",
	"export an audit log as JSON lines or RFC 5424 syslog (for SIEMs)",
	"Options:\n"
	"  --db FILE        the log's database (config key audit_db)\n"
	"  --format F       jsonl (default): one JSON object per record;\n"
	"                   syslog: one RFC 5424 line per record\n"
	"  --since SEQ      start at this sequence number (default: all)\n"
	"\n"
	"Exports what is stored; run `rsgate audit verify` to know it is\n"
	"genuine. Field names: docs/AUDIT-FORMAT.md.\n",
	cmd_audit_export_exec,
};
