/*
 * test-tls.c: the TLS 1.3 contexts every rsgate connection uses. Handshakes
 * run in memory over a socketpair. Checks that mutual authentication holds
 * and that a wrong-role, revoked, expired or foreign certificate, a TLS 1.2
 * peer and a plaintext peer are each refused during the handshake with a
 * reason a person can act on (R15, R16, R17; issue 3's listener faults).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rsgate/pki.h"
#include "rsgate/tls.h"
#include "testutil.h"

struct fx {
	char *tmp;
	char ca_a[4096], crl_a[4096], ca_b[4096];
};

static void
issue(struct pki_ca *ca, const char *dir, enum pki_role role,
    const char *name, const char *prefix, int64_t not_before, unsigned days)
{
	struct pki_issue_req req = { role, name, PKI_KEY_ECDSA_P256, days,
		not_before };
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char err[512];

	assert_int_equal(pki_ca_issue(ca, &req, &cert, &key, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_certkey_write(tmppath(dir, prefix), cert, key,
	    err, sizeof(err)), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pki_ca *a = NULL, *b = NULL;
	int64_t now = time_now_ms() / 1000;
	char err[512], path[4096];
	X509 *cert = NULL;

	assert_non_null(f);
	assert_non_null(f->tmp = tmpdir_new("tls"));
	snprintf(f->ca_a, sizeof(f->ca_a), "%s/ca-a/ca.crt", f->tmp);
	snprintf(f->crl_a, sizeof(f->crl_a), "%s/ca-a/crl.pem", f->tmp);
	snprintf(f->ca_b, sizeof(f->ca_b), "%s/ca-b/ca.crt", f->tmp);
	assert_int_equal(pki_ca_create(tmppath(f->tmp, "ca-a"), "CA A",
	    PKI_KEY_ECDSA_P256, 30, now, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_create(tmppath(f->tmp, "ca-b"), "CA B",
	    PKI_KEY_ECDSA_P256, 30, now, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(tmppath(f->tmp, "ca-a"), &a, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_ca_open(tmppath(f->tmp, "ca-b"), &b, err,
	    sizeof(err)), 0);
	issue(a, f->tmp, PKI_ROLE_HUB, "hub.example", "hub", now, 10);
	issue(a, f->tmp, PKI_ROLE_AP, "ap1.example", "ap", now, 10);
	issue(a, f->tmp, PKI_ROLE_ENGINEER, "Alice", "alice", now, 10);
	issue(a, f->tmp, PKI_ROLE_ENGINEER, "Mallory", "mallory", now, 10);
	issue(a, f->tmp, PKI_ROLE_ENGINEER, "Bob", "bob", now, 10);
	issue(a, f->tmp, PKI_ROLE_ENGINEER, "Old", "old", now - 20 * 86400, 2);
	issue(b, f->tmp, PKI_ROLE_ENGINEER, "Eve", "eve", now, 10);
	snprintf(path, sizeof(path), "%s/mallory.crt", f->tmp);
	assert_int_equal(pki_cert_load(path, &cert), 0);
	assert_int_equal(pki_ca_revoke_cert(a, cert, now, err, sizeof(err)), 0);
	X509_free(cert);
	pki_ca_free(a);
	pki_ca_free(b);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tmpdir_rm(f->tmp);
	free(f);
	return 0;
}

static struct tls_ctx *
ctx_resume(struct fx *f, enum tls_side side, const char *who,
    unsigned peer_roles, unsigned resume_secs)
{
	struct tls_ctx_conf conf;
	struct tls_ctx *ctx = NULL;
	char cert[4096], key[4096], err[512];

	snprintf(cert, sizeof(cert), "%s/%s.crt", f->tmp, who);
	snprintf(key, sizeof(key), "%s/%s.key", f->tmp, who);
	memset(&conf, 0, sizeof(conf));
	conf.side = side;
	conf.cert = cert;
	conf.key = key;
	conf.ca = f->ca_a;
	conf.crl = f->crl_a;
	conf.peer_roles = peer_roles;
	conf.resume_secs = resume_secs;
	if (tls_ctx_new(&conf, &ctx, err, sizeof(err)) != 0)
		fail_msg("tls_ctx_new(%s): %s", who, err);
	return ctx;
}

static struct tls_ctx *
ctx_for(struct fx *f, enum tls_side side, const char *who, unsigned peer_roles)
{
	return ctx_resume(f, side, who, peer_roles, 0);
}

/*
 * Drive both ends until each has finished or failed. Returns 1 when the
 * server accepted the client (handshake done and a byte went across).
 */
