/*
 * audit-verify.c: checking a log end to end (R36). Two passes:
 *
 *   1. checkpoints in order: numbering, encoding, columns against the
 *      encoding, log id, hash, chain to the previous checkpoint, signature;
 *   2. records in order: sequence continuity, strict decoding, hash, chain
 *      to the previous record, every column against the encoding, and at
 *      each checkpoint's covered seq the hash the checkpoint signed.
 *
 * Then: a checkpoint covering more records than the log holds means the
 * tail was deleted. Records after the last checkpoint cannot be proven
 * complete (whoever can write the file can drop them); the result says how
 * many. The first problem found is reported, in plain English.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/store.h"

#include "audit-int.h"

/* A callback's "stop: tampering found" (errors are negative). */
#define VERIFY_STOP 1

struct cp_cover {
	uint64_t n;
	uint64_t last_seq;
	uint8_t last_hash[AUDIT_HASH_LEN];
};

struct verify_ctx {
	struct audit_verify_result res;
	struct audit_hasher h;
	EVP_PKEY *pub;
	EVP_MD_CTX *sigctx;
	uint8_t log_id[AUDIT_LOG_ID_LEN];
	uint8_t genesis[AUDIT_HASH_LEN];
	/* Checkpoint pass. */
	struct cp_cover *cps;
	size_t ncps, cps_alloc;
	uint64_t cp_prev_n, cp_prev_seq;
	uint8_t cp_prev_hash[AUDIT_HASH_LEN];
	int cp_failed;
	char cp_reason[sizeof(((struct audit_verify_result *)0)->reason)];
	uint64_t cp_bad;
	/* Record pass. */
	size_t cp_next;
	uint64_t prev_seq;
	uint8_t prev_hash[AUDIT_HASH_LEN];
	uint8_t prev_prev_hash[AUDIT_HASH_LEN];
	struct audit_record rec;
};

static const char *const col_names[STORE_AUDIT_NTEXT] = {
	"event", "outcome", "hcf_id", "vendor_id", "user_id", "role",
	"session_id", "device_id", "site_id", "approval_id", "capability",
	"object", "source", "reason",
};

static int
vfail(struct verify_ctx *v, uint64_t seq, const char *fmt, ...)
    RSG_PRINTF(3, 4);

/* Record the first problem: the record seq and why. */
static int
vfail(struct verify_ctx *v, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	v->res.intact = 0;
	v->res.bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->res.reason, sizeof(v->res.reason), fmt, ap);
	va_end(ap);
	return VERIFY_STOP;
}

static int cp_fail(struct verify_ctx *v, uint64_t n, const char *fmt, ...)
    RSG_PRINTF(3, 4);

static int
cp_fail(struct verify_ctx *v, uint64_t n, const char *fmt, ...)
{
	va_list ap;

	v->cp_failed = 1;
	v->cp_bad = n;
	va_start(ap, fmt);
	vsnprintf(v->cp_reason, sizeof(v->cp_reason), fmt, ap);
	va_end(ap);
	return VERIFY_STOP;
}

