/* SPDX-License-Identifier: BSD-2-Clause */
/* The config tree: nodes and values, %(var) expansion, -o, -k, dump. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bhyve/config.h"
#include "tests/unit/config_fixture.h"

/* dump_config() output as a malloc'd string. */
static char *
dump(void)
{
	char *buf;
	size_t size;
	FILE *fp;

	fp = open_memstream(&buf, &size);
	assert_non_null(fp);
	dump_config(fp);
	fclose(fp);
	return (buf);
}

static void
assert_dump(const char *want)
{
	char *got;

	got = dump();
	assert_string_equal(got, want);
	free(got);
}

/* Write `text' to a temporary file; returns its malloc'd path. */
static char *
tmpfile_with(const char *text)
{
	char *path;
	int fd;

	path = strdup("/tmp/test_config.XXXXXX");
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return (path);
}

static int
parse_text(const char *text)
{
	char *path;
	int error;

	path = tmpfile_with(text);
	error = parse_config_file(path);
	unlink(path);
	free(path);
	return (error);
}

static void
test_set_get(void **state)
{
	(void)state;
	assert_null(get_config_value("name"));
	set_config_value("name", "vm0");
	assert_string_equal(get_config_value("name"), "vm0");
	set_config_value("pci.0.31.0.device", "lpc");
	assert_string_equal(get_config_value("pci.0.31.0.device"), "lpc");
	assert_null(get_config_value("pci.0.31.0.other"));
	assert_null(get_config_value("pci.0.30.0.device"));
	assert_null(get_config_value("nope.x"));
	/* Values may be empty or hold any character but NUL. */
	set_config_value("e", "");
	assert_string_equal(get_config_value("e"), "");
	set_config_value("s", "a b=c,d;e");
	assert_string_equal(get_config_value("s"), "a b=c,d;e");
}

static void
test_last_wins(void **state)
{
	(void)state;
	set_config_value("memory.size", "256M");
	set_config_value("memory.size", "1G");
	assert_string_equal(get_config_value("memory.size"), "1G");
}

static void
test_nodes(void **state)
{
	config_node_t *n, *m;

	(void)state;
	assert_null(find_config_node("pci"));
	n = create_config_node("pci.0.3.0");
	assert_non_null(n);
	assert_ptr_equal(find_config_node("pci.0.3.0"), n);
	assert_non_null(find_config_node("pci.0"));
	m = find_relative_config_node(find_config_node("pci"), "0.3.0");
	assert_ptr_equal(m, n);
	m = create_relative_config_node(n, "port.0");
	assert_non_null(m);
	set_config_value_node(m, "path", "/tmp/disk");
	assert_string_equal(get_config_value("pci.0.3.0.port.0.path"),
	    "/tmp/disk");
	assert_string_equal(get_config_value_node(n, "port.0.path"),
	    "/tmp/disk");
	/* A NULL parent is the root. */
	set_config_value_node(NULL, "top", "1");
	assert_string_equal(get_config_value("top"), "1");
	assert_string_equal(get_config_value_node(NULL, "top"), "1");
	/* Values are not nodes. */
	assert_null(find_config_node("top"));
	assert_null(find_config_node("pci.0.3.0.port.0.path"));
}

static void
test_bad_paths(void **state)
{
	(void)state;
	assert_null(create_config_node(""));
	assert_null(create_config_node("a..b"));
	assert_null(create_config_node(".a"));
	assert_null(create_config_node("a."));
	assert_null(find_config_node("a..b"));
	assert_int_equal(parse_config_option("a..b=1"), -1);
	assert_int_equal(parse_config_option(".a=1"), -1);
	assert_int_equal(parse_config_option("a.=1"), -1);
	assert_null(get_config_value(""));
	assert_null(get_config_value("a."));
}

