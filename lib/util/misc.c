/*
 * misc.c: small helpers every module needs: bounded string copy, hex,
 * wiping secrets, constant-time compare, clocks, atomic file writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rsgate/util.h"

int
str_field_ok(const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
str_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n;

	if (dstlen == 0)
		return RSG_ERR_LIMIT;
	n = strlen(src);
	if (n >= dstlen) {
		memcpy(dst, src, dstlen - 1);
		dst[dstlen - 1] = '\0';
		return RSG_ERR_LIMIT;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

char *
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * n] = '\0';
	return out;
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return RSG_ERR_FORMAT;
	for (i = 0; i < n; i++) {
		hi = hex_val(s[2 * i]);
		lo = hex_val(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return RSG_ERR_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
mem_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

int
mem_equal_ct(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d;
}

int64_t
time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
time_format_rfc3339(int64_t ms, char *out, size_t outlen)
{
	struct tm tm;
	time_t t;
	int64_t frac;

	t = (time_t)(ms / 1000);
	frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		t--;
	}
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, outlen, "invalid-time");
		return out;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
	return out;
}

static int
write_full(int fd, const void *p, size_t len)
{
	const uint8_t *d = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, d, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return RSG_ERR_IO;
		}
		d += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_write_atomic(const char *path, const void *p, size_t len, unsigned mode,
    int excl)
{
	char *tmp = NULL, *dcopy = NULL;
	size_t plen;
	int fd = -1, dfd = -1, r = RSG_ERR_IO;

	if (excl && access(path, F_OK) == 0)
		return RSG_ERR_EXISTS;
	plen = strlen(path);
	if ((tmp = malloc(plen + 16)) == NULL)
		return RSG_ERR_NOMEM;
	snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		return RSG_ERR_IO;
	}
	/* mkstemp makes 0600; widen only if asked (never for keys). */
	if (fchmod(fd, (mode_t)mode) != 0)
		goto out;
	if ((r = write_full(fd, p, len)) != 0)
		goto out;
	r = RSG_ERR_IO;
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (excl) {
		/* link() fails if path appeared meanwhile: no overwrite race. */
		if (link(tmp, path) != 0) {
			r = errno == EEXIST ? RSG_ERR_EXISTS : RSG_ERR_IO;
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	if ((dcopy = strdup(path)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if ((dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dcopy);
	return r;
}

int
file_read_all(const char *path, size_t max, struct rsg_buf **out)
{
	struct rsg_buf *b = NULL;
	uint8_t chunk[8192];
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? RSG_ERR_NOT_FOUND : RSG_ERR_IO;
	if ((b = buf_new(max)) == NULL) {
		close(fd);
		return RSG_ERR_NOMEM;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = RSG_ERR_IO;
			goto fail;
		}
		if (n == 0)
			break;
		if ((r = buf_put(b, chunk, (size_t)n)) != 0)
			goto fail;
	}
	close(fd);
	mem_wipe(chunk, sizeof(chunk));
	*out = b;
	return 0;
 fail:
	close(fd);
	mem_wipe(chunk, sizeof(chunk));
	buf_free(b);
	return r;
}

void
net_nodelay(int fd)
{
	int one = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
}
