/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Persistent VMs (libvmmapi/vmmapi_persist.c): the state file's parser
 * against good, short, corrupt and hostile input; round trips; the
 * on-disk lifecycle in a private BHYVE_STATE_DIR; sysmem shared between
 * two openings; and bhyve's control request handler (bhyve/ctl_server.c)
 * against malformed requests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bhyve/ctl_server.h"
#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

#define	MB	(1ULL << 20)

static const char good[] =
    "# comment\n"
    "version 1\n"
    "memsize 0x4000000\n"
    "memflags 1\n"
    "topology 2 1 1\n"
    "loaded 1\n"
    "desc 23 0 0xffffffff 0xc09b\n"
    "reg 20 0x100010\n"
    "\n"
    "end\n";

static int
parse(const char *s, struct vm_saved_state *st)
{
	return (vm_state_parse(s, strlen(s), st));
}

static void
test_parse_good(void **state)
{
	struct vm_saved_state st;

	(void)state;
	assert_int_equal(parse(good, &st), 0);
	assert_int_equal(st.memsize, 64 * MB);
	assert_int_equal(st.memflags, VM_MEM_F_INCORE);
	assert_int_equal(st.sockets, 2);
	assert_true(st.loaded);
	assert_int_equal(st.nent, 2);
	assert_true(st.ent[0].desc);
	assert_int_equal(st.ent[0].reg, VM_REG_GUEST_CS);
	assert_int_equal(st.ent[0].sd.limit, 0xffffffff);
	assert_int_equal(st.ent[0].sd.access, 0xc09b);
	assert_false(st.ent[1].desc);
	assert_int_equal(st.ent[1].reg, VM_REG_GUEST_RIP);
	assert_int_equal(st.ent[1].val, 0x100010);
}

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",					/* empty */
		"version 1\n",				/* no end */
		"version 1\nend",			/* last line cut */
		"version 1\nmemsize 4096\n",		/* truncated */
		"end\n",				/* no version */
		"version 2\nend\n",			/* future version */
		"version 1\nversion 1\nend\n",
		"version 1\nmemsize\nend\n",		/* missing value */
		"version 1\nmemsize 1 2\nend\n",	/* extra value */
		"version 1\nmemsize -1\nend\n",
		"version 1\nmemsize 12abc\nend\n",
		"version 1\nmemsize 99999999999999999999999\nend\n",
		"version 1\nloaded 2\nend\n",
		"version 1\nmemflags 8\nend\n",
		"version 1\ntopology 0 1 1\nend\n",
		"version 1\ntopology 65536 1 1\nend\n",
		"version 1\nreg 49 0\nend\n",		/* VM_REG_LAST */
		"version 1\nreg 1000000 0\nend\n",
		"version 1\ndesc 23 0 0x100000000 0\nend\n",
		"version 1\nfrob 1\nend\n",		/* unknown key */
		"version 1\nend\nreg 1 1\n",		/* after end */
		"version 1\na b c d e f g\nend\n",	/* too many words */
	};
	struct vm_saved_state st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (parse(bad[i], &st) != -1)
			fail_msg("accepted bad state #%zu: %s", i, bad[i]);
		assert_int_equal(errno, EINVAL);
	}
	/* NUL bytes and NULL. */
	assert_int_equal(vm_state_parse("version 1\0\nend\n", 15, &st), -1);
	assert_int_equal(vm_state_parse(NULL, 0, &st), -1);
}

static void
test_parse_limits(void **state)
{
	struct vm_saved_state st;
	char *buf, *p;
	size_t len = 32 + (VM_STATE_MAXENT + 1) * 16;

	(void)state;
	buf = malloc(len);
	assert_non_null(buf);
	p = buf + sprintf(buf, "version 1\n");
	for (int i = 0; i < VM_STATE_MAXENT; i++)
		p += sprintf(p, "reg 1 %d\n", i);
	strcpy(p, "end\n");
	assert_int_equal(parse(buf, &st), 0);
	assert_int_equal(st.nent, VM_STATE_MAXENT);
	/* One more entry than fits. */
	sprintf(p, "reg 1 1\nend\n");
	assert_int_equal(parse(buf, &st), -1);
	free(buf);
}

