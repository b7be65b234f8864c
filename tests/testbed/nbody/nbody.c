/*
 * Test-bed stand-in for the CUDA sample `nbody` of nvcr.io/nvidia/k8s/cuda-sample:nbody.
 *
 * It prints what the real sample prints (usage block, NOTE, mode lines, device lines,
 * benchmark lines) and really computes the all-pairs N-body integration it describes,
 * on the CPU, reporting the measured time. Like the real sample it finds its GPU through
 * the CUDA driver, libcuda.so.1, which is not in the image: only what the NVIDIA
 * Container Toolkit injects (the WSL driver store's libcuda.so.1.1, with the loader
 * cache updated for it) makes it loadable. It reports the device name and compute
 * capability the driver answers; without a driver (or a driver with no device) it
 * fails as the real one does: "Error: only 0 Devices available, 1 requested.  Exiting."
 *
 * Build: gcc -O2 -o nbody nbody.c -lm -ldl (dynamic: dlopen needs the loader)
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_SIZE 256
#define DEFAULT_BODIES 4096
#define ITERATIONS 10
#define SOFTENING2 0.00125
#define TIMESTEP 0.016

struct gpu {
    char name[512];
    int major, minor;
};

static int has_flag(int argc, char **argv, const char *name)
{
    size_t len = strlen(name);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        while (*a == '-')
            a++;
        if (strncmp(a, name, len) == 0 && (a[len] == '\0' || a[len] == '='))
            return 1;
    }
    return 0;
}

static int int_arg(int argc, char **argv, const char *name, int fallback)
{
    size_t len = strlen(name);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        while (*a == '-')
            a++;
        if (strncmp(a, name, len) == 0 && a[len] == '=')
            return atoi(a + len + 1);
    }
    return fallback;
}

static void show_help(void)
{
    printf("\t-fullscreen       (run n-body simulation in fullscreen mode)\n");
    printf("\t-fp64             (use double precision floating point values for simulation)\n");
    printf("\t-hostmem          (stores simulation data in host memory)\n");
    printf("\t-benchmark        (run benchmark to measure performance) \n");
    printf("\t-numbodies=<N>    (number of bodies (>= 1) to run in simulation) \n");
    printf("\t-device=<d>       (where d=0,1,2.... for the CUDA device to use)\n");
    printf("\t-numdevices=<i>   (where i=(number of CUDA devices > 0) to use for simulation)\n");
    printf("\t-compare          (compares simulation results running once on the default GPU and once on the CPU)\n");
    printf("\t-cpu              (run n-body simulation on the CPU)\n");
    printf("\t-tipsy=<file.bin> (load a tipsy model file for simulation)\n\n");
}

/* The CUDA driver API as the sample's runtime reaches it: libcuda.so.1, loaded through
 * the container's loader cache, which only the toolkit's injection fills. */
typedef int (*cu_init_t)(unsigned int);
typedef int (*cu_count_t)(int *);
typedef int (*cu_get_t)(int *, int);
typedef int (*cu_name_t)(char *, int, int);
typedef int (*cu_attr_t)(int *, int, int);

#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76

/* Number of CUDA devices the driver reports (0 when there is no driver, as
 * cudaGetDeviceCount leaves it), and device 0's name and compute capability. */
static int find_gpu(struct gpu *gpu)
{
    void *lib = dlopen("libcuda.so.1", RTLD_NOW);
    cu_init_t cu_init;
    cu_count_t cu_count;
    cu_get_t cu_get;
    cu_name_t cu_name;
    cu_attr_t cu_attr;
    int count = 0, dev = 0;

    if (lib == NULL)
        return 0;
    cu_init = (cu_init_t)dlsym(lib, "cuInit");
    cu_count = (cu_count_t)dlsym(lib, "cuDeviceGetCount");
    cu_get = (cu_get_t)dlsym(lib, "cuDeviceGet");
    cu_name = (cu_name_t)dlsym(lib, "cuDeviceGetName");
    cu_attr = (cu_attr_t)dlsym(lib, "cuDeviceGetAttribute");
    if (!cu_init || !cu_count || !cu_get || !cu_name || !cu_attr)
        return 0;
    if (cu_init(0) != 0 || cu_count(&count) != 0 || count < 1)
        return 0;
    if (cu_get(&dev, 0) != 0 || cu_name(gpu->name, (int)sizeof gpu->name, dev) != 0 ||
        cu_attr(&gpu->major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev) != 0 ||
        cu_attr(&gpu->minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev) != 0)
        return 0;
    return count;
}

