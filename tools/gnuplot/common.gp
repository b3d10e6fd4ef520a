# Shared by every faultline chart. The driver script sets, before this file:
#   datafile  the run's timeseries.csv      outfile  the image to write
#   fmt       "png" or "svg"                stamp    "scenario [variant] seed N, faultline X"
#   heading   the chart's title
if (fmt eq "svg") {
    set terminal svg size 1000,560 dynamic enhanced font "Helvetica,13" background "white"
} else {
    set terminal pngcairo size 1000,560 enhanced font "Helvetica,12" background "white"
}
set output outfile
set datafile separator ","
set datafile columnheaders
set title heading font ",15"
set xlabel "simulated time (s)"
set grid ytics lc rgb "#dddddd"
set key outside right top box opaque
set border 3
set tics nomirror
set style line 1 lc rgb "#1f77b4" lw 2
set style line 2 lc rgb "#d62728" lw 2
set style line 3 lc rgb "#2ca02c" lw 2
set style line 4 lc rgb "#ff7f0e" lw 2
set style line 5 lc rgb "#9467bd" lw 2
set style line 6 lc rgb "#8c564b" lw 2
set label 100 stamp at screen 0.99, screen 0.02 right font ",9" tc rgb "#777777"
# Shaded windows (warm-up, faults) are set by the driver as `set object` rectangles and
# labels just before this file.
