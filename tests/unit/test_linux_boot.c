/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux bzImage loader (bhyve/linux_boot.c) on synthetic images and a
 * plain buffer standing in for guest RAM: a good image and the zero page,
 * page tables, GDT and entry state it produces; then truncated files,
 * old protocol versions, no 64-bit entry, kernels and initrds too large
 * for the guest, and header fields that make no sense, which must all
 * fail with a message and leave no trace of a crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bhyve/linux_boot.h"

#define	RAM_SIZE	(64u << 20)
#define	SETUP_SECTS	4
#define	PM_LEN		0x3000u		/* protected-mode kernel bytes */
#define	IMG_LEN		((SETUP_SECTS + 1) * 512 + PM_LEN)
#define	PREF		0x1000000u	/* 16 MiB */
#define	INIT_SIZE	0x800000u	/* 8 MiB */

struct fake_ram {
	uint8_t		*buf;
	uint64_t	size;
};

static void *
fake_map(void *arg, uint64_t gpa, size_t len)
{
	struct fake_ram *r = arg;

	if (gpa > r->size || len > r->size - gpa)
		return (NULL);
	return (r->buf + gpa);
}

static struct fake_ram ram;
static struct boot_mem mem;
static uint8_t img[IMG_LEN];
static struct e820_entry e820[E820_MAX_ENTRIES];
static int ne820;

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(uint64_t gpa)
{
	uint8_t *p = ram.buf + gpa;

	return (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

static uint64_t
get64(uint64_t gpa)
{
	return (get32(gpa) | (uint64_t)get32(gpa + 4) << 32);
}

/* A protocol 2.15 header as a 64-bit relocatable kernel carries. */
static void
make_bzimage(void)
{
	size_t i;

	memset(img, 0, sizeof(img));
	img[LB_OFF_SETUP_SECTS] = SETUP_SECTS;
	put32(img + LB_OFF_SYSSIZE, PM_LEN / 16);
	put16(img + LB_OFF_BOOT_FLAG, LB_BOOT_FLAG);
	img[LB_OFF_JUMP] = 0xEB;
	img[LB_OFF_JUMP + 1] = 0x6A;		/* header ends at 0x26C */
	memcpy(img + LB_OFF_HEADER, "HdrS", 4);
	put16(img + LB_OFF_VERSION, 0x020F);
	img[LB_OFF_LOADFLAGS] = LB_LOADED_HIGH;
	put32(img + LB_OFF_INITRD_ADDR_MAX, 0x7fffffff);
	put32(img + LB_OFF_KERNEL_ALIGN, 0x200000);
	img[LB_OFF_RELOCATABLE] = 1;
	img[LB_OFF_MIN_ALIGNMENT] = 21;
	put16(img + LB_OFF_XLOADFLAGS, 0x7f);
	put32(img + LB_OFF_CMDLINE_SIZE, 2047);
	put64(img + LB_OFF_PREF_ADDRESS, PREF);
	put32(img + LB_OFF_INIT_SIZE, INIT_SIZE);
	for (i = (SETUP_SECTS + 1) * 512; i < IMG_LEN; i++)
		img[i] = (uint8_t)(i * 7 + 1);
}

static int
setup(void **state)
{
	(void)state;
	ram.size = RAM_SIZE;
	ram.buf = malloc(RAM_SIZE);
	assert_non_null(ram.buf);
	memset(ram.buf, 0xcc, RAM_SIZE);
	mem.map = fake_map;
	mem.arg = &ram;
	mem.lowmem = RAM_SIZE;
	mem.highmem = 0;
	ne820 = e820_compute(RAM_SIZE, 0, e820, E820_MAX_ENTRIES);
	assert_true(ne820 > 0);
	make_bzimage();
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	free(ram.buf);
	return (0);
}

static int
load(const char *cmdline, const struct boot_file *rd, struct boot_cpu *cpu,
    struct linux_result *r, char *err)
{
	struct boot_file k = { "bzImage", img, IMG_LEN };

	return (linux_load(&mem, &k, cmdline, rd, e820, ne820, 0xF2400, cpu,
	    r, err, BOOT_ERRLEN));
}

static uint64_t
reg(const struct boot_cpu *cpu, int r)
{
	for (int i = 0; i < cpu->nregs; i++)
		if (cpu->reg[i] == r)
			return (cpu->val[i]);
	fail_msg("register %d not set", r);
	return (0);
}

static const struct seg_desc *
desc(const struct boot_cpu *cpu, int r)
{
	for (int i = 0; i < cpu->ndescs; i++)
		if (cpu->desc_reg[i] == r)
			return (&cpu->desc[i]);
	fail_msg("descriptor %d not set", r);
	return (NULL);
}

static void
test_detect(void **state)
{
	(void)state;
	assert_true(linux_is_bzimage(img, IMG_LEN));
	assert_false(linux_is_bzimage(img, 0x205));
	img[LB_OFF_HEADER] = 'X';
	assert_false(linux_is_bzimage(img, IMG_LEN));
}

static void
test_good(void **state)
{
	static uint8_t rdbuf[10000];
	struct boot_file rd = { "initrd", rdbuf, sizeof(rdbuf) };
	struct boot_cpu cpu;
	struct linux_result r;
	char err[BOOT_ERRLEN] = "";
	const char *cmd = "console=ttyS0 root=/dev/ram0";
	uint64_t zp, pd;
	int i;

	(void)state;
	memset(rdbuf, 0x5a, sizeof(rdbuf));
	assert_int_equal(load(cmd, &rd, &cpu, &r, err), 0);
	assert_int_equal(r.load_addr, PREF);
	assert_int_equal(r.entry, PREF + 0x200);
	assert_memory_equal(ram.buf + PREF, img + (SETUP_SECTS + 1) * 512,
	    PM_LEN);
	/* The rest of init_size is zeroed. */
	assert_int_equal(ram.buf[PREF + PM_LEN], 0);
	assert_int_equal(ram.buf[PREF + INIT_SIZE - 1], 0);

	/* initrd: page-aligned, as high as RAM allows, intact. */
	assert_int_equal(r.initrd_addr % 4096, 0);
	assert_true(r.initrd_addr + sizeof(rdbuf) <= RAM_SIZE);
	assert_true(r.initrd_addr + sizeof(rdbuf) > RAM_SIZE - 4096);
	assert_memory_equal(ram.buf + r.initrd_addr, rdbuf, sizeof(rdbuf));

	/* Zero page. */
	zp = r.zero_page;
	assert_int_equal(zp, LB_ZP_GPA);
	assert_int_equal(ram.buf[zp], 0);
	assert_memory_equal(ram.buf + zp + LB_OFF_HEADER, "HdrS", 4);
	assert_int_equal(ram.buf[zp + LB_OFF_TYPE_OF_LOADER], 0xFF);
	assert_int_equal(get32(zp + LB_OFF_CODE32_START), PREF);
	assert_int_equal(get32(zp + LB_OFF_RAMDISK_IMAGE), r.initrd_addr);
	assert_int_equal(get32(zp + LB_OFF_RAMDISK_SIZE), sizeof(rdbuf));
	assert_int_equal(get32(zp + LB_OFF_CMD_LINE_PTR), LB_CMDLINE_GPA);
	assert_string_equal((char *)ram.buf + LB_CMDLINE_GPA, cmd);
	assert_int_equal(get64(zp + LB_ZP_ACPI_RSDP_ADDR), 0xF2400);
	/* Sentinel (0x1EF) zero: the header is ours, not stale. */
	assert_int_equal(ram.buf[zp + 0x1EF], 0);
	assert_int_equal(ram.buf[zp + LB_ZP_E820_ENTRIES], ne820);
	for (i = 0; i < ne820; i++) {
		uint64_t e = zp + LB_ZP_E820_TABLE + (uint64_t)i * 20;

		assert_int_equal(get64(e), e820[i].base);
		assert_int_equal(get64(e + 8), e820[i].length);
		assert_int_equal(get32(e + 16), e820[i].type);
	}
	/* Nothing past the header area was copied from the file. */
	assert_int_equal(ram.buf[zp + 0x26C], 0);

	/* Page tables: identity map of 4 GiB with 2 MiB pages. */
	assert_int_equal(reg(&cpu, VM_REG_GUEST_CR3), LB_PML4_GPA);
	assert_int_equal(get64(LB_PML4_GPA) & ~0xfffULL, LB_PDPT_GPA);
	assert_int_equal(get64(LB_PML4_GPA) & 3, 3);
	for (i = 0; i < 4; i++) {
		pd = get64(LB_PDPT_GPA + (uint64_t)i * 8) & ~0xfffULL;
		assert_int_equal(pd, LB_PD_GPA + (uint64_t)i * 4096);
	}
	assert_int_equal(get64(LB_PD_GPA + 8 * 8), 0x1000000 | 0x83);
	assert_int_equal(get64(LB_PD_GPA + 3 * 4096 + 511 * 8),
	    0xFFE00000ULL | 0x83);

	/* GDT: 0x10 64-bit code, 0x18 flat data. */
	assert_int_equal(get64(LB_GDT_GPA + 0x10), 0x00AF9B000000FFFFULL);
	assert_int_equal(get64(LB_GDT_GPA + 0x18), 0x00CF93000000FFFFULL);

	/* Entry state. */
	assert_int_equal(reg(&cpu, VM_REG_GUEST_RIP), PREF + 0x200);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_RSI), LB_ZP_GPA);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_CS), 0x10);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_DS), 0x18);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_SS), 0x18);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_CR0) & 0x80000001, 0x80000001);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_CR4) & 0x20, 0x20);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_EFER) & 0x500, 0x500);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_RFLAGS) & 0x200, 0);
	assert_int_equal(desc(&cpu, VM_REG_GUEST_CS)->access & 0x6000, 0x2000);
	assert_int_equal(desc(&cpu, VM_REG_GUEST_GDTR)->base, LB_GDT_GPA);
}

