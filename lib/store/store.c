/*
 * store.c: opening the database, schema migrations, transactions and the
 * meta table. SQLite runs in WAL mode with synchronous=FULL: a COMMIT
 * returns after the WAL is fsync'd, which is what lets the audit log
 * promise a record is durable before the action it records goes ahead.
 *
 * Migrations are an append-only array of SQL steps: step i brings the
 * schema from version i to i+1. They run in one transaction with the
 * version bump, so a crash leaves either the old or the new schema. Never
 * edit a step that has shipped; add a new one.
 *
 * Statements used per row (the hot ones) are prepared once per store and
 * reset after each use; everything binds its parameters.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rsgate/store.h"
#include "store-int.h"

static const char *const store_migrations[STORE_SCHEMA_VERSION] = {
	/* 0 -> 1: meta, and the audit log (records and checkpoints). */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value BLOB NOT NULL"
	") STRICT;"
	"CREATE TABLE audit_record ("
	"  seq INTEGER PRIMARY KEY NOT NULL,"
	"  time_ms INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  hcf_id TEXT NOT NULL,"
	"  vendor_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  session_id TEXT NOT NULL,"
	"  device_id TEXT NOT NULL,"
	"  site_id TEXT NOT NULL,"
	"  approval_id TEXT NOT NULL,"
	"  capability TEXT NOT NULL,"
	"  object TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  prev_hash BLOB NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  record BLOB NOT NULL"
	") STRICT;"
	"CREATE INDEX audit_record_session ON audit_record (session_id);"
	"CREATE TABLE audit_checkpoint ("
	"  n INTEGER PRIMARY KEY NOT NULL,"
	"  last_seq INTEGER NOT NULL,"
	"  last_hash BLOB NOT NULL,"
	"  time_ms INTEGER NOT NULL,"
	"  prev_hash BLOB NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  body BLOB NOT NULL,"
	"  sig BLOB NOT NULL"
	") STRICT;",
	/*
	 * 1 -> 2: the service workflow. Each daemon keeps its own view of
	 * the tickets that touch it (R38); the hub alone has the evidence
	 * vault and its purge jobs; both keep the signed documents.
	 */
	"CREATE TABLE ticket ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  state TEXT NOT NULL,"
	"  ap TEXT NOT NULL,"
	"  device TEXT NOT NULL,"
	"  engineer TEXT NOT NULL,"
	"  caps_requested INTEGER NOT NULL,"
	"  caps_granted INTEGER NOT NULL,"
	"  duration_s INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  purpose TEXT NOT NULL,"
	"  approver TEXT NOT NULL,"
	"  emergency INTEGER NOT NULL,"
	"  not_before_ms INTEGER NOT NULL,"
	"  not_after_ms INTEGER NOT NULL,"
	"  grant_doc TEXT,"
	"  alert TEXT,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX ticket_state ON ticket (state);"
	"CREATE TABLE ticket_history ("
	"  ticket TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  time_ms INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  from_state TEXT NOT NULL,"
	"  to_state TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  PRIMARY KEY (ticket, seq)"
	") STRICT;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  peer TEXT NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  body TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  next_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE evidence_key ("
	"  ticket TEXT PRIMARY KEY NOT NULL,"
	"  wrapped BLOB NOT NULL"
	") STRICT;"
	"CREATE TABLE evidence_item ("
	"  ticket TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket, name)"
	") STRICT;"
	"CREATE TABLE purge_job ("
	"  ticket TEXT PRIMARY KEY NOT NULL,"
	"  due_ms INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL"
	") STRICT;"
	"CREATE TABLE document ("
	"  ticket TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket, kind)"
	") STRICT;",
	/*
	 * 2 -> 3: the hub's alert de-duplication keys leave the meta table
	 * (where they grew without bound) for a table pruned by time.
	 */
	"CREATE TABLE alert_seen ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  ticket TEXT NOT NULL,"
	"  time_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX alert_seen_time ON alert_seen (time_ms);"
	"INSERT INTO alert_seen (key, ticket, time_ms)"
	"  SELECT substr(key, 12), CAST(value AS TEXT),"
	"  CAST(strftime('%s', 'now') AS INTEGER) * 1000"
	"  FROM meta WHERE key GLOB 'alert.seen.*';"
	"DELETE FROM meta WHERE key GLOB 'alert.seen.*';",
};

