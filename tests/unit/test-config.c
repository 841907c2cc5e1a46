/*
 * test-config.c: unit tests of the table-driven config parser. A test table
 * has a key of every type; the tests check defaults, the file syntax
 * (quotes, comments, CRLF), that every kind of error names FILE:LINE and
 * leaves the earlier values untouched, multi-valued keys, command-line
 * overrides, required keys, and that the dump redacts secrets (logging is
 * not auditing: secrets never appear in -T output) and reads back to the
 * same values. Help and Markdown must list every key, since --help and
 * docs/CONFIG.md are generated from the same table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/config.h"
#include "testutil.h"

static const char *const colours[] = { "red", "green", "blue", NULL };

static const struct config_option test_options[] = {
	{ "name", CONFIG_STRING, 1, 16, "gate", NULL, 0, "A short name." },
	{ "dir", CONFIG_PATH, 0, 0, NULL, NULL, 0, "A folder." },
	{ "port", CONFIG_INT, 1, 65535, "8443", NULL, 0, "A TCP port." },
	{ "offset", CONFIG_INT, -100, 100, NULL, NULL, 0, "Signed." },
	{ "enabled", CONFIG_BOOL, 0, 0, "no", NULL, 0, "On or off." },
	{ "timeout", CONFIG_DURATION, 1, 86400, "15m", NULL, 0, "How long." },
	{ "colour", CONFIG_ENUM, 0, 0, "red", colours, 0, "A | choice." },
	{ "allow", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_MULTI,
	    "Repeatable." },
	{ "secret", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_SENSITIVE,
	    "A password." },
	{ "site", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	    "Required." },
};

static const struct config_table test_table = {
	"rsgate-test", "A table with every type.", test_options,
	sizeof(test_options) / sizeof(test_options[0]),
};

static struct config *
load(const char *text)
{
	struct config *c = NULL;
	char err[512];

	assert_int_equal(config_new(&test_table, &c), 0);
	if (config_load_string(c, "t.conf", text, strlen(text), err,
	    sizeof(err)) != 0)
		fail_msg("unexpected config error: %s", err);
	return c;
}

static void
test_defaults(void **state)
{
	struct config *c = NULL;

	(void)state;
	assert_int_equal(config_new(NULL, &c), RSG_ERR_INVALID_ARG);
	assert_null(c);
	c = load("");
	assert_string_equal(config_get_string(c, "name"), "gate");
	assert_int_equal(config_get_int(c, "port"), 8443);
	assert_int_equal(config_get_bool(c, "enabled"), 0);
	assert_int_equal(config_get_int(c, "timeout"), 900);
	assert_string_equal(config_get_string(c, "colour"), "red");
	assert_null(config_get_string(c, "dir"));
	assert_int_equal(config_get_int(c, "offset"), 0);
	assert_int_equal(config_is_set(c, "port"), 0);
	assert_int_equal(config_get_count(c, "allow"), 0);
	assert_null(config_get_nth(c, "allow", 0));
	/* A default counts as one value. */
	assert_int_equal(config_get_count(c, "name"), 1);
	assert_string_equal(config_get_nth(c, "name", 0), "gate");
	assert_null(config_get_nth(c, "name", 1));
	/* Keys not in the table: a programmer error, answered NULL / 0. */
	assert_null(config_get_string(c, "nope"));
	assert_int_equal(config_get_int(c, "nope"), 0);
	assert_int_equal(config_get_bool(c, "nope"), 0);
	assert_int_equal(config_is_set(c, "nope"), 0);
	assert_int_equal(config_get_count(c, "nope"), 0);
	assert_null(config_get_nth(c, "nope", 0));
	config_free(c);
	config_free(NULL);
}

