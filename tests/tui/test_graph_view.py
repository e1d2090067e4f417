"""The graph pane: the seed drawn whole, values then gradients, the current node
highlighted, a neighbourhood for huge graphs, clicks that select nodes."""

from __future__ import annotations

from view_helpers import ViewApp, big_session, seed_session

from backprop_tui.labels import label
from backprop_tui.language import parse
from backprop_tui.session import Session
from backprop_tui.tui.widgets.graph_view import FAN, KEEP, MARGIN, RADIUS, GraphCanvas, GraphView

SEED_LABELS = ["x", "3", "y", "1", "3x", "3xy", "x²", "x²+3xy", "x²+3xy+1"]


def screen_text(view: GraphView) -> list[str]:
    canvas = view.canvas
    return [canvas.render_line(y).text for y in range(canvas.size.height)]


def label_segment(view: GraphView, node: int):
    """The rendered segment holding a node's label chip (neighbours in the chip's style may
    share its segment)."""
    canvas = view.canvas
    box = canvas.drawing.boxes[node]
    y = box.y + canvas.origin[1] - round(canvas.scroll_y)
    x = box.x + canvas.origin[0] - round(canvas.scroll_x)
    text = f" {canvas.labels[node]} "
    at = 0
    for seg in canvas.render_line(y):
        if at <= x < at + len(seg.text):
            assert seg.text[x - at:].startswith(text), (seg.text, text)
            return seg
        at += len(seg.text)
    raise AssertionError(f"label {text!r} not on line {y}")


async def test_seed_renders_all_nine_labels():
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(120, 24)) as pilot:
        s = seed_session()
        view.update_view(s)
        await pilot.pause()
        assert view.mode == "full"
        text = "\n".join(screen_text(view))
        for lab in SEED_LABELS:
            assert f" {lab} " in text, lab
        assert "▶" in text and "╯" in text


async def test_values_after_forward_steps_then_gradients():
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(120, 24)) as pilot:
        s = seed_session()
        view.update_view(s)
        await pilot.pause()
        text = "\n".join(screen_text(view))
        assert "=2 " in text and "=3 " in text  # inputs hold values from the start
        assert "=· " in text and "f=· " in text  # ops are pending
        s.run_line(":step 3")  # 3x = 6, 3xy = 18, x² = 4
        view.update_view(s)
        await pilot.pause()
        text = "\n".join(screen_text(view))
        assert "=6 " in text and "=18 " in text and "=4 " in text and "f=· " in text
        s.run_line(":forward")
        s.run_line(":step 2")  # seed f, then x²+3xy pushes 1 to x² and 3xy
        view.update_view(s)
        await pilot.pause()
        text = "\n".join(screen_text(view))
        assert "∂1✓" in text  # final gradients are marked
        assert "0→1" in text  # the latest contributions, before → after
        s.run_line(":backward")
        view.update_view(s)
        await pilot.pause()
        text = "\n".join(screen_text(view))
        assert "∂6✓" in text
        # x's column is as narrow as the seed allows: "∂13" whole, marked final by its style
        final = view.canvas.get_component_rich_style("graph-view--final")
        x_note = [seg for y in range(view.canvas.size.height)
                  for seg in view.canvas.render_line(y) if seg.text.startswith("∂13")]
        assert x_note and all(seg.style == final for seg in x_note)


async def test_current_node_is_highlighted():
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(120, 24)) as pilot:
        s = seed_session()
        s.run_line(":step 3")  # x², 3x, then 3xy: the current node
        view.update_view(s)
        await pilot.pause()
        canvas = view.canvas
        cur = s.current()
        assert label(s.prog.graph, cur) == "3xy"
        current = canvas.get_component_rich_style("graph-view--current")
        assert label_segment(view, cur).style == current
        other = next(i for i in canvas.drawing.boxes if i != cur)
        assert label_segment(view, other).style != current
        s.run_line(":step")
        view.update_view(s)
        await pilot.pause()
        assert label_segment(view, cur).style != current
        assert label_segment(view, s.current()).style == current


async def test_click_on_a_node_posts_node_selected():
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(120, 24)) as pilot:
        s = seed_session()
        view.update_view(s)
        await pilot.pause()
        canvas = view.canvas
        target = next(i for i in canvas.drawing.boxes if label(s.prog.graph, i) == "3xy")
        box = canvas.drawing.boxes[target]
        ox, oy = canvas.origin  # the drawing is centred in the pane
        assert ox >= MARGIN
        await pilot.click(GraphCanvas, offset=(box.x + ox + 1 - round(canvas.scroll_x),
                                               box.y + oy - round(canvas.scroll_y)))
        await pilot.pause()
        assert app.selected == [target]


