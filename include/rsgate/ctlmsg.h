/*
 * ctlmsg: the control channel between an access point (rsgate-ap) and the
 * hub (rsgate-hub): framing and the message codec. The channel is a
 * persistent mutually authenticated TLS 1.3 connection that the AP dials;
 * inside it, every message is one frame:
 *
 *	u32 length (big-endian, of what follows) | u8 version | u16 type |
 *	u32 request id | payload
 *
 * This module only turns bytes into C structs and back; it does no I/O and
 * keeps no state. Which messages a peer may send when is in the message
 * table (ctl_type_lookup, ctl_type_allowed), after OpenSSH monitor.c's
 * dispatch table. The wire format is documented in docs/PROTOCOL.md.
 *
 * Decoding is strict: fixed field order, bounded strings and counts, no
 * control characters in strings, no trailing bytes, and allocations bounded
 * by the frame size. Decoded strings are owned by the message and freed
 * with it; ctl_msg_free wipes the pairing token.
 */
#ifndef RSGATE_CTLMSG_H
#define RSGATE_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

/* ---- limits (every one also in docs/PROTOCOL.md) ---------------------- */

#define CTL_PROTO_VERSION 1
/* Bytes before the payload, counting the length prefix itself. */
#define CTL_FRAME_HDR_LEN 11
/* Cap on a frame's length field once the peer has said hello. */
#define CTL_FRAME_MAX (256u * 1024)
/*
 * Cap on the first frame of a connection, before the peer has said hello.
 * Larger than a hello without an inventory needs, so that an AP with a few
 * hundred devices fits (see docs/PROTOCOL.md, "Limits").
 */
#define CTL_FRAME_MAX_HELLO (64u * 1024)
/* Names: AP, hub, site, device, model, service, CN, host:port, version. */
#define CTL_NAME_MAX 255
/* Free-text reasons in errors and stream closes. */
#define CTL_REASON_MAX 1024
#define CTL_DEVICES_MAX 1024
#define CTL_SERVICES_MAX 32	/* per device */
#define CTL_STREAM_ID_LEN 16
#define CTL_TOKEN_LEN 32
#define CTL_FPR_LEN 32		/* SHA-256 of the certificate (DER) */
/* Heartbeat interval the hub may ask for, in seconds. */
#define CTL_HEARTBEAT_MIN 1
#define CTL_HEARTBEAT_MAX 300

/* ---- message types ------------------------------------------------------ */

enum ctl_type {
	CTL_HELLO = 1,
	CTL_HELLO_ACK = 2,
	CTL_PING = 3,
	CTL_PONG = 4,
	CTL_ERROR = 5,
	CTL_STREAM_OPEN = 16,
	CTL_STREAM_OPEN_OK = 17,
	CTL_STREAM_OPEN_ERR = 18,
	CTL_STREAM_CLOSE = 19,
	/*
	 * The service workflow: each body is one JSON object (docs/PROTOCOL.md
	 * lists the fields of each "op"); the frame's request id pairs a
	 * message with its ACK. Senders retry until acknowledged, so
	 * receivers must treat a repeated message as done (idempotent).
	 */
	CTL_ALERT = 32,		/* AP -> hub: a filtered device alert */
	CTL_TICKET = 33,	/* hub -> AP: request, close, revoke engineer */
	CTL_DECISION = 34,	/* AP -> hub: approve (signed grant), deny,
				   terminate, ticket state */
	CTL_COLLECT = 35,	/* hub -> AP: fetch a file from a device */
	CTL_COLLECT_DATA = 36,	/* AP -> hub: a chunk of that file, or error */
	CTL_DOCUMENT = 37,	/* hub -> AP: deletion certificate, report */
	CTL_ACK = 38,		/* either way: {"ok":true} or {"error":"..."} */
};

/* Who sends a message: the table's direction flags. */
enum ctl_role {
	CTL_ROLE_AP = 1,	/* the access point sends it */
	CTL_ROLE_HUB = 2,	/* the hub sends it */
};

/* Flags of a table entry, besides direction. */
#define CTL_F_FIRST 0x01	/* only as the sender's first message */
#define CTL_F_ANYTIME 0x02	/* also allowed before hello (ERROR) */