static void
test_roundtrip(void **state)
{
	struct vm_saved_state a, b;
	char buf[4096];
	int n;

	(void)state;
	assert_int_equal(parse(good, &a), 0);
	n = vm_state_format(buf, sizeof(buf), &a);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(vm_state_format(NULL, 0, &a), n);
	assert_int_equal(vm_state_parse(buf, (size_t)n, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* Every proper prefix is refused: a torn write is never taken. */
	for (int i = 0; i < n; i++)
		assert_int_equal(vm_state_parse(buf, (size_t)i, &b), -1);
}

static char statedir[] = "/tmp/test_persist.XXXXXX";

static void
test_lifecycle(void **state)
{
	struct vm_saved_state st;
	struct vmctx *a, *b;
	struct vcpu *v;
	uint8_t *pa, *pb;
	uint64_t rip;

	(void)state;
	assert_false(vm_persist_exists("p1"));
	assert_null(vm_open("p1"));
	assert_int_equal(errno, ENOENT);
	a = vm_openf("p1", VMMAPI_OPEN_CREATE | VMMAPI_OPEN_PERSIST);
	assert_non_null(a);
	assert_true(vm_is_persistent(a));
	assert_true(vm_persist_exists("p1"));
	assert_int_equal(vm_setup_memory(a, 2 * MB, VM_MMAP_ALL), 0);
	pa = vm_map_gpa(a, 0x1000, 16);
	assert_non_null(pa);
	memcpy(pa, "persist", 8);
	v = vm_vcpu_open(a, 0);
	assert_non_null(v);
	assert_int_equal(vm_set_register(v, VM_REG_GUEST_RIP, 0x1234), 0);
	assert_int_equal(vm_read_state("p1", &st), 0);
	assert_int_equal(st.memsize, 2 * MB);
	assert_int_equal(vm_save_vcpu_state(v, &st), 0);
	assert_int_equal(vm_write_state("p1", &st), 0);
	vm_vcpu_close(v);
	/*
	 * Closed and opened again: in this process the engine VM stays
	 * registered (tests/tools/run.sh covers a second process).
	 */
	vm_close(a);

	b = vm_open("p1");
	assert_non_null(b);
	assert_true(vm_is_persistent(b));
	/* Another size is refused, the same one maps the same memory. */
	assert_int_equal(vm_setup_memory(b, 2 * MB, VM_MMAP_ALL), 0);
	pb = vm_map_gpa(b, 0x1000, 16);
	assert_non_null(pb);
	assert_string_equal((char *)pb, "persist");
	v = vm_vcpu_open(b, 0);
	assert_int_equal(vm_read_state("p1", &st), 0);
	assert_true(st.loaded);
	assert_int_equal(vm_restore_vcpu_state(v, &st), 0);
	assert_int_equal(vm_get_register(v, VM_REG_GUEST_RIP, &rip), 0);
	assert_int_equal(rip, 0x1234);
	vm_vcpu_close(v);
	vm_destroy(b);
	assert_false(vm_persist_exists("p1"));

	/* Names that are not one path component are refused. */
	assert_null(vm_openf("../x", VMMAPI_OPEN_CREATE |
	    VMMAPI_OPEN_PERSIST));
	assert_null(vm_openf(".x", VMMAPI_OPEN_CREATE | VMMAPI_OPEN_PERSIST));
}

static void
test_size_mismatch(void **state)
{
	struct vmctx *a;

	(void)state;
	a = vm_openf("p2", VMMAPI_OPEN_CREATE | VMMAPI_OPEN_PERSIST);
	assert_non_null(a);
	assert_int_equal(vm_setup_memory(a, 2 * MB, VM_MMAP_ALL), 0);
	vm_close(a);
	a = vm_openf("p2", VMMAPI_OPEN_CREATE | VMMAPI_OPEN_REINIT);
	assert_non_null(a);
	/* In this process the engine VM exists with 2 MiB: size fixed. */
	assert_int_equal(vm_setup_memory(a, 4 * MB, VM_MMAP_ALL), -1);
	vm_destroy(a);
	assert_false(vm_persist_exists("p2"));
}

static void
test_ctl_requests(void **state)
{
	static const char *const bad[] = {
		"", "frob", "getreg", "getreg 0", "getreg 0 49", "getreg 1 0",
		"getreg -1 0", "getreg 0 0 0", "getreg x 0", "suspend 0",
		"suspend 5", "setcap 0 0 2", "getcap 0 99", "cpus bogus",
		"setdesc 0 23 0 0x100000000 0", "version 1",
		"getreg 0 0 0 0 0 0 0 0 0 0",
	};
	struct vmctx *ctx;
	struct vcpu *v;
	char out[4096];
	size_t n;

	(void)state;
	ctx = test_vm_new("ctl-test", 1 * MB);
	v = vm_vcpu_open(ctx, 0);
	assert_non_null(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = ctl_handle_request(ctx, &v, 1, bad[i], out, sizeof(out));
		if (n < 4 || strncmp(out, "err ", 4) != 0)
			fail_msg("request '%s' got '%s'", bad[i], out);
	}
	n = ctl_handle_request(ctx, &v, 1, "setreg 0 20 0x55\n", out,
	    sizeof(out));
	assert_string_equal(out, "ok\n");
	ctl_handle_request(ctx, &v, 1, "getreg 0 20", out, sizeof(out));
	assert_string_equal(out, "ok 0x55\n");
	ctl_handle_request(ctx, &v, 1, "version", out, sizeof(out));
	assert_string_equal(out, "ok 1\n");
	ctl_handle_request(ctx, &v, 1, "stats 0", out, sizeof(out));
	assert_true(strncmp(out, "ok ", 3) == 0);
	/* A tiny output buffer is never overrun. */
	n = ctl_handle_request(ctx, &v, 1, "stats 0", out, 8);
	assert_true(n < 8);
	vm_vcpu_close(v);
	vm_destroy(ctx);
}

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(statedir) == NULL)
		return (-1);
	return (setenv("BHYVE_STATE_DIR", statedir, 1));
}

static int
group_teardown(void **state)
{
	(void)state;
	return (rmdir(statedir));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_size_mismatch),
		cmocka_unit_test(test_ctl_requests),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
