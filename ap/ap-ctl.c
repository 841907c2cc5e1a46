/*
 * ap-ctl.c: the access point's control channel to the hub
 * (docs/PROTOCOL.md). The AP dials the hub (TLS 1.3, the hub's certificate
 * must carry the hub role), sends HELLO with its whole inventory, answers
 * PING, sends PING every heartbeat, and treats a hub that sent nothing for
 * dead_after as dead. Whenever the channel is lost or cannot be set up it
 * tries again after a jittered exponential back-off (1 s doubling up to
 * reconnect_max), for ever: an AP in a hospital is not restarted by hand.
 * Streams have their own sockets and are not touched by a reconnect.
 *
 * stdout (flushed, for people and tests):
 *	connected to hub HOST:PORT	(after the hub accepted our HELLO)
 *	hub connection lost: REASON; retrying in Ns
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "rsgate/ctlmsg.h"
#include "rsgate/inventory.h"
#include "rsgate/tls.h"

#include "ap.h"

/* Unsent control bytes beyond which the hub counts as stuck. */
#define AP_CTL_OUT_MAX (4u * 1024 * 1024)

static void ctl_connect(struct ap *ap);

static int64_t
backoff_next(struct ap *ap)
{
	int64_t cap = (int64_t)ap->reconnect_max_s * 1000, base, delay;
	uint32_t rnd = 0;

	if (ap->backoff_ms < AP_RECONNECT_MIN_MS)
		ap->backoff_ms = AP_RECONNECT_MIN_MS;
	base = ap->backoff_ms < cap ? ap->backoff_ms : cap;
	/* Up to a quarter more, so that many APs do not retry in step. */
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint32_t)time_mono_ms();
	delay = base + (int64_t)(rnd % (uint32_t)(base / 4 + 1));
	if (delay > cap)
		delay = cap;
	ap->backoff_ms = base > cap / 2 ? cap : base * 2;
	return delay;
}

static void
ctl_lost(struct ap *ap, const char *reason)
{
	struct timeval tv;
	int64_t delay;

	if (ap->ctl != NULL) {
		bufferevent_free(ap->ctl);
		ap->ctl = NULL;
	}
	/*
	 * Whatever OpenSSL queued about the lost connection must not be
	 * read as the next handshake's failure (libevent's TLS bufferevents
	 * look at the thread's error queue).
	 */
	ERR_clear_error();
	ap->ctl_up = 0;
	ap->hello_done = 0;
	ap_ticket_disconnected(ap);
	ap_alert_ctl_down(ap);
	evtimer_del(ap->ev_ping);
	if (ap->stopping)
		return;
	delay = backoff_next(ap);
	printf("hub connection lost: %s; retrying in %llds\n", reason,
	    (long long)((delay + 500) / 1000));
	fflush(stdout);
	log_info("hub %s: %s; next attempt in %lld ms", ap->hub, reason,
	    (long long)delay);
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	evtimer_add(ap->ev_retry, &tv);
}

void
ap_ctl_send(struct ap *ap, struct ctl_msg *m)
{
	struct rsg_buf *b;
	int r;

	if (ap->ctl == NULL || !ap->ctl_up)
		return;
	if ((b = buf_new(CTL_FRAME_MAX + CTL_FRAME_HDR_LEN)) == NULL) {
		log_error("control channel: out of memory");
		return;
	}
	if ((r = ctl_msg_encode(m, b)) != 0)
		log_error("control channel: cannot encode %s: %s",
		    ctl_type_name(m->type), rsg_strerror(r));
	else if (bufferevent_write(ap->ctl, buf_ptr(b), buf_len(b)) != 0)
		log_error("control channel: cannot queue %s",
		    ctl_type_name(m->type));
	buf_free(b);
	if (ap->ctl != NULL && evbuffer_get_length(
	    bufferevent_get_output(ap->ctl)) > AP_CTL_OUT_MAX)
		ctl_lost(ap, "the hub does not read its control channel");
}

static void
send_error(struct ap *ap, uint32_t id, uint32_t code, const char *reason)
{
	struct ctl_msg m;

	memset(&m, 0, sizeof(m));
	m.type = CTL_ERROR;
	m.id = id;
	m.u.error.code = code;
	m.u.error.reason = (char *)(uintptr_t)reason;
	ap_ctl_send(ap, &m);
}

