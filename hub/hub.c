/*
 * hub.c: rsgate-hub, the vendor-side daemon. It reads its config (-c FILE;
 * -t checks it, -T prints it), opens its audit log (creating it on first
 * start), builds the two TLS 1.3 contexts (engineers on the API, access
 * points on the control channel), binds the three listeners and prints
 * their addresses, then runs one libevent loop until SIGTERM or SIGINT.
 *
 * This file also holds what the parts share: the audit helper, the
 * tracking that audits every failed TLS handshake with its reason, the CRL
 * reload (the file is looked at every HUB_CRL_CHECK_S seconds and re-read
 * when it changes, so `rsgate pki revoke` takes effect without a restart)
 * and the relay's events (refusals, stream close with byte counts).
 *
 * Strangers are bounded by descriptors and by disk: at start the soft
 * RLIMIT_NOFILE is raised to the hard limit and every cap (control, API,
 * relay) is derived from what is then available, less a reserve, so that
 * accept never meets EMFILE; and their refusals are audited one by one
 * only up to a burst per source and minute, the rest in one summary record
 * (hub_audit_refusal), so a flood does not become a flood of fsyncs.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rsgate/config.h"
#include "rsgate/pki.h"

#include "hub.h"

extern const struct config_table hub_config_table;

/* ---- audit ------------------------------------------------------------------ */

static int
hub_audit_rec(struct hub *h, int durable, enum audit_event ev,
    enum audit_outcome o, const char *user, const char *role,
    const char *session, const char *device, const char *site,
    const char *capability, const char *object, const char *source,
    const char *reason)
{
	struct audit_record *r;
	int e;

	if (h->audit == NULL)
		return RSG_ERR_INTERNAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return RSG_ERR_NOMEM;
	r->event = ev;
	r->outcome = o;
	r->f[AUDIT_F_VENDOR] = h->name;
	r->f[AUDIT_F_USER] = user;
	r->f[AUDIT_F_ROLE] = role;
	r->f[AUDIT_F_SESSION] = session;
	r->f[AUDIT_F_DEVICE] = device;
	r->f[AUDIT_F_SITE] = site;
	r->f[AUDIT_F_CAPABILITY] = capability;
	r->f[AUDIT_F_OBJECT] = object;
	r->f[AUDIT_F_SOURCE] = source;
	r->f[AUDIT_F_REASON] = reason;
	if (!durable && h->ev_tick == NULL)
		durable = 1;	/* not running yet: no tick to flush it */
	if ((e = durable ? audit_append(h->audit, r) :
	    audit_append_nosync(h->audit, r)) != 0)
		log_error("cannot write the audit log: %s", rsg_strerror(e));
	else if (durable)
		h->audit_unsynced = 0;	/* the fsync covered every record */
	else
		h->audit_unsynced = 1;
	free(r);
	return e;
}

void
hub_audit_sync_soon(struct hub *h)
{
	struct timeval now = { 0, 0 };
	int e;

	if (!h->audit_unsynced)
		return;
	/* A zero timer runs after this iteration's writes. */
	if ((h->ev_audit_sync == NULL ||
	    event_add(h->ev_audit_sync, &now) != 0) &&
	    (e = hub_audit_sync(h)) != 0)
		log_error("cannot flush the audit log: %s", rsg_strerror(e));
}

int
hub_audit(struct hub *h, enum audit_event ev, enum audit_outcome o,
    const char *user, const char *role, const char *session,
    const char *device, const char *site, const char *capability,
    const char *object, const char *source, const char *reason)
{
	return hub_audit_rec(h, 1, ev, o, user, role, session, device, site,
	    capability, object, source, reason);
}

int
hub_audit_nosync(struct hub *h, enum audit_event ev, enum audit_outcome o,
    const char *user, const char *role, const char *session,
    const char *device, const char *site, const char *capability,
    const char *object, const char *source, const char *reason)
{
	return hub_audit_rec(h, 0, ev, o, user, role, session, device, site,
	    capability, object, source, reason);
}

int
hub_audit_sync(struct hub *h)
{
	int e;

	if (!h->audit_unsynced)
		return 0;
	if (h->audit == NULL)
		return RSG_ERR_INTERNAL;
	if ((e = audit_sync(h->audit)) != 0)
		return e;
	h->audit_unsynced = 0;
	return 0;
}

