/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyve's option parsers: -c topology, -p pinning and cpusets, -G, -n,
 * -f, -U, and the getopt loop for options that do not exit.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bhyve/bhyve_options.h"
#include "bhyve/bhyverun.h"
#include "bhyve/config.h"
#include "tests/unit/config_fixture.h"

static void
expect_topology(const char *opt, int ncpus, int s, int c, int t)
{
	struct bhyve_topology topo;

	init_config();
	if (opt != NULL && bhyve_topology_parse(opt) != 0)
		fail_msg("-c \"%s\" rejected", opt);
	if (bhyve_get_topology(&topo) != 0)
		fail_msg("-c \"%s\": topology rejected", opt);
	if (topo.ncpus != ncpus || topo.sockets != s || topo.cores != c ||
	    topo.threads != t)
		fail_msg("-c \"%s\": got %d = %u*%u*%u", opt, topo.ncpus,
		    topo.sockets, topo.cores, topo.threads);
}

/* Parses, but the values are refused by bhyve_get_topology(). */
static void
expect_topology_invalid(const char *opt)
{
	struct bhyve_topology topo;

	init_config();
	if (bhyve_topology_parse(opt) != 0)
		fail_msg("-c \"%s\" rejected by the parser", opt);
	if (bhyve_get_topology(&topo) == 0)
		fail_msg("-c \"%s\" accepted as %d", opt, topo.ncpus);
}

static void
test_topology(void **state)
{
	(void)state;
	expect_topology(NULL, 1, 1, 1, 1);
	expect_topology("", 1, 1, 1, 1);
	expect_topology("1", 1, 1, 1, 1);
	/* Sockets default to cpus. */
	expect_topology("4", 4, 4, 1, 1);
	expect_topology("cpus=4", 4, 4, 1, 1);
	expect_topology("0x10", 16, 16, 1, 1);
	expect_topology("sockets=2,cores=2,threads=2", 8, 2, 2, 2);
	expect_topology("cpus=8,sockets=2,cores=2,threads=2", 8, 2, 2, 2);
	expect_topology("8,sockets=2,cores=4", 8, 2, 4, 1);
	expect_topology("cores=4", 4, 1, 4, 1);
	expect_topology("threads=2", 2, 1, 1, 2);
	/* Last setting wins. */
	expect_topology("2,4", 4, 4, 1, 1);
	expect_topology("65535", 65535, 65535, 1, 1);
	expect_topology("sockets=255,cores=257", 65535, 255, 257, 1);
}

static void
test_topology_errors(void **state)
{
	(void)state;
	init_config();
	assert_int_equal(bhyve_topology_parse("maxcpus=4"), -1);
	assert_int_equal(bhyve_topology_parse("cpus=2,bogus=1"), -1);
	assert_int_equal(bhyve_topology_parse("=4"), -1);
	assert_int_equal(bhyve_topology_parse("Cpus=4"), -1);
	expect_topology_invalid("0");
	expect_topology_invalid("65536");
	expect_topology_invalid("-1");
	expect_topology_invalid("foo");
	expect_topology_invalid("4x");
	expect_topology_invalid("cpus=");
	expect_topology_invalid(",,");
	expect_topology_invalid("4,");
	expect_topology_invalid("sockets=0");
	expect_topology_invalid("cores=65536");
	expect_topology_invalid("threads=abc");
	expect_topology_invalid("99999999999999999999");
	/* cpus given: must equal sockets * cores * threads. */
	expect_topology_invalid("4,cores=2");		/* sockets = 4 */
	expect_topology_invalid("cpus=3,sockets=2");
	expect_topology_invalid("cpus=8,sockets=2,cores=2,threads=1");
	/* Product above 65535. */
	expect_topology_invalid("sockets=256,cores=256");
}

static void
test_topology_from_config(void **state)
{
	struct bhyve_topology topo;

	(void)state;
	set_config_value("cpus", "6");
	set_config_value("sockets", "3");
	set_config_value("threads", "2");
	assert_int_equal(bhyve_get_topology(&topo), 0);
	assert_int_equal(topo.ncpus, 6);
	assert_int_equal(topo.cores, 1);
	/* References expand. */
	set_config_value("n", "2");
	set_config_value("sockets", "%(n)");
	set_config_value("cpus", "4");
	assert_int_equal(bhyve_get_topology(&topo), 0);
	assert_int_equal(topo.sockets, 2);
}

static void
test_pincpu(void **state)
{
	(void)state;
	assert_int_equal(bhyve_pincpu_parse("0:1"), 0);
	assert_value("vcpu.0.cpuset", "1");
	assert_int_equal(bhyve_pincpu_parse("0:5"), 0);
	assert_value("vcpu.0.cpuset", "1,5");
	assert_int_equal(bhyve_pincpu_parse("3:1023"), 0);
	assert_value("vcpu.3.cpuset", "1023");
	assert_int_equal(bhyve_pincpu_parse("12:0"), 0);
	assert_value("vcpu.12.cpuset", "0");
}

