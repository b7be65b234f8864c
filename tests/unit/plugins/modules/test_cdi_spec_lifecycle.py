"""plugins/module_utils/cdi_lifecycle.py, and wsl.cuda.cdi_spec with toolkit_path: the whole CDI lifecycle in one call."""

from __future__ import annotations

import os
import stat

import pytest

from ansible.module_utils import basic

from ansible_collections.wsl.cuda.plugins.module_utils import cdi_lifecycle as lc
from ansible_collections.wsl.cuda.plugins.module_utils import cdi_spec
from ansible_collections.wsl.cuda.plugins.modules import cdi_spec as module
from ansible_collections.wsl.cuda.tests.unit.plugins.module_utils.test_cdi_spec_checks import fixture, lay_out, write_spec

STATUS = """Package: nvidia-container-toolkit
Status: install ok installed
Version: 1.20.0-1

Package: nvidia-container-toolkit-base
Status: deinstall ok config-files
Version: 1.17.8-1

Package: nvidia-container-toolkit-base
Status: install ok installed
Priority: optional
Description: the base
 Version: 9.9.9
Version: %s
"""


@pytest.mark.parametrize("version, expected", [("1.20.0-1", "1.20.0-1"), ("1:1.18.0-1", "1:1.18.0-1")])
def test_dpkg_version_reads_the_installed_stanza(version, expected):
    assert lc.dpkg_version("nvidia-container-toolkit-base", STATUS % version) == expected
    assert lc.dpkg_version("podman", STATUS % version) is None
    assert lc.dpkg_version("nvidia-container-toolkit-base", "") is None


@pytest.mark.parametrize("systemd, unit, version, expected", [
    (True, True, "1.20.0-1", True),
    (True, True, "1.19.1-1", True),
    (True, True, "1:1.19.1-1", True),
    (True, True, "1.19.0~rc.1-1", False),
    (True, True, "1.18.0-1", False),
    (True, False, "1.20.0-1", False),
    (False, True, "1.20.0-1", False),
    (True, True, None, False),
])
def test_by_toolkit(systemd, unit, version, expected):
    assert lc.by_toolkit(systemd, unit, version, "1.19.1") is expected


def test_env_text_acts_as_lineinfile():
    text = "# NVIDIA_CTK_CDI_OUTPUT_FILE_PATH=/var/run/cdi/nvidia.yaml\nOTHER=1\nNVIDIA_CTK_CDI_GENERATE_FEATURE_FLAGS=x\n"
    out = lc.env_text(text, [("NVIDIA_CTK_CDI_OUTPUT_FILE_PATH", "/var/run/cdi/nvidia.json"),
                             ("NVIDIA_CTK_CDI_GENERATE_MODE", "wsl"),
                             ("NVIDIA_CTK_CDI_GENERATE_FEATURE_FLAGS", "")])
    assert out == "NVIDIA_CTK_CDI_OUTPUT_FILE_PATH=/var/run/cdi/nvidia.json\nOTHER=1\nNVIDIA_CTK_CDI_GENERATE_MODE=wsl\n"
    assert lc.env_text(out, [("NVIDIA_CTK_CDI_GENERATE_MODE", "wsl")]) == out
    assert lc.env_text(None, [("A", "")]) == ""


def test_the_script_runs_the_shared_code_on_the_spec():
    text = lc.script_text("/usr/local/lib/wsl-cuda/cdi_spec.py", "/etc/cdi/nvidia.json", "by WSL's boot command",
                          "/usr/local/sbin/wsl-cuda-cdi-refresh")
    assert text.startswith("#!/bin/sh\n")
    assert text.endswith('exec /usr/bin/python3 /usr/local/lib/wsl-cuda/cdi_spec.py "$@" --spec /etc/cdi/nvidia.json\n')
    assert "--spec '/tmp/a b'" in lc.script_text("/l", "/tmp/a b", "x", "/s")


