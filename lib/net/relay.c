/*
 * relay.c: the hub's relay. Both ends of a tunnel dial the relay port and
 * send a preamble naming a stream and carrying that side's one-time token;
 * the relay pairs the two connections and copies bytes between them
 * without looking at them (they are TLS records between the engineer and
 * the access point).
 *
 * The relay port faces strangers, so: a connection must send a valid
 * preamble and find its partner within the unpaired timeout; tokens are
 * compared in constant time, used once and expire; connections per source
 * address are capped. Copying uses splice(2) through one pipe per
 * direction, so ciphertext never enters user space; a direction holds at
 * most one pipe's worth (RELAY_PIPE_SIZE) and its source is not read
 * again until the pipe has been drained into the destination, which is
 * all the back-pressure there is: a slow reader stops the relay reading
 * its partner, and TCP flow control does the rest.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "rsgate/relay.h"

#define RELAY_SIDES 2
#define RELAY_SOURCE_MAX RELAY_SOURCE_KEY_MAX
/* Rounds of read/write per wake-up before yielding to other streams. */
#define RELAY_PUMP_ROUNDS 16

struct relay_stream;

/* Where a source address's connection count lives. */
struct relay_src {
	TAILQ_ENTRY(relay_src) entry;
	char addr[RELAY_SOURCE_MAX];
	unsigned n;
};

/* A connection that has not been paired (yet). */
struct relay_conn {
	TAILQ_ENTRY(relay_conn) entry;
	struct relay *r;
	struct relay_src *src;
	char source[RELAY_SOURCE_MAX];	/* the address, for events */
	int fd;
	struct event *ev_read;
	struct event *ev_timer;
	uint8_t pre[RELAY_PREAMBLE_LEN];
	size_t npre;
	struct relay_stream *st;	/* set once its preamble was accepted */
	enum relay_side side;
};

/* One direction of a pair: from one side's socket to the other's. */
struct relay_dir {
	struct relay_stream *st;
	int idx;			/* 0: up (engineer -> AP), 1: down */
	int from, to;
	struct event *ev_in, *ev_out;
	int pipe[2];			/* -1 in buffer mode */
	uint8_t *buf;			/* buffer mode: RELAY_BUF_SIZE */
	size_t off;			/* buffer mode: first unsent byte */
	size_t pending;			/* bytes held, not yet written */
	int eof;			/* from has half-closed */
	int done;			/* eof passed on to "to" */
	uint64_t bytes;			/* written to "to" */
};

struct relay_stream {
	TAILQ_ENTRY(relay_stream) entry;
	struct relay *r;
	uint8_t id[RELAY_STREAM_ID_LEN];
	uint8_t tok[RELAY_SIDES][RELAY_TOKEN_LEN];
	int used[RELAY_SIDES];
	int expired;
	int unused_sent;
	struct event *ev_expire;
	struct relay_conn *waiting[RELAY_SIDES];
	/* Once paired: */
	int paired;
	int fd[RELAY_SIDES];
	struct relay_src *src[RELAY_SIDES];
	struct relay_dir dir[2];
	int64_t paired_ms;
	int64_t active_ms;		/* last byte moved either way */
	struct event *ev_idle;
};

struct relay {
	struct event_base *base;
	struct relay_conf conf;
	relay_event_fn fn;
	void *arg;
	TAILQ_HEAD(, relay_conn) conns;
	TAILQ_HEAD(, relay_stream) streams;
	TAILQ_HEAD(, relay_src) srcs;
	size_t nconns;			/* paired or not */
	size_t nunpaired;
	size_t nstreams;
};

static void stream_forget(struct relay_stream *);

static int
side_index(enum relay_side side)
{
	return side == RELAY_SIDE_ENGINEER ? 0 : 1;
}

