/*
 * cmd-connect.c: `rsgate connect`, the engineer's tunnel client. It
 * listens on a local address like `ssh -L`; each accepted connection
 * becomes one stream: ask the hub for it (POST /v1/streams with the
 * engineer's certificate), dial the hub's relay with the engineer-side
 * preamble and the one-time token, run a TLS 1.3 handshake inside the pair
 * with the access point (its certificate must carry the ap role and have
 * the fingerprint the hub named), then copy bytes both ways
 * (lib/net/bridge.c). The hub relays ciphertext only.
 *
 * stdout, flushed (for people and scripts):
 *	listening on 127.0.0.1:PORT
 *	stream STREAMID open: DEV/SVC via AP
 *	stream STREAMID closed: N bytes up, M down
 * Errors are one line on stderr; the local connection is then closed and
 * the command keeps listening. SIGINT/SIGTERM end it with status 0.
 *
 * Set-up never blocks the event loop, so local connections are set up
 * concurrently and a hub that hangs delays only the streams waiting on
 * it: the API call runs on the libcurl multi interface driven by this
 * loop (cli-api.c), and the relay is resolved with evdns and dialled with
 * a non-blocking connect (lib/net/dial.c). One thread: no locks, and
 * cancelling a set-up (SIGINT, the local side gone) is freeing it.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "rsgate/bridge.h"
#include "rsgate/ctlmsg.h"
#include "rsgate/dial.h"
#include "rsgate/pki.h"
#include "rsgate/relay.h"
#include "rsgate/tls.h"
#include "rsgate/util.h"

#include "cli-api.h"
#include "rsgate.h"

#define CONNECT_TIMEOUT_S 10

struct cstream;

struct connect {
	const struct cmd_entry *self;
	struct event_base *base;
	struct evconnlistener *lis;
	struct api *api;
	struct evdns_base *dns;
	struct tls_ctx *tls;
	const char *device, *service, *ticket;
	TAILQ_HEAD(, cstream) streams;
};

struct cstream {
	TAILQ_ENTRY(cstream) entry;
	struct connect *c;
	char idhex[2 * RELAY_STREAM_ID_LEN + 1];
	char ap[CTL_NAME_MAX + 1];
	uint8_t ap_fpr[32];
	struct api_req *req;		/* while the hub is asked */
	struct net_dial *dial;		/* while the relay is dialled */
	struct relay_preamble pre;	/* secret token: wiped */
	struct bufferevent *local, *tls;
	struct bridge *br;
};

static void
cs_free(struct cstream *s)
{
	TAILQ_REMOVE(&s->c->streams, s, entry);
	api_request_cancel(s->req);
	net_dial_cancel(s->dial);
	mem_wipe(&s->pre, sizeof(s->pre));
	if (s->br != NULL)
		bridge_free(s->br);
	else {
		if (s->local != NULL)
			bufferevent_free(s->local);
		if (s->tls != NULL)
			bufferevent_free(s->tls);
	}
	free(s);
}

static void
cs_fail(struct cstream *s, const char *fmt, ...) RSG_PRINTF(2, 3);

static void
cs_fail(struct cstream *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rsgate connect: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cs_free(s);
}

static void
bridge_done(struct bridge *br, int clean, const char *reason, void *arg)
{
	struct cstream *s = arg;
	uint64_t up, down;

	bridge_counts(br, &up, &down);
	if (!clean) {
		/* The bridge's second side is the TLS stream to the AP. */
		fprintf(stderr, "rsgate connect: stream %s: %s%s\n", s->idhex,
		    strncmp(reason, "second side", 11) == 0 ?
		    "access point side" : strncmp(reason, "first side",
		    10) == 0 ? "local side" : "",
		    strncmp(reason, "second side", 11) == 0 ? reason + 11 :
		    strncmp(reason, "first side", 10) == 0 ? reason + 10 :
		    reason);
	}
	printf("stream %s closed: %llu bytes up, %llu down\n", s->idhex,
	    (unsigned long long)up, (unsigned long long)down);
	fflush(stdout);
	cs_free(s);
}

