from __future__ import annotations

from sipdoctor.chains.predict import Prediction
from sipdoctor.chains.tree import Hop, Process, propagate
from sipdoctor.model import Reason, Verdict
from sipdoctor.render.tree import render_tree


def prediction() -> Prediction:
    node = Process((Hop("/opt/homebrew/bin/node", ("node", "b.js"), Verdict.PROFILED),), ("node", "b.js"))
    sh = Process((Hop("/bin/sh", ("sh", "-c", "node b.js"), Verdict.STRIPPED,
                      (Reason("sip-protected-path", "/bin/sh is SIP-protected"),)),), ("sh", "-c", "node b.js"),
                 children=(node,))
    root = Process((Hop("/opt/homebrew/bin/pnpm", ("pnpm", "bench"), Verdict.PROFILED),), ("pnpm", "bench"),
                   children=(sh,))
    return Prediction("pnpm bench", (propagate(root),))


def test_ascii_tree_one_line_per_process_with_marker_and_reason() -> None:
    lines = [line.text for line in render_tree(prediction().to_json(), ascii_only=True)]
    assert lines == [
        "$ pnpm bench",
        "[profiled] pnpm bench  -- profiled",
        "`-- [stripped] sh -c 'node b.js'  -- /bin/sh is SIP-protected",
        "    `-- [not profiled] node b.js  -- not profiled: /bin/sh removed the variable upstream",
    ]


def test_emoji_tree_uses_box_drawing() -> None:
    lines = [line.text for line in render_tree(prediction().to_json(), ascii_only=False)]
    assert lines[2].startswith("└── 🔒 sh -c") and lines[1].startswith("🔍 pnpm bench")
    assert [line.status for line in render_tree(prediction().to_json(), ascii_only=False)][1:] == [
        "profiled", "stripped", "not-profiled"]
