"""Unit tests of the wsl.cuda.proxy_problems and wsl.cuda.proxy_split filters."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.wsl.cuda.plugins.filter.proxy import FilterModule, proxy_problems, proxy_split

SECRET = "s3cr%40t"
NO_PROXY = ["localhost", "127.0.0.1", "::1", ".corp.example.com", "10.0.0.0/8"]


@pytest.mark.parametrize("url", [
    "",
    "http://proxy.corp.example.com:3128",
    "http://proxy.corp.example.com:3128/",
    "https://proxy.corp.example.com",
    "http://10.0.0.1:8080",
    "http://[fd00::1]:3128",
    "http://user:%s@proxy.corp.example.com:3128" % SECRET,
    "http://DOMAIN%5Cuser:pa%20ss@proxy:3128".replace("%20", "x"),
])
def test_good_settings_have_no_problems(url):
    assert proxy_problems(url, url, NO_PROXY) == []


@pytest.mark.parametrize("url", [
    "proxy.invalid:3128",                    # no scheme
    "socks5://proxy:1080",
    "http://proxy:3128\n",                   # a final line break, which '$' let through
    "http://proxy:3128\nAcquire::x \"y\";",
    "http://user:%s@proxy:3128\n" % SECRET,
    "http://proxy:3128/path",
    "http://pro xy:3128",
    "http://proxy:3128'",
    'http://us"er:pw@proxy:3128',
    "http://proxy:123456",
])
def test_bad_urls_are_refused_without_showing_them(url):
    problems = proxy_problems(url, "", NO_PROXY)
    assert len(problems) == 1, problems
    assert problems[0].startswith("proxy_http must be empty or a proxy URL")
    assert url.strip() not in problems[0]
    assert SECRET not in problems[0] and "s3cr@t" not in problems[0]
    assert proxy_split(url) is None


def test_proxy_https_is_named_for_its_own_problem():
    problems = proxy_problems("http://proxy:3128", "http://proxy:3128\n", NO_PROXY)
    assert len(problems) == 1 and problems[0].startswith("proxy_https must be empty")


def test_not_a_string_is_refused():
    assert "got a list" in proxy_problems(["http://proxy:3128"], "", NO_PROXY)[0]


@pytest.mark.parametrize("no_proxy, fragment", [
    ("localhost,127.0.0.1", "must be a YAML list"),
    (None, "must be a YAML list"),
    (["localhost\n"], "'localhost\\n'"),
    (["a b"], "'a b'"),
    (["a,b"], "'a,b'"),
    ([3], "3"),
])
def test_bad_no_proxy_is_refused(no_proxy, fragment):
    problems = proxy_problems("", "", no_proxy)
    assert len(problems) == 1 and problems[0].startswith("proxy_no_proxy must")
    assert fragment in problems[0]


@pytest.mark.parametrize("url", [
    "http://user:pa%20ss@proxy:3128",   # a space after decoding: auth.conf has no quoting
    "http://user:pa%23ss@proxy:3128",   # '#'
    "http://user:pa%0Ass@proxy:3128",   # a line break after decoding
    "http://:pw@proxy:3128",            # no user
])
def test_credentials_apt_cannot_hold_are_refused(url):
    problems = proxy_problems(url, "", NO_PROXY)
    assert len(problems) == 1 and "in proxy_http" in problems[0], problems
    assert "pa" not in problems[0].replace("password", "").replace("space", "")


def test_user_without_password_is_refused():
    problems = proxy_problems("http://user@proxy:3128", "", NO_PROXY)
    assert problems == ["proxy_http names a user without a password (user:password@): add the password or drop the user."]


def test_same_proxy_with_two_logins_is_refused():
    problems = proxy_problems("http://a:b@proxy:3128", "http://c:d@proxy:3128", NO_PROXY)
    assert len(problems) == 1 and "same proxy with different credentials" in problems[0]
    assert proxy_problems("http://a:b@proxy:3128", "http://a:b@proxy:3128", NO_PROXY) == []


def test_split_separates_the_credentials():
    assert proxy_split("http://wsl-tester:%s@proxy.corp.example.com:3128/" % SECRET) == {
        "url": "http://proxy.corp.example.com:3128",
        "scheme": "http",
        "host": "proxy.corp.example.com",
        "port": 3128,
        "login": "wsl-tester",
        "password": "s3cr@t",
        "machine": "http://proxy.corp.example.com:3128",
    }


def test_split_without_credentials_or_port():
    parts = proxy_split("https://proxy.corp.example.com")
    assert parts["url"] == "https://proxy.corp.example.com"
    assert parts["login"] is None and parts["password"] is None
    # apt_auth.conf(5): an entry without a scheme matches https only; the port is the scheme's.
    assert parts["machine"] == "https://proxy.corp.example.com:443"
    assert proxy_split("") == {}


def test_filters_are_registered_and_split_hides_the_value():
    filters = FilterModule().filters()
    assert set(filters) == {"proxy_problems", "proxy_split"}
    with pytest.raises(AnsibleFilterError) as caught:
        filters["proxy_split"]("http://user:%s@proxy:3128\n" % SECRET)
    assert SECRET not in str(caught.value)
