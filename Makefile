# agentbox — one Makefile for every folder.  Quiet unless V=1.
#
#   make              build everything into build/
#   make check        run every test tier; ends with "N passed, N failed, N skipped"
#   make bench        print the benchmark tables
#   make install      PREFIX=/usr/local DESTDIR=
#   make format       clang-format every C file

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/agentbox
DATADIR    ?= $(PREFIX)/share/agentbox
SYSCONFDIR ?= /etc
DESTDIR    ?=

B  := build
CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

PKGS := yajl libseccomp libcap yaml-0.1 libpcre2-8 libnl-3.0 libnl-route-3.0 \
	libbpf openssl
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS))

# The programs link the small libraries in (STATIC_DEPS=1, the default):
# agentbox-shim and agentbox-hook run on every container start, and
# loading ten shared objects cost them ~2 ms each here (docs/start-time.md).
# libc and OpenSSL stay shared, except in the start-path programs (below).
# Debian names yajl's archive libyajl_s.a.
STATIC_DEPS ?= 1
ifeq ($(STATIC_DEPS),1)
STATIC_PKGS := $(filter-out openssl,$(PKGS))
STATIC_LIBS := $(patsubst -lyajl,-lyajl_s,$(filter-out -lpthread -lm,$(shell \
	$(PKG_CONFIG) --static --libs $(STATIC_PKGS))))
PROG_LIBS := -Wl,-Bstatic $(STATIC_LIBS) \
	-Wl,-Bdynamic $(shell $(PKG_CONFIG) --libs openssl)
else
PROG_LIBS := $(PKG_LIBS)
endif

WARN := -Wall -Wextra -Werror -Wformat=2 -Werror=format-security \
	-Werror=implicit-function-declaration -Wmissing-prototypes \
	-Wstrict-prototypes -Wshadow -Wpointer-arith -Wvla \
	-Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -I. $(WARN) $(PKG_CFLAGS) \
	-DAB_VERSION='"$(VERSION)"' -DAB_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DAB_SYSCONFDIR='"$(SYSCONFDIR)"'
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ALL_CFLAGS := $(BASE_CFLAGS) $(HARDEN) $(CFLAGS) -MMD -MP
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS)


