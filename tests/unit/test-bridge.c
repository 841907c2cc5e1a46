/*
 * test-bridge.c: the byte pump of a tunnel (lib/net/bridge.c) on a real
 * libevent base, as the access point uses it: end a is a TLS 1.3 stream
 * (the engineer's), end b a plain TCP connection (the device's), both on
 * loopback. The peers run in threads with blocking sockets.
 *  - megabytes both ways arrive intact and in order, with the half-closes
 *    passed on (FIN -> close_notify and close_notify -> FIN) and counted;
 *  - a half-close while the TLS peer is not reading (the socket's send
 *    buffer full): the close_notify waits for room instead of ending the
 *    stream as an error;
 *  - a slow reader stops the bridge reading the other side: what the bridge
 *    holds stays bounded (issue 3: back-pressure, never unbounded
 *    buffering);
 *  - a reset on either side, and a TLS peer that closes without
 *    close_notify (a truncation attack, R16: integrity), end the bridge as
 *    an error naming the side.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rsgate/bridge.h"
#include "rsgate/pki.h"
#include "rsgate/tls.h"
#include "testutil.h"

#define MIB (1024u * 1024)

struct fx {
	char *tmp;
	struct tls_ctx *srv, *cli;	/* the AP's and the engineer's */
};

/* One bridge with its two peers. */
struct run {
	struct fx *f;
	struct event_base *base;
	struct bufferevent *a, *b;
	struct bridge *br;
	int tls_peer, plain_peer;	/* the peers' sockets */
	int bridged, done, clean;
	char reason[256];
	uint64_t a_to_b, b_to_a;
	/* What the peers do. */
	size_t tls_send, plain_send;	/* bytes each sends, then half-closes */
	unsigned tls_read_delay_ms;	/* the TLS peer waits before reading */
	int plain_slow;			/* the plain peer does not read */
	int tls_abort, plain_reset;	/* end badly after sending */
	/* What the peers saw. */
	size_t tls_got, plain_got;
	int tls_bad, plain_bad;		/* a byte out of pattern */
	int tls_close_notify;		/* the TLS peer got close_notify */
	int plain_fin;			/* the plain peer got FIN */
	pthread_t th_tls, th_pw, th_pr;
};

