/*
 * test-ctlmsg.c: the control-channel codec (docs/PROTOCOL.md). Every message
 * type round-trips; one frame is checked byte by byte; every limit, every
 * truncation and every malformed field is refused without a crash or a
 * leak, and allocation failures are clean. The channel carries the stream
 * requests that the AP authorises and audits on its side (R20, R33, R38),
 * so the codec is the first line of defence of the AP against the hub.
 *
 * With RSG_WRITE_CORPUS=DIR set, the test also writes its sample frames as
 * the fuzz seed corpus (tests/fuzz/corpus/ctlmsg/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rsgate/ctlmsg.h"

#include "testutil.h"

static struct ctl_service svc_a[] = {
	{ "remote-shell", "10.1.2.3:22" },
	{ "remote-desktop", "[fd00::1]:3389" },
};

static struct ctl_device sample_devices[] = {
	{ "ct-01", "radiology-3F", "Acme CT-9000", svc_a, 2 },
	{ "mri-02", "", "", NULL, 0 },
};

/* Fill m with a representative message of the given type. */
static void
sample_msg(uint16_t type, struct ctl_msg *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->id = 0x10000 + type;
	switch (type) {
	case CTL_HELLO:
		m->u.hello.ap_name = "ap-tokyo-1";
		m->u.hello.version = "0.1.0";
		m->u.hello.site = "tokyo-general";
		m->u.hello.devices = sample_devices;
		m->u.hello.ndevices = 2;
		break;
	case CTL_HELLO_ACK:
		m->u.hello_ack.hub_name = "hub-rsc";
		m->u.hello_ack.heartbeat_s = 10;
		break;
	case CTL_PING:
	case CTL_PONG:
		m->u.ping.time_ms = 1795000000123ULL;
		break;
	case CTL_ERROR:
		m->u.error.code = CTL_E_PROTOCOL;
		m->u.error.reason = "malformed frame";
		break;
	case CTL_STREAM_OPEN:
		for (i = 0; i < CTL_STREAM_ID_LEN; i++)
			m->u.stream_open.stream_id[i] = (uint8_t)(0xa0 + i);
		for (i = 0; i < CTL_TOKEN_LEN; i++)
			m->u.stream_open.token[i] = (uint8_t)(0x40 + i);
		for (i = 0; i < CTL_FPR_LEN; i++)
			m->u.stream_open.engineer_fpr[i] = (uint8_t)i;
		m->u.stream_open.relay = "hub.example.com:7443";
		m->u.stream_open.engineer_cn = "eng-suzuki";
		m->u.stream_open.device = "ct-01";
		m->u.stream_open.service = "remote-shell";
		m->u.stream_open.ticket = "";
		m->u.stream_open.source = "198.51.100.7:50123";
		break;
	case CTL_STREAM_OPEN_OK:
		memset(m->u.stream_open_ok.stream_id, 0xa1, CTL_STREAM_ID_LEN);
		break;
	case CTL_STREAM_OPEN_ERR:
		memset(m->u.stream_open_err.stream_id, 0xa2, CTL_STREAM_ID_LEN);
		m->u.stream_open_err.code = CTL_E_DENIED;
		m->u.stream_open_err.reason = "no standing policy allows it";
		break;
	case CTL_STREAM_CLOSE:
		memset(m->u.stream_close.stream_id, 0xa3, CTL_STREAM_ID_LEN);
		m->u.stream_close.reason = "closed by engineer";
		m->u.stream_close.bytes_up = 1234;
		m->u.stream_close.bytes_down = 0x100000000ULL;
		m->u.stream_close.duration_ms = 60000;
		break;
	default:
		fail();
	}
}

static const uint16_t all_types[] = {
	CTL_HELLO, CTL_HELLO_ACK, CTL_PING, CTL_PONG, CTL_ERROR,
	CTL_STREAM_OPEN, CTL_STREAM_OPEN_OK, CTL_STREAM_OPEN_ERR,
	CTL_STREAM_CLOSE,
};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

static struct rsg_buf *
encode_sample(uint16_t type)
{
	struct rsg_buf *b;
	struct ctl_msg m;

	sample_msg(type, &m);
	assert_non_null(b = buf_new(0));
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	return b;
}

/* Decode a bare payload of the given type (no framing). */
static int
decode_payload(uint16_t type, const void *p, size_t n, struct ctl_msg **mp)
{
	struct ctl_frame f = { CTL_PROTO_VERSION, type, 7, p, n };

	return ctl_msg_decode(&f, mp);
}

