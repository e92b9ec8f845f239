/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree of bhyve_config(5).
 *
 * Every entry is a config_node: an interior node has children and no
 * value, a leaf has a value and no children.  Children are kept in
 * insertion order; setting a value again moves the leaf to the end of
 * its parent's list, so dump_config() shows settings in the order they
 * last took effect.  Trees are small (tens of entries), so lookups are
 * linear scans.
 *
 * The tree is process-wide, as in FreeBSD's config.c: the command line
 * builds it before any thread exists, then devices read it.  One mutex
 * makes reads from several threads safe anyway.
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bhyve/config.h"

/* Deeper %(var) nesting than this is taken as a reference loop. */
#define	CONFIG_MAX_DEPTH	16

struct config_node {
	char		*name;
	char		*value;		/* NULL: interior node */
	char		*expanded;	/* cached expansion, or NULL */
	struct config_node *parent;
	struct config_node *first;	/* children, insertion order */
	struct config_node *last;
	struct config_node *next;	/* siblings */
	struct config_node *prev;
};

/* config_lock protects config_root and every node below it. */
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static config_node_t *config_root;

static void
config_oom(void)
{
	errx(4, "Failed to allocate memory");
}

static char *
xstrdup(const char *s)
{
	char *p;

	p = strdup(s);
	if (p == NULL)
		config_oom();
	return (p);
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p;

	p = strndup(s, n);
	if (p == NULL)
		config_oom();
	return (p);
}

static config_node_t *
node_alloc(const char *name, size_t namelen)
{
	config_node_t *n;

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		config_oom();
	n->name = xstrndup(name, namelen);
	return (n);
}

static void
node_free(config_node_t *n)
{
	config_node_t *c, *next;

	if (n == NULL)
		return;
	for (c = n->first; c != NULL; c = next) {
		next = c->next;
		node_free(c);
	}
	free(n->name);
	free(n->value);
	free(n->expanded);
	free(n);
}

static void
node_append(config_node_t *parent, config_node_t *child)
{
	child->parent = parent;
	child->next = NULL;
	child->prev = parent->last;
	if (parent->last != NULL)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
}

static void
node_unlink(config_node_t *child)
{
	config_node_t *parent = child->parent;

	if (child->prev != NULL)
		child->prev->next = child->next;
	else
		parent->first = child->next;
	if (child->next != NULL)
		child->next->prev = child->prev;
	else
		parent->last = child->prev;
	child->next = child->prev = NULL;
}

static config_node_t *
child_lookup(const config_node_t *parent, const char *name, size_t len)
{
	config_node_t *c;

	for (c = parent->first; c != NULL; c = c->next) {
		if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0')
			return (c);
	}
	return (NULL);
}

static config_node_t *
root_locked(void)
{
	if (config_root == NULL)
		config_root = node_alloc("", 0);
	return (config_root);
}

/* A dotted path without empty components. */
static bool
path_valid(const char *path)
{
	size_t len = strlen(path);

	return (len > 0 && path[0] != '.' && path[len - 1] != '.' &&
	    strstr(path, "..") == NULL);
}

/*
 * Walk (and with `create' extend) the dotted `path' below `parent'.
 * Returns the interior node, or NULL with a message when a component is
 * empty or names a value.  A missing node is NULL without a message.
 */
static config_node_t *
lookup_node_locked(config_node_t *parent, const char *path, bool create)
{
	config_node_t *n, *c;
	const char *comp, *end;
	size_t len;

	if (!path_valid(path)) {
		warnx("Invalid configuration node: \"%s\"", path);
		return (NULL);
	}
	n = parent != NULL ? parent : root_locked();
	comp = path;
	for (;;) {
		end = strchr(comp, '.');
		len = end != NULL ? (size_t)(end - comp) : strlen(comp);
		c = child_lookup(n, comp, len);
		if (c != NULL && c->value != NULL) {
			/* A lookup that meets a value finds no node: only
			 * creating one there is an error worth a message. */
			if (create)
				warnx("Configuration node %s is a child of "
				    "existing variable %.*s", path,
				    (int)(comp - path + len), path);
			return (NULL);
		}
		if (c == NULL) {
			if (!create)
				return (NULL);
			c = node_alloc(comp, len);
			node_append(n, c);
		}
		n = c;
		if (end == NULL)
			return (n);
		comp = end + 1;
	}
}

/* Split "a.b.c" into the node path "a.b" (NULL if none) and leaf "c". */
static const char *
split_leaf(const char *path, char **nodepath)
{
	const char *dot;

	dot = strrchr(path, '.');
	if (dot == NULL) {
		*nodepath = NULL;
		return (path);
	}
	*nodepath = xstrndup(path, (size_t)(dot - path));
	return (dot + 1);
}

