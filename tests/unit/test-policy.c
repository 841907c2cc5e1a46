/*
 * test-policy.c: unit tests of the AP's standing policy (R12 b: standing
 * authorisation by engineer, device service, weekday, hour and duration;
 * R20: the AP decides and fails closed). Times are fixed timestamps with
 * TZ=UTC; 2024-01-01 was a Monday. Covered: every rule key and its errors,
 * every deny reason, hour windows including the boundary minutes and
 * windows that wrap midnight, weekdays and day ranges, groups, fingerprints
 * in either case, UTF-8 (Japanese) names, first match wins with its max,
 * and an allocation-failure loop over add_group + add_rule + check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsgate/policy.h"
#include "testutil.h"

#define MON0 INT64_C(1704067200)	/* 2024-01-01 00:00:00 UTC, a Monday */

#define FPR_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FPR_A_UP "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define FPR_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* day 0 = Monday 2024-01-01, 6 = Sunday. */
static int64_t
at(int day, int hh, int mm)
{
	return MON0 + (int64_t)day * 86400 + hh * 3600 + mm * 60;
}

static struct policy *
mk(const char *const *groups, const char *const *rules)
{
	struct policy *p = NULL;
	char err[256];

	assert_int_equal(policy_new(&p), 0);
	for (; groups != NULL && *groups != NULL; groups++)
		if (policy_add_group(p, *groups, err, sizeof(err)) != 0)
			fail_msg("group \"%s\": %s", *groups, err);
	for (; rules != NULL && *rules != NULL; rules++)
		if (policy_add_rule(p, *rules, err, sizeof(err)) != 0)
			fail_msg("rule \"%s\": %s", *rules, err);
	return p;
}

/* Check with a fingerprint; returns allowed, keeps the decision in d. */
static int
chk(const struct policy *p, const char *cn, const char *fpr,
    const char *dev, const char *svc, int64_t now, struct policy_decision *d)
{
	struct policy_request req = { cn, fpr, dev, svc, now };
	int r;

	memset(d, 0xa5, sizeof(*d));
	r = policy_check(p, &req, d);
	/* Returns 0 exactly when it allows (fail closed). */
	if (r == 0) {
		assert_int_equal(d->allowed, 1);
		assert_true(d->max_secs > 0);
	} else {
		assert_int_equal(d->allowed, 0);
		assert_int_equal(d->max_secs, 0);
		assert_true(strlen(d->reason) > 0);
	}
	return d->allowed;
}

static int
ok(const struct policy *p, const char *cn, const char *dev, const char *svc,
    int64_t now)
{
	struct policy_decision d;

	return chk(p, cn, FPR_B, dev, svc, now, &d);
}

static void
expect_rule_error(const char *const *groups, const char *rule, int code,
    const char *msg)
{
	struct policy *p = mk(groups, NULL);
	char err[256] = "";

	assert_int_equal(policy_add_rule(p, rule, err, sizeof(err)), code);
	if (strstr(err, msg) == NULL)
		fail_msg("rule \"%s\": error \"%s\" lacks \"%s\"", rule, err,
		    msg);
	/* Nothing of a bad rule is added. */
	assert_int_equal(policy_rule_count(p), 0);
	policy_free(p);
}

static int
setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* R12 b: the example rule of the design, each key doing its part. */
static void
test_basic_rule(void **state)
{
	const char *rules[] = {
		"engineer=Hanako Sato; device=ct-01; service=remote-shell,"
		    "log-collect; days=mon-fri; hours=08:00-18:00; max=2h",
		NULL,
	};
	struct policy *p = mk(NULL, rules);
	struct policy_decision d;

	(void)state;
	assert_int_equal(policy_rule_count(p), 1);
	assert_int_equal(chk(p, "Hanako Sato", FPR_B, "ct-01", "remote-shell",
	    at(0, 9, 0), &d), 1);
	assert_int_equal(d.rule, 0);
	assert_int_equal(d.max_secs, 7200);
	assert_string_equal(d.reason, "allowed by standing policy rule 1");
	assert_true(ok(p, "Hanako Sato", "ct-01", "log-collect", at(4, 17,
	    59)));
	/* CN match is exact. */
	assert_false(ok(p, "hanako sato", "ct-01", "remote-shell", at(0, 9,
	    0)));
	assert_false(ok(p, "Hanako Sato ", "ct-01", "remote-shell", at(0, 9,
	    0)));
	policy_free(p);
}

