/*
 * fakehub.c: a scriptable hub for the integration tests of the access
 * point's own defences: what the AP does when the hub asks for something
 * it must refuse (a hub is trusted to route, never to decide for the
 * hospital). It listens on HOST:0 with a hub certificate, prints
 * "listening on HOST:PORT", accepts one access point and runs the steps:
 *
 *   hello         wait for the AP's HELLO, answer HELLO_ACK
 *   ticket JSON   send TICKET with this body, wait for the AP's ACK of it
 *                 and print "ack ID BODY" (BODY compact JSON)
 *   early JSON    send TICKET before any HELLO_ACK (a protocol violation)
 *                 and print what comes back: "ack ...", or "closed"
 *
 * PINGs are answered; other frames are printed as "recv TYPE".
 * usage: fakehub [-t SECS] CERT KEY CA HOST STEP...
 * Exit: 0 done, 1 connection or TLS failure, 2 usage, 3 timeout.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "rsgate/ctlmsg.h"
#include "rsgate/pki.h"
#include "rsgate/tls.h"

#include "ctlpeer.h"

static uint32_t next_id = 100;

/* Wait for a message of type (and id, if non-zero); others are handled. */
static int
wait_for(uint16_t type, uint32_t id, struct ctl_msg **out)
{
	struct ctl_msg *m = NULL, pong;
	int r;

	while ((r = ctlpeer_recv(&m, NULL)) == 1) {
		if (m != NULL && m->type == type && (id == 0 || m->id == id)) {
			*out = m;
			return 0;
		}
		if (m != NULL && m->type == CTL_PING) {
			memset(&pong, 0, sizeof(pong));
			pong.type = CTL_PONG;
			pong.id = m->id;
			pong.u.ping.time_ms = m->u.ping.time_ms;
			(void)ctlpeer_send(&pong);
		} else if (m != NULL && m->type != CTL_ACK &&
		    m->type != CTL_DECISION)
			printf("recv %s\n", ctl_type_name(m->type));
		ctl_msg_free(m);
		m = NULL;
	}
	return r == 3 ? 3 : 1;
}

static int
step_ticket(const char *text, int early)
{
	struct ctl_msg m, *ack = NULL;
	json_error_t je;
	json_t *body;
	char *s;
	int r;

	if ((body = json_loads(text, 0, &je)) == NULL || !json_is_object(body)) {
		fprintf(stderr, "fakehub: bad JSON: %s\n", je.text);
		json_decref(body);
		return 2;
	}
	memset(&m, 0, sizeof(m));
	m.type = CTL_TICKET;
	m.id = next_id++;
	m.u.json.body = body;
	r = ctlpeer_send(&m);
	json_decref(body);
	if (r != 0)
		return 1;
	if ((r = wait_for(CTL_ACK, m.id, &ack)) != 0) {
		if (early && r == 1) {
			printf("closed\n");
			return 0;
		}
		return r;
	}
	s = json_dumps(ack->u.json.body, JSON_COMPACT | JSON_SORT_KEYS);
	printf("ack %u %s\n", ack->id, s != NULL ? s : "?");
	free(s);
	ctl_msg_free(ack);
	return 0;
}

static int
step_hello(void)
{
	struct ctl_msg *m = NULL, a;
	int r;

	if ((r = wait_for(CTL_HELLO, 0, &m)) != 0)
		return r;
	memset(&a, 0, sizeof(a));
	a.type = CTL_HELLO_ACK;
	a.id = m->id;
	a.u.hello_ack.hub_name = "fakehub";
	a.u.hello_ack.heartbeat_s = 30;
	ctl_msg_free(m);
	if (ctlpeer_send(&a) != 0)
		return 1;
	printf("hello done\n");
	return 0;
}

int
main(int argc, char **argv)
{
	struct tls_ctx_conf tc;
	struct tls_ctx *ctx = NULL;
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char err[256], host[64], port[8];
	uint64_t secs;
	int c, lfd = -1, fd = -1, i, r = 0, one = 1;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || parse_u64(optarg, 1, 600, &secs) != 0)
			return 2;
		ctlpeer_timeout_ms = (int)secs * 1000;
	}
	argc -= optind;
	argv += optind;
	if (argc < 4) {
		fprintf(stderr, "usage: fakehub [-t SECS] CERT KEY CA HOST "
		    "STEP...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&tc, 0, sizeof(tc));
	tc.side = TLS_SERVER;
	tc.cert = argv[0];
	tc.key = argv[1];
	tc.ca = argv[2];
	tc.peer_roles = PKI_ROLE_AP;
	if (tls_ctx_new(&tc, &ctx, err, sizeof(err)) != 0) {
		fprintf(stderr, "fakehub: %s\n", err);
		return 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(argv[3], "0", &hints, &ai) != 0 ||
	    (lfd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(lfd, 4) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		fprintf(stderr, "fakehub: cannot listen\n");
		return 1;
	}
	freeaddrinfo(ai);
	printf("listening on %s:%s\n", host, port);
	fflush(stdout);
	if ((fd = accept(lfd, NULL, NULL)) < 0)
		return 1;
	close(lfd);
	ctlpeer_ssl = tls_ssl_new(ctx);
	SSL_set_fd(ctlpeer_ssl, fd);
	if (SSL_accept(ctlpeer_ssl) != 1) {
		fprintf(stderr, "fakehub: TLS: %s\n",
		    tls_error_reason(ctlpeer_ssl, err, sizeof(err)));
		return 1;
	}
	for (i = 4; i < argc && r == 0; i++) {
		if (strcmp(argv[i], "hello") == 0)
			r = step_hello();
		else if ((strcmp(argv[i], "ticket") == 0 ||
		    strcmp(argv[i], "early") == 0) && i + 1 < argc) {
			r = step_ticket(argv[i + 1], argv[i][0] == 'e');
			i++;
		} else {
			fprintf(stderr, "fakehub: bad step '%s'\n", argv[i]);
			r = 2;
		}
		fflush(stdout);
	}
	if (r == 3)
		printf("timeout\n");
	fflush(stdout);
	SSL_free(ctlpeer_ssl);
	close(fd);
	tls_ctx_free(ctx);
	return r;
}
