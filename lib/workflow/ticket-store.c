/*
 * ticket-store.c: storing a ticket's transition, the same way at the hub
 * and at the access point.
 */
#include <stdlib.h>
#include <string.h>

#include "rsgate/store.h"
#include "rsgate/workflow.h"

int
ticket_store_step(struct store *s, struct store_ticket *t,
    enum ticket_event ev, enum ticket_state from, enum ticket_state to,
    const struct ticket_guard *g, const char *who, const char *detail,
    int queue_purge, int (*in_txn)(void *arg), void *arg)
{
	struct store_ticket_step step;
	struct store_ticket saved;
	char *state;
	int r;

	if (s == NULL || t == NULL || g == NULL ||
	    ticket_state_name(to) == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((state = strdup(ticket_state_name(to))) == NULL)
		return RSG_ERR_NOMEM;
	saved = *t;
	t->state = state;
	t->updated_ms = g->now_ms;
	if (t->created_ms == 0)
		t->created_ms = g->now_ms;
	memset(&step, 0, sizeof(step));
	step.ticket = t->id;
	step.time_ms = g->now_ms;
	step.event = ticket_event_name(ev);
	step.actor = ticket_actor_name(g->actor);
	step.who = who;
	step.from_state = ticket_state_name(from);
	step.to_state = ticket_state_name(to);
	step.detail = detail != NULL ? detail : "";
	if ((r = store_begin(s)) != 0)
		goto fail;
	if ((r = store_ticket_put(s, t)) != 0 ||
	    (r = store_ticket_history_add(s, &step)) != 0 ||
	    (queue_purge && ticket_state_is_final(to) &&
	    to != TICKET_PURGED &&
	    (r = store_purge_put(s, t->id, g->now_ms)) != 0) ||
	    (in_txn != NULL && (r = in_txn(arg)) != 0) ||
	    (r = store_commit(s)) != 0) {
		store_rollback(s);
		goto fail;
	}
	free(saved.state);
	return 0;
 fail:
	free(state);
	*t = saved;
	return r;
}
