/*
 * test-audit.c: the tamper-evident audit log. R34: every record carries the
 * listed fields, in a canonical encoding (known-answer test). R36: any
 * change, insertion, deletion or reordering of records or checkpoints is
 * found by audit_verify, which names the first bad record; the tampering is
 * done the way an intruder would, with SQL on the database file. R40: the
 * JSON-lines and syslog exports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "rsgate/audit.h"
#include "testutil.h"

/* The known-answer record (docs/AUDIT-FORMAT.md has the same example). */
static const char kat_hex[] =
    "0100000000000000010000018bcfe568000009011111111111111111111111111111"
    "111111111111111111111111111111111111000000054843462d310000000441434d"
    "4500000005616c6963650000000372736300000003532d310000000443542d370000"
    "0005746f6b796f00000003412d3900000009564945575f4c4f475300000000000000"
    "093139322e302e322e37000000026f6b";
static const char kat_hash[] =
    "73ffc85126172f62c167d503dbac53f42461785c9d7352286ad5b8a7e9a7ee8b";

static void
kat_record(struct audit_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = 1;
	r->time_ms = 1700000000000LL;
	r->event = AUDIT_EV_SESSION_OPEN;
	r->outcome = AUDIT_OUTCOME_SUCCESS;
	memset(r->prev_hash, 0x11, sizeof(r->prev_hash));
	r->f[AUDIT_F_HCF] = "HCF-1";
	r->f[AUDIT_F_VENDOR] = "ACME";
	r->f[AUDIT_F_USER] = "alice";
	r->f[AUDIT_F_ROLE] = "rsc";
	r->f[AUDIT_F_SESSION] = "S-1";
	r->f[AUDIT_F_DEVICE] = "CT-7";
	r->f[AUDIT_F_SITE] = "tokyo";
	r->f[AUDIT_F_APPROVAL] = "A-9";
	r->f[AUDIT_F_CAPABILITY] = "VIEW_LOGS";
	r->f[AUDIT_F_SOURCE] = "192.0.2.7";
	r->f[AUDIT_F_REASON] = "ok";
}

struct fixture {
	char *dir;
	const char *db;
	const char *key;
	char pub[4096];
};

static int
setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	fx.dir = tmpdir_new("audit");
	if (fx.dir == NULL)
		return -1;
	fx.db = tmppath(fx.dir, "audit.db");
	fx.key = tmppath(fx.dir, "audit.key");
	snprintf(fx.pub, sizeof(fx.pub), "%s.pub", fx.key);
	if (audit_key_generate(fx.key) != 0)
		return -1;
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	tmpdir_rm(fx->dir);
	return 0;
}

/* A log of n records, checkpoint every 10; closed (checkpointed) if close. */
static void
make_log(struct fixture *fx, unsigned n, int close)
{
	static struct audit_record r;
	struct audit_opts o;
	struct audit_log *l = NULL;
	char user[32], obj[32];
	unsigned i;

	audit_opts_default(&o);
	o.checkpoint_records = 10;
	o.checkpoint_secs = 3600;
	assert_int_equal(audit_create(fx->db, fx->key, &o, &l), 0);
	for (i = 1; i <= n; i++) {
		memset(&r, 0, sizeof(r));
		r.event = (enum audit_event)(1 + i % AUDIT_EV_MAX);
		r.outcome = i % 3 == 0 ? AUDIT_OUTCOME_DENIED :
		    AUDIT_OUTCOME_SUCCESS;
		snprintf(user, sizeof(user), "engineer-%u", i);
		snprintf(obj, sizeof(obj), "file-%u.log", i);
		r.f[AUDIT_F_HCF] = "HCF-Tokyo";
		r.f[AUDIT_F_VENDOR] = "ACME";
		r.f[AUDIT_F_USER] = user;
		r.f[AUDIT_F_SESSION] = "S-42";
		r.f[AUDIT_F_OBJECT] = obj;
		r.f[AUDIT_F_REASON] = "routine";
		assert_int_equal(audit_append(l, &r), 0);
		assert_int_equal(r.seq, i);
	}
	if (close)
		assert_int_equal(audit_close(l), 0);
	else
		audit_free(l);
}

static void
sql(struct fixture *fx, const char *q)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_close(db);
}

