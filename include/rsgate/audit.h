/*
 * audit: the tamper-evident audit log (R33, R34, R36, R38, R40).
 *
 * Each record is a typed event with the R34 fields. It is stored in its
 * canonical binary encoding, which includes the SHA-256 of the previous
 * record's encoding, so the records form a hash chain; the fields are also
 * stored as columns for people and SQL queries. Every N records, every T
 * seconds and when the log is closed the daemon signs a checkpoint with its
 * own Ed25519 audit key: the log id, the last covered record and its hash,
 * the time, and the previous checkpoint's hash (checkpoints form a chain of
 * their own). audit_verify() checks all of it and names the first bad
 * record. Byte-level formats: docs/AUDIT-FORMAT.md.
 *
 * A record is durable (committed and fsync'd) before audit_append()
 * returns: log first, then act.
 */
#ifndef RSGATE_AUDIT_H
#define RSGATE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define AUDIT_HASH_LEN 32
#define AUDIT_LOG_ID_LEN 16
#define AUDIT_PUBKEY_LEN 32	/* raw Ed25519 public key */
#define AUDIT_SIG_LEN 64	/* Ed25519 signature */
/* Longest string field of a record, in bytes (UTF-8, no NUL). */
#define AUDIT_STR_MAX 1024
/* Format version byte of a record encoding. */
#define AUDIT_RECORD_VERSION 1
/* Largest record encoding: fixed part plus every string at its maximum. */
#define AUDIT_RECORD_ENC_MAX (1 + 8 + 8 + 2 + 1 + AUDIT_HASH_LEN + \
	AUDIT_NFIELDS * (4 + AUDIT_STR_MAX))

/*
 * Event types (R33). The numbers are part of the encoding and never
 * change; the names are stable too (exports, SQL column, CLI --event).
 */
enum audit_event {
	AUDIT_EV_LOG_OPEN = 1,		/* log.open */
	AUDIT_EV_LOG_CLOSE,		/* log.close */
	AUDIT_EV_TICKET_REQUEST,	/* ticket.request */
	AUDIT_EV_TICKET_APPROVE,	/* ticket.approve */
	AUDIT_EV_TICKET_DENY,		/* ticket.deny */
	AUDIT_EV_TICKET_CANCEL,		/* ticket.cancel */
	AUDIT_EV_AUTH_SUCCESS,		/* auth.success */
	AUDIT_EV_AUTH_FAILURE,		/* auth.failure */
	AUDIT_EV_SESSION_OPEN,		/* session.open */
	AUDIT_EV_SESSION_CLOSE,		/* session.close (reason says why) */
	AUDIT_EV_CAPABILITY_USE,	/* capability.use (or refusal) */
	AUDIT_EV_FILE_TRANSFER,		/* file.transfer */
	AUDIT_EV_CONFIG_CHANGE,		/* config.change */
	AUDIT_EV_SOFTWARE_INSTALL,	/* software.install */
	AUDIT_EV_PHI_ACCESS,		/* phi.access */
	AUDIT_EV_DATA_DELETE,		/* data.delete */
	AUDIT_EV_REPORT_SUBMIT,		/* report.submit */
	AUDIT_EV_REPORT_REVIEW,		/* report.review */
	AUDIT_EV_ADMIN_ACTION,		/* admin.action */
	AUDIT_EV_KEY_CREATE,		/* key.create */
	AUDIT_EV_KEY_ROTATE,		/* key.rotate */
	AUDIT_EV_CERT_ISSUE,		/* cert.issue */
	AUDIT_EV_CERT_REVOKE,		/* cert.revoke */
	AUDIT_EV_CONFIG_BACKUP,		/* config.backup */
	AUDIT_EV_CONFIG_RESTORE,	/* config.restore */
	AUDIT_EV_TIME_DRIFT,		/* time.drift */
	/* the service workflow (issue 4) */
	AUDIT_EV_TICKET_NOTIFY,		/* ticket.notify (opened or updated) */
	AUDIT_EV_TICKET_CLOSE,		/* ticket.close */
	AUDIT_EV_TICKET_EXPIRE,		/* ticket.expire */
	AUDIT_EV_TICKET_TERMINATE,	/* ticket.terminate (kill switch) */
	AUDIT_EV_TICKET_PURGE,		/* ticket.purge */
	AUDIT_EV_TICKET_REFUSE,		/* ticket.refuse (illegal transition) */
	AUDIT_EV_ALERT_RECEIVE,		/* alert.receive */
	AUDIT_EV_ALERT_DROP,		/* alert.drop (fields not forwarded) */
	AUDIT_EV_NOTIFY_SEND,		/* notify.send (mail, webhook) */
	AUDIT_EV_EVIDENCE_COLLECT,	/* evidence.collect */
	AUDIT_EV_EVIDENCE_READ,		/* evidence.read */
	AUDIT_EV_EVIDENCE_DESTROY,	/* evidence.destroy */
	AUDIT_EV_DOCUMENT_ISSUE,	/* document.issue (certificate, report) */
	AUDIT_EV_DOCUMENT_RECEIVE,	/* document.receive */
	AUDIT_EV_ENGINEER_DEACTIVATE,	/* engineer.deactivate */
	AUDIT_EV_MAX = AUDIT_EV_ENGINEER_DEACTIVATE
};

