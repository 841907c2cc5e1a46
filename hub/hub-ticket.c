/*
 * hub-ticket.c: the vendor's side of the service workflow
 * (docs/WORKFLOW.md). Engineers request access for a ticket on the API
 * (POST /v1/tickets: ticket, device, capabilities, duration and reason are
 * required, R14; view-phi needs a purpose, R29); the hub stores it and
 * relays it to the access point that serves the device (TICKET op
 * request, through the outbox, so it arrives across disconnects). The
 * AP's DECISION updates the ticket: an approval carries the AP-signed
 * grant, which the hub verifies (signature, CA, role ap, signer = the AP
 * that serves the device, fields = the request, never wider) before it
 * records it. Streams under a ticket need its grant (device, capability =
 * service, engineer, window). The ticket ends by close (the engineer),
 * terminate (the hospital), expiry (a 1 s timer here and at the AP) or
 * denial: its relay streams are cut, the AP told, and a purge job is
 * queued in the same transaction (store_purge_put).
 *
 * Engineers are deactivated by an administrator (certificate role admin):
 * POST /v1/engineers/NAME/deactivate|activate, persisted in the store; a
 * deactivated engineer is refused at once, its relay pairs are cut and
 * every AP is told (TICKET op revoke-engineer) to end its side (R5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "rsgate/config.h"
#include "rsgate/grant.h"
#include "rsgate/outbox.h"
#include "rsgate/pki.h"
#include "rsgate/store.h"
#include "rsgate/workflow.h"

#include "hub.h"

#define DEACT_PREFIX "engineer.deactivated:"
#define TICKET_IDS_MAX 256


/* How long after a window ends the hub cuts what the AP has not. */
#define HUB_EXPIRE_GRACE_MS 2000
/* ---- helpers ------------------------------------------------------------------ */

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int
str_set(char **dst, const char *src)
{
	char *s;

	if ((s = strdup(src != NULL ? src : "")) == NULL)
		return RSG_ERR_NOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * For the checks that only ask "is it X": a damaged state reads as none,
 * which allows no stream and passes no check; ticket_step() refuses it.
 */
static enum ticket_state
state_of(const struct store_ticket *t)
{
	enum ticket_state s;

	if (ticket_state_stored(t->state, &s) != 0)
		return TICKET_NONE;
	return s;
}

static void
ticket_audit(struct hub *h, enum audit_event ev, enum audit_outcome o,
    const struct store_ticket *t, const char *who, const char *role,
    const char *object, const char *reason)
{
	struct audit_record rec;
	char caps[128];
	int e;

	if (capabilities_format(t->caps_granted != 0 ? t->caps_granted :
	    t->caps_requested, caps, sizeof(caps)) != 0)
		caps[0] = '\0';
	memset(&rec, 0, sizeof(rec));
	rec.event = ev;
	rec.outcome = o;
	rec.f[AUDIT_F_VENDOR] = h->name;
	rec.f[AUDIT_F_USER] = who;
	rec.f[AUDIT_F_ROLE] = role;
	rec.f[AUDIT_F_DEVICE] = t->device;
	rec.f[AUDIT_F_SITE] = t->ap;
	rec.f[AUDIT_F_APPROVAL] = t->id;
	rec.f[AUDIT_F_CAPABILITY] = caps[0] != '\0' ? caps : NULL;
	rec.f[AUDIT_F_OBJECT] = object;
	rec.f[AUDIT_F_REASON] = reason;
	if ((e = audit_append(h->audit, &rec)) != 0)
		log_error("cannot write the audit log: %s", rsg_strerror(e));
}

/*
 * Move t by ev: the transition table decides; the row, its history step
 * and (for an end state) the purge job are stored in one transaction, then
 * audited. A refusal is logged and audited as ticket.refuse.
 */
static int
ticket_step(struct hub *h, struct store_ticket *t, enum ticket_event ev,
    const struct ticket_guard *g, const char *who, const char *detail,
    const char **why)
{
	enum ticket_state from, to;
	const char *w = NULL;
	char obj[96], line[400];
	int r;

	/* A state we cannot read is refused, never taken for a new ticket. */
	if ((r = ticket_state_stored(t->state, &from)) != 0)
		w = "the stored state is unknown";
	else
		r = ticket_transition(from, ev, g, &to, &w);
	if (r != 0) {
		snprintf(line, sizeof(line), "%s %s by %s refused: %s",
		    ticket_event_name(ev), t->id, who, w != NULL ? w : "");
		log_info("ticket %s", line);
		ticket_audit(h, AUDIT_EV_TICKET_REFUSE, AUDIT_OUTCOME_DENIED,
		    t, who, ticket_actor_name(g->actor),
		    ticket_event_name(ev), w);
		*why = w != NULL ? w : "refused";
		return r;
	}
	if ((r = ticket_store_step(h->store, t, ev, from, to, g, who, detail,
	    1, NULL, NULL)) != 0) {
		log_error("ticket %s: cannot store: %s", t->id, rsg_strerror(r));
		*why = "cannot store the ticket";
		return r;
	}
	snprintf(obj, sizeof(obj), "%s -> %s", ticket_state_name(from),
	    ticket_state_name(to));
	ticket_audit(h, ticket_event_audit(ev), AUDIT_OUTCOME_SUCCESS, t, who,
	    ticket_actor_name(g->actor), obj, detail);
	log_info("ticket %s: %s (%s by %s)", t->id, obj,
	    ticket_event_name(ev), who);
	return 0;
}

static void
guard_init(struct ticket_guard *g, enum ticket_actor actor)
{
	memset(g, 0, sizeof(*g));
	g->actor = actor;
	g->now_ms = time_now_ms();
}

static struct hub_ap *
ap_named(struct hub *h, const char *name)
{
	struct hub_ap *ap;

	TAILQ_FOREACH(ap, &h->aps, entry)
		if (strcmp(ap->name, name) == 0)
			return ap;
	return NULL;
}

struct outbox *
hub_outbox(struct hub *h, const char *ap_name)
{
	struct hub_ap *ap = ap_named(h, ap_name);

	return ap != NULL ? ap->outbox : NULL;
}

static void
post_to_ap(struct hub *h, const char *ap_name, json_t *body)
{
	struct outbox *ob = hub_outbox(h, ap_name);
	int r;

	if (body == NULL) {
		log_error("ticket message: out of memory");
		return;
	}
	if (ob == NULL)
		log_error("no outbox for access point %s", ap_name);
	else if ((r = outbox_post(ob, CTL_TICKET, body, time_now_ms())) != 0)
		log_error("cannot queue a ticket message for %s: %s", ap_name,
		    rsg_strerror(r));
	json_decref(body);
}

/*
 * Cut the relay streams of a ticket or of an engineer (kill switch,
 * close, deactivation). Returns how many.
 */
static size_t
cut_streams(struct hub *h, const char *ticket, const char *engineer,
    const char *reason)
{
	uint8_t ids[64][CTL_STREAM_ID_LEN];
	struct hub_stream *st;
	size_t i, n, total = 0;

	/*
	 * In batches of 64 until none is left: a kill switch must not stop
	 * at the 65th stream. Each batch frees what it collected, so the
	 * loop ends. Streams still waiting for the AP are decided again
	 * when it answers (hub_api_answer).
	 */
	do {
		n = 0;
		TAILQ_FOREACH(st, &h->streams, entry) {
			if (!st->opened || st->pending != NULL || n >= 64)
				continue;
			if (ticket != NULL && strcmp(st->ticket, ticket) != 0)
				continue;
			if (engineer != NULL &&
			    strcmp(st->engineer, engineer) != 0)
				continue;
			memcpy(ids[n++], st->id, CTL_STREAM_ID_LEN);
		}
		for (i = 0; i < n; i++) {
			(void)relay_stream_cancel(h->relay, ids[i], reason);
			/* A paired stream was freed by its close event. */
			if ((st = hub_stream_find(h, ids[i])) != NULL &&
			    st->pending == NULL)
				hub_stream_free(h, st);
		}
		total += n;
	} while (n == 64);
	return total;
}

/* ---- the outbox toward each access point --------------------------------------- */

static int
outbox_send_cb(uint16_t type, uint32_t id, const json_t *body, void *arg)
{
	struct hub_ap *ap = arg;
	struct ctl_msg m;

	if (ap->conn == NULL || !ap->conn->hello_done || ap->conn->closing)
		return RSG_ERR_IO;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.id = id;
	m.u.json.body = (json_t *)(uintptr_t)body;
	return hub_ctl_send(ap->conn, &m);
}

static void
outbox_ack_cb(uint16_t type, const json_t *sent, const json_t *ack,
    void *arg)
{
	struct hub_ap *ap = arg;
	const char *e = json_string_value(json_object_get(ack, "error"));
	char q[300];

	if (type == CTL_DOCUMENT) {
		hub_vault_document_acked(ap->hub, ap->name, sent, ack);
		return;
	}
	if (e != NULL)
		log_warn("access point %s refused %s %s for %s: %s", ap->name,
		    ctl_type_name(type), jstr(sent, "op"),
		    *jstr(sent, "ticket") != '\0' ? jstr(sent, "ticket") :
		    jstr(sent, "engineer"), str_escape(e, q, sizeof(q)));
}

int
hub_ticket_ap_new(struct hub *h, struct hub_ap *ap)
{
	if (ap->outbox != NULL || h->store == NULL)
		return 0;
	return outbox_new(h->store, ap->name, outbox_send_cb, outbox_ack_cb,
	    ap, &ap->outbox);
}

void
hub_ticket_ap_up(struct hub *h, struct hub_ap *ap)
{
	int r;

	(void)h;
	if (ap->outbox != NULL && (r = outbox_connected(ap->outbox)) != 0)
		log_error("outbox %s: cannot resend: %s", ap->name,
		    rsg_strerror(r));
}

void
hub_ticket_ap_down(struct hub *h, struct hub_ap *ap)
{
	(void)h;
	if (ap->outbox != NULL)
		outbox_disconnected(ap->outbox);
}

void
hub_ticket_ack(struct ctl_conn *c, const struct ctl_msg *m)
{
	int r;

	if (c->ap != NULL && c->ap->outbox != NULL &&
	    (r = outbox_ack(c->ap->outbox, m->id, m->u.json.body)) != 0 &&
	    r != RSG_ERR_NOT_FOUND)
		log_error("outbox: cannot record an ACK: %s", rsg_strerror(r));
}

/* ---- the access point's DECISION ------------------------------------------------- */

static const char *
decision_approve(struct hub *h, struct ctl_conn *c, struct store_ticket *t,
    const json_t *b, char *err, size_t errlen)
{
	struct ticket_guard g;
	struct grant gr;
	enum ticket_state s = state_of(t);
	const char *doc = jstr(b, "grant"), *why = NULL;
	char line[700], until[40];
	int64_t len_s;
	int r;

	if (t->grant_doc != NULL && strcmp(t->grant_doc, doc) == 0 &&
	    ticket_state_allows_streams(s))
		return NULL;	/* a repeat */
	if ((r = grant_verify(doc, strlen(doc), h->trust, c->ap->name,
	    time_now_ms() / 1000, &gr, line, sizeof(line))) != 0) {
		snprintf(err, errlen, "grant refused: %s", line);
		goto refuse;
	}
	len_s = (gr.not_after_ms - gr.not_before_ms) / 1000;
	if (strcmp(gr.ticket, t->id) != 0 ||
	    strcmp(gr.device, t->device) != 0 ||
	    strcmp(gr.engineer, t->engineer) != 0) {
		snprintf(err, errlen, "grant refused: it is not for this "
		    "ticket, device and engineer");
		goto refuse;
	}
	guard_init(&g, strncmp(gr.approver, "policy:", 7) == 0 ?
	    TACT_POLICY : TACT_HOSPITAL);
	/* Never wider than the request, or than the emergency grant. */
	g.narrows = (gr.caps & ~(s == TICKET_REQUESTED ? t->caps_requested :
	    t->caps_granted)) == 0 &&
	    len_s <= (s == TICKET_REQUESTED ? t->duration_s :
	    (t->not_after_ms - t->not_before_ms) / 1000);
	g.phi_purpose_ok = (gr.caps & CAP_PHI_MASK) == 0 ||
	    gr.purpose[0] != '\0';
	g.grants_phi = (gr.caps & CAP_PHI_MASK) != 0;
	if (str_set(&t->approver, gr.approver) != 0 ||
	    str_set(&t->purpose, gr.purpose) != 0 ||
	    str_set(&t->grant_doc, doc) != 0)
		return "out of memory";
	t->caps_granted = gr.caps;
	t->not_before_ms = gr.not_before_ms;
	t->not_after_ms = gr.not_after_ms;
	t->emergency = gr.emergency;
	if (time_format_rfc3339(gr.not_after_ms, until, sizeof(until)) == NULL)
		snprintf(until, sizeof(until), "%lld",
		    (long long)gr.not_after_ms);
	snprintf(line, sizeof(line), "granted by %s at %s until %s%s",
	    gr.approver, c->ap->name, until,
	    gr.emergency ? " (EMERGENCY)" : "");
	if (ticket_step(h, t, TEV_APPROVE, &g, gr.approver, line, &why) != 0)
		return why;
	if (store_document_put(h->store, t->id, SIGNED_KIND_GRANT, doc,
	    time_now_ms()) != 0)
		log_error("ticket %s: cannot keep the grant document", t->id);
	return NULL;
 refuse:
	log_warn("ticket %s: %s", t->id, err);
	ticket_audit(h, AUDIT_EV_TICKET_REFUSE, AUDIT_OUTCOME_DENIED, t,
	    c->ap->name, "ap", "approve", err);
	return err;
}

static const char *
decision(struct hub *h, struct ctl_conn *c, const json_t *b, char *err,
    size_t errlen)
{
	struct store_ticket t;
	struct ticket_guard g;
	const char *op = jstr(b, "op"), *why = NULL, *by = jstr(b, "by");
	char line[600];
	enum ticket_event ev;
	int r;

	memset(&t, 0, sizeof(t));
	if (c->ap == NULL)
		return "no hello";
	if ((r = store_ticket_get(h->store, jstr(b, "ticket"), &t)) != 0)
		return r == RSG_ERR_NOT_FOUND ? "unknown ticket" :
		    "cannot read the ticket";
	if (strcmp(t.ap, c->ap->name) != 0) {
		snprintf(err, errlen, "ticket %s belongs to access point %s",
		    t.id, t.ap);
		why = err;
		goto out;
	}
	if (strcmp(op, "approve") == 0) {
		why = decision_approve(h, c, &t, b, err, errlen);
		goto out;
	}
	if (strcmp(op, "deny") == 0) {
		ev = TEV_DENY;
		guard_init(&g, TACT_HOSPITAL);
		g.has_reason = *jstr(b, "reason") != '\0';
		snprintf(line, sizeof(line), "denied at %s by %s: %s",
		    c->ap->name, by, jstr(b, "reason"));
	} else if (strcmp(op, "terminate") == 0) {
		ev = TEV_TERMINATE;
		guard_init(&g, strcmp(by, "hub") == 0 ? TACT_AP :
		    TACT_HOSPITAL);
		snprintf(line, sizeof(line), "terminated at %s by %s: %s",
		    c->ap->name, by, jstr(b, "reason"));
	} else if (strcmp(op, "expire") == 0) {
		ev = TEV_EXPIRE;
		guard_init(&g, TACT_AP);
		g.not_after_ms = g.now_ms;
		snprintf(line, sizeof(line), "the window ended (at %s)",
		    c->ap->name);
	} else {
		why = "unknown DECISION op";
		goto out;
	}
	if (ticket_state_is_final(state_of(&t)))
		goto out;	/* a repeat, or the hub ended it first */
	if (ticket_step(h, &t, ev, &g, *by != '\0' ? by : c->ap->name, line,
	    &why) == 0) {
		why = NULL;
		if (cut_streams(h, t.id, NULL, line) > 0)
			log_info("ticket %s: relay streams cut", t.id);
	}
 out:
	store_ticket_clear(&t);
	return why;
}

void
hub_ticket_decision(struct ctl_conn *c, const struct ctl_msg *m)
{
	struct ctl_msg ack;
	char err[800];
	const char *e;
	json_t *b;

	err[0] = '\0';
	e = c->hub->store != NULL ? decision(c->hub, c, m->u.json.body, err,
	    sizeof(err)) : "the hub keeps no tickets";
	b = e == NULL ? json_pack("{s:b}", "ok", 1) :
	    json_pack("{s:s}", "error", e);
	if (b == NULL)
		return;
	memset(&ack, 0, sizeof(ack));
	ack.type = CTL_ACK;
	ack.id = m->id;
	ack.u.json.body = b;
	(void)hub_ctl_send(c, &ack);
	json_decref(b);
}

/* ---- streams under a ticket ------------------------------------------------------- */

int
hub_ticket_stream_check(struct hub *h, const char *ticket,
    const char *engineer, const char *ap, const char *device,
    const char *service, char *why, size_t whylen)
{
	struct store_ticket t;
	unsigned bit = 0;
	int64_t now = time_now_ms();
	int r = RSG_ERR_PERM;

	memset(&t, 0, sizeof(t));
	if (h->store == NULL || store_ticket_get(h->store, ticket, &t) != 0) {
		snprintf(why, whylen, "no such ticket: %s", ticket);
		return RSG_ERR_PERM;
	}
	if (!ticket_state_allows_streams(state_of(&t)))
		snprintf(why, whylen, "ticket %s is %s (no approval in force)",
		    ticket, t.state);
	else if (strcmp(t.engineer, engineer) != 0)
		snprintf(why, whylen, "ticket %s belongs to another engineer",
		    ticket);
	else if (strcmp(t.device, device) != 0 || strcmp(t.ap, ap) != 0)
		snprintf(why, whylen, "ticket %s grants device %s, not %s",
		    ticket, t.device, device);
	else if (capability_parse(service, &bit) != 0 ||
	    (t.caps_granted & bit) == 0)
		snprintf(why, whylen, "ticket %s does not grant %s", ticket,
		    service);
	else if (now < t.not_before_ms || now >= t.not_after_ms)
		snprintf(why, whylen, "outside the window of ticket %s",
		    ticket);
	else
		r = 0;
	store_ticket_clear(&t);
	return r;
}

void
hub_ticket_stream_opened(struct hub *h, const char *ticket,
    const char *engineer)
{
	struct store_ticket t;
	struct ticket_guard g;
	const char *why;

	memset(&t, 0, sizeof(t));
	if (h->store == NULL || *ticket == '\0' ||
	    store_ticket_get(h->store, ticket, &t) != 0)
		return;
	if (state_of(&t) == TICKET_APPROVED) {
		guard_init(&g, TACT_HUB);
		g.not_after_ms = t.not_after_ms;
		(void)ticket_step(h, &t, TEV_ACTIVATE, &g, engineer,
		    "first stream under the grant", &why);
	}
	store_ticket_clear(&t);
}

/* ---- expiry ------------------------------------------------------------------------- */

struct collect {
	char *ids[TICKET_IDS_MAX];
	size_t n;
	int64_t now;
};

/*
 * Only tickets whose window is over (and the grace): with more than
 * TICKET_IDS_MAX live tickets, the ones past their window must not hide
 * behind the first TICKET_IDS_MAX that are not; each tick ends a batch.
 */
static int
collect_cb(const struct store_ticket *t, void *arg)
{
	struct collect *c = arg;

	if (t->not_after_ms > c->now - HUB_EXPIRE_GRACE_MS)
		return 0;
	if (c->n >= TICKET_IDS_MAX)
		return 1;
	if ((c->ids[c->n] = strdup(t->id)) == NULL)
		return RSG_ERR_NOMEM;
	c->n++;
	return 0;
}

static void
collect_free(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->ids[i]);
	c->n = 0;
}