static void
test_roundtrip_all(void **state)
{
	const struct ctl_msg *d;
	struct rsg_buf *b, *b2;
	struct ctl_frame f;
	struct ctl_msg *m, s;
	size_t i, used;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		b = encode_sample(all_types[i]);
		sample_msg(all_types[i], &s);
		assert_int_equal(ctl_frame_parse(buf_ptr(b), buf_len(b),
		    CTL_FRAME_MAX, &f, &used), 0);
		assert_int_equal(used, buf_len(b));
		assert_int_equal(f.type, all_types[i]);
		assert_int_equal(f.id, s.id);
		assert_int_equal(ctl_msg_decode(&f, &m), 0);
		d = m;
		assert_int_equal(d->type, all_types[i]);
		assert_int_equal(d->id, s.id);
		/* Canonical encoding: re-encoding gives the same bytes. */
		assert_non_null(b2 = buf_new(0));
		assert_int_equal(ctl_msg_encode(d, b2), 0);
		assert_int_equal(buf_len(b2), buf_len(b));
		assert_memory_equal(buf_ptr(b2), buf_ptr(b), buf_len(b));
		buf_free(b2);
		switch (d->type) {
		case CTL_HELLO:
			assert_string_equal(d->u.hello.ap_name, "ap-tokyo-1");
			assert_string_equal(d->u.hello.site, "tokyo-general");
			assert_int_equal(d->u.hello.ndevices, 2);
			assert_string_equal(d->u.hello.devices[0].model,
			    "Acme CT-9000");
			assert_int_equal(d->u.hello.devices[0].nservices, 2);
			assert_string_equal(
			    d->u.hello.devices[0].services[1].target,
			    "[fd00::1]:3389");
			assert_string_equal(d->u.hello.devices[1].name,
			    "mri-02");
			assert_int_equal(d->u.hello.devices[1].nservices, 0);
			break;
		case CTL_HELLO_ACK:
			assert_string_equal(d->u.hello_ack.hub_name, "hub-rsc");
			assert_int_equal(d->u.hello_ack.heartbeat_s, 10);
			break;
		case CTL_PING:
		case CTL_PONG:
			assert_true(d->u.ping.time_ms == 1795000000123ULL);
			break;
		case CTL_ERROR:
			assert_int_equal(d->u.error.code, CTL_E_PROTOCOL);
			assert_string_equal(d->u.error.reason,
			    "malformed frame");
			break;
		case CTL_STREAM_OPEN:
			assert_memory_equal(d->u.stream_open.token,
			    s.u.stream_open.token, CTL_TOKEN_LEN);
			assert_memory_equal(d->u.stream_open.stream_id,
			    s.u.stream_open.stream_id, CTL_STREAM_ID_LEN);
			assert_memory_equal(d->u.stream_open.engineer_fpr,
			    s.u.stream_open.engineer_fpr, CTL_FPR_LEN);
			assert_string_equal(d->u.stream_open.relay,
			    "hub.example.com:7443");
			assert_string_equal(d->u.stream_open.engineer_cn,
			    "eng-suzuki");
			assert_string_equal(d->u.stream_open.service,
			    "remote-shell");
			assert_string_equal(d->u.stream_open.ticket, "");
			assert_string_equal(d->u.stream_open.source,
			    "198.51.100.7:50123");
			break;
		case CTL_STREAM_OPEN_OK:
			assert_int_equal(d->u.stream_open_ok.stream_id[15],
			    0xa1);
			break;
		case CTL_STREAM_OPEN_ERR:
			assert_int_equal(d->u.stream_open_err.code,
			    CTL_E_DENIED);
			assert_string_equal(ctl_errcode_name(
			    d->u.stream_open_err.code), "DENIED");
			break;
		case CTL_STREAM_CLOSE:
			assert_true(d->u.stream_close.bytes_down ==
			    0x100000000ULL);
			assert_true(d->u.stream_close.bytes_up == 1234);
			assert_true(d->u.stream_close.duration_ms == 60000);
			assert_string_equal(d->u.stream_close.reason,
			    "closed by engineer");
			break;
		default:
			fail();
		}
		ctl_msg_free(m);
		buf_free(b);
	}
}

static void
test_known_answer(void **state)
{
	static const uint8_t want_ping[] = {
		0x00, 0x00, 0x00, 0x0f,	/* length: 1 + 2 + 4 + 8 */
		0x01,			/* version */
		0x00, 0x03,		/* PING */
		0x01, 0x02, 0x03, 0x04,	/* request id */
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};
	static const uint8_t want_error[] = {
		0x00, 0x00, 0x00, 0x12,	/* 7 + 4 + 4 + 3 */
		0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x02,	/* CTL_E_LIMIT */
		0x00, 0x00, 0x00, 0x03, 'b', 'i', 'g',
	};
	struct ctl_msg m;
	struct rsg_buf *b;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = CTL_PING;
	m.id = 0x01020304;
	m.u.ping.time_ms = 0x1122334455667788ULL;
	assert_non_null(b = buf_new(0));
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	assert_int_equal(buf_len(b), sizeof(want_ping));
	assert_memory_equal(buf_ptr(b), want_ping, sizeof(want_ping));
	buf_reset(b);
	memset(&m, 0, sizeof(m));
	m.type = CTL_ERROR;
	m.u.error.code = CTL_E_LIMIT;
	m.u.error.reason = "big";
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	assert_int_equal(buf_len(b), sizeof(want_error));
	assert_memory_equal(buf_ptr(b), want_error, sizeof(want_error));
	buf_free(b);
}

/* Every proper prefix of a valid frame is "incomplete", never an error. */
static void
test_truncated_frames(void **state)
{
	struct ctl_frame f;
	struct rsg_buf *b;
	size_t i, k, used;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		b = encode_sample(all_types[i]);
		for (k = 0; k < buf_len(b); k++) {
			used = 12345;
			assert_int_equal(ctl_frame_parse(buf_ptr(b), k,
			    CTL_FRAME_MAX, &f, &used), RSG_ERR_INCOMPLETE);
			assert_int_equal(used, 12345);	/* untouched */
		}
		buf_free(b);
	}
}

