from hearthguard.cli import main

main()
