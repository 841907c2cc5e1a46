/*
 * fuzz-policy.c: libFuzzer target for the standing-policy parser and
 * evaluator (lib/policy/policy.c). The input is a policy file: each line
 * "group NAME MEMBER, ..." goes to policy_add_group, every other line to
 * policy_add_rule. Then a fixed set of engineers asks for a few device
 * services at times spread over a week (TZ=UTC). Beyond "no crash" it
 * checks the promises: an add error comes with a printable message and
 * adds nothing; a check returns 0 exactly when it allows, always with a
 * printable reason, and an allow has a rule index in range and a max
 * within the limits. A normal build replays tests/fuzz/corpus/policy/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsgate/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_FPR_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FZ_FPR_B "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"

static const char *const fz_cns[] = { "Hanako Sato", "佐藤 花子", "A", "" };
static const char *const fz_fprs[] = { FZ_FPR_A, FZ_FPR_B, FZ_FPR_A, "00" };
static const char *const fz_devs[] = { "ct-01", "mri-01", "d" };
static const char *const fz_svcs[] = { "remote-shell", "log-collect", "s" };

static void
check_printable(const char *s)
{
	if (s[0] == '\0')
		abort();
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int tz_done;
	struct policy *p = NULL;
	struct policy_decision d;
	struct policy_request req;
	char line[POLICY_LINE_MAX + 64], err[256];
	size_t off = 0, len, n, i, j, k;
	const uint8_t *nl;
	int64_t t;
	int r, group;

	if (!tz_done) {
		setenv("TZ", "UTC", 1);
		tzset();
		tz_done = 1;
	}
	if (policy_new(&p) != 0)
		return 0;
	while (off < size) {
		nl = memchr(data + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (data + off)) : size - off;
		n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
		memcpy(line, data + off, n);
		line[n] = '\0';
		off += len + (nl != NULL);
		group = strncmp(line, "group ", 6) == 0;
		k = policy_rule_count(p);
		err[0] = '\0';
		r = group ? policy_add_group(p, line + 6, err, sizeof(err)) :
		    policy_add_rule(p, line, err, sizeof(err));
		if (r > 0)
			abort();
		if (r != 0) {
			check_printable(err);
			if (policy_rule_count(p) != k)
				abort();
		} else if (!group && policy_rule_count(p) != k + 1)
			abort();
	}
	/* 2024-01-01 (a Monday) 00:00 UTC, then every 97 minutes for a week. */
	for (t = INT64_C(1704067200); t < INT64_C(1704067200) + 7 * 86400;
	    t += 97 * 60) {
		for (i = 0; i < sizeof(fz_cns) / sizeof(fz_cns[0]); i++) {
			for (j = 0; j < 3; j++) {
				req.engineer_cn = fz_cns[i];
				req.engineer_fpr_hex = fz_fprs[i];
				req.device = fz_devs[j];
				req.service = fz_svcs[(j + i) % 3];
				req.now = t;
				memset(&d, 0xa5, sizeof(d));
				r = policy_check(p, &req, &d);
				if ((r == 0) != (d.allowed == 1))
					abort();
				if (d.allowed != 0 && d.allowed != 1)
					abort();
				check_printable(d.reason);
				if (r == 0 && (d.rule >= policy_rule_count(p) ||
				    d.max_secs == 0 ||
				    d.max_secs > POLICY_MAX_LIMIT))
					abort();
				if (r != 0 && (d.max_secs != 0 ||
				    (d.rule != POLICY_RULE_NONE &&
				    d.rule >= policy_rule_count(p))))
					abort();
			}
		}
	}
	policy_free(p);
	return 0;
}
