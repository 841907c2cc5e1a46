/*
 * hub.h: internals shared by the parts of rsgate-hub: the daemon (hub.c),
 * the access points' control channel (hub-ctl.c) and the engineers' HTTPS
 * API (hub-api.c). One libevent base, one thread.
 */
#ifndef RSGATE_HUB_H
#define RSGATE_HUB_H

#include <sys/queue.h>

#include <stdint.h>

#include "rsgate/audit.h"
#include "rsgate/ctlmsg.h"
#include "rsgate/relay.h"
#include "rsgate/tls.h"

struct evhttp_request;
struct json_t;
struct outbox;
struct pki_trust;
struct store;
struct evconnlistener;

#define HUB_ADDR_MAX 64			/* "[v6]:port" of a peer */
#define HUB_CTL_CONNS_MAX 4096		/* control connections, at most */
/*
 * Descriptors kept out of every cap: listeners, the audit database and its
 * journal, the CRL and config reads, the log, libevent's own.
 */
#define HUB_FD_RESERVE 64
#define HUB_FD_WANT (1024 * 1024)	/* the soft limit we ask for, at most */
/*
 * Refusals of strangers are audited one by one up to refusal_audit_burst
 * per source (IPv6: per /64) and window; the rest are counted and written
 * as one summary record when the window ends. At most HUB_REFUSAL_SOURCES
 * sources are tracked; beyond them, refusals share one "other sources"
 * entry, so memory is bounded too.
 */
#define HUB_REFUSAL_WINDOW_MS 60000
#define HUB_REFUSAL_SOURCES 4096
/*
 * Before an AP has said HELLO it is a stranger: it gets at most this long
 * for TLS and HELLO (or dead_after, if shorter), and one address may hold
 * only this many such connections at once.
 */
#define HUB_CTL_HELLO_MS 5000
#define HUB_CTL_PENDING_PER_SOURCE 8
#define HUB_CTL_OUT_MAX (1024 * 1024)	/* unsent bytes before we give up */
#define HUB_STREAM_OPEN_TIMEOUT_S 10	/* waiting for STREAM_OPEN_OK/ERR */
#define HUB_API_BODY_MAX (16 * 1024)
#define HUB_CRL_CHECK_S 2		/* how often the CRL file is looked at */

struct hub;
struct hub_alert;
struct config;
struct ctl_conn;
struct hub_pending;
struct hub_vault;

/* Refusals from one source key in the current window. */
struct hub_refusals {
	TAILQ_ENTRY(hub_refusals) entry;
	char key[RELAY_SOURCE_KEY_MAX];
	int64_t start_ms;
	uint64_t recorded;
	uint64_t suppressed;
};

/* An access point the hub has heard from (kept while disconnected). */
struct hub_ap {
	TAILQ_ENTRY(hub_ap) entry;
	struct hub *hub;
	char name[CTL_NAME_MAX + 1];
	char fingerprint[65];
	struct ctl_msg *hello;		/* its last inventory */
	struct ctl_conn *conn;		/* NULL while not connected */
	struct outbox *outbox;		/* workflow messages to it */
};

/* One control connection, before and after HELLO. */
struct ctl_conn {
	TAILQ_ENTRY(ctl_conn) entry;
	struct hub *hub;
	struct bufferevent *bev;
	struct event *ev_timer;
	char source[HUB_ADDR_MAX];
	char ip[HUB_ADDR_MAX];		/* source key: address, IPv6 /64 */
	char session[33];		/* hex id of this connection, for audit */
	struct tls_peer peer;
	int authed;			/* TLS handshake done, peer checked */
	int hello_done;
	int closing;			/* ERROR sent: close once flushed */
	char close_reason[400];
	struct hub_ap *ap;
	int64_t started_ms, last_rx_ms, last_tx_ms;
};

/* A stream from POST /v1/streams until the relay is done with it. */
struct hub_stream {
	TAILQ_ENTRY(hub_stream) entry;
	uint8_t id[CTL_STREAM_ID_LEN];
	char idhex[2 * CTL_STREAM_ID_LEN + 1];
	char engineer[4 * 64 + 1];	/* as struct tls_peer cn */
	char engineer_fpr[65];
	char device[CTL_NAME_MAX + 1];
	char service[CTL_NAME_MAX + 1];
	char site[CTL_NAME_MAX + 1];
	char ticket[CTL_NAME_MAX + 1];
	char ap[CTL_NAME_MAX + 1];
	char source[HUB_ADDR_MAX];
	struct hub_pending *pending;	/* while the AP has not answered */
	int opened;			/* the AP said STREAM_OPEN_OK */
};

