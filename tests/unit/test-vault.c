/*
 * test-vault.c: the evidence vault (R42 encryption at rest, R44
 * destruction): round trips, the master key's file rules, tampered,
 * truncated, extended and moved files, destruction, allocation failures.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rsgate/store.h"
#include "rsgate/vault.h"
#include "testutil.h"

struct fx {
	char *dir;
	char vdir[512], key[512], db[512];
	struct store *s;
	struct vault *v;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tmpdir_new("vault");
	snprintf(f->vdir, sizeof(f->vdir), "%s", tmppath(f->dir, "evidence"));
	snprintf(f->key, sizeof(f->key), "%s", tmppath(f->dir, "master.key"));
	snprintf(f->db, sizeof(f->db), "%s", tmppath(f->dir, "hub.db"));
	assert_int_equal(vault_master_key_create(f->key), 0);
	assert_int_equal(store_open(f->db, STORE_CREATE, &f->s), 0);
	assert_int_equal(vault_open(f->vdir, f->key, f->s, &f->v), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	vault_free(f->v);
	store_close(f->s);
	tmpdir_rm(f->dir);
	free(f);
	return 0;
}

/* A synthetic log with a patient name in every line. */
static struct rsg_buf *
make_log(size_t lines)
{
	struct rsg_buf *b = buf_new(0);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < lines; i++)
		assert_int_equal(buf_putf(b, "%06zu INFO exam PatientName="
		    "YAMADA^TARO PatientID=P000123\n", i), 0);
	return b;
}

static void
put_item(struct vault *v, const char *ticket, const char *name,
    const struct rsg_buf *data, struct vault_item *it)
{
	struct vault_writer *w = NULL;
	size_t off, n;

	assert_int_equal(vault_writer_new(v, ticket, name, &w), 0);
	/* Odd pieces, so chunk boundaries fall inside them. */
	for (off = 0; off < buf_len(data); off += n) {
		n = buf_len(data) - off < 7777 ? buf_len(data) - off : 7777;
		assert_int_equal(vault_writer_put(w, buf_ptr(data) + off, n),
		    0);
	}
	assert_int_equal(vault_writer_finish(w, 1000, it), 0);
}

/* The path of the only item file of ticket (from the index). */
static int
path_cb(const struct store_evidence_item *it, void *arg)
{
	snprintf(arg, 512, "%s", it->path);
	return 0;
}

static void
item_path(struct fx *f, const char *ticket, char *path)
{
	path[0] = '\0';
	assert_int_equal(store_evidence_item_foreach(f->s, ticket, path_cb,
	    path), 0);
	assert_true(path[0] != '\0');
}

static struct rsg_buf *
slurp(const char *path)
{
	struct rsg_buf *b = NULL;

	assert_int_equal(file_read_all(path, 0, &b), 0);
	return b;
}

static void
spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* R42: a multi-chunk item and an empty one come back intact. */
static void
test_round_trip(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(5000), *back = NULL, *file;
	struct rsg_buf *empty = buf_new(0);
	struct vault_item it, it2;
	char path[512];

	assert_true(buf_len(log) > 3 * VAULT_CHUNK_MAX);
	put_item(f->v, "T-1", "service-01.log", log, &it);
	assert_int_equal(it.size, buf_len(log));
	assert_int_equal(strlen(it.sha256), 64);
	assert_int_equal(vault_read(f->v, "T-1", "service-01.log", &back,
	    &it2), 0);
	assert_int_equal(buf_len(back), buf_len(log));
	assert_memory_equal(buf_ptr(back), buf_ptr(log), buf_len(log));
	assert_string_equal(it2.sha256, it.sha256);
	buf_free(back);
	back = NULL;

	/* At rest: no patient name in the file, mode 0600. */
	item_path(f, "T-1", path);
	file = slurp(path);
	assert_null(memmem(buf_ptr(file), buf_len(file), "YAMADA", 6));
	buf_free(file);

	put_item(f->v, "T-2", "empty.log", empty, &it);
	assert_int_equal(it.size, 0);
	assert_int_equal(vault_read(f->v, "T-2", "empty.log", &back, NULL), 0);
	assert_int_equal(buf_len(back), 0);
	buf_free(back);
	buf_free(empty);
	buf_free(log);
}

