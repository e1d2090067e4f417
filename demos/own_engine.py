"""A learner's own micrograd-style engine, and backprop-tui finding its bug.

The engine below is written the way the lecture writes it (Value with data, grad, _prev,
_op, label and a _backward closure per operation), with one mistake a learner makes: tanh's
local derivative written as 1 - t instead of 1 - t². The neuron's gradients then come out
wrong everywhere below the tanh, and the checker names the tanh node alone, with the number
it gave and the number the op table expects.

    python demos/own_engine.py                          # prints the report
    backprop-tui check-engine demos/own_engine.py:o     # the same, from the command line
"""

import math
import os

import backprop_tui


class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t) * out.grad  # the bug: the derivative of tanh is 1 - t**2
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


# The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b).
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1
x1w1.label = "x1w1"
x2w2 = x2 * w2
x2w2.label = "x2w2"
s = x1w1 + x2w2
s.label = "x1w1+x2w2"
n = s + b
n.label = "n"
o = n.tanh()
o.label = "o"

if __name__ == "__main__" and not os.environ.get("BACKPROP_TUI_CHECK_ENGINE"):
    report = backprop_tui.check_engine(o)
    print(report)
    # What the report must say: the tanh node's own rule is the bug, and only it.
    assert not report.ok and report.first is not None
    assert (report.first.node, report.first.op, report.first.problem) == ("o", "tanh", "local")
    assert abs(report.first.expected - 0.5) < 1e-12  # 1 - tanh(n)² = 1 - 0.5
    assert [r.node for r in report.rows if r.rule == "wrong"] == ["o"]