void
hub_ticket_tick(struct hub *h)
{
	static const char *const live[] = { "approved", "active" };
	struct collect c;
	struct store_ticket t;
	struct ticket_guard g;
	const char *why;
	int64_t now = time_now_ms();
	size_t i, k;

	if (h->store == NULL)
		return;
	for (k = 0; k < 2; k++) {
		memset(&c, 0, sizeof(c));
		c.now = now;
		if (store_ticket_foreach(h->store, live[k], collect_cb,
		    &c) < 0) {
			collect_free(&c);
			return;
		}
		for (i = 0; i < c.n; i++) {
			memset(&t, 0, sizeof(t));
			/*
			 * The AP ends its side by its own clock and says why
			 * (R26); the hub is the backstop a moment later, so
			 * the two do not race to cut the same streams.
			 */
			if (store_ticket_get(h->store, c.ids[i], &t) == 0 &&
			    now >= t.not_after_ms + HUB_EXPIRE_GRACE_MS) {
				guard_init(&g, TACT_HUB);
				g.not_after_ms = t.not_after_ms;
				if (ticket_step(h, &t, TEV_EXPIRE, &g, h->name,
				    "the granted window ended", &why) == 0)
					(void)cut_streams(h, t.id, NULL,
					    "the ticket's window ended");
			}
			store_ticket_clear(&t);
		}
		collect_free(&c);
	}
}

