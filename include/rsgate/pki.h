/*
 * pki: rsgate's small certificate authority and the checks every TLS peer
 * makes on the other side's certificate (OpenSSL 3, EVP/X509 APIs only).
 *
 * Identities. Every rsgate certificate names its holder in the subject CN
 * and its rsgate role in the extendedKeyUsage extension, one OID per role
 * under the UUID arc 2.25.224203575153668486410630175879743435226
 * (PKI_OID_ARC). A relying party therefore checks three things: the chain
 * ends at a trusted CA, the certificate is within its validity and not on the
 * CA's revocation list, and it carries the role the party expects
 * (pki_verify_cert). A deployment may bring its own CA: its certificates need
 * only carry the role OIDs (docs/PKI.md).
 *
 * CA folder layout (written by pki_ca_create, used by pki_ca_open):
 *   DIR/ca.crt             the CA certificate, PEM, 0644 (the trust file)
 *   DIR/ca.key             the CA private key, PKCS#8 PEM, 0600
 *   DIR/crl.pem            the CA's CRL (v2, crlNumber), PEM, 0644
 *   DIR/certs/SERIAL.crt   a copy of each issued certificate, 0644; SERIAL is
 *                          lower-case hex; this is the index revoke uses
 * Files are written atomically; private keys are 0600 and never logged.
 *
 * OpenSSL types stay opaque: callers that do not include OpenSSL headers see
 * only struct x509_st (X509), struct evp_pkey_st (EVP_PKEY) and so on.
 *
 * Functions that take "char *err, size_t errlen" write a one-line reason on
 * failure ("/srv/ca/ca.key: no such file"); err may be NULL.
 */
#ifndef RSGATE_PKI_H
#define RSGATE_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

struct x509_st;		/* X509 */
struct evp_pkey_st;	/* EVP_PKEY */
struct x509_store_st;	/* X509_STORE */
struct stack_st_X509;	/* STACK_OF(X509) */

/* The OID arc of rsgate roles: 2.25 + the decimal form of a random UUID. */
#define PKI_OID_ARC "2.25.224203575153668486410630175879743435226"
#define PKI_OID_HUB PKI_OID_ARC ".1.1"
#define PKI_OID_AP PKI_OID_ARC ".1.2"
#define PKI_OID_ENGINEER PKI_OID_ARC ".1.3"
#define PKI_OID_ADMIN PKI_OID_ARC ".1.4"

/* Roles are bits so that a relying party can accept several at once. */
enum pki_role {
	PKI_ROLE_HUB = 0x1,	 /* the vendor's hub (TLS server, client) */
	PKI_ROLE_AP = 0x2,	 /* a hospital access point (both) */
	PKI_ROLE_ENGINEER = 0x4, /* a service engineer (TLS client) */
	PKI_ROLE_ADMIN = 0x8,	 /* an administrator (TLS client) */
};
#define PKI_ROLE_ALL 0xfu

enum pki_key_type {
	PKI_KEY_ECDSA_P256 = 0,	/* the default */
	PKI_KEY_ED25519,
};

/* Limits and defaults (days). */
#define PKI_NAME_MAX 64			/* subject CN (X.520 bound) */
#define PKI_PEM_MAX (1024 * 1024)	/* any PEM file we read */
#define PKI_CA_DAYS_DEFAULT 3650
#define PKI_CA_DAYS_MAX 7300
#define PKI_DEVICE_DAYS_DEFAULT 365	/* hub, ap */
#define PKI_DEVICE_DAYS_MAX 825
#define PKI_PERSON_DAYS_DEFAULT 90	/* engineer, admin */
#define PKI_PERSON_DAYS_MAX 397
#define PKI_CRL_DAYS_DEFAULT 30		/* nextUpdate after signing */
#define PKI_CRL_DAYS_MAX 366
#define PKI_CLOCK_SKEW 300		/* notBefore is backdated this much */
#define PKI_SERIAL_HEX_MAX 41		/* 20 bytes in hex and a NUL */
#define PKI_FINGERPRINT_HEX 65		/* SHA-256 in hex and a NUL */

/* ---- roles --------------------------------------------------------------- */

/* "hub", "ap", "engineer", "admin"; NULL for anything else. */
const char *pki_role_name(enum pki_role role);
/* The dotted OID of a role; NULL for anything else. */
const char *pki_role_oid(enum pki_role role);
/* Parse one role name. */
int pki_role_parse(const char *s, enum pki_role *out) RSG_WUR;
/* Parse a comma-separated list of role names into a mask ("engineer,admin"). */
int pki_roles_parse(const char *s, unsigned *out) RSG_WUR;
/* Write the names of the roles in mask, comma-separated ("" for none). */
int pki_roles_format(unsigned mask, char *out, size_t outlen) RSG_WUR;
/* The default and the maximum validity, in days, of a role's certificate. */
unsigned pki_role_days_default(enum pki_role role);
unsigned pki_role_days_max(enum pki_role role);

