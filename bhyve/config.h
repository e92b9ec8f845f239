/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree (bhyve_config(5)): one tree of dotted keys whose
 * values are strings.  The command line only writes it; devices only read
 * it.  API named as FreeBSD's usr.sbin/bhyve/config.h.
 *
 * Values may hold %(var) references, expanded on read (%% is a literal %).
 */
#ifndef _BHYVE_CONFIG_H_
#define _BHYVE_CONFIG_H_

#include <stdbool.h>
#include <stdio.h>

typedef struct config_node config_node_t;

void	init_config(void);
void	free_config(void);

/* Nodes: `path` is dotted ("pci.0.31.0").  NULL if absent / not a node. */
config_node_t *find_config_node(const char *path);
config_node_t *create_config_node(const char *path);
config_node_t *find_relative_config_node(config_node_t *parent,
	    const char *path);
config_node_t *create_relative_config_node(config_node_t *parent,
	    const char *path);
/* Iterate a node's direct children in insertion order: 0 or callback's
 * first nonzero return. */
/* (prefix: a path below parent, NULL for parent itself; a NULL parent is
 * the root; the callback's node is NULL when the child is a value.) */
int	walk_config_nodes(const char *prefix, config_node_t *parent, void *arg,
	    int (*cb)(const char *name, config_node_t *node, void *arg));

/* Values.  get_* return the expanded value, valid until the next set. */
void	set_config_value(const char *path, const char *value);
void	set_config_value_node(config_node_t *parent, const char *name,
	    const char *value);
/* Set only if not already set. */
void	set_config_value_if_unset(const char *path, const char *value);
void	set_config_value_node_if_unset(config_node_t *parent, const char *name,
	    const char *value);
const char *get_config_value(const char *path);
const char *get_config_value_node(const config_node_t *parent,
	    const char *name);
/* Booleans: true/on/yes/1, false/off/no/0 (any case); anything else is a
 * fatal configuration error (exit 4) naming the key. */
bool	get_config_bool(const char *path);
bool	get_config_bool_default(const char *path, bool def);
bool	get_config_bool_node(const config_node_t *parent, const char *name);
bool	get_config_bool_node_default(const config_node_t *parent,
	    const char *name, bool def);
void	set_config_bool(const char *path, bool value);
void	set_config_bool_node(config_node_t *parent, const char *name,
	    bool value);
/* Parse "name=value" (used by -o and -k).  0 or -1 (message printed). */
int	parse_config_option(const char *option);
/* Read a -k file: 0 or -1 with "file:line: message" printed. */
int	parse_config_file(const char *path);
/* Write the whole tree as "key=value" lines (config.dump). */
void	dump_config(FILE *fp);

#endif /* _BHYVE_CONFIG_H_ */
