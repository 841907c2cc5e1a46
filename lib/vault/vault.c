/*
 * vault.c: the evidence vault (include/rsgate/vault.h, docs/EVIDENCE.md).
 * Keys: the master key lives in memory for the vault's lifetime and is
 * wiped by vault_free; a ticket key is unwrapped for one operation and
 * wiped right after. Files: one folder per ticket (named by a hash of the
 * ticket id, so any id is a safe file name), one file per item with a
 * random name; an item is written as NAME.part and renamed when complete.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "rsgate/store.h"
#include "rsgate/vault.h"

#define VAULT_MAGIC "RSGVLT01"
#define VAULT_MAGIC_LEN 8
#define NONCE_LEN 12
#define TAG_LEN 16
#define CHUNK_HDR (4 + NONCE_LEN)
#define WRAP_VERSION 1
#define WRAPPED_LEN (1 + NONCE_LEN + VAULT_KEY_LEN + TAG_LEN)
#define KEY_AAD "rsgate-vault-key-v1"
#define CHUNK_AAD "rsgate-vault-chunk-v1"
/* Every chunk's overhead, and a bound on a whole item file. */
#define CHUNK_OVERHEAD (CHUNK_HDR + TAG_LEN)
#define VAULT_FILE_MAX (VAULT_MAGIC_LEN + VAULT_ITEM_MAX + \
	(VAULT_ITEM_MAX / VAULT_CHUNK_MAX + 1) * CHUNK_OVERHEAD)
#define PATH_MAX_LEN 4096

struct vault {
	char *dir;
	struct store *store;
	uint8_t master[VAULT_KEY_LEN];
};

struct vault_writer {
	struct vault *v;
	char *ticket, *name;
	char path[PATH_MAX_LEN], part[PATH_MAX_LEN], tdir[PATH_MAX_LEN];
	int fd;
	uint8_t key[VAULT_KEY_LEN];
	uint8_t *pt;			/* VAULT_CHUNK_MAX bytes of plaintext */
	size_t ptlen;
	uint64_t index, size;
	EVP_MD_CTX *sha;
};

/* ---- AES-256-GCM ------------------------------------------------------------ */

