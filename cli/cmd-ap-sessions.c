/*
 * cmd-ap-sessions.c: `rsgate ap sessions` shows who is connected to which
 * device service through this access point, now (R23): GET /v1/sessions
 * on the AP's admin socket.
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-admin.h"
#include "rsgate.h"

static const char *
sv(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : "-";
}

static int
cmd_ap_sessions_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *apconf = NULL;
	json_t *rep = NULL, *a, *s;
	char q[6][128];
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
	if ((ex = admin_call(self, sock, apconf, "GET", "/v1/sessions", NULL,
	    &rep)) != EXIT_OK)
		return ex;
	a = json_object_get(rep, "sessions");
	if (json) {
		admin_print_json(a != NULL ? a : rep);
		json_decref(rep);
		return EXIT_OK;
	}
	if (!json_is_array(a) || json_array_size(a) == 0) {
		printf("no sessions\n");
		json_decref(rep);
		return EXIT_OK;
	}
	printf("%-20s %-14s %-14s %-16s %-9s %8s %10s %10s\n", "ENGINEER",
	    "DEVICE", "SERVICE", "TICKET", "STATE", "SECONDS", "BYTES-UP",
	    "BYTES-DOWN");
	json_array_foreach(a, i, s) {
		printf("%-20s %-14s %-14s %-16s %-9s %8lld %10lld %10lld\n",
		    str_escape(sv(s, "engineer"), q[0], sizeof(q[0])),
		    str_escape(sv(s, "device"), q[1], sizeof(q[1])),
		    str_escape(sv(s, "service"), q[2], sizeof(q[2])),
		    str_escape(sv(s, "ticket"), q[3], sizeof(q[3])),
		    str_escape(sv(s, "state"), q[4], sizeof(q[4])),
		    (long long)json_integer_value(json_object_get(s,
		    "seconds")),
		    (long long)json_integer_value(json_object_get(s,
		    "bytes_up")),
		    (long long)json_integer_value(json_object_get(s,
		    "bytes_down")));
	}
	json_decref(rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_ap_sessions_entry = {
	"ap sessions",
	"[--socket PATH | -c AP-CONF] [--json]",
	"show who is connected to which device through this access point",
	"  --socket PATH      the access point's admin socket\n"
	"  -c AP-CONF         or read admin_socket from the AP's config\n"
	"  --json             print the sessions as JSON\n",
	cmd_ap_sessions_exec,
};
