/*
 * cmd-vault-keygen.c: `rsgate vault keygen --out FILE` creates the hub's
 * vault master key (32 random bytes, mode 0600, never overwritten), for an
 * operator who wants it in place before the hub's first start (the hub
 * creates it itself otherwise).
 */
#include <stdio.h>

#include "rsgate/vault.h"

#include "rsgate.h"

static int
cmd_vault_keygen_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int o, r, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (o == 'o')
			out = optarg;
		else
			return cli_usage_error(self, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (out == NULL)
		return cli_usage_error(self, "--out is required");
	if ((r = vault_master_key_create(out)) != 0)
		return cli_fail(self, "%s: %s", out, r == RSG_ERR_EXISTS ?
		    "already exists (never overwritten)" : rsg_strerror(r));
	printf("created the vault master key %s (mode 0600)\n", out);
	return EXIT_OK;
}

const struct cmd_entry cmd_vault_keygen_entry = {
	"vault keygen",
	"--out FILE",
	"create the hub's evidence vault master key",
	"  --out FILE         where to write it (mode 0600; never overwritten)\n"
	"Point the hub's master_key at it. Losing it loses the evidence;\n"
	"anyone who has it and the hub's store can read undeleted evidence.\n",
	cmd_vault_keygen_exec,
};
