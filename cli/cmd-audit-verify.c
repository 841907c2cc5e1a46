/*
 * cmd-audit-verify.c: `rsgate audit verify` checks a log's hash chain,
 * columns and signed checkpoints (R36) and prints one line: the summary
 * when intact (exit 0), the first bad record and why when not (exit 1).
 */
#include <stdio.h>
#include <unistd.h>

#include "rsgate/audit.h"

#include "rsgate.h"

static int
cmd_audit_verify_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_verify_result res;
	const char *db = NULL, *key = NULL;
	char line[512];
	int c, r, ex = EXIT_OK;

	while ((c = cli_getopt(self, argc, argv, "d:k:", longopts, &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			db = optarg;
			break;
		case 'k':
			key = optarg;
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
	key = cli_option_or_config(key, "audit_pubkey");
	if (key != NULL && access(key, R_OK) != 0)
		return cli_fail(self, "cannot read key %s", key);
	if ((r = audit_verify(db, key, &res)) != 0) {
		if (r == RSG_ERR_NOT_FOUND)
			return cli_fail(self, "%s: no audit log there", db);
		return cli_fail(self, "cannot verify %s: %s", db,
		    rsg_strerror(r));
	}
	audit_verify_summary(&res, line, sizeof(line));
	printf("%s\n", line);
	return res.intact ? EXIT_OK : EXIT_FAIL;
}

const struct cmd_entry cmd_audit_verify_entry = {
	"audit verify", "--db FILE [--key PUBKEY]",
	"check an audit log for tampering; name the first bad record",
	"Options:\n"
	"  --db FILE       the log's database (config key audit_db)\n"
	"  --key PUBKEY    the log's public key (KEYFILE.pub from `audit\n"
	"                  init`; config key audit_pubkey). Without it,\n"
	"                  signatures are checked against the key stored in\n"
	"                  the log itself, which whoever replaced the whole\n"
	"                  log could also have replaced.\n"
	"\n"
	"Exit 0 and a summary when intact; exit 1 and the first bad record\n"
	"and why when records or checkpoints were changed, inserted, removed\n"
	"or reordered. Records after the last checkpoint are reported as not\n"
	"provably complete. Format: docs/AUDIT-FORMAT.md.\n",
	cmd_audit_verify_exec,
};
