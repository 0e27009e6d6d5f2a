"""The release pairs from the command line: `mgx patch apply` (a process, like GNU patch)
against `patch -p1 -s --forward --batch -E`, timed in turn round after round so that the
machine's load changes hit all three alike. Prints median wall times and ratios.

Run after `bash mgx-patch/benches/fetch-releases.sh` and `cargo build --release -p mgx-examples`:
    python3 mgx-patch/benches/cli_releases.py
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "target", "release-diffs")
MGX = os.path.join(ROOT, "target", "release", "mgx")
ROUNDS = 41


def restore(case, tree, touched):
    for rel in touched:
        src = os.path.join(case, "old", rel)
        dst = os.path.join(tree, rel)
        if os.path.exists(src):
            shutil.copyfile(src, dst)
        elif os.path.exists(dst):
            os.remove(dst)


def main():
    if not os.path.isdir(DATA) or not os.path.exists(MGX):
        sys.exit("needs target/release-diffs (fetch-releases.sh) and target/release/mgx")
    for name in sorted(os.listdir(DATA)):
        case = os.path.join(DATA, name)
        diff = os.path.join(case, "change.diff")
        with open(diff) as f:
            touched = sorted(set(re.findall(r"^\+\+\+ expected/(\S+)", f.read(), re.M)))
        tree = tempfile.mkdtemp(prefix=f"mgx-cli-{name}-")
        shutil.rmtree(tree)
        shutil.copytree(os.path.join(case, "old"), tree)
        # A project mgx has patched before: .mgx/ exists.
        os.makedirs(os.path.join(tree, ".mgx", "journal"))
        os.makedirs(os.path.join(tree, ".mgx", "backups"))
        tools = {
            "mgx": [MGX, "patch", "apply", "--root", tree, "--diff", diff, "--no-backup"],
            "mgx --no-fsync": [MGX, "patch", "apply", "--root", tree, "--diff", diff, "--no-backup", "--no-fsync"],
            "GNU patch": ["patch", "-p1", "-s", "--forward", "--batch", "-E", "-d", tree, "-i", diff],
        }
        times = {tool: [] for tool in tools}
        for _ in range(ROUNDS):
            for tool, cmd in tools.items():
                restore(case, tree, touched)
                start = time.perf_counter()
                done = subprocess.run(cmd, stdout=subprocess.DEVNULL)
                times[tool].append((time.perf_counter() - start) * 1000)
                if done.returncode != 0:
                    sys.exit(f"{name}: {tool} failed ({done.returncode})")
        shutil.rmtree(tree)
        med = {tool: statistics.median(t) for tool, t in times.items()}
        gnu = med["GNU patch"]
        print(
            f"{name:10} "
            + "  ".join(f"{tool} {m:.2f} ms" for tool, m in med.items())
            + f"  | no-fsync/GNU {med['mgx --no-fsync'] / gnu:.2f}  fsync/GNU {med['mgx'] / gnu:.2f}"
        )


if __name__ == "__main__":
    main()
