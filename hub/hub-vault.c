/*
 * hub-vault.c: the hub's evidence vault at work (docs/EVIDENCE.md).
 *
 *   collect (R42)  POST /v1/tickets/T/collect: the ticket must grant
 *                  log-collect on the device to this engineer now; the hub
 *                  sends COLLECT to the AP, which fetches the file from the
 *                  device's log-collect service and streams COLLECT_DATA
 *                  back (bounded by collect_max); each chunk goes straight
 *                  into the vault, encrypted under the ticket's key.
 *   read           GET /v1/tickets/T/evidence[/NAME], /report,
 *                  /certificate: the ticket's engineer only; every read of
 *                  evidence is audited (evidence.read).
 *   purge (R44)    a 1 s timer takes the purge jobs whose due time plus
 *                  evidence_retention has passed: destroy the evidence
 *                  (idempotent), issue the deletion certificate and the
 *                  work report (R58), both signed with the hub's key,
 *                  then in one transaction store them, drop the index,
 *                  move the ticket to purged and queue both for the AP
 *                  (DOCUMENT, outbox). A failure is retried with back-off
 *                  and alarmed (error log, audit), never skipped; a hub
 *                  stopped half-way finishes the job when it starts again.
 *
 * Test hook (tests only, documented in docs/EVIDENCE.md): with the
 * environment variable RSGATE_TEST_PURGE_PAUSE=N the purge sleeps N
 * seconds after destroying the evidence and before the certificate, so a
 * test can kill the hub exactly there.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rsgate/config.h"
#include "rsgate/httpjson.h"
#include "rsgate/outbox.h"
#include "rsgate/pki.h"
#include "rsgate/store.h"
#include "rsgate/vault.h"
#include "rsgate/workflow.h"

#include "hub.h"

#define HV_COLLECT_TIMEOUT_S 60		/* silence from the AP mid-collect */
#define HV_COLLECT_MAX 16		/* collects in flight at once */
#define HV_PURGE_BATCH 8		/* purge jobs looked at per tick */
#define HV_BACKOFF_MAX_MS (5 * 60 * 1000)
#define HV_STREAMS_MAX 500		/* streams listed in a report */
#define HV_CHUNK_B64_MAX (CTL_FRAME_MAX)
#define HV_TICKET_MAX STORE_TICKET_ID_MAX
/* ?offset=N reads: a chunk's bytes (base64 ~683 KiB: under the CLI's 1 MiB). */
#define HV_READ_CHUNK (512 * 1024)
#define HV_READ_OFFSET_MAX (1ULL << 32)
#define HV_METHOD "AES-256-GCM ticket key (wrapped by the hub master key) " \
	"deleted from the store with secure_delete and the write-ahead log " \
	"truncated; encrypted files unlinked and the vault folder fsync'd"

struct hv_collect {
	TAILQ_ENTRY(hv_collect) entry;
	struct hub *hub;
	struct evhttp_request *req;
	struct ctl_conn *conn;
	uint32_t reqid;
	struct vault_writer *w;
	struct event *ev_timeout;
	uint64_t next_seq, bytes, max;
	char ticket[HV_TICKET_MAX + 1];
	char device[CTL_NAME_MAX + 1];
	char name[VAULT_NAME_MAX + 1];
	char engineer[4 * 64 + 1];
	char source[HUB_ADDR_MAX];
	char ap[CTL_NAME_MAX + 1];
};


struct hub_vault {
	struct store *store;
	struct vault *vault;		/* NULL: no evidence_dir */
	int64_t retention_ms;
	uint64_t collect_max;
	EVP_PKEY *key;			/* the hub's: signs documents */
	X509 *cert;
	unsigned pause_s;		/* test hook */
	TAILQ_HEAD(, hv_collect) collects;
	size_t ncollects;
};

/* ---- small helpers ----------------------------------------------------------- */

static const char *
jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *
rfc3339(int64_t ms, char *out, size_t len)
{
	return time_format_rfc3339(ms, out, len);
}

/* ---- documents to the APs go through the hub's outbox (hub-ticket.c) ------------ */

/* The AP answered a DOCUMENT (called from the outbox's ACK callback). */
void
hub_vault_document_acked(struct hub *h, const char *ap_name,
    const json_t *sent, const json_t *ack)
{
	const char *err = jstr(ack, "error"), *ticket = jstr(sent, "ticket");
	char why[600];

	if (err == NULL) {
		log_info("access point %s stored the %s of ticket %s", ap_name,
		    jstr(sent, "kind") != NULL ? jstr(sent, "kind") : "?",
		    ticket != NULL ? ticket : "?");
		return;
	}
	snprintf(why, sizeof(why), "the access point refused the document: "
	    "%s", err);
	log_error("ticket %s: %s", ticket != NULL ? ticket : "?", why);
	(void)hub_audit(h, AUDIT_EV_DOCUMENT_ISSUE, AUDIT_OUTCOME_FAILURE,
	    NULL, "hub", NULL, NULL, NULL, NULL, jstr(sent, "kind"), ap_name,
	    why);
}

/* ---- collect ------------------------------------------------------------------------ */

static void
collect_free(struct hub_vault *hv, struct hv_collect *hc)
{
	TAILQ_REMOVE(&hv->collects, hc, entry);
	hv->ncollects--;
	if (hc->ev_timeout != NULL)
		event_free(hc->ev_timeout);
	vault_writer_abort(hc->w);
	free(hc);
}

/* End a collect that failed: audit, answer, forget. */
static void
collect_fail(struct hv_collect *hc, int status, const char *error,
    const char *reason)
{
	struct hub *h = hc->hub;
	char why[700];

	snprintf(why, sizeof(why), "%s%s%s", error, reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");
	log_info("collect %s from %s for ticket %s failed: %s", hc->name,
	    hc->device, hc->ticket, why);
	(void)hub_audit(h, AUDIT_EV_EVIDENCE_COLLECT, status == 403 ?
	    AUDIT_OUTCOME_DENIED : AUDIT_OUTCOME_FAILURE, hc->engineer,
	    "engineer", hc->ticket, hc->device, NULL, "log-collect", hc->name,
	    hc->source, why);
	if (hc->req != NULL)
		http_reply_error(hc->req, status, error, reason);
	hc->req = NULL;
	collect_free(h->vault, hc);
}

static void
collect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	collect_fail(arg, 504, "the access point did not answer",
	    "no data for 60 s");
}

