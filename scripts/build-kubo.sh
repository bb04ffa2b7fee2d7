#!/usr/bin/env bash
# Builds the Kubo IPFS daemon from the Go module proxy at a pinned version into
# ~/.cache/cmu/bin/ipfs-$KUBO_VERSION (no prebuilt binary can be downloaded here).
# Idempotent: prints the binary's path and exits at once when it already exists.
#
# Kubo v0.43.1's go.mod replaces go-libp2p with a fork that the module proxy does not serve
# (403); its own comment says the fork only waits for a go-libp2p release requiring
# quic-go >= v0.62.0 and webtransport-go >= v0.13.0, which go-libp2p v0.50.0 is. So Kubo is
# built from a tiny wrapper module (ours, so Kubo's replace does not apply) that pins
# go-libp2p v0.50.0. Cold: about 6 minutes on 2 cores.
source "$(dirname "$0")/common.sh"

GO_LIBP2P_VERSION="v0.50.0"
out="$CMU_BIN/ipfs-$KUBO_VERSION"
if [ -x "$out" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || die "Go is not installed (Kubo $KUBO_VERSION needs Go >= 1.26.5): install it from https://go.dev/dl or Debian backports"
need_go="1.26.5"
have_go="$(go env GOVERSION | sed 's/^go//')"
[ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" = "$need_go" ] \
  || die "Go $have_go is too old for Kubo $KUBO_VERSION (needs >= $need_go)"

exec 9>"$CMU_CACHE/.kubo-build.lock"
flock 9
if [ -x "$out" ]; then echo "$out"; exit 0; fi   # built by a concurrent run

work="$CMU_CACHE/kubo-build"
rm -rf "$work"
mkdir -p "$work"
cat > "$work/go.mod" <<EOF
module cmu.local/kubo-build

go $need_go

require github.com/ipfs/kubo $KUBO_VERSION

// Kubo's own replace points at a fork the module proxy does not serve; see build-kubo.sh.
replace github.com/libp2p/go-libp2p => github.com/libp2p/go-libp2p $GO_LIBP2P_VERSION

// Same excludes as Kubo's go.mod: ancient +incompatible versions that break resolution.
exclude (
	github.com/ipfs/go-ipfs-cmds v2.0.1+incompatible
	github.com/libp2p/go-libp2p v6.0.23+incompatible
)
EOF
# Keeps github.com/ipfs/kubo/cmd/ipfs in the module graph for `go mod tidy`.
printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/ipfs/kubo/cmd/ipfs"\n' > "$work/tools.go"

log "building Kubo $KUBO_VERSION (go-libp2p $GO_LIBP2P_VERSION) from the Go module proxy; cold: ~6 min"
start=$SECONDS
( cd "$work" && go mod tidy && go build -trimpath -o "$out.tmp" github.com/ipfs/kubo/cmd/ipfs )
"$out.tmp" version | grep -q "${KUBO_VERSION#v}" || die "the built ipfs does not report version $KUBO_VERSION"
mv "$out.tmp" "$out"
log "Kubo built in $((SECONDS - start)) s: $out"
echo "$out"
