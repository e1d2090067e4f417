"""Served sessions keep their files in one folder: confine.resolve, and every command that
reads or writes a file (:load, its nested :load lines, :record, :export, :screenshot)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backprop_tui import confine
from backprop_tui.events import Error, Exported
from backprop_tui.session import Session

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


@pytest.fixture
def box(tmp_path):
    """A served folder `box` with a subfolder, beside a secret file outside it."""
    root = tmp_path / "box"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "secret.bp").write_text("s = 41\ns + 1\n", encoding="utf-8")
    (root / "sub" / "ok.bp").write_text("z = 5\nz*z\n", encoding="utf-8")
    with confine.confined(root):
        yield root


def refused(path: str, including: str = "") -> str:
    with pytest.raises(confine.PathRefused) as info:
        confine.resolve(path, including)
    return str(info.value)


def test_not_confined_paths_are_as_written(tmp_path):
    assert confine.root() is None
    assert confine.resolve("a.md") == "a.md"
    assert confine.resolve("/etc/x") == "/etc/x"
    assert confine.resolve("b.bp", str(tmp_path / "demo" / "main.bp")) == str(tmp_path / "demo" / "b.bp")


def test_confined_paths_stay_inside(box, tmp_path):
    real = os.path.realpath(box)
    assert confine.resolve("out.md") == os.path.join(real, "out.md")
    assert confine.resolve("sub/ok.bp") == os.path.join(real, "sub", "ok.bp")
    assert confine.resolve("sub/../x.md") == os.path.join(real, "x.md")  # .. that stays inside
    assert "outside" in refused("../secret.bp")
    assert "outside" in refused("sub/../../secret.bp")
    assert "absolute" in refused(str(tmp_path / "secret.bp"))
    assert "absolute" in refused(str(box / "out.md"))  # even inside: names are relative
    assert "absolute" in refused("~/x.md")
    assert "no file name" in refused("")


def test_symlinks_out_of_the_folder_are_refused(box, tmp_path):
    (box / "link.bp").symlink_to(tmp_path / "secret.bp")
    (box / "door").symlink_to(tmp_path)
    assert "outside" in refused("link.bp")
    assert "outside" in refused("door/secret.bp")
    (box / "inner").symlink_to(box / "sub")
    assert confine.resolve("inner/ok.bp") == os.path.realpath(box / "sub" / "ok.bp")


def test_a_confined_files_relative_paths_start_from_its_own_folder(box):
    # A :load inside box/sub/ok.bp naming "more.bp" means box/sub/more.bp ...
    assert confine.resolve("more.bp", str(box / "sub" / "ok.bp")) == os.path.realpath(box / "sub" / "more.bp")
    # ... and a file outside the folder (the operator's replay file) does not move the base.
    assert confine.resolve("more.bp", "/elsewhere/demo.bp") == os.path.realpath(box / "more.bp")


def test_commands_refuse_paths_outside_the_folder(box, tmp_path):
    s = Session()
    s.run_line(SEED)
    outside = tmp_path / "leak.md"
    for line in (f":export trace {outside}", ":export trace ../leak.md", ":export dot ../leak.dot",
                 ":export html ../../leak.html", ":record ../leak.bp", ":load ../secret.bp",
                 f":load {tmp_path / 'secret.bp'}"):
        (ev,) = s.run_line(line)
        assert isinstance(ev, Error) and ("outside" in ev.message or "absolute" in ev.message), (line, ev)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box", "secret.bp"]  # nothing written
    assert "s" not in s.prog.bindings  # nothing read


def test_commands_work_inside_the_folder_and_name_files_relative_to_it(box):
    s = Session()
    s.run_line(SEED)
    (ev,) = s.run_line(":export trace notes.md")
    assert isinstance(ev, Exported) and ev.message.startswith("wrote notes.md:")
    assert str(box) not in ev.message  # the server's layout is not shown to the browser
    assert (box / "notes.md").read_text(encoding="utf-8").startswith("# Evaluation trace")
    evs = s.run_line(":load sub/ok.bp")
    assert not [e for e in evs if isinstance(e, Error)] and "z" in s.prog.bindings
    s.run_line(":record rec.bp")
    s.run_line("w = 1")
    (stop,) = s.run_line(":record stop")
    assert isinstance(stop, Exported) and "w = 1" in (box / "rec.bp").read_text(encoding="utf-8")


def test_a_loaded_files_own_loads_are_confined_too(box, tmp_path):
    (box / "sneaky.bp").write_text("a = 1\n:load ../secret.bp\n", encoding="utf-8")
    s = Session()
    evs = s.run_line(":load sneaky.bp")
    errors = [e for e in evs if isinstance(e, Error)]
    assert errors and "outside" in errors[0].message and "s" not in s.prog.bindings
    assert "a" in s.prog.bindings  # the rest of the file ran


def test_the_tui_screenshot_command_is_confined(box, tmp_path):
    from backprop_tui.tui.served import screenshot_path

    assert screenshot_path("shot.svg", "<input>") == Path(os.path.realpath(box)) / "shot.svg"
    with pytest.raises(confine.PathRefused):
        screenshot_path("../shot.svg", "<input>")
    with pytest.raises(confine.PathRefused):
        screenshot_path(str(tmp_path / "shot.svg"), "<input>")


def test_the_cli_flag_sets_the_folder(tmp_path, capsys):
    from backprop_tui import cli

    (tmp_path / "box").mkdir()
    try:
        code = cli.main(["--confine", str(tmp_path / "box"), "--headless", "-e",
                         f"{SEED}\n:export trace ../out.md\n:expect error outside"])
        assert code == 0, capsys.readouterr().err
        assert not (tmp_path / "out.md").exists()
    finally:
        confine.set_root(None)
    code = cli.main(["--confine", str(tmp_path / "nope"), "--headless", "-e", SEED])
    assert code == 2 and "not a folder" in capsys.readouterr().err
    assert confine.root() is None
