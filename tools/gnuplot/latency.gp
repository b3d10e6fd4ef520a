# Latency percentiles over time, log scale, one colour per workload (p50 thin, p99 thick).
# Set before: series (space-separated workload names), and the variables of common.gp.
load gpdir."/common.gp"
# Every request that ended in the window counts, a failure at the time its client gave up.
# A window where none ended has an empty cell: NaN breaks the line there instead of
# drawing across the gap.
val(c) = strcol(c) eq "" ? NaN : column(c)
set ylabel "latency (ms, log scale)"
set logscale y
plot for [i = 1:words(series)] datafile using "t_s":(val(word(series, i).".latency_p99_ms")) \
         with lines ls i lw 2.5 title word(series, i)." p99", \
     for [i = 1:words(series)] datafile using "t_s":(val(word(series, i).".latency_p50_ms")) \
         with lines ls i lw 1 dt 2 title word(series, i)." p50"
