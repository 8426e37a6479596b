#!/usr/bin/env bash
# Re-run history on Dataproc Serverless with ENGINE=spark over the GCS lake.
# Usage: 3_dataproc_backfill.sh 2026-01-01 2026-04-01
set -euo pipefail
: "${PROJECT_ID:?source env.sh first}"
FROM="$1"; TO="$2"
make -C "$(dirname "$0")/../.." wheel   # builds dist/tickerpulse-*.whl
WHEEL=$(ls "$(dirname "$0")"/../../dist/tickerpulse-*.whl | tail -1)
gcloud storage cp "$WHEEL" "$BUCKET/jobs/"
gcloud storage cp "$(dirname "$0")/cycle_job.py" "$BUCKET/jobs/cycle_job.py"
gcloud dataproc batches submit pyspark "$BUCKET/jobs/cycle_job.py" \
  --region "$REGION" --service-account "$SERVICE_ACCOUNT" \
  --version 2.3 --py-files "$BUCKET/jobs/$(basename "$WHEEL")" \
  --properties "spark.executorEnv.ENGINE=spark,spark.dataproc.driverEnv.ENGINE=spark" \
  -- backfill --from "$FROM" --to "$TO"
