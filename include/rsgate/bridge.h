/*
 * bridge: copy bytes both ways between two libevent bufferevents (the two
 * ends of a tunnel: a TLS stream and a plain TCP connection), with
 * back-pressure and half-close. Used by the access point (TLS stream <->
 * device service) and by `rsgate connect` (local connection <-> TLS stream).
 *
 * Back-pressure: a side stops being read while BRIDGE_HIGH bytes read from
 * it wait to be written to the other (a TLS side also holds at most about
 * 128 KiB of records not yet sent), so memory per stream is bounded
 * whatever the speed of each peer; the buffers are freed when empty.
 * Half-close: when one side ends cleanly (TCP FIN, TLS close_notify), what
 * it sent is flushed to the other side, which is then half-closed too
 * (shutdown(SHUT_WR), or a TLS close_notify); the other direction keeps
 * flowing. The bridge is done when both directions have ended, or at the
 * first error (a reset, a TLS failure, a truncation without close_notify).
 */
#ifndef RSGATE_BRIDGE_H
#define RSGATE_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

struct bufferevent;
struct event_base;
struct bridge;

#define BRIDGE_HIGH (256u * 1024)	/* bytes held per direction, at most */
#define BRIDGE_LOW (64u * 1024)		/* compact a buffer with less room */

/*
 * Called once when the bridge is done: clean is 1 when both directions
 * ended cleanly, 0 on an error (reason says which side and why). The
 * callback may free the bridge.
 */
typedef void (*bridge_done_fn)(struct bridge *br, int clean,
    const char *reason, void *arg);

/*
 * Join a and b (socket bufferevents, connected, a TLS one with its
 * handshake done; a_tls/b_tls say whether each is a bufferevent_openssl).
 * The bridge disables them and moves the bytes itself (recv/send,
 * SSL_read/SSL_write on the socket; a TLS side's write BIO is replaced);
 * it owns both: bridge_free frees them (and so closes their sockets and
 * frees the SSLs). Bytes already waiting in their input and output are
 * passed on first. done() is never called before bridge_new returns.
 */
int bridge_new(struct bufferevent *a, int a_tls, struct bufferevent *b,
    int b_tls, bridge_done_fn done, void *arg, struct bridge **out) RSG_WUR;
/* Bytes copied from a to b and from b to a so far. */
void bridge_counts(const struct bridge *br, uint64_t *a_to_b,
    uint64_t *b_to_a);
/* Free the bridge and both bufferevents. NULL is fine. */
void bridge_free(struct bridge *br);

/*
 * A libevent base for a program that copies streams: on epoll, changes to
 * the watched events are batched per loop turn (a bufferevent switches its
 * write interest on and off for every burst; without the changelist each
 * switch is an epoll_ctl system call). Also tunes the process's malloc
 * (glibc) to keep the bridges' large buffers on the heap between bursts
 * rather than return them to the kernel and fault them back in.
 */
struct event_base *bridge_base_new(void);

#endif /* RSGATE_BRIDGE_H */
