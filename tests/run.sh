#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine (run as root, or with sudo available):
#   tests/run.sh
# Installs what is missing (system packages, Rust, the aws CLI in .venv, cargo-fuzz), then runs
# rustfmt, clippy, every test (unit + black-box on both io_uring and epoll, aws CLI included) and
# every fuzz target within one fixed time budget. Any failure or fuzz crash fails the script.
#
# Knobs: TOLLGATE_FUZZ_SECONDS (the total fuzz time, default 480, shared evenly by the targets
# with at least 10 s each, so adding a target does not lengthen CI; 0 skips fuzzing),
# TOLLGATE_TEST_DRIVERS (e.g. "epoll" where the kernel or a seccomp profile refuses io_uring).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
FUZZ_SECONDS=${TOLLGATE_FUZZ_SECONDS:-480}
FUZZ_TARGETS=(request_head chunked openapi_import patch_ops sigv4 target_render jsonpath template_render model_compile lambda_reply sts_response iam_policy sigv4_query jwt authorizer_reply access_log_format waf)
FUZZ_PER_TARGET=$(( FUZZ_SECONDS / ${#FUZZ_TARGETS[@]} ))
[ "$FUZZ_PER_TARGET" -ge 10 ] || FUZZ_PER_TARGET=10

section() { printf '\n==== %s ====\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

section "system packages"
need=()
command -v curl >/dev/null || need+=(curl ca-certificates)
command -v cc >/dev/null || need+=(build-essential)
command -v c++ >/dev/null || need+=(g++)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v git >/dev/null || need+=(git)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}"
else
    echo "all present"
fi

section "rust toolchain"
if ! command -v cargo >/dev/null; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi
if command -v rustup >/dev/null; then
    rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
cargo --version
rustc --version

section "aws CLI, boto3, pytest, moto (.venv)"
if [ ! -x .venv/bin/aws ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet awscli
fi
# PyYAML and cryptography: the Cognito and real-document tests (tokens minted with moto's key,
# CloudFormation-style YAML).
if ! .venv/bin/python -c 'import pytest, boto3, moto, yaml, cryptography' 2>/dev/null || [ ! -x .venv/bin/moto_server ]; then
    .venv/bin/pip install --quiet pytest boto3 'moto[server]' pyyaml cryptography
fi
.venv/bin/aws --version
export TOLLGATE_AWS_CLI="$ROOT/.venv/bin/aws"

section "cargo-lambda (local Lambda Invoke API) and the fixture functions"
# --no-deps: the Invoke emulator needs only its own binary (its ziglang dependency is for
# cross-compiling, 400 MB).
if [ ! -x .venv/bin/cargo-lambda ]; then
    .venv/bin/pip install --quiet --no-deps cargo-lambda
fi
# Built before the tests (tests/support/lambda.rs uses the same target dir), so no test spends its
# time compiling functions.
(cd tests/fixtures/lambda && CARGO_TARGET_DIR="$ROOT/target/lambda-fixtures" cargo build --quiet)

section "cargo-fuzz"
if [ "$FUZZ_SECONDS" != 0 ] && ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

section "cargo fmt --check"
cargo fmt --all -- --check

section "cargo clippy"
cargo clippy --all-targets -- -D warnings

section "cargo test (unit + black-box, both drivers)"
cargo test --all-targets

section "Python black-box suite (aws CLI, boto3, moto_server) against target/debug/tollgate"
# cargo test built the binary; the suite starts it (and moto_server) itself and stops them by PID.
cargo build --quiet
.venv/bin/python -m pytest -q tests/py

section "fuzz (${FUZZ_SECONDS}s in all, ${FUZZ_PER_TARGET}s per target)"
if [ "$FUZZ_SECONDS" = 0 ]; then
    echo "skipped (TOLLGATE_FUZZ_SECONDS=0)"
else
    [ -d fuzz ] || { echo "fuzz/ is missing" >&2; exit 1; }
    available=$(RUSTC_BOOTSTRAP=1 cargo fuzz list)
    for target in "${FUZZ_TARGETS[@]}"; do
        if ! grep -qx "$target" <<<"$available"; then
            echo "fuzz target $target is missing (have: $(echo $available))" >&2
            exit 1
        fi
        echo "--- $target"
        # -s none: no sanitizer, works on stable with RUSTC_BOOTSTRAP; a crash exits non-zero.
        RUSTC_BOOTSTRAP=1 cargo fuzz run -s none "$target" -- \
            -max_total_time="$FUZZ_PER_TARGET" -print_final_stats=1
    done
fi

section "all passed"
