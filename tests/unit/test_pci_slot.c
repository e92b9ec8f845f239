/* SPDX-License-Identifier: BSD-2-Clause */
/* -s and -l parsing: slots, emulation registry, legacy option parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bhyve/config.h"
#include "tests/unit/config_fixture.h"
#include "bhyve/pci_emul.h"
#include "bhyve/pci_lpc.h"

static void
slot_ok(const char *opt)
{
	if (pci_parse_slot(opt) != 0)
		fail_msg("-s \"%s\" rejected", opt);
}

static void
slot_bad(const char *opt)
{
	if (pci_parse_slot(opt) == 0)
		fail_msg("-s \"%s\" accepted", opt);
}

static void
test_slot_forms(void **state)
{
	(void)state;
	slot_ok("0,hostbridge");
	assert_value("pci.0.0.0.device", "hostbridge");
	slot_ok("3:2,virtio-rnd");
	assert_value("pci.0.3.2.device", "virtio-rnd");
	slot_ok("1:4:7,virtio-rnd");
	assert_value("pci.1.4.7.device", "virtio-rnd");
	slot_ok("255:31:7,virtio-rnd");
	assert_value("pci.255.31.7.device", "virtio-rnd");
	/* Leading zeros are decimal; nodes are written unpadded. */
	slot_ok("07,virtio-rnd");
	assert_value("pci.0.7.0.device", "virtio-rnd");
	slot_ok("0:08:01,virtio-rnd");
	assert_value("pci.0.8.1.device", "virtio-rnd");
	slot_ok("0000009,virtio-rnd");
	assert_value("pci.0.9.0.device", "virtio-rnd");
}