/* A complete frame whose payload stops short of the message is refused. */
static void
test_truncated_payloads(void **state)
{
	struct ctl_frame f;
	struct ctl_msg *m;
	struct rsg_buf *b;
	size_t i, k, used;
	int r;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		b = encode_sample(all_types[i]);
		assert_int_equal(ctl_frame_parse(buf_ptr(b), buf_len(b),
		    CTL_FRAME_MAX, &f, &used), 0);
		for (k = 0; k < f.payload_len; k++) {
			m = NULL;
			r = decode_payload(f.type, f.payload, k, &m);
			assert_true(r < 0);
			assert_null(m);
		}
		buf_free(b);
	}
}

static void
test_trailing_bytes(void **state)
{
	struct ctl_frame f;
	struct ctl_msg *m = NULL;
	struct rsg_buf *b;
	uint8_t *p;
	size_t i, used;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		b = encode_sample(all_types[i]);
		/* One extra byte, counted in the length: a complete frame. */
		assert_int_equal(buf_put_u8(b, 0), 0);
		p = buf_mutable_ptr(b);
		p[3]++;
		assert_int_equal(ctl_frame_parse(buf_ptr(b), buf_len(b),
		    CTL_FRAME_MAX, &f, &used), 0);
		assert_int_equal(used, buf_len(b));
		assert_int_equal(ctl_msg_decode(&f, &m), RSG_ERR_FORMAT);
		assert_null(m);
		buf_free(b);
	}
}

/* Two frames back to back: the parser takes exactly the first. */
static void
test_frame_stream(void **state)
{
	struct ctl_frame f;
	struct rsg_buf *b, *b2;
	size_t used, first;

	(void)state;
	b = encode_sample(CTL_HELLO);
	first = buf_len(b);
	b2 = encode_sample(CTL_PING);
	assert_int_equal(buf_put(b, buf_ptr(b2), buf_len(b2)), 0);
	assert_int_equal(ctl_frame_parse(buf_ptr(b), buf_len(b),
	    CTL_FRAME_MAX_HELLO, &f, &used), 0);
	assert_int_equal(used, first);
	assert_int_equal(f.type, CTL_HELLO);
	assert_int_equal(ctl_frame_parse(buf_ptr(b) + used, buf_len(b) - used,
	    CTL_FRAME_MAX, &f, &used), 0);
	assert_int_equal(f.type, CTL_PING);
	buf_free(b);
	buf_free(b2);
}