static void
test_node_value_conflicts(void **state)
{
	(void)state;
	set_config_value("memory.size", "1G");
	/* A value where a node is. */
	errno = 0;
	assert_int_equal(parse_config_option("memory=1G"), -1);
	assert_int_equal(errno, EEXIST);
	/* A node below a value. */
	errno = 0;
	assert_int_equal(parse_config_option("memory.size.x=1"), -1);
	assert_int_equal(errno, EEXIST);
	assert_null(create_config_node("memory.size"));
	assert_null(create_config_node("memory.size.x"));
	/* Fetching a node as a value gives nothing. */
	assert_null(get_config_value("memory"));
	/* Nothing changed. */
	assert_string_equal(get_config_value("memory.size"), "1G");
}

static void
test_if_unset(void **state)
{
	config_node_t *n;

	(void)state;
	set_config_value_if_unset("a", "1");
	set_config_value_if_unset("a", "2");
	assert_string_equal(get_config_value("a"), "1");
	n = create_config_node("tpm");
	set_config_value_node_if_unset(n, "version", "2.0");
	set_config_value_node_if_unset(n, "version", "1.2");
	assert_string_equal(get_config_value("tpm.version"), "2.0");
}

static void
test_bools(void **state)
{
	static const char *const yes[] = { "true", "TRUE", "True", "on",
	    "ON", "yes", "YeS", "1" };
	static const char *const no[] = { "false", "FALSE", "off", "Off",
	    "no", "NO", "0" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		set_config_value("b", yes[i]);
		assert_true(get_config_bool("b"));
		assert_true(get_config_bool_default("b", false));
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		set_config_value("b", no[i]);
		assert_false(get_config_bool("b"));
		assert_false(get_config_bool_default("b", true));
	}
	assert_true(get_config_bool_default("missing", true));
	assert_false(get_config_bool_default("missing", false));
	set_config_bool("x86.x2apic", true);
	assert_string_equal(get_config_value("x86.x2apic"), "true");
	set_config_bool_node(find_config_node("x86"), "mptable", false);
	assert_string_equal(get_config_value("x86.mptable"), "false");
	assert_false(get_config_bool_node(find_config_node("x86"),
	    "mptable"));
	assert_true(get_config_bool_node_default(find_config_node("x86"),
	    "nothere", true));
	/* Booleans expand references too. */
	set_config_value("flag", "%(b)");
	assert_false(get_config_bool("flag"));
}

static void
test_expand(void **state)
{
	char *raw;

	(void)state;
	set_config_value("name", "vm1");
	set_config_value("disk", "/dev/zvol/bhyve/%(name)");
	assert_string_equal(get_config_value("disk"), "/dev/zvol/bhyve/vm1");
	/* Dotted references, several per value, nested. */
	set_config_value("dir.base", "/vms");
	set_config_value("img", "%(dir.base)/%(name)/%(name).img");
	assert_string_equal(get_config_value("img"), "/vms/vm1/vm1.img");
	set_config_value("img2", "[%(img)]");
	assert_string_equal(get_config_value("img2"), "[/vms/vm1/vm1.img]");
	/* Expansion happens on read, so it sees later settings. */
	set_config_value("name", "vm2");
	assert_string_equal(get_config_value("disk"), "/dev/zvol/bhyve/vm2");
	/* Raw values are what dump shows. */
	raw = dump();
	assert_non_null(strstr(raw, "disk=/dev/zvol/bhyve/%(name)\n"));
	free(raw);
}

static void
test_expand_escapes(void **state)
{
	(void)state;
	set_config_value("name", "vm");
	set_config_value("a", "100%%");
	assert_string_equal(get_config_value("a"), "100%");
	set_config_value("b", "%%(name)");
	assert_string_equal(get_config_value("b"), "%(name)");
	set_config_value("c", "%%%(name)%%");
	assert_string_equal(get_config_value("c"), "%vm%");
	/* A '%' that starts no reference stays, with a warning. */
	set_config_value("d", "50% off");
	assert_string_equal(get_config_value("d"), "50% off");
	set_config_value("e", "tail%");
	assert_string_equal(get_config_value("e"), "tail%");
	/* Unclosed reference: literal. */
	set_config_value("f", "%(name");
	assert_string_equal(get_config_value("f"), "%(name");
	/* Empty reference: nothing. */
	set_config_value("g", "x%()y");
	assert_string_equal(get_config_value("g"), "xy");
}

