/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every harness shares: the libFuzzer entry points and a cursor
 * that hands out fuzzer bytes (zeroes once the input is used up, so a
 * harness never has to check for the end in the middle of an operation).
 */
#ifndef _TESTS_FUZZ_FUZZ_H_
#define _TESTS_FUZZ_FUZZ_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

struct fz {
	const uint8_t	*p;
	size_t		n;
};

static inline int
fz_empty(const struct fz *f)
{
	return (f->n == 0);
}

static inline uint8_t
fz_u8(struct fz *f)
{
	uint8_t v;

	if (f->n == 0)
		return (0);
	v = *f->p++;
	f->n--;
	return (v);
}

static inline uint16_t
fz_u16(struct fz *f)
{
	uint16_t v = fz_u8(f);

	return ((uint16_t)(v | fz_u8(f) << 8));
}

static inline uint32_t
fz_u32(struct fz *f)
{
	uint32_t v = fz_u16(f);

	return (v | (uint32_t)fz_u16(f) << 16);
}

static inline uint64_t
fz_u64(struct fz *f)
{
	uint64_t v = fz_u32(f);

	return (v | (uint64_t)fz_u32(f) << 32);
}

/*
 * An invariant of the code under test does not hold: report and abort
 * so the fuzzer records the input (assert() would vanish with NDEBUG).
 */
#define	FZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif /* _TESTS_FUZZ_FUZZ_H_ */
