/*
 * ap-alert.c: the access point's failure-alert inputs (R6-R8). Devices
 * POST a JSON alert to alert_listen with their own token, or send an RFC
 * 5424 syslog datagram to syslog_listen. Either way lib/workflow/alert.c
 * keeps only the allow-listed fields; a drop is audited (alert.drop, with
 * the dropped field names), the device must be in the inventory, and the
 * filtered alert goes to the hub as ALERT through the outbox: stored
 * first, sent when the control channel is up, sent again on every
 * reconnect and on a back-off timer until the hub acknowledges it.
 *
 * Tokens live in one file per device (alert_token "DEVICE FILE", mode
 * 0600 or 0400); only their SHA-256 is kept in memory, and a presented
 * token is hashed and compared with every device's digest in constant
 * time. Refusals are audited, at most AP_ALERT_REFUSE_AUDITS a second so
 * that a flood cannot fill the log; the rest are counted in the log.
 *
 * stdout: "alert listening on HOST:PORT", "syslog listening on HOST:PORT".
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "rsgate/alert.h"
#include "rsgate/config.h"
#include "rsgate/inventory.h"
#include "rsgate/outbox.h"
#include "rsgate/store.h"

#include "ap.h"

#define AP_ALERT_TOKEN_MIN 16
#define AP_ALERT_TOKEN_MAX 256
#define AP_ALERT_HEADERS_MAX 8192
#define AP_ALERT_HTTP_TIMEOUT_S 10
#define AP_ALERT_CONNS_MAX 32		/* HTTP connections at once */
#define AP_ALERT_REFUSE_AUDITS 10	/* audited refusals per second */
#define AP_ALERT_RESEND_MIN_MS 5000	/* unacknowledged: resend after */
#define AP_ALERT_RESEND_MAX_MS 300000

struct ap_token {
	char *device;
	uint8_t digest[32];
};

/*
 * The HTTP connection cap: the AP holds a reference on each connection's
 * bufferevent; when evhttp frees one (its callbacks are cleared) the sweep
 * drops the reference and counts it out. At the cap the listener stops
 * accepting (new connections wait in the kernel's backlog).
 */
struct ap_alert_conns {
	struct evconnlistener *listener;	/* owned by the evhttp */
	struct bufferevent *bev[AP_ALERT_CONNS_MAX];
	size_t n;
	int paused;
};

struct ap_alert {
	struct ap *ap;
	struct outbox *ob;
	struct evhttp *http;
	struct ap_alert_conns *conns;
	struct event *ev_sweep;		/* 1 s: connections let go */
	evutil_socket_t udp;
	struct event *ev_udp, *ev_resend;
	int64_t resend_ms;
	struct ap_token *tokens;
	size_t ntokens;
	int64_t refuse_sec;
	unsigned refuse_n;
	uint64_t refuse_unaudited;
};

static void
token_digest(const void *p, size_t n, uint8_t *out)
{
	unsigned int len = 32;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);	/* matches no token: fails closed */
}

/* Read one token file: private, 16..256 printable bytes, one line. */
static int
token_load(const char *path, uint8_t *digest, char *err, size_t errlen)
{
	struct rsg_buf *b = NULL;
	struct stat st;
	const uint8_t *p;
	size_t n, i;
	int r;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return RSG_ERR_IO;
	}
	if ((st.st_mode & 077) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: a token file must be a regular file "
		    "readable only by its owner (chmod 600)", path);
		return RSG_ERR_PERM;
	}
	if ((r = file_read_all(path, AP_ALERT_TOKEN_MAX + 2, &b)) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    rsg_strerror(r));
		return r;
	}
	p = buf_ptr(b);
	n = buf_len(b);
	if (n > 0 && p[n - 1] == '\n')
		n--;
	r = RSG_ERR_FORMAT;
	if (n < AP_ALERT_TOKEN_MIN || n > AP_ALERT_TOKEN_MAX)
		goto bad;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			goto bad;
	token_digest(p, n, digest);
	buf_free(b);
	return 0;
 bad:
	snprintf(err, errlen, "%s: a token is one line of %d to %d printable "
	    "characters without spaces", path, AP_ALERT_TOKEN_MIN,
	    AP_ALERT_TOKEN_MAX);
	buf_free(b);
	return r;
}

