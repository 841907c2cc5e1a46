/*
 * tunnel.c: build/bench/tunnel, the tunnel benchmark of issue 3. In one
 * run, on 127.0.0.1 only, it measures the same things through
 *
 *   direct   the client straight to the device
 *   rsgate   rsgate connect -> rsgate-hub (API, relay) -> rsgate-ap -> device,
 *            set up by bench/peer-bench-project.sh (throwaway CA, a
 *            standing policy); skipped with a message while the hub, the
 *            AP or `rsgate connect` are not built
 *
 * and then runs the peers of ../shared/tools/peer-bench (socat chain,
 * stunnel chain, OpenSSH ssh -J; our chain again as its `project` row) from
 * a copy in a temporary folder, so every ratio comes from one run on one
 * machine. Figures:
 *
 *   bulk      throughput each way, BENCH_BYTES (1 GiB) per run, median of
 *             BENCH_RUNS (3); the device is a sink/source built into this
 *             program (an echo device cannot measure one direction)
 *   latency   64-byte round trips on one connection, p50/p99/p99.9 over
 *             BENCH_PINGS (20,000), to rsgate-devsim --echo
 *   set-up    connect() until the first echoed byte, median of
 *             BENCH_CONNECTS (50)
 *   memory    VmRSS of the hub and of the AP (/proc/PID/status) before and
 *             with BENCH_STREAMS (1,000) idle streams open, per stream
 *
 * Usage: build/bench/tunnel [--quick] [--no-peers] [--no-rsgate]
 *            [--peers DIR] [--src DIR] [--build DIR]
 * A watchdog (BENCH_MAX_SECONDS, 1500) ends everything; every process it
 * starts is killed by process group on exit. Prints Markdown on stdout.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rsgate/util.h"

#define IO_CHUNK (256 * 1024)
#define OP_TIMEOUT_MS 10000		/* one connect, echo or round trip */
#define READY_TIMEOUT_MS 60000		/* a chain must echo within this */
#define KILL_GRACE_MS 5000
#define MAX_CHILDREN 8
#define PATH_LEN 4096
#define ROOT_LEN 1024			/* folders that paths are made from */

struct settings {
	uint64_t bytes;
	unsigned runs, pings, ping_size, connects, streams;
	unsigned bulk_timeout_s, max_seconds;
	int quick, peers, rsgate;
	char src[ROOT_LEN], build[ROOT_LEN], peers_dir[ROOT_LEN];
};

struct row {
	const char *name;
	int ok;				/* measured */
	char note[256];			/* why not, or a remark */
	double up_mbs, down_mbs;	/* MB/s, MB = 10^6 bytes */
	int bulk_cut;			/* a run hit the time bound */
	double p50_us, p99_us, p999_us;
	double setup_med_us, setup_p90_us;
	int have_mem;
	double hub_kib, ap_kib;		/* per idle stream */
	double hub_rss0, ap_rss0;	/* KiB before */
	unsigned streams_open;
};

static pid_t children[MAX_CHILDREN];	/* process group leaders */
static size_t n_children;
static char tmp_root[ROOT_LEN];

/* ---- small helpers ---- */

