/*
 * pki.c: roles and their OIDs, loading and writing certificates and keys,
 * and the read-only accessors (CN, serial, fingerprint, validity, roles) the
 * CLI and the TLS layer use. The CA lives in pki-ca.c, the verification
 * decision in pki-verify.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki-int.h"

struct role_info {
	enum pki_role role;
	const char *name;
	const char *oid;
	const char *sn;		/* OpenSSL short name */
	const char *ln;		/* OpenSSL long name */
	unsigned days_default, days_max;
};

static const struct role_info roles[] = {
	{ PKI_ROLE_HUB, "hub", PKI_OID_HUB, "rsgateHub", "rsgate hub",
	    PKI_DEVICE_DAYS_DEFAULT, PKI_DEVICE_DAYS_MAX },
	{ PKI_ROLE_AP, "ap", PKI_OID_AP, "rsgateAP", "rsgate access point",
	    PKI_DEVICE_DAYS_DEFAULT, PKI_DEVICE_DAYS_MAX },
	{ PKI_ROLE_ENGINEER, "engineer", PKI_OID_ENGINEER, "rsgateEngineer",
	    "rsgate service engineer", PKI_PERSON_DAYS_DEFAULT,
	    PKI_PERSON_DAYS_MAX },
	{ PKI_ROLE_ADMIN, "admin", PKI_OID_ADMIN, "rsgateAdmin",
	    "rsgate administrator", PKI_PERSON_DAYS_DEFAULT,
	    PKI_PERSON_DAYS_MAX },
};
#define N_ROLES (sizeof(roles) / sizeof(roles[0]))

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_done;
static int role_nids[N_ROLES];

static const struct role_info *
role_find(enum pki_role role)
{
	size_t i;

	for (i = 0; i < N_ROLES; i++)
		if (roles[i].role == role)
			return &roles[i];
	return NULL;
}

int
pki_init(void)
{
	int nid, nids[N_ROLES], r = 0;
	size_t i;

	pthread_mutex_lock(&init_lock);
	if (init_done)
		goto out;
	/*
	 * Not pthread_once: a failed OBJ_create (out of memory) must be
	 * retried later, not leave the roles unknown for the process' life.
	 * An OID registered by an earlier, half-failed attempt is reused.
	 */
	for (i = 0; i < N_ROLES; i++) {
		nid = OBJ_txt2nid(roles[i].oid);
		if (nid == NID_undef)
			nid = OBJ_create(roles[i].oid, roles[i].sn,
			    roles[i].ln);
		if (nid == NID_undef) {
			ERR_clear_error();
			r = RSG_ERR_NOMEM;
			goto out;
		}
		nids[i] = nid;
	}
	memcpy(role_nids, nids, sizeof(role_nids));
	init_done = 1;
 out:
	pthread_mutex_unlock(&init_lock);
	return r;
}

int
pki_role_nid(enum pki_role role)
{
	size_t i;
	int nid = NID_undef;

	pthread_mutex_lock(&init_lock);
	for (i = 0; init_done && i < N_ROLES; i++)
		if (roles[i].role == role)
			nid = role_nids[i];
	pthread_mutex_unlock(&init_lock);
	return nid;
}

const char *
pki_role_name(enum pki_role role)
{
	const struct role_info *ri = role_find(role);

	return ri == NULL ? NULL : ri->name;
}

const char *
pki_role_oid(enum pki_role role)
{
	const struct role_info *ri = role_find(role);

	return ri == NULL ? NULL : ri->oid;
}

unsigned
pki_role_days_default(enum pki_role role)
{
	const struct role_info *ri = role_find(role);

	return ri == NULL ? 0 : ri->days_default;
}

unsigned
pki_role_days_max(enum pki_role role)
{
	const struct role_info *ri = role_find(role);

	return ri == NULL ? 0 : ri->days_max;
}

int
pki_role_parse(const char *s, enum pki_role *out)
{
	size_t i;

	if (s == NULL)
		return RSG_ERR_INVALID_ARG;
	for (i = 0; i < N_ROLES; i++) {
		if (strcmp(s, roles[i].name) == 0) {
			*out = roles[i].role;
			return 0;
		}
	}
	return RSG_ERR_FORMAT;
}

