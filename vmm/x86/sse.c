/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MMX, SSE, SSE2, SSE3, SSSE3, SSE4.1 and SSE4.2 (SDM Vol 1 ch. 9-12,
 * Vol 2 instruction pages; opcode maps Vol 2 Appendix A).
 *
 * Backend choice: the host is x86-64 (this emulator runs x86 guests on
 * x86 hosts), so every arithmetic operation is executed by the HOST's own
 * MMX/SSE instruction through inline assembly: the guest's MXCSR (rounding
 * control, DAZ, FTZ) is loaded into the host MXCSR with every exception
 * masked, the instruction runs on copies of the guest registers, the
 * host flags are read back and the host MXCSR restored.  Results are
 * bit-exact with hardware (NaN propagation, denormals, rounding).  The
 * guest's exception rules are then applied from the returned flags: an
 * unmasked exception leaves the destination unchanged and raises #XM
 * (CR4.OSXMMEXCPT = 1) or #UD.  Pure data movement (moves, shuffles,
 * inserts/extracts, blends, masks) is plain C.  A portable soft-float
 * backend could replace the h_* helpers without touching the handlers.
 *
 * Register state is cpu->fxstate (fpu.h).  MMX registers alias the x87
 * registers R0..R7: every MMX instruction sets TOP = 0 and all tags
 * valid, a write sets bits 64-79 to ones (SDM Vol 1 9.5); host MMX
 * instructions are followed by EMMS so the host x87 stays usable.
 *
 * Choices where the manuals leave results open (see issue 6 report):
 *   - unmasked exceptions on packed operations: when any unmasked
 *     pre-computation exception (#I, #D, #Z) occurs in any element, only
 *     those flags are set in MXCSR; otherwise all flags of all elements.
 *     The destination is never written (SDM Vol 1 11.5.2).
 *   - RCPPS/RCPSS/RSQRTPS/RSQRTSS approximations ("relative error <=
 *     1.5 * 2^-12") are the host CPU's own values, so they may differ
 *     between Intel and AMD hosts.
 *   - MXCSR_MASK is 0xFFFF (DAZ supported, no AMD MM bit), whatever the
 *     host reports.
 *   - PCMPxSTRx imm8[7] (reserved) is passed to the host unchanged.
 *   - MOVNT* stores are plain stores (no cache model).
 */
#include "vmm/x86/fpu.h"

typedef union {
	uint8_t		b[16];
	int8_t		sb[16];
	uint16_t	w[8];
	int16_t		sw[8];
	uint32_t	d[4];
	int32_t		sd[4];
	uint64_t	q[2];
	int64_t		sq[2];
	float		f[4];
	double		df[2];
} v128;

typedef long long vx __attribute__((vector_size(16)));

/* Host op on xmm registers: d = d OP s. */
#define HOPX(name, ins) \
static void \
name(v128 *d, const v128 *s) \
{ \
	vx a, b; \
 \
	memcpy(&a, d, 16); \
	memcpy(&b, s, 16); \
	__asm__ volatile(ins " %1, %0" : "+x" (a) : "x" (b)); \
	memcpy(d, &a, 16); \
}

/* Host op on MMX registers (low 8 bytes), then EMMS for the host x87. */
#define HOPM(name, ins) \
static void \
name(v128 *d, const v128 *s) \
{ \
	__asm__ volatile("movq %0, %%mm0\n\t" ins " %1, %%mm0\n\t" \
	    "movq %%mm0, %0\n\temms" : "+m" (d->q[0]) : "m" (s->q[0]) \
	    : "mm0"); \
}

typedef void (*hop_t)(v128 *, const v128 *);

/* Table row: host op, memory operand size, 16-byte alignment, uses MXCSR. */
struct sop {
	hop_t		fn;
	uint8_t		msize;
	uint8_t		align;
	uint8_t		fp;
};

HOPX(h_unpcklpd, "unpcklpd")
HOPX(h_unpckhpd, "unpckhpd")
HOPX(h_sqrtpd, "sqrtpd")
HOPX(h_andpd, "andpd")
HOPX(h_andnpd, "andnpd")
HOPX(h_orpd, "orpd")
HOPX(h_xorpd, "xorpd")
HOPX(h_addpd, "addpd")
HOPX(h_mulpd, "mulpd")
HOPX(h_cvtpd2ps, "cvtpd2ps")
HOPX(h_cvtps2dq, "cvtps2dq")
HOPX(h_subpd, "subpd")
HOPX(h_minpd, "minpd")
HOPX(h_divpd, "divpd")
HOPX(h_maxpd, "maxpd")
HOPX(h_punpcklbw, "punpcklbw")
HOPX(h_punpcklwd, "punpcklwd")
HOPX(h_punpckldq, "punpckldq")
HOPX(h_packsswb, "packsswb")
HOPX(h_pcmpgtb, "pcmpgtb")
HOPX(h_pcmpgtw, "pcmpgtw")
HOPX(h_pcmpgtd, "pcmpgtd")
HOPX(h_packuswb, "packuswb")
HOPX(h_punpckhbw, "punpckhbw")
HOPX(h_punpckhwd, "punpckhwd")
HOPX(h_punpckhdq, "punpckhdq")
HOPX(h_packssdw, "packssdw")
HOPX(h_punpcklqdq, "punpcklqdq")
HOPX(h_punpckhqdq, "punpckhqdq")
HOPX(h_pcmpeqb, "pcmpeqb")
HOPX(h_pcmpeqw, "pcmpeqw")
HOPX(h_pcmpeqd, "pcmpeqd")
HOPX(h_haddpd, "haddpd")
HOPX(h_hsubpd, "hsubpd")
HOPX(h_addsubpd, "addsubpd")
HOPX(h_psrlw, "psrlw")
HOPX(h_psrld, "psrld")
HOPX(h_psrlq, "psrlq")
HOPX(h_paddq, "paddq")
HOPX(h_pmullw, "pmullw")
HOPX(h_psubusb, "psubusb")
HOPX(h_psubusw, "psubusw")
HOPX(h_pminub, "pminub")
HOPX(h_pand, "pand")
HOPX(h_paddusb, "paddusb")
HOPX(h_paddusw, "paddusw")
HOPX(h_pmaxub, "pmaxub")
HOPX(h_pandn, "pandn")
HOPX(h_pavgb, "pavgb")
HOPX(h_psraw, "psraw")
HOPX(h_psrad, "psrad")
HOPX(h_pavgw, "pavgw")
HOPX(h_pmulhuw, "pmulhuw")
HOPX(h_pmulhw, "pmulhw")
HOPX(h_cvttpd2dq, "cvttpd2dq")
HOPX(h_psubsb, "psubsb")
HOPX(h_psubsw, "psubsw")
HOPX(h_pminsw, "pminsw")
HOPX(h_por, "por")
HOPX(h_paddsb, "paddsb")
HOPX(h_paddsw, "paddsw")
HOPX(h_pmaxsw, "pmaxsw")
HOPX(h_pxor, "pxor")
HOPX(h_psllw, "psllw")
HOPX(h_pslld, "pslld")
HOPX(h_psllq, "psllq")
HOPX(h_pmuludq, "pmuludq")
HOPX(h_pmaddwd, "pmaddwd")
HOPX(h_psadbw, "psadbw")
HOPX(h_psubb, "psubb")
HOPX(h_psubw, "psubw")
HOPX(h_psubd, "psubd")
HOPX(h_psubq, "psubq")
HOPX(h_paddb, "paddb")
HOPX(h_paddw, "paddw")
HOPX(h_paddd, "paddd")
HOPX(h_unpcklps, "unpcklps")
HOPX(h_unpckhps, "unpckhps")
HOPX(h_sqrtps, "sqrtps")
HOPX(h_rsqrtps, "rsqrtps")
HOPX(h_rcpps, "rcpps")
HOPX(h_andps, "andps")
HOPX(h_andnps, "andnps")
HOPX(h_orps, "orps")
HOPX(h_xorps, "xorps")
HOPX(h_addps, "addps")
HOPX(h_mulps, "mulps")
HOPX(h_cvtps2pd, "cvtps2pd")
HOPX(h_cvtdq2ps, "cvtdq2ps")
HOPX(h_subps, "subps")
HOPX(h_minps, "minps")
HOPX(h_divps, "divps")
HOPX(h_maxps, "maxps")
HOPX(h_movsldup, "movsldup")
HOPX(h_movshdup, "movshdup")
HOPX(h_sqrtss, "sqrtss")
HOPX(h_rsqrtss, "rsqrtss")
HOPX(h_rcpss, "rcpss")
HOPX(h_addss, "addss")
HOPX(h_mulss, "mulss")
HOPX(h_cvtss2sd, "cvtss2sd")
HOPX(h_cvttps2dq, "cvttps2dq")
HOPX(h_subss, "subss")
HOPX(h_minss, "minss")
HOPX(h_divss, "divss")
HOPX(h_maxss, "maxss")
HOPX(h_cvtdq2pd, "cvtdq2pd")
HOPX(h_movddup, "movddup")
HOPX(h_sqrtsd, "sqrtsd")
HOPX(h_addsd, "addsd")
HOPX(h_mulsd, "mulsd")
HOPX(h_cvtsd2ss, "cvtsd2ss")
HOPX(h_subsd, "subsd")
HOPX(h_minsd, "minsd")
HOPX(h_divsd, "divsd")
HOPX(h_maxsd, "maxsd")
HOPX(h_haddps, "haddps")
HOPX(h_hsubps, "hsubps")
HOPX(h_addsubps, "addsubps")
HOPX(h_cvtpd2dq, "cvtpd2dq")
HOPX(h_pshufb, "pshufb")
HOPX(h_phaddw, "phaddw")
HOPX(h_phaddd, "phaddd")
HOPX(h_phaddsw, "phaddsw")
HOPX(h_pmaddubsw, "pmaddubsw")
HOPX(h_phsubw, "phsubw")
HOPX(h_phsubd, "phsubd")
HOPX(h_phsubsw, "phsubsw")
HOPX(h_psignb, "psignb")
HOPX(h_psignw, "psignw")
HOPX(h_psignd, "psignd")
HOPX(h_pmulhrsw, "pmulhrsw")
HOPX(h_pabsb, "pabsb")
HOPX(h_pabsw, "pabsw")
HOPX(h_pabsd, "pabsd")
HOPX(h_pmovsxbw, "pmovsxbw")
HOPX(h_pmovsxbd, "pmovsxbd")
HOPX(h_pmovsxbq, "pmovsxbq")
HOPX(h_pmovsxwd, "pmovsxwd")
HOPX(h_pmovsxwq, "pmovsxwq")
HOPX(h_pmovsxdq, "pmovsxdq")
HOPX(h_pmuldq, "pmuldq")
HOPX(h_pcmpeqq, "pcmpeqq")
HOPX(h_packusdw, "packusdw")
HOPX(h_pmovzxbw, "pmovzxbw")
HOPX(h_pmovzxbd, "pmovzxbd")
HOPX(h_pmovzxbq, "pmovzxbq")
HOPX(h_pmovzxwd, "pmovzxwd")
HOPX(h_pmovzxwq, "pmovzxwq")
HOPX(h_pmovzxdq, "pmovzxdq")
HOPX(h_pcmpgtq, "pcmpgtq")
HOPX(h_pminsb, "pminsb")
HOPX(h_pminsd, "pminsd")
HOPX(h_pminuw, "pminuw")
HOPX(h_pminud, "pminud")
HOPX(h_pmaxsb, "pmaxsb")
HOPX(h_pmaxsd, "pmaxsd")
HOPX(h_pmaxuw, "pmaxuw")
HOPX(h_pmaxud, "pmaxud")
HOPX(h_pmulld, "pmulld")
HOPX(h_phminposuw, "phminposuw")
HOPM(m_punpcklbw, "punpcklbw")
HOPM(m_punpcklwd, "punpcklwd")
HOPM(m_punpckldq, "punpckldq")
HOPM(m_packsswb, "packsswb")
HOPM(m_pcmpgtb, "pcmpgtb")
HOPM(m_pcmpgtw, "pcmpgtw")
HOPM(m_pcmpgtd, "pcmpgtd")
HOPM(m_packuswb, "packuswb")
HOPM(m_punpckhbw, "punpckhbw")
HOPM(m_punpckhwd, "punpckhwd")
HOPM(m_punpckhdq, "punpckhdq")
HOPM(m_packssdw, "packssdw")
HOPM(m_pcmpeqb, "pcmpeqb")
HOPM(m_pcmpeqw, "pcmpeqw")
HOPM(m_pcmpeqd, "pcmpeqd")
HOPM(m_psrlw, "psrlw")
HOPM(m_psrld, "psrld")
HOPM(m_psrlq, "psrlq")
HOPM(m_paddq, "paddq")
HOPM(m_pmullw, "pmullw")
HOPM(m_psubusb, "psubusb")
HOPM(m_psubusw, "psubusw")
HOPM(m_pminub, "pminub")
HOPM(m_pand, "pand")
HOPM(m_paddusb, "paddusb")
HOPM(m_paddusw, "paddusw")
HOPM(m_pmaxub, "pmaxub")
HOPM(m_pandn, "pandn")
HOPM(m_pavgb, "pavgb")
HOPM(m_psraw, "psraw")
HOPM(m_psrad, "psrad")
HOPM(m_pavgw, "pavgw")
HOPM(m_pmulhuw, "pmulhuw")
HOPM(m_pmulhw, "pmulhw")
HOPM(m_psubsb, "psubsb")
HOPM(m_psubsw, "psubsw")
HOPM(m_pminsw, "pminsw")
HOPM(m_por, "por")
HOPM(m_paddsb, "paddsb")
HOPM(m_paddsw, "paddsw")
HOPM(m_pmaxsw, "pmaxsw")
HOPM(m_pxor, "pxor")
HOPM(m_psllw, "psllw")
HOPM(m_pslld, "pslld")
HOPM(m_psllq, "psllq")
HOPM(m_pmuludq, "pmuludq")
HOPM(m_pmaddwd, "pmaddwd")
HOPM(m_psadbw, "psadbw")
HOPM(m_psubb, "psubb")
HOPM(m_psubw, "psubw")
HOPM(m_psubd, "psubd")
HOPM(m_psubq, "psubq")
HOPM(m_paddb, "paddb")
HOPM(m_paddw, "paddw")
HOPM(m_paddd, "paddd")
HOPM(m_pshufb, "pshufb")
HOPM(m_phaddw, "phaddw")
HOPM(m_phaddd, "phaddd")
HOPM(m_phaddsw, "phaddsw")
HOPM(m_pmaddubsw, "pmaddubsw")
HOPM(m_phsubw, "phsubw")
HOPM(m_phsubd, "phsubd")
HOPM(m_phsubsw, "phsubsw")
HOPM(m_psignb, "psignb")
HOPM(m_psignw, "psignw")
HOPM(m_psignd, "psignd")
HOPM(m_pmulhrsw, "pmulhrsw")
HOPM(m_pabsb, "pabsb")
HOPM(m_pabsw, "pabsw")
HOPM(m_pabsd, "pabsd")

static const struct sop op_none[256] = {
	[0x14] = { h_unpcklps, 16, 1, 0 },
	[0x15] = { h_unpckhps, 16, 1, 0 },
	[0x51] = { h_sqrtps, 16, 1, 1 },
	[0x52] = { h_rsqrtps, 16, 1, 1 },
	[0x53] = { h_rcpps, 16, 1, 1 },
	[0x54] = { h_andps, 16, 1, 0 },
	[0x55] = { h_andnps, 16, 1, 0 },
	[0x56] = { h_orps, 16, 1, 0 },
	[0x57] = { h_xorps, 16, 1, 0 },
	[0x58] = { h_addps, 16, 1, 1 },
	[0x59] = { h_mulps, 16, 1, 1 },
	[0x5a] = { h_cvtps2pd, 8, 0, 1 },
	[0x5b] = { h_cvtdq2ps, 16, 1, 1 },
	[0x5c] = { h_subps, 16, 1, 1 },
	[0x5d] = { h_minps, 16, 1, 1 },
	[0x5e] = { h_divps, 16, 1, 1 },
	[0x5f] = { h_maxps, 16, 1, 1 },
};

static const struct sop op_66[256] = {
	[0x14] = { h_unpcklpd, 16, 1, 0 },
	[0x15] = { h_unpckhpd, 16, 1, 0 },
	[0x51] = { h_sqrtpd, 16, 1, 1 },
	[0x54] = { h_andpd, 16, 1, 0 },
	[0x55] = { h_andnpd, 16, 1, 0 },
	[0x56] = { h_orpd, 16, 1, 0 },
	[0x57] = { h_xorpd, 16, 1, 0 },
	[0x58] = { h_addpd, 16, 1, 1 },
	[0x59] = { h_mulpd, 16, 1, 1 },
	[0x5a] = { h_cvtpd2ps, 16, 1, 1 },
	[0x5b] = { h_cvtps2dq, 16, 1, 1 },
	[0x5c] = { h_subpd, 16, 1, 1 },
	[0x5d] = { h_minpd, 16, 1, 1 },
	[0x5e] = { h_divpd, 16, 1, 1 },
	[0x5f] = { h_maxpd, 16, 1, 1 },
	[0x60] = { h_punpcklbw, 16, 1, 0 },
	[0x61] = { h_punpcklwd, 16, 1, 0 },
	[0x62] = { h_punpckldq, 16, 1, 0 },
	[0x63] = { h_packsswb, 16, 1, 0 },
	[0x64] = { h_pcmpgtb, 16, 1, 0 },
	[0x65] = { h_pcmpgtw, 16, 1, 0 },
	[0x66] = { h_pcmpgtd, 16, 1, 0 },
	[0x67] = { h_packuswb, 16, 1, 0 },
	[0x68] = { h_punpckhbw, 16, 1, 0 },
	[0x69] = { h_punpckhwd, 16, 1, 0 },
	[0x6a] = { h_punpckhdq, 16, 1, 0 },
	[0x6b] = { h_packssdw, 16, 1, 0 },
	[0x6c] = { h_punpcklqdq, 16, 1, 0 },
	[0x6d] = { h_punpckhqdq, 16, 1, 0 },
	[0x74] = { h_pcmpeqb, 16, 1, 0 },
	[0x75] = { h_pcmpeqw, 16, 1, 0 },
	[0x76] = { h_pcmpeqd, 16, 1, 0 },
	[0x7c] = { h_haddpd, 16, 1, 1 },
	[0x7d] = { h_hsubpd, 16, 1, 1 },
	[0xd0] = { h_addsubpd, 16, 1, 1 },
	[0xd1] = { h_psrlw, 16, 1, 0 },
	[0xd2] = { h_psrld, 16, 1, 0 },
	[0xd3] = { h_psrlq, 16, 1, 0 },
	[0xd4] = { h_paddq, 16, 1, 0 },
	[0xd5] = { h_pmullw, 16, 1, 0 },
	[0xd8] = { h_psubusb, 16, 1, 0 },
	[0xd9] = { h_psubusw, 16, 1, 0 },
	[0xda] = { h_pminub, 16, 1, 0 },
	[0xdb] = { h_pand, 16, 1, 0 },
	[0xdc] = { h_paddusb, 16, 1, 0 },
	[0xdd] = { h_paddusw, 16, 1, 0 },
	[0xde] = { h_pmaxub, 16, 1, 0 },
	[0xdf] = { h_pandn, 16, 1, 0 },
	[0xe0] = { h_pavgb, 16, 1, 0 },
	[0xe1] = { h_psraw, 16, 1, 0 },
	[0xe2] = { h_psrad, 16, 1, 0 },
	[0xe3] = { h_pavgw, 16, 1, 0 },
	[0xe4] = { h_pmulhuw, 16, 1, 0 },
	[0xe5] = { h_pmulhw, 16, 1, 0 },
	[0xe6] = { h_cvttpd2dq, 16, 1, 1 },
	[0xe8] = { h_psubsb, 16, 1, 0 },
	[0xe9] = { h_psubsw, 16, 1, 0 },
	[0xea] = { h_pminsw, 16, 1, 0 },
	[0xeb] = { h_por, 16, 1, 0 },
	[0xec] = { h_paddsb, 16, 1, 0 },
	[0xed] = { h_paddsw, 16, 1, 0 },
	[0xee] = { h_pmaxsw, 16, 1, 0 },
	[0xef] = { h_pxor, 16, 1, 0 },
	[0xf1] = { h_psllw, 16, 1, 0 },
	[0xf2] = { h_pslld, 16, 1, 0 },
	[0xf3] = { h_psllq, 16, 1, 0 },
	[0xf4] = { h_pmuludq, 16, 1, 0 },
	[0xf5] = { h_pmaddwd, 16, 1, 0 },
	[0xf6] = { h_psadbw, 16, 1, 0 },
	[0xf8] = { h_psubb, 16, 1, 0 },
	[0xf9] = { h_psubw, 16, 1, 0 },
	[0xfa] = { h_psubd, 16, 1, 0 },
	[0xfb] = { h_psubq, 16, 1, 0 },
	[0xfc] = { h_paddb, 16, 1, 0 },
	[0xfd] = { h_paddw, 16, 1, 0 },
	[0xfe] = { h_paddd, 16, 1, 0 },
};

static const struct sop op_f3[256] = {
	[0x12] = { h_movsldup, 16, 1, 0 },
	[0x16] = { h_movshdup, 16, 1, 0 },
	[0x51] = { h_sqrtss, 4, 0, 1 },
	[0x52] = { h_rsqrtss, 4, 0, 1 },
	[0x53] = { h_rcpss, 4, 0, 1 },
	[0x58] = { h_addss, 4, 0, 1 },
	[0x59] = { h_mulss, 4, 0, 1 },
	[0x5a] = { h_cvtss2sd, 4, 0, 1 },
	[0x5b] = { h_cvttps2dq, 16, 1, 1 },
	[0x5c] = { h_subss, 4, 0, 1 },
	[0x5d] = { h_minss, 4, 0, 1 },
	[0x5e] = { h_divss, 4, 0, 1 },
	[0x5f] = { h_maxss, 4, 0, 1 },
	[0xe6] = { h_cvtdq2pd, 8, 0, 1 },
};

static const struct sop op_f2[256] = {
	[0x12] = { h_movddup, 8, 0, 0 },
	[0x51] = { h_sqrtsd, 8, 0, 1 },
	[0x58] = { h_addsd, 8, 0, 1 },
	[0x59] = { h_mulsd, 8, 0, 1 },
	[0x5a] = { h_cvtsd2ss, 8, 0, 1 },
	[0x5c] = { h_subsd, 8, 0, 1 },
	[0x5d] = { h_minsd, 8, 0, 1 },
	[0x5e] = { h_divsd, 8, 0, 1 },
	[0x5f] = { h_maxsd, 8, 0, 1 },
	[0x7c] = { h_haddps, 16, 1, 1 },
	[0x7d] = { h_hsubps, 16, 1, 1 },
	[0xd0] = { h_addsubps, 16, 1, 1 },
	[0xe6] = { h_cvtpd2dq, 16, 1, 1 },
};

static const struct sop op_mmx[256] = {
	[0x60] = { m_punpcklbw, 4, 0, 0 },
	[0x61] = { m_punpcklwd, 4, 0, 0 },
	[0x62] = { m_punpckldq, 4, 0, 0 },
	[0x63] = { m_packsswb, 8, 0, 0 },
	[0x64] = { m_pcmpgtb, 8, 0, 0 },
	[0x65] = { m_pcmpgtw, 8, 0, 0 },
	[0x66] = { m_pcmpgtd, 8, 0, 0 },
	[0x67] = { m_packuswb, 8, 0, 0 },
	[0x68] = { m_punpckhbw, 8, 0, 0 },
	[0x69] = { m_punpckhwd, 8, 0, 0 },
	[0x6a] = { m_punpckhdq, 8, 0, 0 },
	[0x6b] = { m_packssdw, 8, 0, 0 },
	[0x74] = { m_pcmpeqb, 8, 0, 0 },
	[0x75] = { m_pcmpeqw, 8, 0, 0 },
	[0x76] = { m_pcmpeqd, 8, 0, 0 },
	[0xd1] = { m_psrlw, 8, 0, 0 },
	[0xd2] = { m_psrld, 8, 0, 0 },
	[0xd3] = { m_psrlq, 8, 0, 0 },
	[0xd4] = { m_paddq, 8, 0, 0 },
	[0xd5] = { m_pmullw, 8, 0, 0 },
	[0xd8] = { m_psubusb, 8, 0, 0 },
	[0xd9] = { m_psubusw, 8, 0, 0 },
	[0xda] = { m_pminub, 8, 0, 0 },
	[0xdb] = { m_pand, 8, 0, 0 },
	[0xdc] = { m_paddusb, 8, 0, 0 },
	[0xdd] = { m_paddusw, 8, 0, 0 },
	[0xde] = { m_pmaxub, 8, 0, 0 },
	[0xdf] = { m_pandn, 8, 0, 0 },
	[0xe0] = { m_pavgb, 8, 0, 0 },
	[0xe1] = { m_psraw, 8, 0, 0 },
	[0xe2] = { m_psrad, 8, 0, 0 },
	[0xe3] = { m_pavgw, 8, 0, 0 },
	[0xe4] = { m_pmulhuw, 8, 0, 0 },
	[0xe5] = { m_pmulhw, 8, 0, 0 },
	[0xe8] = { m_psubsb, 8, 0, 0 },
	[0xe9] = { m_psubsw, 8, 0, 0 },
	[0xea] = { m_pminsw, 8, 0, 0 },
	[0xeb] = { m_por, 8, 0, 0 },
	[0xec] = { m_paddsb, 8, 0, 0 },
	[0xed] = { m_paddsw, 8, 0, 0 },
	[0xee] = { m_pmaxsw, 8, 0, 0 },
	[0xef] = { m_pxor, 8, 0, 0 },
	[0xf1] = { m_psllw, 8, 0, 0 },
	[0xf2] = { m_pslld, 8, 0, 0 },
	[0xf3] = { m_psllq, 8, 0, 0 },
	[0xf4] = { m_pmuludq, 8, 0, 0 },
	[0xf5] = { m_pmaddwd, 8, 0, 0 },
	[0xf6] = { m_psadbw, 8, 0, 0 },
	[0xf8] = { m_psubb, 8, 0, 0 },
	[0xf9] = { m_psubw, 8, 0, 0 },
	[0xfa] = { m_psubd, 8, 0, 0 },
	[0xfb] = { m_psubq, 8, 0, 0 },
	[0xfc] = { m_paddb, 8, 0, 0 },
	[0xfd] = { m_paddw, 8, 0, 0 },
	[0xfe] = { m_paddd, 8, 0, 0 },
};

static const struct sop op2_66[256] = {
	[0x00] = { h_pshufb, 16, 1, 0 },
	[0x01] = { h_phaddw, 16, 1, 0 },
	[0x02] = { h_phaddd, 16, 1, 0 },
	[0x03] = { h_phaddsw, 16, 1, 0 },
	[0x04] = { h_pmaddubsw, 16, 1, 0 },
	[0x05] = { h_phsubw, 16, 1, 0 },
	[0x06] = { h_phsubd, 16, 1, 0 },
	[0x07] = { h_phsubsw, 16, 1, 0 },
	[0x08] = { h_psignb, 16, 1, 0 },
	[0x09] = { h_psignw, 16, 1, 0 },
	[0x0a] = { h_psignd, 16, 1, 0 },
	[0x0b] = { h_pmulhrsw, 16, 1, 0 },
	[0x1c] = { h_pabsb, 16, 1, 0 },
	[0x1d] = { h_pabsw, 16, 1, 0 },
	[0x1e] = { h_pabsd, 16, 1, 0 },
	[0x20] = { h_pmovsxbw, 8, 0, 0 },
	[0x21] = { h_pmovsxbd, 4, 0, 0 },
	[0x22] = { h_pmovsxbq, 2, 0, 0 },
	[0x23] = { h_pmovsxwd, 8, 0, 0 },
	[0x24] = { h_pmovsxwq, 4, 0, 0 },
	[0x25] = { h_pmovsxdq, 8, 0, 0 },
	[0x28] = { h_pmuldq, 16, 1, 0 },
	[0x29] = { h_pcmpeqq, 16, 1, 0 },
	[0x2b] = { h_packusdw, 16, 1, 0 },
	[0x30] = { h_pmovzxbw, 8, 0, 0 },
	[0x31] = { h_pmovzxbd, 4, 0, 0 },
	[0x32] = { h_pmovzxbq, 2, 0, 0 },
	[0x33] = { h_pmovzxwd, 8, 0, 0 },
	[0x34] = { h_pmovzxwq, 4, 0, 0 },
	[0x35] = { h_pmovzxdq, 8, 0, 0 },
	[0x37] = { h_pcmpgtq, 16, 1, 0 },
	[0x38] = { h_pminsb, 16, 1, 0 },
	[0x39] = { h_pminsd, 16, 1, 0 },
	[0x3a] = { h_pminuw, 16, 1, 0 },
	[0x3b] = { h_pminud, 16, 1, 0 },
	[0x3c] = { h_pmaxsb, 16, 1, 0 },
	[0x3d] = { h_pmaxsd, 16, 1, 0 },
	[0x3e] = { h_pmaxuw, 16, 1, 0 },
	[0x3f] = { h_pmaxud, 16, 1, 0 },
	[0x40] = { h_pmulld, 16, 1, 0 },
	[0x41] = { h_phminposuw, 16, 1, 0 },
};

static const struct sop op2_mmx[256] = {
	[0x00] = { m_pshufb, 8, 0, 0 },
	[0x01] = { m_phaddw, 8, 0, 0 },
	[0x02] = { m_phaddd, 8, 0, 0 },
	[0x03] = { m_phaddsw, 8, 0, 0 },
	[0x04] = { m_pmaddubsw, 8, 0, 0 },
	[0x05] = { m_phsubw, 8, 0, 0 },
	[0x06] = { m_phsubd, 8, 0, 0 },
	[0x07] = { m_phsubsw, 8, 0, 0 },
	[0x08] = { m_psignb, 8, 0, 0 },
	[0x09] = { m_psignw, 8, 0, 0 },
	[0x0a] = { m_psignd, 8, 0, 0 },
	[0x0b] = { m_pmulhrsw, 8, 0, 0 },
	[0x1c] = { m_pabsb, 8, 0, 0 },
	[0x1d] = { m_pabsw, 8, 0, 0 },
	[0x1e] = { m_pabsd, 8, 0, 0 },
};

/* CMPPS/PD/SS/SD predicates 0-7 (imm8[2:0]; Vol 2 CMPPS Table 3-7). */
#define HCMP(name, ins, imm) \
static void \
name(v128 *d, const v128 *s) \
{ \
	vx a, b; \
 \
	memcpy(&a, d, 16); \
	memcpy(&b, s, 16); \
	__asm__ volatile(ins " $" #imm ", %1, %0" : "+x" (a) : "x" (b)); \
	memcpy(d, &a, 16); \
}
#define HCMP8(f, ins) \
	HCMP(f##0, ins, 0) HCMP(f##1, ins, 1) HCMP(f##2, ins, 2) \
	HCMP(f##3, ins, 3) HCMP(f##4, ins, 4) HCMP(f##5, ins, 5) \
	HCMP(f##6, ins, 6) HCMP(f##7, ins, 7) \
	static const hop_t f[8] = { f##0, f##1, f##2, f##3, f##4, f##5, \
	    f##6, f##7 };
HCMP8(cmpps_h, "cmpps")
HCMP8(cmppd_h, "cmppd")
HCMP8(cmpss_h, "cmpss")
HCMP8(cmpsd_h, "cmpsd")

/* ROUNDxx with imm 4 (round by MXCSR.RC); other modes set RC first. */
HCMP(h_roundps, "roundps", 4)
HCMP(h_roundpd, "roundpd", 4)
HCMP(h_roundss, "roundss", 4)
HCMP(h_roundsd, "roundsd", 4)

/* ---- MXCSR around host operations ---- */

static inline uint32_t
mx_begin(const struct x86_cpu *cpu, uint32_t extra_clear, uint32_t extra_set)
{
	uint32_t host, g;

	g = ((fx_mxcsr(cpu) & ~(MXCSR_FLAGS | extra_clear)) | MXCSR_MASKS |
	    extra_set);
	__asm__ volatile("stmxcsr %0" : "=m" (host));
	__asm__ volatile("ldmxcsr %0" : : "m" (g));
	return (host);
}

static inline unsigned
mx_end(uint32_t host)
{
	uint32_t r;

	__asm__ volatile("stmxcsr %0" : "=m" (r));
	__asm__ volatile("ldmxcsr %0" : : "m" (host));
	return (r & MXCSR_FLAGS);
}

/*
 * Merge the flags of an operation into the guest MXCSR; X86_OK when the
 * result may be committed, else #XM/#UD is raised (SDM Vol 1 11.5.1).
 */
static int
mx_apply(struct x86_cpu *cpu, unsigned fl)
{
	uint32_t m = fx_mxcsr(cpu);
	unsigned unm = fl & ~(m >> 7) & MXCSR_FLAGS;

	if (unm & 0x7)
		fl &= 0x7;
	fx_set_mxcsr(cpu, m | fl);
	if (unm == 0)
		return (X86_OK);
	return (x86_raise(cpu, (cpu->cr4 & X86_CR4_OSXMMEXCPT) ? IDT_XF :
	    IDT_UD, -1));
}

/* Run a host op under the guest MXCSR and apply its exceptions. */
static int
run_fp(struct x86_cpu *cpu, hop_t fn, v128 *d, const v128 *s)
{
	uint32_t h = mx_begin(cpu, 0, 0);

	fn(d, s);
	return (mx_apply(cpu, mx_end(h)));
}

/* ---- Operands ---- */

static inline v128 *
xr(struct x86_cpu *cpu, unsigned r)
{
	return ((v128 *)(void *)fx_xmm(cpu, r));
}

static inline uint64_t
mm_get(struct x86_cpu *cpu, unsigned r)
{
	uint64_t v;

	memcpy(&v, fx_phys(cpu, r & 7), 8);
	return (v);
}

static inline void
mm_set(struct x86_cpu *cpu, unsigned r, uint64_t v)
{
	uint8_t *p = fx_phys(cpu, r & 7);

	memcpy(p, &v, 8);
	p[8] = p[9] = 0xff;
}

static uint64_t
op_la(const struct x86_cpu *cpu, const struct x86_insn *in, uint64_t ea)
{
	if (cpu->csz == 8 && in->seg != X86_FS && in->seg != X86_GS)
		return (ea);
	return (cpu->seg[in->seg].base + ea);
}

/* XMM or memory source of `size` bytes (zero-extended into *s). */
static int
src_x(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    bool align, v128 *s)
{
	uint64_t ea;

	if (in->mod == 3) {
		*s = *xr(cpu, in->rm);
		return (X86_OK);
	}
	memset(s, 0, sizeof(*s));
	ea = x86_ea(cpu, in);
	if (align && (op_la(cpu, in, ea) & 15))
		return (x86_raise(cpu, IDT_GP, 0));
	return (x86_vread(cpu, in->seg, ea, size, s));
}

/* MMX or memory source (size 4 or 8). */
static int
src_m(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    v128 *s)
{
	memset(s, 0, sizeof(*s));
	if (in->mod == 3) {
		s->q[0] = mm_get(cpu, in->rm);
		return (X86_OK);
	}
	return (x86_vread(cpu, in->seg, x86_ea(cpu, in), size, s));
}

/* Store `size` bytes to the r/m memory operand. */
static int
dst_mem(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size,
    bool align, const void *v)
{
	uint64_t ea = x86_ea(cpu, in);

	if (align && (op_la(cpu, in, ea) & 15))
		return (x86_raise(cpu, IDT_GP, 0));
	return (x86_vwrite(cpu, in->seg, ea, size, v));
}

static int
ud(struct x86_cpu *cpu)
{
	return (x86_raise(cpu, IDT_UD, -1));
}

/* Table-driven d = d OP s for XMM registers. */
static int
gen_x(struct x86_cpu *cpu, const struct x86_insn *in, const struct sop *o)
{
	v128 s, d;
	int rc;

	rc = src_x(cpu, in, o->msize, o->align, &s);
	if (rc != X86_OK)
		return (rc);
	d = *xr(cpu, in->reg);
	if (o->fp) {
		rc = run_fp(cpu, o->fn, &d, &s);
		if (rc != X86_OK)
			return (rc);
	} else {
		o->fn(&d, &s);
	}
	*xr(cpu, in->reg) = d;
	return (X86_OK);
}

/* Table-driven d = d OP s for MMX registers. */
static int
gen_m(struct x86_cpu *cpu, const struct x86_insn *in, const struct sop *o)
{
	v128 s, d;
	int rc;

	rc = src_m(cpu, in, o->msize, &s);
	if (rc != X86_OK)
		return (rc);
	memset(&d, 0, sizeof(d));
	d.q[0] = mm_get(cpu, in->reg);
	o->fn(&d, &s);
	x86_mmx_enter(cpu);
	mm_set(cpu, in->reg, d.q[0]);
	return (X86_OK);
}

/* ---- Data movement ---- */

/* 0F 10/11 MOVUPS MOVUPD MOVSS MOVSD, 0F 28/29 MOVAPS MOVAPD. */
static int
op_mov_ps(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	bool store = in->opcode & 1, align = in->opcode >= 0x28;
	unsigned size = 16;
	v128 s, *d;
	int rc;

	if (pfx >= 2) {
		if (align)
			return (ud(cpu));
		size = pfx == 2 ? 4 : 8;
	}
	if (store) {
		s = *xr(cpu, in->reg);
		if (in->mod != 3)
			return (dst_mem(cpu, in, size, align, &s));
		d = xr(cpu, in->rm);
		memcpy(d, &s, size);
		return (X86_OK);
	}
	rc = src_x(cpu, in, size, align, &s);
	if (rc != X86_OK)
		return (rc);
	d = xr(cpu, in->reg);
	if (in->mod == 3 && size < 16)
		memcpy(d, &s, size);		/* reg-reg: merge */
	else
		*d = s;				/* load: zero-extend */
	return (X86_OK);
}

/* 0F 12/13/16/17: MOVLPS MOVHLPS MOVLPD MOVHPS MOVLHPS MOVHPD. */
static int
op_mov_lh(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	bool high = in->opcode >= 0x16, store = in->opcode & 1;
	v128 *d = xr(cpu, in->reg), s;
	int rc;

	if (pfx >= 2)
		return (ud(cpu));
	if (store) {
		if (in->mod == 3)
			return (ud(cpu));
		return (dst_mem(cpu, in, 8, false, &d->q[high]));
	}
	if (in->mod == 3) {
		if (pfx == 1)
			return (ud(cpu));
		/* MOVHLPS: low = src high; MOVLHPS: high = src low */
		s = *xr(cpu, in->rm);
		d->q[high] = s.q[!high];
		return (X86_OK);
	}
	rc = src_x(cpu, in, 8, false, &s);
	if (rc != X86_OK)
		return (rc);
	d->q[high] = s.q[0];
	return (X86_OK);
}

/* 0F 6E/7E MOVD/MOVQ with a GPR or memory; F3 0F 7E MOVQ xmm. */
static int
op_movd(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned size = (in->rex & 8) ? 8 : 4;
	uint64_t v = 0;
	v128 s;
	int rc;

	if (pfx == 2) {			/* F3 0F 7E: MOVQ xmm, xmm/m64 */
		if (in->opcode != 0x7e)
			return (ud(cpu));
		rc = src_x(cpu, in, 8, false, &s);
		if (rc != X86_OK)
			return (rc);
		s.q[1] = 0;
		*xr(cpu, in->reg) = s;
		return (X86_OK);
	}
	if (pfx == 3)
		return (ud(cpu));
	if (in->opcode == 0x6e) {
		rc = rd_E(cpu, in, size, &v);
		if (rc != X86_OK)
			return (rc);
		if (pfx == 1) {
			memset(&s, 0, sizeof(s));
			s.q[0] = v;
			*xr(cpu, in->reg) = s;
		} else {
			x86_mmx_enter(cpu);
			mm_set(cpu, in->reg, v);
		}
		return (X86_OK);
	}
	v = pfx == 1 ? xr(cpu, in->reg)->q[0] : mm_get(cpu, in->reg);
	if (size == 4)
		v = (uint32_t)v;
	if (in->mod == 3)
		wr_reg(cpu, in->rm, size, in->rex, v);
	else {
		rc = wr_mem(cpu, in->seg, x86_ea(cpu, in), size, v);
		if (rc != X86_OK)
			return (rc);
	}
	if (pfx == 0)
		x86_mmx_enter(cpu);
	return (X86_OK);
}

/* 0F 6F/7F: MOVQ mm, MOVDQA, MOVDQU. */
static int
op_movdq(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	bool store = in->opcode == 0x7f, align = pfx == 1;
	v128 s;
	int rc;

	if (pfx == 3)
		return (ud(cpu));
	if (pfx == 0) {			/* MMX MOVQ */
		if (store) {
			uint64_t v = mm_get(cpu, in->reg);

			if (in->mod != 3) {
				rc = dst_mem(cpu, in, 8, false, &v);
				if (rc != X86_OK)
					return (rc);
			}
			x86_mmx_enter(cpu);
			if (in->mod == 3)
				mm_set(cpu, in->rm, v);
			return (X86_OK);
		}
		rc = src_m(cpu, in, 8, &s);
		if (rc != X86_OK)
			return (rc);
		x86_mmx_enter(cpu);
		mm_set(cpu, in->reg, s.q[0]);
		return (X86_OK);
	}
	if (store) {
		if (in->mod == 3) {
			*xr(cpu, in->rm) = *xr(cpu, in->reg);
			return (X86_OK);
		}
		return (dst_mem(cpu, in, 16, align, xr(cpu, in->reg)));
	}
	rc = src_x(cpu, in, 16, align, &s);
	if (rc == X86_OK)
		*xr(cpu, in->reg) = s;
	return (rc);
}

/* 0F D6: 66 MOVQ xmm/m64, xmm; F3 MOVQ2DQ; F2 MOVDQ2Q. */
static int
op_d6(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	v128 s;

	memset(&s, 0, sizeof(s));
	switch (pfx) {
	case 1:
		s.q[0] = xr(cpu, in->reg)->q[0];
		if (in->mod != 3)
			return (dst_mem(cpu, in, 8, false, &s));
		*xr(cpu, in->rm) = s;
		return (X86_OK);
	case 2:
		if (in->mod != 3)
			return (ud(cpu));
		s.q[0] = mm_get(cpu, in->rm);
		x86_mmx_enter(cpu);
		*xr(cpu, in->reg) = s;
		return (X86_OK);
	case 3:
		if (in->mod != 3)
			return (ud(cpu));
		x86_mmx_enter(cpu);
		mm_set(cpu, in->reg, xr(cpu, in->rm)->q[0]);
		return (X86_OK);
	default:
		return (ud(cpu));
	}
}

/* 0F 2B MOVNTPS/PD, 0F E7 MOVNTQ/MOVNTDQ, 0F C3 MOVNTI. */
static int
op_movnt(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	uint64_t v;
	int rc;

	if (in->mod == 3)
		return (ud(cpu));
	switch (in->opcode) {
	case 0x2b:
		if (pfx >= 2)
			return (ud(cpu));
		return (dst_mem(cpu, in, 16, true, xr(cpu, in->reg)));
	case 0xe7:
		if (pfx == 1)
			return (dst_mem(cpu, in, 16, true, xr(cpu, in->reg)));
		if (pfx != 0)
			return (ud(cpu));
		v = mm_get(cpu, in->reg);
		rc = dst_mem(cpu, in, 8, false, &v);
		if (rc == X86_OK)
			x86_mmx_enter(cpu);
		return (rc);
	default:	/* C3 MOVNTI m32/64, r32/64 */
		if (pfx != 0)
			return (ud(cpu));
		v = rd_G(cpu, in, (in->rex & 8) ? 8 : 4);
		return (dst_mem(cpu, in, (in->rex & 8) ? 8 : 4, false, &v));
	}
}

/* 0F 50 MOVMSKPS/PD, 0F D7 PMOVMSKB. */
static int
op_movmsk(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned i, n, es, m = 0;
	v128 s;

	if (in->mod != 3 || pfx >= 2)
		return (ud(cpu));
	memset(&s, 0, sizeof(s));
	if (in->opcode == 0xd7) {
		es = 1;
		if (pfx == 0) {
			s.q[0] = mm_get(cpu, in->rm);
			n = 8;
			x86_mmx_enter(cpu);
		} else {
			s = *xr(cpu, in->rm);
			n = 16;
		}
	} else {
		s = *xr(cpu, in->rm);
		es = pfx == 1 ? 8 : 4;
		n = 16 / es;
	}
	for (i = 0; i < n; i++)
		m |= (unsigned)(s.b[i * es + es - 1] >> 7) << i;
	wr_reg(cpu, in->reg, (in->rex & 8) && cpu->csz == 8 ? 8 : 4, in->rex,
	    m);
	return (X86_OK);
}

/* 0F 70: PSHUFW / PSHUFD / PSHUFHW / PSHUFLW. */
static int
op_pshuf(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned imm = (unsigned)in->imm, i;
	v128 s, r;
	int rc;

	if (pfx == 0) {
		rc = src_m(cpu, in, 8, &s);
		if (rc != X86_OK)
			return (rc);
		for (i = 0; i < 4; i++)
			r.w[i] = s.w[(imm >> (2 * i)) & 3];
		x86_mmx_enter(cpu);
		mm_set(cpu, in->reg, r.q[0]);
		return (X86_OK);
	}
	rc = src_x(cpu, in, 16, true, &s);
	if (rc != X86_OK)
		return (rc);
	r = s;
	for (i = 0; i < 4; i++) {
		if (pfx == 1)
			r.d[i] = s.d[(imm >> (2 * i)) & 3];
		else if (pfx == 2)
			r.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)];
		else
			r.w[i] = s.w[(imm >> (2 * i)) & 3];
	}
	*xr(cpu, in->reg) = r;
	return (X86_OK);
}

/* 0F C6: SHUFPS / SHUFPD. */
static int
op_shufp(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned imm = (unsigned)in->imm;
	v128 s, d, r;
	int rc;

	if (pfx >= 2)
		return (ud(cpu));
	rc = src_x(cpu, in, 16, true, &s);
	if (rc != X86_OK)
		return (rc);
	d = *xr(cpu, in->reg);
	if (pfx == 0) {
		r.d[0] = d.d[imm & 3];
		r.d[1] = d.d[(imm >> 2) & 3];
		r.d[2] = s.d[(imm >> 4) & 3];
		r.d[3] = s.d[(imm >> 6) & 3];
	} else {
		r.q[0] = d.q[imm & 1];
		r.q[1] = s.q[(imm >> 1) & 1];
	}
	*xr(cpu, in->reg) = r;
	return (X86_OK);
}

/* 0F 71-73: shifts by imm8 (groups 12-14); 66 0F 73 /3 /7 byte shifts. */
static int
op_shift_imm(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	static const uint8_t xop[3][8] = {
		{ 0, 0, 0xd1, 0, 0xe1, 0, 0xf1, 0 },
		{ 0, 0, 0xd2, 0, 0xe2, 0, 0xf2, 0 },
		{ 0, 0, 0xd3, 0, 0, 0, 0xf3, 0 },
	};
	unsigned reg = (in->modrm >> 3) & 7, n = (unsigned)in->imm & 0xff, i;
	unsigned o = xop[in->opcode - 0x71][reg];
	v128 cnt, d, r;

	if (in->mod != 3 || pfx >= 2)
		return (ud(cpu));
	if (in->opcode == 0x73 && (reg == 3 || reg == 7)) {
		if (pfx != 1)
			return (ud(cpu));
		d = *xr(cpu, in->rm);
		memset(&r, 0, sizeof(r));
		if (n > 16)
			n = 16;
		for (i = 0; i < 16; i++) {
			if (reg == 3 && i + n < 16)
				r.b[i] = d.b[i + n];
			else if (reg == 7 && i >= n)
				r.b[i] = d.b[i - n];
		}
		*xr(cpu, in->rm) = r;
		return (X86_OK);
	}
	if (o == 0)
		return (ud(cpu));
	memset(&cnt, 0, sizeof(cnt));
	cnt.q[0] = n;
	if (pfx == 1) {
		d = *xr(cpu, in->rm);
		op_66[o].fn(&d, &cnt);
		*xr(cpu, in->rm) = d;
	} else {
		memset(&d, 0, sizeof(d));
		d.q[0] = mm_get(cpu, in->rm);
		op_mmx[o].fn(&d, &cnt);
		x86_mmx_enter(cpu);
		mm_set(cpu, in->rm, d.q[0]);
	}
	return (X86_OK);
}

/* 0F C4 PINSRW, 0F C5 PEXTRW (MMX and XMM forms). */
static int
op_pinsrw(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned imm = (unsigned)in->imm;
	uint64_t v;
	int rc;

	if (pfx >= 2)
		return (ud(cpu));
	if (in->opcode == 0xc5) {
		if (in->mod != 3)
			return (ud(cpu));
		if (pfx == 1)
			v = xr(cpu, in->rm)->w[imm & 7];
		else {
			v = (uint16_t)(mm_get(cpu, in->rm) >> (16 * (imm & 3)));
			x86_mmx_enter(cpu);
		}
		wr_reg(cpu, in->reg, (in->rex & 8) ? 8 : 4, in->rex, v);
		return (X86_OK);
	}
	if (in->mod == 3)
		v = cpu->gpr[in->rm];
	else {
		rc = rd_mem(cpu, in->seg, x86_ea(cpu, in), 2, &v);
		if (rc != X86_OK)
			return (rc);
	}
	if (pfx == 1) {
		xr(cpu, in->reg)->w[imm & 7] = (uint16_t)v;
	} else {
		uint64_t m = mm_get(cpu, in->reg);
		unsigned sh = 16 * (imm & 3);

		m = (m & ~(0xffffull << sh)) | ((v & 0xffff) << sh);
		x86_mmx_enter(cpu);
		mm_set(cpu, in->reg, m);
	}
	return (X86_OK);
}

/* 0F F7: MASKMOVQ / MASKMOVDQU to DS:rDI (segment override allowed). */
static int
op_maskmov(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	uint64_t di = cpu->gpr[X86_RDI] & x86_mask(in->adsize);
	unsigned n = pfx == 1 ? 16 : 8, i;
	v128 d, m;
	int rc;

	if (in->mod != 3 || pfx >= 2)
		return (ud(cpu));
	memset(&d, 0, sizeof(d));
	memset(&m, 0, sizeof(m));
	if (pfx == 1) {
		d = *xr(cpu, in->reg);
		m = *xr(cpu, in->rm);
	} else {
		d.q[0] = mm_get(cpu, in->reg);
		m.q[0] = mm_get(cpu, in->rm);
	}
	for (i = 0; i < n; i++) {
		if (!(m.b[i] & 0x80))
			continue;
		rc = x86_vwrite(cpu, in->seg, (di + i) & x86_mask(in->adsize),
		    1, &d.b[i]);
		if (rc != X86_OK)
			return (rc);
	}
	if (pfx == 0)
		x86_mmx_enter(cpu);
	return (X86_OK);
}

/* ---- Conversions with GPR or MMX operands ---- */

/* 0F 2A: CVTPI2PS CVTPI2PD CVTSI2SS CVTSI2SD. */
static int
op_cvt2a(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	v128 d = *xr(cpu, in->reg), s;
	uint64_t v = 0;
	uint32_t h;
	vx a;
	int rc;

	if (pfx >= 2) {
		unsigned size = (in->rex & 8) ? 8 : 4;

		rc = rd_E(cpu, in, size, &v);
		if (rc != X86_OK)
			return (rc);
		memcpy(&a, &d, 16);
		h = mx_begin(cpu, 0, 0);
		if (pfx == 2 && size == 8)
			__asm__ volatile("cvtsi2ssq %1, %0" : "+x" (a) : "r" (v));
		else if (pfx == 2)
			__asm__ volatile("cvtsi2ssl %1, %0" : "+x" (a)
			    : "r" ((uint32_t)v));
		else if (size == 8)
			__asm__ volatile("cvtsi2sdq %1, %0" : "+x" (a) : "r" (v));
		else
			__asm__ volatile("cvtsi2sdl %1, %0" : "+x" (a)
			    : "r" ((uint32_t)v));
		rc = mx_apply(cpu, mx_end(h));
		if (rc == X86_OK)
			memcpy(xr(cpu, in->reg), &a, 16);
		return (rc);
	}
	rc = src_m(cpu, in, 8, &s);
	if (rc != X86_OK)
		return (rc);
	memcpy(&a, &d, 16);
	h = mx_begin(cpu, 0, 0);
	if (pfx == 0)
		__asm__ volatile("cvtpi2ps %1, %0" : "+x" (a) : "m" (s.q[0]));
	else
		__asm__ volatile("cvtpi2pd %1, %0" : "+x" (a) : "m" (s.q[0]));
	rc = mx_apply(cpu, mx_end(h));
	if (rc != X86_OK)
		return (rc);
	if (in->mod == 3)
		x86_mmx_enter(cpu);
	memcpy(xr(cpu, in->reg), &a, 16);
	return (X86_OK);
}

/* 0F 2C/2D: CVT(T)PS2PI CVT(T)PD2PI CVT(T)SS2SI CVT(T)SD2SI. */
static int
op_cvt2c(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	bool t = in->opcode == 0x2c, q = (in->rex & 8) != 0;
	uint64_t r = 0;
	uint32_t h;
	v128 s;
	vx a;
	int rc;

	rc = src_x(cpu, in, pfx == 0 ? 8 : pfx == 1 ? 16 : pfx == 2 ? 4 : 8,
	    pfx == 1, &s);
	if (rc != X86_OK)
		return (rc);
	memcpy(&a, &s, 16);
	h = mx_begin(cpu, 0, 0);
	switch (pfx << 2 | t << 1 | q) {
	case 0: case 1:
		__asm__ volatile("cvtps2pi %1, %%mm0\n\tmovq %%mm0, %0\n\temms"
		    : "=m" (r) : "x" (a) : "mm0");
		break;
	case 2: case 3:
		__asm__ volatile("cvttps2pi %1, %%mm0\n\tmovq %%mm0, %0\n\temms"
		    : "=m" (r) : "x" (a) : "mm0");
		break;
	case 4: case 5:
		__asm__ volatile("cvtpd2pi %1, %%mm0\n\tmovq %%mm0, %0\n\temms"
		    : "=m" (r) : "x" (a) : "mm0");
		break;
	case 6: case 7:
		__asm__ volatile("cvttpd2pi %1, %%mm0\n\tmovq %%mm0, %0\n\temms"
		    : "=m" (r) : "x" (a) : "mm0");
		break;
	case 8:
		__asm__ volatile("cvtss2si %1, %k0" : "=r" (r) : "x" (a));
		break;
	case 9:
		__asm__ volatile("cvtss2si %1, %q0" : "=r" (r) : "x" (a));
		break;
	case 10:
		__asm__ volatile("cvttss2si %1, %k0" : "=r" (r) : "x" (a));
		break;
	case 11:
		__asm__ volatile("cvttss2si %1, %q0" : "=r" (r) : "x" (a));
		break;
	case 12:
		__asm__ volatile("cvtsd2si %1, %k0" : "=r" (r) : "x" (a));
		break;
	case 13:
		__asm__ volatile("cvtsd2si %1, %q0" : "=r" (r) : "x" (a));
		break;
	case 14:
		__asm__ volatile("cvttsd2si %1, %k0" : "=r" (r) : "x" (a));
		break;
	default:
		__asm__ volatile("cvttsd2si %1, %q0" : "=r" (r) : "x" (a));
		break;
	}
	rc = mx_apply(cpu, mx_end(h));
	if (rc != X86_OK)
		return (rc);
	if (pfx < 2) {
		x86_mmx_enter(cpu);
		mm_set(cpu, in->reg, r);
	} else {
		wr_reg(cpu, in->reg, q ? 8 : 4, in->rex, q ? r : (uint32_t)r);
	}
	return (X86_OK);
}

/* 0F 2E/2F: UCOMISS COMISS UCOMISD COMISD -> ZF PF CF. */
static int
op_comis(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	bool u = in->opcode == 0x2e;
	uint8_t zf, pf, cf;
	uint32_t h;
	v128 s;
	vx a, b;
	int rc;

	if (pfx >= 2)
		return (ud(cpu));
	rc = src_x(cpu, in, pfx ? 8 : 4, false, &s);
	if (rc != X86_OK)
		return (rc);
	memcpy(&a, xr(cpu, in->reg), 16);
	memcpy(&b, &s, 16);
	h = mx_begin(cpu, 0, 0);
	if (pfx == 0 && u)
		__asm__ volatile("ucomiss %3, %4" : "=@ccz" (zf), "=@ccp" (pf),
		    "=@ccc" (cf) : "x" (b), "x" (a));
	else if (pfx == 0)
		__asm__ volatile("comiss %3, %4" : "=@ccz" (zf), "=@ccp" (pf),
		    "=@ccc" (cf) : "x" (b), "x" (a));
	else if (u)
		__asm__ volatile("ucomisd %3, %4" : "=@ccz" (zf), "=@ccp" (pf),
		    "=@ccc" (cf) : "x" (b), "x" (a));
	else
		__asm__ volatile("comisd %3, %4" : "=@ccz" (zf), "=@ccp" (pf),
		    "=@ccc" (cf) : "x" (b), "x" (a));
	rc = mx_apply(cpu, mx_end(h));
	if (rc != X86_OK)
		return (rc);
	x86_set_arith(cpu, (zf ? X86_ZF : 0) | (pf ? X86_PF : 0) |
	    (cf ? X86_CF : 0));
	return (X86_OK);
}

/* 0F C2: CMPPS CMPPD CMPSS CMPSD with imm8[2:0]. */
static int
op_cmpp(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	static const hop_t *const t[4] = { cmpps_h, cmppd_h, cmpss_h,
	    cmpsd_h };
	static const uint8_t sz[4] = { 16, 16, 4, 8 };
	struct sop o = { t[pfx][in->imm & 7], sz[pfx], pfx < 2, 1 };

	return (gen_x(cpu, in, &o));
}

/* 0F 77: EMMS (all tags empty). */
static int
op_emms(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	if (pfx != 0)
		return (ud(cpu));
	cpu->fxstate[FX_FTW] = 0;
	return (X86_OK);
}

/* ---- 0F38 ---- */

/* CRC32C (SSE4.2, F2 0F 38 F0/F1): reflected polynomial 0x82F63B78. */
static uint32_t
crc32c(uint32_t crc, uint64_t v, unsigned size)
{
	unsigned i, k;

	for (i = 0; i < size; i++) {
		crc ^= (uint8_t)(v >> (8 * i));
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return (crc);
}

static int
op_crc32(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opcode == 0xf0 ? 1 : (in->rex & 8) ? 8 :
	    in->opsz_prefix ? 2 : 4;
	unsigned dsz = (in->rex & 8) ? 8 : 4;
	uint64_t v;
	int rc;

	rc = rd_E(cpu, in, size, &v);
	if (rc != X86_OK)
		return (rc);
	wr_reg(cpu, in->reg, dsz, in->rex,
	    crc32c((uint32_t)cpu->gpr[in->reg], v, size));
	return (X86_OK);
}

static int
sse_map2(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned op = in->opcode, i, es;
	v128 s, d, m;
	int rc;

	if (op == 0xf0 || op == 0xf1) {
		if (pfx != 3)
			return (ud(cpu));		/* MOVBE: not offered */
		return (op_crc32(cpu, in));
	}
	if (pfx == 0 && op2_mmx[op].fn != NULL) {
		rc = x86_fp_check(cpu, FPK_MMX);
		return (rc != X86_OK ? rc : gen_m(cpu, in, &op2_mmx[op]));
	}
	if (pfx != 1)
		return (ud(cpu));
	rc = x86_fp_check(cpu, FPK_SSE);
	if (rc != X86_OK)
		return (rc);
	if (op2_66[op].fn != NULL)
		return (gen_x(cpu, in, &op2_66[op]));
	switch (op) {
	case 0x10:	/* PBLENDVB, BLENDVPS, BLENDVPD: mask XMM0 */
	case 0x14:
	case 0x15:
		rc = src_x(cpu, in, 16, true, &s);
		if (rc != X86_OK)
			return (rc);
		d = *xr(cpu, in->reg);
		m = *xr(cpu, 0);
		es = op == 0x10 ? 1 : op == 0x14 ? 4 : 8;
		for (i = 0; i < 16; i++)
			if (m.b[(i / es) * es + es - 1] & 0x80)
				d.b[i] = s.b[i];
		*xr(cpu, in->reg) = d;
		return (X86_OK);
	case 0x17:	/* PTEST */
		rc = src_x(cpu, in, 16, true, &s);
		if (rc != X86_OK)
			return (rc);
		d = *xr(cpu, in->reg);
		x86_set_arith(cpu,
		    (((d.q[0] & s.q[0]) | (d.q[1] & s.q[1])) == 0 ? X86_ZF : 0) |
		    (((~d.q[0] & s.q[0]) | (~d.q[1] & s.q[1])) == 0 ? X86_CF :
		    0));
		return (X86_OK);
	case 0x2a:	/* MOVNTDQA */
		if (in->mod == 3)
			return (ud(cpu));
		rc = src_x(cpu, in, 16, true, &s);
		if (rc == X86_OK)
			*xr(cpu, in->reg) = s;
		return (rc);
	default:
		return (ud(cpu));
	}
}

/* ---- 0F3A ---- */

/*
 * PCMPESTRM/ESTRI/ISTRM/ISTRI (SSE4.2): the host instruction with the
 * same imm8 (one asm statement per imm8 value, fixed registers: xmm1 =
 * first operand, xmm2 = second, EAX/EDX lengths, results in ECX or
 * XMM0 and in CF ZF SF OF).
 */
struct pcmp_out {
	v128		x0;
	uint64_t	rcx;
	uint8_t		cf, zf, sf, of;
};

#define PCMP1(pre, i) case i: \
	__asm__ volatile("movdqu %[a], %%xmm1\n\tmovdqu %[b], %%xmm2\n\t" \
	    ".byte " pre ", 0xca, " #i "\n\tmovdqu %%xmm0, %[r]" \
	    : [r] "=m" (o->x0), "=c" (o->rcx), "=@ccc" (o->cf), \
	    "=@ccz" (o->zf), "=@ccs" (o->sf), "=@cco" (o->of) \
	    : [a] "m" (*a), [b] "m" (*b), "a" (rax), "d" (rdx) \
	    : "xmm0", "xmm1", "xmm2"); break
#define PCMP4(p, n) PCMP1(p, n); PCMP1(p, (n)+1); PCMP1(p, (n)+2); \
	PCMP1(p, (n)+3)
#define PCMP16(p, n) PCMP4(p, n); PCMP4(p, (n)+4); PCMP4(p, (n)+8); \
	PCMP4(p, (n)+12)
#define PCMP64(p, n) PCMP16(p, n); PCMP16(p, (n)+16); PCMP16(p, (n)+32); \
	PCMP16(p, (n)+48)
#define PCMPFN(name, pre) \
static void \
name(unsigned imm, const v128 *a, const v128 *b, uint64_t rax, \
    uint64_t rdx, struct pcmp_out *o) \
{ \
	switch (imm & 0xff) { \
	PCMP64(pre, 0); PCMP64(pre, 64); PCMP64(pre, 128); \
	PCMP64(pre, 192); \
	default: \
		break; \
	} \
}
PCMPFN(pcmp_estrm, "0x66, 0x0f, 0x3a, 0x60")
PCMPFN(pcmp_estri, "0x66, 0x0f, 0x3a, 0x61")
PCMPFN(pcmp_istrm, "0x66, 0x0f, 0x3a, 0x62")
PCMPFN(pcmp_istri, "0x66, 0x0f, 0x3a, 0x63")
PCMPFN(pcmp_estrm64, "0x66, 0x48, 0x0f, 0x3a, 0x60")
PCMPFN(pcmp_estri64, "0x66, 0x48, 0x0f, 0x3a, 0x61")

static int
op_pcmpstr(struct x86_cpu *cpu, const struct x86_insn *in)
{
	static void (*const fn[2][4])(unsigned, const v128 *, const v128 *,
	    uint64_t, uint64_t, struct pcmp_out *) = {
		{ pcmp_estrm, pcmp_estri, pcmp_istrm, pcmp_istri },
		{ pcmp_estrm64, pcmp_estri64, pcmp_istrm, pcmp_istri },
	};
	unsigned k = in->opcode - 0x60;
	struct pcmp_out o;
	v128 a, b;
	int rc;

	rc = src_x(cpu, in, 16, false, &b);
	if (rc != X86_OK)
		return (rc);
	a = *xr(cpu, in->reg);
	memset(&o, 0, sizeof(o));
	fn[(in->rex & 8) != 0][k]((unsigned)in->imm, &a, &b,
	    cpu->gpr[X86_RAX], cpu->gpr[X86_RDX], &o);
	if (k & 1)
		cpu->gpr[X86_RCX] = o.rcx;
	else
		*xr(cpu, 0) = o.x0;
	x86_set_arith(cpu, (o.cf ? X86_CF : 0) | (o.zf ? X86_ZF : 0) |
	    (o.sf ? X86_SF : 0) | (o.of ? X86_OF : 0));
	return (X86_OK);
}

/* PALIGNR on n-byte registers: (d:s) >> 8 * imm. */
static void
palignr(uint8_t *r, const uint8_t *d, const uint8_t *s, unsigned n,
    unsigned imm)
{
	unsigned i, k;

	for (i = 0; i < n; i++) {
		k = i + imm;
		r[i] = k < n ? s[k] : k < 2 * n ? d[k - n] : 0;
	}
}

/* ROUNDPS/PD/SS/SD: imm[2] = use MXCSR.RC, imm[3] = suppress #P. */
static int
op_round(struct x86_cpu *cpu, const struct x86_insn *in)
{
	static const hop_t f[4] = { h_roundps, h_roundpd, h_roundss,
	    h_roundsd };
	static const uint8_t sz[4] = { 16, 16, 4, 8 };
	unsigned k = in->opcode - 8, imm = (unsigned)in->imm;
	uint32_t h, rc_set = 0, rc_clr = 0;
	unsigned fl;
	v128 s, d;
	int rc;

	rc = src_x(cpu, in, sz[k], k < 2, &s);
	if (rc != X86_OK)
		return (rc);
	d = *xr(cpu, in->reg);
	if (!(imm & 4)) {
		rc_clr = 0x6000;
		rc_set = (imm & 3) << 13;
	}
	h = mx_begin(cpu, rc_clr, rc_set);
	f[k](&d, &s);
	fl = mx_end(h);
	if (imm & 8)
		fl &= ~0x20u;
	rc = mx_apply(cpu, fl);
	if (rc == X86_OK)
		*xr(cpu, in->reg) = d;
	return (rc);
}

/* Scalar single/double helpers run on the host under the guest MXCSR. */
static float
h_mulf(float a, float b)
{
	__asm__ volatile("mulss %1, %0" : "+x" (a) : "x" (b));
	return (a);
}

static float
h_addf(float a, float b)
{
	__asm__ volatile("addss %1, %0" : "+x" (a) : "x" (b));
	return (a);
}

static double
h_muld(double a, double b)
{
	__asm__ volatile("mulsd %1, %0" : "+x" (a) : "x" (b));
	return (a);
}

static double
h_addd(double a, double b)
{
	__asm__ volatile("addsd %1, %0" : "+x" (a) : "x" (b));
	return (a);
}

/* DPPS / DPPD (SDM Vol 2 DPPS "Operation": products, then a fixed tree). */
static int
op_dpp(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned imm = (unsigned)in->imm, i;
	v128 s, d, r;
	uint32_t h;
	float t[4], s01, s23, sum;
	double u[2], dsum;
	int rc;

	rc = src_x(cpu, in, 16, true, &s);
	if (rc != X86_OK)
		return (rc);
	d = *xr(cpu, in->reg);
	memset(&r, 0, sizeof(r));
	h = mx_begin(cpu, 0, 0);
	if (in->opcode == 0x40) {
		for (i = 0; i < 4; i++)
			t[i] = (imm >> (4 + i)) & 1 ? h_mulf(d.f[i], s.f[i]) :
			    0.0f;
		s01 = h_addf(t[0], t[1]);
		s23 = h_addf(t[2], t[3]);
		sum = h_addf(s01, s23);
		for (i = 0; i < 4; i++)
			if ((imm >> i) & 1)
				r.f[i] = sum;
	} else {
		for (i = 0; i < 2; i++)
			u[i] = (imm >> (4 + i)) & 1 ? h_muld(d.df[i], s.df[i]) :
			    0.0;
		dsum = h_addd(u[0], u[1]);
		for (i = 0; i < 2; i++)
			if ((imm >> i) & 1)
				r.df[i] = dsum;
	}
	rc = mx_apply(cpu, mx_end(h));
	if (rc == X86_OK)
		*xr(cpu, in->reg) = r;
	return (rc);
}

/* MPSADBW (SDM Vol 2): eight SADs of 4-byte groups. */
static void
mpsadbw(v128 *r, const v128 *d, const v128 *s, unsigned imm)
{
	unsigned so = (imm & 3) * 4, dof = ((imm >> 2) & 1) * 4, i, k;
	int a;

	for (i = 0; i < 8; i++) {
		r->w[i] = 0;
		for (k = 0; k < 4; k++) {
			a = (int)d->b[dof + i + k] - (int)s->b[so + k];
			r->w[i] = (uint16_t)(r->w[i] + (a < 0 ? -a : a));
		}
	}
}

/* PEXTRB/W/D/Q, EXTRACTPS to r/m. */
static int
op_pextr(struct x86_cpu *cpu, const struct x86_insn *in)
{
	v128 *x = xr(cpu, in->reg);
	unsigned imm = (unsigned)in->imm, size;
	uint64_t v;

	switch (in->opcode) {
	case 0x14:
		size = 1;
		v = x->b[imm & 15];
		break;
	case 0x15:
		size = 2;
		v = x->w[imm & 7];
		break;
	case 0x16:
		size = (in->rex & 8) ? 8 : 4;
		v = size == 8 ? x->q[imm & 1] : x->d[imm & 3];
		break;
	default:
		size = 4;
		v = x->d[imm & 3];
		break;
	}
	if (in->mod == 3) {
		wr_reg(cpu, in->rm, size == 8 ? 8 : (in->rex & 8) &&
		    in->opcode != 0x16 ? 8 : 4, in->rex, v);
		return (X86_OK);
	}
	return (wr_mem(cpu, in->seg, x86_ea(cpu, in), size, v));
}

static int
op_pinsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
	v128 *x = xr(cpu, in->reg), s;
	unsigned imm = (unsigned)in->imm, size;
	uint64_t v = 0;
	float f;
	int rc;

	if (in->opcode == 0x21) {		/* INSERTPS */
		rc = src_x(cpu, in, 4, false, &s);
		if (rc != X86_OK)
			return (rc);
		memcpy(&f, in->mod == 3 ? &s.f[(imm >> 6) & 3] : &s.f[0], 4);
		s = *x;
		s.f[(imm >> 4) & 3] = f;
		for (size = 0; size < 4; size++)
			if ((imm >> size) & 1)
				s.d[size] = 0;
		*x = s;
		return (X86_OK);
	}
	size = in->opcode == 0x20 ? 1 : (in->rex & 8) ? 8 : 4;
	rc = rd_E(cpu, in, size, &v);
	if (rc != X86_OK)
		return (rc);
	if (size == 1)
		x->b[imm & 15] = (uint8_t)v;
	else if (size == 4)
		x->d[imm & 3] = (uint32_t)v;
	else
		x->q[imm & 1] = v;
	return (X86_OK);
}

static int
sse_map3(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned op = in->opcode, imm = (unsigned)in->imm, i;
	v128 s, d, r;
	int rc;

	if (op == 0x0f && pfx == 0) {		/* PALIGNR mm */
		rc = x86_fp_check(cpu, FPK_MMX);
		if (rc == X86_OK)
			rc = src_m(cpu, in, 8, &s);
		if (rc != X86_OK)
			return (rc);
		memset(&d, 0, sizeof(d));
		d.q[0] = mm_get(cpu, in->reg);
		palignr(r.b, d.b, s.b, 8, imm);
		x86_mmx_enter(cpu);
		mm_set(cpu, in->reg, r.q[0]);
		return (X86_OK);
	}
	if (pfx != 1)
		return (ud(cpu));
	rc = x86_fp_check(cpu, FPK_SSE);
	if (rc != X86_OK)
		return (rc);
	switch (op) {
	case 0x08: case 0x09: case 0x0a: case 0x0b:
		return (op_round(cpu, in));
	case 0x0c: case 0x0d: case 0x0e: case 0x0f: case 0x42:
		rc = src_x(cpu, in, 16, true, &s);
		if (rc != X86_OK)
			return (rc);
		d = *xr(cpu, in->reg);
		r = d;
		if (op == 0x0c) {
			for (i = 0; i < 4; i++)
				if ((imm >> i) & 1)
					r.d[i] = s.d[i];
		} else if (op == 0x0d) {
			for (i = 0; i < 2; i++)
				if ((imm >> i) & 1)
					r.q[i] = s.q[i];
		} else if (op == 0x0e) {
			for (i = 0; i < 8; i++)
				if ((imm >> i) & 1)
					r.w[i] = s.w[i];
		} else if (op == 0x0f) {
			palignr(r.b, d.b, s.b, 16, imm);
		} else {
			mpsadbw(&r, &d, &s, imm);
		}
		*xr(cpu, in->reg) = r;
		return (X86_OK);
	case 0x14: case 0x15: case 0x16: case 0x17:
		return (op_pextr(cpu, in));
	case 0x20: case 0x21: case 0x22:
		return (op_pinsr(cpu, in));
	case 0x40: case 0x41:
		return (op_dpp(cpu, in));
	case 0x60: case 0x61: case 0x62: case 0x63:
		return (op_pcmpstr(cpu, in));
	default:
		return (ud(cpu));
	}
}

/* ---- 0F map ---- */

static int
sse_map1(struct x86_cpu *cpu, const struct x86_insn *in, unsigned pfx)
{
	unsigned op = in->opcode;
	const struct sop *o;
	bool mmx;
	int rc;

	/* Which check applies: MMX forms (no prefix, 0F 60-7F/C4-C5/D0-FF). */
	mmx = pfx == 0 && ((op >= 0x60 && op <= 0x7f && op != 0x77) ||
	    op == 0xc4 || op == 0xc5 || op >= 0xd0);
	if (op == 0x2a || op == 0x2c || op == 0x2d)
		mmx = false;
	if (op == 0x77 || (pfx == 2 && op == 0xd6) || (pfx == 3 && op == 0xd6))
		mmx = op == 0x77;
	if (op == 0xc3 || op == 0x78 || op == 0x79)
		rc = op == 0xc3 ? X86_OK : ud(cpu);
	else
		rc = x86_fp_check(cpu, mmx ? FPK_MMX : FPK_SSE);
	if (rc != X86_OK)
		return (rc);
	switch (op) {
	case 0x10: case 0x11: case 0x28: case 0x29:
		return (op_mov_ps(cpu, in, pfx));
	case 0x12:
	case 0x16:
		if (pfx == 2 || pfx == 3)
			break;		/* MOVSLDUP MOVSHDUP MOVDDUP: table */
		/* FALLTHROUGH */
	case 0x13: case 0x17:
		return (op_mov_lh(cpu, in, pfx));
	case 0x2a:
		return (op_cvt2a(cpu, in, pfx));
	case 0x2b: case 0xe7: case 0xc3:
		return (op_movnt(cpu, in, pfx));
	case 0x2c: case 0x2d:
		return (op_cvt2c(cpu, in, pfx));
	case 0x2e: case 0x2f:
		return (op_comis(cpu, in, pfx));
	case 0x50: case 0xd7:
		return (op_movmsk(cpu, in, pfx));
	case 0x6e: case 0x7e:
		return (op_movd(cpu, in, pfx));
	case 0x6f: case 0x7f:
		return (op_movdq(cpu, in, pfx));
	case 0x70:
		return (op_pshuf(cpu, in, pfx));
	case 0x71: case 0x72: case 0x73:
		return (op_shift_imm(cpu, in, pfx));
	case 0x77:
		return (op_emms(cpu, in, pfx));
	case 0xc2:
		return (op_cmpp(cpu, in, pfx));
	case 0xc4: case 0xc5:
		return (op_pinsrw(cpu, in, pfx));
	case 0xc6:
		return (op_shufp(cpu, in, pfx));
	case 0xd6:
		return (op_d6(cpu, in, pfx));
	case 0xf0:
		if (pfx != 3 || in->mod == 3)
			return (ud(cpu));
		{
			v128 s;

			rc = src_x(cpu, in, 16, false, &s);	/* LDDQU */
			if (rc == X86_OK)
				*xr(cpu, in->reg) = s;
			return (rc);
		}
	case 0xf7:
		return (op_maskmov(cpu, in, pfx));
	default:
		break;
	}
	switch (pfx) {
	case 0:
		if (op_none[op].fn != NULL)
			return (gen_x(cpu, in, &op_none[op]));
		if (op_mmx[op].fn != NULL)
			return (gen_m(cpu, in, &op_mmx[op]));
		return (ud(cpu));
	case 1:
		o = &op_66[op];
		break;
	case 2:
		o = &op_f3[op];
		break;
	default:
		o = &op_f2[op];
		break;
	}
	if (o->fn == NULL)
		return (ud(cpu));
	return (gen_x(cpu, in, o));
}

/*
 * The host must have what it executes for the guest: SSE3 SSSE3 SSE4.1
 * SSE4.2 (every x86-64 host since about 2011).  Without them, CPUID
 * hides them (cpuid.c) and they are #UD rather than a host SIGILL.
 */
bool
x86_sse_host_full(void)
{
	static int ok = -1;

	if (ok < 0)
		ok = __builtin_cpu_supports("sse3") &&
		    __builtin_cpu_supports("ssse3") &&
		    __builtin_cpu_supports("sse4.1") &&
		    __builtin_cpu_supports("sse4.2");
	return (ok != 0);
}

/* SSE3 opcodes of the 0F map (F2/F3/66 forms). */
static bool
is_sse3(unsigned op, unsigned pfx)
{
	return ((pfx >= 1 && (op == 0x7c || op == 0x7d || op == 0xd0)) ||
	    (pfx == 2 && (op == 0x12 || op == 0x16)) ||
	    (pfx == 3 && (op == 0x12 || op == 0xf0)));
}

/*
 * Every MMX/SSE opcode of the 0F, 0F38 and 0F3A maps (decode.c).  The
 * mandatory prefix: F3 or F2 (the last one seen) wins over 66 (SDM Vol 2
 * 2.1.2).
 */
X86_OP(x86_op_sse)
{
	unsigned pfx = in->rep == 0xf3 ? 2 : in->rep == 0xf2 ? 3 :
	    in->opsz_prefix ? 1 : 0;

	if (X86_UNLIKELY(!x86_sse_host_full()) && (in->map != 1 ||
	    is_sse3(in->opcode, pfx)))
		return (ud(cpu));
	if (in->map == 1)
		return (sse_map1(cpu, in, pfx));
	if (in->map == 2)
		return (sse_map2(cpu, in, pfx));
	return (sse_map3(cpu, in, pfx));
}
