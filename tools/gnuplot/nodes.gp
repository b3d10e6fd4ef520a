# Requests at each node over time (the most in each window): queue plus in service.
load gpdir."/common.gp"
set ylabel "requests at the node (max per window)"
set yrange [0:*]
plot for [i = 1:words(series)] datafile using "t_s":(column(word(series, i).".in_system_max")) \
         with steps ls i lw 2 title word(series, i)