async def test_neighbourhood_for_a_100k_graph():
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(100, 30)) as pilot:
        s = big_session(100_000)
        view.update_view(s)
        await pilot.pause()
        assert view.mode == "neighbourhood"
        assert view.note.startswith("showing ") and "of 100,000 nodes around" in view.note
        assert len(view.canvas.drawing.boxes) <= 40
        for _ in range(3):  # stepping re-centres on the current node and keeps it in view
            s.run_line(":step")
            view.update_view(s)
            await pilot.pause()
        cur = s.current()
        assert cur in view.canvas.drawing.boxes
        assert view.near[cur] <= KEEP  # re-centred once it strayed from the centre
        assert all(j in view.near for j in s.graph.operands(cur))  # its operands drawn
        assert any(line.strip() for line in screen_text(view))
        label_segment(view, cur)  # on screen
        centre = view.centre
        x = s.prog.bindings["x"]
        # only nodes near the centre (x feeds all 100k: just its readers nearest the centre)
        assert all(i == x or abs(i - centre) <= RADIUS + FAN for i in view.canvas.drawing.boxes)
        s.run_line(":step 50")
        view.update_view(s)
        await pilot.pause()
        assert view.canvas.hidden  # some operands are off the drawing...
        view.canvas.scroll_to(0, 0, animate=False)
        await pilot.pause()
        assert any("⋯" in line for line in screen_text(view))  # ...and marked
        s.run_line(":back 52")
        view.update_view(s)
        await pilot.pause()
        assert s.current() in view.canvas.drawing.boxes


async def test_empty_session_says_so():
    from backprop_tui.session import Session

    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(60, 10)) as pilot:
        view.update_view(Session())
        await pilot.pause()
        assert view.mode == "empty" and "no program" in view.note


async def test_update_before_mount_draws_once_mounted():
    view = GraphView()
    view.update_view(seed_session())
    app = ViewApp(view)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        assert view.mode == "full" and len(view.canvas.drawing.boxes) == 9


async def test_seed_whole_in_the_app_at_80x24_and_100x30():
    from backprop_tui.tui.app import BackpropApp

    for size in ((80, 24), (100, 30)):
        app = BackpropApp()
        async with app.run_test(size=size) as pilot:
            view = app.query_one(GraphView)
            canvas = view.canvas
            for _ in range(15):  # start, the 5 forward steps, the 9 backward ones
                await pilot.pause()
                assert canvas.virtual_size.width <= canvas.scrollable_content_region.width
                assert canvas.scroll_offset.x == 0
                text = "\n".join(screen_text(view))
                for lab in SEED_LABELS:
                    assert f" {lab} " in text, (size, lab)
                await pilot.press("right")
            assert "∂13" in text and "∂6" in text  # x's and y's gradients, whole


# -- issue 11 item 6: a readable graph up to ~60 nodes ---------------------------------

MLP = ("x1 = 0.5; x2 = -1.5; w11 = 0.8; w12 = -0.4; b1 = 0.1; w21 = -0.6; w22 = 0.9; "
       "b2 = 0.2; v1 = 1.5; v2 = -0.7; c = 0.05; h1 = tanh(w11*x1 + w12*x2 + b1); "
       "h2 = tanh(w21*x1 + w22*x2 + b2); y = tanh(v1*h1 + v2*h2 + c); loss = (y - 0.25)^2")


def legend_of(view: GraphView) -> str:
    """The legend, under the drawing or on the pane's border."""
    return str(view.border_subtitle) + view.query_one("GraphLegend").text


def visible_text(view: GraphView) -> str:
    return "\n".join(screen_text(view))


async def test_the_mlp_shows_whole_at_120x36():
    from backprop_tui.tui.app import BackpropApp

    app = BackpropApp(MLP)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one(GraphView)
        canvas = view.canvas
        region = canvas.scrollable_content_region
        d = canvas.drawing
        assert len(d.boxes) == 29 and view.auto
        assert canvas.virtual_size.width <= region.width
        assert canvas.virtual_size.height <= region.height
        text = visible_text(view)
        g = app.session.graph
        for name in ("x1", "x2", "w11", "w22", "b1", "b2", "v1", "v2", "c", "h1", "h2", "y",
                     "loss"):
            assert f" {name} " in text, name
        # inputs sit next to their first reader, not all in column one
        layer = {i: b.layer for i, b in d.boxes.items()}
        b = app.session.prog.bindings
        assert layer[b["b1"]] > 0 and layer[b["v1"]] > layer[b["b1"]] and layer[b["c"]] > layer[b["v1"]]
        for i, box in d.boxes.items():
            if g.is_leaf(i):
                first = min(layer[j] for j in d.boxes if i in g.operands(j))
                assert box.layer == first - 1, canvas.labels[i]