static const char *const store_stmt_sql[STORE_STMT_COUNT] = {
	[STORE_STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STORE_STMT_COMMIT] = "COMMIT",
	[STORE_STMT_ROLLBACK] = "ROLLBACK",
	[STORE_STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[STORE_STMT_META_SET] =
	    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
	[STORE_STMT_AUDIT_INSERT] =
	    "INSERT INTO audit_record (seq, time_ms, event, outcome, hcf_id,"
	    " vendor_id, user_id, role, session_id, device_id, site_id,"
	    " approval_id, capability, object, source, reason, prev_hash, hash,"
	    " record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
	[STORE_STMT_AUDIT_FOREACH] =
	    "SELECT seq, time_ms, event, outcome, hcf_id, vendor_id, user_id,"
	    " role, session_id, device_id, site_id, approval_id, capability,"
	    " object, source, reason, prev_hash, hash, record"
	    " FROM audit_record WHERE seq >= ?1 ORDER BY seq",
	[STORE_STMT_AUDIT_LAST] =
	    "SELECT seq, hash FROM audit_record ORDER BY seq DESC LIMIT 1",
	[STORE_STMT_CP_INSERT] =
	    "INSERT INTO audit_checkpoint (n, last_seq, last_hash, time_ms,"
	    " prev_hash, hash, body, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8)",
	[STORE_STMT_CP_FOREACH] =
	    "SELECT n, last_seq, last_hash, time_ms, prev_hash, hash, body, sig"
	    " FROM audit_checkpoint ORDER BY n",
	[STORE_STMT_CP_LAST] =
	    "SELECT n, last_seq, time_ms, hash FROM audit_checkpoint"
	    " ORDER BY n DESC LIMIT 1",
};

int
store_loop_end(int rc)
{
	int r;

	if (rc == SQLITE_DONE)
		return 0;
	return (r = store_sqlite_err(rc)) != 0 ? r : RSG_ERR_DB;
}

int
store_sqlite_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return RSG_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RSG_ERR_BUSY;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    rc == SQLITE_CONSTRAINT_UNIQUE)
			return RSG_ERR_EXISTS;
		return RSG_ERR_FORMAT;
	case SQLITE_CANTOPEN:
		return RSG_ERR_NOT_FOUND;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return RSG_ERR_FORMAT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return RSG_ERR_PERM;
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return RSG_ERR_IO;
	default:
		return RSG_ERR_DB;
	}
}

