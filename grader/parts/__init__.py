"""Parent side of each assignment part: the job to send, the answers to expect."""