static void
test_slot_errors(void **state)
{
	static const char *const bad[] = {
		"", "0", "hostbridge", ",hostbridge", "32,hostbridge",
		"0:8,hostbridge", "256:0:0,hostbridge", "-1,hostbridge",
		"+1,hostbridge", "1a,hostbridge", "a,hostbridge",
		"1:2:3:4,hostbridge", "1:,hostbridge", ":1,hostbridge",
		"1::2,hostbridge", " 1,hostbridge", "1 ,hostbridge",
		"0x1,hostbridge", "1000,hostbridge", "99999999999,hostbridge",
		"4294967297,hostbridge", "1:4294967296:0,hostbridge",
		"1,", "1,nosuchdevice", "1,HOSTBRIDGE", "1,virtio-rnd ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		slot_bad(bad[i]);
	assert_null(find_config_node("pci"));
}

static void
test_slot_occupied(void **state)
{
	(void)state;
	slot_ok("3,virtio-rnd");
	slot_bad("3,virtio-rnd");
	slot_bad("3:0,hostbridge");
	slot_bad("0:3:0,lpc");
	slot_ok("3:1,virtio-rnd");
	/* -o first, then -s on the same slot. */
	set_config_value("pci.0.5.0.device", "virtio-rnd");
	slot_bad("5,virtio-rnd");
	assert_value("pci.0.3.0.device", "virtio-rnd");
}

static void
test_generic_options(void **state)
{
	(void)state;
	slot_ok("4,virtio-rnd,a=1,flag,b=x=y,,c=");
	assert_value("pci.0.4.0.a", "1");
	assert_value("pci.0.4.0.flag", "true");
	assert_value("pci.0.4.0.b", "x=y");
	assert_value("pci.0.4.0.c", "");
	/* Dotted names build nodes below the device. */
	slot_ok("0,hostbridge,pcireg.vendor=0x8086,pcireg.device=0x1237");
	assert_value("pci.0.0.0.pcireg.vendor", "0x8086");
	assert_value("pci.0.0.0.pcireg.device", "0x1237");
	/* Bad option names fail the whole -s. */
	slot_bad("5,virtio-rnd,=1");
	slot_bad("6,virtio-rnd,a..b=1");
	slot_bad("7,virtio-rnd,a.=1");
	slot_bad("8,hostbridge,pcireg=1,pcireg.x=2");
	slot_bad("9,hostbridge,pcireg.x=1,pcireg=2");
}

static void
test_aliases(void **state)
{
	(void)state;
	slot_ok("0,amd_hostbridge");
	assert_value("pci.0.0.0.device", "hostbridge");
	assert_value("pci.0.0.0.pcireg.vendor", "0x1022");
	assert_value("pci.0.0.0.pcireg.device", "0x7432");
	slot_ok("1,ahci-hd,/img/disk.img,ro");
	assert_value("pci.0.1.0.device", "ahci");
	assert_value("pci.0.1.0.port.0.type", "hd");
	assert_value("pci.0.1.0.port.0.path", "/img/disk.img");
	assert_value("pci.0.1.0.port.0.ro", "true");
	slot_ok("2,ahci-cd,/img/cd.iso");
	assert_value("pci.0.2.0.device", "ahci");
	assert_value("pci.0.2.0.port.0.type", "cd");
	assert_value("pci.0.2.0.port.0.path", "/img/cd.iso");
}

static void
test_legacy_block_net(void **state)
{
	(void)state;
	slot_ok("4,virtio-blk,/dev/zvol/vm,nocache,sectorsize=512/4096,"
	    "ser=ABC");
	assert_value("pci.0.4.0.device", "virtio-blk");
	assert_value("pci.0.4.0.path", "/dev/zvol/vm");
	assert_value("pci.0.4.0.nocache", "true");
	assert_value("pci.0.4.0.sectorsize", "512/4096");
	assert_value("pci.0.4.0.ser", "ABC");
	slot_ok("5,virtio-blk,/only/path");
	assert_value("pci.0.5.0.path", "/only/path");
	slot_ok("6,virtio-blk");
	assert_value("pci.0.6.0.path", NULL);
	slot_ok("7,virtio-net,tap0,mac=00:a0:98:00:00:01,mtu=9000");
	assert_value("pci.0.7.0.backend", "tap0");
	assert_value("pci.0.7.0.mac", "00:a0:98:00:00:01");
	assert_value("pci.0.7.0.mtu", "9000");
	slot_ok("8,e1000,backend=tap1,mac=00:a0:98:00:00:02");
	assert_value("pci.0.8.0.device", "e1000");
	assert_value("pci.0.8.0.backend", "tap1");
	slot_ok("9,virtio-net,slirp,hostfwd=tcp::2222-:22");
	assert_value("pci.0.9.0.backend", "slirp");
	assert_value("pci.0.9.0.hostfwd", "tcp::2222-:22");
	slot_ok("10,nvme,ram=1024,ser=X");
	assert_value("pci.0.10.0.ram", "1024");
	assert_value("pci.0.10.0.path", NULL);
	slot_ok("11,nvme,/dev/nvd0,maxq=4");
	assert_value("pci.0.11.0.path", "/dev/nvd0");
	assert_value("pci.0.11.0.maxq", "4");
	slot_ok("12,virtio-input,/dev/input/event0");
	assert_value("pci.0.12.0.path", "/dev/input/event0");
	slot_ok("13,virtio-scsi,/dev/cam/ctl,iid=3");
	assert_value("pci.0.13.0.dev", "/dev/cam/ctl");
	assert_value("pci.0.13.0.iid", "3");
}

static void
test_legacy_others(void **state)
{
	(void)state;
	slot_ok("3,ahci,hd:/a.img,nmrr=1,cd:/b.iso,hd:/c.img,ser=S");
	assert_value("pci.0.3.0.port.0.type", "hd");
	assert_value("pci.0.3.0.port.0.path", "/a.img");
	assert_value("pci.0.3.0.port.0.nmrr", "1");
	assert_value("pci.0.3.0.port.1.type", "cd");
	assert_value("pci.0.3.0.port.1.path", "/b.iso");
	assert_value("pci.0.3.0.port.2.path", "/c.img");
	assert_value("pci.0.3.0.port.2.ser", "S");
	slot_bad("4,ahci,/no/type.img");

	slot_ok("6,virtio-9p,share=/srv/share,ro");
	assert_value("pci.0.6.0.sharename", "share");
	assert_value("pci.0.6.0.path", "/srv/share");
	assert_value("pci.0.6.0.ro", "true");
	slot_bad("7,virtio-9p,/no/name");

	slot_ok("8,virtio-console,port1=/tmp/p1,com.x=/tmp/p2");
	assert_value("pci.0.8.0.port.0.name", "port1");
	assert_value("pci.0.8.0.port.0.path", "/tmp/p1");
	assert_value("pci.0.8.0.port.1.name", "com.x");
	assert_value("pci.0.8.0.port.1.path", "/tmp/p2");
	slot_bad("9,virtio-console,nopath");

	slot_ok("10,uart,stdio");
	assert_value("pci.0.10.0.path", "stdio");
	slot_ok("11,passthru,ppt0,rom=/x.rom");
	assert_value("pci.0.11.0.pptdev", "ppt0");
	assert_value("pci.0.11.0.rom", "/x.rom");
	slot_ok("12,passthru,2/0/1");
	assert_value("pci.0.12.0.bus", "2");
	assert_value("pci.0.12.0.slot", "0");
	assert_value("pci.0.12.0.func", "1");
	slot_ok("13,passthru,pci3:4:5");
	assert_value("pci.0.13.0.bus", "3");
	assert_value("pci.0.13.0.func", "5");
	slot_bad("14,passthru,what");
	slot_bad("15,passthru,1/2");

	slot_ok("16,xhci,tablet");
	assert_value("pci.0.16.0.slot.1.device", "tablet");
	slot_ok("17,fbuf,tcp=0.0.0.0:5900,w=800,h=600,wait");
	assert_value("pci.0.17.0.tcp", "0.0.0.0:5900");
	assert_value("pci.0.17.0.wait", "true");
	slot_ok("18,hda,play=/dev/dsp0");
	assert_value("pci.0.18.0.play", "/dev/dsp0");
}

static void
test_registry(void **state)
{
	static const char *const names[] = { "hostbridge",
	    "amd_hostbridge", "lpc", "passthru", "virtio-net", "e1000",
	    "virtio-blk", "virtio-scsi", "virtio-9p", "virtio-rnd",
	    "virtio-console", "virtio-input", "ahci", "ahci-hd", "ahci-cd",
	    "nvme", "uart", "fbuf", "xhci", "hda" };
	const struct pci_devemu *pde;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pde = pci_emul_finddev(names[i]);
		assert_non_null(pde);
		assert_string_equal(pde->pe_emu, names[i]);
	}
	assert_null(pci_emul_finddev(""));
	assert_null(pci_emul_finddev("dummy"));
	assert_false(pci_emul_finddev("hostbridge")->pe_parse_only);
	assert_false(pci_emul_finddev("lpc")->pe_parse_only);
	assert_true(pci_emul_finddev("virtio-blk")->pe_parse_only);
}

