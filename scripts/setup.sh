#!/usr/bin/env bash
# Set up Affiliate Matrix on a fresh Debian/Ubuntu machine (idempotent; re-runs are fast).
#
#   bash scripts/setup.sh          # runtime: .venv with the package + [cli] (all `matrix up` needs)
#   bash scripts/setup.sh --dev    # + every extra ([plots,browser,deploy,dev,bench]) and the real parts
#                                  #   tests use: chromium, redis-server, prometheus, postgresql, pytest...
#
# torch: installed BEFORE the package so sentence-transformers finds it satisfied and never pulls
# the multi-GB CUDA wheel. Default MATRIX_TORCH_SPEC="torch==2.13.0" (the CPU build on this
# platform's wheel cache); for a GPU build set e.g.
#   MATRIX_TORCH_SPEC="torch==2.13.0" MATRIX_TORCH_INDEX=https://download.pytorch.org/whl/cu128
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1
VENV=${MATRIX_VENV:-.venv}
TORCH_SPEC=${MATRIX_TORCH_SPEC:-torch==2.13.0}

log() { printf '\033[1;36m[setup]\033[0m %s\n' "$*" >&2; }

# --- Debian packages ----------------------------------------------------------------------
apt_pkgs=()
if [[ $DEV == 1 ]]; then
  command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)  # render_js sources ([browser] extra)
  command -v redis-server >/dev/null 2>&1 || apt_pkgs+=(redis-server)
  command -v prometheus >/dev/null 2>&1 || apt_pkgs+=(prometheus)
  command -v promtool >/dev/null 2>&1 || apt_pkgs+=(prometheus)
  command -v prometheus-alertmanager >/dev/null 2>&1 || apt_pkgs+=(prometheus-alertmanager)
  command -v prometheus-pushgateway >/dev/null 2>&1 || apt_pkgs+=(prometheus-pushgateway)
  [[ -x /usr/lib/postgresql/15/bin/initdb ]] || apt_pkgs+=(postgresql-15)
  command -v kubectl >/dev/null 2>&1 || apt_pkgs+=(kubernetes-client)  # `kubectl kustomize` for the overlays
fi
if (( ${#apt_pkgs[@]} )); then
  SUDO=""
  if [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      log "missing Debian packages (${apt_pkgs[*]}) and no root/sudo: install them yourself"; SUDO="skip"; fi
  fi
  if [[ $SUDO != skip ]]; then
    log "apt-get install ${apt_pkgs[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
  fi
fi

# --- Python environment -------------------------------------------------------------------
PY=${MATRIX_PYTHON:-}
if [[ -z $PY ]]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then PY=$cand; break; fi
  done
fi
[[ -n $PY ]] || { log "Python 3.11 is required (set MATRIX_PYTHON)"; exit 1; }
# MATRIX_VENV=system installs into that interpreter itself: container images (kuberay/Dockerfile)
# whose Python already runs Ray use this, so the image is set up by this very script.
if [[ $VENV == system ]]; then
  VENV=$("$PY" -c 'import sys; print(sys.prefix)')
  PIP_EDITABLE=""
else
  [[ -x $VENV/bin/python ]] || { log "creating $VENV with $PY"; "$PY" -m venv "$VENV"; }
  PIP_EDITABLE="-e"
fi

# default: what `matrix up` needs (the core + rich tables); --dev: every optional extra too
extras="[cli]"
[[ $DEV == 1 ]] && extras="[cli,plots,browser,deploy,dev,bench]"
stamp="$VENV/.matrix-setup-$(cat pyproject.toml <(echo "$TORCH_SPEC $extras ${MATRIX_TORCH_INDEX:-}") | sha256sum | cut -c1-16)"
if [[ -f $stamp ]]; then
  log "python packages up to date ($stamp)"
else
  log "installing $TORCH_SPEC"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  if [[ -n ${MATRIX_TORCH_INDEX:-} ]]; then
    "$VENV/bin/python" -m pip install -q "$TORCH_SPEC" --index-url "$MATRIX_TORCH_INDEX"
  else
    "$VENV/bin/python" -m pip install -q "$TORCH_SPEC"
  fi
  log "installing affiliate-matrix$extras"
  "$VENV/bin/python" -m pip install -q $PIP_EDITABLE ".$extras"
  rm -f "$VENV"/.matrix-setup-*
  touch "$stamp"
fi
log "ready: $VENV/bin/matrix"
