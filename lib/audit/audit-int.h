/*
 * audit-int.h: shared by the audit module's files only: the hashing
 * context reused on hot paths, key helpers and the checkpoint encoding.
 */
#ifndef RSGATE_AUDIT_INT_H
#define RSGATE_AUDIT_INT_H

#include <openssl/evp.h>

#include "rsgate/audit.h"

/* Meta keys of a log. */
#define AUDIT_META_LOG_ID "audit.log_id"
#define AUDIT_META_PUBKEY "audit.pubkey"
#define AUDIT_META_FORMAT "audit.format"
/* Domain-separation strings: a hash or signature of one kind of thing
 * can never be taken for another. */
#define AUDIT_GENESIS_DOMAIN "rsgate audit genesis v1"
#define AUDIT_CHECKPOINT_DOMAIN "rsgate audit checkpoint v1"
/* Size of a checkpoint encoding (fixed). */
#define AUDIT_CHECKPOINT_ENC_LEN (4 + sizeof(AUDIT_CHECKPOINT_DOMAIN) - 1 + \
	AUDIT_LOG_ID_LEN + 8 + 8 + AUDIT_HASH_LEN + 8 + AUDIT_HASH_LEN)

/* A SHA-256 context kept for many digests (no allocation per record). */
struct audit_hasher {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

int audit_hasher_init(struct audit_hasher *h) RSG_WUR;
void audit_hasher_done(struct audit_hasher *h);
int audit_hash(struct audit_hasher *h, const void *p, size_t len,
    uint8_t out[AUDIT_HASH_LEN]) RSG_WUR;
/* The prev_hash of record 1 and of checkpoint 1: binds both to the log. */
int audit_genesis(struct audit_hasher *h, const uint8_t log_id[AUDIT_LOG_ID_LEN],
    uint8_t out[AUDIT_HASH_LEN]) RSG_WUR;

/* Decode without computing the hash (the caller hashes with its hasher). */
int audit_record_decode_nohash(const uint8_t *p, size_t len,
    struct audit_record *r) RSG_WUR;
/* Whether s (len bytes) is UTF-8 without NUL bytes. */
int audit_utf8_valid(const uint8_t *s, size_t len);

struct audit_checkpoint {
	uint8_t log_id[AUDIT_LOG_ID_LEN];
	uint64_t n;
	uint64_t last_seq;
	uint8_t last_hash[AUDIT_HASH_LEN];
	int64_t time_ms;
	uint8_t prev_hash[AUDIT_HASH_LEN];
};

int audit_checkpoint_encode(const struct audit_checkpoint *c,
    struct rsg_buf *out) RSG_WUR;
int audit_checkpoint_decode(const uint8_t *p, size_t len,
    struct audit_checkpoint *c) RSG_WUR;

/* Keys: load a private key (must be Ed25519 and not group/world readable). */
int audit_key_load_private(const char *path, EVP_PKEY **out) RSG_WUR;
/* Load a public key from a PEM public or private key file, as raw bytes. */
int audit_key_load_public_raw(const char *path,
    uint8_t out[AUDIT_PUBKEY_LEN]) RSG_WUR;
int audit_key_raw_public(EVP_PKEY *k, uint8_t out[AUDIT_PUBKEY_LEN]) RSG_WUR;
int audit_sign(EVP_PKEY *k, const uint8_t *msg, size_t len,
    uint8_t sig[AUDIT_SIG_LEN]) RSG_WUR;
/* 0 if sig is a valid signature of msg by pub, else RSG_ERR_VERIFY. */
int audit_sig_check(EVP_PKEY *pub, EVP_MD_CTX *ctx, const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t siglen) RSG_WUR;

#endif