static void
audit_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	int e;

	(void)fd;
	(void)what;
	/* On failure the relay refuses connections until a flush works. */
	if ((e = hub_audit_sync(arg)) != 0)
		log_error("cannot flush the audit log: %s", rsg_strerror(e));
}

/* ---- refusals, rate-limited ------------------------------------------------------ */

/* The address of "ip", "ip:port" or "[v6]:port", as its counting key. */
static void
refusal_key(const char *source, char *key, size_t keylen)
{
	char ip[HUB_ADDR_MAX];
	const char *end, *colon;
	size_t n;

	if (source[0] == '[' && (end = strchr(source, ']')) != NULL) {
		n = (size_t)(end - source - 1);
		source++;
	} else if ((colon = strchr(source, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL)
		n = (size_t)(colon - source);	/* one colon: v4 and port */
	else
		n = strlen(source);
	if (n >= sizeof(ip))
		n = sizeof(ip) - 1;
	memcpy(ip, source, n);
	ip[n] = '\0';
	relay_source_key(ip, key, keylen);
}

static void
refusal_summary(struct hub *h, struct hub_refusals *e, int64_t now)
{
	char why[300], obj[64];
	int64_t secs = (now - e->start_ms + 999) / 1000;

	if (e->suppressed == 0)
		return;
	snprintf(obj, sizeof(obj), "refusals=%llu",
	    (unsigned long long)e->suppressed);
	if (secs >= HUB_REFUSAL_WINDOW_MS / 1000)
		snprintf(why, sizeof(why), "%llu more refusals from %s in the "
		    "last minute (rate-limited: the first %llu were recorded "
		    "one by one)", (unsigned long long)e->suppressed, e->key,
		    (unsigned long long)e->recorded);
	else
		snprintf(why, sizeof(why), "%llu more refusals from %s in the "
		    "last %llds (rate-limited: the first %llu were recorded "
		    "one by one)", (unsigned long long)e->suppressed, e->key,
		    (long long)secs, (unsigned long long)e->recorded);
	log_warn("%s", why);
	(void)hub_audit(h, AUDIT_EV_AUTH_FAILURE, AUDIT_OUTCOME_FAILURE, NULL,
	    NULL, NULL, NULL, NULL, NULL, obj, e->key, why);
	e->suppressed = 0;
}

void
hub_refusals_tick(struct hub *h, int flush)
{
	struct hub_refusals *e, *next;
	int64_t now = time_mono_ms();

	for (e = TAILQ_FIRST(&h->refusals); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (!flush && now - e->start_ms < HUB_REFUSAL_WINDOW_MS)
			continue;
		refusal_summary(h, e, now);
		TAILQ_REMOVE(&h->refusals, e, entry);
		h->nrefusals--;
		free(e);
	}
}

static struct hub_refusals *
refusal_entry(struct hub *h, const char *key, int64_t now)
{
	struct hub_refusals *e;

	TAILQ_FOREACH(e, &h->refusals, entry)
		if (strcmp(e->key, key) == 0)
			return e;
	/* Past the table's size, one entry stands for every other source. */
	if (h->nrefusals >= HUB_REFUSAL_SOURCES) {
		key = "other sources";
		TAILQ_FOREACH(e, &h->refusals, entry)
			if (strcmp(e->key, key) == 0)
				return e;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->start_ms = now;
	TAILQ_INSERT_TAIL(&h->refusals, e, entry);
	h->nrefusals++;
	return e;
}

void
hub_audit_refusal(struct hub *h, enum audit_outcome o, const char *user,
    const char *role, const char *session, const char *capability,
    const char *source, const char *reason)
{
	struct hub_refusals *e;
	char key[RELAY_SOURCE_KEY_MAX];
	int64_t now = time_mono_ms();

	refusal_key(source != NULL ? source : "unknown", key, sizeof(key));
	/* Out of memory: record it; losing a refusal is worse. */
	if ((e = refusal_entry(h, key, now)) != NULL) {
		if (now - e->start_ms >= HUB_REFUSAL_WINDOW_MS) {
			refusal_summary(h, e, now);
			e->start_ms = now;
			e->recorded = 0;
		}
		if (e->recorded >= h->refusal_burst) {
			e->suppressed++;
			log_debug("refused %s: %s (not audited one by one)",
			    source, reason);
			return;
		}
		e->recorded++;
	}
	log_info("refused %s: %s", source, reason);
	(void)hub_audit(h, AUDIT_EV_AUTH_FAILURE, o, user, role, session, NULL,
	    NULL, capability, NULL, source, reason);
}

/* ---- addresses --------------------------------------------------------------- */

void
hub_addr_format(const struct sockaddr *sa, char *out, size_t outlen,
    int with_port)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	socklen_t sl = sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		snprintf(out, outlen, "local");
		return;
	}
	if (getnameinfo(sa, sl, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "unknown");
		return;
	}
	if (!with_port)
		snprintf(out, outlen, "%s", host);
	else if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, serv);
	else
		snprintf(out, outlen, "%s:%s", host, serv);
}