def test_files_write_only_what_differs(tmp_path):
    files = lc.Files(str(tmp_path))
    assert files.ensure("/a/b/c", "x\n", 0o755) is True
    assert stat.S_IMODE(os.stat(str(tmp_path / "a/b/c")).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(tmp_path / "a/b")).st_mode) == 0o755
    assert files.ensure("/a/b/c", "x\n", 0o755) is False
    os.chmod(str(tmp_path / "a/b/c"), 0o644)
    assert files.ensure("/a/b/c", "x\n", 0o755) is True
    assert files.remove("/a/b/c") is True and files.remove("/a/b/c") is False
    assert files.changed == ["/a/b/c", "/a/b/c", "/a/b/c"]
    check = lc.Files(str(tmp_path), check_mode=True)
    assert check.ensure("/new/file", "y", 0o644) is True and not (tmp_path / "new").exists()


class FakeSystemctl(object):
    """systemctl for the module: units in `enabled` and `active`, every call recorded."""

    def __init__(self, enabled=(), active=()):
        self.enabled, self.active, self.calls = set(enabled), set(active), []

    def __call__(self, argv, **kwargs):
        if argv[0] != "/bin/systemctl":
            return 127, "", "not here"
        action = argv[1]
        self.calls.append(" ".join(argv[1:]))
        unit = argv[2] if len(argv) > 2 else None
        if action == "is-enabled":
            return (0, "enabled\n", "") if unit in self.enabled else (1, "disabled\n", "")
        if action == "is-active":
            return (0, "active\n", "") if unit in self.active else (3, "inactive\n", "")
        if action == "enable":
            self.enabled.add(unit)
        elif action == "disable":
            self.enabled.discard(unit)
        elif action == "stop":
            self.active.discard(unit)
        return 0, "", ""


@pytest.fixture
def systemctl(monkeypatch):
    def install(**kwargs):
        fake = FakeSystemctl(**kwargs)
        monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kwargs: fake(argv, **kwargs))
        # nvidia-ctk is there but never run: every spec in these tests is current.
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                            lambda self, name, required=False, opt_dirs=None: "/bin/" + name)
        return fake
    return install


def host(tmp_path, version, toolkit_unit=True, spec_at="/etc/cdi/nvidia.json"):
    text = fixture("wsl-0.3.0.json")
    lay_out(tmp_path, text)
    write_spec(tmp_path, spec_at, text)
    status = tmp_path / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True, exist_ok=True)
    status.write_text(STATUS % version)
    if toolkit_unit:
        unit = tmp_path / "lib/systemd/system/nvidia-cdi-refresh.service"
        unit.parent.mkdir(parents=True, exist_ok=True)
        unit.write_text("[Unit]\n")


def args(tmp_path, **more):
    base = {"root": str(tmp_path), "state": "refreshed", "podman_version": "", "toolkit_version": "1.20.0",
            "toolkit_path": "/var/run/cdi/nvidia.json", "refresh_lib": "/usr/local/lib/wsl-cuda/cdi_spec.py",
            "refresh_script": "/usr/local/sbin/wsl-cuda-cdi-refresh"}
    base.update(more)
    return base


def test_without_systemd_one_call_installs_the_refresh_and_a_second_changes_nothing(tmp_path, run_module, systemctl):
    fake = systemctl()
    host(tmp_path, "1.20.0-1")
    out = run_module(module.main, args(tmp_path))
    assert out["changed"] is True and out["action"] == "kept" and out["active"] == "/etc/cdi/nvidia.json"
    assert out["toolkit_refreshes"] is False and out["toolkit_package_version"] == "1.20.0-1"
    assert out["changed_files"] == ["/usr/local/lib/wsl-cuda/cdi_spec.py", "/usr/local/sbin/wsl-cuda-cdi-refresh"]
    with open(cdi_spec.__file__) as handle:
        assert (tmp_path / "usr/local/lib/wsl-cuda/cdi_spec.py").read_text() == handle.read()
    script = tmp_path / "usr/local/sbin/wsl-cuda-cdi-refresh"
    assert "--spec /etc/cdi/nvidia.json" in script.read_text() and "WSL's boot command" in script.read_text()
    assert stat.S_IMODE(os.stat(str(script)).st_mode) == 0o755
    again = run_module(module.main, args(tmp_path))
    assert again["changed"] is False and again["changed_files"] == [] and again["changed_units"] == []
    assert fake.calls == []


