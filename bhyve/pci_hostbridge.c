/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host bridge: a function with IDs and a class, nothing behind it
 * (the bus is flat).  "hostbridge" is NetApp's 1275:1275 as bhyve's;
 * "amd_hostbridge" is the same model with pcireg.vendor/device set to
 * AMD's 1022:7432 by its -s parser.  A PCI Express capability (root
 * port, as bhyve reports it) makes guests treat the bus as PCIe and use
 * the ECAM region of the MCFG table.
 */
#include <stdlib.h>

#include "bhyve/config.h"
#include "bhyve/pci_emul.h"

#define	NETAPP_VENDOR	0x1275
#define	NETAPP_DEVICE	0x1275

static int
hostbridge_init(struct pci_devinst *pi, config_node_t *nvl)
{
	pci_set_cfgdata16(pi, PCIR_VENDOR, NETAPP_VENDOR);
	pci_set_cfgdata16(pi, PCIR_DEVICE, NETAPP_DEVICE);
	pci_set_cfgdata8(pi, PCIR_CLASS, PCIC_BRIDGE);
	pci_set_cfgdata8(pi, PCIR_SUBCLASS, PCIS_BRIDGE_HOST);
	if (pci_emul_apply_pcireg(pi, nvl) != 0)
		return (-1);
	return (pci_emul_add_pciecap(pi, PCIEM_TYPE_ROOT_PORT));
}

/*
 * Save and restore: all of a host bridge's state is config space, which
 * the bus saves; the record ("hostbridge"/"amd_hostbridge") has version 1
 * and no fields of its own.
 */
#define	HOSTBRIDGE_SNAP_VERSION	1

static int
hostbridge_snapshot(struct pci_devinst *pi, struct snap_rec *r)
{
	(void)pi;
	snap_rec_set_version(r, HOSTBRIDGE_SNAP_VERSION);
	return (0);
}

static int
hostbridge_restore(struct pci_devinst *pi, struct snap_rec *r)
{
	(void)pi;
	return (snap_check_version(r, 1, HOSTBRIDGE_SNAP_VERSION));
}

static int
amd_hostbridge_legacy_config(config_node_t *nvl, const char *opts)
{
	config_node_t *regs;

	regs = create_relative_config_node(nvl, "pcireg");
	if (regs == NULL)
		return (-1);
	set_config_value_node(regs, "vendor", "0x1022");	/* AMD */
	set_config_value_node(regs, "device", "0x7432");
	return (pci_parse_legacy_config(nvl, opts));
}

const struct pci_devemu pci_de_hostbridge = {
	.pe_emu = "hostbridge",
	.pe_init = hostbridge_init,
	.pe_snapshot = hostbridge_snapshot,
	.pe_restore = hostbridge_restore,
};

const struct pci_devemu pci_de_amd_hostbridge = {
	.pe_emu = "amd_hostbridge",
	.pe_alias = "hostbridge",
	.pe_legacy_config = amd_hostbridge_legacy_config,
	.pe_init = hostbridge_init,
	.pe_snapshot = hostbridge_snapshot,
	.pe_restore = hostbridge_restore,
};
