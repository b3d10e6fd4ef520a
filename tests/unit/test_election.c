/* The election kind: naive failover under a partition gives two primaries for the
 * partition minus the failure timeout (to the heartbeat tick), and the heal discards exactly
 * the old primary's unreplicated acknowledged writes; a majority quorum never has two members
 * accepting writes and loses nothing acknowledged; min_replicas_to_write stops the isolated
 * primary once its replicas' acks are older than the max lag.
 *
 * Every scenario here has zero network latency, heartbeats every 1 s from t = 0, a failure
 * timeout of 3 s and evenly spaced writes every 100 ms from each zone's client, so the
 * figures are exact. Events at one instant run in scheduling order: a fault (scheduled before
 * the run) before a tick or an arrival at the same time; a tick (scheduled a second earlier)
 * before an arrival at the same time (scheduled 100 ms earlier)... and a message sent during
 * a tick after both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig
#define M1 "\"m1\":\t{"
#define M2 "\"m2\":\t{"
#define M3 "\"m3\":\t{"

/* Two members, m1 in zone a (primary) and m2 in zone b; a client in each zone writes 10
 * times a second; a partition a | b from 10.5 s to 30.5 s. */
static const char *const two =
    "{\"faultline\": 1, \"name\": \"e\", \"duration\": \"40s\", \"window\": \"1s\",\n"
    " \"zones\": [\"a\", \"b\"],\n"
    " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\", \"zones\": [\"a\", \"b\"],\n"
    "   \"heartbeat_interval\": \"1s\", \"failure_timeout\": \"3s\", \"failover\": \"naive\"}],\n"
    " \"workloads\": [\n"
    "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"10/s\",\n"
    "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(1000000)\",\n"
    "   \"client\": {\"timeout\": \"1s\"}},\n"
    "  {\"name\": \"cb\", \"target\": \"g\", \"zone\": \"b\", \"rate\": \"10/s\",\n"
    "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(1000000)\",\n"
    "   \"client\": {\"timeout\": \"1s\"}}],\n"
    " \"faults\": [{\"at\": \"10.5s\", \"for\": \"20s\", \"partition\": [[\"a\"], [\"b\"]]}]}\n";

/* m2's last heartbeat is the one sent at 10 s; it suspects m1 at the tick where 3 s have
 * passed, 13 s, and promotes itself (term 2). m1 hears m2's heartbeat at the first tick
 * after the heal, 31 s, and steps down: two primaries from 13 s to 31 s, 18 s (the
 * partition's 20 s minus the 3 s timeout, plus the half second on each side to the
 * heartbeat grid). Meanwhile m1 took every write of zone a from 10.5 s to 31.0 s (the write
 * at 31.0 s arrives before m2's heartbeat, sent during the 31 s tick): 206 writes, none
 * replicated, all acknowledged, all discarded at the reconciliation. */
