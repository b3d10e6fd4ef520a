# A heat map over two swept parameters: one cell per grid point, its colour the mean over
# seeds (for "recovered": the fraction of seeds that recovered), its value written in it.
# Set before: the datablock $cells (ix,iy,mean,label), nx, ny, xlab, ylab, cblab,
# recovered (1 for the stable/vulnerable/stuck scale), x and y tics (the values), and the
# variables of common.gp.
load gpdir."/common.gp"
set termoption noenhanced
set datafile nocolumnheaders
set title heading noenhanced font ",13"
set xlabel xlab noenhanced
set ylabel ylab noenhanced
set cblabel cblab noenhanced
unset key
set grid noxtics noytics
set border 15
set tics out
set xrange [-0.5 : nx - 0.5]
set yrange [-0.5 : ny - 0.5]
if (recovered) {
    set cbrange [0:1]
    set palette defined (0 "#c0392b", 0.5 "#f1c40f", 1 "#27ae60")
    set cbtics ("stuck (0)" 0, "vulnerable" 0.5, "stable (1)" 1)
} else {
    set palette defined (0 "#440154", 0.25 "#3b528b", 0.5 "#21918c", 0.75 "#5ec962", 1 "#fde725")
}
set colorbox user origin screen 0.86, screen 0.15 size screen 0.025, screen 0.7
set rmargin at screen 0.8
set style textbox opaque fc rgb "#ffffff" noborder margins 2, 1
plot $cells using 1:2:3 with image, \
     $cells using 1:2:4 with labels boxed font ",10" tc rgb "#000000"
