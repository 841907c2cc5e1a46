/*
 * httpjson.c: JSON answers of the daemons' HTTP interfaces
 * (include/rsgate/httpjson.h).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "rsgate/httpjson.h"

void
http_reply_json(struct evhttp_request *req, int code, json_t *obj)
{
	struct evbuffer *b = evbuffer_new();
	char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (b == NULL || s == NULL) {
		free(s);
		if (b != NULL)
			evbuffer_free(b);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

void
http_reply_error(struct evhttp_request *req, int code, const char *error,
    const char *reason)
{
	json_t *o = json_object();

	if (o != NULL) {
		json_object_set_new(o, "error", json_string(error));
		if (reason != NULL)
			json_object_set_new(o, "reason", json_string(reason));
	}
	http_reply_json(req, code, o);
}
