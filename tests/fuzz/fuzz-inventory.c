/*
 * fuzz-inventory.c: libFuzzer target for the AP inventory parser. The
 * input is lines; a line starting with "d " is a device line, "s " a
 * service line. Beyond "no crash": a refused line leaves the inventory as
 * it was, with a reason; every accepted device and service can be found
 * again by name and keeps only printable bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv;
	const struct inventory_device *d;
	char *text, *line, *save = NULL, err[256];
	size_t before, i, j;
	int r;

	if (size > 65536 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (inventory_new(&inv) != 0) {
		free(text);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) < 2 || line[1] != ' ')
			continue;
		before = inventory_count(inv);
		err[0] = '\0';
		if (line[0] == 'd')
			r = inventory_add_device(inv, line + 2, err,
			    sizeof(err));
		else if (line[0] == 's')
			r = inventory_add_service(inv, line + 2, err,
			    sizeof(err));
		else
			continue;
		if (r != 0 && (err[0] == '\0' ||
		    inventory_count(inv) != before))
			abort();
	}
	for (i = 0; i < inventory_count(inv); i++) {
		d = inventory_nth(inv, i);
		if (inventory_device_find(inv, d->name) != d)
			abort();
		check_printable(d->name);
		check_printable(d->site);
		check_printable(d->model);
		for (j = 0; j < d->nservices; j++) {
			if (inventory_service_find(d, d->services[j].name) !=
			    &d->services[j] || d->services[j].port == 0)
				abort();
			check_printable(d->services[j].target);
		}
	}
	inventory_free(inv);
	free(text);
	return 0;
}