/* ---- the API: tickets --------------------------------------------------------------- */

static int
ticket_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > STORE_TICKET_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* Empty, or a field str_field_ok() takes. */
static int
text_ok(const char *s, size_t max)
{
	return *s == '\0' || str_field_ok(s, max);
}

static int
body_json(struct evhttp_request *req, json_t **out)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t je;
	json_t *o;

	if (len > HUB_API_BODY_MAX) {
		hub_api_error(req, 413, "request body too large", NULL);
		return RSG_ERR_LIMIT;
	}
	o = len == 0 ? json_object() : json_loadb((const char *)
	    evbuffer_pullup(in, -1), len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		hub_api_error(req, 400, "bad request",
		    "the body is not a JSON object");
		return RSG_ERR_FORMAT;
	}
	*out = o;
	return 0;
}

/* The device's access point (it said HELLO since the hub started). */
static struct hub_ap *
device_ap(struct hub *h, const char *device)
{
	struct hub_ap *ap;
	size_t i;

	TAILQ_FOREACH(ap, &h->aps, entry) {
		if (ap->hello == NULL)
			continue;
		for (i = 0; i < ap->hello->u.hello.ndevices; i++)
			if (strcmp(ap->hello->u.hello.devices[i].name,
			    device) == 0)
				return ap;
	}
	return NULL;
}

