/*
 * cmd-audit-init.c: `rsgate audit init` creates an audit log in a database
 * and, when the key file does not exist yet, the Ed25519 key that signs its
 * checkpoints (KEYFILE, mode 0600, and KEYFILE.pub to give to verifiers).
 * An existing log is never re-initialised.
 */
#include <stdio.h>
#include <unistd.h>

#include "rsgate/audit.h"

#include "rsgate.h"

static int
cmd_audit_init_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *key = NULL;
	struct audit_log *l = NULL;
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
	if ((key = cli_option_or_config(key, "audit_key")) == NULL)
		return cli_usage_error(self, "--key KEYFILE is required");
	if (access(key, F_OK) != 0) {
		if ((r = audit_key_generate(key)) != 0)
			return cli_fail(self, "cannot create key %s: %s", key,
			    rsg_strerror(r));
		printf("created audit key %s (public key %s.pub)\n", key, key);
	}
	r = audit_create(db, key, NULL, &l);
	if (r == RSG_ERR_EXISTS)
		return cli_fail(self, "%s already holds an audit log; "
		    "refusing to initialise it again", db);
	if (r != 0)
		return cli_fail(self, "cannot create audit log %s: %s", db,
		    rsg_strerror(r));
	if ((r = audit_close(l)) != 0)
		return cli_fail(self, "%s: %s", db, rsg_strerror(r));
	printf("created audit log %s\n", db);
	return EXIT_OK;
}

const struct cmd_entry cmd_audit_init_entry = {
	"audit init", "--db FILE --key KEYFILE",
	"create a new tamper-evident audit log and its signing key",
	"Options:\n"
	"  --db FILE       database to hold the log (created if missing;\n"
	"                  config key audit_db)\n"
	"  --key KEYFILE   Ed25519 private key that signs checkpoints; created\n"
	"                  with mode 0600, plus KEYFILE.pub, if it does not\n"
	"                  exist (config key audit_key)\n"
	"\n"
	"A database that already holds a log is refused.\n",
	cmd_audit_init_exec,
};
