/*
 * cmd-audit-append.c: `rsgate audit append` adds one record to an audit
 * log, durably, for operators' scripts and the demo. The daemons append
 * through lib/audit directly.
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/audit.h"

#include "rsgate.h"

/* Long option -> record field, in the order --help lists them. */
static const struct {
	const char *name;
	enum audit_field field;
} append_fields[] = {
	{ "user", AUDIT_F_USER },
	{ "role", AUDIT_F_ROLE },
	{ "hcf", AUDIT_F_HCF },
	{ "vendor", AUDIT_F_VENDOR },
	{ "session", AUDIT_F_SESSION },
	{ "device", AUDIT_F_DEVICE },
	{ "site", AUDIT_F_SITE },
	{ "approval", AUDIT_F_APPROVAL },
	{ "capability", AUDIT_F_CAPABILITY },
	{ "object", AUDIT_F_OBJECT },
	{ "source", AUDIT_F_SOURCE },
	{ "reason", AUDIT_F_REASON },
};
#define N_APPEND_FIELDS (sizeof(append_fields) / sizeof(append_fields[0]))

static int
cmd_audit_append_exec(const struct cmd_entry *self, int argc, char **argv)
{
	/* Field options return 256 + their index in append_fields. */
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "event", required_argument, NULL, 'e' },
		{ "outcome", required_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 256 },
		{ "role", required_argument, NULL, 257 },
		{ "hcf", required_argument, NULL, 258 },
		{ "vendor", required_argument, NULL, 259 },
		{ "session", required_argument, NULL, 260 },
		{ "device", required_argument, NULL, 261 },
		{ "site", required_argument, NULL, 262 },
		{ "approval", required_argument, NULL, 263 },
		{ "capability", required_argument, NULL, 264 },
		{ "object", required_argument, NULL, 265 },
		{ "source", required_argument, NULL, 266 },
		{ "reason", required_argument, NULL, 267 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct audit_record rec;
	const char *db = NULL, *key = NULL, *event = NULL, *outcome = NULL;
	struct audit_log *l = NULL;
	int c, r, ex = EXIT_OK;

	memset(&rec, 0, sizeof(rec));
	while ((c = cli_getopt(self, argc, argv, "d:k:e:o:", longopts,
	    &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			db = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'e':
			event = optarg;
			break;
		case 'o':
			outcome = optarg;
			break;
		default:
			if (c < 256 || (size_t)(c - 256) >= N_APPEND_FIELDS)
				return cli_usage_error(self,
				    "unexpected option");
			rec.f[append_fields[c - 256].field] = optarg;
			break;
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if ((db = cli_option_or_config(db, "audit_db")) == NULL)
		return cli_usage_error(self, "--db FILE is required");
	if ((key = cli_option_or_config(key, "audit_key")) == NULL)
		return cli_usage_error(self, "--key KEYFILE is required");
	if (event == NULL)
		return cli_usage_error(self, "--event TYPE is required");
	if (audit_event_parse(event, &rec.event) != 0)
		return cli_usage_error(self, "unknown event type '%s' (see "
		    "--help)", event);
	rec.outcome = AUDIT_OUTCOME_SUCCESS;
	if (outcome != NULL && audit_outcome_parse(outcome, &rec.outcome) != 0)
		return cli_usage_error(self, "--outcome must be success, "
		    "failure or denied");
	if ((r = audit_open(db, key, NULL, &l)) != 0) {
		if (r == RSG_ERR_VERIFY)
			return cli_fail(self, "%s is not the key of the log in "
			    "%s", key, db);
		return cli_fail(self, "cannot open audit log %s: %s", db,
		    rsg_strerror(r));
	}
	if ((r = audit_append(l, &rec)) != 0) {
		audit_free(l);
		if (r == RSG_ERR_LIMIT)
			return cli_fail(self, "a field is longer than %d bytes",
			    AUDIT_STR_MAX);
		if (r == RSG_ERR_FORMAT)
			return cli_fail(self, "a field is not valid UTF-8");
		return cli_fail(self, "cannot append to %s: %s", db,
		    rsg_strerror(r));
	}
	if ((r = audit_close(l)) != 0)
		return cli_fail(self, "record %llu appended, but the closing "
		    "checkpoint failed: %s", (unsigned long long)rec.seq,
		    rsg_strerror(r));
	printf("appended record %llu\n", (unsigned long long)rec.seq);
	return EXIT_OK;
}

const struct cmd_entry cmd_audit_append_entry = {
	"audit append",
	"--db FILE --key KEYFILE --event TYPE [--outcome success|failure|"
	"denied] [--user U] [--role R] [--hcf H] [--vendor V] [--session S] "
	"[--device D] [--site S] [--approval A] [--capability C] [--object O] "
	"[--source ADDR] [--reason TEXT]",
	"append one record to an audit log (durable when it returns)",
	"Options:\n"
	"  --db FILE         the log's database (config key audit_db)\n"
	"  --key KEYFILE     the log's private key (config key audit_key)\n"
	"  --event TYPE      event type, one of: log.open log.close\n"
	"                    ticket.request ticket.approve ticket.deny\n"
	"                    ticket.cancel auth.success auth.failure\n"
	"                    session.open session.close capability.use\n"
	"                    file.transfer config.change software.install\n"
	"                    phi.access data.delete report.submit\n"
	"                    report.review admin.action key.create key.rotate\n"
	"                    cert.issue cert.revoke config.backup\n"
	"                    config.restore time.drift\n"
	"  --outcome O       success (default), failure or denied\n"
	"  --user U          engineer or user id\n"
	"  --role R          role\n"
	"  --hcf H           hospital (HCF) id\n"
	"  --vendor V        vendor / organisation id\n"
	"  --session S       session id\n"
	"  --device D        device id\n"
	"  --site S          site id\n"
	"  --approval A      approval id\n"
	"  --capability C    capability used (e.g. UPLOAD_FILE)\n"
	"  --object O        file name/hash, config key or patient-record id\n"
	"  --source ADDR     source address\n"
	"  --reason TEXT     free-text detail\n"
	"\n"
	"Each text field is UTF-8 of at most 1024 bytes. Prints the new\n"
	"record's sequence number. A checkpoint is signed before exit.\n",
	cmd_audit_append_exec,
};
