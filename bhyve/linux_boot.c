/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux bzImage loader, 64-bit boot protocol (Documentation/arch/x86/
 * boot.rst).  See linux_boot.h for the guest layout and entry state.
 *
 * Every header field is checked before use.  Sizes and addresses are
 * held in uint64_t and every sum is compared against a bound first, so
 * nothing wraps: the header comes from a file the user handed us, and a
 * bad one must give a message, never a crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bhyve/linux_boot.h"

#define	LB_PAGE		4096ULL
#define	LB_1M		0x100000ULL
#define	LB_2M		0x200000ULL
#define	LB_1G		0x40000000ULL
#define	LB_4G		0x100000000ULL

/* VMX access rights (vmm.h): G | D/B or L | P | S | type. */
#define	LB_AR_CODE64	0xA09Bu		/* L=1, execute/read, accessed */
#define	LB_AR_DATA	0xC093u		/* 4 GiB flat, read/write, accessed */
#define	LB_AR_LDT	0x0082u
#define	LB_AR_TSS64BUSY	0x008Bu

#define	LB_CR0_PE	0x00000001ULL
#define	LB_CR0_ET	0x00000010ULL
#define	LB_CR0_PG	0x80000000ULL
#define	LB_CR4_PAE	0x00000020ULL
#define	LB_EFER_LME	0x00000100ULL
#define	LB_EFER_LMA	0x00000400ULL

/* Page table entry bits (SDM Vol 3 4.5). */
#define	LB_PTE_P	0x001ULL
#define	LB_PTE_RW	0x002ULL
#define	LB_PTE_PS	0x080ULL

static bool
is_pow2(uint64_t v)
{
	return (v != 0 && (v & (v - 1)) == 0);
}

/* Callers keep v and align far below 2^63 (addresses < 4 GiB). */
static uint64_t
roundup_u64(uint64_t v, uint64_t align)
{
	return ((v + align - 1) & ~(align - 1));
}

bool
linux_is_bzimage(const uint8_t *img, size_t len)
{
	/* boot.rst: "HdrS" at 0x202 (protocol 2.00 and later). */
	return (len >= LB_OFF_HEADER + 4 &&
	    memcmp(img + LB_OFF_HEADER, "HdrS", 4) == 0);
}

