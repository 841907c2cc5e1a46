/*
 * test-outbox.c: durable acknowledged delivery of workflow messages: kept
 * across disconnects and restarts, resent in order, deleted on ACK (R38:
 * nothing the other party must record is lost on the way).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rsgate/outbox.h"
#include "rsgate/store.h"
#include "testutil.h"

struct rec {
	int sent, acked, fail;
	uint32_t ids[16];
	char ops[16][16];
	char last_ack_op[16];
};

static int
send_cb(uint16_t type, uint32_t id, const json_t *body, void *arg)
{
	struct rec *r = arg;
	const char *op = json_string_value(json_object_get(body, "op"));

	assert_int_equal(type, 33);
	if (r->fail)
		return RSG_ERR_IO;
	assert_true(r->sent < 16);
	r->ids[r->sent] = id;
	snprintf(r->ops[r->sent], sizeof(r->ops[0]), "%s", op);
	r->sent++;
	return 0;
}

static void
ack_cb(uint16_t type, const json_t *sent, const json_t *ack, void *arg)
{
	struct rec *r = arg;

	assert_int_equal(type, 33);
	assert_true(json_is_true(json_object_get(ack, "ok")));
	snprintf(r->last_ack_op, sizeof(r->last_ack_op), "%s",
	    json_string_value(json_object_get(sent, "op")));
	r->acked++;
}

static json_t *
msg(const char *op)
{
	return json_pack("{s:s}", "op", op);
}

static void
post(struct outbox *ob, const char *op)
{
	json_t *m = msg(op);

	assert_int_equal(outbox_post(ob, 33, m, 1), 0);
	json_decref(m);
}

static void
test_outbox(void **state)
{
	char *dir = tmpdir_new("outbox");
	struct store *s = NULL;
	struct outbox *ob = NULL;
	struct rec r;
	json_t *ok = json_pack("{s:b}", "ok", 1);
	uint64_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_open(tmppath(dir, "s.db"), STORE_CREATE, &s),
	    0);
	assert_int_equal(outbox_new(s, "ap1", send_cb, ack_cb, &r, &ob), 0);
	/* disconnected: stored, not sent */
	post(ob, "request");
	post(ob, "close");
	assert_int_equal(r.sent, 0);
	assert_int_equal(outbox_pending(ob, &n), 0);
	assert_int_equal(n, 2);
	/* a restart: a new outbox on the same store still has them */
	outbox_free(ob);
	store_close(s);
	assert_int_equal(store_open(tmppath(dir, "s.db"), 0, &s), 0);
	assert_int_equal(outbox_new(s, "ap1", send_cb, ack_cb, &r, &ob), 0);
	assert_int_equal(outbox_connected(ob), 0);
	assert_int_equal(r.sent, 2);
	assert_string_equal(r.ops[0], "request");
	assert_string_equal(r.ops[1], "close");
	assert_true(r.ids[0] < r.ids[1]);
	/* connected: sent at once */
	post(ob, "revoke-engineer");
	assert_int_equal(r.sent, 3);
	/* ACK of the first deletes it; a repeated ACK is not found */
	assert_int_equal(outbox_ack(ob, r.ids[0], ok), 0);
	assert_int_equal(r.acked, 1);
	assert_string_equal(r.last_ack_op, "request");
	assert_int_equal(outbox_ack(ob, r.ids[0], ok), RSG_ERR_NOT_FOUND);
	assert_int_equal(r.acked, 1);
	/* reconnect: the unacknowledged two are sent again, same ids */
	outbox_disconnected(ob);
	post(ob, "x");
	assert_int_equal(r.sent, 3);
	assert_int_equal(outbox_connected(ob), 0);
	assert_int_equal(r.sent, 6);
	assert_int_equal(r.ids[3], r.ids[1]);
	assert_string_equal(r.ops[5], "x");
	/* a send failure drops to disconnected; nothing is lost */
	r.fail = 1;
	post(ob, "y");
	r.fail = 0;
	post(ob, "z");
	assert_int_equal(r.sent, 6);	/* not sent while "disconnected" */
	assert_int_equal(outbox_pending(ob, &n), 0);
	assert_int_equal(n, 5);
	/* another peer's rows are not ours */
	assert_int_equal(outbox_ack(ob, 999, ok), RSG_ERR_NOT_FOUND);
	json_decref(ok);
	outbox_free(ob);
	store_close(s);
	tmpdir_rm(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
