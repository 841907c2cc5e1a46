/*
 * hub-ctl.c: the hub's end of the control channel (docs/PROTOCOL.md). An
 * access point dials control_listen with TLS 1.3 and its ap certificate;
 * its first frame must be HELLO (64 KiB cap) naming itself exactly as its
 * certificate's CN. The hub answers HELLO_ACK with the heartbeat interval,
 * keeps the inventory, answers PING with PONG, pings an AP it has sent
 * nothing to for a heartbeat and drops one silent for dead_after. A second
 * connection of the same AP replaces the first. Any bad frame or message
 * gets ERROR and the connection is closed after it is flushed; every
 * connect, disconnect and refusal is audited.
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
#include <event2/listener.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "rsgate/pki.h"

#include "hub.h"

/* How long a connection that sent ERROR may take to flush it. */
#define CTL_LINGER_MS 2000

static void ctl_close(struct ctl_conn *c, const char *reason);

static struct hub_ap *
ap_find(struct hub *h, const char *name)
{
	struct hub_ap *ap;

	TAILQ_FOREACH(ap, &h->aps, entry)
		if (strcmp(ap->name, name) == 0)
			return ap;
	return NULL;
}

int
hub_ap_find(struct hub *h, const char *device, const char *service,
    struct hub_ap **app, const struct ctl_device **devp)
{
	const struct ctl_device *d, *dev_only = NULL, *best_dev = NULL;
	struct hub_ap *ap, *best = NULL;
	size_t i, j;

	TAILQ_FOREACH(ap, &h->aps, entry) {
		if (ap->hello == NULL)
			continue;
		for (i = 0; i < ap->hello->u.hello.ndevices; i++) {
			d = &ap->hello->u.hello.devices[i];
			if (strcmp(d->name, device) != 0)
				continue;
			dev_only = d;
			for (j = 0; j < d->nservices; j++) {
				if (strcmp(d->services[j].name, service) != 0)
					continue;
				/* Prefer an AP that is connected now. */
				if (best == NULL || (best->conn == NULL &&
				    ap->conn != NULL)) {
					best = ap;
					best_dev = d;
				}
			}
		}
	}
	if (best != NULL) {
		*app = best;
		*devp = best_dev;
		return 0;
	}
	return dev_only != NULL ? RSG_ERR_INVALID_ARG : RSG_ERR_NOT_FOUND;
}

int
hub_ctl_send(struct ctl_conn *c, const struct ctl_msg *m)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct rsg_buf *b;
	int r;

	if (c->closing)
		return RSG_ERR_INVALID_ARG;
	if ((b = buf_new(CTL_FRAME_MAX + CTL_FRAME_HDR_LEN)) == NULL)
		return RSG_ERR_NOMEM;
	if ((r = ctl_msg_encode(m, b)) == 0 &&
	    bufferevent_write(c->bev, buf_ptr(b), buf_len(b)) != 0)
		r = RSG_ERR_NOMEM;
	buf_free(b);	/* wipes a STREAM_OPEN's token */
	if (r != 0)
		return r;
	c->last_tx_ms = time_mono_ms();
	if (evbuffer_get_length(out) > HUB_CTL_OUT_MAX) {
		/* It does not read: do not queue without bound. */
		ctl_close(c, "the access point does not read its control "
		    "channel");
		return RSG_ERR_LIMIT;
	}
	return 0;
}

static void
ctl_free(struct ctl_conn *c)
{
	struct hub *h = c->hub;

	TAILQ_REMOVE(&h->conns, c, entry);
	h->nconns--;
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);	/* frees the SSL, audits a failed handshake */
	free(c);
}

