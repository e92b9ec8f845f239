#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Fuzz harnesses (tests/fuzz/fuzz_*.c): build them with sanitizers into
# $B/tests/fuzz/ and run each for FUZZ_TIME seconds (default 10: `make
# check`; `make fuzz` runs them longer).  One PASS/FAIL line per harness.
#
# Engine: clang's libFuzzer when `clang -fsanitize=fuzzer` links, else
# driver.c (no coverage feedback) with any compiler that has ASan/UBSan,
# else every harness is skipped.  FUZZ_ENGINE=libfuzzer|driver forces one.
#
# Corpora grow in $B/tests/fuzz/corpus/<harness>/ across runs; the seeds
# in $B/tests/fuzz/seeds/ are written here at each run.  A crash leaves
# its input in $B/tests/fuzz/artifacts/ (libFuzzer) or prints it in hex
# (driver); replay it with `$B/tests/fuzz/fuzz_x FILE`.
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
FB=$B/tests/fuzz
# Under `make check` (FUZZ_TIME unset) libFuzzer runs with a fixed seed so
# that CI is repeatable: a new finding shows up in `make fuzz`, gets fixed,
# and its input joins the seeds, instead of failing CI at random.
[ -z "${FUZZ_TIME:-}" ] && FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_TIME=${FUZZ_TIME:-10}
[ "$FUZZ_TIME" -ge 1 ] 2>/dev/null || FUZZ_TIME=1	# libFuzzer: 0 = forever
mkdir -p "$FB"

probe() {	# probe <compiler> <flags...>: links a fuzz target?
	local cc=$1
	shift
	printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	    '{ return (d == NULL && n > 0); }' \
	    ${PROBE_MAIN:+'int main(void) { return (0); }'} > "$FB/probe.c"
	"$cc" "$@" -o "$FB/probe" "$FB/probe.c" >/dev/null 2>&1
}

engine=${FUZZ_ENGINE:-}
fcc=
if [ -z "$engine" ] || [ "$engine" = libfuzzer ]; then
	if probe clang -fsanitize=fuzzer,address,undefined; then
		engine=libfuzzer
		fcc=clang
	fi
fi
if [ -z "$fcc" ] && [ "$engine" != libfuzzer ]; then
	for c in ${CC:-cc} gcc clang; do
		if PROBE_MAIN=1 probe "$c" -fsanitize=address,undefined; then
			engine=driver
			fcc=$c
			break
		fi
	done
fi
if [ -z "$fcc" ]; then
	echo "SKIP: fuzz (no clang -fsanitize=fuzzer, no ASan/UBSan compiler)"
	exit 0
fi
echo "fuzz: engine $engine ($fcc), ${FUZZ_TIME}s per harness"

if ! make -s -f tests/fuzz/fuzz.mk B="$B" FUZZ_ENGINE=$engine FCC=$fcc \
    -j"${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}" >"$FB/build.log" 2>&1
then
	tail -30 "$FB/build.log"
	echo "FAIL: build"
	exit 0
fi

# ---- Seeds: small valid inputs to start from ----
S=$FB/seeds
rm -rf "$S"
mkdir -p "$S"/{fuzz_decode,fuzz_cpu,fuzz_devices,fuzz_config,fuzz_loader,fuzz_snapshot}

hex() {		# hex <file> <hex digits...>: write bytes
	local f=$1
	shift
	printf '%s' "$*" | tr -d ' \n' | sed 's/../\\x&/g' | xargs -0 printf \
	    >"$f"
}
le32() {	# le32 <value>: 8 hex digits, little-endian
	printf '%08x' $(($1 & 0xffffffff)) | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'
}
le16() {
	printf '%04x' $(($1 & 0xffff)) | sed 's/\(..\)\(..\)/\2\1/'
}
zeros() {	# zeros <n>: n zero bytes in hex
	head -c "$1" /dev/zero | od -An -v -tx1 | tr -d ' \n'
}

# Decoder: prefixes, REX, ModRM/SIB forms, 0F/0F38/0F3A maps, x87.
hex "$S/fuzz_decode/alu" 4801d8 678b4c2408 f0480fb10a 66f30fb8c1
hex "$S/fuzz_decode/sse" 660f3800c1 660f3a0fc108 0f28c1 f20f58c1 d9e8
hex "$S/fuzz_decode/misc" 2e3e2664f2f3aa c8100001 ea000000000800 0f01d0

