/*
 * cli-pki.h: pieces the `rsgate pki` commands share: finding the CA folder,
 * parsing days, printing a certificate and a verdict.
 */
#ifndef RSGATE_CLI_PKI_H
#define RSGATE_CLI_PKI_H

#include <stdint.h>
#include <stdio.h>

#include "rsgate/pki.h"

#include "rsgate.h"

/*
 * The CA folder: --dir, else the config key pki_dir. NULL after printing a
 * usage error (the caller returns EXIT_USAGE).
 */
const char *cli_pki_dir(const struct cmd_entry *self, const char *opt);
/*
 * Where to find the trust for --dir DIR | --ca FILE [--crl FILE]: refuses
 * both at once and --crl without --ca (usage error, returns EXIT_USAGE).
 * --dir means DIR/ca.crt and DIR/crl.pem, built in cpath and lpath (4096
 * bytes each). With neither option, required falls back to the pki_dir
 * config key (else a usage error); otherwise *cap stays NULL: no trust.
 */
int cli_pki_trust_paths(const struct cmd_entry *self, const char *dir,
    const char *ca, const char *crl, int required, char *cpath, char *lpath,
    const char **cap, const char **crlp);
/* Parse --days within [1, max]; prints a usage error and returns -1. */
int cli_pki_days(const struct cmd_entry *self, const char *s, unsigned max,
    unsigned *out);
/* "2026-11-26T12:45:22Z" */
void cli_pki_time(int64_t t, char *out, size_t outlen);
/* The lines of `rsgate pki show` for cert. */
int cli_pki_print_cert(FILE *f, const struct x509_st *cert);
/* One word for a pki_verify_cert result: valid, expired, revoked, ... */
const char *cli_pki_verdict(int r);
/* The current time in seconds since the epoch. */
int64_t cli_pki_now(void);

#endif
