#!/usr/bin/env bash
# Runs at every boot of the ingest VM: land the due windows, publish, power off.
set -euo pipefail
cd /opt/tickerpulse 2>/dev/null || {
  apt-get update && apt-get install -y git make python3 python3-venv openjdk-17-jre-headless
  git clone https://github.com/YOUR-ORG/tickerpulse /opt/tickerpulse && cd /opt/tickerpulse
}
git pull --ff-only
make setup
secret() { gcloud secrets versions access latest --secret "$1"; }
export DATABASE_URL="$(secret tickerpulse-database-url)"
export LAKE_URL="$(curl -s -H 'Metadata-Flavor: Google' \
  http://metadata.google.internal/computeMetadata/v1/instance/attributes/lake-url)"
export SOURCES="news,reddit,x,telegram,finnhub,alphavantage"
for name in REDDIT_CLIENT_ID REDDIT_CLIENT_SECRET X_BEARER_TOKEN FINNHUB_API_KEY ALPHAVANTAGE_API_KEY; do
  export "$name=$(secret "tickerpulse-$(echo "$name" | tr 'A-Z_' 'a-z-')" || true)"
done
.venv/bin/tickerpulse cycle run || true   # failures are in the ledger; the next run catches up
shutdown -h now
