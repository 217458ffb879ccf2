# A first version: build in one stage with cached dependencies, run as a non-root user.
# (The deployment issue adds cargo-chef layers, volumes and a systemd unit.)
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY examples ./examples
COPY tests ./tests
RUN cargo build --release --locked --bin applymail

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/applymail --create-home applymail
COPY --from=build /src/target/release/applymail /usr/local/bin/applymail
COPY config/applymail.toml /etc/applymail/applymail.toml
USER applymail
WORKDIR /var/lib/applymail
ENV APPLYMAIL_CONFIG=/etc/applymail/applymail.toml \
    APPLYMAIL_DATABASE__URL=sqlite:///var/lib/applymail/applymail.db \
    APPLYMAIL_STORAGE__DIR=/var/lib/applymail/documents
VOLUME ["/var/lib/applymail"]
ENTRYPOINT ["applymail"]
CMD ["run"]
