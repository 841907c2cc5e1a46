/*
 * fuzz-audit-record.c: libFuzzer target for the audit record decoder, the
 * parser that verify and export run over every stored record blob (which
 * an intruder with write access to the database controls). A successful
 * decode must re-encode to exactly the input: the encoding is canonical.
 * The checkpoint decoder gets the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/audit.h"
#include "../../lib/audit/audit-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct audit_record r;
	struct audit_checkpoint c;
	struct rsg_buf *b;

	if (audit_record_decode(data, size, &r) == 0) {
		if ((b = buf_new(0)) == NULL)
			abort();
		/* Canonical: decoding then encoding gives the same bytes. */
		if (audit_record_encode(&r, b) != 0 || buf_len(b) != size ||
		    memcmp(buf_ptr(b), data, size) != 0)
			abort();
		buf_free(b);
	}
	if (audit_checkpoint_decode(data, size, &c) == 0) {
		if ((b = buf_new(0)) == NULL)
			abort();
		if (audit_checkpoint_encode(&c, b) != 0 ||
		    buf_len(b) != size || memcmp(buf_ptr(b), data, size) != 0)
			abort();
		buf_free(b);
	}
	return 0;
}
