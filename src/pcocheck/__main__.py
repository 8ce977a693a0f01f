from pcocheck.cli import main

main()
