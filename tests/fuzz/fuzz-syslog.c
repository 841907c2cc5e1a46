/*
 * fuzz-syslog.c: libFuzzer target for the RFC 5424 alert parser
 * (lib/workflow/alert.c, alert_parse_syslog). Beyond "no crash" it checks
 * the filter's promises on success: the required fields are there and
 * valid, every kept string is within its limit and free of control bytes,
 * and the dropped names are sanitised. A normal build replays
 * tests/fuzz/corpus/syslog/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static void
fuzz_alert_check(const struct alert *a, const struct alert_drop *d)
{
	char buf[256];
	size_t i, j, m;

	check_str(a->device, ALERT_DEVICE_MAX, 0);
	check_str(a->error_code, ALERT_CODE_MAX, 0);
	check_str(a->model, ALERT_MODEL_MAX, 1);
	check_str(a->message_id, ALERT_MSGID_MAX, 1);
	check_str(a->time, ALERT_TIME_MAX, 1);
	if (alert_severity_name(a->severity) == NULL)
		abort();
	m = d->n < ALERT_DROP_MAX ? d->n : ALERT_DROP_MAX;
	for (i = 0; i < m; i++) {
		check_str(d->names[i], ALERT_DROP_NAME_MAX, 0);
		for (j = 0; d->names[i][j] != '\0'; j++)
			if (strchr(" \"\\=,", d->names[i][j]) != NULL)
				abort();
	}
	alert_drop_format(d, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert a;
	struct alert_drop d;
	char err[256];

	if (alert_parse_syslog(data, size, &a, &d, err, sizeof(err)) == 0)
		fuzz_alert_check(&a, &d);
	else if (strlen(err) >= sizeof(err))
		abort();
	return 0;
}
