# Gauges over time, one line per column of timeseries.csv named in `series` (the resource
# charts: replication lag, consumer lag, cache traffic, connections, lock holders).
load gpdir."/common.gp"
set ylabel ylab
set yrange [0:*]
plot for [i = 1:words(series)] datafile using "t_s":(column(word(series, i))) \
         with steps ls i lw 2 title word(titles, i) noenhanced
