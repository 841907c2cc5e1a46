/*
 * store: rsgate's persistent state in one SQLite database per daemon. This
 * is the only module that contains SQL: everyone else calls the functions
 * below, which use prepared statements with bound parameters only.
 *
 * The database runs in WAL mode with synchronous=FULL, so store_commit()
 * returns only after the transaction is on disk (fsync'd). Tables are
 * STRICT. The schema is a numbered list of migrations tracked in
 * PRAGMA user_version; a database written by a newer rsgate (a version this
 * code does not know) is refused with RSG_ERR_VERSION, a database that is
 * not an rsgate store (foreign application_id) with RSG_ERR_FORMAT.
 *
 * Row functions are named store_<table>_<verb>: store_meta_*, store_audit_*
 * (the audit log, used by lib/audit), later store_ticket_* and so on.
 */
#ifndef RSGATE_STORE_H
#define RSGATE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

/* The schema version this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 3
/* PRAGMA application_id of an rsgate store: "RSGT". */
#define STORE_APPLICATION_ID 0x52534754
/* How long to wait for another process's write lock, in ms. */
#define STORE_BUSY_TIMEOUT_MS 5000
/* Longest meta key, and largest meta value. */
#define STORE_META_KEY_MAX 128
#define STORE_META_VALUE_MAX (64 * 1024)

#define STORE_CREATE 0x1	/* create the file if it does not exist */
#define STORE_RDONLY 0x2	/* open read-only (no migration is run) */

struct store;

/*
 * Open (and with STORE_CREATE, create) the database at path, and bring its
 * schema up to STORE_SCHEMA_VERSION in one transaction. Errors:
 * RSG_ERR_NOT_FOUND (no file and no STORE_CREATE), RSG_ERR_VERSION (schema
 * newer than this code, or older and STORE_RDONLY), RSG_ERR_FORMAT (not an
 * rsgate database), RSG_ERR_DB. The caller frees *out with store_close().
 */
int store_open(const char *path, unsigned flags, struct store **out) RSG_WUR;
/* Close the database (finalising every statement). NULL is fine. */
void store_close(struct store *s);
/* The schema version of the open database. */
int store_schema_version(struct store *s);

/*
 * Transactions. store_begin takes the write lock at once (BEGIN IMMEDIATE),
 * waiting up to STORE_BUSY_TIMEOUT_MS (then RSG_ERR_BUSY). store_commit
 * makes the changes durable before it returns. store_rollback may be called
 * after a failed commit; it is a no-op outside a transaction.
 */
int store_begin(struct store *s) RSG_WUR;
int store_commit(struct store *s) RSG_WUR;
void store_rollback(struct store *s);
/*
 * A transaction whose store_commit does not wait for the disk: it is
 * committed (other connections see it, a crash of the process keeps it)
 * but may be lost in a power failure until the next store_commit of an
 * ordinary transaction or store_sync, which make it durable with
 * everything committed before them (the WAL is one file, flushed as a
 * whole). Its end restores synchronous=FULL; if that fails, the next
 * store_begin retries it and fails rather than lose durability.
 */
int store_begin_nosync(struct store *s) RSG_WUR;
/* Make every committed transaction durable (fsync the WAL) now. */
int store_sync(struct store *s) RSG_WUR;

/*
 * A small key/value table for per-database facts (the audit log's id and
 * public key, ...). store_meta_get appends the value to out; a missing key
 * is RSG_ERR_NOT_FOUND. store_meta_set inserts or replaces.
 */
int store_meta_get(struct store *s, const char *key, struct rsg_buf *out) RSG_WUR;
int store_meta_set(struct store *s, const char *key, const void *val,
    size_t len) RSG_WUR;

/* ---- audit log rows (lib/audit owns their meaning) --------------------- */

#define STORE_HASH_LEN 32

/*
 * The text columns of an audit record row, in this order. They duplicate
 * fields of the canonical encoding so that people and queries can use SQL;
 * lib/audit checks them against the encoding when it verifies the log.
 */
enum store_audit_col {
	STORE_AUDIT_EVENT,
	STORE_AUDIT_OUTCOME,
	STORE_AUDIT_HCF,
	STORE_AUDIT_VENDOR,
	STORE_AUDIT_USER,
	STORE_AUDIT_ROLE,
	STORE_AUDIT_SESSION,
	STORE_AUDIT_DEVICE,
	STORE_AUDIT_SITE,
	STORE_AUDIT_APPROVAL,
	STORE_AUDIT_CAPABILITY,
	STORE_AUDIT_OBJECT,
	STORE_AUDIT_SOURCE,
	STORE_AUDIT_REASON,
	STORE_AUDIT_NTEXT
};

/*
 * One audit record row. On insert every pointer is the caller's; text[i]
 * is text_len[i] bytes (not NUL-terminated). Rows handed to a
 * store_audit_foreach callback point into SQLite's memory and are valid
 * only during the call.
 */
