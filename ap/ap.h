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
struct event;
struct bufferevent;
struct bridge;
struct config;
struct inventory;
struct policy;

#define AP_CONNECT_TIMEOUT_S 10	/* TCP + TLS to the hub, relay, device */
#define AP_RECONNECT_MIN_MS 1000
#define AP_AUDIT_TICK_S 5

struct ap_stream;
struct ap_alert;

struct ap {
	struct event_base *base;
	struct config *cfg;
	struct inventory *inv;
	struct policy *pol;
	struct audit_log *audit;
	struct tls_ctx *ctl_tls;	/* client, peer role hub */
	struct tls_ctx *stream_tls;	/* server, peer role engineer */
	const char *name, *site, *hub;
	char hub_host[256];
	uint16_t hub_port;
	uint64_t heartbeat_s, dead_after_s, reconnect_max_s;
	size_t max_streams;

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
};

/* ap-ctl.c */
int ap_ctl_start(struct ap *ap);
void ap_ctl_stop(struct ap *ap);
/* Send m on the control channel if it is up (dropped otherwise). */
void ap_ctl_send(struct ap *ap, struct ctl_msg *m);

/*
 * Resolve host (blocking) and start a non-blocking connect of bev; the
 * result arrives in its event callback. -1 with reason if it cannot start.
 */
int ap_connect(struct bufferevent *bev, const char *host, uint16_t port,
    char *reason, size_t rlen);

/* ap-stream.c */
void ap_stream_open(struct ap *ap, const struct ctl_msg *m);
/* End the stream with this id, if there is one (the hub's STREAM_CLOSE). */
void ap_stream_close_by_id(struct ap *ap, const uint8_t *id,
    const char *reason);
/* End every stream (shutdown): audit, STREAM_CLOSE, free. */
void ap_stream_close_all(struct ap *ap, const char *reason);

/* ap-alert.c: device alerts (HTTP, syslog) forwarded through the outbox. */
int ap_alert_start(struct ap *ap, char *err, size_t errlen);
void ap_alert_stop(struct ap *ap);
/* -t: check the alert_token lines, their files and devices. */
int ap_alert_check(struct ap *ap, char *err, size_t errlen);
/* The control channel came up (HELLO_ACK) or went down; an ACK arrived. */
void ap_alert_ctl_up(struct ap *ap);
void ap_alert_ctl_down(struct ap *ap);
void ap_alert_ack(struct ap *ap, const struct ctl_msg *m);

/* ap.c: append an audit record; a failure is logged (the AP keeps going). */
int ap_audit(struct ap *ap, struct audit_record *r);

#endif /* RSGATE_AP_H */
