/*
 * risk-yaml.h: the YAML tree the register loader walks (private to the
 * risk module). Mappings keep keys and values alternating in kids.
 */
#ifndef RSGATE_RISK_YAML_H
#define RSGATE_RISK_YAML_H

#include <stddef.h>

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_type type;
	size_t line;
	char *val;		/* YN_SCALAR */
	struct ynode **kids;
	size_t n, alloc;
};

/* Parse text into a tree; err gets "NAME:LINE: reason". */
int yaml_tree_load(const char *name, const char *text, size_t len,
    struct ynode **out, char *err, size_t errlen);
void ynode_free(struct ynode *n);

#endif
