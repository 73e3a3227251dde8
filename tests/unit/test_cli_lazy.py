"""The lazy `matrix` CLI: a table of commands, imports only on use, global options anywhere."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from matrix.cli import COMMANDS, build_parser, main, split_globals

HEAVY = ("lancedb", "sklearn", "ray", "pandas", "torch", "rich", "pydantic", "pyarrow", "aiohttp")


def _imported_after(code: str, heavy: tuple[str, ...] = HEAVY) -> set[str]:
    probe = (f"import sys\n{code}\n"
             f"print('MODULES', *sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    line = next(x for x in out.stderr.splitlines() if x.startswith("MODULES"))
    return set(line.split()[1:])


def test_help_and_status_help_import_no_heavy_library():
    assert _imported_after("import matrix.cli as c\ntry:\n    c.main(['--help'])\nexcept SystemExit:\n    pass") == set()
    assert _imported_after("import matrix.cli as c\ntry:\n    c.main(['status', '--help'])\nexcept SystemExit:\n"
                           "    pass") == set()


def test_index_and_resolve_packages_import_lazily():
    data_libs = ("lancedb", "sklearn", "ray", "torch", "pyarrow", "pandas", "rapidfuzz")
    assert _imported_after("import matrix.index, matrix.resolve, matrix.index.cli, matrix.resolve.cli", data_libs) == set()
    assert "lancedb" in _imported_after("from matrix.index import MasterIndex")


def test_every_table_entry_registers_its_command():
    for name in COMMANDS:
        parser = build_parser(name)
        sub = next(a for a in parser._actions if a.dest == "command")
        assert name in sub.choices, name  # type: ignore[attr-defined]


def test_global_options_are_accepted_before_or_after_the_command(tmp_path, capsys):
    for argv in (["--home", str(tmp_path), "status", "--json"], ["status", "--home", str(tmp_path), "--json"],
                 ["status", "--json", f"--home={tmp_path}"]):
        assert main(argv) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["home"] == str(tmp_path.resolve()) and out["tables"] == {}
    options, rest = split_globals(["search", "q", "-v", "--limit", "3", "--", "--home"])
    assert options.verbose and options.home is None and rest == ["search", "q", "--limit", "3", "--", "--home"]


def test_unknown_command_lists_the_table(capsys):
    with pytest.raises(SystemExit):
        main(["nosuch"])
    assert "status" in capsys.readouterr().err