int
pki_roles_parse(const char *s, unsigned *out)
{
	const char *p, *e;
	unsigned mask = 0;
	size_t i, n;
	int found;

	if (s == NULL || *s == '\0')
		return RSG_ERR_FORMAT;
	for (p = s;; p = e + 1) {
		e = strchr(p, ',');
		n = e == NULL ? strlen(p) : (size_t)(e - p);
		found = 0;
		for (i = 0; i < N_ROLES; i++) {
			if (strlen(roles[i].name) == n &&
			    strncmp(p, roles[i].name, n) == 0) {
				mask |= (unsigned)roles[i].role;
				found = 1;
			}
		}
		if (!found)
			return RSG_ERR_FORMAT;
		if (e == NULL)
			break;
	}
	*out = mask;
	return 0;
}

int
pki_roles_format(unsigned mask, char *out, size_t outlen)
{
	size_t i, len = 0, n;

	if (outlen == 0)
		return RSG_ERR_LIMIT;
	out[0] = '\0';
	for (i = 0; i < N_ROLES; i++) {
		if ((mask & (unsigned)roles[i].role) == 0)
			continue;
		n = strlen(roles[i].name) + (len > 0);
		if (n >= outlen - len)
			return RSG_ERR_LIMIT;
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, roles[i].name, strlen(roles[i].name) + 1);
		len += strlen(roles[i].name);
	}
	return 0;
}

int
pki_key_type_parse(const char *s, enum pki_key_type *out)
{
	if (s == NULL)
		return RSG_ERR_INVALID_ARG;
	if (strcmp(s, "ecdsa") == 0 || strcmp(s, "ecdsa-p256") == 0)
		*out = PKI_KEY_ECDSA_P256;
	else if (strcmp(s, "ed25519") == 0)
		*out = PKI_KEY_ED25519;
	else
		return RSG_ERR_FORMAT;
	return 0;
}

/* ---- module internals ---------------------------------------------------- */

void
pki_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *
pki_file_strerror(int r)
{
	switch (r) {
	case RSG_ERR_NOT_FOUND:
		return "no such file";
	case RSG_ERR_EXISTS:
		return "file exists";
	case RSG_ERR_PERM:
		return "unsafe permissions (a private key must be 0600 and "
		    "ours)";
	case RSG_ERR_FORMAT:
		return "not a valid PEM file";
	case RSG_ERR_IO:
		return strerror(errno);
	default:
		return rsg_strerror(r);
	}
}

const EVP_MD *
pki_sign_md(const EVP_PKEY *key)
{
	/* EdDSA signs the message itself: OpenSSL wants no digest. */
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		return NULL;
	return EVP_sha256();
}

int
pki_asn1_time_get(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	time_t v;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return RSG_ERR_FORMAT;
	if ((v = timegm(&tm)) == (time_t)-1)
		return RSG_ERR_RANGE;
	*out = (int64_t)v;
	return 0;
}

int
pki_time_add_days(int64_t t, unsigned days, int64_t *out)
{
	int64_t add = (int64_t)days * 86400;

	if (t > INT64_MAX - add)
		return RSG_ERR_RANGE;
	*out = t + add;
	return 0;
}

int
pki_serial_hex(const ASN1_INTEGER *serial, char *out, size_t outlen)
{
	BIGNUM *bn = NULL;
	char *hex = NULL;
	size_t i;
	int r = RSG_ERR_NOMEM;

	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL)
		goto out;
	if ((hex = BN_bn2hex(bn)) == NULL)
		goto out;
	for (i = 0; hex[i] != '\0'; i++)
		if (hex[i] >= 'A' && hex[i] <= 'F')
			hex[i] = (char)(hex[i] - 'A' + 'a');
	r = str_copy(out, outlen, hex);
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	return r;
}

