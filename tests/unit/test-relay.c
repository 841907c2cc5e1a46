/*
 * test-relay.c: the hub's relay (lib/net/relay.c) on a real libevent base
 * with loopback TCP connections: pairing and bytes both ways, half-close,
 * the refusals a stranger meets (garbage, wrong, reused and expired
 * tokens, no preamble in time, no partner in time, too many connections
 * from one address), cancelling a stream (the kill switch), and a slow
 * reader that must stop the relay reading rather than make it buffer,
 * the global caps on unpaired and open connections, IPv6 sources counted
 * per /64, and the idle limit of a paired stream (R36: the relay port
 * faces strangers; issue 3, "Relay").
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "rsgate/relay.h"
#include "testutil.h"

struct tctx {
	struct event_base *base;
	struct relay *r;
	int lfd;
	int n[4];			/* events by type */
	char reason[256];		/* of the last event but UNUSED */
	uint64_t up, down;		/* of the last CLOSED */
	uint8_t id[RELAY_STREAM_ID_LEN];
	uint8_t tok_e[RELAY_TOKEN_LEN], tok_a[RELAY_TOKEN_LEN];
};

static void
on_event(const struct relay_event *ev, void *arg)
{
	struct tctx *t = arg;

	t->n[ev->type]++;
	if (ev->type == RELAY_EV_UNUSED)
		return;		/* counted; reason checked by the count */
	snprintf(t->reason, sizeof(t->reason), "%s",
	    ev->reason != NULL ? ev->reason : "");
	if (ev->type == RELAY_EV_CLOSED) {
		t->up = ev->bytes_up;
		t->down = ev->bytes_down;
	}
}

static void
run_ms(struct tctx *t, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(t->base, &tv);
	event_base_dispatch(t->base);
}

