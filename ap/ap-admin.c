/*
 * ap-admin.c: the hospital's admin socket. HTTP/1.1 + JSON (libevent's
 * evhttp) on a Unix socket (admin_socket, mode 0660), so only local users
 * can reach it; each request's caller is checked by SO_PEERCRED: root, the
 * access point's own uid and the users named by admin_users only. Anyone
 * else gets 403 and an admin.action "denied" audit record.
 *
 * Routes are a small table (method, path prefix, handler) that the parts
 * of the AP fill with ap_admin_route(): tickets (ap-ticket.c), and others
 * add their own without touching this router. `rsgate ap ...` is the
 * client (cli/cli-admin.c).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "rsgate/config.h"
#include "rsgate/httpjson.h"

#include "ap.h"

#define ADMIN_TIMEOUT_S 30
#define ADMIN_HEADERS_MAX (8 * 1024)

int
ap_admin_route(struct ap *ap, const char *method, const char *prefix,
    ap_admin_fn fn)
{
	if (ap == NULL || method == NULL || prefix == NULL || fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if (ap->nroutes >= AP_ADMIN_ROUTES_MAX)
		return RSG_ERR_LIMIT;
	ap->routes[ap->nroutes].method = method;
	ap->routes[ap->nroutes].prefix = prefix;
	ap->routes[ap->nroutes].fn = fn;
	ap->nroutes++;
	return 0;
}

void
ap_admin_reply(struct evhttp_request *req, int code, json_t *obj)
{
	http_reply_json(req, code, obj);
}

void
ap_admin_error(struct evhttp_request *req, int code, const char *error,
    const char *reason)
{
	http_reply_error(req, code, error, reason);
}

int
ap_admin_body(struct evhttp_request *req, json_t **out)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t je;
	json_t *o;

	if (len > AP_ADMIN_BODY_MAX) {
		ap_admin_error(req, 413, "request body too large", NULL);
		return RSG_ERR_LIMIT;
	}
	if (len == 0)
		o = json_object();
	else
		o = json_loadb((const char *)evbuffer_pullup(in, -1), len,
		    JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		ap_admin_error(req, 400, "bad request",
		    "the body is not a JSON object");
		return RSG_ERR_FORMAT;
	}
	*out = o;
	return 0;
}

const char *
ap_admin_query(const char *query, const char *key, char *out, size_t outlen)
{
	struct evkeyvalq kv;
	const char *v;

	if (query == NULL || outlen == 0)
		return NULL;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(query, &kv) != 0) {
		evhttp_clear_headers(&kv);
		return NULL;
	}
	if ((v = evhttp_find_header(&kv, key)) == NULL ||
	    strlen(v) >= outlen) {
		evhttp_clear_headers(&kv);
		return NULL;
	}
	snprintf(out, outlen, "%s", v);
	evhttp_clear_headers(&kv);
	return out;
}

/* Whether uid may use the admin socket: fails closed. */
static int
caller_allowed(struct ap *ap, uid_t uid)
{
	const struct passwd *pw;
	const char *u;
	uint64_t n;
	size_t i, count = config_get_count(ap->cfg, "admin_users");

	if (uid == 0 || uid == geteuid())
		return 1;
	for (i = 0; i < count; i++) {
		u = config_get_nth(ap->cfg, "admin_users", i);
		if (parse_u64(u, 0, UINT32_MAX, &n) == 0) {
			if ((uid_t)n == uid)
				return 1;
			continue;
		}
		if ((pw = getpwnam(u)) != NULL && pw->pw_uid == uid)
			return 1;
	}
	return 0;
}

static void
admin_request_cb(struct evhttp_request *req, void *arg)
{
	struct ap *ap = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn != NULL ?
	    evhttp_connection_get_bufferevent(conn) : NULL;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const char *method;
	const struct ap_admin_route *best = NULL;
	struct ap_admin_caller who;
	struct audit_record rec;
	const struct passwd *pw;
	struct ucred cred;
	socklen_t sl = sizeof(cred);
	char why[300];
	size_t i, plen, blen = 0;
	int path_known = 0;

	memset(&who, 0, sizeof(who));
	/* No credentials, no service. */
	if (bev == NULL || getsockopt(bufferevent_getfd(bev), SOL_SOCKET,
	    SO_PEERCRED, &cred, &sl) != 0) {
		ap_admin_error(req, 403, "caller not identified", NULL);
		return;
	}
	who.uid = (unsigned long)cred.uid;
	who.pid = (long)cred.pid;
	if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(who.name, sizeof(who.name), "%s", pw->pw_name);
	else
		snprintf(who.name, sizeof(who.name), "uid %lu", who.uid);
	if (!caller_allowed(ap, cred.uid)) {
		snprintf(why, sizeof(why), "admin socket: %s (uid %lu, pid "
		    "%ld) is not root, the access point's user or in "
		    "admin_users", who.name, who.uid, who.pid);
		log_warn("%s", why);
		memset(&rec, 0, sizeof(rec));
		rec.event = AUDIT_EV_ADMIN_ACTION;
		rec.outcome = AUDIT_OUTCOME_DENIED;
		rec.f[AUDIT_F_USER] = who.name;
		rec.f[AUDIT_F_ROLE] = "admin";
		rec.f[AUDIT_F_OBJECT] = path;
		rec.f[AUDIT_F_SOURCE] = "admin_socket";
		rec.f[AUDIT_F_REASON] = why;
		(void)ap_audit(ap, &rec);
		ap_admin_error(req, 403, "not allowed", "your user may not "
		    "administer this access point");
		return;
	}
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		method = "GET";
		break;
	case EVHTTP_REQ_POST:
		method = "POST";
		break;
	default:
		ap_admin_error(req, 405, "method not allowed", NULL);
		return;
	}
	if (path == NULL) {
		ap_admin_error(req, 404, "not found", NULL);
		return;
	}
	for (i = 0; i < ap->nroutes; i++) {
		plen = strlen(ap->routes[i].prefix);
		/* "/v1/x" matches /v1/x and /v1/x/...; "/v1/x/" what follows. */
		if (strncmp(path, ap->routes[i].prefix, plen) != 0 ||
		    (path[plen] != '\0' && path[plen] != '/' &&
		    ap->routes[i].prefix[plen - 1] != '/'))
			continue;
		path_known = 1;
		if (strcmp(method, ap->routes[i].method) != 0)
			continue;
		if (best == NULL || plen > blen) {
			best = &ap->routes[i];
			blen = plen;
		}
	}
	if (best == NULL) {
		ap_admin_error(req, path_known ? 405 : 404, path_known ?
		    "method not allowed" : "not found", NULL);
		return;
	}
	best->fn(ap, req, path, query, &who);
}

