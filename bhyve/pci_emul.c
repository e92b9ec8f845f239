/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PCI emulation registry, the -s option parser, and the bus itself:
 * config space access (mechanism #1 and ECAM), device instances, BAR
 * sizing, placement and decoding.  Capabilities are in pci_emul_caps.c,
 * INTx and the PIRQ router in pci_irq.c.
 *
 * -s [[bus:]slot[:func]],emulation[,conf] writes the node pci.B.S.F
 * (decimal, no padding) with "device" set to the model and conf parsed
 * either by the model's legacy parser or as a generic name[=value] list.
 * Messages match bhyve's, which prints them without a program prefix.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/config.h"
#include "bhyve/inout.h"
#include "bhyve/mem.h"
#include "bhyve/pci_emul.h"
#include "libvmmapi/vmmapi.h"

/*
 * The one registration point: every model -s accepts, in the order -s
 * help lists them.
 */
static const struct pci_devemu *const pci_devemu_table[] = {
	&pci_de_hostbridge,
	&pci_de_amd_hostbridge,
	&pci_de_lpc,
	&pci_de_passthru,
	&pci_de_vnet,
	&pci_de_e82545,
	&pci_de_vblk,
	&pci_de_vscsi,
	&pci_de_v9p,
	&pci_de_vrnd,
	&pci_de_vcon,
	&pci_de_vinput,
	&pci_de_ahci,
	&pci_de_ahci_hd,
	&pci_de_ahci_cd,
	&pci_de_nvme,
	&pci_de_uart,
	&pci_de_fbuf,
	&pci_de_xhci,
	&pci_de_hda,
};

#define	NDEVEMU	\
	(sizeof(pci_devemu_table) / sizeof(pci_devemu_table[0]))

const struct pci_devemu *
pci_emul_finddev(const char *name)
{
	size_t i;

	for (i = 0; i < NDEVEMU; i++) {
		if (strcmp(pci_devemu_table[i]->pe_emu, name) == 0)
			return (pci_devemu_table[i]);
	}
	return (NULL);
}

void
pci_print_supported_devices(void)
{
	size_t i;

	for (i = 0; i < NDEVEMU; i++)
		printf("%s\n", pci_devemu_table[i]->pe_emu);
}

/*
 * Decimal number from *sp, which is advanced.  -1 if there is none or it
 * has more than 9 digits (anything that long is out of range anyway).
 */
static int
parse_bsf_number(const char **sp)
{
	const char *s = *sp;
	int v, n;

	v = 0;
	for (n = 0; isdigit((unsigned char)s[n]); n++) {
		if (n == 9)
			return (-1);
		v = v * 10 + (s[n] - '0');
	}
	if (n == 0)
		return (-1);
	*sp = s + n;
	return (v);
}

/*
 * "slot", "slot:func" or "bus:slot:func", each a decimal number, nothing
 * else.  0 or -1; ranges are checked by the caller.
 */
static int
parse_bsf(const char *s, int *bus, int *slot, int *func)
{
	int v[3], n;

	for (n = 0; n < 3; n++) {
		v[n] = parse_bsf_number(&s);
		if (v[n] < 0)
			return (-1);
		if (*s == '\0')
			break;
		if (*s != ':' || n == 2)
			return (-1);
		s++;
	}
	switch (n) {
	case 0:
		*bus = 0, *slot = v[0], *func = 0;
		break;
	case 1:
		*bus = 0, *slot = v[0], *func = v[1];
		break;
	default:
		*bus = v[0], *slot = v[1], *func = v[2];
		break;
	}
	return (0);
}

/*
 * Set one option below nvl.  Dotted names create the nodes on the way;
 * a name that is already a node, or a path through a value, is refused.
 */
static int
pci_set_option(config_node_t *nvl, const char *name, const char *value)
{
	config_node_t *parent;
	const char *dot, *leaf;
	char *path;

	if (*name == '\0') {
		fprintf(stderr, "Invalid empty option name in \"%s=%s\"\n",
		    name, value);
		return (-1);
	}
	if (find_relative_config_node(nvl, name) != NULL) {
		fprintf(stderr, "Option %s names a configuration node\n",
		    name);
		return (-1);
	}
	dot = strrchr(name, '.');
	if (dot == NULL) {
		parent = nvl;
		leaf = name;
	} else {
		path = strndup(name, (size_t)(dot - name));
		if (path == NULL)
			return (-1);
		parent = create_relative_config_node(nvl, path);
		free(path);
		leaf = dot + 1;
		if (parent == NULL || *leaf == '\0') {
			fprintf(stderr, "Invalid option name %s\n", name);
			return (-1);
		}
	}
	set_config_value_node(parent, leaf, value);
	return (0);
}

int
pci_parse_legacy_config(config_node_t *nvl, const char *opts)
{
	char *copy, *str, *name, *value;
	int error;

	if (opts == NULL)
		return (0);
	copy = str = strdup(opts);
	if (copy == NULL)
		return (-1);
	error = 0;
	while (error == 0 && (name = strsep(&str, ",")) != NULL) {
		if (*name == '\0')
			continue;	/* ",," and a trailing comma */
		value = strchr(name, '=');
		if (value != NULL)
			*value++ = '\0';
		error = pci_set_option(nvl, name, value != NULL ? value :
		    "true");
	}
	free(copy);
	return (error);
}

static int
legacy_first(config_node_t *nvl, const char *opts, const char *key,
    bool plain_only)
{
	const char *comma;
	char *first;

	if (opts == NULL)
		return (0);
	comma = strchr(opts, ',');
	if (plain_only) {
		const char *eq = strchr(opts, '=');

		if (eq != NULL && (comma == NULL || eq < comma))
			return (pci_parse_legacy_config(nvl, opts));
	}
	if (comma == NULL) {
		set_config_value_node(nvl, key, opts);
		return (0);
	}
	first = strndup(opts, (size_t)(comma - opts));
	if (first == NULL)
		return (-1);
	set_config_value_node(nvl, key, first);
	free(first);
	return (pci_parse_legacy_config(nvl, comma + 1));
}

int
pci_legacy_config_first(config_node_t *nvl, const char *opts,
    const char *key)
{
	return (legacy_first(nvl, opts, key, false));
}

int
pci_legacy_config_first_if_plain(config_node_t *nvl, const char *opts,
    const char *key)
{
	return (legacy_first(nvl, opts, key, true));
}

/* Split "slot,emul[,conf]" in place; -1 without the first comma. */
static int
split_slot_arg(char *str, char **emul, char **conf)
{
	char *cp;

	cp = strchr(str, ',');
	if (cp == NULL)
		return (-1);
	*cp = '\0';
	*emul = cp + 1;
	*conf = NULL;
	cp = strchr(*emul, ',');
	if (cp != NULL) {
		*cp = '\0';
		*conf = cp + 1;
	}
	return (0);
}

static bool
bsf_in_range(int bus, int slot, int func)
{
	return (bus >= 0 && bus <= PCI_BUSMAX && slot >= 0 &&
	    slot <= PCI_SLOTMAX && func >= 0 && func <= PCI_FUNCMAX);
}

int
pci_parse_slot(const char *opt)
{
	char node_name[sizeof("pci.255.31.7")];
	const struct pci_devemu *pde;
	config_node_t *nvl;
	char *str, *emul, *conf;
	int bus, slot, func, error;

	str = strdup(opt);
	if (str == NULL)
		return (-1);
	error = -1;
	if (split_slot_arg(str, &emul, &conf) != 0 ||
	    parse_bsf(str, &bus, &slot, &func) != 0 ||
	    !bsf_in_range(bus, slot, func)) {
		fprintf(stderr, "Invalid PCI slot info field \"%s\"\n", opt);
		goto done;
	}
	pde = pci_emul_finddev(emul);
	if (pde == NULL) {
		fprintf(stderr, "pci slot %d:%d:%d: unknown device \"%s\"\n",
		    bus, slot, func, emul);
		goto done;
	}
	snprintf(node_name, sizeof(node_name), "pci.%d.%d.%d", bus, slot,
	    func);
	if (find_config_node(node_name) != NULL) {
		fprintf(stderr, "pci slot %d:%d:%d already occupied!\n", bus,
		    slot, func);
		goto done;
	}
	nvl = create_config_node(node_name);
	if (nvl == NULL)
		goto done;
	set_config_value_node(nvl, "device",
	    pde->pe_alias != NULL ? pde->pe_alias : pde->pe_emu);
	if (pde->pe_legacy_config != NULL)
		error = pde->pe_legacy_config(nvl, conf);
	else
		error = pci_parse_legacy_config(nvl, conf);
done:
	free(str);
	return (error);
}

/*
 * Start-time checks, walking pci.<bus>.<slot>.<func>.  Node names must be
 * decimal numbers without padding, as bhyve_config(5) says.
 */
struct pci_check {
	int	bus, slot;
	int	nlpc;
};

static int
parse_node_number(const char *name, int max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)name[0]) ||
	    (name[0] == '0' && name[1] != '\0'))
		return (-1);
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return (-1);
	return ((int)v);
}