static void
test_pincpu_errors(void **state)
{
	static const char *const bad[] = { "", ":", "0", "0:", ":1", "a:1",
	    "0:b", "0:1:2", "0:1x", "-1:2", "0:-2", " 0:1", "0: 1",
	    "0:1024", "0:99999999999", "99999999999:0", "0,1", "0-1" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bhyve_pincpu_parse(bad[i]) == 0)
			fail_msg("-p \"%s\" accepted", bad[i]);
	}
	assert_null(find_config_node("vcpu"));
}

static void
expect_cpuset(const char *list, const int *cpus, int n)
{
	cpu_set_t set, want;
	int i;

	CPU_ZERO(&want);
	for (i = 0; i < n; i++)
		CPU_SET(cpus[i], &want);
	if (bhyve_parse_cpuset(0, list, &set) != 0)
		fail_msg("cpuset \"%s\" rejected", list);
	if (!CPU_EQUAL(&set, &want))
		fail_msg("cpuset \"%s\": %d CPUs, want %d", list,
		    CPU_COUNT(&set), n);
}

static void
test_cpuset(void **state)
{
	static const int a[] = { 0 };
	static const int b[] = { 0, 2, 3, 4, 5, 7 };
	static const int c[] = { 1, 2, 3 };
	static const int d[] = { 16 };
	static const int e[] = { 1023 };

	(void)state;
	expect_cpuset("0", a, 1);
	expect_cpuset("0,2-5,7", b, 6);
	expect_cpuset("1-3", c, 3);
	expect_cpuset("3,2,1", c, 3);
	expect_cpuset("1,1,2-3,2", c, 3);
	expect_cpuset("2-2,1,3", c, 3);
	expect_cpuset("0x10", d, 1);
	expect_cpuset("1023", e, 1);
}

static void
test_cpuset_errors(void **state)
{
	static const char *const bad[] = { "", ",", "1,", ",1", "1,,2",
	    "a", "1-", "-1", "1-2-3", "3-1", "1024", "0-1024", "1 ", " 1",
	    "1;2", "+1", "99999999999999999999", "0x", "1.5" };
	cpu_set_t set;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bhyve_parse_cpuset(0, bad[i], &set) == 0)
			fail_msg("cpuset \"%s\" accepted", bad[i]);
	}
}

static void
test_vcpu_cpusets(void **state)
{
	cpu_set_t set;

	(void)state;
	assert_int_equal(bhyve_vcpu_cpuset(0, &set), 0);
	assert_int_equal(bhyve_pincpu_parse("1:4"), 0);
	assert_int_equal(bhyve_pincpu_parse("1:6"), 0);
	assert_int_equal(bhyve_vcpu_cpuset(1, &set), 1);
	assert_int_equal(CPU_COUNT(&set), 2);
	assert_true(CPU_ISSET(4, &set) && CPU_ISSET(6, &set));
	assert_int_equal(bhyve_check_cpusets(2), 0);
	set_config_value("vcpu.1.cpuset", "2-x");
	assert_int_equal(bhyve_vcpu_cpuset(1, &set), -1);
	assert_int_equal(bhyve_check_cpusets(2), -1);
	/* Only the VM's vCPUs are looked at, as bhyve does. */
	assert_int_equal(bhyve_check_cpusets(1), 0);
}