/* Verify and expect tampering found at record seq, reason containing what. */
static void
expect_bad_record(struct fixture *fx, uint64_t seq, const char *what)
{
	struct audit_verify_result res;
	char line[512];

	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	audit_verify_summary(&res, line, sizeof(line));
	print_message("    %s\n", line);
	assert_int_equal(res.intact, 0);
	assert_int_equal(res.bad_seq, seq);
	assert_non_null(strstr(res.reason, what));
	assert_non_null(strstr(line, "TAMPERED"));
}

static void
expect_bad_checkpoint(struct fixture *fx, uint64_t n, const char *what)
{
	struct audit_verify_result res;

	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	print_message("    %s\n", res.reason);
	assert_int_equal(res.intact, 0);
	assert_int_equal(res.bad_checkpoint, n);
	assert_non_null(strstr(res.reason, what));
}

/* R34/R36: append and verify round trip, reopen and continue the chain. */
static void
test_audit_roundtrip_R36(void **state)
{
	struct fixture *fx = *state;
	struct audit_verify_result res;
	static struct audit_record r;
	struct audit_log *l = NULL;
	char line[512];

	make_log(fx, 25, 1);
	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.records, 25);
	assert_int_equal(res.checkpoints, 3);	/* at 10, 20, and close */
	assert_int_equal(res.last_seq, 25);
	assert_int_equal(res.last_checkpoint_seq, 25);
	assert_int_equal(res.unproven, 0);
	assert_int_equal(res.key_explicit, 0);
	audit_verify_summary(&res, line, sizeof(line));
	assert_string_equal(line, "audit log intact: 25 records, 3 "
	    "checkpoints, last sequence 25; signatures checked against the "
	    "key stored in the log itself (give --key to pin it)");

	/* A second process continues the same chain. */
	assert_int_equal(audit_open(fx->db, fx->key, NULL, &l), 0);
	assert_int_equal(audit_last_seq(l), 25);
	memset(&r, 0, sizeof(r));
	r.event = AUDIT_EV_LOG_CLOSE;
	r.outcome = AUDIT_OUTCOME_SUCCESS;
	assert_int_equal(audit_append(l, &r), 0);
	assert_int_equal(r.seq, 26);
	assert_int_equal(audit_close(l), 0);
	assert_int_equal(audit_verify(fx->db, fx->pub, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.records, 26);
	assert_int_equal(res.key_explicit, 1);

	/* An existing log is never re-created. */
	assert_int_equal(audit_create(fx->db, fx->key, NULL, &l),
	    RSG_ERR_EXISTS);
}

/*
 * R33/R36: a record appended without waiting for the disk is in the chain
 * at once (another handle sees it and continues after it), the chain
 * verifies with durable records around it, and audit_sync flushes it.
 */
static void
test_audit_append_nosync_R36(void **state)
{
	struct fixture *fx = *state;
	struct audit_verify_result res;
	static struct audit_record r;
	struct audit_log *l = NULL, *l2 = NULL;
	int i;

	assert_int_equal(audit_create(fx->db, fx->key, NULL, &l), 0);
	for (i = 1; i <= 4; i++) {
		memset(&r, 0, sizeof(r));
		r.event = i % 2 ? AUDIT_EV_SESSION_OPEN : AUDIT_EV_AUTH_SUCCESS;
		r.outcome = AUDIT_OUTCOME_SUCCESS;
		r.f[AUDIT_F_SESSION] = "S-1";
		if (i % 2)
			assert_int_equal(audit_append_nosync(l, &r), 0);
		else
			assert_int_equal(audit_append(l, &r), 0);
		assert_int_equal(r.seq, (uint64_t)i);
	}
	memset(&r, 0, sizeof(r));
	r.event = AUDIT_EV_SESSION_CLOSE;
	r.outcome = AUDIT_OUTCOME_SUCCESS;
	assert_int_equal(audit_append_nosync(l, &r), 0);
	assert_int_equal(r.seq, 5);
	/* Committed: a second writer chains after it. */
	assert_int_equal(audit_open(fx->db, fx->key, NULL, &l2), 0);
	assert_int_equal(audit_last_seq(l2), 5);
	memset(&r, 0, sizeof(r));
	r.event = AUDIT_EV_LOG_CLOSE;
	r.outcome = AUDIT_OUTCOME_SUCCESS;
	assert_int_equal(audit_append_nosync(l2, &r), 0);
	assert_int_equal(r.seq, 6);
	assert_int_equal(audit_sync(l2), 0);
	assert_int_equal(audit_close(l2), 0);
	assert_int_equal(audit_sync(l), 0);
	assert_int_equal(audit_sync(NULL), RSG_ERR_INVALID_ARG);
	assert_int_equal(audit_close(l), 0);
	assert_int_equal(audit_verify(fx->db, fx->pub, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.records, 6);
	assert_int_equal(res.unproven, 0);
}

/* R36: editing a column with the sqlite3 shell is caught. */
static void
test_audit_tamper_column_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "UPDATE audit_record SET user_id = 'mallory' WHERE seq = 7");
	expect_bad_record(fx, 7, "column user_id was changed");
}

