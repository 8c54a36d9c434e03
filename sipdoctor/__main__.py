"""`python -m sipdoctor`: the same as the `sipdoctor` command."""

from sipdoctor.cli import entry

if __name__ == "__main__":
    entry()
