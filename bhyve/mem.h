/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MMIO ranges emulated in userland, as FreeBSD's usr.sbin/bhyve/mem.h:
 * devices register [base, base + size); VM_EXITCODE_MMIO exits are
 * dispatched to them.  Fallback ranges (the PCI hole) are consulted only
 * when no ordinary range matches.
 */
#ifndef _BHYVE_MEM_H_
#define _BHYVE_MEM_H_

#include <stdint.h>

struct vcpu;
struct vm_exit;

/* dir is MEM_F_READ or MEM_F_WRITE; 0 on success. */
typedef int (*mem_func_t)(struct vcpu *vcpu, int dir, uint64_t addr,
    int size, uint64_t *val, void *arg1, long arg2);

struct mem_range {
	const char	*name;
	int		flags;
	mem_func_t	handler;
	void		*arg1;
	long		arg2;
	uint64_t	base;
	uint64_t	size;
};

#define	MEM_F_READ		0x1
#define	MEM_F_WRITE		0x2
#define	MEM_F_RW		0x3
#define	MEM_F_IMMUTABLE		0x4	/* stays for good */

/* emulate_mmio() results besides 0 and -1. */
#define	MEM_UNHANDLED		1

void	init_mem(int ncpu);
int	register_mem(struct mem_range *memp);
int	register_mem_fallback(struct mem_range *memp);
int	unregister_mem(struct mem_range *memp);
int	read_mem(struct vcpu *vcpu, uint64_t gpa, uint64_t *rval, int size);
int	write_mem(struct vcpu *vcpu, uint64_t gpa, uint64_t wval, int size);
/*
 * Run the handler for a VM_EXITCODE_MMIO exit; a read's value goes to
 * vme->u.mmio.data for the next vm_run().  0, MEM_UNHANDLED, or -1.
 */
int	emulate_mmio(struct vcpu *vcpu, struct vm_exit *vme);

#endif /* _BHYVE_MEM_H_ */