/*
 * "host:port" or "[v6]:port" with port 0..65535 (0: any free port) into a
 * listening, non-blocking socket.
 */
static int
listen_open(const char *spec, int *fdp, char *bound, size_t boundlen,
    char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port_s[8];
	const char *colon;
	uint64_t port;
	size_t hl;
	int fd = -1, one = 1, r;

	if ((colon = strrchr(spec, ':')) == NULL ||
	    parse_u64(colon + 1, 0, 65535, &port) != 0) {
		snprintf(err, errlen, "'%s' is not host:port", spec);
		return RSG_ERR_FORMAT;
	}
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "'%s' has no host", spec);
		return RSG_ERR_FORMAT;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	snprintf(port_s, sizeof(port_s), "%u", (unsigned)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((r = getaddrinfo(host, port_s, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(r));
		return RSG_ERR_NOT_FOUND;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return RSG_ERR_IO;
	}
	freeaddrinfo(ai);
	hub_addr_format((struct sockaddr *)&ss, bound, boundlen, 1);
	*fdp = fd;
	return 0;
}

/* ---- TLS handshake tracking ---------------------------------------------------- */

struct tls_track {
	struct hub *hub;
	const char *listener;		/* "api", "control" */
	int done;			/* handshake completed */
	char source[HUB_ADDR_MAX];
	char reason[256];
};

static int track_idx = -1;

/*
 * API connections are counted by their TLS sessions (evhttp 2.1 has no cap
 * of its own); at api_max its listener pauses and the kernel's backlog
 * holds the rest until one ends.
 */
static void
api_count(struct hub *h, int delta)
{
	if (delta > 0)
		h->napi++;
	else if (h->napi > 0)
		h->napi--;
	if (h->api_lis == NULL)
		return;
	if (h->napi >= h->api_max && !h->api_paused) {
		log_warn("%zu API connections open: not accepting more for now",
		    h->napi);
		evconnlistener_disable(h->api_lis);
		h->api_paused = 1;
	} else if (h->napi < h->api_max && h->api_paused) {
		evconnlistener_enable(h->api_lis);
		h->api_paused = 0;
	}
}

/* Runs when the SSL is freed: a handshake that never finished is audited. */
static void
track_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	struct tls_track *t = ptr;
	char reason[400];

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (t == NULL)
		return;
	if (!t->done) {
		snprintf(reason, sizeof(reason), "%s listener: %s", t->listener,
		    t->reason[0] != '\0' ? t->reason :
		    "connection closed during the TLS handshake");
		hub_audit_refusal(t->hub, AUDIT_OUTCOME_FAILURE, NULL, NULL,
		    NULL, NULL, t->source, reason);
	}
	if (strcmp(t->listener, "api") == 0)
		api_count(t->hub, -1);
	free(t);
}

static void
track_info_cb(const SSL *cssl, int where, int ret)
{
	SSL *ssl = (SSL *)cssl;
	struct tls_track *t;

	if (track_idx < 0 || (t = SSL_get_ex_data(ssl, track_idx)) == NULL)
		return;
	if (strcmp(t->source, "unknown") == 0) {
		/* evhttp gives no address to its bufferevent callback. */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = SSL_get_fd(ssl);

		if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss,
		    &sl) == 0)
			hub_addr_format((struct sockaddr *)&ss, t->source,
			    sizeof(t->source), 1);
	}
	if (where & SSL_CB_HANDSHAKE_DONE) {
		t->done = 1;
		return;
	}
	if ((where & SSL_CB_EXIT) && ret <= 0 && !t->done &&
	    t->reason[0] == '\0' &&
	    (SSL_get_verify_result(ssl) != X509_V_OK ||
	    ERR_peek_error() != 0)) {
		/* Consumes the error queue; the handshake fails either way. */
		tls_error_reason(ssl, t->reason, sizeof(t->reason));
	}
}

