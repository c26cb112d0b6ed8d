"""`python -m grader` is the `cnn-grader` command."""

from grader.cli import run

if __name__ == "__main__":
    run()
