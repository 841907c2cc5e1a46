/*
 * dial: an outgoing TCP connection made without blocking the event loop:
 * the name is resolved with libevent's evdns (no blocking getaddrinfo; an
 * address literal needs no lookup), then each address is tried with a
 * non-blocking connect until one answers, all within one deadline.
 */
#ifndef RSGATE_DIAL_H
#define RSGATE_DIAL_H

#include <stdint.h>

#include "rsgate/util.h"

struct event_base;
struct evdns_base;
struct net_dial;

/*
 * The result: fd >= 0 is a connected, non-blocking socket the callee now
 * owns; fd -1 comes with err, a one-line reason. Called once, from the
 * event loop (never from within net_dial_start); the dial is freed after.
 */
typedef void (*net_dial_fn)(int fd, const char *err, void *arg);

/*
 * Start dialling host:port from base, resolving with dns, failing after
 * timeout_s. RSG_ERR_NOMEM, RSG_ERR_INVALID_ARG; on success *out is the
 * handle for net_dial_cancel until the callback has run.
 */
int net_dial_start(struct event_base *base, struct evdns_base *dns,
    const char *host, uint16_t port, unsigned timeout_s, net_dial_fn fn,
    void *arg, struct net_dial **out) RSG_WUR;
/* Stop a dial whose callback has not run: no callback; NULL is fine. */
void net_dial_cancel(struct net_dial *d);

#endif /* RSGATE_DIAL_H */
