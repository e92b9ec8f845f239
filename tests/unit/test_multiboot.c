/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Multiboot loader (bhyve/multiboot.c) against a plain buffer standing in
 * for guest RAM: good ELF32/ELF64/a.out-kludge kernels, the info block and
 * CPU state they produce, and malformed kernels that must fail cleanly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bhyve/e820.h"
#include "bhyve/multiboot.h"

#define	RAM_SIZE	(8u << 20)
#define	KBASE		0x100000u

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

static int
setup(void **state)
{
	ram.size = RAM_SIZE;
	ram.buf = calloc(1, RAM_SIZE);
	assert_non_null(ram.buf);
	memset(ram.buf, 0xcc, RAM_SIZE);	/* catch missing bss zeroing */
	mem.map = fake_map;
	mem.arg = &ram;
	mem.lowmem = RAM_SIZE;
	mem.highmem = 0;
	return (0);
}

static int
teardown(void **state)
{
	free(ram.buf);
	return (0);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
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

/* Multiboot header at `off` with `flags` and a correct checksum. */
static void
mbhdr(uint8_t *img, size_t off, uint32_t flags)
{
	put32(img + off, MB_HEADER_MAGIC);
	put32(img + off + 4, flags);
	put32(img + off + 8, (uint32_t)-(MB_HEADER_MAGIC + flags));
}

/*
 * ELF32 kernel: one PT_LOAD of 0x200 file bytes (0x5a) + bss up to 0x1000
 * at KBASE, entry KBASE + 0x10, header at file offset 0x100 (in the
 * segment).  Returns the image length (0x300).
 */
#define	ELF_LEN		0x300
#define	SEG_OFF		0x100
static size_t
make_elf32(uint8_t *img)
{
	memset(img, 0, ELF_LEN);
	memcpy(img, "\177ELF", 4);
	img[4] = 1;			/* ELFCLASS32 */
	img[5] = 1;			/* little endian */
	img[6] = 1;
	put16(img + 16, 2);		/* ET_EXEC */
	put16(img + 18, 3);		/* EM_386 */
	put32(img + 20, 1);
	put32(img + 24, KBASE + 0x10);	/* e_entry */
	put32(img + 28, 52);		/* e_phoff */
	put16(img + 40, 52);
	put16(img + 42, 32);		/* e_phentsize */
	put16(img + 44, 1);		/* e_phnum */
	/* Program header. */
	put32(img + 52, 1);		/* PT_LOAD */
	put32(img + 56, SEG_OFF);	/* p_offset */
	put32(img + 60, KBASE);		/* p_vaddr */
	put32(img + 64, KBASE);		/* p_paddr */
	put32(img + 68, 0x200);		/* p_filesz */
	put32(img + 72, 0x1000);	/* p_memsz */
	memset(img + SEG_OFF, 0x5a, 0x200);
	mbhdr(img, SEG_OFF, MB_HF_PAGE_ALIGN | MB_HF_MEMINFO);
	return (ELF_LEN);
}

static int
load(const uint8_t *img, size_t len, const char *cmdline,
    const struct boot_file *mods, int nmods, struct boot_cpu *cpu,
    struct mb_result *res, char *err)
{
	struct boot_file k = { "/boot/kernel.elf", img, len };

	err[0] = '\0';
	return (multiboot_load(&mem, &k, cmdline, mods, nmods, cpu, res, err,
	    BOOT_ERRLEN));
}

static uint64_t
cpu_reg(const struct boot_cpu *cpu, int reg)
{
	int i;

	for (i = 0; i < cpu->nregs; i++)
		if (cpu->reg[i] == reg)
			return (cpu->val[i]);
	fail_msg("register %d not set", reg);
	return (0);
}

static const struct seg_desc *
cpu_desc(const struct boot_cpu *cpu, int reg)
{
	int i;

	for (i = 0; i < cpu->ndescs; i++)
		if (cpu->desc_reg[i] == reg)
			return (&cpu->desc[i]);
	fail_msg("descriptor %d not set", reg);
	return (NULL);
}

static void
test_find_header(void **state)
{
	uint8_t img[0x3000];

	memset(img, 0, sizeof(img));
	assert_int_equal(multiboot_find_header(img, sizeof(img)), -1);
	mbhdr(img, 0x104, 0);
	assert_int_equal(multiboot_find_header(img, sizeof(img)), 0x104);
	/* Bad checksum. */
	put32(img + 0x104 + 8, 0);
	assert_int_equal(multiboot_find_header(img, sizeof(img)), -1);
	/* Not 4-aligned. */
	memset(img, 0, sizeof(img));
	mbhdr(img, 0x102, 0);
	assert_int_equal(multiboot_find_header(img, sizeof(img)), -1);
	/* Beyond the first 8 KiB. */
	memset(img, 0, sizeof(img));
	mbhdr(img, 8192, 0);
	assert_int_equal(multiboot_find_header(img, sizeof(img)), -1);
	mbhdr(img, 8192 - 12, 0);
	assert_int_equal(multiboot_find_header(img, sizeof(img)), 8180);
	/* Header cut by the end of the file. */
	assert_int_equal(multiboot_find_header(img, 8190), -1);
}

static void
test_elf32_full(void **state)
{
	uint8_t img[ELF_LEN];
	static const uint8_t moddata[] = "module-contents";
	struct boot_file mod = { "/tmp/initrd.img", moddata,
	    sizeof(moddata) };
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN];
	const struct seg_desc *d;
	uint32_t info, flags, mods, mm, mmlen, gdt;
	struct e820_entry e8[E820_MAX_ENTRIES];
	int n;
	size_t len;

	len = make_elf32(img);
	assert_int_equal(load(img, len, "console=ttyS0 -v", &mod, 1, &cpu,
	    &res, err), 0);
	/* Segment: file bytes then zeroes. */
	assert_int_equal(get32(KBASE), MB_HEADER_MAGIC);
	assert_int_equal(ram.buf[KBASE + 0x20], 0x5a);
	assert_int_equal(ram.buf[KBASE + 0x1ff], 0x5a);
	assert_int_equal(ram.buf[KBASE + 0x200], 0);
	assert_int_equal(ram.buf[KBASE + 0xfff], 0);
	assert_int_equal(res.entry, KBASE + 0x10);
	assert_int_equal(res.kernel_start, KBASE);
	assert_int_equal(res.kernel_end, KBASE + 0x1000);

	/* CPU state, spec 3.2. */
	assert_int_equal(cpu_reg(&cpu, VM_REG_GUEST_RAX), 0x2BADB002);
	info = (uint32_t)cpu_reg(&cpu, VM_REG_GUEST_RBX);
	assert_int_equal(info, res.info_addr);
	assert_int_equal(cpu_reg(&cpu, VM_REG_GUEST_RIP), KBASE + 0x10);
	assert_int_equal(cpu_reg(&cpu, VM_REG_GUEST_CR0) & 0x80000001u, 1);
	assert_int_equal(cpu_reg(&cpu, VM_REG_GUEST_RFLAGS) & 0x20200, 0);
	assert_int_equal(cpu_reg(&cpu, VM_REG_GUEST_CS), 0x08);
	assert_int_equal(cpu_reg(&cpu, VM_REG_GUEST_SS), 0x10);
	d = cpu_desc(&cpu, VM_REG_GUEST_CS);
	assert_int_equal(d->base, 0);
	assert_int_equal(d->limit, 0xffffffffu);
	assert_int_equal(d->access, 0xC09B);
	d = cpu_desc(&cpu, VM_REG_GUEST_DS);
	assert_int_equal(d->access, 0xC093);
	d = cpu_desc(&cpu, VM_REG_GUEST_GDTR);
	gdt = (uint32_t)d->base;
	assert_int_equal(gdt, res.gdt_addr);
	assert_int_equal(d->limit, 31);
	/* GDT entries: flat code32 / data32 / code64. */
	assert_int_equal(get64(gdt), 0);
	assert_true(get64(gdt + 8) == 0x00CF9B000000FFFFULL);
	assert_true(get64(gdt + 16) == 0x00CF93000000FFFFULL);
	assert_true(get64(gdt + 24) == 0x00AF9B000000FFFFULL);

	/* Info block below the EBDA, not on page 0, not over the kernel. */
	assert_true(info >= 0x1000 && info + 4096 <= 0x9FC00);
	assert_int_equal(info % 4096, 0);
	flags = get32(info);
	assert_int_equal(flags & 0x24d, 0x24d);
	assert_int_equal(get32(info + 4), 639);		/* up to the EBDA */
	assert_int_equal(get32(info + 8), (RAM_SIZE - 0x100000) / 1024);
	assert_string_equal((char *)ram.buf + get32(info + 16),
	    "/boot/kernel.elf console=ttyS0 -v");
	assert_string_equal((char *)ram.buf + get32(info + 64), "bhyve");

	/* Module 1: page-aligned above the kernel, contents, name. */
	assert_int_equal(get32(info + 20), 1);
	mods = get32(info + 24);
	assert_int_equal(get32(mods) % 4096, 0);
	assert_true(get32(mods) >= KBASE + 0x1000);
	assert_int_equal(get32(mods + 4) - get32(mods), sizeof(moddata));
	assert_memory_equal(ram.buf + get32(mods), moddata, sizeof(moddata));
	assert_string_equal((char *)ram.buf + get32(mods + 8),
	    "/tmp/initrd.img");

	/*
	 * Memory map: the e820 one (e820.h), [0, EBDA) available, [EBDA, 1M)
	 * reserved, [1M, top) available, then the ECAM and the APIC/ROM
	 * area reserved.
	 */
	mmlen = get32(info + 44);
	mm = get32(info + 48);
	n = e820_compute(RAM_SIZE, 0, e8, E820_MAX_ENTRIES);
	assert_int_equal(n, 5);
	assert_int_equal(mmlen, n * 24);
	for (int i = 0; i < n; i++) {
		uint32_t me = mm + (uint32_t)i * 24;

		assert_int_equal(get32(me), 20);
		assert_true(get64(me + 4) == e8[i].base);
		assert_true(get64(me + 12) == e8[i].length);
		assert_int_equal(get32(me + 20),
		    e8[i].type == E820_TYPE_MEMORY ? 1 : 2);
	}
	assert_true(get64(mm + 4) == 0 && get64(mm + 12) == 0x9FC00);
	assert_int_equal(get32(mm + 20), 1);
	assert_true(get64(mm + 24 + 4) == 0x9FC00);
	assert_true(get64(mm + 24 + 12) == 0x100000 - 0x9FC00);
	assert_int_equal(get32(mm + 24 + 20), 2);
	assert_true(get64(mm + 48 + 4) == 0x100000);
	assert_true(get64(mm + 48 + 12) == RAM_SIZE - 0x100000);
	assert_int_equal(get32(mm + 48 + 20), 1);
}