struct store_audit_row {
	uint64_t seq;
	int64_t time_ms;
	const char *text[STORE_AUDIT_NTEXT];
	size_t text_len[STORE_AUDIT_NTEXT];
	const uint8_t *prev_hash;	/* STORE_HASH_LEN bytes */
	const uint8_t *hash;		/* STORE_HASH_LEN bytes */
	size_t prev_hash_len, hash_len;	/* as stored (checked by the reader) */
	const uint8_t *enc;		/* the canonical encoding */
	size_t enc_len;
};

/* One signed checkpoint row; same lifetime rules as store_audit_row. */
struct store_audit_checkpoint_row {
	uint64_t n;			/* checkpoint number, from 1 */
	uint64_t last_seq;		/* last record it covers */
	int64_t time_ms;
	const uint8_t *last_hash, *prev_hash, *hash;
	size_t last_hash_len, prev_hash_len, hash_len;
	const uint8_t *enc;		/* the signed encoding */
	size_t enc_len;
	const uint8_t *sig;
	size_t sig_len;
};

/* Called for each row in order; a non-zero return stops and is returned. */
typedef int (*store_audit_record_fn)(const struct store_audit_row *row,
    void *arg);
typedef int (*store_audit_checkpoint_fn)(
    const struct store_audit_checkpoint_row *row, void *arg);

/* Insert one record row; RSG_ERR_EXISTS if its seq is taken. */
int store_audit_insert(struct store *s, const struct store_audit_row *r) RSG_WUR;
/* Insert one checkpoint row; RSG_ERR_EXISTS if its number is taken. */
int store_audit_checkpoint_insert(struct store *s,
    const struct store_audit_checkpoint_row *r) RSG_WUR;
/* Every record with seq >= from, in ascending seq order. */
int store_audit_foreach(struct store *s, uint64_t from,
    store_audit_record_fn fn, void *arg) RSG_WUR;
/* Every checkpoint in ascending number order. */
int store_audit_checkpoint_foreach(struct store *s,
    store_audit_checkpoint_fn fn, void *arg) RSG_WUR;
/*
 * The last record's seq and hash column (copied to hash, STORE_HASH_LEN
 * bytes); RSG_ERR_NOT_FOUND when there are no records.
 */
int store_audit_last(struct store *s, uint64_t *seq, uint8_t *hash) RSG_WUR;
/*
 * The last checkpoint's number, covered seq, time and hash (copied);
 * RSG_ERR_NOT_FOUND when there is none.
 */
int store_audit_checkpoint_last(struct store *s, uint64_t *n,
    uint64_t *last_seq, int64_t *time_ms, uint8_t *hash) RSG_WUR;

/* ---- the service workflow (schema 2) ----------------------------------------
 *
 * Strings in rows read back are new allocations owned by the row; clear a
 * row with its _clear function. Callers group writes in store_begin/commit
 * where several must happen together. Implementations: store-ticket.c
 * (ticket, ticket_history, outbox), store-evidence.c (evidence_key,
 * evidence_item, purge_job, document).
 */

/* One ticket as a daemon sees it (hub: all; AP: those touching its devices). */
struct store_ticket {
	char *id;		/* 1..STORE_TICKET_ID_MAX chars */
	char *state;		/* ticket_state_name() */
	char *ap, *device;
	char *engineer;		/* requesting engineer's CN ("" before) */
	uint32_t caps_requested, caps_granted;	/* enum capability masks */
	int64_t duration_s;	/* requested (the grant is the window) */
	char *reason, *purpose, *approver;
	int emergency;		/* granted by the emergency rule (R13) */
	int64_t not_before_ms, not_after_ms;	/* the granted window */
	char *grant_doc;	/* AP-signed grant envelope, or NULL */
	char *alert;		/* the last filtered alert (JSON), or NULL */
	int64_t created_ms, updated_ms;
};
#define STORE_TICKET_ID_MAX 64

void store_ticket_clear(struct store_ticket *t);
/* RSG_ERR_NOT_FOUND if there is no such ticket. */
int store_ticket_get(struct store *s, const char *id, struct store_ticket *out)
    RSG_WUR;
/* Insert, or replace the whole row of the same id (NULL strings: ""). */
int store_ticket_put(struct store *s, const struct store_ticket *t) RSG_WUR;
typedef int (*store_ticket_fn)(const struct store_ticket *t, void *arg);
/* Tickets in state (NULL: all), oldest first; non-zero from fn stops. */
int store_ticket_foreach(struct store *s, const char *state,
    store_ticket_fn fn, void *arg) RSG_WUR;

/* A ticket's history: one row per transition, seq 1, 2, ... per ticket. */
struct store_ticket_step {
	const char *ticket;
	int64_t seq, time_ms;
	const char *event, *actor, *who, *from_state, *to_state, *detail;
};
int store_ticket_history_add(struct store *s,
    const struct store_ticket_step *st) RSG_WUR;	/* seq is assigned */
typedef int (*store_ticket_step_fn)(const struct store_ticket_step *st,
    void *arg);
