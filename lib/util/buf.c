/*
 * buf.c: the bounded byte buffer every parser of outside bytes goes through
 * (after OpenSSH's sshbuf and curl's dynbuf). A buffer has a hard size cap
 * chosen by its owner; growth checks subtract instead of adding, so no size
 * arithmetic can overflow. Getters leave the buffer untouched on error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/util.h"

#define BUF_ALLOC_MIN 256

struct rsg_buf *
buf_new(size_t max)
{
	struct rsg_buf *b;

	if (max == 0 || max > BUF_SIZE_MAX)
		max = BUF_SIZE_MAX;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max = max;
	return b;
}

void
buf_free(struct rsg_buf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly && b->d != NULL) {
		mem_wipe(b->d, b->alloc);
		free(b->d);
	}
	free(b);
}

void
buf_init_ro(struct rsg_buf *b, const void *p, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->d = (uint8_t *)(uintptr_t)p;
	b->size = len;
	b->alloc = len;
	b->max = len;
	b->readonly = 1;
}

void
buf_reset(struct rsg_buf *b)
{
	if (b->readonly) {
		b->off = b->size;
		return;
	}
	if (b->d != NULL)
		mem_wipe(b->d, b->alloc);
	b->off = b->size = 0;
}

size_t
buf_len(const struct rsg_buf *b)
{
	return b->size - b->off;
}

const uint8_t *
buf_ptr(const struct rsg_buf *b)
{
	return b->d == NULL ? (const uint8_t *)"" : b->d + b->off;
}

uint8_t *
buf_mutable_ptr(struct rsg_buf *b)
{
	if (b->readonly || b->d == NULL)
		return NULL;
	return b->d + b->off;
}

size_t
buf_room(const struct rsg_buf *b)
{
	if (b->readonly)
		return 0;
	/* Consumed bytes are reclaimed by compaction, so they count as room. */
	return b->max - buf_len(b);
}

int
buf_consume(struct rsg_buf *b, size_t n)
{
	if (n > buf_len(b))
		return RSG_ERR_INCOMPLETE;
	b->off += n;
	if (b->off == b->size && !b->readonly)
		b->off = b->size = 0;
	return 0;
}

int
buf_reserve(struct rsg_buf *b, size_t n, uint8_t **dp)
{
	size_t used, need, nalloc;
	uint8_t *nd;

	if (b->readonly)
		return RSG_ERR_INVALID_ARG;
	used = buf_len(b);
	if (n > b->max - used)
		return RSG_ERR_LIMIT;
	/* Compact first: consumed bytes at the front are free space. */
	if (b->off > 0 && b->alloc - b->size < n) {
		memmove(b->d, b->d + b->off, used);
		mem_wipe(b->d + used, b->size - used);
		b->off = 0;
		b->size = used;
	}
	if (b->alloc - b->size < n) {
		need = b->size + n;	/* cannot overflow: both <= max */
		nalloc = b->alloc < BUF_ALLOC_MIN ? BUF_ALLOC_MIN : b->alloc;
		while (nalloc < need)
			nalloc = nalloc > b->max / 2 ? b->max : nalloc * 2;
		if (nalloc > b->max)
			nalloc = b->max;
		/*
		 * Not realloc: the old block may hold secrets, so copy to a
		 * new one and wipe the old one before freeing it.
		 */
		if ((nd = malloc(nalloc)) == NULL)
			return RSG_ERR_NOMEM;
		if (b->d != NULL) {
			memcpy(nd, b->d, b->size);
			mem_wipe(b->d, b->alloc);
			free(b->d);
		}
		b->d = nd;
		b->alloc = nalloc;
	}
	*dp = b->d + b->size;
	b->size += n;
	return 0;
}

int
buf_put(struct rsg_buf *b, const void *p, size_t n)
{
	uint8_t *d;
	int r;

	if (n == 0)
		return 0;
	if ((r = buf_reserve(b, n, &d)) != 0)
		return r;
	memcpy(d, p, n);
	return 0;
}

