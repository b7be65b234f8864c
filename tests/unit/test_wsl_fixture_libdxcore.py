"""The stand-in libdxcore.so answers the calls of the NVIDIA Container Toolkit's internal/dxcore/dxcore.c.

The structures below are dxcore.c's (d3dkmthk.h); the calls are made the way it makes them:
enumerate the adapters (count, then fill), ask each one's WDDM version, then its driver store path
(size, then the wide-character path). The toolkit itself is exercised by tests/testbed/selftest.sh
and the trixie scenario; this pins the protocol down where no toolkit is built.
"""

import ctypes
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.path.join(REPO, 'tests', 'fixtures', 'wsl', 'build.sh')

MAX_PATH = 260
QAI_DRIVERVERSION = 13
QAI_QUERYREGISTRY = 48
QR_DRIVERSTOREPATH = 2
QR_STATUS_SUCCESS = 0
QR_STATUS_BUFFER_OVERFLOW = 1
QR_STATUS_FAIL = 2
STATUS_DEVICE_DOES_NOT_EXIST = 0xC00000C0


class Luid(ctypes.Structure):
    _fields_ = [('low', ctypes.c_uint), ('high', ctypes.c_int)]


class AdapterInfo(ctypes.Structure):
    _fields_ = [('hAdapter', ctypes.c_uint), ('AdapterLuid', Luid), ('NumOfSources', ctypes.c_uint),
                ('bPresentMoveRegionsPreferred', ctypes.c_uint)]


class EnumAdapters2(ctypes.Structure):
    _fields_ = [('NumAdapters', ctypes.c_uint), ('pAdapters', ctypes.POINTER(AdapterInfo))]


class EnumAdapters3(ctypes.Structure):
    _fields_ = [('Filter', ctypes.c_ulonglong), ('NumAdapters', ctypes.c_uint),
                ('pAdapters', ctypes.POINTER(AdapterInfo))]


class Output(ctypes.Union):
    _fields_ = [('OutputQword', ctypes.c_ulonglong), ('Output', ctypes.c_wchar)]


class QueryRegistryInfo(ctypes.Structure):
    _anonymous_ = ('u',)
    _fields_ = [('QueryType', ctypes.c_int), ('QueryFlags', ctypes.c_uint), ('ValueName', ctypes.c_wchar * MAX_PATH),
                ('ValueType', ctypes.c_uint), ('PhysicalAdapterIndex', ctypes.c_uint),
                ('OutputValueSize', ctypes.c_uint), ('Status', ctypes.c_int), ('u', Output)]


class QueryAdapterInfo(ctypes.Structure):
    _fields_ = [('hAdapter', ctypes.c_uint), ('Type', ctypes.c_int), ('pPrivateDriverData', ctypes.c_void_p),
                ('PrivateDriverDataSize', ctypes.c_uint)]


@pytest.fixture(scope='module')
def dxcore(tmp_path_factory):
    out = tmp_path_factory.mktemp('dxcore')
    subprocess.run([BUILD, '--driver-store', str(out / 'store'), str(out / 'lib')], check=True)
    return ctypes.CDLL(str(out / 'lib' / 'libdxcore.so')), out


@pytest.fixture
def drivers(tmp_path, monkeypatch):
    """A driver store directory holding libcuda.so.1.1, and /dev/null standing in for /dev/dxg."""
    store = tmp_path / 'drivers' / 'nv_dispi.inf_amd64_8f2a4b3c9d1e6f07'
    store.mkdir(parents=True)
    (store / 'libcuda.so.1.1').write_text('')
    (tmp_path / 'drivers' / 'iigd_dch.inf_amd64_0123456789abcdef').mkdir()
    monkeypatch.setenv('WSL_STUB_DRIVERS_DIR', str(tmp_path / 'drivers'))
    monkeypatch.setenv('WSL_STUB_DXG', '/dev/null')
    return store


def call(lib, name, arg):
    fn = getattr(lib, name)
    fn.restype = ctypes.c_int
    return fn(ctypes.byref(arg)) & 0xFFFFFFFF


def enum_adapters(lib, name='D3DKMTEnumAdapters3'):
    params = EnumAdapters3(Filter=1) if name.endswith('3') else EnumAdapters2()
    assert call(lib, name, params) == 0
    adapters = (AdapterInfo * params.NumAdapters)()
    params.pAdapters = ctypes.cast(adapters, ctypes.POINTER(AdapterInfo))
    assert call(lib, name, params) == 0
    return list(adapters)[:params.NumAdapters]


