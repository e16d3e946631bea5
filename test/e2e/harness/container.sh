#!/bin/sh
# Starts one container process the way a kubelet and runtime would, without a runtime: the node
# agent runs this under `unshare -m --propagation private`, inside the node's network namespace
# (the pods it runs are hostNetwork), so every mount below is private to this one container.
#   container.sh <uid> <gid> <read-only-root 0|1> <mounts-file> -- <command> [args...]
# <mounts-file> lines are "<source><TAB><target>"; every target is under /run, which gets a fresh
# tmpfs, so nothing is created or hidden on the host's own file system.
set -eu
uid=$1 gid=$2 read_only_root=$3 mounts=$4
shift 5

mount -t tmpfs -o mode=0755 fab-container-run /run
tab=$(printf '\t')
while IFS=$tab read -r src dst; do
  if [ -d "$src" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")" && : >"$dst"; fi
  mount --bind "$src" "$dst"
  mount -o remount,bind,ro "$dst"
done <"$mounts"
# Only this namespace's copy of the root mount turns read-only (securityContext.readOnlyRootFilesystem).
if [ "$read_only_root" = 1 ]; then mount -o remount,bind,ro /; fi

cd /
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- "$@"
