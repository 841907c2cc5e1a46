/*
 * bridge.c: the byte pump of a tunnel's two ends, with the bounded
 * buffering and half-close rules of include/rsgate/bridge.h.
 *
 * The bufferevents the caller hands over did the connect and the TLS
 * handshake; the data path then bypasses them (they stay, disabled, only
 * to own and finally close the socket and the SSL). Each end gets two plain
 * events on its socket and the bridge calls recv/send and SSL_read/SSL_write
 * itself, because on the few shared cores of a small gateway what costs is
 * not the cipher but the system calls and the wake-ups of the processes
 * along the chain (one per 16 KiB TLS record with libevent's TLS
 * bufferevents):
 *
 *  - a TLS end reads with OpenSSL's read-ahead into a large buffer, so one
 *    recv fetches many records;
 *  - a TLS end's records are written into a memory BIO (bio_out below) and
 *    go out with one send of up to about 128 KiB, not one per record;
 *  - a short recv or send means the kernel buffer is empty or full, so the
 *    bridge waits for the event instead of asking again.
 *
 * The out BIO never refuses bytes, so SSL_write, SSL_read (a TLS 1.3 key
 * update answer) and SSL_shutdown never return WANT_WRITE: a close_notify is
 * queued like data and flushed when the socket is writable, whatever the
 * state of its send buffer. Memory stays bounded: an end is read only while
 * its direction's buffer has room, and a TLS end's records are made only
 * while its out buffer is below BRIDGE_TLS_OUT. Buffers are freed when
 * empty, so an idle stream holds none.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "rsgate/bridge.h"
#include "rsgate/tls.h"

/* OpenSSL's read buffer for a TLS end (with read-ahead): many records. */
#define BRIDGE_TLS_READ (128u * 1024)
/* Plaintext given to one SSL_write: several records, one BIO append. */
#define BRIDGE_TLS_CHUNK (64u * 1024)
/*
 * Records are made while fewer bytes than this wait to be sent (256 KiB
 * measured no better: the kernel's per-byte work dominates by then).
 */
#define BRIDGE_TLS_OUT (64u * 1024)

/* Ciphertext waiting for a TLS end's socket; owned by the BIO. */
struct bio_out {
	int fd;
	char *p;
	size_t off, len, cap;
};

/* Bytes read from one end, waiting to be written to the other. */
struct bridge_buf {
	char *p;
	size_t off, len;
};

struct bridge_end {
	struct bridge *br;
	struct bufferevent *bev;
	int tls;
	int fd;
	SSL *ssl;		/* TLS end: the bufferevent's */
	struct bio_out *out;	/* TLS end: its write BIO's buffer */
	struct event *rd, *wr;
	int rd_on, wr_on;	/* the events are added */
	int rd_wait, wr_wait;	/* the socket is drained / full */
	int eof;		/* this end sent its last byte */
	int shut;		/* 1: we half-closed it, 2: and flushed */
	uint64_t bytes_in;	/* read from this end */
};

struct bridge {
	struct bridge_end e[2];
	struct bridge_buf b[2];	/* b[i]: read from e[i], for e[!i] */
	struct event *kick;	/* the first run, from the loop */
	bridge_done_fn done;
	void *arg;
	int finished;
	int running;
	char reason[200];
};

static BIO_METHOD *bio_out_method;

static int
bio_out_write(BIO *bio, const char *data, int dlen)
{
	struct bio_out *o = BIO_get_data(bio);
	size_t n = (size_t)dlen, cap;
	char *p;

	BIO_clear_retry_flags(bio);
	if (dlen <= 0)
		return 0;
	if (o->len == 0)
		o->off = 0;
	if (o->cap - o->off - o->len < n) {
		if (o->off > 0) {
			memmove(o->p, o->p + o->off, o->len);
			o->off = 0;
		}
		if (o->cap - o->len < n) {
			cap = o->len + n;
			if (cap < BRIDGE_TLS_OUT + 2 * BRIDGE_TLS_CHUNK)
				cap = BRIDGE_TLS_OUT + 2 * BRIDGE_TLS_CHUNK;
			if ((p = realloc(o->p, cap)) == NULL)
				return -1;
			o->p = p;
			o->cap = cap;
		}
	}
	memcpy(o->p + o->off + o->len, data, n);
	o->len += n;
	return dlen;
}

