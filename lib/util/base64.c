/*
 * base64.c: base64 for the JSON bodies that carry bytes (COLLECT_DATA chunks,
 * evidence downloads), on OpenSSL's block coder with the strictness it
 * lacks: length a multiple of 4, padding only at the end.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rsgate/util.h"

int
base64_encode(const void *p, size_t n, char **out)
{
	char *s;
	size_t len;

	if ((p == NULL && n > 0) || out == NULL)
		return RSG_ERR_INVALID_ARG;
	if (n > (size_t)INT32_MAX / 4 * 3 - 3)
		return RSG_ERR_LIMIT;
	len = (n + 2) / 3 * 4;
	if ((s = malloc(len + 1)) == NULL)
		return RSG_ERR_NOMEM;
	if (n > 0)
		EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	s[len] = '\0';
	*out = s;
	return 0;
}

int
base64_decode(const char *s, size_t len, struct rsg_buf *out)
{
	size_t i, pad = 0, n;
	uint8_t *d;
	int dl, r;

	if (s == NULL || out == NULL)
		return RSG_ERR_INVALID_ARG;
	if (len % 4 != 0 || len > (size_t)INT32_MAX)
		return RSG_ERR_FORMAT;
	if (len == 0)
		return 0;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	for (i = 0; i < len - pad; i++)
		if (s[i] == '=' || s[i] == '\0')
			return RSG_ERR_FORMAT;
	n = len / 4 * 3;
	if ((r = buf_reserve(out, n, &d)) != 0)
		return r;
	dl = EVP_DecodeBlock(d, (const unsigned char *)s, (int)len);
	if (dl < 0 || (size_t)dl != n) {
		/* Take the reservation back: out is unchanged on error. */
		mem_wipe(d, n);
		out->size -= n;
		return RSG_ERR_FORMAT;
	}
	out->size -= pad;
	return 0;
}