static int
verify_checkpoint(const struct store_audit_checkpoint_row *row, void *arg)
{
	struct verify_ctx *v = arg;
	struct audit_checkpoint c;
	struct cp_cover *ncp;
	uint8_t hash[AUDIT_HASH_LEN];
	uint64_t want = v->cp_prev_n + 1;
	size_t nalloc;
	int e;

	if (row->n != want) {
		if (row->n > want)
			return cp_fail(v, want, "checkpoint %llu is missing "
			    "(checkpoints jump from %llu to %llu)",
			    (unsigned long long)want,
			    (unsigned long long)v->cp_prev_n,
			    (unsigned long long)row->n);
		return cp_fail(v, row->n, "checkpoint %llu is out of order",
		    (unsigned long long)row->n);
	}
	if (row->last_hash_len != AUDIT_HASH_LEN ||
	    row->prev_hash_len != AUDIT_HASH_LEN ||
	    row->hash_len != AUDIT_HASH_LEN ||
	    audit_checkpoint_decode(row->enc, row->enc_len, &c) != 0)
		return cp_fail(v, row->n, "checkpoint %llu is malformed",
		    (unsigned long long)row->n);
	if (c.n != row->n || c.last_seq != row->last_seq ||
	    c.time_ms != row->time_ms ||
	    memcmp(c.last_hash, row->last_hash, AUDIT_HASH_LEN) != 0 ||
	    memcmp(c.prev_hash, row->prev_hash, AUDIT_HASH_LEN) != 0)
		return cp_fail(v, row->n, "checkpoint %llu: its columns were "
		    "changed (they differ from its signed encoding)",
		    (unsigned long long)row->n);
	if (memcmp(c.log_id, v->log_id, AUDIT_LOG_ID_LEN) != 0)
		return cp_fail(v, row->n, "checkpoint %llu belongs to another "
		    "log", (unsigned long long)row->n);
	if ((e = audit_hash(&v->h, row->enc, row->enc_len, hash)) != 0)
		return e;
	if (memcmp(hash, row->hash, AUDIT_HASH_LEN) != 0)
		return cp_fail(v, row->n, "checkpoint %llu: stored hash does "
		    "not match its encoding", (unsigned long long)row->n);
	if (memcmp(c.prev_hash, v->cp_prev_hash, AUDIT_HASH_LEN) != 0)
		return cp_fail(v, row->n, "checkpoint %llu does not chain to "
		    "checkpoint %llu (a checkpoint was changed, removed or "
		    "reordered)", (unsigned long long)row->n,
		    (unsigned long long)v->cp_prev_n);
	if (c.last_seq <= v->cp_prev_seq)
		return cp_fail(v, row->n, "checkpoint %llu covers record %llu, "
		    "not after checkpoint %llu's record %llu",
		    (unsigned long long)row->n,
		    (unsigned long long)c.last_seq,
		    (unsigned long long)v->cp_prev_n,
		    (unsigned long long)v->cp_prev_seq);
	e = audit_sig_check(v->pub, v->sigctx, row->enc, row->enc_len,
	    row->sig, row->sig_len);
	if (e == RSG_ERR_VERIFY)
		return cp_fail(v, row->n, "checkpoint %llu: signature does not "
		    "verify with %s", (unsigned long long)row->n,
		    v->res.key_explicit ? "the key given with --key" :
		    "the key stored in the log");
	if (e != 0)
		return e;
	if (v->ncps == v->cps_alloc) {
		nalloc = v->cps_alloc == 0 ? 64 : v->cps_alloc * 2;
		if (nalloc > SIZE_MAX / sizeof(*v->cps))
			return RSG_ERR_NOMEM;
		if ((ncp = realloc(v->cps, nalloc * sizeof(*ncp))) == NULL)
			return RSG_ERR_NOMEM;
		v->cps = ncp;
		v->cps_alloc = nalloc;
	}
	v->cps[v->ncps].n = c.n;
	v->cps[v->ncps].last_seq = c.last_seq;
	memcpy(v->cps[v->ncps].last_hash, c.last_hash, AUDIT_HASH_LEN);
	v->ncps++;
	v->cp_prev_n = c.n;
	v->cp_prev_seq = c.last_seq;
	memcpy(v->cp_prev_hash, hash, AUDIT_HASH_LEN);
	return 0;
}

/* Whether a text column holds exactly the decoded string s. */
static int
col_equal(const char *col, size_t len, const char *s)
{
	return strncmp(col, s, len) == 0 && s[len] == '\0';
}

