/*
 * hub-alert.c: failure notification at the hub (R6-R8). An access point's
 * ALERT (already filtered to the allow-listed fields, and read strictly
 * again here) opens a ticket in state notified, or updates the open ticket
 * of the same device, through ticket_transition (TEV_NOTIFY): the ticket
 * row, its history step, the mark that this alert_id was handled and the
 * notifications to send are written in one transaction; then ticket.notify
 * is audited and the AP gets ACK {"ok":true,"ticket":T}. A repeated
 * alert_id (the AP resends until it sees the ACK) gets the same ticket and
 * changes nothing.
 *
 * Notifications (a mail through smtp_url, a JSON POST to webhook_url) wait
 * in the store's outbox table under the peers "@mail" and "@webhook", so a
 * hub restart loses none. One transfer runs at a time on a libcurl multi
 * handle that a libevent timer drives (curl never blocks the loop); a
 * failed one is retried with back-off (2 s doubling, capped by
 * notify_retry_max) for ever, and every attempt is audited (notify.send).
 * Mail and webhook are built only from the filtered fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "rsgate/alert.h"
#include "rsgate/config.h"
#include "rsgate/store.h"
#include "rsgate/workflow.h"

#include "hub.h"

#define NOTIFY_PEER_MAIL "@mail"
#define NOTIFY_PEER_WEBHOOK "@webhook"
#define NOTIFY_TYPE_MAIL 1
#define NOTIFY_TYPE_WEBHOOK 2
#define NOTIFY_RETRY_MIN_MS 2000
#define NOTIFY_POLL_MS 20		/* curl is driven this often, when busy */
#define NOTIFY_TIMEOUT_S 60		/* one transfer, all in */
#define NOTIFY_CONNECT_TIMEOUT_S 10
#define NOTIFY_MAIL_MAX (16 * 1024)
#define NOTIFY_PASSWORD_MAX 1024

struct notify_job {
	int64_t id;
	uint16_t type;
	uint32_t attempts;
	char ticket[STORE_TICKET_ID_MAX + 1];
	char device[ALERT_DEVICE_MAX + 1];
	CURL *easy;
	struct curl_slist *rcpt, *hdrs;
	struct rsg_buf *payload;
	char *post;
	char errbuf[CURL_ERROR_SIZE];
};

struct hub_alert {
	struct hub *hub;
	struct store *store;
	CURLM *multi;
	struct event *ev_scan, *ev_poll;
	struct notify_job *job;		/* the transfer in flight, or NULL */
	const char *smtp_url, *webhook_url;
	int64_t retry_max_ms;
	int64_t pruned_ms;		/* last seen_prune */
};

#define HUB_ALERT_SEEN_KEEP_MS (7LL * 86400 * 1000)
#define HUB_ALERT_PRUNE_EVERY_MS (3600LL * 1000)

/* ---- ticket ------------------------------------------------------------------ */

struct find_open {
	const char *ap, *device;
	char id[STORE_TICKET_ID_MAX + 1];
};

static int
find_open_cb(const struct store_ticket *t, void *arg)
{
	struct find_open *f = arg;
	enum ticket_state st;

	if (strcmp(t->ap, f->ap) != 0 || strcmp(t->device, f->device) != 0 ||
	    ticket_state_parse(t->state, &st) != 0 ||
	    ticket_state_is_final(st))
		return 0;
	/* Oldest first: the last match is the newest open ticket. */
	snprintf(f->id, sizeof(f->id), "%s", t->id);
	return 0;
}

