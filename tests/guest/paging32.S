/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Paging outside long mode (SDM Vol 3 5.3, 5.4): 32-bit paging with 4 KiB
 * and 4 MiB (PSE) pages, then PAE paging with 2 MiB pages.  Aliases,
 * accessed/dirty bits, not-present and write-protect page faults with
 * their error codes and CR2, CR0.WP, INVLPG and CR3 reloads.
 *
 * 32-bit paging layout:
 *   0 .. 4 MiB        identity, 4 KiB pages (pt0)
 *   4 .. 64 MiB       identity, 4 MiB pages
 *   0x80000000        4 MiB page onto physical 0
 *   0xc0000000        4 KiB pages (pt1): [0] -> 0x300000 read-only,
 *                     [1] -> 0x301000, [2] not present
 */
#define	GUEST_NAME	"paging32"
#include "lib.inc"

#define	PG_P	0x001
#define	PG_W	0x002
#define	PG_A	0x020
#define	PG_D	0x040
#define	PG_PS	0x080
#define	CR0_PG	0x80000000
#define	CR0_WP	0x00010000
#define	CR4_PSE	0x10
#define	CR4_PAE	0x20

	.text
test_main:
	movl	$1, %eax
	cpuid
	movl	%edx, cpuid1_edx
	call	build_pd
	call	t_paging32
	call	paging_off
	call	t_pae
	call	paging_off
	ret

paging_off:
	movl	%cr0, %eax
	andl	$~CR0_PG, %eax
	movl	%eax, %cr0
	movl	%cr4, %eax
	andl	$~(CR4_PSE | CR4_PAE), %eax
	movl	%eax, %cr4
	ret

build_pd:
	/* pt0: identity 0 .. 4 MiB. */
	movl	$pt0, %edi
	movl	$(PG_P | PG_W), %eax
	movl	$1024, %ecx
1:	stosl
	addl	$0x1000, %eax
	loop	1b
	movl	$pd, %edi
	movl	$(pt0 + PG_P + PG_W), (%edi)
	/* 4 MiB pages for 4 .. 64 MiB. */
	movl	$1, %ecx
2:	movl	%ecx, %eax
	shll	$22, %eax
	orl	$(PG_P | PG_W | PG_PS), %eax
	movl	%eax, (%edi, %ecx, 4)
	incl	%ecx
	cmpl	$16, %ecx
	jb	2b
	movl	$(PG_P | PG_W | PG_PS), pd + 0x200 * 4
	movl	$(pt1 + PG_P + PG_W), pd + 0x300 * 4
	movl	$(0x300000 | PG_P), pt1		/* read-only */
	movl	$(0x301000 | PG_P | PG_W), pt1 + 4
	ret

t_paging32:
	testl	$0x8, cpuid1_edx	/* PSE */
	jnz	1f
	SKIP	"32-bit paging", "no PSE"
	ret
1:	movl	%cr4, %eax
	orl	$CR4_PSE, %eax
	movl	%eax, %cr4
	movl	$pd, %eax
	movl	%eax, %cr3
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	jmp	2f			/* paging on, identity-mapped */
2:	movl	%cr0, %eax
	andl	$CR0_PG, %eax
	EXPECT	%eax, $CR0_PG, "32-bit paging on"
	movl	$0x13579bdf, 0x200000
	movl	0x80200000, %eax
	EXPECT	%eax, $0x13579bdf, "4 MiB page alias"
	movl	$0x2468ace0, scratch
	movl	$scratch + 0x80000000, %esi
	movl	(%esi), %eax
	EXPECT	%eax, $0x2468ace0, "4 MiB page over 4 KiB-mapped memory"
	movl	$0x11111111, 0x300000
	movl	$0x22222222, 0x301000
	movl	0xc0000000, %eax
	EXPECT	%eax, $0x11111111, "4 KiB page 0"
	movl	0xc0001000, %eax
	EXPECT	%eax, $0x22222222, "4 KiB page 1"
	/* Accessed and dirty bits. */
	movl	pt1, %eax
	andl	$(PG_A | PG_D), %eax
	EXPECT	%eax, $PG_A, "read sets A, not D"
	movl	$0x33333333, 0xc0001000
	movl	pt1 + 4, %eax
	andl	$(PG_A | PG_D), %eax
	EXPECT	%eax, $(PG_A | PG_D), "write sets D"
	movl	pd + 0x200 * 4, %eax
	andl	$PG_A, %eax
	EXPECT	%eax, $PG_A, "4 MiB PDE: A set"
	/* Faults. */
	EXPECT_FAULT 3f
	movl	0xc0002000, %eax
