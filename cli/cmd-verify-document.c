/*
 * cmd-verify-document.c: `rsgate verify-document FILE --ca CA [--crl CRL]`
 * checks a signed document offline (a grant, deletion certificate or work
 * report; docs/EVIDENCE.md): well-formed, signature good, signer
 * certificate from the CA, not revoked (with --crl), of the role that
 * issues that kind (hub: certificate and report; access point: grant).
 * Prints the verdict and the document; exit 1 if it does not verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/pki.h"
#include "rsgate/vault.h"
#include "rsgate/workflow.h"

#include "rsgate.h"

static int
cmd_verify_document_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ca", required_argument, NULL, 'A' },
		{ "crl", required_argument, NULL, 'R' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ca = NULL, *crl = NULL, *format = "md", *kind;
	struct pki_trust *trust = NULL;
	struct rsg_buf *doc = NULL, *md = NULL;
	json_t *env = NULL, *pl = NULL;
	json_error_t jerr;
	char err[512], cn[256], fpr[PKI_FINGERPRINT_HEX], q[300], *text;
	unsigned roles;
	int o, r, ex = EXIT_OK;

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		if (o == -2)
			return ex;
		if (o == 'A')
			ca = optarg;
		else if (o == 'R')
			crl = optarg;
		else if (o == 'f')
			format = optarg;
		else
			return cli_usage_error(self, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error(self, "one FILE is required");
	ca = cli_option_or_config(ca, "ca");
	if (ca == NULL)
		return cli_usage_error(self, "--ca is required (or the config "
		    "key ca)");
	if (strcmp(format, "md") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error(self, "--format must be md or json");
	if ((r = file_read_all(argv[optind], SIGNED_DOC_MAX, &doc)) != 0) {
		ex = cli_fail(self, "%s: %s", argv[optind], rsg_strerror(r));
		goto out;
	}
	/* The kind decides which role may sign it; then verify all of it. */
	env = json_loadb((const char *)buf_ptr(doc), buf_len(doc), 0, &jerr);
	kind = json_string_value(json_object_get(env, "kind"));
	if (kind == NULL) {
		ex = cli_fail(self, "%s: not a signed document", argv[optind]);
		goto out;
	}
	if (strcmp(kind, SIGNED_KIND_GRANT) == 0)
		roles = PKI_ROLE_AP;
	else if (strcmp(kind, SIGNED_KIND_DELETION) == 0 ||
	    strcmp(kind, SIGNED_KIND_REPORT) == 0)
		roles = PKI_ROLE_HUB;
	else {
		ex = cli_fail(self, "%s: unknown kind \"%s\"", argv[optind],
		    str_escape(kind, q, sizeof(q)));
		goto out;
	}
	if (pki_trust_load(ca, crl, &trust, err, sizeof(err)) != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	err[0] = '\0';
	if ((r = signed_doc_verify(buf_ptr(doc), buf_len(doc), kind, trust,
	    roles, time_now_ms() / 1000, &pl, cn, sizeof(cn), fpr, err,
	    sizeof(err))) != 0) {
		ex = cli_fail(self, "%s: NOT VERIFIED: %s", argv[optind],
		    err[0] != '\0' ? err : rsg_strerror(r));
		goto out;
	}
	printf("verified: %s signed by \"%s\" (certificate SHA-256 %s)\n\n",
	    kind, str_escape(cn, q, sizeof(q)), fpr);
	if (strcmp(format, "md") == 0 && (md = buf_new(0)) != NULL &&
	    vault_doc_markdown(kind, pl, md) == 0) {
		fwrite(buf_ptr(md), 1, buf_len(md), stdout);
		goto out;
	}
	if ((text = json_dumps(pl, JSON_INDENT(2) | JSON_SORT_KEYS)) != NULL) {
		puts(text);
		free(text);
	}
 out:
	buf_free(doc);
	buf_free(md);
	json_decref(env);
	json_decref(pl);
	pki_trust_free(trust);
	return ex;
}

const struct cmd_entry cmd_verify_document_entry = {
	"verify-document",
	"FILE [--ca CA] [--crl CRL] [--format md|json]",
	"verify a signed grant, deletion certificate or work report offline",
	"  FILE               the signed document (JSON envelope)\n"
	"  --ca CA            the CA certificate(s) (config key ca)\n"
	"  --crl CRL          also refuse a revoked signer\n"
	"  --format md|json   print it as Markdown (default) or JSON\n"
	"Exit 0 only if the signature and the signer's certificate verify.\n",
	cmd_verify_document_exec,
};
