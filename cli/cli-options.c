/*
 * cli-options.c: the option table of the rsgate command line's own config
 * file (-c FILE or $RSGATE_CONFIG). Every key gives a default for a command
 * option, so a person or a script need not repeat paths on every call; the
 * command-line option always wins.
 */
#include "rsgate/config.h"

static const char *const log_levels[] = { "error", "warn", "info", "debug",
	NULL };

static const struct config_option cli_options[] = {
	{ "pki_dir", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "Folder of the CA that `rsgate pki` commands use (their --dir)." },
	{ "audit_db", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "Database holding the audit log for `rsgate audit` (their --db)." },
	{ "audit_key", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_SENSITIVE,
	    "Private Ed25519 key that signs audit checkpoints "
	    "(`rsgate audit init|append --key`)." },
	{ "audit_pubkey", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "Public key that `rsgate audit verify --key` checks "
	    "checkpoints against." },
	{ "hub", CONFIG_STRING, 3, 255, NULL, NULL, 0,
	    "HOST:PORT of the hub's engineers' API (api_listen), for "
	    "`rsgate connect` and `rsgate devices` (their --hub)." },
	{ "cert", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "Your engineer certificate, PEM (their --cert)." },
	{ "key", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_SENSITIVE,
	    "The private key of that certificate (their --key)." },
	{ "ca", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "CA certificate(s) of the hub and the access points (their --ca)." },
	{ "log_level", CONFIG_ENUM, 0, 0, "warn", log_levels, 0,
	    "Least severe log level printed to stderr (-v overrides)." },
};

const struct config_table cli_config_table = {
	"rsgate",
	"The command line's own defaults, read from `-c FILE` or "
	"`$RSGATE_CONFIG`.",
	cli_options,
	sizeof(cli_options) / sizeof(cli_options[0]),
};