static void
collect_done(struct hv_collect *hc)
{
	struct hub *h = hc->hub;
	struct vault_item it;
	struct vault_writer *w = hc->w;
	char obj[VAULT_NAME_MAX + 100];
	json_t *o;
	int r;

	hc->w = NULL;
	if ((r = vault_writer_finish(w, time_now_ms(), &it)) != 0) {
		collect_fail(hc, 500, "cannot store the file in the vault",
		    rsg_strerror(r));
		return;
	}
	snprintf(obj, sizeof(obj), "%s size=%llu sha256=%s", it.name,
	    (unsigned long long)it.size, it.sha256);
	log_info("collected %s from %s for ticket %s (%llu bytes)", it.name,
	    hc->device, hc->ticket, (unsigned long long)it.size);
	(void)hub_audit(h, AUDIT_EV_EVIDENCE_COLLECT, AUDIT_OUTCOME_SUCCESS,
	    hc->engineer, "engineer", hc->ticket, hc->device, NULL,
	    "log-collect", obj, hc->source, "file collected into the evidence "
	    "vault");
	o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "ticket", hc->ticket,
	    "device", hc->device, "name", it.name, "size", (json_int_t)it.size,
	    "sha256", it.sha256);
	http_reply_json(hc->req, 201, o);
	hc->req = NULL;
	collect_free(h->vault, hc);
}

/* NULL if hc's ticket still grants it log-collect now, else why not. */
static const char *
collect_still_allowed(struct hv_collect *hc)
{
	struct hub *h = hc->hub;
	struct store_ticket t;
	const char *why = NULL;

	memset(&t, 0, sizeof(t));
	if (store_ticket_get(h->vault->store, hc->ticket, &t) != 0)
		why = "cannot read the ticket";
	else if (t.engineer == NULL || strcmp(t.engineer, hc->engineer) != 0)
		why = "the ticket is another engineer's";
	else if (hub_engineer_deactivated(h, hc->engineer))
		why = "the engineer was deactivated";
	else if (ticket_allows(&t, hc->device, CAP_LOG_COLLECT,
	    time_now_ms(), &why) != 0 && why == NULL)
		why = "not granted";
	store_ticket_clear(&t);
	return why;
}

/* A ticket about to be purged: end its collects first (nothing after). */
static void
collect_cancel_ticket(struct hub *h, const char *ticket)
{
	struct hv_collect *hc, *next;

	for (hc = TAILQ_FIRST(&h->vault->collects); hc != NULL; hc = next) {
		next = TAILQ_NEXT(hc, entry);
		if (strcmp(hc->ticket, ticket) == 0)
			collect_fail(hc, 403, "the ticket no longer allows the "
			    "collect", "the ticket ended");
	}
}

static void
collect_data(struct ctl_conn *c, const struct ctl_msg *m)
{
	struct hub_vault *hv = c->hub->vault;
	struct hv_collect *hc;
	struct rsg_buf *b = NULL;
	struct timeval tv = { HV_COLLECT_TIMEOUT_S, 0 };
	const json_t *body = m->u.json.body, *jseq, *jdata;
	const char *err;
	int r;

	TAILQ_FOREACH(hc, &hv->collects, entry)
		if (hc->conn == c && hc->reqid == m->id)
			break;
	if (hc == NULL)
		return;		/* late data of a collect that ended */
	if ((err = jstr(body, "error")) != NULL) {
		collect_fail(hc, json_is_true(json_object_get(body, "denied")) ?
		    403 : 502, "refused by the access point", err);
		return;
	}
	jseq = json_object_get(body, "seq");
	jdata = json_object_get(body, "data");
	if (!json_is_integer(jseq) || json_integer_value(jseq) < 0 ||
	    (uint64_t)json_integer_value(jseq) != hc->next_seq ||
	    !json_is_string(jdata) ||
	    json_string_length(jdata) > HV_CHUNK_B64_MAX) {
		collect_fail(hc, 502, "the access point sent a bad chunk",
		    NULL);
		return;
	}
	/*
	 * The ticket may have ended (closed, terminated, expired) or the
	 * engineer been deactivated since the collect began: no chunk is
	 * kept after that, and the last one is not committed to the vault.
	 */
	if ((err = collect_still_allowed(hc)) != NULL) {
		collect_fail(hc, 403, "the ticket no longer allows the collect",
		    err);
		return;
	}
	if ((b = buf_new(json_string_length(jdata))) == NULL) {
		collect_fail(hc, 500, "out of memory", NULL);
		return;
	}
	if (base64_decode(json_string_value(jdata), json_string_length(jdata),
	    b) != 0) {
		buf_free(b);
		collect_fail(hc, 502, "the access point sent a bad chunk",
		    "not base64");
		return;
	}
	if (buf_len(b) > hc->max - hc->bytes) {
		buf_free(b);
		collect_fail(hc, 413, "the file is larger than collect_max",
		    NULL);
		return;
	}
	r = vault_writer_put(hc->w, buf_ptr(b), buf_len(b));
	hc->bytes += buf_len(b);
	buf_free(b);
	if (r != 0) {
		collect_fail(hc, 500, "cannot write to the vault",
		    rsg_strerror(r));
		return;
	}
	hc->next_seq++;
	if (json_is_true(json_object_get(body, "last"))) {
		collect_done(hc);
		return;
	}
	evtimer_add(hc->ev_timeout, &tv);
}

