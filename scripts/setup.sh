#!/usr/bin/env bash
# scripts/setup.sh - install the Debian bookworm packages riommu needs.
#
# Usage: scripts/setup.sh [--check]
#
#   (no option)  install whatever is missing (as root, or through sudo)
#   --check      only report what is missing; exit 1 if anything is, 0 if not
#
# Idempotent: when everything is present the script makes one dpkg-query call
# and exits (well under a second). Otherwise it
#   1. adds the bookworm-backports suite if no APT source provides it yet,
#      reusing the URI (and Signed-By keyring) the machine already uses for
#      bookworm -- this project never names a package mirror itself;
#   2. runs `apt-get update` once;
#   3. installs the missing bookworm packages, then the backports ones with
#      `-t bookworm-backports`.
#
# QEMU must come from backports (10.x: riscv-iommu-pci, TCG plugins); an older
# qemu-system-riscv (bookworm's 7.2) counts as missing and is upgraded.
set -euo pipefail

# Packages from the bookworm suites.
PKGS=(
    cmake ninja-build gcc g++ make
    libgtest-dev
    verilator libsystemc-dev
    python3-pytest valgrind gcovr
    gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
    chromium    # headless: tests/py/test_stats.py renders `riommu report`'s page
)
# Packages from bookworm-backports, with the minimum acceptable version.
BPO_PKGS=(qemu-system-riscv)
declare -A BPO_MIN=([qemu-system-riscv]="1:10.0")

SUITE=bookworm
BPO_SUITE=bookworm-backports
APT_DIR=${RIOMMU_APT_DIR:-/etc/apt}             # overridable for testing
BPO_FILE="$APT_DIR/sources.list.d/riommu-backports.sources"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

check_only=0
for arg in "$@"; do
    case $arg in
        --check) check_only=1 ;;
        -h|--help) sed -n '2,20{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown argument: $arg (try --help)" ;;
    esac
done

command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: this script supports Debian bookworm only"

# ---------------------------------------------------------------------------
# 1. What is missing? One dpkg-query call for all packages.
# ---------------------------------------------------------------------------
# Fills the arrays missing[] and missing_bpo[]; prints nothing unless $1 is 1.
compute_missing() {
    local verbose=${1:-0} name st ver p
    declare -A status=() version=()
    while IFS=$'\t' read -r name st ver; do
        [[ -n $name ]] || continue
        status[$name]=$st
        version[$name]=$ver
    done < <(dpkg-query -W -f='${Package}\t${Status}\t${Version}\n' \
                 "${PKGS[@]}" "${BPO_PKGS[@]}" 2>/dev/null || true)

    missing=() missing_bpo=()
    for p in "${PKGS[@]}"; do
        [[ ${status[$p]:-} == "install ok installed" ]] || missing+=("$p")
    done
    for p in "${BPO_PKGS[@]}"; do
        if [[ ${status[$p]:-} != "install ok installed" ]]; then
            missing_bpo+=("$p")
        elif ! dpkg --compare-versions "${version[$p]}" ge "${BPO_MIN[$p]}"; then
            (( verbose )) && say "$p ${version[$p]} is older than ${BPO_MIN[$p]}"
            missing_bpo+=("$p")
        fi
    done
    return 0
}