static int
check_function(const char *name, config_node_t *node, void *arg)
{
	struct pci_check *pc = arg;
	const struct pci_devemu *pde;
	const char *dev;
	int func;

	func = parse_node_number(name, PCI_FUNCMAX);
	if (func < 0 || node == NULL) {
		fprintf(stderr, "Invalid PCI configuration node pci.%d.%d.%s\n",
		    pc->bus, pc->slot, name);
		return (-1);
	}
	dev = get_config_value_node(node, "device");
	if (dev == NULL) {
		fprintf(stderr, "pci slot %d:%d:%d: missing \"device\" value\n",
		    pc->bus, pc->slot, func);
		return (-1);
	}
	pde = pci_emul_finddev(dev);
	if (pde == NULL) {
		fprintf(stderr, "pci slot %d:%d:%d: unknown device \"%s\"\n",
		    pc->bus, pc->slot, func, dev);
		return (-1);
	}
	if (pde->pe_parse_only) {
		fprintf(stderr, "pci slot %d:%d:%d: device model \"%s\" is "
		    "not implemented yet\n", pc->bus, pc->slot, func, dev);
		return (-1);
	}
	if (pde == &pci_de_lpc) {
		if (pc->bus != 0) {
			fprintf(stderr,
			    "LPC bridge can be present only on bus 0.\n");
			return (-1);
		}
		if (++pc->nlpc > 1) {
			fprintf(stderr, "Only one LPC bridge is allowed.\n");
			return (-1);
		}
	}
	return (0);
}

static int
check_slot(const char *name, config_node_t *node, void *arg)
{
	struct pci_check *pc = arg;

	pc->slot = parse_node_number(name, PCI_SLOTMAX);
	if (pc->slot < 0 || node == NULL) {
		fprintf(stderr, "Invalid PCI configuration node pci.%d.%s\n",
		    pc->bus, name);
		return (-1);
	}
	return (walk_config_nodes(NULL, node, pc, check_function));
}

static int
check_bus(const char *name, config_node_t *node, void *arg)
{
	struct pci_check *pc = arg;

	pc->bus = parse_node_number(name, PCI_BUSMAX);
	if (pc->bus < 0 || node == NULL) {
		fprintf(stderr, "Invalid PCI configuration node pci.%s\n",
		    name);
		return (-1);
	}
	return (walk_config_nodes(NULL, node, pc, check_slot));
}

int
pci_emul_check_config(void)
{
	struct pci_check pc = { 0 };

	return (walk_config_nodes("pci", NULL, &pc, check_bus) != 0 ? -1 :
	    0);
}

/* ---- The bus ---- */

struct pci_bus {
	struct pci_devinst *dev[PCI_SLOTMAX + 1][PCI_FUNCMAX + 1];
};

/*
 * One PCI hierarchy per bhyve process (one VM).  `lock' serializes
 * config space accesses, which is what makes BAR moves atomic with
 * respect to each other; CONFIG_ADDRESS is shared by all vCPUs as on a
 * real chipset.
 */
static struct {
	pthread_mutex_t	lock;
	struct vmctx	*ctx;
	struct pci_bus	*bus[PCI_BUSMAX + 1];	/* (lock) */
	uint32_t	cf8;			/* (lock) */
	uint64_t	mmio32_base;
	struct inout_port cf8_port, cfc_port;
	struct mem_range ecam;
	bool		ports_registered, ecam_registered;
	uint64_t	bad_accesses;		/* odd guest accesses */
	struct snapshot_dev snap;		/* "pci": cf8 */
} pci = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct pci_devinst *
pci_find_devinst(int bus, int slot, int func)
{
	if (bus < 0 || bus > PCI_BUSMAX || slot < 0 || slot > PCI_SLOTMAX ||
	    func < 0 || func > PCI_FUNCMAX || pci.bus[bus] == NULL)
		return (NULL);
	return (pci.bus[bus]->dev[slot][func]);
}

uint64_t
pci_emul_mmio32_base(void)
{
	return (pci.mmio32_base);
}

uint32_t
pci_emul_bus0_slots(void)
{
	uint32_t slots = 0;

	if (pci.bus[0] == NULL)
		return (0);
	for (int s = 0; s <= PCI_SLOTMAX; s++)
		for (int f = 0; f <= PCI_FUNCMAX; f++)
			if (pci.bus[0]->dev[s][f] != NULL)
				slots |= 1u << s;
	return (slots);
}

/* ---- BARs: decoding ---- */

static bool
bar_is_mem(enum pcibar_type t)
{
	return (t == PCIBAR_MEM32 || t == PCIBAR_MEM64 || t == PCIBAR_ROM);
}

/* Should BAR idx decode, given the command register and ROM enable? */
static bool
bar_decodes(struct pci_devinst *pi, int idx)
{
	uint16_t cmd = pci_get_cfgdata16(pi, PCIR_COMMAND);
	struct pcibar *b = &pi->pi_bar[idx];

	switch (b->type) {
	case PCIBAR_IO:
		return ((cmd & PCIM_CMD_PORTEN) != 0);
	case PCIBAR_MEM32:
	case PCIBAR_MEM64:
		return ((cmd & PCIM_CMD_MEMEN) != 0);
	case PCIBAR_ROM:
		return ((cmd & PCIM_CMD_MEMEN) != 0 &&
		    (pci_get_cfgdata32(pi, PCIR_BIOS) & PCIM_BIOS_ENABLE) != 0);
	default:
		return (false);
	}
}

static int
bar_io_handler(struct vmctx *ctx, int in, int port, int bytes, uint32_t *eax,
    void *arg)
{
	struct pci_devinst *pi = arg;
	uint64_t off;

	(void)ctx;
	for (int i = 0; i <= PCI_BARMAX; i++) {
		struct pcibar *b = &pi->pi_bar[i];

		if (b->type != PCIBAR_IO || (uint64_t)port < b->addr ||
		    (uint64_t)port - b->addr >= b->size)
			continue;
		off = (uint64_t)port - b->addr;
		if (off + (uint64_t)bytes > b->size) {
			/* Straddles the BAR's end: defined, but ignored. */
			pci.bad_accesses++;
			break;
		}
		if (in) {
			*eax = pi->pi_d->pe_barread != NULL ?
			    (uint32_t)pi->pi_d->pe_barread(pi, i, off, bytes) :
			    0xffffffffu;
		} else if (pi->pi_d->pe_barwrite != NULL) {
			pi->pi_d->pe_barwrite(pi, i, off, bytes, *eax);
		}
		return (0);
	}
	if (in)
		*eax = 0xffffffffu;
	return (0);
}

