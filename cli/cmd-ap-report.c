/*
 * cmd-ap-report.c: `rsgate ap report T [--json]` shows the work report the
 * hub sent for ticket T (R58) as Markdown, after verifying it again;
 * --json gives the signed document with its fields. GET /v1/reports/T on
 * the admin socket.
 */
#include "cli-vault.h"
#include "rsgate.h"

static int
cmd_ap_report_exec(const struct cmd_entry *self, int argc, char **argv)
{
	return cli_ap_docs(self, argc, argv, "/v1/reports", "reports", 1);
}

const struct cmd_entry cmd_ap_report_entry = {
	"ap report",
	"T [-c AP-CONF | --socket PATH] [--json]",
	"show a ticket's work report as the hub sent it (verified again)",
	"  T                  the ticket\n"
	"  -c AP-CONF         the access point's config (its admin_socket)\n"
	"  --socket PATH      the admin socket\n"
	"  --json             the signed document and its fields\n",
	cmd_ap_report_exec,
};