/* "ecdsa" or "ed25519". */
int pki_key_type_parse(const char *s, enum pki_key_type *out) RSG_WUR;

/*
 * Register the role OIDs with OpenSSL (OBJ_create), once per process and
 * thread-safe; every function here calls it, so callers need not. May be
 * retried after a failure (RSG_ERR_NOMEM).
 */
int pki_init(void) RSG_WUR;

/* ---- the CA -------------------------------------------------------------- */

struct pki_ca;

/*
 * Create a CA in dir (made 0700 if missing): a new key of type kt, a
 * self-signed certificate with subject CN=name valid for days from now
 * (seconds since the epoch), and an empty CRL. RSG_ERR_EXISTS if dir already
 * holds a CA; nothing is overwritten.
 */
int pki_ca_create(const char *dir, const char *name, enum pki_key_type kt,
    unsigned days, int64_t now, char *err, size_t errlen) RSG_WUR;

/*
 * Load the CA in dir: certificate, key (RSG_ERR_PERM if readable by group or
 * other), CRL. The caller frees *out with pki_ca_free.
 */
int pki_ca_open(const char *dir, struct pki_ca **out, char *err,
    size_t errlen) RSG_WUR;
/* Frees ca and wipes its key. NULL is fine. */
void pki_ca_free(struct pki_ca *ca);
/* The CA certificate (borrowed, valid until pki_ca_free). */
const struct x509_st *pki_ca_cert(const struct pki_ca *ca);
/* The key type of the CA's key. */
enum pki_key_type pki_ca_key_type(const struct pki_ca *ca);

struct pki_issue_req {
	enum pki_role role;	/* exactly one role */
	const char *name;	/* subject CN; for hub/ap also DNS or IP SAN */
	enum pki_key_type key_type;
	unsigned days;		/* 1 .. pki_role_days_max(role) */
	int64_t not_before;	/* seconds since the epoch */
};

/*
 * Issue a certificate for req with a new key and a random 128-bit serial,
 * and record a copy in DIR/certs/. The validity must end before the CA's.
 * On success *certp and *keyp are the caller's (pki_cert_free, pki_key_free).
 */
int pki_ca_issue(struct pki_ca *ca, const struct pki_issue_req *req,
    struct x509_st **certp, struct evp_pkey_st **keyp, char *err,
    size_t errlen) RSG_WUR;

/*
 * Add a certificate to the CA's CRL and re-sign it (crlNumber + 1,
 * lastUpdate = now, nextUpdate = now + PKI_CRL_DAYS_DEFAULT days); crl.pem is
 * replaced atomically. By certificate: it must have been issued by this CA.
 * By serial (hex): it must be in DIR/certs/. RSG_ERR_EXISTS if already
 * revoked.
 */
int pki_ca_revoke_cert(struct pki_ca *ca, const struct x509_st *cert,
    int64_t now, char *err, size_t errlen) RSG_WUR;
int pki_ca_revoke_serial(struct pki_ca *ca, const char *serial_hex,
    int64_t now, char *err, size_t errlen) RSG_WUR;
/* Re-sign the CRL unchanged but for the dates and number (days ahead). */
int pki_ca_crl_refresh(struct pki_ca *ca, unsigned days, int64_t now,
    char *err, size_t errlen) RSG_WUR;

/* ---- certificates and keys ----------------------------------------------- */

void pki_cert_free(struct x509_st *cert);
/* Frees the key (OpenSSL wipes key material). NULL is fine. */
void pki_key_free(struct evp_pkey_st *key);

/* The first certificate of a PEM file. */
int pki_cert_load(const char *path, struct x509_st **out) RSG_WUR;
/*
 * The first certificate of a PEM file, and the certificates after it (the
 * chain a peer presents; *chainp may be an empty stack, freed by
 * pki_chain_free).
 */
int pki_cert_load_chain(const char *path, struct x509_st **certp,
    struct stack_st_X509 **chainp) RSG_WUR;
void pki_chain_free(struct stack_st_X509 *chain);
/*
 * A private key from a PEM file. RSG_ERR_PERM if the file is readable or
 * writable by group or other, or owned by someone other than us or root.
 */
int pki_key_load(const char *path, struct evp_pkey_st **out) RSG_WUR;
/*
 * A certificate (and chain) and its private key; RSG_ERR_VERIFY if the key
 * does not belong to the certificate. For a TLS endpoint's own identity.
 */
