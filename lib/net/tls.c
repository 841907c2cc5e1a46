/*
 * tls.c: TLS 1.3 contexts with mutual authentication. The peer's chain,
 * validity and revocation are checked by OpenSSL against the pki trust
 * store; its rsgate role is checked here, in the verification callback, so a
 * certificate of the wrong role is refused during the handshake with an
 * alert, like an unknown or revoked one, and never reaches application code.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rsgate/pki.h"
#include "rsgate/tls.h"

_Static_assert(TLS_PROTO_VERSION == TLS1_3_VERSION, "tls.h names TLS 1.3");

struct tls_ctx {
	SSL_CTX *ssl;
	struct pki_trust *trust;
	enum tls_side side;
	unsigned peer_roles;
	char *ca, *crl;
	int64_t crl_sig;	/* file_sig() of the CRL last loaded */
	unsigned resume_secs;	/* 0: every handshake is a full one */
	/*
	 * Server: bumped by every trust reload; a ticket carries the value it
	 * was issued under and is honoured only while it is unchanged.
	 */
	uint64_t trust_gen;
	/*
	 * Server: when the trust itself stops being good enough for a full
	 * handshake (the CRL's nextUpdate, a CA's notAfter); 0: never.
	 */
	time_t trust_until;
	/* Client: the newest session and the fingerprint of its server. */
	SSL_SESSION *sess;
	uint8_t sess_fpr[32];
};

/* Changes whenever the file is rewritten (atomically or in place). */
static int64_t
file_sig(const char *path)
{
	struct stat st;

	if (path == NULL || stat(path, &st) != 0)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec +
	    (int64_t)st.st_size + (int64_t)st.st_ino;
}

static int tls_ctx_idx = -1;
/* On a server SSL: 1 + the context's trust_gen when the SSL was made. */
static int tls_ssl_gen_idx = -1;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void
tls_init_once(void)
{
	tls_ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	tls_ssl_gen_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/*
 * The trust generation an SSL checks its peer under: the one of the store
 * it took a reference to when it was made, whatever has been reloaded
 * since. UINT64_MAX (matching nothing) if it was not recorded.
 */
static uint64_t
ssl_trust_gen(const SSL *ssl)
{
	uintptr_t v = (uintptr_t)SSL_get_ex_data(ssl, tls_ssl_gen_idx);

	return v == 0 ? UINT64_MAX : (uint64_t)(v - 1);
}

/* The earlier of t and the time asn1 names (t 0: none yet). */
static time_t
earlier(time_t t, const ASN1_TIME *asn1, time_t now)
{
	int days = 0, secs = 0;
	time_t at;

	if (asn1 == NULL || !ASN1_TIME_diff(&days, &secs, NULL, asn1))
		return t;
	at = now + (time_t)days * 86400 + secs;
	return t == 0 || at < t ? at : t;
}

/*
 * When a full handshake under this store would start to fail for reasons
 * of the store itself: the first CRL nextUpdate or CA notAfter to pass.
 */
static time_t
trust_deadline(X509_STORE *store)
{
	STACK_OF(X509_OBJECT) *objs;
	X509_OBJECT *o;
	time_t now = time(NULL), t = 0;
	int i;

	if (store == NULL || (objs = X509_STORE_get0_objects(store)) == NULL)
		return 0;
	for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		o = sk_X509_OBJECT_value(objs, i);
		if (X509_OBJECT_get_type(o) == X509_LU_X509)
			t = earlier(t, X509_get0_notAfter(
			    X509_OBJECT_get0_X509(o)), now);
		else if (X509_OBJECT_get_type(o) == X509_LU_CRL)
			t = earlier(t, X509_CRL_get0_nextUpdate(
			    X509_OBJECT_get0_X509_CRL(o)), now);
	}
	return t;
}

/*
 * Called by OpenSSL for each certificate of the peer's chain, after its own
 * checks (chain, validity, CRL). At the leaf, also require the role.
 */
