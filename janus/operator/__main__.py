from janus.operator.cli import main

main()
