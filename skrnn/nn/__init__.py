"""The numpy-only neural network core of skrnn.

Nothing in this subpackage imports scikit-learn: it works on dictionaries of
named parameter arrays and on padded, length-sorted integer batches.
"""