static void
reply_ticket(struct hub *h, struct evhttp_request *req, int code,
    const struct store_ticket *t)
{
	json_t *o;

	if (ticket_row_json(t, &o) != 0) {
		hub_api_error(req, 500, "out of memory", NULL);
		return;
	}
	ticket_history_json(h->store, t->id, o);
	hub_api_reply(req, code, o);
}

static void
api_ticket_create(struct hub *h, struct evhttp_request *req,
    const struct tls_peer *peer, const char *source)
{
	struct store_ticket t;
	struct ticket_guard g;
	struct hub_ap *ap;
	const json_t *caps, *c, *dur;
	const char *id, *why = NULL, *bad = NULL;
	char line[400];
	json_t *b = NULL;
	unsigned mask = 0, bit;
	uint64_t d = 0;
	size_t i;
	int r, emergency;

	memset(&t, 0, sizeof(t));
	if (body_json(req, &b) != 0)
		return;
	id = jstr(b, "ticket");
	caps = json_object_get(b, "capabilities");
	dur = json_object_get(b, "duration");
	emergency = json_is_true(json_object_get(b, "emergency"));
	if (!ticket_id_ok(id))
		bad = "\"ticket\" must be 1 to 64 letters, digits, '.', '_' "
		    "or '-' (R14)";
	else if (*jstr(b, "device") == '\0' ||
	    !text_ok(jstr(b, "device"), CTL_NAME_MAX))
		bad = "\"device\" is required";
	else if (json_is_string(caps)) {
		if (capabilities_parse(json_string_value(caps), &mask) != 0)
			bad = "\"capabilities\": unknown or empty capability";
	} else if (json_is_array(caps) && json_array_size(caps) > 0) {
		json_array_foreach(caps, i, c) {
			if (capability_parse(json_string_value(c),
			    &bit) != 0) {
				bad = "\"capabilities\": unknown capability";
				break;
			}
			mask |= bit;
		}
	} else
		bad = "\"capabilities\" is required";
	if (bad == NULL) {
		if (json_is_integer(dur) && json_integer_value(dur) > 0 &&
		    json_integer_value(dur) <= 365 * 86400)
			d = (uint64_t)json_integer_value(dur);
		else if (!json_is_string(dur) || parse_duration(
		    json_string_value(dur), 1, 365 * 86400, &d) != 0)
			bad = "\"duration\" is required (e.g. \"2h\")";
	}
	if (bad == NULL && (!text_ok(jstr(b, "reason"), CTL_REASON_MAX) ||
	    !text_ok(jstr(b, "purpose"), CTL_REASON_MAX)))
		bad = "\"reason\" and \"purpose\": at most 1024 printable "
		    "characters";
	if (bad == NULL && (mask & CAP_PHI_MASK) != 0 &&
	    *jstr(b, "purpose") == '\0')
		bad = "view-phi needs a \"purpose\" (R29)";
	if (bad != NULL) {
		hub_api_error(req, 400, "bad request", bad);
		goto out;
	}
	if ((ap = device_ap(h, jstr(b, "device"))) == NULL ||
	    ap->outbox == NULL) {
		hub_api_error(req, 404, "unknown device", jstr(b, "device"));
		goto out;
	}
	r = store_ticket_get(h->store, id, &t);
	if (r != 0 && r != RSG_ERR_NOT_FOUND) {
		hub_api_error(req, 500, "cannot read the ticket", NULL);
		goto out;
	}
	if (r == 0 && state_of(&t) != TICKET_NOTIFIED) {
		hub_api_error(req, 409, "the ticket exists", t.state);
		goto out;
	}
	/*
	 * A ticket opened by a device's alert is that device's, at that
	 * access point: a request under it for another device is refused,
	 * not re-pointed (the hospital sees the alert it answers).
	 */
	if (r == 0 && (t.device == NULL || t.ap == NULL ||
	    strcmp(t.device, jstr(b, "device")) != 0 ||
	    strcmp(t.ap, ap->name) != 0)) {
		snprintf(line, sizeof(line), "the ticket was opened for device "
		    "%s at %s, not %s", t.device != NULL ? t.device : "?",
		    t.ap != NULL ? t.ap : "?", jstr(b, "device"));
		ticket_audit(h, AUDIT_EV_TICKET_REFUSE, AUDIT_OUTCOME_DENIED,
		    &t, peer->cn, "engineer", "request", line);
		hub_api_error(req, 409, "refused", line);
		goto out;
	}
	if ((r != 0 && (str_set(&t.id, id) != 0 ||
	    str_set(&t.state, "") != 0)) ||
	    str_set(&t.ap, ap->name) != 0 ||
	    str_set(&t.device, jstr(b, "device")) != 0 ||
	    str_set(&t.engineer, peer->cn) != 0 ||
	    str_set(&t.reason, jstr(b, "reason")) != 0 ||
	    str_set(&t.purpose, jstr(b, "purpose")) != 0) {
		hub_api_error(req, 500, "out of memory", NULL);
		goto out;
	}
	t.caps_requested = mask;
	t.duration_s = (int64_t)d;
	guard_init(&g, TACT_ENGINEER);
	g.has_reason = *jstr(b, "reason") != '\0';
	g.has_ticket_ref = 1;
	snprintf(line, sizeof(line), "%s%s (from %s)", emergency ?
	    "EMERGENCY: " : "", t.reason, source);
	if (ticket_step(h, &t, TEV_REQUEST, &g, peer->cn, line, &why) != 0) {
		hub_api_error(req, 403, "refused", why);
		goto out;
	}
	post_to_ap(h, ap->name, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:I,"
	    "s:s,s:s,s:b,s:I}", "op", "request", "ticket", t.id, "device",
	    t.device, "engineer", t.engineer, "engineer_fpr",
	    peer->fingerprint, "capabilities", capabilities_json(mask),
	    "duration_s", (json_int_t)d, "reason", t.reason, "purpose",
	    t.purpose, "emergency", emergency, "requested_ms",
	    (json_int_t)t.created_ms));
	reply_ticket(h, req, 201, &t);
 out:
	json_decref(b);
	store_ticket_clear(&t);
}