/* An API request waiting for the AP's answer to STREAM_OPEN. */
struct hub_pending {
	TAILQ_ENTRY(hub_pending) entry;
	struct hub *hub;
	struct evhttp_request *req;
	struct ctl_conn *conn;
	uint32_t reqid;
	struct event *ev_timeout;
	struct hub_stream *st;
	uint8_t token[CTL_TOKEN_LEN];	/* the engineer's: secret */
};

struct hub {
	struct event_base *base;
	struct config *cfg;
	const char *name;
	struct tls_ctx *api_tls, *ctl_tls;
	struct evhttp *http;
	struct evconnlistener *ctl_lis, *relay_lis;
	struct evconnlistener *api_lis;	/* evhttp's, paused at api_max */
	size_t api_max, napi;		/* API connections (TLS sessions) */
	int api_paused;
	size_t ctl_max;
	uint64_t refusal_burst;
	TAILQ_HEAD(, hub_refusals) refusals;
	size_t nrefusals;
	struct relay *relay;
	struct audit_log *audit;
	char relay_advertise[300];
	uint64_t heartbeat_s;
	int64_t dead_after_ms;
	uint64_t pairing_ms;
	TAILQ_HEAD(, hub_ap) aps;
	TAILQ_HEAD(, ctl_conn) conns;
	size_t nconns;
	TAILQ_HEAD(, hub_pending) pending;
	TAILQ_HEAD(, hub_stream) streams;
	uint32_t next_reqid;
	struct event *ev_tick, *ev_term, *ev_int;
	struct event *ev_audit_sync;	/* flushes hub_audit_nosync records */
	int audit_unsynced;		/* a record may not be on disk yet */
	const char *crl;
	unsigned tick_count;
	struct store *store;		/* tickets etc.: the audit_db file */
	struct pki_trust *trust;	/* checks the APs' grants */
	struct hub_vault *vault;	/* hub-vault.c */
	struct hub_alert *alert;	/* hub-alert.c: tickets from alerts, mail */
};

/* Audit one record; fields may be NULL. Logs and returns an error code. */
int hub_audit(struct hub *h, enum audit_event ev, enum audit_outcome o,
    const char *user, const char *role, const char *session,
    const char *device, const char *site, const char *capability,
    const char *object, const char *source, const char *reason);

/*
 * As hub_audit without waiting for the disk (audit_append_nosync). The
 * record is flushed by the next durable append, by hub_audit_sync_soon,
 * by the tick within a second, and in any case before a relay connection
 * joins a stream (hub.c, relay_admit_cb). For records no action waits
 * for (a stream's close), or whose action is a relay pairing (a stream's
 * session.open before the 201 that carries the engineer's token).
 */
int hub_audit_nosync(struct hub *h, enum audit_event ev, enum audit_outcome o,
    const char *user, const char *role, const char *session,
    const char *device, const char *site, const char *capability,
    const char *object, const char *source, const char *reason);
/* Make every record appended so far durable; 0 if there was none. */
int hub_audit_sync(struct hub *h);
/* Flush right after this loop iteration (after replies queued now). */
void hub_audit_sync_soon(struct hub *h);

/*
 * Audit the refusal of a stranger from source ("ip", "ip:port" or
 * "[v6]:port"), rate-limited per source key (see HUB_REFUSAL_WINDOW_MS).
 * Fields as for hub_audit.
 */
void hub_audit_refusal(struct hub *h, enum audit_outcome o,
    const char *user, const char *role, const char *session,
    const char *capability, const char *source, const char *reason);
/* Write the summaries of windows that ended (all of them if flush). */
void hub_refusals_tick(struct hub *h, int flush);

/* Pause a listener for a second after an accept error (EMFILE...); any arg. */
void hub_listener_error_cb(struct evconnlistener *l, void *arg);

/* Attach handshake tracking to ssl, so a failed handshake is audited. */
int hub_tls_track(struct hub *h, struct ssl_st *ssl, const char *listener,
    const char *source);
/* Install the info callback on a context (once per context). */
void hub_tls_track_ctx(struct tls_ctx *ctx);
/* Set the reason recorded for ssl if its handshake does not finish. */
void hub_tls_track_reason(struct ssl_st *ssl, const char *reason);

/* "host:port" of a sockaddr, numeric, brackets for IPv6; and host alone. */
void hub_addr_format(const struct sockaddr *sa, char *out, size_t outlen,
    int with_port);

