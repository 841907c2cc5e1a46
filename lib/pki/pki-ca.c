/*
 * pki-ca.c: rsgate's small CA. Creates a CA folder, issues role
 * certificates for hubs, access points, engineers and administrators, and
 * keeps the CRL. The folder layout is described in include/rsgate/pki.h and
 * docs/PKI.md. Changes to the CRL hold an exclusive lock on DIR/lock and
 * re-read crl.pem first, so two revocations at once cannot lose one.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "pki-int.h"

struct pki_ca {
	char *dir;
	X509 *cert;
	EVP_PKEY *key;
	X509_CRL *crl;
	enum pki_key_type key_type;
};

/* dir + "/" + name, newly allocated. */
static char *
path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/*
 * A subject CN: at most PKI_NAME_MAX characters of printable text in UTF-8
 * (people's names are often Japanese), no control or bidi-override
 * characters, no quotes or backslashes, no leading or trailing space.
 * str_escape() leaves exactly such strings unchanged.
 */
static int
name_valid(const char *name)
{
	char esc[4 * PKI_NAME_MAX + 8];
	size_t i, n, chars = 0;

	if (name == NULL || (n = strlen(name)) == 0 || n > 4 * PKI_NAME_MAX)
		return 0;
	if (name[0] == ' ' || name[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (((unsigned char)name[i] & 0xc0) != 0x80)
			chars++;
	if (chars > PKI_NAME_MAX)
		return 0;
	str_escape(name, esc, sizeof(esc));
	return strcmp(esc, name) == 0;
}

/* A DNS name: labels of letters, digits and inner hyphens. */
static int
name_is_hostname(const char *name)
{
	size_t label = 0, i, n = strlen(name);
	char c;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		c = name[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || name[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		label++;
	}
	return 1;
}

static int
name_is_ip(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

static int
key_generate(enum pki_key_type kt, EVP_PKEY **out)
{
	EVP_PKEY *key;

	if (kt == PKI_KEY_ECDSA_P256)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (kt == PKI_KEY_ED25519)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		return RSG_ERR_INVALID_ARG;
	if (key == NULL) {
		ERR_clear_error();
		return RSG_ERR_CRYPTO;
	}
	*out = key;
	return 0;
}

/* A random positive serial of 127 bits (the top bit clear keeps DER short). */
static int
serial_random(ASN1_INTEGER **out)
{
	unsigned char b[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	int r = RSG_ERR_CRYPTO;

	do {
		if (RAND_bytes(b, sizeof(b)) != 1)
			goto out;
		b[0] &= 0x7f;
		BN_free(bn);
		if ((bn = BN_bin2bn(b, sizeof(b), NULL)) == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
	} while (BN_is_zero(bn));
	if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	*out = ai;
	r = 0;
 out:
	ERR_clear_error();
	BN_free(bn);
	return r;
}

/* Add one extension in OpenSSL's config syntax ("critical,CA:TRUE"). */
static int
cert_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return RSG_ERR_CRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : RSG_ERR_NOMEM;
}

struct ext_spec {
	int nid;
	const char *value;	/* NULL ends the list */
};

/*
 * A signed certificate for pubkey with subject CN=cn, issued by issuer
 * (NULL: self-signed) with issuer_key.
 */
static int
cert_build(const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
    EVP_PKEY *pubkey, int64_t nb, int64_t na, const struct ext_spec *exts,
    X509 **out)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	int r;

	if ((r = serial_random(&serial)) != 0)
		goto out;
	r = RSG_ERR_NOMEM;
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) == NULL ||
	    !X509_set_pubkey(x, pubkey))
		goto out;
	for (; exts->value != NULL; exts++)
		if ((r = cert_add_ext(x, issuer != NULL ? issuer : x,
		    exts->nid, exts->value)) != 0)
			goto out;
	r = RSG_ERR_CRYPTO;
	if (X509_sign(x, issuer_key, pki_sign_md(issuer_key)) <= 0)
		goto out;
	*out = x;
	x = NULL;
	r = 0;
 out:
	ERR_clear_error();
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	X509_free(x);
	return r;
}

/*
 * A new CRL from old (may be NULL): its entries, plus add (may be NULL),
 * lastUpdate now, nextUpdate now + days, crlNumber one more than old's.
 */
static int
crl_build(X509 *ca_cert, EVP_PKEY *ca_key, X509_CRL *old,
    const ASN1_INTEGER *add, int64_t now, unsigned days, X509_CRL **out)
{
	STACK_OF(X509_REVOKED) *revs;
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	X509_EXTENSION *ext = NULL;
	ASN1_TIME *last = NULL, *next = NULL;
	ASN1_INTEGER *oldnum = NULL, *num = NULL;
	BIGNUM *bn = NULL;
	X509V3_CTX ctx;
	int64_t nu;
	int i, r;

	if ((r = pki_time_add_days(now, days, &nu)) != 0)
		return r;
	r = RSG_ERR_NOMEM;
	if ((crl = X509_CRL_new()) == NULL ||
	    (last = ASN1_TIME_set(NULL, (time_t)now)) == NULL ||
	    (next = ASN1_TIME_set(NULL, (time_t)nu)) == NULL)
		goto out;
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert)) ||
	    !X509_CRL_set1_lastUpdate(crl, last) ||
	    !X509_CRL_set1_nextUpdate(crl, next))
		goto out;
	revs = old != NULL ? X509_CRL_get_REVOKED(old) : NULL;
	for (i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		if ((rev = X509_REVOKED_dup(sk_X509_REVOKED_value(revs,
		    i))) == NULL || !X509_CRL_add0_revoked(crl, rev))
			goto out;
		rev = NULL;
	}
	if (add != NULL) {
		if ((rev = X509_REVOKED_new()) == NULL ||
		    !X509_REVOKED_set_serialNumber(rev,
		    (ASN1_INTEGER *)add) ||
		    !X509_REVOKED_set_revocationDate(rev, last) ||
		    !X509_CRL_add0_revoked(crl, rev))
			goto out;
		rev = NULL;
	}
	if (!X509_CRL_sort(crl))
		goto out;
	/* crlNumber is monotonic: relying parties can tell the newer CRL. */
	if (old != NULL && (oldnum = X509_CRL_get_ext_d2i(old, NID_crl_number,
	    NULL, NULL)) != NULL) {
		if ((bn = ASN1_INTEGER_to_BN(oldnum, NULL)) == NULL)
			goto out;
	} else if ((bn = BN_new()) == NULL)
		goto out;
	if (!BN_add_word(bn, 1) ||
	    (num = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca_cert, NULL, NULL, crl, 0);
	r = RSG_ERR_CRYPTO;
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
	    "keyid:always")) == NULL || !X509_CRL_add_ext(crl, ext, -1))
		goto out;
	if (X509_CRL_sign(crl, ca_key, pki_sign_md(ca_key)) <= 0)
		goto out;
	*out = crl;
	crl = NULL;
	r = 0;
 out:
	ERR_clear_error();
	X509_REVOKED_free(rev);
	X509_EXTENSION_free(ext);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	ASN1_INTEGER_free(oldnum);
	ASN1_INTEGER_free(num);
	BN_free(bn);
	X509_CRL_free(crl);
	return r;
}

