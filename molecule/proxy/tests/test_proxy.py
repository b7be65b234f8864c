"""Behind a company proxy: apt, the key downloads and dockerd use it; hosts in proxy_no_proxy do not.

The mirrors are http://mirror.invalid/..., which resolves nowhere: that the play installed Docker Engine
and the toolkit from them at all shows the proxy was used; the proxy's log shows by whom.
"""

import base64
import json
import os
import re
import subprocess
import sys

PROXY = "http://127.0.0.1:3128"
# The test password, as the URL holds it (percent-encoded), as it is (decoded), and inside the Basic
# Proxy-Authorization header (base64 of user:password).
LOGIN, PASSWORD = "wsl-tester", "Pr0xy/pw-7e3q"
PROXY_WITH_LOGIN = "http://%s:%s@127.0.0.1:3128" % (LOGIN, PASSWORD.replace("/", "%2F"))
SECRETS = [PASSWORD, PASSWORD.replace("/", "%2F"), base64.b64encode(("%s:%s" % (LOGIN, PASSWORD)).encode()).decode()]
PROXY_LOG = "/var/log/testbed-proxy.log"
APT_CONF = "/etc/apt/apt.conf.d/80wsl-cuda-proxy"
APT_AUTH = "/etc/apt/auth.conf.d/80wsl-cuda-proxy.conf"
DOCKERD_ENV = "/etc/wsl-cuda/dockerd.env"
DROPIN = "/etc/systemd/system/docker.service.d/wsl-cuda-proxy.conf"
NO_PROXY = "localhost,127.0.0.1,::1,deb.debian.org,.debian.org,10.0.0.0/8"


def _proxy_log(host):
    return host.file(PROXY_LOG).content_string.splitlines()


def _project():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _play(request, *args):
    project = _project()
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
         "-i", request.config.getoption("ansible_inventory"), "playbooks/site.yml"] + list(args),
        cwd=project, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(project, ".collections"),
                              ANSIBLE_NOCOLOR="1"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900, check=False,
    )


# Run on the instance: every regular file that any user can read (o+r, and o+x on each directory above
# it), outside the pseudo file systems and the controller's read-only mounts, that holds a secret.
FIND_READABLE = r"""
import os, stat, sys
secrets = [s.encode() for s in sys.argv[1:]]
skip = ("/proc", "/sys", "/dev", "/srv/mirror", "/srv/testbed")
found = []
for top, dirs, files in os.walk("/"):
    if top.startswith(skip) or not os.stat(top).st_mode & stat.S_IXOTH:
        dirs[:] = []
        continue
    dirs[:] = [d for d in dirs if not os.path.join(top, d).startswith(skip)]
    for name in files:
        path = os.path.join(top, name)
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or not info.st_mode & stat.S_IROTH:
                continue
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if any(secret in data for secret in secrets):
            found.append(path)
print("\n".join(found))
"""


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


def test_the_proxy_wants_the_login(host):
    # The same request as apt's, without the login, is refused: the 200s in the log are authenticated.
    probe = host.run(
        "python3 -c 'import urllib.request as u; u.build_opener(u.ProxyHandler({\"http\": \"%s\"}))"
        ".open(\"http://mirror.invalid/download.docker.com/linux/debian/gpg\")'" % PROXY)
    assert probe.rc != 0 and "407" in probe.stderr, probe.stderr
    assert "GET http://mirror.invalid/download.docker.com/linux/debian/gpg 407" in _proxy_log(host)


def test_apt_login_is_root_only_and_the_url_has_none(host):
    auth = host.file(APT_AUTH)
    assert (auth.user, auth.group, auth.mode) == ("root", "root", 0o600)
    # apt_auth.conf(5): the proxy's scheme is named (without it an entry matches https only), the password decoded.
    assert "machine http://127.0.0.1:3128 login %s password %s" % (LOGIN, PASSWORD) in auth.content_string.splitlines()
    assert not [s for s in SECRETS if s in host.file(APT_CONF).content_string]


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
    assert "HTTPS_PROXY='%s'" % PROXY_WITH_LOGIN in env.content_string
    dropin = host.file(DROPIN)
    assert "EnvironmentFile=%s" % DOCKERD_ENV in dropin.content_string


