/* ctlpeer.c: framed control messages over TLS for the test tools. */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctlpeer.h"

SSL *ctlpeer_ssl;
int ctlpeer_timeout_ms = 5000;
static uint8_t inbuf[CTL_FRAME_MAX + 64];
static size_t inlen;

int
ctlpeer_send_bytes(const void *p, size_t n)
{
	return SSL_write(ctlpeer_ssl, p, (int)n) == (int)n ? 0 : -1;
}

int
ctlpeer_send(const struct ctl_msg *m)
{
	struct rsg_buf *b = buf_new(CTL_FRAME_MAX + 64);
	int r = -1;

	if (b != NULL && ctl_msg_encode(m, b) == 0)
		r = ctlpeer_send_bytes(buf_ptr(b), buf_len(b));
	buf_free(b);
	return r;
}

int
ctlpeer_recv(struct ctl_msg **mp, const char *bad_note)
{
	struct pollfd pfd;
	struct ctl_frame f;
	size_t used;
	int n, r;

	for (;;) {
		r = ctl_frame_parse(inbuf, inlen, CTL_FRAME_MAX, &f, &used);
		if (r == 0) {
			*mp = NULL;
			if (ctl_msg_decode(&f, mp) == 0)
				(*mp)->id = f.id;
			memmove(inbuf, inbuf + used, inlen - used);
			inlen -= used;
			return 1;
		}
		if (r != RSG_ERR_INCOMPLETE || inlen == sizeof(inbuf)) {
			if (bad_note != NULL)
				printf("%s\n", bad_note);
			return 0;
		}
		if (SSL_pending(ctlpeer_ssl) == 0) {
			pfd.fd = SSL_get_fd(ctlpeer_ssl);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, ctlpeer_timeout_ms) <= 0)
				return 3;
		}
		n = SSL_read(ctlpeer_ssl, inbuf + inlen,
		    (int)(sizeof(inbuf) - inlen));
		if (n <= 0)
			return 0;
		inlen += (size_t)n;
	}
}
