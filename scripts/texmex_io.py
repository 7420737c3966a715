"""TEXMEX files (.fvecs / .ivecs: per vector an int32 count, then the values), as numpy
arrays; shared by the scripts that time native libraries beside `ferrofaiss bench`."""
import numpy as np


def fvecs(path):
    a = np.fromfile(path, dtype=np.int32)
    d = a[0]
    return a.reshape(-1, d + 1)[:, 1:].copy().view(np.float32)


def ivecs(path):
    a = np.fromfile(path, dtype=np.int32)
    return a.reshape(-1, a[0] + 1)[:, 1:].copy()
