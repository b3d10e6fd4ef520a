# Shared by every faultline chart. The driver script sets, before this file:
#   datafile  the run's timeseries.csv      outfile  the image to write
#   fmt       "png" or "svg"                stamp    "scenario [variant] seed N, faultline X"
#   heading   the chart's title             shades   "t0 t1 label;t0 t1 label;..." (may be "")
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
# Shaded windows (faults, warm-up), each labelled at the top.
nshade = words(shades) / 3
do for [i = 1:nshade] {
    t0 = real(word(shades, 3 * i - 2)); t1 = real(word(shades, 3 * i - 1))
    set object i rect from t0, graph 0 to t1, graph 1 back fc rgb "#f2c2c2" fs solid 0.35 noborder
    set label 100 + i word(shades, 3 * i) at (t0 + t1) / 2, graph 0.97 center font ",10" tc rgb "#aa3333"
}
