/*
 * cmd-close.c: `rsgate close --ticket T` ends the engineer's work on a
 * ticket (POST /v1/tickets/T/close): its streams are cut, the access
 * point is told and the ticket's evidence is queued for deletion.
 */
#include <stdio.h>
#include <string.h>

#include "cli-admin.h"
#include "cli-ticket.h"
#include "rsgate.h"

static int
cmd_close_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		HUB_LONGOPTS,
		{ "ticket", required_argument, NULL, 'T' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub_opts ho;
	const char *ticket = NULL, *reason = "";
	json_t *rep = NULL, *body;
	char path[128];
	int o, ex = EXIT_OK, json = 0;

	memset(&ho, 0, sizeof(ho));
	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (hub_opts_take(&ho, o, optarg))
			continue;
		if (o == 'T')
			ticket = optarg;
		else if (o == 'r')
			reason = optarg;
		else if (o == 'j')
			json = 1;
		else
			return cli_usage_error(self, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (ticket == NULL || *ticket == '\0' || strlen(ticket) > 64 ||
	    strspn(ticket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	    "WXYZ0123456789._-") != strlen(ticket))
		return cli_usage_error(self, "--ticket T is required");
	snprintf(path, sizeof(path), "/v1/tickets/%s/close", ticket);
	if ((body = json_pack("{s:s}", "reason", reason)) == NULL)
		return cli_fail(self, "out of memory");
	ex = hub_call(self, &ho, "POST", path, body, &rep);
	json_decref(body);
	if (ex != EXIT_OK)
		return ex;
	if (json)
		admin_print_json(rep);
	else
		printf("ticket %s closed\n", ticket);
	json_decref(rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_close_entry = {
	"close",
	"--ticket T [--reason TEXT] [--json]",
	"close a ticket: end its streams and queue its data for deletion",
	"  --ticket T         the ticket (required)\n"
	"  --reason TEXT      a note for the record\n"
	"  --json             print the ticket as JSON\n"
	HUB_OPTS_HELP,
	cmd_close_exec,
};
