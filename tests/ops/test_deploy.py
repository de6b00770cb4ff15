"""The files in deploy/ agree with the code: configs load, units are valid systemd, cron lines are real commands,
the image copies every package, and stop timeouts leave the daemon its grace period."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from notifier.send import validate_url
from policywatch.cli import build_parser
from policywatch.config import config_from_dict, load_config
from policywatch.daemon import Daemon
from policywatch.ops import STARTER_CONFIG

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ["policywatch.service", "policywatch.timer", "policywatch-daemon.service", "policywatch-serve.service"]
DEFAULT_GRACE = Daemon(Path("x")).grace


def test_example_config_loads_and_lists_the_starter_sections():
    example = load_config(DEPLOY / "config.example.toml")
    starter = config_from_dict(tomllib.loads(STARTER_CONFIG))
    assert example.portals == starter.portals
    assert example.subscriptions and all(validate_url(u) is None for s in example.subscriptions for u in s.urls)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_units_are_valid(tmp_path):
    for name in UNITS:  # ExecStart must name an existing executable for verify to pass
        text = (DEPLOY / name).read_text(encoding="utf-8").replace("/opt/policywatch/bin/policywatch", "/bin/true")
        (tmp_path / name).write_text(text, encoding="utf-8")
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in UNITS)],
                          capture_output=True, text=True, timeout=60)
    problems = [line for line in proc.stderr.splitlines() if str(tmp_path) in line]
    assert proc.returncode == 0 and not problems, proc.stderr


def test_stop_timeouts_leave_the_daemon_its_grace_period():
    unit = (DEPLOY / "policywatch-daemon.service").read_text(encoding="utf-8")
    assert "KillMode=mixed" in unit  # SIGTERM to the daemon only: it forwards it once to the cycle
    assert int(re.search(r"^TimeoutStopSec=(\d+)", unit, re.M).group(1)) > DEFAULT_GRACE
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert int(re.search(r"stop_grace_period: (\d+)s", compose).group(1)) > DEFAULT_GRACE


def test_cron_and_unit_commands_are_real_policywatch_commands():
    parser = build_parser()
    commands = []
    for line in (DEPLOY / "crontab").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and not re.match(r"^\w+=", line):
            fields = shlex.split(line.split(">")[0])
            assert len(fields) > 5 and fields[5].endswith("/policywatch"), line
            commands.append(fields[6:])
    for name in UNITS:
        for m in re.finditer(r"^ExecStart=\S+/policywatch (.*)$", (DEPLOY / name).read_text(encoding="utf-8"), re.M):
            commands.append(shlex.split(m.group(1)))
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    ours = {name: svc for name, svc in compose["services"].items() if svc.get("image", "").startswith("policywatch")}
    assert {"migrate", "daemon", "serve"} <= set(ours)
    build = ours["daemon"]["build"]
    assert ((DEPLOY / build["context"]).resolve() / build["dockerfile"]) == DEPLOY / "Containerfile"
    assert ours["migrate"]["command"] == ["db", "upgrade"]
    assert all(svc["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
               for name, svc in ours.items() if name != "migrate")
    commands += [svc["command"] for svc in ours.values()]
    assert ["run"] in commands and ["daemon"] in commands
    for argv in commands:
        if argv[0] == "serve" and "serve" not in parser.format_help():
            continue  # the web app's command is added elsewhere
        args = parser.parse_args(argv)
        assert getattr(args, "func", None), argv


def test_image_copies_every_package_the_project_installs():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    copied = set(re.findall(r"^COPY (\w+) ", (DEPLOY / "Containerfile").read_text(encoding="utf-8"), re.M))
    assert {p.split(".")[0] for p in packages} <= copied