struct list_arg {
	json_t *a;
};

static int
list_cb(const struct store_ticket *t, void *arg)
{
	struct list_arg *l = arg;
	json_t *o;

	if (ticket_row_json(t, &o) != 0)
		return RSG_ERR_NOMEM;
	json_object_del(o, "grant");
	return json_array_append_new(l->a, o) != 0 ? RSG_ERR_NOMEM : 0;
}

static void
api_ticket_list(struct hub *h, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	struct list_arg l;
	enum ticket_state s;
	const char *st = NULL;
	json_t *o = NULL;

	TAILQ_INIT(&kv);
	if (q != NULL && evhttp_parse_query_str(q, &kv) == 0)
		st = evhttp_find_header(&kv, "state");
	if (st != NULL && ticket_state_parse(st, &s) != 0) {
		evhttp_clear_headers(&kv);
		hub_api_error(req, 400, "bad request", "unknown state");
		return;
	}
	l.a = json_array();
	if (l.a == NULL || store_ticket_foreach(h->store, st, list_cb,
	    &l) < 0 || (o = json_pack("{s:O}", "tickets", l.a)) == NULL) {
		json_decref(l.a);
		evhttp_clear_headers(&kv);
		hub_api_error(req, 500, "cannot list tickets", NULL);
		return;
	}
	json_decref(l.a);
	evhttp_clear_headers(&kv);
	hub_api_reply(req, 200, o);
}