static void
test_highmem_and_no_cmdline(void **state)
{
	uint8_t img[ELF_LEN];
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN];
	uint32_t info, mm;

	mem.highmem = 1ULL << 30;
	assert_int_equal(load(img, make_elf32(img), NULL, NULL, 0, &cpu,
	    &res, err), 0);
	mem.highmem = 0;
	info = res.info_addr;
	assert_string_equal((char *)ram.buf + get32(info + 16),
	    "/boot/kernel.elf");
	assert_int_equal(get32(info + 20), 0);
	assert_int_equal(get32(info + 44), 6 * 24);
	mm = get32(info + 48) + 5 * 24;			/* last: highmem */
	assert_true(get64(mm + 4) == 1ULL << 32);
	assert_true(get64(mm + 12) == 1ULL << 30);
	assert_int_equal(get32(mm + 20), 1);
}

static void
test_kernel_in_low_memory(void **state)
{
	uint8_t img[ELF_LEN];
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN];

	/* A second segment at 0x1000: the info block must move past it. */
	make_elf32(img);
	put16(img + 44, 2);
	put32(img + 84, 1);
	put32(img + 88, SEG_OFF);
	put32(img + 92, 0x1000);
	put32(img + 96, 0x1000);
	put32(img + 100, 0x10);
	put32(img + 104, 0x2000);
	assert_int_equal(load(img, ELF_LEN, NULL, NULL, 0, &cpu, &res, err),
	    0);
	assert_true(res.info_addr >= 0x3000);
	assert_int_equal(res.kernel_start, 0x1000);
	assert_int_equal(ram.buf[0x100c], 0x5a);
	assert_int_equal(ram.buf[0x1010], 0);
}

