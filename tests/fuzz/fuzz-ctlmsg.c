/*
 * fuzz-ctlmsg.c: libFuzzer target for the control-channel framing and codec
 * (lib/net/ctlmsg.c, docs/PROTOCOL.md). The input is treated as the bytes a
 * peer sent: frames are cut from it one after another, as a daemon would,
 * the first under the pre-hello cap. Every frame that decodes must encode
 * back to exactly the same bytes (the encoding is canonical), so a decoder
 * that accepts something the encoder would refuse, or reads a field wrong,
 * aborts here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_frame f;
	struct ctl_msg *m;
	struct rsg_buf *out;
	size_t off = 0, used, max = CTL_FRAME_MAX_HELLO;

	while (off < size) {
		if (ctl_frame_parse(data + off, size - off, max, &f,
		    &used) != 0)
			break;
		if (used == 0 || used > size - off)
			abort();
		max = CTL_FRAME_MAX;
		m = NULL;
		if (ctl_msg_decode(&f, &m) == 0) {
			if ((out = buf_new(0)) == NULL)
				abort();
			if (ctl_msg_encode(m, out) != 0 ||
			    buf_len(out) != used ||
			    memcmp(buf_ptr(out), data + off, used) != 0)
				abort();
			buf_free(out);
			ctl_msg_free(m);
		} else if (m != NULL)
			abort();
		off += used;
	}
	return 0;
}
