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


/* ---- the relay server (the hub) ------------------------------------------ */

struct event_base;
struct relay;

/* Bytes held for one direction of a pair: one pipe, or the fallback buffer. */
#define RELAY_PIPE_SIZE (64 * 1024)
#define RELAY_BUF_SIZE (16 * 1024)
/*
 * How long a stream whose tokens expired unused is remembered, so that a
 * late presenter is told "token expired" rather than "unknown stream".
 */
#define RELAY_EXPIRED_KEEP_MS 60000

struct relay_conf {
	uint64_t unpaired_timeout_ms;	/* preamble and partner deadline */
	unsigned per_source_max;	/* connections per source key (AP
					   side: unpaired only) */
	size_t unpaired_max;		/* unpaired connections, all sources */
	size_t conns_max;		/* connections, paired or not */
	uint64_t idle_ms;		/* a paired stream moving no byte; 0: none */
	/*
	 * Optional: asked (with relay_new's arg) when a connection has
	 * presented a valid token, before it joins (and so perhaps pairs)
	 * its stream. NULL admits it; a reason refuses the connection
	 * (REFUSED event, the token stays unused). It must not call relay_*.
	 */
	const char *(*admit)(const uint8_t *stream_id, void *arg);
};

/*
 * The key a source address is counted under: an IPv6 address stands for
 * its /64 ("2001:db8:1:2::/64"), since one host usually holds a whole /64;
 * an IPv4-mapped IPv6 address is its IPv4 address; an IPv4 address, or
 * anything that does not parse, is itself (cut to fit). Always writes a
 * NUL-terminated string into out (outlen > 0).
 */
#define RELAY_SOURCE_KEY_MAX 64
void relay_source_key(const char *addr, char *out, size_t outlen);

enum relay_event_type {
	RELAY_EV_REFUSED,	/* a connection was dropped before pairing */
	RELAY_EV_PAIRED,	/* both sides presented: bytes flow */
	RELAY_EV_CLOSED,	/* a paired stream ended (stats filled) */
	RELAY_EV_UNUSED,	/* a stream's tokens expired and it never paired */
};

/* What the relay tells its owner; pointers are valid during the call. */
struct relay_event {
	enum relay_event_type type;
	const uint8_t *stream_id;	/* NULL if not known (bad preamble) */
	const char *source;		/* REFUSED: the connection's source */
	enum relay_side side;		/* REFUSED: 0 when not known */
	const char *reason;		/* REFUSED, CLOSED, UNUSED */
	uint64_t bytes_up;		/* CLOSED: engineer -> AP */
	uint64_t bytes_down;		/* CLOSED: AP -> engineer */
	uint64_t duration_ms;		/* CLOSED: since pairing */
};

/*
 * Called synchronously from relay functions and event callbacks. It must
 * not call relay_free(); it may call relay_stream_add/cancel for other
 * streams.
 */
typedef void (*relay_event_fn)(const struct relay_event *ev, void *arg);

/*
 * A relay on base. Connections are handed to it with relay_accept(); it
 * reads each one's preamble within conf->unpaired_timeout_ms, checks the
 * token against the streams registered with relay_stream_add() (constant
 * time; single use; expiry), pairs the two sides of a stream and copies
 * bytes both ways with splice(2) (a RELAY_BUF_SIZE buffer per direction
 * where splice is not supported), with back-pressure: at most
 * RELAY_PIPE_SIZE bytes per direction are held, and a side is not read
 * while its partner cannot take more. Half-close (EOF) is passed on with
 * shutdown(SHUT_WR); an error on either side closes both. The process must
 * ignore SIGPIPE.
 * Limits: per_source_max connections per source key (relay_source_key;
 * an AP side's connection stops counting once paired),
 * unpaired_max unpaired connections and conns_max connections in all (a
 * paired connection holds three descriptors: its socket and a pipe), and a paired stream on which no byte moved either way for idle_ms
 * is closed (CLOSED, reason "idle ...").
 */
int relay_new(struct event_base *base, const struct relay_conf *conf,
    relay_event_fn fn, void *arg, struct relay **out) RSG_WUR;
/* Close every connection and forget every stream, without events. */
void relay_free(struct relay *r);
/*
 * Register a stream: its id and the one-time tokens of each side, valid
 * for lifetime_ms. The relay keeps copies (wiped when no longer needed).
 * RSG_ERR_EXISTS if the id is already registered; RSG_ERR_NOMEM.
 */
int relay_stream_add(struct relay *r, const uint8_t id[RELAY_STREAM_ID_LEN],
    const uint8_t tok_engineer[RELAY_TOKEN_LEN],
    const uint8_t tok_ap[RELAY_TOKEN_LEN], uint64_t lifetime_ms) RSG_WUR;
/*
 * Start a registered, not yet expired stream's token lifetime again from
 * now (the hub does so when the AP accepts the stream, so the engineer has
 * the whole lifetime after the API reply). RSG_ERR_NOT_FOUND if the id is
 * unknown or its tokens have expired.
 */
int relay_stream_renew(struct relay *r, const uint8_t id[RELAY_STREAM_ID_LEN],
    uint64_t lifetime_ms) RSG_WUR;
/*
 * Hand over an accepted connection fd (the relay owns it from now on,
 * closing it on any error). source is the peer's address for the
 * per-source cap and the events. RSG_ERR_LIMIT (refused: too many from
 * source, or too many unpaired or open in all; a REFUSED event is sent),
 * RSG_ERR_NOMEM.
 */
int relay_accept(struct relay *r, int fd, const char *source) RSG_WUR;
/*
 * End a stream now (the kill switch, or its access point refused it):
 * close its connections and forget its tokens. A paired stream reports
 * RELAY_EV_CLOSED with reason and its byte counts; an unpaired one
 * reports nothing. RSG_ERR_NOT_FOUND if the id is not registered.
 */
int relay_stream_cancel(struct relay *r, const uint8_t id[RELAY_STREAM_ID_LEN],
    const char *reason);
/* Counts, for tests and status: connections (pending or paired sides). */
size_t relay_conn_count(const struct relay *r);
/* Connections that have not been paired (yet). */
size_t relay_unpaired_count(const struct relay *r);
/* Streams registered and not yet forgotten. */
size_t relay_stream_count(const struct relay *r);

#endif /* RSGATE_RELAY_H */
