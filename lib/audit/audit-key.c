/*
 * audit-key.c: the audit log's cryptography: SHA-256 with a context kept
 * across records, and the daemon's own Ed25519 checkpoint key (PEM files,
 * OpenSSL 3 EVP). The private key file is written 0600 and refused when
 * others can read it; its bytes are wiped from memory after use.
 */
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-int.h"

/* A PEM key file is small; anything bigger is not one. */
#define AUDIT_KEYFILE_MAX (16 * 1024)

int
audit_hasher_init(struct audit_hasher *h)
{
	memset(h, 0, sizeof(*h));
	if ((h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (h->ctx = EVP_MD_CTX_new()) == NULL) {
		audit_hasher_done(h);
		return RSG_ERR_CRYPTO;
	}
	return 0;
}

void
audit_hasher_done(struct audit_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	h->ctx = NULL;
	h->md = NULL;
}

int
audit_hash(struct audit_hasher *h, const void *p, size_t len,
    uint8_t out[AUDIT_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, p, len) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, out, &n) != 1 || n != AUDIT_HASH_LEN)
		return RSG_ERR_CRYPTO;
	return 0;
}

int
audit_genesis(struct audit_hasher *h, const uint8_t log_id[AUDIT_LOG_ID_LEN],
    uint8_t out[AUDIT_HASH_LEN])
{
	uint8_t in[sizeof(AUDIT_GENESIS_DOMAIN) - 1 + AUDIT_LOG_ID_LEN];

	memcpy(in, AUDIT_GENESIS_DOMAIN, sizeof(AUDIT_GENESIS_DOMAIN) - 1);
	memcpy(in + sizeof(AUDIT_GENESIS_DOMAIN) - 1, log_id, AUDIT_LOG_ID_LEN);
	return audit_hash(h, in, sizeof(in), out);
}

/* Read a PEM key file into a memory BIO (so the file is read once). */
static int
key_read(const char *path, struct rsg_buf **out)
{
	return file_read_all(path, AUDIT_KEYFILE_MAX, out);
}

int
audit_key_generate(const char *path)
{
	EVP_PKEY *k = NULL;
	BIO *priv = NULL, *pub = NULL;
	char *pubpath = NULL;
	char *data;
	long len;
	size_t plen;
	int r;

	if (path == NULL || *path == '\0')
		return RSG_ERR_INVALID_ARG;
	plen = strlen(path);
	if ((pubpath = malloc(plen + 5)) == NULL)
		return RSG_ERR_NOMEM;
	memcpy(pubpath, path, plen);
	memcpy(pubpath + plen, ".pub", 5);
	r = RSG_ERR_CRYPTO;
	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		goto out;
	if ((priv = BIO_new(BIO_s_secmem())) == NULL ||
	    (pub = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pub, k) != 1)
		goto out;
	if ((len = BIO_get_mem_data(priv, &data)) <= 0)
		goto out;
	if ((r = file_write_atomic(path, data, (size_t)len, 0600, 1)) != 0)
		goto out;
	r = RSG_ERR_CRYPTO;
	if ((len = BIO_get_mem_data(pub, &data)) <= 0)
		goto out;
	r = file_write_atomic(pubpath, data, (size_t)len, 0644, 0);
 out:
	BIO_free(priv);	/* secure memory: cleansed on free */
	BIO_free(pub);
	EVP_PKEY_free(k);
	free(pubpath);
	return r;
}

int
audit_key_load_private(const char *path, EVP_PKEY **out)
{
	struct rsg_buf *b = NULL;
	EVP_PKEY *k = NULL;
	struct stat st;
	BIO *bio = NULL;
	int r;

	if (stat(path, &st) != 0)
		return RSG_ERR_NOT_FOUND;
	/* Like ssh: a signing key others can read is not a secret. */
	if ((st.st_mode & 077) != 0)
		return RSG_ERR_PERM;
	if ((r = key_read(path, &b)) != 0)
		return r;
	r = RSG_ERR_NOMEM;
	if ((bio = BIO_new_mem_buf(buf_ptr(b), (int)buf_len(b))) == NULL)
		goto out;
	r = RSG_ERR_CRYPTO;
	if ((k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		goto out;
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		r = RSG_ERR_FORMAT;
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
 out:
	BIO_free(bio);
	buf_free(b);	/* wipes the PEM text */
	EVP_PKEY_free(k);
	return r;
}

int
audit_key_raw_public(EVP_PKEY *k, uint8_t out[AUDIT_PUBKEY_LEN])
{
	size_t len = AUDIT_PUBKEY_LEN;

	if (EVP_PKEY_get_raw_public_key(k, out, &len) != 1 ||
	    len != AUDIT_PUBKEY_LEN)
		return RSG_ERR_CRYPTO;
	return 0;
}

int
audit_key_load_public_raw(const char *path, uint8_t out[AUDIT_PUBKEY_LEN])
{
	struct rsg_buf *b = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	int r;

	if ((r = key_read(path, &b)) != 0)
		return r;
	r = RSG_ERR_NOMEM;
	if ((bio = BIO_new_mem_buf(buf_ptr(b), (int)buf_len(b))) == NULL)
		goto out;
	k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (k == NULL) {
		/* Also accept the private key file: its public half. */
		BIO_free(bio);
		if ((bio = BIO_new_mem_buf(buf_ptr(b), (int)buf_len(b))) ==
		    NULL)
			goto out;
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	}
	r = RSG_ERR_FORMAT;
	if (k == NULL || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519)
		goto out;
	r = audit_key_raw_public(k, out);
 out:
	BIO_free(bio);
	buf_free(b);
	EVP_PKEY_free(k);
	return r;
}

int
audit_sign(EVP_PKEY *k, const uint8_t *msg, size_t len,
    uint8_t sig[AUDIT_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t siglen = AUDIT_SIG_LEN;
	int r = RSG_ERR_CRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return RSG_ERR_CRYPTO;
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 &&
	    siglen == AUDIT_SIG_LEN)
		r = 0;
	EVP_MD_CTX_free(ctx);
	return r;
}

/* One verification: 1 good, 0 bad (or failed quietly), < 0 error. */
static int
sig_check_once(EVP_PKEY *pub, EVP_MD_CTX *ctx, const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t siglen)
{
	ERR_clear_error();
	if (EVP_MD_CTX_reset(ctx) != 1 ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) != 1)
		return -1;
	return EVP_DigestVerify(ctx, sig, siglen, msg, len);
}

int
audit_sig_check(EVP_PKEY *pub, EVP_MD_CTX *ctx, const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t siglen)
{
	int ok;

	if (siglen != AUDIT_SIG_LEN)
		return RSG_ERR_VERIFY;
	/*
	 * OpenSSL reports a bad signature and some internal failures (out
	 * of memory) alike as 0. Calling a log tampered because memory ran
	 * short would be a false alarm, so a failure that left an error on
	 * the queue is an error, and a bad result is confirmed once more.
	 */
	ok = sig_check_once(pub, ctx, msg, len, sig, siglen);
	if (ok == 1)
		return 0;
	if (ok < 0 || ERR_peek_error() != 0)
		return RSG_ERR_CRYPTO;
	ok = sig_check_once(pub, ctx, msg, len, sig, siglen);
	if (ok == 1)
		return 0;
	if (ok < 0 || ERR_peek_error() != 0)
		return RSG_ERR_CRYPTO;
	return RSG_ERR_VERIFY;
}
