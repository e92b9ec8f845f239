/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LPC (PCI-ISA) bridge: -l devices (COM1-COM4, boot ROM, TPM,
 * pc-testdev) and the "lpc" PCI emulation.
 */
#ifndef _BHYVE_PCI_LPC_H_
#define _BHYVE_PCI_LPC_H_

/*
 * Parse one -l argument into lpc.* / tpm.* keys.  0; -ENOENT for an
 * unknown device name (nothing printed: bhyve reports it as a usage
 * error); -EINVAL for bad options of a known device (message printed).
 */
int	lpc_device_parse(const char *opts);

/* -l help: the device names, one a line on stdout. */
void	lpc_print_supported_devices(void);

/* lpc.bootrom, or NULL. */
const char *lpc_bootrom(void);

/* lpc.fwcfg: "bhyve" (default) or "qemu". */
const char *lpc_fwcfg(void);

#endif /* _BHYVE_PCI_LPC_H_ */