static int
send_hello(struct ap *ap)
{
	struct ctl_msg m;
	struct ctl_device *devs = NULL;
	const struct inventory_device *d;
	size_t i, j, n = inventory_count(ap->inv);
	int r = RSG_ERR_NOMEM;

	memset(&m, 0, sizeof(m));
	if (n > 0 && (devs = calloc(n, sizeof(*devs))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		d = inventory_nth(ap->inv, i);
		devs[i].name = d->name;
		devs[i].site = d->site;
		devs[i].model = d->model;
		devs[i].nservices = d->nservices;
		if (d->nservices > 0 && (devs[i].services =
		    calloc(d->nservices, sizeof(struct ctl_service))) == NULL)
			goto out;
		for (j = 0; j < d->nservices; j++) {
			devs[i].services[j].name = d->services[j].name;
			devs[i].services[j].target = d->services[j].target;
		}
	}
	m.type = CTL_HELLO;
	m.id = ap->next_id++;
	m.u.hello.ap_name = (char *)(uintptr_t)ap->name;
	m.u.hello.version = (char *)(uintptr_t)RSGATE_VERSION;
	m.u.hello.site = (char *)(uintptr_t)ap->site;
	m.u.hello.devices = devs;
	m.u.hello.ndevices = n;
	ap_ctl_send(ap, &m);
	r = 0;
 out:
	for (i = 0; devs != NULL && i < n; i++)
		free(devs[i].services);
	free(devs);
	return r;
}

static void
ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap *ap = arg;
	struct ctl_msg m;

	(void)fd;
	(void)what;
	if (!ap->hello_done)
		return;
	memset(&m, 0, sizeof(m));
	m.type = CTL_PING;
	m.id = ap->next_id++;
	m.u.ping.time_ms = (uint64_t)time_now_ms();
	ap_ctl_send(ap, &m);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_connect(arg);
}

