/*
 * flood.c: a stranger with many connections, for the integration tests of
 * the hub's limits. It opens N TCP connections to HOST PORT at once
 * (non-blocking), sends TEXT on each one that connects (nothing with -d
 * ""), holds them all for SECONDS and counts how many the peer closed or
 * reset meanwhile.
 *
 * usage: flood [-n N] [-t SECONDS] [-d TEXT] HOST PORT
 * Prints "connected C closed K" and exits 0; 1 if it could not start, 2
 * usage. Raises its own descriptor limit to the hard limit if N needs it.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsgate/util.h"

#define FLOOD_MAX 4096

static void
usage(void)
{
	fprintf(stderr, "usage: flood [-n N] [-t SECONDS] [-d TEXT] HOST "
	    "PORT\n");
}

/* Closed by the peer (or never connected): close it, poll no more. */
static void
drop(struct pollfd *p)
{
	close(p->fd);
	p->fd = -1;
}

int
main(int argc, char **argv)
{
	struct addrinfo hints, *ai = NULL;
	struct pollfd *pfd = NULL;
	struct rlimit rl;
	uint64_t n = 100, secs = 5;
	const char *text = "GET / HTTP/1.0\r\n\r\n";
	int64_t deadline;
	char buf[4096];
	int *state = NULL;		/* 0 connecting, 1 open, 2 closed */
	int c, r, ex = 1, connected = 0, closed = 0, timeout;
	size_t i, len;
	socklen_t sl;
	int soerr;

	while ((c = getopt(argc, argv, "n:t:d:")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, 1, FLOOD_MAX, &n) != 0) {
				usage();
				return 2;
			}
			break;
		case 't':
			if (parse_u64(optarg, 1, 600, &secs) != 0) {
				usage();
				return 2;
			}
			break;
		case 'd':
			text = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 16) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(argv[optind], argv[optind + 1], &hints,
	    &ai)) != 0) {
		fprintf(stderr, "flood: %s\n", gai_strerror(r));
		return 1;
	}
	if ((pfd = calloc(n, sizeof(*pfd))) == NULL ||
	    (state = calloc(n, sizeof(*state))) == NULL)
		goto out;
	len = strlen(text);
	for (i = 0; i < n; i++)
		pfd[i].fd = -1;
	for (i = 0; i < n; i++) {
		pfd[i].fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (pfd[i].fd < 0) {
			fprintf(stderr, "flood: socket: %s\n", strerror(errno));
			goto out;
		}
		pfd[i].events = POLLOUT;
		if (connect(pfd[i].fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
		    errno != EINPROGRESS) {
			state[i] = 2;
			closed++;
			drop(&pfd[i]);
		}
	}
	deadline = time_mono_ms() + (int64_t)secs * 1000;
	while ((timeout = (int)(deadline - time_mono_ms())) > 0) {
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (state[i] == 0) {
				sl = sizeof(soerr);
				if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR,
				    &soerr, &sl) != 0 || soerr != 0) {
					state[i] = 2;
					closed++;
					drop(&pfd[i]);
					continue;
				}
				state[i] = 1;
				connected++;
				if (len > 0)
					(void)send(pfd[i].fd, text, len,
					    MSG_NOSIGNAL);
				pfd[i].events = POLLIN;
				continue;
			}
			r = (int)recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (r == 0 || (r < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				state[i] = 2;
				closed++;
				drop(&pfd[i]);
			}
		}
	}
	printf("connected %d closed %d\n", connected, closed);
	ex = 0;
 out:
	if (pfd != NULL)
		for (i = 0; i < n; i++)
			if (pfd[i].fd >= 0)
				close(pfd[i].fd);
	free(pfd);
	free(state);
	freeaddrinfo(ai);
	return ex;
}