void
hub_tls_track_ctx(struct tls_ctx *ctx)
{
	SSL_CTX_set_info_callback(tls_ctx_ssl(ctx), track_info_cb);
}

int
hub_tls_track(struct hub *h, SSL *ssl, const char *listener,
    const char *source)
{
	struct tls_track *t;

	if (track_idx < 0 && (track_idx = SSL_get_ex_new_index(0, NULL, NULL,
	    NULL, track_free)) < 0)
		return RSG_ERR_CRYPTO;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return RSG_ERR_NOMEM;
	t->hub = h;
	t->listener = listener;
	snprintf(t->source, sizeof(t->source), "%s",
	    source != NULL ? source : "unknown");
	if (SSL_set_ex_data(ssl, track_idx, t) != 1) {
		free(t);
		return RSG_ERR_CRYPTO;
	}
	if (strcmp(listener, "api") == 0)
		api_count(h, 1);
	return 0;
}

void
hub_tls_track_reason(SSL *ssl, const char *reason)
{
	struct tls_track *t;

	if (track_idx >= 0 && (t = SSL_get_ex_data(ssl, track_idx)) != NULL &&
	    t->reason[0] == '\0')
		snprintf(t->reason, sizeof(t->reason), "%s", reason);
}

/* ---- streams and the relay ------------------------------------------------------- */

struct hub_stream *
hub_stream_find(struct hub *h, const uint8_t *id)
{
	struct hub_stream *st;

	TAILQ_FOREACH(st, &h->streams, entry)
		if (memcmp(st->id, id, CTL_STREAM_ID_LEN) == 0)
			return st;
	return NULL;
}

void
hub_stream_free(struct hub *h, struct hub_stream *st)
{
	if (st == NULL)
		return;
	TAILQ_REMOVE(&h->streams, st, entry);
	free(st);
}

static void
relay_event_cb(const struct relay_event *ev, void *arg)
{
	struct hub *h = arg;
	struct hub_stream *st = NULL;
	char idhex[2 * RELAY_STREAM_ID_LEN + 1] = "", obj[128], why[400];

	if (ev->stream_id != NULL) {
		hex_encode(ev->stream_id, RELAY_STREAM_ID_LEN, idhex);
		st = hub_stream_find(h, ev->stream_id);
	}
	switch (ev->type) {
	case RELAY_EV_REFUSED:
		snprintf(why, sizeof(why), "relay: %s", ev->reason);
		hub_audit_refusal(h, AUDIT_OUTCOME_FAILURE, NULL,
		    ev->side == RELAY_SIDE_AP ? "ap" :
		    ev->side == RELAY_SIDE_ENGINEER ? "engineer" : NULL,
		    idhex[0] != '\0' ? idhex : NULL, NULL, ev->source, why);
		break;
	case RELAY_EV_PAIRED:
		log_info("stream %s paired", idhex);
		break;
	case RELAY_EV_CLOSED:
		snprintf(obj, sizeof(obj), "bytes_up=%llu bytes_down=%llu "
		    "duration_ms=%llu", (unsigned long long)ev->bytes_up,
		    (unsigned long long)ev->bytes_down,
		    (unsigned long long)ev->duration_ms);
		log_info("stream %s closed: %s (%s)", idhex, ev->reason, obj);
		/*
		 * Nothing waits for this record: it is flushed by the next
		 * durable append or flush, or by the tick within a second,
		 * not while the next stream is being set up.
		 */
		(void)hub_audit_nosync(h, AUDIT_EV_SESSION_CLOSE,
		    AUDIT_OUTCOME_SUCCESS,
		    st != NULL ? st->engineer : NULL, "engineer", idhex,
		    st != NULL ? st->device : NULL,
		    st != NULL ? st->site : NULL,
		    st != NULL ? st->service : NULL, obj,
		    st != NULL ? st->source : NULL, ev->reason);
		if (st != NULL && st->pending == NULL)
			hub_stream_free(h, st);
		break;
	case RELAY_EV_UNUSED:
		if (st == NULL || st->pending != NULL)
			break;
		(void)hub_audit(h, AUDIT_EV_SESSION_CLOSE, AUDIT_OUTCOME_FAILURE,
		    st->engineer, "engineer", idhex, st->device, st->site,
		    st->service, "bytes_up=0 bytes_down=0 duration_ms=0",
		    st->source, ev->reason);
		hub_stream_free(h, st);
		break;
	}
}

