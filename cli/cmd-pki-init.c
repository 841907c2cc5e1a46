/*
 * cmd-pki-init.c: `rsgate pki init` creates a CA folder: key, self-signed
 * certificate and an empty CRL. It never overwrites an existing CA.
 */
#include <stdio.h>

#include "rsgate/pki.h"

#include "cli-pki.h"

static int
cmd_pki_init_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "days", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *name = NULL, *kt_s = NULL, *days_s = NULL;
	enum pki_key_type kt = PKI_KEY_ECDSA_P256;
	unsigned days = PKI_CA_DAYS_DEFAULT;
	struct pki_ca *ca = NULL;
	char err[512], fp[PKI_FINGERPRINT_HEX], until[32];
	int64_t nb, na;
	int c, ex = EXIT_OK, r;

	while ((c = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			dir = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'k':
			kt_s = optarg;
			break;
		case 'D':
			days_s = optarg;
			break;
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if ((dir = cli_pki_dir(self, dir)) == NULL)
		return EXIT_USAGE;
	if (name == NULL)
		return cli_usage_error(self, "--name NAME is required");
	if (kt_s != NULL && pki_key_type_parse(kt_s, &kt) != 0)
		return cli_usage_error(self, "--key-type: '%s' is not ecdsa or "
		    "ed25519", kt_s);
	if (days_s != NULL &&
	    cli_pki_days(self, days_s, PKI_CA_DAYS_MAX, &days) != 0)
		return EXIT_USAGE;

	if ((r = pki_ca_create(dir, name, kt, days, cli_pki_now(), err,
	    sizeof(err))) != 0)
		return cli_fail(self, "%s", err);
	if ((r = pki_ca_open(dir, &ca, err, sizeof(err))) != 0)
		return cli_fail(self, "%s", err);
	if (pki_cert_fingerprint(pki_ca_cert(ca), fp, sizeof(fp)) != 0 ||
	    pki_cert_validity(pki_ca_cert(ca), &nb, &na) != 0) {
		pki_ca_free(ca);
		return cli_fail(self, "%s/ca.crt: unreadable", dir);
	}
	cli_pki_time(na, until, sizeof(until));
	printf("created CA \"%s\" in %s (%s, valid until %s)\n", name, dir,
	    kt == PKI_KEY_ED25519 ? "Ed25519" : "ECDSA P-256", until);
	printf("trust file: %s/ca.crt  CRL: %s/crl.pem\n", dir, dir);
	printf("sha256: %s\n", fp);
	pki_ca_free(ca);
	return EXIT_OK;
}

const struct cmd_entry cmd_pki_init_entry = {
	"pki init",
	"--dir DIR --name NAME [--key-type ecdsa|ed25519] [--days N]",
	"create a certificate authority in a folder",
	"  --dir DIR         the CA folder (created 0700; default: pki_dir)\n"
	"  --name NAME       the CA's name (certificate subject CN)\n"
	"  --key-type TYPE   ecdsa (P-256, the default) or ed25519\n"
	"  --days N          validity in days (default 3650, at most 7300)\n"
	"\n"
	"Writes DIR/ca.crt (the trust file), DIR/ca.key (0600), DIR/crl.pem\n"
	"and DIR/certs/. Refuses to touch a folder that already holds a CA.\n",
	cmd_pki_init_exec,
};