int pki_certkey_load(const char *cert_path, const char *key_path,
    struct x509_st **certp, struct stack_st_X509 **chainp,
    struct evp_pkey_st **keyp) RSG_WUR;

/* PEM encodings into a new buffer (a key's buffer is wiped when freed). */
int pki_cert_to_pem(const struct x509_st *cert, struct rsg_buf **out) RSG_WUR;
int pki_key_to_pem(const struct evp_pkey_st *key, struct rsg_buf **out) RSG_WUR;
/*
 * Write PREFIX.crt (0644) and PREFIX.key (0600). RSG_ERR_EXISTS if either
 * exists; nothing is overwritten and nothing is left half-written.
 */
int pki_certkey_write(const char *prefix, const struct x509_st *cert,
    const struct evp_pkey_st *key, char *err, size_t errlen) RSG_WUR;

/* The rsgate roles the certificate carries (a mask, 0 for none). */
unsigned pki_cert_roles(const struct x509_st *cert);
/* The subject CN (RSG_ERR_NOT_FOUND without one; RSG_ERR_LIMIT if cut). */
int pki_cert_subject_cn(const struct x509_st *cert, char *out,
    size_t outlen) RSG_WUR;
/* Subject or issuer as one RFC 2253 line ("CN=x,O=y"), escaped. */
int pki_cert_subject(const struct x509_st *cert, char *out,
    size_t outlen) RSG_WUR;
int pki_cert_issuer(const struct x509_st *cert, char *out,
    size_t outlen) RSG_WUR;
/* The serial in lower-case hex (PKI_SERIAL_HEX_MAX bytes is enough). */
int pki_cert_serial_hex(const struct x509_st *cert, char *out,
    size_t outlen) RSG_WUR;
/* SHA-256 of the DER certificate, lower-case hex (PKI_FINGERPRINT_HEX). */
int pki_cert_fingerprint(const struct x509_st *cert, char *out,
    size_t outlen) RSG_WUR;
/* notBefore and notAfter as seconds since the epoch. */
int pki_cert_validity(const struct x509_st *cert, int64_t *not_before,
    int64_t *not_after) RSG_WUR;
/* "ECDSA P-256", "Ed25519", "RSA 3072", ... of the certificate's key. */
int pki_cert_key_desc(const struct x509_st *cert, char *out,
    size_t outlen) RSG_WUR;

/* ---- trust and verification ---------------------------------------------- */

struct pki_trust;

/*
 * Trust anchors from ca_path (one or more CA certificates, PEM) and, when
 * crl_path is not NULL, the CRLs in it (one or more, PEM). Every CRL must be
 * signed by one of the CAs (RSG_ERR_VERIFY otherwise). With CRLs loaded,
 * every certificate checked must be covered by a current CRL of its issuer:
 * a missing or expired CRL refuses the certificate (fail closed).
 */
int pki_trust_load(const char *ca_path, const char *crl_path,
    struct pki_trust **out, char *err, size_t errlen) RSG_WUR;
void pki_trust_free(struct pki_trust *trust);
/*
 * The X509_STORE behind trust (borrowed), with the same anchors, CRLs and
 * flags, for SSL_CTX_set1_verify_cert_store() (which takes its own
 * reference). The TLS handshake then refuses untrusted, expired and revoked
 * peers; the role is checked afterwards with pki_verify_cert.
 */
struct x509_store_st *pki_trust_store(const struct pki_trust *trust);
/* Whether CRLs were loaded. */
int pki_trust_has_crl(const struct pki_trust *trust);

/*
 * The security decision: 0 only when cert (with the untrusted intermediates
 * in chain, which may be NULL) chains to a trust anchor, every certificate of
 * the chain is within its validity at now (seconds since the epoch), cert is
 * not revoked (when CRLs are loaded), cert is not a CA, and cert carries at
 * least one of the roles in the mask roles. Otherwise, and on any error:
 *   RSG_ERR_CERT_UNTRUSTED  another CA, a bad signature, no current CRL
 *   RSG_ERR_CERT_EXPIRED    expired or not yet valid
 *   RSG_ERR_CERT_REVOKED    on the revocation list
 *   RSG_ERR_CERT_ROLE       none of the roles asked for
 *   RSG_ERR_INVALID_ARG, RSG_ERR_NOMEM ...
 * detail (may be NULL) gets a one-line reason on failure.
 */
int pki_verify_cert(const struct pki_trust *trust, const struct x509_st *cert,
    struct stack_st_X509 *chain, unsigned roles, int64_t now, char *detail,
    size_t detaillen) RSG_WUR;

#endif /* RSGATE_PKI_H */
