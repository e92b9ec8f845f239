/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Multiboot v1 loader (Multiboot Specification 0.6.96).  See multiboot.h
 * for the machine state handed to the kernel.
 *
 * Every offset and size read from the image is checked against the file
 * length and the guest RAM layout before use, with 64-bit arithmetic on
 * values that are at most 32 bits wide (or range-checked first for
 * ELF64), so no sum can wrap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bhyve/e820.h"
#include "bhyve/multiboot.h"

#define	MB_PAGE		4096ULL
#define	MB_4G		(1ULL << 32)
#define	MB_1M		0x100000ULL
#define	MB_INFO_LOW_START 0x1000ULL	/* keep page 0 (IVT) alone */

/* ELF (System V ABI, and its i386/x86-64 supplements). */
#define	ELF_EHDR32_SIZE	52
#define	ELF_EHDR64_SIZE	64
#define	ELF_PHDR32_SIZE	32
#define	ELF_PHDR64_SIZE	56
#define	ELFCLASS32	1
#define	ELFCLASS64	2
#define	ELFDATA2LSB	1
#define	ET_EXEC		2
#define	EM_386		3
#define	EM_X86_64	62
#define	PT_LOAD		1

/* VMX access rights (vmm.h): G | D/B | P | S | type. */
#define	MB_AR_CODE32	0xC09Bu		/* execute/read, accessed */
#define	MB_AR_DATA32	0xC093u		/* read/write, accessed */
#define	MB_AR_LDT	0x0082u
#define	MB_AR_TSS32BUSY	0x008Bu

#define	CR0_PE		0x00000001u
#define	CR0_ET		0x00000010u

static uint64_t
roundup_u64(uint64_t v, uint64_t align)
{
	return ((v + align - 1) & ~(align - 1));
}

long
multiboot_find_header(const uint8_t *img, size_t len)
{
	size_t off, lim;

	lim = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	for (off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = rd_le32(img + off);

		if (magic != MB_HEADER_MAGIC)
			continue;
		/* Spec 3.1.2: magic + flags + checksum == 0 (mod 2^32). */
		if ((uint32_t)(magic + rd_le32(img + off + 4) +
		    rd_le32(img + off + 8)) == 0)
			return ((long)off);
	}
	return (-1);
}

/* Spec 3.1.3: the a.out kludge, addresses from the header. */
static int
parse_aout(const uint8_t *img, size_t len, struct mb_image *im, char *err,
    size_t errlen)
{
	const uint8_t *h = img + im->hdr_off;
	uint32_t header_addr, load_addr, load_end, bss_end, entry;
	uint64_t delta, off, filesz, memsz;

	header_addr = rd_le32(h + 12);
	load_addr = rd_le32(h + 16);
	load_end = rd_le32(h + 20);
	bss_end = rd_le32(h + 24);
	entry = rd_le32(h + 28);

	if (load_addr > header_addr)
		return (boot_errf(err, errlen, EINVAL, "multiboot header: "
		    "load_addr 0x%x is above header_addr 0x%x", load_addr,
		    header_addr));
	delta = (uint64_t)header_addr - load_addr;
	if (delta > im->hdr_off)
		return (boot_errf(err, errlen, EINVAL, "multiboot header: "
		    "load_addr 0x%x would start before the file", load_addr));
	off = im->hdr_off - delta;
	if (load_end == 0) {
		filesz = len - off;
	} else {
		if (load_end < load_addr)
			return (boot_errf(err, errlen, EINVAL, "multiboot header: "
			    "load_end_addr 0x%x below load_addr 0x%x",
			    load_end, load_addr));
		filesz = (uint64_t)load_end - load_addr;
		if (filesz > len - off)
			return (boot_errf(err, errlen, EINVAL, "multiboot header: "
			    "load_end_addr 0x%x is past the end of the file",
			    load_end));
	}
	if (bss_end == 0) {
		memsz = filesz;
	} else {
		if ((uint64_t)bss_end < load_addr + filesz)
			return (boot_errf(err, errlen, EINVAL, "multiboot header: "
			    "bss_end_addr 0x%x below the loaded data",
			    bss_end));
		memsz = (uint64_t)bss_end - load_addr;
	}
	if (memsz == 0)
		return (boot_errf(err, errlen, EINVAL,
		    "multiboot header: nothing to load"));
	if (load_addr + memsz > MB_4G)
		return (boot_errf(err, errlen, EINVAL, "multiboot header: image "
		    "at 0x%x does not fit below 4 GiB", load_addr));
	if (entry < load_addr || entry >= load_addr + memsz)
		return (boot_errf(err, errlen, EINVAL, "multiboot header: "
		    "entry_addr 0x%x is outside the loaded image", entry));
	im->nsegs = 1;
	im->seg[0] = (struct mb_seg){ load_addr, off, filesz, memsz };
	im->entry = entry;
	return (0);
}