static unsigned char
pattern(size_t i, unsigned salt)
{
	return (unsigned char)((i * 131u + salt + (i >> 12)) & 0xff);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A connected loopback TCP pair: *s is the accepted end. */
static void
tcp_pair(int *c, int *s)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int l;

	assert_true((l = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &sl), 0);
	assert_true((*c = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(*c, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_true((*s = accept(l, NULL, NULL)) >= 0);
	close(l);
}

static void
issue(struct pki_ca *ca, const char *dir, enum pki_role role,
    const char *name, const char *prefix)
{
	struct pki_issue_req req = { role, name, PKI_KEY_ECDSA_P256, 2,
		time_now_ms() / 1000 };
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char err[512];

	assert_int_equal(pki_ca_issue(ca, &req, &cert, &key, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_certkey_write(tmppath(dir, prefix), cert, key,
	    err, sizeof(err)), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static struct tls_ctx *
ctx_for(struct fx *f, enum tls_side side, const char *who, unsigned roles)
{
	struct tls_ctx_conf conf;
	struct tls_ctx *ctx = NULL;
	char cert[4096], key[4096], ca[4096], err[512];

	snprintf(cert, sizeof(cert), "%s/%s.crt", f->tmp, who);
	snprintf(key, sizeof(key), "%s/%s.key", f->tmp, who);
	snprintf(ca, sizeof(ca), "%s/ca/ca.crt", f->tmp);
	memset(&conf, 0, sizeof(conf));
	conf.side = side;
	conf.cert = cert;
	conf.key = key;
	conf.ca = ca;
	conf.peer_roles = roles;
	if (tls_ctx_new(&conf, &ctx, err, sizeof(err)) != 0)
		fail_msg("tls_ctx_new(%s): %s", who, err);
	return ctx;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pki_ca *ca = NULL;
	char err[512];

	signal(SIGPIPE, SIG_IGN);
	assert_non_null(f);
	assert_non_null(f->tmp = tmpdir_new("bridge"));
	assert_int_equal(pki_ca_create(tmppath(f->tmp, "ca"), "Bridge CA",
	    PKI_KEY_ECDSA_P256, 2, time_now_ms() / 1000, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(tmppath(f->tmp, "ca"), &ca, err,
	    sizeof(err)), 0);
	issue(ca, f->tmp, PKI_ROLE_AP, "ap1", "ap");
	issue(ca, f->tmp, PKI_ROLE_ENGINEER, "Alice", "alice");
	pki_ca_free(ca);
	f->srv = ctx_for(f, TLS_SERVER, "ap", PKI_ROLE_ENGINEER);
	f->cli = ctx_for(f, TLS_CLIENT, "alice", PKI_ROLE_AP);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tls_ctx_free(f->srv);
	tls_ctx_free(f->cli);
	tmpdir_rm(f->tmp);
	free(f);
	return 0;
}

/* The engineer: sends tls_send bytes, close_notify, reads to the end. */
static void *
tls_peer_main(void *arg)
{
	struct run *r = arg;
	unsigned char buf[32768];
	size_t i, sent = 0, n;
	SSL *ssl;
	int k;

	if ((ssl = tls_ssl_new(r->f->cli)) == NULL)
		return NULL;
	SSL_set_fd(ssl, r->tls_peer);
	if (SSL_connect(ssl) != 1) {
		r->tls_bad = 1;
		goto out;
	}
	while (sent < r->tls_send) {
		n = r->tls_send - sent < sizeof(buf) ? r->tls_send - sent :
		    sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(sent + i, 1);
		if ((k = SSL_write(ssl, buf, (int)n)) <= 0) {
			r->tls_bad = 1;
			goto out;
		}
		sent += (size_t)k;
	}
	if (r->tls_abort) {
		/* TCP FIN without close_notify: a truncation. */
		shutdown(r->tls_peer, SHUT_WR);
		goto out;
	}
	SSL_shutdown(ssl);
	sleep_ms(r->tls_read_delay_ms);
	for (;;) {
		k = SSL_read(ssl, buf, sizeof(buf));
		if (k <= 0) {
			if (SSL_get_error(ssl, k) == SSL_ERROR_ZERO_RETURN)
				r->tls_close_notify = 1;
			break;
		}
		for (i = 0; i < (size_t)k; i++)
			if (buf[i] != pattern(r->tls_got + i, 2))
				r->tls_bad = 1;
		r->tls_got += (size_t)k;
	}
 out:
	SSL_free(ssl);
	ERR_clear_error();
	return NULL;
}

/* The device's sending half: plain_send bytes, then FIN or a reset. */
static void *
plain_writer_main(void *arg)
{
	struct run *r = arg;
	unsigned char buf[32768];
	struct linger lg = { 1, 0 };
	size_t i, sent = 0, n;
	ssize_t k;

	while (sent < r->plain_send) {
		n = r->plain_send - sent < sizeof(buf) ? r->plain_send - sent :
		    sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(sent + i, 2);
		if ((k = send(r->plain_peer, buf, n, MSG_NOSIGNAL)) <= 0)
			return NULL;
		sent += (size_t)k;
	}
	if (r->plain_reset) {
		/* close() with a zero linger sends a reset. */
		setsockopt(r->plain_peer, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
		close(r->plain_peer);
		r->plain_peer = -1;
		return NULL;
	}
	shutdown(r->plain_peer, SHUT_WR);
	return NULL;
}

/* The device's receiving half. */
static void *
plain_reader_main(void *arg)
{
	struct run *r = arg;
	unsigned char buf[32768];
	ssize_t k, i;

	for (;;) {
		k = recv(r->plain_peer, buf, sizeof(buf), 0);
		if (k == 0)
			r->plain_fin = 1;
		if (k <= 0)
			break;
		for (i = 0; i < k; i++)
			if (buf[i] != pattern(r->plain_got + (size_t)i, 1))
				r->plain_bad = 1;
		r->plain_got += (size_t)k;
	}
	return NULL;
}

static void
done_cb(struct bridge *br, int clean, const char *reason, void *arg)
{
	struct run *r = arg;

	bridge_counts(br, &r->a_to_b, &r->b_to_a);
	r->done = 1;
	r->clean = clean;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	bridge_free(br);
	r->br = NULL;
	event_base_loopbreak(r->base);
}

static void
handshake_cb(struct bufferevent *bev, short what, void *arg)
{
	struct run *r = arg;

	if (!(what & BEV_EVENT_CONNECTED)) {
		r->done = 1;
		snprintf(r->reason, sizeof(r->reason), "handshake failed");
		event_base_loopbreak(r->base);
		return;
	}
	assert_int_equal(bridge_new(bev, 1, r->b, 0, done_cb, r, &r->br), 0);
	r->bridged = 1;
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	snprintf(r->reason, sizeof(r->reason), "test timed out");
	event_base_loopbreak(r->base);
}

/* Start one bridge's sockets, handshake and peers. */
static void
run_start(struct run *r)
{
	int ta, tb, small = 64 * 1024;
	SSL *ssl;

	assert_non_null(r->base = bridge_base_new());
	tcp_pair(&r->tls_peer, &ta);
	tcp_pair(&r->plain_peer, &tb);
	if (r->plain_slow) {
		/* Small kernel buffers: the bridge's own bound shows. */
		setsockopt(tb, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		setsockopt(r->plain_peer, SOL_SOCKET, SO_RCVBUF, &small,
		    sizeof(small));
	}
	evutil_make_socket_nonblocking(ta);
	evutil_make_socket_nonblocking(tb);
	assert_non_null(ssl = tls_ssl_new(r->f->srv));
	assert_non_null(r->a = bufferevent_openssl_socket_new(r->base, ta,
	    ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS));
	assert_non_null(r->b = bufferevent_socket_new(r->base, tb,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS));
	bufferevent_setcb(r->a, NULL, NULL, handshake_cb, r);
	bufferevent_enable(r->a, EV_READ | EV_WRITE);
	assert_int_equal(pthread_create(&r->th_tls, NULL, tls_peer_main, r),
	    0);
	if (r->plain_send > 0 || r->plain_reset)
		assert_int_equal(pthread_create(&r->th_pw, NULL,
		    plain_writer_main, r), 0);
	else
		shutdown(r->plain_peer, SHUT_WR);
	if (!r->plain_slow)
		assert_int_equal(pthread_create(&r->th_pr, NULL,
		    plain_reader_main, r), 0);
}

/* Free the bridge (or the ends), unblock and join the peers. */
static void
run_end(struct run *r)
{
	if (r->br != NULL)
		bridge_free(r->br);
	else if (!r->bridged) {
		bufferevent_free(r->a);
		bufferevent_free(r->b);
	}
	r->br = NULL;
	/*
	 * After a clean end the peers finish reading what the kernel holds;
	 * else unblock them so that the threads end.
	 */
	if (!r->clean) {
		shutdown(r->tls_peer, SHUT_RDWR);
		if (!r->plain_reset)	/* else the writer closed it */
			shutdown(r->plain_peer, SHUT_RDWR);
	}
	pthread_join(r->th_tls, NULL);
	if (r->plain_send > 0 || r->plain_reset)
		pthread_join(r->th_pw, NULL);
	if (!r->plain_slow)
		pthread_join(r->th_pr, NULL);
	event_base_free(r->base);
	close(r->tls_peer);
	if (!r->plain_reset)
		close(r->plain_peer);
}

/* Run one bridge with its peers until it is done (or 30 s). */
static void
run_bridge(struct run *r)
{
	struct timeval limit = { 30, 0 };
	struct event *tmo;

	run_start(r);
	assert_non_null(tmo = evtimer_new(r->base, timeout_cb, r));
	assert_int_equal(evtimer_add(tmo, &limit), 0);
	event_base_dispatch(r->base);
	event_free(tmo);
	run_end(r);
}

/* Megabytes both ways, half-closes passed on, counts right. */
static void
test_both_ways(void **state)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.f = *state;
	r.tls_send = 6 * MIB + 123;
	r.plain_send = 5 * MIB + 7;
	run_bridge(&r);
	assert_true(r.done);
	if (!r.clean)
		fail_msg("bridge failed: %s", r.reason);
	assert_string_equal(r.reason, "closed");
	assert_int_equal(r.plain_got, r.tls_send);
	assert_int_equal(r.tls_got, r.plain_send);
	assert_false(r.plain_bad);
	assert_false(r.tls_bad);
	assert_true(r.plain_fin);
	assert_true(r.tls_close_notify);
	assert_int_equal(r.a_to_b, r.tls_send);
	assert_int_equal(r.b_to_a, r.plain_send);
}

/*
 * The device sends a lot and closes while the engineer is not reading: the
 * TLS socket's send buffer is full when the device's FIN arrives, and the
 * close_notify must wait for room, not end the stream as an error.
 */
static void
test_half_close_full_buffer(void **state)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.f = *state;
	r.tls_send = 10;
	r.plain_send = 32 * MIB;
	r.tls_read_delay_ms = 500;
	run_bridge(&r);
	assert_true(r.done);
	if (!r.clean)
		fail_msg("bridge failed: %s", r.reason);
	assert_int_equal(r.tls_got, r.plain_send);
	assert_true(r.tls_close_notify);
	assert_false(r.tls_bad);
	assert_int_equal(r.plain_got, 10);
}

/*
 * A device that does not read: the bridge stops reading the engineer, so
 * what it has taken stays near its bound (BRIDGE_HIGH) plus the kernel's
 * small buffers, while the engineer has 64 MiB to send.
 */
static void
test_back_pressure(void **state)
{
	struct timeval t = { 1, 500000 };
	struct run r;

	memset(&r, 0, sizeof(r));
	r.f = *state;
	r.tls_send = 64 * MIB;
	r.plain_slow = 1;
	run_start(&r);
	assert_int_equal(event_base_loopexit(r.base, &t), 0);
	event_base_dispatch(r.base);
	assert_false(r.done);
	assert_non_null(r.br);
	bridge_counts(r.br, &r.a_to_b, &r.b_to_a);
	assert_true(r.a_to_b > 0);
	if (r.a_to_b > 2 * BRIDGE_HIGH + MIB)
		fail_msg("the bridge read %llu bytes from the engineer while "
		    "the device read none", (unsigned long long)r.a_to_b);
	run_end(&r);
}

/* The device resets: an error naming the device's (second) side. */
static void
test_device_reset(void **state)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.f = *state;
	r.tls_send = 1000;
	r.plain_send = 1000;
	r.plain_reset = 1;
	r.plain_slow = 1;	/* the writer closes the socket */
	run_bridge(&r);
	assert_true(r.done);
	assert_false(r.clean);
	assert_string_equal(r.reason, "second side reset");
}

/* The engineer's side ends without close_notify: a truncation. */
static void
test_truncation(void **state)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.f = *state;
	r.tls_send = 100000;
	r.tls_abort = 1;
	run_bridge(&r);
	assert_true(r.done);
	assert_false(r.clean);
	assert_string_equal(r.reason,
	    "first side reset or closed without close_notify");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_half_close_full_buffer),
		cmocka_unit_test(test_back_pressure),
		cmocka_unit_test(test_device_reset),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