/* Close c now: audit an AP's disconnect, fail its waiting API requests. */
static void
ctl_close(struct ctl_conn *c, const char *reason)
{
	struct hub *h = c->hub;
	struct hub_pending *p, *np;
	struct hub_ap *ap = c->ap;
	SSL *ssl;

	if (!c->authed && c->bev != NULL &&
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) != NULL)
		hub_tls_track_reason(ssl, reason);
	hub_vault_conn_closed(h, c);
	if (ap != NULL) {
		log_info("access point %s (%s) disconnected: %s", ap->name,
		    c->source, reason);
		(void)hub_audit(h, AUDIT_EV_SESSION_CLOSE, AUDIT_OUTCOME_SUCCESS,
		    ap->name, "ap", c->session, NULL, ap->hello != NULL ?
		    ap->hello->u.hello.site : NULL, "control-channel", NULL,
		    c->source, reason);
		if (ap->conn == c) {
			ap->conn = NULL;
			hub_ticket_ap_down(h, ap);
		}
		c->ap = NULL;
	}
	for (p = TAILQ_FIRST(&h->pending); p != NULL; p = np) {
		np = TAILQ_NEXT(p, entry);
		if (p->conn == c)
			hub_api_answer(p, 503, 0,
			    "the access point disconnected");
	}
	ctl_free(c);
}

static void
ctl_flushed_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;

	(void)bev;
	ctl_close(c, c->close_reason);
}

/*
 * Send ERROR code/reason, audit the refusal, and close once it is flushed
 * (or after CTL_LINGER_MS).
 */
static void
ctl_fail(struct ctl_conn *c, uint32_t id, uint32_t code, const char *reason)
{
	struct ctl_msg m;
	struct timeval tv = { CTL_LINGER_MS / 1000, 0 };
	char why[400];

	snprintf(why, sizeof(why), "control channel: %s (%s)", reason,
	    ctl_errcode_name(code));
	log_info("%s: %s", c->source, why);
	(void)hub_audit(c->hub, AUDIT_EV_AUTH_FAILURE, AUDIT_OUTCOME_FAILURE,
	    c->ap != NULL ? c->ap->name : c->peer.cn[0] != '\0' ? c->peer.cn :
	    NULL, "ap", c->session, NULL, NULL, NULL, NULL, c->source, why);
	memset(&m, 0, sizeof(m));
	m.type = CTL_ERROR;
	m.id = id;
	m.u.error.code = code;
	m.u.error.reason = (char *)reason;
	if (hub_ctl_send(c, &m) != 0)
		return;		/* closed, or cannot send: */
	c->closing = 1;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", why);
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, ctl_flushed_cb, NULL, c);
	event_del(c->ev_timer);
	evtimer_add(c->ev_timer, &tv);
}

static void
ctl_hello(struct ctl_conn *c, struct ctl_msg *m)
{
	struct hub *h = c->hub;
	struct ctl_hello *he = &m->u.hello;
	struct hub_ap *ap;
	struct ctl_msg ack;
	char why[128];

	if (strcmp(he->ap_name, c->peer.cn) != 0) {
		ctl_msg_free(m);
		ctl_fail(c, 0, CTL_E_PROTOCOL,
		    "the access point's name is not its certificate's CN");
		return;
	}
	if ((ap = ap_find(h, he->ap_name)) == NULL) {
		if ((ap = calloc(1, sizeof(*ap))) == NULL) {
			ctl_msg_free(m);
			ctl_fail(c, 0, CTL_E_INTERNAL, "out of memory");
			return;
		}
		snprintf(ap->name, sizeof(ap->name), "%s", he->ap_name);
		ap->hub = h;
		TAILQ_INSERT_TAIL(&h->aps, ap, entry);
	}
	if (hub_ticket_ap_new(h, ap) != 0) {
		ctl_msg_free(m);
		ctl_fail(c, 0, CTL_E_INTERNAL, "out of memory");
		return;
	}
	if (ap->conn != NULL && ap->conn != c)
		ctl_close(ap->conn, "replaced by a new connection of the same "
		    "access point");
	ctl_msg_free(ap->hello);
	ap->hello = m;
	ap->conn = c;
	snprintf(ap->fingerprint, sizeof(ap->fingerprint), "%s",
	    c->peer.fingerprint);
	c->ap = ap;
	c->hello_done = 1;
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    CTL_FRAME_MAX + CTL_FRAME_HDR_LEN);
	snprintf(why, sizeof(why), "access point connected with %zu "
	    "device(s)", he->ndevices);
	log_info("access point %s (%s) connected, %zu device(s)", ap->name,
	    c->source, he->ndevices);
	(void)hub_audit(h, AUDIT_EV_SESSION_OPEN, AUDIT_OUTCOME_SUCCESS,
	    ap->name, "ap", c->session, NULL, he->site, "control-channel",
	    c->peer.fingerprint, c->source, why);
	memset(&ack, 0, sizeof(ack));
	ack.type = CTL_HELLO_ACK;
	ack.id = m->id;
	ack.u.hello_ack.hub_name = (char *)h->name;
	ack.u.hello_ack.heartbeat_s = (uint32_t)h->heartbeat_s;
	if (hub_ctl_send(c, &ack) == 0)
		hub_ticket_ap_up(h, ap);
}

