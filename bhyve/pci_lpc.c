/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LPC bridge: -l parsing and the "lpc" PCI emulation (IDs and the
 * PIRQ router registers; the routing itself is pci_irq.c).
 *
 * -l forms (reference section 2b), device names in any case:
 *   comN,BACKEND               lpc.comN.path=BACKEND (the rest verbatim)
 *   bootrom,ROM[,VARS][,k=v]   lpc.bootrom, lpc.bootvars, lpc.k=v
 *   tpm,TYPE,PATH[,k=v]        tpm.type, tpm.path, tpm.k=v, tpm.version
 *   pc-testdev                 lpc.pc-testdev=true
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bhyve/config.h"
#include "bhyve/pci_emul.h"
#include "bhyve/pci_lpc.h"

#define	LPC_UART_NUM	4

static const char *const lpc_uart_names[LPC_UART_NUM] = {
	"com1", "com2", "com3", "com4"
};

static const char lpc_testdev_name[] = "pc-testdev";

/*
 * The bridge function: Intel's 8086:7000 (PIIX3 PCI-to-ISA) IDs as
 * bhyve's, class bridge/ISA, and the PIRQ route control registers
 * (pci_irq.c) at 0x60-0x63 and 0x68-0x6B; 0x64-0x67 and 0x6C-0x6F read
 * zero.  The ISA devices behind it (COM ports, RTC, PIC, ...) are
 * platform devices at fixed ports.
 */
#define	LPC_VENDOR	0x8086
#define	LPC_DEVICE	0x7000
#define	LPC_PIRQ_START	0x60
#define	LPC_PIRQ_END	0x70		/* exclusive */

static int
lpc_pirq_index(int off)
{
	if (off >= 0x60 && off <= 0x63)
		return (off - 0x60);
	if (off >= 0x68 && off <= 0x6b)
		return (off - 0x68 + 4);
	return (-1);
}

static int
lpc_cfgread(struct pci_devinst *pi, int off, int bytes, uint32_t *val)
{
	int p;

	(void)pi;
	if (off < LPC_PIRQ_START || off + bytes > LPC_PIRQ_END)
		return (1);
	*val = 0;
	for (int i = 0; i < bytes; i++) {
		p = lpc_pirq_index(off + i);
		if (p >= 0)
			*val |= (uint32_t)pirq_read(p) << (i * 8);
	}
	return (0);
}

static int
lpc_cfgwrite(struct pci_devinst *pi, int off, int bytes, uint32_t val)
{
	int p;

	(void)pi;
	if (off < LPC_PIRQ_START || off + bytes > LPC_PIRQ_END)
		return (1);
	for (int i = 0; i < bytes; i++) {
		p = lpc_pirq_index(off + i);
		if (p >= 0)
			pirq_write(p, (uint8_t)(val >> (i * 8)));
	}
	return (0);
}

/*
 * Save and restore: record "lpc" version 1 holds the PIRQ route control
 * registers ("pirqa".."pirqh"; the ELCR is the engine's 8259 state).
 */
#define	LPC_SNAP_VERSION	1

static const char *const lpc_pirq_names[PIRQ_NUM] = {
	"pirqa", "pirqb", "pirqc", "pirqd", "pirqe", "pirqf", "pirqg", "pirqh"
};

static int
lpc_snapshot(struct pci_devinst *pi, struct snap_rec *r)
{
	(void)pi;
	snap_rec_set_version(r, LPC_SNAP_VERSION);
	for (int i = 0; i < PIRQ_NUM; i++)
		(void)snap_put_u64(r, lpc_pirq_names[i], pirq_read(i));
	return (snap_rec_status(r));
}

static int
lpc_restore(struct pci_devinst *pi, struct snap_rec *r)
{
	uint64_t v[PIRQ_NUM];
	int error;

	(void)pi;
	error = snap_check_version(r, 1, LPC_SNAP_VERSION);
	/* Bits 6:4 are reserved and read as zero. */
	for (int i = 0; error == 0 && i < PIRQ_NUM; i++)
		error = snap_get_bits(r, lpc_pirq_names[i],
		    PIRQ_DIS | PIRQ_IRQ, &v[i]);
	if (error != 0)
		return (error);
	for (int i = 0; i < PIRQ_NUM; i++)
		pirq_restore(i, (uint8_t)v[i]);
	return (0);
}

static int
lpc_init(struct pci_devinst *pi, config_node_t *nvl)
{
	config_node_t *lpc;

	/* pci_emul_check_config() enforced bus 0 and a single bridge. */
	pci_set_cfgdata16(pi, PCIR_VENDOR, LPC_VENDOR);
	pci_set_cfgdata16(pi, PCIR_DEVICE, LPC_DEVICE);
	pci_set_cfgdata8(pi, PCIR_CLASS, PCIC_BRIDGE);
	pci_set_cfgdata8(pi, PCIR_SUBCLASS, PCIS_BRIDGE_ISA);
	/* pcireg.* may be given on the slot or as lpc.pcireg.* (-l). */
	lpc = find_config_node("lpc");
	if (pci_emul_apply_pcireg(pi, lpc) != 0 ||
	    pci_emul_apply_pcireg(pi, nvl) != 0)
		return (-1);
	return (0);
}

