"""Stepping: :step :back :forward :backward :continue :reset :goto (breakpoints: breaks.py)."""

from __future__ import annotations

from ..events import Event, Phase
from ..labels import f_is, kind_name, label
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import clip

_VERBOSE_LIMIT = 200  # more steps than this are reported as one line


def count_arg(args: list[str], default: int = 1) -> int:
    """The N of ':step N': a whole number of at least 1."""
    if not args:
        return default
    try:
        n = int(args[0])
    except ValueError:
        raise CommandError(f"expected a number of steps, got '{clip(args[0])}'") from None
    if n < 1:
        raise CommandError("the number of steps must be at least 1")
    return n


@command("step", ":step [N]", "Take N steps (default 1): forward through the nodes, then on "
         "into the backward pass.", aliases=("s", "n", "next"), args=(Arg("count"),), cost="steps")
def _cmd_step(s: Session, args: list[str]) -> list[Event]:
    n = count_arg(args)
    return s.step(n, verbose=n <= _VERBOSE_LIMIT)


@command("back", ":back [N]", "Step back N steps (default 1), restoring exactly the state before "
         "them. Each step back costs O(1).", aliases=("rs", "b"), args=(Arg("count"),),
         cost="steps")
def _cmd_back(s: Session, args: list[str]) -> list[Event]:
    return s.back(count_arg(args))


@command("forward", ":forward", "Run the forward pass (in forward mode: this tangent pass) to its "
         "end.", aliases=("fwd",))
def _cmd_forward(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    return s.run_to(s.pass_end())


@command("backward", ":backward", "Run the backward pass to its end (the forward pass first if "
         "needed).", aliases=("bwd",))
def _cmd_backward(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if s.mode == "forward":
        raise CommandError("forward mode has no backward pass: :forward finishes this tangent "
                           "pass, :continue runs them all, :mode reverse returns to backprop")
    return s.run_to(s.steps_total)


@command("continue", ":continue", "Run until a breakpoint or the end.", aliases=("c", "cont"))
def _cmd_continue(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    return s.step(s.steps_total, verbose=False, stop_at_breaks=True)


@command("reset", ":reset", "Return to the start: no values computed, no gradients.")
def _cmd_reset(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    s.reset()
    return [Phase("forward", "reset", f"reset: {s.progress_text()}")]


@command("goto", ":goto NODE", "Run forward or back to the step at NODE (its forward step while "
         "in the forward pass, else its backward step).", aliases=("g",), args=(Arg("node"),))
def _cmd_goto(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if not args:
        raise CommandError("usage: :goto NODE")
    i = s.resolve(" ".join(args))
    fk = s.forward_step_of(i)
    bk = s.backward_step_of(i)
    if bk < 0:
        raise CommandError(no_step(s, i))
    if s.mode == "forward":
        if fk < 0:
            raise CommandError(f"{label(s.prog.graph, i)} is a leaf: forward mode takes no step "
                               "there (an input's tangent is its seed, 1 or 0)")
        target = s.tangent_pass()[0] * len(s.fwd) + fk + 1
        events = s.run_to(target)
        if s.pos == target and (step := s.current_step()) is not None:
            events.append(step)
        return events
    in_forward = s.pos <= len(s.fwd) and s.pos < s.steps_total
    target = fk + 1 if fk >= 0 and (in_forward or bk < 0) else len(s.fwd) + bk + 1
    events = s.run_to(target)
    if s.pos == target and target > 0:
        step = s.current_step()
        if step is not None:
            events.append(step)
    return events


def no_step(s: Session, i: int) -> str:
    """Why node i has no step: outside f's graph, or a constant (no gradient, no step)."""
    g = s.prog.graph
    if not s.in_cone(i):
        return f"{label(g, i)} is not part of {f_is(label(g, s.require_program()))}"
    kind = "constant" if kind_name(g, i) == "const" else kind_name(g, i)
    return (f"{label(g, i)} is a {kind}: it holds its value from the start and takes "
            "no gradient, so it has no step")