static struct hub_pending *
pending_find(struct hub *h, struct ctl_conn *c, uint32_t id,
    const uint8_t *stream_id)
{
	struct hub_pending *p;

	TAILQ_FOREACH(p, &h->pending, entry)
		if (p->conn == c && p->reqid == id &&
		    memcmp(p->st->id, stream_id, CTL_STREAM_ID_LEN) == 0)
			return p;
	return NULL;
}

/* One decoded, allowed message from c. Takes m. 0, or -1 if c is gone. */
static int
ctl_dispatch(struct ctl_conn *c, struct ctl_msg *m)
{
	struct hub_pending *p;
	struct ctl_msg pong;
	char idhex[2 * CTL_STREAM_ID_LEN + 1];

	switch (m->type) {
	case CTL_HELLO:
		ctl_hello(c, m);
		return c->closing ? -1 : 0;
	case CTL_PING:
		memset(&pong, 0, sizeof(pong));
		pong.type = CTL_PONG;
		pong.id = m->id;
		pong.u.ping.time_ms = m->u.ping.time_ms;
		ctl_msg_free(m);
		return hub_ctl_send(c, &pong) == RSG_ERR_LIMIT ? -1 : 0;
	case CTL_PONG:
		break;
	case CTL_ERROR:
		log_warn("access point %s sent ERROR %s", c->peer.cn,
		    ctl_errcode_name(m->u.error.code));
		ctl_msg_free(m);
		ctl_close(c, "the access point sent ERROR");
		return -1;
	case CTL_STREAM_OPEN_OK:
		if ((p = pending_find(c->hub, c, m->id,
		    m->u.stream_open_ok.stream_id)) == NULL)
			break;
		/* The engineer's pairing time starts with this answer. */
		if (relay_stream_renew(c->hub->relay,
		    m->u.stream_open_ok.stream_id, c->hub->pairing_ms) != 0)
			hub_api_answer(p, 504, 0, "the pairing tokens expired "
			    "while the access point was deciding");
		else
			hub_api_answer(p, 201, 0, NULL);
		break;
	case CTL_STREAM_OPEN_ERR:
		if ((p = pending_find(c->hub, c, m->id,
		    m->u.stream_open_err.stream_id)) != NULL)
			hub_api_answer(p, 403, m->u.stream_open_err.code,
			    m->u.stream_open_err.reason);
		break;
	case CTL_DECISION:
		hub_ticket_decision(c, m);
		break;
	case CTL_ACK:
		hub_ticket_ack(c, m);
		break;
	case CTL_COLLECT_DATA:
		hub_vault_ctl(c, m);
		break;
	case CTL_ALERT:
		if (hub_alert_receive(c, m) != 0) {
			ctl_msg_free(m);
			return -1;
		}
		break;
	case CTL_STREAM_CLOSE:
		hex_encode(m->u.stream_close.stream_id, CTL_STREAM_ID_LEN,
		    idhex);
		log_info("access point %s closed stream %s: bytes up %llu "
		    "down %llu", c->ap->name, idhex,
		    (unsigned long long)m->u.stream_close.bytes_up,
		    (unsigned long long)m->u.stream_close.bytes_down);
		break;
	default:
		break;
	}
	ctl_msg_free(m);
	return 0;
}

