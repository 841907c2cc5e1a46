/*
 * cli-pki.c: helpers shared by the `rsgate pki` commands (cmd-pki-*.c), so
 * that all of them find the CA, parse validity and describe certificates
 * the same way.
 */
#include <stdio.h>
#include <time.h>

#include "rsgate/util.h"

#include "cli-pki.h"

const char *
cli_pki_dir(const struct cmd_entry *self, const char *opt)
{
	const char *dir = cli_option_or_config(opt, "pki_dir");

	if (dir == NULL)
		cli_usage_error(self, "--dir DIR is required (or pki_dir in "
		    "the rsgate config)");
	return dir;
}

int
cli_pki_trust_paths(const struct cmd_entry *self, const char *dir,
    const char *ca, const char *crl, int required, char *cpath, char *lpath,
    const char **cap, const char **crlp)
{
	if (dir != NULL && (ca != NULL || crl != NULL))
		return cli_usage_error(self, "give --dir or --ca, not both");
	if (crl != NULL && ca == NULL)
		return cli_usage_error(self, "--crl needs --ca");
	if (ca == NULL && dir == NULL && required &&
	    (dir = cli_pki_dir(self, NULL)) == NULL)
		return EXIT_USAGE;
	if (dir != NULL) {
		snprintf(cpath, 4096, "%s/ca.crt", dir);
		snprintf(lpath, 4096, "%s/crl.pem", dir);
		ca = cpath;
		crl = lpath;
	}
	*cap = ca;
	*crlp = crl;
	return EXIT_OK;
}

int
cli_pki_days(const struct cmd_entry *self, const char *s, unsigned max,
    unsigned *out)
{
	uint64_t v;

	if (parse_u64(s, 1, max, &v) != 0) {
		cli_usage_error(self, "--days: '%s' is not a number of days "
		    "in 1..%u", s, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

void
cli_pki_time(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "?");
}

int64_t
cli_pki_now(void)
{
	return (int64_t)time(NULL);
}

int
cli_pki_print_cert(FILE *f, const struct x509_st *cert)
{
	char subject[512], issuer[512], serial[PKI_SERIAL_HEX_MAX];
	char fp[PKI_FINGERPRINT_HEX], keydesc[96], roles[64];
	char nb_s[32], na_s[32];
	int64_t nb, na;
	int r;

	if ((r = pki_cert_subject(cert, subject, sizeof(subject))) != 0 ||
	    (r = pki_cert_issuer(cert, issuer, sizeof(issuer))) != 0 ||
	    (r = pki_cert_serial_hex(cert, serial, sizeof(serial))) != 0 ||
	    (r = pki_cert_validity(cert, &nb, &na)) != 0 ||
	    (r = pki_cert_key_desc(cert, keydesc, sizeof(keydesc))) != 0 ||
	    (r = pki_cert_fingerprint(cert, fp, sizeof(fp))) != 0 ||
	    (r = pki_roles_format(pki_cert_roles(cert), roles,
	    sizeof(roles))) != 0)
		return r;
	cli_pki_time(nb, nb_s, sizeof(nb_s));
	cli_pki_time(na, na_s, sizeof(na_s));
	fprintf(f, "subject:     %s\n", subject);
	fprintf(f, "issuer:      %s\n", issuer);
	fprintf(f, "serial:      %s\n", serial);
	fprintf(f, "not before:  %s\n", nb_s);
	fprintf(f, "not after:   %s\n", na_s);
	fprintf(f, "roles:       %s\n", roles[0] != '\0' ? roles : "(none)");
	fprintf(f, "key:         %s\n", keydesc);
	fprintf(f, "sha256:      %s\n", fp);
	return 0;
}

const char *
cli_pki_verdict(int r)
{
	switch (r) {
	case 0:
		return "valid";
	case RSG_ERR_CERT_EXPIRED:
		return "expired";
	case RSG_ERR_CERT_REVOKED:
		return "revoked";
	case RSG_ERR_CERT_UNTRUSTED:
		return "untrusted";
	case RSG_ERR_CERT_ROLE:
		return "role";
	default:
		return "error";
	}
}
