/*
 * cli-ticket.h: what the workflow commands share: the hub connection
 * options (--hub --cert --key --ca, or the config keys hub, cert, key,
 * ca), one call to the hub's API with errors printed, and tickets printed
 * for people.
 */
#ifndef RSGATE_CLI_TICKET_H
#define RSGATE_CLI_TICKET_H

#include <jansson.h>

struct cmd_entry;

#define HUB_LONGOPTS \
	{ "hub", required_argument, NULL, 'H' }, \
	{ "cert", required_argument, NULL, 'C' }, \
	{ "key", required_argument, NULL, 'K' }, \
	{ "ca", required_argument, NULL, 'A' }

#define HUB_OPTS_HELP \
	"  --hub HOST:PORT    the hub's API address (config key hub)\n" \
	"  --cert FILE        your certificate (config key cert)\n" \
	"  --key FILE         its private key (config key key)\n" \
	"  --ca FILE          the CA of the hub (config key ca)\n"

struct hub_opts {
	const char *hub, *cert, *key, *ca;
};

/* Take option c (H, C, K, A) into o: 1 if it was one of them. */
int hub_opts_take(struct hub_opts *o, int c, const char *arg);

/*
 * One API request (body may be NULL); prints failures as "rsgate CMD:
 * ERROR: REASON". EXIT_OK with *reply (2xx; caller json_decref), or the
 * exit code (2 when the hub options are missing, 1 otherwise).
 */
int hub_call(const struct cmd_entry *self, struct hub_opts *o,
    const char *method, const char *path, const json_t *body,
    json_t **reply);

/* A ticket object, for people: a block of "key: value" lines. */
void ticket_print(const json_t *t);
/* A list of tickets as a table. */
void tickets_print(const json_t *a);

#endif
