# Sourced by run.sh and test.sh: installs missing Debian packages the app or its tests need.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    case "$pkg" in
      postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql) ;;
      chromium) command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
      poppler-utils) command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils) ;;
      *) dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
    esac
  done
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing missing packages: ${missing[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