/* Run one statement that yields at most one integer (a PRAGMA read). */
static int
store_pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK) {
		r = store_sqlite_err(rc);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? RSG_ERR_DB : store_sqlite_err(rc);
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

static int
store_exec(sqlite3 *db, const char *sql)
{
	int rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return store_sqlite_err(rc);
	return 0;
}

/* Bring the schema from its version to STORE_SCHEMA_VERSION. */
static int
store_migrate(sqlite3 *db, int create)
{
	char sql[96];
	int64_t version, appid, ntables;
	int r, i;

	if ((r = store_exec(db, "BEGIN IMMEDIATE")) != 0)
		return r;
	/* Read again under the write lock: another process may have won. */
	if ((r = store_pragma_int(db, "PRAGMA user_version", &version)) != 0 ||
	    (r = store_pragma_int(db, "PRAGMA application_id", &appid)) != 0)
		goto out;
	if (version == STORE_SCHEMA_VERSION) {
		r = 0;
		goto out;
	}
	if (version == 0) {
		/* A fresh file, unless it is someone else's database. */
		if ((r = store_pragma_int(db,
		    "SELECT count(*) FROM sqlite_schema", &ntables)) != 0)
			goto out;
		if (ntables != 0 || !create) {
			r = RSG_ERR_FORMAT;
			goto out;
		}
	}
	for (i = (int)version; i < STORE_SCHEMA_VERSION; i++)
		if ((r = store_exec(db, store_migrations[i])) != 0)
			goto out;
	/* PRAGMAs take no parameters; these are our own constants. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;"
	    "PRAGMA application_id = %d;", STORE_SCHEMA_VERSION,
	    (int)STORE_APPLICATION_ID);
	if ((r = store_exec(db, sql)) != 0)
		goto out;
	if ((r = store_exec(db, "COMMIT")) != 0)
		goto out;
	return 0;
 out:
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int
store_open(const char *path, unsigned flags, struct store **out)
{
	struct store *s = NULL;
	struct stat st;
	int64_t version, appid;
	int oflags, rc, r, i;
	int rdonly = (flags & STORE_RDONLY) != 0;

	if (path == NULL || *path == '\0' || out == NULL ||
	    (rdonly && (flags & STORE_CREATE)))
		return RSG_ERR_INVALID_ARG;
	if (stat(path, &st) != 0) {
		if (errno != ENOENT)
			return RSG_ERR_IO;
		if (!(flags & STORE_CREATE))
			return RSG_ERR_NOT_FOUND;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return RSG_ERR_NOMEM;
	oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	if (rdonly)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = s->db == NULL ? RSG_ERR_NOMEM : store_sqlite_err(rc);
		goto out;
	}
	if ((rc = sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS)) !=
	    SQLITE_OK) {
		r = store_sqlite_err(rc);
		goto out;
	}
	/* Reading the header also tells a non-database file apart. */
	if ((r = store_pragma_int(s->db, "PRAGMA user_version",
	    &version)) != 0 ||
	    (r = store_pragma_int(s->db, "PRAGMA application_id",
	    &appid)) != 0)
		goto out;
	if (version > STORE_SCHEMA_VERSION) {
		r = RSG_ERR_VERSION;
		goto out;
	}
	if ((appid != 0 && appid != STORE_APPLICATION_ID) ||
	    (appid == 0 && version != 0)) {
		r = RSG_ERR_FORMAT;
		goto out;
	}
	if (!rdonly) {
		if ((r = store_exec(s->db, "PRAGMA journal_mode = WAL")) != 0 ||
		    (r = store_exec(s->db, "PRAGMA synchronous = FULL")) != 0 ||
		    (r = store_exec(s->db, "PRAGMA foreign_keys = ON")) != 0 ||
		    /* deleted rows (wrapped ticket keys) are overwritten */
		    (r = store_exec(s->db, "PRAGMA secure_delete = ON")) != 0)
			goto out;
		if (version != STORE_SCHEMA_VERSION &&
		    (r = store_migrate(s->db, (flags & STORE_CREATE) != 0)) != 0)
			goto out;
	} else if (version != STORE_SCHEMA_VERSION) {
		/* Read-only cannot migrate; 0 means not an rsgate store. */
		r = version == 0 ? RSG_ERR_FORMAT : RSG_ERR_VERSION;
		goto out;
	}
	for (i = 0; i < STORE_STMT_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, store_stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			r = store_sqlite_err(rc);
			goto out;
		}
	}
	s->version = STORE_SCHEMA_VERSION;
	*out = s;
	return 0;
 out:
	store_close(s);
	return r;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < STORE_STMT_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

int
store_schema_version(struct store *s)
{
	return s->version;
}

/* Step a statement expected to finish without rows, then reset it. */
int
store_step_done(sqlite3_stmt *st)
{
	int rc, r;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	/* A statement that returned rows here is a bug, not success. */
	r = store_sqlite_err(rc);
	return r != 0 ? r : RSG_ERR_DB;
}

/*
 * Back to synchronous=FULL after a store_begin_nosync transaction. If that
 * fails, sync_lost stays set and the next store_begin tries again (and
 * fails rather than start a transaction that would commit without fsync).
 */
static void
store_sync_restore(struct store *s)
{
	if (store_exec(s->db, "PRAGMA synchronous = FULL") == 0)
		s->sync_lost = 0;
}

int
store_begin(struct store *s)
{
	int r;

	/* synchronous can only change outside a transaction. */
	if (s->sync_lost) {
		if ((r = store_exec(s->db, "PRAGMA synchronous = FULL")) != 0)
			return r;
		s->sync_lost = 0;
	}
	if ((r = store_step_done(s->stmt[STORE_STMT_BEGIN])) != 0)
		return r;
	s->in_txn = 1;
	return 0;
}

int
store_begin_nosync(struct store *s)
{
	int r;

	if ((r = store_exec(s->db, "PRAGMA synchronous = NORMAL")) != 0)
		return r;
	s->sync_lost = 1;	/* until the transaction ends */
	if ((r = store_step_done(s->stmt[STORE_STMT_BEGIN])) != 0) {
		store_sync_restore(s);
		return r;
	}
	s->in_txn = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	int r;

	if (!s->in_txn)
		return RSG_ERR_INVALID_ARG;
	r = store_step_done(s->stmt[STORE_STMT_COMMIT]);
	if (r == 0)
		s->in_txn = 0;
	if (s->sync_lost && sqlite3_get_autocommit(s->db))
		store_sync_restore(s);
	return r;
}

int
store_sync(struct store *s)
{
	sqlite3_file *wal = NULL;
	int rc;

	if (s->in_txn)
		return RSG_ERR_INVALID_ARG;
	rc = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &wal);
	if (rc != SQLITE_OK)
		return store_sqlite_err(rc);
	/* No WAL open yet: nothing was written that could need a flush. */
	if (wal == NULL || wal->pMethods == NULL)
		return 0;
	if ((rc = wal->pMethods->xSync(wal, SQLITE_SYNC_FULL)) != SQLITE_OK)
		return store_sqlite_err(rc);
	return 0;
}

