"""The N-body image is loaded only from an archive with the recorded SHA-256, and run only if it has the pin.

Runs last (its name): it removes the image from the instance's dockerd and has the smoke test load it again,
so that the image is there again at the end.
Each run is `ansible-playbook playbooks/site.yml --tags nbody_smoke` against the instance, as a user runs it.
"""

import os
import re
import subprocess
import sys

IMAGE = "nvcr.io/nvidia/k8s/cuda-sample:nbody"
ARCHIVE = "/srv/testbed/nbody-image.tar"
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ZEROS = "0" * 64


def _smoke(request, extra_vars):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(PROJECT, ".collections"), ANSIBLE_NOCOLOR="1")
    args = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i", request.config.getoption("ansible_inventory"), "playbooks/site.yml", "--tags", "nbody_smoke"]
    for pair in extra_vars:
        args += ["-e", pair]
    return subprocess.run(args, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900, check=False)


def _image_id(host):
    result = host.run("docker image inspect --format '{{.Id}}' %s" % IMAGE)
    return result.stdout.strip() if result.rc == 0 else None


def _remove_image(host):
    host.run("docker image rm -f %s" % IMAGE)
    assert _image_id(host) is None


def test_a_wrong_sha256_is_refused_before_the_load(host, request):
    real = host.check_output("sha256sum %s" % ARCHIVE).split()[0]
    _remove_image(host)
    run = _smoke(request, ["nbody_smoke_image_archive_sha256=" + ZEROS])
    assert run.returncode != 0, run.stdout[-3000:]
    assert ("%s (nbody_smoke_image_archive) has the SHA-256 %s, not nbody_smoke_image_archive_sha256=%s: "
            "it was not loaded" % (ARCHIVE, real, ZEROS)) in " ".join(run.stdout.split()), run.stdout[-3000:]
    assert "TASK [wsl.cuda.nbody_smoke : Load the N-body image from the archive]" not in run.stdout
    assert _image_id(host) is None, "the image was loaded despite the wrong SHA-256"


def test_an_archive_without_its_sha256_is_refused(host, request):
    run = _smoke(request, ['{"nbody_smoke_image_archive_sha256": ""}'])
    assert run.returncode != 0, run.stdout[-3000:]
    text = " ".join(run.stdout.split())
    assert "nbody_smoke_image_archive is set but nbody_smoke_image_archive_sha256 is not" in text, run.stdout[-3000:]
    assert "sha256sum %s" % ARCHIVE in text
    assert _image_id(host) is None


def test_an_image_without_the_pinned_digest_is_not_run(host, request):
    run = _smoke(request, ["nbody_smoke_image_digest=sha256:" + ZEROS])
    assert run.returncode != 0, run.stdout[-3000:]
    loaded = _image_id(host)
    assert loaded, "the archive with the right SHA-256 was not loaded"
    assert ("The N-body image %s is %s, not nbody_smoke_image_digest=sha256:%s: it was not run"
            % (IMAGE, loaded, ZEROS)) in " ".join(run.stdout.split()), run.stdout[-3000:]
    assert "TASK [wsl.cuda.nbody_smoke : Run the N-body sample on the GPU]" not in run.stdout


# nbody_smoke_report in a directory that exists (/tmp, or one of root's with 0700) keeps that directory's mode.
def test_the_pinned_image_runs_and_the_report_leaves_its_directory_alone(host, request):
    host.check_output("install -d -m 0700 /root/reports")
    before = host.check_output("stat -c '%a %U %G' /tmp")
    assert before == "1777 root root", before
    image_id = _image_id(host)
    for report in ("/tmp/r.json", "/root/reports/r.json"):
        run = _smoke(request, ["nbody_smoke_image_digest=" + image_id, "nbody_smoke_report=" + report])
        assert run.returncode == 0, run.stdout[-3000:]
        assert re.search(r"changed=0\s+unreachable=0\s+failed=0", run.stdout), run.stdout[-3000:]
        assert host.file(report).exists
    assert host.check_output("stat -c '%a %U %G' /tmp") == "1777 root root"
    assert host.check_output("stat -c '%a' /root/reports") == "700"


# Not the N-body image, but the same rule (issue 10, item 8): a role does not reset a stricter mode.
def test_the_merged_daemon_json_keeps_the_users_mode(host):
    daemon_json = host.file("/etc/docker/daemon.json")
    assert '"nvidia"' in daemon_json.content_string
    assert (daemon_json.user, daemon_json.mode) == ("root", 0o600)