static int
tokens_load(struct ap_alert *al, char *err, size_t errlen)
{
	struct config *cfg = al->ap->cfg;
	size_t i, n = config_get_count(cfg, "alert_token");
	const char *v, *sp;
	char dev[INVENTORY_NAME_MAX + 1];
	int r;

	if (n == 0)
		return 0;
	if ((al->tokens = calloc(n, sizeof(*al->tokens))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		v = config_get_nth(cfg, "alert_token", i);
		if ((sp = strchr(v, ' ')) == NULL ||
		    (size_t)(sp - v) >= sizeof(dev)) {
			snprintf(err, errlen, "alert_token #%zu: want \"DEVICE "
			    "TOKENFILE\"", i + 1);
			return RSG_ERR_CONFIG;
		}
		memcpy(dev, v, (size_t)(sp - v));
		dev[sp - v] = '\0';
		if (inventory_device_find(al->ap->inv, dev) == NULL) {
			snprintf(err, errlen, "alert_token #%zu: device \"%s\" "
			    "is not in the inventory", i + 1, dev);
			return RSG_ERR_CONFIG;
		}
		if ((r = token_load(sp + 1, al->tokens[i].digest, err,
		    errlen)) != 0)
			return r;
		if ((al->tokens[i].device = strdup(dev)) == NULL)
			return RSG_ERR_NOMEM;
		al->ntokens = i + 1;
	}
	return 0;
}

/*
 * The device whose token this is, or NULL. Every digest is compared (no
 * early exit), each in constant time.
 */
static const char *
token_device(struct ap_alert *al, const char *tok, size_t n)
{
	uint8_t d[32];
	const char *found = NULL;
	size_t i;

	token_digest(tok, n, d);
	for (i = 0; i < al->ntokens; i++)
		if (mem_equal_ct(d, al->tokens[i].digest, sizeof(d)) == 0)
			found = al->tokens[i].device;
	mem_wipe(d, sizeof(d));
	return found;
}

/* ---- audit ------------------------------------------------------------------ */

static int
audit_alert(struct ap *ap, enum audit_event ev, enum audit_outcome o,
    const char *device, const char *id, const char *source,
    const char *reason)
{
	struct audit_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.event = ev;
	rec.outcome = o;
	rec.f[AUDIT_F_ROLE] = "device";
	rec.f[AUDIT_F_DEVICE] = device;
	rec.f[AUDIT_F_OBJECT] = id;
	rec.f[AUDIT_F_SOURCE] = source;
	rec.f[AUDIT_F_REASON] = reason;
	return ap_audit(ap, &rec);
}

/* A refusal: audited unless over the per-second budget. */
static void
audit_refusal(struct ap_alert *al, enum audit_event ev, const char *device,
    const char *source, const char *reason)
{
	int64_t sec = time_mono_ms() / 1000;

	if (sec != al->refuse_sec) {
		if (al->refuse_unaudited > 0)
			log_warn("%llu more alert refusals not audited "
			    "(over %d a second)",
			    (unsigned long long)al->refuse_unaudited,
			    AP_ALERT_REFUSE_AUDITS);
		al->refuse_sec = sec;
		al->refuse_n = 0;
		al->refuse_unaudited = 0;
	}
	if (al->refuse_n >= AP_ALERT_REFUSE_AUDITS) {
		al->refuse_unaudited++;
		return;
	}
	al->refuse_n++;
	(void)audit_alert(al->ap, ev, ev == AUDIT_EV_AUTH_FAILURE ?
	    AUDIT_OUTCOME_FAILURE : AUDIT_OUTCOME_DENIED, device, NULL, source,
	    reason);
}

/* ---- forwarding --------------------------------------------------------------- */

static void
resend_arm(struct ap_alert *al)
{
	struct timeval tv;

	if (evtimer_pending(al->ev_resend, NULL))
		return;
	tv.tv_sec = (time_t)(al->resend_ms / 1000);
	tv.tv_usec = (suseconds_t)(al->resend_ms % 1000) * 1000;
	evtimer_add(al->ev_resend, &tv);
}

/*
 * Audit what was dropped, audit the receipt, store the alert for the hub.
 * On success id (33 bytes) names the alert.
 */
static int
alert_accept(struct ap_alert *al, struct alert *a,
    const struct alert_drop *d, const char *source, char *id)
{
	const struct inventory_device *dev;
	uint8_t rnd[16];
	char names[512], why[600];
	json_t *body = NULL;
	int r;

	if ((dev = inventory_device_find(al->ap->inv, a->device)) == NULL)
		return RSG_ERR_NOT_FOUND;
	/* The inventory knows the model; a device need not repeat it. */
	if (a->model[0] == '\0' && dev->model[0] != '\0' &&
	    strlen(dev->model) <= ALERT_MODEL_MAX)
		memcpy(a->model, dev->model, strlen(dev->model) + 1);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return RSG_ERR_CRYPTO;
	hex_encode(rnd, sizeof(rnd), id);
	if (d->n > 0) {
		alert_drop_format(d, names, sizeof(names));
		snprintf(why, sizeof(why), "fields not forwarded: %s", names);
		if ((r = audit_alert(al->ap, AUDIT_EV_ALERT_DROP,
		    AUDIT_OUTCOME_SUCCESS, a->device, id, source, why)) != 0)
			return r;
	}
	snprintf(why, sizeof(why), "error_code=%s severity=%s", a->error_code,
	    alert_severity_name(a->severity));
	/* Log first, then act: the receipt is durable before the post. */
	if ((r = audit_alert(al->ap, AUDIT_EV_ALERT_RECEIVE,
	    AUDIT_OUTCOME_SUCCESS, a->device, id, source, why)) != 0)
		return r;
	if ((r = alert_to_json(a, id, al->ap->name, time_now_ms(),
	    &body)) != 0)
		return r;
	r = outbox_post(al->ob, CTL_ALERT, body, time_now_ms());
	json_decref(body);
	if (r != 0) {
		log_error("alert %s: cannot store it for the hub: %s", id,
		    rsg_strerror(r));
		return r;
	}
	log_info("alert %s from %s (%s %s) queued for the hub", id,
	    a->device, a->error_code, alert_severity_name(a->severity));
	resend_arm(al);
	return 0;
}

void
ap_alert_acked(struct ap *ap, const json_t *sent, const json_t *ack)
{
	const char *id = json_string_value(json_object_get(sent, "alert_id"));
	const char *t = json_string_value(json_object_get(ack, "ticket"));
	const char *e = json_string_value(json_object_get(ack, "error"));
	char q[256];

	(void)ap;
	if (e != NULL)
		log_error("the hub refused alert %s: %s", id != NULL ? id : "?",
		    str_escape(e, q, sizeof(q)));
	else {
		log_info("the hub acknowledged alert %s: ticket %s",
		    id != NULL ? id : "?", str_escape(t != NULL ? t : "?", q,
		    sizeof(q)));
		printf("alert %s delivered: ticket %s\n", id != NULL ? id : "?",
		    q);
		fflush(stdout);
	}
}

static void
resend_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_alert *al = arg;
	uint64_t n = 0;

	(void)fd;
	(void)what;
	if (outbox_pending(al->ob, &n) != 0 || n == 0) {
		al->resend_ms = AP_ALERT_RESEND_MIN_MS;
		return;
	}
	/* Not acknowledged on this connection: send again, later each time. */
	if (al->ap->hello_done && outbox_connected(al->ob) != 0)
		log_warn("cannot resend the alerts waiting for the hub");
	al->resend_ms = al->resend_ms >= AP_ALERT_RESEND_MAX_MS / 2 ?
	    AP_ALERT_RESEND_MAX_MS : al->resend_ms * 2;
	resend_arm(al);
}

