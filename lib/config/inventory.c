/*
 * inventory.c: parsing of the AP config's device and service lines into an
 * inventory, and lookups in it. Every string is checked here against the
 * control channel's rules (bounded, printable, no spaces in names), so an
 * inventory that parsed is one the HELLO encoder accepts and the audit log
 * can store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/inventory.h"

#define INVENTORY_TOKENS_MAX 8	/* words on one line, more is an error */

struct inventory {
	struct inventory_device *devs;
	size_t n, alloc;
};

int
inventory_new(struct inventory **out)
{
	struct inventory *inv;

	if ((inv = calloc(1, sizeof(*inv))) == NULL)
		return RSG_ERR_NOMEM;
	*out = inv;
	return 0;
}

static void
service_clear(struct inventory_service *s)
{
	free(s->name);
	free(s->target);
	free(s->host);
}

static void
device_clear(struct inventory_device *d)
{
	size_t i;

	for (i = 0; i < d->nservices; i++)
		service_clear(&d->services[i]);
	free(d->services);
	free(d->name);
	free(d->site);
	free(d->model);
}

void
inventory_free(struct inventory *inv)
{
	size_t i;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->n; i++)
		device_clear(&inv->devs[i]);
	free(inv->devs);
	free(inv);
}

/* Letters, digits, '.', '_', '-': safe in logs, URLs and file names. */
static int
name_ok(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > INVENTORY_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

/* Printable text without spaces (UTF-8 bytes pass). */
static int
value_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > INVENTORY_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

struct token {
	const char *p;
	size_t len;
};

/* Split line at spaces into at most max tokens; -1 if there are more. */
static int
tokenize(const char *line, struct token *t, size_t max, size_t *n)
{
	const char *p = line;
	size_t k = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (k == max)
			return -1;
		t[k].p = p;
		while (*p != ' ' && *p != '\0')
			p++;
		t[k].len = (size_t)(p - t[k].p);
		k++;
	}
	*n = k;
	return 0;
}

static int
token_is(const struct token *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->p, s, t->len) == 0;
}

static const struct inventory_device *
find_dev(const struct inventory *inv, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		if (strlen(inv->devs[i].name) == len &&
		    memcmp(inv->devs[i].name, p, len) == 0)
			return &inv->devs[i];
	return NULL;
}

int
inventory_add_device(struct inventory *inv, const char *line, char *err,
    size_t errlen)
{
	struct token t[INVENTORY_TOKENS_MAX];
	struct inventory_device d;
	struct inventory_device *nd;
	const char *v;
	size_t n, i, klen, vlen, nalloc;
	char **slot;
	int r = RSG_ERR_FORMAT;

	memset(&d, 0, sizeof(d));
	if (tokenize(line, t, INVENTORY_TOKENS_MAX, &n) != 0 || n > 3) {
		snprintf(err, errlen, "too many words (want NAME "
		    "[site=SITE] [model=MODEL])");
		goto out;
	}
	if (n == 0) {
		snprintf(err, errlen, "missing device name");
		goto out;
	}
	if (!name_ok(t[0].p, t[0].len)) {
		snprintf(err, errlen, "bad device name (letters, digits, "
		    "'.', '_', '-'; at most %d bytes)", INVENTORY_NAME_MAX);
		goto out;
	}
	if (find_dev(inv, t[0].p, t[0].len) != NULL) {
		snprintf(err, errlen, "device %.*s listed twice",
		    (int)t[0].len, t[0].p);
		goto out;
	}
	if (inv->n >= INVENTORY_DEVICES_MAX) {
		snprintf(err, errlen, "more than %d devices",
		    INVENTORY_DEVICES_MAX);
		r = RSG_ERR_LIMIT;
		goto out;
	}
	r = RSG_ERR_NOMEM;
	if ((d.name = strndup(t[0].p, t[0].len)) == NULL)
		goto nomem;
	for (i = 1; i < n; i++) {
		v = memchr(t[i].p, '=', t[i].len);
		klen = v == NULL ? 0 : (size_t)(v - t[i].p);
		if (v != NULL && klen == 4 && memcmp(t[i].p, "site", 4) == 0)
			slot = &d.site;
		else if (v != NULL && klen == 5 &&
		    memcmp(t[i].p, "model", 5) == 0)
			slot = &d.model;
		else {
			snprintf(err, errlen, "unknown attribute '%.*s' "
			    "(want site= or model=)", (int)(t[i].len > 64 ?
			    64 : t[i].len), t[i].p);
			r = RSG_ERR_FORMAT;
			goto out;
		}
		if (*slot != NULL) {
			snprintf(err, errlen, "%.*s= given twice", (int)klen,
			    t[i].p);
			r = RSG_ERR_FORMAT;
			goto out;
		}
		vlen = t[i].len - klen - 1;
		if (!value_ok(v + 1, vlen)) {
			snprintf(err, errlen, "empty or too long %.*s=",
			    (int)klen, t[i].p);
			r = vlen > INVENTORY_NAME_MAX ? RSG_ERR_LIMIT :
			    RSG_ERR_FORMAT;
			goto out;
		}
		if ((*slot = strndup(v + 1, vlen)) == NULL)
			goto nomem;
	}
	if ((d.site == NULL && (d.site = strdup("")) == NULL) ||
	    (d.model == NULL && (d.model = strdup("")) == NULL))
		goto nomem;
	if (inv->n == inv->alloc) {
		nalloc = inv->alloc == 0 ? 8 : inv->alloc * 2;
		if ((nd = realloc(inv->devs, nalloc * sizeof(*nd))) == NULL)
			goto nomem;
		inv->devs = nd;
		inv->alloc = nalloc;
	}
	inv->devs[inv->n++] = d;
	return 0;
 nomem:
	snprintf(err, errlen, "out of memory");
 out:
	device_clear(&d);
	return r;
}