static int
tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	const struct tls_ctx *ctx;
	X509 *cert;
	SSL *ssl;

	if (!ok)
		return 0;
	if (X509_STORE_CTX_get_error_depth(xs) != 0)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL)
		return 0;
	ctx = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ctx_idx);
	cert = X509_STORE_CTX_get_current_cert(xs);
	if (ctx == NULL || cert == NULL ||
	    (pki_cert_roles(cert) & ctx->peer_roles) == 0) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_INVALID_PURPOSE);
		return 0;
	}
	return 1;
}

static void
tls_seterr(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char ebuf[256];

	if (e != 0) {
		ERR_error_string_n(e, ebuf, sizeof(ebuf));
		snprintf(err, errlen, "%s: %s", what, ebuf);
	} else
		snprintf(err, errlen, "%s", what);
	ERR_clear_error();
}

/*
 * Resumption (TLS 1.3 tickets, PSK with (EC)DHE) skips the certificates, so
 * what a full handshake would have re-checked is checked here before a
 * ticket is honoured: the trust (CA and CRL) must be the one the ticket's
 * full handshake checked the peer under, that trust must not have passed
 * a CRL's nextUpdate or a CA's notAfter, the peer's certificate must still
 * be inside its validity, and the ticket must be younger than its absolute
 * deadline (set at the full handshake, never moved by a resumption).
 * Anything else, or anything unreadable, means a full handshake.
 */
struct ticket_data {
	uint64_t gen;		/* trust generation of the full handshake */
	int64_t deadline;	/* time_t after which it is not honoured */
};

static int
tls_ticket_gen_cb(SSL *ssl, void *arg)
{
	const struct tls_ctx *ctx = arg;
	SSL_SESSION *sess = SSL_get0_session(ssl);
	struct ticket_data td;

	if (sess == NULL)
		return 0;
	/*
	 * The generation the SSL took its store under, not the live one: a
	 * CRL reloaded during this handshake voids the ticket at birth.
	 */
	td.gen = ssl_trust_gen(ssl);
	td.deadline = (int64_t)time(NULL) + (int64_t)ctx->resume_secs;
	return SSL_SESSION_set1_ticket_appdata(sess, &td, sizeof(td)) == 1;
}

static SSL_TICKET_RETURN
tls_ticket_dec_cb(SSL *ssl, SSL_SESSION *sess, const unsigned char *keyname,
    size_t keyname_len, SSL_TICKET_STATUS status, void *arg)
{
	const struct tls_ctx *ctx = arg;
	struct ticket_data td;
	const X509 *peer;
	void *data = NULL;
	size_t len = 0;
	time_t now = time(NULL);

	(void)keyname;
	(void)keyname_len;
	if (status == SSL_TICKET_FATAL_ERR_MALLOC ||
	    status == SSL_TICKET_FATAL_ERR_OTHER)
		return SSL_TICKET_RETURN_ABORT;
	if ((status != SSL_TICKET_SUCCESS &&
	    status != SSL_TICKET_SUCCESS_RENEW) || sess == NULL ||
	    SSL_SESSION_get0_ticket_appdata(sess, &data, &len) != 1 ||
	    len != sizeof(td))
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	memcpy(&td, data, sizeof(td));
	if (td.gen != ctx->trust_gen || td.gen != ssl_trust_gen(ssl) ||
	    (int64_t)now >= td.deadline ||
	    (ctx->trust_until != 0 && now >= ctx->trust_until) ||
	    (peer = SSL_SESSION_get0_peer(sess)) == NULL ||
	    X509_cmp_current_time(X509_get0_notBefore(peer)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(peer)) <= 0)
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	/*
	 * No ticket from a resumed handshake: RETURN_USE alone does not stop
	 * one when an earlier identity in the same ClientHello asked for it.
	 */
	SSL_set_num_tickets(ssl, 0);
	return SSL_TICKET_RETURN_USE;
}