async def test_the_seed_uses_a_200x50_window_values_and_gradients_together():
    from backprop_tui.tui.app import BackpropApp

    app = BackpropApp()
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        view = app.query_one(GraphView)
        canvas = view.canvas
        region = canvas.scrollable_content_region
        d = canvas.drawing
        assert view.zoom.lines == 2  # a level with the value and the gradient on two lines
        assert d.width >= region.width // 3 and d.height >= region.height // 2
        ox, oy = canvas.origin  # centred
        assert ox > MARGIN and oy > 0
        await pilot.press("f6", "right", "right", "right", "right")  # backward 4/7, at 3x
        await pilot.pause()
        text = visible_text(view)
        assert "=2 " in text and "∂0→9" in text  # x: value and gradient together
        assert "=6 " in text and "∂3✓" in text and "=18 " in text
        legend = view.query_one("GraphLegend").text
        assert "✓ final" in legend and "… still summing" in legend and "a→b just arrived" in legend
        assert "∂3x/∂x = 3" in legend  # the local derivative just pushed
        # the pushed wire x → 3x is marked, and carries ×3
        s = app.session
        x, three_x = s.prog.bindings["x"], s.current()
        pushed = canvas.get_component_rich_style("graph-view--pushed")
        route = canvas.drawing.routes[(x, three_x)]
        ys = {y for _, y in route}
        oy = canvas.origin[1]
        marked = [seg for y in ys for seg in canvas.render_line(y + oy - round(canvas.scroll_y))
                  if seg.style == pushed]
        assert marked and "×3" in "".join(seg.text for seg in marked)
        await pilot.press("f7")
        await pilot.pause()
        text = visible_text(view)
        assert "∂13✓" in text and "=2 " in text and "∂6✓" in text and "=3 " in text


async def test_pan_zoom_and_fit_keys_never_type():
    from backprop_tui.tui.app import BackpropApp

    app = BackpropApp(MLP)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one(GraphView)
        canvas = view.canvas
        fitted = view.level
        await pilot.press("ctrl+up", "ctrl+up")
        await pilot.pause()
        assert view.level == fitted + 2 and not view.auto
        assert canvas.virtual_size.width > canvas.scrollable_content_region.width
        x0 = canvas.scroll_offset.x
        await pilot.press("alt+right")
        await pilot.pause()
        assert canvas.scroll_offset.x > x0
        await pilot.press("alt+left")
        await pilot.pause()
        assert canvas.scroll_offset.x == x0
        await pilot.press("alt+down")
        await pilot.pause()
        await pilot.press("ctrl+down")
        await pilot.pause()
        assert view.level == fitted + 1
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert view.level == fitted and view.auto
        assert app.repl.input.value == ""  # nothing was typed
        assert app.session.pos == 0  # and nothing stepped


async def test_labels_never_truncate_into_the_same_text():
    from backprop_tui.language import parse
    from backprop_tui.session import Session

    view = GraphView()
    app = ViewApp(view)
    # the two sums differ only in their last term: clipped, they would read the same
    src = ("w21 = 0.5; w22 = 0.25; "
           "u = tanh(w21*-1.53 + w22*-1.76 + 1) + tanh(w21*-1.53 + w22*-1.76 + 2)")
    async with app.run_test(size=(100, 30)) as pilot:
        view.update_view(Session(parse(src)))
        await pilot.pause()
        view.zoom_by(2 - view.level)  # the labels level, then further in
        for _ in range(3):
            await pilot.pause()
            labs = list(view.canvas.labels.values())
            clipped = [t for t in labs if "…" in t]
            assert len(clipped) >= 4, labs
            assert len(set(clipped)) == len(clipped), clipped
            assert all(len(t) <= view.zoom.label for t in labs)
            view.zoom_by(1)


