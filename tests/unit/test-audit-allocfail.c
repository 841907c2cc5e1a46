/*
 * test-audit-allocfail.c: the audit log under allocation failure (after
 * SQLite's fault injection and curl's torture tests). For N = 1, 2, ... the
 * Nth allocation (ours, OpenSSL's or SQLite's) fails during open, append,
 * close and verify of a log. Each run must not crash or leak (the ASan
 * build checks), must report an error rather than succeed wrongly, must
 * never call an untouched log tampered, and must leave the log intact
 * (R36: a failed append writes nothing half-way). The loop ends when a run
 * completes without the failure firing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rsgate/audit.h"
#include "testutil.h"

#define APPENDS 3
#define MAX_RUNS 20000

/* One armed run; returns 0 if every step succeeded. */
static int
run_once(const char *db, const char *key, uint64_t *appended)
{
	static struct audit_record r;
	struct audit_verify_result res;
	struct audit_opts o;
	struct audit_log *l = NULL;
	int i, e;

	audit_opts_default(&o);
	o.checkpoint_records = 2;
	if ((e = audit_open(db, key, &o, &l)) != 0)
		return e;
	for (i = 0; i < APPENDS; i++) {
		memset(&r, 0, sizeof(r));
		r.event = AUDIT_EV_FILE_TRANSFER;
		r.outcome = AUDIT_OUTCOME_SUCCESS;
		r.f[AUDIT_F_OBJECT] = "trace.bin sha256:00ff";
		r.f[AUDIT_F_USER] = "engineer-1";
		if ((e = audit_append(l, &r)) != 0) {
			audit_free(l);
			return e;
		}
		(*appended)++;
	}
	if ((e = audit_close(l)) != 0)
		return e;
	if ((e = audit_verify(db, NULL, &res)) != 0)
		return e;
	/* Not tampered: a failure must never be reported as tampering. */
	if (!res.intact)
		fail_msg("allocation failure reported as tampering: %s",
		    res.reason);
	return 0;
}

static void
test_audit_allocfail_R36(void **state)
{
	struct audit_verify_result res;
	struct audit_log *l = NULL;
	char *dir, db[4096], side[4200], key[4096];
	uint64_t appended;
	unsigned long n;
	int e, fired;

	(void)state;
	failalloc_install();
	dir = tmpdir_new("allocfail");
	assert_non_null(dir);
	snprintf(key, sizeof(key), "%s", tmppath(dir, "audit.key"));
	assert_int_equal(audit_key_generate(key), 0);

	for (n = 1; n < MAX_RUNS; n++) {
		/* A fresh log each run, made with all the memory it wants. */
		snprintf(db, sizeof(db), "%s", tmppath(dir, "audit.db"));
		snprintf(side, sizeof(side), "%s-wal", db);
		remove(side);
		snprintf(side, sizeof(side), "%s-shm", db);
		remove(side);
		remove(db);
		assert_int_equal(audit_create(db, key, NULL, &l), 0);
		assert_int_equal(audit_close(l), 0);

		appended = 0;
		failalloc_arm(n);
		e = run_once(db, key, &appended);
		fired = failalloc_fired();
		failalloc_disarm();
		if (!fired) {
			/* The whole run had all the memory it wanted. */
			assert_int_equal(e, 0);
			break;
		}
		if (e == 0) {
			/*
			 * SQLite and OpenSSL tolerate some allocation
			 * failures (caches, error strings). Then everything
			 * must really have worked.
			 */
			assert_int_equal(appended, APPENDS);
		}
		/* Whatever failed, the log on disk is still intact. */
		assert_int_equal(audit_verify(db, NULL, &res), 0);
		if (!res.intact)
			fail_msg("N=%lu: %s", n, res.reason);
		assert_int_equal(res.records, appended);
	}
	print_message("    %lu allocation failure points exercised\n", n - 1);
	assert_true(n > 10);
	assert_true(n < MAX_RUNS);
	tmpdir_rm(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_allocfail_R36),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
