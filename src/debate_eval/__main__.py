from debate_eval.cli import main

main()
