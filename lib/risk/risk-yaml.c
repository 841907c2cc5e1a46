/*
 * risk-yaml.c: YAML text to a small tree of scalars, sequences and
 * mappings with line numbers, from libyaml's event API. Every scalar stays
 * a string (no YAML 1.1 booleans or timestamps: `no` is the word "no");
 * the register loader converts by schema. Aliases, multiple documents and
 * non-scalar keys are refused; size, node count and depth are bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "rsgate/risk.h"
#include "risk-yaml.h"

void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->val);
	free(n);
}

static int
add_kid(struct ynode *p, struct ynode *k)
{
	struct ynode **v;

	if (p->n == p->alloc) {
		size_t na = p->alloc == 0 ? 8 : p->alloc * 2;

		if ((v = realloc(p->kids, na * sizeof(*v))) == NULL)
			return RSG_ERR_NOMEM;
		p->kids = v;
		p->alloc = na;
	}
	p->kids[p->n++] = k;
	return 0;
}

int
yaml_tree_load(const char *name, const char *text, size_t len,
    struct ynode **out, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ynode *stack[RISK_DEPTH_MAX + 1], *root = NULL, *n;
	size_t depth = 0, nodes = 0;
	int r = RSG_ERR_FORMAT, done = 0, docs = 0, have_ev = 0;

	if (len > RISK_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", name,
		    RISK_FILE_MAX);
		return RSG_ERR_LIMIT;
	}
	if (!yaml_parser_initialize(&parser))
		return RSG_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(err, errlen, "%s:%zu: YAML: %s", name,
			    parser.problem_mark.line + 1,
			    parser.problem != NULL ? parser.problem : "error");
			goto out;
		}
		have_ev = 1;
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				snprintf(err, errlen, "%s:%zu: more than one "
				    "YAML document", name,
				    ev.start_mark.line + 1);
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			snprintf(err, errlen, "%s:%zu: YAML aliases are not "
			    "allowed", name, ev.start_mark.line + 1);
			goto out;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++nodes > RISK_NODES_MAX) {
				snprintf(err, errlen, "%s:%zu: more than %d "
				    "nodes", name, ev.start_mark.line + 1,
				    RISK_NODES_MAX);
				r = RSG_ERR_LIMIT;
				goto out;
			}
			if ((n = calloc(1, sizeof(*n))) == NULL) {
				r = RSG_ERR_NOMEM;
				goto out;
			}
			n->line = ev.start_mark.line + 1;
			if (ev.type == YAML_SCALAR_EVENT) {
				n->type = YN_SCALAR;
				if (strlen((char *)ev.data.scalar.value) !=
				    ev.data.scalar.length) {
					free(n);
					snprintf(err, errlen, "%s:%zu: NUL in "
					    "a value", name,
					    ev.start_mark.line + 1);
					goto out;
				}
				if ((n->val = strdup((char *)
				    ev.data.scalar.value)) == NULL) {
					free(n);
					r = RSG_ERR_NOMEM;
					goto out;
				}
			} else
				n->type = ev.type == YAML_SEQUENCE_START_EVENT ?
				    YN_SEQ : YN_MAP;
			if (depth == 0) {
				if (root != NULL) {
					ynode_free(n);
					goto out;
				}
				root = n;
			} else if (add_kid(stack[depth - 1], n) != 0) {
				ynode_free(n);
				r = RSG_ERR_NOMEM;
				goto out;
			}
			/* A mapping's keys (odd positions) are scalars. */
			if (n->type != YN_SCALAR && depth > 0 &&
			    stack[depth - 1]->type == YN_MAP &&
			    stack[depth - 1]->n % 2 == 1) {
				snprintf(err, errlen, "%s:%zu: keys must be "
				    "plain values", name, n->line);
				r = RSG_ERR_FORMAT;
				goto out;
			}
			if (n->type != YN_SCALAR) {
				if (depth >= RISK_DEPTH_MAX) {
					snprintf(err, errlen, "%s:%zu: nested "
					    "deeper than %d", name, n->line,
					    RISK_DEPTH_MAX);
					r = RSG_ERR_LIMIT;
					goto out;
				}
				stack[depth++] = n;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = 0;
	}
	if (root == NULL) {
		snprintf(err, errlen, "%s:1: empty document", name);
		goto out;
	}
	*out = root;
	root = NULL;
	r = 0;
 out:
	if (have_ev)
		yaml_event_delete(&ev);
	ynode_free(root);
	yaml_parser_delete(&parser);
	return r;
}
