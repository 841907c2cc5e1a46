/*
 * ap-stream.c: one stream per STREAM_OPEN from the hub. The AP decides for
 * itself (R20): the device and service must be in its inventory and its
 * standing policy must allow this engineer now; anything else is refused
 * with STREAM_OPEN_ERR and audited. An allowed stream: STREAM_OPEN_OK, dial
 * the relay and send the AP-side preamble, run the TLS 1.3 server
 * handshake inside the pair with the AP's certificate, check that the
 * engineer's certificate has the fingerprint the hub announced, and only
 * then connect to the device service and copy bytes (lib/net/bridge.c).
 * The policy's max ends the stream. Every end is audited (session.close
 * with bytes and duration) and reported to the hub with STREAM_CLOSE.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <jansson.h>

#include "rsgate/bridge.h"
#include "rsgate/dial.h"
#include "rsgate/inventory.h"
#include "rsgate/pki.h"
#include "rsgate/policy.h"
#include "rsgate/relay.h"

#include "ap.h"

enum stream_state {
	ST_RELAY,	/* connecting to the relay */
	ST_HANDSHAKE,	/* TLS with the engineer inside the pair */
	ST_DEVICE,	/* connecting to the device service */
	ST_OPEN,	/* copying */
};

struct ap_stream {
	TAILQ_ENTRY(ap_stream) entry;
	struct ap *ap;
	enum stream_state state;
	uint8_t id[CTL_STREAM_ID_LEN];
	char idhex[2 * CTL_STREAM_ID_LEN + 1];
	uint8_t token[CTL_TOKEN_LEN];
	uint8_t fpr[CTL_FPR_LEN];
	char *cn, *device, *service, *ticket, *source, *relay;
	const char *site;
	const struct inventory_service *svc;
	int fd;				/* relay socket, until TLS has it */
	struct net_dial *dial;		/* while the relay is dialled */
	struct event *ev;		/* handshake deadline, then max timer */
	struct bufferevent *eng, *dev;
	struct bridge *br;
	int64_t t0;			/* monotonic ms at STREAM_OPEN_OK */
	int64_t started_ms;		/* wall clock, for people */
	uint64_t max_secs;
	/* under a ticket: the grant's end and the idle rule (R25, R26) */
	int64_t not_after_ms;		/* wall clock; 0: no ticket */
	uint64_t seen_bytes;		/* up + down at the last tick */
	int64_t active_ms;		/* monotonic ms of the last byte */
	int64_t idle_s;			/* 0: no idle rule */
};

static void
stream_free(struct ap_stream *st)
{
	mem_wipe(st->token, sizeof(st->token));
	net_dial_cancel(st->dial);
	if (st->ev != NULL)
		event_free(st->ev);
	if (st->fd >= 0)
		close(st->fd);
	if (st->br != NULL)
		bridge_free(st->br);	/* and eng, dev */
	else {
		if (st->eng != NULL)
			bufferevent_free(st->eng);
		if (st->dev != NULL)
			bufferevent_free(st->dev);
	}
	free(st->cn);
	free(st->device);
	free(st->service);
	free(st->ticket);
	free(st->source);
	free(st->relay);
	free(st);
}

static int
stream_audit_how(struct ap_stream *st, enum audit_event ev,
    enum audit_outcome o, const char *reason, const char *object, int durable)
{
	struct audit_record r;

	memset(&r, 0, sizeof(r));
	r.event = ev;
	r.outcome = o;
	r.f[AUDIT_F_USER] = st->cn;
	r.f[AUDIT_F_ROLE] = "engineer";
	r.f[AUDIT_F_SESSION] = st->idhex;
	r.f[AUDIT_F_DEVICE] = st->device;
	r.f[AUDIT_F_SITE] = st->site;
	r.f[AUDIT_F_APPROVAL] = st->ticket[0] != '\0' ? st->ticket : NULL;
	r.f[AUDIT_F_CAPABILITY] = st->service;
	r.f[AUDIT_F_SOURCE] = st->source;
	r.f[AUDIT_F_REASON] = reason;
	r.f[AUDIT_F_OBJECT] = object;
	return durable ? ap_audit(st->ap, &r) : ap_audit_nosync(st->ap, &r);
}

