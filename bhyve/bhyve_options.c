/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parsers for bhyve's machine-independent options (-c -p -G -n -f -U)
 * and readers of the values they store.  Messages follow bhyve's.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bhyve/bhyve_options.h"
#include "bhyve/config.h"

/* fw_cfg file names are at most 55 characters (QEMU's FW_CFG_MAX_FILE_PATH). */
#define	FWCFG_MAX_NAME	56

static const char *
skip_prefix(const char *s, const char *prefix)
{
	size_t len = strlen(prefix);

	return (strncmp(s, prefix, len) == 0 ? s + len : NULL);
}

/*
 * -c: tokens cpus=, sockets=, cores=, threads=, or a bare number for
 * cpus.  Values are checked later, by bhyve_get_topology(), so that -o
 * and -k settings get the same checks.  "-c ''" means one vCPU.
 */
int
bhyve_topology_parse(const char *opt)
{
	static const char *const keys[] = { "cpus", "sockets", "cores",
	    "threads" };
	char *copy, *str, *tok, *eq;
	size_t i;
	int error;

	if (*opt == '\0') {
		/* In bhyve's order, which config.dump shows. */
		set_config_value("sockets", "1");
		set_config_value("cores", "1");
		set_config_value("threads", "1");
		set_config_value("cpus", "1");
		return (0);
	}
	copy = str = strdup(opt);
	if (copy == NULL)
		return (-1);
	error = 0;
	while (error == 0 && (tok = strsep(&str, ",")) != NULL) {
		eq = strchr(tok, '=');
		if (eq == NULL) {
			set_config_value("cpus", tok);
			continue;
		}
		*eq = '\0';
		error = -1;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(tok, keys[i]) == 0) {
				set_config_value(keys[i], eq + 1);
				error = 0;
				break;
			}
		}
	}
	free(copy);
	return (error);
}

/* An integer config value (strtol(3) syntax, whole string) in range. */
static int
config_int(const char *key, long minval, long maxval, long def, long *val)
{
	const char *value;
	char *end;
	long v;

	value = get_config_value(key);
	if (value == NULL) {
		*val = def;
		return (0);
	}
	errno = 0;
	v = strtol(value, &end, 0);
	if (errno != 0 || end == value || *end != '\0' || v < minval ||
	    v > maxval) {
		warnx("Invalid value for %s: '%s'", key, value);
		return (-1);
	}
	*val = v;
	return (0);
}

int
bhyve_get_topology(struct bhyve_topology *topo)
{
	long cpus, sockets, cores, threads;
	uint64_t ncpus;
	bool explicit_cpus;

	explicit_cpus = get_config_value("cpus") != NULL;
	if (config_int("cpus", 1, UINT16_MAX, 1, &cpus) != 0 ||
	    config_int("cores", 1, UINT16_MAX, 1, &cores) != 0 ||
	    config_int("threads", 1, UINT16_MAX, 1, &threads) != 0 ||
	    config_int("sockets", 1, UINT16_MAX, cpus, &sockets) != 0)
		return (-1);
	ncpus = (uint64_t)sockets * (uint64_t)cores * (uint64_t)threads;
	if (ncpus > UINT16_MAX) {
		warnx("Computed number of vCPUs too high: %ju",
		    (uintmax_t)ncpus);
		return (-1);
	}
	if (explicit_cpus && (uint64_t)cpus != ncpus) {
		warnx("Topology (%ld sockets, %ld cores, %ld threads) does "
		    "not match %ld vCPUs", sockets, cores, threads, cpus);
		return (-1);
	}
	topo->ncpus = (int)ncpus;
	topo->sockets = (uint16_t)sockets;
	topo->cores = (uint16_t)cores;
	topo->threads = (uint16_t)threads;
	return (0);
}

/* A decimal number made of digits only, at most INT_MAX. */
static int
parse_decimal(const char *s, const char **endp, int *val)
{
	long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || v > INT_MAX)
		return (-1);
	*val = (int)v;
	*endp = end;
	return (0);
}