static void
emit(struct relay *r, enum relay_event_type type, const uint8_t *id,
    const char *source, enum relay_side side, const char *reason)
{
	struct relay_event ev;

	if (r->fn == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.stream_id = id;
	ev.source = source;
	ev.side = side;
	ev.reason = reason;
	r->fn(&ev, r->arg);
}

/* ---- sources -------------------------------------------------------------- */

static struct relay_src *
src_get(struct relay *r, const char *addr)
{
	struct relay_src *s;

	TAILQ_FOREACH(s, &r->srcs, entry)
		if (strcmp(s->addr, addr) == 0)
			return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (str_copy(s->addr, sizeof(s->addr), addr) != 0) {
		/* An over-long address still counts, under its prefix. */
		memcpy(s->addr, addr, sizeof(s->addr) - 1);
		s->addr[sizeof(s->addr) - 1] = '\0';
	}
	TAILQ_INSERT_TAIL(&r->srcs, s, entry);
	return s;
}

static void
src_put(struct relay *r, struct relay_src *s)
{
	if (s == NULL)
		return;
	if (s->n > 0)
		s->n--;
	if (s->n == 0) {
		TAILQ_REMOVE(&r->srcs, s, entry);
		free(s);
	}
}

/* ---- unpaired connections ------------------------------------------------- */

/* Free c; close its socket unless keep_fd (it was paired). */
static void
conn_free(struct relay_conn *c, int keep_fd)
{
	struct relay *r;

	if (c == NULL)
		return;
	r = c->r;
	TAILQ_REMOVE(&r->conns, c, entry);
	r->nunpaired--;
	if (c->st != NULL && c->st->waiting[side_index(c->side)] == c)
		c->st->waiting[side_index(c->side)] = NULL;
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	if (!keep_fd) {
		close(c->fd);
		r->nconns--;
		src_put(r, c->src);
	}
	mem_wipe(c->pre, sizeof(c->pre));
	free(c);
}

/* A stream that expired with nobody paired or waiting is reported once. */
static void
stream_check_unused(struct relay_stream *st)
{
	if (!st->expired || st->paired || st->unused_sent ||
	    st->waiting[0] != NULL || st->waiting[1] != NULL)
		return;
	st->unused_sent = 1;
	emit(st->r, RELAY_EV_UNUSED, st->id, NULL, 0,
	    "the stream was not paired before its tokens expired");
}

/* Drop c with a REFUSED event. */
static void
conn_refuse(struct relay_conn *c, const char *reason)
{
	struct relay *r = c->r;
	struct relay_stream *st = c->st;
	char source[RELAY_SOURCE_MAX];
	uint8_t id[RELAY_STREAM_ID_LEN];
	int have_id = 0;
	enum relay_side side = 0;

	snprintf(source, sizeof(source), "%s", c->source);
	if (c->npre >= 6)
		side = (enum relay_side)c->pre[5];
	if (side != RELAY_SIDE_ENGINEER && side != RELAY_SIDE_AP)
		side = 0;
	if (c->npre >= 6 + RELAY_STREAM_ID_LEN) {
		memcpy(id, c->pre + 6, sizeof(id));
		have_id = 1;
	}
	conn_free(c, 0);
	emit(r, RELAY_EV_REFUSED, have_id ? id : NULL, source, side, reason);
	if (st != NULL)
		stream_check_unused(st);
}

static void
conn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_conn *c = arg;

	(void)fd;
	(void)what;
	conn_refuse(c, c->st != NULL ?
	    "the other side of the stream did not arrive in time" :
	    "no relay preamble in time");
}

static struct relay_stream *
stream_find(struct relay *r, const uint8_t *id)
{
	struct relay_stream *st;

	TAILQ_FOREACH(st, &r->streams, entry)
		if (memcmp(st->id, id, RELAY_STREAM_ID_LEN) == 0)
			return st;
	return NULL;
}

static int stream_pair(struct relay_stream *);

