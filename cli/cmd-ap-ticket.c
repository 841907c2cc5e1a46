/*
 * cmd-ap-ticket.c: the hospital's decisions at its access point, over the
 * admin socket (ap/ap-admin.c):
 *   rsgate ap pending                 requests waiting, and emergency
 *                                     grants not yet confirmed
 *   rsgate ap approve T [--duration D] [--capabilities L] [--purpose P]
 *                                     (may narrow the request, never
 *                                     widen it; view-phi needs --purpose)
 *   rsgate ap deny T --reason TEXT
 *   rsgate ap terminate T [--reason TEXT]   the kill switch (R24)
 * Each takes --socket PATH or -c AP-CONF (its admin_socket key).
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-admin.h"
#include "cli-ticket.h"
#include "rsgate.h"

enum ap_verb { V_PENDING, V_APPROVE, V_DENY, V_TERMINATE };

static int
ticket_id_ok(const char *s)
{
	return *s != '\0' && strlen(s) <= 64 && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "._-") == strlen(s);
}

static int
ap_ticket_exec(const struct cmd_entry *self, int argc, char **argv,
    enum ap_verb verb)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 'D' },
		{ "capabilities", required_argument, NULL, 'p' },
		{ "purpose", required_argument, NULL, 'P' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[] = { "pending", "approve", "deny",
		"terminate" };
	const char *sock = NULL, *apconf = NULL, *dur = NULL, *caps = NULL;
	const char *purpose = NULL, *reason = NULL, *id = NULL;
	json_t *rep = NULL, *body = NULL;
	char path[160];
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
		case 'D':
			dur = optarg;
			break;
		case 'p':
			caps = optarg;
			break;
		case 'P':
			purpose = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage_error(self, "unknown option");
		}
	}
	if (verb == V_PENDING) {
		if (optind != argc)
			return cli_usage_error(self, "unexpected argument "
			    "'%s'", argv[optind]);
		if ((ex = admin_call(self, sock, apconf, "GET",
		    "/v1/tickets?state=pending", NULL, &rep)) != EXIT_OK)
			return ex;
		if (json)
			admin_print_json(json_object_get(rep, "tickets"));
		else
			tickets_print(json_object_get(rep, "tickets"));
		json_decref(rep);
		return EXIT_OK;
	}
	if (optind + 1 != argc || !ticket_id_ok(argv[optind]))
		return cli_usage_error(self, "one ticket id is required");
	id = argv[optind];
	if (verb != V_APPROVE && (dur != NULL || caps != NULL ||
	    purpose != NULL))
		return cli_usage_error(self, "--duration, --capabilities and "
		    "--purpose go with approve");
	if (verb == V_DENY && (reason == NULL || *reason == '\0'))
		return cli_usage_error(self, "--reason is required");
	if ((body = json_object()) == NULL)
		return cli_fail(self, "out of memory");
	if (dur != NULL)
		json_object_set_new(body, "duration", json_string(dur));
	if (caps != NULL)
		json_object_set_new(body, "capabilities", json_string(caps));
	if (purpose != NULL)
		json_object_set_new(body, "purpose", json_string(purpose));
	if (reason != NULL)
		json_object_set_new(body, "reason", json_string(reason));
	snprintf(path, sizeof(path), "/v1/tickets/%s/%s", id, names[verb]);
	ex = admin_call(self, sock, apconf, "POST", path, body, &rep);
	json_decref(body);
	if (ex != EXIT_OK)
		return ex;
	if (json)
		admin_print_json(rep);
	else {
		switch (verb) {
		case V_APPROVE:
			printf("ticket %s approved; the grant is signed and "
			    "sent to the hub\n", id);
			break;
		case V_DENY:
			printf("ticket %s denied\n", id);
			break;
		default:
			printf("ticket %s terminated; its streams are "
			    "closed\n", id);
			break;
		}
		ticket_print(rep);
	}
	json_decref(rep);
	return EXIT_OK;
}

static int
pending_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return ap_ticket_exec(self, argc, argv, V_PENDING);
}

static int
approve_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return ap_ticket_exec(self, argc, argv, V_APPROVE);
}

static int
deny_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return ap_ticket_exec(self, argc, argv, V_DENY);
}

static int
terminate_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return ap_ticket_exec(self, argc, argv, V_TERMINATE);
}

#define SOCKET_HELP \
	"  --socket PATH      the access point's admin socket\n" \
	"  -c AP-CONF         or read admin_socket from the AP's config\n" \
	"  --json             print JSON\n"

const struct cmd_entry cmd_ap_pending_entry = {
	"ap pending",
	"[--socket PATH | -c AP-CONF] [--json]",
	"list access requests waiting for the hospital's decision",
	SOCKET_HELP,
	pending_exec,
};

const struct cmd_entry cmd_ap_approve_entry = {
	"ap approve",
	"T [--duration D] [--capabilities LIST] [--purpose TEXT] "
	"[--socket PATH | -c AP-CONF]",
	"approve a ticket's request (may narrow it, never widen it)",
	"  T                  the ticket\n"
	"  --duration D       a shorter window than asked, e.g. 30m (not when\n"
	"                     confirming an emergency grant: it keeps its window)\n"
	"  --capabilities L   fewer capabilities than asked\n"
	"  --purpose TEXT     the purpose; required to grant view-phi (R29)\n"
	SOCKET_HELP,
	approve_exec,
};

const struct cmd_entry cmd_ap_deny_entry = {
	"ap deny",
	"T --reason TEXT [--socket PATH | -c AP-CONF]",
	"deny a ticket's request",
	"  T                  the ticket\n"
	"  --reason TEXT      why (required)\n"
	SOCKET_HELP,
	deny_exec,
};

const struct cmd_entry cmd_ap_terminate_entry = {
	"ap terminate",
	"T [--reason TEXT] [--socket PATH | -c AP-CONF]",
	"kill switch: end a ticket and every stream under it now (R24)",
	"  T                  the ticket\n"
	"  --reason TEXT      why, for the record\n"
	SOCKET_HELP,
	terminate_exec,
};
