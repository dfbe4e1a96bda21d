#!/usr/bin/env bash
# Runs the serving image without a container engine: lays out the image's filesystem from deploy/Dockerfile's COPY
# lines in a temp dir, then starts the Dockerfile's exact ENTRYPOINT + CMD (with its ENV, WORKDIR and USER) in a
# private mount namespace where / is read-only, /opt/infer4j is the laid-out image content (read-only), /mnt/models
# is a read-only model store volume and /tmp is the only writable place (the emptyDir of deploy/k8s/deployment.yaml).
# It then checks GET /ping (timing the cold start), a prediction through the model store volume, the KServe v2
# readiness route and the infer4j_queue_depth metric the HPA scales on, that the root filesystem really refused a
# write, and that SIGTERM drains and exits 0.
#   mvn -B -DskipTests package && sudo deploy/image-check.sh          (needs root: unshare -m, mount, setpriv)
# Ports: PORT (default 18420), PORT+1, PORT+2 instead of 8080-8082 (a ConfigMap-style config override; the image's
# own config.properties is what deploy/k8s mounts by default).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dockerfile="$repo/deploy/Dockerfile"
port="${PORT:-18420}"
[ "$(id -u)" = 0 ] || { echo "image-check: needs root (mount namespace, setpriv)" >&2; exit 2; }
[ -f "$repo/cli/target/infer4j.jar" ] || { echo "image-check: build first: mvn -B -DskipTests package" >&2; exit 2; }
java_bin="$(dirname "$(readlink -f "$(command -v java)")")"

work="$(mktemp -d /tmp/infer4j-image-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"

# 1. the image's files, from the Dockerfile's COPY lines (source relative to the repo, as with `docker build .`)
while read -r _ src dst; do
  mkdir -p "$root$(dirname "$dst")"
  if [ -d "$repo/$src" ]; then mkdir -p "$root$dst" && cp -a "$repo/$src/." "$root$dst"; else cp -a "$repo/$src" "$root$dst"; fi
done < <(grep -E '^COPY ' "$dockerfile")
env_line="$(grep -E '^ENV ' "$dockerfile" | sed 's/^ENV //')"
workdir="$(grep -E '^WORKDIR ' "$dockerfile" | awk '{print $2}')"
user="$(grep -E '^USER ' "$dockerfile" | awk '{print $2}')"
eval "entry=($(grep -E '^ENTRYPOINT ' "$dockerfile" | sed -e 's/^ENTRYPOINT \[//' -e 's/\]$//' | tr ',' ' '))"
eval "cmd=($(grep -E '^CMD ' "$dockerfile" | sed -e 's/^CMD \[//' -e 's/\]$//' | tr ',' ' '))"
echo "image layout: $(cd "$root" && find . -maxdepth 3 | sort | tr '\n' ' ' | cut -c1-400)"
echo "entrypoint (as user $user, in $workdir, env $env_line): ${entry[*]} ${cmd[*]:-}"

# 2. the volumes: a model store holding a pair head file, and a config override moving the ports into our range
store="$work/models"
mkdir -p "$store"
unzip -p "$repo/engine/target/infer4j-engine-0.1.0-SNAPSHOT.jar" ai/infer4j/engine/heads/duplicate.json > "$store/products.json" 2>/dev/null \
  || cp "$repo/engine/src/main/resources/ai/infer4j/engine/heads/duplicate.json" "$store/products.json"
conf="$work/config.properties"
sed -e "s#0.0.0.0:8080#127.0.0.1:$port#" -e "s#0.0.0.0:8081#127.0.0.1:$((port + 1))#" -e "s#0.0.0.0:8082#127.0.0.1:$((port + 2))#" \
    -e 's#^load_models=.*#load_models=intent=intent,products=products.json#' "$root/opt/infer4j/conf/config.properties" > "$conf"
chmod -R a+rX "$work"

# 3. run it read-only in a private mount namespace
cat > "$work/inside.sh" <<INSIDE
set -euo pipefail
mount --make-rprivate /
mount -t tmpfs -o mode=755 image-opt /opt && mkdir -p /opt/infer4j && mount --bind "$root/opt/infer4j" /opt/infer4j
mount --bind "$conf" /opt/infer4j/conf/config.properties
mount -t tmpfs -o mode=755 image-mnt /mnt && mkdir -p /mnt/models && mount --bind "$store" /mnt/models
mount -t tmpfs -o mode=1777 emptydir /tmp
for m in /opt/infer4j/conf/config.properties /opt/infer4j /mnt/models; do mount -o remount,bind,ro "\$m"; done
mount -o remount,ro /opt; mount -o remount,ro /mnt
mount -o remount,bind,ro /
cd "$workdir"
uid="\${1%%:*}"; gid="\${1##*:}"; shift
if setpriv --reuid="\$uid" --regid="\$gid" --clear-groups touch /opt/infer4j/probe /probe 2>/dev/null; then
  echo "FAIL: the root filesystem took a write"; exit 1
fi
echo "read-only check: writes to / and /opt/infer4j refused"
t0=\$(date +%s%N)
setpriv --reuid="\$uid" --regid="\$gid" --clear-groups env -i PATH="$java_bin:/usr/bin:/bin" $env_line "\$@" &
pid=\$!
for i in \$(seq 1 900); do
  if curl -sf "http://127.0.0.1:$port/ping" > /dev/null; then break; fi
  kill -0 \$pid 2>/dev/null || { echo "FAIL: server exited during start"; exit 1; }
  sleep 0.2
done
echo "cold start: /ping answered 200 after \$(( (\$(date +%s%N) - t0) / 1000000 )) ms"
curl -sf "http://127.0.0.1:$port/predictions/intent" -H 'Content-Type: application/json' -d '{"text":"what is the weather in paris"}'; echo
curl -sf "http://127.0.0.1:$port/predictions/products" -H 'Content-Type: application/json' \
  -d '{"left":{"title":"canon lp200 laser printer"},"right":{"title":"canon laser printer lp200"}}'; echo
curl -sf -o /dev/null -w 'v2 ready: %{http_code}\n' "http://127.0.0.1:$port/v2/health/ready"
curl -sf "http://127.0.0.1:$((port + 2))/metrics" | grep -m1 '^infer4j_queue_depth' || { echo "FAIL: no infer4j_queue_depth metric"; exit 1; }
s0=\$(date +%s%N)
kill -TERM \$pid
set +e; wait \$pid; rc=\$?; set -e
echo "SIGTERM: exit code \$rc after \$(( (\$(date +%s%N) - s0) / 1000000 )) ms"
[ \$rc = 0 ] || { echo "FAIL: exit code \$rc"; exit 1; }
echo "image-check: OK"
INSIDE
unshare --mount --propagation private bash "$work/inside.sh" "$user" "${entry[@]}" ${cmd[@]+"${cmd[@]}"}
