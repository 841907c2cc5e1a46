/*
 * log.c: leveled logging with the source location (after OpenSSH log.c).
 * The whole formatted line is escaped, so a user string can never forge a
 * second log line or a terminal escape. The library only formats; where the
 * line goes is the program's choice (log_init or log_set_sink).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rsgate/util.h"

#define LOG_LINE_MAX 2048

static log_sink_fn log_sink;
static void *log_sink_arg;
static enum log_level log_level = LOG_LEVEL_WARN;
static char log_progname[64] = "rsgate";

static char *escape(const char *s, char *out, size_t outlen, int quotes);

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void
log_stderr_sink(enum log_level level, const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s: %s: %s\n", log_progname, level_names[level], line);
}

void
log_init(const char *progname, enum log_level level)
{
	if (progname != NULL && str_copy(log_progname, sizeof(log_progname),
	    progname) != 0)
		log_progname[sizeof(log_progname) - 1] = '\0';
	log_set_sink(log_stderr_sink, NULL, level);
}

void
log_set_sink(log_sink_fn sink, void *arg, enum log_level level)
{
	log_sink = sink;
	log_sink_arg = arg;
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return RSG_ERR_FORMAT;
}

void
log_emit(enum log_level level, const char *file, int line, const char *func,
    const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], esc[LOG_LINE_MAX], out[LOG_LINE_MAX + 128];
	const char *base;
	va_list ap;
	int n;

	if (log_sink == NULL || level > log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Say that a message was cut rather than end it silently. */
	if (n >= (int)sizeof(raw))
		memcpy(raw + sizeof(raw) - 4, "...", 3);
	escape(raw, esc, sizeof(esc), 0);
	base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	if (log_level >= LOG_LEVEL_DEBUG)
		snprintf(out, sizeof(out), "%s:%d %s: %s", base, line, func, esc);
	else
		snprintf(out, sizeof(out), "%s:%d: %s", base, line, esc);
	log_sink(level, out, log_sink_arg);
}

/*
 * Length of the valid UTF-8 sequence at s that is safe to show as it is, or
 * 0. Refused: overlong forms, surrogates, code points past U+10FFFF, C1
 * controls and the bidirectional overrides and isolates that can make a
 * log line read differently from what it holds ("Trojan Source").
 */
static size_t
utf8_safe_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp <= 0x9f ||			/* C1 controls */
	    (cp >= 0x202a && cp <= 0x202e) ||	/* bidi embeddings/overrides */
	    (cp >= 0x2066 && cp <= 0x2069) ||	/* bidi isolates */
	    cp == 0x200e || cp == 0x200f || cp == 0x061c)	/* marks */
		return 0;
	return n;
}

/*
 * The escaper behind str_escape and log lines. quotes: also escape '"'
 * (for strings shown inside quotes).
 */
static char *
escape(const char *s, char *out, size_t outlen, int quotes)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, need, mark = 0, adv;
	unsigned char c;
	char tmp[5];
	const char *src;

	if (outlen == 0)
		return out;
	while (p != NULL && *p != '\0') {
		c = *p;
		src = tmp;
		adv = 1;
		if (c == '\\' || (quotes && c == '"')) {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			need = 2;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			tmp[0] = '\\';
			tmp[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			need = 2;
		} else if (c >= 0x80 && (adv = utf8_safe_len(p)) > 0) {
			/* Readable text in any script (a Japanese name). */
			src = (const char *)p;
			need = adv;
		} else if (c < 0x20 || c >= 0x7f) {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[c >> 4];
			tmp[3] = hex[c & 0xf];
			need = 4;
			adv = 1;
		} else {
			tmp[0] = (char)c;
			need = 1;
		}
		if (need >= outlen - o) {
			/*
			 * Cut, and say so with "..." where it fits. The dots go
			 * after the last whole escape or character that leaves
			 * room for them, so no "\x4", lone "\" or half a
			 * UTF-8 sequence is left dangling.
			 */
			if (outlen >= 4) {
				memcpy(out + mark, "...", 3);
				o = mark + 3;
			}
			break;
		}
		memcpy(out + o, src, need);
		o += need;
		p += adv;
		if (outlen >= 4 && o <= outlen - 4)
			mark = o;
	}
	out[o] = '\0';
	return out;
}

char *
str_escape(const char *s, char *out, size_t outlen)
{
	return escape(s, out, outlen, 1);
}

char *
str_sanitize(const char *s, char *out, size_t outlen)
{
	return escape(s, out, outlen, 0);
}
