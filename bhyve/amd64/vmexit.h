/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vCPU exit loop (FreeBSD usr.sbin/bhyve/amd64/vmexit.c and
 * bhyverun.c's vm_loop): one handler per exit code, in a table.
 */
#ifndef _BHYVE_AMD64_VMEXIT_H_
#define _BHYVE_AMD64_VMEXIT_H_

#include "vmm/vmm.h"

struct vcpu;
struct bhyve_vm;

/* A handler returns VMEXIT_CONTINUE or VMEXIT_DONE with *status set. */
#define	VMEXIT_CONTINUE	0
#define	VMEXIT_DONE	1

typedef int (*vmexit_handler_t)(struct bhyve_vm *bvm, struct vcpu *vcpu,
    struct vm_exit *vme, int *status);

extern const vmexit_handler_t vmexit_handlers[VM_EXITCODE_MAX];

#endif /* _BHYVE_AMD64_VMEXIT_H_ */
