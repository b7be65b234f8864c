# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CDI specification of a WSL GPU: check it, and regenerate or remove it when it is stale.

One place for this logic, with two entry points: the module ``wsl.cuda.cdi_spec`` (at play time) and,
at boot, this file run as a script (``python3 cdi_spec.py refresh ...``, installed by the role
``wsl.cuda.nvidia_container_toolkit`` as ``/usr/local/sbin/wsl-cuda-cdi-refresh``), which WSL's start
script (no systemd) or our systemd unit calls before dockerd starts. Standard library only: the host's
``python3`` at boot has no PyYAML, so the spec is written as JSON (which is YAML, and what Docker,
podman and the toolkit read from ``/etc/cdi`` and ``/var/run/cdi`` alike).

What a WSL spec from ``nvidia-ctk cdi generate --mode=wsl`` must name, each of which must exist
(toolkit ``pkg/nvcdi/driver-wsl.go``): the device node ``/dev/dxg``, ``libdxcore.so`` from
``/usr/lib/wsl/lib`` (without it NVML fails inside containers, NVIDIA/nvidia-container-toolkit#1739),
and the driver store's ``libcuda.so.1.1`` and ``nvidia-smi`` (``/usr/lib/wsl/drivers/<dir>/``, a
directory that Windows renames with every driver update).
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import time

DRIVER_STORE = "/usr/lib/wsl/drivers"
CDI_DIRS = ("/etc/cdi", "/var/run/cdi")
KIND = "nvidia.com/gpu"

# The files the spec must name (by base name) and where they must come from.
REQUIRED = (
    ("dxg", "device node /dev/dxg"),
    ("libdxcore", "libdxcore.so (WSL's /usr/lib/wsl/lib)"),
    ("libcuda", "the driver store's libcuda.so.1.1"),
    ("nvidia_smi", "the driver store's nvidia-smi"),
)

# Podman reads a spec only if its vendored CDI library knows the spec's cdiVersion. v0.7.0 added
# additionalGids (toolkit 1.19 writes them for device nodes that are not world read/writable):
# podman 4.9 fails with `unknown field "additionalGids"`, 5.1 is the first that reads v0.7.0
# (NVIDIA/nvidia-container-toolkit#1860).
PODMAN_MIN_FOR_CDI = (
    ("0.7.0", "5.1"),
    ("0.8.0", "5.1"),
)
# The toolkit's fallback for older consumers: no additionalGids, so the spec stays below v0.7.0.
NO_GIDS_FLAG = "no-additional-gids-for-device-nodes"
# The toolkit's own nvidia-cdi-refresh.service works on WSL from this version on (its condition on
# /dev/dxg and /usr/lib/wsl/lib/nvidia-smi, NVIDIA/nvidia-container-toolkit#1782).
TOOLKIT_REFRESH_WORKS_ON_WSL = "1.19.1"
# additionalGids (and with them the feature flag) came with toolkit 1.19.0.
TOOLKIT_KNOWS_GIDS_FLAG = "1.19.0"


def version_tuple(text):
    """``"1.19.1-1"``, ``"v0.7.0"``, ``"podman version 5.4.2"`` → ``(1, 19, 1)``; None when there is no version."""
    if text is None:
        return None
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def short_version(text):
    """``"podman version 4.9.3"`` → ``"4.9.3"``; the text itself when it holds no version."""
    parts = version_tuple(text)
    return ".".join(str(part) for part in parts) if parts else text


def version_at_least(text, minimum):
    have = version_tuple(text)
    want = version_tuple(minimum)
    return have is not None and want is not None and have >= want


def podman_min_version(cdi_version):
    """The oldest podman that reads a spec of this cdiVersion; None when any podman with CDI does."""
    have = version_tuple(cdi_version)
    if have is None:
        return None
    needed = None
    for spec_version, podman in PODMAN_MIN_FOR_CDI:
        if have >= version_tuple(spec_version):
            needed = podman
    return needed