START_TEST(naive_two_primaries)
{
    char *s = fl_test_summary(two, NULL, 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 18);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"count\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 206);
    ck_assert_double_eq(fig(s, M1, "\"discarded_writes\":\t"), 206);
    ck_assert_double_eq(fig(s, M2, "\"discarded_writes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"writes_discarded\":\t"), 206);
    ck_assert_double_eq(fig(s, "\"g\"", "\"reconciliations\":\t"), 1);
    /* zone b's clients cannot write from the cut (10.5 s) to m2's promotion (13 s) */
    ck_assert_double_eq(fig(s, "\"unavailable_s_by_zone\"", "\"b\":\t"), 2.5);
    ck_assert_double_eq(fig(s, "\"unavailable_s_by_zone\"", "\"a\":\t"), 0);
    /* at the heal m1 holds its 200 writes of 10.5-30.4 s, m2 its 174 of 13.1-30.4 s (zone
     * b's writes of 10.5-13.0 s went towards m1, over the cut, before m2's announcement) */
    ck_assert_double_eq(fig(s, "\"divergence\"", "\"count\":\t"), 374);
    /* Acknowledged writes by the client's zone: all 400 of zone a (m1 until 31.0 s, m2
     * after), 400 - 26 of zone b (its writes of 10.5..13.0 s went over the cut). By the
     * acknowledging member's zone: m1 took zone a's 311 writes of 0..31.0 s and zone b's
     * 105 of 0..10.4 s (416); m2 zone b's 269 of 13.1..39.9 s and zone a's 89 of
     * 31.1..39.9 s (358). */
    ck_assert_double_eq(fig(s, "\"writes_acked_by_zone\"", "\"a\":\t"), 400);
    ck_assert_double_eq(fig(s, "\"writes_acked_by_zone\"", "\"b\":\t"), 374);
    ck_assert_double_eq(fig(s, "\"writes_acked_by_member_zone\"", "\"a\":\t"), 416);
    ck_assert_double_eq(fig(s, "\"writes_acked_by_member_zone\"", "\"b\":\t"), 358);
    free(s);

    /* No failover: nobody is promoted, nothing is lost, zone b is cut off for the whole
     * partition. */
    const char *none[] = {"nodes.g.failover=none"};
    s = fl_test_summary(two, none, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"unavailable_s_by_zone\"", "\"b\":\t"), 20);
    free(s);
}
END_TEST

/* With min_replicas_to_write 1 and a 10 s max lag, m1 last hears m2's ack at 10 s (the
 * heartbeat of the 10 s tick, the partition starting at 10.5 s): at the 20 s tick the ack
 * is 10 s old (still good), at 21 s 11 s old, so m1 refuses writes from 21 s. It accepted
 * zone a's writes of 10.5..20.9 s: 105, all lost at the heal. m2, promoted at 13 s, has no
 * replica acking and never accepts a write during the cut: no split brain, and yet 105
 * acknowledged writes lost. Zone a's clients are refused from 21 s until m1 steps down at
 * the 31 s tick (after the heal at 30.5 s): 10 s, 101 writes (21.0..31.0 s). */
START_TEST(min_replicas_stops_isolated_primary)
{
    const char *sets[] = {"nodes.g.min_replicas_to_write=1", "nodes.g.min_replicas_max_lag=10s"};
    char *s = fl_test_summary(two, sets, 2);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 105);
    ck_assert_double_eq(fig(s, M1, "\"discarded_writes\":\t"), 105);
    ck_assert_double_eq(fig(s, M1, "\"writes_refused\":\t"), 101);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"unavailable_s_by_zone\"", "\"a\":\t"), 10);
    free(s);
}
END_TEST

/* Three members (m1 in a, m2 and m3 in b), reads and writes on 20 keys from both zones.
 * Under "quorum" m1's lease runs out 3 s after the last message its majority acked (the last
 * write replicated before the cut at 10.5 s, or the 10 s heartbeat): it stops between 13 s
 * and 13.5 s; m2 times out on that same message and is elected at the next tick, so the
 * accepting intervals never overlap; no acknowledged write is lost and no read
 * is stale. The same run with naive failover does show both (the checks are not vacuous). */
