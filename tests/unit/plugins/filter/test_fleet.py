"""Unit tests of the wsl.cuda.fleet_row and wsl.cuda.fleet_rows_sorted filters of the fleet report."""

from __future__ import annotations

import base64
import json
import os

import pytest

from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.utils.unsafe_proxy import wrap_var
from ansible.vars.hostvars import HostVars

from ansible_collections.wsl.cuda.plugins.filter.fleet import FilterModule, fleet_row, fleet_rows_sorted
from ansible_collections.wsl.cuda.plugins.module_utils.wsl_gpu import default_fatal_checks

try:  # ansible-core 2.19 and later: a string is a template only when tagged as trusted
    from ansible.template import trust_as_template
except ImportError:  # 2.14 to 2.18: every string is, unless marked unsafe
    def trust_as_template(value):
        return value

PING = {'ping': 'pong', 'changed': False}
UNREACHABLE = {'unreachable': True, 'msg': 'Failed to connect to the host via ssh: no route to host', 'changed': False}
INJECTED = "{{ lookup('pipe', 'touch %s') }}"


def check(status='pass', message='fine', remedy=''):
    return {'status': status, 'message': message, 'evidence': [], 'remedy': remedy}


def gpu_result(**checks):
    names = ('wsl', 'dxg', 'libdxcore', 'libcuda', 'cuda', 'nvml', 'linux_driver', 'docker_desktop')
    all_checks = dict((name, check()) for name in names)
    all_checks.update(checks)
    return {'changed': False, 'ansible_facts': {'wsl_gpu': {
        'checks': all_checks, 'wsl_version': 2, 'kernel_release': '5.15.167.4-microsoft-standard-WSL2',
        'devices': [{'name': 'NVIDIA GeForce RTX 4070', 'memory_mib': 8188, 'compute_capability': '8.9'}],
        'driver_version': '566.36', 'cuda_driver_version': '12.7', 'summary': 'WSL 2'}}}


def command(stdout='', rc=0, stderr=''):
    return {'changed': False, 'rc': rc, 'stdout': stdout, 'stderr': stderr}


def slurp(data):
    """slurp's result for a file holding ``data`` (a dict is written as JSON, bytes as they are)."""
    if isinstance(data, dict) or isinstance(data, list):
        data = json.dumps(data).encode()
    elif isinstance(data, str):
        data = data.encode()
    return {'changed': False, 'encoding': 'base64', 'source': '/var/lib/wsl-cuda/nbody-report.json',
            'content': base64.b64encode(data).decode()}


REPORT = {'schema': 1, 'timestamp': '2026-12-01T10:00:00Z', 'passed': True, 'cause': None, 'remedy': None,
          'gpu': {'ok': True, 'gflops': 2705.976}}
NO_REPORT = {'failed': True, 'msg': 'file not found: /var/lib/wsl-cuda/nbody-report.json'}


def row(host='laptop-01', ping=None, wsl_gpu=None, docker=None, toolkit=None, nbody=None, **kwargs):
    return fleet_row(host, ping=PING if ping is None else ping, wsl_gpu=gpu_result() if wsl_gpu is None else wsl_gpu,
                     docker=command('27.3.1') if docker is None else docker,
                     toolkit=command('1.17.3-1') if toolkit is None else toolkit,
                     nbody=slurp(REPORT) if nbody is None else nbody,
                     nbody_report='/var/lib/wsl-cuda/nbody-report.json', **kwargs)


def names(record):
    return [c['name'] for c in record['failed_checks']]


# ---------------------------------------------------------------- a host's row

def test_ready_host():
    record = row()
    assert record['status'] == 'ok'
    assert record['failed_checks'] == []
    assert record['gflops'] == 2705.976 and isinstance(record['gflops'], float)
    assert record['nbody_passed'] is True
    assert (record['wsl_version'], record['docker'], record['toolkit']) == (2, '27.3.1', '1.17.3-1')
    assert record['gpus'] == ['NVIDIA GeForce RTX 4070']
    assert (record['driver'], record['cuda'], record['kernel']) == ('566.36', '12.7', '5.15.167.4-microsoft-standard-WSL2')
    assert record['nbody_timestamp'] == '2026-12-01T10:00:00Z'
    assert record['reachable'] is True and record['error'] is None


