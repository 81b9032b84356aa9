#!/usr/bin/env bash
# The installed binary works on its own: `cmake --install` (as ./dev install and
# deploy/Dockerfile run it) into a staging prefix (DESTDIR), then, from there, check-rules
# must use the installed regimes and the demo must run. Where the kernel allows an unprivileged
# mount namespace (unshare -rm), the source and build trees are hidden behind empty tmpfs
# mounts while it runs, so a path into them compiled into the binary would fail the test.
#   install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$(realpath "$1")
build=$(realpath "$2")
stage=$(mktemp -d /tmp/fristvagt-install-XXXXXX)
trap 'rm -rf "$stage"' EXIT

DESTDIR="$stage" cmake --install "$build" --prefix /usr/local >/dev/null
bin="$stage/usr/local/bin/fristvagt"
for f in "$bin" "$stage/usr/local/share/fristvagt/regimes/lab2026.toml" \
         "$stage/usr/local/share/doc/fristvagt/README.md" \
         "$stage/usr/local/share/doc/fristvagt/examples/fristvagt.toml"; do
  [ -e "$f" ] || { echo "FAIL: not installed: ${f#"$stage"}"; exit 1; }
done

cd "$stage"
unset FRISTVAGT_RULES
out=$("$bin" check-rules)
echo "$out"
case "$out" in
  "$stage/usr/local/share/fristvagt/regimes"*) ;;
  *) echo "FAIL: check-rules did not use the installed regimes"; exit 1 ;;
esac

run_isolated() {
  if unshare -rm true 2>/dev/null; then
    echo "(source and build trees hidden by unshare -rm)"
    # The build tree first: it may lie inside the source tree.
    unshare -rm sh -c 'mount -t tmpfs none "$2" && mount -t tmpfs none "$1" && shift 2 && exec "$@"' \
      sh "$src" "$build" "$@"
  else
    echo "(no unprivileged mount namespace here: running without hiding the trees)"
    "$@"
  fi
}
demo_out=$(run_isolated "$bin" demo --persons 12 2>&1) || { echo "$demo_out"; echo "FAIL: demo"; exit 1; }
echo "$demo_out" | tail -3
echo "$demo_out" | grep -q "BREACH" || { echo "FAIL: the demo printed no BREACH"; exit 1; }
echo "PASS"