START_TEST(quorum_never_two_leaders)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"40s\", \"zones\": [\"a\", \"b\"],\n"
        " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\",\n"
        "   \"members\": [{\"name\": \"m1\", \"zone\": \"a\"}, {\"name\": \"m2\", \"zone\": \"b\"},\n"
        "                 {\"name\": \"m3\", \"zone\": \"b\"}],\n"
        "   \"heartbeat_interval\": \"1s\", \"failure_timeout\": \"3s\", \"failover\": \"quorum\"}],\n"
        " \"workloads\": [\n"
        "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"50/s\",\n"
        "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(20)\", \"sessions\": 5,\n"
        "   \"client\": {\"timeout\": \"1s\"}},\n"
        "  {\"name\": \"cb\", \"target\": \"g\", \"zone\": \"b\", \"rate\": \"50/s\",\n"
        "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(20)\", \"sessions\": 5,\n"
        "   \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"10.5s\", \"for\": \"20s\", \"partition\": [[\"a\"], [\"b\"]]}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_gt(fig(s, "\"lost_writes\"", "\"of\":\t"), 500);
    ck_assert_double_eq(fig(s, "\"stale_reads\"", "\"count\":\t"), 0);
    ck_assert_double_gt(fig(s, "\"stale_reads\"", "\"of\":\t"), 500);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 1);
    ck_assert_double_ge(fig(s, M1, "\"accepting_s\":\t"), 13);
    ck_assert_double_lt(fig(s, M1, "\"accepting_s\":\t"), 13.5);
    ck_assert_double_gt(fig(s, "\"writes_acked_by_zone\"", "\"a\":\t"), 100);
    ck_assert_double_gt(fig(s, "\"writes_acked_by_zone\"", "\"b\":\t"), 100);
    /* m1 took zone a's writes for 2.5 s into the cut without acknowledging them: they are
     * discarded at the heal, and count as nothing lost. */
    ck_assert_double_gt(fig(s, M1, "\"discarded_writes\":\t"), 0);
    free(s);

    const char *naive[] = {"nodes.g.failover=naive"};
    s = fl_test_summary(text, naive, 1);
    ck_assert_double_gt(fig(s, "\"split_brain\"", "\"seconds\":\t"), 15);
    ck_assert_double_gt(fig(s, "\"lost_writes\"", "\"count\":\t"), 100);
    ck_assert_double_gt(fig(s, "\"stale_reads\"", "\"count\":\t"), 0);
    free(s);
}
END_TEST

/* Three members in one zone: only node-pair partitions ("g/0" is member m1) can separate
 * them, and the group's own messages (heartbeats, votes, replication) take those pairs'
 * links. One client in the zone writes 10 times a second. */
static const char *const trio =
    "{\"faultline\": 1, \"name\": \"p\", \"duration\": \"40s\", \"window\": \"1s\",\n"
    " \"zones\": [\"a\"],\n"
    " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\", \"zones\": [\"a\", \"a\", \"a\"],\n"
    "   \"heartbeat_interval\": \"1s\", \"failure_timeout\": \"3s\", \"failover\": \"quorum\"}],\n"
    " \"workloads\": [\n"
    "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"10/s\",\n"
    "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(1000000)\",\n"
    "   \"client\": {\"timeout\": \"1s\"}}],\n"
    " \"faults\": [{\"at\": \"10.5s\", \"for\": \"20s\", \"partition\": {\"links\": [\n"
    "   [\"g/0\", \"g/1\"], [\"g/1\", \"g/0\"], [\"g/0\", \"g/2\"], [\"g/2\", \"g/0\"]%s]}}]}\n";

static char *trio_summary(const char *extra, const char *const *sets, size_t nsets)
{
    char text[4096];
    snprintf(text, sizeof text, trio, extra);
    return fl_test_summary(text, sets, nsets);
}

/* m1 (the leader) is cut from m2 and m3, all in one zone. Its lease ends 3 s after the
 * send time of the last message its majority acked (the write of 10.4 s, replicated before
 * the cut at 10.5 s): from 13.4 s it refuses writes. m2 and m3 last
 * heard it at 10 s and suspect it at the 13 s tick; m2 asks first, m3 (which reaches it)
 * grants its vote: m2 is elected at 13 s, one failover, no two leaders, nothing acknowledged
 * lost. Cut m2 from m3 as well, and no candidate can reach a majority: the votes are cut
 * and nobody is elected while the partition lasts. */
