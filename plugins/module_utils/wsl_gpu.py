# -*- coding: utf-8 -*-
# Copyright (c) wsl.cuda maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks behind the wsl.cuda.wsl_gpu module.

Every function takes the paths it reads (a ``root`` prefix and paths inside it)
and, where it must run a program, a ``run_command(argv) -> (rc, stdout, stderr)``
callable, so the unit tests drive the same code on a fake root.

A check result is a dict ``{status, message, evidence, remedy}``: ``status`` is
``pass``, ``fail`` or ``skip`` here; ``apply_fatal`` turns the failures that are
not fatal into ``warn`` and adds ``fatal`` (whether the check is one of the fatal
checks in force), so that no caller has to know the defaults.
"""

from __future__ import annotations

import ctypes
import errno
import faulthandler
import glob
import json
import os
import platform
import re
import select
import signal
import stat
import sys
import time

from ansible_collections.wsl.cuda.plugins.module_utils import dpkg

CHECK_NAMES = ('wsl', 'dxg', 'libdxcore', 'libcuda', 'cuda', 'nvml', 'linux_driver', 'docker_desktop', 'dpkg')
# What a CUDA container cannot live without; `cuda` joins them when probe_cuda is on.
BASE_FATAL_CHECKS = ('wsl', 'dxg', 'libdxcore', 'libcuda', 'linux_driver')

WSL_LIB_DIR = '/usr/lib/wsl/lib'
DXG_PATH = '/dev/dxg'
DOCKER_DESKTOP_DIR = '/mnt/wsl/docker-desktop'
# Where Docker Engine's packages put the CLI (docker-ce: /usr/bin; a manual install: /usr/local/bin).
DOCKER_ENGINE_CLI_PATHS = ('/usr/local/bin/docker', '/usr/bin/docker')
DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
PROBE_TIMEOUT = 60.0

NVIDIA_WSL_GUIDE = 'https://docs.nvidia.com/cuda/wsl-user-guide/index.html'
WSL_LDCONFIG_ISSUE = 'https://github.com/microsoft/WSL/issues/5548'
UPDATE_WINDOWS_REMEDY = (
    'update Windows (Windows 11, or Windows 10 21H2 or newer), install the current NVIDIA Windows driver '
    '(the Windows driver is the only driver a WSL distro needs), run `wsl --update` and `wsl --shutdown` '
    'in PowerShell, then reopen the distro (%s)' % NVIDIA_WSL_GUIDE
)

# Debian/Ubuntu packages of a Linux NVIDIA driver: inside WSL they put a second libcuda,
# libnvidia-ml or kernel module beside the ones WSL maps in from Windows.
LINUX_DRIVER_PACKAGE_PATTERNS = (
    r'nvidia-driver(-.+)?',
    r'nvidia-kernel-.+',
    r'nvidia-dkms-.+',
    r'nvidia-open(-.+)?',
    r'nvidia-headless-.+',
    r'nvidia-utils-.+',
    r'nvidia-compute-utils-.+',
    r'nvidia-smi',
    r'libnvidia-compute-.+',
    r'libnvidia-gl-.+',
    r'libnvidia-ml1',
    r'libcuda1',
    r'cuda-drivers(-.+)?',
    r'linux-modules-nvidia-.+',
    r'xserver-xorg-video-nvidia(-.+)?',
    r'firmware-nvidia-gsp(-.+)?',
)
_LINUX_DRIVER_RE = re.compile(r'^(?:%s)$' % '|'.join(LINUX_DRIVER_PACKAGE_PATTERNS))

CUDA_ERROR_NAMES = {
    0: 'CUDA_SUCCESS',
    1: 'CUDA_ERROR_INVALID_VALUE',
    2: 'CUDA_ERROR_OUT_OF_MEMORY',
    3: 'CUDA_ERROR_NOT_INITIALIZED',
    34: 'CUDA_ERROR_STUB_LIBRARY',
    35: 'CUDA_ERROR_INSUFFICIENT_DRIVER',
    46: 'CUDA_ERROR_DEVICES_UNAVAILABLE',
    100: 'CUDA_ERROR_NO_DEVICE',
    101: 'CUDA_ERROR_INVALID_DEVICE',
    304: 'CUDA_ERROR_OPERATING_SYSTEM',
    999: 'CUDA_ERROR_UNKNOWN',
}
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76


def result(status, message, evidence=None, remedy=''):
    return {'status': status, 'message': message, 'evidence': list(evidence or []), 'remedy': remedy}


class Loader(object):
    """The dynamic loader as the distro sees it, read once for every check.

    ``conf_dirs``: [(directory, file)] of ld.so.conf and its includes; ``cache``: `ldconfig -p`'s
    entries, or None with ``cache_error`` saying why; ``dry_run``: (harmless, other) complaints of a
    read-only ldconfig run.
    """

    __slots__ = ('conf_dirs', 'cache', 'cache_error', 'dry_run')

    def __init__(self, conf_dirs=(), cache=None, cache_error=None, dry_run=((), ())):
        self.conf_dirs = list(conf_dirs)
        self.cache = cache
        self.cache_error = cache_error
        self.dry_run = (list(dry_run[0]), list(dry_run[1]))


class Context(object):
    """What the checks read: the distro's root, its kernel release and environment, WSL's paths, the loader.

    ``run_command(argv) -> (rc, stdout, stderr)`` and ``ldconfig`` (its path) are how the loader is read;
    without ``run_command`` the cache reads as unreadable. ``loader`` is read by ``read_loader`` unless given.
    """

    __slots__ = ('root', 'kernel_release', 'environ', 'wsl_lib_dir', 'dxg_path', 'arch_tag',
                 'run_command', 'ldconfig', 'loader')

    def __init__(self, root='/', kernel_release=None, environ=None, wsl_lib_dir=WSL_LIB_DIR, dxg_path=DXG_PATH,
                 run_command=None, ldconfig=None, loader=None):
        self.root = root or '/'
        self.kernel_release = kernel_release or os.uname()[2]
        self.environ = dict(os.environ) if environ is None else environ
        self.wsl_lib_dir = os.path.normpath(wsl_lib_dir)
        self.dxg_path = dxg_path
        self.arch_tag = machine_arch()[1]
        self.run_command = run_command
        self.ldconfig = ldconfig
        self.loader = loader

    def host_path(self, path):
        """The host path of ``path`` (as seen inside the distro)."""
        return in_root(self.root, path)

    def wsl_lib(self, name):
        """The distro's path of WSL's library ``name``."""
        return os.path.join(self.wsl_lib_dir, name)


def read_loader(ctx):
    """The Loader of ``ctx``'s distro: ld.so.conf, the cache and a dry ldconfig run."""
    conf_dirs = ld_so_conf_dirs(ctx.root)
    if ctx.run_command is None:
        return Loader(conf_dirs, None, 'no way to run ldconfig')
    cache, cache_error = read_ldconfig_cache(ctx.run_command, ctx.ldconfig, ctx.root)
    return Loader(conf_dirs, cache, cache_error,
                  ldconfig_dry_run(ctx.run_command, ctx.ldconfig, ctx.root, ctx.wsl_lib_dir))


