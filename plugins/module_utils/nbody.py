# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The N-body smoke test in plain functions (standard library only): parse what the CUDA sample printed, judge each
path of the test, put the JSON report together and say why a run failed. wsl.cuda.smoke_test runs the containers and
calls them; the filters wsl.cuda.nbody_results, wsl.cuda.smoke_path, wsl.cuda.nbody_report and wsl.cuda.nbody_failure
are these functions too."""

from __future__ import annotations

import re

from ansible_collections.wsl.cuda.plugins.module_utils import image_runs

_FLOAT = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"

_DEVICE_RE = re.compile(r'^GPU Device (\d+): "(.*)" with compute capability (\d+)\.(\d+)\s*$')
_COMPUTE_RE = re.compile(r"^> Compute (\d+)\.(\d+) CUDA device: \[(.*)\]\s*$")
_TIME_RE = re.compile(r"^(\d+) bodies, total time for (\d+) iterations: " + _FLOAT + r" ms\s*$")
_IPS_RE = re.compile(r"^= " + _FLOAT + r" billion interactions per second\s*$")
_GFLOPS_RE = re.compile(r"^= " + _FLOAT + r" (single|double)-precision GFLOP/s at (\d+) flops per interaction\s*$")
_PRECISION_RE = re.compile(r"^> (Single|Double) precision floating point simulation\s*$")
_CPU_RE = re.compile(r"^> Simulation with CPU")
_WARNING_RE = re.compile(
    r"^(MapSMtoCores|MapSMtoArchName|_ConvertSMVer2\w*) .*undefined"
    r"|^Warning\b|^Rounding up to the nearest multiple|^Advisory\b"
)
_SMI_LIST_RE = re.compile(r"^GPU (\d+): (.*?)(?: \(UUID: ([^)]*)\))?\s*$")
_ERROR_RE = re.compile(r"^(Error\b|CUDA error\b|.*\bcudaError\w*|.*\bfailed\b)", re.IGNORECASE)


def _empty():
    return {
        "ok": False,
        "gpu_name": None,
        "compute_capability": None,
        "device_arch": None,
        "bodies": None,
        "iterations": None,
        "total_time_ms": None,
        "interactions_per_second": None,
        "gflops": None,
        "precision": None,
        "flops_per_interaction": None,
        "mode": None,
        "warnings": [],
        "error": None,
    }


def parse_nbody(text):
    """Parse the stdout of ``nbody -benchmark``; see DOCUMENTATION."""
    if text is None:
        text = ""
    if isinstance(text, (list, tuple)):
        text = "\n".join(str(line) for line in text)
    if not isinstance(text, str):
        raise TypeError("nbody_results expects the sample's output as a string, got %s" % type(text).__name__)

    result = _empty()
    cpu = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _DEVICE_RE.match(line)
        if match:
            result["device_arch"] = match.group(2)
            result["compute_capability"] = "%s.%s" % (match.group(3), match.group(4))
            continue
        match = _COMPUTE_RE.match(line)
        if match:
            result["compute_capability"] = "%s.%s" % (match.group(1), match.group(2))
            result["gpu_name"] = match.group(3).strip()
            continue
        match = _TIME_RE.match(line)
        if match:
            result["bodies"] = int(match.group(1))
            result["iterations"] = int(match.group(2))
            result["total_time_ms"] = float(match.group(3))
            continue
        match = _IPS_RE.match(line)
        if match:
            result["interactions_per_second"] = float(match.group(1))
            continue
        match = _GFLOPS_RE.match(line)
        if match:
            result["gflops"] = float(match.group(1))
            result["precision"] = match.group(2)
            result["flops_per_interaction"] = int(match.group(3))
            continue
        match = _PRECISION_RE.match(line)
        if match:
            if result["precision"] is None:
                result["precision"] = match.group(1).lower()
            continue
        if _CPU_RE.match(line):
            cpu = True
            continue
        if _WARNING_RE.match(line):
            result["warnings"].append(line)
            continue
        if result["error"] is None and _ERROR_RE.match(line):
            result["error"] = line

    complete = all(
        result[key] is not None
        for key in ("bodies", "iterations", "total_time_ms", "interactions_per_second", "gflops")
    )
    if cpu:
        result["mode"] = "cpu"
    elif result["gpu_name"] is not None or result["device_arch"] is not None or complete:
        result["mode"] = "gpu"
    result["ok"] = complete and result["error"] is None
    if not complete and result["error"] is None:
        result["error"] = "no benchmark result in the output (expected '= N single-precision GFLOP/s at 20 flops per interaction')"
    return result


def nvidia_smi_gpus(text):
    """``nvidia-smi -L`` output → ``[{index, name, uuid}]``."""
    gpus = []
    for line in (text or "").splitlines():
        match = _SMI_LIST_RE.match(line.strip())
        if match:
            gpus.append({"index": int(match.group(1)), "name": match.group(2), "uuid": match.group(3)})
    return gpus


def _first_line(text):
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return None


def smoke_path(run, kind="nbody", min_gflops=0, causes=None):
    """One registered container run → its entry in the report's paths (see the filter wsl.cuda.smoke_path)."""
    if not isinstance(run, dict):
        raise TypeError("smoke_path expects a registered command result, got %s" % type(run).__name__)
    if kind not in ("nbody", "nvml"):
        raise ValueError("smoke_path: kind must be nbody or nvml, got %r" % (kind,))
    stdout, stderr = run.get("stdout") or "", run.get("stderr") or ""
    rc = run.get("rc")
    rc = int(rc) if rc is not None else None
    command = run.get("cmd")
    if isinstance(command, str):
        command = command.split()
    result = {"passed": False, "rc": rc, "command": command, "gpu_name": None, "gflops": None, "gpus": None,
              "error": None, "cause": None, "remedy": None}
    if run.get("skipped"):
        result["error"] = "not run: %s" % (run.get("skip_reason") or "skipped")
        return result
    if kind == "nbody":
        parsed = parse_nbody(stdout)
        result["gpu_name"], result["gflops"] = parsed["gpu_name"], parsed["gflops"]
        result["passed"] = (rc == 0 and parsed["ok"] and parsed["mode"] == "gpu"
                            and float(parsed["gflops"] or 0) >= float(min_gflops or 0))
        if not result["passed"]:
            if rc != 0:
                result["error"] = "exited %s: %s" % (rc, _first_line(stderr) or parsed["error"] or _first_line(stdout) or "no output")
            elif not parsed["ok"]:
                result["error"] = parsed["error"]
            elif parsed["mode"] != "gpu":
                result["error"] = "it ran on the CPU"
            else:
                result["error"] = "%s GFLOP/s is below the floor of %s" % (parsed["gflops"], min_gflops)
    else:
        gpus = nvidia_smi_gpus(stdout)
        result["gpus"] = gpus
        result["gpu_name"] = gpus[0]["name"] if gpus else None
        result["passed"] = rc == 0 and len(gpus) > 0
        if not result["passed"]:
            result["error"] = ("exited %s: %s" % (rc, _first_line(stderr) or _first_line(stdout) or "no output")) if rc != 0 \
                else "nvidia-smi -L listed no GPU: %s" % (_first_line(stdout) or "no output")
    if not result["passed"]:
        text = stdout + " " + stderr
        for entry in causes or []:
            if entry.get("match") and entry["match"] in text:
                result["cause"], result["remedy"] = entry.get("cause"), entry.get("remedy")
                break
    return result


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def nbody_report(gpu, run, passed, cause=None, cpu=None, paths=None, min_gflops=0, timestamp=None, host=None,
                 image=None, command=None):
    """Return the report of the smoke test as the role writes it to nbody_smoke_report."""
    gpu = dict(gpu or {})
    paths = dict(paths or {})
    cause = dict(cause or {})
    passed = bool(passed)
    ratio = None
    if cpu is not None and gpu.get("ok") and cpu.get("ok") and _float(cpu.get("gflops")) > 0:
        ratio = round(_float(gpu.get("gflops")) / _float(cpu.get("gflops")), 1)
    return {
        "schema": 1,
        "timestamp": timestamp,
        "host": host,
        "passed": passed,
        "cause": None if passed else cause.get("cause"),
        "remedy": None if passed else cause.get("remedy"),
        "image": image,
        "command": list(command or []),
        "min_gflops": _float(min_gflops),
        "rc": int(run.get("rc", 0)),
        "gpu": gpu,
        "cpu": cpu,
        "gpu_cpu_ratio": ratio,
        "paths": paths,
        "all_passed": all(entry.get("passed") for entry in paths.values()),
    }


