/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI capabilities for device models: the capability list (PCI Local
 * Bus 3.0 6.7), MSI and MSI-X (6.8.1, 6.8.2), and the PCI Express
 * capability (PCIe Base 4.0 7.5.3).
 *
 * Every capability carries a per-byte write mask (pi_capmask): guest
 * writes change only the writable bits, so IDs, next pointers, table
 * sizes and offsets stay read-only.  MSI and MSI-X state is mirrored
 * into pi_msi / pi_msix under pi_lock after each write, which is what
 * the delivery paths (any thread) read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/le_bytes.h"
#include "bhyve/pci_emul.h"
#include "libvmmapi/vmmapi.h"

#define	CAP_START		0x40

/* MSI capability (6.8.1.1-6.8.1.6), 64-bit address form. */
#define	MSI_CTRL		2
#define	MSI_ADDR_LO		4
#define	MSI_ADDR_HI		8
#define	MSI_DATA		12
#define	MSI_CAPLEN		14
#define	PCIM_MSICTRL_MSI_ENABLE	0x0001
#define	PCIM_MSICTRL_MMC_MASK	0x000e
#define	PCIM_MSICTRL_MME_MASK	0x0070
#define	PCIM_MSICTRL_64BIT	0x0080

/* MSI-X capability (6.8.2.1-6.8.2.5). */
#define	MSIX_CTRL		2
#define	MSIX_TABLE		4
#define	MSIX_PBA		8
#define	MSIX_CAPLEN		12
#define	PCIM_MSIXCTRL_TABLE_SIZE 0x07ff
#define	PCIM_MSIXCTRL_FUNC_MASK	0x4000
#define	PCIM_MSIXCTRL_ENABLE	0x8000
#define	MSIX_MAX_VECTORS	2048
#define	MSIX_PAGE		4096

/* PCI Express capability, version 2 (PCIe Base 4.0 7.5.3). */
#define	PCIE_CAPLEN		0x3c
#define	PCIER_FLAGS		0x02
#define	PCIER_DEVICE_CTL	0x08
#define	PCIER_LINK_CAP		0x0c
#define	PCIER_LINK_CTL		0x10
#define	PCIER_LINK_STA		0x12
#define	PCIER_ROOT_CTL		0x1c
#define	PCIER_DEVICE_CTL2	0x28
#define	PCIER_LINK_CTL2		0x30

int
pci_emul_add_capability(struct pci_devinst *pi, const uint8_t *cap,
    int caplen, const uint8_t *wmask)
{
	int off;

	if (caplen < 2)
		return (-1);
	off = pi->pi_prevcap == 0 ? CAP_START : (pi->pi_capend + 1 + 3) & ~3;
	if (off + caplen > PCI_REGMAX + 1)
		return (-1);
	memcpy(&pi->pi_cfgdata[off], cap, (size_t)caplen);
	pi->pi_cfgdata[off + 1] = 0;		/* end of list for now */
	if (wmask != NULL)
		memcpy(&pi->pi_capmask[off], wmask, (size_t)caplen);
	pi->pi_capmask[off] = pi->pi_capmask[off + 1] = 0;
	if (pi->pi_prevcap == 0) {
		pci_set_cfgdata8(pi, PCIR_CAP_PTR, (uint8_t)off);
		pci_set_cfgdata16(pi, PCIR_STATUS,
		    pci_get_cfgdata16(pi, PCIR_STATUS) |
		    PCIM_STATUS_CAPPRESENT);
	} else {
		pci_set_cfgdata8(pi, pi->pi_prevcap + 1, (uint8_t)off);
	}
	pi->pi_prevcap = off;
	pi->pi_capend = off + caplen - 1;
	return (0);
}

bool
pci_emul_in_cap(struct pci_devinst *pi, int off)
{
	return (pi->pi_prevcap != 0 && off >= CAP_START &&
	    off <= pi->pi_capend);
}