# CPU: mode byte (0 real, 1 16-bit, 2 32-bit, 3 64-bit), seed, code.
for m in 00 01 02 03 23 43; do
	# mov eax,1; cpuid; in al,dx; out dx,al; rdmsr; rep movsb; int3; hlt
	hex "$S/fuzz_cpu/basic$m" "$m 0123456789abcdef" \
	    b801000000 0fa2 ec ee 0f32 f3a4 cc f4
	# a loop with a far jump and a #UD
	hex "$S/fuzz_cpu/loop$m" "$m fedcba9876543210" \
	    b90a000000 e2fe 0f0b ea00000000 0800 f4
done
# 32-bit: enable paging through the CR0/CR3/CR4 path, then fault.
hex "$S/fuzz_cpu/paging" "02 1111111111111111" \
    b800100000 0f22d8 0f20e0 83c820 0f22e0 0f20c0 0d00000080 0f22c0 \
    8b0500000040 f4

# Devices: ops (kind, args...).  See fuzz_devices.c for the encoding.
hex "$S/fuzz_devices/lapic" 02 00 02 f0 00 00 00 00 00 00 00 00 00 \
    03 01 02 20 03 ff 01 00 00 00 00 00 00 00 07 05 10 00
hex "$S/fuzz_devices/pit" 00 00 00 06 43 00 00 00 00 00 00 04 40 00 00 \
    00 00 00 07 10 ff ff 06 00
hex "$S/fuzz_devices/pci" 0b 00 02 02 f8 0c 00 80 0b 01 02 04 00 00 00 00 \
    0e 01 00 03 00 10 00 02 ff ff ff ff 0e 00 00 03 00 10 00 02
hex "$S/fuzz_devices/fwcfg" 0a 00 01 00 00 00 00 0a 05 00 00 00 00 00 \
    0a 43 00 00 00 00 00 01 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 \
    00 00 00 02
hex "$S/fuzz_devices/uart" 09 00 03 80 09 00 01 00 09 02 04 41 42 43 44 \
    09 01 05 09 01 00
# fwctl: reset, GET "hw.ncpu" (size, op, txid, two name words), reads
hex "$S/fuzz_devices/fwctl" 0f 00 0f 02 00 0f 02 01 0f 02 02 0f 02 03 \
    0f 02 04 0f 06 02 0f 06 02 0f 06 02 0f 06 02 0f 06 02 0f 06 02

# Config: a -k file (first byte odd) and option lines (first byte even,
# then each line's first character picks the parser).
printf '\001%s\n' 'cpus=4' 'memory.size=1G' 'x.y=%(cpus)' \
    'pci.0.3.0.device=uart' 'a=%(a)' >"$S/fuzz_config/file"
printf '\000%s\n' '0cpus=2' '3cpus=4,sockets=2,cores=2' '40,2-5,7' \
    '50:1' '6w127.0.0.1:1234' '7id=0,size=1G,cpus=0-1' \
    '8deadbeef-0000-1111-2222-333344445555' '94G' \
    ':3,virtio-net,tap0' ';' >"$S/fuzz_config/opts"

# Loader: multiboot a.out kludge (byte 0 even) and a bzImage (odd).
mb_flags=$((0x00010003))
hex "$S/fuzz_loader/multiboot" 08 02 \
    "$(le32 0x1BADB002)$(le32 $mb_flags)$(le32 $((-(0x1BADB002 + mb_flags))))" \
    "$(le32 0x100000)$(le32 0x100000)$(le32 0x100100)$(le32 0x100200)" \
    "$(le32 0x100020)" "$(zeros 224)"
# ELF32 multiboot kernel: ELF header, one PT_LOAD, multiboot header at 84.
mb_elf_flags=3
hex "$S/fuzz_loader/multiboot-elf" 0a 01 7f454c46010101 "$(zeros 9)" \
    "$(le16 2)$(le16 3)$(le32 1)$(le32 0x100054)$(le32 52)$(le32 0)" \
    "$(le32 0)$(le16 52)$(le16 32)$(le16 1)$(le16 40)$(le16 0)$(le16 0)" \
    "$(le32 1)$(le32 0)$(le32 0x100000)$(le32 0x100000)$(le32 0x100)" \
    "$(le32 0x200)$(le32 5)$(le32 0x1000)" \
    "$(le32 0x1BADB002)$(le32 $mb_elf_flags)" \
    "$(le32 $((-(0x1BADB002 + mb_elf_flags))))" "$(zeros 160)"
