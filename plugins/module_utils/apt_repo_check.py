# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One check of wsl.cuda.apt_repo_check: its options and its answer, for that module and for wsl.cuda.host_state.

``check(module, params)`` returns the module's result; a refusal raises ``Refused`` with the result it fails with
(``msg`` and, for the repositories, ``problems``). ``module`` is the calling AnsibleModule: the options may be one
entry of host_state's ``repositories``, so the check reads ``params`` and nothing else of the module's own options
(``Asking`` hands them to ansible-core's fetch_url and turns the key check's fail_json into ``Refused``).
"""

from __future__ import annotations

import os
import re

from ansible_collections.wsl.cuda.plugins.module_utils import apt_repository
from ansible_collections.wsl.cuda.plugins.module_utils.apt_repo import FetchError, check_repository, pin_problem, resolve_version
from ansible_collections.wsl.cuda.plugins.module_utils.openpgp import OpenPGPError, dearmor
from ansible_collections.wsl.cuda.plugins.module_utils.pinned_key import pinned_key, proxy_settings

ARGUMENT_SPEC = dict(
    key=dict(type="str", no_log=False),
    key_url=dict(type="str", no_log=False),
    keyring=dict(type="path", no_log=False),
    fingerprint_option=dict(type="str", default="fingerprint"),
    hint=dict(type="str", default=""),
    fingerprint=dict(type="str", required=True),
    repositories=dict(type="list", elements="raw", required=True),
    indexes=dict(type="list", elements="str", default=["Packages"]),
    variable=dict(type="str", required=True),
    packages=dict(type="list", elements="str", default=[]),
    pins=dict(type="list", elements="dict", default=[], options=dict(
        package=dict(type="str", required=True),
        version=dict(type="str", default=""),
        variable=dict(type="str", required=True),
    )),
    source=dict(type="path"),
    source_lines=dict(type="list", elements="str", default=[]),
    setup=dict(type="dict", options=dict(
        content=dict(type="str", required=True),
        remove_sources=dict(type="list", elements="path", default=[]),
        remove_keys=dict(type="list", elements="str", default=[], no_log=False),
        global_keyring=dict(type="path", default="/etc/apt/trusted.gpg", no_log=False),
        global_keyring_dir=dict(type="path", default="/etc/apt/trusted.gpg.d", no_log=False),
    )),
    proxy_env=dict(type="dict", default={}, no_log=True),
    timeout=dict(type="int", default=30),
    validate_certs=dict(type="bool", default=True),
)
# The constraints between the options, as AnsibleModule (and a suboption spec) takes them.
CONSTRAINTS = dict(
    required_one_of=[("key", "key_url")],
    mutually_exclusive=[("key", "key_url")],
    required_by=dict(setup=["keyring", "source"]),
)


class Refused(Exception):
    """The check refuses: ``result`` is what the module fails with."""

    def __init__(self, result):
        Exception.__init__(self, result["msg"])
        self.result = result


class Asking(object):
    """The calling module as one check sees it: ``params`` are the check's options, and a failure raises Refused."""

    def __init__(self, module, params):
        self._module = module
        self.params = params

    def fail_json(self, msg, **kwargs):
        raise Refused(dict(kwargs, msg=msg))

    def __getattr__(self, name):
        return getattr(self._module, name)


def source_lines_in_place(path, lines):
    """Whether the file at path holds exactly these lines, comments and blank lines aside."""
    if not path or not os.path.isfile(path):
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            current = [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]
    except OSError:
        return False
    return current == [line.strip() for line in lines]


def normalize_repository(repo, indexes, variable):
    """{url, indexes, variable} of one entry of O(repositories) (a URL, or a dict that overrides the defaults)."""
    if isinstance(repo, str):
        repo = {"url": repo}
    if not isinstance(repo, dict) or not isinstance(repo.get("url"), str) or set(repo) - {"url", "indexes", "variable"}:
        raise Refused(dict(msg="Each entry of repositories must be a URL or a dict with url (and indexes, variable); got %r." % (repo,)))
    return {"url": repo["url"], "indexes": list(repo.get("indexes") or indexes), "variable": repo.get("variable") or variable}


