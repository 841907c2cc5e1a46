/*
 * hub-api.c: the engineers' HTTPS API (docs/API.md) on api_listen: evhttp
 * over bufferevent_openssl, TLS 1.3 with a client certificate of the
 * engineer role (checked in the handshake). Identity is the certificate;
 * an engineer not listed in the config is refused with 403 and audited.
 *
 *   GET  /v1/devices   the access points and their inventories
 *   POST /v1/streams   open a stream: registers one-time tokens with the
 *                      relay, sends STREAM_OPEN to the access point and
 *                      answers when it says OK or ERR (or 504 after 10 s)
 *
 * JSON goes through jansson only here, turned into C values at the edge.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "rsgate/config.h"
#include "rsgate/httpjson.h"
#include "rsgate/pki.h"
#include "rsgate/risk.h"

#include "hub.h"

/* libevent answers 413 itself above this; we answer JSON 413 above 16 KiB. */
#define API_BODY_HARD_MAX (64 * 1024)
#define API_HEADERS_MAX (8 * 1024)
#define API_TIMEOUT_S 30

/* What a POST /v1/streams body says, checked. */
struct stream_req {
	char device[CTL_NAME_MAX + 1];
	char service[CTL_NAME_MAX + 1];
	char ticket[CTL_NAME_MAX + 1];
};

void
hub_api_reply(struct evhttp_request *req, int code, json_t *obj)
{
	http_reply_json(req, code, obj);
}

void
hub_api_error(struct evhttp_request *req, int code, const char *error,
    const char *reason)
{
	http_reply_error(req, code, error, reason);
}