/* host:port or [v6]:port, the rules of docs/PROTOCOL.md "hostport". */
static int
hostport_parse(const char *s, size_t len, char **hostp, uint16_t *portp)
{
	const char *h, *colon, *p;
	size_t hlen, i;
	unsigned long port = 0;
	char c;

	if (len == 0 || len > INVENTORY_NAME_MAX)
		return RSG_ERR_FORMAT;
	if (s[0] == '[') {
		if ((p = memchr(s, ']', len)) == NULL ||
		    (size_t)(p - s) + 1 >= len || p[1] != ':')
			return RSG_ERR_FORMAT;
		h = s + 1;
		hlen = (size_t)(p - h);
		colon = p + 1;
		for (i = 0; i < hlen; i++) {
			c = h[i];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			    (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
				return RSG_ERR_FORMAT;
		}
	} else {
		if ((colon = memrchr(s, ':', len)) == NULL)
			return RSG_ERR_FORMAT;
		h = s;
		hlen = (size_t)(colon - s);
		for (i = 0; i < hlen; i++) {
			c = h[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			    c == '_'))
				return RSG_ERR_FORMAT;
		}
	}
	if (hlen == 0 || hlen > INVENTORY_HOST_MAX)
		return RSG_ERR_FORMAT;
	p = colon + 1;
	if (p == s + len || *p == '0' || (size_t)(s + len - p) > 5)
		return RSG_ERR_FORMAT;
	for (; p < s + len; p++) {
		if (*p < '0' || *p > '9')
			return RSG_ERR_FORMAT;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port < 1 || port > 65535)
		return RSG_ERR_FORMAT;
	if ((*hostp = strndup(h, hlen)) == NULL)
		return RSG_ERR_NOMEM;
	*portp = (uint16_t)port;
	return 0;
}

int
inventory_add_service(struct inventory *inv, const char *line, char *err,
    size_t errlen)
{
	struct token t[INVENTORY_TOKENS_MAX];
	struct inventory_service s, *ns;
	struct inventory_device *d;
	size_t n, i;
	int r = RSG_ERR_FORMAT;

	memset(&s, 0, sizeof(s));
	if (tokenize(line, t, INVENTORY_TOKENS_MAX, &n) != 0 || n != 3) {
		snprintf(err, errlen, "want DEVICE SERVICE HOST:PORT");
		goto out;
	}
	if ((d = (struct inventory_device *)find_dev(inv, t[0].p,
	    t[0].len)) == NULL) {
		snprintf(err, errlen, "unknown device '%.*s' (declare it "
		    "with a device line)", (int)(t[0].len > 64 ? 64 :
		    t[0].len), t[0].p);
		goto out;
	}
	if (!name_ok(t[1].p, t[1].len)) {
		snprintf(err, errlen, "bad service name (letters, digits, "
		    "'.', '_', '-'; at most %d bytes)", INVENTORY_NAME_MAX);
		goto out;
	}
	for (i = 0; i < d->nservices; i++) {
		if (token_is(&t[1], d->services[i].name)) {
			snprintf(err, errlen, "service %.*s of %s listed "
			    "twice", (int)t[1].len, t[1].p, d->name);
			goto out;
		}
	}
	if (d->nservices >= INVENTORY_SERVICES_MAX) {
		snprintf(err, errlen, "more than %d services on %s",
		    INVENTORY_SERVICES_MAX, d->name);
		r = RSG_ERR_LIMIT;
		goto out;
	}
	if ((r = hostport_parse(t[2].p, t[2].len, &s.host, &s.port)) != 0) {
		if (r == RSG_ERR_NOMEM)
			goto nomem;
		snprintf(err, errlen, "bad address (want HOST:PORT or "
		    "[IPv6]:PORT, port 1-65535)");
		goto out;
	}
	r = RSG_ERR_NOMEM;
	if ((s.name = strndup(t[1].p, t[1].len)) == NULL ||
	    (s.target = strndup(t[2].p, t[2].len)) == NULL)
		goto nomem;
	/* Services per device are few: grow one at a time. */
	if ((ns = realloc(d->services, (d->nservices + 1) *
	    sizeof(*ns))) == NULL)
		goto nomem;
	d->services = ns;
	d->services[d->nservices++] = s;
	return 0;
 nomem:
	snprintf(err, errlen, "out of memory");
 out:
	service_clear(&s);
	return r;
}

size_t
inventory_count(const struct inventory *inv)
{
	return inv->n;
}

const struct inventory_device *
inventory_nth(const struct inventory *inv, size_t i)
{
	return i < inv->n ? &inv->devs[i] : NULL;
}

const struct inventory_device *
inventory_device_find(const struct inventory *inv, const char *name)
{
	return find_dev(inv, name, strlen(name));
}

const struct inventory_service *
inventory_service_find(const struct inventory_device *dev, const char *name)
{
	size_t i;

	for (i = 0; i < dev->nservices; i++)
		if (strcmp(dev->services[i].name, name) == 0)
			return &dev->services[i];
	return NULL;
}
