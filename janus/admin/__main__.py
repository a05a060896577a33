from janus.admin.cli import main

main()
