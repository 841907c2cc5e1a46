/*
 * cmd-table.c: every command of `rsgate`, in the order --help lists them.
 * A command is one cmd-<group>-<verb>.c exporting one cmd_entry.
 */
#include <stddef.h>

#include "rsgate.h"

extern const struct cmd_entry cmd_ap_pending_entry;
extern const struct cmd_entry cmd_ap_approve_entry;
extern const struct cmd_entry cmd_ap_deny_entry;
extern const struct cmd_entry cmd_ap_terminate_entry;
extern const struct cmd_entry cmd_ap_sessions_entry;
extern const struct cmd_entry cmd_audit_init_entry;
extern const struct cmd_entry cmd_audit_append_entry;
extern const struct cmd_entry cmd_audit_verify_entry;
extern const struct cmd_entry cmd_audit_export_entry;
extern const struct cmd_entry cmd_config_doc_entry;
extern const struct cmd_entry cmd_close_entry;
extern const struct cmd_entry cmd_connect_entry;
extern const struct cmd_entry cmd_devices_entry;
extern const struct cmd_entry cmd_engineer_deactivate_entry;
extern const struct cmd_entry cmd_engineer_activate_entry;
extern const struct cmd_entry cmd_pki_init_entry;
extern const struct cmd_entry cmd_pki_issue_entry;
extern const struct cmd_entry cmd_pki_revoke_entry;
extern const struct cmd_entry cmd_pki_crl_entry;
extern const struct cmd_entry cmd_pki_show_entry;
extern const struct cmd_entry cmd_pki_verify_entry;
extern const struct cmd_entry cmd_request_entry;
extern const struct cmd_entry cmd_ticket_show_entry;
extern const struct cmd_entry cmd_tickets_entry;
extern const struct cmd_entry cmd_collect_entry;
extern const struct cmd_entry cmd_evidence_list_entry;
extern const struct cmd_entry cmd_evidence_get_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_verify_document_entry;
extern const struct cmd_entry cmd_vault_keygen_entry;
extern const struct cmd_entry cmd_ap_certificates_entry;
extern const struct cmd_entry cmd_ap_report_entry;
extern const struct cmd_entry cmd_risk_report_entry;
extern const struct cmd_entry cmd_risk_diff_entry;
extern const struct cmd_entry cmd_risk_check_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_ap_pending_entry,
	&cmd_ap_approve_entry,
	&cmd_ap_deny_entry,
	&cmd_ap_terminate_entry,
	&cmd_ap_sessions_entry,
	&cmd_audit_init_entry,
	&cmd_audit_append_entry,
	&cmd_audit_verify_entry,
	&cmd_audit_export_entry,
	&cmd_config_doc_entry,
	&cmd_close_entry,
	&cmd_connect_entry,
	&cmd_devices_entry,
	&cmd_engineer_deactivate_entry,
	&cmd_engineer_activate_entry,
	&cmd_pki_init_entry,
	&cmd_pki_issue_entry,
	&cmd_pki_revoke_entry,
	&cmd_pki_crl_entry,
	&cmd_pki_show_entry,
	&cmd_pki_verify_entry,
	&cmd_request_entry,
	&cmd_ticket_show_entry,
	&cmd_tickets_entry,
	&cmd_collect_entry,
	&cmd_evidence_list_entry,
	&cmd_evidence_get_entry,
	&cmd_report_entry,
	&cmd_verify_document_entry,
	&cmd_vault_keygen_entry,
	&cmd_ap_certificates_entry,
	&cmd_ap_report_entry,
	&cmd_risk_report_entry,
	&cmd_risk_diff_entry,
	&cmd_risk_check_entry,
	NULL,
};
