#!/usr/bin/env bash
# The seed's manual procedure (the 2020 CUDA-on-WSL article, with Docker's and NVIDIA's current
# repository steps), as a person would paste it into a fresh distro. Adapted only to the test bed's
# mirrors: file:// URLs instead of download.docker.com and nvidia.github.io, the keys copied from
# the mirror instead of curl (the fresh distro has no curl), the N-body image loaded from a tarball
# instead of pulled. No fingerprint check, no idempotence, no preflight: that is what it is compared with.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
mirror=file:///srv/mirror
# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
arch=$(dpkg --print-architecture)

# Docker Engine from Docker's repository.
install -m 0755 -d /etc/apt/keyrings
cp /srv/mirror/download.docker.com/linux/debian/gpg /etc/apt/keyrings/docker.asc
echo "deb [arch=$arch signed-by=/etc/apt/keyrings/docker.asc] $mirror/download.docker.com/linux/debian $codename stable" \
  >/etc/apt/sources.list.d/docker.list
apt-get update -qq
apt-get install -y -qq docker-ce docker-ce-cli containerd.io >/dev/null

# NVIDIA's repository and the Container Toolkit.
cp /srv/mirror/nvidia.github.io/libnvidia-container/gpgkey /etc/apt/keyrings/nvidia-container-toolkit.asc
echo "deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit.asc] $mirror/nvidia.github.io/libnvidia-container/stable/deb/\$(ARCH) /" \
  >/etc/apt/sources.list.d/nvidia-container-toolkit.list
apt-get update -qq
apt-get install -y -qq nvidia-container-toolkit >/dev/null
nvidia-ctk runtime configure --runtime=docker

# dockerd without systemd, as in WSL; the nf_tables backend fails in this kernel, as on many WSL kernels.
if ! iptables -t nat -L -n >/dev/null 2>&1; then
  update-alternatives --set iptables /usr/sbin/iptables-legacy
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy
fi
nohup dockerd >/var/log/dockerd.log 2>&1 &
for _try in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done

# The smoke test.
docker load -q -i /srv/testbed/nbody-image.tar >/dev/null
docker run --rm --gpus all nvcr.io/nvidia/k8s/cuda-sample:nbody nbody -gpu -benchmark
