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

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bhyve/config.h"
#include "bhyve/snapshot.h"

#define	PCI_BUSMAX	255
#define	PCI_SLOTMAX	31
#define	PCI_FUNCMAX	7

struct vmctx;
struct pci_devinst;

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

	/*
	 * Save and restore (snapshot.h).  The bus saves config space, BARs,
	 * MSI/MSI-X and INTx state in the same record (fields "pci.*") and
	 * calls these for the model's own state; snapshot sets the record's
	 * version (the model's).  pe_restore runs after the bus fields were
	 * checked and before they are applied: it must check everything it
	 * reads before changing anything, so a refused record changes
	 * nothing.  NULL: no state beyond config space (version 0).
	 */
	int	(*pe_snapshot)(struct pci_devinst *pi, struct snap_rec *r);
	int	(*pe_restore)(struct pci_devinst *pi, struct snap_rec *r);
	/* Free pi_arg and whatever pe_init allocated; also after a failed
	 * pe_init, so it must cope with a partial one. */
	void	(*pe_teardown)(struct pci_devinst *pi);
};

/*
 * The PCI bus emulation (pci_emul.c, pci_emul_caps.c, pci_irq.c).
 *
 * Config space: mechanism #1 (PCI Local Bus 3.0 3.2.2.3.2, ports 0xCF8
 * and 0xCFC-0xCFF) and PCIe ECAM (PCIe Base 4.0 7.2.2) at PCI_ECAM_BASE.
 * Each function has 256 bytes of conventional space; the extended space
 * of ECAM reads as zero.  Absent functions read all-ones.
 *
 * A model's pe_init() gets its pci.B.S.F config node, fills in the IDs
 * with pci_set_cfgdata*(), declares BARs with pci_emul_alloc_bar() and
 * capabilities with pci_emul_add_*cap().  BAR addresses are assigned after
 * every model is initialized (largest first per space), and decoding is
 * enabled as firmware would.  pe_cfgread/pe_cfgwrite return 0 when they
 * handled the access, nonzero to let the generic code do it.
 */
#define	PCI_ECAM_BASE		0xE0000000ULL
#define	PCI_ECAM_SIZE		0x10000000ULL	/* 256 buses */
#define	PCI_IOBASE_START	0x2000		/* I/O BARs from here up */
#define	PCI_IOLIMIT		0x10000
#define	PCI_MMIO32_LIMIT	PCI_ECAM_BASE	/* 32-bit BARs below */
#define	PCI_MMIO64_BASE		0xD000000000ULL	/* as ACPI_PCI_MMIO64_* */
#define	PCI_MMIO64_LIMIT	0xFD00000000ULL

#define	PCI_REGMAX		255
#define	PCI_BARMAX		5
#define	PCI_ROM_IDX		6		/* pi_bar[] index of the ROM BAR */
#define	PCI_NUMBARS		7

/* Standard header (PCI Local Bus 3.0 6.1). */
#define	PCIR_VENDOR		0x00
#define	PCIR_DEVICE		0x02
#define	PCIR_COMMAND		0x04
#define	PCIR_STATUS		0x06
#define	PCIR_REVID		0x08
#define	PCIR_PROGIF		0x09
#define	PCIR_SUBCLASS		0x0a
#define	PCIR_CLASS		0x0b
#define	PCIR_CACHELNSZ		0x0c
#define	PCIR_LATTIMER		0x0d
#define	PCIR_HDRTYPE		0x0e
#define	PCIR_BIST		0x0f
#define	PCIR_BAR(i)		(0x10 + (i) * 4)
#define	PCIR_SUBVEND_0		0x2c
#define	PCIR_SUBDEV_0		0x2e
#define	PCIR_BIOS		0x30
#define	PCIR_CAP_PTR		0x34
#define	PCIR_INTLINE		0x3c
#define	PCIR_INTPIN		0x3d
#define	PCIR_MINGNT		0x3e
#define	PCIR_MAXLAT		0x3f
#define	PCI_HDR_END		0x40