static int
verify_record(const struct store_audit_row *row, void *arg)
{
	struct verify_ctx *v = arg;
	struct audit_record *r = &v->rec;
	uint64_t want = v->prev_seq + 1;
	const char *s;
	int e, i;

	if (row->seq != want) {
		if (row->seq > want)
			return vfail(v, want, "record %llu is missing (the "
			    "sequence jumps from %llu to %llu)",
			    (unsigned long long)want,
			    (unsigned long long)v->prev_seq,
			    (unsigned long long)row->seq);
		return vfail(v, row->seq, "record %llu is out of order",
		    (unsigned long long)row->seq);
	}
	if ((e = audit_record_decode_nohash(row->enc, row->enc_len, r)) != 0)
		return vfail(v, row->seq, "record %llu: its encoding is "
		    "malformed (%s)", (unsigned long long)row->seq,
		    rsg_strerror(e));
	if ((e = audit_hash(&v->h, row->enc, row->enc_len, r->hash)) != 0)
		return e;
	if (r->seq != row->seq) {
		if (memcmp(r->hash, v->prev_hash, AUDIT_HASH_LEN) == 0)
			return vfail(v, row->seq, "record %llu is a copy of "
			    "record %llu", (unsigned long long)row->seq,
			    (unsigned long long)v->prev_seq);
		/*
		 * Shifted up by one and chaining to the record before the
		 * previous one: the previous record was slipped in.
		 */
		if (r->seq == row->seq - 1 && row->seq > 1 &&
		    memcmp(r->prev_hash, v->prev_prev_hash,
		    AUDIT_HASH_LEN) == 0)
			return vfail(v, row->seq - 1, "record %llu was inserted "
			    "(the record stored as %llu is the original record "
			    "%llu)", (unsigned long long)(row->seq - 1),
			    (unsigned long long)row->seq,
			    (unsigned long long)r->seq);
		return vfail(v, row->seq, "record %llu: its encoding says it "
		    "is record %llu (records reordered or renumbered)",
		    (unsigned long long)row->seq, (unsigned long long)r->seq);
	}
	if (row->hash_len != AUDIT_HASH_LEN ||
	    memcmp(row->hash, r->hash, AUDIT_HASH_LEN) != 0)
		return vfail(v, row->seq, "record %llu: its stored hash does "
		    "not match its contents (record changed)",
		    (unsigned long long)row->seq);
	if (memcmp(r->prev_hash, v->prev_hash, AUDIT_HASH_LEN) != 0) {
		if (row->seq == 1)
			return vfail(v, 1, "record 1 does not start this log "
			    "(records before it removed, or from another log)");
		return vfail(v, row->seq - 1, "record %llu was rewritten: "
		    "record %llu chains to a different hash",
		    (unsigned long long)(row->seq - 1),
		    (unsigned long long)row->seq);
	}
	/* The columns people and SQL see must say what the chain says. */
	if (row->prev_hash_len != AUDIT_HASH_LEN ||
	    memcmp(row->prev_hash, r->prev_hash, AUDIT_HASH_LEN) != 0)
		return vfail(v, row->seq, "record %llu: column prev_hash was "
		    "changed", (unsigned long long)row->seq);
	if (row->time_ms != r->time_ms)
		return vfail(v, row->seq, "record %llu: column time_ms was "
		    "changed", (unsigned long long)row->seq);
	for (i = 0; i < STORE_AUDIT_NTEXT; i++) {
		if (i == STORE_AUDIT_EVENT)
			s = audit_event_name(r->event);
		else if (i == STORE_AUDIT_OUTCOME)
			s = audit_outcome_name(r->outcome);
		else
			s = r->f[i - STORE_AUDIT_HCF];
		if (!col_equal(row->text[i], row->text_len[i], s))
			return vfail(v, row->seq, "record %llu: column %s was "
			    "changed (it differs from the hash-chained record)",
			    (unsigned long long)row->seq, col_names[i]);
	}
	if (v->cp_next < v->ncps && v->cps[v->cp_next].last_seq == row->seq) {
		if (memcmp(v->cps[v->cp_next].last_hash, r->hash,
		    AUDIT_HASH_LEN) != 0)
			return vfail(v, row->seq, "record %llu does not match "
			    "the hash signed in checkpoint %llu (the log was "
			    "rewritten up to here)",
			    (unsigned long long)row->seq,
			    (unsigned long long)v->cps[v->cp_next].n);
		v->cp_next++;
	}
	v->prev_seq = row->seq;
	memcpy(v->prev_prev_hash, v->prev_hash, AUDIT_HASH_LEN);
	memcpy(v->prev_hash, r->hash, AUDIT_HASH_LEN);
	v->res.records++;
	return 0;
}

/* Read the log id and stored key; check the key against --key if given. */
static int
verify_meta(struct verify_ctx *v, struct store *st, const char *pubkey)
{
	uint8_t given[AUDIT_PUBKEY_LEN];
	struct rsg_buf *b;
	int r;

	if ((b = buf_new(STORE_META_VALUE_MAX)) == NULL)
		return RSG_ERR_NOMEM;
	if ((r = store_meta_get(st, AUDIT_META_LOG_ID, b)) != 0)
		goto out;
	if (buf_len(b) != AUDIT_LOG_ID_LEN) {
		r = RSG_ERR_FORMAT;
		goto out;
	}
	memcpy(v->log_id, buf_ptr(b), AUDIT_LOG_ID_LEN);
	buf_reset(b);
	if ((r = store_meta_get(st, AUDIT_META_PUBKEY, b)) != 0)
		goto out;
	if (buf_len(b) != AUDIT_PUBKEY_LEN) {
		r = RSG_ERR_FORMAT;
		goto out;
	}
	if (pubkey != NULL) {
		if ((r = audit_key_load_public_raw(pubkey, given)) != 0)
			goto out;
		v->res.key_explicit = 1;
		if (memcmp(given, buf_ptr(b), AUDIT_PUBKEY_LEN) != 0) {
			v->res.intact = 0;
			snprintf(v->res.reason, sizeof(v->res.reason),
			    "the public key stored in the log is not the key "
			    "given with --key (the log was re-signed or "
			    "replaced)");
			r = VERIFY_STOP;
			goto out;
		}
	}
	r = RSG_ERR_CRYPTO;
	if ((v->pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    buf_ptr(b), AUDIT_PUBKEY_LEN)) == NULL)
		goto out;
	r = audit_genesis(&v->h, v->log_id, v->genesis);
 out:
	buf_free(b);
	return r;
}