static void
tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct cstream *s = arg;
	struct tls_peer peer;
	uint8_t got[32];
	char why[256];

	if (!(what & BEV_EVENT_CONNECTED)) {
		if (what & BEV_EVENT_TIMEOUT)
			snprintf(why, sizeof(why), "timed out");
		else
			tls_error_reason(bufferevent_openssl_get_ssl(bev), why,
			    sizeof(why));
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		cs_fail(s, "stream %s: TLS handshake with the access point "
		    "failed: %s", s->idhex, why);
		return;
	}
	if (tls_peer_get(bufferevent_openssl_get_ssl(bev), PKI_ROLE_AP,
	    &peer) != 0 || hex_decode(peer.fingerprint, got, sizeof(got)) != 0 ||
	    mem_equal_ct(got, s->ap_fpr, sizeof(got)) != 0) {
		cs_fail(s, "stream %s: peer is not the access point that "
		    "serves %s", s->idhex, s->c->device);
		return;
	}
	bufferevent_set_timeouts(bev, NULL, NULL);
	if (bridge_new(s->local, 0, s->tls, 1, bridge_done, s, &s->br) != 0) {
		cs_fail(s, "stream %s: out of memory", s->idhex);
		return;
	}
	printf("stream %s open: %s/%s via %s\n", s->idhex, s->c->device,
	    s->c->service, s->ap);
	fflush(stdout);
}

