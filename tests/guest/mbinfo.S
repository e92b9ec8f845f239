/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The multiboot information the loader passes (spec 0.6.96 3.2, 3.3).
 * Run with a 64 MiB guest, the command line "hello=world" and module 1 =
 * tests/guest/mbinfo.dat (see run.sh); checks what any correct loader
 * must give (so the same guest passes under QEMU):
 *   EAX magic, flags, mem_lower/mem_upper, the memory map, the command
 *   line (file name first, then the arguments), module 1 with its bytes
 *   and name, page alignment, nothing overlapping the kernel.
 */
#define	GUEST_NAME	"mbinfo"
#include "lib.inc"

#define	MI_FLAGS	0
#define	MI_MEM_LOWER	4
#define	MI_MEM_UPPER	8
#define	MI_CMDLINE	16
#define	MI_MODS_COUNT	20
#define	MI_MODS_ADDR	24
#define	MI_MMAP_LEN	44
#define	MI_MMAP_ADDR	48
#define	MI_LOADER_NAME	64

	.text
test_main:
	EXPECT	mb_magic, $MB_BOOT_MAGIC, "EAX = 0x2BADB002"
	movl	mb_info, %ebx
	movl	MI_FLAGS(%ebx), %eax
	andl	$0x4d, %eax
	EXPECT	%eax, $0x4d, "flags: mem, cmdline, mods, mmap"
	/* The info must not lie on the kernel. */
	xorl	%eax, %eax
	cmpl	$_end, %ebx
	jae	1f
	cmpl	$0x100000 - 128, %ebx
	jbe	1f
	incl	%eax
1:	EXPECT	%eax, $0, "info block is outside the kernel"

	/* Memory sizes (KiB): 64 MiB guest. */
	movl	MI_MEM_LOWER(%ebx), %eax
	xorl	%ecx, %ecx
	cmpl	$512, %eax
	jb	1f
	cmpl	$639, %eax
	ja	1f
	incl	%ecx
1:	EXPECT	%ecx, $1, "mem_lower in 512..639 KiB (below the EBDA)"
	movl	MI_MEM_UPPER(%ebx), %eax
	xorl	%ecx, %ecx
	cmpl	$60 * 1024, %eax
	jb	1f
	cmpl	$63 * 1024, %eax
	ja	1f
	incl	%ecx
1:	EXPECT	%ecx, $1, "mem_upper in 60..63 MiB"

	call	t_mmap
	call	t_cmdline
	call	t_module
	ret

/*
 * Memory map: entries of size(4) base(8) length(8) type(4), `size` not
 * counting itself.  Want: [0, x) available, nothing available over the
 * EBDA and the 640K-1M hole (e820: reserved from 0x9FC00), [1M, >= 60M)
 * available, mem_lower and mem_upper as the map says.
 */
t_mmap:
	movl	mb_info, %ebx
	movl	MI_MMAP_ADDR(%ebx), %esi
	movl	MI_MMAP_LEN(%ebx), %edi
	addl	%esi, %edi		/* end */
	xorl	%edx, %edx		/* entries */
	movl	$0, mm_zero
	movl	$0, mm_hole
	movl	$0, mm_high
	movl	$0, mm_badsize
1:	cmpl	%edi, %esi
	jae	9f
	incl	%edx
	cmpl	$20, (%esi)
	jae	2f
	incl	mm_badsize
	jmp	9f
2:	cmpl	$1, 20(%esi)		/* available? */
	jne	8f
	movl	4(%esi), %eax		/* base (low) */
	movl	12(%esi), %ecx		/* length (low) */
	cmpl	$0, 8(%esi)
	jne	8f			/* above 4 GiB */
	testl	%eax, %eax
	jnz	3f
	movl	$1, mm_zero
	movl	%ecx, %ebp
	shrl	$10, %ebp
	movl	%ebp, mm_lower_kib
3:	/* does [base, base+len) touch [0x9FC00, 0x100000)? */
	leal	(%eax, %ecx), %ebp
	cmpl	$0x100000, %eax
	jae	4f
	cmpl	$0x9FC00, %ebp
	jbe	4f
	incl	mm_hole
4:	cmpl	$0x100000, %eax
	jne	8f
	cmpl	$60 << 20, %ecx
	jb	8f
	movl	$1, mm_high
	/* mem_upper is the KiB from 1 MiB: at most this entry's length. */
	shrl	$10, %ecx
	movl	%ecx, mm_upper_kib
8:	movl	(%esi), %eax
	leal	4(%esi, %eax), %esi
	cmpl	$64, %edx
	jb	1b
