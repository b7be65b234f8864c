# -*- coding: utf-8 -*-
# Copyright: wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# Documentation: fleet_row.yml and fleet_rows_sorted.yml beside this file (one per filter).

import base64
import binascii
import json
import math
from collections.abc import Mapping

from jinja2 import pass_context

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.wsl.cuda.plugins.module_utils.wsl_gpu import CHECK_NAMES, default_fatal_checks

# Table order: what needs a person first.
RANK = {'unreachable': 0, 'failed': 1, 'warn': 2, 'ok': 3}
CHECK_STATUSES = ('pass', 'fail', 'warn', 'skip')
# Longest text kept from a host for one message; the rest is cut (a report is read by people).
MAX_TEXT = 1000
DATA_REMEDY = ('run site.yml on this host again; if the data stays invalid, check the host: '
               'its probes or its smoke-test report were changed')


def _text(value, limit=MAX_TEXT):
    return value if len(value) <= limit else value[:limit - 3] + '...'


class _Reader:
    """Casts what a host sent, field by field; wrong types become None and a line in ``problems``."""

    def __init__(self):
        self.problems = []

    def bad(self, field, value, expected):
        self.problems.append('%s is %s, expected %s' % (field, _type_name(value), expected))
        return None

    def string(self, field, value, optional=True):
        if value is None and optional:
            return None
        if isinstance(value, str):
            return _text(value)
        return self.bad(field, value, 'a string')

    def number(self, field, value):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return self.bad(field, value, 'a number')
        return value

    def integer(self, field, value):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return self.bad(field, value, 'a whole number')
        return value

    def flag(self, field, value):
        if value is None:
            return None
        if not isinstance(value, bool):
            return self.bad(field, value, 'true or false')
        return value

    def mapping(self, field, value):
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.bad(field, value, 'a mapping')
            return {}
        return value

    def strings(self, field, value):
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            return self.bad(field, value, 'a list') or []
        out = []
        for index, item in enumerate(value):
            item = self.string('%s[%d]' % (field, index), item, optional=False)
            if item is not None:
                out.append(item)
        return out


def _type_name(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, Mapping):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    return 'of type %s' % type(value).__name__


def _result(value):
    """A registered result, or {} for one that is not there (a skipped task leaves one without data)."""
    return value if isinstance(value, Mapping) else {}


def _rc(result):
    rc = result.get('rc', 1)
    return 1 if isinstance(rc, bool) or not isinstance(rc, int) else rc


def _checks(reader, raw):
    """The wsl_gpu checks, each cast; unknown names are kept (a newer module), in the module's order."""
    checks = {}
    raw = reader.mapping('wsl_gpu.checks', raw)
    names = [n for n in CHECK_NAMES if n in raw] + [n for n in raw if n not in CHECK_NAMES]
    for name in names:
        field = 'wsl_gpu.checks'
        if not isinstance(name, str):
            reader.bad('a name in %s' % field, name, 'a string')
            continue
        field = 'wsl_gpu.checks.%s' % _text(name, 60)
        check = raw[name]
        if not isinstance(check, Mapping):
            reader.bad(field, check, 'a mapping')
            continue
        status = reader.string(field + '.status', check.get('status'), optional=False)
        if status is not None and status not in CHECK_STATUSES:
            reader.problems.append('%s.status is not one of %s' % (field, ', '.join(CHECK_STATUSES)))
            status = None
        checks[_text(name, 60)] = {
            # A check whose status cannot be read counts as failed: it must not pass for a good one.
            'status': status or 'fail',
            'message': reader.string(field + '.message', check.get('message')) or '',
            'evidence': reader.strings(field + '.evidence', check.get('evidence')),
            'remedy': reader.string(field + '.remedy', check.get('remedy')) or '',
            # The module's own verdict; None for a report without it (one made before the module had it).
            'fatal': reader.flag(field + '.fatal', check.get('fatal')),
        }
    return checks


def _nbody_report(nbody):
    """(the report as a dict or None, what is wrong with it or None), from slurp's result."""
    content = nbody.get('content')
    if content is None:
        return None, None
    if not isinstance(content, str):
        return None, 'slurp returned content that is %s, not base64 text' % _type_name(content)
    try:
        report = json.loads(base64.b64decode(content, validate=True).decode('utf-8'))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        return None, 'it is not JSON (%s)' % _text(str(exc), 200)
    if not isinstance(report, Mapping):
        return None, 'it is %s, not a JSON object' % _type_name(report)
    return report, None


