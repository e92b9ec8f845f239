/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Option parsers behind bhyve's command line and the config values they
 * produce, as pure functions: each returns 0, or -1 with bhyve's message
 * printed, and leaves exiting to the CLI (bhyverun.c, amd64/
 * bhyverun_machdep.c).  The VM setup code uses the readers
 * (bhyve_get_topology, bhyve_vcpu_cpuset) to get the validated values.
 */
#ifndef _BHYVE_BHYVE_OPTIONS_H_
#define _BHYVE_BHYVE_OPTIONS_H_

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

/* -c [[cpus=]n][,sockets=n][,cores=n][,threads=n] -> cpus, sockets, ...
 * -1 (no message) for an unknown key=value token. */
int	bhyve_topology_parse(const char *opt);

struct bhyve_topology {
	int		ncpus;
	uint16_t	sockets;
	uint16_t	cores;
	uint16_t	threads;
};

/*
 * The topology the config describes, as bhyve computes it: each value
 * 1..65535, cores/threads default 1, sockets default to cpus, and cpus
 * (when given) must equal sockets * cores * threads.
 */
int	bhyve_get_topology(struct bhyve_topology *topo);

/* -p vcpu:hostcpu, appended to vcpu.<vcpu>.cpuset. */
int	bhyve_pincpu_parse(const char *opt);

/*
 * A host CPU list such as "0,2-5,7" (numbers as strtoul base 0) into
 * *set.  `vcpu' only labels messages.
 */
int	bhyve_parse_cpuset(int vcpu, const char *list, cpu_set_t *set);

/* vcpu.<vcpu>.cpuset: 1 and *set filled when pinned, 0 when not, -1. */
int	bhyve_vcpu_cpuset(int vcpu, cpu_set_t *set);

/* Validate vcpu.N.cpuset for every vCPU 0..ncpus-1. */
int	bhyve_check_cpusets(int ncpus);

/* -G [w][address:]port -> gdb.wait, gdb.address, gdb.port. */
int	bhyve_parse_gdb_options(const char *opt);

/* gdb.port as a number (0 when unset): -1 with a message if invalid. */
int	bhyve_gdb_port(int *port);

/* -n id=N[,size=S][,cpus=LIST][,domain_policy=P] -> domains.N.*. */
int	bhyve_numa_parse(const char *opt);

/*
 * -f [name=]NAME,string=DATA | [name=]NAME,file=PATH: a QEMU fw_cfg
 * file, stored as fwcfg.file.<index>.{name,string|file} with index
 * counting from 0 in command line order.  A file must be a readable
 * regular file now, as bhyve reads it at this point.
 */
int	bhyve_fwcfg_parse(const char *opt);

/* A UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, any case) or ""
 * (the nil UUID), into uuid[16] if not NULL. */
int	bhyve_parse_uuid(const char *str, uint8_t *uuid);

/* -r FILE (amd64/bhyverun_machdep.c), or NULL. */
const char *bhyve_restore_file(void);

#endif /* _BHYVE_BHYVE_OPTIONS_H_ */