static void
test_elf64_entry_translation(void **state)
{
	uint8_t img[0x400];
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN];

	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF", 4);
	img[4] = 2;
	img[5] = 1;
	put16(img + 16, 2);
	put16(img + 18, 62);
	put64(img + 24, 0xffffffff80000020ULL);	/* high virtual entry */
	put64(img + 32, 64);
	put16(img + 54, 56);
	put16(img + 56, 1);
	put32(img + 64, 1);
	put64(img + 64 + 8, 0x200);
	put64(img + 64 + 16, 0xffffffff80000000ULL);
	put64(img + 64 + 24, 0x200000);
	put64(img + 64 + 32, 0x100);
	put64(img + 64 + 40, 0x100);
	mbhdr(img, 0x200, 0);
	assert_int_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
	assert_int_equal(res.entry, 0x200020);
	assert_int_equal(get32(0x200000), MB_HEADER_MAGIC);
}

static void
test_aout_kludge(void **state)
{
	uint8_t img[0x1000];
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN];
	const uint32_t hoff = 0x40, load_addr = 0x200000;

	memset(img, 0x11, sizeof(img));
	mbhdr(img, hoff, MB_HF_AOUT_KLUDGE | MB_HF_MEMINFO);
	put32(img + hoff + 12, load_addr + hoff);	/* header_addr */
	put32(img + hoff + 16, load_addr);		/* load_addr */
	put32(img + hoff + 20, load_addr + 0x800);	/* load_end_addr */
	put32(img + hoff + 24, load_addr + 0x3000);	/* bss_end_addr */
	put32(img + hoff + 28, load_addr + 0x80);	/* entry_addr */
	assert_int_equal(load(img, sizeof(img), "x", NULL, 0, &cpu, &res,
	    err), 0);
	assert_int_equal(res.entry, load_addr + 0x80);
	assert_int_equal(get32(load_addr + hoff), MB_HEADER_MAGIC);
	assert_int_equal(ram.buf[load_addr + 0x7ff], 0x11);
	assert_int_equal(ram.buf[load_addr + 0x800], 0);
	assert_int_equal(ram.buf[load_addr + 0x2fff], 0);
	assert_int_equal(res.kernel_end, load_addr + 0x3000);

	/* load_end_addr 0: the rest of the file. */
	put32(img + hoff + 20, 0);
	put32(img + hoff + 24, 0);
	put32(img + hoff + 8, (uint32_t)-(MB_HEADER_MAGIC +
	    (MB_HF_AOUT_KLUDGE | MB_HF_MEMINFO)));
	assert_int_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
	assert_int_equal(res.kernel_end, load_addr + sizeof(img));

	/* Bad: load_addr above header_addr, before the file, past end. */
	put32(img + hoff + 16, load_addr + hoff + 4);
	assert_int_not_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
	put32(img + hoff + 16, load_addr - 0x1000);
	assert_int_not_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
	put32(img + hoff + 16, load_addr);
	put32(img + hoff + 20, load_addr + 0x10000);
	assert_int_not_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
	assert_non_null(strstr(err, "past the end"));
	/* bss_end below load_end; entry outside; image above RAM. */
	put32(img + hoff + 20, load_addr + 0x800);
	put32(img + hoff + 24, load_addr + 0x400);
	assert_int_not_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
	put32(img + hoff + 24, 0xfffffff0u);
	assert_int_not_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
	assert_non_null(strstr(err, "outside guest RAM"));
	put32(img + hoff + 24, 0);
	put32(img + hoff + 28, load_addr + 0x900);
	assert_int_not_equal(load(img, sizeof(img), NULL, NULL, 0, &cpu, &res,
	    err), 0);
}

