# Vigil — the two commands of the README, and a few more.
SWIFT ?= swift

.PHONY: quickstart test build release bench bench-detection bench-drift bench-mmd bench-sequential bench-sampling bench-alerts bench-detector bench-review bench-serve bench-postgres bench-monitoring parity schemathesis deps clean

## Install what is missing, build, and run the main job end to end.
quickstart: deps
	$(SWIFT) build -c release --product vigil
	rm -rf vigil-quickstart
	.build/release/vigil quickstart --dir vigil-quickstart

## Install what is missing and run the whole test suite. The registry's MLflow test needs
## MLflow in .build/mlflow-venv (first time: pip install, ~3 min); with VIGIL_REQUIRE_MLFLOW=1
## a missing MLflow fails that test instead of skipping it.
## The store tests also run against PostgreSQL: a throwaway cluster on 127.0.0.1:5433
## (scripts/postgres-test-server.sh), stopped afterwards even when a test fails; with
## VIGIL_REQUIRE_POSTGRES=1 a missing server fails those tests instead of skipping them.
test: deps
	scripts/mlflow-test-server.sh --install-only
	scripts/install-test-peers.sh
	$(SWIFT) build --build-tests
	url=$$(scripts/postgres-test-server.sh) || exit 1; \
	  VIGIL_TEST_POSTGRES_URL=$$url VIGIL_REQUIRE_POSTGRES=1 VIGIL_REQUIRE_MLFLOW=1 $(SWIFT) test --skip-build; status=$$?; \
	  if [ $$status -eq 0 ]; then VIGIL_TEST_POSTGRES_URL=$$url VIGIL_BIN=$$($(SWIFT) build --show-bin-path)/vigil scripts/store_parity.sh 4000; status=$$?; fi; \
	  scripts/postgres-test-server.sh --stop; exit $$status

## Benchmarks: ingest and evaluate 1M predictions against sqlite3 and scikit-learn.
bench: deps
	scripts/bench.sh

## Detection: COCO evaluation against pycocotools and faster-coco-eval on 5,000 images.
bench-detection: deps
	scripts/bench_detection.sh

## Drift: calibration of every drift test (1,000 seeded simulations each) and its cost in evaluate.
bench-drift: deps
	scripts/bench_drift.sh

## Embedding drift: the MMD² permutation test (n = m = 5,000, d = 128) against numpy.
bench-mmd: deps
	scripts/bench_mmd.sh

## Drift: ADWIN and Page–Hinkley against river on a 1M-value correctness stream.
bench-sequential: deps
	scripts/bench_sequential.sh

## Sampling: a daily budget of 500 out of 1M predictions (target < 2 s, memory flat), release build.
bench-sampling: deps
	scripts/bench_sampling.sh

## Alerts: 10,000 signed notifications to a local webhook receiver (target <= 10 s).
bench-alerts: deps
	scripts/bench_alerts.sh

## Embedded detector: train, shift, fine-tune, inference speed, and the PyTorch peer, release build.
bench-detector: deps
	scripts/bench_detector.sh

## Review UI: keystroke → next 640×480 PNG item fully drawn, prefetch warm (target <= 30 ms), in tmux.
bench-review: deps
	scripts/bench_review.sh

## Server: 1,000-prediction batches for 60 s over loopback with evaluation reads alongside (release build, wrk).
bench-serve: deps
	scripts/bench_serve.sh

## Scale-out: HTTP ingest with 1, 2 and 4 servers on one PostgreSQL (and SQLite), `vigil ingest predictions` of
## 200,000 lines, evaluate over 1M (every score read: the raw-value limit) and 10M predictions, on both stores, with
## a summary of ratios to SQLite. VIGIL_BEFORE_BIN=path/to/vigil measures a second build beside this one in the same
## run (before and after); VIGIL_BENCH_POSTGRES_URL uses a running server; ARGS as scripts/bench_postgres.sh takes them.
bench-postgres: deps
	scripts/bench_postgres.sh $(ARGS)

## One store, two drivers: 30 simulated days on SQLite and on PostgreSQL; every report, alert,
## review-queue pick, job run and event a user reads must be equal (ARGS=ROWS, default 20000).
parity: deps
	$(SWIFT) build --product vigil
	scripts/store_parity.sh $(ARGS)

## Alerting: 30 simulated days, hourly `vigil tick`, no change (10 seeds) and four changes: notifications,
## pages, detection delays of the shipped example policy (ARGS="--quick" for 2 seeds of S0).
bench-monitoring: deps
	scripts/bench_monitoring.sh $(ARGS)

## Server: schemathesis against docs/openapi.yaml on a live `vigil serve` (venv, bounded examples).
schemathesis: deps
	scripts/schemathesis.sh

deps:
	@scripts/install-deps.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release --product vigil

clean:
	rm -rf .build vigil-quickstart bench-data