static void
api_ticket_close(struct hub *h, struct evhttp_request *req,
    struct store_ticket *t, const struct tls_peer *peer)
{
	struct ticket_guard g;
	const char *why = NULL;
	char line[600];
	json_t *b = NULL;

	if (body_json(req, &b) != 0)
		return;
	if (strcmp(t->engineer, peer->cn) != 0) {
		ticket_audit(h, AUDIT_EV_TICKET_REFUSE, AUDIT_OUTCOME_DENIED,
		    t, peer->cn, "engineer", "close",
		    "only the requesting engineer may close a ticket");
		hub_api_error(req, 403, "refused", "only the requesting "
		    "engineer may close this ticket");
		goto out;
	}
	guard_init(&g, TACT_ENGINEER);
	snprintf(line, sizeof(line), "closed by %s%s%s", peer->cn,
	    *jstr(b, "reason") != '\0' ? ": " : "", jstr(b, "reason"));
	if (ticket_step(h, t, TEV_CLOSE, &g, peer->cn, line, &why) != 0) {
		hub_api_error(req, 409, "refused", why);
		goto out;
	}
	(void)cut_streams(h, t->id, NULL, line);
	post_to_ap(h, t->ap, json_pack("{s:s,s:s,s:s}", "op", "close",
	    "ticket", t->id, "reason", line));
	reply_ticket(h, req, 200, t);
 out:
	json_decref(b);
}