struct ctl_type_info {
	uint16_t type;
	const char *name;	/* "STREAM_OPEN" */
	unsigned senders;	/* CTL_ROLE_* bits */
	unsigned flags;		/* CTL_F_* */
};

/* The table entry for type, or NULL if the type is unknown. */
const struct ctl_type_info *ctl_type_lookup(uint16_t type);
/* The name of a type ("UNKNOWN" if there is none). */
const char *ctl_type_name(uint16_t type);
/*
 * Whether a peer acting as sender may send type now: hello_done says
 * whether the sender's hello (HELLO from an AP, HELLO_ACK from a hub) has
 * already been received. 0 if allowed; RSG_ERR_FORMAT for an unknown type
 * or one this sender may not send (direction); RSG_ERR_INVALID_ARG for a
 * known type at the wrong moment (before or after hello). Fails closed.
 */
int ctl_type_allowed(uint16_t type, enum ctl_role sender, int hello_done)
    RSG_WUR;

/* Error codes carried by ERROR and STREAM_OPEN_ERR (docs/PROTOCOL.md). */
enum ctl_errcode {
	CTL_E_PROTOCOL = 1,	    /* malformed frame or message */
	CTL_E_LIMIT = 2,	    /* frame, string or count over a limit */
	CTL_E_VERSION = 3,	    /* unsupported protocol version */
	CTL_E_UNKNOWN_TYPE = 4,	    /* unknown message type */
	CTL_E_UNEXPECTED = 5,	    /* known type at the wrong moment */
	CTL_E_INTERNAL = 6,	    /* the sender failed internally */
	CTL_E_SHUTDOWN = 7,	    /* the sender is shutting down */
	CTL_E_UNKNOWN_DEVICE = 16,  /* device not in the inventory */
	CTL_E_UNKNOWN_SERVICE = 17, /* service not on that device */
	CTL_E_DENIED = 18,	    /* no approval or policy allows it */
	CTL_E_DEVICE_UNREACHABLE = 19, /* device service did not answer */
	CTL_E_RELAY = 20,	    /* relay unreachable or pairing failed */
	CTL_E_BUSY = 21,	    /* too many streams */
};

/* A short name for an error code ("DENIED"; "UNKNOWN" for others). */
const char *ctl_errcode_name(uint32_t code);

/* ---- framing ------------------------------------------------------------- */

/* One frame as a view into the caller's bytes (nothing is copied). */
struct ctl_frame {
	uint8_t version;
	uint16_t type;
	uint32_t id;		/* request id; replies carry the request's */
	const uint8_t *payload;	/* points into the parsed bytes */
	size_t payload_len;
};

/*
 * Incremental framing (after picohttpparser): look at the len bytes
 * received so far at p. If they start with a complete frame whose length
 * field is at most max (CTL_FRAME_MAX_HELLO for a connection's first frame,
 * CTL_FRAME_MAX after; a larger max is clamped to CTL_FRAME_MAX), fill *f
 * as a view into p and set *used to the frame's total size (header
 * included); the caller consumes that many.
 * RSG_ERR_INCOMPLETE: a valid prefix, read more. Errors are reported as
 * soon as the bytes that show them have arrived: RSG_ERR_LIMIT (length
 * above max), RSG_ERR_FORMAT (length shorter than the header, or unknown
 * type), RSG_ERR_VERSION (version not CTL_PROTO_VERSION). On any error
 * the receiver sends ERROR and closes (docs/PROTOCOL.md).
 */
int ctl_frame_parse(const void *p, size_t len, size_t max,
    struct ctl_frame *f, size_t *used) RSG_WUR;

/* ---- messages ------------------------------------------------------------ */

struct ctl_service {
	char *name;		/* "remote-shell" */
	char *target;		/* "10.1.2.3:22", "[fd00::1]:22" */
};

struct ctl_device {
	char *name;
	char *site;
	char *model;
	struct ctl_service *services;
	size_t nservices;
};

struct ctl_hello {		/* AP -> hub, first message */
	char *ap_name;
	char *version;		/* software version of the AP */
	char *site;
	struct ctl_device *devices;
	size_t ndevices;
};

struct ctl_hello_ack {		/* hub -> AP, reply to HELLO */
	char *hub_name;
	uint32_t heartbeat_s;	/* CTL_HEARTBEAT_MIN..MAX */
};

