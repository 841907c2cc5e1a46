/*
 * dial.c: non-blocking outgoing TCP connections (include/rsgate/dial.h).
 * evdns_getaddrinfo may answer at once, from inside the call (an address
 * literal, a cached name); the result is then handed on from a zero
 * timer, so that callers never see their callback run inside
 * net_dial_start and can hold the handle before anything happens.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "rsgate/dial.h"

struct net_dial {
	struct event_base *base;
	struct evdns_getaddrinfo_request *req;	/* while resolving */
	struct evutil_addrinfo *res, *next;	/* addresses, next to try */
	struct event *ev_timer;		/* the deadline, or the handing on */
	struct event *ev_conn;		/* the connect in progress */
	int fd;
	int resolved;			/* lookup finished (res or gai_err) */
	int gai_err;
	int starting;			/* inside net_dial_start */
	int64_t deadline_ms;
	char host[256];
	uint16_t port;
	net_dial_fn fn;
	void *arg;
	char err[300];
};

static void
dial_free(struct net_dial *d)
{
	if (d->ev_timer != NULL)
		event_free(d->ev_timer);
	if (d->ev_conn != NULL)
		event_free(d->ev_conn);
	if (d->fd >= 0)
		close(d->fd);
	if (d->res != NULL)
		evutil_freeaddrinfo(d->res);
	free(d);
}

/* Report and free: fd to the caller, or -1 with d->err. */
static void
dial_done(struct net_dial *d, int fd)
{
	net_dial_fn fn = d->fn;
	void *arg = d->arg;
	char err[sizeof(d->err)];

	memcpy(err, d->err, sizeof(err));
	if (fd >= 0)
		d->fd = -1;
	dial_free(d);
	fn(fd, fd >= 0 ? NULL : err, arg);
}

static void dial_next(struct net_dial *);

static void
conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_dial *d = arg;
	socklen_t sl = sizeof(int);
	int soerr = 0;

	if (what & EV_TIMEOUT) {
		snprintf(d->err, sizeof(d->err), "%s port %u: timed out",
		    d->host, (unsigned)d->port);
		dial_done(d, -1);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		soerr = errno;
	if (soerr == 0) {
		event_free(d->ev_conn);
		d->ev_conn = NULL;
		dial_done(d, d->fd);
		return;
	}
	snprintf(d->err, sizeof(d->err), "%s port %u: %s", d->host,
	    (unsigned)d->port, strerror(soerr));
	close(d->fd);
	d->fd = -1;
	event_free(d->ev_conn);
	d->ev_conn = NULL;
	dial_next(d);
}

/* Try the next address; report the last error when there is none. */
static void
dial_next(struct net_dial *d)
{
	struct evutil_addrinfo *ai;
	struct timeval tv;
	int64_t left;

	while ((ai = d->next) != NULL) {
		d->next = ai->ai_next;
		if ((d->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) < 0) {
			snprintf(d->err, sizeof(d->err), "%s: %s", d->host,
			    strerror(errno));
			continue;
		}
		if (connect(d->fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
		    errno != EINPROGRESS) {
			snprintf(d->err, sizeof(d->err), "%s port %u: %s",
			    d->host, (unsigned)d->port, strerror(errno));
			close(d->fd);
			d->fd = -1;
			continue;
		}
		left = d->deadline_ms - time_mono_ms();
		if (left < 1)
			left = 1;
		tv.tv_sec = (time_t)(left / 1000);
		tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
		if ((d->ev_conn = event_new(d->base, d->fd, EV_WRITE, conn_cb,
		    d)) == NULL || event_add(d->ev_conn, &tv) != 0) {
			snprintf(d->err, sizeof(d->err), "out of memory");
			break;
		}
		return;
	}
	if (d->err[0] == '\0')
		snprintf(d->err, sizeof(d->err), "%s: no address", d->host);
	dial_done(d, -1);
}

/* The lookup's result, on the loop (never inside net_dial_start). */
static void
dial_resolved(struct net_dial *d)
{
	if (d->gai_err != 0) {
		snprintf(d->err, sizeof(d->err), "cannot resolve %s: %s",
		    d->host, evutil_gai_strerror(d->gai_err));
		dial_done(d, -1);
		return;
	}
	d->next = d->res;
	dial_next(d);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_dial *d = arg;

	(void)fd;
	(void)what;
	if (d->resolved) {
		dial_resolved(d);
		return;
	}
	/* The deadline passed while resolving. */
	evdns_getaddrinfo_cancel(d->req);	/* our callback ignores CANCEL */
	d->req = NULL;
	snprintf(d->err, sizeof(d->err), "cannot resolve %s: timed out",
	    d->host);
	dial_done(d, -1);
}

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct net_dial *d = arg;
	struct timeval zero = { 0, 0 };

	if (result == EVUTIL_EAI_CANCEL) {
		/* d may be gone already: cancelled dials free themselves. */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	d->req = NULL;
	d->resolved = 1;
	d->gai_err = result;
	d->res = res;
	if (d->starting) {
		/* Hand on from the loop: re-arm the deadline timer at zero. */
		evtimer_add(d->ev_timer, &zero);
		return;
	}
	event_del(d->ev_timer);
	dial_resolved(d);
}

int
net_dial_start(struct event_base *base, struct evdns_base *dns,
    const char *host, uint16_t port, unsigned timeout_s, net_dial_fn fn,
    void *arg, struct net_dial **out)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct net_dial *d;
	struct timeval tv = { (time_t)timeout_s, 0 };
	char ps[8];

	if (base == NULL || dns == NULL || host == NULL || fn == NULL ||
	    port == 0)
		return RSG_ERR_INVALID_ARG;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return RSG_ERR_NOMEM;
	d->base = base;
	d->fd = -1;
	d->port = port;
	d->fn = fn;
	d->arg = arg;
	d->deadline_ms = time_mono_ms() + (int64_t)timeout_s * 1000;
	if (str_copy(d->host, sizeof(d->host), host) != 0) {
		free(d);
		return RSG_ERR_INVALID_ARG;
	}
	if ((d->ev_timer = evtimer_new(base, timer_cb, d)) == NULL ||
	    evtimer_add(d->ev_timer, &tv) != 0) {
		dial_free(d);
		return RSG_ERR_NOMEM;
	}
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	d->starting = 1;
	req = evdns_getaddrinfo(dns, d->host, ps, &hints, dns_cb, d);
	d->starting = 0;
	/* Answered already (a literal): there is nothing left to cancel. */
	if (!d->resolved)
		d->req = req;
	*out = d;
	return 0;
}

void
net_dial_cancel(struct net_dial *d)
{
	if (d == NULL)
		return;
	if (d->req != NULL)
		evdns_getaddrinfo_cancel(d->req);	/* callback: CANCEL */
	dial_free(d);
}
