# make test: the one command that checks everything (README, .ci/run).
#
# Every recipe runs as one bash script with -euo pipefail, so it stops at the
# first failing command. Recipes are not echoed; each says what it runs.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := test
.SILENT:

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The root module, then every nested module (a folder with its own go.mod,
# e.g. jsclient/internal/build and e2e). `./...` in the root skips nested
# modules, so each is checked from its own folder.
NESTED  := $(sort $(patsubst ./%/go.mod,%,$(filter-out ./go.mod,$(shell \
	find . \( -name node_modules -o -name .git -o -name testdata \) -prune \
	-o -name go.mod -print))))
MODULES := . $(NESTED)

# Modules with tests. `go test` in the others would only print "no test
# files", and a run must not end on that line: CI reads the last lines.
TEST_MODULES := $(foreach m,$(MODULES),$(if $(shell find $(m) \
	-name node_modules -prune -o -name '*_test.go' -print -quit),$(m)))

# in_modules CMD[,MODULES]: run CMD in every module (or in MODULES), root first.
define in_modules
for m in $(or $(2),$(MODULES)); do
	echo "==> (cd $$m && $(1))"
	(cd "$$m" && $(1))
done
endef

.PHONY: test deps fmt vet lint generate bundle-check unit bench demo

test: deps fmt vet lint bundle-check unit

deps:
	echo '==> scripts/install-deps.sh'
	scripts/install-deps.sh

# gofmt must have nothing to say about any tracked or untracked .go file.
fmt:
	echo '==> gofmt -l'
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		files=$$(git ls-files -co --exclude-standard -- '*.go' | grep -Ev '(^|/)node_modules/' || true)
	else
		files=$$(find . -name node_modules -prune -o -name '*.go' -print)
	fi
	existing=()
	for f in $$files; do if [[ -f $$f ]]; then existing+=("$$f"); fi; done
	(($${#existing[@]})) || exit 0
	bad=$$(gofmt -l "$${existing[@]}")
	if [[ -n $$bad ]]; then
		echo "gofmt: these files need 'gofmt -w':"
		echo "$$bad"
		exit 1
	fi

vet:
	$(call in_modules,go vet ./...)

lint:
	$(call in_modules,go run $(STATICCHECK) ./...)

generate:
	echo '==> go generate ./jsclient'
	go generate ./jsclient

# The committed bundle must be what `go generate` produces from the sources.
bundle-check:
	echo '==> go generate ./jsclient && git diff --exit-code -- jsclient/dist'
	if [[ ! -f jsclient/generate.go ]]; then
		echo "bundle-check: skipped, jsclient/generate.go does not exist yet"
		exit 0
	fi
	if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		echo "bundle-check: not a git checkout, nothing to diff against"
		if [[ -n "$${CI:-}" ]]; then exit 1; fi
		exit 0
	fi
	go generate ./jsclient
	if ! git diff --exit-code --stat -- jsclient/dist; then
		echo "bundle-check: jsclient/dist differs from 'go generate ./jsclient': run it and commit the result"
		exit 1
	fi
	untracked=$$(git ls-files --others --exclude-standard -- jsclient/dist)
	if [[ -n $$untracked ]]; then
		echo "bundle-check: untracked generated files (git add them):"
		echo "$$untracked"
		exit 1
	fi

# Tests open thousands of sockets: raise the descriptor limit in the same
# shell first. -race needs cgo (gcc); without a C compiler a local run goes
# on without -race, CI fails.
unit:
	ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true
	echo "==> ulimit -n $$(ulimit -n)"
	race=-race
	if ! command -v "$$(go env CC)" >/dev/null 2>&1; then
		if [[ -n "$${CI:-}" ]]; then echo "no C compiler: go test -race needs gcc"; exit 1; fi
		echo "WARNING: no C compiler, running the tests without -race"
		race=
	fi
	$(if $(filter-out $(TEST_MODULES),$(MODULES)),echo "==> no tests in: $(filter-out $(TEST_MODULES),$(MODULES))")
	$(call in_modules,go test $$race -count=1 ./...,$(TEST_MODULES))

# The comparison with raw melody (bench/lvbench, one run, loopback only),
# then the Go micro-benchmarks. See docs/PERFORMANCE.md.
bench:
	go run ./bench/lvbench
	go test -run '^$$' -bench . -benchmem ./...

demo:
	go run ./examples/demo
