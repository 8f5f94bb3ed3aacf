"""Local stand-ins for services the tests cannot reach (LLM APIs, the Hub)."""