/* ELF executable: PT_LOAD program headers at p_paddr. */
static int
parse_elf(const uint8_t *img, size_t len, struct mb_image *im, char *err,
    size_t errlen)
{
	uint64_t phoff, entry, vaddr, paddr, off, filesz, memsz;
	unsigned int phnum, phentsize, i, cls, machine, minph;
	bool is64, entry_ok;

	if (len < ELF_EHDR32_SIZE || memcmp(img, "\177ELF", 4) != 0)
		return (boot_errf(err, errlen, EINVAL, "not an ELF file and the "
		    "multiboot header has no address fields (flag 16)"));
	cls = img[4];
	if ((cls != ELFCLASS32 && cls != ELFCLASS64) || img[5] != ELFDATA2LSB)
		return (boot_errf(err, errlen, EINVAL,
		    "ELF: not a little-endian ELF32 or ELF64 file"));
	is64 = cls == ELFCLASS64;
	if (is64 && len < ELF_EHDR64_SIZE)
		return (boot_errf(err, errlen, EINVAL, "ELF: truncated header"));
	machine = rd_le16(img + 18);
	if (machine != (is64 ? EM_X86_64 : EM_386))
		return (boot_errf(err, errlen, EINVAL,
		    "ELF: machine %u is not %s", machine,
		    is64 ? "x86-64" : "i386"));
	if (rd_le16(img + 16) != ET_EXEC)
		return (boot_errf(err, errlen, EINVAL,
		    "ELF: not an executable (type %u)", rd_le16(img + 16)));
	if (is64) {
		entry = rd_le64(img + 24);
		phoff = rd_le64(img + 32);
		phentsize = rd_le16(img + 54);
		phnum = rd_le16(img + 56);
		minph = ELF_PHDR64_SIZE;
	} else {
		entry = rd_le32(img + 24);
		phoff = rd_le32(img + 28);
		phentsize = rd_le16(img + 42);
		phnum = rd_le16(img + 44);
		minph = ELF_PHDR32_SIZE;
	}
	if (phnum == 0)
		return (boot_errf(err, errlen, EINVAL, "ELF: no program headers"));
	if (phentsize < minph)
		return (boot_errf(err, errlen, EINVAL,
		    "ELF: program header size %u too small", phentsize));
	if (phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return (boot_errf(err, errlen, EINVAL,
		    "ELF: program headers past the end of the file"));

	im->nsegs = 0;
	entry_ok = false;
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;

		if (rd_le32(ph) != PT_LOAD)
			continue;
		if (is64) {
			off = rd_le64(ph + 8);
			vaddr = rd_le64(ph + 16);
			paddr = rd_le64(ph + 24);
			filesz = rd_le64(ph + 32);
			memsz = rd_le64(ph + 40);
		} else {
			off = rd_le32(ph + 4);
			vaddr = rd_le32(ph + 8);
			paddr = rd_le32(ph + 12);
			filesz = rd_le32(ph + 16);
			memsz = rd_le32(ph + 20);
		}
		if (memsz == 0)
			continue;
		if (filesz > memsz)
			return (boot_errf(err, errlen, EINVAL, "ELF: segment %u: "
			    "file size 0x%llx above memory size 0x%llx", i,
			    (unsigned long long)filesz,
			    (unsigned long long)memsz));
		if (off > len || filesz > len - off)
			return (boot_errf(err, errlen, EINVAL, "ELF: segment %u "
			    "lies past the end of the file", i));
		if (paddr >= MB_4G || memsz > MB_4G - paddr)
			return (boot_errf(err, errlen, EINVAL, "ELF: segment %u "
			    "at 0x%llx (size 0x%llx) does not fit below 4 GiB",
			    i, (unsigned long long)paddr,
			    (unsigned long long)memsz));
		if (im->nsegs == MB_MAX_SEGS)
			return (boot_errf(err, errlen, EINVAL, "ELF: more than %d "
			    "loadable segments", MB_MAX_SEGS));
		im->seg[im->nsegs++] = (struct mb_seg){ paddr, off, filesz,
		    memsz };
		/*
		 * The entry point is virtual; a kernel linked high with a
		 * low p_paddr enters through the segment containing it.
		 */
		if (!entry_ok && vaddr <= entry && entry - vaddr < memsz) {
			entry = entry - vaddr + paddr;
			entry_ok = true;
		}
	}
	if (im->nsegs == 0)
		return (boot_errf(err, errlen, EINVAL, "ELF: nothing to load"));
	if (!entry_ok)
		return (boot_errf(err, errlen, EINVAL, "ELF: entry point 0x%llx "
		    "is outside every loadable segment",
		    (unsigned long long)entry));
	im->entry = (uint32_t)entry;
	return (0);
}

