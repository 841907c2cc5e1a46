/*
 * replay.c: runs a libFuzzer target over files, so that a normal build (gcc,
 * no libFuzzer) replays each target's seed corpus under ctest. Arguments are
 * files or folders (every regular file inside is replayed).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_FILE_MAX (4 * 1024 * 1024)

static int
replay_file(const char *path)
{
	uint8_t *data;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		return -1;
	}
	if ((data = malloc(REPLAY_FILE_MAX)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(data, 1, REPLAY_FILE_MAX, f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	int i, count = 0;
	DIR *d;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: not found\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) != 0)
				return 1;
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL)
			return 1;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if (replay_file(path) != 0) {
				closedir(d);
				return 1;
			}
			count++;
		}
		closedir(d);
	}
	if (count == 0) {
		fprintf(stderr, "replay: no inputs: an empty corpus proves nothing\n");
		return 1;
	}
	printf("replay: %d inputs, no crash\n", count);
	return 0;
}
