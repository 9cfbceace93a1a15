from kudos.cli import main

main()
