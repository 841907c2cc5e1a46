/*
 * ticket-allows.c: the grant check both daemons make before they act on a
 * ticket (collect at the hub and at the AP; streams once enforced there).
 * Pure logic over a stored ticket row; fails closed.
 */
#include <string.h>

#include "rsgate/store.h"
#include "rsgate/workflow.h"

int
ticket_allows(const struct store_ticket *t, const char *device,
    unsigned caps, int64_t now_ms, const char **why)
{
	enum ticket_state st;
	const char *w;

	if (t == NULL || t->state == NULL || device == NULL || caps == 0) {
		w = "no ticket";
		goto deny;
	}
	if (ticket_state_parse(t->state, &st) != 0 ||
	    !ticket_state_allows_streams(st)) {
		w = "the ticket is not approved (or no longer)";
		goto deny;
	}
	if (t->device == NULL || strcmp(t->device, device) != 0) {
		w = "the ticket is for another device";
		goto deny;
	}
	if ((caps & ~t->caps_granted) != 0 || (caps & ~CAP_ALL) != 0) {
		w = "the capability was not granted";
		goto deny;
	}
	if (now_ms < t->not_before_ms || now_ms >= t->not_after_ms) {
		w = "outside the granted window";
		goto deny;
	}
	return 0;
 deny:
	if (why != NULL)
		*why = w;
	return RSG_ERR_PERM;
}
