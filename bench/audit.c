/*
 * bench/audit.c: audit log throughput, printed with the machine it ran on
 * (after SQLite's speedtest1). Not a test: figures depend on the disk.
 *
 *   build/bench/audit [DIR]     (DIR: where the logs go; default ".")
 *
 * Measures, on the disk holding DIR:
 *   - the raw fsync rate (write 4 KiB + fsync, in a loop): the ceiling for
 *     durable appends, which fsync once per record;
 *   - durable appends (audit_append, one transaction and fsync each) of
 *     100,000 records, stopped after 20 s on a slow disk (it says so);
 *   - batched appends (audit_append_batch, 1,000 records per transaction)
 *     of 100,000 records;
 *   - audit_verify of those 100,000 records (best of 3).
 */
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsgate/audit.h"

#define BENCH_RECORDS 100000
#define BENCH_BATCH 1000
#define BENCH_DURABLE_MAX BENCH_RECORDS
#define BENCH_DURABLE_MS 20000
#define BENCH_FSYNC_MAX 2000
#define BENCH_FSYNC_MS 5000
#define BENCH_VERIFY_RUNS 3

static char bench_dir[PATH_MAX];

static const char *
bench_path(const char *name)
{
	static char p[2][4200];
	static int i;
	char *b = p[i++ % 2];

	snprintf(b, sizeof(p[0]), "%s/%s", bench_dir, name);
	return b;
}

static void
remove_db(const char *db)
{
	char side[4300];

	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
	unlink(db);
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "bench/audit: %s: %s\n", what, rsg_strerror(r));
	exit(1);
}