/*
 * The relay's admit hook: nothing joins a stream before the stream's
 * session.open is on disk. The engineer's token reached it only after that
 * record was appended (hub_audit_nosync), and audit_sync_cb has usually
 * flushed it by now; if not, flush it here.
 */
static const char *
relay_admit_cb(const uint8_t *stream_id, void *arg)
{
	struct hub *h = arg;
	int e;

	(void)stream_id;
	if ((e = hub_audit_sync(h)) != 0) {
		log_error("relay: cannot flush the audit log: %s",
		    rsg_strerror(e));
		return "the hub cannot write its audit log";
	}
	return NULL;
}

static void
relay_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct hub *h = arg;
	char src[HUB_ADDR_MAX];

	(void)l;
	(void)salen;
	hub_addr_format(sa, src, sizeof(src), 0);
	/* The relay owns fd now and has reported any refusal. */
	if (relay_accept(h->relay, fd, src) == RSG_ERR_NOMEM)
		log_error("relay: out of memory accepting %s", src);
}

/* EMFILE and friends: pause accepting for a second instead of spinning. */
static void
relisten_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

void
hub_listener_error_cb(struct evconnlistener *l, void *arg)
{
	struct timeval tv = { 1, 0 };

	/* arg is not ours on the API listener (evhttp's own): unused. */
	(void)arg;
	log_warn("accept failed: %s", strerror(errno));
	evconnlistener_disable(l);
	if (event_base_once(evconnlistener_get_base(l), -1, EV_TIMEOUT,
	    relisten_cb, l, &tv) != 0)
		evconnlistener_enable(l);
}

/* ---- timers and signals ------------------------------------------------------------ */

static void
crl_check(struct hub *h)
{
	char err[256];
	int r1 = 0, r2 = 0;

	if (tls_ctx_refresh_crl(h->api_tls, &r1, err, sizeof(err)) != 0 ||
	    tls_ctx_refresh_crl(h->ctl_tls, &r2, err, sizeof(err)) != 0) {
		/* The old list stays in force; try again next time. */
		log_error("cannot reload the CRL %s: %s", h->crl, err);
		return;
	}
	if (r1 || r2) {
		log_info("reloaded the revocation list %s", h->crl);
		hub_ticket_trust_reload(h);
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hub *h = arg;
	int r;

	(void)fd;
	(void)what;
	if ((r = audit_tick(h->audit)) != 0)
		log_error("audit checkpoint failed: %s", rsg_strerror(r));
	if ((r = hub_audit_sync(h)) != 0)
		log_error("cannot flush the audit log: %s", rsg_strerror(r));
	if (++h->tick_count % HUB_CRL_CHECK_S == 0)
		crl_check(h);
	hub_ticket_tick(h);
	hub_refusals_tick(h, 0);
	hub_vault_tick(h);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct hub *h = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(h->base);
}

/* ---- start and stop ------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rsgate-hub -c FILE [-t | -T]\n"
	    "  -c FILE     configuration file (required)\n"
	    "  -t          check the configuration and exit (0: good)\n"
	    "  -T          print the effective configuration (secrets "
	    "redacted) and exit\n"
	    "  -h, --help  this help\n"
	    "Runs in the foreground; SIGTERM or SIGINT stop it cleanly. On "
	    "start it prints\n"
	    "\"api listening on HOST:PORT\", \"control listening on "
	    "HOST:PORT\" and\n\"relay listening on HOST:PORT\" on stdout.\n\n");
}

static int
audit_start(struct hub *h, char *err, size_t errlen)
{
	const char *db = config_get_string(h->cfg, "audit_db");
	const char *key = config_get_string(h->cfg, "audit_key");
	int r;

	if (access(db, F_OK) == 0) {
		if ((r = audit_open(db, key, NULL, &h->audit)) != 0)
			snprintf(err, errlen, "cannot open the audit log %s: "
			    "%s", db, rsg_strerror(r));
		return r;
	}
	if (access(key, F_OK) != 0 && (r = audit_key_generate(key)) != 0) {
		snprintf(err, errlen, "cannot create the audit key %s: %s",
		    key, rsg_strerror(r));
		return r;
	}
	if ((r = audit_create(db, key, NULL, &h->audit)) != 0)
		snprintf(err, errlen, "cannot create the audit log %s: %s", db,
		    rsg_strerror(r));
	return r;
}

static int
tls_start(struct hub *h, char *err, size_t errlen)
{
	struct tls_ctx_conf tc;
	int r;

	memset(&tc, 0, sizeof(tc));
	tc.side = TLS_SERVER;
	tc.cert = config_get_string(h->cfg, "cert");
	tc.key = config_get_string(h->cfg, "key");
	tc.ca = config_get_string(h->cfg, "ca");
	tc.crl = config_get_string(h->cfg, "crl");
	/* Engineers, and administrators (who manage engineers only). */
	tc.peer_roles = PKI_ROLE_ENGINEER | PKI_ROLE_ADMIN;
	if ((r = tls_ctx_new(&tc, &h->api_tls, err, errlen)) != 0)
		return r;
	tc.peer_roles = PKI_ROLE_AP;
	if ((r = tls_ctx_new(&tc, &h->ctl_tls, err, errlen)) != 0)
		return r;
	hub_tls_track_ctx(h->api_tls);
	hub_tls_track_ctx(h->ctl_tls);
	h->crl = tc.crl;
	return 0;
}