static uint32_t
frame_errcode(int r, const uint8_t *p, size_t len)
{
	if (r == RSG_ERR_LIMIT)
		return CTL_E_LIMIT;
	if (r == RSG_ERR_VERSION)
		return CTL_E_VERSION;
	if (len >= 7 && ctl_type_lookup((uint16_t)(p[5] << 8 | p[6])) == NULL)
		return CTL_E_UNKNOWN_TYPE;
	return CTL_E_PROTOCOL;
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ctl_frame f;
	struct ctl_msg *m;
	const uint8_t *p;
	size_t len, used;
	int r;

	c->last_rx_ms = time_mono_ms();
	while (!c->closing && (len = evbuffer_get_length(in)) > 0) {
		if ((p = evbuffer_pullup(in, (ssize_t)len)) == NULL) {
			ctl_close(c, "out of memory");
			return;
		}
		r = ctl_frame_parse(p, len, c->hello_done ? CTL_FRAME_MAX :
		    CTL_FRAME_MAX_HELLO, &f, &used);
		if (r == RSG_ERR_INCOMPLETE)
			return;
		if (r != 0) {
			ctl_fail(c, 0, frame_errcode(r, p, len),
			    r == RSG_ERR_LIMIT ? "frame over the size limit" :
			    r == RSG_ERR_VERSION ? "unsupported version" :
			    "malformed frame");
			return;
		}
		if ((r = ctl_type_allowed(f.type, CTL_ROLE_AP,
		    c->hello_done)) != 0) {
			ctl_fail(c, f.id, CTL_E_UNEXPECTED, c->hello_done ?
			    "message not allowed now" :
			    "the first message must be HELLO");
			return;
		}
		if ((r = ctl_msg_decode(&f, &m)) != 0) {
			ctl_fail(c, f.id, r == RSG_ERR_LIMIT ? CTL_E_LIMIT :
			    CTL_E_PROTOCOL, r == RSG_ERR_LIMIT ?
			    "a field over its limit" : "malformed message");
			return;
		}
		m->id = f.id;
		evbuffer_drain(in, used);
		if (ctl_dispatch(c, m) != 0)
			return;
	}
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *c = arg;
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	char why[300];
	int r;

	if (what & BEV_EVENT_CONNECTED) {
		if ((r = tls_peer_get(ssl, PKI_ROLE_AP, &c->peer)) != 0) {
			snprintf(why, sizeof(why), "peer certificate not "
			    "accepted: %s", rsg_strerror(r));
			hub_tls_track_reason(ssl, why);
			ctl_close(c, why);
			return;
		}
		c->authed = 1;
		c->last_rx_ms = time_mono_ms();
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ctl_close(c, (what & BEV_EVENT_EOF) ?
		    "connection closed by the peer" : "connection error");
}

static void
ctl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;
	struct hub *h = c->hub;
	struct ctl_msg ping;
	int64_t now = time_mono_ms();
	char why[128];

	(void)fd;
	(void)what;
	if (c->closing) {
		ctl_close(c, c->close_reason);
		return;
	}
	if (!c->hello_done) {
		if (now - c->started_ms >= (h->dead_after_ms < HUB_CTL_HELLO_MS ?
		    h->dead_after_ms : HUB_CTL_HELLO_MS))
			ctl_close(c, c->authed ? "no HELLO in time" :
			    "TLS handshake not finished in time");
		return;
	}
	if (now - c->last_rx_ms >= h->dead_after_ms) {
		snprintf(why, sizeof(why), "no heartbeat for %llds",
		    (long long)(h->dead_after_ms / 1000));
		ctl_close(c, why);
		return;
	}
	if (now - c->last_tx_ms >= (int64_t)h->heartbeat_s * 1000) {
		memset(&ping, 0, sizeof(ping));
		ping.type = CTL_PING;
		ping.id = ++h->next_reqid;
		ping.u.ping.time_ms = (uint64_t)time_now_ms();
		(void)hub_ctl_send(c, &ping);
	}
}

