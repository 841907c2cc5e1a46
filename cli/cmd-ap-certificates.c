/*
 * cmd-ap-certificates.c: `rsgate ap certificates [--ticket T] [--json]`
 * shows the deletion certificates this access point received from the hub
 * (R44): a list (ticket, when destroyed, items, verified again now), or
 * one ticket's certificate as Markdown. GET /v1/certificates[/T] on the
 * admin socket.
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-admin.h"
#include "cli-vault.h"
#include "rsgate.h"


static const char *
sv(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : "-";
}

int
cli_ap_docs(const struct cmd_entry *self, int argc, char **argv,
    const char *prefix, const char *listkey, int ticket_positional)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "ticket", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *apconf = NULL, *ticket = NULL, *md;
	json_t *rep = NULL, *a, *d;
	char uri[1024], q[3][300];
	size_t i;
	int o, ex = EXIT_OK, json = 0;

	while ((o = cli_getopt(self, argc, argv, "c:", longopts, &ex)) != -1) {
		switch (o) {
		case -2:
			return ex;
		case 'S':
			sock = optarg;
			break;
		case 'c':
			apconf = optarg;
			break;
		case 't':
			ticket = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error(self, "unknown option");
		}
	}
	if (ticket_positional && ticket == NULL && optind < argc)
		ticket = argv[optind++];
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (ticket_positional && ticket == NULL)
		return cli_usage_error(self, "a ticket is required");
	snprintf(uri, sizeof(uri), "%s%s", prefix, ticket != NULL ? "/" : "");
	if (ticket != NULL && cli_path_escape(ticket, uri, sizeof(uri)) != 0)
		return cli_usage_error(self, "the ticket id is too long");
	if ((ex = admin_call(self, sock, apconf, "GET", uri, NULL,
	    &rep)) != EXIT_OK)
		return ex;
	if (ticket != NULL) {
		md = json_string_value(json_object_get(rep, "markdown"));
		if (json)
			admin_print_json(rep);
		else if (!json_is_true(json_object_get(rep, "verified")))
			ex = cli_fail(self, "the stored document does not "
			    "verify: %s", sv(rep, "verify_error"));
		else if (md != NULL)
			fputs(md, stdout);
		json_decref(rep);
		return ex;
	}
	a = json_object_get(rep, listkey);
	if (json) {
		admin_print_json(a != NULL ? a : rep);
	} else if (!json_is_array(a) || json_array_size(a) == 0) {
		printf("none received\n");
	} else {
		printf("%-24s %-26s %-16s %-6s %s\n", "TICKET", "RECEIVED",
		    "DEVICE", "ITEMS", "VERIFIED");
		json_array_foreach(a, i, d) {
			printf("%-24s %-26s %-16s %-6lld %s\n",
			    str_escape(sv(d, "ticket"), q[0], sizeof(q[0])),
			    str_escape(sv(d, "received"), q[1], sizeof(q[1])),
			    str_escape(sv(d, "device"), q[2], sizeof(q[2])),
			    (long long)json_integer_value(json_object_get(d,
			    "items")), json_is_true(json_object_get(d,
			    "verified")) ? "yes" : "NO");
		}
	}
	json_decref(rep);
	return EXIT_OK;
}

static int
cmd_ap_certificates_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return cli_ap_docs(self, argc, argv, "/v1/certificates",
	    "certificates", 0);
}

const struct cmd_entry cmd_ap_certificates_entry = {
	"ap certificates",
	"[-c AP-CONF | --socket PATH] [--ticket T] [--json]",
	"show the deletion certificates the hub sent (verified again)",
	"  -c AP-CONF         the access point's config (its admin_socket)\n"
	"  --socket PATH      the admin socket\n"
	"  --ticket T         one ticket's certificate, as Markdown\n"
	"  --json             the raw JSON\n",
	cmd_ap_certificates_exec,
};