static int
bar_mem_handler(struct vcpu *vcpu, int dir, uint64_t addr, int size,
    uint64_t *val, void *arg1, long arg2)
{
	struct pci_devinst *pi = arg1;
	int idx = (int)arg2;
	struct pcibar *b = &pi->pi_bar[idx];
	uint64_t off = addr - b->addr;
	bool handled = false;

	(void)vcpu;
	if (size < 1 || size > 8 || off + (uint64_t)size > b->size) {
		pci.bad_accesses++;
		if (dir == MEM_F_READ)
			*val = ~0ull;
		return (0);
	}
	if (b->type == PCIBAR_ROM) {
		if (dir == MEM_F_READ) {
			*val = 0;
			if (pi->pi_rom != NULL)
				memcpy(val, pi->pi_rom + off, (size_t)size);
		}
		return (0);	/* ROM: writes ignored */
	}
	if (dir == MEM_F_READ) {
		*val = pci_emul_msix_barread(pi, idx, off, size, &handled);
		if (!handled)
			*val = pi->pi_d->pe_barread != NULL ?
			    pi->pi_d->pe_barread(pi, idx, off, size) : ~0ull;
	} else {
		pci_emul_msix_barwrite(pi, idx, off, size, *val, &handled);
		if (!handled && pi->pi_d->pe_barwrite != NULL)
			pi->pi_d->pe_barwrite(pi, idx, off, size, *val);
	}
	return (0);
}

/*
 * Claim or release the range of BAR idx.  A range the guest placed over
 * something else cannot be claimed: the BAR then stays silent (counted),
 * which is what a real conflicting decode would make unusable anyway.
 */
static void
bar_set_decoding(struct pci_devinst *pi, int idx, bool on)
{
	struct pcibar *b = &pi->pi_bar[idx];
	struct inout_port iop;
	struct mem_range mr;
	int error;

	if (on == b->registered)
		return;
	memset(&iop, 0, sizeof(iop));
	memset(&mr, 0, sizeof(mr));
	if (b->type == PCIBAR_IO) {
		if (b->addr == 0 || b->addr + b->size > PCI_IOLIMIT) {
			if (on)
				pci.bad_accesses++;
			b->registered = false;
			return;
		}
		iop.name = pi->pi_name;
		iop.port = (int)b->addr;
		iop.size = (int)b->size;
		iop.flags = IOPORT_F_INOUT;
		iop.handler = bar_io_handler;
		iop.arg = pi;
		error = on ? register_inout(&iop) : unregister_inout(&iop);
	} else if (bar_is_mem(b->type)) {
		mr.name = pi->pi_name;
		mr.flags = MEM_F_RW;
		mr.handler = bar_mem_handler;
		mr.arg1 = pi;
		mr.arg2 = idx;
		mr.base = b->addr;
		mr.size = b->size;
		if (b->addr == 0 || b->addr + b->size < b->addr) {
			if (on)
				pci.bad_accesses++;
			b->registered = false;
			return;
		}
		error = on ? register_mem(&mr) : unregister_mem(&mr);
	} else {
		return;
	}
	if (on && error != 0) {
		pci.bad_accesses++;
		b->registered = false;
		return;
	}
	b->registered = on;
}

static void
bars_update_decoding(struct pci_devinst *pi)
{
	for (int i = 0; i < PCI_NUMBARS; i++)
		bar_set_decoding(pi, i, bar_decodes(pi, i));
}

/* The register value of BAR idx from its address and type bits. */
static void
bar_store(struct pci_devinst *pi, int idx)
{
	struct pcibar *b = &pi->pi_bar[idx];
	uint32_t v;

	switch (b->type) {
	case PCIBAR_IO:
		v = (uint32_t)b->addr | 0x1;	/* I/O space indicator */
		break;
	case PCIBAR_MEM32:
		v = (uint32_t)b->addr;
		break;
	case PCIBAR_MEM64:
		v = (uint32_t)b->addr | 0x4;	/* type 10b: 64-bit */
		pci_set_cfgdata32(pi, PCIR_BAR(idx + 1),
		    (uint32_t)(b->addr >> 32));
		break;
	case PCIBAR_ROM:
		v = (uint32_t)b->addr | (pci_get_cfgdata32(pi, PCIR_BIOS) &
		    PCIM_BIOS_ENABLE);
		pci_set_cfgdata32(pi, PCIR_BIOS, v);
		return;
	default:
		return;
	}
	pci_set_cfgdata32(pi, PCIR_BAR(idx), v);
}

/*
 * A guest write of a whole BAR register (PCI Local Bus 3.0 6.2.5.1):
 * address bits below the size read back as zero, so writing all-ones
 * and reading back yields the size; type bits are read-only.  Moving a
 * decoding BAR releases the old range before claiming the new one.
 */
static void
bar_write(struct pci_devinst *pi, int reg, uint32_t val)
{
	struct pcibar *b;
	uint64_t addr, mask;
	int idx;
	bool rom_en = false;

	if (reg == PCIR_BIOS) {
		idx = PCI_ROM_IDX;
	} else {
		idx = (reg - PCIR_BAR(0)) / 4;
	}
	b = &pi->pi_bar[idx];
	mask = ~(b->size - 1);
	switch (b->type) {
	case PCIBAR_IO:
		/*
		 * Bits 31:2 are address bits (PCI Local Bus 3.0 6.2.5.1),
		 * as in QEMU and as SeaBIOS sizes them: bhyve hardwires
		 * 31:16 to zero (PCI_EMUL_IOMASK), which SeaBIOS takes for
		 * a BAR of almost 4 GiB.  An address past the 64 KiB of
		 * x86 port space decodes nothing (bar_set_decoding).
		 */
		addr = val & mask & 0xfffffffcu;
		break;
	case PCIBAR_MEM32:
		addr = val & mask & 0xfffffff0u;
		break;
	case PCIBAR_MEM64:
		addr = (b->addr & ~0xffffffffull) | (val & mask & 0xfffffff0u);
		break;
	case PCIBAR_MEMHI64:
		idx--;
		b = &pi->pi_bar[idx];
		mask = ~(b->size - 1);
		addr = (((uint64_t)val << 32) & mask) |
		    (b->addr & 0xffffffffull);
		break;
	case PCIBAR_ROM:
		addr = val & mask & 0xfffff800u;
		rom_en = (val & PCIM_BIOS_ENABLE) != 0;
		break;
	default:
		/* Unimplemented BAR: hardwired to zero. */
		return;
	}
	if (b->registered)
		bar_set_decoding(pi, idx, false);
	b->addr = addr;
	if (b->type == PCIBAR_ROM)
		pci_set_cfgdata32(pi, PCIR_BIOS, rom_en ? PCIM_BIOS_ENABLE : 0);
	bar_store(pi, idx);
	bar_set_decoding(pi, idx, bar_decodes(pi, idx));
}

static uint64_t
roundup_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v && p != 0)
		p <<= 1;
	return (p);
}

