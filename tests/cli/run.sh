#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Command line tests: run $B/bhyve with option combinations and check exit
# statuses and messages against bhyve(8)'s behaviour.  One "PASS: name" or
# "FAIL: name" line per case.
#
# Exit statuses: 0 -h and help listings; 1 usage errors and config.dump;
# 64 (EX_USAGE) for an invalid memory size, as bhyve; 4 other errors.
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
BHYVE=$PWD/$B/bhyve
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$BHYVE" ]; then
	echo "FAIL: cli: $BHYVE not built"
	exit 0
fi

# t NAME RC OUT ERR -- ARGS...: run bhyve with ARGS; pass if the exit
# status is RC, stdout contains OUT and stderr contains ERR (fixed
# strings; "" matches anything, "-" requires the stream to be empty).
t() {
	local name=$1 want=$2 wout=$3 werr=$4 rc why=""
	shift 5
	timeout 10 "$BHYVE" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	[ "$rc" -eq "$want" ] || why="exit $rc, want $want"
	if [ -z "$why" ] && ! match "$TMP/out" "$wout"; then
		why="stdout lacks '$wout'"
	fi
	if [ -z "$why" ] && ! match "$TMP/err" "$werr"; then
		why="stderr lacks '$werr'"
	fi
	if [ -z "$why" ]; then
		echo "PASS: $name"
	else
		echo "FAIL: $name ($why)"
		head -5 "$TMP/out" "$TMP/err" | sed 's/^/    /'
	fi
}

match() {	# match FILE PATTERN
	case "$2" in
	"") return 0 ;;
	-) [ ! -s "$1" ] ;;
	*) grep -qF -- "$2" "$1" ;;
	esac
}

# ok NAME CMD...: pass if the shell command succeeds.
ok() {
	local name=$1
	shift
	if "$@"; then echo "PASS: $name"; else echo "FAIL: $name"; fi
}

# Messages of the configuration layer; the VM engine's are not among
# them, so a run that gets past configuration shows none.
not_config_error() {	# not_config_error STDERR-FILE
	! grep -qiE 'usage:|invalid|not implemented|does not match|too high|already occupied|unknown device|failed to|option requires|illegal option|existing' "$1"
}

# accepted NAME ARGS...: the configuration is valid, whatever the VM
# engine then does with it (no guest kernel here; stdin is /dev/null).
accepted() {
	local name=$1
	shift
	timeout 10 "$BHYVE" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	if not_config_error "$TMP/err"; then
		echo "PASS: $name"
	else
		echo "FAIL: $name"
		head -5 "$TMP/err" | sed 's/^/    /'
	fi
}

DUMP="-o config.dump=1"

# --- usage -----------------------------------------------------------
t help-exit0-stdout 0 "Usage:" - -- -h
t help-after-options 0 "Usage:" - -- -H -h vm
t unknown-option 1 - "Usage:" -- -z vm
t unknown-option-msg 1 - "illegal option -- z" -- -z vm
t missing-argument 1 - "option requires an argument -- m" -- -m
t no-operand 1 - "Usage:" --
t no-operand-options 1 - "Usage:" -- -H -c 2
t two-operands 1 - "Usage:" -- vm1 vm2
t option-after-operand 1 - "Usage:" -- vm -H
t name-from-config 1 "name=fromcfg" "" -- $DUMP -o name=fromcfg
t operand-overrides-name 1 "name=op" "" -- -o name=cfg $DUMP op

