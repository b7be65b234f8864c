# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: input_problems
short_description: Every problem of a site-play role's variables, each naming the variable and the remedy
version_added: 0.3.0
author: wsl.cuda maintainers
description:
  - Checks the values of one role's public variables against the role's argument spec (the C(options) of
    C(meta/argument_specs.yml)'s C(main) entry point) strictly, as ansible-core's own validation does not (it
    quietly turns a list or a number into a string) - C(type) (C(str), C(path), C(list) with C(elements), C(bool),
    C(int), C(float), C(dict)) and C(choices) - and then the role's own rules (absolute paths, URLs the role can
    fetch, fingerprints, ranges, options that need each other).
  - Returns one sentence per problem, each naming the variable and what to do; an empty list means the values
    are usable. All problems are returned at once, so that a user fixes them in one go.
  - A variable of type C(path) must be an absolute path (or empty where its default is empty).
  - URLs (C(*_url)) must be C(http://), C(https://) or C(file://) URLs, which the roles can fetch.
  - Proxy values are never shown (they may hold a password); the proxy rules are C(wsl.cuda.proxy_problems)'.
  - For the site play's C(wsl_gpu_*) variables (the module C(wsl.cuda.wsl_gpu)'s options), pass C(none) as the
    options; the spec is this filter's own, and a value that is C(none) counts as not set. C(wsl_gpu_fatal_checks)
    takes the module's check names (read from its module_utils, not copied).
positional: _input, options, role
options:
  _input:
    description: The values, C(variable name => value); a variable that is missing is not checked.
    type: dict
    required: true
  options:
    description: The C(options) of the role's argument spec (C(none) for C(wsl_gpu)).
    type: dict
    required: true
  role:
    description: The role (C(proxy), C(nvidia_repo), C(docker_engine), C(nvidia_container_toolkit), C(dockerd_startup),
      C(nbody_smoke)) or C(wsl_gpu), whose own rules apply.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Collect the problems of nvidia_repo's variables
  ansible.builtin.set_fact:
    __nvidia_repo_problems: "{{ values | wsl.cuda.input_problems(options, 'nvidia_repo') }}"
  vars:
    options: "{{ (lookup('ansible.builtin.file', role_path ~ '/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"
    values: "{{ dict(options.keys() | zip(lookup('ansible.builtin.vars', *options.keys(), wantlist=True))) }}"
"""

RETURN = r"""
_value:
  description: The problems, one sentence each naming the variable; empty when the values are usable.
  type: list
  elements: str
  sample: ["nvidia_container_toolkit_daemon_json must be an absolute path (it starts with /); got \"relative/daemon.json\"."]
