/*
 * ap-ticket.c: the hospital's side of the service workflow
 * (docs/WORKFLOW.md). The AP keeps its own record of every ticket that
 * touches its devices (R38: tickets and their history in its store), and
 * decides: a request the hub relays (TICKET op request) waits for an
 * administrator (`rsgate ap approve|deny`, admin socket), unless a
 * standing policy rule allows every requested capability, approval is
 * "none" (labs), or it is an emergency and emergency_access is on (R13:
 * granted at once, flagged, the hospital told at once, confirmed or
 * terminated afterwards). An approval may narrow the request, never widen
 * it; PHI capabilities need a purpose and an administrator, whatever the
 * rules above say (R29). The AP signs the grant with
 * its own key and sends it to the hub (DECISION, through the outbox).
 * `rsgate ap terminate` is the kill switch (R24). A 1 s timer ends
 * windows (expire) and checks idle streams (R25, R26).
 *
 * Every state change goes through ticket_transition(); a refused one is
 * logged and audited (ticket.refuse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "rsgate/config.h"
#include "rsgate/grant.h"
#include "rsgate/inventory.h"
#include "rsgate/outbox.h"
#include "rsgate/pki.h"
#include "rsgate/policy.h"
#include "rsgate/store.h"
#include "rsgate/workflow.h"

#include "ap.h"

#define EMERGENCY_APPROVER "policy:emergency"
#define TICKET_IDS_MAX 256	/* tickets handled per timer tick */
#define TICKET_DURATION_MAX_S (366 * 86400)	/* what a request may ask */

/* ---- audit and transitions ------------------------------------------------ */

