# terraform-provider-expel — see README.md. `make demo` and `make test` are the two commands
# a fresh machine needs; everything else is a building block of those.

SHELL := /bin/bash
CARGO ?= cargo
VERSION := 0.1.0

# tf-provider's build needs protoc; use the one vendored on crates.io unless one is given.
ifndef PROTOC
PROTOC := $(shell $(CARGO) run -q -p protoc-path)
endif
export PROTOC

.PHONY: build sandbox demo test test-faults unit fuzz acceptance testacc testacc-sandbox bench bench-quick fmt fmt-check lint check-terraform install release clean

build: ## Build the provider and the sandbox
	$(CARGO) build --workspace --bins

sandbox: ## Start the embedded sandbox in the foreground and print the variables to export
	$(CARGO) run -q -p expel-acceptance-tests --bin expel-sandbox -- $(SANDBOX_ARGS)

demo: check-terraform build ## Start the sandbox, apply examples/quickstart, show a second plan is empty, print what was granted, stop
	scripts/demo.sh

test: check-terraform fmt-check lint ## Format check, clippy, unit and acceptance tests, the fault profile, testacc against a separate sandbox process, then the benchmark once in quick mode
	env -u SANDBOX_FAULTS $(CARGO) test --workspace --all-targets
	CARGO="$(CARGO)" scripts/test-faults.sh
	CARGO="$(CARGO)" scripts/testacc-sandbox.sh
	$(MAKE) --no-print-directory bench-quick

# The full benchmark (N = 10, 100, 500 at 0 and 50 ms, release build): minutes, never in CI.
bench: check-terraform ## Benchmarks against the embedded sandbox and terraform's floor; prints the tables and writes BENCHMARKS.md
	$(CARGO) run --release -q -p expel-acceptance-tests --bin expel-bench -- $(BENCH_ARGS)

# Part of `make test`: N = 10 at 0 ms, debug build, nothing written; fails only if the benchmark breaks.
bench-quick: check-terraform
	$(CARGO) run -q -p expel-acceptance-tests --bin expel-bench -- --quick >/dev/null
	@echo "bench-quick: the benchmark ran once at N = 10 (quick mode)"

test-faults: check-terraform ## The acceptance suite again under every sandbox fault at once (SANDBOX_FAULTS=hostile)
	CARGO="$(CARGO)" scripts/test-faults.sh

unit: ## Unit tests of the provider crate only
	$(CARGO) test -p terraform-provider-expel

# `make test` runs a few hundred cases of each parser property; this runs many more.
FUZZ_CASES ?= 20000

fuzz: ## Property tests over every parser of untrusted input, FUZZ_CASES (20000) cases each
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test -p terraform-provider-expel --lib properties::

testacc: check-terraform ## Acceptance tests against a real sandbox tenant (ARM_* and EXPEL_* set); ends with a summary line
	CARGO="$(CARGO)" scripts/testacc.sh

testacc-sandbox: check-terraform ## make testacc against expel-sandbox started as a separate process
	CARGO="$(CARGO)" scripts/testacc-sandbox.sh

fmt: ## Format the code
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

lint: ## Clippy with warnings as errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

check-terraform:
	@command -v terraform >/dev/null || { echo "error: terraform is not on the PATH; install Terraform >= 1.5 (the acceptance tests drive the real binary)" >&2; exit 1; }

# A filesystem mirror; Terraform's implied local one unless given (MIRROR=/path).
MIRROR ?= $(HOME)/.terraform.d/plugins

install: ## Build a release binary into the filesystem mirror MIRROR (~/.terraform.d/plugins) and print the CLI config block
	CARGO_PROFILE_RELEASE_STRIP=symbols $(CARGO) build --release -p terraform-provider-expel
	@platform=$$(terraform version -json | sed -n 's/.*"platform": *"\([^"]*\)".*/\1/p'); \
	dir=$(MIRROR)/registry.terraform.io/expel/expel/$(VERSION)/$$platform; \
	mkdir -p $$dir && cp $${CARGO_TARGET_DIR:-target}/release/terraform-provider-expel $$dir/terraform-provider-expel_v$(VERSION) && \
	echo "installed into $$dir" && echo && \
	echo "Add this to your Terraform CLI configuration (~/.terraformrc, or the file TF_CLI_CONFIG_FILE names):" && echo && \
	printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/expel/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/expel/*"]\n  }\n}\n' "$(MIRROR)"

release: ## Release archives in the registry's shape into dist/: make release VERSION=x.y.z
	CARGO="$(CARGO)" VERSION="$(VERSION)" scripts/release.sh

clean:
	$(CARGO) clean
