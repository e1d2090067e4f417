"""Forward mode and second order: :mode :trace :hessian :hvp."""

from __future__ import annotations

import re

from .. import hessian
from ..events import Event, Info
from ..forward_steps import passes
from ..graph import EvalError
from ..labels import label
from ..registry import Arg, CommandError, command, key_values
from ..reports import HVP, Hessian
from ..session import Session
from ..textutil import clip
from ..trace import trace
from .check import hessian_size
from .inputs import Refusals, input_of_f, names_of_inputs
from .inspect import number_arg

MAX_TRACE_OPS = 2_000  # rows of :trace; beyond this the table is no use on a screen


SEED = Refusals(constant="its tangent is 0 and it is never perturbed",
                literal="its tangent is 0", other="forward mode seeds an input's tangent (ẋ = 1)",
                unused="∂f/∂ of it is 0 and needs no pass")


def seed_input(s: Session, ref: str) -> int:
    """An input of f to seed forward mode with, or a CommandError that says why not."""
    return input_of_f(s, s.resolve(ref), SEED)


@command("mode", ":mode [reverse | forward [INPUT…]]", "Choose how stepping differentiates f. "
         "reverse (the default): backprop, one forward and one backward pass give every partial. "
         "forward INPUT: forward-mode AD, each step computing a node's value and its tangent "
         "∂node/∂INPUT, so the pass ends with ∂f/∂INPUT; forward alone: one tangent pass per "
         "input. Stepping restarts.",
         args=(Arg("word", choices=("reverse", "forward")), Arg("input")))
