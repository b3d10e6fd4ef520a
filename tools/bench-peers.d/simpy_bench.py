"""SimPy versions of the hold model and M/M/1 (rho = 0.9).

Runs on SimPy 2 (Debian bookworm's python3-simpy: SimPy.Simulation) or SimPy 3+ (simpy).
usage: simpy_bench.py hold N POPS | simpy_bench.py mm1 CUSTOMERS
Prints one line: RESULT engine=... model=... n=... rate=... extra=...
"""
import random
import sys
import time

random.seed(1)
expo = random.expovariate

try:
    import simpy  # SimPy 3 or later
    API = 3
    VERSION = getattr(simpy, "__version__", "3")
except ImportError:
    import SimPy
    import SimPy.Simulation as S2
    API = 2
    VERSION = getattr(SimPy, "__version__", "2")

ENGINE = "simpy-" + str(VERSION)


def hold3(n, pops):
    env = simpy.Environment()
    count = [0]

    def proc():
        while True:
            yield env.timeout(expo(1.0))
            count[0] += 1

    for _ in range(n):
        env.process(proc())
    env.run(until=0.0)  # start every process
    t0 = time.perf_counter()
    while count[0] < pops:
        env.step()
    return count[0] / (time.perf_counter() - t0)


def hold2(n, pops):
    count = [0]

    class P(S2.Process):
        def run(self):
            while True:
                yield S2.hold, self, expo(1.0)
                count[0] += 1

    S2.initialize()
    for _ in range(n):
        p = P()
        S2.activate(p, p.run())
    # Simulated time advances by about n events per unit of time (each process holds
    # Exp(1)), so `until` = pops / n runs about `pops` events.
    t0 = time.perf_counter()
    S2.simulate(until=pops / n)
    return count[0] / (time.perf_counter() - t0)


def mm1_3(customers):
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    total = [0.0, 0]

    def customer():
        t = env.now
        with server.request() as req:
            yield req
            yield env.timeout(expo(1.0))
        total[0] += env.now - t
        total[1] += 1

    def source():
        for _ in range(customers):
            yield env.timeout(expo(0.9))
            env.process(customer())

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return customers / (time.perf_counter() - t0), total[0] / total[1]


def mm1_2(customers):
    total = [0.0, 0]
    S2.initialize()
    server = S2.Resource(capacity=1)

    class Customer(S2.Process):
        def run(self):
            t = S2.now()
            yield S2.request, self, server
            yield S2.hold, self, expo(1.0)
            yield S2.release, self, server
            total[0] += S2.now() - t
            total[1] += 1

    class Source(S2.Process):
        def run(self):
            for _ in range(customers):
                yield S2.hold, self, expo(0.9)
                c = Customer()
                S2.activate(c, c.run())

    src = Source()
    S2.activate(src, src.run())
    t0 = time.perf_counter()
    S2.simulate(until=1e12)
    return customers / (time.perf_counter() - t0), total[0] / total[1]


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "hold":
        n, pops = int(sys.argv[2]), int(sys.argv[3])
        rate = (hold3 if API == 3 else hold2)(n, pops)
        print(f"RESULT engine={ENGINE} model=hold n={n} rate={rate:.0f} extra=-")
    elif len(sys.argv) >= 3 and sys.argv[1] == "mm1":
        c = int(sys.argv[2])
        rate, w = (mm1_3 if API == 3 else mm1_2)(c)
        print(f"RESULT engine={ENGINE} model=mm1 n={c} rate={rate:.0f} extra=W={w:.3f}")
    else:
        sys.exit(__doc__)


main()