static void
api_collect(struct hub *h, struct evhttp_request *req, const char *ticket,
    const struct tls_peer *peer, const char *source)
{
	struct hub_vault *hv = h->vault;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct timeval tv = { HV_COLLECT_TIMEOUT_S, 0 };
	struct store_ticket t;
	const struct ctl_device *dev;
	struct hv_collect *hc = NULL;
	struct hub_ap *ap;
	struct ctl_msg m;
	json_error_t jerr;
	json_t *o = NULL;
	const char *device, *path, *why = NULL;
	size_t len = evbuffer_get_length(in);
	int r;

	memset(&t, 0, sizeof(t));
	if (len > HUB_API_BODY_MAX) {
		http_reply_error(req, 413, "request body too large", NULL);
		return;
	}
	o = json_loadb((const char *)evbuffer_pullup(in, -1), len,
	    JSON_REJECT_DUPLICATES, &jerr);
	device = jstr(o, "device");
	path = jstr(o, "path");
	if (!json_is_object(o) || !str_field_ok(device, CTL_NAME_MAX) ||
	    !str_field_ok(path, VAULT_NAME_MAX)) {
		http_reply_error(req, 400, "bad request", "\"device\" and \"path\" "
		    "must be names of 1 to 255 characters");
		goto out;
	}
	if ((r = store_ticket_get(hv->store, ticket, &t)) != 0) {
		http_reply_error(req, r == RSG_ERR_NOT_FOUND ? 404 : 500,
		    r == RSG_ERR_NOT_FOUND ? "no such ticket" :
		    "internal error", NULL);
		goto out;
	}
	if (strcmp(t.engineer, peer->cn) != 0)
		why = "the ticket is another engineer's";
	else if (ticket_allows(&t, device, CAP_LOG_COLLECT, time_now_ms(),
	    &why) == 0)
		why = NULL;
	else if (why == NULL)
		why = "not granted";
	if (why != NULL) {
		(void)hub_audit(h, AUDIT_EV_EVIDENCE_COLLECT,
		    AUDIT_OUTCOME_DENIED, peer->cn, "engineer", ticket, device,
		    NULL, "log-collect", path, source, why);
		http_reply_error(req, 403, "not allowed by the ticket", why);
		goto out;
	}
	if (hv->vault == NULL) {
		http_reply_error(req, 503, "the hub has no evidence vault",
		    "evidence_dir is not configured");
		goto out;
	}
	if (hv->ncollects >= HV_COLLECT_MAX) {
		http_reply_error(req, 503, "too many collects in progress", NULL);
		goto out;
	}
	if ((r = hub_ap_find(h, device, "log-collect", &ap, &dev)) != 0) {
		http_reply_error(req, 404, r == RSG_ERR_NOT_FOUND ?
		    "unknown device" : "the device has no log-collect service",
		    NULL);
		goto out;
	}
	if (ap->conn == NULL || !ap->conn->hello_done || ap->conn->closing) {
		http_reply_error(req, 503, "access point not connected", ap->name);
		goto out;
	}
	if ((hc = calloc(1, sizeof(*hc))) == NULL) {
		http_reply_error(req, 500, "out of memory", NULL);
		goto out;
	}
	hc->hub = h;
	hc->conn = ap->conn;
	hc->max = hv->collect_max;
	snprintf(hc->ticket, sizeof(hc->ticket), "%s", ticket);
	snprintf(hc->device, sizeof(hc->device), "%s", device);
	snprintf(hc->name, sizeof(hc->name), "%s", path);
	snprintf(hc->engineer, sizeof(hc->engineer), "%s", peer->cn);
	snprintf(hc->source, sizeof(hc->source), "%s", source);
	snprintf(hc->ap, sizeof(hc->ap), "%s", ap->name);
	if ((r = vault_writer_new(hv->vault, ticket, path, &hc->w)) != 0) {
		http_reply_error(req, r == RSG_ERR_EXISTS ? 409 : 500,
		    r == RSG_ERR_EXISTS ? "the ticket already holds a file of "
		    "that name" : "cannot open the vault", rsg_strerror(r));
		free(hc);
		goto out;
	}
	TAILQ_INSERT_TAIL(&hv->collects, hc, entry);
	hv->ncollects++;
	if ((hc->ev_timeout = evtimer_new(h->base, collect_timeout_cb,
	    hc)) == NULL || evtimer_add(hc->ev_timeout, &tv) != 0) {
		http_reply_error(req, 500, "out of memory", NULL);
		collect_free(hv, hc);
		goto out;
	}
	/* device and path point into o: copied into hc, used from there. */
	json_decref(o);
	o = json_pack("{s:s, s:s, s:s, s:I}", "ticket", hc->ticket, "device",
	    hc->device, "path", hc->name, "max_bytes",
	    (json_int_t)hv->collect_max);
	if (o == NULL) {
		http_reply_error(req, 500, "out of memory", NULL);
		collect_free(hv, hc);
		goto out;
	}
	hc->req = req;
	hc->reqid = ++h->next_reqid;
	memset(&m, 0, sizeof(m));
	m.type = CTL_COLLECT;
	m.id = hc->reqid;
	m.u.json.body = o;
	log_info("collect %s from %s for ticket %s via %s", hc->name,
	    hc->device, hc->ticket, ap->name);
	/* A failed send closes the AP, which fails hc (conn_closed). */
	(void)hub_ctl_send(ap->conn, &m);
 out:
	store_ticket_clear(&t);
	json_decref(o);
}

/* ---- reads ----------------------------------------------------------------------- */

static int
list_cb(const struct vault_item *it, void *arg)
{
	char t[64];
	json_t *o;

	o = json_pack("{s:s, s:I, s:s, s:s}", "name", it->name, "size",
	    (json_int_t)it->size, "sha256", it->sha256, "collected",
	    rfc3339(it->created_ms, t, sizeof(t)));
	if (o == NULL || json_array_append_new(arg, o) != 0)
		return RSG_ERR_NOMEM;
	return 0;
}

/* The items of a ticket from the index (also after destruction). */
static int
items_cb(const struct store_evidence_item *it, void *arg)
{
	struct vault_item vi;

	memset(&vi, 0, sizeof(vi));
	snprintf(vi.name, sizeof(vi.name), "%s", it->name);
	vi.size = it->size;
	snprintf(vi.sha256, sizeof(vi.sha256), "%s", it->sha256);
	vi.created_ms = it->created_ms;
	return list_cb(&vi, arg);
}