static void
print_machine(void)
{
	char line[512], model[256] = "unknown", date[40];
	struct utsname u;
	struct statfs sf;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "model name", 10) == 0 &&
			    strchr(line, ':') != NULL) {
				snprintf(model, sizeof(model), "%s",
				    strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	time_format_rfc3339(time_now_ms(), date, sizeof(date));
	printf("rsgate %s audit benchmark, %s\n", RSGATE_VERSION, date);
	printf("cpu:     %s (%ld online)\n", model, ncpu);
	if (uname(&u) == 0)
		printf("kernel:  %s %s %s\n", u.sysname, u.release, u.machine);
	printf("libs:    %s, SQLite %s\n", OpenSSL_version(OPENSSL_VERSION),
	    sqlite3_libversion());
	if (statfs(bench_dir, &sf) == 0)
		printf("dir:     %s (filesystem magic 0x%lx%s)\n", bench_dir,
		    (unsigned long)sf.f_type, sf.f_type == 0x01021994 ?
		    ", tmpfs: fsync is free, durable figures mean nothing" :
		    "");
	printf("\n");
}

/*
 * Raw write + fsync (or fdatasync, which SQLite uses for its WAL) rate of
 * the disk under bench_dir, per second.
 */
static double
bench_fsync(int data_only)
{
	const char *p = bench_path("fsync.tmp");
	char block[4096];
	int64_t t0, el;
	int fd, n;

	memset(block, 'x', sizeof(block));
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		die("fsync file", RSG_ERR_IO);
	t0 = time_mono_ms();
	for (n = 0; n < BENCH_FSYNC_MAX; n++) {
		if (pwrite(fd, block, sizeof(block), 0) !=
		    (ssize_t)sizeof(block) ||
		    (data_only ? fdatasync(fd) : fsync(fd)) != 0)
			die("write+fsync", RSG_ERR_IO);
		if (time_mono_ms() - t0 > BENCH_FSYNC_MS)
			break;
	}
	el = time_mono_ms() - t0;
	close(fd);
	unlink(p);
	return n * 1000.0 / (double)(el > 0 ? el : 1);
}

static void
fill(struct audit_record *r, unsigned i, char *user, char *obj)
{
	memset(r, 0, offsetof(struct audit_record, strings));
	r->event = (enum audit_event)(1 + i % AUDIT_EV_MAX);
	r->outcome = i % 10 == 0 ? AUDIT_OUTCOME_DENIED : AUDIT_OUTCOME_SUCCESS;
	snprintf(user, 32, "engineer-%u", i % 50);
	snprintf(obj, 64, "trace-%u.bin sha256:%08x", i, i * 2654435761u);
	r->f[AUDIT_F_HCF] = "HCF-Tokyo-General";
	r->f[AUDIT_F_VENDOR] = "ACME Medical";
	r->f[AUDIT_F_USER] = user;
	r->f[AUDIT_F_ROLE] = "rsc-serviceman";
	r->f[AUDIT_F_SESSION] = "S-20261126-0042";
	r->f[AUDIT_F_DEVICE] = "CT-7";
	r->f[AUDIT_F_SITE] = "tokyo-1";
	r->f[AUDIT_F_APPROVAL] = "A-1138";
	r->f[AUDIT_F_CAPABILITY] = "DOWNLOAD_FILE";
	r->f[AUDIT_F_OBJECT] = obj;
	r->f[AUDIT_F_SOURCE] = "192.0.2.7";
	r->f[AUDIT_F_REASON] = "collect logs for fault 0x3f";
}

int
main(int argc, char **argv)
{
	static struct audit_record batch[BENCH_BATCH];
	static char users[BENCH_BATCH][32], objs[BENCH_BATCH][64];
	struct audit_verify_result res;
	struct audit_log *l = NULL;
	const char *db;
	char key[4200];
	double fsync_rate, fdatasync_rate, durable_rate, batch_rate, verify_rate = 0, rate;
	int64_t t0, el;
	unsigned i, j, durable_n;
	int r, run;

	if (realpath(argc > 1 ? argv[1] : ".", bench_dir) == NULL) {
		fprintf(stderr, "bench/audit: %s: no such folder\n",
		    argc > 1 ? argv[1] : ".");
		return 2;
	}
	print_machine();
	snprintf(key, sizeof(key), "%s", bench_path("bench-audit.key"));
	unlink(key);
	{
		char pub[4300];

		snprintf(pub, sizeof(pub), "%s.pub", key);
		unlink(pub);
		if ((r = audit_key_generate(key)) != 0)
			die("key", r);
		unlink(pub);
	}

	fsync_rate = bench_fsync(0);
	fdatasync_rate = bench_fsync(1);
	printf("raw disk, 4 KiB write + fsync:    %10.0f /s\n", fsync_rate);
	printf("raw disk, 4 KiB write + fdatasync:%10.0f /s\n",
	    fdatasync_rate);

	/* Durable appends: one transaction and fsync each. */
	db = bench_path("bench-durable.db");
	remove_db(db);
	if ((r = audit_create(db, key, NULL, &l)) != 0)
		die("create", r);
	t0 = time_mono_ms();
	for (i = 0; i < BENCH_DURABLE_MAX; i++) {
		fill(&batch[0], i, users[0], objs[0]);
		if ((r = audit_append(l, &batch[0])) != 0)
			die("append", r);
		if (time_mono_ms() - t0 > BENCH_DURABLE_MS) {
			i++;
			break;
		}
	}
	el = time_mono_ms() - t0;
	durable_n = i;
	if ((r = audit_close(l)) != 0)
		die("close", r);
	remove_db(db);
	durable_rate = durable_n * 1000.0 / (double)(el > 0 ? el : 1);
	if (durable_n < BENCH_RECORDS)
		printf("durable appends (fsync each):     %10.0f events/s  "
		    "(stopped after %u appends / %d s; %u would take %.0f s)\n",
		    durable_rate, durable_n, BENCH_DURABLE_MS / 1000,
		    BENCH_RECORDS,
		    BENCH_RECORDS / (durable_rate > 0 ? durable_rate : 1));
	else
		printf("durable appends (fsync each):     %10.0f events/s  "
		    "(%u appends)\n", durable_rate, durable_n);

	/* Batched appends: 100,000 records, 1,000 per transaction. */
	db = bench_path("bench-batch.db");
	remove_db(db);
	if ((r = audit_create(db, key, NULL, &l)) != 0)
		die("create", r);
	t0 = time_mono_ms();
	for (i = 0; i < BENCH_RECORDS; i += BENCH_BATCH) {
		for (j = 0; j < BENCH_BATCH; j++)
			fill(&batch[j], i + j, users[j], objs[j]);
		if ((r = audit_append_batch(l, batch, BENCH_BATCH)) != 0)
			die("append batch", r);
	}
	el = time_mono_ms() - t0;
	if ((r = audit_close(l)) != 0)
		die("close", r);
	batch_rate = BENCH_RECORDS * 1000.0 / (double)(el > 0 ? el : 1);
	printf("batched appends (%u per commit): %10.0f events/s  "
	    "(%u records)\n", BENCH_BATCH, batch_rate, BENCH_RECORDS);

	/* Verify the 100,000 records: best of a few runs. */
	for (run = 0; run < BENCH_VERIFY_RUNS; run++) {
		t0 = time_mono_ms();
		if ((r = audit_verify(db, NULL, &res)) != 0)
			die("verify", r);
		el = time_mono_ms() - t0;
		if (!res.intact || res.records != BENCH_RECORDS) {
			fprintf(stderr, "bench/audit: verify: %s\n", res.reason);
			return 1;
		}
		rate = BENCH_RECORDS * 1000.0 / (double)(el > 0 ? el : 1);
		if (rate > verify_rate)
			verify_rate = rate;
	}
	printf("verify (one core):                %10.0f records/s  "
	    "(%llu records, %llu checkpoints, best of %d)\n", verify_rate,
	    (unsigned long long)res.records,
	    (unsigned long long)res.checkpoints, BENCH_VERIFY_RUNS);
	remove_db(db);
	unlink(key);
	return 0;
}