START_TEST(node_pair_partition_cuts_votes)
{
    char *s = trio_summary("", NULL, 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, M1, "\"accepting_s\":\t"), 13.4);
    free(s);

    s = trio_summary(", [\"g/1\", \"g/2\"], [\"g/2\", \"g/1\"]", NULL, 0);
    ck_assert_double_eq(fig(s, M2, "\"accepting_s\":\t"), 0);
    ck_assert_double_eq(fig(s, M3, "\"accepting_s\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    /* the one election is after the heal (30.5 s), at the 31 s tick: m1 again. The zone's
     * clients had no leader reaching a majority from the cut to then: 20.5 s. */
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 1);
    ck_assert_double_eq(fig(s, M1, "\"accepting_s\":\t"), 13.4 + 9);
    ck_assert_double_eq(fig(s, "\"unavailable_s_by_zone\"", "\"a\":\t"), 20.5);
    free(s);
}
END_TEST

/* A partial partition: m1 (the leader) and m3 do not see each other, m2 sees both. With
 * "quorum", m3 suspects m1 and asks for votes, but m2 still hears the leader and refuses
 * (it has heard from one within the failure timeout), and m1 keeps its lease through m2's
 * acks: no failover, no unavailability. With "naive" failover m3 promotes itself and, never
 * hearing m1, stays primary until the heal: two primaries from 13 s to 31 s, while m2,
 * which hears both, follows the newer term. */
static const char *const partial =
    "{\"faultline\": 1, \"name\": \"pp\", \"duration\": \"40s\", \"window\": \"1s\",\n"
    " \"zones\": [\"a\"],\n"
    " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\", \"zones\": [\"a\", \"a\", \"a\"],\n"
    "   \"heartbeat_interval\": \"1s\", \"failure_timeout\": \"3s\", \"failover\": \"quorum\"}],\n"
    " \"workloads\": [\n"
    "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"10/s\",\n"
    "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(1000000)\",\n"
    "   \"client\": {\"timeout\": \"1s\"}}],\n"
    " \"faults\": [{\"at\": \"10.5s\", \"for\": \"20s\", \"partition\": {\"links\": [\n"
    "   [\"g/0\", \"g/2\"], [\"g/2\", \"g/0\"]]}}]}\n";

START_TEST(partial_partition)
{
    char *s = fl_test_summary(partial, NULL, 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"unavailable_s_by_zone\"", "\"a\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, M1, "\"accepting_s\":\t"), 40);
    free(s);

    const char *naive[] = {"nodes.g.failover=naive"};
    s = fl_test_summary(partial, naive, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 18);
    free(s);
}
END_TEST


/* ---- raft: terms, PreVote, CheckQuorum, lease reads ------------------------------------ */

/* Members in one zone, heartbeats every 100 ms, failure_timeout 1 s (timeouts drawn in
 * [1 s, 2 s)), a client writing and reading 20 times a second; %s: the members' zones,
 * %s: the primary, %s: extra node keys, %s: the partition's links. */
static const char *const raft_fmt =
    "{\"faultline\": 1, \"name\": \"r\", \"duration\": \"60s\", \"window\": \"1s\",\n"
    " \"zones\": [\"a\", \"c\"],\n"
    " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\", \"zones\": [%s], \"primary\": \"%s\",\n"
    "   \"heartbeat_interval\": \"100ms\", \"failure_timeout\": \"1s\", \"failover\": \"raft\"%s}],\n"
    " \"workloads\": [\n"
    "  {\"name\": \"app\", \"target\": \"g\", \"zone\": \"c\", \"rate\": \"20/s\",\n"
    "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(50)\",\n"
    "   \"client\": {\"timeout\": \"1s\"}}],\n"
    " \"faults\": [{\"at\": \"10s\", \"for\": \"40s\", \"partition\": {\"links\": [%s]}}]}\n";

#define CUT(a, b) "[\"g/" #a "\", \"g/" #b "\"], [\"g/" #b "\", \"g/" #a "\"]"