static int read_offset(struct evhttp_request *, size_t *, int *);

static void
api_evidence(struct hub *h, struct evhttp_request *req, const char *ticket,
    const char *name, const struct tls_peer *peer, const char *source)
{
	struct hub_vault *hv = h->vault;
	struct rsg_buf *data = NULL;
	struct vault_item it;
	json_t *arr = NULL, *o;
	char *b64 = NULL, obj[VAULT_NAME_MAX + 140];
	size_t off = 0, n;
	int r, whole = 1, last;

	if (name != NULL && read_offset(req, &off, &whole) != 0)
		return;
	if (name == NULL) {
		if ((arr = json_array()) == NULL ||
		    store_evidence_item_foreach(hv->store, ticket, items_cb,
		    arr) != 0) {
			json_decref(arr);
			http_reply_error(req, 500, "internal error", NULL);
			return;
		}
		(void)hub_audit(h, AUDIT_EV_EVIDENCE_READ, AUDIT_OUTCOME_SUCCESS,
		    peer->cn, "engineer", ticket, NULL, NULL, "log-collect",
		    "(list)", source, "evidence listed");
		http_reply_json(req, 200, json_pack("{s:s, s:o}", "ticket", ticket,
		    "items", arr));
		return;
	}
	if (hv->vault == NULL)
		r = RSG_ERR_NOT_FOUND;
	else
		r = vault_read(hv->vault, ticket, name, &data, &it);
	if (r != 0) {
		(void)hub_audit(h, AUDIT_EV_EVIDENCE_READ, AUDIT_OUTCOME_FAILURE,
		    peer->cn, "engineer", ticket, NULL, NULL, "log-collect",
		    name, source, rsg_strerror(r));
		if (r == RSG_ERR_VERIFY)
			log_error("evidence %s of ticket %s does not verify: "
			    "altered or truncated", name, ticket);
		http_reply_error(req, r == RSG_ERR_NOT_FOUND ? 404 : 500,
		    r == RSG_ERR_NOT_FOUND ?
		    "no such item" : r == RSG_ERR_VERIFY ? "the stored file "
		    "does not verify" : "internal error", rsg_strerror(r));
		return;
	}
	if (!whole && off > buf_len(data)) {
		buf_free(data);
		http_reply_error(req, 416, "offset beyond the end of the file",
		    NULL);
		return;
	}
	n = whole ? buf_len(data) : buf_len(data) - off;
	if (n > HV_READ_CHUNK && !whole)
		n = HV_READ_CHUNK;
	if (whole)
		snprintf(obj, sizeof(obj), "%s sha256=%s", it.name, it.sha256);
	else
		snprintf(obj, sizeof(obj), "%s sha256=%s bytes %zu+%zu",
		    it.name, it.sha256, off, n);
	if (hub_audit(h, AUDIT_EV_EVIDENCE_READ, AUDIT_OUTCOME_SUCCESS,
	    peer->cn, "engineer", ticket, NULL, NULL, "log-collect", obj,
	    source, "evidence read") != 0) {
		/* Log first, then act: no record, no read. */
		buf_free(data);
		http_reply_error(req, 500, "cannot write the audit log", NULL);
		return;
	}
	last = off + n == buf_len(data);
	r = base64_encode((const uint8_t *)buf_ptr(data) + off, n, &b64);
	buf_free(data);
	if (r != 0) {
		http_reply_error(req, 500, "out of memory", NULL);
		return;
	}
	o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "ticket", ticket, "name",
	    it.name, "size", (json_int_t)it.size, "sha256", it.sha256, "data",
	    b64);
	free(b64);
	if (o != NULL && !whole && (json_object_set_new(o, "offset",
	    json_integer((json_int_t)off)) != 0 || json_object_set_new(o,
	    "last", json_boolean(last)) != 0)) {
		json_decref(o);
		o = NULL;
	}
	http_reply_json(req, 200, o);
}

/*
 * ?offset=N: a chunk of at most HV_READ_CHUNK bytes from N (the CLI reads
 * large files so, each reply well under its 1 MiB limit); no query: the
 * whole file. *whole says which. -1: a bad query (answered).
 */
static int
read_offset(struct evhttp_request *req, size_t *off, int *whole)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq kv;
	const char *v;
	uint64_t u;
	int r = 0;

	*off = 0;
	*whole = 1;
	if (q == NULL || *q == '\0')
		return 0;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) != 0 ||
	    (v = evhttp_find_header(&kv, "offset")) == NULL ||
	    parse_u64(v, 0, HV_READ_OFFSET_MAX, &u) != 0) {
		http_reply_error(req, 400, "bad request", "the query is "
		    "offset=N (bytes)");
		r = -1;
	} else {
		*off = (size_t)u;
		*whole = 0;
	}
	evhttp_clear_headers(&kv);
	return r;
}

static void
api_document(struct hub *h, struct evhttp_request *req, const char *ticket,
    const char *kind)
{
	struct hub_vault *hv = h->vault;
	struct rsg_buf *md = NULL;
	json_error_t jerr;
	json_t *env = NULL, *pl = NULL;
	char *body = NULL;
	int r;

	if ((r = store_document_get(hv->store, ticket, kind, &body)) != 0) {
		http_reply_error(req, r == RSG_ERR_NOT_FOUND ? 404 : 500,
		    r == RSG_ERR_NOT_FOUND ? "not issued yet (the ticket's "
		    "evidence has not been purged)" : "internal error", NULL);
		return;
	}
	/* Our own document: the payload is read, not re-verified. */
	if ((env = json_loads(body, 0, &jerr)) != NULL &&
	    jstr(env, "payload") != NULL)
		pl = json_loads(jstr(env, "payload"), 0, &jerr);
	if (pl == NULL || (md = buf_new(0)) == NULL ||
	    vault_doc_markdown(kind, pl, md) != 0 || buf_put_u8(md, 0) != 0) {
		http_reply_error(req, 500, "internal error", NULL);
		goto out;
	}
	http_reply_json(req, 200, json_pack("{s:s, s:s, s:s, s:s}", "ticket",
	    ticket, "kind", kind, "document", body, "markdown",
	    (const char *)buf_ptr(md)));
 out:
	buf_free(md);
	json_decref(env);
	json_decref(pl);
	free(body);
}

