"""Role contracts: defaults/main.yml and meta/argument_specs.yml agree, and the apt sources render
as upstream documents them on the distributions the collection supports (Ubuntu cannot run here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import jinja2
import jinja2.nativetypes
import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = os.path.join(REPO, "roles")
ROLE_NAMES = sorted(
    # Public roles; _common is internal and has no options of its own.
    name for name in os.listdir(ROLES)
    if not name.startswith("_") and os.path.isfile(os.path.join(ROLES, name, "tasks", "main.yml"))
)


def _load(*parts):
    with open(os.path.join(ROLES, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def test_all_roles_found():
    for name in ("docker_engine", "nvidia_repo", "nvidia_container_toolkit"):
        assert name in ROLE_NAMES


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_defaults_equal_argument_spec(role):
    defaults = _load(role, "defaults", "main.yml")
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options), (
        "roles/%s: only in defaults/main.yml: %s; only in meta/argument_specs.yml: %s"
        % (role, sorted(set(defaults) - set(options)), sorted(set(options) - set(defaults)))
    )


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_option_documented(role):
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, spec in options.items():
        assert name.startswith(role + "_"), "%s: public variables start with the role's name" % name
        assert spec.get("type"), "roles/%s: option %s has no type" % (role, name)
        assert spec.get("description"), "roles/%s: option %s has no description" % (role, name)
        if spec["type"] == "list":
            assert spec.get("elements"), "roles/%s: list option %s has no elements" % (role, name)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_spec_default_matches_defaults(role):
    """The spec's default is documentation only; it must not tell a different story."""
    defaults = _load(role, "defaults", "main.yml")
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, spec in options.items():
        if "default" in spec and name in defaults:
            assert spec["default"] == defaults[name], "roles/%s: %s default differs" % (role, name)


# --- rendering of the per-distribution data and the sources ------------------------------------

FACTS = {
    "debian12": {"distribution": "Debian", "distribution_major_version": "12", "os_family": "Debian",
                 "distribution_release": "bookworm", "architecture": "x86_64"},
    "debian13": {"distribution": "Debian", "distribution_major_version": "13", "os_family": "Debian",
                 "distribution_release": "trixie", "architecture": "x86_64"},
    "ubuntu2204": {"distribution": "Ubuntu", "distribution_major_version": "22", "os_family": "Debian",
                   "distribution_release": "jammy", "architecture": "x86_64"},
    "ubuntu2404": {"distribution": "Ubuntu", "distribution_major_version": "24", "os_family": "Debian",
                   "distribution_release": "noble", "architecture": "aarch64"},
    "debian14": {"distribution": "Debian", "distribution_major_version": "14", "os_family": "Debian",
                 "distribution_release": "forky", "architecture": "aarch64"},
    "fedora": {"distribution": "Fedora", "distribution_major_version": "41", "os_family": "RedHat",
               "distribution_release": "", "architecture": "x86_64"},
}


def _comment(text):
    return "\n".join("# " + line if line else "#" for line in text.splitlines())


class _Undefined(jinja2.ChainableUndefined, jinja2.StrictUndefined):
    """Ansible's undefined: an attribute of one is undefined too (so `registered.key | default(x)` works before the
    task registered anything), and using one otherwise fails."""


def _environment(native=False):
    factory = jinja2.nativetypes.NativeEnvironment if native else jinja2.Environment
    env = factory(undefined=_Undefined, keep_trailing_newline=True)
    env.filters["bool"] = lambda value: value if isinstance(value, bool) else str(value).lower() in ("true", "yes", "1")
    env.filters["comment"] = _comment
    env.filters["regex_replace"] = lambda value, pattern, repl="": re.sub(pattern, repl, value)
    return env


def _render(value, context):
    """Render every string in value until it has no Jinja left (defaults refer to defaults); a string that is
    one expression becomes its value (a list, a bool), as Ansible's templating gives it."""
    env = _environment(native=True)
    if isinstance(value, str):
        for _attempt in range(5):
            if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
                break
            value = env.from_string(value).render(context)
        return value
    if isinstance(value, list):
        return [_render(item, context) for item in value]
    if isinstance(value, dict):
        return {key: _render(item, context) for key, item in value.items()}
    return value


def role_vars(role, facts, overrides=None):
    """defaults, then vars/main.yml, then the per-distribution files that exist, in the order of
    wsl.cuda._common's tasks/set_vars.yml (__vars_file: the last one loaded, __vars_files: all of them)."""
    context = {"ansible_facts": facts, "ansible_managed": "Ansible managed"}
    context.update(_load(role, "defaults", "main.yml"))
    context.update(overrides or {})
    common = _load("_common", "vars", "main.yml")
    context["__common_distribution_supported"] = facts["distribution"] in common["__common_supported_distributions"]
    if os.path.exists(os.path.join(ROLES, role, "vars", "main.yml")):
        context.update(_load(role, "vars", "main.yml"))
    context["__vars_files"] = []
    for candidate in _render(common["__common_vars_files"], context):
        if os.path.exists(os.path.join(ROLES, role, "vars", candidate)):
            context.update(_load(role, "vars", candidate))
            context["__vars_file"] = candidate
            context["__vars_files"].append(candidate)
    # Values that refer to other variables or facts, as Ansible would see them.
    return {key: _render(value, context) for key, value in context.items()}