static void
test_frame_header_limits(void **state)
{
	uint8_t h[CTL_FRAME_HDR_LEN] = { 0, 0, 0, 7, 1, 0, CTL_PING, 0, 0,
		0, 1 };
	struct ctl_frame f;
	size_t used;
	uint32_t n;

	(void)state;
	/* Oversized length: refused from the four length bytes alone. */
	n = CTL_FRAME_MAX + 1;
	h[0] = (uint8_t)(n >> 24);
	h[1] = (uint8_t)(n >> 16);
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)n;
	assert_int_equal(ctl_frame_parse(h, 4, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_LIMIT);
	/* A caller's larger max is clamped to CTL_FRAME_MAX. */
	assert_int_equal(ctl_frame_parse(h, 4, SIZE_MAX, &f, &used),
	    RSG_ERR_LIMIT);
	memset(h, 0xff, 4);
	assert_int_equal(ctl_frame_parse(h, 4, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_LIMIT);
	/* Before hello the smaller cap applies. */
	n = CTL_FRAME_MAX_HELLO + 1;
	h[0] = (uint8_t)(n >> 24);
	h[1] = (uint8_t)(n >> 16);
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)n;
	assert_int_equal(ctl_frame_parse(h, 4, CTL_FRAME_MAX_HELLO, &f,
	    &used), RSG_ERR_LIMIT);
	assert_int_equal(ctl_frame_parse(h, 4, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_INCOMPLETE);
	/* Exactly the cap is allowed (and incomplete here). */
	n = CTL_FRAME_MAX;
	h[0] = (uint8_t)(n >> 24);
	h[1] = (uint8_t)(n >> 16);
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)n;
	assert_int_equal(ctl_frame_parse(h, sizeof(h), CTL_FRAME_MAX, &f,
	    &used), RSG_ERR_INCOMPLETE);
	/* Length too short to hold the header. */
	memcpy(h, "\0\0\0\6", 4);
	assert_int_equal(ctl_frame_parse(h, 4, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_FORMAT);
	memcpy(h, "\0\0\0\0", 4);
	assert_int_equal(ctl_frame_parse(h, 4, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_FORMAT);
	/* Unknown version: refused at its byte; 0 and 2 alike. */
	memcpy(h, "\0\0\0\7", 4);
	h[4] = 2;
	assert_int_equal(ctl_frame_parse(h, 5, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_VERSION);
	h[4] = 0;
	assert_int_equal(ctl_frame_parse(h, 5, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_VERSION);
	/* Unknown type: refused once its two bytes are in. */
	h[4] = 1;
	h[5] = 0;
	h[6] = 6;
	assert_int_equal(ctl_frame_parse(h, 6, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_INCOMPLETE);
	assert_int_equal(ctl_frame_parse(h, 7, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_FORMAT);
	h[5] = 0xff;
	h[6] = 0xff;
	assert_int_equal(ctl_frame_parse(h, 7, CTL_FRAME_MAX, &f, &used),
	    RSG_ERR_FORMAT);
	/* Empty payload of a known type: framed fine, refused by decode. */
	h[5] = 0;
	h[6] = CTL_PING;
	assert_int_equal(ctl_frame_parse(h, sizeof(h), CTL_FRAME_MAX, &f,
	    &used), 0);
	assert_int_equal(used, CTL_FRAME_HDR_LEN);
	assert_int_equal(f.payload_len, 0);
	assert_int_equal(f.id, 1);
}

static void
test_decode_bad_frame_fields(void **state)
{
	struct ctl_frame f = { 2, CTL_PING, 0, (const uint8_t *)"12345678", 8 };
	struct ctl_msg *m = NULL;

	(void)state;
	assert_int_equal(ctl_msg_decode(&f, &m), RSG_ERR_VERSION);
	f.version = 1;
	f.type = 99;
	assert_int_equal(ctl_msg_decode(&f, &m), RSG_ERR_FORMAT);
	assert_null(m);
	f.type = CTL_PING;
	assert_int_equal(ctl_msg_decode(&f, &m), 0);
	ctl_msg_free(m);
	ctl_msg_free(NULL);
}

static char *
repeat(char c, size_t n)
{
	char *s;

	assert_non_null(s = malloc(n + 1));
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Strings: at the limit fine, one byte over refused both ways. */
static void
test_string_limits(void **state)
{
	struct ctl_msg m, *d = NULL;
	struct rsg_buf *b, *p;
	char *name255 = repeat('n', CTL_NAME_MAX);
	char *name256 = repeat('n', CTL_NAME_MAX + 1);
	char *reason1024 = repeat('r', CTL_REASON_MAX);
	char *reason1025 = repeat('r', CTL_REASON_MAX + 1);

	(void)state;
	assert_non_null(b = buf_new(0));
	sample_msg(CTL_HELLO_ACK, &m);
	m.u.hello_ack.hub_name = name255;
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	m.u.hello_ack.hub_name = name256;
	buf_reset(b);
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_LIMIT);
	assert_int_equal(buf_len(b), 0);	/* out unchanged on error */

	sample_msg(CTL_ERROR, &m);
	m.u.error.reason = reason1024;
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	m.u.error.reason = reason1025;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_LIMIT);

	/* Hand-made payloads the encoder would not produce. */
	assert_non_null(p = buf_new(0));
	assert_int_equal(buf_put_cstring(p, name256), 0);
	assert_int_equal(buf_put_u32(p, 10), 0);
	assert_int_equal(decode_payload(CTL_HELLO_ACK, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_LIMIT);
	buf_reset(p);
	assert_int_equal(buf_put_cstring(p, name255), 0);
	assert_int_equal(buf_put_u32(p, 10), 0);
	assert_int_equal(decode_payload(CTL_HELLO_ACK, buf_ptr(p), buf_len(p),
	    &d), 0);
	ctl_msg_free(d);
	d = NULL;
	buf_reset(p);
	assert_int_equal(buf_put_u32(p, CTL_E_LIMIT), 0);
	assert_int_equal(buf_put_cstring(p, reason1025), 0);
	assert_int_equal(decode_payload(CTL_ERROR, buf_ptr(p), buf_len(p), &d),
	    RSG_ERR_LIMIT);
	/* A length field far beyond the payload. */
	buf_reset(p);
	assert_int_equal(buf_put_u32(p, CTL_E_LIMIT), 0);
	assert_int_equal(buf_put_u32(p, 0xffffffffu), 0);
	assert_int_equal(decode_payload(CTL_ERROR, buf_ptr(p), buf_len(p), &d),
	    RSG_ERR_LIMIT);
	buf_reset(p);
	assert_int_equal(buf_put_u32(p, CTL_E_LIMIT), 0);
	assert_int_equal(buf_put_u32(p, 20), 0);
	assert_int_equal(buf_put(p, "short", 5), 0);
	assert_int_equal(decode_payload(CTL_ERROR, buf_ptr(p), buf_len(p), &d),
	    RSG_ERR_INCOMPLETE);
	assert_null(d);
	buf_free(p);
	buf_free(b);
	free(name255);
	free(name256);
	free(reason1024);
	free(reason1025);
}

/* A HELLO payload with n devices of one service each, names d0, d1... */
static struct rsg_buf *
hello_payload(uint32_t ndev, uint32_t nsvc, uint32_t claimed)
{
	struct rsg_buf *p;
	char name[32];
	uint32_t i, j;

	assert_non_null(p = buf_new(0));
	assert_int_equal(buf_put_cstring(p, "ap"), 0);
	assert_int_equal(buf_put_cstring(p, "1"), 0);
	assert_int_equal(buf_put_cstring(p, "site"), 0);
	assert_int_equal(buf_put_u32(p, claimed), 0);
	for (i = 0; i < ndev; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		assert_int_equal(buf_put_cstring(p, name), 0);
		assert_int_equal(buf_put_cstring(p, ""), 0);
		assert_int_equal(buf_put_cstring(p, ""), 0);
		assert_int_equal(buf_put_u32(p, nsvc), 0);
		for (j = 0; j < nsvc; j++) {
			snprintf(name, sizeof(name), "s%u", j);
			assert_int_equal(buf_put_cstring(p, name), 0);
			assert_int_equal(buf_put_cstring(p, "h:1"), 0);
		}
	}
	return p;
}

static void
test_count_limits(void **state)
{
	struct ctl_device *devs;
	struct ctl_service *svcs;
	struct ctl_msg m, *d = NULL;
	struct rsg_buf *b, *p;
	char (*names)[16];
	size_t i;

	(void)state;
	/* At the limits, the decoder takes it. */
	p = hello_payload(CTL_DEVICES_MAX, 1, CTL_DEVICES_MAX);
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p),
	    &d), 0);
	assert_int_equal(d->u.hello.ndevices, CTL_DEVICES_MAX);
	ctl_msg_free(d);
	d = NULL;
	buf_free(p);
	p = hello_payload(1, CTL_SERVICES_MAX, 1);
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p),
	    &d), 0);
	assert_int_equal(d->u.hello.devices[0].nservices, CTL_SERVICES_MAX);
	ctl_msg_free(d);
	d = NULL;
	buf_free(p);
	/* One more device or service: LIMIT, before reading them. */
	p = hello_payload(CTL_DEVICES_MAX + 1, 0, CTL_DEVICES_MAX + 1);
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_LIMIT);
	buf_free(p);
	p = hello_payload(1, CTL_SERVICES_MAX + 1, 1);
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_LIMIT);
	buf_free(p);
	/* A count the remaining bytes cannot hold: refused, no allocation. */
	p = hello_payload(2, 0, 1000);
	failalloc_arm(1000000);	/* only to restart the count */
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_FORMAT);
	/* The message and its three strings; no device array. */
	assert_int_equal(failalloc_count(), 4);
	failalloc_disarm();
	buf_free(p);
	assert_null(d);

	/* The encoder refuses the same. */
	assert_non_null(devs = calloc(CTL_DEVICES_MAX + 1, sizeof(*devs)));
	assert_non_null(names = calloc(CTL_DEVICES_MAX + 1, sizeof(*names)));
	for (i = 0; i <= CTL_DEVICES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "d%zu", i);
		devs[i].name = names[i];
	}
	sample_msg(CTL_HELLO, &m);
	m.u.hello.devices = devs;
	m.u.hello.ndevices = CTL_DEVICES_MAX + 1;
	assert_non_null(b = buf_new(0));
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_LIMIT);
	/* 1024 short devices fit the hello cap. */
	m.u.hello.ndevices = CTL_DEVICES_MAX;
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	assert_true(buf_len(b) <= 4 + CTL_FRAME_MAX_HELLO);
	buf_reset(b);
	assert_non_null(svcs = calloc(CTL_SERVICES_MAX + 1, sizeof(*svcs)));
	for (i = 0; i <= CTL_SERVICES_MAX; i++) {
		svcs[i].name = names[i];
		svcs[i].target = "h:1";
	}
	devs[0].services = svcs;
	devs[0].nservices = CTL_SERVICES_MAX + 1;
	m.u.hello.ndevices = 1;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_LIMIT);
	devs[0].nservices = CTL_SERVICES_MAX;
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	buf_free(b);
	free(svcs);
	free(names);
	free(devs);
}