static char *raft_run(const char *zones, const char *primary, const char *extra,
                      const char *links, const char *const *sets, size_t nsets)
{
    char text[4096];
    snprintf(text, sizeof text, raft_fmt, zones, primary, extra, links);
    return fl_test_summary(text, sets, nsets);
}

static const char *const prevote_cq[] = {"nodes.g.pre_vote=true", "nodes.g.check_quorum=true"};

/* Five members, and a partial partition in which no member reaches all the others (m1-m2,
 * m3-m4, m5-m1 cut): whoever leads, some member cannot hear it. Without PreVote and
 * CheckQuorum that member times out within 2 s + a tick, raises its term, and the members
 * it reaches move to that term: the leader hears of it at its next tick and steps down,
 * about 2.2 s after its election at most; the next election follows within about as long.
 * So over the 40 s partition there are at least 40 / (2 x 2.2) > 9 leader changes (5
 * asserted), each with its term, and time with no leader. With both options the members
 * that hear the leader refuse the pre-votes: no election, term 1, nothing unavailable.
 * Either way no committed write is lost. */
START_TEST(raft_partial_partition_flaps)
{
    const char *z5 = "\"a\", \"a\", \"a\", \"a\", \"a\"";
    const char *cuts = CUT(0, 1) ", " CUT(2, 3) ", " CUT(4, 0);
    char *s = raft_run(z5, "m3", "", cuts, NULL, 0);
    double changes = fig(s, "\"g\"", "\"leader_changes\":\t");
    ck_assert_double_ge(changes, 5);
    ck_assert_double_gt(fig(s, "\"g\"", "\"term_at_end\":\t"), changes);
    ck_assert_double_gt(fig(s, "\"g\"", "\"leaderless_s\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_gt(fig(s, "\"lost_writes\"", "\"of\":\t"), 200);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    free(s);

    s = raft_run(z5, "m3", "", cuts, prevote_cq, 2);
    ck_assert_double_eq(fig(s, "\"g\"", "\"leader_changes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"elections\":\t"), 0);
    ck_assert_double_gt(fig(s, "\"g\"", "\"prevotes_lost\":\t"), 10);
    ck_assert_double_eq(fig(s, "\"g\"", "\"term_at_end\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"unavailable_s\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
}
END_TEST

/* Cloudflare's shape: three members, m1 cut from the leader m3, m2 reaching both. Without
 * the options m1's first campaign (within 2 s of the cut) deposes m3 through m2: at least
 * one leader change; the flapping stops once m2, which reaches both, wins. With them: none. */
START_TEST(raft_hub_partition)
{
    char *s = raft_run("\"a\", \"a\", \"a\"", "m3", "", CUT(0, 2), NULL, 0);
    ck_assert_double_ge(fig(s, "\"g\"", "\"leader_changes\":\t"), 1);
    ck_assert_double_ge(fig(s, "\"g\"", "\"disruptions\":\t"), 1);
    ck_assert_ptr_nonnull(strstr(s, "\"primary_at_end\":\t\"m2\""));
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
    s = raft_run("\"a\", \"a\", \"a\"", "m3", "", CUT(0, 2), prevote_cq, 2);
    ck_assert_double_eq(fig(s, "\"g\"", "\"leader_changes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"term_at_end\":\t"), 1);
    free(s);
}
END_TEST

/* Term disruption: m3 is cut from both others for 40 s; it reaches nobody, so it cannot
 * disturb anyone meanwhile, but every campaign raises its term (40 s / 2 s: at least 19
 * of them). At the heal the leader m1 hears of that term at its next tick and steps down:
 * a leader change for nothing. With PreVote m3 never wins a pre-vote, its term stays 1 and
 * the heal changes nothing; CheckQuorum alone does not stop it (m3's term still rises). */
START_TEST(raft_term_disruption)
{
    const char *z3 = "\"a\", \"a\", \"a\"";
    const char *cuts = CUT(0, 2) ", " CUT(1, 2);
    char *s = raft_run(z3, "m1", "", cuts, NULL, 0);
    ck_assert_double_ge(fig(s, "\"g\"", "\"elections\":\t"), 19);
    ck_assert_double_ge(fig(s, "\"g\"", "\"disruptions\":\t"), 1);
    ck_assert_double_ge(fig(s, "\"g\"", "\"leader_changes\":\t"), 1);
    ck_assert_double_ge(fig(s, "\"g\"", "\"term_at_end\":\t"), 20);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
    const char *cq[] = {"nodes.g.check_quorum=true"};
    s = raft_run(z3, "m1", "", cuts, cq, 1);
    ck_assert_double_ge(fig(s, "\"g\"", "\"disruptions\":\t"), 1);
    free(s);
    const char *pv[] = {"nodes.g.pre_vote=true"};
    s = raft_run(z3, "m1", "", cuts, pv, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"elections\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"disruptions\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"leader_changes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"term_at_end\":\t"), 1);
    free(s);
}
END_TEST


/* Stale reads: m1 (zone a) leads, m2 and m3 are in zone b, a client in each zone reads and
 * writes 50 keys; a | b is cut from 10 s to 50 s. m2 is elected in b and commits b's
 * writes. Without CheckQuorum m1 never learns of it (it reaches nobody) and, with reads
 * "leader", answers zone a's reads from what it committed before the cut: stale. With lease
 * reads its majority lease ends 1 s after the last acknowledged heartbeat and it refuses
 * them; read_index refuses them at once; CheckQuorum makes it step down. No committed
 * write is lost in any of them. */
START_TEST(raft_stale_reads)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"60s\", \"zones\": [\"a\", \"b\"],\n"
        " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\",\n"
        "   \"members\": [{\"name\": \"m1\", \"zone\": \"a\"}, {\"name\": \"m2\", \"zone\": \"b\"},\n"
        "                 {\"name\": \"m3\", \"zone\": \"b\"}],\n"
        "   \"heartbeat_interval\": \"100ms\", \"failure_timeout\": \"1s\", \"failover\": \"raft\"}],\n"
        " \"workloads\": [\n"
        "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"50/s\",\n"
        "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(50)\",\n"
        "   \"client\": {\"timeout\": \"1s\"}},\n"
        "  {\"name\": \"cb\", \"target\": \"g\", \"zone\": \"b\", \"rate\": \"50/s\",\n"
        "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(50)\",\n"
        "   \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"40s\", \"partition\": [[\"a\"], [\"b\"]]}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_gt(fig(s, "\"g\"", "\"stale_reads\":\t"), 100);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
    const char *lease[] = {"nodes.g.reads=lease"};
    s = fl_test_summary(text, lease, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), 0);
    ck_assert_double_gt(fig(s, "\"g\"", "\"reads_refused\":\t"), 100);
    free(s);
    const char *ri[] = {"nodes.g.reads=read_index"};
    s = fl_test_summary(text, ri, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), 0);
    free(s);
    const char *cq[] = {"nodes.g.check_quorum=true"};
    s = fl_test_summary(text, cq, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
}
END_TEST

