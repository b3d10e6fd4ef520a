# A figure against a swept parameter: the mean over seeds at each value with its 95%
# confidence interval as an error bar; with a second parameter, one line per its value.
# Set before: the datablock $points (x,mean,ci95; one block per line, blocks two blank
# lines apart), nseries, stitle[1..nseries] (line titles), xlab, ylab, and the variables
# of common.gp. Categorical values (not numbers) come as positions 0..n-1 with their
# labels set as x tics by the driver.
load gpdir."/common.gp"
set termoption noenhanced
set datafile nocolumnheaders
set title heading noenhanced font ",13"
set xlabel xlab noenhanced
set ylabel ylab noenhanced
set grid xtics ytics lc rgb "#dddddd"
set offsets graph 0.04, graph 0.04, graph 0.08, graph 0.04
set style line 7 lc rgb "#e377c2" lw 2
set style line 8 lc rgb "#7f7f7f" lw 2
set pointsize 1.2
plot for [i = 1:nseries] $points index (i - 1) using 1:2:3 with yerrorlines ls ((i - 1) % 8 + 1) \
         pt 7 title stitle[i]