enum audit_outcome {
	AUDIT_OUTCOME_SUCCESS = 1,	/* success */
	AUDIT_OUTCOME_FAILURE,		/* failure */
	AUDIT_OUTCOME_DENIED,		/* denied */
	AUDIT_OUTCOME_MAX = AUDIT_OUTCOME_DENIED
};

/* The string fields of a record (R34), in encoding order. */
enum audit_field {
	AUDIT_F_HCF,		/* hcf: hospital (HCF) id */
	AUDIT_F_VENDOR,		/* vendor: vendor / organisation id */
	AUDIT_F_USER,		/* user: engineer or user id */
	AUDIT_F_ROLE,		/* role */
	AUDIT_F_SESSION,	/* session: session id (same on hub and AP) */
	AUDIT_F_DEVICE,		/* device: device id */
	AUDIT_F_SITE,		/* site: site id */
	AUDIT_F_APPROVAL,	/* approval: approval id */
	AUDIT_F_CAPABILITY,	/* capability: e.g. UPLOAD_FILE */
	AUDIT_F_OBJECT,		/* object: file name/hash, config key, patient id */
	AUDIT_F_SOURCE,		/* source: source address */
	AUDIT_F_REASON,		/* reason: free text detail */
	AUDIT_NFIELDS
};

/*
 * One record. To append, fill event, outcome and any of f[] (NUL-terminated
 * UTF-8 of at most AUDIT_STR_MAX bytes, NULL for empty) and leave time_ms 0
 * for "now"; audit_append() fills seq, time_ms, prev_hash and hash. A
 * decoded record's f[] point into its own strings[] storage.
 */
struct audit_record {
	uint64_t seq;
	int64_t time_ms;		/* UTC, ms since the epoch */
	enum audit_event event;
	enum audit_outcome outcome;
	const char *f[AUDIT_NFIELDS];
	uint8_t prev_hash[AUDIT_HASH_LEN];
	uint8_t hash[AUDIT_HASH_LEN];	/* SHA-256 of the encoding */
	char strings[AUDIT_NFIELDS * (AUDIT_STR_MAX + 1)];
};

/* Checkpoint and durability settings; see audit_opts_default(). */
struct audit_opts {
	unsigned checkpoint_records;	/* checkpoint after this many (100) */
	unsigned checkpoint_secs;	/* or this long after the last (60) */
};

struct audit_log;

/* Stable names: "session.open"; NULL for an unknown value. */
const char *audit_event_name(enum audit_event ev);
const char *audit_outcome_name(enum audit_outcome o);
const char *audit_field_name(enum audit_field f);
/* Parse a name back; RSG_ERR_NOT_FOUND if unknown. */
int audit_event_parse(const char *name, enum audit_event *ev) RSG_WUR;
int audit_outcome_parse(const char *name, enum audit_outcome *o) RSG_WUR;

void audit_opts_default(struct audit_opts *o);

/*
 * Canonical encoding of r (seq, time_ms, event, outcome, f[], prev_hash),
 * appended to out. RSG_ERR_INVALID_ARG for an unknown event/outcome,
 * RSG_ERR_LIMIT for a string over AUDIT_STR_MAX, RSG_ERR_FORMAT for a
 * string that is not valid UTF-8.
 */
int audit_record_encode(const struct audit_record *r, struct rsg_buf *out) RSG_WUR;
/*
 * Strict decoder: version, bounds, known event and outcome, valid strings,
 * no trailing bytes. Fills r (f[] into r->strings) and r->hash; on error
 * r's contents are unspecified (it is scratch space on the hot path).
 * RSG_ERR_FORMAT / RSG_ERR_INCOMPLETE / RSG_ERR_LIMIT / RSG_ERR_VERSION.
 */
int audit_record_decode(const uint8_t *p, size_t len, struct audit_record *r) RSG_WUR;

/*
 * Create a new Ed25519 audit key: the private key at path (PEM PKCS#8,
 * mode 0600, never overwritten: RSG_ERR_EXISTS) and the public key at
 * path.pub (PEM, 0644).
 */
int audit_key_generate(const char *path) RSG_WUR;

/*
 * Create a new log in the database at dbpath (created if missing), signed
 * by the private key in keypath. RSG_ERR_EXISTS if the database already
 * holds a log.
 */
int audit_create(const char *dbpath, const char *keypath,
    const struct audit_opts *o, struct audit_log **out) RSG_WUR;
