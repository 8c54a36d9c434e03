#!/bin/sh
# A tool's launcher script (think node_modules/.bin/vitest): starts two benchmark workers and waits.
"$1" "$2" &
"$1" "$2" &
wait