int
linux_parse(const uint8_t *img, size_t len, struct linux_image *li,
    char *err, size_t errlen)
{
	unsigned int setup_sects, min_align;
	uint64_t setup_len, syssize, init_size, align;

	memset(li, 0, sizeof(*li));
	if (len < 1024 || !linux_is_bzimage(img, len))
		return (boot_errf(err, errlen, EINVAL, "not a Linux bzImage "
		    "(no \"HdrS\" setup header at 0x202)"));
	if (rd_le16(img + LB_OFF_BOOT_FLAG) != LB_BOOT_FLAG)
		return (boot_errf(err, errlen, EINVAL, "bzImage: boot_flag is "
		    "0x%04x, not 0xAA55", rd_le16(img + LB_OFF_BOOT_FLAG)));
	li->version = rd_le16(img + LB_OFF_VERSION);
	if (li->version < LB_MIN_VERSION)
		return (boot_errf(err, errlen, ENOTSUP, "bzImage: boot protocol "
		    "%u.%02u is older than 2.12: the kernel has no 64-bit entry "
		    "point (xloadflags), and only 64-bit entry is supported",
		    li->version >> 8, li->version & 0xff));

	/*
	 * boot.rst "Details of header fields": the jump at 0x200 is 0xEB
	 * and a signed offset relative to 0x202, which is also where the
	 * header ends.
	 */
	if (img[LB_OFF_JUMP] != 0xEB)
		return (boot_errf(err, errlen, EINVAL, "bzImage: no short jump "
		    "at 0x200 (byte 0x%02x)", img[LB_OFF_JUMP]));
	li->hdr_end = LB_OFF_HEADER + (size_t)img[LB_OFF_JUMP + 1];
	if (li->hdr_end < LB_HDR_MIN_END)
		return (boot_errf(err, errlen, EINVAL, "bzImage: setup header "
		    "ends at 0x%zx, before init_size (0x%x)", li->hdr_end,
		    LB_HDR_MIN_END));

	/* setup_sects: 0 means 4 (boot.rst). */
	setup_sects = img[LB_OFF_SETUP_SECTS];
	if (setup_sects == 0)
		setup_sects = 4;
	setup_len = ((uint64_t)setup_sects + 1) * 512;
	if (setup_len < li->hdr_end)
		return (boot_errf(err, errlen, EINVAL, "bzImage: setup_sects %u "
		    "is too small for the setup header", setup_sects));
	if (setup_len >= len)
		return (boot_errf(err, errlen, EINVAL, "bzImage: truncated: "
		    "setup_sects %u says %llu bytes of real-mode code, the "
		    "file has %zu bytes", setup_sects,
		    (unsigned long long)setup_len, len));
	li->kernel_off = (size_t)setup_len;
	li->kernel_len = len - (size_t)setup_len;

	/* syssize: the protected-mode code in 16-byte units (2.04+). */
	syssize = (uint64_t)rd_le32(img + LB_OFF_SYSSIZE) * 16;
	if (syssize == 0)
		return (boot_errf(err, errlen, EINVAL, "bzImage: syssize is 0"));
	if (syssize > li->kernel_len)
		return (boot_errf(err, errlen, EINVAL, "bzImage: truncated: the "
		    "header announces %llu bytes of kernel after the setup "
		    "code, the file has %zu", (unsigned long long)syssize,
		    li->kernel_len));

	li->loadflags = img[LB_OFF_LOADFLAGS];
	if ((li->loadflags & LB_LOADED_HIGH) == 0)
		return (boot_errf(err, errlen, ENOTSUP, "bzImage: not a bzImage "
		    "(loadflags has no LOADED_HIGH: a zImage loads at "
		    "0x10000)"));
	li->xloadflags = rd_le16(img + LB_OFF_XLOADFLAGS);
	if ((li->xloadflags & LB_XLF_KERNEL_64) == 0)
		return (boot_errf(err, errlen, ENOTSUP, "bzImage: no 64-bit entry "
		    "point (xloadflags 0x%04x lacks XLF_KERNEL_64): a 32-bit "
		    "kernel?", li->xloadflags));

	li->relocatable = img[LB_OFF_RELOCATABLE] != 0;
	li->kernel_alignment = rd_le32(img + LB_OFF_KERNEL_ALIGN);
	min_align = img[LB_OFF_MIN_ALIGNMENT];
	if (li->relocatable) {
		align = li->kernel_alignment;
		if (!is_pow2(align) || align < LB_PAGE || align > LB_1G)
			return (boot_errf(err, errlen, EINVAL, "bzImage: "
			    "kernel_alignment 0x%x is not a power of two "
			    "between 4 KiB and 1 GiB", li->kernel_alignment));
		if (min_align > 30 || (1ULL << min_align) > align)
			return (boot_errf(err, errlen, EINVAL, "bzImage: "
			    "min_alignment %u is inconsistent with "
			    "kernel_alignment 0x%x", min_align,
			    li->kernel_alignment));
	}

	li->pref_address = rd_le64(img + LB_OFF_PREF_ADDRESS);
	if (!li->relocatable && (li->pref_address < LB_1M ||
	    li->pref_address >= LB_4G || li->pref_address % LB_PAGE != 0))
		return (boot_errf(err, errlen, EINVAL, "bzImage: the kernel is "
		    "not relocatable and pref_address 0x%llx is unusable",
		    (unsigned long long)li->pref_address));

	/* init_size covers the image plus room to decompress it. */
	init_size = rd_le32(img + LB_OFF_INIT_SIZE);
	if (init_size < li->kernel_len)
		return (boot_errf(err, errlen, EINVAL, "bzImage: init_size 0x%llx "
		    "is smaller than the kernel (0x%zx bytes)",
		    (unsigned long long)init_size, li->kernel_len));
	li->init_size = init_size;

	li->initrd_addr_max = rd_le32(img + LB_OFF_INITRD_ADDR_MAX);
	li->cmdline_size = rd_le32(img + LB_OFF_CMDLINE_SIZE);
	return (0);
}