/* The relay answered: send the preamble, start TLS with the AP inside. */
static void
cs_dialed(int fd, const char *err, void *arg)
{
	struct cstream *s = arg;
	struct connect *c = s->c;
	uint8_t wire[RELAY_PREAMBLE_LEN];
	struct timeval tv = { CONNECT_TIMEOUT_S, 0 };
	SSL *ssl = NULL;
	ssize_t n;

	s->dial = NULL;
	if (fd < 0) {
		cs_fail(s, "stream %s: relay %s", s->idhex, err);
		return;
	}
	net_nodelay(fd);
	relay_preamble_encode(&s->pre, wire);
	/* A fresh socket's buffer always takes 54 bytes at once. */
	n = send(fd, wire, sizeof(wire), MSG_NOSIGNAL);
	mem_wipe(wire, sizeof(wire));
	mem_wipe(&s->pre, sizeof(s->pre));
	if (n != (ssize_t)sizeof(wire)) {
		close(fd);
		cs_fail(s, "stream %s: the relay closed the connection",
		    s->idhex);
		return;
	}
	if ((ssl = tls_ssl_new_resume(c->tls, s->ap_fpr)) == NULL ||
	    (s->tls = bufferevent_openssl_socket_new(c->base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		SSL_free(ssl);
		close(fd);
		cs_fail(s, "out of memory");
		return;
	}
	bufferevent_setcb(s->tls, NULL, NULL, tls_event_cb, s);
	bufferevent_set_timeouts(s->tls, &tv, &tv);
	bufferevent_enable(s->tls, EV_READ | EV_WRITE);
}

/* The hub's answer to POST /v1/streams: dial the relay it names. */
static void
cs_api_done(long status, json_t *rep, const char *err, void *arg)
{
	struct cstream *s = arg;
	json_t *apj;
	const char *sid, *tok, *relay, *apname, *apfpr;
	char host[256], msg[600];
	uint16_t port;
	int r;

	s->req = NULL;
	if (err != NULL) {
		cs_fail(s, "%s", err);
		goto out;
	}
	if (status != 201) {
		api_error_text(status, rep, msg, sizeof(msg));
		cs_fail(s, "%s", msg);
		goto out;
	}
	apj = json_object_get(rep, "ap");
	sid = json_string_value(json_object_get(rep, "stream_id"));
	tok = json_string_value(json_object_get(rep, "token"));
	relay = json_string_value(json_object_get(rep, "relay"));
	apname = json_string_value(json_object_get(apj, "name"));
	apfpr = json_string_value(json_object_get(apj, "fingerprint"));
	s->pre.side = RELAY_SIDE_ENGINEER;
	if (sid == NULL || tok == NULL || relay == NULL || apname == NULL ||
	    apfpr == NULL ||
	    hex_decode(sid, s->pre.stream_id, sizeof(s->pre.stream_id)) != 0 ||
	    hex_decode(tok, s->pre.token, sizeof(s->pre.token)) != 0 ||
	    hex_decode(apfpr, s->ap_fpr, sizeof(s->ap_fpr)) != 0 ||
	    str_copy(s->ap, sizeof(s->ap), apname) != 0) {
		cs_fail(s, "the hub's reply is not a stream (missing or bad "
		    "stream_id, token, relay or ap)");
		goto out;
	}
	hex_encode(s->pre.stream_id, sizeof(s->pre.stream_id), s->idhex);
	if (ctl_hostport_split(relay, host, sizeof(host), &port) != 0) {
		cs_fail(s, "stream %s: the hub named a bad relay address",
		    s->idhex);
		goto out;
	}
	if ((r = net_dial_start(s->c->base, s->c->dns, host, port,
	    CONNECT_TIMEOUT_S, cs_dialed, s, &s->dial)) != 0)
		cs_fail(s, "stream %s: relay %s: %s", s->idhex, relay,
		    rsg_strerror(r));
 out:
	json_decref(rep);
}

/* Ask the hub for a stream; the rest follows from its answer. */
static void
cs_start(struct cstream *s)
{
	struct connect *c = s->c;
	json_t *req = NULL;
	char *body = NULL, err[600];

	if ((req = json_pack("{s:s, s:s, s:s}", "device", c->device,
	    "service", c->service, "ticket", c->ticket)) == NULL ||
	    (body = json_dumps(req, JSON_COMPACT)) == NULL)
		cs_fail(s, "out of memory");
	else if (api_request_start(c->api, "POST", "/v1/streams", body,
	    cs_api_done, s, &s->req, err, sizeof(err)) != 0)
		cs_fail(s, "%s", err);
	free(body);
	json_decref(req);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct connect *c = arg;
	struct cstream *s;

	(void)l;
	(void)sa;
	(void)salen;
	net_nodelay(fd);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return;
	}
	s->c = c;
	snprintf(s->idhex, sizeof(s->idhex), "-");
	TAILQ_INSERT_TAIL(&c->streams, s, entry);
	if ((s->local = bufferevent_socket_new(c->base, fd,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		close(fd);
		cs_fail(s, "out of memory");
		return;
	}
	/* The local bytes wait in the kernel until the tunnel is up. */
	bufferevent_disable(s->local, EV_READ);
	cs_start(s);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static int
listen_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[256];
	uint16_t port;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	/* Port 0 is allowed here (the system picks one). */
	if ((colon = strrchr(s, ':')) != NULL && strcmp(colon, ":0") == 0) {
		if ((size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = 0;
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host) - 2);
			host[strlen(host) - 2] = '\0';
		}
	} else if (ctl_hostport_split(s, host, sizeof(host), &port) != 0)
		return -1;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*sl = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*sl = sizeof(*in6);
		return 0;
	}
	return -1;
}

static int
cmd_connect_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "service", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "hub", required_argument, NULL, 'H' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },
		{ "ticket", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct connect c;
	struct tls_ctx_conf tc;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct event *ev_int = NULL, *ev_term = NULL;
	const char *laddr = NULL, *hub = NULL, *cert = NULL, *key = NULL;
	const char *ca = NULL;
	char err[600], addr[INET6_ADDRSTRLEN];
	struct cstream *s;
	int o, ex = EXIT_OK, lfd;

	memset(&c, 0, sizeof(c));
	TAILQ_INIT(&c.streams);
	c.self = self;
	c.ticket = "";
	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (o) {
		case -2:
			return ex;
		case 'd':
			c.device = optarg;
			break;
		case 's':
			c.service = optarg;
			break;
		case 'l':
			laddr = optarg;
			break;
		case 'H':
			hub = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'A':
			ca = optarg;
			break;
		case 'T':
			c.ticket = optarg;
			break;
		default:
			return cli_usage_error(self, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	hub = cli_option_or_config(hub, "hub");
	cert = cli_option_or_config(cert, "cert");
	key = cli_option_or_config(key, "key");
	ca = cli_option_or_config(ca, "ca");
	if (c.device == NULL || c.service == NULL || laddr == NULL)
		return cli_usage_error(self, "--device, --service and "
		    "--listen are required");
	if (hub == NULL || cert == NULL || key == NULL || ca == NULL)
		return cli_usage_error(self, "--hub, --cert, --key and --ca "
		    "are required (or the config keys hub, cert, key, ca)");
	if (strlen(c.ticket) > CTL_NAME_MAX)
		return cli_usage_error(self, "--ticket is too long");
	if (listen_addr(laddr, &ss, &sl) != 0)
		return cli_usage_error(self, "--listen: want IP:PORT, e.g. "
		    "127.0.0.1:2222");
	memset(&tc, 0, sizeof(tc));
	tc.side = TLS_CLIENT;
	tc.cert = cert;
	tc.key = key;
	tc.ca = ca;
	tc.peer_roles = PKI_ROLE_AP;
	/*
	 * Resume the newest session with the same access point: the AP's
	 * stream_resumption decides how long a ticket lives, this only caps.
	 */
	tc.resume_secs = 86400;
	signal(SIGPIPE, SIG_IGN);
	if (tls_ctx_new(&tc, &c.tls, err, sizeof(err)) != 0 ||
	    api_new(hub, cert, key, ca, &c.api, err, sizeof(err)) != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if ((c.base = bridge_base_new()) == NULL ||
	    api_attach(c.api, c.base) != 0 ||
	    (c.dns = evdns_base_new(c.base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL ||
	    (ev_int = evsignal_new(c.base, SIGINT, signal_cb, c.base)) ==
	    NULL ||
	    (ev_term = evsignal_new(c.base, SIGTERM, signal_cb, c.base)) ==
	    NULL || evsignal_add(ev_int, NULL) != 0 ||
	    evsignal_add(ev_term, NULL) != 0) {
		ex = cli_fail(self, "cannot set up the event loop");
		goto out;
	}
	if ((c.lis = evconnlistener_new_bind(c.base, accept_cb, &c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    64, (struct sockaddr *)&ss, (int)sl)) == NULL) {
		ex = cli_fail(self, "cannot listen on %s: %s", laddr,
		    strerror(errno));
		goto out;
	}
	lfd = evconnlistener_get_fd(c.lis);
	sl = sizeof(ss);
	if (getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0) {
		ex = cli_fail(self, "getsockname: %s", strerror(errno));
		goto out;
	}
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    addr, sizeof(addr));
		printf("listening on [%s]:%u\n", addr, (unsigned)ntohs(
		    ((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    addr, sizeof(addr));
		printf("listening on %s:%u\n", addr, (unsigned)ntohs(
		    ((struct sockaddr_in *)&ss)->sin_port));
	}
	fflush(stdout);
	if (event_base_dispatch(c.base) != 0)
		ex = cli_fail(self, "event loop failed");
 out:
	while ((s = TAILQ_FIRST(&c.streams)) != NULL)
		cs_free(s);
	if (c.lis != NULL)
		evconnlistener_free(c.lis);
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_term != NULL)
		event_free(ev_term);
	/* The API's events and the resolver live on the base: first. */
	api_free(c.api);
	if (c.dns != NULL)
		evdns_base_free(c.dns, 0);
	if (c.base != NULL)
		event_base_free(c.base);
	tls_ctx_free(c.tls);
	return ex;
}

const struct cmd_entry cmd_connect_entry = {
	"connect",
	"--device DEV --service SVC --listen IP:PORT [--hub HOST:PORT] "
	"[--cert F --key F --ca F] [--ticket T]",
	"open a tunnel to one service of one device, listening locally",
	"  --device DEV       the device (as `rsgate devices` lists it)\n"
	"  --service SVC      its service, e.g. remote-shell\n"
	"  --listen IP:PORT   local address to listen on (port 0: any); each\n"
	"                     connection to it becomes one stream\n"
	"  --hub HOST:PORT    the hub's API address (config key hub)\n"
	"  --cert FILE        your engineer certificate (config key cert)\n"
	"  --key FILE         its private key (config key key)\n"
	"  --ca FILE          the CA of the hub and access points (config ca)\n"
	"  --ticket T         ticket or approval id sent with each stream\n"
	"\n"
	"Prints \"listening on IP:PORT\", then per stream \"stream ID open: "
	"DEV/SVC\nvia AP\" and \"stream ID closed: N bytes up, M down\". "
	"Runs until\ninterrupted (SIGINT, SIGTERM).\n",
	cmd_connect_exec,
};