/* A JSON string member: present, 1..CTL_NAME_MAX bytes, no control bytes. */
static int
json_name(json_t *o, const char *key, int required, char *out, size_t outlen)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t i, n;

	if (v == NULL || json_is_null(v)) {
		if (required)
			return RSG_ERR_FORMAT;
		out[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return RSG_ERR_FORMAT;
	s = json_string_value(v);
	n = json_string_length(v);
	if ((required && n == 0) || n >= outlen || n > CTL_NAME_MAX)
		return RSG_ERR_FORMAT;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return RSG_ERR_FORMAT;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int
stream_req_from_json(const uint8_t *p, size_t len, struct stream_req *sr,
    const char **why)
{
	json_error_t jerr;
	json_t *o;
	int r = RSG_ERR_FORMAT;

	if ((o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL || !json_is_object(o)) {
		*why = "the body is not a JSON object";
		goto out;
	}
	if (json_name(o, "device", 1, sr->device, sizeof(sr->device)) != 0) {
		*why = "\"device\" must be a name of 1 to 255 characters";
		goto out;
	}
	if (json_name(o, "service", 1, sr->service, sizeof(sr->service)) != 0) {
		*why = "\"service\" must be a name of 1 to 255 characters";
		goto out;
	}
	if (json_name(o, "ticket", 0, sr->ticket, sizeof(sr->ticket)) != 0) {
		*why = "\"ticket\" must be a string of at most 255 characters";
		goto out;
	}
	r = 0;
 out:
	json_decref(o);
	return r;
}

static int
engineer_active(struct hub *h, const char *cn)
{
	size_t i, n = config_get_count(h->cfg, "engineer");

	for (i = 0; i < n; i++)
		if (strcmp(config_get_nth(h->cfg, "engineer", i), cn) == 0)
			return 1;
	return 0;
}

/*
 * GET /v1/facts: what this hub's code and configuration establish, for
 * `rsgate risk report --live` (docs/RISK.md); the same JSON as --facts.
 */
static void
api_facts(struct hub *h, struct evhttp_request *req)
{
	struct risk_facts *f = NULL;
	struct rsg_buf *b = NULL;
	struct evbuffer *eb = evhttp_request_get_output_buffer(req);

	if (risk_facts_new(&f) != 0 || risk_facts_add_code(f) != 0 ||
	    risk_facts_add_hub(f, h->cfg) != 0 || (b = buf_new(0)) == NULL ||
	    risk_facts_to_json(f, b) != 0 ||
	    evbuffer_add(eb, buf_ptr(b), buf_len(b)) != 0) {
		risk_facts_free(f);
		buf_free(b);
		http_reply_error(req, 500, "out of memory", NULL);
		return;
	}
	risk_facts_free(f);
	buf_free(b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
api_devices(struct hub *h, struct evhttp_request *req)
{
	const struct ctl_device *d;
	struct hub_ap *ap;
	json_t *root, *aps, *jap, *devs, *jd, *svcs;
	size_t i, j;

	root = json_object();
	aps = json_array();
	if (root == NULL || aps == NULL)
		goto nomem;
	json_object_set_new(root, "aps", aps);
	TAILQ_FOREACH(ap, &h->aps, entry) {
		if ((jap = json_object()) == NULL ||
		    (devs = json_array()) == NULL)
			goto nomem;
		json_array_append_new(aps, jap);
		json_object_set_new(jap, "name", json_string(ap->name));
		json_object_set_new(jap, "site",
		    json_string(ap->hello->u.hello.site));
		json_object_set_new(jap, "connected",
		    json_boolean(ap->conn != NULL));
		json_object_set_new(jap, "devices", devs);
		for (i = 0; i < ap->hello->u.hello.ndevices; i++) {
			d = &ap->hello->u.hello.devices[i];
			if ((jd = json_object()) == NULL ||
			    (svcs = json_array()) == NULL)
				goto nomem;
			json_array_append_new(devs, jd);
			json_object_set_new(jd, "name", json_string(d->name));
			json_object_set_new(jd, "site", json_string(
			    d->site[0] != '\0' ? d->site :
			    ap->hello->u.hello.site));
			json_object_set_new(jd, "model", json_string(d->model));
			json_object_set_new(jd, "services", svcs);
			for (j = 0; j < d->nservices; j++)
				json_array_append_new(svcs,
				    json_string(d->services[j].name));
		}
	}
	http_reply_json(req, 200, root);
	return;
 nomem:
	json_decref(root);
	if (root == NULL)
		json_decref(aps);
	http_reply_error(req, 500, "out of memory", NULL);
}

static void
pending_free(struct hub *h, struct hub_pending *p)
{
	TAILQ_REMOVE(&h->pending, p, entry);
	if (p->ev_timeout != NULL)
		event_free(p->ev_timeout);
	mem_wipe(p->token, sizeof(p->token));
	free(p);
}

/*
 * The end of a POST /v1/streams: 201 (the AP said OK), 403 (it refused:
 * code, reason), 503 (it went away), 504 (no answer in time), 500.
 */
void
hub_api_answer(struct hub_pending *p, int status, uint32_t code,
    const char *reason)
{
	struct hub *h = p->hub;
	struct hub_stream *st = p->st;
	struct evhttp_request *req = p->req;
	struct hub_ap *ap = p->conn != NULL ? p->conn->ap : NULL;
	char tokhex[2 * CTL_TOKEN_LEN + 1], why[1200], recheck[600];
	json_t *o, *jap;
	int by_hub = 0;

	st->pending = NULL;
	/*
	 * The AP answered after up to 10 s: what the hub knew when it asked
	 * may have changed meanwhile (the engineer deactivated, the ticket
	 * closed, terminated or expired). cut_streams() skips a stream still
	 * waiting, so decide again here, fail closed.
	 */
	if (status == 201 && hub_engineer_deactivated(h, st->engineer)) {
		status = 403;
		by_hub = 1;
		reason = "the engineer was deactivated while the stream "
		    "was opening";
	} else if (status == 201 && st->ticket[0] != '\0' &&
	    hub_ticket_stream_check(h, st->ticket, st->engineer, st->ap,
	    st->device, st->service, recheck, sizeof(recheck)) != 0) {
		status = 403;
		by_hub = 1;
		reason = recheck;
	}
	/*
	 * Log first, then act: no record, no stream. The fsync waits until
	 * the 201 is on its way (hub_audit_nosync): the token in it is used
	 * only at the relay, which pairs nothing before the record is on
	 * disk (hub.c, relay_admit_cb).
	 */
	if (status == 201 && hub_audit_nosync(h, AUDIT_EV_SESSION_OPEN,
	    AUDIT_OUTCOME_SUCCESS, st->engineer, "engineer", st->idhex,
	    st->device, st->site, st->service, st->ap, st->source,
	    st->ticket[0] != '\0' ? st->ticket : "standing policy of the "
	    "access point") != 0) {
		status = 500;
		reason = "cannot write the audit log";
	}
	if (status != 201) {
		if (status == 403 && by_hub)
			snprintf(why, sizeof(why), "refused by the hub: %s",
			    reason);
		else if (status == 403)
			snprintf(why, sizeof(why), "refused by the access "
			    "point (%s): %s", ctl_errcode_name(code),
			    reason != NULL ? reason : "");
		else
			snprintf(why, sizeof(why), "%s", reason);
		if (status != 500)
			(void)hub_audit(h, AUDIT_EV_SESSION_OPEN,
			    status == 403 ? AUDIT_OUTCOME_DENIED :
			    AUDIT_OUTCOME_FAILURE, st->engineer, "engineer",
			    st->idhex, st->device, st->site, st->service,
			    st->ap, st->source, why);
		(void)relay_stream_cancel(h->relay, st->id, why);
		if (status == 403 && by_hub)
			http_reply_error(req, 403, "refused by the hub", reason);
		else if (status == 403)
			http_reply_error(req, 403, "refused by the access point",
			    reason != NULL ? reason : "");
		else if (status == 503)
			http_reply_error(req, 503, "access point not connected",
			    reason);
		else if (status == 504)
			http_reply_error(req, 504, "the access point did not "
			    "answer", reason);
		else
			http_reply_error(req, 500, "internal error", reason);
		hub_stream_free(h, st);
		pending_free(h, p);
		return;
	}
	st->opened = 1;
	hub_ticket_stream_opened(h, st->ticket, st->engineer);
	hex_encode(p->token, CTL_TOKEN_LEN, tokhex);
	o = json_object();
	jap = json_object();
	if (o != NULL && jap != NULL) {
		json_object_set_new(o, "stream_id", json_string(st->idhex));
		json_object_set_new(o, "token", json_string(tokhex));
		json_object_set_new(o, "relay",
		    json_string(h->relay_advertise));
		json_object_set_new(jap, "name", json_string(st->ap));
		json_object_set_new(jap, "fingerprint", json_string(
		    ap != NULL ? ap->fingerprint : ""));
		json_object_set_new(o, "ap", jap);
		jap = NULL;
	}
	json_decref(jap);
	mem_wipe(tokhex, sizeof(tokhex));
	log_info("stream %s: %s -> %s/%s via %s", st->idhex, st->engineer,
	    st->device, st->service, st->ap);
	http_reply_json(req, 201, o);
	hub_audit_sync_soon(h);
	pending_free(h, p);
}

static void
pending_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hub_api_answer(arg, 504, 0, "no answer to STREAM_OPEN in 10 s");
}

static void
api_streams(struct hub *h, struct evhttp_request *req,
    const struct tls_peer *peer, const char *source)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct timeval tv = { HUB_STREAM_OPEN_TIMEOUT_S, 0 };
	const struct ctl_device *dev;
	struct hub_pending *p = NULL;
	struct hub_stream *st = NULL;
	struct stream_req sr;
	struct hub_ap *ap;
	struct ctl_msg m;
	uint8_t tok_ap[CTL_TOKEN_LEN];
	char why_buf[600];
	const char *why = NULL;
	size_t len = evbuffer_get_length(in);
	int r;

	if (len > HUB_API_BODY_MAX) {
		http_reply_error(req, 413, "request body too large", NULL);
		return;
	}
	memset(&sr, 0, sizeof(sr));
	if (stream_req_from_json(evbuffer_pullup(in, -1), len, &sr,
	    &why) != 0) {
		http_reply_error(req, 400, "bad request", why);
		return;
	}
	if ((r = hub_ap_find(h, sr.device, sr.service, &ap, &dev)) != 0) {
		(void)hub_audit(h, AUDIT_EV_SESSION_OPEN, AUDIT_OUTCOME_DENIED,
		    peer->cn, "engineer", NULL, sr.device, NULL, sr.service,
		    NULL, source, r == RSG_ERR_NOT_FOUND ? "unknown device" :
		    "unknown service");
		http_reply_error(req, 404, r == RSG_ERR_NOT_FOUND ?
		    "unknown device" : "unknown service", NULL);
		return;
	}
	/* Under a ticket, the hub checks the grant too (the AP decides). */
	if (sr.ticket[0] != '\0' && hub_ticket_stream_check(h, sr.ticket,
	    peer->cn, ap->name, sr.device, sr.service, why_buf,
	    sizeof(why_buf)) != 0) {
		(void)hub_audit(h, AUDIT_EV_SESSION_OPEN, AUDIT_OUTCOME_DENIED,
		    peer->cn, "engineer", NULL, sr.device, NULL, sr.service,
		    sr.ticket, source, why_buf);
		http_reply_error(req, 403, "refused by the hub", why_buf);
		return;
	}
	if (ap->conn == NULL || !ap->conn->hello_done || ap->conn->closing) {
		(void)hub_audit(h, AUDIT_EV_SESSION_OPEN, AUDIT_OUTCOME_FAILURE,
		    peer->cn, "engineer", NULL, sr.device, NULL, sr.service,
		    ap->name, source, "access point not connected");
		http_reply_error(req, 503, "access point not connected", ap->name);
		return;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		goto fail;
	if (RAND_bytes(st->id, sizeof(st->id)) != 1 ||
	    RAND_bytes(p->token, sizeof(p->token)) != 1 ||
	    RAND_bytes(tok_ap, sizeof(tok_ap)) != 1)
		goto fail;
	hex_encode(st->id, sizeof(st->id), st->idhex);
	snprintf(st->engineer, sizeof(st->engineer), "%s", peer->cn);
	snprintf(st->engineer_fpr, sizeof(st->engineer_fpr), "%s",
	    peer->fingerprint);
	snprintf(st->device, sizeof(st->device), "%s", sr.device);
	snprintf(st->service, sizeof(st->service), "%s", sr.service);
	snprintf(st->ticket, sizeof(st->ticket), "%s", sr.ticket);
	snprintf(st->site, sizeof(st->site), "%s", dev->site[0] != '\0' ?
	    dev->site : ap->hello->u.hello.site);
	snprintf(st->ap, sizeof(st->ap), "%s", ap->name);
	snprintf(st->source, sizeof(st->source), "%s", source);
	memset(&m, 0, sizeof(m));
	m.type = CTL_STREAM_OPEN;
	m.id = ++h->next_reqid;
	memcpy(m.u.stream_open.stream_id, st->id, CTL_STREAM_ID_LEN);
	memcpy(m.u.stream_open.token, tok_ap, CTL_TOKEN_LEN);
	m.u.stream_open.relay = h->relay_advertise;
	if (hex_decode(peer->fingerprint, m.u.stream_open.engineer_fpr,
	    CTL_FPR_LEN) != 0)
		goto fail;
	m.u.stream_open.engineer_cn = st->engineer;
	m.u.stream_open.device = st->device;
	m.u.stream_open.service = st->service;
	m.u.stream_open.ticket = st->ticket;
	m.u.stream_open.source = st->source;
	/*
	 * The tokens must outlive the wait for the AP's answer; when it says
	 * OK, hub-ctl.c starts pairing_timeout again (relay_stream_renew).
	 */
	if (relay_stream_add(h->relay, st->id, p->token, tok_ap,
	    h->pairing_ms + HUB_STREAM_OPEN_TIMEOUT_S * 1000) != 0)
		goto fail;
	p->hub = h;
	p->req = req;
	p->conn = ap->conn;
	p->reqid = m.id;
	p->st = st;
	st->pending = p;
	TAILQ_INSERT_TAIL(&h->streams, st, entry);
	TAILQ_INSERT_TAIL(&h->pending, p, entry);
	if ((p->ev_timeout = evtimer_new(h->base, pending_timeout_cb,
	    p)) == NULL || evtimer_add(p->ev_timeout, &tv) != 0) {
		mem_wipe(tok_ap, sizeof(tok_ap));
		hub_api_answer(p, 500, 0, "out of memory");
		return;
	}
	r = hub_ctl_send(ap->conn, &m);
	mem_wipe(tok_ap, sizeof(tok_ap));
	mem_wipe(&m.u.stream_open.token, CTL_TOKEN_LEN);
	/* A send that failed closed the AP, which answered p with 503. */
	(void)r;
	return;
 fail:
	mem_wipe(tok_ap, sizeof(tok_ap));
	if (st != NULL)
		(void)relay_stream_cancel(h->relay, st->id, "out of memory");
	free(st);
	if (p != NULL)
		mem_wipe(p->token, sizeof(p->token));
	free(p);
	http_reply_error(req, 500, "internal error", NULL);
}

static void
api_request_cb(struct evhttp_request *req, void *arg)
{
	struct hub *h = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn != NULL ?
	    evhttp_connection_get_bufferevent(conn) : NULL;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct tls_peer peer;
	char source[HUB_ADDR_MAX], why[512];
	char *addr = NULL;
	ev_uint16_t port = 0;

	snprintf(source, sizeof(source), "unknown");
	if (conn != NULL) {
		evhttp_connection_get_peer(conn, &addr, &port);
		if (addr != NULL)
			snprintf(source, sizeof(source), "%s", addr);
	}
	/* Fail closed: no TLS, or no engineer's certificate, no service. */
	if (ssl != NULL && tls_peer_get(ssl, PKI_ROLE_ENGINEER, &peer) != 0 &&
	    tls_peer_get(ssl, PKI_ROLE_ADMIN, &peer) == 0) {
		/* An administrator manages engineers, and nothing else. */
		if (path != NULL && strncmp(path, "/v1/engineers/", 14) == 0)
			hub_api_engineers(h, req, path, &peer, source);
		else
			http_reply_error(req, 403, "administrators may only "
			    "manage engineers", NULL);
		return;
	}
	if (ssl == NULL || tls_peer_get(ssl, PKI_ROLE_ENGINEER, &peer) != 0) {
		http_reply_error(req, 403, "certificate not accepted", NULL);
		return;
	}
	if (!engineer_active(h, peer.cn)) {
		snprintf(why, sizeof(why), "api: engineer not active (not "
		    "listed in the hub configuration)");
		log_info("refused engineer \"%s\" from %s: not active",
		    peer.cn, source);
		(void)hub_audit(h, AUDIT_EV_AUTH_FAILURE, AUDIT_OUTCOME_DENIED,
		    peer.cn, "engineer", NULL, NULL, NULL, NULL,
		    peer.fingerprint, source, why);
		http_reply_error(req, 403, "engineer not active", NULL);
		return;
	}
	if (hub_engineer_deactivated(h, peer.cn)) {
		log_info("refused engineer \"%s\" from %s: deactivated",
		    peer.cn, source);
		(void)hub_audit(h, AUDIT_EV_AUTH_FAILURE, AUDIT_OUTCOME_DENIED,
		    peer.cn, "engineer", NULL, NULL, NULL, NULL,
		    peer.fingerprint, source, "api: engineer deactivated by "
		    "an administrator");
		http_reply_error(req, 403, "engineer deactivated", NULL);
		return;
	}
	/* The vault's /v1/tickets/T/{collect,evidence,report,certificate}. */
	if (path != NULL && hub_vault_api(h, req, (int)cmd, path, &peer,
	    source))
		return;
	if (path != NULL && (strcmp(path, "/v1/tickets") == 0 ||
	    strncmp(path, "/v1/tickets/", 12) == 0)) {
		hub_api_tickets(h, req, path, &peer, source);
		return;
	}
	if (path != NULL && strcmp(path, "/v1/devices") == 0) {
		if (cmd != EVHTTP_REQ_GET)
			http_reply_error(req, 405, "method not allowed", NULL);
		else
			api_devices(h, req);
		return;
	}
	if (path != NULL && strcmp(path, "/v1/facts") == 0) {
		if (cmd != EVHTTP_REQ_GET)
			http_reply_error(req, 405, "method not allowed", NULL);
		else
			api_facts(h, req);
		return;
	}
	if (path != NULL && strcmp(path, "/v1/streams") == 0) {
		if (cmd != EVHTTP_REQ_POST)
			http_reply_error(req, 405, "method not allowed", NULL);
		else
			api_streams(h, req, &peer, source);
		return;
	}
	http_reply_error(req, 404, "not found", NULL);
}

static struct bufferevent *
api_bevcb(struct event_base *base, void *arg)
{
	struct hub *h = arg;
	SSL *ssl;

	/*
	 * If no TLS bufferevent can be made, evhttp falls back to a plain
	 * one; api_request_cb then finds no SSL and refuses every request.
	 */
	if ((ssl = tls_ssl_new(h->api_tls)) == NULL)
		return NULL;
	if (hub_tls_track(h, ssl, "api", NULL) != 0) {
		SSL_free(ssl);
		return NULL;
	}
	/* On failure libevent may already have freed ssl: see hub-ctl.c. */
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
}

int
hub_api_listen(struct hub *h, int fd)
{
	struct evhttp_bound_socket *bound;

	if ((h->http = evhttp_new(h->base)) == NULL) {
		evutil_closesocket(fd);
		return RSG_ERR_NOMEM;
	}
	evhttp_set_bevcb(h->http, api_bevcb, h);
	evhttp_set_gencb(h->http, api_request_cb, h);
	evhttp_set_max_body_size(h->http, API_BODY_HARD_MAX);
	evhttp_set_max_headers_size(h->http, API_HEADERS_MAX);
	evhttp_set_timeout(h->http, API_TIMEOUT_S);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	net_nodelay(fd);	/* inherited by every accepted API connection */
	if ((bound = evhttp_accept_socket_with_handle(h->http, fd)) == NULL) {
		evutil_closesocket(fd);
		return RSG_ERR_IO;
	}
	/* Paused at api_max connections (hub.c), for a second on EMFILE. */
	h->api_lis = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(h->api_lis, hub_listener_error_cb);
	return 0;
}

void
hub_api_shutdown(struct hub *h)
{
	struct hub_pending *p;

	while ((p = TAILQ_FIRST(&h->pending)) != NULL)
		hub_api_answer(p, 503, 0, "hub shutting down");
	h->api_lis = NULL;	/* freed with h->http */
	if (h->http != NULL)
		evhttp_free(h->http);
	h->http = NULL;
}
