/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Firmware tables as a legacy OS finds them (README "Firmware tables"):
 *   - the ACPI RSDP on a 16-byte boundary in 0xE0000-0xFFFFF (ACPI 6.4
 *     5.2.5.1) with valid 20- and 36-byte checksums, its RSDT, and
 *     through the RSDT the FADT, its DSDT and the MADT, all checksummed;
 *   - the MP floating pointer in 0xF0000-0xFFFFF and its configuration
 *     table (MP spec 1.4 4.1, 4.2), checksummed;
 *   - the SMBIOS 2.x entry point "_SM_" (DSP0134 5.2.1) and the 3.0 one
 *     "_SM3_" (5.2.2) naming the same structure table (skipped under
 *     QEMU, whose firmware may offer only one of them).
 * The guest runs unpaged in 32-bit mode, so every table below 4 GiB is
 * reachable directly.
 */
#define	GUEST_NAME	"acpi"
#include "lib.inc"

#define	SIG_RSD		0x20445352	/* "RSD " */
#define	SIG_PTR		0x20525450	/* "PTR " */
#define	SIG_RSDT	0x54445352
#define	SIG_FACP	0x50434146
#define	SIG_DSDT	0x54445344
#define	SIG_APIC	0x43495041
#define	SIG_MP		0x5F504D5F	/* "_MP_" */
#define	SIG_PCMP	0x504D4350
#define	SIG_SM		0x5F4D535F	/* "_SM_" */
#define	SIG_SM3		0x334D535F	/* "_SM3" (then "_") */

	.text
test_main:
	call	t_rsdp
	call	t_mptable
	call	t_smbios
	call	t_smbios3
	ret

/* sum8(%esi = address, %ecx = length) -> %eax = byte sum; %ecx, %edx
 * clobbered. */
sum8:
	xorl	%eax, %eax
	xorl	%edx, %edx
	jecxz	2f
1:	addb	(%esi, %edx), %al
	incl	%edx
	cmpl	%ecx, %edx
	jb	1b
2:	ret

/* scan(%eax = signature dword, %ebx = start, %ecx = end) -> %eax =
 * address of the first 16-byte aligned match, or 0. */
scan:
1:	cmpl	%ecx, %ebx
	jae	2f
	cmpl	%eax, (%ebx)
	je	3f
	addl	$16, %ebx
	jmp	1b
2:	xorl	%ebx, %ebx
3:	movl	%ebx, %eax
	ret

/* table_ok(%esi = table) -> %eax = 0 if its checksum over its length
 * (offset 4) is right. */
table_ok:
	movl	4(%esi), %ecx
	cmpl	$36, %ecx
	jb	1f
	cmpl	$0x100000, %ecx
	ja	1f
	call	sum8
	ret
1:	movl	$-1, %eax
	ret

/* rsdt_find(%eax = signature) -> %eax = table or 0 (rsdt in `rsdt'). */
rsdt_find:
	movl	rsdt, %esi
	movl	4(%esi), %ecx
	subl	$36, %ecx
	shrl	$2, %ecx
	leal	36(%esi), %edi
1:	jecxz	2f
	movl	(%edi), %edx
	cmpl	%eax, (%edx)
	je	3f
	addl	$4, %edi
	decl	%ecx
	jmp	1b
2:	xorl	%edx, %edx
3:	movl	%edx, %eax
	ret

t_rsdp:
	/* "RSD PTR " anywhere in 0xE0000-0xFFFFF, 16-byte aligned. */
	movl	$0xE0000, %ebx
1:	movl	$SIG_RSD, %eax
	movl	$0x100000, %ecx
	call	scan
	testl	%eax, %eax
	jz	2f
	cmpl	$SIG_PTR, 4(%eax)
	je	2f
	leal	16(%eax), %ebx
	jmp	1b
2:	movl	%eax, rsdp
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT	%ecx, $1, "RSDP found in 0xE0000-0xFFFFF"
	cmpl	$0, rsdp
	je	9f
	movl	rsdp, %esi
	movl	$20, %ecx
	call	sum8
	EXPECT	%eax, $0, "RSDP checksum (20 bytes)"
	movl	rsdp, %esi
	movzbl	15(%esi), %eax
	cmpl	$2, %eax
	jb	3f
	movl	20(%esi), %ecx
	call	sum8
	EXPECT	%eax, $0, "RSDP extended checksum"
