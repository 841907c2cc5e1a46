/*
 * tcpclient.c: a tiny TCP client for the integration tests, because a fresh
 * Debian may have neither python3 nor nc nor socat, and /dev/tcp is a bash
 * feature. It connects to HOST PORT, copies stdin to the peer (and then
 * half-closes), and copies what the peer sends to stdout until the peer
 * closes. If the peer stops reading or resets, sending stops and whatever
 * arrived is still printed.
 *
 * usage: tcpclient [-t SECONDS] HOST PORT
 * Exit: 0 the peer closed, 1 could not connect, 2 usage, 3 timeout,
 * 4 the connection was reset.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsgate/util.h"

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct addrinfo hints, *ai = NULL, *a;
	struct pollfd pfd[2];
	uint64_t secs = 10;
	int64_t deadline;
	char buf[65536];
	int c, fd = -1, in_open = 1, r, timeout;
	ssize_t n;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || parse_u64(optarg, 1, 3600, &secs) != 0) {
			fprintf(stderr, "usage: tcpclient [-t SECONDS] HOST "
			    "PORT\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: tcpclient [-t SECONDS] HOST PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(argv[optind], argv[optind + 1], &hints,
	    &ai)) != 0) {
		fprintf(stderr, "tcpclient: %s\n", gai_strerror(r));
		return 1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype,
		    a->ai_protocol)) < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		fprintf(stderr, "tcpclient: cannot connect to %s port %s\n",
		    argv[optind], argv[optind + 1]);
		return 1;
	}
	deadline = time_mono_ms() + (int64_t)secs * 1000;
	for (;;) {
		pfd[0].fd = in_open ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		timeout = (int)(deadline - time_mono_ms());
		if (timeout <= 0) {
			fprintf(stderr, "tcpclient: timeout\n");
			return 3;
		}
		if (poll(pfd, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[1].revents) {
			if ((n = read(fd, buf, sizeof(buf))) < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "tcpclient: read: %s\n",
				    strerror(errno));
				return 4;
			}
			if (n == 0)
				break;
			if (write_all(STDOUT_FILENO, buf, (size_t)n) != 0)
				return 1;
		}
		if (in_open && pfd[0].revents) {
			if ((n = read(STDIN_FILENO, buf, sizeof(buf))) <= 0 ||
			    write_all(fd, buf, (size_t)n) != 0) {
				/* End of input, or the peer stopped reading. */
				shutdown(fd, SHUT_WR);
				in_open = 0;
			}
		}
	}
	close(fd);
	return 0;
}