/* A HELLO bigger than the pre-hello cap is refused by the encoder. */
static void
test_hello_frame_cap(void **state)
{
	struct ctl_device *devs;
	struct ctl_msg m;
	struct rsg_buf *b;
	char (*names)[CTL_NAME_MAX + 1];
	size_t i;

	(void)state;
	assert_non_null(devs = calloc(CTL_DEVICES_MAX, sizeof(*devs)));
	assert_non_null(names = calloc(CTL_DEVICES_MAX, sizeof(*names)));
	for (i = 0; i < CTL_DEVICES_MAX; i++) {
		memset(names[i], 'x', CTL_NAME_MAX);
		snprintf(names[i], 16, "%zu", i);
		names[i][strlen(names[i])] = 'x';
		devs[i].name = names[i];
	}
	sample_msg(CTL_HELLO, &m);
	m.u.hello.devices = devs;
	m.u.hello.ndevices = CTL_DEVICES_MAX;
	assert_non_null(b = buf_new(0));
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_LIMIT);
	assert_int_equal(buf_len(b), 0);
	buf_free(b);
	free(names);
	free(devs);
}

/* The decoder holds a HELLO to the same cap, wherever it arrives. */
static void
test_hello_decode_cap(void **state)
{
	struct ctl_msg *d = NULL;
	struct rsg_buf *p;

	(void)state;
	p = hello_payload(CTL_DEVICES_MAX, 5, CTL_DEVICES_MAX);
	assert_true(buf_len(p) > CTL_FRAME_MAX_HELLO);
	assert_true(buf_len(p) < CTL_FRAME_MAX);
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_LIMIT);
	assert_null(d);
	buf_free(p);
}

