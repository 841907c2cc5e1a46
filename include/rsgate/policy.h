/*
 * policy: the standing policy of an access point (R12 b, R20): which
 * engineers may reach which device services, on which days and hours, for
 * how long. Parsed from the AP config's `group` and `allow` lines
 * (docs/CONFIG.md). Pure logic, no I/O. Fails closed.
 */
#ifndef RSGATE_POLICY_H
#define RSGATE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

struct policy;					/* opaque */

int policy_new(struct policy **out) RSG_WUR;
void policy_free(struct policy *p);
/* Add a group line "NAME MEMBER[, MEMBER...]" (the AP config's group). */
int policy_add_group(struct policy *p, const char *line, char *err,
    size_t errlen) RSG_WUR;
/* Add a rule line (the AP config's allow). */
int policy_add_rule(struct policy *p, const char *line, char *err,
    size_t errlen) RSG_WUR;

struct policy_request {
	const char *engineer_cn;
	const char *engineer_fpr_hex;
	const char *device;
	const char *service;
	int64_t now;	/* unix seconds; evaluated in local time */
};

struct policy_decision {
	int allowed;
	size_t rule;
	uint64_t max_secs;
	char reason[256];
};

/*
 * 0 and allowed=1 only on an explicit allow; any error or no match:
 * allowed=0 with a reason.
 */
int policy_check(const struct policy *p, const struct policy_request *req,
    struct policy_decision *out) RSG_WUR;

#endif /* RSGATE_POLICY_H */
