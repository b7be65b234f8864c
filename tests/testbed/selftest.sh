#!/usr/bin/env bash
# Prove the test bed by hand, without the roles: in a throwaway instance started with
# the molecule flags, trust the two signed mirrors, install docker-ce and
# nvidia-container-toolkit, lay out the WSL stand-ins, start dockerd in the background
# and run the N-body smoke test with --gpus all; then check the failure answers users
# see (no /dev/dxg, hook missing when dockerd started, no --gpus).
# Usage: tests/testbed/selftest.sh [bookworm|trixie]   (after tests/testbed/build.sh)
set -euo pipefail

codename=${1:-bookworm}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
name=tb-selftest-$codename-$$

cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

docker run -d --name "$name" --cap-add=ALL --cap-drop=SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns=host \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /var/lib/docker:exec --tmpfs /var/lib/containers:exec \
  -v "$repo/.cache/testbed:/srv/testbed:ro" -v "$repo/.cache/testbed/repos:/srv/mirror:ro" \
  "wsl-cuda-testbed:$codename" sh -c 'mount -o remount,rw /proc/sys && exec sleep infinity' >/dev/null

docker exec -i -e CODENAME="$codename" "$name" bash -euo pipefail <<'EOF'
export DEBIAN_FRONTEND=noninteractive
img=nvcr.io/nvidia/k8s/cuda-sample:nbody
step() { printf '\n=== %s\n' "$*"; }
start_dockerd() {
  setsid nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
  tail -n 20 /var/log/dockerd.log; return 1
}
stop_dockerd() {
  kill "$(cat /var/run/docker.pid)"
  while [ -e /var/run/docker.pid ]; do sleep 0.5; done
}

step "trust the mirrors (signed-by) and apt-get update"
install -d -m 0755 /etc/apt/keyrings
install -m 0644 /srv/mirror/download.docker.com/linux/debian/gpg /etc/apt/keyrings/docker.asc
install -m 0644 /srv/mirror/nvidia.github.io/libnvidia-container/gpgkey \
  /etc/apt/keyrings/nvidia-container-toolkit.asc
echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] file:///srv/mirror/download.docker.com/linux/debian $CODENAME stable" \
  >/etc/apt/sources.list.d/docker.list
echo 'deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit.asc] file:///srv/mirror/nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /' \
  >/etc/apt/sources.list.d/nvidia-container-toolkit.list
apt-get update -q 2>&1 | tee /tmp/update.log | grep -E 'srv/mirror|^[WE]:' || true
! grep -qE '^[WE]:' /tmp/update.log

step "install docker-ce and nvidia-container-toolkit"
apt-get install -y -q docker-ce docker-ce-cli containerd.io docker-buildx-plugin \
  docker-compose-plugin nvidia-container-toolkit >/tmp/install.log 2>&1 || { tail -30 /tmp/install.log; exit 1; }
dpkg-query -W docker-ce docker-ce-cli containerd.io nvidia-container-toolkit \
  nvidia-container-toolkit-base libnvidia-container-tools libnvidia-container1

step "the toolkit's binaries are the ones built from its source, reporting the package's version"
nvidia-ctk --version | tee /tmp/ctk.log
grep -qx 'NVIDIA Container Toolkit CLI version 1.18.0' /tmp/ctk.log
nvidia-container-runtime-hook -version | grep -qx 'NVIDIA Container Runtime Hook version 1.18.0'
grep -q '^mode = "auto"' /etc/nvidia-container-runtime/config.toml

step "WSL stand-ins (what tests/testbed/prepare-wsl.yml lays out)"
store=/usr/lib/wsl/drivers/nv_dispi.inf_amd64_8f2a4b3c9d1e6f07
install -d /usr/lib/wsl/lib "$store"
cp -a /srv/testbed/standins/. /usr/lib/wsl/lib/ && rm -f /usr/lib/wsl/lib/.recipe
cp -a /srv/testbed/driver-store/. "$store/"
echo /usr/lib/wsl/lib >/etc/ld.so.conf.d/ld.wsl.conf
ldconfig 2>/dev/null

step "no /dev/dxg: the real nvidia-ctk finds no adapter"
if nvidia-ctk cdi generate --mode=wsl --output=/tmp/nodxg.yaml >/tmp/gen.log 2>&1; then exit 1; fi
tail -n 1 /tmp/gen.log
grep -q 'no driver store paths found' /tmp/gen.log
mknod -m 0666 /dev/dxg c 10 63

step "the real nvidia-ctk cdi generate --mode=wsl reads the stand-in driver store"
nvidia-ctk cdi generate --mode=wsl --output=/etc/cdi/nvidia.yaml 2>&1 | grep -E 'driver store|Generated'
grep -q "hostPath: $store/libcuda.so.1.1" /etc/cdi/nvidia.yaml
grep -q 'hostPath: /usr/lib/wsl/lib/libdxcore.so' /etc/cdi/nvidia.yaml
grep -q 'path: /dev/dxg' /etc/cdi/nvidia.yaml
nvidia-ctk cdi list 2>/dev/null | tee /tmp/list.log
grep -qx 'nvidia.com/gpu=all' /tmp/list.log

