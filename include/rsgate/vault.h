/*
 * vault: the hub's evidence vault (R42, R44). Files collected from devices
 * for a ticket are encrypted at rest under that ticket's own key; the
 * ticket key is kept only wrapped by the hub's master key; destroying a
 * ticket's evidence wipes the wrapped key and removes the files, so
 * nothing of it can be read again even with the master key.
 *
 *   master key     32 random bytes in a file of mode 0600 (refused when
 *                  group or others may read it)
 *   ticket key     32 random bytes, AES-256-GCM-wrapped by the master key
 *                  with the ticket id as additional data (store table
 *                  evidence_key)
 *   item file      "RSGVLT01", then chunks of at most VAULT_CHUNK_MAX
 *                  plaintext bytes: u32 length | 12-byte nonce |
 *                  ciphertext | 16-byte tag, AES-256-GCM under the ticket
 *                  key, additional data binding ticket, item name, chunk
 *                  index and a final flag (truncation, reordering and
 *                  moving a file to another ticket or name are detected)
 *
 * The index (name, size, SHA-256 of the plaintext) is the store table
 * evidence_item. Byte-level format: docs/EVIDENCE.md.
 */
#ifndef RSGATE_VAULT_H
#define RSGATE_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define VAULT_KEY_LEN 32		/* master and ticket keys */
#define VAULT_CHUNK_MAX (64u * 1024)	/* plaintext bytes per chunk */
#define VAULT_ITEM_MAX (64u * 1024 * 1024)	/* plaintext bytes per item */
#define VAULT_NAME_MAX 255		/* item names */
#define VAULT_SHA256_HEX 65		/* 64 hex digits and NUL */

struct store;
struct vault;
struct vault_writer;

/* What the vault knows of one item. */
struct vault_item {
	char name[VAULT_NAME_MAX + 1];
	uint64_t size;			/* plaintext bytes */
	char sha256[VAULT_SHA256_HEX];	/* of the plaintext, lower-case hex */
	int64_t created_ms;
};

/*
 * Create a new master key at path: 32 random bytes, mode 0600, never
 * overwriting (RSG_ERR_EXISTS). RSG_ERR_IO, RSG_ERR_CRYPTO.
 */
int vault_master_key_create(const char *path) RSG_WUR;

/*
 * Open the vault: the folder dir (created with mode 0700 if missing), the
 * master key file (exactly 32 bytes; RSG_ERR_PERM if group or others may
 * read it, RSG_ERR_FORMAT for a wrong size) and the store s holding the
 * index (borrowed: it must outlive the vault). Free with vault_free, which
 * wipes the master key from memory.
 */
int vault_open(const char *dir, const char *master_key, struct store *s,
    struct vault **out) RSG_WUR;
void vault_free(struct vault *v);

/*
 * Start a new item name (1..VAULT_NAME_MAX bytes, no control characters)
 * for ticket, creating the ticket key on first use. RSG_ERR_EXISTS if the
 * ticket already has an item of that name.
 */
int vault_writer_new(struct vault *v, const char *ticket, const char *name,
    struct vault_writer **out) RSG_WUR;
/* Append plaintext; RSG_ERR_LIMIT past VAULT_ITEM_MAX in all. */
int vault_writer_put(struct vault_writer *w, const void *p, size_t len)
    RSG_WUR;
/*
 * Write the final chunk, make the file durable (fsync of the file and the
 * folder), record the item in the index and free w (always, even on
 * error; a failed item leaves no file). *item (may be NULL) describes it.
 */
int vault_writer_finish(struct vault_writer *w, int64_t now_ms,
    struct vault_item *item) RSG_WUR;
/* Abandon an item: its partial file is removed, w freed. NULL is fine. */
void vault_writer_abort(struct vault_writer *w);

/*
 * Read an item back, checking every chunk's tag, the chunk order, the
 * final chunk, and the size and SHA-256 in the index. *out: the plaintext
 * (caller frees; it is wiped on buf_free); *item (may be NULL) its entry.
 * RSG_ERR_NOT_FOUND (no such item, or its key or file is gone),
 * RSG_ERR_VERIFY (altered, truncated, reordered or moved),
 * RSG_ERR_FORMAT, RSG_ERR_NOMEM, RSG_ERR_IO.
 */
int vault_read(struct vault *v, const char *ticket, const char *name,
    struct rsg_buf **out, struct vault_item *item) RSG_WUR;

/* Called for each item of a ticket, in name order; non-zero stops. */
typedef int (*vault_item_fn)(const struct vault_item *it, void *arg);
int vault_list(struct vault *v, const char *ticket, vault_item_fn fn,
    void *arg) RSG_WUR;

/*
 * Destroy a ticket's evidence: delete the wrapped ticket key (the store's
 * secure_delete overwrites it, and the write-ahead log is checkpointed and
 * truncated so no old copy of the page stays), unlink every file of the
 * ticket, remove its folder and fsync the vault folder. Idempotent: a key
 * or file already gone counts as destroyed. The index rows stay, so the
 * caller can name the items in the deletion certificate; it removes them
 * with store_evidence_item_delete_all. *nfiles (may be NULL): files
 * removed by this call.
 */
int vault_destroy(struct vault *v, const char *ticket, unsigned *nfiles)
    RSG_WUR;
/* Whether the ticket still has a wrapped key (1), none (0), or an error. */
int vault_key_exists(struct vault *v, const char *ticket) RSG_WUR;

struct json_t;
/*
 * A signed document's payload (a deletion certificate or a work report,
 * by kind: SIGNED_KIND_DELETION or SIGNED_KIND_REPORT) as Markdown for
 * people, appended to out. Every string from the payload is escaped.
 * RSG_ERR_FORMAT for another kind, RSG_ERR_NOMEM, RSG_ERR_LIMIT.
 */
int vault_doc_markdown(const char *kind, const struct json_t *payload,
    struct rsg_buf *out) RSG_WUR;

#endif /* RSGATE_VAULT_H */
