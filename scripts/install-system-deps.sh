#!/usr/bin/env bash
# Debian packages that `make test` needs (README.md, "Two commands", names each of them):
#   chromium, chromium-driver  headless Chromium and its driver for the browser tests
#   postgresql                 a PostgreSQL server for the run-history test on a real database
#   libpango-1.0-0, libpangoft2-1.0-0, fonts-dejavu-core
#                              Pango and a font for WeasyPrint, which renders the PDF report
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# a PostgreSQL server for the run-history test against a real database
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
# the PDF report (WeasyPrint): Pango, and a font to set the text in
have_lib 'libpango-1.0.so.0' || need+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || need+=(libpangoft2-1.0-0)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing Debian packages: ${need[*]}" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
