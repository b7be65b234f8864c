"""Unit tests of the filters behind the pull_schedule role's refusals (plugins/filter/pull_schedule.py)."""

from __future__ import annotations

import pytest

from ansible_collections.wsl.cuda.plugins.filter.pull_schedule import (
    FilterModule,
    control_character_problems,
    pull_repo_url_problems,
    root_only_write_problems,
)


@pytest.mark.parametrize("url", [
    "",
    "https://git.example.com/it/wsl-cuda.git",
    "https://git.example.com:8443/it/wsl-cuda",
    "ssh://git@git.example.com/it/wsl-cuda.git",
    "ssh://git@git.example.com:2222/it/wsl-cuda.git",
    "ssh://localhost/srv/wsl-cuda.git",
    "git@git.example.com:it/wsl-cuda.git",
    "git.example.com:it/wsl-cuda.git",
    "root@localhost:/srv/wsl-cuda.git",
])
def test_https_and_ssh_urls_are_accepted(url):
    assert pull_repo_url_problems(url) == []


@pytest.mark.parametrize("url, fragment", [
    ("http://git.example.com/it/wsl-cuda.git", "uses http://, which anyone on the network can read and change"),
    ("git://git.example.com/it/wsl-cuda.git", "uses git://"),
    ("file:///srv/wsl-cuda.git", "uses file://, which this role does not accept"),
    ("ftp://git.example.com/x.git", "uses ftp://"),
    ("/srv/wsl-cuda.git", "is not an https:// or ssh URL"),
    ("./wsl-cuda", "is not an https:// or ssh URL"),
    ("ext::sh -c touch% /tmp/pwned", "holds a space"),
    ("ext::ssh", "is not an https:// or ssh URL"),
    ("https://git.example.com/it/wsl-cuda.git\n", "line break"),
    ("https://git.example.com/it/wsl-cuda.git\nExecStartPre=/bin/true", "line break"),
    ("https://", "names no host"),
    ("https://git.example.com", "names no repository path"),
    ("https://git.example.com:99999/x.git", "not a valid URL"),
    ("https://git.example.com/x.git?a=b", "query or fragment"),
])
def test_other_urls_are_refused(url, fragment):
    problems = pull_repo_url_problems(url)
    assert len(problems) == 1 and fragment in problems[0], problems
    assert problems[0].startswith("pull_schedule_repo_url ")


@pytest.mark.parametrize("url", [
    "https://oauth2:glpat-SECRET@git.example.com/it/wsl-cuda.git",
    "https://glpat-SECRET@git.example.com/it/wsl-cuda.git",
    "ssh://git:SECRET@git.example.com/it/wsl-cuda.git",
])
def test_credentials_in_the_url_are_refused_with_the_remedy(url):
    problems = pull_repo_url_problems(url)
    assert len(problems) == 1
    assert "deploy key" in problems[0] and "credential helper" in problems[0]
    assert "SECRET" not in problems[0]


def test_not_a_string():
    assert pull_repo_url_problems(["https://x/y"]) == ["pull_schedule_repo_url must be a string."]


def test_line_breaks_in_any_value_are_named():
    problems = control_character_problems({
        "pull_schedule_on_calendar": "daily\nExecStartPre=/bin/touch /tmp/pwned",
        "pull_schedule_randomized_delay": "15min\n",     # the final newline that '$' let through
        "pull_schedule_extra_args": ["-v", "x\ry"],
        "pull_schedule_version": "main",
        "pull_schedule_playbook": "site.yml",
        "pull_schedule_checkout": "/var/lib/x\t",
    })
    assert [p.split(" ", 1)[0] for p in problems] == [
        "pull_schedule_checkout", "pull_schedule_extra_args", "pull_schedule_on_calendar", "pull_schedule_randomized_delay"]
    assert all("Remedy: give it on one line." in p for p in problems)
    assert control_character_problems({"a": "daily", "b": ["-v"], "c": ""}) == []


