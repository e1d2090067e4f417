"""Generate the program part of demos/big.bp: a 3-4-1 tanh MLP's mean squared error over 8
points, written out line by line (stdout), and the loss and a few gradients from an
independent hand-written backprop in plain Python (stderr): the values big.bp's :expect
lines assert. The narrated stepping part of big.bp was written by hand after the program.

    python demos/make_big.py > /tmp/program.bp
"""
import math
import random
import sys
rng = random.Random(7)
NI, NH, NS = 3, 4, 8
W = [[round(rng.uniform(-1, 1), 3) for _ in range(NI)] for _ in range(NH)]
B = [round(rng.uniform(-0.5, 0.5), 3) for _ in range(NH)]
V = [round(rng.uniform(-1, 1), 3) for _ in range(NH)]
C = round(rng.uniform(-0.5, 0.5), 3)
X = [[round(rng.uniform(-2, 2), 2) for _ in range(NI)] for _ in range(NS)]
T = [1.0 if sum(x) > 0 else -1.0 for x in X]

# independent forward + manual backprop (plain floats)
loss = 0.0
gW = [[0.0]*NI for _ in range(NH)]; gB=[0.0]*NH; gV=[0.0]*NH; gC=0.0
outs=[]
for x, t in zip(X, T):
    h = [math.tanh(sum(W[j][i]*x[i] for i in range(NI)) + B[j]) for j in range(NH)]
    o = math.tanh(sum(V[j]*h[j] for j in range(NH)) + C)
    outs.append(o)
    loss += (o - t)**2 / NS
    do = 2*(o - t)/NS
    dz = do*(1 - o*o)
    gC += dz
    for j in range(NH):
        gV[j] += dz*h[j]
        dh = dz*V[j]*(1 - h[j]**2)
        gB[j] += dh
        for i in range(NI):
            gW[j][i] += dh*x[i]

def num(v):
    return f"({v})" if v < 0 else f"{v}"

L = []
L.append("# A 3-4-1 tanh network's mean squared error over 8 points, written out node by node")
L.append("# (generated; a few hundred nodes). Stepping it costs the same per step as the seed.")
L.append(":say A bigger graph: a small neural network, 3 inputs → 4 tanh units → 1 tanh output, and its mean squared error over 8 training points, written out in full.")
L.append(":say The 21 weights and biases are the inputs of f; the data points are literals.")
for j in range(NH):
    for i in range(NI):
        L.append(f"w{j+1}{i+1} = {W[j][i]}")
    L.append(f"b{j+1} = {B[j]}")
for j in range(NH):
    L.append(f"v{j+1} = {V[j]}")
L.append(f"c = {C}")
for s, (x, t) in enumerate(zip(X, T), 1):
    for j in range(NH):
        terms = " + ".join(f"w{j+1}{i+1}*{num(x[i])}" for i in range(NI))
        L.append(f"h{j+1}_{s} = tanh({terms} + b{j+1})")
    terms = " + ".join(f"v{j+1}*h{j+1}_{s}" for j in range(NH))
    L.append(f"o{s} = tanh({terms} + c)")
    L.append(f"e{s} = (o{s} - {num(t)})^2")
L.append("loss = (" + " + ".join(f"e{s}" for s in range(1, NS+1)) + f") / {NS}")
print("\n".join(L))
print("loss", repr(loss), "o1", repr(outs[0]), file=sys.stderr)
print("w11", repr(gW[0][0]), "w23", repr(gW[1][2]), "b3", repr(gB[2]), "v1", repr(gV[0]),
      "c", repr(gC), file=sys.stderr)
