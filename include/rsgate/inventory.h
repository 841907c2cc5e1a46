/*
 * inventory: the devices an access point serves and their named services,
 * from the AP config's `device` and `service` lines (docs/CONFIG.md):
 *
 *	device NAME [site=SITE] [model=MODEL]
 *	service DEVICE SERVICE HOST:PORT
 *
 * The AP reports the inventory to the hub in its HELLO and looks up the
 * target of every STREAM_OPEN in it; the hub may parse the same lines in
 * tests. Pure logic, no I/O. Names and values obey the control channel's
 * string rules (docs/PROTOCOL.md), so a parsed inventory always encodes.
 */
#ifndef RSGATE_INVENTORY_H
#define RSGATE_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define INVENTORY_NAME_MAX 255		/* device, service, site, model */
#define INVENTORY_HOST_MAX 253		/* DNS name or IP literal */
#define INVENTORY_DEVICES_MAX 1024	/* = CTL_DEVICES_MAX */
#define INVENTORY_SERVICES_MAX 32	/* per device, = CTL_SERVICES_MAX */

struct inventory_service {
	char *name;		/* "remote-shell" */
	char *target;		/* "127.0.0.1:2222", "[::1]:22" as written */
	char *host;		/* without brackets */
	uint16_t port;
};

struct inventory_device {
	char *name;
	char *site;		/* "" when not given */
	char *model;		/* "" when not given */
	struct inventory_service *services;
	size_t nservices;
};

struct inventory;

int inventory_new(struct inventory **out) RSG_WUR;
/* Free inv and everything in it. NULL is fine. */
void inventory_free(struct inventory *inv);

/*
 * Add the device of one `device` line: NAME [site=SITE] [model=MODEL].
 * NAME is letters, digits, '.', '_' and '-'; SITE and MODEL are printable
 * without spaces. RSG_ERR_FORMAT (bad syntax, unknown or repeated key,
 * duplicate device), RSG_ERR_LIMIT (too long, too many), RSG_ERR_NOMEM;
 * err gets a one-line reason. On error inv is unchanged.
 */
int inventory_add_device(struct inventory *inv, const char *line, char *err,
    size_t errlen) RSG_WUR;
/*
 * Add the service of one `service` line: DEVICE SERVICE HOST:PORT. DEVICE
 * must have been added; SERVICE is named like a device and unique on it;
 * HOST:PORT is host:port or [IPv6]:port with port 1..65535. Errors as for
 * inventory_add_device.
 */
int inventory_add_service(struct inventory *inv, const char *line, char *err,
    size_t errlen) RSG_WUR;

/* Number of devices and the ith, in the order they were added. */
size_t inventory_count(const struct inventory *inv);
const struct inventory_device *inventory_nth(const struct inventory *inv,
    size_t i);
/* The device or service of that name, or NULL. */
const struct inventory_device *inventory_device_find(
    const struct inventory *inv, const char *name);
const struct inventory_service *inventory_service_find(
    const struct inventory_device *dev, const char *name);

#endif /* RSGATE_INVENTORY_H */
