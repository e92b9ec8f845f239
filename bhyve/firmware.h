/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Firmware-facing platform pieces, set up once per VM after guest memory
 * exists and before the vCPUs start (called from bhyve_start_vm):
 * POST port, pc-testdev, QEMU fw_cfg or bhyve fwctl, and the ACPI, MP
 * and SMBIOS tables in the BIOS area (README "Firmware tables").
 */
#ifndef _BHYVE_FIRMWARE_H_
#define _BHYVE_FIRMWARE_H_

#include <stdint.h>

struct vmctx;

/* 0, or -1 with a message printed (also for an unknown lpc.fwcfg). */
int	bhyve_firmware_init(struct vmctx *ctx, int ncpus);
void	bhyve_firmware_fini(void);

/*
 * The process exit status: `status' from the vCPUs, unless the guest
 * asked pc-testdev to exit with its own.
 */
int	bhyve_firmware_exit_status(int status);

/* Bus 0 slots that have a device configured (pci.0.<slot> nodes). */
uint32_t bhyve_firmware_pci_slots(void);

#endif /* _BHYVE_FIRMWARE_H_ */
