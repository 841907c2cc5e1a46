/*
 * store-audit.c: the audit log's rows. Records and checkpoints each keep
 * their canonical encoding as a blob plus its fields as columns; this file
 * only moves rows in and out, lib/audit gives them meaning and checks that
 * the columns agree with the blobs.
 */
#include <sqlite3.h>
#include <string.h>

#include "rsgate/store.h"
#include "store-int.h"

/* Bind a blob that may be empty (SQLite wants a non-NULL pointer). */
static int
bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
	if (len > (size_t)STORE_META_VALUE_MAX * 16)
		return SQLITE_TOOBIG;
	return sqlite3_bind_blob(st, i, p == NULL ? "" : p, (int)len,
	    SQLITE_STATIC);
}

/* A column as bytes; NULL-with-length means SQLite ran out of memory. */
static int
col_bytes(sqlite3_stmt *st, int i, int text, const void **p, size_t *len)
{
	const void *v;
	int n;

	v = text ? (const void *)sqlite3_column_text(st, i) :
	    sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);
	if (v == NULL) {
		if (sqlite3_errcode(sqlite3_db_handle(st)) == SQLITE_NOMEM)
			return RSG_ERR_NOMEM;
		v = "";
		n = 0;
	}
	*p = v;
	*len = (size_t)n;
	return 0;
}

int
store_audit_insert(struct store *s, const struct store_audit_row *r)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_AUDIT_INSERT];
	int rc, i;

	if (r->seq > INT64_MAX || r->prev_hash_len != STORE_HASH_LEN ||
	    r->hash_len != STORE_HASH_LEN)
		return RSG_ERR_INVALID_ARG;
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, r->time_ms)) != SQLITE_OK)
		goto fail;
	for (i = 0; i < STORE_AUDIT_NTEXT; i++) {
		if (r->text_len[i] > INT32_MAX) {
			rc = SQLITE_TOOBIG;
			goto fail;
		}
		rc = sqlite3_bind_text(st, 3 + i,
		    r->text[i] == NULL ? "" : r->text[i], (int)r->text_len[i],
		    SQLITE_STATIC);
		if (rc != SQLITE_OK)
			goto fail;
	}
	if ((rc = bind_blob(st, 17, r->prev_hash, r->prev_hash_len)) !=
	    SQLITE_OK ||
	    (rc = bind_blob(st, 18, r->hash, r->hash_len)) != SQLITE_OK ||
	    (rc = bind_blob(st, 19, r->enc, r->enc_len)) != SQLITE_OK)
		goto fail;
	return store_step_done(st);
 fail:
	sqlite3_clear_bindings(st);
	return rc == SQLITE_TOOBIG ? RSG_ERR_LIMIT : store_sqlite_err(rc);
}

/*
 * Step a "last row" query: RSG_ERR_NOT_FOUND when there is no row, else
 * the hash in column col (exactly STORE_HASH_LEN bytes) via p. The caller
 * resets st.
 */
static int
step_last_row(sqlite3_stmt *st, int col, const void **p)
{
	size_t len;
	int rc, r;

	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? RSG_ERR_NOT_FOUND :
		    store_sqlite_err(rc);
	if ((r = col_bytes(st, col, 0, p, &len)) != 0)
		return r;
	return len == STORE_HASH_LEN ? 0 : RSG_ERR_FORMAT;
}