static void
test_audit_tamper_outcome_column_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "UPDATE audit_record SET outcome = 'success' WHERE seq = 9");
	expect_bad_record(fx, 9, "column outcome was changed");
}

/*
 * Overwrite byte off of record seq's encoding with 'X'; with rehash, also
 * store the new hash and the matching hcf column, as someone who knows the
 * format would.
 */
static void
patch_record(struct fixture *fx, uint64_t seq, size_t off, int rehash)
{
	static struct audit_record d;
	uint8_t enc[1024];
	sqlite3_stmt *st;
	sqlite3 *db;
	int n;

	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT record FROM "
	    "audit_record WHERE seq = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_bytes(st, 0);
	assert_true(n > 0 && (size_t)n < sizeof(enc) && off < (size_t)n);
	memcpy(enc, sqlite3_column_blob(st, 0), (size_t)n);
	sqlite3_finalize(st);
	enc[off] = 'X';
	if (rehash) {
		assert_int_equal(audit_record_decode(enc, (size_t)n, &d), 0);
		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit_record "
		    "SET record = ?1, hash = ?2, hcf_id = ?3 WHERE seq = ?4",
		    -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 2, d.hash, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, d.f[AUDIT_F_HCF], -1, SQLITE_STATIC);
	} else
		assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit_record "
		    "SET record = ?1 WHERE seq = ?4", -1, &st, NULL),
		    SQLITE_OK);
	sqlite3_bind_blob(st, 1, enc, n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)seq);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* R36: a changed byte in the encoding (blob) is caught. */
static void
test_audit_tamper_blob_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	/* Offset 60 is inside the hcf string "HCF-Tokyo". */
	patch_record(fx, 7, 60, 0);
	expect_bad_record(fx, 7, "stored hash does not match");
}

/*
 * R36: a record rewritten consistently (blob, hash and columns) by someone
 * who knows the format: the next record's chain link exposes it.
 */
static void
test_audit_tamper_rewrite_consistent_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	patch_record(fx, 7, 60, 1);
	expect_bad_record(fx, 7, "record 7 was rewritten");
}

/*
 * R36: the last record a checkpoint covers rewritten consistently and
 * everything after it dropped, so no chain link is left to break: the
 * signed checkpoint still exposes it.
 */
static void
test_audit_tamper_rewrite_covered_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	patch_record(fx, 10, 60, 1);
	sql(fx, "DELETE FROM audit_record WHERE seq > 10;"
	    "DELETE FROM audit_checkpoint WHERE n > 1;");
	expect_bad_record(fx, 10, "hash signed in checkpoint 1");
}

/* Hash an encoding as audit does (decode fills hash). */
static void
forge_row(struct fixture *fx, uint64_t seq, const uint8_t prev[32])
{
	static struct audit_record r, d;
	struct rsg_buf *b = buf_new(0);
	char q[2048], hx[1024], hh[65], hp[65];

	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.time_ms = 1700000000000LL;
	r.event = AUDIT_EV_PHI_ACCESS;
	r.outcome = AUDIT_OUTCOME_SUCCESS;
	r.f[AUDIT_F_USER] = "ghost";
	memcpy(r.prev_hash, prev, 32);
	assert_int_equal(audit_record_encode(&r, b), 0);
	assert_int_equal(audit_record_decode(buf_ptr(b), buf_len(b), &d), 0);
	assert_true(buf_len(b) * 2 < sizeof(hx));
	hex_encode(buf_ptr(b), buf_len(b), hx);
	hex_encode(d.hash, 32, hh);
	hex_encode(prev, 32, hp);
	snprintf(q, sizeof(q), "INSERT INTO audit_record VALUES (%llu, "
	    "1700000000000, 'phi.access', 'success', '', '', 'ghost', '', '', "
	    "'', '', '', '', '', '', '', x'%s', x'%s', x'%s')",
	    (unsigned long long)seq, hp, hh, hx);
	sql(fx, q);
	buf_free(b);
}