static int
stream_audit(struct ap_stream *st, enum audit_event ev,
    enum audit_outcome o, const char *reason, const char *object)
{
	return stream_audit_how(st, ev, o, reason, object, 1);
}

/* End an accepted stream: audit, STREAM_CLOSE, free. */
static void
stream_end(struct ap_stream *st, int clean, const char *reason)
{
	struct ap *ap = st->ap;
	struct ctl_msg m;
	uint64_t up = 0, down = 0, ms;
	char obj[128];

	if (st->br != NULL)
		bridge_counts(st->br, &up, &down);
	ms = (uint64_t)(time_mono_ms() - st->t0);
	snprintf(obj, sizeof(obj), "bytes_up=%llu bytes_down=%llu "
	    "duration_ms=%llu", (unsigned long long)up,
	    (unsigned long long)down, (unsigned long long)ms);
	/*
	 * Nothing waits for this record: flushed by the next durable one or
	 * the audit tick (AP_AUDIT_TICK_S), not while the next stream is set
	 * up.
	 */
	(void)stream_audit_how(st, AUDIT_EV_SESSION_CLOSE, clean ?
	    AUDIT_OUTCOME_SUCCESS : AUDIT_OUTCOME_FAILURE, reason, obj, 0);
	log_info("stream %s closed: %s (%s)", st->idhex, reason, obj);
	memset(&m, 0, sizeof(m));
	m.type = CTL_STREAM_CLOSE;
	m.id = ap->next_id++;
	memcpy(m.u.stream_close.stream_id, st->id, CTL_STREAM_ID_LEN);
	m.u.stream_close.reason = (char *)(uintptr_t)reason;
	m.u.stream_close.bytes_up = up;
	m.u.stream_close.bytes_down = down;
	m.u.stream_close.duration_ms = ms;
	ap_ctl_send(ap, &m);
	TAILQ_REMOVE(&ap->streams, st, entry);
	ap->nstreams--;
	stream_free(st);
}

static void
bridge_done(struct bridge *br, int clean, const char *reason, void *arg)
{
	struct ap_stream *st = arg;
	char why[200];

	(void)br;
	if (clean)
		stream_end(st, 1, "closed");
	else {
		/* The bridge's first side is the engineer's TLS stream. */
		snprintf(why, sizeof(why), "%s", reason);
		if (strncmp(why, "first side", 10) == 0)
			snprintf(why, sizeof(why), "engineer side%s",
			    reason + 10);
		else if (strncmp(why, "second side", 11) == 0)
			snprintf(why, sizeof(why), "device side%s",
			    reason + 11);
		stream_end(st, 0, why);
	}
}

static void
max_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_stream *st = arg;

	(void)fd;
	(void)what;
	stream_end(st, 0, st->not_after_ms > 0 ? "the grant's window ended" :
	    "policy time limit");
}

static void
dev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ap_stream *st = arg;
	struct timeval tv = { (time_t)st->max_secs, 0 };
	char reason[300];
	int err = EVUTIL_SOCKET_ERROR(), dnserr;

	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_set_timeouts(bev, NULL, NULL);
		if (bridge_new(st->eng, 1, st->dev, 0, bridge_done, st,
		    &st->br) != 0) {
			stream_end(st, 0, "out of memory");
			return;
		}
		st->state = ST_OPEN;
		/* The relay-read event was freed when TLS took over the fd. */
		if (st->ev != NULL)
			event_free(st->ev);
		st->ev = NULL;
		if ((st->ev = evtimer_new(st->ap->base, max_cb, st)) == NULL ||
		    evtimer_add(st->ev, &tv) != 0) {
			stream_end(st, 0, "cannot arm the policy time limit");
			return;
		}
		log_info("stream %s open: %s/%s for \"%s\"", st->idhex,
		    st->device, st->service, st->cn);
		return;
	}
	dnserr = bufferevent_socket_get_dns_error(bev);
	snprintf(reason, sizeof(reason), "device service %s unreachable: %s",
	    st->svc->target, (what & BEV_EVENT_TIMEOUT) ? "timed out" :
	    dnserr != 0 ? evutil_gai_strerror(dnserr) :
	    err != 0 ? evutil_socket_error_to_string(err) :
	    "connection failed");
	stream_end(st, 0, reason);
}

