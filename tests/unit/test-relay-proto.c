/*
 * test-relay-proto.c: the relay preamble (issue 3: the relay port must hold
 * up to strangers). Round trip, known bytes, and early rejection of garbage
 * at every prefix length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rsgate/relay.h"

static void
test_round_trip(void **state)
{
	struct relay_preamble p, q;
	uint8_t b[RELAY_PREAMBLE_LEN];
	size_t i;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.side = RELAY_SIDE_AP;
	for (i = 0; i < RELAY_STREAM_ID_LEN; i++)
		p.stream_id[i] = (uint8_t)i;
	for (i = 0; i < RELAY_TOKEN_LEN; i++)
		p.token[i] = (uint8_t)(0xa0 + i);
	relay_preamble_encode(&p, b);
	assert_memory_equal(b, "RSGR\x01\x02", 6);
	assert_int_equal(b[6], 0);
	assert_int_equal(b[6 + 16], 0xa0);
	assert_int_equal(RELAY_PREAMBLE_LEN, 54);
	/* Every proper prefix is incomplete, never accepted. */
	for (i = 0; i < RELAY_PREAMBLE_LEN; i++)
		assert_int_equal(relay_preamble_decode(b, i, &q),
		    RSG_ERR_INCOMPLETE);
	memset(&q, 0, sizeof(q));
	assert_int_equal(relay_preamble_decode(b, sizeof(b), &q), 0);
	assert_int_equal(q.side, RELAY_SIDE_AP);
	assert_memory_equal(q.stream_id, p.stream_id, RELAY_STREAM_ID_LEN);
	assert_memory_equal(q.token, p.token, RELAY_TOKEN_LEN);
}

/* A stranger is rejected on the first wrong byte. */
static void
test_garbage(void **state)
{
	struct relay_preamble q;
	uint8_t b[RELAY_PREAMBLE_LEN];

	(void)state;
	assert_int_equal(relay_preamble_decode((const uint8_t *)"G", 1, &q),
	    RSG_ERR_FORMAT);
	assert_int_equal(relay_preamble_decode((const uint8_t *)"GET / HTTP",
	    10, &q), RSG_ERR_FORMAT);
	/* A TLS ClientHello starts 0x16 0x03. */
	assert_int_equal(relay_preamble_decode((const uint8_t *)"\x16\x03",
	    2, &q), RSG_ERR_FORMAT);
	memset(b, 0, sizeof(b));
	memcpy(b, "RSGR\x02", 5);
	assert_int_equal(relay_preamble_decode(b, 5, &q), RSG_ERR_VERSION);
	memcpy(b, "RSGR\x01\x03", 6);
	assert_int_equal(relay_preamble_decode(b, sizeof(b), &q),
	    RSG_ERR_FORMAT);
	memcpy(b, "RSGR\x01\x00", 6);
	assert_int_equal(relay_preamble_decode(b, 6, &q), RSG_ERR_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
