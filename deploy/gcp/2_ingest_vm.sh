#!/usr/bin/env bash
# The small VM that lands the sources every 6 hours (started and stopped by the function).
set -euo pipefail
: "${PROJECT_ID:?source env.sh first}"
gcloud compute instances create "$INGEST_VM" --zone "${REGION}-b" --machine-type "$INGEST_MACHINE" \
  --service-account "$SERVICE_ACCOUNT" --scopes cloud-platform \
  --image-family debian-12 --image-project debian-cloud \
  --metadata-from-file startup-script=startup.sh --metadata "lake-url=$BUCKET/lake"
gcloud compute instances stop "$INGEST_VM" --zone "${REGION}-b"
