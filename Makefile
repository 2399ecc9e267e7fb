# Routine tasks. `make test` works on a fresh clone (Go, Node/npm and python3 or zip needed).
#   make dev | test | build | build-local | package | lint | fuzz | bench | clean
#   make deploy STAGE=prod SLS_FLAGS='--param corsAllowOrigin=https://app.example.com' | remove STAGE=prod SLS_FLAGS=...

# Every folder under functions/ is a function (its key in serverless.yml).
FUNCTIONS := $(notdir $(patsubst %/main.go,%,$(wildcard functions/*/main.go)))
STAGE ?= dev
REGION ?= us-east-1
# Extra Serverless CLI flags for package and deploy, e.g. --param name=value.
SLS_FLAGS ?=
SLS := npx sls
STATICCHECK_VERSION := v0.8.2
GO_BUILD := CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w'
# Both keep bootstrap's run bit and put it at the zip's root; python3 stands in where zip is missing.
ZIP := $(if $(shell command -v zip 2>/dev/null),zip -qjX,python3 -m zipfile -c)

.PHONY: build build-local package dev test fuzz bench lint deploy remove cors-param clean FORCE

# Deployable zips: build/<fn>.zip holding a linux/arm64 bootstrap.
build: $(FUNCTIONS:%=build/%.zip)

build/%.zip: FORCE
	GOOS=linux GOARCH=arm64 $(GO_BUILD) -o build/$*/bootstrap ./functions/$* && rm -f $@ && $(ZIP) $@ build/$*/bootstrap

# This machine's bootstraps, for the local runner and the end-to-end tests.
build-local:
	for fn in $(FUNCTIONS); do $(GO_BUILD) -o build/local/$$fn/bootstrap ./functions/$$fn || exit 1; done

# CloudFormation into .serverless/ (no AWS credentials needed).
package: cors-param build node_modules
	$(SLS) package --stage $(STAGE) --region $(REGION) $(SLS_FLAGS)

test: node_modules build-local
	go test ./...

# The whole stack on this machine (local Cognito, functions, Invoke endpoint, API Gateway) and the login
# page on http://127.0.0.1:5173; Ctrl-C stops it. DEV_FLAGS moves ports, e.g. DEV_FLAGS='--api-port 3100
# --lambda-port 3102 --cognito-port 9329 --web-port 5273'; SLS_FLAGS='--param corsAllowOrigin=http://127.0.0.1:5173'
# runs a stage's exact CORS list.
dev: node_modules build-local
	go build -o build/local/dev-stack ./local/cmd/dev && exec build/local/dev-stack --stage $(STAGE) $(DEV_FLAGS) $(SLS_FLAGS)

# Fuzz the signin handler (event decoding through the whole flow) for FUZZTIME; make test runs its seeds.
FUZZTIME ?= 60s
fuzz:
	go test ./shared/signin/ -run '^$$' -fuzz FuzzHandler -fuzztime $(FUZZTIME)

# This design against the original order (SignUp first): one Markdown table to stdout, bench/results/<UTC time>.md and latest.md (~2 min).
bench: build build-local node_modules
	go run ./bench/cmd/bench

lint:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

deploy: cors-param build node_modules
	$(SLS) deploy --stage $(STAGE) --region $(REGION) $(SLS_FLAGS)

# Delete a stage's stack. Outside dev the user pool's deletion protection is ACTIVE, and the removal
# stops at the pool: deploy the stage with --param userPoolDeletionProtection=INACTIVE first (README: Deploy).
remove: cors-param node_modules
	$(SLS) remove --stage $(STAGE) --region $(REGION) $(SLS_FLAGS)

# Only dev has a corsAllowOrigin default; elsewhere osls would stop with "Value not found at "param"
# source", naming neither the parameter nor how to give it. Checked before the build.
cors-param:
	@case "$(STAGE) $(SLS_FLAGS)" in dev\ *|*corsAllowOrigin=*) ;; *) \
	echo "STAGE=$(STAGE) needs the corsAllowOrigin parameter (comma-separated origins of your web app, or '*'), e.g." >&2; \
	echo "  make $(MAKECMDGOALS) STAGE=$(STAGE) SLS_FLAGS='--param corsAllowOrigin=https://app.example.com'" >&2; exit 2;; esac

clean:
	rm -rf build .serverless

# npm ci again only when the lock file changes.
node_modules: package-lock.json
	npm ci && touch node_modules

FORCE:
