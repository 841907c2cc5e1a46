/*
 * cli-ticket.c: shared pieces of the workflow commands (cli-ticket.h).
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-api.h"
#include "cli-ticket.h"
#include "rsgate.h"

int
hub_opts_take(struct hub_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'H':
		o->hub = arg;
		return 1;
	case 'C':
		o->cert = arg;
		return 1;
	case 'K':
		o->key = arg;
		return 1;
	case 'A':
		o->ca = arg;
		return 1;
	default:
		return 0;
	}
}

int
hub_call(const struct cmd_entry *self, struct hub_opts *o,
    const char *method, const char *path, const json_t *body,
    json_t **reply)
{
	struct api *api = NULL;
	json_t *rep = NULL;
	char err[1200], *text = NULL;
	long status = 0;
	int ex = EXIT_FAIL;

	o->hub = cli_option_or_config(o->hub, "hub");
	o->cert = cli_option_or_config(o->cert, "cert");
	o->key = cli_option_or_config(o->key, "key");
	o->ca = cli_option_or_config(o->ca, "ca");
	if (o->hub == NULL || o->cert == NULL || o->key == NULL ||
	    o->ca == NULL)
		return cli_usage_error(self, "--hub, --cert, --key and --ca "
		    "are required (or the config keys hub, cert, key, ca)");
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
		return cli_fail(self, "out of memory");
	if (api_new(o->hub, o->cert, o->key, o->ca, &api, err,
	    sizeof(err)) != 0 ||
	    api_request(api, method, path, text, &status, &rep, err,
	    sizeof(err)) != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if (status < 200 || status > 299) {
		api_error_text(status, rep, err, sizeof(err));
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if (rep == NULL && (rep = json_object()) == NULL) {
		ex = cli_fail(self, "out of memory");
		goto out;
	}
	*reply = rep;
	rep = NULL;
	ex = EXIT_OK;
 out:
	json_decref(rep);
	free(text);
	api_free(api);
	return ex;
}

static const char *
sv(const json_t *o, const char *key, char *q, size_t qlen)
{
	const char *s = json_string_value(json_object_get(o, key));

	return str_escape(s != NULL && *s != '\0' ? s : "-", q, qlen);
}

static void
caps(const json_t *a, char *out, size_t outlen)
{
	const json_t *c;
	size_t i, len = 0;

	out[0] = '\0';
	json_array_foreach(a, i, c) {
		if (json_string_value(c) == NULL)
			continue;
		len += (size_t)snprintf(out + len, outlen - len, "%s%s",
		    len ? "," : "", json_string_value(c));
		if (len >= outlen)
			break;
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "-");
}

void
ticket_print(const json_t *t)
{
	const json_t *h, *st;
	char q[1100], c[256];
	size_t i;

	printf("ticket:       %s\n", sv(t, "id", q, sizeof(q)));
	printf("state:        %s%s%s\n", sv(t, "state", q, sizeof(q)),
	    json_is_true(json_object_get(t, "emergency")) ?
	    "  [EMERGENCY]" : "",
	    json_is_true(json_object_get(t, "unconfirmed")) ?
	    "  [not yet confirmed by the hospital]" : "");
	printf("access point: %s\n", sv(t, "ap", q, sizeof(q)));
	printf("device:       %s\n", sv(t, "device", q, sizeof(q)));
	printf("engineer:     %s\n", sv(t, "engineer", q, sizeof(q)));
	caps(json_object_get(t, "capabilities_requested"), c, sizeof(c));
	printf("requested:    %s for %llds\n", c, (long long)
	    json_integer_value(json_object_get(t, "duration_s")));
	caps(json_object_get(t, "capabilities_granted"), c, sizeof(c));
	printf("granted:      %s\n", c);
	printf("window:       %s", sv(t, "not_before", q, sizeof(q)));
	printf(" .. %s\n", sv(t, "not_after", q, sizeof(q)));
	printf("reason:       %s\n", sv(t, "reason", q, sizeof(q)));
	printf("purpose:      %s\n", sv(t, "purpose", q, sizeof(q)));
	printf("approver:     %s\n", sv(t, "approver", q, sizeof(q)));
	if ((h = json_object_get(t, "history")) == NULL ||
	    json_array_size(h) == 0)
		return;
	printf("history:\n");
	json_array_foreach(h, i, st) {
		printf("  %s  %-9s", sv(st, "time", q, sizeof(q)),
		    sv(st, "event", c, sizeof(c)));
		printf(" %s", sv(st, "from", q, sizeof(q)));
		printf(" -> %-10s", sv(st, "to", q, sizeof(q)));
		printf(" by %s", sv(st, "who", q, sizeof(q)));
		printf(" (%s)", sv(st, "actor", q, sizeof(q)));
		printf(": %s\n", sv(st, "detail", q, sizeof(q)));
	}
}

void
tickets_print(const json_t *a)
{
	const json_t *t;
	char q[5][256], c[256];
	size_t i;

	if (!json_is_array(a) || json_array_size(a) == 0) {
		printf("no tickets\n");
		return;
	}
	printf("%-18s %-11s %-14s %-20s %-32s %s\n", "TICKET", "STATE",
	    "DEVICE", "ENGINEER", "CAPABILITIES", "UNTIL");
	json_array_foreach(a, i, t) {
		caps(json_object_get(t, json_array_size(json_object_get(t,
		    "capabilities_granted")) > 0 ? "capabilities_granted" :
		    "capabilities_requested"), c, sizeof(c));
		printf("%-18s %-11s %-14s %-20s %-32s %s%s\n",
		    sv(t, "id", q[0], sizeof(q[0])),
		    sv(t, "state", q[1], sizeof(q[1])),
		    sv(t, "device", q[2], sizeof(q[2])),
		    sv(t, "engineer", q[3], sizeof(q[3])), c,
		    sv(t, "not_after", q[4], sizeof(q[4])),
		    json_is_true(json_object_get(t, "unconfirmed")) ?
		    "  EMERGENCY, unconfirmed" : json_is_true(
		    json_object_get(t, "emergency")) ? "  EMERGENCY" : "");
	}
}