static void
test_good_file(void **state)
{
	struct config *c;

	(void)state;
	c = load(
	    "# a comment line\n"
	    "\n"
	    "   \t  \n"
	    "name \"two # words\"  # a comment\n"
	    "  dir\t/var/lib/rsgate   \n"
	    "port 65535\r\n"
	    "offset -100 # trailing comment\n"
	    "enabled yes\n"
	    "timeout 1d\n"
	    "colour blue\n"
	    "allow one\n"
	    "allow \"say \\\"hi\\\" \\\\ there\"\n"
	    "allow \"\"\n"
	    "secret hunter2\n"
	    "site /etc/site");	/* last line without a newline */
	assert_string_equal(config_get_string(c, "name"),
	    "two # words");
	assert_string_equal(config_get_string(c, "dir"), "/var/lib/rsgate");
	assert_int_equal(config_get_int(c, "port"), 65535);
	assert_int_equal(config_get_int(c, "offset"), -100);
	assert_int_equal(config_get_bool(c, "enabled"), 1);
	assert_int_equal(config_get_int(c, "timeout"), 86400);
	assert_string_equal(config_get_string(c, "colour"), "blue");
	assert_int_equal(config_get_count(c, "allow"), 3);
	assert_string_equal(config_get_nth(c, "allow", 0), "one");
	assert_string_equal(config_get_nth(c, "allow", 1),
	    "say \"hi\" \\ there");
	assert_string_equal(config_get_nth(c, "allow", 2), "");
	assert_null(config_get_nth(c, "allow", 3));
	assert_string_equal(config_get_string(c, "secret"), "hunter2");
	assert_string_equal(config_get_string(c, "site"), "/etc/site");
	assert_int_equal(config_is_set(c, "port"), 1);
	config_free(c);
}

/* One bad file, where its error must point, and a word the reason has. */
struct bad_case {
	const char *what;
	const char *text;
	int line;
	const char *reason;
};

static const struct bad_case bad_cases[] = {
	{ "unknown key", "name x\nnosuchkey 1\n", 2, "unknown option" },
	{ "int above max", "name x\n\nport 65536\n", 3, "integer from 1 to 65535" },
	{ "int below min", "offset -101\n", 1, "integer from -100 to 100" },
	{ "int not a number", "name x\nport 80x\n", 2, "integer" },
	{ "int overflow", "offset 99999999999999999999\n", 1, "integer" },
	{ "bad duration", "name x\ntimeout 5x\n", 2, "duration" },
	{ "duration above max", "timeout 2d\n", 1, "duration" },
	{ "duration zero under min 1", "timeout 0\n", 1, "duration" },
	{ "bad enum", "# c\ncolour pink\n", 2, "one of: red green blue" },
	{ "bad bool", "enabled maybe\n", 1, "yes or no" },
	{ "repeated single key", "colour red\nname x\ncolour blue\n", 3,
	    "more than once" },
	{ "missing value", "name x\nport\n", 2, "missing value" },
	{ "missing value before comment", "port   # none\n", 1,
	    "missing value" },
	{ "unterminated quoted value", "name \"abc\n", 1, "unterminated" },
	{ "bad escape", "name \"a\\nb\"\n", 1, "bad escape" },
	{ "text after quotes", "name \"a\" b\n", 1, "text after" },
	{ "upper-case key", "Port 1\n", 1, "key value" },
	{ "key with dash", "po-rt 1\n", 1, "key value" },
	{ "string too long", "name 12345678901234567\n", 1, "1 to 16" },
	{ "string too short", "name \"\"\n", 1, "1 to 16" },
	{ "empty path", "dir \"\"\n", 1, "path" },
	{ "control character", "name \"a\x01b\"\n", 1, "control" },
	{ "tab inside value", "allow a\tb\n", 1, "control" },
	{ "lone CR inside value", "allow a\rb\n", 1, "control" },
	{ "NUL byte", "name x\nport 1\nallow a\0b\n", 3, "NUL" },
};

static void
test_errors_name_file_and_line(void **state)
{
	struct config *c = NULL;
	char err[512], want[64];
	size_t i, len;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];

		/* sizeof - 1: the NUL case has a NUL inside the text. */
		len = strcmp(bc->what, "NUL byte") == 0 ?
		    sizeof("name x\nport 1\nallow a\0b\n") - 1 : strlen(bc->text);
		c = load("port 1234\nallow kept\n");
		err[0] = '\0';
		r = config_load_string(c, "t.conf", bc->text, len, err,
		    sizeof(err));
		if (r >= 0)
			fail_msg("%s: accepted", bc->what);
		snprintf(want, sizeof(want), "t.conf:%d: ", bc->line);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("%s: error \"%s\" does not start with \"%s\"",
			    bc->what, err, want);
		if (strstr(err, bc->reason) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", bc->what,
			    err, bc->reason);
		/* One line, safe to print: no control characters. */
		assert_null(strchr(err, '\n'));
		assert_null(strchr(err, '\x01'));
		/* Nothing of the bad file was applied. */
		assert_int_equal(config_get_int(c, "port"), 1234);
		assert_string_equal(config_get_string(c, "name"), "gate");
		assert_int_equal(config_get_count(c, "allow"), 1);
		assert_string_equal(config_get_nth(c, "allow", 0), "kept");
		config_free(c);
	}
}

