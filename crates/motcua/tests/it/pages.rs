// tests: pages