/* The hash column of record seq, read behind audit's back. */
static void
read_hash(struct fixture *fx, uint64_t seq, uint8_t out[32])
{
	sqlite3_stmt *st;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash FROM audit_record "
	    "WHERE seq = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), 32);
	memcpy(out, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* R36: a well-formed record slipped into the middle is named. */
static void
test_audit_tamper_insert_R36(void **state)
{
	struct fixture *fx = *state;
	uint8_t h5[32];

	make_log(fx, 25, 1);
	read_hash(fx, 5, h5);
	sql(fx, "UPDATE audit_record SET seq = seq + 1000 WHERE seq > 5;"
	    "UPDATE audit_record SET seq = seq - 999 WHERE seq > 1000;");
	forge_row(fx, 6, h5);
	expect_bad_record(fx, 6, "record 6 was inserted");
}

/* R36: a deleted record in the middle is named. */
static void
test_audit_tamper_delete_middle_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "DELETE FROM audit_record WHERE seq = 12");
	expect_bad_record(fx, 12, "record 12 is missing");
}

/* R36: two records swapped (all columns) are caught at the first. */
static void
test_audit_tamper_reorder_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "UPDATE audit_record SET seq = -8 WHERE seq = 8;"
	    "UPDATE audit_record SET seq = 8 WHERE seq = 9;"
	    "UPDATE audit_record SET seq = 9 WHERE seq = -8;");
	expect_bad_record(fx, 8, "reordered");
}

/* R36: the first record deleted and the rest renumbered. */
static void
test_audit_tamper_delete_first_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "DELETE FROM audit_record WHERE seq = 1");
	expect_bad_record(fx, 1, "record 1 is missing");
}

/* R36: a deleted checkpoint breaks the checkpoint chain. */
static void
test_audit_tamper_delete_checkpoint_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "DELETE FROM audit_checkpoint WHERE n = 2");
	expect_bad_checkpoint(fx, 2, "checkpoint 2 is missing");
}

/* R36: checkpoints swapped break the checkpoint chain. */
static void
test_audit_tamper_reorder_checkpoints_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 35, 1);
	sql(fx, "UPDATE audit_checkpoint SET n = -1 WHERE n = 1;"
	    "UPDATE audit_checkpoint SET n = 1 WHERE n = 2;"
	    "UPDATE audit_checkpoint SET n = 2 WHERE n = -1;");
	expect_bad_checkpoint(fx, 1, "checkpoint 1");
}

/* R36: a changed checkpoint signature fails verification. */
static void
test_audit_tamper_checkpoint_signature_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "UPDATE audit_checkpoint SET sig = zeroblob(64) WHERE n = 2");
	expect_bad_checkpoint(fx, 2, "signature does not verify");
}

/* R36: a checkpoint's covered hash column edited. */
static void
test_audit_tamper_checkpoint_column_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "UPDATE audit_checkpoint SET last_seq = 9 WHERE n = 1");
	expect_bad_checkpoint(fx, 1, "columns were changed");
}

/*
 * R36: a whole log made with another key (e.g. an intruder rebuilt it):
 * without --key the self-contained check passes and says so; with the
 * real public key it fails.
 */
