/*
 * The ticket state machine: one table row per allowed (from, event) pair,
 * with the actors that may cause it and the guard that must hold.
 */
#include <stddef.h>
#include <string.h>

#include "rsgate/workflow.h"

static const char *const state_names[] = {
	[TICKET_NONE] = "none",
	[TICKET_NOTIFIED] = "notified",
	[TICKET_REQUESTED] = "requested",
	[TICKET_APPROVED] = "approved",
	[TICKET_DENIED] = "denied",
	[TICKET_ACTIVE] = "active",
	[TICKET_CLOSED] = "closed",
	[TICKET_EXPIRED] = "expired",
	[TICKET_TERMINATED] = "terminated",
	[TICKET_PURGED] = "purged",
};

static const char *const event_names[] = {
	[TEV_NOTIFY] = "notify",
	[TEV_REQUEST] = "request",
	[TEV_APPROVE] = "approve",
	[TEV_DENY] = "deny",
	[TEV_ACTIVATE] = "activate",
	[TEV_CLOSE] = "close",
	[TEV_EXPIRE] = "expire",
	[TEV_TERMINATE] = "terminate",
	[TEV_PURGE] = "purge",
};

enum guard {
	G_NONE = 0,
	G_REQUEST,	/* ticket reference and reason given (R14) */
	G_APPROVE,	/* narrows, PHI purpose named (R29) */
	G_DENY,		/* reason given */
	G_IN_WINDOW,	/* now < not_after */
	G_WINDOW_OVER,	/* now >= not_after, or the hub/AP says so */
	G_DESTROYED,	/* evidence destroyed */
};

struct transition {
	enum ticket_state from;
	enum ticket_event ev;
	enum ticket_state to;
	unsigned actors;	/* TACT_* bits */
	enum guard guard;
};

#define SYS (TACT_HUB | TACT_AP)

static const struct transition transitions[] = {
	/* step 1: failure notification; later alerts update the ticket */
	{ TICKET_NONE, TEV_NOTIFY, TICKET_NOTIFIED, TACT_DEVICE, G_NONE },
	{ TICKET_NOTIFIED, TEV_NOTIFY, TICKET_NOTIFIED, TACT_DEVICE, G_NONE },
	{ TICKET_REQUESTED, TEV_NOTIFY, TICKET_REQUESTED, TACT_DEVICE, G_NONE },
	{ TICKET_APPROVED, TEV_NOTIFY, TICKET_APPROVED, TACT_DEVICE, G_NONE },
	{ TICKET_ACTIVE, TEV_NOTIFY, TICKET_ACTIVE, TACT_DEVICE, G_NONE },
	/* step 2: connection procedure */
	{ TICKET_NONE, TEV_REQUEST, TICKET_REQUESTED, TACT_ENGINEER,
	    G_REQUEST },
	{ TICKET_NOTIFIED, TEV_REQUEST, TICKET_REQUESTED, TACT_ENGINEER,
	    G_REQUEST },
	{ TICKET_REQUESTED, TEV_APPROVE, TICKET_APPROVED,
	    TACT_HOSPITAL | TACT_POLICY, G_APPROVE },
	{ TICKET_REQUESTED, TEV_DENY, TICKET_DENIED,
	    TACT_HOSPITAL | TACT_POLICY, G_DENY },
	/* an emergency grant (R13) is confirmed afterwards by the hospital */
	{ TICKET_APPROVED, TEV_APPROVE, TICKET_APPROVED, TACT_HOSPITAL,
	    G_APPROVE },
	{ TICKET_ACTIVE, TEV_APPROVE, TICKET_ACTIVE, TACT_HOSPITAL,
	    G_APPROVE },
	/* step 3: connection work */
	{ TICKET_APPROVED, TEV_ACTIVATE, TICKET_ACTIVE,
	    TACT_ENGINEER | SYS, G_IN_WINDOW },
	{ TICKET_ACTIVE, TEV_ACTIVATE, TICKET_ACTIVE,
	    TACT_ENGINEER | SYS, G_IN_WINDOW },
	/* step 4: disconnection */
	{ TICKET_NOTIFIED, TEV_CLOSE, TICKET_CLOSED, TACT_ENGINEER | SYS,
	    G_NONE },
	{ TICKET_REQUESTED, TEV_CLOSE, TICKET_CLOSED, TACT_ENGINEER | SYS,
	    G_NONE },
	{ TICKET_APPROVED, TEV_CLOSE, TICKET_CLOSED, TACT_ENGINEER | SYS,
	    G_NONE },
	{ TICKET_ACTIVE, TEV_CLOSE, TICKET_CLOSED, TACT_ENGINEER | SYS,
	    G_NONE },
	{ TICKET_REQUESTED, TEV_EXPIRE, TICKET_EXPIRED, SYS, G_WINDOW_OVER },
	{ TICKET_APPROVED, TEV_EXPIRE, TICKET_EXPIRED, SYS, G_WINDOW_OVER },
	{ TICKET_ACTIVE, TEV_EXPIRE, TICKET_EXPIRED, SYS, G_WINDOW_OVER },
	{ TICKET_REQUESTED, TEV_TERMINATE, TICKET_TERMINATED,
	    TACT_HOSPITAL | SYS, G_NONE },
	{ TICKET_APPROVED, TEV_TERMINATE, TICKET_TERMINATED,
	    TACT_HOSPITAL | SYS, G_NONE },
	{ TICKET_ACTIVE, TEV_TERMINATE, TICKET_TERMINATED,
	    TACT_HOSPITAL | SYS, G_NONE },
	/* step 5: data deletion */
	{ TICKET_CLOSED, TEV_PURGE, TICKET_PURGED, TACT_HUB, G_DESTROYED },
	{ TICKET_EXPIRED, TEV_PURGE, TICKET_PURGED, TACT_HUB, G_DESTROYED },
	{ TICKET_TERMINATED, TEV_PURGE, TICKET_PURGED, TACT_HUB,
	    G_DESTROYED },
	{ TICKET_DENIED, TEV_PURGE, TICKET_PURGED, TACT_HUB, G_DESTROYED },
};

