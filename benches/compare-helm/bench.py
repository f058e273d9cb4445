"""pgrender against Helm, measured in one run on one machine.

Run through run.sh, which prepares the venv and the release binary. Steps:
1. equivalence: the objects Helm renders from chart/ equal the objects
   pgrender renders from the repository's default project, per environment,
   per file, in order (parsed YAML, so comments and `# Source:` lines do not count);
2. headline: Helm warm (chart loaded once, in-process render of the four
   environments) against whole cold pgrender processes, alternating, rounds;
3. scale series: 1..1000 environments and 1..200 templates, both tools;
4. peak RSS of pgrender (/usr/bin/time -v).
With --baseline OTHER, step 2 instead compares two pgrender builds (for
example with and without a change), alternating in the same rounds, and the
other steps are skipped.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import helm_python

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENVS = ["aks", "eks", "gke", "local"]
PROVIDERS = [("k3d", "local-path"), ("eks", "gp3"), ("gke", "standard-rwo"), ("aks", "managed-csi-premium")]
STATEFULSET = "4-database/postgres-statefulset.yaml"


def spawn(argv):
    """Runs argv to completion; returns (wall seconds, cpu seconds). Output goes to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)} (run it by hand to see why)")
    return wall, usage.ru_utime + usage.ru_stime


def documents(text):
    """Parses a YAML stream into its non-empty documents (Go's YAML parser, through helm_python)."""
    docs = re.split(r"(?m)^---[ \t]*(?:#.*)?$", text)
    out = []
    for doc in docs:
        if any(line.strip() and not line.strip().startswith("#") for line in doc.splitlines()):
            out.append(helm_python.values_from_yaml(doc))
    return out


def helm_objects(rendered):
    """Helm's render result as {path under templates/: [objects]}; partials render to nothing."""
    out = {}
    for name, text in rendered.items():
        rel = name.split("/templates/", 1)[1]
        objs = documents(text)
        if objs:
            out[rel] = objs
    return out


def pgrender_objects(tree):
    """A pgrender environment folder as {path: [objects]} in the record's (apply) order."""
    out = {}
    for line in (tree / ".pgrender-manifest").read_text().splitlines():
        rel = line.split("  ", 1)[1]
        out[rel] = documents((tree / rel).read_text())
    return out


def check_schema():
    """Fails if chart/values.schema.json stops mirroring pgrender's chart and environment schemas."""
    ours = json.loads((ROOT / "schema/postgres.schema.json").read_text())
    environment = json.loads((ROOT / "src/environment.schema.json").read_text())
    environment.pop("$schema", None)
    helm = json.loads((HERE / "chart/values.schema.json").read_text())
    properties = dict(helm["properties"])
    same = (
        properties.pop("environment", None) == environment
        and properties == ours["properties"]
        and helm.get("$defs") == ours.get("$defs")
        and helm.get("additionalProperties") == ours.get("additionalProperties")
        and set(helm["required"]) == {*ours["required"], "environment"}
    )
    if not same:
        sys.exit(
            "chart/values.schema.json no longer validates what schema/postgres.schema.json and "
            "src/environment.schema.json do: port the change"
        )