struct ctl_ping {		/* PING and PONG (either way) */
	uint64_t time_ms;	/* sender's clock; PONG echoes the PING's */
};

struct ctl_error {		/* either way; the sender then closes */
	uint32_t code;		/* enum ctl_errcode */
	char *reason;
};

struct ctl_stream_open {	/* hub -> AP */
	uint8_t stream_id[CTL_STREAM_ID_LEN];
	uint8_t token[CTL_TOKEN_LEN];	/* one-time pairing token: secret */
	char *relay;		/* host:port of the hub's relay */
	uint8_t engineer_fpr[CTL_FPR_LEN];
	char *engineer_cn;
	char *device;
	char *service;
	char *ticket;		/* ticket or approval id; may be "" */
	char *source;		/* engineer's source address, for audit */
};

struct ctl_stream_open_ok {	/* AP -> hub */
	uint8_t stream_id[CTL_STREAM_ID_LEN];
};

struct ctl_stream_open_err {	/* AP -> hub */
	uint8_t stream_id[CTL_STREAM_ID_LEN];
	uint32_t code;		/* enum ctl_errcode */
	char *reason;
};

struct ctl_stream_close {	/* either way */
	uint8_t stream_id[CTL_STREAM_ID_LEN];
	char *reason;
	uint64_t bytes_up;	/* engineer -> device */
	uint64_t bytes_down;	/* device -> engineer */
	uint64_t duration_ms;
};

/* The JSON-bodied workflow messages (CTL_ALERT .. CTL_ACK). */
#define CTL_JSON_DEPTH_MAX 8	/* nesting of objects and arrays */
struct json_t;
struct ctl_json {
	struct json_t *body;	/* a JSON object; owned by the message */
};

/* A decoded message, or one to encode: type selects the union member. */
struct ctl_msg {
	uint16_t type;		/* enum ctl_type */
	uint32_t id;		/* request id */
	union {
		struct ctl_hello hello;
		struct ctl_hello_ack hello_ack;
		struct ctl_ping ping;	/* PING and PONG */
		struct ctl_error error;
		struct ctl_stream_open stream_open;
		struct ctl_stream_open_ok stream_open_ok;
		struct ctl_stream_open_err stream_open_err;
		struct ctl_stream_close stream_close;
		struct ctl_json json;	/* CTL_ALERT .. CTL_ACK */
	} u;
};

/*
 * Decode the payload of frame f into a new message (*mp, freed with
 * ctl_msg_free). RSG_ERR_FORMAT: malformed, unknown type, trailing bytes,
 * control characters in a string, an empty required string, a bad
 * host:port, a zero error code, duplicate device or service names, a count
 * larger than the payload could hold; RSG_ERR_LIMIT: a string or count over
 * its limit; RSG_ERR_RANGE: heartbeat interval out of range;
 * RSG_ERR_INCOMPLETE: the payload ends inside a field (also a malformed
 * message: the frame itself is complete); RSG_ERR_VERSION; RSG_ERR_NOMEM.
 * Nothing is written to *mp on error.
 */
int ctl_msg_decode(const struct ctl_frame *f, struct ctl_msg **mp) RSG_WUR;

/*
 * Append m as one complete frame to out, ready to write. The same rules as
 * the decoder apply (so the peer will accept it); the frame must fit
 * CTL_FRAME_MAX (CTL_FRAME_MAX_HELLO for HELLO and HELLO_ACK). On error
 * out is unchanged. RSG_ERR_LIMIT, RSG_ERR_FORMAT, RSG_ERR_NOMEM.
 */
int ctl_msg_encode(const struct ctl_msg *m, struct rsg_buf *out) RSG_WUR;

/* Free a decoded message and its strings, wiping the token. NULL is fine. */
void ctl_msg_free(struct ctl_msg *m);

/*
 * Split "host:port" or "[v6addr]:port" into host (without brackets) and
 * port 1..65535. host is written to a buffer of hostlen bytes.
 * RSG_ERR_FORMAT or RSG_ERR_LIMIT (host too long for the buffer).
 */
int ctl_hostport_split(const char *s, char *host, size_t hostlen,
    uint16_t *port) RSG_WUR;

#endif /* RSGATE_CTLMSG_H */