/* c has sent a complete, well-formed preamble p: check it, then wait or pair. */
static void
conn_present(struct relay_conn *c, const struct relay_preamble *p)
{
	struct relay *r = c->r;
	struct relay_stream *st;
	struct timeval tv;
	const char *why;
	int s = side_index(p->side);

	if ((st = stream_find(r, p->stream_id)) == NULL) {
		conn_refuse(c, "unknown stream");
		return;
	}
	if (st->expired) {
		conn_refuse(c, "pairing token expired");
		return;
	}
	if (mem_equal_ct(p->token, st->tok[s], RELAY_TOKEN_LEN) != 0) {
		conn_refuse(c, "wrong pairing token");
		return;
	}
	if (st->used[s]) {
		conn_refuse(c, "pairing token already used");
		return;
	}
	if (r->conf.admit != NULL &&
	    (why = r->conf.admit(st->id, r->arg)) != NULL) {
		conn_refuse(c, why);
		return;
	}
	st->used[s] = 1;
	c->st = st;
	c->side = p->side;
	/* Not read again until paired: what follows is the partner's. */
	event_del(c->ev_read);
	st->waiting[s] = c;
	if (st->waiting[1 - s] != NULL) {
		if (stream_pair(st) != 0)
			stream_forget(st);
		return;
	}
	tv.tv_sec = (time_t)(r->conf.unpaired_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(r->conf.unpaired_timeout_ms % 1000) * 1000;
	evtimer_add(c->ev_timer, &tv);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_conn *c = arg;
	struct relay_preamble p;
	ssize_t n;
	int e;

	(void)what;
	n = recv(fd, c->pre + c->npre, RELAY_PREAMBLE_LEN - c->npre, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_refuse(c, "connection reset before the preamble");
		return;
	}
	if (n == 0) {
		conn_refuse(c, "connection closed before the preamble");
		return;
	}
	c->npre += (size_t)n;
	e = relay_preamble_decode(c->pre, c->npre, &p);
	if (e == RSG_ERR_INCOMPLETE)
		return;
	if (e == RSG_ERR_VERSION) {
		conn_refuse(c, "unsupported relay preamble version");
		return;
	}
	if (e != 0) {
		conn_refuse(c, "not a relay preamble");
		return;
	}
	conn_present(c, &p);
	mem_wipe(&p, sizeof(p));
}

/* ---- paired streams --------------------------------------------------------- */

static void
dir_release(struct relay_dir *d)
{
	if (d->ev_in != NULL)
		event_free(d->ev_in);
	if (d->ev_out != NULL)
		event_free(d->ev_out);
	d->ev_in = d->ev_out = NULL;
	if (d->pipe[0] >= 0)
		close(d->pipe[0]);
	if (d->pipe[1] >= 0)
		close(d->pipe[1]);
	d->pipe[0] = d->pipe[1] = -1;
	if (d->buf != NULL)
		mem_wipe(d->buf, RELAY_BUF_SIZE);
	free(d->buf);
	d->buf = NULL;
}

/* Remove st and everything it holds, without an event. */
static void
stream_forget(struct relay_stream *st)
{
	struct relay *r = st->r;
	int i;

	for (i = 0; i < RELAY_SIDES; i++) {
		if (st->waiting[i] != NULL)
			conn_free(st->waiting[i], 0);
	}
	if (st->paired) {
		dir_release(&st->dir[0]);
		dir_release(&st->dir[1]);
		for (i = 0; i < RELAY_SIDES; i++) {
			close(st->fd[i]);
			r->nconns--;
			src_put(r, st->src[i]);
		}
	}
	if (st->ev_expire != NULL)
		event_free(st->ev_expire);
	if (st->ev_idle != NULL)
		event_free(st->ev_idle);
	TAILQ_REMOVE(&r->streams, st, entry);
	r->nstreams--;
	mem_wipe(st->tok, sizeof(st->tok));
	free(st);
}

/* End a paired stream with a CLOSED event and forget it. */
static void
stream_close(struct relay_stream *st, const char *reason)
{
	struct relay *r = st->r;
	struct relay_event ev;
	uint8_t id[RELAY_STREAM_ID_LEN];
	int64_t now = time_mono_ms();

	memcpy(id, st->id, sizeof(id));
	memset(&ev, 0, sizeof(ev));
	ev.type = RELAY_EV_CLOSED;
	ev.stream_id = id;
	ev.reason = reason;
	ev.bytes_up = st->dir[0].bytes;
	ev.bytes_down = st->dir[1].bytes;
	ev.duration_ms = now > st->paired_ms ? (uint64_t)(now - st->paired_ms) :
	    0;
	stream_forget(st);
	if (r->fn != NULL)
		r->fn(&ev, r->arg);
}

/* Move bytes from d->from into d's holding space. >0 read, 0 EOF, <0 errno. */
static ssize_t
dir_fill(struct relay_dir *d)
{
	ssize_t n;

	for (;;) {
		if (d->pipe[0] >= 0) {
			n = splice(d->from, NULL, d->pipe[1], NULL,
			    RELAY_PIPE_SIZE, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0 && errno == EINVAL && d->bytes == 0 &&
			    d->pending == 0) {
				/* No splice for this socket type: buffer. */
				close(d->pipe[0]);
				close(d->pipe[1]);
				d->pipe[0] = d->pipe[1] = -1;
				continue;
			}
		} else {
			if (d->buf == NULL &&
			    (d->buf = malloc(RELAY_BUF_SIZE)) == NULL) {
				errno = ENOMEM;
				return -1;
			}
			n = read(d->from, d->buf, RELAY_BUF_SIZE);
			d->off = 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

/* Write held bytes to d->to. >0 written, <0 errno (EAGAIN: not now). */
static ssize_t
dir_drain(struct relay_dir *d)
{
	ssize_t n;

	do {
		if (d->pipe[0] >= 0)
			n = splice(d->pipe[0], NULL, d->to, NULL, d->pending,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		else
			n = send(d->to, d->buf + d->off, d->pending,
			    MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		errno = EPIPE;
		return -1;
	}
	return n;
}

/*
 * Move what can be moved in direction d now, and arm exactly the events
 * that say when to continue: the destination's writability while bytes are
 * held, else the source's readability. Returns -1 if st was closed.
 */
static int
dir_pump(struct relay_dir *d)
{
	struct relay_stream *st = d->st;
	ssize_t n;
	int rounds;

	for (rounds = 0; rounds < RELAY_PUMP_ROUNDS; rounds++) {
		while (d->pending > 0) {
			if ((n = dir_drain(d)) < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					event_del(d->ev_in);
					event_add(d->ev_out, NULL);
					return 0;
				}
				stream_close(st, "connection reset");
				return -1;
			}
			d->pending -= (size_t)n;
			d->off += (size_t)n;
			d->bytes += (uint64_t)n;
			st->active_ms = time_mono_ms();
		}
		event_del(d->ev_out);
		if (d->eof) {
			if (!d->done) {
				d->done = 1;
				event_del(d->ev_in);
				/* Half-close: the partner sees EOF too. */
				shutdown(d->to, SHUT_WR);
			}
			if (st->dir[0].done && st->dir[1].done) {
				stream_close(st, "closed by both sides");
				return -1;
			}
			return 0;
		}
		if ((n = dir_fill(d)) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(d->ev_in, NULL);
				return 0;
			}
			stream_close(st, "connection reset");
			return -1;
		}
		if (n == 0)
			d->eof = 1;
		d->pending = (size_t)n;
	}
	/* Yield; the level-triggered events bring us back. */
	if (d->pending > 0)
		event_add(d->ev_out, NULL);
	else if (!d->eof)
		event_add(d->ev_in, NULL);
	return 0;
}

static void
dir_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)dir_pump(arg);
}

static int
dir_setup(struct relay_stream *st, int idx, int from, int to)
{
	struct relay_dir *d = &st->dir[idx];
	struct event_base *base = st->r->base;

	d->st = st;
	d->idx = idx;
	d->from = from;
	d->to = to;
	d->pipe[0] = d->pipe[1] = -1;
	/* No pipe (fd limit): fall back to the buffer. */
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		d->pipe[0] = d->pipe[1] = -1;
	if ((d->ev_in = event_new(base, from, EV_READ | EV_PERSIST, dir_cb,
	    d)) == NULL ||
	    (d->ev_out = event_new(base, to, EV_WRITE | EV_PERSIST, dir_cb,
	    d)) == NULL)
		return RSG_ERR_NOMEM;
	return 0;
}

static void
ms_to_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/*
 * Both ends send nothing while their user is idle (the TLS inside has no
 * keep-alive), so silence for idle_ms means a forgotten or dead stream.
 * The timer fires at most once per idle_ms; activity only moves a stamp.
 */
static void
stream_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_stream *st = arg;
	struct relay *r = st->r;
	struct timeval tv;
	int64_t quiet = time_mono_ms() - st->active_ms;
	char why[96];

	(void)fd;
	(void)what;
	if (quiet >= 0 && (uint64_t)quiet >= r->conf.idle_ms) {
		snprintf(why, sizeof(why), "idle: no data either way for "
		    "%llu s", (unsigned long long)(r->conf.idle_ms / 1000));
		stream_close(st, why);
		return;
	}
	ms_to_tv(r->conf.idle_ms - (quiet > 0 ? (uint64_t)quiet : 0), &tv);
	evtimer_add(st->ev_idle, &tv);
}

static int
stream_pair(struct relay_stream *st)
{
	struct relay *r = st->r;
	struct relay_conn *c;
	int i;

	for (i = 0; i < RELAY_SIDES; i++) {
		c = st->waiting[i];
		st->fd[i] = c->fd;
		/*
		 * An AP's streams all come from its one address: once its
		 * connection is paired (it came with a one-time token) it
		 * counts only against the global caps, or an AP could carry
		 * no more than per_source_max streams. An engineer's address
		 * keeps counting its paired connections, so one engineer
		 * cannot fill the global caps.
		 */
		if (c->side == RELAY_SIDE_AP) {
			src_put(r, c->src);
			c->src = NULL;
		}
		st->src[i] = c->src;
		st->waiting[i] = NULL;
		c->st = NULL;
		conn_free(c, 1);
		net_nodelay(st->fd[i]);
	}
	st->paired = 1;
	st->paired_ms = st->active_ms = time_mono_ms();
	st->dir[0].pipe[0] = st->dir[0].pipe[1] = -1;
	st->dir[1].pipe[0] = st->dir[1].pipe[1] = -1;
	/*
	 * The tokens stay (wiped with the stream) so that a replay is told
	 * "already used"; used[] makes them worthless.
	 */
	if (dir_setup(st, 0, st->fd[0], st->fd[1]) != 0 ||
	    dir_setup(st, 1, st->fd[1], st->fd[0]) != 0)
		return RSG_ERR_NOMEM;
	if (r->conf.idle_ms > 0) {
		struct timeval tv;

		ms_to_tv(r->conf.idle_ms, &tv);
		if ((st->ev_idle = evtimer_new(r->base, stream_idle_cb,
		    st)) == NULL || evtimer_add(st->ev_idle, &tv) != 0)
			return RSG_ERR_NOMEM;
	}
	emit(r, RELAY_EV_PAIRED, st->id, NULL, 0, NULL);
	event_add(st->dir[0].ev_in, NULL);
	event_add(st->dir[1].ev_in, NULL);
	return 0;
}

static void
stream_expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay_stream *st = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (st->expired) {
		/* The grace period is over as well. */
		if (!st->paired && st->waiting[0] == NULL &&
		    st->waiting[1] == NULL) {
			stream_forget(st);
			return;
		}
		/* Still waiting on a side's own timeout; look again later. */
	}
	st->expired = 1;
	if (!st->paired)
		mem_wipe(st->tok, sizeof(st->tok));
	stream_check_unused(st);
	if (st->paired)
		return;
	tv.tv_sec = RELAY_EXPIRED_KEEP_MS / 1000;
	tv.tv_usec = (RELAY_EXPIRED_KEEP_MS % 1000) * 1000;
	evtimer_add(st->ev_expire, &tv);
}