/* Split the %-decoded path segment at p (up to '/' or the end). */
static char *
segment(const char *p, const char **end)
{
	const char *e = strchr(p, '/');
	char *raw, *dec;
	size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

	if (n == 0 || n > 3 * VAULT_NAME_MAX)
		return NULL;
	if ((raw = strndup(p, n)) == NULL)
		return NULL;
	dec = evhttp_uridecode(raw, 0, NULL);
	free(raw);
	*end = p + n;
	return dec;
}

int
hub_vault_api(struct hub *h, struct evhttp_request *req, int cmd,
    const char *path, const struct tls_peer *peer, const char *source)
{
	static const char prefix[] = "/v1/tickets/";
	struct store_ticket t;
	const char *rest, *end;
	char *ticket = NULL, *name = NULL;
	int handled = 1, r;

	memset(&t, 0, sizeof(t));
	if (h->vault == NULL || strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	if ((ticket = segment(path + sizeof(prefix) - 1, &rest)) == NULL ||
	    *rest != '/') {
		handled = 0;
		goto out;
	}
	rest++;
	if (strcmp(rest, "collect") != 0 && strcmp(rest, "evidence") != 0 &&
	    strncmp(rest, "evidence/", 9) != 0 &&
	    strcmp(rest, "report") != 0 && strcmp(rest, "certificate") != 0) {
		handled = 0;
		goto out;
	}
	if (!str_field_ok(ticket, HV_TICKET_MAX)) {
		http_reply_error(req, 400, "bad ticket id", NULL);
		goto out;
	}
	if (strcmp(rest, "collect") == 0) {
		if (cmd != EVHTTP_REQ_POST)
			http_reply_error(req, 405, "method not allowed", NULL);
		else
			api_collect(h, req, ticket, peer, source);
		goto out;
	}
	if (cmd != EVHTTP_REQ_GET) {
		http_reply_error(req, 405, "method not allowed", NULL);
		goto out;
	}
	/* Reads: the ticket's own engineer only. */
	if ((r = store_ticket_get(h->vault->store, ticket, &t)) != 0) {
		http_reply_error(req, r == RSG_ERR_NOT_FOUND ? 404 : 500,
		    r == RSG_ERR_NOT_FOUND ? "no such ticket" :
		    "internal error", NULL);
		goto out;
	}
	if (strcmp(t.engineer, peer->cn) != 0) {
		(void)hub_audit(h, AUDIT_EV_EVIDENCE_READ, AUDIT_OUTCOME_DENIED,
		    peer->cn, "engineer", ticket, NULL, NULL, NULL, rest,
		    source, "the ticket is another engineer's");
		http_reply_error(req, 403, "the ticket is another engineer's",
		    NULL);
		goto out;
	}
	if (strcmp(rest, "report") == 0)
		api_document(h, req, ticket, SIGNED_KIND_REPORT);
	else if (strcmp(rest, "certificate") == 0)
		api_document(h, req, ticket, SIGNED_KIND_DELETION);
	else if (strcmp(rest, "evidence") == 0)
		api_evidence(h, req, ticket, NULL, peer, source);
	else if ((name = segment(rest + 9, &end)) == NULL || *end != '\0' ||
	    !str_field_ok(name, VAULT_NAME_MAX))
		http_reply_error(req, 400, "bad item name", NULL);
	else
		api_evidence(h, req, ticket, name, peer, source);
 out:
	store_ticket_clear(&t);
	free(ticket);
	free(name);
	return handled;
}

/* ---- control channel ---------------------------------------------------------------- */

void
hub_vault_ctl(struct ctl_conn *c, const struct ctl_msg *m)
{
	struct hub *h = c->hub;

	if (h->vault == NULL || c->ap == NULL)
		return;
	if (m->type == CTL_COLLECT_DATA)
		collect_data(c, m);
}

void
hub_vault_conn_closed(struct hub *h, struct ctl_conn *c)
{
	struct hv_collect *hc, *next;

	if (h->vault == NULL)
		return;
	for (hc = TAILQ_FIRST(&h->vault->collects); hc != NULL; hc = next) {
		next = TAILQ_NEXT(hc, entry);
		if (hc->conn == c)
			collect_fail(hc, 503, "the access point disconnected",
			    NULL);
	}
}

/* ---- purge: certificate and report ------------------------------------------------- */

struct stream_scan {
	const char *ticket;
	json_t *streams;		/* array of objects */
	unsigned caps_used;
};

static int
col_eq(const struct store_audit_row *row, int col, const char *s)
{
	size_t n = strlen(s);

	return row->text[col] != NULL && row->text_len[col] == n &&
	    memcmp(row->text[col], s, n) == 0;
}

static char *
col_dup(const struct store_audit_row *row, int col)
{
	return strndup(row->text[col] != NULL ? row->text[col] : "",
	    row->text[col] != NULL ? row->text_len[col] : 0);
}

/* "bytes_up=1 bytes_down=2 duration_ms=3" into the stream object. */
static void
parse_counts(json_t *st, const char *s)
{
	static const char *const keys[] = { "bytes_up", "bytes_down",
		"duration_ms" };
	char word[64];
	const char *p = s, *e;
	uint64_t v;
	size_t i, n, kl;

	while (*p != '\0') {
		e = strchr(p, ' ');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			for (i = 0; i < 3; i++) {
				kl = strlen(keys[i]);
				if (strncmp(word, keys[i], kl) == 0 &&
				    word[kl] == '=' && parse_u64(word + kl + 1,
				    0, INT64_MAX, &v) == 0)
					json_object_set_new(st, keys[i],
					    json_integer((json_int_t)v));
			}
		}
		p += n;
		while (*p == ' ')
			p++;
	}
}

