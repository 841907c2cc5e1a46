/*
 * cmd-risk-check.c: `rsgate risk check --register FILE` loads and validates
 * a risk register the way `risk report` does, and says what it holds or
 * the first error as FILE:LINE: reason.
 */
#include <stdio.h>

#include "rsgate/risk.h"

#include "rsgate.h"

static int
cmd_risk_check_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "register", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct risk_register *reg = NULL;
	const char *path = NULL;
	char err[RISK_ERR_MAX];
	size_t rows, controls, facts, sites, assets;
	int o, rc, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (o != 'r')
			return cli_usage_error(self, "unknown option");
		path = optarg;
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	rc = path != NULL ? risk_register_load_file(path, &reg, err,
	    sizeof(err)) : risk_register_load_builtin(&reg, err, sizeof(err));
	if (rc != 0)
		return cli_fail(self, "%s", err);
	risk_register_counts(reg, &rows, &controls, &facts, &sites, &assets);
	printf("%s: ok: %zu sites, %zu assets, %zu controls, %zu facts, "
	    "%zu risk rows\n", path != NULL ? path : "(built-in register)",
	    sites, assets, controls, facts, rows);
	risk_register_free(reg);
	return ex;
}

const struct cmd_entry cmd_risk_check_entry = {
	"risk check", "[--register FILE]",
	"validate a risk register",
	"Loads the register (default: the built-in one) with every check of\n"
	"`risk report`: unknown keys, values outside the scales, undefined\n"
	"ids, duplicate asset numbers, predicates over unknown facts. Prints\n"
	"FILE:LINE: reason and exits 1 on the first error.\n"
	"  --register FILE   the register YAML\n",
	cmd_risk_check_exec,
};
