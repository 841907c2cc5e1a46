/*
 * util: the bottom layer of librsgate. Error codes, a bounded byte buffer
 * with typed big-endian get/put and length-prefixed strings, logging with
 * escaping of user strings, checked number parsing, small string and time
 * helpers. Uses nothing else of rsgate; every other module uses it.
 *
 * Conventions for the whole library: functions return 0 on success or a
 * negative RSG_ERR_* code; output parameters are written only on success;
 * destructors accept NULL.
 */
#ifndef RSGATE_UTIL_H
#define RSGATE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define RSG_WUR __attribute__((warn_unused_result))
#define RSG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- errors ---------------------------------------------------------- */

enum rsg_err {
	RSG_OK = 0,
	RSG_ERR_INTERNAL = -1,	     /* a bug: an invariant did not hold */
	RSG_ERR_NOMEM = -2,	     /* allocation failed */
	RSG_ERR_INVALID_ARG = -3,    /* caller passed a bad argument */
	RSG_ERR_LIMIT = -4,	     /* a size limit would be exceeded */
	RSG_ERR_INCOMPLETE = -5,     /* input ends before the item does */
	RSG_ERR_FORMAT = -6,	     /* malformed input */
	RSG_ERR_RANGE = -7,	     /* number out of the allowed range */
	RSG_ERR_IO = -8,	     /* a system call failed (see errno) */
	RSG_ERR_NOT_FOUND = -9,	     /* no such file, key or record */
	RSG_ERR_EXISTS = -10,	     /* it already exists */
	RSG_ERR_CRYPTO = -11,	     /* an OpenSSL operation failed */
	RSG_ERR_DB = -12,	     /* the database failed */
	RSG_ERR_CONFIG = -13,	     /* configuration is invalid */
	RSG_ERR_VERIFY = -14,	     /* a hash or signature did not verify */
	RSG_ERR_CERT_UNTRUSTED = -15, /* certificate not from our CA */
	RSG_ERR_CERT_EXPIRED = -16,  /* certificate outside its validity */
	RSG_ERR_CERT_REVOKED = -17,  /* certificate on the revocation list */
	RSG_ERR_CERT_ROLE = -18,     /* certificate not for this role */
	RSG_ERR_PERM = -19,	     /* file permissions are unsafe */
	RSG_ERR_VERSION = -20,	     /* unsupported format or schema version */
	RSG_ERR_BUSY = -21,	     /* resource locked by someone else */
	RSG_ERR_STATE = -22,	     /* not allowed in the current state */
};

/* A short, static, human-readable description of an RSG_ERR_* code. */
const char *rsg_strerror(int err);

/* ---- bounded byte buffer (after OpenSSH sshbuf, curl dynbuf) --------- */

/* Hard cap for any buffer, whatever the caller asks for. */
#define BUF_SIZE_MAX (256u * 1024 * 1024)
/* Cap on one length-prefixed string read by buf_get_string*(). */
#define BUF_STRING_MAX (16u * 1024 * 1024)

/*
 * Fields are private. The struct is declared here only so that read-only
 * views can live on the stack (buf_init_ro) on hot paths.
 */
struct rsg_buf {
	uint8_t *d;	/* storage */
	size_t off;	/* read position */
	size_t size;	/* end of data */
	size_t alloc;	/* bytes allocated at d */
	size_t max;	/* never grow beyond this */
	int readonly;	/* view of someone else's bytes */
};

/* A new empty buffer that will never hold more than max bytes. */
struct rsg_buf *buf_new(size_t max);
/* Frees b and wipes its contents (buffers may hold keys). NULL is fine. */
void buf_free(struct rsg_buf *b);
/* Initialise a read-only view of len bytes at p (not copied, not freed). */
void buf_init_ro(struct rsg_buf *b, const void *p, size_t len);
/* Drop all contents (wiped) and rewind. */
void buf_reset(struct rsg_buf *b);

/* Bytes left to read, and a pointer to them. */
size_t buf_len(const struct rsg_buf *b);
const uint8_t *buf_ptr(const struct rsg_buf *b);
/* Mutable pointer to the unread bytes; NULL for a read-only view. */
uint8_t *buf_mutable_ptr(struct rsg_buf *b);
/* How many more bytes may be appended before the cap. */
size_t buf_room(const struct rsg_buf *b);

