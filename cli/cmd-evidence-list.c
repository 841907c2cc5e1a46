/*
 * cmd-evidence-list.c: `rsgate evidence list --ticket T` lists the files in
 * the vault for a ticket: name, size, SHA-256, when collected (GET
 * /v1/tickets/T/evidence). The hub audits the read (evidence.read).
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-vault.h"

static int
cmd_evidence_list_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ticket", required_argument, NULL, 't' },
		CLI_HUB_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_hub hc = { NULL, NULL, NULL, NULL };
	const char *ticket = NULL;
	struct api *api = NULL;
	json_t *rep = NULL, *items, *it;
	char path[1024] = "/v1/tickets/", q[300];
	size_t i;
	int o, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (o == 't')
			ticket = optarg;
		else if (!cli_hub_opt(&hc, o, optarg))
			return cli_usage_error(self, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (ticket == NULL)
		return cli_usage_error(self, "--ticket is required");
	if (cli_path_escape(ticket, path, sizeof(path)) != 0 ||
	    cli_path_append(path, sizeof(path), "/evidence") != 0)
		return cli_usage_error(self, "--ticket is too long");
	if (cli_hub_open(self, &hc, &api, &ex) != 0)
		return ex;
	if ((ex = cli_hub_call(self, api, "GET", path, NULL, 200,
	    &rep)) != EXIT_OK)
		goto out;
	items = json_object_get(rep, "items");
	if (!json_is_array(items) || json_array_size(items) == 0) {
		printf("no evidence for ticket %s\n", ticket);
		goto out;
	}
	printf("%-32s %10s %-64s %s\n", "NAME", "BYTES", "SHA-256",
	    "COLLECTED");
	json_array_foreach(items, i, it) {
		const char *n = json_string_value(json_object_get(it, "name"));
		const char *h = json_string_value(json_object_get(it,
		    "sha256"));
		const char *c = json_string_value(json_object_get(it,
		    "collected"));

		printf("%-32s %10lld %-64s %s\n", str_escape(n != NULL ? n :
		    "?", q, sizeof(q)),
		    (long long)json_integer_value(json_object_get(it, "size")),
		    h != NULL ? h : "?", c != NULL ? c : "?");
	}
 out:
	json_decref(rep);
	api_free(api);
	return ex;
}

const struct cmd_entry cmd_evidence_list_entry = {
	"evidence list",
	"--ticket T [--hub H --cert F --key F --ca F]",
	"list a ticket's files in the hub's evidence vault",
	"  --ticket T         the ticket (yours)\n"
	CLI_HUB_HELP,
	cmd_evidence_list_exec,
};