/* ---- public ----------------------------------------------------------------- */

int
relay_new(struct event_base *base, const struct relay_conf *conf,
    relay_event_fn fn, void *arg, struct relay **out)
{
	struct relay *r;

	if (base == NULL || conf == NULL || conf->unpaired_timeout_ms == 0 ||
	    conf->per_source_max == 0 || conf->unpaired_max == 0 ||
	    conf->conns_max == 0)
		return RSG_ERR_INVALID_ARG;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return RSG_ERR_NOMEM;
	r->base = base;
	r->conf = *conf;
	r->fn = fn;
	r->arg = arg;
	TAILQ_INIT(&r->conns);
	TAILQ_INIT(&r->streams);
	TAILQ_INIT(&r->srcs);
	*out = r;
	return 0;
}

void
relay_free(struct relay *r)
{
	struct relay_stream *st;
	struct relay_conn *c;

	if (r == NULL)
		return;
	while ((st = TAILQ_FIRST(&r->streams)) != NULL)
		stream_forget(st);
	while ((c = TAILQ_FIRST(&r->conns)) != NULL)
		conn_free(c, 0);
	free(r);
}

int
relay_stream_add(struct relay *r, const uint8_t id[RELAY_STREAM_ID_LEN],
    const uint8_t tok_engineer[RELAY_TOKEN_LEN],
    const uint8_t tok_ap[RELAY_TOKEN_LEN], uint64_t lifetime_ms)
{
	struct relay_stream *st;
	struct timeval tv;

	if (stream_find(r, id) != NULL)
		return RSG_ERR_EXISTS;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return RSG_ERR_NOMEM;
	st->r = r;
	memcpy(st->id, id, RELAY_STREAM_ID_LEN);
	memcpy(st->tok[0], tok_engineer, RELAY_TOKEN_LEN);
	memcpy(st->tok[1], tok_ap, RELAY_TOKEN_LEN);
	st->fd[0] = st->fd[1] = -1;
	if ((st->ev_expire = evtimer_new(r->base, stream_expire_cb,
	    st)) == NULL) {
		mem_wipe(st->tok, sizeof(st->tok));
		free(st);
		return RSG_ERR_NOMEM;
	}
	tv.tv_sec = (time_t)(lifetime_ms / 1000);
	tv.tv_usec = (suseconds_t)(lifetime_ms % 1000) * 1000;
	evtimer_add(st->ev_expire, &tv);
	TAILQ_INSERT_TAIL(&r->streams, st, entry);
	r->nstreams++;
	return 0;
}