static void
test_no_initrd_no_cmdline(void **state)
{
	struct boot_cpu cpu;
	struct linux_result r;
	char err[BOOT_ERRLEN] = "";

	(void)state;
	assert_int_equal(load(NULL, NULL, &cpu, &r, err), 0);
	assert_int_equal(r.initrd_addr, 0);
	assert_int_equal(get32(LB_ZP_GPA + LB_OFF_RAMDISK_SIZE), 0);
	assert_int_equal(ram.buf[LB_CMDLINE_GPA], 0);
}

/* Old protocols: no RSDP field before 2.14. */
static void
test_protocol_2_12(void **state)
{
	struct boot_cpu cpu;
	struct linux_result r;
	char err[BOOT_ERRLEN] = "";

	(void)state;
	put16(img + LB_OFF_VERSION, 0x020C);
	assert_int_equal(load("x", NULL, &cpu, &r, err), 0);
	assert_int_equal(get64(LB_ZP_GPA + LB_ZP_ACPI_RSDP_ADDR), 0);
}

/* pref_address does not fit: a relocatable kernel goes lower. */
static void
test_relocate(void **state)
{
	struct boot_cpu cpu;
	struct linux_result r;
	char err[BOOT_ERRLEN] = "";

	(void)state;
	put64(img + LB_OFF_PREF_ADDRESS, RAM_SIZE - INIT_SIZE / 2);
	assert_int_equal(load("x", NULL, &cpu, &r, err), 0);
	assert_int_equal(r.load_addr, 0x200000);
	assert_int_equal(reg(&cpu, VM_REG_GUEST_RIP), 0x200200);
}

