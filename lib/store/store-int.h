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
	int sync_lost;		/* synchronous is not FULL (nosync txn) */
};

/* Map an SQLite result code to RSG_ERR_* (0 for OK, ROW and DONE). */
int store_sqlite_err(int rc);
/* The end of a stepping loop: 0 after SQLITE_DONE, else the error. */
int store_loop_end(int rc);
/* Step st to SQLITE_DONE, then reset it and clear its bindings. */
int store_step_done(sqlite3_stmt *st);

/*
 * For the low-rate tables (workflow): prepare sql and bind its parameters
 * ?1.. from fmt, one letter each: 't' text (const char *, NULL binds ""),
 * 'n' text or NULL, 'i' int64_t, 'b' blob (const void *, size_t).
 * *stp is the caller's (sqlite3_finalize).
 */
int store_prepare_bind(struct store *s, const char *sql, sqlite3_stmt **stp,
    const char *fmt, ...);
/* Prepare, bind and step to completion (no rows expected). */
int store_run(struct store *s, const char *sql, const char *fmt, ...);
/* A column as a new string ("" for NULL unless keep_null); NULL on OOM. */
char *store_col_strdup(sqlite3_stmt *st, int col);
#endif
