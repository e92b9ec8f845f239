/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Firmware-facing setup (see firmware.h).  One VM per bhyve process, as
 * for the port table (inout.h): the pieces live in one file-level
 * struct between init and fini.
 *
 * Config keys read: acpi_tables (default true), acpi_tables_in_memory
 * (true), x86.mptable (true), lpc.fwcfg ("bhyve", the default, or
 * "qemu"), lpc.pc-testdev, lpc.bootrom / bootrom (tables then come
 * through fw_cfg only: the ROM covers the BIOS area), uuid and the SMBIOS
 * strings, fwcfg.file.N.{name,string,file} (-f), pci.B.S.F.bootindex.
 *
 * Ports 0x510/0x511 go to one firmware interface: bhyve's fwctl with
 * lpc.fwcfg=bhyve and a boot ROM (its only consumer is the UEFI ROM),
 * else QEMU fw_cfg (lpc.fwcfg=qemu, or no boot ROM: see fwcfg_is_qemu).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/acpi.h"
#include "bhyve/bhyve_options.h"
#include "bhyve/config.h"
#include "bhyve/e820.h"
#include "bhyve/firmware.h"
#include "bhyve/fwctl.h"
#include "bhyve/le_bytes.h"
#include "bhyve/mptbl.h"
#include "bhyve/pctestdev.h"
#include "bhyve/post.h"
#include "bhyve/qemu_fwcfg.h"
#include "bhyve/smbiostbl.h"
#include "libvmmapi/vmmapi.h"

static struct {
	struct post_port *post;
	struct pctestdev *testdev;
	struct qemu_fwcfg *fwcfg;
	struct fwctl	*fwctl;
} fw;

static int
slot_cb(const char *name, config_node_t *node, void *arg)
{
	uint32_t *slots = arg;
	char *end;
	long s;

	s = strtol(name, &end, 10);
	if (node != NULL && *end == '\0' && s >= 0 && s <= 31)
		*slots |= 1u << s;
	return (0);
}

uint32_t
bhyve_firmware_pci_slots(void)
{
	uint32_t slots = 0;

	(void)walk_config_nodes("pci.0", NULL, &slots, slot_cb);
	return (slots);
}

static bool
have_bootrom(void)
{
	return (get_config_value("lpc.bootrom") != NULL ||
	    get_config_value("bootrom") != NULL);
}

/* lpc.fwcfg; bhyve_init_config() sets the default, "bhyve". */
static const char *
fwcfg_flavour(void)
{
	const char *v = get_config_value("lpc.fwcfg");

	return (v != NULL ? v : "bhyve");
}

/*
 * QEMU fw_cfg on 0x510: with lpc.fwcfg=qemu, and also with the default
 * "bhyve" when no boot ROM runs.  bhyve's fwctl serves only its UEFI ROM
 * and bhyve itself cannot boot a kernel directly, so leaving the ports
 * empty there would only lose the vCPU count and RAM size that kernels
 * loaded with boot.kernel read from fw_cfg (kvm-unit-tests' smp setup
 * waits for FW_CFG_NB_CPUS processors; QEMU users expect it too).
 */
static bool
fwcfg_is_qemu(void)
{
	return (strcmp(fwcfg_flavour(), "qemu") == 0 || !have_bootrom());
}

/* bhyve compares the same way (strcmp), but ignores other values. */
static int
fwcfg_check(void)
{
	const char *v = fwcfg_flavour();

	if (strcmp(v, "bhyve") == 0 || strcmp(v, "qemu") == 0)
		return (0);
	fprintf(stderr, "invalid lpc.fwcfg '%s' (bhyve or qemu)\n", v);
	return (-1);
}

static int
fwctl_setup(int ncpus)
{
	int error;

	fw.fwctl = fwctl_create(ncpus);
	if (fw.fwctl == NULL) {
		fprintf(stderr, "fwctl: %s\n", strerror(errno));
		return (-1);
	}
	error = fwctl_register(fw.fwctl);
	if (error != 0) {
		fprintf(stderr, "fwctl: cannot claim ports 0x510-0x511: %s\n",
		    strerror(-error));
		return (-1);
	}
	return (0);
}

static int
install_acpi(struct vmctx *ctx, const struct acpi_tables *t)
{
	uint8_t *rsdp, *blob;

	if (ACPI_TABLES_GPA + t->len > ACPI_AREA_END) {
		fprintf(stderr, "ACPI tables too large (%zu bytes)\n", t->len);
		return (-1);
	}
	rsdp = vm_map_gpa(ctx, ACPI_RSDP_GPA, ACPI_RSDP_LEN);
	blob = vm_map_gpa(ctx, ACPI_TABLES_GPA, t->len);
	if (rsdp == NULL || blob == NULL) {
		fprintf(stderr, "ACPI tables: BIOS area not in guest RAM\n");
		return (-1);
	}
	acpi_relocate(t, ACPI_TABLES_GPA, rsdp, blob);
	return (0);
}