# --- config.dump -----------------------------------------------------
t dump-exit1 1 "memory.size=256M" "" -- $DUMP vm
t dump-defaults 1 "acpi_tables=true" "" -- $DUMP vm
t dump-fwcfg-default 1 "lpc.fwcfg=bhyve" "" -- $DUMP vm
t dump-strictmsr 1 "x86.strictmsr=true" "" -- $DUMP vm
t dump-name 1 "name=vm" "" -- $DUMP vm
t dump-true 1 "config.dump=true" "" -- -o config.dump=true vm
t dump-yes 1 "config.dump=YES" "" -- -o config.dump=YES vm
t dump-off-runs 4 - "" -- -o config.dump=off -c 0 vm
t dump-bad-bool 4 - "boolean variable config.dump" -- -o config.dump=maybe vm
t dump-before-validation 1 "cpus=0" "" -- -c 0 -m junk $DUMP vm
"$BHYVE" -o config.dump=1 vm >"$TMP/d1" 2>/dev/null
ok dump-exact-defaults diff -u - "$TMP/d1" <<'EOF'
acpi_tables=true
acpi_tables_in_memory=true
memory.size=256M
x86.strictmsr=true
lpc.fwcfg=bhyve
config.dump=1
name=vm
EOF
"$BHYVE" -m 1G -o memory.size=2G -H $DUMP vm >"$TMP/d2" 2>/dev/null
ok dump-last-wins grep -qx "memory.size=2G" "$TMP/d2"
ok dump-one-line-per-key test "$(grep -c '^memory.size=' "$TMP/d2")" = 1

# --- flags -> keys ---------------------------------------------------
"$BHYVE" -a -A -C -D -e -H -I -P -S -u -W -w -Y $DUMP vm >"$TMP/f" 2>&1
for kv in x86.x2apic=false memory.guest_in_core=true \
    destroy_on_poweroff=true x86.strictio=true x86.vmexit_on_hlt=true \
    x86.vmexit_on_pause=true memory.wired=true rtc.use_localtime=false \
    virtio_msix=false x86.strictmsr=false x86.mptable=false; do
	ok "flag-$kv" grep -qx "$kv" "$TMP/f"
done
t flag-x 1 "x86.x2apic=true" "" -- -x $DUMP vm
t flag-K 1 "keyboard.layout=de_noacc" "" -- -K de_noacc $DUMP vm
t flag-U 1 "uuid=6ba7b810-9dad-11d1-80b4-00c04fd430c8" "" -- \
    -U 6ba7b810-9dad-11d1-80b4-00c04fd430c8 $DUMP vm
t flag-G 1 "gdb.port=1234" "" -- -G w127.0.0.1:1234 $DUMP vm
t flag-G-wait 1 "gdb.wait=true" "" -- -G w127.0.0.1:1234 $DUMP vm
t flag-G-addr 1 "gdb.address=127.0.0.1" "" -- -G w127.0.0.1:1234 $DUMP vm
t flag-m 1 "memory.size=1G" "" -- -m 1G $DUMP vm

# --- -c topology -----------------------------------------------------
t c-cpus 1 "cpus=4" "" -- -c 4 $DUMP vm
t c-keys 1 "threads=2" "" -- -c cpus=4,sockets=1,cores=2,threads=2 $DUMP vm
t c-empty 1 "sockets=1" "" -- -c "" $DUMP vm
"$BHYVE" -c "" $DUMP vm >"$TMP/c" 2>/dev/null
ok c-empty-order sh -c "grep -E '^(sockets|cores|threads|cpus)=' '$TMP/c' | tr '\n' ' ' | grep -qx 'sockets=1 cores=1 threads=1 cpus=1 '"
t c-mismatch 4 - "Topology (4 sockets, 2 cores, 1 threads) does not match 4 vCPUs" -- -c 4,cores=2 vm
t c-mismatch-explicit 4 - "Topology (2 sockets, 2 cores, 2 threads) does not match 6 vCPUs" -- -c cpus=6,sockets=2,cores=2,threads=2 vm
t c-zero 4 - "Invalid value for cpus: '0'" -- -c 0 vm
t c-too-big 4 - "Invalid value for cpus: '65536'" -- -c 65536 vm
t c-garbage 4 - "Invalid value for cpus: '4x'" -- -c 4x vm
t c-empty-token 4 - "Invalid value for cpus: ''" -- -c ",," vm
t c-bad-sockets 4 - "Invalid value for sockets: '-1'" -- -c sockets=-1 vm
t c-overflow 4 - "Invalid value for cores" -- -c cores=99999999999999999999 vm
t c-product 4 - "Computed number of vCPUs too high: 65536" -- -c sockets=256,cores=256 vm
t c-unknown-key 4 - "invalid cpu topology 'maxcpus=4'" -- -c maxcpus=4 vm
t c-via-o 4 - "does not match 3 vCPUs" -- -o cpus=3 -o sockets=2 vm
t c-expand 4 - "does not match 3 vCPUs" -- -o n=3 -c cpus=%\(n\),sockets=2 vm

