"""Small micrograd-style engines written the way learners write them (the lecture's Value
with label, tanh and exp), each with an optional deliberate bug, for the engine checker's
tests. `engine()` returns a fresh Value class; `bug` picks what is wrong in it."""

from __future__ import annotations

import math


def engine(bug: str = "", recursive_backward: bool = True) -> type:
    """bug: '' (correct), 'mul' (∂(a·b)/∂a uses a instead of b), 'mul=' (= for += in *),
    'tanh' (1 - t for 1 - t²), 'add-raises', 'no-upstream' (tanh forgets out.grad),
    'tanh-forward' (a wrong forward value)."""

    class Value:
        def __init__(self, data, _children=(), _op="", label=""):
            self.data = data
            self.grad = 0.0
            self._backward = lambda: None
            self._prev = set(_children)
            self._op = _op
            self.label = label

        def __repr__(self):
            return f"Value(data={self.data}, label={self.label!r})"

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data + other.data, (self, other), "+")

            def _backward():
                if bug == "add-raises":
                    raise ZeroDivisionError("a learner's typo")
                self.grad += 1.0 * out.grad
                other.grad += 1.0 * out.grad
            out._backward = _backward
            return out

        def __radd__(self, other):
            return self + other

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other), "*")

            def _backward():
                if bug == "mul":
                    self.grad += self.data * out.grad  # the learner's mistake: own data
                    other.grad += other.data * out.grad
                elif bug == "mul=":
                    self.grad = other.data * out.grad  # = where += belongs
                    other.grad = self.data * out.grad
                else:
                    self.grad += other.data * out.grad
                    other.grad += self.data * out.grad
            out._backward = _backward
            return out

        def __rmul__(self, other):
            return self * other

        def __pow__(self, k):
            out = Value(self.data ** k, (self,), f"**{k}")

            def _backward():
                self.grad += k * self.data ** (k - 1) * out.grad
            out._backward = _backward
            return out

        def __neg__(self):
            return self * -1

        def __sub__(self, other):
            return self + (-other)

        def __rsub__(self, other):
            return other + (-self)

        def __truediv__(self, other):
            return self * other ** -1

        def tanh(self):
            x = self.data
            t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
            if bug == "tanh-forward":
                t = x / (1 + abs(x))
            out = Value(t, (self,), "tanh")

            def _backward():
                if bug == "tanh":
                    self.grad += (1 - t) * out.grad
                elif bug == "no-upstream":
                    self.grad += 1 - t ** 2
                else:
                    self.grad += (1 - t ** 2) * out.grad
            out._backward = _backward
            return out

        def exp(self):
            out = Value(math.exp(self.data), (self,), "exp")

            def _backward():
                self.grad += out.data * out.grad
            out._backward = _backward
            return out

        def relu(self):
            out = Value(0 if self.data < 0 else self.data, (self,), "ReLU")

            def _backward():
                self.grad += (out.data > 0) * out.grad
            out._backward = _backward
            return out

        def backward(self):
            topo, visited = [], set()
            if recursive_backward:
                def build(v):
                    if v not in visited:
                        visited.add(v)
                        for child in v._prev:
                            build(child)
                        topo.append(v)
                build(self)
            else:
                stack = [(self, False)]
                while stack:
                    v, done = stack.pop()
                    if done:
                        topo.append(v)
                    elif v not in visited:
                        visited.add(v)
                        stack.append((v, True))
                        stack.extend((c, False) for c in v._prev)
            self.grad = 1.0
            for v in reversed(topo):
                v._backward()

    return Value


def neuron(Value: type):
    """The lecture's neuron: o = tanh(x1·w1 + x2·w2 + b) at the lecture's numbers."""
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
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)
