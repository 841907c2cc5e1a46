/*
 * cmd-table.c: every command of `rsgate`, in the order --help lists them.
 * A command is one cmd-<group>-<verb>.c exporting one cmd_entry.
 */
#include <stddef.h>

#include "rsgate.h"

extern const struct cmd_entry cmd_config_doc_entry;
extern const struct cmd_entry cmd_audit_init_entry;
extern const struct cmd_entry cmd_audit_append_entry;
extern const struct cmd_entry cmd_audit_verify_entry;
extern const struct cmd_entry cmd_audit_export_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_config_doc_entry,
	&cmd_audit_init_entry,
	&cmd_audit_append_entry,
	&cmd_audit_verify_entry,
	&cmd_audit_export_entry,
	NULL,
};
