/*
 * cmd-devices.c: `rsgate devices` lists the access points the hub knows,
 * whether each is connected, and their devices and services
 * (GET /v1/devices, docs/API.md), as a table for people.
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-api.h"
#include "rsgate.h"

/* Print one cell, escaped and padded to width. */
static void
cell(const char *s, int width)
{
	char q[256];

	printf("%-*s", width, str_escape(s != NULL && *s != '\0' ? s : "-",
	    q, sizeof(q)));
}

/* Grow *w to fit the string value v (escaped, capped at 64). */
static void
widen(int *w, json_t *v)
{
	char q[256];
	size_t n;

	if (!json_is_string(v))
		return;
	n = strlen(str_escape(json_string_value(v), q, sizeof(q)));
	if (n > 64)
		n = 64;
	if ((int)n > *w)
		*w = (int)n;
}

static int
cmd_devices_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hub", required_argument, NULL, 'H' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hub = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	json_t *rep = NULL, *aps, *apj, *devs, *d, *svcs, *sv;
	struct api *api = NULL;
	char err[600], list[1024];
	size_t i, j, k, len;
	int w_ap = 2, w_site = 4, w_dev = 6, w_model = 5;
	long status;
	int o, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (o) {
		case -2:
			return ex;
		case 'H':
			hub = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'A':
			ca = optarg;
			break;
		default:
			return cli_usage_error(self, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	hub = cli_option_or_config(hub, "hub");
	cert = cli_option_or_config(cert, "cert");
	key = cli_option_or_config(key, "key");
	ca = cli_option_or_config(ca, "ca");
	if (hub == NULL || cert == NULL || key == NULL || ca == NULL)
		return cli_usage_error(self, "--hub, --cert, --key and --ca "
		    "are required (or the config keys hub, cert, key, ca)");
	if (api_new(hub, cert, key, ca, &api, err, sizeof(err)) != 0 ||
	    api_request(api, "GET", "/v1/devices", NULL, &status, &rep, err,
	    sizeof(err)) != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if (status != 200) {
		api_error_text(status, rep, err, sizeof(err));
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if ((aps = json_object_get(rep, "aps")) == NULL ||
	    !json_is_array(aps)) {
		ex = cli_fail(self, "the hub's reply has no list of access "
		    "points");
		goto out;
	}
	/* Columns as wide as their longest cell (a first pass). */
	json_array_foreach(aps, i, apj) {
		widen(&w_ap, json_object_get(apj, "name"));
		widen(&w_site, json_object_get(apj, "site"));
		devs = json_object_get(apj, "devices");
		json_array_foreach(devs, j, d) {
			widen(&w_site, json_object_get(d, "site"));
			widen(&w_dev, json_object_get(d, "name"));
			widen(&w_model, json_object_get(d, "model"));
		}
	}
	printf("%-*s %-*s %-9s %-*s %-*s %s\n", w_ap, "AP", w_site, "SITE",
	    "CONNECTED", w_dev, "DEVICE", w_model, "MODEL", "SERVICES");
	json_array_foreach(aps, i, apj) {
		devs = json_object_get(apj, "devices");
		if (!json_is_array(devs) || json_array_size(devs) == 0) {
			cell(json_string_value(json_object_get(apj, "name")),
			    w_ap);
			putchar(' ');
			cell(json_string_value(json_object_get(apj, "site")),
			    w_site);
			printf(" %-9s -\n", json_is_true(json_object_get(apj,
			    "connected")) ? "yes" : "no");
			continue;
		}
		json_array_foreach(devs, j, d) {
			cell(json_string_value(json_object_get(apj, "name")),
			    w_ap);
			putchar(' ');
			cell(json_string_value(json_object_get(d, "site")) !=
			    NULL && *json_string_value(json_object_get(d,
			    "site")) != '\0' ? json_string_value(
			    json_object_get(d, "site")) : json_string_value(
			    json_object_get(apj, "site")), w_site);
			printf(" %-9s ", json_is_true(json_object_get(apj,
			    "connected")) ? "yes" : "no");
			cell(json_string_value(json_object_get(d, "name")),
			    w_dev);
			putchar(' ');
			cell(json_string_value(json_object_get(d, "model")),
			    w_model);
			list[0] = '\0';
			len = 0;
			svcs = json_object_get(d, "services");
			json_array_foreach(svcs, k, sv) {
				if (json_string_value(sv) == NULL)
					continue;
				len += (size_t)snprintf(list + len,
				    sizeof(list) - len, "%s%s", len ? "," : "",
				    json_string_value(sv));
				if (len >= sizeof(list))
					break;
			}
			putchar(' ');
			cell(list, 0);
			putchar('\n');
		}
	}
 out:
	json_decref(rep);
	api_free(api);
	return ex;
}

const struct cmd_entry cmd_devices_entry = {
	"devices",
	"[--hub HOST:PORT] [--cert F --key F --ca F]",
	"list the access points, devices and services the hub knows",
	"  --hub HOST:PORT    the hub's API address (config key hub)\n"
	"  --cert FILE        your engineer certificate (config key cert)\n"
	"  --key FILE         its private key (config key key)\n"
	"  --ca FILE          the CA of the hub (config key ca)\n",
	cmd_devices_exec,
};
