"""A de-identified outcomes dataset for research registries (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)).

``rules`` holds the de-identification rules as plain functions (ages, ZIP codes, day numbers, study ids);
``columns`` every column written and what it means (the data dictionary); ``dataset`` reads the clinic a
chunk of patients at a time and writes the CSV files. docs/research-dataset.md explains the result.
"""

from interop.research.dataset import write_dataset

__all__ = ["write_dataset"]