static void
test_expand_unknown_and_loops(void **state)
{
	const char *v;

	(void)state;
	set_config_value("a", "<%(missing)>");
	assert_string_equal(get_config_value("a"), "<>");
	/* A node is not a value. */
	set_config_value("n.x", "1");
	set_config_value("b", "<%(n)>");
	assert_string_equal(get_config_value("b"), "<>");
	/* Self reference and a two-variable loop terminate. */
	set_config_value("self", "x%(self)");
	v = get_config_value("self");
	assert_non_null(v);
	assert_true(strncmp(v, "xxxx", 4) == 0);
	assert_non_null(strstr(v, "%(self)"));
	set_config_value("p", "%(q)");
	set_config_value("q", "%(p)");
	v = get_config_value("p");
	assert_non_null(v);
	assert_non_null(strstr(v, "%("));
}

static void
test_expand_pointer_stability(void **state)
{
	const char *v1, *v2;

	(void)state;
	set_config_value("name", "vm");
	set_config_value("x", "%(name)!");
	v1 = get_config_value("x");
	v2 = get_config_value("x");
	assert_string_equal(v1, "vm!");
	assert_ptr_equal(v1, v2);
}

static void
test_parse_option(void **state)
{
	(void)state;
	assert_int_equal(parse_config_option("a=1"), 0);
	assert_string_equal(get_config_value("a"), "1");
	assert_int_equal(parse_config_option("x.b.c=x=y"), 0);
	assert_string_equal(get_config_value("x.b.c"), "x=y");
	errno = 0;
	assert_int_equal(parse_config_option("novalue"), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(parse_config_option("empty="), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(parse_config_option("=x"), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(parse_config_option(""), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(parse_config_option("a=2"), 0);
	assert_string_equal(get_config_value("a"), "2");
}

static void
test_dump_order(void **state)
{
	(void)state;
	assert_dump("");
	set_config_value("acpi_tables", "true");
	set_config_value("memory.size", "256M");
	set_config_value("x86.strictmsr", "true");
	set_config_value("lpc.fwcfg", "bhyve");
	set_config_value("name", "vm");
	set_config_value("memory.wired", "true");
	assert_dump("acpi_tables=true\nmemory.size=256M\nmemory.wired=true\n"
	    "x86.strictmsr=true\nlpc.fwcfg=bhyve\nname=vm\n");
	/* Setting a value again moves it to the end of its node. */
	set_config_value("memory.size", "1G");
	set_config_value("acpi_tables", "false");
	assert_dump("memory.wired=true\nmemory.size=1G\n"
	    "x86.strictmsr=true\nlpc.fwcfg=bhyve\nname=vm\n"
	    "acpi_tables=false\n");
}

static void
test_file(void **state)
{
	(void)state;
	assert_int_equal(parse_text(
	    "# a comment\n"
	    "\n"
	    "name=vm\n"
	    "   # indented comment\n"
	    "\t\n"
	    "memory.size=1G\n"
	    "cpus=2\r\n"
	    "path=/a b/c # not a comment\n"
	    "last=no newline"), 0);
	assert_string_equal(get_config_value("name"), "vm");
	assert_string_equal(get_config_value("memory.size"), "1G");
	assert_string_equal(get_config_value("cpus"), "2");
	assert_string_equal(get_config_value("path"), "/a b/c # not a comment");
	assert_string_equal(get_config_value("last"), "no newline");
	assert_int_equal(parse_text(""), 0);
	assert_int_equal(parse_text("# only\n\n"), 0);
}

static void
test_file_errors(void **state)
{
	(void)state;
	assert_int_equal(parse_text("a=1\nbad line\nc=3\n"), -1);
	assert_string_equal(get_config_value("a"), "1");
	assert_null(get_config_value("c"));	/* stops at the error */
	assert_int_equal(parse_text("novalue=\n"), -1);
	assert_int_equal(parse_text("=value\n"), -1);
	assert_int_equal(parse_text("key with space=1\n"), -1);
	assert_int_equal(parse_text("key =1\n"), -1);
	assert_int_equal(parse_text("a..b=1\n"), -1);
	set_config_value("node.leaf", "1");
	assert_int_equal(parse_text("node=1\n"), -1);
	assert_int_equal(parse_config_file("/nonexistent/bhyve.conf"), -1);
	assert_int_equal(parse_config_file("/tmp"), -1);
}

static void
test_file_long_lines(void **state)
{
	size_t n = 100000;
	char *text, *want;

	(void)state;
	text = malloc(n + 16);
	assert_non_null(text);
	memcpy(text, "long=", 5);
	memset(text + 5, 'v', n);
	strcpy(text + 5 + n, "\n");
	assert_int_equal(parse_text(text), 0);
	want = text + 5;
	want[n] = '\0';
	assert_string_equal(get_config_value("long"), want);
	free(text);
}

static void
test_long_keys(void **state)
{
	char key[8192];
	size_t i;

	(void)state;
	/* A deep dotted path: 2048 levels. */
	for (i = 0; i < sizeof(key) - 2; i += 2) {
		key[i] = 'k';
		key[i + 1] = '.';
	}
	key[i - 1] = '\0';
	set_config_value(key, "deep");
	assert_string_equal(get_config_value(key), "deep");
	/* One long component. */
	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	set_config_value(key, "wide");
	assert_string_equal(get_config_value(key), "wide");
}

struct walk_result {
	char	names[256];
	int	nodes;
	int	values;
};

static int
walk_cb(const char *name, config_node_t *node, void *arg)
{
	struct walk_result *r = arg;

	strcat(r->names, name);
	strcat(r->names, " ");
	if (node != NULL)
		r->nodes++;
	else
		r->values++;
	return (0);
}

static int
walk_stop(const char *name, config_node_t *node, void *arg)
{
	(void)node;
	(void)arg;
	return (strcmp(name, "3") == 0 ? 42 : 0);
}

static void
test_walk(void **state)
{
	struct walk_result r = { "", 0, 0 };

	(void)state;
	set_config_value("pci.0.0.0.device", "hostbridge");
	set_config_value("pci.0.31.0.device", "lpc");
	set_config_value("pci.0.3.0.device", "virtio-rnd");
	set_config_value("pci.0.value", "v");
	assert_int_equal(walk_config_nodes("pci.0", NULL, &r, walk_cb), 0);
	assert_string_equal(r.names, "0 31 3 value ");
	assert_int_equal(r.nodes, 3);
	assert_int_equal(r.values, 1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(walk_config_nodes(NULL, find_config_node("pci.0"),
	    &r, walk_cb), 0);
	assert_string_equal(r.names, "0 31 3 value ");
	assert_int_equal(walk_config_nodes("pci.0", NULL, NULL, walk_stop),
	    42);
	assert_int_equal(walk_config_nodes("nothing", NULL, NULL, walk_cb),
	    0);
}

static void
test_reinit(void **state)
{
	(void)state;
	set_config_value("a", "1");
	init_config();
	assert_null(get_config_value("a"));
	free_config();
	assert_null(get_config_value("a"));
	set_config_value("b", "2");	/* works on a freed tree */
	assert_string_equal(get_config_value("b"), "2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_wins, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_node_value_conflicts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_if_unset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand_escapes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expand_unknown_and_loops,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand_pointer_stability,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_option, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dump_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_long_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reinit, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
