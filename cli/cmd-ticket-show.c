/*
 * cmd-ticket-show.c: `rsgate ticket show T` prints one ticket with its
 * history (GET /v1/tickets/T); --grant prints the AP-signed grant.
 */
#include <stdio.h>
#include <string.h>

#include "cli-admin.h"
#include "cli-ticket.h"
#include "rsgate.h"

static int
cmd_ticket_show_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		HUB_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "grant", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub_opts ho;
	json_t *rep = NULL;
	const char *g;
	char path[128];
	int o, ex = EXIT_OK, json = 0, grant = 0;

	memset(&ho, 0, sizeof(ho));
	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (hub_opts_take(&ho, o, optarg))
			continue;
		if (o == 'j')
			json = 1;
		else if (o == 'g')
			grant = 1;
		else
			return cli_usage_error(self, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error(self, "one ticket is required");
	if (strlen(argv[optind]) > 64 || strspn(argv[optind],
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "._-") != strlen(argv[optind]) || argv[optind][0] == '\0')
		return cli_usage_error(self, "'%s' is not a ticket id",
		    argv[optind]);
	snprintf(path, sizeof(path), "/v1/tickets/%s", argv[optind]);
	if ((ex = hub_call(self, &ho, "GET", path, NULL, &rep)) != EXIT_OK)
		return ex;
	if (grant) {
		if ((g = json_string_value(json_object_get(rep,
		    "grant"))) == NULL) {
			json_decref(rep);
			return cli_fail(self, "ticket %s has no grant",
			    argv[optind]);
		}
		printf("%s\n", g);
	} else if (json)
		admin_print_json(rep);
	else
		ticket_print(rep);
	json_decref(rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_ticket_show_entry = {
	"ticket show",
	"T [--json | --grant]",
	"show one ticket and its history",
	"  --json             print it as JSON\n"
	"  --grant            print the grant the access point signed\n"
	HUB_OPTS_HELP,
	cmd_ticket_show_exec,
};
