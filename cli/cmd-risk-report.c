/*
 * cmd-risk-report.c: `rsgate risk report` evaluates the risk register
 * (the built-in one, or --register FILE) against the facts the system
 * establishes and prints one report format. Facts come from constants in
 * the code, the hub's and the AP's config files, a running hub's
 * GET /v1/facts and an AP's admin socket (--live), and last a --facts JSON
 * file for what-if analysis; a later source overrides an earlier one. Exit
 * 1 when any row is treat or reopened, so cron can alarm on drift.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "rsgate/config.h"
#include "rsgate/risk.h"

#include "cli-api.h"
#include "rsgate.h"

#define RISK_FACTS_REPLY_MAX (1024 * 1024)

extern const struct config_table hub_config_table;
extern const struct config_table ap_config_table;

struct reply {
	struct rsg_buf *b;
};

static size_t
reply_write(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	return buf_put(r->b, p, size * n) == 0 ? size * n : 0;
}

/*
 * The AP's side of --live: GET /v1/facts over the AP's admin interface
 * (HTTP + JSON on a Unix socket, the AP config's admin_socket). Returns
 * the facts JSON text in *out.
 */
static int
ap_facts_fetch(const char *socket_path, struct rsg_buf **out, char *err,
    size_t errlen)
{
	struct reply r;
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int rc = RSG_ERR_IO;

	if ((r.b = buf_new(RISK_FACTS_REPLY_MAX)) == NULL)
		return RSG_ERR_NOMEM;
	if ((c = curl_easy_init()) == NULL) {
		rc = RSG_ERR_NOMEM;
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(c, CURLOPT_URL, "http://localhost/v1/facts");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", socket_path,
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(err, errlen, "%s: GET /v1/facts: HTTP %ld",
		    socket_path, status);
		goto out;
	}
	*out = r.b;
	r.b = NULL;
	rc = 0;
 out:
	if (c != NULL)
		curl_easy_cleanup(c);
	buf_free(r.b);
	return rc;
}

/*
 * The AP's GET /v1/facts reply as facts. A reply with a "facts" object
 * (the --facts format) is taken as it is; otherwise the AP's own fields
 * (ap/ap-admin.c) are mapped to the register's fact names.
 */