/* Check what -t checks beyond the table: addresses. */
static int
config_check(struct config *cfg, char *err, size_t errlen)
{
	static const char *const keys[] = { "api_listen", "control_listen",
		"relay_listen" };
	char host[256];
	const char *s;
	const char *colon;
	uint64_t port;
	uint16_t p16;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		s = config_get_string(cfg, keys[i]);
		if ((colon = strrchr(s, ':')) == NULL || colon == s ||
		    parse_u64(colon + 1, 0, 65535, &port) != 0) {
			snprintf(err, errlen, "%s: '%s' is not host:port "
			    "(port 0..65535)", keys[i], s);
			return RSG_ERR_CONFIG;
		}
	}
	if ((s = config_get_string(cfg, "relay_advertise")) != NULL &&
	    ctl_hostport_split(s, host, sizeof(host), &p16) != 0) {
		snprintf(err, errlen, "relay_advertise: '%s' is not host:port",
		    s);
		return RSG_ERR_CONFIG;
	}
	return hub_alert_check(cfg, err, errlen);
}

/*
 * Raise the soft descriptor limit to the hard one and share what is
 * available, less HUB_FD_RESERVE, between the listeners: an eighth each
 * for control connections and API connections (one descriptor each), the
 * rest for the relay, whose paired connections hold three (socket and
 * pipe) and whose unpaired ones, the strangers, may take half of its cap.
 */
