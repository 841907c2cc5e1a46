/*
 * relay: the preamble each side of a tunnel sends to the hub's relay port
 * before anything else (docs/PROTOCOL.md, "Relay"). The relay port is plain
 * TCP and faces strangers, so the preamble is fixed-size, versioned and
 * checked strictly; after it, the relay only copies ciphertext.
 *
 *   "RSGR" | version u8 (1) | side u8 | stream id (16) | token (32)
 */
#ifndef RSGATE_RELAY_H
#define RSGATE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define RELAY_MAGIC "RSGR"
#define RELAY_VERSION 1
#define RELAY_STREAM_ID_LEN 16
#define RELAY_TOKEN_LEN 32
#define RELAY_PREAMBLE_LEN (4 + 1 + 1 + RELAY_STREAM_ID_LEN + RELAY_TOKEN_LEN)

enum relay_side {
	RELAY_SIDE_ENGINEER = 1,	/* the engineer's rsgate connect */
	RELAY_SIDE_AP = 2,		/* the access point */
};

struct relay_preamble {
	enum relay_side side;
	uint8_t stream_id[RELAY_STREAM_ID_LEN];
	uint8_t token[RELAY_TOKEN_LEN];		/* secret: wipe after use */
};

/* Write the RELAY_PREAMBLE_LEN bytes of p into out. */
void relay_preamble_encode(const struct relay_preamble *p,
    uint8_t out[RELAY_PREAMBLE_LEN]);
/*
 * Decode len bytes (a prefix of a preamble is RSG_ERR_INCOMPLETE, so a
 * reader can call this as bytes arrive and reject garbage early): wrong
 * magic RSG_ERR_FORMAT, other version RSG_ERR_VERSION, unknown side
 * RSG_ERR_FORMAT. Bytes beyond the preamble are not looked at.
 */
int relay_preamble_decode(const uint8_t *p, size_t len,
    struct relay_preamble *out) RSG_WUR;

#endif /* RSGATE_RELAY_H */