int
store_audit_foreach(struct store *s, uint64_t from, store_audit_record_fn fn,
    void *arg)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_AUDIT_FOREACH];
	struct store_audit_row row;
	const void *p;
	int rc, r, i;

	if (from > INT64_MAX)
		return 0;
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)from)) !=
	    SQLITE_OK) {
		r = store_sqlite_err(rc);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.seq = (uint64_t)sqlite3_column_int64(st, 0);
		row.time_ms = sqlite3_column_int64(st, 1);
		for (i = 0; i < STORE_AUDIT_NTEXT; i++) {
			if ((r = col_bytes(st, 2 + i, 1, &p,
			    &row.text_len[i])) != 0)
				goto out;
			row.text[i] = p;
		}
		if ((r = col_bytes(st, 16, 0, &p, &row.prev_hash_len)) != 0)
			goto out;
		row.prev_hash = p;
		if ((r = col_bytes(st, 17, 0, &p, &row.hash_len)) != 0)
			goto out;
		row.hash = p;
		if ((r = col_bytes(st, 18, 0, &p, &row.enc_len)) != 0)
			goto out;
		row.enc = p;
		if ((r = fn(&row, arg)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : store_sqlite_err(rc);
 out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int
store_audit_last(struct store *s, uint64_t *seq, uint8_t *hash)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_AUDIT_LAST];
	const void *p;
	int r;

	if ((r = step_last_row(st, 1, &p)) != 0)
		goto out;
	*seq = (uint64_t)sqlite3_column_int64(st, 0);
	memcpy(hash, p, STORE_HASH_LEN);
	r = 0;
 out:
	sqlite3_reset(st);
	return r;
}

int
store_audit_checkpoint_insert(struct store *s,
    const struct store_audit_checkpoint_row *r)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_CP_INSERT];
	int rc;

	if (r->n > INT64_MAX || r->last_seq > INT64_MAX ||
	    r->last_hash_len != STORE_HASH_LEN ||
	    r->prev_hash_len != STORE_HASH_LEN ||
	    r->hash_len != STORE_HASH_LEN)
		return RSG_ERR_INVALID_ARG;
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)r->n)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)r->last_seq)) !=
	    SQLITE_OK ||
	    (rc = bind_blob(st, 3, r->last_hash, r->last_hash_len)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, r->time_ms)) != SQLITE_OK ||
	    (rc = bind_blob(st, 5, r->prev_hash, r->prev_hash_len)) !=
	    SQLITE_OK ||
	    (rc = bind_blob(st, 6, r->hash, r->hash_len)) != SQLITE_OK ||
	    (rc = bind_blob(st, 7, r->enc, r->enc_len)) != SQLITE_OK ||
	    (rc = bind_blob(st, 8, r->sig, r->sig_len)) != SQLITE_OK) {
		sqlite3_clear_bindings(st);
		return rc == SQLITE_TOOBIG ? RSG_ERR_LIMIT :
		    store_sqlite_err(rc);
	}
	return store_step_done(st);
}

int
store_audit_checkpoint_foreach(struct store *s, store_audit_checkpoint_fn fn,
    void *arg)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_CP_FOREACH];
	struct store_audit_checkpoint_row row;
	const void *p;
	int rc, r;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.n = (uint64_t)sqlite3_column_int64(st, 0);
		row.last_seq = (uint64_t)sqlite3_column_int64(st, 1);
		row.time_ms = sqlite3_column_int64(st, 3);
		if ((r = col_bytes(st, 2, 0, &p, &row.last_hash_len)) != 0)
			goto out;
		row.last_hash = p;
		if ((r = col_bytes(st, 4, 0, &p, &row.prev_hash_len)) != 0)
			goto out;
		row.prev_hash = p;
		if ((r = col_bytes(st, 5, 0, &p, &row.hash_len)) != 0)
			goto out;
		row.hash = p;
		if ((r = col_bytes(st, 6, 0, &p, &row.enc_len)) != 0)
			goto out;
		row.enc = p;
		if ((r = col_bytes(st, 7, 0, &p, &row.sig_len)) != 0)
			goto out;
		row.sig = p;
		if ((r = fn(&row, arg)) != 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : store_sqlite_err(rc);
 out:
	sqlite3_reset(st);
	return r;
}

int
store_audit_checkpoint_last(struct store *s, uint64_t *n, uint64_t *last_seq,
    int64_t *time_ms, uint8_t *hash)
{
	sqlite3_stmt *st = s->stmt[STORE_STMT_CP_LAST];
	const void *p;
	int r;

	if ((r = step_last_row(st, 3, &p)) != 0)
		goto out;
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	*last_seq = (uint64_t)sqlite3_column_int64(st, 1);
	*time_ms = sqlite3_column_int64(st, 2);
	memcpy(hash, p, STORE_HASH_LEN);
	r = 0;
 out:
	sqlite3_reset(st);
	return r;
}