void
ap_alert_ctl_up(struct ap *ap)
{
	struct ap_alert *al = ap->alert;
	uint64_t n = 0;

	if (al == NULL)
		return;
	/* ap_ticket_connected() has just sent everything stored. */
	al->resend_ms = AP_ALERT_RESEND_MIN_MS;
	if (outbox_pending(al->ob, &n) == 0 && n > 0) {
		evtimer_del(al->ev_resend);
		resend_arm(al);
	}
}

void
ap_alert_ctl_down(struct ap *ap)
{
	/* The outbox itself is ap_ticket_disconnected()'s. */
	if (ap->alert != NULL)
		evtimer_del(ap->alert->ev_resend);
}

/* ---- HTTP input ------------------------------------------------------------------ */

static void
http_reply(struct evhttp_request *req, int code, const char *reason,
    json_t *body)
{
	struct evbuffer *out = evbuffer_new();
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (out != NULL && text != NULL)
		evbuffer_add_printf(out, "%s\n", text);
	evhttp_send_reply(req, code, reason, out);
	if (out != NULL)
		evbuffer_free(out);
	free(text);
	json_decref(body);
}

static void
http_error(struct evhttp_request *req, int code, const char *reason,
    const char *msg)
{
	http_reply(req, code, reason, json_pack("{s:s}", "error", msg));
}