int
multiboot_parse(const uint8_t *img, size_t len, struct mb_image *im,
    char *err, size_t errlen)
{
	long off;
	uint32_t flags, need;
	size_t lim;

	memset(im, 0, sizeof(*im));
	off = multiboot_find_header(img, len);
	if (off < 0)
		return (boot_errf(err, errlen, EINVAL, "no multiboot header "
		    "(magic 0x%08x with a valid checksum) in the first %d "
		    "bytes", MB_HEADER_MAGIC, MB_SEARCH_LEN));
	im->hdr_off = (uint32_t)off;
	flags = rd_le32(img + off + 4);
	im->hdr_flags = flags;
	if ((flags & 0xffffu & ~MB_HF_SUPPORTED) != 0)
		return (boot_errf(err, errlen, EINVAL, "multiboot header requires "
		    "features this loader lacks (flags 0x%08x)", flags));
	/* The fields the flags announce must lie in the first 8 KiB too. */
	need = 12;
	if (flags & MB_HF_AOUT_KLUDGE)
		need = 32;
	if (flags & MB_HF_VIDEO)
		need = 48;
	lim = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	if ((size_t)off + need > lim)
		return (boot_errf(err, errlen, EINVAL,
		    "multiboot header is truncated"));
	if (flags & MB_HF_AOUT_KLUDGE)
		return (parse_aout(img, len, im, err, errlen));
	return (parse_elf(img, len, im, err, errlen));
}

/* Occupied guest-physical ranges, [start, end). */
struct mb_range {
	uint64_t	start, end;
};

/*
 * Lowest `align`-aligned address in [lo, hi) where `size` bytes touch no
 * used range, or -1.
 */
static int64_t
find_free(const struct mb_range *used, int nused, uint64_t lo, uint64_t hi,
    uint64_t size, uint64_t align)
{
	uint64_t cand;
	int i;
	bool moved;

	cand = roundup_u64(lo, align);
	do {
		moved = false;
		if (cand > hi || size > hi - cand)
			return (-1);
		for (i = 0; i < nused; i++) {
			if (cand < used[i].end && used[i].start < cand + size) {
				cand = roundup_u64(used[i].end, align);
				moved = true;
			}
		}
	} while (moved);
	return ((int64_t)cand);
}