static void
test_audit_other_key_R36(void **state)
{
	struct fixture *fx = *state;
	struct audit_verify_result res;
	struct audit_log *l = NULL;
	static struct audit_record r;
	const char *key2 = tmppath(fx->dir, "intruder.key");
	const char *db2 = tmppath(fx->dir, "forged.db");
	char line[512];

	make_log(fx, 5, 1);
	assert_int_equal(audit_key_generate(key2), 0);
	assert_int_equal(audit_create(db2, key2, NULL, &l), 0);
	memset(&r, 0, sizeof(r));
	r.event = AUDIT_EV_SESSION_OPEN;
	r.outcome = AUDIT_OUTCOME_SUCCESS;
	assert_int_equal(audit_append(l, &r), 0);
	assert_int_equal(audit_close(l), 0);

	/* The intruder's key cannot append to the real log. */
	assert_int_equal(audit_open(fx->db, key2, NULL, &l), RSG_ERR_VERIFY);

	assert_int_equal(audit_verify(db2, NULL, &res), 0);
	assert_int_equal(res.intact, 1);
	audit_verify_summary(&res, line, sizeof(line));
	assert_non_null(strstr(line, "key stored in the log itself"));

	assert_int_equal(audit_verify(db2, fx->pub, &res), 0);
	assert_int_equal(res.intact, 0);
	assert_non_null(strstr(res.reason, "not the key given with --key"));
	/* The private key file works as --key too (its public half). */
	assert_int_equal(audit_verify(fx->db, fx->key, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.key_explicit, 1);
}

/* R36: a real checkpoint of another log pasted in is rejected. */
static void
test_audit_foreign_checkpoint_R36(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *l = NULL;
	static struct audit_record r;
	const char *db2 = tmppath(fx->dir, "other.db");
	char q[1024];

	make_log(fx, 5, 1);
	assert_int_equal(audit_create(db2, fx->key, NULL, &l), 0);
	memset(&r, 0, sizeof(r));
	r.event = AUDIT_EV_SESSION_OPEN;
	r.outcome = AUDIT_OUTCOME_SUCCESS;
	assert_int_equal(audit_append(l, &r), 0);
	assert_int_equal(audit_close(l), 0);
	snprintf(q, sizeof(q), "ATTACH '%s' AS o; DELETE FROM audit_checkpoint;"
	    "INSERT INTO audit_checkpoint SELECT * FROM o.audit_checkpoint;",
	    db2);
	sql(fx, q);
	expect_bad_checkpoint(fx, 1, "belongs to another log");
}

/* R36: records after the last checkpoint cut off: unproven, not tampering. */
static void
test_audit_unproven_tail_R36(void **state)
{
	struct fixture *fx = *state;
	struct audit_verify_result res;
	char line[512];

	make_log(fx, 25, 0);	/* crash: no closing checkpoint */
	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.checkpoints, 2);
	assert_int_equal(res.last_checkpoint_seq, 20);
	assert_int_equal(res.unproven, 5);
	sql(fx, "DELETE FROM audit_record WHERE seq > 22");
	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.last_seq, 22);
	assert_int_equal(res.unproven, 2);
	audit_verify_summary(&res, line, sizeof(line));
	assert_non_null(strstr(line, "; 2 records after the last checkpoint "
	    "(seq 20) cannot be proven complete"));
}

/* R36: records a checkpoint covers deleted from the end: tampering. */
static void
test_audit_tail_deleted_past_checkpoint_R36(void **state)
{
	struct fixture *fx = *state;

	make_log(fx, 25, 1);
	sql(fx, "DELETE FROM audit_record WHERE seq >= 18");
	expect_bad_record(fx, 18, "records 18 to 25 are missing");
}

/* R34: the canonical encoding, byte for byte, and its hash. */
static void
test_audit_encoding_kat_R34(void **state)
{
	static struct audit_record r, d;
	struct rsg_buf *b = buf_new(0);
	char hx[sizeof(kat_hex)], hh[65];
	int i;

	(void)state;
	kat_record(&r);
	assert_int_equal(audit_record_encode(&r, b), 0);
	assert_int_equal(buf_len(b) * 2, strlen(kat_hex));
	hex_encode(buf_ptr(b), buf_len(b), hx);
	assert_string_equal(hx, kat_hex);
	assert_int_equal(audit_record_decode(buf_ptr(b), buf_len(b), &d), 0);
	hex_encode(d.hash, 32, hh);
	assert_string_equal(hh, kat_hash);
	assert_int_equal(d.seq, 1);
	assert_int_equal(d.time_ms, 1700000000000LL);
	assert_int_equal(d.event, AUDIT_EV_SESSION_OPEN);
	assert_int_equal(d.outcome, AUDIT_OUTCOME_SUCCESS);
	assert_memory_equal(d.prev_hash, r.prev_hash, 32);
	for (i = 0; i < AUDIT_NFIELDS; i++)
		assert_string_equal(d.f[i], r.f[i] == NULL ? "" : r.f[i]);
	buf_free(b);
}

