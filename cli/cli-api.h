/*
 * cli-api.h: the engineer's side of the hub's HTTPS API (docs/API.md) for
 * `rsgate connect` and `rsgate devices`: libcurl with the engineer's
 * client certificate, TLS 1.3 only, the hub's certificate checked against
 * the configured CA, one persistent handle so requests reuse a connection.
 */
#ifndef RSGATE_CLI_API_H
#define RSGATE_CLI_API_H

#include <stddef.h>

#include <jansson.h>

#define API_REPLY_MAX (1024 * 1024)	/* bytes of a reply we read */

struct api;

/* hub is HOST:PORT of the hub's api_listen. err gets a one-line reason. */
int api_new(const char *hub, const char *cert, const char *key,
    const char *ca, struct api **out, char *err, size_t errlen);
void api_free(struct api *a);
/*
 * One request; body (JSON text) may be NULL for a GET. On success *status
 * is the HTTP status and *reply the parsed JSON object (caller frees with
 * json_decref), or NULL if the body was not JSON. -1 with err on a
 * transport failure.
 */
int api_request(struct api *a, const char *method, const char *path,
    const char *body, long *status, json_t **reply, char *err,
    size_t errlen);
/* The error sentence of an error reply: "ERROR: REASON" or "ERROR". */
void api_error_text(long status, json_t *reply, char *out, size_t outlen);

#endif
