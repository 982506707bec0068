#!/usr/bin/env bash
# Installs the Debian packages Watashi's checks need, when they are missing.
# Called by `npm test` (scripts/test.sh) and `.ci/run`; safe to run again (it only installs what is absent).
#   libpcsclite-dev — headers for the optional `smartcard` PC/SC binding (built by npm ci)
#   openssl        — independent check of every certificate, CRL, OCSP response and CMS we produce
#   chromium       — real browser for the wallet end-to-end tests (driven by playwright-core)
#   opensc, pcscd, vsmartcard-vpcd, pcsc-tools — PC/SC conformance of the virtual My Number card
#   haproxy, pgbouncer — the several-instances test (packages/platform/test/scale): a real load
#                    balancer and a transaction-mode connection pooler in front of PostgreSQL
#   fonts-noto-cjk — Japanese glyphs in the wallet screenshots the end-to-end tests write
#   softhsm2       — a PKCS#11 token for the CA's and devices' keys (Watashi's own certificates)
#   poppler-utils  — pdfsig, an independent check of the PDF signatures Watashi makes
#   postgresql     — only when no PostgreSQL answers on 127.0.0.1:5432 (the suite then starts a private one)
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have openssl || need+=(openssl)
have chromium || need+=(chromium)
have pkcs11-tool || need+=(opensc opensc-pkcs11)
have pcscd || need+=(pcscd)
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || ls /usr/lib/pcsc/drivers/serial/ 2>/dev/null | grep -q vpcd || need+=(vsmartcard-vpcd)
have pcsc_scan || need+=(pcsc-tools)
have haproxy || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
have pgbouncer || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
[ -e /usr/include/PCSC/winscard.h ] || need+=(libpcsclite-dev)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto | grep -q CJK || need+=(fonts-noto-cjk)
have softhsm2-util || need+=(softhsm2)
have pdfsig || need+=(poppler-utils)
if ! have pg_ctl && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if have sudo; then
    as_root=(sudo -n)
  else
    echo "ensure-system-deps: missing Debian packages: ${need[*]} (run as root, or install them)" >&2
    exit 1
  fi
fi
echo "ensure-system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >/dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
