"""wsl.cuda.dockerd_status (and plugins/module_utils/dockerd_status.py): one read of dockerd's state."""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from ansible_collections.wsl.cuda.plugins.module_utils import dockerd_status
from ansible_collections.wsl.cuda.plugins.modules import dockerd_status as module


def _write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)


@pytest.fixture(name="api")
def fixture_api(tmp_path):
    """A unix socket that answers GET /version as dockerd does; yields its path."""
    path = str(tmp_path / "docker.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    requests = []

    def serve():
        while True:
            try:
                conn, _addr = server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                requests.append(data.split(b"\r\n", 1)[0])
                body = json.dumps({"Version": "28.5.1"}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path, requests
    server.close()


def test_running_and_answering(tmp_path, api, run_module):
    socket_path, requests = api
    _write(tmp_path, "/var/run/docker.pid", "4242\n")
    _write(tmp_path, "/proc/4242/stat", "4242 (dockerd) S 1 4242 4242 0 -1 4194560\n")
    _write(tmp_path, "/usr/sbin/dockerd", "")
    os.makedirs(str(tmp_path / "run/systemd/system"))
    out = run_module(module.main, {"root": str(tmp_path), "socket": socket_path.replace(str(tmp_path), "", 1)})
    assert out["changed"] is False
    assert out["systemd_booted"] is True
    assert out["dockerd"] == "/usr/sbin/dockerd"
    assert out["pid"] == "4242" and out["running"] is True and out["stale"] is False
    assert out["answers"] is True and out["version"] == "28.5.1" and out["error"] is None
    assert out["log_tail"] == []
    assert requests == [b"GET /version HTTP/1.1"]


@pytest.mark.parametrize("stat", [
    None,  # the pid is gone (wsl --shutdown)
    "4242 (dockerd) Z 1 4242\n",  # a zombie
    "4242 (containerd) S 1 4242\n",  # the pid was reused by another process
])
def test_stale_pidfile_and_no_answer_with_the_log(tmp_path, run_module, stat):
    _write(tmp_path, "/var/run/docker.pid", "4242")
    if stat:
        _write(tmp_path, "/proc/4242/stat", stat)
    _write(tmp_path, "/var/log/dockerd.log", "".join("line %d\n" % n for n in range(30)))
    out = run_module(module.main, {"root": str(tmp_path), "log_tail": True, "log_lines": 3})
    assert out["running"] is False and out["stale"] is True and out["pidfile_exists"] is True
    assert out["answers"] is False and out["version"] is None
    assert "docker.sock" in out["error"]
    assert out["dockerd"] is None and out["systemd_booted"] is False
    assert out["log_tail"] == ["line 27", "line 28", "line 29"]


def test_no_pidfile_is_not_stale(tmp_path, run_module):
    out = run_module(module.main, {"root": str(tmp_path)})
    assert out["pidfile_exists"] is False and out["pid"] == "" and out["stale"] is False
    assert out["log_tail"] == []


def test_wait_asks_until_dockerd_answers():
    answers = iter([(None, "refused"), (None, "refused"), ("27.0", None)])
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    version, error = dockerd_status.wait_answer("/s", 10, ask_fn=lambda _path: next(answers), sleep=sleep,
                                                clock=lambda: now[0])
    assert (version, error) == ("27.0", None)
    assert slept == [1, 1]


def test_wait_gives_up_after_its_time():
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    calls = []

    def ask(_path):
        calls.append(now[0])
        return None, "refused"

    assert dockerd_status.wait_answer("/s", 3, ask_fn=ask, sleep=sleep, clock=lambda: now[0]) == (None, "refused")
    assert calls == [0.0, 1.0, 2.0, 3.0]
    calls[:] = []
    assert dockerd_status.wait_answer("/s", 0, ask_fn=ask, sleep=sleep, clock=lambda: now[0]) == (None, "refused")
    assert len(calls) == 1


SCRIPT = "#!/bin/sh\n# Ansible managed\necho started\n"


@pytest.fixture(name="script")
def fixture_script(tmp_path, monkeypatch):
    """The start script under tmp_path, owned by whoever runs the tests (standing in for root)."""
    monkeypatch.setattr(dockerd_status, "SCRIPT_OWNER", (os.getuid(), os.getgid()))
    _write(tmp_path, "/usr/local/sbin/wsl-cuda-dockerd", SCRIPT)
    path = tmp_path / "usr/local/sbin/wsl-cuda-dockerd"
    path.chmod(0o755)
    return path


def test_the_start_script_is_current_with_its_content_mode_and_owner(tmp_path, script, run_module):
    args = {"root": str(tmp_path), "script": "/usr/local/sbin/wsl-cuda-dockerd", "script_content": SCRIPT}
    assert run_module(module.main, args)["script_current"] is True
    assert run_module(module.main, dict(args, script_content=SCRIPT + "echo more\n"))["script_current"] is False
    script.chmod(0o644)
    assert run_module(module.main, args)["script_current"] is False
    assert run_module(module.main, dict(args, script_mode="0644"))["script_current"] is True


def test_a_start_script_of_another_owner_or_a_link_is_not_current(tmp_path, script):
    uid, gid = os.getuid(), os.getgid()
    relative = "/usr/local/sbin/wsl-cuda-dockerd"
    assert dockerd_status.file_current(relative, SCRIPT, 0o755, root=str(tmp_path), owner=(uid, gid)) is True
    assert dockerd_status.file_current(relative, SCRIPT, 0o755, root=str(tmp_path), owner=(uid + 1, gid)) is False
    os.rename(str(script), str(script) + ".real")
    os.symlink(str(script) + ".real", str(script))
    assert dockerd_status.file_current(relative, SCRIPT, 0o755, root=str(tmp_path), owner=(uid, gid)) is False


def test_no_start_script_is_not_current_and_without_the_option_null(tmp_path, run_module):
    args = {"root": str(tmp_path)}
    assert run_module(module.main, args)["script_current"] is None
    args.update(script="/usr/local/sbin/wsl-cuda-dockerd", script_content=SCRIPT)
    assert run_module(module.main, args)["script_current"] is False
    assert "script_mode must be an octal mode" in run_module(module.main, dict(args, script_mode="rwx"), fails=True)["msg"]


COMMAND = "/usr/local/sbin/wsl-cuda-dockerd start"


@pytest.mark.parametrize("text", [
    None,                                                           # no wsl.conf at all
    "",
    "[boot]\ncommand = \"%s\"\n" % COMMAND,                         # ours
    "[boot]\ncommand = \"service ssh start; %s\"\n" % COMMAND,      # ours chained after the user's
    "[boot]\ncommand = service ssh start\n",                        # only the user's
    "[automount]\nenabled = true\n\n[boot]\nsystemd = true\n",
    "[boot]\nsystemd=true\ncommand=\"%s\"\n" % COMMAND,
])
@pytest.mark.parametrize("systemd", [False, True])
def test_wsl_conf_current_agrees_with_wsl_conf_in_check_mode(tmp_path, run_module, text, systemd):
    """Whether wsl.cuda.wsl_conf would change the file, for either state of our command, is what it reports."""
    from ansible_collections.wsl.cuda.plugins.modules import wsl_conf as wsl_conf_module
    if text is not None:
        _write(tmp_path, "/etc/wsl.conf", text)
    current = run_module(module.main, {"root": str(tmp_path), "wsl_conf": "/etc/wsl.conf", "wsl_conf_command": COMMAND,
                                       "wsl_conf_systemd": systemd})["wsl_conf_current"]
    for state in ("present", "absent"):
        edit = run_module(wsl_conf_module.main, {"path": str(tmp_path / "etc/wsl.conf"), "command": COMMAND,
                                                 "command_state": state, "systemd": systemd, "_ansible_check_mode": True})
        assert current[state] is (not edit["changed"]), state
    assert os.path.exists(str(tmp_path / "etc/wsl.conf")) is (text is not None)


def test_wsl_conf_current_is_null_without_the_option_or_an_unreadable_file(tmp_path, run_module):
    assert run_module(module.main, {"root": str(tmp_path)})["wsl_conf_current"] is None
    os.makedirs(str(tmp_path / "etc/wsl.conf"))
    args = {"root": str(tmp_path), "wsl_conf": "/etc/wsl.conf", "wsl_conf_command": COMMAND}
    assert run_module(module.main, args)["wsl_conf_current"] is None
    os.rmdir(str(tmp_path / "etc/wsl.conf"))
    with open(str(tmp_path / "etc/wsl.conf"), "wb") as handle:
        handle.write(b"[boot]\ncommand = \xff\n")
    assert run_module(module.main, args)["wsl_conf_current"] is None
