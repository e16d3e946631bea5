#!/bin/sh
# Builds the assets server's content from a folder of charts, as assets-image/Dockerfile does and
# as the e2e suite builds what its assets server serves:
#   CHARTS/<repo>/<chart>/      a chart's source (Chart.yaml), packaged at the version it names
#   CHARTS/<repo>/<chart>.tgz   a chart packaged already, copied as it is
# into OUT/repos/<repo>/, then indexes each repository without --url, so that the chart URLs in
# index.yaml are relative to it and resolve under the pod proxy path. A chart packaged earlier into
# OUT stays in the index beside a new version.
# Usage: build-repos.sh CHARTS OUT   (needs helm on PATH, or HELM set to it)
set -eu
charts=$1
out=$2
helm=${HELM:-helm}
found=0
for repo in "$charts"/*/; do
  [ -d "$repo" ] || continue
  name=$(basename "$repo")
  mkdir -p "$out/repos/$name"
  for chart in "$repo"*; do
    if [ -f "$chart/Chart.yaml" ]; then
      "$helm" package "$chart" -d "$out/repos/$name" >/dev/null
    elif [ "${chart%.tgz}" != "$chart" ]; then
      cp "$chart" "$out/repos/$name/"
    fi
  done
  "$helm" repo index "$out/repos/$name"
  echo "build-repos: $out/repos/$name/index.yaml"
  found=$((found + 1))
done
[ "$found" -gt 0 ] || { echo "build-repos: no repository folders in $charts (want $charts/<repo>/<chart>/)" >&2; exit 2; }