9:	EXPECT	mm_badsize, $0, "mmap entry sizes >= 20"
	xorl	%eax, %eax
	cmpl	$2, %edx
	setae	%al
	EXPECT	%eax, $1, "mmap has several entries"
	EXPECT	mm_zero, $1, "mmap: RAM at 0 available"
	EXPECT	mm_hole, $0, "mmap: EBDA to 1M not available"
	EXPECT	mm_high, $1, "mmap: RAM from 1 MiB available"
	movl	mb_info, %ebx
	movl	MI_MEM_UPPER(%ebx), %eax
	xorl	%ecx, %ecx
	cmpl	mm_upper_kib, %eax
	setbe	%cl
	EXPECT	%ecx, $1, "mem_upper agrees with the map"
	movl	mb_info, %ebx
	EXPECT	MI_MEM_LOWER(%ebx), mm_lower_kib, "mem_lower agrees with the map"
	ret

/* "path/mbinfo.elf [qemu] hello=world" */
t_cmdline:
	movl	mb_info, %ebx
	movl	MI_CMDLINE(%ebx), %esi
	/* First word: length in ECX. */
	movl	%esi, %edi
	xorl	%ecx, %ecx
1:	movb	(%edi, %ecx), %al
	testb	%al, %al
	jz	2f
	cmpb	$' ', %al
	je	2f
	incl	%ecx
	jmp	1b
2:	movl	%ecx, %edx		/* length of the first word */
	xorl	%eax, %eax
	cmpl	$10, %edx
	jb	3f
	leal	-10(%esi, %edx), %esi
	movl	$s_elf, %edi
	movl	$10, %ecx
	repe cmpsb
	sete	%al
3:	EXPECT	%eax, $1, "cmdline starts with the kernel file name"
	movl	mb_info, %ebx
	movl	MI_CMDLINE(%ebx), %esi
	movl	$s_hello, %edi
	call	has_word
	sete	%al
	movzbl	%al, %eax
	EXPECT	%eax, $1, "cmdline has the arguments"
	movl	mb_info, %ebx
	testl	$0x200, MI_FLAGS(%ebx)
	jz	4f
	movl	MI_LOADER_NAME(%ebx), %esi
	movzbl	(%esi), %eax
	xorl	%ecx, %ecx
	testl	%eax, %eax
	setnz	%cl
	EXPECT	%ecx, $1, "boot loader name"
	ret
4:	SKIP	"boot loader name", "flag 9 clear"
	ret

/* has_word(cmdline %esi, word %edi): ZF = 1 if a space-separated word
 * after the first equals the NUL-terminated word. */
has_word:
	pushal
1:	lodsb				/* skip to the next word */
	testb	%al, %al
	jz	8f
	cmpb	$' ', %al
	jne	1b
2:	movl	%edi, %ebx
3:	movb	(%ebx), %al
	testb	%al, %al
	jz	4f
	cmpb	(%esi), %al
	jne	1b
	incl	%esi
	incl	%ebx
	jmp	3b
4:	movb	(%esi), %al		/* word ended: so must the token */
	testb	%al, %al
	jz	9f
	cmpb	$' ', %al
	je	9f
	jmp	1b
8:	orl	$1, %eax		/* ZF = 0 */
	popal
	ret
9:	xorl	%eax, %eax		/* ZF = 1 */
	popal
	ret

t_module:
	movl	mb_info, %ebx
	EXPECT	MI_MODS_COUNT(%ebx), $1, "one module"
	cmpl	$1, MI_MODS_COUNT(%ebx)
	jne	9f
	movl	MI_MODS_ADDR(%ebx), %ebp
	movl	0(%ebp), %esi		/* mod_start */
	movl	4(%ebp), %ecx		/* mod_end */
	subl	%esi, %ecx
	EXPECT	%ecx, $(mod_expect_end - mod_expect), "module length"
	movl	%esi, %eax
	andl	$0xfff, %eax
	EXPECT	%eax, $0, "module is page-aligned"
	xorl	%eax, %eax
	cmpl	$_end, %esi
	setae	%al
	EXPECT	%eax, $1, "module lies above the kernel"
	movl	$mod_expect, %edi
	movl	$(mod_expect_end - mod_expect), %ecx
	repe cmpsb
	sete	%al
	movzbl	%al, %eax
	EXPECT	%eax, $1, "module contents"
	/* Module string ends with "mbinfo.dat". */
	movl	8(%ebp), %esi
	movl	%esi, %edi
	xorl	%ecx, %ecx
1:	cmpb	$0, (%edi, %ecx)
	je	2f
	incl	%ecx
	jmp	1b
2:	xorl	%eax, %eax
	cmpl	$10, %ecx
	jb	3f
	leal	-10(%esi, %ecx), %esi
	movl	$s_dat, %edi
	movl	$10, %ecx
	repe cmpsb
	sete	%al
3:	EXPECT	%eax, $1, "module string is its file name"
9:	ret

	.section .rodata
s_elf:		.ascii	"mbinfo.elf"
s_dat:		.ascii	"mbinfo.dat"
s_hello:	.asciz	"hello=world"
mod_expect:	.ascii	"bhyve multiboot module 1\n"	/* = mbinfo.dat */
mod_expect_end:

	.data
mm_zero:	.long	0
mm_hole:	.long	0
mm_high:	.long	0
mm_badsize:	.long	0
mm_upper_kib:	.long	0
mm_lower_kib:	.long	0
