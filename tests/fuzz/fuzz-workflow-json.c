/*
 * fuzz-workflow-json.c: libFuzzer target for the workflow bodies the hub
 * reads from an access point and from a signed grant's payload: any JSON
 * given to grant_from_json (a grant's payload, after its signature) and to
 * alert_from_msg (an ALERT body). Whatever is accepted must be within the
 * bounds the rest of the code relies on (names bounded and printable, a
 * window that ends after it starts, known capabilities only), and a grant
 * written back by grant_to_json must read the same. A normal build
 * replays tests/fuzz/corpus/workflow-json/ (R6, R12, R27).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/alert.h"
#include "rsgate/grant.h"
#include "rsgate/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t max, int may_be_empty)
{
	size_t i, n = strnlen(s, max + 1);

	if (n > max || (n == 0 && !may_be_empty))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void
check_grant(const json_t *o)
{
	struct grant g, g2;
	const char *why = NULL;
	json_t *back = NULL;

	if (grant_from_json(o, &g, &why) != 0) {
		if (why == NULL)
			abort();	/* a refusal always says why */
		return;
	}
	check_str(g.ticket, GRANT_NAME_MAX, 0);
	check_str(g.ap, GRANT_NAME_MAX, 0);
	check_str(g.device, GRANT_NAME_MAX, 0);
	check_str(g.engineer, GRANT_NAME_MAX, 0);
	check_str(g.approver, GRANT_NAME_MAX, 0);
	check_str(g.purpose, GRANT_TEXT_MAX, 1);
	if (g.caps == 0 || (g.caps & ~CAP_ALL) != 0 ||
	    g.not_after_ms <= g.not_before_ms || g.not_before_ms < 0 ||
	    g.idle_timeout_s < 1 || g.sessions_per_device < 1 ||
	    (g.emergency != 0 && g.emergency != 1))
		abort();
	if (grant_to_json(&g, &back) != 0)
		return;
	if (grant_from_json(back, &g2, &why) != 0 ||
	    strcmp(g.ticket, g2.ticket) != 0 || strcmp(g.ap, g2.ap) != 0 ||
	    strcmp(g.device, g2.device) != 0 ||
	    strcmp(g.engineer, g2.engineer) != 0 ||
	    strcmp(g.purpose, g2.purpose) != 0 ||
	    strcmp(g.approver, g2.approver) != 0 || g.caps != g2.caps ||
	    g.not_before_ms != g2.not_before_ms ||
	    g.not_after_ms != g2.not_after_ms ||
	    g.issued_ms != g2.issued_ms || g.emergency != g2.emergency ||
	    g.idle_timeout_s != g2.idle_timeout_s ||
	    g.sessions_per_device != g2.sessions_per_device)
		abort();
	json_decref(back);
}

static void
check_alert(const json_t *o)
{
	struct alert a;
	char err[256], id[ALERT_ID_MAX + 1], ap[ALERT_DEVICE_MAX + 1];

	if (alert_from_msg(o, &a, id, ap, err, sizeof(err)) != 0)
		return;
	check_str(id, ALERT_ID_MAX, 0);
	check_str(ap, ALERT_DEVICE_MAX, 0);
	check_str(a.device, ALERT_DEVICE_MAX, 0);
	check_str(a.error_code, ALERT_CODE_MAX, 0);
	check_str(a.model, ALERT_MODEL_MAX, 1);
	check_str(a.message_id, ALERT_MSGID_MAX, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *o;

	if (size > 64 * 1024)
		return 0;
	if ((o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &je)) == NULL)
		return 0;
	check_grant(o);
	check_alert(o);
	json_decref(o);
	return 0;
}