static void
fd_budget(struct hub *h, struct relay_conf *rc)
{
	struct rlimit rl;
	rlim_t want;
	uint64_t avail, relay;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		rl.rlim_cur = 1024;
		rl.rlim_max = 1024;
	} else {
		want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >
		    HUB_FD_WANT ? HUB_FD_WANT : rl.rlim_max;
		if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
			want = rl.rlim_cur;
		else {
			rl.rlim_cur = want;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				log_warn("cannot raise the descriptor limit: "
				    "%s", strerror(errno));
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	avail = rl.rlim_cur == RLIM_INFINITY ? HUB_FD_WANT :
	    (uint64_t)rl.rlim_cur;
	avail = avail > 2 * HUB_FD_RESERVE ? avail - HUB_FD_RESERVE :
	    avail / 2;
	h->ctl_max = (size_t)(avail / 8);
	if (h->ctl_max > HUB_CTL_CONNS_MAX)
		h->ctl_max = HUB_CTL_CONNS_MAX;
	h->api_max = (size_t)(avail / 8);
	relay = avail - h->ctl_max - h->api_max;
	rc->conns_max = (size_t)(relay / 3);
	rc->unpaired_max = rc->conns_max / 2;
	if (h->ctl_max == 0)
		h->ctl_max = 1;
	if (h->api_max == 0)
		h->api_max = 1;
	if (rc->conns_max < 2)
		rc->conns_max = 2;
	if (rc->unpaired_max == 0)
		rc->unpaired_max = 1;
	log_info("file descriptors: limit %llu (hard %llu), %d in reserve; "
	    "caps: control %zu, api %zu, relay %zu (unpaired %zu)",
	    (unsigned long long)(rl.rlim_cur == RLIM_INFINITY ? HUB_FD_WANT :
	    rl.rlim_cur), (unsigned long long)(rl.rlim_max == RLIM_INFINITY ?
	    HUB_FD_WANT : rl.rlim_max), HUB_FD_RESERVE, h->ctl_max, h->api_max,
	    rc->conns_max, rc->unpaired_max);
}

static void
hub_stop(struct hub *h)
{
	struct hub_stream *st;
	struct hub_ap *ap;
	int r;

	hub_vault_stop(h);	/* answers collects before evhttp goes */
	hub_api_shutdown(h);
	hub_ctl_shutdown(h);
	/* Streams still open end with the hub; each is audited. */
	while ((st = TAILQ_FIRST(&h->streams)) != NULL) {
		uint8_t id[CTL_STREAM_ID_LEN];

		memcpy(id, st->id, sizeof(id));
		if (h->relay != NULL)
			(void)relay_stream_cancel(h->relay, id,
			    "hub shutting down");
		/* A paired stream was audited and freed by the relay event. */
		if ((st = hub_stream_find(h, id)) != NULL)
			hub_stream_free(h, st);
	}
	relay_free(h->relay);
	hub_ticket_stop(h);
	if (h->relay_lis != NULL)
		evconnlistener_free(h->relay_lis);
	/* Nothing is lost: counted refusals get their summary now. */
	hub_refusals_tick(h, 1);
	while ((ap = TAILQ_FIRST(&h->aps)) != NULL) {
		TAILQ_REMOVE(&h->aps, ap, entry);
		ctl_msg_free(ap->hello);
		free(ap);
	}
	if (h->ev_tick != NULL)
		event_free(h->ev_tick);
	if (h->ev_audit_sync != NULL)
		event_free(h->ev_audit_sync);
	h->ev_audit_sync = NULL;	/* audit_close below flushes */
	if (h->ev_term != NULL)
		event_free(h->ev_term);
	if (h->ev_int != NULL)
		event_free(h->ev_int);
	hub_alert_stop(h);
	tls_ctx_free(h->api_tls);
	tls_ctx_free(h->ctl_tls);
	if (h->audit != NULL && (r = audit_close(h->audit)) != 0)
		log_error("closing the audit log: %s", rsg_strerror(r));
	h->audit = NULL;
	if (h->base != NULL)
		event_base_free(h->base);
	config_free(h->cfg);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct relay_conf rc;
	struct hub hub, *h = &hub;
	struct rsg_buf *out = NULL;
	enum log_level level;
	struct timeval one = { 1, 0 };
	const char *path = NULL;
	char err[512], bound[HUB_ADDR_MAX];
	int c, test = 0, dump = 0, fd, ex = 1;

	memset(h, 0, sizeof(*h));
	TAILQ_INIT(&h->aps);
	TAILQ_INIT(&h->conns);
	TAILQ_INIT(&h->pending);
	TAILQ_INIT(&h->streams);
	TAILQ_INIT(&h->refusals);
	while ((c = getopt_long(argc, argv, "c:htT", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			dump = 1;
			break;
		case 'h':
			usage(stdout);
			if ((out = buf_new(0)) != NULL &&
			    config_help_text(&hub_config_table, out) == 0)
				fwrite(buf_ptr(out), 1, buf_len(out), stdout);
			buf_free(out);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || path == NULL) {
		usage(stderr);
		return 2;
	}
	log_init("rsgate-hub", LOG_LEVEL_INFO);
	if (config_new(&hub_config_table, &h->cfg) != 0) {
		fprintf(stderr, "rsgate-hub: out of memory\n");
		return 1;
	}
	if (config_load_file(h->cfg, path, err, sizeof(err)) != 0 ||
	    config_validate(h->cfg, err, sizeof(err)) != 0 ||
	    config_check(h->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate-hub: %s\n", err);
		config_free(h->cfg);
		return 1;
	}
	if (test) {
		printf("%s: configuration OK\n", path);
		config_free(h->cfg);
		return 0;
	}
	if (dump) {
		if ((out = buf_new(0)) == NULL ||
		    config_dump(h->cfg, out) != 0) {
			buf_free(out);
			config_free(h->cfg);
			return 1;
		}
		fwrite(buf_ptr(out), 1, buf_len(out), stdout);
		buf_free(out);
		config_free(h->cfg);
		return 0;
	}
	if (log_level_parse(config_get_string(h->cfg, "log_level"),
	    &level) == 0)
		log_init("rsgate-hub", level);
	signal(SIGPIPE, SIG_IGN);
	h->name = config_get_string(h->cfg, "name");
	h->heartbeat_s = (uint64_t)config_get_int(h->cfg, "heartbeat");
	h->dead_after_ms = config_get_int(h->cfg, "dead_after") * 1000;
	h->pairing_ms = (uint64_t)config_get_int(h->cfg, "pairing_timeout") *
	    1000;
	if ((h->base = event_base_new()) == NULL) {
		fprintf(stderr, "rsgate-hub: cannot create the event loop\n");
		goto out;
	}
	if (audit_start(h, err, sizeof(err)) != 0 ||
	    tls_start(h, err, sizeof(err)) != 0 ||
	    hub_ticket_start(h, err, sizeof(err)) != 0 ||
	    hub_alert_start(h, err, sizeof(err)) != 0 ||
	    hub_vault_start(h, err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate-hub: %s\n", err);
		goto out;
	}
	memset(&rc, 0, sizeof(rc));
	fd_budget(h, &rc);
	h->refusal_burst = (uint64_t)config_get_int(h->cfg,
	    "refusal_audit_burst");
	rc.unpaired_timeout_ms = (uint64_t)config_get_int(h->cfg,
	    "relay_unpaired_timeout") * 1000;
	rc.per_source_max = (unsigned)config_get_int(h->cfg,
	    "relay_per_source_max");
	rc.idle_ms = (uint64_t)config_get_int(h->cfg, "relay_idle") * 1000;
	rc.admit = relay_admit_cb;
	if (relay_new(h->base, &rc, relay_event_cb, h, &h->relay) != 0) {
		fprintf(stderr, "rsgate-hub: out of memory\n");
		goto out;
	}

	if (listen_open(config_get_string(h->cfg, "api_listen"), &fd, bound,
	    sizeof(bound), err, sizeof(err)) != 0 ||
	    hub_api_listen(h, fd) != 0) {
		fprintf(stderr, "rsgate-hub: api_listen: %s\n", err);
		goto out;
	}
	printf("api listening on %s\n", bound);
	if (listen_open(config_get_string(h->cfg, "control_listen"), &fd,
	    bound, sizeof(bound), err, sizeof(err)) != 0 ||
	    hub_ctl_listen(h, fd) != 0) {
		fprintf(stderr, "rsgate-hub: control_listen: %s\n", err);
		goto out;
	}
	printf("control listening on %s\n", bound);
	if (listen_open(config_get_string(h->cfg, "relay_listen"), &fd, bound,
	    sizeof(bound), err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate-hub: relay_listen: %s\n", err);
		goto out;
	}
	if ((h->relay_lis = evconnlistener_new(h->base, relay_accept_cb, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd)) == NULL) {
		close(fd);
		fprintf(stderr, "rsgate-hub: cannot listen for the relay\n");
		goto out;
	}
	evconnlistener_set_error_cb(h->relay_lis, hub_listener_error_cb);
	printf("relay listening on %s\n", bound);
	snprintf(h->relay_advertise, sizeof(h->relay_advertise), "%s",
	    config_get_string(h->cfg, "relay_advertise") != NULL ?
	    config_get_string(h->cfg, "relay_advertise") : bound);
	fflush(stdout);

	if ((h->ev_tick = event_new(h->base, -1, EV_PERSIST, tick_cb,
	    h)) == NULL ||
	    (h->ev_audit_sync = evtimer_new(h->base, audit_sync_cb,
	    h)) == NULL ||
	    (h->ev_term = evsignal_new(h->base, SIGTERM, signal_cb,
	    h)) == NULL ||
	    (h->ev_int = evsignal_new(h->base, SIGINT, signal_cb, h)) == NULL ||
	    event_add(h->ev_tick, &one) != 0 || event_add(h->ev_term,
	    NULL) != 0 || event_add(h->ev_int, NULL) != 0) {
		fprintf(stderr, "rsgate-hub: cannot set up timers\n");
		goto out;
	}
	log_info("hub %s running; relay advertised as %s", h->name,
	    h->relay_advertise);
	event_base_dispatch(h->base);
	ex = 0;
 out:
	hub_stop(h);
	return ex;
}