static void
gdt_entry(uint8_t *p, uint32_t base, uint32_t limit, uint32_t ar)
{
	/* SDM Vol 3 3.4.5: limit 15:0, base 23:0, access, limit 19:16 and
	 * flags, base 31:24. */
	p[0] = limit;
	p[1] = limit >> 8;
	p[2] = base;
	p[3] = base >> 8;
	p[4] = base >> 16;
	p[5] = ar;
	p[6] = ((limit >> 16) & 0x0f) | ((ar >> 8) & 0xf0);
	p[7] = base >> 24;
}

int
multiboot_load(const struct boot_mem *mem, const struct boot_file *kernel,
    const char *cmdline, const struct boot_file *mods, int nmods,
    struct boot_cpu *cpu, struct mb_result *res, char *err, size_t errlen)
{
	struct mb_image im;
	struct mb_range used[MB_MAX_SEGS + MB_MAX_MODS + 1];
	struct mb_result r;
	struct e820_entry mm[E820_MAX_ENTRIES];
	uint64_t ramtop, kstart, kend, size, cmdlen, strsz, info_gpa;
	uint64_t o_gdt, o_mmap, o_mods, o_str, lower, upper;
	uint8_t *info, *p;
	int64_t at;
	int error, i, j, nused, nmmap;
	size_t namelen, s;
	static const char loader_name[] = "bhyve";

	memset(&r, 0, sizeof(r));
	error = multiboot_parse(kernel->data, kernel->len, &im, err, errlen);
	if (error != 0)
		return (error);
	/*
	 * The memory map is the e820 one the Linux loader and firmware get
	 * (e820.h): lower memory ends at the EBDA, not at 640 KiB.
	 */
	nmmap = e820_compute(mem->lowmem, mem->highmem, mm, E820_MAX_ENTRIES);
	if (nmmap < 0)
		return (boot_errf(err, errlen, -nmmap, "memory map: %s",
		    strerror(-nmmap)));
	lower = 0;
	upper = 0;
	for (i = 0; i < nmmap; i++) {
		if (mm[i].type != E820_TYPE_MEMORY)
			continue;
		if (mm[i].base == 0)
			lower = mm[i].length;
		else if (mm[i].base == MB_1M)
			upper = mm[i].length;
	}
	if (nmods < 0 || nmods > MB_MAX_MODS)
		return (boot_errf(err, errlen, EINVAL, "at most %d modules",
		    MB_MAX_MODS));

	/* The kernel must sit in low RAM (below 4 GiB by construction). */
	ramtop = mem->lowmem;
	kstart = UINT64_MAX;
	kend = 0;
	nused = 0;
	for (i = 0; i < im.nsegs; i++) {
		const struct mb_seg *sg = &im.seg[i];

		if (sg->paddr + sg->memsz > ramtop)
			return (boot_errf(err, errlen, ENOMEM, "kernel segment at "
			    "0x%llx-0x%llx is outside guest RAM (0-0x%llx)",
			    (unsigned long long)sg->paddr,
			    (unsigned long long)(sg->paddr + sg->memsz),
			    (unsigned long long)ramtop));
		for (j = 0; j < nused; j++) {
			if (sg->paddr < used[j].end &&
			    used[j].start < sg->paddr + sg->memsz)
				return (boot_errf(err, errlen, EINVAL, "kernel "
				    "segments overlap at 0x%llx",
				    (unsigned long long)sg->paddr));
		}
		used[nused++] = (struct mb_range){ sg->paddr,
		    sg->paddr + sg->memsz };
		if (sg->paddr < kstart)
			kstart = sg->paddr;
		if (sg->paddr + sg->memsz > kend)
			kend = sg->paddr + sg->memsz;
	}

	/* Modules: page-aligned above the kernel and above 1 MiB. */
	for (i = 0; i < nmods; i++) {
		size = mods[i].len == 0 ? 1 : mods[i].len;
		at = find_free(used, nused, kend > MB_1M ? kend : MB_1M,
		    ramtop, size, MB_PAGE);
		if (at < 0)
			return (boot_errf(err, errlen, ENOMEM, "module %s (%zu "
			    "bytes) does not fit in guest RAM above the kernel",
			    mods[i].name, mods[i].len));
		r.mod_start[i] = (uint32_t)at;
		used[nused++] = (struct mb_range){ (uint64_t)at,
		    (uint64_t)at + size };
	}

