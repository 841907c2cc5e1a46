/*
 * ap.c: main() of rsgate-ap, the access point at the hospital. It reads
 * its config (the hub to dial, its certificate, the device inventory and
 * the standing policy), opens its own audit log (created on first start),
 * and runs one libevent loop: the control channel to the hub (ap-ctl.c)
 * and the streams the hub asks for (ap-stream.c). The AP listens on
 * nothing: every connection is outbound. It runs in the foreground;
 * SIGTERM or SIGINT ends the streams, writes their audit records, closes
 * the log with a final checkpoint and exits 0.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "rsgate/audit.h"
#include "rsgate/bridge.h"
#include "rsgate/config.h"
#include "rsgate/inventory.h"
#include "rsgate/pki.h"
#include "rsgate/policy.h"
#include "rsgate/tls.h"
#include "rsgate/util.h"

#include "ap.h"

extern const struct config_table ap_config_table;

static void
usage(FILE *f)
{
	struct rsg_buf *b;

	fprintf(f,
	    "usage: rsgate-ap -c FILE [-t | -T]\n"
	    "       rsgate-ap --help | --version\n"
	    "\n"
	    "The rsgate access point: dials the hub, reports its device\n"
	    "inventory and opens tunnels to device services that its standing\n"
	    "policy allows. Runs in the foreground; SIGTERM stops it.\n"
	    "\n"
	    "  -c FILE   the configuration file (required)\n"
	    "  -t        check the configuration and exit (0 when valid)\n"
	    "  -T        print the effective configuration, secrets redacted\n"
	    "\n");
	if ((b = buf_new(0)) != NULL &&
	    config_help_text(&ap_config_table, b) == 0)
		fwrite(buf_ptr(b), 1, buf_len(b), f);
	buf_free(b);
}

static int
ap_audit_append(struct ap *ap, struct audit_record *r, int durable)
{
	int e;

	if (r->f[AUDIT_F_SITE] == NULL)
		r->f[AUDIT_F_SITE] = ap->site;
	if ((e = durable ? audit_append(ap->audit, r) :
	    audit_append_nosync(ap->audit, r)) != 0)
		log_error("audit log: cannot append %s: %s",
		    audit_event_name(r->event), rsg_strerror(e));
	else
		ap->audit_unsynced = !durable;	/* a fsync covers all */
	return e;
}

int
ap_audit_sync(struct ap *ap)
{
	int e;

	if (!ap->audit_unsynced)
		return 0;
	if ((e = audit_sync(ap->audit)) != 0)
		return e;
	ap->audit_unsynced = 0;
	return 0;
}

int
ap_audit(struct ap *ap, struct audit_record *r)
{
	return ap_audit_append(ap, r, 1);
}

int
ap_audit_nosync(struct ap *ap, struct audit_record *r)
{
	return ap_audit_append(ap, r, 0);
}

/*
 * The semantic checks -t makes beyond the table: inventory and policy
 * lines, the hub address. err names the key and its value index.
 */
static int
ap_build(struct ap *ap, const char *path, char *err, size_t errlen)
{
	static const char *const multi[] = { "device", "service", "group",
		"allow" };
	char why[256], qv[128];
	const char *v;
	size_t i, k, n;
	int r = 0;

	if ((r = inventory_new(&ap->inv)) != 0 ||
	    (r = policy_new(&ap->pol)) != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return r;
	}
	for (k = 0; k < 4; k++) {
		n = config_get_count(ap->cfg, multi[k]);
		for (i = 0; i < n; i++) {
			v = config_get_nth(ap->cfg, multi[k], i);
			why[0] = '\0';
			switch (k) {
			case 0:
				r = inventory_add_device(ap->inv, v, why,
				    sizeof(why));
				break;
			case 1:
				r = inventory_add_service(ap->inv, v, why,
				    sizeof(why));
				break;
			case 2:
				r = policy_add_group(ap->pol, v, why,
				    sizeof(why));
				break;
			default:
				r = policy_add_rule(ap->pol, v, why,
				    sizeof(why));
				break;
			}
			if (r != 0) {
				snprintf(err, errlen, "%s: %s #%zu \"%s\": %s",
				    path, multi[k], i + 1,
				    str_escape(v, qv, sizeof(qv)),
				    why[0] != '\0' ? why : rsg_strerror(r));
				return r;
			}
		}
	}
	ap->name = config_get_string(ap->cfg, "name");
	ap->site = config_get_string(ap->cfg, "site");
	ap->hub = config_get_string(ap->cfg, "hub");
	if (ctl_hostport_split(ap->hub, ap->hub_host, sizeof(ap->hub_host),
	    &ap->hub_port) != 0) {
		snprintf(err, errlen, "%s: hub \"%s\": want HOST:PORT", path,
		    str_escape(ap->hub, qv, sizeof(qv)));
		return RSG_ERR_CONFIG;
	}
	ap->heartbeat_s = (uint64_t)config_get_int(ap->cfg, "heartbeat");
	ap->dead_after_s = (uint64_t)config_get_int(ap->cfg, "dead_after");
	ap->reconnect_max_s = (uint64_t)config_get_int(ap->cfg,
	    "reconnect_max");
	ap->max_streams = (size_t)config_get_int(ap->cfg, "max_streams");
	ap->handshake_timeout_s = (uint64_t)config_get_int(ap->cfg,
	    "handshake_timeout");
	if (ap->dead_after_s <= ap->heartbeat_s) {
		snprintf(err, errlen, "%s: dead_after must be longer than "
		    "heartbeat", path);
		return RSG_ERR_CONFIG;
	}
	return 0;
}

