// ns-3 versions of the hold model and M/M/1 (rho = 0.9), on ns-3's own scheduler, with
// integer-nanosecond time like faultline. The scheduler is chosen on the command line.
// usage: ns3_bench SCHEDULER hold N POPS | ns3_bench SCHEDULER mm1 CUSTOMERS
// (SCHEDULER: ns3::MapScheduler, ns3::HeapScheduler, ns3::CalendarScheduler, ...)
#include <ns3/core-module.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>

using namespace ns3;

static std::mt19937_64 gen(1);
static std::uniform_real_distribution<double> unif(0.0, 1.0);
static double expo(double mean) { return -mean * std::log(1.0 - unif(gen)); }
static Time ns(double seconds) { return NanoSeconds((int64_t)std::llround(seconds * 1e9)); }

static uint64_t events, target;
static void Hold()
{
    Simulator::Schedule(ns(expo(1.0)), &Hold);
    if (++events == target)
        Simulator::Stop();
}

static std::deque<double> fifo;
static uint64_t arrived, done, customers;
static double sum;
static void Depart();
static void Arrive()
{
    double t = Simulator::Now().GetSeconds();
    fifo.push_back(t);
    if (fifo.size() == 1)
        Simulator::Schedule(ns(expo(1.0)), &Depart);
    if (++arrived < customers)
        Simulator::Schedule(ns(expo(1 / 0.9)), &Arrive);
}
static void Depart()
{
    sum += Simulator::Now().GetSeconds() - fifo.front();
    fifo.pop_front();
    done++;
    if (!fifo.empty())
        Simulator::Schedule(ns(expo(1.0)), &Depart);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: ns3_bench SCHEDULER hold N POPS | ns3_bench SCHEDULER mm1 C\n");
        return 2;
    }
    ObjectFactory f;
    f.SetTypeId(argv[1]);
    Simulator::SetScheduler(f);
    auto t0 = std::chrono::steady_clock::now();
    const char *name = argv[1] + (std::strncmp(argv[1], "ns3::", 5) == 0 ? 5 : 0);
    if (!std::strcmp(argv[2], "hold") && argc >= 5) {
        uint64_t n = std::strtoull(argv[3], nullptr, 10), pops = std::strtoull(argv[4], nullptr, 10);
        target = pops;
        for (uint64_t i = 0; i < n; i++)
            Simulator::Schedule(ns(expo(1.0)), &Hold);
        t0 = std::chrono::steady_clock::now();
        Simulator::Run(); // Hold stops the simulator after `pops` events
        double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("RESULT engine=ns-3(%s) model=hold n=%llu rate=%.0f extra=-\n", name,
                    (unsigned long long)n, (double)(events) / t);
    } else {
        customers = std::strtoull(argv[3], nullptr, 10);
        Simulator::Schedule(ns(expo(1 / 0.9)), &Arrive);
        Simulator::Run();
        double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("RESULT engine=ns-3(%s) model=mm1 n=%llu rate=%.0f extra=W=%.3f\n", name,
                    (unsigned long long)customers, customers / t, sum / done);
    }
    Simulator::Destroy();
    return 0;
}