	/* Info area: info, GDT, memory map, module list, strings. */
	namelen = strlen(kernel->name);
	cmdlen = namelen + 1;
	if (cmdline != NULL && cmdline[0] != '\0')
		cmdlen += strlen(cmdline) + 1;
	if (cmdlen > MB_MAX_CMDLINE)
		return (boot_errf(err, errlen, E2BIG, "command line longer than "
		    "%d bytes", MB_MAX_CMDLINE));
	strsz = cmdlen + sizeof(loader_name);
	for (i = 0; i < nmods; i++) {
		s = strlen(mods[i].name);
		if (s >= MB_MAX_CMDLINE)
			return (boot_errf(err, errlen, E2BIG,
			    "module name too long"));
		strsz += s + 1;
	}
	o_gdt = 128;
	o_mmap = o_gdt + 4 * 8;
	o_mods = o_mmap + E820_MAX_ENTRIES * 24;
	o_str = o_mods + (uint64_t)nmods * 16;
	size = o_str + strsz;
	at = find_free(used, nused, MB_INFO_LOW_START, lower, size, MB_PAGE);
	if (at < 0)
		at = find_free(used, nused, MB_1M, ramtop, size, MB_PAGE);
	if (at < 0)
		return (boot_errf(err, errlen, ENOMEM, "no room in guest RAM for "
		    "the multiboot information (%llu bytes)",
		    (unsigned long long)size));
	info_gpa = (uint64_t)at;

	/* Everything is placed and checked: now write guest memory. */
	for (i = 0; i < im.nsegs; i++) {
		const struct mb_seg *sg = &im.seg[i];

		p = mem->map(mem->arg, sg->paddr, sg->memsz);
		if (p == NULL)
			return (boot_errf(err, errlen, EFAULT, "kernel segment at "
			    "0x%llx is not in guest RAM",
			    (unsigned long long)sg->paddr));
		memcpy(p, kernel->data + sg->off, sg->filesz);
		memset(p + sg->filesz, 0, sg->memsz - sg->filesz);
	}
	for (i = 0; i < nmods; i++) {
		if (mods[i].len == 0)
			continue;
		p = mem->map(mem->arg, r.mod_start[i], mods[i].len);
		if (p == NULL)
			return (boot_errf(err, errlen, EFAULT,
			    "module %s is not in guest RAM", mods[i].name));
		memcpy(p, mods[i].data, mods[i].len);
	}
	info = mem->map(mem->arg, info_gpa, size);
	if (info == NULL)
		return (boot_errf(err, errlen, EFAULT,
		    "multiboot information is not in guest RAM"));
	memset(info, 0, size);

	/* Strings: "kernel args" (spec 3.3: as the boot loader was given). */
	p = info + o_str;
	memcpy(p, kernel->name, namelen);
	if (cmdline != NULL && cmdline[0] != '\0') {
		p[namelen] = ' ';
		memcpy(p + namelen + 1, cmdline, strlen(cmdline));
	}
	wr_le32(info + MB_INFO_OFF_CMDLINE, (uint32_t)(info_gpa + o_str));
	p += cmdlen;
	memcpy(p, loader_name, sizeof(loader_name));
	wr_le32(info + MB_INFO_OFF_LOADER_NAME, (uint32_t)(info_gpa + (uint64_t)
	    (p - info)));
	p += sizeof(loader_name);

	/* Modules (spec 3.3: mod_start, mod_end, string, reserved). */
	for (i = 0; i < nmods; i++) {
		uint8_t *m = info + o_mods + (uint64_t)i * 16;

		s = strlen(mods[i].name);
		memcpy(p, mods[i].name, s);
		wr_le32(m, r.mod_start[i]);
		wr_le32(m + 4, (uint32_t)(r.mod_start[i] + mods[i].len));
		wr_le32(m + 8, (uint32_t)(info_gpa + (uint64_t)(p - info)));
		p += s + 1;
	}
	wr_le32(info + MB_INFO_OFF_MODS_COUNT, (uint32_t)nmods);
	wr_le32(info + MB_INFO_OFF_MODS_ADDR, (uint32_t)(info_gpa + o_mods));