static void
test_malformed_fields(void **state)
{
	struct ctl_service dup_svc[] = { { "a", "h:1" }, { "a", "h:2" } };
	struct ctl_device dup_dev[] = { { "a", "", "", NULL, 0 },
		{ "a", "", "", NULL, 0 } };
	struct ctl_device one_dev[] = { { "a", "", "", dup_svc, 1 } };
	static const char *const bad_targets[] = { "h", "h:", ":22", "h:0",
		"h:65536", "h:022", "h:+22", "h:22x", "h h:22", "[::1:22",
		"::1:22", "[]:22", "[g::1]:22", "h:-1", "" };
	struct ctl_msg m, *d = NULL;
	struct rsg_buf *b, *p;
	size_t i;

	(void)state;
	assert_non_null(b = buf_new(0));
	/* Control characters in a string. */
	sample_msg(CTL_HELLO_ACK, &m);
	m.u.hello_ack.hub_name = "hub\nFAKE LOG LINE";
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	m.u.hello_ack.hub_name = "hub\x7f";
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	/* Empty required string. */
	m.u.hello_ack.hub_name = "";
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	/* Heartbeat out of range. */
	m.u.hello_ack.hub_name = "hub";
	m.u.hello_ack.heartbeat_s = 0;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_RANGE);
	m.u.hello_ack.heartbeat_s = CTL_HEARTBEAT_MAX + 1;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_RANGE);
	/* Zero error code. */
	sample_msg(CTL_ERROR, &m);
	m.u.error.code = 0;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	sample_msg(CTL_STREAM_OPEN_ERR, &m);
	m.u.stream_open_err.code = 0;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	/* Duplicate device and service names. */
	sample_msg(CTL_HELLO, &m);
	m.u.hello.devices = dup_dev;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	m.u.hello.devices = one_dev;
	m.u.hello.ndevices = 1;
	one_dev[0].nservices = 2;
	assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	/* Bad host:port targets. */
	one_dev[0].nservices = 1;
	for (i = 0; i < sizeof(bad_targets) / sizeof(bad_targets[0]); i++) {
		dup_svc[0].target = (char *)bad_targets[i];
		assert_int_equal(ctl_msg_encode(&m, b), RSG_ERR_FORMAT);
	}
	assert_int_equal(buf_len(b), 0);

	/* The decoder refuses the same, given hand-made payloads. */
	assert_non_null(p = buf_new(0));
	assert_int_equal(buf_put_string(p, "hub\0x", 5), 0);
	assert_int_equal(buf_put_u32(p, 10), 0);
	assert_int_equal(decode_payload(CTL_HELLO_ACK, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_FORMAT);
	buf_reset(p);
	assert_int_equal(buf_put_cstring(p, "hub\x1b[2J"), 0);
	assert_int_equal(buf_put_u32(p, 10), 0);
	assert_int_equal(decode_payload(CTL_HELLO_ACK, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_FORMAT);
	buf_reset(p);
	assert_int_equal(buf_put_cstring(p, "hub"), 0);
	assert_int_equal(buf_put_u32(p, 0), 0);
	assert_int_equal(decode_payload(CTL_HELLO_ACK, buf_ptr(p), buf_len(p),
	    &d), RSG_ERR_RANGE);
	buf_reset(p);
	assert_int_equal(buf_put_u32(p, 0), 0);
	assert_int_equal(buf_put_cstring(p, "zero"), 0);
	assert_int_equal(decode_payload(CTL_ERROR, buf_ptr(p), buf_len(p), &d),
	    RSG_ERR_FORMAT);
	buf_free(p);
	/* Duplicate device names on the wire. */
	p = hello_payload(2, 0, 2);
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p), &d),
	    0);
	ctl_msg_free(d);
	d = NULL;
	buf_free(p);
	assert_non_null(p = buf_new(0));
	assert_int_equal(buf_put_cstring(p, "ap"), 0);
	assert_int_equal(buf_put_cstring(p, "1"), 0);
	assert_int_equal(buf_put_cstring(p, "site"), 0);
	assert_int_equal(buf_put_u32(p, 2), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(buf_put_cstring(p, "same"), 0);
		assert_int_equal(buf_put_cstring(p, ""), 0);
		assert_int_equal(buf_put_cstring(p, ""), 0);
		assert_int_equal(buf_put_u32(p, 0), 0);
	}
	assert_int_equal(decode_payload(CTL_HELLO, buf_ptr(p), buf_len(p), &d),
	    RSG_ERR_FORMAT);
	assert_null(d);
	buf_free(p);
	buf_free(b);
}

