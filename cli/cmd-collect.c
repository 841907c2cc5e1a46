/*
 * cmd-collect.c: `rsgate collect --ticket T --device DEV --file PATH`
 * fetches a file from a device, through its access point, into the hub's
 * evidence vault (R42; POST /v1/tickets/T/collect, docs/API.md). The
 * ticket must grant log-collect on that device; the file never reaches
 * the engineer's machine (read it later with `rsgate evidence get`).
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-vault.h"

static int
cmd_collect_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ticket", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		CLI_HUB_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_hub hc = { NULL, NULL, NULL, NULL };
	const char *ticket = NULL, *device = NULL, *file = NULL;
	struct api *api = NULL;
	json_t *body = NULL, *rep = NULL;
	char path[1024] = "/v1/tickets/", *text = NULL, q[300];
	int o, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (o == 't')
			ticket = optarg;
		else if (o == 'd')
			device = optarg;
		else if (o == 'f')
			file = optarg;
		else if (!cli_hub_opt(&hc, o, optarg))
			return cli_usage_error(self, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (ticket == NULL || device == NULL || file == NULL)
		return cli_usage_error(self, "--ticket, --device and --file "
		    "are required");
	if (cli_path_escape(ticket, path, sizeof(path)) != 0 ||
	    cli_path_append(path, sizeof(path), "/collect") != 0)
		return cli_usage_error(self, "--ticket is too long");
	if (cli_hub_open(self, &hc, &api, &ex) != 0)
		return ex;
	if ((body = json_pack("{s:s, s:s}", "device", device, "path",
	    file)) == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		ex = cli_fail(self, "out of memory");
		goto out;
	}
	if ((ex = cli_hub_call(self, api, "POST", path, text, 201,
	    &rep)) != EXIT_OK)
		goto out;
	printf("collected %s from %s into the evidence vault of ticket %s: "
	    "%lld bytes, SHA-256 %s\n",
	    str_escape(json_string_value(json_object_get(rep, "name")), q,
	    sizeof(q)), device, ticket,
	    (long long)json_integer_value(json_object_get(rep, "size")),
	    json_string_value(json_object_get(rep, "sha256")) != NULL ?
	    json_string_value(json_object_get(rep, "sha256")) : "?");
 out:
	free(text);
	json_decref(body);
	json_decref(rep);
	api_free(api);
	return ex;
}

const struct cmd_entry cmd_collect_entry = {
	"collect",
	"--ticket T --device DEV --file PATH [--hub H --cert F --key F --ca F]",
	"fetch a file from a device into the hub's evidence vault",
	"  --ticket T         the ticket that grants log-collect on DEV\n"
	"  --device DEV       the device\n"
	"  --file PATH        the file, as the device's log-collect service "
	"names it\n"
	CLI_HUB_HELP
	"The file is encrypted at rest at the hub under the ticket's key and\n"
	"destroyed when the ticket ends (deletion certificate).\n",
	cmd_collect_exec,
};
