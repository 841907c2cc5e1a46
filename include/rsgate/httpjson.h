/*
 * httpjson: JSON answers of the daemons' HTTP interfaces (the hub's HTTPS
 * API, the AP's admin socket), one way for both: a compact JSON body and a
 * newline, Content-Type application/json; an error is
 * {"error": ERROR[, "reason": REASON]}.
 */
#ifndef RSGATE_HTTPJSON_H
#define RSGATE_HTTPJSON_H

struct evhttp_request;
struct json_t;

/* Answer req with code and obj (consumed; NULL or unprintable: 500). */
void http_reply_json(struct evhttp_request *req, int code,
    struct json_t *obj);
/* Answer req with code and {"error": error[, "reason": reason]}. */
void http_reply_error(struct evhttp_request *req, int code,
    const char *error, const char *reason);

#endif /* RSGATE_HTTPJSON_H */