int
pci_emul_alloc_bar(struct pci_devinst *pi, int idx, enum pcibar_type type,
    uint64_t size)
{
	uint64_t min, max;

	if (idx < 0 || idx > PCI_BARMAX)
		return (-1);
	switch (type) {
	case PCIBAR_IO:
		min = 4;
		max = 256;	/* PCI Local Bus 3.0 6.2.5.1 */
		break;
	case PCIBAR_MEM32:
		min = 16;
		max = 1ull << 30;
		break;
	case PCIBAR_MEM64:
		if (idx == PCI_BARMAX)
			return (-1);	/* needs the next BAR too */
		min = 16;
		max = 1ull << 38;
		break;
	default:
		return (-1);
	}
	size = roundup_pow2(size < min ? min : size);
	if (size == 0 || size > max || pi->pi_bar[idx].type != PCIBAR_NONE ||
	    (type == PCIBAR_MEM64 && pi->pi_bar[idx + 1].type != PCIBAR_NONE))
		return (-1);
	pi->pi_bar[idx].type = type;
	pi->pi_bar[idx].size = size;
	if (type == PCIBAR_MEM64) {
		pi->pi_bar[idx + 1].type = PCIBAR_MEMHI64;
		pi->pi_bar[idx + 1].size = size;
	}
	return (0);
}

int
pci_emul_alloc_rom(struct pci_devinst *pi, uint64_t size, const void *data)
{
	struct pcibar *b = &pi->pi_bar[PCI_ROM_IDX];
	uint64_t len = size;	/* bytes at data; the BAR is rounded up */

	size = roundup_pow2(size < 2048 ? 2048 : size);
	if (size == 0 || size > (16u << 20) || b->type != PCIBAR_NONE)
		return (-1);
	pi->pi_rom = calloc(1, (size_t)size);
	if (pi->pi_rom == NULL)
		return (-1);
	if (data != NULL)
		memcpy(pi->pi_rom, data, (size_t)len);
	b->type = PCIBAR_ROM;
	b->size = size;
	return (0);
}

/*
 * Placement, as firmware would do it: per space, largest BAR first, each
 * naturally aligned.  I/O from PCI_IOBASE_START, 32-bit memory and ROMs
 * from mmio32_base up to ECAM, 64-bit memory in the high window.
 */
struct bar_ref {
	struct pci_devinst *pi;
	int		idx;
};

static int
bar_ref_cmp(const void *a, const void *b)
{
	const struct bar_ref *x = a, *y = b;
	uint64_t sx = x->pi->pi_bar[x->idx].size;
	uint64_t sy = y->pi->pi_bar[y->idx].size;

	if (sx != sy)
		return (sx > sy ? -1 : 1);
	/* Stable: by position on the bus. */
	if (x->pi != y->pi)
		return (x->pi->pi_slot * 8 + x->pi->pi_func <
		    y->pi->pi_slot * 8 + y->pi->pi_func ? -1 : 1);
	return (x->idx - y->idx);
}

static int
assign_space(struct bar_ref *refs, int n, uint64_t *next, uint64_t limit,
    const char *what)
{
	qsort(refs, (size_t)n, sizeof(*refs), bar_ref_cmp);
	for (int i = 0; i < n; i++) {
		struct pcibar *b = &refs[i].pi->pi_bar[refs[i].idx];
		uint64_t a = (*next + b->size - 1) & ~(b->size - 1);

		if (a < *next || a + b->size > limit) {
			fprintf(stderr, "%s: out of PCI %s space for BAR %d "
			    "(%#jx bytes)\n", refs[i].pi->pi_name, what,
			    refs[i].idx, (uintmax_t)b->size);
			return (-1);
		}
		b->addr = a;
		*next = a + b->size;
		bar_store(refs[i].pi, refs[i].idx);
	}
	return (0);
}

static int
assign_bars(void)
{
	struct bar_ref *io, *m32, *m64;
	int nio = 0, n32 = 0, n64 = 0, error = -1;
	size_t ndev = 0;
	uint64_t next_io = PCI_IOBASE_START, next32 = pci.mmio32_base;
	uint64_t next64 = PCI_MMIO64_BASE;

	/*
	 * pc-testdev's IRQ ports sit at 0x2000 (where kvm-unit-tests expect
	 * them), the start of our I/O BAR window: leave that page to it.
	 */
	if (get_config_bool_default("lpc.pc-testdev", false))
		next_io += 0x1000;

	for (int bus = 0; bus <= PCI_BUSMAX; bus++)
		for (int s = 0; pci.bus[bus] != NULL && s <= PCI_SLOTMAX; s++)
			for (int f = 0; f <= PCI_FUNCMAX; f++)
				if (pci.bus[bus]->dev[s][f] != NULL)
					ndev++;
	io = calloc(ndev * PCI_NUMBARS + 1, sizeof(*io));
	m32 = calloc(ndev * PCI_NUMBARS + 1, sizeof(*m32));
	m64 = calloc(ndev * PCI_NUMBARS + 1, sizeof(*m64));
	if (io == NULL || m32 == NULL || m64 == NULL)
		goto done;
	for (int bus = 0; bus <= PCI_BUSMAX; bus++) {
		for (int s = 0; pci.bus[bus] != NULL && s <= PCI_SLOTMAX; s++) {
			for (int f = 0; f <= PCI_FUNCMAX; f++) {
				struct pci_devinst *pi = pci.bus[bus]->dev[s][f];

				for (int i = 0; pi != NULL && i < PCI_NUMBARS;
				    i++) {
					struct bar_ref r = { pi, i };

					switch (pi->pi_bar[i].type) {
					case PCIBAR_IO:
						io[nio++] = r;
						break;
					case PCIBAR_MEM32:
					case PCIBAR_ROM:
						m32[n32++] = r;
						break;
					case PCIBAR_MEM64:
						m64[n64++] = r;
						break;
					default:
						break;
					}
				}
			}
		}
	}
	if (assign_space(io, nio, &next_io, PCI_IOLIMIT, "I/O") == 0 &&
	    assign_space(m32, n32, &next32, PCI_MMIO32_LIMIT, "32-bit memory")
	    == 0 && assign_space(m64, n64, &next64, PCI_MMIO64_LIMIT,
	    "64-bit memory") == 0)
		error = 0;
done:
	free(io);
	free(m32);
	free(m64);
	return (error);
}

/* ---- Config space ---- */

/* Header bytes a guest may write, besides BARs/command (6.2). */
static bool
hdr_byte_writable(int off)
{
	return (off == PCIR_CACHELNSZ || off == PCIR_LATTIMER ||
	    off == PCIR_INTLINE);
}

#define	PCIM_CMD_WRITABLE	(PCIM_CMD_PORTEN | PCIM_CMD_MEMEN | \
	PCIM_CMD_BUSMASTEREN | PCIM_CMD_PERRESPEN | PCIM_CMD_SERRESPEN | \
	PCIM_CMD_INTxDIS)

static void
cmd_write(struct pci_devinst *pi, uint16_t val)
{
	uint16_t old = pci_get_cfgdata16(pi, PCIR_COMMAND);
	uint16_t cmd = (uint16_t)((old & ~PCIM_CMD_WRITABLE) |
	    (val & PCIM_CMD_WRITABLE));

	pci_set_cfgdata16(pi, PCIR_COMMAND, cmd);
	if ((old ^ cmd) & (PCIM_CMD_PORTEN | PCIM_CMD_MEMEN))
		bars_update_decoding(pi);
	if ((old ^ cmd) & PCIM_CMD_INTxDIS)
		pci_lintr_update(pi);
}

