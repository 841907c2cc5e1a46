/*
 * cli-api.c: a small libcurl client of the hub's engineers' API. The
 * client certificate is the engineer's identity; the hub's certificate
 * must chain to the configured CA. rsgate certificates name holders, not
 * host names, so the host name is not matched (the CA is rsgate's own).
 *
 * Asynchronous requests use one curl multi handle (whose connection cache
 * lets later requests reuse a connection to the hub, as the synchronous
 * handle does) driven by libevent: curl says which sockets to watch
 * (sock_cb) and when to call it back (timer_cb); every event is handed to
 * curl_multi_socket_action and finished transfers are collected after.
 * One thread, no locks; a stalled request costs a socket, not the loop.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "rsgate/util.h"

#include "cli-api.h"

/* A socket curl asked us to watch. */
struct api_sock {
	LIST_ENTRY(api_sock) entry;
	struct api *a;
	curl_socket_t fd;
	struct event *ev;
};

struct api_req {
	TAILQ_ENTRY(api_req) entry;
	struct api *a;
	CURL *easy;
	struct curl_slist *hdr;
	struct rsg_buf *body;
	api_done_fn done;
	void *arg;
};

struct api {
	CURL *curl;
	char base[300];
	struct rsg_buf *body;
	const char *cert, *key, *ca;
	/* asynchronous requests */
	struct event_base *evbase;
	CURLM *multi;
	struct event *ev_timer;
	LIST_HEAD(, api_sock) socks;
	TAILQ_HEAD(, api_req) reqs;
};

static size_t
api_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct rsg_buf *b = arg;

	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	if (buf_put(b, p, size * n) != 0)
		return 0;	/* over API_REPLY_MAX: curl fails the transfer */
	return size * n;
}

