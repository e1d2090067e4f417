"""The node table: lazy rows at 100k nodes, pending values, dimmed partial gradients,
coloured verdicts, the current step followed, Enter and clicks that select nodes."""

from __future__ import annotations

from view_helpers import ViewApp, big_session, seed_session

from backprop_tui.tui.widgets.node_table import NodeTable


def lines(table: NodeTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def row_line(table: NodeTable, node: int) -> int:
    """The screen line showing a node's row (the header is line 0)."""
    return node - round(table.scroll_y) + 1


async def test_seed_rows_pending_then_values_and_gradients():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 14)) as pilot:
        s = seed_session()
        table.update_view(s)
        await pilot.pause()
        text = lines(table)
        assert text[0].split()[:4] == ["id", "label", "value", "gradient"]
        assert len([t for t in text if "#" in t]) == 9
        out = s.output
        assert "·" in text[row_line(table, out)]  # not yet computed
        s.run_line(":forward")
        s.run_line(":step 2")
        table.update_view(s)
        await pilot.pause()
        text = lines(table)
        assert " 23 " in text[row_line(table, out)]
        x = s.prog.bindings["x"]
        assert "0…" in text[row_line(table, x)]  # a gradient that is not final yet
        partial = table.get_component_rich_style("node-table--partial", partial=True)
        grad_seg = next(seg for seg in table.render_line(row_line(table, x)) if "0…" in seg.text)
        assert grad_seg.style.italic == partial.italic and grad_seg.style.color == partial.color


async def test_verdicts_are_coloured_and_fd_shown():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 14)) as pilot:
        s = seed_session()
        s.run_line(":backward")
        s.run_line(":check all")
        table.update_view(s)
        await pilot.pause()
        x = s.prog.bindings["x"]
        strip = table.render_line(row_line(table, x))
        assert "13" in strip.text and "pass" in strip.text
        passed = table.get_component_rich_style("node-table--pass", partial=True)
        seg = next(seg for seg in strip if "pass" in seg.text)
        assert seg.style.color == passed.color and seg.style.bold


async def test_current_row_is_highlighted_and_followed():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 8)) as pilot:
        s = big_session(100_000, chain=False)  # f reads only x: one forward step
        table.update_view(s)
        await pilot.pause()
        assert round(table.scroll_y) == 0
        s.run_line(":step")  # the current node is the last row
        table.update_view(s)
        await pilot.pause()
        cur = s.current()
        assert cur == 99_999 and table.cursor == cur
        y = row_line(table, cur)
        assert 1 <= y < table.size.height
        strip = table.render_line(y)
        assert f"#{cur}" in strip.text
        current = table.get_component_rich_style("node-table--current", partial=True)
        assert all(seg.style.bgcolor == current.bgcolor for seg in strip if seg.text.strip())


async def test_100k_rows_mount_and_scroll_to_the_end():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 12)) as pilot:
        s = big_session(100_000)
        table.update_view(s)
        await pilot.pause()
        assert table.virtual_size.height == 100_001
        table.focus()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == 99_999
        assert "#99999" in lines(table)[-1]
        await pilot.press("pageup", "up")
        await pilot.pause()
        assert table.cursor < 99_990
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor == 0 and "#0 " in lines(table)[1]


async def test_enter_and_click_post_node_selected():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 14)) as pilot:
        s = seed_session()
        table.update_view(s)
        await pilot.pause()
        table.focus()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.selected == [2]
        await pilot.click(NodeTable, offset=(10, 1 + 5))  # the header is line 0
        await pilot.pause()
        assert app.selected == [2, 5] and table.cursor == 5


async def test_narrow_pane_keeps_value_and_gradient_in_view():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(46, 10)) as pilot:
        table.update_view(seed_session())
        await pilot.pause()
        head = lines(table)[0]
        assert head.split()[:4] == ["id", "label", "value", "gradient"]
        assert table.virtual_size.width > table.size.width  # the rest scrolls sideways


async def test_the_table_reads_in_both_themes_also_in_an_svg_screenshot():
    # Alpha colours ($text-muted, $text-disabled) taken as partial styles were exported
    # unblended: the pending "0…" gradients and the header were white on white in the light
    # theme's SVG. Solid colours: every component's text differs clearly from the table's.
    from textual.color import Color

    from backprop_tui.tui.app import BackpropApp
    from backprop_tui.tui.widgets.node_table import NodeTable

    for theme in ("textual-dark", "textual-light"):
        app = BackpropApp()
        async with app.run_test(size=(100, 30)) as pilot:
            app.theme = theme
            await pilot.pause()
            table = app.query_one(NodeTable)
            bg = table.rich_style.bgcolor
            assert bg is not None
            for name in ("node-table--header", "node-table--pending", "node-table--partial",
                         "node-table--outside"):
                fg = table.get_component_rich_style(name, partial=True).color
                assert fg is not None, (theme, name)
                a, b = Color.from_rich_color(fg), Color.from_rich_color(bg)
                assert abs(a.brightness - b.brightness) > 0.25, (theme, name, a, b)


async def test_a_step_out_of_view_brings_its_row_to_the_middle_then_stays():
    """Following the steps, the table scrolls once per half page of steps (the current
    row centred), not on every step; moving the cursor by hand scrolls just enough."""
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 12)) as pilot:  # 11 rows under the header
        s = big_session(2_000)  # a chain: each forward step is the next row
        table.update_view(s)
        await pilot.pause()
        h = table.scrollable_content_region.height - 1
        tops = []
        for _ in range(3 * h):
            s.run_line(":step")
            table.update_view(s)
            await pilot.pause()
            cur = s.current()
            assert 1 <= row_line(table, cur) <= h  # always in view
            tops.append(round(table.scroll_y))
        scrolls = sum(a != b for a, b in zip(tops, tops[1:], strict=False))
        assert 0 < scrolls <= 3 * h // (h // 2) + 1  # about once per half page
        last = s.current()
        assert abs(row_line(table, last) - (1 + h // 2)) <= h // 2
        top = round(table.scroll_y)
        table.cursor = top + h  # one row below the view, by hand: scrolled by one
        await pilot.pause()
        assert round(table.scroll_y) == top + 1


async def test_a_step_repaints_only_the_rows_that_changed():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 14)) as pilot:
        s = seed_session()
        s.run_line(":forward")
        table.update_view(s)
        await pilot.pause()
        counts: list[int] = []
        repaint = table.repaint
        table.repaint = lambda: counts.append(repaint()) or counts[-1]  # type: ignore[method-assign]
        s.run_line(":step")  # the output's seed: every gradient cell shows, 0…
        table.update_view(s)
        await pilot.pause()
        s.run_line(":step")  # x²+3xy+1 pushes to its two operands
        table.update_view(s)
        await pilot.pause()
        # the 7 rows of nodes that take a gradient; then the two operands' rows, the new
        # current row and the row the highlight left
        assert counts == [7, 4]
        del table.repaint
        # what is drawn now is what a full render of the new state gives
        drawn = [table.render_line(y) for y in range(table.size.height)]
        table.refresh()
        assert [table.render_line(y) for y in range(table.size.height)] == drawn
