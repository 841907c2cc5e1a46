/*
 * ap.h: the pieces of rsgate-ap, the access point at the hospital. ap.c
 * reads the config and runs the event loop; ap-ctl.c keeps the control
 * channel to the hub up; ap-stream.c serves the hub's STREAM_OPEN requests
 * (inventory and standing policy, relay, TLS inside the pair, device).
 */
#ifndef RSGATE_AP_H
#define RSGATE_AP_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "rsgate/audit.h"
#include "rsgate/ctlmsg.h"
#include "rsgate/tls.h"

struct event_base;
struct evdns_base;
struct event;
struct evhttp;
struct evhttp_request;
struct json_t;
struct outbox;
struct pki_trust;
struct store;
struct evp_pkey_st;
struct x509_st;
struct bufferevent;
struct bridge;
struct config;
struct inventory;
struct policy;

#define AP_CONNECT_TIMEOUT_S 10	/* TCP + TLS to the hub, relay, device */
#define AP_RECONNECT_MIN_MS 1000
#define AP_AUDIT_TICK_S 5

struct ap_stream;
struct ap_vault;
struct store;
struct ap;

/* Who called on the admin socket (SO_PEERCRED), for checks and audit. */
struct ap_admin_caller {
	unsigned long uid;
	long pid;
	char name[64];		/* "root", "alice", or "uid 1234" */
};

/*
 * An admin route's handler: path is the request path (no query), query
 * the raw query string or NULL. The handler answers req (ap_admin_reply).
 */
typedef void (*ap_admin_fn)(struct ap *ap, struct evhttp_request *req,
    const char *path, const char *query, const struct ap_admin_caller *who);

#define AP_ADMIN_ROUTES_MAX 32
#define AP_ADMIN_BODY_MAX (64 * 1024)

struct ap_admin_route {
	const char *method;	/* "GET", "POST" */
	const char *prefix;	/* "/v1/tickets" */
	ap_admin_fn fn;
};
struct ap_alert;

struct ap {
	struct event_base *base;
	struct evdns_base *dns;		/* name lookups without blocking */
	struct config *cfg;
	struct inventory *inv;
	struct policy *pol;
	struct audit_log *audit;
	int audit_unsynced;		/* a record may not be on disk yet */
	struct tls_ctx *ctl_tls;	/* client, peer role hub */
	struct tls_ctx *stream_tls;	/* server, peer role engineer */
	const char *name, *site, *hub;
	char hub_host[256];
	uint16_t hub_port;
	uint64_t heartbeat_s, dead_after_s, reconnect_max_s;
	size_t max_streams;
	uint64_t handshake_timeout_s;	/* relay reached -> TLS done */

	/* control channel */
	struct bufferevent *ctl;
	int ctl_up;			/* TLS handshake done */
	int hello_done;			/* HELLO_ACK received */
	uint32_t next_id;
	uint32_t heartbeat_hub_s;
	int64_t backoff_ms;		/* next delay before jitter */
	struct event *ev_retry, *ev_ping, *ev_tick;
	struct event *ev_term, *ev_int;

	struct ap_alert *alert;		/* ap-alert.c: alert inputs */

	TAILQ_HEAD(, ap_stream) streams;
	size_t nstreams;
	int stopping;
	struct ap_vault *vault;		/* ap-vault.c */

	/* the service workflow (ap-ticket.c, ap-admin.c) */
	struct store *store;		/* the audit_db file */
	struct outbox *outbox;		/* to the hub */
	struct evp_pkey_st *sign_key;	/* signs grants */
	struct x509_st *sign_cert;
	struct evhttp *admin;
	int admin_fd;
	struct ap_admin_route routes[AP_ADMIN_ROUTES_MAX];
	size_t nroutes;
	struct event *ev_ticket;	/* 1 s: windows, idle, expiry */
	int approval_none, emergency_access;
	int64_t idle_timeout_s, max_session_s;
	size_t sessions_per_device;
};

/* ap-ctl.c */
int ap_ctl_start(struct ap *ap);
void ap_ctl_stop(struct ap *ap);
/* Send m on the control channel if it is up (dropped otherwise). */
void ap_ctl_send(struct ap *ap, struct ctl_msg *m);

/*
 * Resolve host with ap->dns (evdns: the loop does not wait) and connect
 * bev without blocking; the result arrives in its event callback (a
 * lookup failure: bufferevent_socket_get_dns_error). -1 with reason if it
 * cannot start.
 */
int ap_connect(struct ap *ap, struct bufferevent *bev, const char *host,
    uint16_t port, char *reason, size_t rlen);

/* ap-stream.c */
void ap_stream_open(struct ap *ap, const struct ctl_msg *m);
/* End the stream with this id, if there is one (the hub's STREAM_CLOSE). */
void ap_stream_close_by_id(struct ap *ap, const uint8_t *id,
    const char *reason);
/* End every stream (shutdown): audit, STREAM_CLOSE, free. */
void ap_stream_close_all(struct ap *ap, const char *reason);
/*
 * End the streams of a ticket (ticket non-NULL) or of an engineer (cn
 * non-NULL): returns how many were ended.
 */
size_t ap_stream_close_match(struct ap *ap, const char *ticket,
    const char *cn, const char *reason);
/* The 1 s check of ticket streams: idle timeout and the grant window. */
void ap_stream_tick(struct ap *ap);
/* The open streams as a JSON array (GET /v1/sessions). */
struct json_t *ap_stream_list(struct ap *ap);

