#!/bin/sh
# Starts one container process the way a kubelet and runtime would, without a runtime: the node
# agent runs this under `unshare -m --propagation private`, inside the node's network namespace
# (the pods it runs are hostNetwork), so every mount below is private to this one container.
#   container.sh <uid> <gid> <read-only-root 0|1> <mounts-file> -- <command> [args...]
# <mounts-file> lines are "<source><TAB><target>", read-only, or "<source><TAB><target><TAB>rw" for
# a writable volume (an emptyDir). /run gets a fresh tmpfs; a target elsewhere
# (say /etc/cert-issuer/ca) gets an overlay over its top-level folder whose writable layer is in
# that tmpfs, so the mount points are created there and nothing is created on the host's tree.
set -eu
uid=$1 gid=$2 read_only_root=$3 mounts=$4
shift 5

mount -t tmpfs -o mode=0755 fab-container-run /run
layers=/run/.fab-layers
overlaid=
tab=$(printf '\t')
while IFS=$tab read -r src dst mode; do
  case $dst in
    /run/*) ;;
    /*/*)
      top=/$(echo "$dst" | cut -d/ -f2)
      case " $overlaid " in *" $top "*) ;; *)
        mkdir -p "$layers$top/upper" "$layers$top/work"
        mount -t overlay "fab-container$(echo "$top" | tr / -)" -o "lowerdir=$top,upperdir=$layers$top/upper,workdir=$layers$top/work" "$top"
        overlaid="$overlaid $top"
      esac ;;
    *) echo "container.sh: cannot mount at $dst" >&2; exit 1 ;;
  esac
  if [ -d "$src" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")" && : >"$dst"; fi
  mount --bind "$src" "$dst"
  [ "$mode" = rw ] || mount -o remount,bind,ro "$dst"
done <"$mounts"
# Only this namespace's copies turn read-only (securityContext.readOnlyRootFilesystem).
if [ "$read_only_root" = 1 ]; then
  mount -o remount,bind,ro /
  for top in $overlaid; do mount -o remount,ro "$top"; done
fi

cd /
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- "$@"
