"""The graph pane: the seed drawn whole, values then gradients, the current node
highlighted, a neighbourhood for huge graphs, clicks that select nodes."""

from __future__ import annotations

from view_helpers import ViewApp, big_session, seed_session

from backprop_tui.labels import label
from backprop_tui.tui.widgets.graph_view import FAN, MARGIN, RADIUS, GraphCanvas, GraphView

SEED_LABELS = ["x", "3", "y", "1", "3x", "3xy", "x²", "x²+3xy", "x²+3xy+1"]


def screen_text(view: GraphView) -> list[str]:
    canvas = view.canvas
    return [canvas.render_line(y).text for y in range(canvas.size.height)]


def label_segment(view: GraphView, node: int):
    """The rendered segment holding a node's label, and its line."""
    canvas = view.canvas
    box = canvas.drawing.boxes[node]
    y = box.y + canvas.origin[1] - round(canvas.scroll_y)
    text = f" {canvas.labels[node]} "
    for seg in canvas.render_line(y):
        if seg.text == text:
            return seg
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
        assert view.near[cur] <= 1  # re-centred once it strayed from the centre
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
