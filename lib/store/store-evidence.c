/*
 * store-evidence.c: the hub's evidence vault index (wrapped ticket keys and
 * items), its purge jobs, and the signed documents both daemons keep.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/store.h"
#include "store-int.h"

int
store_evidence_key_put(struct store *s, const char *ticket,
    const uint8_t *wrapped, size_t len)
{
	if (ticket == NULL || wrapped == NULL || len == 0)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "INSERT INTO evidence_key (ticket, wrapped)"
	    " VALUES (?1, ?2)", "tb", ticket, (const void *)wrapped, len);
}

int
store_evidence_key_get(struct store *s, const char *ticket,
    struct rsg_buf **out)
{
	sqlite3_stmt *st = NULL;
	struct rsg_buf *b = NULL;
	const void *p;
	int r, rc, n;

	if (ticket == NULL || out == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT wrapped FROM evidence_key"
	    " WHERE ticket = ?1", &st, "t", ticket)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		p = sqlite3_column_blob(st, 0);
		n = sqlite3_column_bytes(st, 0);
		if (p == NULL || n <= 0) {
			r = RSG_ERR_DB;
		} else if ((b = buf_new((size_t)n)) == NULL) {
			r = RSG_ERR_NOMEM;
		} else if ((r = buf_put(b, p, (size_t)n)) == 0) {
			*out = b;
			b = NULL;
		}
	} else {
		r = rc == SQLITE_DONE ? RSG_ERR_NOT_FOUND : store_loop_end(rc);
	}
	buf_free(b);
	sqlite3_finalize(st);
	return r;
}

int
store_evidence_key_delete(struct store *s, const char *ticket)
{
	if (ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "DELETE FROM evidence_key WHERE ticket = ?1", "t",
	    ticket);
}

int
store_evidence_item_add(struct store *s, const struct store_evidence_item *it)
{
	if (it == NULL || it->ticket == NULL || it->name == NULL ||
	    it->path == NULL || it->sha256 == NULL || it->size > INT64_MAX)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "INSERT INTO evidence_item (ticket, name, path,"
	    " size, sha256, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    "tttiti", it->ticket, it->name, it->path, (int64_t)it->size,
	    it->sha256, it->created_ms);
}

int
store_evidence_item_foreach(struct store *s, const char *ticket,
    store_evidence_fn fn, void *arg)
{
	struct store_evidence_item it;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (ticket == NULL || fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT ticket, name, path, size,"
	    " sha256, created_ms FROM evidence_item WHERE ticket = ?1"
	    " ORDER BY created_ms, name", &st, "t", ticket)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		it.ticket = (const char *)sqlite3_column_text(st, 0);
		it.name = (const char *)sqlite3_column_text(st, 1);
		it.path = (const char *)sqlite3_column_text(st, 2);
		it.size = (uint64_t)sqlite3_column_int64(st, 3);
		it.sha256 = (const char *)sqlite3_column_text(st, 4);
		it.created_ms = sqlite3_column_int64(st, 5);
		if (it.ticket == NULL || it.name == NULL || it.path == NULL ||
		    it.sha256 == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
		if ((r = fn(&it, arg)) != 0)
			goto out;
	}
	r = store_loop_end(rc);
 out:
	sqlite3_finalize(st);
	return r;
}

int
store_evidence_item_delete_all(struct store *s, const char *ticket)
{
	if (ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "DELETE FROM evidence_item WHERE ticket = ?1", "t",
	    ticket);
}

/* ---- purge jobs ---------------------------------------------------------------- */

int
store_wal_truncate(struct store *s)
{
	int rc;

	if (s->in_txn)
		return RSG_ERR_STATE;
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	if (rc == SQLITE_BUSY)
		return RSG_ERR_BUSY;
	return store_sqlite_err(rc);
}

int
store_purge_put(struct store *s, const char *ticket, int64_t due_ms)
{
	if (ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	/* A job already queued keeps its attempts; the due time may move. */
	return store_run(s, "INSERT INTO purge_job (ticket, due_ms, attempts,"
	    " last_error) VALUES (?1, ?2, 0, '') ON CONFLICT (ticket) DO"
	    " UPDATE SET due_ms = excluded.due_ms", "ti", ticket, due_ms);
}

int
store_purge_foreach_due(struct store *s, int64_t now_ms, store_purge_fn fn,
    void *arg)
{
	struct store_purge_job j;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT ticket, due_ms, attempts,"
	    " last_error FROM purge_job WHERE due_ms <= ?1"
	    " ORDER BY due_ms, ticket", &st, "i", now_ms)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		j.ticket = (const char *)sqlite3_column_text(st, 0);
		j.due_ms = sqlite3_column_int64(st, 1);
		j.attempts = (uint32_t)sqlite3_column_int64(st, 2);
		j.last_error = (const char *)sqlite3_column_text(st, 3);
		if (j.ticket == NULL || j.last_error == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
		if ((r = fn(&j, arg)) != 0)
			goto out;
	}
	r = store_loop_end(rc);
 out:
	sqlite3_finalize(st);
	return r;
}