static int
handshake(SSL *c, SSL *s)
{
	int i, dc = 0, ds = 0, fc = 0, fs = 0, r;
	char b = 0;

	for (i = 0; i < 200 && !(fc || fs) && !(dc && ds); i++) {
		if (!dc && !fc) {
			r = SSL_do_handshake(c);
			if (r == 1)
				dc = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ &&
			    SSL_get_error(c, r) != SSL_ERROR_WANT_WRITE)
				fc = 1;
		}
		if (!ds && !fs) {
			r = SSL_do_handshake(s);
			if (r == 1)
				ds = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ &&
			    SSL_get_error(s, r) != SSL_ERROR_WANT_WRITE)
				fs = 1;
		}
	}
	if (!(dc && ds))
		return 0;
	/* TLS 1.3: the client finishes first; data proves the server agreed. */
	if (SSL_write(c, "x", 1) != 1)
		return 0;
	for (i = 0; i < 50; i++)
		if (SSL_read(s, &b, 1) == 1)
			return b == 'x';
	return 0;
}

struct pair {
	SSL *c, *s;
	int fd[2];
};

/* Client c and server s over a fresh non-blocking socketpair. */
static void
pair_join(struct pair *p, SSL *c, SSL *s)
{
	assert_non_null(p->c = c);
	assert_non_null(p->s = s);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
	fcntl(p->fd[0], F_SETFL, O_NONBLOCK);
	fcntl(p->fd[1], F_SETFL, O_NONBLOCK);
	SSL_set_fd(p->c, p->fd[0]);
	SSL_set_fd(p->s, p->fd[1]);
	SSL_set_connect_state(p->c);
	SSL_set_accept_state(p->s);
}

static void
pair_new(struct pair *p, struct tls_ctx *cc, struct tls_ctx *sc)
{
	pair_join(p, tls_ssl_new(cc), tls_ssl_new(sc));
}

static void
pair_free(struct pair *p)
{
	SSL_free(p->c);
	SSL_free(p->s);
	close(p->fd[0]);
	close(p->fd[1]);
}

/*
 * A client that our tls module would never build: plain OpenSSL with the
 * certificate `who` and at most TLS version max, facing server context sc.
 */