const struct pci_devemu pci_de_lpc = {
	.pe_emu = "lpc",
	.pe_init = lpc_init,
	.pe_cfgread = lpc_cfgread,
	.pe_cfgwrite = lpc_cfgwrite,
	.pe_snapshot = lpc_snapshot,
	.pe_restore = lpc_restore,
};

/* Pop the next comma token from *strp (strsep), NULL when exhausted. */
static char *
next_token(char **strp)
{
	return (strsep(strp, ","));
}

static int
lpc_parse_bootrom(const char *opts, char *str)
{
	config_node_t *lpc;
	char *rom, *vars;

	rom = next_token(&str);
	if (rom == NULL || *rom == '\0') {
		fprintf(stderr, "invalid bootrom option \"%s\"\n", opts);
		return (-EINVAL);
	}
	set_config_value("lpc.bootrom", rom);
	lpc = find_config_node("lpc");
	vars = next_token(&str);
	if (vars == NULL)
		return (0);
	/* The second token is the variable store unless it is k=v. */
	if (strchr(vars, '=') == NULL) {
		if (*vars != '\0')
			set_config_value("lpc.bootvars", vars);
	} else if (pci_parse_legacy_config(lpc, vars) != 0) {
		return (-EINVAL);
	}
	if (pci_parse_legacy_config(lpc, str) != 0)
		return (-EINVAL);
	return (0);
}

static int
lpc_parse_tpm(const char *opts, char *str)
{
	config_node_t *tpm;
	char *type, *path;

	type = next_token(&str);
	if (type == NULL || *type == '\0') {
		fprintf(stderr, "invalid tpm type \"%s\"\n", opts);
		return (-EINVAL);
	}
	path = next_token(&str);
	if (path == NULL || *path == '\0') {
		fprintf(stderr, "invalid tpm path \"%s\"\n", opts);
		return (-EINVAL);
	}
	tpm = create_config_node("tpm");
	if (tpm == NULL)
		return (-EINVAL);
	set_config_value_node(tpm, "type", type);
	set_config_value_node(tpm, "path", path);
	if (pci_parse_legacy_config(tpm, str) != 0)
		return (-EINVAL);
	set_config_value_node_if_unset(tpm, "version", "2.0");
	return (0);
}

/* The backend is everything after the name: "tcp=[::1]:22,..." stays. */
static int
lpc_parse_uart(const char *opts, const char *name, const char *backend)
{
	char key[sizeof("lpc.comN.path")];

	if (backend == NULL) {
		fprintf(stderr, "%s: missing backend in \"%s\"\n", name,
		    opts);
		return (-EINVAL);
	}
	snprintf(key, sizeof(key), "lpc.%s.path", name);
	set_config_value(key, backend);
	return (0);
}

static int
lpc_parse_device(const char *opts, char *dev, char *str)
{
	char key[sizeof("lpc.") + sizeof(lpc_testdev_name)];
	int unit;

	if (strcasecmp(dev, "bootrom") == 0)
		return (lpc_parse_bootrom(opts, str));
	if (strcasecmp(dev, "tpm") == 0)
		return (lpc_parse_tpm(opts, str));
	for (unit = 0; unit < LPC_UART_NUM; unit++) {
		if (strcasecmp(dev, lpc_uart_names[unit]) == 0)
			return (lpc_parse_uart(opts, lpc_uart_names[unit],
			    str));
	}
	if (strcasecmp(dev, lpc_testdev_name) == 0) {
		snprintf(key, sizeof(key), "lpc.%s", lpc_testdev_name);
		set_config_bool(key, true);
		return (0);
	}
	return (-ENOENT);
}

int
lpc_device_parse(const char *opts)
{
	char *copy, *str, *dev;
	int error;

	copy = str = strdup(opts);
	if (copy == NULL)
		return (-ENOMEM);
	dev = next_token(&str);
	error = lpc_parse_device(opts, dev, str);
	free(copy);
	return (error);
}

void
lpc_print_supported_devices(void)
{
	int unit;

	printf("bootrom\n");
	for (unit = 0; unit < LPC_UART_NUM; unit++)
		printf("%s\n", lpc_uart_names[unit]);
	printf("tpm\n");
	printf("%s\n", lpc_testdev_name);
}

const char *
lpc_bootrom(void)
{
	return (get_config_value("lpc.bootrom"));
}

const char *
lpc_fwcfg(void)
{
	return (get_config_value("lpc.fwcfg"));
}
