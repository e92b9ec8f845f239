/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI device emulations: the registry of models that -s accepts, and the
 * -s parser that turns "slot,emulation[,conf]" into pci.B.S.F.* config
 * keys (bhyve_config(5)).
 *
 * Registering a model: define `const struct pci_devemu pci_de_NAME' in
 * the model's file, declare it below and list it in pci_devemu_table[]
 * in pci_emul.c.  That table is the project's one registration point;
 * -s help prints it.  Models whose device is not written yet are parse-
 * only placeholders in pci_emul_stubs.c: -s stores their keys, and
 * starting a VM that uses one fails with a clear message.  Writing the
 * model means moving its pci_de_* definition (same symbol) out of
 * pci_emul_stubs.c into the new file.
 */
#ifndef _BHYVE_PCI_EMUL_H_
#define _BHYVE_PCI_EMUL_H_

#include <stdbool.h>
#include <stdint.h>

#include "bhyve/config.h"

#define	PCI_BUSMAX	255
#define	PCI_SLOTMAX	31
#define	PCI_FUNCMAX	7

struct pci_devinst;		/* defined by the PCI bus emulation */

struct pci_devemu {
	const char	*pe_emu;	/* name given to -s */
	const char	*pe_alias;	/* model name stored as "device" */
	/* Options are parsed, but the device model does not exist yet. */
	bool		pe_parse_only;

	/* Turn the legacy "conf" string of -s into keys under nvl. */
	int	(*pe_legacy_config)(config_node_t *nvl, const char *opts);

	/* Device model operations, filled in by the platform code. */
	int	(*pe_init)(struct pci_devinst *pi, config_node_t *nvl);
	int	(*pe_cfgwrite)(struct pci_devinst *pi, int offset, int bytes,
		    uint32_t val);
	int	(*pe_cfgread)(struct pci_devinst *pi, int offset, int bytes,
		    uint32_t *retval);
	void	(*pe_barwrite)(struct pci_devinst *pi, int baridx,
		    uint64_t offset, int size, uint64_t value);
	uint64_t (*pe_barread)(struct pci_devinst *pi, int baridx,
		    uint64_t offset, int size);
	void	(*pe_write_dsdt)(struct pci_devinst *pi);
};

/* Registered models (pci_emul.c lists them in pci_devemu_table[]). */
extern const struct pci_devemu pci_de_hostbridge;
extern const struct pci_devemu pci_de_amd_hostbridge;
extern const struct pci_devemu pci_de_lpc;
extern const struct pci_devemu pci_de_passthru;
extern const struct pci_devemu pci_de_vnet;
extern const struct pci_devemu pci_de_e82545;
extern const struct pci_devemu pci_de_vblk;
extern const struct pci_devemu pci_de_vscsi;
extern const struct pci_devemu pci_de_v9p;
extern const struct pci_devemu pci_de_vrnd;
extern const struct pci_devemu pci_de_vcon;
extern const struct pci_devemu pci_de_vinput;
extern const struct pci_devemu pci_de_ahci;
extern const struct pci_devemu pci_de_ahci_hd;
extern const struct pci_devemu pci_de_ahci_cd;
extern const struct pci_devemu pci_de_nvme;
extern const struct pci_devemu pci_de_uart;
extern const struct pci_devemu pci_de_fbuf;
extern const struct pci_devemu pci_de_xhci;
extern const struct pci_devemu pci_de_hda;

/* The registered model called `name', or NULL. */
const struct pci_devemu *pci_emul_finddev(const char *name);

/* -s help: one registered name a line on stdout. */
void	pci_print_supported_devices(void);

/*
 * Parse one -s argument.  0, or -1 with bhyve's message printed
 * ("Invalid PCI slot info field", unknown device, "pci slot B:S:F
 * already occupied!", bad options).
 */
int	pci_parse_slot(const char *opt);

/*
 * Generic option list "name[=value],...": a bare name is set to "true".
 * Names may be dotted paths below nvl (pcireg.vendor=0x8086).  0, or -1
 * with a message.
 */
int	pci_parse_legacy_config(config_node_t *nvl, const char *opts);

/*
 * Shared legacy parsers: the first comma token becomes `key' (for
 * _if_plain: unless it already has the form name=value), the rest is a
 * generic option list.
 */
int	pci_legacy_config_first(config_node_t *nvl, const char *opts,
	    const char *key);
int	pci_legacy_config_first_if_plain(config_node_t *nvl,
	    const char *opts, const char *key);

/*
 * Start-time check of every pci.B.S.F node: a registered device whose
 * model exists, lpc on bus 0 and only once.  0, or -1 with a message.
 */
int	pci_emul_check_config(void);

#endif /* _BHYVE_PCI_EMUL_H_ */