poke() {	# poke <hexbuf> <offset> <hex>: overwrite bytes at offset
	local buf=$1 off=$(($2 * 2)) val=$3
	printf '%s' "${buf:0:off}$val${buf:off+${#val}}"
}
# A minimal bzImage: 2 setup sectors with the header, a 512-byte kernel.
bz=$(zeros 1536)
bz=$(poke "$bz" 0x1f1 010000"$(le32 32)")	# setup_sects, syssize
bz=$(poke "$bz" 0x1fe "$(le16 0xaa55)")		# boot_flag
bz=$(poke "$bz" 0x200 eb6648647253)		# jmp 0x268; "HdrS"
bz=$(poke "$bz" 0x206 "$(le16 0x020f)")		# version 2.15
bz=$(poke "$bz" 0x211 01)				# LOADED_HIGH
bz=$(poke "$bz" 0x214 "$(le32 0x100000)")		# code32_start
bz=$(poke "$bz" 0x22c "$(le32 0x7fffffff)")	# initrd_addr_max
bz=$(poke "$bz" 0x230 "$(le32 0x200000)")		# kernel_alignment
bz=$(poke "$bz" 0x234 0115"$(le16 3)")		# relocatable, min, xlf
bz=$(poke "$bz" 0x238 "$(le32 2047)")		# cmdline_size
bz=$(poke "$bz" 0x258 "$(le32 0x1000000)")	# pref_address
bz=$(poke "$bz" 0x260 "$(le32 0x10000)")		# init_size
hex "$S/fuzz_loader/bzimage" 09 03 "$bz"

# Snapshot images (fuzz_snapshot.c): mode 00, a valid image holding a
# "uart" record (snapshot.h); mode 01/03, records built from the bytes.
hex "$S/fuzz_snapshot/uart" 00 \
    42485956534e415001000000010000000801000000000000e800000004636f6d \
    310475617274010000000e0000000103696572010000000000000001036c6372 \
    030000000000000001036d63720b000000000000000103736372000000000000 \
    00000103646c6c01000000000000000103646c6d000000000000000001036663 \
    72010000000000000001066c73725f6f65000000000000000001036d7372b000 \
    000000000000010c746872655f70656e64696e6700000000000000000107696e \
    74725f6f6e0100000000000000010a72785f74696d656f757400000000000000 \
    00010a72785f776169745f6e73e803000000000000020772785f6669666f0200 \
    00006162fe1c15f8
hex "$S/fuzz_snapshot/built" 01 03 75 02 05 01 00 01 02 03 04 05 06 07 \
    08 10 00 03 41 42 43 02 07 00 10 ff
hex "$S/fuzz_snapshot/flipped" 03 01 01 01 01 01 00 00 00 00 00 00 00 00 \
    00 04 18 00 01 20 00 02

# ---- Run ----
mkdir -p "$FB/artifacts"
for bin in "$FB"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	log=$FB/$name.log
	corpus=$FB/corpus/$name
	mkdir -p "$corpus"
	if [ "$engine" = libfuzzer ]; then
		timeout $((FUZZ_TIME + 120)) "$bin" -max_total_time="$FUZZ_TIME" \
		    ${FUZZ_SEED:+-seed=$FUZZ_SEED} -timeout=20 -rss_limit_mb=3072 -max_len=4096 \
		    -artifact_prefix="$FB/artifacts/$name-" \
		    -close_fd_mask=1 "$corpus" "$S/$name" >"$log" 2>&1
	else
		timeout $((FUZZ_TIME + 120)) "$bin" -time="$FUZZ_TIME" \
		    "$S/$name" "$corpus" >"$log" 2>&1
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS: $name"
	else
		grep -v '^#[0-9]' "$log" | grep -v '^[A-Za-z].*: .*$' |
		    tail -60 || true
		grep -E 'ERROR|SUMMARY|invariant|artifact|crashing' "$log" |
		    head -10
		echo "FAIL: $name (rc $rc, log $log)"
	fi
done
exit 0