/* R20: each deny says what did not match. */
static void
test_deny_reasons(void **state)
{
	const char *rules[] = {
		"engineer=Hanako Sato; device=ct-01; service=remote-shell; "
		    "days=mon-fri; hours=08:00-18:00",
		"engineer=Hanako Sato; device=ct-02; service=log-collect",
		"engineer=Taro; device=*; service=*; days=sat,sun",
		"engineer=Jiro; device=*; service=*; hours=22:00-06:00",
		NULL,
	};
	struct policy *p = mk(NULL, rules);
	struct policy_decision d;
	struct policy_request req = { "Hanako Sato", FPR_B, "ct-01",
		"remote-shell", 0 };

	(void)state;
	assert_false(chk(p, "Kenji", FPR_B, "ct-01", "remote-shell",
	    at(0, 9, 0), &d));
	assert_string_equal(d.reason,
	    "no standing policy allows engineer \"Kenji\"");
	assert_int_equal(d.rule, POLICY_RULE_NONE);

	assert_false(chk(p, "Hanako Sato", FPR_B, "ct-03", "remote-shell",
	    at(0, 9, 0), &d));
	assert_string_equal(d.reason, "no standing policy allows engineer "
	    "\"Hanako Sato\" to reach device \"ct-03\"");
	assert_int_equal(d.rule, 0);

	assert_false(chk(p, "Hanako Sato", FPR_B, "ct-02", "remote-desktop",
	    at(0, 9, 0), &d));
	assert_string_equal(d.reason, "no standing policy allows engineer "
	    "\"Hanako Sato\" to use service \"remote-desktop\" on device "
	    "\"ct-02\"");
	assert_int_equal(d.rule, 1);

	assert_false(chk(p, "Hanako Sato", FPR_B, "ct-01", "remote-shell",
	    at(0, 18, 0), &d));
	assert_string_equal(d.reason,
	    "outside the allowed hours (08:00-18:00 mon-fri)");
	assert_int_equal(d.rule, 0);

	assert_false(chk(p, "Taro", FPR_B, "x", "y", at(2, 12, 0), &d));
	assert_string_equal(d.reason, "outside the allowed days (sat,sun)");

	assert_false(chk(p, "Jiro", FPR_B, "x", "y", at(2, 12, 0), &d));
	assert_string_equal(d.reason,
	    "outside the allowed hours (22:00-06:00)");

	/* User strings in reasons are escaped. */
	assert_false(chk(p, "Eve\n\"x\"", FPR_B, "ct-01", "remote-shell",
	    at(0, 9, 0), &d));
	assert_non_null(strstr(d.reason, "Eve\\n\\\"x\\\""));
	assert_null(strchr(d.reason, '\n'));

	/* Bad requests: deny with a reason, never allow. */
	assert_false(chk(p, "Hanako Sato", "1234", "ct-01", "remote-shell",
	    at(0, 9, 0), &d));
	assert_non_null(strstr(d.reason, "invalid request"));
	assert_false(chk(p, NULL, FPR_B, "ct-01", "remote-shell", at(0, 9, 0),
	    &d));
	assert_false(chk(p, "Hanako Sato", NULL, "ct-01", "remote-shell",
	    at(0, 9, 0), &d));
	assert_false(chk(p, "Hanako Sato", FPR_B, NULL, "remote-shell",
	    at(0, 9, 0), &d));
	assert_false(chk(p, "Hanako Sato", FPR_B, "ct-01", NULL, at(0, 9, 0),
	    &d));
	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(policy_check(NULL, &req, &d), RSG_ERR_INVALID_ARG);
	assert_int_equal(d.allowed, 0);
	assert_int_equal(policy_check(p, NULL, &d), RSG_ERR_INVALID_ARG);
	assert_int_equal(d.allowed, 0);
	assert_int_equal(policy_check(p, &req, NULL), RSG_ERR_INVALID_ARG);
	policy_free(p);

	/* An empty policy allows nothing. */
	p = mk(NULL, NULL);
	assert_int_equal(chk(p, "Hanako Sato", FPR_B, "ct-01", "remote-shell",
	    at(0, 9, 0), &d), 0);
	assert_string_equal(d.reason,
	    "no standing policy allows engineer \"Hanako Sato\"");
	policy_free(p);
}