static void
eng_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ap_stream *st = arg;
	struct timeval tv = { AP_CONNECT_TIMEOUT_S, 0 };
	struct tls_peer peer;
	uint8_t got[CTL_FPR_LEN];
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	char reason[400], why[256], q[128];
	int r;

	if (!(what & BEV_EVENT_CONNECTED) && st->state != ST_HANDSHAKE) {
		/*
		 * Authenticated already, waiting for the device: the engineer
		 * went away (or timed out). Not an authentication failure.
		 */
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		stream_end(st, 0, (what & BEV_EVENT_TIMEOUT) ?
		    "engineer side timed out before the device answered" :
		    "engineer disconnected before the device answered");
		return;
	}
	if (!(what & BEV_EVENT_CONNECTED)) {
		if (what & BEV_EVENT_TIMEOUT)
			snprintf(why, sizeof(why), "timed out");
		else
			tls_error_reason(ssl, why, sizeof(why));
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		snprintf(reason, sizeof(reason), "TLS handshake with the "
		    "engineer failed: %s", why);
		(void)stream_audit(st, AUDIT_EV_AUTH_FAILURE,
		    AUDIT_OUTCOME_FAILURE, reason, NULL);
		stream_end(st, 0, reason);
		return;
	}
	/*
	 * The certificate must be the one the hub announced AND carry the
	 * name the ticket or policy was checked for: a hub must not pair a
	 * granted engineer's name with another engineer's certificate.
	 */
	if ((r = tls_peer_get(ssl, PKI_ROLE_ENGINEER, &peer)) != 0 ||
	    hex_decode(peer.fingerprint, got, sizeof(got)) != 0 ||
	    mem_equal_ct(got, st->fpr, sizeof(got)) != 0 ||
	    strcmp(peer.cn, st->cn) != 0) {
		snprintf(reason, sizeof(reason), "engineer certificate is not "
		    "the one the hub announced (peer \"%s\", sha256:%s)",
		    r == 0 ? str_escape(peer.cn, q, sizeof(q)) : "?",
		    r == 0 ? peer.fingerprint : "?");
		(void)stream_audit(st, AUDIT_EV_AUTH_FAILURE,
		    AUDIT_OUTCOME_DENIED, reason, NULL);
		stream_end(st, 0, reason);
		return;
	}
	/*
	 * The revocation list was reloaded while this handshake ran, so the
	 * certificate was checked against the old one: not good enough.
	 */
	if (!tls_ssl_trust_current(ssl)) {
		snprintf(reason, sizeof(reason), "the revocation list changed "
		    "during the TLS handshake; the engineer may connect again");
		(void)stream_audit(st, AUDIT_EV_AUTH_FAILURE,
		    AUDIT_OUTCOME_DENIED, reason, NULL);
		stream_end(st, 0, reason);
		return;
	}
	/* Durable, and with it the stream's session.open: then connect. */
	if (stream_audit(st, AUDIT_EV_AUTH_SUCCESS, AUDIT_OUTCOME_SUCCESS,
	    tls_ssl_resumed(ssl) ? "engineer certificate verified inside the "
	    "tunnel (TLS session resumed)" : "engineer certificate verified "
	    "inside the tunnel", peer.fingerprint) != 0) {
		stream_end(st, 0, "audit log unavailable");
		return;
	}
	/* The handshake is done: its deadline goes (st->ev is free again). */
	if (st->ev != NULL)
		event_free(st->ev);
	st->ev = NULL;
	/* Hold the engineer's bytes until the device answers. */
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_disable(bev, EV_READ);
	st->state = ST_DEVICE;
	if ((st->dev = bufferevent_socket_new(st->ap->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		stream_end(st, 0, "out of memory");
		return;
	}
	bufferevent_setcb(st->dev, NULL, NULL, dev_event_cb, st);
	bufferevent_set_timeouts(st->dev, &tv, &tv);
	bufferevent_enable(st->dev, EV_WRITE);
	if (ap_connect(st->ap, st->dev, st->svc->host, st->svc->port, reason,
	    sizeof(reason)) != 0)
		stream_end(st, 0, reason);
}

/*
 * The bufferevent's timeouts restart with every byte; this one does not:
 * a peer trickling a byte a second cannot keep a handshake going.
 */
static void
handshake_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap_stream *st = arg;
	char reason[200];

	(void)fd;
	(void)what;
	snprintf(reason, sizeof(reason), "TLS handshake with the engineer "
	    "failed: not finished within %llus (handshake_timeout)",
	    (unsigned long long)st->ap->handshake_timeout_s);
	(void)stream_audit(st, AUDIT_EV_AUTH_FAILURE, AUDIT_OUTCOME_FAILURE,
	    reason, NULL);
	stream_end(st, 0, reason);
}