static int
crl_to_pem(X509_CRL *crl, struct rsg_buf **out)
{
	struct rsg_buf *b = NULL;
	BIO *bio;
	char *p;
	long n;
	int r = RSG_ERR_NOMEM;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return RSG_ERR_NOMEM;
	if (PEM_write_bio_X509_CRL(bio, crl) != 1 ||
	    (n = BIO_get_mem_data(bio, &p)) < 0)
		goto out;
	if ((b = buf_new(0)) == NULL || buf_put(b, p, (size_t)n) != 0)
		goto out;
	*out = b;
	b = NULL;
	r = 0;
 out:
	ERR_clear_error();
	buf_free(b);
	BIO_free(bio);
	return r;
}

/* Write an object's PEM to dir/name with mode, never overwriting if excl. */
static int
write_pem(const char *dir, const char *name, struct rsg_buf *pem,
    unsigned mode, int excl, char *err, size_t errlen)
{
	char *path;
	int r;

	if ((path = path_join(dir, name)) == NULL)
		return RSG_ERR_NOMEM;
	if ((r = file_write_atomic(path, buf_ptr(pem), buf_len(pem), mode,
	    excl)) != 0)
		pki_seterr(err, errlen, "%s: %s", path, pki_file_strerror(r));
	free(path);
	return r;
}

