/*
 * cmd-engineer.c: `rsgate engineer deactivate|activate NAME` (an
 * administrator's certificate): a deactivated engineer is refused by the
 * hub at once, and every stream of theirs is ended at the hub and at the
 * access points within seconds (R5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli-admin.h"
#include "cli-ticket.h"
#include "rsgate.h"

static int
engineer_exec(const struct cmd_entry *self, int argc, char **argv,
    const char *verb)
{
	static const struct option longopts[] = {
		HUB_LONGOPTS,
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub_opts ho;
	const char *reason = "";
	json_t *rep = NULL, *body;
	char path[1024], *enc;
	int o, ex = EXIT_OK, json = 0;

	memset(&ho, 0, sizeof(ho));
	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (hub_opts_take(&ho, o, optarg))
			continue;
		if (o == 'r')
			reason = optarg;
		else if (o == 'j')
			json = 1;
		else
			return cli_usage_error(self, "unknown option");
	}
	if (optind + 1 != argc || argv[optind][0] == '\0' ||
	    strlen(argv[optind]) > 255)
		return cli_usage_error(self, "one engineer name (their "
		    "certificate's CN) is required");
	if ((enc = curl_easy_escape(NULL, argv[optind], 0)) == NULL)
		return cli_fail(self, "out of memory");
	snprintf(path, sizeof(path), "/v1/engineers/%s/%s", enc, verb);
	curl_free(enc);
	if ((body = json_pack("{s:s}", "reason", reason)) == NULL)
		return cli_fail(self, "out of memory");
	ex = hub_call(self, &ho, "POST", path, body, &rep);
	json_decref(body);
	if (ex != EXIT_OK)
		return ex;
	if (json)
		admin_print_json(rep);
	else if (strcmp(verb, "deactivate") == 0)
		printf("engineer \"%s\" deactivated; %lld stream(s) cut at the "
		    "hub, the access points end theirs\n", argv[optind],
		    (long long)json_integer_value(json_object_get(rep,
		    "streams_cut")));
	else
		printf("engineer \"%s\" activated\n", argv[optind]);
	json_decref(rep);
	return EXIT_OK;
}

static int
cmd_engineer_deactivate_exec(const struct cmd_entry *self, int argc,
    char **argv)
{
	return engineer_exec(self, argc, argv, "deactivate");
}

static int
cmd_engineer_activate_exec(const struct cmd_entry *self, int argc,
    char **argv)
{
	return engineer_exec(self, argc, argv, "activate");
}

const struct cmd_entry cmd_engineer_deactivate_entry = {
	"engineer deactivate",
	"NAME [--reason TEXT] [--json]",
	"refuse an engineer at once and end their streams (admin)",
	"  NAME               the engineer's certificate CN\n"
	"  --reason TEXT      why, for the record\n"
	"  --json             print the answer as JSON\n"
	HUB_OPTS_HELP
	"  (--cert/--key: an administrator's certificate, role admin)\n",
	cmd_engineer_deactivate_exec,
};

const struct cmd_entry cmd_engineer_activate_entry = {
	"engineer activate",
	"NAME [--reason TEXT] [--json]",
	"let a deactivated engineer in again (admin)",
	"  NAME               the engineer's certificate CN\n"
	"  --reason TEXT      why, for the record\n"
	"  --json             print the answer as JSON\n"
	HUB_OPTS_HELP
	"  (--cert/--key: an administrator's certificate, role admin)\n",
	cmd_engineer_activate_exec,
};
