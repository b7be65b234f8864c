"""dockerd rejected the user's daemon.json: the file is still theirs, merged, not replaced."""

import json


def test_daemon_json_keeps_the_users_directive(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["bogus-directive"] is True
    assert config["runtimes"]["nvidia"]["path"] == "nvidia-container-runtime"


def test_dockerd_is_not_running(host):
    assert host.run("docker info").rc != 0
