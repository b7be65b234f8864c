#!/usr/bin/env bash
# Build the molecule test bed under .cache/testbed/ (see CONTRIBUTING.md, "Test bed"):
#   images wsl-cuda-testbed:{bookworm,trixie}  debootstrap minbase + python3, `docker import`
#   repos/download.docker.com/linux/debian     signed stand-in of Docker's apt repository
#   repos/nvidia.github.io/libnvidia-container signed stand-in of NVIDIA's (stable, experimental)
#   repos/{docker,nvidia,wrong}.fingerprint    primary-key fingerprints (40 upper-case hex)
#   standins/                                  WSL stand-ins (tests/fixtures/wsl/build.sh)
#   nbody-image.tar                            `docker save` of nvcr.io/nvidia/k8s/cuda-sample:nbody
# Every part carries a hash of its recipe and inputs and is rebuilt only when that changes,
# so a second run takes seconds. TESTBED_REBUILD=1 rebuilds everything.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$repo/.cache/testbed
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
codenames=(bookworm trixie)
label=org.wsl-cuda.testbed.recipe
keys=  # the throwaway keys' armored exports, set by repos()

# What a fresh Debian WSL distro has that minbase lacks (sudo: WSL's first user is a
# sudoer, and the site play becomes root through it), and python3 for Ansible. Nothing
# else: the roles must bring what they use (docker's dependencies come from Debian's
# mirror at converge time).
base_packages=python3,sudo

# Docker's version scheme; the newest is what the roles get unpinned, the second tests
# pinning, the third is older than 19.03 (what `--gpus` needs). All carry Debian's
# docker.io binaries; the CLI of the two fake ones answers with their version number.
docker_versions=(20.10.24 20.10.23 18.09.9)
containerd_version=1.7.27-1
buildx_version=0.10.5
compose_version=2.18.1

nvidia_stable=(1.17.8-1 1.18.0-1 1.20.0-1)
nvidia_experimental=(1.17.8-1 1.18.0-1 1.19.0~rc.1-1 1.20.0-1)
nvidia_docker2_version=2.14.0-1

# The toolkit's source: a `git archive` of NVIDIA/nvidia-container-toolkit v1.20.0 with its
# Go modules vendored (../shared/vendor/README.md). Every package version above is built
# from it, each reporting its own version (-X internal/info.version, as upstream's Makefile).
# Its sha256 is pinned here: the build checks the tarball against it, and the cache is keyed
# by it, so a checkout without ../shared (a CI clone elsewhere) still finds the built image.
toolkit_tarball=${TOOLKIT_TARBALL:-$repo/../shared/vendor/nvidia-container-toolkit-1.20.0.tar.gz}
toolkit_sha256=${TOOLKIT_SHA256:-b16ce83597fe3d477b220bd743a341c79fc98ff794be6299e72d3a4802ab1137}
toolkit_source=nvidia-container-toolkit-1.20.0
toolkit_commit=5505e2f94d9aaa08561490db974ba3cd676af209
toolkit_commands=(nvidia-ctk nvidia-container-runtime nvidia-container-runtime-hook nvidia-cdi-hook
  nvidia-container-runtime.cdi nvidia-container-runtime.legacy)
# Go 1.25+ (go.mod): Debian sid's, in the bookworm image (binaries then need glibc 2.36 only).
toolkit_go=golang-1.26-go
# The units from deployments/systemd exist since toolkit 1.18.0: older packages lack them.
toolkit_units_since=1.18.0

say() { printf '[testbed] %s\n' "$*"; }

# timed NAME COMMAND...: run a step and say how long it took.
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  say "$name: $((SECONDS - start))s"
}

hash_of() { sha256sum | cut -c1-16; }

