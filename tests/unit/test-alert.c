/*
 * test-alert.c: the alert filter (R6-R8): JSON and RFC 5424 inputs keep
 * only the allow-listed, validated fields; a patient name or free text is
 * dropped and reported by name only; the ALERT message round-trips and the
 * hub refuses anything beyond the allow-list. Allocation failures fail
 * cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rsgate/alert.h"
#include "testutil.h"

#define PATIENT "YAMADA^TARO"

static int
pj(const char *s, struct alert *a, struct alert_drop *d, char *err)
{
	return alert_parse_json(s, strlen(s), a, d, err, 256);
}

static int
ps(const char *s, struct alert *a, struct alert_drop *d, char *err)
{
	return alert_parse_syslog(s, strlen(s), a, d, err, 256);
}

static void
test_json_good(void **state)
{
	struct alert a;
	struct alert_drop d;
	char err[256];

	(void)state;
	assert_int_equal(pj("{\"device\":\"ct-01\",\"model\":\"Acme CT-9000\","
	    "\"error_code\":\"E-1001\",\"severity\":\"critical\","
	    "\"time\":\"2026-11-26T12:45:22.5+09:00\",\"message_id\":\"m-1\"}",
	    &a, &d, err), 0);
	assert_string_equal(a.device, "ct-01");
	assert_string_equal(a.model, "Acme CT-9000");
	assert_string_equal(a.error_code, "E-1001");
	assert_int_equal(a.severity, ALERT_SEV_CRITICAL);
	assert_string_equal(a.message_id, "m-1");
	/* 12:45:22.5 at +09:00 is 03:45:22.5 UTC. */
	assert_true(a.time_ms == 1795664722500LL);
	assert_int_equal(d.n, 0);
}

/* R7, R8: a patient name and free text are dropped, named, not copied. */
static void
test_json_patient_dropped(void **state)
{
	struct alert a;
	struct alert_drop d;
	char err[256], names[256];

	(void)state;
	assert_int_equal(pj("{\"device\":\"ct-01\",\"error_code\":\"E-7\","
	    "\"severity\":\"error\",\"patient_name\":\"" PATIENT "\","
	    "\"comment\":\"scan of " PATIENT " failed\",\"n\":{\"x\":[1]}}",
	    &a, &d, err), 0);
	assert_int_equal(d.n, 3);
	alert_drop_format(&d, names, sizeof(names));
	assert_string_equal(names, "patient_name,comment,n");
	assert_null(memmem(&a, sizeof(a), "YAMADA", 6));
	assert_null(strstr(names, "YAMADA"));
}

static void
test_json_refused(void **state)
{
	static const char *const bad[] = {
		"[1]", "{", "",
		"{\"error_code\":\"E\",\"severity\":\"info\"}",
		"{\"device\":\"ct-01\",\"severity\":\"info\"}",
		"{\"device\":\"ct-01\",\"error_code\":\"E\"}",
		"{\"device\":\"ct 01\",\"error_code\":\"E\",\"severity\":\"info\"}",
		"{\"device\":\"ct-01\",\"error_code\":\"E\",\"severity\":\"loud\"}",
		"{\"device\":\"ct-01\",\"error_code\":5,\"severity\":\"info\"}",
		"{\"device\":\"ct-01\",\"error_code\":\"E\",\"severity\":\"info\","
		    "\"time\":\"2026-02-30T00:00:00Z\"}",
		"{\"device\":\"ct-01\",\"error_code\":\"E\",\"severity\":\"info\","
		    "\"time\":\"2026-01-01 00:00:00\"}",
		"{\"device\":\"ct-01\",\"device\":\"x\",\"error_code\":\"E\","
		    "\"severity\":\"info\"}",
		"{\"device\":\"ct-01\",\"error_code\":\"E\\n\",\"severity\":\"info\"}",
		"{\"device\":\"ct-01\",\"error_code\":\"E\",\"severity\":\"info\","
		    "\"model\":\"" PATIENT "\\u0000\"}",
	};
	struct alert a;
	struct alert_drop d;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (pj(bad[i], &a, &d, err) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
		/* The reason names a field, never a value. */
		assert_null(strstr(err, "YAMADA"));
	}
}

static void
test_json_limit(void **state)
{
	char big[ALERT_BODY_MAX + 2], err[256];
	struct alert a;
	struct alert_drop d;

	(void)state;
	memset(big, ' ', sizeof(big));
	assert_int_equal(alert_parse_json(big, sizeof(big), &a, &d, err,
	    sizeof(err)), RSG_ERR_LIMIT);
}