static void
test_long_lines(void **state)
{
	struct config *c;
	char *text, err[512];
	size_t n;

	(void)state;
	/* A line of exactly CONFIG_LINE_MAX bytes (LF or CRLF) is fine. */
	text = malloc(CONFIG_LINE_MAX + 16);
	assert_non_null(text);
	memcpy(text, "allow ", 6);
	memset(text + 6, 'a', CONFIG_LINE_MAX - 6);
	memcpy(text + CONFIG_LINE_MAX, "\r\n", 3);
	assert_int_equal(config_new(&test_table, &c), 0);
	/* The STRING max (1024) refuses the value, but not as too long a line. */
	assert_int_equal(config_load_string(c, "t.conf", text,
	    CONFIG_LINE_MAX + 2, err, sizeof(err)), RSG_ERR_CONFIG);
	assert_non_null(strstr(err, "t.conf:1: allow: bad value"));
	/* One byte more is an over-long line, reported with its number. */
	memcpy(text, "# c\n", 4);
	memset(text + 4, '#', CONFIG_LINE_MAX + 1);
	text[CONFIG_LINE_MAX + 5] = '\n';
	n = CONFIG_LINE_MAX + 6;
	assert_int_equal(config_load_string(c, "t.conf", text, n, err,
	    sizeof(err)), RSG_ERR_LIMIT);
	assert_non_null(strstr(err, "t.conf:2: line longer than 4096"));
	/* Even as a comment, and even at the end without a newline. */
	assert_int_equal(config_load_string(c, "t.conf", text, n - 1, err,
	    sizeof(err)), RSG_ERR_LIMIT);
	assert_non_null(strstr(err, "t.conf:2: "));
	free(text);
	config_free(c);
}

static void
test_files(void **state)
{
	struct config *c;
	char err[512], *dir, *big;
	const char *p, *missing;

	(void)state;
	assert_non_null(dir = tmpdir_new("config"));
	assert_int_equal(config_new(&test_table, &c), 0);

	/* A missing file: the error names it. */
	missing = tmppath(dir, "missing.conf");
	assert_int_equal(config_load_file(c, missing, err, sizeof(err)),
	    RSG_ERR_NOT_FOUND);
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, "no such file"));

	/* A good file, then a bad one that changes nothing. */
	p = tmppath(dir, "good.conf");
	assert_int_equal(file_write_atomic(p, "port 99\nallow a\n", 16, 0600,
	    0), 0);
	assert_int_equal(config_load_file(c, p, err, sizeof(err)), 0);
	assert_int_equal(config_get_int(c, "port"), 99);
	p = tmppath(dir, "bad.conf");
	assert_int_equal(file_write_atomic(p, "allow b\nenabled 2\n", 18, 0600,
	    0), 0);
	assert_int_equal(config_load_file(c, p, err, sizeof(err)),
	    RSG_ERR_CONFIG);
	assert_true(strncmp(err, p, strlen(p)) == 0);
	assert_non_null(strstr(err, "bad.conf:2: enabled: bad value"));
	assert_int_equal(config_get_count(c, "allow"), 1);

	/* Over the size cap: refused before parsing, the file is named. */
	big = malloc(CONFIG_FILE_MAX + 1);
	assert_non_null(big);
	memset(big, '\n', CONFIG_FILE_MAX + 1);
	p = tmppath(dir, "big.conf");
	assert_int_equal(file_write_atomic(p, big, CONFIG_FILE_MAX + 1, 0600,
	    0), 0);
	assert_int_equal(config_load_file(c, p, err, sizeof(err)),
	    RSG_ERR_LIMIT);
	assert_true(strncmp(err, p, strlen(p)) == 0);
	assert_non_null(strstr(err, "larger than"));
	assert_int_equal(config_load_string(c, "mem", big, CONFIG_FILE_MAX + 1,
	    err, sizeof(err)), RSG_ERR_LIMIT);
	assert_non_null(strstr(err, "mem: file larger than"));
	/* Exactly the cap is fine (blank lines). */
	assert_int_equal(config_load_string(c, "mem", big, CONFIG_FILE_MAX,
	    err, sizeof(err)), 0);
	free(big);
	assert_int_equal(config_get_int(c, "port"), 99);

	/* A name with control characters is escaped in the message. */
	assert_int_equal(config_load_string(c, "evil\nname", "x 1\n", 4, err,
	    sizeof(err)), RSG_ERR_CONFIG);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "evil\\nname:1:"));
	config_free(c);
	tmpdir_rm(dir);
}