# recipe_hash NAME... [-- FILE...]: hash of the named functions' source and variables'
# values, and of the files' contents, so a change to any of them is a new recipe.
recipe_hash() {
  local files=()
  {
    while (($#)) && [[ $1 != -- ]]; do
      if declare -F "$1" >/dev/null; then declare -f "$1"; else declare -p "$1"; fi
      shift
    done
    if (($#)); then
      shift
      files=("$@")
      (cd "$repo" && sha256sum "${files[@]}")
    fi
  } | hash_of
}

stamp_ok() { [[ -z ${TESTBED_REBUILD:-} && -f $1 && $(cat "$1") == "$2" ]]; }

image_label() {
  docker image inspect -f "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------- base images

# An older debootstrap (e.g. on an Ubuntu CI host) may not know a newer codename; Debian's
# newer suites all bootstrap with the sid script. Kept out of the recipe hash: it does not
# change what is built.
debootstrap_script() {
  [[ -e /usr/share/debootstrap/scripts/$1 ]] || echo /usr/share/debootstrap/scripts/sid
}

build_base_rootfs() {
  local codename=$1 rootfs=$2
  rm -rf "$rootfs"
  # shellcheck disable=SC2046 # the optional script argument is one path or nothing
  debootstrap --variant=minbase --include="$base_packages" "$codename" "$rootfs" "$mirror" \
    $(debootstrap_script "$codename")
  # The sources a fresh Debian WSL distro comes with.
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb http://deb.debian.org/debian $codename main
deb http://deb.debian.org/debian $codename-updates main
deb http://deb.debian.org/debian-security $codename-security main
EOF
  # A fresh distro has no package lists yet: the roles must run `apt-get update`.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/bootstrap.log
  : >"$rootfs/etc/hostname"
}

import_rootfs() {
  local rootfs=$1 tag=$2 hash=$3
  tar -C "$rootfs" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' \
    --exclude='./sys/*' -cf - . |
    docker import --change "LABEL $label=$hash" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
}

base_images() {
  local codename hash rootfs pids=() names=() i failed=0
  for codename in "${codenames[@]}"; do
    hash=$( (echo "$codename"; recipe_hash base_packages build_base_rootfs import_rootfs) | hash_of)
    if [[ -z ${TESTBED_REBUILD:-} && $(image_label "wsl-cuda-testbed:$codename") == "$hash" ]]; then
      say "image wsl-cuda-testbed:$codename is up to date ($hash)"
      continue
    fi
    rootfs=$out/rootfs-$codename
    say "debootstrap $codename (log: $out/debootstrap-$codename.log)"
    # The two debootstraps mostly wait on the network: run them side by side.
    (
      start=$SECONDS
      build_base_rootfs "$codename" "$rootfs" >"$out/debootstrap-$codename.log" 2>&1
      import_rootfs "$rootfs" "wsl-cuda-testbed:$codename" "$hash"
      rm -rf "$rootfs"
      say "image wsl-cuda-testbed:$codename built in $((SECONDS - start))s"
    ) &
    pids+=($!)
    names+=("$codename")
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      say "building wsl-cuda-testbed:${names[$i]} failed; last lines of its log:"
      tail -n 20 "$out/debootstrap-${names[$i]}.log" >&2 || true
      failed=1
    fi
  done
  return "$failed"
}

# ---------------------------------------------------------------- WSL stand-ins

standins() {
  local src=tests/fixtures/wsl hash files
  if [[ ! -x $repo/$src/build.sh ]]; then
    say "missing $src/build.sh (the WSL stand-in sources)" >&2
    return 1
  fi
  mapfile -t files < <(cd "$repo" && find "$src" -type f | sort)
  hash=$(recipe_hash standins -- "${files[@]}")
  if stamp_ok "$out/standins/.recipe" "$hash" && [[ -d $out/driver-store ]]; then
    say "standins/ is up to date ($hash)"
    return 0
  fi
  rm -rf "$out/standins" "$out/driver-store"
  "$repo/$src/build.sh" --driver-store "$out/driver-store" "$out/standins"
  chmod -R a+rX "$out/standins" "$out/driver-store"
  echo "$hash" >"$out/standins/.recipe"
}

# ---------------------------------------------------------------- NVIDIA Container Toolkit

# The build, run inside wsl-cuda-testbed:bookworm with the tarball at /src.tar.gz; the
# binaries go to /out/<package version>/, then as a tar to stdout. sid's Release file may
# be past its Valid-Until on the mirror, hence Check-Valid-Until=false for this container.
toolkit_build_script() {
  cat <<SCRIPT
set -euo pipefail
exec 3>&1 1>&2
echo 'deb $mirror sid main' >/etc/apt/sources.list.d/sid.list
printf 'Package: *\nPin: release n=sid\nPin-Priority: 100\n' >/etc/apt/preferences.d/sid
apt-get -o Acquire::Check-Valid-Until=false update -qq
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null
apt-get install -y -qq --no-install-recommends -t sid $toolkit_go >/dev/null
export PATH=/usr/lib/go-1.26/bin:\$PATH GOTOOLCHAIN=local GOFLAGS=-mod=vendor CGO_ENABLED=1
export CGO_CFLAGS='-O2 -Wno-deprecated-declarations' GOCACHE=/tmp/gocache
go version
mkdir -p /build && tar -C /build -xzf /src.tar.gz && cd /build/$toolkit_source
info=github.com/NVIDIA/nvidia-container-toolkit/internal/info
for v in ${nvidia_experimental[*]}; do
  u=\${v%-*}
  cli=\${u/\~/-}  # upstream's CLI_VERSION: 1.19.0~rc.1 -> 1.19.0-rc.1
  mkdir -p /out/\$v
  start=\$SECONDS
  go build -ldflags "-s -w '-extldflags=-Wl,--export-dynamic -Wl,--unresolved-symbols=ignore-in-object-files -Wl,-z,lazy' -X \$info.gitCommit=$toolkit_commit -X \$info.version=\$cli" \\
    -o /out/\$v/ $(printf './cmd/%s ' "${toolkit_commands[@]}")
  /out/\$v/nvidia-ctk config default >/out/\$v/config.toml
  /out/\$v/nvidia-ctk --version
  echo "built \$v in \$((SECONDS - start))s"
done
tar -C /out -cf - . >&3
SCRIPT
}

# The binaries, with the source's deployments/systemd, packaging/debian and LICENSE, are
# kept in a docker image labelled with the tarball's pinned sha256 and the recipe's hash
# (images outlive a clone's .cache, so CI's fresh clone does not rebuild), and copied out
# of it into $out/toolkit/.
toolkit_binaries() {
  local hash tag=wsl-cuda-testbed-toolkit c start=$SECONDS
  hash=$( (echo "$toolkit_sha256"; recipe_hash mirror toolkit_source toolkit_commit toolkit_commands \
    toolkit_go nvidia_experimental toolkit_build_script toolkit_binaries) | hash_of)
  if stamp_ok "$out/toolkit/.recipe" "$hash" && [[ $(image_label "$tag:$hash") == "$hash" ]]; then
    say "toolkit/ is up to date ($hash)"
    return 0
  fi
  if [[ -n ${TESTBED_REBUILD:-} || $(image_label "$tag:$hash") != "$hash" ]]; then
    if [[ ! -f $toolkit_tarball ]]; then
      say "missing $toolkit_tarball (the toolkit's source, see ../shared/vendor/README.md; TOOLKIT_TARBALL names another place)" >&2
      return 1
    fi
    if [[ $(sha256sum "$toolkit_tarball" | cut -d' ' -f1) != "$toolkit_sha256" ]]; then
      say "$toolkit_tarball is not the pinned source (sha256 $toolkit_sha256)" >&2
      return 1
    fi
    say "building the NVIDIA Container Toolkit from ${toolkit_tarball##*/} (log: $out/toolkit-build.log)"
    if ! docker run --rm -i -v "$toolkit_tarball:/src.tar.gz:ro" wsl-cuda-testbed:bookworm \
      bash -c "$(toolkit_build_script)" >"$out/toolkit-bin.tar" 2>"$out/toolkit-build.log" </dev/null; then
      say "the toolkit build failed; last lines of its log:" >&2
      tail -n 20 "$out/toolkit-build.log" >&2
      return 1
    fi
    # The source's systemd units, Debian packaging and licence travel in the image too.
    mkdir -p "$out/toolkit-src"
    tar -C "$out/toolkit-src" -xzf "$toolkit_tarball" --strip-components=1 \
      "$toolkit_source/deployments/systemd" "$toolkit_source/packaging/debian" "$toolkit_source/LICENSE"
    tar -C "$out/toolkit-src" -rf "$out/toolkit-bin.tar" deployments packaging LICENSE
    rm -rf "$out/toolkit-src"
    docker import --change "LABEL $label=$hash" --change 'CMD ["/nvidia-ctk"]' \
      "$out/toolkit-bin.tar" "$tag:$hash" >/dev/null
    rm -f "$out/toolkit-bin.tar"
    say "toolkit built in $((SECONDS - start))s ($(grep '^built ' "$out/toolkit-build.log" | tr '\n' ' '))"
  else
    say "image $tag:$hash holds the toolkit binaries; copying them out"
  fi
  rm -rf "$out/toolkit"
  mkdir -p "$out/toolkit"
  c=$(docker create "$tag:$hash")
  docker cp "$c:/." "$out/toolkit/" >/dev/null
  docker rm "$c" >/dev/null
  rm -rf "$out/toolkit/.dockerenv" "$out/toolkit/dev" "$out/toolkit/proc" "$out/toolkit/sys" \
    "$out/toolkit/etc"
  echo "$hash" >"$out/toolkit/.recipe"
}

# ---------------------------------------------------------------- downloads

# Debian's own docker.io, fetched inside the bookworm image so that the host's
# distribution (Debian or Ubuntu, any release) does not matter.
download_docker_io() {
  local dl=$out/downloads
  if compgen -G "$dl/docker.io_*_amd64.deb" >/dev/null &&
    compgen -G "$dl/busybox-static_*_amd64.deb" >/dev/null; then
    say "downloads/ has $(cd "$dl" && echo docker.io_*_amd64.deb busybox-static_*_amd64.deb)"
    return 0
  fi
  mkdir -p "$dl"
  docker run --rm -v "$dl:/dl" wsl-cuda-testbed:bookworm sh -c \
    'apt-get update -qq && cd /dl && apt-get download -qq docker.io busybox-static 2>&1 | grep -v unsandboxed || true'
  compgen -G "$dl/docker.io_*_amd64.deb" >/dev/null
  compgen -G "$dl/busybox-static_*_amd64.deb" >/dev/null
}

# Debian sid's docker.io and docker-cli (Docker 28.x), for the trixie repository. Fetched in
# the bookworm image with sid's source pinned low (its Release may be past Valid-Until on
# the mirror), and kept in an image labelled with the recipe's hash, like the toolkit, so a
# fresh clone copies them out instead of downloading again.
download_docker_sid() {
  local dl=$out/downloads/sid tag=wsl-cuda-testbed-downloads hash c
  hash=$(recipe_hash mirror download_docker_sid)
  if stamp_ok "$dl/.recipe" "$hash" && compgen -G "$dl/docker.io_*_amd64.deb" >/dev/null; then
    say "downloads/sid has $(cd "$dl" && echo docker.io_*_amd64.deb docker-cli_*_amd64.deb)"
    return 0
  fi
  rm -rf "$dl" && mkdir -p "$dl"
  if [[ -n ${TESTBED_REBUILD:-} || $(image_label "$tag:$hash") != "$hash" ]]; then
    docker run --rm wsl-cuda-testbed:bookworm bash -c "set -e
      echo 'deb $mirror sid main' >/etc/apt/sources.list.d/sid.list
      printf 'Package: *\nPin: release n=sid\nPin-Priority: 100\n' >/etc/apt/preferences.d/sid
      apt-get -o Acquire::Check-Valid-Until=false update -qq
      mkdir /dl && cd /dl && apt-get download -qq -t sid docker.io docker-cli 2>&1 | grep -v unsandboxed >&2 || true
      tar -cf - ." >"$out/sid-debs.tar" </dev/null
    docker import --change "LABEL $label=$hash" --change 'CMD ["/none"]' "$out/sid-debs.tar" \
      "$tag:$hash" >/dev/null
    rm -f "$out/sid-debs.tar"
  fi
  c=$(docker create "$tag:$hash")
  docker cp "$c:/." "$dl/" >/dev/null
  docker rm "$c" >/dev/null
  rm -rf "${dl:?}/.dockerenv" "${dl:?}/dev" "${dl:?}/proc" "${dl:?}/sys" "${dl:?}/etc"
  compgen -G "$dl/docker.io_*_amd64.deb" >/dev/null
  compgen -G "$dl/docker-cli_*_amd64.deb" >/dev/null
  echo "$hash" >"$dl/.recipe"
}

# ---------------------------------------------------------------- signed repos

# new_key NAME UID: a throwaway signing key (primary + signing subkey, like Docker's and
# NVIDIA's), its armored public key in $keys/NAME.asc, its primary fingerprint printed.
new_key() {
  local name=$1 uid=$2 fpr
  gpg --batch --quiet --passphrase '' --quick-gen-key "$uid" rsa3072 cert,sign never 2>/dev/null
  fpr=$(gpg --batch --with-colons --list-keys "$uid" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
  gpg --batch --quiet --passphrase '' --quick-add-key "$fpr" rsa3072 sign never 2>/dev/null
  gpg --armor --export "$fpr" >"$keys/$name.asc"
  echo "$fpr"
}

# sign DIR FPR: InRelease and Release.gpg for DIR/Release.
sign() {
  gpg --batch --yes --quiet --local-user "$2" --digest-algo SHA512 --clearsign \
    -o "$1/InRelease" "$1/Release"
  gpg --batch --yes --quiet --local-user "$2" --digest-algo SHA512 --armor --detach-sign \
    -o "$1/Release.gpg" "$1/Release"
}

# build_deb DIR OUTDIR: DIR holds DEBIAN/control and the files; the .deb is named as apt
# expects. Fast compression: these packages only travel over a bind mount.
build_deb() {
  local dir=$1 dest=$2 pkg ver arch size
  size=$(du -sk --exclude=DEBIAN "$dir" | cut -f1)
  sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$dir/DEBIAN/control"
  pkg=$(sed -n 's/^Package: //p' "$dir/DEBIAN/control")
  ver=$(sed -n 's/^Version: //p' "$dir/DEBIAN/control")
  arch=$(sed -n 's/^Architecture: //p' "$dir/DEBIAN/control")
  find "$dir" -type d -exec chmod 0755 {} +
  dpkg-deb --root-owner-group -Zgzip -z1 --build "$dir" "$dest/${pkg}_${ver#*:}_$arch.deb" >/dev/null
}

# subst FILE KEY=VALUE...: copy of FILE with @KEY@ replaced, on stdout.
subst() {
  local file=$1 kv script=()
  shift
  for kv in "$@"; do script+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${script[@]}" "$file"
}

# control NAME DIR KEY=VALUE...: DIR/DEBIAN/control from the template debian/NAME.control, each
# @KEY@ replaced by VALUE (build_deb then sets Installed-Size). A placeholder left over is an error.
control() {
  local template=$here/debian/$1.control dest=$2/DEBIAN/control kv v args=()
  shift 2
  for kv in "$@"; do
    v=${kv#*=}
    v=${v//\\/\\\\}
    v=${v//&/\\&}
    v=${v//|/\\|}
    args+=("${kv%%=*}=$v")
  done
  subst "$template" "${args[@]}" >"$dest"
  if grep -n '@[A-Z_]*@' "$dest" >&2; then
    say "$template: no value for the placeholder above" >&2
    return 1
  fi
}

# docker_ce_packages SRC REAL V FULL POOL WORK: docker-ce-cli and docker-ce FULL (upstream
# V) from the unpacked Debian packages in SRC, whose binaries report REAL; when V is not
# REAL, the CLI is wrapped to answer with V (version pinning tests).
docker_ce_packages() {
  local src=$1 real=$2 v=$3 full=$4 pool=$5 work=$6 d

  d=$work/docker-ce-cli_$v
  rm -rf "$d" && mkdir -p "$d/DEBIAN" "$d/usr/bin"
  if [[ $v == "${real%%+*}" ]]; then
    cp -a "$src/usr/bin/docker" "$d/usr/bin/docker"
  else
    mkdir -p "$d/usr/libexec/docker/testbed"
    cp -a "$src/usr/bin/docker" "$d/usr/libexec/docker/testbed/docker"
    subst "$here/docker/docker-version-wrapper" VERSION="$full" UPSTREAM="$v" REAL="$real" \
      REAL_RE="${real//./\\\\.}" >"$d/usr/bin/docker"
    chmod 0755 "$d/usr/bin/docker"
  fi
  control docker-ce-cli "$d" VERSION="$full" REAL="$real"
  build_deb "$d" "$pool"

  d=$work/docker-ce_$v
  rm -rf "$d" && mkdir -p "$d/DEBIAN" "$d/usr/bin" "$d/etc/init.d" "$d/etc/default" \
    "$d/lib/systemd/system"
  cp -a "$src/usr/sbin/dockerd" "$src/usr/sbin/docker-proxy" "$d/usr/bin/"
  ln -s tini-static "$d/usr/bin/docker-init"
  # Debian's init script and socket, with dockerd where docker-ce puts it.
  sed 's|^DOCKERD=/usr/sbin/dockerd|DOCKERD=/usr/bin/dockerd|' "$src/etc/init.d/docker" \
    >"$d/etc/init.d/docker"
  chmod 0755 "$d/etc/init.d/docker"
  cp -a "$src/etc/default/docker" "$d/etc/default/docker"
  cp -a "$src/lib/systemd/system/docker.socket" "$d/lib/systemd/system/"
  cp "$here/docker/docker.service" "$d/lib/systemd/system/docker.service"
  install -m 0755 "$here/docker/docker-ce.postinst" "$d/DEBIAN/postinst"
  install -m 0755 "$here/docker/docker-ce.prerm" "$d/DEBIAN/prerm"
  install -m 0755 "$here/docker/docker-ce.postrm" "$d/DEBIAN/postrm"
  printf '/etc/default/docker\n/etc/init.d/docker\n' >"$d/DEBIAN/conffiles"
  control docker-ce "$d" VERSION="$full" REAL="$real"
  build_deb "$d" "$pool"
}

docker_packages() {
  local codename=$1 pool=$2 work=$3 v real src num
  src=$work/docker.io
  real=$(dpkg-deb -f "$src.deb" Version)
  real=${real%-*} # what the binaries report, e.g. 20.10.24+dfsg1
  rm -rf "$src" && dpkg-deb -x "$src.deb" "$src"
  for v in "${docker_versions[@]}"; do
    docker_ce_packages "$src" "$real" "$v" "5:$v~3-0~debian-$codename" "$pool" "$work"
  done
  # trixie also gets a current Docker: sid's docker.io and docker-cli (CDI on by default
  # since 28.2), as docker-ce's version scheme numbers it (5:28.5.2-1~debian.13~trixie).
  if [[ $codename == trixie ]]; then
    src=$work/docker-sid
    real=$(dpkg-deb -f "$src/docker.io.deb" Version)
    real=${real%-*}
    rm -rf "$src/root" && dpkg-deb -x "$src/docker.io.deb" "$src/root" &&
      dpkg-deb -x "$src/docker-cli.deb" "$src/root"
    # sid's docker.io keeps its units in /usr/lib/systemd/system.
    mkdir -p "$src/root/lib/systemd/system"
    cp -a "$src/root/usr/lib/systemd/system/." "$src/root/lib/systemd/system/"
    num=13
    docker_ce_packages "$src/root" "$real" "${real%%+*}" "5:${real%%+*}-1~debian.$num~$codename" "$pool" "$work"
  fi

  # containerd.io bundles containerd and runc upstream; here it brings Debian's.
  d=$work/containerd.io
  rm -rf "$d" && mkdir -p "$d/DEBIAN"
  control containerd.io "$d" VERSION="$containerd_version"
  build_deb "$d" "$pool"

  plugin_package docker-buildx-plugin buildx "$buildx_version" "Docker Buildx" \
    "github.com/docker/buildx v$buildx_version 86bdced" "$codename" "$pool" "$work"
  plugin_package docker-compose-plugin compose "$compose_version" "Docker Compose" \
    "Docker Compose version v$compose_version" "$codename" "$pool" "$work"
}

plugin_package() {
  local pkg=$1 plugin=$2 v=$3 desc=$4 line=$5 codename=$6 pool=$7 work=$8 d num
  num=12
  [[ $codename == trixie ]] && num=13
  d=$work/$pkg
  rm -rf "$d" && mkdir -p "$d/DEBIAN" "$d/usr/libexec/docker/cli-plugins"
  subst "$here/docker/cli-plugin" PLUGIN="$plugin" PACKAGE="$pkg" UPSTREAM="$v" \
    DESCRIPTION="$desc" VERSIONLINE="$line" >"$d/usr/libexec/docker/cli-plugins/docker-$plugin"
  chmod 0755 "$d/usr/libexec/docker/cli-plugins/docker-$plugin"
  control docker-cli-plugin "$d" PACKAGE="$pkg" VERSION="$v-1~debian.$num~$codename" PLUGIN="$plugin" \
    DESCRIPTION="$desc"
  build_deb "$d" "$pool"
}

docker_repo() {
  local fpr=$1 base=$out/repos/download.docker.com/linux/debian codename dist pool
  mkdir -p "$base"
  cp "$keys/docker.asc" "$base/gpg"
  for codename in "${codenames[@]}"; do
    dist=dists/$codename
    pool=$base/$dist/pool/stable/amd64
    mkdir -p "$pool" "$base/$dist/stable/binary-amd64"
    docker_packages "$codename" "$pool" "$out/work"
    # Docker keeps each codename's pool under dists/<codename>/pool/, as here.
    (cd "$base" && apt-ftparchive packages "$dist/pool/stable" >"$dist/stable/binary-amd64/Packages")
    gzip -9nkf "$base/$dist/stable/binary-amd64/Packages"
    apt-ftparchive \
      -o APT::FTPArchive::Release::Origin=Docker \
      -o APT::FTPArchive::Release::Label="Docker CE" \
      -o APT::FTPArchive::Release::Suite="$codename" \
      -o APT::FTPArchive::Release::Codename="$codename" \
      -o APT::FTPArchive::Release::Architectures=amd64 \
      -o APT::FTPArchive::Release::Components=stable \
      -o APT::FTPArchive::Release::Description="Docker CE packages for Debian $codename (test bed)" \
      release "$base/$dist" >"$out/work/Release"
    mv "$out/work/Release" "$base/$dist/Release"
    sign "$base/$dist" "$fpr"
  done
}

nvidia_packages() {
  local v=$1 dest=$2 work=$3 u d
  u=${v%-*}
  [[ -f $dest/nvidia-container-toolkit_${v}_amd64.deb ]] && return 0

  d=$work/libnvidia-container1_$v
  rm -rf "$d" && mkdir -p "$d/DEBIAN" "$d/usr/lib/x86_64-linux-gnu"
  gcc -shared -fPIC -O2 -Wall -DNVC_VERSION="\"$u\"" -Wl,-soname,libnvidia-container.so.1 \
    -o "$d/usr/lib/x86_64-linux-gnu/libnvidia-container.so.$u" "$here/nvidia/libnvidia-container.c"
  ln -s "libnvidia-container.so.$u" "$d/usr/lib/x86_64-linux-gnu/libnvidia-container.so.1"
  echo "activate-noawait ldconfig" >"$d/DEBIAN/triggers"
  control libnvidia-container1 "$d" VERSION="$v"
  build_deb "$d" "$dest"

  d=$work/libnvidia-container-tools_$v
  rm -rf "$d" && mkdir -p "$d/DEBIAN" "$d/usr/bin"
  subst "$here/nvidia/nvidia-container-cli" VERSION="$v" UPSTREAM="$u" >"$d/usr/bin/nvidia-container-cli"
  chmod 0755 "$d/usr/bin/nvidia-container-cli"
  control libnvidia-container-tools "$d" VERSION="$v"
  build_deb "$d" "$dest"

  # The real packages' contents (packaging/debian/*.install of the toolkit's source), with
  # the binaries built from it for this version (toolkit_binaries).
  local bin=$out/toolkit/$v deb=$out/toolkit/packaging/debian units=$out/toolkit/deployments/systemd
  d=$work/nvidia-container-toolkit-base_$v
  rm -rf "$d" && mkdir -p "$d/DEBIAN" "$d/usr/bin" "$d/usr/share/doc/nvidia-container-toolkit-base"
  install -m 0755 "$bin/nvidia-ctk" "$bin/nvidia-container-runtime" "$bin/nvidia-cdi-hook" \
    "$bin/nvidia-container-runtime.cdi" "$bin/nvidia-container-runtime.legacy" "$d/usr/bin/"
  install -m 0644 "$out/toolkit/LICENSE" "$d/usr/share/doc/nvidia-container-toolkit-base/copyright"
  # Upstream's postinst writes /etc/nvidia-container-runtime/config.toml (`nvidia-ctk config
  # --in-place`: the defaults, kept settings); the units came with 1.18.0.
  if dpkg --compare-versions "$u" ge "$toolkit_units_since"; then
    mkdir -p "$d/lib/systemd/system" "$d/etc/nvidia-container-toolkit"
    install -m 0644 "$units/nvidia-cdi-refresh.service" "$units/nvidia-cdi-refresh.path" \
      "$d/lib/systemd/system/"
    install -m 0644 "$units/nvidia-cdi-refresh.env" "$d/etc/nvidia-container-toolkit/"
    echo /etc/nvidia-container-toolkit/nvidia-cdi-refresh.env >"$d/DEBIAN/conffiles"
    awk -v snippet="$here/nvidia/systemd.postinst" \
      '$0 == "#DEBHELPER#" { while ((getline l < snippet) > 0) print l; next } { print }' \
      "$deb/nvidia-container-toolkit-base.postinst" >"$d/DEBIAN/postinst"
    install -m 0755 "$here/nvidia/systemd.prerm" "$d/DEBIAN/prerm"
    install -m 0755 "$here/nvidia/systemd.postrm" "$d/DEBIAN/postrm"
  else
    sed '/^#DEBHELPER#$/d' "$deb/nvidia-container-toolkit-base.postinst" >"$d/DEBIAN/postinst"
  fi
  chmod 0755 "$d/DEBIAN/postinst"
  control nvidia-container-toolkit-base "$d" VERSION="$v" UPSTREAM="$u"
  build_deb "$d" "$dest"

  d=$work/nvidia-container-toolkit_$v
  rm -rf "$d" && mkdir -p "$d/DEBIAN" "$d/usr/bin"
  install -m 0755 "$bin/nvidia-container-runtime-hook" "$d/usr/bin/"
  sed '/^#DEBHELPER#$/d' "$deb/nvidia-container-toolkit.postinst" >"$d/DEBIAN/postinst"
  sed '/^#DEBHELPER#$/d' "$deb/nvidia-container-toolkit.postrm" >"$d/DEBIAN/postrm"
  chmod 0755 "$d/DEBIAN/postinst" "$d/DEBIAN/postrm"
  control nvidia-container-toolkit "$d" VERSION="$v" UPSTREAM="$u"
  build_deb "$d" "$dest"
}

nvidia_docker2_package() {
  local dest=$1 d=$2/nvidia-docker2
  rm -rf "$d" && mkdir -p "$d/DEBIAN"
  control nvidia-docker2 "$d" VERSION="$nvidia_docker2_version"
  build_deb "$d" "$dest"
}

# A flat repository per channel: `deb [signed-by=…] URL/<channel>/deb/$(ARCH) /`.
nvidia_repo() {
  local fpr=$1 base=$out/repos/nvidia.github.io/libnvidia-container channel dir v versions=()
  local debs=$out/work/nvidia-debs
  mkdir -p "$base" "$debs"
  cp "$keys/nvidia.asc" "$base/gpgkey"
  for v in "${nvidia_experimental[@]}"; do nvidia_packages "$v" "$debs" "$out/work"; done
  nvidia_docker2_package "$debs" "$out/work"
  for channel in stable experimental; do
    dir=$base/$channel/deb/amd64
    mkdir -p "$dir"
    if [[ $channel == stable ]]; then
      versions=("${nvidia_stable[@]}")
    else
      versions=("${nvidia_experimental[@]}")
    fi
    for v in "${versions[@]}"; do
      ln -f "$debs"/*_"${v}"_amd64.deb "$dir/"
    done
    ln -f "$debs"/nvidia-docker2_*_all.deb "$dir/"
    (cd "$dir" && apt-ftparchive packages . >Packages && gzip -9nkf Packages)
    apt-ftparchive \
      -o APT::FTPArchive::Release::Origin="https://nvidia.github.io/libnvidia-container/$channel/deb" \
      -o APT::FTPArchive::Release::Label="NVIDIA CORPORATION (test bed)" \
      release "$dir" >"$out/work/Release"
    mv "$out/work/Release" "$dir/Release"
    sign "$dir" "$fpr"
  done
}

repos() {
  local hash files fpr_docker fpr_nvidia fpr_wrong deb sid sid_cli
  deb=$(compgen -G "$out/downloads/docker.io_*_amd64.deb" | head -n 1)
  sid=$(compgen -G "$out/downloads/sid/docker.io_*_amd64.deb" | head -n 1)
  sid_cli=$(compgen -G "$out/downloads/sid/docker-cli_*_amd64.deb" | head -n 1)
  mapfile -t files < <(cd "$repo" && find tests/testbed/debian tests/testbed/docker tests/testbed/nvidia -type f | sort)
  hash=$( (echo "${deb##*/} ${sid##*/} ${sid_cli##*/}"; cat "$out/toolkit/.recipe"; recipe_hash codenames docker_versions containerd_version \
    buildx_version compose_version nvidia_stable nvidia_experimental nvidia_docker2_version toolkit_units_since \
    repos new_key sign build_deb subst control docker_ce_packages docker_packages plugin_package docker_repo \
    nvidia_packages nvidia_docker2_package nvidia_repo -- "${files[@]}") | hash_of)
  if stamp_ok "$out/repos/.recipe" "$hash"; then
    say "repos/ is up to date ($hash)"
    return 0
  fi
  rm -rf "$out/repos" "$out/work" "$out/gnupg"
  mkdir -p "$out/repos" "$out/work" "$out/gnupg"
  chmod 0700 "$out/gnupg"
  export GNUPGHOME=$out/gnupg
  keys=$out/work/keys
  mkdir -p "$keys"
  cp "$deb" "$out/work/docker.io.deb"
  mkdir -p "$out/work/docker-sid"
  cp "$sid" "$out/work/docker-sid/docker.io.deb"
  cp "$sid_cli" "$out/work/docker-sid/docker-cli.deb"

  fpr_docker=$(new_key docker "Docker Release (CE deb) test bed <docker@testbed.invalid>")
  fpr_nvidia=$(new_key nvidia "NVIDIA CORPORATION test bed <cudatools@testbed.invalid>")
  fpr_wrong=$(new_key wrong "Unrelated test-bed key <wrong@testbed.invalid>")
  docker_repo "$fpr_docker"
  nvidia_repo "$fpr_nvidia"
  echo "$fpr_docker" >"$out/repos/docker.fingerprint"
  echo "$fpr_nvidia" >"$out/repos/nvidia.fingerprint"
  echo "$fpr_wrong" >"$out/repos/wrong.fingerprint"
  cp "$keys/wrong.asc" "$out/repos/wrong.asc"
  gpgconf --kill gpg-agent 2>/dev/null || true
  unset GNUPGHOME
  rm -rf "$out/work"
  # apt's _apt user reads file:// repositories.
  chmod -R a+rX "$out/repos"
  echo "$hash" >"$out/repos/.recipe"
}

# ---------------------------------------------------------------- N-body image

nbody_image() {
  local tag=nvcr.io/nvidia/k8s/cuda-sample:nbody hash root=$out/nbody-root
  local busybox lib
  busybox=$(compgen -G "$out/downloads/busybox-static_*_amd64.deb" | head -n 1)
  hash=$( (echo "${busybox##*/}"; recipe_hash nbody_image -- tests/testbed/nbody/nbody.c) | hash_of)
  if [[ -z ${TESTBED_REBUILD:-} && $(image_label "$tag") == "$hash" && -f $out/nbody-image.tar ]] &&
    stamp_ok "$out/nbody-image.recipe" "$hash"; then
    say "image $tag and nbody-image.tar are up to date ($hash)"
    return 0
  fi
  rm -rf "$root"
  mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc/ld.so.conf.d" "$root/bin" "$root/usr/bin"
  chmod 1777 "$root/tmp"
  # Dynamic, as the real sample: it dlopens libcuda.so.1, which only the toolkit's
  # injection provides. The image carries the C library it was linked with (the build
  # host's glibc: the loader, libc, libm), and no libcuda. -ffast-math lets gcc vectorise
  # the inner loop, keeping the default run well under a second on a busy CI machine.
  gcc -O3 -ffast-math -Wall -Wextra -o "$root/usr/local/bin/nbody" "$here/nbody/nbody.c" -lm -ldl
  for lib in $(ldd "$root/usr/local/bin/nbody" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  echo 'include /etc/ld.so.conf.d/*.conf' >"$root/etc/ld.so.conf"
  # The real image is an Ubuntu with a shell and coreutils: here Debian's busybox-static.
  dpkg-deb --fsys-tarfile "$busybox" | tar -xO ./bin/busybox >"$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  for lib in sh ls cat test stat readlink head grep find; do ln -s busybox "$root/bin/$lib"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import --change "LABEL $label=$hash" \
      --change 'ENV PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV NVIDIA_VISIBLE_DEVICES=all' \
      --change 'ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility' \
      --change 'CMD ["nbody"]' - "$tag" >/dev/null
  rm -rf "$root"
  docker save -o "$out/nbody-image.tar.tmp" "$tag"
  mv "$out/nbody-image.tar.tmp" "$out/nbody-image.tar"
  chmod 0644 "$out/nbody-image.tar"
  echo "$hash" >"$out/nbody-image.recipe"
}

main() {
  local start=$SECONDS
  mkdir -p "$out"
  if ! docker info >/dev/null 2>&1; then
    say "no Docker engine answers: run 'make docker' (tests/testbed/ensure-docker.sh) first" >&2
    exit 1
  fi
  timed "base images" base_images
  timed "WSL stand-ins" standins
  timed "toolkit" toolkit_binaries
  timed "docker.io download" download_docker_io
  timed "sid docker.io download" download_docker_sid
  timed "signed repos" repos
  timed "N-body image" nbody_image
  say "done in $((SECONDS - start))s: $out"
}

main "$@"
