"""The allocator the binary was built with (README: Allocator) is the one its
malloc comes from: a link order that let glibc's win would pass every other
test and lose the reason for the option."""
import os
import subprocess
import unittest

from harness import ACTORMQ, Broker, main, sanitized

EXPECTED = {"glibc": "libc.so", "mimalloc": "libmimalloc.so"}


@unittest.skipIf(sanitized(), "a sanitizer brings its own malloc")
class Allocator(unittest.TestCase):
    def test_version_names_the_malloc_of_the_build(self):
        allocator = os.environ.get("ACTORMQ_ALLOCATOR", "glibc")
        out = subprocess.run([ACTORMQ, "--version"], capture_output=True, text=True, timeout=10).stdout
        self.assertIn("; malloc: " + EXPECTED[allocator], out)

    def test_a_running_broker_maps_it(self):
        allocator = os.environ.get("ACTORMQ_ALLOCATOR", "glibc")
        with Broker() as b:
            with open("/proc/%d/maps" % b.proc.pid) as f:
                maps = f.read()
        self.assertEqual("libmimalloc" in maps, allocator == "mimalloc")


if __name__ == "__main__":
    main()
