# applymail, multi-stage:
#  1. planner: cargo-chef reduces the workspace to a dependency recipe;
#  2. builder: dependencies are built from the recipe alone (a cached layer until Cargo.lock
#     changes), then applymail itself, in release mode;
#  3. runtime: Debian slim with CA certificates, a non-root user, config and data volumes.
# The same `cargo build --release --locked` is what CI builds (in debug) on every change.
FROM rust:1.95-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version ^0.1
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin applymail
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY examples ./examples
COPY tests ./tests
COPY benches ./benches
RUN cargo build --release --locked --bin applymail

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates poppler-utils tesseract-ocr tesseract-ocr-fra \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/applymail --create-home --shell /usr/sbin/nologin applymail \
    && mkdir -p /etc/applymail \
    && chown applymail:applymail /var/lib/applymail
COPY --from=builder /src/target/release/applymail /usr/local/bin/applymail
COPY config/applymail.toml /etc/applymail/applymail.toml
USER applymail
WORKDIR /var/lib/applymail
# The shipped config reads the example Maildir; mount a real one at /etc/applymail.
ENV APPLYMAIL_CONFIG=/etc/applymail/applymail.toml \
    APPLYMAIL_DATABASE__URL=sqlite:///var/lib/applymail/applymail.db \
    APPLYMAIL_STORAGE__DIR=/var/lib/applymail/documents
VOLUME ["/etc/applymail", "/var/lib/applymail"]
EXPOSE 9464
ENTRYPOINT ["applymail"]
CMD ["run"]