def nbody_failure(gpu, run, min_gflops=0):
    """Say why the GPU run did not pass: the container's exit, the parser's error, the CPU, or the floor."""
    gpu = gpu or {}
    rc = int(run.get("rc", 0))
    error = gpu.get("error") or ""
    if rc != 0:
        detail = " (%s)" % error if error and "no benchmark result" not in error else ""
        return "docker run exited %d%s" % (rc, detail)
    if not gpu.get("ok"):
        return error
    if gpu.get("mode") != "gpu":
        return "it ran on the CPU"
    return "%s GFLOP/s is below nbody_smoke_min_gflops=%s" % (gpu.get("gflops"), min_gflops)


# The GPU failed but answered: what the message says when no known cause matched.
SLOW = ("The GPU answered but slowly: another load on the GPU, power saving on battery, or a floor too high for this "
        "GPU (nbody_smoke_min_gflops).")


def run_smoke(run, image, digest, runs, check_mode=False):
    """Look for image and, when it is there and is the pinned one, run every entry of runs.

    runs: [{"name", "argv", "alongside", "engine"}]. The docker entries run as wsl.cuda.image_runs runs them (in
    order, those with alongside at the same time); then those with engine podman, when podman is installed: the
    image Docker has (checked against its pin) is first copied into podman's store when podman's is another one,
    except in check mode. Without podman they do not run (they are not in the result's runs).
    Returns image_runs.run_all's result.
    """
    docker = [entry for entry in runs if entry.get("engine", "docker") == "docker"]
    podman = [entry for entry in runs if entry.get("engine", "docker") == "podman"]
    found = image_runs.run_all(run, "docker", image, digest, docker)
    if not (found["digest_matches"] and podman) or run(["podman", "--version"])[0] != 0:
        return found
    rc, stdout, _stderr = run(["podman", "image", "inspect", "--format", "{{ .Id }}", image])
    podman_id = "sha256:" + stdout.strip() if rc == 0 else ""
    if podman_id != found["ids"][0] and not check_mode:
        # Failing here is not fatal: the run below then says what podman lacks.
        run(["/bin/bash", "-c", "set -o pipefail && docker save \"$1\" | podman load --quiet", "copy", image])
    for entry in podman:
        found["runs"][entry["name"]] = image_runs.command_result(entry["argv"], *run(list(entry["argv"])))
    return found