int
relay_accept(struct relay *r, int fd, const char *source)
{
	struct relay_conn *c = NULL;
	struct relay_src *s;
	struct timeval tv;
	char key[RELAY_SOURCE_MAX];
	const char *why = NULL;
	int fl;

	if (source == NULL)
		source = "-";
	/* The global caps first: they cost no lookup and no allocation. */
	if (r->nconns >= r->conf.conns_max)
		why = "too many relay connections open";
	else if (r->nunpaired >= r->conf.unpaired_max)
		why = "too many unpaired relay connections";
	if (why != NULL) {
		close(fd);
		emit(r, RELAY_EV_REFUSED, NULL, source, 0, why);
		return RSG_ERR_LIMIT;
	}
	relay_source_key(source, key, sizeof(key));
	if ((s = src_get(r, key)) == NULL) {
		close(fd);
		return RSG_ERR_NOMEM;
	}
	if (s->n >= r->conf.per_source_max) {
		close(fd);
		emit(r, RELAY_EV_REFUSED, NULL, source, 0, strchr(key, '/') !=
		    NULL ? "too many relay connections from this /64" :
		    "too many relay connections from this address");
		return RSG_ERR_LIMIT;
	}
	s->n++;
	r->nconns++;
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		r->nconns--;
		src_put(r, s);
		return RSG_ERR_NOMEM;
	}
	c->r = r;
	c->src = s;
	c->fd = fd;
	snprintf(c->source, sizeof(c->source), "%s", source);
	TAILQ_INSERT_TAIL(&r->conns, c, entry);
	r->nunpaired++;
	if ((c->ev_read = event_new(r->base, fd, EV_READ | EV_PERSIST,
	    conn_read_cb, c)) == NULL ||
	    (c->ev_timer = evtimer_new(r->base, conn_timeout_cb, c)) == NULL) {
		conn_free(c, 0);
		return RSG_ERR_NOMEM;
	}
	tv.tv_sec = (time_t)(r->conf.unpaired_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(r->conf.unpaired_timeout_ms % 1000) * 1000;
	event_add(c->ev_read, NULL);
	evtimer_add(c->ev_timer, &tv);
	return 0;
}

