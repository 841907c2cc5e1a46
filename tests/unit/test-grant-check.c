/*
 * test-grant-check.c: ticket_allows(), the grant check both daemons make
 * before acting on a ticket (R20 fail closed, R29 capabilities, R21 the
 * window), and base64 (COLLECT_DATA chunks, evidence downloads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rsgate/store.h"
#include "rsgate/workflow.h"
#include "testutil.h"

static void
ticket(struct store_ticket *t, char *state)
{
	memset(t, 0, sizeof(*t));
	t->id = "T-1";
	t->state = state;
	t->device = "ct-01";
	t->caps_granted = CAP_LOG_COLLECT | CAP_REMOTE_SHELL;
	t->not_before_ms = 1000;
	t->not_after_ms = 2000;
}

static void
test_allows(void **state)
{
	struct store_ticket t;
	const char *why = NULL;

	(void)state;
	ticket(&t, "approved");
	assert_int_equal(ticket_allows(&t, "ct-01", CAP_LOG_COLLECT, 1000,
	    &why), 0);
	ticket(&t, "active");
	assert_int_equal(ticket_allows(&t, "ct-01", CAP_LOG_COLLECT |
	    CAP_REMOTE_SHELL, 1999, &why), 0);
}

static void
test_refuses(void **state)
{
	struct store_ticket t;
	const char *why = NULL;
	static char *const states[] = { "notified", "requested", "denied",
		"closed", "expired", "terminated", "purged", "bogus" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		ticket(&t, states[i]);
		why = NULL;
		assert_int_equal(ticket_allows(&t, "ct-01", CAP_LOG_COLLECT,
		    1500, &why), RSG_ERR_PERM);
		assert_non_null(why);
	}
	ticket(&t, "approved");
	assert_int_equal(ticket_allows(&t, "mri-01", CAP_LOG_COLLECT, 1500,
	    &why), RSG_ERR_PERM);
	assert_string_equal(why, "the ticket is for another device");
	assert_int_equal(ticket_allows(&t, "ct-01", CAP_VIEW_PHI, 1500, &why),
	    RSG_ERR_PERM);
	assert_string_equal(why, "the capability was not granted");
	assert_int_equal(ticket_allows(&t, "ct-01", CAP_LOG_COLLECT |
	    CAP_FILE_UPLOAD, 1500, &why), RSG_ERR_PERM);
	assert_int_equal(ticket_allows(&t, "ct-01", 0, 1500, &why),
	    RSG_ERR_PERM);
	assert_int_equal(ticket_allows(&t, "ct-01", CAP_LOG_COLLECT, 999,
	    &why), RSG_ERR_PERM);
	assert_string_equal(why, "outside the granted window");
	assert_int_equal(ticket_allows(&t, "ct-01", CAP_LOG_COLLECT, 2000,
	    &why), RSG_ERR_PERM);
	assert_int_equal(ticket_allows(NULL, "ct-01", CAP_LOG_COLLECT, 1500,
	    NULL), RSG_ERR_PERM);
	t.device = NULL;
	assert_int_equal(ticket_allows(&t, "ct-01", CAP_LOG_COLLECT, 1500,
	    NULL), RSG_ERR_PERM);
}

static void
test_base64(void **state)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {	/* RFC 4648 section 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = { "Zg=", "Z===", "Zg==Zg==",
		"Z=g=", "Zm9v!A==", "=AAA" };
	struct rsg_buf *b;
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(base64_encode(v[i].plain, strlen(v[i].plain),
		    &s), 0);
		assert_string_equal(s, v[i].enc);
		free(s);
		assert_non_null(b = buf_new(0));
		assert_int_equal(base64_decode(v[i].enc, strlen(v[i].enc), b),
		    0);
		assert_int_equal(buf_len(b), strlen(v[i].plain));
		assert_memory_equal(buf_ptr(b), v[i].plain, buf_len(b));
		buf_free(b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(b = buf_new(0));
		assert_int_not_equal(base64_decode(bad[i], strlen(bad[i]), b),
		    0);
		assert_int_equal(buf_len(b), 0);
		buf_free(b);
	}
	/* The buffer's cap holds. */
	assert_non_null(b = buf_new(2));
	assert_int_equal(base64_decode("Zm9v", 4, b), RSG_ERR_LIMIT);
	buf_free(b);
	/* Allocation failure: a clean error, nothing written. */
	failalloc_install();
	s = NULL;
	failalloc_arm(1);
	assert_int_equal(base64_encode("foobar", 6, &s), RSG_ERR_NOMEM);
	failalloc_disarm();
	assert_null(s);
	assert_non_null(b = buf_new(0));
	failalloc_arm(1);
	assert_int_equal(base64_decode("Zm9vYmFy", 8, b), RSG_ERR_NOMEM);
	failalloc_disarm();
	assert_int_equal(buf_len(b), 0);
	buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allows),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