static long
bio_out_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	struct bio_out *o = BIO_get_data(bio);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
		return 0;
	case BIO_C_GET_FD:
		/* libevent's TLS bufferevent closes this fd when freed. */
		if (ptr != NULL)
			*(int *)ptr = o->fd;
		return o->fd;
	default:
		return 0;
	}
}

static int
bio_out_destroy(BIO *bio)
{
	struct bio_out *o = BIO_get_data(bio);

	if (o != NULL) {
		free(o->p);
		free(o);
	}
	BIO_set_data(bio, NULL);
	return 1;
}

/* The write BIO of a TLS end: appends records to a buffer. */
static BIO *
bio_out_new(int fd, struct bio_out **outp)
{
	struct bio_out *o;
	BIO *bio;

	if (bio_out_method == NULL) {
		/* Single-threaded programs: no once-guard needed. */
		bio_out_method = BIO_meth_new(BIO_get_new_index() |
		    BIO_TYPE_SOURCE_SINK, "rsgate bridge out");
		if (bio_out_method == NULL ||
		    !BIO_meth_set_write(bio_out_method, bio_out_write) ||
		    !BIO_meth_set_ctrl(bio_out_method, bio_out_ctrl) ||
		    !BIO_meth_set_destroy(bio_out_method, bio_out_destroy)) {
			BIO_meth_free(bio_out_method);
			bio_out_method = NULL;
			return NULL;
		}
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	if ((bio = BIO_new(bio_out_method)) == NULL) {
		free(o);
		return NULL;
	}
	o->fd = fd;
	BIO_set_data(bio, o);
	BIO_set_init(bio, 1);
	*outp = o;
	return bio;
}

static const char *
side_name(int i)
{
	return i == 0 ? "first" : "second";
}

/* End the bridge with an error on end i: "first side" + what. */
static void
fail(struct bridge *br, int i, const char *what)
{
	if (br->finished)
		return;
	br->finished = -1;
	snprintf(br->reason, sizeof(br->reason), "%s side%s", side_name(i),
	    what);
}

/* Why SSL_read/SSL_write/SSL_shutdown on end i failed. */
static void
fail_tls(struct bridge *br, int i, int sslerr)
{
	unsigned long e = ERR_peek_last_error();
	char why[128], what[150];

	if (sslerr == SSL_ERROR_SYSCALL || e == 0 ||
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		fail(br, i, " reset or closed without close_notify");
	else {
		ERR_error_string_n(e, why, sizeof(why));
		snprintf(what, sizeof(what), ": TLS error: %s", why);
		fail(br, i, what);
	}
	ERR_clear_error();
}

static int
bbuf_alloc(struct bridge_buf *b)
{
	if (b->p == NULL && (b->p = malloc(BRIDGE_HIGH)) == NULL)
		return -1;
	return 0;
}

/* Room at the end of b, moving what is left to the front if that helps. */
static size_t
bbuf_room(struct bridge_buf *b)
{
	if (b->len == 0)
		b->off = 0;
	else if (b->off > 0 && BRIDGE_HIGH - b->off - b->len < BRIDGE_LOW) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	return BRIDGE_HIGH - b->off - b->len;
}

/* Read from end i into b[i]. Returns 1 if bytes came or the end ended. */
static int
end_read(struct bridge *br, int i)
{
	struct bridge_end *s = &br->e[i];
	struct bridge_buf *b = &br->b[i];
	size_t room;
	ssize_t n;
	int r, progress = 0;

	while (!br->finished && !s->eof && !s->rd_wait) {
		if (bbuf_alloc(b) != 0) {
			fail(br, i, ": out of memory");
			break;
		}
		if ((room = bbuf_room(b)) == 0)
			break;
		if (s->tls) {
			ERR_clear_error();
			r = SSL_read(s->ssl, b->p + b->off + b->len,
			    room > INT_MAX ? INT_MAX : (int)room);
			if (r > 0) {
				b->len += (size_t)r;
				s->bytes_in += (uint64_t)r;
				progress = 1;
				continue;
			}
			switch ((r = SSL_get_error(s->ssl, r))) {
			case SSL_ERROR_WANT_READ:
			case SSL_ERROR_WANT_WRITE:	/* not with bio_out */
				s->rd_wait = 1;
				break;
			case SSL_ERROR_ZERO_RETURN:
				s->eof = 1;
				progress = 1;
				break;
			default:
				fail_tls(br, i, r);
				break;
			}
			break;
		}
		n = recv(s->fd, b->p + b->off + b->len, room, 0);
		if (n > 0) {
			b->len += (size_t)n;
			s->bytes_in += (uint64_t)n;
			progress = 1;
			/* Short: the socket is empty for now. */
			if ((size_t)n < room)
				s->rd_wait = 1;
		} else if (n == 0) {
			s->eof = 1;
			progress = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK)
			s->rd_wait = 1;
		else if (errno != EINTR)
			fail(br, i, " reset");
	}
	return progress;
}

/*
 * Send p[*off .. *off + *len) to end i until it is sent or the socket is
 * full (a short send: wait for the event). Returns 1 on progress.
 */
static int
send_buf(struct bridge *br, int i, const char *p, size_t *off, size_t *len)
{
	struct bridge_end *d = &br->e[i];
	ssize_t n;
	int progress = 0;

	while (!br->finished && *len > 0 && !d->wr_wait) {
		n = send(d->fd, p + *off, *len, MSG_NOSIGNAL);
		if (n > 0) {
			if ((size_t)n < *len)
				d->wr_wait = 1;
			*off += (size_t)n;
			*len -= (size_t)n;
			progress = 1;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			d->wr_wait = 1;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			fail(br, i, " reset");
	}
	return progress;
}

/* Send a TLS end's queued records. */
static int
end_flush(struct bridge *br, int i)
{
	struct bio_out *o = br->e[i].out;
	int progress;

	progress = send_buf(br, i, o->p, &o->off, &o->len);
	if (o->len == 0 && o->p != NULL) {
		/* Idle streams keep no buffers. */
		free(o->p);
		o->p = NULL;
		o->off = o->cap = 0;
	}
	return progress;
}

/* Write b[!i] to end i. Returns 1 on progress. */
static int
end_write(struct bridge *br, int i)
{
	struct bridge_end *d = &br->e[i];
	struct bridge_buf *b = &br->b[!i];
	size_t want;
	int r, progress = 0;

	if (d->tls) {
		progress |= end_flush(br, i);
		while (!br->finished && b->len > 0 &&
		    d->out->len < BRIDGE_TLS_OUT) {
			want = b->len < BRIDGE_TLS_CHUNK ? b->len :
			    BRIDGE_TLS_CHUNK;
			ERR_clear_error();
			r = SSL_write(d->ssl, b->p + b->off, (int)want);
			if (r <= 0) {
				fail_tls(br, i, SSL_get_error(d->ssl, r));
				break;
			}
			b->off += (size_t)r;
			b->len -= (size_t)r;
			progress = 1;
			/* Many records in one send (fewer wake-ups). */
			if (d->out->len >= BRIDGE_TLS_OUT || b->len == 0)
				progress |= end_flush(br, i);
		}
		return progress;
	}
	return progress | send_buf(br, i, b->p, &b->off, &b->len);
}

/*
 * End i has ended and everything it sent went to end !i's output: half-close
 * end !i (a TLS close_notify is queued like data and counts as done once
 * flushed).
 */
static int
end_half_close(struct bridge *br, int i)
{
	struct bridge_end *d = &br->e[!i];
	int r;

	if (!br->e[i].eof || br->b[i].len != 0 || br->finished)
		return 0;
	if (d->shut == 0) {
		d->shut = 1;
		if (d->tls) {
			ERR_clear_error();
			/* 0: close_notify queued, the peer's may follow. */
			r = SSL_shutdown(d->ssl);
			if (r < 0) {
				fail_tls(br, !i, SSL_get_error(d->ssl, r));
				return 0;
			}
			(void)end_flush(br, !i);
		} else if (shutdown(d->fd, SHUT_WR) != 0) {
			fail(br, !i, ": cannot half-close");
			return 0;
		}
	}
	if (d->shut == 1 && (!d->tls || d->out->len == 0)) {
		d->shut = 2;
		return 1;
	}
	return 0;
}

static void
ev_set(struct event *ev, int *on, int want)
{
	if (want && !*on)
		*on = event_add(ev, NULL) == 0;
	else if (!want && *on) {
		event_del(ev);
		*on = 0;
	}
}

/* Make all the progress possible, then wait for the right events. */
static void
bridge_run(struct bridge *br)
{
	struct bridge_end *e;
	int i, progress;

	if (br->running)
		return;
	br->running = 1;
	do {
		progress = 0;
		for (i = 0; i < 2; i++) {
			progress |= end_read(br, i);
			progress |= end_write(br, !i);
			progress |= end_half_close(br, i);
		}
	} while (progress && !br->finished);
	if (!br->finished && br->e[0].eof && br->e[1].eof &&
	    br->e[0].shut == 2 && br->e[1].shut == 2)
		br->finished = 1;
	for (i = 0; i < 2; i++) {
		e = &br->e[i];
		if (br->b[i].len == 0 && br->b[i].p != NULL) {
			free(br->b[i].p);
			br->b[i].p = NULL;
			br->b[i].off = 0;
		}
		ev_set(e->rd, &e->rd_on, !br->finished && !e->eof &&
		    (br->b[i].p == NULL || bbuf_room(&br->b[i]) > 0));
		ev_set(e->wr, &e->wr_on, !br->finished && (e->tls ?
		    e->out->len > 0 : br->b[!i].len > 0));
	}
	br->running = 0;
	if (br->finished)
		br->done(br, br->finished > 0, br->finished > 0 ? "closed" :
		    br->reason, br->arg);
	/* done() may have freed br. */
}

static void
rd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge_end *e = arg;

	(void)fd;
	(void)what;
	e->rd_wait = 0;
	bridge_run(e->br);
}

static void
wr_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge_end *e = arg;

	(void)fd;
	(void)what;
	e->wr_wait = 0;
	bridge_run(e->br);
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *br = arg;

	(void)fd;
	(void)what;
	/* Needed once: an open stream should not keep it. */
	event_free(br->kick);
	br->kick = NULL;
	bridge_run(br);
}

/* Append an evbuffer's bytes to b (allocated to hold them). */
static int
bbuf_take(struct bridge_buf *b, struct evbuffer *from)
{
	size_t n = evbuffer_get_length(from), cap = BRIDGE_HIGH;
	char *p;

	if (n == 0)
		return 0;
	if (b->len > SIZE_MAX - n)
		return -1;
	/* Rarely more than BRIDGE_HIGH: then the buffer grows once. */
	if (b->len + n > cap) {
		if ((p = realloc(b->p, b->len + n)) == NULL)
			return -1;
	} else if ((p = b->p) == NULL && (p = malloc(cap)) == NULL)
		return -1;
	b->p = p;
	if (evbuffer_remove(from, b->p + b->len, n) != (int)n)
		return -1;
	b->len += n;
	return 0;
}

static int
end_init(struct bridge *br, int i, struct bufferevent *bev, int tls,
    struct event_base *base)
{
	struct bridge_end *e = &br->e[i];
	BIO *bio;

	e->br = br;
	e->bev = bev;
	e->tls = tls;
	if ((e->fd = bufferevent_getfd(bev)) < 0)
		return RSG_ERR_INVALID_ARG;
	if (tls) {
		if ((e->ssl = bufferevent_openssl_get_ssl(bev)) == NULL)
			return RSG_ERR_INVALID_ARG;
		if ((bio = bio_out_new(e->fd, &e->out)) == NULL)
			return RSG_ERR_NOMEM;
		/* The socket BIO stays for reading; the SSL owns bio now. */
		SSL_set0_wbio(e->ssl, bio);
		SSL_set_read_ahead(e->ssl, 1);
		SSL_set_default_read_buffer_len(e->ssl, BRIDGE_TLS_READ);
	}
	e->rd = event_new(base, e->fd, EV_READ | EV_PERSIST, rd_cb, e);
	e->wr = event_new(base, e->fd, EV_WRITE | EV_PERSIST, wr_cb, e);
	if (e->rd == NULL || e->wr == NULL)
		return RSG_ERR_NOMEM;
	net_nodelay(e->fd);
	return 0;
}

static void
bridge_release(struct bridge *br)
{
	int i;

	if (br->kick != NULL)
		event_free(br->kick);
	for (i = 0; i < 2; i++) {
		if (br->e[i].rd != NULL)
			event_free(br->e[i].rd);
		if (br->e[i].wr != NULL)
			event_free(br->e[i].wr);
		free(br->b[i].p);
	}
	free(br);
}

int
bridge_new(struct bufferevent *a, int a_tls, struct bufferevent *b,
    int b_tls, bridge_done_fn done, void *arg, struct bridge **out)
{
	struct event_base *base = bufferevent_get_base(a);
	struct bufferevent *bev[2] = { a, b };
	struct bridge *br;
	size_t n;
	int i, r;

	if ((br = calloc(1, sizeof(*br))) == NULL)
		return RSG_ERR_NOMEM;
	br->done = done;
	br->arg = arg;
	/*
	 * From here on the bufferevents only own their socket and SSL. What
	 * they hold already goes first: bytes queued for one end, then bytes
	 * read from the other. A failure is returned, not reported through
	 * done(): the caller still owns everything (the write BIO swap of a
	 * TLS end is harmless: the SSL owns it and it names the same fd).
	 */
	for (i = 0; i < 2; i++) {
		bufferevent_disable(bev[i], EV_READ | EV_WRITE);
		bufferevent_setcb(bev[i], NULL, NULL, NULL, NULL);
	}
	for (i = 0; i < 2; i++) {
		if ((r = end_init(br, i, bev[i], i == 0 ? a_tls : b_tls,
		    base)) != 0)
			goto fail;
	}
	for (i = 0; i < 2; i++) {
		if (bbuf_take(&br->b[!i], bufferevent_get_output(bev[i])) != 0) {
			r = RSG_ERR_NOMEM;
			goto fail;
		}
	}
	for (i = 0; i < 2; i++) {
		n = evbuffer_get_length(bufferevent_get_input(bev[i]));
		if (bbuf_take(&br->b[i], bufferevent_get_input(bev[i])) != 0) {
			r = RSG_ERR_NOMEM;
			goto fail;
		}
		br->e[i].bytes_in = n;
	}
	/*
	 * Start from the loop: done() must not run before this returns, and
	 * bytes may wait inside the SSL where no socket event announces them.
	 * A separate event made active (this turn, no epoll_wait), not an
	 * end's event: libevent does not insert an event into epoll when it
	 * is added while active, and the end would never be read.
	 */
	if ((br->kick = evtimer_new(base, kick_cb, br)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto fail;
	}
	event_active(br->kick, EV_TIMEOUT, 1);
	*out = br;
	return 0;
 fail:
	bridge_release(br);
	return r;
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
	struct bufferevent *a, *b;

	if (br == NULL)
		return;
	a = br->e[0].bev;
	b = br->e[1].bev;
	/* Our events first: the bufferevents close the sockets. */
	bridge_release(br);
	bufferevent_free(a);
	bufferevent_free(b);
}

struct event_base *
bridge_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

#ifdef M_TRIM_THRESHOLD
	/*
	 * The bridges' buffers (ours and OpenSSL's, 128-256 KiB) are freed
	 * whenever a stream's data has gone, and taken again on the next
	 * burst. Keep them on the heap and keep the heap's top instead of
	 * giving it back to the kernel each time: that churn cost one page
	 * fault per 4 KiB moved (140,000 a second in a bulk transfer). The
	 * memory kept is per process, a few MiB at most, not per stream.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
#endif
	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}