int
store_purge_failed(struct store *s, const char *ticket, const char *error,
    int64_t next_due_ms)
{
	int r;

	if (ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_run(s, "UPDATE purge_job SET attempts = attempts + 1,"
	    " last_error = ?2, due_ms = ?3 WHERE ticket = ?1", "tti", ticket,
	    error, next_due_ms)) != 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : RSG_ERR_NOT_FOUND;
}

int
store_purge_done(struct store *s, const char *ticket)
{
	if (ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "DELETE FROM purge_job WHERE ticket = ?1", "t",
	    ticket);
}

/* ---- documents ------------------------------------------------------------------- */

int
store_document_put(struct store *s, const char *ticket, const char *kind,
    const char *body, int64_t now_ms)
{
	if (ticket == NULL || kind == NULL || body == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "INSERT OR REPLACE INTO document (ticket, kind,"
	    " body, created_ms) VALUES (?1, ?2, ?3, ?4)", "ttti", ticket, kind,
	    body, now_ms);
}

int
store_document_get(struct store *s, const char *ticket, const char *kind,
    char **body)
{
	sqlite3_stmt *st = NULL;
	char *b;
	int r, rc;

	if (ticket == NULL || kind == NULL || body == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT body FROM document WHERE"
	    " ticket = ?1 AND kind = ?2", &st, "tt", ticket, kind)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((b = store_col_strdup(st, 0)) == NULL)
			r = RSG_ERR_NOMEM;
		else
			*body = b;
	} else {
		r = rc == SQLITE_DONE ? RSG_ERR_NOT_FOUND : store_loop_end(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
store_document_foreach(struct store *s, const char *kind,
    store_document_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	const char *t, *k, *b;
	int r, rc;

	if (fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if (kind != NULL)
		r = store_prepare_bind(s, "SELECT ticket, kind, body,"
		    " created_ms FROM document WHERE kind = ?1"
		    " ORDER BY created_ms, ticket", &st, "t", kind);
	else
		r = store_prepare_bind(s, "SELECT ticket, kind, body,"
		    " created_ms FROM document ORDER BY created_ms, ticket",
		    &st, "");
	if (r != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		k = (const char *)sqlite3_column_text(st, 1);
		b = (const char *)sqlite3_column_text(st, 2);
		if (t == NULL || k == NULL || b == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
		if ((r = fn(t, k, b, sqlite3_column_int64(st, 3), arg)) != 0)
			goto out;
	}
	r = store_loop_end(rc);
 out:
	sqlite3_finalize(st);
	return r;
}

/* ---- alerts already handled (schema 3) ------------------------------------------- */

int
store_alert_seen_get(struct store *s, const char *key, char **ticket)
{
	sqlite3_stmt *st = NULL;
	char *t;
	int r, rc;

	if (key == NULL || ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT ticket FROM alert_seen WHERE"
	    " key = ?1", &st, "t", key)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((t = store_col_strdup(st, 0)) == NULL)
			r = RSG_ERR_NOMEM;
		else
			*ticket = t;
	} else {
		r = rc == SQLITE_DONE ? RSG_ERR_NOT_FOUND : store_loop_end(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
store_alert_seen_put(struct store *s, const char *key, const char *ticket,
    int64_t now_ms)
{
	if (key == NULL || ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "INSERT OR REPLACE INTO alert_seen (key, ticket,"
	    " time_ms) VALUES (?1, ?2, ?3)", "tti", key, ticket, now_ms);
}

int
store_alert_seen_prune(struct store *s, int64_t before_ms, size_t *n)
{
	int r;

	if (s == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_run(s, "DELETE FROM alert_seen WHERE time_ms < ?1",
	    "i", before_ms)) != 0)
		return r;
	if (n != NULL)
		*n = (size_t)sqlite3_changes(s->db);
	return 0;
}
