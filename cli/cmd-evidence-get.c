/*
 * cmd-evidence-get.c: `rsgate evidence get --ticket T --name NAME [--out
 * FILE]` reads one file back from the vault (GET
 * /v1/tickets/T/evidence/NAME?offset=N, in chunks of at most 512 KiB so
 * that any file up to collect_max comes through): the hub decrypts and
 * verifies it, audits each read (evidence.read); we check its SHA-256
 * again and write it to FILE (mode 0600, not overwritten) or stdout.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "rsgate/util.h"

#include "cli-vault.h"

/* The largest file read (the hub's collect_max is at most 64 MiB). */
#define EVIDENCE_GET_MAX (256 * 1024 * 1024)

static int
cmd_evidence_get_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ticket", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		CLI_HUB_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_hub hc = { NULL, NULL, NULL, NULL };
	const char *ticket = NULL, *name = NULL, *outp = NULL, *d, *w;
	const json_t *size, *offj;
	struct rsg_buf *data = NULL;
	struct api *api = NULL;
	json_t *rep = NULL;
	char path[2048] = "/v1/tickets/", hex[65], want[65] = "";
	size_t plen, before;
	uint8_t md[32];
	int o, r, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (o == 't')
			ticket = optarg;
		else if (o == 'n')
			name = optarg;
		else if (o == 'o')
			outp = optarg;
		else if (!cli_hub_opt(&hc, o, optarg))
			return cli_usage_error(self, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (ticket == NULL || name == NULL)
		return cli_usage_error(self, "--ticket and --name are "
		    "required");
	if (cli_path_escape(ticket, path, sizeof(path)) != 0 ||
	    cli_path_append(path, sizeof(path), "/evidence/") != 0)
		return cli_usage_error(self, "--ticket is too long");
	if (cli_path_escape(name, path, sizeof(path)) != 0)
		return cli_usage_error(self, "--name is too long");
	if (cli_hub_open(self, &hc, &api, &ex) != 0)
		return ex;
	/*
	 * In chunks (?offset=N): each reply stays under the API client's
	 * 1 MiB limit whatever the file's size (up to collect_max).
	 */
	if ((data = buf_new(EVIDENCE_GET_MAX)) == NULL) {
		ex = cli_fail(self, "out of memory");
		goto out;
	}
	plen = strlen(path);
	for (;;) {
		path[plen] = '\0';
		if ((size_t)snprintf(path + plen, sizeof(path) - plen,
		    "?offset=%zu", buf_len(data)) >= sizeof(path) - plen) {
			ex = cli_usage_error(self, "--name is too long");
			goto out;
		}
		json_decref(rep);
		rep = NULL;
		if ((ex = cli_hub_call(self, api, "GET", path, NULL, 200,
		    &rep)) != EXIT_OK)
			goto out;
		d = json_string_value(json_object_get(rep, "data"));
		w = json_string_value(json_object_get(rep, "sha256"));
		size = json_object_get(rep, "size");
		offj = json_object_get(rep, "offset");
		if (d == NULL || w == NULL || strlen(w) != 64 ||
		    !json_is_integer(size) || json_integer_value(size) < 0 ||
		    !json_is_integer(offj) || (uint64_t)json_integer_value(
		    offj) != buf_len(data) ||
		    !json_is_boolean(json_object_get(rep, "last"))) {
			ex = cli_fail(self, "the hub's reply holds no file");
			goto out;
		}
		if (want[0] == '\0')
			memcpy(want, w, 65);
		else if (strcmp(want, w) != 0) {
			ex = cli_fail(self, "the file changed while it was "
			    "read");
			goto out;
		}
		before = buf_len(data);
		if (base64_decode(d, strlen(d), data) != 0) {
			ex = cli_fail(self, buf_len(data) >= EVIDENCE_GET_MAX ?
			    "the file is larger than this command reads" :
			    "the hub's reply holds no file");
			goto out;
		}
		if ((uint64_t)buf_len(data) > (uint64_t)json_integer_value(
		    size)) {
			ex = cli_fail(self, "the hub sent more than the file");
			goto out;
		}
		if (json_is_true(json_object_get(rep, "last")))
			break;
		if (buf_len(data) == before) {
			ex = cli_fail(self, "the hub sent an empty chunk");
			goto out;
		}
	}
	if (EVP_Digest(buf_ptr(data), buf_len(data), md, NULL, EVP_sha256(),
	    NULL) != 1 || strcmp(hex_encode(md, sizeof(md), hex), want) != 0) {
		ex = cli_fail(self, "the file does not match its SHA-256");
		goto out;
	}
	if (outp == NULL) {
		fwrite(buf_ptr(data), 1, buf_len(data), stdout);
		goto out;
	}
	if ((r = file_write_atomic(outp, buf_ptr(data), buf_len(data), 0600,
	    1)) != 0) {
		ex = cli_fail(self, "cannot write %s: %s", outp,
		    rsg_strerror(r));
		goto out;
	}
	fprintf(stderr, "wrote %s (%zu bytes, SHA-256 %s)\n", outp,
	    buf_len(data), hex);
 out:
	buf_free(data);
	json_decref(rep);
	api_free(api);
	return ex;
}

const struct cmd_entry cmd_evidence_get_entry = {
	"evidence get",
	"--ticket T --name NAME [--out FILE] [--hub H --cert F --key F --ca F]",
	"read one file back from the hub's evidence vault (audited)",
	"  --ticket T         the ticket (yours)\n"
	"  --name NAME        the file's name in the vault\n"
	"  --out FILE         write it here (mode 0600; default stdout)\n"
	CLI_HUB_HELP,
	cmd_evidence_get_exec,
};