static void
test_sensitive_not_in_errors(void **state)
{
	struct config *c;
	char err[512];
	const char *text = "secret \"hunter2\x01\"\n";

	(void)state;
	assert_int_equal(config_new(&test_table, &c), 0);
	assert_int_equal(config_load_string(c, "t.conf", text, strlen(text),
	    err, sizeof(err)), RSG_ERR_CONFIG);
	assert_non_null(strstr(err, "t.conf:1: secret: bad value (redacted)"));
	assert_null(strstr(err, "hunter2"));
	config_free(c);
}

static void
test_multi(void **state)
{
	struct config *c;
	char err[512], line[32];
	size_t i;
	struct rsg_buf *b;

	(void)state;
	c = load("allow a\nallow b\n");
	/* A second file adds to a repeatable key. */
	assert_int_equal(config_load_string(c, "u.conf", "allow c\n", 8, err,
	    sizeof(err)), 0);
	assert_int_equal(config_get_count(c, "allow"), 3);
	assert_string_equal(config_get_nth(c, "allow", 2), "c");
	/* config_set appends to a repeatable key too. */
	assert_int_equal(config_set(c, "allow", "d", err, sizeof(err)), 0);
	assert_int_equal(config_get_count(c, "allow"), 4);
	assert_string_equal(config_get_string(c, "allow"), "a");
	config_free(c);

	/* At most CONFIG_VALUES_MAX values of one key. */
	assert_non_null(b = buf_new(0));
	for (i = 0; i <= CONFIG_VALUES_MAX; i++) {
		snprintf(line, sizeof(line), "allow v%zu\n", i);
		assert_int_equal(buf_putf(b, "%s", line), 0);
	}
	assert_int_equal(config_new(&test_table, &c), 0);
	assert_int_equal(config_load_string(c, "t.conf",
	    (const char *)buf_ptr(b), buf_len(b), err, sizeof(err)),
	    RSG_ERR_CONFIG);
	snprintf(line, sizeof(line), "t.conf:%d: ", CONFIG_VALUES_MAX + 1);
	assert_true(strncmp(err, line, strlen(line)) == 0);
	assert_non_null(strstr(err, "too many values"));
	assert_int_equal(config_get_count(c, "allow"), 0);
	buf_free(b);
	config_free(c);
}

static void
test_set_override(void **state)
{
	struct config *c;
	char err[512];

	(void)state;
	c = load("port 80\nname web\n");
	/* An override replaces a single-valued key instead of repeating it. */
	assert_int_equal(config_set(c, "port", "443", err, sizeof(err)), 0);
	assert_int_equal(config_get_int(c, "port"), 443);
	assert_int_equal(config_set(c, "port", "444", err, sizeof(err)), 0);
	assert_int_equal(config_get_int(c, "port"), 444);
	/* Values are checked like a file's; a bad one changes nothing. */
	assert_int_equal(config_set(c, "port", "0", err, sizeof(err)),
	    RSG_ERR_CONFIG);
	assert_non_null(strstr(err, "command line: port: bad value \"0\""));
	assert_int_equal(config_get_int(c, "port"), 444);
	assert_int_equal(config_set(c, "nosuch", "1", err, sizeof(err)),
	    RSG_ERR_CONFIG);
	assert_non_null(strstr(err, "unknown option \"nosuch\""));
	/* Values with spaces need no quoting here. */
	assert_int_equal(config_set(c, "name", "a b", err, sizeof(err)), 0);
	assert_string_equal(config_get_string(c, "name"), "a b");
	assert_int_equal(config_set(c, "timeout", "2h", err, sizeof(err)), 0);
	assert_int_equal(config_get_int(c, "timeout"), 7200);
	/* After an override a file may not set the key again. */
	assert_int_equal(config_load_string(c, "t.conf", "port 1\n", 7, err,
	    sizeof(err)), RSG_ERR_CONFIG);
	assert_non_null(strstr(err, "more than once"));
	config_free(c);
}

static void
test_validate_required(void **state)
{
	struct config *c;
	char err[512];

	(void)state;
	c = load("port 1\n");
	assert_int_equal(config_validate(c, err, sizeof(err)), RSG_ERR_CONFIG);
	assert_non_null(strstr(err, "\"site\""));
	assert_int_equal(config_set(c, "site", "/srv", err, sizeof(err)), 0);
	assert_int_equal(config_validate(c, err, sizeof(err)), 0);
	config_free(c);
}