def query(lib, handle, kind, data):
    args = QueryAdapterInfo(hAdapter=handle, Type=kind, pPrivateDriverData=ctypes.cast(ctypes.byref(data), ctypes.c_void_p),
                            PrivateDriverDataSize=ctypes.sizeof(data))
    return call(lib, 'D3DKMTQueryAdapterInfo', args)


def driver_store_path(lib, handle):
    """As dxcore_query_adapter_driverstore: ask the size, then the path."""
    params = QueryRegistryInfo(QueryType=QR_DRIVERSTOREPATH)
    assert query(lib, handle, QAI_QUERYREGISTRY, params) == 0
    assert params.Status == QR_STATUS_BUFFER_OVERFLOW
    size = params.OutputValueSize
    assert 0 < size <= MAX_PATH * ctypes.sizeof(ctypes.c_wchar)
    buf = ctypes.create_string_buffer(ctypes.sizeof(QueryRegistryInfo) + size)
    value = QueryRegistryInfo.from_buffer(buf)
    value.QueryType = QR_DRIVERSTOREPATH
    value.OutputValueSize = size
    args = QueryAdapterInfo(hAdapter=handle, Type=QAI_QUERYREGISTRY, pPrivateDriverData=ctypes.addressof(buf),
                            PrivateDriverDataSize=len(buf))
    assert call(lib, 'D3DKMTQueryAdapterInfo', args) == 0
    assert value.Status == QR_STATUS_SUCCESS
    offset = QueryRegistryInfo.u.offset
    return ctypes.wstring_at(ctypes.addressof(buf) + offset)


@pytest.mark.parametrize('name', ['D3DKMTEnumAdapters3', 'D3DKMTEnumAdapters2'])
def test_one_adapter_with_wddm_3_1_and_the_driver_store(dxcore, drivers, name):
    lib = dxcore[0]
    adapters = enum_adapters(lib, name)
    assert len(adapters) == 1
    version = ctypes.c_uint(0)
    assert query(lib, adapters[0].hAdapter, QAI_DRIVERVERSION, version) == 0
    assert version.value >= 2700
    assert driver_store_path(lib, adapters[0].hAdapter) == str(drivers)


def test_a_renamed_driver_store_is_reported_at_the_next_call(dxcore, drivers):
    lib = dxcore[0]
    handle = enum_adapters(lib)[0].hAdapter
    moved = drivers.parent / 'nv_dispi.inf_amd64_fedcba9876543210'
    drivers.rename(moved)
    assert driver_store_path(lib, handle) == str(moved)


def test_no_dxg_no_adapter(dxcore, drivers, monkeypatch):
    monkeypatch.setenv('WSL_STUB_DXG', str(drivers / 'libcuda.so.1.1'))  # a regular file, not a device
    lib = dxcore[0]
    assert call(lib, 'D3DKMTEnumAdapters3', EnumAdapters3(Filter=1)) == STATUS_DEVICE_DOES_NOT_EXIST
    assert call(lib, 'D3DKMTEnumAdapters2', EnumAdapters2()) == STATUS_DEVICE_DOES_NOT_EXIST


def test_device_count_and_wddm_version_from_the_environment(dxcore, drivers, monkeypatch):
    lib = dxcore[0]
    monkeypatch.setenv('WSL_STUB_DEVICE_COUNT', '0')
    assert enum_adapters(lib) == []
    monkeypatch.setenv('WSL_STUB_DEVICE_COUNT', '1')
    monkeypatch.setenv('WSL_STUB_WDDM_VERSION', '2600')
    version = ctypes.c_uint(0)
    assert query(lib, enum_adapters(lib)[0].hAdapter, QAI_DRIVERVERSION, version) == 0
    assert version.value == 2600


def test_no_driver_store_fails_the_query(dxcore, drivers):
    lib = dxcore[0]
    handle = enum_adapters(lib)[0].hAdapter
    (drivers / 'libcuda.so.1.1').unlink()
    params = QueryRegistryInfo(QueryType=QR_DRIVERSTOREPATH)
    assert query(lib, handle, QAI_QUERYREGISTRY, params) == 0
    assert params.Status == QR_STATUS_FAIL


def test_the_driver_store_files_the_toolkit_requires(dxcore):
    store = dxcore[1] / 'store'
    names = sorted(os.listdir(str(store)))
    assert names == sorted(['libcuda.so.1.1', 'libcuda_loader.so', 'libnvidia-ptxjitcompiler.so.1', 'libnvidia-ml.so.1',
                            'libnvidia-ml_loader.so', 'libnvdxgdmal.so.1', 'nvidia-smi', 'nvcubins.bin'])
    lib = ctypes.CDLL(str(store / 'libcuda_loader.so'))
    assert lib.cuInit(0) == 0
