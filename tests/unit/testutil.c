/*
 * testutil.c: the failing allocator and temporary folders for unit tests.
 */
#include <ftw.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
char *__wrap_strdup(const char *);
char *__wrap_strndup(const char *, size_t);

static unsigned long fa_count;
static unsigned long fa_target;	/* 0: never fail */
static int fa_fired;

/* One more allocation: 1 if this one must fail. */
static int
fa_should_fail(void)
{
	fa_count++;
	if (fa_target != 0 && fa_count == fa_target) {
		fa_fired = 1;
		return 1;
	}
	return 0;
}

void *
__wrap_malloc(size_t n)
{
	return fa_should_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t a, size_t b)
{
	return fa_should_fail() ? NULL : __real_calloc(a, b);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fa_should_fail() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return fa_should_fail() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return fa_should_fail() ? NULL : __real_strndup(s, n);
}

static void *
fa_crypto_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fa_should_fail() ? NULL : __real_malloc(n);
}

static void *
fa_crypto_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fa_should_fail() ? NULL : __real_realloc(p, n);
}

static void
fa_crypto_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static sqlite3_mem_methods fa_sqlite_real;

static void *
fa_sqlite_malloc(int n)
{
	return fa_should_fail() ? NULL : fa_sqlite_real.xMalloc(n);
}

static void *
fa_sqlite_realloc(void *p, int n)
{
	return fa_should_fail() ? NULL : fa_sqlite_real.xRealloc(p, n);
}

void
failalloc_install(void)
{
	sqlite3_mem_methods m;

	CRYPTO_set_mem_functions(fa_crypto_malloc, fa_crypto_realloc,
	    fa_crypto_free);
	sqlite3_shutdown();
	sqlite3_config(SQLITE_CONFIG_GETMALLOC, &fa_sqlite_real);
	m = fa_sqlite_real;
	m.xMalloc = fa_sqlite_malloc;
	m.xRealloc = fa_sqlite_realloc;
	sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
	sqlite3_initialize();
	fa_count = 0;
}

void
failalloc_arm(unsigned long n)
{
	fa_count = 0;
	fa_fired = 0;
	fa_target = n;
}

void
failalloc_disarm(void)
{
	fa_target = 0;
}

int
failalloc_fired(void)
{
	return fa_fired;
}

unsigned long
failalloc_count(void)
{
	return fa_count;
}

char *
tmpdir_new(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char path[4096];
	char *p;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(path, sizeof(path), "%s/rsgate-test-%s-XXXXXX", base, tag);
	if (mkdtemp(path) == NULL)
		return NULL;
	p = __real_strdup(path);
	return p;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tmpdir_rm(char *path)
{
	if (path == NULL)
		return;
	if (getenv("RSG_TEST_KEEP") == NULL)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

const char *
tmppath(const char *dir, const char *name)
{
	static char bufs[8][4096];
	static unsigned idx;
	char *b = bufs[idx++ % 8];

	snprintf(b, 4096, "%s/%s", dir, name);
	return b;
}