/* Every non-sensitive key has the same values in a and b. */
static void
assert_same_values(const struct config *a, const struct config *b)
{
	size_t i, j, n;

	for (i = 0; i < test_table.n_options; i++) {
		const struct config_option *o = &test_table.options[i];

		if (o->flags & CONFIG_F_SENSITIVE)
			continue;
		n = config_get_count(a, o->key);
		assert_int_equal(config_get_count(b, o->key), n);
		for (j = 0; j < n; j++)
			assert_string_equal(config_get_nth(a, o->key, j),
			    config_get_nth(b, o->key, j));
	}
}

static void
test_dump_redacts_and_reparses(void **state)
{
	struct config *c, *c2 = NULL;
	struct rsg_buf *out;
	char err[512], *s;

	(void)state;
	c = load(
	    "name \" lead#\"\n"
	    "dir \"/a path/with \\\"quotes\\\" and \\\\\"\n"
	    "offset -7\n"
	    "enabled on\n"
	    "allow x\n"
	    "allow \"\"\n"
	    "allow \"trail \"\n"
	    "allow caf\xc3\xa9\n"
	    "secret \"hunter2 with spaces\"\n");
	assert_non_null(out = buf_new(0));
	assert_int_equal(config_dump(c, out), 0);
	assert_non_null(s = buf_dup_cstring(out));
	/* The secret is redacted; the key is still shown as set. */
	assert_null(strstr(s, "hunter2"));
	assert_non_null(strstr(s, "\nsecret <redacted>\n"));
	/* Defaults and unset keys are marked. */
	assert_non_null(strstr(s, "\nport 8443  # default\n"));
	assert_non_null(strstr(s, "\n# site (not set)\n"));
	assert_non_null(strstr(s, "\nenabled on\n"));
	free(s);

	/* The dump is a config file that reads back to the same values. */
	assert_int_equal(config_new(&test_table, &c2), 0);
	if (config_load_string(c2, "dump", (const char *)buf_ptr(out),
	    buf_len(out), err, sizeof(err)) != 0)
		fail_msg("dump does not re-parse: %s", err);
	assert_same_values(c, c2);
	assert_string_equal(config_get_string(c2, "name"), " lead#");
	assert_string_equal(config_get_string(c2, "dir"),
	    "/a path/with \"quotes\" and \\");
	assert_string_equal(config_get_nth(c2, "allow", 2), "trail ");
	assert_string_equal(config_get_string(c2, "secret"), "<redacted>");
	buf_free(out);
	config_free(c);
	config_free(c2);
}

static void
test_help_and_markdown(void **state)
{
	struct rsg_buf *help, *md;
	char *h, *m, needle[64];
	size_t i;

	(void)state;
	assert_non_null(help = buf_new(0));
	assert_non_null(md = buf_new(0));
	assert_int_equal(config_help_text(&test_table, help), 0);
	assert_int_equal(config_doc_markdown(&test_table, md), 0);
	assert_non_null(h = buf_dup_cstring(help));
	assert_non_null(m = buf_dup_cstring(md));
	for (i = 0; i < test_table.n_options; i++) {
		const char *key = test_table.options[i].key;

		snprintf(needle, sizeof(needle), "  %s ", key);
		if (strstr(h, needle) == NULL)
			fail_msg("help lacks key %s", key);
		snprintf(needle, sizeof(needle), "\n| `%s` |", key);
		if (strstr(m, needle) == NULL)
			fail_msg("markdown lacks key %s", key);
	}
	assert_non_null(strstr(m, "## rsgate-test\n"));
	assert_non_null(strstr(m, "red, green, blue"));
	assert_non_null(strstr(m, "1 to 65535"));
	assert_non_null(strstr(m, "1s to 86400s"));
	assert_non_null(strstr(m, "Sensitive: redacted"));
	assert_non_null(strstr(m, "Required."));
	assert_non_null(strstr(m, "May be repeated."));
	/* A '|' in help text must not add a table column. */
	assert_non_null(strstr(m, "A \\| choice."));
	assert_non_null(strstr(h, "default 8443"));
	free(h);
	free(m);
	buf_free(help);
	buf_free(md);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_sensitive_not_in_errors),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_set_override),
		cmocka_unit_test(test_validate_required),
		cmocka_unit_test(test_dump_redacts_and_reparses),
		cmocka_unit_test(test_help_and_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
