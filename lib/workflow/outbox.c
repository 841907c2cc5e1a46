/*
 * outbox.c: durable, ordered, acknowledged delivery of control messages on
 * top of the store's outbox table.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/outbox.h"
#include "rsgate/store.h"

struct outbox {
	struct store *store;
	char *peer;
	outbox_send_fn send;
	outbox_ack_fn on_ack;
	void *arg;
	int connected;
};

int
outbox_new(struct store *s, const char *peer, outbox_send_fn send,
    outbox_ack_fn on_ack, void *arg, struct outbox **out)
{
	struct outbox *ob;

	if (s == NULL || peer == NULL || *peer == '\0' || send == NULL ||
	    out == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return RSG_ERR_NOMEM;
	if ((ob->peer = strdup(peer)) == NULL) {
		free(ob);
		return RSG_ERR_NOMEM;
	}
	ob->store = s;
	ob->send = send;
	ob->on_ack = on_ack;
	ob->arg = arg;
	*out = ob;
	return 0;
}

void
outbox_free(struct outbox *ob)
{
	if (ob == NULL)
		return;
	free(ob->peer);
	free(ob);
}

static int
send_row(struct outbox *ob, int64_t id, uint16_t type, const char *text)
{
	json_t *body;
	int r;

	if (id <= 0 || id > UINT32_MAX)
		return RSG_ERR_RANGE;
	if ((body = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return RSG_ERR_FORMAT;
	r = ob->send(type, (uint32_t)id, body, ob->arg);
	json_decref(body);
	return r;
}

int
outbox_stage(struct outbox *ob, uint16_t type, const json_t *body,
    int64_t now_ms, struct outbox_staged *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	if (ob == NULL || !json_is_object(body))
		return RSG_ERR_INVALID_ARG;
	if ((st->text = json_dumps(body, JSON_COMPACT)) == NULL)
		return RSG_ERR_NOMEM;
	st->type = type;
	if ((r = store_outbox_add(ob->store, ob->peer, type, st->text, now_ms,
	    &st->id)) != 0)
		outbox_discard(st);
	return r;
}

void
outbox_release(struct outbox *ob, struct outbox_staged *st)
{
	if (ob != NULL && st->text != NULL && ob->connected &&
	    send_row(ob, st->id, st->type, st->text) != 0)
		ob->connected = 0;	/* resent on the next connect */
	outbox_discard(st);
}

void
outbox_discard(struct outbox_staged *st)
{
	free(st->text);
	memset(st, 0, sizeof(*st));
}

int
outbox_post(struct outbox *ob, uint16_t type, const json_t *body,
    int64_t now_ms)
{
	char *text;
	int64_t id;
	int r;

	if (ob == NULL || !json_is_object(body))
		return RSG_ERR_INVALID_ARG;
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL)
		return RSG_ERR_NOMEM;
	r = store_outbox_add(ob->store, ob->peer, type, text, now_ms, &id);
	if (r == 0 && ob->connected && send_row(ob, id, type, text) != 0)
		ob->connected = 0;	/* resent on the next connect */
	free(text);
	return r;
}

static int
resend_cb(const struct store_outbox_row *row, void *arg)
{
	struct outbox *ob = arg;

	return send_row(ob, row->id, row->type, row->body);
}

int
outbox_connected(struct outbox *ob)
{
	int r;

	if (ob == NULL)
		return RSG_ERR_INVALID_ARG;
	ob->connected = 1;
	if ((r = store_outbox_foreach(ob->store, ob->peer, resend_cb,
	    ob)) != 0)
		ob->connected = 0;
	return r;
}

void
outbox_disconnected(struct outbox *ob)
{
	if (ob != NULL)
		ob->connected = 0;
}

struct find_ctx {
	int64_t id;
	uint16_t type;
	json_t *sent;
	int found;
};

static int
find_cb(const struct store_outbox_row *row, void *arg)
{
	struct find_ctx *c = arg;

	if (row->id != c->id)
		return 0;
	c->found = 1;
	c->type = row->type;
	c->sent = json_loads(row->body, 0, NULL);
	return 1;	/* stop */
}

int
outbox_ack(struct outbox *ob, uint32_t id, const json_t *ack)
{
	struct find_ctx c;
	int r;

	if (ob == NULL)
		return RSG_ERR_INVALID_ARG;
	memset(&c, 0, sizeof(c));
	c.id = id;
	r = store_outbox_foreach(ob->store, ob->peer, find_cb, &c);
	if (r != 0 && r != 1)
		goto out;
	if (!c.found) {
		r = RSG_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = store_outbox_delete(ob->store, c.id)) != 0)
		goto out;
	if (ob->on_ack != NULL && c.sent != NULL)
		ob->on_ack(c.type, c.sent, ack, ob->arg);
	r = 0;
 out:
	json_decref(c.sent);
	return r;
}

static int
count_cb(const struct store_outbox_row *row, void *arg)
{
	(void)row;
	(*(uint64_t *)arg)++;
	return 0;
}

int
outbox_pending(struct outbox *ob, uint64_t *n)
{
	uint64_t c = 0;
	int r;

	if (ob == NULL || n == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = store_outbox_foreach(ob->store, ob->peer, count_cb, &c)) != 0)
		return r;
	*n = c;
	return 0;
}
