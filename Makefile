# Bouwstroom: the two commands.
#   make demo   set up, import the real plans, print the summary, serve the API
#   make test   set up and run the whole test suite (also under ASan+UBSan)
# Both install missing Debian packages, build, and start a private PostgreSQL cluster
# (unless BOUWSTROOM_DATABASE_URL is set), and stop what they started.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= 2
# seconds per fuzz target (make fuzz) and which targets (default all of tests/fuzz)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all deps test-deps fuzz-deps build build-asan web test test-long test-faults fuzz demo bench bench-write bench-write-floor bench-outbox bench-web bench-national bench-dashboard format lint clean distclean bench-goals

all: build

deps:
	@scripts/deps.sh

# the browser tests' Chromium (Debian's) and a font for it
test-deps:
	@scripts/deps.sh chromium fonts-dejavu-core

# clang and its libFuzzer runtime for make fuzz
fuzz-deps:
	@scripts/deps.sh clang libclang-rt-14-dev

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBS_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# the browser app alone (build/web; make build also builds it)
web: deps
	@scripts/web.sh $(BUILD)/web

test: test-deps build build-asan
	@scripts/test.sh $(BUILD) $(ASAN_BUILD)

# the longer versions of what make test runs short: the scheduler against networkx on 3,000
# random graphs (make test: 300)
test-long: build
	@cd $(BUILD) && BS_NX_ROUNDS=3000 ctest -R integration_test_schedule_networkx --output-on-failure

# the standing fault suite in full (tests/faults/: make test runs its short version): kill -9,
# SIGTERM, slow and killed SMTP, PostgreSQL stop/start and immediate stop, two nodes, primary
# failover, backup and restore, each with a minimum load; prints the table of what was lost
test-faults: build
	@/usr/bin/python3 tests/faults/run.py --binary $(BUILD)/bouwstroom --source .

# libFuzzer on our own parsers (tests/fuzz): FUZZ_SECONDS per target in FUZZ_BUILD, with clang
fuzz: fuzz-deps
	@JOBS=$(JOBS) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

demo: build
	@scripts/demo.sh $(BUILD)

bench: build
	@scripts/bench.sh $(BUILD)

# national scale (issue 17 item 5), not part of `make bench`: generates 100,000 plans from the real
# file (bench/gen_national.py, into var/national/) and imports them, which takes minutes; then the
# same users' list, schedule, feed and aggregate p50 on the real and the national installation
bench-national: build
	@scripts/bench_national.sh $(BUILD)

# dashboards (issue 18 item 4): cached and uncached aggregates over the 4,348 real plans
bench-dashboard: build
	@scripts/bench_dashboard.sh $(BUILD)

# policy goals (issue 18 item 3), not part of `make bench` (the cold start forecasts every plan):
# the 4,348 plans imported, bench_goals (core + cache, one core) and the progress route over HTTP
bench-goals: build
	@scripts/bench_goals.sh $(BUILD)

# the write benchmark alone (make bench runs it too): step writes under wrk vs pgbench, fsync=on
bench-write: build
	@scripts/bench_write.sh $(BUILD)

# the step write's floor by pieces: the real write statements replayed by pgbench, pieces removed, next to
# pg-limit.sh's transaction (docs/performance.md "The eighth pass"; not part of make bench)
bench-write-floor: build
	@scripts/bench_write_floor.sh $(BUILD)

# the outbox like for like (issue 17 item 6): alert claims + sends to a C sink against
# graphile-worker completing no-op jobs (../shared/bench/graphile-or-pgboss.js), one run
bench-outbox: build
	@scripts/bench_outbox.sh $(BUILD)

# the browser app on the real plans in Debian's chromium (first page JS, /projects, project page)
bench-web: test-deps build
	@scripts/bench_web.sh $(BUILD)

# formats every C source and header as .clang-format says (make test checks it)
format: deps
	@scripts/check-format.sh --fix

# checks style and function size (no function outside engine/core/ over 120 lines), as make test does
lint: build
	@scripts/check-format.sh
	@scripts/check-function-size.sh $(BUILD)
	@scripts/check-alloc.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

distclean: clean
	-scripts/pg.sh wipe demo
	-scripts/pg.sh wipe test
	-for c in faults faults-primary faults-replica faults-replica2 faults-backup faults-restore; do scripts/pg.sh wipe $$c; done
	rm -rf var
