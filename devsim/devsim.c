/*
 * devsim.c: rsgate-devsim, a simulated medical device for the tests, the
 * demo and the benchmarks. It listens on one TCP service port and speaks
 * either a small line protocol (HELLO, ECHO, LIST, GET, QUIT) or, with
 * --echo, raw echo of every byte. Its log files hold synthetic patient
 * names and IDs (DICOM-style "PatientName=YAMADA^TARO PatientID=P000123"),
 * generated deterministically from --seed, so that later tests can prove
 * where patient data goes. All of it is fictitious.
 *
 * One libevent loop serves every connection. Memory per connection is
 * bounded: a line longer than DEVSIM_LINE_MAX is refused, and reading stops
 * while more than DEVSIM_OUT_HIGH bytes wait to be sent (back-pressure).
 * SIGTERM or SIGINT ends the program cleanly with status 0.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <jansson.h>

#include "rsgate/util.h"

#define DEVSIM_LINE_MAX 1024		/* longest command line, without LF */
#define DEVSIM_IN_HIGH (64 * 1024)	/* stop reading above this input */
#define DEVSIM_OUT_HIGH (1024 * 1024)	/* stop reading above this output */
#define DEVSIM_OUT_LOW (256 * 1024)	/* ... and resume below this */
#define DEVSIM_LOGS_MAX 99
#define DEVSIM_CONNS_DEFAULT 4096
#define DEVSIM_CONNS_MAX 100000
#define DEVSIM_LINGER_SEC 2		/* drain time after an error reply */
#define DEVSIM_LOG_MAX (4 * 1024 * 1024)
#define DEVSIM_ALERT_REPLY_MAX (64 * 1024)
#define DEVSIM_TOKEN_MAX 256

enum conn_state {
	CONN_OPEN,	/* serving commands */
	CONN_FLUSH,	/* close once the output is sent (QUIT, EOF) */
	CONN_LINGER,	/* error sent: flush, half-close, drain input */
};

struct logfile {
	char name[32];
	struct rsg_buf *data;
};

struct conn;

struct devsim {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *ev_term, *ev_int, *ev_relisten;
	const char *name;
	const char *model;
	int echo;
	struct logfile logs[DEVSIM_LOGS_MAX];
	size_t nlogs;
	TAILQ_HEAD(, conn) conns;
	size_t nconns, maxconns;
	uint64_t stall_after;	/* GET sends this much, then holds; 0: all */
};

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct devsim *ds;
	struct bufferevent *bev;
	struct event *linger;
	enum conn_state state;
	int eof;	/* the peer has half-closed */
};

static void conn_process(struct conn *);

/* ---- synthetic logs --------------------------------------------------- */

static const char *const family_names[] = { "YAMADA", "SATO", "SUZUKI",
	"TAKAHASHI", "TANAKA", "WATANABE", "ITO", "NAKAMURA", "KOBAYASHI",
	"KATO", "YOSHIDA", "MATSUMOTO" };
static const char *const given_names[] = { "TARO", "HANAKO", "ICHIRO",
	"YUKI", "KENJI", "AKIKO", "HIROSHI", "MAI", "SHOTA", "EMI", "DAIKI",
	"NAOMI" };