/* Skip n unread bytes; RSG_ERR_INCOMPLETE if fewer are there. */
int buf_consume(struct rsg_buf *b, size_t n) RSG_WUR;
/* Make room for n more bytes and return a pointer to them via dp. */
int buf_reserve(struct rsg_buf *b, size_t n, uint8_t **dp) RSG_WUR;

int buf_put(struct rsg_buf *b, const void *p, size_t n) RSG_WUR;
int buf_put_u8(struct rsg_buf *b, uint8_t v) RSG_WUR;
int buf_put_u16(struct rsg_buf *b, uint16_t v) RSG_WUR;
int buf_put_u32(struct rsg_buf *b, uint32_t v) RSG_WUR;
int buf_put_u64(struct rsg_buf *b, uint64_t v) RSG_WUR;
/* u32 big-endian length, then the bytes. */
int buf_put_string(struct rsg_buf *b, const void *p, size_t n) RSG_WUR;
/* As buf_put_string for a NUL-terminated string (NULL puts ""). */
int buf_put_cstring(struct rsg_buf *b, const char *s) RSG_WUR;
/* Append formatted text (no terminating NUL is stored). */
int buf_putf(struct rsg_buf *b, const char *fmt, ...) RSG_WUR RSG_PRINTF(2, 3);
int buf_putfv(struct rsg_buf *b, const char *fmt, va_list ap) RSG_WUR;

/* The get functions consume on success and leave b untouched on error. */
int buf_get(struct rsg_buf *b, void *p, size_t n) RSG_WUR;
int buf_get_u8(struct rsg_buf *b, uint8_t *v) RSG_WUR;
int buf_get_u16(struct rsg_buf *b, uint16_t *v) RSG_WUR;
int buf_get_u32(struct rsg_buf *b, uint32_t *v) RSG_WUR;
int buf_get_u64(struct rsg_buf *b, uint64_t *v) RSG_WUR;
/*
 * A length-prefixed string as a view into b (no copy): *p points into b and
 * is valid until b changes. Strings longer than max are RSG_ERR_LIMIT.
 */
int buf_get_string_direct(struct rsg_buf *b, size_t max, const uint8_t **p,
    size_t *len) RSG_WUR;
/*
 * A length-prefixed string copied into a new NUL-terminated allocation owned
 * by the caller. Embedded NUL bytes are RSG_ERR_FORMAT.
 */
int buf_get_cstring(struct rsg_buf *b, size_t max, char **s) RSG_WUR;
/* RSG_ERR_FORMAT if any bytes are left unread (trailing garbage). */
int buf_get_end(const struct rsg_buf *b) RSG_WUR;

/* A new NUL-terminated copy of the unread bytes (caller frees). */
char *buf_dup_cstring(const struct rsg_buf *b);

/* ---- logging ---------------------------------------------------------- */

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/*
 * Where log lines go. The library never prints: until a program sets a sink
 * with log_init(), log lines are dropped. The line is already formatted and
 * escaped (no control characters), without a newline.
 */
typedef void (*log_sink_fn)(enum log_level level, const char *line, void *arg);

/* Log to stderr as "PROG: LEVEL: file:line: message" at or above level. */
void log_init(const char *progname, enum log_level level);
/* Send lines at or above level to sink (NULL drops them). */
void log_set_sink(log_sink_fn sink, void *arg, enum log_level level);
enum log_level log_get_level(void);
/* Parse "error", "warn", "info", "debug". */
int log_level_parse(const char *s, enum log_level *level) RSG_WUR;

void log_emit(enum log_level level, const char *file, int line,
    const char *func, const char *fmt, ...) RSG_PRINTF(5, 6);

#define log_error(...) log_emit(LOG_LEVEL_ERROR, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_warn(...) log_emit(LOG_LEVEL_WARN, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_info(...) log_emit(LOG_LEVEL_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_debug(...) log_emit(LOG_LEVEL_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)