/* Generic write of bytes [off, off+bytes) within one dword. */
static void
cfg_write_generic(struct pci_devinst *pi, int off, int bytes, uint32_t val)
{
	int dw = off & ~3, sh = (off & 3) * 8;
	uint32_t m, cur;

	m = bytes == 4 ? 0xffffffffu : ((1u << (bytes * 8)) - 1) << sh;
	if ((dw >= PCIR_BAR(0) && dw <= PCIR_BAR(PCI_BARMAX)) ||
	    dw == PCIR_BIOS) {
		cur = pci_get_cfgdata32(pi, dw);
		bar_write(pi, dw, (cur & ~m) | ((val << sh) & m));
		return;
	}
	if (dw == PCIR_COMMAND) {
		/* Command is the low half; status (high half) is RW1C and
		 * has no error bits to clear here. */
		if (off < PCIR_STATUS) {
			cur = pci_get_cfgdata16(pi, PCIR_COMMAND);
			m &= 0xffff;
			cmd_write(pi, (uint16_t)((cur & ~m) |
			    ((val << sh) & m)));
		}
		return;
	}
	if (off < PCI_HDR_END) {
		for (int i = 0; i < bytes; i++)
			if (hdr_byte_writable(off + i))
				pci_set_cfgdata8(pi, off + i,
				    (uint8_t)(val >> (i * 8)));
		return;
	}
	if (pci_emul_in_cap(pi, off))
		pci_emul_capwrite(pi, off, bytes, val);
	/* Anything else in device-specific space is read-only. */
}

static uint32_t
cfg_read_generic(struct pci_devinst *pi, int off, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint32_t)pci_get_cfgdata8(pi, off + i) << (i * 8);
	/* Status: Interrupt Status mirrors the INTx input (6.2.3). */
	if (off <= PCIR_STATUS && off + bytes > PCIR_STATUS &&
	    pi->pi_lintr.state)
		v |= (uint32_t)PCIM_STATUS_INTxSTATE << ((PCIR_STATUS - off) *
		    8);
	return (v);
}

/* One naturally aligned access of 1, 2 or 4 bytes; pci.lock held. */
static void
cfg_access(int in, int bus, int slot, int func, int reg, int bytes,
    uint32_t *val)
{
	struct pci_devinst *pi = pci_find_devinst(bus, slot, func);
	uint32_t ones = bytes == 4 ? 0xffffffffu : (1u << (bytes * 8)) - 1;

	if (pi == NULL) {
		/* Master abort (PCI Local Bus 3.0 6.1): all-ones. */
		if (in)
			*val = ones;
		return;
	}
	if (reg > PCI_REGMAX) {
		/* PCIe extended space: no extended capabilities. */
		if (in)
			*val = 0;
		return;
	}
	if (in) {
		if (pi->pi_d->pe_cfgread == NULL ||
		    pi->pi_d->pe_cfgread(pi, reg, bytes, val) != 0)
			*val = cfg_read_generic(pi, reg, bytes);
		*val &= ones;
	} else {
		*val &= ones;
		if (pi->pi_d->pe_cfgwrite == NULL ||
		    pi->pi_d->pe_cfgwrite(pi, reg, bytes, *val) != 0)
			cfg_write_generic(pi, reg, bytes, *val);
	}
}

static void
pci_cfgrw_locked(int in, int bus, int slot, int func, int reg, int bytes,
    uint32_t *val)
{
	uint32_t v, b;

	if (reg < 0 || reg > 4095 || (bytes != 1 && bytes != 2 &&
	    bytes != 4) || reg + bytes > 4096) {
		pci.bad_accesses++;
		if (in)
			*val = 0xffffffffu;
		return;
	}
	if ((reg & (bytes - 1)) == 0) {
		cfg_access(in, bus, slot, func, reg, bytes, val);
		return;
	}
	/* Unaligned: byte by byte, as the bytes of the enabled lanes. */
	v = 0;
	for (int i = 0; i < bytes; i++) {
		b = (*val >> (i * 8)) & 0xff;
		cfg_access(in, bus, slot, func, reg + i, 1, &b);
		v |= (b & 0xff) << (i * 8);
	}
	if (in)
		*val = v;
}

void
pci_cfgrw(int in, int bus, int slot, int func, int reg, int bytes,
    uint32_t *val)
{
	pthread_mutex_lock(&pci.lock);
	pci_cfgrw_locked(in, bus, slot, func, reg, bytes, val);
	pthread_mutex_unlock(&pci.lock);
}

/*
 * Configuration mechanism #1 (PCI Local Bus 3.0 3.2.2.3.2).
 * CONFIG_ADDRESS at 0xCF8 is a dword register: other sizes pass through
 * as ordinary I/O, which nothing here decodes.  Bits 30:24 are reserved
 * and bits 1:0 read as zero.
 */
#define	CONF1_ADDR_PORT		0x0cf8
#define	CONF1_DATA_PORT		0x0cfc
#define	CONF1_ENABLE		0x80000000u
#define	CONF1_ADDR_MASK		0x80fffffcu

static int
pci_cf8_handler(struct vmctx *ctx, int in, int port, int bytes,
    uint32_t *eax, void *arg)
{
	(void)ctx;
	(void)port;
	(void)arg;
	if (bytes != 4) {
		if (in)
			*eax = 0xffffffffu;
		return (0);
	}
	pthread_mutex_lock(&pci.lock);
	if (in)
		*eax = pci.cf8;
	else
		pci.cf8 = *eax & CONF1_ADDR_MASK;
	pthread_mutex_unlock(&pci.lock);
	return (0);
}

static int
pci_cfc_handler(struct vmctx *ctx, int in, int port, int bytes,
    uint32_t *eax, void *arg)
{
	int off = port - CONF1_DATA_PORT, n, bus, slot, func, reg;
	uint32_t cf8, v, b;

	(void)ctx;
	(void)arg;
	pthread_mutex_lock(&pci.lock);
	cf8 = pci.cf8;
	bus = (cf8 >> 16) & 0xff;
	slot = (cf8 >> 11) & 0x1f;
	func = (cf8 >> 8) & 0x7;
	reg = (int)(cf8 & 0xfc) + off;
	/* Bytes past 0xCFF are other ports: not config data. */
	n = off + bytes > 4 ? 4 - off : bytes;
	v = in ? 0xffffffffu : *eax;
	if ((cf8 & CONF1_ENABLE) == 0) {
		/* Not a config cycle; nothing else decodes 0xCFC. */
	} else if (n == bytes) {
		pci_cfgrw_locked(in, bus, slot, func, reg, bytes, &v);
	} else {
		for (int i = 0; i < n; i++) {
			b = (*eax >> (i * 8)) & 0xff;
			pci_cfgrw_locked(in, bus, slot, func, reg + i, 1, &b);
			if (in)
				v = (v & ~(0xffu << (i * 8))) |
				    (b & 0xff) << (i * 8);
		}
	}
	pthread_mutex_unlock(&pci.lock);
	if (in)
		*eax = v;
	return (0);
}

/* ECAM (PCIe Base 4.0 7.2.2): bus << 20 | dev << 15 | fn << 12 | reg. */
static int
pci_ecam_handler(struct vcpu *vcpu, int dir, uint64_t addr, int size,
    uint64_t *val, void *arg1, long arg2)
{
	uint64_t off = addr - PCI_ECAM_BASE;
	int bus = (int)(off >> 20) & 0xff, slot = (int)(off >> 15) & 0x1f;
	int func = (int)(off >> 12) & 0x7, reg = (int)(off & 0xfff);
	uint32_t lo, hi;

	(void)vcpu;
	(void)arg1;
	(void)arg2;
	if (size == 8) {
		/* Two dword accesses, low first. */
		lo = (uint32_t)*val;
		hi = (uint32_t)(*val >> 32);
		if ((reg & 7) != 0) {
			if (dir == MEM_F_READ)
				*val = ~0ull;
			pci.bad_accesses++;
			return (0);
		}
		pci_cfgrw(dir == MEM_F_READ, bus, slot, func, reg, 4, &lo);
		pci_cfgrw(dir == MEM_F_READ, bus, slot, func, reg + 4, 4, &hi);
		if (dir == MEM_F_READ)
			*val = (uint64_t)hi << 32 | lo;
		return (0);
	}
	lo = (uint32_t)*val;
	pci_cfgrw(dir == MEM_F_READ, bus, slot, func, reg, size, &lo);
	if (dir == MEM_F_READ)
		*val = lo;
	return (0);
}

