/*
 * The service workflow (the guideline's failure-response flow): ticket
 * states and the transition table with a guard per transition, the fixed
 * set of capabilities an engineer can ask for, and signed documents (the
 * AP's grant, the hub's deletion certificate and work report).
 *
 *   (none) -notify-> notified -request-> requested -approve-> approved
 *   requested -deny-> denied      approved -activate-> active
 *   approved|active -close-> closed   requested|approved|active -expire->
 *   expired   requested|approved|active -terminate-> terminated
 *   closed|expired|terminated|denied -purge-> purged
 *
 * Pure logic: no I/O, no clock (the caller passes "now"), no SQL.
 */
#ifndef RSGATE_WORKFLOW_H
#define RSGATE_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/audit.h"
#include "rsgate/util.h"

/* ---- ticket states and transitions ---------------------------------------- */

enum ticket_state {
	TICKET_NONE = 0,	/* not created yet: only as "from" */
	TICKET_NOTIFIED,	/* a device alert opened it */
	TICKET_REQUESTED,	/* an engineer asked for access */
	TICKET_APPROVED,	/* the hospital (or its policy) granted it */
	TICKET_DENIED,		/* the hospital refused it */
	TICKET_ACTIVE,		/* a stream was opened under the grant */
	TICKET_CLOSED,		/* the engineer (or hub) closed it */
	TICKET_EXPIRED,		/* the window ended */
	TICKET_TERMINATED,	/* kill switch, timeout or revocation */
	TICKET_PURGED,		/* evidence destroyed, certificate issued */
};
#define TICKET_STATE_MAX TICKET_PURGED

enum ticket_event {
	TEV_NOTIFY = 1,		/* a device alert (opens or updates) */
	TEV_REQUEST,		/* an engineer requests access */
	TEV_APPROVE,		/* the hospital approves (may narrow) */
	TEV_DENY,		/* the hospital denies */
	TEV_ACTIVATE,		/* a stream opens under the grant */
	TEV_CLOSE,		/* the engineer or the hub closes */
	TEV_EXPIRE,		/* the window or maximum duration ended */
	TEV_TERMINATE,		/* kill switch, revocation, idle timeout */
	TEV_PURGE,		/* the evidence was destroyed */
};
#define TEV_MAX TEV_PURGE

/* Who causes an event; each transition admits some of them. */
enum ticket_actor {
	TACT_DEVICE = 0x01,	/* a device alert relayed by the AP */
	TACT_ENGINEER = 0x02,	/* a vendor engineer (hub API) */
	TACT_HOSPITAL = 0x04,	/* an HCF administrator at the AP */
	TACT_POLICY = 0x08,	/* the AP's standing policy or emergency rule */
	TACT_HUB = 0x10,	/* the hub itself (timers, revocation, purge) */
	TACT_AP = 0x20,		/* the AP itself (timers, kill switch) */
};

/* The facts a guard looks at; fields not relevant to an event are ignored. */
struct ticket_guard {
	enum ticket_actor actor;
	int64_t now_ms;
	int64_t not_after_ms;	/* end of the granted window (activate, expire) */
	int has_reason;		/* request, deny: a non-empty reason */
	int has_ticket_ref;	/* request: a ticket reference was given */
	int narrows;		/* approve: capabilities and duration within
				   the request (never wider) */
	int phi_purpose_ok;	/* approve: PHI capabilities name a purpose */
	int grants_phi;		/* approve: the grant includes a PHI
				   capability (a person must approve, R29) */
	int evidence_destroyed;	/* purge: keys wiped and files removed */
};

const char *ticket_state_name(enum ticket_state s);	/* "approved"; NULL */
int ticket_state_parse(const char *name, enum ticket_state *out) RSG_WUR;
/*
 * The state of a stored ticket row: NULL or "" (a row being created) is
 * TICKET_NONE; any other name that is not a state is RSG_ERR_STATE, so a
 * damaged row is refused every transition instead of being taken for a new
 * ticket (fail closed).
 */
int ticket_state_stored(const char *name, enum ticket_state *out) RSG_WUR;
const char *ticket_event_name(enum ticket_event ev);	/* "approve"; NULL */
int ticket_event_parse(const char *name, enum ticket_event *out) RSG_WUR;
const char *ticket_actor_name(enum ticket_actor a);	/* "hospital"; NULL */

/* The audit event that records a transition by ev (both daemons). */
enum audit_event ticket_event_audit(enum ticket_event ev);

/* Whether s is an end state (denied, closed, expired, terminated, purged). */
int ticket_state_is_final(enum ticket_state s);
/* Whether streams may run in s (approved, active). */
int ticket_state_allows_streams(enum ticket_state s);

/*
 * The transition table. On success *to is the next state and 0 is
 * returned. RSG_ERR_STATE when ev is not allowed from "from" at all
 * (*why: "illegal transition: approve from denied"), RSG_ERR_PERM when the
 * actor may not cause it or a guard fails (*why names the guard, e.g. "a
 * reason is required", "the approval widens the request"). why may be
 * NULL; the string is static. Fails closed on unknown values.
 */
int ticket_transition(enum ticket_state from, enum ticket_event ev,
    const struct ticket_guard *g, enum ticket_state *to, const char **why)
    RSG_WUR;

