#!/usr/bin/env python3
"""Reference numbers for the tests that pin PAL's math (issue 13), computed independently of the Java
code: numpy float64 formulas written from their definitions (PyTorch's Adam, the BTL / Cauchy links,
the tanh-form GELU, inverted dropout, Gumbel noise) plus a re-implementation of java.util.Random
where a test seeds one. Run `python3 pal-core/src/test/reference/reference_values.py` and paste its
output into the test classes it names; the constants there were produced this way.
"""
import math
import numpy as np

np.set_printoptions(precision=17)
M48 = (1 << 48) - 1
M64 = (1 << 64) - 1


class JavaRandom:
    """java.util.Random: the 48-bit LCG of its documentation."""

    def __init__(self, seed):
        self.s = (seed ^ 0x5DEECE66D) & M48

    def next(self, bits):
        self.s = (self.s * 0x5DEECE66D + 0xB) & M48
        r = self.s >> (48 - bits)
        return r - (1 << 32) if r >= 1 << 31 else r  # Java's (int) cast

    def next_int(self, bound):
        if bound & -bound == bound:
            return (bound * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % bound
            if bits - val + (bound - 1) < (1 << 31):
                return val

    def next_double(self):
        return ((self.next(26) << 27) + self.next(27)) * 2.0 ** -53


def signed64(x):
    x &= M64
    return x - (1 << 64) if x >= 1 << 63 else x


def mix(seed, a, b):
    """Trainer.mix: a splitmix-style finaliser over seed, a, b (64-bit wrap-around)."""
    h = (seed * 0x9E3779B97F4A7C15 + a * 0xC2B2AE3D27D4EB4F + b * 0x165667B19E3779F9) & M64
    h ^= h >> 31
    h = (h * 0xBF58476D1CE4E5B9) & M64
    return signed64(h ^ (h >> 29))


def jarr(name, xs, fmt="%.17g"):
    return "  static final double[] %s = {%s};" % (name, ", ".join(fmt % x for x in np.ravel(xs)))


def section(title):
    print("\n// ---- %s" % title)


# ------------------------------------------------------------------ Adam (AdamReferenceTest)
def adam():
    section("AdamReferenceTest: PyTorch Adam (L2 decay added to the gradient), 3 steps")
    # flat layout: group g1 = a (2x2) then c (1x1); group g2 = b (1x3)
    p = np.array([0.5, -1.2, 0.3, 2.0, 0.7, -0.4, 0.9, 0.1])
    grads = [np.array([0.1, -0.3, 0.0, 1.5, -2.0, 0.25, -0.05, 0.6]),
             np.array([-0.2, 0.4, 0.3, 1.0, 0.5, -0.75, 0.1, 0.0]),
             np.array([0.05, 0.05, -0.6, -1.0, 1.0, 0.3, 0.2, -0.4])]
    lr = np.array([0.01] * 5 + [0.05] * 3)
    wd = np.array([0.1] * 5 + [0.0] * 3)
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = np.zeros(8)
    v = np.zeros(8)
    print(jarr("P0", p))
    for t, g in enumerate(grads, 1):
        print(jarr("G%d" % t, g))
    for t, g in enumerate(grads, 1):
        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        vhat = v / (1 - b2 ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
        print(jarr("P%d" % t, p))
    print(jarr("M3", m))
    print(jarr("V3", v))


# ------------------------------------------------------------------ links and losses (ReferenceMathTest)
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def links_and_losses():
    section("ReferenceMathTest: links, log h(z) and d/dz log h(z)")
    z = np.array([-800.0, -30.0, -3.0, -0.5, 0.0, 0.7, 4.0, 35.0, 800.0])
    print(jarr("Z", z))
    # log sigmoid(z) = -log(1 + e^-z), written with logaddexp so it is exact in the tails
    print(jarr("LOGISTIC_LOG", -np.logaddexp(0, -z)))
    print(jarr("LOGISTIC_DLOG", np.exp(-np.logaddexp(0, z))))  # sigmoid(-z)
    zc = np.array([-30.0, -3.0, -0.5, 0.0, 0.7, 4.0, 35.0])
    h = 0.5 + np.arctan(zc) / np.pi
    print(jarr("ZC", zc))
    print(jarr("CAUCHIT_P", h))
    print(jarr("CAUCHIT_LOG", np.log(h)))
    print(jarr("CAUCHIT_DLOG", 1 / (np.pi * (1 + zc ** 2)) / h))

    section("ReferenceMathTest: losses over margins z and labels y, value and d loss / d z")
    zm = np.array([0.3, -1.2, 2.5, -0.1, 1.0, -4.0])
    y = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    n = len(zm)
    yz = y * zm
    print(jarr("MARGINS", zm))
    print(jarr("LABELS", y))
    print(jarr("LOGLIK_LOGISTIC", [np.mean(np.logaddexp(0, -yz))]))
    print(jarr("LOGLIK_LOGISTIC_GRAD", -y * sigmoid(-yz) / n))
    hc = 0.5 + np.arctan(yz) / np.pi
    print(jarr("LOGLIK_CAUCHIT", [np.mean(-np.log(hc))]))
    print(jarr("LOGLIK_CAUCHIT_GRAD", -y / (np.pi * (1 + yz ** 2) * hc) / n))
    print(jarr("HINGE", [np.mean(np.maximum(0, 1 - yz))]))
    # the kink at y z = 1 (the fifth pair) takes the right derivative, 0
    print(jarr("HINGE_GRAD", np.where(yz < 1, -y, 0.0) / n))


# ------------------------------------------------------------------ simplex maps
def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def simplex():
    section("ReferenceMathTest: simplex maps of logits (2 x 3)")
    theta = np.array([[0.2, -1.0, 1.5], [3.0, 3.0, -2.0]])
    print(jarr("THETA", theta))
    print(jarr("SOFTMAX_T1", softmax(theta)))
    print(jarr("SOFTMAX_T07", softmax(theta / 0.7)))
    print(jarr("SOFTMAX_T25", softmax(theta / 2.5)))
    # Gumbel-softmax with new Random(17): u = nextDouble(), g = -log(-log u), row-major draws
    r = JavaRandom(17)
    g = np.array([-math.log(-math.log(max(r.next_double(), 1e-20)) + 1e-20) for _ in range(6)]).reshape(2, 3)
    print(jarr("GUMBEL_NOISE_SEED17", g))
    print(jarr("GUMBEL_T07_SEED17", softmax((theta + g) / 0.7)))
    # partition at evaluation: one-hot argmax, the first maximum on ties
    print(jarr("PARTITION_EVAL", [[0, 0, 1], [1, 0, 0]]))


# ------------------------------------------------------------------ tape element-wise maps
def tape_ops():
    section("TapeReferenceTest: element-wise and row ops")
    x = np.array([[-3.0, -1.0, -0.2, 0.0], [0.5, 1.0, 2.5, 6.0]])
    print(jarr("X", x))
    c, a = math.sqrt(2 / math.pi), 0.044715
    th = np.tanh(c * (x + a * x ** 3))
    print(jarr("GELU", 0.5 * x * (1 + th)))
    print(jarr("GELU_D", 0.5 * (1 + th) + 0.5 * x * (1 - th ** 2) * c * (1 + 3 * a * x ** 2)))
    print(jarr("RELU", np.maximum(x, 0)))
    print(jarr("SOFTMAX_ROWS_T07", softmax(x / 0.7)))
    print(jarr("L2_ROWS", x / np.linalg.norm(x, axis=1, keepdims=True)))
    t = np.array([-9.0, -7.0, -2.0, -0.3, 0.0, 0.01, 1.2, 4.0, 7.5, 12.0])
    print(jarr("TANH_X", t))
    print(jarr("TANH", np.tanh(t)))


# ------------------------------------------------------------------ seeds (DeterminismTest)
def seeds():
    section("DeterminismTest: Trainer.mix and the (seed, epoch) shuffle")
    cases = [(0, 0, 0), (4, 0, 1), (4, 0, 2), (4, 3, 1), (-7, 11, 7), (123456789, 2, 1)]
    print("  static final long[][] MIX_ARGS = {%s};" % ", ".join("{%dL, %dL, %dL}" % c for c in cases))
    print("  static final long[] MIX = {%s};" % ", ".join("%dL" % mix(*c) for c in cases))
    for seed, epoch in [(4, 0), (4, 1)]:
        a = list(range(10))
        r = JavaRandom(mix(seed, epoch, 1))
        for i in range(len(a) - 1, 0, -1):
            j = r.next_int(i + 1)
            a[i], a[j] = a[j], a[i]
        print("  static final int[] SHUFFLE_SEED%d_EPOCH%d = {%s};" % (seed, epoch, ", ".join(map(str, a))))


if __name__ == "__main__":
    adam()
    links_and_losses()
    simplex()
    tape_ops()
    seeds()
