/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * amd64 command line of bhyve(8): defaults, the getopt loop and usage.
 *
 * Every option only writes config keys (bhyve_config(5)); validation of
 * values that -o or -k can also set happens after parsing, in main().
 * Exit statuses: 0 for -h and "help" listings, 1 for usage errors (unknown
 * option, missing argument, operands), 4 for every other configuration
 * error.  Only an invalid memory size exits EX_USAGE (64) as bhyve's does
 * (main() checks it); bhyve also uses EX_USAGE for -c/-p/-o/-f/-l/-n
 * syntax, but our contract (issue 3) is one status, 4, for bad
 * configuration, so scripts need test only one value.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bhyve/bhyve_options.h"
#include "bhyve/bhyverun.h"
#include "bhyve/config.h"
#include "bhyve/pci_emul.h"
#include "bhyve/pci_lpc.h"

/*
 * '+': stop at the first operand as BSD getopt does, so options after
 * the VM name are operands (and then a usage error), not options.
 */
#define	BHYVE_OPTSTR	"+aehuwxACDHIPSWYk:f:o:p:G:c:s:m:n:l:K:U:r:"

/* -r: the snapshot to restore (not kept in the config, as in bhyve). */
static const char *restore_file;

const char *
bhyve_restore_file(void)
{
	return (restore_file);
}

void
bhyve_init_config(void)
{
	init_config();

	/* The defaults bhyve sets before parsing options. */
	set_config_bool("acpi_tables", true);
	set_config_bool("acpi_tables_in_memory", true);
	set_config_value("memory.size", "256M");
	set_config_bool("x86.strictmsr", true);
	set_config_value("lpc.fwcfg", "bhyve");
}

void
bhyve_usage(int code)
{
	const char *prog = program_invocation_short_name;
	int w = (int)strlen(prog);
	FILE *fp = code == 0 ? stdout : stderr;

	fprintf(fp,
	    "Usage: %s [-aCDeHhPSuWwxY]\n"
	    "       %*s [-c [[cpus=]numcpus][,sockets=n][,cores=n]"
	    "[,threads=n]]\n"
	    "       %*s [-f name,[string|file]=data] [-G [w][address:]port]\n"
	    "       %*s [-k config_file] [-K layout] [-l lpcdev[,conf]]\n"
	    "       %*s [-m memsize[K|k|M|m|G|g|T|t]] [-n id,size,cpus]\n"
	    "       %*s [-o var=value] [-p vcpu:hostcpu] [-r file]\n"
	    "       %*s [-s slot,emulation[,conf]] [-U uuid] vmname\n"
	    "       %s -l help | -s help\n"
	    "  -A: ACPI tables (always generated; accepted for compatibility)\n"
	    "  -a: xAPIC mode for the local APICs (the default)\n"
	    "  -C: include guest memory in core dumps\n"
	    "  -c: number of vCPUs and/or their topology\n"
	    "  -D: destroy the VM when the guest powers off\n"
	    "  -e: exit on an access to an unemulated I/O port\n"
	    "  -f: add a QEMU fw_cfg file\n"
	    "  -G: start a GDB server (a leading 'w' waits for it)\n"
	    "  -H: vCPUs exit on HLT instead of spinning\n"
	    "  -h: print this help and exit\n"
	    "  -I: accepted for compatibility (the I/O APIC always exists)\n"
	    "  -K: keyboard layout\n"
	    "  -k: read config variables (var=value lines) from a file\n"
	    "  -l: LPC device (comN, bootrom, tpm, pc-testdev)\n"
	    "  -m: guest memory size (default 256M)\n"
	    "  -n: NUMA domain\n"
	    "  -o: set config variable 'var' to 'value'\n"
	    "  -P: vCPUs exit on PAUSE\n"
	    "  -p: pin 'vcpu' to host CPU 'hostcpu'\n"
	    "  -r: restore from a snapshot file\n"
	    "  -S: wire guest memory\n"
	    "  -s: PCI slot and device emulation\n"
	    "  -U: SMBIOS system UUID\n"
	    "  -u: RTC keeps UTC time\n"
	    "  -W: single-vector MSI instead of MSI-X for virtio\n"
	    "  -w: ignore accesses to unimplemented MSRs\n"
	    "  -x: x2APIC mode for the local APICs\n"
	    "  -Y: no MP table\n",
	    prog, w, "", w, "", w, "", w, "", w, "", w, "", prog);
	exit(code);
}

/* `arg' is a prefix of "help" (bhyve's test, so "" and "h" count too). */
static bool
is_help(const char *arg)
{
	return (strncmp(arg, "help", strlen(arg)) == 0);
}

static void
opt_config(const char *arg)
{
	if (parse_config_option(arg) == 0)
		return;
	/* The message is printed; bad syntax is a usage error. */
	exit(BHYVE_EXIT_ERROR);
}

