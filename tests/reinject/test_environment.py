"""What `sipdoctor run` saves and how it puts the shims on PATH (pure functions)."""

from __future__ import annotations

import os

from sipdoctor.reinject.environment import inject_var, save, with_shims


def test_every_dyld_variable_is_saved_and_stale_copies_are_replaced() -> None:
    saved = save({"DYLD_INSERT_LIBRARIES": "/a.dylib:/b c.dylib", "DYLD_FORCE_FLAT_NAMESPACE": "1",
                  "SIPDOCTOR_SAVED_DYLD_OLD": "stale", "HOME": "/h"})
    assert saved.env["SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES"] == "/a.dylib:/b c.dylib"
    assert saved.env["SIPDOCTOR_SAVED_DYLD_FORCE_FLAT_NAMESPACE"] == "1"
    assert "SIPDOCTOR_SAVED_DYLD_OLD" not in saved.env and saved.env["HOME"] == "/h"
    assert saved.names == ("DYLD_FORCE_FLAT_NAMESPACE", "DYLD_INSERT_LIBRARIES")


def test_a_profilers_own_copy_stands_in_for_a_missing_variable() -> None:
    saved = save({"__XPC_DYLD_INSERT_LIBRARIES": "/samply.dylib"})
    assert saved.env["SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES"] == "/samply.dylib"
    assert saved.names == ("DYLD_INSERT_LIBRARIES (from __XPC_DYLD_INSERT_LIBRARIES)",)
    assert save({"DYLD_INSERT_LIBRARIES": "/mine", "__XPC_DYLD_INSERT_LIBRARIES": "/x"}).env[
        "SIPDOCTOR_SAVED_DYLD_INSERT_LIBRARIES"] == "/mine"


def test_the_loader_variable_of_this_host_is_saved() -> None:
    assert save({inject_var(): "/lib.so"}).names == (inject_var(),)


def test_shims_go_first_and_an_unset_path_keeps_the_default_search() -> None:
    env = with_shims({"PATH": "/usr/bin:/bin"}, "/cache/dirs/x", skip=("git", "scalene"), log="/tmp/l")
    assert env["PATH"] == "/cache/dirs/x:/usr/bin:/bin"
    assert env["SIPDOCTOR_REINJECT"] == "/cache/dirs/x" and env["SIPDOCTOR_REINJECT_SKIP"] == "git:scalene"
    assert env["SIPDOCTOR_REINJECT_LOG"] == "/tmp/l"
    assert with_shims({}, "/d")["PATH"] == f"/d:{os.defpath}"
    assert "SIPDOCTOR_REINJECT_SKIP" not in with_shims({"SIPDOCTOR_REINJECT_SKIP": "old"}, "/d")