/* The options every request shares. */
static void
api_setopts(struct api *a, CURL *c, struct rsg_buf *body)
{
	curl_easy_setopt(c, CURLOPT_SSLCERT, a->cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, a->key);
	curl_easy_setopt(c, CURLOPT_CAINFO, a->ca);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSLVERSION,
	    (long)(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_DEFAULT));
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	/* The hub waits up to 10 s for the AP's answer. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, api_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
}

/* The reply body as a JSON object, or NULL. */
static json_t *
reply_parse(struct rsg_buf *b)
{
	json_error_t je;
	json_t *j = NULL;
	char *text;

	if ((text = buf_dup_cstring(b)) != NULL) {
		j = json_loads(text, 0, &je);
		free(text);
	}
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

int
api_new(const char *hub, const char *cert, const char *key, const char *ca,
    struct api **out, char *err, size_t errlen)
{
	struct api *a;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	if ((a->curl = curl_easy_init()) == NULL ||
	    (a->body = buf_new(API_REPLY_MAX)) == NULL) {
		api_free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(a->base, sizeof(a->base), "https://%s", hub);
	/* The caller's strings outlive the handle (options, config). */
	a->cert = cert;
	a->key = key;
	a->ca = ca;
	LIST_INIT(&a->socks);
	TAILQ_INIT(&a->reqs);
	api_setopts(a, a->curl, a->body);
	*out = a;
	return 0;
}

static void
req_free(struct api_req *r)
{
	struct api *a = r->a;

	TAILQ_REMOVE(&a->reqs, r, entry);
	if (r->easy != NULL) {
		curl_multi_remove_handle(a->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->hdr);
	buf_free(r->body);
	free(r);
}

void
api_request_cancel(struct api_req *r)
{
	if (r != NULL)
		req_free(r);
}

void
api_free(struct api *a)
{
	struct api_sock *k;

	if (a == NULL)
		return;
	while (!TAILQ_EMPTY(&a->reqs))
		req_free(TAILQ_FIRST(&a->reqs));
	if (a->multi != NULL)
		curl_multi_cleanup(a->multi);
	/* Sockets curl did not say REMOVE for (its cache, closed above). */
	while ((k = LIST_FIRST(&a->socks)) != NULL) {
		LIST_REMOVE(k, entry);
		event_free(k->ev);
		free(k);
	}
	if (a->ev_timer != NULL)
		event_free(a->ev_timer);
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	buf_free(a->body);
	free(a);
}

int
api_request(struct api *a, const char *method, const char *path,
    const char *body, long *status, json_t **reply, char *err,
    size_t errlen)
{
	struct curl_slist *hdr = NULL;
	char url[512];
	CURLcode cr;
	long code = 0;

	buf_reset(a->body);
	snprintf(url, sizeof(url), "%s%s", a->base, path);
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	if (body != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(a->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method);
	cr = curl_easy_perform(a->curl);
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (cr != CURLE_OK) {
		snprintf(err, errlen, "hub %s: %s", a->base + 8,
		    curl_easy_strerror(cr));
		return -1;
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &code);
	*status = code;
	*reply = reply_parse(a->body);
	return 0;
}

/* ---- asynchronous requests ------------------------------------------------ */

/* Collect finished transfers; each callback may start or cancel others. */
static void
api_check_done(struct api *a)
{
	struct api_req *r;
	CURLMsg *msg;
	json_t *reply;
	long code = 0;
	int left;
	char err[400];

	while ((msg = curl_multi_info_read(a->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&r);
		if (r == NULL)
			continue;
		if (msg->data.result != CURLE_OK) {
			snprintf(err, sizeof(err), "hub %s: %s", a->base + 8,
			    curl_easy_strerror(msg->data.result));
			r->done(0, NULL, err, r->arg);
		} else {
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
			    &code);
			reply = reply_parse(r->body);
			r->done(code, reply, NULL, r->arg);
		}
		req_free(r);
	}
}

static void
api_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(a->multi, fd, flags, &running);
	api_check_done(a);
}

static void
api_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	api_check_done(a);
}

/* curl: call me back in timeout_ms (-1: never). */
static int
api_curl_timer(CURLM *m, long timeout_ms, void *arg)
{
	struct api *a = arg;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0) {
		evtimer_del(a->ev_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(a->ev_timer, &tv) == 0 ? 0 : -1;
}

/* curl: watch fd for what (or stop watching it). */
static int
api_curl_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct api *a = arg;
	struct api_sock *k = sockp;
	short kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (k != NULL) {
			LIST_REMOVE(k, entry);
			event_free(k->ev);
			free(k);
			curl_multi_assign(a->multi, fd, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return -1;
		k->a = a;
		k->fd = fd;
		if ((k->ev = event_new(a->evbase, fd, kind, api_event_cb,
		    a)) == NULL) {
			free(k);
			return -1;
		}
		LIST_INSERT_HEAD(&a->socks, k, entry);
		curl_multi_assign(a->multi, fd, k);
	} else {
		event_del(k->ev);
		if (event_assign(k->ev, a->evbase, fd, kind, api_event_cb,
		    a) != 0)
			return -1;
	}
	return event_add(k->ev, NULL) == 0 ? 0 : -1;
}

int
api_attach(struct api *a, struct event_base *base)
{
	if (a->multi != NULL)
		return RSG_ERR_INVALID_ARG;
	if ((a->ev_timer = evtimer_new(base, api_timer_cb, a)) == NULL ||
	    (a->multi = curl_multi_init()) == NULL)
		return RSG_ERR_NOMEM;
	a->evbase = base;
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, api_curl_socket);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, api_curl_timer);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	return 0;
}

int
api_request_start(struct api *a, const char *method, const char *path,
    const char *body, api_done_fn done, void *arg, struct api_req **out,
    char *err, size_t errlen)
{
	struct api_req *r;
	char url[512];

	if (a->multi == NULL) {
		snprintf(err, errlen, "internal error: API not attached");
		return -1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->a = a;
	r->done = done;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&a->reqs, r, entry);
	if ((r->easy = curl_easy_init()) == NULL ||
	    (r->body = buf_new(API_REPLY_MAX)) == NULL) {
		req_free(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	api_setopts(a, r->easy, r->body);
	snprintf(url, sizeof(url), "%s%s", a->base, path);
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		if ((r->hdr = curl_slist_append(NULL,
		    "Content-Type: application/json")) == NULL) {
			req_free(r);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdr);
		curl_easy_setopt(r->easy, CURLOPT_COPYPOSTFIELDS, body);
	}
	if (curl_multi_add_handle(a->multi, r->easy) != CURLM_OK) {
		req_free(r);
		snprintf(err, errlen, "cannot start a request to the hub");
		return -1;
	}
	*out = r;
	return 0;
}

void
api_error_text(long status, json_t *reply, char *out, size_t outlen)
{
	const char *e = NULL, *r = NULL;
	char qe[256], qr[512];

	if (reply != NULL) {
		e = json_string_value(json_object_get(reply, "error"));
		r = json_string_value(json_object_get(reply, "reason"));
	}
	if (e == NULL) {
		snprintf(out, outlen, "hub answered HTTP %ld", status);
		return;
	}
	str_sanitize(e, qe, sizeof(qe));
	if (r != NULL && *r != '\0')
		snprintf(out, outlen, "%s: %s", qe, str_sanitize(r, qr,
		    sizeof(qr)));
	else
		snprintf(out, outlen, "%s", qe);
}
