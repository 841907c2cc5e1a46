/*
 * vault-doc.c: deletion certificates and work reports as Markdown
 * (docs/EVIDENCE.md gives their JSON fields). The same text is shown by
 * the hub to engineers (`rsgate report --format md`) and by the AP to the
 * hospital (`rsgate ap report`), so both read the same story.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/vault.h"
#include "rsgate/workflow.h"

#define CELL_MAX 512

static const char *
str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "-";
}

/* A payload string escaped for a Markdown line ('|' too, for tables). */
static const char *
esc(const char *s, char *out, size_t outlen)
{
	char tmp[CELL_MAX];
	size_t i, j = 0;

	str_escape(s, tmp, sizeof(tmp));
	for (i = 0; tmp[i] != '\0' && j + 2 < outlen; i++) {
		if (tmp[i] == '|' || tmp[i] == '`' || tmp[i] == '*' ||
		    tmp[i] == '_' || tmp[i] == '<' || tmp[i] == '[')
			out[j++] = '\\';
		out[j++] = tmp[i];
	}
	out[j] = '\0';
	return out;
}

static unsigned long long
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
	    (unsigned long long)json_integer_value(v) : 0;
}

static int
items_table(const json_t *items, struct rsg_buf *out)
{
	char a[CELL_MAX], b[CELL_MAX], c[CELL_MAX];
	const json_t *it;
	size_t i;
	int r;

	if (!json_is_array(items) || json_array_size(items) == 0)
		return buf_putf(out, "None.\n\n");
	if ((r = buf_putf(out, "| File | Bytes | SHA-256 | Collected |\n"
	    "|---|---:|---|---|\n")) != 0)
		return r;
	json_array_foreach(items, i, it) {
		if ((r = buf_putf(out, "| %s | %llu | `%s` | %s |\n",
		    esc(str(it, "name"), a, sizeof(a)), num(it, "size"),
		    esc(str(it, "sha256"), b, sizeof(b)),
		    esc(str(it, "collected"), c, sizeof(c)))) != 0)
			return r;
	}
	return buf_putf(out, "\n");
}

static int
deletion_md(const json_t *p, struct rsg_buf *out)
{
	char a[CELL_MAX], b[CELL_MAX], c[CELL_MAX], d[CELL_MAX];
	int r;

	if ((r = buf_putf(out, "# Deletion certificate: ticket %s\n\n",
	    esc(str(p, "ticket"), a, sizeof(a)))) != 0 ||
	    (r = buf_putf(out, "- Device: %s (access point %s)\n",
	    esc(str(p, "device"), a, sizeof(a)),
	    esc(str(p, "ap"), b, sizeof(b)))) != 0 ||
	    (r = buf_putf(out, "- Engineer: %s\n",
	    esc(str(p, "engineer"), a, sizeof(a)))) != 0 ||
	    (r = buf_putf(out, "- Destroyed: %s by hub %s\n",
	    esc(str(p, "destroyed"), c, sizeof(c)),
	    esc(str(p, "hub"), d, sizeof(d)))) != 0 ||
	    (r = buf_putf(out, "- Method: %s\n\n",
	    esc(str(p, "method"), a, sizeof(a)))) != 0 ||
	    (r = buf_putf(out, "## Items destroyed\n\n")) != 0)
		return r;
	return items_table(json_object_get(p, "items"), out);
}

static int
list_line(const char *label, const json_t *arr, struct rsg_buf *out)
{
	char a[CELL_MAX];
	const json_t *v;
	size_t i;
	int r;

	if ((r = buf_putf(out, "- %s: ", label)) != 0)
		return r;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return buf_putf(out, "none\n");
	json_array_foreach(arr, i, v) {
		if ((r = buf_putf(out, "%s%s", i > 0 ? ", " : "",
		    esc(json_is_string(v) ? json_string_value(v) : "?", a,
		    sizeof(a)))) != 0)
			return r;
	}
	return buf_putf(out, "\n");
}

