/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder until the engine lands: see bhyverun.h. */
#include <stdio.h>

#include "bhyve/bhyverun.h"

int
bhyve_start_vm(const char *vmname)
{
	fprintf(stderr, "bhyve: %s: the VM engine is not built yet\n",
	    vmname);
	return (BHYVE_EXIT_ERROR);
}