static const char *const modalities[] = { "CT", "MR", "CR", "US" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: small, deterministic, good enough for synthetic data. */
static uint64_t
prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
prng_below(uint64_t *s, unsigned n)
{
	return (unsigned)(prng_next(s) % n);
}

/* --log-bytes: each log is padded with routine lines up to this size. */
static size_t log_min_bytes;

static int
log_generate(struct logfile *lf, unsigned idx, uint64_t seed)
{
	/* 2026-01-01T00:00:00Z, one day per file. */
	int64_t t = 1767225600 + (int64_t)idx * 86400;
	uint64_t s = seed * 1000003 + idx;
	char ts[64];
	unsigned i, n, pid;
	int first = idx == 0;
	struct tm tm;
	time_t tt;
	int r = 0;

	snprintf(lf->name, sizeof(lf->name), "service-%02u.log", idx + 1);
	if ((lf->data = buf_new(DEVSIM_LOG_MAX)) == NULL)
		return RSG_ERR_NOMEM;
	r = buf_putf(lf->data, "# rsgate-devsim %s: synthetic log, all "
	    "patient data in it is fictitious\n", lf->name);
	n = 100 + prng_below(&s, 200);
	for (i = 0; i < n && r == 0; i++) {
		t += 30 + prng_below(&s, 900);
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		switch (prng_below(&s, 4)) {
		case 0:
		case 1:
			/*
			 * The first exam of the first file is always the
			 * same patient, whatever the seed, for tests to find.
			 */
			pid = first ? 123 : prng_below(&s, 1000000);
			r = buf_putf(lf->data, "%s INFO exam start "
			    "AccessionNumber=A%07u PatientName=%s^%s "
			    "PatientID=P%06u PatientBirthDate=%04u%02u%02u "
			    "Modality=%s\n", ts, prng_below(&s, 10000000),
			    first ? "YAMADA" :
			    family_names[prng_below(&s, NELEM(family_names))],
			    first ? "TARO" :
			    given_names[prng_below(&s, NELEM(given_names))],
			    pid, 1930 + prng_below(&s, 90),
			    1 + prng_below(&s, 12), 1 + prng_below(&s, 28),
			    modalities[prng_below(&s, NELEM(modalities))]);
			first = 0;
			break;
		case 2:
			r = buf_putf(lf->data, "%s WARN tube temperature %u C "
			    "(limit 75 C)\n", ts, 60 + prng_below(&s, 30));
			break;
		default:
			r = buf_putf(lf->data, "%s ERROR detector row %u "
			    "calibration drift %u.%u%%\n", ts,
			    prng_below(&s, 64), prng_below(&s, 5),
			    prng_below(&s, 10));
			break;
		}
	}
	for (i = 0; r == 0 && buf_len(lf->data) < log_min_bytes; i++)
		r = buf_putf(lf->data, "%s INFO idle, self-test %u passed\n",
		    ts, i);
	return r;
}

static const struct logfile *
log_find(const struct devsim *ds, const char *name)
{
	size_t i;

	for (i = 0; i < ds->nlogs; i++)
		if (strcmp(ds->logs[i].name, name) == 0)
			return &ds->logs[i];
	return NULL;
}

/* ---- connections -------------------------------------------------------- */

static void
conn_free(struct conn *c)
{
	struct devsim *ds = c->ds;

	TAILQ_REMOVE(&ds->conns, c, entry);
	ds->nconns--;
	if (c->linger != NULL)
		event_free(c->linger);
	bufferevent_free(c->bev);	/* closes the socket */
	free(c);
}

static void
conn_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

/* Output sent: what to do next depends on the state. */
static void
conn_output_done(struct conn *c)
{
	struct timeval tv = { DEVSIM_LINGER_SEC, 0 };

	switch (c->state) {
	case CONN_OPEN:
		break;
	case CONN_FLUSH:
		conn_free(c);
		break;
	case CONN_LINGER:
		/*
		 * Half-close and read what the peer still sends, so that
		 * closing with unread input does not reset the connection
		 * and destroy our error reply before the peer reads it.
		 */
		if (c->eof) {
			conn_free(c);
			break;
		}
		if (c->linger != NULL)
			break;
		shutdown(bufferevent_getfd(c->bev), SHUT_WR);
		if ((c->linger = evtimer_new(c->ds->base, conn_linger_cb,
		    c)) == NULL || evtimer_add(c->linger, &tv) != 0)
			conn_free(c);
		break;
	}
}

static void
conn_set_state(struct conn *c, enum conn_state state)
{
	c->state = state;
	/* From now on we want to hear when the output is empty. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_output_done(c);
}

static void
conn_reply(struct conn *c, const char *fmt, ...) RSG_PRINTF(2, 3);

static void
conn_reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
}

/* Returns 0 to go on with the next line, -1 when the connection ends. */
static int
conn_command(struct conn *c, char *line)
{
	struct devsim *ds = c->ds;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const struct logfile *lf;
	size_t i;

	if (line[0] == '\0')
		return 0;
	if (strcmp(line, "HELLO") == 0) {
		conn_reply(c, "OK rsgate-devsim name=%s model=%s\n", ds->name,
		    ds->model);
	} else if (strcmp(line, "ECHO") == 0 || strncmp(line, "ECHO ", 5) == 0) {
		conn_reply(c, "%s\n", line[4] == '\0' ? "" : line + 5);
	} else if (strcmp(line, "LIST") == 0) {
		conn_reply(c, "OK %zu\n", ds->nlogs);
		for (i = 0; i < ds->nlogs; i++)
			conn_reply(c, "%s %zu\n", ds->logs[i].name,
			    buf_len(ds->logs[i].data));
	} else if (strncmp(line, "GET ", 4) == 0) {
		if ((lf = log_find(ds, line + 4)) == NULL) {
			conn_reply(c, "ERR no such file\n");
			return 0;
		}
		conn_reply(c, "OK %zu\n", buf_len(lf->data));
		/* The logs live as long as the program: send without a copy. */
		evbuffer_add_reference(out, buf_ptr(lf->data),
		    ds->stall_after > 0 && ds->stall_after <
		    buf_len(lf->data) ? (size_t)ds->stall_after :
		    buf_len(lf->data), NULL, NULL);
	} else if (strcmp(line, "QUIT") == 0) {
		conn_reply(c, "OK bye\n");
		conn_set_state(c, CONN_FLUSH);
		return -1;
	} else {
		conn_reply(c, "ERR unknown command\n");
	}
	return 0;
}

static void
conn_too_long(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	evbuffer_drain(in, evbuffer_get_length(in));
	conn_reply(c, "ERR line too long\n");
	conn_set_state(c, CONN_LINGER);
}

/* Serve complete lines from the input while the output has room. */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t n;
	char *line;
	int r;

	while (c->state == CONN_OPEN) {
		if (evbuffer_get_length(out) > DEVSIM_OUT_HIGH) {
			/* Back-pressure: resume from the write callback. */
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL) {
			if (evbuffer_get_length(in) > DEVSIM_LINE_MAX)
				conn_too_long(c);
			else if (c->eof)
				conn_set_state(c, CONN_FLUSH);
			return;
		}
		if (n > DEVSIM_LINE_MAX) {
			free(line);
			conn_too_long(c);
			return;
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		r = conn_command(c, line);
		free(line);
		if (r != 0)
			return;
	}
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);

	if (c->state != CONN_OPEN) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->ds->echo) {
		evbuffer_add_buffer(out, in);
		if (evbuffer_get_length(out) > DEVSIM_OUT_HIGH)
			bufferevent_disable(bev, EV_READ);
		return;
	}
	conn_process(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *out = bufferevent_get_output(bev);

	if (c->state != CONN_OPEN) {
		if (evbuffer_get_length(out) == 0)
			conn_output_done(c);
		return;
	}
	if (evbuffer_get_length(out) > DEVSIM_OUT_LOW)
		return;
	if (c->ds->echo) {
		if (c->eof && evbuffer_get_length(out) == 0) {
			conn_free(c);
			return;
		}
		if (!c->eof)
			bufferevent_enable(bev, EV_READ);
		return;
	}
	if (!c->eof)
		bufferevent_enable(bev, EV_READ);
	conn_process(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_ERROR) {
		conn_free(c);
		return;
	}
	if (!(what & BEV_EVENT_EOF))
		return;
	c->eof = 1;
	switch (c->state) {
	case CONN_LINGER:
		/* Once our reply is out there is nothing left to wait for. */
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(c);
		return;
	case CONN_FLUSH:
		return;
	case CONN_OPEN:
		break;
	}
	/* Half-closed by the peer: answer what it sent, then close. */
	if (c->ds->echo) {
		conn_read_cb(bev, c);
		conn_set_state(c, CONN_FLUSH);
		return;
	}
	conn_process(c);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct devsim *ds = arg;
	struct conn *c;

	(void)l;
	(void)sa;
	(void)salen;
	if (ds->nconns >= ds->maxconns) {
		log_warn("connection limit %zu reached: refusing",
		    ds->maxconns);
		evutil_closesocket(fd);
		return;
	}
	/* Small replies go out at once: latency benchmarks run on this. */
	net_nodelay(fd);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if ((c->bev = bufferevent_socket_new(ds->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->ds = ds;
	TAILQ_INSERT_TAIL(&ds->conns, c, entry);
	ds->nconns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, DEVSIM_IN_HIGH);
	bufferevent_setwatermark(c->bev, EV_WRITE, DEVSIM_OUT_LOW, 0);
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0)
		conn_free(c);
}

static void
relisten_cb(evutil_socket_t fd, short what, void *arg)
{
	struct devsim *ds = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(ds->listener);
}

/* accept() failed (out of descriptors): pause a second instead of spinning. */
static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct devsim *ds = arg;
	struct timeval tv = { 1, 0 };

	log_warn("accept: %s", strerror(errno));
	evconnlistener_disable(l);
	evtimer_add(ds->ev_relisten, &tv);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct devsim *ds = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(ds->base, NULL);
}

/* ---- the program -------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rsgate-devsim [--listen ADDR:PORT] [--name DEV] "
	    "[--model MODEL]\n"
	    "                     [--logs N] [--seed N] [--echo] "
	    "[--max-conns N]\n"
	    "                     [--pidfile FILE] [--stall-after N] "
	    "[--verbose]\n"
	    "       rsgate-devsim --alert ADDR:PORT --token-file FILE "
	    "[--name DEV] [--model M]\n"
	    "                     [--error-code CODE] [--severity SEV] "
	    "[--patient NAME]\n"
	    "       rsgate-devsim --syslog ADDR:PORT [--name DEV] [--model M] "
	    "[--error-code CODE]\n"
	    "                     [--patient NAME]\n"
	    "\n"
	    "A simulated medical device for rsgate's tests and demo: one TCP "
	    "service port.\n"
	    "\n"
	    "  -l, --listen ADDR:PORT  listen address (default 127.0.0.1:0; "
	    "port 0 picks\n"
	    "                          a free port); prints \"listening on "
	    "ADDR:PORT\"\n"
	    "  -n, --name DEV          device name in the HELLO banner "
	    "(default devsim-1)\n"
	    "  -m, --model MODEL       device model (default RSG-SIM-1)\n"
	    "  -L, --logs N            number of synthetic log files, 0..%d "
	    "(default 3)\n"
	    "  -B, --log-bytes N       pad each log to at least N bytes\n"
	    "  -s, --seed N            seed of the synthetic logs (default 1)\n"
	    "  -e, --echo              raw echo: every byte is sent back\n"
	    "  -c, --max-conns N       concurrent connections (default %d)\n"
	    "  -p, --pidfile FILE      write the process id to FILE\n"
	    "  --stall-after N         GET sends only the first N bytes of "
	    "the file and\n"
	    "                          then holds the connection (a stuck "
	    "device, tests)\n"
	    "  -v, --verbose           log connections to stderr\n"
	    "  -h, --help              this help\n"
	    "  --alert ADDR:PORT       post one failure alert to the access "
	    "point's\n"
	    "                          alert_listen and exit (0: accepted)\n"
	    "  --token-file FILE       the device's alert token (Bearer)\n"
	    "  --error-code CODE       default E-1001; --severity SEV default "
	    "critical\n"
	    "  --patient NAME          also send a synthetic patient name and "
	    "a comment,\n"
	    "                          which the access point must drop\n"
	    "  --syslog ADDR:PORT      send the alert as RFC 5424 syslog (UDP) "
	    "instead\n"
	    "\n"
	    "Line protocol (one command per line, at most %d bytes):\n"
	    "  HELLO      -> OK rsgate-devsim name=DEV model=MODEL\n"
	    "  ECHO TEXT  -> TEXT\n"
	    "  LIST       -> OK N, then N lines \"NAME SIZE\"\n"
	    "  GET NAME   -> OK SIZE, then SIZE bytes of the file\n"
	    "  QUIT       -> OK bye, and the connection closes\n"
	    "Errors are \"ERR reason\"; an over-long line gets \"ERR line too "
	    "long\" and\nthe connection closes. The logs hold fictitious "
	    "patient names and IDs.\n"
	    "SIGTERM or SIGINT stops the program (exit status 0).\n",
	    DEVSIM_LOGS_MAX, DEVSIM_CONNS_DEFAULT, DEVSIM_LINE_MAX);
}

/* "host:port" or "[v6]:port" with port 0..65535, numeric host only. */
static int
listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *ai = NULL;
	char host[64], port[8];
	const char *colon, *h, *he;
	uint64_t v;
	size_t hl;

	if ((colon = strrchr(s, ':')) == NULL)
		return RSG_ERR_FORMAT;
	h = s;
	he = colon;
	if (s[0] == '[') {
		if (colon == s || colon[-1] != ']')
			return RSG_ERR_FORMAT;
		h = s + 1;
		he = colon - 1;
	}
	hl = (size_t)(he - h);
	if (hl == 0 || hl >= sizeof(host))
		return RSG_ERR_FORMAT;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (parse_u64(colon + 1, 0, 65535, &v) != 0)
		return RSG_ERR_FORMAT;
	snprintf(port, sizeof(port), "%u", (unsigned)v);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return RSG_ERR_FORMAT;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void
addr_format(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(s4->sin_port));
	}
}

