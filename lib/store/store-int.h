/*
 * store-int.h: what the store's source files share and nobody else sees:
 * the struct behind the opaque handle and its prepared statements.
 */
#ifndef RSGATE_STORE_INT_H
#define RSGATE_STORE_INT_H

#include <sqlite3.h>

enum store_stmt {
	STORE_STMT_BEGIN,
	STORE_STMT_COMMIT,
	STORE_STMT_ROLLBACK,
	STORE_STMT_META_GET,
	STORE_STMT_META_SET,
	STORE_STMT_AUDIT_INSERT,
	STORE_STMT_AUDIT_FOREACH,
	STORE_STMT_AUDIT_LAST,
	STORE_STMT_CP_INSERT,
	STORE_STMT_CP_FOREACH,
	STORE_STMT_CP_LAST,
	STORE_STMT_COUNT
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STORE_STMT_COUNT];	/* prepared once at open */
	int version;
	int in_txn;
};

/* Map an SQLite result code to RSG_ERR_* (0 for OK, ROW and DONE). */
int store_sqlite_err(int rc);
/* Step st to SQLITE_DONE, then reset it and clear its bindings. */
int store_step_done(sqlite3_stmt *st);

#endif