static void
ticket_audit(struct ap *ap, enum audit_event ev, enum audit_outcome o,
    const struct store_ticket *t, const char *who, const char *role,
    const char *object, const char *reason)
{
	struct audit_record rec;
	char caps[128];

	if (capabilities_format(t->caps_granted != 0 ? t->caps_granted :
	    t->caps_requested, caps, sizeof(caps)) != 0)
		caps[0] = '\0';
	memset(&rec, 0, sizeof(rec));
	rec.event = ev;
	rec.outcome = o;
	rec.f[AUDIT_F_USER] = who;
	rec.f[AUDIT_F_ROLE] = role;
	rec.f[AUDIT_F_DEVICE] = t->device;
	rec.f[AUDIT_F_APPROVAL] = t->id;
	rec.f[AUDIT_F_CAPABILITY] = caps[0] != '\0' ? caps : NULL;
	rec.f[AUDIT_F_OBJECT] = object;
	rec.f[AUDIT_F_REASON] = reason;
	(void)ap_audit(ap, &rec);
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

/* The DECISION a transition reports, staged in the transition's commit. */
struct stage {
	struct ap *ap;
	json_t *body;
	struct outbox_staged st;
};

static int
stage_cb(void *arg)
{
	struct stage *sg = arg;

	return outbox_stage(sg->ap->outbox, CTL_DECISION, sg->body,
	    time_now_ms(), &sg->st);
}

/*
 * Move t by ev (the guard g, the actor's name who): the transition table
 * decides; the new row, its history step and, with decision (a DECISION
 * body for the hub, consumed), the outbox row that tells the hub are
 * stored in one transaction, then audited and the DECISION sent: the hub
 * hears of every decision the AP keeps, and of none it does not. A refusal
 * is logged and audited as ticket.refuse; *why says why. t is updated only
 * on success.
 */
static int
ticket_step_tell(struct ap *ap, struct store_ticket *t, enum ticket_event ev,
    const struct ticket_guard *g, const char *who, const char *detail,
    const char **why, json_t *decision)
{
	enum ticket_state from = TICKET_NONE, to;
	struct stage sg;
	const char *w = NULL;
	char obj[96], refuse[300];
	int r;

	memset(&sg, 0, sizeof(sg));
	sg.ap = ap;
	sg.body = decision;

	/* A state we cannot read is refused, never taken for a new ticket. */
	if ((r = ticket_state_stored(t->state, &from)) != 0)
		w = "the stored state is unknown";
	else
		r = ticket_transition(from, ev, g, &to, &w);
	if (r != 0) {
		snprintf(refuse, sizeof(refuse), "%s %s by %s refused: %s",
		    ticket_event_name(ev), t->id, who, w != NULL ? w : "");
		log_info("ticket %s", refuse);
		ticket_audit(ap, AUDIT_EV_TICKET_REFUSE, AUDIT_OUTCOME_DENIED,
		    t, who, ticket_actor_name(g->actor),
		    ticket_event_name(ev), w);
		if (why != NULL)
			*why = w != NULL ? w : "refused";
		json_decref(decision);
		return r;
	}
	if ((r = ticket_store_step(ap->store, t, ev, from, to, g, who, detail,
	    0, decision != NULL ? stage_cb : NULL, &sg)) != 0) {
		log_error("ticket %s: cannot store: %s", t->id, rsg_strerror(r));
		if (why != NULL)
			*why = "cannot store the ticket";
		outbox_discard(&sg.st);
		json_decref(decision);
		return r;
	}
	outbox_release(ap->outbox, &sg.st);
	json_decref(decision);
	snprintf(obj, sizeof(obj), "%s -> %s", ticket_state_name(from),
	    ticket_state_name(to));
	ticket_audit(ap, ticket_event_audit(ev), AUDIT_OUTCOME_SUCCESS, t, who,
	    ticket_actor_name(g->actor), obj, detail);
	log_info("ticket %s: %s (%s by %s)", t->id, obj,
	    ticket_event_name(ev), who);
	return 0;
}

/* A transition the hub hears of by other means (or not at all). */
static int
ticket_step(struct ap *ap, struct store_ticket *t, enum ticket_event ev,
    const struct ticket_guard *g, const char *who, const char *detail,
    const char **why)
{
	return ticket_step_tell(ap, t, ev, g, who, detail, why, NULL);
}

/* ticket_step_tell, with a body json_pack may have failed to make. */
static int
ticket_step_post(struct ap *ap, struct store_ticket *t, enum ticket_event ev,
    const struct ticket_guard *g, const char *who, const char *detail,
    const char **why, json_t *decision)
{
	if (decision == NULL) {
		log_error("ticket %s: %s: out of memory", t->id,
		    ticket_event_name(ev));
		if (why != NULL)
			*why = "out of memory";
		return RSG_ERR_NOMEM;
	}
	return ticket_step_tell(ap, t, ev, g, who, detail, why, decision);
}

static void
guard_init(struct ticket_guard *g, enum ticket_actor actor)
{
	memset(g, 0, sizeof(*g));
	g->actor = actor;
	g->now_ms = time_now_ms();
}

static enum ticket_state
state_of(const struct store_ticket *t)
{
	enum ticket_state s;

	if (t->state == NULL || ticket_state_parse(t->state, &s) != 0)
		return TICKET_NONE;
	return s;
}

static int
unconfirmed(const struct store_ticket *t)
{
	return t->emergency && t->approver != NULL &&
	    strcmp(t->approver, EMERGENCY_APPROVER) == 0 &&
	    ticket_state_allows_streams(state_of(t));
}

/* ---- messages to the hub --------------------------------------------------- */

static int
outbox_send_cb(uint16_t type, uint32_t id, const json_t *body, void *arg)
{
	struct ap *ap = arg;
	struct ctl_msg m;

	if (ap->ctl == NULL || !ap->hello_done)
		return RSG_ERR_IO;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.id = id;
	m.u.json.body = (json_t *)(uintptr_t)body;
	ap_ctl_send(ap, &m);
	return ap->ctl != NULL ? 0 : RSG_ERR_IO;
}

static void
outbox_ack_cb(uint16_t type, const json_t *sent, const json_t *ack,
    void *arg)
{
	const char *e = json_string_value(json_object_get(ack, "error"));
	char q[300];

	if (type == CTL_ALERT) {
		ap_alert_acked(arg, sent, ack);
		return;
	}
	if (e != NULL)
		log_warn("the hub refused %s %s for ticket %s: %s",
		    ctl_type_name(type), json_string_value(json_object_get(
		    sent, "op")) != NULL ? json_string_value(json_object_get(
		    sent, "op")) : "", json_string_value(json_object_get(
		    sent, "ticket")) != NULL ? json_string_value(
		    json_object_get(sent, "ticket")) : "",
		    str_escape(e, q, sizeof(q)));
}

/*
 * Grant t: window from now for duration_s (capped by max_session), sign
 * the grant, move the ticket (approve), send the grant to the hub.
 */
static int
ticket_grant(struct ap *ap, struct store_ticket *t, unsigned caps,
    int64_t duration_s, const char *purpose, const char *approver,
    struct ticket_guard *g, int emergency, const char *detail,
    const char **why)
{
	struct grant gr;
	struct rsg_buf *doc = NULL;
	struct store_ticket save = *t;
	char *docs = NULL;
	int r;

	if (duration_s > ap->max_session_s)
		duration_s = ap->max_session_s;
	memset(&gr, 0, sizeof(gr));
	if (str_copy(gr.ticket, sizeof(gr.ticket), t->id) != 0 ||
	    str_copy(gr.ap, sizeof(gr.ap), ap->name) != 0 ||
	    str_copy(gr.device, sizeof(gr.device), t->device) != 0 ||
	    str_copy(gr.engineer, sizeof(gr.engineer), t->engineer) != 0 ||
	    str_copy(gr.purpose, sizeof(gr.purpose), purpose) != 0 ||
	    str_copy(gr.approver, sizeof(gr.approver), approver) != 0) {
		*why = "a name is too long for a grant";
		return RSG_ERR_LIMIT;
	}
	gr.caps = caps;
	/* A confirmation keeps the window the emergency grant opened. */
	gr.not_before_ms = t->not_before_ms > 0 ? t->not_before_ms : g->now_ms;
	gr.not_after_ms = t->not_after_ms > 0 ? t->not_after_ms :
	    g->now_ms + duration_s * 1000;
	if (gr.not_after_ms > gr.not_before_ms + ap->max_session_s * 1000)
		gr.not_after_ms = gr.not_before_ms + ap->max_session_s * 1000;
	gr.emergency = emergency;
	gr.issued_ms = g->now_ms;
	gr.idle_timeout_s = ap->idle_timeout_s;
	gr.sessions_per_device = (int64_t)ap->sessions_per_device;
	if ((r = grant_sign(&gr, ap->sign_key, ap->sign_cert, &doc)) != 0 ||
	    (docs = buf_dup_cstring(doc)) == NULL) {
		buf_free(doc);
		*why = "cannot sign the grant";
		return r != 0 ? r : RSG_ERR_NOMEM;
	}
	buf_free(doc);
	/* The fields change with the step; restore them if it is refused. */
	save.purpose = t->purpose;
	save.approver = t->approver;
	save.grant_doc = t->grant_doc;
	t->purpose = t->approver = NULL;
	if (str_set(&t->purpose, purpose) != 0 ||
	    str_set(&t->approver, approver) != 0) {
		free(t->purpose);
		free(t->approver);
		t->purpose = save.purpose;
		t->approver = save.approver;
		free(docs);
		*why = "out of memory";
		return RSG_ERR_NOMEM;
	}
	t->grant_doc = docs;
	t->caps_granted = caps;
	t->not_before_ms = gr.not_before_ms;
	t->not_after_ms = gr.not_after_ms;
	t->emergency = emergency;
	if ((r = ticket_step_post(ap, t, TEV_APPROVE, g, approver, detail,
	    why, json_pack("{s:s,s:s,s:s}", "op", "approve", "ticket", t->id,
	    "grant", t->grant_doc))) != 0) {
		free(t->purpose);
		free(t->approver);
		free(t->grant_doc);
		t->purpose = save.purpose;
		t->approver = save.approver;
		t->grant_doc = save.grant_doc;
		t->caps_granted = save.caps_granted;
		t->not_before_ms = save.not_before_ms;
		t->not_after_ms = save.not_after_ms;
		t->emergency = save.emergency;
		return r;
	}
	free(save.purpose);
	free(save.approver);
	free(save.grant_doc);
	return 0;
}

/* End t's streams and tell the hub (terminate, expire). */
static void
ticket_end_streams(struct ap *ap, const struct store_ticket *t,
    const char *reason)
{
	size_t n = ap_stream_close_match(ap, t->id, NULL, reason);

	/* A collect is data leaving the device too: it ends with them. */
	n += ap_vault_collect_abort(ap, t->id, NULL, reason);

	if (n > 0)
		log_info("ticket %s: %zu stream(s) ended: %s", t->id, n,
		    reason);
}

/* ---- the hub's TICKET messages ---------------------------------------------- */

static void
send_ack(struct ap *ap, uint32_t id, const char *error)
{
	struct ctl_msg m;
	json_t *b;

	b = error == NULL ? json_pack("{s:b}", "ok", 1) :
	    json_pack("{s:s}", "error", error);
	if (b == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.type = CTL_ACK;
	m.id = id;
	m.u.json.body = b;
	ap_ctl_send(ap, &m);
	json_decref(b);
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* Whether a standing policy rule allows engineer every capability now. */
static int
policy_allows(struct ap *ap, const struct store_ticket *t, const char *fpr,
    unsigned caps, char *approver, size_t alen, uint64_t *max_secs)
{
	struct policy_request req;
	struct policy_decision dec;
	uint64_t lim = UINT64_MAX;
	size_t rule = 0;
	unsigned bit;

	for (bit = 1; bit <= CAP_ALL; bit <<= 1) {
		if ((caps & bit) == 0)
			continue;
		memset(&req, 0, sizeof(req));
		memset(&dec, 0, sizeof(dec));
		req.engineer_cn = t->engineer;
		req.engineer_fpr_hex = fpr;
		req.device = t->device;
		req.service = capability_name((enum capability)bit);
		req.now = time_now_ms() / 1000;
		if (policy_check(ap->pol, &req, &dec) != 0 || !dec.allowed)
			return 0;
		if (dec.max_secs > 0 && dec.max_secs < lim)
			lim = dec.max_secs;
		rule = dec.rule;
	}
	snprintf(approver, alen, "policy:rule %zu", rule + 1);
	*max_secs = lim;
	return 1;
}

/* A request refused before it became a ticket: logged and audited too. */
static const char *
request_refuse(struct ap *ap, const json_t *b, const char *why)
{
	struct store_ticket t;

	memset(&t, 0, sizeof(t));
	t.id = (char *)(uintptr_t)jstr(b, "ticket");
	t.device = (char *)(uintptr_t)jstr(b, "device");
	log_info("ticket request %s from the hub refused: %s", t.id, why);
	ticket_audit(ap, AUDIT_EV_TICKET_REFUSE, AUDIT_OUTCOME_DENIED, &t,
	    jstr(b, "engineer"), "engineer", "request", why);
	return why;
}

static const char *
ticket_request(struct ap *ap, const json_t *b)
{
	struct store_ticket t;
	struct ticket_guard g;
	const json_t *caps, *c, *dur;
	const char *why = NULL, *id = jstr(b, "ticket");
	const char *fpr = jstr(b, "engineer_fpr");
	char approver[64], capstr[128], line[600];
	unsigned mask = 0, bit;
	uint64_t maxs = 0;
	size_t i;
	int emergency, r, exists, phi;

	memset(&t, 0, sizeof(t));
	caps = json_object_get(b, "capabilities");
	dur = json_object_get(b, "duration_s");
	emergency = json_is_true(json_object_get(b, "emergency"));
	if (*id == '\0' || strlen(id) > STORE_TICKET_ID_MAX ||
	    *jstr(b, "device") == '\0' || *jstr(b, "engineer") == '\0' ||
	    !json_is_array(caps) || !json_is_integer(dur) ||
	    json_integer_value(dur) < 1 ||
	    json_integer_value(dur) > TICKET_DURATION_MAX_S)
		return request_refuse(ap, b, "malformed ticket request");
	json_array_foreach(caps, i, c) {
		if (capability_parse(json_string_value(c), &bit) != 0)
			return request_refuse(ap, b, "unknown capability");
		mask |= bit;
	}
	if (mask == 0)
		return request_refuse(ap, b, "no capabilities requested");
	if (inventory_device_find(ap->inv, jstr(b, "device")) == NULL)
		return request_refuse(ap, b,
		    "the device is not served by this access point");
	r = store_ticket_get(ap->store, id, &t);
	if (r != 0 && r != RSG_ERR_NOT_FOUND)
		return "cannot read the ticket";
	exists = r == 0;
	if (exists && state_of(&t) != TICKET_NOTIFIED) {
		/* A repeat of a request we have (the outbox resends). */
		r = strcmp(t.engineer, jstr(b, "engineer")) == 0 &&
		    strcmp(t.device, jstr(b, "device")) == 0;
		store_ticket_clear(&t);
		return r ? NULL : request_refuse(ap, b,
		    "the ticket exists for another request");
	}
	if ((!exists && (str_set(&t.id, id) != 0 ||
	    str_set(&t.state, "") != 0)) ||
	    str_set(&t.ap, ap->name) != 0 ||
	    str_set(&t.device, jstr(b, "device")) != 0 ||
	    str_set(&t.engineer, jstr(b, "engineer")) != 0 ||
	    str_set(&t.reason, jstr(b, "reason")) != 0 ||
	    str_set(&t.purpose, jstr(b, "purpose")) != 0) {
		store_ticket_clear(&t);
		return "out of memory";
	}
	t.caps_requested = mask;
	t.duration_s = (int64_t)json_integer_value(dur);
	guard_init(&g, TACT_ENGINEER);
	g.has_reason = t.reason[0] != '\0';
	g.has_ticket_ref = 1;
	if (ticket_step(ap, &t, TEV_REQUEST, &g, t.engineer, emergency ?
	    "EMERGENCY request" : t.reason, &why) != 0) {
		store_ticket_clear(&t);
		return why;
	}
	if (capabilities_format(mask, capstr, sizeof(capstr)) != 0)
		capstr[0] = '\0';
	/* Who decides: emergency rule, lab mode, standing policy, a person. */
	guard_init(&g, TACT_POLICY);
	g.narrows = 1;
	g.phi_purpose_ok = (mask & CAP_PHI_MASK) == 0 || t.purpose[0] != '\0';
	/* Patient data is never granted by a rule, only by a person (R29). */
	g.grants_phi = phi = (mask & CAP_PHI_MASK) != 0;
	if (phi) {
		printf("ticket %s: \"%s\" requests %s (%s) for %llds%s: "
		    "patient data, waiting for an administrator's approval "
		    "(R29)\n", t.id, t.engineer, t.device, capstr,
		    (long long)t.duration_s, emergency ? " [EMERGENCY]" : "");
		fflush(stdout);
	} else if (emergency && ap->emergency_access) {
		snprintf(line, sizeof(line), "EMERGENCY access granted at once "
		    "to \"%s\" on %s (%s) for ticket %s; confirm with `rsgate "
		    "ap approve %s` or end it with `rsgate ap terminate %s`",
		    t.engineer, t.device, capstr, t.id, t.id, t.id);
		if (ticket_grant(ap, &t, mask, t.duration_s, t.purpose,
		    EMERGENCY_APPROVER, &g, 1, line, &why) == 0) {
			log_warn("%s", line);
			printf("%s\n", line);
			fflush(stdout);
			ticket_audit(ap, AUDIT_EV_ADMIN_ACTION,
			    AUDIT_OUTCOME_SUCCESS, &t, EMERGENCY_APPROVER,
			    "policy", "emergency access: hospital notified",
			    line);
		}
	} else if (ap->approval_none) {
		(void)ticket_grant(ap, &t, mask, t.duration_s, t.purpose,
		    "policy:approval=none", &g, 0, "approval none (lab mode)",
		    &why);
	} else if (policy_allows(ap, &t, fpr, mask, approver,
	    sizeof(approver), &maxs)) {
		(void)ticket_grant(ap, &t, mask, (uint64_t)t.duration_s < maxs ?
		    t.duration_s : (int64_t)maxs, t.purpose, approver, &g, 0,
		    "standing policy allows every capability", &why);
	} else {
		printf("ticket %s: \"%s\" requests %s (%s) for %llds%s: "
		    "waiting for approval\n", t.id, t.engineer, t.device,
		    capstr, (long long)t.duration_s, emergency ?
		    " [EMERGENCY, emergency_access off]" : "");
		fflush(stdout);
	}
	store_ticket_clear(&t);
	return NULL;
}

static const char *
ticket_close(struct ap *ap, const json_t *b)
{
	struct store_ticket t;
	struct ticket_guard g;
	const char *why = NULL, *reason = jstr(b, "reason");
	char line[300];

	int r;

	memset(&t, 0, sizeof(t));
	snprintf(line, sizeof(line), "closed at the hub: %s",
	    *reason != '\0' ? reason : "closed");
	/* Whatever the store says, the ticket's streams end now. */
	if (*jstr(b, "ticket") != '\0') {
		(void)ap_stream_close_match(ap, jstr(b, "ticket"), NULL, line);
		(void)ap_vault_collect_abort(ap, jstr(b, "ticket"), NULL,
		    line);
	}
	if ((r = store_ticket_get(ap->store, jstr(b, "ticket"), &t)) ==
	    RSG_ERR_NOT_FOUND)
		return NULL;	/* not ours or never seen: nothing to close */
	if (r != 0)
		return "cannot read the ticket";	/* the hub resends */
	if (ticket_state_is_final(state_of(&t))) {
		store_ticket_clear(&t);
		return NULL;	/* a repeat, or the AP ended it first */
	}
	guard_init(&g, TACT_HUB);
	if (ticket_step(ap, &t, TEV_CLOSE, &g, "hub", line, &why) != 0) {
		store_ticket_clear(&t);
		return why;
	}
	ticket_end_streams(ap, &t, line);
	store_ticket_clear(&t);
	return NULL;
}

struct collect {
	char *ids[TICKET_IDS_MAX];
	size_t n;
	const char *engineer;	/* filter, or NULL */
};

static int
collect_cb(const struct store_ticket *t, void *arg)
{
	struct collect *c = arg;

	if (c->n >= TICKET_IDS_MAX)
		return 1;
	if (c->engineer != NULL && strcmp(t->engineer, c->engineer) != 0)
		return 0;
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

/* Terminate t (kill switch, revocation): streams first, then the state. */
static int
ticket_terminate(struct ap *ap, struct store_ticket *t, enum ticket_actor a,
    const char *who, const char *reason, const char **why)
{
	struct ticket_guard g;
	char line[600];
	int r;

	guard_init(&g, a);
	snprintf(line, sizeof(line), "terminated by %s: %s", who, reason);
	/* The kill switch holds even if the state cannot be stored (R24). */
	ticket_end_streams(ap, t, line);
	r = ticket_step_post(ap, t, TEV_TERMINATE, &g, who, line, why,
	    json_pack("{s:s,s:s,s:s,s:s}", "op", "terminate", "ticket", t->id,
	    "reason", reason, "by", who));
	if (r == 0 || r == RSG_ERR_STATE || r == RSG_ERR_PERM)
		return r;
	/*
	 * The message to the hub could not be made or stored with it: the
	 * termination must still hold here (no new stream may open), so it
	 * is stored alone and the hub learns of it when its own record
	 * ends (close or expiry).
	 */
	log_error("ticket %s: terminated without telling the hub (%s)", t->id,
	    rsg_strerror(r));
	return ticket_step(ap, t, TEV_TERMINATE, &g, who, line, why);
}

static const char *
ticket_revoke(struct ap *ap, const json_t *b)
{
	static const char *const live[] = { "requested", "approved",
		"active" };
	struct collect c;
	struct store_ticket t;
	const char *eng = jstr(b, "engineer"), *why;
	char reason[400];
	size_t i, k, n;

	if (*eng == '\0')
		return "malformed revoke-engineer";
	snprintf(reason, sizeof(reason), "engineer deactivated at the hub: "
	    "%s", *jstr(b, "reason") != '\0' ? jstr(b, "reason") :
	    "deactivated");
	n = ap_stream_close_match(ap, NULL, eng, reason);
	n += ap_vault_collect_abort(ap, NULL, eng, reason);
	log_info("engineer \"%s\" deactivated by the hub: %zu stream(s) "
	    "ended", eng, n);
	for (k = 0; k < 3; k++) {
		memset(&c, 0, sizeof(c));
		c.engineer = eng;
		if (store_ticket_foreach(ap->store, live[k], collect_cb,
		    &c) < 0) {
			collect_free(&c);
			return "cannot read tickets";
		}
		for (i = 0; i < c.n; i++) {
			memset(&t, 0, sizeof(t));
			if (store_ticket_get(ap->store, c.ids[i], &t) == 0)
				(void)ticket_terminate(ap, &t, TACT_HUB, "hub",
				    reason, &why);
			store_ticket_clear(&t);
		}
		collect_free(&c);
	}
	return NULL;
}

void
ap_ticket_message(struct ap *ap, const struct ctl_msg *m)
{
	const json_t *b = m->u.json.body;
	const char *op = jstr(b, "op"), *err;

	if (ap->store == NULL)
		err = "this access point keeps no tickets";
	else if (strcmp(op, "request") == 0)
		err = ticket_request(ap, b);
	else if (strcmp(op, "close") == 0)
		err = ticket_close(ap, b);
	else if (strcmp(op, "revoke-engineer") == 0)
		err = ticket_revoke(ap, b);
	else
		err = "unknown TICKET op";
	send_ack(ap, m->id, err);
}

void
ap_ticket_ack(struct ap *ap, const struct ctl_msg *m)
{
	int r;

	if (ap->outbox != NULL && (r = outbox_ack(ap->outbox, m->id,
	    m->u.json.body)) != 0 && r != RSG_ERR_NOT_FOUND)
		log_error("outbox: cannot record an ACK: %s", rsg_strerror(r));
}

int
ap_ticket_purged(struct ap *ap, const char *ticket, const char *detail)
{
	struct store_ticket t;
	struct ticket_guard g;
	const char *why = NULL;
	char line[300];
	int r;

	if (ap->store == NULL)
		return 0;
	memset(&t, 0, sizeof(t));
	if ((r = store_ticket_get(ap->store, ticket, &t)) == RSG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	if (state_of(&t) == TICKET_PURGED)
		goto out;	/* a resend of the certificate */
	if (!ticket_state_is_final(state_of(&t))) {
		/* The hub ended it (its close may still be on its way). */
		snprintf(line, sizeof(line), "closed: the hub certified the "
		    "deletion of the ticket's evidence");
		ticket_end_streams(ap, &t, line);
		guard_init(&g, TACT_HUB);
		if ((r = ticket_step(ap, &t, TEV_CLOSE, &g, "hub", line,
		    &why)) != 0)
			goto out;
	}
	guard_init(&g, TACT_HUB);
	g.evidence_destroyed = 1;
	r = ticket_step(ap, &t, TEV_PURGE, &g, "hub", detail, &why);
 out:
	store_ticket_clear(&t);
	/* A refusal is audited by ticket_step; only a store error retries. */
	return r == RSG_ERR_STATE || r == RSG_ERR_PERM ? 0 : r;
}

struct outbox *
ap_outbox(struct ap *ap)
{
	return ap->outbox;
}

void
ap_ticket_connected(struct ap *ap)
{
	int r;

	if (ap->outbox != NULL && (r = outbox_connected(ap->outbox)) != 0)
		log_error("outbox: cannot resend: %s", rsg_strerror(r));
}

void
ap_ticket_disconnected(struct ap *ap)
{
	if (ap->outbox != NULL)
		outbox_disconnected(ap->outbox);
}

/* ---- streams under a ticket ------------------------------------------------- */

static int
busy_on_device(struct ap *ap, const char *device)
{
	json_t *a = ap_stream_list(ap), *s;
	size_t i;
	int n = 0;

	if (a == NULL)
		return INT32_MAX;	/* fail closed */
	json_array_foreach(a, i, s) {
		if (strcmp(jstr(s, "device"), device) == 0 &&
		    *jstr(s, "ticket") != '\0')
			n++;
	}
	json_decref(a);
	return n;
}

int
ap_ticket_stream_check(struct ap *ap, const char *ticket,
    const char *engineer, const char *device, const char *service,
    int64_t *not_after_ms, int64_t *idle_s, uint32_t *code, char *reason,
    size_t rlen)
{
	struct store_ticket t;
	struct ticket_guard g;
	enum ticket_state s;
	const char *why = NULL;
	unsigned bit = 0;
	int64_t now = time_now_ms();
	int r = RSG_ERR_PERM;

	memset(&t, 0, sizeof(t));
	*code = CTL_E_DENIED;
	if (ap->store == NULL || store_ticket_get(ap->store, ticket,
	    &t) != 0) {
		snprintf(reason, rlen, "ticket %s is not known at this access "
		    "point", ticket);
		return RSG_ERR_PERM;
	}
	s = state_of(&t);
	if (!ticket_state_allows_streams(s))
		snprintf(reason, rlen, "ticket %s is %s", ticket, t.state);
	else if (strcmp(t.engineer, engineer) != 0)
		snprintf(reason, rlen, "ticket %s was granted to another "
		    "engineer", ticket);
	else if (strcmp(t.device, device) != 0)
		snprintf(reason, rlen, "ticket %s grants device %s, not %s",
		    ticket, t.device, device);
	else if (capability_parse(service, &bit) != 0 ||
	    (t.caps_granted & bit) == 0)
		snprintf(reason, rlen, "ticket %s does not grant %s on %s",
		    ticket, service, device);
	else if (now < t.not_before_ms || now >= t.not_after_ms)
		snprintf(reason, rlen, "outside the window granted by ticket "
		    "%s", ticket);
	else if ((size_t)busy_on_device(ap, device) >=
	    ap->sessions_per_device) {
		*code = CTL_E_BUSY;
		snprintf(reason, rlen, "device %s already has %zu session(s) "
		    "(sessions_per_device)", device, ap->sessions_per_device);
	} else
		r = 0;
	if (r == 0 && s == TICKET_APPROVED) {
		guard_init(&g, TACT_AP);
		g.not_after_ms = t.not_after_ms;
		if (ticket_step(ap, &t, TEV_ACTIVATE, &g, engineer,
		    "first stream under the grant", &why) != 0) {
			snprintf(reason, rlen, "ticket %s: %s", ticket, why);
			r = RSG_ERR_PERM;
		}
	}
	if (r == 0) {
		*not_after_ms = t.not_after_ms;
		*idle_s = ap->idle_timeout_s;
		snprintf(reason, rlen, "granted by ticket %s (approver %s) "
		    "until the window ends", ticket, t.approver);
	}
	store_ticket_clear(&t);
	return r;
}

/* ---- the timer -------------------------------------------------------------------- */

static void
ticket_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char *const live[] = { "requested", "approved",
		"active" };
	struct ap *ap = arg;
	struct collect c;
	struct store_ticket t;
	struct ticket_guard g;
	const char *why;
	int64_t now = time_now_ms();
	size_t i, k;

	(void)fd;
	(void)what;
	ap_stream_tick(ap);
	for (k = 0; k < 3; k++) {
		memset(&c, 0, sizeof(c));
		if (store_ticket_foreach(ap->store, live[k], collect_cb,
		    &c) < 0) {
			collect_free(&c);
			return;
		}
		for (i = 0; i < c.n; i++) {
			memset(&t, 0, sizeof(t));
			if (store_ticket_get(ap->store, c.ids[i], &t) != 0)
				continue;
			/* A request waits for the length it asked for. */
			if ((k == 0 && now >= t.created_ms + t.duration_s *
			    1000) || (k > 0 && now >= t.not_after_ms)) {
				guard_init(&g, TACT_AP);
				g.not_after_ms = k == 0 ? now : t.not_after_ms;
				if (ticket_step_post(ap, &t, TEV_EXPIRE, &g,
				    ap->name, "the window ended", &why,
				    json_pack("{s:s,s:s}", "op", "expire",
				    "ticket", t.id)) == 0)
					ticket_end_streams(ap, &t,
					    "the ticket's window ended");
			}
			store_ticket_clear(&t);
		}
		collect_free(&c);
	}
}

/* ---- the admin socket's ticket routes ------------------------------------------- */

struct list_arg {
	json_t *a;
	int pending;
};

static int
list_cb(const struct store_ticket *t, void *arg)
{
	struct list_arg *l = arg;
	json_t *o;

	if (l->pending && state_of(t) != TICKET_REQUESTED &&
	    !unconfirmed(t))
		return 0;
	if (ticket_row_json(t, &o) != 0)
		return RSG_ERR_NOMEM;
	json_object_set_new(o, "unconfirmed", json_boolean(unconfirmed(t)));
	return json_array_append_new(l->a, o) != 0 ? RSG_ERR_NOMEM : 0;
}

static void
admin_list(struct ap *ap, struct evhttp_request *req, const char *path,
    const char *query, const struct ap_admin_caller *who)
{
	struct list_arg l;
	enum ticket_state s;
	char state[32];
	const char *st;
	json_t *o;

	(void)path;
	(void)who;
	st = ap_admin_query(query, "state", state, sizeof(state));
	memset(&l, 0, sizeof(l));
	if (st != NULL && strcmp(st, "pending") == 0) {
		l.pending = 1;
		st = NULL;
	} else if (st != NULL && ticket_state_parse(st, &s) != 0) {
		ap_admin_error(req, 400, "bad request", "unknown state");
		return;
	}
	if ((l.a = json_array()) == NULL ||
	    store_ticket_foreach(ap->store, st, list_cb, &l) < 0 ||
	    (o = json_pack("{s:o}", "tickets", l.a)) == NULL) {
		ap_admin_error(req, 500, "cannot list tickets", NULL);
		return;
	}
	ap_admin_reply(req, 200, o);
}

/* "/v1/tickets/T[/verb]" into T and verb (""). */
static int
split_path(const char *path, char *id, size_t idlen, const char **verb)
{
	const char *p = path + strlen("/v1/tickets/"), *slash;
	size_t n;

	if (strncmp(path, "/v1/tickets/", 12) != 0)
		return RSG_ERR_NOT_FOUND;
	slash = strchr(p, '/');
	n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= idlen || n > STORE_TICKET_ID_MAX)
		return RSG_ERR_NOT_FOUND;
	memcpy(id, p, n);
	id[n] = '\0';
	*verb = slash != NULL ? slash + 1 : "";
	return 0;
}

static void
reply_ticket(struct evhttp_request *req, int code,
    const struct store_ticket *t, struct store *s)
{
	json_t *o;

	if (ticket_row_json(t, &o) != 0) {
		ap_admin_error(req, 500, "out of memory", NULL);
		return;
	}
	json_object_set_new(o, "unconfirmed", json_boolean(unconfirmed(t)));
	ticket_history_json(s, t->id, o);
	ap_admin_reply(req, code, o);
}

static void
admin_show(struct ap *ap, struct evhttp_request *req, const char *path,
    const char *query, const struct ap_admin_caller *who)
{
	struct store_ticket t;
	const char *verb;
	char id[STORE_TICKET_ID_MAX + 1];

	(void)query;
	(void)who;
	memset(&t, 0, sizeof(t));
	if (split_path(path, id, sizeof(id), &verb) != 0 || *verb != '\0' ||
	    store_ticket_get(ap->store, id, &t) != 0) {
		ap_admin_error(req, 404, "no such ticket", NULL);
		return;
	}
	reply_ticket(req, 200, &t, ap->store);
	store_ticket_clear(&t);
}

/* A duration from the body: "2h" or seconds; 0 when absent. */
static int
body_duration(const json_t *b, int64_t *out)
{
	const json_t *v = json_object_get(b, "duration");
	uint64_t d;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && parse_duration(json_string_value(v), 1,
	    365 * 86400, &d) == 0) {
		*out = (int64_t)d;
		return 0;
	}
	return RSG_ERR_FORMAT;
}

static void
admin_act(struct ap *ap, struct evhttp_request *req, const char *path,
    const char *query, const struct ap_admin_caller *who)
{
	struct store_ticket t;
	struct ticket_guard g;
	const json_t *capv;
	const char *verb, *why = NULL, *purpose, *reason;
	char id[STORE_TICKET_ID_MAX + 1], by[96], detail[600];
	json_t *b = NULL;
	unsigned caps;
	int64_t dur, maxdur;
	int r, confirm;

	(void)query;
	memset(&t, 0, sizeof(t));
	if (split_path(path, id, sizeof(id), &verb) != 0 ||
	    store_ticket_get(ap->store, id, &t) != 0) {
		ap_admin_error(req, 404, "no such ticket", NULL);
		return;
	}
	if (ap_admin_body(req, &b) != 0)
		goto out;
	snprintf(by, sizeof(by), "%s", who->name);
	reason = jstr(b, "reason");
	if (strcmp(verb, "approve") == 0 && !unconfirmed(&t) &&
	    ticket_state_allows_streams(state_of(&t))) {
		/*
		 * A grant stands as issued: approving it again would re-sign
		 * it with everything first requested (R27). Only an
		 * emergency grant is approved a second time (confirmed).
		 */
		why = "the ticket is already approved";
		ticket_audit(ap, AUDIT_EV_TICKET_REFUSE, AUDIT_OUTCOME_DENIED,
		    &t, by, "hospital", "approve", why);
		ap_admin_error(req, 409, "refused", why);
		goto out;
	}
	if (strcmp(verb, "approve") == 0) {
		confirm = unconfirmed(&t);
		caps = confirm ? t.caps_granted : t.caps_requested;
		capv = json_object_get(b, "capabilities");
		if (json_is_string(capv) && capabilities_parse(
		    json_string_value(capv), &caps) != 0) {
			ap_admin_error(req, 400, "bad request",
			    "unknown capability");
			goto out;
		}
		if (body_duration(b, &dur) != 0) {
			ap_admin_error(req, 400, "bad request",
			    "bad duration");
			goto out;
		}
		/*
		 * A confirmation keeps the emergency window: a length given
		 * with it would be ignored, so it is refused instead.
		 */
		if (confirm && dur != 0) {
			ap_admin_error(req, 409, "refused", "a confirmation "
			    "keeps the emergency window; to end it sooner use "
			    "`rsgate ap terminate`");
			goto out;
		}
		/* The request's length, or the emergency grant's window. */
		maxdur = confirm ? (t.not_after_ms - t.not_before_ms) / 1000 :
		    t.duration_s;
		if (dur == 0)
			dur = maxdur;
		purpose = *jstr(b, "purpose") != '\0' ? jstr(b, "purpose") :
		    t.purpose;
		guard_init(&g, TACT_HOSPITAL);
		/* Never wider than asked (or than the emergency grant). */
		g.narrows = (caps & ~(confirm ? t.caps_granted :
		    t.caps_requested)) == 0 && caps != 0 && dur <= maxdur;
		/* PHI needs a purpose the approval names (R29). */
		g.phi_purpose_ok = (caps & CAP_PHI_MASK) == 0 ||
		    *jstr(b, "purpose") != '\0';
		g.grants_phi = (caps & CAP_PHI_MASK) != 0;
		snprintf(detail, sizeof(detail), "%s by %s%s%s",
		    confirm ? "emergency access confirmed" : "approved", by,
		    *purpose != '\0' ? "; purpose: " : "", purpose);
		r = ticket_grant(ap, &t, caps, dur, purpose, by, &g,
		    confirm ? 1 : 0, detail, &why);
	} else if (strcmp(verb, "deny") == 0) {
		guard_init(&g, TACT_HOSPITAL);
		g.has_reason = *reason != '\0';
		snprintf(detail, sizeof(detail), "denied by %s: %s", by,
		    reason);
		r = ticket_step_post(ap, &t, TEV_DENY, &g, by, detail, &why,
		    json_pack("{s:s,s:s,s:s,s:s}", "op", "deny", "ticket", t.id,
		    "reason", reason, "by", by));
	} else if (strcmp(verb, "terminate") == 0) {
		r = ticket_terminate(ap, &t, TACT_HOSPITAL, by,
		    *reason != '\0' ? reason : "kill switch", &why);
	} else {
		ap_admin_error(req, 404, "not found", NULL);
		goto out;
	}
	if (r != 0) {
		ap_admin_error(req, r == RSG_ERR_STATE || r == RSG_ERR_PERM ?
		    409 : 500, "refused", why);
		goto out;
	}
	reply_ticket(req, 200, &t, ap->store);
 out:
	json_decref(b);
	store_ticket_clear(&t);
}

/* ---- start and stop ------------------------------------------------------------------ */

int
ap_ticket_start(struct ap *ap, char *err, size_t errlen)
{
	const struct timeval one = { 1, 0 };
	const char *db = config_get_string(ap->cfg, "audit_db");
	int r;

	ap->approval_none = strcmp(config_get_string(ap->cfg, "approval"),
	    "none") == 0;
	ap->emergency_access = config_get_bool(ap->cfg, "emergency_access");
	ap->idle_timeout_s = config_get_int(ap->cfg, "idle_timeout");
	ap->max_session_s = config_get_int(ap->cfg, "max_session");
	ap->sessions_per_device = (size_t)config_get_int(ap->cfg,
	    "sessions_per_device");
	if ((r = store_open(db, STORE_CREATE, &ap->store)) != 0) {
		snprintf(err, errlen, "%s: cannot open the store: %s", db,
		    rsg_strerror(r));
		return r;
	}
	if ((r = pki_key_load(config_get_string(ap->cfg, "key"),
	    &ap->sign_key)) != 0 ||
	    (r = pki_cert_load(config_get_string(ap->cfg, "cert"),
	    &ap->sign_cert)) != 0) {
		snprintf(err, errlen, "cannot load the key that signs grants: "
		    "%s", rsg_strerror(r));
		return r;
	}
	if ((r = outbox_new(ap->store, "hub", outbox_send_cb, outbox_ack_cb,
	    ap, &ap->outbox)) != 0 ||
	    (r = ap_admin_route(ap, "GET", "/v1/tickets", admin_list)) != 0 ||
	    (r = ap_admin_route(ap, "GET", "/v1/tickets/", admin_show)) != 0 ||
	    (r = ap_admin_route(ap, "POST", "/v1/tickets/", admin_act)) != 0) {
		snprintf(err, errlen, "tickets: %s", rsg_strerror(r));
		return r;
	}
	if ((ap->ev_ticket = event_new(ap->base, -1, EV_PERSIST,
	    ticket_tick_cb, ap)) == NULL ||
	    event_add(ap->ev_ticket, &one) != 0) {
		snprintf(err, errlen, "tickets: cannot start the timer");
		return RSG_ERR_NOMEM;
	}
	if (ap->approval_none)
		log_warn("approval none: every request the hub announces is "
		    "granted at once, except patient data (view-phi), which "
		    "waits for an administrator (for labs only)");
	if (ap->emergency_access)
		log_warn("emergency_access on: emergency requests are granted "
		    "at once and must be confirmed afterwards");
	return 0;
}

void
ap_ticket_stop(struct ap *ap)
{
	if (ap->ev_ticket != NULL)
		event_free(ap->ev_ticket);
	ap->ev_ticket = NULL;
	outbox_free(ap->outbox);
	ap->outbox = NULL;
	pki_key_free(ap->sign_key);
	pki_cert_free(ap->sign_cert);
	ap->sign_key = NULL;
	ap->sign_cert = NULL;
	store_close(ap->store);
	ap->store = NULL;
}
