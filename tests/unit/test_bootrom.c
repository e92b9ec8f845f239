/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot ROM mapping: a 64 KiB ROM built here, with real-mode code behind
 * the reset vector that prints over COM1 and stops, runs from F000:FFF0
 * in the engine; the ROM's top is copied into guest RAM below 1 MiB (a
 * 256 KiB ROM fills 0xC0000-0xFFFFF; with less than 1 MiB of RAM the
 * copy has pages of its own), while guest writes to the ROM at 4 GiB
 * are ignored; the variable store is mapped
 * writable below the ROM and written back to its file; bad files are
 * refused.
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

/*
 * 16-bit code, hand-assembled (IP values in the comments; CS base is
 * still 0xFFFF0000 after the reset).  It writes into the message in the
 * low view (F000:FF40 = 0xFFF40) and in the high one (CS:FF41 =
 * 0xFFFFFF41), then prints it from both: the BIOS area below 1 MiB
 * takes the write, the ROM does not.
 */
static const uint8_t code[] = {
	0xb8, 0x00, 0xf0,	/* ff80 mov ax, 0xf000 */
	0x8e, 0xd8,		/* ff83 mov ds, ax */
	0xc6, 0x06, 0x40, 0xff, 'X',	/* ff85 mov byte [0xff40], 'X' */
	0x2e, 0xc6, 0x06, 0x41, 0xff, 'Y', /* ff8a mov byte cs:[0xff41] */
	0xba, 0xf8, 0x03,	/* ff90 mov dx, 0x3f8 */
	0xbe, 0x40, 0xff,	/* ff93 mov si, 0xff40 */
	0xac,			/* ff96 lodsb ds:[si]: the low view */
	0x84, 0xc0,		/* ff97 test al, al */
	0x74, 0x03,		/* ff99 jz ff9e */
	0xee,			/* ff9b out dx, al */
	0xeb, 0xf8,		/* ff9c jmp ff96 */
	0xbe, 0x40, 0xff,	/* ff9e mov si, 0xff40 */
	0x2e, 0xac,		/* ffa1 lodsb cs:[si]: the high view */
	0x84, 0xc0,		/* ffa3 test al, al */
	0x74, 0x03,		/* ffa5 jz ffaa */
	0xee,			/* ffa7 out dx, al */
	0xeb, 0xf7,		/* ffa8 jmp ffa1 */
	0xb0, 0x00,		/* ffaa mov al, 0 */
	0xe6, 0xf4,		/* ffac out 0xf4, al: done */
	0xfa, 0xf4,		/* ffae cli; hlt */
	0xeb, 0xfc,		/* ffb0 jmp ffae */
};

/*
 * 32-bit code run from RAM at 0x1000: write the variable store's first
 * byte, the ROM and its copy below 1 MiB, then read them back through
 * port 0x80.
 */
#define	VARS_GPA	0xfffee000u	/* 4 GiB - ROM - 8 KiB of VARS */
static const uint8_t pmcode[] = {
	0xc6, 0x05, 0x00, 0xe0, 0xfe, 0xff, 0xa5, /* mov [VARS], 0xa5 */
	0xc6, 0x05, 0x42, 0xff, 0xff, 0xff, 'Z',  /* mov [0xffffff42] */
	0xc6, 0x05, 0x43, 0xff, 0x0f, 0x00, 'Q',  /* mov [0x000fff43] */
	0xa0, 0x42, 0xff, 0xff, 0xff,	/* mov al, [0xffffff42] */
	0xe6, 0x80,			/* out 0x80, al */
	0xa0, 0x43, 0xff, 0x0f, 0x00,	/* mov al, [0x000fff43] */
	0xe6, 0x80,
	0xa0, 0x00, 0xe0, 0xfe, 0xff,	/* mov al, [VARS] */
	0xe6, 0x80,
	0xb0, 0x00, 0xe6, 0xf4,		/* out 0xf4, 0: done */
	0xf4,				/* hlt */
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

/*
 * Run until OUT to port 0xf4; bytes written to `port' go to out[].
 * Returns how many.
 */
static int
run_until_done(struct vcpu *vcpu, int port, char *out, int max)
{
	struct vm_exit vme;
	struct vm_run vmrun;
	int n = 0;

	memset(&vme, 0, sizeof(vme));
	memset(&vmrun, 0, sizeof(vmrun));
	vmrun.vm_exit = &vme;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(vm_run(vcpu, &vmrun), 0);
		if (vme.exitcode != VM_EXITCODE_INOUT)
			continue;
		if (vme.u.inout.port == 0xf4)
			return (n);
		if (vme.u.inout.port == port && !vme.u.inout.in && n < max)
			out[n++] = (char)vme.u.inout.eax;
	}
	fail_msg("the guest did not finish");
	return (-1);
}