/* ---- pcireg overrides ---- */

/* Read a hex register of the host's device at the same B:S.F. */
static int
host_pcireg(const struct pci_devinst *pi, const char *file, uint32_t *v)
{
	char path[128], buf[32], *end;
	FILE *fp;
	unsigned long val;

	snprintf(path, sizeof(path),
	    "/sys/bus/pci/devices/0000:%02x:%02x.%x/%s", pi->pi_bus,
	    pi->pi_slot, pi->pi_func, file);
	fp = fopen(path, "r");
	if (fp == NULL)
		return (-1);
	if (fgets(buf, sizeof(buf), fp) == NULL) {
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	errno = 0;
	val = strtoul(buf, &end, 16);
	if (errno != 0 || end == buf)
		return (-1);
	*v = (uint32_t)val;
	return (0);
}

int
pci_emul_apply_pcireg(struct pci_devinst *pi, config_node_t *nvl)
{
	static const struct {
		const char	*key;
		const char	*sysfs;
		int		off;
		int		width;
	} regs[] = {
		{ "vendor", "vendor", PCIR_VENDOR, 2 },
		{ "device", "device", PCIR_DEVICE, 2 },
		{ "revid", "revision", PCIR_REVID, 1 },
		{ "subvendor", "subsystem_vendor", PCIR_SUBVEND_0, 2 },
		{ "subdevice", "subsystem_device", PCIR_SUBDEV_0, 2 },
	};
	config_node_t *pr;
	const char *value;
	char *end;
	unsigned long v;
	uint32_t hv;

	pr = nvl != NULL ? find_relative_config_node(nvl, "pcireg") : NULL;
	if (pr == NULL)
		return (0);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		value = get_config_value_node(pr, regs[i].key);
		if (value == NULL)
			continue;
		if (strcmp(value, "host") == 0) {
			if (host_pcireg(pi, regs[i].sysfs, &hv) != 0) {
				fprintf(stderr, "%s: pcireg.%s=host: cannot "
				    "read the host's %02x:%02x.%x from /sys\n",
				    pi->pi_name, regs[i].key, pi->pi_bus,
				    pi->pi_slot, pi->pi_func);
				return (-1);
			}
			v = hv;
		} else {
			errno = 0;
			v = strtoul(value, &end, 16);
			if (errno != 0 || end == value || *end != '\0' ||
			    v > (regs[i].width == 1 ? 0xffu : 0xffffu)) {
				fprintf(stderr, "%s: invalid pcireg.%s "
				    "\"%s\"\n", pi->pi_name, regs[i].key,
				    value);
				return (-1);
			}
		}
		if (regs[i].width == 1)
			pci_set_cfgdata8(pi, regs[i].off, (uint8_t)v);
		else
			pci_set_cfgdata16(pi, regs[i].off, (uint16_t)v);
	}
	return (0);
}

/* ---- Save and restore (snapshot.h) ---- */

/*
 * Header bits a guest can change (6.2): command, cache line size,
 * latency timer, interrupt line, and the BARs (rewritten from the
 * restored addresses anyway).  The rest, IDs included, is the model's
 * and its configuration's: a record restores only into a device whose
 * other bits are the same.
 */
static uint8_t
hdr_snap_mask(int off)
{
	if (off == PCIR_COMMAND)
		return ((uint8_t)PCIM_CMD_WRITABLE);
	if (off == PCIR_COMMAND + 1)
		return ((uint8_t)(PCIM_CMD_WRITABLE >> 8));
	if (hdr_byte_writable(off) || (off >= PCIR_BAR(0) &&
	    off < PCIR_BAR(PCI_BARMAX + 1)) || (off >= PCIR_BIOS &&
	    off < PCIR_BIOS + 4))
		return (0xff);
	return (0);
}

/* What a record holds of a function, checked, before it is applied. */
struct pci_snap_state {
	uint8_t		cfg[PCI_REGMAX + 1];
	uint64_t	addr[PCI_NUMBARS];
	bool		intx;
};

/* BARs with an address of their own (not the upper half of a 64-bit). */
static bool
bar_snapped(const struct pcibar *b)
{
	return (b->type != PCIBAR_NONE && b->type != PCIBAR_MEMHI64);
}

static void
bar_snap_name(char *buf, size_t len, int idx, const char *what)
{
	snprintf(buf, len, "pci.bar%d.%s", idx, what);
}

int
pci_emul_snapshot(struct pci_devinst *pi, struct snap_rec *r)
{
	char name[32];
	int error;

	pthread_mutex_lock(&pci.lock);
	snap_rec_set_version(r, 0);
	(void)snap_put_u64(r, "pci.version", PCI_SNAP_VERSION);
	(void)snap_put_blob(r, "pci.cfg", pi->pi_cfgdata,
	    sizeof(pi->pi_cfgdata));
	for (int i = 0; i < PCI_NUMBARS; i++) {
		const struct pcibar *b = &pi->pi_bar[i];

		if (!bar_snapped(b))
			continue;
		bar_snap_name(name, sizeof(name), i, "type");
		(void)snap_put_u64(r, name, b->type);
		bar_snap_name(name, sizeof(name), i, "size");
		(void)snap_put_u64(r, name, b->size);
		bar_snap_name(name, sizeof(name), i, "addr");
		(void)snap_put_u64(r, name, b->addr);
	}
	pthread_mutex_lock(&pi->pi_lock);
	(void)snap_put_u64(r, "pci.intx", pi->pi_lintr.state);
	pthread_mutex_unlock(&pi->pi_lock);
	error = pci_emul_caps_snapshot(pi, r);
	if (error == 0 && pi->pi_d->pe_snapshot != NULL)
		error = pi->pi_d->pe_snapshot(pi, r);
	pthread_mutex_unlock(&pci.lock);
	return (error != 0 ? error : snap_rec_status(r));
}

/* Could BAR b decode at addr: aligned, inside what its type reaches? */
static bool
bar_addr_ok(const struct pcibar *b, uint64_t addr)
{
	uint64_t limit;

	if ((addr & (b->size - 1)) != 0)
		return (false);
	switch (b->type) {
	case PCIBAR_IO:		/* 32 bits, decoding below PCI_IOLIMIT */
	case PCIBAR_MEM32:
	case PCIBAR_ROM:
		limit = 1ull << 32;
		break;
	default:
		return (addr <= ~0ull - (b->size - 1));
	}
	return (addr <= limit - b->size);
}

static int
pci_snap_check_bars(struct pci_devinst *pi, struct snap_rec *r,
    struct pci_snap_state *st)
{
	char name[32];
	uint64_t type, size;
	int error;

	for (int i = 0; i < PCI_NUMBARS; i++) {
		const struct pcibar *b = &pi->pi_bar[i];

		if (!bar_snapped(b))
			continue;
		bar_snap_name(name, sizeof(name), i, "type");
		error = snap_get_u64(r, name, &type);
		bar_snap_name(name, sizeof(name), i, "size");
		if (error == 0)
			error = snap_get_u64(r, name, &size);
		if (error == 0 && (type != (uint64_t)b->type ||
		    size != b->size))
			error = snap_fail(r, -EINVAL, "BAR %d is type %ju size "
			    "%#jx, the device's type %d size %#jx", i,
			    (uintmax_t)type, (uintmax_t)size, (int)b->type,
			    (uintmax_t)b->size);
		bar_snap_name(name, sizeof(name), i, "addr");
		if (error == 0)
			error = snap_get_u64(r, name, &st->addr[i]);
		if (error == 0 && !bar_addr_ok(b, st->addr[i]))
			error = snap_fail(r, -ERANGE, "BAR %d address %#jx "
			    "cannot hold %#jx bytes", i,
			    (uintmax_t)st->addr[i], (uintmax_t)b->size);
		if (error != 0)
			return (error);
	}
	return (0);
}

