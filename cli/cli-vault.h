/*
 * cli-vault.h: what the evidence commands share (`rsgate collect`,
 * `evidence list|get`, `report`): the hub connection from --hub/--cert/
 * --key/--ca or the config, one request with a readable error, and
 * %-encoding of ticket ids and item names in API paths.
 */
#ifndef RSGATE_CLI_VAULT_H
#define RSGATE_CLI_VAULT_H

#include <stddef.h>

#include <jansson.h>

#include "cli-api.h"
#include "rsgate.h"

/* The options every hub command takes (long names hub, cert, key, ca). */
#define CLI_HUB_LONGOPTS \
	{ "hub", required_argument, NULL, 'H' }, \
	{ "cert", required_argument, NULL, 'C' }, \
	{ "key", required_argument, NULL, 'K' }, \
	{ "ca", required_argument, NULL, 'A' }
#define CLI_HUB_HELP \
	"  --hub HOST:PORT    the hub's API address (config key hub)\n" \
	"  --cert FILE        your engineer certificate (config key cert)\n" \
	"  --key FILE         its private key (config key key)\n" \
	"  --ca FILE          the CA of the hub (config key ca)\n"

struct cli_hub {
	const char *hub, *cert, *key, *ca;
};

/* Take option o (H, C, K, A) into h: 1 if it was one of them. */
int cli_hub_opt(struct cli_hub *h, int o, const char *arg);
/*
 * Connect (after filling what is missing from the config). On failure the
 * exit code to return is in *ex (usage error or failure, already printed).
 */
int cli_hub_open(const struct cmd_entry *self, struct cli_hub *h,
    struct api **out, int *ex);
/*
 * One request expecting status want; *reply (caller json_decref) on
 * success. On failure prints the hub's error and returns EXIT_FAIL.
 */
int cli_hub_call(const struct cmd_entry *self, struct api *a,
    const char *method, const char *path, const char *body, long want,
    json_t **reply);
/* Append s %-encoded (RFC 3986 unreserved kept) to out of outlen bytes. */
int cli_path_escape(const char *s, char *out, size_t outlen);
/* Append s as it is; RSG_ERR_LIMIT (out unchanged) if it does not fit. */
int cli_path_append(char *out, size_t outlen, const char *s);

/*
 * `rsgate ap certificates|report`: GET PREFIX (a table of what the AP
 * received, from the list under listkey) or PREFIX/T (one, as Markdown)
 * on the AP's admin socket; with ticket_positional the ticket is the
 * command's argument and required.
 */
int cli_ap_docs(const struct cmd_entry *self, int argc, char **argv,
    const char *prefix, const char *listkey, int ticket_positional);

#endif
