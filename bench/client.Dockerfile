# make bench's fleet client: a bare host with python3 and a second user; trust_client's first run
# installs the notary CLI from Debian. Built FROM the debootstrapped debian:bookworm.
FROM debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --shell /bin/bash builder
CMD ["sleep", "infinity"]
