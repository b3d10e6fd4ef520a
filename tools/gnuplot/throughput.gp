# Requests per second over time, per workload: issued, tries (retries included: the gap
# to "issued" is retry amplification), succeeded and failed.
load gpdir."/common.gp"
set ylabel "requests per second"
set yrange [0:*]
plot for [i = 1:words(series)] datafile using "t_s":(column(word(series, i).".issued_per_s")) \
         with lines ls i lw 1 dt 3 title word(series, i)." issued", \
     for [i = 1:words(series)] datafile using "t_s":(column(word(series, i).".tries_per_s")) \
         with lines ls 4 lw 1.5 title word(series, i)." tries", \
     for [i = 1:words(series)] datafile using "t_s":(column(word(series, i).".ok_per_s")) \
         with lines ls i lw 2.5 title word(series, i)." ok", \
     for [i = 1:words(series)] datafile using "t_s":(column(word(series, i).".errors_per_s")) \
         with lines ls 2 lw 2 dt 1 title word(series, i)." errors"