static void
req_source(struct evhttp_request *req, char *out, size_t outlen)
{
	struct evhttp_connection *con = evhttp_request_get_connection(req);
	const char *host = NULL;
	ev_uint16_t port = 0;

	if (con != NULL)
		evhttp_connection_get_peer(con, (char **)&host, &port);
	snprintf(out, outlen, "%s:%u", host != NULL ? host : "?",
	    (unsigned)port);
}

static void
http_alert_cb(struct evhttp_request *req, void *arg)
{
	struct ap_alert *al = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *auth, *dev;
	struct alert a;
	struct alert_drop d;
	char source[128], err[256], id[33];
	uint8_t body[ALERT_BODY_MAX];
	size_t n;
	json_t *dropped;
	int r;

	req_source(req, source, sizeof(source));
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_error(req, 405, "Method Not Allowed", "use POST");
		return;
	}
	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
	    (dev = token_device(al, auth + 7, strlen(auth + 7))) == NULL) {
		audit_refusal(al, AUDIT_EV_AUTH_FAILURE, NULL, source,
		    auth == NULL ? "alert without a token" :
		    "alert with an unknown token");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		http_error(req, 401, "Unauthorized", "a valid device token is "
		    "required");
		return;
	}
	n = evbuffer_get_length(in);
	if (n > sizeof(body)) {
		http_error(req, 413, "Payload Too Large", "alert too large");
		return;
	}
	if (evbuffer_remove(in, body, n) != (int)n) {
		http_error(req, 500, "Internal Server Error", "read failed");
		return;
	}
	r = alert_parse_json(body, n, &a, &d, err, sizeof(err));
	mem_wipe(body, n);	/* it may hold patient data */
	if (r != 0) {
		audit_refusal(al, AUDIT_EV_ALERT_RECEIVE, dev, source, err);
		http_error(req, 400, "Bad Request", err);
		return;
	}
	if (strcmp(a.device, dev) != 0) {
		snprintf(err, sizeof(err), "the token of %s cannot post alerts "
		    "for another device", dev);
		audit_refusal(al, AUDIT_EV_ALERT_RECEIVE, dev, source, err);
		http_error(req, 403, "Forbidden", err);
		return;
	}
	if ((r = alert_accept(al, &a, &d, source, id)) != 0) {
		http_error(req, 503, "Service Unavailable", "cannot take the "
		    "alert now; send it again");
		return;
	}
	if ((dropped = json_array()) != NULL) {
		size_t i;

		for (i = 0; i < d.n && i < ALERT_DROP_MAX; i++)
			json_array_append_new(dropped,
			    json_string(d.names[i]));
	}
	http_reply(req, 202, "Accepted", json_pack("{s:b, s:s, s:o*}", "ok",
	    1, "alert_id", id, "dropped", dropped));
}

