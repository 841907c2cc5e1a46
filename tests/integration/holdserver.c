/*
 * holdserver.c: a server that accepts TCP connections and never answers,
 * for the integration tests of stalled peers (a hub API that hangs). It
 * listens on 127.0.0.1 (port 0: any free port), prints "listening on
 * 127.0.0.1:PORT", then "accepted N" as each connection arrives (stdout,
 * flushed), reads and discards what they send, and exits after SECONDS.
 *
 * usage: holdserver [-t SECONDS]
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsgate/util.h"

#define HOLD_MAX 64

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct pollfd pfd[HOLD_MAX + 1];
	socklen_t sl = sizeof(sa);
	uint64_t secs = 30;
	int64_t deadline;
	char buf[4096];
	int c, timeout, naccepted = 0;
	nfds_t n = 1, i;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || parse_u64(optarg, 1, 3600, &secs) != 0) {
			fprintf(stderr, "usage: holdserver [-t SECONDS]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((pfd[0].fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(pfd[0].fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(pfd[0].fd, 16) != 0 ||
	    getsockname(pfd[0].fd, (struct sockaddr *)&sa, &sl) != 0) {
		fprintf(stderr, "holdserver: %s\n", strerror(errno));
		return 1;
	}
	printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
	fflush(stdout);
	pfd[0].events = POLLIN;
	deadline = time_mono_ms() + (int64_t)secs * 1000;
	while ((timeout = (int)(deadline - time_mono_ms())) > 0) {
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (i = 1; i < n; i++) {
			if (pfd[i].fd >= 0 && pfd[i].revents != 0 &&
			    read(pfd[i].fd, buf, sizeof(buf)) <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
		if ((pfd[0].revents & POLLIN) && n <= HOLD_MAX) {
			if ((pfd[n].fd = accept(pfd[0].fd, NULL, NULL)) < 0)
				continue;
			pfd[n].events = POLLIN;
			n++;
			printf("accepted %d\n", ++naccepted);
			fflush(stdout);
		}
	}
	for (i = 0; i < n; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	return 0;
}
