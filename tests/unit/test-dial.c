/*
 * test-dial.c: non-blocking outgoing connections (lib/net/dial.c), the
 * path `rsgate connect` and the AP take to the relay so that set-up never
 * blocks their event loop (issue 3): an address literal connects, a
 * closed port and an unroutable deadline fail with a reason, the callback
 * never runs inside net_dial_start, a cancelled dial never calls back,
 * and a failed allocation in the start is a clean RSG_ERR_NOMEM.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "rsgate/dial.h"
#include "testutil.h"

struct result {
	int calls;
	int fd;
	char err[300];
};

static void
on_dial(int fd, const char *err, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->fd = fd;
	snprintf(r->err, sizeof(r->err), "%s", err != NULL ? err : "");
}

static void
run_until(struct event_base *base, struct result *r, int ms)
{
	int i;

	for (i = 0; i < ms / 10 && r->calls == 0; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static int
listener(uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
test_dial(void **state)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct net_dial *d = NULL, *d2 = NULL;
	struct result r, r2;
	uint16_t port;
	int lfd, c;

	(void)state;
	assert_non_null(base = event_base_new());
	/* No name servers: literals need none. */
	assert_non_null(dns = evdns_base_new(base, 0));
	lfd = listener(&port);

	memset(&r, 0, sizeof(r));
	assert_int_equal(net_dial_start(base, dns, "127.0.0.1", port, 5,
	    on_dial, &r, &d), 0);
	assert_int_equal(r.calls, 0);	/* never from inside the start */
	run_until(base, &r, 2000);
	assert_int_equal(r.calls, 1);
	assert_true(r.fd >= 0);
	assert_true((c = accept(lfd, NULL, NULL)) >= 0);
	assert_int_equal(send(r.fd, "x", 1, 0), 1);
	close(c);
	close(r.fd);

	/* A closed port: refused, with a reason naming it. */
	close(lfd);
	memset(&r, 0, sizeof(r));
	assert_int_equal(net_dial_start(base, dns, "127.0.0.1", port, 5,
	    on_dial, &r, &d), 0);
	run_until(base, &r, 2000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fd, -1);
	assert_non_null(strstr(r.err, "refused"));

	/* A name with no name server: fails within the deadline. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(net_dial_start(base, dns, "relay.invalid", 1, 1,
	    on_dial, &r, &d), 0);
	run_until(base, &r, 3000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fd, -1);
	assert_non_null(strstr(r.err, "relay.invalid"));

	/* Cancelled before its callback: none comes, nothing leaks. */
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(net_dial_start(base, dns, "relay.invalid", 1, 5,
	    on_dial, &r, &d), 0);
	assert_int_equal(net_dial_start(base, dns, "192.0.2.1", 9, 5,
	    on_dial, &r2, &d2), 0);
	/* d2 is resolved, its result not yet handed on; d still resolving. */
	net_dial_cancel(d2);
	run_until(base, &r, 50);
	net_dial_cancel(d);
	net_dial_cancel(NULL);
	run_until(base, &r, 200);
	assert_int_equal(r.calls, 0);
	assert_int_equal(r2.calls, 0);

	assert_int_equal(net_dial_start(base, dns, "127.0.0.1", 0, 5,
	    on_dial, &r, &d), RSG_ERR_INVALID_ARG);
	evdns_base_free(dns, 0);
	event_base_free(base);
}

/* Each allocation of the start may fail: NOMEM, no callback, no leak. */
static void
test_dial_allocfail(void **state)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct net_dial *d;
	struct result r;
	unsigned long n;
	int e;

	(void)state;
	assert_non_null(base = event_base_new());
	assert_non_null(dns = evdns_base_new(base, 0));
	failalloc_install();
	for (n = 1; n < 50; n++) {
		memset(&r, 0, sizeof(r));
		d = NULL;
		failalloc_arm(n);
		e = net_dial_start(base, dns, "192.0.2.1", 9, 5, on_dial, &r,
		    &d);
		failalloc_disarm();
		if (e == 0)
			net_dial_cancel(d);
		else
			assert_int_equal(e, RSG_ERR_NOMEM);
		if (!failalloc_fired())
			break;
	}
	assert_true(n < 50);
	run_until(base, &r, 50);
	assert_int_equal(r.calls, 0);
	evdns_base_free(dns, 0);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dial),
		cmocka_unit_test(test_dial_allocfail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