def load_spec(text):
    """Parse a spec's text. JSON always; YAML when PyYAML is importable (a spec someone else wrote)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise ValueError("not JSON, and PyYAML is not installed to read it as YAML")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError("not valid YAML: %s" % exc)


def _edits(spec):
    edits = [spec.get("containerEdits") or {}]
    for device in spec.get("devices") or []:
        if isinstance(device, dict):
            edits.append(device.get("containerEdits") or {})
    return [e for e in edits if isinstance(e, dict)]


def _host_paths(spec):
    """Every host path the spec names: (what, path)."""
    found = []
    for edits in _edits(spec):
        for node in edits.get("deviceNodes") or []:
            path = node.get("hostPath") or node.get("path")
            if path:
                found.append(("device", path))
        for mount in edits.get("mounts") or []:
            if mount.get("hostPath"):
                found.append(("mount", mount["hostPath"]))
        for hook in edits.get("hooks") or []:
            if hook.get("path"):
                found.append(("hook", hook["path"]))
            args = hook.get("args") or []
            for index, arg in enumerate(args):
                # create-symlinks --link TARGET::LINK: TARGET is a host path mounted into the container.
                if index > 0 and args[index - 1] == "--link" and "::" in arg:
                    found.append(("link", arg.split("::", 1)[0]))
                # update-ldcache --folder DIR: a directory of the host mounted into the container.
                if index > 0 and args[index - 1] == "--folder":
                    found.append(("folder", arg))
    return found


def _additional_gids(spec):
    for edits in _edits(spec):
        if edits.get("additionalGids"):
            return True
    return False


def check_spec(spec, root="/", driver_store=DRIVER_STORE):
    """Check a parsed spec against the host (paths under ``root``). Returns a dict; ``ok`` says it can be trusted."""
    problems = []
    if not isinstance(spec, dict):
        return _result(None, [], {}, [], ["the file is not a CDI specification (no mapping at the top)"], False)
    kind = spec.get("kind")
    if kind != KIND:
        problems.append("its kind is %r, not %r" % (kind, KIND))
    names = [d.get("name") for d in spec.get("devices") or [] if isinstance(d, dict)]
    if "all" not in names:
        problems.append("it has no device 'all' (nvidia.com/gpu=all)")

    paths = _host_paths(spec)
    store_prefix = driver_store.rstrip("/") + "/"
    required = {}
    for what, path in paths:
        base = os.path.basename(path)
        key = None
        if what == "device" and path == "/dev/dxg":
            key = "dxg"
        elif what == "mount" and base == "libdxcore.so":
            key = "libdxcore"
        elif what == "mount" and base == "libcuda.so.1.1" and path.startswith(store_prefix):
            key = "libcuda"
        elif what == "mount" and base == "nvidia-smi" and path.startswith(store_prefix):
            key = "nvidia_smi"
        if key and key not in required:
            required[key] = {"path": path, "exists": _exists(root, path)}
    for key, label in REQUIRED:
        if key not in required:
            required[key] = {"path": None, "exists": False}
            problems.append("it does not name %s" % label)
        elif not required[key]["exists"]:
            problems.append("%s is gone: %s" % (label, required[key]["path"]))

    missing = sorted(set(path for _what, path in paths if not _exists(root, path)))
    other = [p for p in missing if p not in [r["path"] for r in required.values()]]
    if other:
        problems.append("%d more path(s) it names do not exist: %s" % (len(other), ", ".join(other[:5])))

    stores = sorted(set(
        store_prefix + path[len(store_prefix):].split("/", 1)[0]
        for _what, path in paths if path.startswith(store_prefix) and len(path) > len(store_prefix)
    ))
    return _result(spec, stores, required, missing, problems, not problems)


def _result(spec, stores, required, missing, problems, ok):
    spec = spec if isinstance(spec, dict) else {}
    cdi_version = spec.get("cdiVersion")
    return {
        "ok": ok,
        "kind": spec.get("kind"),
        "cdi_version": cdi_version,
        "devices": [d.get("name") for d in spec.get("devices") or [] if isinstance(d, dict)],
        "driver_stores": stores,
        "required": required,
        "missing": missing,
        "problems": problems,
        "additional_gids": _additional_gids(spec),
        "podman_min_version": podman_min_version(cdi_version),
    }


def _exists(root, path):
    return os.path.lexists(os.path.join(root, path.lstrip("/")))


def check_file(path, root="/", driver_store=DRIVER_STORE):
    """Read and check the spec file at ``path`` (under ``root``). Adds ``path``, ``exists`` and ``error``."""
    full = os.path.join(root, path.lstrip("/"))
    try:
        with open(full) as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        result = _result(None, [], {}, [], [], False)
        result.update({"path": path, "exists": os.path.exists(full), "error": None if not os.path.exists(full) else str(exc)})
        if result["exists"]:
            result["problems"] = ["it cannot be read: %s" % exc]
        return result
    try:
        spec = load_spec(text)
    except ValueError as exc:
        result = _result(None, [], {}, [], ["it cannot be parsed: %s" % exc], False)
        result.update({"path": path, "exists": True, "error": str(exc)})
        return result
    result = check_spec(spec, root=root, driver_store=driver_store)
    result.update({"path": path, "exists": True, "error": None})
    return result


def other_specs(keep, root="/", dirs=CDI_DIRS):
    """Spec files of kind nvidia.com/gpu in the CDI directories other than ``keep``: (path, check result)."""
    found = []
    for directory in dirs:
        for pattern in ("*.json", "*.yaml", "*.yml"):
            for full in sorted(glob.glob(os.path.join(root, directory.lstrip("/"), pattern))):
                path = os.path.join(directory, os.path.basename(full))
                if os.path.realpath(full) == os.path.realpath(os.path.join(root, keep.lstrip("/"))):
                    continue
                try:
                    with open(full) as handle:
                        head = handle.read()
                except (IOError, OSError):
                    continue
                if KIND not in head:
                    continue
                found.append((path, check_file(path, root=root)))
    return found


def podman_decision(podman_version, toolkit_version):
    """What to do for podman. Returns dict(feature_flags, message)."""
    if not podman_version:
        return {"feature_flags": [], "message": None}
    if version_at_least(podman_version, "5.1"):
        return {"feature_flags": [], "message": None}
    if not version_at_least(toolkit_version, TOOLKIT_KNOWS_GIDS_FLAG):
        # Toolkit 1.18 and older write no additionalGids: the spec stays below v0.7.0.
        return {"feature_flags": [], "message": None}
    return {
        "feature_flags": [NO_GIDS_FLAG],
        "message": (
            "podman %s is older than 5.1, the first that reads CDI specifications of version 0.7.0 "
            "(podman 4.9 fails with 'unknown field \"additionalGids\"', NVIDIA/nvidia-container-toolkit#1860): "
            "the spec is generated with --feature-flag %s, so that podman and Docker both read it"
            % (short_version(podman_version), NO_GIDS_FLAG)
        ),
    }


def generate_argv(output, feature_flags=(), nvidia_ctk="nvidia-ctk"):
    argv = [nvidia_ctk, "cdi", "generate", "--mode=wsl", "--format=json", "--output=" + output]
    for flag in feature_flags:
        argv.append("--feature-flag=" + flag)
    return argv


def _tool_version(argv):
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def plan(spec_path, podman_version=None, toolkit_version=None, root="/", force=False):
    """What ``refresh`` would do, without doing it: dict(before, regenerate, reason, decision)."""
    before = check_file(spec_path, root=root)
    decision = podman_decision(podman_version, toolkit_version)
    podman_ok = True
    if before["exists"] and before["ok"] and podman_version and before["podman_min_version"]:
        podman_ok = version_at_least(podman_version, before["podman_min_version"])
    if not before["exists"]:
        reason = "there is none"
    elif not before["ok"]:
        reason = "it is stale: " + "; ".join(before["problems"])
    elif not podman_ok:
        reason = "podman %s cannot read its cdiVersion %s" % (short_version(podman_version), before["cdi_version"])
    elif force:
        reason = "asked to"
    else:
        reason = None
    return {"before": before, "regenerate": reason is not None, "reason": reason, "decision": decision}


def refresh(spec_path, run, log, podman_version=None, toolkit_version=None, root="/", force=False,
            aside_suffix=None, generate=True):
    """Keep ``spec_path`` trustworthy: leave a good spec alone, else regenerate it; remove it when that fails.

    ``run(argv) -> (rc, output)`` runs a command, ``log(line)`` reports. Other nvidia.com/gpu specs in
    the CDI directories are moved aside (renamed to ``<name>.stale-<time>``, which CDI does not read)
    when they are stale or would define nvidia.com/gpu=all a second time.
    Returns dict(action=kept|regenerated|removed|failed, before, after, moved_aside, messages).
    """
    messages = []

    def say(line):
        messages.append(line)
        log(line)

    aside_suffix = aside_suffix or time.strftime(".stale-%Y%m%dT%H%M%S")
    moved = []
    for path, result in other_specs(spec_path, root=root):
        if result["ok"]:
            why = "a second definition of nvidia.com/gpu"
        elif result.get("error"):
            why = "a second definition of nvidia.com/gpu that cannot be checked (%s)" % result["error"]
        else:
            why = "stale (%s)" % "; ".join(result["problems"])
        full = os.path.join(root, path.lstrip("/"))
        os.rename(full, full + aside_suffix)
        moved.append(path + aside_suffix)
        say("moved %s aside to %s: %s" % (path, path + aside_suffix, why))

    # Without generating (after nvidia-cdi-refresh.service), podman's needs are met by the feature
    # flags in that service's environment file, not here: only a stale spec is removed.
    planned = plan(spec_path, podman_version if generate else None, toolkit_version, root=root, force=force)
    before, reason, decision = planned["before"], planned["reason"], planned["decision"]
    if not planned["regenerate"]:
        say("%s is current: it names %s, which exist" % (spec_path, ", ".join(before["driver_stores"]) or "no driver store"))
        return {"action": "kept", "before": before, "after": before, "moved_aside": moved, "messages": messages}

    full = os.path.join(root, spec_path.lstrip("/"))
    if generate:
        if decision["message"]:
            say(decision["message"])
        parent = os.path.dirname(full)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o755)
        rc, output = run(generate_argv(spec_path, decision["feature_flags"]))
        after = check_file(spec_path, root=root) if rc == 0 else None
        if rc == 0 and after["ok"]:
            say("regenerated %s (%s): it now names %s" % (spec_path, reason, ", ".join(after["driver_stores"])))
            return {"action": "regenerated", "before": before, "after": after, "moved_aside": moved, "messages": messages}
        why = ("nvidia-ctk cdi generate failed (rc %s): %s" % (rc, _last_lines(output))) if rc != 0 else \
            ("the new spec is not usable either: " + "; ".join(after["problems"]))
    else:
        why = "not regenerated here (nvidia-cdi-refresh.service generates it)"
    if os.path.lexists(full):
        os.remove(full)
        say("removed %s (%s; %s), so that it cannot break `docker run --gpus`" % (spec_path, reason, why))
        action = "removed"
    else:
        say("no CDI specification at %s (%s; %s)" % (spec_path, reason, why))
        action = "failed"
    return {"action": action, "before": before, "after": None, "moved_aside": moved, "messages": messages}


def _last_lines(text, count=3):
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "no output"


def _run(argv):
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              timeout=300, check=False)
    except OSError as exc:
        return 127, str(exc)
    return proc.returncode, proc.stdout


def main(argv=None):
    """``cdi_spec.py check|refresh [--spec PATH] [--force] [--json]``: exit 0 when a usable spec is in place."""
    import argparse  # pylint: disable=import-outside-toplevel

    parser = argparse.ArgumentParser(prog="wsl-cuda-cdi-refresh", description=main.__doc__)
    parser.add_argument("action", choices=["check", "refresh"], nargs="?", default="refresh")
    parser.add_argument("--spec", default="/etc/cdi/nvidia.json")
    parser.add_argument("--force", action="store_true", help="regenerate even a usable spec")
    parser.add_argument("--no-generate", action="store_true",
                        help="only check: remove an unusable spec instead of regenerating it (after nvidia-cdi-refresh)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    def log(line):
        if not args.json:
            _out("%s wsl-cuda-cdi-refresh: %s" % (time.strftime("%Y-%m-%dT%H:%M:%S%z"), line))

    if args.action == "check":
        result = check_file(args.spec)
        if args.json:
            _out(json.dumps(result, sort_keys=True))
        elif result["ok"]:
            log("%s is usable: it names %s" % (args.spec, ", ".join(result["driver_stores"])))
        else:
            log("%s is not usable: %s" % (args.spec, "; ".join(result["problems"]) or "there is none"))
        return 0 if result["ok"] else 1

    result = refresh(
        args.spec, _run, log,
        podman_version=_tool_version(["podman", "--version"]),
        toolkit_version=_tool_version(["nvidia-ctk", "--version"]),
        force=args.force, generate=not args.no_generate,
    )
    if args.json:
        _out(json.dumps(result, sort_keys=True))
    return 0 if result["action"] in ("kept", "regenerated") else 1


def _out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