# --- -m memory size --------------------------------------------------
t m-bad 64 - "invalid memsize 'foo'" -- -m foo vm
t m-empty 64 - "invalid memsize ''" -- -m "" vm
t m-garbage 64 - "invalid memsize '256Mx'" -- -m 256Mx vm
t m-negative 64 - "invalid memsize '-1'" -- -m -1 vm
t m-overflow 64 - "invalid memsize '99999999999999999999999'" -- -m 99999999999999999999999 vm
t m-suffix-overflow 64 - "invalid memsize '16E'" -- -m 16E vm
t m-space 64 - "invalid memsize '1 G'" -- -m "1 G" vm
t m-via-o 64 - "invalid memsize 'bad'" -- -o memory.size=bad vm
t m-expand 64 - "invalid memsize 'xyz'" -- -o sz=xyz -m %\(sz\) vm
# Valid sizes get past the memory check to the UUID check after it.
for m in 256 256M 256m 1G 1g 1073741824 0x10000000 512K 1T 1GB 4096B; do
	t "m-valid-$m" 4 - "Invalid UUID 'x'" -- -m "$m" -U x vm
done

# --- -o ----------------------------------------------------------------
t o-no-equals 4 - "invalid configuration option 'foo'" -- -o foo vm
t o-empty-value 4 - "invalid configuration option 'foo='" -- -o foo= vm
t o-empty-name 4 - "invalid configuration option '=x'" -- -o =x vm
t o-empty 4 - "invalid configuration option ''" -- -o "" vm
t o-value-on-node 4 - "existing node memory" -- -o memory=1 vm
t o-node-under-value 4 - "child of existing variable" -- -o memory.size.x=1 vm
t o-bad-path 4 - "Invalid configuration variable name" -- -o a..b=1 vm
t o-value-with-equals 1 "a.b=c=d" "" -- -o a.b=c=d $DUMP vm
t o-raw-in-dump 1 "disk=/dev/zvol/%(name)" "" -- -o 'disk=/dev/zvol/%(name)' $DUMP vm
LONG=$(head -c 100000 /dev/zero | tr '\0' v)
t o-long-value 1 "long=$LONG" "" -- -o "long=$LONG" $DUMP vm
t o-long-name 4 - "invalid VM name" -- "$(head -c 300 /dev/zero | tr '\0' n)"
t o-empty-name-operand 4 - "invalid VM name" -- ""

# --- -k config files -------------------------------------------------
cat >"$TMP/good.conf" <<'EOF'
# A bhyve config file
name=fromfile

	# indented comment