/*
 * Set `name' (no dots) in `parent' to `value'.  0, or -1 with a message
 * when `name' is an interior node.
 */
static int
set_leaf_locked(config_node_t *parent, const char *name, const char *value)
{
	config_node_t *c;
	char *copy;

	if (*name == '\0') {
		warnx("Invalid empty configuration variable name");
		return (-1);
	}
	c = child_lookup(parent, name, strlen(name));
	if (c != NULL && c->value == NULL) {
		warnx("Attempting to add value %s to existing node %s",
		    value, name);
		return (-1);
	}
	copy = xstrdup(value);
	if (c == NULL) {
		c = node_alloc(name, strlen(name));
	} else {
		node_unlink(c);
		free(c->value);
		free(c->expanded);
		c->expanded = NULL;
	}
	c->value = copy;
	node_append(parent, c);
	return (0);
}

/* Set a dotted `path' relative to `parent' (NULL: root). */
static int
set_path_locked(config_node_t *parent, const char *path, const char *value)
{
	config_node_t *n;
	const char *leaf;
	char *nodepath;

	if (value == NULL) {
		warnx("No value given for configuration variable %s", path);
		return (-1);
	}
	if (!path_valid(path)) {
		warnx("Invalid configuration variable name \"%s\"", path);
		return (-1);
	}
	leaf = split_leaf(path, &nodepath);
	if (nodepath == NULL) {
		n = parent != NULL ? parent : root_locked();
	} else {
		n = lookup_node_locked(parent, nodepath, true);
		free(nodepath);
		if (n == NULL) {
			warnx("Failed to create configuration node for %s",
			    path);
			return (-1);
		}
	}
	return (set_leaf_locked(n, leaf, value));
}

/* The leaf named by dotted `path' below `parent', or NULL. */
static config_node_t *
find_leaf_locked(const config_node_t *parent, const char *path)
{
	config_node_t *n, *c;
	const char *leaf;
	char *nodepath;

	if (!path_valid(path))
		return (NULL);
	leaf = split_leaf(path, &nodepath);
	if (nodepath == NULL) {
		n = parent != NULL ? (config_node_t *)parent : root_locked();
	} else {
		n = lookup_node_locked((config_node_t *)parent, nodepath,
		    false);
		free(nodepath);
		if (n == NULL)
			return (NULL);
	}
	c = child_lookup(n, leaf, strlen(leaf));
	if (c != NULL && c->value == NULL) {
		warnx("Attempting to fetch value of node %s", path);
		return (NULL);
	}
	return (c);
}

/*
 * %(var) expansion.  Unknown variables and reference loops are reported
 * and expand to nothing (loops: to the literal reference), as bhyve does;
 * "%%" is a literal '%'.  Nesting deeper than CONFIG_MAX_DEPTH is a loop
 * (bhyve's rule); and since "a=%(a)%(a)%(a)" would still follow 3^depth
 * references, the total one read may follow is capped as well, so no
 * configuration can make a read take unbounded time.
 */
#define	CONFIG_MAX_REFS		256

struct expand_ctx {
	FILE		*out;
	int		depth;
	unsigned	refs;
};

static void expand_into(struct expand_ctx *x, const char *value);

static void
expand_ref(struct expand_ctx *x, const char *ref, size_t len)
{
	config_node_t *leaf;
	char *name;

	name = xstrndup(ref, len);
	if (++x->refs > CONFIG_MAX_REFS) {
		if (x->refs == CONFIG_MAX_REFS + 1)
			warnx("Too many references in configuration value; "
			    "stopped expanding at %%(%s)", name);
		free(name);
		return;
	}
	leaf = find_leaf_locked(NULL, name);
	if (leaf == NULL) {
		warnx("Failed to fetch referenced configuration variable %s",
		    name);
	} else if (x->depth >= CONFIG_MAX_DEPTH) {
		warnx("Too many nested references to %%(%s) in configuration "
		    "value (recursive definition?)", name);
		fprintf(x->out, "%%(%s)", name);
	} else {
		x->depth++;
		expand_into(x, leaf->value);
		x->depth--;
	}
	free(name);
}

static void
expand_into(struct expand_ctx *x, const char *value)
{
	const char *p, *close;

	for (p = value; *p != '\0'; p++) {
		if (*p != '%') {
			fputc(*p, x->out);
			continue;
		}
		if (p[1] == '%') {
			fputc('%', x->out);
			p++;
			continue;
		}
		close = p[1] == '(' ? strchr(p + 2, ')') : NULL;
		if (close == NULL) {
			warnx("Invalid reference in configuration value "
			    "\"%s\"", value);
			fputc('%', x->out);
			continue;
		}
		if (close == p + 2)
			warnx("Empty reference in configuration value \"%s\"",
			    value);
		else
			expand_ref(x, p + 2, (size_t)(close - p - 2));
		p = close;
	}
}