int store_ticket_history_foreach(struct store *s, const char *ticket,
    store_ticket_step_fn fn, void *arg) RSG_WUR;

/* The outbox: control messages kept until the peer acknowledges them. */
struct store_outbox_row {
	int64_t id;
	const char *peer;	/* the AP's name (at the hub), "hub" (at an AP) */
	uint16_t type;		/* enum ctl_type */
	const char *body;	/* the JSON body */
	int64_t created_ms;
	uint32_t attempts;
	int64_t next_ms;	/* not before this time */
};
int store_outbox_add(struct store *s, const char *peer, uint16_t type,
    const char *body, int64_t now_ms, int64_t *id) RSG_WUR;
typedef int (*store_outbox_fn)(const struct store_outbox_row *row, void *arg);
/* The peer's messages in id order (all of them, due or not). */
int store_outbox_foreach(struct store *s, const char *peer,
    store_outbox_fn fn, void *arg) RSG_WUR;
int store_outbox_delete(struct store *s, int64_t id) RSG_WUR;
/* attempts + 1, next_ms as given. RSG_ERR_NOT_FOUND for an unknown id. */
int store_outbox_retry(struct store *s, int64_t id, int64_t next_ms) RSG_WUR;

/* The evidence vault's index (hub). */
struct store_evidence_item {
	const char *ticket, *name;
	const char *path;	/* the encrypted file */
	uint64_t size;		/* plaintext bytes */
	const char *sha256;	/* of the plaintext, lower-case hex */
	int64_t created_ms;
};
/* The ticket key wrapped by the master key; RSG_ERR_EXISTS if present. */
int store_evidence_key_put(struct store *s, const char *ticket,
    const uint8_t *wrapped, size_t len) RSG_WUR;
/* *out: a new buffer with the wrapped key; RSG_ERR_NOT_FOUND. */
int store_evidence_key_get(struct store *s, const char *ticket,
    struct rsg_buf **out) RSG_WUR;
/* Delete the wrapped key (secure_delete overwrites it on disk). */
int store_evidence_key_delete(struct store *s, const char *ticket) RSG_WUR;
int store_evidence_item_add(struct store *s,
    const struct store_evidence_item *it) RSG_WUR;
typedef int (*store_evidence_fn)(const struct store_evidence_item *it,
    void *arg);
int store_evidence_item_foreach(struct store *s, const char *ticket,
    store_evidence_fn fn, void *arg) RSG_WUR;
int store_evidence_item_delete_all(struct store *s, const char *ticket)
    RSG_WUR;
/*
 * Checkpoint the write-ahead log into the database and truncate it, so
 * that deleted rows (overwritten by secure_delete in the database) leave
 * no older copy of their page in the log. RSG_ERR_BUSY if a reader holds
 * the log; call outside a transaction.
 */
int store_wal_truncate(struct store *s) RSG_WUR;

/* Purge jobs (hub): a ticket whose evidence must be destroyed at due_ms. */
struct store_purge_job {
	const char *ticket;
	int64_t due_ms;
	uint32_t attempts;
	const char *last_error;
};
int store_purge_put(struct store *s, const char *ticket, int64_t due_ms)
    RSG_WUR;
typedef int (*store_purge_fn)(const struct store_purge_job *j, void *arg);
/* Jobs with due_ms <= now_ms, oldest first. */
int store_purge_foreach_due(struct store *s, int64_t now_ms,
    store_purge_fn fn, void *arg) RSG_WUR;
int store_purge_failed(struct store *s, const char *ticket,
    const char *error, int64_t next_due_ms) RSG_WUR;
int store_purge_done(struct store *s, const char *ticket) RSG_WUR;

/* Signed documents kept per ticket (both daemons): kind is SIGNED_KIND_*. */
int store_document_put(struct store *s, const char *ticket, const char *kind,
    const char *body, int64_t now_ms) RSG_WUR;
/* *body: a new NUL-terminated copy; RSG_ERR_NOT_FOUND. */
int store_document_get(struct store *s, const char *ticket, const char *kind,
    char **body) RSG_WUR;
typedef int (*store_document_fn)(const char *ticket, const char *kind,
    const char *body, int64_t created_ms, void *arg);
/* All documents of a kind (NULL: all), oldest first. */
int store_document_foreach(struct store *s, const char *kind,
    store_document_fn fn, void *arg) RSG_WUR;

/*
 * Alerts already handled (schema 3), for de-duplication at the hub: key is
 * the caller's (access point and alert id), the value the ticket it went
 * to. Rows older than the de-duplication window are pruned by
 * store_alert_seen_prune (*n: how many went; may be NULL).
 */
int store_alert_seen_get(struct store *s, const char *key, char **ticket)
    RSG_WUR;
int store_alert_seen_put(struct store *s, const char *key, const char *ticket,
    int64_t now_ms) RSG_WUR;
int store_alert_seen_prune(struct store *s, int64_t before_ms, size_t *n)
    RSG_WUR;

#endif /* RSGATE_STORE_H */