static int
scan_cb(const struct store_audit_row *row, void *arg)
{
	struct stream_scan *sc = arg;
	json_t *st;
	char *s = NULL, t[64];
	unsigned cap;
	size_t i;

	if (col_eq(row, STORE_AUDIT_EVENT, "session.open") &&
	    col_eq(row, STORE_AUDIT_OUTCOME, "success") &&
	    col_eq(row, STORE_AUDIT_ROLE, "engineer") &&
	    (col_eq(row, STORE_AUDIT_APPROVAL, sc->ticket) ||
	    col_eq(row, STORE_AUDIT_REASON, sc->ticket))) {
		if (json_array_size(sc->streams) >= HV_STREAMS_MAX)
			return 0;
		if ((st = json_object()) == NULL ||
		    json_array_append_new(sc->streams, st) != 0)
			return RSG_ERR_NOMEM;
		if ((s = col_dup(row, STORE_AUDIT_SESSION)) == NULL)
			return RSG_ERR_NOMEM;
		json_object_set_new(st, "session", json_string(s));
		free(s);
		if ((s = col_dup(row, STORE_AUDIT_CAPABILITY)) == NULL)
			return RSG_ERR_NOMEM;
		json_object_set_new(st, "service", json_string(s));
		if (capability_parse(s, &cap) == 0)
			sc->caps_used |= cap;
		free(s);
		json_object_set_new(st, "opened", json_string(rfc3339(
		    row->time_ms, t, sizeof(t))));
		return 0;
	}
	if (!col_eq(row, STORE_AUDIT_EVENT, "session.close") ||
	    row->text[STORE_AUDIT_SESSION] == NULL)
		return 0;
	json_array_foreach(sc->streams, i, st) {
		const char *id = jstr(st, "session");

		if (id == NULL || !col_eq(row, STORE_AUDIT_SESSION, id))
			continue;
		if ((s = col_dup(row, STORE_AUDIT_OBJECT)) == NULL)
			return RSG_ERR_NOMEM;
		parse_counts(st, s);
		free(s);
		if ((s = col_dup(row, STORE_AUDIT_REASON)) == NULL)
			return RSG_ERR_NOMEM;
		json_object_set_new(st, "close_reason", json_string(s));
		free(s);
		json_object_set_new(st, "closed", json_string(rfc3339(
		    row->time_ms, t, sizeof(t))));
		break;
	}
	return 0;
}

static int
history_cb(const struct store_ticket_step *st, void *arg)
{
	char t[64];
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time",
	    rfc3339(st->time_ms, t, sizeof(t)), "event", st->event, "actor",
	    st->actor, "who", st->who, "from", st->from_state, "to",
	    st->to_state, "detail", st->detail);
	if (o == NULL || json_array_append_new(arg, o) != 0)
		return RSG_ERR_NOMEM;
	return 0;
}

static json_t *
caps_json(unsigned mask)
{
	json_t *a = json_array();
	unsigned bit;

	for (bit = 1; a != NULL && bit <= CAP_ALL; bit <<= 1)
		if ((mask & bit) != 0 && capability_name(bit) != NULL)
			json_array_append_new(a,
			    json_string(capability_name(bit)));
	return a;
}

static int
sign(struct hub_vault *hv, const char *kind, const json_t *payload,
    char **out)
{
	struct rsg_buf *b = NULL;
	int r;

	if ((r = signed_doc_create(kind, payload, hv->key, hv->cert, &b)) != 0)
		return r;
	*out = buf_dup_cstring(b);
	buf_free(b);
	return *out != NULL ? 0 : RSG_ERR_NOMEM;
}