	/*
	 * Memory (spec 3.3): KiB of RAM from 0 (up to the EBDA) and KiB
	 * contiguous from 1 MiB, as the map says.
	 */
	wr_le32(info + MB_INFO_OFF_MEM_LOWER, (uint32_t)(lower / 1024));
	wr_le32(info + MB_INFO_OFF_MEM_UPPER, (uint32_t)(upper / 1024));

	/*
	 * Memory map (spec 3.3): size (20: itself excluded), base, length,
	 * type; the e820 types are multiboot's (1 available, 2 reserved).
	 */
	for (i = 0; i < nmmap; i++) {
		uint8_t *e = info + o_mmap + (uint64_t)i * 24;

		wr_le32(e, 20);
		wr_le64(e + 4, mm[i].base);
		wr_le64(e + 12, mm[i].length);
		wr_le32(e + 20, mm[i].type == E820_TYPE_MEMORY ?
		    MB_MMAP_AVAILABLE : MB_MMAP_RESERVED);
	}
	wr_le32(info + MB_INFO_OFF_MMAP_LEN, (uint32_t)(nmmap * 24));
	wr_le32(info + MB_INFO_OFF_MMAP_ADDR, (uint32_t)(info_gpa + o_mmap));

	wr_le32(info + MB_INFO_OFF_FLAGS, MB_INFO_MEMORY | MB_INFO_CMDLINE |
	    MB_INFO_MODS | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME);

	/* GDT: null, code32, data32, code64 (L=1, D=0). */
	gdt_entry(info + o_gdt + MB_SEL_CODE32, 0, 0xfffff, MB_AR_CODE32);
	gdt_entry(info + o_gdt + MB_SEL_DATA32, 0, 0xfffff, MB_AR_DATA32);
	gdt_entry(info + o_gdt + MB_SEL_CODE64, 0, 0xfffff, 0xA09B);

	/* Machine state, spec 3.2. */
	memset(cpu, 0, sizeof(*cpu));
	boot_cpu_set_desc(cpu, VM_REG_GUEST_CS, 0, 0xffffffff, MB_AR_CODE32);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_DS, 0, 0xffffffff, MB_AR_DATA32);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_ES, 0, 0xffffffff, MB_AR_DATA32);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_FS, 0, 0xffffffff, MB_AR_DATA32);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_GS, 0, 0xffffffff, MB_AR_DATA32);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_SS, 0, 0xffffffff, MB_AR_DATA32);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_GDTR, info_gpa + o_gdt, 4 * 8 - 1,
	    0);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_IDTR, 0, 0, 0);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_LDTR, 0, 0, MB_AR_LDT);
	boot_cpu_set_desc(cpu, VM_REG_GUEST_TR, 0, 0, MB_AR_TSS32BUSY);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CR0, CR0_PE | CR0_ET);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CR3, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CR4, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_EFER, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_CS, MB_SEL_CODE32);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_DS, MB_SEL_DATA32);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_ES, MB_SEL_DATA32);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_FS, MB_SEL_DATA32);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_GS, MB_SEL_DATA32);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_SS, MB_SEL_DATA32);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_LDTR, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_TR, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RAX, MB_BOOTLOADER_MAGIC);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RBX, info_gpa);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RSP, 0);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RFLAGS, 0x2);
	boot_cpu_set_reg(cpu, VM_REG_GUEST_RIP, im.entry);

	r.info_addr = (uint32_t)info_gpa;
	r.entry = im.entry;
	r.kernel_start = kstart;
	r.kernel_end = kend;
	r.gdt_addr = (uint32_t)(info_gpa + o_gdt);
	if (res != NULL)
		*res = r;
	return (0);
}
