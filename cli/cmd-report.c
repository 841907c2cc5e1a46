/*
 * cmd-report.c: `rsgate report --ticket T [--format md|json]
 * [--certificate]` shows the work report the hub issued when the ticket's
 * evidence was purged (R58), or with --certificate its deletion
 * certificate (R44): Markdown for people, or the signed JSON document
 * (check it offline with `rsgate verify-document`).
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-vault.h"

static int
cmd_report_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ticket", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "certificate", no_argument, NULL, 'c' },
		CLI_HUB_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_hub hc = { NULL, NULL, NULL, NULL };
	const char *ticket = NULL, *format = "md", *s;
	struct api *api = NULL;
	json_t *rep = NULL;
	char path[1024] = "/v1/tickets/";
	int o, cert = 0, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (o == 't')
			ticket = optarg;
		else if (o == 'f')
			format = optarg;
		else if (o == 'c')
			cert = 1;
		else if (!cli_hub_opt(&hc, o, optarg))
			return cli_usage_error(self, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (ticket == NULL)
		return cli_usage_error(self, "--ticket is required");
	if (strcmp(format, "md") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error(self, "--format must be md or json");
	if (cli_path_escape(ticket, path, sizeof(path)) != 0 ||
	    cli_path_append(path, sizeof(path), cert ? "/certificate" :
	    "/report") != 0)
		return cli_usage_error(self, "--ticket is too long");
	if (cli_hub_open(self, &hc, &api, &ex) != 0)
		return ex;
	if ((ex = cli_hub_call(self, api, "GET", path, NULL, 200,
	    &rep)) != EXIT_OK)
		goto out;
	s = json_string_value(json_object_get(rep, strcmp(format, "md") == 0 ?
	    "markdown" : "document"));
	if (s == NULL) {
		ex = cli_fail(self, "the hub's reply holds no document");
		goto out;
	}
	fputs(s, stdout);
	if (strcmp(format, "json") == 0)
		putchar('\n');
 out:
	json_decref(rep);
	api_free(api);
	return ex;
}

const struct cmd_entry cmd_report_entry = {
	"report",
	"--ticket T [--format md|json] [--certificate] [--hub H ...]",
	"show a ticket's work report (or deletion certificate)",
	"  --ticket T         the ticket (yours)\n"
	"  --format md|json   Markdown for people (default), or the signed\n"
	"                     JSON document (`rsgate verify-document` checks "
	"it)\n"
	"  --certificate      the deletion certificate instead of the report\n"
	CLI_HUB_HELP,
	cmd_report_exec,
};
