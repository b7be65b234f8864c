"""The newest ansible-core, pip-installed on Debian 13, ran site.yml from the checkout."""

import json
import re
from pathlib import Path

VENV = "/opt/ansible-newest"
PINNED = re.search(
    r"^ansible-core==(\S+)$",
    (Path(__file__).parents[3] / "requirements" / "newest.txt").read_text(),
    re.MULTILINE,
).group(1)


def test_ansible_core_is_the_newest(host):
    out = host.check_output(f"{VENV}/bin/ansible-playbook --version")
    assert re.search(rf"^ansible-playbook \[core {re.escape(PINNED)}\]$", out, re.MULTILINE), out
    major, minor = (int(x) for x in PINNED.split(".")[:2])
    assert (major, minor) >= (2, 21), PINNED


def test_it_runs_on_the_distros_python(host):
    out = host.check_output(f"{VENV}/bin/ansible-playbook --version")
    assert re.search(r"python version = 3\.1[3-9]", out), out


def test_dockerd_answers_with_the_nvidia_runtime(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert "nvidia" in info["Runtimes"]


def test_report_says_the_smoke_test_passed(host):
    report = json.loads(host.file("/var/lib/wsl-cuda/nbody-report.json").content_string)
    assert report["passed"] is True
    assert report["gpu"]["gflops"] > 0