def _cmd_mode(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    n_in = len(s.inputs_of_f())
    if not args:
        now = s.progress_text() if s.mode == "forward" else f"reverse mode (backprop): {s.progress_text()}"
        return [Info(f"{now}; {s.passes_text()}")]
    word, rest = args[0], args[1:]
    if word == "reverse":
        if rest:
            raise CommandError("usage: :mode reverse (backprop differentiates by every input at once)")
        s.set_mode("reverse")
        return [Info(f"reverse mode (backprop): {len(s.fwd)} forward steps, then {len(s.bwd)} "
                     f"backward steps, give all {n_in} partials of f")]
    if word != "forward":
        raise CommandError(f"unknown mode '{clip(word)}': expected forward or reverse")
    if n_in == 0:
        raise CommandError(f"f = {label(s.prog.graph, s.require_program())} has no inputs: "
                           "forward mode has nothing to seed")
    seeds = list(dict.fromkeys(seed_input(s, ref) for ref in rest)) if rest else None
    s.set_mode("forward", seeds)
    f, k = len(s.fwd), len(s.seeds)
    names = ", ".join(label(s.prog.graph, i) for i in s.seeds)
    if k == 1:
        x = names
        head = (f"forward mode: each step computes a node's value and its tangent ∂node/∂{x} "
                f"(ẋ = 1, every other input 0); {f} steps give ∂f/∂{x}")
    else:
        head = f"forward mode: {passes(k)} of {f} steps, one per input ({names}): {k * f} steps"
    return [Info(f"{head}. All {n_in} partials take {passes(n_in)} ({n_in * f} steps); reverse "
                 f"mode takes 1 forward + 1 backward pass ({len(s.fwd) + len(s.bwd)} steps)")]


@command("trace", ":trace [reverse | forward [INPUT] | INPUT]", "Baydin et al.'s evaluation trace "
         "(2018, Tables 2–3): the forward primal trace (inputs v₋₁, v₀…, operations v₁…, each "
         "with its formula and value) beside the forward tangent trace for one input, or the "
         "reverse adjoint trace (the v̄ accumulations in reverse order). Without an argument: "
         "the current forward-mode seed's tangent trace, else the adjoint trace.",
         args=(Arg("input", choices=("reverse", "forward")), Arg("input")))
def _cmd_trace(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    if len(s.fwd) > MAX_TRACE_OPS:
        raise CommandError(f"f has {len(s.fwd):,} operations; :trace prints at most "
                           f"{MAX_TRACE_OPS:,} rows (:step and :show inspect a big graph)")
    if not s.inputs_of_f():
        raise CommandError(f"f = {label(s.prog.graph, out)} has no inputs: there is nothing to trace")
    seed: int | None
    if not args:
        seed = s.seed() if s.mode == "forward" else None
    elif args[0] == "reverse":
        if len(args) > 1:
            raise CommandError("usage: :trace reverse (the adjoint trace covers every input)")
        seed = None
    elif args[0] == "forward":
        if len(args) > 2:
            raise CommandError("usage: :trace forward [INPUT] (one tangent trace per input)")
        current = s.seed() if s.mode == "forward" else None
        seed = (seed_input(s, args[1]) if len(args) > 1 else
                current if current is not None else s.inputs_of_f()[0][1])
    else:
        seed = seed_input(s, " ".join(args))
    try:
        return [trace(s.prog.graph, out, seed)]
    except EvalError as err:
        return [s.eval_error(err)]


@command("hessian", ":hessian", "The Hessian ∂²f/∂xᵢ∂xⱼ over f's inputs by forward-over-reverse: "
         "a tangent carried through the backward pass, one Hessian-vector product per input. "
         f"At most {hessian.MAX_HESSIAN_INPUTS} inputs; :hvp scales to any number.", cost="slow")
def _cmd_hessian(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    if args:
        raise CommandError("usage: :hessian (over every input of f; :hvp for a product)")
    inputs = s.inputs_of_f()
    hessian_size(s, [i for _, i in inputs])
    g = s.prog.graph
    try:
        matrix, kinks = hessian.hessian(g, out, [i for _, i in inputs], s.check_cancelled)
    except EvalError as err:
        return [s.eval_error(err)]
    except hessian.Cancelled as exc:
        return [Info(f":hessian {exc}")]
    return [Hessian(label(g, out), [name for name, _ in inputs], matrix, hessian.asymmetry(matrix),
                    len(inputs), [label(g, i) for i in kinks])]


def _vector(s: Session, args: list[str], inputs: list[tuple[str, int]]) -> list[float]:
    """:hvp's v: one number per input in order, or NAME=NUMBER pairs (others 0)."""
    text = " ".join(args).replace(",", " ")
    n = len(inputs)
    usage = (f"f has {n} input{'s' * (n != 1)} ({names_of_inputs(s)}): give {n} number{'s' * (n != 1)} "
             "in that order, or NAME=NUMBER for some of them (the others are 0)")
    if not text.strip():
        raise CommandError(f"usage: :hvp V1 V2 … | :hvp NAME=V …; {usage}")
    if "=" not in text:
        words = text.split()
        if len(words) != n:
            raise CommandError(f"got {len(words)} number{'s' * (len(words) != 1)}; {usage}")
        return [number_arg(w) for w in words]
    words = re.sub(r"\s*=\s*", "=", text.strip()).split()
    pairs = key_values(words, None, f"expected NAME=NUMBER pairs; {usage}")
    index = {name: k for k, (name, _) in enumerate(inputs)}
    vec = [0.0] * n
    for name, num in pairs.items():
        if name not in index:
            raise CommandError(f"no input named '{clip(name)}' in f; {usage}")
        vec[index[name]] = number_arg(num)
    return vec


@command("hvp", ":hvp V1 V2 … | :hvp NAME=V …", "One Hessian-vector product H·v by "
         "forward-over-reverse: about a dual pass and two backward passes of work, whatever the "
         "number of inputs. Give one number per input of f, in order, or NAME=NUMBER (inputs not "
         "named are 0).", args=(Arg("text"),), cost="slow")
def _cmd_hvp(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    inputs = s.inputs_of_f()
    if not inputs:
        raise CommandError("f has no inputs: there is no Hessian-vector product to compute")
    vec = _vector(s, args, inputs)
    g = s.prog.graph
    try:
        p = hessian.hvp(g, out, {i: x for (_, i), x in zip(inputs, vec, strict=True) if x})
    except EvalError as err:
        return [s.eval_error(err)]
    return [HVP(label(g, out), [name for name, _ in inputs], vec, [p.hvp[i] for _, i in inputs],
                [p.grad[i] for _, i in inputs], [label(g, i) for i in p.kinks])]