def test_unreachable_host_is_reported_with_its_error_only():
    skipped = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}
    record = fleet_row('gone', ping=UNREACHABLE, wsl_gpu=skipped, docker=skipped, toolkit=skipped, nbody=skipped)
    assert record['status'] == 'unreachable'
    assert record['reachable'] is False
    assert record['error'] == UNREACHABLE['msg']
    assert names(record) == ['reach']
    assert record['failed_checks'][0]['fatal'] is True
    assert 'SSH and sudo' in record['failed_checks'][0]['remedy']


def test_unreachable_error_is_cut():
    record = fleet_row('gone', ping={'unreachable': True, 'msg': 'x' * 500})
    assert len(record['failed_checks'][0]['message']) == 200


def test_default_fatal_checks_come_from_the_module():
    # cuda is fatal by default (probe_cuda on), nvml is not: the module's own default decides.
    assert 'cuda' in default_fatal_checks(True) and 'nvml' not in default_fatal_checks(True)
    record = row(wsl_gpu=gpu_result(cuda=check('warn', 'cuInit failed', 'update the driver'),
                                    nvml=check('warn', 'no NVML', 'nothing')))
    assert record['status'] == 'failed'
    assert [(c['name'], c['fatal']) for c in record['failed_checks']] == [('cuda', True), ('nvml', False)]


def test_without_the_cuda_probe_cuda_is_not_fatal():
    record = row(wsl_gpu=gpu_result(cuda=check('warn', 'cuInit failed')), probe_cuda=False)
    assert record['status'] == 'warn'
    assert record['failed_checks'][0]['fatal'] is False


def test_probe_cuda_as_text_from_an_inventory():
    assert row(wsl_gpu=gpu_result(cuda=check('warn', 'x')), probe_cuda='false')['status'] == 'warn'


def test_the_site_plays_fatal_checks_win():
    record = row(wsl_gpu=gpu_result(nvml=check('warn', 'no NVML'), dxg=check('warn', 'no dxg')), fatal_checks=['nvml'])
    assert [(c['name'], c['fatal']) for c in record['failed_checks']] == [('dxg', False), ('nvml', True)]
    assert record['status'] == 'failed'


def flagged(status, message, fatal):
    return dict(check(status, message), fatal=fatal)


def test_the_modules_fatal_flag_decides():
    # The module says which checks were fatal in the run; the filter copies no default of its own.
    record = row(wsl_gpu=gpu_result(cuda=flagged('warn', 'cuInit failed', False), nvml=flagged('fail', 'no NVML', True),
                                    dpkg=flagged('warn', 'dpkg was interrupted', False)))
    assert [(c['name'], c['fatal']) for c in record['failed_checks']] == [('cuda', False), ('nvml', True),
                                                                          ('dpkg', False)]
    assert record['status'] == 'failed'
    assert record['checks']['nvml']['fatal'] is True and record['checks']['cuda']['fatal'] is False


def test_the_modules_fatal_flag_wins_over_the_site_plays_list():
    record = row(wsl_gpu=gpu_result(dxg=flagged('warn', 'no dxg', False)), fatal_checks=['dxg'])
    assert record['status'] == 'warn'
    assert record['failed_checks'][0]['fatal'] is False


def test_a_report_without_the_flag_falls_back_to_the_modules_default():
    # A result registered from a module older than the flag: the default is the module's own function.
    record = row(wsl_gpu=gpu_result(dpkg=check('warn', 'dpkg was interrupted'), libcuda=check('fail', 'shadowed')))
    assert [(c['name'], c['fatal']) for c in record['failed_checks']] == [('libcuda', True), ('dpkg', False)]
    assert record['checks']['libcuda']['fatal'] is True


def test_a_fatal_flag_of_another_type_is_invalid_data():
    record = row(wsl_gpu=gpu_result(nvml=flagged('warn', 'no NVML', 'yes')))
    assert [(c['name'], c['fatal']) for c in record['failed_checks']] == [('nvml', False), ('data', True)]
    assert 'wsl_gpu.checks.nvml.fatal is a string' in record['failed_checks'][1]['message']