/*
 * Escape s for display: printable ASCII and valid UTF-8 text are kept;
 * '\\', '"', control characters (C0 and C1), bidirectional overrides and
 * every byte that is not valid UTF-8 become \\, \", \n, \t or \xNN. Writes at most
 * outlen bytes including the NUL; a longer result is cut and ends in "...".
 * Returns out. For quoting user strings in log lines and error messages.
 */
char *str_escape(const char *s, char *out, size_t outlen);
/*
 * As str_escape, but '"' is kept: for a peer's message shown as a sentence
 * (not inside quotes), where escaped quotes would only hurt reading.
 */
char *str_sanitize(const char *s, char *out, size_t outlen);

/* ---- checked number parsing ------------------------------------------- */

/*
 * Decimal integer, optional leading '-' for the signed form, no spaces, no
 * trailing bytes, within [min, max]. RSG_ERR_FORMAT or RSG_ERR_RANGE.
 */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) RSG_WUR;
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) RSG_WUR;
/* "yes"/"no", "true"/"false", "on"/"off", "1"/"0". */
int parse_bool(const char *s, int *out) RSG_WUR;
/*
 * A duration in seconds: a number with an optional unit s, m, h, d or w
 * ("90", "90s", "15m", "8h", "30d"); within [min, max] seconds.
 */
int parse_duration(const char *s, uint64_t min, uint64_t max, uint64_t *out) RSG_WUR;

/* ---- strings, memory, time, files ------------------------------------- */

/*
 * Whether s is a name or short text field from outside: 1 to max bytes,
 * no C0 control character and no DEL (0 for NULL).
 */
int str_field_ok(const char *s, size_t max);
/* Copy src into dst (size dstlen, NUL-terminated); RSG_ERR_LIMIT if cut. */
int str_copy(char *dst, size_t dstlen, const char *src) RSG_WUR;
/* Hex-encode n bytes into out (2n+1 bytes). Returns out. */
char *hex_encode(const uint8_t *p, size_t n, char *out);
/* Decode exactly n bytes from 2n hex digits. */
int hex_decode(const char *s, uint8_t *out, size_t n) RSG_WUR;
/* Wipe memory that held a secret, in a way the compiler keeps. */
void mem_wipe(void *p, size_t n);
/*
 * Constant-time comparison. Returns 0 when EQUAL (like memcmp), non-zero
 * when different: write `mem_equal_ct(a, b, n) != 0` for "differs".
 */
int mem_equal_ct(const void *a, const void *b, size_t n);

/* Wall-clock time as milliseconds since the Unix epoch (UTC). */
int64_t time_now_ms(void);
/* Monotonic clock in milliseconds, for timeouts. */
int64_t time_mono_ms(void);
/* Format ms since epoch as RFC 3339 UTC "2026-11-26T12:45:22.123Z". */
char *time_format_rfc3339(int64_t ms, char *out, size_t outlen);

/*
 * Write len bytes to path atomically (temporary file, fsync, rename, fsync
 * of the folder) with the given mode. RSG_ERR_EXISTS if excl and path exists.
 */
int file_write_atomic(const char *path, const void *p, size_t len,
    unsigned mode, int excl) RSG_WUR;
/*
 * Turn off Nagle's algorithm on a TCP socket (a no-op on others): a tunnel
 * carries interactive sessions and handshakes, where waiting for the peer's
 * delayed ACK costs 40 ms per exchange. Accepted sockets inherit it from
 * their listener.
 */
void net_nodelay(int fd);
/* Read a whole file of at most max bytes into a new buffer. */
int file_read_all(const char *path, size_t max, struct rsg_buf **out) RSG_WUR;

/* ---- base64 (RFC 4648, standard alphabet, padded) ----------------------- */

/* n bytes at p as a new NUL-terminated base64 string (caller frees). */
int base64_encode(const void *p, size_t n, char **out) RSG_WUR;
/*
 * Decode len characters of strict base64 (no whitespace, length a multiple
 * of 4) and append the bytes to out. RSG_ERR_FORMAT, RSG_ERR_LIMIT (out's
 * cap), RSG_ERR_NOMEM; out is unchanged on error.
 */
int base64_decode(const char *s, size_t len, struct rsg_buf *out) RSG_WUR;

#endif /* RSGATE_UTIL_H */
