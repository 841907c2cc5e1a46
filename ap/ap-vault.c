/*
 * ap-vault.c: the access point's part in evidence collection and deletion
 * (docs/EVIDENCE.md).
 *
 *   COLLECT (hub)  the AP checks its own record of the ticket (approved or
 *                  active, log-collect granted, this device, inside the
 *                  window: ap_grant_check, fail closed), connects to the
 *                  device's log-collect service itself, asks for the file
 *                  (devsim's "GET NAME" -> "OK SIZE" + bytes) and streams
 *                  it back as COLLECT_DATA chunks, never more than the
 *                  hub's max_bytes. Nothing of the file is kept here.
 *   DOCUMENT (hub) a deletion certificate or work report: verified (hub
 *                  role, our CA and CRL), stored, audited
 *                  (document.receive), ACKed; a forged or altered one is
 *                  refused with an error ACK and audited.
 *
 * The hospital reads what it received with `rsgate ap certificates` and
 * `rsgate ap report T` (admin socket routes, once the admin socket is in).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "rsgate/config.h"
#include "rsgate/inventory.h"
#include "rsgate/pki.h"
#include "rsgate/store.h"
#include "rsgate/vault.h"
#include "rsgate/workflow.h"

#include "ap.h"

#define AV_CHUNK (48u * 1024)		/* raw bytes per COLLECT_DATA */
#define AV_HEADER_MAX 256		/* the device's "OK SIZE" line */
#define AV_COLLECTS_MAX 4		/* at once */
#define AV_TIMEOUT_S 30			/* device silent this long: fail */
#define AV_OUT_HIGH (1024u * 1024)	/* pause the device above this */
#define AV_RESUME_MS 20

struct av_collect {
	TAILQ_ENTRY(av_collect) entry;
	struct ap *ap;
	struct bufferevent *dev;
	struct event *ev_timer;
	uint32_t id;			/* the COLLECT's request id */
	uint64_t max, size, sent, seq;
	int header_done, paused;
	char ticket[STORE_TICKET_ID_MAX + 1];
	char device[CTL_NAME_MAX + 1];
	char path[VAULT_NAME_MAX + 1];
	char engineer[CTL_NAME_MAX + 1];
};

struct ap_vault {
	struct store *store;
	struct pki_trust *trust;
	TAILQ_HEAD(, av_collect) collects;
	size_t ncollects;
};

static const char *
jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
audit(struct ap *ap, enum audit_event ev, enum audit_outcome o,
    const char *user, const char *ticket, const char *device,
    const char *object, const char *reason)
{
	struct audit_record r;

	memset(&r, 0, sizeof(r));
	r.event = ev;
	r.outcome = o;
	r.f[AUDIT_F_USER] = user;
	/* A document's user is the hub that signed it. */
	r.f[AUDIT_F_ROLE] = user != NULL && ev != AUDIT_EV_DOCUMENT_RECEIVE ?
	    "engineer" : "hub";
	r.f[AUDIT_F_SESSION] = ticket;
	r.f[AUDIT_F_APPROVAL] = ticket;
	r.f[AUDIT_F_DEVICE] = device;
	r.f[AUDIT_F_CAPABILITY] = ev == AUDIT_EV_EVIDENCE_COLLECT ?
	    "log-collect" : NULL;
	r.f[AUDIT_F_OBJECT] = object;
	r.f[AUDIT_F_REASON] = reason;
	(void)ap_audit(ap, &r);
}