/* Corrupt one field of a good ELF32 and expect a clean error. */
static void
expect_bad(uint8_t *img, size_t len, const char *what)
{
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN];

	assert_int_not_equal(load(img, len, NULL, NULL, 0, &cpu, &res, err),
	    0);
	if (strstr(err, what) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

static void
test_bad_kernels(void **state)
{
	uint8_t img[ELF_LEN], big[ELF_LEN + 64];
	struct boot_file mod = { "m", img, RAM_SIZE };

	memset(img, 0, sizeof(img));
	expect_bad(img, sizeof(img), "no multiboot header");
	expect_bad(img, 0, "no multiboot header");

	make_elf32(img);
	img[0] = 'X';
	expect_bad(img, ELF_LEN, "not an ELF");
	make_elf32(img);
	put16(img + 18, 62);
	expect_bad(img, ELF_LEN, "machine");
	make_elf32(img);
	put16(img + 16, 3);
	expect_bad(img, ELF_LEN, "not an executable");
	make_elf32(img);
	put32(img + 28, 0xfffffff0u);
	expect_bad(img, ELF_LEN, "past the end");
	make_elf32(img);
	put16(img + 44, 0xffff);
	expect_bad(img, ELF_LEN, "past the end");
	make_elf32(img);
	put16(img + 42, 8);
	expect_bad(img, ELF_LEN, "too small");
	make_elf32(img);
	put16(img + 44, 0);
	expect_bad(img, ELF_LEN, "no program headers");
	make_elf32(img);
	put32(img + 56, 0xffffff00u);
	expect_bad(img, ELF_LEN, "past the end");
	make_elf32(img);
	put32(img + 68, 0xffffffffu);
	expect_bad(img, ELF_LEN, "file size");
	make_elf32(img);
	put32(img + 68, 0x1000);
	expect_bad(img, ELF_LEN, "past the end");
	make_elf32(img);
	put32(img + 64, 0xfffff000u);
	put32(img + 72, 0x2000);
	expect_bad(img, ELF_LEN, "below 4 GiB");
	make_elf32(img);
	put32(img + 64, RAM_SIZE - 0x800);
	put32(img + 60, RAM_SIZE - 0x800);
	put32(img + 24, RAM_SIZE - 0x800);
	expect_bad(img, ELF_LEN, "outside guest RAM");
	make_elf32(img);
	put32(img + 24, 0x500000);
	expect_bad(img, ELF_LEN, "entry point");
	/* Overlapping segments. */
	make_elf32(img);
	put16(img + 44, 2);
	memcpy(img + 84, img + 52, 32);
	put32(img + 96, KBASE + 0x800);
	expect_bad(img, ELF_LEN, "overlap");
	/* Required feature bit we do not know. */
	make_elf32(img);
	mbhdr(img, SEG_OFF, 0x8);
	expect_bad(img, ELF_LEN, "features");
	/* Header announces fields the file does not hold. */
	memset(big, 0, sizeof(big));
	mbhdr(big, ELF_LEN + 64 - 16, MB_HF_AOUT_KLUDGE);
	expect_bad(big, sizeof(big), "truncated");
	/* Truncated ELF. */
	make_elf32(img);
	expect_bad(img, 40, "no multiboot header");
	make_elf32(img);
	memmove(img + 8, img + SEG_OFF, 12);
	expect_bad(img, 40, "not an ELF");
	/* Module that cannot fit. */
	{
		struct boot_cpu cpu;
		struct mb_result res;
		char err[BOOT_ERRLEN];

		make_elf32(img);
		assert_int_not_equal(load(img, ELF_LEN, NULL, &mod, 1, &cpu,
		    &res, err), 0);
		assert_non_null(strstr(err, "does not fit"));
	}
}

static void
test_limits_and_placement(void **state)
{
	uint8_t img[ELF_LEN];
	static const uint8_t d1[] = "one", d2[] = "two";
	struct boot_file mods[2] = { { "m1", d1, sizeof(d1) },
	    { "m2", d2, sizeof(d2) } };
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN], *longline;
	uint32_t info, m;

	/* Video mode request (flag 2) is accepted; no video info given. */
	make_elf32(img);
	mbhdr(img, SEG_OFF, MB_HF_VIDEO | MB_HF_MEMINFO);
	assert_int_equal(load(img, ELF_LEN, NULL, NULL, 0, &cpu, &res, err),
	    0);
	assert_int_equal(get32(res.info_addr) & 0x1800, 0);

	/* Two modules: both page-aligned, disjoint, in order. */
	make_elf32(img);
	assert_int_equal(load(img, ELF_LEN, NULL, mods, 2, &cpu, &res, err),
	    0);
	info = res.info_addr;
	assert_int_equal(get32(info + 20), 2);
	m = get32(info + 24);
	assert_true(get32(m + 16) >= get32(m + 4));
	assert_int_equal(get32(m + 16) % 4096, 0);
	assert_string_equal((char *)ram.buf + get32(m + 16 + 8), "m2");
	assert_memory_equal(ram.buf + get32(m + 16), d2, sizeof(d2));

	/* A kernel covering all of low memory pushes the info above it. */
	make_elf32(img);
	put32(img + 60, 0);
	put32(img + 64, 0);
	put32(img + 24, 0x10);
	put32(img + 72, 0xA0000);
	assert_int_equal(load(img, ELF_LEN, NULL, NULL, 0, &cpu, &res, err),
	    0);
	assert_true(res.info_addr >= 0x100000);

	/* Zero-size PT_LOAD entries are ignored; too many segments fail. */
	make_elf32(img);
	put16(img + 44, 2);
	put32(img + 84, 1);		/* second PT_LOAD, memsz 0 */
	assert_int_equal(load(img, ELF_LEN, NULL, NULL, 0, &cpu, &res, err),
	    0);
	{
		uint8_t big[0x1000];
		int i;

		memset(big, 0, sizeof(big));
		make_elf32(big);
		put16(big + 44, MB_MAX_SEGS + 1);
		put32(big + 28, 0x400);
		for (i = 0; i <= MB_MAX_SEGS; i++) {
			uint8_t *ph = big + 0x400 + i * 32;

			put32(ph, 1);
			put32(ph + 4, SEG_OFF);
			put32(ph + 8, KBASE + i * 0x1000);
			put32(ph + 12, KBASE + i * 0x1000);
			put32(ph + 16, 0x10);
			put32(ph + 20, 0x10);
		}
		expect_bad(big, sizeof(big), "loadable segments");
	}

	/* Command line too long. */
	longline = malloc(MB_MAX_CMDLINE + 1);
	assert_non_null(longline);
	memset(longline, 'a', MB_MAX_CMDLINE);
	longline[MB_MAX_CMDLINE] = '\0';
	make_elf32(img);
	assert_int_equal(load(img, ELF_LEN, longline, NULL, 0, &cpu, &res,
	    err), -E2BIG);
	free(longline);
}