/* Degraded reads ("degraded_reads": "stale"). Quorum loss: m1 and m2 (zone a) crash from
 * 10 s to 50 s, m3 (zone b) alone cannot be elected. Without the option every request of
 * those 40 s is refused (the clients' leader m1 is down). With it the clients send reads to
 * m3, which answers from its own copy: about 20 reads/s x 40 s = 800 (more than 600
 * asserted), none stale (zero latency: m3 applied every write the moment m1 and m2 did, so
 * it holds the last committed value of every key), no read unavailable, while writes stay
 * refused for the whole outage (unavailable_s at least 40 s, nothing lost). */
START_TEST(raft_degraded_reads_quorum_loss)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"d\", \"duration\": \"60s\", \"zones\": [\"a\", \"b\", \"c\"],\n"
        " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\",\n"
        "   \"members\": [{\"name\": \"m1\", \"zone\": \"a\"}, {\"name\": \"m2\", \"zone\": \"a\"},\n"
        "                 {\"name\": \"m3\", \"zone\": \"b\"}],\n"
        "   \"heartbeat_interval\": \"100ms\", \"failure_timeout\": \"1s\", \"failover\": \"raft\"}],\n"
        " \"workloads\": [\n"
        "  {\"name\": \"app\", \"target\": \"g\", \"zone\": \"c\", \"rate\": \"40/s\",\n"
        "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(50)\",\n"
        "   \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"40s\", \"crash\": \"g/0\"},\n"
        "            {\"at\": \"10s\", \"for\": \"40s\", \"crash\": \"g/1\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_ptr_null(strstr(s, "\"reads_served_degraded\""));
    double refused_without = fig(s, "\"g\"", "\"writes_refused\":\t");
    ck_assert_double_gt(refused_without, 1200); /* reads and writes alike */
    free(s);
    const char *stale[] = {"nodes.g.degraded_reads=stale"};
    s = fl_test_summary(text, stale, 1);
    ck_assert_double_gt(fig(s, "\"g\"", "\"reads_served_degraded\":\t"), 600);
    ck_assert_double_eq(fig(s, "\"g\"", "\"degraded_stale_reads\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"reads_unavailable_s\":\t"), 0);
    ck_assert_double_ge(fig(s, "\"g\"", "\"unavailable_s\":\t"), 40);
    ck_assert_double_lt(fig(s, "\"g\"", "\"writes_refused\":\t"), refused_without - 600);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    free(s);
}
END_TEST