static int
ap_facts_parse(struct risk_facts *f, const char *text, size_t len,
    char *err, size_t errlen)
{
	static const struct {
		const char *field, *fact;
	} map[] = {
		{ "emergency_access", "session.emergency_access" },
		{ "idle_timeout_s", "session.idle_timeout_secs" },
		{ "max_session_s", "session.max_secs" },
		{ "sessions_per_device", "session.per_device" },
		{ "standing_policies", "policy.standing_rules" },
		{ "alert_listen", "alert.enabled" },
		{ "admin_socket", "ap.admin_socket" },
	};
	json_error_t je;
	json_t *in, *out = NULL, *v;
	const char *mode;
	char *t = NULL;
	size_t i;
	int rc = RSG_ERR_FORMAT;

	if ((in = json_loadb(text, len, 0, &je)) == NULL ||
	    !json_is_object(in)) {
		snprintf(err, errlen, "GET /v1/facts: not a JSON object");
		goto out;
	}
	if (json_is_object(json_object_get(in, "facts"))) {
		rc = risk_facts_from_json(f, text, len, err, errlen);
		goto out;
	}
	if ((out = json_object()) == NULL) {
		rc = RSG_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((v = json_object_get(in, map[i].field)) != NULL &&
		    (json_is_boolean(v) || json_is_integer(v)))
			json_object_set(out, map[i].fact, v);
	/* The alert field allow-list is fixed in the AP that has alerts. */
	if (json_is_boolean(json_object_get(in, "alert_listen")))
		json_object_set_new(out, "alert.fixed_fields", json_true());
	if ((mode = json_string_value(json_object_get(in, "approval"))) != NULL) {
		v = json_object_get(in, "standing_policies");
		json_object_set_new(out, "session.approval", json_string(
		    strcmp(mode, "none") == 0 ? "none" : json_is_integer(v) &&
		    json_integer_value(v) > 0 ? "standing" : "per_session"));
	}
	if ((t = json_dumps(out, JSON_COMPACT)) == NULL) {
		rc = RSG_ERR_NOMEM;
		goto out;
	}
	rc = risk_facts_from_json(f, t, strlen(t), err, errlen);
 out:
	free(t);
	json_decref(out);
	json_decref(in);
	return rc;
}

/* The hub's side of --live: GET /v1/facts on its HTTPS API. */
static int
hub_facts_fetch(struct risk_facts *f, char *err, size_t errlen)
{
	const char *hub = cli_option_or_config(NULL, "hub");
	const char *cert = cli_option_or_config(NULL, "cert");
	const char *key = cli_option_or_config(NULL, "key");
	const char *ca = cli_option_or_config(NULL, "ca");
	struct api *api = NULL;
	json_t *rep = NULL;
	char *text = NULL;
	long status;
	int rc = RSG_ERR_IO;

	if (hub == NULL || cert == NULL || key == NULL || ca == NULL) {
		snprintf(err, errlen, "--live needs the config keys hub, "
		    "cert, key and ca (rsgate -c FILE)");
		return RSG_ERR_INVALID_ARG;
	}
	if (api_new(hub, cert, key, ca, &api, err, errlen) != 0 ||
	    api_request(api, "GET", "/v1/facts", NULL, &status, &rep, err,
	    errlen) != 0)
		goto out;
	if (status != 200) {
		api_error_text(status, rep, err, errlen);
		goto out;
	}
	if ((text = json_dumps(rep, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "hub: no facts in the reply");
		goto out;
	}
	rc = risk_facts_from_json(f, text, strlen(text), err, errlen);
 out:
	free(text);
	json_decref(rep);
	api_free(api);
	return rc;
}

static int
load_config(const struct config_table *t, const char *path,
    struct config **out, char *err, size_t errlen)
{
	struct config *c = NULL;
	int rc;

	if ((rc = config_new(t, &c)) != 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	if ((rc = config_load_file(c, path, err, errlen)) != 0) {
		config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int
parse_at(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int
cmd_risk_report_exec(const struct cmd_entry *self, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "register", required_argument, NULL, 'r' },
		{ "hub-config", required_argument, NULL, 'H' },
		{ "ap-config", required_argument, NULL, 'P' },
		{ "live", no_argument, NULL, 'l' },
		{ "ap-socket", required_argument, NULL, 'S' },
		{ "facts", required_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'f' },
		{ "report", required_argument, NULL, 'R' },
		{ "out", required_argument, NULL, 'o' },
		{ "at", required_argument, NULL, 'a' },
		{ "summary", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *regpath = NULL, *hubcfg = NULL, *apcfg = NULL;
	const char *factsfile = NULL, *format = NULL, *outpath = NULL;
	const char *apsock = NULL, *at = NULL;
	struct risk_register *reg = NULL;
	struct risk_facts *facts = NULL;
	struct risk_eval *ev = NULL;
	struct config *cfg = NULL;
	struct rsg_buf *out = NULL, *fb = NULL;
	enum risk_format fmt = RISK_FMT_MD;
	enum risk_report which = RISK_REPORT_TABLE;
	int xlsx = 0, live = 0, summary = 0, o, ex = EXIT_OK, rc;
	int64_t now = time_now_ms() / 1000;
	char err[RISK_ERR_MAX + 128];

	while ((o = cli_getopt(self, argc, argv, "", longopts, &ex)) != -1) {
		switch (o) {
		case -2:
			return ex;
		case 'r': regpath = optarg; break;
		case 'H': hubcfg = optarg; break;
		case 'P': apcfg = optarg; break;
		case 'l': live = 1; break;
		case 'S': apsock = optarg; break;
		case 'F': factsfile = optarg; break;
		case 'f': format = optarg; break;
		case 'o': outpath = optarg; break;
		case 'a': at = optarg; break;
		case 's': summary = 1; break;
		case 'R':
			if (strcmp(optarg, "table") == 0)
				which = RISK_REPORT_TABLE;
			else if (strcmp(optarg, "soa") == 0)
				which = RISK_REPORT_SOA;
			else if (strcmp(optarg, "mds2") == 0)
				which = RISK_REPORT_MDS2;
			else
				return cli_usage_error(self, "--report takes "
				    "table, soa or mds2");
			break;
		default:
			return cli_usage_error(self, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(self, "unexpected argument '%s'",
		    argv[optind]);
	if (format == NULL && !summary)
		return cli_usage_error(self, "--format md|html|csv|xlsx|json "
		    "is required");
	if (format == NULL || strcmp(format, "md") == 0)
		fmt = RISK_FMT_MD;
	else if (strcmp(format, "html") == 0)
		fmt = RISK_FMT_HTML;
	else if (strcmp(format, "csv") == 0)
		fmt = RISK_FMT_CSV;
	else if (strcmp(format, "json") == 0)
		fmt = RISK_FMT_JSON;
	else if (strcmp(format, "xlsx") == 0)
		xlsx = 1;
	else
		return cli_usage_error(self, "unknown format '%s' (md, html, "
		    "csv, xlsx, json)", format);
	if (xlsx && outpath == NULL)
		return cli_usage_error(self, "--format xlsx needs --out FILE");
	if (apsock != NULL && !live)
		return cli_usage_error(self, "--ap-socket goes with --live");
	if (at != NULL && parse_at(at, &now) != 0)
		return cli_usage_error(self, "--at takes a date YYYY-MM-DD");

	rc = regpath != NULL ? risk_register_load_file(regpath, &reg, err,
	    sizeof(err)) : risk_register_load_builtin(&reg, err, sizeof(err));
	if (rc != 0) {
		ex = cli_fail(self, "%s", err);
		goto out;
	}
	if (risk_facts_new(&facts) != 0 || risk_facts_add_code(facts) != 0) {
		ex = cli_fail(self, "out of memory");
		goto out;
	}
	if (hubcfg != NULL) {
		if (load_config(&hub_config_table, hubcfg, &cfg, err,
		    sizeof(err)) != 0 || risk_facts_add_hub(facts, cfg) != 0) {
			ex = cli_fail(self, "%s", err);
			goto out;
		}
		config_free(cfg);
		cfg = NULL;
	}
	if (apcfg != NULL) {
		if (load_config(&ap_config_table, apcfg, &cfg, err,
		    sizeof(err)) != 0 || risk_facts_add_ap(facts, cfg) != 0) {
			ex = cli_fail(self, "%s", err);
			goto out;
		}
		config_free(cfg);
		cfg = NULL;
	}
	if (live && hub_facts_fetch(facts, err, sizeof(err)) != 0) {
		ex = cli_fail(self, "--live: hub: %s", err);
		goto out;
	}
	if (live && apsock != NULL) {
		if (ap_facts_fetch(apsock, &fb, err, sizeof(err)) != 0 ||
		    ap_facts_parse(facts, (const char *)buf_ptr(fb),
		    buf_len(fb), err, sizeof(err)) != 0) {
			ex = cli_fail(self, "--live: access point: %s", err);
			goto out;
		}
		buf_free(fb);
		fb = NULL;
	}
	if (factsfile != NULL) {
		if ((rc = file_read_all(factsfile, RISK_FACTS_REPLY_MAX,
		    &fb)) != 0) {
			ex = cli_fail(self, "%s: %s", factsfile,
			    rsg_strerror(rc));
			goto out;
		}
		if (risk_facts_from_json(facts, (const char *)buf_ptr(fb),
		    buf_len(fb), err, sizeof(err)) != 0) {
			ex = cli_fail(self, "%s: %s", factsfile, err);
			goto out;
		}
	}
	if (risk_eval_run(reg, facts, now, &ev) != 0 ||
	    (out = buf_new(0)) == NULL) {
		ex = cli_fail(self, "out of memory");
		goto out;
	}
	if (xlsx) {
		if (risk_report_xlsx(ev, outpath) != 0) {
			(void)unlink(outpath);
			ex = cli_fail(self, "%s: cannot write the workbook",
			    outpath);
			goto out;
		}
	} else if (format != NULL) {
		if (risk_report(ev, fmt, which, out) != 0) {
			ex = cli_fail(self, "out of memory");
			goto out;
		}
		if (outpath != NULL) {
			if ((rc = file_write_atomic(outpath, buf_ptr(out),
			    buf_len(out), 0644, 0)) != 0) {
				ex = cli_fail(self, "%s: %s", outpath,
				    rsg_strerror(rc));
				goto out;
			}
		} else
			fwrite(buf_ptr(out), 1, buf_len(out), stdout);
	}
	if (summary) {
		buf_reset(out);
		if (risk_report_summary(ev, out) != 0) {
			ex = cli_fail(self, "out of memory");
			goto out;
		}
		/* With a report on stdout, the summary goes to stderr. */
		fwrite(buf_ptr(out), 1, buf_len(out), format != NULL &&
		    outpath == NULL ? stderr : stdout);
	}
	if (risk_eval_count(ev, RISK_TREAT) > 0 ||
	    risk_eval_count(ev, RISK_REOPENED) > 0)
		ex = EXIT_FAIL;
 out:
	buf_free(out);
	buf_free(fb);
	config_free(cfg);
	risk_eval_free(ev);
	risk_facts_free(facts);
	risk_register_free(reg);
	return ex;
}

const struct cmd_entry cmd_risk_report_entry = {
	"risk report",
	"[--register FILE] [--hub-config FILE] [--ap-config FILE] [--live "
	"[--ap-socket PATH]] [--facts FILE] --format md|html|csv|xlsx|json "
	"[--out FILE]",
	"the risk assessment evaluated against the running configuration",
	"Evaluates the risk register against the facts the system establishes\n"
	"and prints the guideline's risk-assessment table per site, the\n"
	"Statement of Applicability, the MDS2-style disclosure and the\n"
	"treatment plan. Exits 1 when any row is treat or reopened.\n"
	"  --register FILE     register YAML (default: the built-in one)\n"
	"  --hub-config FILE   read facts from the hub's config file\n"
	"  --ap-config FILE    read facts from the access point's config file\n"
	"  --live              read facts from the running hub (GET /v1/facts;\n"
	"                      config keys hub, cert, key, ca)\n"
	"  --ap-socket PATH    with --live: also from the AP's admin socket\n"
	"  --facts FILE        JSON object of facts that override the others\n"
	"                      (what-if analysis; null means unknown)\n"
	"  --format FMT        md, html, csv, xlsx or json (the evaluation)\n"
	"  --report WHICH      for csv: table (default), soa or mds2\n"
	"  --out FILE          write there (required for xlsx)\n"
	"  --at YYYY-MM-DD     evaluate attestations and acceptances as of then\n"
	"  --summary           print a one-line summary (stderr if the report\n"
	"                      goes to stdout; --format is then optional)\n",
	cmd_risk_report_exec,
};
