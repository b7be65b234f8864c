# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: proxy_problems
short_description: Check the proxy settings of C(wsl.cuda.proxy) and split a proxy URL from its credentials
version_added: 0.2.0
author: wsl.cuda maintainers
description:
  - C(proxy_problems) returns what is wrong with C(proxy_http), C(proxy_https) and C(proxy_no_proxy), one
    sentence per problem that names the variable and never its value (a proxy URL may hold a password).
    An empty list means the settings are usable.
  - C(proxy_split) (in this file too) turns a proxy URL into C(url), the URL without C(user:password@), which
    apt's configuration and logs may show, and the credentials, which go only into apt_auth.conf(5).
  - Values must match as a whole; a final line break is refused like any other control character, so that no
    value can add a line to apt's configuration, dockerd's environment file or a systemd unit.
positional: _input
options:
  _input:
    description: C(proxy_http).
    type: str
    required: true
  https:
    description: C(proxy_https).
    type: str
    required: true
  no_proxy:
    description: C(proxy_no_proxy), a list of host names, addresses, domain suffixes or CIDR ranges.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Check the proxy settings
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ proxy_http | wsl.cuda.proxy_problems(proxy_https, proxy_no_proxy) }}"

- name: Show the proxy without its password
  ansible.builtin.debug:
    msg: "{{ (proxy_http | wsl.cuda.proxy_split).url }}"
"""

RETURN = r"""
_value:
  description: The problems, each a sentence naming the variable; empty when the settings are usable.
  type: list
  elements: str
  sample: ["proxy_http must be empty or a proxy URL such as http://proxy.corp.example.com:3128 ..."]
"""

import re
from urllib.parse import unquote

from ansible.errors import AnsibleFilterError

# scheme://[user[:password]@]host[:port][/]: no quotes, backslashes, spaces or other characters that a shell,
# systemd or apt.conf would read differently (percent-encode them in a password). fullmatch: nothing after.
_URL = re.compile(
    r"(?P<scheme>https?)://(?:(?P<user>[A-Za-z0-9._~%!&()*+,;=-]*)(?::(?P<password>[A-Za-z0-9._~%!&()*+,;=:-]*))?@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?/?"
)
_NO_PROXY = re.compile(r"[A-Za-z0-9.*:/\[\]_-]+")
# apt_auth.conf(5) splits its tokens at white space and has no quoting.
_AUTH_TOKEN = re.compile(r"[^\s#]+")

_URL_HINT = (
    "must be empty or a proxy URL such as http://proxy.corp.example.com:3128 (user:password@ allowed, with "
    "special characters percent-encoded; nothing after the port)"
)


def proxy_split(url):
    """Split a proxy URL into the URL without credentials and the credentials (percent-decoded).

    Returns {} for an empty value and None for one that is not a proxy URL.
    """
    if not url:
        return {}
    if not isinstance(url, str):
        return None
    match = _URL.fullmatch(url)
    if not match:
        return None
    parts = match.groupdict()
    port = parts["port"] or ("443" if parts["scheme"] == "https" else "80")
    bare = "%s://%s%s" % (parts["scheme"], parts["host"], (":" + parts["port"]) if parts["port"] else "")
    has_credentials = parts["user"] is not None
    return {
        "url": bare,
        "scheme": parts["scheme"],
        "host": parts["host"],
        "port": int(port),
        "login": unquote(parts["user"]) if has_credentials else None,
        "password": unquote(parts["password"] or "") if has_credentials else None,
        # apt_auth.conf(5): without a protocol an entry matches https only, so the proxy's scheme is named.
        "machine": "%s://%s:%s" % (parts["scheme"], parts["host"], port),
    }


def proxy_problems(http, https, no_proxy):
    """Return the problems of the proxy settings, naming the variables but never their values."""
    problems = []
    split = {}
    for name, value in (("proxy_http", http), ("proxy_https", https)):
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems.append("%s %s; got a %s." % (name, _URL_HINT, type(value).__name__))
            continue
        parts = proxy_split(value)
        if parts is None:
            problems.append("%s %s." % (name, _URL_HINT))
            continue
        split[name] = parts
        if parts.get("login") is not None:
            if not parts["login"] or not _AUTH_TOKEN.fullmatch(parts["login"]) or not _AUTH_TOKEN.fullmatch(parts["password"] or "x"):
                problems.append(
                    "The user name or password in %s is empty after percent-decoding or holds a space, a '#' or a "
                    "control character, which apt's auth.conf cannot hold: use a proxy account without them." % name
                )
            elif not parts["password"]:
                problems.append("%s names a user without a password (user:password@): add the password or drop the user." % name)
    if "proxy_http" in split and "proxy_https" in split:
        one, two = split["proxy_http"], split["proxy_https"]
        if one and two and one["machine"] == two["machine"] and (one["login"], one["password"]) != (two["login"], two["password"]):
            problems.append(
                "proxy_http and proxy_https name the same proxy with different credentials; apt would use one "
                "of them for both: give both the same user:password@, or only one of them."
            )
    if isinstance(no_proxy, str) or not isinstance(no_proxy, (list, tuple)):
        problems.append(
            "proxy_no_proxy must be a YAML list of host names, addresses, domain suffixes or CIDR ranges, e.g. "
            "[localhost, 127.0.0.1, .corp.example.com]; got a %s." % type(no_proxy).__name__
        )
    else:
        bad = [item for item in no_proxy if not isinstance(item, str) or not _NO_PROXY.fullmatch(item)]
        if bad:
            problems.append(
                "proxy_no_proxy must list host names, addresses, domain suffixes or CIDR ranges without spaces, commas "
                "or line breaks, e.g. [localhost, 127.0.0.1, .corp.example.com]; got %s" % ", ".join(
                    repr(item) for item in bad
                ) + "."
            )
    return problems


def _split_filter(url):
    parts = proxy_split(url)
    if parts is None:
        # The value is not shown: it may hold a password.
        raise AnsibleFilterError("wsl.cuda.proxy_split: not a proxy URL (scheme://[user:password@]host[:port])")
    return parts


class FilterModule(object):
    def filters(self):
        return {"proxy_problems": proxy_problems, "proxy_split": _split_filter}
