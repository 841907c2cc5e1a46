/*
 * test-store.c: the SQLite store: migrations and user_version, reopening,
 * refusing a schema newer than the code (RSG_ERR_VERSION) and foreign
 * databases, the meta table, transactions, STRICT typing, and the audit
 * row functions lib/audit builds on (R36 storage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "rsgate/store.h"
#include "testutil.h"

#include "../../lib/store/store-int.h"

/* Run SQL on the file behind the store's back; returns the SQLite code. */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_store_create_migrates(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "s.db");
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open(db, 0, &s), RSG_ERR_NOT_FOUND);
	assert_int_equal(store_open(db, STORE_CREATE, &s), 0);
	assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
	assert_int_equal(raw_int(db, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "PRAGMA application_id"),
	    STORE_APPLICATION_ID);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name IN ('meta', 'audit_record', 'audit_checkpoint')"), 3);
	/* WAL, so a commit is one fsync of the log, and readers don't block. */
	assert_int_equal(raw_int(db, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
	tmpdir_rm(dir);
}

static void
test_store_reopen_meta(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "s.db");
	struct store *s = NULL;
	struct rsg_buf *b = buf_new(0);

	(void)state;
	assert_int_equal(store_open(db, STORE_CREATE, &s), 0);
	assert_int_equal(store_meta_get(s, "k", b), RSG_ERR_NOT_FOUND);
	assert_int_equal(store_meta_set(s, "k", "v1", 2), 0);
	assert_int_equal(store_meta_set(s, "k", "value2", 6), 0);
	assert_int_equal(store_meta_set(s, "empty", NULL, 0), 0);
	store_close(s);
	s = NULL;
	assert_int_equal(store_open(db, STORE_RDONLY, &s), 0);
	assert_int_equal(store_meta_get(s, "k", b), 0);
	assert_int_equal(buf_len(b), 6);
	assert_memory_equal(buf_ptr(b), "value2", 6);
	buf_reset(b);
	assert_int_equal(store_meta_get(s, "empty", b), 0);
	assert_int_equal(buf_len(b), 0);
	/* Read-only means read-only. */
	assert_int_not_equal(store_meta_set(s, "k", "x", 1), 0);
	store_close(s);
	buf_free(b);
	tmpdir_rm(dir);
}

static void
test_store_version_too_new(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "s.db");
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open(db, STORE_CREATE, &s), 0);
	store_close(s);
	s = NULL;
	assert_int_equal(raw_exec(db, "PRAGMA user_version = 99"), SQLITE_OK);
	assert_int_equal(store_open(db, 0, &s), RSG_ERR_VERSION);
	assert_null(s);
	assert_int_equal(store_open(db, STORE_RDONLY, &s), RSG_ERR_VERSION);
	assert_int_equal(store_open(db, STORE_CREATE, &s), RSG_ERR_VERSION);
	/* And the refused open changed nothing. */
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 99);
	tmpdir_rm(dir);
}

static void
test_store_foreign_database(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "other.db");
	const char *junk = tmppath(dir, "junk.db");
	struct store *s = NULL;

	(void)state;
	assert_int_equal(raw_exec(db, "CREATE TABLE t (x)"), SQLITE_OK);
	assert_int_equal(store_open(db, STORE_CREATE, &s), RSG_ERR_FORMAT);
	assert_int_equal(store_open(db, STORE_RDONLY, &s), RSG_ERR_FORMAT);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema"), 1);
	assert_int_equal(file_write_atomic(junk, "not a database at all, "
	    "just some text that is long enough to be a header........"
	    "...........................................................",
	    120, 0600, 0), 0);
	assert_int_equal(store_open(junk, 0, &s), RSG_ERR_FORMAT);
	assert_null(s);
	tmpdir_rm(dir);
}

static void
test_store_strict_types(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "s.db");
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open(db, STORE_CREATE, &s), 0);
	store_close(s);
	/* STRICT: a text in an INTEGER column or in a BLOB column fails. */
	assert_int_equal(raw_exec(db, "INSERT INTO meta (key, value) "
	    "VALUES ('a', 'text')") & 0xff, SQLITE_CONSTRAINT);
	assert_int_equal(raw_exec(db, "INSERT INTO audit_checkpoint VALUES "
	    "(1, 'x', x'00', 1, x'00', x'00', x'00', x'00')") & 0xff,
	    SQLITE_CONSTRAINT);
	assert_int_equal(raw_exec(db, "INSERT INTO meta (key, value) "
	    "VALUES ('a', x'00')"), SQLITE_OK);
	tmpdir_rm(dir);
}

static void
test_store_transactions(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "s.db");
	struct store *s = NULL;
	struct rsg_buf *b = buf_new(0);

	(void)state;
	assert_int_equal(store_open(db, STORE_CREATE, &s), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_meta_set(s, "k", "v", 1), 0);
	store_rollback(s);
	assert_int_equal(store_meta_get(s, "k", b), RSG_ERR_NOT_FOUND);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_meta_set(s, "k", "v", 1), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_meta_get(s, "k", b), 0);
	assert_int_equal(store_commit(s), RSG_ERR_INVALID_ARG);
	store_close(s);
	buf_free(b);
	tmpdir_rm(dir);
}