int
buf_put_u8(struct rsg_buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u16(struct rsg_buf *b, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_put(b, d, sizeof(d));
}

int
buf_put_u32(struct rsg_buf *b, uint32_t v)
{
	uint8_t d[4];
	int i;

	for (i = 3; i >= 0; i--, v >>= 8)
		d[i] = (uint8_t)v;
	return buf_put(b, d, sizeof(d));
}

int
buf_put_u64(struct rsg_buf *b, uint64_t v)
{
	uint8_t d[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		d[i] = (uint8_t)v;
	return buf_put(b, d, sizeof(d));
}

int
buf_put_string(struct rsg_buf *b, const void *p, size_t n)
{
	uint8_t *d;
	int r;

	if (n > BUF_STRING_MAX)
		return RSG_ERR_LIMIT;
	if (n > SIZE_MAX - 4)
		return RSG_ERR_LIMIT;
	if ((r = buf_reserve(b, 4 + n, &d)) != 0)
		return r;
	d[0] = (uint8_t)(n >> 24);
	d[1] = (uint8_t)(n >> 16);
	d[2] = (uint8_t)(n >> 8);
	d[3] = (uint8_t)n;
	if (n > 0)
		memcpy(d + 4, p, n);
	return 0;
}

int
buf_put_cstring(struct rsg_buf *b, const char *s)
{
	if (s == NULL)
		s = "";
	return buf_put_string(b, s, strlen(s));
}

int
buf_putfv(struct rsg_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	uint8_t *d;
	char *tmp;
	int n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return RSG_ERR_INVALID_ARG;
	if (n == 0)
		return 0;
	/* vsnprintf wants room for the NUL, which the buffer does not keep. */
	if ((tmp = malloc((size_t)n + 1)) == NULL)
		return RSG_ERR_NOMEM;
	vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	if ((r = buf_reserve(b, (size_t)n, &d)) == 0)
		memcpy(d, tmp, (size_t)n);
	mem_wipe(tmp, (size_t)n);
	free(tmp);
	return r;
}

int
buf_putf(struct rsg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_putfv(b, fmt, ap);
	va_end(ap);
	return r;
}

int
buf_get(struct rsg_buf *b, void *p, size_t n)
{
	if (n > buf_len(b))
		return RSG_ERR_INCOMPLETE;
	if (n > 0 && p != NULL)
		memcpy(p, buf_ptr(b), n);
	return buf_consume(b, n);
}

int
buf_get_u8(struct rsg_buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

int
buf_get_u16(struct rsg_buf *b, uint16_t *v)
{
	const uint8_t *p;

	if (buf_len(b) < 2)
		return RSG_ERR_INCOMPLETE;
	p = buf_ptr(b);
	*v = (uint16_t)((p[0] << 8) | p[1]);
	return buf_consume(b, 2);
}

int
buf_get_u32(struct rsg_buf *b, uint32_t *v)
{
	const uint8_t *p;

	if (buf_len(b) < 4)
		return RSG_ERR_INCOMPLETE;
	p = buf_ptr(b);
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
	return buf_consume(b, 4);
}

int
buf_get_u64(struct rsg_buf *b, uint64_t *v)
{
	const uint8_t *p;
	uint64_t x = 0;
	int i;

	if (buf_len(b) < 8)
		return RSG_ERR_INCOMPLETE;
	p = buf_ptr(b);
	for (i = 0; i < 8; i++)
		x = (x << 8) | p[i];
	*v = x;
	return buf_consume(b, 8);
}

int
buf_get_string_direct(struct rsg_buf *b, size_t max, const uint8_t **pp,
    size_t *lenp)
{
	const uint8_t *p;
	uint32_t n;

	if (buf_len(b) < 4)
		return RSG_ERR_INCOMPLETE;
	p = buf_ptr(b);
	n = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
	if (n > max || n > BUF_STRING_MAX)
		return RSG_ERR_LIMIT;
	if (n > buf_len(b) - 4)
		return RSG_ERR_INCOMPLETE;
	/* Set outputs before consuming: consume may rewind an emptied buffer. */
	if (pp != NULL)
		*pp = p + 4;
	if (lenp != NULL)
		*lenp = n;
	b->off += 4 + (size_t)n;
	return 0;
}

int
buf_get_cstring(struct rsg_buf *b, size_t max, char **sp)
{
	struct rsg_buf save = *b;
	const uint8_t *p;
	size_t n;
	char *s;
	int r;

	if ((r = buf_get_string_direct(b, max, &p, &n)) != 0)
		return r;
	if (n > 0 && memchr(p, '\0', n) != NULL) {
		*b = save;
		return RSG_ERR_FORMAT;
	}
	if ((s = malloc(n + 1)) == NULL) {
		*b = save;
		return RSG_ERR_NOMEM;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	*sp = s;
	return 0;
}

int
buf_get_end(const struct rsg_buf *b)
{
	return buf_len(b) == 0 ? 0 : RSG_ERR_FORMAT;
}

char *
buf_dup_cstring(const struct rsg_buf *b)
{
	size_t n = buf_len(b);
	char *s;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, buf_ptr(b), n);
	s[n] = '\0';
	return s;
}
