/*
 * cmd-pki-show.c: `rsgate pki show` describes a certificate (subject,
 * issuer, serial, validity, rsgate roles, key, fingerprint) and, given a CA
 * (--dir or --ca/--crl), whether a peer would accept it now.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rsgate/pki.h"

#include "cli-pki.h"

static int
cmd_pki_show_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "ca", required_argument, NULL, 'a' },
		{ "crl", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ca = NULL, *crl = NULL, *path;
	struct pki_trust *trust = NULL;
	struct x509_st *cert = NULL;
	struct stack_st_X509 *chain = NULL;
	char detail[512], cpath[4096], lpath[4096];
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
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(self, "give exactly one certificate "
		    "FILE");
	path = argv[optind];
	if ((ex = cli_pki_trust_paths(self, dir, ca, crl, 0, cpath, lpath,
	    &ca, &crl)) != EXIT_OK)
		return ex;

	if ((r = pki_cert_load_chain(path, &cert, &chain)) != 0)
		return cli_fail(self, "%s: %s", path,
		    r == RSG_ERR_NOT_FOUND ? "no such file" :
		    r == RSG_ERR_FORMAT ? "not a PEM certificate" :
		    rsg_strerror(r));
	if (ca != NULL && pki_trust_load(ca, crl, &trust, detail,
	    sizeof(detail)) != 0) {
		ex = cli_fail(self, "%s", detail);
		goto out;
	}
	if (cli_pki_print_cert(stdout, cert) != 0) {
		ex = cli_fail(self, "%s: cannot decode the certificate", path);
		goto out;
	}
	ex = EXIT_OK;
	if (trust != NULL) {
		/* Check the roles it claims; with none, fail on role. */
		if ((roles = pki_cert_roles(cert)) == 0)
			roles = PKI_ROLE_ALL;
		r = pki_verify_cert(trust, cert, chain, roles, cli_pki_now(),
		    detail, sizeof(detail));
		if (r == 0)
			printf("verdict:     valid\n");
		else {
			printf("verdict:     %s (%s)\n", cli_pki_verdict(r),
			    detail);
			ex = EXIT_FAIL;
		}
	}
 out:
	pki_trust_free(trust);
	pki_chain_free(chain);
	pki_cert_free(cert);
	return ex;
}

const struct cmd_entry cmd_pki_show_entry = {
	"pki show", "[--dir DIR | --ca FILE [--crl FILE]] FILE",
	"describe a certificate and, given a CA, whether it is valid",
	"  FILE              a PEM certificate (and optionally its chain)\n"
	"  --dir DIR         check it against the CA in DIR (ca.crt, crl.pem)\n"
	"  --ca FILE         or against these CA certificates (PEM bundle)\n"
	"  --crl FILE        and this CRL file (PEM)\n"
	"\n"
	"Prints subject, issuer, serial, validity, rsgate roles, key type\n"
	"and SHA-256 fingerprint. With a CA it adds a verdict line: valid,\n"
	"expired, revoked, untrusted or role; exit status 1 unless valid.\n",
	cmd_pki_show_exec,
};