def test_systemd_with_an_old_toolkit_installs_and_enables_our_unit(tmp_path, run_module, systemctl):
    fake = systemctl(enabled=["nvidia-cdi-refresh.path"], active=["nvidia-cdi-refresh.service"])
    host(tmp_path, "1.18.0-1")
    out = run_module(module.main, args(tmp_path, systemd=True))
    assert out["toolkit_refreshes"] is False and out["active"] == "/etc/cdi/nvidia.json"
    assert "/etc/systemd/system/wsl-cuda-cdi-refresh.service" in out["changed_files"]
    assert out["changed_units"] == ["enable wsl-cuda-cdi-refresh.service", "disable nvidia-cdi-refresh.path",
                                    "stop nvidia-cdi-refresh.service"]
    assert "daemon-reload" in fake.calls
    unit = (tmp_path / "etc/systemd/system/wsl-cuda-cdi-refresh.service").read_text()
    assert "ExecStart=/usr/local/sbin/wsl-cuda-cdi-refresh refresh\n" in unit
    assert "by wsl-cuda-cdi-refresh.service" in (tmp_path / "usr/local/sbin/wsl-cuda-cdi-refresh").read_text()
    fake.calls[:] = []
    again = run_module(module.main, args(tmp_path, systemd=True))
    assert again["changed"] is False and "daemon-reload" not in fake.calls


def test_systemd_with_a_toolkit_that_refreshes_hands_over_to_it(tmp_path, run_module, systemctl):
    fake = systemctl(enabled=["wsl-cuda-cdi-refresh.service"])
    host(tmp_path, "1.20.0-1", spec_at="/var/run/cdi/nvidia.json")
    ours = tmp_path / "etc/systemd/system/wsl-cuda-cdi-refresh.service"
    ours.parent.mkdir(parents=True)
    ours.write_text("old")
    (tmp_path / "etc/nvidia-container-toolkit").mkdir(parents=True)
    (tmp_path / "etc/nvidia-container-toolkit/nvidia-cdi-refresh.env").write_text("#NVIDIA_CTK_CDI_GENERATE_MODE=auto\n")
    out = run_module(module.main, args(tmp_path, systemd=True))
    assert out["toolkit_refreshes"] is True and out["active"] == "/var/run/cdi/nvidia.json"
    assert not ours.exists()
    assert out["changed_units"] == ["disable wsl-cuda-cdi-refresh.service", "enable nvidia-cdi-refresh.service"]
    env = (tmp_path / "etc/nvidia-container-toolkit/nvidia-cdi-refresh.env").read_text()
    assert env == "NVIDIA_CTK_CDI_GENERATE_MODE=wsl\nNVIDIA_CTK_CDI_OUTPUT_FILE_PATH=/var/run/cdi/nvidia.json\n"
    dropin = (tmp_path / "etc/systemd/system/nvidia-cdi-refresh.service.d/wsl-cuda.conf").read_text()
    assert "ExecStartPost=-/usr/local/sbin/wsl-cuda-cdi-refresh refresh --no-generate\n" in dropin
    assert "--spec /var/run/cdi/nvidia.json" in (tmp_path / "usr/local/sbin/wsl-cuda-cdi-refresh").read_text()
    assert "daemon-reload" in fake.calls
    assert run_module(module.main, args(tmp_path, systemd=True))["changed"] is False


def test_check_mode_without_the_toolkit_writes_nothing_and_generates_nothing(tmp_path, run_module, systemctl):
    systemctl()
    host(tmp_path, "1.20.0-1")
    (tmp_path / "var/lib/dpkg/status").write_text("")
    out = run_module(module.main, args(tmp_path, _ansible_check_mode=True))
    assert out["action"] == "kept" and out["messages"] == [] and out["toolkit_package_version"] is None
    assert out["changed"] is True and not (tmp_path / "usr/local/sbin").exists()


def test_dpkg_version_counts_a_held_package_as_installed():
    held = "Package: nvidia-container-toolkit-base\nStatus: hold ok installed\nVersion: 1.18.0-1\n"
    assert lc.dpkg_version("nvidia-container-toolkit-base", held) == "1.18.0-1"
    assert lc.dpkg_version("nvidia-container-toolkit-base", held.replace("installed", "half-configured")) is None