/* The window includes its start minute and excludes its end minute. */
static void
test_hours_boundaries(void **state)
{
	const char *rules[] = {
		"engineer=A; device=d; service=s; hours=08:00-18:00",
		NULL,
	};
	struct policy *p = mk(NULL, rules);

	(void)state;
	assert_false(ok(p, "A", "d", "s", at(0, 7, 59)));
	assert_false(ok(p, "A", "d", "s", at(0, 7, 59) + 59));
	assert_true(ok(p, "A", "d", "s", at(0, 8, 0)));
	assert_true(ok(p, "A", "d", "s", at(0, 17, 59)));
	assert_true(ok(p, "A", "d", "s", at(0, 17, 59) + 59));
	assert_false(ok(p, "A", "d", "s", at(0, 18, 0)));
	assert_false(ok(p, "A", "d", "s", at(0, 23, 59)));
	assert_false(ok(p, "A", "d", "s", at(0, 0, 0)));
	/* No days= means every day. */
	assert_true(ok(p, "A", "d", "s", at(6, 12, 0)));
	policy_free(p);

	/* 24:00 ends a window at midnight; 00:00 starts one. */
	const char *rules2[] = {
		"engineer=A; device=d; service=s; hours=20:00-24:00",
		"engineer=B; device=d; service=s; hours=00:00-00:01",
		"engineer=C; device=d; service=s; hours=*",
		NULL,
	};
	p = mk(NULL, rules2);
	assert_true(ok(p, "A", "d", "s", at(0, 23, 59)));
	assert_false(ok(p, "A", "d", "s", at(1, 0, 0)));
	assert_false(ok(p, "A", "d", "s", at(0, 19, 59)));
	assert_true(ok(p, "B", "d", "s", at(3, 0, 0)));
	assert_false(ok(p, "B", "d", "s", at(3, 0, 1)));
	assert_true(ok(p, "C", "d", "s", at(3, 0, 0)));
	assert_true(ok(p, "C", "d", "s", at(3, 23, 59)));
	policy_free(p);
}

/* A window wrapping midnight belongs to the day it starts on. */
static void
test_hours_wrap(void **state)
{
	const char *rules[] = {
		"engineer=N; device=d; service=s; days=fri; hours=22:00-06:00",
		"engineer=E; device=d; service=s; hours=23:30-00:30",
		NULL,
	};
	struct policy *p = mk(NULL, rules);
	struct policy_decision d;

	(void)state;
	/* Friday is day 4. */
	assert_false(ok(p, "N", "d", "s", at(4, 21, 59)));
	assert_true(ok(p, "N", "d", "s", at(4, 22, 0)));
	assert_true(ok(p, "N", "d", "s", at(4, 23, 59)));
	assert_true(ok(p, "N", "d", "s", at(5, 0, 0)));	/* Sat 00:00 */
	assert_true(ok(p, "N", "d", "s", at(5, 5, 59)));
	assert_false(ok(p, "N", "d", "s", at(5, 6, 0)));
	assert_false(ok(p, "N", "d", "s", at(5, 22, 0)));	/* Sat night */
	assert_false(ok(p, "N", "d", "s", at(4, 3, 0)));	/* Thu night */
	assert_false(ok(p, "N", "d", "s", at(4, 12, 0)));
	assert_false(chk(p, "N", FPR_B, "d", "s", at(4, 12, 0), &d));
	assert_string_equal(d.reason,
	    "outside the allowed hours (22:00-06:00 fri)");

	assert_true(ok(p, "E", "d", "s", at(2, 23, 30)));
	assert_true(ok(p, "E", "d", "s", at(3, 0, 29)));
	assert_false(ok(p, "E", "d", "s", at(3, 0, 30)));
	assert_false(ok(p, "E", "d", "s", at(2, 23, 29)));
	/* Monday 00:10 belongs to Sunday's window: every day, so fine. */
	assert_true(ok(p, "E", "d", "s", at(0, 0, 10)));
	policy_free(p);
}

