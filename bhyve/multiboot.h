/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Multiboot (version 1, spec 0.6.96) kernel loader.
 *
 * multiboot_load() places an ELF32/ELF64 kernel (program headers, p_paddr)
 * or an "a.out kludge" kernel (header address fields, flag bit 16) in
 * guest RAM, loads the modules page-aligned above it, writes the
 * multiboot information (spec 3.3) and a small GDT, and describes the
 * machine state of spec 3.2 in a struct boot_cpu:
 *
 *   EAX = 0x2BADB002, EBX = info address, EIP = entry, ESP = 0
 *   CS  = 0x08: base 0, limit 4 GiB, 32-bit code, execute/read
 *   DS, ES, FS, GS, SS = 0x10: base 0, limit 4 GiB, 32-bit data, r/w
 *   CR0 = PE|ET (no paging), CR4 = EFER = 0, EFLAGS = 0x2 (IF = VM = 0)
 *   GDTR: the GDT in the info area: 0x08 code32, 0x10 data32, 0x18 code64
 *   (long mode, for kernels that go 64-bit without their own GDT yet).
 *   IDTR: base 0, limit 0 (the kernel must load its own, as the spec says).
 *
 * The info area (info, memory map, module list, strings, GDT) goes into
 * the lowest free page-aligned hole at or above 4 KiB below the EBDA
 * (0x9FC00), or above the modules when it does not fit there.  The
 * memory map and mem_lower/mem_upper come from the e820 map (e820.h), so
 * a multiboot kernel sees the memory a Linux guest or firmware sees.
 */
#ifndef _BHYVE_MULTIBOOT_H_
#define _BHYVE_MULTIBOOT_H_

#include <stddef.h>
#include <stdint.h>

#include "bhyve/bootload.h"

#define	MB_HEADER_MAGIC		0x1BADB002u
#define	MB_BOOTLOADER_MAGIC	0x2BADB002u
#define	MB_SEARCH_LEN		8192	/* header within the first 8 KiB */

/* Header flags (spec 3.1.2); bits 0-15 are requirements. */
#define	MB_HF_PAGE_ALIGN	0x00000001u
#define	MB_HF_MEMINFO		0x00000002u
#define	MB_HF_VIDEO		0x00000004u
#define	MB_HF_AOUT_KLUDGE	0x00010000u
#define	MB_HF_SUPPORTED		(MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | \
				 MB_HF_VIDEO)

/* Info flags (spec 3.3). */
#define	MB_INFO_MEMORY		0x00000001u
#define	MB_INFO_CMDLINE		0x00000004u
#define	MB_INFO_MODS		0x00000008u
#define	MB_INFO_MEM_MAP		0x00000040u
#define	MB_INFO_LOADER_NAME	0x00000200u

/* Info layout (spec 3.3): byte offsets of the fields we fill. */
#define	MB_INFO_OFF_FLAGS	0
#define	MB_INFO_OFF_MEM_LOWER	4
#define	MB_INFO_OFF_MEM_UPPER	8
#define	MB_INFO_OFF_CMDLINE	16
#define	MB_INFO_OFF_MODS_COUNT	20
#define	MB_INFO_OFF_MODS_ADDR	24
#define	MB_INFO_OFF_MMAP_LEN	44
#define	MB_INFO_OFF_MMAP_ADDR	48
#define	MB_INFO_OFF_LOADER_NAME	64
#define	MB_INFO_SIZE		116	/* through the framebuffer fields */

#define	MB_MMAP_AVAILABLE	1
#define	MB_MMAP_RESERVED	2

#define	MB_MAX_SEGS		32
#define	MB_MAX_MODS		16
#define	MB_MAX_CMDLINE		(64 * 1024)

/* GDT selectors set up by the loader. */
#define	MB_SEL_CODE32		0x08
#define	MB_SEL_DATA32		0x10
#define	MB_SEL_CODE64		0x18

/* One piece of the kernel image: file bytes then zeroes, at paddr. */
struct mb_seg {
	uint64_t	paddr;
	uint64_t	off;	/* in the file */
	uint64_t	filesz;
	uint64_t	memsz;	/* >= filesz */
};

/* What the image asks for, after validation against the file. */
struct mb_image {
	uint32_t	hdr_off;	/* header offset in the file */
	uint32_t	hdr_flags;
	uint32_t	entry;
	int		nsegs;
	struct mb_seg	seg[MB_MAX_SEGS];
};

/* Where things went, for the caller and the tests. */
struct mb_result {
	uint32_t	info_addr;
	uint32_t	entry;
	uint64_t	kernel_start;	/* lowest and end of kernel bytes */
	uint64_t	kernel_end;
	uint32_t	mod_start[MB_MAX_MODS];
	uint32_t	gdt_addr;
};

/* Offset of a valid multiboot header (magic, checksum) or -1. */
long	multiboot_find_header(const uint8_t *img, size_t len);

/* Validate the header and the ELF/a.out layout: 0 or -EINVAL + err. */
int	multiboot_parse(const uint8_t *img, size_t len, struct mb_image *im,
	    char *err, size_t errlen);

/*
 * Load the kernel and modules into guest memory, write the info and the
 * GDT, fill `cpu`.  `cmdline` may be NULL.  0 or a negative errno with a
 * message in err; guest memory may be partly written on failure.
 */
int	multiboot_load(const struct boot_mem *mem,
	    const struct boot_file *kernel, const char *cmdline,
	    const struct boot_file *mods, int nmods, struct boot_cpu *cpu,
	    struct mb_result *res, char *err, size_t errlen);

#endif /* _BHYVE_MULTIBOOT_H_ */