static void
test_syslog(void **state)
{
	struct alert a;
	struct alert_drop d;
	char err[256], names[256];

	(void)state;
	/* Fields from the SD element; PRI 186 = local7.critical. */
	assert_int_equal(ps("<186>1 2026-11-26T12:45:22.123Z ct-01 fw 42 "
	    "E-1001 [alert@32473 error_code=\"E-1001\" model=\"Acme "
	    "CT-9000\" patient=\"" PATIENT "\"][origin ip=\"10.0.0.1\"] "
	    "tube overheat during scan of " PATIENT, &a, &d, err), 0);
	assert_string_equal(a.device, "ct-01");		/* HOSTNAME */
	assert_string_equal(a.error_code, "E-1001");
	assert_string_equal(a.message_id, "E-1001");	/* MSGID */
	assert_int_equal(a.severity, ALERT_SEV_CRITICAL);
	assert_true(a.time_ms == 1795697122123LL);
	alert_drop_format(&d, names, sizeof(names));
	assert_string_equal(names, "patient,origin,msg");
	assert_null(memmem(&a, sizeof(a), "YAMADA", 6));

	/* SD values win over the header; escapes; no MSG. */
	assert_int_equal(ps("<14>1 - host - - - [alert@32473 device=\"mri-2\" "
	    "error_code=\"E2\" note=\"a\\]b\\\"\" severity=\"warning\"]", &a, &d,
	    err), 0);
	assert_string_equal(a.device, "mri-2");
	assert_int_equal(a.severity, ALERT_SEV_WARNING);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.names[0], "note");
	assert_int_equal(a.time_ms, 0);
}

static void
test_syslog_refused(void **state)
{
	static const char *const bad[] = {
		"", "<", "<1>", "<192>1 - h - - - -", "<01>1 - h - - - -",
		"<1>2 - h - - - -", "<1>1 - h - - -",
		"<1>1 - h - - - [alert@32473 error_code=\"E\"",
		"<1>1 - h - - - [alert@32473 error_code=E]",
		"<1>1 - h - - - [alert@32473 error_code=\"E\" error_code=\"F\"]",
		"<1>1 - - - - - [alert@32473 error_code=\"E\"]",
		"<1>1 - h - - - [alert@32473 device=\"h\"]",
		"<1>1 2026-13-01T00:00:00Z h - - - [alert@32473 error_code=\"E\"]",
		"<1>1 - h - - -x",
	};
	struct alert a;
	struct alert_drop d;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ps(bad[i], &a, &d, err) == 0)
			fail_msg("accepted: %s", bad[i]);
}

static void
test_drop_many(void **state)
{
	char body[4096], names[64];
	struct alert a;
	struct alert_drop d;
	size_t i, n;
	char err[256];

	(void)state;
	n = (size_t)snprintf(body, sizeof(body), "{\"device\":\"d\","
	    "\"error_code\":\"E\",\"severity\":\"info\"");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		    ",\"x%zu \\\"=\":1", i);
	snprintf(body + n, sizeof(body) - n, "}");
	assert_int_equal(pj(body, &a, &d, err), 0);
	assert_int_equal(d.n, 40);
	assert_string_equal(d.names[0], "x0___");	/* sanitised */
	alert_drop_format(&d, names, sizeof(names));
	assert_true(strlen(names) < sizeof(names));
	assert_non_null(strstr(names, "..."));
}

static void
test_message(void **state)
{
	struct alert a, b;
	struct alert_drop d;
	char err[256], id[ALERT_ID_MAX + 1], ap[ALERT_DEVICE_MAX + 1];
	json_t *o;

	(void)state;
	assert_int_equal(pj("{\"device\":\"ct-01\",\"error_code\":\"E-1\","
	    "\"severity\":\"alert\"}", &a, &d, err), 0);
	assert_int_equal(alert_to_json(&a, "0123abcd", "ap1", 1000, &o), 0);
	assert_string_equal(json_string_value(json_object_get(o, "time")),
	    "1970-01-01T00:00:01.000Z");
	assert_int_equal(alert_from_msg(o, &b, id, ap, err, sizeof(err)), 0);
	assert_string_equal(b.device, "ct-01");
	assert_string_equal(id, "0123abcd");
	assert_string_equal(ap, "ap1");
	assert_int_equal(b.severity, ALERT_SEV_ALERT);
	/* The hub refuses a field beyond the allow-list. */
	assert_int_equal(json_object_set_new(o, "patient_name",
	    json_string(PATIENT)), 0);
	assert_int_equal(alert_from_msg(o, &b, id, ap, err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_int_equal(json_object_del(o, "patient_name"), 0);
	assert_int_equal(json_object_del(o, "alert_id"), 0);
	assert_int_equal(alert_from_msg(o, &b, id, ap, err, sizeof(err)),
	    RSG_ERR_FORMAT);
	json_decref(o);
}

static void
test_alloc_failure(void **state)
{
	static const char body[] = "{\"device\":\"ct-01\",\"error_code\":"
	    "\"E-1\",\"severity\":\"alert\",\"patient\":\"x\"}";
	struct alert a;
	struct alert_drop d;
	char err[256];
	unsigned long n;
	int r;

	(void)state;
	for (n = 1; n < 200; n++) {
		failalloc_arm(n);
		r = alert_parse_json(body, sizeof(body) - 1, &a, &d, err,
		    sizeof(err));
		if (!failalloc_fired()) {
			failalloc_disarm();
			assert_int_equal(r, 0);
			return;
		}
		assert_int_not_equal(r, 0);
	}
	failalloc_disarm();
	fail_msg("allocation loop did not end");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_good),
		cmocka_unit_test(test_json_patient_dropped),
		cmocka_unit_test(test_json_refused),
		cmocka_unit_test(test_json_limit),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_syslog_refused),
		cmocka_unit_test(test_drop_many),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_alloc_failure),
	};

	failalloc_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