/* A second item of the same name is refused; unknown items are not found. */
static void
test_exists_notfound(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(3), *back = NULL;
	struct vault_writer *w = NULL;

	put_item(f->v, "T-1", "a.log", log, NULL);
	assert_int_equal(vault_writer_new(f->v, "T-1", "a.log", &w),
	    RSG_ERR_EXISTS);
	assert_int_equal(vault_read(f->v, "T-1", "b.log", &back, NULL),
	    RSG_ERR_NOT_FOUND);
	assert_int_equal(vault_writer_new(f->v, "T-1", "bad\nname", &w),
	    RSG_ERR_INVALID_ARG);
	/* An abandoned item leaves nothing behind. */
	assert_int_equal(vault_writer_new(f->v, "T-1", "c.log", &w), 0);
	assert_int_equal(vault_writer_put(w, "x", 1), 0);
	vault_writer_abort(w);
	assert_int_equal(vault_read(f->v, "T-1", "c.log", &back, NULL),
	    RSG_ERR_NOT_FOUND);
	buf_free(log);
}

/* R42: one flipped bit anywhere in the ciphertext is detected. */
static void
test_tampered(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(3000), *file, *back = NULL;
	char path[512];
	size_t where[] = { 8 + 4 + 12 + 5, 8 + 4 + 12 + VAULT_CHUNK_MAX + 3,
		0 }, i;
	uint8_t *copy;

	put_item(f->v, "T-1", "x.log", log, NULL);
	item_path(f, "T-1", path);
	file = slurp(path);
	where[2] = buf_len(file) - 1;	/* the final chunk's tag */
	copy = malloc(buf_len(file));
	assert_non_null(copy);
	for (i = 0; i < 3; i++) {
		memcpy(copy, buf_ptr(file), buf_len(file));
		copy[where[i]] ^= 0x01;
		spit(path, copy, buf_len(file));
		assert_int_equal(vault_read(f->v, "T-1", "x.log", &back, NULL),
		    RSG_ERR_VERIFY);
	}
	/* And the genuine file still reads. */
	spit(path, buf_ptr(file), buf_len(file));
	assert_int_equal(vault_read(f->v, "T-1", "x.log", &back, NULL), 0);
	buf_free(back);
	free(copy);
	buf_free(file);
	buf_free(log);
}

/* R42: a file cut at a chunk boundary, mid-chunk, or extended, is refused. */
static void
test_truncated(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(3000), *file, *back = NULL;
	size_t first = 8 + 4 + 12 + VAULT_CHUNK_MAX + 16;
	uint8_t *ext;
	char path[512];

	put_item(f->v, "T-1", "x.log", log, NULL);
	item_path(f, "T-1", path);
	file = slurp(path);
	assert_true(buf_len(file) > first + 100);
	spit(path, buf_ptr(file), first);
	assert_int_equal(vault_read(f->v, "T-1", "x.log", &back, NULL),
	    RSG_ERR_VERIFY);
	spit(path, buf_ptr(file), first + 50);
	assert_int_equal(vault_read(f->v, "T-1", "x.log", &back, NULL),
	    RSG_ERR_VERIFY);
	spit(path, buf_ptr(file), 8);
	assert_int_equal(vault_read(f->v, "T-1", "x.log", &back, NULL),
	    RSG_ERR_VERIFY);
	/* Its first chunk appended again (a replayed chunk). */
	ext = malloc(buf_len(file) + first);
	assert_non_null(ext);
	memcpy(ext, buf_ptr(file), buf_len(file));
	memcpy(ext + buf_len(file), buf_ptr(file) + 8, first - 8);
	spit(path, ext, buf_len(file) + first - 8);
	assert_int_equal(vault_read(f->v, "T-1", "x.log", &back, NULL),
	    RSG_ERR_VERIFY);
	free(ext);
	buf_free(file);
	buf_free(log);
}

/* R42: another ticket's file, or another item's, does not decrypt. */
static void
test_wrong_ticket(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(10), *back = NULL;
	struct store_evidence_item row;
	char path[512];

	put_item(f->v, "T-A", "a.log", log, NULL);
	put_item(f->v, "T-B", "b.log", log, NULL);
	item_path(f, "T-A", path);
	memset(&row, 0, sizeof(row));
	row.ticket = "T-B";
	row.name = "stolen.log";
	row.path = path;
	row.size = buf_len(log);
	row.sha256 = "00";
	assert_int_equal(store_evidence_item_add(f->s, &row), 0);
	assert_int_equal(vault_read(f->v, "T-B", "stolen.log", &back, NULL),
	    RSG_ERR_VERIFY);
	/* Same ticket, renamed item: the name is bound too. */
	row.ticket = "T-A";
	row.name = "renamed.log";
	assert_int_equal(store_evidence_item_add(f->s, &row), 0);
	assert_int_equal(vault_read(f->v, "T-A", "renamed.log", &back, NULL),
	    RSG_ERR_VERIFY);
	buf_free(log);
}

