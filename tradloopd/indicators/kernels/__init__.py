"""Compiled (numba) loops behind the batch indicators, one module per family.

Nothing here is imported when `tradloopd.indicators` is: a batch function imports its
kernel module on first call, so `import tradloopd` never pays numba's import. Each
module is self-contained (no compiled function calls one in another module), because
numba's on-disk cache of a function is invalidated only by changes to its own file.
"""