static void
http_other_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	http_error(req, 404, "Not Found", "POST alerts to /v1/alerts");
}

/* ---- syslog input ----------------------------------------------------------------- */

/* Whether ip is the address of one of the device's services. */
static int
source_is_device(const struct inventory_device *dev, const char *ip)
{
	size_t i;

	for (i = 0; i < dev->nservices; i++)
		if (strcmp(dev->services[i].host, ip) == 0)
			return 1;
	return 0;
}

static void
udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_alert *al = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const struct inventory_device *dev;
	struct alert a;
	struct alert_drop d;
	uint8_t pkt[ALERT_BODY_MAX + 1];
	char ip[INET6_ADDRSTRLEN], source[INET6_ADDRSTRLEN + 16], err[256];
	char id[33];
	ssize_t n;
	int i;

	(void)what;
	/* A bounded batch per wake-up, so that a flood cannot starve us. */
	for (i = 0; i < 64; i++) {
		n = recvfrom(fd, pkt, sizeof(pkt), MSG_TRUNC,
		    (struct sockaddr *)&ss, &sl);
		if (n < 0)
			return;
		if (getnameinfo((struct sockaddr *)&ss, sl, ip, sizeof(ip),
		    NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(ip, sizeof(ip), "?");
		snprintf(source, sizeof(source), "%s (syslog)", ip);
		sl = sizeof(ss);
		if ((size_t)n > ALERT_BODY_MAX) {
			audit_refusal(al, AUDIT_EV_ALERT_RECEIVE, NULL, source,
			    "syslog message too large");
			continue;
		}
		if (alert_parse_syslog(pkt, (size_t)n, &a, &d, err,
		    sizeof(err)) != 0) {
			mem_wipe(pkt, (size_t)n);
			audit_refusal(al, AUDIT_EV_ALERT_RECEIVE, NULL, source,
			    err);
			continue;
		}
		mem_wipe(pkt, (size_t)n);
		if ((dev = inventory_device_find(al->ap->inv,
		    a.device)) == NULL || !source_is_device(dev, ip)) {
			audit_refusal(al, AUDIT_EV_ALERT_RECEIVE, a.device,
			    source, dev == NULL ? "device not in the "
			    "inventory" : "syslog from an address that is not "
			    "the device's");
			continue;
		}
		if (alert_accept(al, &a, &d, source, id) != 0)
			log_error("syslog alert from %s lost: cannot store it",
			    a.device);
	}
}

/* ---- start and stop ---------------------------------------------------------------- */

static int
bind_addr(const char *spec, int socktype, struct addrinfo **res)
{
	struct addrinfo hints;
	char host[256], ps[8];
	uint16_t port;

	if (ctl_hostport_split(spec, host, sizeof(host), &port) != 0) {
		/* Port 0 is fine for a listener. */
		const char *c = strrchr(spec, ':');

		if (c == NULL || strcmp(c, ":0") != 0 ||
		    (size_t)(c - spec) >= sizeof(host))
			return RSG_ERR_FORMAT;
		memcpy(host, spec, (size_t)(c - spec));
		host[c - spec] = '\0';
		port = 0;
	}
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	return getaddrinfo(host[0] == '[' ? host + 1 : host, ps, &hints,
	    res) == 0 ? 0 : RSG_ERR_FORMAT;
}

static void
print_bound(const char *what, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN], port[8];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	printf(ss.ss_family == AF_INET6 ? "%s listening on [%s]:%s\n" :
	    "%s listening on %s:%s\n", what, host, port);
	fflush(stdout);
}

