/*
 * fuzz-risk-register.c: libFuzzer target for the risk register loader
 * (YAML from people, docs/RISK.md). Whatever loads must also evaluate
 * against an empty fact set and render every report without a crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rsgate/risk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct risk_register *r = NULL;
	struct risk_eval *e = NULL;
	struct rsg_buf *b;
	char err[RISK_ERR_MAX];

	if (risk_register_load("fuzz", (const char *)data, size, &r, err,
	    sizeof(err)) != 0)
		return 0;
	if (risk_eval_run(r, NULL, 1780000000, &e) != 0)
		abort();
	if ((b = buf_new(0)) == NULL ||
	    risk_report(e, RISK_FMT_MD, RISK_REPORT_TABLE, b) != 0 ||
	    risk_report(e, RISK_FMT_JSON, RISK_REPORT_TABLE, b) != 0 ||
	    risk_report(e, RISK_FMT_CSV, RISK_REPORT_SOA, b) != 0)
		abort();
	buf_free(b);
	risk_eval_free(e);
	risk_register_free(r);
	return 0;
}
