/*
 * audit.c: creating, opening and appending to the audit log. Each append
 * is one transaction: the records, a checkpoint if one is due, COMMIT
 * (fsync). The tail (last seq and hash, last checkpoint) is read again
 * under the write lock of every transaction, so two processes appending
 * to one log (a daemon and `rsgate audit append`) chain correctly.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/store.h"

#include "audit-int.h"

struct audit_log {
	struct store *st;
	EVP_PKEY *key;
	struct audit_opts opts;
	struct audit_hasher h;
	struct rsg_buf *enc;		/* scratch for encodings */
	uint8_t log_id[AUDIT_LOG_ID_LEN];
	uint8_t genesis[AUDIT_HASH_LEN];
	/* The tail, as of the current transaction. */
	uint64_t last_seq;
	uint8_t last_hash[AUDIT_HASH_LEN];
	uint64_t cp_n, cp_seq;
	int64_t cp_time_ms;
	uint8_t cp_hash[AUDIT_HASH_LEN];
};

void
audit_opts_default(struct audit_opts *o)
{
	o->checkpoint_records = 100;
	o->checkpoint_secs = 60;
}

void
audit_free(struct audit_log *l)
{
	if (l == NULL)
		return;
	store_close(l->st);
	EVP_PKEY_free(l->key);
	audit_hasher_done(&l->h);
	buf_free(l->enc);
	free(l);
}

/* Read the log id and check that the key is the one the log was made with. */
static int
audit_load_meta(struct audit_log *l)
{
	struct rsg_buf *b = NULL;
	uint8_t pub[AUDIT_PUBKEY_LEN];
	int r;

	if ((b = buf_new(STORE_META_VALUE_MAX)) == NULL)
		return RSG_ERR_NOMEM;
	if ((r = store_meta_get(l->st, AUDIT_META_LOG_ID, b)) != 0)
		goto out;
	if (buf_len(b) != AUDIT_LOG_ID_LEN) {
		r = RSG_ERR_FORMAT;
		goto out;
	}
	memcpy(l->log_id, buf_ptr(b), AUDIT_LOG_ID_LEN);
	buf_reset(b);
	if ((r = store_meta_get(l->st, AUDIT_META_PUBKEY, b)) != 0)
		goto out;
	if ((r = audit_key_raw_public(l->key, pub)) != 0)
		goto out;
	if (buf_len(b) != AUDIT_PUBKEY_LEN ||
	    memcmp(buf_ptr(b), pub, AUDIT_PUBKEY_LEN) != 0) {
		r = RSG_ERR_VERIFY;
		goto out;
	}
	r = audit_genesis(&l->h, l->log_id, l->genesis);
 out:
	buf_free(b);
	return r;
}

static int audit_load_tail(struct audit_log *l);