compute_missing 1
if (( ${#missing[@]} + ${#missing_bpo[@]} == 0 )); then
    say "all packages present"
    exit 0
fi

(( ${#missing[@]} ))     && say "missing: ${missing[*]}"
(( ${#missing_bpo[@]} )) && say "missing ($BPO_SUITE): ${missing_bpo[*]}"
if (( check_only )); then
    exit 1
fi

# ---------------------------------------------------------------------------
# 2. Privileges.
# ---------------------------------------------------------------------------
SUDO=()
if (( EUID != 0 )); then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
        say "not root: using sudo"
    else
        {
            say "not root and sudo is unavailable; run this script as root."
            (( ${#missing[@]} )) && say "packages to install: ${missing[*]}"
            (( ${#missing_bpo[@]} )) &&
                say "packages to install from $BPO_SUITE: ${missing_bpo[*]}"
        } >&2
        exit 1
    fi
fi

# ---------------------------------------------------------------------------
# 3. Make sure an APT source provides bookworm-backports.
# ---------------------------------------------------------------------------
# Prints one "uri<TAB>signed-by" line per enabled deb source of
# suite $1 in the deb822 files given as the remaining arguments. signed-by may
# be a keyring path or an inline key (continuation lines joined with \n).
deb822_suite_sources() {
    local suite=$1; shift
    awk -v want="$suite" '
        function flush() {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no[ \t]*$/) {
                n = split(suites, s, /[ \t]+/)
                for (i = 1; i <= n; i++) if (s[i] == want) {
                    split(uris, u, /[ \t]+/)
                    printf "%s\t%s\n", u[1], signed
                    break
                }
            }
            types = suites = uris = signed = enabled = ""; field = ""
        }
        FNR == 1   { flush() }                    # stanzas end with a file
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ {                                # continuation line
            if (field == "signed-by") {
                line = $0; sub(/^[ \t]+/, "", line)
                signed = signed "\\n" line
            }
            next
        }
        {
            field = tolower(substr($0, 1, index($0, ":") - 1))
            val = substr($0, index($0, ":") + 1)
            sub(/^[ \t]+/, "", val); sub(/[ \t]+$/, "", val)
            if (field == "types") types = val
            else if (field == "suites") suites = val
            else if (field == "uris") uris = val
            else if (field == "signed-by") signed = val
            else if (field == "enabled") enabled = val
        }
        END { flush() }
    ' "$@" 2>/dev/null
}

# Same for one-line-style sources ("deb [opts] uri suite comp...").
list_suite_sources() {
    local suite=$1; shift
    awk -v want="$suite" '
        /^[ \t]*deb[ \t]/ {
            line = $0; sub(/#.*/, "", line)
            signed = ""
            if (match(line, /\[[^]]*\]/)) {
                opts = substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
                n = split(opts, o, /[ \t]+/)
                for (i = 1; i <= n; i++)
                    if (tolower(o[i]) ~ /^signed-by=/) signed = substr(o[i], 11)
            }
            n = split(line, f, /[ \t]+/)
            # f[1] may be empty when the line is indented
            k = (f[1] == "") ? 2 : 1
            if (f[k + 2] == want) printf "%s\t%s\n", f[k + 1], signed
        }
    ' "$@" 2>/dev/null
}

all_suite_sources() {
    local suite=$1 f
    local deb822=() lists=()
    for f in "$APT_DIR"/sources.list.d/*.sources; do
        [[ -f $f ]] && deb822+=("$f")
    done
    for f in "$APT_DIR"/sources.list "$APT_DIR"/sources.list.d/*.list; do
        [[ -f $f ]] && lists+=("$f")
    done
    if (( ${#deb822[@]} )); then deb822_suite_sources "$suite" "${deb822[@]}"; fi
    if (( ${#lists[@]} )); then list_suite_sources "$suite" "${lists[@]}"; fi
    return 0
}

ensure_backports_source() {
    if [[ -n $(all_suite_sources "$BPO_SUITE") ]]; then
        say "APT source for $BPO_SUITE already configured"
        return 0
    fi
    local line uri signed
    line=$(all_suite_sources "$SUITE" | head -n 1)
    [[ -n $line ]] ||
        die "no enabled APT source for '$SUITE' found under $APT_DIR;" \
            "cannot derive a URI for $BPO_SUITE"
    IFS=$'\t' read -r uri signed <<<"$line"
    [[ -n $uri ]] || die "could not parse the URI of the '$SUITE' APT source"

    local text
    text="# Added by riommu scripts/setup.sh: $BPO_SUITE (for qemu-system-riscv),
# reusing the URI of this machine's $SUITE source.
Types: deb
URIs: $uri
Suites: $BPO_SUITE
Components: main
"
    if [[ -n $signed ]]; then
        # inline keys: continuation lines were joined with a literal \n
        signed=${signed//\\n/$'\n' }
        [[ $signed == $'\n'* ]] || signed=" $signed"
        text+="Signed-By:$signed"$'\n'
    fi
    printf '%s' "$text" | "${SUDO[@]}" tee "$BPO_FILE" >/dev/null
    say "added $BPO_SUITE source $BPO_FILE (URI $uri)"
}

if (( ${#missing_bpo[@]} )); then
    ensure_backports_source
fi

# ---------------------------------------------------------------------------
# 4. Install.
# ---------------------------------------------------------------------------
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)

say "apt-get update"
"${APT[@]}" update -qq

if (( ${#missing[@]} )); then
    say "installing: ${missing[*]}"
    "${APT[@]}" install -y -q --no-install-recommends "${missing[@]}"
fi
if (( ${#missing_bpo[@]} )); then
    say "installing from $BPO_SUITE: ${missing_bpo[*]}"
    "${APT[@]}" install -y -q --no-install-recommends -t "$BPO_SUITE" \
        "${missing_bpo[@]}"
fi

# ---------------------------------------------------------------------------
# 5. Verify.
# ---------------------------------------------------------------------------
compute_missing 1
if (( ${#missing[@]} + ${#missing_bpo[@]} )); then
    die "still missing after install: ${missing[*]} ${missing_bpo[*]}"
fi
if command -v qemu-system-riscv64 >/dev/null 2>&1; then
    say "$(qemu-system-riscv64 --version | head -n 1)"
fi
say "done"