/* Count out the connections evhttp has let go; accept again below the cap. */
static void
http_conns_sweep(struct ap_alert_conns *c, int all)
{
	bufferevent_data_cb rd, wr;
	bufferevent_event_cb ev;
	void *arg;
	size_t i = 0;

	while (i < c->n) {
		bufferevent_getcb(c->bev[i], &rd, &wr, &ev, &arg);
		if (!all && ev != NULL) {
			i++;
			continue;
		}
		bufferevent_decref(c->bev[i]);
		c->bev[i] = c->bev[--c->n];
	}
	if (c->paused && c->n < AP_ALERT_CONNS_MAX && c->listener != NULL &&
	    evconnlistener_enable(c->listener) == 0) {
		c->paused = 0;
		log_info("alert: accepting connections again");
	}
}

static void
http_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_conns_sweep(arg, 0);
}

static struct bufferevent *
http_bev_cb(struct event_base *base, void *arg)
{
	struct ap_alert_conns *c = arg;
	struct bufferevent *bev;

	http_conns_sweep(c, 0);
	if (c->n >= AP_ALERT_CONNS_MAX)
		return NULL;	/* not reached: accepting stopped at the cap */
	if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	c->bev[c->n++] = bev;
	if (c->n >= AP_ALERT_CONNS_MAX && !c->paused &&
	    evconnlistener_disable(c->listener) == 0) {
		c->paused = 1;
		log_warn("alert: %d connections at once; new ones wait",
		    AP_ALERT_CONNS_MAX);
	}
	return bev;
}

