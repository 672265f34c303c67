# scripts/lib/common.sh — shared by scripts/test, scripts/run and scripts/bench.
# Installs what the build needs (Debian 12, as root or with sudo), idempotently.

RW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RW_PACKAGES=(build-essential cmake pkg-config libssl-dev liburing-dev libprotobuf-c-dev
             protobuf-c-compiler libcriterion-dev libsqlite3-dev openssl libarchive-dev
             sqlite3)  # the CLI: e2e_bench_smoke reads the store with it

rw_install_deps() {
  local missing=() p
  for p in "${RW_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# rw_build DIR BUILD_TYPE [cmake args...]
rw_build() {
  local dir="$1" type="$2"
  shift 2
  cmake -S "$RW_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@"
  cmake --build "$dir" -j"$(nproc)"
}