static void
relay_dialed_cb(int fd, const char *err, void *arg)
{
	struct ap_stream *st = arg;
	struct timeval tv = { AP_CONNECT_TIMEOUT_S, 0 }, dl = { 0, 0 };
	struct relay_preamble pre;
	uint8_t wire[RELAY_PREAMBLE_LEN];
	char reason[400];
	SSL *ssl;
	ssize_t n;

	st->dial = NULL;
	if (fd < 0) {
		snprintf(reason, sizeof(reason), "relay unreachable: %s", err);
		stream_end(st, 0, reason);
		return;
	}
	st->fd = fd;
	memset(&pre, 0, sizeof(pre));
	pre.side = RELAY_SIDE_AP;
	memcpy(pre.stream_id, st->id, RELAY_STREAM_ID_LEN);
	memcpy(pre.token, st->token, RELAY_TOKEN_LEN);
	relay_preamble_encode(&pre, wire);
	/* A fresh socket's buffer always takes 54 bytes at once. */
	n = send(fd, wire, sizeof(wire), MSG_NOSIGNAL);
	mem_wipe(&pre, sizeof(pre));
	mem_wipe(wire, sizeof(wire));
	mem_wipe(st->token, sizeof(st->token));
	if (n != (ssize_t)sizeof(wire)) {
		stream_end(st, 0, "relay closed the connection");
		return;
	}
	net_nodelay(fd);
	if ((ssl = tls_ssl_new(st->ap->stream_tls)) == NULL) {
		stream_end(st, 0, "out of memory");
		return;
	}
	/*
	 * The SSL and the socket are handed over even if this fails:
	 * libevent may already have freed and closed them (see hub-ctl.c).
	 */
	st->eng = bufferevent_openssl_socket_new(st->ap->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	st->fd = -1;
	if (st->eng == NULL) {
		stream_end(st, 0, "out of memory");
		return;
	}
	st->state = ST_HANDSHAKE;
	dl.tv_sec = (time_t)st->ap->handshake_timeout_s;
	if ((st->ev = evtimer_new(st->ap->base, handshake_deadline_cb,
	    st)) == NULL || evtimer_add(st->ev, &dl) != 0) {
		stream_end(st, 0, "out of memory");
		return;
	}
	bufferevent_setcb(st->eng, NULL, NULL, eng_event_cb, st);
	bufferevent_set_timeouts(st->eng, &tv, &tv);
	bufferevent_enable(st->eng, EV_READ | EV_WRITE);
}

/* Start dialling the relay (evdns, non-blocking connect). */
static int
relay_dial(struct ap_stream *st, char *reason, size_t rlen)
{
	char host[256];
	uint16_t p;
	int r;

	if (ctl_hostport_split(st->relay, host, sizeof(host), &p) != 0) {
		snprintf(reason, rlen, "bad relay address");
		return -1;
	}
	if ((r = net_dial_start(st->ap->base, st->ap->dns, host, p,
	    AP_CONNECT_TIMEOUT_S, relay_dialed_cb, st, &st->dial)) != 0) {
		snprintf(reason, rlen, "relay %s: %s", st->relay,
		    rsg_strerror(r));
		return -1;
	}
	return 0;
}

static void
send_open_err(struct ap *ap, const struct ctl_msg *m, uint32_t code,
    const char *reason)
{
	struct ctl_msg r;

	memset(&r, 0, sizeof(r));
	r.type = CTL_STREAM_OPEN_ERR;
	r.id = m->id;
	memcpy(r.u.stream_open_err.stream_id, m->u.stream_open.stream_id,
	    CTL_STREAM_ID_LEN);
	r.u.stream_open_err.code = code;
	r.u.stream_open_err.reason = (char *)(uintptr_t)reason;
	ap_ctl_send(ap, &r);
}

void
ap_stream_open(struct ap *ap, const struct ctl_msg *m)
{
	const struct ctl_stream_open *so = &m->u.stream_open;
	const struct inventory_device *dev = NULL;
	struct policy_request req;
	struct policy_decision dec;
	struct ap_stream *st;
	struct ctl_msg ok;
	char reason[400], fprhex[2 * CTL_FPR_LEN + 1];
	uint32_t code = 0;
	int r;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		send_open_err(ap, m, CTL_E_INTERNAL, "out of memory");
		return;
	}
	st->ap = ap;
	st->fd = -1;
	st->site = ap->site;
	memcpy(st->id, so->stream_id, CTL_STREAM_ID_LEN);
	hex_encode(st->id, sizeof(st->id), st->idhex);
	memcpy(st->token, so->token, CTL_TOKEN_LEN);
	memcpy(st->fpr, so->engineer_fpr, CTL_FPR_LEN);
	if ((st->cn = strdup(so->engineer_cn)) == NULL ||
	    (st->device = strdup(so->device)) == NULL ||
	    (st->service = strdup(so->service)) == NULL ||
	    (st->ticket = strdup(so->ticket)) == NULL ||
	    (st->source = strdup(so->source)) == NULL ||
	    (st->relay = strdup(so->relay)) == NULL) {
		stream_free(st);
		send_open_err(ap, m, CTL_E_INTERNAL, "out of memory");
		return;
	}
	/* The AP decides, whatever the hub says (R20); fail closed. */
	if (ap->nstreams >= ap->max_streams) {
		code = CTL_E_BUSY;
		snprintf(reason, sizeof(reason), "too many streams open "
		    "(max_streams %zu)", ap->max_streams);
	} else if ((dev = inventory_device_find(ap->inv, so->device)) ==
	    NULL) {
		code = CTL_E_UNKNOWN_DEVICE;
		snprintf(reason, sizeof(reason), "device %s is not in the "
		    "inventory of this access point", so->device);
	} else if ((st->svc = inventory_service_find(dev, so->service)) ==
	    NULL) {
		code = CTL_E_UNKNOWN_SERVICE;
		snprintf(reason, sizeof(reason), "device %s has no service "
		    "%s", so->device, so->service);
	}
	if (dev != NULL && dev->site[0] != '\0')
		st->site = dev->site;
	if (code == 0 && so->ticket[0] != '\0') {
		/* Under a ticket: only its grant decides (R20-R22). */
		if (ap_ticket_stream_check(ap, so->ticket, so->engineer_cn,
		    so->device, so->service, &st->not_after_ms, &st->idle_s,
		    &code, reason, sizeof(reason)) == 0) {
			int64_t left = st->not_after_ms - time_now_ms();

			code = 0;
			st->max_secs = left > 0 ? (uint64_t)(left + 999) / 1000 :
			    1;
		} else if (code == 0)
			code = CTL_E_DENIED;
	} else if (code == 0) {
		memset(&req, 0, sizeof(req));
		memset(&dec, 0, sizeof(dec));
		req.engineer_cn = so->engineer_cn;
		req.engineer_fpr_hex = hex_encode(so->engineer_fpr,
		    CTL_FPR_LEN, fprhex);
		req.device = so->device;
		req.service = so->service;
		req.now = (int64_t)time(NULL);
		r = policy_check(ap->pol, &req, &dec);
		if (r != 0 || !dec.allowed) {
			code = CTL_E_DENIED;
			snprintf(reason, sizeof(reason), "%s",
			    dec.reason[0] != '\0' ? dec.reason :
			    "no standing policy allows this stream");
		} else
			st->max_secs = dec.max_secs > 0 ? dec.max_secs : 3600;
	}
	if (code != 0) {
		(void)stream_audit(st, AUDIT_EV_SESSION_OPEN,
		    AUDIT_OUTCOME_DENIED, reason, NULL);
		log_info("stream %s refused: %s", st->idhex, reason);
		send_open_err(ap, m, code, reason);
		stream_free(st);
		return;
	}
	if (so->ticket[0] == '\0')
		snprintf(reason, sizeof(reason), "allowed by the standing "
		    "policy (rule %zu, max %llus): %s", dec.rule + 1,
		    (unsigned long long)st->max_secs, dec.reason);
	/*
	 * Log first, then act: no audit record, no stream. The record is
	 * committed now but flushed to disk with the next durable one (the
	 * engineer's auth.success or auth.failure) or by the tick, so the
	 * fsync is off the set-up path: it is still on disk before the AP
	 * connects to the device, and nothing before that (the relay, the
	 * handshake) touches the device.
	 */
	if (stream_audit_how(st, AUDIT_EV_SESSION_OPEN, AUDIT_OUTCOME_SUCCESS,
	    reason, st->svc->target, 0) != 0) {
		send_open_err(ap, m, CTL_E_INTERNAL, "audit log unavailable");
		stream_free(st);
		return;
	}
	TAILQ_INSERT_TAIL(&ap->streams, st, entry);
	ap->nstreams++;
	st->t0 = time_mono_ms();
	st->active_ms = st->t0;
	st->started_ms = time_now_ms();
	st->state = ST_RELAY;
	memset(&ok, 0, sizeof(ok));
	ok.type = CTL_STREAM_OPEN_OK;
	ok.id = m->id;
	memcpy(ok.u.stream_open_ok.stream_id, st->id, CTL_STREAM_ID_LEN);
	ap_ctl_send(ap, &ok);
	if (relay_dial(st, reason, sizeof(reason)) != 0)
		stream_end(st, 0, reason);
}