int
pki_ca_create(const char *dir, const char *name, enum pki_key_type kt,
    unsigned days, int64_t now, char *err, size_t errlen)
{
	static const struct ext_spec exts[] = {
		{ NID_basic_constraints, "critical,CA:TRUE" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
		{ NID_subject_key_identifier, "hash" },
		{ 0, NULL },
	};
	struct rsg_buf *cpem = NULL, *kpem = NULL, *lpem = NULL;
	char *kpath = NULL, *cpath = NULL, *certs = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	X509_CRL *crl = NULL;
	int64_t na;
	int r, wrote_key = 0, wrote_cert = 0;

	if ((r = pki_init()) != 0)
		return r;
	if (dir == NULL || !name_valid(name)) {
		pki_seterr(err, errlen, "the CA name must be 1..%d characters of "
		    "printable text, without quotes, backslashes or control "
		    "characters", PKI_NAME_MAX);
		return RSG_ERR_INVALID_ARG;
	}
	if (days < 1 || days > PKI_CA_DAYS_MAX ||
	    pki_time_add_days(now, days, &na) != 0) {
		pki_seterr(err, errlen, "validity must be 1..%d days",
		    PKI_CA_DAYS_MAX);
		return RSG_ERR_RANGE;
	}
	r = RSG_ERR_NOMEM;
	if ((kpath = path_join(dir, "ca.key")) == NULL ||
	    (cpath = path_join(dir, "ca.crt")) == NULL ||
	    (certs = path_join(dir, "certs")) == NULL)
		goto out;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		r = RSG_ERR_IO;
		pki_seterr(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (access(kpath, F_OK) == 0 || access(cpath, F_OK) == 0) {
		r = RSG_ERR_EXISTS;
		pki_seterr(err, errlen, "%s: a CA exists already", dir);
		goto out;
	}
	if (mkdir(certs, 0755) != 0 && errno != EEXIST) {
		r = RSG_ERR_IO;
		pki_seterr(err, errlen, "%s: %s", certs, strerror(errno));
		goto out;
	}
	if ((r = key_generate(kt, &key)) != 0 ||
	    (r = cert_build(name, NULL, key, key, now - PKI_CLOCK_SKEW, na,
	    exts, &cert)) != 0 ||
	    (r = crl_build(cert, key, NULL, NULL, now, PKI_CRL_DAYS_DEFAULT,
	    &crl)) != 0 ||
	    (r = pki_key_to_pem(key, &kpem)) != 0 ||
	    (r = pki_cert_to_pem(cert, &cpem)) != 0 ||
	    (r = crl_to_pem(crl, &lpem)) != 0) {
		pki_seterr(err, errlen, "creating the CA: %s", rsg_strerror(r));
		goto out;
	}
	if ((r = write_pem(dir, "ca.key", kpem, 0600, 1, err, errlen)) != 0)
		goto out;
	wrote_key = 1;
	if ((r = write_pem(dir, "ca.crt", cpem, 0644, 1, err, errlen)) != 0)
		goto out;
	wrote_cert = 1;
	if ((r = write_pem(dir, "crl.pem", lpem, 0644, 1, err, errlen)) != 0)
		goto out;
	r = 0;
 out:
	/* A half-made CA would block a retry: remove what we wrote. */
	if (r != 0 && wrote_cert)
		unlink(cpath);
	if (r != 0 && wrote_key)
		unlink(kpath);
	buf_free(cpem);
	buf_free(kpem);
	buf_free(lpem);
	free(kpath);
	free(cpath);
	free(certs);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_CRL_free(crl);
	return r;
}

/* Load DIR/crl.pem and check it is signed by the CA. */
static int
crl_load(const char *dir, X509 *ca_cert, X509_CRL **out, char *err,
    size_t errlen)
{
	X509_CRL *crl = NULL;
	BIO *bio = NULL;
	char *path;
	int r;

	if ((path = path_join(dir, "crl.pem")) == NULL)
		return RSG_ERR_NOMEM;
	if ((r = pki_pem_bio(path, &bio)) != 0) {
		pki_seterr(err, errlen, "%s: %s", path, pki_file_strerror(r));
		goto out;
	}
	r = RSG_ERR_FORMAT;
	if ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) == NULL) {
		pki_seterr(err, errlen, "%s: not a PEM CRL", path);
		goto out;
	}
	r = RSG_ERR_VERIFY;
	if (X509_CRL_verify(crl, X509_get0_pubkey(ca_cert)) != 1) {
		pki_seterr(err, errlen, "%s: not signed by this CA", path);
		goto out;
	}
	*out = crl;
	crl = NULL;
	r = 0;
 out:
	ERR_clear_error();
	X509_CRL_free(crl);
	BIO_free(bio);
	free(path);
	return r;
}

