/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux x86 boot protocol loader for bzImage kernels, 64-bit entry
 * (Documentation/arch/x86/boot.rst, protocol 2.12 and later).
 *
 * linux_load() checks the real-mode setup header, copies the
 * protected-mode kernel to its load address (pref_address when init_size
 * bytes fit there, else the lowest kernel_alignment-aligned address at
 * or above 1 MiB for a relocatable kernel), places the initrd at the top
 * of RAM below initrd_addr_max, writes the zero page (struct boot_params)
 * with the e820 map, command line, identity page tables and a GDT, and
 * describes the 64-bit entry state ("The 64-bit boot protocol"):
 *
 *   long mode, paging on: CR0 = PE|ET|PG, CR4 = PAE, EFER = LME|LMA,
 *   CR3 = page tables identity-mapping [0, 4 GiB) with 2 MiB pages
 *   GDT: 0x10 = __BOOT_CS (64-bit code, flat), 0x18 = __BOOT_DS (data)
 *   CS = 0x10, DS = ES = SS = FS = GS = 0x18, IDTR limit 0, IF = 0
 *   RSI = zero page, RIP = load address + 0x200, RSP below the page tables
 *
 * Guest-physical layout below 640 KiB (all inside the first MiB, which
 * Linux keeps for itself):
 *
 *   0x01000  GDT                      0x09000  PML4
 *   0x02000  zero page (boot_params)  0x0A000  PDPT
 *   0x03000  boot stack (to 0x9000)   0x0B000  4 page directories
 *   0x20000  command line (<= 64 KiB)
 */
#ifndef _BHYVE_LINUX_BOOT_H_
#define _BHYVE_LINUX_BOOT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bhyve/bootload.h"
#include "bhyve/e820.h"

/* Setup header offsets in the file and in the zero page (boot.rst). */
#define	LB_HDR_START		0x1F1	/* setup_sects: the header begins */
#define	LB_OFF_SETUP_SECTS	0x1F1
#define	LB_OFF_SYSSIZE		0x1F4
#define	LB_OFF_BOOT_FLAG	0x1FE
#define	LB_OFF_JUMP		0x200
#define	LB_OFF_HEADER		0x202
#define	LB_OFF_VERSION		0x206
#define	LB_OFF_TYPE_OF_LOADER	0x210
#define	LB_OFF_LOADFLAGS	0x211
#define	LB_OFF_CODE32_START	0x214
#define	LB_OFF_RAMDISK_IMAGE	0x218
#define	LB_OFF_RAMDISK_SIZE	0x21C
#define	LB_OFF_CMD_LINE_PTR	0x228
#define	LB_OFF_INITRD_ADDR_MAX	0x22C
#define	LB_OFF_KERNEL_ALIGN	0x230
#define	LB_OFF_RELOCATABLE	0x234
#define	LB_OFF_MIN_ALIGNMENT	0x235
#define	LB_OFF_XLOADFLAGS	0x236
#define	LB_OFF_CMDLINE_SIZE	0x238
#define	LB_OFF_PREF_ADDRESS	0x258
#define	LB_OFF_INIT_SIZE	0x260
#define	LB_HDR_MIN_END		0x264	/* through init_size (2.10) */

/* struct boot_params (the zero page), "Zero page" in zero-page.rst. */
#define	LB_ZP_SIZE		4096
#define	LB_ZP_ACPI_RSDP_ADDR	0x070
#define	LB_ZP_E820_ENTRIES	0x1E8
#define	LB_ZP_HDR_LIMIT		0x290	/* the header area ends here */
#define	LB_ZP_E820_TABLE	0x2D0
#define	LB_ZP_E820_MAX		128

#define	LB_BOOT_FLAG		0xAA55
#define	LB_LOADED_HIGH		0x01	/* loadflags bit 0 */
#define	LB_XLF_KERNEL_64	0x0001	/* xloadflags bit 0 */
#define	LB_LOADER_UNDEFINED	0xFF	/* type_of_loader: no assigned ID */
#define	LB_MIN_VERSION		0x020C	/* 2.12: xloadflags */
#define	LB_ENTRY64_OFF		0x200	/* 64-bit entry: load + 0x200 */

/* Our layout (see above). */
#define	LB_GDT_GPA		0x1000ULL
#define	LB_ZP_GPA		0x2000ULL
#define	LB_STACK_TOP		0x9000ULL
#define	LB_PML4_GPA		0x9000ULL
#define	LB_PDPT_GPA		0xA000ULL
#define	LB_PD_GPA		0xB000ULL	/* 4 pages */
#define	LB_CMDLINE_GPA		0x20000ULL
#define	LB_CMDLINE_MAX		0xFFFFULL	/* bytes, without the NUL */

#define	LB_SEL_CS		0x10	/* __BOOT_CS */
#define	LB_SEL_DS		0x18	/* __BOOT_DS */

/* The header fields the loader uses, validated against the file. */
struct linux_image {
	uint16_t	version;	/* 0x020F = 2.15 */
	uint8_t		loadflags;
	uint16_t	xloadflags;
	bool		relocatable;
	uint32_t	kernel_alignment;
	uint64_t	pref_address;
	uint64_t	init_size;	/* >= kernel_len */
	uint64_t	initrd_addr_max; /* highest byte the initrd may use */
	uint32_t	cmdline_size;	/* without the NUL */
	size_t		hdr_end;	/* end of the setup header */
	size_t		kernel_off;	/* protected-mode kernel in the file */
	size_t		kernel_len;
};

/* Where things went, for the caller and the tests. */
struct linux_result {
	uint64_t	load_addr;
	uint64_t	entry;
	uint64_t	zero_page;
	uint64_t	cmdline;
	uint64_t	initrd_addr;
	uint64_t	initrd_size;
};

/* The file carries a Linux setup header ("HdrS" at 0x202). */
bool	linux_is_bzimage(const uint8_t *img, size_t len);

/* Validate the setup header: 0 or -EINVAL / -ENOTSUP with a message. */
int	linux_parse(const uint8_t *img, size_t len, struct linux_image *li,
	    char *err, size_t errlen);

/*
 * Load kernel and initrd (may be NULL or empty) into guest memory, write
 * the zero page, command line (NULL: empty), page tables and GDT, fill
 * `cpu`.  `e820` is the VM's memory map (also what the firmware tables
 * describe); `rsdp` the ACPI RSDP address, 0 if none.  0 or a negative
 * errno with a message in err.
 */
int	linux_load(const struct boot_mem *mem, const struct boot_file *kernel,
	    const char *cmdline, const struct boot_file *initrd,
	    const struct e820_entry *e820, int ne820, uint64_t rsdp,
	    struct boot_cpu *cpu, struct linux_result *res, char *err,
	    size_t errlen);

#endif /* _BHYVE_LINUX_BOOT_H_ */
