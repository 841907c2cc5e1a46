/*
 * fuzz-risk-pred.c: libFuzzer target for the predicate parser of the risk
 * register. A parsed predicate must format to text that parses again to
 * the same text (the canonical form is a fixed point), and evaluate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/risk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct risk_pred *p = NULL, *q = NULL;
	struct rsg_buf *a = NULL, *b = NULL;
	struct risk_facts *f = NULL;
	char *s, *t = NULL, err[256];

	if (size > RISK_PRED_MAX || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (risk_pred_parse(s, &p, err, sizeof(err)) != 0)
		goto out;
	if ((a = buf_new(0)) == NULL || (b = buf_new(0)) == NULL ||
	    risk_pred_format(p, a) != 0 || (t = buf_dup_cstring(a)) == NULL ||
	    risk_pred_parse(t, &q, err, sizeof(err)) != 0 ||
	    risk_pred_format(q, b) != 0 || buf_len(a) != buf_len(b) ||
	    memcmp(buf_ptr(a), buf_ptr(b), buf_len(a)) != 0)
		abort();
	if (risk_facts_new(&f) != 0 || risk_facts_set(f, "a", "1") != 0)
		abort();
	(void)risk_pred_eval(p, f);
 out:
	risk_facts_free(f);
	risk_pred_free(p);
	risk_pred_free(q);
	buf_free(a);
	buf_free(b);
	free(t);
	free(s);
	return 0;
}
