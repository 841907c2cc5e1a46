/*
 * fuzz-config.c: libFuzzer target for the config parser
 * (config_load_string) over a table with a key of every type. Beyond "no
 * crash" it checks the parser's promises: an error is one printable line
 * that starts with the file name and leaves the earlier values untouched;
 * a file that loads has a dump (-T) that loads again to the same values.
 * A normal build replays tests/fuzz/corpus/config/ under ctest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_choices[] = { "red", "green", "blue", NULL };

static const struct config_option fz_options[] = {
	{ "name", CONFIG_STRING, 1, 16, "gate", NULL, 0, "Short string." },
	{ "text", CONFIG_STRING, 0, 0, NULL, NULL, 0, "Long string." },
	{ "dir", CONFIG_PATH, 0, 0, NULL, NULL, 0, "A path." },
	{ "port", CONFIG_INT, 1, 65535, "8443", NULL, 0, "Small int." },
	{ "big", CONFIG_INT, INT64_MIN, INT64_MAX, NULL, NULL, 0, "Full int." },
	{ "enabled", CONFIG_BOOL, 0, 0, "no", NULL, 0, "A bool." },
	{ "timeout", CONFIG_DURATION, 1, 604800, "15m", NULL, 0, "Duration." },
	{ "colour", CONFIG_ENUM, 0, 0, "red", fz_choices, 0, "A choice." },
	{ "allow", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_MULTI, "Multi." },
	{ "secret", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_SENSITIVE,
	    "Sensitive." },
	{ "site", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED, "Required." },
};

static const struct config_table fz_table = {
	"rsgate-fuzz", "Every type.", fz_options,
	sizeof(fz_options) / sizeof(fz_options[0]),
};

static const char fz_base[] = "allow base\n";

static void
check_error(const struct config *c, const char *err)
{
	size_t i;

	/* "fuzz:LINE: reason" (or "fuzz: ..."), one printable line. */
	if (strncmp(err, "fuzz:", 5) != 0)
		abort();
	for (i = 0; err[i] != '\0'; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			abort();
	/* Nothing of the bad input was applied. */
	if (config_get_count(c, "allow") != 1 ||
	    strcmp(config_get_nth(c, "allow", 0), "base") != 0)
		abort();
	for (i = 0; i < fz_table.n_options; i++)
		if (strcmp(fz_options[i].key, "allow") != 0 &&
		    config_is_set(c, fz_options[i].key))
			abort();
}

static void
check_roundtrip(const struct config *c)
{
	struct config *c2 = NULL;
	struct rsg_buf *out = NULL;
	const uint8_t *p, *end, *nl;
	char err[512];
	size_t i, j, n;

	if ((out = buf_new(0)) == NULL || config_dump(c, out) != 0)
		goto out;
	if (config_new(&fz_table, &c2) != 0)
		goto out;
	/* The dump of a good config is itself a good config... */
	if (config_load_string(c2, "dump", (const char *)buf_ptr(out),
	    buf_len(out), err, sizeof(err)) != 0)
		abort();
	/* ...with the same values, sensitive ones aside. */
	for (i = 0; i < fz_table.n_options; i++) {
		const struct config_option *o = &fz_options[i];

		if (o->flags & CONFIG_F_SENSITIVE)
			continue;
		n = config_get_count(c, o->key);
		if (config_get_count(c2, o->key) != n)
			abort();
		for (j = 0; j < n; j++)
			if (strcmp(config_get_nth(c, o->key, j),
			    config_get_nth(c2, o->key, j)) != 0)
				abort();
		if (config_get_int(c, o->key) != config_get_int(c2, o->key) ||
		    config_get_bool(c, o->key) != config_get_bool(c2, o->key))
			abort();
	}
	/* Every "secret" line of the dump is redacted. */
	p = buf_ptr(out);
	end = p + buf_len(out);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			abort();	/* the dump ends every line */
		if ((size_t)(nl - p) >= 7 && memcmp(p, "secret ", 7) == 0 &&
		    ((size_t)(nl - p) != 17 || memcmp(p, "secret <redacted>",
		    17) != 0))
			abort();
	}
 out:
	config_free(c2);
	buf_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char err[512];

	if (config_new(&fz_table, &c) != 0)
		return 0;
	if (config_load_string(c, "base", fz_base, sizeof(fz_base) - 1, err,
	    sizeof(err)) != 0)
		abort();
	err[0] = '\0';
	if (config_load_string(c, "fuzz", (const char *)data, size, err,
	    sizeof(err)) != 0)
		check_error(c, err);
	else {
		/* Valid exactly when the required key is set. */
		if ((config_validate(c, err, sizeof(err)) == 0) !=
		    (config_is_set(c, "site") != 0))
			abort();
		check_roundtrip(c);
	}
	config_free(c);
	return 0;
}