"""

import json
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

from ansible_collections.wsl.cuda.plugins.filter.proxy import proxy_problems
from ansible_collections.wsl.cuda.plugins.module_utils.wsl_gpu import CHECK_NAMES

FINGERPRINT = re.compile(r"[0-9A-F]{40}")
SHA256 = re.compile(r"[0-9a-fA-F]{64}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
URL = re.compile(r"(https?|file)://\S+")
# The module wsl.cuda.wsl_gpu's options as the site play passes them (wsl_gpu_<option>).
WSL_GPU_OPTIONS = {
    "wsl_gpu_root": {"type": "path", "default": "/"},
    "wsl_gpu_kernel_release": {"type": "str"},
    "wsl_gpu_environ": {"type": "dict"},
    "wsl_gpu_probe_cuda": {"type": "bool"},
    "wsl_gpu_fatal_checks": {"type": "list", "elements": "str", "choices": list(CHECK_NAMES)},
}
CLI_LIST = " (from the command line: -e '{\"%s\": [\"a\", \"b\"]}')"


def shown(value):
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _type_name(value):
    # isinstance, not type(): ansible-core 2.19 hands filters tagged subclasses of str, dict and list.
    for kind, name in ((bool, "boolean"), (str, "string"), ((int, float), "number"), (dict, "mapping"),
                       ((list, tuple), "list")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def _is_bool(value):
    if isinstance(value, bool):
        return True
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = value.lower() if isinstance(value, str) else value
        return text in BOOLEANS_TRUE or text in BOOLEANS_FALSE
    return False


def _number(value, kind):
    """The value as an int or float, or None when it is not one (a boolean is not a number)."""
    if isinstance(value, bool):
        return None
    if kind == "int":
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
            return int(value)
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def spec_problem(name, value, spec):
    """The problem of one value against its argument spec entry, or None."""
    kind = spec.get("type", "str")
    got = "; got %s %s." % (_type_name(value), shown(value))
    if kind in ("str", "path"):
        if not isinstance(value, str):
            return "%s must be a string%s Quote it in YAML (%s: \"...\")." % (name, got[:-1], name)
        if kind == "path" and not value.startswith("/") and not (value == "" and spec.get("default") == ""):
            return "%s must be an absolute path (it starts with /)%s" % (name, got)
    elif kind == "list":
        if not isinstance(value, (list, tuple)):
            return "%s must be a YAML list%s" % (name, got[:-1]) + CLI_LIST % name + "."
        elements = spec.get("elements")
        if elements == "str" and not all(isinstance(item, str) for item in value):
            return "%s must be a list of strings%s" % (name, got)
    elif kind == "bool":
        if not _is_bool(value):
            return "%s must be true or false%s" % (name, got)
    elif kind in ("int", "float"):
        if _number(value, kind) is None:
            return "%s must be a%s number%s" % (name, "" if kind == "float" else " whole", got)
    elif kind == "dict":
        if not isinstance(value, dict):
            return "%s must be a YAML mapping%s" % (name, got)
    choices = spec.get("choices")
    if choices:
        items = value if kind == "list" else [value]
        wrong = [item for item in items if item not in choices]
        if wrong:
            return "%s must be %s of %s%s" % (
                name, "one or more" if kind == "list" else "one", ", ".join(str(c) for c in choices), got)
    return None


def url_problem(name, value):
    if isinstance(value, str) and not URL.fullmatch(value):
        return ("%s must be an http://, https:// or file:// URL the role can fetch; got %s. For a company mirror,"
                " give its URL, e.g. https://mirror.example.com/..." % (name, shown(value)))
    return None


def fingerprint_problem(name, value, example):
    if isinstance(value, str) and not FINGERPRINT.fullmatch(re.sub(r"\s", "", value).upper()):
        return ("%s must be the 40 hex digits of the repository key's primary-key fingerprint (spaces allowed),"
                " e.g. %s; got %s." % (name, example, shown(value)))
    return None


def _nvidia_repo(values, bad):
    yield url_problem("nvidia_repo_base_url", values.get("nvidia_repo_base_url"))
    yield url_problem("nvidia_repo_key_url", values.get("nvidia_repo_key_url"))
    yield fingerprint_problem("nvidia_repo_key_fingerprint", values.get("nvidia_repo_key_fingerprint"),
                              "C95B 321B 61E8 8C18 09C4 F759 DDCA E044 F796 ECB0")
    channels = values.get("nvidia_repo_channels")
    if "nvidia_repo_channels" not in bad and isinstance(channels, list) and not channels:
        yield "nvidia_repo_channels must name at least one channel (stable, experimental); got []."


def _docker_engine(values, bad):
    yield url_problem("docker_engine_repo_url", values.get("docker_engine_repo_url"))
    yield url_problem("docker_engine_repo_key_url", values.get("docker_engine_repo_key_url"))
    yield fingerprint_problem("docker_engine_repo_key_fingerprint", values.get("docker_engine_repo_key_fingerprint"),
                              "9DC8 5822 9FC7 DD38 854A E2D8 8D81 803C 0EBF CD88")


def _dockerd_startup(values, bad):
    timeout = values.get("dockerd_startup_timeout")
    if "dockerd_startup_timeout" not in bad and "dockerd_startup_timeout" in values and _number(timeout, "int") <= 0:
        yield "dockerd_startup_timeout must be a positive number of seconds; got %s." % shown(timeout)


def _nbody_smoke(values, bad):
    if "nbody_smoke_image" not in bad and values.get("nbody_smoke_image") == "":
        yield "nbody_smoke_image must name the N-body image (default nvcr.io/nvidia/k8s/cuda-sample:nbody); got \"\"."
    for name in ("nbody_smoke_num_bodies", "nbody_smoke_min_gflops"):
        if name not in bad and name in values and _number(values[name], "float") < 0:
            yield "%s must not be negative; got %s." % (name, shown(values[name]))
    args = values.get("nbody_smoke_args")
    if "nbody_smoke_args" not in bad and isinstance(args, list):
        if "-benchmark" not in args:
            yield ("nbody_smoke_args must contain -benchmark (its result lines are what is checked); got %s."
                   % shown(args))
        if "-cpu" in args:
            yield "nbody_smoke_args must not contain -cpu (set nbody_smoke_compare_cpu: true instead); got %s." % shown(args)
    archive = values.get("nbody_smoke_image_archive")
    sha256 = values.get("nbody_smoke_image_archive_sha256")
    if "nbody_smoke_image_archive_sha256" not in bad and isinstance(sha256, str):
        if sha256 == "" and isinstance(archive, str) and archive:
            yield ("nbody_smoke_image_archive is set but nbody_smoke_image_archive_sha256 is not: the archive is loaded"
                   " into Docker only when its SHA-256 matches. Compute it where the archive was made, with `sha256sum %s`,"
                   " and set nbody_smoke_image_archive_sha256 to the 64 hex digits it prints." % archive)
        elif sha256 and not SHA256.fullmatch(sha256):
            yield ("nbody_smoke_image_archive_sha256 must be the 64 hex digits that `sha256sum ARCHIVE` prints; got %s."
                   % shown(sha256))
    digest = values.get("nbody_smoke_image_digest")
    if "nbody_smoke_image_digest" not in bad and isinstance(digest, str) and digest and not DIGEST.fullmatch(digest):
        yield ("nbody_smoke_image_digest must be empty or sha256: followed by 64 lower-case hex digits (the image ID or"
               " a repo digest); got %s." % shown(digest))


def _proxy(values, bad):
    names = ("proxy_http", "proxy_https", "proxy_no_proxy")
    if all(name in values for name in names):
        yield from proxy_problems(values["proxy_http"], values["proxy_https"], values["proxy_no_proxy"])


def _wsl_gpu(values, bad):
    environ = values.get("wsl_gpu_environ")
    if "wsl_gpu_environ" not in bad and isinstance(environ, dict):
        wrong = sorted(str(key) for key, value in environ.items() if not isinstance(value, str))
        if wrong:
            yield "wsl_gpu_environ must map names to strings; not a string: %s." % ", ".join(wrong)


ROLE_RULES = {
    "proxy": _proxy,
    "nvidia_repo": _nvidia_repo,
    "docker_engine": _docker_engine,
    "nvidia_container_toolkit": lambda values, bad: iter(()),
    "dockerd_startup": _dockerd_startup,
    "nbody_smoke": _nbody_smoke,
    "wsl_gpu": _wsl_gpu,
}


def input_problems(values, options, role):
    """Every problem of one role's variables: argument spec first, then the role's own rules."""
    if role not in ROLE_RULES:
        raise AnsibleFilterError("input_problems: unknown role %r (one of %s)" % (role, ", ".join(sorted(ROLE_RULES))))
    if not isinstance(values, dict):
        raise AnsibleFilterError("input_problems: the values must be a dict of variable name => value")
    if role == "wsl_gpu":
        options = WSL_GPU_OPTIONS
        values = dict((name, value) for name, value in values.items() if name in options and value is not None)
    problems, bad = [], set()
    for name, spec in (options or {}).items():
        if name not in values:
            continue
        # The proxy's URLs are checked by proxy_problems, which never shows them.
        if role == "proxy" and name in ("proxy_http", "proxy_https"):
            continue
        problem = spec_problem(name, values[name], spec or {})
        if problem:
            problems.append(problem)
            bad.add(name)
    problems.extend(problem for problem in ROLE_RULES[role](values, bad) if problem and problem.split(" ")[0] not in bad)
    return problems


class FilterModule(object):
    def filters(self):
        return {"input_problems": input_problems}
