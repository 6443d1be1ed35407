// tests: cli