/* ---- failure alerts ------------------------------------------------------ */

struct alert_opts {
	const char *to;			/* the AP's alert_listen */
	const char *token_file;
	const char *code, *severity;
	const char *patient;		/* a synthetic patient name, or NULL */
};

/*
 * Post one failure alert to the access point (HTTP/1.1, JSON, the device's
 * bearer token) and print the reply. With a patient name the alert also
 * carries fields the AP must drop (docs/ALERTS.md). Exit status: 0 when
 * the AP accepted it (2xx), 1 otherwise.
 */
static int
alert_send(const struct devsim *ds, const struct alert_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct rsg_buf *tok = NULL, *reply = NULL;
	json_t *body = NULL;
	char *text = NULL, *req = NULL, comment[512], tv[DEVSIM_TOKEN_MAX + 1];
	char code[4];
	const char *p, *eol;
	size_t n, tl;
	ssize_t k;
	uint64_t status = 0;
	int fd = -1, ex = 1, len;
	uint8_t chunk[4096];

	if (listen_parse(o->to, &ss, &sslen) != 0) {
		fprintf(stderr, "rsgate-devsim: --alert: want ADDR:PORT\n");
		return 2;
	}
	if (file_read_all(o->token_file, DEVSIM_TOKEN_MAX + 2, &tok) != 0) {
		fprintf(stderr, "rsgate-devsim: cannot read the token file "
		    "%s\n", o->token_file);
		return 1;
	}
	tl = buf_len(tok);
	while (tl > 0 && (buf_ptr(tok)[tl - 1] == '\n' ||
	    buf_ptr(tok)[tl - 1] == '\r'))
		tl--;
	if (tl > DEVSIM_TOKEN_MAX)
		tl = DEVSIM_TOKEN_MAX;
	memcpy(tv, buf_ptr(tok), tl);
	tv[tl] = '\0';
	body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "device", ds->name,
	    "model", ds->model, "error_code", o->code, "severity", o->severity,
	    "message_id", "devsim-1");
	if (body != NULL && o->patient != NULL) {
		snprintf(comment, sizeof(comment), "scan of %s aborted",
		    o->patient);
		json_object_set_new(body, "patient_name",
		    json_string(o->patient));
		json_object_set_new(body, "comment", json_string(comment));
	}
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL ||
	    (len = asprintf(&req, "POST /v1/alerts HTTP/1.1\r\nHost: %s\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", o->to, tv,
	    strlen(text), text)) < 0) {
		req = NULL;
		fprintf(stderr, "rsgate-devsim: out of memory\n");
		goto out;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, sslen) != 0) {
		fprintf(stderr, "rsgate-devsim: cannot connect to %s: %s\n",
		    o->to, strerror(errno));
		goto out;
	}
	for (n = 0; n < (size_t)len; n += (size_t)k)
		if ((k = write(fd, req + n, (size_t)len - n)) <= 0) {
			fprintf(stderr, "rsgate-devsim: write: %s\n",
			    strerror(errno));
			goto out;
		}
	if ((reply = buf_new(DEVSIM_ALERT_REPLY_MAX)) == NULL)
		goto out;
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_put(reply, chunk, (size_t)k) != 0)
			break;
	if (buf_put_u8(reply, 0) != 0)
		goto out;
	p = (const char *)buf_ptr(reply);
	if (strncmp(p, "HTTP/1.", 7) == 0 && strlen(p) >= 12) {
		memcpy(code, p + 9, 3);
		code[3] = '\0';
	} else
		code[0] = '\0';
	if (parse_u64(code, 100, 599, &status) != 0) {
		fprintf(stderr, "rsgate-devsim: no HTTP reply from %s\n",
		    o->to);
		goto out;
	}
	eol = strstr(p, "\r\n\r\n");
	printf("alert: HTTP %llu %s", (unsigned long long)status,
	    eol != NULL ? eol + 4 : "\n");
	fflush(stdout);
	ex = status >= 200 && status <= 299 ? 0 : 1;
 out:
	if (fd >= 0)
		close(fd);
	mem_wipe(tv, sizeof(tv));
	if (req != NULL)
		mem_wipe(req, strlen(req));
	free(req);
	free(text);
	json_decref(body);
	buf_free(tok);
	buf_free(reply);
	return ex;
}