/* ---- fw_cfg contents ---- */

struct bootdev {
	long	index;
	int	slot, func;
};

struct boot_walk {
	struct bootdev	dev[256];
	int		n;
	int		slot;
	int		error;
};

static int
boot_func_cb(const char *name, config_node_t *node, void *arg)
{
	struct boot_walk *w = arg;
	const char *v;
	char *end;
	long idx, f;

	f = strtol(name, &end, 10);
	if (node == NULL || *end != '\0' || f < 0 || f > 7)
		return (0);
	v = get_config_value_node(node, "bootindex");
	if (v == NULL)
		return (0);
	idx = strtol(v, &end, 0);
	if (*end != '\0' || idx < 0 || w->n >= 256) {
		fprintf(stderr, "invalid bootindex '%s'\n", v);
		w->error = -1;
		return (-1);
	}
	w->dev[w->n++] = (struct bootdev){ idx, w->slot, (int)f };
	return (0);
}

static int
boot_slot_cb(const char *name, config_node_t *node, void *arg)
{
	struct boot_walk *w = arg;
	char *end;
	long s = strtol(name, &end, 10);

	if (node == NULL || *end != '\0' || s < 0 || s > 31)
		return (0);
	w->slot = (int)s;
	return (walk_config_nodes(NULL, node, w, boot_func_cb));
}

static int
bootdev_cmp(const void *a, const void *b)
{
	const struct bootdev *x = a, *y = b;

	return (x->index < y->index ? -1 : x->index > y->index);
}

/*
 * "bootorder": one OpenFirmware path a line, lowest bootindex first, in
 * the generic PCI form firmware matches by prefix:
 * /pci@i0cf8/pci@SLOT[,FUNC] (hex).  Only bus 0 devices.
 */
static int
fwcfg_bootorder(struct qemu_fwcfg *fc)
{
	struct boot_walk *w = calloc(1, sizeof(*w));
	char *text = NULL, line[64];
	size_t len = 0;
	int error = 0;

	if (w == NULL)
		return (-1);
	(void)walk_config_nodes("pci.0", NULL, w, boot_slot_cb);
	if (w->error != 0 || w->n == 0) {
		error = w->error;
		goto out;
	}
	qsort(w->dev, (size_t)w->n, sizeof(w->dev[0]), bootdev_cmp);
	text = calloc((size_t)w->n, sizeof(line));
	if (text == NULL) {
		error = -1;
		goto out;
	}
	for (int i = 0; i < w->n; i++) {
		if (w->dev[i].func == 0)
			snprintf(line, sizeof(line), "/pci@i0cf8/pci@%x\n",
			    w->dev[i].slot);
		else
			snprintf(line, sizeof(line), "/pci@i0cf8/pci@%x,%x\n",
			    w->dev[i].slot, w->dev[i].func);
		memcpy(text + len, line, strlen(line));
		len += strlen(line);
	}
	error = qemu_fwcfg_add_file(fc, "bootorder", text, (uint32_t)len);
out:
	free(text);
	free(w);
	return (error);
}

static int
read_file(const char *path, uint8_t **data, uint32_t *size)
{
	FILE *fp = fopen(path, "rb");
	long len;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (len = ftell(fp)) < 0 || len > (long)UINT32_MAX ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		if (fp != NULL)
			fclose(fp);
		return (-1);
	}
	*data = malloc(len > 0 ? (size_t)len : 1);
	if (*data == NULL || fread(*data, 1, (size_t)len, fp) !=
	    (size_t)len) {
		free(*data);
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	*size = (uint32_t)len;
	return (0);
}

/* -f name,string=... | name,file=...: fwcfg.file.N in index order. */
static int
fwcfg_user_files(struct qemu_fwcfg *fc)
{
	char path[48];
	const char *name, *str, *file;
	uint8_t *data;
	uint32_t size;
	int error;

	for (int i = 0;; i++) {
		snprintf(path, sizeof(path), "fwcfg.file.%d", i);
		config_node_t *n = find_config_node(path);

		if (n == NULL)
			return (0);
		name = get_config_value_node(n, "name");
		str = get_config_value_node(n, "string");
		file = get_config_value_node(n, "file");
		if (name == NULL || (str == NULL && file == NULL))
			continue;
		if (str != NULL) {
			error = qemu_fwcfg_add_file(fc, name, str,
			    (uint32_t)strlen(str));
		} else {
			if (read_file(file, &data, &size) != 0) {
				fprintf(stderr, "fw_cfg: cannot read \"%s\"\n",
				    file);
				return (-1);
			}
			error = qemu_fwcfg_add_file(fc, name, data, size);
			free(data);
		}
		if (error != 0) {
			fprintf(stderr, "fw_cfg: cannot add file \"%s\": %s\n",
			    name, strerror(-error));
			return (-1);
		}
	}
}

