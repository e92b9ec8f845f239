/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Direct kernel boot (boot.kernel, boot.initrd, boot.cmdline): the pieces
 * shared by the format loaders (multiboot.c, linux_boot.c) and the
 * dispatcher, bootload.c.
 *
 * A format loader never touches the VM directly.  It sees guest memory
 * through a `struct boot_mem` (a map callback plus the RAM layout) and
 * describes the BSP's initial state in a `struct boot_cpu`, which the
 * dispatcher applies with vm_set_desc/vm_set_register.  That keeps the
 * loaders pure functions of their inputs, testable on a plain buffer.
 */
#ifndef _BHYVE_BOOTLOAD_H_
#define _BHYVE_BOOTLOAD_H_

#include <stddef.h>
#include <stdint.h>

#include "bhyve/le_bytes.h"
#include "vmm/vmm.h"

/* Guest physical memory as the loaders see it. */
struct boot_mem {
	/*
	 * Host pointer for [gpa, gpa + len), or NULL unless the whole range
	 * is guest RAM (the contract of vm_map_gpa).
	 */
	void	*(*map)(void *arg, uint64_t gpa, size_t len);
	void	*arg;
	uint64_t lowmem;	/* RAM at [0, lowmem) */
	uint64_t highmem;	/* RAM at [4 GiB, 4 GiB + highmem) */
};

/* BSP state to load: descriptors first, then registers, in order. */
#define	BOOT_MAX_REGS	32
#define	BOOT_MAX_DESCS	12

struct boot_cpu {
	int		nregs;
	int		reg[BOOT_MAX_REGS];	/* VM_REG_GUEST_* */
	uint64_t	val[BOOT_MAX_REGS];
	int		ndescs;
	int		desc_reg[BOOT_MAX_DESCS];
	struct seg_desc	desc[BOOT_MAX_DESCS];
};

/* Append to a boot_cpu; ignored past the (ample) limits. */
static inline void
boot_cpu_set_reg(struct boot_cpu *cpu, int reg, uint64_t val)
{
	if (cpu->nregs < BOOT_MAX_REGS) {
		cpu->reg[cpu->nregs] = reg;
		cpu->val[cpu->nregs++] = val;
	}
}

static inline void
boot_cpu_set_desc(struct boot_cpu *cpu, int reg, uint64_t base,
    uint32_t limit, uint32_t access)
{
	if (cpu->ndescs < BOOT_MAX_DESCS) {
		cpu->desc_reg[cpu->ndescs] = reg;
		cpu->desc[cpu->ndescs++] = (struct seg_desc){ base, limit,
		    access };
	}
}

/* A file given to the loader (kernel or module) and the name it came by. */
struct boot_file {
	const char	*name;
	const uint8_t	*data;
	size_t		len;
};

/* Error text for the user: loaders fill it, bootload.c prints it. */
#define	BOOT_ERRLEN	256

/*
 * Format `fmt' into err[errlen] (when err is not NULL) and return -error:
 * the loaders' one way to fail with a message.
 */
int	boot_errf(char *err, size_t errlen, int error, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif /* _BHYVE_BOOTLOAD_H_ */