def render_template(role, template, context):
    with open(os.path.join(ROLES, role, "templates", template), encoding="utf-8") as handle:
        return _environment().from_string(handle.read()).render(context)


def deb_lines(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(
    "host, vars_file, codename, arch",
    [
        ("debian12", "Debian_12.yml", "bookworm", "amd64"),
        ("debian13", "Debian_13.yml", "trixie", "amd64"),
        ("ubuntu2204", "Ubuntu_22.yml", "jammy", "amd64"),
        ("ubuntu2404", "Ubuntu_24.yml", "noble", "arm64"),
        ("debian14", "Debian.yml", "forky", "arm64"),
    ],
)
def test_docker_source(host, vars_file, codename, arch):
    facts = FACTS[host]
    context = role_vars("docker_engine", facts)
    assert context["__vars_file"] == vars_file
    assert context["__docker_engine_supported"] is True
    assert context["__docker_engine_codename"] == codename
    context["__docker_engine_arch"] = context["__docker_engine_arch_map"][facts["architecture"]]
    text = render_template("docker_engine", "docker.list.j2", context)
    assert text.startswith("# Ansible managed\n")
    distribution = facts["distribution"].lower()
    assert deb_lines(text) == [
        "deb [arch=%s signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/%s %s stable"
        % (arch, distribution, codename)
    ]
    channels = context["__docker_engine_channels"]
    assert channels["docker"]["packages"] == [
        "docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"
    ]
    assert channels["distro"]["packages"] == ["docker.io"]
    # Each channel removes the other's packages, never its own.
    assert "docker.io" in channels["docker"]["conflicts"]
    assert "docker-ce" in channels["distro"]["conflicts"]
    for name in ("docker", "distro"):
        assert not set(channels[name]["packages"]) & set(channels[name]["conflicts"])
        assert set(channels[name]["versioned"]) <= set(channels[name]["packages"])
    if facts["distribution"] == "Ubuntu":
        assert "docker-compose-v2" in channels["docker"]["conflicts"]


def test_docker_source_mirror_url():
    context = role_vars("docker_engine", FACTS["debian12"],
                        {"docker_engine_repo_url": "file:///srv/mirror/download.docker.com/linux/debian/"})
    context["__docker_engine_arch"] = "amd64"
    assert context["docker_engine_repo_key_url"] == "file:///srv/mirror/download.docker.com/linux/debian//gpg"
    assert deb_lines(render_template("docker_engine", "docker.list.j2", context)) == [
        "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] file:///srv/mirror/download.docker.com/linux/debian"
        " bookworm stable"
    ]


@pytest.mark.parametrize("role", ["docker_engine", "nvidia_repo", "nvidia_container_toolkit"])
def test_unsupported_distribution_refused(role):
    context = role_vars(role, FACTS["fedora"])
    # No per-OS file: vars/main.yml's values, which refuse it (there is no default.yml any more).
    assert context["__vars_files"] == []
    assert context["__%s_supported" % role] is False


@pytest.mark.parametrize("host", ["debian12", "debian13", "ubuntu2204", "ubuntu2404"])
@pytest.mark.parametrize(
    "channels, expected",
    [
        (["stable"], ["stable"]),
        (["stable", "experimental"], ["stable", "experimental"]),
        (["experimental", "experimental"], ["experimental"]),
    ],
)
def test_nvidia_source(host, channels, expected):
    context = role_vars("nvidia_repo", FACTS[host], {"nvidia_repo_channels": channels})
    assert context["__nvidia_repo_supported"] is True
    assert context["nvidia_repo_key_url"] == "https://nvidia.github.io/libnvidia-container/gpgkey"
    text = render_template("nvidia_repo", "nvidia-container-toolkit.list.j2", context)
    assert deb_lines(text) == [
        "deb [signed-by=/etc/apt/keyrings/nvidia-container-toolkit.asc]"
        " https://nvidia.github.io/libnvidia-container/%s/deb/$(ARCH) /" % channel
        for channel in expected
    ]


@pytest.mark.parametrize("host", ["debian12", "debian13", "ubuntu2204", "ubuntu2404"])
def test_toolkit_vars(host):
    context = role_vars("nvidia_container_toolkit", FACTS[host])
    assert context["__nvidia_container_toolkit_supported"] is True
    assert context["__nvidia_container_toolkit_versioned"] == [
        "nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container-tools", "libnvidia-container1"
    ]
    # wsl.cuda.daemon_json merges it as {"runtimes": {NAME: RUNTIME}}.
    assert context["__nvidia_container_toolkit_runtime_name"] == "nvidia"
    assert context["__nvidia_container_toolkit_runtime"] == {"path": "nvidia-container-runtime", "args": []}


def test_pinned_fingerprints_are_upstreams():
    assert _load("docker_engine", "defaults", "main.yml")["docker_engine_repo_key_fingerprint"] == \
        "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    assert _load("nvidia_repo", "defaults", "main.yml")["nvidia_repo_key_fingerprint"] == \
        "C95B321B61E88C1809C4F759DDCAE044F796ECB0"


# --- bad input is stopped by the argument spec before any task runs ------------------------------

PLAY = """
- hosts: localhost
  gather_facts: true
  gather_subset: [min]
  roles:
    - role: wsl.cuda.{role}
"""


def _run_role_in_check_mode(tmp_path, role, extra):
    """Run one role of the collection in check mode on localhost with extra vars; return (process, output)."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY.format(role=role))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "--check", str(playbook), "-e", "ansible_python_interpreter=" + sys.executable, "-e", extra],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240, check=False,
    )
    return result, result.stdout.decode()


@pytest.mark.parametrize(
    "role, extra, message",
    [
        ("nvidia_repo", '{"nvidia_repo_channels": ["nightly"]}', "nvidia_repo_channels"),
        ("nvidia_repo", '{"nvidia_repo_channels": "stable,bogus"}', "nvidia_repo_channels"),
        ("docker_engine", '{"docker_engine_channel": "snap"}', "docker_engine_channel"),
        ("docker_engine", '{"docker_engine_users": {"alice": 1}}', "docker_engine_users"),
        ("nvidia_container_toolkit", '{"nvidia_container_toolkit_cdi": "maybe"}', "nvidia_container_toolkit_cdi"),
    ],
)
def test_argument_spec_rejects(tmp_path, role, extra, message):
    result, output = _run_role_in_check_mode(tmp_path, role, extra)
    assert result.returncode != 0, output
    assert "Validating arguments against arg spec" in output, output
    assert "Validating arguments against arg spec" in output and "FAILED" in output, output
    # The validation failure names the variable in its message.
    failure = output[output.index("Validating arguments"):]
    assert re.search(r"(argument|option|value of) '?%s'?" % message, failure) or message in failure.split("msg:", 1)[-1], output
    # Nothing after the validation ran.
    assert "Load the variables of this distribution" not in output, output


@pytest.mark.parametrize(
    "role, extra, message",
    [
        ("docker_engine", '{"docker_engine_version": ["27.3.1"]}', "docker_engine_version must be a string"),
        ("nvidia_repo", '{"nvidia_repo_key_fingerprint": ["C95B"]}', "nvidia_repo_key_fingerprint must be a string"),
        ("nvidia_container_toolkit", '{"nvidia_container_toolkit_version": 1.17}',
         "nvidia_container_toolkit_version must be a string"),
        ("nvidia_repo", '{"nvidia_repo_channels": "stable,experimental"}', "nvidia_repo_channels must be a YAML list"),
        ("docker_engine", '{"docker_engine_users": "alice"}', "docker_engine_users must be a YAML list"),
    ],
)
def test_list_where_string_belongs(tmp_path, role, extra, message):
    """ansible-core's spec validation converts a list to a string; the preflight refuses it, first thing."""
    result, output = _run_role_in_check_mode(tmp_path, role, extra)
    assert result.returncode != 0, output
    assert message in output, output
    assert "Check that this distribution" not in output, output


@pytest.mark.parametrize(
    "role, extra, names",
    [
        ("nbody_smoke", '{"nbody_smoke_report": "r.json", "nbody_smoke_args": ["-cpu"], "nbody_smoke_image_digest": "x"}',
         ["nbody_smoke_report", "nbody_smoke_args", "nbody_smoke_image_digest"]),
        ("dockerd_startup", '{"dockerd_startup_log": "d.log", "dockerd_startup_timeout": 0}',
         ["dockerd_startup_log", "dockerd_startup_timeout"]),
        ("nvidia_container_toolkit", '{"nvidia_container_toolkit_daemon_json": "relative/daemon.json"}',
         ["nvidia_container_toolkit_daemon_json"]),
    ],
)
def test_role_alone_lists_every_problem_before_anything_changes(tmp_path, role, extra, names):
    """A role run alone runs its tasks/validate.yml first and refuses with all of its problems at once."""
    result, output = _run_role_in_check_mode(tmp_path, role, extra)
    assert result.returncode != 0, output
    assert "The settings of %s cannot be used; nothing was changed:" % role in output, output
    for name in names:
        assert "- %s " % name in output, output
    assert "_Ansible" not in output, output
    assert re.search(r"changed=0 ", output), output
