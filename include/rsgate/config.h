/*
 * config: configuration files driven by one option table per program (after
 * tmux's options-table.c and sshd's servconf). The table gives each key its
 * type, bounds, default, flags and help; the parser, the checks, the
 * effective-config dump (-T), --help text and docs/CONFIG.md all come from
 * it, so they cannot drift apart.
 *
 * File format: one "key value" per line; '#' starts a comment outside
 * quotes; a value may be double-quoted ("a \"b\" \\ c") to keep spaces or
 * '#'. Keys are lower-case with underscores. Unknown keys, bad values and
 * repeated single-valued keys are errors reported as "FILE:LINE: reason".
 */
#ifndef RSGATE_CONFIG_H
#define RSGATE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

/* Limits on config input: bounded before anything is parsed. */
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_LINE_MAX 4096
#define CONFIG_VALUES_MAX 1024	/* values of one repeatable key */

enum config_type {
	CONFIG_STRING,	 /* free text, length within [min, max] (max 0: 1024) */
	CONFIG_PATH,	 /* a file or folder path (not checked for existence) */
	CONFIG_INT,	 /* signed decimal within [min, max] */
	CONFIG_BOOL,	 /* yes/no */
	CONFIG_DURATION, /* seconds, with optional s/m/h/d/w, within [min, max] */
	CONFIG_ENUM,	 /* one of choices */
};

#define CONFIG_F_SENSITIVE 0x1 /* redacted in dumps and never logged */
#define CONFIG_F_REQUIRED 0x2  /* config_validate fails while unset */
#define CONFIG_F_MULTI 0x4     /* may be given several times */

struct config_option {
	const char *key;
	enum config_type type;
	int64_t min, max;
	const char *def;		/* default, as it would be written; NULL: unset */
	const char *const *choices;	/* CONFIG_ENUM: NULL-terminated */
	unsigned flags;
	const char *help;		/* one sentence or two */
};

struct config_table {
	const char *program;		/* "rsgate-hub" */
	const char *summary;		/* what the file configures */
	const struct config_option *options;
	size_t n_options;
};

struct config;

/* An empty configuration for table t (defaults apply). */
int config_new(const struct config_table *t, struct config **out) RSG_WUR;
void config_free(struct config *c);

/*
 * Parse a file (at most CONFIG_FILE_MAX bytes) into c. On error, err gets
 * "FILE:LINE: reason" and c keeps what it had before the call (nothing of a
 * bad file is half-applied).
 */
int config_load_file(struct config *c, const char *path, char *err,
    size_t errlen) RSG_WUR;
/* As config_load_file, from memory; name is used in error messages. */
int config_load_string(struct config *c, const char *name, const char *text,
    size_t len, char *err, size_t errlen) RSG_WUR;
/* Set one key as if from a file (e.g. a command-line override). */
int config_set(struct config *c, const char *key, const char *value,
    char *err, size_t errlen) RSG_WUR;
/* Check whole-file rules (required keys); err names the first problem. */
int config_validate(const struct config *c, char *err, size_t errlen) RSG_WUR;

/*
 * Values: the configured value, else the default, else NULL / 0. Asking for
 * a key that is not in the table is a programmer error and returns NULL / 0.
 */
const char *config_get_string(const struct config *c, const char *key);
int64_t config_get_int(const struct config *c, const char *key);
int config_get_bool(const struct config *c, const char *key);
/* Whether the key was set by a file or config_set (not just defaulted). */
int config_is_set(const struct config *c, const char *key);
/* Repeatable keys: how many values, and the ith. */
size_t config_get_count(const struct config *c, const char *key);
const char *config_get_nth(const struct config *c, const char *key, size_t i);

/* The effective configuration as a config file; sensitive values redacted. */
int config_dump(const struct config *c, struct rsg_buf *out) RSG_WUR;
/* The table as Markdown (a section of docs/CONFIG.md). */
int config_doc_markdown(const struct config_table *t, struct rsg_buf *out) RSG_WUR;
/* The table as plain help text for --help. */
int config_help_text(const struct config_table *t, struct rsg_buf *out) RSG_WUR;

#endif /* RSGATE_CONFIG_H */
