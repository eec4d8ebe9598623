"""The 钟楼烟火 demo council, loaded by `make run` into an empty database."""