3:	movl	rsdp, %esi
	movl	16(%esi), %esi
	movl	%esi, rsdt
	movl	(%esi), %eax
	EXPECT	%eax, $SIG_RSDT, "RSDT signature"
	movl	rsdt, %esi
	call	table_ok
	EXPECT	%eax, $0, "RSDT checksum"
	movl	$SIG_FACP, %eax
	call	rsdt_find
	movl	%eax, fadt
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT	%ecx, $1, "FADT listed in the RSDT"
	cmpl	$0, fadt
	je	4f
	movl	fadt, %esi
	call	table_ok
	EXPECT	%eax, $0, "FADT checksum"
	movl	fadt, %esi
	movl	40(%esi), %esi
	movl	%esi, dsdt
	movl	(%esi), %eax
	EXPECT	%eax, $SIG_DSDT, "DSDT signature"
	movl	dsdt, %esi
	call	table_ok
	EXPECT	%eax, $0, "DSDT checksum"
4:	movl	$SIG_APIC, %eax
	call	rsdt_find
	movl	%eax, madt
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT	%ecx, $1, "MADT listed in the RSDT"
	cmpl	$0, madt
	je	9f
	movl	madt, %esi
	call	table_ok
	EXPECT	%eax, $0, "MADT checksum"
	movl	madt, %esi
	movl	36(%esi), %eax
	EXPECT	%eax, $0xFEE00000, "MADT local APIC address"
9:	ret

t_mptable:
	movl	$SIG_MP, %eax
	movl	$0xF0000, %ebx
	movl	$0x100000, %ecx
	call	scan
	movl	%eax, mpfp
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT	%ecx, $1, "MP floating pointer found"
	cmpl	$0, mpfp
	je	9f
	movl	mpfp, %esi
	movzbl	8(%esi), %ecx
	shll	$4, %ecx
	call	sum8
	EXPECT	%eax, $0, "MP floating pointer checksum"
	movl	mpfp, %esi
	movl	4(%esi), %esi
	movl	%esi, mpct
	movl	(%esi), %eax
	EXPECT	%eax, $SIG_PCMP, "MP configuration table signature"
	movl	mpct, %esi
	movzwl	4(%esi), %ecx
	call	sum8
	EXPECT	%eax, $0, "MP configuration table checksum"
9:	ret

t_smbios:
	movl	$SIG_SM, %eax
	movl	$0xF0000, %ebx
	movl	$0x100000, %ecx
	call	scan
	movl	%eax, smeps
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT_NQ %ecx, $1, "SMBIOS entry point found"
	cmpl	$0, smeps
	je	9f
	movl	smeps, %esi
	movzbl	5(%esi), %ecx
	call	sum8
	EXPECT_NQ %eax, $0, "SMBIOS entry point checksum"
9:	ret

t_smbios3:
	movl	$SIG_SM3, %eax
	movl	$0xF0000, %ebx
	movl	$0x100000, %ecx
	call	scan
	movl	%eax, sm3eps
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT_NQ %ecx, $1, "SMBIOS 3.0 entry point found"
	cmpl	$0, sm3eps
	je	9f
	movl	sm3eps, %esi
	movzbl	6(%esi), %ecx
	call	sum8
	EXPECT_NQ %eax, $0, "SMBIOS 3.0 entry point checksum"
	cmpl	$0, smeps
	je	9f
	/* Its 64-bit table address is the 32-bit one's. */
	movl	sm3eps, %esi
	movl	16(%esi), %eax
	movl	20(%esi), %edx
	movl	smeps, %esi
	xorl	%ecx, %ecx
	cmpl	24(%esi), %eax
	jne	1f
	testl	%edx, %edx
	jnz	1f
	incl	%ecx
1:	EXPECT_NQ %ecx, $1, "SMBIOS entry points name one table"
9:	ret

	.data
rsdp:	.long	0
rsdt:	.long	0
fadt:	.long	0
dsdt:	.long	0
madt:	.long	0
mpfp:	.long	0
mpct:	.long	0
smeps:	.long	0
sm3eps:	.long	0