void
store_rollback(struct store *s)
{
	if (s == NULL || !s->in_txn)
		return;
	/* A failed COMMIT may already have ended the transaction. */
	if (!sqlite3_get_autocommit(s->db))
		(void)store_step_done(s->stmt[STORE_STMT_ROLLBACK]);
	s->in_txn = 0;
	if (s->sync_lost)
		store_sync_restore(s);
}

int
store_meta_get(struct store *s, const char *key, struct rsg_buf *out)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_META_GET];
	const void *p;
	int rc, r, n;

	if (key == NULL || strlen(key) > STORE_META_KEY_MAX)
		return RSG_ERR_INVALID_ARG;
	if ((rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		r = store_sqlite_err(rc);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = RSG_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = store_sqlite_err(rc);
		goto out;
	}
	p = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if (p == NULL && n != 0) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	r = buf_put(out, p, (size_t)n);
 out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int
store_meta_set(struct store *s, const char *key, const void *val, size_t len)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_META_SET];
	int rc;

	if (key == NULL || strlen(key) > STORE_META_KEY_MAX ||
	    len > STORE_META_VALUE_MAX || (val == NULL && len != 0))
		return RSG_ERR_INVALID_ARG;
	if ((rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_blob(st, 2, len == 0 ? "" : val, (int)len,
	    SQLITE_STATIC)) != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return store_sqlite_err(rc);
	}
	return store_step_done(st);
}

static int
bind_va(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	const char *t;
	const void *p;
	size_t n;
	int i, rc = SQLITE_OK;

	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 't':
			t = va_arg(ap, const char *);
			rc = sqlite3_bind_text(st, i, t != NULL ? t : "", -1,
			    SQLITE_TRANSIENT);
			break;
		case 'n':
			t = va_arg(ap, const char *);
			rc = t != NULL ? sqlite3_bind_text(st, i, t, -1,
			    SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
			break;
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			n = va_arg(ap, size_t);
			if (n > INT32_MAX)
				return RSG_ERR_LIMIT;
			rc = sqlite3_bind_blob(st, i, p, (int)n,
			    SQLITE_TRANSIENT);
			break;
		default:
			return RSG_ERR_INVALID_ARG;
		}
	}
	return store_sqlite_err(rc);
}

int
store_prepare_bind(struct store *s, const char *sql, sqlite3_stmt **stp,
    const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int r;

	if (s == NULL || sql == NULL || stp == NULL || fmt == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_sqlite_err(sqlite3_prepare_v2(s->db, sql, -1, &st,
	    NULL))) != 0)
		return r;
	va_start(ap, fmt);
	r = bind_va(st, fmt, ap);
	va_end(ap);
	if (r != 0) {
		sqlite3_finalize(st);
		return r;
	}
	*stp = st;
	return 0;
}

int
store_run(struct store *s, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int r, rc;

	if (s == NULL || sql == NULL || fmt == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_sqlite_err(sqlite3_prepare_v2(s->db, sql, -1, &st,
	    NULL))) != 0)
		return r;
	va_start(ap, fmt);
	r = bind_va(st, fmt, ap);
	va_end(ap);
	if (r == 0) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			r = (r = store_sqlite_err(rc)) != 0 ? r : RSG_ERR_DB;
	}
	sqlite3_finalize(st);
	return r;
}

char *
store_col_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (t == NULL)
		return strdup("");
	return strndup((const char *)t, (size_t)n);
}
