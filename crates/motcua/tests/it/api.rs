// tests: api
