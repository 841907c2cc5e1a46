/*
 * cmd-pki-issue.c: `rsgate pki issue` gives a hub, an access point, an
 * engineer or an administrator a certificate and key, signed by the CA in
 * --dir and carrying the role OID that relying parties check.
 */
#include <stdio.h>
#include <unistd.h>

#include "rsgate/pki.h"

#include "cli-pki.h"

static int
cmd_pki_issue_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "days", required_argument, NULL, 'D' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *role_s = NULL, *name = NULL, *days_s = NULL;
	const char *kt_s = NULL, *prefix = NULL;
	struct pki_issue_req req;
	struct pki_ca *ca = NULL;
	struct x509_st *cert = NULL;
	struct evp_pkey_st *key = NULL;
	char err[512], serial[PKI_SERIAL_HEX_MAX], until[32];
	int64_t nb, na;
	int c, ex = EXIT_OK;

	while ((c = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			dir = optarg;
			break;
		case 'r':
			role_s = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'D':
			days_s = optarg;
			break;
		case 'k':
			kt_s = optarg;
			break;
		case 'o':
			prefix = optarg;
			break;
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if ((dir = cli_pki_dir(self, dir)) == NULL)
		return EXIT_USAGE;
	if (role_s == NULL)
		return cli_usage_error(self, "--role ROLE is required");
	if (pki_role_parse(role_s, &req.role) != 0)
		return cli_usage_error(self, "--role: '%s' is not hub, ap, "
		    "engineer or admin", role_s);
	if (name == NULL)
		return cli_usage_error(self, "--name NAME is required");
	if (prefix == NULL)
		return cli_usage_error(self, "--out PREFIX is required");
	req.name = name;
	req.days = pki_role_days_default(req.role);
	if (days_s != NULL && cli_pki_days(self, days_s,
	    pki_role_days_max(req.role), &req.days) != 0)
		return EXIT_USAGE;
	if (kt_s != NULL && pki_key_type_parse(kt_s, &req.key_type) != 0)
		return cli_usage_error(self, "--key-type: '%s' is not ecdsa or "
		    "ed25519", kt_s);
	/* Backdated a little: peers' clocks may lag the CA's. */
	req.not_before = cli_pki_now() - PKI_CLOCK_SKEW;

	/* Checked first so that a refusal does not issue (and index) a cert. */
	for (c = 0; c < 2; c++) {
		snprintf(err, sizeof(err), "%s.%s", prefix, c ? "key" : "crt");
		if (access(err, F_OK) == 0)
			return cli_fail(self, "%s: file exists", err);
	}
	if (pki_ca_open(dir, &ca, err, sizeof(err)) != 0)
		return cli_fail(self, "%s", err);
	if (kt_s == NULL)
		req.key_type = pki_ca_key_type(ca);
	if (pki_ca_issue(ca, &req, &cert, &key, err, sizeof(err)) != 0 ||
	    pki_certkey_write(prefix, cert, key, err, sizeof(err)) != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if (pki_cert_serial_hex(cert, serial, sizeof(serial)) != 0 ||
	    pki_cert_validity(cert, &nb, &na) != 0) {
		ex = cli_fail(self, "%s.crt: unreadable", prefix);
		goto out;
	}
	cli_pki_time(na, until, sizeof(until));
	printf("issued %s.crt and %s.key: role %s, name \"%s\", serial %s, "
	    "valid until %s\n", prefix, prefix, pki_role_name(req.role), name,
	    serial, until);
	ex = EXIT_OK;
 out:
	pki_cert_free(cert);
	pki_key_free(key);
	pki_ca_free(ca);
	return ex;
}

const struct cmd_entry cmd_pki_issue_entry = {
	"pki issue",
	"--dir DIR --role hub|ap|engineer|admin --name NAME [--days N] "
	"[--key-type ecdsa|ed25519] --out PREFIX",
	"issue a certificate and key for a hub, AP, engineer or admin",
	"  --dir DIR         the CA folder (default: pki_dir)\n"
	"  --role ROLE       hub, ap, engineer or admin\n"
	"  --name NAME       subject CN: a host name or address for hub and\n"
	"                    ap (also put in subjectAltName), a person's\n"
	"                    name or ID for engineer and admin\n"
	"  --days N          validity (default 365 for hub/ap, at most 825;\n"
	"                    90 for engineer/admin, at most 397)\n"
	"  --key-type TYPE   ecdsa or ed25519 (default: the CA's key type)\n"
	"  --out PREFIX      writes PREFIX.crt (0644) and PREFIX.key (0600)\n"
	"\n"
	"Refuses to overwrite PREFIX.crt or PREFIX.key. A copy of the\n"
	"certificate is kept as DIR/certs/SERIAL.crt.\n",
	cmd_pki_issue_exec,
};
