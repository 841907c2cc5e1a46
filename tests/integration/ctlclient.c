/*
 * ctlclient.c: a scriptable access point for the integration tests. It
 * dials the hub's control listener with TLS 1.3 and an ap certificate and
 * runs the steps given on the command line, printing what it receives:
 *
 *   hello NAME [DEVICE SERVICE HOST:PORT [DEVICE SERVICE HOST:PORT]]
 *                                           send HELLO (site "site-a")
 *   raw HEX                                 send these bytes as they are
 *   open ok|err|ok@N                        wait for STREAM_OPEN, answer it
 *                                           (ok@N: after N seconds, N 0-9)
 *   json TYPE ID BODY                       send a JSON message (TYPE ALERT or
 *                                           DECISION, request id ID)
 *   ack                                     print frames up to the next ACK
 *   read                                    print frames until the hub closes
 *
 * Each received frame is printed as "recv TYPE" (ERROR with its code name
 * and reason, STREAM_OPEN with device, service and engineer); "closed"
 * when the hub closes. usage: ctlclient [-t SECS] CERT KEY CA HOST PORT STEP...
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
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rsgate/ctlmsg.h"
#include "rsgate/pki.h"
#include "rsgate/tls.h"

#include "ctlpeer.h"


static void
print_msg(const struct ctl_msg *m)
{
	if (m == NULL) {
		printf("recv undecodable\n");
		return;
	}
	if (m->type == CTL_ERROR)
		printf("recv ERROR %s: %s\n", ctl_errcode_name(m->u.error.code),
		    m->u.error.reason);
	else if (m->type == CTL_STREAM_OPEN)
		printf("recv STREAM_OPEN device=%s service=%s engineer=%s "
		    "source=%s relay=%s\n", m->u.stream_open.device,
		    m->u.stream_open.service, m->u.stream_open.engineer_cn,
		    m->u.stream_open.source, m->u.stream_open.relay);
	else if (m->type == CTL_ACK) {
		char *t = m->u.json.body != NULL ? json_dumps(m->u.json.body,
		    JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		printf("recv ACK id=%u %s\n", m->id, t != NULL ? t : "");
		free(t);
	} else
		printf("recv %s\n", ctl_type_name(m->type));
	fflush(stdout);
}

static int
step_json(const char *type, const char *id, const char *body)
{
	struct ctl_msg m;
	json_error_t je;
	uint64_t u;
	int r;

	memset(&m, 0, sizeof(m));
	if (strcmp(type, "ALERT") == 0)
		m.type = CTL_ALERT;
	else if (strcmp(type, "DECISION") == 0)
		m.type = CTL_DECISION;
	else
		return 2;
	if (parse_u64(id, 1, UINT32_MAX, &u) != 0 ||
	    (m.u.json.body = json_loads(body, 0, &je)) == NULL)
		return 2;
	m.id = (uint32_t)u;
	r = ctlpeer_send(&m) == 0 ? 0 : 1;
	json_decref(m.u.json.body);
	return r;
}

static int
step_ack(void)
{
	struct ctl_msg *m = NULL;
	int r, done;

	while ((r = ctlpeer_recv(&m, "bad frame from the hub")) == 1) {
		print_msg(m);
		done = m != NULL && m->type == CTL_ACK;
		ctl_msg_free(m);
		m = NULL;
		if (done)
			return 0;
	}
	return r == 3 ? 3 : 1;
}

static int
step_hello(int argc, char **argv, int *used)
{
	struct ctl_msg m;
	struct ctl_device d[2];
	struct ctl_service s[2];
	int k;

	memset(&m, 0, sizeof(m));
	m.type = CTL_HELLO;
	m.id = 1;
	m.u.hello.ap_name = argv[1];
	m.u.hello.version = "test";
	m.u.hello.site = "site-a";
	*used = 2;
	/* Up to two devices: DEV SERVICE HOST:PORT [DEV SERVICE HOST:PORT]. */
	memset(d, 0, sizeof(d));
	for (k = 0; k < 2 && argc >= *used + 3 &&
	    strchr(argv[*used + 2], ':') != NULL &&
	    strchr(argv[*used + 2], '{') == NULL; k++) {
		d[k].name = argv[*used];
		d[k].site = "";
		d[k].model = "Test CT";
		s[k].name = argv[*used + 1];
		s[k].target = argv[*used + 2];
		d[k].services = &s[k];
		d[k].nservices = 1;
		*used += 3;
	}
	if (k > 0) {
		m.u.hello.devices = d;
		m.u.hello.ndevices = (size_t)k;
	}
	return ctlpeer_send(&m);
}