async def test_fold_key_and_commands_fold_a_named_node():
    from backprop_tui.tui.app import BackpropApp

    app = BackpropApp(MLP)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one(GraphView)
        s = app.session
        h1 = s.prog.bindings["h1"]
        app.inspect_node(h1)
        await pilot.press("ctrl+t")
        await pilot.pause()
        d = view.canvas.drawing
        assert len(d.boxes) == 25 and view.canvas.labels[h1] == "⊞h1"
        readers = {a for a, b in d.edges if b == h1}
        assert readers == {s.prog.bindings[n] for n in ("x1", "x2", "w11", "w12", "b1")}
        assert "⊞ folded" in legend_of(view)
        # stepping inside the fold marks its box as current
        s.run_line(":step")  # w11·x1, inside h1
        app._refresh_views()  # noqa: SLF001 (what a key does after a line)
        await pilot.pause()
        current = view.canvas.get_component_rich_style("graph-view--current")
        assert label_segment(view, h1).style == current
        await pilot.press("ctrl+t")  # on the inspected h1: unfolds
        await pilot.pause()
        assert len(view.canvas.drawing.boxes) == 29
        app.run_line(":fold all")
        await pilot.pause()
        assert {view.canvas.labels[s.prog.bindings[n]] for n in ("h1", "h2", "y", "loss")} == {
            "⊞h1", "⊞h2", "⊞y", "⊞loss"}
        app.run_line(":unfold all")
        await pilot.pause()
        assert len(view.canvas.drawing.boxes) == 29


async def test_outside_nodes_shown_dimmed_with_values_never_gradients():
    from backprop_tui.tui.app import BackpropApp

    app = BackpropApp("x = 2; y = 3; z = sin(x)*y; x^2 + 3x*y + 1")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one(GraphView)
        assert len(view.canvas.drawing.boxes) == 9 and "outside f hidden" in view.note
        await pilot.press("f7", "ctrl+o")
        await pilot.pause()
        canvas = view.canvas
        s = app.session
        z = s.prog.bindings["z"]
        assert len(canvas.drawing.boxes) == 11 and z in canvas.drawing.boxes
        outside = canvas.get_component_rich_style("graph-view--outside")
        assert label_segment(view, z).style == outside
        b = canvas.drawing.boxes[z]
        oy = canvas.origin[1] - round(canvas.scroll_y)
        notes = "".join(canvas.render_line(b.y + k + oy).text for k in (1, 2))
        assert "=2.72789" in notes and "∂" not in notes.split("=2.72789")[1][:12]
        assert "dim: outside f" in legend_of(view)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert len(view.canvas.drawing.boxes) == 9
        assert app.repl.input.value == ""


async def test_a_neighbourhood_is_kept_while_the_current_node_stays_near_its_centre():
    """Stepping along a chain, the drawing is re-centred only once the current node is
    more than KEEP edges from its centre: every step shows the node with its operands,
    and a new layout comes every third step rather than every other."""
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(100, 30)) as pilot:
        s = Session(parse("x = 0.5\ns = x\n" + "s = s*0.999 + x\n" * 300 + "s"))
        view.update_view(s)
        await pilot.pause()
        assert view.mode == "neighbourhood"
        centres = []
        for _ in range(24):
            s.run_line(":step")
            view.update_view(s)
            cur = s.current()
            assert view.near[cur] <= KEEP and cur in view.canvas.drawing.boxes
            assert all(j in view.canvas.drawing.boxes for j in s.graph.operands(cur))
            centres.append(view.centre)
        redraws = sum(a != b for a, b in zip(centres, centres[1:], strict=False))
        assert 4 <= redraws <= 9  # every third step or so (it was every other: 12)


async def test_highlight_and_centre_on_a_node():
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(120, 24)) as pilot:
        s = seed_session()
        view.update_view(s)
        await pilot.pause()
        b = s.prog.bindings
        x = b["x"]
        d = view.canvas.drawing
        path = [e for e in d.edges if e[0] == x]
        view.highlight({x} | {c for _, c in path}, path)
        await pilot.pause()
        style = view.canvas.get_component_rich_style("graph-view--path")
        consumer = path[0][1]
        assert label_segment(view, consumer).style == style
        oy = view.canvas.origin[1] - round(view.canvas.scroll_y)
        ys = {y for _, y in d.routes[path[0]]}
        assert any(seg.style == style for y in ys for seg in view.canvas.render_line(y + oy)
                   if "─" in seg.text or "│" in seg.text or "▶" in seg.text)
        view.clear_highlight()
        await pilot.pause()
        assert label_segment(view, consumer).style != style
    # centring: a far node of a neighbourhood drawing is drawn around and scrolled to
    view = GraphView()
    app = ViewApp(view)
    async with app.run_test(size=(100, 30)) as pilot:
        s = big_session(100_000)
        view.update_view(s)
        await pilot.pause()
        far = 60_000
        view.centre_on(far)
        await pilot.pause()
        await pilot.pause()
        assert view.centre == far and far in view.canvas.drawing.boxes
        label_segment(view, far)  # on screen


