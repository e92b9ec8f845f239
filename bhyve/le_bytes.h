/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Little-endian fields and 8-bit checksums for the firmware tables the
 * host builds into guest memory (ACPI, MP, SMBIOS, E820, fw_cfg items)
 * and the kernel file formats the boot loaders parse.
 */
#ifndef _BHYVE_LE_BYTES_H_
#define _BHYVE_LE_BYTES_H_

#include <stddef.h>
#include <stdint.h>

/* Store the low `n' bytes of `v' at `p', least significant first. */
static inline void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The `n'-byte little-endian value at `p'. */
static inline uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return (v);
}

/* Typed shorthands, for parsers of file formats (boot loaders). */
static inline uint16_t
rd_le16(const uint8_t *p)
{
	return ((uint16_t)get_le(p, 2));
}

static inline uint32_t
rd_le32(const uint8_t *p)
{
	return ((uint32_t)get_le(p, 4));
}

static inline uint64_t
rd_le64(const uint8_t *p)
{
	return (get_le(p, 8));
}

static inline void
wr_le16(uint8_t *p, uint16_t v)
{
	put_le(p, v, 2);
}

static inline void
wr_le32(uint8_t *p, uint32_t v)
{
	put_le(p, v, 4);
}

static inline void
wr_le64(uint8_t *p, uint64_t v)
{
	put_le(p, v, 8);
}

/* Sum of `n' bytes modulo 256 (a valid table sums to 0). */
static inline uint8_t
byte_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n-- > 0)
		s = (uint8_t)(s + *p++);
	return (s);
}

#endif /* _BHYVE_LE_BYTES_H_ */
