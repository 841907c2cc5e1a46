/*
 * cli-api.c: a small libcurl client of the hub's engineers' API. The
 * client certificate is the engineer's identity; the hub's certificate
 * must chain to the configured CA. rsgate certificates name holders, not
 * host names, so the host name is not matched (the CA is rsgate's own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "rsgate/util.h"

#include "cli-api.h"

struct api {
	CURL *curl;
	char base[300];
	struct rsg_buf *body;
};

static size_t
api_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct api *a = arg;

	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	if (buf_put(a->body, p, size * n) != 0)
		return 0;	/* over API_REPLY_MAX: curl fails the transfer */
	return size * n;
}

int
api_new(const char *hub, const char *cert, const char *key, const char *ca,
    struct api **out, char *err, size_t errlen)
{
	struct api *a;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	if ((a->curl = curl_easy_init()) == NULL ||
	    (a->body = buf_new(API_REPLY_MAX)) == NULL) {
		api_free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(a->base, sizeof(a->base), "https://%s", hub);
	curl_easy_setopt(a->curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(a->curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(a->curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(a->curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(a->curl, CURLOPT_SSLVERSION,
	    (long)(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_DEFAULT));
	curl_easy_setopt(a->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(a->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(a->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* The hub waits up to 10 s for the AP's answer. */
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, api_write_cb);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, a);
	*out = a;
	return 0;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	if (a->curl != NULL)
		curl_easy_cleanup(a->curl);
	buf_free(a->body);
	free(a);
}

int
api_request(struct api *a, const char *method, const char *path,
    const char *body, long *status, json_t **reply, char *err,
    size_t errlen)
{
	struct curl_slist *hdr = NULL;
	char url[512], *text;
	json_error_t je;
	CURLcode cr;
	long code = 0;

	buf_reset(a->body);
	snprintf(url, sizeof(url), "%s%s", a->base, path);
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	if (body != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(a->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(a->curl, CURLOPT_CUSTOMREQUEST, method);
	cr = curl_easy_perform(a->curl);
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (cr != CURLE_OK) {
		snprintf(err, errlen, "hub %s: %s", a->base + 8,
		    curl_easy_strerror(cr));
		return -1;
	}
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &code);
	*status = code;
	*reply = NULL;
	if ((text = buf_dup_cstring(a->body)) != NULL) {
		*reply = json_loads(text, 0, &je);
		free(text);
	}
	if (*reply != NULL && !json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
	}
	return 0;
}

void
api_error_text(long status, json_t *reply, char *out, size_t outlen)
{
	const char *e = NULL, *r = NULL;
	char qe[256], qr[512];

	if (reply != NULL) {
		e = json_string_value(json_object_get(reply, "error"));
		r = json_string_value(json_object_get(reply, "reason"));
	}
	if (e == NULL) {
		snprintf(out, outlen, "hub answered HTTP %ld", status);
		return;
	}
	str_sanitize(e, qe, sizeof(qe));
	if (r != NULL && *r != '\0')
		snprintf(out, outlen, "%s: %s", qe, str_sanitize(r, qr,
		    sizeof(qr)));
	else
		snprintf(out, outlen, "%s", qe);
}
