/*
 * policy: the access point's standing policy (R12 b, R20). Pure logic, no
 * I/O: the AP feeds it the values of its `group` and `allow` config keys,
 * then asks, for each STREAM_OPEN, whether this engineer may reach this
 * device service now. The AP decides whatever the hub said.
 *
 * Group line ("group" key):   NAME MEMBER[, MEMBER...]
 *   NAME is [A-Za-z0-9._-]{1,64}; each MEMBER is an engineer's certificate
 *   subject CN (UTF-8, may contain spaces, not commas) or sha256:HEX64 (the
 *   SHA-256 of the certificate DER, hex in either case).
 *
 * Rule line ("allow" key), ';'-separated key=value items:
 *   engineer=Hanako Sato|@oncall|sha256:HEX64   required; '|'-separated
 *   device=ct-01,ct-02  or  device=*            required
 *   service=remote-shell,log-collect  or  *     required
 *   days=mon-fri  days=sat,sun  days=fri-mon  days=*     default *
 *   hours=08:00-18:00  hours=22:00-06:00  hours=*        default all day
 *   max=2h                                      default 1h (1s..1w)
 * Keys are lowercase; unknown keys, a key given twice, empty values, bad
 * names, days or times are errors. A group must be added before the first
 * rule that names it (policy_add_rule fails on an undefined group), so the
 * AP adds every `group` value first, then every `allow` value.
 *
 * Time is the AP's local time (localtime_r, so TZ). An hours window
 * includes its start minute and excludes its end minute ("24:00" may end
 * one); a window that wraps midnight belongs to the day it starts on:
 * "days=fri; hours=22:00-06:00" allows Friday 22:00 to Saturday 05:59.
 *
 * Evaluation: the first rule that matches allows; no match is a deny whose
 * reason names the furthest thing that did not match (engineer, then
 * device, then service, then the time window).
 */
#ifndef RSGATE_POLICY_H
#define RSGATE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define POLICY_LINE_MAX 4096		/* bytes of one group or rule line */
#define POLICY_RULES_MAX 1024
#define POLICY_GROUPS_MAX 1024
#define POLICY_GROUP_MEMBERS_MAX 256
#define POLICY_LIST_MAX 256		/* engineers, devices or services in a rule */
#define POLICY_NAME_MAX 256		/* bytes of one CN, device or service name */
#define POLICY_GROUP_NAME_MAX 64
#define POLICY_MAX_DEFAULT 3600		/* seconds a stream may stay open */
#define POLICY_MAX_LIMIT (7 * 86400)	/* the largest max= accepted */
#define POLICY_RULE_NONE ((size_t)-1)

struct policy;

/* A new empty policy (which allows nothing). */
int policy_new(struct policy **out) RSG_WUR;
/* Free p; NULL is fine. */
void policy_free(struct policy *p);

/*
 * Add one group line. On error nothing is added and err (if not NULL)
 * holds one printable line saying what is wrong. RSG_ERR_FORMAT for bad
 * syntax, RSG_ERR_EXISTS for a second group of the same name,
 * RSG_ERR_LIMIT for a line, member count or group count over the limits.
 */
int policy_add_group(struct policy *p, const char *line, char *err,
    size_t errlen) RSG_WUR;
/*
 * Add one rule line (appended: rules are tried in the order added). Errors
 * as for policy_add_group; RSG_ERR_NOT_FOUND for an undefined @group.
 */
int policy_add_rule(struct policy *p, const char *line, char *err,
    size_t errlen) RSG_WUR;
/* Number of rules added. */
size_t policy_rule_count(const struct policy *p);

struct policy_request {
	const char *engineer_cn;	/* certificate subject CN, UTF-8 */
	const char *engineer_fpr_hex;	/* SHA-256 of the certificate, 64 hex */
	const char *device;
	const char *service;
	int64_t now;			/* unix seconds; evaluated in local time */
};

struct policy_decision {
	int allowed;		/* 1 only on an explicit allow */
	size_t rule;		/* index of the allowing rule (0-based, in
				 * order added), or the rule a deny reason
				 * is about, or POLICY_RULE_NONE */
	uint64_t max_secs;	/* how long the stream may stay open */
	char reason[256];	/* one printable line, user strings escaped */
};

/*
 * Decide req against p. Returns 0 with out->allowed = 1 only when a rule
 * allows it. A deny returns RSG_ERR_NOT_FOUND (no rule matched); a bad
 * request RSG_ERR_INVALID_ARG; other failures their code. Unlike the rest
 * of the library, out (if not NULL) is written on every path, and on every
 * path but an allow it says allowed = 0, max_secs = 0 and why.
 */
int policy_check(const struct policy *p, const struct policy_request *req,
    struct policy_decision *out) RSG_WUR;

#endif /* RSGATE_POLICY_H */