static int
ap_tls_setup(struct ap *ap, char *err, size_t errlen)
{
	struct tls_ctx_conf tc;
	struct x509_st *cert = NULL;
	char cn[4 * 64 + 1];
	int r;

	memset(&tc, 0, sizeof(tc));
	tc.cert = config_get_string(ap->cfg, "cert");
	tc.key = config_get_string(ap->cfg, "key");
	tc.ca = config_get_string(ap->cfg, "ca");
	tc.crl = config_get_string(ap->cfg, "crl");
	tc.side = TLS_CLIENT;
	tc.peer_roles = PKI_ROLE_HUB;
	if ((r = tls_ctx_new(&tc, &ap->ctl_tls, err, errlen)) != 0)
		return r;
	/* The hub knows the AP by its certificate: the names must agree. */
	if ((r = pki_cert_load(tc.cert, &cert)) != 0 ||
	    (r = pki_cert_subject_cn(cert, cn, sizeof(cn))) != 0 ||
	    (pki_cert_roles(cert) & PKI_ROLE_AP) == 0 ||
	    strcmp(cn, ap->name) != 0) {
		snprintf(err, errlen, "%s: not an access point certificate "
		    "for \"%s\" (name must equal its CN, role ap)", tc.cert,
		    ap->name);
		pki_cert_free(cert);
		return r != 0 ? r : RSG_ERR_CONFIG;
	}
	pki_cert_free(cert);
	tc.side = TLS_SERVER;
	tc.peer_roles = PKI_ROLE_ENGINEER;
	tc.resume_secs = (unsigned)config_get_int(ap->cfg,
	    "stream_resumption");
	return tls_ctx_new(&tc, &ap->stream_tls, err, errlen);
}

/* Open the AP's audit log, creating the key and the log on first start. */
static int
ap_audit_open(struct ap *ap, char *err, size_t errlen)
{
	const char *db = config_get_string(ap->cfg, "audit_db");
	const char *key = config_get_string(ap->cfg, "audit_key");
	struct stat st;
	int r;

	if (stat(key, &st) != 0 && errno == ENOENT &&
	    (r = audit_key_generate(key)) != 0) {
		snprintf(err, errlen, "%s: cannot create audit key: %s", key,
		    rsg_strerror(r));
		return r;
	}
	r = audit_open(db, key, NULL, &ap->audit);
	if (r == RSG_ERR_NOT_FOUND)
		r = audit_create(db, key, NULL, &ap->audit);
	if (r != 0)
		snprintf(err, errlen, "%s: cannot open audit log: %s", db,
		    rsg_strerror(r));
	return r;
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ap *ap = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	ap->stopping = 1;
	event_base_loopexit(ap->base, NULL);
}

/*
 * Re-read the CRL when `rsgate pki revoke` rewrote it, so that the AP
 * refuses a revoked engineer inside the tunnel (and a revoked hub) without
 * a restart, whatever the hub decides (R5, R20).
 */