void
ap_stream_close_by_id(struct ap *ap, const uint8_t *id, const char *reason)
{
	struct ap_stream *st;

	TAILQ_FOREACH(st, &ap->streams, entry) {
		if (memcmp(st->id, id, CTL_STREAM_ID_LEN) == 0) {
			stream_end(st, 1, reason);
			return;
		}
	}
}

void
ap_stream_close_all(struct ap *ap, const char *reason)
{
	struct ap_stream *st;

	while ((st = TAILQ_FIRST(&ap->streams)) != NULL)
		stream_end(st, 1, reason);
}

size_t
ap_stream_close_match(struct ap *ap, const char *ticket, const char *cn,
    const char *reason)
{
	struct ap_stream *st, *next;
	size_t n = 0;

	for (st = TAILQ_FIRST(&ap->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (ticket != NULL && strcmp(st->ticket, ticket) != 0)
			continue;
		if (cn != NULL && strcmp(st->cn, cn) != 0)
			continue;
		stream_end(st, 1, reason);
		n++;
	}
	return n;
}

json_t *
ap_stream_list(struct ap *ap)
{
	static const char *const states[] = { "relay", "handshake",
		"device", "open" };
	struct ap_stream *st;
	json_t *a = json_array(), *o;
	uint64_t up = 0, down = 0;
	char when[40];

	if (a == NULL)
		return NULL;
	TAILQ_FOREACH(st, &ap->streams, entry) {
		up = down = 0;
		if (st->br != NULL)
			bridge_counts(st->br, &up, &down);
		if (time_format_rfc3339(st->started_ms, when,
		    sizeof(when)) == NULL)
			when[0] = '\0';
		if ((o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,"
		    "s:I}", "stream", st->idhex, "engineer", st->cn,
		    "device", st->device, "service", st->service, "ticket",
		    st->ticket, "state", states[st->state], "since", when,
		    "seconds", (json_int_t)((time_mono_ms() - st->t0) / 1000),
		    "bytes_up", (json_int_t)up, "bytes_down",
		    (json_int_t)down)) == NULL ||
		    json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

void
ap_stream_tick(struct ap *ap)
{
	struct ap_stream *st, *next;
	uint64_t up, down;
	int64_t mono = time_mono_ms(), now = time_now_ms();
	char why[128];

	for (st = TAILQ_FIRST(&ap->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (st->not_after_ms == 0)
			continue;	/* standing policy: its max rules */
		if (now >= st->not_after_ms) {
			stream_end(st, 0, "the grant's window ended");
			continue;
		}
		if (st->state != ST_OPEN || st->br == NULL || st->idle_s <= 0)
			continue;
		bridge_counts(st->br, &up, &down);
		if (up + down != st->seen_bytes) {
			st->seen_bytes = up + down;
			st->active_ms = mono;
			continue;
		}
		if (mono - st->active_ms >= st->idle_s * 1000) {
			snprintf(why, sizeof(why), "idle timeout: no data for "
			    "%llds", (long long)st->idle_s);
			stream_end(st, 0, why);
		}
	}
}
