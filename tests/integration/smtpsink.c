/*
 * smtpsink.c: a tiny SMTP server for the tests and the demo. It listens on
 * a loopback address, serves one client at a time, and writes every
 * message it accepts to DIR/msg-PID-N.eml (atomically), preceded by
 * "X-Sink-From:", "X-Sink-To:" and "X-Sink-TLS: yes|no" lines. With
 * --tls CERT KEY it offers STARTTLS (and --require-tls refuses MAIL before
 * it). With --http it is instead a webhook receiver: each HTTP request is
 * stored as DIR/hook-PID-N.txt (request line, headers, body) and answered
 * 204. Prints "listening on HOST:PORT"; SIGTERM ends it.
 *
 *	smtpsink [-l 127.0.0.1:0] -d DIR [--tls CERT KEY [--require-tls]]
 *	smtpsink --http [-l 127.0.0.1:0] -d DIR
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rsgate/util.h"

#define SINK_LINE_MAX 1000		/* RFC 5321 text line */
#define SINK_MSG_MAX (1024 * 1024)
#define SINK_IO_TIMEOUT_S 20

struct sess {
	int fd;
	SSL *ssl;
	char in[4096];
	size_t inlen;
};

static int
sess_write(struct sess *s, const char *p)
{
	size_t n = strlen(p);

	if (s->ssl != NULL)
		return SSL_write(s->ssl, p, (int)n) == (int)n ? 0 : -1;
	return write(s->fd, p, n) == (ssize_t)n ? 0 : -1;
}

/* One line without CRLF into line (max bytes); -1 on EOF or error. */
static int
sess_line(struct sess *s, char *line, size_t max)
{
	char *nl;
	ssize_t n;
	size_t l;

	for (;;) {
		if ((nl = memchr(s->in, '\n', s->inlen)) != NULL) {
			l = (size_t)(nl - s->in);
			if (l >= max)
				return -1;
			memcpy(line, s->in, l);
			line[l] = '\0';
			if (l > 0 && line[l - 1] == '\r')
				line[l - 1] = '\0';
			memmove(s->in, nl + 1, s->inlen - l - 1);
			s->inlen -= l + 1;
			return 0;
		}
		if (s->inlen == sizeof(s->in))
			return -1;
		n = s->ssl != NULL ? SSL_read(s->ssl, s->in + s->inlen,
		    (int)(sizeof(s->in) - s->inlen)) : read(s->fd,
		    s->in + s->inlen, sizeof(s->in) - s->inlen);
		if (n <= 0)
			return -1;
		s->inlen += (size_t)n;
	}
}

static int
starts(const char *line, const char *word)
{
	return strncasecmp(line, word, strlen(word)) == 0;
}

static void
serve(int fd, SSL_CTX *ctx, int require_tls, const char *dir,
    unsigned *count)
{
	struct sess s;
	struct rsg_buf *msg = NULL;
	char line[SINK_LINE_MAX + 1], path[4096];
	const char *p;
	int tls = 0;

	memset(&s, 0, sizeof(s));
	s.fd = fd;
	if ((msg = buf_new(SINK_MSG_MAX)) == NULL)
		return;
	if (sess_write(&s, "220 smtpsink ready\r\n") != 0)
		goto out;
	while (sess_line(&s, line, sizeof(line)) == 0) {
		if (starts(line, "EHLO")) {
			if (sess_write(&s, "250-smtpsink\r\n") != 0 ||
			    (ctx != NULL && !tls &&
			    sess_write(&s, "250-STARTTLS\r\n") != 0) ||
			    sess_write(&s, "250 8BITMIME\r\n") != 0)
				goto out;
		} else if (starts(line, "HELO")) {
			(void)sess_write(&s, "250 smtpsink\r\n");
		} else if (starts(line, "STARTTLS") && ctx != NULL && !tls) {
			if (sess_write(&s, "220 go ahead\r\n") != 0 ||
			    (s.ssl = SSL_new(ctx)) == NULL ||
			    SSL_set_fd(s.ssl, fd) != 1 || s.inlen != 0 ||
			    SSL_accept(s.ssl) != 1) {
				fprintf(stderr, "smtpsink: TLS handshake "
				    "failed\n");
				goto out;
			}
			tls = 1;
		} else if (starts(line, "MAIL FROM:")) {
			if (require_tls && !tls) {
				(void)sess_write(&s, "530 STARTTLS first\r\n");
				continue;
			}
			buf_reset(msg);
			if (buf_putf(msg, "X-Sink-TLS: %s\r\nX-Sink-From: %s\r\n",
			    tls ? "yes" : "no", line + 10) != 0)
				goto out;
			(void)sess_write(&s, "250 OK\r\n");
		} else if (starts(line, "RCPT TO:")) {
			if (buf_putf(msg, "X-Sink-To: %s\r\n", line + 8) != 0)
				goto out;
			(void)sess_write(&s, "250 OK\r\n");
		} else if (starts(line, "DATA")) {
			if (sess_write(&s, "354 end with .\r\n") != 0)
				goto out;
			while (sess_line(&s, line, sizeof(line)) == 0 &&
			    strcmp(line, ".") != 0) {
				p = line[0] == '.' ? line + 1 : line;
				if (buf_putf(msg, "%s\r\n", p) != 0)
					goto out;
			}
			/* The pid keeps a restarted sink's files apart. */
			snprintf(path, sizeof(path), "%s/msg-%ld-%u.eml", dir,
			    (long)getpid(), ++*count);
			if (file_write_atomic(path, buf_ptr(msg), buf_len(msg),
			    0644, 0) != 0) {
				(void)sess_write(&s, "451 cannot store\r\n");
				continue;
			}
			printf("message %u stored\n", *count);
			fflush(stdout);
			(void)sess_write(&s, "250 OK stored\r\n");
		} else if (starts(line, "RSET") || starts(line, "NOOP")) {
			(void)sess_write(&s, "250 OK\r\n");
		} else if (starts(line, "QUIT")) {
			(void)sess_write(&s, "221 bye\r\n");
			break;
		} else
			(void)sess_write(&s, "502 not implemented\r\n");
	}
 out:
	if (s.ssl != NULL) {
		SSL_shutdown(s.ssl);
		SSL_free(s.ssl);
	}
	buf_free(msg);
}