static void
opt_lpc(const char *arg)
{
	int error;

	if (is_help(arg)) {
		lpc_print_supported_devices();
		exit(0);
	}
	error = lpc_device_parse(arg);
	if (error == -ENOENT)
		errx(BHYVE_EXIT_ERROR, "invalid lpc device configuration '%s'", arg);
	if (error != 0)
		exit(BHYVE_EXIT_ERROR);
}

static void
opt_slot(const char *arg)
{
	if (is_help(arg)) {
		pci_print_supported_devices();
		exit(0);
	}
	if (pci_parse_slot(arg) != 0)
		exit(BHYVE_EXIT_ERROR);
}

static void
opt_numa(const char *arg)
{
	if (bhyve_numa_parse(arg) != 0)
		errx(BHYVE_EXIT_ERROR, "invalid NUMA configuration '%s'", arg);
	if (!get_config_bool("acpi_tables"))
		errx(BHYVE_EXIT_ERROR, "NUMA emulation requires ACPI");
}

/* Options that take an argument; 0 if `c' is not one of them. */
static int
optparse_arg(int c, const char *arg)
{
	switch (c) {
	case 'c':
		if (bhyve_topology_parse(arg) != 0)
			errx(BHYVE_EXIT_ERROR, "invalid cpu topology '%s'", arg);
		break;
	case 'f':
		if (bhyve_fwcfg_parse(arg) != 0)
			errx(BHYVE_EXIT_ERROR, "invalid fwcfg item '%s'", arg);
		break;
	case 'G':
		if (bhyve_parse_gdb_options(arg) != 0)
			exit(BHYVE_EXIT_ERROR);
		break;
	case 'K':
		set_config_value("keyboard.layout", arg);
		break;
	case 'k':
		if (parse_config_file(arg) != 0)
			exit(BHYVE_EXIT_ERROR);
		break;
	case 'l':
		opt_lpc(arg);
		break;
	case 'm':
		set_config_value("memory.size", arg);
		break;
	case 'n':
		opt_numa(arg);
		break;
	case 'o':
		opt_config(arg);
		break;
	case 'p':
		if (bhyve_pincpu_parse(arg) != 0)
			errx(BHYVE_EXIT_ERROR, "invalid vcpu pinning configuration "
			    "'%s'", arg);
		break;
	case 'r':
		restore_file = arg;
		break;
	case 's':
		opt_slot(arg);
		break;
	case 'U':
		set_config_value("uuid", arg);
		break;
	default:
		return (0);
	}
	return (1);
}

/* Flag options: the config key and value each one sets. */
static const struct {
	char		opt;
	const char	*key;	/* NULL: accepted, no effect */
	bool		value;
} bhyve_flags[] = {
	{ 'a', "x86.x2apic", false },
	{ 'A', NULL, false },		/* ACPI tables are always built */
	{ 'C', "memory.guest_in_core", true },
	{ 'D', "destroy_on_poweroff", true },
	{ 'e', "x86.strictio", true },
	{ 'H', "x86.vmexit_on_hlt", true },
	{ 'I', NULL, false },		/* the I/O APIC always exists */
	{ 'P', "x86.vmexit_on_pause", true },
	{ 'S', "memory.wired", true },
	{ 'u', "rtc.use_localtime", false },
	{ 'W', "virtio_msix", false },
	{ 'w', "x86.strictmsr", false },
	{ 'x', "x86.x2apic", true },
	{ 'Y', "x86.mptable", false },
};

static int
optparse_flag(int c)
{
	size_t i;

	for (i = 0; i < sizeof(bhyve_flags) / sizeof(bhyve_flags[0]); i++) {
		if (bhyve_flags[i].opt != c)
			continue;
		if (bhyve_flags[i].key != NULL)
			set_config_bool(bhyve_flags[i].key,
			    bhyve_flags[i].value);
		return (1);
	}
	return (0);
}

/* Whether getopt's `optopt' is a known option that needs an argument. */
static bool
takes_arg(int opt)
{
	const char *p;

	if (opt == ':' || opt == '+' || opt == '\0')
		return (false);
	p = strchr(BHYVE_OPTSTR, opt);
	return (p != NULL && p[1] == ':');
}

void
bhyve_optparse(int argc, char **argv)
{
	int c;

	/* Report getopt errors ourselves, in bhyve's words and name. */
	opterr = 0;
	while ((c = getopt(argc, argv, BHYVE_OPTSTR)) != -1) {
		if (c == 'h')
			bhyve_usage(0);
		if (optparse_flag(c) || optparse_arg(c, optarg))
			continue;
		if (takes_arg(optopt))
			warnx("option requires an argument -- %c", optopt);
		else
			warnx("illegal option -- %c", optopt);
		bhyve_usage(1);
	}
}