static void
test_days(void **state)
{
	const char *rules[] = {
		"engineer=W; device=d; service=s; days=mon-fri",
		"engineer=K; device=d; service=s; days=sat,sun",
		"engineer=R; device=d; service=s; days=fri-mon",
		"engineer=M; device=d; service=s; days=Mon, wed ,FRI",
		"engineer=S; device=d; service=s; days=*",
		"engineer=X; device=d; service=s; days=tue,thu-sat",
		NULL,
	};
	struct policy *p = mk(NULL, rules);
	struct policy_decision d;
	int day;

	(void)state;
	for (day = 0; day < 7; day++) {
		assert_int_equal(ok(p, "W", "d", "s", at(day, 12, 0)), day < 5);
		assert_int_equal(ok(p, "K", "d", "s", at(day, 12, 0)),
		    day >= 5);
		assert_int_equal(ok(p, "R", "d", "s", at(day, 12, 0)),
		    day == 0 || day >= 4);
		assert_int_equal(ok(p, "M", "d", "s", at(day, 12, 0)),
		    day == 0 || day == 2 || day == 4);
		assert_true(ok(p, "S", "d", "s", at(day, 12, 0)));
	}
	/* Reasons show days canonically, Monday first. */
	assert_false(chk(p, "R", FPR_B, "d", "s", at(2, 12, 0), &d));
	assert_string_equal(d.reason, "outside the allowed days (mon,fri-sun)");
	assert_false(chk(p, "W", FPR_B, "d", "s", at(6, 12, 0), &d));
	assert_string_equal(d.reason, "outside the allowed days (mon-fri)");
	assert_false(chk(p, "X", FPR_B, "d", "s", at(0, 12, 0), &d));
	assert_string_equal(d.reason, "outside the allowed days (tue,thu-sat)");
	policy_free(p);
}

/* Groups of CNs and fingerprints; fingerprints in either case. */
static void
test_groups_fingerprints(void **state)
{
	const char *groups[] = {
		"oncall Hanako Sato, Taro Yamada , sha256:" FPR_A_UP,
		"radiology.team-2 山田 太郎",
		NULL,
	};
	const char *rules[] = {
		"engineer=@oncall; device=ct-01; service=remote-shell",
		"engineer=sha256:" FPR_B "|佐藤 花子|@radiology.team-2; "
		    "device=mri-01; service=*",
		NULL,
	};
	struct policy *p = mk(groups, rules);
	struct policy_decision d;

	(void)state;
	assert_true(ok(p, "Hanako Sato", "ct-01", "remote-shell", at(0, 1, 0)));
	assert_true(ok(p, "Taro Yamada", "ct-01", "remote-shell", at(0, 1, 0)));
	assert_false(ok(p, "Jiro", "ct-01", "remote-shell", at(0, 1, 0)));
	/* Member by fingerprint: any CN with that certificate. */
	assert_true(chk(p, "whoever", FPR_A, "ct-01", "remote-shell",
	    at(0, 1, 0), &d));
	assert_true(chk(p, "whoever", FPR_A_UP, "ct-01", "remote-shell",
	    at(0, 1, 0), &d));
	/* Rule by fingerprint (ok() sends FPR_B), UTF-8 CNs, nested lists. */
	assert_true(ok(p, "anyone", "mri-01", "remote-desktop", at(0, 1, 0)));
	assert_true(chk(p, "佐藤 花子", FPR_A, "mri-01", "x", at(0, 1, 0), &d));
	assert_int_equal(d.rule, 1);
	assert_true(chk(p, "山田 太郎", FPR_A, "mri-01", "x", at(0, 1, 0), &d));
	assert_false(chk(p, "山田 太", FPR_A, "ct-01", "x", at(0, 1, 0), &d));
	assert_false(chk(p, "佐藤 花子", FPR_B, "ct-01", "remote-shell",
	    at(0, 1, 0), &d));
	assert_string_equal(d.reason, "no standing policy allows engineer "
	    "\"佐藤 花子\" to reach device \"ct-01\"");
	assert_false(chk(p, "佐藤", "fedcba9876543210fedcba9876543210"
	    "fedcba9876543210fedcba9876543211", "mri-01", "x", at(0, 1, 0),
	    &d));
	assert_string_equal(d.reason,
	    "no standing policy allows engineer \"佐藤\"");
	policy_free(p);
}

