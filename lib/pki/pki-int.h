/*
 * pki-int.h: what the files of the pki module share and nobody else sees.
 */
#ifndef RSGATE_PKI_INT_H
#define RSGATE_PKI_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rsgate/pki.h"

/* Write a formatted one-line reason into err (if not NULL). */
void pki_seterr(char *err, size_t errlen, const char *fmt, ...)
    RSG_PRINTF(3, 4);
/* A short reason for a file error ("no such file"). */
const char *pki_file_strerror(int r);
/* The NID OpenSSL gave a role's OID (after pki_init), NID_undef if none. */
int pki_role_nid(enum pki_role role);
/* The digest to sign with for key: SHA-256, or NULL for Ed25519. */
const EVP_MD *pki_sign_md(const EVP_PKEY *key);
/* Read a whole PEM file (at most PKI_PEM_MAX) into a memory BIO. */
int pki_pem_bio(const char *path, BIO **out) RSG_WUR;
/* ASN1_TIME to seconds since the epoch. */
int pki_asn1_time_get(const ASN1_TIME *t, int64_t *out) RSG_WUR;
/* Seconds since the epoch plus days, checked for overflow. */
int pki_time_add_days(int64_t t, unsigned days, int64_t *out) RSG_WUR;
/* The serial of cert as a canonical lower-case hex string. */
int pki_serial_hex(const ASN1_INTEGER *serial, char *out,
    size_t outlen) RSG_WUR;

#endif
