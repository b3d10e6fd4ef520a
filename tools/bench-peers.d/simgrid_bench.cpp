// SimGrid (S4U) versions of the hold model and M/M/1 (rho = 0.9).
// Mapping: pending events are SimGrid kernel timers (simgrid::kernel::timer::Timer, a
// public header), the lightest event SimGrid offers; one actor sleeps until the end so
// the engine keeps running while timers fire. M/M/1 uses the same timers for arrivals
// and departures.
// usage: simgrid_bench hold N POPS | simgrid_bench mm1 CUSTOMERS
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>
#include <simgrid/version.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <random>

namespace sg4 = simgrid::s4u;
using simgrid::kernel::timer::Timer;

static std::mt19937_64 gen(1);
static std::uniform_real_distribution<double> unif(0.0, 1.0);
static double expo(double mean) { return -mean * std::log(1.0 - unif(gen)); }

static uint64_t events, target;
static double end_time = 1e300;
static void hold()
{
    if (++events >= target) {
        if (end_time > 1e299)
            end_time = sg4::Engine::get_clock();
        return;
    }
    Timer::set(sg4::Engine::get_clock() + expo(1.0), hold);
}

static std::deque<double> fifo;
static uint64_t arrived, done, customers;
static double sum;
static void depart();
static void arrive()
{
    double now = sg4::Engine::get_clock();
    fifo.push_back(now);
    if (fifo.size() == 1)
        Timer::set(now + expo(1.0), depart);
    if (++arrived < customers)
        Timer::set(now + expo(1 / 0.9), arrive);
}
static void depart()
{
    double now = sg4::Engine::get_clock();
    sum += now - fifo.front();
    fifo.pop_front();
    if (++done == customers)
        end_time = now;
    if (!fifo.empty())
        Timer::set(now + expo(1.0), depart);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: simgrid_bench hold N POPS | simgrid_bench mm1 CUSTOMERS\n");
        return 2;
    }
    int sargc = 2;
    const char *sargv[] = {argv[0], "--log=root.thres:critical", nullptr};
    sg4::Engine e(&sargc, const_cast<char **>(sargv));
    auto *zone = sg4::create_full_zone("zone");
    sg4::Host *host = zone->create_host("host", 1e9);
    zone->seal();
    bool is_hold = !std::strcmp(argv[1], "hold") && argc >= 4;
    uint64_t n = std::strtoull(argv[2], nullptr, 10);
    if (is_hold) {
        target = std::strtoull(argv[3], nullptr, 10);
        for (uint64_t i = 0; i < n; i++)
            Timer::set(expo(1.0), hold);
    } else {
        customers = n;
        Timer::set(expo(1 / 0.9), arrive);
    }
    // The keeper: sleeps in steps until the model is done, so the engine stays alive.
    sg4::Actor::create("keeper", host, [] {
        while (end_time > 1e299)
            sg4::this_actor::sleep_for(1e3);
    });
    auto t0 = std::chrono::steady_clock::now();
    e.run();
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (is_hold)
        std::printf("RESULT engine=simgrid-%d.%d model=hold n=%llu rate=%.0f extra=-\n",
                    SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR, (unsigned long long)n, events / t);
    else
        std::printf("RESULT engine=simgrid-%d.%d model=mm1 n=%llu rate=%.0f extra=W=%.3f\n",
                    SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR, (unsigned long long)n,
                    customers / t, sum / done);
    return 0;
}