struct hub_stream *hub_stream_find(struct hub *h, const uint8_t *id);
void hub_stream_free(struct hub *h, struct hub_stream *st);

/* hub-ctl.c */
int hub_ctl_listen(struct hub *h, int fd);
void hub_ctl_shutdown(struct hub *h);
/* Send m to c; closes c (and returns an error) if it does not read. */
int hub_ctl_send(struct ctl_conn *c, const struct ctl_msg *m);
/* Look for an access point serving device and service. */
int hub_ap_find(struct hub *h, const char *device, const char *service,
    struct hub_ap **app, const struct ctl_device **devp);

/* hub-alert.c */
/* Config rules of the notification keys (-t and start). */
int hub_alert_check(struct config *cfg, char *err, size_t errlen);
int hub_alert_start(struct hub *h, char *err, size_t errlen);
void hub_alert_stop(struct hub *h);
/* An ALERT from c's access point: ticket, audit, ACK. -1 if c is gone. */
int hub_alert_receive(struct ctl_conn *c, const struct ctl_msg *m);

/* hub-api.c */
int hub_api_listen(struct hub *h, int fd);
void hub_api_shutdown(struct hub *h);
/* The AP answered STREAM_OPEN (OK: err NULL) or went away. */
void hub_api_answer(struct hub_pending *p, int status, uint32_t code,
    const char *reason);

/* Answer req with obj (consumed) as JSON, or with an error object. */
void hub_api_reply(struct evhttp_request *req, int code, struct json_t *obj);
void hub_api_error(struct evhttp_request *req, int code, const char *error,
    const char *reason);

/* hub-ticket.c: tickets, grants, engineer deactivation. */
int hub_ticket_start(struct hub *h, char *err, size_t errlen);
void hub_ticket_stop(struct hub *h);
/* The CRL changed: re-read the trust that checks grants (keeps the old on error). */
void hub_ticket_trust_reload(struct hub *h);
/* The outbox toward an access point (NULL if the hub never met it). */
struct outbox *hub_outbox(struct hub *h, const char *ap_name);
/* A new access point entry, its control channel up, and down. */
int hub_ticket_ap_new(struct hub *h, struct hub_ap *ap);
void hub_ticket_ap_up(struct hub *h, struct hub_ap *ap);
void hub_ticket_ap_down(struct hub *h, struct hub_ap *ap);
/* CTL_DECISION (answered with CTL_ACK) and CTL_ACK from an AP. */
void hub_ticket_decision(struct ctl_conn *c, const struct ctl_msg *m);
void hub_ticket_ack(struct ctl_conn *c, const struct ctl_msg *m);
/* Every second: end the tickets whose window is over. */
void hub_ticket_tick(struct hub *h);
/* May engineer open device/service at ap under ticket? 0, or why. */
int hub_ticket_stream_check(struct hub *h, const char *ticket,
    const char *engineer, const char *ap, const char *device,
    const char *service, char *why, size_t whylen);
/* A stream under ticket opened: approved -> active. */
void hub_ticket_stream_opened(struct hub *h, const char *ticket,
    const char *engineer);
/* Whether an administrator deactivated the engineer (fails closed). */
int hub_engineer_deactivated(struct hub *h, const char *cn);
/* /v1/tickets[...] for engineers and /v1/engineers/... for admins. */
void hub_api_tickets(struct hub *h, struct evhttp_request *req,
    const char *path, const struct tls_peer *peer, const char *source);
void hub_api_engineers(struct hub *h, struct evhttp_request *req,
    const char *path, const struct tls_peer *peer, const char *source);
/* hub-vault.c: collect, evidence, purge, deletion certificate, report */
int hub_vault_start(struct hub *h, char *err, size_t errlen);
void hub_vault_stop(struct hub *h);
/* The 1 s timer: purge jobs that are due. */
void hub_vault_tick(struct hub *h);
/* A /v1/tickets/T/... route of the vault: 1 if handled (answered). */
int hub_vault_api(struct hub *h, struct evhttp_request *req, int cmd,
    const char *path, const struct tls_peer *peer, const char *source);
/* COLLECT_DATA and ACK from an AP (m stays the caller's). */
void hub_vault_ctl(struct ctl_conn *c, const struct ctl_msg *m);
/* An AP's connection is closing: its collects fail. */
void hub_vault_conn_closed(struct hub *h, struct ctl_conn *c);
/* The AP acknowledged (or refused) a DOCUMENT sent through its outbox. */
void hub_vault_document_acked(struct hub *h, const char *ap_name,
    const struct json_t *sent, const struct json_t *ack);

#endif /* RSGATE_HUB_H */