#define	PCIM_CMD_PORTEN		0x0001
#define	PCIM_CMD_MEMEN		0x0002
#define	PCIM_CMD_BUSMASTEREN	0x0004
#define	PCIM_CMD_PERRESPEN	0x0040
#define	PCIM_CMD_SERRESPEN	0x0100
#define	PCIM_CMD_INTxDIS	0x0400
#define	PCIM_STATUS_INTxSTATE	0x0008
#define	PCIM_STATUS_CAPPRESENT	0x0010
#define	PCIM_MFDEV		0x80
#define	PCIM_BIOS_ENABLE	0x01

#define	PCIC_BRIDGE		0x06
#define	PCIS_BRIDGE_HOST	0x00
#define	PCIS_BRIDGE_ISA		0x01
#define	PCIC_SIMPLECOMM		0x07
#define	PCIS_SIMPLECOMM_UART	0x00

/* Capability IDs (PCI Local Bus 3.0 appendix H). */
#define	PCIY_MSI		0x05
#define	PCIY_EXPRESS		0x10
#define	PCIY_MSIX		0x11

/* PCIe capability device/port types (PCIe Base 4.0 7.5.3.2). */
#define	PCIEM_TYPE_ENDPOINT	0x0
#define	PCIEM_TYPE_ROOT_PORT	0x4
#define	PCIEM_TYPE_ROOT_INT_EP	0x9

enum pcibar_type {
	PCIBAR_NONE,
	PCIBAR_IO,
	PCIBAR_MEM32,
	PCIBAR_MEM64,
	PCIBAR_MEMHI64,		/* upper half of the BAR before it */
	PCIBAR_ROM,
};

struct pcibar {
	enum pcibar_type type;
	uint64_t	size;
	uint64_t	addr;
	bool		registered;	/* decoding: range claimed */
};

struct msix_table_entry {
	uint64_t	addr;
	uint32_t	msg_data;
	uint32_t	vector_control;
};

#define	PCIM_MSIX_VCTRL_MASK	0x1
#define	MSIX_TABLE_ENTRY_SIZE	16

struct pci_devinst {
	const struct pci_devemu *pi_d;
	struct vmctx	*pi_vmctx;
	uint8_t		pi_bus, pi_slot, pi_func;
	char		pi_name[40];
	void		*pi_arg;	/* the model's softc */

	/* Interrupt state: `pi_lock' protects pi_lintr, pi_msi, pi_msix. */
	pthread_mutex_t	pi_lock;
	struct {
		int	pin;		/* 1 = INTA# .. 4 = INTD#, 0 none */
		int	link;		/* PIRQ A-H: 0-7 */
		bool	state;		/* device asserts the line */
		bool	routed;		/* passed on to the PIRQ */
	} pi_lintr;
	struct {
		int	capoff;
		bool	enabled;
		int	maxmsgnum;	/* messages enabled (MME) */
		uint64_t addr;
		uint16_t data;
	} pi_msi;
	struct {
		int	capoff;
		bool	enabled;
		bool	function_mask;
		int	table_bar, pba_bar;
		uint32_t table_offset, pba_offset;
		int	table_count;
		uint32_t pba_size;
		struct msix_table_entry *table;
		uint64_t *pba;		/* pending bits */
	} pi_msix;

	int		pi_prevcap, pi_capend;
	struct pcibar	pi_bar[PCI_NUMBARS];
	uint8_t		*pi_rom;	/* ROM BAR contents */
	uint8_t		pi_cfgdata[PCI_REGMAX + 1];
	uint8_t		pi_capmask[PCI_REGMAX + 1];	/* writable bits */
	struct snapshot_dev pi_snap;	/* "pci.B.S.F" */
};

/*
 * Save and restore of one function (snapshot.h): the bus part, version
 * PCI_SNAP_VERSION in field "pci.version", then the model's hooks.  The
 * whole tree takes part in snapshot_userland_save() on its own: every
 * instance registers as "pci.B.S.F", the bus (CONFIG_ADDRESS) as "pci".
 * Restore requires the same model with the same BAR layout and identity
 * registers; it moves BARs to the saved addresses.  0 or -errno.
 */
