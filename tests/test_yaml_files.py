"""``reforge.settings.yaml_files.safe_load``: libyaml's C parser reads every YAML file of the
package into the same objects as PyYAML's pure-Python safe loader, and rejects what it rejects."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import reforge
from reforge.settings import yaml_files
from reforge.settings.yaml_files import safe_load

FILES = sorted(Path(reforge.__file__).parent.rglob("*.yaml"))


def test_the_c_parser_is_used_where_pyyaml_has_it() -> None:
    assert FILES, "the package ships its rules and parameters as YAML"
    assert yaml_files._LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_shipped_file_reads_as_the_python_safe_loader_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:  # a stream too (credit grades and overlays pass one)
        assert safe_load(fh) == yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize("text", ["a: [1, 2", "!!python/object:os.system x", "a: 1\n b: 2"])
def test_what_the_safe_loader_rejects_is_rejected(text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=yaml.SafeLoader)
    with pytest.raises(yaml.YAMLError):
        safe_load(text)
