"""Puts tools/pytorch on the path so the test scripts import the package as users do."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "pytorch"))
