/*
 * test-config-allocfail.c: allocation-failure loop over the config parser
 * (after curl's torture tests). Run N fails the Nth allocation of
 * config_new + config_load_string + config_set + config_dump; each run must
 * either succeed or return an error, never crash, and a failed load must
 * leave the earlier values in place. The loop stops at the first run in
 * which no allocation failed, i.e. once every allocation has been failed
 * once. Leaks on the error paths are caught by the ASan build.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "rsgate/config.h"
#include "testutil.h"

static const char *const modes[] = { "fast", "safe", NULL };

static const struct config_option af_options[] = {
	{ "name", CONFIG_STRING, 1, 64, "x", NULL, 0, "A name." },
	{ "dir", CONFIG_PATH, 0, 0, NULL, NULL, 0, "A folder." },
	{ "count", CONFIG_INT, 0, 1000, "3", NULL, 0, "A number." },
	{ "on", CONFIG_BOOL, 0, 0, "no", NULL, 0, "A switch." },
	{ "wait", CONFIG_DURATION, 0, 3600, "1m", NULL, 0, "A duration." },
	{ "mode", CONFIG_ENUM, 0, 0, "fast", modes, 0, "A choice." },
	{ "peer", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_MULTI, "Many." },
	{ "key", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_SENSITIVE, "Secret." },
};

static const struct config_table af_table = {
	"rsgate-allocfail", "Every type.", af_options,
	sizeof(af_options) / sizeof(af_options[0]),
};

static const char af_text[] =
    "# every type, quoted values, repeats\n"
    "name \"a quoted # name\"\n"
    "dir /var/lib/x\n"
    "count 42\n"
    "on yes\n"
    "wait 5m\n"
    "mode safe\n"
    "peer one\n"
    "peer two\n"
    "peer \"three \\\"quoted\\\"\"\n"
    "key /etc/key.pem\n";

/* One full run; returns 0 when everything succeeded. */
static int
run_once(void)
{
	struct config *c = NULL;
	struct rsg_buf *out = NULL;
	char err[256];
	int r;

	if ((r = config_new(&af_table, &c)) != 0) {
		assert_int_equal(r, RSG_ERR_NOMEM);
		assert_null(c);
		return r;
	}
	err[0] = '\0';
	if ((r = config_load_string(c, "af.conf", af_text, sizeof(af_text) - 1,
	    err, sizeof(err))) != 0) {
		/* Only running out of memory can fail this good file. */
		assert_int_equal(r, RSG_ERR_NOMEM);
		assert_true(strlen(err) > 0);
		/* Nothing of it was applied. */
		assert_int_equal(config_is_set(c, "name"), 0);
		assert_int_equal(config_get_count(c, "peer"), 0);
		goto out;
	}
	if ((r = config_set(c, "count", "7", err, sizeof(err))) != 0) {
		assert_int_equal(r, RSG_ERR_NOMEM);
		assert_int_equal(config_get_int(c, "count"), 42);
		goto out;
	}
	assert_int_equal(config_get_int(c, "count"), 7);
	assert_int_equal(config_get_count(c, "peer"), 3);
	if ((out = buf_new(0)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if ((r = config_dump(c, out)) != 0) {
		assert_int_equal(r, RSG_ERR_NOMEM);
		goto out;
	}
	assert_true(buf_len(out) > 0);
 out:
	buf_free(out);
	config_free(c);
	return r;
}

static void
test_config_allocfail(void **state)
{
	unsigned long n, total;
	int r;

	(void)state;
	failalloc_install();
	/* A clean run first: it must succeed, and counts the allocations. */
	failalloc_arm(0);
	assert_int_equal(run_once(), 0);
	total = failalloc_count();
	assert_true(total > 10);
	for (n = 1;; n++) {
		failalloc_arm(n);
		r = run_once();
		failalloc_disarm();
		if (!failalloc_fired()) {
			/* Past the last allocation: the run must succeed. */
			assert_int_equal(r, 0);
			break;
		}
		if (r == 0)
			fail_msg("allocation %lu failed but the run succeeded",
			    n);
		assert_true(n <= total + 1);
	}
	/* Every allocation of the clean run was failed once. */
	assert_true(n > total);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_allocfail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