/* Degraded reads are stale when the member's copy is behind: raft_stale_reads' partition
 * with CheckQuorum, m1 (zone a) steps down 1 s into the cut and refuses zone a's reads;
 * with degraded reads it answers them from its copy while m2 commits zone b's writes: more
 * than 100 of them stale (50 keys, 25 writes/s in b), every one counted among stale_reads;
 * zone a's writes are still refused and nothing committed is lost. */
START_TEST(raft_degraded_reads_stale)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"60s\", \"zones\": [\"a\", \"b\"],\n"
        " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\",\n"
        "   \"members\": [{\"name\": \"m1\", \"zone\": \"a\"}, {\"name\": \"m2\", \"zone\": \"b\"},\n"
        "                 {\"name\": \"m3\", \"zone\": \"b\"}],\n"
        "   \"heartbeat_interval\": \"100ms\", \"failure_timeout\": \"1s\", \"failover\": \"raft\",\n"
        "   \"check_quorum\": true}],\n"
        " \"workloads\": [\n"
        "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"50/s\",\n"
        "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(50)\",\n"
        "   \"client\": {\"timeout\": \"1s\"}},\n"
        "  {\"name\": \"cb\", \"target\": \"g\", \"zone\": \"b\", \"rate\": \"50/s\",\n"
        "   \"mix\": {\"read\": 1, \"write\": 1}, \"keys\": \"uniform(50)\",\n"
        "   \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"40s\", \"partition\": [[\"a\"], [\"b\"]]}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), 0);
    ck_assert_double_gt(fig(s, "\"g\"", "\"reads_refused\":\t"), 500);
    free(s);
    const char *stale[] = {"nodes.g.degraded_reads=stale"};
    s = fl_test_summary(text, stale, 1);
    double deg = fig(s, "\"g\"", "\"reads_served_degraded\":\t");
    double dstale = fig(s, "\"g\"", "\"degraded_stale_reads\":\t");
    ck_assert_double_gt(deg, 500);
    ck_assert_double_gt(dstale, 100);
    ck_assert_double_le(dstale, deg);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), dstale);
    ck_assert_double_lt(fig(s, "\"g\"", "\"reads_refused\":\t"), 50);
    ck_assert_double_gt(fig(s, "\"g\"", "\"writes_refused\":\t"), 500);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
}
END_TEST

