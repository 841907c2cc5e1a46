/*
 * cmd-table.c: every command of `rsgate`, in the order --help lists them.
 * A command is one cmd-<group>-<verb>.c exporting one cmd_entry.
 */
#include <stddef.h>

#include "rsgate.h"

extern const struct cmd_entry cmd_config_doc_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_config_doc_entry,
	NULL,
};
