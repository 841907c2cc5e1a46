/*
 * cmd-pki-revoke.c: `rsgate pki revoke` puts a certificate on the CA's
 * revocation list (by file or by serial) and re-signs DIR/crl.pem. Peers
 * that load the new CRL refuse the certificate from then on (R5, R15).
 */
#include <ctype.h>
#include <stdio.h>

#include "rsgate/pki.h"

#include "cli-pki.h"

static int
cmd_pki_revoke_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "cert", required_argument, NULL, 'c' },
		{ "serial", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *cert_path = NULL, *serial_s = NULL;
	struct pki_ca *ca = NULL;
	struct x509_st *cert = NULL;
	char err[512], serial[PKI_SERIAL_HEX_MAX];
	int c, ex = EXIT_OK, r;

	while ((c = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			dir = optarg;
			break;
		case 'c':
			cert_path = optarg;
			break;
		case 's':
			serial_s = optarg;
			break;
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if ((dir = cli_pki_dir(self, dir)) == NULL)
		return EXIT_USAGE;
	if ((cert_path == NULL) == (serial_s == NULL))
		return cli_usage_error(self, "give either --cert FILE or "
		    "--serial HEX");

	if (cert_path != NULL) {
		if ((r = pki_cert_load(cert_path, &cert)) != 0)
			return cli_fail(self, "%s: %s", cert_path,
			    r == RSG_ERR_NOT_FOUND ? "no such file" :
			    r == RSG_ERR_FORMAT ? "not a PEM certificate" :
			    rsg_strerror(r));
		if (pki_cert_serial_hex(cert, serial, sizeof(serial)) != 0) {
			ex = cli_fail(self, "%s: unreadable serial", cert_path);
			goto out;
		}
	}
	if (pki_ca_open(dir, &ca, err, sizeof(err)) != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if (cert != NULL)
		r = pki_ca_revoke_cert(ca, cert, cli_pki_now(), err,
		    sizeof(err));
	else
		r = pki_ca_revoke_serial(ca, serial_s, cli_pki_now(), err,
		    sizeof(err));
	if (r != 0) {
		ex = cert_path != NULL ? cli_fail(self, "%s: %s", cert_path,
		    err) : cli_fail(self, "%s", err);
		goto out;
	}
	if (cert == NULL) {
		/* Print the serial as show prints it: lower-case hex. */
		for (c = 0; serial_s[c] != '\0' && c < PKI_SERIAL_HEX_MAX - 1;
		    c++)
			serial[c] = (char)tolower((unsigned char)serial_s[c]);
		serial[c] = '\0';
	}
	printf("revoked serial %s; %s/crl.pem re-signed\n", serial, dir);
	ex = EXIT_OK;
 out:
	pki_cert_free(cert);
	pki_ca_free(ca);
	return ex;
}

const struct cmd_entry cmd_pki_revoke_entry = {
	"pki revoke", "--dir DIR (--cert FILE | --serial HEX)",
	"revoke a certificate: add it to the CA's CRL",
	"  --dir DIR         the CA folder (default: pki_dir)\n"
	"  --cert FILE       the certificate to revoke (issued by this CA)\n"
	"  --serial HEX      or its serial (as `rsgate pki show` prints it)\n"
	"\n"
	"Re-signs DIR/crl.pem (crlNumber + 1, next update in 30 days).\n"
	"Distribute the new crl.pem to every hub and access point.\n",
	cmd_pki_revoke_exec,
};
