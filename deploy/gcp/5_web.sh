#!/usr/bin/env bash
# The web site on Cloud Run, reading the marts in Cloud SQL.
set -euo pipefail
: "${PROJECT_ID:?source env.sh first}"
gcloud run deploy tickerpulse-web --source "$(dirname "$0")/../.." --region "$REGION" \
  --service-account "$SERVICE_ACCOUNT" --add-cloudsql-instances "$PROJECT_ID:$REGION:$SQL_INSTANCE" \
  --set-secrets "DATABASE_URL=tickerpulse-database-url:latest" \
  --command ".venv/bin/tickerpulse" --args "serve,--port,8080" --allow-unauthenticated
