#!/usr/bin/env python3
"""Embeds the dashboard page (sim/serve/page.html) into a C file, so `faultline serve`
needs no file around it and no network: one self-contained page, no external asset.
usage: embed_page.py OUT.c page.html"""
import sys

out, src = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
data.decode("utf-8")  # must be UTF-8: it is served as such
with open(out, "w") as f:
    f.write("/* Generated from sim/serve/page.html by sim/serve/embed_page.py: do not edit. */\n")
    f.write('#include "serve/serve.h"\n\n')
    # an array, not a string literal: C11 only promises literals of 4095 characters
    f.write("const char fl_serve_page[] = {\n")
    for i in range(0, len(data), 16):
        f.write("    " + ", ".join(str(b) for b in data[i:i + 16]) + ",\n")
    f.write("    0,\n};\n")
    f.write("const unsigned long fl_serve_page_len = %d;\n" % len(data))
