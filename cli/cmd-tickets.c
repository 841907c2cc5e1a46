/*
 * cmd-tickets.c: `rsgate tickets` lists the hub's tickets (GET
 * /v1/tickets), optionally in one state.
 */
#include <stdio.h>
#include <string.h>

#include "cli-admin.h"
#include "cli-ticket.h"
#include "rsgate.h"

static int
cmd_tickets_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		HUB_LONGOPTS,
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub_opts ho;
	const char *state = NULL;
	json_t *rep = NULL;
	char path[128];
	int o, ex = EXIT_OK, json = 0;

	memset(&ho, 0, sizeof(ho));
	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (hub_opts_take(&ho, o, optarg))
			continue;
		if (o == 's')
			state = optarg;
		else if (o == 'j')
			json = 1;
		else
			return cli_usage_error(self, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (state != NULL && (strlen(state) > 32 ||
	    strspn(state, "abcdefghijklmnopqrstuvwxyz") != strlen(state)))
		return cli_usage_error(self, "--state: a state name, e.g. "
		    "approved");
	snprintf(path, sizeof(path), "/v1/tickets%s%s", state != NULL ?
	    "?state=" : "", state != NULL ? state : "");
	if ((ex = hub_call(self, &ho, "GET", path, NULL, &rep)) != EXIT_OK)
		return ex;
	if (json)
		admin_print_json(json_object_get(rep, "tickets"));
	else
		tickets_print(json_object_get(rep, "tickets"));
	json_decref(rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_tickets_entry = {
	"tickets",
	"[--state STATE] [--json]",
	"list the hub's tickets",
	"  --state STATE      only tickets in STATE (notified, requested,\n"
	"                     approved, denied, active, closed, expired,\n"
	"                     terminated, purged)\n"
	"  --json             print them as JSON\n"
	HUB_OPTS_HELP,
	cmd_tickets_exec,
};