const char *
ticket_state_name(enum ticket_state s)
{
	if ((unsigned)s > TICKET_STATE_MAX)
		return NULL;
	return state_names[s];
}

int
ticket_state_parse(const char *name, enum ticket_state *out)
{
	unsigned i;

	if (name == NULL)
		return RSG_ERR_INVALID_ARG;
	for (i = TICKET_NOTIFIED; i <= TICKET_STATE_MAX; i++) {
		if (strcmp(state_names[i], name) == 0) {
			*out = (enum ticket_state)i;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

int
ticket_state_stored(const char *name, enum ticket_state *out)
{
	if (name == NULL || name[0] == '\0') {
		*out = TICKET_NONE;
		return 0;
	}
	return ticket_state_parse(name, out) == 0 ? 0 : RSG_ERR_STATE;
}

const char *
ticket_event_name(enum ticket_event ev)
{
	if (ev < TEV_NOTIFY || ev > TEV_MAX)
		return NULL;
	return event_names[ev];
}

int
ticket_event_parse(const char *name, enum ticket_event *out)
{
	unsigned i;

	if (name == NULL)
		return RSG_ERR_INVALID_ARG;
	for (i = TEV_NOTIFY; i <= TEV_MAX; i++) {
		if (strcmp(event_names[i], name) == 0) {
			*out = (enum ticket_event)i;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

const char *
ticket_actor_name(enum ticket_actor a)
{
	switch (a) {
	case TACT_DEVICE:
		return "device";
	case TACT_ENGINEER:
		return "engineer";
	case TACT_HOSPITAL:
		return "hospital";
	case TACT_POLICY:
		return "policy";
	case TACT_HUB:
		return "hub";
	case TACT_AP:
		return "ap";
	}
	return NULL;
}

enum audit_event
ticket_event_audit(enum ticket_event ev)
{
	switch (ev) {
	case TEV_NOTIFY:
		return AUDIT_EV_TICKET_NOTIFY;
	case TEV_REQUEST:
		return AUDIT_EV_TICKET_REQUEST;
	case TEV_APPROVE:
		return AUDIT_EV_TICKET_APPROVE;
	case TEV_DENY:
		return AUDIT_EV_TICKET_DENY;
	case TEV_ACTIVATE:
		return AUDIT_EV_SESSION_OPEN;
	case TEV_CLOSE:
		return AUDIT_EV_TICKET_CLOSE;
	case TEV_EXPIRE:
		return AUDIT_EV_TICKET_EXPIRE;
	case TEV_TERMINATE:
		return AUDIT_EV_TICKET_TERMINATE;
	case TEV_PURGE:
		return AUDIT_EV_TICKET_PURGE;
	}
	return AUDIT_EV_TICKET_REFUSE;	/* not an event: say so, never "ok" */
}

int
ticket_state_is_final(enum ticket_state s)
{
	return s == TICKET_DENIED || s == TICKET_CLOSED ||
	    s == TICKET_EXPIRED || s == TICKET_TERMINATED ||
	    s == TICKET_PURGED;
}

int
ticket_state_allows_streams(enum ticket_state s)
{
	return s == TICKET_APPROVED || s == TICKET_ACTIVE;
}

static const char *
guard_check(enum guard guard, const struct ticket_guard *g)
{
	switch (guard) {
	case G_NONE:
		return NULL;
	case G_REQUEST:
		if (!g->has_ticket_ref)
			return "a ticket reference is required";
		if (!g->has_reason)
			return "a reason is required";
		return NULL;
	case G_APPROVE:
		if (!g->narrows)
			return "the approval widens the request";
		if (!g->phi_purpose_ok)
			return "access to patient data needs a purpose";
		if (g->grants_phi && g->actor != TACT_HOSPITAL)
			return "access to patient data needs a hospital "
			    "administrator's approval (R29)";
		return NULL;
	case G_DENY:
		if (!g->has_reason)
			return "a reason is required";
		return NULL;
	case G_IN_WINDOW:
		if (g->not_after_ms <= 0 || g->now_ms >= g->not_after_ms)
			return "outside the approved window";
		return NULL;
	case G_WINDOW_OVER:
		if (g->not_after_ms > 0 && g->now_ms < g->not_after_ms)
			return "the window has not ended";
		return NULL;
	case G_DESTROYED:
		if (!g->evidence_destroyed)
			return "the evidence is not destroyed yet";
		return NULL;
	}
	return "unknown guard";
}

int
ticket_transition(enum ticket_state from, enum ticket_event ev,
    const struct ticket_guard *g, enum ticket_state *to, const char **why)
{
	const struct transition *t = NULL;
	const char *fail;
	size_t i;

	if (g == NULL || to == NULL)
		return RSG_ERR_INVALID_ARG;
	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
		if (transitions[i].from == from && transitions[i].ev == ev) {
			t = &transitions[i];
			break;
		}
	}
	if (t == NULL) {
		if (why != NULL)
			*why = "illegal transition";
		return RSG_ERR_STATE;
	}
	if ((t->actors & (unsigned)g->actor) == 0 ||
	    (g->actor & (g->actor - 1)) != 0) {
		if (why != NULL)
			*why = "not allowed for this party";
		return RSG_ERR_PERM;
	}
	if ((fail = guard_check(t->guard, g)) != NULL) {
		if (why != NULL)
			*why = fail;
		return RSG_ERR_PERM;
	}
	*to = t->to;
	return 0;
}

/* ---- capabilities ----------------------------------------------------------- */

static const struct {
	enum capability cap;
	const char *name;
} cap_names[] = {
	{ CAP_REMOTE_SHELL, "remote-shell" },
	{ CAP_REMOTE_DESKTOP, "remote-desktop" },
	{ CAP_LOG_COLLECT, "log-collect" },
	{ CAP_FILE_UPLOAD, "file-upload" },
	{ CAP_SOFTWARE_UPDATE, "software-update" },
	{ CAP_VIEW_PHI, "view-phi" },
};
#define NCAPS (sizeof(cap_names) / sizeof(cap_names[0]))

const char *
capability_name(enum capability c)
{
	size_t i;

	for (i = 0; i < NCAPS; i++)
		if (cap_names[i].cap == c)
			return cap_names[i].name;
	return NULL;
}

static int
cap_lookup(const char *p, size_t n, unsigned *out)
{
	size_t i;

	for (i = 0; i < NCAPS; i++) {
		if (strlen(cap_names[i].name) == n &&
		    memcmp(cap_names[i].name, p, n) == 0) {
			*out = cap_names[i].cap;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

int
capability_parse(const char *name, unsigned *out)
{
	if (name == NULL || out == NULL)
		return RSG_ERR_INVALID_ARG;
	return cap_lookup(name, strlen(name), out);
}

int
capabilities_parse(const char *list, unsigned *out)
{
	const char *p, *comma;
	unsigned mask = 0, bit;
	size_t n;

	if (list == NULL || out == NULL)
		return RSG_ERR_INVALID_ARG;
	if (*list == '\0')
		return RSG_ERR_FORMAT;
	for (p = list;; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || cap_lookup(p, n, &bit) != 0)
			return RSG_ERR_FORMAT;
		mask |= bit;
		if (comma == NULL)
			break;
	}
	*out = mask;
	return 0;
}

int
capabilities_format(unsigned mask, char *out, size_t outlen)
{
	size_t i, len = 0, n;

	if (out == NULL || outlen == 0 || (mask & ~CAP_ALL) != 0)
		return RSG_ERR_INVALID_ARG;
	for (i = 0; i < NCAPS; i++) {
		if ((mask & cap_names[i].cap) == 0)
			continue;
		n = strlen(cap_names[i].name);
		if (outlen - len < n + 2)	/* name, comma or NUL */
			return RSG_ERR_LIMIT;
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, cap_names[i].name, n);
		len += n;
	}
	out[len] = '\0';
	return 0;
}