def _stat(path, uid=0, mode="0600", isdir=False, exists=True, variable="pull_schedule_extra_vars_file", parent=False):
    return {"item": {"path": path, "variable": variable, "parent": parent},
            "stat": {"exists": exists, "uid": uid, "pw_name": "root" if uid == 0 else "devops", "mode": mode,
                     "isdir": isdir, "path": path}}


def test_root_owned_and_not_writable_by_others_passes():
    assert root_only_write_problems([
        _stat("/etc/wsl-cuda/team.yml", mode="0600"),
        _stat("/etc/wsl-cuda/team.yml", mode="0644"),
        _stat("/etc/wsl-cuda", mode="0755", isdir=True),
        _stat("/etc/wsl-cuda/missing.yml", exists=False, uid=1000, mode="0666"),
        {"skipped": True, "item": {"path": "/x", "variable": "y"}},
    ]) == []


@pytest.mark.parametrize("stat_result, fragments", [
    (_stat("/etc/wsl-cuda/team.yml", uid=1000), ["is owned by devops, not root", "chmod 0600 /etc/wsl-cuda/team.yml"]),
    (_stat("/etc/wsl-cuda/team.yml", mode="0664"), ["may be written by its group (mode 0664)"]),
    (_stat("/etc/wsl-cuda/team.yml", mode="0646"), ["may be written by others (mode 0646)"]),
    (_stat("/etc/wsl-cuda/team.yml", uid=1000, mode="0666"),
     ["is owned by devops, not root and may be written by group and others (mode 0666)"]),
    (_stat("/etc/wsl-cuda", mode="0775", isdir=True, variable="pull_schedule_gpg_home"),
     ["/etc/wsl-cuda (pull_schedule_gpg_home)", "sudo chown root:root /etc/wsl-cuda && sudo chmod go-w /etc/wsl-cuda"]),
    (_stat("/etc/wsl-cuda/gnupg", mode="0775", isdir=True, variable="pull_schedule_gpg_home"),
     ["/etc/wsl-cuda/gnupg (pull_schedule_gpg_home) may be written by its group"]),
])
def test_files_others_can_change_are_refused(stat_result, fragments):
    problems = root_only_write_problems([stat_result])
    assert len(problems) == 1
    for fragment in fragments:
        assert fragment in problems[0], problems[0]
    assert "sudo chown root:root" in problems[0]


def test_a_directory_that_is_not_ours_is_not_chmodded():
    # /tmp (1777) is where a user might put the file: the remedy moves the file, never changes /tmp.
    problems = root_only_write_problems([_stat("/tmp", mode="1777", isdir=True, parent=True,
                                               variable="the directory of pull_schedule_extra_vars_file")])
    assert len(problems) == 1
    assert "/tmp (the directory of pull_schedule_extra_vars_file) may be written by group and others (mode 1777)" in problems[0]
    assert "chmod" not in problems[0] and "install -d -m 0755 /etc/wsl-cuda" in problems[0]


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {
        "pull_repo_url_problems", "control_character_problems", "root_only_write_problems", "pull_schedule_problems",
        "wsl_conf_systemd_at_boot"}


@pytest.mark.parametrize("text, at_boot", [
    ("[boot]\nsystemd=true\n", True),
    ('[boot]\nsystemd = "true"\n', True),
    ("[Boot]\nSystemd = TRUE\n", True),
    ("[boot]\nsystemd = true # as Ubuntu's images ship it\n", True),
    ("[boot]\ncommand = service docker start\nsystemd=true\n[network]\nhostname=x\n", True),
    # WSL reads the first systemd key of [boot]; a later one does not turn it on.
    ("[boot]\nsystemd=false\nsystemd=true\n", False),
    ("[boot]\n# systemd=true\n", False),
    ("[network]\nsystemd=true\n", False),
    ("[boot]\n[network]\nsystemd=true\n", False),
    ("", False),
])
def test_wsl_conf_systemd_at_boot_reads_wsl_conf_as_wsl_does(text, at_boot):
    assert FilterModule().filters()["wsl_conf_systemd_at_boot"](text) is at_boot
