/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI emulations registered before their device model exists.
 *
 * Each keeps the legacy option parser bhyve uses for it, so `-s' stores
 * the same pci.B.S.F.* keys bhyve does (reference section 2), and is
 * marked pe_parse_only so that starting a VM which uses it fails with a
 * clear message.  When a model
 * is written, its pci_de_* definition moves from here into its own file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bhyve/config.h"
#include "bhyve/pci_emul.h"

#define	VTCON_MAXPORTS	16
#define	AHCI_MAXPORTS	32

/* Split off the first comma token; *rest is NULL without a comma. */
static char *
first_token(const char *opts, const char **rest)
{
	const char *comma;

	comma = strchr(opts, ',');
	*rest = comma != NULL ? comma + 1 : NULL;
	return (strndup(opts, comma != NULL ? (size_t)(comma - opts) :
	    strlen(opts)));
}

static void
set_number(config_node_t *nvl, const char *name, unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	set_config_value_node(nvl, name, buf);
}

/* pptN | bus/slot/func | pciB:S:F, then generic options (rom=...). */
static int
passthru_legacy_config(config_node_t *nvl, const char *opts)
{
	const char *rest;
	unsigned bus, slot, func;
	char *sel, tail;
	int error;

	if (opts == NULL)
		return (0);
	sel = first_token(opts, &rest);
	if (sel == NULL)
		return (-1);
	error = 0;
	if (strncmp(sel, "ppt", 3) == 0) {
		set_config_value_node(nvl, "pptdev", sel);
	} else if (sscanf(sel, "pci%u:%u:%u%c", &bus, &slot, &func,
	    &tail) == 3 || sscanf(sel, "%u/%u/%u%c", &bus, &slot, &func,
	    &tail) == 3) {
		set_number(nvl, "bus", bus);
		set_number(nvl, "slot", slot);
		set_number(nvl, "func", func);
	} else {
		fprintf(stderr, "passthru: invalid PCI BDF \"%s\"\n", sel);
		error = -1;
	}
	free(sel);
	if (error == 0)
		error = pci_parse_legacy_config(nvl, rest);
	return (error);
}

/* Network frontends: backend first (tap0, slirp, ...), then options. */
static int
netbe_legacy_config(config_node_t *nvl, const char *opts)
{
	return (pci_legacy_config_first_if_plain(nvl, opts, "backend"));
}

/* Block devices: the backing path first, then block options. */
static int
blockif_legacy_config(config_node_t *nvl, const char *opts)
{
	return (pci_legacy_config_first(nvl, opts, "path"));
}

static int
vscsi_legacy_config(config_node_t *nvl, const char *opts)
{
	return (pci_legacy_config_first_if_plain(nvl, opts, "dev"));
}

static int
nvme_legacy_config(config_node_t *nvl, const char *opts)
{
	return (pci_legacy_config_first_if_plain(nvl, opts, "path"));
}

/* sharename=/path[,ro] */
static int
v9p_legacy_config(config_node_t *nvl, const char *opts)
{
	const char *rest;
	char *share, *path;
	int error;

	if (opts == NULL)
		return (0);
	share = first_token(opts, &rest);
	if (share == NULL)
		return (-1);
	path = strchr(share, '=');
	if (path == NULL || path == share || path[1] == '\0') {
		fprintf(stderr, "virtio-9p: expected sharename=path, got "
		    "\"%s\"\n", share);
		free(share);
		return (-1);
	}
	*path++ = '\0';
	set_config_value_node(nvl, "sharename", share);
	set_config_value_node(nvl, "path", path);
	free(share);
	error = pci_parse_legacy_config(nvl, rest);
	return (error);
}

/* name=/path/sock,... : one console port each, port.N.{name,path}. */
static int
vcon_add_port(config_node_t *ports, int n, char *tok)
{
	config_node_t *port;
	char idx[16], *path;

	path = strchr(tok, '=');
	if (path == NULL || path == tok || path[1] == '\0') {
		fprintf(stderr, "virtio-console: expected name=path, got "
		    "\"%s\"\n", tok);
		return (-1);
	}
	if (n >= VTCON_MAXPORTS) {
		fprintf(stderr, "virtio-console: at most %d ports\n",
		    VTCON_MAXPORTS);
		return (-1);
	}
	*path++ = '\0';
	snprintf(idx, sizeof(idx), "%d", n);
	port = create_relative_config_node(ports, idx);
	if (port == NULL)
		return (-1);
	set_config_value_node(port, "name", tok);
	set_config_value_node(port, "path", path);
	return (0);
}

static int
vcon_legacy_config(config_node_t *nvl, const char *opts)
{
	config_node_t *ports;
	char *copy, *str, *tok;
	int n, error;

	if (opts == NULL)
		return (0);
	ports = create_relative_config_node(nvl, "port");
	copy = str = strdup(opts);
	if (ports == NULL || copy == NULL) {
		free(copy);
		return (-1);
	}
	error = 0;
	n = 0;
	while (error == 0 && (tok = strsep(&str, ",")) != NULL) {
		if (*tok != '\0')
			error = vcon_add_port(ports, n++, tok);
	}
	free(copy);
	return (error);
}

/* One AHCI port: port.N.type plus the block options of its drive. */
static int
ahci_port_config(config_node_t *nvl, int n, const char *type,
    const char *opts)
{
	config_node_t *port;
	char path[32];

	snprintf(path, sizeof(path), "port.%d", n);
	port = create_relative_config_node(nvl, path);
	if (port == NULL)
		return (-1);
	set_config_value_node(port, "type", type);
	return (blockif_legacy_config(port, opts));
}

static const char *
ahci_type(const char *tok)
{
	if (strncmp(tok, "hd:", 3) == 0)
		return ("hd");
	if (strncmp(tok, "cd:", 3) == 0)
		return ("cd");
	return (NULL);
}

/*
 * "hd:path[,opts],cd:path[,opts],...": an hd:/cd: token starts the next
 * port, the tokens after it are that drive's options.
 */
static int
ahci_legacy_config(config_node_t *nvl, const char *opts)
{
	const char *p, *next, *type;
	char *drive;
	int n, error;

	if (opts == NULL)
		return (0);
	error = 0;
	for (n = 0, p = opts; error == 0 && p != NULL; n++) {
		type = ahci_type(p);
		if (type == NULL || n >= AHCI_MAXPORTS) {
			fprintf(stderr, "ahci: port %d: expected hd:path or "
			    "cd:path, got \"%s\"\n", n, p);
			return (-1);
		}
		p += 3;
		for (next = strchr(p, ','); next != NULL;
		    next = strchr(next + 1, ',')) {
			if (ahci_type(next + 1) != NULL)
				break;
		}
		drive = next != NULL ? strndup(p, (size_t)(next - p)) :
		    strdup(p);
		if (drive == NULL)
			return (-1);
		error = ahci_port_config(nvl, n, type, drive);
		free(drive);
		p = next != NULL ? next + 1 : NULL;
	}
	return (error);
}

static int
ahci_hd_legacy_config(config_node_t *nvl, const char *opts)
{
	return (ahci_port_config(nvl, 0, "hd", opts));
}

static int
ahci_cd_legacy_config(config_node_t *nvl, const char *opts)
{
	return (ahci_port_config(nvl, 0, "cd", opts));
}

/* USB devices: slot.N.device=NAME, N counting from 1. */
static int
xhci_legacy_config(config_node_t *nvl, const char *opts)
{
	config_node_t *slot;
	char *copy, *str, *tok, path[32];
	int n;

	if (opts == NULL)
		return (0);
	copy = str = strdup(opts);
	if (copy == NULL)
		return (-1);
	n = 1;
	while ((tok = strsep(&str, ",")) != NULL) {
		if (*tok == '\0')
			continue;
		snprintf(path, sizeof(path), "slot.%d", n++);
		slot = create_relative_config_node(nvl, path);
		if (slot == NULL) {
			free(copy);
			return (-1);
		}
		set_config_value_node(slot, "device", tok);
	}
	free(copy);
	return (0);
}

#define	PCI_STUB(sym, name, parser)	\
	const struct pci_devemu sym = {	\
		.pe_emu = name,	\
		.pe_parse_only = true,	\
		.pe_legacy_config = parser,	\
	}

#define	PCI_STUB_ALIAS(sym, name, alias, parser)	\
	const struct pci_devemu sym = {	\
		.pe_emu = name,	\
		.pe_alias = alias,	\
		.pe_parse_only = true,	\
		.pe_legacy_config = parser,	\
	}

PCI_STUB(pci_de_passthru, "passthru", passthru_legacy_config);
PCI_STUB(pci_de_vnet, "virtio-net", netbe_legacy_config);
PCI_STUB(pci_de_e82545, "e1000", netbe_legacy_config);
PCI_STUB(pci_de_vblk, "virtio-blk", blockif_legacy_config);
PCI_STUB(pci_de_vscsi, "virtio-scsi", vscsi_legacy_config);
PCI_STUB(pci_de_v9p, "virtio-9p", v9p_legacy_config);
PCI_STUB(pci_de_vrnd, "virtio-rnd", NULL);
PCI_STUB(pci_de_vcon, "virtio-console", vcon_legacy_config);
PCI_STUB(pci_de_vinput, "virtio-input", blockif_legacy_config);
PCI_STUB(pci_de_ahci, "ahci", ahci_legacy_config);
PCI_STUB_ALIAS(pci_de_ahci_hd, "ahci-hd", "ahci", ahci_hd_legacy_config);
PCI_STUB_ALIAS(pci_de_ahci_cd, "ahci-cd", "ahci", ahci_cd_legacy_config);
PCI_STUB(pci_de_nvme, "nvme", nvme_legacy_config);
PCI_STUB(pci_de_fbuf, "fbuf", NULL);
PCI_STUB(pci_de_xhci, "xhci", xhci_legacy_config);
PCI_STUB(pci_de_hda, "hda", NULL);