def test_only_warnings_make_warn():
    record = row(wsl_gpu=gpu_result(docker_desktop=check('warn', 'Docker Desktop', 'turn it off')))
    assert record['status'] == 'warn'
    assert record['failed_checks'] == [{'name': 'docker_desktop', 'fatal': False, 'message': 'Docker Desktop',
                                        'remedy': 'turn it off'}]


def test_failed_module_and_missing_software():
    record = row(wsl_gpu={'failed': True, 'msg': 'MODULE FAILURE'},
                 docker=command('', rc=1, stderr='Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n'),
                 toolkit=command('', rc=1, stderr='dpkg-query: no packages found matching nvidia-container-toolkit'),
                 nbody=NO_REPORT)
    assert record['status'] == 'failed'
    assert names(record) == ['wsl_gpu', 'docker', 'toolkit', 'nbody']
    messages = [c['message'] for c in record['failed_checks']]
    assert messages[0] == 'MODULE FAILURE'
    assert messages[1] == 'dockerd does not answer: Cannot connect to the Docker daemon at unix:///var/run/docker.sock.'
    assert messages[2] == 'nvidia-container-toolkit is not installed'
    assert messages[3] == 'no smoke-test report at /var/lib/wsl-cuda/nbody-report.json'
    assert record['docker'] is None and record['toolkit'] is None and record['gflops'] is None


def test_docker_missing_altogether():
    record = row(docker={'failed': True, 'rc': 2, 'msg': '[Errno 2] No such file or directory', 'stdout': '', 'stderr': ''})
    assert record['failed_checks'][0]['message'] == 'dockerd does not answer: docker is not installed'


def test_failed_smoke_test_brings_its_cause_and_remedy():
    report = dict(REPORT, passed=False, cause='the nvidia runtime is missing', remedy='run site.yml --tags nvidia_container_toolkit')
    record = row(nbody=slurp(report))
    assert record['status'] == 'failed'
    assert record['failed_checks'] == [{'name': 'nbody', 'fatal': True,
                                        'message': 'smoke test failed: the nvidia runtime is missing',
                                        'remedy': 'run site.yml --tags nvidia_container_toolkit'}]
    assert record['nbody_passed'] is False


def test_failed_smoke_test_without_a_cause():
    record = row(nbody=slurp(dict(REPORT, passed=False)))
    assert record['failed_checks'][0]['message'] == 'smoke test failed: see the report'
    assert record['failed_checks'][0]['remedy'] == 'run site.yml --tags nbody_smoke and read its output'


# ---------------------------------------------------------------- strict casts

@pytest.mark.parametrize('gflops, expected', [(2705, 2705), (0.5, 0.5), (None, None)])
def test_gflops_numbers(gflops, expected):
    record = row(nbody=slurp(dict(REPORT, gpu={'gflops': gflops})))
    assert record['gflops'] == expected
    assert record['status'] == 'ok'


@pytest.mark.parametrize('gflops', ['2705.9', True, [1], {'v': 1}, float('nan'), float('inf')])
def test_gflops_of_another_type_is_invalid_data(gflops):
    record = row(nbody=slurp(json.dumps(dict(REPORT, gpu={'gflops': gflops}), allow_nan=True)))
    assert record['gflops'] is None
    assert record['status'] == 'failed'
    assert names(record) == ['data']
    assert 'nbody report gpu.gflops is' in record['failed_checks'][0]['message']
    assert 'expected a number' in record['failed_checks'][0]['message']


@pytest.mark.parametrize('passed', ['true', 'yes', 1, 0, [True]])
def test_passed_must_be_a_boolean(passed):
    record = row(nbody=slurp(dict(REPORT, passed=passed)))
    assert record['nbody_passed'] is None
    assert record['status'] == 'failed'
    assert names(record) == ['nbody', 'data']
    assert 'nbody report passed is' in record['failed_checks'][1]['message']
    assert 'expected true or false' in record['failed_checks'][1]['message']