int
bhyve_pincpu_parse(const char *opt)
{
	const char *p;
	char key[32], *newval;
	const char *old;
	int vcpu, pcpu;

	if (parse_decimal(opt, &p, &vcpu) != 0 || *p != ':' ||
	    parse_decimal(p + 1, &p, &pcpu) != 0 || *p != '\0') {
		fprintf(stderr, "invalid format: %s\n", opt);
		return (-1);
	}
	if (pcpu >= CPU_SETSIZE) {
		fprintf(stderr, "hostcpu '%d' outside valid range from 0 to "
		    "%d\n", pcpu, CPU_SETSIZE - 1);
		return (-1);
	}
	snprintf(key, sizeof(key), "vcpu.%d.cpuset", vcpu);
	old = get_config_value(key);
	if (asprintf(&newval, "%s%s%d", old != NULL ? old : "",
	    old != NULL ? "," : "", pcpu) < 0)
		return (-1);
	set_config_value(key, newval);
	free(newval);
	return (0);
}

/* One host CPU number of a cpuset list (strtoul base 0, no sign). */
static int
parse_hostcpu(int vcpu, const char *list, const char *s, char **endp,
    unsigned long *cpu)
{
	if (!isdigit((unsigned char)*s)) {
		warnx("invalid cpuset for vcpu %d: '%s'", vcpu, list);
		return (-1);
	}
	errno = 0;
	*cpu = strtoul(s, endp, 0);
	if (errno != 0 || *cpu >= CPU_SETSIZE) {
		warnx("hostcpu '%.*s' outside valid range from 0 to %d",
		    (int)(*endp - s), s, CPU_SETSIZE - 1);
		return (-1);
	}
	return (0);
}

int
bhyve_parse_cpuset(int vcpu, const char *list, cpu_set_t *set)
{
	const char *tok;
	char *end;
	unsigned long cpu, start, c;
	bool range;

	CPU_ZERO(set);
	range = false;
	start = 0;
	for (tok = list;; tok = end + 1) {
		if (parse_hostcpu(vcpu, list, tok, &end, &cpu) != 0)
			return (-1);
		if (*end == '-') {
			if (range) {
				warnx("invalid cpuset for vcpu %d: '%s'", vcpu,
				    list);
				return (-1);
			}
			range = true;
			start = cpu;
			continue;
		}
		if (*end != ',' && *end != '\0') {
			warnx("invalid cpuset for vcpu %d: '%s'", vcpu, list);
			return (-1);
		}
		if (range && start > cpu) {
			warnx("Invalid hostcpu range %lu-%lu", start, cpu);
			return (-1);
		}
		for (c = range ? start : cpu; c <= cpu; c++)
			CPU_SET(c, set);
		range = false;
		if (*end == '\0')
			return (0);
	}
}

int
bhyve_vcpu_cpuset(int vcpu, cpu_set_t *set)
{
	const char *list;
	char key[32];

	snprintf(key, sizeof(key), "vcpu.%d.cpuset", vcpu);
	list = get_config_value(key);
	if (list == NULL)
		return (0);
	if (bhyve_parse_cpuset(vcpu, list, set) != 0)
		return (-1);
	return (1);
}

int
bhyve_check_cpusets(int ncpus)
{
	cpu_set_t set;
	int vcpu;

	for (vcpu = 0; vcpu < ncpus; vcpu++) {
		if (bhyve_vcpu_cpuset(vcpu, &set) < 0)
			return (-1);
	}
	return (0);
}

/* "w" prefix: wait for the debugger; the port follows the last ':'. */
int
bhyve_parse_gdb_options(const char *opt)
{
	const char *colon;
	char *addr;

	if (opt[0] == 'w') {
		set_config_bool("gdb.wait", true);
		opt++;
	}
	colon = strrchr(opt, ':');
	if (colon == NULL) {
		set_config_value("gdb.port", opt);
		return (0);
	}
	addr = strndup(opt, (size_t)(colon - opt));
	if (addr == NULL)
		return (-1);
	set_config_value("gdb.address", addr);
	free(addr);
	set_config_value("gdb.port", colon + 1);
	return (0);
}

int
bhyve_gdb_port(int *port)
{
	long v;

	if (config_int("gdb.port", 0, 65535, 0, &v) != 0)
		return (-1);
	*port = (int)v;
	return (0);
}

/* One "key=value" token of -n into *dom (id) or the node's keys. */
static int
numa_token(const char *opt, char *tok, long *id, const char **vals)
{
	static const char *const keys[] = { "size=", "cpus=",
	    "domain_policy=" };
	const char *v;
	char *end;
	size_t i;

	if ((v = skip_prefix(tok, "id=")) != NULL) {
		errno = 0;
		*id = strtol(v, &end, 0);
		if (errno != 0 || end == v || *end != '\0' || *id < 0 ||
		    *id > UINT8_MAX) {
			warnx("Invalid value for id: '%s'", v);
			return (-1);
		}
		return (0);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = skip_prefix(tok, keys[i])) != NULL) {
			vals[i] = v;
			return (0);
		}
	}
	warnx("Unknown NUMA option '%s' in '%s'", tok, opt);
	return (-1);
}