/* The connection's PRAGMA synchronous: 1 NORMAL, 2 FULL. */
static int
synchronous_of(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int v;

	assert_int_equal(sqlite3_prepare_v2(s->db, "PRAGMA synchronous", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * R33 (log first, then act): a nosync transaction is committed (another
 * connection sees it) without the fsync, and whatever way it ends, the
 * store is back to synchronous=FULL, so every ordinary commit after it
 * is durable again and flushes it too.
 */
static void
test_store_nosync(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "s.db");
	struct store *s = NULL;
	struct rsg_buf *b = buf_new(0);
	sqlite3 *other = NULL;
	sqlite3_stmt *st = NULL;

	(void)state;
	assert_int_equal(store_open(db, STORE_CREATE, &s), 0);
	assert_int_equal(synchronous_of(s), 2);
	assert_int_equal(store_begin_nosync(s), 0);
	assert_int_equal(synchronous_of(s), 1);
	assert_int_equal(store_meta_set(s, "k", "v", 1), 0);
	assert_int_equal(store_sync(s), RSG_ERR_INVALID_ARG);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(synchronous_of(s), 2);
	/* Committed: another connection reads it. */
	assert_int_equal(sqlite3_open(db, &other), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(other, "SELECT count(*) FROM meta "
	    "WHERE key = 'k'", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(other);
	assert_int_equal(store_sync(s), 0);
	/* A rolled-back one restores FULL as well and leaves nothing. */
	assert_int_equal(store_begin_nosync(s), 0);
	assert_int_equal(store_meta_set(s, "k2", "v", 1), 0);
	store_rollback(s);
	assert_int_equal(synchronous_of(s), 2);
	assert_int_equal(store_meta_get(s, "k2", b), RSG_ERR_NOT_FOUND);
	/* An ordinary transaction after it is durable (FULL). */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(synchronous_of(s), 2);
	assert_int_equal(store_meta_set(s, "k3", "v", 1), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_meta_get(s, "k", b), 0);
	store_close(s);
	buf_free(b);
	tmpdir_rm(dir);
}

struct collect {
	uint64_t seqs[8];
	size_t n;
};

static int
collect_seq(const struct store_audit_row *row, void *arg)
{
	struct collect *c = arg;

	assert_int_equal(row->hash_len, STORE_HASH_LEN);
	assert_int_equal(row->text_len[STORE_AUDIT_USER], 5);
	assert_memory_equal(row->text[STORE_AUDIT_USER], "alice", 5);
	c->seqs[c->n++] = row->seq;
	return 0;
}

static void
fill_row(struct store_audit_row *r, uint64_t seq, const uint8_t *h)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->time_ms = 1000 + (int64_t)seq;
	for (i = 0; i < STORE_AUDIT_NTEXT; i++) {
		r->text[i] = "";
		r->text_len[i] = 0;
	}
	r->text[STORE_AUDIT_USER] = "alice";
	r->text_len[STORE_AUDIT_USER] = 5;
	r->prev_hash = h;
	r->prev_hash_len = STORE_HASH_LEN;
	r->hash = h;
	r->hash_len = STORE_HASH_LEN;
	r->enc = (const uint8_t *)"enc";
	r->enc_len = 3;
}

/* R36 storage: rows come back in sequence order; seqs are unique. */
static void
test_store_audit_rows(void **state)
{
	char *dir = tmpdir_new("store");
	const char *db = tmppath(dir, "s.db");
	struct store_audit_checkpoint_row cp;
	struct store_audit_row r;
	struct store *s = NULL;
	struct collect c;
	uint8_t h[STORE_HASH_LEN], got[STORE_HASH_LEN];
	uint64_t seq, n, last;
	int64_t t;

	(void)state;
	memset(h, 0xab, sizeof(h));
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_open(db, STORE_CREATE, &s), 0);
	assert_int_equal(store_audit_last(s, &seq, got), RSG_ERR_NOT_FOUND);
	assert_int_equal(store_audit_checkpoint_last(s, &n, &last, &t, got),
	    RSG_ERR_NOT_FOUND);
	fill_row(&r, 3, h);
	assert_int_equal(store_audit_insert(s, &r), 0);
	fill_row(&r, 1, h);
	assert_int_equal(store_audit_insert(s, &r), 0);
	fill_row(&r, 2, h);
	assert_int_equal(store_audit_insert(s, &r), 0);
	assert_int_equal(store_audit_insert(s, &r), RSG_ERR_EXISTS);
	assert_int_equal(store_audit_foreach(s, 2, collect_seq, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.seqs[0], 2);
	assert_int_equal(c.seqs[1], 3);
	assert_int_equal(store_audit_last(s, &seq, got), 0);
	assert_int_equal(seq, 3);
	assert_memory_equal(got, h, sizeof(h));

	memset(&cp, 0, sizeof(cp));
	cp.n = 1;
	cp.last_seq = 3;
	cp.time_ms = 77;
	cp.last_hash = cp.prev_hash = cp.hash = h;
	cp.last_hash_len = cp.prev_hash_len = cp.hash_len = STORE_HASH_LEN;
	cp.enc = (const uint8_t *)"e";
	cp.enc_len = 1;
	cp.sig = (const uint8_t *)"s";
	cp.sig_len = 1;
	assert_int_equal(store_audit_checkpoint_insert(s, &cp), 0);
	assert_int_equal(store_audit_checkpoint_insert(s, &cp),
	    RSG_ERR_EXISTS);
	assert_int_equal(store_audit_checkpoint_last(s, &n, &last, &t, got), 0);
	assert_int_equal(n, 1);
	assert_int_equal(last, 3);
	assert_int_equal(t, 77);
	store_close(s);
	tmpdir_rm(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_create_migrates),
		cmocka_unit_test(test_store_reopen_meta),
		cmocka_unit_test(test_store_version_too_new),
		cmocka_unit_test(test_store_foreign_database),
		cmocka_unit_test(test_store_strict_types),
		cmocka_unit_test(test_store_transactions),
		cmocka_unit_test(test_store_nosync),
		cmocka_unit_test(test_store_audit_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