int
pki_pem_bio(const char *path, BIO **out)
{
	struct rsg_buf *b = NULL;
	BIO *bio = NULL;
	int r;

	if ((r = file_read_all(path, PKI_PEM_MAX, &b)) != 0)
		return r;
	/* A copy: the BIO must outlive b, which is wiped when freed. */
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    BIO_write(bio, buf_ptr(b), (int)buf_len(b)) != (int)buf_len(b)) {
		BIO_free(bio);
		buf_free(b);
		return RSG_ERR_NOMEM;
	}
	buf_free(b);
	*out = bio;
	return 0;
}

/* ---- certificates and keys ---------------------------------------------- */

void
pki_cert_free(struct x509_st *cert)
{
	X509_free(cert);
}

void
pki_key_free(struct evp_pkey_st *key)
{
	EVP_PKEY_free(key);
}

void
pki_chain_free(struct stack_st_X509 *chain)
{
	sk_X509_pop_free(chain, X509_free);
}

int
pki_cert_load_chain(const char *path, struct x509_st **certp,
    struct stack_st_X509 **chainp)
{
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL, *x;
	BIO *bio = NULL;
	int r;

	if ((r = pki_init()) != 0)
		return r;
	if ((r = pki_pem_bio(path, &bio)) != 0)
		return r;
	r = RSG_ERR_FORMAT;
	if ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		goto out;
	if (chainp != NULL) {
		r = RSG_ERR_NOMEM;
		if ((chain = sk_X509_new_null()) == NULL)
			goto out;
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			if (!sk_X509_push(chain, x)) {
				X509_free(x);
				goto out;
			}
		}
		/* Only the end of the input may stop the loop. */
		r = RSG_ERR_FORMAT;
		if (ERR_GET_REASON(ERR_peek_last_error()) !=
		    PEM_R_NO_START_LINE)
			goto out;
	}
	*certp = cert;
	cert = NULL;
	if (chainp != NULL) {
		*chainp = chain;
		chain = NULL;
	}
	r = 0;
 out:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	BIO_free(bio);
	return r;
}

int
pki_cert_load(const char *path, struct x509_st **out)
{
	return pki_cert_load_chain(path, out, NULL);
}

int
pki_key_load(const char *path, struct evp_pkey_st **out)
{
	struct rsg_buf *b = NULL;
	struct stat st;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	uint8_t chunk[4096];
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? RSG_ERR_NOT_FOUND : RSG_ERR_IO;
	/* fstat of the open file: what we check is what we read. */
	r = RSG_ERR_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	r = RSG_ERR_PERM;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    (st.st_uid != geteuid() && st.st_uid != 0))
		goto out;
	r = RSG_ERR_NOMEM;
	if ((b = buf_new(PKI_PEM_MAX)) == NULL)
		goto out;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = RSG_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		if ((r = buf_put(b, chunk, (size_t)n)) != 0)
			goto out;
	}
	r = RSG_ERR_NOMEM;
	if ((bio = BIO_new_mem_buf(buf_ptr(b), (int)buf_len(b))) == NULL)
		goto out;
	r = RSG_ERR_FORMAT;
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		goto out;
	*out = key;
	r = 0;
 out:
	ERR_clear_error();
	BIO_free(bio);
	mem_wipe(chunk, sizeof(chunk));
	buf_free(b);
	close(fd);
	return r;
}

int
pki_certkey_load(const char *cert_path, const char *key_path,
    struct x509_st **certp, struct stack_st_X509 **chainp,
    struct evp_pkey_st **keyp)
{
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int r;