/* The capability holding config offset `off': its offset, or -1. */
static int
cap_at(struct pci_devinst *pi, int off, int *id)
{
	int cap, next, n;

	cap = pci_get_cfgdata8(pi, PCIR_CAP_PTR);
	/* Bounded walk: at most 48 capabilities fit in 192 bytes. */
	for (n = 0; cap >= CAP_START && n < 48; n++) {
		next = pci_get_cfgdata8(pi, cap + 1);
		if (off >= cap && (next == 0 ? off <= pi->pi_capend :
		    off < next)) {
			*id = pci_get_cfgdata8(pi, cap);
			return (cap);
		}
		cap = next;
	}
	return (-1);
}

int
pci_emul_add_msicap(struct pci_devinst *pi, int msgnum)
{
	uint8_t cap[MSI_CAPLEN], mask[MSI_CAPLEN];
	int mmc;

	if (msgnum < 1 || msgnum > 32)
		return (-1);
	for (mmc = 0; (1 << mmc) < msgnum; mmc++)
		;
	memset(cap, 0, sizeof(cap));
	memset(mask, 0, sizeof(mask));
	cap[0] = PCIY_MSI;
	cap[MSI_CTRL] = (uint8_t)(PCIM_MSICTRL_64BIT | mmc << 1);
	mask[MSI_CTRL] = PCIM_MSICTRL_MSI_ENABLE | PCIM_MSICTRL_MME_MASK;
	/* Address is dword aligned: bits 1:0 read as zero. */
	mask[MSI_ADDR_LO] = 0xfc;
	memset(&mask[MSI_ADDR_LO + 1], 0xff, 3 + 4);
	mask[MSI_DATA] = mask[MSI_DATA + 1] = 0xff;
	pi->pi_msi.capoff = pi->pi_prevcap == 0 ? CAP_START :
	    (pi->pi_capend + 1 + 3) & ~3;
	if (pci_emul_add_capability(pi, cap, MSI_CAPLEN, mask) != 0) {
		pi->pi_msi.capoff = 0;
		return (-1);
	}
	return (0);
}

int
pci_emul_add_msixcap(struct pci_devinst *pi, int msgnum, int barnum)
{
	uint8_t cap[MSIX_CAPLEN], mask[MSIX_CAPLEN];
	uint32_t tabsize, pbasize, pbaoff;
	int capoff;

	if (msgnum < 1 || msgnum > MSIX_MAX_VECTORS || barnum < 0 ||
	    barnum > PCI_BARMAX)
		return (-1);
	tabsize = (uint32_t)msgnum * MSIX_TABLE_ENTRY_SIZE;
	/* PBA: one bit per vector, in qwords (6.8.2.5). */
	pbasize = (uint32_t)((msgnum + 63) / 64) * 8;
	pbaoff = (tabsize + MSIX_PAGE - 1) & ~(uint32_t)(MSIX_PAGE - 1);
	if (pci_emul_alloc_bar(pi, barnum, PCIBAR_MEM32, pbaoff +
	    ((pbasize + MSIX_PAGE - 1) & ~(uint32_t)(MSIX_PAGE - 1))) != 0)
		return (-1);
	memset(cap, 0, sizeof(cap));
	memset(mask, 0, sizeof(mask));
	cap[0] = PCIY_MSIX;
	cap[MSIX_CTRL] = (uint8_t)(msgnum - 1);
	cap[MSIX_CTRL + 1] = (uint8_t)((msgnum - 1) >> 8);
	mask[MSIX_CTRL + 1] = (PCIM_MSIXCTRL_FUNC_MASK |
	    PCIM_MSIXCTRL_ENABLE) >> 8;
	cap[MSIX_TABLE] = (uint8_t)barnum;		/* offset 0, BIR */
	cap[MSIX_PBA] = (uint8_t)(pbaoff | (uint32_t)barnum);
	cap[MSIX_PBA + 1] = (uint8_t)(pbaoff >> 8);
	cap[MSIX_PBA + 2] = (uint8_t)(pbaoff >> 16);
	capoff = pi->pi_prevcap == 0 ? CAP_START :
	    (pi->pi_capend + 1 + 3) & ~3;
	pi->pi_msix.table = calloc((size_t)msgnum, sizeof(*pi->pi_msix.table));
	pi->pi_msix.pba = calloc(pbasize / 8, sizeof(uint64_t));
	if (pi->pi_msix.table == NULL || pi->pi_msix.pba == NULL ||
	    pci_emul_add_capability(pi, cap, MSIX_CAPLEN, mask) != 0) {
		free(pi->pi_msix.table);
		free(pi->pi_msix.pba);
		pi->pi_msix.table = NULL;
		pi->pi_msix.pba = NULL;
		return (-1);
	}
	/* Every vector is masked after reset (6.8.2.9). */
	for (int i = 0; i < msgnum; i++)
		pi->pi_msix.table[i].vector_control = PCIM_MSIX_VCTRL_MASK;
	pi->pi_msix.capoff = capoff;
	pi->pi_msix.table_bar = barnum;
	pi->pi_msix.pba_bar = barnum;
	pi->pi_msix.table_offset = 0;
	pi->pi_msix.pba_offset = pbaoff;
	pi->pi_msix.table_count = msgnum;
	pi->pi_msix.pba_size = pbasize;
	return (0);
}

