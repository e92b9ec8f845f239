/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot ROM mapping: a 64 KiB ROM built here, with real-mode code behind
 * the reset vector that prints over COM1 and stops, runs from F000:FFF0
 * in the engine; the ROM's top is visible below 1 MiB; the variable
 * store is mapped writable below the ROM and written back to its file;
 * bad files are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bhyve/bootrom.h"
#include "bhyve/config.h"
#include "libvmmapi/vmmapi.h"
#include "tests/unit/vm_fixture.h"

#define	MB		(1024 * 1024)
#define	ROMSIZE		(64 * 1024)
#define	MSG_OFF		(ROMSIZE - 0xc0)	/* IP 0xFF40 */
#define	CODE_OFF	(ROMSIZE - 0x80)	/* IP 0xFF80 */

static const char msg[] = "ROM OK\n";

/* 16-bit code, hand-assembled (IP values in the comments). */
static const uint8_t code[] = {
	0xba, 0xf8, 0x03,	/* ff80 mov dx, 0x3f8 */
	0xbe, 0x40, 0xff,	/* ff83 mov si, 0xff40 */
	0x2e, 0xac,		/* ff86 lodsb cs:[si] */
	0x84, 0xc0,		/* ff88 test al, al */
	0x74, 0x03,		/* ff8a jz ff8f */
	0xee,			/* ff8c out dx, al */
	0xeb, 0xf7,		/* ff8d jmp ff86 */
	0xb0, 0x00,		/* ff8f mov al, 0 */
	0xe6, 0xf4,		/* ff91 out 0xf4, al: done */
	0xfa, 0xf4,		/* ff93 cli; hlt */
	0xeb, 0xfc,		/* ff95 jmp ff93 */
};

static char rompath[64], varpath[64];

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

static void
make_rom(void)
{
	static uint8_t rom[ROMSIZE];

	memset(rom, 0xff, sizeof(rom));
	memcpy(rom + MSG_OFF, msg, sizeof(msg));
	memcpy(rom + CODE_OFF, code, sizeof(code));
	/* Reset vector, IP 0xFFF0: jmp short ff80. */
	rom[ROMSIZE - 16] = 0xeb;
	rom[ROMSIZE - 15] = 0x8e;
	write_file(rompath, rom, sizeof(rom));
}

static int
setup(void **state)
{
	(void)state;
	snprintf(rompath, sizeof(rompath), "/tmp/bootrom-%d.rom",
	    (int)getpid());
	snprintf(varpath, sizeof(varpath), "/tmp/bootrom-%d.vars",
	    (int)getpid());
	init_config();
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	unlink(rompath);
	unlink(varpath);
	free_config();
	return (0);
}

static struct vmctx *
new_vm(const char *name)
{
	return (test_vm_new(name, 16 * MB));
}

static void
test_reset_vector(void **state)
{
	static uint8_t vars[8192];
	struct vmctx *ctx;
	struct vcpu *vcpu;
	struct vm_exit vme;
	struct vm_run vmrun;
	char out[32];
	int n = 0;
	uint8_t *p;
	FILE *fp;

	(void)state;
	make_rom();
	memset(vars, 0x5a, sizeof(vars));
	write_file(varpath, vars, sizeof(vars));
	set_config_value("lpc.bootrom", rompath);
	set_config_value("lpc.bootvars", varpath);
	ctx = new_vm("bootrom-test");
	assert_int_equal(bootrom_init(ctx), 0);
	/* The ROM's top is shadowed at 0xF0000-0xFFFFF. */
	p = vm_map_gpa(ctx, 0xfff40, sizeof(msg));
	assert_non_null(p);
	assert_memory_equal(p, msg, sizeof(msg));
	vcpu = vm_vcpu_open(ctx, 0);
	assert_non_null(vcpu);
	assert_int_equal(vm_activate_cpu(vcpu), 0);
	memset(&vme, 0, sizeof(vme));
	memset(&vmrun, 0, sizeof(vmrun));
	vmrun.vm_exit = &vme;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(vm_run(vcpu, &vmrun), 0);
		if (vme.exitcode != VM_EXITCODE_INOUT)
			continue;
		if (vme.u.inout.port == 0xf4)
			break;
		if (vme.u.inout.port == 0x3f8 && !vme.u.inout.in &&
		    n < (int)sizeof(out))
			out[n++] = (char)vme.u.inout.eax;
	}
	assert_int_equal(n, (int)strlen(msg));
	assert_memory_equal(out, msg, strlen(msg));

	/* VARS: persisted to the file, even after the VM is gone. */
	vm_vcpu_close(vcpu);
	vm_destroy(ctx);
	assert_int_equal(bootrom_sync_vars(), 0);
	fp = fopen(varpath, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(vars, 1, sizeof(vars), fp), sizeof(vars));
	fclose(fp);
	assert_int_equal(vars[0], 0x5a);
}

static void
test_bad_roms(void **state)
{
	static uint8_t small[100];
	struct vmctx *ctx;

	(void)state;
	ctx = new_vm("bootrom-bad");
	/* None configured: nothing to do. */
	assert_int_equal(bootrom_init(ctx), 0);
	set_config_value("lpc.bootrom", "/nonexistent/rom");
	assert_int_equal(bootrom_init(ctx), -1);
	write_file(rompath, small, 0);
	set_config_value("lpc.bootrom", rompath);
	assert_int_equal(bootrom_init(ctx), -1);	/* empty */
	write_file(rompath, small, sizeof(small));
	assert_int_equal(bootrom_init(ctx), -1);	/* not 4 KiB units */
	vm_destroy(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_vector, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_roms, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
