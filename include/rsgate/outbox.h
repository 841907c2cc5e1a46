/*
 * outbox: control-channel messages that must reach the peer even across
 * disconnects and restarts (workflow messages, alerts, documents). A posted
 * message is stored first (durable), then sent if the channel is up; on
 * every (re)connect everything still stored is sent again, in order; the
 * peer's ACK (same frame request id) deletes it. The frame request id of
 * an outbox message is its row id, so a repeat carries the same id and the
 * receiver can recognise it.
 *
 * No I/O of its own: the daemon gives a send callback (which encodes and
 * writes one frame on its control connection) and calls outbox_connected /
 * outbox_disconnected / outbox_ack from its event handlers.
 */
#ifndef RSGATE_OUTBOX_H
#define RSGATE_OUTBOX_H

#include <stdint.h>

#include "rsgate/util.h"

struct store;
struct json_t;
struct outbox;

/* Send one message now: 0 if written to the connection's buffer. */
typedef int (*outbox_send_fn)(uint16_t type, uint32_t id,
    const struct json_t *body, void *arg);
/*
 * Called when the peer acknowledged a message: sent is what we sent, ack is
 * the ACK's body ({"ok":true,...} or {"error":"..."}). Runs after the row
 * is deleted. May be NULL.
 */
typedef void (*outbox_ack_fn)(uint16_t type, const struct json_t *sent,
    const struct json_t *ack, void *arg);

/* peer: the row key ("hub" at an AP; the AP's name at the hub). */
int outbox_new(struct store *s, const char *peer, outbox_send_fn send,
    outbox_ack_fn on_ack, void *arg, struct outbox **out) RSG_WUR;
void outbox_free(struct outbox *ob);

/*
 * Store body (a JSON object, not consumed) for the peer and send it now if
 * connected. 0 once stored (whether or not it could be sent now).
 */
int outbox_post(struct outbox *ob, uint16_t type, const struct json_t *body,
    int64_t now_ms) RSG_WUR;
/*
 * outbox_post in two halves, for a message that must be stored in the same
 * transaction as the change it reports: outbox_stage stores the row (inside
 * the caller's transaction on the outbox's store); after the commit,
 * outbox_release sends it if connected; after a rollback, outbox_discard
 * forgets it. Either frees what the stage kept.
 */
struct outbox_staged {
	int64_t id;
	uint16_t type;
	char *text;
};
int outbox_stage(struct outbox *ob, uint16_t type, const struct json_t *body,
    int64_t now_ms, struct outbox_staged *st) RSG_WUR;
void outbox_release(struct outbox *ob, struct outbox_staged *st);
void outbox_discard(struct outbox_staged *st);
/* The channel is up (hello done): send everything stored, oldest first. */
int outbox_connected(struct outbox *ob) RSG_WUR;
void outbox_disconnected(struct outbox *ob);
/*
 * An ACK arrived with request id id: delete the row and call on_ack.
 * RSG_ERR_NOT_FOUND for an id we have not got (a duplicate ACK: ignore).
 */
int outbox_ack(struct outbox *ob, uint32_t id, const struct json_t *ack)
    RSG_WUR;
/* Messages waiting (stored, not yet acknowledged). */
int outbox_pending(struct outbox *ob, uint64_t *n) RSG_WUR;

#endif /* RSGATE_OUTBOX_H */
