"""edstats: education performance papers for English local authorities.

Data flows one way: raw files -> validated frames -> measures -> notebooks -> papers.
Every number in a paper is computed in this package; notebooks only present.
"""

__version__ = "0.1.0"