/* Enter flat 32-bit protected mode at `pm', copied to RAM at 0x1000. */
static void
start_pm(struct vmctx *ctx, struct vcpu *vcpu, const uint8_t *pm,
    size_t len)
{
	uint8_t *p;

	p = vm_map_gpa(ctx, 0x1000, len);
	assert_non_null(p);
	memcpy(p, pm, len);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_CR0, 0x11), 0);
	assert_int_equal(vm_set_desc(vcpu, VM_REG_GUEST_CS, 0, 0xffffffff,
	    0xc09b), 0);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_CS, 0x08), 0);
	assert_int_equal(vm_set_desc(vcpu, VM_REG_GUEST_DS, 0, 0xffffffff,
	    0xc093), 0);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_DS, 0x10), 0);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_RIP, 0x1000), 0);
	assert_int_equal(vm_set_register(vcpu, VM_REG_GUEST_RFLAGS, 2), 0);
}

/* A VM with the test ROM and a VARS file of 0x5a bytes, ROM mapped. */
static struct vmctx *
rom_vm(const char *name, uint8_t *vars, size_t nvars)
{
	struct vmctx *ctx;

	make_rom();
	memset(vars, 0x5a, nvars);
	write_file(varpath, vars, nvars);
	set_config_value("lpc.bootrom", rompath);
	set_config_value("lpc.bootvars", varpath);
	ctx = new_vm(name);
	assert_int_equal(bootrom_init(ctx), 0);
	return (ctx);
}

