from sessiongen.cli import main

main()