static void
test_hostport_split(void **state)
{
	char host[8];
	uint16_t port = 0;

	(void)state;
	assert_int_equal(ctl_hostport_split("a.b:80", host, sizeof(host),
	    &port), 0);
	assert_string_equal(host, "a.b");
	assert_int_equal(port, 80);
	assert_int_equal(ctl_hostport_split("[::1]:65535", host, sizeof(host),
	    &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);
	assert_int_equal(ctl_hostport_split("abcdefgh:1", host, sizeof(host),
	    &port), RSG_ERR_LIMIT);
	assert_int_equal(ctl_hostport_split(NULL, host, sizeof(host), &port),
	    RSG_ERR_FORMAT);
}

static void
test_type_table(void **state)
{
	(void)state;
	assert_string_equal(ctl_type_name(CTL_STREAM_OPEN), "STREAM_OPEN");
	assert_string_equal(ctl_type_name(999), "UNKNOWN");
	assert_null(ctl_type_lookup(0));
	assert_non_null(ctl_type_lookup(CTL_STREAM_CLOSE));
	assert_string_equal(ctl_errcode_name(12345), "UNKNOWN");
	/* HELLO: AP only, and only first. */
	assert_int_equal(ctl_type_allowed(CTL_HELLO, CTL_ROLE_AP, 0), 0);
	assert_int_equal(ctl_type_allowed(CTL_HELLO, CTL_ROLE_AP, 1),
	    RSG_ERR_INVALID_ARG);
	assert_int_equal(ctl_type_allowed(CTL_HELLO, CTL_ROLE_HUB, 0),
	    RSG_ERR_FORMAT);
	assert_int_equal(ctl_type_allowed(CTL_HELLO_ACK, CTL_ROLE_HUB, 0), 0);
	assert_int_equal(ctl_type_allowed(CTL_HELLO_ACK, CTL_ROLE_AP, 0),
	    RSG_ERR_FORMAT);
	/* Nothing else before hello, except ERROR. */
	assert_int_equal(ctl_type_allowed(CTL_PING, CTL_ROLE_AP, 0),
	    RSG_ERR_INVALID_ARG);
	assert_int_equal(ctl_type_allowed(CTL_ERROR, CTL_ROLE_AP, 0), 0);
	assert_int_equal(ctl_type_allowed(CTL_ERROR, CTL_ROLE_HUB, 1), 0);
	/* Only the hub opens streams; only the AP answers. */
	assert_int_equal(ctl_type_allowed(CTL_STREAM_OPEN, CTL_ROLE_HUB, 1), 0);
	assert_int_equal(ctl_type_allowed(CTL_STREAM_OPEN, CTL_ROLE_AP, 1),
	    RSG_ERR_FORMAT);
	assert_int_equal(ctl_type_allowed(CTL_STREAM_OPEN_OK, CTL_ROLE_HUB, 1),
	    RSG_ERR_FORMAT);
	assert_int_equal(ctl_type_allowed(CTL_STREAM_OPEN_ERR, CTL_ROLE_AP, 1),
	    0);
	assert_int_equal(ctl_type_allowed(CTL_STREAM_CLOSE, CTL_ROLE_AP, 1), 0);
	assert_int_equal(ctl_type_allowed(CTL_STREAM_CLOSE, CTL_ROLE_HUB, 1),
	    0);
	assert_int_equal(ctl_type_allowed(77, CTL_ROLE_HUB, 1),
	    RSG_ERR_FORMAT);
}

/* Every allocation of a decode or encode can fail: clean error, no leak. */
static void
test_alloc_failures(void **state)
{
	struct ctl_frame f;
	struct ctl_msg *m, s;
	struct rsg_buf *b, *out;
	size_t i, used;
	unsigned long n;
	int r;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		b = encode_sample(all_types[i]);
		assert_int_equal(ctl_frame_parse(buf_ptr(b), buf_len(b),
		    CTL_FRAME_MAX, &f, &used), 0);
		for (n = 1;; n++) {
			m = NULL;
			failalloc_arm(n);
			r = ctl_msg_decode(&f, &m);
			if (!failalloc_fired()) {
				failalloc_disarm();
				assert_int_equal(r, 0);
				ctl_msg_free(m);
				break;
			}
			failalloc_disarm();
			assert_int_equal(r, RSG_ERR_NOMEM);
			assert_null(m);
		}
		assert_true(n > 1);
		sample_msg(all_types[i], &s);
		for (n = 1;; n++) {
			assert_non_null(out = buf_new(0));
			failalloc_arm(n);
			r = ctl_msg_encode(&s, out);
			if (!failalloc_fired()) {
				failalloc_disarm();
				assert_int_equal(r, 0);
				assert_int_equal(buf_len(out), buf_len(b));
				break;
			}
			failalloc_disarm();
			assert_int_equal(r, RSG_ERR_NOMEM);
			assert_int_equal(buf_len(out), 0);
			buf_free(out);
		}
		buf_free(out);
		buf_free(b);
	}
}

/* The workflow messages carry one bounded JSON object each. */
static struct rsg_buf *
encode_json(uint16_t type, const char *text)
{
	struct rsg_buf *b;
	struct ctl_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.id = 77;
	assert_non_null(m.u.json.body = json_loads(text, 0, NULL));
	assert_non_null(b = buf_new(0));
	assert_int_equal(ctl_msg_encode(&m, b), 0);
	json_decref(m.u.json.body);
	return b;
}

