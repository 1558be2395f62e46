# pg-gotls: PostgreSQL with Go's crypto/tls as its TLS library.
#
#   make run     build what is missing, then open a TLS session on loopback
#   make check   build what is missing, then run every test
#   make bench   compare against the OpenSSL build (not part of check)
#   make fuzz    run each Go fuzz target for FUZZTIME (default 1m)
#
# Everything is built under _build/; PostgreSQL --with-ssl=go is installed
# into PREFIX, the OpenSSL reference build into OPENSSL_PREFIX.
# PG_SOURCE=/path/to/postgresql-18.x.tar.bz2 uses a given tarball instead
# of downloading Debian's source package. FIPS140=on or only builds the Go
# library and pg_tlsd to start in that FIPS 140-3 mode without GODEBUG,
# which is how the server's processes get it (docs/fips.md).

SHELL := /bin/bash
PREFIX ?= $(CURDIR)/install
OPENSSL_PREFIX ?= $(CURDIR)/install-openssl
GO ?= go
export JOBS ?= $(shell nproc)

B := $(CURDIR)/_build
TREE := $(B)/postgresql
STAMP := $(B)/stamps
LIB := $(B)/lib/libpq_gotls.so
TLSD := $(B)/bin/pg_tlsd
HELPER := $(B)/lib/libpq_gotls_helper

GO_SOURCES := go.mod $(shell find tls capi pgcrypto -name '*.go' -not -name '*_test.go')
TLSD_SOURCES := go.mod $(shell find tls tlsd cmd/pg_tlsd -name '*.go' -not -name '*_test.go')
HELPER_SOURCES := go.mod $(shell find tls helper cmd/libpq_gotls_helper -name '*.go' -not -name '*_test.go')
PGSRC_FILES := $(shell cd pgsrc && find . -type f | sed 's|^\./||' | sort)
TREE_FILES := $(addprefix $(TREE)/,$(PGSRC_FILES)) $(TREE)/src/interfaces/libpq/libpq_tls.h \
	$(TREE)/src/backend/libpq/libpq_tls.h $(TREE)/contrib/pgcrypto/libpq_tls.h