/* Handle one message; returns -1 if the channel was closed. */
static int
ctl_handle(struct ap *ap, const struct ctl_msg *m)
{
	struct ctl_msg reply;
	struct timeval tv;
	char reason[CTL_REASON_MAX + 64], q[CTL_REASON_MAX + 8];
	uint32_t h;

	switch (m->type) {
	case CTL_HELLO_ACK:
		ap->hello_done = 1;
		ap->backoff_ms = AP_RECONNECT_MIN_MS;
		h = m->u.hello_ack.heartbeat_s;
		if (h > ap->heartbeat_s)
			h = (uint32_t)ap->heartbeat_s;
		tv.tv_sec = h;
		tv.tv_usec = 0;
		evtimer_add(ap->ev_ping, &tv);
		log_info("hub \"%s\" accepted our hello (heartbeat %us)",
		    str_escape(m->u.hello_ack.hub_name, q, sizeof(q)), h);
		/*
		 * Said only now: once the hub has our inventory, engineers
		 * can reach our devices (tests and operators rely on it).
		 */
		printf("connected to hub %s\n", ap->hub);
		fflush(stdout);
		ap_ticket_connected(ap);
		ap_alert_ctl_up(ap);
		return ap->ctl == NULL ? -1 : 0;
	case CTL_PING:
		memset(&reply, 0, sizeof(reply));
		reply.type = CTL_PONG;
		reply.id = m->id;
		reply.u.ping.time_ms = m->u.ping.time_ms;
		ap_ctl_send(ap, &reply);
		return ap->ctl == NULL ? -1 : 0;
	case CTL_PONG:
		return 0;
	case CTL_ERROR:
		snprintf(reason, sizeof(reason), "hub sent ERROR %s: %s",
		    ctl_errcode_name(m->u.error.code),
		    str_escape(m->u.error.reason, q, sizeof(q)));
		ctl_lost(ap, reason);
		return -1;
	case CTL_STREAM_OPEN:
		ap_stream_open(ap, m);
		return ap->ctl == NULL ? -1 : 0;
	case CTL_TICKET:
		ap_ticket_message(ap, m);
		return ap->ctl == NULL ? -1 : 0;
	case CTL_ACK:
		ap_ticket_ack(ap, m);
		return ap->ctl == NULL ? -1 : 0;
	case CTL_COLLECT:
	case CTL_DOCUMENT:
		ap_vault_ctl(ap, m);
		return ap->ctl == NULL ? -1 : 0;
	case CTL_STREAM_CLOSE:
		snprintf(reason, sizeof(reason), "closed by the hub: %s",
		    str_escape(m->u.stream_close.reason, q, sizeof(q)));
		ap_stream_close_by_id(ap, m->u.stream_close.stream_id, reason);
		return 0;
	default:
		send_error(ap, m->id, CTL_E_UNEXPECTED, "unexpected message");
		ctl_lost(ap, "the hub sent an unexpected message");
		return -1;
	}
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ap *ap = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ctl_frame f;
	struct ctl_msg *m;
	const uint8_t *p;
	char reason[128];
	size_t len, used;
	uint32_t code;
	int r;

	while (ap->ctl == bev && (len = evbuffer_get_length(in)) > 0) {
		if ((p = evbuffer_pullup(in, -1)) == NULL) {
			ctl_lost(ap, "out of memory");
			return;
		}
		r = ctl_frame_parse(p, len, ap->hello_done ? CTL_FRAME_MAX :
		    CTL_FRAME_MAX_HELLO, &f, &used);
		if (r == RSG_ERR_INCOMPLETE)
			return;
		if (r == 0 && (r = ctl_type_allowed(f.type, CTL_ROLE_HUB,
		    ap->hello_done)) != 0) {
			code = r == RSG_ERR_FORMAT ? CTL_E_UNKNOWN_TYPE :
			    CTL_E_UNEXPECTED;
			goto bad;
		}
		if (r != 0) {
			code = r == RSG_ERR_LIMIT ? CTL_E_LIMIT :
			    r == RSG_ERR_VERSION ? CTL_E_VERSION :
			    CTL_E_PROTOCOL;
			goto bad;
		}
		if ((r = ctl_msg_decode(&f, &m)) != 0) {
			code = r == RSG_ERR_LIMIT ? CTL_E_LIMIT :
			    CTL_E_PROTOCOL;
			goto bad;
		}
		evbuffer_drain(in, used);
		r = ctl_handle(ap, m);
		ctl_msg_free(m);
		if (r != 0)
			return;
	}
	return;
 bad:
	snprintf(reason, sizeof(reason), "bad message from the hub (%s)",
	    ctl_errcode_name(code));
	send_error(ap, 0, code, ctl_errcode_name(code));
	ctl_lost(ap, reason);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ap *ap = arg;
	struct audit_record rec;
	char reason[300], why[256];
	unsigned long e;
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	socklen_t sl = sizeof(int);
	long v;
	int err = 0, dnserr;

	/* The socket's own error names a failed connect best. */
	if (getsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_ERROR, &err,
	    &sl) != 0)
		err = 0;

	if (what & BEV_EVENT_CONNECTED) {
		net_nodelay(bufferevent_getfd(bev));
		ap->ctl_up = 1;
		/* The handshake is done: now only the hub may take our time. */
		bufferevent_set_timeouts(bev, NULL, NULL);
		{
			struct timeval tv = { (time_t)ap->dead_after_s, 0 };
			bufferevent_set_timeouts(bev, &tv, NULL);
		}
		if (send_hello(ap) != 0)
			ctl_lost(ap, "cannot send hello");
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (ap->ctl_up)
			snprintf(reason, sizeof(reason), "no data from the hub "
			    "for %llus", (unsigned long long)ap->dead_after_s);
		else
			snprintf(reason, sizeof(reason), "connection timed "
			    "out");
	} else if (what & BEV_EVENT_EOF)
		snprintf(reason, sizeof(reason), "connection closed by the "
		    "hub");
	else if (!ap->ctl_up && ssl != NULL &&
	    (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		tls_error_reason(ssl, why, sizeof(why));
		snprintf(reason, sizeof(reason), "TLS: %s", why);
		/* Someone answered as the hub with the wrong certificate. */
		memset(&rec, 0, sizeof(rec));
		rec.event = AUDIT_EV_AUTH_FAILURE;
		rec.outcome = AUDIT_OUTCOME_FAILURE;
		rec.f[AUDIT_F_ROLE] = "hub";
		rec.f[AUDIT_F_SOURCE] = ap->hub;
		rec.f[AUDIT_F_REASON] = reason;
		(void)ap_audit(ap, &rec);
	} else if (!ap->ctl_up && err != 0)
		snprintf(reason, sizeof(reason), "%s", strerror(err));
	else if (!ap->ctl_up && (dnserr = bufferevent_socket_get_dns_error(
	    bev)) != 0)
		snprintf(reason, sizeof(reason), "cannot resolve %s: %s",
		    ap->hub_host, evutil_gai_strerror(dnserr));
	else if ((e = bufferevent_get_openssl_error(bev)) != 0) {
		snprintf(reason, sizeof(reason), "TLS: %s",
		    ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "handshake failed");
		while (bufferevent_get_openssl_error(bev) != 0)
			;
	} else
		snprintf(reason, sizeof(reason), "connection failed");
	ctl_lost(ap, reason);
}