struct store_ticket;
/*
 * Whether the ticket as a daemon stored it lets its engineer use every
 * capability in caps on device at now_ms: state approved or active, caps
 * within caps_granted, device the ticket's, now inside [not_before_ms,
 * not_after_ms). 0 only on that explicit allow; otherwise RSG_ERR_PERM
 * with *why (static, may be NULL) saying which rule refused (fail closed).
 * The one check both daemons make before acting on a grant.
 */
int ticket_allows(const struct store_ticket *t, const char *device,
    unsigned caps, int64_t now_ms, const char **why) RSG_WUR;

struct store;
/*
 * Record a transition the table allowed (from -> to by ev under g): t's
 * state and times are updated and its row and history step (actor from g,
 * who, detail) stored in one transaction, together with a purge job for
 * an end state other than purged when queue_purge is set (the hub's
 * evidence, R44), and whatever in_txn (if not NULL) stores with arg (the
 * AP's message to the hub: outbox_stage). On any error t is left as it
 * was and nothing is stored. Both daemons keep their tickets through this
 * one function.
 */
int ticket_store_step(struct store *s, struct store_ticket *t,
    enum ticket_event ev, enum ticket_state from, enum ticket_state to,
    const struct ticket_guard *g, const char *who, const char *detail,
    int queue_purge, int (*in_txn)(void *arg), void *arg) RSG_WUR;

/* ---- capabilities ----------------------------------------------------------- */

enum capability {
	CAP_REMOTE_SHELL = 0x01,	/* "remote-shell" */
	CAP_REMOTE_DESKTOP = 0x02,	/* "remote-desktop" */
	CAP_LOG_COLLECT = 0x04,		/* "log-collect": files into the vault */
	CAP_FILE_UPLOAD = 0x08,		/* "file-upload": files to the device */
	CAP_SOFTWARE_UPDATE = 0x10,	/* "software-update" */
	CAP_VIEW_PHI = 0x20,		/* "view-phi": needs a purpose (R29) */
};
#define CAP_ALL 0x3fu
/* Capabilities whose approval must name a purpose (R29). */
#define CAP_PHI_MASK (CAP_VIEW_PHI)

const char *capability_name(enum capability c);		/* NULL if unknown */
/* One name to its bit; RSG_ERR_NOT_FOUND for an unknown name. */
int capability_parse(const char *name, unsigned *out) RSG_WUR;
/*
 * A comma-separated list ("remote-shell,log-collect") to a mask: unknown
 * names, empty items and an empty list are RSG_ERR_FORMAT.
 */
int capabilities_parse(const char *list, unsigned *out) RSG_WUR;
/* A mask to "remote-shell,log-collect" (table order); RSG_ERR_LIMIT. */
int capabilities_format(unsigned mask, char *out, size_t outlen) RSG_WUR;

/* ---- signed documents --------------------------------------------------------- */

/*
 * A signed document is a JSON envelope
 *   {"kind":"rsgate.grant.v1","payload":"<JSON text>","alg":"ed25519",
 *    "cert":"<signer certificate, PEM>","sig":"<base64>"}
 * where payload is the compact, key-sorted serialisation of a JSON object
 * and sig signs "rsgate-signed-document\0" kind "\0" payload with the
 * signer's key (Ed25519, or ECDSA P-256 with SHA-256). The verifier checks
 * the signature with the embedded certificate and that certificate against
 * its own trust anchors, CRL and the expected role, so a document can be
 * checked by anyone holding the CA, long after it was sent.
 */
#define SIGNED_DOC_MAX (1024u * 1024)	/* an envelope, bytes */

#define SIGNED_KIND_GRANT "rsgate.grant.v1"
#define SIGNED_KIND_DELETION "rsgate.deletion-certificate.v1"
#define SIGNED_KIND_REPORT "rsgate.work-report.v1"

struct json_t;
struct evp_pkey_st;
struct x509_st;
struct pki_trust;

/*
 * Sign the JSON object payload (not consumed) as a document of kind with
 * key, embedding cert. *out: a new buffer holding the envelope (JSON text,
 * no NUL). RSG_ERR_INVALID_ARG (payload not an object, key/cert mismatch),
 * RSG_ERR_CRYPTO, RSG_ERR_LIMIT, RSG_ERR_NOMEM.
 */
int signed_doc_create(const char *kind, const struct json_t *payload,
    struct evp_pkey_st *key, const struct x509_st *cert,
    struct rsg_buf **out) RSG_WUR;

/*
 * Verify an envelope of len bytes: well-formed (bounded by
 * SIGNED_DOC_MAX, no duplicate keys), of the expected kind, signature good,
 * the signer certificate valid at now (seconds) under trust with one of
 * roles. On success *payload is the decoded payload (caller json_decref)
 * and signer_cn (may be NULL) the signer's subject CN; signer_fpr (may be
 * NULL, PKI_FINGERPRINT_HEX bytes) its SHA-256 fingerprint.
 * RSG_ERR_FORMAT (malformed), RSG_ERR_VERIFY (kind, signature or altered
 * payload), RSG_ERR_CERT_* (signer not trusted), RSG_ERR_NOMEM. err (may be
 * NULL) gets a one-line reason.
 */
int signed_doc_verify(const void *doc, size_t len, const char *kind,
    const struct pki_trust *trust, unsigned roles, int64_t now,
    struct json_t **payload, char *signer_cn, size_t cnlen,
    char *signer_fpr, char *err, size_t errlen) RSG_WUR;

#endif /* RSGATE_WORKFLOW_H */