PATCHES := $(sort $(wildcard patches/*.patch))

# postgres will not run as root: when make runs as root, servers and the
# programs that start them run as the user build/install-deps.sh creates.
AS_TESTER := $(if $(filter 0,$(shell id -u)),runuser -u pggotls --,)

say = @printf '==> %s\n' "$(1)"

.PHONY: all run check bench fuzz clean distclean check-go check-symbols check-interop check-meson check-faults check-libpq-tap check-ssl-tap check-ecosystem check-contrib FORCE

all: $(STAMP)/install-go $(STAMP)/install-openssl

# --- dependencies and source ---------------------------------------------

$(STAMP)/deps: build/install-deps.sh
	$(call say,checking build dependencies (apt))
	@bash build/install-deps.sh
	@mkdir -p $(@D) && touch $@

# Re-fetch when PG_SOURCE changes.
$(B)/pg-source.var: FORCE
	@mkdir -p $(@D)
	@echo '$(PG_SOURCE)' | cmp -s - $@ || echo '$(PG_SOURCE)' >$@

$(STAMP)/tarball: $(STAMP)/deps build/fetch-postgres.sh $(B)/pg-source.var
	$(call say,fetching PostgreSQL 18 source)
	@PG_SOURCE='$(PG_SOURCE)' bash build/fetch-postgres.sh >$(B)/tarball.path.tmp
	@mv $(B)/tarball.path.tmp $(B)/tarball.path
	@echo "    $$(cat $(B)/tarball.path)"
	@touch $@

$(STAMP)/tree: $(STAMP)/tarball build/prepare-source.sh $(PATCHES)
	$(call say,extracting and patching $$(basename $$(cat $(B)/tarball.path)))
	@bash build/prepare-source.sh "$$(cat $(B)/tarball.path)" $(TREE) patches
	@touch $@

# New files of ours are copied into the tree rather than carried in patches.
$(TREE)/%: pgsrc/% $(STAMP)/tree
	@install -D -m 644 $< $@

$(TREE)/src/interfaces/libpq/libpq_tls.h $(TREE)/src/backend/libpq/libpq_tls.h $(TREE)/contrib/pgcrypto/libpq_tls.h: libpq_tls.h $(STAMP)/tree
	@install -D -m 644 $< $@

# --- the Go library --------------------------------------------------------

# Async preemption off, compiled in as a //go:debug line would (the go
# command accepts only its own table's settings there): otherwise the
# runtime preempts with SIGURG, unblocked in all its threads, where it
# swallows PostgreSQL's latch wakeups (SIGURG sent to the process) and
# interrupts the caller's system calls. See docs/process-model.md.
#
# FIPS140=on|only adds fips140 to those defaults, and selects the
# //go:debug line of capi/fips140_*.go, so that the build info (what
# `go version -m` and SHOW ssl_library read) records it.
comma := ,
godebug_default = -X=runtime.godebugDefault=asyncpreemptoff=1$(if $(1),$(comma)fips140=$(1))
fips_tags = $(if $(1),-tags pggotls_fips140_$(1))

# Rebuild the Go programs when FIPS140 changes.
$(B)/fips140.var: FORCE
	@mkdir -p $(@D)
	@echo '$(FIPS140)' | cmp -s - $@ || echo '$(FIPS140)' >$@

$(B)/lib/exports.map: exports.list
	@mkdir -p $(@D)
	@{ echo '{ global:'; sed 's/$$/;/' $<; echo 'local: *; };'; } >$@

# go_library FIPS140 OUTPUT
go_library = $(GO) build -buildmode=c-shared -trimpath $(call fips_tags,$(1)) \
	-ldflags '$(call godebug_default,$(1)) -extldflags=-Wl,--version-script=$(B)/lib/exports.map' -o $(2) ./capi \
	&& rm -f $(basename $(2)).h

$(LIB): $(GO_SOURCES) libpq_tls.h $(B)/lib/exports.map $(STAMP)/deps $(B)/fips140.var
	$(call say,building libpq_gotls.so (go build -buildmode=c-shared))
	@$(call go_library,$(FIPS140),$@)

# The server's TLS process, started by the postmaster (docs/process-model.md).
$(TLSD): $(TLSD_SOURCES) $(STAMP)/deps $(B)/fips140.var
	$(call say,building pg_tlsd (the server's TLS process))
	@$(GO) build -trimpath $(call fips_tags,$(FIPS140)) -o $@ ./cmd/pg_tlsd

# libpq's TLS where Go cannot run in its process (a child forked after the
# library started, or PGGOTLS_HELPER=1): installed beside libpq_gotls.so.
$(HELPER): $(HELPER_SOURCES) $(STAMP)/deps $(B)/fips140.var
	$(call say,building libpq_gotls_helper (libpq's TLS in a process of its own))
	@$(GO) build -trimpath $(call fips_tags,$(FIPS140)) -o $@ ./cmd/libpq_gotls_helper

# For the tests: the Go build's installation with the library and pg_tlsd
# built with FIPS140=only (a copy: PostgreSQL finds its libraries from its
# executable's real path).
FIPS_PREFIX := $(B)/install-fips-only
$(STAMP)/install-fips-only: $(STAMP)/install-go
	$(call say,copying the Go build with its Go programs built FIPS140=only)
	@rm -rf $(FIPS_PREFIX) && mkdir -p $(FIPS_PREFIX)
	@cp -a $(PREFIX)/bin $(PREFIX)/lib $(PREFIX)/share $(FIPS_PREFIX)/
	@$(call go_library,only,$(FIPS_PREFIX)/lib/libpq_gotls.so)
	@$(GO) build -trimpath $(call fips_tags,only) -o $(FIPS_PREFIX)/bin/pg_tlsd ./cmd/pg_tlsd
	@$(GO) build -trimpath $(call fips_tags,only) -o $(FIPS_PREFIX)/lib/libpq_gotls_helper ./cmd/libpq_gotls_helper
	@touch $@

# --- PostgreSQL builds -----------------------------------------------------

$(STAMP)/install-go: $(STAMP)/tree $(TREE_FILES) $(LIB) $(TLSD) $(HELPER) build/build-postgres.sh
	$(call say,building PostgreSQL --with-ssl=go into $(PREFIX))
	@bash build/build-postgres.sh $(TREE) $(B)/pg-go $(PREFIX) go
	@install -m 755 $(LIB) $(PREFIX)/lib/libpq_gotls.so
	@install -m 755 $(HELPER) $(PREFIX)/lib/libpq_gotls_helper
	@install -m 755 $(TLSD) $(PREFIX)/bin/pg_tlsd
	@touch $@

$(STAMP)/install-openssl: $(STAMP)/tree build/build-postgres.sh
	$(call say,building PostgreSQL --with-ssl=openssl into $(OPENSSL_PREFIX) (reference))
	@bash build/build-postgres.sh $(TREE) $(B)/pg-openssl $(OPENSSL_PREFIX) openssl
	@touch $@

# The meson variant is built (libpq and psql) so that it cannot rot.
$(STAMP)/meson-go: $(STAMP)/tree $(TREE_FILES)
	$(call say,building libpq and psql with meson -Dssl=go)
	@bash build/build-meson.sh $(TREE) $(B)/meson-go
	@touch $@

# --- the README's commands ---------------------------------------------------

# Small C programs linked to the Go libpq, for the demo and the tests.
TOOLS := $(addprefix $(B)/tools/,pgtls_info pgtls_fork pgtls_forkpoll pgtls_threads pgtls_workload pgtls_connect faultshim.so mkcerts)

$(B)/tools/mkcerts: $(shell find test/certs test/cmd -name '*.go')
	@mkdir -p $(@D)
	@$(GO) build -o $@ ./test/cmd/mkcerts

$(B)/tools/faultshim.so: test/faults/faultshim.c
	@mkdir -p $(@D)
	@gcc -O2 -Wall -Werror -shared -fPIC -o $@ $< -ldl -lpthread

$(B)/tools/%: test/client/%.c $(STAMP)/install-go
	@mkdir -p $(@D)
	@gcc -O2 -Wall -Werror -o $@ $< -I$(PREFIX)/include -L$(PREFIX)/lib -Wl,-rpath,$(PREFIX)/lib -lpq -lpthread

run: all $(TOOLS)
	@$(AS_TESTER) bash test/demo.sh $(PREFIX) $(OPENSSL_PREFIX) $(B)/tools

# Every suite, in this order, each counted as its output allows
# (test/run-checks.sh); one failing does not stop the others.
CHECKS := symbols:step go:go meson:step libpq-tap:tap ssl-tap:tap contrib:regress interop:go ecosystem:go
check: all
	@MAKE='$(MAKE)' bash test/run-checks.sh $(B)/check $(CHECKS)

check-symbols: all
	$(call say,checking exported symbols (nm))
	@bash test/check-symbols.sh $(LIB) exports.list $(PREFIX)/lib/libpq.so.5 $(TREE)/src/interfaces/libpq/exports.txt

check-go: $(STAMP)/deps
	$(call say,go vet and go test -race ./tls ./tlsd ./helper ./capi ./pgcrypto)
	@test -z "$$(gofmt -l tls tlsd helper cmd capi pgcrypto internal test)" || { gofmt -l tls tlsd helper cmd capi pgcrypto internal test; echo 'gofmt needed' >&2; exit 1; }
	@$(GO) vet ./...
	@$(GO) test -race -count=1 $(if $(V),-v) ./tls/... ./tlsd/... ./helper/... ./capi/... ./pgcrypto/...

# Every Go fuzz target (the Fuzz functions of FUZZ_PKGS, as go test -list
# finds them), one after the other, each for FUZZTIME with FUZZPARALLEL
# workers. check-go runs them over their seed corpora only. A failing
# input is written to the package's testdata/fuzz/<target>/: keep it
# there as a seed once fixed (docs/fuzzing.md).
FUZZTIME ?= 1m
FUZZPARALLEL ?= $(JOBS)
FUZZ_PKGS := ./tls ./tls/record ./tlsd
fuzz: $(STAMP)/deps
	@set -e; for pkg in $(FUZZ_PKGS); do \
		targets=$$($(GO) test -list '^Fuzz' $$pkg); \
		for t in $$(echo "$$targets" | grep '^Fuzz'); do \
			printf '==> %s\n' "fuzzing $$t ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) $$pkg; \
		done; \
	done
	$(call say,no fuzz target failed)

check-meson: $(STAMP)/meson-go

# PostgreSQL's own TAP tests with the Go build on both sides of the wire.
# tap-dir prepares a test directory of the build for the test user.
tap-dir = rm -rf $(B)/pg-go/$(1)/tmp_check && $(if $(AS_TESTER),chown -R pggotls $(B)/pg-go/$(1),true)

# libpq's: 004 needs DNS set-up (PG_TEST_EXTRA=load_balance); 005 is
# PG_TEST_EXTRA=libpq_encryption.
LIBPQ_TAP := t/001_uri.pl t/002_api.pl t/003_load_balance_host_list.pl t/005_negotiate_encryption.pl t/006_service.pl
check-libpq-tap: all
	$(call say,libpq TAP tests with the Go build: $(notdir $(LIBPQ_TAP)))
	@env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS make -s -C $(B)/pg-go/src/interfaces/libpq test-build
	@$(call tap-dir,src/interfaces/libpq)
	@$(AS_TESTER) env PG_TEST_EXTRA=libpq_encryption bash test/tap.sh $(B)/pg-go src/interfaces/libpq $(LIBPQ_TAP)

# The SSL test suite (src/test/ssl), Go server and Go libpq.
SSL_TAP := t/001_ssltests.pl t/002_scram.pl t/003_sslinfo.pl
check-ssl-tap: all
	$(call say,SSL test suite with the Go server and client: $(notdir $(SSL_TAP)))
	@$(call tap-dir,src/test/ssl)
	@$(AS_TESTER) env PG_TEST_EXTRA=ssl bash test/tap.sh $(B)/pg-go src/test/ssl $(SSL_TAP)

# contrib's and the PLs' regression suites against a Go-TLS server, over
# verify-full TLS.
check-contrib: all $(B)/tools/mkcerts
	$(call say,contrib and PL regression suites: Go psql to Go server over TLS)
	@$(if $(AS_TESTER),chown -R pggotls $(B)/pg-go/contrib $(B)/pg-go/src/pl,true)
	@$(AS_TESTER) bash test/contrib.sh $(PREFIX) $(B)/pg-go $(B)/tools

INTEROP_TEST = cd test/interop && $(AS_TESTER) env PG_GO_PREFIX=$(PREFIX) PG_OPENSSL_PREFIX=$(OPENSSL_PREFIX) PG_GO_FIPS_PREFIX=$(FIPS_PREFIX) \
	PG_TOOLS=$(B)/tools PG_BUILD=$(B) PG_TREE=$(TREE) PG_NODE_MODULES=$(NODE_DIR)/node_modules $(B)/tests/interop.test -test.count=1 -test.timeout=30m $(if $(V),-test.v)

$(B)/tests/interop.test: $(shell find test -name '*.go') $(GO_SOURCES)
	@$(GO) test -c -tags interop -o $@ ./test/interop

# The ecosystem tests need clients of their own: check-ecosystem runs them.
check-interop: all $(TOOLS) $(B)/tests/interop.test $(STAMP)/install-fips-only
	$(call say,interop tests: both libpqs and both servers; regression suite; bad input; 1000 fault schedules)
	@$(INTEROP_TEST) -test.skip '^TestEcosystem'

# The fault-injection run alone.
check-faults: all $(TOOLS) $(B)/tests/interop.test
	$(call say,fault injection: 1000 schedules through the Go libpq)
	@$(INTEROP_TEST) -test.run TestFaultInjection

# --- clients with TLS stacks of their own ------------------------------------

# pgx (Go's crypto/tls) and node-postgres (node's OpenSSL) against our
# servers. Their pinned dependencies stay in test/ecosystem/, out of the
# main go.mod; node_modules goes under $(B), npm's cache beside the apt one.
NODE_DIR := $(B)/ecosystem/node
NPM_CACHE ?= $(or $(PG_GOTLS_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pg-gotls)/npm

$(B)/tools/pgx-check: $(wildcard test/ecosystem/pgx/*.go) test/ecosystem/pgx/go.mod test/ecosystem/pgx/go.sum
	@mkdir -p $(@D)
	@cd test/ecosystem/pgx && $(GO) build -trimpath -o $@ .

# npm ci writes node_modules/.package-lock.json; touched so that make sees
# it newer than the lock file even if npm left it alone.
$(NODE_DIR)/node_modules/.package-lock.json: test/ecosystem/node/package.json test/ecosystem/node/package-lock.json
	$(call say,installing node-postgres (npm ci into $(NODE_DIR)))
	@bash build/install-deps.sh ecosystem
	@mkdir -p $(NODE_DIR) && cp $^ $(NODE_DIR)/
	@npm ci --prefix $(NODE_DIR) --cache $(NPM_CACHE) --no-audit --no-fund --loglevel=error
	@chmod -R a+rX $(NODE_DIR)   # read by the test user
	@touch $@

ECOSYSTEM := $(B)/tools/pgx-check $(NODE_DIR)/node_modules/.package-lock.json

check-ecosystem: all $(ECOSYSTEM) $(B)/tests/interop.test
	$(call say,ecosystem: pgx and node-postgres against the Go and the OpenSSL server)
	@$(INTEROP_TEST) -test.run '^TestEcosystem'

# What one C-to-Go call costs (bench/crossing.c), for make bench.
$(B)/tools/pgtls_crossing: bench/crossing.c libpq_tls.h
	@mkdir -p $(@D)
	@gcc -O2 -Wall -Werror -I. -o $@ $< -ldl

# One connection's data path, in process, through the helper or carried
# on in a forked child (bench/carry.c), for make bench.
$(B)/tools/pgtls_carry: bench/carry.c $(STAMP)/install-go
	@mkdir -p $(@D)
	@gcc -O2 -Wall -Werror -o $@ $< -I$(PREFIX)/include -L$(PREFIX)/lib -Wl,-rpath,$(PREFIX)/lib -lpq

bench: all $(TOOLS) $(B)/tools/pgtls_crossing $(B)/tools/pgtls_carry
	@bash build/install-deps.sh bench
	@rm -rf $(B)/bench && mkdir -p $(B)/bench && $(if $(AS_TESTER),chown pggotls $(B)/bench,true)
	@$(AS_TESTER) bash bench/run.sh $(PREFIX) $(OPENSSL_PREFIX) $(B)/tools $(B)/bench
	@$(AS_TESTER) bash bench/pgcrypto.sh $(PREFIX) $(OPENSSL_PREFIX) $(TREE) $(B)/bench
	@mkdir -p bench/results && cp $(B)/bench/results.md $(B)/bench/results.dat $(B)/bench/raw.dat $(B)/bench/paths.dat \
		$(B)/bench/pgcrypto.md $(B)/bench/pgcrypto.dat bench/results/
	@if [ -f $(B)/bench/chart.png ]; then cp $(B)/bench/chart.png bench/results/; fi
	$(call say,results in bench/results/results.md pgcrypto.md and chart.png)

clean:
	rm -rf $(B)/lib $(B)/pg-go $(B)/pg-openssl $(B)/meson-go $(STAMP)/install-* $(STAMP)/meson-go

distclean:
	rm -rf $(B) $(PREFIX) $(OPENSSL_PREFIX)
