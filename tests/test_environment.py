"""The pinned environment: pyproject.toml, environment.yml and requirements.lock agree."""

import re
import tomllib

import yaml


def _pins(lines):
    out = {}
    for line in lines:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line.strip())
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_environment_yml_pins_exactly_what_pyproject_pins(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [d for group in project["optional-dependencies"].values() for d in group]
    conda = yaml.safe_load((repo_root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict))
    assert _pins(declared) == _pins(pip_section)
    assert all("==" in d for d in declared), "every direct dependency is pinned with =="


def test_lock_file_agrees_with_every_direct_pin(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    declared = _pins(project["dependencies"] + project["optional-dependencies"]["test"])
    locked = _pins((repo_root / "requirements.lock").read_text().splitlines())
    mismatched = {name: (version, locked.get(name)) for name, version in declared.items() if locked.get(name) != version}
    assert not mismatched
