#!/usr/bin/env bash
# Runs TrialManager on http://localhost:5080 with a demo trial on a local PostgreSQL it starts itself
# (data in /var/lib/trialmanager as root, else ~/.local/share/trialmanager). Demo logins are printed at first start.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
ensure_packages postgresql fonts-dejavu-core
exec dotnet run --project src/TrialManager.Web --launch-profile TrialManager "$@"