memory.size=1G
cpus=2
lpc.com1.path=stdio
EOF
t k-good 1 "memory.size=1G" "" -- -k "$TMP/good.conf" $DUMP
t k-good-name 1 "name=fromfile" "" -- -k "$TMP/good.conf" $DUMP
t k-no-comments 1 "" "" -- -k "$TMP/good.conf" $DUMP
ok k-no-comment-keys sh -c "! '$BHYVE' -k '$TMP/good.conf' $DUMP | grep -q '#'"
printf 'name=x\n\nthis is bad\n' >"$TMP/bad.conf"
t k-bad-line 4 - "$TMP/bad.conf:3: invalid config option 'this is bad'" -- -k "$TMP/bad.conf" vm
printf 'a=1\nempty=\n' >"$TMP/bad2.conf"
t k-empty-value 4 - "bad2.conf:2:" -- -k "$TMP/bad2.conf" vm
printf 'memory=1\n' >"$TMP/bad3.conf"
t k-value-on-node 4 - "bad3.conf:1:" -- -k "$TMP/bad3.conf" vm
t k-missing 4 - "Failed to open configuration file $TMP/nonexistent" -- -k "$TMP/nonexistent" vm
t k-empty-path 4 - "Failed to open configuration file" -- -k "" vm
printf 'memory.size=2G\r\nname=crlf\r\n' >"$TMP/crlf.conf"
t k-crlf 1 "name=crlf" "" -- -k "$TMP/crlf.conf" $DUMP
t k-then-o 1 "memory.size=4G" "" -- -k "$TMP/good.conf" -m 4G $DUMP
BASE=$(head -c 130 /dev/zero | tr '\0' w)
printf 'name=%%(base)-vm\nbase=%s\n' "$BASE" >"$TMP/expand.conf"
t k-expand-name 4 - "invalid VM name '$BASE-vm'" -- -k "$TMP/expand.conf"
: >"$TMP/empty.conf"
t k-empty-file 1 "memory.size=256M" "" -- -k "$TMP/empty.conf" $DUMP vm

# --- %(var) expansion --------------------------------------------------
t expand-unknown 64 - "Failed to fetch referenced configuration variable nosuch" -- -m "%(nosuch)" vm
t expand-loop 64 - "Too many nested references" -- -o 'a=%(a)' -m '%(a)' vm
t expand-escape 64 - "invalid memsize '%(x)'" -- -o x=1 -m '%%(x)' vm

# --- -p and cpusets --------------------------------------------------
t p-ok 1 "vcpu.0.cpuset=1,3" "" -- -p 0:1 -p 0:3 $DUMP vm
t p-two-vcpus 1 "vcpu.1.cpuset=2" "" -- -p 0:1 -p 1:2 $DUMP vm
t p-bad-format 4 - "invalid vcpu pinning configuration '0-1'" -- -p 0-1 vm
t p-empty 4 - "invalid vcpu pinning configuration ''" -- -p "" vm
t p-garbage 4 - "invalid format: 0:1x" -- -p 0:1x vm
t p-host-range 4 - "hostcpu '1024' outside valid range from 0 to 1023" -- -p 0:1024 vm
t p-negative 4 - "invalid vcpu pinning" -- -p -1:0 vm
t cpuset-range-ok 1 "vcpu.0.cpuset=0,2-5,7" "" -- -o vcpu.0.cpuset=0,2-5,7 $DUMP vm
t cpuset-bad-range 4 - "Invalid hostcpu range 5-2" -- -o vcpu.0.cpuset=5-2 vm
t cpuset-garbage 4 - "invalid cpuset for vcpu 0: '1,x'" -- -o vcpu.0.cpuset=1,x vm
t cpuset-out-of-range 4 - "outside valid range" -- -o vcpu.0.cpuset=0-4096 vm
t cpuset-other-vcpu-ignored 4 - "Invalid UUID" -- -o vcpu.5.cpuset=x -U x vm
t cpuset-second-vcpu 4 - "invalid cpuset for vcpu 1" -- -c 2 -o vcpu.1.cpuset=- vm

