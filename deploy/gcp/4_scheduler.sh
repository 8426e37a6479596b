#!/usr/bin/env bash
# Cloud Scheduler → Pub/Sub → Cloud Function that starts the ingest VM at 00/06/12/18 UTC (+5 min).
set -euo pipefail
: "${PROJECT_ID:?source env.sh first}"
gcloud pubsub topics create "$TOPIC" || true
gcloud functions deploy tickerpulse-cycle --gen2 --region "$REGION" --runtime python311 \
  --source "$(dirname "$0")/function" --entry-point on_tick --trigger-topic "$TOPIC" \
  --service-account "$SERVICE_ACCOUNT" \
  --set-env-vars "PROJECT_ID=$PROJECT_ID,ZONE=${REGION}-b,INSTANCE=$INGEST_VM"
gcloud scheduler jobs create pubsub tickerpulse-cycle --location "$REGION" \
  --schedule "5 0,6,12,18 * * *" --time-zone UTC --topic "$TOPIC" --message-body '{"action":"start"}'
