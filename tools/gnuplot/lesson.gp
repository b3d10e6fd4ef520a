# Lesson charts (sim/out/lessons.c declares them per kind). The driver sets before this
# file: fmt, outfile, datafile, heading (the lesson), stamp, height (pixels: the footer
# that numbers the markers grows it); after it, the shades, markers, margins and plots.
if (fmt eq "svg") {
    set terminal svg size 1100,height dynamic enhanced font "Helvetica,14" background "white"
} else {
    set terminal pngcairo size 1100,height enhanced font "Helvetica,13" background "white"
}
set output outfile
set datafile separator ","
set datafile columnheaders
set grid ytics lc rgb "#e5e5e5"
set key outside right top box opaque noenhanced
set border 3
set tics nomirror
set title heading font ",15" noenhanced
# An empty cell (no request ended in the window) breaks the line instead of bridging it.
val(c) = strcol(c) eq "" ? NaN : column(c)
set label 100 stamp at screen 0.99, screen 0.012 right font ",9" tc rgb "#777777" noenhanced
