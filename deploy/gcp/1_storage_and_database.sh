#!/usr/bin/env bash
# The lake bucket and Cloud SQL for PostgreSQL (the marts, users, ledger).
set -euo pipefail
: "${PROJECT_ID:?source env.sh first}"
gcloud config set project "$PROJECT_ID"
gcloud services enable storage.googleapis.com sqladmin.googleapis.com dataproc.googleapis.com \
  compute.googleapis.com cloudscheduler.googleapis.com cloudfunctions.googleapis.com \
  pubsub.googleapis.com run.googleapis.com secretmanager.googleapis.com
gcloud iam service-accounts create tickerpulse --display-name "tickerpulse jobs" || true
gcloud storage buckets create "$BUCKET" --location "$REGION" --uniform-bucket-level-access || true
gcloud storage buckets add-iam-policy-binding "$BUCKET" \
  --member "serviceAccount:$SERVICE_ACCOUNT" --role roles/storage.objectAdmin
gcloud sql instances create "$SQL_INSTANCE" --database-version POSTGRES_16 \
  --tier "$SQL_TIER" --region "$REGION" --storage-auto-increase || true
gcloud sql databases create tickerpulse --instance "$SQL_INSTANCE" || true
echo "Set a password: gcloud sql users set-password postgres --instance $SQL_INSTANCE --prompt-for-password"
echo "Store DATABASE_URL and API keys in Secret Manager (see README.md, step 2)."