def check_equivalence(binary, chart):
    """Fails loudly if Helm and pgrender disagree on any object of any environment."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "-C", str(ROOT), "--all", "--out", out], check=True, capture_output=True)
        for env in ENVS:
            values = helm_python.values_from_yaml((HERE / "environments" / f"{env}.yaml").read_text())
            helm = helm_objects(chart.render(values, name="postgres", namespace="default"))
            ours = pgrender_objects(Path(out) / env)
            if sorted(helm) != sorted(ours):
                sys.exit(f"{env}: files differ: helm {sorted(helm)} vs pgrender {sorted(ours)}")
            for rel, objs in ours.items():
                if helm[rel] != objs:
                    sys.exit(f"{env}/{rel}: objects differ\n helm:     {helm[rel]}\n pgrender: {objs}")
    print(f"equivalence: Helm and pgrender render the same objects for {', '.join(ENVS)}")


def env_files(n):
    """n generated environments: (name, pgrender TOML, Helm YAML), providers in turn."""
    out = []
    for i in range(n):
        provider, cls = PROVIDERS[i % len(PROVIDERS)]
        name = f"env{i:04d}"
        # The password Secret exists in the cluster (as in the cloud environments of the default project).
        toml = f'[environment]\nprovider = "{provider}"\nkubernetes = "1.32"\nexternalSecrets = ["db-secret"]\n\n'
        toml += f'[postgres.storage]\nclassName = "{cls}"\nsize = "{i + 1}Gi"\n'
        yaml = f'environment:\n  provider: {provider}\n  kubernetes: "1.32"\n  externalSecrets: [db-secret]\nstorage:\n  className: {cls}\n'
        yaml += f"  size: {i + 1}Gi\n"
        out.append((name, toml, yaml))
    return out


def make_project(base, envs, templates):
    """A pgrender project and a Helm chart with the given environments and statefulset copies."""
    project = base / "project"
    project.mkdir()
    for entry in ["pgrender.toml", "charts", "schema"]:
        src = ROOT / entry
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / entry)
    (project / "environments").mkdir()
    values = base / "values"
    values.mkdir()
    for name, toml, yaml in envs:
        (project / "environments" / f"{name}.toml").write_text(toml)
        (values / f"{name}.yaml").write_text(yaml)
    helm = base / "chart"
    shutil.copytree(HERE / "chart", helm)
    if templates is not None:
        replicate(project / "charts/postgres/templates", STATEFULSET + ".j2", PGRENDER_NAME, templates)
        replicate(helm / "templates", STATEFULSET, HELM_NAME, templates)
    return project, values, helm


# How each statefulset template names its object, and how copy `i` names it instead.
PGRENDER_NAME = ("helpers.metadata(values, values.name)", 'helpers.metadata(values, values.name ~ "-{i:03d}")')
HELM_NAME = ("(list . .Values.name)", '(list . (printf "%s-{i:03d}" .Values.name))')


def replicate(templates, rel, name, count):
    """Replaces the statefulset template by `count` copies of it, each object named apart."""
    text = (templates / rel).read_text()
    call, renamed = name
    if call not in text:
        sys.exit(f"{templates / rel} no longer names its object with {call}: update bench.py")
    # The other templates stay: the statefulsets need their namespace and Service to pass the checks.
    (templates / rel).unlink()
    for i in range(count):
        copy = text.replace(call, renamed.format(i=i), 1)
        (templates / "4-database" / f"postgres-statefulset-{i:03d}.{rel.split('.', 1)[1]}").write_text(copy)


def helm_warm(chart, value_files):
    """Renders every environment in-process with the loaded chart, reading its values file each time."""
    start = time.perf_counter()
    for path in value_files:
        values = helm_python.values_from_yaml(path.read_text())
        chart.render(values, name="postgres", namespace="default")
    return time.perf_counter() - start


# Output goes to tmpfs when there is one: on a shared machine the disk's
# latency is other people's I/O, not pgrender's.
OUT_BASE = "/dev/shm" if os.path.isdir("/dev/shm") else None


def pgrender_all(binary, project):
    """A whole `pgrender --all` process writing into a fresh folder."""
    with tempfile.TemporaryDirectory(dir=OUT_BASE) as out:
        return spawn([binary, "-C", str(project), "--all", "--out", out])


def stats(samples):
    """median (min–max) in milliseconds."""
    ms = [s * 1000 for s in samples]
    return f"{statistics.median(ms):.2f} ({min(ms):.2f}–{max(ms):.2f})"


def machine():
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores ({os.sched_getaffinity(0).__len__()} usable), {model}, {platform.system()} {platform.release()}, load average {load:.2f} at start"


def headline(binary, chart, rounds):
    files = [HERE / "environments" / f"{e}.yaml" for e in ENVS]
    helm, every, local, floor, cpu = [], [], [], [], []
    helm_warm(chart, files)  # first render pays one-off Go initialisation
    for _ in range(rounds):
        helm.append(helm_warm(chart, files))
        wall, used = pgrender_all(binary, ROOT)
        every.append(wall)
        cpu.append(used)
        local.append(spawn([binary, "-C", str(ROOT), "--env", "local", "--stdout"])[0])
        floor.append(spawn(["/bin/true"])[0])
    ratio = statistics.median(helm) / statistics.median(every)
    print("\n### Default project, four environments (ms: median (min–max), %d rounds, alternating)\n" % rounds)
    print("| what | time |")
    print("|---|---|")
    print(f"| Helm warm: chart loaded once, render 4 environments in-process | {stats(helm)} |")
    print(f"| pgrender cold: whole `pgrender --all --out TMP` process | {stats(every)} |")
    print(f"| pgrender cold: whole `pgrender --env local --stdout` process | {stats(local)} |")
    print(f"| spawning `/bin/true` (process start floor of this harness) | {stats(floor)} |")
    print(f"| ratio Helm warm / pgrender `--all` (medians) | **{ratio:.1f}×** |")
    print(f"| pgrender `--all` CPU time (user+sys) | {stats(cpu)} |")


def versus(binary, baseline, chart, rounds):
    """Two pgrender builds in the same rounds, in alternating order, Helm warm as the yardstick."""
    files = [HERE / "environments" / f"{e}.yaml" for e in ENVS]
    helm_warm(chart, files)
    samples = {binary: ([], []), baseline: ([], [])}
    for i in range(rounds):
        helm_warm(chart, files)
        order = (binary, baseline) if i % 2 == 0 else (baseline, binary)
        for b in order:
            samples[b][0].append(pgrender_all(b, ROOT)[0])
            samples[b][1].append(spawn([b, "-C", str(ROOT), "--env", "local", "--stdout"])[0])
    print("\n### Two pgrender builds, default project (ms: median (min–max), %d rounds, alternating)\n" % rounds)
    print("| build | `--all --out TMP` | `--env local --stdout` |")
    print("|---|---|---|")
    for b in (binary, baseline):
        print(f"| `{b}` | {stats(samples[b][0])} | {stats(samples[b][1])} |")
    ratio_all = statistics.median(samples[baseline][0]) / statistics.median(samples[binary][0])
    ratio_one = statistics.median(samples[baseline][1]) / statistics.median(samples[binary][1])
    print(f"| ratio baseline / binary (medians) | {ratio_all:.3f}× | {ratio_one:.3f}× |")


def scale_envs(binary, counts, rounds):
    print("\n### Environments (default chart; ms: median (min–max))\n")
    print("| environments | Helm warm | pgrender cold `--all` | pgrender CPU/wall | ratio | pgrender per env |")
    print("|---|---|---|---|---|---|")
    for n in counts:
        with tempfile.TemporaryDirectory() as tmp:
            project, values, helm_dir = make_project(Path(tmp), env_files(n), None)
            chart = helm_python.Chart.load(str(helm_dir))
            files = sorted(values.iterdir())
            helm_warm(chart, files[:1])
            r = max(3, rounds // max(1, n // 10)) if n > 10 else rounds
            helm, ours, cpu = [], [], []
            for _ in range(r):
                helm.append(helm_warm(chart, files))
                wall, used = pgrender_all(binary, project)
                ours.append(wall)
                cpu.append(used / wall)
            med = statistics.median(ours)
            print(
                f"| {n} | {stats(helm)} | {stats(ours)} | {statistics.median(cpu):.2f} | "
                f"{statistics.median(helm) / med:.1f}× | {med * 1000 / n:.3f} |"
            )


def scale_templates(binary, counts, rounds):
    print("\n### Templates (four environments, N statefulset templates beside the chart's other ones; ms: median (min–max))\n")
    print("| templates | Helm warm | pgrender cold `--all` | ratio | pgrender per template·env |")
    print("|---|---|---|---|---|")
    envs = [(e, (ROOT / "environments" / f"{e}.toml").read_text(), (HERE / "environments" / f"{e}.yaml").read_text()) for e in ENVS]
    for n in counts:
        with tempfile.TemporaryDirectory() as tmp:
            project, values, helm_dir = make_project(Path(tmp), envs, n)
            chart = helm_python.Chart.load(str(helm_dir))
            files = sorted(values.iterdir())
            helm_warm(chart, files[:1])
            r = max(3, rounds // max(1, n // 20))
            helm, ours = [], []
            for _ in range(r):
                helm.append(helm_warm(chart, files))
                ours.append(pgrender_all(binary, project)[0])
            med = statistics.median(ours)
            print(f"| {n} | {stats(helm)} | {stats(ours)} | {statistics.median(helm) / med:.1f}× | {med * 1000 / n / 4:.4f} |")


def peak_rss(binary, project):
    """Maximum resident set size in MB of a whole `pgrender --all` run."""
    with tempfile.TemporaryDirectory(dir=OUT_BASE) as out:
        run = subprocess.run(
            ["/usr/bin/time", "-v", binary, "-C", str(project), "--all", "--out", out], capture_output=True, text=True, check=True
        )
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
    return kb / 1024


def rss(binary):
    print("\n### Peak RSS of pgrender (`/usr/bin/time -v`)\n")
    print("| run | peak RSS |")
    print("|---|---|")
    print(f"| default project, `--all` | {peak_rss(binary, ROOT):.1f} MB |")
    with tempfile.TemporaryDirectory() as tmp:
        project, _, _ = make_project(Path(tmp), env_files(1000), None)
        print(f"| 1000 environments, `--all` | {peak_rss(binary, project):.1f} MB |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="the release pgrender binary")
    parser.add_argument("--rounds", type=int, default=21, help="rounds of the headline comparison")
    parser.add_argument("--check-only", action="store_true", help="only check that both tools render the same objects")
    parser.add_argument("--baseline", help="another pgrender build to compare against instead of the full run")
    args = parser.parse_args()
    binary = str(Path(args.binary).resolve())
    chart = helm_python.Chart.load(str(HERE / "chart"))
    check_schema()
    check_equivalence(binary, chart)
    if args.check_only:
        return
    print(f"\nmachine: {machine()}")
    print(f"output folder: {OUT_BASE or 'the system temp dir'}")
    print(f"helm: helm-python-sdk (Helm v4 Go SDK, in-process); python {platform.python_version()}")
    if args.baseline:
        check_equivalence(str(Path(args.baseline).resolve()), chart)
        versus(binary, str(Path(args.baseline).resolve()), chart, args.rounds)
        return
    headline(binary, chart, args.rounds)
    scale_envs(binary, [1, 10, 100, 1000], args.rounds)
    scale_templates(binary, [1, 10, 100, 200], args.rounds)
    rss(binary)


if __name__ == "__main__":
    main()