static void
test_json_types(void **state)
{
	static const uint16_t types[] = { CTL_ALERT, CTL_TICKET, CTL_DECISION,
	    CTL_COLLECT, CTL_COLLECT_DATA, CTL_DOCUMENT, CTL_ACK };
	static const char *const bad[] = {
		"[1,2]", "\"text\"", "{\"a\":1,\"a\":2}", "{\"a\":",
		"{\"a\":\"x\\u0000y\"}", "{} {}",
		"{\"a\":[[[[[[[[1]]]]]]]]}",
	};
	struct ctl_frame f;
	struct ctl_msg *m = NULL, em;
	struct rsg_buf *b;
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		b = encode_json(types[i], "{\"op\":\"x\",\"n\":[1,{\"k\":true}]}");
		assert_int_equal(ctl_frame_parse(buf_ptr(b), buf_len(b),
		    CTL_FRAME_MAX, &f, &used), 0);
		assert_int_equal(ctl_msg_decode(&f, &m), 0);
		assert_int_equal(m->type, types[i]);
		assert_int_equal(m->id, 77);
		assert_string_equal(json_string_value(json_object_get(
		    m->u.json.body, "op")), "x");
		ctl_msg_free(m);
		m = NULL;
		buf_free(b);
	}
	/* direction: only the AP sends ALERT, only the hub TICKET */
	assert_int_equal(ctl_type_allowed(CTL_ALERT, CTL_ROLE_HUB, 1),
	    RSG_ERR_FORMAT);
	assert_int_equal(ctl_type_allowed(CTL_TICKET, CTL_ROLE_AP, 1),
	    RSG_ERR_FORMAT);
	assert_int_equal(ctl_type_allowed(CTL_ACK, CTL_ROLE_AP, 1), 0);
	assert_int_not_equal(ctl_type_allowed(CTL_ALERT, CTL_ROLE_AP, 0), 0);
	/* malformed bodies are refused, nothing allocated escapes */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		assert_int_equal(decode_payload(CTL_DECISION, bad[i],
		    strlen(bad[i]), &m), RSG_ERR_FORMAT);
		assert_null(m);
	}
	assert_int_equal(decode_payload(CTL_ACK, "", 0, &m), RSG_ERR_INCOMPLETE);
	/* depth 8 is the limit, both ways */
	assert_int_equal(decode_payload(CTL_ACK, "{\"a\":[[[[[[[1]]]]]]]}", 21,
	    &m), 0);
	ctl_msg_free(m);
	memset(&em, 0, sizeof(em));
	em.type = CTL_ACK;
	assert_non_null(em.u.json.body = json_loads("[1]", 0, NULL));
	assert_non_null(b = buf_new(0));
	assert_int_equal(ctl_msg_encode(&em, b), RSG_ERR_FORMAT);
	assert_int_equal(buf_len(b), 0);
	json_decref(em.u.json.body);
	buf_free(b);
}

/* With RSG_WRITE_CORPUS=DIR: write the seed corpus of the fuzz target. */
static void
test_write_corpus(void **state)
{
	const char *dir = getenv("RSG_WRITE_CORPUS");
	struct rsg_buf *b, *all;
	char path[4096];
	size_t i;

	(void)state;
	if (dir == NULL)
		skip();
	assert_non_null(all = buf_new(0));
	for (i = 0; i < NTYPES; i++) {
		b = encode_sample(all_types[i]);
		snprintf(path, sizeof(path), "%s/valid-%s", dir,
		    ctl_type_name(all_types[i]));
		assert_int_equal(file_write_atomic(path, buf_ptr(b),
		    buf_len(b), 0644, 0), 0);
		/* A truncated copy of each, too. */
		snprintf(path, sizeof(path), "%s/truncated-%s", dir,
		    ctl_type_name(all_types[i]));
		assert_int_equal(file_write_atomic(path, buf_ptr(b),
		    buf_len(b) / 2, 0644, 0), 0);
		assert_int_equal(buf_put(all, buf_ptr(b), buf_len(b)), 0);
		buf_free(b);
	}
	b = encode_json(CTL_DECISION, "{\"op\":\"approve\",\"ticket\":\"T-1\","
	    "\"grant\":\"{}\"}");
	snprintf(path, sizeof(path), "%s/valid-DECISION", dir);
	assert_int_equal(file_write_atomic(path, buf_ptr(b), buf_len(b), 0644,
	    0), 0);
	assert_int_equal(buf_put(all, buf_ptr(b), buf_len(b)), 0);
	buf_free(b);
	b = encode_json(CTL_ALERT, "{\"device\":\"ct-01\",\"severity\":"
	    "\"error\",\"error_code\":\"E42\"}");
	snprintf(path, sizeof(path), "%s/valid-ALERT", dir);
	assert_int_equal(file_write_atomic(path, buf_ptr(b), buf_len(b), 0644,
	    0), 0);
	assert_int_equal(buf_put(all, buf_ptr(b), buf_len(b)), 0);
	buf_free(b);
	snprintf(path, sizeof(path), "%s/stream-all-types", dir);
	assert_int_equal(file_write_atomic(path, buf_ptr(all), buf_len(all),
	    0644, 0), 0);
	buf_free(all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_truncated_frames),
		cmocka_unit_test(test_truncated_payloads),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_frame_header_limits),
		cmocka_unit_test(test_decode_bad_frame_fields),
		cmocka_unit_test(test_string_limits),
		cmocka_unit_test(test_count_limits),
		cmocka_unit_test(test_hello_frame_cap),
		cmocka_unit_test(test_hello_decode_cap),
		cmocka_unit_test(test_malformed_fields),
		cmocka_unit_test(test_hostport_split),
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_json_types),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_write_corpus),
	};

	failalloc_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