def setup_result(module, params):
    """{setup_needed: ...} when O(setup) is given (what wsl.cuda.apt_repository would do, in its check mode), else {}."""
    if params["setup"] is None:
        return {}
    options = dict(params["setup"], state="present", key=params["key"], keyring=params["keyring"],
                   source=params["source"], update=True)

    def run(argv):
        return module.run_command(argv, environ_update=dict(LANG="C", LC_ALL="C", LC_MESSAGES="C"))

    plan = apt_repository.apply(options, run, check_mode=True)
    return dict(setup_needed=plan["changed"])


def check(module, params):
    """wsl.cuda.apt_repo_check's result for params (its options), or Refused."""
    module = Asking(module, params)
    key_result = {}
    if params["key_url"]:
        found = pinned_key(module, params["key_url"], params)
        params = dict(params, key=found["key"])
        key_result = dict(key=found["key"], key_fetched=found["fetched"], key_replaced_reason=found["replaced_reason"])
    pins = [pin for pin in params["pins"] if pin["version"]]
    packages = list(params["packages"]) + [pin["package"] for pin in pins if pin["package"] not in params["packages"]]
    empty = dict((name, []) for name in packages)
    if not packages and source_lines_in_place(params["source"], params["source_lines"]):
        return dict(repositories=[], versions=empty, resolved={}, problems=[], source_in_place=True,
                    **dict(key_result, **setup_result(module, params)))

    pinned = re.sub(r"\s", "", params["fingerprint"]).upper()
    try:
        key_binary = b"".join(dearmor(params["key"]))
    except OpenPGPError as exc:
        raise Refused(dict(msg="The pinned key given to apt_repo_check is not ASCII-armored OpenPGP: %s" % exc))
    if not key_binary:
        raise Refused(dict(msg="The pinned key given to apt_repo_check holds no armored block."))
    # apt's own verifier: gpgv up to Debian 12 and Ubuntu 24.04, Sequoia's sqv from Debian 13 on.
    gpgv = module.get_bin_path("gpgv") or module.get_bin_path("sqv")
    if not gpgv:
        raise Refused(dict(msg="Neither gpgv nor sqv is installed, so no apt repository signature can be checked: "
                               "install gpgv (sudo apt-get install gpgv), which apt itself needs."))
    os.environ.update(proxy_settings(params["proxy_env"]))

    def fetch(url):
        # Imported here: a check that finds the source in place fetches nothing, and urls costs a tenth of a second.
        from ansible.module_utils.urls import fetch_url

        response, info = fetch_url(module, url, timeout=params["timeout"])
        if response is None or (not url.startswith("file:") and info.get("status") != 200):
            raise FetchError("%s (%s)" % (info.get("msg", "no answer"), info.get("status")))
        return response.read()

    results, problems, versions = [], [], dict(empty)
    for repo in params["repositories"]:
        repo = normalize_repository(repo, params["indexes"], params["variable"])
        url = repo["url"] if repo["url"].endswith("/") else repo["url"] + "/"
        if not re.match(r"^(https?|file)://", url):
            result = {"url": url, "release": None, "versions": dict(empty),
                      "problem": "is not an http://, https:// or file:// URL"}
        else:
            result = check_repository(fetch, gpgv, key_binary, pinned, url, repo["indexes"], packages)
        result["variable"] = repo["variable"]
        results.append(result)
        if result["problem"]:
            problems.append(
                "%s: the repository at %s %s. Check %s (a mirror must serve the repository's own signed files)"
                " and the network or proxy; nothing was written." % (repo["variable"], url, result["problem"], repo["variable"])
            )
        for name, found in result["versions"].items():
            versions[name] = versions.get(name, []) + [v for v in found if v not in versions.get(name, [])]
    resolved = {}
    if not problems:
        where = ", ".join(result["url"] for result in results)
        for pin in pins:
            problem = pin_problem(pin["variable"], pin["package"], pin["version"], versions[pin["package"]], where)
            if problem:
                problems.append(problem)
            else:
                resolved[pin["package"]] = resolve_version(versions[pin["package"]], pin["version"])
    if problems:
        raise Refused(dict(msg=" ".join(problems), problems=problems, repositories=results, versions=versions,
                           resolved=resolved, source_in_place=False, **key_result))
    return dict(repositories=results, versions=versions, resolved=resolved, problems=[], source_in_place=False,
                **dict(key_result, **setup_result(module, params)))