static void
test_check_config(void **state)
{
	(void)state;
	assert_int_equal(pci_emul_check_config(), 0);
	slot_ok("0,hostbridge");
	slot_ok("31,lpc");
	assert_int_equal(pci_emul_check_config(), 0);
	/* Parse-only models are refused at start. */
	slot_ok("3,virtio-rnd");
	assert_int_equal(pci_emul_check_config(), -1);

	init_config();
	set_config_value("pci.0.3.0.device", "nosuch");
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	set_config_value("pci.0.3.0.other", "x");	/* no device */
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	slot_ok("1:31:0,lpc");			/* lpc off bus 0 */
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	slot_ok("30,lpc");
	slot_ok("31,lpc");				/* two LPC bridges */
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	set_config_value("pci.0.32.0.device", "hostbridge");
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	set_config_value("pci.00.1.0.device", "hostbridge");
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	set_config_value("pci.0.1.8.device", "hostbridge");
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	set_config_value("pci.0.1", "value");
	assert_int_equal(pci_emul_check_config(), -1);
	init_config();
	set_config_value("pci.0.1.0.device", "hostbridge");
	assert_int_equal(pci_emul_check_config(), 0);
}

static void
test_lpc(void **state)
{
	(void)state;
	assert_int_equal(lpc_device_parse("com1,stdio"), 0);
	assert_value("lpc.com1.path", "stdio");
	assert_int_equal(lpc_device_parse("COM2,/dev/nmdm0A"), 0);
	assert_value("lpc.com2.path", "/dev/nmdm0A");
	assert_int_equal(lpc_device_parse("com3,tcp=[::1]:4444"), 0);
	assert_value("lpc.com3.path", "tcp=[::1]:4444");
	assert_int_equal(lpc_device_parse("com4,socket,/tmp/s,wait"), 0);
	assert_value("lpc.com4.path", "socket,/tmp/s,wait");
	assert_int_equal(lpc_device_parse("com1,/dev/ttyS1"), 0);
	assert_value("lpc.com1.path", "/dev/ttyS1");	/* last wins */
	assert_int_equal(lpc_device_parse("pc-testdev"), 0);
	assert_value("lpc.pc-testdev", "true");
	assert_int_equal(lpc_device_parse("PC-TESTDEV"), 0);
}