def test_dockerd_runs_with_the_proxy(host):
    pid = host.file("/var/run/docker.pid").content_string.strip()
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid).splitlines()
    assert "HTTP_PROXY=%s" % PROXY_WITH_LOGIN in environ
    assert "HTTPS_PROXY=%s" % PROXY_WITH_LOGIN in environ
    assert "NO_PROXY=%s" % NO_PROXY in environ
    # docker info masks the login (xxxxx:xxxxx@).
    info = host.check_output("docker info --format '{{.HTTPProxy}}|{{.HTTPSProxy}}|{{.NoProxy}}'")
    http, https, no_proxy = info.split("|")
    assert http == https and http.startswith("http://") and http.endswith("@127.0.0.1:3128"), info
    assert no_proxy == NO_PROXY
    assert not [s for s in SECRETS if s in info], info


def test_no_world_readable_file_holds_the_password(host):
    found = host.run("python3 - %s <<'EOF'\n%sEOF" % (" ".join("'%s'" % s for s in SECRETS), FIND_READABLE))
    assert found.rc == 0, found.stderr
    assert found.stdout.strip() == "", found.stdout


# The files that hold the login are removed first, so that this run writes them again: with -v and --diff,
# a template's diff or a result would show the password if the role let it.
def test_play_output_never_shows_the_password(host, request):
    host.run("rm -f %s %s %s" % (APT_AUTH, APT_CONF, DOCKERD_ENV))
    run = _play(request, "-v", "--diff")
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"changed=[1-9]", run.stdout), run.stdout[-3000:]
    assert "80wsl-cuda-proxy.conf" in run.stdout and "dockerd.env" in run.stdout
    leaked = [line for line in run.stdout.splitlines() if any(s in line for s in SECRETS)]
    assert not leaked, leaked
    assert host.file(APT_AUTH).mode == 0o600


def test_refusal_names_the_variable_not_its_value(request):
    bad = PROXY_WITH_LOGIN + "\nAcquire::http::Proxy::evil \"DIRECT\";"
    run = _play(request, "--tags", "proxy", "-e", '{"proxy_http": %s}' % json.dumps(bad))
    assert run.returncode != 0, run.stdout[-3000:]
    assert "proxy_http must be empty or a proxy URL" in run.stdout, run.stdout[-3000:]
    assert not [s for s in SECRETS if s in run.stdout], run.stdout[-3000:]


# Last, because it changes the instance: with the proxy taken out of the settings, a run of the proxy
# and dockerd_startup roles removes what the proxy role wrote and restarts dockerd without it.
def test_unsetting_the_proxy_removes_it(host, request):
    old_pid = host.file("/var/run/docker.pid").content_string.strip()
    run = _play(request, "--tags", "proxy,dockerd_startup", "-e", '{"proxy_http": ""}')
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"changed=[1-9]", run.stdout), run.stdout[-3000:]
    for path in (APT_CONF, APT_AUTH, DOCKERD_ENV, DROPIN):
        assert not host.file(path).exists, path
    assert "Proxy" not in host.check_output("apt-config dump")
    pid = host.file("/var/run/docker.pid").content_string.strip()
    assert pid != old_pid, "dockerd was not restarted"
    environ = host.check_output("tr '\\0' '\\n' < /proc/%s/environ" % pid)
    names = [line.partition("=")[0].upper() for line in environ.splitlines()]
    assert not {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"} & set(names), environ
    assert host.check_output("docker info --format '{{.HTTPProxy}}|{{.HTTPSProxy}}'") == "|"