/*
 * Load address: pref_address when init_size bytes fit there in low RAM,
 * else (relocatable) the lowest aligned address from 1 MiB.
 */
static int
choose_load_addr(const struct linux_image *li, uint64_t ramtop,
    uint64_t *addr, char *err, size_t errlen)
{
	uint64_t need, at;

	need = roundup_u64(li->init_size, LB_PAGE);
	at = li->pref_address;
	if (at >= LB_1M && at % LB_PAGE == 0 && at <= ramtop &&
	    need <= ramtop - at) {
		*addr = at;
		return (0);
	}
	if (li->relocatable) {
		at = roundup_u64(LB_1M, li->kernel_alignment);
		if (at <= ramtop && need <= ramtop - at) {
			*addr = at;
			return (0);
		}
	}
	return (boot_errf(err, errlen, ENOMEM, "the kernel needs %llu MiB "
	    "(init_size) from 0x%llx; the guest has %llu MiB of low memory",
	    (unsigned long long)(need >> 20),
	    (unsigned long long)(li->relocatable ? at : li->pref_address),
	    (unsigned long long)(ramtop >> 20)));
}

static void
gdt_entry(uint8_t *p, uint32_t base, uint32_t limit, uint32_t ar)
{
	/* SDM Vol 3 3.4.5: limit 15:0, base 23:0, access, limit 19:16 and
	 * flags, base 31:24. */
	p[0] = (uint8_t)limit;
	p[1] = (uint8_t)(limit >> 8);
	p[2] = (uint8_t)base;
	p[3] = (uint8_t)(base >> 8);
	p[4] = (uint8_t)(base >> 16);
	p[5] = (uint8_t)ar;
	p[6] = (uint8_t)(((limit >> 16) & 0x0f) | ((ar >> 8) & 0xf0));
	p[7] = (uint8_t)(base >> 24);
}

static void *
map_or_null(const struct boot_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len > SIZE_MAX)
		return (NULL);
	return (mem->map(mem->arg, gpa, (size_t)len));
}