static void
ctl_connect(struct ap *ap)
{
	struct timeval tv = { AP_CONNECT_TIMEOUT_S, 0 };
	char reason[300];
	SSL *ssl;

	ERR_clear_error();
	if ((ssl = tls_ssl_new(ap->ctl_tls)) == NULL) {
		ctl_lost(ap, "out of memory");
		return;
	}
	ap->ctl = bufferevent_openssl_socket_new(ap->base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (ap->ctl == NULL) {
		SSL_free(ssl);
		ctl_lost(ap, "out of memory");
		return;
	}
	ap->ctl_up = 0;
	ap->hello_done = 0;
	bufferevent_setcb(ap->ctl, ctl_read_cb, NULL, ctl_event_cb, ap);
	bufferevent_setwatermark(ap->ctl, EV_READ, 0,
	    CTL_FRAME_MAX + CTL_FRAME_HDR_LEN);
	bufferevent_set_timeouts(ap->ctl, &tv, &tv);
	bufferevent_enable(ap->ctl, EV_READ | EV_WRITE);
	/*
	 * Connection errors arrive in ctl_event_cb; a lookup failure or no
	 * socket is reported here.
	 */
	if (ap_connect(ap, ap->ctl, ap->hub_host, ap->hub_port, reason,
	    sizeof(reason)) != 0)
		ctl_lost(ap, reason);
}

int
ap_connect(struct ap *ap, struct bufferevent *bev, const char *host,
    uint16_t port, char *reason, size_t rlen)
{
	/* evdns: a name lookup does not stop the loop (literals need none). */
	if (bufferevent_socket_connect_hostname(bev, ap->dns, AF_UNSPEC, host,
	    (int)port) != 0) {
		snprintf(reason, rlen, "cannot connect to %s: %s", host,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
ap_ctl_start(struct ap *ap)
{
	if ((ap->ev_retry = evtimer_new(ap->base, retry_cb, ap)) == NULL ||
	    (ap->ev_ping = event_new(ap->base, -1, EV_PERSIST, ping_cb,
	    ap)) == NULL)
		return RSG_ERR_NOMEM;
	ap->backoff_ms = AP_RECONNECT_MIN_MS;
	ap->next_id = 1;
	ctl_connect(ap);
	return 0;
}

void
ap_ctl_stop(struct ap *ap)
{
	if (ap->ctl != NULL && ap->ctl_up)
		send_error(ap, 0, CTL_E_SHUTDOWN, "access point shutting down");
	if (ap->ctl != NULL) {
		/* Best effort: push the ERROR out before closing. */
		bufferevent_flush(ap->ctl, EV_WRITE, BEV_FLUSH);
		bufferevent_free(ap->ctl);
		ap->ctl = NULL;
	}
	if (ap->ev_retry != NULL)
		event_free(ap->ev_retry);
	if (ap->ev_ping != NULL)
		event_free(ap->ev_ping);
	ap->ev_retry = ap->ev_ping = NULL;
}
