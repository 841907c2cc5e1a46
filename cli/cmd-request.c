/*
 * cmd-request.c: `rsgate request` asks the hospital for access to a device
 * under a ticket (POST /v1/tickets): the ticket and a reason are required
 * (R14), view-phi needs a purpose (R29). The hub relays the request to the
 * device's access point, where the hospital approves or denies it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-admin.h"
#include "cli-ticket.h"
#include "rsgate.h"

static int
cmd_request_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		HUB_LONGOPTS,
		{ "ticket", required_argument, NULL, 'T' },
		{ "device", required_argument, NULL, 'd' },
		{ "capabilities", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'D' },
		{ "reason", required_argument, NULL, 'r' },
		{ "purpose", required_argument, NULL, 'P' },
		{ "emergency", no_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub_opts ho;
	const char *ticket = NULL, *device = NULL, *caps = NULL;
	const char *dur = NULL, *reason = NULL, *purpose = "";
	json_t *body = NULL, *rep = NULL;
	int o, ex = EXIT_OK, json = 0, emergency = 0;

	memset(&ho, 0, sizeof(ho));
	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (hub_opts_take(&ho, o, optarg))
			continue;
		switch (o) {
		case 'T':
			ticket = optarg;
			break;
		case 'd':
			device = optarg;
			break;
		case 'p':
			caps = optarg;
			break;
		case 'D':
			dur = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'P':
			purpose = optarg;
			break;
		case 'E':
			emergency = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error(self, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (ticket == NULL || *ticket == '\0')
		return cli_usage_error(self, "--ticket is required (R14)");
	if (reason == NULL || *reason == '\0')
		return cli_usage_error(self, "--reason is required (R14)");
	if (device == NULL || caps == NULL || dur == NULL)
		return cli_usage_error(self, "--device, --capabilities and "
		    "--duration are required");
	if ((body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "ticket",
	    ticket, "device", device, "capabilities", caps, "duration", dur,
	    "reason", reason, "purpose", purpose, "emergency",
	    emergency)) == NULL)
		return cli_fail(self, "out of memory");
	ex = hub_call(self, &ho, "POST", "/v1/tickets", body, &rep);
	json_decref(body);
	if (ex != EXIT_OK)
		return ex;
	if (json)
		admin_print_json(rep);
	else
		printf("ticket %s requested: %s is waiting for the hospital's "
		    "decision at access point %s\n", ticket, device,
		    json_string_value(json_object_get(rep, "ap")) != NULL ?
		    json_string_value(json_object_get(rep, "ap")) : "?");
	json_decref(rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_request_entry = {
	"request",
	"--ticket T --device DEV --capabilities LIST --duration D "
	"--reason TEXT [--purpose TEXT] [--emergency] [--json]",
	"ask the hospital for access to a device under a ticket",
	"  --ticket T         your service ticket (required, R14)\n"
	"  --device DEV       the device\n"
	"  --capabilities L   comma list: remote-shell, remote-desktop,\n"
	"                     log-collect, file-upload, software-update,\n"
	"                     view-phi\n"
	"  --duration D       how long, e.g. 2h (the hospital may shorten)\n"
	"  --reason TEXT      why (required, R14)\n"
	"  --purpose TEXT     what for; required with view-phi (R29)\n"
	"  --emergency        an emergency request (R13; granted at once\n"
	"                     only where the hospital allows it)\n"
	"  --json             print the ticket as JSON\n"
	HUB_OPTS_HELP,
	cmd_request_exec,
};
