# SPDX-License-Identifier: BSD-2-Clause
#
# Plain Makefile.  `make` builds everything, `make check` runs all tests,
# `make run` boots the default guest, `make SANITIZE=1` builds with
# AddressSanitizer and UBSan into build-san/.
#
# Sources are picked up per directory (one module per file), so adding a
# device or CPU file needs no Makefile edit.

CC	?= cc
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
B	?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
B	?= build
SANFLAGS :=
endif

WARNS	:= -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
	-Wno-missing-field-initializers
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARNS) $(SANFLAGS) -I. -D_GNU_SOURCE -pthread -MMD -MP
LDFLAGS	+= $(SANFLAGS) -pthread
LDLIBS	+= -lm -lrt

VMM_SRCS	:= $(sort $(wildcard vmm/*.c vmm/x86/*.c vmm/io/*.c))
VMMAPI_SRCS	:= $(sort $(wildcard libvmmapi/*.c))
BHYVE_SRCS	:= $(sort $(filter-out bhyve/bhyverun.c, \
		   $(wildcard bhyve/*.c bhyve/amd64/*.c)))
BHYVECTL_SRCS	:= $(sort $(wildcard bhyvectl/*.c))
BHYVELOAD_SRCS	:= $(sort $(wildcard bhyveload/*.c))
UNIT_SRCS	:= $(sort $(wildcard tests/unit/test_*.c))

# Objects live under $(B)/obj/: $(B)/bhyve etc. are the programs.
obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBVMM		:= $(B)/libvmm.a
LIBVMMAPI	:= $(B)/libvmmapi.a
LIBBHYVE	:= $(B)/libbhyve.a
LIBS		:= $(LIBBHYVE) $(LIBVMMAPI) $(LIBVMM)

PROGS	:= $(B)/bhyve
ifneq ($(BHYVECTL_SRCS),)
PROGS	+= $(B)/bhyvectl
endif
ifneq ($(BHYVELOAD_SRCS),)
PROGS	+= $(B)/bhyveload
endif
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRCS))

.PHONY: all check run deps bench clean tests guests
all: $(PROGS) tests

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBVMM): $(call obj,$(VMM_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIBVMMAPI): $(call obj,$(VMMAPI_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIBBHYVE): $(call obj,$(BHYVE_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/bhyve: $(call obj,bhyve/bhyverun.c) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bhyvectl: $(call obj,$(BHYVECTL_SRCS)) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bhyveload: $(call obj,$(BHYVELOAD_SRCS)) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Differential CPU tester and other test programs (tests/diff/*.c: one
# program per directory, linked with the engine).
DIFF_SRCS := $(sort $(wildcard tests/diff/*.c))
ifneq ($(DIFF_SRCS),)
$(B)/tests/difftest: $(call obj,$(DIFF_SRCS)) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
TEST_BINS += $(B)/tests/difftest
endif

# Guest tests: assembly guests built with GNU as/ld (tests/guest/*.S).
GUEST_SRCS := $(sort $(wildcard tests/guest/*.S))
GUEST_ELFS := $(patsubst tests/guest/%.S,$(B)/tests/guest/%.elf,$(GUEST_SRCS))
$(B)/tests/guest/%.o: tests/guest/%.S $(wildcard tests/guest/*.inc)
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -nostdlib -ffreestanding -Itests/guest -o $@ $<
$(B)/tests/guest/%.elf: $(B)/tests/guest/%.o tests/guest/guest.ld
	ld -m elf_i386 -T tests/guest/guest.ld -nostdlib -o $@ $<

guests: $(GUEST_ELFS)
tests: $(UNIT_BINS) $(TEST_BINS) $(GUEST_ELFS)

deps:
	@bash scripts/deps.sh

check: deps
	$(MAKE) all
	@B=$(B) bash tests/run.sh

run: deps
	$(MAKE) all
	@B=$(B) bash scripts/run.sh

bench: deps
	$(MAKE) all
	@B=$(B) bash bench/run.sh

# Fuzz harnesses (tests/fuzz/) run long: FUZZ_TIME seconds each.  `make
# check` runs them briefly (tests/fuzz/run.sh, 10 s each).
.PHONY: fuzz
FUZZ_TIME ?= 60
fuzz:
	@bash scripts/deps.sh clang libclang-rt-14-dev
	@B=$(B) FUZZ_TIME=$(FUZZ_TIME) bash tests/fuzz/run.sh

clean:
	rm -rf build build-san

-include $(shell find $(B) -name '*.d' 2>/dev/null)