3:	EXPECT_VEC 14, "not-present: #PF"
	EXPECT	exc_errcode, $0, "#PF error code 0"
	movl	%cr2, %eax
	EXPECT	%eax, $0xc0002000, "CR2"
	EXPECT_FAULT 3f
	movl	$1, 0xc0000004
3:	EXPECT_VEC 14, "write to read-only with WP: #PF"
	EXPECT	exc_errcode, $3, "#PF error code: present, write"
	EXPECT	0x300004, $0, "the write did not happen"
	movl	%cr0, %eax
	andl	$~CR0_WP, %eax
	movl	%eax, %cr0
	movl	$0x44, 0xc0000004
	EXPECT	0x300004, $0x44, "CR0.WP = 0: supervisor writes read-only"
	movl	%cr0, %eax
	orl	$CR0_WP, %eax
	movl	%eax, %cr0
	/* Remap, INVLPG, CR3 reload. */
	movl	0xc0001000, %eax
	movl	$(0x302000 | PG_P | PG_W), pt1 + 4
	movl	$0x55555555, 0x302000
	invlpg	0xc0001000
	movl	0xc0001000, %eax
	EXPECT	%eax, $0x55555555, "remap after INVLPG"
	movl	$(0x301000 | PG_P | PG_W), pt1 + 4
	movl	%cr3, %eax
	movl	%eax, %cr3
	movl	0xc0001000, %eax
	EXPECT	%eax, $0x33333333, "remap after CR3 reload"
	/* A fault while paging: page not present in the PDE itself. */
	EXPECT_FAULT 3f
	movl	0x40000000, %eax
3:	EXPECT_VEC 14, "PDE not present: #PF"
	ret

/* PAE: 4 PDPTEs, PD0 with 2 MiB pages, identity for the first 1 GiB. */
t_pae:
	testl	$0x40, cpuid1_edx	/* PAE */
	jnz	1f
	SKIP	"PAE paging", "no PAE"
	ret
1:	movl	$pae_pd, %edi
	xorl	%ecx, %ecx
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$(PG_P | PG_W | PG_PS), %eax
	movl	%eax, (%edi, %ecx, 8)
	movl	$0, 4(%edi, %ecx, 8)
	incl	%ecx
	cmpl	$512, %ecx
	jb	2b
	movl	$(pae_pd + PG_P), pdpt
	movl	$(pae_pd2 + PG_P), pdpt + 16	/* 2..3 GiB */
	movl	$(0x200000 | PG_P | PG_W | PG_PS), pae_pd2
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$pdpt, %eax
	movl	%eax, %cr3
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	jmp	3f
3:	movl	$0x600dcafe, 0x200040
	movl	0x80000040, %eax
	EXPECT	%eax, $0x600dcafe, "PAE: 2 MiB page alias"
	movl	pae_pd2, %eax
	andl	$PG_A, %eax
	EXPECT	%eax, $PG_A, "PAE: PDE A set"
	EXPECT_FAULT 4f
	movl	0x40000000, %eax	/* PDPTE 1 not present */
4:	EXPECT_VEC 14, "PAE: PDPTE not present: #PF"
	movl	%cr2, %eax
	EXPECT	%eax, $0x40000000, "PAE: CR2"
	ret

	.data
cpuid1_edx:	.long	0
	.p2align 5
pdpt:	.fill	4, 8, 0

	.bss
	.p2align 12
pd:	.space	4096
pt0:	.space	4096
pt1:	.space	4096
pae_pd:	.space	4096
pae_pd2: .space	4096
scratch: .space	16
