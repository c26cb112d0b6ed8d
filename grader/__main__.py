"""`python -m grader` is the `cnn-grader` command."""

from grader.cli import main

if __name__ == "__main__":
    main(prog_name="cnn-grader")