static void
send_json(struct ap *ap, uint16_t type, uint32_t id, json_t *body)
{
	struct ctl_msg m;

	if (body == NULL) {
		log_error("control channel: out of memory");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.id = id;
	m.u.json.body = body;
	ap_ctl_send(ap, &m);
	json_decref(body);
}

/* ---- the grant check ------------------------------------------------------------- */

int
ap_grant_check(struct ap *ap, const char *ticket, const char *device,
    unsigned caps, const char **why)
{
	struct store_ticket t;
	int r;

	if (ap->vault == NULL || ticket == NULL || *ticket == '\0') {
		*why = "no ticket";
		return RSG_ERR_PERM;
	}
	memset(&t, 0, sizeof(t));
	if ((r = store_ticket_get(ap->vault->store, ticket, &t)) != 0) {
		*why = r == RSG_ERR_NOT_FOUND ? "the access point knows no "
		    "such ticket" : "cannot read the ticket";
		return RSG_ERR_PERM;
	}
	r = ticket_allows(&t, device, caps, time_now_ms(), why);
	store_ticket_clear(&t);
	return r == 0 ? 0 : RSG_ERR_PERM;
}

/* ---- collect ------------------------------------------------------------------------ */

static void
collect_free(struct av_collect *c)
{
	struct ap_vault *av = c->ap->vault;

	TAILQ_REMOVE(&av->collects, c, entry);
	av->ncollects--;
	if (c->dev != NULL)
		bufferevent_free(c->dev);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	free(c);
}

static void
collect_fail(struct av_collect *c, const char *why)
{
	log_info("collect %s from %s (ticket %s) failed: %s", c->path,
	    c->device, c->ticket, why);
	audit(c->ap, AUDIT_EV_EVIDENCE_COLLECT, AUDIT_OUTCOME_FAILURE,
	    c->engineer, c->ticket, c->device, c->path, why);
	send_json(c->ap, CTL_COLLECT_DATA, c->id, json_pack("{s:s}", "error",
	    why));
	collect_free(c);
}

/* Send what the device has sent, in chunks; 1 when the file is complete. */
static int
collect_pump(struct av_collect *c)
{
	struct evbuffer *in = bufferevent_get_input(c->dev);
	char *b64 = NULL;
	uint8_t *p;
	size_t n, have;
	int last;

	while ((have = evbuffer_get_length(in)) > 0 || c->sent == c->size) {
		if (!c->ap->hello_done)
			return -1;
		n = have < AV_CHUNK ? have : AV_CHUNK;
		if (n > c->size - c->sent)
			n = (size_t)(c->size - c->sent);
		last = c->sent + n == c->size;
		/* Send full chunks only, except the last one. */
		if (!last && n < AV_CHUNK)
			return 0;
		if ((p = evbuffer_pullup(in, (ssize_t)n)) == NULL && n > 0)
			return -1;
		if (base64_encode(p, n, &b64) != 0)
			return -1;
		send_json(c->ap, CTL_COLLECT_DATA, c->id, json_pack(
		    "{s:I, s:s, s:b}", "seq", (json_int_t)c->seq, "data", b64,
		    "last", last));
		free(b64);
		evbuffer_drain(in, n);
		c->sent += n;
		c->seq++;
		if (last)
			return 1;
		if (c->ap->ctl != NULL && evbuffer_get_length(
		    bufferevent_get_output(c->ap->ctl)) > AV_OUT_HIGH) {
			/* The hub reads slower than the device sends. */
			struct timeval tv = { 0, AV_RESUME_MS * 1000 };

			bufferevent_disable(c->dev, EV_READ);
			c->paused = 1;
			evtimer_add(c->ev_timer, &tv);
			return 0;
		}
	}
	return 0;
}

static void
collect_finish(struct av_collect *c)
{
	char obj[VAULT_NAME_MAX + 64];

	snprintf(obj, sizeof(obj), "%s size=%llu", c->path,
	    (unsigned long long)c->size);
	log_info("collected %s from %s for ticket %s (%llu bytes)", c->path,
	    c->device, c->ticket, (unsigned long long)c->size);
	audit(c->ap, AUDIT_EV_EVIDENCE_COLLECT, AUDIT_OUTCOME_SUCCESS,
	    c->engineer, c->ticket, c->device, obj, "file sent to the hub's "
	    "evidence vault");
	collect_free(c);
}

static void
collect_step(struct av_collect *c)
{
	struct evbuffer *in = bufferevent_get_input(c->dev);
	struct timeval tv = { AV_TIMEOUT_S, 0 };
	struct evbuffer_ptr eol;
	char line[AV_HEADER_MAX + 1];
	uint64_t size;
	size_t n;
	int r;

	if (!c->paused)
		evtimer_add(c->ev_timer, &tv);
	if (!c->header_done) {
		eol = evbuffer_search(in, "\n", 1, NULL);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > AV_HEADER_MAX)
				collect_fail(c, "the device's answer is too "
				    "long");
			return;
		}
		n = (size_t)eol.pos;
		if (n > AV_HEADER_MAX) {
			collect_fail(c, "the device's answer is too long");
			return;
		}
		evbuffer_remove(in, line, n + 1);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (strncmp(line, "OK ", 3) != 0 ||
		    parse_u64(line + 3, 0, UINT64_MAX, &size) != 0) {
			char q[AV_HEADER_MAX + 40], e[AV_HEADER_MAX * 4 + 1];

			snprintf(q, sizeof(q), "the device refused: %s",
			    str_sanitize(line, e, sizeof(e)));
			collect_fail(c, q);
			return;
		}
		if (size > c->max) {
			collect_fail(c, "the file is larger than the hub's "
			    "max_bytes");
			return;
		}
		c->size = size;
		c->header_done = 1;
	}
	if ((r = collect_pump(c)) < 0)
		collect_fail(c, "the hub connection went away");
	else if (r == 1)
		collect_finish(c);
}

