# Developer and CI entry points. GNU make.

CARGO ?= cargo

.PHONY: dashboard run test test-sqlite test-flow flow chaos fuzz lint deploy-check openapi fmt bench bench-registry smtp-sink

# Runs every service on 127.0.0.1:8080 with the embedded default: SQLite files in
# ./data and in-process events. LIAISON_* variables override the settings.
run:
	$(CARGO) run --bin liaison -- serve all

# The full suite, including the PostgreSQL and RabbitMQ variants of the tests.
test: export LIAISON_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
test: export LIAISON_TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/%2f
test:
	scripts/check-test-services.sh
	scripts/prepare-dashboard.sh
	env -u LIAISON_TEST_SQLITE_ONLY -u LIAISON_FLOW_URL $(CARGO) test --workspace

# The cross-service test alone (tests/year_of_activity.rs): each service as its own
# process on PostgreSQL and RabbitMQ, a year of one body's work, its annual report.
test-flow: export LIAISON_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
test-flow: export LIAISON_TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/%2f
test-flow:
	scripts/check-test-services.sh
	scripts/prepare-dashboard.sh
	env -u LIAISON_TEST_SQLITE_ONLY -u LIAISON_FLOW_URL $(CARGO) test --test year_of_activity -- --nocapture

# The same flow against a platform that already runs, such as `make run` in another
# terminal. FLOW_URL is its address; its development key is read from FLOW_DATA_DIR.
FLOW_URL ?= http://127.0.0.1:8080
FLOW_DATA_DIR ?= data
flow:
	LIAISON_FLOW_URL=$(FLOW_URL) LIAISON_FLOW_DATA_DIR=$(FLOW_DATA_DIR) \
		$(CARGO) test --test year_of_activity -- --nocapture

# The fault suite and the load runs (tests/chaos.rs, docs/reliability.md): each service
# as its own process on PostgreSQL and RabbitMQ while the broker stops, processes are
# killed and the database is cut off, then a check of every event id. It stops and
# starts the RabbitMQ application with rabbitmqctl, so it needs root or the broker's
# user and a broker that nothing else uses. LIAISON_LOAD_SECS sets the load runs' length.
chaos: export LIAISON_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
chaos: export LIAISON_TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/%2f
chaos:
	scripts/check-test-services.sh
	env -u LIAISON_TEST_SQLITE_ONLY $(CARGO) test --test chaos -- --ignored --nocapture --test-threads=1

# Fuzzes every service's OpenAPI document with schemathesis (scripts/fuzz.sh) against
# the debug build under `serve all`, without a token and with an officer's token. Fails
# on a 5xx or a response that the document does not describe, and prints the test
# cases of each run. Installs schemathesis in a Python virtual environment in
# $LIAISON_CI_CACHE/fuzz-venv (default /var/cache/liaison-ci). Takes about 6 minutes on
# 2 cores; LIAISON_FUZZ_MAX_EXAMPLES sets the test cases per operation (default 50).
fuzz:
	CARGO=$(CARGO) scripts/fuzz.sh

# Installs aiosmtpd, the SMTP server the notifier's tests send mail to, in a Python
# virtual environment in $LIAISON_CI_CACHE/smtp-venv (default /var/cache/liaison-ci).
# The tests run scripts/smtp-sink.sh, which installs it on first use as well.
smtp-sink:
	scripts/smtp-sink.sh --install-only

# The suite without PostgreSQL and RabbitMQ.
test-sqlite:
	@echo "Running the SQLite-only suite: tests of the PostgreSQL and RabbitMQ variants are skipped."
	LIAISON_TEST_SQLITE_ONLY=1 $(CARGO) test --workspace

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Validates the deployment files (scripts/validate-deploy.sh): renders each Kustomize
# overlay of deploy/k8s and validates it against the Kubernetes JSON schemas with
# kubernetes-validate, and checks deploy/docker-compose.yml with docker compose (or
# Debian's docker-compose). Renders with kubectl or kustomize, or without them with
# scripts/render-kustomize.py. Installs the rest, the Python packages in
# $LIAISON_CI_CACHE/deploy-venv (default /var/cache/liaison-ci).
deploy-check:
	scripts/validate-deploy.sh

# Rebuilds the reference dashboard's static files in services/aggregation/dashboard/dist,
# which the aggregation binary compiles in, from its sources and pinned npm packages.
dashboard:
	cd services/aggregation/dashboard && npm ci --ignore-scripts --no-audit --no-fund && npm run build

# Writes openapi/<service>.json for every service.
openapi:
	$(CARGO) run --bin liaison -- openapi --out openapi

fmt:
	$(CARGO) fmt --all

# Every benchmark scenario of the platform (tools/bench, docs/benchmarks.md) with the
# release build: the registry scenarios of bench-registry, then start-up and memory of
# serve all, and, with each service as its own process on PostgreSQL and RabbitMQ,
# annual report assembly, event latency at 500 writes/s, relay throughput and a mixed
# load of 32 clients, then the dashboard analytics endpoints of serve all on PostgreSQL
# over 100,000 NPOs and 20,000 priorities. Prints one table: figure, target, baseline
# measured in the same run, ratio. Needs PostgreSQL on 127.0.0.1:5432 (user postgres,
# no password) with pgbench, and RabbitMQ on 127.0.0.1:5672 (guest); recreates the
# databases bench_*. Takes about 15 minutes. BENCH_ARGS passes options, such as
# BENCH_ARGS="--parts analytics --analytics-secs 5"; `bench --help` lists them.
bench:
	$(CARGO) build --release -p liaison -p liaison-bench
	$(CARGO) run --release -q -p liaison-bench --bin bench -- $(BENCH_ARGS)

# Generates 100,000 NPOs, ingests them into the release build of the registry and
# measures ingestion, search and reads by id on PostgreSQL (127.0.0.1:5432; the
# database bench_registry is recreated) and on SQLite, each against a baseline run in
# the same command. Takes several minutes; docs/benchmarks.md has the details.
# BENCH_ARGS passes options, such as BENCH_ARGS="--databases sqlite --rows 10000".
bench-registry:
	$(CARGO) build --release -p liaison -p liaison-bench
	$(CARGO) run --release -q -p liaison-bench --bin bench-registry -- $(BENCH_ARGS)

