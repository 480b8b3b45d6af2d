from expectmatrix.cli import main

main()
