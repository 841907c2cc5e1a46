/*
 * relay-proto.c: encoding and strict decoding of the relay preamble. The
 * decoder rejects a wrong prefix as soon as it arrives, so a stranger
 * talking HTTP or TLS to the relay port is dropped after a few bytes.
 */
#include <string.h>

#include "rsgate/relay.h"

void
relay_preamble_encode(const struct relay_preamble *p,
    uint8_t out[RELAY_PREAMBLE_LEN])
{
	memcpy(out, RELAY_MAGIC, 4);
	out[4] = RELAY_VERSION;
	out[5] = (uint8_t)p->side;
	memcpy(out + 6, p->stream_id, RELAY_STREAM_ID_LEN);
	memcpy(out + 6 + RELAY_STREAM_ID_LEN, p->token, RELAY_TOKEN_LEN);
}

int
relay_preamble_decode(const uint8_t *p, size_t len, struct relay_preamble *out)
{
	size_t n = len < 4 ? len : 4;

	if (memcmp(p, RELAY_MAGIC, n) != 0)
		return RSG_ERR_FORMAT;
	if (len > 4 && p[4] != RELAY_VERSION)
		return RSG_ERR_VERSION;
	if (len > 5 && p[5] != RELAY_SIDE_ENGINEER && p[5] != RELAY_SIDE_AP)
		return RSG_ERR_FORMAT;
	if (len < RELAY_PREAMBLE_LEN)
		return RSG_ERR_INCOMPLETE;
	out->side = (enum relay_side)p[5];
	memcpy(out->stream_id, p + 6, RELAY_STREAM_ID_LEN);
	memcpy(out->token, p + 6 + RELAY_STREAM_ID_LEN, RELAY_TOKEN_LEN);
	return 0;
}