/* One HTTP request: stored with its headers and body, answered 204. */
static void
serve_http(int fd, const char *dir, unsigned *count)
{
	struct sess s;
	struct rsg_buf *msg = NULL;
	char line[SINK_LINE_MAX + 1], path[4096];
	uint64_t clen = 0;
	size_t take;
	ssize_t n;

	memset(&s, 0, sizeof(s));
	s.fd = fd;
	if ((msg = buf_new(SINK_MSG_MAX)) == NULL)
		return;
	while (sess_line(&s, line, sizeof(line)) == 0 && line[0] != '\0') {
		if (strncasecmp(line, "Content-Length:", 15) == 0 &&
		    parse_u64(line + 15 + strspn(line + 15, " "), 0,
		    SINK_MSG_MAX / 2, &clen) != 0)
			goto out;
		if (buf_putf(msg, "%s\n", line) != 0)
			goto out;
	}
	if (buf_putf(msg, "\n") != 0)
		goto out;
	while (clen > 0) {
		if (s.inlen == 0) {
			if ((n = read(fd, s.in, sizeof(s.in))) <= 0)
				goto out;
			s.inlen = (size_t)n;
		}
		take = s.inlen < clen ? s.inlen : (size_t)clen;
		if (buf_put(msg, s.in, take) != 0)
			goto out;
		memmove(s.in, s.in + take, s.inlen - take);
		s.inlen -= take;
		clen -= take;
	}
	snprintf(path, sizeof(path), "%s/hook-%ld-%u.txt", dir, (long)getpid(),
	    ++*count);
	if (file_write_atomic(path, buf_ptr(msg), buf_len(msg), 0644, 0) != 0)
		goto out;
	printf("request %u stored\n", *count);
	fflush(stdout);
	(void)sess_write(&s, "HTTP/1.1 204 No Content\r\nConnection: close"
	    "\r\n\r\n");
 out:
	buf_free(msg);
}

int
main(int argc, char **argv)
{
	const char *listen_at = "127.0.0.1:0", *dir = NULL, *cert = NULL;
	const char *key = NULL, *colon;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct timeval tv = { SINK_IO_TIMEOUT_S, 0 };
	SSL_CTX *ctx = NULL;
	char host[64];
	uint64_t port;
	unsigned count = 0;
	int i, lfd, fd, one = 1, require_tls = 0, http = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
			listen_at = argv[++i];
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
			cert = argv[++i];
			key = argv[++i];
		} else if (strcmp(argv[i], "--require-tls") == 0)
			require_tls = 1;
		else if (strcmp(argv[i], "--http") == 0)
			http = 1;
		else {
			dir = NULL;
			break;
		}
	}
	if (dir == NULL || (colon = strrchr(listen_at, ':')) == NULL ||
	    (size_t)(colon - listen_at) >= sizeof(host) ||
	    parse_u64(colon + 1, 0, 65535, &port) != 0) {
		fprintf(stderr, "usage: smtpsink [-l HOST:PORT] -d DIR "
		    "[--tls CERT KEY [--require-tls]]\n"
		    "       smtpsink --http [-l HOST:PORT] -d DIR\n");
		return 2;
	}
	memcpy(host, listen_at, (size_t)(colon - listen_at));
	host[colon - listen_at] = '\0';
	signal(SIGPIPE, SIG_IGN);
	if (cert != NULL) {
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) !=
		    1) {
			fprintf(stderr, "smtpsink: cannot load %s and %s\n",
			    cert, key);
			return 1;
		}
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1 ||
	    (lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) != 0) {
		fprintf(stderr, "smtpsink: cannot listen on %s: %s\n",
		    listen_at, strerror(errno));
		return 1;
	}
	printf("listening on %s:%u\n", host, (unsigned)ntohs(sin.sin_port));
	fflush(stdout);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		/* A stuck client must not stop the sink for ever. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (http)
			serve_http(fd, dir, &count);
		else
			serve(fd, ctx, require_tls, dir, &count);
		close(fd);
		ERR_clear_error();
	}
}
