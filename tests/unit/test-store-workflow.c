/*
 * test-store-workflow.c: the workflow tables of the store (schema 2):
 * tickets and history (R38), the outbox, the evidence index, purge jobs
 * (R44) and signed documents (R45).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "rsgate/store.h"
#include "rsgate/workflow.h"
#include "testutil.h"

struct fix {
	char *dir;
	struct store *s;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->dir = tmpdir_new("store-wf"));
	assert_int_equal(store_open(tmppath(f->dir, "s.db"), STORE_CREATE,
	    &f->s), 0);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	store_close(f->s);
	tmpdir_rm(f->dir);
	free(f);
	return 0;
}

static int
count_cb(const struct store_ticket *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

static void
test_ticket_roundtrip(void **state)
{
	struct fix *f = *state;
	struct store_ticket t, g;
	int n = 0;

	memset(&t, 0, sizeof(t));
	t.id = "T-100";
	t.state = "requested";
	t.ap = "ap1";
	t.device = "ct-01";
	t.engineer = "eng-suzuki";
	t.caps_requested = 0x5;
	t.duration_s = 3600;
	t.reason = "tube arcing, error E42";
	t.alert = "{\"error_code\":\"E42\"}";
	t.created_ms = 1000;
	t.updated_ms = 1001;
	assert_int_equal(store_ticket_put(f->s, &t), 0);
	assert_int_equal(store_ticket_get(f->s, "T-100", &g), 0);
	assert_string_equal(g.state, "requested");
	assert_string_equal(g.engineer, "eng-suzuki");
	assert_string_equal(g.purpose, "");	/* NULL stored as "" */
	assert_null(g.grant_doc);		/* nullable stays NULL */
	assert_string_equal(g.alert, "{\"error_code\":\"E42\"}");
	assert_int_equal(g.caps_requested, 0x5);
	assert_int_equal(g.duration_s, 3600);
	store_ticket_clear(&g);
	/* replace: the whole row */
	t.state = "approved";
	t.grant_doc = "{\"kind\":\"x\"}";
	t.caps_granted = 0x1;
	assert_int_equal(store_ticket_put(f->s, &t), 0);
	assert_int_equal(store_ticket_get(f->s, "T-100", &g), 0);
	assert_string_equal(g.state, "approved");
	assert_string_equal(g.grant_doc, "{\"kind\":\"x\"}");
	store_ticket_clear(&g);
	assert_int_equal(store_ticket_get(f->s, "T-404", &g),
	    RSG_ERR_NOT_FOUND);
	t.id = "T-101";
	t.state = "requested";
	assert_int_equal(store_ticket_put(f->s, &t), 0);
	assert_int_equal(store_ticket_foreach(f->s, "approved", count_cb, &n),
	    0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_ticket_foreach(f->s, NULL, count_cb, &n), 0);
	assert_int_equal(n, 2);
	t.id = "";
	assert_int_equal(store_ticket_put(f->s, &t), RSG_ERR_INVALID_ARG);
}

static int
hist_cb(const struct store_ticket_step *h, void *arg)
{
	int *n = arg;

	(*n)++;
	assert_int_equal(h->seq, *n);
	return 0;
}

static int
outbox_cb(const struct store_outbox_row *o, void *arg)
{
	int64_t *last = arg;

	assert_true(o->id > *last);
	*last = o->id;
	assert_string_equal(o->peer, "ap1");
	return 0;
}

