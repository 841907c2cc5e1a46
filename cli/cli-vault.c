/*
 * cli-vault.c: the hub connection and request helpers of the evidence
 * commands (cli-vault.h).
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#include "cli-vault.h"

int
cli_hub_opt(struct cli_hub *h, int o, const char *arg)
{
	switch (o) {
	case 'H':
		h->hub = arg;
		return 1;
	case 'C':
		h->cert = arg;
		return 1;
	case 'K':
		h->key = arg;
		return 1;
	case 'A':
		h->ca = arg;
		return 1;
	default:
		return 0;
	}
}

int
cli_hub_open(const struct cmd_entry *self, struct cli_hub *h,
    struct api **out, int *ex)
{
	char err[600];

	h->hub = cli_option_or_config(h->hub, "hub");
	h->cert = cli_option_or_config(h->cert, "cert");
	h->key = cli_option_or_config(h->key, "key");
	h->ca = cli_option_or_config(h->ca, "ca");
	if (h->hub == NULL || h->cert == NULL || h->key == NULL ||
	    h->ca == NULL) {
		*ex = cli_usage_error(self, "--hub, --cert, --key and --ca "
		    "are required (or the config keys hub, cert, key, ca)");
		return -1;
	}
	if (api_new(h->hub, h->cert, h->key, h->ca, out, err,
	    sizeof(err)) != 0) {
		*ex = cli_fail(self, "%s", err);
		return -1;
	}
	return 0;
}

int
cli_hub_call(const struct cmd_entry *self, struct api *a, const char *method,
    const char *path, const char *body, long want, json_t **reply)
{
	json_t *rep = NULL;
	char err[800];
	long status;

	if (api_request(a, method, path, body, &status, &rep, err,
	    sizeof(err)) != 0)
		return cli_fail(self, "%s", err);
	if (status != want) {
		api_error_text(status, rep, err, sizeof(err));
		json_decref(rep);
		return cli_fail(self, "%s", err);
	}
	if (rep == NULL)
		return cli_fail(self, "the hub's reply is not JSON");
	*reply = rep;
	return EXIT_OK;
}

int
cli_path_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = strlen(out);
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (j + 1 >= outlen)
				return RSG_ERR_LIMIT;
			out[j++] = (char)c;
		} else {
			if (j + 3 >= outlen)
				return RSG_ERR_LIMIT;
			out[j++] = '%';
			out[j++] = hex[c >> 4];
			out[j++] = hex[c & 15];
		}
	}
	out[j] = '\0';
	return 0;
}

int
cli_path_append(char *out, size_t outlen, const char *s)
{
	size_t have = strlen(out), n = strlen(s);

	if (n >= outlen - have)
		return RSG_ERR_LIMIT;
	memcpy(out + have, s, n + 1);
	return 0;
}