/* The decoder is strict: anything not written by the encoder is refused. */
static void
test_audit_decode_strict(void **state)
{
	static struct audit_record r, d;
	struct rsg_buf *b = buf_new(0);
	uint8_t enc[512];
	size_t n, i;

	(void)state;
	kat_record(&r);
	assert_int_equal(audit_record_encode(&r, b), 0);
	n = buf_len(b);
	memcpy(enc, buf_ptr(b), n);
	/* Every truncation fails. */
	for (i = 0; i < n; i++)
		assert_int_not_equal(audit_record_decode(enc, i, &d), 0);
	/* Trailing byte. */
	enc[n] = 0;
	assert_int_equal(audit_record_decode(enc, n + 1, &d), RSG_ERR_FORMAT);
	/* Unknown version, event, outcome; seq 0. */
	enc[0] = 2;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_VERSION);
	enc[0] = 1;
	enc[17] = 0xff;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_FORMAT);
	enc[17] = 0;
	enc[18] = 0;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_FORMAT);
	enc[18] = 9;
	enc[19] = 4;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_FORMAT);
	enc[19] = 1;
	enc[8] = 0;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_FORMAT);
	enc[8] = 1;
	/* Invalid UTF-8 and NUL inside a string ("HCF-1" at 56..60). */
	enc[58] = 0xc0;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_FORMAT);
	enc[58] = 0;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_FORMAT);
	enc[58] = 'F';
	assert_int_equal(audit_record_decode(enc, n, &d), 0);
	/* A string length beyond the limit. */
	enc[54] = 0x10;
	assert_int_equal(audit_record_decode(enc, n, &d), RSG_ERR_LIMIT);
	buf_free(b);
}

/* Bad input to append writes nothing. */
static void
test_audit_append_rejects(void **state)
{
	struct fixture *fx = *state;
	struct audit_verify_result res;
	static struct audit_record r;
	static char big[AUDIT_STR_MAX + 2];
	struct audit_log *l = NULL;

	make_log(fx, 3, 1);
	assert_int_equal(audit_open(fx->db, fx->key, NULL, &l), 0);
	memset(&r, 0, sizeof(r));
	r.event = AUDIT_EV_CONFIG_CHANGE;
	r.outcome = AUDIT_OUTCOME_SUCCESS;
	memset(big, 'a', AUDIT_STR_MAX + 1);
	r.f[AUDIT_F_REASON] = big;
	assert_int_equal(audit_append(l, &r), RSG_ERR_LIMIT);
	big[AUDIT_STR_MAX] = '\0';
	assert_int_equal(audit_append(l, &r), 0);	/* exactly the max */
	r.time_ms = 0;
	r.f[AUDIT_F_REASON] = "\xff\xfe";
	assert_int_equal(audit_append(l, &r), RSG_ERR_FORMAT);
	r.f[AUDIT_F_REASON] = NULL;
	r.event = (enum audit_event)999;
	assert_int_equal(audit_append(l, &r), RSG_ERR_INVALID_ARG);
	assert_int_equal(audit_close(l), 0);
	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.records, 4);
}