static void
test_history_outbox(void **state)
{
	struct fix *f = *state;
	struct store_ticket_step h = { "T-1", 0, 5, "request", "engineer",
	    "eng-suzuki", "notified", "requested", "" };
	int64_t id1, id2, last = 0;
	int n = 0;

	assert_int_equal(store_ticket_history_add(f->s, &h), 0);
	h.event = "approve";
	assert_int_equal(store_ticket_history_add(f->s, &h), 0);
	h.ticket = "T-2";
	assert_int_equal(store_ticket_history_add(f->s, &h), 0);
	assert_int_equal(store_ticket_history_foreach(f->s, "T-1", hist_cb,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_outbox_add(f->s, "ap1", 33, "{\"op\":\"a\"}",
	    10, &id1), 0);
	assert_int_equal(store_outbox_add(f->s, "ap1", 33, "{\"op\":\"b\"}",
	    11, &id2), 0);
	assert_int_equal(store_outbox_add(f->s, "ap2", 33, "{}", 12, NULL),
	    0);
	assert_int_equal(store_outbox_foreach(f->s, "ap1", outbox_cb, &last),
	    0);
	assert_int_equal(last, id2);
	assert_int_equal(store_outbox_retry(f->s, id1, 99), 0);
	assert_int_equal(store_outbox_delete(f->s, id1), 0);
	assert_int_equal(store_outbox_retry(f->s, id1, 99), RSG_ERR_NOT_FOUND);
}

static int
item_cb(const struct store_evidence_item *it, void *arg)
{
	(*(int *)arg)++;
	assert_int_equal(it->size, 12345);
	return 0;
}

static int
purge_cb(const struct store_purge_job *j, void *arg)
{
	(*(int *)arg)++;
	assert_string_equal(j->ticket, "T-1");
	return 0;
}

static int
doc_cb(const char *t, const char *k, const char *b, int64_t at, void *arg)
{
	(void)t;
	(void)b;
	(void)at;
	assert_string_equal(k, "rsgate.deletion-certificate.v1");
	(*(int *)arg)++;
	return 0;
}

static void
test_evidence_purge_documents(void **state)
{
	struct fix *f = *state;
	static const uint8_t wrapped[60] = { 1, 2, 3 };
	struct store_evidence_item it = { "T-1", "syslog.txt",
	    "/vault/T-1/1.enc", 12345, "ab12", 5 };
	struct rsg_buf *b = NULL;
	char *body = NULL;
	int n = 0;

	assert_int_equal(store_evidence_key_put(f->s, "T-1", wrapped,
	    sizeof(wrapped)), 0);
	assert_int_equal(store_evidence_key_put(f->s, "T-1", wrapped,
	    sizeof(wrapped)), RSG_ERR_EXISTS);
	assert_int_equal(store_evidence_key_get(f->s, "T-1", &b), 0);
	assert_int_equal(buf_len(b), sizeof(wrapped));
	assert_memory_equal(buf_ptr(b), wrapped, sizeof(wrapped));
	buf_free(b);
	assert_int_equal(store_evidence_key_delete(f->s, "T-1"), 0);
	assert_int_equal(store_evidence_key_get(f->s, "T-1", &b),
	    RSG_ERR_NOT_FOUND);
	assert_int_equal(store_evidence_item_add(f->s, &it), 0);
	assert_int_equal(store_evidence_item_add(f->s, &it), RSG_ERR_EXISTS);
	assert_int_equal(store_evidence_item_foreach(f->s, "T-1", item_cb,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_evidence_item_delete_all(f->s, "T-1"), 0);
	n = 0;
	assert_int_equal(store_evidence_item_foreach(f->s, "T-1", item_cb,
	    &n), 0);
	assert_int_equal(n, 0);
	/* purge jobs: due only at their time; a failure moves the time */
	assert_int_equal(store_purge_put(f->s, "T-1", 100), 0);
	assert_int_equal(store_purge_foreach_due(f->s, 99, purge_cb, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_purge_foreach_due(f->s, 100, purge_cb, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_purge_failed(f->s, "T-1", "EBUSY", 200), 0);
	n = 0;
	assert_int_equal(store_purge_foreach_due(f->s, 150, purge_cb, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_purge_done(f->s, "T-1"), 0);
	assert_int_equal(store_purge_foreach_due(f->s, 1000, purge_cb, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_purge_failed(f->s, "T-1", "x", 1),
	    RSG_ERR_NOT_FOUND);
	/* documents */
	assert_int_equal(store_document_put(f->s, "T-1",
	    "rsgate.deletion-certificate.v1", "{\"a\":1}", 7), 0);
	assert_int_equal(store_document_get(f->s, "T-1",
	    "rsgate.deletion-certificate.v1", &body), 0);
	assert_string_equal(body, "{\"a\":1}");
	free(body);
	assert_int_equal(store_document_get(f->s, "T-1",
	    "rsgate.work-report.v1", &body), RSG_ERR_NOT_FOUND);
	assert_int_equal(store_document_foreach(f->s, NULL, doc_cb, &n), 0);
	assert_int_equal(n, 1);
}

/*
 * R6/R8: the hub's handled-alert ids (de-duplication of resent ALERTs)
 * live in alert_seen (schema 3) and are pruned by time, not kept forever.
 */
static void
test_alert_seen(void **state)
{
	struct fix *f = *state;
	char *t = NULL;
	size_t n = 99;

	assert_int_equal(store_alert_seen_get(f->s, "k1", &t),
	    RSG_ERR_NOT_FOUND);
	assert_null(t);
	assert_int_equal(store_alert_seen_put(f->s, "k1", "T-1", 1000), 0);
	assert_int_equal(store_alert_seen_put(f->s, "k2", "T-2", 5000), 0);
	assert_int_equal(store_alert_seen_get(f->s, "k1", &t), 0);
	assert_string_equal(t, "T-1");
	free(t);
	t = NULL;
	assert_int_equal(store_alert_seen_prune(f->s, 1000, &n), 0);
	assert_int_equal(n, 0);			/* strictly older only */
	assert_int_equal(store_alert_seen_prune(f->s, 4999, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_alert_seen_get(f->s, "k1", &t),
	    RSG_ERR_NOT_FOUND);
	assert_int_equal(store_alert_seen_get(f->s, "k2", &t), 0);
	assert_string_equal(t, "T-2");
	free(t);
	assert_int_equal(store_alert_seen_put(f->s, NULL, "T", 1),
	    RSG_ERR_INVALID_ARG);
	assert_int_equal(store_alert_seen_get(f->s, "k2", NULL),
	    RSG_ERR_INVALID_ARG);
}

/* A schema-2 store with alert.seen.* meta keys: moved by the migration. */
static void
test_alert_seen_migration(void **state)
{
	struct fix *f = *state;
	struct rsg_buf *b;
	sqlite3 *db;
	char *t = NULL;
	const char *path = tmppath(f->dir, "s.db");

	assert_int_equal(store_meta_set(f->s, "other", "x", 1), 0);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE alert_seen;"
	    "INSERT INTO meta (key, value) VALUES"
	    " ('alert.seen.0011223344556677.a-1', CAST('T-20260101-0001' AS"
	    " BLOB));"
	    "PRAGMA user_version = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(path, 0, &f->s), 0);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(store_alert_seen_get(f->s,
	    "0011223344556677.a-1", &t), 0);
	assert_string_equal(t, "T-20260101-0001");
	free(t);
	assert_non_null(b = buf_new(64));
	assert_int_equal(store_meta_get(f->s,
	    "alert.seen.0011223344556677.a-1", b), RSG_ERR_NOT_FOUND);
	assert_int_equal(store_meta_get(f->s, "other", b), 0);
	buf_free(b);
}

static int
purge_count_cb(const struct store_purge_job *j, void *arg)
{
	(void)j;
	(*(int *)arg)++;
	return 0;
}

/* R38, R44: a transition is stored with its history; an end state queues
 * the purge only where asked (the hub); nothing changes on failure. */
static void
test_ticket_store_step(void **state)
{
	struct fix *f = *state;
	struct store_ticket t, g;
	struct ticket_guard gd;
	int n = 0;

	memset(&t, 0, sizeof(t));
	memset(&gd, 0, sizeof(gd));
	assert_non_null(t.id = strdup("T-7"));
	assert_non_null(t.state = strdup("requested"));
	gd.actor = TACT_ENGINEER;
	gd.now_ms = 5000;
	assert_int_equal(ticket_store_step(f->s, &t, TEV_CLOSE,
	    TICKET_REQUESTED, TICKET_CLOSED, &gd, "eng", "done", 0, NULL, NULL), 0);
	assert_string_equal(t.state, "closed");
	assert_int_equal(t.created_ms, 5000);
	assert_int_equal(t.updated_ms, 5000);
	assert_int_equal(store_ticket_get(f->s, "T-7", &g), 0);
	assert_string_equal(g.state, "closed");
	store_ticket_clear(&g);
	assert_int_equal(store_ticket_history_foreach(f->s, "T-7", hist_cb,
	    &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_purge_foreach_due(f->s, 10000, purge_count_cb,
	    &n), 0);
	assert_int_equal(n, 0);			/* not asked to */
	gd.actor = TACT_HUB;
	gd.now_ms = 6000;
	assert_int_equal(ticket_store_step(f->s, &t, TEV_CLOSE,
	    TICKET_CLOSED, TICKET_CLOSED, &gd, "hub", NULL, 1, NULL, NULL), 0);
	assert_int_equal(store_purge_foreach_due(f->s, 10000, purge_count_cb,
	    &n), 0);
	assert_int_equal(n, 1);			/* the hub's end state */
	assert_int_equal(t.created_ms, 5000);	/* kept */
	/* a failing store (an id too long for a row) leaves t as it was */
	free(t.id);
	assert_non_null(t.id = calloc(1, STORE_TICKET_ID_MAX + 2));
	memset(t.id, 'x', STORE_TICKET_ID_MAX + 1);
	gd.now_ms = 7000;
	assert_int_not_equal(ticket_store_step(f->s, &t, TEV_PURGE,
	    TICKET_CLOSED, TICKET_PURGED, &gd, "hub", NULL, 1, NULL, NULL), 0);
	assert_string_equal(t.state, "closed");
	assert_int_equal(t.updated_ms, 6000);
	store_ticket_clear(&t);
}

/* What a step's hook stores commits with the step, or not at all. */
struct hook {
	struct store *s;
	int result;
};

static int
hook_cb(void *arg)
{
	struct hook *h = arg;
	int r;

	if ((r = store_outbox_add(h->s, "hub", 33, "{\"op\":\"deny\"}", 1,
	    NULL)) != 0)
		return r;
	return h->result;
}

static int
outbox_count_cb(const struct store_outbox_row *row, void *arg)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

/* The AP's DECISION is stored with the transition it reports, or not. */
static void
test_ticket_store_step_hook(void **state)
{
	struct fix *f = *state;
	struct store_ticket t, g;
	struct ticket_guard gd;
	struct hook h = { f->s, RSG_ERR_IO };
	int n = 0;

	memset(&t, 0, sizeof(t));
	memset(&gd, 0, sizeof(gd));
	assert_non_null(t.id = strdup("T-8"));
	assert_non_null(t.state = strdup("requested"));
	gd.actor = TACT_HOSPITAL;
	gd.now_ms = 5000;
	/* The hook fails after storing its row: neither survives. */
	assert_int_equal(ticket_store_step(f->s, &t, TEV_DENY,
	    TICKET_REQUESTED, TICKET_DENIED, &gd, "root", "no", 0, hook_cb,
	    &h), RSG_ERR_IO);
	assert_string_equal(t.state, "requested");
	assert_int_equal(store_ticket_get(f->s, "T-8", &g), RSG_ERR_NOT_FOUND);
	assert_int_equal(store_outbox_foreach(f->s, "hub", outbox_count_cb,
	    &n), 0);
	assert_int_equal(n, 0);
	/* It succeeds: the transition and the message, together. */
	h.result = 0;
	assert_int_equal(ticket_store_step(f->s, &t, TEV_DENY,
	    TICKET_REQUESTED, TICKET_DENIED, &gd, "root", "no", 0, hook_cb,
	    &h), 0);
	assert_int_equal(store_ticket_get(f->s, "T-8", &g), 0);
	assert_string_equal(g.state, "denied");
	store_ticket_clear(&g);
	assert_int_equal(store_outbox_foreach(f->s, "hub", outbox_count_cb,
	    &n), 0);
	assert_int_equal(n, 1);
	store_ticket_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ticket_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history_outbox, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_evidence_purge_documents,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ticket_store_step_hook,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ticket_store_step, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alert_seen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alert_seen_migration,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