/* ap-admin.c: the hospital's admin socket (HTTP + JSON over Unix). */
/*
 * Add a route (before or after ap_admin_start): the longest matching
 * prefix of the path with the same method wins. RSG_ERR_LIMIT when full.
 */
int ap_admin_route(struct ap *ap, const char *method, const char *prefix,
    ap_admin_fn fn);
int ap_admin_start(struct ap *ap, char *err, size_t errlen);
void ap_admin_stop(struct ap *ap);
/* Answer with obj (consumed; NULL: 500) as JSON. */
void ap_admin_reply(struct evhttp_request *req, int code, struct json_t *obj);
/* Answer {"error":error,"reason":reason} (reason may be NULL). */
void ap_admin_error(struct evhttp_request *req, int code, const char *error,
    const char *reason);
/*
 * The request body as a JSON object (an empty body is an empty object).
 * RSG_ERR_FORMAT (answered 400 already), RSG_ERR_LIMIT (413 answered).
 */
int ap_admin_body(struct evhttp_request *req, struct json_t **out);
/* The value of key in a query string ("state=requested"), or NULL. */
const char *ap_admin_query(const char *query, const char *key, char *out,
    size_t outlen);

/* ap-ticket.c: tickets, grants, approvals at the access point. */
int ap_ticket_start(struct ap *ap, char *err, size_t errlen);
void ap_ticket_stop(struct ap *ap);
/* The durable outbox toward the hub (ALERT, DECISION...): outbox.h. */
struct outbox *ap_outbox(struct ap *ap);
/* The control channel is up (hello done) / down. */
void ap_ticket_connected(struct ap *ap);
void ap_ticket_disconnected(struct ap *ap);
/* CTL_TICKET and CTL_ACK from the hub. */
void ap_ticket_message(struct ap *ap, const struct ctl_msg *m);
void ap_ticket_ack(struct ap *ap, const struct ctl_msg *m);
/*
 * The hub's verified deletion certificate for ticket: the AP's record
 * moves to purged (history, audit; a ticket still live is closed first,
 * its streams ended). 0 also when the ticket is unknown here, already
 * purged or the step is refused (logged and audited); an error when the
 * store fails (the caller does not ACK, so the hub sends it again).
 */
int ap_ticket_purged(struct ap *ap, const char *ticket, const char *detail);
/*
 * May a stream under ticket open now for engineer to device/service (the
 * service name is the capability name)? 0 with the grant's end and the
 * idle limit (and the ticket activated), or RSG_ERR_PERM with a CTL_E_*
 * code and reason. Fails closed.
 */
int ap_ticket_stream_check(struct ap *ap, const char *ticket,
    const char *engineer, const char *device, const char *service,
    int64_t *not_after_ms, int64_t *idle_s, uint32_t *code, char *reason,
    size_t rlen);

/* ap-alert.c: device alerts (HTTP, syslog) forwarded through the outbox. */
int ap_alert_start(struct ap *ap, char *err, size_t errlen);
void ap_alert_stop(struct ap *ap);
/* -t: check the alert_token lines, their files and devices. */
int ap_alert_check(struct ap *ap, char *err, size_t errlen);
/* The control channel came up (HELLO_ACK) or went down. */
void ap_alert_ctl_up(struct ap *ap);
void ap_alert_ctl_down(struct ap *ap);
/* The hub answered an ALERT sent through the AP's outbox. */
struct json_t;
void ap_alert_acked(struct ap *ap, const struct json_t *sent,
    const struct json_t *ack);

/* ap.c: append an audit record; a failure is logged (the AP keeps going). */
int ap_audit(struct ap *ap, struct audit_record *r);
/*
 * As ap_audit without waiting for the disk (audit_append_nosync): the
 * record is durable with the next ap_audit, or ap_audit_sync (the audit
 * tick, every AP_AUDIT_TICK_S). For records whose action comes only after a later
 * durable record (a stream's open, before the device), or that nothing
 * waits for (a stream's close).
 */
int ap_audit_nosync(struct ap *ap, struct audit_record *r);
/* Flush records appended by ap_audit_nosync; 0 if there are none. */
int ap_audit_sync(struct ap *ap);

/* ap-vault.c: COLLECT and DOCUMENT from the hub */
int ap_vault_start(struct ap *ap, char *err, size_t errlen);
void ap_vault_stop(struct ap *ap);
/*
 * End the collects in progress of a ticket (ticket non-NULL) or of an
 * engineer (non-NULL): the hub gets an error, the failure is audited.
 * Returns how many.
 */
size_t ap_vault_collect_abort(struct ap *ap, const char *ticket,
    const char *engineer, const char *reason);
/* The CRL changed: re-read the trust that checks documents (keeps the old on error). */
void ap_vault_trust_reload(struct ap *ap);
void ap_vault_ctl(struct ap *ap, const struct ctl_msg *m);
/* The AP's store (tickets, documents), or NULL before start. */
struct store *ap_vault_store(struct ap *ap);
/*
 * The AP's own grant check: its record of ticket is approved or active,
 * grants every capability in caps on device, and now is inside the
 * window. 0 only on that explicit allow; otherwise RSG_ERR_PERM with
 * *why (static). Fail closed.
 */
int ap_grant_check(struct ap *ap, const char *ticket, const char *device,
    unsigned caps, const char **why) RSG_WUR;

#endif /* RSGATE_AP_H */
