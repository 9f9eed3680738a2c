# orderbot — every entry point a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO      ?= go
NPM     ?= npm
BUILD     := lambdas/build
LDFLAGS   := -s -w
STACK     ?= Orderbot
URL       ?=
CDK_FLAGS ?=
TOOLS     := $(GO) tool -modfile=$(CURDIR)/tools/go.mod
# The browser test (cmd/orderbot, TestChannelPageInBrowser) leaves its screenshots here.
export ORDERBOT_TEST_ARTIFACTS ?= $(CURDIR)/.artifacts/browser
# jsii prints a banner on Node 20 at every synth and infra test; Node 20 works.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: help deps build test test-lambdas test-local test-infra synth diff deploy dev smoke manifest lint bench clean screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

deps: node_modules/.package-lock.json ## install the pinned npm tools (CDK CLI, dynalite) and Go modules
	$(GO) mod download
	cd lambdas && $(GO) mod download

build: ## build the one bootstrap every function runs (linux/arm64): lambdas/build/bootstrap/ and bootstrap.zip
	@mkdir -p $(BUILD)/bootstrap
	cd lambdas && CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath \
	  -ldflags "$(LDFLAGS)" -o build/bootstrap/bootstrap ./cmd/bootstrap
	@rm -f $(BUILD)/bootstrap.zip; (cd $(BUILD)/bootstrap && touch -d @0 bootstrap && zip -q -X ../bootstrap.zip bootstrap)
	@printf 'bootstrap %9d bytes  zip %9d bytes  (functions: %s)\n' $$(stat -c %s $(BUILD)/bootstrap/bootstrap) \
	  $$(stat -c %s $(BUILD)/bootstrap.zip) "$$($(GO) run ./cmd/orderbot routes --functions | tr '\n' ' ')"

test: deps build ## run every test: lambdas, local gateway and VTL, infra with cdk-nag
	cd lambdas && $(GO) test -count=1 ./...
	# One package at a time: cmd/orderbot, local/gateway, local/devstack and bench each start
	# function processes and dynalite and answer within API Gateway's 2.5 s; side by side on
	# a 2-core machine they starve each other into 504s (tests inside a package still run
	# in parallel).
	$(GO) test -count=1 -p 1 $$($(GO) list ./... | grep -v '/infra')
	$(GO) test -count=1 ./infra/...

synth: deps build ## print the CloudFormation template (no AWS credentials needed)
	npx cdk synth

diff: deps build ## cdk diff against the deployed stack
	npx cdk diff $(CDK_FLAGS)

deploy: deps build ## cdk deploy
	npx cdk deploy --require-approval never $(CDK_FLAGS)

dev: deps ## run the synthesized template locally on 127.0.0.1:3000 (synthesizes cdk.out first when missing or stale; each function its own process)
	$(GO) run ./cmd/orderbot dev --stack $(STACK)

screenshots: ## rerun the browser test and refresh docs/screenshots/round-{en,ko}.png (needs chromium)
	ORDERBOT_UPDATE_DOCS=1 $(GO) test -count=1 -run TestChannelPageInBrowser -v ./cmd/orderbot

smoke: ## smoke-test a deployed API: make smoke URL=https://…/prod SECRET=…
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://<api>/<stage> [SECRET=…]"; exit 2; }
	$(GO) run ./cmd/orderbot smoke --url "$(URL)" $(if $(SECRET),--secret "$(SECRET)")

manifest: ## print the Slack app manifest for URL
	@test -n "$(URL)" || { echo "usage: make manifest URL=https://<api>/<stage>"; exit 2; }
	$(GO) run ./cmd/orderbot manifest --url "$(URL)"

lint: ## gofmt, go vet, staticcheck, actionlint (pinned in tools/go.mod), functions ≤ 60 lines, CloudFormation schemas
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt -w needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd lambdas && $(GO) vet ./...
	$(TOOLS) staticcheck ./...
	cd lambdas && $(TOOLS) staticcheck ./...
	$(TOOLS) actionlint
	$(GO) run ./cmd/funclen -max 60 .
	$(MAKE) --no-print-directory cfnschema

# Both stacks in two context variants: the defaults, and every optional key that adds or
# removes resources (imported secret, alarm email, no account role, the GitHub CI stack)
# with the value-only keys off their defaults.
.PHONY: cfnschema
cfnschema: deps build ## check every synthesized template against CloudFormation's resource schemas
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	  synth() { v=$$1; shift; CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth -q --no-notices -o "$$out/$$v" "$$@" >"$$out/$$v.log" 2>&1 || { cat "$$out/$$v.log"; return 1; }; }; \
	  synth default & a=$$!; \
	  synth optional -c secretName=orderbot/slack -c alarmEmail=ops@example.com \
	    -c apiGatewayCloudWatchRole=false -c githubRepo=acme/orderbot -c stageName=v1 \
	    -c logRetentionDays=90 -c logLevel=DEBUG -c executionLogLevel=INFO \
	    -c throttleRateLimit=5 -c throttleBurstLimit=8 -c tableDeletionProtection=false \
	    -c locale=ko -c timezone=Europe/Berlin -c reminderMinutes=0 -c historyDays=30 -c wafRateLimit=300 & b=$$!; \
	  rc=0; wait $$a || rc=1; wait $$b || rc=1; [ $$rc = 0 ]; \
	  $(GO) run ./cmd/cfnschema "$$out"/*/*.template.json

# The Lambda-like mode's Python peer uses Debian's boto3 (apt-get install python3-boto3);
# Bolt's fixture, with the AWS SDK, is installed by the harness with npm ci.
bench: deps build ## benchmarks → docs/BENCHMARKS.md: cold start vs Bolt/Python (idle CPU, and Lambda-like: calibrated init, CPU quota, TLS, RTT; power tuning), warm, gateway load, sizes, cdk synth
	@py=$${PYTHON:-/usr/bin/python3}; $$py -c 'import boto3' 2>/dev/null || { echo "installing python3-boto3 for $$py"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3 >/dev/null; }
	$(GO) run ./bench/cmd/bench -lambda -out docs/BENCHMARKS.md

clean: ## remove build outputs
	rm -rf $(BUILD) cdk.out