int
pki_ca_open(const char *dir, struct pki_ca **out, char *err, size_t errlen)
{
	struct pki_ca *ca = NULL;
	char *cpath = NULL, *kpath = NULL;
	int r;

	if ((r = pki_init()) != 0)
		return r;
	r = RSG_ERR_NOMEM;
	if ((ca = calloc(1, sizeof(*ca))) == NULL ||
	    (ca->dir = strdup(dir)) == NULL ||
	    (cpath = path_join(dir, "ca.crt")) == NULL ||
	    (kpath = path_join(dir, "ca.key")) == NULL)
		goto out;
	if ((r = pki_cert_load(cpath, &ca->cert)) != 0) {
		pki_seterr(err, errlen, "%s: %s", cpath, pki_file_strerror(r));
		goto out;
	}
	if ((r = pki_key_load(kpath, &ca->key)) != 0) {
		pki_seterr(err, errlen, "%s: %s", kpath, pki_file_strerror(r));
		goto out;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		r = RSG_ERR_VERIFY;
		pki_seterr(err, errlen, "%s: does not match %s", kpath, cpath);
		goto out;
	}
	ca->key_type = EVP_PKEY_is_a(ca->key, "ED25519") ? PKI_KEY_ED25519 :
	    PKI_KEY_ECDSA_P256;
	if ((r = crl_load(dir, ca->cert, &ca->crl, err, errlen)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
	r = 0;
 out:
	if (r == RSG_ERR_NOMEM)
		pki_seterr(err, errlen, "%s", rsg_strerror(r));
	pki_ca_free(ca);
	free(cpath);
	free(kpath);
	return r;
}

void
pki_ca_free(struct pki_ca *ca)
{
	if (ca == NULL)
		return;
	free(ca->dir);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	X509_CRL_free(ca->crl);
	free(ca);
}

const struct x509_st *
pki_ca_cert(const struct pki_ca *ca)
{
	return ca->cert;
}

enum pki_key_type
pki_ca_key_type(const struct pki_ca *ca)
{
	return ca->key_type;
}

int
pki_ca_issue(struct pki_ca *ca, const struct pki_issue_req *req,
    struct x509_st **certp, struct evp_pkey_st **keyp, char *err,
    size_t errlen)
{
	struct ext_spec exts[7];
	struct rsg_buf *pem = NULL;
	char eku[256], san[PKI_NAME_MAX + 8], serial[PKI_SERIAL_HEX_MAX];
	char fname[PKI_SERIAL_HEX_MAX + 16];
	const char *oid;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int64_t na, ca_nb, ca_na;
	size_t n = 0;
	int r, device;

	if ((r = pki_init()) != 0)
		return r;
	if (req == NULL || (oid = pki_role_oid(req->role)) == NULL) {
		pki_seterr(err, errlen, "unknown role");
		return RSG_ERR_INVALID_ARG;
	}
	if (!name_valid(req->name)) {
		pki_seterr(err, errlen, "the name must be 1..%d characters of "
		    "printable text, without quotes, backslashes or control "
		    "characters", PKI_NAME_MAX);
		return RSG_ERR_INVALID_ARG;
	}
	if (req->days < 1 || req->days > pki_role_days_max(req->role) ||
	    pki_time_add_days(req->not_before, req->days, &na) != 0) {
		pki_seterr(err, errlen, "validity of a %s certificate must be "
		    "1..%u days", pki_role_name(req->role),
		    pki_role_days_max(req->role));
		return RSG_ERR_RANGE;
	}
	if ((r = pki_cert_validity(ca->cert, &ca_nb, &ca_na)) != 0)
		return r;
	if (na > ca_na) {
		pki_seterr(err, errlen, "the certificate would outlive the CA "
		    "(choose fewer days)");
		return RSG_ERR_RANGE;
	}
	device = req->role == PKI_ROLE_HUB || req->role == PKI_ROLE_AP;
	/*
	 * TLS 1.3 mutual authentication: hub and AP are servers and clients
	 * (the AP is the server inside a tunnel); people are only clients.
	 * The role OID sits beside them in the same extension.
	 */
	snprintf(eku, sizeof(eku), "%s%s", device ? "serverAuth,clientAuth," :
	    "clientAuth,", oid);
	exts[n++] = (struct ext_spec){ NID_basic_constraints,
	    "critical,CA:FALSE" };
	exts[n++] = (struct ext_spec){ NID_key_usage,
	    "critical,digitalSignature" };
	exts[n++] = (struct ext_spec){ NID_ext_key_usage, eku };
	exts[n++] = (struct ext_spec){ NID_subject_key_identifier, "hash" };
	exts[n++] = (struct ext_spec){ NID_authority_key_identifier,
	    "keyid:always" };
	if (device && (name_is_ip(req->name) ||
	    name_is_hostname(req->name))) {
		snprintf(san, sizeof(san), "%s:%s",
		    name_is_ip(req->name) ? "IP" : "DNS", req->name);
		exts[n++] = (struct ext_spec){ NID_subject_alt_name, san };
	}
	exts[n] = (struct ext_spec){ 0, NULL };

	if ((r = key_generate(req->key_type, &key)) != 0 ||
	    (r = cert_build(req->name, ca->cert, ca->key, key,
	    req->not_before, na, exts, &cert)) != 0 ||
	    (r = pki_cert_serial_hex(cert, serial, sizeof(serial))) != 0 ||
	    (r = pki_cert_to_pem(cert, &pem)) != 0) {
		pki_seterr(err, errlen, "issuing: %s", rsg_strerror(r));
		goto out;
	}
	/* The index: what revoke --serial and an audit of the CA rely on. */
	snprintf(fname, sizeof(fname), "certs/%s.crt", serial);
	if ((r = write_pem(ca->dir, fname, pem, 0644, 1, err, errlen)) != 0)
		goto out;
	*certp = cert;
	cert = NULL;
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	buf_free(pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

/* Take DIR/lock exclusively; *fdp is closed to release it. */
static int
ca_lock(const struct pki_ca *ca, int *fdp, char *err, size_t errlen)
{
	char *path;
	int fd, r = 0;

	if ((path = path_join(ca->dir, "lock")) == NULL)
		return RSG_ERR_NOMEM;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		r = RSG_ERR_IO;
		pki_seterr(err, errlen, "%s: %s", path, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		r = RSG_ERR_BUSY;
		pki_seterr(err, errlen, "%s: the CA is busy (another rsgate "
		    "pki command holds the lock)", path);
		close(fd);
	} else
		*fdp = fd;
	free(path);
	return r;
}

/* Re-read the CRL, add serial (may be NULL), re-sign, write. */
static int
crl_update(struct pki_ca *ca, const ASN1_INTEGER *serial, unsigned days,
    int64_t now, char *err, size_t errlen)
{
	struct rsg_buf *pem = NULL;
	X509_CRL *cur = NULL, *crl = NULL;
	X509_REVOKED *rev;
	char hex[PKI_SERIAL_HEX_MAX];
	int fd = -1, r;

	if ((r = ca_lock(ca, &fd, err, errlen)) != 0)
		return r;
	/* Another process may have changed it since pki_ca_open. */
	if ((r = crl_load(ca->dir, ca->cert, &cur, err, errlen)) != 0)
		goto out;
	if (serial != NULL && X509_CRL_get0_by_serial(cur, &rev, serial) > 0) {
		r = RSG_ERR_EXISTS;
		if (pki_serial_hex(serial, hex, sizeof(hex)) != 0)
			hex[0] = '\0';
		pki_seterr(err, errlen, "serial %s is already revoked", hex);
		goto out;
	}
	if ((r = crl_build(ca->cert, ca->key, cur, serial, now, days,
	    &crl)) != 0 || (r = crl_to_pem(crl, &pem)) != 0) {
		pki_seterr(err, errlen, "signing the CRL: %s",
		    rsg_strerror(r));
		goto out;
	}
	if ((r = write_pem(ca->dir, "crl.pem", pem, 0644, 0, err,
	    errlen)) != 0)
		goto out;
	X509_CRL_free(ca->crl);
	ca->crl = crl;
	crl = NULL;
	r = 0;
 out:
	ERR_clear_error();
	buf_free(pem);
	X509_CRL_free(cur);
	X509_CRL_free(crl);
	close(fd);
	return r;
}

int
pki_ca_revoke_cert(struct pki_ca *ca, const struct x509_st *cert,
    int64_t now, char *err, size_t errlen)
{
	if (X509_cmp(cert, ca->cert) == 0) {
		pki_seterr(err, errlen, "this is the CA certificate itself");
		return RSG_ERR_INVALID_ARG;
	}
	/* Revoking a serial of someone else's CA would only add noise. */
	if (X509_check_issued(ca->cert, (X509 *)cert) != X509_V_OK ||
	    X509_verify((X509 *)cert, X509_get0_pubkey(ca->cert)) != 1) {
		ERR_clear_error();
		pki_seterr(err, errlen, "not issued by this CA");
		return RSG_ERR_CERT_UNTRUSTED;
	}
	return crl_update(ca, X509_get0_serialNumber(cert),
	    PKI_CRL_DAYS_DEFAULT, now, err, errlen);
}

int
pki_ca_revoke_serial(struct pki_ca *ca, const char *serial_hex, int64_t now,
    char *err, size_t errlen)
{
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	char hex[PKI_SERIAL_HEX_MAX], fname[PKI_SERIAL_HEX_MAX + 16];
	char *path = NULL;
	size_t i, n;
	int r = RSG_ERR_FORMAT;

	n = serial_hex != NULL ? strlen(serial_hex) : 0;
	if (n == 0 || n > PKI_SERIAL_HEX_MAX - 1)
		goto bad;
	for (i = 0; i < n; i++) {
		char c = serial_hex[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			goto bad;
	}
	r = RSG_ERR_NOMEM;
	if (BN_hex2bn(&bn, serial_hex) != (int)n ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		goto out;
	if ((r = pki_serial_hex(serial, hex, sizeof(hex))) != 0)
		goto out;
	snprintf(fname, sizeof(fname), "certs/%s.crt", hex);
	r = RSG_ERR_NOMEM;
	if ((path = path_join(ca->dir, fname)) == NULL)
		goto out;
	if (access(path, F_OK) != 0) {
		r = RSG_ERR_NOT_FOUND;
		pki_seterr(err, errlen, "serial %s: not issued by this CA "
		    "(no %s)", hex, path);
		goto out;
	}
	r = crl_update(ca, serial, PKI_CRL_DAYS_DEFAULT, now, err, errlen);
	goto out;
 bad:
	pki_seterr(err, errlen, "a serial is 1..%d hex digits",
	    PKI_SERIAL_HEX_MAX - 1);
 out:
	ERR_clear_error();
	free(path);
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	return r;
}

int
pki_ca_crl_refresh(struct pki_ca *ca, unsigned days, int64_t now, char *err,
    size_t errlen)
{
	if (days < 1 || days > PKI_CRL_DAYS_MAX) {
		pki_seterr(err, errlen, "CRL validity must be 1..%d days",
		    PKI_CRL_DAYS_MAX);
		return RSG_ERR_RANGE;
	}
	return crl_update(ca, NULL, days, now, err, errlen);
}
