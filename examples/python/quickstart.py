"""Run the team offline (no model, no key): plan, approve, write the starter project.

    python examples/python/quickstart.py "Create a FastAPI /health endpoint with tests" out/
"""

import sys

import mgx

task = sys.argv[1] if len(sys.argv) > 1 else "Create a FastAPI /health endpoint with tests"
out = sys.argv[2] if len(sys.argv) > 2 else "out"


def progress(event):
    """Print the run's progress as it happens."""
    print(f"[{event['seq']:>2}] {event['event_type']:<18} {event['message']}")


team = mgx.Team(output_dir=out, on_event=progress)  # the offline provider is the default
report = team.run_sync(task)
report.raise_for_status()
print(f"\n{report.status}: {len(report.files)} files in {report.output_dir} (stack {report.stack})")
print("providers:", ", ".join(report.providers), "(offline: a scaffold, not a model's work)")
