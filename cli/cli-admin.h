/*
 * cli-admin.h: the hospital administrator's side of the access point's
 * admin socket (`rsgate ap ...`): HTTP + JSON over a Unix socket with
 * libcurl (CURLOPT_UNIX_SOCKET_PATH). The AP checks who we are by peer
 * credentials; there is nothing to log in with.
 */
#ifndef RSGATE_CLI_ADMIN_H
#define RSGATE_CLI_ADMIN_H

#include <stddef.h>

#include <jansson.h>

#define ADMIN_REPLY_MAX (4 * 1024 * 1024)	/* bytes of a reply we read */

/*
 * Which socket to use: sock (--socket PATH) if given, else the
 * admin_socket key of the AP config apconf (-c AP-CONF). *out points into
 * a static copy. RSG_ERR_INVALID_ARG (neither given) or RSG_ERR_CONFIG
 * (the config cannot be read or has no admin_socket), with err.
 */
int admin_socket_resolve(const char *sock, const char *apconf,
    const char **out, char *err, size_t errlen);

/*
 * One request on the socket at path; body (a JSON object) may be NULL for
 * a GET. On success *status is the HTTP status and *reply the parsed JSON
 * object or NULL. -1 with err on a transport failure ("cannot reach the
 * access point at PATH: ...").
 */
int admin_request(const char *path, const char *method, const char *uri,
    const json_t *body, long *status, json_t **reply, char *err,
    size_t errlen);

/* The error sentence of an error reply: "ERROR: REASON" or "ERROR". */
void admin_error_text(long status, json_t *reply, char *out, size_t outlen);

struct cmd_entry;
/*
 * For commands: resolve the socket (usage error, exit 2, when neither
 * --socket nor -c was given), make the request and print any failure as
 * "rsgate CMD: ERROR: REASON". EXIT_OK with *reply (a 2xx answer; caller
 * json_decref) or the exit code to return.
 */
int admin_call(const struct cmd_entry *self, const char *sock,
    const char *apconf, const char *method, const char *uri,
    const json_t *body, json_t **reply);

/* Print v (a JSON value) indented to stdout, with a newline. */
void admin_print_json(const json_t *v);

#endif