#define	PCI_SNAP_VERSION	1
int	pci_emul_snapshot(struct pci_devinst *pi, struct snap_rec *r);
int	pci_emul_restore(struct pci_devinst *pi, struct snap_rec *r);

/* Config space contents, no side effects. */
static inline uint8_t
pci_get_cfgdata8(const struct pci_devinst *pi, int off)
{
	return (pi->pi_cfgdata[off & PCI_REGMAX]);
}

static inline uint16_t
pci_get_cfgdata16(const struct pci_devinst *pi, int off)
{
	off &= PCI_REGMAX & ~1;
	return ((uint16_t)(pi->pi_cfgdata[off] | pi->pi_cfgdata[off + 1] << 8));
}

static inline uint32_t
pci_get_cfgdata32(const struct pci_devinst *pi, int off)
{
	off &= PCI_REGMAX & ~3;
	return ((uint32_t)pci_get_cfgdata16(pi, off) |
	    (uint32_t)pci_get_cfgdata16(pi, off + 2) << 16);
}

static inline void
pci_set_cfgdata8(struct pci_devinst *pi, int off, uint8_t v)
{
	pi->pi_cfgdata[off & PCI_REGMAX] = v;
}

static inline void
pci_set_cfgdata16(struct pci_devinst *pi, int off, uint16_t v)
{
	off &= PCI_REGMAX & ~1;
	pi->pi_cfgdata[off] = (uint8_t)v;
	pi->pi_cfgdata[off + 1] = (uint8_t)(v >> 8);
}

static inline void
pci_set_cfgdata32(struct pci_devinst *pi, int off, uint32_t v)
{
	off &= PCI_REGMAX & ~3;
	pci_set_cfgdata16(pi, off, (uint16_t)v);
	pci_set_cfgdata16(pi, off + 2, (uint16_t)(v >> 16));
}

/*
 * Create every device of the pci.* config tree, assign BARs, and claim
 * the config ports and ECAM.  0, or -1 with a message printed.
 */
int	init_pci(struct vmctx *ctx);
/*
 * Create one instance of `pde' (tests, built-in devices); before
 * init_pci(), which then places its BARs with the others.  PIRQ state
 * must be set up first (pci_irq_init).  0 or -1.
 */
int	pci_emul_init_devinst(struct vmctx *ctx, int bus, int slot, int func,
	    const struct pci_devemu *pde, config_node_t *nvl);
/*
 * Undo init_pci and pci_emul_init_devinst: release the ports, BARs and
 * PIRQ shares, call every model's pe_teardown and free the instances.
 * After the vCPUs stopped (bhyve's teardown, tests).
 */
void	fini_pci(void);
/* The device at bus/slot/func, or NULL. */
struct pci_devinst *pci_find_devinst(int bus, int slot, int func);
/* Start of the 32-bit MMIO window (the DSDT's _CRS). */
uint64_t pci_emul_mmio32_base(void);
/* Bit s set when bus 0 slot s holds a device (the DSDT's _PRT). */
uint32_t pci_emul_bus0_slots(void);

/*
 * A config access as the guest makes it: any offset 0-4095 and size
 * 1, 2 or 4; unaligned accesses are split into bytes.  Absent functions
 * read all-ones and ignore writes.
 */
void	pci_cfgrw(int in, int bus, int slot, int func, int reg, int bytes,
	    uint32_t *val);

/* Declare BAR idx (PCI_ROM_IDX: use pci_emul_alloc_rom); size is
 * rounded up to a power of two (16 bytes minimum for memory, 4 for I/O).
 * 0 or -1. */
int	pci_emul_alloc_bar(struct pci_devinst *pi, int idx,
	    enum pcibar_type type, uint64_t size);