# --- -s PCI slots ------------------------------------------------------
t s-help 0 "virtio-blk" - -- -s help
t s-help-hostbridge 0 "hostbridge" - -- -s help
t s-help-lpc 0 "lpc" - -- -s help
t s-help-prefix 0 "amd_hostbridge" - -- -s h
t s-help-empty 0 "ahci-hd" - -- -s ""
ok s-help-one-per-line sh -c "'$BHYVE' -s help | grep -qx virtio-net"
t s-slot 1 "pci.0.3.0.device=virtio-rnd" "" -- -s 3,virtio-rnd $DUMP vm
t s-slot-func 1 "pci.0.3.5.device=virtio-rnd" "" -- -s 3:5,virtio-rnd $DUMP vm
t s-bus-slot-func 1 "pci.2.3.5.device=virtio-rnd" "" -- -s 2:3:5,virtio-rnd $DUMP vm
t s-options 1 "pci.0.4.0.path=/tmp/disk.img" "" -- -s 4,virtio-blk,/tmp/disk.img,ro $DUMP vm
t s-options-bool 1 "pci.0.4.0.ro=true" "" -- -s 4,virtio-blk,/tmp/disk.img,ro $DUMP vm
t s-net-backend 1 "pci.0.5.0.backend=tap0" "" -- -s 5,virtio-net,tap0 $DUMP vm
t s-amd-alias 1 "pci.0.0.0.pcireg.vendor=0x1022" "" -- -s 0,amd_hostbridge $DUMP vm
t s-amd-device 1 "pci.0.0.0.device=hostbridge" "" -- -s 0,amd_hostbridge $DUMP vm
t s-duplicate 4 - "pci slot 0:3:0 already occupied!" -- -s 3,virtio-rnd -s 3,virtio-rnd vm
t s-duplicate-func 4 - "pci slot 1:3:2 already occupied!" -- -s 1:3:2,virtio-rnd -s 1:3:2,hostbridge vm
t s-no-emul 4 - 'Invalid PCI slot info field "3"' -- -s 3 vm
t s-slot-range 4 - 'Invalid PCI slot info field "32,hostbridge"' -- -s 32,hostbridge vm
t s-func-range 4 - "Invalid PCI slot info field" -- -s 0:8,hostbridge vm
t s-bus-range 4 - "Invalid PCI slot info field" -- -s 256:0:0,hostbridge vm
t s-negative 4 - "Invalid PCI slot info field" -- -s -1,hostbridge vm
t s-garbage 4 - "Invalid PCI slot info field" -- -s 1x,hostbridge vm
t s-overflow 4 - "Invalid PCI slot info field" -- -s 99999999999999,hostbridge vm
t s-unknown 4 - 'pci slot 0:3:0: unknown device "nosuch"' -- -s 3,nosuch vm
t s-empty-emul 4 - 'unknown device ""' -- -s 3, vm
t s-not-implemented 4 - 'device model "virtio-blk" is not implemented yet' -- -s 4,virtio-blk,/x vm
t s-o-unknown-device 4 - 'unknown device "bogus"' -- -o pci.0.3.0.device=bogus vm
t s-lpc-bus1 4 - "LPC bridge can be present only on bus 0." -- -s 1:31:0,lpc vm
t s-two-lpc 4 - "Only one LPC bridge is allowed." -- -s 30,lpc -s 31,lpc vm
accepted s-basic-accepted -s 0,hostbridge -s 31,lpc -l com1,stdio vm
accepted s-amd-hostbridge-accepted -H -s 0,amd_hostbridge -s 31,lpc vm
accepted c-valid-accepted -c cpus=4,sockets=2,cores=2 vm
accepted cpuset-valid-accepted -c 2 -p 0:0 -o vcpu.1.cpuset=0-1 vm

