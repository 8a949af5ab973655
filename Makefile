# Carmine's developer commands. `make test` runs every test of every module of the workspace.
GO       ?= go
FUZZTIME ?= 10s
MODULES  := $(shell $(GO) list -m -f '{{.Dir}}')
PKGS     := $(addsuffix /...,$(MODULES))

.PHONY: test vet fmt-check race modules fuzz bench bench-compare build

test: fmt-check vet race

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

# Each module on its own, as an outside user builds it: it and its tests compile without the workspace and go.mod
# is tidy, and they vet on a 32-bit platform too (GOARCH=386, where int is 32 bits). The tests themselves ran in
# `make race` against the same code (sibling modules are replaced by their directories either way), so they are
# compiled here, not run again.
modules:
	@for d in $(MODULES); do \
		echo "== $$d"; \
		(cd "$$d" && GOWORK=off $(GO) vet ./... && GOWORK=off GOARCH=386 $(GO) vet ./... && \
			GOWORK=off $(GO) test -count=1 -run '^$$' ./... && GOWORK=off $(GO) mod tidy -diff) || exit 1; \
	done

# Every fuzz target of every package, FUZZTIME each (one target per `go test -fuzz` run; .ci/fuzz-one retries
# Go 1.26's spurious "context deadline exceeded" once).
fuzz:
	@for pkg in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' $(PKGS)); do \
		for fz in $$($(GO) test -list '^Fuzz' "$$pkg" | grep '^Fuzz'); do \
			echo "== $$pkg $$fz"; \
			GO="$(GO)" .ci/fuzz-one "$$pkg" "$$fz" $(FUZZTIME) || exit 1; \
		done; \
	done

bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

build:
	$(GO) build -o bin/carmine-server ./server

# Carmine against a real redis-server on the same machine, as Carmine/Redis throughput ratios.
bench-compare: build
	$(GO) run ./tools/bench -server bin/carmine-server
