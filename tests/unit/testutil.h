/*
 * testutil.h: helpers shared by the unit tests: temporary folders and the
 * failing allocator behind the allocation-failure loops.
 *
 * Unit tests are linked with -Wl,--wrap for malloc, calloc, realloc, strdup
 * and strndup, so every allocation made by rsgate's own code passes through
 * here; failalloc_install() also routes OpenSSL's and SQLite's allocators
 * through the same counter. failalloc_arm(n) makes the nth allocation from
 * now fail (and only that one); failalloc_disarm() stops failing.
 */
#ifndef RSG_TESTUTIL_H
#define RSG_TESTUTIL_H

#include <stddef.h>

/* Route OpenSSL and SQLite allocations through the counter. Call first. */
void failalloc_install(void);
/* Fail the nth allocation from now (n >= 1); 0 disarms. */
void failalloc_arm(unsigned long n);
void failalloc_disarm(void);
/* Whether the armed failure has happened since the last arm. */
int failalloc_fired(void);
/* Allocations counted since the last arm (or install). */
unsigned long failalloc_count(void);

/* A new empty folder under $TMPDIR; the caller removes it with tmpdir_rm. */
char *tmpdir_new(const char *tag);
/* Remove a folder made by tmpdir_new and everything in it; frees path. */
void tmpdir_rm(char *path);
/* path = dir + "/" + name in a static rotating buffer (for tests only). */
const char *tmppath(const char *dir, const char *name);

#endif