/* Random corruption of a good image: never crash (run under ASan). */
static void
test_mutations(void **state)
{
	uint8_t good[ELF_LEN], img[ELF_LEN];
	struct boot_cpu cpu;
	struct mb_result res;
	char err[BOOT_ERRLEN];
	unsigned int seed = 12345, i, n;

	make_elf32(good);
	for (i = 0; i < 20000; i++) {
		memcpy(img, good, sizeof(img));
		for (n = 0; n < 1 + i % 4; n++) {
			seed = seed * 1103515245u + 12345u;
			img[(seed >> 8) % 128] = (uint8_t)(seed >> 20);
		}
		if (i % 3 == 0)
			mbhdr(img, SEG_OFF, (i & 1) ? MB_HF_AOUT_KLUDGE : 0);
		seed = seed * 1103515245u + 12345u;
		(void)load(img, ELF_LEN - (seed >> 16) % 64, "a b", NULL, 0,
		    &cpu, &res, err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_header),
		cmocka_unit_test(test_elf32_full),
		cmocka_unit_test(test_highmem_and_no_cmdline),
		cmocka_unit_test(test_kernel_in_low_memory),
		cmocka_unit_test(test_elf64_entry_translation),
		cmocka_unit_test(test_aout_kludge),
		cmocka_unit_test(test_bad_kernels),
		cmocka_unit_test(test_limits_and_placement),
		cmocka_unit_test(test_mutations),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
