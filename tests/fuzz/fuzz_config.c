/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree and the pure option parsers on arbitrary text:
 * -o/-k lines (parse_config_option, parse_config_file), %(var) expansion
 * on read and dump, and the -c -p -G -n -s -m parsers, which return -1
 * with a message and never exit (exiting is the CLI's job).
 *
 * Input: lines; the first byte of each line picks the parser.
 */
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bhyve/bhyve_options.h"
#include "bhyve/config.h"
#include "bhyve/pci_emul.h"
#include "libvmmapi/vmmapi.h"
#include "tests/fuzz/fuzz.h"

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	devnull = fopen("/dev/null", "w");
	FZ_CHECK(devnull != NULL);
	init_config();
	return (0);
}

/* -k FILE, from a memory file holding `text'. */
static void
config_file(const char *text, size_t len)
{
	char path[64];
	int fd;

	fd = memfd_create("fuzz-config", 0);
	if (fd < 0)
		return;
	if (write(fd, text, len) == (ssize_t)len) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)parse_config_file(path);
	}
	close(fd);
}

static int
walk_cb(const char *name, config_node_t *node, void *arg)
{
	int *depth = arg;

	FZ_CHECK(name != NULL);
	if (node != NULL && *depth < 8) {
		(*depth)++;
		(void)walk_config_nodes(NULL, node, arg, walk_cb);
		(*depth)--;
	}
	return (0);
}

static void
one_line(uint8_t kind, const char *s)
{
	struct bhyve_topology topo;
	cpu_set_t set;
	uint8_t uuid[16];
	size_t memsize;
	int port;

	/*
	 * The option parsers write keys with set_config_value(), which ends
	 * the process (exit 4, as bhyve's CLI layer does) when a key names an
	 * existing node; give them a fresh tree so that by-design exit is
	 * not reported as a finding.
	 */
	switch (kind % 12) {
	case 3:
	case 5:
	case 6:
	case 7:
		free_config();
		init_config();
		break;
	default:
		break;
	}
	switch (kind % 12) {
	case 0:
	case 1:
		(void)parse_config_option(s);
		break;
	case 2:
		(void)get_config_value(s);
		break;
	case 3:
		if (bhyve_topology_parse(s) == 0 &&
		    bhyve_get_topology(&topo) == 0)
			FZ_CHECK(topo.ncpus >= 1 && topo.sockets >= 1 &&
			    topo.cores >= 1 && topo.threads >= 1);
		break;
	case 4:
		CPU_ZERO(&set);
		(void)bhyve_parse_cpuset(0, s, &set);
		break;
	case 5:
		if (bhyve_pincpu_parse(s) == 0)
			(void)bhyve_check_cpusets(4);
		break;
	case 6:
		if (bhyve_parse_gdb_options(s) == 0)
			(void)bhyve_gdb_port(&port);
		break;
	case 7:
		(void)bhyve_numa_parse(s);
		break;
	case 8:
		(void)bhyve_parse_uuid(s, uuid);
		break;
	case 9:
		(void)vm_parse_memsize(s, &memsize);
		break;
	case 10:
		(void)pci_parse_slot(s);
		break;
	default:
		if (find_config_node("pci") != NULL)
			(void)pci_emul_check_config();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *line, *next;
	int depth = 0;

	if (size == 0)
		return (0);
	free_config();
	init_config();
	text = malloc(size + 1);
	FZ_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	if (data[0] & 1) {
		/* The whole input as a -k file (NULs end it early). */
		config_file(text + 1, strlen(text + 1));
	} else {
		for (line = text + 1; line != NULL; line = next) {
			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			if (*line != '\0')
				one_line((uint8_t)*line, line + 1);
		}
	}
	/* Read back everything, expanding %(var) references. */
	(void)walk_config_nodes(NULL, NULL, &depth, walk_cb);
	dump_config(devnull);
	free(text);
	return (0);
}