int
relay_stream_renew(struct relay *r, const uint8_t id[RELAY_STREAM_ID_LEN],
    uint64_t lifetime_ms)
{
	struct relay_stream *st;
	struct timeval tv;

	if ((st = stream_find(r, id)) == NULL || st->expired)
		return RSG_ERR_NOT_FOUND;
	tv.tv_sec = (time_t)(lifetime_ms / 1000);
	tv.tv_usec = (suseconds_t)(lifetime_ms % 1000) * 1000;
	evtimer_add(st->ev_expire, &tv);	/* re-adding reschedules */
	return 0;
}

int
relay_stream_cancel(struct relay *r, const uint8_t id[RELAY_STREAM_ID_LEN],
    const char *reason)
{
	struct relay_stream *st;

	if ((st = stream_find(r, id)) == NULL)
		return RSG_ERR_NOT_FOUND;
	if (st->paired)
		stream_close(st, reason != NULL ? reason : "cancelled");
	else
		stream_forget(st);
	return 0;
}

size_t
relay_conn_count(const struct relay *r)
{
	return r->nconns;
}

size_t
relay_unpaired_count(const struct relay *r)
{
	return r->nunpaired;
}

void
relay_source_key(const char *addr, char *out, size_t outlen)
{
	struct in6_addr a6;
	char txt[INET6_ADDRSTRLEN];

	if (outlen == 0)
		return;
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    inet_ntop(AF_INET, &a6.s6_addr[12], txt,
		    sizeof(txt)) != NULL) {
			snprintf(out, outlen, "%s", txt);
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, txt, sizeof(txt)) != NULL) {
			snprintf(out, outlen, "%s/64", txt);
			return;
		}
	}
	/* An over-long address still counts, under its prefix. */
	snprintf(out, outlen, "%s", addr);
}

size_t
relay_stream_count(const struct relay *r)
{
	return r->nstreams;
}
