"""Encrypted SQLCipher storage: key providers, schema and migrations, repositories."""