static void
collect_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	collect_step(arg);
}

static void
collect_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct av_collect *c = arg, *x;
	char cmd[VAULT_NAME_MAX + 8];

	if (what & BEV_EVENT_CONNECTED) {
		snprintf(cmd, sizeof(cmd), "GET %s\n", c->path);
		bufferevent_write(bev, cmd, strlen(cmd));
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* Bytes that arrived with the EOF still count. */
		if (c->header_done || evbuffer_get_length(
		    bufferevent_get_input(bev)) > 0) {
			collect_step(c);
			/* c may be gone: look it up again. */
			TAILQ_FOREACH(x, &c->ap->vault->collects, entry)
				if (x == c)
					break;
			if (x == NULL)
				return;
		}
		collect_fail(c, c->header_done ? "the device closed the "
		    "connection before the end of the file" : "the device's "
		    "log-collect service did not answer");
	}
}

static void
collect_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct av_collect *c = arg;

	(void)fd;
	(void)what;
	if (c->paused) {
		c->paused = 0;
		bufferevent_enable(c->dev, EV_READ);
		collect_step(c);
		return;
	}
	collect_fail(c, "the device did not send the file in time");
}

static void
on_collect(struct ap *ap, const struct ctl_msg *m)
{
	struct ap_vault *av = ap->vault;
	const json_t *b = m->u.json.body, *jmax;
	const struct inventory_device *dev;
	const struct inventory_service *svc;
	struct av_collect *c;
	struct timeval tv = { AV_TIMEOUT_S, 0 };
	struct store_ticket t;
	const char *ticket = jstr(b, "ticket"), *device = jstr(b, "device");
	const char *path = jstr(b, "path"), *why = NULL;
	char reason[300];

	jmax = json_object_get(b, "max_bytes");
	if (!str_field_ok(ticket, STORE_TICKET_ID_MAX) ||
	    !str_field_ok(device, CTL_NAME_MAX) ||
	    !str_field_ok(path, VAULT_NAME_MAX) ||
	    !json_is_integer(jmax) || json_integer_value(jmax) < 0) {
		send_json(ap, CTL_COLLECT_DATA, m->id, json_pack("{s:s}",
		    "error", "malformed COLLECT"));
		return;
	}
	/* The device protocol is line-based: no line breaks in a name. */
	if (ap_grant_check(ap, ticket, device, CAP_LOG_COLLECT, &why) != 0) {
		snprintf(reason, sizeof(reason), "collect refused: %s", why);
		log_info("collect %s from %s for ticket %s refused: %s", path,
		    device, ticket, why);
		audit(ap, AUDIT_EV_EVIDENCE_COLLECT, AUDIT_OUTCOME_DENIED, NULL,
		    ticket, device, path, reason);
		send_json(ap, CTL_COLLECT_DATA, m->id, json_pack("{s:s, s:b}",
		    "error", reason, "denied", 1));
		return;
	}
	if ((dev = inventory_device_find(ap->inv, device)) == NULL ||
	    (svc = inventory_service_find(dev, "log-collect")) == NULL) {
		send_json(ap, CTL_COLLECT_DATA, m->id, json_pack("{s:s}",
		    "error", "the device has no log-collect service here"));
		return;
	}
	if (av->ncollects >= AV_COLLECTS_MAX) {
		send_json(ap, CTL_COLLECT_DATA, m->id, json_pack("{s:s}",
		    "error", "too many collects in progress"));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		send_json(ap, CTL_COLLECT_DATA, m->id, json_pack("{s:s}",
		    "error", "out of memory"));
		return;
	}
	c->ap = ap;
	c->id = m->id;
	c->max = (uint64_t)json_integer_value(jmax);
	snprintf(c->ticket, sizeof(c->ticket), "%s", ticket);
	snprintf(c->device, sizeof(c->device), "%s", device);
	snprintf(c->path, sizeof(c->path), "%s", path);
	memset(&t, 0, sizeof(t));
	if (store_ticket_get(av->store, ticket, &t) == 0)
		snprintf(c->engineer, sizeof(c->engineer), "%s", t.engineer);
	store_ticket_clear(&t);
	TAILQ_INSERT_TAIL(&av->collects, c, entry);
	av->ncollects++;
	if ((c->dev = bufferevent_socket_new(ap->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (c->ev_timer = evtimer_new(ap->base, collect_timer_cb,
	    c)) == NULL) {
		collect_fail(c, "out of memory");
		return;
	}
	bufferevent_setcb(c->dev, collect_read_cb, NULL, collect_event_cb, c);
	bufferevent_enable(c->dev, EV_READ | EV_WRITE);
	evtimer_add(c->ev_timer, &tv);
	if (ap_connect(ap, c->dev, svc->host, svc->port, reason,
	    sizeof(reason)) != 0) {
		collect_fail(c, reason);
		return;
	}
	log_info("collect %s from %s for ticket %s", path, device, ticket);
}

size_t
ap_vault_collect_abort(struct ap *ap, const char *ticket,
    const char *engineer, const char *reason)
{
	struct av_collect *c, *next;
	char why[400];
	size_t n = 0;

	if (ap->vault == NULL || (ticket == NULL && engineer == NULL))
		return 0;
	for (c = TAILQ_FIRST(&ap->vault->collects); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if ((ticket != NULL && strcmp(c->ticket, ticket) != 0) ||
		    (engineer != NULL && strcmp(c->engineer, engineer) != 0))
			continue;
		snprintf(why, sizeof(why), "collect ended: %s", reason);
		collect_fail(c, why);
		n++;
	}
	return n;
}

/* ---- documents ----------------------------------------------------------------------- */

static void
on_document(struct ap *ap, const struct ctl_msg *m)
{
	struct ap_vault *av = ap->vault;
	const json_t *b = m->u.json.body;
	const char *ticket = jstr(b, "ticket"), *kind = jstr(b, "kind");
	const char *doc = jstr(b, "document"), *pt;
	json_t *pl = NULL;
	char err[400], cn[256], why[600];
	int r;

	if (!str_field_ok(ticket, STORE_TICKET_ID_MAX) || kind == NULL ||
	    doc == NULL || (strcmp(kind, SIGNED_KIND_DELETION) != 0 &&
	    strcmp(kind, SIGNED_KIND_REPORT) != 0)) {
		snprintf(why, sizeof(why), "malformed DOCUMENT");
		goto refuse;
	}
	err[0] = '\0';
	if ((r = signed_doc_verify(doc, strlen(doc), kind, av->trust,
	    PKI_ROLE_HUB, time_now_ms() / 1000, &pl, cn, sizeof(cn), NULL,
	    err, sizeof(err))) != 0) {
		snprintf(why, sizeof(why), "document refused: %s",
		    err[0] != '\0' ? err : rsg_strerror(r));
		goto refuse;
	}
	if ((pt = jstr(pl, "ticket")) == NULL || strcmp(pt, ticket) != 0) {
		snprintf(why, sizeof(why), "document refused: it is about "
		    "another ticket");
		goto refuse;
	}
	if ((r = store_document_put(av->store, ticket, kind, doc,
	    time_now_ms())) != 0) {
		/* No ACK: the hub sends it again. */
		log_error("cannot store the %s of ticket %s: %s", kind, ticket,
		    rsg_strerror(r));
		goto out;
	}
	if (strcmp(kind, SIGNED_KIND_DELETION) == 0) {
		snprintf(why, sizeof(why), "deletion certificate verified: "
		    "%zu item(s) destroyed by %s", json_array_size(
		    json_object_get(pl, "items")), cn);
		if ((r = ap_ticket_purged(ap, ticket, why)) != 0) {
			/* No ACK: the hub sends it again. */
			log_error("ticket %s: cannot record the purge: %s",
			    ticket, rsg_strerror(r));
			goto out;
		}
	}
	log_info("received the %s of ticket %s, signed by %s", kind, ticket,
	    cn);
	audit(ap, AUDIT_EV_DOCUMENT_RECEIVE, AUDIT_OUTCOME_SUCCESS, cn,
	    ticket, jstr(pl, "device"), kind, "verified and stored");
	if (strcmp(kind, SIGNED_KIND_DELETION) == 0) {
		printf("deletion certificate received for ticket %s\n", ticket);
		fflush(stdout);
	}
	send_json(ap, CTL_ACK, m->id, json_pack("{s:b, s:s}", "ok", 1,
	    "ticket", ticket));
	goto out;
 refuse:
	log_warn("ticket %s: %s", ticket != NULL ? ticket : "?", why);
	audit(ap, AUDIT_EV_DOCUMENT_RECEIVE, AUDIT_OUTCOME_DENIED, NULL,
	    ticket, NULL, kind, why);
	send_json(ap, CTL_ACK, m->id, json_pack("{s:s}", "error", why));
 out:
	json_decref(pl);
}

void
ap_vault_ctl(struct ap *ap, const struct ctl_msg *m)
{
	if (ap->vault == NULL)
		return;
	if (m->type == CTL_COLLECT)
		on_collect(ap, m);
	else if (m->type == CTL_DOCUMENT)
		on_document(ap, m);
}

/* ---- admin routes: what the hospital received ---------------------------------- */

struct doc_list {
	struct ap *ap;
	const char *kind;
	const char *ticket;		/* one ticket, or NULL for all */
	json_t *arr;
};

/* Re-verify a stored document: the store could have been edited since. */
static json_t *
doc_entry(struct ap *ap, const char *ticket, const char *kind,
    const char *body, int64_t created_ms, int full)
{
	struct rsg_buf *md = NULL;
	json_t *pl = NULL, *o;
	char t[64], err[300];
	int ok;

	err[0] = '\0';
	ok = signed_doc_verify(body, strlen(body), kind, ap->vault->trust,
	    PKI_ROLE_HUB, time_now_ms() / 1000, &pl, NULL, 0, NULL, err,
	    sizeof(err)) == 0;
	o = json_pack("{s:s, s:s, s:s, s:b}", "ticket", ticket, "kind", kind,
	    "received", time_format_rfc3339(created_ms, t, sizeof(t)),
	    "verified", ok);
	if (o == NULL)
		goto out;
	if (!ok)
		json_object_set_new(o, "verify_error", json_string(err));
	if (ok && strcmp(kind, SIGNED_KIND_DELETION) == 0) {
		json_object_set(o, "destroyed", json_object_get(pl,
		    "destroyed"));
		json_object_set(o, "device", json_object_get(pl, "device"));
		json_object_set(o, "hub", json_object_get(pl, "hub"));
		json_object_set_new(o, "items", json_integer((json_int_t)
		    json_array_size(json_object_get(pl, "items"))));
	}
	if (full) {
		json_object_set_new(o, "document", json_string(body));
		if (ok && (md = buf_new(0)) != NULL &&
		    vault_doc_markdown(kind, pl, md) == 0 &&
		    buf_put_u8(md, 0) == 0)
			json_object_set_new(o, "markdown",
			    json_string((const char *)buf_ptr(md)));
	}
 out:
	buf_free(md);
	json_decref(pl);
	return o;
}

static int
doc_cb(const char *ticket, const char *kind, const char *body,
    int64_t created_ms, void *arg)
{
	struct doc_list *dl = arg;
	json_t *o;

	if (dl->ticket != NULL && strcmp(dl->ticket, ticket) != 0)
		return 0;
	if ((o = doc_entry(dl->ap, ticket, kind, body, created_ms,
	    dl->ticket != NULL)) == NULL ||
	    json_array_append_new(dl->arr, o) != 0)
		return RSG_ERR_NOMEM;
	return 0;
}

/* GET PREFIX (all of a kind) and GET PREFIX/T (one ticket's, in full). */
static void
admin_docs(struct ap *ap, struct evhttp_request *req, const char *path,
    const char *kind, const char *prefix, const char *listkey)
{
	struct doc_list dl;
	char *ticket = NULL;
	size_t plen = strlen(prefix);
	int r;

	memset(&dl, 0, sizeof(dl));
	dl.ap = ap;
	dl.kind = kind;
	if (path[plen] == '/' && path[plen + 1] != '\0') {
		if ((ticket = evhttp_uridecode(path + plen + 1, 0,
		    NULL)) == NULL || !str_field_ok(ticket, STORE_TICKET_ID_MAX)) {
			free(ticket);
			ap_admin_error(req, 400, "bad ticket id", NULL);
			return;
		}
		dl.ticket = ticket;
	}
	if ((dl.arr = json_array()) == NULL) {
		free(ticket);
		ap_admin_error(req, 500, "out of memory", NULL);
		return;
	}
	if ((r = store_document_foreach(ap->vault->store, kind, doc_cb,
	    &dl)) != 0) {
		json_decref(dl.arr);
		free(ticket);
		ap_admin_error(req, 500, "cannot read the documents",
		    rsg_strerror(r));
		return;
	}
	if (ticket != NULL) {
		if (json_array_size(dl.arr) == 0)
			ap_admin_error(req, 404, "none received for this "
			    "ticket", NULL);
		else
			ap_admin_reply(req, 200, json_incref(json_array_get(
			    dl.arr, 0)));
		json_decref(dl.arr);
		free(ticket);
		return;
	}
	ap_admin_reply(req, 200, json_pack("{s:o}", listkey, dl.arr));
}

static void
admin_certificates(struct ap *ap, struct evhttp_request *req,
    const char *path, const char *query, const struct ap_admin_caller *who)
{
	(void)query;
	(void)who;
	admin_docs(ap, req, path, SIGNED_KIND_DELETION, "/v1/certificates",
	    "certificates");
}

static void
admin_reports(struct ap *ap, struct evhttp_request *req, const char *path,
    const char *query, const struct ap_admin_caller *who)
{
	(void)query;
	(void)who;
	admin_docs(ap, req, path, SIGNED_KIND_REPORT, "/v1/reports",
	    "reports");
}

/* ---- start and stop ----------------------------------------------------------- */

int
ap_vault_start(struct ap *ap, char *err, size_t errlen)
{
	struct ap_vault *av;
	int r;

	if ((av = calloc(1, sizeof(*av))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return RSG_ERR_NOMEM;
	}
	TAILQ_INIT(&av->collects);
	ap->vault = av;
	if ((r = store_open(config_get_string(ap->cfg, "audit_db"), 0,
	    &av->store)) != 0) {
		snprintf(err, errlen, "cannot open the store %s: %s",
		    config_get_string(ap->cfg, "audit_db"), rsg_strerror(r));
		return r;
	}
	if ((r = pki_trust_load(config_get_string(ap->cfg, "ca"),
	    config_get_string(ap->cfg, "crl"), &av->trust, err, errlen)) != 0)
		return r;
	if ((r = ap_admin_route(ap, "GET", "/v1/certificates",
	    admin_certificates)) != 0 ||
	    (r = ap_admin_route(ap, "GET", "/v1/reports", admin_reports)) != 0)
		snprintf(err, errlen, "cannot add the admin routes: %s",
		    rsg_strerror(r));
	return r;
}

void
ap_vault_trust_reload(struct ap *ap)
{
	struct pki_trust *t = NULL;
	char err[256];

	if (ap->vault == NULL)
		return;
	if (pki_trust_load(config_get_string(ap->cfg, "ca"),
	    config_get_string(ap->cfg, "crl"), &t, err, sizeof(err)) != 0) {
		log_error("documents: cannot reload the CA and CRL: %s", err);
		return;
	}
	pki_trust_free(ap->vault->trust);
	ap->vault->trust = t;
	log_info("documents: checked against the new revocation list");
}

void
ap_vault_stop(struct ap *ap)
{
	struct ap_vault *av = ap->vault;
	struct av_collect *c;

	if (av == NULL)
		return;
	while ((c = TAILQ_FIRST(&av->collects)) != NULL)
		collect_free(c);
	store_close(av->store);
	pki_trust_free(av->trust);
	free(av);
	ap->vault = NULL;
}

struct store *
ap_vault_store(struct ap *ap)
{
	return ap->vault != NULL ? ap->vault->store : NULL;
}