int
pci_emul_add_pciecap(struct pci_devinst *pi, int pcie_type)
{
	uint8_t cap[PCIE_CAPLEN], mask[PCIE_CAPLEN];

	memset(cap, 0, sizeof(cap));
	memset(mask, 0, sizeof(mask));
	cap[0] = PCIY_EXPRESS;
	cap[PCIER_FLAGS] = (uint8_t)(2 | (pcie_type & 0xf) << 4);
	/* Link: 2.5 GT/s, x1, as a virtual link reports (7.5.3.6). */
	cap[PCIER_LINK_CAP] = 0x11;
	cap[PCIER_LINK_STA] = 0x11;
	mask[PCIER_DEVICE_CTL] = 0xff;
	mask[PCIER_DEVICE_CTL + 1] = 0x7f;
	mask[PCIER_LINK_CTL] = 0xfb;
	mask[PCIER_LINK_CTL + 1] = 0x0f;
	if (pcie_type == PCIEM_TYPE_ROOT_PORT)
		mask[PCIER_ROOT_CTL] = 0x1f;
	mask[PCIER_DEVICE_CTL2] = 0xff;
	mask[PCIER_DEVICE_CTL2 + 1] = 0xff;
	mask[PCIER_LINK_CTL2] = 0xff;
	mask[PCIER_LINK_CTL2 + 1] = 0xff;
	return (pci_emul_add_capability(pi, cap, PCIE_CAPLEN, mask));
}

/* ---- MSI ---- */

static bool
bus_master(struct pci_devinst *pi)
{
	return ((pci_get_cfgdata16(pi, PCIR_COMMAND) &
	    PCIM_CMD_BUSMASTEREN) != 0);
}

/* Mirror the MSI registers into pi_msi; pi_lock held. */
static void
msi_update(struct pci_devinst *pi)
{
	int c = pi->pi_msi.capoff;
	uint16_t ctrl = pci_get_cfgdata16(pi, c + MSI_CTRL);
	int mmc = (ctrl & PCIM_MSICTRL_MMC_MASK) >> 1;
	int mme = (ctrl & PCIM_MSICTRL_MME_MASK) >> 4;

	/* More messages than capable is undefined (6.8.1.3): clamp. */
	if (mme > mmc) {
		mme = mmc;
		ctrl = (uint16_t)((ctrl & ~PCIM_MSICTRL_MME_MASK) | mme << 4);
		pci_set_cfgdata16(pi, c + MSI_CTRL, ctrl);
	}
	pi->pi_msi.enabled = (ctrl & PCIM_MSICTRL_MSI_ENABLE) != 0;
	pi->pi_msi.maxmsgnum = 1 << mme;
	pi->pi_msi.addr = pci_get_cfgdata32(pi, c + MSI_ADDR_LO) |
	    (uint64_t)pci_get_cfgdata32(pi, c + MSI_ADDR_HI) << 32;
	pi->pi_msi.data = pci_get_cfgdata16(pi, c + MSI_DATA);
}