/* A new ticket id "T-YYYYMMDD-NNNN", counted per day in the meta table. */
static int
ticket_mint(struct store *s, int64_t now_ms, char *id, size_t idlen)
{
	struct store_ticket t;
	struct rsg_buf *b = NULL;
	char key[48], day[16], val[24], *txt = NULL;
	time_t sec = (time_t)(now_ms / 1000);
	struct tm tm;
	uint64_t n = 0;
	int r;

	if (gmtime_r(&sec, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y%m%d", &tm) == 0)
		return RSG_ERR_INTERNAL;
	snprintf(key, sizeof(key), "alert.ticket_seq.%s", day);
	if ((b = buf_new(64)) == NULL)
		return RSG_ERR_NOMEM;
	r = store_meta_get(s, key, b);
	if (r == 0) {
		if ((txt = buf_dup_cstring(b)) == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
		if ((r = parse_u64(txt, 0, 99999999, &n)) != 0)
			goto out;
	} else if (r != RSG_ERR_NOT_FOUND)
		goto out;
	memset(&t, 0, sizeof(t));
	for (;;) {
		n++;
		snprintf(id, idlen, "T-%s-%04llu", day, (unsigned long long)n);
		r = store_ticket_get(s, id, &t);
		store_ticket_clear(&t);
		if (r == RSG_ERR_NOT_FOUND)
			break;
		if (r != 0)
			goto out;
	}
	snprintf(val, sizeof(val), "%llu", (unsigned long long)n);
	r = store_meta_set(s, key, val, strlen(val));
 out:
	free(txt);
	buf_free(b);
	return r;
}

/* The meta key marking alert_id of ap as handled (value: the ticket). */
static void
seen_key(const char *ap, const char *alert_id, char *key, size_t keylen)
{
	uint8_t d[32];
	unsigned int dl = sizeof(d);
	char hex[17];

	if (EVP_Digest(ap, strlen(ap), d, &dl, EVP_sha256(), NULL) != 1)
		memset(d, 0, sizeof(d));
	hex_encode(d, 8, hex);
	snprintf(key, keylen, "%s.%s", hex, alert_id);
}

/*
 * Forget handled alerts after HUB_ALERT_SEEN_KEEP_MS, checked at most once
 * an hour: an access point resends an alert until the hub acknowledges it,
 * which is seconds or, after an outage, hours; a week is far beyond that
 * and keeps the table (schema 3, alert_seen) from growing without bound.
 */
static void
seen_prune(struct hub_alert *ha, int64_t now)
{
	size_t n = 0;
	int r;

	if (now - ha->pruned_ms < HUB_ALERT_PRUNE_EVERY_MS)
		return;
	ha->pruned_ms = now;
	if ((r = store_alert_seen_prune(ha->store, now -
	    HUB_ALERT_SEEN_KEEP_MS, &n)) != 0)
		log_error("cannot prune the handled alerts: %s",
		    rsg_strerror(r));
	else if (n > 0)
		log_info("forgot %zu alert id(s) handled more than 7 days ago",
		    n);
}

static int
notify_queue(struct hub_alert *ha, const json_t *alert, const char *ticket,
    const char *event, int64_t now_ms)
{
	json_t *o;
	char *text = NULL;
	int r = 0;

	if (ha->smtp_url == NULL && ha->webhook_url == NULL)
		return 0;
	if ((o = json_deep_copy(alert)) == NULL ||
	    json_object_set_new(o, "ticket", json_string(ticket)) != 0 ||
	    json_object_set_new(o, "event", json_string(event)) != 0 ||
	    (text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if (ha->smtp_url != NULL && (r = store_outbox_add(ha->store,
	    NOTIFY_PEER_MAIL, NOTIFY_TYPE_MAIL, text, now_ms, NULL)) != 0)
		goto out;
	if (ha->webhook_url != NULL && (r = store_outbox_add(ha->store,
	    NOTIFY_PEER_WEBHOOK, NOTIFY_TYPE_WEBHOOK, text, now_ms,
	    NULL)) != 0)
		goto out;
 out:
	free(text);
	json_decref(o);
	return r;
}

/*
 * Open or update the ticket for a (valid) alert, all in one transaction.
 * *opened says which; ticket gets the id.
 */
static int
ticket_notify(struct hub_alert *ha, const struct alert *a, const json_t *body,
    const char *ap, const char *alert_id, char *ticket, size_t tlen,
    int *opened, int *repeat)
{
	struct store *s = ha->store;
	struct store_ticket t;
	struct store_ticket_step st;
	struct ticket_guard g;
	struct find_open f;
	enum ticket_state from = TICKET_NONE, to;
	const char *why = NULL;
	char key[STORE_META_KEY_MAX], detail[256], *alert_text = NULL;
	char *v = NULL;
	int64_t now = time_now_ms();
	int r, began = 0;

	memset(&t, 0, sizeof(t));
	seen_key(ap, alert_id, key, sizeof(key));
	seen_prune(ha, now);
	if ((r = store_begin(s)) != 0)
		goto out;
	began = 1;
	r = store_alert_seen_get(s, key, &v);
	if (r == 0) {
		snprintf(ticket, tlen, "%s", v);
		free(v);
		*repeat = 1;
		*opened = 0;
		store_rollback(s);
		began = 0;
		goto out;
	}
	if (r != RSG_ERR_NOT_FOUND)
		goto out;
	if ((alert_text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.ap = ap;
	f.device = a->device;
	if ((r = store_ticket_foreach(s, NULL, find_open_cb, &f)) != 0)
		goto out;
	if (f.id[0] != '\0') {
		if ((r = store_ticket_get(s, f.id, &t)) != 0 ||
		    (r = ticket_state_parse(t.state, &from)) != 0)
			goto out;
	}
	memset(&g, 0, sizeof(g));
	g.actor = TACT_DEVICE;
	g.now_ms = now;
	if ((r = ticket_transition(from, TEV_NOTIFY, &g, &to, &why)) != 0) {
		log_error("alert %s: %s", alert_id, why != NULL ? why : "");
		goto out;
	}
	if (from == TICKET_NONE) {
		if ((r = ticket_mint(s, now, ticket, tlen)) != 0)
			goto out;
		/* The row owns its strings: build it from copies. */
		if ((t.id = strdup(ticket)) == NULL ||
		    (t.ap = strdup(ap)) == NULL ||
		    (t.device = strdup(a->device)) == NULL) {
			r = RSG_ERR_NOMEM;
			goto out;
		}
		t.created_ms = now;
	} else
		snprintf(ticket, tlen, "%s", t.id);
	free(t.state);
	t.state = strdup(ticket_state_name(to));
	free(t.alert);
	t.alert = alert_text;
	alert_text = NULL;
	t.updated_ms = now;
	if (t.state == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	snprintf(detail, sizeof(detail), "alert %s: %s %s", alert_id,
	    a->error_code, alert_severity_name(a->severity));
	memset(&st, 0, sizeof(st));
	st.ticket = ticket;
	st.time_ms = now;
	st.event = ticket_event_name(TEV_NOTIFY);
	st.actor = ticket_actor_name(TACT_DEVICE);
	st.who = a->device;
	st.from_state = ticket_state_name(from);
	st.to_state = ticket_state_name(to);
	st.detail = detail;
	if ((r = store_ticket_put(s, &t)) != 0 ||
	    (r = store_ticket_history_add(s, &st)) != 0 ||
	    (r = store_alert_seen_put(s, key, ticket, now)) != 0 ||
	    (r = notify_queue(ha, body, ticket, from == TICKET_NONE ?
	    "opened" : "updated", now)) != 0 ||
	    (r = store_commit(s)) != 0)
		goto out;
	began = 0;
	*opened = from == TICKET_NONE;
	*repeat = 0;
 out:
	if (began)
		store_rollback(s);
	free(alert_text);
	store_ticket_clear(&t);
	return r;
}

static int
send_ack(struct ctl_conn *c, uint32_t id, json_t *body)
{
	struct ctl_msg m;
	int r;

	if (body == NULL)
		return 0;	/* no memory: the AP will send it again */
	memset(&m, 0, sizeof(m));
	m.type = CTL_ACK;
	m.id = id;
	m.u.json.body = body;
	r = hub_ctl_send(c, &m);
	json_decref(body);
	return r == RSG_ERR_LIMIT ? -1 : 0;
}

int
hub_alert_receive(struct ctl_conn *c, const struct ctl_msg *m)
{
	struct hub *h = c->hub;
	struct hub_alert *ha = h->alert;
	const struct ctl_hello *he = c->ap->hello != NULL ?
	    &c->ap->hello->u.hello : NULL;
	const char *site = he != NULL ? he->site : NULL;
	struct alert a;
	char err[640], id[ALERT_ID_MAX + 1], ap[ALERT_DEVICE_MAX + 1];
	char ticket[STORE_TICKET_ID_MAX + 1], why[512];
	size_t i;
	int r, opened = 0, repeat = 0, known = 0;

	err[0] = '\0';
	if (alert_from_msg(m->u.json.body, &a, id, ap, err, sizeof(err)) != 0 ||
	    strcmp(ap, c->ap->name) != 0) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "the alert names another "
			    "access point");
		(void)hub_audit(h, AUDIT_EV_ALERT_RECEIVE, AUDIT_OUTCOME_DENIED,
		    c->ap->name, "ap", c->session, NULL, site, NULL, NULL,
		    c->source, err);
		return send_ack(c, m->id, json_pack("{s:s}", "error", err));
	}
	for (i = 0; he != NULL && i < he->ndevices; i++)
		if (strcmp(he->devices[i].name, a.device) == 0)
			known = 1;
	if (!known) {
		snprintf(err, sizeof(err), "device %s is not in the inventory "
		    "of %s", a.device, c->ap->name);
		(void)hub_audit(h, AUDIT_EV_ALERT_RECEIVE, AUDIT_OUTCOME_DENIED,
		    c->ap->name, "ap", c->session, a.device, site, NULL, id,
		    c->source, err);
		return send_ack(c, m->id, json_pack("{s:s}", "error", err));
	}
	if (ha == NULL || (r = ticket_notify(ha, &a, m->u.json.body, ap, id,
	    ticket, sizeof(ticket), &opened, &repeat)) != 0) {
		/* No ACK: the AP sends it again later. */
		log_error("alert %s from %s: cannot record it: %s", id, ap,
		    ha == NULL ? "no store" : rsg_strerror(r));
		return 0;
	}
	if (repeat) {
		/*
		 * Audited too: if the first delivery's ticket.notify record
		 * could not be written, that delivery was not acknowledged
		 * and this resend is the one that leaves a record.
		 */
		snprintf(why, sizeof(why), "a resend of alert %s, already on "
		    "ticket %s: nothing changed", id, ticket);
		if (hub_audit(h, AUDIT_EV_ALERT_RECEIVE, AUDIT_OUTCOME_SUCCESS,
		    c->ap->name, "ap", c->session, a.device, site, NULL,
		    ticket, c->source, why) != 0)
			return 0;	/* not acknowledged unless audited */
	} else {
		snprintf(why, sizeof(why), "%s by alert %s: %s %s%s%s",
		    opened ? "opened" : "updated", id, a.error_code,
		    alert_severity_name(a.severity), a.model[0] != '\0' ?
		    " model " : "", a.model);
		r = hub_audit(h, AUDIT_EV_TICKET_NOTIFY, AUDIT_OUTCOME_SUCCESS,
		    c->ap->name, "ap", c->session, a.device, site, NULL,
		    ticket, c->source, why);
		if (r != 0)
			return 0;	/* not acknowledged unless audited */
		log_info("ticket %s %s by an alert from %s/%s (%s %s)", ticket,
		    opened ? "opened" : "updated", ap, a.device, a.error_code,
		    alert_severity_name(a.severity));
		printf("ticket %s %s: %s %s %s\n", ticket, opened ? "opened" :
		    "updated", a.device, a.error_code,
		    alert_severity_name(a.severity));
		fflush(stdout);
		if (ha->ev_scan != NULL)
			event_active(ha->ev_scan, EV_TIMEOUT, 0);
	}
	return send_ack(c, m->id, json_pack("{s:b, s:s}", "ok", 1, "ticket",
	    ticket));
}

/* ---- notifications ------------------------------------------------------------- */

static void
job_free(struct hub_alert *ha, struct notify_job *j)
{
	if (j == NULL)
		return;
	if (j->easy != NULL) {
		curl_multi_remove_handle(ha->multi, j->easy);
		curl_easy_cleanup(j->easy);
	}
	curl_slist_free_all(j->rcpt);
	curl_slist_free_all(j->hdrs);
	buf_free(j->payload);
	free(j->post);
	free(j);
}

static size_t
mail_read_cb(char *out, size_t size, size_t n, void *arg)
{
	struct notify_job *j = arg;
	size_t want = size * n, left = buf_len(j->payload);

	if (want > left)
		want = left;
	memcpy(out, buf_ptr(j->payload), want);
	if (buf_consume(j->payload, want) != 0)
		return CURL_READFUNC_ABORT;
	return want;
}

static size_t
discard_cb(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The mail: headers and a plain-text body, from the filtered fields only. */
static int
mail_build(struct hub_alert *ha, const struct alert *a, const char *ap,
    const char *ticket, const char *event, struct rsg_buf *b)
{
	struct config *cfg = ha->hub->cfg;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, n = config_get_count(cfg, "smtp_to");
	int r;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if ((r = buf_putf(b, "Date: %s\r\nFrom: <%s>\r\nTo: ", date,
	    config_get_string(cfg, "smtp_from"))) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = buf_putf(b, "%s<%s>", i > 0 ? ", " : "",
		    config_get_nth(cfg, "smtp_to", i))) != 0)
			return r;
	return buf_putf(b, "\r\n"
	    "Subject: [rsgate] %s %s: %s %s (%s)\r\n"
	    "Message-ID: <%s.%lld@%s>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n"
	    "A device reported a failure; rsgate %s ticket %s.\r\n"
	    "\r\n"
	    "Ticket:        %s\r\n"
	    "Access point:  %s\r\n"
	    "Device:        %s\r\n"
	    "Model:         %s\r\n"
	    "Error code:    %s\r\n"
	    "Severity:      %s\r\n"
	    "Time:          %s\r\n"
	    "Message id:    %s\r\n"
	    "\r\n"
	    "To work on it: rsgate request --ticket %s --device %s ...\r\n"
	    "This mail carries only the fields above; the access point drops "
	    "anything else\r\na device sends.\r\n",
	    ticket, event, a->device, a->error_code,
	    alert_severity_name(a->severity), ticket, (long long)time_now_ms(),
	    ha->hub->name, event, ticket, ticket, ap, a->device,
	    a->model[0] != '\0' ? a->model : "-", a->error_code,
	    alert_severity_name(a->severity), a->time,
	    a->message_id[0] != '\0' ? a->message_id : "-", ticket, a->device);
}

static int
password_load(const char *path, char *out, size_t outlen)
{
	struct rsg_buf *b = NULL;
	size_t n;
	int r;

	if ((r = file_read_all(path, outlen - 1, &b)) != 0)
		return r;
	n = buf_len(b);
	while (n > 0 && (buf_ptr(b)[n - 1] == '\n' || buf_ptr(b)[n - 1] == '\r'))
		n--;
	memcpy(out, buf_ptr(b), n);
	out[n] = '\0';
	buf_free(b);
	return 0;
}

/* Set up the transfer for one outbox row. */
static int
job_start(struct hub_alert *ha, struct notify_job *j, const char *text)
{
	struct config *cfg = ha->hub->cfg;
	json_t *o = NULL;
	struct alert a;
	const char *ticket, *event, *ca = config_get_string(cfg, "smtp_ca");
	const char *pwf = config_get_string(cfg, "smtp_password_file");
	char err[256], id[ALERT_ID_MAX + 1], ap[ALERT_DEVICE_MAX + 1];
	char pw[NOTIFY_PASSWORD_MAX], sender[300], ev[16];
	size_t i;
	int r = RSG_ERR_FORMAT;

	if ((o = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    (ticket = json_string_value(json_object_get(o, "ticket"))) ==
	    NULL || (event = json_string_value(json_object_get(o,
	    "event"))) == NULL ||
	    strlen(ticket) > STORE_TICKET_ID_MAX || (strcmp(event, "opened") !=
	    0 && strcmp(event, "updated") != 0))
		goto out;
	snprintf(j->ticket, sizeof(j->ticket), "%s", ticket);
	snprintf(ev, sizeof(ev), "%s", event);
	if ((j->post = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	/* ticket and event point into o: use the copies from here on. */
	json_object_del(o, "ticket");
	json_object_del(o, "event");
	/* Re-validated: nothing but the allow-listed fields goes out. */
	if (alert_from_msg(o, &a, id, ap, err, sizeof(err)) != 0)
		goto out;
	snprintf(j->device, sizeof(j->device), "%s", a.device);
	r = RSG_ERR_NOMEM;
	if ((j->easy = curl_easy_init()) == NULL)
		goto out;
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT, (long)NOTIFY_TIMEOUT_S);
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT,
	    (long)NOTIFY_CONNECT_TIMEOUT_S);
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	if (j->type == NOTIFY_TYPE_MAIL) {
		if ((j->payload = buf_new(NOTIFY_MAIL_MAX)) == NULL ||
		    (r = mail_build(ha, &a, ap, j->ticket, ev,
		    j->payload)) != 0)
			goto out;
		r = RSG_ERR_NOMEM;
		for (i = 0; i < config_get_count(cfg, "smtp_to"); i++) {
			struct curl_slist *l;

			snprintf(sender, sizeof(sender), "<%s>",
			    config_get_nth(cfg, "smtp_to", i));
			if ((l = curl_slist_append(j->rcpt, sender)) == NULL)
				goto out;
			j->rcpt = l;
		}
		snprintf(sender, sizeof(sender), "<%s>",
		    config_get_string(cfg, "smtp_from"));
		curl_easy_setopt(j->easy, CURLOPT_URL, ha->smtp_url);
		curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(j->easy, CURLOPT_MAIL_FROM, sender);
		curl_easy_setopt(j->easy, CURLOPT_MAIL_RCPT, j->rcpt);
		curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, mail_read_cb);
		curl_easy_setopt(j->easy, CURLOPT_READDATA, j);
		curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(j->easy, CURLOPT_USE_SSL,
		    strcmp(config_get_string(cfg, "smtp_tls"), "require") == 0 ?
		    (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
		if (ca != NULL)
			curl_easy_setopt(j->easy, CURLOPT_CAINFO, ca);
		if (config_get_string(cfg, "smtp_user") != NULL)
			curl_easy_setopt(j->easy, CURLOPT_USERNAME,
			    config_get_string(cfg, "smtp_user"));
		if (pwf != NULL) {
			if ((r = password_load(pwf, pw, sizeof(pw))) != 0) {
				snprintf(j->errbuf, sizeof(j->errbuf),
				    "cannot read smtp_password_file: %s",
				    rsg_strerror(r));
				goto out;
			}
			curl_easy_setopt(j->easy, CURLOPT_PASSWORD, pw);
			mem_wipe(pw, sizeof(pw));	/* curl has its copy */
		}
	} else {
		if ((j->hdrs = curl_slist_append(NULL,
		    "Content-Type: application/json")) == NULL)
			goto out;
		curl_easy_setopt(j->easy, CURLOPT_URL, ha->webhook_url);
		curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
		curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->post);
		curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, discard_cb);
	}
	if (curl_multi_add_handle(ha->multi, j->easy) != CURLM_OK)
		goto out;
	r = 0;
 out:
	json_decref(o);
	return r;
}

static void
poll_arm(struct hub_alert *ha)
{
	struct timeval tv = { 0, NOTIFY_POLL_MS * 1000 };

	evtimer_add(ha->ev_poll, &tv);
}

/* The transfer ended: delete the row, or schedule its retry. Audited. */
static void
job_done(struct hub_alert *ha, struct notify_job *j, int ok,
    const char *why)
{
	struct hub *h = ha->hub;
	char reason[CURL_ERROR_SIZE + 128];
	int64_t delay = NOTIFY_RETRY_MIN_MS;
	uint32_t i;
	const char *what = j->type == NOTIFY_TYPE_MAIL ? "mail" : "webhook";
	int r;

	if (ok) {
		if ((r = store_outbox_delete(ha->store, j->id)) != 0)
			log_error("%s for %s sent, but cannot drop it from the "
			    "queue: %s", what, j->ticket, rsg_strerror(r));
		if (j->type == NOTIFY_TYPE_MAIL)
			snprintf(reason, sizeof(reason), "mail sent to %zu "
			    "recipient(s)", config_get_count(h->cfg, "smtp_to"));
		else
			snprintf(reason, sizeof(reason), "webhook accepted");
		(void)hub_audit(h, AUDIT_EV_NOTIFY_SEND, AUDIT_OUTCOME_SUCCESS,
		    NULL, "hub", NULL, j->device, NULL, what, j->ticket, NULL,
		    reason);
		log_info("ticket %s: %s", j->ticket, reason);
		return;
	}
	for (i = 0; i < j->attempts && delay < ha->retry_max_ms; i++)
		delay *= 2;
	if (delay > ha->retry_max_ms)
		delay = ha->retry_max_ms;
	if ((r = store_outbox_retry(ha->store, j->id, time_now_ms() +
	    delay)) != 0)
		log_error("%s for %s: cannot schedule the retry: %s", what,
		    j->ticket, rsg_strerror(r));
	snprintf(reason, sizeof(reason), "%s failed (attempt %u): %s; next "
	    "attempt in %llds", what, j->attempts + 1, why,
	    (long long)(delay + 999) / 1000);
	(void)hub_audit(h, AUDIT_EV_NOTIFY_SEND, AUDIT_OUTCOME_FAILURE, NULL,
	    "hub", NULL, j->device, NULL, what, j->ticket, NULL, reason);
	log_warn("ticket %s: %s", j->ticket, reason);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hub_alert *ha = arg;
	struct notify_job *j = ha->job;
	CURLMsg *msg;
	long code = 0;
	int running = 0, left, ok;
	char why[CURL_ERROR_SIZE + 64];

	(void)fd;
	(void)what;
	if (j == NULL)
		return;
	curl_multi_perform(ha->multi, &running);
	while ((msg = curl_multi_info_read(ha->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		ok = msg->data.result == CURLE_OK;
		snprintf(why, sizeof(why), "%s", j->errbuf[0] != '\0' ?
		    j->errbuf : curl_easy_strerror(msg->data.result));
		if (ok && j->type == NOTIFY_TYPE_WEBHOOK) {
			curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE,
			    &code);
			if (code < 200 || code > 299) {
				ok = 0;
				snprintf(why, sizeof(why), "HTTP status %ld",
				    code);
			}
		}
		job_done(ha, j, ok, why);
		job_free(ha, j);
		ha->job = NULL;
		event_active(ha->ev_scan, EV_TIMEOUT, 0);
		return;
	}
	poll_arm(ha);
}

struct due {
	int64_t now;
	int64_t id;
	uint16_t type;
	uint32_t attempts;
	char *body;
};

static int
due_cb(const struct store_outbox_row *row, void *arg)
{
	struct due *d = arg;

	if (row->next_ms > d->now)
		return 0;
	if ((d->body = strdup(row->body)) == NULL)
		return RSG_ERR_NOMEM;
	d->id = row->id;
	d->type = row->type;
	d->attempts = row->attempts;
	return 1;
}

/* Start the next due notification, if none is running. */
static void
scan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hub_alert *ha = arg;
	struct notify_job *j;
	struct due d;
	int r;

	(void)fd;
	(void)what;
	if (ha->job != NULL)
		return;
	memset(&d, 0, sizeof(d));
	d.now = time_now_ms();
	r = 0;
	if (ha->smtp_url != NULL)
		r = store_outbox_foreach(ha->store, NOTIFY_PEER_MAIL, due_cb,
		    &d);
	if (d.body == NULL && r >= 0 && ha->webhook_url != NULL)
		r = store_outbox_foreach(ha->store, NOTIFY_PEER_WEBHOOK, due_cb,
		    &d);
	if (d.body == NULL) {
		if (r < 0)
			log_error("notification queue: %s", rsg_strerror(r));
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		free(d.body);
		return;
	}
	j->id = d.id;
	j->type = d.type;
	j->attempts = d.attempts;
	r = job_start(ha, j, d.body);
	free(d.body);
	if (r != 0) {
		job_done(ha, j, 0, j->errbuf[0] != '\0' ? j->errbuf :
		    rsg_strerror(r));
		job_free(ha, j);
		return;
	}
	ha->job = j;
	poll_cb(-1, 0, ha);
}

/* ---- start and stop ------------------------------------------------------------- */

int
hub_alert_check(struct config *cfg, char *err, size_t errlen)
{
	const char *u = config_get_string(cfg, "smtp_url");
	const char *w = config_get_string(cfg, "webhook_url");

	if (u != NULL && strncmp(u, "smtp://", 7) != 0 &&
	    strncmp(u, "smtps://", 8) != 0) {
		snprintf(err, errlen, "smtp_url must start with smtp:// or "
		    "smtps://");
		return RSG_ERR_CONFIG;
	}
	if (u != NULL && (config_get_string(cfg, "smtp_from") == NULL ||
	    config_get_count(cfg, "smtp_to") == 0)) {
		snprintf(err, errlen, "smtp_url needs smtp_from and at least "
		    "one smtp_to");
		return RSG_ERR_CONFIG;
	}
	if (w != NULL && strncmp(w, "http://", 7) != 0 &&
	    strncmp(w, "https://", 8) != 0) {
		snprintf(err, errlen, "webhook_url must start with http:// or "
		    "https://");
		return RSG_ERR_CONFIG;
	}
	return 0;
}

int
hub_alert_start(struct hub *h, char *err, size_t errlen)
{
	struct hub_alert *ha;
	struct timeval one = { 1, 0 };
	const char *db = config_get_string(h->cfg, "audit_db");
	int r;

	if ((ha = calloc(1, sizeof(*ha))) == NULL)
		return RSG_ERR_NOMEM;
	h->alert = ha;
	ha->hub = h;
	ha->smtp_url = config_get_string(h->cfg, "smtp_url");
	ha->webhook_url = config_get_string(h->cfg, "webhook_url");
	ha->retry_max_ms = config_get_int(h->cfg, "notify_retry_max") * 1000;
	if ((r = store_open(db, STORE_CREATE, &ha->store)) != 0) {
		snprintf(err, errlen, "%s: cannot open the store: %s", db,
		    rsg_strerror(r));
		return r;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (ha->multi = curl_multi_init()) == NULL ||
	    (ha->ev_poll = evtimer_new(h->base, poll_cb, ha)) == NULL ||
	    (ha->ev_scan = event_new(h->base, -1, EV_PERSIST, scan_cb,
	    ha)) == NULL || event_add(ha->ev_scan, &one) != 0) {
		snprintf(err, errlen, "cannot set up notifications");
		return RSG_ERR_NOMEM;
	}
	return 0;
}

void
hub_alert_stop(struct hub *h)
{
	struct hub_alert *ha = h->alert;

	if (ha == NULL)
		return;
	/* A transfer cut here stays queued and is sent after a restart. */
	job_free(ha, ha->job);
	if (ha->ev_poll != NULL)
		event_free(ha->ev_poll);
	if (ha->ev_scan != NULL)
		event_free(ha->ev_scan);
	if (ha->multi != NULL) {
		curl_multi_cleanup(ha->multi);
		curl_global_cleanup();
	}
	store_close(ha->store);
	free(ha);
	h->alert = NULL;
}
