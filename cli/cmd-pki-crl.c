/*
 * cmd-pki-crl.c: `rsgate pki crl` re-signs the CA's CRL with fresh dates.
 * A CRL past its nextUpdate makes every peer refuse every certificate (fail
 * closed), so operators run this from cron well before that.
 */
#include <stdio.h>

#include "rsgate/pki.h"

#include "cli-pki.h"

static int
cmd_pki_crl_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "days", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *days_s = NULL;
	unsigned days = PKI_CRL_DAYS_DEFAULT;
	struct pki_ca *ca = NULL;
	char err[512], until[32];
	int64_t now = cli_pki_now();
	int c, ex = EXIT_OK;

	while ((c = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (c) {
		case -2:
			return ex;
		case 'd':
			dir = optarg;
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
	if (days_s != NULL &&
	    cli_pki_days(self, days_s, PKI_CRL_DAYS_MAX, &days) != 0)
		return EXIT_USAGE;
	if (pki_ca_open(dir, &ca, err, sizeof(err)) != 0)
		return cli_fail(self, "%s", err);
	if (pki_ca_crl_refresh(ca, days, now, err, sizeof(err)) != 0) {
		pki_ca_free(ca);
		return cli_fail(self, "%s", err);
	}
	pki_ca_free(ca);
	cli_pki_time(now + (int64_t)days * 86400, until, sizeof(until));
	printf("%s/crl.pem re-signed, next update %s\n", dir, until);
	return EXIT_OK;
}

const struct cmd_entry cmd_pki_crl_entry = {
	"pki crl", "--dir DIR [--days N]",
	"re-sign the CA's revocation list with fresh dates",
	"  --dir DIR         the CA folder (default: pki_dir)\n"
	"  --days N          next update in N days (default 30, at most 366)\n"
	"\n"
	"Peers refuse every certificate once the CRL is past its next\n"
	"update, so re-sign it (and distribute it) before then.\n",
	cmd_pki_crl_exec,
};