def test_versions_and_names_must_be_text():
    facts = gpu_result()
    facts['ansible_facts']['wsl_gpu'].update(wsl_version='2', driver_version=566.36, cuda_driver_version=['12.7'],
                                             devices=[{'name': 42}, 'RTX', {'name': 'RTX 4070'}])
    record = row(wsl_gpu=facts, docker=command({'Version': '27'}), toolkit=command(['1.17']))
    assert (record['wsl_version'], record['driver'], record['cuda'], record['docker'], record['toolkit']) == (None,) * 5
    assert record['gpus'] == ['RTX 4070']
    assert record['status'] == 'failed'
    message = record['failed_checks'][-1]['message']
    for field in ('wsl_gpu.wsl_version is a string', 'wsl_gpu.driver_version is a number',
                  'wsl_gpu.cuda_driver_version is a list', 'docker.stdout is a mapping', 'toolkit.stdout is a list',
                  'wsl_gpu.devices[0].name is a number', 'wsl_gpu.devices[1] is a string'):
        assert field in message


def test_checks_of_another_shape_are_invalid_not_a_crash():
    facts = gpu_result()
    facts['ansible_facts']['wsl_gpu']['checks'].update(
        dxg='broken', libcuda={'status': 'bogus', 'message': 'x'}, nvml={'status': 'warn', 'message': ['a'], 'remedy': 3})
    record = row(wsl_gpu=facts)
    assert 'dxg' not in record['checks']
    # A check whose status cannot be read counts as failed, never as passed.
    assert record['checks']['libcuda']['status'] == 'fail'
    assert [(c['name'], c['fatal']) for c in record['failed_checks']] == [('libcuda', True), ('nvml', False), ('data', True)]
    assert record['failed_checks'][1]['message'] == '' and record['failed_checks'][1]['remedy'] == ''


@pytest.mark.parametrize('facts', ['text', ['a'], {'wsl_gpu': 'text'}, {'wsl_gpu': {'checks': [1], 'devices': 'x'}}])
def test_facts_of_another_shape(facts):
    record = row(wsl_gpu={'changed': False, 'ansible_facts': facts})
    assert record['status'] == 'failed'
    assert names(record)[-1] in ('data', 'wsl_gpu')


def test_results_of_another_shape():
    record = fleet_row('odd', ping=PING, wsl_gpu='x', docker=3, toolkit=None, nbody=['x'])
    assert record['status'] == 'failed'
    assert names(record) == ['wsl_gpu', 'docker', 'toolkit', 'nbody']


def test_rc_of_another_type_counts_as_failed():
    assert names(row(docker=dict(command('27.3.1'), rc='0'))) == ['docker']


@pytest.mark.parametrize('data, why', [
    (b'not json at all', 'it is not JSON'),
    (b'\xff\xfe\x00', 'it is not JSON'),
    (b'[1, 2]', 'it is a list, not a JSON object'),
    (b'"text"', 'it is a string, not a JSON object'),
    (b'{"passed": true', 'it is not JSON'),
])
def test_malformed_reports(data, why):
    record = row(nbody=slurp(data))
    assert record['status'] == 'failed'
    assert names(record) == ['nbody']
    assert record['failed_checks'][0]['message'].startswith(
        'the smoke-test report at /var/lib/wsl-cuda/nbody-report.json cannot be read: ' + why)


def test_content_that_is_not_base64():
    record = row(nbody={'content': '%%% not base64 %%%', 'encoding': 'base64'})
    assert names(record) == ['nbody'] and 'cannot be read: it is not JSON' in record['failed_checks'][0]['message']
    record = row(nbody={'content': 12})
    assert 'not base64 text' in record['failed_checks'][0]['message']


def test_empty_report_object_counts_as_none():
    assert row(nbody=slurp({}))['failed_checks'][0]['message'].startswith('no smoke-test report at ')


def test_long_text_is_cut():
    record = row(nbody=slurp(dict(REPORT, passed=False, cause='x' * 5000)))
    assert len(record['failed_checks'][0]['message']) < 1100


def test_bad_arguments_from_the_controller_are_errors():
    with pytest.raises(AnsibleFilterError, match='wsl_gpu_fatal_checks must be a list'):
        row(fatal_checks='nvml')
    with pytest.raises(AnsibleFilterError, match='wsl_gpu_probe_cuda must be true or false'):
        row(probe_cuda='maybe')
    with pytest.raises(AnsibleFilterError, match='expects the host name'):
        fleet_row(['h'], ping=PING)


# ---------------------------------------------------------------- the table's order

