# syntax=docker/dockerfile:1
#
# The suite as an image, for the Kubernetes Jobs in deploy/kubernetes:
#   /usr/local/bin/acceptance.test   the compiled live suite (go test -c -tags live ./acceptance)
#   /usr/local/bin/vllm-acceptance   the CLI (merge, report, compare, rank, sim)
#
#   docker build -t ghcr.io/you/vllm-acceptance:0.1.0 .
#
# Both binaries are built with cgo and linked dynamically against glibc, so
# the GPU monitor can dlopen libnvidia-ml.so.1 where the NVIDIA container
# toolkit mounts the driver (ACCEPTANCE_GPU_INTERVAL > 0 on a GPU node);
# without a driver it reports "no local GPU" and its checks are skipped.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=1
RUN go test -c -tags live -trimpath -o /out/acceptance.test ./acceptance \
 && go build -trimpath -o /out/vllm-acceptance ./cmd/vllm-acceptance \
 && /out/vllm-acceptance version

# distroless/base: glibc and CA certificates, no shell; nonroot is uid 65532.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/acceptance.test /out/vllm-acceptance /usr/local/bin/
COPY --from=build /src/tolerances /opt/vllm-acceptance/tolerances
COPY --from=build /src/fixtures /opt/vllm-acceptance/fixtures
COPY --from=build /src/settings /opt/vllm-acceptance/settings
COPY --from=build /src/tolerances /opt/vllm-acceptance/tolerances
WORKDIR /opt/vllm-acceptance
ENV ACCEPTANCE_FIXTURES=/opt/vllm-acceptance/fixtures \
    ACCEPTANCE_OUT=/results
USER nonroot
ENTRYPOINT ["/usr/local/bin/acceptance.test", "-test.v"]
