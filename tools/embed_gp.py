#!/usr/bin/env python3
"""Embeds the gnuplot templates (tools/gnuplot/*.gp) into a C file, so the installed
faultline binary can write self-contained chart scripts with no source tree around.
usage: embed_gp.py OUT.c TEMPLATE.gp..."""
import os
import sys

out, files = sys.argv[1], sys.argv[2:]
with open(out, "w") as f:
    f.write("/* Generated from the templates in tools/gnuplot by tools/embed_gp.py: do not edit. */\n")
    f.write('#include "out/plot.h"\n\nconst fl_gp_template fl_gp_templates[] = {\n')
    for path in sorted(files):
        name = os.path.splitext(os.path.basename(path))[0]
        text = open(path).read()
        lit = "".join("\\n\"\n    \"" if c == "\n" else "\\\\" if c == "\\" else '\\"' if c == '"' else c
                      for c in text)
        f.write('    {"%s",\n    "%s"},\n' % (name, lit))
    f.write("    {0, 0},\n};\n")