/* Common part of create and open: the handle, key and store. */
static int
audit_new(const char *dbpath, const char *keypath, const struct audit_opts *o,
    unsigned sflags, struct audit_log **out)
{
	struct audit_log *l;
	int r;

	if (dbpath == NULL || keypath == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return RSG_ERR_NOMEM;
	if (o != NULL)
		l->opts = *o;
	else
		audit_opts_default(&l->opts);
	if (l->opts.checkpoint_records == 0)
		l->opts.checkpoint_records = 1;
	if ((r = audit_hasher_init(&l->h)) != 0)
		goto fail;
	if ((l->enc = buf_new(AUDIT_RECORD_ENC_MAX)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto fail;
	}
	if ((r = audit_key_load_private(keypath, &l->key)) != 0)
		goto fail;
	if ((r = store_open(dbpath, sflags, &l->st)) != 0)
		goto fail;
	*out = l;
	return 0;
 fail:
	audit_free(l);
	return r;
}

int
audit_create(const char *dbpath, const char *keypath,
    const struct audit_opts *o, struct audit_log **out)
{
	struct audit_log *l = NULL;
	struct rsg_buf *b = NULL;
	uint8_t pub[AUDIT_PUBKEY_LEN], fmt = AUDIT_RECORD_VERSION;
	int r;

	if ((r = audit_new(dbpath, keypath, o, STORE_CREATE, &l)) != 0)
		return r;
	if ((b = buf_new(STORE_META_VALUE_MAX)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto fail;
	}
	if ((r = store_begin(l->st)) != 0)
		goto fail;
	r = store_meta_get(l->st, AUDIT_META_LOG_ID, b);
	if (r == 0)
		r = RSG_ERR_EXISTS;
	if (r != RSG_ERR_NOT_FOUND)
		goto fail;
	if (RAND_bytes(l->log_id, sizeof(l->log_id)) != 1) {
		r = RSG_ERR_CRYPTO;
		goto fail;
	}
	if ((r = audit_key_raw_public(l->key, pub)) != 0 ||
	    (r = store_meta_set(l->st, AUDIT_META_LOG_ID, l->log_id,
	    sizeof(l->log_id))) != 0 ||
	    (r = store_meta_set(l->st, AUDIT_META_PUBKEY, pub,
	    sizeof(pub))) != 0 ||
	    (r = store_meta_set(l->st, AUDIT_META_FORMAT, &fmt, 1)) != 0 ||
	    (r = store_commit(l->st)) != 0)
		goto fail;
	if ((r = audit_genesis(&l->h, l->log_id, l->genesis)) != 0)
		goto fail;
	memcpy(l->last_hash, l->genesis, AUDIT_HASH_LEN);
	memcpy(l->cp_hash, l->genesis, AUDIT_HASH_LEN);
	l->cp_time_ms = time_now_ms();
	buf_free(b);
	*out = l;
	return 0;
 fail:
	store_rollback(l->st);
	buf_free(b);
	audit_free(l);
	return r;
}

int
audit_open(const char *dbpath, const char *keypath,
    const struct audit_opts *o, struct audit_log **out)
{
	struct audit_log *l = NULL;
	int r;

	if ((r = audit_new(dbpath, keypath, o, 0, &l)) != 0)
		return r;
	if ((r = audit_load_meta(l)) != 0 || (r = audit_load_tail(l)) != 0) {
		audit_free(l);
		return r;
	}
	*out = l;
	return 0;
}

/* Read the tail as the database has it now (inside a transaction). */
static int
audit_load_tail(struct audit_log *l)
{
	int r;

	r = store_audit_last(l->st, &l->last_seq, l->last_hash);
	if (r == RSG_ERR_NOT_FOUND) {
		l->last_seq = 0;
		memcpy(l->last_hash, l->genesis, AUDIT_HASH_LEN);
	} else if (r != 0)
		return r;
	r = store_audit_checkpoint_last(l->st, &l->cp_n, &l->cp_seq,
	    &l->cp_time_ms, l->cp_hash);
	if (r == RSG_ERR_NOT_FOUND) {
		l->cp_n = l->cp_seq = 0;
		memcpy(l->cp_hash, l->genesis, AUDIT_HASH_LEN);
		/* No checkpoint yet: the time rule counts from the first
		 * uncovered record, i.e. from now for a fresh log. */
		if (l->last_seq == 0 || l->cp_time_ms == 0)
			l->cp_time_ms = time_now_ms();
	} else if (r != 0)
		return r;
	return 0;
}

/* Sign and insert a checkpoint covering everything so far. */
static int
audit_write_checkpoint(struct audit_log *l, int64_t now)
{
	struct store_audit_checkpoint_row row;
	struct audit_checkpoint c;
	uint8_t sig[AUDIT_SIG_LEN], hash[AUDIT_HASH_LEN];
	int r;

	memcpy(c.log_id, l->log_id, AUDIT_LOG_ID_LEN);
	c.n = l->cp_n + 1;
	c.last_seq = l->last_seq;
	memcpy(c.last_hash, l->last_hash, AUDIT_HASH_LEN);
	c.time_ms = now;
	memcpy(c.prev_hash, l->cp_hash, AUDIT_HASH_LEN);
	buf_reset(l->enc);
	if ((r = audit_checkpoint_encode(&c, l->enc)) != 0 ||
	    (r = audit_hash(&l->h, buf_ptr(l->enc), buf_len(l->enc),
	    hash)) != 0 ||
	    (r = audit_sign(l->key, buf_ptr(l->enc), buf_len(l->enc),
	    sig)) != 0)
		return r;
	memset(&row, 0, sizeof(row));
	row.n = c.n;
	row.last_seq = c.last_seq;
	row.time_ms = c.time_ms;
	row.last_hash = c.last_hash;
	row.last_hash_len = AUDIT_HASH_LEN;
	row.prev_hash = c.prev_hash;
	row.prev_hash_len = AUDIT_HASH_LEN;
	row.hash = hash;
	row.hash_len = AUDIT_HASH_LEN;
	row.enc = buf_ptr(l->enc);
	row.enc_len = buf_len(l->enc);
	row.sig = sig;
	row.sig_len = AUDIT_SIG_LEN;
	if ((r = store_audit_checkpoint_insert(l->st, &row)) != 0)
		return r;
	l->cp_n = c.n;
	l->cp_seq = c.last_seq;
	l->cp_time_ms = now;
	memcpy(l->cp_hash, hash, AUDIT_HASH_LEN);
	return 0;
}

/* Encode, hash and insert one record as the next in the chain. */
static int
audit_insert_one(struct audit_log *l, struct audit_record *r, int64_t now)
{
	struct store_audit_row row;
	const char *text;
	int e, i;

	r->seq = l->last_seq + 1;
	if (r->time_ms == 0)
		r->time_ms = now;
	memcpy(r->prev_hash, l->last_hash, AUDIT_HASH_LEN);
	buf_reset(l->enc);
	if ((e = audit_record_encode(r, l->enc)) != 0 ||
	    (e = audit_hash(&l->h, buf_ptr(l->enc), buf_len(l->enc),
	    r->hash)) != 0)
		return e;
	memset(&row, 0, sizeof(row));
	row.seq = r->seq;
	row.time_ms = r->time_ms;
	row.text[STORE_AUDIT_EVENT] = audit_event_name(r->event);
	row.text[STORE_AUDIT_OUTCOME] = audit_outcome_name(r->outcome);
	for (i = 0; i < AUDIT_NFIELDS; i++) {
		text = r->f[i] == NULL ? "" : r->f[i];
		row.text[STORE_AUDIT_HCF + i] = text;
	}
	for (i = 0; i < STORE_AUDIT_NTEXT; i++)
		row.text_len[i] = strlen(row.text[i]);
	row.prev_hash = r->prev_hash;
	row.prev_hash_len = AUDIT_HASH_LEN;
	row.hash = r->hash;
	row.hash_len = AUDIT_HASH_LEN;
	row.enc = buf_ptr(l->enc);
	row.enc_len = buf_len(l->enc);
	if ((e = store_audit_insert(l->st, &row)) != 0)
		return e;
	l->last_seq = r->seq;
	memcpy(l->last_hash, r->hash, AUDIT_HASH_LEN);
	if (l->last_seq - l->cp_seq >= l->opts.checkpoint_records)
		return audit_write_checkpoint(l, now);
	return 0;
}

/* Whether the time rule wants a checkpoint now. */
static int
audit_time_due(const struct audit_log *l, int64_t now)
{
	return l->last_seq > l->cp_seq && now >= l->cp_time_ms &&
	    (uint64_t)(now - l->cp_time_ms) >=
	    (uint64_t)l->opts.checkpoint_secs * 1000;
}

/* Append n records in one transaction; durable: wait for the disk. */
static int
audit_append_n(struct audit_log *l, struct audit_record *r, size_t n,
    int durable)
{
	int64_t now;
	size_t i;
	int e;

	if (l == NULL || (r == NULL && n != 0))
		return RSG_ERR_INVALID_ARG;
	if ((e = durable ? store_begin(l->st) :
	    store_begin_nosync(l->st)) != 0)
		return e;
	if ((e = audit_load_tail(l)) != 0)
		goto fail;
	now = time_now_ms();
	for (i = 0; i < n; i++)
		if ((e = audit_insert_one(l, &r[i], now)) != 0)
			goto fail;
	if (audit_time_due(l, now) && (e = audit_write_checkpoint(l, now)) != 0)
		goto fail;
	if ((e = store_commit(l->st)) != 0)
		goto fail;
	return 0;
 fail:
	store_rollback(l->st);
	return e;
}

int
audit_append_batch(struct audit_log *l, struct audit_record *r, size_t n)
{
	return audit_append_n(l, r, n, 1);
}

int
audit_append(struct audit_log *l, struct audit_record *r)
{
	return audit_append_n(l, r, 1, 1);
}

int
audit_append_nosync(struct audit_log *l, struct audit_record *r)
{
	return audit_append_n(l, r, 1, 0);
}

int
audit_sync(struct audit_log *l)
{
	if (l == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_sync(l->st);
}

/* Checkpoint if due (force: whenever records are uncovered). */
static int
audit_checkpoint_if(struct audit_log *l, int force)
{
	int64_t now;
	int e;

	if (l == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((e = store_begin(l->st)) != 0)
		return e;
	if ((e = audit_load_tail(l)) != 0)
		goto fail;
	now = time_now_ms();
	if (l->last_seq > l->cp_seq && (force || audit_time_due(l, now)) &&
	    (e = audit_write_checkpoint(l, now)) != 0)
		goto fail;
	if ((e = store_commit(l->st)) != 0)
		goto fail;
	return 0;
 fail:
	store_rollback(l->st);
	return e;
}

int
audit_tick(struct audit_log *l)
{
	return audit_checkpoint_if(l, 0);
}

int
audit_checkpoint(struct audit_log *l)
{
	return audit_checkpoint_if(l, 1);
}

uint64_t
audit_last_seq(const struct audit_log *l)
{
	return l->last_seq;
}

int
audit_close(struct audit_log *l)
{
	int r;

	if (l == NULL)
		return 0;
	r = audit_checkpoint(l);
	audit_free(l);
	return r;
}
