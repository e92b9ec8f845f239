/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PCI emulation registry and the -s option parser.
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
#include "bhyve/pci_emul.h"

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
