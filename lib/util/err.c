/*
 * err.c: one table of error codes and their descriptions (after OpenSSH's
 * ssherr.c). Callers act on the code; people read the text.
 */
#include "rsgate/util.h"

static const struct {
	int code;
	const char *text;
} err_table[] = {
	{ RSG_OK, "success" },
	{ RSG_ERR_INTERNAL, "internal error" },
	{ RSG_ERR_NOMEM, "out of memory" },
	{ RSG_ERR_INVALID_ARG, "invalid argument" },
	{ RSG_ERR_LIMIT, "size limit exceeded" },
	{ RSG_ERR_INCOMPLETE, "input is incomplete" },
	{ RSG_ERR_FORMAT, "malformed input" },
	{ RSG_ERR_RANGE, "value out of range" },
	{ RSG_ERR_IO, "system call failed" },
	{ RSG_ERR_NOT_FOUND, "not found" },
	{ RSG_ERR_EXISTS, "already exists" },
	{ RSG_ERR_CRYPTO, "cryptographic operation failed" },
	{ RSG_ERR_DB, "database error" },
	{ RSG_ERR_CONFIG, "invalid configuration" },
	{ RSG_ERR_VERIFY, "verification failed" },
	{ RSG_ERR_CERT_UNTRUSTED, "certificate not issued by a trusted CA" },
	{ RSG_ERR_CERT_EXPIRED, "certificate expired or not yet valid" },
	{ RSG_ERR_CERT_REVOKED, "certificate revoked" },
	{ RSG_ERR_CERT_ROLE, "certificate not valid for this role" },
	{ RSG_ERR_PERM, "unsafe file permissions" },
	{ RSG_ERR_VERSION, "unsupported version" },
	{ RSG_ERR_BUSY, "resource busy" },
	{ RSG_ERR_STATE, "not allowed in the current state" },
};

const char *
rsg_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return err_table[i].text;
	return "unknown error";
}