def test_rows_sorted_failed_and_unreachable_first():
    hostvars = {
        'b-ok': {'__fleet_report_host': row('b-ok')},
        'a-ok': {'__fleet_report_host': row('a-ok')},
        'c-warn': {'__fleet_report_host': row('c-warn', wsl_gpu=gpu_result(nvml=check('warn', 'no NVML')))},
        'd-failed': {'__fleet_report_host': row('d-failed', nbody=NO_REPORT)},
        'z-gone': {'__fleet_report_host': fleet_row('z-gone', ping=UNREACHABLE)},
        'e-dropped': {'inventory_hostname': 'e-dropped'},
        'f-bogus': {'__fleet_report_host': {'host': 'f-bogus', 'status': 'great'}},
        'g-other': {'__fleet_report_host': row('someone-else')},
    }
    rows = fleet_rows_sorted(hostvars, list(hostvars))
    assert [(r['host'], r['status'], r['rank']) for r in rows] == [
        ('z-gone', 'unreachable', 0),
        ('d-failed', 'failed', 1), ('e-dropped', 'failed', 1), ('f-bogus', 'failed', 1), ('g-other', 'failed', 1),
        ('c-warn', 'warn', 2),
        ('a-ok', 'ok', 3), ('b-ok', 'ok', 3),
    ]
    dropped = rows[2]
    assert dropped['failed_checks'] == [{'name': 'report', 'fatal': True, 'message': 'the report run failed on this host',
                                        'remedy': 'run fleet_report.yml -v --limit e-dropped'}]


def test_rows_sorted_host_list_only():
    rows = fleet_rows_sorted({'a': {'__fleet_report_host': row('a')}, 'b': {}}, ['a'])
    assert [r['host'] for r in rows] == ['a']
    with pytest.raises(AnsibleFilterError, match='list of hosts'):
        fleet_rows_sorted({}, 'a')


# ---------------------------------------------------------------- text from a host stays text

