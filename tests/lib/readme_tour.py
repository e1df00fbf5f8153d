#!/usr/bin/env python3
"""readme_tour.py - the commands of README.md's tour, one per line, as a
test runs them.

    readme_tour.py README.md

Prints each command of the ```sh blocks between "## A tour" and the next
"## " heading, without its trailing comment, as "KIND<TAB>COMMAND" where
KIND is "bg" (it ends with &: a server that prints its address), "follow"
(it follows a topic: run for a while, then stopped) or "run" (it ends by
itself). The test substitutes the placeholders (127.0.0.1:PORT and "..."
for the broker, the servers' addresses, /tmp/archive) before running them.
"""
import re, sys

text = open(sys.argv[1], encoding="utf-8").read()
tour = text.split("\n## A tour\n", 1)[1].split("\n## ", 1)[0]
for block in re.findall(r"```sh\n(.*?)```", tour, re.S):
    for line in block.splitlines():
        cmd = re.split(r"\s{2,}#\s", line, maxsplit=1)[0].rstrip()
        if not cmd:
            continue
        kind = "bg" if cmd.endswith("&") else "follow" if "--follow" in cmd.split() else "run"
        print(kind + "\t" + cmd.rstrip("&").rstrip())