/* Client: keep the newest session, keyed by its server's certificate. */
static int
tls_new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_ctx *ctx;
	SSL_SESSION *copy;
	char hex[65];
	uint8_t fpr[32];
	X509 *peer;

	ctx = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ctx_idx);
	if (ctx == NULL || SSL_get_verify_result(ssl) != X509_V_OK ||
	    (peer = SSL_SESSION_get0_peer(sess)) == NULL ||
	    pki_cert_fingerprint(peer, hex, sizeof(hex)) != 0 ||
	    hex_decode(hex, fpr, sizeof(fpr)) != 0)
		return 0;
	/*
	 * A copy, for the same reason as in tls_ssl_new_resume(): the
	 * connection's own session is marked unresumable if it ends badly.
	 */
	if ((copy = SSL_SESSION_dup(sess)) == NULL)
		return 0;
	SSL_SESSION_free(ctx->sess);
	ctx->sess = copy;
	memcpy(ctx->sess_fpr, fpr, sizeof(fpr));
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

int
tls_ctx_new(const struct tls_ctx_conf *conf, struct tls_ctx **out, char *err,
    size_t errlen)
{
	struct tls_ctx *ctx = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char qpath[256];
	int i, r = RSG_ERR_CRYPTO;

	if (conf == NULL || conf->cert == NULL || conf->key == NULL ||
	    conf->ca == NULL || conf->peer_roles == 0) {
		snprintf(err, errlen, "TLS needs a certificate, a key, a CA "
		    "and the peer's role");
		return RSG_ERR_INVALID_ARG;
	}
	if ((r = pki_init()) != 0) {
		snprintf(err, errlen, "cannot initialise PKI: %s",
		    rsg_strerror(r));
		return r;
	}
	pthread_once(&tls_once, tls_init_once);
	if (tls_ctx_idx < 0) {
		snprintf(err, errlen, "cannot initialise TLS");
		return RSG_ERR_CRYPTO;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		goto nomem;
	ctx->side = conf->side;
	ctx->peer_roles = conf->peer_roles;
	if ((ctx->ca = strdup(conf->ca)) == NULL ||
	    (conf->crl != NULL && (ctx->crl = dup_or_null(conf->crl)) == NULL))
		goto nomem;
	if ((r = pki_certkey_load(conf->cert, conf->key, &cert, &chain,
	    &key)) != 0) {
		snprintf(err, errlen, "%s / %s: %s",
		    str_escape(conf->cert, qpath, sizeof(qpath)), conf->key,
		    r == RSG_ERR_PERM ? "private key readable by others "
		    "(chmod 600)" : r == RSG_ERR_VERIFY ? "key does not "
		    "match the certificate" : rsg_strerror(r));
		goto fail;
	}
	ctx->crl_sig = file_sig(conf->crl);
	if ((r = pki_trust_load(conf->ca, conf->crl, &ctx->trust, err,
	    errlen)) != 0)
		goto fail;
	ctx->trust_until = trust_deadline(pki_trust_store(ctx->trust));
	r = RSG_ERR_CRYPTO;
	ctx->ssl = SSL_CTX_new(conf->side == TLS_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (ctx->ssl == NULL) {
		tls_seterr(err, errlen, "SSL_CTX_new");
		goto fail;
	}
	if (!SSL_CTX_set_min_proto_version(ctx->ssl, TLS_PROTO_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx->ssl, TLS_PROTO_VERSION) ||
	    SSL_CTX_use_certificate(ctx->ssl, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx->ssl, key) != 1 ||
	    SSL_CTX_check_private_key(ctx->ssl) != 1) {
		tls_seterr(err, errlen, "cannot set up TLS 1.3 with this "
		    "certificate");
		goto fail;
	}
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		if (SSL_CTX_add1_chain_cert(ctx->ssl,
		    sk_X509_value(chain, i)) != 1) {
			tls_seterr(err, errlen, "cannot add chain certificate");
			goto fail;
		}
	}
	if (SSL_CTX_set1_verify_cert_store(ctx->ssl,
	    pki_trust_store(ctx->trust)) != 1) {
		tls_seterr(err, errlen, "cannot set the trust store");
		goto fail;
	}
	SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_PEER |
	    (TLS_PEER_CERT_REQUIRED ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
	    tls_verify_cb);
	SSL_CTX_set_verify_depth(ctx->ssl, 4);
	ctx->resume_secs = conf->resume_secs;
	if (ctx->resume_secs == 0) {
		/* Every connection proves its certificate afresh. */
		SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_TICKET);
		if (conf->side == TLS_SERVER)
			SSL_CTX_set_num_tickets(ctx->ssl, 0);
	} else if (conf->side == TLS_SERVER) {
		/* Stateless tickets under this process's random keys. */
		SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets(ctx->ssl, 1);
		SSL_CTX_set_timeout(ctx->ssl, (long)ctx->resume_secs);
		/* Required with client certificates; the keys are per context. */
		if (SSL_CTX_set_session_id_context(ctx->ssl,
		    (const unsigned char *)"rsgate", 6) != 1 ||
		    SSL_CTX_set_session_ticket_cb(ctx->ssl, tls_ticket_gen_cb,
		    tls_ticket_dec_cb, ctx) != 1) {
			tls_seterr(err, errlen, "cannot set up session tickets");
			goto fail;
		}
	} else {
		SSL_CTX_set_session_cache_mode(ctx->ssl,
		    SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx->ssl, tls_new_session_cb);
	}
	/* Idle tunnels should cost little memory. */
	SSL_CTX_set_mode(ctx->ssl, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_ex_data(ctx->ssl, tls_ctx_idx, ctx) != 1) {
		tls_seterr(err, errlen, "SSL_CTX_set_ex_data");
		goto fail;
	}
	pki_cert_free(cert);
	pki_key_free(key);
	pki_chain_free(chain);
	*out = ctx;
	return 0;
 nomem:
	snprintf(err, errlen, "out of memory");
	r = RSG_ERR_NOMEM;
 fail:
	pki_cert_free(cert);
	pki_key_free(key);
	pki_chain_free(chain);
	tls_ctx_free(ctx);
	ERR_clear_error();
	return r;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_SESSION_free(ctx->sess);
	SSL_CTX_free(ctx->ssl);
	pki_trust_free(ctx->trust);
	free(ctx->ca);
	free(ctx->crl);
	free(ctx);
}

