#!/usr/bin/env bash
# The web site on Cloud Run, reading the marts in Cloud SQL. Production-safe settings:
# SECRET_KEY from Secret Manager (the same for every instance), PUBLIC_URL (e-mailed links;
# its host is allowed), ALLOWED_HOSTS for more names, Stripe only when its secrets exist.
# Cloud Run's front end is the only peer a container sees: WEB_TRUSTED_PROXIES=* makes the
# per-IP limits and HSTS use the client's address and scheme it forwards.
set -euo pipefail
: "${PROJECT_ID:?source env.sh first}"
: "${PUBLIC_URL:?set PUBLIC_URL in env.sh (https://your.domain)}"
secrets="DATABASE_URL=tickerpulse-database-url:latest,SECRET_KEY=tickerpulse-secret-key:latest"
# gcloud's ^@^ prefix makes @ the separator of --set-env-vars: ALLOWED_HOSTS holds commas.
env_vars="WEB_HOST=0.0.0.0@PUBLIC_URL=$PUBLIC_URL@ALLOWED_HOSTS=${ALLOWED_HOSTS:-}@WEB_TRUSTED_PROXIES=*"
if gcloud secrets describe tickerpulse-metrics-token >/dev/null 2>&1; then
  secrets="$secrets,METRICS_TOKEN=tickerpulse-metrics-token:latest"  # /metrics stays off without
fi
if gcloud secrets describe tickerpulse-stripe-webhook-secret >/dev/null 2>&1; then
  secrets="$secrets,STRIPE_API_KEY=tickerpulse-stripe-api-key:latest"
  secrets="$secrets,STRIPE_WEBHOOK_SECRET=tickerpulse-stripe-webhook-secret:latest"
  env_vars="$env_vars@PAYMENT_PROVIDER=stripe"
  env_vars="$env_vars@STRIPE_PRICE_PRO=${STRIPE_PRICE_PRO:?}@STRIPE_PRICE_PREMIUM=${STRIPE_PRICE_PREMIUM:?}"
fi
gcloud run deploy tickerpulse-web --source "$(dirname "$0")/../.." --region "$REGION" \
  --service-account "$SERVICE_ACCOUNT" --add-cloudsql-instances "$PROJECT_ID:$REGION:$SQL_INSTANCE" \
  --set-secrets "$secrets" --set-env-vars "^@^$env_vars" \
  --command ".venv/bin/tickerpulse" --args "serve,--port,8080" --allow-unauthenticated
