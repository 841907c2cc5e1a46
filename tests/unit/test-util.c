/*
 * test-util.c: unit tests of the util module, the layer every parser of
 * outside bytes stands on: the bounded buffer (caps, overflow arithmetic,
 * untouched-on-error getters, read-only views), big-endian known answers,
 * the checked number parsers, escaping, hex, constant-time compare, RFC 3339
 * time stamps (R34: UTC with milliseconds), atomic file writes, bounded file
 * reads, error strings and the log sink (escaped lines, level filter).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rsgate/util.h"
#include "testutil.h"

/* ---- buffer: caps and overflow ------------------------------------------ */

static void
test_buf_cap_enforced(void **state)
{
	struct rsg_buf *b;
	uint8_t *d;
	uint8_t src[32];

	(void)state;
	memset(src, 'x', sizeof(src));
	assert_non_null(b = buf_new(16));
	assert_int_equal(buf_room(b), 16);
	assert_int_equal(buf_put(b, src, 16), 0);
	assert_int_equal(buf_room(b), 0);
	/* One byte over the cap is refused and changes nothing. */
	assert_int_equal(buf_put(b, src, 1), RSG_ERR_LIMIT);
	assert_int_equal(buf_put_u8(b, 1), RSG_ERR_LIMIT);
	assert_int_equal(buf_reserve(b, 1, &d), RSG_ERR_LIMIT);
	assert_int_equal(buf_len(b), 16);
	assert_memory_equal(buf_ptr(b), src, 16);
	buf_free(b);

	/* A put that would straddle the cap is refused whole. */
	assert_non_null(b = buf_new(10));
	assert_int_equal(buf_put(b, src, 8), 0);
	assert_int_equal(buf_put_u32(b, 7), RSG_ERR_LIMIT);
	assert_int_equal(buf_put_string(b, "a", 1), RSG_ERR_LIMIT);
	assert_int_equal(buf_len(b), 8);
	assert_int_equal(buf_put_u16(b, 7), 0);
	assert_int_equal(buf_len(b), 10);
	buf_free(b);

	/* max 0 and max above the hard cap both mean the hard cap. */
	assert_non_null(b = buf_new(0));
	assert_int_equal(buf_room(b), BUF_SIZE_MAX);
	buf_free(b);
	assert_non_null(b = buf_new(SIZE_MAX));
	assert_int_equal(buf_room(b), BUF_SIZE_MAX);
	buf_free(b);
	buf_free(NULL);
}

static void
test_buf_huge_sizes_refused(void **state)
{
	struct rsg_buf *b;
	uint8_t *d = NULL;
	uint8_t one = 1;

	(void)state;
	assert_non_null(b = buf_new(0));
	assert_int_equal(buf_put(b, &one, 1), 0);
	/* Sizes near SIZE_MAX must not wrap the "used + n" arithmetic. */
	assert_int_equal(buf_reserve(b, SIZE_MAX, &d), RSG_ERR_LIMIT);
	assert_int_equal(buf_reserve(b, SIZE_MAX - 1, &d), RSG_ERR_LIMIT);
	assert_int_equal(buf_reserve(b, BUF_SIZE_MAX, &d), RSG_ERR_LIMIT);
	assert_null(d);
	assert_int_equal(buf_put(b, &one, SIZE_MAX), RSG_ERR_LIMIT);
	assert_int_equal(buf_put_string(b, &one, SIZE_MAX), RSG_ERR_LIMIT);
	assert_int_equal(buf_put_string(b, &one, SIZE_MAX - 3), RSG_ERR_LIMIT);
	assert_int_equal(buf_put_string(b, &one, (size_t)BUF_STRING_MAX + 1),
	    RSG_ERR_LIMIT);
	assert_int_equal(buf_consume(b, SIZE_MAX), RSG_ERR_INCOMPLETE);
	assert_int_equal(buf_get(b, NULL, SIZE_MAX), RSG_ERR_INCOMPLETE);
	assert_int_equal(buf_len(b), 1);
	/* Exactly the room left is fine. */
	assert_int_equal(buf_reserve(b, BUF_SIZE_MAX - 1, &d), 0);
	assert_non_null(d);
	assert_int_equal(buf_len(b), BUF_SIZE_MAX);
	assert_int_equal(buf_room(b), 0);
	buf_free(b);
}

