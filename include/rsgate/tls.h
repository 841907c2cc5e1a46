/*
 * tls: TLS 1.3 contexts with mutual authentication for every rsgate
 * connection (the hub's listeners, the AP's control channel, the tunnel's
 * end-to-end handshake). One place decides the protocol version, the
 * verification of the peer's chain, revocation, and the peer's rsgate role,
 * so no listener can forget one of them.
 *
 * The peer is refused during the handshake (with a TLS alert) when its
 * certificate does not chain to the configured CA, is expired, revoked (when
 * a CRL is configured) or lacks every role in the context's accepted set.
 * After the handshake, tls_peer_get() returns who the peer is.
 */
#ifndef RSGATE_TLS_H
#define RSGATE_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

struct ssl_ctx_st;	/* SSL_CTX */
struct ssl_st;		/* SSL */

/*
 * What every context enforces, as constants so that the risk engine's facts
 * (tls.min_version, tls.mutual_auth) are read from the code, not typed in.
 */
#define TLS_PROTO_VERSION 0x0304	/* TLS 1.3, the only version offered */
#define TLS_PEER_CERT_REQUIRED 1	/* mutual TLS on every connection */

enum tls_side {
	TLS_SERVER,
	TLS_CLIENT,
};

struct tls_ctx;

/* What a context is made from; every field but crl is required. */
struct tls_ctx_conf {
	enum tls_side side;
	const char *cert;	/* our certificate (PEM, may hold a chain) */
	const char *key;	/* our private key (0600) */
	const char *ca;		/* trust anchors for the peer's certificate */
	const char *crl;	/* revocation list of the CA, or NULL */
	unsigned peer_roles;	/* PKI_ROLE_* mask: the peer needs one of them */
	/*
	 * Session resumption, seconds (0: off, every handshake a full one).
	 * A server issues one TLS 1.3 ticket per full handshake, valid this
	 * long from it (a resumption never extends it), and honours it only
	 * while its trust (CA, CRL) is the one the ticket's handshake checked
	 * the peer under and has not passed a CRL nextUpdate or CA notAfter,
	 * and the peer's certificate is still valid; a client keeps its
	 * newest session for tls_ssl_new_resume().
	 */
	unsigned resume_secs;
};

/*
 * A new context: TLS 1.3 only, peer certificate required and verified,
 * session resumption only as conf->resume_secs allows, buffers released
 * while idle. err gets a one-line reason on failure.
 */
int tls_ctx_new(const struct tls_ctx_conf *conf, struct tls_ctx **out,
    char *err, size_t errlen) RSG_WUR;
void tls_ctx_free(struct tls_ctx *ctx);
/* The OpenSSL context, for SSL_new() or bufferevent_openssl. */
struct ssl_ctx_st *tls_ctx_ssl(const struct tls_ctx *ctx);
/*
 * Reload the CRL (after `rsgate pki revoke`): later handshakes use the new
 * list; on error the old trust stays in force.
 */
int tls_ctx_reload_crl(struct tls_ctx *ctx, char *err, size_t errlen) RSG_WUR;
/*
 * Reload the CRL only if its file changed (modification time, size or
 * inode) since it was last loaded; for a daemon's periodic timer, so that
 * `rsgate pki revoke` takes effect without a restart. *reloaded says
 * whether it did. On error the old list stays in force and the next call
 * tries again.
 */
int tls_ctx_refresh_crl(struct tls_ctx *ctx, int *reloaded, char *err,
    size_t errlen) RSG_WUR;

/* A new SSL for ctx, with hostname-independent verification set up. */
struct ssl_st *tls_ssl_new(const struct tls_ctx *ctx);
/*
 * A client SSL that offers the context's newest session if it came from the
 * server whose certificate has SHA-256 fpr and is younger than resume_secs;
 * otherwise (or if the server declines) the handshake is a full one.
 */
struct ssl_st *tls_ssl_new_resume(const struct tls_ctx *ctx,
    const uint8_t fpr[32]);
/* Whether the completed handshake on ssl resumed a session. */
int tls_ssl_resumed(struct ssl_st *ssl);
/*
 * Whether ssl was made under its context's current trust: 0 once the CA or
 * CRL was reloaded after tls_ssl_new() (the handshake checked the peer
 * against the old list). A caller that must honour a revocation at once
 * ends such a connection after its handshake.
 */
int tls_ssl_trust_current(struct ssl_st *ssl);

/* Who the peer of a completed handshake is. */
struct tls_peer {
	char cn[4 * 64 + 1];		/* subject CN (UTF-8) */
	char fingerprint[65];		/* SHA-256 of the certificate, hex */
	char serial[41];		/* serial number, hex */
	unsigned roles;			/* PKI_ROLE_* mask */
};

/*
 * Fill peer from a completed handshake on ssl. Fails closed: RSG_ERR_VERIFY
 * if there is no verified peer certificate, RSG_ERR_CERT_ROLE if it lacks
 * every role in roles.
 */
int tls_peer_get(struct ssl_st *ssl, unsigned roles, struct tls_peer *peer)
    RSG_WUR;

/*
 * Why the handshake on ssl failed, as one line for a person and an audit
 * record ("certificate revoked", "peer does not offer TLS 1.3", ...): the
 * verification result when the peer's certificate was refused, else the
 * OpenSSL error queue (consumed). Writes into out and returns it.
 */
const char *tls_error_reason(struct ssl_st *ssl, char *out, size_t outlen);

#endif /* RSGATE_TLS_H */