	if ((r = pki_cert_load_chain(cert_path, &cert,
	    chainp != NULL ? &chain : NULL)) != 0)
		goto out;
	if ((r = pki_key_load(key_path, &key)) != 0)
		goto out;
	r = RSG_ERR_VERIFY;
	if (X509_check_private_key(cert, key) != 1)
		goto out;
	*certp = cert;
	cert = NULL;
	if (chainp != NULL) {
		*chainp = chain;
		chain = NULL;
	}
	*keyp = key;
	key = NULL;
	r = 0;
 out:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

/* The contents of a memory BIO as a new buffer. */
static int
bio_to_buf(BIO *bio, struct rsg_buf **out)
{
	struct rsg_buf *b;
	char *p;
	long n;

	n = BIO_get_mem_data(bio, &p);
	if (n < 0)
		return RSG_ERR_INTERNAL;
	if ((b = buf_new(0)) == NULL)
		return RSG_ERR_NOMEM;
	if (buf_put(b, p, (size_t)n) != 0) {
		buf_free(b);
		return RSG_ERR_NOMEM;
	}
	*out = b;
	return 0;
}

int
pki_cert_to_pem(const struct x509_st *cert, struct rsg_buf **out)
{
	BIO *bio;
	int r = RSG_ERR_NOMEM;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return RSG_ERR_NOMEM;
	if (PEM_write_bio_X509(bio, cert) == 1)
		r = bio_to_buf(bio, out);
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

int
pki_key_to_pem(const struct evp_pkey_st *key, struct rsg_buf **out)
{
	BIO *bio;
	char *p;
	long n;
	int r = RSG_ERR_NOMEM;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return RSG_ERR_NOMEM;
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) == 1)
		r = bio_to_buf(bio, out);
	/* The key was in the BIO's memory too. */
	if ((n = BIO_get_mem_data(bio, &p)) > 0)
		OPENSSL_cleanse(p, (size_t)n);
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

int
pki_certkey_write(const char *prefix, const struct x509_st *cert,
    const struct evp_pkey_st *key, char *err, size_t errlen)
{
	struct rsg_buf *cpem = NULL, *kpem = NULL;
	char *cpath = NULL, *kpath = NULL;
	size_t n;
	int r = RSG_ERR_NOMEM;

	n = strlen(prefix) + 5;
	if ((cpath = malloc(n)) == NULL || (kpath = malloc(n)) == NULL)
		goto out;
	snprintf(cpath, n, "%s.crt", prefix);
	snprintf(kpath, n, "%s.key", prefix);
	if ((r = pki_cert_to_pem(cert, &cpem)) != 0 ||
	    (r = pki_key_to_pem(key, &kpem)) != 0) {
		pki_seterr(err, errlen, "%s", rsg_strerror(r));
		goto out;
	}
	/* Refuse before writing anything, so a refusal leaves no trace. */
	if (access(cpath, F_OK) == 0 || access(kpath, F_OK) == 0) {
		r = RSG_ERR_EXISTS;
		pki_seterr(err, errlen, "%s: %s",
		    access(cpath, F_OK) == 0 ? cpath : kpath,
		    pki_file_strerror(r));
		goto out;
	}
	if ((r = file_write_atomic(kpath, buf_ptr(kpem), buf_len(kpem), 0600,
	    1)) != 0) {
		pki_seterr(err, errlen, "%s: %s", kpath, pki_file_strerror(r));
		goto out;
	}
	if ((r = file_write_atomic(cpath, buf_ptr(cpem), buf_len(cpem), 0644,
	    1)) != 0) {
		pki_seterr(err, errlen, "%s: %s", cpath, pki_file_strerror(r));
		unlink(kpath);
		goto out;
	}
	r = 0;
 out:
	buf_free(cpem);
	buf_free(kpem);
	free(cpath);
	free(kpath);
	return r;
}

/* ---- accessors ---------------------------------------------------------- */

unsigned
pki_cert_roles(const struct x509_st *cert)
{
	EXTENDED_KEY_USAGE *eku;
	unsigned mask = 0;
	size_t j;
	int i, nid;

	if (cert == NULL || pki_init() != 0)
		return 0;
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	if (eku == NULL) {
		ERR_clear_error();
		return 0;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		for (j = 0; j < N_ROLES && nid != NID_undef; j++)
			if (nid == pki_role_nid(roles[j].role))
				mask |= (unsigned)roles[j].role;
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return mask;
}

int
pki_cert_subject_cn(const struct x509_st *cert, char *out, size_t outlen)
{
	const X509_NAME *name;
	const ASN1_STRING *s;
	unsigned char *utf8 = NULL;
	int idx, n, r;

	if ((name = X509_get_subject_name(cert)) == NULL)
		return RSG_ERR_NOT_FOUND;
	if ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return RSG_ERR_NOT_FOUND;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	if ((n = ASN1_STRING_to_UTF8(&utf8, s)) < 0)
		return RSG_ERR_NOMEM;
	/* An embedded NUL would make the CN say something it does not. */
	if (memchr(utf8, '\0', (size_t)n) != NULL)
		r = RSG_ERR_FORMAT;
	else
		r = str_copy(out, outlen, (const char *)utf8);
	OPENSSL_free(utf8);
	return r;
}

static int
name_print(const X509_NAME *name, unsigned long flags, char *out,
    size_t outlen)
{
	BIO *bio;
	char *p;
	long n;
	int r = RSG_ERR_NOMEM;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return RSG_ERR_NOMEM;
	if (X509_NAME_print_ex(bio, name, 0, flags) < 0)
		goto out;
	if ((n = BIO_get_mem_data(bio, &p)) < 0)
		goto out;
	r = RSG_ERR_LIMIT;
	if ((size_t)n >= outlen)
		goto out;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	r = 0;
 out:
	BIO_free(bio);
	return r;
}

/*
 * RFC 2253 text of a name. UTF-8 is kept readable (engineers' names are
 * often Japanese) when every character is safe to show as it is — what
 * str_escape() leaves unchanged; otherwise, as for any hostile or odd name,
 * non-ASCII and control bytes are escaped.
 */
static int
name_oneline(const X509_NAME *name, char *out, size_t outlen)
{
	char esc[1024];
	int r;

	r = name_print(name, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB, out,
	    outlen);
	if (r == 0 && strlen(out) < sizeof(esc) &&
	    strpbrk(out, "\\\"") == NULL &&
	    strcmp(str_escape(out, esc, sizeof(esc)), out) == 0)
		return 0;
	return name_print(name, XN_FLAG_RFC2253, out, outlen);
}

int
pki_cert_subject(const struct x509_st *cert, char *out, size_t outlen)
{
	return name_oneline(X509_get_subject_name(cert), out, outlen);
}

int
pki_cert_issuer(const struct x509_st *cert, char *out, size_t outlen)
{
	return name_oneline(X509_get_issuer_name(cert), out, outlen);
}

int
pki_cert_serial_hex(const struct x509_st *cert, char *out, size_t outlen)
{
	return pki_serial_hex(X509_get0_serialNumber(cert), out, outlen);
}

int
pki_cert_fingerprint(const struct x509_st *cert, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (outlen < PKI_FINGERPRINT_HEX)
		return RSG_ERR_LIMIT;
	if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
		ERR_clear_error();
		return RSG_ERR_CRYPTO;
	}
	hex_encode(md, n, out);
	return 0;
}

int
pki_cert_validity(const struct x509_st *cert, int64_t *not_before,
    int64_t *not_after)
{
	int64_t nb, na;
	int r;

	if ((r = pki_asn1_time_get(X509_get0_notBefore(cert), &nb)) != 0 ||
	    (r = pki_asn1_time_get(X509_get0_notAfter(cert), &na)) != 0)
		return r;
	*not_before = nb;
	*not_after = na;
	return 0;
}

int
pki_cert_key_desc(const struct x509_st *cert, char *out, size_t outlen)
{
	EVP_PKEY *key;
	char group[64], desc[96];

	if ((key = X509_get0_pubkey(cert)) == NULL) {
		ERR_clear_error();
		return RSG_ERR_FORMAT;
	}
	if (EVP_PKEY_is_a(key, "ED25519"))
		return str_copy(out, outlen, "Ed25519");
	if (EVP_PKEY_is_a(key, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(key,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    NULL) != 1) {
			ERR_clear_error();
			return str_copy(out, outlen, "ECDSA");
		}
		snprintf(desc, sizeof(desc), "ECDSA %s",
		    strcmp(group, "prime256v1") == 0 ? "P-256" : group);
		return str_copy(out, outlen, desc);
	}
	snprintf(desc, sizeof(desc), "%s %d", EVP_PKEY_get0_type_name(key),
	    EVP_PKEY_get_bits(key));
	return str_copy(out, outlen, desc);
}