/* Member clocks: m1 (zone a) leads; at 10 s the partition cuts it from m2 and m3 and its own
 * clock steps back 5 s. With "timers": "wall" its majority lease (the heartbeat a majority
 * acknowledged before 10 s, plus 1 s) now runs out when its clock reads that, 5 s later
 * than it should: it serves lease reads until about 16 s of true time, while m2 or m3 leads
 * from 11.0-12.1 s and commits zone b's writes: two leaders for 3.8-5 s, stale reads. The
 * same step on the node (every member's clock) moves every timer alike: nobody's lease
 * outlives a follower's timeout, no stale read. A lease_margin of 500 ms covers a 400 ms
 * step (no stale read) and not the 5 s one. Monotonic timers ignore the step. */
START_TEST(raft_member_clock_step)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"30s\", \"zones\": [\"a\", \"b\"],\n"
        " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\",\n"
        "   \"members\": [{\"name\": \"m1\", \"zone\": \"a\"}, {\"name\": \"m2\", \"zone\": \"b\"},\n"
        "                 {\"name\": \"m3\", \"zone\": \"b\"}],\n"
        "   \"heartbeat_interval\": \"100ms\", \"failure_timeout\": \"1s\", \"failover\": \"raft\",\n"
        "   \"pre_vote\": true, \"check_quorum\": true, \"reads\": \"lease\", \"timers\": \"wall\"}],\n"
        " \"workloads\": [\n"
        "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"100/s\",\n"
        "   \"mix\": {\"read\": 1}, \"keys\": \"uniform(20)\", \"client\": {\"timeout\": \"1s\"}},\n"
        "  {\"name\": \"cb\", \"target\": \"g\", \"zone\": \"b\", \"rate\": \"100/s\",\n"
        "   \"mix\": {\"write\": 1}, \"keys\": \"uniform(20)\", \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"10s\", \"clock\": {\"node\": \"g/0\", \"step\": \"-5s\"}},\n"
        "            {\"at\": \"10s\", \"for\": \"10s\", \"partition\": [[\"a\"], [\"b\"]]}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_gt(fig(s, "\"g\"", "\"stale_reads\":\t"), 100);
    double both = fig(s, "\"split_brain\"", "\"seconds\":\t");
    ck_assert_double_ge(both, 3.8);
    ck_assert_double_le(both, 5.0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"leader_changes\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
    const char *node[] = {"faults[0].clock.node=g"}; /* every member steps: they agree */
    s = fl_test_summary(text, node, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    free(s);
    const char *mono[] = {"nodes.g.timers=monotonic"};
    s = fl_test_summary(text, mono, 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), 0);
    free(s);
    const char *wide[] = {"nodes.g.lease_margin=500ms"};
    s = fl_test_summary(text, wide, 1);
    ck_assert_double_gt(fig(s, "\"g\"", "\"stale_reads\":\t"), 50);
    free(s);
    const char *held[] = {"nodes.g.lease_margin=500ms", "faults[0].clock.step=-400ms"};
    s = fl_test_summary(text, held, 2);
    ck_assert_double_eq(fig(s, "\"g\"", "\"stale_reads\":\t"), 0);
    free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("election");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, naive_two_primaries);
    tcase_add_test(t, min_replicas_stops_isolated_primary);
    tcase_add_test(t, quorum_never_two_leaders);
    tcase_add_test(t, node_pair_partition_cuts_votes);
    tcase_add_test(t, partial_partition);
    tcase_add_test(t, raft_partial_partition_flaps);
    tcase_add_test(t, raft_hub_partition);
    tcase_add_test(t, raft_term_disruption);
    tcase_add_test(t, raft_stale_reads);
    tcase_add_test(t, raft_member_clock_step);
    tcase_add_test(t, raft_degraded_reads_quorum_loss);
    tcase_add_test(t, raft_degraded_reads_stale);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return fl_test_run(suite()); }
