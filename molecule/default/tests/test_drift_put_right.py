"""After side_effect.yml made the distro drift, the next converge put every piece right (its idempotence then
passed too): the toolkit package back, our boot command back in wsl.conf beside the user's, the leftovers gone."""

import json

import pytest


@pytest.fixture(scope="module")
def drift(host):
    return json.loads(host.file("/root/drift.json").content_string)


def test_the_removed_package_is_installed_again(host, drift):
    assert host.package(drift["package"]).is_installed


def test_our_boot_command_is_back_in_wsl_conf(host, drift):
    text = host.file("/etc/wsl.conf").content_string
    assert drift["boot_command"] in text


def test_the_leftovers_of_features_not_in_use_are_gone(host, drift):
    assert drift["leftovers"]
    for path in drift["leftovers"]:
        assert not host.file(path).exists, path