def _join(words):
    return " ".join(str(word) for word in words)


def failure_message(report, run, report_path):
    """Why the smoke test failed, for the role's error: the GPU run (--gpus), else every other path that failed."""
    gpu, paths = report["gpu"], report["paths"]
    if not report["passed"]:
        lines = ["The N-body smoke test failed: %s." % nbody_failure(gpu, run, report["min_gflops"])]
        if report["cause"]:
            lines += ["Likely cause: %s" % report["cause"], "What to do: %s" % report["remedy"]]
        elif gpu.get("ok") and gpu.get("mode") == "gpu":
            lines.append(SLOW)
        output = ("%s %s" % (run.get("stdout") or "", run.get("stderr") or "")).strip()
        lines += ["Command: %s" % _join(report["command"]), "Output (end):", output[-600:]]
    else:
        failed = [(name, path) for name, path in paths.items() if not path["passed"]]
        if not failed:
            return ""
        lines = ["The smoke test failed on %s:" % ", ".join(name for name, _path in failed)]
        for name, path in failed:
            cause = (" Likely cause: %s What to do: %s" % (path["cause"], path["remedy"])) if path["cause"] else ""
            lines += ["- %s: %s%s" % (name, path["error"], cause), "  Command: %s" % _join(path["command"] or [])]
    return "\n".join(lines + ["Report: %s" % report_path])


def summary_message(report, report_path, check_mode=False):
    """What the smoke test measured, when it passed."""
    gpu = report["gpu"]
    text = ("N-body smoke test passed on %s (compute %s): %s %s-precision GFLOP/s, %s billion interactions/s (%s bodies, "
            "%s iterations in %s ms; floor %s). " % (
                gpu.get("gpu_name") or "an unnamed GPU", gpu.get("compute_capability") or "?", gpu.get("gflops"),
                gpu.get("precision"), gpu.get("interactions_per_second"), gpu.get("bodies"), gpu.get("iterations"),
                gpu.get("total_time_ms"), report["min_gflops"]))
    if report["gpu_cpu_ratio"] is not None:
        text += "CPU: %s GFLOP/s, the GPU is %sx faster. " % (report["cpu"]["gflops"], report["gpu_cpu_ratio"])
    if gpu.get("warnings"):
        text += "Warnings: %s. " % "; ".join(gpu["warnings"])
    text += "Paths: %s passed. " % ", ".join(report["paths"])
    return text + ("(check mode: no report written)" if check_mode else "Report: %s" % report_path)


def judge(found, paths, min_gflops=0, causes=None, compare_cpu=False, report_path="", check_mode=False, **context):
    """Judge what run_smoke ran: {"passed", "report", "failure", "summary"}.

    paths: [{"name", "kind"}] of every path run_smoke was given, the GPU run "gpus" among them; a path that did not
    run (podman's without podman) is not in the report. The CPU run, when compare_cpu, is the run "cpu".
    context: the report's timestamp, host, image and command (nbody_report's).
    """
    runs = found["runs"]
    run = runs.get("gpus", {"skipped": True})
    judged = {}
    for entry in paths:
        if entry["name"] in runs:
            judged[entry["name"]] = smoke_path(runs[entry["name"]], kind=entry.get("kind", "nbody"),
                                               min_gflops=min_gflops, causes=causes)
    gpu = parse_nbody(run.get("stdout"))
    cpu = parse_nbody(runs.get("cpu", {}).get("stdout")) if compare_cpu else None
    cause = judged.get("gpus") or {}
    report = nbody_report(gpu, run, passed=cause.get("passed"), cause=cause, cpu=cpu, paths=judged,
                          min_gflops=min_gflops, **context)
    return {"passed": report["passed"] and report["all_passed"], "report": report,
            "failure": failure_message(report, run, report_path),
            "summary": summary_message(report, report_path, check_mode)}