bool
pci_msi_enabled(struct pci_devinst *pi)
{
	bool on;

	pthread_mutex_lock(&pi->pi_lock);
	on = pi->pi_msi.enabled;
	pthread_mutex_unlock(&pi->pi_lock);
	return (on);
}

int
pci_msi_maxmsgnum(struct pci_devinst *pi)
{
	int n;

	pthread_mutex_lock(&pi->pi_lock);
	n = pi->pi_msi.enabled ? pi->pi_msi.maxmsgnum : 0;
	pthread_mutex_unlock(&pi->pi_lock);
	return (n);
}

/*
 * Message `msgnum' of a multiple-message MSI: the low bits of the data
 * carry the message number (6.8.1.6).  An MSI is a memory write, so it
 * needs Bus Master Enable.
 */
void
pci_generate_msi(struct pci_devinst *pi, int msgnum)
{
	uint64_t addr = 0, data = 0;
	bool send = false;

	pthread_mutex_lock(&pi->pi_lock);
	if (pi->pi_msi.enabled && msgnum >= 0 &&
	    msgnum < pi->pi_msi.maxmsgnum && bus_master(pi)) {
		addr = pi->pi_msi.addr;
		data = (pi->pi_msi.data & ~(uint32_t)(pi->pi_msi.maxmsgnum - 1))
		    | (uint32_t)msgnum;
		send = true;
	}
	pthread_mutex_unlock(&pi->pi_lock);
	if (send)
		(void)vm_lapic_msi(pi->pi_vmctx, addr, data);
}

/* ---- MSI-X ---- */

bool
pci_msix_enabled(struct pci_devinst *pi)
{
	bool on;

	pthread_mutex_lock(&pi->pi_lock);
	on = pi->pi_msix.enabled;
	pthread_mutex_unlock(&pi->pi_lock);
	return (on);
}

static bool
pba_test_clear(struct pci_devinst *pi, int i, bool clear)
{
	uint64_t bit = 1ull << (i % 64);
	bool was = (pi->pi_msix.pba[i / 64] & bit) != 0;

	if (clear)
		pi->pi_msix.pba[i / 64] &= ~bit;
	return (was);
}

/*
 * Send vector i if it can be sent now, else leave it pending in the PBA
 * (6.8.2.9: masked vectors set their pending bit).  pi_lock held; the
 * message is returned for sending after the lock is dropped.
 */
static bool
msix_fire_locked(struct pci_devinst *pi, int i, uint64_t *addr,
    uint64_t *data)
{
	struct msix_table_entry *e = &pi->pi_msix.table[i];

	if (pi->pi_msix.function_mask ||
	    (e->vector_control & PCIM_MSIX_VCTRL_MASK) != 0) {
		pi->pi_msix.pba[i / 64] |= 1ull << (i % 64);
		return (false);
	}
	(void)pba_test_clear(pi, i, true);
	if (!bus_master(pi))
		return (false);
	*addr = e->addr;
	*data = e->msg_data;
	return (true);
}

void
pci_generate_msix(struct pci_devinst *pi, int index)
{
	uint64_t addr, data;
	bool send = false;

	pthread_mutex_lock(&pi->pi_lock);
	if (pi->pi_msix.enabled && index >= 0 &&
	    index < pi->pi_msix.table_count)
		send = msix_fire_locked(pi, index, &addr, &data);
	pthread_mutex_unlock(&pi->pi_lock);
	if (send)
		(void)vm_lapic_msi(pi->pi_vmctx, addr, data);
}

