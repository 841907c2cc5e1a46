/*
 * fuzz-alert-json.c: libFuzzer target for the JSON alert filter
 * (alert_parse_json) and the hub's reading of the forwarded message
 * (alert_to_json then alert_from_msg must give the same fields back).
 * A normal build replays tests/fuzz/corpus/alert-json/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t max, int may_be_empty)
{
	size_t i, n = strlen(s);

	if (n > max || (n == 0 && !may_be_empty))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert a, b;
	struct alert_drop d;
	char err[256], id[ALERT_ID_MAX + 1], ap[ALERT_DEVICE_MAX + 1];
	json_t *o = NULL;
	size_t i;

	if (alert_parse_json(data, size, &a, &d, err, sizeof(err)) != 0)
		return 0;
	check_str(a.device, ALERT_DEVICE_MAX, 0);
	check_str(a.error_code, ALERT_CODE_MAX, 0);
	check_str(a.model, ALERT_MODEL_MAX, 1);
	check_str(a.message_id, ALERT_MSGID_MAX, 1);
	for (i = 0; i < d.n && i < ALERT_DROP_MAX; i++)
		check_str(d.names[i], ALERT_DROP_NAME_MAX, 0);
	if (alert_to_json(&a, "a1", "ap1", 1700000000000, &o) != 0)
		return 0;
	if (alert_from_msg(o, &b, id, ap, err, sizeof(err)) != 0 ||
	    strcmp(a.device, b.device) != 0 ||
	    strcmp(a.error_code, b.error_code) != 0 ||
	    strcmp(a.model, b.model) != 0 ||
	    strcmp(a.message_id, b.message_id) != 0 ||
	    a.severity != b.severity || strcmp(id, "a1") != 0)
		abort();
	json_decref(o);
	return 0;
}
