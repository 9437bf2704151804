"""skrnn: recurrent neural network text classifiers in numpy, for scikit-learn."""

from ._classifier import RNNTextClassifier
from ._text import SequenceVectorizer

__version__ = "0.1.0.dev0"

__all__ = ["RNNTextClassifier", "SequenceVectorizer", "__version__"]