static int
fill_smbios_params(struct vmctx *ctx, const uint8_t *uuid,
    struct smbios_params *sp)
{
	struct bhyve_topology topo;

	if (bhyve_get_topology(&topo) != 0)
		return (-1);
	memset(sp, 0, sizeof(*sp));
	sp->lowmem = vm_get_lowmem_size(ctx);
	sp->highmem = vm_get_highmem_size(ctx);
	sp->sockets = topo.sockets;
	sp->cores = topo.cores;
	sp->threads = topo.threads;
	memcpy(sp->uuid, uuid, 16);
	return (0);
}

/*
 * SMBIOS as QEMU offers it to firmware: "etc/smbios/smbios-anchor" (the
 * 32-bit entry point, built as if placed at gpa 0, so its table address
 * is SMBIOS_TABLE_OFF; the firmware puts the table somewhere and
 * rewrites it) and "etc/smbios/smbios-tables" (the structures).
 */
static int
fwcfg_smbios(struct vmctx *ctx, struct qemu_fwcfg *fc, const uint8_t *uuid)
{
	struct smbios_params sp;
	uint8_t *buf;
	long len;
	int error;

	if (fill_smbios_params(ctx, uuid, &sp) != 0)
		return (-1);
	buf = malloc(SMBIOS_MAXLEN);
	if (buf == NULL)
		return (-1);
	len = smbios_build(&sp, 0, buf, SMBIOS_MAXLEN);
	if (len < 0)
		fprintf(stderr, "warning: no SMBIOS in fw_cfg: %s\n",
		    strerror((int)-len));
	error = len < 0 ? 0 :
	    qemu_fwcfg_add_file(fc, "etc/smbios/smbios-anchor", buf,
	    SMBIOS_EPS_LEN) |
	    qemu_fwcfg_add_file(fc, "etc/smbios/smbios-tables",
	    buf + SMBIOS_TABLE_OFF, (uint32_t)(len - SMBIOS_TABLE_OFF));
	free(buf);
	return (error);
}

static int
fwcfg_setup(struct vmctx *ctx, int ncpus, const struct acpi_tables *acpi,
    const uint8_t *uuid)
{
	struct qemu_fwcfg *fc;
	struct e820_entry e820[E820_MAX_ENTRIES];
	uint8_t v8[8], v2[2], e820buf[E820_MAX_ENTRIES * E820_ENTRY_SIZE];
	uint8_t *script = NULL;
	size_t slen = 0;
	int n, error = 0;

	fc = qemu_fwcfg_create(ctx);
	if (fc == NULL)
		return (-1);
	fw.fwcfg = fc;
	put_le(v8, vm_get_lowmem_size(ctx) + vm_get_highmem_size(ctx), 8);
	put_le(v2, (uint64_t)ncpus, 2);
	error |= qemu_fwcfg_add_item(fc, FWCFG_UUID, uuid, 16);
	error |= qemu_fwcfg_add_item(fc, FWCFG_RAM_SIZE, v8, 8);
	error |= qemu_fwcfg_add_item(fc, FWCFG_NB_CPUS, v2, 2);
	error |= qemu_fwcfg_add_item(fc, FWCFG_MAX_CPUS, v2, 2);
	/*
	 * No display device: QEMU's -nographic.  SeaBIOS then keeps its
	 * console on COM1 (its "sercon"), as it does under QEMU.
	 */
	put_le(v2, 1, 2);
	error |= qemu_fwcfg_add_item(fc, FWCFG_NOGRAPHIC, v2, 2);
	put_le(v8, (uint64_t)ncpus, 4);
	error |= qemu_fwcfg_add_file(fc, "opt/bhyve/hw.ncpu", v8, 4);
	n = e820_get_entries(ctx, e820, E820_MAX_ENTRIES);
	if (n > 0) {
		e820_encode(e820, n, e820buf);
		error |= qemu_fwcfg_add_file(fc, "etc/e820", e820buf,
		    (uint32_t)(n * E820_ENTRY_SIZE));
	}
	if (acpi != NULL) {
		error |= acpi_loader_script(acpi, &script, &slen);
		error |= qemu_fwcfg_add_file(fc, "etc/acpi/rsdp", acpi->rsdp,
		    ACPI_RSDP_LEN);
		error |= qemu_fwcfg_add_file(fc, "etc/acpi/tables", acpi->blob,
		    (uint32_t)acpi->len);
		if (script != NULL)
			error |= qemu_fwcfg_add_file(fc, "etc/table-loader",
			    script, (uint32_t)slen);
		free(script);
	}
	error |= fwcfg_smbios(ctx, fc, uuid);
	if (error != 0 || fwcfg_bootorder(fc) != 0) {
		fprintf(stderr, "fw_cfg: cannot set up its items\n");
		return (-1);
	}
	if (fwcfg_user_files(fc) != 0)
		return (-1);
	if (qemu_fwcfg_register(fc) != 0) {
		fprintf(stderr, "fw_cfg: cannot claim ports 0x510-0x51b\n");
		return (-1);
	}
	return (0);
}