int
linux_load(const struct boot_mem *mem, const struct boot_file *kernel,
    const char *cmdline, const struct boot_file *initrd,
    const struct e820_entry *e820, int ne820, uint64_t rsdp,
    struct boot_cpu *cpu, struct linux_result *res, char *err,
    size_t errlen)
{
	struct linux_image li;
	struct linux_result r;
	uint64_t ramtop, kend, top, cmdmax, rdsize, need;
	uint8_t *zp, *p;
	size_t cmdlen, hdr_copy;
	int error, i;

	memset(&r, 0, sizeof(r));
	error = linux_parse(kernel->data, kernel->len, &li, err, errlen);
	if (error != 0)
		return (error);
	if (ne820 < 0 || ne820 > LB_ZP_E820_MAX)
		return (boot_errf(err, errlen, EINVAL, "%d e820 entries (at most "
		    "%d fit in the zero page)", ne820, LB_ZP_E820_MAX));

	/* Low RAM only: the identity map and the initrd live below 4 GiB. */
	ramtop = mem->lowmem < LB_4G ? mem->lowmem : LB_4G;
	if (ramtop < 2 * LB_1M)
		return (boot_errf(err, errlen, ENOMEM, "guest memory (%llu KiB) "
		    "is too small for Linux", (unsigned long long)(ramtop >>
		    10)));
	error = choose_load_addr(&li, ramtop, &r.load_addr, err, errlen);
	if (error != 0)
		return (error);
	need = roundup_u64(li.init_size, LB_PAGE);
	kend = r.load_addr + need;
	/*
	 * A relocatable kernel loaded below pref_address decompresses at
	 * pref_address (its LOAD_PHYSICAL_ADDR) anyway: keep the initrd
	 * clear of that area too.
	 */
	if (li.relocatable && li.pref_address > r.load_addr &&
	    li.pref_address < ramtop)
		kend = ramtop - li.pref_address > need ?
		    li.pref_address + need : ramtop;
	r.entry = r.load_addr + LB_ENTRY64_OFF;

	/* Command line: at most cmdline_size bytes (2.06+) plus the NUL. */
	if (cmdline == NULL)
		cmdline = "";
	cmdlen = strlen(cmdline);
	cmdmax = li.cmdline_size < LB_CMDLINE_MAX ? li.cmdline_size :
	    LB_CMDLINE_MAX;
	if (cmdlen > cmdmax)
		return (boot_errf(err, errlen, E2BIG, "command line is %zu bytes, "
		    "the kernel takes at most %llu", cmdlen,
		    (unsigned long long)cmdmax));
	r.cmdline = LB_CMDLINE_GPA;

	/*
	 * initrd: as high as possible, page-aligned, its last byte at or
	 * below initrd_addr_max, above the kernel's init_size area.
	 */
	rdsize = initrd != NULL ? initrd->len : 0;
	if (rdsize > 0) {
		top = li.initrd_addr_max + 1;	/* < 2^32 + 1: no wrap */
		if (top > ramtop)
			top = ramtop;
		if (rdsize > top || ((top - rdsize) & ~(LB_PAGE - 1)) < kend)
			return (boot_errf(err, errlen, ENOMEM, "initrd %s (%llu "
			    "bytes) does not fit between the kernel's end "
			    "(0x%llx) and 0x%llx", initrd->name,
			    (unsigned long long)rdsize,
			    (unsigned long long)kend,
			    (unsigned long long)top));
		r.initrd_addr = (top - rdsize) & ~(LB_PAGE - 1);
		r.initrd_size = rdsize;
	}

	/* Everything is placed and checked: now write guest memory. */
	p = map_or_null(mem, r.load_addr, need);
	if (p == NULL)
		return (boot_errf(err, errlen, EFAULT, "kernel area at 0x%llx is "
		    "not guest RAM", (unsigned long long)r.load_addr));
	memcpy(p, kernel->data + li.kernel_off, li.kernel_len);
	memset(p + li.kernel_len, 0, need - li.kernel_len);
	if (rdsize > 0) {
		p = map_or_null(mem, r.initrd_addr, rdsize);
		if (p == NULL)
			return (boot_errf(err, errlen, EFAULT, "initrd area at "
			    "0x%llx is not guest RAM",
			    (unsigned long long)r.initrd_addr));
		memcpy(p, initrd->data, rdsize);
	}
	p = map_or_null(mem, LB_CMDLINE_GPA, cmdlen + 1);
	if (p == NULL)
		return (boot_errf(err, errlen, EFAULT, "no guest RAM for the "
		    "command line"));
	memcpy(p, cmdline, cmdlen + 1);

	/*
	 * Zero page (boot.rst "The 64-bit boot protocol"): zeroed, then the
	 * setup header from the file (0x1F1 up to its end), then the
	 * fields a boot loader writes.
	 */
	zp = map_or_null(mem, LB_ZP_GPA, LB_ZP_SIZE);
	if (zp == NULL)
		return (boot_errf(err, errlen, EFAULT, "no guest RAM for the "
		    "zero page"));
	r.zero_page = LB_ZP_GPA;
	memset(zp, 0, LB_ZP_SIZE);
	/* Never past the header area into the EDD and e820 tables. */
	hdr_copy = li.hdr_end < LB_ZP_HDR_LIMIT ? li.hdr_end : LB_ZP_HDR_LIMIT;
	memcpy(zp + LB_HDR_START, kernel->data + LB_HDR_START,
	    hdr_copy - LB_HDR_START);
	zp[LB_OFF_TYPE_OF_LOADER] = LB_LOADER_UNDEFINED;
	wr_le32(zp + LB_OFF_CODE32_START, (uint32_t)r.load_addr);
	wr_le32(zp + LB_OFF_RAMDISK_IMAGE, (uint32_t)r.initrd_addr);
	wr_le32(zp + LB_OFF_RAMDISK_SIZE, (uint32_t)r.initrd_size);
	wr_le32(zp + LB_OFF_CMD_LINE_PTR, (uint32_t)LB_CMDLINE_GPA);
	/* acpi_rsdp_addr is protocol 2.14; older kernels scan the BIOS. */
	if (rsdp != 0 && li.version >= 0x020E)
		wr_le64(zp + LB_ZP_ACPI_RSDP_ADDR, rsdp);
	zp[LB_ZP_E820_ENTRIES] = (uint8_t)ne820;
	for (i = 0; i < ne820; i++) {
		uint8_t *e = zp + LB_ZP_E820_TABLE + (size_t)i * 20;

		wr_le64(e, e820[i].base);
		wr_le64(e + 8, e820[i].length);
		wr_le32(e + 16, e820[i].type);
	}

	/* GDT: null, unused, __BOOT_CS, __BOOT_DS. */
	p = map_or_null(mem, LB_GDT_GPA, 4 * 8);
	if (p == NULL)
		return (boot_errf(err, errlen, EFAULT, "no guest RAM for the GDT"));
	memset(p, 0, 4 * 8);
	gdt_entry(p + LB_SEL_CS, 0, 0xfffff, LB_AR_CODE64);
	gdt_entry(p + LB_SEL_DS, 0, 0xfffff, LB_AR_DATA);

	/* Identity map of [0, 4 GiB): PML4[0] -> PDPT[0..3] -> 4 PDs of
	 * 2 MiB pages (SDM Vol 3 4.5). */
	p = map_or_null(mem, LB_PML4_GPA, 6 * LB_PAGE);
	if (p == NULL)
		return (boot_errf(err, errlen, EFAULT, "no guest RAM for the page "
		    "tables"));
	memset(p, 0, 6 * LB_PAGE);
	wr_le64(p, LB_PDPT_GPA | LB_PTE_P | LB_PTE_RW);
	for (i = 0; i < 4; i++)
		wr_le64(p + LB_PAGE + (size_t)i * 8, (LB_PD_GPA + (uint64_t)i *
		    LB_PAGE) | LB_PTE_P | LB_PTE_RW);
	for (i = 0; i < 4 * 512; i++)
		wr_le64(p + 2 * LB_PAGE + (size_t)i * 8, (uint64_t)i * LB_2M |
		    LB_PTE_P | LB_PTE_RW | LB_PTE_PS);

	/* Entry state (boot.rst "The 64-bit boot protocol"). */
	memset(cpu, 0, sizeof(*cpu));
	boot_cpu_set_desc(cpu, VM_REG_GUEST_CS, 0, 0xffffffff, LB_AR_CODE64);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_DS, 0, 0xffffffff, LB_AR_DATA);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_ES, 0, 0xffffffff, LB_AR_DATA);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_FS, 0, 0xffffffff, LB_AR_DATA);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_GS, 0, 0xffffffff, LB_AR_DATA);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_SS, 0, 0xffffffff, LB_AR_DATA);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_GDTR, LB_GDT_GPA, 4 * 8 - 1, 0);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_IDTR, 0, 0, 0);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_LDTR, 0, 0, LB_AR_LDT);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_TR, 0, 0xfff, LB_AR_TSS64BUSY);
	/* Paging structures and EFER before CR0.PG turns it all on. */
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CR3, LB_PML4_GPA);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CR4, LB_CR4_PAE);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_EFER, LB_EFER_LME | LB_EFER_LMA);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CR0, LB_CR0_PE | LB_CR0_ET |
	    LB_CR0_PG);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CS, LB_SEL_CS);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_DS, LB_SEL_DS);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_ES, LB_SEL_DS);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_FS, LB_SEL_DS);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_GS, LB_SEL_DS);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_SS, LB_SEL_DS);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_LDTR, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_TR, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RSI, LB_ZP_GPA);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RSP, LB_STACK_TOP);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RFLAGS, 0x2);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RIP, r.entry);

	if (res != NULL)
		*res = r;
	return (0);
}
