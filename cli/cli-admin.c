/*
 * cli-admin.c: a small libcurl client of the access point's admin socket
 * (ap/ap-admin.c). The URL's host is a placeholder: the connection is the
 * Unix socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "rsgate/config.h"
#include "rsgate/util.h"

#include "cli-admin.h"
#include "rsgate.h"

extern const struct config_table ap_config_table;

static size_t
admin_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct rsg_buf *b = arg;

	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	if (buf_put(b, p, size * n) != 0)
		return 0;	/* over ADMIN_REPLY_MAX: curl fails */
	return size * n;
}

int
admin_socket_resolve(const char *sock, const char *apconf,
    const char **out, char *err, size_t errlen)
{
	static char path[512];
	struct config *c = NULL;
	const char *v;
	int r;

	if (sock != NULL) {
		*out = sock;
		return 0;
	}
	if (apconf == NULL) {
		snprintf(err, errlen, "--socket PATH or -c AP-CONF is "
		    "required");
		return RSG_ERR_INVALID_ARG;
	}
	if ((r = config_new(&ap_config_table, &c)) != 0 ||
	    (r = config_load_file(c, apconf, err, errlen)) != 0) {
		if (r == RSG_ERR_NOMEM)
			snprintf(err, errlen, "out of memory");
		config_free(c);
		return RSG_ERR_CONFIG;
	}
	if ((v = config_get_string(c, "admin_socket")) == NULL ||
	    strlen(v) >= sizeof(path)) {
		snprintf(err, errlen, "%s sets no admin_socket", apconf);
		config_free(c);
		return RSG_ERR_CONFIG;
	}
	snprintf(path, sizeof(path), "%s", v);
	config_free(c);
	*out = path;
	return 0;
}

int
admin_request(const char *path, const char *method, const char *uri,
    const json_t *body, long *status, json_t **reply, char *err,
    size_t errlen)
{
	struct curl_slist *hdr = NULL;
	struct rsg_buf *b = NULL;
	CURL *curl = NULL;
	char url[1024], *text = NULL, *btext = NULL;
	json_error_t je;
	json_t *rep = NULL;
	CURLcode cr;
	long code = 0;
	int ret = -1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (curl = curl_easy_init()) == NULL ||
	    (b = buf_new(ADMIN_REPLY_MAX)) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		goto out;
	}
	snprintf(url, sizeof(url), "http://ap%s", uri);
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, admin_write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	if (body != NULL) {
		if ((btext = json_dumps(body, JSON_COMPACT)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, btext);
	}
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if ((cr = curl_easy_perform(curl)) != CURLE_OK) {
		snprintf(err, errlen, "cannot reach the access point at %s: "
		    "%s", path, curl_easy_strerror(cr));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if ((text = buf_dup_cstring(b)) != NULL)
		rep = json_loads(text, 0, &je);
	if (rep != NULL && !json_is_object(rep)) {
		json_decref(rep);
		rep = NULL;
	}
	*status = code;
	*reply = rep;
	ret = 0;
 out:
	free(text);
	free(btext);
	curl_slist_free_all(hdr);
	buf_free(b);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return ret;
}

void
admin_error_text(long status, json_t *reply, char *out, size_t outlen)
{
	const char *e = NULL, *r = NULL;
	char qe[256], qr[512];

	if (reply != NULL) {
		e = json_string_value(json_object_get(reply, "error"));
		r = json_string_value(json_object_get(reply, "reason"));
	}
	if (e == NULL) {
		snprintf(out, outlen, "the access point answered HTTP %ld",
		    status);
		return;
	}
	str_sanitize(e, qe, sizeof(qe));
	if (r != NULL && *r != '\0')
		snprintf(out, outlen, "%s: %s", qe, str_sanitize(r, qr,
		    sizeof(qr)));
	else
		snprintf(out, outlen, "%s", qe);
}

void
admin_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

int
admin_call(const struct cmd_entry *self, const char *sock, const char *apconf,
    const char *method, const char *uri, const json_t *body, json_t **reply)
{
	const char *path;
	json_t *rep = NULL;
	char err[1024];
	long status = 0;
	int r;

	if ((r = admin_socket_resolve(sock, apconf, &path, err,
	    sizeof(err))) != 0)
		return r == RSG_ERR_INVALID_ARG ? cli_usage_error(self, "%s",
		    err) : cli_fail(self, "%s", err);
	if (admin_request(path, method, uri, body, &status, &rep, err,
	    sizeof(err)) != 0)
		return cli_fail(self, "%s", err);
	if (status < 200 || status > 299) {
		admin_error_text(status, rep, err, sizeof(err));
		json_decref(rep);
		return cli_fail(self, "%s", err);
	}
	if (rep == NULL && (rep = json_object()) == NULL)
		return cli_fail(self, "out of memory");
	*reply = rep;
	return EXIT_OK;
}