/* Deliver what became unmasked (pending bits); pi_lock not held. */
static void
msix_flush_pending(struct pci_devinst *pi, int first, int last)
{
	uint64_t addr, data;
	bool send;

	for (int i = first; i <= last; i++) {
		pthread_mutex_lock(&pi->pi_lock);
		send = pi->pi_msix.enabled && i < pi->pi_msix.table_count &&
		    pba_test_clear(pi, i, false) &&
		    msix_fire_locked(pi, i, &addr, &data);
		pthread_mutex_unlock(&pi->pi_lock);
		if (send)
			(void)vm_lapic_msi(pi->pi_vmctx, addr, data);
	}
}

static void
msix_entry_bytes(const struct msix_table_entry *e, uint8_t b[16])
{
	uint32_t w[4] = { (uint32_t)e->addr, (uint32_t)(e->addr >> 32),
	    e->msg_data, e->vector_control };

	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)(w[i / 4] >> ((i % 4) * 8));
}

static void
msix_entry_set(struct msix_table_entry *e, const uint8_t b[16])
{
	uint32_t w[4] = { 0 };

	for (int i = 0; i < 16; i++)
		w[i / 4] |= (uint32_t)b[i] << ((i % 4) * 8);
	e->addr = w[0] | (uint64_t)w[1] << 32;
	e->msg_data = w[2];
	/* Only the mask bit is defined (6.8.2.9); the rest reads 0. */
	e->vector_control = w[3] & PCIM_MSIX_VCTRL_MASK;
}

/* Is [off, off+size) a legal table/PBA access: dword or qword, aligned. */
static bool
msix_access_ok(uint64_t off, int size)
{
	return ((size == 4 || size == 8) && (off & (uint64_t)(size - 1)) == 0);
}

uint64_t
pci_emul_msix_barread(struct pci_devinst *pi, int baridx, uint64_t off,
    int size, bool *handled)
{
	uint64_t v = 0, tab_end, pba_end;
	uint8_t b[16];

	*handled = false;
	if (pi->pi_msix.table == NULL || baridx != pi->pi_msix.table_bar)
		return (0);
	tab_end = pi->pi_msix.table_offset +
	    (uint64_t)pi->pi_msix.table_count * MSIX_TABLE_ENTRY_SIZE;
	pba_end = pi->pi_msix.pba_offset + pi->pi_msix.pba_size;
	if (off >= pi->pi_msix.table_offset && off < tab_end) {
		*handled = true;
		if (!msix_access_ok(off, size))
			return (~0ull);
		off -= pi->pi_msix.table_offset;
		pthread_mutex_lock(&pi->pi_lock);
		msix_entry_bytes(&pi->pi_msix.table[off / 16], b);
		pthread_mutex_unlock(&pi->pi_lock);
		memcpy(&v, &b[off % 16], (size_t)size);
		return (v);
	}
	if (off >= pi->pi_msix.pba_offset && off < pba_end) {
		*handled = true;
		if (!msix_access_ok(off, size))
			return (~0ull);
		off -= pi->pi_msix.pba_offset;
		pthread_mutex_lock(&pi->pi_lock);
		v = pi->pi_msix.pba[off / 8];
		pthread_mutex_unlock(&pi->pi_lock);
		if (size == 4)
			v = (v >> ((off % 8) * 8)) & 0xffffffffu;
		return (v);
	}
	return (0);
}

