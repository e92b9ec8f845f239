/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_parse_memsize(): the guest memory size syntax of bhyve -m,
 * bhyveload -m and the memory.size config variable.
 *
 * A plain number (strtoul base 0: decimal, 0x hex, 0 octal) below 1 MiB
 * counts megabytes, for compatibility with old command lines; a larger
 * plain number counts bytes.  Otherwise the syntax is expand_number(3)'s:
 * a number, then one of the units k m g t p e (either case, powers of
 * 1024) optionally followed by 'b', or a lone 'b' for bytes.
 *
 * Stricter than the FreeBSD library on purpose: no leading whitespace or
 * sign (strtoul would wrap "-1" to a huge size), nothing after the unit,
 * and overflow is an error rather than a silently clamped value.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "libvmmapi/vmmapi.h"

#define	MEMSIZE_MB	(1024UL * 1024)

static int
unit_shift(int c)
{
	switch (tolower(c)) {
	case 'b':
		return (0);
	case 'k':
		return (10);
	case 'm':
		return (20);
	case 'g':
		return (30);
	case 't':
		return (40);
	case 'p':
		return (50);
	case 'e':
		return (60);
	default:
		return (-1);
	}
}

/*
 * Parse the number that starts `s' into *val; *endp is set past it.
 * -1 with errno for no digits, a sign, leading blanks or overflow.
 */
static int
parse_number(const char *s, uint64_t *val, const char **endp)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s)) {
		errno = EINVAL;
		return (-1);
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0)
		return (-1);
	if (end == s) {
		errno = EINVAL;
		return (-1);
	}
	*val = v;
	*endp = end;
	return (0);
}

static int
apply_unit(uint64_t num, const char *unit, uint64_t *bytes)
{
	int shift;

	shift = unit_shift((unsigned char)unit[0]);
	if (shift < 0) {
		errno = EINVAL;
		return (-1);
	}
	unit++;
	/* "kb", "MB": the 'b' after a multiplier means bytes, no more. */
	if (shift != 0 && tolower((unsigned char)*unit) == 'b')
		unit++;
	if (*unit != '\0') {
		errno = EINVAL;
		return (-1);
	}
	if (shift != 0 && (num << shift) >> shift != num) {
		errno = ERANGE;
		return (-1);
	}
	*bytes = num << shift;
	return (0);
}

int
vm_parse_memsize(const char *opt, size_t *memsize)
{
	const char *end;
	uint64_t num, bytes;

	if (opt == NULL || memsize == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (parse_number(opt, &num, &end) != 0)
		return (-1);
	if (*end == '\0') {
		if (num < MEMSIZE_MB)
			num *= MEMSIZE_MB;
		bytes = num;
	} else if (apply_unit(num, end, &bytes) != 0) {
		return (-1);
	}
	if (bytes > SIZE_MAX) {
		errno = ERANGE;
		return (-1);
	}
	*memsize = (size_t)bytes;
	return (0);
}