static void
test_lpc_bootrom_tpm(void **state)
{
	(void)state;
	assert_int_equal(lpc_device_parse("bootrom,/fw/CODE.fd"), 0);
	assert_value("lpc.bootrom", "/fw/CODE.fd");
	assert_value("lpc.bootvars", NULL);
	assert_string_equal(lpc_bootrom(), "/fw/CODE.fd");
	assert_int_equal(lpc_device_parse("bootrom,/fw/C.fd,/fw/V.fd,"
	    "fwcfg=qemu"), 0);
	assert_value("lpc.bootrom", "/fw/C.fd");
	assert_value("lpc.bootvars", "/fw/V.fd");
	assert_value("lpc.fwcfg", "qemu");
	init_config();
	assert_int_equal(lpc_device_parse("bootrom,/fw/C.fd,fwcfg=qemu"), 0);
	assert_value("lpc.bootvars", NULL);
	assert_value("lpc.fwcfg", "qemu");
	assert_int_equal(lpc_device_parse("bootrom"), -EINVAL);
	assert_int_equal(lpc_device_parse("bootrom,"), -EINVAL);

	assert_int_equal(lpc_device_parse("tpm,swtpm,/tmp/sock"), 0);
	assert_value("tpm.type", "swtpm");
	assert_value("tpm.path", "/tmp/sock");
	assert_value("tpm.version", "2.0");
	init_config();
	assert_int_equal(lpc_device_parse("tpm,passthru,/dev/tpm0,"
	    "version=1.2"), 0);
	assert_value("tpm.version", "1.2");
	assert_int_equal(lpc_device_parse("tpm"), -EINVAL);
	assert_int_equal(lpc_device_parse("tpm,swtpm"), -EINVAL);
	assert_int_equal(lpc_device_parse("tpm,,/x"), -EINVAL);
}

static void
test_lpc_errors(void **state)
{
	(void)state;
	assert_int_equal(lpc_device_parse(""), -ENOENT);
	assert_int_equal(lpc_device_parse("com5,stdio"), -ENOENT);
	assert_int_equal(lpc_device_parse("fwcfg,qemu"), -ENOENT);
	assert_int_equal(lpc_device_parse("help"), -ENOENT);
	assert_int_equal(lpc_device_parse(" com1,stdio"), -ENOENT);
	assert_int_equal(lpc_device_parse("com1"), -EINVAL);
	assert_null(find_config_node("lpc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slot_forms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slot_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slot_occupied, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generic_options, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_block_net, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_legacy_others, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_config, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lpc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lpc_bootrom_tpm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lpc_errors, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