/* value with '"', '\' and ']' escaped for an SD-PARAM (RFC 5424 6.3.3). */
static void
sd_escape(const char *s, char *out, size_t outlen)
{
	size_t k = 0;

	for (; *s != '\0' && k + 3 < outlen; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k] = '\0';
}

/*
 * Send one failure alert as an RFC 5424 syslog datagram (the fields in the
 * SD element alert@32473; a patient name, if given, as a parameter and in
 * the free-text MSG, both of which the AP must drop).
 */
static int
alert_syslog(const struct devsim *ds, const struct alert_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char msg[2048], model[600], code[300], pat[600], ts[64];
	int fd, n;

	if (listen_parse(o->to, &ss, &sslen) != 0) {
		fprintf(stderr, "rsgate-devsim: --syslog: want ADDR:PORT\n");
		return 2;
	}
	sd_escape(ds->model, model, sizeof(model));
	sd_escape(o->code, code, sizeof(code));
	sd_escape(o->patient != NULL ? o->patient : "", pat, sizeof(pat));
	time_format_rfc3339(time_now_ms(), ts, sizeof(ts));
	/* local7 (23) and severity 2 (critical): PRI 186. */
	n = snprintf(msg, sizeof(msg), "<186>1 %s %s rsgate-devsim - "
	    "devsim-2 [alert@32473 error_code=\"%s\" model=\"%s\"%s%s%s] %s%s",
	    ts, ds->name, code, model, o->patient != NULL ?
	    " patient_name=\"" : "", pat, o->patient != NULL ? "\"" : "",
	    o->patient != NULL ? "scan aborted for " : "detector fault",
	    o->patient != NULL ? pat : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return 1;
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&ss, sslen) != n) {
		fprintf(stderr, "rsgate-devsim: cannot send to %s: %s\n",
		    o->to, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	printf("alert: syslog message sent to %s\n", o->to);
	return 0;
}

static void
devsim_done(struct devsim *ds)
{
	size_t i;

	while (!TAILQ_EMPTY(&ds->conns))
		conn_free(TAILQ_FIRST(&ds->conns));
	if (ds->listener != NULL)
		evconnlistener_free(ds->listener);
	if (ds->ev_term != NULL)
		event_free(ds->ev_term);
	if (ds->ev_int != NULL)
		event_free(ds->ev_int);
	if (ds->ev_relisten != NULL)
		event_free(ds->ev_relisten);
	if (ds->base != NULL)
		event_base_free(ds->base);
	for (i = 0; i < ds->nlogs; i++)
		buf_free(ds->logs[i].data);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "model", required_argument, NULL, 'm' },
		{ "logs", required_argument, NULL, 'L' },
		{ "log-bytes", required_argument, NULL, 'B' },
		{ "seed", required_argument, NULL, 's' },
		{ "echo", no_argument, NULL, 'e' },
		{ "max-conns", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "alert", required_argument, NULL, 'A' },
		{ "token-file", required_argument, NULL, 'K' },
		{ "error-code", required_argument, NULL, 'E' },
		{ "severity", required_argument, NULL, 'S' },
		{ "patient", required_argument, NULL, 'P' },
		{ "syslog", required_argument, NULL, 'Y' },
		{ "stall-after", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct alert_opts ao = { NULL, NULL, "E-1001", "critical", NULL };
	int syslog_mode = 0;
	const char *listen_addr = "127.0.0.1:0", *pidfile = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	uint64_t nlogs = 3, seed = 1, maxconns = DEVSIM_CONNS_DEFAULT, u;
	struct devsim ds;
	char addr[128], pid[32];
	int c, ex = 1, pid_written = 0;
	enum log_level level = LOG_LEVEL_WARN;
	size_t i;

	memset(&ds, 0, sizeof(ds));
	TAILQ_INIT(&ds.conns);
	ds.name = "devsim-1";
	ds.model = "RSG-SIM-1";
	while ((c = getopt_long(argc, argv, "l:n:m:L:B:s:ec:p:vh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_addr = optarg;
			break;
		case 'n':
			ds.name = optarg;
			break;
		case 'm':
			ds.model = optarg;
			break;
		case 'L':
			if (parse_u64(optarg, 0, DEVSIM_LOGS_MAX, &nlogs) != 0) {
				fprintf(stderr, "rsgate-devsim: --logs: want "
				    "0..%d\n", DEVSIM_LOGS_MAX);
				return 2;
			}
			break;
		case 'B':
			if (parse_u64(optarg, 0, DEVSIM_LOG_MAX - 256,
			    &u) != 0) {
				fprintf(stderr, "rsgate-devsim: --log-bytes: "
				    "want 0..%d\n", DEVSIM_LOG_MAX - 256);
				return 2;
			}
			log_min_bytes = (size_t)u;
			break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &seed) != 0) {
				fprintf(stderr, "rsgate-devsim: --seed: want "
				    "a number\n");
				return 2;
			}
			break;
		case 'e':
			ds.echo = 1;
			break;
		case 'c':
			if (parse_u64(optarg, 1, DEVSIM_CONNS_MAX,
			    &maxconns) != 0) {
				fprintf(stderr, "rsgate-devsim: --max-conns: "
				    "want 1..%d\n", DEVSIM_CONNS_MAX);
				return 2;
			}
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'T':
			if (parse_u64(optarg, 1, DEVSIM_LOG_MAX,
			    &ds.stall_after) != 0) {
				fprintf(stderr, "rsgate-devsim: --stall-after: "
				    "want 1..%d\n", DEVSIM_LOG_MAX);
				return 2;
			}
			break;
		case 'v':
			level = LOG_LEVEL_INFO;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'A':
			ao.to = optarg;
			break;
		case 'K':
			ao.token_file = optarg;
			break;
		case 'E':
			ao.code = optarg;
			break;
		case 'S':
			ao.severity = optarg;
			break;
		case 'P':
			ao.patient = optarg;
			break;
		case 'Y':
			ao.to = optarg;
			syslog_mode = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rsgate-devsim: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Names go into replies: keep them to one printable line. */
	for (i = 0; ds.name[i] != '\0'; i++)
		if ((unsigned char)ds.name[i] <= ' ')
			break;
	if (ds.name[i] != '\0' || i == 0 || i > 255 ||
	    strlen(ds.model) > 255) {
		fprintf(stderr, "rsgate-devsim: --name must be 1..255 "
		    "printable characters without spaces, --model one line\n");
		return 2;
	}
	for (i = 0; ds.model[i] != '\0'; i++)
		if ((unsigned char)ds.model[i] < ' ')
			break;
	if (ds.model[i] != '\0') {
		fprintf(stderr, "rsgate-devsim: --name must be 1..255 "
		    "printable characters without spaces, --model one line\n");
		return 2;
	}
	if (syslog_mode)
		return alert_syslog(&ds, &ao);
	if (ao.to != NULL || ao.token_file != NULL) {
		if (ao.to == NULL || ao.token_file == NULL) {
			fprintf(stderr, "rsgate-devsim: --alert needs "
			    "--token-file\n");
			return 2;
		}
		return alert_send(&ds, &ao);
	}
	if (listen_parse(listen_addr, &ss, &sslen) != 0) {
		fprintf(stderr, "rsgate-devsim: --listen: want ADDR:PORT with a "
		    "numeric address, got '%s'\n", listen_addr);
		return 2;
	}
	log_init("rsgate-devsim", level);
	signal(SIGPIPE, SIG_IGN);
	ds.maxconns = (size_t)maxconns;

	for (i = 0; i < nlogs; i++) {
		if (log_generate(&ds.logs[i], (unsigned)i, seed) != 0) {
			fprintf(stderr, "rsgate-devsim: out of memory\n");
			ds.nlogs = i + 1;
			goto out;
		}
	}
	ds.nlogs = (size_t)nlogs;
	if ((ds.base = event_base_new()) == NULL ||
	    (ds.ev_term = evsignal_new(ds.base, SIGTERM, signal_cb,
	    &ds)) == NULL ||
	    (ds.ev_int = evsignal_new(ds.base, SIGINT, signal_cb,
	    &ds)) == NULL ||
	    (ds.ev_relisten = evtimer_new(ds.base, relisten_cb, &ds)) == NULL ||
	    evsignal_add(ds.ev_term, NULL) != 0 ||
	    evsignal_add(ds.ev_int, NULL) != 0) {
		fprintf(stderr, "rsgate-devsim: cannot set up the event loop\n");
		goto out;
	}
	if ((ds.listener = evconnlistener_new_bind(ds.base, accept_cb, &ds,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    512, (struct sockaddr *)&ss, (int)sslen)) == NULL) {
		fprintf(stderr, "rsgate-devsim: cannot listen on %s: %s\n",
		    listen_addr, strerror(errno));
		goto out;
	}
	evconnlistener_set_error_cb(ds.listener, accept_error_cb);
	sslen = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(ds.listener),
	    (struct sockaddr *)&ss, &sslen) != 0) {
		fprintf(stderr, "rsgate-devsim: getsockname: %s\n",
		    strerror(errno));
		goto out;
	}
	addr_format(&ss, addr, sizeof(addr));
	if (pidfile != NULL) {
		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (file_write_atomic(pidfile, pid, strlen(pid), 0644, 0) != 0) {
			fprintf(stderr, "rsgate-devsim: cannot write %s\n",
			    pidfile);
			goto out;
		}
		pid_written = 1;
	}
	/* Tests read this line to learn the port: print it only now. */
	printf("listening on %s\n", addr);
	fflush(stdout);
	if (event_base_dispatch(ds.base) != 0) {
		fprintf(stderr, "rsgate-devsim: event loop failed\n");
		goto out;
	}
	ex = 0;
 out:
	devsim_done(&ds);
	if (pid_written)
		unlink(pidfile);
	return ex;
}