/* An expansion ROM: `size' bytes copied from data (may be NULL); the
 * BAR is that size rounded up to a power of two, at least 2 KiB. */
int	pci_emul_alloc_rom(struct pci_devinst *pi, uint64_t size,
	    const void *data);

/* Apply pcireg.{vendor,device,revid,subvendor,subdevice} of nvl: hex
 * values, or "host" (the same register of the host's device at this
 * bus/slot/func, read from /sys).  0 or -1 with a message. */
int	pci_emul_apply_pcireg(struct pci_devinst *pi, config_node_t *nvl);

/* Capabilities (pci_emul_caps.c).  0 or -1. */
int	pci_emul_add_capability(struct pci_devinst *pi, const uint8_t *cap,
	    int caplen, const uint8_t *wmask);
int	pci_emul_add_msicap(struct pci_devinst *pi, int msgnum);
int	pci_emul_add_msixcap(struct pci_devinst *pi, int msgnum, int barnum);
int	pci_emul_add_pciecap(struct pci_devinst *pi, int pcie_type);

bool	pci_msi_enabled(struct pci_devinst *pi);
int	pci_msi_maxmsgnum(struct pci_devinst *pi);
void	pci_generate_msi(struct pci_devinst *pi, int msgnum);
bool	pci_msix_enabled(struct pci_devinst *pi);
void	pci_generate_msix(struct pci_devinst *pi, int index);

/* INTx (pci_irq.c): request a pin (INTA..INTD in turn per slot), and
 * drive it.  The line is level: assert/deassert track device state. */
int	pci_lintr_request(struct pci_devinst *pi);
void	pci_lintr_assert(struct pci_devinst *pi);
void	pci_lintr_deassert(struct pci_devinst *pi);

/* PIRQ router on the LPC bridge (pci_irq.c): registers 0x60-0x63 and
 * 0x68-0x6B (Intel PIIX/ICH style: bit 7 disables, bits 3:0 the IRQ). */
#define	PIRQ_NUM		8
#define	PIRQ_DIS		0x80
#define	PIRQ_IRQ		0x0f
#define	PIRQ_IOAPIC_BASE	16	/* PIRQ n -> IOAPIC pin 16 + n */
void	pci_irq_init(struct vmctx *ctx);
uint8_t	pirq_read(int pirq);
void	pirq_write(int pirq, uint8_t val);
/* ISA IRQ a PIRQ routes to, 0 if disabled. */
int	pirq_irq(int pirq);

/* Internal to the bus emulation: cap writes and INTx-disable changes. */
void	pci_emul_capwrite(struct pci_devinst *pi, int off, int bytes,
	    uint32_t val);
bool	pci_emul_in_cap(struct pci_devinst *pi, int off);
uint64_t pci_emul_msix_barread(struct pci_devinst *pi, int baridx,
	    uint64_t off, int size, bool *handled);
void	pci_emul_msix_barwrite(struct pci_devinst *pi, int baridx,
	    uint64_t off, int size, uint64_t val, bool *handled);
void	pci_lintr_update(struct pci_devinst *pi);
void	pci_lintr_release(struct pci_devinst *pi);
/*
 * Snapshot restore (pci_emul_restore, the LPC model): set the device's
 * INTx level or a router register and rebuild the PIRQ bookkeeping
 * without driving any line (the interrupt controllers' restored state
 * already has the levels).
 */
void	pci_lintr_restore(struct pci_devinst *pi, bool state);
void	pirq_restore(int pirq, uint8_t val);
/* MSI/MSI-X state (pci_emul_caps.c): the table and PBA as blobs
 * "pci.msix.table" / "pci.msix.pba"; restore checks when !apply, else
 * applies what it checked, and re-derives MSI/MSI-X enables from config
 * space.  0 or -errno. */
int	pci_emul_caps_snapshot(struct pci_devinst *pi, struct snap_rec *r);
int	pci_emul_caps_restore(struct pci_devinst *pi, struct snap_rec *r,
	    bool apply);

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