step "dockerd in the background, N-body with --gpus all (the hook, legacy mode)"
start_dockerd
docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}'
docker load -i /srv/testbed/nbody-image.tar
docker run --rm --gpus all "$img" nbody -gpu -benchmark | tee /tmp/nbody.log
grep -q 'single-precision GFLOP/s at 20 flops per interaction' /tmp/nbody.log
grep -qF '> Compute 8.6 CUDA device: [NVIDIA GeForce RTX 3070 Laptop GPU]' /tmp/nbody.log
docker run --rm --gpus all "$img" sh -c "test -c /dev/dxg && ls $store/libcuda.so.1.1 /usr/lib/wsl/lib/libdxcore.so && nvidia-smi -L"
test "$(docker run --rm --gpus all "$img" readlink -f "$store/libcuda.so.1")" = "$store/libcuda.so.1.1"

step "no --gpus: the sample finds no libcuda.so.1 and no device"
if docker run --rm "$img" nbody -gpu -benchmark >/tmp/nogpu.log 2>&1; then exit 1; fi
tail -n 1 /tmp/nogpu.log
grep -q 'Error: only 0 Devices available, 1 requested.  Exiting.' /tmp/nogpu.log

step "no /dev/dxg: nvidia-container-cli fails like the real one"
mv /dev/dxg /tmp/dxg
if docker run --rm --gpus all "$img" nbody -gpu -benchmark >/tmp/nodxg.log 2>&1; then exit 1; fi
mv /tmp/dxg /dev/dxg
cat /tmp/nodxg.log
grep -q 'WSL environment detected but no adapters were found' /tmp/nodxg.log

step "hook not on PATH when dockerd started"
stop_dockerd
mv /usr/bin/nvidia-container-runtime-hook /tmp/
start_dockerd
mv /tmp/nvidia-container-runtime-hook /usr/bin/
if docker run --rm --gpus all "$img" nbody -gpu -benchmark >/tmp/nohook.log 2>&1; then exit 1; fi
cat /tmp/nohook.log
grep -q 'could not select device driver "" with capabilities: \[\[gpu\]\]' /tmp/nohook.log

step "restarted dockerd with the nvidia runtime registered (the real runtime, auto mode: jit-cdi)"
stop_dockerd
nvidia-ctk runtime configure --runtime=docker
start_dockerd
docker info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}'
docker run --rm --runtime=nvidia "$img" nbody -gpu -benchmark | tee /tmp/runtime.log | tail -n 4
grep -qF '[NVIDIA GeForce RTX 3070 Laptop GPU]' /tmp/runtime.log
docker run --rm --runtime=nvidia "$img" sh -c "test -c /dev/dxg && ls $store/libcuda.so.1.1"
test "$(docker run --rm --runtime=nvidia "$img" readlink -f "$store/libcuda.so.1")" = "$store/libcuda.so.1.1"
if [ "$CODENAME" = trixie ]; then
  step "Docker 28 (CDI on by default): --device nvidia.com/gpu=all from the generated spec"
  docker version --format '{{.Server.Version}}' | grep -q '^28\.'
  docker run --rm --device nvidia.com/gpu=all "$img" nbody -gpu -benchmark | tee /tmp/cdi.log | tail -n 4
  grep -qF '[NVIDIA GeForce RTX 3070 Laptop GPU]' /tmp/cdi.log
  docker run --rm --device nvidia.com/gpu=all "$img" sh -c "test -c /dev/dxg && ls $store/libcuda.so.1.1 && nvidia-smi -L"
  stop_dockerd

  step "podman (trixie's) with the same CDI device"
  apt-get install -y -q podman runc >/tmp/podman.log 2>&1 || { tail -20 /tmp/podman.log; exit 1; }
  podman --version
  podman load -q -i /srv/testbed/nbody-image.tar
  podman run --rm --network=none --device nvidia.com/gpu=all "$img" nbody -gpu -benchmark | tee /tmp/podman.log | tail -n 4
  grep -qF '[NVIDIA GeForce RTX 3070 Laptop GPU]' /tmp/podman.log
  podman run --rm --network=none --device nvidia.com/gpu=all "$img" sh -c "test -c /dev/dxg && ls $store/libcuda.so.1.1"
  if podman run --rm --network=none "$img" nbody -gpu -benchmark >/tmp/podman-nogpu.log 2>&1; then exit 1; fi
  tail -n 1 /tmp/podman-nogpu.log
else
  stop_dockerd
fi

step "pinning: all four toolkit packages to 1.17.8-1, Docker to the pre-19.03 stand-in"
apt-get install -y -q --allow-downgrades nvidia-container-toolkit=1.17.8-1 \
  nvidia-container-toolkit-base=1.17.8-1 libnvidia-container-tools=1.17.8-1 \
  libnvidia-container1=1.17.8-1 >/tmp/pin.log 2>&1 || { tail -20 /tmp/pin.log; exit 1; }
nvidia-ctk --version | head -n 1 | grep -x 'NVIDIA Container Toolkit CLI version 1.17.8'
old=$(apt-cache madison docker-ce | awk '$3 ~ /^5:18\.09/ { print $3; exit }')
apt-get install -y -q --allow-downgrades "docker-ce=$old" "docker-ce-cli=$old" >/tmp/pin.log 2>&1 ||
  { tail -20 /tmp/pin.log; exit 1; }
start_dockerd
docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}'
docker version --format '{{.Server.Version}}' | grep -qx 18.09.9
stop_dockerd
echo "selftest $CODENAME: OK"
EOF