void
pci_emul_msix_barwrite(struct pci_devinst *pi, int baridx, uint64_t off,
    int size, uint64_t val, bool *handled)
{
	uint64_t tab_end, pba_end;
	uint8_t b[16];
	int idx;
	bool unmasked;

	*handled = false;
	if (pi->pi_msix.table == NULL || baridx != pi->pi_msix.table_bar)
		return;
	tab_end = pi->pi_msix.table_offset +
	    (uint64_t)pi->pi_msix.table_count * MSIX_TABLE_ENTRY_SIZE;
	pba_end = pi->pi_msix.pba_offset + pi->pi_msix.pba_size;
	if (off >= pi->pi_msix.pba_offset && off < pba_end) {
		*handled = true;		/* PBA is read-only */
		return;
	}
	if (off < pi->pi_msix.table_offset || off >= tab_end)
		return;
	*handled = true;
	if (!msix_access_ok(off, size))
		return;
	off -= pi->pi_msix.table_offset;
	idx = (int)(off / 16);
	pthread_mutex_lock(&pi->pi_lock);
	msix_entry_bytes(&pi->pi_msix.table[idx], b);
	unmasked = (b[12] & PCIM_MSIX_VCTRL_MASK) != 0;
	memcpy(&b[off % 16], &val, (size_t)size);
	msix_entry_set(&pi->pi_msix.table[idx], b);
	unmasked = unmasked && (pi->pi_msix.table[idx].vector_control &
	    PCIM_MSIX_VCTRL_MASK) == 0;
	pthread_mutex_unlock(&pi->pi_lock);
	if (unmasked)
		msix_flush_pending(pi, idx, idx);
}

/* ---- Guest writes to capabilities ---- */

void
pci_emul_capwrite(struct pci_devinst *pi, int off, int bytes, uint32_t val)
{
	int cap, id = 0;
	bool msix_on = false;

	cap = cap_at(pi, off, &id);
	if (cap < 0)
		return;
	for (int i = 0; i < bytes; i++) {
		int o = off + i;
		uint8_t m = pi->pi_capmask[o], old = pci_get_cfgdata8(pi, o);

		if (o > pi->pi_capend)
			break;
		pci_set_cfgdata8(pi, o, (uint8_t)((old & ~m) |
		    ((val >> (i * 8)) & m)));
	}
	pthread_mutex_lock(&pi->pi_lock);
	if (id == PCIY_MSI && cap == pi->pi_msi.capoff) {
		msi_update(pi);
	} else if (id == PCIY_MSIX && cap == pi->pi_msix.capoff) {
		uint16_t ctrl = pci_get_cfgdata16(pi, cap + MSIX_CTRL);
		bool was = pi->pi_msix.enabled && !pi->pi_msix.function_mask;

		pi->pi_msix.enabled = (ctrl & PCIM_MSIXCTRL_ENABLE) != 0;
		pi->pi_msix.function_mask =
		    (ctrl & PCIM_MSIXCTRL_FUNC_MASK) != 0;
		msix_on = !was && pi->pi_msix.enabled &&
		    !pi->pi_msix.function_mask;
	}
	pthread_mutex_unlock(&pi->pi_lock);
	if (msix_on)
		msix_flush_pending(pi, 0, pi->pi_msix.table_count - 1);
	/* MSI or MSI-X enable turns INTx off (6.8.1.3, 6.8.2.3). */
	if (id == PCIY_MSI || id == PCIY_MSIX)
		pci_lintr_update(pi);
}

/* ---- Save and restore (snapshot.h) ---- */

/*
 * MSI and the MSI-X enables live in config space, saved by the bus; the
 * MSI-X table and PBA live here, saved as the guest reads them: 16 bytes
 * an entry, the PBA as little-endian qwords.
 */
int
pci_emul_caps_snapshot(struct pci_devinst *pi, struct snap_rec *r)
{
	uint32_t tlen, plen;
	uint8_t *tab, *pba;

	if (pi->pi_msix.table == NULL)
		return (snap_rec_status(r));
	tlen = (uint32_t)pi->pi_msix.table_count * MSIX_TABLE_ENTRY_SIZE;
	plen = pi->pi_msix.pba_size;
	tab = malloc(tlen);
	pba = malloc(plen);
	if (tab == NULL || pba == NULL) {
		free(tab);
		free(pba);
		return (-ENOMEM);
	}
	pthread_mutex_lock(&pi->pi_lock);
	for (int i = 0; i < pi->pi_msix.table_count; i++)
		msix_entry_bytes(&pi->pi_msix.table[i],
		    tab + i * MSIX_TABLE_ENTRY_SIZE);
	for (uint32_t i = 0; i < plen / 8; i++)
		wr_le64(pba + i * 8, pi->pi_msix.pba[i]);
	pthread_mutex_unlock(&pi->pi_lock);
	(void)snap_put_blob(r, "pci.msix.table", tab, tlen);
	(void)snap_put_blob(r, "pci.msix.pba", pba, plen);
	free(tab);
	free(pba);
	return (snap_rec_status(r));
}