# ---- libraries: one per folder, every .c in it ----------------------------
# lib/nolibc.c is agentbox-init's alone: it replaces libc (see its rule).
LIB_AB_SRC     := $(filter-out lib/nolibc.c,$(wildcard lib/*.c))
LIB_SPEC_SRC   := $(wildcard spec/*.c)
LIB_POLICY_SRC := $(wildcard policy/*.c)
LIB_SHIM_SRC   := $(wildcard shim/lib/*.c)
LIB_HOOK_SRC   := $(wildcard hooks/lib/*.c)
LIB_PROXY_SRC  := $(wildcard proxy/lib/*.c)

objs = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIB_AB     := $(B)/libab.a
LIB_SPEC   := $(B)/libabspec.a
LIB_POLICY := $(B)/libabpolicy.a
LIB_SHIM   := $(B)/libabshim.a
LIB_HOOK   := $(B)/libabhook.a
LIB_PROXY  := $(B)/libabproxy.a
# Link order: users before what they use.
ALL_LIBS := $(LIB_HOOK) $(LIB_PROXY) $(LIB_SHIM) $(LIB_POLICY) $(LIB_SPEC) \
	$(LIB_AB)

$(LIB_AB): $(call objs,$(LIB_AB_SRC))
$(LIB_SPEC): $(call objs,$(LIB_SPEC_SRC))
$(LIB_POLICY): $(call objs,$(LIB_POLICY_SRC))
$(LIB_SHIM): $(call objs,$(LIB_SHIM_SRC))
$(LIB_HOOK): $(call objs,$(LIB_HOOK_SRC))
$(LIB_PROXY): $(call objs,$(LIB_PROXY_SRC))

$(B)/%.a:
	$(call msg,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/obj/%.o: %.c
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# ---- BPF: bpf/NAME.bpf.c -> NAME.bpf.o -> NAME.skel.h ------------------------
# Programs include only UAPI headers (linux/bpf.h) and libbpf's helpers.
BPF_SRC   := $(wildcard bpf/*.bpf.c)
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.skel.h,$(BPF_SRC))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -I. -Wall -Werror \
	-idirafter /usr/include/$(shell $(CC) -dumpmachine)

$(B)/bpf/%.bpf.o: bpf/%.bpf.c
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(B)/bpf/%.skel.h: $(B)/bpf/%.bpf.o
	$(call msg,GENSKEL,$@)
	$(Q)bpftool gen skeleton $< name $(subst -,_,$*) > $@

# User-space twins include their skeleton.
$(call objs,$(LIB_HOOK_SRC)): $(BPF_SKELS)
$(call objs,$(LIB_HOOK_SRC)): ALL_CFLAGS += -I$(B)/bpf

# ---- programs: one folder each, every .c in it -----------------------------
PROGRAMS := $(B)/agentbox-shim
ifneq ($(wildcard proxy/cli/*.c),)
PROGRAMS += $(B)/agentbox
endif
ifneq ($(wildcard hooks/hook/*.c),)
PROGRAMS += $(B)/agentbox-hook
endif
ifneq ($(wildcard proxy/agentboxd/*.c),)
PROGRAMS += $(B)/agentboxd
endif

$(B)/agentbox-shim: $(call objs,$(wildcard shim/runc/*.c)) $(ALL_LIBS)
$(B)/agentbox: $(call objs,$(wildcard proxy/cli/*.c)) $(ALL_LIBS)
$(B)/agentbox-hook: $(call objs,$(wildcard hooks/hook/*.c)) $(ALL_LIBS)
$(B)/agentboxd: $(call objs,$(wildcard proxy/agentboxd/*.c)) $(ALL_LIBS)

# The in-container hostexec client: static, libc only, so it runs in any
# image it is bound into.
ifneq ($(wildcard shim/hostexec/*.c),)
PROGRAMS_STATIC := $(B)/hostexec
endif
ifneq ($(wildcard shim/init/*.c),)
PROGRAMS_STATIC += $(B)/agentbox-init
endif
ifneq ($(wildcard shim/front/*.c),)
PROGRAMS_STATIC += $(B)/agentbox-runc
endif

# agentbox-init (Landlock and seccomp in front of the agent, static for
# any image) and agentbox-runc (the front engines exec, which hands the
# call to the shim server or to agentbox-shim) run on every container
# start.  On x86_64 they are built without libc (lib/nolibc.h: ~1 ms less
# each per start, docs/start-time.md); NOLIBC=0 links glibc, as other
# architectures do.  The libc builds are made for the tests either way.
# (shim/init/error.c compiles lib/error.c in; the headers are prerequisites.)
NOLIBC ?= $(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),1,0)
INIT_DEPS := $(wildcard shim/init/*.c shim/init/*.h) lib/error.c lib/error.h lib/cleanup.h
FRONT_DEPS := $(wildcard shim/front/*.c) shim/lib/serve-proto.h
NOLIBC_DEPS := lib/nolibc.c lib/nolibc.h lib/nolibc-errnos.h
# The sources to compile: lib/error.c comes in through shim/init/error.c.
SRCS_OF = $(filter-out lib/error.c,$(filter %.c,$^))
LIBC_LINK = $(CC) -std=gnu11 -D_GNU_SOURCE -O2 -I. $(WARN) $(HARDEN) -static-pie \
		-DAB_VERSION='"$(VERSION)"' -o $@ $(SRCS_OF)
# No dynamic relocations: nothing would apply them (lib/nolibc.c).
NOLIBC_LINK = $(CC) -std=gnu11 -DAB_NOLIBC -O2 -I. $(WARN) -ffreestanding \
		-fstack-protector-strong -fPIE -static-pie -nostdlib \
		-Wl,-z,relro,-z,now,-z,noexecstack \
		-DAB_VERSION='"$(VERSION)"' -o $@.tmp $(SRCS_OF) && \
	if readelf -rW $@.tmp | grep -q '^ *[0-9a-f]\{8,\} '; then \
		readelf -rW $@.tmp >&2; rm -f $@.tmp; \
		echo "$@: dynamic relocations in a program nothing relocates" >&2; exit 1; fi && \
	mv $@.tmp $@

$(B)/tests/agentbox-init-libc: $(INIT_DEPS)
$(B)/tests/agentbox-runc-libc: $(FRONT_DEPS)
$(B)/tests/agentbox-init-libc $(B)/tests/agentbox-runc-libc:
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(LIBC_LINK)

$(B)/agentbox-init: $(INIT_DEPS)
$(B)/agentbox-runc: $(FRONT_DEPS)
ifeq ($(NOLIBC),1)
$(B)/agentbox-init $(B)/agentbox-runc: $(NOLIBC_DEPS)
	$(call msg,LD,$@)
	$(Q)$(NOLIBC_LINK)
else
$(B)/agentbox-init $(B)/agentbox-runc:
	$(call msg,LD,$@)
	$(Q)$(LIBC_LINK)
endif
$(B)/hostexec: $(wildcard shim/hostexec/*.c) proxy/lib/hxframe.c proxy/lib/hxproto.h
	$(call msg,LD,$@)
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -I. $(WARN) $(HARDEN) -static-pie \
		-DAB_VERSION='"$(VERSION)"' -o $@ $(SRCS_OF)

# agentbox-shim and agentbox-hook run on every container start: with
# STATIC_DEPS=1 they are static-pie, libc included.  No ld.so, no
# relocation of libc at each start: 1.6 ms of agentbox-shim's ~11 here
# (docs/start-time.md).  glibc's NSS cannot work in a static program; the
# lookups libnl links in go to lib/no-nss.c, which resolves nothing.
START_PROGRAMS := $(B)/agentbox-shim $(B)/agentbox-hook
ifeq ($(STATIC_DEPS),1)
$(START_PROGRAMS): $(call objs,lib/no-nss.c)
$(START_PROGRAMS): ALL_LDFLAGS := -static-pie -Wl,-z,relro,-z,now \
	-Wl,--wrap=getaddrinfo,--wrap=getnameinfo \
	-Wl,--wrap=getprotobyname,--wrap=getprotobynumber \
	$(LDFLAGS)
$(START_PROGRAMS): PROG_LIBS := $(STATIC_LIBS)
endif

$(PROGRAMS):
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(ALL_LIBS) $(PROG_LIBS)

all: $(PROGRAMS) $(PROGRAMS_STATIC)
.DEFAULT_GOAL := all

# ---- unit tests: tests/unit/test-NAME.c -> build/tests/test-NAME ----------
UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(ALL_LIBS)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(PKG_LIBS)

unit-tests: $(UNIT_TESTS) $(B)/tests/agentbox-init-libc \
	$(B)/tests/agentbox-runc-libc

# ---- test tools: tests/tools/NAME.c -> build/tools/NAME, static, so they
# run inside a busybox test rootfs ----------------------------------------
TOOL_SRC      := $(wildcard tests/tools/*.c)
TOOL_PROGRAMS := $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOL_SRC))

$(B)/tools/%: tests/tools/%.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Werror -static -o $@ $<

test-tools: $(TOOL_PROGRAMS)

# ---- bench programs: tests/bench/bench-NAME.c -> build/bench/bench-NAME ----
BENCH_SRC      := $(wildcard tests/bench/bench-*.c)
BENCH_PROGRAMS := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRC))

$(B)/bench/%: $(B)/obj/tests/bench/%.o $(ALL_LIBS)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(PKG_LIBS)

# Load tools the bench scripts drive: tests/bench/tool-NAME.c.
BENCH_TOOL_SRC := $(wildcard tests/bench/tool-*.c)
BENCH_TOOLS    := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_TOOL_SRC))

bench-programs: $(BENCH_PROGRAMS) $(BENCH_TOOLS)

# ---- fuzz targets: tests/fuzz/fuzz-NAME.c (libFuzzer + ASan + UBSan) -------
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS  := $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Wno-unused-command-line-argument
FUZZ_LIB_SRC := $(LIB_PROXY_SRC) $(LIB_SHIM_SRC) $(LIB_POLICY_SRC) $(LIB_SPEC_SRC) $(LIB_AB_SRC)

$(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRC)
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(PKG_LIBS)

fuzz-targets: $(FUZZ_TARGETS)

# ---- tiers ------------------------------------------------------------------
# TIERS picks which run: unit integration fuzz vm (default: all).
TIERS ?= unit integration fuzz vm
FUZZ_SECONDS ?= 60

check: all unit-tests fuzz-targets test-tools
	$(Q)B=$(B) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh $(TIERS)

bench: all unit-tests bench-programs
	$(Q)B=$(B) tests/bench/run.sh

# ---- the agent image: Debian bookworm + Claude Code, podman-imported --------
# AGENT_IMAGE_ARGS: e.g. --no-import (build the cached rootfs only, as the
# tests do), --name NAME, --podman-root DIR.  contrib/images/README.md.
AGENT_IMAGE_ARGS ?=
agent-image:
	$(Q)contrib/images/build-agent-image.sh $(AGENT_IMAGE_ARGS)

demo: all
	$(Q)B=$(B) contrib/demo/run.sh

# ---- install ----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(PROGRAMS) $(PROGRAMS_STATIC) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(SYSCONFDIR)/agentbox
	install -m 0644 contrib/config.yaml $(DESTDIR)$(DATADIR)/config.yaml.example
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/agentbox/config.yaml ]; then \
	  install -m 0644 contrib/config.yaml $(DESTDIR)$(SYSCONFDIR)/agentbox/config.yaml; fi
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/agentbox/policy.cedar ]; then \
	  install -m 0644 contrib/policy/policy.cedar $(DESTDIR)$(SYSCONFDIR)/agentbox/policy.cedar; fi
	install -d $(DESTDIR)$(DATADIR)/podman $(DESTDIR)$(DATADIR)/docker \
	  $(DESTDIR)$(DATADIR)/containerd $(DESTDIR)$(DATADIR)/kubernetes \
	  $(DESTDIR)$(DATADIR)/systemd $(DESTDIR)$(DATADIR)/policy
	install -m 0644 contrib/podman/* $(DESTDIR)$(DATADIR)/podman/
	install -m 0644 contrib/docker/* $(DESTDIR)$(DATADIR)/docker/
	install -m 0644 contrib/containerd/* $(DESTDIR)$(DATADIR)/containerd/
	install -m 0644 contrib/kubernetes/* $(DESTDIR)$(DATADIR)/kubernetes/
	install -m 0644 contrib/systemd/* $(DESTDIR)$(DATADIR)/systemd/
	install -m 0644 contrib/policy/* $(DESTDIR)$(DATADIR)/policy/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS) $(PROGRAMS_STATIC)))
	rm -rf $(DESTDIR)$(DATADIR)

# ---- housekeeping -----------------------------------------------------------
C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	clang-format -i $(C_FILES)

clean:
	rm -rf $(B)

.PHONY: all check bench demo agent-image install uninstall format clean unit-tests fuzz-targets bench-programs test-tools

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