async def test_a_table_row_picked_centres_the_graph_on_it():
    from backprop_tui.tui.app import BackpropApp
    from backprop_tui.tui.messages import NodeSelected

    app = BackpropApp(MLP)
    async with app.run_test(size=(80, 24)) as pilot:  # the MLP does not fit: it scrolls
        await pilot.pause()
        view = app.query_one(GraphView)
        canvas = view.canvas
        loss = app.session.prog.bindings["loss"]
        assert canvas.virtual_size.width > canvas.scrollable_content_region.width
        app.query_one("#table").post_message(NodeSelected(loss))
        await pilot.pause()
        await pilot.pause()
        assert app.inspected == loss
        label_segment(view, loss)  # scrolled into view
        assert canvas.scroll_offset.x > 0


async def test_z_and_o_are_typed_unless_in_letter_mode():
    from backprop_tui.tui.app import BackpropApp

    app = BackpropApp("x = 2; u = x*x; h = sin(u*3); w = h + 1; h*h")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        view = app.query_one(GraphView)
        await pilot.press("z", "o", "o")  # typed: nothing folds, nothing shows
        assert app.repl.input.value == "zoo" and not view.show_outside
        assert len(view.canvas.drawing.boxes) == 6  # x, x·x, 3, u·3, h, h·h
        app.repl.input.value = ""
        app.inspect_node(app.session.prog.bindings["h"])
        await pilot.press("escape", "o")  # letter mode: o draws the nodes outside f
        await pilot.pause()
        assert view.show_outside and len(view.canvas.drawing.boxes) == 8  # and 1, w
        await pilot.press("z")  # and z folds the selected named node h
        await pilot.pause()
        h = app.session.prog.bindings["h"]
        assert view.canvas.labels[h] == "⊞h" and app.repl.input.value == ""


def test_fit_level_picks_the_largest_level_that_fits():
    from types import SimpleNamespace

    from backprop_tui.tui.widgets.graph_zoom import LEVELS, fit_level

    sizes = [(20, 6), (30, 6), (40, 6), (45, 9), (55, 9), (65, 12), (90, 15)]  # grow with the level
    asked: list[int] = []

    def lay(level):
        asked.append(level)
        w, h = sizes[level]
        return SimpleNamespace(width=w, height=h)

    assert len(sizes) == len(LEVELS)
    assert fit_level(lay, 200, 50) == 6 and len(asked) <= 3
    assert fit_level(lay, 50, 10) == 3
    assert fit_level(lay, 42, 7) == 2
    assert fit_level(lay, 60, 5) == 4  # nothing fits down: the most that fits across
    assert fit_level(lay, 10, 5) == 0  # nothing fits: the overview
    assert fit_level(lambda level: None, 100, 100) == 0  # every layout too large


def test_the_inspector_gives_a_named_nodes_expression():
    from backprop_tui.language import parse
    from backprop_tui.session import Session
    from backprop_tui.tui.widgets.inspector import describe

    s = Session(parse(MLP))
    b = s.prog.bindings
    lines = ["".join(text for text, _ in line) for line in describe(s, b["h1"])]
    assert lines[0].startswith("h1  #15 tanh")
    assert lines[1] == "h1 = tanh(w11·x1+w12·x2+b1)"
    lines = ["".join(text for text, _ in line) for line in describe(s, b["x1"])]
    assert not any(line.startswith("x1 = ") for line in lines)  # an input is its name


async def test_a_short_pane_says_the_pushed_derivative_on_its_border():
    from backprop_tui.tui.app import BackpropApp

    app = BackpropApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f6", "right", "right", "right", "right")  # at 3x: pushes 3 to x
        await pilot.pause()
        view = app.query_one(GraphView)
        assert not view.query_one("GraphLegend").display  # too short: on the border
        assert str(view.border_subtitle).startswith("bold wires ×3 = ∂3x/∂x · ∂ ∂f/∂node")
        await pilot.press("right")  # at x²: pushes 2x = 4 to x
        await pilot.pause()
        assert str(view.border_subtitle).startswith("bold wires ×4 = ∂x²/∂x")


async def test_a_folded_call_is_one_box_named_by_its_call():
    from backprop_tui.language import parse
    from backprop_tui.session import Session

    view = GraphView()
    app = ViewApp(view)
    s = Session(parse("n(a, b) = tanh(a*b + 1); x = 2; y = 3; n(x, y) * n(y, x)"))
    async with app.run_test(size=(120, 30)) as pilot:
        view.update_view(s)
        await pilot.pause()
        assert len(view.canvas.drawing.boxes) == 11
        s.run_line(":fold all")
        view.update_view(s)
        await pilot.pause()
        labels = sorted(t for t in view.canvas.labels.values() if t.startswith("⊞"))
        assert labels == ["⊞n#1", "⊞n#2"] and len(view.canvas.drawing.boxes) == 11 - 4