/* The audit key: mode 0600, and refused when others can read it. */
static void
test_audit_key_files(void **state)
{
	struct fixture *fx = *state;
	struct audit_log *l = NULL;
	struct stat st;

	assert_int_equal(stat(fx->key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(fx->pub, &st), 0);
	assert_int_equal(audit_key_generate(fx->key), RSG_ERR_EXISTS);
	assert_int_equal(chmod(fx->key, 0644), 0);
	assert_int_equal(audit_create(fx->db, fx->key, NULL, &l), RSG_ERR_PERM);
	assert_int_equal(chmod(fx->key, 0600), 0);
}

/* Checkpoints by count, by time, by tick and on close. */
static void
test_audit_checkpoint_rules(void **state)
{
	struct fixture *fx = *state;
	struct audit_verify_result res;
	static struct audit_record r[5];
	struct audit_opts o;
	struct audit_log *l = NULL;
	int i;

	audit_opts_default(&o);
	assert_int_equal(o.checkpoint_records, 100);
	assert_int_equal(o.checkpoint_secs, 60);
	o.checkpoint_records = 1000;
	o.checkpoint_secs = 3600;
	assert_int_equal(audit_create(fx->db, fx->key, &o, &l), 0);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 5; i++) {
		r[i].event = AUDIT_EV_CAPABILITY_USE;
		r[i].outcome = AUDIT_OUTCOME_SUCCESS;
	}
	assert_int_equal(audit_append_batch(l, r, 5), 0);
	assert_int_equal(r[4].seq, 5);
	assert_int_equal(audit_tick(l), 0);	/* not due yet */
	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	assert_int_equal(res.checkpoints, 0);
	assert_int_equal(res.unproven, 5);
	assert_int_equal(audit_checkpoint(l), 0);
	assert_int_equal(audit_checkpoint(l), 0);	/* nothing new: none */
	audit_free(l);
	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	assert_int_equal(res.checkpoints, 1);
	assert_int_equal(res.unproven, 0);

	/* T = 0: the time rule fires on every append. */
	o.checkpoint_secs = 0;
	assert_int_equal(audit_open(fx->db, fx->key, &o, &l), 0);
	for (i = 0; i < 3; i++) {
		r[0].time_ms = 0;
		assert_int_equal(audit_append(l, &r[0]), 0);
	}
	audit_free(l);
	assert_int_equal(audit_verify(fx->db, NULL, &res), 0);
	assert_int_equal(res.intact, 1);
	assert_int_equal(res.checkpoints, 4);
	assert_int_equal(res.records, 8);
}

/* R40: the export line formats, exactly. */
static void
test_audit_export_format_R40(void **state)
{
	static struct audit_record r, d;
	struct audit_export_opts o;
	struct rsg_buf *b = buf_new(0);
	char *s;

	(void)state;
	kat_record(&r);
	r.f[AUDIT_F_REASON] = "say \"hi\" ]\\\n\x01 \xc3\xa9";
	assert_int_equal(audit_record_encode(&r, b), 0);
	assert_int_equal(audit_record_decode(buf_ptr(b), buf_len(b), &d), 0);
	memset(&o, 0, sizeof(o));
	o.format = AUDIT_EXPORT_JSONL;
	buf_reset(b);
	assert_int_equal(audit_record_format(&d, &o, b), 0);
	s = buf_dup_cstring(b);
	/* The hash differs per reason: compare up to it, then its length. */
	assert_non_null(strstr(s, "\"hash\":\""));
	assert_int_equal(strlen(strstr(s, "\"hash\":\"")), 8 + 64 + 2);
	strstr(s, "\"hash\":\"")[8] = '\0';
	assert_string_equal(s, "{\"seq\":1,\"time\":\"2023-11-14T22:13:20.000Z\","
	    "\"time_ms\":1700000000000,\"event\":\"session.open\","
	    "\"outcome\":\"success\",\"hcf\":\"HCF-1\",\"vendor\":\"ACME\","
	    "\"user\":\"alice\",\"role\":\"rsc\",\"session\":\"S-1\","
	    "\"device\":\"CT-7\",\"site\":\"tokyo\",\"approval\":\"A-9\","
	    "\"capability\":\"VIEW_LOGS\",\"object\":\"\","
	    "\"source\":\"192.0.2.7\","
	    "\"reason\":\"say \\\"hi\\\" ]\\\\\\n\\u0001 \xc3\xa9\","
	    "\"prev_hash\":\"1111111111111111111111111111111111111111111111111111"
	    "111111111111\",\"hash\":\"");
	free(s);

	o.format = AUDIT_EXPORT_SYSLOG;
	o.hostname = "hub1";
	o.procid = "42";
	buf_reset(b);
	assert_int_equal(audit_record_format(&d, &o, b), 0);
	s = buf_dup_cstring(b);
	/* The hash differs per reason; compare up to it. */
	assert_non_null(strstr(s, " hash=\""));
	*strstr(s, " hash=\"") = '\0';
	assert_string_equal(s, "<109>1 2023-11-14T22:13:20.000Z hub1 rsgate 42 "
	    "session.open [rsgate@32473 seq=\"1\" outcome=\"success\" "
	    "hcf=\"HCF-1\" vendor=\"ACME\" user=\"alice\" role=\"rsc\" "
	    "session=\"S-1\" device=\"CT-7\" site=\"tokyo\" approval=\"A-9\" "
	    "capability=\"VIEW_LOGS\" source=\"192.0.2.7\" "
	    "reason=\"say \\\"hi\\\" \\]\\\\\\x0a\\x01 \xc3\xa9\"");
	free(s);
	buf_free(b);
}