static int
step_open(const char *how)
{
	struct ctl_msg *m = NULL, a;
	int r;

	while ((r = ctlpeer_recv(&m, "bad frame from the hub")) == 1) {
		print_msg(m);
		if (m != NULL && m->type == CTL_STREAM_OPEN)
			break;
		ctl_msg_free(m);
		m = NULL;
	}
	if (r != 1)
		return r == 3 ? 3 : 1;
	/* "ok@N": answer OK after N seconds (a slow access point). */
	if (strncmp(how, "ok@", 3) == 0 && how[3] >= '0' && how[3] <= '9' &&
	    how[4] == '\0') {
		sleep((unsigned)(how[3] - '0'));
		how = "ok";
	}
	memset(&a, 0, sizeof(a));
	a.id = m->id;
	if (strcmp(how, "ok") == 0) {
		a.type = CTL_STREAM_OPEN_OK;
		memcpy(a.u.stream_open_ok.stream_id,
		    m->u.stream_open.stream_id, CTL_STREAM_ID_LEN);
	} else {
		a.type = CTL_STREAM_OPEN_ERR;
		memcpy(a.u.stream_open_err.stream_id,
		    m->u.stream_open.stream_id, CTL_STREAM_ID_LEN);
		a.u.stream_open_err.code = CTL_E_DENIED;
		a.u.stream_open_err.reason = "outside the allowed hours";
	}
	ctl_msg_free(m);
	return ctlpeer_send(&a) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct tls_ctx_conf tc;
	struct tls_ctx *ctx = NULL;
	struct addrinfo hints, *ai = NULL;
	struct ctl_msg *m;
	uint8_t raw[4096];
	char err[256];
	size_t n;
	uint64_t secs;
	int c, fd = -1, i, used, r;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || parse_u64(optarg, 1, 600, &secs) != 0)
			return 2;
		ctlpeer_timeout_ms = (int)secs * 1000;
	}
	argc -= optind;
	argv += optind;
	if (argc < 5) {
		fprintf(stderr, "usage: ctlclient [-t SECS] CERT KEY CA HOST "
		    "PORT STEP...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&tc, 0, sizeof(tc));
	tc.side = TLS_CLIENT;
	tc.cert = argv[0];
	tc.key = argv[1];
	tc.ca = argv[2];
	tc.peer_roles = PKI_ROLE_HUB;
	if (tls_ctx_new(&tc, &ctx, err, sizeof(err)) != 0) {
		fprintf(stderr, "ctlclient: %s\n", err);
		return 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[3], argv[4], &hints, &ai) != 0 ||
	    (fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		fprintf(stderr, "ctlclient: cannot connect\n");
		return 1;
	}
	freeaddrinfo(ai);
	ctlpeer_ssl = tls_ssl_new(ctx);
	SSL_set_fd(ctlpeer_ssl, fd);
	if (SSL_connect(ctlpeer_ssl) != 1) {
		fprintf(stderr, "ctlclient: TLS: %s\n",
		    tls_error_reason(ctlpeer_ssl, err, sizeof(err)));
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	for (i = 5; i < argc; i += used) {
		used = 1;
		r = 0;
		if (strcmp(argv[i], "hello") == 0 && i + 1 < argc) {
			r = step_hello(argc - i, argv + i, &used);
		} else if (strcmp(argv[i], "raw") == 0 && i + 1 < argc) {
			n = strlen(argv[i + 1]) / 2;
			if (n > sizeof(raw) ||
			    hex_decode(argv[i + 1], raw, n) != 0)
				return 2;
			r = ctlpeer_send_bytes(raw, n);
			used = 2;
		} else if (strcmp(argv[i], "open") == 0 && i + 1 < argc) {
			r = step_open(argv[i + 1]);
			used = 2;
		} else if (strcmp(argv[i], "json") == 0 && i + 3 < argc) {
			if ((r = step_json(argv[i + 1], argv[i + 2],
			    argv[i + 3])) == 2)
				return 2;
			used = 4;
		} else if (strcmp(argv[i], "ack") == 0) {
			r = step_ack();
		} else if (strcmp(argv[i], "read") == 0) {
			while ((r = ctlpeer_recv(&m, "bad frame from the hub")) == 1) {
				print_msg(m);
				ctl_msg_free(m);
			}
			if (r == 3) {
				printf("timeout\n");
				return 3;
			}
			printf("closed\n");
			r = 0;
		} else {
			fprintf(stderr, "ctlclient: bad step '%s'\n", argv[i]);
			return 2;
		}
		fflush(stdout);
		if (r != 0) {
			printf("closed\n");
			return r == 3 ? 3 : 1;
		}
	}
	SSL_free(ctlpeer_ssl);
	close(fd);
	tls_ctx_free(ctx);
	return 0;
}
