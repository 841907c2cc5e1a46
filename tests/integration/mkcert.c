/*
 * mkcert.c: issues a certificate with a chosen validity window from an
 * rsgate CA folder, for tests that need what `rsgate pki issue` rightly
 * refuses to make: a certificate that has already expired.
 *
 * usage: mkcert CA_DIR ROLE NAME PREFIX START_DAYS_AGO DAYS
 * writes PREFIX.crt and PREFIX.key, valid from START_DAYS_AGO days ago for
 * DAYS days. Exit 0 on success, 1 on failure, 2 on a usage error.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>

#include "rsgate/pki.h"
#include "rsgate/util.h"

int
main(int argc, char **argv)
{
	struct pki_issue_req req;
	struct pki_ca *ca = NULL;
	uint64_t ago, days;
	enum pki_role role;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char err[512];
	int r = 1;

	if (argc != 7 || pki_role_parse(argv[2], &role) != 0 ||
	    parse_u64(argv[5], 0, 3650, &ago) != 0 ||
	    parse_u64(argv[6], 1, 397, &days) != 0) {
		fprintf(stderr, "usage: mkcert CA_DIR ROLE NAME PREFIX "
		    "START_DAYS_AGO DAYS\n");
		return 2;
	}
	if (pki_ca_open(argv[1], &ca, err, sizeof(err)) != 0) {
		fprintf(stderr, "mkcert: %s\n", err);
		return 1;
	}
	req.role = role;
	req.name = argv[3];
	req.key_type = pki_ca_key_type(ca);
	req.days = (unsigned)days;
	req.not_before = time_now_ms() / 1000 - (int64_t)ago * 86400;
	if (pki_ca_issue(ca, &req, &cert, &key, err, sizeof(err)) != 0 ||
	    pki_certkey_write(argv[4], cert, key, err, sizeof(err)) != 0)
		fprintf(stderr, "mkcert: %s\n", err);
	else
		r = 0;
	pki_cert_free(cert);
	pki_key_free(key);
	pki_ca_free(ca);
	return r;
}