/* Only bits a guest can write differ, in the header and capabilities. */
static int
pci_snap_check_cfg(struct pci_devinst *pi, struct snap_rec *r,
    const uint8_t *cfg)
{
	for (int off = 0; off < PCI_HDR_END; off++) {
		if (((cfg[off] ^ pi->pi_cfgdata[off]) &
		    ~hdr_snap_mask(off)) != 0)
			return (snap_fail(r, -EINVAL, "config byte %#x is %#x, "
			    "the device's %#x", off, cfg[off],
			    pi->pi_cfgdata[off]));
	}
	for (int off = PCI_HDR_END; pi->pi_prevcap != 0 &&
	    off <= pi->pi_capend; off++) {
		if (((cfg[off] ^ pi->pi_cfgdata[off]) &
		    ~pi->pi_capmask[off]) != 0)
			return (snap_fail(r, -EINVAL, "capability byte %#x "
			    "is %#x, read-only bits differ from %#x", off,
			    cfg[off], pi->pi_cfgdata[off]));
	}
	return (0);
}

static int
pci_snap_check(struct pci_devinst *pi, struct snap_rec *r,
    struct pci_snap_state *st)
{
	uint64_t v;
	int error;

	error = snap_get_range(r, "pci.version", 1, PCI_SNAP_VERSION, &v);
	if (error == 0)
		error = snap_get_blob_exact(r, "pci.cfg", st->cfg,
		    sizeof(st->cfg));
	if (error == 0)
		error = pci_snap_check_cfg(pi, r, st->cfg);
	if (error == 0)
		error = pci_snap_check_bars(pi, r, st);
	if (error == 0)
		error = snap_get_bool(r, "pci.intx", &st->intx);
	if (error == 0)
		error = pci_emul_caps_restore(pi, r, false);
	return (error);
}

/* Apply a checked record: config space, BARs and their decoding, MSI-X,
 * INTx; pci.lock held. */
static void
pci_snap_apply(struct pci_devinst *pi, struct snap_rec *r,
    const struct pci_snap_state *st)
{
	for (int i = 0; i < PCI_NUMBARS; i++)
		bar_set_decoding(pi, i, false);
	memcpy(pi->pi_cfgdata, st->cfg, sizeof(pi->pi_cfgdata));
	for (int i = 0; i < PCI_NUMBARS; i++) {
		if (!bar_snapped(&pi->pi_bar[i]))
			continue;
		pi->pi_bar[i].addr = st->addr[i];
		bar_store(pi, i);
	}
	bars_update_decoding(pi);
	(void)pci_emul_caps_restore(pi, r, true);
	pci_lintr_restore(pi, st->intx);
}

int
pci_emul_restore(struct pci_devinst *pi, struct snap_rec *r)
{
	struct pci_snap_state st;
	int error;

	pthread_mutex_lock(&pci.lock);
	error = pci_snap_check(pi, r, &st);
	if (error == 0 && pi->pi_d->pe_restore != NULL)
		error = pi->pi_d->pe_restore(pi, r);
	else if (error == 0)
		error = snap_check_version(r, 0, 0);
	if (error == 0)
		pci_snap_apply(pi, r, &st);
	pthread_mutex_unlock(&pci.lock);
	return (error);
}

static int
devinst_snap_save(void *arg, struct snap_rec *r)
{
	return (pci_emul_snapshot(arg, r));
}

static int
devinst_snap_restore(void *arg, struct snap_rec *r)
{
	return (pci_emul_restore(arg, r));
}

/* The bus itself: CONFIG_ADDRESS, which a guest may have set and not
 * used yet.  Record "pcibus" version 1. */
#define	PCI_BUS_SNAP_VERSION	1

static int
pci_bus_snap_save(void *arg, struct snap_rec *r)
{
	(void)arg;
	pthread_mutex_lock(&pci.lock);
	snap_rec_set_version(r, PCI_BUS_SNAP_VERSION);
	(void)snap_put_u64(r, "cf8", pci.cf8);
	pthread_mutex_unlock(&pci.lock);
	return (snap_rec_status(r));
}

static int
pci_bus_snap_restore(void *arg, struct snap_rec *r)
{
	uint64_t cf8;
	int error;

	(void)arg;
	error = snap_check_version(r, 1, PCI_BUS_SNAP_VERSION);
	if (error == 0)
		error = snap_get_range(r, "cf8", 0, UINT32_MAX, &cf8);
	if (error == 0 && (cf8 & ~(uint64_t)CONF1_ADDR_MASK) != 0)
		error = snap_fail(r, -EINVAL, "cf8 = %#jx has reserved bits "
		    "set", (uintmax_t)cf8);
	if (error != 0)
		return (error);
	pthread_mutex_lock(&pci.lock);
	pci.cf8 = (uint32_t)cf8;
	pthread_mutex_unlock(&pci.lock);
	return (0);
}

/* ---- Instances ---- */

static void
devinst_free(struct pci_devinst *pi)
{
	snapshot_unregister(&pi->pi_snap);
	for (int i = 0; i < PCI_NUMBARS; i++)
		bar_set_decoding(pi, i, false);
	/* The model first: its threads may still raise INTx until then. */
	if (pi->pi_d->pe_teardown != NULL)
		pi->pi_d->pe_teardown(pi);
	pci_lintr_release(pi);
	free(pi->pi_msix.table);
	free(pi->pi_msix.pba);
	free(pi->pi_rom);
	pthread_mutex_destroy(&pi->pi_lock);
	free(pi);
}

int
pci_emul_init_devinst(struct vmctx *ctx, int bus, int slot, int func,
    const struct pci_devemu *pde, config_node_t *nvl)
{
	struct pci_devinst *pi;

	if (pci_find_devinst(bus, slot, func) != NULL || bus < 0 ||
	    bus > PCI_BUSMAX || slot < 0 || slot > PCI_SLOTMAX || func < 0 ||
	    func > PCI_FUNCMAX || pde->pe_init == NULL)
		return (-1);
	if (pci.bus[bus] == NULL) {
		pci.bus[bus] = calloc(1, sizeof(*pci.bus[bus]));
		if (pci.bus[bus] == NULL)
			return (-1);
	}
	pi = calloc(1, sizeof(*pi));
	if (pi == NULL)
		return (-1);
	pthread_mutex_init(&pi->pi_lock, NULL);
	pi->pi_d = pde;
	pi->pi_vmctx = ctx;
	pi->pi_bus = (uint8_t)bus;
	pi->pi_slot = (uint8_t)slot;
	pi->pi_func = (uint8_t)func;
	snprintf(pi->pi_name, sizeof(pi->pi_name), "%s-pci-%d:%d:%d",
	    pde->pe_emu, bus, slot, func);
	pi->pi_lintr.link = -1;
	pi->pi_msix.table_bar = pi->pi_msix.pba_bar = -1;
	/* Header type 0; a capability list is linked in by add_cap. */
	pci_set_cfgdata8(pi, PCIR_HDRTYPE, 0);
	pci_set_cfgdata8(pi, PCIR_INTLINE, 0xff);	/* unknown (6.2.4) */
	pci.bus[bus]->dev[slot][func] = pi;
	if (pde->pe_init(pi, nvl) != 0) {
		fprintf(stderr, "pci slot %d:%d:%d: %s initialization "
		    "failed\n", bus, slot, func, pde->pe_emu);
		pci.bus[bus]->dev[slot][func] = NULL;
		devinst_free(pi);
		return (-1);
	}
	snprintf(pi->pi_snap.id, sizeof(pi->pi_snap.id), "pci.%d.%d.%d", bus,
	    slot, func);
	pi->pi_snap.dev = pde->pe_emu;
	pi->pi_snap.save = devinst_snap_save;
	pi->pi_snap.restore = devinst_snap_restore;
	pi->pi_snap.arg = pi;
	if (snapshot_register(&pi->pi_snap) != 0) {
		fprintf(stderr, "pci slot %d:%d:%d: cannot register for "
		    "snapshots\n", bus, slot, func);
		pci.bus[bus]->dev[slot][func] = NULL;
		devinst_free(pi);
		return (-1);
	}
	return (0);
}