/*
 * GET /v1/facts: what the risk report binds to, from the running
 * configuration (docs/WORKFLOW.md). Small on purpose.
 */
static void
admin_facts(struct ap *ap, struct evhttp_request *req, const char *path,
    const char *query, const struct ap_admin_caller *who)
{
	json_t *o = json_object();

	(void)path;
	(void)query;
	(void)who;
	if (o == NULL) {
		ap_admin_error(req, 500, "out of memory", NULL);
		return;
	}
	json_object_set_new(o, "ap", json_string(ap->name));
	json_object_set_new(o, "site", json_string(ap->site));
	json_object_set_new(o, "approval", json_string(
	    config_get_string(ap->cfg, "approval")));
	json_object_set_new(o, "emergency_access", json_boolean(
	    config_get_bool(ap->cfg, "emergency_access")));
	json_object_set_new(o, "idle_timeout_s", json_integer(
	    config_get_int(ap->cfg, "idle_timeout")));
	json_object_set_new(o, "max_session_s", json_integer(
	    config_get_int(ap->cfg, "max_session")));
	json_object_set_new(o, "sessions_per_device", json_integer(
	    config_get_int(ap->cfg, "sessions_per_device")));
	json_object_set_new(o, "standing_policies", json_integer(
	    (json_int_t)config_get_count(ap->cfg, "allow")));
	json_object_set_new(o, "alert_listen", json_boolean(
	    config_is_set(ap->cfg, "alert_listen")));
	json_object_set_new(o, "admin_socket", json_boolean(
	    config_is_set(ap->cfg, "admin_socket")));
	ap_admin_reply(req, 200, o);
}

/* GET /v1/sessions: who is connected to what, now (R23). */
static void
admin_sessions(struct ap *ap, struct evhttp_request *req, const char *path,
    const char *query, const struct ap_admin_caller *who)
{
	json_t *o = json_object(), *a = ap_stream_list(ap);

	(void)path;
	(void)query;
	(void)who;
	if (o == NULL || a == NULL) {
		json_decref(o);
		json_decref(a);
		ap_admin_error(req, 500, "out of memory", NULL);
		return;
	}
	json_object_set_new(o, "sessions", a);
	ap_admin_reply(req, 200, o);
}

int
ap_admin_start(struct ap *ap, char *err, size_t errlen)
{
	const char *path = config_get_string(ap->cfg, "admin_socket");
	struct sockaddr_un sun;
	struct stat st;
	int fd = -1;

	ap->admin_fd = -1;
	if (path == NULL)
		return 0;
	if (ap_admin_route(ap, "GET", "/v1/facts", admin_facts) != 0 ||
	    ap_admin_route(ap, "GET", "/v1/sessions", admin_sessions) != 0) {
		snprintf(err, errlen, "admin_socket: too many routes");
		return RSG_ERR_LIMIT;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "admin_socket %s: path too long", path);
		return RSG_ERR_CONFIG;
	}
	memcpy(sun.sun_path, path, strlen(path));
	/* A socket left by an earlier run is replaced; anything else not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "admin_socket %s exists and is "
			    "not a socket", path);
			return RSG_ERR_EXISTS;
		}
		(void)unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(path, 0660) != 0 || listen(fd, 16) != 0) {
		snprintf(err, errlen, "admin_socket %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return RSG_ERR_IO;
	}
	if ((ap->admin = evhttp_new(ap->base)) == NULL) {
		close(fd);
		snprintf(err, errlen, "admin_socket: out of memory");
		return RSG_ERR_NOMEM;
	}
	evhttp_set_gencb(ap->admin, admin_request_cb, ap);
	evhttp_set_max_body_size(ap->admin, AP_ADMIN_BODY_MAX + 1);
	evhttp_set_max_headers_size(ap->admin, ADMIN_HEADERS_MAX);
	evhttp_set_timeout(ap->admin, ADMIN_TIMEOUT_S);
	evhttp_set_allowed_methods(ap->admin, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST);
	if (evhttp_accept_socket_with_handle(ap->admin, fd) == NULL) {
		close(fd);
		snprintf(err, errlen, "admin_socket %s: cannot accept", path);
		return RSG_ERR_IO;
	}
	ap->admin_fd = fd;
	log_info("admin socket listening on %s", path);
	printf("admin socket %s\n", path);
	fflush(stdout);
	return 0;
}

void
ap_admin_stop(struct ap *ap)
{
	const char *path = ap->cfg != NULL ?
	    config_get_string(ap->cfg, "admin_socket") : NULL;

	if (ap->admin != NULL) {
		evhttp_free(ap->admin);	/* closes the listening socket */
		ap->admin = NULL;
		if (path != NULL)
			(void)unlink(path);
	}
}
