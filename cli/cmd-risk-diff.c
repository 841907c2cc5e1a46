/*
 * cmd-risk-diff.c: `rsgate risk diff OLD.json NEW.json` explains what
 * changed between two evaluation records (`risk report --format json`):
 * facts, control states, and each changed row as a causal chain from the
 * fact to the status. Exit 1 when the new evaluation has a row that is
 * treat or reopened.
 */
#include <stdio.h>

#include "rsgate/risk.h"

#include "rsgate.h"

#define RISK_RECORD_MAX (16 * 1024 * 1024)

static int
cmd_risk_diff_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rsg_buf *a = NULL, *b = NULL, *out = NULL;
	char err[RISK_ERR_MAX];
	size_t bad = 0;
	int o, rc, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1)
		if (o == -2)
			return ex;
		else
			return cli_usage_error(self, "unknown option");
	if (argc - optind != 2)
		return cli_usage_error(self, "needs OLD.json and NEW.json");
	if ((rc = file_read_all(argv[optind], RISK_RECORD_MAX, &a)) != 0) {
		ex = cli_fail(self, "%s: %s", argv[optind], rsg_strerror(rc));
		goto out;
	}
	if ((rc = file_read_all(argv[optind + 1], RISK_RECORD_MAX, &b)) != 0) {
		ex = cli_fail(self, "%s: %s", argv[optind + 1],
		    rsg_strerror(rc));
		goto out;
	}
	if ((out = buf_new(0)) == NULL) {
		ex = cli_fail(self, "out of memory");
		goto out;
	}
	if (risk_diff((const char *)buf_ptr(a), buf_len(a),
	    (const char *)buf_ptr(b), buf_len(b), out, &bad, err,
	    sizeof(err)) != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	fwrite(buf_ptr(out), 1, buf_len(out), stdout);
	if (bad > 0)
		ex = EXIT_FAIL;
 out:
	buf_free(a);
	buf_free(b);
	buf_free(out);
	return ex;
}

const struct cmd_entry cmd_risk_diff_entry = {
	"risk diff", "OLD.json NEW.json",
	"explain what changed between two risk evaluations",
	"Compares two evaluation records written by `rsgate risk report\n"
	"--format json` and prints, as Markdown, the facts and control states\n"
	"that changed and, for each changed row, the chain from the fact to\n"
	"the status (fact -> control -> V -> R -> status). Exits 1 when the\n"
	"new evaluation has a row that is treat or reopened.\n",
	cmd_risk_diff_exec,
};