static int
build_tables(struct vmctx *ctx, int ncpus, bool in_memory,
    struct acpi_tables *acpi, bool *have_acpi, const uint8_t *uuid)
{
	struct acpi_params ap;
	struct smbios_params sp;
	uint32_t slots = bhyve_firmware_pci_slots();
	int error;

	*have_acpi = false;
	if (get_config_bool_default("acpi_tables", true)) {
		memset(&ap, 0, sizeof(ap));
		ap.ncpus = ncpus;
		ap.lowmem = vm_get_lowmem_size(ctx);
		ap.mmio32_base = vm_get_lowmem_limit(ctx);
		ap.pci_slots = slots;
		ap.fwcfg_qemu = fwcfg_is_qemu();
		error = acpi_build(&ap, acpi);
		if (error != 0) {
			fprintf(stderr, "ACPI tables: %s\n", strerror(-error));
			return (-1);
		}
		*have_acpi = true;
		if (in_memory && get_config_bool_default(
		    "acpi_tables_in_memory", true) && install_acpi(ctx, acpi))
			return (-1);
	}
	if (!in_memory)
		return (0);
	/* Too many vCPUs for the space: the guest has ACPI still. */
	if (get_config_bool_default("x86.mptable", true) &&
	    (error = mptable_install(ctx, ncpus, slots)) != 0)
		fprintf(stderr, "warning: no MP table: %s\n", strerror(-error));
	if (fill_smbios_params(ctx, uuid, &sp) != 0)
		return (-1);
	if ((error = smbios_install(ctx, &sp)) != 0)
		fprintf(stderr, "warning: no SMBIOS tables: %s\n",
		    strerror(-error));
	return (0);
}

int
bhyve_firmware_init(struct vmctx *ctx, int ncpus)
{
	struct acpi_tables acpi;
	uint8_t uuid[16];
	bool have_acpi = false, in_memory;
	int error = -1;

	memset(&acpi, 0, sizeof(acpi));
	if (fwcfg_check() != 0)
		return (-1);
	fw.post = post_init();
	if (fw.post == NULL)
		fprintf(stderr, "warning: POST port 0x80 taken\n");
	if (get_config_bool_default("lpc.pc-testdev", false)) {
		fw.testdev = pctestdev_init(ctx);
		if (fw.testdev == NULL) {
			fprintf(stderr, "pc-testdev: %s\n", strerror(errno));
			return (-1);
		}
	}
	if (smbios_uuid(vm_get_name(ctx), uuid) != 0) {
		fprintf(stderr, "Invalid UUID '%s'\n",
		    get_config_value("uuid"));
		return (-1);
	}
	/* A boot ROM covers 0xE0000-0xFFFFF: it gets tables via fw_cfg. */
	in_memory = !have_bootrom() && vm_get_lowmem_size(ctx) >= (1u << 20);
	if (build_tables(ctx, ncpus, in_memory, &acpi, &have_acpi, uuid) != 0)
		goto out;
	if (fwcfg_is_qemu() && fwcfg_setup(ctx, ncpus, have_acpi ? &acpi :
	    NULL, uuid) != 0)
		goto out;
	if (!fwcfg_is_qemu() && have_bootrom() && fwctl_setup(ncpus) != 0)
		goto out;
	error = 0;
out:
	acpi_tables_free(&acpi);
	return (error);
}

void
bhyve_firmware_fini(void)
{
	qemu_fwcfg_destroy(fw.fwcfg);
	fwctl_destroy(fw.fwctl);
	pctestdev_fini(fw.testdev);
	post_fini(fw.post);
	memset(&fw, 0, sizeof(fw));
}

int
bhyve_firmware_exit_status(int status)
{
	int st = pctestdev_exit_status(fw.testdev);

	return (st >= 0 ? st : status);
}
