/*
 * cmd-pki-verify.c: `rsgate pki verify` makes the same decision a hub or
 * access point makes about a peer: chain to the CA, validity now, not
 * revoked, and the expected role. Exit 0 only when all hold.
 */
#include <stdio.h>

#include "rsgate/pki.h"

#include "cli-pki.h"

static int
cmd_pki_verify_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "ca", required_argument, NULL, 'a' },
		{ "crl", required_argument, NULL, 'l' },
		{ "role", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ca = NULL, *crl = NULL, *role_s = NULL;
	const char *path;
	struct pki_trust *trust = NULL;
	struct x509_st *cert = NULL;
	struct stack_st_X509 *chain = NULL;
	char detail[512], cpath[4096], lpath[4096], cn[PKI_NAME_MAX + 1];
	char have[64];
	unsigned roles;
	int c, ex = EXIT_OK, r;

	while ((c = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			dir = optarg;
			break;
		case 'a':
			ca = optarg;
			break;
		case 'l':
			crl = optarg;
			break;
		case 'r':
			role_s = optarg;
			break;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(self, "give exactly one certificate "
		    "FILE");
	path = argv[optind];
	if (role_s == NULL)
		return cli_usage_error(self, "--role ROLE[,ROLE...] is "
		    "required");
	if (pki_roles_parse(role_s, &roles) != 0)
		return cli_usage_error(self, "--role: '%s' is not a list of "
		    "hub, ap, engineer, admin", role_s);
	if ((ex = cli_pki_trust_paths(self, dir, ca, crl, 1, cpath, lpath,
	    &ca, &crl)) != EXIT_OK)
		return ex;

	if ((r = pki_cert_load_chain(path, &cert, &chain)) != 0)
		return cli_fail(self, "%s: %s", path,
		    r == RSG_ERR_NOT_FOUND ? "no such file" :
		    r == RSG_ERR_FORMAT ? "not a PEM certificate" :
		    rsg_strerror(r));
	if (pki_trust_load(ca, crl, &trust, detail, sizeof(detail)) != 0) {
		ex = cli_fail(self, "%s", detail);
		goto out;
	}
	if ((r = pki_verify_cert(trust, cert, chain, roles, cli_pki_now(),
	    detail, sizeof(detail))) != 0) {
		ex = cli_fail(self, "%s: %s: %s", path, cli_pki_verdict(r),
		    detail);
		goto out;
	}
	if (pki_cert_subject_cn(cert, cn, sizeof(cn)) != 0)
		cn[0] = '\0';
	if (pki_roles_format(pki_cert_roles(cert) & roles, have,
	    sizeof(have)) != 0)
		have[0] = '\0';
	printf("%s: valid: role %s, name \"%s\"\n", path, have, cn);
	ex = EXIT_OK;
 out:
	pki_trust_free(trust);
	pki_chain_free(chain);
	pki_cert_free(cert);
	return ex;
}

const struct cmd_entry cmd_pki_verify_entry = {
	"pki verify",
	"(--dir DIR | --ca FILE [--crl FILE]) --role ROLE[,ROLE...] FILE",
	"check a certificate as a peer would: CA, validity, CRL, role",
	"  FILE              a PEM certificate (and optionally its chain)\n"
	"  --dir DIR         trust the CA in DIR with its CRL (default:\n"
	"                    pki_dir)\n"
	"  --ca FILE         or trust these CA certificates (PEM bundle)\n"
	"  --crl FILE        and check revocation against this CRL\n"
	"  --role ROLES      accepted roles: hub, ap, engineer, admin,\n"
	"                    comma-separated\n"
	"\n"
	"Exit status 0 when valid; 1 with the reason (untrusted, expired,\n"
	"revoked, role) otherwise.\n",
	cmd_pki_verify_exec,
};