void
hub_api_tickets(struct hub *h, struct evhttp_request *req, const char *path,
    const struct tls_peer *peer, const char *source)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct store_ticket t;
	char id[STORE_TICKET_ID_MAX + 1];
	const char *p, *slash, *verb;
	size_t n;

	if (h->store == NULL) {
		hub_api_error(req, 503, "tickets unavailable", NULL);
		return;
	}
	if (strcmp(path, "/v1/tickets") == 0) {
		if (cmd == EVHTTP_REQ_POST)
			api_ticket_create(h, req, peer, source);
		else if (cmd == EVHTTP_REQ_GET)
			api_ticket_list(h, req);
		else
			hub_api_error(req, 405, "method not allowed", NULL);
		return;
	}
	p = path + strlen("/v1/tickets/");
	slash = strchr(p, '/');
	n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	verb = slash != NULL ? slash + 1 : "";
	memset(&t, 0, sizeof(t));
	if (n == 0 || n > STORE_TICKET_ID_MAX) {
		hub_api_error(req, 404, "no such ticket", NULL);
		return;
	}
	memcpy(id, p, n);
	id[n] = '\0';
	if (store_ticket_get(h->store, id, &t) != 0) {
		hub_api_error(req, 404, "no such ticket", id);
		return;
	}
	if (*verb == '\0' && cmd == EVHTTP_REQ_GET)
		reply_ticket(h, req, 200, &t);
	else if (strcmp(verb, "close") == 0 && cmd == EVHTTP_REQ_POST)
		api_ticket_close(h, req, &t, peer);
	else if (*verb == '\0' || strcmp(verb, "close") == 0)
		hub_api_error(req, 405, "method not allowed", NULL);
	else
		hub_api_error(req, 404, "not found", NULL);
	store_ticket_clear(&t);
}

/* ---- the API: engineers (administrators only) -------------------------------------- */

int
hub_engineer_deactivated(struct hub *h, const char *cn)
{
	struct rsg_buf *b;
	char key[STORE_META_KEY_MAX + 1];
	int r, off = 0;

	if (h->store == NULL)
		return 0;
	if ((size_t)snprintf(key, sizeof(key), "%s%s", DEACT_PREFIX, cn) >=
	    sizeof(key))
		return 1;	/* cannot be recorded: fail closed */
	if ((b = buf_new(STORE_META_VALUE_MAX)) == NULL)
		return 1;
	r = store_meta_get(h->store, key, b);
	if (r == RSG_ERR_NOT_FOUND)
		off = 0;
	else if (r != 0)
		off = 1;
	else
		off = buf_len(b) == 1 && *(const char *)buf_ptr(b) == '1';
	buf_free(b);
	return off;
}