static void
raw_pair_new(struct fx *f, struct pair *p, SSL_CTX **rawp, const char *who,
    int max, struct tls_ctx *sc)
{
	char cert[4096], key[4096];
	SSL_CTX *raw;

	snprintf(cert, sizeof(cert), "%s/%s.crt", f->tmp, who);
	snprintf(key, sizeof(key), "%s/%s.key", f->tmp, who);
	assert_non_null(raw = SSL_CTX_new(TLS_client_method()));
	if (max != 0)
		SSL_CTX_set_max_proto_version(raw, max);
	assert_int_equal(SSL_CTX_use_certificate_file(raw, cert,
	    SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(raw, key,
	    SSL_FILETYPE_PEM), 1);
	pair_join(p, SSL_new(raw), tls_ssl_new(sc));
	*rawp = raw;
}

/* The server side's verdict on a client certificate. */
static void
expect_client_refused(struct fx *f, const char *who, const char *reason)
{
	struct tls_ctx *sc = ctx_for(f, TLS_SERVER, "hub", PKI_ROLE_ENGINEER);
	struct tls_ctx *cc;
	struct pair p;
	char why[256];

	/* A foreign client trusts our CA; only its own cert is foreign. */
	cc = ctx_for(f, TLS_CLIENT, who, PKI_ROLE_HUB);
	pair_new(&p, cc, sc);
	assert_false(handshake(p.c, p.s));
	tls_error_reason(p.s, why, sizeof(why));
	if (strstr(why, reason) == NULL)
		fail_msg("%s: reason \"%s\", wanted \"%s\"", who, why, reason);
	pair_free(&p);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/* R15, R16: mutual TLS 1.3; each side learns who the other is. */
static void
test_mutual_ok(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_for(f, TLS_SERVER, "hub", PKI_ROLE_ENGINEER);
	struct tls_ctx *cc = ctx_for(f, TLS_CLIENT, "alice", PKI_ROLE_HUB);
	struct tls_peer peer;
	struct pair p;

	pair_new(&p, cc, sc);
	assert_true(handshake(p.c, p.s));
	assert_int_equal(SSL_version(p.s), TLS1_3_VERSION);
	assert_int_equal(tls_peer_get(p.s, PKI_ROLE_ENGINEER, &peer), 0);
	assert_string_equal(peer.cn, "Alice");
	assert_int_equal(peer.roles, PKI_ROLE_ENGINEER);
	assert_int_equal(strlen(peer.fingerprint), 64);
	assert_int_equal(tls_peer_get(p.c, PKI_ROLE_HUB, &peer), 0);
	assert_string_equal(peer.cn, "hub.example");
	/* Asking for another role than the peer has fails closed. */
	assert_int_equal(tls_peer_get(p.s, PKI_ROLE_ADMIN, &peer),
	    RSG_ERR_CERT_ROLE);
	/* No session tickets: nothing to resume without a certificate. */
	assert_int_equal(SSL_SESSION_is_resumable(SSL_get_session(p.c)), 0);
	pair_free(&p);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/* R16: an access point's certificate cannot log in as an engineer. */
static void
test_wrong_role(void **state)
{
	expect_client_refused(*state, "ap", "not valid for this role");
}

/* R5: a revoked engineer is refused at the handshake. */
static void
test_revoked(void **state)
{
	expect_client_refused(*state, "mallory", "revoked");
}

static void
test_expired(void **state)
{
	expect_client_refused(*state, "old", "expired");
}

/* A certificate from another CA, even one with the right role. */
static void
test_other_ca(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_for(f, TLS_SERVER, "hub", PKI_ROLE_ENGINEER);
	SSL_CTX *raw;
	struct pair p;
	char why[256];

	/* Eve's client, built by hand, presents CA B's certificate. */
	raw_pair_new(f, &p, &raw, "eve", 0, sc);
	assert_false(handshake(p.c, p.s));
	tls_error_reason(p.s, why, sizeof(why));
	assert_non_null(strstr(why, "not issued by a trusted CA"));
	pair_free(&p);
	SSL_CTX_free(raw);
	tls_ctx_free(sc);
}

/* The client side checks the server too: an AP posing as the hub. */
static void
test_server_wrong_role(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_for(f, TLS_SERVER, "ap", PKI_ROLE_ENGINEER);
	struct tls_ctx *cc = ctx_for(f, TLS_CLIENT, "alice", PKI_ROLE_HUB);
	struct pair p;
	char why[256];

	pair_new(&p, cc, sc);
	assert_false(handshake(p.c, p.s));
	tls_error_reason(p.c, why, sizeof(why));
	assert_non_null(strstr(why, "not valid for this role"));
	pair_free(&p);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/* A TLS 1.2 client is refused: TLS 1.3 only. */
static void
test_tls12_refused(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_for(f, TLS_SERVER, "hub", PKI_ROLE_ENGINEER);
	SSL_CTX *raw;
	struct pair p;
	char why[256];

	raw_pair_new(f, &p, &raw, "alice", TLS1_2_VERSION, sc);
	assert_false(handshake(p.c, p.s));
	tls_error_reason(p.s, why, sizeof(why));
	if (strstr(why, "TLS 1.3") == NULL)
		fail_msg("reason \"%s\"", why);
	pair_free(&p);
	SSL_CTX_free(raw);
	tls_ctx_free(sc);
}

/* Plaintext on a TLS port gets a plain reason, not a crash. */
static void
test_plaintext_refused(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_for(f, TLS_SERVER, "hub", PKI_ROLE_ENGINEER);
	const char req[] = "GET / HTTP/1.0\r\n\r\n";
	int fd[2], i, r = 1;
	char why[256];
	SSL *s;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
	fcntl(fd[1], F_SETFL, O_NONBLOCK);
	assert_int_equal(write(fd[0], req, sizeof(req) - 1),
	    (ssize_t)sizeof(req) - 1);
	s = tls_ssl_new(sc);
	SSL_set_fd(s, fd[1]);
	SSL_set_accept_state(s);
	for (i = 0; i < 10; i++) {
		r = SSL_do_handshake(s);
		if (r == 1 || SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
			break;
	}
	assert_int_not_equal(r, 1);
	tls_error_reason(s, why, sizeof(why));
	if (strstr(why, "plaintext") == NULL)
		fail_msg("reason \"%s\"", why);
	SSL_free(s);
	close(fd[0]);
	close(fd[1]);
	tls_ctx_free(sc);
}

/*
 * R5: a certificate revoked while a daemon runs is refused once the daemon's
 * timer refreshes the CRL; an unchanged CRL is not reloaded.
 */
static void
test_crl_refresh(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_for(f, TLS_SERVER, "ap", PKI_ROLE_ENGINEER);
	struct tls_ctx *cc;
	struct pki_ca *a = NULL;
	struct pair p;
	X509 *cert = NULL;
	char err[512], why[256];
	int reloaded = -1;

	assert_int_equal(tls_ctx_refresh_crl(sc, &reloaded, err, sizeof(err)),
	    0);
	assert_int_equal(reloaded, 0);
	/* Alice is accepted... */
	cc = ctx_for(f, TLS_CLIENT, "alice", PKI_ROLE_AP);
	pair_new(&p, cc, sc);
	assert_true(handshake(p.c, p.s));
	pair_free(&p);
	/* ...revoked (the file changes)... */
	assert_int_equal(pki_ca_open(tmppath(f->tmp, "ca-a"), &a, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_cert_load(tmppath(f->tmp, "alice.crt"), &cert),
	    0);
	assert_int_equal(pki_ca_revoke_cert(a, cert, time_now_ms() / 1000,
	    err, sizeof(err)), 0);
	X509_free(cert);
	pki_ca_free(a);
	/* ...and refused after the refresh. */
	assert_int_equal(tls_ctx_refresh_crl(sc, &reloaded, err, sizeof(err)),
	    0);
	assert_int_equal(reloaded, 1);
	pair_new(&p, cc, sc);
	assert_false(handshake(p.c, p.s));
	tls_error_reason(p.s, why, sizeof(why));
	assert_non_null(strstr(why, "revoked"));
	pair_free(&p);
	assert_int_equal(tls_ctx_refresh_crl(sc, &reloaded, err, sizeof(err)),
	    0);
	assert_int_equal(reloaded, 0);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/* The SHA-256 of a test certificate, for tls_ssl_new_resume(). */
static void
fpr_of(struct fx *f, const char *who, uint8_t fpr[32])
{
	char hex[65], path[4096];
	X509 *cert = NULL;

	snprintf(path, sizeof(path), "%s/%s.crt", f->tmp, who);
	assert_int_equal(pki_cert_load(path, &cert), 0);
	assert_int_equal(pki_cert_fingerprint(cert, hex, sizeof(hex)), 0);
	assert_int_equal(hex_decode(hex, fpr, 32), 0);
	X509_free(cert);
}

/*
 * One handshake of client context cc (offering its session for the server
 * whose certificate has fpr) with sc; the client then reads once, which
 * takes in the server's ticket. Returns 1 if accepted; *resumed says how.
 */
static int
resume_round(struct tls_ctx *cc, struct tls_ctx *sc, const uint8_t fpr[32],
    int *resumed, struct tls_peer *seen)
{
	struct pair p;
	char b;
	int ok;

	pair_join(&p, tls_ssl_new_resume(cc, fpr), tls_ssl_new(sc));
	ok = handshake(p.c, p.s);
	if (ok) {
		(void)SSL_read(p.c, &b, 1);	/* the NewSessionTicket */
		*resumed = tls_ssl_resumed(p.s);
		assert_int_equal(tls_ssl_resumed(p.c), *resumed);
		/* A resumption never issues a ticket (its life never grows). */
		if (*resumed)
			assert_int_equal(SSL_get_num_tickets(p.s), 0);
		assert_int_equal(tls_peer_get(p.s, PKI_ROLE_ENGINEER, seen), 0);
	}
	ERR_clear_error();
	pair_free(&p);
	return ok;
}

/*
 * Resumption (the AP's stream_resumption): a second handshake with the same
 * access point resumes, and still names the engineer; a client asking for
 * another server's session, a server without resumption, and a server whose
 * trust was reloaded since the ticket each make a full handshake.
 */
static void
test_resumption(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_resume(f, TLS_SERVER, "ap", PKI_ROLE_ENGINEER,
	    60);
	struct tls_ctx *cc = ctx_resume(f, TLS_CLIENT, "alice", PKI_ROLE_AP,
	    60);
	struct tls_ctx *off;
	struct tls_peer peer;
	uint8_t ap[32], hub[32];
	char err[512];
	int resumed = -1;

	fpr_of(f, "ap", ap);
	fpr_of(f, "hub", hub);
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 0);
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 1);
	assert_string_equal(peer.cn, "Alice");
	/* The session is kept for the AP's certificate, not another's. */
	assert_true(resume_round(cc, sc, hub, &resumed, &peer));
	assert_int_equal(resumed, 0);
	/* A reloaded trust (a new CRL) voids every earlier ticket. */
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 1);
	assert_int_equal(tls_ctx_reload_crl(sc, err, sizeof(err)), 0);
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 0);
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 1);
	/* A server with resumption off issues nothing to resume. */
	off = ctx_for(f, TLS_SERVER, "ap", PKI_ROLE_ENGINEER);
	assert_true(resume_round(cc, off, ap, &resumed, &peer));
	assert_int_equal(resumed, 0);
	tls_ctx_free(off);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/*
 * A CRL reloaded while a handshake runs: the handshake checked the peer
 * against the old list, so the server is told (tls_ssl_trust_current, the
 * AP then ends the stream) and the ticket it issues is void at birth.
 */
static void
test_resumption_reload_midway(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_resume(f, TLS_SERVER, "ap", PKI_ROLE_ENGINEER,
	    60);
	struct tls_ctx *cc = ctx_resume(f, TLS_CLIENT, "alice", PKI_ROLE_AP,
	    60);
	struct tls_peer peer;
	struct pair p;
	uint8_t ap[32];
	char err[512], b;
	int resumed = -1;

	fpr_of(f, "ap", ap);
	pair_join(&p, tls_ssl_new_resume(cc, ap), tls_ssl_new(sc));
	assert_true(tls_ssl_trust_current(p.s));
	assert_int_equal(tls_ctx_reload_crl(sc, err, sizeof(err)), 0);
	assert_true(handshake(p.c, p.s));
	(void)SSL_read(p.c, &b, 1);	/* the NewSessionTicket */
	assert_false(tls_ssl_trust_current(p.s));
	pair_free(&p);
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 0);
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 1);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/*
 * R5 with resumption: an engineer revoked after the ticket was issued is
 * refused on the next stream once the CRL is refreshed; the ticket does not
 * carry them past the revocation.
 */
static void
test_resumption_revoked(void **state)
{
	struct fx *f = *state;
	struct tls_ctx *sc = ctx_resume(f, TLS_SERVER, "ap", PKI_ROLE_ENGINEER,
	    60);
	struct tls_ctx *cc = ctx_resume(f, TLS_CLIENT, "bob", PKI_ROLE_AP,
	    60);
	struct tls_peer peer;
	struct pki_ca *a = NULL;
	X509 *cert = NULL;
	uint8_t ap[32];
	char err[512];
	int resumed = -1, reloaded = 0;

	fpr_of(f, "ap", ap);
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_true(resume_round(cc, sc, ap, &resumed, &peer));
	assert_int_equal(resumed, 1);
	assert_string_equal(peer.cn, "Bob");
	assert_int_equal(pki_ca_open(tmppath(f->tmp, "ca-a"), &a, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_cert_load(tmppath(f->tmp, "bob.crt"), &cert), 0);
	assert_int_equal(pki_ca_revoke_cert(a, cert, time_now_ms() / 1000,
	    err, sizeof(err)), 0);
	X509_free(cert);
	pki_ca_free(a);
	assert_int_equal(tls_ctx_refresh_crl(sc, &reloaded, err, sizeof(err)),
	    0);
	assert_int_equal(reloaded, 1);
	assert_false(resume_round(cc, sc, ap, &resumed, &peer));
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

/* A world-readable key is refused when the context is made. */
static void
test_key_permissions(void **state)
{
	struct fx *f = *state;
	struct tls_ctx_conf conf = { TLS_SERVER, NULL, NULL, NULL, NULL,
		PKI_ROLE_ENGINEER, 0 };
	struct tls_ctx *ctx = NULL;
	char cert[4096], key[4096], err[512];

	snprintf(cert, sizeof(cert), "%s/hub.crt", f->tmp);
	snprintf(key, sizeof(key), "%s/hub.key", f->tmp);
	conf.cert = cert;
	conf.key = key;
	conf.ca = f->ca_a;
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_not_equal(tls_ctx_new(&conf, &ctx, err, sizeof(err)), 0);
	assert_null(ctx);
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(tls_ctx_new(&conf, &ctx, err, sizeof(err)), 0);
	tls_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual_ok),
		cmocka_unit_test(test_wrong_role),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_other_ca),
		cmocka_unit_test(test_server_wrong_role),
		cmocka_unit_test(test_tls12_refused),
		cmocka_unit_test(test_plaintext_refused),
		cmocka_unit_test(test_key_permissions),
		cmocka_unit_test(test_resumption),
		cmocka_unit_test(test_resumption_reload_midway),
		cmocka_unit_test(test_resumption_revoked),
		cmocka_unit_test(test_crl_refresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