static void
test_group_errors(void **state)
{
	struct policy *p = mk(NULL, NULL);
	char err[256], line[POLICY_LINE_MAX + 16];
	size_t i, o;

	(void)state;
	assert_int_equal(policy_add_group(p, "oncall", err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_non_null(strstr(err, "no members"));
	assert_int_equal(policy_add_group(p, "on/call A", err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_non_null(strstr(err, "bad group name"));
	assert_int_equal(policy_add_group(p, "g A,,B", err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_non_null(strstr(err, "empty engineer"));
	assert_int_equal(policy_add_group(p, "g A, @other", err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_non_null(strstr(err, "cannot contain a group"));
	assert_int_equal(policy_add_group(p, "g sha256:12", err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_non_null(strstr(err, "bad fingerprint"));
	assert_int_equal(policy_add_group(p, "g A\tB", err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_non_null(strstr(err, "control characters"));
	assert_int_equal(policy_add_group(p, "g A\xff", err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_int_equal(policy_add_group(p, NULL, err, sizeof(err)),
	    RSG_ERR_INVALID_ARG);
	assert_int_equal(policy_add_group(p, "g A", err, sizeof(err)), 0);
	assert_int_equal(policy_add_group(p, "g B", err, sizeof(err)),
	    RSG_ERR_EXISTS);
	assert_non_null(strstr(err, "defined twice"));

	/* 256 members fit, 257 do not. */
	o = 0;
	o += (size_t)snprintf(line + o, sizeof(line) - o, "big ");
	for (i = 0; i < POLICY_GROUP_MEMBERS_MAX; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%sm%zu",
		    i ? "," : "", i);
	assert_int_equal(policy_add_group(p, line, err, sizeof(err)), 0);
	line[0] = 'B';
	o += (size_t)snprintf(line + o, sizeof(line) - o, ",x");
	assert_int_equal(policy_add_group(p, line, err, sizeof(err)),
	    RSG_ERR_LIMIT);
	policy_free(p);
}

static void
test_rule_errors(void **state)
{
	const char *groups[] = { "oncall A, B", NULL };
	char line[POLICY_LINE_MAX + 2];

	(void)state;
	expect_rule_error(NULL, "engineer=A; device=d; service=s; colour=red",
	    RSG_ERR_FORMAT, "unknown key \"colour\"");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; device=e",
	    RSG_ERR_FORMAT, "device= given twice");
	expect_rule_error(NULL, "engineer=A; device=; service=s",
	    RSG_ERR_FORMAT, "empty value for device=");
	expect_rule_error(NULL, "engineer=A; device=d", RSG_ERR_FORMAT,
	    "service= is required");
	expect_rule_error(NULL, "device=d; service=s", RSG_ERR_FORMAT,
	    "engineer= is required");
	expect_rule_error(NULL, "engineer=A; service=s", RSG_ERR_FORMAT,
	    "device= is required");
	expect_rule_error(NULL, "", RSG_ERR_FORMAT, "empty item");
	expect_rule_error(NULL, "engineer=A;; device=d; service=s",
	    RSG_ERR_FORMAT, "empty item");
	expect_rule_error(NULL, "engineer A; device=d; service=s",
	    RSG_ERR_FORMAT, "is not key=value");
	expect_rule_error(NULL, "Engineer=A; device=d; service=s",
	    RSG_ERR_FORMAT, "unknown key");
	expect_rule_error(NULL, "engineer=@oncall; device=d; service=s",
	    RSG_ERR_NOT_FOUND, "undefined group \"@oncall\"");
	expect_rule_error(groups, "engineer=@on call; device=d; service=s",
	    RSG_ERR_FORMAT, "bad group name");
	expect_rule_error(NULL, "engineer=*; device=d; service=s",
	    RSG_ERR_FORMAT, "engineer=* is not allowed");
	expect_rule_error(NULL, "engineer=A, B; device=d; service=s",
	    RSG_ERR_FORMAT, "separate engineers with |");
	expect_rule_error(NULL, "engineer=A||B; device=d; service=s",
	    RSG_ERR_FORMAT, "empty engineer");
	expect_rule_error(NULL, "engineer=sha256:" FPR_A "0; device=d; "
	    "service=s", RSG_ERR_FORMAT, "bad fingerprint");
	expect_rule_error(NULL, "engineer=sha256:" "0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdeg; device=d; service=s",
	    RSG_ERR_FORMAT, "bad fingerprint");
	expect_rule_error(NULL, "engineer=A; device=ct-01,*; service=s",
	    RSG_ERR_FORMAT, "bad device name \"*\"");
	expect_rule_error(NULL, "engineer=A; device=ct 01; service=s",
	    RSG_ERR_FORMAT, "bad device name");
	expect_rule_error(NULL, "engineer=A; device=d; service=a,,b",
	    RSG_ERR_FORMAT, "bad service name \"\"");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; days=fry",
	    RSG_ERR_FORMAT, "bad day \"fry\"");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; days=mon-mon",
	    RSG_ERR_FORMAT, "bad day range");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; days=mon-",
	    RSG_ERR_FORMAT, "bad day range");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; days=mon,",
	    RSG_ERR_FORMAT, "bad day \"\"");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; "
	    "hours=25:00-18:00", RSG_ERR_FORMAT, "bad hours");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; "
	    "hours=08:60-18:00", RSG_ERR_FORMAT, "bad hours");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; "
	    "hours=24:00-08:00", RSG_ERR_FORMAT, "bad hours");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; "
	    "hours=8:00-18:00", RSG_ERR_FORMAT, "bad hours");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; "
	    "hours=08:00", RSG_ERR_FORMAT, "bad hours");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; "
	    "hours=08:00-08:00", RSG_ERR_FORMAT, "use hours=* for all day");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; "
	    "hours=00:00-24:00", RSG_ERR_FORMAT, "use hours=* for all day");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; max=0",
	    RSG_ERR_FORMAT, "bad max \"0\"");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; max=2x",
	    RSG_ERR_FORMAT, "bad max");
	expect_rule_error(NULL, "engineer=A; device=d; service=s; max=8d",
	    RSG_ERR_FORMAT, "bad max");
	expect_rule_error(NULL, "engineer=A\x01; device=d; service=s",
	    RSG_ERR_FORMAT, "control characters");
	expect_rule_error(NULL, "engineer=A\xc0\xaf; device=d; service=s",
	    RSG_ERR_FORMAT, "not valid UTF-8");
	expect_rule_error(NULL, NULL, RSG_ERR_INVALID_ARG, "no rule");

	/* 4096 bytes fit; 4097 do not. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "engineer=", 9);
	memcpy(line + POLICY_LINE_MAX - 20, "; device=d; service=s", 21);
	line[POLICY_LINE_MAX] = '\0';
	expect_rule_error(NULL, line, RSG_ERR_LIMIT, "engineer name longer");
	line[POLICY_LINE_MAX] = ' ';
	line[POLICY_LINE_MAX + 1] = '\0';
	expect_rule_error(NULL, line, RSG_ERR_LIMIT, "longer than 4096 bytes");
}

static void
test_spacing_and_defaults(void **state)
{
	const char *rules[] = {
		"  engineer = A ; device = d1 , d2 ; service=s ;  ",
		"engineer=B; device=*; service=*; max=90s",
		NULL,
	};
	struct policy *p = mk(NULL, rules);
	struct policy_decision d;

	(void)state;
	assert_true(chk(p, "A", FPR_B, "d2", "s", at(6, 3, 0), &d));
	assert_int_equal(d.max_secs, POLICY_MAX_DEFAULT);
	assert_true(chk(p, "B", FPR_B, "anything", "at-all", at(6, 3, 0), &d));
	assert_int_equal(d.max_secs, 90);
	assert_false(ok(p, "A", "d3", "s", at(6, 3, 0)));
	policy_free(p);
}

/* The first rule that matches decides, with its own max. */
static void
test_first_match(void **state)
{
	const char *rules[] = {
		"engineer=A; device=ct-01; service=*; hours=08:00-18:00; max=2h",
		"engineer=A; device=*; service=*; max=10m",
		"engineer=A; device=ct-01; service=*; max=1d",
		NULL,
	};
	struct policy *p = mk(NULL, rules);
	struct policy_decision d;

	(void)state;
	assert_true(chk(p, "A", FPR_B, "ct-01", "s", at(0, 9, 0), &d));
	assert_int_equal(d.rule, 0);
	assert_int_equal(d.max_secs, 7200);
	/* Outside rule 1's hours, rule 2 matches, not rule 3. */
	assert_true(chk(p, "A", FPR_B, "ct-01", "s", at(0, 20, 0), &d));
	assert_int_equal(d.rule, 1);
	assert_int_equal(d.max_secs, 600);
	assert_string_equal(d.reason, "allowed by standing policy rule 2");
	policy_free(p);
}

static void
test_limits(void **state)
{
	struct policy *p = mk(NULL, NULL);
	char err[256], line[64];
	size_t i;

	(void)state;
	for (i = 0; i < POLICY_RULES_MAX; i++) {
		snprintf(line, sizeof(line), "engineer=E%zu; device=d; "
		    "service=s", i);
		assert_int_equal(policy_add_rule(p, line, err, sizeof(err)), 0);
	}
	assert_int_equal(policy_add_rule(p, "engineer=X; device=d; service=s",
	    err, sizeof(err)), RSG_ERR_LIMIT);
	assert_non_null(strstr(err, "more than 1024 rules"));
	assert_int_equal(policy_rule_count(p), POLICY_RULES_MAX);
	assert_true(ok(p, "E1023", "d", "s", at(0, 0, 0)));
	policy_free(p);
	policy_free(NULL);
	assert_int_equal(policy_new(NULL), RSG_ERR_INVALID_ARG);
}

/* One full run for the allocation-failure loop; 0 when all succeeded. */
static int
allocfail_run(void)
{
	struct policy *p = NULL;
	struct policy_decision d;
	struct policy_request req = { "佐藤 花子", FPR_A, "ct-01",
		"remote-shell", 0 };
	char err[256];
	int r;

	req.now = at(0, 9, 0);
	if ((r = policy_new(&p)) != 0) {
		assert_int_equal(r, RSG_ERR_NOMEM);
		return r;
	}
	if ((r = policy_add_group(p, "team 佐藤 花子, sha256:" FPR_B, err,
	    sizeof(err))) != 0) {
		assert_int_equal(r, RSG_ERR_NOMEM);
		goto out;
	}
	if ((r = policy_add_rule(p, "engineer=Nobody; device=*; service=*",
	    err, sizeof(err))) != 0) {
		assert_int_equal(r, RSG_ERR_NOMEM);
		assert_int_equal(policy_rule_count(p), 0);
		goto out;
	}
	if ((r = policy_add_rule(p, "engineer=@team|X; device=ct-01,ct-02; "
	    "service=remote-shell; days=mon-fri; hours=08:00-18:00; max=2h",
	    err, sizeof(err))) != 0) {
		assert_int_equal(r, RSG_ERR_NOMEM);
		assert_int_equal(policy_rule_count(p), 1);
		goto out;
	}
	r = policy_check(p, &req, &d);
	/* The check allocates nothing; it must allow. */
	assert_int_equal(r, 0);
	assert_int_equal(d.allowed, 1);
	assert_int_equal(d.rule, 1);
 out:
	if (r != 0)
		assert_true(strlen(err) > 0);
	policy_free(p);
	return r;
}

static void
test_allocfail(void **state)
{
	unsigned long n, total;
	int r;

	(void)state;
	failalloc_install();
	failalloc_arm(0);
	assert_int_equal(allocfail_run(), 0);
	total = failalloc_count();
	assert_true(total >= 8);
	for (n = 1;; n++) {
		failalloc_arm(n);
		r = allocfail_run();
		failalloc_disarm();
		if (!failalloc_fired()) {
			assert_int_equal(r, 0);
			break;
		}
		if (r == 0)
			fail_msg("allocation %lu failed but the run succeeded",
			    n);
		assert_true(n <= total + 1);
	}
	assert_true(n > total);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_rule),
		cmocka_unit_test(test_deny_reasons),
		cmocka_unit_test(test_hours_boundaries),
		cmocka_unit_test(test_hours_wrap),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_groups_fingerprints),
		cmocka_unit_test(test_group_errors),
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_spacing_and_defaults),
		cmocka_unit_test(test_first_match),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_allocfail),
	};

	return cmocka_run_group_tests(tests, setup_tz, NULL);
}