static void
crl_check(struct ap *ap)
{
	char err[256];
	int r1 = 0, r2 = 0;

	if (tls_ctx_refresh_crl(ap->ctl_tls, &r1, err, sizeof(err)) != 0 ||
	    tls_ctx_refresh_crl(ap->stream_tls, &r2, err, sizeof(err)) != 0) {
		/* The old list stays in force; try again next tick. */
		log_error("cannot reload the revocation list: %s", err);
		return;
	}
	if (r1 || r2) {
		log_info("reloaded the revocation list");
		ap_vault_trust_reload(ap);
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ap *ap = arg;
	int r;

	(void)fd;
	(void)what;
	if ((r = audit_tick(ap->audit)) != 0)
		log_error("audit checkpoint: %s", rsg_strerror(r));
	if ((r = ap_audit_sync(ap)) != 0)
		log_error("audit log: cannot flush: %s", rsg_strerror(r));
	crl_check(ap);
}

static void
ap_free(struct ap *ap)
{
	if (ap->ev_tick != NULL)
		event_free(ap->ev_tick);
	if (ap->ev_term != NULL)
		event_free(ap->ev_term);
	if (ap->ev_int != NULL)
		event_free(ap->ev_int);
	tls_ctx_free(ap->ctl_tls);
	tls_ctx_free(ap->stream_tls);
	inventory_free(ap->inv);
	policy_free(ap->pol);
	config_free(ap->cfg);
	/* Lookups still running (a bufferevent's) fail and let go of it. */
	if (ap->dns != NULL)
		evdns_base_free(ap->dns, 1);
	if (ap->base != NULL)
		event_base_free(ap->base);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ap ap;
	struct rsg_buf *dump = NULL;
	const struct timeval tick = { AP_AUDIT_TICK_S, 0 };
	const char *path = NULL;
	enum log_level level;
	char err[1024];
	int c, check = 0, print = 0, ex = 1;

	memset(&ap, 0, sizeof(ap));
	ap.admin_fd = -1;
	TAILQ_INIT(&ap.streams);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:tTh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'T':
			print = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rsgate-ap %s\n", RSGATE_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "rsgate-ap: option '%s' needs a "
			    "value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "rsgate-ap: unknown option '%s'; try "
			    "'rsgate-ap --help'\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rsgate-ap: unexpected argument '%s'\n",
		    argv[optind]);
		return 2;
	}
	if (path == NULL) {
		fprintf(stderr, "rsgate-ap: -c FILE is required\n");
		return 2;
	}
	log_init("rsgate-ap", LOG_LEVEL_INFO);
	if (config_new(&ap_config_table, &ap.cfg) != 0) {
		fprintf(stderr, "rsgate-ap: out of memory\n");
		return 1;
	}
	if (config_load_file(ap.cfg, path, err, sizeof(err)) != 0 ||
	    config_validate(ap.cfg, err, sizeof(err)) != 0 ||
	    ap_build(&ap, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate-ap: %s\n", err);
		goto out;
	}
	if (log_level_parse(config_get_string(ap.cfg, "log_level"),
	    &level) == 0)
		log_init("rsgate-ap", level);
	if (check && ap_alert_check(&ap, err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate-ap: %s: %s\n", path, err);
		goto out;
	}
	if (check) {
		printf("%s: configuration is valid\n", path);
		ex = 0;
		goto out;
	}
	if (print) {
		if ((dump = buf_new(0)) == NULL ||
		    config_dump(ap.cfg, dump) != 0) {
			fprintf(stderr, "rsgate-ap: cannot print config\n");
			goto out;
		}
		fwrite(buf_ptr(dump), 1, buf_len(dump), stdout);
		ex = 0;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (ap_tls_setup(&ap, err, sizeof(err)) != 0 ||
	    ap_audit_open(&ap, err, sizeof(err)) != 0 ||
	    ap_vault_start(&ap, err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate-ap: %s\n", err);
		goto out;
	}
	if ((ap.base = bridge_base_new()) == NULL ||
	    (ap.dns = evdns_base_new(ap.base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL ||
	    (ap.ev_term = evsignal_new(ap.base, SIGTERM, signal_cb,
	    &ap)) == NULL ||
	    (ap.ev_int = evsignal_new(ap.base, SIGINT, signal_cb,
	    &ap)) == NULL ||
	    (ap.ev_tick = event_new(ap.base, -1, EV_PERSIST, tick_cb,
	    &ap)) == NULL ||
	    evsignal_add(ap.ev_term, NULL) != 0 ||
	    evsignal_add(ap.ev_int, NULL) != 0 ||
	    event_add(ap.ev_tick, &tick) != 0) {
		fprintf(stderr, "rsgate-ap: cannot set up the event loop\n");
		goto out;
	}
	if (ap_ticket_start(&ap, err, sizeof(err)) != 0 ||
	    ap_admin_start(&ap, err, sizeof(err)) != 0 ||
	    ap_alert_start(&ap, err, sizeof(err)) != 0) {
		fprintf(stderr, "rsgate-ap: %s\n", err);
		goto out;
	}
	if (ap_ctl_start(&ap) != 0) {
		fprintf(stderr, "rsgate-ap: cannot start the control "
		    "channel\n");
		goto out;
	}
	if (event_base_dispatch(ap.base) != 0) {
		fprintf(stderr, "rsgate-ap: event loop failed\n");
		goto out;
	}
	ex = 0;
 out:
	if (ap.base != NULL) {
		ap_stream_close_all(&ap, "access point shutting down");
		ap_ctl_stop(&ap);
		ap_admin_stop(&ap);
		ap_alert_stop(&ap);
	}
	ap_vault_stop(&ap);
	ap_ticket_stop(&ap);
	if (ap.audit != NULL && audit_close(ap.audit) != 0) {
		fprintf(stderr, "rsgate-ap: audit log: final checkpoint "
		    "failed\n");
		ex = 1;
	}
	buf_free(dump);
	ap_free(&ap);
	return ex;
}