def _unsafe_everywhere(value):
    """Every string in ``value`` is marked unsafe: AnsibleUnsafe before 2.19, not trusted as a template after."""
    if isinstance(value, dict):
        return all(_unsafe_everywhere(k) and _unsafe_everywhere(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_unsafe_everywhere(v) for v in value)
    if isinstance(value, str):
        try:
            from ansible._internal._datatag._tags import TrustedAsTemplate
        except ImportError:
            return getattr(value, '__UNSAFE__', False) is True
        return not TrustedAsTemplate.is_tagged_on(value)
    return True


def hostile(marker):
    """A tampered laptop's results: its report, docker's output, the toolkit version and a check carry templates."""
    lookup = INJECTED % marker
    report = dict(REPORT, passed=False, cause=lookup + ' {% if true %}IF{% endif %}', remedy='{{ 7*7 }}',
                  timestamp='{{ 7*7 }}', gpu={'gflops': 1.5})
    facts = gpu_result(nvml=check('warn', lookup, '{{ 7*7 }}'))
    facts['ansible_facts']['wsl_gpu']['devices'] = [{'name': '{{ 7*7 }} GPU'}]
    return dict(ping=PING, wsl_gpu=facts, docker=command('', rc=1, stderr='{% raw %}' + lookup),
                toolkit=command(lookup), nbody=slurp(report))


def test_row_is_marked_unsafe(tmp_path):
    record = fleet_row('laptop', **hostile(tmp_path / 'marker'))
    assert _unsafe_everywhere(record)
    assert _unsafe_everywhere(fleet_rows_sorted({'laptop': {'__fleet_report_host': record}}, ['laptop']))


class FakeHostVars(HostVars):
    """ansible-core's hostvars type (templated as it is, not inspected for marks) over plain per-host dicts."""

    def __init__(self, hosts):  # pylint: disable=super-init-not-called
        self._fake_hosts = hosts

    def __getitem__(self, name):
        return self._fake_hosts[name]

    def __contains__(self, name):
        return name in self._fake_hosts

    def __iter__(self):
        return iter(self._fake_hosts)

    def __len__(self):
        return len(self._fake_hosts)


def _templar(variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    for name, plugin in FilterModule().filters().items():
        templar.environment.filters['wsl.cuda.' + name] = plugin
    return templar


def test_host_text_is_never_evaluated_through_the_templates(tmp_path):
    """The path of the role: filter, then the fact templated again (set_fact, hostvars, the report's templates)."""
    marker = tmp_path / 'marker'
    # ansible-core marks a registered result unsafe (wrap_var) as it comes back from the host.
    data = wrap_var(hostile(marker))
    templar = _templar(dict(data, host='laptop'))
    record = templar.template(trust_as_template(
        '{{ host | wsl.cuda.fleet_row(ping=ping, wsl_gpu=wsl_gpu, docker=docker, toolkit=toolkit, nbody=nbody) }}'))
    assert isinstance(record, dict)
    templar = _templar({'hostvars': FakeHostVars({'laptop': {'__fleet_report_host': record}}), 'hosts': ['laptop']})
    rows = templar.template(trust_as_template("{{ hostvars | wsl.cuda.fleet_rows_sorted(hosts) }}"))
    # Templated again as the template module does: the row is a variable of the next template.
    templar = _templar({'rows': rows})
    text = templar.template(trust_as_template(
        "{% for row in rows %}{{ row.toolkit }}|{{ row.gpus | join(',') }}|{{ row.nbody_timestamp }}"
        "{% for c in row.failed_checks %}|{{ c.message }}|{{ c.remedy }}{% endfor %}{% endfor %}"))
    lookup = INJECTED % marker
    assert text.split('|') == [
        lookup, '{{ 7*7 }} GPU', '{{ 7*7 }}',
        lookup, '{{ 7*7 }}',
        'dockerd does not answer: {% raw %}' + lookup, 'run site.yml on this host (tags docker_engine, dockerd_startup)',
        'smoke test failed: ' + lookup + ' {% if true %}IF{% endif %}', '{{ 7*7 }}',
    ]
    assert 'smoke test failed: ' + lookup + ' {% if true %}IF{% endif %}' in text
    # 7*7 evaluated would read 49; the marker's path may hold 49 too (pytest's numbered tmp directories).
    assert '49' not in text.replace(str(marker), '') and 'IF|' not in text
    assert text.count('{{ 7*7 }}') == 4
    assert not os.path.exists(str(marker))
    # The whole structure, templated as a variable, is unchanged too.
    assert _templar({'rows': rows}).template(trust_as_template('{{ rows }}')) == rows
    assert not os.path.exists(str(marker))


# ---------------------------------------------------------------- the smoke test's paths (CDI, NVML)

def test_every_path_is_shown_and_a_failed_one_fails_the_host():
    report = dict(REPORT, all_passed=False, paths={
        'gpus': {'passed': True, 'error': None},
        'cdi_docker': {'passed': True, 'error': None},
        'cdi_podman': {'passed': False, 'error': 'Error: setting up CDI devices: unknown field additionalGids',
                       'cause': 'podman is older than the spec', 'remedy': 'Run site.yml again.'},
        'nvml': {'passed': True, 'error': None},
    })
    record = row(nbody=slurp(report))
    assert record['paths'] == {'cdi_docker': True, 'cdi_podman': False, 'gpus': True, 'nvml': True}
    assert record['path_cells'] == ['cdi_docker: passed', 'cdi_podman: FAILED', 'gpus: passed', 'nvml: passed']
    assert record['status'] == 'failed'
    assert names(record) == ['path cdi_podman']
    check = record['failed_checks'][0]
    assert check['message'] == 'the cdi_podman path of the smoke test failed: podman is older than the spec'
    assert check['remedy'] == 'Run site.yml again.' and check['fatal'] is True


def test_a_report_without_paths_has_none():
    record = row()
    assert record['paths'] == {} and record['path_cells'] == [] and record['status'] == 'ok'


def test_a_path_of_the_wrong_type_is_invalid_data():
    record = row(nbody=slurp(dict(REPORT, paths={'nvml': {'passed': 'yes'}, 'cdi_docker': 'ok'})))
    assert record['paths'] == {'cdi_docker': None, 'nvml': None}
    assert record['path_cells'] == ['cdi_docker: unknown', 'nvml: unknown']
    assert record['status'] == 'failed'
    data = [c for c in record['failed_checks'] if c['name'] == 'data'][0]
    assert 'nbody report paths.cdi_docker is a string, expected a mapping' in data['message']
    assert 'nbody report paths.nvml.passed is a string, expected true or false' in data['message']
