/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bhyve(8): build the configuration from the command line, check it,
 * then run the VM it describes.
 *
 * The order of checks is bhyve's: usage errors, then config.dump (which
 * prints whatever was set and exits 1, even if values are invalid), then
 * topology and CPU pinning (exit 4), then the memory size (a usage error,
 * EX_USAGE, as in bhyve).  Configuration that needs a feature not built
 * yet is refused next, with exit status 4, rather than ignored.
 */
#include <err.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bhyve/bhyve_options.h"
#include "bhyve/bhyverun.h"
#include "bhyve/config.h"
#include "bhyve/pci_emul.h"
#include "libvmmapi/vmmapi.h"

/* Returns 1 if the config needs the feature, 0 if not, -1 on error. */
typedef int feature_check_t(void);

static int
needs_restore(void)
{
	return (bhyve_restore_file() != NULL);
}

static int
needs_gdb(void)
{
	int port;

	if (bhyve_gdb_port(&port) != 0)
		return (-1);
	return (port != 0);
}

static int
needs_numa(void)
{
	return (find_config_node("domains") != NULL);
}

static int
needs_tpm(void)
{
	return (find_config_node("tpm") != NULL);
}



/*
 * Features bhyve has and this implementation does not have yet.  When
 * one lands, delete its line.
 */
static const struct {
	const char	*what;
	feature_check_t	*needed;
} missing_features[] = {
	{ "snapshot restore (-r)", needs_restore },
	{ "the GDB server (-G, gdb.port)", needs_gdb },
	{ "NUMA domains (-n, domains.*)", needs_numa },
	{ "the TPM device (-l tpm, tpm.*)", needs_tpm },
};

static void
check_features(void)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(missing_features) /
	    sizeof(missing_features[0]); i++) {
		r = missing_features[i].needed();
		if (r < 0)
			exit(BHYVE_EXIT_ERROR);
		if (r > 0)
			errx(BHYVE_EXIT_ERROR, "%s is not implemented yet",
			    missing_features[i].what);
	}
	/* PCI models registered as parse-only are refused here. */
	if (pci_emul_check_config() != 0)
		exit(BHYVE_EXIT_ERROR);
}

static void
check_config(void)
{
	struct bhyve_topology topo;
	const char *value;
	size_t memsize;

	if (bhyve_get_topology(&topo) != 0 ||
	    bhyve_check_cpusets(topo.ncpus) != 0)
		exit(BHYVE_EXIT_ERROR);
	value = get_config_value("memory.size");
	if (value == NULL || vm_parse_memsize(value, &memsize) != 0)
		errx(EX_USAGE, "invalid memsize '%s'",
		    value != NULL ? value : "");
	value = get_config_value("uuid");
	if (value != NULL && bhyve_parse_uuid(value, NULL) != 0)
		errx(BHYVE_EXIT_ERROR, "Invalid UUID '%s'", value);
	check_features();
}

/* The VM name from the operand or the "name" variable; usage if none. */
static char *
vm_name(int argc, char **argv)
{
	const char *name;
	char *copy;

	if (argc > 1)
		bhyve_usage(1);
	if (argc == 1)
		set_config_value("name", argv[0]);
	name = get_config_value("name");
	if (name == NULL)
		bhyve_usage(1);
	copy = strdup(name);
	if (copy == NULL)
		err(BHYVE_EXIT_ERROR, "strdup");
	return (copy);
}

int
main(int argc, char **argv)
{
	char *name;
	int status;

	bhyve_init_config();
	bhyve_optparse(argc, argv);
	name = vm_name(argc - optind, argv + optind);

	if (get_config_bool_default("config.dump", false)) {
		dump_config(stdout);
		exit(1);
	}
	if (*name == '\0' || strlen(name) >= VM_MAX_NAMELEN)
		errx(BHYVE_EXIT_ERROR, "invalid VM name '%s'", name);
	check_config();
	status = bhyve_start_vm(name);
	free(name);
	return (status);
}
