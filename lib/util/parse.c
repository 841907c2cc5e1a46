/*
 * parse.c: the one checked number parser (after curl's strparse): decimal
 * digits only, explicit bounds, no silent wrap, no trailing bytes. Nothing
 * in rsgate uses atoi, strtol without checks, or sscanf.
 */
#include <string.h>
#include <strings.h>

#include "rsgate/util.h"

/* Digits only, at most UINT64_MAX. *endp gets the first non-digit. */
static int
parse_digits(const char *s, uint64_t *out, const char **endp)
{
	uint64_t v = 0;
	unsigned d;

	if (*s < '0' || *s > '9')
		return RSG_ERR_FORMAT;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return RSG_ERR_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	*endp = s;
	return 0;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int r;

	if (s == NULL)
		return RSG_ERR_FORMAT;
	if ((r = parse_digits(s, &v, &end)) != 0)
		return r;
	if (*end != '\0')
		return RSG_ERR_FORMAT;
	if (v < min || v > max)
		return RSG_ERR_RANGE;
	*out = v;
	return 0;
}

int
parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	const char *end;
	uint64_t v;
	int64_t x;
	int neg = 0, r;

	if (s == NULL)
		return RSG_ERR_FORMAT;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if ((r = parse_digits(s, &v, &end)) != 0)
		return r;
	if (*end != '\0')
		return RSG_ERR_FORMAT;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return RSG_ERR_RANGE;
		x = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return RSG_ERR_RANGE;
		x = (int64_t)v;
	}
	if (x < min || x > max)
		return RSG_ERR_RANGE;
	*out = x;
	return 0;
}

int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	if (s == NULL)
		return RSG_ERR_FORMAT;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return RSG_ERR_FORMAT;
}

int
parse_duration(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v, mult;
	int r;

	if (s == NULL)
		return RSG_ERR_FORMAT;
	if ((r = parse_digits(s, &v, &end)) != 0)
		return r;
	switch (*end) {
	case '\0':
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return RSG_ERR_FORMAT;
	}
	if (*end != '\0' && end[1] != '\0')
		return RSG_ERR_FORMAT;
	if (v > UINT64_MAX / mult)
		return RSG_ERR_RANGE;
	v *= mult;
	if (v < min || v > max)
		return RSG_ERR_RANGE;
	*out = v;
	return 0;
}