static int
report_md(const json_t *p, struct rsg_buf *out)
{
	char a[CELL_MAX], b[CELL_MAX], c[CELL_MAX], d[CELL_MAX];
	char e[CELL_MAX], f[CELL_MAX];
	const json_t *streams, *s, *hist, *h;
	size_t i;
	int r;

	if ((r = buf_putf(out, "# Work report: ticket %s\n\n",
	    esc(str(p, "ticket"), a, sizeof(a)))) != 0 ||
	    (r = buf_putf(out, "- Device: %s (access point %s)\n",
	    esc(str(p, "device"), a, sizeof(a)),
	    esc(str(p, "ap"), b, sizeof(b)))) != 0 ||
	    (r = buf_putf(out, "- Engineer: %s\n- Approver: %s%s\n",
	    esc(str(p, "engineer"), a, sizeof(a)),
	    esc(str(p, "approver"), b, sizeof(b)),
	    json_is_true(json_object_get(p, "emergency")) ?
	    " (emergency access, approval afterwards)" : "")) != 0 ||
	    (r = buf_putf(out, "- Purpose: %s\n- Reason: %s\n",
	    *str(p, "purpose") != '\0' ? esc(str(p, "purpose"), a,
	    sizeof(a)) : "-",
	    esc(str(p, "reason"), b, sizeof(b)))) != 0 ||
	    (r = buf_putf(out, "- Window: %s to %s\n- Ended as: %s\n",
	    esc(str(p, "not_before"), a, sizeof(a)),
	    esc(str(p, "not_after"), b, sizeof(b)),
	    esc(str(p, "ended_state"), c, sizeof(c)))) != 0 ||
	    (r = list_line("Capabilities granted",
	    json_object_get(p, "capabilities_granted"), out)) != 0 ||
	    (r = list_line("Capabilities used",
	    json_object_get(p, "capabilities_used"), out)) != 0 ||
	    (r = buf_putf(out, "- Deletion certificate SHA-256: `%s`\n"
	    "- Issued: %s by hub %s\n\n",
	    esc(str(p, "deletion_certificate_sha256"), a, sizeof(a)),
	    esc(str(p, "issued"), b, sizeof(b)),
	    esc(str(p, "hub"), c, sizeof(c)))) != 0)
		return r;
	if ((r = buf_putf(out, "## Streams\n\n")) != 0)
		return r;
	streams = json_object_get(p, "streams");
	if (!json_is_array(streams) || json_array_size(streams) == 0) {
		if ((r = buf_putf(out, "None.\n\n")) != 0)
			return r;
	} else {
		if ((r = buf_putf(out, "| Stream | Service | Opened | "
		    "Bytes up | Bytes down | Duration (ms) | Closed because |\n"
		    "|---|---|---|---:|---:|---:|---|\n")) != 0)
			return r;
		json_array_foreach(streams, i, s) {
			if ((r = buf_putf(out, "| %s | %s | %s | %llu | %llu | "
			    "%llu | %s |\n",
			    esc(str(s, "session"), a, sizeof(a)),
			    esc(str(s, "service"), b, sizeof(b)),
			    esc(str(s, "opened"), c, sizeof(c)),
			    num(s, "bytes_up"), num(s, "bytes_down"),
			    num(s, "duration_ms"),
			    esc(str(s, "close_reason"), d, sizeof(d)))) != 0)
				return r;
		}
		if ((r = buf_putf(out, "\nBytes are what the hub relayed: "
		    "the TLS records between the engineer's client and the "
		    "access point, handshake included. The hub never sees "
		    "the plaintext; the access point's audit log "
		    "(`session.close`) counts the bytes to and from the "
		    "device.\n\n")) != 0)
			return r;
	}
	if ((r = buf_putf(out, "## Files collected\n\n")) != 0 ||
	    (r = items_table(json_object_get(p, "files"), out)) != 0)
		return r;
	hist = json_object_get(p, "history");
	if (json_is_array(hist) && json_array_size(hist) > 0) {
		if ((r = buf_putf(out, "## History\n\n")) != 0)
			return r;
		json_array_foreach(hist, i, h) {
			if ((r = buf_putf(out, "- %s %s by %s (%s): %s -> %s\n",
			    esc(str(h, "time"), a, sizeof(a)),
			    esc(str(h, "event"), b, sizeof(b)),
			    esc(str(h, "who"), c, sizeof(c)),
			    esc(str(h, "actor"), d, sizeof(d)),
			    esc(str(h, "from"), e, sizeof(e)),
			    esc(str(h, "to"), f, sizeof(f)))) != 0)
				return r;
		}
		if ((r = buf_putf(out, "\n")) != 0)
			return r;
	}
	return 0;
}

int
vault_doc_markdown(const char *kind, const json_t *payload,
    struct rsg_buf *out)
{
	if (kind == NULL || !json_is_object(payload) || out == NULL)
		return RSG_ERR_INVALID_ARG;
	if (strcmp(kind, SIGNED_KIND_DELETION) == 0)
		return deletion_md(payload, out);
	if (strcmp(kind, SIGNED_KIND_REPORT) == 0)
		return report_md(payload, out);
	return RSG_ERR_FORMAT;
}
