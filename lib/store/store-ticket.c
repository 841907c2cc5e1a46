/*
 * store-ticket.c: the workflow's tickets, their history and the outbox of
 * control messages waiting for the peer's acknowledgement.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/store.h"
#include "store-int.h"

#define TICKET_COLS "id, state, ap, device, engineer, caps_requested," \
	" caps_granted, duration_s, reason, purpose, approver, emergency," \
	" not_before_ms, not_after_ms, grant_doc, alert, created_ms, updated_ms"

void
store_ticket_clear(struct store_ticket *t)
{
	if (t == NULL)
		return;
	free(t->id);
	free(t->state);
	free(t->ap);
	free(t->device);
	free(t->engineer);
	free(t->reason);
	free(t->purpose);
	free(t->approver);
	free(t->grant_doc);
	free(t->alert);
	memset(t, 0, sizeof(*t));
}

static char *
col_nullable(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	return store_col_strdup(st, col);
}

/* Fill t from the current row; RSG_ERR_NOMEM leaves t cleared. */
static int
ticket_from_row(sqlite3_stmt *st, struct store_ticket *t)
{
	memset(t, 0, sizeof(*t));
	t->id = store_col_strdup(st, 0);
	t->state = store_col_strdup(st, 1);
	t->ap = store_col_strdup(st, 2);
	t->device = store_col_strdup(st, 3);
	t->engineer = store_col_strdup(st, 4);
	t->caps_requested = (uint32_t)sqlite3_column_int64(st, 5);
	t->caps_granted = (uint32_t)sqlite3_column_int64(st, 6);
	t->duration_s = sqlite3_column_int64(st, 7);
	t->reason = store_col_strdup(st, 8);
	t->purpose = store_col_strdup(st, 9);
	t->approver = store_col_strdup(st, 10);
	t->emergency = sqlite3_column_int64(st, 11) != 0;
	t->not_before_ms = sqlite3_column_int64(st, 12);
	t->not_after_ms = sqlite3_column_int64(st, 13);
	t->grant_doc = col_nullable(st, 14);
	t->alert = col_nullable(st, 15);
	t->created_ms = sqlite3_column_int64(st, 16);
	t->updated_ms = sqlite3_column_int64(st, 17);
	if (t->id == NULL || t->state == NULL || t->ap == NULL ||
	    t->device == NULL || t->engineer == NULL || t->reason == NULL ||
	    t->purpose == NULL || t->approver == NULL ||
	    (t->grant_doc == NULL &&
	    sqlite3_column_type(st, 14) != SQLITE_NULL) ||
	    (t->alert == NULL && sqlite3_column_type(st, 15) != SQLITE_NULL)) {
		store_ticket_clear(t);
		return RSG_ERR_NOMEM;
	}
	return 0;
}

int
store_ticket_get(struct store *s, const char *id, struct store_ticket *out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (id == NULL || out == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT " TICKET_COLS
	    " FROM ticket WHERE id = ?1", &st, "t", id)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = ticket_from_row(st, out);
	else if (rc == SQLITE_DONE)
		r = RSG_ERR_NOT_FOUND;
	else
		r = (r = store_sqlite_err(rc)) != 0 ? r : RSG_ERR_DB;
	sqlite3_finalize(st);
	return r;
}

int
store_ticket_put(struct store *s, const struct store_ticket *t)
{
	if (t == NULL || t->id == NULL || *t->id == '\0' ||
	    strlen(t->id) > STORE_TICKET_ID_MAX || t->state == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "INSERT OR REPLACE INTO ticket (" TICKET_COLS
	    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, ?16, ?17, ?18)", "tttttiiitttiiinnii", t->id, t->state,
	    t->ap, t->device, t->engineer, (int64_t)t->caps_requested,
	    (int64_t)t->caps_granted, t->duration_s, t->reason, t->purpose,
	    t->approver, (int64_t)(t->emergency != 0), t->not_before_ms,
	    t->not_after_ms, t->grant_doc, t->alert, t->created_ms,
	    t->updated_ms);
}