/* The expanded value of `leaf', cached in the leaf. */
static const char *
leaf_value_locked(config_node_t *leaf)
{
	struct expand_ctx x;
	FILE *out;
	char *buf;
	size_t size;

	if (strchr(leaf->value, '%') == NULL)
		return (leaf->value);
	out = open_memstream(&buf, &size);
	if (out == NULL)
		config_oom();
	x.out = out;
	x.depth = 0;
	x.refs = 0;
	expand_into(&x, leaf->value);
	if (fclose(out) != 0)
		config_oom();
	/*
	 * Keep the previous string when nothing changed, so a pointer a
	 * caller got earlier stays valid until the tree is modified.
	 */
	if (leaf->expanded != NULL && strcmp(leaf->expanded, buf) == 0) {
		free(buf);
	} else {
		free(leaf->expanded);
		leaf->expanded = buf;
	}
	return (leaf->expanded);
}

void
init_config(void)
{
	pthread_mutex_lock(&config_lock);
	node_free(config_root);
	config_root = node_alloc("", 0);
	pthread_mutex_unlock(&config_lock);
}

void
free_config(void)
{
	pthread_mutex_lock(&config_lock);
	node_free(config_root);
	config_root = NULL;
	pthread_mutex_unlock(&config_lock);
}

static config_node_t *
lookup_node(config_node_t *parent, const char *path, bool create)
{
	config_node_t *n;

	pthread_mutex_lock(&config_lock);
	n = lookup_node_locked(parent, path, create);
	pthread_mutex_unlock(&config_lock);
	return (n);
}

config_node_t *
find_config_node(const char *path)
{
	return (lookup_node(NULL, path, false));
}

config_node_t *
create_config_node(const char *path)
{
	return (lookup_node(NULL, path, true));
}

config_node_t *
find_relative_config_node(config_node_t *parent, const char *path)
{
	return (lookup_node(parent, path, false));
}

config_node_t *
create_relative_config_node(config_node_t *parent, const char *path)
{
	return (lookup_node(parent, path, true));
}

/*
 * Calls cb for each direct child of the node `prefix' (a dotted path
 * relative to `parent'; NULL or "" is `parent' itself, a NULL parent is
 * the root).  `node' is NULL when the child is a value.  The walk is done
 * without the lock held, so callbacks may read and set values, but must
 * not remove entries (nothing removes entries today).
 */
int
walk_config_nodes(const char *prefix, config_node_t *parent, void *arg,
    int (*cb)(const char *name, config_node_t *node, void *arg))
{
	config_node_t *n, *c;
	int error;

	if (prefix != NULL && *prefix != '\0')
		n = lookup_node(parent, prefix, false);
	else
		n = parent != NULL ? parent : config_root;
	if (n == NULL)
		return (0);
	for (c = n->first; c != NULL; c = c->next) {
		error = cb(c->name, c->value != NULL ? NULL : c, arg);
		if (error != 0)
			return (error);
	}
	return (0);
}

/* 0, or -1 with a message; the CLI-facing setters exit(4) on it. */
static int
config_set(config_node_t *parent, const char *path, const char *value)
{
	int error;

	pthread_mutex_lock(&config_lock);
	error = set_path_locked(parent, path, value);
	pthread_mutex_unlock(&config_lock);
	return (error);
}

void
set_config_value(const char *path, const char *value)
{
	if (config_set(NULL, path, value) != 0)
		exit(4);
}

void
set_config_value_node(config_node_t *parent, const char *name,
    const char *value)
{
	if (strchr(name, '.') != NULL)
		errx(4, "Invalid config node name %s", name);
	if (config_set(parent, name, value) != 0)
		exit(4);
}

static bool
leaf_exists(const config_node_t *parent, const char *path)
{
	bool exists;

	pthread_mutex_lock(&config_lock);
	exists = find_leaf_locked(parent, path) != NULL;
	pthread_mutex_unlock(&config_lock);
	return (exists);
}

void
set_config_value_if_unset(const char *path, const char *value)
{
	if (!leaf_exists(NULL, path))
		set_config_value(path, value);
}

void
set_config_value_node_if_unset(config_node_t *parent, const char *name,
    const char *value)
{
	if (!leaf_exists(parent, name))
		set_config_value_node(parent, name, value);
}

static const char *
config_get(const config_node_t *parent, const char *path)
{
	config_node_t *leaf;
	const char *v;

	pthread_mutex_lock(&config_lock);
	leaf = find_leaf_locked(parent, path);
	v = leaf != NULL ? leaf_value_locked(leaf) : NULL;
	pthread_mutex_unlock(&config_lock);
	return (v);
}

const char *
get_config_value(const char *path)
{
	return (config_get(NULL, path));
}

