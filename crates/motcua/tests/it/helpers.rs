// tests: helpers
