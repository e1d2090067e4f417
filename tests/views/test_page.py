"""The stepping page (:export html): its embedded data, parsed without a browser; user text
that cannot break out of it; and, when Chromium is installed, the real page stepped by keys
and by #step=N, its DOM checked after stepping."""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from backprop_tui.events import Error, Exported
from backprop_tui.handout.page import MAX_PAGE_NODES, script_json, to_page
from backprop_tui.language import parse
from backprop_tui.replay import iter_lines, run_line
from backprop_tui.session import Session

ROOT = Path(__file__).resolve().parents[2]
SEED = "x = 2; y = 3; x^2 + 3x*y + 1"
HOSTILE = '</script><script>alert("x&y")</script><!-- \' " & <b>'


class _Page(html.parser.HTMLParser):
    """Tags, script bodies and text of a page, as a browser's parser splits them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in: dict | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in, self._buf = dict(attrs), []

    def handle_endtag(self, tag):
        if tag == "script" and self._in is not None:
            self.scripts.append((self._in, "".join(self._buf)))
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._buf.append(data)


def parse_page(text: str) -> tuple[_Page, dict]:
    p = _Page()
    p.feed(text)
    (data,) = [body for attrs, body in p.scripts if attrs.get("type") == "application/json"]
    return p, json.loads(data)


def seed_session() -> Session:
    s = Session()
    for sl in iter_lines(str(ROOT / "demos" / "seed.bp")):
        run_line(s, sl)
    return s


def test_the_page_embeds_every_step_and_the_checks():
    s = seed_session()
    p, data = parse_page(to_page(s))
    # 5 forward steps, 7 backward (the reverse, with the inputs' rows; none for the literals)
    assert data["total"] == 12 == len(data["steps"]) and data["forward_steps"] == 5
    assert [n["label"] for n in data["nodes"] if n["v"]] == ["x", "y", "x²", "3x", "3xy", "x²+3xy",
                                                             "x²+3xy+1"]
    first = data["steps"][0]
    assert first == {"phase": "forward", "node": first["node"], "n": 1, "of": 5, "value": "4",
                     "text": "x² = 2² = 4", "v": "v₁"}
    literals = {n["id"] for n in data["nodes"] if n["kind"] == "literal"}
    assert len(literals) == 2 and not literals & {st["node"] for st in data["steps"]}
    x = s.prog.bindings["x"]
    pushes = [p_ for st in data["steps"] if st["phase"] == "backward" for p_ in st["pushes"]
              if p_["to"] == x]
    assert [(q["before"], q["add"], q["after"]) for q in pushes] == [("0", "9", "9"), ("9", "4", "13")]
    assert pushes[1]["text"] == "x\u0304 = x\u0304 + x\u0305²\u0305·2x = 9 + 4 = 13"
    assert {r["label"]: r["verdict"] for r in data["check"]["rows"]}["x"] == "pass"
    assert len(data["check"]["rows"]) == 7  # every node that takes a gradient
    # narration sits at the step where it was said: 3x's push at step 9, x²'s at step 10
    assert any("3x pushes 3·3 = 9 to x" in t for t in data["narration"]["9"])
    assert any("9 → 13" in t for t in data["narration"]["10"])
    assert any("Backpropagation, one node at a time" in t for t in data["narration"]["0"])
    # self-contained: no external resource of any kind
    for tag, attrs in p.tags:
        assert not any(k in attrs for k in ("src", "href")), (tag, attrs)
    assert "http://" not in to_page(s).replace("http://www.w3.org/2000/svg", "")


def test_user_text_never_reaches_the_html_unescaped():
    s = Session()
    s.run_line(f"x = 2 # {HOSTILE}")
    s.run_line("x^2 + 1")
    s.run_line(f":say {HOSTILE}")
    page = to_page(s)
    p, data = parse_page(page)
    # The browser sees exactly two scripts (the data and the page's own) and no <b>.
    assert [attrs.get("type") for attrs, _ in p.scripts] == ["application/json", None]
    assert not any(tag == "b" for tag, _ in p.tags)
    assert "</script><script>alert" not in page and "<!-- '" not in page
    assert data["source"][0].endswith(HOSTILE) and data["narration"]["0"] == [HOSTILE]
    assert script_json({"a": "</script>&\u2028"}) == '{"a":"\\u003c/script\\u003e\\u0026\\u2028"}'


def test_the_page_is_refused_beyond_its_size_with_a_pointer_to_the_trace(tmp_path):
    terms = " + ".join(f"x{k}" for k in range(MAX_PAGE_NODES))
    s = Session()
    s.run_line("; ".join(f"x{k} = {k}" for k in range(MAX_PAGE_NODES)) + "; " + terms)
    (err,) = s.run_line(f":export html {tmp_path / 'big.html'}")
    assert isinstance(err, Error) and "at most 400" in err.message and ":export trace" in err.message
    assert not (tmp_path / "big.html").exists()


def test_export_html_command_and_headless_export(tmp_path):
    s = Session(parse(SEED))
    (ev,) = s.run_line(f":export html {tmp_path / 'p.html'}")
    assert isinstance(ev, Exported) and ev.format == "html" and "12 steps" in ev.message
    run = subprocess.run([sys.executable, "-m", "backprop_tui", "--headless", "--export",
                          str(tmp_path / "seed.html"), "--export", str(tmp_path / "seed.md"),
                          "--export", f"trace:{tmp_path / 'trace.html'}", "--export",
                          str(tmp_path / "g.dot"), str(ROOT / "demos" / "seed.bp")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"› --export {tmp_path / 'seed.html'}" in run.stdout
    _, data = parse_page((tmp_path / "seed.html").read_text(encoding="utf-8"))
    assert data["total"] == 12 and "| v₋₁ | x | x = 2 | 2 |" in (tmp_path / "seed.md").read_text()
    assert "<table>" in (tmp_path / "trace.html").read_text()
    assert "digraph" in (tmp_path / "g.dot").read_text()
    # A relative --export path is the shell's: relative to the working folder, not to the
    # replay file (which sits in demos/ here).
    run = subprocess.run([sys.executable, "-m", "backprop_tui", "--headless", "-q", "--export",
                          "here.md", str(ROOT / "demos" / "baydin.bp")], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "log(x₁)" in (tmp_path / "here.md").read_text(encoding="utf-8")
    assert not (ROOT / "demos" / "here.md").exists()
    bad = subprocess.run([sys.executable, "-m", "backprop_tui", "--headless", "--export",
                          str(tmp_path / "x.pdf"), "-e", SEED], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "which export is" in bad.stderr


# ---------------------------------------------------------------------- in a real browser

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                         "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed "
                                    "(apt-get install chromium)")


def chromium(url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
             "--window-size=1300,1150", *extra, url],
            capture_output=True, text=True, timeout=120, env={**os.environ, "LANG": "C.UTF-8"})
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("page") / "seed.html"
    path.write_text(to_page(seed_session()), encoding="utf-8")
    return path


def body_attrs(dom: str) -> dict[str, str]:
    m = re.search(r"<body([^>]*)>", dom)
    assert m, dom[:500]
    return dict(re.findall(r'data-(\w+)="([^"]*)"', m.group(1)))


@needs_chromium
def test_browser_opens_at_a_step_from_the_address(seed_page):
    dom = chromium(f"{seed_page.as_uri()}#step=10", "--dump-dom")
    attrs = body_attrs(dom)
    assert attrs["step"] == "10" and attrs["phase"] == "backward"
    assert "step 10 of 12 · backward 5/7" in dom
    assert "x̄ = x̄ + x̅²̅·2x = 9 + 4 = 13" in dom  # the accumulation, drawn by the page
    assert "∂f 13 so far" in dom  # x's node in the SVG: 13 arrived, not yet final
    assert "x² pushes 2x·1 = 4 to x" in dom  # the narration said at this step


@needs_chromium
def test_browser_opens_at_the_start_without_an_address(seed_page):
    dom = chromium(seed_page.as_uri(), "--dump-dom")
    assert body_attrs(dom)["step"] == "0" and "step 0 of 12" in dom
    # the five operations (leaves hold their values), as the page's SVG draws them
    assert len(re.findall(r'class="val"[^>]*>value: not computed<', dom)) == 5


@needs_chromium
def test_browser_steps_with_the_keys(seed_page):
    keys = ",".join(["ArrowRight"] * 7 + ["ArrowLeft", "End", "ArrowLeft"])
    dom = chromium(f"{seed_page.as_uri()}#step=0&keys={keys}", "--dump-dom")
    attrs = body_attrs(dom)
    assert attrs["step"] == "11", attrs  # 7 right, 1 left = 6; End = 12; left = 11
    assert "step 11 of 12 · backward 6/7" in dom and "∂f/∂y = 6 — final" in dom  # y's row
    assert "An input: its row of the adjoint trace; it pushes nothing further." in dom
    dom = chromium(f"{seed_page.as_uri()}#step=0&keys=ArrowRight,ArrowRight,Home,ArrowRight", "--dump-dom")
    attrs = body_attrs(dom)
    assert attrs["step"] == "1" and attrs["phase"] == "forward"
    assert "x² = 2² = 4" in dom and "value: not computed" in dom


@needs_chromium
def test_browser_screenshot_shows_the_page(seed_page, tmp_path):
    shot = tmp_path / "page.png"
    chromium(f"{seed_page.as_uri()}#step=10", f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a drawn page, not a blank one
    if os.environ.get("PAGE_SCREENSHOT"):  # for the notes: PAGE_SCREENSHOT=path pytest -k screenshot
        shutil.copy(shot, os.environ["PAGE_SCREENSHOT"])