/* `name' may be a dotted path relative to `parent' (NULL: root). */
const char *
get_config_value_node(const config_node_t *parent, const char *name)
{
	return (config_get(parent, name));
}

static bool
bool_value(const char *name, const char *value)
{
	static const char *const yes[] = { "true", "on", "yes", "1" };
	static const char *const no[] = { "false", "off", "no", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return (true);
		if (strcasecmp(value, no[i]) == 0)
			return (false);
	}
	errx(4, "Invalid value %s for boolean variable %s", value, name);
}

bool
get_config_bool(const char *path)
{
	const char *value;

	value = get_config_value(path);
	if (value == NULL)
		errx(4, "Failed to fetch boolean variable %s", path);
	return (bool_value(path, value));
}

bool
get_config_bool_default(const char *path, bool def)
{
	const char *value;

	value = get_config_value(path);
	if (value == NULL)
		return (def);
	return (bool_value(path, value));
}

bool
get_config_bool_node(const config_node_t *parent, const char *name)
{
	const char *value;

	value = get_config_value_node(parent, name);
	if (value == NULL)
		errx(4, "Failed to fetch boolean variable %s", name);
	return (bool_value(name, value));
}

bool
get_config_bool_node_default(const config_node_t *parent, const char *name,
    bool def)
{
	const char *value;

	value = get_config_value_node(parent, name);
	if (value == NULL)
		return (def);
	return (bool_value(name, value));
}

void
set_config_bool(const char *path, bool value)
{
	set_config_value(path, value ? "true" : "false");
}

void
set_config_bool_node(config_node_t *parent, const char *name, bool value)
{
	set_config_value_node(parent, name, value ? "true" : "false");
}

/*
 * "name=value" with a non-empty name and value.  On failure errno says
 * why: EINVAL for bad syntax, EEXIST when the tree refuses the setting
 * (a value where a node is, or the reverse).
 */
int
parse_config_option(const char *option)
{
	const char *eq;
	char *path;
	int error;

	eq = strchr(option, '=');
	if (eq == NULL || eq == option || eq[1] == '\0') {
		warnx("invalid configuration option '%s'", option);
		errno = EINVAL;
		return (-1);
	}
	path = xstrndup(option, (size_t)(eq - option));
	error = config_set(NULL, path, eq + 1);
	free(path);
	if (error != 0) {
		errno = EEXIST;
		return (-1);
	}
	return (0);
}

/* Blank or comment: only whitespace, or whitespace then '#'. */
static bool
line_is_blank(const char *line)
{
	line += strspn(line, " \t\r\n\f\v");
	return (*line == '\0' || *line == '#');
}

static void
chomp(char *line)
{
	size_t len;

	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
}

/* One "var=value" line; the message names the file and line. */
static int
parse_config_line(const char *file, unsigned lineno, const char *line)
{
	const char *eq;
	char *path;
	int error;

	eq = strchr(line, '=');
	if (eq == NULL || eq == line || eq[1] == '\0' ||
	    strcspn(line, " \t") < (size_t)(eq - line)) {
		warnx("%s:%u: invalid config option '%s'", file, lineno, line);
		return (-1);
	}
	path = xstrndup(line, (size_t)(eq - line));
	error = config_set(NULL, path, eq + 1);
	free(path);
	if (error != 0)
		warnx("%s:%u: cannot set '%s'", file, lineno, line);
	return (error);
}

int
parse_config_file(const char *path)
{
	FILE *fp;
	char *line;
	size_t cap;
	unsigned lineno;
	int error;

	fp = fopen(path, "r");
	if (fp == NULL) {
		warn("Failed to open configuration file %s", path);
		return (-1);
	}
	line = NULL;
	cap = 0;
	error = 0;
	for (lineno = 1; getline(&line, &cap, fp) > 0; lineno++) {
		if (line_is_blank(line))
			continue;
		chomp(line);
		error = parse_config_line(path, lineno, line);
		if (error != 0)
			break;
	}
	if (error == 0 && ferror(fp)) {
		warn("%s: read error", path);
		error = -1;
	}
	free(line);
	fclose(fp);
	return (error);
}

static void
dump_node(FILE *fp, const char *prefix, const config_node_t *n)
{
	const config_node_t *c;
	char *sub;

	for (c = n->first; c != NULL; c = c->next) {
		if (c->value != NULL) {
			fprintf(fp, "%s%s=%s\n", prefix, c->name, c->value);
			continue;
		}
		if (asprintf(&sub, "%s%s.", prefix, c->name) < 0)
			config_oom();
		dump_node(fp, sub, c);
		free(sub);
	}
}

/* Raw (unexpanded) values, as bhyve's config.dump prints them. */
void
dump_config(FILE *fp)
{
	pthread_mutex_lock(&config_lock);
	if (config_root != NULL)
		dump_node(fp, "", config_root);
	pthread_mutex_unlock(&config_lock);
}