/* The master key: 0600 or refused; exactly 32 bytes; never overwritten. */
static void
test_master_key(void **state)
{
	struct fx *f = *state;
	struct vault *v = NULL;
	const char *k2 = tmppath(f->dir, "k2");
	char k2c[512];

	snprintf(k2c, sizeof(k2c), "%s", k2);
	assert_int_equal(vault_master_key_create(f->key), RSG_ERR_EXISTS);
	assert_int_equal(vault_master_key_create(k2c), 0);
	assert_int_equal(chmod(k2c, 0640), 0);
	assert_int_equal(vault_open(f->vdir, k2c, f->s, &v), RSG_ERR_PERM);
	assert_int_equal(chmod(k2c, 0604), 0);
	assert_int_equal(vault_open(f->vdir, k2c, f->s, &v), RSG_ERR_PERM);
	assert_int_equal(chmod(k2c, 0600), 0);
	assert_int_equal(vault_open(f->vdir, k2c, f->s, &v), 0);
	vault_free(v);
	v = NULL;
	assert_int_equal(truncate(k2c, 31), 0);
	assert_int_equal(vault_open(f->vdir, k2c, f->s, &v), RSG_ERR_FORMAT);
	assert_int_equal(vault_open(f->vdir, tmppath(f->dir, "none"), f->s,
	    &v), RSG_ERR_NOT_FOUND);
	assert_null(v);
}

/* Another master key cannot unwrap the ticket keys. */
static void
test_other_master(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(10), *back = NULL;
	struct vault *v2 = NULL;
	char k2[512];

	put_item(f->v, "T-1", "a.log", log, NULL);
	snprintf(k2, sizeof(k2), "%s", tmppath(f->dir, "other.key"));
	assert_int_equal(vault_master_key_create(k2), 0);
	assert_int_equal(vault_open(f->vdir, k2, f->s, &v2), 0);
	assert_int_equal(vault_read(v2, "T-1", "a.log", &back, NULL),
	    RSG_ERR_VERIFY);
	vault_free(v2);
	buf_free(log);
}

static int
count_cb(const struct vault_item *it, void *arg)
{
	(void)it;
	(*(int *)arg)++;
	return 0;
}

/* R44: destroy wipes the key and the files; twice is fine. */
static void
test_destroy(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(100), *back = NULL;
	char path[512];
	unsigned n = 99;
	int count = 0;

	put_item(f->v, "T-1", "a.log", log, NULL);
	put_item(f->v, "T-1", "b.log", log, NULL);
	put_item(f->v, "T-2", "c.log", log, NULL);
	item_path(f, "T-2", path);
	assert_int_equal(vault_key_exists(f->v, "T-1"), 1);
	assert_int_equal(vault_destroy(f->v, "T-1", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(vault_key_exists(f->v, "T-1"), 0);
	assert_int_equal(vault_read(f->v, "T-1", "a.log", &back, NULL),
	    RSG_ERR_NOT_FOUND);
	/* The index stays for the certificate. */
	assert_int_equal(vault_list(f->v, "T-1", count_cb, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(vault_destroy(f->v, "T-1", &n), 0);
	assert_int_equal(n, 0);
	/* Another ticket is untouched. */
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(vault_read(f->v, "T-2", "c.log", &back, NULL), 0);
	buf_free(back);
	buf_free(log);
}

/* Every allocation of write, read and destroy may fail: clean errors. */
static void
test_allocfail(void **state)
{
	struct fx *f = *state;
	struct rsg_buf *log = make_log(2000), *back = NULL;
	struct vault_writer *w = NULL;
	struct vault *v = NULL;
	char ticket[32];
	unsigned long n;
	int r, done = 0;

	failalloc_install();
	for (n = 1; !done && n < 5000; n++) {
		snprintf(ticket, sizeof(ticket), "T-%lu", n);
		v = NULL;
		w = NULL;
		back = NULL;
		failalloc_arm(n);
		r = vault_open(f->vdir, f->key, f->s, &v);
		if (r == 0)
			r = vault_writer_new(v, ticket, "a.log", &w);
		if (r == 0) {
			r = vault_writer_put(w, buf_ptr(log), buf_len(log));
			if (r == 0)
				r = vault_writer_finish(w, 1, NULL);
			else
				vault_writer_abort(w);
		}
		if (r == 0)
			r = vault_read(v, ticket, "a.log", &back, NULL);
		if (r == 0)
			r = vault_destroy(v, ticket, NULL);
		done = !failalloc_fired();
		failalloc_disarm();
		if (done)
			assert_int_equal(r, 0);
		else
			assert_int_not_equal(r, 0);
		buf_free(back);
		vault_free(v);
	}
	assert_true(done);
	buf_free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exists_notfound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_ticket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_master_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_master, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocfail, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
