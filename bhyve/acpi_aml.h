/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small AML encoder (ACPI 6.4 chapter 20, "ACPI Machine Language
 * Specification") for the DSDT we generate at startup: names, scopes,
 * devices, methods, packages, buffers, integers in their shortest form,
 * resource templates (ACPI 6.4 6.4 "Resource Data Types") and the few
 * operators our methods need.
 *
 * Use: aml_init(), emit, aml_end() closes the innermost open construct
 * (scope, device, method, package, buffer, if, else, field), then
 * aml_error() (0 or a negative errno, sticky) and the bytes in a->buf.
 */
#ifndef _BHYVE_ACPI_AML_H_
#define _BHYVE_ACPI_AML_H_

#include <stddef.h>
#include <stdint.h>

#define	AML_MAXDEPTH	32

struct aml {
	uint8_t		*buf;
	size_t		len;
	size_t		cap;
	int		error;		/* first error, sticky */
	int		depth;
	struct {
		size_t	start;		/* where the PkgLength goes */
		int	kind;
	} open[AML_MAXDEPTH];
};

void	aml_init(struct aml *a);
void	aml_free(struct aml *a);
int	aml_error(const struct aml *a);

/* Raw bytes. */
void	aml_byte(struct aml *a, uint8_t b);
void	aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * A NameString (20.2.2): "\\" root and "^" parent prefixes, segments
 * separated by '.', each padded to 4 characters with '_'.
 */
void	aml_namestring(struct aml *a, const char *path);
/* Integer constants: Zero, One, Ones (all 64 bits), else Byte/Word/
 * DWord/QWord prefix, whichever is shortest (20.2.3). */
void	aml_integer(struct aml *a, uint64_t v);
void	aml_string(struct aml *a, const char *s);
/* EisaId("PNP0A03") as a DWordConst (6.1.5 _HID). */
void	aml_eisaid(struct aml *a, const char *id);
uint32_t aml_eisaid_value(const char *id);

/* Name(path, ...) : the value follows. */
void	aml_name(struct aml *a, const char *path);
/* Name(path, integer) and Name(path, "string"). */
void	aml_name_integer(struct aml *a, const char *path, uint64_t v);
void	aml_name_string(struct aml *a, const char *path, const char *s);

/* Constructs closed by aml_end(). */
void	aml_scope(struct aml *a, const char *path);
void	aml_device(struct aml *a, const char *path);
/* flags: argument count 0-7 | AML_METHOD_SERIALIZED. */
#define	AML_METHOD_SERIALIZED	0x08
void	aml_method(struct aml *a, const char *path, int flags);
void	aml_package(struct aml *a, int nelem);
void	aml_buffer(struct aml *a);
void	aml_if(struct aml *a);		/* predicate, then the body */
void	aml_else(struct aml *a);
void	aml_end(struct aml *a);

/* OperationRegion (20.2.5.2) and Field (field list via aml_field_*). */
#define	AML_REGION_SYSMEM	0x00
#define	AML_REGION_SYSIO	0x01
#define	AML_REGION_PCICFG	0x02
void	aml_opregion(struct aml *a, const char *name, int space,
	    uint64_t offset, uint64_t len);
/* flags: access type (1 ByteAcc...) | lock | update rule (19.6.48). */
void	aml_field(struct aml *a, const char *region, int flags);
void	aml_field_named(struct aml *a, const char *seg, uint32_t bits);
void	aml_field_reserved(struct aml *a, uint32_t bits);

/* Operator opcodes that take plain operands (20.2.5.4). */
#define	AML_OP_STORE		0x70
#define	AML_OP_SUBTRACT		0x74
#define	AML_OP_DECREMENT	0x76
#define	AML_OP_SHIFTLEFT	0x79
#define	AML_OP_AND		0x7B
#define	AML_OP_OR		0x7D
#define	AML_OP_FINDSETRIGHTBIT	0x82
#define	AML_OP_CREATEWORDFIELD	0x8B
#define	AML_OP_LEQUAL		0x93
#define	AML_OP_RETURN		0xA4
#define	AML_LOCAL0		0x60
#define	AML_ARG0		0x68
#define	AML_NULLNAME		0x00	/* "no target" */

/* Resource templates: aml_rt_begin() ... aml_rt_end(). */
void	aml_rt_begin(struct aml *a);
void	aml_rt_end(struct aml *a);
/* IO(Decode16, min, max, align, len) */
void	aml_rt_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
	    uint8_t len);
/* IRQNoFlags{...} (flags < 0) or IRQ(...) with flags (6.4.2.1). */
#define	AML_IRQ_EDGE		0x01
#define	AML_IRQ_ACTIVE_LOW	0x08
#define	AML_IRQ_SHARED		0x10
void	aml_rt_irq(struct aml *a, uint16_t mask, int flags);
void	aml_rt_memory32_fixed(struct aml *a, int rw, uint32_t base,
	    uint32_t len);
void	aml_rt_word_bus(struct aml *a, uint16_t min, uint16_t max);
void	aml_rt_word_io(struct aml *a, uint16_t min, uint16_t max);
void	aml_rt_dword_memory(struct aml *a, uint32_t min, uint32_t max);
void	aml_rt_qword_memory(struct aml *a, uint64_t min, uint64_t max);

#endif /* _BHYVE_ACPI_AML_H_ */
