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
struct api_req;
struct event_base;

/*
 * The end of an asynchronous request: as api_request's results (err is
 * NULL on success, reply may be NULL; the callee takes reply and frees it
 * with json_decref). Called from the event loop, once; the request is
 * freed after it returns.
 */
typedef void (*api_done_fn)(long status, json_t *reply, const char *err,
    void *arg);

/* hub is HOST:PORT of the hub's api_listen. err gets a one-line reason. */
int api_new(const char *hub, const char *cert, const char *key,
    const char *ca, struct api **out, char *err, size_t errlen);
/* Cancels any asynchronous request still running (no callbacks). */
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
/* Drive asynchronous requests from base (once, before the first). */
int api_attach(struct api *a, struct event_base *base);
/*
 * Start one request on the attached loop (body copied). 0 and *out (for
 * api_request_cancel until done runs) or -1 with err.
 */
int api_request_start(struct api *a, const char *method, const char *path,
    const char *body, api_done_fn done, void *arg, struct api_req **out,
    char *err, size_t errlen);
/* Abandon a request whose callback has not run: no callback; NULL fine. */
void api_request_cancel(struct api_req *r);
/* The error sentence of an error reply: "ERROR: REASON" or "ERROR". */
void api_error_text(long status, json_t *reply, char *out, size_t outlen);

#endif