/* One purge job, start to end. 0, or an error with *why for the alarm. */
static int
purge_one(struct hub *h, const char *ticket, const char **why)
{
	struct hub_vault *hv = h->vault;
	struct store_ticket t;
	struct store_ticket_step step;
	struct ticket_guard g;
	struct stream_scan sc;
	enum ticket_state from, to;
	json_t *items = NULL, *cert = NULL, *rep = NULL, *hist = NULL;
	json_t *msg = NULL;
	char *cdoc = NULL, *rdoc = NULL, *mtext = NULL;
	char now_s[64], nb[64], na[64], chex[65], obj[64];
	uint8_t md[32];
	unsigned nfiles = 0;
	int64_t now = time_now_ms(), id;
	int r, intxn = 0;

	memset(&t, 0, sizeof(t));
	memset(&sc, 0, sizeof(sc));
	*why = NULL;
	if ((r = store_ticket_get(hv->store, ticket, &t)) != 0) {
		*why = r == RSG_ERR_NOT_FOUND ? "no such ticket" :
		    "cannot read the ticket";
		goto out;
	}
	if (ticket_state_parse(t.state, &from) != 0) {
		*why = "the ticket's state is unknown";
		r = RSG_ERR_STATE;
		goto out;
	}
	if (from == TICKET_PURGED) {
		r = store_purge_done(hv->store, ticket);
		goto out;
	}
	memset(&g, 0, sizeof(g));
	g.actor = TACT_HUB;
	g.now_ms = now;
	g.evidence_destroyed = 1;
	/* Checked first: a ticket still in use keeps its evidence. */
	if ((r = ticket_transition(from, TEV_PURGE, &g, &to, why)) != 0)
		goto out;
	if (hv->vault != NULL &&
	    (r = vault_destroy(hv->vault, ticket, &nfiles)) != 0) {
		*why = "cannot destroy the evidence";
		goto out;
	}
	snprintf(obj, sizeof(obj), "%u file(s) removed", nfiles);
	(void)hub_audit(h, AUDIT_EV_EVIDENCE_DESTROY, AUDIT_OUTCOME_SUCCESS,
	    NULL, "hub", ticket, t.device, NULL, NULL, obj, NULL,
	    "ticket key wiped, files removed");
	if (hv->pause_s > 0) {
		/* Test hook: RSGATE_TEST_PURGE_PAUSE (docs/EVIDENCE.md). */
		log_warn("test hook: purge of %s paused for %u s after "
		    "destroying the evidence", ticket, hv->pause_s);
		sleep(hv->pause_s);
	}
	r = RSG_ERR_NOMEM;
	*why = "out of memory";
	if ((items = json_array()) == NULL || (hist = json_array()) == NULL ||
	    (sc.streams = json_array()) == NULL)
		goto out;
	if ((r = store_evidence_item_foreach(hv->store, ticket, items_cb,
	    items)) != 0 ||
	    (r = store_ticket_history_foreach(hv->store, ticket, history_cb,
	    hist)) != 0) {
		*why = "cannot read the evidence index";
		goto out;
	}
	sc.ticket = ticket;
	if ((r = store_audit_foreach(hv->store, 1, scan_cb, &sc)) != 0) {
		*why = "cannot read the audit log";
		goto out;
	}
	if (json_array_size(items) > 0)
		sc.caps_used |= CAP_LOG_COLLECT;
	rfc3339(now, now_s, sizeof(now_s));
	cert = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:O, "
	    "s:I}", "ticket", ticket, "ap", t.ap, "device", t.device,
	    "engineer", t.engineer, "hub", h->name, "destroyed", now_s,
	    "destroyed_ms", (json_int_t)now, "method", HV_METHOD, "items",
	    items, "files_removed", (json_int_t)nfiles);
	if (cert == NULL)
		goto out;
	if ((r = sign(hv, SIGNED_KIND_DELETION, cert, &cdoc)) != 0) {
		*why = "cannot sign the deletion certificate";
		goto out;
	}
	if (EVP_Digest(cdoc, strlen(cdoc), md, NULL, EVP_sha256(),
	    NULL) != 1) {
		r = RSG_ERR_CRYPTO;
		goto out;
	}
	hex_encode(md, sizeof(md), chex);
	rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, "
	    "s:s, s:o, s:o, s:O, s:O, s:O, s:s, s:s, s:s}",
	    "ticket", ticket, "ap", t.ap, "device", t.device,
	    "engineer", t.engineer, "approver", t.approver,
	    "purpose", t.purpose, "reason", t.reason,
	    "emergency", t.emergency,
	    "not_before", rfc3339(t.not_before_ms, nb, sizeof(nb)),
	    "not_after", rfc3339(t.not_after_ms, na, sizeof(na)),
	    "ended_state", t.state,
	    "capabilities_granted", caps_json(t.caps_granted),
	    "capabilities_used", caps_json(sc.caps_used),
	    "streams", sc.streams, "files", items, "history", hist,
	    "deletion_certificate_sha256", chex, "issued", now_s,
	    "hub", h->name);
	if (rep == NULL)
		goto out;
	if ((r = sign(hv, SIGNED_KIND_REPORT, rep, &rdoc)) != 0) {
		*why = "cannot sign the work report";
		goto out;
	}

	/* Everything that records the end, at once. */
	*why = "cannot record the purge";
	if ((r = store_begin(hv->store)) != 0)
		goto out;
	intxn = 1;
	if ((r = store_document_put(hv->store, ticket, SIGNED_KIND_DELETION,
	    cdoc, now)) != 0 ||
	    (r = store_document_put(hv->store, ticket, SIGNED_KIND_REPORT,
	    rdoc, now)) != 0 ||
	    (r = store_evidence_item_delete_all(hv->store, ticket)) != 0)
		goto out;
	free(t.state);
	if ((t.state = strdup(ticket_state_name(to))) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	t.updated_ms = now;
	if ((r = store_ticket_put(hv->store, &t)) != 0)
		goto out;
	memset(&step, 0, sizeof(step));
	step.ticket = ticket;
	step.time_ms = now;
	step.event = ticket_event_name(TEV_PURGE);
	step.actor = ticket_actor_name(TACT_HUB);
	step.who = h->name;
	step.from_state = ticket_state_name(from);
	step.to_state = ticket_state_name(to);
	step.detail = "evidence destroyed; deletion certificate and work "
	    "report issued";
	if ((r = store_ticket_history_add(hv->store, &step)) != 0 ||
	    (r = store_purge_done(hv->store, ticket)) != 0)
		goto out;
	/* Queued in the same transaction; sent after the commit. */
	if ((msg = json_pack("{s:s, s:s, s:s}", "ticket", ticket, "kind",
	    SIGNED_KIND_DELETION, "document", cdoc)) == NULL ||
	    (mtext = json_dumps(msg, JSON_COMPACT)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if ((r = store_outbox_add(hv->store, t.ap, CTL_DOCUMENT, mtext, now,
	    &id)) != 0)
		goto out;
	json_decref(msg);
	free(mtext);
	mtext = NULL;
	if ((msg = json_pack("{s:s, s:s, s:s}", "ticket", ticket, "kind",
	    SIGNED_KIND_REPORT, "document", rdoc)) == NULL ||
	    (mtext = json_dumps(msg, JSON_COMPACT)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if ((r = store_outbox_add(hv->store, t.ap, CTL_DOCUMENT, mtext, now,
	    &id)) != 0 || (r = store_commit(hv->store)) != 0)
		goto out;
	intxn = 0;
	*why = NULL;
	log_info("ticket %s purged: evidence destroyed, deletion certificate "
	    "%s issued", ticket, chex);
	(void)hub_audit(h, AUDIT_EV_TICKET_PURGE, AUDIT_OUTCOME_SUCCESS, NULL,
	    "hub", ticket, t.device, NULL, NULL, ticket_state_name(from),
	    NULL, "evidence destroyed");
	(void)hub_audit(h, AUDIT_EV_DOCUMENT_ISSUE, AUDIT_OUTCOME_SUCCESS,
	    NULL, "hub", ticket, t.device, NULL, NULL, chex, t.ap,
	    SIGNED_KIND_DELETION);
	(void)hub_audit(h, AUDIT_EV_DOCUMENT_ISSUE, AUDIT_OUTCOME_SUCCESS,
	    NULL, "hub", ticket, t.device, NULL, NULL, NULL, t.ap,
	    SIGNED_KIND_REPORT);
	{
		struct hub_ap *ap;

		TAILQ_FOREACH(ap, &h->aps, entry)
			if (strcmp(ap->name, t.ap) == 0 && ap->conn != NULL &&
			    ap->conn->hello_done)
				hub_ticket_ap_up(h, ap);
	}
	r = 0;
 out:
	if (intxn)
		store_rollback(hv->store);
	store_ticket_clear(&t);
	json_decref(items);
	json_decref(hist);
	json_decref(sc.streams);
	json_decref(cert);
	json_decref(rep);
	json_decref(msg);
	free(mtext);
	free(cdoc);
	free(rdoc);
	return r;
}

struct due {
	char tickets[HV_PURGE_BATCH][HV_TICKET_MAX + 1];
	uint32_t attempts[HV_PURGE_BATCH];
	size_t n;
};

static int
due_cb(const struct store_purge_job *j, void *arg)
{
	struct due *d = arg;

	if (d->n == HV_PURGE_BATCH)
		return 1;
	snprintf(d->tickets[d->n], sizeof(d->tickets[d->n]), "%s", j->ticket);
	d->attempts[d->n] = j->attempts;
	d->n++;
	return 0;
}

void
hub_vault_tick(struct hub *h)
{
	struct hub_vault *hv = h->vault;
	struct due d;
	const char *why;
	char reason[400];
	int64_t now = time_now_ms(), backoff;
	size_t i;
	int r;

	if (hv == NULL)
		return;
	d.n = 0;
	/* Jobs read first, handled after: no statement open meanwhile. */
	if ((r = store_purge_foreach_due(hv->store, now - hv->retention_ms,
	    due_cb, &d)) < 0) {
		log_error("cannot read the purge jobs: %s", rsg_strerror(r));
		return;
	}
	for (i = 0; i < d.n; i++) {
		collect_cancel_ticket(h, d.tickets[i]);
		if ((r = purge_one(h, d.tickets[i], &why)) == 0)
			continue;
		backoff = 1000LL << (d.attempts[i] < 8 ? d.attempts[i] : 8);
		if (backoff > HV_BACKOFF_MAX_MS)
			backoff = HV_BACKOFF_MAX_MS;
		snprintf(reason, sizeof(reason), "purge failed (attempt %u): "
		    "%s: %s; retrying in %llds", d.attempts[i] + 1,
		    why != NULL ? why : "error", rsg_strerror(r),
		    (long long)(backoff / 1000));
		/* The alarm: an error line and an audit record, every time. */
		log_error("ticket %s: %s", d.tickets[i], reason);
		(void)hub_audit(h, AUDIT_EV_EVIDENCE_DESTROY,
		    AUDIT_OUTCOME_FAILURE, NULL, "hub", d.tickets[i], NULL,
		    NULL, NULL, NULL, NULL, reason);
		if ((r = store_purge_failed(hv->store, d.tickets[i], reason,
		    now - hv->retention_ms + backoff)) != 0)
			log_error("ticket %s: cannot reschedule the purge: %s",
			    d.tickets[i], rsg_strerror(r));
	}
}

/* ---- start and stop ------------------------------------------------------------- */

int
hub_vault_start(struct hub *h, char *err, size_t errlen)
{
	struct hub_vault *hv;
	struct stack_st_X509 *chain = NULL;
	const char *dir = config_get_string(h->cfg, "evidence_dir");
	const char *mk = config_get_string(h->cfg, "master_key");
	const char *pause = getenv("RSGATE_TEST_PURGE_PAUSE");
	uint64_t p;
	int r;

	if ((hv = calloc(1, sizeof(*hv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return RSG_ERR_NOMEM;
	}
	TAILQ_INIT(&hv->collects);
	h->vault = hv;
	hv->retention_ms = config_get_int(h->cfg, "evidence_retention") * 1000;
	hv->collect_max = (uint64_t)config_get_int(h->cfg, "collect_max");
	if (pause != NULL && parse_u64(pause, 0, 600, &p) == 0)
		hv->pause_s = (unsigned)p;
	if ((r = store_open(config_get_string(h->cfg, "audit_db"), 0,
	    &hv->store)) != 0) {
		snprintf(err, errlen, "cannot open the store %s: %s",
		    config_get_string(h->cfg, "audit_db"), rsg_strerror(r));
		return r;
	}
	if ((r = pki_certkey_load(config_get_string(h->cfg, "cert"),
	    config_get_string(h->cfg, "key"), &hv->cert, &chain,
	    &hv->key)) != 0) {
		snprintf(err, errlen, "cannot load the hub's key to sign "
		    "documents: %s", rsg_strerror(r));
		return r;
	}
	pki_chain_free(chain);
	if (dir == NULL)
		return 0;
	if (mk == NULL) {
		snprintf(err, errlen, "evidence_dir needs master_key");
		return RSG_ERR_CONFIG;
	}
	if (access(mk, F_OK) != 0) {
		if ((r = vault_master_key_create(mk)) != 0) {
			snprintf(err, errlen, "cannot create the master key "
			    "%s: %s", mk, rsg_strerror(r));
			return r;
		}
		log_info("created the vault master key %s", mk);
	}
	if ((r = vault_open(dir, mk, hv->store, &hv->vault)) != 0) {
		snprintf(err, errlen, "cannot open the evidence vault %s with "
		    "the master key %s: %s", dir, mk, rsg_strerror(r));
		return r;
	}
	return 0;
}

void
hub_vault_stop(struct hub *h)
{
	struct hub_vault *hv = h->vault;
	struct hv_collect *hc;

	if (hv == NULL)
		return;
	while ((hc = TAILQ_FIRST(&hv->collects)) != NULL)
		collect_fail(hc, 503, "hub shutting down", NULL);
	vault_free(hv->vault);
	store_close(hv->store);
	EVP_PKEY_free(hv->key);
	X509_free(hv->cert);
	free(hv);
	h->vault = NULL;
}