static int
gcm_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
    size_t aadlen, const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag)
{
	EVP_CIPHER_CTX *c;
	int n, r = RSG_ERR_CRYPTO;

	if (len > INT32_MAX || aadlen > INT32_MAX)
		return RSG_ERR_LIMIT;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return RSG_ERR_NOMEM;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(c, ct, &n, pt, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(c, ct + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		goto out;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

/* RSG_ERR_VERIFY when the tag does not match (pt is then wiped). */
static int
gcm_open(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
    size_t aadlen, const uint8_t *ct, size_t len, const uint8_t *tag,
    uint8_t *pt)
{
	EVP_CIPHER_CTX *c;
	int n, r = RSG_ERR_CRYPTO;

	if (len > INT32_MAX || aadlen > INT32_MAX)
		return RSG_ERR_LIMIT;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return RSG_ERR_NOMEM;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1 ||
	    (len > 0 && EVP_DecryptUpdate(c, pt, &n, ct, (int)len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    (void *)(uintptr_t)tag) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(c, pt + len, &n) != 1) {
		mem_wipe(pt, len);
		r = RSG_ERR_VERIFY;
		goto out;
	}
	r = 0;
 out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

/* ---- keys ---------------------------------------------------------------------- */

int
vault_master_key_create(const char *path)
{
	uint8_t key[VAULT_KEY_LEN];
	int r;

	if (path == NULL)
		return RSG_ERR_INVALID_ARG;
	if (RAND_priv_bytes(key, sizeof(key)) != 1)
		return RSG_ERR_CRYPTO;
	r = file_write_atomic(path, key, sizeof(key), 0600, 1);
	mem_wipe(key, sizeof(key));
	return r;
}

static int
master_load(const char *path, uint8_t *key)
{
	struct stat st;
	ssize_t n;
	uint8_t extra;
	int fd, r = RSG_ERR_IO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? RSG_ERR_NOT_FOUND : RSG_ERR_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		r = RSG_ERR_PERM;
		goto out;
	}
	n = read(fd, key, VAULT_KEY_LEN);
	if (n != VAULT_KEY_LEN || read(fd, &extra, 1) != 0) {
		mem_wipe(key, VAULT_KEY_LEN);
		r = n < 0 ? RSG_ERR_IO : RSG_ERR_FORMAT;
		goto out;
	}
	r = 0;
 out:
	close(fd);
	return r;
}

static int
key_aad(const char *ticket, struct rsg_buf **out)
{
	struct rsg_buf *b;
	int r;

	if ((b = buf_new(sizeof(KEY_AAD) + strlen(ticket))) == NULL)
		return RSG_ERR_NOMEM;
	if ((r = buf_put(b, KEY_AAD, sizeof(KEY_AAD))) != 0 ||
	    (r = buf_put(b, ticket, strlen(ticket))) != 0) {
		buf_free(b);
		return r;
	}
	*out = b;
	return 0;
}

/* The ticket's key into key; with create, a new one if it has none. */
static int
ticket_key(struct vault *v, const char *ticket, int create, uint8_t *key)
{
	struct rsg_buf *w = NULL, *aad = NULL;
	uint8_t wrapped[WRAPPED_LEN];
	const uint8_t *p;
	int r;

	if ((r = key_aad(ticket, &aad)) != 0)
		return r;
	r = store_evidence_key_get(v->store, ticket, &w);
	if (r == RSG_ERR_NOT_FOUND && create) {
		wrapped[0] = WRAP_VERSION;
		if (RAND_priv_bytes(key, VAULT_KEY_LEN) != 1 ||
		    RAND_bytes(wrapped + 1, NONCE_LEN) != 1) {
			r = RSG_ERR_CRYPTO;
			goto out;
		}
		if ((r = gcm_seal(v->master, wrapped + 1, buf_ptr(aad),
		    buf_len(aad), key, VAULT_KEY_LEN, wrapped + 1 + NONCE_LEN,
		    wrapped + 1 + NONCE_LEN + VAULT_KEY_LEN)) != 0 ||
		    (r = store_evidence_key_put(v->store, ticket, wrapped,
		    sizeof(wrapped))) != 0)
			mem_wipe(key, VAULT_KEY_LEN);
		goto out;
	}
	if (r != 0)
		goto out;
	if (buf_len(w) != WRAPPED_LEN || buf_ptr(w)[0] != WRAP_VERSION) {
		r = RSG_ERR_FORMAT;
		goto out;
	}
	p = buf_ptr(w);
	r = gcm_open(v->master, p + 1, buf_ptr(aad), buf_len(aad),
	    p + 1 + NONCE_LEN, VAULT_KEY_LEN, p + 1 + NONCE_LEN + VAULT_KEY_LEN,
	    key);
 out:
	buf_free(w);
	buf_free(aad);
	return r;
}

/* ---- open and close --------------------------------------------------------------- */

int
vault_open(const char *dir, const char *master_key, struct store *s,
    struct vault **out)
{
	struct vault *v;
	struct stat st;
	int r;

	if (dir == NULL || master_key == NULL || s == NULL || out == NULL ||
	    strlen(dir) > PATH_MAX_LEN / 2)
		return RSG_ERR_INVALID_ARG;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return RSG_ERR_IO;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return RSG_ERR_IO;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return RSG_ERR_NOMEM;
	if ((v->dir = strdup(dir)) == NULL) {
		free(v);
		return RSG_ERR_NOMEM;
	}
	if ((r = master_load(master_key, v->master)) != 0) {
		vault_free(v);
		return r;
	}
	v->store = s;
	*out = v;
	return 0;
}

void
vault_free(struct vault *v)
{
	if (v == NULL)
		return;
	mem_wipe(v->master, sizeof(v->master));
	free(v->dir);
	free(v);
}

/* ---- names and paths ------------------------------------------------------------- */

/* The ticket's folder: DIR/t-<first 16 bytes of SHA-256(ticket), hex>. */
static int
ticket_dir(const struct vault *v, const char *ticket, char *out, size_t len)
{
	uint8_t md[32];
	char hex[33];
	int n;

	if (EVP_Digest(ticket, strlen(ticket), md, NULL, EVP_sha256(),
	    NULL) != 1)
		return RSG_ERR_CRYPTO;
	hex_encode(md, 16, hex);
	n = snprintf(out, len, "%s/t-%s", v->dir, hex);
	return n < 0 || (size_t)n >= len ? RSG_ERR_LIMIT : 0;
}

static int
fsync_path(const char *path)
{
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return RSG_ERR_IO;
	if (fsync(fd) != 0)
		r = RSG_ERR_IO;
	close(fd);
	return r;
}

/* ---- chunks ---------------------------------------------------------------------- */

static int
chunk_aad(const char *ticket, const char *name, uint64_t index, int final,
    struct rsg_buf *b)
{
	int r;

	buf_reset(b);
	if ((r = buf_put(b, CHUNK_AAD, sizeof(CHUNK_AAD))) != 0 ||
	    (r = buf_put_cstring(b, ticket)) != 0 ||
	    (r = buf_put_cstring(b, name)) != 0 ||
	    (r = buf_put_u64(b, index)) != 0 ||
	    (r = buf_put_u8(b, final ? 1 : 0)) != 0)
		return r;
	return 0;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return RSG_ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Encrypt and write the buffered plaintext as chunk w->index. */
static int
chunk_flush(struct vault_writer *w, int final)
{
	struct rsg_buf *aad = NULL;
	uint8_t *out = NULL;
	size_t outlen = CHUNK_HDR + w->ptlen + TAG_LEN;
	int r;

	if ((aad = buf_new(sizeof(CHUNK_AAD) + 2 * (4 + PATH_MAX_LEN) +
	    9)) == NULL || (out = malloc(outlen)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	out[0] = (uint8_t)(w->ptlen >> 24);
	out[1] = (uint8_t)(w->ptlen >> 16);
	out[2] = (uint8_t)(w->ptlen >> 8);
	out[3] = (uint8_t)w->ptlen;
	if (RAND_bytes(out + 4, NONCE_LEN) != 1) {
		r = RSG_ERR_CRYPTO;
		goto out;
	}
	if ((r = chunk_aad(w->ticket, w->name, w->index, final, aad)) != 0 ||
	    (r = gcm_seal(w->key, out + 4, buf_ptr(aad), buf_len(aad), w->pt,
	    w->ptlen, out + CHUNK_HDR, out + CHUNK_HDR + w->ptlen)) != 0 ||
	    (r = write_all(w->fd, out, outlen)) != 0)
		goto out;
	mem_wipe(w->pt, w->ptlen);
	w->ptlen = 0;
	w->index++;
	r = 0;
 out:
	free(out);
	buf_free(aad);
	return r;
}

/* ---- writing ---------------------------------------------------------------------- */

struct find_arg {
	const char *name;
	struct vault_item *item;
	char *path;		/* PATH_MAX_LEN bytes, may be NULL */
	int found;
};

static int
find_cb(const struct store_evidence_item *it, void *arg)
{
	struct find_arg *fa = arg;

	if (strcmp(it->name, fa->name) != 0)
		return 0;
	fa->found = 1;
	if (fa->item != NULL) {
		snprintf(fa->item->name, sizeof(fa->item->name), "%s",
		    it->name);
		fa->item->size = it->size;
		snprintf(fa->item->sha256, sizeof(fa->item->sha256), "%s",
		    it->sha256);
		fa->item->created_ms = it->created_ms;
	}
	if (fa->path != NULL && str_copy(fa->path, PATH_MAX_LEN,
	    it->path) != 0)
		return RSG_ERR_LIMIT;
	return 1;
}

static int
item_find(struct vault *v, const char *ticket, const char *name,
    struct vault_item *item, char *path)
{
	struct find_arg fa = { name, item, path, 0 };
	int r;

	r = store_evidence_item_foreach(v->store, ticket, find_cb, &fa);
	if (r < 0)
		return r;
	return fa.found ? 0 : RSG_ERR_NOT_FOUND;
}

static void
writer_free(struct vault_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0) {
		close(w->fd);
		(void)unlink(w->part);
	}
	if (w->pt != NULL) {
		mem_wipe(w->pt, VAULT_CHUNK_MAX);
		free(w->pt);
	}
	mem_wipe(w->key, sizeof(w->key));
	EVP_MD_CTX_free(w->sha);
	free(w->ticket);
	free(w->name);
	free(w);
}

int
vault_writer_new(struct vault *v, const char *ticket, const char *name,
    struct vault_writer **out)
{
	struct vault_writer *w = NULL;
	uint8_t rnd[16];
	char rhex[33];
	int n, r;

	if (v == NULL || out == NULL ||
	    !str_field_ok(ticket, STORE_TICKET_ID_MAX) ||
	    !str_field_ok(name, VAULT_NAME_MAX))
		return RSG_ERR_INVALID_ARG;
	if ((r = item_find(v, ticket, name, NULL, NULL)) == 0)
		return RSG_ERR_EXISTS;
	if (r != RSG_ERR_NOT_FOUND)
		return r;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return RSG_ERR_NOMEM;
	w->fd = -1;
	w->v = v;
	if ((w->ticket = strdup(ticket)) == NULL ||
	    (w->name = strdup(name)) == NULL ||
	    (w->pt = malloc(VAULT_CHUNK_MAX)) == NULL ||
	    (w->sha = EVP_MD_CTX_new()) == NULL) {
		r = RSG_ERR_NOMEM;
		goto fail;
	}
	if (EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL) != 1 ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1) {
		r = RSG_ERR_CRYPTO;
		goto fail;
	}
	hex_encode(rnd, sizeof(rnd), rhex);
	if ((r = ticket_dir(v, ticket, w->tdir, sizeof(w->tdir))) != 0)
		goto fail;
	n = snprintf(w->path, sizeof(w->path), "%s/%s.rsv", w->tdir, rhex);
	if (n < 0 || (size_t)n >= sizeof(w->path) ||
	    (n = snprintf(w->part, sizeof(w->part), "%s.part", w->path)) < 0 ||
	    (size_t)n >= sizeof(w->part)) {
		r = RSG_ERR_LIMIT;
		goto fail;
	}
	if ((r = ticket_key(v, ticket, 1, w->key)) != 0)
		goto fail;
	if (mkdir(w->tdir, 0700) != 0 && errno != EEXIST) {
		r = RSG_ERR_IO;
		goto fail;
	}
	if ((w->fd = open(w->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		r = RSG_ERR_IO;
		goto fail;
	}
	if ((r = write_all(w->fd, (const uint8_t *)VAULT_MAGIC,
	    VAULT_MAGIC_LEN)) != 0)
		goto fail;
	*out = w;
	return 0;
 fail:
	writer_free(w);
	return r;
}

int
vault_writer_put(struct vault_writer *w, const void *p, size_t len)
{
	const uint8_t *s = p;
	size_t n;
	int r;

	if (w == NULL || (p == NULL && len > 0))
		return RSG_ERR_INVALID_ARG;
	if (len > VAULT_ITEM_MAX - w->size)
		return RSG_ERR_LIMIT;
	if (EVP_DigestUpdate(w->sha, p, len) != 1)
		return RSG_ERR_CRYPTO;
	w->size += len;
	while (len > 0) {
		/* A full chunk is written only when more follows it. */
		if (w->ptlen == VAULT_CHUNK_MAX &&
		    (r = chunk_flush(w, 0)) != 0)
			return r;
		n = VAULT_CHUNK_MAX - w->ptlen;
		if (n > len)
			n = len;
		memcpy(w->pt + w->ptlen, s, n);
		w->ptlen += n;
		s += n;
		len -= n;
	}
	return 0;
}

int
vault_writer_finish(struct vault_writer *w, int64_t now_ms,
    struct vault_item *item)
{
	struct store_evidence_item row;
	uint8_t md[32];
	char hex[VAULT_SHA256_HEX];
	unsigned mdlen = 0;
	int r;

	if (w == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = chunk_flush(w, 1)) != 0)
		goto out;
	if (EVP_DigestFinal_ex(w->sha, md, &mdlen) != 1 || mdlen != 32) {
		r = RSG_ERR_CRYPTO;
		goto out;
	}
	hex_encode(md, sizeof(md), hex);
	if (fsync(w->fd) != 0 || close(w->fd) != 0) {
		w->fd = -1;
		(void)unlink(w->part);
		r = RSG_ERR_IO;
		goto out;
	}
	w->fd = -1;
	if (rename(w->part, w->path) != 0) {
		(void)unlink(w->part);
		r = RSG_ERR_IO;
		goto out;
	}
	if ((r = fsync_path(w->tdir)) != 0)
		goto gone;
	memset(&row, 0, sizeof(row));
	row.ticket = w->ticket;
	row.name = w->name;
	row.path = w->path;
	row.size = w->size;
	row.sha256 = hex;
	row.created_ms = now_ms;
	if ((r = store_evidence_item_add(w->v->store, &row)) != 0)
		goto gone;
	if (item != NULL) {
		snprintf(item->name, sizeof(item->name), "%s", w->name);
		item->size = w->size;
		memcpy(item->sha256, hex, sizeof(hex));
		item->created_ms = now_ms;
	}
	r = 0;
	goto out;
 gone:
	(void)unlink(w->path);
 out:
	writer_free(w);
	return r;
}

void
vault_writer_abort(struct vault_writer *w)
{
	writer_free(w);
}

/* ---- reading ---------------------------------------------------------------------- */

int
vault_read(struct vault *v, const char *ticket, const char *name,
    struct rsg_buf **out, struct vault_item *item)
{
	struct vault_item it;
	struct rsg_buf *file = NULL, *pt = NULL, *aad = NULL;
	EVP_MD_CTX *sha = NULL;
	uint8_t key[VAULT_KEY_LEN], md[32], *dst;
	char path[PATH_MAX_LEN], hex[VAULT_SHA256_HEX];
	const uint8_t *p;
	uint64_t index = 0;
	unsigned mdlen = 0;
	uint32_t clen;
	size_t left;
	int final = 0, r, havekey = 0;

	if (v == NULL || ticket == NULL || name == NULL || out == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((r = item_find(v, ticket, name, &it, path)) != 0)
		return r;
	if ((r = ticket_key(v, ticket, 0, key)) != 0)
		return r == RSG_ERR_VERIFY ? RSG_ERR_VERIFY : r;
	havekey = 1;
	if ((r = file_read_all(path, VAULT_FILE_MAX, &file)) != 0)
		goto out;
	if (it.size > VAULT_ITEM_MAX) {
		r = RSG_ERR_VERIFY;
		goto out;
	}
	/* One byte of slack, so that an over-long item is a mismatch. */
	if ((pt = buf_new((size_t)it.size + 1)) == NULL ||
	    (aad = buf_new(sizeof(CHUNK_AAD) + 2 * (4 + PATH_MAX_LEN) +
	    9)) == NULL || (sha = EVP_MD_CTX_new()) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		r = RSG_ERR_CRYPTO;
		goto out;
	}
	if (buf_len(file) < VAULT_MAGIC_LEN ||
	    memcmp(buf_ptr(file), VAULT_MAGIC, VAULT_MAGIC_LEN) != 0) {
		r = RSG_ERR_FORMAT;
		goto out;
	}
	if ((r = buf_consume(file, VAULT_MAGIC_LEN)) != 0)
		goto out;
	while (!final) {
		if ((left = buf_len(file)) == 0) {
			r = RSG_ERR_VERIFY;	/* truncated: no final chunk */
			goto out;
		}
		if ((r = buf_get_u32(file, &clen)) != 0 ||
		    clen > VAULT_CHUNK_MAX ||
		    buf_len(file) < NONCE_LEN + (size_t)clen + TAG_LEN) {
			r = RSG_ERR_VERIFY;
			goto out;
		}
		if (clen > buf_room(pt)) {
			r = RSG_ERR_VERIFY;	/* longer than the index says */
			goto out;
		}
		p = buf_ptr(file);
		if ((r = buf_reserve(pt, clen, &dst)) != 0)
			goto out;
		/*
		 * The last chunk in the file must have been sealed as the
		 * final one, and every other one as not final: a file cut at
		 * a chunk boundary or extended fails here.
		 */
		final = buf_len(file) == NONCE_LEN + (size_t)clen + TAG_LEN;
		if ((r = chunk_aad(ticket, name, index, final, aad)) != 0)
			goto out;
		if ((r = gcm_open(key, p, buf_ptr(aad), buf_len(aad),
		    p + NONCE_LEN, clen, p + NONCE_LEN + clen, dst)) != 0)
			goto out;
		if (EVP_DigestUpdate(sha, dst, clen) != 1) {
			r = RSG_ERR_CRYPTO;
			goto out;
		}
		if ((r = buf_consume(file, NONCE_LEN + (size_t)clen +
		    TAG_LEN)) != 0)
			goto out;
		index++;
	}
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1 || mdlen != 32) {
		r = RSG_ERR_CRYPTO;
		goto out;
	}
	hex_encode(md, sizeof(md), hex);
	if (buf_len(pt) != it.size || strcmp(hex, it.sha256) != 0) {
		r = RSG_ERR_VERIFY;
		goto out;
	}
	if (item != NULL)
		*item = it;
	*out = pt;
	pt = NULL;
	r = 0;
 out:
	if (havekey)
		mem_wipe(key, sizeof(key));
	buf_free(file);
	buf_free(pt);
	buf_free(aad);
	EVP_MD_CTX_free(sha);
	return r;
}

struct list_arg {
	vault_item_fn fn;
	void *arg;
};

static int
list_cb(const struct store_evidence_item *row, void *arg)
{
	struct list_arg *la = arg;
	struct vault_item it;

	memset(&it, 0, sizeof(it));
	snprintf(it.name, sizeof(it.name), "%s", row->name);
	it.size = row->size;
	snprintf(it.sha256, sizeof(it.sha256), "%s", row->sha256);
	it.created_ms = row->created_ms;
	return la->fn(&it, la->arg);
}

int
vault_list(struct vault *v, const char *ticket, vault_item_fn fn, void *arg)
{
	struct list_arg la = { fn, arg };

	if (v == NULL || ticket == NULL || fn == NULL)
		return RSG_ERR_INVALID_ARG;
	return store_evidence_item_foreach(v->store, ticket, list_cb, &la);
}

/* ---- destruction ---------------------------------------------------------------- */

int
vault_key_exists(struct vault *v, const char *ticket)
{
	struct rsg_buf *w = NULL;
	int r;

	if (v == NULL || ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	r = store_evidence_key_get(v->store, ticket, &w);
	buf_free(w);
	if (r == RSG_ERR_NOT_FOUND)
		return 0;
	return r == 0 ? 1 : r;
}

int
vault_destroy(struct vault *v, const char *ticket, unsigned *nfiles)
{
	char tdir[PATH_MAX_LEN], path[PATH_MAX_LEN];
	struct dirent *de;
	DIR *d = NULL;
	unsigned n = 0;
	int r;

	if (v == NULL || ticket == NULL)
		return RSG_ERR_INVALID_ARG;
	/* The key first: without it the files are noise already. */
	if ((r = store_evidence_key_delete(v->store, ticket)) != 0 ||
	    (r = store_wal_truncate(v->store)) != 0)
		return r;
	if ((r = ticket_dir(v, ticket, tdir, sizeof(tdir))) != 0)
		return r;
	if ((d = opendir(tdir)) == NULL) {
		if (errno != ENOENT)
			return RSG_ERR_IO;
	} else {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", tdir,
			    de->d_name) >= (int)sizeof(path)) {
				r = RSG_ERR_LIMIT;
				goto out;
			}
			if (unlink(path) != 0 && errno != ENOENT) {
				r = RSG_ERR_IO;
				goto out;
			}
			n++;
		}
		closedir(d);
		d = NULL;
		if (rmdir(tdir) != 0 && errno != ENOENT) {
			r = RSG_ERR_IO;
			goto out;
		}
	}
	if ((r = fsync_path(v->dir)) != 0)
		goto out;
	if (nfiles != NULL)
		*nfiles = n;
	r = 0;
 out:
	if (d != NULL)
		closedir(d);
	return r;
}