static int
pci_create_devinst(struct vmctx *ctx, int bus, int slot, int func,
    config_node_t *nvl)
{
	const struct pci_devemu *pde;
	const char *dev;

	dev = get_config_value_node(nvl, "device");
	pde = dev != NULL ? pci_emul_finddev(dev) : NULL;
	if (pde == NULL || pde->pe_init == NULL) {
		fprintf(stderr, "pci slot %d:%d:%d: device \"%s\" cannot be "
		    "created\n", bus, slot, func, dev != NULL ? dev : "");
		return (-1);
	}
	return (pci_emul_init_devinst(ctx, bus, slot, func, pde, nvl));
}

/* Walk pci.B.S.F in numeric order (nodes were checked at startup). */
static int
create_all(struct vmctx *ctx)
{
	char path[sizeof("pci.255.31.7")];
	config_node_t *nvl;

	for (int bus = 0; bus <= PCI_BUSMAX; bus++) {
		snprintf(path, sizeof(path), "pci.%d", bus);
		if (find_config_node(path) == NULL)
			continue;
		for (int slot = 0; slot <= PCI_SLOTMAX; slot++) {
			snprintf(path, sizeof(path), "pci.%d.%d", bus, slot);
			if (find_config_node(path) == NULL)
				continue;
			for (int func = 0; func <= PCI_FUNCMAX; func++) {
				snprintf(path, sizeof(path), "pci.%d.%d.%d",
				    bus, slot, func);
				nvl = find_config_node(path);
				if (nvl != NULL && pci_create_devinst(ctx, bus,
				    slot, func, nvl) != 0)
					return (-1);
			}
		}
	}
	return (0);
}

/* Multi-function devices say so in every function's header type. */
static void
mark_multifunction(void)
{
	for (int bus = 0; bus <= PCI_BUSMAX; bus++) {
		for (int s = 0; pci.bus[bus] != NULL && s <= PCI_SLOTMAX; s++) {
			int n = 0;

			for (int f = 0; f <= PCI_FUNCMAX; f++)
				n += pci.bus[bus]->dev[s][f] != NULL;
			for (int f = 0; n > 1 && f <= PCI_FUNCMAX; f++) {
				struct pci_devinst *pi = pci.bus[bus]->dev[s][f];

				if (pi != NULL)
					pci_set_cfgdata8(pi, PCIR_HDRTYPE,
					    pci_get_cfgdata8(pi, PCIR_HDRTYPE) |
					    PCIM_MFDEV);
			}
		}
	}
}

/* Enable decoding of what was assigned, as firmware leaves it. */
static void
enable_decoding(void)
{
	for (int bus = 0; bus <= PCI_BUSMAX; bus++) {
		for (int s = 0; pci.bus[bus] != NULL && s <= PCI_SLOTMAX; s++) {
			for (int f = 0; f <= PCI_FUNCMAX; f++) {
				struct pci_devinst *pi = pci.bus[bus]->dev[s][f];
				uint16_t cmd;

				if (pi == NULL)
					continue;
				cmd = pci_get_cfgdata16(pi, PCIR_COMMAND);
				for (int i = 0; i <= PCI_BARMAX; i++) {
					if (pi->pi_bar[i].type == PCIBAR_IO)
						cmd |= PCIM_CMD_PORTEN;
					else if (bar_is_mem(pi->pi_bar[i].type))
						cmd |= PCIM_CMD_MEMEN;
				}
				pci_set_cfgdata16(pi, PCIR_COMMAND, cmd);
				bars_update_decoding(pi);
			}
		}
	}
}

void
fini_pci(void)
{
	struct pci_bus *bus[PCI_BUSMAX + 1];

	snapshot_unregister(&pci.snap);
	pthread_mutex_lock(&pci.lock);
	if (pci.ports_registered) {
		(void)unregister_inout(&pci.cf8_port);
		(void)unregister_inout(&pci.cfc_port);
		pci.ports_registered = false;
	}
	memcpy(bus, pci.bus, sizeof(bus));
	memset(pci.bus, 0, sizeof(pci.bus));
	pci.cf8 = 0;
	pthread_mutex_unlock(&pci.lock);
	/*
	 * Free the detached tree without pci.lock: the snapshot registry's
	 * lock comes before it, and models' teardown stops their threads.
	 */
	for (int b = 0; b <= PCI_BUSMAX; b++) {
		for (int s = 0; bus[b] != NULL && s <= PCI_SLOTMAX; s++)
			for (int f = 0; f <= PCI_FUNCMAX; f++)
				if (bus[b]->dev[s][f] != NULL)
					devinst_free(bus[b]->dev[s][f]);
		free(bus[b]);
	}
	/* ECAM is immutable in the MMIO table: it stays until init_mem. */
}

int
init_pci(struct vmctx *ctx)
{
	pci.ctx = ctx;
	pci.cf8 = 0;
	pci.mmio32_base = vm_get_lowmem_limit(ctx);
	/* Unless instances were created already (tests), reset PIRQs. */
	if (pci_emul_bus0_slots() == 0)
		pci_irq_init(ctx);
	if (create_all(ctx) != 0 || assign_bars() != 0)
		return (-1);
	mark_multifunction();
	enable_decoding();

	pci.cf8_port = (struct inout_port){ "pci_cf8", CONF1_ADDR_PORT, 1,
	    IOPORT_F_INOUT, pci_cf8_handler, NULL };
	pci.cfc_port = (struct inout_port){ "pci_cfc", CONF1_DATA_PORT, 4,
	    IOPORT_F_INOUT, pci_cfc_handler, NULL };
	if (register_inout(&pci.cf8_port) != 0 ||
	    register_inout(&pci.cfc_port) != 0) {
		perror("pci: cannot claim ports 0xcf8/0xcfc");
		return (-1);
	}
	pci.ports_registered = true;
	snapshot_unregister(&pci.snap);		/* init_pci twice (tests) */
	pci.snap = (struct snapshot_dev){ .id = "pci", .dev = "pcibus",
	    .save = pci_bus_snap_save, .restore = pci_bus_snap_restore };
	if (snapshot_register(&pci.snap) != 0) {
		fprintf(stderr, "pci: cannot register for snapshots\n");
		return (-1);
	}
	/*
	 * Immutable: its handler runs without the MMIO table lock, since a
	 * config write may move BARs, i.e. change the table.
	 */
	pci.ecam = (struct mem_range){ .name = "pci_ecam",
	    .flags = MEM_F_RW | MEM_F_IMMUTABLE, .handler = pci_ecam_handler,
	    .base = PCI_ECAM_BASE, .size = PCI_ECAM_SIZE };
	if (register_mem(&pci.ecam) != 0) {
		perror("pci: cannot claim ECAM");
		return (-1);
	}
	return (0);
}
