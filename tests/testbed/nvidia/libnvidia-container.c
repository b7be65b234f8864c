/* Test-bed stand-in for libnvidia-container.so.1: a real ELF shared object with
 * the library's version entry point, so ldconfig and dpkg see what they expect. */
#ifndef NVC_VERSION
#define NVC_VERSION "0.0.0"
#endif

struct nvc_version {
    unsigned int major, minor, patch;
    const char *string;
};

static const struct nvc_version version = {0, 0, 0, NVC_VERSION};

const struct nvc_version *nvc_version(void)
{
    return &version;
}