int
bhyve_numa_parse(const char *opt)
{
	static const char *const names[] = { "size", "cpus",
	    "domain_policy" };
	const char *vals[3] = { NULL, NULL, NULL };
	config_node_t *dom;
	char *copy, *str, *tok, path[32];
	long id;
	size_t i;
	int error;

	if (*opt == '\0')
		return (-1);
	copy = str = strdup(opt);
	if (copy == NULL)
		return (-1);
	id = -1;
	error = 0;
	while (error == 0 && (tok = strsep(&str, ",")) != NULL)
		error = numa_token(opt, tok, &id, vals);
	if (error == 0 && id < 0) {
		warnx("Missing NUMA domain ID in '%s'", opt);
		error = -1;
	}
	if (error == 0) {
		snprintf(path, sizeof(path), "domains.%ld", id);
		dom = create_config_node(path);
		for (i = 0; dom != NULL && i < 3; i++) {
			if (vals[i] != NULL)
				set_config_value_node(dom, names[i], vals[i]);
		}
		error = dom != NULL ? 0 : -1;
	}
	free(copy);
	return (error);
}

static void
fwcfg_usage(const char *opt)
{
	warnx("Invalid fw_cfg option \"%s\"", opt);
	warnx("-f [name=]<name>,(string|file)=<value>");
}

/* A file fw_cfg can serve: regular, readable, at most 4 GiB - 1. */
static int
fwcfg_check_file(const char *path)
{
	struct stat sb;
	FILE *fp;

	fp = fopen(path, "r");
	if (fp == NULL) {
		warn("Unable to open fw_cfg_user_file \"%s\"", path);
		return (-1);
	}
	if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uintmax_t)sb.st_size > UINT32_MAX) {
		warnx("Invalid fw_cfg_user_file file \"%s\"", path);
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	return (0);
}

static int
fwcfg_store(const char *name, size_t namelen, const char *kind,
    const char *data)
{
	config_node_t *file;
	char path[48], *nm;
	int idx;

	for (idx = 0;; idx++) {
		snprintf(path, sizeof(path), "fwcfg.file.%d", idx);
		if (find_config_node(path) == NULL)
			break;
	}
	file = create_config_node(path);
	nm = strndup(name, namelen);
	if (file == NULL || nm == NULL) {
		free(nm);
		return (-1);
	}
	set_config_value_node(file, "name", nm);
	set_config_value_node(file, kind, data);
	free(nm);
	return (0);
}

int
bhyve_fwcfg_parse(const char *opt)
{
	const char *name, *comma, *data;

	name = skip_prefix(opt, "name=");
	if (name == NULL)
		name = opt;
	comma = strchr(name, ',');
	if (comma == NULL || comma == name) {
		fwcfg_usage(opt);
		return (-1);
	}
	if (comma - name >= FWCFG_MAX_NAME) {
		warnx("fw_cfg name too long: \"%s\"", opt);
		return (-1);
	}
	if ((data = skip_prefix(comma + 1, "string=")) != NULL)
		return (fwcfg_store(name, (size_t)(comma - name), "string",
		    data));
	if ((data = skip_prefix(comma + 1, "file=")) != NULL) {
		if (fwcfg_check_file(data) != 0)
			return (-1);
		return (fwcfg_store(name, (size_t)(comma - name), "file",
		    data));
	}
	fwcfg_usage(opt);
	return (-1);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

int
bhyve_parse_uuid(const char *str, uint8_t *uuid)
{
	uint8_t buf[16] = { 0 };
	int i, n, hi, lo;

	if (*str != '\0') {
		if (strlen(str) != 36)
			return (-1);
		for (i = 0, n = 0; i < 36; i += 2, n++) {
			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (str[i] != '-')
					return (-1);
				i++;
			}
			hi = hexval((unsigned char)str[i]);
			lo = hexval((unsigned char)str[i + 1]);
			if (hi < 0 || lo < 0)
				return (-1);
			buf[n] = (uint8_t)(hi << 4 | lo);
		}
	}
	if (uuid != NULL)
		memcpy(uuid, buf, sizeof(buf));
	return (0);
}