# ---------------------------------------------------------------- paths under root

def in_root(root, path):
    """The host path of ``path`` (absolute, as seen inside the distro) under ``root``."""
    path = '/' + path.lstrip('/')
    if not root or root == '/':
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(root, path.lstrip('/')))


def inside_root(root, host_path):
    """The distro's view (absolute path) of ``host_path``, a path under ``root``."""
    if not root or root == '/':
        return os.path.normpath(host_path)
    return '/' + os.path.relpath(host_path, in_root(root, '/')).replace(os.sep, '/').lstrip('/')


def resolve_in_root(root, path, max_links=40):
    """Resolve symlinks in ``path`` as the distro would see them, absolute targets staying inside ``root``."""
    pending = [p for p in path.split('/') if p not in ('', '.')]
    resolved = []
    links = 0
    while pending:
        part = pending.pop(0)
        if part == '..':
            if resolved:
                resolved.pop()
            continue
        candidate = '/' + '/'.join(resolved + [part])
        host = in_root(root, candidate)
        if os.path.islink(host) and links < max_links:
            links += 1
            target = os.readlink(host)
            if target.startswith('/'):
                resolved = []
            pending = [p for p in target.split('/') if p not in ('', '.')] + pending
        else:
            resolved.append(part)
    return '/' + '/'.join(resolved)