/* Vector control: only the mask bit exists (6.8.2.9); PBA bits only for
 * vectors that exist. */
static int
msix_snap_check(struct pci_devinst *pi, struct snap_rec *r,
    const uint8_t *tab, const uint8_t *pba)
{
	int n = pi->pi_msix.table_count;

	for (int i = 0; i < n; i++) {
		const uint8_t *vc = tab + i * MSIX_TABLE_ENTRY_SIZE + 12;

		if ((vc[0] & ~PCIM_MSIX_VCTRL_MASK) != 0 || vc[1] != 0 ||
		    vc[2] != 0 || vc[3] != 0)
			return (snap_fail(r, -EINVAL, "MSI-X entry %d: "
			    "reserved vector control bits set", i));
	}
	for (uint32_t bit = (uint32_t)n; bit < pi->pi_msix.pba_size * 8;
	    bit++)
		if ((pba[bit / 8] >> (bit % 8)) & 1)
			return (snap_fail(r, -EINVAL, "MSI-X PBA bit %u set "
			    "for a vector that does not exist", bit));
	return (0);
}

/* MSI and MSI-X enables from the (restored) config space; pi_lock held. */
static void
caps_resync(struct pci_devinst *pi)
{
	uint16_t ctrl;

	if (pi->pi_msi.capoff != 0)
		msi_update(pi);
	if (pi->pi_msix.capoff != 0) {
		ctrl = pci_get_cfgdata16(pi, pi->pi_msix.capoff + MSIX_CTRL);
		pi->pi_msix.enabled = (ctrl & PCIM_MSIXCTRL_ENABLE) != 0;
		pi->pi_msix.function_mask =
		    (ctrl & PCIM_MSIXCTRL_FUNC_MASK) != 0;
	}
}

int
pci_emul_caps_restore(struct pci_devinst *pi, struct snap_rec *r,
    bool apply)
{
	const uint8_t *tab = NULL, *pba = NULL;
	size_t tlen = 0, plen = 0;
	int error;

	if (pi->pi_msix.table != NULL) {
		error = snap_get_blob(r, "pci.msix.table", &tab, &tlen);
		if (error == 0)
			error = snap_get_blob(r, "pci.msix.pba", &pba, &plen);
		if (error != 0)
			return (error);
		if (tlen != (size_t)pi->pi_msix.table_count *
		    MSIX_TABLE_ENTRY_SIZE || plen != pi->pi_msix.pba_size)
			return (snap_fail(r, -EINVAL, "MSI-X table/PBA of "
			    "%zu/%zu bytes, the device has %d vectors", tlen,
			    plen, pi->pi_msix.table_count));
		error = msix_snap_check(pi, r, tab, pba);
		if (error != 0)
			return (error);
	}
	if (!apply)
		return (0);
	pthread_mutex_lock(&pi->pi_lock);
	for (int i = 0; tab != NULL && i < pi->pi_msix.table_count; i++)
		msix_entry_set(&pi->pi_msix.table[i],
		    tab + i * MSIX_TABLE_ENTRY_SIZE);
	for (uint32_t i = 0; pba != NULL && i < pi->pi_msix.pba_size / 8;
	    i++)
		pi->pi_msix.pba[i] = rd_le64(pba + i * 8);
	caps_resync(pi);
	pthread_mutex_unlock(&pi->pi_lock);
	return (0);
}