static void
test_buf_compaction(void **state)
{
	struct rsg_buf *b;
	uint8_t a[16], c[8], got[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	memset(c, 0xee, sizeof(c));
	assert_non_null(b = buf_new(16));
	assert_int_equal(buf_put(b, a, 16), 0);
	assert_int_equal(buf_consume(b, 8), 0);
	/* Consumed bytes count as room and are reclaimed by compaction. */
	assert_int_equal(buf_room(b), 8);
	assert_int_equal(buf_put(b, c, 8), 0);
	assert_int_equal(buf_len(b), 16);
	assert_int_equal(buf_get(b, got, 16), 0);
	assert_memory_equal(got, a + 8, 8);
	assert_memory_equal(got + 8, c, 8);
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(buf_room(b), 16);
	assert_int_equal(buf_consume(b, 1), RSG_ERR_INCOMPLETE);

	/* Reset drops everything. */
	assert_int_equal(buf_put(b, a, 5), 0);
	buf_reset(b);
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(buf_room(b), 16);
	buf_free(b);
}

static void
test_buf_growth_keeps_data(void **state)
{
	struct rsg_buf *b;
	uint32_t v;
	uint32_t i;

	(void)state;
	/* Many small puts across several reallocations. */
	assert_non_null(b = buf_new(0));
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_put_u32(b, i), 0);
	assert_int_equal(buf_len(b), 40000);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(buf_get_u32(b, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(buf_get_end(b), 0);
	buf_free(b);
}

/* ---- buffer: typed known answers ---------------------------------------- */

static void
test_buf_known_answer(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
		0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c',
		0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x02, 'h', 'i',
	};
	struct rsg_buf *b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const uint8_t *p;
	size_t n;
	char *s;

	(void)state;
	assert_non_null(b = buf_new(0));
	assert_int_equal(buf_put_u8(b, 0x01), 0);
	assert_int_equal(buf_put_u16(b, 0x0203), 0);
	assert_int_equal(buf_put_u32(b, 0x04050607), 0);
	assert_int_equal(buf_put_u64(b, 0x08090a0b0c0d0e0fULL), 0);
	assert_int_equal(buf_put_string(b, "abc", 3), 0);
	assert_int_equal(buf_put_cstring(b, NULL), 0);
	assert_int_equal(buf_put_cstring(b, "hi"), 0);
	assert_int_equal(buf_len(b), sizeof(want));
	assert_memory_equal(buf_ptr(b), want, sizeof(want));

	assert_int_equal(buf_get_u8(b, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(buf_get_u16(b, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(buf_get_u32(b, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(buf_get_u64(b, &u64), 0);
	assert_true(u64 == 0x08090a0b0c0d0e0fULL);
	assert_int_equal(buf_get_string_direct(b, 16, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "abc", 3);
	assert_int_equal(buf_get_cstring(b, 16, &s), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_get_cstring(b, 16, &s), 0);
	assert_string_equal(s, "hi");
	free(s);
	assert_int_equal(buf_get_end(b), 0);

	/* Extremes survive the round trip. */
	assert_int_equal(buf_put_u16(b, 0xffff), 0);
	assert_int_equal(buf_put_u32(b, 0xffffffffu), 0);
	assert_int_equal(buf_put_u64(b, UINT64_MAX), 0);
	assert_int_equal(buf_get_u16(b, &u16), 0);
	assert_int_equal(u16, 0xffff);
	assert_int_equal(buf_get_u32(b, &u32), 0);
	assert_int_equal(u32, 0xffffffffu);
	assert_int_equal(buf_get_u64(b, &u64), 0);
	assert_true(u64 == UINT64_MAX);
	buf_free(b);
}

/* ---- buffer: getters leave the buffer untouched on error ---------------- */

static void
test_buf_get_errors_untouched(void **state)
{
	static const uint8_t shortstr[] = { 0, 0, 0, 16, 'a', 'b' };
	static const uint8_t longstr[] = { 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
	static const uint8_t hugelen[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t nulstr[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	static const uint8_t three[] = { 1, 2, 3 };
	struct rsg_buf v;
	const uint8_t *p = NULL;
	size_t n = 99;
	uint32_t u32 = 42;
	uint64_t u64 = 42;
	uint16_t u16 = 42;
	char *s = NULL;

	(void)state;
	/* Length prefix larger than what is left: incomplete, nothing read. */
	buf_init_ro(&v, shortstr, sizeof(shortstr));
	assert_int_equal(buf_get_string_direct(&v, 1024, &p, &n),
	    RSG_ERR_INCOMPLETE);
	assert_int_equal(buf_get_cstring(&v, 1024, &s), RSG_ERR_INCOMPLETE);
	assert_int_equal(buf_len(&v), sizeof(shortstr));
	assert_null(p);
	assert_int_equal(n, 99);
	assert_null(s);

	/* Longer than the caller's max: limit, even though it is all there. */
	buf_init_ro(&v, longstr, sizeof(longstr));
	assert_int_equal(buf_get_string_direct(&v, 3, &p, &n), RSG_ERR_LIMIT);
	assert_int_equal(buf_get_cstring(&v, 3, &s), RSG_ERR_LIMIT);
	assert_int_equal(buf_len(&v), sizeof(longstr));
	assert_int_equal(buf_get_string_direct(&v, 4, &p, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(buf_get_end(&v), 0);

	/* A length near 4 GiB is over BUF_STRING_MAX whatever max says. */
	buf_init_ro(&v, hugelen, sizeof(hugelen));
	assert_int_equal(buf_get_string_direct(&v, SIZE_MAX, &p, &n),
	    RSG_ERR_LIMIT);
	assert_int_equal(buf_len(&v), sizeof(hugelen));

	/* Embedded NUL refused by the C-string getter, buffer kept. */
	buf_init_ro(&v, nulstr, sizeof(nulstr));
	assert_int_equal(buf_get_cstring(&v, 16, &s), RSG_ERR_FORMAT);
	assert_null(s);
	assert_int_equal(buf_len(&v), sizeof(nulstr));

	/* Fixed-size getters on too few bytes. */
	buf_init_ro(&v, three, sizeof(three));
	assert_int_equal(buf_get_u32(&v, &u32), RSG_ERR_INCOMPLETE);
	assert_int_equal(buf_get_u64(&v, &u64), RSG_ERR_INCOMPLETE);
	assert_int_equal(buf_get(&v, NULL, 4), RSG_ERR_INCOMPLETE);
	assert_int_equal(buf_get_string_direct(&v, 16, &p, &n),
	    RSG_ERR_INCOMPLETE);
	assert_int_equal(u32, 42);
	assert_true(u64 == 42);
	assert_int_equal(buf_len(&v), 3);
	assert_int_equal(buf_get_u16(&v, &u16), 0);
	assert_int_equal(u16, 0x0102);
	/* One byte left: trailing garbage after a message. */
	assert_int_equal(buf_get_end(&v), RSG_ERR_FORMAT);
	assert_int_equal(buf_get_u16(&v, &u16), RSG_ERR_INCOMPLETE);
	assert_int_equal(u16, 0x0102);
	assert_int_equal(buf_consume(&v, 1), 0);
	assert_int_equal(buf_get_end(&v), 0);
}

static void
test_buf_readonly_view(void **state)
{
	static const uint8_t data[] = { 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
	struct rsg_buf v;
	uint8_t *d = NULL;
	char *s, *dup;

	(void)state;
	buf_init_ro(&v, data, sizeof(data));
	assert_int_equal(buf_len(&v), sizeof(data));
	assert_ptr_equal(buf_ptr(&v), data);
	assert_null(buf_mutable_ptr(&v));
	assert_int_equal(buf_room(&v), 0);
	assert_int_equal(buf_put(&v, "x", 1), RSG_ERR_INVALID_ARG);
	assert_int_equal(buf_put_u32(&v, 1), RSG_ERR_INVALID_ARG);
	assert_int_equal(buf_put_cstring(&v, "x"), RSG_ERR_INVALID_ARG);
	assert_int_equal(buf_putf(&v, "%d", 1), RSG_ERR_INVALID_ARG);
	assert_int_equal(buf_reserve(&v, 1, &d), RSG_ERR_INVALID_ARG);
	assert_null(d);
	/* The bytes behind the view are never touched. */
	assert_int_equal(data[3], 5);
	assert_int_equal(buf_len(&v), sizeof(data));

	dup = buf_dup_cstring(&v);
	assert_non_null(dup);
	free(dup);
	assert_int_equal(buf_get_cstring(&v, 64, &s), 0);
	assert_string_equal(s, "hello");
	free(s);
	assert_int_equal(buf_get_end(&v), 0);
	buf_init_ro(&v, data, sizeof(data));
	buf_reset(&v);
	assert_int_equal(buf_len(&v), 0);
	assert_int_equal(data[4], 'h');
}

static void
test_buf_putf(void **state)
{
	struct rsg_buf *b;
	char *s;

	(void)state;
	assert_non_null(b = buf_new(0));
	assert_int_equal(buf_putf(b, "%s=%d;", "a", 42), 0);
	assert_int_equal(buf_putf(b, "%s", ""), 0);
	assert_int_equal(buf_putf(b, "%05u", 7u), 0);
	/* No NUL is stored. */
	assert_int_equal(buf_len(b), strlen("a=42;00007"));
	assert_non_null(s = buf_dup_cstring(b));
	assert_string_equal(s, "a=42;00007");
	free(s);
	buf_free(b);

	/* Formatted text that would pass the cap is refused whole. */
	assert_non_null(b = buf_new(8));
	assert_int_equal(buf_putf(b, "%s", "12345"), 0);
	assert_int_equal(buf_putf(b, "%s", "6789"), RSG_ERR_LIMIT);
	assert_int_equal(buf_len(b), 5);
	assert_int_equal(buf_putf(b, "%s", "678"), 0);
	assert_int_equal(buf_len(b), 8);
	assert_memory_equal(buf_ptr(b), "12345678", 8);
	buf_free(b);
}

/* ---- number parsing ----------------------------------------------------- */

static void
test_parse_u64(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(parse_u64("0", 0, UINT64_MAX, &v), 0);
	assert_true(v == 0);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("007", 0, 10, &v), 0);
	assert_true(v == 7);
	v = 1234;
	/* UINT64_MAX + 1 and far beyond: range, not a silent wrap. */
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v),
	    RSG_ERR_RANGE);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX,
	    &v), RSG_ERR_RANGE);
	/* Bounds are inclusive. */
	assert_int_equal(parse_u64("10", 10, 20, &v), 0);
	assert_int_equal(parse_u64("20", 10, 20, &v), 0);
	assert_int_equal(parse_u64("9", 10, 20, &v), RSG_ERR_RANGE);
	assert_int_equal(parse_u64("21", 10, 20, &v), RSG_ERR_RANGE);
	assert_true(v == 20);
	/* Signs, empty, spaces, junk. */
	assert_int_equal(parse_u64("-1", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64("+1", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64("", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64(NULL, 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64(" 1", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64("1 ", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64("1x", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64("0x10", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_u64("1.5", 0, UINT64_MAX, &v), RSG_ERR_FORMAT);
	assert_true(v == 20);
}

static void
test_parse_i64(void **state)
{
	int64_t v = 7;

	(void)state;
	assert_int_equal(parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX,
	    &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse_i64("9223372036854775807", INT64_MIN, INT64_MAX,
	    &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_i64("-0", INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == 0);
	assert_int_equal(parse_i64("-42", -100, 100, &v), 0);
	assert_true(v == -42);
	v = 5;
	/* One past each end. */
	assert_int_equal(parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX,
	    &v), RSG_ERR_RANGE);
	assert_int_equal(parse_i64("9223372036854775808", INT64_MIN, INT64_MAX,
	    &v), RSG_ERR_RANGE);
	assert_int_equal(parse_i64("18446744073709551616", INT64_MIN, INT64_MAX,
	    &v), RSG_ERR_RANGE);
	assert_int_equal(parse_i64("-101", -100, 100, &v), RSG_ERR_RANGE);
	assert_int_equal(parse_i64("101", -100, 100, &v), RSG_ERR_RANGE);
	assert_int_equal(parse_i64("-1", 0, 100, &v), RSG_ERR_RANGE);
	assert_int_equal(parse_i64("", INT64_MIN, INT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_i64("-", INT64_MIN, INT64_MAX, &v), RSG_ERR_FORMAT);
	assert_int_equal(parse_i64("--1", INT64_MIN, INT64_MAX, &v),
	    RSG_ERR_FORMAT);
	assert_int_equal(parse_i64("+1", INT64_MIN, INT64_MAX, &v),
	    RSG_ERR_FORMAT);
	assert_int_equal(parse_i64("- 1", INT64_MIN, INT64_MAX, &v),
	    RSG_ERR_FORMAT);
	assert_int_equal(parse_i64(" 1", INT64_MIN, INT64_MAX, &v),
	    RSG_ERR_FORMAT);
	assert_int_equal(parse_i64("1\n", INT64_MIN, INT64_MAX, &v),
	    RSG_ERR_FORMAT);
	assert_int_equal(parse_i64("12ab", INT64_MIN, INT64_MAX, &v),
	    RSG_ERR_FORMAT);
	assert_int_equal(parse_i64(NULL, INT64_MIN, INT64_MAX, &v),
	    RSG_ERR_FORMAT);
	assert_true(v == 5);
}

static void
test_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES",
		"True" };
	static const char *const no[] = { "no", "false", "off", "0", "NO",
		"Off" };
	static const char *const bad[] = { "", "y", "n", "2", "yes ", " no",
		"enable", "10" };
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = -1;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_int_equal(b, 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = -1;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_int_equal(b, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = -1;
		assert_int_equal(parse_bool(bad[i], &b), RSG_ERR_FORMAT);
		assert_int_equal(b, -1);
	}
	assert_int_equal(parse_bool(NULL, &b), RSG_ERR_FORMAT);
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} good[] = {
		{ "0", 0 }, { "90", 90 }, { "90s", 90 }, { "15m", 900 },
		{ "8h", 28800 }, { "30d", 2592000 }, { "2w", 1209600 },
	};
	static const char *const bad[] = { "", "s", "5x", "5ms", "5 s", " 5",
		"-5", "5S", "1.5h", "5s ", "h5" };
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse_duration(good[i].s, 0, UINT64_MAX, &v), 0);
		assert_true(v == good[i].want);
	}
	v = 77;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_duration(bad[i], 0, UINT64_MAX, &v),
		    RSG_ERR_FORMAT);
	assert_int_equal(parse_duration(NULL, 0, UINT64_MAX, &v),
	    RSG_ERR_FORMAT);
	/* The multiplication by the unit must not wrap. */
	assert_int_equal(parse_duration("30500568904944w", 0, UINT64_MAX, &v),
	    RSG_ERR_RANGE);
	assert_int_equal(parse_duration("18446744073709551615m", 0, UINT64_MAX,
	    &v), RSG_ERR_RANGE);
	assert_int_equal(parse_duration("18446744073709551616", 0, UINT64_MAX,
	    &v), RSG_ERR_RANGE);
	/* The largest week count that fits. */
	assert_int_equal(parse_duration("30500568904943w", 0, UINT64_MAX, &v), 0);
	assert_true(v == 30500568904943ULL * 604800ULL);
	/* Bounds apply after the unit. */
	assert_int_equal(parse_duration("1m", 61, 3600, &v), RSG_ERR_RANGE);
	assert_int_equal(parse_duration("2h", 61, 3600, &v), RSG_ERR_RANGE);
	assert_int_equal(parse_duration("1h", 61, 3600, &v), 0);
	assert_true(v == 3600);
}

/* ---- strings, hex, memory ----------------------------------------------- */

static void
test_str_escape(void **state)
{
	char out[64], small[12];
	size_t i;

	(void)state;
	assert_string_equal(str_escape("plain text", out, sizeof(out)),
	    "plain text");
	assert_string_equal(str_escape("a\nb\tc\rd", out, sizeof(out)),
	    "a\\nb\\tc\\rd");
	assert_string_equal(str_escape("\"q\" \\", out, sizeof(out)),
	    "\\\"q\\\" \\\\");
	assert_string_equal(str_escape("\x01\x1b[31m\x7f\xff", out, sizeof(out)),
	    "\\x01\\x1b[31m\\x7f\\xff");
	assert_string_equal(str_escape("", out, sizeof(out)), "");
	/* str_sanitize keeps quotes, escapes the rest the same way. */
	assert_string_equal(str_sanitize("say \"hi\"\n\\", out, sizeof(out)),
	    "say \"hi\"\\n\\\\");
	assert_string_equal(str_escape(NULL, out, sizeof(out)), "");
	/* Exactly fits: no cut. */
	assert_string_equal(str_escape("12345678901", small, sizeof(small)),
	    "12345678901");
	/* Too long: cut and marked with "...". */
	assert_string_equal(str_escape("123456789012", small, sizeof(small)),
	    "12345678...");
	/* A cut never leaves half an escape before the "...". */
	for (i = 0; i < 6; i++) {
		char in[32];
		const char *dots;

		memset(in, 'a', i);
		memcpy(in + i, "\n\n\n\n\n\n\n\n", 9);
		str_escape(in, small, sizeof(small));
		assert_true(strlen(small) < sizeof(small));
		dots = strstr(small, "...");
		assert_non_null(dots);
		assert_string_equal(dots, "...");
		/* Before the dots: whole "\n" pairs only. */
		assert_true((size_t)(dots - small) >= i);
		assert_int_equal((size_t)(dots - small - (ptrdiff_t)i) % 2, 0);
		if (dots > small)
			assert_true(dots[-1] != '\\');
	}
	/* Tiny outputs stay terminated. */
	assert_string_equal(str_escape("abcdef", out, 1), "");
	assert_string_equal(str_escape("abcdef", out, 3), "ab");
	assert_string_equal(str_escape("abcdef", out, 4), "...");
}

/*
 * Valid UTF-8 text (a Japanese patient or engineer name) stays readable;
 * invalid sequences, overlong forms, C1 controls and bidi overrides that
 * could disguise a log line are escaped byte by byte. A cut never splits a
 * character.
 */
static void
test_str_escape_utf8(void **state)
{
	char out[64], small[9];

	(void)state;
	/* "山田" (U+5C71 U+7530) and "é" pass through. */
	assert_string_equal(str_escape("\xe5\xb1\xb1\xe7\x94\xb0 caf\xc3\xa9",
	    out, sizeof(out)), "\xe5\xb1\xb1\xe7\x94\xb0 caf\xc3\xa9");
	/* A lone continuation byte and a truncated sequence. */
	assert_string_equal(str_escape("\x80x\xe5\xb1", out, sizeof(out)),
	    "\\x80x\\xe5\\xb1");
	/* Overlong "/" (C0 AF) and a UTF-16 surrogate (ED A0 80). */
	assert_string_equal(str_escape("\xc0\xaf\xed\xa0\x80", out, sizeof(out)),
	    "\\xc0\\xaf\\xed\\xa0\\x80");
	/* C1 control U+0085 and RIGHT-TO-LEFT OVERRIDE U+202E. */
	assert_string_equal(str_escape("a\xc2\x85" "b\xe2\x80\xae" "c", out,
	    sizeof(out)), "a\\xc2\\x85b\\xe2\\x80\\xaec");
	/* 9 bytes: "ab", one 3-byte character and "..." fit; no half char. */
	assert_string_equal(str_escape("ab\xe5\xb1\xb1\xe7\x94\xb0\xe4\xb8\xad",
	    small, sizeof(small)), "ab\xe5\xb1\xb1...");
	assert_string_equal(str_escape("ab\xe5\xb1\xb1\xe7\x94\xb0", small,
	    sizeof(small)), "ab\xe5\xb1\xb1\xe7\x94\xb0");
}

/* Names and short fields from outside: 1..max bytes, no C0 or DEL. */
static void
test_str_field_ok(void **state)
{
	(void)state;
	assert_true(str_field_ok("ct-01", 5));
	assert_true(str_field_ok("Hanako Sato \xe6\x97\xa5", 64));
	assert_false(str_field_ok("ct-012", 5));
	assert_false(str_field_ok("", 5));
	assert_false(str_field_ok(NULL, 5));
	assert_false(str_field_ok("a\nb", 5));
	assert_false(str_field_ok("a\x7f", 5));
	assert_false(str_field_ok("\tab", 5));
}

static void
test_str_copy(void **state)
{
	char d[4];

	(void)state;
	assert_int_equal(str_copy(d, sizeof(d), "abc"), 0);
	assert_string_equal(d, "abc");
	assert_int_equal(str_copy(d, sizeof(d), "abcd"), RSG_ERR_LIMIT);
	assert_string_equal(d, "abc");
	assert_int_equal(str_copy(d, 0, "a"), RSG_ERR_LIMIT);
}

static void
test_hex(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	uint8_t back[6], two[2] = { 9, 9 };
	char out[13];

	(void)state;
	assert_string_equal(hex_encode(bytes, sizeof(bytes), out),
	    "00017f80abff");
	assert_int_equal(hex_decode("00017f80abff", back, sizeof(back)), 0);
	assert_memory_equal(back, bytes, sizeof(bytes));
	assert_int_equal(hex_decode("00017F80ABFF", back, sizeof(back)), 0);
	assert_memory_equal(back, bytes, sizeof(bytes));
	assert_string_equal(hex_encode(bytes, 0, out), "");
	assert_int_equal(hex_decode("abc", two, 2), RSG_ERR_FORMAT);
	assert_int_equal(hex_decode("abcdef", two, 2), RSG_ERR_FORMAT);
	assert_int_equal(hex_decode("zz00", two, 2), RSG_ERR_FORMAT);
	assert_int_equal(hex_decode("0g00", two, 2), RSG_ERR_FORMAT);
	assert_int_equal(hex_decode("", two, 0), 0);
}

static void
test_mem(void **state)
{
	uint8_t a[32], b[32], secret[16];
	size_t i;

	(void)state;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(mem_equal_ct(a, b, sizeof(a)), 0);
	assert_int_equal(mem_equal_ct(a, b, 0), 0);
	/* A difference anywhere, even in one bit, is seen. */
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x01;
		assert_int_not_equal(mem_equal_ct(a, b, sizeof(a)), 0);
		b[i] ^= 0x01;
	}
	memset(secret, 0xaa, sizeof(secret));
	mem_wipe(secret, sizeof(secret));
	for (i = 0; i < sizeof(secret); i++)
		assert_int_equal(secret[i], 0);
	mem_wipe(NULL, 10);
}

/* ---- time ---------------------------------------------------------------- */

static void
test_time(void **state)
{
	char out[32];
	int64_t a, b;

	(void)state;
	assert_string_equal(time_format_rfc3339(0, out, sizeof(out)),
	    "1970-01-01T00:00:00.000Z");
	assert_string_equal(time_format_rfc3339(1795697122123LL, out,
	    sizeof(out)), "2026-11-26T12:45:22.123Z");
	assert_string_equal(time_format_rfc3339(-1, out, sizeof(out)),
	    "1969-12-31T23:59:59.999Z");
	assert_string_equal(time_format_rfc3339(951782400000LL, out,
	    sizeof(out)), "2000-02-29T00:00:00.000Z");
	assert_string_equal(time_format_rfc3339(253402300799999LL, out,
	    sizeof(out)), "9999-12-31T23:59:59.999Z");
	/* Clocks: wall clock is after 2020, monotonic does not go back. */
	a = time_now_ms();
	assert_true(a > 1577836800000LL);
	a = time_mono_ms();
	b = time_mono_ms();
	assert_true(b >= a);
}

/* ---- files --------------------------------------------------------------- */

static int
dir_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_file_write_atomic(void **state)
{
	struct rsg_buf *b = NULL;
	struct stat st;
	char *dir;
	const char *p, *q;

	(void)state;
	assert_non_null(dir = tmpdir_new("util"));
	p = tmppath(dir, "key");
	assert_int_equal(file_write_atomic(p, "secret\n", 7, 0600, 1), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(file_read_all(p, 100, &b), 0);
	assert_int_equal(buf_len(b), 7);
	assert_memory_equal(buf_ptr(b), "secret\n", 7);
	buf_free(b);
	b = NULL;

	/* excl refuses to replace an existing file, which stays as it was. */
	assert_int_equal(file_write_atomic(p, "other", 5, 0600, 1),
	    RSG_ERR_EXISTS);
	assert_int_equal(file_read_all(p, 100, &b), 0);
	assert_memory_equal(buf_ptr(b), "secret\n", 7);
	buf_free(b);
	b = NULL;

	/* Without excl it replaces, with the new mode. */
	assert_int_equal(file_write_atomic(p, "new", 3, 0644, 0), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 3);
	/* An empty file is fine too. */
	q = tmppath(dir, "empty");
	assert_int_equal(file_write_atomic(q, "", 0, 0640, 0), 0);
	assert_int_equal(stat(q, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* No temporary files left behind. */
	assert_int_equal(dir_entries(dir), 2);

	/* A missing folder fails and leaves nothing. */
	assert_int_equal(file_write_atomic(tmppath(dir, "no/such"), "x", 1,
	    0600, 0), RSG_ERR_IO);
	assert_int_equal(dir_entries(dir), 2);
	tmpdir_rm(dir);
}

static void
test_file_read_all(void **state)
{
	struct rsg_buf *b = NULL;
	char data[100], *dir;
	const char *p;

	(void)state;
	memset(data, 'z', sizeof(data));
	assert_non_null(dir = tmpdir_new("util"));
	p = tmppath(dir, "f");
	assert_int_equal(file_write_atomic(p, data, sizeof(data), 0600, 0), 0);
	/* Exactly the limit is fine; one byte less is too little. */
	assert_int_equal(file_read_all(p, 100, &b), 0);
	assert_int_equal(buf_len(b), 100);
	buf_free(b);
	b = NULL;
	assert_int_equal(file_read_all(p, 99, &b), RSG_ERR_LIMIT);
	assert_null(b);
	assert_int_equal(file_read_all(tmppath(dir, "missing"), 100, &b),
	    RSG_ERR_NOT_FOUND);
	assert_null(b);
	/* A folder is not a file. */
	assert_int_equal(file_read_all(dir, 100, &b), RSG_ERR_IO);
	assert_null(b);
	tmpdir_rm(dir);
}

/* ---- errors --------------------------------------------------------------- */

static void
test_strerror(void **state)
{
	const char *seen[32];
	int code, i;

	(void)state;
	/* Every code from RSG_OK down to the last has its own text. */
	for (code = RSG_OK; code >= RSG_ERR_STATE; code--) {
		const char *s = rsg_strerror(code);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, "unknown error");
		for (i = 0; i < -code; i++)
			assert_string_not_equal(s, seen[i]);
		seen[-code] = s;
	}
	assert_string_equal(rsg_strerror(RSG_OK), "success");
	assert_string_equal(rsg_strerror(RSG_ERR_NOMEM), "out of memory");
	assert_string_equal(rsg_strerror(RSG_ERR_STATE - 1), "unknown error");
	assert_string_equal(rsg_strerror(1), "unknown error");
	assert_string_equal(rsg_strerror(-1000), "unknown error");
}

/* ---- logging -------------------------------------------------------------- */

struct captured {
	int n;
	enum log_level level;
	char line[4096];
};

static void
capture_sink(enum log_level level, const char *line, void *arg)
{
	struct captured *c = arg;

	c->n++;
	c->level = level;
	snprintf(c->line, sizeof(c->line), "%s", line);
}

static void
test_log_sink(void **state)
{
	struct captured cap;
	enum log_level lv;
	const char *evil = "bob\nrsgate: error: forged line\x1b[2J";
	char big[5000];
	size_t i;

	(void)state;
	memset(&cap, 0, sizeof(cap));
	log_set_sink(capture_sink, &cap, LOG_LEVEL_INFO);
	assert_int_equal(log_get_level(), LOG_LEVEL_INFO);

	/* A user string cannot forge a second line or a terminal escape. */
	log_info("login by \"%s\"", evil);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.level, LOG_LEVEL_INFO);
	assert_null(strchr(cap.line, '\n'));
	assert_null(strchr(cap.line, '\x1b'));
	for (i = 0; cap.line[i] != '\0'; i++)
		assert_true((unsigned char)cap.line[i] >= 0x20 &&
		    (unsigned char)cap.line[i] < 0x7f);
	assert_non_null(strstr(cap.line, "bob\\nrsgate: error: forged line"
	    "\\x1b[2J"));
	/* The line names the source file and line. */
	assert_non_null(strstr(cap.line, "test-util.c:"));

	/* Level filter: below the level is dropped, at or above kept. */
	log_debug("dropped");
	assert_int_equal(cap.n, 1);
	log_warn("kept %d", 1);
	assert_int_equal(cap.n, 2);
	assert_int_equal(cap.level, LOG_LEVEL_WARN);
	assert_non_null(strstr(cap.line, "kept 1"));
	log_error("kept %d", 2);
	assert_int_equal(cap.n, 3);
	assert_int_equal(cap.level, LOG_LEVEL_ERROR);
	log_set_sink(capture_sink, &cap, LOG_LEVEL_ERROR);
	log_warn("dropped");
	log_info("dropped");
	assert_int_equal(cap.n, 3);

	/* Debug level adds the function name. */
	log_set_sink(capture_sink, &cap, LOG_LEVEL_DEBUG);
	log_debug("x");
	assert_int_equal(cap.n, 4);
	assert_non_null(strstr(cap.line, "test_log_sink"));

	/* Over-long messages are cut, not overflowed. */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
	assert_int_equal(cap.n, 5);
	assert_true(strlen(cap.line) < 2048 + 128);
	assert_non_null(strstr(cap.line, "..."));

	/* No sink: nothing is delivered anywhere. */
	log_set_sink(NULL, NULL, LOG_LEVEL_DEBUG);
	log_error("nowhere");
	assert_int_equal(cap.n, 5);

	assert_int_equal(log_level_parse("debug", &lv), 0);
	assert_int_equal(lv, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("error", &lv), 0);
	assert_int_equal(lv, LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("DEBUG", &lv), RSG_ERR_FORMAT);
	assert_int_equal(log_level_parse("", &lv), RSG_ERR_FORMAT);
	assert_int_equal(lv, LOG_LEVEL_ERROR);
	log_set_sink(NULL, NULL, LOG_LEVEL_WARN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap_enforced),
		cmocka_unit_test(test_buf_huge_sizes_refused),
		cmocka_unit_test(test_buf_compaction),
		cmocka_unit_test(test_buf_growth_keeps_data),
		cmocka_unit_test(test_buf_known_answer),
		cmocka_unit_test(test_buf_get_errors_untouched),
		cmocka_unit_test(test_buf_readonly_view),
		cmocka_unit_test(test_buf_putf),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_str_escape),
		cmocka_unit_test(test_str_escape_utf8),
		cmocka_unit_test(test_str_field_ok),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_file_write_atomic),
		cmocka_unit_test(test_file_read_all),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_log_sink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