static void
test_reset_vector(void **state)
{
	static uint8_t vars[8192];
	struct vmctx *ctx;
	struct vcpu *vcpu;
	char out[32];
	uint8_t *p;
	int n;
	FILE *fp;

	(void)state;
	ctx = rom_vm("bootrom-test", vars, sizeof(vars));
	/*
	 * The ROM's top is in RAM at 0xF0000-0xFFFFF, where devices reach
	 * it too; RAM below is untouched.
	 */
	p = vm_map_gpa(ctx, 0xfff40, sizeof(msg));
	assert_non_null(p);
	assert_memory_equal(p, msg, sizeof(msg));
	p = vm_map_gpa(ctx, 0, 16 * MB);
	assert_non_null(p);
	assert_int_equal(p[0xeffff], 0);
	assert_int_equal(p[0xf0000], 0xff);
	vcpu = vm_vcpu_open(ctx, 0);
	assert_non_null(vcpu);
	assert_int_equal(vm_activate_cpu(vcpu), 0);
	/*
	 * From the reset vector: the copy below 1 MiB took the 'X', the
	 * ROM at 4 GiB is intact.
	 */
	n = run_until_done(vcpu, 0x3f8, out, (int)sizeof(out));
	assert_int_equal(n, 2 * (int)strlen(msg));
	assert_int_equal(out[0], 'X');
	assert_memory_equal(out + 1, msg + 1, strlen(msg) - 1);
	assert_memory_equal(out + strlen(msg), msg, strlen(msg));

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

/*
 * Protected mode: the ROM ignores writes, its copy below 1 MiB and the
 * variable store take them.
 */
static void
test_rom_read_only(void **state)
{
	static uint8_t vars[8192];
	struct vmctx *ctx;
	struct vcpu *vcpu;
	char out[8];
	FILE *fp;

	(void)state;
	ctx = rom_vm("bootrom-ro", vars, sizeof(vars));
	vcpu = vm_vcpu_open(ctx, 0);
	assert_non_null(vcpu);
	assert_int_equal(vm_activate_cpu(vcpu), 0);
	start_pm(ctx, vcpu, pmcode, sizeof(pmcode));
	assert_int_equal(run_until_done(vcpu, 0x80, out, (int)sizeof(out)),
	    3);
	assert_int_equal(out[0], msg[2]);		/* the ROM: 'M' */
	assert_int_equal(out[1], 'Q');			/* the copy took it */
	assert_int_equal((uint8_t)out[2], 0xa5);	/* VARS took it */
	vm_vcpu_close(vcpu);
	vm_destroy(ctx);
	assert_int_equal(bootrom_sync_vars(), 0);
	fp = fopen(varpath, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(vars, 1, sizeof(vars), fp), sizeof(vars));
	fclose(fp);
	assert_int_equal(vars[0], 0xa5);
	assert_int_equal(vars[1], 0x5a);
}

/*
 * 32-bit code: write 0xC0000, then read it, the ROM's first 256 KiB
 * byte at 4 GiB, 0xE0000 and 0xDFFFF through port 0x80.
 */
static const uint8_t shadowcode[] = {
	0xc6, 0x05, 0x00, 0x00, 0x0c, 0x00, 0x33, /* mov [0xc0000], 0x33 */
	0xa0, 0x00, 0x00, 0x0c, 0x00,	/* mov al, [0xc0000] */
	0xe6, 0x80,			/* out 0x80, al */
	0xa0, 0x00, 0x00, 0xfc, 0xff,	/* mov al, [0xfffc0000] */
	0xe6, 0x80,
	0xa0, 0x00, 0x00, 0x0e, 0x00,	/* mov al, [0xe0000] */
	0xe6, 0x80,
	0xa0, 0xff, 0xff, 0x0d, 0x00,	/* mov al, [0xdffff] */
	0xe6, 0x80,
	0xb0, 0x00, 0xe6, 0xf4,		/* out 0xf4, 0: done */
	0xf4,				/* hlt */
};

/*
 * Run shadowcode with a ROM of `size' bytes in a VM with `mem' bytes of
 * RAM; its four bytes in out[].
 */
static void
run_shadow(size_t size, size_t mem, uint8_t out[4])
{
	static uint8_t rom[512 * 1024];
	struct vmctx *ctx;
	struct vcpu *vcpu;
	char got[4];

	assert_true(size <= sizeof(rom));
	memset(rom, 0xff, size);
	rom[size - 0x40000] = 0x11;	/* 0xFFFC0000 */
	rom[size - 0x20000] = 0x22;	/* 0xE0000 */
	rom[size - 0x20001] = 0x44;	/* 0xDFFFF when it is shadowed */
	write_file(rompath, rom, size);
	set_config_value("lpc.bootrom", rompath);
	ctx = test_vm_new("bootrom-shadow", mem);
	assert_int_equal(bootrom_init(ctx), 0);
	vcpu = vm_vcpu_open(ctx, 0);
	assert_non_null(vcpu);
	assert_int_equal(vm_activate_cpu(vcpu), 0);
	start_pm(ctx, vcpu, shadowcode, sizeof(shadowcode));
	assert_int_equal(run_until_done(vcpu, 0x80, got, (int)sizeof(got)),
	    4);
	memcpy(out, got, 4);
	vm_vcpu_close(vcpu);
	vm_destroy(ctx);
}

/*
 * How much of the ROM the BIOS area holds: a 256 KiB image (SeaBIOS's
 * bios-256k.bin) all of 0xC0000-0xFFFFF, a larger one its top 128 KiB
 * with RAM below.
 */
static void
test_shadow(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(bootrom_shadow_size(64 * 1024), 64 * 1024);
	assert_int_equal(bootrom_shadow_size(256 * 1024), 256 * 1024);
	assert_int_equal(bootrom_shadow_size(260 * 1024), 128 * 1024);
	assert_int_equal(bootrom_shadow_size(2 * MB), 128 * 1024);

	run_shadow(256 * 1024, 16 * MB, out);
	assert_int_equal(out[0], 0x33);		/* the copy took the write */
	assert_int_equal(out[1], 0x11);		/* the ROM did not */
	assert_int_equal(out[2], 0x22);
	assert_int_equal(out[3], 0x44);		/* 0xDFFFF is the ROM's */

	/* 512 KiB of RAM: the copy lives in the ROM's segment. */
	run_shadow(256 * 1024, 512 * 1024, out);
	assert_int_equal(out[0], 0x33);
	assert_int_equal(out[1], 0x11);
	assert_int_equal(out[2], 0x22);
	assert_int_equal(out[3], 0x44);

	run_shadow(512 * 1024, 16 * MB, out);
	assert_int_equal(out[0], 0x33);		/* RAM */
	assert_int_equal(out[1], 0x11);
	assert_int_equal(out[2], 0x22);
	assert_int_equal(out[3], 0x00);		/* RAM */
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
		cmocka_unit_test_setup_teardown(test_rom_read_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shadow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_roms, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
