from pcocheck.cli import entry

entry()