int
audit_verify(const char *dbpath, const char *pubkey,
    struct audit_verify_result *res)
{
	struct verify_ctx *v;
	struct store *st = NULL;
	const struct cp_cover *last;
	int r;

	if (dbpath == NULL || res == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return RSG_ERR_NOMEM;
	v->res.intact = 1;
	if ((r = audit_hasher_init(&v->h)) != 0)
		goto out;
	if ((v->sigctx = EVP_MD_CTX_new()) == NULL) {
		r = RSG_ERR_CRYPTO;
		goto out;
	}
	if ((r = store_open(dbpath, STORE_RDONLY, &st)) != 0)
		goto out;
	if ((r = verify_meta(v, st, pubkey)) != 0)
		goto verdict;
	memcpy(v->cp_prev_hash, v->genesis, AUDIT_HASH_LEN);
	memcpy(v->prev_hash, v->genesis, AUDIT_HASH_LEN);
	/*
	 * Checkpoints first, then records: a daemon appending meanwhile can
	 * only add records after the checkpoints were read, so a live log
	 * never looks as if its covered tail had been cut.
	 */
	r = store_audit_checkpoint_foreach(st, verify_checkpoint, v);
	if (r < 0)
		goto out;
	if ((r = store_audit_foreach(st, 1, verify_record, v)) != 0)
		goto verdict;
	v->res.last_seq = v->prev_seq;
	v->res.checkpoints = v->ncps;
	if (v->ncps > 0) {
		last = &v->cps[v->ncps - 1];
		if (v->cp_next < v->ncps) {
			char gone[64];

			if (last->last_seq == v->prev_seq + 1)
				snprintf(gone, sizeof(gone), "record %llu is",
				    (unsigned long long)last->last_seq);
			else
				snprintf(gone, sizeof(gone), "records %llu to "
				    "%llu are", (unsigned long long)(
				    v->prev_seq + 1),
				    (unsigned long long)last->last_seq);
			r = vfail(v, v->prev_seq + 1, "%s missing from the "
			    "end: checkpoint %llu covers up to record %llu "
			    "but the log ends at record %llu", gone,
			    (unsigned long long)last->n,
			    (unsigned long long)last->last_seq,
			    (unsigned long long)v->prev_seq);
			goto verdict;
		}
		v->res.last_checkpoint_seq = last->last_seq;
	}
	if (v->cp_failed) {
		v->res.intact = 0;
		v->res.bad_checkpoint = v->cp_bad;
		memcpy(v->res.reason, v->cp_reason, sizeof(v->res.reason));
		goto verdict;
	}
	v->res.unproven = v->res.last_seq - v->res.last_checkpoint_seq;
 verdict:
	if (r < 0)
		goto out;
	v->res.last_seq = v->prev_seq;
	v->res.checkpoints = v->ncps;
	*res = v->res;
	r = 0;
 out:
	store_close(st);
	EVP_PKEY_free(v->pub);
	EVP_MD_CTX_free(v->sigctx);
	audit_hasher_done(&v->h);
	free(v->cps);
	free(v);
	return r;
}

void
audit_verify_summary(const struct audit_verify_result *res, char *out,
    size_t outlen)
{
	int n;

	if (!res->intact) {
		snprintf(out, outlen, "audit log TAMPERED: %s", res->reason);
		return;
	}
	n = snprintf(out, outlen, "audit log intact: %llu records, %llu "
	    "checkpoints, last sequence %llu; signatures checked against %s",
	    (unsigned long long)res->records,
	    (unsigned long long)res->checkpoints,
	    (unsigned long long)res->last_seq,
	    res->key_explicit ? "the key given with --key" :
	    "the key stored in the log itself (give --key to pin it)");
	if (res->unproven > 0 && n > 0 && (size_t)n < outlen)
		snprintf(out + n, outlen - (size_t)n, "; %llu records after "
		    "the last checkpoint (seq %llu) cannot be proven complete",
		    (unsigned long long)res->unproven,
		    (unsigned long long)res->last_checkpoint_seq);
}