/*
 * Open an existing log for appending. RSG_ERR_NOT_FOUND if there is none,
 * RSG_ERR_VERIFY if keypath is not the key the log was created with.
 * o may be NULL for the defaults.
 */
int audit_open(const char *dbpath, const char *keypath,
    const struct audit_opts *o, struct audit_log **out) RSG_WUR;
/*
 * Append r durably: assigns seq, time_ms (when 0), prev_hash and hash,
 * writes a checkpoint if one is due, commits with fsync, and only then
 * returns 0. On error nothing was written (r's seq and hashes are then
 * meaningless).
 */
int audit_append(struct audit_log *l, struct audit_record *r) RSG_WUR;
/* As audit_append for n records in one transaction (one fsync). */
int audit_append_batch(struct audit_log *l, struct audit_record *r,
    size_t n) RSG_WUR;
/*
 * As audit_append, but without waiting for the disk: the record is in the
 * chain and survives a crash of the process, and it becomes durable with
 * the next audit_append, audit_append_batch or audit_sync (each flushes
 * every record appended before it). Only for a record whose action does
 * not depend on it reaching the disk: the caller must make it durable
 * before the action it records (the AP: before it connects to a device).
 */
int audit_append_nosync(struct audit_log *l, struct audit_record *r) RSG_WUR;
/* Make every record appended so far durable (one fsync). */
int audit_sync(struct audit_log *l) RSG_WUR;
/* For a daemon timer: write a checkpoint if the time rule says one is due. */
int audit_tick(struct audit_log *l) RSG_WUR;
/* Write a checkpoint now if any record is not yet covered by one. */
int audit_checkpoint(struct audit_log *l) RSG_WUR;
/* The last record's seq (0 for an empty log). */
uint64_t audit_last_seq(const struct audit_log *l);
/* Checkpoint any uncovered records, then free l. NULL is fine. */
int audit_close(struct audit_log *l);
/* Free l without a final checkpoint (after an error). NULL is fine. */
void audit_free(struct audit_log *l);

/* What audit_verify() found. */
struct audit_verify_result {
	int intact;			/* 1 if no tampering was found */
	uint64_t records;		/* records read */
	uint64_t checkpoints;		/* checkpoints read */
	uint64_t last_seq;		/* last record's seq (0: none) */
	uint64_t last_checkpoint_seq;	/* last seq a checkpoint covers */
	uint64_t unproven;		/* records after the last checkpoint */
	uint64_t bad_seq;		/* first bad record (0: none or n/a) */
	uint64_t bad_checkpoint;	/* first bad checkpoint (0: none) */
	int key_explicit;		/* signatures checked against --key */
	char reason[256];		/* why it is not intact, plain English */
};

/*
 * Verify the log in dbpath (opened read-only): every record's encoding,
 * hash, prev-hash chain and sequence, its columns against the encoding,
 * and every checkpoint's chain, signature and covered hash. With pubkey
 * (a PEM public or private key file) the key stored in the log must be
 * that key; without, signatures are checked against the stored key.
 * Returns 0 when the check ran to a verdict (res->intact says which), or
 * a negative RSG_ERR_* when it could not (no such log, I/O, memory).
 */
int audit_verify(const char *dbpath, const char *pubkey,
    struct audit_verify_result *res) RSG_WUR;
/*
 * The one-line summary of a result, e.g. "audit log intact: 12 records,
 * 2 checkpoints, last sequence 12" or "audit log TAMPERED: record 5: ...".
 */
void audit_verify_summary(const struct audit_verify_result *res, char *out,
    size_t outlen);

enum audit_export_format {
	AUDIT_EXPORT_JSONL,	/* one JSON object per line */
	AUDIT_EXPORT_SYSLOG,	/* RFC 5424 lines */
};

/* Receives each exported line (with its newline); non-zero stops. */
typedef int (*audit_line_fn)(const char *line, size_t len, void *arg);

struct audit_export_opts {
	enum audit_export_format format;
	uint64_t since;			/* first seq to export (0 and 1: all) */
	const char *hostname;		/* syslog HOSTNAME (NULL: "-") */
	const char *app_name;		/* syslog APP-NAME (NULL: "rsgate") */
	const char *procid;		/* syslog PROCID (NULL: "-") */
};

/*
 * Export the records of dbpath with seq >= since, one line each, to fn.
 * Exports what is stored; run audit_verify() to know it is genuine.
 */
int audit_export(const char *dbpath, const struct audit_export_opts *o,
    audit_line_fn fn, void *arg) RSG_WUR;
/* Format one decoded record as a line (no newline) appended to out. */
int audit_record_format(const struct audit_record *r,
    const struct audit_export_opts *o, struct rsg_buf *out) RSG_WUR;

#endif /* RSGATE_AUDIT_H */
