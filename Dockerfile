# syntax=docker/dockerfile:1
# goto-operator image: a Rust builder, then distroless, for users with a registry. Machines that
# can pull no base image (the development and CI ones) build the same runtime FROM scratch with
# `make image` (hack/image/Containerfile), and `make image-test` runs that one for real.
# tests/dockerfile.rs checks that both agree with each other and with the Helm chart (user
# 65532, entrypoint, command, port), that the build context holds what Cargo needs, and that the
# binary links only glibc and libgcc_s (both in cc-debian12) and needs no shell.

# Debian 12 (bookworm) on both sides: the binary is linked against the glibc it runs with.
FROM docker.io/library/rust:1.95-bookworm AS builder
WORKDIR /src
# Dependencies first, against a stub crate, so that a source-only change recompiles only the
# crate itself.
COPY Cargo.toml Cargo.lock ./
# Cargo refuses a manifest whose declared targets ([[bench]] ...) are missing, even for --bin.
COPY benches ./benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --bin goto-operator \
    && rm -rf src
COPY src ./src
# The commit goto_operator_build_info names: --build-arg GOTO_GIT_COMMIT=$(git rev-parse HEAD).
ARG GOTO_GIT_COMMIT=unknown
# touch: COPY may keep timestamps older than the stub's build, and cargo would skip the rebuild.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin goto-operator \
    && strip target/release/goto-operator

# distroless/cc: glibc, libgcc_s and CA certificates (/etc/ssl/certs, which the GoTo client
# trusts); no shell, no package manager. Time zones are compiled into the binary (jiff's bundled
# tzdb), so no tzdata is needed.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /src/target/release/goto-operator /goto-operator
# Numeric, so that Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# /metrics, /healthz, /readyz (the Helm chart's probes and Service use it).
EXPOSE 8080
ENTRYPOINT ["/goto-operator"]
CMD ["run"]
