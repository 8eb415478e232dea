# The orchsim image: the binary, the scenarios and experiments, and the
# shard runner used by the Slurm and Kubernetes recipes
# (scenarios/experiments/distributed/).
#
#   docker build -t orchsim:0.1 .
#   docker run --rm -v "$PWD/results:/opt/orchsim/results" orchsim:0.1 sweep scenarios/experiments/mtbf-replicas.toml
#
# Traces are not in the image: mount them and point ORCHSIM_TRACES at them
# (-v /data/traces:/traces -e ORCHSIM_TRACES=/traces).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
COPY scenarios scenarios
RUN cargo build --release --locked --bin orchsim

FROM debian:bookworm-slim
COPY --from=build /src/target/release/orchsim /usr/local/bin/orchsim
COPY scenarios /opt/orchsim/scenarios
COPY scenarios/experiments/distributed/shard.sh /usr/local/bin/orchsim-shard
WORKDIR /opt/orchsim
ENTRYPOINT ["orchsim"]