static void
test_gdb(void **state)
{
	int port;

	(void)state;
	assert_int_equal(bhyve_gdb_port(&port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(bhyve_parse_gdb_options("1234"), 0);
	assert_value("gdb.port", "1234");
	assert_value("gdb.address", NULL);
	assert_value("gdb.wait", NULL);
	assert_int_equal(bhyve_gdb_port(&port), 0);
	assert_int_equal(port, 1234);

	init_config();
	assert_int_equal(bhyve_parse_gdb_options("w127.0.0.1:5555"), 0);
	assert_value("gdb.wait", "true");
	assert_value("gdb.address", "127.0.0.1");
	assert_value("gdb.port", "5555");

	init_config();
	assert_int_equal(bhyve_parse_gdb_options("[::1]:7"), 0);
	assert_value("gdb.address", "[::1]");
	assert_value("gdb.port", "7");

	init_config();
	assert_int_equal(bhyve_parse_gdb_options("w"), 0);
	assert_value("gdb.port", "");
	assert_int_equal(bhyve_gdb_port(&port), -1);
	set_config_value("gdb.port", "65536");
	assert_int_equal(bhyve_gdb_port(&port), -1);
	set_config_value("gdb.port", "12x");
	assert_int_equal(bhyve_gdb_port(&port), -1);
}

static void
test_numa(void **state)
{
	(void)state;
	assert_int_equal(bhyve_numa_parse("id=0,size=1G,cpus=0-1"), 0);
	assert_value("domains.0.size", "1G");
	assert_value("domains.0.cpus", "0-1");
	assert_int_equal(bhyve_numa_parse("id=1,domain_policy=rr:0"), 0);
	assert_value("domains.1.domain_policy", "rr:0");
	assert_value("domains.1.size", NULL);
	assert_int_equal(bhyve_numa_parse("id=255"), 0);
	assert_non_null(find_config_node("domains.255"));

	assert_int_equal(bhyve_numa_parse(""), -1);
	assert_int_equal(bhyve_numa_parse("size=1G"), -1);	/* no id */
	assert_int_equal(bhyve_numa_parse("id=256"), -1);
	assert_int_equal(bhyve_numa_parse("id=-1"), -1);
	assert_int_equal(bhyve_numa_parse("id=x"), -1);
	assert_int_equal(bhyve_numa_parse("id="), -1);
	assert_int_equal(bhyve_numa_parse("id=2,bogus=1"), -1);
	assert_null(find_config_node("domains.2"));
}

static void
test_fwcfg(void **state)
{
	char path[] = "/tmp/test_options.XXXXXX";
	char *opt;
	int fd;

	(void)state;
	assert_int_equal(bhyve_fwcfg_parse("opt/a,string=hello"), 0);
	assert_value("fwcfg.file.0.name", "opt/a");
	assert_value("fwcfg.file.0.string", "hello");
	assert_int_equal(bhyve_fwcfg_parse("name=opt/b,string="), 0);
	assert_value("fwcfg.file.1.name", "opt/b");
	assert_value("fwcfg.file.1.string", "");
	assert_int_equal(bhyve_fwcfg_parse("opt/c,string=a,b=c"), 0);
	assert_value("fwcfg.file.2.string", "a,b=c");

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_true(asprintf(&opt, "opt/d,file=%s", path) > 0);
	assert_int_equal(bhyve_fwcfg_parse(opt), 0);
	assert_value("fwcfg.file.3.file", path);
	free(opt);
	unlink(path);
	/* The file must exist and be a regular file. */
	assert_int_equal(bhyve_fwcfg_parse(
	    "opt/e,file=/nonexistent/file"), -1);
	assert_int_equal(bhyve_fwcfg_parse("opt/e,file=/tmp"), -1);

	assert_int_equal(bhyve_fwcfg_parse(""), -1);
	assert_int_equal(bhyve_fwcfg_parse("opt/x"), -1);
	assert_int_equal(bhyve_fwcfg_parse(",string=x"), -1);
	assert_int_equal(bhyve_fwcfg_parse("opt/x,data=x"), -1);
	assert_int_equal(bhyve_fwcfg_parse("opt/x,"), -1);
	/* 55 characters fit, 56 do not. */
	assert_int_equal(bhyve_fwcfg_parse(
	    "0123456789012345678901234567890123456789012345678901234,"
	    "string=x"), 0);
	assert_int_equal(bhyve_fwcfg_parse(
	    "01234567890123456789012345678901234567890123456789012345,"
	    "string=x"), -1);
	assert_null(find_config_node("fwcfg.file.5"));
}

static void
test_uuid(void **state)
{
	uint8_t u[16];

	(void)state;
	assert_int_equal(bhyve_parse_uuid(
	    "6ba7b810-9dad-11d1-80b4-00c04fd430c8", u), 0);
	assert_int_equal(u[0], 0x6b);
	assert_int_equal(u[4], 0x9d);
	assert_int_equal(u[8], 0x80);
	assert_int_equal(u[15], 0xc8);
	assert_int_equal(bhyve_parse_uuid(
	    "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", NULL), 0);
	assert_int_equal(bhyve_parse_uuid("", u), 0);
	assert_int_equal(u[0], 0);

	assert_int_equal(bhyve_parse_uuid("x", NULL), -1);
	assert_int_equal(bhyve_parse_uuid(
	    "6ba7b8109dad11d180b400c04fd430c8", NULL), -1);
	assert_int_equal(bhyve_parse_uuid(
	    "6ba7b810-9dad-11d1-80b4-00c04fd430c", NULL), -1);
	assert_int_equal(bhyve_parse_uuid(
	    "6ba7b810-9dad-11d1-80b4-00c04fd430c80", NULL), -1);
	assert_int_equal(bhyve_parse_uuid(
	    "6ba7b810-9dad-11d1-80b4-00c04fd430cg", NULL), -1);
	assert_int_equal(bhyve_parse_uuid(
	    "6ba7b810-9dad-11d1+80b4-00c04fd430c8", NULL), -1);
	assert_int_equal(bhyve_parse_uuid(
	    "{ba7b810-9dad-11d1-80b4-00c04fd430c8}", NULL), -1);
}

/* Run bhyve_optparse() on a NULL-terminated argument list. */
static int
optparse(const char *first, ...)
{
	char *argv[32];
	va_list ap;
	int argc;

	argv[0] = (char *)"bhyve";
	argv[1] = (char *)first;
	argc = first != NULL ? 2 : 1;
	va_start(ap, first);
	while (first != NULL && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	optind = 0;		/* full getopt reinitialisation (glibc) */
	bhyve_optparse(argc, argv);
	return (optind);
}

static void
test_defaults(void **state)
{
	char *buf;
	size_t size;
	FILE *fp;

	(void)state;
	bhyve_init_config();
	fp = open_memstream(&buf, &size);
	dump_config(fp);
	fclose(fp);
	assert_string_equal(buf, "acpi_tables=true\n"
	    "acpi_tables_in_memory=true\n"
	    "memory.size=256M\n"
	    "x86.strictmsr=true\n"
	    "lpc.fwcfg=bhyve\n");
	free(buf);
}

static void
test_optparse_flags(void **state)
{
	(void)state;
	bhyve_init_config();
	assert_int_equal(optparse("-a", "-A", "-C", "-D", "-e", "-H", "-I",
	    "-P", "-S", "-u", "-W", "-w", "-Y", "vm", NULL), 14);
	assert_value("x86.x2apic", "false");
	assert_value("memory.guest_in_core", "true");
	assert_value("destroy_on_poweroff", "true");
	assert_value("x86.strictio", "true");
	assert_value("x86.vmexit_on_hlt", "true");
	assert_value("x86.vmexit_on_pause", "true");
	assert_value("memory.wired", "true");
	assert_value("rtc.use_localtime", "false");
	assert_value("virtio_msix", "false");
	assert_value("x86.strictmsr", "false");
	assert_value("x86.mptable", "false");
	assert_value("acpi_tables", "true");

	bhyve_init_config();
	assert_int_equal(optparse("-xa", "-ax", NULL), 3);
	assert_value("x86.x2apic", "true");	/* last one wins */
}

static void
test_optparse_args(void **state)
{
	(void)state;
	bhyve_init_config();
	assert_int_equal(optparse("-c", "sockets=1,cores=2", "-m", "1G",
	    "-o", "name=x", "-p", "0:1", "-p", "0:2", "-K", "us_unix",
	    "-U", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "-G", "w:1234",
	    "-s", "0,hostbridge", "-s", "31,lpc", "-l", "com1,stdio",
	    "-f", "opt/x,string=y", "-n", "id=0,size=1G", "-r", "snap",
	    "vm", "-H", NULL), 29);
	assert_value("sockets", "1");
	assert_value("cores", "2");
	assert_value("memory.size", "1G");
	assert_value("name", "x");
	assert_value("vcpu.0.cpuset", "1,2");
	assert_value("keyboard.layout", "us_unix");
	assert_value("uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	assert_value("gdb.wait", "true");
	assert_value("gdb.address", "");
	assert_value("gdb.port", "1234");
	assert_value("pci.0.0.0.device", "hostbridge");
	assert_value("pci.0.31.0.device", "lpc");
	assert_value("lpc.com1.path", "stdio");
	assert_value("fwcfg.file.0.name", "opt/x");
	assert_value("domains.0.size", "1G");
	assert_string_equal(bhyve_restore_file(), "snap");
	/* Options after the operand are operands (BSD getopt). */
	assert_value("x86.vmexit_on_hlt", NULL);
}

static void
test_optparse_config_file(void **state)
{
	char path[] = "/tmp/test_options.XXXXXX";
	const char *text = "# vm\nname=fromfile\nmemory.size=2G\n";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	close(fd);
	bhyve_init_config();
	/* Options apply in order: -m before -k loses, after -k wins. */
	optparse("-m", "512M", "-k", path, "-o", "name=%(memory.size)vm",
	    NULL);
	assert_value("memory.size", "2G");
	assert_value("name", "2Gvm");
	bhyve_init_config();
	optparse("-k", path, "-m", "512M", NULL);
	assert_value("memory.size", "512M");
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_topology, setup, teardown),
		cmocka_unit_test_setup_teardown(test_topology_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_topology_from_config,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pincpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pincpu_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cpuset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuset_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_cpusets, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gdb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwcfg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uuid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optparse_flags, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_optparse_args, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_optparse_config_file,
		    setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