# --- -l LPC devices --------------------------------------------------
"$BHYVE" -l help >"$TMP/lhelp" 2>&1
ok l-help-exact diff -u - "$TMP/lhelp" <<'EOF'
bootrom
com1
com2
com3
com4
tpm
pc-testdev
EOF
t l-help-prefix 0 "pc-testdev" - -- -l he
t l-com1 1 "lpc.com1.path=stdio" "" -- -l com1,stdio $DUMP vm
t l-com-case 1 "lpc.com2.path=/dev/nmdm0A" "" -- -l COM2,/dev/nmdm0A $DUMP vm
t l-com-tcp 1 "lpc.com1.path=tcp=127.0.0.1:4444" "" -- -l com1,tcp=127.0.0.1:4444 $DUMP vm
t l-bootrom 1 "lpc.bootrom=/fw/CODE.fd" "" -- -l bootrom,/fw/CODE.fd,/fw/VARS.fd $DUMP vm
t l-bootvars 1 "lpc.bootvars=/fw/VARS.fd" "" -- -l bootrom,/fw/CODE.fd,/fw/VARS.fd $DUMP vm
t l-bootrom-kv 1 "lpc.fwcfg=qemu" "" -- -l bootrom,/fw/CODE.fd,fwcfg=qemu $DUMP vm
t l-tpm 1 "tpm.version=2.0" "" -- -l tpm,swtpm,/tmp/sock $DUMP vm
t l-testdev 1 "lpc.pc-testdev=true" "" -- -l pc-testdev $DUMP vm
t l-unknown 4 - "invalid lpc device configuration 'com5,stdio'" -- -l com5,stdio vm
t l-bootrom-nofile 4 - 'invalid bootrom option "bootrom"' -- -l bootrom vm
t l-tpm-nopath 4 - 'invalid tpm path' -- -l tpm,swtpm vm
t l-com-nobackend 4 - "missing backend" -- -l com1 vm
t l-bootrom-missing 4 - 'bootrom: cannot open "/nonexistent/rom"' -- -l bootrom,/nonexistent/rom vm
t l-tpm-unimpl 4 - "TPM device" -- -l tpm,swtpm,/tmp/s vm
t l-testdev-accepted 4 - "no boot.kernel or bootrom configured" -- -l pc-testdev vm
accepted l-com2-accepted -l com2,stdio vm
t l-com2-tty-missing 4 - "uart: cannot open /nonexistent/tty" -- -l com2,/nonexistent/tty vm
t l-com3-bad-backend 4 - 'uart: unknown backend "bogus"' -- -l com3,bogus vm

# --- features refused at start -----------------------------------------
t gdb-unimpl 4 - "the GDB server (-G, gdb.port) is not implemented yet" -- -G 1234 vm
accepted gdb-port0-accepted -G 0 vm
t gdb-bad-port 4 - "Invalid value for gdb.port: 'x'" -- -G x vm
t restore-unimpl 4 - "snapshot restore (-r) is not implemented yet" -- -r /tmp/snap vm
t numa-unimpl 4 - "NUMA domains" -- -n id=0,size=1G,cpus=0 vm
t numa-bad 4 - "invalid NUMA configuration 'size=1G'" -- -n size=1G vm
t numa-no-acpi 4 - "NUMA emulation requires ACPI" -- -o acpi_tables=false -n id=0 vm
t fwcfg-string 1 "fwcfg.file.0.string=hello" "" -- -f opt/x,string=hello $DUMP vm
t fwcfg-bad 4 - "invalid fwcfg item 'opt/x'" -- -f opt/x vm
t fwcfg-missing-file 4 - "invalid fwcfg item" -- -f opt/x,file=$TMP/nonexistent vm
t fwcfg-accepted 4 - "no boot.kernel or bootrom configured" -- -f opt/x,string=y vm
t uuid-bad 4 - "Invalid UUID 'not-a-uuid'" -- -U not-a-uuid vm
accepted uuid-ok-accepted -U 6ba7b810-9dad-11d1-80b4-00c04fd430c8 vm
accepted uuid-nil-accepted -U "" vm
t com1-tcp-bad 4 - "uart: tcp=nowhere: expected IP:PORT" -- -l com1,tcp=nowhere vm
t com1-unix-bad 4 - "uart: unix=: bad socket path" -- -l com1,unix= vm

# --- boot ROM: a 64 KiB ROM whose reset-vector code prints over COM1 ----
# (real-mode code at IP 0xFF80, its message at 0xFF40, a short jump at
# the reset vector 0xFFF0; the same bytes as tests/unit/test_bootrom.c)
rom=$TMP/test.rom
head -c 65536 /dev/zero | tr '\0' '\377' >"$rom"
patch_rom() {	# patch_rom OFFSET OCTAL-ESCAPES
	printf "$2" | dd of="$rom" bs=1 seek=$(($1)) conv=notrunc 2>/dev/null
}
patch_rom 0xff40 'ROM OK\n\0'
patch_rom 0xff80 '\272\370\003\276\100\377\056\254\204\300\164\003\356\353\367\260\000\346\364\372\364\353\374'
patch_rom 0xfff0 '\353\216'
head -c 8192 /dev/zero >"$TMP/test.vars"
t bootrom-reset-vector 2 "ROM OK" "" -- -H -l bootrom,$rom,$TMP/test.vars -l com1,stdio romvm
t bootrom-with-pci 2 "ROM OK" "" -- -H -s 0,hostbridge -s 31,lpc -s 3,uart -l bootrom,$rom -l com1,stdio romvm
head -c 100 /dev/zero >"$TMP/odd.rom"
t bootrom-odd-size 4 - "not a multiple of 4 KiB" -- -l bootrom,$TMP/odd.rom vm