def read_text(root, path):
    """Text of a file under root, or None when it cannot be read."""
    try:
        with open(in_root(root, path), 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return None


def machine_arch():
    """(multiarch triplet, ldconfig arch tag, dpkg architecture) of this machine."""
    machine = platform.machine()
    table = {
        'x86_64': ('x86_64-linux-gnu', 'x86-64', 'amd64'),
        'aarch64': ('aarch64-linux-gnu', 'AArch64', 'arm64'),
    }
    return table.get(machine, ('%s-linux-gnu' % machine, machine, machine))


# ---------------------------------------------------------------- wsl

def detect_wsl(root, kernel_release, environ):
    """(wsl_version or None, evidence lines) from the kernel release, WSL's binfmt entry and environment."""
    evidence = ['kernel release: %s' % kernel_release]
    release = (kernel_release or '').lower()
    interop = [p for p in ('/proc/sys/fs/binfmt_misc/WSLInterop', '/proc/sys/fs/binfmt_misc/WSLInterop-late')
               if os.path.exists(in_root(root, p))]
    evidence.extend('%s exists' % p for p in interop)
    markers = [k for k in ('WSL_DISTRO_NAME', 'WSL_INTEROP', 'WSLENV') if (environ or {}).get(k)]
    evidence.extend('environment: %s=%s' % (k, environ[k]) for k in markers)
    if 'microsoft-standard' in release or 'wsl2' in release:
        return 2, evidence
    if 'microsoft' in release:
        # WSL 1 reports a synthetic kernel such as 4.4.0-19041-Microsoft.
        return 1, evidence
    if interop or markers:
        # WSL 1 always says Microsoft in the release; anything else is a WSL 2 VM with a custom kernel.
        evidence.append('custom kernel without "microsoft" in its release')
        return 2, evidence
    return None, evidence


def check_wsl(root, kernel_release, environ):
    version, evidence = detect_wsl(root, kernel_release, environ)
    distro = (environ or {}).get('WSL_DISTRO_NAME') or '<distro>'
    if version == 2:
        return result('pass', 'WSL 2 (kernel %s)' % kernel_release, evidence), version
    if version == 1:
        return result(
            'fail', 'this distro runs under WSL 1 (kernel %s), which has no GPU paravirtualization' % kernel_release,
            evidence,
            'convert it in PowerShell: `wsl --set-version %s 2` (and `wsl --set-default-version 2` for new '
            'distros), then rerun this playbook inside it' % distro), version
    return result(
        'fail', 'this host is not WSL (kernel %s)' % kernel_release, evidence,
        'run this playbook inside a WSL 2 distro on the Windows laptop with the NVIDIA GPU '
        '(PowerShell: `wsl --install -d Debian`); to test elsewhere, point the module at a WSL image '
        'with its root and kernel_release options'), version


# ---------------------------------------------------------------- /dev/dxg

def check_dxg(root, dxg_path, wsl_version=2):
    host = in_root(root, dxg_path)
    try:
        info = os.stat(host)
    except OSError as exc:
        reason = 'missing' if exc.errno == errno.ENOENT else 'unreadable (%s)' % exc.strerror
        remedy = UPDATE_WINDOWS_REMEDY
        if wsl_version == 1:
            remedy = 'convert the distro to WSL 2 (see the wsl check); WSL 1 has no /dev/dxg'
        return result('fail', '%s is %s: the dxgkrnl GPU paravirtualization driver is not present' % (dxg_path, reason),
                      ['stat %s: %s' % (host, exc.strerror)], remedy)
    if not stat.S_ISCHR(info.st_mode):
        return result('fail', '%s exists but is not a character device' % dxg_path,
                      ['%s: mode %s' % (host, oct(info.st_mode))],
                      'something replaced the device node WSL creates: `wsl --shutdown` in PowerShell and reopen '
                      'the distro; if it persists, %s' % UPDATE_WINDOWS_REMEDY)
    return result('pass', '%s is a character device (dxgkrnl present)' % dxg_path,
                  ['%s: character device %d:%d' % (dxg_path, os.major(info.st_rdev), os.minor(info.st_rdev))])


# ---------------------------------------------------------------- dynamic loader

def parse_wsl_conf(text):
    """/etc/wsl.conf as {section: {key: value}}, names lower-cased; tolerant of what WSL tolerates."""
    sections = {}
    current = sections.setdefault('', {})
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            current = sections.setdefault(line[1:-1].strip().lower(), {})
            continue
        if '=' in line:
            key, value = line.split('=', 1)
            value = value.split('#', 1)[0].strip().strip('"').strip("'")
            current[key.strip().lower()] = value
    return sections


def wsl_ldconfig_disabled(root):
    """True when /etc/wsl.conf has `[automount] ldconfig = false`."""
    conf = parse_wsl_conf(read_text(root, '/etc/wsl.conf'))
    return conf.get('automount', {}).get('ldconfig', '').lower() in ('false', 'no', '0', 'off')


def ld_so_conf_dirs(root, conf='/etc/ld.so.conf', _seen=None):
    """Library directories from ld.so.conf and its includes, in order, as [(dir, file)]."""
    seen = set() if _seen is None else _seen
    if conf in seen:
        return []
    seen.add(conf)
    text = read_text(root, conf)
    dirs = []
    for raw in (text or '').splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == 'include':
            for pattern in words[1:]:
                if not pattern.startswith('/'):
                    pattern = os.path.join(os.path.dirname(conf), pattern)
                for match in sorted(glob.glob(in_root(root, pattern))):
                    dirs.extend(ld_so_conf_dirs(root, inside_root(root, match), seen))
        elif words[0] == 'hwcap':
            continue
        else:
            for entry in line.replace(',', ' ').split():
                # "dir=TYPE" is an old libc5 syntax that ldconfig still accepts.
                dirs.append((os.path.normpath(entry.split('=', 1)[0]), conf))
    return dirs


_LDCONFIG_LINE = re.compile(r'^\s+(\S+)\s+\(([^)]*)\)(?:\s+hwcap:\s*\S+)?\s+=>\s+(\S.*)$')


def parse_ldconfig_cache(text):
    """`ldconfig -p` output as [{name, flags, path}] in cache (lookup) order."""
    entries = []
    for line in (text or '').splitlines():
        match = _LDCONFIG_LINE.match(line)
        if match:
            entries.append({'name': match.group(1), 'flags': match.group(2), 'path': match.group(3).strip()})
    return entries


def read_ldconfig_cache(run_command, ldconfig, root):
    """(entries, error) of the distro's loader cache, read with `ldconfig -p` (`-C` for a root other than /)."""
    if not ldconfig:
        return None, 'ldconfig not found on this host'
    argv = [ldconfig]
    if root not in ('', '/'):
        cache = in_root(root, '/etc/ld.so.cache')
        if not os.path.exists(cache):
            return None, 'no loader cache at /etc/ld.so.cache'
        argv += ['-C', cache]
    argv.append('-p')
    rc, out, err = run_command(argv)
    if rc != 0:
        return None, '%s failed (rc=%s): %s' % (' '.join(argv), rc, (err or out).strip())
    return parse_ldconfig_cache(out), None


def ldconfig_dry_run(run_command, ldconfig, root, wsl_lib_dir):
    """Complaints of a read-only ldconfig run (-N: no cache, -X: no links), split into (harmless, other)."""
    if not ldconfig:
        return [], []
    argv = [ldconfig, '-N', '-X']
    if root not in ('', '/'):
        argv += ['-r', root]
    rc, out, err = run_command(argv)
    harmless, other = [], []
    wsl_prefix = wsl_lib_dir.rstrip('/') + '/'
    for line in (err or '').splitlines() + ([] if rc == 0 else (out or '').splitlines()):
        line = line.strip()
        if not line:
            continue
        if line.endswith('is not a symbolic link') and wsl_prefix in line:
            # WSL maps libcuda.so, .so.1 and .so.1.1 in as copies, not links.
            harmless.append('%s (harmless: WSL ships these as copies, %s)' % (line, WSL_LDCONFIG_ISSUE))
        else:
            other.append(line)
    return harmless, other


def arch_entries(entries, name, arch_tag):
    """Cache entries for ``name`` of this machine's ABI (all of them when none carries the tag)."""
    named = [e for e in entries or [] if e['name'] == name]
    native = [e for e in named if arch_tag in e['flags']]
    return native or named


def _ldconfig_remedy(root, wsl_lib_dir):
    if wsl_ldconfig_disabled(root):
        return ('/etc/wsl.conf sets `[automount] ldconfig = false`, so WSL no longer writes '
                '/etc/ld.so.conf.d/ld.wsl.conf: remove that setting and run `wsl --shutdown` in PowerShell, or '
                'write %s into /etc/ld.so.conf.d/ld.wsl.conf yourself; then run `sudo ldconfig`' % wsl_lib_dir)
    return ('WSL writes /etc/ld.so.conf.d/ld.wsl.conf (containing %s) when the distro starts: restore it '
            '(`echo %s | sudo tee /etc/ld.so.conf.d/ld.wsl.conf`, or `wsl --shutdown` in PowerShell and reopen), '
            'then run `sudo ldconfig`' % (wsl_lib_dir, wsl_lib_dir))


def check_libdxcore(ctx, probe):
    """libdxcore.so present in wsl_lib_dir, that directory known to the loader, and the library loading.

    ``probe`` is probe_dxcore_library's result, or None when the library was not probed.
    """
    root, wsl_lib_dir, arch_tag = ctx.root, ctx.wsl_lib_dir, ctx.arch_tag
    conf_dirs, cache, cache_error = ctx.loader.conf_dirs, ctx.loader.cache, ctx.loader.cache_error
    path = os.path.join(wsl_lib_dir, 'libdxcore.so')
    evidence = []
    if not os.path.isdir(in_root(root, wsl_lib_dir)):
        return result('fail', '%s does not exist: WSL did not map in the Windows GPU libraries' % wsl_lib_dir,
                      ['%s: no such directory' % in_root(root, wsl_lib_dir)], UPDATE_WINDOWS_REMEDY)
    if not os.path.exists(in_root(root, path)):
        return result('fail', '%s is missing' % path, ['%s: no such file' % in_root(root, path)], UPDATE_WINDOWS_REMEDY)
    evidence.append('%s exists' % path)
    problems = []
    listed = [source for directory, source in conf_dirs if directory == os.path.normpath(wsl_lib_dir)]
    if listed:
        evidence.append('%s listed in %s' % (wsl_lib_dir, ', '.join(sorted(set(listed)))))
    else:
        problems.append('%s is not in /etc/ld.so.conf or /etc/ld.so.conf.d' % wsl_lib_dir)
        if wsl_ldconfig_disabled(root):
            evidence.append('/etc/wsl.conf: [automount] ldconfig = false')
    if cache_error:
        problems.append('the loader cache cannot be read: %s' % cache_error)
    else:
        found = arch_entries(cache, 'libdxcore.so', arch_tag)
        if found and found[0]['path'] == path:
            evidence.append('ldconfig cache: libdxcore.so => %s' % found[0]['path'])
        elif found:
            problems.append('the loader cache resolves libdxcore.so to %s, not %s' % (found[0]['path'], path))
        else:
            problems.append('libdxcore.so is not in the loader cache')
    if probe is not None:
        if probe.get('error'):
            problems.append(probe['error'])
        else:
            evidence.append('dlopen %s: ok, exports %s' % (probe.get('path'), ', '.join(probe.get('symbols', []))))
    if problems:
        load_failed = probe is not None and probe.get('error')
        remedy = _ldconfig_remedy(root, wsl_lib_dir)
        if load_failed:
            remedy = '%s; if it still does not load, %s' % (remedy, UPDATE_WINDOWS_REMEDY)
        return result('fail', '; '.join(problems), evidence, remedy)
    return result('pass', '%s is known to the loader and loads' % path, evidence)


# ---------------------------------------------------------------- libcuda

def library_dirs(root, conf_dirs, environ):
    """Directories the distro's loader (or a CUDA install) would take libcuda.so.1 from, in-root paths."""
    triplet = machine_arch()[0]
    dirs = [entry[0] for entry in conf_dirs]
    ld_library_path = (environ or {}).get('LD_LIBRARY_PATH', '')
    dirs += [d for d in ld_library_path.split(':') if d]
    dirs += ['/lib/%s' % triplet, '/usr/lib/%s' % triplet, '/lib64', '/usr/lib64', '/lib', '/usr/lib',
             '/usr/local/lib', '/usr/lib/%s/nvidia/current' % triplet, '/usr/lib/nvidia/current']
    for pattern in ('/usr/local/cuda*/compat', '/usr/local/cuda*/lib64', '/usr/local/cuda*/targets/*/lib'):
        for match in sorted(glob.glob(in_root(root, pattern))):
            dirs.append(inside_root(root, match))
    unique = []
    for directory in dirs:
        directory = os.path.normpath(directory)
        if directory not in unique:
            unique.append(directory)
    return unique


def find_libcuda_copies(root, wsl_lib_dir, dirs, cache):
    """In-root paths (symlinks resolved) of every libcuda.so.1 the distro has besides WSL's."""
    wsl_real = resolve_in_root(root, wsl_lib_dir)
    copies = []
    candidates = [os.path.join(d, 'libcuda.so.1') for d in dirs]
    candidates += [e['path'] for e in cache or [] if e['name'] == 'libcuda.so.1']
    for candidate in candidates:
        if not os.path.lexists(in_root(root, candidate)):
            continue
        real = resolve_in_root(root, candidate)
        if os.path.dirname(real) == wsl_real or os.path.dirname(candidate) == os.path.normpath(wsl_lib_dir):
            continue
        if real not in copies:
            copies.append(real)
    return copies


def dpkg_owners(root, paths):
    """{path: package} for the paths some installed package's file list names (merged-/usr aware)."""
    wanted = {}
    for path in paths:
        for alias in _usr_aliases(path):
            wanted[alias] = path
    owners = {}
    info_dir = in_root(root, '/var/lib/dpkg/info')
    for list_file in sorted(glob.glob(os.path.join(info_dir, '*.list'))):
        package = os.path.basename(list_file)[:-len('.list')]
        try:
            with open(list_file, 'rb') as handle:
                for line in handle:
                    name = line.decode('utf-8', 'replace').rstrip('\n')
                    if name in wanted:
                        owners.setdefault(wanted[name], package)
        except (IOError, OSError):
            continue
    return owners


def _usr_aliases(path):
    aliases = [path]
    for short in ('/lib', '/lib64', '/bin', '/sbin'):
        if path.startswith(short + '/'):
            aliases.append('/usr' + path)
        elif path.startswith('/usr' + short + '/'):
            aliases.append(path[len('/usr'):])
    return aliases


def purge_command(packages):
    return 'sudo apt-get purge %s && sudo apt-get autoremove --purge' % ' '.join(packages)


def check_libcuda(ctx):
    """libcuda.so.1 resolves to WSL's copy and no other copy shadows it."""
    root, wsl_lib_dir, arch_tag, environ = ctx.root, ctx.wsl_lib_dir, ctx.arch_tag, ctx.environ
    conf_dirs, cache, cache_error = ctx.loader.conf_dirs, ctx.loader.cache, ctx.loader.cache_error
    dry_run = ctx.loader.dry_run
    path = os.path.join(wsl_lib_dir, 'libcuda.so.1')
    harmless, other = dry_run
    evidence = list(harmless) + list(other)
    if not os.path.exists(in_root(root, path)):
        return result('fail', '%s is missing' % path, evidence + ['%s: no such file' % in_root(root, path)],
                      UPDATE_WINDOWS_REMEDY)
    evidence.insert(0, '%s exists' % path)
    problems, remedies = [], []
    copies = find_libcuda_copies(root, wsl_lib_dir, library_dirs(root, conf_dirs, environ), cache)
    if cache_error:
        problems.append('the loader cache cannot be read: %s' % cache_error)
        remedies.append('run `sudo ldconfig`')
    else:
        found = arch_entries(cache, 'libcuda.so.1', arch_tag)
        if not found:
            problems.append('libcuda.so.1 is not in the loader cache')
            remedies.append(_ldconfig_remedy(root, wsl_lib_dir))
        elif os.path.dirname(found[0]['path']) != os.path.normpath(wsl_lib_dir):
            problems.append('the loader resolves libcuda.so.1 to %s, not %s' % (found[0]['path'], path))
        else:
            evidence.append('ldconfig cache: libcuda.so.1 => %s' % found[0]['path'])
    ld_library_path = [d for d in (environ or {}).get('LD_LIBRARY_PATH', '').split(':') if d]
    shadow_dirs = [d for d in ld_library_path if os.path.lexists(in_root(root, os.path.join(d, 'libcuda.so.1')))
                   and os.path.normpath(d) != os.path.normpath(wsl_lib_dir)]
    if copies:
        problems.append('libcuda.so.1 shadowed by %s' % ', '.join(copies))
        owners = dpkg_owners(root, copies)
        packages = sorted(set(owners.values()))
        evidence.extend('%s belongs to package %s' % (p, owners[p]) if p in owners else '%s belongs to no package' % p
                        for p in copies)
        if packages:
            remedies.append('remove the Linux NVIDIA driver, which NVIDIA forbids inside WSL: `%s`' % purge_command(packages))
        unowned = [p for p in copies if p not in owners]
        if unowned:
            remedies.append('delete the copies no package owns: `sudo rm %s`' % ' '.join(unowned))
        if shadow_dirs:
            remedies.append('drop %s from LD_LIBRARY_PATH' % ':'.join(shadow_dirs))
        remedies.append('run `sudo ldconfig`')
    elif problems and not remedies:
        remedies.append('run `sudo ldconfig`')
    if problems:
        return result('fail', '; '.join(problems), evidence, '; then '.join(remedies))
    return result('pass', 'libcuda.so.1 resolves to %s and nothing shadows it' % path, evidence)


# ---------------------------------------------------------------- ctypes probes

def _buffer_text(buf):
    return buf.value.decode('utf-8', 'replace')


def probe_dxcore_library(path):
    """dlopen libdxcore.so and look its entry points up (never call them)."""
    out = {'path': path, 'loaded': False, 'symbols': [], 'error': None}
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        out['error'] = 'cannot load %s: %s' % (path, exc)
        return out
    out['loaded'] = True
    for name in ('DXCoreCreateAdapterFactory', 'D3DKMTEnumAdapters2'):
        if hasattr(lib, name):
            out['symbols'].append(name)
    if 'DXCoreCreateAdapterFactory' not in out['symbols']:
        out['error'] = '%s loads but does not export DXCoreCreateAdapterFactory' % path
    return out


def cuda_version_text(version):
    """12060 -> '12.6'."""
    if not version:
        return None
    return '%d.%d' % (version // 1000, (version % 1000) // 10)


def _bind(path, out, kind, signatures):
    """dlopen ``path`` and bind each function of ``signatures`` ({name: argtypes}; all return int).

    Returns (lib, {name: function}), or (None, None) after noting in ``out`` why not.
    """
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        out['error'] = 'cannot load %s: %s' % (path, exc)
        return None, None
    out['loaded'] = True
    functions = {}
    for name, argtypes in signatures.items():
        try:
            function = getattr(lib, name)
        except AttributeError as exc:
            out['error'] = '%s is not %s: %s' % (path, kind, exc)
            return None, None
        function.restype = ctypes.c_int
        function.argtypes = argtypes
        functions[name] = function
    return lib, functions


_CUDA_SIGNATURES = {
    'cuInit': [ctypes.c_uint],
    'cuDriverGetVersion': [ctypes.POINTER(ctypes.c_int)],
    'cuDeviceGetCount': [ctypes.POINTER(ctypes.c_int)],
    'cuDeviceGet': [ctypes.POINTER(ctypes.c_int), ctypes.c_int],
    'cuDeviceGetName': [ctypes.c_char_p, ctypes.c_int, ctypes.c_int],
    'cuDeviceTotalMem_v2': [ctypes.POINTER(ctypes.c_size_t), ctypes.c_int],
    'cuDeviceGetAttribute': [ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_int],
}

_NVML_SIGNATURES = {
    'nvmlInit_v2': [],
    'nvmlShutdown': [],
    'nvmlSystemGetDriverVersion': [ctypes.c_char_p, ctypes.c_uint],
    'nvmlDeviceGetCount_v2': [ctypes.POINTER(ctypes.c_uint)],
    'nvmlDeviceGetHandleByIndex_v2': [ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)],
    'nvmlDeviceGetName': [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint],
}


def probe_cuda_library(path):
    """cuInit(0), driver version and every device through the CUDA driver API in ``path``."""
    out = {'path': path, 'loaded': False, 'error': None, 'error_code': None, 'error_name': None,
           'version': None, 'devices': []}
    lib, cu = _bind(path, out, 'a CUDA driver library', _CUDA_SIGNATURES)
    if lib is None:
        return out
    cu_init, get_version, get_count, get_device, get_name, total_mem, get_attribute = (
        cu[name] for name in _CUDA_SIGNATURES)

    def fail(call, code):
        out['error_code'] = code
        out['error_name'] = _cuda_error_name(lib, code)
        out['error'] = '%s returned %d (%s)' % (call, code, out['error_name'])
        return out

    version = ctypes.c_int(0)
    if get_version(ctypes.byref(version)) == 0:
        out['version'] = version.value
    code = cu_init(0)
    if code != 0:
        return fail('cuInit(0)', code)
    count = ctypes.c_int(0)
    code = get_count(ctypes.byref(count))
    if code != 0:
        return fail('cuDeviceGetCount', code)
    for ordinal in range(count.value):
        device = ctypes.c_int(0)
        code = get_device(ctypes.byref(device), ordinal)
        if code != 0:
            return fail('cuDeviceGet(%d)' % ordinal, code)
        name = ctypes.create_string_buffer(256)
        memory = ctypes.c_size_t(0)
        major = ctypes.c_int(0)
        minor = ctypes.c_int(0)
        for call, code in (
                ('cuDeviceGetName', get_name(name, 256, device.value)),
                ('cuDeviceTotalMem_v2', total_mem(ctypes.byref(memory), device.value)),
                ('cuDeviceGetAttribute(CC major)', get_attribute(
                    ctypes.byref(major), CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device.value)),
                ('cuDeviceGetAttribute(CC minor)', get_attribute(
                    ctypes.byref(minor), CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device.value))):
            if code != 0:
                return fail('%s(%d)' % (call, ordinal), code)
        out['devices'].append({
            'name': _buffer_text(name),
            'memory_mib': memory.value // (1024 * 1024),
            'compute_capability': '%d.%d' % (major.value, minor.value),
        })
    return out


def _cuda_error_name(lib, code):
    try:
        get_name = lib.cuGetErrorName
        get_name.restype = ctypes.c_int
        get_name.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
        text = ctypes.c_char_p()
        if get_name(code, ctypes.byref(text)) == 0 and text.value:
            return text.value.decode('ascii', 'replace')
    except AttributeError:
        pass
    return CUDA_ERROR_NAMES.get(code, 'CUDA error %d' % code)


def probe_nvml_library(path):
    """Driver version and GPU names through NVML in ``path``."""
    out = {'path': path, 'loaded': False, 'error': None, 'error_code': None, 'driver_version': None,
           'cuda_version': None, 'devices': []}
    lib, nvml = _bind(path, out, 'an NVML library', _NVML_SIGNATURES)
    if lib is None:
        return out
    init, shutdown, driver_version, get_count, get_handle, get_name = (nvml[name] for name in _NVML_SIGNATURES)

    def fail(call, code):
        out['error_code'] = code
        out['error'] = '%s returned %d (%s)' % (call, code, _nvml_error_string(lib, code))
        return out

    code = init()
    if code != 0:
        return fail('nvmlInit_v2', code)
    try:
        version = ctypes.create_string_buffer(96)
        code = driver_version(version, 96)
        if code != 0:
            return fail('nvmlSystemGetDriverVersion', code)
        out['driver_version'] = _buffer_text(version)
        cuda_version = ctypes.c_int(0)
        get_cuda = getattr(lib, 'nvmlSystemGetCudaDriverVersion_v2', None)
        if get_cuda is not None:
            get_cuda.restype = ctypes.c_int
            get_cuda.argtypes = [ctypes.POINTER(ctypes.c_int)]
            if get_cuda(ctypes.byref(cuda_version)) == 0:
                out['cuda_version'] = cuda_version.value
        count = ctypes.c_uint(0)
        code = get_count(ctypes.byref(count))
        if code != 0:
            return fail('nvmlDeviceGetCount_v2', code)
        for index in range(count.value):
            handle = ctypes.c_void_p()
            code = get_handle(index, ctypes.byref(handle))
            if code != 0:
                return fail('nvmlDeviceGetHandleByIndex_v2(%d)' % index, code)
            name = ctypes.create_string_buffer(96)
            code = get_name(handle, name, 96)
            if code != 0:
                return fail('nvmlDeviceGetName(%d)' % index, code)
            out['devices'].append({'name': _buffer_text(name)})
    finally:
        shutdown()
    return out


def _nvml_error_string(lib, code):
    try:
        error_string = lib.nvmlErrorString
        error_string.restype = ctypes.c_char_p
        error_string.argtypes = [ctypes.c_int]
        text = error_string(code)
        if text:
            return text.decode('ascii', 'replace')
    except AttributeError:
        pass
    return 'NVML error %d' % code


def run_isolated(plan, timeout=PROBE_TIMEOUT):
    """Run ``plan`` ([(key, function, args)]) in a forked child and return {key: function(*args)}.

    A driver library that crashes (SIGSEGV), prints to stdout (the module's JSON channel)
    or hangs in cuInit must not take the module down: each result comes back as a JSON
    line; a step that never reported gets ``{'error': ...}`` naming what happened.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_fd)
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.stdout = sys.stderr = os.fdopen(devnull, 'w')
            if faulthandler.is_enabled():
                faulthandler.disable()
            for key, function, args in plan:
                try:
                    value = function(*args)
                except Exception as exc:  # pylint: disable=broad-except
                    value = {'error': '%s raised %s: %s' % (key, type(exc).__name__, exc)}
                data = (json.dumps({key: value}) + '\n').encode('utf-8')
                while data:
                    data = data[os.write(write_fd, data):]
        finally:
            os._exit(0)  # pylint: disable=protected-access
    os.close(write_fd)
    chunks = []
    deadline = time.time() + timeout
    timed_out = False
    try:
        while True:
            left = deadline - time.time()
            if left <= 0:
                timed_out = True
                break
            ready = select.select([read_fd], [], [], left)[0]
            if not ready:
                continue
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        wait_status = os.waitpid(pid, 0)[1]
    results = {}
    for line in b''.join(chunks).decode('utf-8', 'replace').splitlines():
        try:
            results.update(json.loads(line))
        except ValueError:
            continue
    if timed_out:
        why = 'did not finish within %g s' % timeout
    elif os.WIFSIGNALED(wait_status):
        why = 'the probe process died with signal %d' % os.WTERMSIG(wait_status)
    else:
        why = 'the probe process exited with status %d' % os.WEXITSTATUS(wait_status)
    for key, dummy, args in plan:
        if key not in results:
            results[key] = {'path': args[0] if args else None, 'error': 'probing %s: %s' % (key, why)}
    return results


def cuda_remedy(code):
    if code == 100:
        return ('WSL sees no NVIDIA GPU: check the GPU in Windows Device Manager, install the current NVIDIA '
                'Windows driver, then `wsl --shutdown` in PowerShell and reopen the distro (%s)' % NVIDIA_WSL_GUIDE)
    if code == 34:
        return ('a CUDA stub library was loaded instead of the driver: remove /usr/local/cuda*/lib64/stubs from '
                'LD_LIBRARY_PATH and /etc/ld.so.conf.d, then `sudo ldconfig`')
    if code == 35:
        return 'the NVIDIA Windows driver is too old for this CUDA: %s' % UPDATE_WINDOWS_REMEDY
    return UPDATE_WINDOWS_REMEDY


def check_cuda(enabled, libcuda_path, present, probe):
    if not enabled:
        return result('skip', 'CUDA driver API not probed (probe_cuda=false)')
    if not present:
        return result('skip', 'CUDA driver API not probed: %s is missing (see the libcuda check)' % libcuda_path)
    evidence = []
    if probe.get('version'):
        evidence.append('cuDriverGetVersion: %d (CUDA %s)' % (probe['version'], cuda_version_text(probe['version'])))
    if probe.get('error'):
        evidence.append(probe['error'])
        code = probe.get('error_code')
        if code is None:
            return result('fail', probe['error'], evidence, UPDATE_WINDOWS_REMEDY)
        return result('fail', 'CUDA cannot start: %s' % probe['error'], evidence, cuda_remedy(code))
    devices = probe.get('devices') or []
    evidence.extend('device %d: %s, %d MiB, compute capability %s' % (
        i, d['name'], d['memory_mib'], d['compute_capability']) for i, d in enumerate(devices))
    if not devices:
        return result('fail', 'cuInit succeeded but cuDeviceGetCount reports no GPU', evidence, cuda_remedy(100))
    return result('pass', 'CUDA %s, %d device(s)' % (cuda_version_text(probe.get('version')), len(devices)), evidence)


def check_nvml(enabled, nvml_path, present, probe):
    if not enabled:
        return result('skip', 'NVML not probed (probe_nvml=false)')
    if not present:
        return result('fail', '%s is missing' % nvml_path, [], UPDATE_WINDOWS_REMEDY)
    if probe.get('error'):
        return result('fail', 'NVML cannot start: %s' % probe['error'], [probe['error']], UPDATE_WINDOWS_REMEDY)
    evidence = ['nvmlSystemGetDriverVersion: %s' % probe.get('driver_version')]
    evidence.extend('GPU %d: %s' % (i, d['name']) for i, d in enumerate(probe.get('devices') or []))
    if not probe.get('devices'):
        return result('fail', 'NVML reports no GPU', evidence, cuda_remedy(100))
    return result('pass', 'NVML: driver %s, %d GPU(s)' % (probe.get('driver_version'), len(probe['devices'])), evidence)


# ---------------------------------------------------------------- packages

def installed_packages(stanzas):
    """The installed packages among dpkg's stanzas as [(package, architecture, version)]."""
    return [(fields['package'], fields.get('architecture', ''), fields.get('version', ''))
            for fields in stanzas if dpkg.is_installed(fields.get('status'))]


def linux_driver_packages(packages, native_arch):
    """The Linux NVIDIA driver packages among ``packages``, spelled for apt-get (name:arch for foreign ones)."""
    found = []
    for name, arch, dummy in packages:
        if _LINUX_DRIVER_RE.match(name):
            found.append(name if arch in ('', 'all', native_arch) else '%s:%s' % (name, arch))
    return found


def check_linux_driver(root, database=None):
    """No Linux NVIDIA driver package is installed. database: dpkg_database(root), when the caller read it already."""
    stanzas, _journal = database or dpkg_database(root)
    if stanzas is None:
        return result('skip', 'no dpkg database (%s): not a Debian-family distro' % DPKG_STATUS)
    packages = installed_packages(stanzas)
    found = linux_driver_packages(packages, machine_arch()[2])
    versions = dict((entry[0], entry[2]) for entry in packages)
    evidence = ['%d installed packages in %s' % (len(packages), DPKG_STATUS)]
    if not found:
        return result('pass', 'no Linux NVIDIA driver packages installed', evidence)
    evidence.extend('installed: %s %s' % (p, versions.get(p.split(':', 1)[0], '')) for p in found)
    return result(
        'fail', 'Linux NVIDIA driver packages installed inside WSL: %s' % ', '.join(found), evidence,
        'NVIDIA\'s WSL guide forbids a Linux display driver inside WSL (the Windows driver provides libcuda): '
        '`%s`' % purge_command(found))


# ---------------------------------------------------------------- dpkg

DPKG_STATUS = dpkg.STATUS_PATH
DPKG_UPDATES_DIR = '/var/lib/dpkg/updates'
# dpkg --audit's unfinished states: `dpkg --configure -a` completes all but half-installed, which
# apt reinstalls when the package is installed again.
DPKG_UNFINISHED_STATES = ('half-installed', 'unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending')
DPKG_CONFIGURE_COMMAND = 'sudo dpkg --configure -a'


def dpkg_journal(root):
    """Names of the journal files in /var/lib/dpkg/updates, in order.

    dpkg writes one per status change and folds them into the status file when it finishes; a
    run that was killed leaves them, and apt then refuses with "dpkg was interrupted" (apt, like
    dpkg, counts the files whose names are all digits).
    """
    try:
        names = os.listdir(in_root(root, DPKG_UPDATES_DIR))
    except OSError:
        return []
    return sorted(n for n in names if n.isdigit())


def dpkg_database(root):
    """(stanzas of the status file with the journal applied, journal names), or (None, names) without dpkg."""
    text = read_text(root, DPKG_STATUS)
    journal = dpkg_journal(root)
    if text is None:
        return None, journal
    merged = {}
    order = []
    texts = [text] + [read_text(root, '%s/%s' % (DPKG_UPDATES_DIR, name)) for name in journal]
    for part in texts:
        for fields in dpkg.parse_stanzas(part):
            key = (fields['package'], fields.get('architecture', ''))
            if key not in merged:
                order.append(key)
            merged[key] = fields
    return [merged[key] for key in order], journal


def unfinished_packages(stanzas):
    """[(package, version, state, reinstall required)] of the packages dpkg left unfinished."""
    found = []
    for fields in stanzas or []:
        words = fields.get('status', '').split()
        if len(words) != 3:
            continue
        if words[2] in DPKG_UNFINISHED_STATES or words[1] == 'reinstreq':
            found.append((fields['package'], fields.get('version', ''), words[2], words[1] == 'reinstreq'))
    return found


def check_dpkg(root, database=None):
    """dpkg is not interrupted: no journal left in /var/lib/dpkg/updates, no package left unfinished.
    database: dpkg_database(root), when the caller read it already."""
    stanzas, journal = database or dpkg_database(root)
    if stanzas is None:
        return result('skip', 'no dpkg database (%s): not a Debian-family distro' % DPKG_STATUS)
    unfinished = unfinished_packages(stanzas)
    if not journal and not unfinished:
        return result('pass', 'dpkg is not interrupted', ['%s: no journal files' % DPKG_UPDATES_DIR,
                                                          'no package left unfinished in %s' % DPKG_STATUS])
    evidence = ['%s/%s: journal of a dpkg run that did not finish' % (DPKG_UPDATES_DIR, name) for name in journal]
    evidence.extend('%s %s: %s%s' % (name, version, state, ', reinstall required' if reinstreq else '')
                    for name, version, state, reinstreq in unfinished)
    parts = []
    if journal:
        parts.append('%d journal file%s in %s' % (len(journal), '' if len(journal) == 1 else 's', DPKG_UPDATES_DIR))
    if unfinished:
        parts.append('packages left unfinished: %s' % ', '.join('%s (%s)' % (n, s) for n, dummy, s, dummy2 in unfinished))
    return result(
        'fail', 'dpkg was interrupted (%s)' % '; '.join(parts), evidence,
        'complete it with `%s` (the site play does this itself before it installs anything); if that fails, '
        'read the error of the package it names, fix its cause or remove the package (`sudo dpkg --purge '
        'PACKAGE`), and run `%s` again until it succeeds' % (DPKG_CONFIGURE_COMMAND, DPKG_CONFIGURE_COMMAND))


# ---------------------------------------------------------------- docker desktop

def check_docker_desktop(root, environ):
    """Whether Docker Desktop's WSL integration provides docker here: the first docker on PATH, the places
    Docker Engine's packages install it (dpkg would replace the integration's link there) and the socket.
    The result's ``paths`` are those of them that point into the integration (wsl.cuda.docker_engine's
    refusal names them)."""
    evidence = []
    path = (environ or {}).get('PATH') or DEFAULT_PATH
    # /mnt/wsl/docker-desktop/, and its -bind-mounts and -data siblings.
    prefix = DOCKER_DESKTOP_DIR
    owned, paths = [], []

    def note(candidate):
        real = resolve_in_root(root, candidate)
        if real.startswith(prefix) and candidate not in paths:
            owned.append('%s points to %s' % (candidate, real))
            paths.append(candidate)
        return real

    for directory in path.split(':'):
        if not directory.startswith('/'):
            continue
        candidate = os.path.join(directory, 'docker')
        if os.path.lexists(in_root(root, candidate)):
            real = note(candidate)
            evidence.append('docker on PATH: %s -> %s' % (candidate, real) if real != candidate
                            else 'docker on PATH: %s' % candidate)
            break
    else:
        evidence.append('no docker on PATH')
    for candidate in DOCKER_ENGINE_CLI_PATHS:
        if os.path.lexists(in_root(root, candidate)):
            note(candidate)
    for socket in ('/var/run/docker.sock', '/run/docker.sock'):
        if os.path.lexists(in_root(root, socket)):
            before = len(paths)
            note(socket)
            if len(paths) > before:
                break
    if owned:
        return dict(result(
            'fail', 'Docker Desktop\'s WSL integration owns docker (%s)' % '; '.join(owned), evidence,
            'this collection installs Docker Engine inside the distro, and Docker documents running both as '
            'conflicting: in Docker Desktop, Settings > Resources > WSL integration, turn the integration off for '
            'this distro (or quit Docker Desktop), then `wsl --shutdown` in PowerShell '
            '(https://docs.docker.com/desktop/features/wsl/)'), paths=paths)
    return dict(result('pass', 'docker is not Docker Desktop\'s', evidence), paths=paths)


# ---------------------------------------------------------------- all together

def default_fatal_checks(probe_cuda=True):
    return list(BASE_FATAL_CHECKS) + (['cuda'] if probe_cuda else [])


def probe_plan(ctx, probe_cuda=True, probe_nvml=True):
    """[(key, function, args)] of the library probes to run: those asked for whose library is there."""
    plan = [('libdxcore', probe_dxcore_library, 'libdxcore.so', True),
            ('cuda', probe_cuda_library, 'libcuda.so.1', probe_cuda),
            ('nvml', probe_nvml_library, 'libnvidia-ml.so.1', probe_nvml)]
    return [(key, function, [ctx.host_path(ctx.wsl_lib(name))]) for key, function, name, wanted in plan
            if wanted and os.path.exists(ctx.host_path(ctx.wsl_lib(name)))]


def gather(root='/', kernel_release=None, environ=None, wsl_lib_dir=WSL_LIB_DIR, dxg_path=DXG_PATH,
           probe_cuda=True, probe_nvml=True, fatal_checks=None, run_command=None, ldconfig=None,
           probe_timeout=PROBE_TIMEOUT):
    """Run every check; return (the wsl_gpu facts, the names of the fatal checks that failed).

    ``fatal_checks`` None means ``default_fatal_checks(probe_cuda)``; a failed check outside it is
    reported with status ``warn``.
    """
    ctx = Context(root, kernel_release, environ, wsl_lib_dir, dxg_path, run_command, ldconfig)
    return gather_context(ctx, probe_cuda, probe_nvml, fatal_checks, probe_timeout)


def gather_context(ctx, probe_cuda=True, probe_nvml=True, fatal_checks=None, probe_timeout=PROBE_TIMEOUT):
    """gather() for a Context."""
    checks = {}
    checks['wsl'], wsl_version = check_wsl(ctx.root, ctx.kernel_release, ctx.environ)
    checks['dxg'] = check_dxg(ctx.root, ctx.dxg_path, wsl_version)

    if ctx.loader is None:
        ctx.loader = read_loader(ctx)
    plan = probe_plan(ctx, probe_cuda, probe_nvml)
    probes = run_isolated(plan, probe_timeout) if plan else {}

    checks['libdxcore'] = check_libdxcore(ctx, probes.get('libdxcore'))
    checks['libcuda'] = check_libcuda(ctx)
    for name, enabled, library, check in (('cuda', probe_cuda, 'libcuda.so.1', check_cuda),
                                          ('nvml', probe_nvml, 'libnvidia-ml.so.1', check_nvml)):
        checks[name] = check(enabled, ctx.wsl_lib(library), os.path.exists(ctx.host_path(ctx.wsl_lib(library))),
                             probes.get(name, {}))
    # dpkg's status (several MB on a desktop distro) is read and parsed once for both of its checks.
    database = dpkg_database(ctx.root)
    checks['linux_driver'] = check_linux_driver(ctx.root, database)
    checks['docker_desktop'] = check_docker_desktop(ctx.root, ctx.environ)
    checks['dpkg'] = check_dpkg(ctx.root, database)

    if wsl_version != 2:
        # Without WSL 2 there is no GPU paravirtualization: the wsl check's remedy is the one that counts.
        for name in ('dxg', 'libdxcore', 'libcuda', 'cuda', 'nvml'):
            if checks[name]['status'] == 'fail':
                checks[name]['remedy'] = 'follows from the wsl check: %s' % checks['wsl']['remedy']
                if wsl_version is None:
                    checks[name]['remedy'] = 'none here: this host is not WSL (see the wsl check)'

    cuda_probe = probes.get('cuda') or {}
    nvml_probe = probes.get('nvml') or {}
    devices = [] if cuda_probe.get('error') else list(cuda_probe.get('devices') or [])
    if not devices and not nvml_probe.get('error'):
        devices = [{'name': d['name'], 'memory_mib': None, 'compute_capability': None}
                   for d in nvml_probe.get('devices') or []]
    cuda_version = cuda_probe.get('version') or nvml_probe.get('cuda_version')
    facts = {
        'checks': checks,
        'wsl_version': wsl_version,
        'kernel_release': ctx.kernel_release,
        'devices': devices,
        'driver_version': None if nvml_probe.get('error') else nvml_probe.get('driver_version'),
        'cuda_driver_version': cuda_version_text(cuda_version),
    }
    if fatal_checks is None:
        fatal_checks = default_fatal_checks(probe_cuda)
    fatal = apply_fatal(checks, fatal_checks)
    facts['summary'] = summarize(facts)
    return facts, fatal


def apply_fatal(checks, fatal_checks):
    """Flag each check ``fatal`` or not, mark failures outside ``fatal_checks`` as ``warn``.

    Returns the names of the fatal failures.
    """
    fatal = []
    for name in CHECK_NAMES:
        check = checks.get(name)
        if check is None:
            continue
        check['fatal'] = name in fatal_checks
        if check['status'] != 'fail':
            continue
        if name in fatal_checks:
            fatal.append(name)
        else:
            check['status'] = 'warn'
    return fatal


def failure_lines(checks, names):
    """One line per check: "<name>: <what is wrong>. Remedy: <what to do>"."""
    lines = []
    for name in names:
        check = checks[name]
        line = '%s: %s.' % (name, check['message'].rstrip('.'))
        if check.get('remedy'):
            line += ' Remedy: %s.' % check['remedy'].rstrip('.')
        lines.append(line)
    return lines


def summarize(facts):
    """One line: WSL version, GPUs, driver and CUDA versions, and what failed."""
    version = facts.get('wsl_version')
    parts = ['WSL %d' % version if version else 'not WSL']
    devices = facts.get('devices') or []
    if devices:
        described = []
        for device in devices:
            details = []
            if device.get('memory_mib') is not None:
                details.append('%d MiB' % device['memory_mib'])
            if device.get('compute_capability'):
                details.append('CC %s' % device['compute_capability'])
            described.append('%s (%s)' % (device['name'], ', '.join(details)) if details else device['name'])
        parts.append('%d GPU%s: %s' % (len(devices), '' if len(devices) == 1 else 's', ', '.join(described)))
    else:
        parts.append('no GPU found')
    if facts.get('driver_version'):
        parts.append('driver %s' % facts['driver_version'])
    if facts.get('cuda_driver_version'):
        parts.append('CUDA %s' % facts['cuda_driver_version'])
    line = ', '.join(parts)
    checks = facts.get('checks') or {}
    failed = [n for n in CHECK_NAMES if n in checks and checks[n]['status'] == 'fail']
    warned = [n for n in CHECK_NAMES if n in checks and checks[n]['status'] == 'warn']
    if failed:
        line += '; failed: %s' % ', '.join(failed)
    if warned:
        line += '; warnings: %s' % ', '.join(warned)
    return line