struct lines {
	unsigned n;
	uint64_t first_seq;
	int syslog;
};

static int
count_line(const char *line, size_t len, void *arg)
{
	struct lines *c = arg;

	assert_true(len > 0);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	if (c->syslog)
		assert_memory_equal(line, "<", 1);
	else
		assert_memory_equal(line, "{\"seq\":", 7);
	c->n++;
	return 0;
}

/* R40: export of a log, whole and from a sequence number. */
static void
test_audit_export_log_R40(void **state)
{
	struct fixture *fx = *state;
	struct audit_export_opts o;
	struct lines c;

	make_log(fx, 25, 1);
	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	o.format = AUDIT_EXPORT_JSONL;
	assert_int_equal(audit_export(fx->db, &o, count_line, &c), 0);
	assert_int_equal(c.n, 25);
	memset(&c, 0, sizeof(c));
	c.syslog = 1;
	o.format = AUDIT_EXPORT_SYSLOG;
	o.since = 21;
	assert_int_equal(audit_export(fx->db, &o, count_line, &c), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(audit_export(tmppath(fx->dir, "none.db"), &o,
	    count_line, &c), RSG_ERR_NOT_FOUND);
}

static void
test_audit_names(void **state)
{
	enum audit_event ev;
	enum audit_outcome oc;
	int i;

	(void)state;
	for (i = AUDIT_EV_LOG_OPEN; i <= AUDIT_EV_MAX; i++) {
		assert_non_null(audit_event_name((enum audit_event)i));
		assert_int_equal(audit_event_parse(
		    audit_event_name((enum audit_event)i), &ev), 0);
		assert_int_equal(ev, i);
	}
	assert_null(audit_event_name((enum audit_event)0));
	assert_int_equal(audit_event_parse("session.opne", &ev),
	    RSG_ERR_NOT_FOUND);
	assert_int_equal(audit_outcome_parse("denied", &oc), 0);
	assert_int_equal(oc, AUDIT_OUTCOME_DENIED);
	assert_string_equal(audit_event_name(AUDIT_EV_PHI_ACCESS),
	    "phi.access");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_audit_roundtrip_R36),
		T(test_audit_append_nosync_R36),
		T(test_audit_tamper_column_R36),
		T(test_audit_tamper_outcome_column_R36),
		T(test_audit_tamper_blob_R36),
		T(test_audit_tamper_rewrite_consistent_R36),
		T(test_audit_tamper_rewrite_covered_R36),
		T(test_audit_tamper_insert_R36),
		T(test_audit_tamper_delete_middle_R36),
		T(test_audit_tamper_reorder_R36),
		T(test_audit_tamper_delete_first_R36),
		T(test_audit_tamper_delete_checkpoint_R36),
		T(test_audit_tamper_reorder_checkpoints_R36),
		T(test_audit_tamper_checkpoint_signature_R36),
		T(test_audit_tamper_checkpoint_column_R36),
		T(test_audit_other_key_R36),
		T(test_audit_foreign_checkpoint_R36),
		T(test_audit_unproven_tail_R36),
		T(test_audit_tail_deleted_past_checkpoint_R36),
		cmocka_unit_test(test_audit_encoding_kat_R34),
		cmocka_unit_test(test_audit_decode_strict),
		T(test_audit_append_rejects),
		T(test_audit_key_files),
		T(test_audit_checkpoint_rules),
		cmocka_unit_test(test_audit_export_format_R40),
		T(test_audit_export_log_R40),
		cmocka_unit_test(test_audit_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
