"""The lab's Transformer, weights JSON, run config and task data, in PyTorch.

Standard library and PyTorch only. Everything here mirrors the TypeScript engine in `src/`
(same parameter names, same validation messages, same data stream), so a model trained in the
browser continues here and comes back.
"""
