"""Issue 16, part 7: a fuzzing harness of our own (strategies, a child worker under limits, tests)."""