# --- bhyve fwctl (lpc.fwcfg=bhyve, the default with a boot ROM) ------
# Reset-vector code at 0xFE00 that does what edk2's BhyveFwCtlLib does:
# outw 0x510 <- 0, four inb 0x511 printed to COM1, then a GET "hw.ncpu"
# request (outl 0x510: 20, 3, txid 7, "hw.n", "cpu\0") and seven inl
# 0x510 (size, op, txid, error, 64-bit length, value); it prints
# " <value> <error>" as digits and halts.  Source, for GNU as --32:
#   .code16; mov $0x510,%dx; xor %ax,%ax; out %ax,%dx; inc %dx; mov $4,%cx
#   1: in %dx,%al; call putc; loop 1b; dec %dx
#   movl $20/$3/$7/$0x6e2e7768/$0x00757063,%eax; outl %eax,%dx (each)
#   mov $4,%cx; 2: inl %dx,%eax; loop 2b; mov %al,%bl
#   inl x3 (the last to %al); mov %al,%bh; mov $0x3f8,%dx
#   out ' ', %bh+'0', ' ', %bl+'0', '\n'; cli; hlt; 3: jmp 3b
#   putc: push %dx; mov $0x3f8,%dx; out %al,%dx; pop %dx; ret
# The reset vector 0xFFF0 jumps to it (jmp near, E9 0D FE).  With QEMU
# fw_cfg on the ports the same probe reads "QEMU" instead.
fwrom=$TMP/fwctl.rom
head -c 65536 /dev/zero | tr '\0' '\377' >"$fwrom"
fwcode=
fwcode+='\272\020\005\061\300\357\102\271\004\000\354\350\126\000\342\372'
fwcode+='\112\146\270\024\000\000\000\146\357\146\270\003\000\000\000\146'
fwcode+='\357\146\270\007\000\000\000\146\357\146\270\150\167\056\156\146'
fwcode+='\357\146\270\143\160\165\000\146\357\271\004\000\146\355\342\374'
fwcode+='\210\303\146\355\146\355\146\355\210\307\272\370\003\260\040\356'
fwcode+='\210\370\004\060\356\260\040\356\210\330\004\060\356\260\012\356'
fwcode+='\372\364\353\376\122\272\370\003\356\132\303'
printf "$fwcode" |
    dd of="$fwrom" bs=1 seek=$((0xfe00)) conv=notrunc 2>/dev/null
printf '\351\015\376' | dd of="$fwrom" bs=1 seek=$((0xfff0)) conv=notrunc 2>/dev/null
t fwctl-default 2 "BHYV 2 0" "" -- -H -c 2 -l bootrom,$fwrom -l com1,stdio fwvm
t fwctl-bhyve 2 "BHYV 3 0" "" -- -H -c 3 -l bootrom,$fwrom -o lpc.fwcfg=bhyve -l com1,stdio fwvm
t fwctl-bootrom-kv 2 "BHYV 1 0" "" -- -H -l bootrom,$fwrom,fwcfg=bhyve -l com1,stdio fwvm
t fwctl-qemu 2 "QEMU" "" -- -H -l bootrom,$fwrom -o lpc.fwcfg=qemu -l com1,stdio fwvm
t fwcfg-bad-flavour 4 - "invalid lpc.fwcfg 'fwctl'" -- -l bootrom,$fwrom -o lpc.fwcfg=fwctl fwvm

exit 0