static void
expect_fail(int want, const char *what, const char *needle, size_t len)
{
	struct boot_file k = { "bzImage", img, len };
	struct boot_cpu cpu;
	char err[BOOT_ERRLEN] = "";
	int rc;

	rc = linux_load(&mem, &k, "console=ttyS0", NULL, e820, ne820, 0, &cpu,
	    NULL, err, sizeof(err));
	if (rc != -want)
		fail_msg("%s: got %d (%s), want %d", what, rc, err, -want);
	if (strstr(err, needle) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", what, err, needle);
}

static void
test_bad_headers(void **state)
{
	(void)state;

	expect_fail(EINVAL, "tiny", "not a Linux bzImage", 600);
	make_bzimage();
	put16(img + LB_OFF_BOOT_FLAG, 0x1234);
	expect_fail(EINVAL, "boot_flag", "boot_flag", IMG_LEN);
	make_bzimage();
	put16(img + LB_OFF_VERSION, 0x020B);
	expect_fail(ENOTSUP, "2.11", "older than 2.12", IMG_LEN);
	make_bzimage();
	put16(img + LB_OFF_XLOADFLAGS, 0x7e);
	expect_fail(ENOTSUP, "no 64-bit", "XLF_KERNEL_64", IMG_LEN);
	make_bzimage();
	img[LB_OFF_LOADFLAGS] = 0;
	expect_fail(ENOTSUP, "zImage", "LOADED_HIGH", IMG_LEN);
	make_bzimage();
	img[LB_OFF_JUMP] = 0x90;
	expect_fail(EINVAL, "jump", "short jump", IMG_LEN);
	make_bzimage();
	img[LB_OFF_JUMP + 1] = 0x10;
	expect_fail(EINVAL, "short header", "before init_size", IMG_LEN);
	make_bzimage();
	/* setup_sects past the end of the file. */
	img[LB_OFF_SETUP_SECTS] = 200;
	expect_fail(EINVAL, "setup_sects", "truncated", IMG_LEN);
	make_bzimage();
	img[LB_OFF_SETUP_SECTS] = 0;	/* means 4: still good */
	{
		struct boot_cpu cpu;
		struct linux_result r;
		char err[BOOT_ERRLEN] = "";

		assert_int_equal(load("x", NULL, &cpu, &r, err), 0);
	}
	make_bzimage();
	put32(img + LB_OFF_SYSSIZE, 0);
	expect_fail(EINVAL, "syssize 0", "syssize", IMG_LEN);
	make_bzimage();
	put32(img + LB_OFF_SYSSIZE, 0xffffffff);
	expect_fail(EINVAL, "syssize huge", "truncated", IMG_LEN);
	make_bzimage();
	put32(img + LB_OFF_KERNEL_ALIGN, 0x300000);
	expect_fail(EINVAL, "alignment", "kernel_alignment", IMG_LEN);
	make_bzimage();
	put32(img + LB_OFF_KERNEL_ALIGN, 0);
	expect_fail(EINVAL, "alignment 0", "kernel_alignment", IMG_LEN);
	make_bzimage();
	img[LB_OFF_MIN_ALIGNMENT] = 63;
	expect_fail(EINVAL, "min_alignment", "min_alignment", IMG_LEN);
	make_bzimage();
	put32(img + LB_OFF_INIT_SIZE, 16);
	expect_fail(EINVAL, "init_size", "init_size", IMG_LEN);
	make_bzimage();
	img[LB_OFF_RELOCATABLE] = 0;
	put64(img + LB_OFF_PREF_ADDRESS, 0xFFFFFFFFFFFFF000ULL);
	expect_fail(EINVAL, "pref fixed", "pref_address", IMG_LEN);
}

/* A file cut anywhere must fail cleanly, never crash. */
static void
test_truncated(void **state)
{
	size_t len;

	(void)state;
	expect_fail(EINVAL, "cut in the kernel", "truncated", IMG_LEN - 1);
	for (len = 0; len < IMG_LEN; len += 97) {
		struct boot_file k = { "bzImage", img, len };
		struct boot_cpu cpu;
		char err[BOOT_ERRLEN];

		assert_int_not_equal(linux_load(&mem, &k, NULL, NULL, e820,
		    ne820, 0, &cpu, NULL, err, sizeof(err)), 0);
	}
}

static void
test_too_large(void **state)
{
	static uint8_t big[8192];
	struct boot_file rd = { "initrd", big, sizeof(big) };
	struct boot_cpu cpu;
	char err[BOOT_ERRLEN] = "";
	char *cmd;

	(void)state;
	/* init_size beyond the guest's RAM, relocatable or not. */
	put32(img + LB_OFF_INIT_SIZE, RAM_SIZE);
	expect_fail(ENOMEM, "init_size > RAM", "MiB", IMG_LEN);
	make_bzimage();
	img[LB_OFF_RELOCATABLE] = 0;
	put32(img + LB_OFF_INIT_SIZE, RAM_SIZE - PREF + 4096);
	expect_fail(ENOMEM, "fixed kernel too big", "MiB", IMG_LEN);

	/* An initrd with no room between the kernel and RAM's top. */
	make_bzimage();
	put32(img + LB_OFF_INIT_SIZE, RAM_SIZE - PREF - 4096);
	rd.len = 4097;
	assert_int_equal(load("x", &rd, &cpu, NULL, err), -ENOMEM);
	assert_non_null(strstr(err, "initrd"));
	rd.len = 4096;
	assert_int_equal(load("x", &rd, &cpu, NULL, err), 0);

	/* initrd_addr_max below the kernel. */
	make_bzimage();
	put32(img + LB_OFF_INITRD_ADDR_MAX, PREF);
	assert_int_equal(load("x", &rd, &cpu, NULL, err), -ENOMEM);

	/* Command line longer than cmdline_size. */
	make_bzimage();
	put32(img + LB_OFF_CMDLINE_SIZE, 8);
	assert_int_equal(load("123456789", NULL, &cpu, NULL, err), -E2BIG);
	assert_int_equal(load("12345678", NULL, &cpu, NULL, err), 0);
	put32(img + LB_OFF_CMDLINE_SIZE, 0xffffffff);
	cmd = malloc(0x10001);
	assert_non_null(cmd);
	memset(cmd, 'a', 0x10000);
	cmd[0x10000] = '\0';
	assert_int_equal(load(cmd, NULL, &cpu, NULL, err), -E2BIG);
	free(cmd);

	/* A guest too small for anything. */
	mem.lowmem = 1 << 20;
	assert_int_equal(load("x", NULL, &cpu, NULL, err), -ENOMEM);
	mem.lowmem = RAM_SIZE;
}

/* Random single-byte header mutations: any result, but no crash. */
static void
test_mutations(void **state)
{
	unsigned int seed = 12345;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct boot_file k = { "bzImage", img, IMG_LEN };
		struct boot_cpu cpu;
		char err[BOOT_ERRLEN];
		size_t off;

		make_bzimage();
		seed = seed * 1103515245 + 12345;
		off = 0x1F1 + (seed >> 8) % (0x270 - 0x1F1);
		seed = seed * 1103515245 + 12345;
		img[off] = (uint8_t)(seed >> 16);
		(void)linux_load(&mem, &k, "x", NULL, e820, ne820, 0, &cpu,
		    NULL, err, sizeof(err));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_initrd_no_cmdline,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_2_12, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relocate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_headers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mutations, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