static int
http_start(struct ap_alert *al, const char *spec, char *err, size_t errlen)
{
	struct addrinfo *ai = NULL;
	const struct timeval one_s = { 1, 0 };
	struct evhttp_bound_socket *bs;
	int fd = -1, one = 1;

	if (bind_addr(spec, SOCK_STREAM, &ai) != 0) {
		snprintf(err, errlen, "alert_listen \"%s\": want HOST:PORT",
		    spec);
		return RSG_ERR_CONFIG;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 64) != 0) {
		snprintf(err, errlen, "alert_listen %s: %s", spec,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return RSG_ERR_IO;
	}
	freeaddrinfo(ai);
	if ((al->http = evhttp_new(al->ap->base)) == NULL ||
	    (bs = evhttp_accept_socket_with_handle(al->http, fd)) == NULL) {
		close(fd);
		snprintf(err, errlen, "alert_listen: out of memory");
		return RSG_ERR_NOMEM;
	}
	if ((al->conns = calloc(1, sizeof(*al->conns))) == NULL) {
		snprintf(err, errlen, "alert_listen: out of memory");
		return RSG_ERR_NOMEM;
	}
	al->conns->listener = evhttp_bound_socket_get_listener(bs);
	if ((al->ev_sweep = event_new(al->ap->base, -1, EV_PERSIST,
	    http_sweep_cb, al->conns)) == NULL ||
	    event_add(al->ev_sweep, &one_s) != 0) {
		snprintf(err, errlen, "alert_listen: out of memory");
		return RSG_ERR_NOMEM;
	}
	evhttp_set_bevcb(al->http, http_bev_cb, al->conns);
	evhttp_set_max_body_size(al->http, ALERT_BODY_MAX);
	evhttp_set_max_headers_size(al->http, AP_ALERT_HEADERS_MAX);
	evhttp_set_timeout(al->http, AP_ALERT_HTTP_TIMEOUT_S);
	evhttp_set_allowed_methods(al->http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
	if (evhttp_set_cb(al->http, "/v1/alerts", http_alert_cb, al) != 0)
		return RSG_ERR_NOMEM;
	evhttp_set_gencb(al->http, http_other_cb, al);
	print_bound("alert", fd);
	return 0;
}

static int
udp_start(struct ap_alert *al, const char *spec, char *err, size_t errlen)
{
	struct addrinfo *ai = NULL;

	if (bind_addr(spec, SOCK_DGRAM, &ai) != 0) {
		snprintf(err, errlen, "syslog_listen \"%s\": want HOST:PORT",
		    spec);
		return RSG_ERR_CONFIG;
	}
	if ((al->udp = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0 ||
	    bind(al->udp, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(err, errlen, "syslog_listen %s: %s", spec,
		    strerror(errno));
		freeaddrinfo(ai);
		return RSG_ERR_IO;
	}
	freeaddrinfo(ai);
	if ((al->ev_udp = event_new(al->ap->base, al->udp,
	    EV_READ | EV_PERSIST, udp_cb, al)) == NULL ||
	    event_add(al->ev_udp, NULL) != 0) {
		snprintf(err, errlen, "syslog_listen: out of memory");
		return RSG_ERR_NOMEM;
	}
	print_bound("syslog", al->udp);
	return 0;
}

/* Alerts share the AP's one outbox to the hub (ap-ticket.c). */
static int
alert_outbox_open(struct ap_alert *al, char *err, size_t errlen)
{
	if ((al->ob = ap_outbox(al->ap)) == NULL) {
		snprintf(err, errlen, "alerts: the outbox to the hub is not "
		    "open");
		return RSG_ERR_INTERNAL;
	}
	return 0;
}

int
ap_alert_start(struct ap *ap, char *err, size_t errlen)
{
	struct ap_alert *al;
	const char *hl = config_get_string(ap->cfg, "alert_listen");
	const char *sl = config_get_string(ap->cfg, "syslog_listen");
	int r;

	if ((al = calloc(1, sizeof(*al))) == NULL)
		return RSG_ERR_NOMEM;
	al->ap = ap;
	al->udp = -1;
	al->resend_ms = AP_ALERT_RESEND_MIN_MS;
	ap->alert = al;
	if ((r = tokens_load(al, err, errlen)) != 0 ||
	    (r = alert_outbox_open(al, err, errlen)) != 0)
		return r;
	if ((al->ev_resend = evtimer_new(ap->base, resend_cb, al)) == NULL)
		return RSG_ERR_NOMEM;
	if (hl != NULL && al->ntokens == 0)
		log_warn("alert_listen is set but no alert_token: every HTTP "
		    "alert will be refused");
	if (hl != NULL && (r = http_start(al, hl, err, errlen)) != 0)
		return r;
	if (sl != NULL && (r = udp_start(al, sl, err, errlen)) != 0)
		return r;
	return 0;
}

/* The semantic checks of -t: token lines, files and devices. */
int
ap_alert_check(struct ap *ap, char *err, size_t errlen)
{
	struct ap_alert al;
	size_t i;
	int r;

	memset(&al, 0, sizeof(al));
	al.ap = ap;
	r = tokens_load(&al, err, errlen);
	for (i = 0; i < al.ntokens; i++)
		free(al.tokens[i].device);
	free(al.tokens);
	return r;
}

void
ap_alert_stop(struct ap *ap)
{
	struct ap_alert *al = ap->alert;
	size_t i;

	if (al == NULL)
		return;
	if (al->ev_sweep != NULL)
		event_free(al->ev_sweep);
	if (al->http != NULL)
		evhttp_free(al->http);
	if (al->conns != NULL) {
		al->conns->listener = NULL;
		http_conns_sweep(al->conns, 1);
		free(al->conns);
	}
	al->conns = NULL;
	if (al->ev_udp != NULL)
		event_free(al->ev_udp);
	if (al->udp >= 0)
		close(al->udp);
	if (al->ev_resend != NULL)
		event_free(al->ev_resend);
	for (i = 0; i < al->ntokens; i++)
		free(al->tokens[i].device);
	if (al->tokens != NULL)
		mem_wipe(al->tokens, al->ntokens * sizeof(*al->tokens));
	free(al->tokens);
	free(al);
	ap->alert = NULL;
}
