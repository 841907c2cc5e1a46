/*
 * test-inventory.c: unit tests of the AP inventory parser (device and
 * service lines of the AP config): good lines and lookups, every kind of
 * bad line refused with a reason and without changing the inventory, the
 * limits, and allocation failure at every step (R12 b relies on the
 * inventory naming exactly the reachable services).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/inventory.h"
#include "testutil.h"

static void
test_good(void **state)
{
	struct inventory *inv;
	const struct inventory_device *d;
	const struct inventory_service *s;
	char err[256];

	(void)state;
	assert_int_equal(inventory_new(&inv), 0);
	assert_int_equal(inventory_add_device(inv, "ct-01 site=tokyo-1 "
	    "model=CT-9000", err, sizeof(err)), 0);
	assert_int_equal(inventory_add_device(inv, "  mr_2.a  ", err,
	    sizeof(err)), 0);
	assert_int_equal(inventory_add_service(inv, "ct-01 remote-shell "
	    "127.0.0.1:2222", err, sizeof(err)), 0);
	assert_int_equal(inventory_add_service(inv, "ct-01 log-collect "
	    "[::1]:65535", err, sizeof(err)), 0);
	assert_int_equal(inventory_add_service(inv, "mr_2.a remote-shell "
	    "dev.example:22", err, sizeof(err)), 0);
	assert_int_equal(inventory_count(inv), 2);
	d = inventory_device_find(inv, "ct-01");
	assert_non_null(d);
	assert_string_equal(d->site, "tokyo-1");
	assert_string_equal(d->model, "CT-9000");
	assert_int_equal(d->nservices, 2);
	s = inventory_service_find(d, "log-collect");
	assert_non_null(s);
	assert_string_equal(s->host, "::1");
	assert_int_equal(s->port, 65535);
	assert_string_equal(s->target, "[::1]:65535");
	assert_null(inventory_service_find(d, "remote-desktop"));
	d = inventory_device_find(inv, "mr_2.a");
	assert_non_null(d);
	assert_string_equal(d->site, "");
	assert_string_equal(d->model, "");
	s = inventory_service_find(d, "remote-shell");
	assert_string_equal(s->host, "dev.example");
	assert_int_equal(s->port, 22);
	assert_null(inventory_device_find(inv, "ct-0"));
	assert_ptr_equal(inventory_nth(inv, 0), inventory_device_find(inv,
	    "ct-01"));
	assert_null(inventory_nth(inv, 2));
	inventory_free(inv);
	inventory_free(NULL);
}

static void
test_bad_lines(void **state)
{
	static const char *const bad_dev[] = {
		"", "   ", "ct 01 x y", "ct/01", "ct-01 colour=red",
		"ct-01 site=", "ct-01 site=a site=b", "ct-01 model",
		"dup",	/* added once below, then again */
		"\xe2\x80\xae" "ct",
	};
	static const char *const bad_svc[] = {
		"", "ct-01", "ct-01 shell", "nodev shell 1.2.3.4:1",
		"ct-01 sh/ell 1.2.3.4:1", "ct-01 shell 1.2.3.4",
		"ct-01 shell 1.2.3.4:0", "ct-01 shell 1.2.3.4:65536",
		"ct-01 shell 1.2.3.4:022", "ct-01 shell :22",
		"ct-01 shell [::1:22", "ct-01 shell [zz]:22",
		"ct-01 shell a b:22", "ct-01 shell h*st:22",
		"ct-01 dup 1.2.3.4:5", "ct-01 shell 1.2.3.4:5 extra",
	};
	struct inventory *inv;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(inventory_new(&inv), 0);
	assert_int_equal(inventory_add_device(inv, "ct-01", err,
	    sizeof(err)), 0);
	assert_int_equal(inventory_add_device(inv, "dup", err,
	    sizeof(err)), 0);
	assert_int_equal(inventory_add_service(inv, "ct-01 dup 1.2.3.4:5",
	    err, sizeof(err)), 0);
	for (i = 0; i < sizeof(bad_dev) / sizeof(bad_dev[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(inventory_add_device(inv, bad_dev[i], err,
		    sizeof(err)), 0);
		assert_true(strlen(err) > 0);
	}
	for (i = 0; i < sizeof(bad_svc) / sizeof(bad_svc[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(inventory_add_service(inv, bad_svc[i], err,
		    sizeof(err)), 0);
		assert_true(strlen(err) > 0);
	}
	/* Nothing of a bad line was kept. */
	assert_int_equal(inventory_count(inv), 2);
	assert_int_equal(inventory_device_find(inv, "ct-01")->nservices, 1);
	inventory_free(inv);
}

static void
test_limits(void **state)
{
	struct inventory *inv;
	char err[256], line[600];
	size_t i;

	(void)state;
	assert_int_equal(inventory_new(&inv), 0);
	for (i = 0; i < INVENTORY_DEVICES_MAX; i++) {
		snprintf(line, sizeof(line), "dev-%zu", i);
		assert_int_equal(inventory_add_device(inv, line, err,
		    sizeof(err)), 0);
	}
	assert_int_equal(inventory_add_device(inv, "one-more", err,
	    sizeof(err)), RSG_ERR_LIMIT);
	for (i = 0; i < INVENTORY_SERVICES_MAX; i++) {
		snprintf(line, sizeof(line), "dev-0 s%zu 10.0.0.1:%zu", i,
		    i + 1);
		assert_int_equal(inventory_add_service(inv, line, err,
		    sizeof(err)), 0);
	}
	assert_int_equal(inventory_add_service(inv, "dev-0 more 10.0.0.1:9",
	    err, sizeof(err)), RSG_ERR_LIMIT);
	/* A name of 256 bytes is one too many. */
	memset(line, 'a', 256);
	line[256] = '\0';
	assert_int_not_equal(inventory_add_device(inv, line, err,
	    sizeof(err)), 0);
	line[255] = '\0';
	inventory_free(inv);
	assert_int_equal(inventory_new(&inv), 0);
	assert_int_equal(inventory_add_device(inv, line, err, sizeof(err)), 0);
	inventory_free(inv);
}

static void
test_allocfail(void **state)
{
	struct inventory *inv = NULL;
	char err[256];
	unsigned n;
	int r, fired;

	(void)state;
	failalloc_install();
	for (n = 1; n < 64; n++) {
		failalloc_arm(n);
		r = inventory_new(&inv);
		if (r == 0)
			r = inventory_add_device(inv, "ct-01 site=s model=m",
			    err, sizeof(err));
		if (r == 0)
			r = inventory_add_service(inv, "ct-01 shell "
			    "127.0.0.1:22", err, sizeof(err));
		fired = failalloc_fired();
		failalloc_disarm();
		if (r != 0)
			assert_int_equal(r, RSG_ERR_NOMEM);
		if (inv != NULL && r != 0)
			assert_true(inventory_count(inv) <= 1);
		inventory_free(inv);
		inv = NULL;
		if (r == 0 && !fired)
			break;
	}
	assert_true(n < 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_allocfail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
