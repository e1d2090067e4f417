"""The node table's search, sort and filter: /TEXT and Ctrl+G move the cursor to the
matches, :sort and Ctrl+S reorder the rows (the sorted column marked), :filter keeps the
nodes it picks; rows keep selecting the node they show, and the current step is followed."""

from __future__ import annotations

from conftest import enter, settle
from view_helpers import ViewApp, seed_session

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.graph_view import GraphView
from backprop_tui.tui.widgets.log_pane import LogPane
from backprop_tui.tui.widgets.node_table import NodeTable

SIZE = (100, 30)


def lines(table: NodeTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def ids_shown(table: NodeTable) -> list[int]:
    return [int(t.split()[0][1:]) for t in lines(table)[1:] if t.strip().startswith("#")]


async def test_sort_by_grad_reorders_rows_and_marks_the_column():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 14)) as pilot:
        s = seed_session()
        table.update_view(s)
        table.sort_by(s, "grad")
        await pilot.pause()
        text = lines(table)
        assert "gradient▼" in text[0]
        shown = ids_shown(table)
        # f = x²+3xy+1 at x=2, y=3: |∂f/∂x| = 13 is the largest, then ∂f/∂(3x) = 3 …
        assert shown[0] == s.prog.bindings["x"]
        assert sorted(shown) == list(range(len(s.graph)))  # every node, once
        await pilot.press("down")
        table.focus()
        await pilot.press("enter")
        assert app.selected == [shown[table.cursor]]  # the row's node, not its index
        table.sort_by(s, "id")
        await pilot.pause()
        assert ids_shown(table) == list(range(len(s.graph)))[: len(ids_shown(table))]
        assert "▼" not in lines(table)[0]


async def test_filter_keeps_its_nodes_and_follows_the_step():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 14)) as pilot:
        s = seed_session()
        table.update_view(s)
        table.filter_to(s, "op:mul")
        await pilot.pause()
        shown = ids_shown(table)
        assert shown and all(s.node_info(i).op == "mul" for i in shown)
        assert "[op:mul: " in lines(table)[0]
        s.run_line(":goto 3x")  # a product: the cursor follows it in the filtered rows
        assert s.node_info(s.current()).op == "mul"
        table.update_view(s)
        await pilot.pause()
        assert table.node_at(table.cursor) == s.current()
        table.go_to(s, s.prog.bindings["x"])  # a match the filter hides: the filter goes
        assert table.filter_query == "" and table.node_at(table.cursor) == s.prog.bindings["x"]
        assert "filter off" in table.note


async def test_a_sort_that_no_longer_applies_is_dropped_with_a_reason():
    table = NodeTable()
    app = ViewApp(table)
    async with app.run_test(size=(100, 14)) as pilot:
        s = seed_session()
        s.run_line(":check all")
        table.update_view(s)
        table.sort_by(s, "error")
        assert table.sort_key == "error" and "FD error▼" in lines(table)[0]
        s.run_line("x = 5; x*x")  # a new f: the check is gone, so is the order by its error
        table.update_view(s)
        await pilot.pause()
        assert table.sort_key == "id" and "no :check has run yet" in table.note


async def test_slash_search_ctrl_g_and_ctrl_s_in_the_app():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one("#table", NodeTable)
        s = app.session
        await enter(pilot, "/3x")
        await settle(pilot)
        matches = [i for i in range(len(s.graph)) if "3x" in s.node_info(i).label]
        assert len(matches) == 4 and table.node_at(table.cursor) == matches[0]
        assert "4 nodes match '3x'" in app.query_one(LogPane).text
        for k in [1, 2, 3, 0]:  # the next match, through :find; it wraps
            await pilot.press("ctrl+g")
            assert table.node_at(table.cursor) == matches[k]
        await pilot.press("ctrl+s")  # :sort: id → grad
        await settle(pilot)
        assert table.sort_key == "grad" and "gradient▼" in table.render_line(0).text
        assert "› :sort" in app.query_one(LogPane).text
        await enter(pilot, "/zzz")
        assert "no node matches 'zzz'" in str(app.repl.query_one("#repl-message").render())
        await enter(pilot, ":filter op:add")
        await settle(pilot)
        assert all(s.node_info(table.node_at(r)).op == "add" for r in range(table.rows))
        await enter(pilot, ":filter off")
        await settle(pilot)
        assert table.rows == len(s.graph)
        await enter(pilot, ":path x")
        await settle(pilot)
        assert "lie on the" in app.query_one(LogPane).text
        # the graph marks the nodes on x's paths to f (not y, not the literals) and their wires
        canvas = app.query_one("#graph", GraphView).canvas
        b = s.prog.bindings
        assert b["x"] in canvas.path_nodes and s.output in canvas.path_nodes
        assert b["y"] not in canvas.path_nodes
        assert any(a == b["x"] for a, _ in canvas.path_edges)
        await enter(pilot, "z = 1")  # a new statement: the marks no longer apply
        await settle(pilot)
        assert not canvas.path_nodes and not canvas.path_edges


async def test_typed_keys_still_go_to_the_line_with_a_sorted_table():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await enter(pilot, ":sort grad")
        await settle(pilot)
        app.query_one("#table", NodeTable).focus()
        await pilot.press("slash", "x")
        assert app.repl.input.value == "/x" and app.focused is app.repl.input
        app.query_one("#table", NodeTable).focus()
        await pilot.press("ctrl+f")  # find: back to the line; what was typed stays
        assert app.focused is app.repl.input and app.repl.input.value == "/x"
        app.repl.input.value = ""
        app.query_one("#table", NodeTable).focus()
        await pilot.press("ctrl+f", "3", "x", "enter")  # an empty line starts the search
        await settle(pilot)
        assert "4 nodes match '3x'" in app.query_one(LogPane).text


async def test_a_watch_is_logged_after_each_key_step():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await enter(pilot, ":watch x 3x")
        await pilot.press("right", "right")
        log = app.query_one(LogPane).text
        assert log.count("watch: x = 2") == 3  # :watch, then after each of the two steps
        assert "watch: x = 2; 3x = 6" in log