void
hub_api_engineers(struct hub *h, struct evhttp_request *req, const char *path,
    const struct tls_peer *peer, const char *source)
{
	struct audit_record rec;
	struct hub_ap *ap;
	char key[STORE_META_KEY_MAX + 1], why[600], *name = NULL;
	const char *p = path + strlen("/v1/engineers/"), *slash, *verb;
	json_t *b = NULL;
	size_t n, cut;
	int deact, e;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		hub_api_error(req, 405, "method not allowed", NULL);
		return;
	}
	if ((slash = strrchr(p, '/')) == NULL || slash == p) {
		hub_api_error(req, 404, "not found", NULL);
		return;
	}
	verb = slash + 1;
	if (strcmp(verb, "deactivate") == 0)
		deact = 1;
	else if (strcmp(verb, "activate") == 0)
		deact = 0;
	else {
		hub_api_error(req, 404, "not found", NULL);
		return;
	}
	n = (size_t)(slash - p);
	if ((name = malloc(n + 1)) == NULL) {
		hub_api_error(req, 500, "out of memory", NULL);
		return;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	{
		char *dec = evhttp_uridecode(name, 0, NULL);

		free(name);
		name = dec;
	}
	if (name == NULL || !text_ok(name, 255) || *name == '\0' ||
	    (size_t)snprintf(key, sizeof(key), "%s%s", DEACT_PREFIX, name) >=
	    sizeof(key)) {
		hub_api_error(req, 400, "bad request", "bad engineer name");
		goto out;
	}
	if (body_json(req, &b) != 0)
		goto out;
	if (store_meta_set(h->store, key, deact ? "1" : "0", 1) != 0) {
		hub_api_error(req, 500, "cannot record the change", NULL);
		goto out;
	}
	snprintf(why, sizeof(why), "%s by administrator %s%s%s",
	    deact ? "deactivated" : "activated", peer->cn,
	    *jstr(b, "reason") != '\0' ? ": " : "", jstr(b, "reason"));
	memset(&rec, 0, sizeof(rec));
	rec.event = deact ? AUDIT_EV_ENGINEER_DEACTIVATE :
	    AUDIT_EV_ADMIN_ACTION;
	rec.outcome = AUDIT_OUTCOME_SUCCESS;
	rec.f[AUDIT_F_VENDOR] = h->name;
	rec.f[AUDIT_F_USER] = peer->cn;
	rec.f[AUDIT_F_ROLE] = "admin";
	rec.f[AUDIT_F_OBJECT] = name;
	rec.f[AUDIT_F_SOURCE] = source;
	rec.f[AUDIT_F_REASON] = why;
	if ((e = audit_append(h->audit, &rec)) != 0)
		log_error("cannot write the audit log: %s", rsg_strerror(e));
	cut = 0;
	if (deact) {
		cut = cut_streams(h, NULL, name, why);
		TAILQ_FOREACH(ap, &h->aps, entry)
			if (ap->outbox != NULL)
				post_to_ap(h, ap->name, json_pack("{s:s,s:s,"
				    "s:s}", "op", "revoke-engineer",
				    "engineer", name, "reason", why));
	}
	log_info("engineer \"%s\" %s; %zu relay stream(s) cut", name,
	    deact ? "deactivated" : "activated", cut);
	hub_api_reply(req, 200, json_pack("{s:s,s:b,s:I}", "engineer", name,
	    "active", !deact, "streams_cut", (json_int_t)cut));
 out:
	json_decref(b);
	free(name);
}

/* ---- start and stop ------------------------------------------------------------------ */

int
hub_ticket_start(struct hub *h, char *err, size_t errlen)
{
	const char *db = config_get_string(h->cfg, "audit_db");
	int r;

	if ((r = store_open(db, STORE_CREATE, &h->store)) != 0) {
		snprintf(err, errlen, "%s: cannot open the store: %s", db,
		    rsg_strerror(r));
		return r;
	}
	return pki_trust_load(config_get_string(h->cfg, "ca"),
	    config_get_string(h->cfg, "crl"), &h->trust, err, errlen);
}

void
hub_ticket_trust_reload(struct hub *h)
{
	struct pki_trust *t = NULL;
	char err[256];

	if (pki_trust_load(config_get_string(h->cfg, "ca"),
	    config_get_string(h->cfg, "crl"), &t, err, sizeof(err)) != 0) {
		log_error("grants: cannot reload the CA and CRL: %s", err);
		return;
	}
	pki_trust_free(h->trust);
	h->trust = t;
}

void
hub_ticket_stop(struct hub *h)
{
	struct hub_ap *ap;

	TAILQ_FOREACH(ap, &h->aps, entry) {
		outbox_free(ap->outbox);
		ap->outbox = NULL;
	}
	pki_trust_free(h->trust);
	h->trust = NULL;
	store_close(h->store);
	h->store = NULL;
}