def fleet_row(host, ping=None, wsl_gpu=None, docker=None, toolkit=None, nbody=None,
              nbody_report='the smoke-test report path', fatal_checks=None, probe_cuda=True):
    """One host's readiness record, every string in it marked unsafe."""
    if not isinstance(host, str):
        raise AnsibleFilterError('fleet_row expects the host name (inventory_hostname), got %s' % _type_name(host))
    try:
        probe_cuda = boolean(probe_cuda, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError('fleet_row: wsl_gpu_probe_cuda must be true or false: %s' % exc)
    if fatal_checks is None:
        fatal_checks = default_fatal_checks(probe_cuda)
    elif isinstance(fatal_checks, str) or not isinstance(fatal_checks, (list, tuple)):
        raise AnsibleFilterError('fleet_row: wsl_gpu_fatal_checks must be a list of check names, got %s'
                                 % _type_name(fatal_checks))
    fatal_checks = [str(name) for name in fatal_checks]

    reader = _Reader()
    ping, wsl_gpu, docker, toolkit, nbody = (_result(r) for r in (ping, wsl_gpu, docker, toolkit, nbody))
    reached = 'ping' in ping
    failed = []

    error = None
    if not reached:
        error = (reader.string('ping.msg', ping.get('msg')) or 'no answer').strip() or 'no answer'
        failed.append({'name': 'reach', 'fatal': True, 'message': _text(error, 200),
                       'remedy': 'start the laptop and its WSL distro; check the inventory address, SSH and sudo'})

    facts = wsl_gpu.get('ansible_facts')
    gpu = facts.get('wsl_gpu') if isinstance(facts, Mapping) else None
    if reached and gpu is None:
        failed.append({'name': 'wsl_gpu', 'fatal': True,
                       'message': reader.string('wsl_gpu.msg', wsl_gpu.get('msg')) or 'the preflight module failed',
                       'remedy': 'run site.yml -v on this host and read the preflight output'})
    gpu = reader.mapping('wsl_gpu', gpu) if reached else {}

    checks = _checks(reader, gpu.get('checks'))
    for name, check in checks.items():
        if check['fatal'] is None:
            check['fatal'] = name in fatal_checks
        if check['status'] in ('fail', 'warn'):
            failed.append({'name': name, 'fatal': check['fatal'], 'message': check['message'],
                           'remedy': check['remedy']})

    gpus = []
    devices = gpu.get('devices')
    if devices is not None and not isinstance(devices, (list, tuple)):
        reader.bad('wsl_gpu.devices', devices, 'a list')
        devices = []
    for index, device in enumerate(devices or []):
        if not isinstance(device, Mapping):
            reader.bad('wsl_gpu.devices[%d]' % index, device, 'a mapping')
            continue
        name = reader.string('wsl_gpu.devices[%d].name' % index, device.get('name'), optional=False)
        if name is not None:
            gpus.append(name)

    docker_version = reader.string('docker.stdout', docker.get('stdout'))
    toolkit_version = reader.string('toolkit.stdout', toolkit.get('stdout'))
    if reached and _rc(docker) != 0:
        stderr = (reader.string('docker.stderr', docker.get('stderr')) or '').strip()
        failed.append({'name': 'docker', 'fatal': True,
                       'message': 'dockerd does not answer: ' + (stderr[-200:] or 'docker is not installed'),
                       'remedy': 'run site.yml on this host (tags docker_engine, dockerd_startup)'})
    if reached and _rc(toolkit) != 0:
        failed.append({'name': 'toolkit', 'fatal': True, 'message': 'nvidia-container-toolkit is not installed',
                       'remedy': 'run site.yml on this host (tag nvidia_container_toolkit)'})

    report, report_error = _nbody_report(nbody)
    report = report or {}
    report_gpu = reader.mapping('nbody report gpu', report.get('gpu'))
    gflops = reader.number('nbody report gpu.gflops', report_gpu.get('gflops'))
    passed = reader.flag('nbody report passed', report.get('passed'))
    timestamp = reader.string('nbody report timestamp', report.get('timestamp'))
    cause = reader.string('nbody report cause', report.get('cause'))
    remedy = reader.string('nbody report remedy', report.get('remedy'))
    paths = {}
    for name, entry in sorted(reader.mapping('nbody report paths', report.get('paths')).items(), key=lambda i: str(i[0])):
        name = str(name)
        entry = reader.mapping('nbody report paths.%s' % name, entry)
        paths[name] = reader.flag('nbody report paths.%s.passed' % name, entry.get('passed'))
        # The --gpus all path is the report's own passed, judged below.
        if name != 'gpus' and entry and paths[name] is not True:
            why = (reader.string('nbody report paths.%s.cause' % name, entry.get('cause'))
                   or reader.string('nbody report paths.%s.error' % name, entry.get('error')) or 'see the report')
            failed.append({'name': 'path ' + name, 'fatal': True,
                           'message': _text('the %s path of the smoke test failed: %s' % (name, why), 300),
                           'remedy': (reader.string('nbody report paths.%s.remedy' % name, entry.get('remedy'))
                                      or 'run site.yml --tags nbody_smoke and read its output')})
    if report_error:
        failed.append({'name': 'nbody', 'fatal': True,
                       'message': 'the smoke-test report at %s cannot be read: %s' % (nbody_report, report_error),
                       'remedy': 'run site.yml on this host (tag nbody_smoke)'})
    elif reached and not report:
        failed.append({'name': 'nbody', 'fatal': True, 'message': 'no smoke-test report at %s' % nbody_report,
                       'remedy': 'run site.yml on this host (tag nbody_smoke)'})
    elif report and passed is not True:
        failed.append({'name': 'nbody', 'fatal': True,
                       'message': 'smoke test failed: ' + (cause or 'see the report'),
                       'remedy': remedy or 'run site.yml --tags nbody_smoke and read its output'})

    row = {
        'host': host,
        'reachable': reached,
        'error': error,
        'wsl_version': reader.integer('wsl_gpu.wsl_version', gpu.get('wsl_version')),
        'kernel': reader.string('wsl_gpu.kernel_release', gpu.get('kernel_release')),
        'gpus': gpus,
        'driver': reader.string('wsl_gpu.driver_version', gpu.get('driver_version')),
        'cuda': reader.string('wsl_gpu.cuda_driver_version', gpu.get('cuda_driver_version')),
        'docker': (docker_version or '').strip() or None,
        'toolkit': (toolkit_version or '').strip() or None,
        'gflops': gflops,
        'nbody_passed': passed,
        'paths': paths,
        'path_cells': ['%s: %s' % (name, {True: 'passed', False: 'FAILED'}.get(ok, 'unknown')) for name, ok in paths.items()],
        'nbody_timestamp': timestamp,
        'checks': checks,
    }
    if reader.problems:
        failed.append({'name': 'data', 'fatal': True,
                       'message': _text('invalid data from the host: ' + '; '.join(reader.problems)),
                       'remedy': DATA_REMEDY})
    row['failed_checks'] = failed
    if not reached:
        row['status'] = 'unreachable'
    elif any(check['fatal'] for check in failed):
        row['status'] = 'failed'
    else:
        row['status'] = 'warn' if failed else 'ok'
    return wrap_var(row)


def _missing_row(name):
    message = 'the report run failed on this host'
    return {'host': name, 'reachable': False, 'status': 'failed', 'error': message, 'gpus': [], 'checks': {},
            'failed_checks': [{'name': 'report', 'fatal': True, 'message': message,
                               'remedy': 'run fleet_report.yml -v --limit %s' % name}]}


def _plain(value):
    """A copy in plain dicts and lists (ansible-core 2.19 hands over lazy containers that wrap_var cannot rebuild)."""
    if isinstance(value, Mapping):
        return dict((key, _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def fleet_rows_sorted(hostvars, hosts):
    """Every host's row (fleet_row's), by name, unreachable then failed then warn then ok, each with its rank.

    A host without a row (it dropped out of the play) or with a row that is not one is listed as failed.
    """
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError('fleet_rows_sorted expects the list of hosts (ansible_play_hosts_all), got %s'
                                 % _type_name(hosts))
    rows = []
    for name in sorted(str(host) for host in hosts):
        try:
            row = hostvars[name].get('__fleet_report_host')
        except (KeyError, AttributeError, TypeError):
            row = None
        if not isinstance(row, Mapping) or row.get('status') not in RANK or row.get('host') != name:
            row = _missing_row(name)
        row = _plain(row)
        row['rank'] = RANK[row['status']]
        rows.append(row)
    rows.sort(key=lambda row: row['rank'])
    return wrap_var(rows)


def _result_unsafe(context):
    """Have the template that calls the filter return its result marked unsafe, as a lookup's is.

    ansible-core before 2.19 (not jinja2_native) turns a filter's dict into text and back with literal_eval,
    which drops the marks wrap_var put on its strings; the mark on the template's context makes it wrap the
    final result again (ansible.template.AnsibleContext.unsafe). ansible-core 2.19 and later trust no string
    that is not tagged as a template, and their context has no such flag.
    """
    if getattr(context, 'unsafe', None) is False:
        context.unsafe = True


@pass_context
def _fleet_row_filter(context, host, **kwargs):
    _result_unsafe(context)
    return fleet_row(host, **kwargs)


@pass_context
def _fleet_rows_sorted_filter(context, hostvars, hosts):
    _result_unsafe(context)
    return fleet_rows_sorted(hostvars, hosts)


class FilterModule(object):
    """wsl.cuda filters of the fleet report."""

    def filters(self):
        return {'fleet_row': _fleet_row_filter, 'fleet_rows_sorted': _fleet_rows_sorted_filter}