struct ssl_ctx_st *
tls_ctx_ssl(const struct tls_ctx *ctx)
{
	return ctx->ssl;
}

int
tls_ctx_reload_crl(struct tls_ctx *ctx, char *err, size_t errlen)
{
	struct pki_trust *trust = NULL;
	int64_t sig = file_sig(ctx->crl);
	int r;

	if ((r = pki_trust_load(ctx->ca, ctx->crl, &trust, err, errlen)) != 0)
		return r;
	if (SSL_CTX_set1_verify_cert_store(ctx->ssl,
	    pki_trust_store(trust)) != 1) {
		pki_trust_free(trust);
		tls_seterr(err, errlen, "cannot set the trust store");
		return RSG_ERR_CRYPTO;
	}
	pki_trust_free(ctx->trust);
	ctx->trust = trust;
	ctx->crl_sig = sig;
	ctx->trust_until = trust_deadline(pki_trust_store(trust));
	/* Tickets issued under the old trust are no longer honoured. */
	ctx->trust_gen++;
	/* A client forgets its session: the server must prove itself again. */
	SSL_SESSION_free(ctx->sess);
	ctx->sess = NULL;
	return 0;
}

int
tls_ctx_refresh_crl(struct tls_ctx *ctx, int *reloaded, char *err,
    size_t errlen)
{
	int r;

	*reloaded = 0;
	if (ctx->crl == NULL || file_sig(ctx->crl) == ctx->crl_sig)
		return 0;
	if ((r = tls_ctx_reload_crl(ctx, err, errlen)) != 0)
		return r;
	*reloaded = 1;
	return 0;
}

