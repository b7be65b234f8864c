"""Behind a company proxy: apt, the key downloads and dockerd use it; hosts in proxy_no_proxy do not.

The mirrors are http://mirror.invalid/..., which resolves nowhere: that the play installed Docker Engine
and the toolkit from them at all shows the proxy was used; the proxy's log shows by whom.
"""

import os
import re
import subprocess
import sys

PROXY = "http://127.0.0.1:3128"
PROXY_LOG = "/var/log/testbed-proxy.log"
APT_CONF = "/etc/apt/apt.conf.d/80wsl-cuda-proxy"
DOCKERD_ENV = "/etc/wsl-cuda/dockerd.env"
DROPIN = "/etc/systemd/system/docker.service.d/wsl-cuda-proxy.conf"
NO_PROXY = "localhost,127.0.0.1,::1,deb.debian.org,.debian.org,10.0.0.0/8"


def _proxy_log(host):
    return host.file(PROXY_LOG).content_string.splitlines()


def test_mirror_name_does_not_resolve(host):
    assert host.run("getent ahosts mirror.invalid").rc != 0


def test_packages_came_from_the_mirror_behind_the_proxy(host):
    for package in ("docker-ce", "nvidia-container-toolkit"):
        assert host.package(package).is_installed
    policy = host.check_output("apt-cache policy docker-ce nvidia-container-toolkit")
    assert "http://mirror.invalid/download.docker.com/linux/debian" in policy
    assert "http://mirror.invalid/nvidia.github.io/libnvidia-container" in policy


def test_keys_and_indexes_were_fetched_through_the_proxy(host):
    log = _proxy_log(host)
    assert "GET http://mirror.invalid/download.docker.com/linux/debian/gpg 200" in log
    assert "GET http://mirror.invalid/nvidia.github.io/libnvidia-container/gpgkey 200" in log
    assert any(re.match(r"GET http://mirror\.invalid/download\.docker\.com/linux/debian/dists/bookworm/InRelease 200$", line)
               for line in log), log
    assert any(re.match(r"GET http://mirror\.invalid/nvidia\.github\.io/libnvidia-container/stable/deb/.*(InRelease|Release) 200$", line)
               for line in log), log
    assert any(re.match(r"GET http://mirror\.invalid/.*/docker-ce_.*\.deb 200$", line) for line in log), log


def test_hosts_in_no_proxy_were_reached_directly(host):
    log = _proxy_log(host)
    assert not [line for line in log if "debian.org" in line], log


def test_apt_update_after_the_play_uses_the_proxy_for_the_mirrors_only(host):
    before = len(_proxy_log(host))
    update = host.run("apt-get update")
    assert update.rc == 0, update.stdout + update.stderr
    assert "Failed to fetch" not in update.stdout + update.stderr
    new = _proxy_log(host)[before:]
    assert any(line.startswith("GET http://mirror.invalid/download.docker.com/") for line in new), new
    assert any(line.startswith("GET http://mirror.invalid/nvidia.github.io/") for line in new), new
    assert not [line for line in new if "debian.org" in line], new
    # Debian's mirror was reached all the same, directly.
    assert re.search(r"^(Hit|Get):\d+ http://deb\.debian\.org/debian bookworm InRelease", update.stdout, re.M), update.stdout


def test_apt_configuration(host):
    conf = host.file(APT_CONF)
    assert conf.mode == 0o644
    dump = host.check_output("apt-config dump")
    assert 'Acquire::http::Proxy "%s";' % PROXY in dump
    assert 'Acquire::https::Proxy "%s";' % PROXY in dump
    assert 'Acquire::http::Proxy::deb.debian.org "DIRECT";' in dump
    # apt cannot express suffixes, ranges or IPv6 addresses: they are listed in a comment only.
    assert "// Not for apt, which matches exact host names only: ::1 .debian.org 10.0.0.0/8" in conf.content_string


def test_dockerd_environment_file_is_root_only(host):
    env = host.file(DOCKERD_ENV)
    assert env.user == "root"
    assert env.mode == 0o600
    assert "HTTPS_PROXY='%s'" % PROXY in env.content_string
    dropin = host.file(DROPIN)
    assert "EnvironmentFile=%s" % DOCKERD_ENV in dropin.content_string


def test_dockerd_runs_with_the_proxy(host):
    pid = host.file("/var/run/docker.pid").content_string.strip()
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid).splitlines()
    assert "HTTP_PROXY=%s" % PROXY in environ
    assert "HTTPS_PROXY=%s" % PROXY in environ
    assert "NO_PROXY=%s" % NO_PROXY in environ
    info = host.check_output("docker info --format '{{.HTTPProxy}}|{{.HTTPSProxy}}|{{.NoProxy}}'")
    assert info == "%s|%s|%s" % (PROXY, PROXY, NO_PROXY)


# Last, because it changes the instance: with the proxy taken out of the settings, a run of the proxy
# and dockerd_startup roles removes what the proxy role wrote and restarts dockerd without it.
def test_unsetting_the_proxy_removes_it(host, request):
    project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    old_pid = host.file("/var/run/docker.pid").content_string.strip()
    run = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
         "-i", request.config.getoption("ansible_inventory"), "playbooks/site.yml",
         "--tags", "proxy,dockerd_startup", "-e", '{"proxy_http": ""}'],
        cwd=project, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(project, ".collections")),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"changed=[1-9]", run.stdout), run.stdout[-3000:]
    for path in (APT_CONF, DOCKERD_ENV, DROPIN):
        assert not host.file(path).exists, path
    assert "Proxy" not in host.check_output("apt-config dump")
    pid = host.file("/var/run/docker.pid").content_string.strip()
    assert pid != old_pid, "dockerd was not restarted"
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid)
    names = [line.partition("=")[0].upper() for line in environ.splitlines()]
    assert not {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"} & set(names), environ
    assert host.check_output("docker info --format '{{.HTTPProxy}}|{{.HTTPSProxy}}'") == "|"