static struct tctx *
tctx_new_conf(const struct relay_conf *cp, uint64_t lifetime_ms)
{
	struct relay_conf conf = *cp;
	struct sockaddr_in sa;
	struct tctx *t;
	int buf = 64 * 1024;

	signal(SIGPIPE, SIG_IGN);
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	assert_non_null(t->base = event_base_new());
	assert_int_equal(relay_new(t->base, &conf, on_event, t, &t->r), 0);
	memset(t->id, 0x11, sizeof(t->id));
	memset(t->tok_e, 0xe1, sizeof(t->tok_e));
	memset(t->tok_a, 0xa1, sizeof(t->tok_a));
	assert_int_equal(relay_stream_add(t->r, t->id, t->tok_e, t->tok_a,
	    lifetime_ms), 0);
	assert_int_equal(relay_stream_add(t->r, t->id, t->tok_e, t->tok_a,
	    lifetime_ms), RSG_ERR_EXISTS);
	assert_true((t->lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	/* Small socket buffers so that back-pressure shows quickly. */
	setsockopt(t->lfd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(t->lfd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(t->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(t->lfd, 16), 0);
	return t;
}

static struct tctx *
tctx_new(uint64_t unpaired_ms, unsigned per_source, uint64_t lifetime_ms)
{
	struct relay_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.unpaired_timeout_ms = unpaired_ms;
	conf.per_source_max = per_source;
	conf.unpaired_max = 1000;
	conf.conns_max = 1000;
	return tctx_new_conf(&conf, lifetime_ms);
}

static void
tctx_free(struct tctx *t)
{
	relay_free(t->r);
	event_base_free(t->base);
	close(t->lfd);
	free(t);
}

/* A client connection whose server end is handed to the relay. */
static int
dial(struct tctx *t, const char *source, int expect)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int c, s, buf = 64 * 1024;

	assert_int_equal(getsockname(t->lfd, (struct sockaddr *)&sa, &sl), 0);
	assert_true((c = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sl), 0);
	assert_true((s = accept(t->lfd, NULL, NULL)) >= 0);
	assert_int_equal(relay_accept(t->r, s, source), expect);
	return c;
}

static void
send_all(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void
present(int fd, enum relay_side side, const uint8_t *id, const uint8_t *tok)
{
	struct relay_preamble p;
	uint8_t b[RELAY_PREAMBLE_LEN];

	p.side = side;
	memcpy(p.stream_id, id, RELAY_STREAM_ID_LEN);
	memcpy(p.token, tok, RELAY_TOKEN_LEN);
	relay_preamble_encode(&p, b);
	send_all(fd, b, sizeof(b));
}

/* Whether fd has been closed by the peer (EOF) within the loop run. */
static int
peer_closed(int fd)
{
	char b[16];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Read exactly n bytes from fd, running the loop meanwhile. */
static void
recv_n(struct tctx *t, int fd, char *out, size_t n)
{
	size_t got = 0;
	ssize_t k;
	int tries = 0;

	while (got < n && tries++ < 200) {
		run_ms(t, 5);
		k = recv(fd, out + got, n - got, MSG_DONTWAIT);
		if (k > 0)
			got += (size_t)k;
	}
	assert_int_equal(got, n);
}

static void
test_pair_and_half_close(void **state)
{
	struct tctx *t = tctx_new(2000, 8, 5000);
	char b[64];
	int e, a;

	(void)state;
	e = dial(t, "192.0.2.1", 0);
	a = dial(t, "198.51.100.2", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	/* The engineer's first ciphertext may follow its preamble at once. */
	send_all(e, "hello", 5);
	run_ms(t, 20);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 0);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	recv_n(t, a, b, 5);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 1);
	assert_int_equal(relay_conn_count(t->r), 2);
	send_all(a, "world!", 6);
	recv_n(t, e, b, 6);
	assert_memory_equal(b, "world!", 6);

	/* Half-close from the engineer: the AP sees EOF, can still answer. */
	assert_int_equal(shutdown(e, SHUT_WR), 0);
	run_ms(t, 20);
	assert_true(peer_closed(a));
	assert_int_equal(t->n[RELAY_EV_CLOSED], 0);
	send_all(a, "late", 4);
	recv_n(t, e, b, 4);
	assert_memory_equal(b, "late", 4);
	assert_int_equal(shutdown(a, SHUT_WR), 0);
	run_ms(t, 20);
	assert_true(peer_closed(e));
	assert_int_equal(t->n[RELAY_EV_CLOSED], 1);
	assert_int_equal(t->up, 5);
	assert_int_equal(t->down, 10);
	assert_int_equal(relay_conn_count(t->r), 0);
	assert_int_equal(relay_stream_count(t->r), 0);
	close(e);
	close(a);
	tctx_free(t);
}

/* The admit hook's verdicts, in turn: "" admits. */
static const char *admit_answer;
static int admit_calls;

static const char *
admit_hook(const uint8_t *id, void *arg)
{
	struct tctx *t = arg;

	assert_memory_equal(id, t->id, RELAY_STREAM_ID_LEN);
	admit_calls++;
	return admit_answer[0] == '\0' ? NULL : admit_answer;
}

/*
 * R33 (log first, then act): the owner is asked before a connection joins
 * its stream, and one it refuses (the hub: its audit record of the stream
 * is not on disk) never pairs and leaves the token unused for a retry.
 */
static void
test_admit_hook(void **state)
{
	struct relay_conf conf;
	struct tctx *t;
	char b[8];
	int e, a;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.unpaired_timeout_ms = 2000;
	conf.per_source_max = 8;
	conf.unpaired_max = 1000;
	conf.conns_max = 1000;
	conf.admit = admit_hook;
	t = tctx_new_conf(&conf, 5000);
	admit_calls = 0;
	admit_answer = "";
	a = dial(t, "198.51.100.2", 0);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	run_ms(t, 20);
	assert_int_equal(admit_calls, 1);
	assert_int_equal(t->n[RELAY_EV_REFUSED], 0);
	admit_answer = "the hub cannot write its audit log";
	e = dial(t, "192.0.2.1", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	send_all(e, "hello", 5);
	run_ms(t, 20);
	assert_int_equal(admit_calls, 2);
	assert_true(peer_closed(e));
	assert_int_equal(t->n[RELAY_EV_REFUSED], 1);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 0);
	assert_string_equal(t->reason, "the hub cannot write its audit log");
	assert_int_equal(recv(a, b, sizeof(b), MSG_DONTWAIT), -1);
	close(e);
	/* Admitted now: the same token still pairs. */
	admit_answer = "";
	e = dial(t, "192.0.2.1", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	send_all(e, "hello", 5);
	recv_n(t, a, b, 5);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(admit_calls, 3);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 1);
	close(e);
	close(a);
	tctx_free(t);
}

static void
test_refusals(void **state)
{
	struct tctx *t = tctx_new(2000, 8, 5000);
	uint8_t bad[RELAY_TOKEN_LEN], other[RELAY_STREAM_ID_LEN];
	int c, e, a;

	(void)state;
	/* Garbage is refused as soon as the magic is wrong. */
	c = dial(t, "192.0.2.9", 0);
	send_all(c, "GET / HTTP/1.0\r\n\r\n", 18);
	run_ms(t, 20);
	assert_true(peer_closed(c));
	assert_int_equal(t->n[RELAY_EV_REFUSED], 1);
	assert_string_equal(t->reason, "not a relay preamble");
	close(c);

	/* A guessed token. */
	memcpy(bad, t->tok_e, sizeof(bad));
	bad[31] ^= 1;
	c = dial(t, "192.0.2.9", 0);
	present(c, RELAY_SIDE_ENGINEER, t->id, bad);
	run_ms(t, 20);
	assert_true(peer_closed(c));
	assert_string_equal(t->reason, "wrong pairing token");
	close(c);
	/* The engineer's token on the AP side is wrong too. */
	c = dial(t, "192.0.2.9", 0);
	present(c, RELAY_SIDE_AP, t->id, t->tok_e);
	run_ms(t, 20);
	assert_string_equal(t->reason, "wrong pairing token");
	close(c);
	/* An unknown stream. */
	memset(other, 0x22, sizeof(other));
	c = dial(t, "192.0.2.9", 0);
	present(c, RELAY_SIDE_AP, other, t->tok_a);
	run_ms(t, 20);
	assert_string_equal(t->reason, "unknown stream");
	close(c);
	assert_int_equal(t->n[RELAY_EV_REFUSED], 4);

	/* A reused token: after pairing, the same token again. */
	e = dial(t, "192.0.2.1", 0);
	a = dial(t, "192.0.2.2", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	run_ms(t, 20);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 1);
	c = dial(t, "192.0.2.9", 0);
	present(c, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	run_ms(t, 20);
	assert_true(peer_closed(c));
	assert_string_equal(t->reason, "pairing token already used");
	close(c);

	/* Cancel (kill switch): both sides closed, stats reported. */
	send_all(e, "abc", 3);
	run_ms(t, 20);
	assert_int_equal(relay_stream_cancel(t->r, t->id, "killed"), 0);
	assert_int_equal(t->n[RELAY_EV_CLOSED], 1);
	assert_string_equal(t->reason, "killed");
	assert_int_equal(t->up, 3);
	assert_true(peer_closed(e));
	assert_int_equal(relay_stream_cancel(t->r, t->id, "again"),
	    RSG_ERR_NOT_FOUND);
	assert_int_equal(relay_conn_count(t->r), 0);
	close(e);
	close(a);
	tctx_free(t);
}

static void
test_used_token_while_waiting(void **state)
{
	struct tctx *t = tctx_new(2000, 8, 5000);
	int e, c;

	(void)state;
	e = dial(t, "192.0.2.1", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	run_ms(t, 20);
	c = dial(t, "192.0.2.1", 0);
	present(c, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	run_ms(t, 20);
	assert_true(peer_closed(c));
	assert_string_equal(t->reason, "pairing token already used");
	close(c);
	close(e);
	tctx_free(t);
}

static void
test_timeouts_and_expiry(void **state)
{
	struct tctx *t = tctx_new(200, 8, 150);
	int idle, e, late;

	(void)state;
	/* Says nothing: dropped after the unpaired timeout. */
	idle = dial(t, "192.0.2.1", 0);
	/* Presents in time, but its partner never comes. */
	e = dial(t, "192.0.2.1", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	run_ms(t, 100);
	assert_int_equal(t->n[RELAY_EV_REFUSED], 0);
	run_ms(t, 200);
	assert_true(peer_closed(idle));
	assert_true(peer_closed(e));
	assert_int_equal(t->n[RELAY_EV_REFUSED], 2);
	assert_string_equal(t->reason,
	    "the other side of the stream did not arrive in time");
	/* The tokens expired (150 ms) with nothing paired: reported once. */
	assert_int_equal(t->n[RELAY_EV_UNUSED], 1);
	/* A late AP is told the token expired. */
	late = dial(t, "192.0.2.1", 0);
	present(late, RELAY_SIDE_AP, t->id, t->tok_a);
	run_ms(t, 20);
	assert_true(peer_closed(late));
	assert_string_equal(t->reason, "pairing token expired");
	assert_int_equal(t->n[RELAY_EV_UNUSED], 1);
	assert_int_equal(relay_conn_count(t->r), 0);
	close(idle);
	close(e);
	close(late);
	tctx_free(t);
}

/*
 * The hub renews a stream's tokens when the AP accepts it: a renewal
 * pushes expiry back; an expired stream cannot be renewed.
 */
static void
test_renew(void **state)
{
	struct tctx *t = tctx_new(1000, 8, 150);
	uint8_t other[RELAY_STREAM_ID_LEN];
	int e, a;
	char got[2];

	(void)state;
	run_ms(t, 100);
	assert_int_equal(relay_stream_renew(t->r, t->id, 400), 0);
	run_ms(t, 150);		/* 250 ms after add: past the first 150 */
	assert_int_equal(t->n[RELAY_EV_UNUSED], 0);
	e = dial(t, "192.0.2.1", 0);
	a = dial(t, "192.0.2.2", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	run_ms(t, 20);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 1);
	send_all(e, "hi", 2);
	recv_n(t, a, got, 2);
	assert_memory_equal(got, "hi", 2);
	memset(other, 0x22, sizeof(other));
	assert_int_equal(relay_stream_renew(t->r, other, 400),
	    RSG_ERR_NOT_FOUND);
	close(e);
	close(a);
	run_ms(t, 20);
	tctx_free(t);
	/* Expired first: no renewal. */
	t = tctx_new(1000, 8, 50);
	run_ms(t, 100);
	assert_int_equal(relay_stream_renew(t->r, t->id, 400),
	    RSG_ERR_NOT_FOUND);
	tctx_free(t);
}

static void
test_per_source_cap(void **state)
{
	struct tctx *t = tctx_new(2000, 2, 5000);
	int c1, c2, c3, d;

	(void)state;
	c1 = dial(t, "192.0.2.7", 0);
	c2 = dial(t, "192.0.2.7", 0);
	c3 = dial(t, "192.0.2.7", RSG_ERR_LIMIT);
	assert_string_equal(t->reason,
	    "too many relay connections from this address");
	run_ms(t, 10);
	assert_true(peer_closed(c3));
	/* Another address is not affected; a freed slot can be used again. */
	d = dial(t, "192.0.2.8", 0);
	close(c1);
	run_ms(t, 20);
	close(c3);
	c3 = dial(t, "192.0.2.7", 0);
	assert_int_equal(relay_conn_count(t->r), 3);
	close(c2);
	close(c3);
	close(d);
	tctx_free(t);
}

/*
 * An AP's streams all come from its one address: once paired, its
 * connection leaves the per-address count, or an AP could carry no more
 * than per_source_max streams. An engineer's paired connection keeps
 * counting, so one engineer cannot fill the global caps.
 */
static void
test_per_source_cap_paired(void **state)
{
	struct tctx *t = tctx_new(2000, 2, 5000);
	char b[8];
	int e, a, a2, a3, e2;

	(void)state;
	e = dial(t, "192.0.2.7", 0);
	a = dial(t, "198.51.100.9", 0);
	a2 = dial(t, "198.51.100.9", 0);
	(void)dial(t, "198.51.100.9", RSG_ERR_LIMIT);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	send_all(e, "ping", 4);
	recv_n(t, a, b, 4);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 1);
	/* The AP's paired slot is free again... */
	a3 = dial(t, "198.51.100.9", 0);
	(void)dial(t, "198.51.100.9", RSG_ERR_LIMIT);
	/* ...the engineer's is not. */
	e2 = dial(t, "192.0.2.7", 0);
	(void)dial(t, "192.0.2.7", RSG_ERR_LIMIT);
	assert_int_equal(relay_conn_count(t->r), 5);
	/* Closing the stream gives back the engineer's slot only. */
	close(e);
	close(a);
	run_ms(t, 20);
	assert_int_equal(relay_conn_count(t->r), 3);
	close(dial(t, "192.0.2.7", 0));
	(void)dial(t, "198.51.100.9", RSG_ERR_LIMIT);
	close(a2);
	close(a3);
	close(e2);
	tctx_free(t);
}

static void
test_source_key(void **state)
{
	static const char *const v[][2] = {
		{ "192.0.2.7", "192.0.2.7" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::1", "2001:db8:1:2::/64" },
		{ "2001:db8:1:3::1", "2001:db8:1:3::/64" },
		{ "::1", "::/64" },
		{ "fe80::1:2:3:4", "fe80::/64" },
		{ "::ffff:192.0.2.9", "192.0.2.9" },
		{ "unknown", "unknown" },
		{ "", "" },
	};
	char out[RELAY_SOURCE_KEY_MAX], small[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		relay_source_key(v[i][0], out, sizeof(out));
		assert_string_equal(out, v[i][1]);
	}
	/* Cut to fit, always terminated. */
	relay_source_key("2001:db8:1:2::1", small, sizeof(small));
	assert_string_equal(small, "2001:db");
}

/* Two addresses of one /64 share its cap; the next /64 does not. */
static void
test_per_64_cap(void **state)
{
	struct tctx *t = tctx_new(2000, 2, 5000);
	int c1, c2, c3, d;

	(void)state;
	c1 = dial(t, "2001:db8:1:2::1", 0);
	c2 = dial(t, "2001:db8:1:2:ffff::9", 0);
	c3 = dial(t, "2001:db8:1:2::3", RSG_ERR_LIMIT);
	assert_string_equal(t->reason,
	    "too many relay connections from this /64");
	d = dial(t, "2001:db8:1:3::1", 0);
	assert_int_equal(relay_conn_count(t->r), 3);
	close(c1);
	close(c2);
	close(c3);
	close(d);
	tctx_free(t);
}

/* Many sources, each under its own cap, still meet the global caps. */
static void
test_global_caps(void **state)
{
	struct relay_conf conf;
	struct tctx *t;
	char src[32];
	int c[4], e, a, x, i;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.unpaired_timeout_ms = 2000;
	conf.per_source_max = 8;
	conf.unpaired_max = 3;
	conf.conns_max = 4;
	t = tctx_new_conf(&conf, 5000);
	for (i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "192.0.2.%d", 10 + i);
		c[i] = dial(t, src, 0);
	}
	c[3] = dial(t, "192.0.2.99", RSG_ERR_LIMIT);
	assert_string_equal(t->reason, "too many unpaired relay connections");
	assert_int_equal(relay_unpaired_count(t->r), 3);
	run_ms(t, 10);
	assert_true(peer_closed(c[3]));
	close(c[3]);
	/* Pairing frees unpaired slots but still counts towards the total. */
	close(c[0]);
	close(c[1]);
	run_ms(t, 20);
	assert_int_equal(relay_unpaired_count(t->r), 1);
	e = dial(t, "198.51.100.1", 0);
	a = dial(t, "198.51.100.2", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	run_ms(t, 20);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 1);
	assert_int_equal(relay_unpaired_count(t->r), 1);
	x = dial(t, "198.51.100.3", 0);
	assert_int_equal(relay_conn_count(t->r), 4);
	close(dial(t, "198.51.100.4", RSG_ERR_LIMIT));
	assert_string_equal(t->reason, "too many relay connections open");
	close(x);
	close(c[2]);
	close(e);
	close(a);
	tctx_free(t);
}

/* A paired stream that moves nothing is closed after idle_ms, not before. */
static void
test_idle(void **state)
{
	struct relay_conf conf;
	struct tctx *t;
	char b[8];
	int e, a, i;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.unpaired_timeout_ms = 2000;
	conf.per_source_max = 8;
	conf.unpaired_max = 8;
	conf.conns_max = 8;
	conf.idle_ms = 400;
	t = tctx_new_conf(&conf, 5000);
	e = dial(t, "192.0.2.1", 0);
	a = dial(t, "192.0.2.2", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	run_ms(t, 20);
	assert_int_equal(t->n[RELAY_EV_PAIRED], 1);
	/* Traffic every 200 ms keeps it open well past 400 ms. */
	for (i = 0; i < 5; i++) {
		send_all(e, "x", 1);
		recv_n(t, a, b, 1);
		run_ms(t, 200);
	}
	assert_int_equal(t->n[RELAY_EV_CLOSED], 0);
	run_ms(t, 700);
	assert_int_equal(t->n[RELAY_EV_CLOSED], 1);
	assert_non_null(strstr(t->reason, "idle"));
	assert_true(peer_closed(e));
	assert_true(peer_closed(a));
	assert_int_equal(relay_conn_count(t->r), 0);
	close(e);
	close(a);
	tctx_free(t);
}

/*
 * The AP stops reading. The relay must stop reading the engineer (so the
 * engineer's writes stall at a bound set by socket buffers and one pipe),
 * and every byte must arrive in order once the AP reads again.
 */
static void
test_slow_reader(void **state)
{
	struct tctx *t = tctx_new(2000, 8, 5000);
	const size_t total = 8u * 1024 * 1024;
	size_t sent = 0, got = 0, stalled_at, i;
	uint8_t *chunk, *in;
	ssize_t k;
	int e, a, idle_rounds = 0, rounds;

	(void)state;
	assert_non_null(chunk = malloc(65536));
	assert_non_null(in = malloc(65536));
	e = dial(t, "192.0.2.1", 0);
	a = dial(t, "192.0.2.2", 0);
	present(e, RELAY_SIDE_ENGINEER, t->id, t->tok_e);
	present(a, RELAY_SIDE_AP, t->id, t->tok_a);
	run_ms(t, 10);
	assert_int_equal(fcntl(e, F_SETFL, O_NONBLOCK), 0);
	for (rounds = 0; rounds < 2000 && idle_rounds < 50; rounds++) {
		for (i = 0; i < 65536; i++)
			chunk[i] = (uint8_t)((sent + i) % 251);
		k = send(e, chunk, 65536, MSG_NOSIGNAL);
		if (k > 0) {
			sent += (size_t)k;
			idle_rounds = 0;
		} else
			idle_rounds++;
		event_base_loop(t->base, EVLOOP_NONBLOCK);
		if (idle_rounds > 0)
			usleep(1000);
	}
	stalled_at = sent;
	/* Stalled, and at a small bound: nothing buffers without limit. */
	assert_true(idle_rounds >= 50);
	assert_true(stalled_at < 4u * 1024 * 1024);
	assert_true(stalled_at > 0);

	/* Now the AP reads; the engineer keeps writing to the total. */
	for (rounds = 0; got < total && rounds < 200000; rounds++) {
		if (sent < total) {
			size_t want = total - sent < 65536 ? total - sent :
			    65536;
			for (i = 0; i < want; i++)
				chunk[i] = (uint8_t)((sent + i) % 251);
			k = send(e, chunk, want, MSG_NOSIGNAL);
			if (k > 0)
				sent += (size_t)k;
		}
		event_base_loop(t->base, EVLOOP_NONBLOCK);
		k = recv(a, in, 65536, MSG_DONTWAIT);
		if (k > 0) {
			for (i = 0; i < (size_t)k; i++)
				if (in[i] != (uint8_t)((got + i) % 251))
					fail_msg("byte %zu differs", got + i);
			got += (size_t)k;
		}
	}
	assert_int_equal(got, total);
	close(e);
	run_ms(t, 20);
	assert_true(peer_closed(a));
	close(a);
	run_ms(t, 20);
	assert_int_equal(t->n[RELAY_EV_CLOSED], 1);
	assert_int_equal(t->up, total);
	free(chunk);
	free(in);
	tctx_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_and_half_close),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_admit_hook),
		cmocka_unit_test(test_used_token_while_waiting),
		cmocka_unit_test(test_timeouts_and_expiry),
		cmocka_unit_test(test_renew),
		cmocka_unit_test(test_per_source_cap),
		cmocka_unit_test(test_per_source_cap_paired),
		cmocka_unit_test(test_source_key),
		cmocka_unit_test(test_per_64_cap),
		cmocka_unit_test(test_global_caps),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_slow_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
