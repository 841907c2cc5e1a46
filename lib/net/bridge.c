/*
 * bridge.c: the byte pump of a tunnel's two ends (after libevent's
 * le-proxy sample), with the bounded buffering and half-close rules of
 * include/rsgate/bridge.h. One small struct per stream; the buffers are
 * libevent's, empty while the stream is idle.
 */
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "rsgate/bridge.h"
#include "rsgate/tls.h"

struct bridge_end {
	struct bufferevent *bev;
	int tls;
	int eof;		/* this end sent its last byte */
	int shut;		/* we half-closed this end's write side */
	uint64_t bytes_in;	/* read from this end */
};

struct bridge {
	struct bridge_end e[2];
	bridge_done_fn done;
	void *arg;
	int finished;
};

static void bridge_check(struct bridge *br);

static int
end_index(const struct bridge *br, const struct bufferevent *bev)
{
	return br->e[0].bev == bev ? 0 : 1;
}

static void
finish(struct bridge *br, int clean, const char *reason)
{
	if (br->finished)
		return;
	br->finished = 1;
	bufferevent_disable(br->e[0].bev, EV_READ | EV_WRITE);
	bufferevent_disable(br->e[1].bev, EV_READ | EV_WRITE);
	br->done(br, clean, reason, br->arg);
}

/* Move what end i has read to the other end's output. */
static int
move_input(struct bridge *br, int i)
{
	struct bridge_end *src = &br->e[i], *dst = &br->e[!i];
	struct evbuffer *in = bufferevent_get_input(src->bev);
	struct evbuffer *out = bufferevent_get_output(dst->bev);
	size_t n = evbuffer_get_length(in);

	if (n == 0)
		return 0;
	if (evbuffer_add_buffer(out, in) != 0)
		return RSG_ERR_NOMEM;
	src->bytes_in += n;
	if (evbuffer_get_length(out) >= BRIDGE_HIGH) {
		/* The other end is slow: stop reading until it drains. */
		bufferevent_disable(src->bev, EV_READ);
		bufferevent_setwatermark(dst->bev, EV_WRITE, BRIDGE_LOW, 0);
	}
	return 0;
}

/* move_input from a callback: a failure ends the bridge (done() runs). */
static void
pump(struct bridge *br, int i)
{
	if (move_input(br, i) != 0)
		finish(br, 0, "out of memory");
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct bridge *br = arg;

	pump(br, end_index(br, bev));
}

/* Half-close the write side of end i once its output is empty. */
static int
half_close(struct bridge *br, int i)
{
	struct bridge_end *d = &br->e[i];
	SSL *ssl;
	int r;

	if (d->shut || evbuffer_get_length(bufferevent_get_output(d->bev)) != 0)
		return 0;
	d->shut = 1;
	if (d->tls) {
		if ((ssl = bufferevent_openssl_get_ssl(d->bev)) == NULL)
			return -1;
		/* 0: close_notify sent, the peer's may follow; 1: both. */
		r = SSL_shutdown(ssl);
		ERR_clear_error();
		return r < 0 ? -1 : 0;
	}
	return shutdown(bufferevent_getfd(d->bev), SHUT_WR) == 0 ? 0 : -1;
}

static void
bridge_check(struct bridge *br)
{
	int i;

	for (i = 0; i < 2; i++) {
		/* End i has ended: half-close the other once it is flushed. */
		if (br->e[i].eof && half_close(br, !i) != 0) {
			finish(br, 0, "cannot half-close");
			return;
		}
	}
	if (br->e[0].eof && br->e[1].eof && br->e[0].shut && br->e[1].shut)
		finish(br, 1, "closed");
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct bridge *br = arg;
	int i = end_index(br, bev);

	/* Below the low mark again: resume reading the other end. */
	if (!br->e[!i].eof) {
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_enable(br->e[!i].bev, EV_READ);
	}
	bridge_check(br);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bridge *br = arg;
	int i = end_index(br, bev);
	char reason[160], tlswhy[128];
	unsigned long e;

	if (what & BEV_EVENT_EOF) {
		pump(br, i);
		/* pump() may have finished the bridge: done() may free it. */
		if (br->finished)
			return;
		br->e[i].eof = 1;
		bufferevent_disable(bev, EV_READ);
		/* The other end's write side stays on to flush. */
		bridge_check(br);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		if (br->e[i].tls) {
			e = bufferevent_get_openssl_error(bev);
			if (e != 0) {
				ERR_error_string_n(e, tlswhy, sizeof(tlswhy));
				snprintf(reason, sizeof(reason), "%s side: "
				    "TLS error: %s", i == 0 ? "first" :
				    "second", tlswhy);
			} else
				snprintf(reason, sizeof(reason), "%s side "
				    "reset or closed without close_notify",
				    i == 0 ? "first" : "second");
		} else
			snprintf(reason, sizeof(reason), "%s side reset",
			    i == 0 ? "first" : "second");
		finish(br, 0, reason);
	}
}

int
bridge_new(struct bufferevent *a, int a_tls, struct bufferevent *b,
    int b_tls, bridge_done_fn done, void *arg, struct bridge **out)
{
	struct bridge *br;
	int i;

	if ((br = calloc(1, sizeof(*br))) == NULL)
		return RSG_ERR_NOMEM;
	br->e[0].bev = a;
	br->e[0].tls = a_tls;
	br->e[1].bev = b;
	br->e[1].tls = b_tls;
	br->done = done;
	br->arg = arg;
	for (i = 0; i < 2; i++) {
		net_nodelay(bufferevent_getfd(br->e[i].bev));
		/*
		 * Larger single reads and writes than libevent's 16 KiB
		 * default: fewer trips through the loop per megabyte.
		 */
		bufferevent_set_max_single_read(br->e[i].bev, BRIDGE_HIGH);
		bufferevent_set_max_single_write(br->e[i].bev, BRIDGE_HIGH);
		bufferevent_setcb(br->e[i].bev, read_cb, write_cb, event_cb,
		    br);
		bufferevent_setwatermark(br->e[i].bev, EV_READ, 0,
		    BRIDGE_HIGH);
		bufferevent_setwatermark(br->e[i].bev, EV_WRITE, 0, 0);
	}
	/*
	 * Bytes that arrived before the bridge existed. A failure here is
	 * returned, not reported through done(): the caller still owns
	 * everything and must not see a half-made bridge.
	 */
	for (i = 0; i < 2; i++) {
		if (move_input(br, i) != 0) {
			bufferevent_setcb(a, NULL, NULL, NULL, NULL);
			bufferevent_setcb(b, NULL, NULL, NULL, NULL);
			free(br);
			return RSG_ERR_NOMEM;
		}
	}
	*out = br;
	for (i = 0; i < 2; i++)
		bufferevent_enable(br->e[i].bev, EV_READ | EV_WRITE);
	return 0;
}

void
bridge_counts(const struct bridge *br, uint64_t *a_to_b, uint64_t *b_to_a)
{
	*a_to_b = br->e[0].bytes_in;
	*b_to_a = br->e[1].bytes_in;
}

void
bridge_free(struct bridge *br)
{
	if (br == NULL)
		return;
	bufferevent_free(br->e[0].bev);
	bufferevent_free(br->e[1].bev);
	free(br);
}

struct event_base *
bridge_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}