struct ssl_st *
tls_ssl_new(const struct tls_ctx *ctx)
{
	SSL *ssl;

	if ((ssl = SSL_new(ctx->ssl)) == NULL)
		return NULL;
	/* SSL_new took a reference to the store of this generation. */
	if (SSL_set_ex_data(ssl, tls_ssl_gen_idx,
	    (void *)(uintptr_t)(ctx->trust_gen + 1)) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

int
tls_ssl_trust_current(struct ssl_st *ssl)
{
	const struct tls_ctx *ctx;

	if (ssl == NULL || (ctx = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    tls_ctx_idx)) == NULL)
		return 0;
	return ssl_trust_gen(ssl) == ctx->trust_gen;
}

struct ssl_st *
tls_ssl_new_resume(const struct tls_ctx *ctx, const uint8_t fpr[32])
{
	SSL_SESSION *copy;
	SSL *ssl;
	long age;

	if ((ssl = tls_ssl_new(ctx)) == NULL)
		return NULL;
	if (ctx->side != TLS_CLIENT || ctx->resume_secs == 0 ||
	    ctx->sess == NULL || fpr == NULL ||
	    mem_equal_ct(fpr, ctx->sess_fpr, sizeof(ctx->sess_fpr)) != 0)
		return ssl;
	age = (long)time(NULL) - (long)SSL_SESSION_get_time(ctx->sess);
	if (age < 0 || age >= (long)ctx->resume_secs ||
	    age >= SSL_SESSION_get_timeout(ctx->sess))
		return ssl;
	/*
	 * A copy per connection: OpenSSL marks the session a connection used
	 * unresumable when that connection ends without close_notify, which
	 * must not cost the next stream its resumption. A session the server
	 * refuses only costs a full handshake.
	 */
	if ((copy = SSL_SESSION_dup(ctx->sess)) != NULL) {
		(void)SSL_set_session(ssl, copy);
		SSL_SESSION_free(copy);
	}
	return ssl;
}

int
tls_ssl_resumed(struct ssl_st *ssl)
{
	return ssl != NULL && SSL_session_reused(ssl) == 1;
}

int
tls_peer_get(struct ssl_st *ssl, unsigned roles, struct tls_peer *peer)
{
	struct tls_peer p;
	X509 *cert;
	int r = RSG_ERR_VERIFY;

	memset(&p, 0, sizeof(p));
	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return RSG_ERR_VERIFY;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		goto out;
	p.roles = pki_cert_roles(cert);
	if ((p.roles & roles) == 0) {
		r = RSG_ERR_CERT_ROLE;
		goto out;
	}
	if ((r = pki_cert_subject_cn(cert, p.cn, sizeof(p.cn))) != 0 ||
	    (r = pki_cert_fingerprint(cert, p.fingerprint,
	    sizeof(p.fingerprint))) != 0 ||
	    (r = pki_cert_serial_hex(cert, p.serial, sizeof(p.serial))) != 0)
		goto out;
	*peer = p;
	r = 0;
 out:
	X509_free(cert);
	/*
	 * Leave nothing on this thread's OpenSSL error queue: a stale entry
	 * makes the next SSL_read on ANY connection (libevent's TLS
	 * bufferevents look at the queue) fail as if it were its own error.
	 */
	ERR_clear_error();
	return r;
}

const char *
tls_error_reason(struct ssl_st *ssl, char *out, size_t outlen)
{
	unsigned long e;
	const char *why;
	long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;

	switch (v) {
	case X509_V_OK:
		break;
	case X509_V_ERR_CERT_REVOKED:
		why = "peer certificate revoked";
		goto verr;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		why = "peer certificate expired";
		goto verr;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		why = "peer certificate not yet valid";
		goto verr;
	case X509_V_ERR_INVALID_PURPOSE:
		why = "peer certificate not valid for this role";
		goto verr;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
		why = "no current revocation list for the peer's CA";
		goto verr;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		why = "peer certificate not issued by a trusted CA";
		goto verr;
	default:
		snprintf(out, outlen, "peer certificate refused: %s",
		    X509_verify_cert_error_string(v));
		ERR_clear_error();
		return out;
	}
	e = ERR_get_error();
	ERR_clear_error();
	if (e == 0) {
		snprintf(out, outlen, "connection closed during the TLS "
		    "handshake");
		return out;
	}
	switch (ERR_GET_REASON(e)) {
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		snprintf(out, outlen, "peer does not speak TLS 1.3");
		return out;
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
		snprintf(out, outlen, "peer does not speak TLS (plaintext?)");
		return out;
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		snprintf(out, outlen, "peer sent no certificate");
		return out;
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
		snprintf(out, outlen, "peer refused our certificate (%s)",
		    ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "alert");
		return out;
	default:
		snprintf(out, outlen, "TLS handshake failed: %s",
		    ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "unknown error");
		return out;
	}
 verr:
	snprintf(out, outlen, "%s", why);
	ERR_clear_error();
	return out;
}
