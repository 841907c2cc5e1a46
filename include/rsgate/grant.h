/*
 * grant: the access point's signed permission for one ticket (R12, R20):
 * which engineer may reach which device's capabilities, in which window,
 * approved by whom. The AP signs it with its own certificate key
 * (signed_doc_create, kind SIGNED_KIND_GRANT); the hub verifies it before
 * it records an approval, and anyone with the CA can check it later.
 * Payload fields (docs/WORKFLOW.md): ticket, ap, device, engineer,
 * capabilities (names), not_before_ms, not_after_ms, purpose, approver,
 * emergency, issued_ms, idle_timeout_s, sessions_per_device.
 */
#ifndef RSGATE_GRANT_H
#define RSGATE_GRANT_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define GRANT_NAME_MAX 255
#define GRANT_TEXT_MAX 1024	/* purpose */

struct json_t;
struct evp_pkey_st;
struct x509_st;
struct pki_trust;
struct rsg_buf;

struct grant {
	char ticket[GRANT_NAME_MAX + 1];
	char ap[GRANT_NAME_MAX + 1];
	char device[GRANT_NAME_MAX + 1];
	char engineer[GRANT_NAME_MAX + 1];
	unsigned caps;			/* enum capability mask, non-zero */
	int64_t not_before_ms, not_after_ms;
	char purpose[GRANT_TEXT_MAX + 1];
	char approver[GRANT_NAME_MAX + 1];
	int emergency;
	int64_t issued_ms;
	int64_t idle_timeout_s;
	int64_t sessions_per_device;
};

/* g as the payload object (*out: a new reference). RSG_ERR_NOMEM. */
int grant_to_json(const struct grant *g, struct json_t **out) RSG_WUR;
/*
 * A payload object to g: every field present and of its type, names
 * within limits, known capabilities, not_before < not_after.
 * RSG_ERR_FORMAT (why names the field).
 */
int grant_from_json(const struct json_t *o, struct grant *g,
    const char **why) RSG_WUR;
/* Sign g with the AP's key and certificate: *out is the envelope. */
int grant_sign(const struct grant *g, struct evp_pkey_st *key,
    const struct x509_st *cert, struct rsg_buf **out) RSG_WUR;
/*
 * Check an envelope of len bytes: a grant, signature good, signer
 * certificate valid now (seconds) under trust with the ap role, its CN
 * equal to ap (the access point that serves the device) and to the
 * payload's "ap". On success *g is the payload. RSG_ERR_VERIFY (altered,
 * forged or signed by someone else), RSG_ERR_FORMAT, RSG_ERR_CERT_*; err
 * gets a one-line reason.
 */
int grant_verify(const void *doc, size_t len, const struct pki_trust *trust,
    const char *ap, int64_t now, struct grant *g, char *err, size_t errlen)
    RSG_WUR;

/*
 * A ticket row as the JSON both daemons' APIs answer (docs/API.md):
 * id, state, ap, device, engineer, capabilities_requested,
 * capabilities_granted (name lists), duration_s, reason, purpose,
 * approver, emergency, not_before, not_after, created, updated (RFC 3339,
 * "" when unset) and grant (the envelope text, or null). RSG_ERR_NOMEM.
 */
struct store_ticket;
int ticket_row_json(const struct store_ticket *t, struct json_t **out)
    RSG_WUR;
/*
 * Add the ticket's history from s to o (a ticket_row_json object) as
 * "history": [{time, event, actor, who, from, to, detail}], oldest first.
 * On any error o is left without it (the row still answers).
 */
struct store;
void ticket_history_json(struct store *s, const char *id, struct json_t *o);
/* A capability mask as a JSON array of names (NULL: out of memory). */
struct json_t *capabilities_json(unsigned mask);

#endif /* RSGATE_GRANT_H */