int
store_ticket_foreach(struct store *s, const char *state, store_ticket_fn fn,
    void *arg)
{
	struct store_ticket t;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if (state != NULL)
		r = store_prepare_bind(s, "SELECT " TICKET_COLS " FROM ticket"
		    " WHERE state = ?1 ORDER BY created_ms, id", &st, "t",
		    state);
	else
		r = store_prepare_bind(s, "SELECT " TICKET_COLS " FROM ticket"
		    " ORDER BY created_ms, id", &st, "");
	if (r != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = ticket_from_row(st, &t)) != 0)
			goto out;
		r = fn(&t, arg);
		store_ticket_clear(&t);
		if (r != 0)
			goto out;
	}
	r = store_loop_end(rc);
 out:
	sqlite3_finalize(st);
	return r;
}

int
store_ticket_history_add(struct store *s, const struct store_ticket_step *h)
{
	if (h == NULL || h->ticket == NULL || h->event == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_run(s, "INSERT INTO ticket_history (ticket, seq, time_ms,"
	    " event, actor, who, from_state, to_state, detail) VALUES (?1,"
	    " (SELECT COALESCE(MAX(seq), 0) + 1 FROM ticket_history"
	    "  WHERE ticket = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8)", "titttttt",
	    h->ticket, h->time_ms, h->event, h->actor, h->who, h->from_state,
	    h->to_state, h->detail);
}

int
store_ticket_history_foreach(struct store *s, const char *ticket,
    store_ticket_step_fn fn, void *arg)
{
	struct store_ticket_step h;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (ticket == NULL || fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT ticket, seq, time_ms, event,"
	    " actor, who, from_state, to_state, detail FROM ticket_history"
	    " WHERE ticket = ?1 ORDER BY seq", &st, "t", ticket)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h.ticket = (const char *)sqlite3_column_text(st, 0);
		h.seq = sqlite3_column_int64(st, 1);
		h.time_ms = sqlite3_column_int64(st, 2);
		h.event = (const char *)sqlite3_column_text(st, 3);
		h.actor = (const char *)sqlite3_column_text(st, 4);
		h.who = (const char *)sqlite3_column_text(st, 5);
		h.from_state = (const char *)sqlite3_column_text(st, 6);
		h.to_state = (const char *)sqlite3_column_text(st, 7);
		h.detail = (const char *)sqlite3_column_text(st, 8);
		if (h.ticket == NULL || h.event == NULL || h.actor == NULL ||
		    h.who == NULL || h.from_state == NULL ||
		    h.to_state == NULL || h.detail == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
		if ((r = fn(&h, arg)) != 0)
			goto out;
	}
	r = store_loop_end(rc);
 out:
	sqlite3_finalize(st);
	return r;
}

/* ---- outbox ------------------------------------------------------------------ */

int
store_outbox_add(struct store *s, const char *peer, uint16_t type,
    const char *body, int64_t now_ms, int64_t *id)
{
	int r;

	if (peer == NULL || body == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_run(s, "INSERT INTO outbox (peer, type, body,"
	    " created_ms, attempts, next_ms) VALUES (?1, ?2, ?3, ?4, 0, ?4)",
	    "titi", peer, (int64_t)type, body, now_ms)) != 0)
		return r;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_outbox_foreach(struct store *s, const char *peer, store_outbox_fn fn,
    void *arg)
{
	struct store_outbox_row o;
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (peer == NULL || fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_prepare_bind(s, "SELECT id, peer, type, body,"
	    " created_ms, attempts, next_ms FROM outbox WHERE peer = ?1"
	    " ORDER BY id", &st, "t", peer)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o.id = sqlite3_column_int64(st, 0);
		o.peer = (const char *)sqlite3_column_text(st, 1);
		o.type = (uint16_t)sqlite3_column_int64(st, 2);
		o.body = (const char *)sqlite3_column_text(st, 3);
		o.created_ms = sqlite3_column_int64(st, 4);
		o.attempts = (uint32_t)sqlite3_column_int64(st, 5);
		o.next_ms = sqlite3_column_int64(st, 6);
		if (o.peer == NULL || o.body == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
		if ((r = fn(&o, arg)) != 0)
			goto out;
	}
	r = store_loop_end(rc);
 out:
	sqlite3_finalize(st);
	return r;
}

int
store_outbox_delete(struct store *s, int64_t id)
{
	return store_run(s, "DELETE FROM outbox WHERE id = ?1", "i", id);
}

int
store_outbox_retry(struct store *s, int64_t id, int64_t next_ms)
{
	int r;

	if ((r = store_run(s, "UPDATE outbox SET attempts = attempts + 1,"
	    " next_ms = ?2 WHERE id = ?1", "ii", id, next_ms)) != 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : RSG_ERR_NOT_FOUND;
}