/* As the samples' helper_cuda.h _ConvertSMVer2ArchName. */
static const char *arch_name(int major, int minor)
{
    static const struct {
        int sm;
        const char *name;
    } table[] = {
        {0x30, "Kepler"}, {0x35, "Kepler"}, {0x37, "Kepler"}, {0x50, "Maxwell"},
        {0x52, "Maxwell"}, {0x53, "Maxwell"}, {0x60, "Pascal"}, {0x61, "Pascal"},
        {0x62, "Pascal"}, {0x70, "Volta"}, {0x72, "Xavier"}, {0x75, "Turing"},
        {0x80, "Ampere"}, {0x86, "Ampere"}, {0x87, "Ampere"}, {0x89, "Ada"},
        {0x90, "Hopper"},
    };
    int sm = (major << 4) + minor;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].sm == sm)
            return table[i].name;
    printf("MapSMtoArchName for SM %d.%d is undefined.  Default to use %s\n", major, minor,
           "Ampere");
    return "Ampere";
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One all-pairs integration step per iteration, like the sample's CPU path. */
#define DEFINE_SIM(T, SQRT)                                                                  \
    static double simulate_##T(int n, int iterations)                                      \
    {                                                                                      \
        T *pos = malloc(sizeof(T) * 4 * n), *vel = malloc(sizeof(T) * 4 * n);               \
        T *acc = malloc(sizeof(T) * 3 * n);                                                \
        unsigned seed = 12345;                                                             \
        double start, ms;                                                                  \
        if (!pos || !vel || !acc) {                                                        \
            fprintf(stderr, "out of memory\n");                                            \
            exit(EXIT_FAILURE);                                                            \
        }                                                                                  \
        for (int i = 0; i < 4 * n; i++) {                                                  \
            seed = seed * 1103515245u + 12345u;                                            \
            pos[i] = (T)((seed >> 8) % 20000) / (T)10000 - (T)1;                           \
            vel[i] = 0;                                                                    \
        }                                                                                  \
        for (int i = 0; i < n; i++)                                                        \
            pos[4 * i + 3] = 1; /* mass */                                                 \
        start = now_ms();                                                                  \
        for (int it = 0; it < iterations; it++) {                                          \
            for (int i = 0; i < n; i++) {                                                  \
                T ax = 0, ay = 0, az = 0;                                                  \
                T xi = pos[4 * i], yi = pos[4 * i + 1], zi = pos[4 * i + 2];               \
                for (int j = 0; j < n; j++) {                                              \
                    T dx = pos[4 * j] - xi, dy = pos[4 * j + 1] - yi;                      \
                    T dz = pos[4 * j + 2] - zi;                                            \
                    T d2 = dx * dx + dy * dy + dz * dz + (T)SOFTENING2;                    \
                    T inv = (T)1 / SQRT(d2);                                               \
                    T s = pos[4 * j + 3] * inv * inv * inv;                                \
                    ax += dx * s;                                                          \
                    ay += dy * s;                                                          \
                    az += dz * s;                                                          \
                }                                                                          \
                acc[3 * i] = ax;                                                           \
                acc[3 * i + 1] = ay;                                                       \
                acc[3 * i + 2] = az;                                                       \
            }                                                                              \
            for (int i = 0; i < n; i++) {                                                  \
                for (int k = 0; k < 3; k++) {                                              \
                    vel[4 * i + k] += acc[3 * i + k] * (T)TIMESTEP;                        \
                    pos[4 * i + k] += vel[4 * i + k] * (T)TIMESTEP;                        \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
        ms = now_ms() - start;                                                             \
        free(pos);                                                                         \
        free(vel);                                                                         \
        free(acc);                                                                         \
        return ms;                                                                         \
    }

DEFINE_SIM(float, sqrtf)
DEFINE_SIM(double, sqrt)

int main(int argc, char **argv)
{
    struct gpu gpu;
    int fp64, use_cpu, benchmark, hostmem, fullscreen, num_devices, available, bodies;
    int flops;
    double ms, interactions, gflops;

    if (has_flag(argc, argv, "help")) {
        printf("\n> Command line options\n");
        show_help();
        return 0;
    }
    printf("Run \"nbody -benchmark [-numbodies=<numBodies>]\" to measure performance.\n");
    show_help();
    printf("NOTE: The CUDA Samples are not meant for performance measurements. Results may "
           "vary when GPU Boost is enabled.\n\n");

    fullscreen = has_flag(argc, argv, "fullscreen");
    benchmark = has_flag(argc, argv, "benchmark");
    hostmem = has_flag(argc, argv, "hostmem");
    fp64 = has_flag(argc, argv, "fp64");
    use_cpu = has_flag(argc, argv, "cpu");
    flops = fp64 ? 30 : 20;
    num_devices = int_arg(argc, argv, "numdevices", 1);
    if (num_devices < 1) {
        printf("Error: \"number of CUDA devices\" specified %d is invalid.  Value should be >= 1\n",
               num_devices);
        return EXIT_FAILURE;
    }

    available = find_gpu(&gpu);
    if (!use_cpu && available < num_devices) {
        printf("Error: only %d Devices available, %d requested.  Exiting.\n", available,
               num_devices);
        return EXIT_FAILURE;
    }

    printf("> %s mode\n", fullscreen ? "Fullscreen" : "Windowed");
    printf("> Simulation data stored in %s memory\n", (hostmem || use_cpu) ? "system" : "video");
    printf("> %s precision floating point simulation\n", fp64 ? "Double" : "Single");
    printf("> %d Devices used for simulation\n", num_devices);

    if (use_cpu) {
        printf("> Simulation with CPU\n");
    } else {
        const char *arch = arch_name(gpu.major, gpu.minor);
        printf("GPU Device 0: \"%s\" with compute capability %d.%d\n\n", arch, gpu.major,
               gpu.minor);
        printf("> Compute %d.%d CUDA device: [%s]\n", gpu.major, gpu.minor, gpu.name);
    }

    if (!benchmark) {
        /* The real sample opens an OpenGL window here; a container has no display. */
        printf("freeglut (./nbody): failed to open display ''\n");
        return EXIT_FAILURE;
    }

    bodies = int_arg(argc, argv, "numbodies", DEFAULT_BODIES);
    if (bodies < 1) {
        printf("Error: \"number of bodies\" specified %d is invalid.  Value should be >= 1.\n",
               bodies);
        return EXIT_FAILURE;
    }
    if (!use_cpu && bodies % BLOCK_SIZE != 0) {
        int rounded = ((bodies / BLOCK_SIZE) + 1) * BLOCK_SIZE;
        printf("Warning: \"number of bodies\" specified %d is not a multiple of %d.\n", bodies,
               BLOCK_SIZE);
        printf("Rounding up to the nearest multiple: %d.\n", rounded);
        bodies = rounded;
    }

    ms = fp64 ? simulate_double(bodies, ITERATIONS) : simulate_float(bodies, ITERATIONS);
    if (ms <= 0)
        ms = 0.001;
    interactions = (double)bodies * (double)bodies * ITERATIONS * 1e-9 / (ms / 1000.0);
    gflops = interactions * flops;
    printf("%d bodies, total time for %d iterations: %.3f ms\n", bodies, ITERATIONS, ms);
    printf("= %.3f billion interactions per second\n", interactions);
    printf("= %.3f %s-precision GFLOP/s at %d flops per interaction\n", gflops,
           fp64 ? "double" : "single", flops);
    return EXIT_SUCCESS;
}