/* snprintf that may cut: paths here are far below the buffer sizes. */
static void RSG_PRINTF(3, 4)
fmt(char *out, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	if (vsnprintf(out, len, f, ap) < 0 && len > 0)
		out[0] = '\0';
	va_end(ap);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static unsigned
env_uint(const char *name, unsigned def, unsigned min, unsigned max)
{
	const char *s = getenv(name);
	uint64_t v;

	if (s == NULL || *s == '\0')
		return def;
	if (parse_u64(s, min, max, &v) != 0) {
		fprintf(stderr, "tunnel: %s=%s: want %u..%u\n", name, s, min,
		    max);
		exit(2);
	}
	return (unsigned)v;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values, q in (0, 1]. */
static uint64_t
pct(const uint64_t *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static void
kill_children(void)
{
	uint64_t deadline;
	size_t i;
	int st, alive;

	for (i = 0; i < n_children; i++)
		if (children[i] > 0)
			kill(-children[i], SIGTERM);
	deadline = now_ns() + (uint64_t)KILL_GRACE_MS * 1000000u;
	do {
		alive = 0;
		for (i = 0; i < n_children; i++) {
			if (children[i] <= 0)
				continue;
			if (waitpid(children[i], &st, WNOHANG) == children[i])
				children[i] = 0;
			else
				alive = 1;
		}
		if (alive)
			sleep_ms(50);
	} while (alive && now_ns() < deadline);
	for (i = 0; i < n_children; i++) {
		if (children[i] > 0) {
			kill(-children[i], SIGKILL);
			waitpid(children[i], &st, 0);
			children[i] = 0;
		}
	}
	/* Whatever else is left in their groups (daemons of the chain). */
	n_children = 0;
}

static void
child_forget(pid_t pid)
{
	size_t i;

	for (i = 0; i < n_children; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void
rm_tree(const char *path)
{
	pid_t pid;
	int st;

	if (path[0] == '\0')
		return;
	if ((pid = fork()) == 0) {
		execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static void
on_watchdog(int sig)
{
	static const char msg[] = "tunnel: watchdog: BENCH_MAX_SECONDS "
	    "reached, stopping\n";
	size_t i;

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do */
	}
	for (i = 0; i < n_children; i++)
		if (children[i] > 0)
			kill(-children[i], SIGKILL);
	_exit(3);
}

static void
on_term(int sig)
{
	size_t i;

	for (i = 0; i < n_children; i++)
		if (children[i] > 0)
			kill(-children[i], SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Start argv in its own process group (setsid), stdout and stderr to
 * files, with extra environment "K=V" strings. Returns the pid or -1.
 */
static pid_t
spawn(char *const argv[], const char *out, const char *err,
    char *const env[], const char *cwd)
{
	pid_t pid;
	int fd;
	size_t i;

	if (n_children >= MAX_CHILDREN)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		setsid();
		if (out != NULL && (fd = open(out, O_WRONLY | O_CREAT |
		    O_TRUNC, 0644)) >= 0) {
			dup2(fd, 1);
			close(fd);
		}
		if (err != NULL && (fd = open(err, O_WRONLY | O_CREAT |
		    O_TRUNC, 0644)) >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		for (i = 0; env != NULL && env[i] != NULL; i++)
			putenv(env[i]);
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	children[n_children++] = pid;
	return pid;
}

/* Wait for a line "PREFIXvalue" in file path; value into out. */
static int
wait_line(const char *path, const char *prefix, pid_t pid, unsigned ms,
    char *out, size_t outlen)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000u;
	char line[512];
	FILE *f;
	size_t n;
	int st;

	while (now_ns() < deadline) {
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), f) != NULL) {
				if (strncmp(line, prefix, strlen(prefix)) != 0)
					continue;
				n = strcspn(line + strlen(prefix), "\r\n");
				line[strlen(prefix) + n] = '\0';
				fclose(f);
				return str_copy(out, outlen, line +
				    strlen(prefix));
			}
			fclose(f);
		}
		if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
			child_forget(pid);
			return WIFEXITED(st) ? -WEXITSTATUS(st) - 1000 : -1;
		}
		sleep_ms(20);
	}
	return -1;
}

static int
port_from_addr(const char *addr, unsigned *port)
{
	const char *c = strrchr(addr, ':');
	uint64_t v;

	if (c == NULL || parse_u64(c + 1, 1, 65535, &v) != 0)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* A port the kernel says is free now (bind to 0, close). */
static unsigned
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	unsigned port = 0;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;

	fmt(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			v = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static pid_t
read_pidfile(const char *dir, const char *name)
{
	char path[PATH_LEN], buf[32];
	FILE *f;
	long v = -1;

	fmt(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v > 0 ? (pid_t)v : -1;
}

/* ---- sockets ---- */

static int
tcp_connect(unsigned port)
{
	struct sockaddr_in a;
	struct timeval tv = { OP_TIMEOUT_MS / 1000, 0 };
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, b, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t r;

	while (n > 0) {
		if ((r = recv(fd, b, n, 0)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Connect and get one byte echoed: the chain is up and serving. */
static int
echo_once(unsigned port)
{
	uint8_t c = 'x', d = 0;
	int fd, r = -1;

	if ((fd = tcp_connect(port)) < 0)
		return -1;
	if (write_all(fd, &c, 1) == 0 && read_all(fd, &d, 1) == 0 && d == c)
		r = 0;
	close(fd);
	return r;
}

/*
 * The bulk service answers no echo: ask it for one byte ('G', N = 1), which
 * proves the whole path to the bulk device is up.
 */
static int
bulk_probe(unsigned port)
{
	uint8_t hdr[9] = { 'G', 0, 0, 0, 0, 0, 0, 0, 1 }, d = 0;
	int fd, r = -1;

	if ((fd = tcp_connect(port)) < 0)
		return -1;
	if (write_all(fd, hdr, sizeof(hdr)) == 0 && read_all(fd, &d, 1) == 0)
		r = 0;
	close(fd);
	return r;
}

static int
wait_echo(unsigned port, unsigned ms)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000u;

	while (now_ns() < deadline) {
		if (echo_once(port) == 0)
			return 0;
		sleep_ms(100);
	}
	return -1;
}

/* ---- the bulk device: 'S' u64 N = sink N then 'K'; 'G' u64 N = source N ---- */

static void *
bulk_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t hdr[9], *buf = NULL;
	uint64_t n = 0;
	size_t chunk;
	ssize_t r;
	int i;

	if ((buf = malloc(IO_CHUNK)) == NULL)
		goto out;
	memset(buf, 0x5a, IO_CHUNK);
	if (read_all(fd, hdr, sizeof(hdr)) != 0)
		goto out;
	for (i = 1; i < 9; i++)
		n = n << 8 | hdr[i];
	if (hdr[0] == 'S') {
		while (n > 0) {
			chunk = n < IO_CHUNK ? (size_t)n : IO_CHUNK;
			if ((r = recv(fd, buf, chunk, 0)) <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				goto out;
			}
			n -= (uint64_t)r;
		}
		(void)write_all(fd, "K", 1);
	} else if (hdr[0] == 'G') {
		while (n > 0) {
			chunk = n < IO_CHUNK ? (size_t)n : IO_CHUNK;
			if (write_all(fd, buf, chunk) != 0)
				goto out;
			n -= chunk;
		}
		/* Wait for the client to close: all bytes are delivered. */
		(void)recv(fd, buf, 1, 0);
	}
 out:
	free(buf);
	close(fd);
	return NULL;
}

static void *
bulk_server(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd;
	pthread_t t;

	for (;;) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		if (pthread_create(&t, NULL, bulk_conn,
		    (void *)(intptr_t)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

static int
bulk_server_start(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	pthread_t t;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0 ||
	    pthread_create(&t, NULL, bulk_server, (void *)(intptr_t)fd) != 0) {
		close(fd);
		return -1;
	}
	pthread_detach(t);
	*port = ntohs(a.sin_port);
	return 0;
}

/* ---- measurements ---- */

/* One bulk run; MB/s, or < 0 on failure. *cut set if the time bound hit. */
static double
bulk_once(unsigned port, int up, uint64_t bytes, unsigned timeout_s, int *cut)
{
	uint8_t hdr[9], *buf = NULL, k;
	uint64_t t0, deadline, left = bytes, done = 0;
	size_t chunk;
	ssize_t r;
	double mbs = -1;
	int fd, i;

	if ((fd = tcp_connect(port)) < 0)
		return -1;
	if ((buf = malloc(IO_CHUNK)) == NULL)
		goto out;
	memset(buf, 0xa5, IO_CHUNK);
	hdr[0] = up ? 'S' : 'G';
	for (i = 0; i < 8; i++)
		hdr[1 + i] = (uint8_t)(bytes >> (56 - 8 * i));
	t0 = now_ns();
	deadline = t0 + (uint64_t)timeout_s * 1000000000u;
	if (write_all(fd, hdr, sizeof(hdr)) != 0)
		goto out;
	while (left > 0) {
		chunk = left < IO_CHUNK ? (size_t)left : IO_CHUNK;
		if (up)
			r = send(fd, buf, chunk, MSG_NOSIGNAL);
		else
			r = recv(fd, buf, chunk, 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			goto out;
		}
		left -= (uint64_t)r;
		done += (uint64_t)r;
		if (now_ns() > deadline) {
			*cut = 1;
			break;
		}
	}
	if (up && left == 0 && (read_all(fd, &k, 1) != 0 || k != 'K'))
		goto out;
	mbs = (double)done / 1e6 / ((double)(now_ns() - t0) / 1e9);
 out:
	free(buf);
	close(fd);
	return mbs;
}

static int
measure_bulk(const struct settings *s, unsigned port, struct row *row)
{
	double v[2][16];
	unsigned i, d;

	for (d = 0; d < 2; d++) {
		for (i = 0; i < s->runs; i++) {
			v[d][i] = bulk_once(port, d == 0, s->bytes,
			    s->bulk_timeout_s, &row->bulk_cut);
			if (v[d][i] < 0) {
				fmt(row->note, sizeof(row->note),
				    "bulk %s failed", d == 0 ? "up" : "down");
				return -1;
			}
		}
		qsort(v[d], s->runs, sizeof(double), cmp_double);
	}
	row->up_mbs = v[0][s->runs / 2];
	row->down_mbs = v[1][s->runs / 2];
	return 0;
}

static int
measure_ping(const struct settings *s, unsigned port, struct row *row)
{
	uint64_t *lat = NULL, t0;
	uint8_t out[1024], in[1024];
	unsigned i, warm = s->pings / 20 + 10;
	int fd = -1, r = -1;

	memset(out, 'p', sizeof(out));
	if ((lat = calloc(s->pings, sizeof(*lat))) == NULL ||
	    (fd = tcp_connect(port)) < 0)
		goto out;
	for (i = 0; i < warm + s->pings; i++) {
		t0 = now_ns();
		if (write_all(fd, out, s->ping_size) != 0 ||
		    read_all(fd, in, s->ping_size) != 0)
			goto out;
		if (i >= warm)
			lat[i - warm] = now_ns() - t0;
	}
	qsort(lat, s->pings, sizeof(*lat), cmp_u64);
	row->p50_us = (double)pct(lat, s->pings, 0.50) / 1e3;
	row->p99_us = (double)pct(lat, s->pings, 0.99) / 1e3;
	row->p999_us = (double)pct(lat, s->pings, 0.999) / 1e3;
	r = 0;
 out:
	if (r != 0)
		fmt(row->note, sizeof(row->note), "round trips failed");
	if (fd >= 0)
		close(fd);
	free(lat);
	return r;
}

static int
measure_setup(const struct settings *s, unsigned port, struct row *row)
{
	uint64_t v[1000], t0;
	uint8_t c = 'c', d;
	unsigned i, n = s->connects;
	int fd;

	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if ((fd = tcp_connect(port)) < 0)
			goto fail;
		if (write_all(fd, &c, 1) != 0 || read_all(fd, &d, 1) != 0) {
			close(fd);
			goto fail;
		}
		v[i] = now_ns() - t0;
		close(fd);
	}
	qsort(v, n, sizeof(v[0]), cmp_u64);
	row->setup_med_us = (double)v[n / 2] / 1e3;
	row->setup_p90_us = (double)pct(v, n, 0.90) / 1e3;
	return 0;
 fail:
	fmt(row->note, sizeof(row->note), "set-up %u failed", i + 1);
	return -1;
}

/*
 * Open idle streams one after another (each confirmed by an echoed byte),
 * then read VmRSS of hub and AP; the difference per stream.
 */
static int
measure_memory(const struct settings *s, unsigned port, pid_t hub, pid_t ap,
    struct row *row)
{
	int *fds = NULL;
	long h0, a0, h1, a1;
	unsigned i, n = 0;
	uint8_t c = 'm', d;
	int fd, r = -1;

	if ((fds = calloc(s->streams, sizeof(*fds))) == NULL)
		return -1;
	h0 = rss_kib(hub);
	a0 = rss_kib(ap);
	for (i = 0; i < s->streams; i++) {
		if ((fd = tcp_connect(port)) < 0)
			break;
		if (write_all(fd, &c, 1) != 0 || read_all(fd, &d, 1) != 0) {
			close(fd);
			break;
		}
		fds[n++] = fd;
	}
	sleep_ms(1000);
	h1 = rss_kib(hub);
	a1 = rss_kib(ap);
	row->streams_open = n;
	if (n < s->streams)
		fmt(row->note, sizeof(row->note), "only %u of %u idle "
		    "streams opened", n, s->streams);
	if (n > 0 && h0 > 0 && a0 > 0 && h1 > 0 && a1 > 0) {
		row->have_mem = 1;
		row->hub_rss0 = (double)h0;
		row->ap_rss0 = (double)a0;
		row->hub_kib = (double)(h1 - h0) / n;
		row->ap_kib = (double)(a1 - a0) / n;
		r = 0;
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	/* Let the chain tear the streams down before the next phase. */
	sleep_ms(n > 0 ? 2000 : 0);
	return r;
}

static void
measure_row(const struct settings *s, struct row *row, unsigned echo_port,
    unsigned bulk_port, pid_t hub, pid_t ap)
{
	if (hub > 0 && ap > 0)
		(void)measure_memory(s, echo_port, hub, ap, row);
	fprintf(stderr, "tunnel: %s: round trips\n", row->name);
	if (measure_ping(s, echo_port, row) != 0)
		return;
	fprintf(stderr, "tunnel: %s: set-up\n", row->name);
	if (measure_setup(s, echo_port, row) != 0)
		return;
	fprintf(stderr, "tunnel: %s: bulk\n", row->name);
	if (measure_bulk(s, bulk_port, row) != 0)
		return;
	row->ok = 1;
}

/* ---- the rsgate chain ---- */

static int
rsgate_missing(const struct settings *s, char *why, size_t len)
{
	static const char *const bins[] = { "rsgate", "rsgate-hub",
		"rsgate-ap" };
	char path[PATH_LEN], cmd[PATH_LEN + 64];
	size_t i;

	for (i = 0; i < 3; i++) {
		fmt(path, sizeof(path), "%s/%s", s->build, bins[i]);
		if (access(path, X_OK) != 0) {
			fmt(why, len, "skipped: %s is not built yet",
			    bins[i]);
			return 1;
		}
	}
	fmt(cmd, sizeof(cmd), "'%s/rsgate' connect --help "
	    ">/dev/null 2>&1", s->build);
	if (system(cmd) != 0) {
		fmt(why, len, "skipped: `rsgate connect` is not built "
		    "yet");
		return 1;
	}
	return 0;
}

static void
run_rsgate(const struct settings *s, unsigned echo_dev, unsigned bulk_dev,
    struct row *row)
{
	char dir[PATH_LEN], script[PATH_LEN], out[PATH_LEN], err[PATH_LEN];
	char e[6][PATH_LEN + 64], v[200];
	char *env[7], *argv[3];
	unsigned lport = free_port(), bport = free_port();
	pid_t pid, hub, ap;
	int r;

	if (rsgate_missing(s, row->note, sizeof(row->note)))
		return;
	fmt(dir, sizeof(dir), "%s/chain", tmp_root);
	fmt(script, sizeof(script), "%s/bench/peer-bench-project.sh",
	    s->src);
	fmt(out, sizeof(out), "%s/chain.out", tmp_root);
	fmt(err, sizeof(err), "%s/chain.err", tmp_root);
	if (mkdir(dir, 0700) != 0 || lport == 0 || bport == 0) {
		fmt(row->note, sizeof(row->note), "cannot prepare %s",
		    dir);
		return;
	}
	fmt(e[0], sizeof(e[0]), "BENCH_TMP=%s", dir);
	fmt(e[1], sizeof(e[1]), "BENCH_DEVICE_PORT=%u", echo_dev);
	fmt(e[2], sizeof(e[2]), "BENCH_LOCAL_PORT=%u", lport);
	fmt(e[3], sizeof(e[3]), "RSG_BENCH_BULK_PORT=%u", bulk_dev);
	fmt(e[4], sizeof(e[4]), "RSG_BENCH_BULK_LOCAL_PORT=%u", bport);
	fmt(e[5], sizeof(e[5]), "RSG_BUILD=%s", s->build);
	for (r = 0; r < 6; r++)
		env[r] = e[r];
	env[6] = NULL;
	argv[0] = (char *)"sh";
	argv[1] = script;
	argv[2] = NULL;
	fprintf(stderr, "tunnel: rsgate: setting up the chain\n");
	if ((pid = spawn(argv, out, err, env, NULL)) < 0) {
		fmt(row->note, sizeof(row->note), "cannot start %s",
		    script);
		return;
	}
	fmt(out, sizeof(out), "%s/ready", dir);
	r = 0;
	{
		uint64_t deadline = now_ns() + (uint64_t)READY_TIMEOUT_MS *
		    1000000u;
		int st;

		while (access(out, F_OK) != 0) {
			if (waitpid(pid, &st, WNOHANG) == pid) {
				child_forget(pid);
				r = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
				if (r == 0)
					r = 1;
				break;
			}
			if (now_ns() > deadline) {
				r = 1;
				break;
			}
			sleep_ms(50);
		}
	}
	if (r == 0 && (wait_echo(lport, READY_TIMEOUT_MS) != 0 ||
	    bulk_probe(bport) != 0))
		r = 1;
	if (r != 0) {
		fmt(row->note, sizeof(row->note), "%s: the chain did not "
		    "come up (see %s, %s/*.err)", r == 77 ? "skipped" :
		    "failed", err, dir);
		if (r == 77 && wait_line(err, "peer-bench-project: skipped: ",
		    0, 10, v, sizeof(v)) == 0)
			fmt(row->note, sizeof(row->note), "skipped: %s",
			    v);
		kill_children();
		return;
	}
	hub = read_pidfile(dir, "hub.pid");
	ap = read_pidfile(dir, "ap.pid");
	fprintf(stderr, "tunnel: rsgate: %u idle streams\n", s->streams);
	measure_row(s, row, lport, bport, hub, ap);
	kill_children();
}

/* ---- peer-bench ---- */

static void
run_peers(const struct settings *s, int with_project)
{
	char dir[PATH_LEN], cmd[3 * PATH_LEN], setup[2 * PATH_LEN];
	char report[PATH_LEN];
	char e[3][2 * PATH_LEN + 64], *env[4], *argv[8];
	pid_t pid;
	int st, i = 0;

	fmt(dir, sizeof(dir), "%s/peer-bench", tmp_root);
	fmt(cmd, sizeof(cmd), "cp -r '%s' '%s' && chmod -R u+w '%s'",
	    s->peers_dir, dir, dir);
	if (system(cmd) != 0) {
		printf("\npeer-bench: cannot copy %s\n", s->peers_dir);
		return;
	}
	fmt(report, sizeof(report), "%s/report.md", dir);
	fmt(setup, sizeof(setup), "exec sh '%s/bench/peer-bench-project.sh'",
	    s->src);
	fmt(e[0], sizeof(e[0]), "PROJECT_CHAIN_SETUP=%s", setup);
	fmt(e[1], sizeof(e[1]), "PROJECT_CHAIN_NAME=rsgate");
	fmt(e[2], sizeof(e[2]), "RSG_BUILD=%s", s->build);
	env[0] = e[0];
	env[1] = e[1];
	env[2] = e[2];
	env[3] = NULL;
	argv[i++] = (char *)"./run.sh";
	argv[i++] = (char *)"-o";
	argv[i++] = report;
	if (!with_project) {
		argv[i++] = (char *)"--chains";
		argv[i++] = (char *)"direct socat stunnel-aes128gcm "
		    "stunnel-chacha20 ssh-chacha20 ssh-aes128gcm";
	}
	if (s->quick)
		argv[i++] = (char *)"--quick";
	argv[i] = NULL;
	fprintf(stderr, "tunnel: peer-bench (a copy in %s)\n", dir);
	fflush(stdout);
	/* Its own stdout (the report) goes to ours; progress to stderr. */
	if ((pid = spawn(argv, NULL, NULL, env, dir)) < 0) {
		printf("\npeer-bench: cannot start run.sh\n");
		return;
	}
	if (waitpid(pid, &st, 0) == pid)
		child_forget(pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("\npeer-bench: run.sh failed (status %d); is "
		    "./deps.sh installed (socat, stunnel4, openssh)?\n",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- report ---- */

static void
cmd_out(const char *cmd, char *out, size_t len)
{
	FILE *f;

	out[0] = '\0';
	if ((f = popen(cmd, "r")) == NULL)
		return;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

static void
print_header(const struct settings *s)
{
	char cpu[256] = "", line[512], date[64], commit[128], cmd[PATH_LEN + 64];
	struct utsname u;
	FILE *f;
	time_t t = time(NULL);
	struct tm tm;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "model name", 10) == 0) {
				const char *c = strchr(line, ':');

				if (c != NULL && str_copy(cpu, sizeof(cpu),
				    c + 2) == 0)
					cpu[strcspn(cpu, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	uname(&u);
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	fmt(cmd, sizeof(cmd), "git -C '%s' describe --always --dirty "
	    "2>/dev/null", s->src);
	cmd_out(cmd, commit, sizeof(commit));
	printf("## rsgate tunnel benchmark\n\n");
	printf("- date: %s; commit: %s\n", date, commit[0] ? commit : "?");
	printf("- machine: %s, %ld cores, %s %s\n", cpu[0] ? cpu : "?",
	    sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release);
	printf("- bulk %.0f MiB each way, median of %u; %u round trips of %u "
	    "bytes; set-up median of %u; memory with %u idle streams\n\n",
	    (double)s->bytes / 1048576.0, s->runs, s->pings, s->ping_size,
	    s->connects, s->streams);
}

static void
print_rows(const struct row *rows, size_t n)
{
	const struct row *d = &rows[0], *r;
	size_t i;

	printf("| chain | up MB/s | down MB/s | RTT p50 µs | p99 µs | "
	    "p99.9 µs | set-up p50 µs (p90) | hub KiB/stream | AP "
	    "KiB/stream | notes |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (i = 0; i < n; i++) {
		r = &rows[i];
		if (!r->ok) {
			printf("| %s | – | – | – | – | – | – | – | – | %s |\n",
			    r->name, r->note);
			continue;
		}
		printf("| %s | %.0f (%.2f) | %.0f (%.2f) | %.1f | %.1f | %.1f "
		    "| %.0f (%.0f) |", r->name, r->up_mbs,
		    r->up_mbs / d->up_mbs, r->down_mbs,
		    r->down_mbs / d->down_mbs, r->p50_us, r->p99_us,
		    r->p999_us, r->setup_med_us, r->setup_p90_us);
		if (r->have_mem)
			printf(" %.1f | %.1f |", r->hub_kib, r->ap_kib);
		else
			printf(" – | – |");
		if (r->have_mem)
			printf(" %u streams; RSS before: hub %.0f KiB, AP "
			    "%.0f KiB", r->streams_open, r->hub_rss0,
			    r->ap_rss0);
		printf("%s%s%s |\n", r->have_mem && r->note[0] ? "; " : "",
		    r->note, r->bulk_cut ? " (a bulk run hit the time bound)" :
		    "");
	}
	printf("\nRatios in brackets are to `direct` (same run). Goals "
	    "(issue 3): throughput >= 3x ssh -J and >= 1.5x the stunnel chain, "
	    "p99.9 <= 1 ms, p50 and set-up <= the stunnel chain's, <= 64 KiB "
	    "per idle stream in each of hub and AP; the peers' rows follow.\n\n");
}

static void
usage(void)
{
	fprintf(stderr, "usage: tunnel [--quick] [--no-peers] [--no-rsgate] "
	    "[--peers DIR] [--src DIR] [--build DIR]\n"
	    "environment: BENCH_BYTES BENCH_RUNS BENCH_PINGS BENCH_PING_SIZE "
	    "BENCH_CONNECTS BENCH_STREAMS\n"
	    "             BENCH_BULK_TIMEOUT BENCH_MAX_SECONDS TMPDIR\n");
	exit(2);
}

static void
settings_init(struct settings *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "no-peers", no_argument, NULL, 'P' },
		{ "no-rsgate", no_argument, NULL, 'R' },
		{ "peers", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "build", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char exe[PATH_LEN], file[PATH_LEN], *rp;
	const char *v;
	uint64_t b;
	ssize_t n;
	int c;

	memset(s, 0, sizeof(*s));
	s->peers = s->rsgate = 1;
	/* The build folder: this program is BUILD/bench/tunnel. */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		fmt(s->build, sizeof(s->build), "%s",
		    dirname(dirname(exe)));
	}
	/* The source folder: CMake compiles us by absolute path. */
	if (str_copy(file, sizeof(file), __FILE__) == 0)
		fmt(s->src, sizeof(s->src), "%s", dirname(dirname(file)));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			s->quick = 1;
			break;
		case 'P':
			s->peers = 0;
			break;
		case 'R':
			s->rsgate = 0;
			break;
		case 'p':
			fmt(s->peers_dir, sizeof(s->peers_dir), "%s",
			    optarg);
			break;
		case 's':
			fmt(s->src, sizeof(s->src), "%s", optarg);
			break;
		case 'b':
			fmt(s->build, sizeof(s->build), "%s", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (s->peers_dir[0] == '\0')
		fmt(s->peers_dir, sizeof(s->peers_dir),
		    "%s/../shared/tools/peer-bench", s->src);
	if ((rp = realpath(s->peers_dir, NULL)) != NULL) {
		fmt(s->peers_dir, sizeof(s->peers_dir), "%s", rp);
		free(rp);
	}
	s->bytes = s->quick ? 256u << 20 : 1u << 30;
	if ((v = getenv("BENCH_BYTES")) != NULL && *v != '\0') {
		if (parse_u64(v, 1, UINT64_C(1) << 40, &b) != 0) {
			fprintf(stderr, "tunnel: BENCH_BYTES=%s: want 1..2^40\n",
			    v);
			exit(2);
		}
		s->bytes = b;
	}
	s->runs = env_uint("BENCH_RUNS", s->quick ? 1 : 3, 1, 15);
	s->pings = env_uint("BENCH_PINGS", s->quick ? 2000 : 20000, 10,
	    10000000);
	s->ping_size = env_uint("BENCH_PING_SIZE", 64, 1, 1024);
	s->connects = env_uint("BENCH_CONNECTS", s->quick ? 10 : 50, 1, 1000);
	s->streams = env_uint("BENCH_STREAMS", s->quick ? 100 : 1000, 1,
	    20000);
	s->bulk_timeout_s = env_uint("BENCH_BULK_TIMEOUT", 60, 1, 3600);
	s->max_seconds = env_uint("BENCH_MAX_SECONDS", 1500, 10, 86400);
}

int
main(int argc, char **argv)
{
	struct settings s;
	struct row rows[2];
	struct rlimit rl;
	char devsim[PATH_LEN], out[PATH_LEN], err[PATH_LEN], addr[128];
	char *dargv[8];
	const char *tmp = getenv("TMPDIR");
	unsigned echo_port = 0, bulk_port = 0;
	pid_t pid;
	int have_chain = 0;

	settings_init(&s, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_watchdog);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	alarm(s.max_seconds);

	/* Each idle stream holds descriptors here, in hub, AP and client. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)s.streams * 2 + 256) {
			s.streams = rl.rlim_cur > 512 ?
			    (unsigned)(rl.rlim_cur - 256) / 2 : 100;
			fprintf(stderr, "tunnel: open-file limit %lu: %u idle "
			    "streams\n", (unsigned long)rl.rlim_cur, s.streams);
		}
	}
	fmt(tmp_root, sizeof(tmp_root), "%s/rsgate-bench.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(tmp_root) == NULL) {
		fprintf(stderr, "tunnel: mkdtemp: %s\n", strerror(errno));
		return 1;
	}

	memset(rows, 0, sizeof(rows));
	rows[0].name = "direct";
	rows[1].name = "rsgate";

	/* The devices: rsgate-devsim --echo, and the bulk sink/source. */
	fmt(devsim, sizeof(devsim), "%s/rsgate-devsim", s.build);
	fmt(out, sizeof(out), "%s/devsim.out", tmp_root);
	fmt(err, sizeof(err), "%s/devsim.err", tmp_root);
	dargv[0] = devsim;
	dargv[1] = (char *)"--echo";
	dargv[2] = (char *)"--listen";
	dargv[3] = (char *)"127.0.0.1:0";
	dargv[4] = (char *)"--max-conns";
	dargv[5] = (char *)"100000";
	dargv[6] = NULL;
	if ((pid = spawn(dargv, out, err, NULL, NULL)) < 0 ||
	    wait_line(out, "listening on ", pid, 10000, addr,
	    sizeof(addr)) != 0 || port_from_addr(addr, &echo_port) != 0) {
		fprintf(stderr, "tunnel: %s did not start (see %s)\n", devsim,
		    err);
		kill_children();
		return 1;
	}
	if (bulk_server_start(&bulk_port) != 0) {
		fprintf(stderr, "tunnel: cannot start the bulk device\n");
		kill_children();
		return 1;
	}

	fprintf(stderr, "tunnel: direct\n");
	measure_row(&s, &rows[0], echo_port, bulk_port, 0, 0);
	if (!rows[0].ok) {
		fprintf(stderr, "tunnel: the direct row failed: %s\n",
		    rows[0].note);
		kill_children();
		return 1;
	}
	if (s.rsgate) {
		run_rsgate(&s, echo_port, bulk_port, &rows[1]);
		have_chain = rows[1].ok;
		/* run_rsgate stopped devsim too; the direct row is done. */
	} else
		fmt(rows[1].note, sizeof(rows[1].note), "skipped "
		    "(--no-rsgate)");
	kill_children();

	print_header(&s);
	print_rows(rows, 2);
	if (s.peers) {
		if (access(s.peers_dir, R_OK) != 0)
			printf("\npeer-bench: %s not found (--peers DIR)\n",
			    s.peers_dir);
		else
			run_peers(&s, have_chain);
	}
	kill_children();
	if (getenv("BENCH_KEEP_TMP") == NULL)
		rm_tree(tmp_root);
	else
		fprintf(stderr, "tunnel: kept %s\n", tmp_root);
	return 0;
}
