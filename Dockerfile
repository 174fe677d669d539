# The posthog-charttest image that `load --in-cluster N` runs as a Kubernetes Job: a static
# musl binary on a distroless base (no shell, runs as non-root).
#
#   docker build -t REGISTRY/posthog-charttest:TAG .
#   docker push REGISTRY/posthog-charttest:TAG
#   posthog-charttest load --scenario s.yaml --in-cluster 4 --image REGISTRY/posthog-charttest:TAG
FROM rust:1-alpine AS build
# musl-dev to link statically; gcc for ring's C and assembly parts.
RUN apk add --no-cache musl-dev gcc
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY schemas ./schemas
COPY benches ./benches
COPY examples ./examples
RUN cargo build --release --locked --bin posthog-charttest \
 && strip target/release/posthog-charttest

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/release/posthog-charttest /usr/local/bin/posthog-charttest
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/posthog-charttest"]
