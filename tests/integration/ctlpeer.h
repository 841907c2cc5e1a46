/*
 * ctlpeer.h: one end of a control channel for the test tools (ctlclient
 * plays an AP against the hub, fakehub a hub against the AP): framed
 * messages over a blocking TLS connection, read with a timeout.
 */
#ifndef RSG_CTLPEER_H
#define RSG_CTLPEER_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "rsgate/ctlmsg.h"

/* The connection (set once the handshake is done) and the read timeout. */
extern SSL *ctlpeer_ssl;
extern int ctlpeer_timeout_ms;

/* Write n raw bytes: 0, or -1. */
int ctlpeer_send_bytes(const void *p, size_t n);
/* Encode and write one message: 0, or -1. */
int ctlpeer_send(const struct ctl_msg *m);
/*
 * Next frame: 1 got one (*mp, NULL if undecodable), 0 closed or a bad
 * frame (bad_note, if not NULL, is printed then), 3 timeout.
 */
int ctlpeer_recv(struct ctl_msg **mp, const char *bad_note);

#endif