/* Connections from ip that have not yet said HELLO. */
static int
pending_from(const struct hub *h, const char *ip)
{
	const struct ctl_conn *c;
	int n = 0;

	TAILQ_FOREACH(c, &h->conns, entry)
		if (!c->hello_done && strcmp(c->ip, ip) == 0)
			n++;
	return n;
}

static void
ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct hub *h = arg;
	struct ctl_conn *c = NULL;
	struct timeval tv = { 1, 0 };
	char ip[HUB_ADDR_MAX];
	uint8_t sid[16];
	SSL *ssl = NULL;

	(void)l;
	(void)salen;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->hub = h;
	hub_addr_format(sa, c->source, sizeof(c->source), 1);
	hub_addr_format(sa, ip, sizeof(ip), 0);
	relay_source_key(ip, c->ip, sizeof(c->ip));	/* IPv6: its /64 */
	/* Refused before any TLS work: strangers cost little. */
	if (h->nconns >= h->ctl_max) {
		hub_audit_refusal(h, AUDIT_OUTCOME_DENIED, NULL, "ap", NULL,
		    "control-channel", c->source, "control listener: too many "
		    "control connections open");
		evutil_closesocket(fd);
		free(c);
		return;
	}
	if (pending_from(h, c->ip) >= HUB_CTL_PENDING_PER_SOURCE) {
		hub_audit_refusal(h, AUDIT_OUTCOME_DENIED, NULL, "ap", NULL,
		    "control-channel", c->source, "control listener: too many "
		    "connections from this address before HELLO");
		evutil_closesocket(fd);
		free(c);
		return;
	}
	if (RAND_bytes(sid, sizeof(sid)) != 1)
		goto fail;
	hex_encode(sid, sizeof(sid), c->session);
	if ((ssl = tls_ssl_new(h->ctl_tls)) == NULL ||
	    hub_tls_track(h, ssl, "control", c->source) != 0)
		goto fail;
	/*
	 * With BEV_OPT_CLOSE_ON_FREE, libevent 2.1 frees the SSL (and closes
	 * the socket) itself when it fails after taking them, and not when it
	 * fails before: we cannot tell which, and a double SSL_free or a
	 * double close (of a number already reused) is worse than a leak on
	 * an out-of-memory path. So both count as handed over either way.
	 */
	net_nodelay(fd);
	c->bev = bufferevent_openssl_socket_new(h->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	ssl = NULL;	/* owned by the bufferevent */
	fd = -1;
	if (c->bev == NULL)
		goto fail;
	TAILQ_INSERT_TAIL(&h->conns, c, entry);
	h->nconns++;
	c->started_ms = c->last_rx_ms = c->last_tx_ms = time_mono_ms();
	bufferevent_setcb(c->bev, ctl_read_cb, NULL, ctl_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    CTL_FRAME_MAX_HELLO + CTL_FRAME_HDR_LEN);
	if ((c->ev_timer = event_new(h->base, -1, EV_PERSIST, ctl_timer_cb,
	    c)) == NULL || event_add(c->ev_timer, &tv) != 0 ||
	    bufferevent_enable(c->bev, EV_READ) != 0) {
		ctl_close(c, "out of memory");
		return;
	}
	return;
 fail:
	log_error("cannot accept a control connection: out of memory");
	if (ssl != NULL)
		SSL_free(ssl);
	if (fd >= 0)
		evutil_closesocket(fd);
	free(c);
}

int
hub_ctl_listen(struct hub *h, int fd)
{
	if ((h->ctl_lis = evconnlistener_new(h->base, ctl_accept_cb, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd)) == NULL) {
		evutil_closesocket(fd);
		return RSG_ERR_NOMEM;
	}
	evconnlistener_set_error_cb(h->ctl_lis, hub_listener_error_cb);
	return 0;
}

void
hub_ctl_shutdown(struct hub *h)
{
	struct ctl_conn *c;

	if (h->ctl_lis != NULL)
		evconnlistener_free(h->ctl_lis);
	h->ctl_lis = NULL;
	while ((c = TAILQ_FIRST(&h->conns)) != NULL)
		ctl_close(c, "hub shutting down");
}
