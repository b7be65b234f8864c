"""Wait until dpkg is unpacking Docker Engine, then kill it and the play above it with SIGKILL.

What a closed terminal or `wsl --shutdown` does to a run: dpkg is killed while its journal in
/var/lib/dpkg/updates holds the package it was unpacking. Prints what it killed and dpkg's state.
"""

import os
import signal
import sys
import time

UPDATES = '/var/lib/dpkg/updates'
TIMEOUT = float(sys.argv[1]) if len(sys.argv) > 1 else 600


def processes():
    """{pid: (ppid, argv)} of every process."""
    found = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                argv = [a.decode('utf-8', 'replace') for a in handle.read().split(b'\0') if a]
            with open('/proc/%s/stat' % name) as handle:
                ppid = int(handle.read().rsplit(')', 1)[1].split()[1])
        except (IOError, OSError, ValueError, IndexError):
            continue
        found[int(name)] = (ppid, argv)
    return found


def unpacking(table):
    """The pid of a `dpkg --unpack` (apt passes its packages as files or as a --recursive directory)."""
    for pid, (dummy, argv) in table.items():
        if argv and os.path.basename(argv[0]) == 'dpkg' and '--unpack' in argv:
            return pid
    return None


def journal():
    try:
        return sorted(n for n in os.listdir(UPDATES) if n.isdigit())
    except OSError:
        return []


def journal_names_docker():
    """True when dpkg's journal holds a Docker Engine package (docker-ce, docker-ce-cli): dpkg is at it."""
    for name in journal():
        try:
            with open(os.path.join(UPDATES, name)) as handle:
                if 'Package: docker-ce' in handle.read():
                    return True
        except (IOError, OSError):
            continue
    return False


deadline = time.time() + TIMEOUT
while True:
    table = processes()
    dpkg = unpacking(table)
    if dpkg and journal_names_docker():
        break
    if time.time() > deadline:
        sys.exit('dpkg never unpacked docker-ce within %g s' % TIMEOUT)
    time.sleep(0.02)

# dpkg, its maintainer scripts, and the play's processes above it (apt-get, the apt module), not PID 1.
victims = set()
pid = dpkg
while pid > 1 and pid in table:
    victims.add(pid)
    pid = table[pid][0]
grown = True
while grown:
    grown = False
    for child, (ppid, dummy) in table.items():
        if ppid in victims and child not in victims:
            victims.add(child)
            grown = True
for pid in sorted(victims):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
for pid in sorted(victims):
    print('killed %d: %s' % (pid, ' '.join(table[pid][1])[:200]))
print('journal: %s' % ' '.join(journal()))
